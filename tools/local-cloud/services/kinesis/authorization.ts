/**
 * What a Kinesis request of a role's session needs to be allowed: `kinesis:<Operation>` on the
 * stream's ARN (`aws:TagKeys` for tag requests), and for a Start with a customer managed key also
 * `kms:GenerateDataKey` on the key for the caller through Kinesis with the stream's ARN as
 * encryption context, denied as `KMSAccessDeniedException` ("The ciphertext references a key that
 * doesn't exist or that you don't have access to": Kinesis API reference, StartStreamEncryption,
 * https://docs.aws.amazon.com/kinesis/latest/APIReference/API_StartStreamEncryption.html). That
 * check sees IAM changes after the propagation delay of `kms:GenerateDataKey`, which may be longer
 * than the others'.
 *
 * @module
 */

import { KinesisKeyDirectory } from './backend';
import { streamNameOf } from './shapes';
import { AuthorizationCheck } from '../../authorization';
import { ServiceError } from '../../errors';
import { JsonObject } from '../../json';
import type { AuthorizationOf } from '../../router';

/** The key Kinesis itself manages (no caller permission needed). */
const AWS_MANAGED_KINESIS_KEY = /(^|:)alias\/aws\/kinesis$/;

/** The tag keys a request names (`Tags` map or `TagKeys`). */
function tagKeysOf(input: JsonObject): string[] | undefined {
  if (Array.isArray(input.TagKeys)) return input.TagKeys.map(String);
  if (input.Tags && typeof input.Tags === 'object') return Object.keys(input.Tags);
  return undefined;
}

/** The Kinesis authorization of {@link AuthorizationOf}. */
export function kinesisAuthorization(keys: KinesisKeyDirectory): AuthorizationOf {
  return (operation, input, context) => {
    const name = streamNameOf(input);
    const streamArn = name === undefined ? '*' : `arn:${context.partition}:kinesis:${context.region}:${context.accountId}:stream/${name}`;
    const tagKeys = tagKeysOf(input);
    const checks: AuthorizationCheck[] = [{
      request: { action: `kinesis:${operation}`, resource: streamArn, context: tagKeys ? { 'aws:TagKeys': tagKeys } : {} },
    }];
    const keyId = typeof input.KeyId === 'string' ? input.KeyId : undefined;
    if (operation === 'StartStreamEncryption' && keyId !== undefined && !AWS_MANAGED_KINESIS_KEY.test(keyId)) {
      const lookup = keys.find(keyId);
      checks.push({
        request: {
          action: 'kms:GenerateDataKey',
          resource: lookup.found ? lookup.metadata.Arn : keyId,
          context: { 'kms:ViaService': `kinesis.${context.region}.amazonaws.com`, 'kms:EncryptionContext:aws:kinesis:arn': streamArn },
        },
        denied: (message) => new ServiceError('KMSAccessDeniedException', message),
      });
    }
    return checks;
  };
}
