/**
 * The truth table of a Kinesis data stream's encryption, as a pure function:
 * given the goal, what `DescribeStreamSummary` just said (the observation) and
 * what the handler did and saw before (the memory), decide the next action.
 * No I/O, no clock: every row is unit-tested on its own.
 *
 * Kinesis has no encryption status of its own: a change makes the stream
 * `UPDATING`, and the change is done when the stream is `ACTIVE` again with
 * the new `EncryptionType` and `KeyId`.
 */
import type { StreamDescriptionSummary } from '@aws-sdk/client-kinesis';
import { KINESIS_MANAGED_KEY_ID, PRIOR_NONE } from '../../../src/private/contract';
import type { HandlerReasonId, ReasonParams } from '../../core/reasons';
import type { Step } from '../../core/session';

/** What the handler wants the stream's encryption to be. */
export type DataStreamGoal =
  | {
    /** Create/Update: `ACTIVE` with `EncryptionType` KMS and this key. */
    readonly kind: 'encrypt';
    /** Name of the data stream. */
    readonly streamName: string;
    /** ARN of the data stream (its region and account place key ids and alias names). */
    readonly streamArn: string;
    /** The wanted key: a key ARN, or `alias/aws/kinesis`. */
    readonly keyId: string;
    /** A Delete putting the stream back to the key it had before (any key reference): no key pre-flight. */
    readonly restore?: boolean;
  }
  | {
    /** Delete: `EncryptionType` NONE (or the stream gone). */
    readonly kind: 'decrypt';
    /** Name of the data stream. */
    readonly streamName: string;
    /** ARN of the data stream. */
    readonly streamArn: string;
  };

/** One reading of the stream. */
export type DataStreamObservation =
  | {
    /** The stream does not exist (ResourceNotFoundException). */
    readonly found: false;
  }
  | {
    /** The stream exists. */
    readonly found: true;
    /** `StreamStatus`: CREATING, UPDATING, ACTIVE, DELETING. */
    readonly streamStatus_: string;
    /** `EncryptionType`: KMS or NONE (`undefined` if not reported). */
    readonly encryptionType_?: string;
    /** `KeyId` as the stream reports it: a key ARN, key id, alias name or alias ARN. */
    readonly keyId_?: string;
  };

/** What the handler did and saw earlier in this request. */
export interface DataStreamMemory {
  /** A previous reading found the stream. */
  readonly streamSeen_: boolean;
  /** Start was accepted in this request. */
  readonly started_: boolean;
  /** Stop was accepted in this request. */
  readonly stopped_: boolean;
  /** A previous reading showed UPDATING. */
  readonly sawUpdating_: boolean;
  /** A reading after the last accepted Start or Stop showed UPDATING: the change was taken up. */
  readonly updatingSinceChange_: boolean;
  /** The customer managed key passed the `kms:DescribeKey` pre-flight. */
  readonly keyVerified_: boolean;
  /** A Start was sent but its outcome is unknown (a transient error): it may have taken effect. */
  readonly startUncertain_: boolean;
  /**
   * What `kms:DescribeKey` resolved alias references of the stream's current
   * key to: a key ARN, or `null` when the alias points to no key the handler
   * may use (so not to the wanted key).
   */
  readonly resolvedKeys_: Readonly<Record<string, string | null>>;
}

/** The memory at the start of a request. */
export const INITIAL_DATA_STREAM_MEMORY: DataStreamMemory = {
  streamSeen_: false,
  started_: false,
  stopped_: false,
  sawUpdating_: false,
  updatingSinceChange_: false,
  keyVerified_: false,
  startUncertain_: false,
  resolvedKeys_: {},
};

/**
 * The next step: a step of the reconcile loop, checking the customer managed
 * key first, or resolving the alias a data stream reports its key by.
 */
export type DataStreamAction =
  | Step
  | {
    /** Check the customer managed key with `kms:DescribeKey`, then decide again. */
    readonly kind: 'verify-key';
  }
  | {
    /** Resolve the alias the stream's current key is named by with `kms:DescribeKey`, then decide again. */
    readonly kind: 'resolve-key';
    /** The alias name or alias ARN to resolve. */
    readonly keyId: string;
  };

/** Read the stream again. */
const WAIT: DataStreamAction = { kind: 'wait' };

/** Answer SUCCESS at once. */
const DONE: DataStreamAction = { kind: 'succeed', settle: false };

/** The service, as the reasons of a data stream name it. */
export const SERVICE = 'Kinesis';

/** Stream statuses that turn into ACTIVE by themselves. */
const STREAM_BUSY: ReadonlySet<string> = new Set(['CREATING', 'UPDATING']);

/** The only encryption type that encrypts. */
const KMS = 'KMS';

/** Turn a `DescribeStreamSummary` summary into an {@link DataStreamObservation}. */
export function observeDataStream(summary: StreamDescriptionSummary | undefined): DataStreamObservation {
  if (!summary) {
    return { found: false };
  }
  return {
    found: true,
    streamStatus_: summary.StreamStatus ?? 'UNKNOWN',
    encryptionType_: summary.EncryptionType,
    keyId_: summary.KeyId || undefined,
  };
}

/** Whether a reading shows the stream encrypted (`EncryptionType` KMS). */
export function isEncrypted(observation: DataStreamObservation): boolean {
  return observation.found && observation.encryptionType_ === KMS;
}

/** A one-line description of an observation, for reasons and logs. */
export function summarizeDataStream(observation: DataStreamObservation | undefined): string {
  if (!observation) {
    return 'not read yet';
  }
  if (!observation.found) {
    return 'stream not found';
  }
  const encryption = observation.encryptionType_ ?? 'NONE';
  return `stream ${observation.streamStatus_}, encryption ${encryption}${observation.keyId_ ? ` with ${observation.keyId_}` : ''}`;
}

/**
 * Fold an observation into the memory. Call after {@link decideDataStream}
 * has judged the observation, so that it sees what happened *before* it.
 */
export function rememberDataStream(memory: DataStreamMemory, observation: DataStreamObservation): DataStreamMemory {
  const updating = observation.found && observation.streamStatus_ === 'UPDATING';
  return {
    ...memory,
    streamSeen_: memory.streamSeen_ || observation.found,
    sawUpdating_: memory.sawUpdating_ || updating,
    updatingSinceChange_: memory.updatingSinceChange_ || ((memory.started_ || memory.stopped_) && updating),
  };
}

/** A KMS key reference, taken apart. */
export interface KeyReference {
  /** A key (by id or ARN) or an alias (by name or ARN). */
  readonly kind: 'key' | 'alias';
  /** The key id, or the alias name (`alias/…`). */
  readonly name: string;
  /** The region, when the reference is an ARN. */
  readonly region?: string;
  /** The account, when the reference is an ARN. */
  readonly account?: string;
}

/** Where a KMS reference without region and account points: the stream's region and account. */
interface Home {
  readonly region?: string;
  readonly account?: string;
}

/**
 * Take a KMS key reference apart: a key ARN, an alias ARN, an alias name
 * (`alias/…`) or a key id.
 */
export function parseKeyReference(reference: string): KeyReference {
  const arn = /^arn:[^:]+:kms:([^:]*):([^:]*):(key|alias)\/(.+)$/.exec(reference);
  if (arn) {
    const [, region, account, kind, rest] = arn;
    return { kind: kind as 'key' | 'alias', name: kind === 'alias' ? `alias/${rest}` : rest, region, account };
  }
  return reference.startsWith('alias/') ? { kind: 'alias', name: reference } : { kind: 'key', name: reference };
}

/** The region and account of a stream ARN. */
function homeOf(streamArn: string): Home {
  const [, , , region, account] = streamArn.split(':');
  return { region, account };
}

/** Whether two references name the same key or alias, a missing region or account meaning the stream's. */
function sameReference(a: KeyReference, b: KeyReference, home: Home): boolean {
  return a.kind === b.kind
    && a.name === b.name
    && (a.region ?? home.region) === (b.region ?? home.region)
    && (a.account ?? home.account) === (b.account ?? home.account);
}

/**
 * Whether the stream's current key is the wanted one:
 * - `alias/aws/kinesis` matches itself (as alias name or alias ARN in the
 *   stream's region and account);
 * - a customer key ARN matches the same ARN, the same key id, and an alias
 *   that `kms:DescribeKey` resolved to that key; an `alias/aws/…` alias is an
 *   AWS managed key, never a customer key;
 * - `resolve` when the current key is an alias not resolved yet.
 */
export function matchKey(goal: Extract<DataStreamGoal, { kind: 'encrypt' }>, currentKeyId: string, memory: DataStreamMemory): 'same' | 'different' | 'resolve' {
  if (currentKeyId === goal.keyId) {
    return 'same';
  }
  const home = homeOf(goal.streamArn);
  const wanted = parseKeyReference(goal.keyId);
  const current = parseKeyReference(currentKeyId);
  if (goal.keyId === KINESIS_MANAGED_KEY_ID || current.kind === 'key') {
    return sameReference(current, wanted, home) ? 'same' : 'different';
  }
  if (current.name.startsWith('alias/aws/')) {
    return 'different';
  }
  const resolved = memory.resolvedKeys_[currentKeyId];
  if (resolved === undefined) {
    return 'resolve';
  }
  return resolved !== null && sameReference(parseKeyReference(resolved), wanted, home) ? 'same' : 'different';
}

/**
 * The truth table: the next action for a goal, an observation and the memory.
 *
 * Create/Update (`encrypt`):
 * - stream missing → FAILED (not found, or deleted if it was seen before);
 * - stream CREATING/UPDATING → wait; any other status but ACTIVE → FAILED;
 * - ACTIVE, KMS with the wanted key → SUCCESS (settle if it just got there);
 * - ACTIVE, KMS with an alias not resolved yet → resolve it, decide again;
 * - ACTIVE, NONE or another key, before any Start → verify the key (customer
 *   managed keys), then Start;
 * - after our Start: UPDATING seen, then ACTIVE without the wanted key →
 *   FAILED (the change did not take); no UPDATING seen yet → wait.
 *
 * Delete (`decrypt`):
 * - stream missing, DELETING, or not encrypted → SUCCESS;
 * - stream CREATING/UPDATING → wait;
 * - KMS → Stop with the key the stream reports; after our Stop, UPDATING
 *   seen, then still KMS → FAILED; no UPDATING seen yet → wait.
 */
export function decideDataStream(goal: DataStreamGoal, observation: DataStreamObservation, memory: DataStreamMemory): DataStreamAction {
  return goal.kind === 'encrypt' ? decideEncrypt(goal, observation, memory) : decideDecrypt(goal, observation, memory);
}

/** The Create/Update half of {@link decideDataStream}. */
function decideEncrypt(goal: Extract<DataStreamGoal, { kind: 'encrypt' }>, observation: DataStreamObservation, memory: DataStreamMemory): DataStreamAction {
  const stream = goal.streamName;
  if (!observation.found) {
    return fail(memory.streamSeen_ ? 'STREAM_DELETED' : 'STREAM_NOT_FOUND', { service: SERVICE, stream });
  }
  if (STREAM_BUSY.has(observation.streamStatus_)) {
    return WAIT;
  }
  if (observation.streamStatus_ !== 'ACTIVE') {
    return fail('STREAM_NOT_ACTIVE', { service: SERVICE, stream, status: observation.streamStatus_ });
  }
  if (isEncrypted(observation) && observation.keyId_) {
    const match = matchKey(goal, observation.keyId_, memory);
    if (match === 'same') {
      return { kind: 'succeed', settle: memory.started_ || memory.startUncertain_ || memory.sawUpdating_ };
    }
    if (match === 'resolve') {
      return { kind: 'resolve-key', keyId: observation.keyId_ };
    }
  }
  // Not encrypted, or with another key.
  if (memory.started_) {
    return memory.updatingSinceChange_
      ? fail('DATA_STREAM_ENCRYPTION_NOT_APPLIED', { stream, operation: 'StartStreamEncryption', status: summarizeDataStream(observation) })
      : WAIT;
  }
  return goal.keyId !== KINESIS_MANAGED_KEY_ID && !memory.keyVerified_ && !goal.restore ? { kind: 'verify-key' } : { kind: 'start' };
}

/** The Delete half of {@link decideDataStream}. */
function decideDecrypt(goal: Extract<DataStreamGoal, { kind: 'decrypt' }>, observation: DataStreamObservation, memory: DataStreamMemory): DataStreamAction {
  if (!observation.found) {
    return DONE;
  }
  if (STREAM_BUSY.has(observation.streamStatus_)) {
    return WAIT;
  }
  if (observation.streamStatus_ === 'DELETING' || !isEncrypted(observation)) {
    return DONE;
  }
  if (!observation.keyId_) {
    return fail('UNEXPECTED_ERROR', { operation: 'DescribeStreamSummary', error: 'EncryptionType KMS without a KeyId' });
  }
  if (memory.stopped_) {
    return memory.updatingSinceChange_
      ? fail('DATA_STREAM_ENCRYPTION_NOT_APPLIED', { stream: goal.streamName, operation: 'StopStreamEncryption', status: summarizeDataStream(observation) })
      : WAIT;
  }
  return { kind: 'stop' };
}

/** A `fail` action. */
function fail(reasonId: HandlerReasonId, params: ReasonParams): DataStreamAction {
  return { kind: 'fail', reasonId, params };
}

/**
 * The prior state a reading records: `none` (no encryption) or the key the
 * stream reports; `undefined` for a missing stream or one that is neither
 * ACTIVE nor CREATING (a stream being created has the encryption it is
 * created with: `StartStreamEncryption` needs an ACTIVE stream, so no change
 * can be in progress; an UPDATING one may be changing its encryption).
 */
export function priorOfDataStream(observation: DataStreamObservation): string | undefined {
  if (!observation.found || (observation.streamStatus_ !== 'ACTIVE' && observation.streamStatus_ !== 'CREATING')) {
    return undefined;
  }
  return isEncrypted(observation) ? observation.keyId_ : PRIOR_NONE;
}

/** The goal that puts a data stream back to a recorded prior state. */
export function restoreDataStream(goal: DataStreamGoal, prior: string): DataStreamGoal {
  const { streamName, streamArn } = goal;
  return prior === PRIOR_NONE ? { kind: 'decrypt', streamName, streamArn } : { kind: 'encrypt', streamName, streamArn, keyId: prior, restore: true };
}
