/**
 * One custom-resource operation as CloudFormation runs it: build the event with a fresh
 * pre-signed-style `ResponseURL`, invoke the handler, wait for its answer at that URL for at most
 * the resource's `ServiceTimeout`, and judge the answer.
 *
 * @module
 */

import { randomUUID } from 'node:crypto';
import { HandlerLogLine, Invocation, LocalLambda } from './lambda-runtime';
import { DATA_STREAM_ENCRYPTION_TYPE } from './model';
import { PutRecord, ResponseBehaviour, ResponseEndpoint, ResponseServer } from './response-server';

/** The request types CloudFormation sends to a custom resource. */
export type RequestType = 'Create' | 'Update' | 'Delete';

/** How one operation ended, as CloudFormation sees it. */
export type StepStatus = 'SUCCESS' | 'FAILED' | 'TIMED_OUT';

/** CloudFormation's default `ServiceTimeout` of a custom resource, in seconds. */
export const DEFAULT_SERVICE_TIMEOUT_SECONDS = 3600;

/** CloudFormation's limit on a response body, in bytes. */
export const MAX_RESPONSE_BODY_BYTES = 4096;

/** The event CloudFormation sends (the `CloudFormationCustomResourceEvent` of `aws-lambda`). */
export interface CustomResourceEvent {
  readonly RequestType: RequestType;
  readonly ServiceToken: string;
  readonly ResponseURL: string;
  readonly StackId: string;
  readonly RequestId: string;
  readonly LogicalResourceId: string;
  readonly ResourceType: string;
  readonly ResourceProperties: Readonly<Record<string, unknown>>;
  readonly OldResourceProperties?: Readonly<Record<string, unknown>>;
  readonly PhysicalResourceId?: string;
}

/** What one operation needs. */
export interface StepRequest {
  readonly requestType: RequestType;
  readonly stackId: string;
  readonly logicalId: string;
  readonly resourceType: string;
  /** The resolved properties, as strings, `ServiceToken` included. */
  readonly properties: Readonly<Record<string, unknown>>;
  /** Update only. */
  readonly oldProperties?: Readonly<Record<string, unknown>>;
  /** Update and Delete. */
  readonly physicalResourceId?: string;
  /** The handler function's timeout, in milliseconds. */
  readonly lambdaTimeoutMs: number;
  /** How the response URL answers. */
  readonly response?: ResponseBehaviour;
  /** Variables of this invocation only (`null` hides one); see `InvokeOptions.environment`. */
  readonly environment?: Readonly<Record<string, string | null>>;
  /** Called when the outcome is decided (answer or timeout); its value is kept as `observedAtAnswer`. */
  readonly observeAtAnswer?: () => unknown;
  /**
   * Deliver the same event again, once per entry, this many milliseconds after the first delivery.
   * CloudFormation invokes a custom resource's function asynchronously ("Lambda with
   * CloudFormation", AWS Lambda Developer Guide), and an asynchronous invocation may deliver one
   * event more than once even when the function succeeds ("Invoking a Lambda function
   * asynchronously": "your function [may] receive the same event from Lambda multiple times").
   * Every copy answers to the same `ResponseURL`, an S3 object that each PUT overwrites: the
   * harsher reading, played here, is that the answer CloudFormation keeps is the last one written,
   * so the outcome waits for every copy (within the `ServiceTimeout`).
   */
  readonly redeliverAfterMs?: readonly number[];
}

/** The result of one operation. Times ending in `AtMs` are milliseconds since the event was sent. */
export interface StepResult {
  readonly requestType: RequestType;
  readonly logicalId: string;
  readonly requestId: string;
  /** The `DeliveryStreamName` property (the `StreamName` of a `Custom::DataStreamEncryption`), when there is one. */
  readonly streamName?: string;
  /** Which kind of stream `streamName` names: a Firehose delivery stream or a Kinesis data stream. */
  readonly streamKind?: StreamKindOfStep;
  /** SUCCESS or FAILED as answered; TIMED_OUT when no answer arrived within the `ServiceTimeout`. */
  readonly status: StepStatus;
  /** The answered `Reason`, or CloudFormation's own message for a timeout or an unusable answer. */
  readonly reason: string;
  /** The reason's leading id (`TIMED_OUT`, `ENABLING_FAILED`, …), when it has one. */
  readonly reasonId?: string;
  /** The answered `PhysicalResourceId`. */
  readonly physicalResourceId?: string;
  /** The answered `Data`. */
  readonly data?: Readonly<Record<string, unknown>>;
  /** When the accepted answer arrived. */
  readonly answeredAtMs?: number;
  /** When the outcome was decided: the answer, or the `ServiceTimeout`. */
  readonly elapsedMs: number;
  /** When the handler returned; `undefined` if it had not by its timeout (or was not waited for). */
  readonly handlerReturnedAtMs?: number;
  /** The handler ran past its function timeout. */
  readonly lambdaTimedOut: boolean;
  /** What the handler threw or rejected with, if anything. */
  readonly handlerError?: string;
  /** The `ServiceTimeout` applied, in milliseconds. */
  readonly serviceTimeoutMs: number;
  /** The function timeout applied, in milliseconds. */
  readonly lambdaTimeoutMs: number;
  /** When the event was sent, in epoch milliseconds. */
  readonly startedAt: number;
  /** Every PUT to the response URL (attempts, statuses, late ones). */
  readonly puts: readonly PutRecord[];
  /** Why the accepted answer could not be used, if it could not. */
  readonly invalidResponse?: string;
  /** The handler's log lines (JSON lines parsed). */
  readonly logs: readonly HandlerLogLine[];
  /** The response URL's signature (a credential that must never be logged). */
  readonly responseUrlSignature: string;
  /** The event sent. */
  readonly event: CustomResourceEvent;
  /** What `observeAtAnswer` returned. */
  readonly observedAtAnswer?: unknown;
  /** How many times the event was delivered (1 without `redeliverAfterMs`). */
  readonly deliveries: number;
}

/** The kinds of stream a custom resource of this library manages. */
export type StreamKindOfStep = 'firehose' | 'kinesis';

/**
 * The stream a custom resource manages, from its type and properties: the `DeliveryStreamName` of a
 * delivery stream encryption, the `StreamName` of a data stream encryption.
 */
export function managedStreamOf(
  resourceType: string,
  properties: Readonly<Record<string, unknown>>,
): { name: string; kind: StreamKindOfStep } | undefined {
  if (resourceType === DATA_STREAM_ENCRYPTION_TYPE) {
    return typeof properties.StreamName === 'string' ? { name: properties.StreamName, kind: 'kinesis' } : undefined;
  }
  return typeof properties.DeliveryStreamName === 'string' ? { name: properties.DeliveryStreamName, kind: 'firehose' } : undefined;
}

/** The `ServiceTimeout` of a resource from its properties, in milliseconds. */
export function serviceTimeoutMsOf(properties: Readonly<Record<string, unknown>>): number {
  const raw = properties.ServiceTimeout;
  if (raw === undefined) return DEFAULT_SERVICE_TIMEOUT_SECONDS * 1000;
  const seconds = Number(raw);
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > DEFAULT_SERVICE_TIMEOUT_SECONDS) {
    throw new Error(`ServiceTimeout must be a whole number of seconds from 1 to ${DEFAULT_SERVICE_TIMEOUT_SECONDS}, got ${JSON.stringify(raw)}`);
  }
  return seconds * 1000;
}

/** The leading `ID:` of a reason. */
export function reasonIdOf(reason: string): string | undefined {
  return /^([A-Z][A-Z0-9_]+):/.exec(reason)?.[1];
}

/** Parses and checks an answer as CloudFormation does. */
function judge(put: PutRecord, event: CustomResourceEvent): { status: 'SUCCESS' | 'FAILED'; reason: string; physicalResourceId?: string; data?: Record<string, unknown>; invalid?: string } {
  const invalid = (why: string) => ({ status: 'FAILED' as const, reason: `Invalid response object: ${why}`, invalid: why });
  if (put.bytes > MAX_RESPONSE_BODY_BYTES) return invalid(`the response is ${put.bytes} bytes, over the limit of ${MAX_RESPONSE_BODY_BYTES}`);
  let body: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(put.body);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return invalid('the body is not a JSON object');
    body = parsed as Record<string, unknown>;
  } catch {
    return invalid('the body is not JSON');
  }
  if (body.Status !== 'SUCCESS' && body.Status !== 'FAILED') return invalid(`Status is ${JSON.stringify(body.Status)}`);
  for (const field of ['StackId', 'RequestId', 'LogicalResourceId'] as const) {
    if (body[field] !== event[field]) return invalid(`${field} ${JSON.stringify(body[field])} does not match the request`);
  }
  const physicalResourceId = typeof body.PhysicalResourceId === 'string' && body.PhysicalResourceId !== '' ? body.PhysicalResourceId : undefined;
  if (!physicalResourceId) return invalid('PhysicalResourceId is missing');
  if (body.Data !== undefined && (typeof body.Data !== 'object' || body.Data === null || Array.isArray(body.Data))) return invalid('Data is not an object');
  return {
    status: body.Status,
    reason: typeof body.Reason === 'string' ? body.Reason : '',
    physicalResourceId,
    data: body.Data as Record<string, unknown> | undefined,
  };
}

/**
 * The answer CloudFormation keeps when the event was delivered more than once: the last PUT
 * answered 2xx while the URL was open, once every delivery has returned or reached its timeout.
 */
async function lastAnswer(endpoint: ResponseEndpoint, invocations: readonly Invocation[]): Promise<PutRecord> {
  await Promise.all(invocations.map((i) => i.done));
  const ok = (status: number | undefined): boolean => status !== undefined && status >= 200 && status < 300;
  const answered = endpoint.puts.filter((put) => !put.late && ok(put.answeredStatus));
  return answered.length > 0 ? answered[answered.length - 1] : endpoint.accepted;
}

/**
 * Runs one operation against the handler.
 *
 * @param lambda - the handler function
 * @param responses - the response URL server
 * @param request - the operation
 */
export async function runStep(lambda: LocalLambda, responses: ResponseServer, request: StepRequest): Promise<StepResult> {
  const requestId = randomUUID();
  const serviceTimeoutMs = serviceTimeoutMsOf(request.properties);
  const endpoint = responses.issue(request.logicalId, request.response);
  const event: CustomResourceEvent = {
    RequestType: request.requestType,
    ServiceToken: String(request.properties.ServiceToken ?? lambda.functionArn),
    ResponseURL: endpoint.url,
    StackId: request.stackId,
    RequestId: requestId,
    LogicalResourceId: request.logicalId,
    ResourceType: request.resourceType,
    ResourceProperties: request.properties,
    ...(request.requestType === 'Update' ? { OldResourceProperties: request.oldProperties ?? {} } : {}),
    ...(request.requestType !== 'Create' ? { PhysicalResourceId: request.physicalResourceId } : {}),
  };

  const invoke = (): Invocation => lambda.invoke(event, { timeoutMs: request.lambdaTimeoutMs, logKey: requestId, environment: request.environment });
  const invocation = invoke();
  const startedAt = invocation.startedAt;
  const copies = (request.redeliverAfterMs ?? []).map((delayMs) =>
    new Promise<Invocation>((resolve) => setTimeout(() => resolve(invoke()), delayMs)));

  // A Node.js timer may fire a millisecond before Date.now() reaches its delay: wait again until
  // the ServiceTimeout has really passed, as CloudFormation's clock would see it.
  const timeoutAt = startedAt + serviceTimeoutMs;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<undefined>((resolve) => {
    const check = (): void => {
      const left = timeoutAt - Date.now();
      if (left <= 0) {
        resolve(undefined);
      } else {
        timer = setTimeout(check, left);
      }
    };
    check();
  });
  const accepted = copies.length === 0
    ? await Promise.race([endpoint.accepted, timedOut])
    : await Promise.race([lastAnswer(endpoint, [invocation, ...await Promise.all(copies)]), timedOut]);
  clearTimeout(timer);
  endpoint.close();
  const decidedAt = Date.now();
  const observedAtAnswer = request.observeAtAnswer?.();

  const outcome = await invocation.done;
  const copyLogs = await Promise.all(copies.map(async (copy) => {
    const c = await copy;
    await c.done;
    return c.logs;
  }));
  const managed = managedStreamOf(request.resourceType, request.properties);
  const common = {
    requestType: request.requestType,
    logicalId: request.logicalId,
    requestId,
    streamName: managed?.name,
    streamKind: managed?.kind,
    handlerReturnedAtMs: outcome?.returnedAt !== undefined ? outcome.returnedAt - startedAt : undefined,
    lambdaTimedOut: outcome?.timedOut ?? false,
    handlerError: outcome?.error,
    serviceTimeoutMs,
    lambdaTimeoutMs: request.lambdaTimeoutMs,
    startedAt,
    puts: endpoint.puts,
    logs: [...invocation.logs, ...copyLogs.flat()],
    deliveries: 1 + copies.length,
    responseUrlSignature: endpoint.signature,
    event,
    observedAtAnswer,
  };
  if (!accepted) {
    return {
      ...common,
      status: 'TIMED_OUT',
      reason: `CloudFormation did not receive a response from the custom resource within its ServiceTimeout of ${serviceTimeoutMs / 1000} s.`,
      reasonId: 'TIMED_OUT',
      elapsedMs: decidedAt - startedAt,
    };
  }
  const verdict = judge(accepted, event);
  return {
    ...common,
    status: verdict.status,
    reason: verdict.reason,
    reasonId: verdict.invalid ? undefined : reasonIdOf(verdict.reason),
    physicalResourceId: verdict.physicalResourceId,
    data: verdict.data,
    answeredAtMs: accepted.receivedAt - startedAt,
    elapsedMs: accepted.receivedAt - startedAt,
    invalidResponse: verdict.invalid,
  };
}
