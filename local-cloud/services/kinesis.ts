/**
 * Amazon Kinesis Data Streams (`Kinesis_20131202`): data streams and their server-side encryption.
 *
 * Operations: `CreateStream`, `DescribeStreamSummary`, `DescribeStream`, `DeleteStream`,
 * `StartStreamEncryption`, `StopStreamEncryption`, `AddTagsToStream`, `RemoveTagsFromStream` and
 * `ListTagsForStream`, with the behaviour the Kinesis API reference describes:
 *
 * - a new stream is `CREATING`, then `ACTIVE`; a deleted one is `DELETING`, then gone;
 * - Start and Stop make the stream `UPDATING` at once, showing the new `EncryptionType` and
 *   `KeyId`, and `ACTIVE` with them after the update delay; nothing can change while the stream is
 *   not `ACTIVE` (`ResourceInUseException`);
 * - Start checks the key when it is called, answering the KMS error Kinesis answers:
 *   `KMSNotFoundException` (no such key or alias), `KMSDisabledException`,
 *   `KMSInvalidStateException` (pending deletion, or any other state but Enabled), and
 *   `InvalidArgumentException` for a key that is not a symmetric encryption key; the Kinesis
 *   managed key `alias/aws/kinesis` always works;
 * - a stream accepts 25 key applications (accepted Starts) in a rolling 24 hours, then
 *   `LimitExceededException`;
 * - rate limits answer `LimitExceededException` (`Rate exceeded for stream …`), as Kinesis does;
 * - a stream has at most 50 tags; adding a key again overwrites its value; removing a key the
 *   stream does not have is ignored; tags are listed in key order, by pages after
 *   `ExclusiveStartTagKey`.
 *
 * Streams are named by `StreamName`, `StreamARN` or both (which must agree). No timers run: every
 * request first settles each stream against the clock. Invalid input is a `ValidationException`.
 *
 * Where the API reference leaves the behaviour open, the local cloud is strict, so that a client
 * that passes here does what Kinesis documents: Stop must name the key the stream has
 * (`InvalidArgumentException` otherwise, and for a stream that is not encrypted); tag keys and
 * values may hold only the characters Kinesis documents (letters, digits, white space and
 * `_ . / = + - % @`), more than 50 tags is an `InvalidArgumentException`, tags change only while
 * the stream is `ACTIVE` (`ResourceInUseException`), and `ListTagsForStream` answers 10 tags when
 * no `Limit` is given.
 *
 * @module
 */

import type { EncryptionType, StreamMode, StreamStatus } from '@aws-sdk/client-kinesis';
import { formatArn, parseArn, partitionOf } from '../arn';
import { LocalClock } from '../clock';
import { ControlError, ServiceError } from '../errors';
import { epochSeconds, isJsonObject, JsonObject } from '../json';
import { defineOperation, RequestContext, ServiceModule } from '../router';
import { shapes as s } from '../validation';
import type { EncryptionCallLimit } from './firehose';
import type { KeyLookup } from './kms';
import { MAX_TAGS_PER_STREAM, TagSet } from './tags';

/** One hour in milliseconds. */
const HOUR_MS = 60 * 60 * 1000;

/** The Kinesis managed key, which every account and region has. */
export const KINESIS_MANAGED_KEY = 'alias/aws/kinesis';

/** How long each asynchronous Kinesis transition takes in the local cloud, in milliseconds. */
export interface DataStreamDelays extends JsonObject {
  /** `CREATING` → `ACTIVE`. */
  creatingMs: number;
  /** `UPDATING` (a Start or Stop) → `ACTIVE`. */
  updatingMs: number;
  /** `DELETING` → gone. */
  deletingMs: number;
}

/** The delays a new local cloud starts with. */
export const DEFAULT_DATA_STREAM_DELAYS: Readonly<DataStreamDelays> = Object.freeze({ creatingMs: 1000, updatingMs: 1000, deletingMs: 500 });

/** 25 key applications per stream per rolling 24 hours, as the Kinesis API reference documents it. */
export const DEFAULT_KEY_APPLICATION_LIMIT: EncryptionCallLimit = Object.freeze({ calls: 25, windowMs: 24 * HOUR_MS });

/** A stream's encryption: `NONE`, or `KMS` with a key as Start was given it. */
export interface DataStreamEncryption extends JsonObject {
  EncryptionType: EncryptionType;
  KeyId?: string;
}

/** `StreamDescriptionSummary` exactly as Kinesis writes it on the wire (timestamps in epoch seconds). */
export interface StreamDescriptionSummaryJson extends JsonObject {
  StreamName: string;
  StreamARN: string;
  StreamStatus: StreamStatus;
  StreamModeDetails: { StreamMode: StreamMode };
  RetentionPeriodHours: number;
  StreamCreationTimestamp: number;
  EnhancedMonitoring: Array<{ ShardLevelMetrics: string[] }>;
  EncryptionType: EncryptionType;
  KeyId?: string;
  OpenShardCount: number;
  ConsumerCount: number;
}

/** A stream as the control API reports it: the wire summary plus what the wire does not show. */
export interface DataStreamSnapshot extends JsonObject {
  /** What `DescribeStreamSummary` answers now. */
  summary: StreamDescriptionSummaryJson;
  /** The encryption that protects records now; during an update, still the old one. */
  appliedEncryption: DataStreamEncryption;
  /** The status change in progress, if any. */
  pendingChange: { status: 'CREATING' | 'UPDATING' | 'DELETING'; completesAt: number; willFail: boolean } | null;
  /** Use of the key-application budget. */
  keyApplications: { inWindow: number; limit: number; windowMs: number };
  /** The delays that apply to this stream. */
  delays: DataStreamDelays;
  /** The stream's tags, by key. */
  tags: Record<string, string>;
}

/** A stream for the control API's `createDataStream`, in any state. */
export interface DataStreamSpec {
  /** The stream name (`[a-zA-Z0-9_.-]+`, 1–128). */
  readonly name: string;
  /**
   * The status to start in. `CREATING`, `UPDATING` and `DELETING` complete after the stream's
   * delays. @defaultValue `ACTIVE`
   */
  readonly status?: StreamStatus;
  /** The encryption applied (`null`: none). @defaultValue none */
  readonly encryption?: { readonly keyId: string } | null;
  /**
   * For `UPDATING`: the encryption being applied (`null`: being turned off).
   * @defaultValue the applied encryption, unchanged
   */
  readonly updatingTo?: { readonly keyId: string } | null;
  /** @defaultValue `ON_DEMAND` */
  readonly streamMode?: StreamMode;
  /** @defaultValue 4 */
  readonly shardCount?: number;
  /** Key applications already used in the current window (they expire one window from now). @defaultValue 0 */
  readonly keyApplicationsInWindow?: number;
  /** The stream's tags, by key (at most 50). @defaultValue none */
  readonly tags?: Readonly<Record<string, string>>;
}

/** What the Kinesis backend reports to the control API's `state()`. */
export interface KinesisSnapshot extends JsonObject {
  delays: DataStreamDelays;
  streamDelays: Record<string, Partial<DataStreamDelays>>;
  keyApplicationLimit: { calls: number; windowMs: number };
  streams: DataStreamSnapshot[];
  /** Streams whose next accepted Start or Stop will not take. */
  forcedFailures: string[];
}

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

// Enum value tables, complete over the SDK's enum types.
const STREAM_STATUSES: Readonly<Record<StreamStatus, true>> = { CREATING: true, ACTIVE: true, UPDATING: true, DELETING: true };
const STREAM_MODES: Readonly<Record<StreamMode, true>> = { ON_DEMAND: true, PROVISIONED: true };
const ENCRYPTION_TYPES: Readonly<Record<EncryptionType, true>> = { KMS: true, NONE: true };

/** The stream-name constraint as one expression, for control-API arguments. */
const STREAM_NAME_RE = /^[a-zA-Z0-9_.-]{1,128}$/;
/** Shards of an on-demand stream. */
const ON_DEMAND_SHARDS = 4;
/** The largest hash key, 2^128 - 1. */
const MAX_HASH_KEY = BigInt(2) ** BigInt(128) - BigInt(1);

/** Input shapes of the Kinesis operations, restating the constraints of the Kinesis service model. */
const Kinesis = (() => {
  const StreamName = s.string({ min: 1, max: 128, pattern: '[a-zA-Z0-9_.-]+' });
  const StreamARN = s.string({ min: 1, max: 2048, pattern: 'arn:aws.*:kinesis:.*:\\d{12}:stream/\\S+' });
  const StreamId = s.string({ min: 1, max: 24 });
  const KeyId = s.string({ min: 1, max: 2048 });
  const EncryptionTypeShape = s.enumOf(Object.keys(ENCRYPTION_TYPES));
  const TagKey = s.string({ min: 1, max: 128 });
  const TagMap = s.map(TagKey, s.string({ min: 0, max: 256 }), { min: 1, max: 200 });
  const stream = { StreamName, StreamARN, StreamId };
  return {
    CreateStreamInput: s.structure(
      {
        StreamName,
        ShardCount: s.integer({ min: 1 }),
        StreamModeDetails: s.structure({ StreamMode: s.enumOf(Object.keys(STREAM_MODES)) }, ['StreamMode']),
        Tags: TagMap,
        WarmThroughputMiBps: s.integer({ min: 0 }),
        MaxRecordSizeInKiB: s.integer({ min: 1024, max: 10240 }),
      },
      ['StreamName'],
    ),
    DescribeStreamSummaryInput: s.structure(stream),
    DescribeStreamInput: s.structure({
      ...stream,
      Limit: s.integer({ min: 1, max: 10000 }),
      ExclusiveStartShardId: s.string({ min: 1, max: 128, pattern: '[a-zA-Z0-9_.-]+' }),
    }),
    DeleteStreamInput: s.structure({ ...stream, EnforceConsumerDeletion: s.boolean() }),
    StreamEncryptionInput: s.structure({ ...stream, EncryptionType: EncryptionTypeShape, KeyId }, ['EncryptionType', 'KeyId']),
    AddTagsToStreamInput: s.structure({ ...stream, Tags: TagMap }, ['Tags']),
    RemoveTagsFromStreamInput: s.structure({ ...stream, TagKeys: s.list(TagKey, { min: 1, max: 50 }) }, ['TagKeys']),
    ListTagsForStreamInput: s.structure({ ...stream, ExclusiveStartTagKey: TagKey, Limit: s.integer({ min: 1, max: 50 }) }),
  };
})();

/** Tags per page of `ListTagsForStream` when `Limit` is not given (assumed; the API reference names none). */
const DEFAULT_TAG_PAGE = 10;

/** The characters Kinesis documents for tag keys and values. */
const TAG_CHARACTERS = /^[\p{L}\p{Z}\p{N}_./=+\-%@]*$/u;

/** How an operation names its stream. */
interface StreamReference {
  StreamName?: string;
  StreamARN?: string;
}
/** The members of `CreateStreamInput` the local cloud reads. */
interface CreateStreamInput extends JsonObject {
  StreamName: string;
  ShardCount?: number;
  StreamModeDetails?: { StreamMode: StreamMode };
  Tags?: Record<string, string>;
}
/** `AddTagsToStreamInput`. */
interface AddTagsToStreamInput extends StreamReference {
  Tags: Record<string, string>;
}
/** `RemoveTagsFromStreamInput`. */
interface RemoveTagsFromStreamInput extends StreamReference {
  TagKeys: string[];
}
/** `ListTagsForStreamInput`. */
interface ListTagsForStreamInput extends StreamReference {
  ExclusiveStartTagKey?: string;
  Limit?: number;
}
/** `DescribeStreamInput`. */
interface DescribeStreamInput extends StreamReference {
  Limit?: number;
  ExclusiveStartShardId?: string;
}
/** `StartStreamEncryptionInput` and `StopStreamEncryptionInput`. */
interface StreamEncryptionInput extends StreamReference {
  EncryptionType: EncryptionType;
  KeyId: string;
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
  /** Times of the accepted Starts still in the window. */
  keyApplications: number[];
  readonly tags: TagSet;
}

/** Kinesis errors, worded after Kinesis's own. */
const KinesisErrors = {
  notFound: (name: string, account: string) => new ServiceError('ResourceNotFoundException', `Stream ${name} under account ${account} not found.`),
  alreadyExists: (name: string, account: string) => new ServiceError('ResourceInUseException', `Stream ${name} under account ${account} already exists.`),
  notActive: (name: string, account: string, status: StreamStatus) =>
    new ServiceError('ResourceInUseException', `Stream ${name} under account ${account} not ACTIVE, instead in state ${status}`),
  rateExceeded: (operation: string, name: string | undefined, account: string) =>
    new ServiceError('LimitExceededException', name ? `Rate exceeded for stream ${name} under account ${account}.` : `Rate exceeded for ${operation} under account ${account}.`),
  keyApplications: (name: string, account: string, limit: EncryptionCallLimit) =>
    new ServiceError(
      'LimitExceededException',
      `Stream ${name} under account ${account} has reached the limit of ${limit.calls} server-side encryption key applications in ${limit.windowMs / HOUR_MS} hours.`,
    ),
  invalidArgument: (message: string) => new ServiceError('InvalidArgumentException', message),
  tooManyTags: (name: string, account: string) =>
    new ServiceError('InvalidArgumentException', `Failed to add tags to stream ${name} under account ${account} because a given stream cannot have more than ${MAX_TAGS_PER_STREAM} tags.`),
  tagCharacters: (what: string, value: string) =>
    new ServiceError('InvalidArgumentException', `Tag ${what} ${value} may contain only Unicode letters, digits, white space and _ . / = + - % @.`),
};

/** Validates delays given to the control API. */
function checkDelays(delays: Partial<DataStreamDelays>, method: string): Partial<DataStreamDelays> {
  if (!isJsonObject(delays)) throw new ControlError(`${method}: expected an object of delays in milliseconds`);
  const out: Partial<DataStreamDelays> = {};
  for (const [name, value] of Object.entries(delays)) {
    if (!Object.prototype.hasOwnProperty.call(DEFAULT_DATA_STREAM_DELAYS, name)) {
      throw new ControlError(`${method}: unknown delay '${name}'; known: ${Object.keys(DEFAULT_DATA_STREAM_DELAYS).join(', ')}`);
    }
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new ControlError(`${method}: ${name} must be a finite number of milliseconds >= 0, got ${JSON.stringify(value)}`);
    }
    out[name as keyof DataStreamDelays] = value;
  }
  return out;
}

/** Validates tags given to the control API. */
function checkTags(tags: Readonly<Record<string, string>> | undefined, method: string): Record<string, string> {
  if (tags === undefined) return {};
  if (!isJsonObject(tags) || Object.values(tags).some((v) => typeof v !== 'string')) {
    throw new ControlError(`${method}: tags must be an object of string values`);
  }
  if (Object.keys(tags).length > MAX_TAGS_PER_STREAM) throw new ControlError(`${method}: a stream has at most ${MAX_TAGS_PER_STREAM} tags`);
  return { ...tags };
}

/** `InvalidArgumentException` for a tag key or value with characters Kinesis does not document. */
function checkTagCharacters(tags: Readonly<Record<string, string>>): void {
  for (const [key, value] of Object.entries(tags)) {
    if (!TAG_CHARACTERS.test(key)) throw KinesisErrors.tagCharacters('key', key);
    if (!TAG_CHARACTERS.test(value)) throw KinesisErrors.tagCharacters('value', value);
  }
}

/** Validates a stream name given to the control API. */
function checkStreamName(name: string, method: string): string {
  if (typeof name !== 'string' || !STREAM_NAME_RE.test(name)) {
    throw new ControlError(`${method}: '${name}' is not a data stream name ([a-zA-Z0-9_.-]+, 1 to 128 characters)`);
  }
  return name;
}

/** The encryption of a `{ keyId }` spec (`null` or absent: none). */
function encryptionOf(spec: { readonly keyId: string } | null | undefined, method: string): DataStreamEncryption {
  if (spec === null || spec === undefined) return { EncryptionType: 'NONE' };
  if (!isJsonObject(spec) || typeof spec.keyId !== 'string' || spec.keyId === '') {
    throw new ControlError(`${method}: an encryption is { keyId } with a key ARN, key id, alias name or alias ARN, or null for none`);
  }
  return { EncryptionType: 'KMS', KeyId: spec.keyId };
}

/** The name of the stream an operation's body names, by `StreamName` or the name in `StreamARN`. */
export function streamNameOf(body: JsonObject): string | undefined {
  if (typeof body.StreamName === 'string') return body.StreamName;
  const arn = typeof body.StreamARN === 'string' ? parseArn(body.StreamARN) : undefined;
  return arn?.resource.startsWith('stream/') ? arn.resource.slice('stream/'.length) : undefined;
}

/** The Kinesis data streams of the local cloud, and the logic of the Kinesis operations. */
export class KinesisBackend {
  private readonly streams = new Map<string, StreamRecord>();
  private readonly streamDelays = new Map<string, Partial<DataStreamDelays>>();
  private readonly forcedFailures = new Set<string>();
  private readonly initialDelays: DataStreamDelays;
  private readonly limit: EncryptionCallLimit;
  private delays: DataStreamDelays;

  /**
   * @param options - clock, account, region, key directory and initial settings
   */
  constructor(private readonly options: KinesisBackendOptions) {
    this.initialDelays = { ...DEFAULT_DATA_STREAM_DELAYS, ...checkDelays(options.delays ?? {}, 'kinesisDelays') };
    this.delays = { ...this.initialDelays };
    this.limit = options.keyApplicationLimit ?? DEFAULT_KEY_APPLICATION_LIMIT;
    if (!Number.isInteger(this.limit.calls) || this.limit.calls < 1 || !(this.limit.windowMs > 0)) {
      throw new RangeError('keyApplicationLimit: calls must be an integer >= 1 and windowMs > 0');
    }
  }

  // ---- operations -------------------------------------------------------------------------

  /** `CreateStream`: `CREATING`, then `ACTIVE`. */
  public createStream(input: CreateStreamInput, context: RequestContext): JsonObject {
    this.settleAll(context.now);
    const name = input.StreamName;
    if (this.streams.has(name)) throw KinesisErrors.alreadyExists(name, context.accountId);
    const mode = input.StreamModeDetails?.StreamMode ?? (input.ShardCount !== undefined ? 'PROVISIONED' : 'ON_DEMAND');
    if (mode === 'PROVISIONED' && input.ShardCount === undefined) {
      throw KinesisErrors.invalidArgument('ShardCount is required for a stream with StreamMode PROVISIONED.');
    }
    if (mode === 'ON_DEMAND' && input.ShardCount !== undefined) {
      throw KinesisErrors.invalidArgument('ShardCount is not supported for a stream with StreamMode ON_DEMAND.');
    }
    const tags = input.Tags ?? {};
    checkTagCharacters(tags);
    if (Object.keys(tags).length > MAX_TAGS_PER_STREAM) throw KinesisErrors.tooManyTags(name, context.accountId);
    this.streams.set(name, {
      name,
      arn: this.arnOf(name),
      createdAt: context.now,
      mode,
      shardCount: input.ShardCount ?? ON_DEMAND_SHARDS,
      encryption: { EncryptionType: 'NONE' },
      change: { status: 'CREATING', completesAt: context.now + this.delaysFor(name).creatingMs },
      keyApplications: [],
      tags: new TagSet(tags),
    });
    this.settleAll(context.now);
    return {};
  }

  /** `DescribeStreamSummary`. */
  public describeStreamSummary(input: StreamReference, context: RequestContext): JsonObject {
    this.settleAll(context.now);
    return { StreamDescriptionSummary: this.summarize(this.locate(input, context)) };
  }

  /** `DescribeStream`, shards paged by `Limit` (default 100) after `ExclusiveStartShardId`. */
  public describeStream(input: DescribeStreamInput, context: RequestContext): JsonObject {
    this.settleAll(context.now);
    const stream = this.locate(input, context);
    const summary = this.summarize(stream);
    const all = this.shardsOf(stream);
    const start = input.ExclusiveStartShardId;
    const after = start === undefined ? all : all.filter((shard) => String(shard.ShardId) > start);
    const limit = input.Limit ?? 100;
    return {
      StreamDescription: {
        StreamName: summary.StreamName,
        StreamARN: summary.StreamARN,
        StreamStatus: summary.StreamStatus,
        StreamModeDetails: summary.StreamModeDetails,
        Shards: after.slice(0, limit),
        HasMoreShards: after.length > limit,
        RetentionPeriodHours: summary.RetentionPeriodHours,
        StreamCreationTimestamp: summary.StreamCreationTimestamp,
        EnhancedMonitoring: summary.EnhancedMonitoring,
        EncryptionType: summary.EncryptionType,
        KeyId: summary.KeyId,
      },
    };
  }

  /** `DeleteStream`: `DELETING`, then gone. Refused while `CREATING`. */
  public deleteStream(input: StreamReference, context: RequestContext): JsonObject {
    this.settleAll(context.now);
    const stream = this.locate(input, context);
    const status = this.statusOf(stream);
    if (status === 'CREATING') throw KinesisErrors.notActive(stream.name, context.accountId, status);
    if (status !== 'DELETING') {
      stream.change = { status: 'DELETING', completesAt: context.now + this.delaysFor(stream.name).deletingMs };
      this.settle(stream, context.now);
    }
    return {};
  }

  /** `StartStreamEncryption`: checks the key, spends a key application, `UPDATING`. */
  public startStreamEncryption(input: StreamEncryptionInput, context: RequestContext): JsonObject {
    if (input.EncryptionType !== 'KMS') {
      throw KinesisErrors.invalidArgument(`EncryptionType ${input.EncryptionType} is not valid for StartStreamEncryption; the only valid value is KMS.`);
    }
    this.settleAll(context.now);
    const stream = this.requireActive(input, context);
    this.checkKey(input.KeyId, context);
    stream.keyApplications = stream.keyApplications.filter((at) => at > context.now - this.limit.windowMs);
    if (stream.keyApplications.length >= this.limit.calls) throw KinesisErrors.keyApplications(stream.name, context.accountId, this.limit);
    stream.keyApplications.push(context.now);
    this.beginUpdate(stream, { EncryptionType: 'KMS', KeyId: input.KeyId }, context.now);
    return {};
  }

  /** `StopStreamEncryption`: must name the key the stream has; `UPDATING`. */
  public stopStreamEncryption(input: StreamEncryptionInput, context: RequestContext): JsonObject {
    if (input.EncryptionType !== 'KMS') {
      throw KinesisErrors.invalidArgument(`EncryptionType ${input.EncryptionType} is not valid for StopStreamEncryption; the only valid value is KMS.`);
    }
    this.settleAll(context.now);
    const stream = this.requireActive(input, context);
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
    this.settleAll(context.now);
    const stream = this.requireActive(input, context);
    checkTagCharacters(input.Tags);
    if (stream.tags.countWith(Object.keys(input.Tags)) > MAX_TAGS_PER_STREAM) throw KinesisErrors.tooManyTags(stream.name, context.accountId);
    stream.tags.set(Object.entries(input.Tags));
    return {};
  }

  /** `RemoveTagsFromStream`: removes the tags; keys the stream does not have are ignored; the stream must be `ACTIVE`. */
  public removeTagsFromStream(input: RemoveTagsFromStreamInput, context: RequestContext): JsonObject {
    this.settleAll(context.now);
    this.requireActive(input, context).tags.remove(input.TagKeys);
    return {};
  }

  /** `ListTagsForStream`: a page of tags in key order, after `ExclusiveStartTagKey`. */
  public listTagsForStream(input: ListTagsForStreamInput, context: RequestContext): JsonObject {
    this.settleAll(context.now);
    return { ...this.locate(input, context).tags.page(input.ExclusiveStartTagKey, input.Limit ?? DEFAULT_TAG_PAGE) };
  }

  // ---- control ------------------------------------------------------------------------------

  /** Changes the default delays of transitions that start from now on; returns the delays in force. */
  public setDelays(delays: Partial<DataStreamDelays>): DataStreamDelays {
    this.delays = { ...this.delays, ...checkDelays(delays, 'setKinesisDelays') };
    return { ...this.delays };
  }

  /** Overrides delays for one stream name (it need not exist yet), or removes them with `null`. */
  public setStreamDelays(name: string, delays: Partial<DataStreamDelays> | null): DataStreamDelays {
    checkStreamName(name, 'setDataStreamDelays');
    if (delays === null) {
      this.streamDelays.delete(name);
    } else {
      this.streamDelays.set(name, { ...this.streamDelays.get(name), ...checkDelays(delays, 'setDataStreamDelays') });
    }
    return this.delaysFor(name);
  }

  /**
   * Creates a stream directly in any state; see {@link DataStreamSpec}.
   *
   * @throws ControlError when the spec is invalid or the stream exists
   */
  public createDataStream(spec: DataStreamSpec): DataStreamSnapshot {
    if (!isJsonObject(spec)) throw new ControlError('createDataStream: expected a stream spec object');
    const name = checkStreamName(spec.name, 'createDataStream');
    const now = this.options.clock.now();
    this.settleAll(now);
    if (this.streams.has(name)) throw new ControlError(`createDataStream: stream ${name} already exists; delete it first`);
    const status = spec.status ?? 'ACTIVE';
    if (!Object.prototype.hasOwnProperty.call(STREAM_STATUSES, status)) throw new ControlError(`createDataStream: unknown status '${status}'`);
    const mode = spec.streamMode ?? 'ON_DEMAND';
    if (!Object.prototype.hasOwnProperty.call(STREAM_MODES, mode)) throw new ControlError(`createDataStream: unknown streamMode '${mode}'`);
    const shardCount = spec.shardCount ?? ON_DEMAND_SHARDS;
    if (!Number.isInteger(shardCount) || shardCount < 1 || shardCount > 1000) throw new ControlError('createDataStream: shardCount must be an integer from 1 to 1000');
    const used = spec.keyApplicationsInWindow ?? 0;
    if (!Number.isInteger(used) || used < 0) throw new ControlError('createDataStream: keyApplicationsInWindow must be an integer >= 0');
    const encryption = encryptionOf(spec.encryption, 'createDataStream');
    const delays = this.delaysFor(name);
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
      keyApplications: Array.from({ length: used }, () => now),
      tags: new TagSet(checkTags(spec.tags, 'createDataStream')),
    };
    this.streams.set(name, stream);
    return this.snapshotOf(stream, now);
  }

  /**
   * Removes a stream at once, whatever its state.
   *
   * @returns whether there was such a stream
   */
  public deleteDataStream(name: string): boolean {
    this.settleAll(this.options.clock.now());
    return this.streams.delete(checkStreamName(name, 'deleteDataStream'));
  }

  /** A stream's snapshot, or `undefined` when there is no such stream. */
  public dataStream(name: string): DataStreamSnapshot | undefined {
    const now = this.options.clock.now();
    this.settleAll(now);
    const stream = this.streams.get(name);
    return stream && this.snapshotOf(stream, now);
  }

  /**
   * Makes the next accepted Start or Stop on a stream (which need not exist yet) not take: the
   * stream goes `UPDATING`, then back to `ACTIVE` with its encryption unchanged.
   */
  public failNextStreamEncryption(name: string): void {
    this.forcedFailures.add(checkStreamName(name, 'failNextStreamEncryption'));
  }

  /** Drops every forced failure. */
  public clearForcedFailures(): void {
    this.forcedFailures.clear();
  }

  /** Everything the backend holds, settled to now. */
  public snapshot(): KinesisSnapshot {
    const now = this.options.clock.now();
    this.settleAll(now);
    return {
      delays: { ...this.delays },
      streamDelays: Object.fromEntries([...this.streamDelays].map(([name, d]) => [name, { ...d }])),
      keyApplicationLimit: { ...this.limit },
      streams: [...this.streams.values()].sort((a, b) => a.name.localeCompare(b.name)).map((stream) => this.snapshotOf(stream, now)),
      forcedFailures: [...this.forcedFailures].sort(),
    };
  }

  /** Drops every stream, override and forced failure; delays back to the initial ones. */
  public reset(): void {
    this.streams.clear();
    this.streamDelays.clear();
    this.forcedFailures.clear();
    this.delays = { ...this.initialDelays };
  }

  // ---- internals ----------------------------------------------------------------------------

  /** The ARN of a data stream. */
  private arnOf(name: string): string {
    const { region, accountId } = this.options;
    return formatArn({ partition: partitionOf(region), service: 'kinesis', region, account: accountId, resource: `stream/${name}` });
  }

  /** The delays in force for a stream name: defaults overridden by the stream's own. */
  private delaysFor(name: string): DataStreamDelays {
    return { ...this.delays, ...this.streamDelays.get(name) };
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
    const stream = this.streams.get(name);
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

  /**
   * Whether Kinesis could use a key for a stream, answering the KMS error it would answer when not.
   * The Kinesis managed key (by alias name, or alias ARN in this account and region) always works.
   */
  private checkKey(keyId: string, context: RequestContext): void {
    if (this.isKinesisManaged(keyId, context)) return;
    const lookup = this.options.keys.find(keyId);
    if (!lookup.found) {
      throw new ServiceError('KMSNotFoundException', `Kinesis could not find KMS key ${keyId}: ${lookup.message} (KMS ${lookup.errorName}).`);
    }
    const key = lookup.metadata;
    switch (key.KeyState) {
      case 'Enabled':
        break;
      case 'Disabled':
        throw new ServiceError('KMSDisabledException', `KMS key ${key.Arn} is disabled (KMS DisabledException).`);
      case 'PendingDeletion':
        throw new ServiceError('KMSInvalidStateException', `KMS key ${key.Arn} is pending deletion (KMS KMSInvalidStateException).`);
      default:
        throw new ServiceError('KMSInvalidStateException', `KMS key ${key.Arn} is in state ${key.KeyState} (KMS KMSInvalidStateException).`);
    }
    if (key.KeySpec !== 'SYMMETRIC_DEFAULT' || key.KeyUsage !== 'ENCRYPT_DECRYPT') {
      throw KinesisErrors.invalidArgument(
        `KMS key ${key.Arn} has KeySpec ${key.KeySpec} and KeyUsage ${key.KeyUsage}; Kinesis encrypts only with symmetric encryption keys (KMS InvalidKeyUsageException).`,
      );
    }
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
    const fails = this.forcedFailures.delete(stream.name);
    stream.change = { status: 'UPDATING', completesAt: now + this.delaysFor(stream.name).updatingMs, target, fails };
    this.settle(stream, now);
  }

  /** The status a stream shows. */
  private statusOf(stream: StreamRecord): StreamStatus {
    return stream.change?.status ?? 'ACTIVE';
  }

  /** Settles every stream. */
  private settleAll(now: number): void {
    for (const stream of [...this.streams.values()]) this.settle(stream, now);
  }

  /** Completes a stream's status change whose end time has passed. */
  private settle(stream: StreamRecord, now: number): void {
    const change = stream.change;
    if (!change || now < change.completesAt) return;
    stream.change = undefined;
    if (change.status === 'DELETING') {
      this.streams.delete(stream.name);
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

  /** The shards of a stream, hash key ranges split evenly. */
  private shardsOf(stream: StreamRecord): JsonObject[] {
    const count = BigInt(stream.shardCount);
    const width = (MAX_HASH_KEY + BigInt(1)) / count;
    return Array.from({ length: stream.shardCount }, (_, i) => {
      const start = width * BigInt(i);
      const end = i === stream.shardCount - 1 ? MAX_HASH_KEY : start + width - BigInt(1);
      return {
        ShardId: `shardId-${String(i).padStart(12, '0')}`,
        HashKeyRange: { StartingHashKey: start.toString(), EndingHashKey: end.toString() },
        SequenceNumberRange: { StartingSequenceNumber: `${String(stream.createdAt).padStart(20, '0')}${String(i).padStart(36, '0')}` },
      };
    });
  }

  /** A stream as the control API reports it. */
  private snapshotOf(stream: StreamRecord, now: number): DataStreamSnapshot {
    const change = stream.change;
    return {
      summary: this.summarize(stream),
      appliedEncryption: { ...stream.encryption },
      pendingChange: change ? { status: change.status, completesAt: change.completesAt, willFail: change.fails === true } : null,
      keyApplications: {
        inWindow: stream.keyApplications.filter((at) => at > now - this.limit.windowMs).length,
        limit: this.limit.calls,
        windowMs: this.limit.windowMs,
      },
      delays: this.delaysFor(stream.name),
      tags: stream.tags.toRecord(),
    };
  }
}

/**
 * The Kinesis service module (`Kinesis_20131202.*`) over a {@link KinesisBackend}.
 *
 * Built-in rate limits per account: `DescribeStreamSummary` 20/s, `DescribeStream` 10/s,
 * `CreateStream`, `DeleteStream`, `AddTagsToStream`, `RemoveTagsFromStream` and
 * `ListTagsForStream` 5/s (the Kinesis quotas); `StartStreamEncryption` and `StopStreamEncryption`
 * 5/s (assumed; Kinesis documents no rate for them). A call over its rate is answered
 * `LimitExceededException`, as Kinesis answers it.
 */
export function kinesisService(backend: KinesisBackend): ServiceModule {
  return {
    id: 'kinesis',
    targetPrefix: 'Kinesis_20131202',
    validationErrorName: 'ValidationException',
    throttlingError: (operation, resource, context) => KinesisErrors.rateExceeded(operation, resource, context.accountId),
    operations: {
      CreateStream: defineOperation<CreateStreamInput>({
        input: Kinesis.CreateStreamInput,
        resourceMember: 'StreamName',
        throttle: { ratePerSecond: 5 },
        handle: (input, context) => backend.createStream(input, context),
      }),
      DescribeStreamSummary: defineOperation<StreamReference>({
        input: Kinesis.DescribeStreamSummaryInput,
        resourceOf: streamNameOf,
        throttle: { ratePerSecond: 20 },
        handle: (input, context) => backend.describeStreamSummary(input, context),
      }),
      DescribeStream: defineOperation<DescribeStreamInput>({
        input: Kinesis.DescribeStreamInput,
        resourceOf: streamNameOf,
        throttle: { ratePerSecond: 10 },
        handle: (input, context) => backend.describeStream(input, context),
      }),
      DeleteStream: defineOperation<StreamReference>({
        input: Kinesis.DeleteStreamInput,
        resourceOf: streamNameOf,
        throttle: { ratePerSecond: 5 },
        handle: (input, context) => backend.deleteStream(input, context),
      }),
      StartStreamEncryption: defineOperation<StreamEncryptionInput>({
        input: Kinesis.StreamEncryptionInput,
        resourceOf: streamNameOf,
        throttle: { ratePerSecond: 5 },
        handle: (input, context) => backend.startStreamEncryption(input, context),
      }),
      StopStreamEncryption: defineOperation<StreamEncryptionInput>({
        input: Kinesis.StreamEncryptionInput,
        resourceOf: streamNameOf,
        throttle: { ratePerSecond: 5 },
        handle: (input, context) => backend.stopStreamEncryption(input, context),
      }),
      AddTagsToStream: defineOperation<AddTagsToStreamInput>({
        input: Kinesis.AddTagsToStreamInput,
        resourceOf: streamNameOf,
        throttle: { ratePerSecond: 5 },
        handle: (input, context) => backend.addTagsToStream(input, context),
      }),
      RemoveTagsFromStream: defineOperation<RemoveTagsFromStreamInput>({
        input: Kinesis.RemoveTagsFromStreamInput,
        resourceOf: streamNameOf,
        throttle: { ratePerSecond: 5 },
        handle: (input, context) => backend.removeTagsFromStream(input, context),
      }),
      ListTagsForStream: defineOperation<ListTagsForStreamInput>({
        input: Kinesis.ListTagsForStreamInput,
        resourceOf: streamNameOf,
        throttle: { ratePerSecond: 5 },
        handle: (input, context) => backend.listTagsForStream(input, context),
      }),
    },
  };
}
