/**
 * The Firehose backend of the local cloud: its delivery streams and the logic of the Firehose
 * operations and of its control API. The streams live in a {@link StreamTable}; what a stream is,
 * how its transitions settle and how it is described are Firehose's own.
 *
 * @module
 */

import type { DeliveryStreamEncryptionStatus, DeliveryStreamStatus, DeliveryStreamType } from '@aws-sdk/client-firehose';
import { formatArn, partitionOf } from '../../arn';
import { LocalClock } from '../../clock';
import { ControlError, ServiceError } from '../../errors';
import { epochSeconds, isJsonObject, JsonObject } from '../../json';
import { RequestContext } from '../../router';
import { keyProblem, KeyProblemWording } from '../key-usability';
import type { KeyLookup } from '../kms';
import { DeliveryReport, RecordIds, RecordKey, recordsOf, StoredRecord, unreadable, UnreadableRecord } from '../records';
import { StaleReads } from '../stale-reads';
import { checkMember, EncryptionCallLimit, StreamBackend } from '../stream-table';
import { TagSet } from '../tags';
import { FirehoseErrors } from './errors';
import {
  PutRecordInput,
  DEFAULT_ENCRYPTION_CALL_LIMIT,
  DEFAULT_TAG_PAGE,
  DEFAULT_TRANSITION_DELAYS,
  DeliveryStreamDescriptionJson,
  DeliveryStreamSnapshot,
  ENCRYPTION_STATUSES,
  EncryptionConfigurationInput,
  EncryptionConfigurationJson,
  EncryptionSpec,
  FAILURE_TYPE_VALUES,
  FAILURE_TYPES,
  FailureDescription,
  FirehoseSnapshot,
  KEY_TYPES,
  KeySelection,
  ListTagsForDeliveryStreamInput,
  StartDeliveryStreamEncryptionInput,
  STREAM_STATUSES,
  STREAM_TYPES,
  StreamNameInput,
  StreamSpec,
  TagDeliveryStreamInput,
  TransitionDelays,
  UntagDeliveryStreamInput,
  FIREHOSE_STREAMS,
} from './shapes';

/** What Firehose needs from KMS. */
export interface KeyDirectory {
  /** Looks a key up by key ARN or alias ARN. */
  find(reference: string): KeyLookup;
}

/** How a {@link FirehoseBackend} is built. */
export interface FirehoseBackendOptions {
  readonly clock: LocalClock;
  readonly accountId: string;
  readonly region: string;
  /** Where stream keys are checked. */
  readonly keys: KeyDirectory;
  /** Initial default delays (missing members from {@link DEFAULT_TRANSITION_DELAYS}). */
  readonly delays?: Partial<TransitionDelays>;
  /** @defaultValue {@link DEFAULT_ENCRYPTION_CALL_LIMIT} */
  readonly encryptionCallLimit?: EncryptionCallLimit;
}

/** How long Firehose keeps retrying a buffered record it cannot decrypt before it discards it. */
export const FIREHOSE_RETENTION_MS = 24 * 3600_000;

/** The KMS exception Firehose meets using a key in `lookup`'s state; `undefined` for an enabled key. */
function kmsExceptionOf(lookup: KeyLookup): string | undefined {
  if (!lookup.found) return 'KMSNotFoundException';
  const state = lookup.metadata.KeyState;
  if (state === 'Enabled') return undefined;
  return state === 'Disabled' ? 'KMSDisabledException' : 'KMSInvalidStateException';
}

/** An encryption change in progress. */
interface EncryptionChange {
  readonly kind: 'enable' | 'disable';
  /** The key being enabled. */
  readonly target?: KeySelection;
  readonly completesAt: number;
  /** How it ends when it fails; absent when it succeeds. */
  readonly failure?: FailureDescription;
}

/** A stream held by the backend. */
interface StreamRecord {
  readonly name: string;
  readonly arn: string;
  readonly type: DeliveryStreamType;
  readonly createdAt: number;
  readonly source?: JsonObject;
  lastUpdatedAt: number;
  versionId: number;
  status: DeliveryStreamStatus;
  /** When `CREATING` or `DELETING` ends. */
  statusChangesAt?: number;
  /** How `CREATING` ends when it fails. */
  creationFailure?: FailureDescription;
  /** The stream-level failure shown (`CREATING_FAILED`, `DELETING_FAILED`). */
  failureDescription?: FailureDescription;
  readonly encryption: {
    /** Whether the description has a `DeliveryStreamEncryptionConfiguration` at all. */
    reported: boolean;
    status: DeliveryStreamEncryptionStatus;
    /** The key protecting the data now. */
    applied?: KeySelection;
    /** The key shown in the description when no change is in progress. */
    shown?: KeySelection;
    failure?: FailureDescription;
    change?: EncryptionChange;
  };
  /** Times of the accepted Start/Stop calls of the rolling window. */
  calls: number[];
  readonly tags: TagSet;
  /** The records put, oldest first (buffered until delivered). */
  records?: StoredRecord[];
}

/** The failures Firehose reports for a key it cannot use. */
const FIREHOSE_KEY_PROBLEMS: KeyProblemWording<FailureDescription> = {
  notFound: (arn, lookup) => ({ Type: 'KMS_KEY_NOT_FOUND', Details: `Firehose could not use KMS key ${arn}: ${lookup.message} (KMS ${lookup.errorName}).` }),
  disabled: (arn) => ({ Type: 'DISABLED_KMS_KEY', Details: `Firehose could not use KMS key ${arn}: the key is disabled (KMS DisabledException).` }),
  pendingDeletion: (arn) => ({ Type: 'INVALID_KMS_KEY', Details: `Firehose could not use KMS key ${arn}: the key is pending deletion (KMS KMSInvalidStateException).` }),
  otherState: (arn, state) => ({ Type: 'INVALID_KMS_KEY', Details: `Firehose could not use KMS key ${arn}: the key is in state ${state} (KMS KMSInvalidStateException).` }),
  notSymmetric: (arn, keySpec, keyUsage) => ({
    Type: 'INVALID_KMS_KEY',
    Details: `Firehose could not use KMS key ${arn}: it has KeySpec ${keySpec} and KeyUsage ${keyUsage}, but Firehose supports only symmetric keys (SYMMETRIC_DEFAULT) with KeyUsage ENCRYPT_DECRYPT.`,
  }),
};

/** Whether two key selections name the same key type and key. */
function sameKey(a: KeySelection | undefined, b: KeySelection): boolean {
  return a !== undefined && a.keyType === b.keyType && (a.keyArn ?? '') === (b.keyArn ?? '');
}

/** A copy of a key selection for snapshots; `null` for none. */
function copyKey(key: KeySelection | undefined): KeySelection | null {
  if (!key) return null;
  return key.keyArn === undefined ? { keyType: key.keyType } : { keyType: key.keyType, keyArn: key.keyArn };
}

/** Validates a `FailureDescription` given to the control API. */
function checkFailure(failure: FailureDescription, method: string): FailureDescription {
  if (!isJsonObject(failure) || typeof failure.Type !== 'string' || !Object.prototype.hasOwnProperty.call(FAILURE_TYPES, failure.Type)) {
    throw new ControlError(`${method}: expected a FailureDescription { Type, Details } with Type one of ${FAILURE_TYPE_VALUES.join(', ')}`);
  }
  if (typeof failure.Details !== 'string') throw new ControlError(`${method}: FailureDescription.Details must be a string`);
  return { Type: failure.Type, Details: failure.Details };
}

/** The Firehose delivery streams of the local cloud, and the logic of the Firehose operations. */
export class FirehoseBackend extends StreamBackend<StreamRecord, TransitionDelays> {
  private readonly forcedStartFailures = new Map<string, FailureDescription>();
  private readonly forcedStopFailures = new Map<string, FailureDescription>();

  /**
   * @param options - clock, account, region, key directory and initial settings
   */
  private readonly recordIds = new RecordIds('record-', 12);
  private readonly staleReads = new StaleReads<JsonObject>();

  /** Where stream keys are looked up. */
  public get keys(): KeyDirectory {
    return this.options.keys;
  }

  constructor(private readonly options: FirehoseBackendOptions) {
    super(FIREHOSE_STREAMS, { ...options, callLimit: options.encryptionCallLimit ?? DEFAULT_ENCRYPTION_CALL_LIMIT });
  }

  // ---- operations -------------------------------------------------------------------------

  /** `DescribeDeliveryStream`. */
  public describeDeliveryStream(input: StreamNameInput, context: RequestContext): JsonObject {
    this.table.settleAll(context.now);
    const stream = this.requireStream(input.DeliveryStreamName, context);
    const staleMs = this.table.delaysFor(stream.name).staleReadMs;
    return { DeliveryStreamDescription: this.staleReads.read(stream.name, this.describe(stream), stream.lastUpdatedAt, context.now, staleMs) };
  }

  /** `StartDeliveryStreamEncryption`. */
  public startDeliveryStreamEncryption(input: StartDeliveryStreamEncryptionInput, context: RequestContext): JsonObject {
    const selection = this.keySelection(input.DeliveryStreamEncryptionConfigurationInput);
    this.table.settleAll(context.now);
    const stream = this.requireChangeable(input.DeliveryStreamName, context);
    if (stream.encryption.status === 'ENABLED' && sameKey(stream.encryption.shown, selection)) {
      throw FirehoseErrors.alreadyEnabled(stream.name, selection);
    }
    this.beginChange(stream, context.now, this.forcedStartFailures, (forced) => ({
      kind: 'enable',
      target: selection,
      completesAt: context.now + this.table.delaysFor(stream.name).enablingMs,
      failure: forced ?? this.evaluateKey(selection),
    }));
    return {};
  }

  /** `StopDeliveryStreamEncryption`. */
  public stopDeliveryStreamEncryption(input: StreamNameInput, context: RequestContext): JsonObject {
    this.table.settleAll(context.now);
    const stream = this.requireChangeable(input.DeliveryStreamName, context);
    this.beginChange(stream, context.now, this.forcedStopFailures, (forced) => ({
      kind: 'disable',
      completesAt: context.now + this.table.delaysFor(stream.name).disablingMs,
      failure: forced,
    }));
    return {};
  }

  /** `TagDeliveryStream`: sets the tags; at most 50 per stream. */
  public tagDeliveryStream(input: TagDeliveryStreamInput, context: RequestContext): JsonObject {
    this.table.settleAll(context.now);
    const stream = this.requireTaggable(input.DeliveryStreamName, context);
    checkUniqueKeys(input.Tags.map((tag) => tag.Key));
    stream.tags.setWithinLimit(
      input.Tags.map((tag) => [tag.Key, tag.Value ?? ''] as const),
      (count) => FirehoseErrors.tooManyTags(stream.name, count),
    );
    return {};
  }

  /** `UntagDeliveryStream`: removes the tags; keys the stream does not have are ignored. */
  public untagDeliveryStream(input: UntagDeliveryStreamInput, context: RequestContext): JsonObject {
    this.table.settleAll(context.now);
    this.requireTaggable(input.DeliveryStreamName, context).tags.remove(input.TagKeys);
    return {};
  }

  /** `ListTagsForDeliveryStream`: a page of tags in key order, after `ExclusiveStartTagKey`. */
  public listTagsForDeliveryStream(input: ListTagsForDeliveryStreamInput, context: RequestContext): JsonObject {
    this.table.settleAll(context.now);
    const stream = this.requireStream(input.DeliveryStreamName, context);
    return { ...stream.tags.page(input.ExclusiveStartTagKey, input.Limit ?? DEFAULT_TAG_PAGE) };
  }

  // ---- control ------------------------------------------------------------------------------


  /**
   * Creates a stream directly in any state; see {@link StreamSpec}.
   *
   * @throws ControlError when the spec is invalid or the stream exists
   */
  public createStream(spec: StreamSpec): DeliveryStreamSnapshot {
    const { name, now } = this.table.beginCreate(spec, 'createStream');
    const type = checkMember(STREAM_TYPES, spec.type, 'DirectPut', 'createStream', 'type');
    const status = checkMember(STREAM_STATUSES, spec.status, 'ACTIVE', 'createStream', 'status');
    const delays = this.table.delaysFor(name);
    const failure = spec.failureDescription === undefined ? undefined : checkFailure(spec.failureDescription, 'createStream');
    const unknown: FailureDescription = { Type: 'UNKNOWN_ERROR', Details: 'Set through the local cloud control API.' };

    const stream: StreamRecord = {
      name,
      arn: this.arnOf(name),
      type,
      createdAt: now,
      lastUpdatedAt: now,
      versionId: 1,
      status,
      statusChangesAt: status === 'CREATING' ? now + delays.creatingMs : status === 'DELETING' ? now + delays.deletingMs : undefined,
      creationFailure: status === 'CREATING' ? failure : undefined,
      failureDescription: status === 'CREATING_FAILED' || status === 'DELETING_FAILED' ? failure ?? unknown : undefined,
      source: this.sourceDescription(
        type,
        spec.kinesisStreamArn ?? formatArn({ ...this.arnBase('kinesis'), resource: `stream/${name}-source` }),
        spec.roleArn ?? formatArn({ ...this.arnBase('iam'), region: '', resource: `role/firehose-${name}` }),
        now,
      ),
      encryption: this.encryptionFromSpec(spec.encryption, now, delays, unknown),
      calls: [],
      tags: this.table.tagsFromSpec(spec.tags, 'createStream'),
    };
    stream.calls = this.table.callsFromSpec(spec.encryptionCallsInWindow, now, 'createStream', 'encryptionCallsInWindow');
    this.table.add(stream);
    return this.snapshotOf(stream, now);
  }

  /**
   * Removes a stream at once, whatever its state (an encryption change in progress is dropped).
   *
   * @returns whether there was such a stream
   */
  public deleteStream(name: string): boolean {
    return this.table.removeNow(name, 'deleteStream');
  }

  /**
   * Makes the next accepted Start on a stream (which need not exist yet) end `ENABLING_FAILED`
   * with `failure`, whatever its key.
   */
  public failNextStart(name: string, failure: FailureDescription): void {
    this.forcedStartFailures.set(this.table.checkName(name, 'failNextStart'), checkFailure(failure, 'failNextStart'));
  }

  /** Makes the next accepted Stop on a stream end `DISABLING_FAILED` with `failure`. */
  public failNextStop(name: string, failure: FailureDescription): void {
    this.forcedStopFailures.set(this.table.checkName(name, 'failNextStop'), checkFailure(failure, 'failNextStop'));
  }

  /** Drops every forced Start/Stop failure. */
  public clearForcedFailures(): void {
    this.forcedStartFailures.clear();
    this.forcedStopFailures.clear();
  }

  /** A stream's snapshot, or `undefined` when there is no such stream. */
  public stream(name: string): DeliveryStreamSnapshot | undefined {
    return this.table.view(name, (stream, now) => this.snapshotOf(stream, now));
  }

  /** Everything the backend holds, settled to now. */
  public snapshot(): FirehoseSnapshot {
    const { delays, streamDelays, callLimit, streams } = this.table.snapshot((stream, now) => this.snapshotOf(stream, now));
    const forcedFailures = {
      start: Object.fromEntries([...this.forcedStartFailures].map(([name, f]) => [name, { ...f }])),
      stop: Object.fromEntries([...this.forcedStopFailures].map(([name, f]) => [name, { ...f }])),
    };
    return { delays, streamDelays, encryptionCallLimit: callLimit, streams, forcedFailures };
  }

  /** Drops every stream, override and forced failure; delays back to the initial ones. */
  public reset(): void {
    this.table.reset();
    this.forcedStartFailures.clear();
    this.forcedStopFailures.clear();
    this.recordIds.reset();
    this.staleReads.forget();
  }

  // ---- data plane ---------------------------------------------------------------------------

  /** `PutRecord`: buffered, encrypted under the key in force (none while DISABLED or ENABLING). */
  public putRecord(input: PutRecordInput, context: RequestContext): JsonObject {
    const stream = this.writable(input.DeliveryStreamName, context);
    const record = this.write(stream, input.Record.Data, context);
    return { RecordId: record.id, Encrypted: record.key.kind !== 'none' };
  }

  /**
   * Delivers a stream's buffered records to its destination: Firehose must decrypt each one.
   * Records it cannot read (their key disabled, pending deletion or gone) stay buffered, as
   * Firehose keeps retrying them, and are reported. A record still unreadable more than {@link FIREHOSE_RETENTION_MS} after it was written
   * is discarded (Firehose skips the records past its 24-hour retention that it could not
   * decrypt) and reported as `dropped`.
   */
  public deliverRecords(name: string): DeliveryReport {
    const now = this.options.clock.now();
    let delivered = 0;
    const failed: UnreadableRecord[] = [];
    const dropped: UnreadableRecord[] = [];
    for (const record of recordsOf(this.table, name, now, 'deliverRecords', 'delivery stream')) {
      if (record.delivered || record.dropped) continue;
      const [problem] = unreadable([record], this.options.keys);
      if (problem) {
        if (now - record.writtenAt > FIREHOSE_RETENTION_MS) {
          record.dropped = true;
          dropped.push(problem);
        } else {
          failed.push(problem);
        }
      } else {
        record.delivered = true;
        delivered += 1;
      }
    }
    return dropped.length > 0 ? { delivered, unreadable: failed, dropped } : { delivered, unreadable: failed };
  }

  /** The records put to a stream so far that cannot be read now (delivered or not). */
  public unreadableRecords(name: string): UnreadableRecord[] {
    return unreadable(recordsOf(this.table, name, this.options.clock.now(), 'unreadableRecords', 'delivery stream'), this.options.keys);
  }

  /** The stream of a put: it must exist, be `ACTIVE` and `DirectPut`. */
  private writable(name: string, context: RequestContext): StreamRecord {
    this.table.settleAll(context.now);
    const stream = this.requireStream(name, context);
    if (stream.status !== 'ACTIVE') throw FirehoseErrors.notActive(stream.name, context.accountId, stream.status);
    if (stream.type !== 'DirectPut') throw FirehoseErrors.invalidArgument(`Firehose stream ${stream.name} has DeliveryStreamType ${stream.type}: records can be put only to DirectPut streams.`);
    return stream;
  }

  /** Buffers one record under the key in force; a customer key that cannot be used is `InvalidKMSResourceException`. */
  private write(stream: StreamRecord, data: string, context: RequestContext): StoredRecord {
    const applied = stream.encryption.applied; // none before the first ENABLED; the old key while a change is ENABLING
    let key: RecordKey = { kind: 'none' };
    if (applied?.keyType === 'AWS_OWNED_CMK') {
      key = { kind: 'aws' };
    } else if (applied?.keyArn) {
      const lookup = this.options.keys.find(applied.keyArn);
      const exception = kmsExceptionOf(lookup);
      if (exception || !lookup.found) {
        throw new ServiceError('InvalidKMSResourceException', `Firehose could not encrypt the record with KMS key ${applied.keyArn}: ${lookup.found ? `it is ${String(lookup.metadata.KeyState)}` : 'it does not exist'}.`, {
          fields: { code: exception === 'KMSNotFoundException' ? 'KMS.NotFoundException' : exception === 'KMSDisabledException' ? 'KMS.DisabledException' : 'KMS.KMSInvalidStateException' },
        });
      }
      key = { kind: 'kms', keyArn: lookup.metadata.Arn };
    }
    const record: StoredRecord = { id: this.recordIds.take(), data, writtenAt: context.now, key };
    (stream.records ??= []).push(record);
    return record;
  }

  // ---- internals ----------------------------------------------------------------------------

  /** ARN parts in the local cloud's partition, region and account. */
  private arnBase(service: string): { partition: string; service: string; region: string; account: string } {
    return { partition: partitionOf(this.options.region), service, region: this.options.region, account: this.options.accountId };
  }

  /** The ARN of a delivery stream. */
  private arnOf(name: string): string {
    return formatArn({ ...this.arnBase('firehose'), resource: `deliverystream/${name}` });
  }

  /** A stream, or `ResourceNotFoundException`. */
  private requireStream(name: string, context: RequestContext): StreamRecord {
    const stream = this.table.get(name);
    if (!stream) throw FirehoseErrors.notFound(name, context.accountId);
    return stream;
  }

  /** A stream whose tags may change: not `CREATING` or `DELETING`. */
  private requireTaggable(name: string, context: RequestContext): StreamRecord {
    const stream = this.requireStream(name, context);
    if (stream.status === 'CREATING' || stream.status === 'DELETING') throw FirehoseErrors.tagsNotChangeable(stream.name, context.accountId, stream.status);
    return stream;
  }

  /** The checks Start and Stop share: exists, DirectPut, ACTIVE, no change in progress. */
  private requireChangeable(name: string, context: RequestContext): StreamRecord {
    const stream = this.requireStream(name, context);
    if (stream.type !== 'DirectPut') throw FirehoseErrors.notDirectPut(stream.name, stream.type);
    if (stream.status !== 'ACTIVE') throw FirehoseErrors.notActive(stream.name, context.accountId, stream.status);
    const change = stream.encryption.change;
    if (change) throw FirehoseErrors.changeInProgress(stream.name, change.kind === 'enable' ? 'ENABLING' : 'DISABLING');
    return stream;
  }

  /** The key type and key of a Start or Create; `InvalidArgumentException` when they do not fit together. */
  private keySelection(input: EncryptionConfigurationInput | undefined): KeySelection {
    const keyType = input?.KeyType ?? 'AWS_OWNED_CMK';
    if (keyType === 'CUSTOMER_MANAGED_CMK') {
      if (input?.KeyARN === undefined) throw FirehoseErrors.invalidArgument('KeyARN is required when KeyType is CUSTOMER_MANAGED_CMK.');
      return { keyType, keyArn: input.KeyARN };
    }
    if (input?.KeyARN !== undefined) throw FirehoseErrors.invalidArgument('KeyARN must not be specified when KeyType is AWS_OWNED_CMK.');
    return { keyType };
  }

  /** Whether Firehose could use a key; the failure it would report when not. */
  private evaluateKey(selection: KeySelection): FailureDescription | undefined {
    if (selection.keyType === 'AWS_OWNED_CMK' || selection.keyArn === undefined) return undefined;
    return keyProblem(selection.keyArn, this.options.keys.find(selection.keyArn), FIREHOSE_KEY_PROBLEMS);
  }

  /**
   * An accepted Start or Stop: spends one call of the rolling window (or throws
   * `LimitExceededException`), takes the stream's forced failure from `forced`, and begins the
   * change `changeWith` makes of it.
   */
  private beginChange(
    stream: StreamRecord,
    now: number,
    forced: Map<string, FailureDescription>,
    changeWith: (forcedFailure: FailureDescription | undefined) => EncryptionChange,
  ): void {
    this.table.spendCall(stream, now, () => FirehoseErrors.limitExceeded(stream.name, this.table.limit));
    const forcedFailure = forced.get(stream.name);
    forced.delete(stream.name);
    this.staleReads.observe(stream.name, this.describe(stream), stream.lastUpdatedAt);
    stream.encryption.reported = true;
    stream.encryption.change = changeWith(forcedFailure);
    this.touch(stream, now);
  }

  /** Marks an accepted change: new `VersionId` and `LastUpdateTimestamp`. */
  private touch(stream: StreamRecord, now: number): void {
    stream.versionId += 1;
    stream.lastUpdatedAt = now;
    this.settle(stream, now);
  }

  /** Completes every transition of a stream whose end time has passed. */
  protected settle(stream: StreamRecord, now: number): void {
    if (stream.status === 'CREATING' && stream.statusChangesAt !== undefined && now >= stream.statusChangesAt) {
      stream.status = stream.creationFailure ? 'CREATING_FAILED' : 'ACTIVE';
      stream.failureDescription = stream.creationFailure;
      stream.lastUpdatedAt = stream.statusChangesAt;
      stream.statusChangesAt = undefined;
    }
    const change = stream.encryption.change;
    if (change && now >= change.completesAt) this.completeChange(stream, change);
    if (stream.status === 'DELETING' && stream.statusChangesAt !== undefined && now >= stream.statusChangesAt) {
      this.table.remove(stream.name);
    }
  }

  /** Ends an encryption change as it was decided when it started. */
  private completeChange(stream: StreamRecord, change: EncryptionChange): void {
    const encryption = stream.encryption;
    if (change.kind === 'enable') {
      if (change.failure) {
        encryption.status = 'ENABLING_FAILED';
        encryption.failure = change.failure;
        encryption.shown = encryption.applied ?? change.target;
      } else {
        encryption.status = 'ENABLED';
        encryption.applied = change.target;
        encryption.shown = change.target;
        encryption.failure = undefined;
      }
    } else if (change.failure) {
      encryption.status = 'DISABLING_FAILED';
      encryption.failure = change.failure;
      encryption.shown = encryption.applied ?? encryption.shown;
    } else {
      encryption.status = 'DISABLED';
      encryption.applied = undefined;
      encryption.shown = undefined;
      encryption.failure = undefined;
    }
    encryption.change = undefined;
    stream.lastUpdatedAt = Math.max(stream.lastUpdatedAt, change.completesAt);
  }

  /** The encryption state of a stream made by the control API. */
  private encryptionFromSpec(
    spec: EncryptionSpec | null | undefined,
    now: number,
    delays: TransitionDelays,
    unknown: FailureDescription,
  ): StreamRecord['encryption'] {
    if (spec === null) return { reported: false, status: 'DISABLED' };
    if (spec === undefined) return { reported: true, status: 'DISABLED' };
    if (!isJsonObject(spec) || !Object.prototype.hasOwnProperty.call(ENCRYPTION_STATUSES, spec.status)) {
      throw new ControlError(`createStream: encryption.status must be one of ${Object.keys(ENCRYPTION_STATUSES).join(', ')}`);
    }
    const keyType = spec.keyType ?? (spec.keyArn !== undefined ? 'CUSTOMER_MANAGED_CMK' : 'AWS_OWNED_CMK');
    if (!Object.prototype.hasOwnProperty.call(KEY_TYPES, keyType)) throw new ControlError(`createStream: unknown encryption.keyType '${keyType}'`);
    if (keyType === 'CUSTOMER_MANAGED_CMK' && typeof spec.keyArn !== 'string') {
      throw new ControlError('createStream: encryption.keyArn is required for CUSTOMER_MANAGED_CMK');
    }
    const key: KeySelection = keyType === 'CUSTOMER_MANAGED_CMK' ? { keyType, keyArn: spec.keyArn } : { keyType };
    const applied = spec.appliedKey ? { ...spec.appliedKey } : undefined;
    const failure = spec.failure === undefined ? unknown : checkFailure(spec.failure, 'createStream');
    const outcome = spec.outcome === undefined ? undefined : checkFailure(spec.outcome, 'createStream');
    switch (spec.status) {
      case 'ENABLED':
        return { reported: true, status: 'ENABLED', applied: key, shown: key };
      case 'DISABLED':
        return { reported: true, status: 'DISABLED' };
      case 'ENABLING':
        return {
          reported: true,
          status: applied ? 'ENABLED' : 'DISABLED',
          applied,
          shown: applied,
          change: { kind: 'enable', target: key, completesAt: now + delays.enablingMs, failure: outcome },
        };
      case 'DISABLING':
        return {
          reported: true,
          status: 'ENABLED',
          applied: key,
          shown: key,
          change: { kind: 'disable', completesAt: now + delays.disablingMs, failure: outcome },
        };
      case 'ENABLING_FAILED':
        return { reported: true, status: 'ENABLING_FAILED', applied, shown: applied ?? key, failure };
      case 'DISABLING_FAILED':
        return { reported: true, status: 'DISABLING_FAILED', applied: key, shown: key, failure };
    }
  }

  /** The `Source` member of the description: a Kinesis source's stream and role, from the start of delivery. */
  private sourceDescription(type: DeliveryStreamType, kinesisStreamArn: string, roleArn: string, startAt: number): JsonObject | undefined {
    if (type !== 'KinesisStreamAsSource') return undefined;
    const source = { KinesisStreamARN: kinesisStreamArn, RoleARN: roleArn, DeliveryStartTimestamp: epochSeconds(startAt) };
    return { KinesisStreamSourceDescription: source };
  }

  /** The wire description of a settled stream. */
  private describe(stream: StreamRecord): DeliveryStreamDescriptionJson {
    const encryption = this.encryptionView(stream);
    const encryptionFailed = encryption?.Status === 'ENABLING_FAILED' || encryption?.Status === 'DISABLING_FAILED';
    return {
      DeliveryStreamName: stream.name,
      DeliveryStreamARN: stream.arn,
      DeliveryStreamStatus: stream.status,
      FailureDescription: stream.failureDescription ?? (encryptionFailed ? encryption?.FailureDescription : undefined),
      DeliveryStreamEncryptionConfiguration: encryption,
      DeliveryStreamType: stream.type,
      VersionId: String(stream.versionId),
      CreateTimestamp: epochSeconds(stream.createdAt),
      LastUpdateTimestamp: stream.lastUpdatedAt !== stream.createdAt ? epochSeconds(stream.lastUpdatedAt) : undefined,
      Source: stream.source,
      Destinations: [],
      HasMoreDestinations: false,
    };
  }

  /** The `DeliveryStreamEncryptionConfiguration` member of the description, or none. */
  private encryptionView(stream: StreamRecord): EncryptionConfigurationJson | undefined {
    const encryption = stream.encryption;
    if (!encryption.reported) return undefined;
    const change = encryption.change;
    let status = encryption.status;
    let key = encryption.shown;
    if (change) {
      status = change.kind === 'enable' ? 'ENABLING' : 'DISABLING';
      key = change.kind === 'enable' ? change.target : encryption.applied ?? encryption.shown;
    }
    const failed = status === 'ENABLING_FAILED' || status === 'DISABLING_FAILED';
    return {
      KeyARN: status === 'DISABLED' ? undefined : key?.keyArn,
      KeyType: status === 'DISABLED' ? undefined : key?.keyType,
      Status: status,
      FailureDescription: failed ? encryption.failure : undefined,
    };
  }

  /** A stream as the control API reports it. */
  private snapshotOf(stream: StreamRecord, now: number): DeliveryStreamSnapshot {
    const change = stream.encryption.change;
    return {
      description: this.describe(stream),
      appliedKey: copyKey(stream.encryption.applied),
      pendingChange: change
        ? { kind: change.kind === 'enable' ? 'ENABLING' : 'DISABLING', completesAt: change.completesAt, willFail: change.failure !== undefined }
        : null,
      encryptionCalls: this.table.budgetOf(stream, now),
      delays: this.table.delaysFor(stream.name),
      tags: stream.tags.toRecord(),
    };
  }
}

/** `InvalidArgumentException` when a request names a tag key twice. */
function checkUniqueKeys(keys: readonly string[]): void {
  const duplicate = keys.find((key, i) => keys.indexOf(key) !== i);
  if (duplicate !== undefined) throw FirehoseErrors.invalidArgument(`Tag key ${duplicate} is given more than once.`);
}