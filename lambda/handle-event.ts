/**
 * One custom-resource request, end to end: validate it, reconcile the stream,
 * build the answer and deliver it to CloudFormation. All I/O comes in through
 * {@link HandlerDependencies}, so tests run it with mocked clients, a fake
 * clock and an in-memory response sender.
 */
import type { FirehoseClient } from '@aws-sdk/client-firehose';
import type { KMSClient } from '@aws-sdk/client-kms';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { encryptionStatus, Observation } from './decide';
import { describeError } from './errors';
import { Logger, LogSink, redact, urlSecrets } from './log';
import {
  functionalPropertiesChanged,
  parseProperties,
  parseRequestType,
  quote,
  summarizeProperties,
  usableStreamName,
} from './properties';
import { HandlerFailure, ReasonId } from './reasons';
import { reconcile, ReconcileEnvironment } from './reconcile';
import { buildResponseBody, ResponseSender } from './response';
import {
  DeliveryStreamEncryptionResponseData,
  firehosePhysicalId,
  HANDLER_TIMEOUT_SECONDS,
  NOT_STARTED_SUFFIX,
} from '../src/handler-contract';

/** Everything the handler touches outside itself. */
export interface HandlerDependencies {
  /** Firehose client, created with `maxAttempts: 1`. */
  readonly firehose: FirehoseClient;
  /** KMS client, created with `maxAttempts: 1`. */
  readonly kms: KMSClient;
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
}

/** The parts of {@link HandlerDependencies} needed to deliver an answer. */
export type AnswerDependencies = Omit<HandlerDependencies, 'firehose' | 'kms'>;

/** The parts of the Lambda context the handler uses. */
export interface InvocationContext {
  /** The CloudWatch log stream of this invocation, pointed to from FAILED reasons. */
  readonly logStreamName?: string;
  /** Milliseconds left before Lambda stops the invocation. */
  getRemainingTimeInMillis(): number;
}

/** Most time kept back from the work for answering CloudFormation, in milliseconds. */
export const MAX_ANSWER_RESERVE_MS = 30_000;

/** The response must be delivered this long before the Lambda's own deadline, in milliseconds. */
export const LAMBDA_DEADLINE_MARGIN_MS = 1_000;

/** Longest time one AWS call may take, in milliseconds. */
export const MAX_CALL_TIMEOUT_MS = 10_000;

/** When the work must end and how long one call may take. */
export interface Deadlines {
  /** Give up on the stream (answer FAILED) at this time, in epoch milliseconds. */
  readonly work: number;
  /** Longest time one AWS call may take, in milliseconds. */
  readonly callTimeoutMs: number;
}

/**
 * The deadlines of a request: the work ends after `timeoutSeconds`, and
 * never later than the Lambda's remaining time minus a reserve for the
 * answer (`min(30 s, remaining / 3)`). One AWS call may take half the
 * reserve, at most {@link MAX_CALL_TIMEOUT_MS}.
 */
export function computeDeadlines(startedAt: number, remainingMs: number, timeoutSeconds: number): Deadlines {
  const reserve = Math.min(MAX_ANSWER_RESERVE_MS, remainingMs / 3);
  return {
    work: startedAt + Math.max(0, Math.min(timeoutSeconds * 1000, remainingMs - reserve)),
    callTimeoutMs: Math.max(1_000, Math.min(MAX_CALL_TIMEOUT_MS, reserve / 2)),
  };
}

/** The answer to give, before it is serialized. */
interface Outcome {
  /** SUCCESS or FAILED. */
  readonly status: 'SUCCESS' | 'FAILED';
  /** The full reason (shortened only when serialized). */
  readonly reason: string;
  /** The catalogue entry of a FAILED answer. */
  readonly reasonId?: ReasonId;
  /** The physical id to answer with. */
  readonly physicalResourceId: string;
  /** The attributes to answer with. */
  readonly data: DeliveryStreamEncryptionResponseData;
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

/** Attributes when nothing is known. */
const NO_DATA: DeliveryStreamEncryptionResponseData = { KeyType: '', KeyArn: '', EncryptionStatus: '' };

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
  let outcome: Outcome;
  try {
    outcome = await respond(request, deps);
  } catch (err) {
    outcome = unexpected(request.event, err);
  }
  await deliver(request, outcome, context, deps);
}

/**
 * Answer FAILED (UNEXPECTED_ERROR) without touching any stream: for when the
 * handler cannot even be set up (for example, an SDK client cannot be
 * created). Never rejects.
 */
export async function answerUnexpectedError(
  event: CloudFormationCustomResourceEvent,
  context: InvocationContext,
  error: unknown,
  deps: AnswerDependencies,
): Promise<void> {
  const request = openRequest(event, context, deps);
  await deliver(request, unexpected(request.event, error), context, deps);
}

/** Read what is needed from the event and context, defensively, and log a safe summary; never throws. */
function openRequest(event: unknown, context: InvocationContext, deps: AnswerDependencies): Request {
  const startedAt = deps.now();
  const raw = (typeof event === 'object' && event !== null ? event : {}) as Record<string, unknown>;
  const secrets = urlSecrets(raw.ResponseURL);
  const stream = summarizeProperties(raw.ResourceProperties).DeliveryStreamName;
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
 * stream when its name is usable, else from the logical id.
 */
function notStartedId(event: Readonly<Record<string, unknown>>): string {
  const name = usableStreamName(event.ResourceProperties);
  return `${name !== undefined ? firehosePhysicalId(name) : text(event.LogicalResourceId) ?? 'DeliveryStreamEncryption'}${NOT_STARTED_SUFFIX}`;
}

/** The FAILED outcome of an error nobody expected. */
function unexpected(event: Readonly<Record<string, unknown>>, err: unknown): Outcome {
  const failure = new HandlerFailure('UNEXPECTED_ERROR', { operation: 'request handling', error: describeError(err) });
  return { status: 'FAILED', reason: failure.message, reasonId: failure.reasonId, physicalResourceId: text(event.PhysicalResourceId) ?? notStartedId(event), data: NO_DATA };
}

/** The attributes of the last reading of a stream. */
function dataOf(observation: Observation | undefined): DeliveryStreamEncryptionResponseData {
  return observation?.found
    ? { KeyType: observation.encryption.keyType ?? '', KeyArn: observation.encryption.keyArn ?? '', EncryptionStatus: encryptionStatus(observation) ?? '' }
    : NO_DATA;
}

/**
 * Decide the answer to one request:
 * - Delete: nothing to do when the Create never called Start or the policy
 *   is to retain; otherwise stop the encryption. The physical id is echoed.
 * - Update: nothing to do when no functional property changed; otherwise
 *   encrypt the (possibly other) stream. A new stream name yields a new
 *   physical id, after which CloudFormation deletes the old resource; a
 *   FAILED Update keeps the old id.
 * - Create: encrypt the stream. A FAILED Create that never called Start
 *   marks its physical id with {@link NOT_STARTED_SUFFIX}.
 */
async function respond(request: Request, deps: HandlerDependencies): Promise<Outcome> {
  const { event, log } = request;
  const givenId = text(event.PhysicalResourceId);
  // The id of a FAILED answer given before any Start.
  let failedId = givenId ?? notStartedId(event);
  const done = (note: string, data: DeliveryStreamEncryptionResponseData = NO_DATA): Outcome => {
    log.info('skip', { status: note });
    return { status: 'SUCCESS', reason: `${note}.`, physicalResourceId: failedId, data };
  };
  try {
    const requestType = parseRequestType(event.RequestType);
    const bag = event.ResourceProperties;
    if (requestType === 'Delete') {
      if (failedId.endsWith(NOT_STARTED_SUFFIX)) {
        return done('The Create never started encryption; nothing to stop');
      }
      if ((bag as Record<string, unknown> | undefined)?.RemovalPolicy === 'retain') {
        return done('Removal policy is retain; encryption left on');
      }
    }
    const props = parseProperties(bag);
    const wanted = { KeyType: props.keyType, KeyArn: props.keyArn ?? '', EncryptionStatus: 'ENABLED' };
    if (requestType === 'Update' && !functionalPropertiesChanged(event.OldResourceProperties, bag)) {
      return done('No functional property changed', wanted);
    }

    const deadlines = computeDeadlines(request.startedAt, request.remainingMs, props.timeoutSeconds);
    log.info('deadline', { workMs: deadlines.work - request.startedAt });
    const env: ReconcileEnvironment = {
      firehose: deps.firehose,
      kms: deps.kms,
      clock: { now: deps.now, sleep: deps.sleep, random: deps.random },
      startedAt: request.startedAt,
      deadline: deadlines.work,
      callTimeoutMs: deadlines.callTimeoutMs,
      log,
    };
    const streamName = props.streamName;
    const result = requestType === 'Delete'
      ? await reconcile({ kind: 'decrypt', streamName }, 0, env)
      : await reconcile({ kind: 'encrypt', streamName, keyType: props.keyType, keyArn: props.keyArn }, props.settleSeconds, env);

    // Create and a stream name change get the new stream's id; Delete and an Update of the same stream keep theirs.
    const streamId = requestType === 'Create' || (requestType === 'Update' && usableStreamName(event.OldResourceProperties) !== streamName)
      ? firehosePhysicalId(streamName)
      : givenId ?? firehosePhysicalId(streamName);
    if (result.status === 'SUCCESS') {
      const data = requestType === 'Delete' ? { ...NO_DATA, EncryptionStatus: dataOf(result.observation).EncryptionStatus } : wanted;
      return { status: 'SUCCESS', reason: result.reason, physicalResourceId: streamId, data };
    }
    if (requestType === 'Create' && result.startIssued) {
      failedId = streamId;
    }
    return { status: 'FAILED', reason: result.reason, reasonId: result.reasonId, physicalResourceId: failedId, data: dataOf(result.observation) };
  } catch (err) {
    if (err instanceof HandlerFailure) {
      return { status: 'FAILED', reason: err.message, reasonId: err.reasonId, physicalResourceId: failedId, data: NO_DATA };
    }
    throw err;
  }
}

/** Serialize the outcome, log it and deliver it to the ResponseURL; never rejects. */
async function deliver(request: Request, outcome: Outcome, context: InvocationContext, deps: AnswerDependencies): Promise<void> {
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
    }, text(context.logStreamName));
    log[outcome.status === 'SUCCESS' ? 'info' : 'error']('answer', {
      status: outcome.status,
      reasonId: outcome.reasonId,
      reason,
      physicalResourceId: outcome.physicalResourceId,
    });
    const responseUrl = text(event.ResponseURL);
    if (responseUrl === undefined) {
      log.error('respond', { status: 'not sent', error: 'the event has no ResponseURL' });
      return;
    }
    await deps.sendResponse(responseUrl, body, { deadline: request.startedAt + request.remainingMs - LAMBDA_DEADLINE_MARGIN_MS, log });
  } catch (err) {
    log.error('respond', { status: 'not sent', error: describeError(err) });
  }
}
