/**
 * KMS, as every kind of stream uses it: the client, and `kms:DescribeKey`
 * through the reconcile session (retried like any read).
 */
import type * as Kms from '@aws-sdk/client-kms';
import type { ClientProvider } from '../core/clients';
import { describeError, errorInfo } from '../core/errors';
import { HandlerFailure } from '../core/reasons';
import { DriverSession, NO_DENIED_RETRY, ReadOptions } from '../core/session';

/** Errors of `kms:DescribeKey` on an alias that mean "not a key the handler may use". */
const NOT_OUR_KEY: ReadonlySet<string> = new Set(['NotFoundException', 'AccessDeniedException', 'InvalidArnException']);

/**
 * The SDK's KMS module. Required where it is used, not imported, so that no
 * bundle loads an SDK client at load: a kind requires its own with its first
 * event (`lambda/kinds/index.ts`); a `require` after that is a cache lookup.
 */
export function kmsSdk(): typeof Kms {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded with a kind's first event
  return require('@aws-sdk/client-kms') as typeof Kms;
}

/** The KMS client of the request, made on first use. */
export function kmsClient(provide: ClientProvider): Kms.KMSClient {
  return provide('kms', (settings) => new (kmsSdk().KMSClient)(settings));
}

/**
 * `kms:DescribeKey` of a key or alias, retried while throttled or transient.
 *
 * @throws the SDK's error when it is neither.
 */
export async function describeKey(
  session: DriverSession, kms: Kms.KMSClient, key: string, options?: ReadOptions,
): Promise<Kms.DescribeKeyCommandOutput> {
  return session.read('DescribeKey', () => kms.send(new (kmsSdk().DescribeKeyCommand)({ KeyId: key }), { abortSignal: session.abortSignal() }), options);
}

/**
 * The key ARN an alias a stream reports as its current key points to, by
 * `kms:DescribeKey`; `null` when it points to no key the handler may
 * describe, which is never the wanted key (the handler may describe that
 * one). Access denied is not retried: it is the expected answer for another's key.
 *
 * @throws HandlerFailure for any other error that is not retried.
 */
export async function resolveAlias(session: DriverSession, kms: Kms.KMSClient, alias: string): Promise<string | null> {
  let resolved: string | null;
  try {
    resolved = (await describeKey(session, kms, alias, NO_DENIED_RETRY))?.KeyMetadata?.Arn ?? null;
  } catch (err) {
    if (!NOT_OUR_KEY.has(errorInfo(err).name)) {
      throw session.failure(err, 'DescribeKey');
    }
    session.log.info('resolve-key', { key: alias, error: describeError(err) });
    return null;
  }
  session.log.info('resolve-key', { key: alias, resolvedKey: resolved });
  return resolved;
}

/**
 * The `kms:DescribeKey` pre-flight of a customer managed key: it must be
 * Enabled, for ENCRYPT_DECRYPT, and symmetric.
 *
 * @returns the key's metadata.
 * @throws HandlerFailure when the key cannot be used or cannot be read.
 */
export async function verifyKey(session: DriverSession, kms: Kms.KMSClient, key: string): Promise<Kms.KeyMetadata> {
  let metadata;
  try {
    metadata = (await describeKey(session, kms, key))?.KeyMetadata;
  } catch (err) {
    throw session.failure(err, 'DescribeKey');
  }
  if (!metadata) {
    throw new HandlerFailure('UNEXPECTED_ERROR', { operation: 'DescribeKey', error: 'no KeyMetadata' });
  }
  const state = metadata.KeyState ?? '?';
  const usage = metadata.KeyUsage ?? '?';
  const spec = metadata.KeySpec ?? metadata.CustomerMasterKeySpec ?? '?';
  session.log.info('verify-key', { key, resolvedKey: metadata.Arn, keyState: state, keyUsage: usage, keySpec: spec });
  if (state !== 'Enabled') {
    throw new HandlerFailure('KEY_NOT_ENABLED', { key, state });
  }
  if (usage !== 'ENCRYPT_DECRYPT') {
    throw new HandlerFailure('KEY_WRONG_USAGE', { key, usage });
  }
  if (spec !== 'SYMMETRIC_DEFAULT') {
    throw new HandlerFailure('KEY_NOT_SYMMETRIC', { key, spec });
  }
  return metadata;
}
