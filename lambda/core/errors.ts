/**
 * Classification of errors thrown by the AWS SDK: which ones are worth a
 * retry, and how an error is described in a reason or a log line without
 * echoing raw responses, `$metadata` or request ids.
 */

/** The AWS operations the handler calls. */
export type Operation =
  | 'DescribeDeliveryStream'
  | 'StartDeliveryStreamEncryption'
  | 'StopDeliveryStreamEncryption'
  | 'DescribeStreamSummary'
  | 'StartStreamEncryption'
  | 'StopStreamEncryption'
  | 'DescribeKey'
  | 'ListTagsForDeliveryStream'
  | 'TagDeliveryStream'
  | 'UntagDeliveryStream'
  | 'ListTagsForStream'
  | 'AddTagsToStream'
  | 'RemoveTagsFromStream';

/**
 * The operations whose `LimitExceededException` can only be a rate limit: the
 * reads, and the removal of a tag.
 */
const RATE_LIMITED_OPERATIONS: ReadonlySet<Operation> = new Set([
  'DescribeDeliveryStream',
  'DescribeStreamSummary',
  'ListTagsForDeliveryStream',
  'UntagDeliveryStream',
  'ListTagsForStream',
  'RemoveTagsFromStream',
]);

/**
 * The operations that add a tag: their `LimitExceededException` is either the
 * rate limit ("Rate exceeded …") or the limit of 50 tags per stream.
 */
const TAGGING_OPERATIONS: ReadonlySet<Operation> = new Set(['TagDeliveryStream', 'AddTagsToStream']);

/** How AWS's access-denied messages say that a Deny statement (not a missing Allow) refused the request. */
const EXPLICIT_DENY = /\bwith an explicit deny\b/i;

/**
 * How to react to an error:
 * - `throttled`: the request rate is too high; back off and retry.
 * - `transient`: a server or network problem; back off and retry.
 * - `denied`: access denied, which a policy attached moments ago still
 *   answers until IAM has propagated it; retry for a while, then answer FAILED.
 * - `unreachable`: no answer from the service at all and none to come
 *   (no credentials, an endpoint that does not resolve or is not a URL);
 *   retry a few times at most, then answer FAILED.
 * - `fatal`: retrying cannot help; answer FAILED.
 */
export type ErrorClass = 'throttled' | 'transient' | 'denied' | 'unreachable' | 'fatal';

/** The parts of an error the handler looks at. */
export interface ErrorInfo {
  /** The error's name (the AWS error code for SDK service errors). */
  readonly name: string;
  /** The error's message, on one line and cut to a sane length. */
  readonly message: string;
  /** The HTTP status of the failed response, if there was one. */
  readonly httpStatusCode?: number;
  /** `client` or `server` for modelled SDK errors. */
  readonly fault?: string;
  /** Node's error code (`ENOTFOUND`, `ERR_INVALID_URL`, …), if any. */
  readonly code?: string;
}

/** Longest error message kept. */
const MAX_MESSAGE_LENGTH = 300;

/** Error names that mean "slow down", whatever the operation. */
const THROTTLING_NAMES: ReadonlySet<string> = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  // Kinesis: KMS throttled the request Kinesis made on the caller's behalf
  'KMSThrottlingException',
]);

/** Error names that mean "not allowed", which a policy attached moments ago may still answer. */
const DENIED_NAMES: ReadonlySet<string> = new Set([
  'AccessDeniedException',
  // Kinesis: KMS denied the request Kinesis made on the caller's behalf
  'KMSAccessDeniedException',
]);

/**
 * The KMS errors a Firehose `InvalidKMSResourceException` may wrap, by the
 * name KMS gives them without a prefix. Firehose "throws this exception when
 * an attempt to put records or to start or stop Firehose stream encryption
 * fails. This happens when the KMS service throws one of the following
 * exception types: AccessDeniedException, InvalidStateException,
 * DisabledException, or NotFoundException", and names which in the
 * exception's `code` member (Firehose API reference, StartDeliveryStreamEncryption,
 * Errors: https://docs.aws.amazon.com/firehose/latest/APIReference/API_StartDeliveryStreamEncryption.html;
 * the SDK's model has `code` on InvalidKMSResourceException);
 * `OptInRequired` is the one its `FailureDescription` types add
 * (`KMS_OPT_IN_REQUIRED`).
 */
export type WrappedKmsError = 'AccessDeniedException' | 'DisabledException' | 'NotFoundException' | 'InvalidStateException' | 'OptInRequired';

/**
 * A KMS error name in a `code` or message, however it is spelt: the page
 * gives no spelling of `code`, so `KMS.AccessDeniedException`,
 * `AccessDeniedException`, `KMSAccessDeniedException` and
 * `KMS.KMSInvalidStateException` are all read (the harsher reading).
 */
const KMS_ERROR_NAME = /\b(?:KMS\.)?(?:KMS)?(AccessDenied|Disabled|NotFound|InvalidState)Exception\b|\b(?:KMS\.)?(?:KMS)?(OptInRequired)\b/;

/** IAM's wording of a denied KMS request, for a message without a KMS error name. */
const KMS_NOT_AUTHORIZED = /\bnot authorized to perform:? kms:/i;

/**
 * The KMS error a Firehose `InvalidKMSResourceException` wraps: named by its
 * `code`, or (when Firehose sends no code) by its message; `undefined` for
 * any other error, or when neither names one.
 */
export function wrappedKmsError(err: unknown): WrappedKmsError | undefined {
  const { name, code, message } = errorInfo(err);
  if (name !== 'InvalidKMSResourceException') {
    return undefined;
  }
  for (const text of [code, message]) {
    const match = text === undefined ? null : KMS_ERROR_NAME.exec(text);
    if (match) {
      return (match[1] ? `${match[1]}Exception` : match[2]) as WrappedKmsError;
    }
  }
  return KMS_NOT_AUTHORIZED.test(message) ? 'AccessDeniedException' : undefined;
}

/**
 * Error names and codes, without an HTTP status, that no retry within a
 * deployment cures: the SDK found no credentials, or the endpoint does not
 * resolve or is not a URL.
 */
const UNREACHABLE_NAMES: ReadonlySet<string> = new Set([
  'CredentialsProviderError',
  'ProviderError',
  'TokenProviderError',
  'ENOTFOUND',
  'ERR_INVALID_URL',
  'ERR_INVALID_PROTOCOL',
]);

/** Error names that mean "try again later". */
const TRANSIENT_NAMES: ReadonlySet<string> = new Set([
  'ResourceInUseException',
  'ServiceUnavailableException',
  'InternalFailure',
  'KMSInternalException',
  'DependencyTimeoutException',
  'RequestTimeout',
  'TimeoutError',
  'AbortError',
]);

/** Extract name, message, HTTP status and fault from anything thrown. */
export function errorInfo(err: unknown): ErrorInfo {
  if (typeof err !== 'object' || err === null) {
    return { name: 'Error', message: oneLine(String(err)) };
  }
  const record = err as { name?: unknown; message?: unknown; code?: unknown; $fault?: unknown; $metadata?: { httpStatusCode?: unknown } };
  const name = typeof record.name === 'string' && record.name !== 'Error' ? record.name
    : typeof record.code === 'string' ? record.code
      : 'Error';
  const message = typeof record.message === 'string' ? oneLine(record.message) : '';
  const status = record.$metadata?.httpStatusCode;
  return {
    name,
    message,
    httpStatusCode: typeof status === 'number' ? status : undefined,
    fault: typeof record.$fault === 'string' ? record.$fault : undefined,
    code: typeof record.code === 'string' ? record.code : undefined,
  };
}

/** Collapse whitespace and cut a message to {@link MAX_MESSAGE_LENGTH}. */
function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > MAX_MESSAGE_LENGTH ? `${flat.slice(0, MAX_MESSAGE_LENGTH)}…` : flat;
}

/**
 * `name: message` (or just the name), for reasons and logs; a service error
 * that carries a `code` of its own (Firehose's `InvalidKMSResourceException`
 * names the KMS error it wraps so) shows it as `name (code)`. Never includes
 * the SDK's `$metadata`, request ids or the raw response.
 */
export function describeError(err: unknown): string {
  const info = errorInfo(err);
  const label = info.fault !== undefined && info.code !== undefined && info.code !== info.name ? `${info.name} (${oneLine(info.code)})` : info.name;
  return info.message && info.message !== info.name ? `${label}: ${info.message}` : label;
}

/**
 * Decide whether an error from `operation` is worth a retry.
 *
 * `LimitExceededException` is the rate limit of the reads (Describe, list
 * tags) and of untagging (throttled), and of any call whose message says
 * "Rate exceeded" (Kinesis answers its control-plane rate limit so, on Start
 * and Stop too); otherwise, on Start/Stop it is the limit of 25 calls
 * (Firehose) or key applications (Kinesis) per day (fatal), and on tagging
 * it is throttling only when its message speaks of a rate (otherwise the
 * stream has its 50 tags). Access denied is `denied`, and so is a Firehose
 * `InvalidKMSResourceException` that wraps KMS's `AccessDeniedException`
 * (Firehose creates its grant on the key with the caller's permissions, which
 * IAM may not yet have put in force), unless its message says an explicit
 * deny refused it (`fatal`: no propagation will lift it); the other KMS errors
 * (a disabled, missing or unusable key) are fatal. An error without an
 * HTTP status is `unreachable` when it says there are no credentials or no
 * usable endpoint, otherwise a network problem (transient), and so is any
 * 5xx; other errors (4xx) are fatal.
 */
export function classifyError(err: unknown, operation: Operation): ErrorClass {
  const { name, message, httpStatusCode: status, fault, code } = errorInfo(err);
  if (DENIED_NAMES.has(name) || wrappedKmsError(err) === 'AccessDeniedException') {
    // A policy still propagating is not yet in force: an implicit deny. An explicit deny (a Deny
    // statement, or an organization's service control policy) is in force and stays: AWS names
    // it in the message ("... with an explicit deny in a service control policy", IAM User Guide,
    // "Troubleshoot access denied error messages").
    return EXPLICIT_DENY.test(message) ? 'fatal' : 'denied';
  }
  if (name === 'LimitExceededException') {
    const rateLimited = RATE_LIMITED_OPERATIONS.has(operation)
      || /\brate exceeded\b/i.test(message)
      || (TAGGING_OPERATIONS.has(operation) && /\brate\b/i.test(message));
    return rateLimited ? 'throttled' : 'fatal';
  }
  if (THROTTLING_NAMES.has(name) || status === 429) {
    return 'throttled';
  }
  // A modelled client error (`$fault: client`) is final even when no status is known.
  const network = status === undefined && fault !== 'client';
  if (network && (UNREACHABLE_NAMES.has(name) || (code !== undefined && UNREACHABLE_NAMES.has(code)))) {
    return 'unreachable';
  }
  return TRANSIENT_NAMES.has(name) || fault === 'server' || network || (status ?? 0) >= 500 ? 'transient' : 'fatal';
}
