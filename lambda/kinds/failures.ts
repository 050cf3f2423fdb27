/**
 * The error mapping every kind of stream shares: which catalogue reason a
 * non-retryable error of a call is. A kind only says how its service is named,
 * which KMS call it makes with the handler's permissions, and how its service
 * reports an error KMS gave it.
 */
import { describeError, errorInfo, Operation, WrappedKmsError } from '../core/errors';
import { HandlerFailure, HandlerReasonId } from '../core/reasons';
import type { DriverSession, ServiceTypes } from '../core/session';

/** What a kind adds to the shared error mapping. */
export interface KindFailures<T extends ServiceTypes> {
  /** The service, as the reasons name it: `Firehose`, `Kinesis`. */
  readonly service: string;
  /** The KMS call the service makes with the handler's permissions to encrypt a stream. */
  readonly kmsAction: string;
  /** The key the goal names, if any. */
  key(goal: T['goal']): string | undefined;
  /**
   * The KMS error the service met on the caller's behalf, that `err` reports:
   * `null` when `err` is a KMS error that names none, `undefined` when it is
   * no KMS error.
   */
  kmsError(err: unknown): WrappedKmsError | null | undefined;
}

/**
 * The reasons of the KMS errors a service meets using the key with the
 * handler's permissions. Access denied comes here only once the IAM
 * propagation window or the deadline has passed: until then it is retried.
 */
const KMS_REASONS: Readonly<Record<WrappedKmsError, HandlerReasonId>> = {
  AccessDeniedException: 'SERVICE_KMS_ACCESS_DENIED',
  DisabledException: 'SERVICE_KMS_DISABLED',
  InvalidStateException: 'SERVICE_KMS_INVALID_STATE',
  NotFoundException: 'SERVICE_KMS_NOT_FOUND',
  OptInRequired: 'SERVICE_KMS_OPT_IN_REQUIRED',
};

/** Map a non-retryable error of `operation` to its catalogue reason. */
export function streamFailure<T extends ServiceTypes & { readonly memory: { readonly streamSeen_: boolean } }>(
  kind: KindFailures<T>, err: unknown, operation: Operation, session: DriverSession<T>,
): HandlerFailure {
  if (err instanceof HandlerFailure) {
    return err;
  }
  // Every reason takes what it names from these: the service, the stream, the key, the call and the error.
  const params = {
    service: kind.service,
    kmsAction: kind.kmsAction,
    stream: session.goal.streamName,
    key: kind.key(session.goal) ?? '?',
    operation,
    error: describeError(err),
  };
  const denied = { ...params, ...session.deniedParams() };
  const kms = kind.kmsError(err);
  if (kms !== undefined) {
    return new HandlerFailure(kms === null ? 'INVALID_KMS_RESOURCE' : KMS_REASONS[kms], denied);
  }
  switch (errorInfo(err).name) {
    case 'LimitExceededException':
      return new HandlerFailure('CALL_LIMIT_EXCEEDED', params);
    case 'InvalidArgumentException':
    case 'ValidationException':
      return new HandlerFailure('INVALID_ARGUMENT', params);
    case 'ResourceNotFoundException':
      return new HandlerFailure(session.memory.streamSeen_ ? 'STREAM_DELETED' : 'STREAM_NOT_FOUND', params);
    case 'NotFoundException':
    case 'InvalidArnException':
      if (operation === 'DescribeKey') {
        return new HandlerFailure('KEY_NOT_FOUND', params);
      }
      break;
    case 'AccessDeniedException':
      return new HandlerFailure(operation === 'DescribeKey' ? 'KEY_ACCESS_DENIED' : 'ACCESS_DENIED', denied);
  }
  return new HandlerFailure('UNEXPECTED_ERROR', params);
}
