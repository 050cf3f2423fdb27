/**
 * The reconcile loop: read the stream, ask the stream's truth table what to
 * do, do it, and repeat until the table says SUCCESS or FAILED or the deadline
 * is reached. All waiting goes through the injected clock; an AWS call is
 * retried only when its error is throttling or transient.
 *
 * The loop knows no service: a {@link StreamService} brings the reads, the calls,
 * the truth table and the error mapping of one kind of stream.
 */
import { Backoff, Clock, DENIED_BACKOFF, ERROR_BACKOFF, POLL_BACKOFF } from './backoff';
import { classifyError, describeError, ErrorClass, errorInfo, Operation } from './errors';
import { Logger } from './log';
import { HandlerFailure, ReasonId, ReasonParams } from './reasons';
import type { ServiceTypes, StreamService } from './stream-service';
import { formatOwnerTag, OWNER_TAG_KEY, OwnerTag, parseOwnerTag, PRIOR_UNKNOWN, sameOwner } from '../../src/private/contract';

/**
 * How long access denied is retried, from the first denial of a request, in
 * seconds: IAM takes this long, at worst, to put a policy attached moments
 * before in force.
 */
export const IAM_PROPAGATION_SECONDS = 60;

/**
 * How long a copy of a request that finds the stream claimed by another copy
 * (Lambda may deliver one event more than once) waits for that copy's Start
 * before it makes its own, in milliseconds: the other copy may have died.
 */
export const CLAIM_FOLLOW_MS = 10_000;

/** How many times an error that says the service cannot be reached at all is retried. */
export const MAX_UNREACHABLE_RETRIES = 2;

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
  /** The reason: a catalogue reason for FAILED, the stream's state for SUCCESS. */
  readonly reason: string;
  /** The catalogue entry, for FAILED. */
  readonly reasonId?: ReasonId;
  /** Whether Start was sent and may have taken effect (accepted, or lost to a transient error). */
  readonly startIssued: boolean;
  /** The last reading of the stream, if any. */
  readonly observation?: O;
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

/**
 * How a Start or Stop call went: taken, perhaps taken (retry after reading
 * again), denied while IAM may still be propagating (not taken; read again and
 * retry), or no stream.
 */
export type ChangeOutcome = 'accepted' | 'uncertain' | 'denied' | 'gone';

/** Options of one idempotent call. */
export interface ReadOptions {
  /** Retry access denied while IAM may still be propagating (default true). */
  readonly retryDenied?: boolean;
}

/** A call whose access denied is final at once. */
export const NO_DENIED_RETRY: ReadOptions = { retryDenied: false };

/** A reading of any kind of stream. */
export interface Reading {
  /** Whether the stream exists. */
  readonly found: boolean;
}

/**
 * One reconcile: the time budget, the backoffs, the last reading and error,
 * and the calls every kind of stream makes the same way.
 */
export class ReconcileSession<T extends ServiceTypes = ServiceTypes> {
  /** The last reading of the stream, if any. */
  public observation?: T['observation'];
  /** What the kind's truth table did and saw earlier in this request. */
  public memory: T['memory'];
  /** Whether Start was sent and may have taken effect. */
  public startIssued = false;
  /**
   * The stream's encryption as the first reading of this request shows it
   * (`PRIOR_UNKNOWN` when that reading cannot tell: a transition, a failure,
   * no stream). Never taken from a later reading: a copy of the same request
   * delivered twice may have changed the stream in between.
   */
  public prior?: string;
  /**
   * Asked before each Start: `true` to send it now, `false` to read the
   * stream again first (and decide again).
   */
  public beforeStart?: () => Promise<boolean>;
  /** What the encryption should be (a Delete may switch to putting the stream back). */
  public goal: T['goal'];
  private readonly poll: Backoff;
  private readonly errors: Backoff;
  private readonly denials: Backoff;
  private lastError: { readonly operation: Operation; readonly error: string; readonly kind: ErrorClass; readonly cause: unknown } | undefined;
  private firstDeniedAt: number | undefined;
  private unreachableRetries = 0;

  /**
   * @param kind - the kind of stream.
   * @param goal - what the encryption should be.
   * @param clients - the kind's SDK clients.
   * @param env - clock, deadline and logger.
   */
  constructor(
    readonly kind: StreamService<T>,
    goal: T['goal'],
    readonly clients: T['clients'],
    readonly env: SessionEnvironment,
  ) {
    this.goal = goal;
    this.memory = kind.initialMemory;
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
      if (lastError?.kind === 'denied') {
        throw this.failure(lastError.cause, lastError.operation);
      }
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
    this.lastError = { operation, error: describeError(err), kind, cause: err };
    // Denials back off on their own, never eased by the reads that succeed in between.
    const delayMs = (kind === 'denied' ? this.denials : this.errors).next();
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
   * backoff while its error is throttling or transient, access denied within
   * {@link IAM_PROPAGATION_SECONDS} of the first denial, or (a few times) no
   * answer at all; any other error is thrown as it is.
   */
  async read<R>(operation: Operation, send: () => Promise<R>, options: ReadOptions = {}): Promise<R> {
    for (;;) {
      try {
        const output = await send();
        this.accepted();
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
   * kind maps it.
   */
  failure(err: unknown, operation: Operation): HandlerFailure {
    if (!(err instanceof HandlerFailure) && classifyError(err, operation) === 'unreachable') {
      return new HandlerFailure('NO_SERVICE_RESPONSE', { operation, stream: this.stream, error: describeError(err) });
    }
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
    this.accepted();
    this.log.info(isStart ? 'start' : 'stop', { ...fields, status: 'accepted' });
    this.poll.reset();
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
 *   previous owner hands it to the new one; any other tag leaves it alone.
 *
 * @param kind - the kind of stream.
 * @param request - the goal, settle time, and what to put back.
 * @param clients - the kind's SDK clients.
 * @param env - clock, deadline and logger.
 * @returns the answer; never rejects.
 */
export async function reconcile<T extends ServiceTypes>(
  kind: StreamService<T>,
  request: ReconcileRequest<T['goal']>,
  clients: T['clients'],
  env: SessionEnvironment,
): Promise<ReconcileResult<T['observation']>> {
  const session = new ReconcileSession(kind, request.goal, clients, env);
  let prior: (() => string) | undefined;
  const result = (status: 'SUCCESS' | 'FAILED', reason: string, reasonId?: ReasonId): ReconcileResult<T['observation']> =>
    ({
      status,
      reason,
      reasonId,
      startIssued: session.startIssued,
      observation: session.observation,
      prior: request.takes && prior ? prior() : undefined,
    });
  try {
    if (request.goal.kind === 'decrypt') {
      return result('SUCCESS', await release(session, request));
    }
    const owner = env.owner;
    let tag = owner === undefined ? undefined : await readOwnerTag(session);
    const mine = (t: OwnerTag | undefined | null): boolean => !!t && sameOwner(t.owner, owner);
    // The stream's encryption before any resource took it: the tag's record (kept through hand-overs),
    // else the first reading of a stream no other resource manages, else unknown.
    prior = () => (tag?.prior ?? (tag === undefined || tag === null || mine(tag) ? session.prior : undefined) ?? PRIOR_UNKNOWN);
    let claimed = false;
    if (request.takes && owner !== undefined && (tag === undefined || (tag !== null && mine(tag) && tag.claim !== undefined))) {
      session.beforeStart = claimBeforeStart(session, {
        owner,
        initial: tag ?? undefined,
        prior: () => prior!(),
        mine,
        onClaim: (written) => {
          claimed = written;
        },
        onFollow: (other) => {
          tag = other;
          claimed = false;
        },
      });
    }
    // Another copy of this request may have claimed the stream after this one read its tag: its record wins.
    const adoptClaim = async (): Promise<boolean> => {
      const again = await readOwnerTag(session);
      if (again && mine(again) && again.prior !== undefined) {
        tag = again;
        return true;
      }
      return false;
    };
    let reason: string;
    try {
      reason = await drive(session, request.settleSeconds);
    } catch (err) {
      if (claimed && !session.startIssued) {
        await writeOwnerTag(session, undefined);
      }
      if (request.undoOnFailure && session.startIssued) {
        const { failure, putBack } = await undo(session, prior(), err);
        if (putBack && claimed) {
          // The stream is as it was before this request claimed it: so is its tag.
          await writeOwnerTag(session, undefined);
        }
        throw failure;
      }
      throw err;
    }
    if (request.takes && owner !== undefined && tag === undefined && !claimed && prior() === PRIOR_UNKNOWN) {
      await adoptClaim();
    }
    if (owner !== undefined) {
      const previous = !tag ? undefined : mine(tag) ? tag.previous : tag.owner;
      await writeOwnerTag(session, { owner, previous, prior: tag?.prior ?? (request.takes ? prior() : undefined) });
    }
    return result('SUCCESS', reason);
  } catch (err) {
    const failure = err instanceof HandlerFailure ? err : new HandlerFailure('UNEXPECTED_ERROR', { operation: 'reconcile', error: describeError(err) });
    return result('FAILED', failure.message, failure.reasonId);
  }
}

/** What {@link claimBeforeStart} needs from the request. */
interface ClaimContext {
  /** This resource's owner tag value. */
  readonly owner: string;
  /** The owner tag as the request first read it: none, or a claim of another copy. */
  readonly initial?: OwnerTag;
  /** The stream's prior encryption as the request knows it now. */
  readonly prior: () => string;
  /** Whether a tag names this resource. */
  readonly mine: (tag: OwnerTag) => boolean;
  /** The claim was written (`true`) or could not be (`false`). */
  readonly onClaim: (written: boolean) => void;
  /** Another copy of the request claimed the stream: its tag. */
  readonly onFollow: (other: OwnerTag) => void;
}

/**
 * The claim a request that takes a stream writes before its Start: the owner
 * tag with the stream's prior encryption and a nonce of this copy of the
 * request. Copies of one event delivered at once each write their claim; the
 * tag keeps the last one written, so the copy that reads its own nonce back
 * reads the stream once more and Starts, and a copy that reads another's
 * waits for that Start (taking its record of the prior encryption), for at
 * most {@link CLAIM_FOLLOW_MS}. A claim refused (tagging denied) lets the
 * Start go ahead.
 */
function claimBeforeStart<T extends ServiceTypes>(session: ReconcileSession<T>, context: ClaimContext): () => Promise<boolean> {
  const { env } = session;
  const nonce = Math.floor(env.clock.random() * 0x1_0000_0000).toString(16).padStart(8, '0');
  let phase: 'claim' | 'confirm' | 'follow' | 'go' = 'claim';
  let followUntil = 0;
  const follow = (other: OwnerTag): boolean => {
    context.onFollow(other);
    phase = 'follow';
    followUntil = env.clock.now() + CLAIM_FOLLOW_MS;
    env.log.info('owner', { decision: 'another copy of this request claimed the stream: waiting for its Start', claim: other.claim });
    return false;
  };
  const otherClaim = (tag: OwnerTag | null | undefined): tag is OwnerTag =>
    !!tag && context.mine(tag) && tag.prior !== undefined && tag.claim !== undefined && tag.claim !== nonce;
  return async () => {
    switch (phase) {
      case 'claim': {
        const seen = context.initial ?? (context.prior() === PRIOR_UNKNOWN ? await readOwnerTag(session) : undefined);
        if (otherClaim(seen)) {
          return follow(seen);
        }
        const written = await writeOwnerTag(session, { owner: context.owner, prior: context.prior(), claim: nonce });
        context.onClaim(written);
        if (!written) {
          phase = 'go';
          return true;
        }
        const back = await readOwnerTag(session);
        if (otherClaim(back)) {
          return follow(back);
        }
        // Read the stream once more: a copy that claimed it before this one may have started since.
        phase = 'confirm';
        return false;
      }
      case 'follow':
        if (env.clock.now() < followUntil) {
          return false;
        }
        env.log.warn('owner', { decision: `the other copy made no Start in ${CLAIM_FOLLOW_MS} ms: starting` });
        phase = 'go';
        return true;
      default:
        phase = 'go';
        return true;
    }
  };
}

/** The Delete half of {@link reconcile}: its SUCCESS reason. */
async function release<T extends ServiceTypes>(session: ReconcileSession<T>, request: ReconcileRequest<T['goal']>): Promise<string> {
  const { env, kind } = session;
  const owner = env.owner;
  const leaveOn = (manager: string, handBack: OwnerTag | undefined, decision: string): Promise<string> =>
    handOver(session, manager, handBack, decision);
  let ours = false;
  let prior = request.prior;
  if (owner !== undefined) {
    const tag = await readOwnerTag(session);
    if (tag === null) {
      // Unreadable: as for an untagged stream.
    } else if (tag === undefined) {
      env.log.info('owner', { managedBy: null, decision: 'no owner tag' });
    } else if (sameOwner(tag.owner, owner) && tag.previous !== undefined) {
      return leaveOn(tag.previous, { owner: tag.previous, prior: tag.prior }, 'the previous owner still manages the stream: handed back, encryption left on');
    } else if (sameOwner(tag.previous, owner)) {
      return leaveOn(tag.owner, { owner: tag.owner, prior: tag.prior }, 'another resource took the stream over: encryption left on');
    } else if (!sameOwner(tag.owner, owner)) {
      return leaveOn(formatOwnerTag(tag), undefined, 'another resource manages the stream: encryption left on');
    } else {
      ours = true;
      prior = tag.prior ?? prior;
      env.log.info('owner', { managedBy: tag.owner, decision: 'this resource manages the stream' });
    }
  }
  let reason: string;
  if (prior === PRIOR_UNKNOWN) {
    // Never turn off an encryption that may not be this resource's to turn off.
    env.log.warn('restore', { prior, decision: 'the encryption before this resource is unknown: encryption left on' });
    session.observation = await kind.describe(session);
    reason = `${kind.label} ${session.stream}: its encryption before this resource took it is unknown; encryption left on (${kind.summarize(session.observation)}).`;
  } else {
    if (prior !== undefined) {
      session.goal = kind.restoreGoal(session.goal, prior);
      env.log.info('restore', { goal: session.goal });
    }
    reason = await drive(session, 0);
  }
  const seen = session.observation;
  // Put back or decrypted: this resource no longer manages the stream.
  if (ours && seen !== undefined && kind.taggable(seen)) {
    await writeOwnerTag(session, undefined);
  }
  return reason;
}

/** A Delete that leaves the stream's encryption on: rewrite the tag for the resource that manages it (if `handBack`). */
async function handOver<T extends ServiceTypes>(
  session: ReconcileSession<T>,
  manager: string,
  handBack: OwnerTag | undefined,
  decision: string,
): Promise<string> {
  session.env.log.info('owner', { managedBy: manager, decision });
  if (handBack !== undefined) {
    await writeOwnerTag(session, handBack);
  }
  return `${session.kind.label} ${session.stream}: managed by another resource (tag ${OWNER_TAG_KEY} ${manager}); encryption left on.`;
}

/**
 * The reconcile loop: read, decide, act, until the kind's truth table says
 * SUCCESS (its reason returned) or FAILED (thrown). Remembers the stream's
 * prior state from the first reading that tells it, before any Start.
 *
 * @throws HandlerFailure when the table says FAILED or the deadline passes.
 */
async function drive<T extends ServiceTypes>(session: ReconcileSession<T>, settleSeconds: number): Promise<string> {
  const { kind, env } = session;
  for (;;) {
    const seen = session.observation = await kind.describe(session);
    session.prior ??= kind.priorOf(seen) ?? PRIOR_UNKNOWN;
    const step = await kind.decide(seen, session);
    env.log.info('decide', { status: kind.summarize(seen), decision: step.kind, ...(step.kind === 'fail' ? { reasonId: step.reasonId } : {}) });
    switch (step.kind) {
      case 'succeed': {
        const settleMs = step.settle ? Math.min(settleSeconds * 1000, Math.max(0, env.deadline - env.clock.now())) : 0;
        if (settleMs > 0) {
          env.log.info('settle', { settleMs });
          await env.clock.sleep(settleMs);
        }
        return `${kind.label} ${session.stream}: ${kind.summarize(seen)}.`;
      }
      case 'fail':
        throw new HandlerFailure(step.reasonId, step.params);
      case 'start':
        if (session.beforeStart && !await session.beforeStart()) {
          await session.nextPoll();
          break;
        }
        await kind.change('start', session);
        break;
      case 'stop':
        if (await kind.change('stop', session) === 'gone') {
          session.observation = { found: false } as T['observation'];
          return `${kind.label} ${session.stream}: stream not found.`;
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
  const { kind, env } = failed;
  const params = { failure: failure.message, stream: failed.stream, prior };
  if (prior === PRIOR_UNKNOWN) {
    // When in doubt, the encryption stays on.
    return { failure: new HandlerFailure('UPDATE_UNDO_FAILED', { ...params, undoFailure: 'its encryption before the Start is unknown, so it was left on.', state: kind.summarize(failed.observation) }), putBack: false };
  }
  const undoEnv: SessionEnvironment = { ...env, deadline: Math.max(env.deadline, env.undoDeadline ?? env.deadline, env.clock.now()) };
  const session = new ReconcileSession(kind, kind.restoreGoal(failed.goal, prior), failed.clients, undoEnv);
  env.log.info('undo', { prior });
  try {
    await drive(session, 0);
    env.log.info('undo', { status: 'put back', prior });
    return { failure, putBack: true };
  } catch (undoErr) {
    const undoFailure = undoErr instanceof HandlerFailure ? undoErr.message : describeError(undoErr);
    env.log.warn('undo', { status: 'failed', prior, error: undoFailure });
    return { failure: new HandlerFailure('UPDATE_UNDO_FAILED', { ...params, undoFailure, state: kind.summarize(session.observation ?? failed.observation) }), putBack: false };
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
 * The stream's owner tag, taken apart: `undefined` when there is none, or
 * `null` when it could not be read. A failure other than the deadline
 * (access denied, stream gone, …) is logged; a Delete then acts as for an
 * untagged stream, and a Create or Update records no prior state.
 *
 * @throws HandlerFailure when the deadline passes while the call is retried.
 */
async function readOwnerTag<T extends ServiceTypes>(session: ReconcileSession<T>): Promise<OwnerTag | undefined | null> {
  try {
    return parseOwnerTag(await session.kind.readOwner(session));
  } catch (err) {
    if (err instanceof HandlerFailure) {
      throw err;
    }
    session.log.warn('owner', { error: describeError(err), decision: 'owner unknown: act as for an untagged stream' });
    return null;
  }
}

/**
 * Write (or, with `undefined`, remove) the stream's owner tag. Never fails the
 * request: a tag refused (an organization's policy may deny tagging) or lost
 * to the deadline is logged as a warning, and the physical id still records
 * what the tag would have.
 *
 * @returns whether the tag was written.
 */
async function writeOwnerTag<T extends ServiceTypes>(session: ReconcileSession<T>, tag: OwnerTag | undefined): Promise<boolean> {
  const value = tag === undefined ? undefined : formatOwnerTag(tag);
  try {
    await session.kind.writeOwner(value, session);
    session.log.info('owner', value === undefined ? { status: 'untagged' } : { status: 'tagged', managedBy: value });
    return true;
  } catch (err) {
    session.log.warn('owner', { status: value === undefined ? 'not untagged' : 'not tagged', error: describeError(err) });
    return false;
  }
}
