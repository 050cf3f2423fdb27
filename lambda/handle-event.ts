/**
 * One custom-resource request, end to end: validate it, reconcile the stream,
 * build the answer and deliver it to CloudFormation. All I/O comes in through
 * {@link HandlerDependencies}, so tests run it with mocked clients, a fake
 * clock and an in-memory response sender.
 */
import type { FirehoseClient } from '@aws-sdk/client-firehose';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { KMSClient } from '@aws-sdk/client-kms';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { encryptionStatus, Observation } from './decide';
import { describeError } from './errors';
import { DataStreamObservation } from './kinesis-decide';
import { reconcileDataStream } from './kinesis-reconcile';
import { Logger, LogSink, redact, urlSecrets } from './log';
import { ownerTagValue } from './ownership';
import {
  functionalPropertiesChanged,
  parseDataStreamProperties,
  parseProperties,
  parseRequestType,
  quote,
  RequestType,
  summarizeProperties,
  usableDataStreamName,
  usableStreamName,
} from './properties';
import { HandlerFailure, ReasonId } from './reasons';
import { reconcile, ReconcileResult, SessionEnvironment } from './reconcile';
import { buildResponseBody, ResponseData, ResponseSender } from './response';
import {
  DATA_STREAM_ENCRYPTION_RESOURCE_TYPE,
  DATA_STREAM_FUNCTIONAL_PROPERTIES,
  DataStreamEncryptionResponseData,
  DELIVERY_STREAM_ENCRYPTION_RESOURCE_TYPE,
  DeliveryStreamEncryptionResponseData,
  firehosePhysicalId,
  FUNCTIONAL_PROPERTIES,
  HANDLER_TIMEOUT_SECONDS,
  kinesisPhysicalId,
  NOT_STARTED_SUFFIX,
} from '../src/private/contract';

/** Everything the handler touches outside itself. */
export interface HandlerDependencies {
  /** Firehose client, created with `maxAttempts: 1`. */
  readonly firehose: FirehoseClient;
  /** KMS client, created with `maxAttempts: 1`. */
  readonly kms: KMSClient;
  /**
   * Kinesis client, created with `maxAttempts: 1`; needed for
   * `Custom::DataStreamEncryption` requests only.
   */
  readonly kinesis?: KinesisClient;
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
export type AnswerDependencies = Omit<HandlerDependencies, 'firehose' | 'kms' | 'kinesis'>;

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
 * answer (`min(30 s, remaining / 3)`, rounded up). One AWS call may take half
 * the reserve (rounded down), at most {@link MAX_CALL_TIMEOUT_MS}.
 *
 * Every value is a whole number of milliseconds: `AbortSignal.timeout` throws
 * a `RangeError` for a fractional delay.
 */
export function computeDeadlines(startedAt: number, remainingMs: number, timeoutSeconds: number): Deadlines {
  const remaining = Math.floor(remainingMs);
  const reserve = Math.min(MAX_ANSWER_RESERVE_MS, Math.ceil(remaining / 3));
  return {
    work: startedAt + Math.max(0, Math.min(timeoutSeconds * 1000, remaining - reserve)),
    callTimeoutMs: Math.max(1_000, Math.min(MAX_CALL_TIMEOUT_MS, Math.floor(reserve / 2))),
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
  readonly data: ResponseData;
}

/** A request whose properties passed validation, ready to be reconciled. */
interface PreparedRequest {
  /** The stream's name. */
  readonly streamName: string;
  /** Seconds the handler may wait for the stream. */
  readonly timeoutSeconds: number;
  /** The attributes once the stream is encrypted as wanted. */
  readonly wanted: ResponseData;
  /**
   * Reconcile the stream: encrypt it (Create, Update) or decrypt it (Delete).
   *
   * @returns the result, with the attributes of a SUCCESS and of a FAILED answer.
   */
  run(requestType: RequestType, env: SessionEnvironment): Promise<ReconcileResult<unknown> & { successData: ResponseData; failedData: ResponseData }>;
}

/** How one kind of stream is handled: its properties, physical ids and attributes. */
interface StreamKindHandling {
  /** Attributes when nothing is known. */
  readonly noData: ResponseData;
  /** The properties whose change makes an Update touch the stream. */
  readonly functionalProperties: ReadonlyArray<string>;
  /** The stream name in a property bag, if usable. */
  usableStreamName(bag: unknown): string | undefined;
  /** The physical id of the encryption of a stream. */
  physicalId(streamName: string): string;
  /**
   * Validate the properties.
   *
   * @throws HandlerFailure naming the first invalid property.
   */
  prepare(bag: unknown, deps: HandlerDependencies): PreparedRequest;
}

/** A request as received: the raw event, when it started, its time budget and logger. */
interface Request {
  /** The event, as an untrusted record. */
  readonly event: Readonly<Record<string, unknown>>;
  /** How the kind of stream the request is for is handled. */
  readonly handling: StreamKindHandling;
  /** When handling started, in epoch milliseconds. */
  readonly startedAt: number;
  /** The Lambda's remaining time when handling started, in milliseconds. */
  readonly remainingMs: number;
  /** Strings to keep out of logs and reasons (the ResponseURL and its parts). */
  readonly secrets: ReadonlyArray<string>;
  /** The request's logger. */
  readonly log: Logger;
}

/** Attributes of a delivery stream when nothing is known. */
const NO_DATA: DeliveryStreamEncryptionResponseData = { KeyType: '', KeyArn: '', EncryptionStatus: '' };

/** Attributes of a data stream when nothing is known. */
const NO_DATA_STREAM_DATA: DataStreamEncryptionResponseData = { EncryptionType: '', KeyId: '', StreamStatus: '' };

/** Delivery streams, through Firehose (`Custom::DeliveryStreamEncryption`). */
const DELIVERY_STREAMS: StreamKindHandling = {
  noData: NO_DATA,
  functionalProperties: FUNCTIONAL_PROPERTIES,
  usableStreamName,
  physicalId: firehosePhysicalId,
  prepare(bag, deps) {
    const props = parseProperties(bag);
    const streamName = props.streamName;
    const wanted: DeliveryStreamEncryptionResponseData = { KeyType: props.keyType, KeyArn: props.keyArn ?? '', EncryptionStatus: 'ENABLED' };
    return {
      streamName,
      timeoutSeconds: props.timeoutSeconds,
      wanted,
      async run(requestType, env) {
        const fenv = { ...env, firehose: deps.firehose };
        const result = requestType === 'Delete'
          ? await reconcile({ kind: 'decrypt', streamName }, 0, fenv)
          : await reconcile({ kind: 'encrypt', streamName, keyType: props.keyType, keyArn: props.keyArn }, props.settleSeconds, fenv);
        const seen = dataOf(result.observation);
        return { ...result, successData: requestType === 'Delete' ? { ...NO_DATA, EncryptionStatus: seen.EncryptionStatus } : wanted, failedData: seen };
      },
    };
  },
};

/** Kinesis data streams (`Custom::DataStreamEncryption`). */
const DATA_STREAMS: StreamKindHandling = {
  noData: NO_DATA_STREAM_DATA,
  functionalProperties: DATA_STREAM_FUNCTIONAL_PROPERTIES,
  usableStreamName: usableDataStreamName,
  physicalId: kinesisPhysicalId,
  prepare(bag, deps) {
    const props = parseDataStreamProperties(bag);
    const { streamName, streamArn } = props;
    const wanted: DataStreamEncryptionResponseData = { EncryptionType: 'KMS', KeyId: props.keyId, StreamStatus: 'ACTIVE' };
    return {
      streamName,
      timeoutSeconds: props.timeoutSeconds,
      wanted,
      async run(requestType, env) {
        if (!deps.kinesis) {
          throw new Error('no Kinesis client');
        }
        const kenv = { ...env, kinesis: deps.kinesis };
        const result = requestType === 'Delete'
          ? await reconcileDataStream({ kind: 'decrypt', streamName, streamArn }, 0, kenv)
          : await reconcileDataStream({ kind: 'encrypt', streamName, streamArn, keyId: props.keyId }, props.settleSeconds, kenv);
        const seen = dataStreamDataOf(result.observation);
        return { ...result, successData: requestType === 'Delete' ? { ...seen, KeyId: '' } : wanted, failedData: seen };
      },
    };
  },
};

/**
 * The kind of stream of a request: by its resource type, else by its
 * `StreamKind` property. A request of one of the library's resource types is
 * validated as that type, so a `StreamKind` that does not match it is refused.
 */
function handlingOf(event: Readonly<Record<string, unknown>>): StreamKindHandling {
  switch (event.ResourceType) {
    case DELIVERY_STREAM_ENCRYPTION_RESOURCE_TYPE:
      return DELIVERY_STREAMS;
    case DATA_STREAM_ENCRYPTION_RESOURCE_TYPE:
      return DATA_STREAMS;
  }
  const bag = event.ResourceProperties;
  return typeof bag === 'object' && bag !== null && (bag as Record<string, unknown>).StreamKind === 'kinesis' ? DATA_STREAMS : DELIVERY_STREAMS;
}

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
    outcome = unexpected(request, err);
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
  await deliver(request, unexpected(request, error), context, deps);
}

/** Read what is needed from the event and context, defensively, and log a safe summary; never throws. */
function openRequest(event: unknown, context: InvocationContext, deps: AnswerDependencies): Request {
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
  return { event: raw, handling: handlingOf(raw), startedAt, remainingMs, secrets, log };
}

/**
 * The physical id of a Create that never called Start: derived from the
 * stream when its name is usable, else from the logical id.
 */
function notStartedId(request: Request): string {
  const { event, handling } = request;
  const name = handling.usableStreamName(event.ResourceProperties);
  return `${name !== undefined ? handling.physicalId(name) : text(event.LogicalResourceId) ?? 'StreamEncryption'}${NOT_STARTED_SUFFIX}`;
}

/** The FAILED outcome of an error nobody expected. */
function unexpected(request: Request, err: unknown): Outcome {
  const failure = new HandlerFailure('UNEXPECTED_ERROR', { operation: 'request handling', error: describeError(err) });
  return {
    status: 'FAILED',
    reason: failure.message,
    reasonId: failure.reasonId,
    physicalResourceId: text(request.event.PhysicalResourceId) ?? notStartedId(request),
    data: request.handling.noData,
  };
}

/** The attributes of the last reading of a delivery stream. */
function dataOf(observation: Observation | undefined): DeliveryStreamEncryptionResponseData {
  return observation?.found
    ? { KeyType: observation.encryption.keyType ?? '', KeyArn: observation.encryption.keyArn ?? '', EncryptionStatus: encryptionStatus(observation) ?? '' }
    : NO_DATA;
}

/** The attributes of the last reading of a data stream. */
function dataStreamDataOf(observation: DataStreamObservation | undefined): DataStreamEncryptionResponseData {
  return observation?.found
    ? { EncryptionType: observation.encryptionType ?? 'NONE', KeyId: observation.keyId ?? '', StreamStatus: observation.streamStatus }
    : NO_DATA_STREAM_DATA;
}

/**
 * Decide the answer to one request:
 * - Delete: nothing to do when the Create never called Start or the policy
 *   is to retain; otherwise stop the encryption, unless the stream's owner tag
 *   names another resource. The physical id is echoed.
 * - Update: nothing to do when no functional property changed (and no call:
 *   the owner tag, written by this same resource before, still names it);
 *   otherwise encrypt the (possibly other) stream. A new stream name yields a
 *   new physical id, after which CloudFormation deletes the old resource; a
 *   FAILED Update keeps the old id.
 * - Create: encrypt the stream. A FAILED Create that never called Start
 *   marks its physical id with {@link NOT_STARTED_SUFFIX}.
 *
 * A successful Create or Update tags the stream with this resource's owner
 * tag value (from its stack id and logical id), even when the stream was
 * already encrypted as wanted.
 */
async function respond(request: Request, deps: HandlerDependencies): Promise<Outcome> {
  const { event, handling, log } = request;
  const givenId = text(event.PhysicalResourceId);
  // The id of a FAILED answer given before any Start.
  let failedId = givenId ?? notStartedId(request);
  const done = (note: string, data: ResponseData = handling.noData): Outcome => {
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
    const prepared = handling.prepare(bag, deps);
    checkPartition(bag, text(event.StackId));
    if (requestType === 'Update' && !functionalPropertiesChanged(event.OldResourceProperties, bag, handling.functionalProperties)) {
      return done('No functional property changed', prepared.wanted);
    }

    const deadlines = computeDeadlines(request.startedAt, request.remainingMs, prepared.timeoutSeconds);
    log.info('deadline', { workMs: deadlines.work - request.startedAt });
    const stackId = text(event.StackId);
    const logicalId = text(event.LogicalResourceId);
    const env: SessionEnvironment = {
      kms: deps.kms,
      clock: { now: deps.now, sleep: deps.sleep, random: deps.random },
      startedAt: request.startedAt,
      deadline: deadlines.work,
      callTimeoutMs: deadlines.callTimeoutMs,
      log,
      owner: stackId && logicalId ? ownerTagValue(stackId, logicalId) : undefined,
    };
    const streamName = prepared.streamName;
    const result = await prepared.run(requestType, env);

    // Create and a stream name change get the new stream's id; Delete and an Update of the same stream keep theirs.
    const streamId = requestType === 'Create' || (requestType === 'Update' && handling.usableStreamName(event.OldResourceProperties) !== streamName)
      ? handling.physicalId(streamName)
      : givenId ?? handling.physicalId(streamName);
    if (result.status === 'SUCCESS') {
      return { status: 'SUCCESS', reason: result.reason, physicalResourceId: streamId, data: result.successData };
    }
    if (requestType === 'Create' && result.startIssued) {
      failedId = streamId;
    }
    return { status: 'FAILED', reason: result.reason, reasonId: result.reasonId, physicalResourceId: failedId, data: result.failedData };
  } catch (err) {
    if (err instanceof HandlerFailure) {
      return { status: 'FAILED', reason: err.message, reasonId: err.reasonId, physicalResourceId: failedId, data: handling.noData };
    }
    throw err;
  }
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
