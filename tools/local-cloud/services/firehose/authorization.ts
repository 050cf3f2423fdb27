/**
 * What a Firehose request of a role's session needs to be allowed: `firehose:<Operation>` on the
 * delivery stream's ARN (`aws:TagKeys` for tag requests), and for a Start with a customer managed
 * key also `kms:CreateGrant` on the key for the caller through Firehose (Firehose creates a grant
 * for itself with the caller's permissions), denied as `InvalidKMSResourceException`.
 *
 * Firehose API reference, StartDeliveryStreamEncryption
 * (https://docs.aws.amazon.com/firehose/latest/APIReference/API_StartDeliveryStreamEncryption.html):
 * with a new `CUSTOMER_MANAGED_CMK`, "Firehose creates a grant that enables it to use the new CMK",
 * and the grant is created with the caller's credentials ("should not be called with session
 * credentials that are more than 6 hours old"); its `InvalidKMSResourceException` is thrown "when
 * the KMS service throws one of the following exception types: AccessDeniedException, ...". The
 * page gives no spelling of the exception's `code` member; the model writes
 * `KMS.AccessDeniedException`, and the handler reads every spelling. The model answers the
 * denial at once, as the exception the page lists for Start; it does not model the later
 * `ENABLING_FAILED` that the `FailureDescription` types `KMS_ACCESS_DENIED` and
 * `CREATE_KMS_GRANT_FAILED` suggest Firehose may also report. The
 * `kms:CreateGrant` check sees IAM changes after the propagation delay of that action
 * (`setIamPropagation(ms, 'kms:CreateGrant')`), which may be longer than the others'.
 *
 * @module
 */

import { KeyDirectory } from './backend';
import { AuthorizationCheck } from '../../authorization';
import { ServiceError } from '../../errors';
import { JsonObject } from '../../json';
import { AuthorizationOf, RequestContext } from '../../router';

/** The ARN of a delivery stream. */
function deliveryStreamArn(name: string, context: RequestContext): string {
  return `arn:${context.partition}:firehose:${context.region}:${context.accountId}:deliverystream/${name}`;
}

/** The tag keys a request names (`Tags[].Key` or `TagKeys`). */
function tagKeysOf(input: JsonObject): string[] | undefined {
  if (Array.isArray(input.TagKeys)) return input.TagKeys.map(String);
  if (Array.isArray(input.Tags)) return input.Tags.map((t) => String((t as JsonObject).Key));
  return undefined;
}

/** The Firehose authorization of {@link AuthorizationOf}. */
export function firehoseAuthorization(keys: KeyDirectory): AuthorizationOf {
  return (operation, input, context) => {
    const name = typeof input.DeliveryStreamName === 'string' ? input.DeliveryStreamName : undefined;
    const resource = name === undefined ? '*' : deliveryStreamArn(name, context);
    const tagKeys = tagKeysOf(input);
    const checks: AuthorizationCheck[] = [{
      request: { action: `firehose:${operation}`, resource, context: tagKeys ? { 'aws:TagKeys': tagKeys } : {} },
    }];
    const sse = input.DeliveryStreamEncryptionConfigurationInput as { KeyType?: string; KeyARN?: string } | undefined;
    if (operation === 'StartDeliveryStreamEncryption' && sse?.KeyType === 'CUSTOMER_MANAGED_CMK' && sse.KeyARN) {
      const lookup = keys.find(sse.KeyARN);
      checks.push({
        request: {
          action: 'kms:CreateGrant',
          resource: lookup.found ? lookup.metadata.Arn : sse.KeyARN,
          context: { 'kms:GrantIsForAWSResource': 'true', 'kms:ViaService': `firehose.${context.region}.amazonaws.com` },
        },
        denied: (message) => new ServiceError('InvalidKMSResourceException', message, { fields: { code: 'KMS.AccessDeniedException' } }),
      });
    }
    return checks;
  };
}
