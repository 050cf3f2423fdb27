/**
 * Errors as the AWS JSON 1.1 protocol carries them.
 *
 * A JSON 1.1 service answers an error with a non-2xx status, a body
 * `{"__type": "<Name>", "message": "…"}` and the header `x-amzn-errortype: <Name>`. The AWS SDK for
 * JavaScript v3 reads the name from `__type` first (then a `code` member, then the header) and
 * throws the modelled exception class of that name (`ResourceNotFoundException`, …), or the
 * service's base exception with `name` set for unmodelled errors (`ThrottlingException`,
 * `ValidationException`, …).
 *
 * @module
 */

import { JsonObject, JsonValue } from './json';

/**
 * Error names that are server faults. They are answered with HTTP 500 unless a status is given,
 * and the SDK treats them as transient (it retries them).
 */
export const SERVER_FAULT_ERROR_NAMES: ReadonlySet<string> = new Set([
  'InternalFailure',
  'InternalServerError',
  'InternalError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'KMSInternalException',
  'DependencyTimeoutException',
]);

/**
 * The HTTP status the local cloud uses for an error name: 500 for the server faults in
 * {@link SERVER_FAULT_ERROR_NAMES}, 400 for everything else (including `ThrottlingException`).
 */
export function defaultHttpStatus(errorName: string): number {
  return SERVER_FAULT_ERROR_NAMES.has(errorName) ? 500 : 400;
}

/** How a {@link ServiceError} is answered beyond its name and message. */
export interface ServiceErrorOptions {
  /** HTTP status. @defaultValue {@link defaultHttpStatus} of the name */
  readonly httpStatus?: number;
  /** Extra members of the error body, such as `code` of Firehose's `InvalidKMSResourceException`. */
  readonly fields?: Readonly<Record<string, JsonValue>>;
}

/**
 * An error that a service operation answers on the wire. Throw it from an operation handler;
 * anything else thrown becomes an HTTP 500 `InternalFailure`.
 */
export class ServiceError extends Error {
  /** The error's shape name, written to `__type` and `x-amzn-errortype`. */
  public readonly errorName: string;
  /** The HTTP status of the answer. */
  public readonly httpStatus: number;
  /** Extra members of the error body. */
  public readonly fields: Readonly<Record<string, JsonValue>>;

  /**
   * @param errorName - the error's shape name, e.g. `ResourceNotFoundException`
   * @param message - the human-readable `message`
   * @param options - status and extra body members
   */
  constructor(errorName: string, message: string, options: ServiceErrorOptions = {}) {
    super(message);
    this.name = 'ServiceError';
    this.errorName = errorName;
    this.httpStatus = options.httpStatus ?? defaultHttpStatus(errorName);
    this.fields = options.fields ?? {};
  }

  /** The JSON body of the answer. `__type` and `message` win over same-named extra fields. */
  public toBody(): JsonObject {
    return { ...this.fields, __type: this.errorName, message: this.message };
  }
}

/** Protocol-level errors that do not belong to one service. */
export const ProtocolErrors = {
  /** The body is not JSON, not an object, or a member has the wrong JSON type. */
  serialization(message: string): ServiceError {
    return new ServiceError('SerializationException', message);
  },
  /** The `X-Amz-Target` header is missing or names no known operation. */
  unknownOperation(target: string | undefined): ServiceError {
    return new ServiceError(
      'UnknownOperationException',
      target ? `Operation ${target} is not supported by this endpoint.` : 'Missing X-Amz-Target header: the operation to call is unknown.',
    );
  },
  /** The operation's token bucket is empty. */
  throttling(operation: string): ServiceError {
    return new ServiceError('ThrottlingException', `Rate exceeded for operation ${operation}.`);
  },
  /** An unexpected failure inside the local cloud itself. */
  internal(detail: string): ServiceError {
    return new ServiceError('InternalFailure', `The local cloud failed to process the request: ${detail}`);
  },
} as const;

/**
 * A control-API call was given arguments it cannot use (an unknown operation, a negative delay,
 * a stream that already exists, …). Over HTTP it is answered with status 400.
 */
export class ControlError extends Error {
  /**
   * @param message - what was wrong and how to call it instead
   */
  constructor(message: string) {
    super(message);
    this.name = 'ControlError';
  }
}
