/**
 * The truth table of a Firehose delivery stream's encryption, as a pure
 * function: given what the handler wants (the goal), what it just read from
 * `DescribeDeliveryStream` (the observation) and what it did and saw before (the memory), decideDeliveryStream the next
 * action. No I/O, no clock: every row is unit-tested on its own.
 */
import type { DeliveryStreamDescription } from '@aws-sdk/client-firehose';
import { FirehoseKeyType, PRIOR_AWS_OWNED, PRIOR_NONE } from '../../../src/private/contract';
import type { HandlerReasonId, ReasonParams } from '../../core/reasons';
import type { Step } from '../../core/session';

/** What the handler wants the stream's encryption to be. */
export type DeliveryStreamGoal =
  | {
    /** Create/Update: encryption ENABLED with this key. */
    readonly kind: 'encrypt';
    /** Name of the delivery stream. */
    readonly streamName: string;
    /** The wanted key type. */
    readonly keyType: FirehoseKeyType;
    /** The wanted key's ARN as given (key or alias ARN); only with `CUSTOMER_MANAGED_CMK`. */
    readonly keyArn?: string;
    /** A Delete putting the stream back to the key it had before: no key pre-flight. */
    readonly restore?: boolean;
    /**
     * An Update of the stream this resource encrypted before (not a move to
     * another stream): the key the stream shows after a failed change is the
     * one in force.
     */
    readonly keptStream?: boolean;
  }
  | {
    /** Delete: encryption DISABLED (or the stream gone). */
    readonly kind: 'decrypt';
    /** Name of the delivery stream. */
    readonly streamName: string;
  };

/** A stream's encryption as read from `DeliveryStreamEncryptionConfiguration`. */
export interface EncryptionView {
  /** The encryption status; `undefined` when the stream reports no configuration. */
  readonly status_?: string;
  /** The key type in use or being applied. */
  readonly keyType_?: string;
  /** The key ARN in use or being applied (customer managed keys only). */
  readonly keyArn_?: string;
  /** Why the last Start or Stop failed, as `Type: Details`. */
  readonly failure_?: string;
}

/** One reading of the stream. */
export type DeliveryStreamObservation =
  | {
    /** The stream does not exist (ResourceNotFoundException). */
    readonly found: false;
  }
  | {
    /** The stream exists. */
    readonly found: true;
    /** `DeliveryStreamStatus`: ACTIVE, CREATING, DELETING, … */
    readonly streamStatus_: string;
    /** `DeliveryStreamType`: DirectPut, KinesisStreamAsSource, … (`undefined` if not reported). */
    readonly streamType_?: string;
    /** The stream's encryption. */
    readonly encryption_: EncryptionView;
  };

/** What the handler did and saw earlier in this request. */
export interface DeliveryStreamMemory {
  /** A previous reading found the stream. */
  readonly streamSeen_: boolean;
  /** Start was accepted by Firehose in this request. */
  readonly started_: boolean;
  /** Stop was accepted by Firehose in this request. */
  readonly stopped_: boolean;
  /** A previous reading showed ENABLING. */
  readonly sawEnabling_: boolean;
  /** A previous reading showed DISABLING. */
  readonly sawDisabling_: boolean;
  /** The customer managed key passed the `kms:DescribeKey` pre-flight. */
  readonly keyVerified_: boolean;
  /** The key ARN that `kms:DescribeKey` resolved the wanted key (or alias) to. */
  readonly resolvedKeyArn_?: string;
  /** A Start was sent but its outcome is unknown (a transient error): it may have taken effect. */
  readonly startUncertain_: boolean;
  /** A reading after the last accepted Start or Stop showed ENABLING or DISABLING: the change was taken up. */
  readonly transitionSinceChange_: boolean;
  /**
   * {@link STALE_READ_GRACE_MS} have passed since the last accepted Start or
   * Stop, so a `*_FAILED` reading is no longer one from before it (set by the
   * driver before each decision).
   */
  readonly graceOver_: boolean;
  /** When the last Start or Stop was accepted, in epoch milliseconds (set by the driver). */
  readonly changedAt_?: number;
  /**
   * What `kms:DescribeKey` resolved alias ARNs the stream reports as its
   * current key to: a key ARN, or `null` when the alias names no key the
   * handler may describe (so not the wanted key).
   */
  readonly resolvedKeys_: Readonly<Record<string, string | null>>;
}

/**
 * How long after an accepted Start or Stop a `ENABLING_FAILED` or
 * `DISABLING_FAILED` reading may still be the stale state from before it,
 * when no ENABLING or DISABLING was seen in between, in milliseconds.
 */
export const STALE_READ_GRACE_MS = 10_000;

/** The memory at the start of a request. */
export const INITIAL_DELIVERY_STREAM_MEMORY: DeliveryStreamMemory = {
  streamSeen_: false,
  started_: false,
  stopped_: false,
  sawEnabling_: false,
  sawDisabling_: false,
  keyVerified_: false,
  startUncertain_: false,
  transitionSinceChange_: false,
  graceOver_: false,
  resolvedKeys_: {},
};

/** The next step: a step of the reconcile loop, or checking the customer managed key first. */
export type DeliveryStreamAction =
  | Step
  | {
    /** Check the customer managed key with `kms:DescribeKey`, then decide again. */
    readonly kind: 'verify-key';
  }
  | {
    /** Resolve the alias ARN the stream reports as its current key with `kms:DescribeKey`, then decide again. */
    readonly kind: 'resolve-key';
    /** The alias ARN. */
    readonly keyArn: string;
  };

/** Read the stream again. */
const WAIT: DeliveryStreamAction = { kind: 'wait' };

/** Answer SUCCESS at once. */
const DONE: DeliveryStreamAction = { kind: 'succeed', settle: false };

/** The service, as the reasons of a delivery stream name it. */
export const SERVICE = 'Firehose';

/** Stream statuses that turn into ACTIVE by themselves. */
const STREAM_BUSY: ReadonlySet<string> = new Set(['CREATING', 'UPDATING']);

/** The stream status in which encryption can change. */
const ACTIVE = 'ACTIVE';

/** Stream statuses in which a Delete has nothing to stop: the stream is going away, or never worked. */
const STREAM_ENDING: ReadonlySet<string> = new Set(['DELETING', 'CREATING_FAILED']);

/** The stream status of a stream Firehose could not delete: nothing can change it. */
const DELETING_FAILED = 'DELETING_FAILED';

/** The only stream type Firehose can encrypt itself. */
const DIRECT_PUT = 'DirectPut';

/** Turn a `DescribeDeliveryStream` description into an {@link DeliveryStreamObservation}. */
export function observeDeliveryStream(description: DeliveryStreamDescription | undefined): DeliveryStreamObservation {
  if (!description) {
    return { found: false };
  }
  const config = description.DeliveryStreamEncryptionConfiguration;
  const failure = config?.FailureDescription ?? description.FailureDescription;
  return {
    found: true,
    streamStatus_: description.DeliveryStreamStatus ?? 'UNKNOWN',
    streamType_: description.DeliveryStreamType,
    encryption_: {
      status_: config?.Status,
      keyType_: config?.KeyType,
      keyArn_: config?.KeyARN,
      failure_: failure ? [failure.Type, failure.Details].filter((part) => part).join(': ') || undefined : undefined,
    },
  };
}

/** The encryption status, with "no configuration" read as DISABLED. */
export function encryptionStatus(observation: DeliveryStreamObservation): string | undefined {
  return observation.found ? observation.encryption_.status_ ?? 'DISABLED' : undefined;
}

/** A one-line description of an observation, for reasons and logs. */
export function summarizeDeliveryStream(observation: DeliveryStreamObservation | undefined): string {
  if (!observation) {
    return 'not read yet';
  }
  if (!observation.found) {
    return 'stream not found';
  }
  const enc = observation.encryption_;
  const key = [enc.keyType_, enc.keyArn_].filter((part) => part).join(' ');
  return [
    `stream ${observation.streamStatus_}`,
    `encryption ${enc.status_ ?? 'not configured'}${key ? ` with ${key}` : ''}`,
    ...(enc.failure_ ? [`failure ${enc.failure_}`] : []),
  ].join(', ');
}

/**
 * Fold an observation into the memory. Call after {@link decideDeliveryStream} has judged
 * the observation, so that `decideDeliveryStream` sees what happened *before* it.
 */
export function rememberDeliveryStream(memory: DeliveryStreamMemory, observation: DeliveryStreamObservation): DeliveryStreamMemory {
  const status = encryptionStatus(observation);
  const transition = status === 'ENABLING' || status === 'DISABLING';
  return {
    ...memory,
    streamSeen_: memory.streamSeen_ || observation.found,
    sawEnabling_: memory.sawEnabling_ || status === 'ENABLING',
    sawDisabling_: memory.sawDisabling_ || status === 'DISABLING',
    transitionSinceChange_: memory.transitionSinceChange_ || ((memory.started_ || memory.stopped_) && transition),
  };
}

/**
 * Whether the stream's encryption uses the wanted key: same key type and, for
 * a customer managed key, the ARN as given or as resolved by `kms:DescribeKey`
 * (so an alias ARN matches the key it names); a current key reported as an
 * alias ARN counts by the key `kms:DescribeKey` resolved it to.
 */
export function hasWantedKey(goal: DeliveryStreamGoal, encryption: EncryptionView, memory: DeliveryStreamMemory): boolean {
  if (goal.kind !== 'encrypt' || encryption.keyType_ !== goal.keyType) {
    return false;
  }
  if (goal.keyType === 'AWS_OWNED_CMK') {
    return true;
  }
  const arn = encryption.keyArn_;
  if (arn === undefined) {
    return false;
  }
  const wanted = [goal.keyArn, memory.resolvedKeyArn_];
  return wanted.includes(arn) || (typeof memory.resolvedKeys_[arn] === 'string' && wanted.includes(memory.resolvedKeys_[arn]));
}

/** Whether a key ARN is an alias ARN. */
export function isAliasArn(arn: string | undefined): arn is string {
  return arn !== undefined && /^arn:[^:]+:kms:[^:]*:[^:]*:alias\//.test(arn);
}

/**
 * The truth table: the next action for a goal, an observation and the memory.
 *
 * Create/Update (`encrypt`):
 * - stream missing → FAILED (not found, or deleted if it was seen before);
 * - source other than DirectPut → FAILED;
 * - stream CREATING/UPDATING → wait; any other non-ACTIVE status → FAILED;
 * - ENABLED with the wanted key → SUCCESS (settle if it just got there, or
 *   a Start of unknown outcome was sent);
 * - ENABLED with a customer managed key reported as an alias ARN not resolved
 *   yet → resolve it, decide again;
 * - ENABLING or DISABLING → wait;
 * - ENABLING_FAILED/DISABLING_FAILED after a watched transition → FAILED;
 *   after our Start, only once ENABLING or DISABLING was seen since, or
 *   {@link STALE_READ_GRACE_MS} have passed (before that it may be stale);
 * - otherwise (DISABLED, no configuration, another key, a stale `*_FAILED`)
 *   → verify the key (customer managed keys), then Start; but never a second
 *   Start: after one, keep waiting.
 *
 * A Delete that puts the stream back to the key it had (`restore`) is an
 * `encrypt` goal without the key pre-flight; a stream DELETING_FAILED then
 * fails at once.
 *
 * Delete (`decrypt`):
 * - stream missing, DISABLED or not configured → SUCCESS;
 * - stream CREATING/UPDATING → wait; DELETING or CREATING_FAILED → SUCCESS
 *   (the stream is going away, or never worked); DELETING_FAILED → FAILED at
 *   once (nothing can change it); any other status is judged by its
 *   encryption, as ACTIVE is;
 * - DISABLING or ENABLING → wait;
 * - ENABLED, ENABLING_FAILED, DISABLING_FAILED → Stop; after a Stop, wait,
 *   and DISABLING_FAILED once DISABLING was seen since or the grace passed → FAILED.
 */
export function decideDeliveryStream(
  goal: DeliveryStreamGoal,
  observation: DeliveryStreamObservation,
  memory: DeliveryStreamMemory,
): DeliveryStreamAction {
  return goal.kind === 'encrypt' ? decideEncrypt(goal, observation, memory) : decideDecrypt(goal, observation, memory);
}

/** The Create/Update half of {@link decideDeliveryStream}. */
function decideEncrypt(goal: Extract<DeliveryStreamGoal, { kind: 'encrypt' }>, observation: DeliveryStreamObservation, memory: DeliveryStreamMemory): DeliveryStreamAction {
  const stream = goal.streamName;
  if (!observation.found) {
    return fail(memory.streamSeen_ ? 'STREAM_DELETED' : 'STREAM_NOT_FOUND', { service: SERVICE, stream });
  }
  if (observation.streamType_ !== undefined && observation.streamType_ !== DIRECT_PUT) {
    return fail('NOT_DIRECT_PUT', { stream, type: observation.streamType_ });
  }
  if (STREAM_BUSY.has(observation.streamStatus_)) {
    return WAIT;
  }
  if (goal.restore && observation.streamStatus_ === DELETING_FAILED) {
    return fail('STREAM_DELETING_FAILED', { stream });
  }
  if (observation.streamStatus_ !== ACTIVE) {
    return fail('STREAM_NOT_ACTIVE', { service: SERVICE, stream, status: observation.streamStatus_ });
  }

  const enc = observation.encryption_;
  const status = enc.status_ ?? 'DISABLED';
  switch (status) {
    case 'ENABLED':
      if (hasWantedKey(goal, enc, memory)) {
        return { kind: 'succeed', settle: memory.started_ || memory.startUncertain_ || memory.sawEnabling_ };
      }
      if (goal.keyType === 'CUSTOMER_MANAGED_CMK' && enc.keyType_ === goal.keyType && isAliasArn(enc.keyArn_) && memory.resolvedKeys_[enc.keyArn_] === undefined) {
        return { kind: 'resolve-key', keyArn: enc.keyArn_ };
      }
      break;
    case 'ENABLING':
    case 'DISABLING':
      return WAIT;
    case 'ENABLING_FAILED':
    case 'DISABLING_FAILED':
      // "If a delivery stream already has encryption enabled and then you invoke this operation to change the
      // ARN of the CMK [...] and you get ENABLING_FAILED, [...] encryption remains enabled with the old CMK"
      // (Firehose API reference, StartDeliveryStreamEncryption). A Delete putting that key back, or an Update
      // of a stream this resource encrypted (the rollback of a failed key change among them), that finds the
      // wanted key still in force has nothing to do: no Start, none of the 25 daily calls.
      if ((goal.restore || goal.keptStream) && !memory.started_ && status === 'ENABLING_FAILED' && hasWantedKey(goal, enc, memory)) {
        return { kind: 'succeed', settle: false };
      }
      if (memory.started_ ? memory.transitionSinceChange_ || memory.graceOver_ : memory.sawEnabling_ || memory.sawDisabling_) {
        return fail(status, { stream, failure: enc.failure_ ?? 'no FailureDescription given' });
      }
      break;
    case 'DISABLED':
      break;
    default:
      return WAIT;
  }
  // DISABLED, not configured, another key or a stale *_FAILED: Start once, then only wait.
  return memory.started_ ? WAIT : startWith(goal, memory);
}

/** Start, after the key pre-flight for a customer managed key. */
function startWith(goal: Extract<DeliveryStreamGoal, { kind: 'encrypt' }>, memory: DeliveryStreamMemory): DeliveryStreamAction {
  return goal.keyType === 'CUSTOMER_MANAGED_CMK' && !memory.keyVerified_ && !goal.restore ? { kind: 'verify-key' } : { kind: 'start' };
}

/** The Delete half of {@link decideDeliveryStream}. */
function decideDecrypt(goal: Extract<DeliveryStreamGoal, { kind: 'decrypt' }>, observation: DeliveryStreamObservation, memory: DeliveryStreamMemory): DeliveryStreamAction {
  if (!observation.found) {
    return DONE;
  }
  if (STREAM_BUSY.has(observation.streamStatus_)) {
    return WAIT;
  }
  if (STREAM_ENDING.has(observation.streamStatus_)) {
    return DONE;
  }
  if (observation.streamStatus_ === DELETING_FAILED) {
    return fail('STREAM_DELETING_FAILED', { stream: goal.streamName });
  }
  const enc = observation.encryption_;
  const status = enc.status_ ?? 'DISABLED';
  switch (status) {
    case 'DISABLED':
      return DONE;
    case 'DISABLING':
    case 'ENABLING':
      return WAIT;
    case 'ENABLED':
    case 'ENABLING_FAILED':
      return memory.stopped_ ? WAIT : { kind: 'stop' };
    case 'DISABLING_FAILED':
      if (!memory.stopped_) {
        return { kind: 'stop' };
      }
      return memory.transitionSinceChange_ || memory.graceOver_
        ? fail('DISABLING_FAILED', { stream: goal.streamName, failure: enc.failure_ ?? 'no FailureDescription given' })
        : WAIT;
    default:
      return WAIT;
  }
}

/** A `fail` action. */
function fail(reasonId: HandlerReasonId, params: ReasonParams): DeliveryStreamAction {
  return { kind: 'fail', reasonId, params };
}

/**
 * The prior state a reading records: `none` (DISABLED or no configuration),
 * `AWS_OWNED_CMK`, or the customer managed key's ARN as reported; `undefined`
 * for a missing stream or an encryption in transition or failed.
 */
export function priorOfDeliveryStream(observation: DeliveryStreamObservation): string | undefined {
  if (!observation.found) {
    return undefined;
  }
  const enc = observation.encryption_;
  switch (enc.status_ ?? 'DISABLED') {
    case 'DISABLED':
      return PRIOR_NONE;
    case 'ENABLED':
      return enc.keyType_ === 'AWS_OWNED_CMK' ? PRIOR_AWS_OWNED : enc.keyArn_;
    default:
      return undefined;
  }
}

/** The goal that puts a delivery stream back to a recorded prior state. */
export function restoreDeliveryStream(goal: DeliveryStreamGoal, prior: string): DeliveryStreamGoal {
  const streamName = goal.streamName;
  if (prior === PRIOR_NONE) {
    return { kind: 'decrypt', streamName };
  }
  return prior === PRIOR_AWS_OWNED
    ? { kind: 'encrypt', streamName, keyType: 'AWS_OWNED_CMK', restore: true }
    : { kind: 'encrypt', streamName, keyType: 'CUSTOMER_MANAGED_CMK', keyArn: prior, restore: true };
}
