/**
 * The fix of every reason: what a user reading a FAILED answer in the
 * CloudFormation console should do about it. Only the handler's response
 * path imports this module, so the fix texts ship in the handler's asset and
 * not in the guard's.
 */
import { fill, HandlerFailure, HandlerReasonId, REASON_MESSAGES, ReasonParams } from './reasons';

/**
 * What to do, per reason id of the handler (the guard's own reasons are never
 * answered to CloudFormation: their fixes are in `catalogue.ts`, for the
 * documentation).
 */
export const REASON_FIXES: Readonly<Record<HandlerReasonId, string>> = {
  REQUEST_EXPIRED: 'Nothing to do for this request; if requests reach the handler late, find what delays them (throttled or queued invocations).',
  INVALID_REQUEST_TYPE: 'Invoke the handler only through its Custom::DeliveryStreamEncryption and Custom::DataStreamEncryption resources.',
  INVALID_PROPERTY: 'Let the {construct} construct write the properties, from the same library version as the handler.',
  ARN_OTHER_PARTITION: 'Use a key and stream of the stack\'s own partition; KMS keys and streams cannot be used across partitions.',
  STREAM_NOT_FOUND: 'Check the stream\'s name, account and region; if the stream is created in the same deployment, depend on it.',
  STREAM_DELETING_FAILED: 'Fix the cause in the stream\'s FailureDescription (aws firehose describe-delivery-stream) and delete the stream again, or delete this resource with removalPolicy RETAIN.',
  STREAM_DELETED: 'Find what deletes the stream, then deploy again.',
  STREAM_NOT_ACTIVE: 'Deploy again once the stream is ACTIVE; a stream that is DELETING or *_FAILED cannot be encrypted: recreate it.',
  NOT_DIRECT_PUT: 'Encrypt the source instead (for a Kinesis data stream, use DataStreamEncryption).',
  KEY_NOT_FOUND: 'Check the key ARN, and that the key exists in the stream\'s region.',
  KEY_ACCESS_DENIED: 'Allow the handler\'s role kms:DescribeKey, and {kmsAction} through {service}, in the key policy.',
  KEY_NOT_ENABLED: 'Enable the key (or cancel its deletion), then deploy again.',
  KEY_WRONG_USAGE: 'Use a symmetric encryption key (SYMMETRIC_DEFAULT, ENCRYPT_DECRYPT).',
  KEY_NOT_SYMMETRIC: 'Use a symmetric encryption key (SYMMETRIC_DEFAULT, ENCRYPT_DECRYPT).',
  ENABLING_FAILED: 'Fix that cause (often a disabled key, or a key policy that denies Firehose a grant), then deploy again.',
  DISABLING_FAILED: 'Fix that cause (often a disabled key), then retry, or use removalPolicy RETAIN.',
  CALL_LIMIT_EXCEEDED: 'A stream takes at most 25 encryption changes (Start or Stop) in a rolling 24 hours, and a key at most 500 Firehose streams: wait, then deploy again, or use another key.',
  INVALID_ARGUMENT: 'Check the stream (a Firehose stream must be DirectPut), and that the key is a symmetric encryption key in the stream\'s region.',
  INVALID_KMS_RESOURCE: 'Make sure the key is enabled and symmetric, and its policy lets the handler\'s role call kms:CreateGrant.',
  SERVICE_KMS_ACCESS_DENIED: 'Let the handler\'s role call {kmsAction} on the key through {service} (its IAM policy and the key policy), and check any SCP or permissions boundary.',
  SERVICE_KMS_DISABLED: 'Enable the key, then deploy again.',
  SERVICE_KMS_INVALID_STATE: 'Use a key that is Enabled (cancel a pending deletion, then enable the key), then deploy again.',
  SERVICE_KMS_NOT_FOUND: 'Check the key ARN, and that the key exists in the stream\'s region.',
  SERVICE_KMS_OPT_IN_REQUIRED: 'Subscribe the account to AWS KMS (ask AWS Support for a new account), then deploy again.',
  ACCESS_DENIED: 'Check the stream\'s name, account and region, and any permissions boundary or SCP.',
  DATA_STREAM_ENCRYPTION_NOT_APPLIED: 'Check the key (enabled, symmetric, usable by Kinesis for this stream) and the stream\'s CloudTrail events, then deploy again.',
  NO_SERVICE_RESPONSE: 'Check the handler\'s credentials (its execution role) and any AWS_ENDPOINT_URL_* variable of the function: the endpoint must resolve and be a URL.',
  UPDATE_UNDO_FAILED: 'Put the stream\'s encryption back by hand (or deploy again once the first cause is fixed).',
  THROTTLED: 'Deploy fewer stream encryptions at once, or raise timeout.',
  TIMED_OUT: 'Check the stream (aws firehose describe-delivery-stream); if it is only slow, raise timeout.',
  DATA_STREAM_TIMED_OUT: 'Check the stream (aws kinesis describe-stream-summary); if it is only slow, raise timeout.',
  UNEXPECTED_ERROR: 'Deploy again; if it persists, report it with the handler\'s log.',
};

/**
 * The `Reason` of a FAILED answer: `ID: message fix`, a failure it names
 * rendered the same way (a guard's reason, which the handler never raises, has
 * its message only).
 *
 * @param id - the reason.
 * @param params - values for its placeholders.
 */
export function formatReason(id: HandlerReasonId, params: ReasonParams = {}): string {
  return `${id}: ${fill(REASON_MESSAGES[id], params, reasonFor)} ${fill(REASON_FIXES[id], params, reasonFor)}`;
}

/** The `Reason` a FAILED answer gives for `failure`: its message and its fix ({@link formatReason}); a guard's reason, its message. */
export function reasonFor(failure: HandlerFailure): string {
  const id = failure.reasonId;
  return id in REASON_FIXES ? formatReason(id as HandlerReasonId, failure.params) : failure.message;
}
