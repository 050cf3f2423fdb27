/**
 * The reconcile loop: read the stream, ask the stream's truth table what to
 * do, do it, and repeat until the table says SUCCESS or FAILED or the deadline
 * is reached. All waiting goes through the injected clock; an AWS call is
 * retried only when its error is throttling or transient.
 *
 * The loop knows no service: a {@link StreamKind} brings the reads, the calls,
 * the truth table and the error mapping of one kind of stream.
 */
import { Backoff, Clock, ERROR_BACKOFF, POLL_BACKOFF } from './backoff';
import { classifyError, describeError, ErrorClass, errorInfo, Operation } from './errors';
import { Logger } from './log';
import { HandlerFailure, ReasonId, ReasonParams } from './reasons';
import type { KindTypes, StreamKind } from './stream-kind';
import { OWNER_TAG_KEY } from '../../src/private/contract';

/** What every reconcile loop needs from the outside world, whatever the kind of stream. */
export interface SessionEnvironment {
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

/** How a reconcile ended. */
export interface ReconcileResult<O extends Reading = Reading> {
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
  | {
    /** Read the stream again after a short pause. */
    readonly kind: 'wait';
  }
  | {
    /** Call Start (with the wanted key). */
    readonly kind: 'start';
  }
  | {
    /** Call Stop. */
    readonly kind: 'stop';
  }
  | {
    /** Answer SUCCESS. */
    readonly kind: 'succeed';
    /** Wait the settle time first (encryption was just applied). */
    readonly settle: boolean;
  }
  | {
    /** Answer FAILED. */
    readonly kind: 'fail';
    /** The catalogue entry. */
    readonly reasonId: ReasonId;
    /** The entry's parameters. */
    readonly params: ReasonParams;
  };

/** How a Start or Stop call went: taken, perhaps taken (retry after reading again), or no stream. */
export type ChangeOutcome = 'accepted' | 'uncertain' | 'gone';

/** A reading of any kind of stream. */
export interface Reading {
  /** Whether the stream exists. */
  readonly found: boolean;
}

/**
 * One reconcile: the time budget, the backoffs, the last reading and error,
 * and the calls every kind of stream makes the same way.
 */
export class ReconcileSession<T extends KindTypes = KindTypes> {
  /** The last reading of the stream, if any. */
  public observation?: T['observation'];
  /** What the kind's truth table did and saw earlier in this request. */
  public memory: T['memory'];
  /** Whether Start was sent and may have taken effect. */
  public startIssued = false;
  private readonly poll: Backoff;
  private readonly errors: Backoff;
  private lastError: { readonly operation: Operation; readonly error: string; readonly kind: ErrorClass } | undefined;

  /**
   * @param kind - the kind of stream.
   * @param goal - what the encryption should be.
   * @param clients - the kind's SDK clients.
   * @param env - clock, deadline and logger.
   */
  constructor(
    readonly kind: StreamKind<T>,
    readonly goal: T['goal'],
    readonly clients: T['clients'],
    readonly env: SessionEnvironment,
  ) {
    this.memory = kind.initialMemory;
    this.poll = new Backoff(POLL_BACKOFF, () => env.clock.random());
    this.errors = new Backoff(ERROR_BACKOFF, () => env.clock.random());
  }

  /** The stream's name, for reasons. */
  get stream(): string {
    return this.goal.streamName;
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
   * @throws HandlerFailure THROTTLED or the kind's timed-out reason once the deadline has passed.
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
      const state = !observation ? 'unreadable' : !observation.found ? 'missing' : this.kind.state(observation);
      const lastStatus = this.kind.summarize(observation) + (lastError ? `; last error ${lastError.error} from ${lastError.operation}` : '');
      throw new HandlerFailure(this.kind.timedOut, { stream: this.stream, state: state ?? '?', seconds, lastStatus });
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
  async read<R>(operation: Operation, send: () => Promise<R>): Promise<R> {
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

  /** The catalogue reason of a non-retryable error of `operation`, as the kind maps it. */
  failure(err: unknown, operation: Operation): HandlerFailure {
    return this.kind.failureFor(err, operation, this);
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
        throw this.failure(err, operation);
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
 * Drive a stream's encryption towards `goal`.
 *
 * @param kind - the kind of stream.
 * @param goal - what the encryption should be.
 * @param settleSeconds - how long to wait after the stream got the key before SUCCESS.
 * @param clients - the kind's SDK clients.
 * @param env - clock, deadline and logger.
 * @returns the answer; never rejects.
 */
export async function reconcile<T extends KindTypes>(
  kind: StreamKind<T>,
  goal: T['goal'],
  settleSeconds: number,
  clients: T['clients'],
  env: SessionEnvironment,
): Promise<ReconcileResult<T['observation']>> {
  const session = new ReconcileSession(kind, goal, clients, env);
  const stream = goal.streamName;
  const decrypting = goal.kind === 'decrypt';
  const result = (status: 'SUCCESS' | 'FAILED', reason: string, reasonId?: ReasonId): ReconcileResult<T['observation']> =>
    ({ status, reason, reasonId, startIssued: session.startIssued, observation: session.observation });
  const owner = env.owner;
  try {
    // A Delete stops the encryption only when the owner tag names this resource, or there is none.
    let taggedByUs = false;
    if (decrypting && owner !== undefined) {
      const managedBy = await readOwnerTag(session);
      if (typeof managedBy === 'string' && managedBy !== owner) {
        env.log.info('owner', { managedBy, decision: 'another resource manages the stream: encryption left on' });
        return result('SUCCESS', `${kind.label} ${stream}: managed by another resource (tag ${OWNER_TAG_KEY} ${managedBy}); encryption left on.`);
      }
      taggedByUs = managedBy === owner;
      if (managedBy !== null) {
        env.log.info('owner', { managedBy: managedBy ?? null, decision: taggedByUs ? 'this resource manages the stream' : 'no owner tag' });
      }
    }
    for (;;) {
      const seen = session.observation = await kind.describe(session);
      const step = await kind.decide(seen, session);
      env.log.info('decide', { status: kind.summarize(seen), decision: step.kind, ...(step.kind === 'fail' ? { reasonId: step.reasonId } : {}) });
      switch (step.kind) {
        case 'succeed': {
          const settleMs = step.settle ? Math.min(settleSeconds * 1000, Math.max(0, env.deadline - env.clock.now())) : 0;
          if (settleMs > 0) {
            env.log.info('settle', { settleMs });
            await env.clock.sleep(settleMs);
          }
          // Encrypted: this resource now manages the stream. Decrypted: it no longer does.
          if (owner !== undefined && !decrypting) {
            await writeOwnerTag(session, owner);
          } else if (taggedByUs && kind.taggable(seen)) {
            await writeOwnerTag(session, undefined);
          }
          return result('SUCCESS', `${kind.label} ${stream}: ${kind.summarize(seen)}.`);
        }
        case 'fail':
          throw new HandlerFailure(step.reasonId, step.params);
        case 'start':
          await kind.change('start', session);
          break;
        case 'stop':
          if (await kind.change('stop', session) === 'gone') {
            session.observation = { found: false } as T['observation'];
            return result('SUCCESS', `${kind.label} ${stream}: stream not found.`);
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
 * A stream's describe call, through `session.read`: the description in
 * `field` of its output, or `undefined` when the stream does not exist
 * (`ResourceNotFoundException`).
 *
 * @throws HandlerFailure UNEXPECTED_ERROR when the output has no `field`, or
 * the kind's reason for any other non-retryable error.
 */
export async function readDescription<R, K extends keyof R & string>(
  session: ReconcileSession,
  operation: Operation,
  field: K,
  send: () => Promise<R>,
): Promise<NonNullable<R[K]> | undefined> {
  let output: R | undefined;
  try {
    output = await session.read(operation, send);
  } catch (err) {
    if (errorInfo(err).name !== 'ResourceNotFoundException') {
      throw session.failure(err, operation);
    }
    return undefined;
  }
  const description = output?.[field];
  if (!description) {
    throw new HandlerFailure('UNEXPECTED_ERROR', { operation, error: `no ${field}` });
  }
  return description;
}

/**
 * The stream's owner tag, for a Delete: its value, `undefined` when there is
 * none, or `null` when it could not be read. A failure other than the
 * deadline (access denied, stream gone, …) is logged, and the Delete then
 * stops the encryption as it does for an untagged stream.
 *
 * @throws HandlerFailure when the deadline passes while the call is retried.
 */
async function readOwnerTag<T extends KindTypes>(session: ReconcileSession<T>): Promise<string | undefined | null> {
  try {
    return await session.kind.readOwner(session);
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
async function writeOwnerTag<T extends KindTypes>(session: ReconcileSession<T>, value: string | undefined): Promise<void> {
  try {
    await session.kind.writeOwner(value, session);
    session.log.info('owner', value === undefined ? { status: 'untagged' } : { status: 'tagged', managedBy: value });
  } catch (err) {
    session.log.warn('owner', { status: value === undefined ? 'not untagged' : 'not tagged', error: describeError(err) });
  }
}
