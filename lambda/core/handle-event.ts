/**
 * One custom-resource request, end to end: find the kind of stream it is
 * for, validate it, reconcile the stream, build the answer and deliver it to
 * CloudFormation. All I/O comes in through {@link HandlerDependencies}, so
 * tests run it with mocked clients, a fake clock and an in-memory response
 * sender.
 */
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import type { ClientProvider } from './clients';
import { computeDeadlines, LAMBDA_DEADLINE_MARGIN_MS } from './deadlines';
import { describeError } from './errors';
import { reasonFor } from './fixes';
import { Logger, LogSink, redact, urlSecrets } from './log';
import { ownerTagValue } from './ownership';
import { functionalPropertiesChanged, parseRequestType, quote, summarizeProperties } from './properties';
import { HandlerFailure, ReasonId } from './reasons';
import { reconcile, SessionEnvironment } from './reconcile';
import { buildResponseBody, ResponseData, ResponseSender } from './response';
import { registrationOf, StreamService, StreamServiceRegistry } from './stream-service';
import { HANDLER_TIMEOUT_SECONDS, NOT_STARTED_SUFFIX, parsePhysicalId, PRIOR_UNKNOWN, withPrior } from '../../src/private/contract';

/** How long CloudFormation waits for a custom resource without a `ServiceTimeout`, in seconds. */
export const DEFAULT_SERVICE_TIMEOUT_SECONDS = 3600;

/** Everything the handler touches outside itself. */
export interface HandlerDependencies {
  /** The services of the kinds of stream the handler knows, by resource type (`lambda/kinds`). */
  readonly services: StreamServiceRegistry;
  /** Makes (or reuses) the SDK clients a kind of stream calls. */
  readonly clients: ClientProvider;
  /** Resolve after `ms` milliseconds. */
  readonly sleep: (ms: number) => Promise<void>;
  /** Milliseconds since the epoch. */
  readonly now: () => number;
  /** A number in `[0, 1)`. */
  readonly random: () => number;
  /** Delivers the answer to the `ResponseURL`. */
  readonly sendResponse: ResponseSender;
  /** Where JSON log lines go. */
  readonly log: LogSink;
  /**
   * The function's log group, as Lambda gives it in
   * `AWS_LAMBDA_LOG_GROUP_NAME` (the function's own log group when it has
   * one); else the context's `logGroupName` is used.
   */
  readonly logGroupName?: string;
}

/** The parts of the Lambda context the handler uses. */
export interface InvocationContext {
  /** The CloudWatch log stream of this invocation, pointed to from every reason. */
  readonly logStreamName?: string;
  /** The CloudWatch log group of the function, pointed to from every reason. */
  readonly logGroupName?: string;
  /** Milliseconds left before Lambda stops the invocation. */
  getRemainingTimeInMillis(): number;
}

/** The answer to give, before it is serialized. */
interface Outcome {
  /** SUCCESS or FAILED. */
  readonly status: 'SUCCESS' | 'FAILED';
  /** The full reason, a FAILED one with its fix (shortened only when serialized). */
  readonly reason: string;
  /** The catalogue entry of a FAILED answer. */
  readonly reasonId?: ReasonId;
  /** The physical id to answer with. */
  readonly physicalResourceId: string;
  /** The attributes to answer with. */
  readonly data: ResponseData;
  /** What is left to do once the answer is sent (see `ReconcileResult.after`). */
  readonly after?: (until: number) => Promise<void>;
}

/** A request as received: the raw event, when it started, its time budget and logger. */
interface Request {
  /** The event, as an untrusted record. */
  readonly event: Readonly<Record<string, unknown>>;
  /** When handling started, in epoch milliseconds. */
  readonly startedAt: number;
  /** The Lambda's remaining time when handling started, in milliseconds. */
  readonly remainingMs: number;
  /** Strings to keep out of logs and reasons (the ResponseURL and its parts). */
  readonly secrets: ReadonlyArray<string>;
  /** The request's logger. */
  readonly log: Logger;
}

/** Attributes when not even the kind of stream is known. */
const NO_KIND_DATA: ResponseData = {};

/** A string field of the event, or `undefined`. */
function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/**
 * Handle one CloudFormation custom-resource event and deliver the answer.
 * Never rejects: every error becomes a FAILED answer and a log line.
 */
export async function handleEvent(event: CloudFormationCustomResourceEvent, context: InvocationContext, deps: HandlerDependencies): Promise<void> {
  const request = openRequest(event, context, deps);
  let service: StreamService | undefined;
  let outcome: Outcome;
  try {
    service = registrationOf(deps.services, request.event).load();
    outcome = await respond(request, service, deps);
  } catch (err) {
    outcome = unexpected(request, service, err);
  }
  await deliver(request, outcome, context, deps);
  await outcome.after?.(request.startedAt + request.remainingMs - LAMBDA_DEADLINE_MARGIN_MS);
}

/** Read what is needed from the event and context, defensively, and log a safe summary; never throws. */
function openRequest(event: unknown, context: InvocationContext, deps: HandlerDependencies): Request {
  const startedAt = deps.now();
  const raw = (typeof event === 'object' && event !== null ? event : {}) as Record<string, unknown>;
  const secrets = urlSecrets(raw.ResponseURL);
  const summary = summarizeProperties(raw.ResourceProperties);
  const stream = summary.DeliveryStreamName ?? summary.StreamName;
  const log = new Logger(deps.log, deps.now, startedAt, { requestId: text(raw.RequestId), requestType: quote(raw.RequestType), stream }, secrets);
  let remainingMs = HANDLER_TIMEOUT_SECONDS * 1000;
  try {
    const reported = context.getRemainingTimeInMillis();
    if (reported > 0) {
      remainingMs = reported;
    }
  } catch (err) {
    log.warn('context', { error: describeError(err) });
  }
  // Never the raw event: the ResponseURL is a credential.
  log.info('received', {
    logicalResourceId: quote(raw.LogicalResourceId),
    physicalResourceId: text(raw.PhysicalResourceId),
    stackId: quote(raw.StackId),
    properties: summarizeProperties(raw.ResourceProperties),
    oldProperties: raw.OldResourceProperties === undefined ? undefined : summarizeProperties(raw.OldResourceProperties),
  });
  return { event: raw, startedAt, remainingMs, secrets, log };
}

/**
 * The physical id of a Create that never called Start: derived from the
 * stream when its kind is known and its name is usable, else from the
 * logical id.
 */
function notStartedId(request: Request, service: StreamService | undefined): string {
  const event = request.event;
  const name = service?.usableStreamName(event.ResourceProperties);
  return `${service && name !== undefined ? service.physicalId(name) : text(event.LogicalResourceId) ?? 'StreamEncryption'}${NOT_STARTED_SUFFIX}`;
}

/** The FAILED outcome of an error nobody expected. */
function unexpected(request: Request, service: StreamService | undefined, err: unknown): Outcome {
  const failure = new HandlerFailure('UNEXPECTED_ERROR', { operation: 'request handling', error: describeError(err) });
  return {
    status: 'FAILED',
    reason: reasonFor(failure),
    reasonId: failure.reasonId,
    physicalResourceId: text(request.event.PhysicalResourceId) ?? notStartedId(request, service),
    data: service?.noData ?? NO_KIND_DATA,
  };
}

/**
 * Decide the answer to one request:
 * - any request CloudFormation no longer waits for (its ResponseURL was
 *   signed longer ago than the resource's ServiceTimeout) is answered
 *   FAILED without acting on it;
 * - Delete: nothing to do when the Create never called Start or the policy
 *   is to retain; otherwise, unless the stream's owner tag gives it to another
 *   resource, put the stream back to the encryption its physical id records
 *   (`#prior=`), or stop the encryption when it records none. The physical id
 *   is echoed.
 * - Update: encrypt the (possibly other) stream; an Update that changes no
 *   functional property reads the stream too, and answers SUCCESS only once it
 *   is encrypted as wanted (a drifted stream is encrypted again), without any
 *   tag call (the owner tag, written by this same resource, still names it). A new stream name yields a
 *   new physical id recording that stream's prior encryption, after which
 *   CloudFormation deletes the old resource; a FAILED Update keeps the old id,
 *   and first puts the other stream back as it was.
 * - Create: encrypt the stream; the physical id records its prior
 *   encryption. A FAILED Create that never called Start marks its physical
 *   id with {@link NOT_STARTED_SUFFIX}.
 *
 * A successful Create or Update tags the stream with this resource's owner
 * tag value (from its stack id and logical id), even when the stream was
 * already encrypted as wanted.
 */
async function respond(request: Request, service: StreamService, deps: HandlerDependencies): Promise<Outcome> {
  const { event, log } = request;
  const givenId = text(event.PhysicalResourceId);
  // The id of a FAILED answer given before any Start.
  let failedId = givenId ?? notStartedId(request, service);
  const done = (note: string, data: ResponseData = service.noData): Outcome => {
    log.info('skip', { status: note });
    return { status: 'SUCCESS', reason: `${note}.`, physicalResourceId: failedId, data };
  };
  try {
    checkExpiry(request, deps.now());
    const requestType = parseRequestType(event.RequestType);
    const bag = event.ResourceProperties;
    const given = givenId === undefined ? undefined : parsePhysicalId(givenId);
    if (requestType === 'Delete') {
      if (given?.notStarted) {
        return done('The Create never started encryption; nothing to stop');
      }
      if ((bag as Record<string, unknown> | undefined)?.RemovalPolicy === 'retain') {
        return done('Removal policy is retain; encryption left on');
      }
    }
    const props = service.parseProperties(bag);
    checkPartition(bag, text(event.StackId));
    // An Update that changes nothing the stream sees still reads it: its SUCCESS says the stream is as wanted.
    const unchanged = requestType === 'Update' && !functionalPropertiesChanged(event.OldResourceProperties, bag, service.functionalProperties);

    const deadlines = computeDeadlines(request.startedAt, request.remainingMs, props.timeoutSeconds);
    log.info('deadline', { workMs: deadlines.work - request.startedAt });
    const stackId = text(event.StackId);
    const logicalId = text(event.LogicalResourceId);
    const answerBy = request.startedAt + request.remainingMs - LAMBDA_DEADLINE_MARGIN_MS;
    const env: SessionEnvironment = {
      clock: { now: deps.now, sleep: deps.sleep, random: deps.random },
      startedAt: request.startedAt,
      deadline: deadlines.work,
      // Half the time kept for answering may go to putting a stream back.
      undoDeadline: deadlines.work + Math.max(0, Math.floor((answerBy - deadlines.work) / 2)),
      callTimeoutMs: deadlines.callTimeoutMs,
      log,
      // An unchanged Update leaves the owner tag as this same resource wrote it: no tag call.
      owner: stackId && logicalId && !unchanged ? ownerTagValue(stackId, logicalId) : undefined,
    };
    const streamName = props.streamName;
    // Create and a stream name change take a stream: their new id records its prior encryption. An Update
    // whose given id already names the stream (the rollback of a failed move to another stream) takes none.
    const takesStream = requestType === 'Create'
      || (requestType === 'Update' && service.usableStreamName(event.OldResourceProperties) !== streamName && given?.base !== service.physicalId(streamName));
    const goal = service.goal(props, requestType, requestType === 'Update' && !takesStream);
    const result = await reconcile(service, {
      goal,
      settleSeconds: requestType === 'Delete' ? 0 : props.settleSeconds,
      prior: requestType === 'Delete' ? given?.prior : undefined,
      takes: takesStream,
      undoOnFailure: requestType === 'Update' && takesStream,
    }, service.clients(deps.clients), env);

    // Delete and an Update of the same stream keep their id; a stream taken records its prior encryption.
    const streamId = takesStream
      ? withPrior(service.physicalId(streamName), result.prior ?? PRIOR_UNKNOWN)
      : givenId ?? service.physicalId(streamName);
    if (result.status === 'SUCCESS') {
      const data = requestType === 'Delete' ? service.decryptedData(result.observation) : service.wanted(props);
      return { status: 'SUCCESS', reason: result.reason, physicalResourceId: streamId, data, after: result.after };
    }
    if (requestType === 'Create' && result.startIssued) {
      failedId = streamId;
    }
    const reason = result.failure ? reasonFor(result.failure) : result.reason;
    return { status: 'FAILED', reason, reasonId: result.reasonId, physicalResourceId: failedId, data: service.dataOf(result.observation), after: result.after };
  } catch (err) {
    if (err instanceof HandlerFailure) {
      return { status: 'FAILED', reason: reasonFor(err), reasonId: err.reasonId, physicalResourceId: failedId, data: service.noData };
    }
    throw err;
  }
}

/**
 * Refuse a request CloudFormation has given up on: its ResponseURL was
 * signed (`X-Amz-Date`) longer ago than the resource's `ServiceTimeout`
 * property (else {@link DEFAULT_SERVICE_TIMEOUT_SECONDS}). A URL without a
 * readable date is never expired.
 *
 * @throws HandlerFailure `REQUEST_EXPIRED`.
 */
function checkExpiry(request: Request, now: number): void {
  const signedAt = signingTime(request.event.ResponseURL);
  if (signedAt === undefined) {
    return;
  }
  const bag = request.event.ResourceProperties as Record<string, unknown> | undefined;
  const given = Number(text(bag?.ServiceTimeout));
  const timeoutSeconds = Number.isInteger(given) && given > 0 ? given : DEFAULT_SERVICE_TIMEOUT_SECONDS;
  const ageSeconds = Math.floor((now - signedAt) / 1000);
  if (ageSeconds > timeoutSeconds) {
    request.log.warn('expired', { ageSeconds, timeoutSeconds, decision: 'not acted on' });
    throw new HandlerFailure('REQUEST_EXPIRED', { ageSeconds, timeoutSeconds });
  }
}

/** When a pre-signed URL was signed (its `X-Amz-Date`, `YYYYMMDDTHHMMSSZ`), in epoch milliseconds. */
export function signingTime(url: unknown): number | undefined {
  let date: string | null = null;
  try {
    date = typeof url === 'string' ? new URL(url).searchParams.get('X-Amz-Date') : null;
  } catch {
    return undefined;
  }
  const parts = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(date ?? '');
  if (!parts) {
    return undefined;
  }
  const [year, month, day, hour, minute, second] = parts.slice(1).map(Number);
  return Date.UTC(year, month - 1, day, hour, minute, second);
}

/** The properties that may hold an ARN. */
const ARN_PROPERTIES = ['KeyArn', 'KeyId', 'StreamArn'];

/**
 * Refuse a key or stream ARN of another partition than the stack's (read from
 * its `StackId`): no call can succeed with it, and calling with it would only
 * spend the time budget on errors.
 *
 * @throws HandlerFailure `ARN_OTHER_PARTITION`.
 */
function checkPartition(bag: unknown, stackId: string | undefined): void {
  const stackPartition = stackId?.split(':')[1];
  if (!stackId?.startsWith('arn:') || !stackPartition) {
    return;
  }
  const props = bag as Record<string, unknown>;
  for (const property of ARN_PROPERTIES) {
    const value = props[property];
    const partition = typeof value === 'string' && value.startsWith('arn:') ? value.split(':')[1] : undefined;
    if (partition !== undefined && partition !== stackPartition) {
      throw new HandlerFailure('ARN_OTHER_PARTITION', { property, value: quote(value), partition, stackPartition });
    }
  }
}

/** Serialize the outcome, log it and deliver it to the ResponseURL; never rejects. */
async function deliver(request: Request, outcome: Outcome, context: InvocationContext, deps: HandlerDependencies): Promise<void> {
  const { event, log } = request;
  try {
    const reason = redact(outcome.reason, request.secrets);
    const body = buildResponseBody({
      Status: outcome.status,
      Reason: reason,
      PhysicalResourceId: outcome.physicalResourceId,
      StackId: text(event.StackId) ?? '',
      RequestId: text(event.RequestId) ?? '',
      LogicalResourceId: text(event.LogicalResourceId) ?? '',
      NoEcho: false,
      Data: outcome.data,
    }, { logGroupName: text(deps.logGroupName) ?? text(context.logGroupName), logStreamName: text(context.logStreamName) });
    log[outcome.status === 'SUCCESS' ? 'info' : 'error']('answer', {
      status: outcome.status,
      reasonId: outcome.reasonId,
      reason,
      physicalResourceId: outcome.physicalResourceId,
    });
    const responseUrl = text(event.ResponseURL);
    if (responseUrl === undefined) {
      log.error('respond', { status: 'not sent', error: 'no ResponseURL' });
      return;
    }
    await deps.sendResponse(responseUrl, body, { deadline: request.startedAt + request.remainingMs - LAMBDA_DEADLINE_MARGIN_MS, log });
  } catch (err) {
    log.error('respond', { status: 'not sent', error: describeError(err) });
  }
}
