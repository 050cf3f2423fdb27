/**
 * The request pipeline of the AWS JSON 1.1 protocol, independent of the HTTP transport.
 *
 * For every request: resolve `X-Amz-Target` → parse the body → injected fault? → token bucket →
 * validate the input shape → authorize (requests of a role's access key) → run the operation. Each step can end the call with an error answer;
 * every answered call of a known operation is recorded as accepted, throttled or failed. A fault
 * injected with `applyThenFail` lets the call run to its end and replaces only a successful answer
 * (the call took effect: it is recorded as accepted, with the error answered).
 *
 * @module
 */

import { randomUUID } from 'node:crypto';
import { partitionOf } from './arn';
import { AuthorizationCheck, Authorizer } from './authorization';
import { CallOutcome, CallRecorder } from './calls';
import { LocalClock } from './clock';
import { ProtocolErrors, ServiceError } from './errors';
import { FaultInjector } from './faults';
import { isJsonObject, JsonObject, JsonValue } from './json';
import { RequestContext, ResolvedOperation, Router } from './router';
import { Throttler } from './throttle';
import type { CloudTrail } from './trail';
import { formatViolations, SerializationFault, validate } from './validation';

/** The content type of JSON 1.1 requests and answers. */
export const AMZ_JSON_1_1 = 'application/x-amz-json-1.1';

/** An answer ready for the transport. */
export interface WireResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** What the {@link Gateway} works with. */
export interface GatewayOptions {
  readonly router: Router;
  readonly throttler: Throttler;
  readonly faults: FaultInjector;
  readonly recorder: CallRecorder;
  readonly clock: LocalClock;
  readonly accountId: string;
  readonly region: string;
  /** Judges requests of roles' access keys; without it no request is restricted. */
  readonly authorizer?: Authorizer;
  /** Records the mutating management calls (after validation) as CloudTrail events. */
  readonly trail?: CloudTrail;
  /** The role an access key stands for, for CloudTrail's `userIdentity`. */
  readonly roleOfAccessKey?: (accessKeyId: string) => string | undefined;
  /** Told about failures inside the local cloud itself (answered as `InternalFailure`). */
  readonly onInternalError?: (error: unknown, operationId: string) => void;
}

/** Answers JSON 1.1 requests. */
export class Gateway {
  /**
   * @param options - the router and the shared state the pipeline consults
   */
  constructor(private readonly options: GatewayOptions) {}

  /**
   * Answers one request.
   *
   * @param target - the `X-Amz-Target` header
   * @param rawBody - the request body as text
   * @param accessKeyId - the access key id the request was signed with, if any
   */
  public handle(target: string | undefined, rawBody: string, accessKeyId?: string): WireResponse {
    const requestId = randomUUID();
    const operation = this.options.router.resolveTarget(target);
    if (!operation) {
      return this.errorResponse(ProtocolErrors.unknownOperation(target), requestId);
    }

    let body: JsonValue;
    try {
      body = rawBody.trim() === '' ? {} : (JSON.parse(rawBody) as JsonValue);
    } catch (e) {
      return this.answer(operation, undefined, requestId, ProtocolErrors.serialization(`The request body is not valid JSON: ${(e as Error).message}`));
    }
    const resource = this.resourceOf(operation, body);

    const fault = this.options.faults.take(operation.id, resource);
    const faultError = fault && new ServiceError(fault.errorName, fault.message, { httpStatus: fault.httpStatus });
    if (faultError && !fault.applyThenFail) {
      return this.answer(operation, resource, requestId, faultError);
    }
    if (!this.options.throttler.tryAcquire(this.options.accountId, operation.id)) {
      const throttled = operation.service.throttlingError?.(operation.name, resource, { accountId: this.options.accountId })
        ?? ProtocolErrors.throttling(operation.name);
      return this.answer(operation, resource, requestId, throttled, 'throttled');
    }

    let violations: string[];
    try {
      violations = validate(operation.definition.input, body);
    } catch (e) {
      if (e instanceof SerializationFault) return this.answer(operation, resource, requestId, ProtocolErrors.serialization(e.message));
      throw e;
    }
    if (violations.length > 0) {
      return this.answer(operation, resource, requestId, new ServiceError(operation.service.validationErrorName, formatViolations(violations)));
    }

    const context = {
      now: this.options.clock.now(),
      accountId: this.options.accountId,
      region: this.options.region,
      partition: partitionOf(this.options.region),
      requestId,
    };
    let result: JsonObject | ServiceError;
    try {
      const denied = this.options.authorizer?.check(accessKeyId, () => this.checksOf(operation, body as JsonObject, context));
      result = denied ?? operation.definition.handle(body as JsonObject, context);
    } catch (e) {
      if (e instanceof ServiceError) {
        result = e;
      } else {
        this.options.onInternalError?.(e, operation.id);
        result = ProtocolErrors.internal(e instanceof Error ? e.message : String(e));
      }
    }
    this.options.trail?.record({
      operationId: operation.id,
      input: body as JsonObject,
      roleArn: accessKeyId === undefined ? undefined : this.options.roleOfAccessKey?.(accessKeyId),
      at: this.options.clock.now(),
      requestId,
      error: result instanceof ServiceError ? { name: result.errorName, message: result.message } : undefined,
    });
    // The operation took effect (CloudTrail records it so); an apply-then-fail fault still answers its error.
    if (faultError && !(result instanceof ServiceError)) return this.answer(operation, resource, requestId, faultError, 'accepted');
    return this.answer(operation, resource, requestId, result);
  }

  /** The permissions a request needs: the service's own, else its action on `*`. */
  private checksOf(operation: ResolvedOperation, input: JsonObject, context: RequestContext): ReadonlyArray<AuthorizationCheck> {
    const own = operation.service.authorization;
    return own ? own(operation.name, input, context) : [{ request: { action: operation.id, resource: '*' } }];
  }

  /** The resource a call names (the operation's `resourceOf` or `resourceMember`), for counts and scoped faults. */
  private resourceOf(operation: ResolvedOperation, body: JsonValue): string | undefined {
    if (!isJsonObject(body)) return undefined;
    if (operation.definition.resourceOf) return operation.definition.resourceOf(body);
    const member = operation.definition.resourceMember;
    if (!member) return undefined;
    const value = body[member];
    return typeof value === 'string' ? value : undefined;
  }

  /**
   * Turns an operation result or error into a wire answer and records the call (as `throttled` when
   * `outcome` says so or the error is a `ThrottlingException`).
   */
  private answer(
    operation: ResolvedOperation,
    resource: string | undefined,
    requestId: string,
    result: JsonObject | ServiceError,
    outcome?: CallOutcome,
  ): WireResponse {
    const response = result instanceof ServiceError ? this.errorResponse(result, requestId) : this.successResponse(result, requestId);
    if (!outcome) {
      outcome = result instanceof ServiceError ? (result.errorName === 'ThrottlingException' ? 'throttled' : 'failed') : 'accepted';
    }
    this.options.recorder.record({
      at: this.options.clock.now(),
      operation: operation.id,
      resource,
      outcome,
      errorName: result instanceof ServiceError ? result.errorName : undefined,
      httpStatus: response.status,
    });
    return response;
  }

  /** HTTP 200 with the output structure. */
  private successResponse(output: JsonObject, requestId: string): WireResponse {
    return {
      status: 200,
      headers: { 'content-type': AMZ_JSON_1_1, 'x-amzn-requestid': requestId },
      body: JSON.stringify(output),
    };
  }

  /** The error status, `x-amzn-errortype` and a `{__type, message}` body. */
  private errorResponse(error: ServiceError, requestId: string): WireResponse {
    return {
      status: error.httpStatus,
      headers: { 'content-type': AMZ_JSON_1_1, 'x-amzn-requestid': requestId, 'x-amzn-errortype': error.errorName },
      body: JSON.stringify(error.toBody()),
    };
  }
}
