/**
 * Drift repair: one CloudTrail management event that may have undone a
 * guarded stream's encryption (`Stop…Encryption`, or `Start…Encryption`
 * with another key), delivered by the stream's EventBridge rule with the
 * stream's desired encryption; the stream re-read and, if it is not as
 * wanted, put back with the same truth table the custom resource uses.
 *
 * All I/O comes in through {@link RepairDependencies}, so tests run it with
 * mocked clients and a fake clock. It never throws but when an alert could
 * not be published (then Lambda's retries and the dead-letter topic take
 * over), and logs exactly one JSON line per event.
 */
import { guardFailure } from './reasons';
import {
  DATA_STREAM_ENCRYPTION_RESOURCE_TYPE,
  HANDLER_TIMEOUT_SECONDS,
  MAX_REPAIRS_PER_STREAM_PER_DAY,
  parseOwnerTag,
  REPAIRS_TAG_KEY,
  RepairInput,
  sameOwner,
} from '../../src/private/contract';
import type { ClientProvider } from '../core/clients';
import { computeDeadlines } from '../core/deadlines';
import { describeError, errorInfo, Operation } from '../core/errors';
import { Logger, LogSink } from '../core/log';
import { ownerTagValue } from '../core/ownership';
import { HandlerFailure, ReasonId } from '../core/reasons';
import { reconcile, ReconcileSession, SessionEnvironment } from '../core/reconcile';
import type { ServiceTypes } from '../core/session';
import type { StreamService, StreamServiceRegistry } from '../core/stream-service';

/** Sends one alert to an SNS topic. */
export type Publish = (topicArn: string, subject: string, message: string) => Promise<void>;

/** Everything the guard touches outside itself. */
export interface RepairDependencies {
  /** The services of the kinds of stream, by resource type (`lambda/kinds`). */
  readonly services: StreamServiceRegistry;
  /** Makes (or reuses) the SDK clients a kind of stream calls. */
  readonly clients: ClientProvider;
  /** Resolve after `ms` milliseconds. */
  readonly sleep: (ms: number) => Promise<void>;
  /** Milliseconds since the epoch. */
  readonly now: () => number;
  /** A number in `[0, 1)`. */
  readonly random: () => number;
  /** Publishes an alert. */
  readonly publish: Publish;
  /** Where the JSON log line goes. */
  readonly log: LogSink;
}

/** The parts of the Lambda context the guard uses. */
export interface RepairContext {
  /** The invocation's request id, on the log line. */
  readonly awsRequestId?: string;
  /** Milliseconds left before Lambda stops the invocation. */
  getRemainingTimeInMillis(): number;
}

/**
 * What the guard did with one event:
 * - `repaired`: the stream was not as wanted and is again;
 * - `unchanged`: the stream was already as wanted;
 * - `ignored`: the event is not drift to repair (the stack's own call, a
 *   failed call, a stream handed to another owner, or gone);
 * - `capped`: the day's repairs of the stream are spent; no Start;
 * - `failed`: the repair did not succeed.
 */
export type RepairDecision = 'repaired' | 'unchanged' | 'ignored' | 'capped' | 'failed';

/** The guard's answer to one event (also its one log line). */
export interface RepairResult {
  /** What it did. */
  readonly decision: RepairDecision;
  /** Why, in words. */
  readonly reason: string;
  /** The catalogue entry, for `capped` and `failed`. */
  readonly reasonId?: ReasonId;
  /** Whether an alert was published. */
  readonly alerted: boolean;
}

/** How many step lines of the reconcile a failure's log line keeps. */
const MAX_STEPS_LOGGED = 20;

/** The CloudTrail event fields the guard reads. */
interface TrailCall {
  readonly eventName?: string;
  readonly eventSource?: string;
  readonly eventID?: string;
  readonly eventTime?: string;
  readonly errorCode?: string;
  /** The role (or user) that made the call. */
  readonly caller?: string;
}

/** A record, or `undefined`. */
function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? value as Record<string, unknown> : undefined;
}

/** A string, or `undefined`. */
function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** The fields of a CloudTrail event's `detail` the guard reads. */
export function trailCall(detail: unknown): TrailCall {
  const d = record(detail) ?? {};
  const identity = record(d.userIdentity) ?? {};
  const issuer = record(record(identity.sessionContext)?.sessionIssuer);
  return {
    eventName: text(d.eventName),
    eventSource: text(d.eventSource),
    eventID: text(d.eventID),
    eventTime: text(d.eventTime),
    errorCode: text(d.errorCode),
    caller: text(issuer?.arn) ?? text(identity.arn),
  };
}

/** The input, checked. */
interface ParsedInput {
  readonly input: RepairInput;
  readonly max: number;
}

/**
 * Check the input a rule built.
 *
 * @throws HandlerFailure `INVALID_REPAIR_INPUT`.
 */
export function parseRepairInput(raw: unknown): ParsedInput {
  const bag = record(raw);
  const problem = (what: string) => guardFailure('INVALID_REPAIR_INPUT', { problem: what });
  if (!bag) {
    throw problem('it is not an object');
  }
  for (const name of ['ResourceType', 'StackId', 'LogicalResourceId', 'ConstructPath', 'AlertTopicArn'] as const) {
    if (typeof bag[name] !== 'string' || bag[name] === '') {
      throw problem(`${name} must be a non-empty string`);
    }
  }
  if (!record(bag.Properties)) {
    throw problem('Properties must be an object');
  }
  const roles = bag.IgnoredRoleArns;
  if (!Array.isArray(roles) || roles.some((r) => typeof r !== 'string')) {
    throw problem('IgnoredRoleArns must be a list of role ARNs');
  }
  const max = Number(bag.MaxRepairsPerDay);
  if (!Number.isInteger(max) || max < 1 || max > MAX_REPAIRS_PER_STREAM_PER_DAY) {
    throw problem(`MaxRepairsPerDay must be a whole number from 1 to ${MAX_REPAIRS_PER_STREAM_PER_DAY}`);
  }
  return { input: bag as unknown as RepairInput, max };
}

/** The UTC day of `ms`, `YYYY-MM-DD`. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** The day's count of a repairs tag value, and whether the cap's alert was sent. */
export interface RepairCount {
  /** Repairs counted on the day. */
  readonly count: number;
  /** Whether the day's cap alert was published. */
  readonly alerted: boolean;
}

/** The repairs tag value of a day: `<YYYY-MM-DD>/<count>`, then `/alerted` once the cap's alert is sent. */
export function formatRepairCount(day: string, count: RepairCount): string {
  return `${day}/${count.count}${count.alerted ? '/alerted' : ''}`;
}

/** The count a repairs tag value holds for `day`: none for another day, or a value that is not one. */
export function parseRepairCount(value: string | undefined, day: string): RepairCount {
  const match = /^(\d{4}-\d{2}-\d{2})\/(\d+)(\/alerted)?$/.exec(value ?? '');
  return match && match[1] === day ? { count: Number(match[2]), alerted: match[3] !== undefined } : { count: 0, alerted: false };
}

/** The tag operations of a kind of stream, for reasons. */
function tagOperations(resourceType: string): { readonly list: Operation; readonly tag: Operation } {
  return resourceType === DATA_STREAM_ENCRYPTION_RESOURCE_TYPE
    ? { list: 'ListTagsForStream', tag: 'AddTagsToStream' }
    : { list: 'ListTagsForDeliveryStream', tag: 'TagDeliveryStream' };
}

/**
 * Handle one event. Returns what it did; rejects only when an alert that
 * had to be sent could not be.
 */
export async function handleRepairEvent(raw: unknown, context: RepairContext, deps: RepairDependencies): Promise<RepairResult> {
  const startedAt = deps.now();
  const steps: string[] = [];
  const stepLog = new Logger((line) => steps.push(line), deps.now, startedAt);
  const rawBag = record(raw) ?? {};
  const call = trailCall(rawBag.Detail);
  const fields: Record<string, unknown> = {
    constructPath: text(rawBag.ConstructPath),
    eventName: call.eventName,
    eventId: call.eventID,
    eventTime: call.eventTime,
    caller: call.caller,
  };
  const line = new Logger(deps.log, deps.now, startedAt, context.awsRequestId === undefined ? {} : { requestId: context.awsRequestId });
  const finish = async (result: Omit<RepairResult, 'alerted'>, alert?: { topicArn: string; stream: string }): Promise<RepairResult> => {
    let alerted = false;
    let publishError: unknown;
    if (alert) {
      try {
        await deps.publish(alert.topicArn, alertSubject(result.decision, alert.stream), JSON.stringify({
          stream: alert.stream, ...fields, decision: result.decision, reasonId: result.reasonId, reason: result.reason,
        }));
        alerted = true;
      } catch (err) {
        publishError = err;
      }
    }
    const failed = result.decision === 'failed' || publishError !== undefined;
    const eventAt = call.eventTime === undefined ? NaN : Date.parse(call.eventTime);
    line[failed ? 'error' : result.decision === 'capped' ? 'warn' : 'info']('repair', {
      ...fields,
      decision: result.decision,
      reasonId: result.reasonId,
      reason: result.reason,
      alerted,
      ...(publishError === undefined ? {} : { alertError: describeError(publishError) }),
      ...(result.decision === 'repaired' && Number.isFinite(eventAt) ? { sinceEventMs: Math.max(0, deps.now() - eventAt) } : {}),
      ...(failed ? { steps: steps.slice(-MAX_STEPS_LOGGED).map((s) => JSON.parse(s) as unknown) } : {}),
    });
    if (publishError !== undefined) {
      throw publishError;
    }
    return { ...result, alerted };
  };

  let parsed: ParsedInput;
  try {
    parsed = parseRepairInput(raw);
  } catch (err) {
    const failure = err instanceof HandlerFailure ? err : new HandlerFailure('UNEXPECTED_ERROR', { operation: 'input', error: describeError(err) });
    const topicArn = text(rawBag.AlertTopicArn);
    return finish({ decision: 'failed', reason: failure.message, reasonId: failure.reasonId }, topicArn ? { topicArn, stream: '?' } : undefined);
  }
  const { input, max } = parsed;
  const registration = deps.services.find((entry) => entry.resourceType === input.ResourceType);
  if (!registration) {
    const failure = guardFailure('INVALID_REPAIR_INPUT', { problem: `ResourceType ${input.ResourceType} is no kind of stream the guard knows` });
    return finish({ decision: 'failed', reason: failure.message, reasonId: failure.reasonId }, { topicArn: input.AlertTopicArn, stream: '?' });
  }
  if (call.errorCode !== undefined) {
    return finish({ decision: 'ignored', reason: `the call failed (${call.errorCode}): nothing changed` });
  }
  if (call.caller !== undefined && input.IgnoredRoleArns.includes(call.caller)) {
    return finish({ decision: 'ignored', reason: 'the call is the stack\'s own (the provider or the guard)' });
  }
  return repairStream(registration.load(), input, max, context, deps, stepLog, fields, finish, startedAt);
}

/** The subject of an alert (SNS: at most 100 characters). */
function alertSubject(decision: RepairDecision, stream: string): string {
  const what = decision === 'capped' ? 'repair cap reached' : 'repair failed';
  return `Stream encryption ${what}: ${stream}`.slice(0, 100);
}

/** The part of {@link handleRepairEvent} once the event is one to look at. */
async function repairStream<T extends ServiceTypes>(
  service: StreamService<T>,
  input: RepairInput,
  max: number,
  context: RepairContext,
  deps: RepairDependencies,
  stepLog: Logger,
  fields: Record<string, unknown>,
  finish: (result: Omit<RepairResult, 'alerted'>, alert?: { topicArn: string; stream: string }) => Promise<RepairResult>,
  startedAt: number,
): Promise<RepairResult> {
  const fail = (failure: HandlerFailure, stream: string) =>
    finish({ decision: 'failed', reason: failure.message, reasonId: failure.reasonId }, { topicArn: input.AlertTopicArn, stream });
  let properties: T['properties'];
  try {
    properties = service.parseProperties(input.Properties);
  } catch (err) {
    return fail(err instanceof HandlerFailure ? err : new HandlerFailure('UNEXPECTED_ERROR', { operation: 'input', error: describeError(err) }), '?');
  }
  const stream = properties.streamName;
  fields.stream = stream;
  let remainingMs = HANDLER_TIMEOUT_SECONDS * 1000;
  try {
    remainingMs = context.getRemainingTimeInMillis() || remainingMs;
  } catch {
    // the full timeout, as the handler assumes
  }
  const deadlines = computeDeadlines(startedAt, remainingMs, properties.timeoutSeconds);
  const env: SessionEnvironment = {
    clock: { now: deps.now, sleep: deps.sleep, random: deps.random },
    startedAt,
    deadline: deadlines.work,
    callTimeoutMs: deadlines.callTimeoutMs,
    log: stepLog,
  };
  const goal = service.goal(properties, 'Create');
  const clients = service.clients(deps.clients);
  const operations = tagOperations(input.ResourceType);

  // A stream whose owner tag names another resource was handed over on purpose.
  const reader = new ReconcileSession(service, goal, clients, env);
  let owner: string | undefined;
  try {
    owner = await service.readOwner(reader);
  } catch (err) {
    if (errorInfo(err).name === 'ResourceNotFoundException') {
      return finish({ decision: 'ignored', reason: 'the stream no longer exists' });
    }
    return fail(reader.failure(err, operations.list), stream);
  }
  const expected = ownerTagValue(input.StackId, input.LogicalResourceId);
  const tag = parseOwnerTag(owner);
  if (!sameOwner(tag?.owner, expected)) {
    fields.managedBy = owner ?? null;
    return finish({ decision: 'ignored', reason: 'the stream\'s owner tag no longer names this construct\'s resource: handed over, left alone' });
  }

  // Every Start or Stop the repair makes is counted on the stream, before it is sent, on the UTC
  // day of the call it answers (its CloudTrail eventTime), else of now.
  const eventAt = typeof fields.eventTime === 'string' ? Date.parse(fields.eventTime) : NaN;
  const day = utcDay(Number.isFinite(eventAt) ? eventAt : deps.now());
  let count: RepairCount = { count: 0, alerted: false };
  let spent = 0;
  const counted: StreamService<T> = {
    ...service,
    change: async (change, session) => {
      try {
        count = parseRepairCount(await service.readOwner(session, REPAIRS_TAG_KEY), day);
      } catch (err) {
        throw session.failure(err, operations.list);
      }
      if (count.count >= max) {
        throw guardFailure('REPAIR_CAP_REACHED', {
          stream, count: count.count, max, eventName: String(fields.eventName ?? '?'), caller: String(fields.caller ?? '?'),
        });
      }
      count = { ...count, count: count.count + 1 };
      spent += 1;
      try {
        await service.writeOwner(formatRepairCount(day, count), session, REPAIRS_TAG_KEY);
      } catch (err) {
        throw session.failure(err, operations.tag);
      }
      return service.change(change, session);
    },
  };
  const result = await reconcile(counted, { goal, settleSeconds: 0 }, clients, env);
  fields.repairsToday = count.count;
  fields.maxRepairsPerDay = max;
  fields.status = service.summarize(result.observation);
  if (result.status === 'SUCCESS') {
    return spent > 0 && result.startIssued
      ? finish({ decision: 'repaired', reason: result.reason })
      : finish({ decision: 'unchanged', reason: result.reason });
  }
  if (result.reasonId === 'REPAIR_CAP_REACHED') {
    if (count.alerted) {
      return finish({ decision: 'capped', reason: `${result.reason} (alert already sent today)`, reasonId: result.reasonId });
    }
    const capped = await finish({ decision: 'capped', reason: result.reason, reasonId: result.reasonId }, { topicArn: input.AlertTopicArn, stream });
    // Remember the alert, so that the day's later events do not repeat it.
    const marker = new ReconcileSession(service, goal, clients, env);
    try {
      await service.writeOwner(formatRepairCount(day, { ...count, alerted: true }), marker, REPAIRS_TAG_KEY);
    } catch {
      // At worst a later event of the day alerts again.
    }
    return capped;
  }
  return finish({ decision: 'failed', reason: result.reason, reasonId: result.reasonId }, { topicArn: input.AlertTopicArn, stream });
}
