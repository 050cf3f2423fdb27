/**
 * The shapes of the Kinesis Data Streams service (`Kinesis_20131202`) in the local cloud: the wire
 * types it writes, the input shapes it validates (restating the constraints of the Kinesis service
 * model), the enum value tables, and the types of its control API.
 *
 * @module
 */

import type { EncryptionType, StreamMode, StreamStatus } from '@aws-sdk/client-kinesis';
import { parseArn } from '../../arn';
import { JsonObject } from '../../json';
import { shapes as s } from '../../validation';
import { CallBudget, EncryptionCallLimit, HOUR_MS, StreamKind } from '../stream-table';

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
  /** For this long after a change, `DescribeStreamSummary` and `DescribeStream` answer the state before it (eventual consistency). */
  staleReadMs: number;
}

/** The delays a new local cloud starts with. */
export const DEFAULT_DATA_STREAM_DELAYS: Readonly<DataStreamDelays> = Object.freeze({
  creatingMs: 1000,
  updatingMs: 1000,
  deletingMs: 500,
  staleReadMs: 0,
});

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
  keyApplications: CallBudget;
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

// Enum value tables, complete over the SDK's enum types.
/** Every `StreamStatus`. */
export const STREAM_STATUSES: Readonly<Record<StreamStatus, true>> = { CREATING: true, ACTIVE: true, UPDATING: true, DELETING: true };
/** Every `StreamMode`. */
export const STREAM_MODES: Readonly<Record<StreamMode, true>> = { ON_DEMAND: true, PROVISIONED: true };
/** Every `EncryptionType`. */
export const ENCRYPTION_TYPES: Readonly<Record<EncryptionType, true>> = { KMS: true, NONE: true };

/** The stream-name constraint as one expression, for control-API arguments. */
export const STREAM_NAME_RE = /^[a-zA-Z0-9_.-]{1,128}$/;

/** What Kinesis streams are to the shared stream table: delays, option and method names, name rule. */
export const KINESIS_STREAMS: StreamKind<DataStreamDelays> = {
  defaultDelays: DEFAULT_DATA_STREAM_DELAYS,
  delaysOption: 'kinesisDelays',
  callLimitOption: 'keyApplicationLimit',
  delayMethods: { setDelays: 'setKinesisDelays', setStreamDelays: 'setDataStreamDelays' },
  name: { pattern: STREAM_NAME_RE, description: 'data stream name ([a-zA-Z0-9_.-]+, 1 to 128 characters)' },
};
/** Shards of an on-demand stream. */
export const ON_DEMAND_SHARDS = 4;

/** Input shapes of the Kinesis operations, restating the constraints of the Kinesis service model. */
export const Kinesis = (() => {
  const StreamName = s.string({ min: 1, max: 128, pattern: '[a-zA-Z0-9_.-]+' });
  const StreamARN = s.string({ min: 1, max: 2048, pattern: 'arn:aws.*:kinesis:.*:\\d{12}:stream/\\S+' });
  const StreamId = s.string({ min: 1, max: 24 });
  const KeyId = s.string({ min: 1, max: 2048 });
  const EncryptionTypeShape = s.enumOf(Object.keys(ENCRYPTION_TYPES));
  const TagKey = s.string({ min: 1, max: 128 });
  const TagMap = s.map(TagKey, s.string({ min: 0, max: 256 }), { min: 1, max: 200 });
  const stream = { StreamName, StreamARN, StreamId };
  const Data = s.string({ min: 0, max: 1_400_000 });
  const PartitionKey = s.string({ min: 1, max: 256 });
  const SequenceNumber = s.string({ pattern: '0|([1-9]\\d{0,128})' });
  return {
    DescribeStreamSummaryInput: s.structure(stream),
    StreamEncryptionInput: s.structure({ ...stream, EncryptionType: EncryptionTypeShape, KeyId }, ['EncryptionType', 'KeyId']),
    AddTagsToStreamInput: s.structure({ ...stream, Tags: TagMap }, ['Tags']),
    RemoveTagsFromStreamInput: s.structure({ ...stream, TagKeys: s.list(TagKey, { min: 1, max: 50 }) }, ['TagKeys']),
    ListTagsForStreamInput: s.structure({ ...stream, ExclusiveStartTagKey: TagKey, Limit: s.integer({ min: 1, max: 50 }) }),
    PutRecordInput: s.structure(
      { ...stream, Data: Data, PartitionKey, ExplicitHashKey: s.string({ pattern: '0|([1-9]\\d{0,38})' }), SequenceNumberForOrdering: SequenceNumber },
      ['Data', 'PartitionKey'],
    ),
    GetShardIteratorInput: s.structure(
      {
        ...stream,
        ShardId: s.string({ min: 1, max: 128, pattern: '[a-zA-Z0-9_.-]+' }),
        ShardIteratorType: s.enumOf(['AT_SEQUENCE_NUMBER', 'AFTER_SEQUENCE_NUMBER', 'TRIM_HORIZON', 'LATEST', 'AT_TIMESTAMP']),
        StartingSequenceNumber: SequenceNumber,
        Timestamp: s.document(),
      },
      ['ShardId', 'ShardIteratorType'],
    ),
    GetRecordsInput: s.structure(
      { ShardIterator: s.string({ min: 1, max: 512 }), Limit: s.integer({ min: 1, max: 10000 }), StreamARN },
      ['ShardIterator'],
    ),
  };
})();

/** Tags per page of `ListTagsForStream` when `Limit` is not given (assumed; the API reference names none). */
export const DEFAULT_TAG_PAGE = 10;

/** The characters Kinesis documents for tag keys and values. */
export const TAG_CHARACTERS = /^[\p{L}\p{Z}\p{N}_./=+\-%@]*$/u;

/** How an operation names its stream. */
export interface StreamReference {
  StreamName?: string;
  StreamARN?: string;
}
/** `AddTagsToStreamInput`. */
export interface AddTagsToStreamInput extends StreamReference {
  Tags: Record<string, string>;
}
/** `RemoveTagsFromStreamInput`. */
export interface RemoveTagsFromStreamInput extends StreamReference {
  TagKeys: string[];
}
/** `ListTagsForStreamInput`. */
export interface ListTagsForStreamInput extends StreamReference {
  ExclusiveStartTagKey?: string;
  Limit?: number;
}
/** `StartStreamEncryptionInput` and `StopStreamEncryptionInput`. */
export interface StreamEncryptionInput extends StreamReference {
  EncryptionType: EncryptionType;
  KeyId: string;
}

/** `PutRecordInput` (the members the local cloud reads). */
export interface PutRecordInput extends StreamReference {
  Data: string;
  PartitionKey: string;
}
/** `GetShardIteratorInput`. */
export interface GetShardIteratorInput extends StreamReference {
  ShardId: string;
  ShardIteratorType: 'AT_SEQUENCE_NUMBER' | 'AFTER_SEQUENCE_NUMBER' | 'TRIM_HORIZON' | 'LATEST' | 'AT_TIMESTAMP';
}
/** `GetRecordsInput`. */
export interface GetRecordsInput {
  ShardIterator: string;
  Limit?: number;
}

/** The name of the stream an operation's body names, by `StreamName` or the name in `StreamARN`. */
export function streamNameOf(body: JsonObject): string | undefined {
  if (typeof body.StreamName === 'string') return body.StreamName;
  const arn = typeof body.StreamARN === 'string' ? parseArn(body.StreamARN) : undefined;
  return arn?.resource.startsWith('stream/') ? arn.resource.slice('stream/'.length) : undefined;
}
