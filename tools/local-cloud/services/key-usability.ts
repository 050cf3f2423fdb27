/**
 * Whether a stream service can encrypt with a KMS key: it must exist, be `Enabled`, and be a
 * symmetric (`SYMMETRIC_DEFAULT`) `ENCRYPT_DECRYPT` key. Firehose and Kinesis judge a key alike and
 * word the problem each in its own way.
 *
 * @module
 */

import type { KeyLookup } from './kms';

/** How a service words each reason it cannot use a key. */
export interface KeyProblemWording<T> {
  /** No such key or alias; `lookup` is what KMS answered. */
  notFound(reference: string, lookup: { readonly errorName: string; readonly message: string }): T;
  /** The key is `Disabled`. */
  disabled(arn: string): T;
  /** The key is `PendingDeletion`. */
  pendingDeletion(arn: string): T;
  /** The key is in another state that is not `Enabled`. */
  otherState(arn: string, state: string): T;
  /** The key is not a symmetric encryption key. */
  notSymmetric(arn: string, keySpec: string, keyUsage: string): T;
}

/** The problem with a key, in the service's words, or `undefined` when the key can be used. */
export function keyProblem<T>(reference: string, lookup: KeyLookup, words: KeyProblemWording<T>): T | undefined {
  if (!lookup.found) return words.notFound(reference, lookup);
  const key = lookup.metadata;
  switch (key.KeyState) {
    case 'Enabled':
      break;
    case 'Disabled':
      return words.disabled(key.Arn);
    case 'PendingDeletion':
      return words.pendingDeletion(key.Arn);
    default:
      return words.otherState(key.Arn, String(key.KeyState));
  }
  if (key.KeySpec !== 'SYMMETRIC_DEFAULT' || key.KeyUsage !== 'ENCRYPT_DECRYPT') return words.notSymmetric(key.Arn, String(key.KeySpec), String(key.KeyUsage));
  return undefined;
}
