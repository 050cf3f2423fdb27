/**
 * Injected faults: "answer the next N calls of this operation with this error", either instead of
 * acting (the default) or after acting (`applyThenFail`: the call takes effect, and the caller
 * still sees the error, as when an answer is lost after the service acted).
 *
 * @module
 */

import { defaultHttpStatus } from './errors';

/** Options of an injected fault. */
export interface FaultOptions {
  /** How many calls it answers. @defaultValue 1 */
  readonly count?: number;
  /** The error's `message`. @defaultValue a message naming the injected fault */
  readonly message?: string;
  /** The HTTP status. @defaultValue 500 for server faults, else 400 (see `defaultHttpStatus`) */
  readonly httpStatus?: number;
  /**
   * Only calls naming this resource (delivery stream name, or KMS key id as given) are answered
   * with the fault; others pass. @defaultValue every call of the operation
   */
  readonly resource?: string;
  /**
   * Run the call as usual first (rate limit, validation, authorization, the operation itself) and
   * answer the error only after the operation took effect; a call that fails by itself answers its
   * own error. Such a call counts as accepted (it took effect), with the injected error's name and
   * status. @defaultValue false: the error is answered instead of acting
   */
  readonly applyThenFail?: boolean;
}

/** A fault waiting for its calls. */
export interface PendingFault {
  /** Canonical operation id. */
  readonly operation: string;
  readonly errorName: string;
  readonly message: string;
  readonly httpStatus: number;
  readonly resource?: string;
  /** The call takes effect before the error is answered (see {@link FaultOptions.applyThenFail}). */
  readonly applyThenFail: boolean;
  /** Calls it will still answer. */
  remaining: number;
}

/** What an error shape name looks like. */
const ERROR_NAME = /^[A-Za-z][A-Za-z0-9_.]*$/;

/** Holds injected faults, first in, first out per operation. */
export class FaultInjector {
  private readonly pending: PendingFault[] = [];

  /**
   * Queues a fault.
   *
   * @param operationId - canonical operation id
   * @param errorName - the error shape name to answer, e.g. `ServiceUnavailableException`
   * @param options - count, message, status and resource filter
   */
  public add(operationId: string, errorName: string, options: FaultOptions = {}): PendingFault {
    if (!ERROR_NAME.test(errorName)) {
      throw new RangeError(`errorName must be an error shape name like ServiceUnavailableException, got '${errorName}'`);
    }
    const count = options.count ?? 1;
    if (!Number.isInteger(count) || count < 1) {
      throw new RangeError(`count must be an integer >= 1, got ${count}`);
    }
    const httpStatus = options.httpStatus ?? defaultHttpStatus(errorName);
    if (!Number.isInteger(httpStatus) || httpStatus < 400 || httpStatus > 599) {
      throw new RangeError(`httpStatus must be an HTTP error status (400-599), got ${httpStatus}`);
    }
    const fault: PendingFault = {
      operation: operationId,
      errorName,
      message: options.message ?? `Injected fault: ${errorName} for ${operationId}.`,
      httpStatus,
      resource: options.resource,
      applyThenFail: options.applyThenFail === true,
      remaining: count,
    };
    this.pending.push(fault);
    return fault;
  }

  /**
   * Consumes one use of the first fault that matches a call, if any.
   *
   * @param operationId - the call's canonical operation id
   * @param resource - the resource the call names, if any
   */
  public take(operationId: string, resource: string | undefined): PendingFault | undefined {
    const index = this.pending.findIndex((f) => f.operation === operationId && (f.resource === undefined || f.resource === resource));
    if (index < 0) return undefined;
    const fault = this.pending[index];
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.pending.splice(index, 1);
    return { ...fault };
  }

  /** Copies of the faults still pending. */
  public list(): PendingFault[] {
    return this.pending.map((f) => ({ ...f }));
  }

  /** Drops every pending fault. */
  public clear(): void {
    this.pending.length = 0;
  }
}
