/**
 * The shapes of the Firehose service (`Firehose_20150804`) in the local cloud: the wire types it
 * writes, the input shapes it validates (restating the constraints of the Firehose service model),
 * the enum value tables, and the types of its control API.
 *
 * @module
 */

import type { DeliveryStreamEncryptionStatus, DeliveryStreamFailureType, DeliveryStreamStatus, DeliveryStreamType, KeyType } from '@aws-sdk/client-firehose';
import { JsonObject } from '../../json';
import { shapes as s } from '../../validation';
import { CallBudget, EncryptionCallLimit, HOUR_MS, StreamKind } from '../stream-table';

export type { EncryptionCallLimit } from '../stream-table';

/** How long each asynchronous Firehose transition takes in the local cloud, in milliseconds. */
export interface TransitionDelays extends JsonObject {
  /** `CREATING` → `ACTIVE` (or `CREATING_FAILED`). */
  creatingMs: number;
  /** Encryption `ENABLING` → `ENABLED` (or `ENABLING_FAILED`). */
  enablingMs: number;
  /** Encryption `DISABLING` → `DISABLED` (or `DISABLING_FAILED`). */
  disablingMs: number;
  /** `DELETING` → gone. */
  deletingMs: number;
  /** For this long after a change, `DescribeDeliveryStream` answers the state before it (eventual consistency). */
  staleReadMs: number;
}

/** The delays a new local cloud starts with. */
export const DEFAULT_TRANSITION_DELAYS: Readonly<TransitionDelays> = Object.freeze({
  creatingMs: 1000,
  enablingMs: 1000,
  disablingMs: 1000,
  deletingMs: 500,
  staleReadMs: 0,
});

/** 25 calls per stream per rolling 24 hours, as Firehose documents it. */
export const DEFAULT_ENCRYPTION_CALL_LIMIT: EncryptionCallLimit = Object.freeze({ calls: 25, windowMs: 24 * HOUR_MS });

/** Firehose's `FailureDescription`. */
export interface FailureDescription extends JsonObject {
  Type: DeliveryStreamFailureType;
  Details: string;
}

/** A key type and key, as Start takes them. */
export interface KeySelection extends JsonObject {
  keyType: KeyType;
  /** Present for `CUSTOMER_MANAGED_CMK`. */
  keyArn?: string;
}

/** `DeliveryStreamEncryptionConfiguration` as Firehose writes it. */
export interface EncryptionConfigurationJson extends JsonObject {
  KeyARN?: string;
  KeyType?: KeyType;
  Status: DeliveryStreamEncryptionStatus;
  FailureDescription?: FailureDescription;
}

/** `DeliveryStreamDescription` exactly as Firehose writes it on the wire (timestamps in epoch seconds). */
export interface DeliveryStreamDescriptionJson extends JsonObject {
  DeliveryStreamName: string;
  DeliveryStreamARN: string;
  DeliveryStreamStatus: DeliveryStreamStatus;
  FailureDescription?: FailureDescription;
  DeliveryStreamEncryptionConfiguration?: EncryptionConfigurationJson;
  DeliveryStreamType: DeliveryStreamType;
  VersionId: string;
  CreateTimestamp: number;
  LastUpdateTimestamp?: number;
  Source?: JsonObject;
  Destinations: JsonObject[];
  HasMoreDestinations: boolean;
}

/** A stream as the control API reports it: the wire description plus what the wire does not show. */
export interface DeliveryStreamSnapshot extends JsonObject {
  /** What `DescribeDeliveryStream` answers now. */
  description: DeliveryStreamDescriptionJson;
  /**
   * The key that protects the stream's data now, or `null` when records are not encrypted. After a
   * failed key change this is still the old key.
   */
  appliedKey: KeySelection | null;
  /** The encryption change in progress, if any. */
  pendingChange: { kind: 'ENABLING' | 'DISABLING'; completesAt: number; willFail: boolean } | null;
  /** Use of the Start/Stop budget. */
  encryptionCalls: CallBudget;
  /** The delays that apply to this stream. */
  delays: TransitionDelays;
  /** The stream's tags, by key. */
  tags: Record<string, string>;
}

/** The encryption part of a {@link StreamSpec}. */
export interface EncryptionSpec {
  /** The encryption status to start in. */
  readonly status: DeliveryStreamEncryptionStatus;
  /** @defaultValue `CUSTOMER_MANAGED_CMK` when `keyArn` is given, else `AWS_OWNED_CMK` */
  readonly keyType?: KeyType;
  /** The key shown (or being enabled, for `ENABLING`). Required for `CUSTOMER_MANAGED_CMK`. */
  readonly keyArn?: string;
  /** For `ENABLING_FAILED` and `DISABLING_FAILED`. @defaultValue an `UNKNOWN_ERROR` */
  readonly failure?: FailureDescription;
  /**
   * For `ENABLING` and `ENABLING_FAILED`: the key still protecting the data (a key change in
   * progress or failed). @defaultValue none
   */
  readonly appliedKey?: KeySelection | null;
  /** For `ENABLING` and `DISABLING`: end in `*_FAILED` with this description instead of succeeding. */
  readonly outcome?: FailureDescription;
}

/** A stream for the control API's `createStream`, in any state. */
export interface StreamSpec {
  /** The stream name (`[a-zA-Z0-9_.-]+`, 1–64). */
  readonly name: string;
  /** @defaultValue `DirectPut` */
  readonly type?: DeliveryStreamType;
  /**
   * The stream status to start in. `CREATING` and `DELETING` complete after the stream's delays.
   * @defaultValue `ACTIVE`
   */
  readonly status?: DeliveryStreamStatus;
  /**
   * For `CREATING`: end in `CREATING_FAILED` with this description. For `CREATING_FAILED` and
   * `DELETING_FAILED`: the description shown. @defaultValue an `UNKNOWN_ERROR` where one is needed
   */
  readonly failureDescription?: FailureDescription;
  /**
   * The encryption state; `null` for a stream whose description has no
   * `DeliveryStreamEncryptionConfiguration` at all. @defaultValue `{ status: 'DISABLED' }`
   */
  readonly encryption?: EncryptionSpec | null;
  /** Source of a `KinesisStreamAsSource` stream. @defaultValue a stream named after this one */
  readonly kinesisStreamArn?: string;
  /** Role of a `KinesisStreamAsSource` stream. @defaultValue a role named after this one */
  readonly roleArn?: string;
  /** Start/Stop calls already used in the current window (they expire one window from now). @defaultValue 0 */
  readonly encryptionCallsInWindow?: number;
  /** The stream's tags, by key (at most 50). @defaultValue none */
  readonly tags?: Readonly<Record<string, string>>;
}

/** What the Firehose backend reports to the control API's `state()`. */
export interface FirehoseSnapshot extends JsonObject {
  delays: TransitionDelays;
  streamDelays: Record<string, Partial<TransitionDelays>>;
  encryptionCallLimit: { calls: number; windowMs: number };
  streams: DeliveryStreamSnapshot[];
  forcedFailures: { start: Record<string, FailureDescription>; stop: Record<string, FailureDescription> };
}

// Enum value tables, complete over the SDK's enum types.
/** Every `KeyType`. */
export const KEY_TYPES: Readonly<Record<KeyType, true>> = { AWS_OWNED_CMK: true, CUSTOMER_MANAGED_CMK: true };
/** Every `DeliveryStreamType`. */
export const STREAM_TYPES: Readonly<Record<DeliveryStreamType, true>> = {
  DirectPut: true,
  KinesisStreamAsSource: true,
  MSKAsSource: true,
  DatabaseAsSource: true,
};
/** Every `DeliveryStreamStatus`. */
export const STREAM_STATUSES: Readonly<Record<DeliveryStreamStatus, true>> = {
  CREATING: true,
  CREATING_FAILED: true,
  ACTIVE: true,
  DELETING: true,
  DELETING_FAILED: true,
};
/** Every `DeliveryStreamEncryptionStatus`. */
export const ENCRYPTION_STATUSES: Readonly<Record<DeliveryStreamEncryptionStatus, true>> = {
  ENABLED: true,
  ENABLING: true,
  ENABLING_FAILED: true,
  DISABLED: true,
  DISABLING: true,
  DISABLING_FAILED: true,
};
/** Every `DeliveryStreamFailureType`. */
export const FAILURE_TYPES: Readonly<Record<DeliveryStreamFailureType, true>> = {
  CREATE_ENI_FAILED: true,
  CREATE_KMS_GRANT_FAILED: true,
  DELETE_ENI_FAILED: true,
  DISABLED_KMS_KEY: true,
  ENI_ACCESS_DENIED: true,
  INVALID_KMS_KEY: true,
  KMS_ACCESS_DENIED: true,
  KMS_KEY_NOT_FOUND: true,
  KMS_OPT_IN_REQUIRED: true,
  RETIRE_KMS_GRANT_FAILED: true,
  SECURITY_GROUP_ACCESS_DENIED: true,
  SECURITY_GROUP_NOT_FOUND: true,
  SUBNET_ACCESS_DENIED: true,
  SUBNET_NOT_FOUND: true,
  UNKNOWN_ERROR: true,
  VPC_ENDPOINT_SERVICE_NAME_NOT_FOUND: true,
  VPC_INTERFACE_ENDPOINT_SERVICE_ACCESS_DENIED: true,
};

/** Every `DeliveryStreamFailureType` value of the SDK's model. */
export const FAILURE_TYPE_VALUES = Object.keys(FAILURE_TYPES) as DeliveryStreamFailureType[];

/** The stream-name constraint of the Firehose model. */
export const STREAM_NAME = { min: 1, max: 64, pattern: '[a-zA-Z0-9_.-]+' } as const;
/** The stream-name constraint as one expression, for control-API arguments. */
export const STREAM_NAME_RE = /^[a-zA-Z0-9_.-]{1,64}$/;

/** What Firehose streams are to the shared stream table: delays, option and method names, name rule. */
export const FIREHOSE_STREAMS: StreamKind<TransitionDelays> = {
  defaultDelays: DEFAULT_TRANSITION_DELAYS,
  delaysOption: 'delays',
  callLimitOption: 'encryptionCallLimit',
  delayMethods: { setDelays: 'setDelays', setStreamDelays: 'setStreamDelays' },
  name: { pattern: STREAM_NAME_RE, description: 'delivery stream name ([a-zA-Z0-9_.-]+, 1 to 64 characters)' },
};

/** Input shapes of the Firehose operations, restating the constraints of the Firehose service model. */
export const Firehose = (() => {
  const DeliveryStreamName = s.string(STREAM_NAME);
  const FirehoseRecord = s.structure({ Data: s.string({ min: 0, max: 1_400_000 }) }, ['Data']);
  const AWSKMSKeyARN = s.string({ min: 1, max: 512, pattern: 'arn:.*:kms:[a-zA-Z0-9\\-]+:\\d{12}:(key|alias)/[a-zA-Z_0-9+=,.@\\-_/]+' });
  const DeliveryStreamEncryptionConfigurationInput = s.structure(
    { KeyARN: AWSKMSKeyARN, KeyType: s.enumOf(Object.keys(KEY_TYPES)) },
    ['KeyType'],
  );
  const TagKey = s.string({ min: 1, max: 128, pattern: '^(?!aws:)[\\p{L}\\p{Z}\\p{N}_.:\\/=+\\-@%]*$' });
  const Tag = s.structure(
    {
      Key: TagKey,
      Value: s.string({ min: 0, max: 256, pattern: '^[\\p{L}\\p{Z}\\p{N}_.:\\/=+\\-@%]*$' }),
    },
    ['Key'],
  );
  const TagLimit = s.integer({ min: 1, max: 50 });
  const Limit = s.integer({ min: 1, max: 10000 });
  return {
    DescribeDeliveryStreamInput: s.structure(
      { DeliveryStreamName, Limit, ExclusiveStartDestinationId: s.string({ min: 1, max: 100, pattern: '[a-zA-Z0-9-]+' }) },
      ['DeliveryStreamName'],
    ),
    StartDeliveryStreamEncryptionInput: s.structure({ DeliveryStreamName, DeliveryStreamEncryptionConfigurationInput }, ['DeliveryStreamName']),
    StopDeliveryStreamEncryptionInput: s.structure({ DeliveryStreamName }, ['DeliveryStreamName']),
    PutRecordInput: s.structure({ DeliveryStreamName, Record: FirehoseRecord }, ['DeliveryStreamName', 'Record']),
    TagDeliveryStreamInput: s.structure({ DeliveryStreamName, Tags: s.list(Tag, { min: 1, max: 50 }) }, ['DeliveryStreamName', 'Tags']),
    UntagDeliveryStreamInput: s.structure({ DeliveryStreamName, TagKeys: s.list(TagKey, { min: 1, max: 50 }) }, ['DeliveryStreamName', 'TagKeys']),
    ListTagsForDeliveryStreamInput: s.structure({ DeliveryStreamName, ExclusiveStartTagKey: TagKey, Limit: TagLimit }, ['DeliveryStreamName']),
  };
})();

/** Tags per page of `ListTagsForDeliveryStream` when `Limit` is not given (the API reference names no default; the local cloud's is small, so that clients page). */
export const DEFAULT_TAG_PAGE = 10;

/** `DeliveryStreamEncryptionConfigurationInput`. */
export interface EncryptionConfigurationInput extends JsonObject {
  KeyType: KeyType;
  KeyARN?: string;
}
/** A `Tag` of a request. */
export interface TagInput extends JsonObject {
  Key: string;
  Value?: string;
}
/** `TagDeliveryStreamInput`. */
export interface TagDeliveryStreamInput {
  DeliveryStreamName: string;
  Tags: TagInput[];
}
/** `UntagDeliveryStreamInput`. */
export interface UntagDeliveryStreamInput {
  DeliveryStreamName: string;
  TagKeys: string[];
}
/** `ListTagsForDeliveryStreamInput`. */
export interface ListTagsForDeliveryStreamInput {
  DeliveryStreamName: string;
  ExclusiveStartTagKey?: string;
  Limit?: number;
}
/** Input of the operations that take only a stream name (as far as the local cloud is concerned). */
export interface StreamNameInput {
  DeliveryStreamName: string;
}
/** `PutRecordInput`. */
export interface PutRecordInput extends StreamNameInput {
  Record: { Data: string };
}
/** `StartDeliveryStreamEncryptionInput`. */
export interface StartDeliveryStreamEncryptionInput extends StreamNameInput {
  DeliveryStreamEncryptionConfigurationInput?: EncryptionConfigurationInput;
}
