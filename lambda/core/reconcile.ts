/**
 * The reconcile loop: read the stream, ask the stream's truth table what to
 * do, do it, and repeat until the table says SUCCESS or FAILED or the deadline
 * is reached. All waiting goes through the injected clock; an AWS call is
 * retried only when its error is throttling or transient.
 *
 * The loop knows no service: a stream service ({@link ServiceLoop}) brings the
 * reads, the calls, the truth table and the error mapping of one kind of
 * stream, and sees of the loop only its {@link DriverSession}. The owner tag
 * is kept by the protocol of `ownership.ts`, through the service's tag calls.
 */
import { Backoff, Clock, CONTENDED_FIRST_POLL_MS, CONTENDED_POLL_MS, DENIED_BACKOFF, ERROR_BACKOFF, Pacer, POLL_BACKOFF } from './backoff';
import { classifyError, describeError, ErrorClass, errorInfo, Operation } from './errors';
import { Logger } from './log';
import { claimBeforeStart, COPY_TAG_KEEP_MS, OwnerTagAccess, readOwnerTag, releaseOwnership, StartGate, writeOwnerTag } from './ownership';
import { HandlerFailure, ReasonId } from './reasons';
import { ChangeOutcome, DriverSession, ReadOptions, Reading, ServiceTypes } from './session';
import type { ServiceLoop, ServiceTags } from './stream-service';
import { OWNER_TAG_KEY, OwnerTag, PRIOR_NONE, PRIOR_UNKNOWN, sameOwner } from '../../src/private/contract';

/**
 * How long access denied is retried, from the first denial of a request, in
 * seconds: IAM takes this long, at worst, to put a policy attached moments
 * before in force.
 */
export const IAM_PROPAGATION_SECONDS = 60;

/** How many times an error that says the service cannot be reached at all is retried. */
export const MAX_UNREACHABLE_RETRIES = 2;

/** A request's pace of one operation: its {@link Pacer}, its last call, and the last throttle it met. */
interface Pace {
  readonly pacer: Pacer;
  lastAt: number;
  throttle?: LastError;
}

/** The last error a call met, kept for the reason given if the deadline passes. */
interface LastError {
  readonly operation: Operation;
  readonly error: string;
  readonly kind: ErrorClass;
  readonly cause: unknown;
}

/** What every reconcile loop needs from the outside world, whatever the kind of stream. */
export interface SessionEnvironment {
  /** Time, sleep and jitter. */
  readonly clock: Clock;
  /** When the request started, in epoch milliseconds. */
  readonly startedAt: number;
  /** When to give up and answer FAILED, in epoch milliseconds. */
  readonly deadline: number;
  /**
   * When to give up putting a stream back after a failed Update to it
   * (past {@link deadline}: taken from the time kept for answering), in
   * epoch milliseconds; absent: at {@link deadline}.
   */
  readonly undoDeadline?: number;
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
  /** The reason: the failure's message (`ID: message`) for FAILED, the stream's state for SUCCESS. */
  readonly reason: string;
  /** The catalogue entry, for FAILED. */
  readonly reasonId?: ReasonId;
  /** The failure, for FAILED: its id and parameters (a FAILED answer's `Reason` adds its fix). */
  readonly failure?: HandlerFailure;
  /** Whether Start was sent and may have taken effect (accepted, or lost to a transient error). */
  readonly startIssued: boolean;
  /** The last reading of the stream, if any. */
  readonly observation?: O;
  /**
   * What is left to do once the answer is sent, by `until` (epoch
   * milliseconds): remove this copy's claim tag when the protocol allows.
   * Never rejects.
   */
  readonly after?: (until: number) => Promise<void>;
  /**
   * A request that takes the stream ({@link ReconcileRequest.takes}): the
   * stream's encryption before any resource of this library took it, to be
   * kept in the physical id (`PRIOR_UNKNOWN` when it could not be learned).
   */
  readonly prior?: string;
}

/** What one reconcile is asked to do. */
export interface ReconcileRequest<G> {
  /** Create/Update: encrypt as wanted; Delete: decrypt. */
  readonly goal: G;
  /** How long to wait after the stream got the key before SUCCESS, in seconds. */
  readonly settleSeconds: number;
  /**
   * Delete: the encryption the physical id records as the stream's before
   * the resource took it; the owner tag's record, when it names this
   * resource, comes first.
   */
  readonly prior?: string;
  /**
   * Create, or an Update to another stream: the request takes the stream.
   * Its prior encryption is recorded in the owner tag before the first Start
   * (so that another copy of the same request finds it) and returned.
   */
  readonly takes?: boolean;
  /** Update to another stream: put that stream back as it was when the Update fails after its Start. */
  readonly undoOnFailure?: boolean;
}

/**
 * One reconcile: the time budget, the backoffs, the last reading and error,
 * and the calls every kind of stream makes the same way.
 */
export class ReconcileSession<T extends ServiceTypes = ServiceTypes> implements DriverSession<T> {
  /** The last reading of the stream, if any. */
  public observation?: T['observation'];
  /** What the service's truth table did and saw earlier in this request. */
  public memory: T['memory'];
  /** Whether Start was sent and may have taken effect. */
  public startIssued = false;
  /** When the answer (or error) of the last Start or Stop came, in epoch milliseconds. */
  public changedAt = 0;
  /** When the last reading of the stream ({@link describe}) was sent, in epoch milliseconds. */
  public readAt = 0;
  /**
   * The stream's encryption as the first reading of this request shows it
   * (`PRIOR_UNKNOWN` when that reading cannot tell: a transition, a failure,
   * no stream). Never taken from a later reading: a copy of the same request
   * delivered twice may have changed the stream in between.
   */
  public prior?: string;
  /**
   * Asked before each Start: `start` to send it now, `reread` to read the
   * stream again at once (and decide again), `wait` to read it again after a
   * poll pause.
   */
  public beforeStart?: () => Promise<StartGate>;
  /** What the encryption should be (a Delete may switch to putting the stream back). */
  public goal: T['goal'];
  private readonly poll: Backoff;
  /** Whether this request's Start was accepted under throttling: its readings of the change then give way. */
  private contended = false;
  private readonly errors: Backoff;
  private readonly denials: Backoff;
  private lastError: LastError | undefined;
  /** When the last call that went through was sent, in epoch milliseconds. */
  private sentAt = 0;
  private firstDeniedAt: number | undefined;
  private unreachableRetries = 0;
  /** This request's pace of each operation, and when it last sent one. */
  private readonly paces = new Map<Operation, Pace>();

  /**
   * @param service - the stream service's reconcile side.
   * @param goal - what the encryption should be.
   * @param clients - the service's SDK clients.
   * @param env - clock, deadline and logger.
   */
  constructor(
    readonly service: ServiceLoop<T>,
    goal: T['goal'],
    readonly clients: T['clients'],
    readonly env: SessionEnvironment,
  ) {
    this.goal = goal;
    this.memory = service.initialMemory;
    this.poll = new Backoff(POLL_BACKOFF, () => env.clock.random());
    this.errors = new Backoff(ERROR_BACKOFF, () => env.clock.random());
    this.denials = new Backoff(DENIED_BACKOFF, () => env.clock.random());
  }

  /** The stream's name, for reasons. */
  get stream(): string {
    return this.goal.streamName;
  }

  /** The request's logger. */
  get log(): Logger {
    return this.env.log;
  }

  /** Milliseconds since the epoch, by the request's clock. */
  now(): number {
    return this.env.clock.now();
  }

  /** Bound one AWS call in time. */
  abortSignal(): AbortSignal {
    return AbortSignal.timeout(this.env.callTimeoutMs);
  }

  /**
   * Sleep for `ms`, but never past the deadline.
   *
   * @throws HandlerFailure THROTTLED or the service's timed-out reason once the deadline has passed.
   */
  async pause(ms: number): Promise<void> {
    const { clock, deadline, startedAt } = this.env;
    const now = clock.now();
    if (now >= deadline) {
      const seconds = Math.round((now - startedAt) / 1000);
      const lastError = this.lastError;
      if (lastError?.kind === 'denied') {
        throw this.failure(lastError.cause, lastError.operation);
      }
      if (lastError?.kind === 'throttled') {
        throw new HandlerFailure('THROTTLED', { operation: lastError.operation, stream: this.stream, seconds, error: lastError.error });
      }
      const observation = this.observation;
      const state = !observation ? 'unreadable' : !observation.found ? 'missing' : this.service.state(observation);
      const lastStatus = this.service.summarize(observation) + (lastError ? `; last error ${lastError.error} from ${lastError.operation}` : '');
      throw new HandlerFailure(this.service.timedOut, { stream: this.stream, state: state ?? '?', seconds, lastStatus });
    }
    await clock.sleep(Math.min(ms, deadline - now));
  }

  /** Read the stream: the reading becomes {@link observation}, and when it was sent {@link readAt}. */
  async describe(): Promise<T['observation']> {
    const seen = this.observation = await this.service.describe(this);
    this.readAt = this.sentAt;
    return seen;
  }

  /** Wait before the next reading. */
  async nextPoll(): Promise<void> {
    const delayMs = this.poll.next();
    await this.pause(this.contended ? Math.max(delayMs, CONTENDED_POLL_MS * (0.5 + this.env.clock.random())) : delayMs);
  }

  /** This request's pace of `operation`. */
  private pace(operation: Operation): Pace {
    let pace = this.paces.get(operation);
    if (!pace) {
      pace = { pacer: new Pacer(() => this.now()), lastAt: Number.NEGATIVE_INFINITY };
      this.paces.set(operation, pace);
    }
    return pace;
  }

  /**
   * Keep this request's pace of `operation` (see {@link Pacer}): wait out
   * what is left of its spacing since the last call of it, then note the call.
   */
  async spaced(operation: Operation): Promise<void> {
    const pace = this.pace(operation);
    const waitMs = pace.lastAt + pace.pacer.intervalMs - this.now();
    if (waitMs > 0) {
      // A deadline passed while keeping the pace of a throttled operation: that throttle is the reason.
      this.lastError = pace.throttle ?? this.lastError;
      await this.pause(waitMs);
    }
    pace.lastAt = this.now();
  }

  /** Record a retryable error and wait before the next attempt. */
  async backOff(operation: Operation, err: unknown, kind: ErrorClass): Promise<void> {
    this.lastError = { operation, error: describeError(err), kind, cause: err };
    let delayMs: number;
    if (kind === 'throttled') {
      // The account's limit is shared: slow this request's pace of the operation, and retry at that pace.
      const pace = this.pace(operation);
      pace.throttle = this.lastError;
      pace.pacer.throttled();
      delayMs = pace.pacer.retryDelay(this.env.clock.random());
    } else {
      // Denials back off on their own, never eased by the reads that succeed in between.
      delayMs = (kind === 'denied' ? this.denials : this.errors).next();
    }
    this.log.warn('retry', { operation, error: this.lastError.error, errorClass: kind, delayMs });
    await this.pause(delayMs);
  }

  /** A call of `operation` went through: forget the last error, ease the error backoff, and quicken the operation's pace. */
  accepted(operation: Operation): void {
    this.lastError = undefined;
    this.errors.relax();
    this.pace(operation).pacer.accepted();
  }

  /**
   * One idempotent call (a read, or a tag written or removed), retried with
   * backoff while its error is throttling or transient, access denied within
   * {@link IAM_PROPAGATION_SECONDS} of the first denial, or (a few times) no
   * answer at all; any other error is thrown as it is.
   */
  async read<R>(operation: Operation, send: () => Promise<R>, options: ReadOptions = {}): Promise<R> {
    for (;;) {
      await this.spaced(operation);
      try {
        const sentAt = this.now();
        const output = await send();
        this.sentAt = sentAt;
        this.accepted(operation);
        return output;
      } catch (err) {
        const kind = classifyError(err, operation);
        if (!this.retryable(kind, options)) {
          throw err;
        }
        await this.backOff(operation, err, kind);
      }
    }
  }

  /** Whether an error of this class is worth another attempt now. */
  private retryable(kind: ErrorClass, options: ReadOptions): boolean {
    switch (kind) {
      case 'fatal':
        return false;
      case 'denied': {
        if (options.retryDenied === false) {
          return false;
        }
        const now = this.env.clock.now();
        this.firstDeniedAt ??= now;
        return now - this.firstDeniedAt < IAM_PROPAGATION_SECONDS * 1000;
      }
      case 'unreachable':
        return this.unreachableRetries++ < MAX_UNREACHABLE_RETRIES;
      default:
        return true;
    }
  }

  /** How long access was denied in this request, in whole seconds (0 when it never was). */
  deniedSeconds(): number {
    return this.firstDeniedAt === undefined ? 0 : Math.round((this.env.clock.now() - this.firstDeniedAt) / 1000);
  }

  /** The parameters every access-denied reason names: how long it was denied, and for how long that is retried. */
  deniedParams(): { readonly retriedSeconds: number; readonly windowSeconds: number } {
    return { retriedSeconds: this.deniedSeconds(), windowSeconds: IAM_PROPAGATION_SECONDS };
  }

  /**
   * The catalogue reason of a non-retryable error of `operation`: no answer
   * from the service at all is `NO_SERVICE_RESPONSE`, anything else as the
   * service maps it.
   */
  failure(err: unknown, operation: Operation): HandlerFailure {
    if (!(err instanceof HandlerFailure) && classifyError(err, operation) === 'unreachable') {
      return new HandlerFailure('NO_SERVICE_RESPONSE', { operation, stream: this.stream, error: describeError(err) });
    }
    return this.service.failureFor(err, operation, this);
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
    await this.spaced(operation);
    try {
      await send();
    } catch (err) {
      this.changedAt = this.now();
      const kind = classifyError(err, operation);
      if (!this.retryable(kind, {})) {
        if (!isStart && errorInfo(err).name === 'ResourceNotFoundException') {
          return 'gone';
        }
        throw this.failure(err, operation);
      }
      // Denied or unanswered: the call was not taken. Anything else may have been.
      const taken = kind !== 'denied' && kind !== 'unreachable';
      this.startIssued ||= isStart && taken;
      await this.backOff(operation, err, kind);
      return taken ? 'uncertain' : 'denied';
    }
    this.startIssued ||= isStart;
    this.changedAt = this.now();
    this.accepted(operation);
    this.log.info(isStart ? 'start' : 'stop', { ...fields, status: 'accepted' });
    this.poll.reset();
    if (isStart && [...this.paces.values()].some((pace) => pace.throttle !== undefined)) {
      // The account's limits are contended: the readings of this stream's change give way to the
      // reads other requests need before their Starts.
      this.contended = true;
      await this.pause(CONTENDED_FIRST_POLL_MS * (0.5 + this.env.clock.random()));
    }
    await this.nextPoll();
    return 'accepted';
  }
}

/**
 * Drive a stream's encryption as `request` asks, and keep the owner tag:
 * - Create/Update (`encrypt`): read the owner tag, drive the stream to the
 *   wanted key, then tag it with this resource (and, when another resource
 *   managed it, that one as the previous owner). An Update to another stream
 *   that fails after its Start puts that stream back as it was first read.
 * - Delete (`decrypt`): read the owner tag; a tag naming this resource alone,
 *   or no tag, lets the Delete put the stream back (`request.restore`) or stop
 *   its encryption, then untag; a tag naming this resource and a previous
 *   owner hands the stream back to that owner; a tag naming this resource as
 *   previous owner hands it to the new one; any other tag leaves it alone
 *   (`releaseOwnership`).
 *
 * @param service - the stream service's reconcile and tag sides.
 * @param request - the goal, settle time, and what to put back.
 * @param clients - the service's SDK clients.
 * @param env - clock, deadline and logger.
 * @returns the answer; never rejects.
 */
export async function reconcile<T extends ServiceTypes>(
  service: ServiceLoop<T> & ServiceTags<T>,
  request: ReconcileRequest<T['goal']>,
  clients: T['clients'],
  env: SessionEnvironment,
): Promise<ReconcileResult<T['observation']>> {
  const session = new ReconcileSession(service, request.goal, clients, env);
  const tags = ownerTags(service, session);
  let prior: (() => string) | undefined;
  // This copy's claim tag, while it is on the stream.
  let copyKey: string | undefined;
  const after = async (until: number): Promise<void> => {
    // Kept until COPY_TAG_KEEP_MS after this copy's Start; left on when there is no time for that.
    const keepMs = session.startIssued ? session.changedAt + COPY_TAG_KEEP_MS - env.clock.now() : 0;
    if (copyKey !== undefined && env.clock.now() + keepMs < until) {
      if (keepMs > 0) {
        await env.clock.sleep(keepMs);
      }
      await writeOwnerTag(tags, undefined, [copyKey]);
    }
  };
  const result = (status: 'SUCCESS' | 'FAILED', reason: string, failure?: HandlerFailure): ReconcileResult<T['observation']> =>
    ({
      status,
      reason,
      reasonId: failure?.reasonId,
      failure,
      startIssued: session.startIssued,
      observation: session.observation,
      after,
      prior: request.takes && prior ? prior() : undefined,
    });
  try {
    if (request.goal.kind === 'decrypt') {
      return result('SUCCESS', await release(session, service, tags, request));
    }
    const owner = env.owner;
    let first: T['observation'] | undefined;
    let tag: OwnerTag | undefined | null;
    if (owner !== undefined && request.takes) {
      // A request that takes a stream reads it first. One found unencrypted carries no encryption of
      // another resource to hand over: its tag is not read, the claim written before the Start
      // replaces it, and the claim's read-back decides among copies of the request.
      first = await session.describe();
      session.prior = service.priorOf(first) ?? PRIOR_UNKNOWN;
      tag = session.prior === PRIOR_NONE ? undefined : await readOwnerTag(tags);
    } else if (owner !== undefined) {
      tag = await readOwnerTag(tags);
    }
    const mine = (t: OwnerTag | undefined | null): boolean => !!t && sameOwner(t.owner, owner);
    // The stream's encryption before any resource took it: the tag's record (kept through hand-overs),
    // else the first reading of a stream no other resource manages, else unknown.
    prior = () => (tag?.prior ?? (tag === undefined || tag === null || mine(tag) ? session.prior : undefined) ?? PRIOR_UNKNOWN);
    // The claim this request wrote and still holds (none when it wrote none, or followed another copy's).
    let claim: OwnerTag | undefined;
    if (request.takes && owner !== undefined && (tag === undefined || (tag !== null && mine(tag) && tag.claim !== undefined))) {
      session.beforeStart = claimBeforeStart(tags, env.clock, {
        owner,
        initial: tag ?? undefined,
        prior: () => prior!(),
        readAt: () => session.readAt,
        mine,
        onClaim: (written, value, key) => {
          claim = written ? value : undefined;
          copyKey = written ? key : undefined;
        },
        onFollow: (other) => {
          tag = other;
          claim = undefined;
        },
      });
    }
    // Another copy of this request may have claimed the stream after this one read its tag: its record wins.
    const adoptClaim = async (): Promise<boolean> => {
      const again = await readOwnerTag(tags);
      if (again && mine(again) && again.prior !== undefined) {
        tag = again;
        return true;
      }
      return false;
    };
    let reason: string;
    try {
      reason = await drive(session, request.settleSeconds, first);
    } catch (err) {
      if (claim && !session.startIssued) {
        await writeOwnerTag(tags, undefined, [OWNER_TAG_KEY, copyKey!]);
        copyKey = undefined;
      }
      if (request.undoOnFailure && session.startIssued) {
        const { failure, putBack } = await undo(session, prior(), err);
        if (putBack && claim) {
          // The stream is as it was before this request claimed it: so is its tag.
          await writeOwnerTag(tags, undefined);
        }
        throw failure;
      }
      throw err;
    }
    if (request.takes && owner !== undefined && tag === undefined && !claim && prior() === PRIOR_UNKNOWN) {
      await adoptClaim();
    }
    if (owner !== undefined) {
      const previous = !tag ? undefined : mine(tag) ? tag.previous : tag.owner;
      const final: OwnerTag = { owner, previous, prior: tag?.prior ?? (request.takes ? prior() : undefined) };
      // This request's claim already says it all (a claim field aside): no second write.
      if (!(claim && claim.previous === final.previous && claim.prior === final.prior)) {
        await writeOwnerTag(tags, final);
      }
    }
    return result('SUCCESS', reason);
  } catch (err) {
    const failure = err instanceof HandlerFailure ? err : new HandlerFailure('UNEXPECTED_ERROR', { operation: 'reconcile', error: describeError(err) });
    return result('FAILED', failure.message, failure);
  }
}

/** The stream's owner tag, through the service's tag calls in this session. */
function ownerTags<T extends ServiceTypes>(service: ServiceTags<T>, session: ReconcileSession<T>): OwnerTagAccess {
  return {
    log: session.log,
    read: (seen) => service.readOwner(session, undefined, seen),
    write: (value, keys) => service.writeOwner(value, session, keys),
  };
}

/** The Delete half of {@link reconcile}: its SUCCESS reason. */
async function release<T extends ServiceTypes>(
  session: ReconcileSession<T>,
  service: ServiceLoop<T> & ServiceTags<T>,
  tags: OwnerTagAccess,
  request: ReconcileRequest<T['goal']>,
): Promise<string> {
  const { env } = session;
  const owned = await releaseOwnership(tags, env.owner, request.prior);
  if ('managedBy' in owned) {
    return `${service.label} ${session.stream}: managed by another resource (tag ${OWNER_TAG_KEY} ${owned.managedBy}); encryption left on.`;
  }
  const { ours, prior } = owned;
  let reason: string;
  if (prior === PRIOR_UNKNOWN) {
    // Never turn off an encryption that may not be this resource's to turn off.
    env.log.warn('restore', { prior, decision: 'the encryption before this resource is unknown: encryption left on' });
    await session.describe();
    reason = `${service.label} ${session.stream}: its encryption before this resource took it is unknown; encryption left on (${service.summarize(session.observation)}).`;
  } else {
    if (prior !== undefined) {
      session.goal = service.restoreGoal(session.goal, prior);
      env.log.info('restore', { goal: session.goal });
    }
    reason = await drive(session, 0);
  }
  const seen = session.observation;
  // Put back or decrypted: this resource no longer manages the stream.
  if (ours && seen !== undefined && service.taggable(seen)) {
    await writeOwnerTag(tags, undefined);
  }
  return reason;
}

/**
 * The reconcile loop: read, decide, act, until the service's truth table says
 * SUCCESS (its reason returned) or FAILED (thrown). Remembers the stream's
 * prior state from the first reading that tells it, before any Start. After
 * a Start held back ({@link ReconcileSession.beforeStart}), SUCCESS waits the
 * settle time even if no change was seen in transit: another copy's Start
 * got the stream there.
 *
 * @param first - a reading made just before, to decide on first (instead of reading again).
 * @throws HandlerFailure when the table says FAILED or the deadline passes.
 */
async function drive<T extends ServiceTypes>(session: ReconcileSession<T>, settleSeconds: number, first?: T['observation']): Promise<string> {
  const { service, env } = session;
  // A Start held back (another copy of the request may be making it): whatever comes next is that Start's result.
  let held = false;
  let fresh = first;
  for (;;) {
    const seen = session.observation = fresh ?? await session.describe();
    fresh = undefined;
    session.prior ??= service.priorOf(seen) ?? PRIOR_UNKNOWN;
    const step = await service.decide(seen, session);
    env.log.info('decide', { status: service.summarize(seen), decision: step.kind, ...(step.kind === 'fail' ? { reasonId: step.reasonId } : {}) });
    switch (step.kind) {
      case 'succeed': {
        const settleMs = step.settle || held ? Math.min(settleSeconds * 1000, Math.max(0, env.deadline - env.clock.now())) : 0;
        if (settleMs > 0) {
          env.log.info('settle', { settleMs });
          await env.clock.sleep(settleMs);
        }
        return `${service.label} ${session.stream}: ${service.summarize(seen)}.`;
      }
      case 'fail':
        throw new HandlerFailure(step.reasonId, step.params);
      case 'start': {
        const gate = session.beforeStart ? await session.beforeStart() : 'start';
        if (gate !== 'start') {
          held = true;
          if (gate === 'wait') {
            await session.nextPoll();
          }
          break;
        }
        await service.change('start', session);
        break;
      }
      case 'stop':
        if (await service.change('stop', session) === 'gone') {
          session.observation = { found: false } as T['observation'];
          return `${service.label} ${session.stream}: stream not found.`;
        }
        break;
      default:
        await session.nextPoll();
    }
  }
}

/**
 * Put the stream of a failed Update back to its prior state (its first
 * reading), with the time kept for it past the deadline.
 *
 * @returns the failure to answer: the Update's own when the stream is back
 * (`putBack`), else `UPDATE_UNDO_FAILED` naming both causes and the stream's state.
 */
async function undo<T extends ServiceTypes>(
  failed: ReconcileSession<T>,
  prior: string,
  err: unknown,
): Promise<{ failure: HandlerFailure; putBack: boolean }> {
  const failure = err instanceof HandlerFailure ? err : new HandlerFailure('UNEXPECTED_ERROR', { operation: 'reconcile', error: describeError(err) });
  const { service, env } = failed;
  const params = { failure, stream: failed.stream, prior };
  if (prior === PRIOR_UNKNOWN) {
    // When in doubt, the encryption stays on.
    return { failure: new HandlerFailure('UPDATE_UNDO_FAILED', { ...params, undoFailure: 'its encryption before the Start is unknown, so it was left on.', state: service.summarize(failed.observation) }), putBack: false };
  }
  const undoEnv: SessionEnvironment = { ...env, deadline: Math.max(env.deadline, env.undoDeadline ?? env.deadline, env.clock.now()) };
  const session = new ReconcileSession(service, service.restoreGoal(failed.goal, prior), failed.clients, undoEnv);
  env.log.info('undo', { prior });
  try {
    await drive(session, 0);
    env.log.info('undo', { status: 'put back', prior });
    return { failure, putBack: true };
  } catch (undoErr) {
    const undoFailure = undoErr instanceof HandlerFailure ? undoErr : describeError(undoErr);
    env.log.warn('undo', { status: 'failed', prior, error: typeof undoFailure === 'string' ? undoFailure : undoFailure.message });
    return { failure: new HandlerFailure('UPDATE_UNDO_FAILED', { ...params, undoFailure, state: service.summarize(session.observation ?? failed.observation) }), putBack: false };
  }
}
