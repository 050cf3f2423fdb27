/**
 * The reasons the handler and the guard can fail with: each has a stable id
 * (printed at the start of the `Reason`, and the key of the troubleshooting
 * table in docs/troubleshooting.md) and a message template saying what
 * happened. Templates use `{name}` placeholders, filled from the failure's
 * parameters.
 *
 * The fix of each reason, what a user should do about it, is in
 * `fixes.ts`: only a FAILED answer to CloudFormation carries it, so only the
 * handler's response path imports it (the guard's asset has no fix texts).
 * `catalogue.ts` joins both for the documentation.
 */

/** What happened, per reason id, in the order the handler's checks run. */
export const REASON_MESSAGES = {
  REQUEST_EXPIRED: 'The request was signed {ageSeconds} s ago, past the resource\'s ServiceTimeout of {timeoutSeconds} s: CloudFormation no longer waits for it, so the handler did not act on it.',
  INVALID_REQUEST_TYPE: "Request type '{requestType}' is not Create, Update or Delete.",
  INVALID_PROPERTY: 'Resource property {property} {problem}.',
  ARN_OTHER_PARTITION: "{property} '{value}' is in partition {partition}, but the stack is in {stackPartition}.",
  STREAM_NOT_FOUND: '{service} stream {stream} does not exist in this account and region.',
  STREAM_DELETING_FAILED: 'Delivery stream {stream} is DELETING_FAILED: Firehose could not delete it, and its encryption cannot change.',
  STREAM_DELETED: '{service} stream {stream} was deleted while its encryption was changing.',
  STREAM_NOT_ACTIVE: '{service} stream {stream} is {status}.',
  NOT_DIRECT_PUT: 'SSE needs a DirectPut stream: {stream} reads from {type}.',
  KEY_NOT_FOUND: 'KMS key {key} was not found ({error}).',
  KEY_ACCESS_DENIED: 'The handler may not call kms:DescribeKey on {key} for {service} stream {stream} ({error}); denied for {retriedSeconds} s, retried for up to {windowSeconds} s while IAM propagates a new policy.',
  KEY_NOT_ENABLED: 'KMS key {key} is {state}, not Enabled.',
  KEY_WRONG_USAGE: 'KMS key {key} has key usage {usage}, not ENCRYPT_DECRYPT.',
  KEY_NOT_SYMMETRIC: 'KMS key {key} has key spec {spec}, not SYMMETRIC_DEFAULT.',
  ENABLING_FAILED: 'Firehose could not enable encryption of {stream}: {failure}.',
  DISABLING_FAILED: 'Firehose could not disable encryption of {stream}: {failure}.',
  CALL_LIMIT_EXCEEDED: '{service} refused {operation} on {stream}: limit exceeded ({error}).',
  INVALID_ARGUMENT: '{service} rejected {operation} on {stream} ({error}).',
  INVALID_KMS_RESOURCE: 'Firehose could not use the KMS key for {stream} ({error}).',
  SERVICE_KMS_ACCESS_DENIED: '{service} may not use KMS key {key} for {stream} with the handler\'s permissions ({error}); denied for {retriedSeconds} s, retried for up to {windowSeconds} s while IAM propagates a new policy.',
  SERVICE_KMS_DISABLED: '{service} cannot use KMS key {key} for {stream}: the key is disabled ({error}).',
  SERVICE_KMS_INVALID_STATE: '{service} cannot use KMS key {key} for {stream} in its current state ({error}).',
  SERVICE_KMS_NOT_FOUND: '{service} cannot find KMS key {key} for {stream} ({error}).',
  SERVICE_KMS_OPT_IN_REQUIRED: '{service} cannot use KMS key {key} for {stream}: the account is not subscribed to AWS KMS ({error}).',
  ACCESS_DENIED: 'The handler may not call {operation} on {stream} ({error}); denied for {retriedSeconds} s, retried for up to {windowSeconds} s while IAM propagates a new policy.',
  DATA_STREAM_ENCRYPTION_NOT_APPLIED: 'Kinesis data stream {stream} went back to ACTIVE after {operation} without the wanted encryption: {status}.',
  NO_SERVICE_RESPONSE: '{operation} for {stream} got no answer from the service ({error}).',
  UPDATE_UNDO_FAILED: '{failure} Putting {stream} back to its encryption before this update ({prior}) failed too: {undoFailure} The stream is now: {state}.',
  THROTTLED: '{operation} for {stream} was throttled until the deadline ({seconds} s; {error}).',
  TIMED_OUT: 'Delivery stream {stream} is still {state} after {seconds} s; last status: {lastStatus}.',
  DATA_STREAM_TIMED_OUT: 'Kinesis data stream {stream} is still {state} after {seconds} s; last status: {lastStatus}.',
  UNEXPECTED_ERROR: 'Unexpected error in {operation}: {error}.',
} as const;

/** The reasons the handler can answer CloudFormation with. */
export type HandlerReasonId = keyof typeof REASON_MESSAGES;

/**
 * The reasons only the guard fails with: it answers no CloudFormation, and
 * alerts with the message. Their messages are the guard's own
 * (`guard/reasons.ts`), so the handler's asset does not carry them.
 */
export type GuardReasonId = 'REPAIR_CAP_REACHED' | 'INVALID_REPAIR_INPUT';

/** The id of a reason. */
export type ReasonId = HandlerReasonId | GuardReasonId;

/** One parameter of a reason: a value, or a failure it names (a nested reason). */
export type ReasonParam = string | number | HandlerFailure;

/** Parameters filling a template's `{name}` placeholders. */
export type ReasonParams = Readonly<Record<string, ReasonParam>>;

/**
 * Fill `{name}` placeholders from `params` in a single pass, so that a value
 * containing braces is never expanded again. A placeholder without a value is
 * shown as `?`; a failure is shown with `nested`.
 *
 * @param template - the template.
 * @param params - values for its placeholders.
 * @param nested - how a failure given as a value is shown.
 */
export function fill(template: string, params: ReasonParams, nested: (failure: HandlerFailure) => string): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params[name];
    return value === undefined ? '?' : value instanceof HandlerFailure ? nested(value) : String(value);
  });
}

/**
 * A failure that ends the request with a FAILED answer. Thrown inside the
 * handler and the guard; its `message` is `ID: message`, and the handler's
 * response path adds the fix (`fixes.ts`) to the `Reason` it answers.
 */
export class HandlerFailure extends Error {
  /**
   * @param reasonId - the reason explaining the failure.
   * @param params - values for the reason's placeholders.
   * @param messages - the table the reason's message is in (the guard's own reasons are in the guard's).
   */
  constructor(reasonId: HandlerReasonId, params?: ReasonParams);
  constructor(reasonId: GuardReasonId, params: ReasonParams, messages: Readonly<Record<GuardReasonId, string>>);
  constructor(readonly reasonId: ReasonId, readonly params: ReasonParams = {}, messages: Readonly<Record<string, string>> = REASON_MESSAGES) {
    super(`${reasonId}: ${fill(messages[reasonId], params, (failure) => failure.message)}`);
    this.name = 'HandlerFailure';
  }
}
