/**
 * The handler's truth table as a pure function: given what the handler wants
 * (the goal), what it just read from `DescribeDeliveryStream` (the
 * observation) and what it did and saw before (the memory), decide the next
 * action. No I/O, no clock: every row is unit-tested on its own.
 */
import type { DeliveryStreamDescription } from '@aws-sdk/client-firehose';
import type { ReasonId, ReasonParams } from './reasons';
import type { FirehoseKeyType } from '../src/private/contract';

/** What the handler wants the stream's encryption to be. */
export type Goal =
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
export type Observation =
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
export interface Memory {
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
export const INITIAL_MEMORY: Memory = {
  streamSeen: false,
  started: false,
  stopped: false,
  sawEnabling: false,
  sawDisabling: false,
  keyVerified: false,
};

/** The next step. */
export type Action =
  | {
    /** Read the stream again after a short pause. */
    readonly kind: 'wait';
  }
  | {
    /** Check the customer managed key with `kms:DescribeKey`, then decide again. */
    readonly kind: 'verify-key';
  }
  | {
    /** Call Start (`StartDeliveryStreamEncryption`, or `StartStreamEncryption` with the wanted key). */
    readonly kind: 'start';
  }
  | {
    /** Call Stop (`StopDeliveryStreamEncryption`, or `StopStreamEncryption` with the key the stream reports). */
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

/** Read the stream again. */
const WAIT: Action = { kind: 'wait' };

/** Answer SUCCESS at once. */
const DONE: Action = { kind: 'succeed', settle: false };

/** Stream statuses that turn into ACTIVE by themselves. */
const STREAM_BUSY: ReadonlySet<string> = new Set(['CREATING', 'UPDATING']);

/** The stream status in which encryption can change. */
const ACTIVE = 'ACTIVE';

/** Stream statuses in which a Delete has nothing to stop: the stream is going away, or never worked. */
const STREAM_ENDING: ReadonlySet<string> = new Set(['DELETING', 'CREATING_FAILED']);

/** The only stream type Firehose can encrypt itself. */
const DIRECT_PUT = 'DirectPut';

/** Turn a `DescribeDeliveryStream` description into an {@link Observation}. */
export function observe(description: DeliveryStreamDescription | undefined): Observation {
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
export function encryptionStatus(observation: Observation): string | undefined {
  return observation.found ? observation.encryption.status ?? 'DISABLED' : undefined;
}

/** A one-line description of an observation, for reasons and logs. */
export function summarize(observation: Observation | undefined): string {
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
 * Fold an observation into the memory. Call after {@link decide} has judged
 * the observation, so that `decide` sees what happened *before* it.
 */
export function remember(memory: Memory, observation: Observation): Memory {
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
export function hasWantedKey(goal: Goal, encryption: EncryptionView, memory: Memory): boolean {
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
export function decide(goal: Goal, observation: Observation, memory: Memory): Action {
  return goal.kind === 'encrypt' ? decideEncrypt(goal, observation, memory) : decideDecrypt(goal, observation, memory);
}

/** The Create/Update half of {@link decide}. */
function decideEncrypt(goal: Extract<Goal, { kind: 'encrypt' }>, observation: Observation, memory: Memory): Action {
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
function startWith(goal: Extract<Goal, { kind: 'encrypt' }>, memory: Memory): Action {
  return goal.keyType === 'CUSTOMER_MANAGED_CMK' && !memory.keyVerified ? { kind: 'verify-key' } : { kind: 'start' };
}

/** The Delete half of {@link decide}. */
function decideDecrypt(goal: Extract<Goal, { kind: 'decrypt' }>, observation: Observation, memory: Memory): Action {
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
function fail(reasonId: ReasonId, params: ReasonParams): Action {
  return { kind: 'fail', reasonId, params };
}
