/**
 * The reconcile loop: read the stream, ask the stream's truth table what to
 * do, do it, and repeat until the table says SUCCESS or FAILED or the deadline
 * is reached. All waiting goes through the injected clock; an AWS call is
 * retried only when its error is throttling or transient.
 *
 * The loop itself ({@link runReconcile}, {@link ReconcileSession}) knows no
 * service: a {@link StreamDriver} brings the reads, the calls, the truth
 * table and the error mapping of one kind of stream. This module holds the
 * Firehose driver ({@link reconcile}); `kinesis-reconcile.ts` the Kinesis one.
 */
import {
  DescribeDeliveryStreamCommand,
  FirehoseClient,
  ListTagsForDeliveryStreamCommand,
  StartDeliveryStreamEncryptionCommand,
  StopDeliveryStreamEncryptionCommand,
  TagDeliveryStreamCommand,
  UntagDeliveryStreamCommand,
} from '@aws-sdk/client-firehose';
import { DescribeKeyCommand, KeyMetadata, KMSClient } from '@aws-sdk/client-kms';
import { Backoff, Clock, ERROR_BACKOFF, POLL_BACKOFF } from './backoff';
import { decide, encryptionStatus, Goal, INITIAL_MEMORY, Memory, Observation, observe, remember, summarize } from './decide';
import { classifyError, describeError, ErrorClass, errorInfo, Operation } from './errors';
import { Logger } from './log';
import { findOwnerTag, TAG_PAGE_SIZE } from './ownership';
import { HandlerFailure, ReasonId, ReasonParams } from './reasons';
import { OWNER_TAG_KEY } from '../src/private/contract';

/** What every reconcile loop needs from the outside world. */
export interface SessionEnvironment {
  /** KMS client (retries disabled: the loop does its own). */
  readonly kms: KMSClient;
  /** Time, sleep and jitter. */
  readonly clock: Clock;
  /** When the request started, in epoch milliseconds. */
  readonly startedAt: number;
  /** When to give up and answer FAILED, in epoch milliseconds. */
  readonly deadline: number;
  /** Longest time one AWS call may take before it is aborted, in milliseconds. */
  readonly callTimeoutMs: number;
  /** The request's logger. */
  readonly log: Logger;
  /**
   * The owner tag value of the resource handled (`ownerTagValue`):
   * written on the stream after it is encrypted, and compared with the
   * stream's before a Delete stops its encryption. Absent: the stream's owner
   * tag is neither read nor written.
   */
  readonly owner?: string;
}

/** What the Firehose reconcile loop needs from the outside world. */
export interface ReconcileEnvironment extends SessionEnvironment {
  /** Firehose client (retries disabled: the loop does its own). */
  readonly firehose: FirehoseClient;
}

/** How a reconcile ended. */
export interface ReconcileResult<O = Observation> {
  /** The answer to give CloudFormation. */
  readonly status: 'SUCCESS' | 'FAILED';
  /** The reason: a catalogue reason for FAILED, the stream's state for SUCCESS. */
  readonly reason: string;
  /** The catalogue entry, for FAILED. */
  readonly reasonId?: ReasonId;
  /** Whether Start was sent and may have taken effect (accepted, or lost to a transient error). */
  readonly startIssued: boolean;
  /** The last reading of the stream, if any. */
  readonly observation?: O;
}

/** The next step of the loop, as a stream's truth table decides it. */
export type Step =
  | { readonly kind: 'wait' }
  | { readonly kind: 'start' }
  | { readonly kind: 'stop' }
  | { readonly kind: 'succeed'; readonly settle: boolean }
  | { readonly kind: 'fail'; readonly reasonId: ReasonId; readonly params: ReasonParams };

/** How a Start or Stop call went: taken, perhaps taken (retry after reading again), or no stream. */
export type ChangeOutcome = 'accepted' | 'uncertain' | 'gone';

/** A reading of any kind of stream. */
export interface Reading {
  /** Whether the stream exists. */
  readonly found: boolean;
}

/** What one kind of stream brings to the reconcile loop. */
export interface StreamDriver<O extends Reading> {
  /** Words for the stream in SUCCESS reasons, e.g. `Delivery stream`. */
  readonly label: string;
  /** The catalogue entry of a deadline reached while the stream had not changed as wanted. */
  readonly timedOut: ReasonId;
  /** Whether the goal is to turn encryption off (a Delete). */
  readonly decrypting: boolean;
  /** Read the stream once (through `session.read`); a missing stream is `{ found: false }`. */
  describe(session: ReconcileSession<O>): Promise<O>;
  /** The next step after a reading; may check keys through the session first, and remembers the reading. */
  decide(observation: O, session: ReconcileSession<O>): Promise<Step>;
  /** Call Start or Stop through `session.change`. */
  change(kind: 'start' | 'stop', session: ReconcileSession<O>): Promise<ChangeOutcome>;
  /** A one-line description of a reading, for reasons and logs. */
  summarize(observation: O | undefined): string;
  /** The state a reading of an existing stream is in, for a deadline reason. */
  state(observation: O): string | undefined;
  /** The catalogue reason of a non-retryable error of `operation`. */
  failureFor(err: unknown, operation: Operation): HandlerFailure;
  /** Whether a reading shows a stream whose tags can change: it exists and is ACTIVE. */
  taggable(observation: O): boolean;
  /**
   * The value of the stream's {@link OWNER_TAG_KEY} tag (`undefined`: no such
   * tag, or an empty value), read through `session.read`.
   */
  readOwner(session: ReconcileSession<O>): Promise<string | undefined>;
  /** Write the owner tag with `value`, or remove it (`undefined`), through `session.read`. */
  writeOwner(value: string | undefined, session: ReconcileSession<O>): Promise<void>;
}

/**
 * One reconcile: the time budget, the backoffs, the last reading and error,
 * and the calls every kind of stream makes the same way.
 */
export class ReconcileSession<O extends Reading> {
  /** The last reading of the stream, if any. */
  public observation?: O;
  /** Whether Start was sent and may have taken effect. */
  public startIssued = false;
  private readonly poll: Backoff;
  private readonly errors: Backoff;
  private lastError: { readonly operation: Operation; readonly error: string; readonly kind: ErrorClass } | undefined;

  /**
   * @param env - clients, clock, deadline and logger.
   * @param stream - the stream's name, for reasons.
   * @param driver - the kind of stream.
   */
  constructor(readonly env: SessionEnvironment, readonly stream: string, private readonly driver: StreamDriver<O>) {
    this.poll = new Backoff(POLL_BACKOFF, () => env.clock.random());
    this.errors = new Backoff(ERROR_BACKOFF, () => env.clock.random());
  }

  /** The request's logger. */
  get log(): Logger {
    return this.env.log;
  }

  /** Bound one AWS call in time. */
  abortSignal(): AbortSignal {
    return AbortSignal.timeout(this.env.callTimeoutMs);
  }

  /**
   * Sleep for `ms`, but never past the deadline.
   *
   * @throws HandlerFailure THROTTLED or the driver's timed-out reason once the deadline has passed.
   */
  async pause(ms: number): Promise<void> {
    const { clock, deadline, startedAt } = this.env;
    const now = clock.now();
    if (now >= deadline) {
      const seconds = Math.round((now - startedAt) / 1000);
      const lastError = this.lastError;
      if (lastError?.kind === 'throttled') {
        throw new HandlerFailure('THROTTLED', { operation: lastError.operation, stream: this.stream, seconds, error: lastError.error });
      }
      const observation = this.observation;
      const state = !observation ? 'unreadable' : !observation.found ? 'missing' : this.driver.state(observation);
      const lastStatus = this.driver.summarize(observation) + (lastError ? `; last error ${lastError.error} from ${lastError.operation}` : '');
      throw new HandlerFailure(this.driver.timedOut, { stream: this.stream, state: state ?? '?', seconds, lastStatus });
    }
    await clock.sleep(Math.min(ms, deadline - now));
  }

  /** Wait before the next reading. */
  async nextPoll(): Promise<void> {
    await this.pause(this.poll.next());
  }

  /** Record a retryable error and wait before the next attempt. */
  async backOff(operation: Operation, err: unknown, kind: ErrorClass): Promise<void> {
    this.lastError = { operation, error: describeError(err), kind };
    const delayMs = this.errors.next();
    this.log.warn('retry', { operation, error: this.lastError.error, errorClass: kind, delayMs });
    await this.pause(delayMs);
  }

  /** A call went through: forget the last error and ease the error backoff. */
  accepted(): void {
    this.lastError = undefined;
    this.errors.relax();
  }

  /**
   * One idempotent call (a read, or a tag written or removed), retried with
   * backoff while its error is throttling or transient; any other error is
   * thrown as it is.
   */
  async read<T>(operation: Operation, send: () => Promise<T>): Promise<T> {
    for (;;) {
      try {
        const output = await send();
        this.accepted();
        return output;
      } catch (err) {
        const kind = classifyError(err, operation);
        if (kind === 'fatal') {
          throw err;
        }
        await this.backOff(operation, err, kind);
      }
    }
  }

  /**
   * The `kms:DescribeKey` pre-flight of a customer managed key: it must be
   * Enabled, for ENCRYPT_DECRYPT, and symmetric.
   *
   * @returns the key's metadata.
   * @throws HandlerFailure when the key cannot be used or cannot be read.
   */
  async verifyKey(key: string): Promise<KeyMetadata> {
    let metadata;
    try {
      const output = await this.read('DescribeKey', () => this.env.kms.send(new DescribeKeyCommand({ KeyId: key }), { abortSignal: this.abortSignal() }));
      metadata = output?.KeyMetadata;
    } catch (err) {
      throw this.driver.failureFor(err, 'DescribeKey');
    }
    if (!metadata) {
      throw new HandlerFailure('UNEXPECTED_ERROR', { operation: 'DescribeKey', error: 'no KeyMetadata' });
    }
    const state = metadata.KeyState ?? '?';
    const usage = metadata.KeyUsage ?? '?';
    const spec = metadata.KeySpec ?? metadata.CustomerMasterKeySpec ?? '?';
    this.log.info('verify-key', { key, resolvedKey: metadata.Arn, keyState: state, keyUsage: usage, keySpec: spec });
    if (state !== 'Enabled') {
      throw new HandlerFailure('KEY_NOT_ENABLED', { key, state });
    }
    if (usage !== 'ENCRYPT_DECRYPT') {
      throw new HandlerFailure('KEY_WRONG_USAGE', { key, usage });
    }
    if (spec !== 'SYMMETRIC_DEFAULT') {
      throw new HandlerFailure('KEY_NOT_SYMMETRIC', { key, spec });
    }
    return metadata;
  }

  /**
   * Start or Stop. Never retried by itself: after a transient error the loop
   * reads the stream again, because the call may have taken effect. Once
   * accepted, waits one short poll before the next reading.
   *
   * @param operation - the call.
   * @param send - sends it.
   * @param fields - what to log with an accepted call.
   * @returns `gone` when Stop finds no stream.
   * @throws HandlerFailure when the service refuses the call.
   */
  async change(operation: Operation, send: () => Promise<unknown>, fields: Readonly<Record<string, unknown>>): Promise<ChangeOutcome> {
    const isStart = operation.startsWith('Start');
    try {
      await send();
    } catch (err) {
      const kind = classifyError(err, operation);
      if (kind === 'fatal') {
        if (!isStart && errorInfo(err).name === 'ResourceNotFoundException') {
          return 'gone';
        }
        throw this.driver.failureFor(err, operation);
      }
      this.startIssued ||= isStart;
      await this.backOff(operation, err, kind);
      return 'uncertain';
    }
    this.startIssued ||= isStart;
    this.accepted();
    this.log.info(isStart ? 'start' : 'stop', { ...fields, status: 'accepted' });
    this.poll.reset();
    await this.nextPoll();
    return 'accepted';
  }
}

/**
 * Drive a stream's encryption to where its driver wants it.
 *
 * @param driver - the kind of stream, with its goal.
 * @param stream - the stream's name, for reasons.
 * @param settleSeconds - how long to wait after the stream got the key before SUCCESS.
 * @param env - clients, clock, deadline and logger.
 * @returns the answer; never rejects.
 */
export async function runReconcile<O extends Reading>(
  driver: StreamDriver<O>,
  stream: string,
  settleSeconds: number,
  env: SessionEnvironment,
): Promise<ReconcileResult<O>> {
  const session = new ReconcileSession(env, stream, driver);
  const result = (status: 'SUCCESS' | 'FAILED', reason: string, reasonId?: ReasonId): ReconcileResult<O> =>
    ({ status, reason, reasonId, startIssued: session.startIssued, observation: session.observation });
  const owner = env.owner;
  try {
    // A Delete stops the encryption only when the owner tag names this resource, or there is none.
    let taggedByUs = false;
    if (driver.decrypting && owner !== undefined) {
      const managedBy = await readOwnerTag(driver, session);
      if (typeof managedBy === 'string' && managedBy !== owner) {
        env.log.info('owner', { managedBy, decision: 'another resource manages the stream: encryption left on' });
        return result('SUCCESS', `${driver.label} ${stream}: managed by another resource (tag ${OWNER_TAG_KEY} ${managedBy}); encryption left on.`);
      }
      taggedByUs = managedBy === owner;
      if (managedBy !== null) {
        env.log.info('owner', { managedBy: managedBy ?? null, decision: taggedByUs ? 'this resource manages the stream' : 'no owner tag' });
      }
    }
    for (;;) {
      const seen = session.observation = await driver.describe(session);
      const step = await driver.decide(seen, session);
      env.log.info('decide', { status: driver.summarize(seen), decision: step.kind, ...(step.kind === 'fail' ? { reasonId: step.reasonId } : {}) });
      switch (step.kind) {
        case 'succeed': {
          const settleMs = step.settle ? Math.min(settleSeconds * 1000, Math.max(0, env.deadline - env.clock.now())) : 0;
          if (settleMs > 0) {
            env.log.info('settle', { settleMs });
            await env.clock.sleep(settleMs);
          }
          // Encrypted: this resource now manages the stream. Decrypted: it no longer does.
          if (owner !== undefined && !driver.decrypting) {
            await writeOwnerTag(driver, session, owner);
          } else if (taggedByUs && driver.taggable(seen)) {
            await writeOwnerTag(driver, session, undefined);
          }
          return result('SUCCESS', `${driver.label} ${stream}: ${driver.summarize(seen)}.`);
        }
        case 'fail':
          throw new HandlerFailure(step.reasonId, step.params);
        case 'start':
          await driver.change('start', session);
          break;
        case 'stop':
          if (await driver.change('stop', session) === 'gone') {
            session.observation = { found: false } as O;
            return result('SUCCESS', `${driver.label} ${stream}: stream not found.`);
          }
          break;
        default:
          await session.nextPoll();
      }
    }
  } catch (err) {
    const failure = err instanceof HandlerFailure ? err : new HandlerFailure('UNEXPECTED_ERROR', { operation: 'reconcile', error: describeError(err) });
    return result('FAILED', failure.message, failure.reasonId);
  }
}

/**
 * The stream's owner tag, for a Delete: its value, `undefined` when there is
 * none, or `null` when it could not be read. A failure other than the
 * deadline (access denied, stream gone, …) is logged, and the Delete then
 * stops the encryption as it does for an untagged stream.
 *
 * @throws HandlerFailure when the deadline passes while the call is retried.
 */
async function readOwnerTag<O extends Reading>(driver: StreamDriver<O>, session: ReconcileSession<O>): Promise<string | undefined | null> {
  try {
    return await driver.readOwner(session);
  } catch (err) {
    if (err instanceof HandlerFailure) {
      throw err;
    }
    session.log.warn('owner', { error: describeError(err), decision: 'owner unknown: stop as for an untagged stream' });
    return null;
  }
}

/**
 * Write (or, with `undefined`, remove) the stream's owner tag. Never fails the
 * request: the stream is already as wanted, so any error (the deadline
 * included) is logged as a warning and the answer stays SUCCESS.
 */
async function writeOwnerTag<O extends Reading>(driver: StreamDriver<O>, session: ReconcileSession<O>, value: string | undefined): Promise<void> {
  try {
    await driver.writeOwner(value, session);
    session.log.info('owner', value === undefined ? { status: 'untagged' } : { status: 'tagged', managedBy: value });
  } catch (err) {
    session.log.warn('owner', { status: value === undefined ? 'not untagged' : 'not tagged', error: describeError(err) });
  }
}

/** A delivery stream, through Firehose. */
class DeliveryStreamDriver implements StreamDriver<Observation> {
  readonly label = 'Delivery stream';
  readonly timedOut = 'TIMED_OUT';
  readonly decrypting: boolean;
  private memory: Memory = INITIAL_MEMORY;

  constructor(private readonly goal: Goal, private readonly firehose: FirehoseClient) {
    this.decrypting = goal.kind === 'decrypt';
  }

  /** `DescribeDeliveryStream`; a missing stream is an observation, not an error. */
  async describe(session: ReconcileSession<Observation>): Promise<Observation> {
    let output;
    try {
      output = await session.read('DescribeDeliveryStream', () =>
        this.firehose.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: this.goal.streamName }), { abortSignal: session.abortSignal() }));
    } catch (err) {
      if (errorInfo(err).name !== 'ResourceNotFoundException') {
        throw this.failureFor(err, 'DescribeDeliveryStream');
      }
      return { found: false };
    }
    if (!output?.DeliveryStreamDescription) {
      throw new HandlerFailure('UNEXPECTED_ERROR', { operation: 'DescribeDeliveryStream', error: 'no DeliveryStreamDescription' });
    }
    return observe(output.DeliveryStreamDescription);
  }

  async decide(seen: Observation, session: ReconcileSession<Observation>): Promise<Step> {
    const goal = this.goal;
    let action = decide(goal, seen, this.memory);
    if (action.kind === 'verify-key' && goal.kind === 'encrypt' && goal.keyArn) {
      // Remember the key ARN that the given ARN (perhaps an alias ARN) resolves to.
      const metadata = await session.verifyKey(goal.keyArn);
      this.memory = { ...this.memory, keyVerified: true, resolvedKeyArn: metadata.Arn ?? goal.keyArn };
      action = decide(goal, seen, this.memory);
    }
    this.memory = remember(this.memory, seen);
    return action.kind === 'verify-key' ? { kind: 'wait' } : action;
  }

  async change(kind: 'start' | 'stop', session: ReconcileSession<Observation>): Promise<ChangeOutcome> {
    const goal = this.goal;
    const stream = goal.streamName;
    const keyType = goal.kind === 'encrypt' ? goal.keyType : undefined;
    const keyArn = goal.kind === 'encrypt' && keyType === 'CUSTOMER_MANAGED_CMK' ? this.memory.resolvedKeyArn ?? goal.keyArn : undefined;
    const outcome = kind === 'start'
      ? await session.change('StartDeliveryStreamEncryption', () => this.firehose.send(new StartDeliveryStreamEncryptionCommand({
        DeliveryStreamName: stream,
        DeliveryStreamEncryptionConfigurationInput: { KeyType: keyType, KeyARN: keyArn },
      }), { abortSignal: session.abortSignal() }), { keyType, key: keyArn })
      : await session.change('StopDeliveryStreamEncryption', () => this.firehose.send(
        new StopDeliveryStreamEncryptionCommand({ DeliveryStreamName: stream }), { abortSignal: session.abortSignal() }), { keyType, key: keyArn });
    if (outcome === 'accepted') {
      this.memory = kind === 'start' ? { ...this.memory, started: true } : { ...this.memory, stopped: true };
    }
    return outcome;
  }

  summarize(observation: Observation | undefined): string {
    return summarize(observation);
  }

  taggable(observation: Observation): boolean {
    return observation.found && observation.streamStatus === 'ACTIVE';
  }

  /** `ListTagsForDeliveryStream`, page by page until the owner tag or the last page. */
  async readOwner(session: ReconcileSession<Observation>): Promise<string | undefined> {
    const DeliveryStreamName = this.goal.streamName;
    return findOwnerTag(async (ExclusiveStartTagKey) => {
      const input = { DeliveryStreamName, ExclusiveStartTagKey, Limit: TAG_PAGE_SIZE };
      const output = await session.read('ListTagsForDeliveryStream', () =>
        this.firehose.send(new ListTagsForDeliveryStreamCommand(input), { abortSignal: session.abortSignal() }));
      return { tags: output?.Tags ?? [], more: output?.HasMoreTags === true };
    });
  }

  /** `TagDeliveryStream`, or `UntagDeliveryStream` for `undefined`. */
  async writeOwner(value: string | undefined, session: ReconcileSession<Observation>): Promise<void> {
    const DeliveryStreamName = this.goal.streamName;
    await (value === undefined
      ? session.read('UntagDeliveryStream', () => this.firehose.send(
        new UntagDeliveryStreamCommand({ DeliveryStreamName, TagKeys: [OWNER_TAG_KEY] }), { abortSignal: session.abortSignal() }))
      : session.read('TagDeliveryStream', () => this.firehose.send(
        new TagDeliveryStreamCommand({ DeliveryStreamName, Tags: [{ Key: OWNER_TAG_KEY, Value: value }] }), { abortSignal: session.abortSignal() })));
  }

  state(observation: Observation): string | undefined {
    return observation.found && observation.streamStatus !== 'ACTIVE' ? observation.streamStatus : encryptionStatus(observation);
  }

  /** Map a non-retryable error of `operation` to its catalogue reason. */
  failureFor(err: unknown, operation: Operation): HandlerFailure {
    if (err instanceof HandlerFailure) {
      return err;
    }
    const goal = this.goal;
    const stream = goal.streamName;
    const key = goal.kind === 'encrypt' ? goal.keyArn : undefined;
    const error = describeError(err);
    switch (errorInfo(err).name) {
      case 'LimitExceededException':
        return new HandlerFailure('CALL_LIMIT_EXCEEDED', { operation, stream, error });
      case 'InvalidArgumentException':
        return new HandlerFailure('INVALID_ARGUMENT', { operation, stream, error });
      case 'InvalidKMSResourceException':
        return new HandlerFailure('INVALID_KMS_RESOURCE', { stream, error });
      case 'ResourceNotFoundException':
        return new HandlerFailure(this.memory.streamSeen ? 'STREAM_DELETED' : 'STREAM_NOT_FOUND', { stream });
      case 'NotFoundException':
      case 'InvalidArnException':
        if (operation === 'DescribeKey') {
          return new HandlerFailure('KEY_NOT_FOUND', { key: key ?? '?', error });
        }
        break;
      case 'AccessDeniedException':
        return operation === 'DescribeKey'
          ? new HandlerFailure('KEY_ACCESS_DENIED', { key: key ?? '?', error })
          : new HandlerFailure('ACCESS_DENIED', { operation, stream, error });
    }
    return new HandlerFailure('UNEXPECTED_ERROR', { operation, error });
  }
}

/**
 * Drive a delivery stream's encryption towards `goal`.
 *
 * @param goal - what the encryption should be.
 * @param settleSeconds - how long to wait after ENABLED before SUCCESS.
 * @param env - clients, clock, deadline and logger.
 * @returns the answer; never rejects.
 */
export async function reconcile(goal: Goal, settleSeconds: number, env: ReconcileEnvironment): Promise<ReconcileResult> {
  return runReconcile(new DeliveryStreamDriver(goal, env.firehose), goal.streamName, settleSeconds, env);
}
