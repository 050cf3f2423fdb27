/**
 * The Kinesis backend of the local cloud: its data streams and the logic of the Kinesis operations
 * and of its control API. The streams live in a {@link StreamTable}; what a stream is, how its
 * status changes settle and how it is described are Kinesis's own.
 *
 * @module
 */

import type { StreamMode, StreamStatus } from '@aws-sdk/client-kinesis';
import { formatArn, parseArn, partitionOf } from '../../arn';
import { LocalClock } from '../../clock';
import { ControlError, ServiceError } from '../../errors';
import { epochSeconds, isJsonObject, JsonObject } from '../../json';
import { RequestContext } from '../../router';
import { keyProblem, KeyProblemWording } from '../key-usability';
import type { KeyLookup } from '../kms';
import { readError, RecordIds, RecordKey, recordsOf, StoredRecord, unreadable, UnreadableRecord } from '../records';
import { StaleReads } from '../stale-reads';
import { checkMember, EncryptionCallLimit, StreamBackend } from '../stream-table';
import { TagSet } from '../tags';
import { KinesisErrors } from './errors';
import {
  AddTagsToStreamInput,
  DataStreamDelays,
  DataStreamEncryption,
  DataStreamSnapshot,
  DataStreamSpec,
  DEFAULT_DATA_STREAM_DELAYS,
  DEFAULT_KEY_APPLICATION_LIMIT,
  DEFAULT_TAG_PAGE,
  KINESIS_MANAGED_KEY,
  KinesisSnapshot,
  ListTagsForStreamInput,
  ON_DEMAND_SHARDS,
  RemoveTagsFromStreamInput,
  STREAM_MODES,
  STREAM_STATUSES,
  StreamDescriptionSummaryJson,
  StreamEncryptionInput,
  STREAM_NAME_RE,
  StreamReference,
  TAG_CHARACTERS,
  KINESIS_STREAMS,
  GetRecordsInput,
  GetShardIteratorInput,
  PutRecordInput,
} from './shapes';

/** What Kinesis needs from KMS. */
export interface KinesisKeyDirectory {
  /** Looks a key up by key id, key ARN, alias name or alias ARN. */
  find(reference: string): KeyLookup;
}

/** How a {@link KinesisBackend} is built. */
export interface KinesisBackendOptions {
  readonly clock: LocalClock;
  readonly accountId: string;
  readonly region: string;
  /** Where keys are checked. */
  readonly keys: KinesisKeyDirectory;
  /** Initial default delays (missing members from {@link DEFAULT_DATA_STREAM_DELAYS}). */
  readonly delays?: Partial<DataStreamDelays>;
  /** @defaultValue {@link DEFAULT_KEY_APPLICATION_LIMIT} */
  readonly keyApplicationLimit?: EncryptionCallLimit;
}

/** A change of status in progress. */
interface StatusChange {
  readonly status: 'CREATING' | 'UPDATING' | 'DELETING';
  readonly completesAt: number;
  /** For `UPDATING`: the encryption being applied. */
  readonly target?: DataStreamEncryption;
  /** For `UPDATING`: ends `ACTIVE` with the encryption unchanged. */
  readonly fails?: boolean;
}

/** A stream held by the backend. */
interface StreamRecord {
  readonly name: string;
  readonly arn: string;
  readonly createdAt: number;
  readonly mode: StreamMode;
  readonly shardCount: number;
  /** The encryption protecting records now. */
  encryption: DataStreamEncryption;
  change?: StatusChange;
  /** Times of the accepted Starts (key applications) of the rolling window. */
  calls: number[];
  readonly tags: TagSet;
  /** The records written (one shard), oldest first. */
  records?: StoredRecord[];
  /** When the stream's status or encryption last changed. */
  changedAt?: number;
}

/** The one shard of the local cloud's data streams (records are not spread over shards). */
const SHARD_ID = 'shardId-000000000000';

/** Where a shard iterator points: a stream and an index into its records. */
interface IteratorPosition {
  readonly stream: string;
  readonly at: number;
}

/** `InvalidArgumentException` for a tag key or value with characters Kinesis does not document. */
function checkTagCharacters(tags: Readonly<Record<string, string>>): void {
  for (const [key, value] of Object.entries(tags)) {
    if (!TAG_CHARACTERS.test(key)) throw KinesisErrors.tagCharacters('key', key);
    if (!TAG_CHARACTERS.test(value)) throw KinesisErrors.tagCharacters('value', value);
  }
}

/** The KMS errors Kinesis answers for a key it cannot use. */
const KINESIS_KEY_PROBLEMS: KeyProblemWording<ServiceError> = {
  notFound: (keyId, lookup) => new ServiceError('KMSNotFoundException', `Kinesis could not find KMS key ${keyId}: ${lookup.message} (KMS ${lookup.errorName}).`),
  disabled: (arn) => new ServiceError('KMSDisabledException', `KMS key ${arn} is disabled (KMS DisabledException).`),
  pendingDeletion: (arn) => new ServiceError('KMSInvalidStateException', `KMS key ${arn} is pending deletion (KMS KMSInvalidStateException).`),
  otherState: (arn, state) => new ServiceError('KMSInvalidStateException', `KMS key ${arn} is in state ${state} (KMS KMSInvalidStateException).`),
  notSymmetric: (arn, keySpec, keyUsage) => KinesisErrors.invalidArgument(
    `KMS key ${arn} has KeySpec ${keySpec} and KeyUsage ${keyUsage}; Kinesis encrypts only with symmetric encryption keys (KMS InvalidKeyUsageException).`,
  ),
};

/** The encryption of a `{ keyId }` spec (`null` or absent: none). */
function encryptionOf(spec: { readonly keyId: string } | null | undefined, method: string): DataStreamEncryption {
  if (spec === null || spec === undefined) return { EncryptionType: 'NONE' };
  if (!isJsonObject(spec) || typeof spec.keyId !== 'string' || spec.keyId === '') {
    throw new ControlError(`${method}: an encryption is { keyId } with a key ARN, key id, alias name or alias ARN, or null for none`);
  }
  return { EncryptionType: 'KMS', KeyId: spec.keyId };
}

/** The Kinesis data streams of the local cloud, and the logic of the Kinesis operations. */
export class KinesisBackend extends StreamBackend<StreamRecord, DataStreamDelays> {
  private readonly forcedFailures = new Set<string>();

  /**
   * @param options - clock, account, region, key directory and initial settings
   */
  private readonly sequence = new RecordIds('4959', 52);
  private readonly staleReads = new StaleReads<StreamDescriptionSummaryJson>();

  /** Where stream keys are looked up. */
  public get keys(): KinesisKeyDirectory {
    return this.options.keys;
  }

  constructor(private readonly options: KinesisBackendOptions) {
    super(KINESIS_STREAMS, { ...options, callLimit: options.keyApplicationLimit ?? DEFAULT_KEY_APPLICATION_LIMIT });
  }

  // ---- operations -------------------------------------------------------------------------

  /** `DescribeStreamSummary`. */
  public describeStreamSummary(input: StreamReference, context: RequestContext): JsonObject {
    this.table.settleAll(context.now);
    const stream = this.locate(input, context);
    return { StreamDescriptionSummary: this.staleRead(stream, this.summarize(stream), context.now) };
  }

  /** `StartStreamEncryption`: checks the key, spends a key application, `UPDATING`. */
  public startStreamEncryption(input: StreamEncryptionInput, context: RequestContext): JsonObject {
    const stream = this.requireEncryptionChange(input, context, 'StartStreamEncryption');
    this.checkKey(input.KeyId, context);
    this.table.spendCall(stream, context.now, () => KinesisErrors.keyApplications(stream.name, context.accountId, this.table.limit));
    this.beginUpdate(stream, { EncryptionType: 'KMS', KeyId: input.KeyId }, context.now);
    return {};
  }

  /** `StopStreamEncryption`: must name the key the stream has; `UPDATING`. */
  public stopStreamEncryption(input: StreamEncryptionInput, context: RequestContext): JsonObject {
    const stream = this.requireEncryptionChange(input, context, 'StopStreamEncryption');
    const applied = stream.encryption;
    if (applied.EncryptionType !== 'KMS' || applied.KeyId === undefined) {
      throw KinesisErrors.invalidArgument(`Stream ${stream.name} under account ${context.accountId} is not encrypted.`);
    }
    if (!this.sameKey(input.KeyId, applied.KeyId)) {
      throw KinesisErrors.invalidArgument(`KeyId ${input.KeyId} is not the key that encrypts stream ${stream.name} (${applied.KeyId}).`);
    }
    this.beginUpdate(stream, { EncryptionType: 'NONE' }, context.now);
    return {};
  }

  /** `AddTagsToStream`: sets the tags; at most 50 per stream; the stream must be `ACTIVE`. */
  public addTagsToStream(input: AddTagsToStreamInput, context: RequestContext): JsonObject {
    this.table.settleAll(context.now);
    const stream = this.requireActive(input, context);
    checkTagCharacters(input.Tags);
    stream.tags.setWithinLimit(Object.entries(input.Tags), () => KinesisErrors.tooManyTags(stream.name, context.accountId));
    return {};
  }

  /** `RemoveTagsFromStream`: removes the tags; keys the stream does not have are ignored; the stream must be `ACTIVE`. */
  public removeTagsFromStream(input: RemoveTagsFromStreamInput, context: RequestContext): JsonObject {
    this.table.settleAll(context.now);
    this.requireActive(input, context).tags.remove(input.TagKeys);
    return {};
  }

  /** `ListTagsForStream`: a page of tags in key order, after `ExclusiveStartTagKey`. */
  public listTagsForStream(input: ListTagsForStreamInput, context: RequestContext): JsonObject {
    this.table.settleAll(context.now);
    return { ...this.locate(input, context).tags.page(input.ExclusiveStartTagKey, input.Limit ?? DEFAULT_TAG_PAGE) };
  }

  // ---- control ------------------------------------------------------------------------------


  /**
   * Creates a stream directly in any state; see {@link DataStreamSpec}.
   *
   * @throws ControlError when the spec is invalid or the stream exists
   */
  public createDataStream(spec: DataStreamSpec): DataStreamSnapshot {
    const { name, now } = this.table.beginCreate(spec, 'createDataStream');
    const status = checkMember(STREAM_STATUSES, spec.status, 'ACTIVE', 'createDataStream', 'status');
    const mode = checkMember(STREAM_MODES, spec.streamMode, 'ON_DEMAND', 'createDataStream', 'streamMode');
    const shardCount = spec.shardCount ?? ON_DEMAND_SHARDS;
    if (!Number.isInteger(shardCount) || shardCount < 1 || shardCount > 1000) throw new ControlError('createDataStream: shardCount must be an integer from 1 to 1000');
    const calls = this.table.callsFromSpec(spec.keyApplicationsInWindow, now, 'createDataStream', 'keyApplicationsInWindow');
    const encryption = encryptionOf(spec.encryption, 'createDataStream');
    const delays = this.table.delaysFor(name);
    let change: StatusChange | undefined;
    switch (status) {
      case 'CREATING':
        change = { status, completesAt: now + delays.creatingMs };
        break;
      case 'UPDATING':
        change = {
          status,
          completesAt: now + delays.updatingMs,
          target: spec.updatingTo === undefined ? { ...encryption } : encryptionOf(spec.updatingTo, 'createDataStream'),
        };
        break;
      case 'DELETING':
        change = { status, completesAt: now + delays.deletingMs };
        break;
    }
    const stream: StreamRecord = {
      name,
      arn: this.arnOf(name),
      createdAt: now,
      mode,
      shardCount,
      encryption,
      change,
      calls,
      tags: this.table.tagsFromSpec(spec.tags, 'createDataStream'),
    };
    this.table.add(stream);
    return this.snapshotOf(stream, now);
  }

  /**
   * Removes a stream at once, whatever its state.
   *
   * @returns whether there was such a stream
   */
  public deleteDataStream(name: string): boolean {
    return this.table.removeNow(name, 'deleteDataStream');
  }

  /** A stream's snapshot, or `undefined` when there is no such stream. */
  public dataStream(name: string): DataStreamSnapshot | undefined {
    return this.table.view(name, (stream, now) => this.snapshotOf(stream, now));
  }

  /**
   * Makes the next accepted Start or Stop on a stream (which need not exist yet) not take: the
   * stream goes `UPDATING`, then back to `ACTIVE` with its encryption unchanged.
   */
  public failNextStreamEncryption(name: string): void {
    this.forcedFailures.add(this.table.checkName(name, 'failNextStreamEncryption'));
  }

  /** Drops every forced failure. */
  public clearForcedFailures(): void {
    this.forcedFailures.clear();
  }

  /** Everything the backend holds, settled to now. */
  public snapshot(): KinesisSnapshot {
    const { delays, streamDelays, callLimit, streams } = this.table.snapshot((stream, now) => this.snapshotOf(stream, now));
    return { delays, streamDelays, keyApplicationLimit: callLimit, streams, forcedFailures: [...this.forcedFailures].sort() };
  }

  /** Drops every stream, override and forced failure; delays back to the initial ones. */
  public reset(): void {
    this.table.reset();
    this.forcedFailures.clear();
    this.sequence.reset();
    this.staleReads.forget();
  }

  // ---- data plane ---------------------------------------------------------------------------

  /** `PutRecord`: one record, encrypted under the key in force (KMS errors when it cannot be used). */
  public putRecord(input: PutRecordInput, context: RequestContext): JsonObject {
    const stream = this.writable(input, context);
    const record = this.write(stream, input.Data, input.PartitionKey, context);
    return { ShardId: SHARD_ID, SequenceNumber: record.id, EncryptionType: record.key.kind === 'none' ? 'NONE' : 'KMS' };
  }

  /** `GetShardIterator` of the one shard. */
  public getShardIterator(input: GetShardIteratorInput, context: RequestContext): JsonObject {
    this.table.settleAll(context.now);
    const stream = this.locate(input, context);
    if (input.ShardId !== SHARD_ID) throw KinesisErrors.invalidArgument(`Shard ${input.ShardId} in stream ${stream.name} under account ${context.accountId} does not exist`);
    // the iterators a reader from the start or the tip needs; the others are not modelled (an error, never a wrong position)
    if (input.ShardIteratorType !== 'TRIM_HORIZON' && input.ShardIteratorType !== 'LATEST') {
      throw KinesisErrors.invalidArgument(`The local cloud models ShardIteratorType TRIM_HORIZON and LATEST, not ${input.ShardIteratorType}.`);
    }
    const at = input.ShardIteratorType === 'TRIM_HORIZON' ? 0 : (stream.records ?? []).length;
    return { ShardIterator: Buffer.from(JSON.stringify({ stream: stream.name, at } satisfies IteratorPosition)).toString('base64') };
  }

  /**
   * `GetRecords`: up to `Limit` records from the iterator. A record whose key is disabled, pending
   * deletion or gone fails the whole call with the KMS error Kinesis answers.
   */
  public getRecords(input: GetRecordsInput, context: RequestContext): JsonObject {
    this.table.settleAll(context.now);
    let position: IteratorPosition;
    try {
      position = JSON.parse(Buffer.from(input.ShardIterator, 'base64').toString('utf8')) as IteratorPosition;
    } catch {
      throw KinesisErrors.invalidArgument(`Invalid ShardIterator: ${input.ShardIterator}`);
    }
    const stream = this.table.get(String(position.stream));
    if (!stream) throw KinesisErrors.notFound(String(position.stream), context.accountId);
    const records = (stream.records ?? []).slice(position.at, position.at + (input.Limit ?? 10000));
    for (const record of records) {
      const error = readError(record, this.options.keys);
      if (error) throw error;
    }
    const next: IteratorPosition = { stream: stream.name, at: position.at + records.length };
    return {
      Records: records.map((r) => ({
        SequenceNumber: r.id,
        ApproximateArrivalTimestamp: epochSeconds(r.writtenAt),
        Data: r.data,
        PartitionKey: r.partitionKey ?? '',
        EncryptionType: r.key.kind === 'none' ? 'NONE' : 'KMS',
      })),
      NextShardIterator: Buffer.from(JSON.stringify(next)).toString('base64'),
      MillisBehindLatest: 0,
    };
  }

  /** The records of a data stream that cannot be read now (their key disabled, pending deletion or gone). */
  public unreadableRecords(name: string): UnreadableRecord[] {
    return unreadable(recordsOf(this.table, name, this.options.clock.now(), 'unreadableDataRecords', 'data stream'), this.options.keys);
  }

  /** The stream of a write: it must exist and be `ACTIVE` or `UPDATING`. */
  private writable(input: StreamReference, context: RequestContext): StreamRecord {
    this.table.settleAll(context.now);
    const stream = this.locate(input, context);
    const status = this.statusOf(stream);
    if (status !== 'ACTIVE' && status !== 'UPDATING') throw KinesisErrors.notActive(stream.name, context.accountId, status);
    return stream;
  }

  /** The key a write is encrypted under now; throws the KMS error when the stream's key cannot be used. */
  private keyOfWrites(stream: StreamRecord, context: RequestContext): RecordKey {
    const { EncryptionType: type, KeyId: keyId } = stream.encryption;
    if (type !== 'KMS' || keyId === undefined) return { kind: 'none' };
    if (this.isKinesisManaged(keyId, context)) return { kind: 'aws' };
    const lookup = this.options.keys.find(keyId);
    const problem = keyProblem(keyId, lookup, KINESIS_KEY_PROBLEMS);
    if (problem) throw problem;
    return lookup.found ? { kind: 'kms', keyArn: lookup.metadata.Arn } : { kind: 'none' };
  }

  /** Appends one record. */
  private write(stream: StreamRecord, data: string, partitionKey: string, context: RequestContext): StoredRecord {
    const record: StoredRecord = { id: this.sequence.take(), data, partitionKey, writtenAt: context.now, key: this.keyOfWrites(stream, context) };
    (stream.records ??= []).push(record);
    return record;
  }

  // ---- internals ----------------------------------------------------------------------------

  /** The ARN of a data stream. */
  private arnOf(name: string): string {
    const { region, accountId } = this.options;
    return formatArn({ partition: partitionOf(region), service: 'kinesis', region, account: accountId, resource: `stream/${name}` });
  }

  /**
   * The stream named by `StreamName`, `StreamARN` or both.
   *
   * @throws ServiceError InvalidArgumentException when neither is given or they disagree;
   *   ResourceNotFoundException when there is no such stream in this account and region
   */
  private locate(input: StreamReference, context: RequestContext): StreamRecord {
    let name = input.StreamName;
    if (input.StreamARN !== undefined) {
      const arn = parseArn(input.StreamARN);
      const arnName = arn?.resource.startsWith('stream/') ? arn.resource.slice('stream/'.length) : undefined;
      if (!arn || arn.service !== 'kinesis' || arnName === undefined || !STREAM_NAME_RE.test(arnName)) {
        throw KinesisErrors.invalidArgument(`StreamARN ${input.StreamARN} is not the ARN of a data stream.`);
      }
      if (name !== undefined && name !== arnName) {
        throw KinesisErrors.invalidArgument(`StreamARN ${input.StreamARN} and StreamName ${name} do not name the same stream.`);
      }
      if (arn.account !== context.accountId || arn.region !== context.region) throw KinesisErrors.notFound(arnName, arn.account);
      name = arnName;
    }
    if (name === undefined) throw KinesisErrors.invalidArgument('Either StreamName or StreamARN must be specified.');
    const stream = this.table.get(name);
    if (!stream) throw KinesisErrors.notFound(name, context.accountId);
    return stream;
  }

  /** The stream of a Start or Stop, which must be `ACTIVE`. */
  private requireActive(input: StreamReference, context: RequestContext): StreamRecord {
    const stream = this.locate(input, context);
    const status = this.statusOf(stream);
    if (status !== 'ACTIVE') throw KinesisErrors.notActive(stream.name, context.accountId, status);
    return stream;
  }

  /** The checks Start and Stop share: `EncryptionType` `KMS`, then (every stream settled) an `ACTIVE` stream. */
  private requireEncryptionChange(input: StreamEncryptionInput, context: RequestContext, operation: string): StreamRecord {
    if (input.EncryptionType !== 'KMS') {
      throw KinesisErrors.invalidArgument(`EncryptionType ${input.EncryptionType} is not valid for ${operation}; the only valid value is KMS.`);
    }
    this.table.settleAll(context.now);
    return this.requireActive(input, context);
  }

  /**
   * Whether Kinesis could use a key for a stream, answering the KMS error it would answer when not.
   * The Kinesis managed key (by alias name, or alias ARN in this account and region) always works.
   */
  private checkKey(keyId: string, context: RequestContext): void {
    if (this.isKinesisManaged(keyId, context)) return;
    const problem = keyProblem(keyId, this.options.keys.find(keyId), KINESIS_KEY_PROBLEMS);
    if (problem) throw problem;
  }

  /** Whether a key reference is the Kinesis managed key of this account and region. */
  private isKinesisManaged(keyId: string, context: { readonly accountId: string; readonly region: string }): boolean {
    if (keyId === KINESIS_MANAGED_KEY) return true;
    const arn = parseArn(keyId);
    return arn !== undefined && arn.service === 'kms' && arn.resource === KINESIS_MANAGED_KEY && arn.account === context.accountId && arn.region === context.region;
  }

  /** Whether two key references name the same key: equal, or resolving to the same key. */
  private sameKey(a: string, b: string): boolean {
    if (a === b) return true;
    const context = { accountId: this.options.accountId, region: this.options.region };
    if (this.isKinesisManaged(a, context) || this.isKinesisManaged(b, context)) {
      return this.isKinesisManaged(a, context) && this.isKinesisManaged(b, context);
    }
    const ka = this.options.keys.find(a);
    const kb = this.options.keys.find(b);
    return ka.found && kb.found && ka.metadata.Arn === kb.metadata.Arn;
  }

  /** Starts an update towards `target`, failing it when forced. */
  private beginUpdate(stream: StreamRecord, target: DataStreamEncryption, now: number): void {
    this.staleReads.observe(stream.name, this.summarize(stream), stream.changedAt ?? stream.createdAt);
    stream.changedAt = now;
    const fails = this.forcedFailures.delete(stream.name);
    stream.change = { status: 'UPDATING', completesAt: now + this.table.delaysFor(stream.name).updatingMs, target, fails };
    this.settle(stream, now);
  }

  /** The summary a Describe answers: the current one, or the one before a recent change (`staleReadMs`). */
  private staleRead(stream: StreamRecord, current: StreamDescriptionSummaryJson, now: number): StreamDescriptionSummaryJson {
    return this.staleReads.read(stream.name, current, stream.changedAt ?? stream.createdAt, now, this.table.delaysFor(stream.name).staleReadMs);
  }

  /** The status a stream shows. */
  private statusOf(stream: StreamRecord): StreamStatus {
    return stream.change?.status ?? 'ACTIVE';
  }

  /** Completes a stream's status change whose end time has passed. */
  protected settle(stream: StreamRecord, now: number): void {
    const change = stream.change;
    if (!change || now < change.completesAt) return;
    stream.change = undefined;
    stream.changedAt = change.completesAt;
    if (change.status === 'DELETING') {
      this.table.remove(stream.name);
    } else if (change.status === 'UPDATING' && change.target && !change.fails) {
      stream.encryption = { ...change.target };
    }
  }

  /** The wire summary of a settled stream: during an update, the encryption being applied. */
  private summarize(stream: StreamRecord): StreamDescriptionSummaryJson {
    const shown = stream.change?.target ?? stream.encryption;
    return {
      StreamName: stream.name,
      StreamARN: stream.arn,
      StreamStatus: this.statusOf(stream),
      StreamModeDetails: { StreamMode: stream.mode },
      RetentionPeriodHours: 24,
      StreamCreationTimestamp: epochSeconds(stream.createdAt),
      EnhancedMonitoring: [{ ShardLevelMetrics: [] }],
      EncryptionType: shown.EncryptionType,
      KeyId: shown.EncryptionType === 'KMS' ? shown.KeyId : undefined,
      OpenShardCount: stream.shardCount,
      ConsumerCount: 0,
    };
  }

  /** A stream as the control API reports it. */
  private snapshotOf(stream: StreamRecord, now: number): DataStreamSnapshot {
    const change = stream.change;
    return {
      summary: this.summarize(stream),
      appliedEncryption: { ...stream.encryption },
      pendingChange: change ? { status: change.status, completesAt: change.completesAt, willFail: change.fails === true } : null,
      keyApplications: this.table.budgetOf(stream, now),
      delays: this.table.delaysFor(stream.name),
      tags: stream.tags.toRecord(),
    };
  }
}