/**
 * The truth table of a Firehose delivery stream's encryption, as a pure
 * function: given what the handler wants (the goal), what it just read from
 * `DescribeDeliveryStream` (the observation) and what it did and saw before (the memory), decideDeliveryStream the next
 * action. No I/O, no clock: every row is unit-tested on its own.
 */
import type { DeliveryStreamDescription } from '@aws-sdk/client-firehose';
import type { FirehoseKeyType } from '../../../src/private/contract';
import type { ReasonId, ReasonParams } from '../../core/reasons';
import type { Step } from '../../core/reconcile';

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
  readonly status?: string;
  /** The key type in use or being applied. */
  readonly keyType?: string;
  /** The key ARN in use or being applied (customer managed keys only). */
  readonly keyArn?: string;
  /** Why the last Start or Stop failed, as `Type: Details`. */
  readonly failure?: string;
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
    readonly streamStatus: string;
    /** `DeliveryStreamType`: DirectPut, KinesisStreamAsSource, … (`undefined` if not reported). */
    readonly streamType?: string;
    /** The stream's encryption. */
    readonly encryption: EncryptionView;
  };

/** What the handler did and saw earlier in this request. */
export interface DeliveryStreamMemory {
  /** A previous reading found the stream. */
  readonly streamSeen: boolean;
  /** Start was accepted by Firehose in this request. */
  readonly started: boolean;
  /** Stop was accepted by Firehose in this request. */
  readonly stopped: boolean;
  /** A previous reading showed ENABLING. */
  readonly sawEnabling: boolean;
  /** A previous reading showed DISABLING. */
  readonly sawDisabling: boolean;
  /** The customer managed key passed the `kms:DescribeKey` pre-flight. */
  readonly keyVerified: boolean;
  /** The key ARN that `kms:DescribeKey` resolved the wanted key (or alias) to. */
  readonly resolvedKeyArn?: string;
}

/** The memory at the start of a request. */
export const INITIAL_DELIVERY_STREAM_MEMORY: DeliveryStreamMemory = {
  streamSeen: false,
  started: false,
  stopped: false,
  sawEnabling: false,
  sawDisabling: false,
  keyVerified: false,
};

/** The next step: a step of the reconcile loop, or checking the customer managed key first. */
export type DeliveryStreamAction =
  | Step
  | {
    /** Check the customer managed key with `kms:DescribeKey`, then decide again. */
    readonly kind: 'verify-key';
  };

/** Read the stream again. */
const WAIT: DeliveryStreamAction = { kind: 'wait' };

/** Answer SUCCESS at once. */
const DONE: DeliveryStreamAction = { kind: 'succeed', settle: false };

/** Stream statuses that turn into ACTIVE by themselves. */
const STREAM_BUSY: ReadonlySet<string> = new Set(['CREATING', 'UPDATING']);

/** The stream status in which encryption can change. */
const ACTIVE = 'ACTIVE';

/** Stream statuses in which a Delete has nothing to stop: the stream is going away, or never worked. */
const STREAM_ENDING: ReadonlySet<string> = new Set(['DELETING', 'CREATING_FAILED']);

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
    streamStatus: description.DeliveryStreamStatus ?? 'UNKNOWN',
    streamType: description.DeliveryStreamType,
    encryption: {
      status: config?.Status,
      keyType: config?.KeyType,
      keyArn: config?.KeyARN,
      failure: failure ? [failure.Type, failure.Details].filter((part) => part).join(': ') || undefined : undefined,
    },
  };
}

/** The encryption status, with "no configuration" read as DISABLED. */
export function encryptionStatus(observation: DeliveryStreamObservation): string | undefined {
  return observation.found ? observation.encryption.status ?? 'DISABLED' : undefined;
}

/** A one-line description of an observation, for reasons and logs. */
export function summarizeDeliveryStream(observation: DeliveryStreamObservation | undefined): string {
  if (!observation) {
    return 'not read yet';
  }
  if (!observation.found) {
    return 'stream not found';
  }
  const enc = observation.encryption;
  const key = [enc.keyType, enc.keyArn].filter((part) => part).join(' ');
  return [
    `stream ${observation.streamStatus}`,
    `encryption ${enc.status ?? 'not configured'}${key ? ` with ${key}` : ''}`,
    ...(enc.failure ? [`failure ${enc.failure}`] : []),
  ].join(', ');
}

/**
 * Fold an observation into the memory. Call after {@link decideDeliveryStream} has judged
 * the observation, so that `decideDeliveryStream` sees what happened *before* it.
 */
export function rememberDeliveryStream(memory: DeliveryStreamMemory, observation: DeliveryStreamObservation): DeliveryStreamMemory {
  const status = encryptionStatus(observation);
  return {
    ...memory,
    streamSeen: memory.streamSeen || observation.found,
    sawEnabling: memory.sawEnabling || status === 'ENABLING',
    sawDisabling: memory.sawDisabling || status === 'DISABLING',
  };
}

/**
 * Whether the stream's encryption uses the wanted key: same key type and, for
 * a customer managed key, the ARN as given or as resolved by `kms:DescribeKey`
 * (so an alias ARN matches the key it names).
 */
export function hasWantedKey(goal: DeliveryStreamGoal, encryption: EncryptionView, memory: DeliveryStreamMemory): boolean {
  if (goal.kind !== 'encrypt' || encryption.keyType !== goal.keyType) {
    return false;
  }
  if (goal.keyType === 'AWS_OWNED_CMK') {
    return true;
  }
  const arn = encryption.keyArn;
  return arn !== undefined && (arn === goal.keyArn || arn === memory.resolvedKeyArn);
}

/**
 * The truth table: the next action for a goal, an observation and the memory.
 *
 * Create/Update (`encrypt`):
 * - stream missing → FAILED (not found, or deleted if it was seen before);
 * - source other than DirectPut → FAILED;
 * - stream CREATING/UPDATING → wait; any other non-ACTIVE status → FAILED;
 * - ENABLED with the wanted key → SUCCESS (settle if it just got there);
 * - ENABLING or DISABLING → wait;
 * - ENABLING_FAILED/DISABLING_FAILED after a Start or a watched transition → FAILED;
 * - otherwise (DISABLED, no configuration, another key, a stale `*_FAILED`)
 *   → verify the key (customer managed keys), then Start; but never a second
 *   Start: after one, keep waiting.
 *
 * Delete (`decrypt`):
 * - stream missing, DISABLED or not configured → SUCCESS;
 * - stream CREATING/UPDATING → wait; DELETING or CREATING_FAILED → SUCCESS
 *   (the stream is going away, or never worked); any other status is judged
 *   by its encryption, as ACTIVE is;
 * - DISABLING or ENABLING → wait;
 * - ENABLED, ENABLING_FAILED, DISABLING_FAILED → Stop; after a Stop, wait,
 *   and DISABLING_FAILED → FAILED.
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
    return fail(memory.streamSeen ? 'STREAM_DELETED' : 'STREAM_NOT_FOUND', { stream });
  }
  if (observation.streamType !== undefined && observation.streamType !== DIRECT_PUT) {
    return fail('NOT_DIRECT_PUT', { stream, type: observation.streamType });
  }
  if (STREAM_BUSY.has(observation.streamStatus)) {
    return WAIT;
  }
  if (observation.streamStatus !== ACTIVE) {
    return fail('STREAM_NOT_ACTIVE', { stream, status: observation.streamStatus });
  }

  const enc = observation.encryption;
  const status = enc.status ?? 'DISABLED';
  switch (status) {
    case 'ENABLED':
      if (hasWantedKey(goal, enc, memory)) {
        return { kind: 'succeed', settle: memory.started || memory.sawEnabling };
      }
      break;
    case 'ENABLING':
    case 'DISABLING':
      return WAIT;
    case 'ENABLING_FAILED':
    case 'DISABLING_FAILED':
      if (memory.started || memory.sawEnabling || memory.sawDisabling) {
        return fail(status, { stream, failure: enc.failure ?? 'no FailureDescription given' });
      }
      break;
    case 'DISABLED':
      break;
    default:
      return WAIT;
  }
  // DISABLED, not configured, another key or a stale *_FAILED: Start once, then only wait.
  return memory.started ? WAIT : startWith(goal, memory);
}

/** Start, after the key pre-flight for a customer managed key. */
function startWith(goal: Extract<DeliveryStreamGoal, { kind: 'encrypt' }>, memory: DeliveryStreamMemory): DeliveryStreamAction {
  return goal.keyType === 'CUSTOMER_MANAGED_CMK' && !memory.keyVerified ? { kind: 'verify-key' } : { kind: 'start' };
}

/** The Delete half of {@link decideDeliveryStream}. */
function decideDecrypt(goal: Extract<DeliveryStreamGoal, { kind: 'decrypt' }>, observation: DeliveryStreamObservation, memory: DeliveryStreamMemory): DeliveryStreamAction {
  if (!observation.found) {
    return DONE;
  }
  if (STREAM_BUSY.has(observation.streamStatus)) {
    return WAIT;
  }
  if (STREAM_ENDING.has(observation.streamStatus)) {
    return DONE;
  }
  const enc = observation.encryption;
  const status = enc.status ?? 'DISABLED';
  switch (status) {
    case 'DISABLED':
      return DONE;
    case 'DISABLING':
    case 'ENABLING':
      return WAIT;
    case 'ENABLED':
    case 'ENABLING_FAILED':
      return memory.stopped ? WAIT : { kind: 'stop' };
    case 'DISABLING_FAILED':
      if (memory.stopped) {
        return fail('DISABLING_FAILED', { stream: goal.streamName, failure: enc.failure ?? 'no FailureDescription given' });
      }
      return { kind: 'stop' };
    default:
      return WAIT;
  }
}

/** A `fail` action. */
function fail(reasonId: ReasonId, params: ReasonParams): DeliveryStreamAction {
  return { kind: 'fail', reasonId, params };
}
