/**
 * The catalogue of every reason the handler can give CloudFormation with a
 * FAILED answer.
 *
 * Each entry has a stable id (printed at the start of the `Reason`, and the key
 * of the troubleshooting table in docs/troubleshooting.md), a message template saying what
 * happened and the fix a user should apply. Templates use `{name}`
 * placeholders, filled by {@link formatReason}.
 */

/** One entry of the reason catalogue. */
export interface ReasonEntry {
  /** Stable identifier, printed at the start of every FAILED reason. */
  readonly id: string;
  /** What happened; `{name}` placeholders are filled from the failure's parameters. */
  readonly message: string;
  /** What the user should do about it. */
  readonly fix: string;
}

/** The catalogue, in the order the handler's checks run. */
export const REASON_CATALOGUE = [
  {
    id: 'REQUEST_EXPIRED',
    message: 'The request was signed {ageSeconds} s ago, past the resource\'s ServiceTimeout of {timeoutSeconds} s: CloudFormation no longer waits for it, so the handler did not act on it.',
    fix: 'Nothing to do for this request; if requests reach the handler late, find what delays them (throttled or queued invocations).',
  },
  {
    id: 'INVALID_REQUEST_TYPE',
    message: "Request type '{requestType}' is not Create, Update or Delete.",
    fix: 'Invoke the handler only through its Custom::DeliveryStreamEncryption and Custom::DataStreamEncryption resources.',
  },
  {
    id: 'INVALID_PROPERTY',
    message: 'Resource property {property} {problem}.',
    fix: 'Let the {construct} construct write the properties, from the same library version as the handler.',
  },
  {
    id: 'INVALID_STREAM_NAME',
    message: "DeliveryStreamName '{value}' is not a delivery stream name.",
    fix: 'Pass the stream\'s name (1 to 64 of a-z, A-Z, 0-9, _ . -), not its ARN.',
  },
  {
    id: 'KEY_ARN_REQUIRED',
    message: 'KeyType CUSTOMER_MANAGED_CMK needs a KeyArn.',
    fix: 'Pass StreamEncryption.customerManagedKey(key), or use StreamEncryption.awsOwnedKey().',
  },
  {
    id: 'KEY_ARN_NOT_ALLOWED',
    message: "KeyArn '{value}' was given with KeyType AWS_OWNED_CMK.",
    fix: 'Use StreamEncryption.customerManagedKey(key) for a key, or StreamEncryption.awsOwnedKey() without one.',
  },
  {
    id: 'INVALID_KEY_ARN',
    message: "KeyArn '{value}' is not a KMS key or alias ARN.",
    fix: 'Pass the key\'s full ARN (key.keyArn), not its id or alias name.',
  },
  {
    id: 'ARN_OTHER_PARTITION',
    message: "{property} '{value}' is in partition {partition}, but the stack is in {stackPartition}.",
    fix: 'Use a key and stream of the stack\'s own partition; KMS keys and streams cannot be used across partitions.',
  },
  {
    id: 'INVALID_DATA_STREAM_NAME',
    message: "StreamName '{value}' is not a Kinesis data stream name.",
    fix: 'Pass the stream\'s name (1 to 128 of a-z, A-Z, 0-9, _ . -), not its ARN.',
  },
  {
    id: 'INVALID_DATA_STREAM_ARN',
    message: "StreamArn '{value}' is not the ARN of the Kinesis data stream {stream}.",
    fix: 'Let the DataStreamEncryption construct write StreamName and StreamArn from the same stream.',
  },
  {
    id: 'INVALID_KEY_ID',
    message: "KeyId '{value}' is neither a KMS key ARN nor alias/aws/kinesis.",
    fix: 'Pass the key\'s full ARN (key.keyArn), not its id or an alias, or use StreamEncryption.MANAGED.',
  },
  {
    id: 'STREAM_NOT_FOUND',
    message: 'Delivery stream {stream} does not exist in this account and region.',
    fix: 'Check the name, account and region; if the stream is created in the same deployment, depend on it.',
  },
  {
    id: 'STREAM_DELETING_FAILED',
    message: 'Delivery stream {stream} is DELETING_FAILED: Firehose could not delete it, and its encryption cannot change.',
    fix: 'Fix the cause in the stream\'s FailureDescription (aws firehose describe-delivery-stream) and delete the stream again, or delete this resource with removalPolicy RETAIN.',
  },
  {
    id: 'STREAM_DELETED',
    message: 'Delivery stream {stream} was deleted while its encryption was changing.',
    fix: 'Find what deletes the stream, then deploy again.',
  },
  {
    id: 'STREAM_NOT_ACTIVE',
    message: 'Delivery stream {stream} is {status}.',
    fix: 'Deploy again once the stream is ACTIVE; recreate a stream that is CREATING_FAILED or DELETING_FAILED.',
  },
  {
    id: 'NOT_DIRECT_PUT',
    message: 'SSE needs a DirectPut stream: {stream} reads from {type}.',
    fix: 'Encrypt the source instead (for a Kinesis data stream, use DataStreamEncryption).',
  },
  {
    id: 'KEY_NOT_FOUND',
    message: 'KMS key {key} was not found ({error}).',
    fix: 'Check the key ARN, and that the key exists in the stream\'s region.',
  },
  {
    id: 'KEY_ACCESS_DENIED',
    message: 'The handler may not call kms:DescribeKey on {key} ({error}); denied for {retriedSeconds} s, retried for up to {windowSeconds} s while IAM propagates a new policy.',
    fix: 'Allow the handler\'s role kms:DescribeKey and kms:CreateGrant in the key policy.',
  },
  {
    id: 'KEY_NOT_ENABLED',
    message: 'KMS key {key} is {state}, not Enabled.',
    fix: 'Enable the key (or cancel its deletion), then deploy again.',
  },
  {
    id: 'KEY_WRONG_USAGE',
    message: 'KMS key {key} has key usage {usage}, not ENCRYPT_DECRYPT.',
    fix: 'Use a symmetric encryption key (SYMMETRIC_DEFAULT, ENCRYPT_DECRYPT).',
  },
  {
    id: 'KEY_NOT_SYMMETRIC',
    message: 'KMS key {key} has key spec {spec}, not SYMMETRIC_DEFAULT.',
    fix: 'Use a symmetric encryption key (SYMMETRIC_DEFAULT, ENCRYPT_DECRYPT).',
  },
  {
    id: 'ENABLING_FAILED',
    message: 'Firehose could not enable encryption of {stream}: {failure}.',
    fix: 'Fix that cause (often a disabled key, or a key policy that denies Firehose a grant), then deploy again.',
  },
  {
    id: 'DISABLING_FAILED',
    message: 'Firehose could not disable encryption of {stream}: {failure}.',
    fix: 'Fix that cause (often a disabled key), then retry, or use removalPolicy RETAIN.',
  },
  {
    id: 'CALL_LIMIT_EXCEEDED',
    message: 'Firehose refused {operation} on {stream}: limit exceeded ({error}).',
    fix: 'Start and Stop share 25 calls per stream per 24 hours, and a key encrypts at most 500 streams: wait, or use another key.',
  },
  {
    id: 'INVALID_ARGUMENT',
    message: 'Firehose rejected {operation} on {stream} ({error}).',
    fix: 'Check that the stream is DirectPut and the key is symmetric and in the stream\'s region.',
  },
  {
    id: 'INVALID_KMS_RESOURCE',
    message: 'Firehose could not use the KMS key for {stream} ({error}).',
    fix: 'Make sure the key is enabled and symmetric, and its policy lets the handler\'s role call kms:CreateGrant.',
  },
  {
    id: 'FIREHOSE_KMS_ACCESS_DENIED',
    message: 'Firehose may not create its grant on KMS key {key} for {stream} with the handler\'s permissions ({error}); denied for {retriedSeconds} s, retried for up to {windowSeconds} s while IAM propagates a new policy.',
    fix: 'Let the handler\'s role call kms:CreateGrant on the key (its IAM policy and the key policy), and check any SCP or permissions boundary.',
  },
  {
    id: 'FIREHOSE_KMS_DISABLED',
    message: 'Firehose cannot use KMS key {key} for {stream}: the key is disabled ({error}).',
    fix: 'Enable the key, then deploy again.',
  },
  {
    id: 'FIREHOSE_KMS_INVALID_STATE',
    message: 'Firehose cannot use KMS key {key} for {stream} in its current state ({error}).',
    fix: 'Use a key that is Enabled (cancel a pending deletion, then enable the key), then deploy again.',
  },
  {
    id: 'FIREHOSE_KMS_NOT_FOUND',
    message: 'Firehose cannot find KMS key {key} for {stream} ({error}).',
    fix: 'Check the key ARN, and that the key exists in the stream\'s region.',
  },
  {
    id: 'FIREHOSE_KMS_OPT_IN_REQUIRED',
    message: 'Firehose cannot use KMS key {key} for {stream}: the account is not subscribed to AWS KMS ({error}).',
    fix: 'Subscribe the account to AWS KMS (ask AWS Support for a new account), then deploy again.',
  },
  {
    id: 'ACCESS_DENIED',
    message: 'The handler may not call {operation} on {stream} ({error}); denied for {retriedSeconds} s, retried for up to {windowSeconds} s while IAM propagates a new policy.',
    fix: 'Check the stream\'s name, account and region, and any permissions boundary or SCP.',
  },
  {
    id: 'DATA_STREAM_NOT_FOUND',
    message: 'Kinesis data stream {stream} does not exist in this account and region.',
    fix: 'Check the stream ARN; if the stream is created in the same deployment, depend on it.',
  },
  {
    id: 'DATA_STREAM_DELETED',
    message: 'Kinesis data stream {stream} was deleted while its encryption was changing.',
    fix: 'Find what deletes the stream, then deploy again.',
  },
  {
    id: 'DATA_STREAM_NOT_ACTIVE',
    message: 'Kinesis data stream {stream} is {status}.',
    fix: 'Deploy again once the stream is ACTIVE; a stream that is DELETING cannot be encrypted.',
  },
  {
    id: 'KINESIS_KEY_ACCESS_DENIED',
    message: 'The handler may not call kms:DescribeKey on {key} ({error}); denied for {retriedSeconds} s, retried for up to {windowSeconds} s while IAM propagates a new policy.',
    fix: 'Allow the handler\'s role kms:DescribeKey, and kms:GenerateDataKey through Kinesis, in the key policy.',
  },
  {
    id: 'KINESIS_KMS_DISABLED',
    message: 'Kinesis cannot use KMS key {key} for {stream}: the key is disabled ({error}).',
    fix: 'Enable the key, then deploy again.',
  },
  {
    id: 'KINESIS_KMS_INVALID_STATE',
    message: 'Kinesis cannot use KMS key {key} for {stream} in its current state ({error}).',
    fix: 'Use a key that is Enabled (cancel a pending deletion, then enable the key), then deploy again.',
  },
  {
    id: 'KINESIS_KMS_ACCESS_DENIED',
    message: 'Kinesis may not use KMS key {key} for {stream} on the handler\'s behalf ({error}); denied for {retriedSeconds} s, retried for up to {windowSeconds} s while IAM propagates a new policy.',
    fix: 'Let the handler\'s role call kms:GenerateDataKey on the key through Kinesis in the key policy, and check any SCP or permissions boundary.',
  },
  {
    id: 'KINESIS_KMS_NOT_FOUND',
    message: 'Kinesis cannot find KMS key {key} for {stream} ({error}).',
    fix: 'Check the key ARN, and that the key exists in the stream\'s region.',
  },
  {
    id: 'KINESIS_KMS_OPT_IN_REQUIRED',
    message: 'Kinesis cannot use KMS key {key} for {stream}: the account is not subscribed to AWS KMS ({error}).',
    fix: 'Subscribe the account to AWS KMS (ask AWS Support for a new account), then deploy again.',
  },
  {
    id: 'DATA_STREAM_CALL_LIMIT_EXCEEDED',
    message: 'Kinesis refused {operation} on {stream}: limit exceeded ({error}).',
    fix: 'Kinesis applies a new key to a stream at most 25 times in a rolling 24 hours: wait, then deploy again.',
  },
  {
    id: 'DATA_STREAM_INVALID_ARGUMENT',
    message: 'Kinesis rejected {operation} on {stream} ({error}).',
    fix: 'Check the stream name and ARN, and that the key is a symmetric encryption key in the stream\'s region.',
  },
  {
    id: 'DATA_STREAM_ENCRYPTION_NOT_APPLIED',
    message: 'Kinesis data stream {stream} went back to ACTIVE after {operation} without the wanted encryption: {status}.',
    fix: 'Check the key (enabled, symmetric, usable by Kinesis for this stream) and the stream\'s CloudTrail events, then deploy again.',
  },
  {
    id: 'NO_SERVICE_RESPONSE',
    message: '{operation} for {stream} got no answer from the service ({error}).',
    fix: 'Check the handler\'s credentials (its execution role) and any AWS_ENDPOINT_URL_* variable of the function: the endpoint must resolve and be a URL.',
  },
  {
    id: 'UPDATE_UNDO_FAILED',
    message: '{failure} Putting {stream} back to its encryption before this update ({prior}) failed too: {undoFailure} The stream is now: {state}.',
    fix: 'Put the stream\'s encryption back by hand (or deploy again once the first cause is fixed).',
  },
  {
    id: 'THROTTLED',
    message: '{operation} for {stream} was throttled until the deadline ({seconds} s; {error}).',
    fix: 'Deploy fewer stream encryptions at once, or raise timeout.',
  },
  {
    id: 'TIMED_OUT',
    message: 'Delivery stream {stream} is still {state} after {seconds} s; last status: {lastStatus}.',
    fix: 'Check the stream (aws firehose describe-delivery-stream); if it is only slow, raise timeout.',
  },
  {
    id: 'DATA_STREAM_TIMED_OUT',
    message: 'Kinesis data stream {stream} is still {state} after {seconds} s; last status: {lastStatus}.',
    fix: 'Check the stream (aws kinesis describe-stream-summary); if it is only slow, raise timeout.',
  },
  {
    id: 'REPAIR_CAP_REACHED',
    message: 'The guard has repaired {stream} {count} times today (UTC), its cap of {max} per day; it did not call Start, to keep the stream\'s 25 Start/Stop calls per 24 h for the stack.',
    fix: 'Find who turns the encryption off (CloudTrail: {eventName} by {caller}) and stop it, then re-encrypt by redeploying, or wait for the next UTC day; raise maxRepairsPerStreamPerDay only if the stream has calls to spare.',
  },
  {
    id: 'INVALID_REPAIR_INPUT',
    message: 'The guard was invoked with an input it cannot read: {problem}.',
    fix: 'Invoke the guard only through the EventBridge rules of its StreamEncryptionGuard, from the same library version as its function.',
  },
  {
    id: 'UNEXPECTED_ERROR',
    message: 'Unexpected error in {operation}: {error}.',
    fix: 'Deploy again; if it persists, report it with the handler\'s log.',
  },
] as const satisfies ReadonlyArray<ReasonEntry>;

/** The id of a catalogue entry. */
export type ReasonId = (typeof REASON_CATALOGUE)[number]['id'];

/** Parameters filling a template's `{name}` placeholders. */
export type ReasonParams = Readonly<Record<string, string | number>>;

/** The catalogue keyed by id. */
export const REASONS: Readonly<Record<ReasonId, ReasonEntry>> = Object.fromEntries(
  REASON_CATALOGUE.map((entry) => [entry.id, entry]),
) as Record<ReasonId, ReasonEntry>;

/**
 * Fill `{name}` placeholders from `params` in a single pass, so that a value
 * containing braces is never expanded again. A placeholder without a value is
 * shown as `?`.
 */
function fill(template: string, params: ReasonParams): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params[name];
    return value === undefined ? '?' : String(value);
  });
}

/**
 * Render the FAILED reason for a catalogue entry: `ID: message fix`.
 *
 * @param id - the catalogue entry.
 * @param params - values for the entry's placeholders.
 */
export function formatReason(id: ReasonId, params: ReasonParams = {}): string {
  const entry = REASONS[id];
  return `${id}: ${fill(entry.message, params)} ${fill(entry.fix, params)}`;
}

/**
 * A failure that ends the request with a FAILED answer. Thrown inside the
 * handler and turned into the response `Reason` at the top.
 */
export class HandlerFailure extends Error {
  /**
   * @param reasonId - the catalogue entry explaining the failure.
   * @param params - values for the entry's placeholders.
   */
  constructor(readonly reasonId: ReasonId, readonly params: ReasonParams = {}) {
    super(formatReason(reasonId, params));
    this.name = 'HandlerFailure';
  }
}
