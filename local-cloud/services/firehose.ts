/**
 * Amazon Data Firehose (`Firehose_20150804`): delivery streams and their server-side encryption.
 *
 * Operations: `CreateDeliveryStream`, `DescribeDeliveryStream`, `DeleteDeliveryStream`,
 * `ListDeliveryStreams`, `StartDeliveryStreamEncryption`, `StopDeliveryStreamEncryption`,
 * `TagDeliveryStream`, `UntagDeliveryStream` and `ListTagsForDeliveryStream`, with the behaviour
 * the Firehose API reference describes:
 *
 * - a new stream is `CREATING`, then `ACTIVE` (or `CREATING_FAILED` when its KMS key is unusable);
 *   a deleted one is `DELETING`, then gone;
 * - Start sets the encryption status to `ENABLING`, then `ENABLED`, or `ENABLING_FAILED` with a
 *   `FailureDescription` when the key is missing, disabled, pending deletion, or not a symmetric
 *   `ENCRYPT_DECRYPT` key; when a key *change* fails, the old key stays applied;
 * - Stop sets `DISABLING`, then `DISABLED`;
 * - only `DirectPut` streams can be encrypted; Start with the key type and key the stream already
 *   has `ENABLED` is refused; nothing can change while the stream is not `ACTIVE` or its encryption
 *   is `ENABLING`/`DISABLING`;
 * - Start and Stop together are limited to 25 accepted calls per stream in a rolling 24 hours;
 * - a stream has at most 50 tags (`LimitExceededException` beyond); tagging a key again overwrites
 *   its value; untagging a key the stream does not have is ignored; tags are listed in key order,
 *   by pages after `ExclusiveStartTagKey`. Tags cannot change while the stream is `CREATING` or
 *   `DELETING` (`ResourceInUseException`; the API reference leaves this open, the local cloud is
 *   strict).
 *
 * No timers run: every request first settles each stream against the clock (a transition whose
 * end time has passed is completed, with that end time as its `LastUpdateTimestamp`).
 * Invalid input is an `InvalidArgumentException`.
 *
 * @module
 */

import type { DeliveryStreamEncryptionStatus, DeliveryStreamFailureType, DeliveryStreamStatus, DeliveryStreamType, KeyType } from '@aws-sdk/client-firehose';
import { formatArn, partitionOf } from '../arn';
import { LocalClock } from '../clock';
import { ControlError, ServiceError } from '../errors';
import { epochSeconds, isJsonObject, JsonObject } from '../json';
import { defineOperation, RequestContext, ServiceModule } from '../router';
import { shapes as s } from '../validation';
import { KeyLookup } from './kms';
import { MAX_TAGS_PER_STREAM, TagSet } from './tags';

/** One hour in milliseconds. */
const HOUR_MS = 60 * 60 * 1000;

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
}

/** The delays a new local cloud starts with. */
export const DEFAULT_TRANSITION_DELAYS: Readonly<TransitionDelays> = Object.freeze({
  creatingMs: 1000,
  enablingMs: 1000,
  disablingMs: 1000,
  deletingMs: 500,
});

/** The combined limit of Start and Stop calls per stream. */
export interface EncryptionCallLimit {
  /** Accepted calls allowed in the window. */
  readonly calls: number;
  /** The rolling window, in milliseconds. */
  readonly windowMs: number;
}

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
  encryptionCalls: { inWindow: number; limit: number; windowMs: number };
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

// Enum value tables, complete over the SDK's enum types.
const KEY_TYPES: Readonly<Record<KeyType, true>> = { AWS_OWNED_CMK: true, CUSTOMER_MANAGED_CMK: true };
const STREAM_TYPES: Readonly<Record<DeliveryStreamType, string>> = {
  DirectPut: 'DirectPutSourceConfiguration',
  KinesisStreamAsSource: 'KinesisStreamSourceConfiguration',
  MSKAsSource: 'MSKSourceConfiguration',
  DatabaseAsSource: 'DatabaseSourceConfiguration',
};
const STREAM_STATUSES: Readonly<Record<DeliveryStreamStatus, true>> = {
  CREATING: true,
  CREATING_FAILED: true,
  ACTIVE: true,
  DELETING: true,
  DELETING_FAILED: true,
};
const ENCRYPTION_STATUSES: Readonly<Record<DeliveryStreamEncryptionStatus, true>> = {
  ENABLED: true,
  ENABLING: true,
  ENABLING_FAILED: true,
  DISABLED: true,
  DISABLING: true,
  DISABLING_FAILED: true,
};
const FAILURE_TYPES: Readonly<Record<DeliveryStreamFailureType, true>> = {
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

/** The destination configuration members of `CreateDeliveryStreamInput`. */
const DESTINATION_MEMBERS = [
  'S3DestinationConfiguration',
  'ExtendedS3DestinationConfiguration',
  'RedshiftDestinationConfiguration',
  'ElasticsearchDestinationConfiguration',
  'AmazonopensearchserviceDestinationConfiguration',
  'SplunkDestinationConfiguration',
  'HttpEndpointDestinationConfiguration',
  'AmazonOpenSearchServerlessDestinationConfiguration',
  'SnowflakeDestinationConfiguration',
  'IcebergDestinationConfiguration',
] as const;

/** The stream-name constraint of the Firehose model. */
const STREAM_NAME = { min: 1, max: 64, pattern: '[a-zA-Z0-9_.-]+' } as const;
/** The stream-name constraint as one expression, for control-API arguments. */
const STREAM_NAME_RE = /^[a-zA-Z0-9_.-]{1,64}$/;

/** Input shapes of the Firehose operations, restating the constraints of the Firehose service model. */
const Firehose = (() => {
  const DeliveryStreamName = s.string(STREAM_NAME);
  const AWSKMSKeyARN = s.string({ min: 1, max: 512, pattern: 'arn:.*:kms:[a-zA-Z0-9\\-]+:\\d{12}:(key|alias)/[a-zA-Z_0-9+=,.@\\-_/]+' });
  const RoleARN = s.string({ min: 1, max: 512, pattern: 'arn:.*:iam::\\d{12}:role/[a-zA-Z_0-9+=,.@\\-_/]+' });
  const KinesisStreamARN = s.string({ min: 1, max: 512, pattern: 'arn:.*:kinesis:[a-zA-Z0-9\\-]+:\\d{12}:stream/[a-zA-Z0-9_.-]+' });
  const DeliveryStreamTypeShape = s.enumOf(Object.keys(STREAM_TYPES));
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
  const destinations = Object.fromEntries(DESTINATION_MEMBERS.map((m) => [m, s.document()]));
  const Limit = s.integer({ min: 1, max: 10000 });
  return {
    CreateDeliveryStreamInput: s.structure(
      {
        DeliveryStreamName,
        DeliveryStreamType: DeliveryStreamTypeShape,
        DirectPutSourceConfiguration: s.structure({ ThroughputHintInMBs: s.integer({ min: 1, max: 100 }) }, ['ThroughputHintInMBs']),
        KinesisStreamSourceConfiguration: s.structure({ KinesisStreamARN, RoleARN }, ['KinesisStreamARN', 'RoleARN']),
        DeliveryStreamEncryptionConfigurationInput,
        ...destinations,
        Tags: s.list(Tag, { min: 1, max: 50 }),
        MSKSourceConfiguration: s.document(),
        DatabaseSourceConfiguration: s.document(),
      },
      ['DeliveryStreamName'],
    ),
    DescribeDeliveryStreamInput: s.structure(
      { DeliveryStreamName, Limit, ExclusiveStartDestinationId: s.string({ min: 1, max: 100, pattern: '[a-zA-Z0-9-]+' }) },
      ['DeliveryStreamName'],
    ),
    DeleteDeliveryStreamInput: s.structure({ DeliveryStreamName, AllowForceDelete: s.boolean() }, ['DeliveryStreamName']),
    ListDeliveryStreamsInput: s.structure({
      Limit,
      DeliveryStreamType: DeliveryStreamTypeShape,
      ExclusiveStartDeliveryStreamName: DeliveryStreamName,
    }),
    StartDeliveryStreamEncryptionInput: s.structure({ DeliveryStreamName, DeliveryStreamEncryptionConfigurationInput }, ['DeliveryStreamName']),
    StopDeliveryStreamEncryptionInput: s.structure({ DeliveryStreamName }, ['DeliveryStreamName']),
    TagDeliveryStreamInput: s.structure({ DeliveryStreamName, Tags: s.list(Tag, { min: 1, max: 50 }) }, ['DeliveryStreamName', 'Tags']),
    UntagDeliveryStreamInput: s.structure({ DeliveryStreamName, TagKeys: s.list(TagKey, { min: 1, max: 50 }) }, ['DeliveryStreamName', 'TagKeys']),
    ListTagsForDeliveryStreamInput: s.structure({ DeliveryStreamName, ExclusiveStartTagKey: TagKey, Limit: TagLimit }, ['DeliveryStreamName']),
  };
})();

/** Tags per page of `ListTagsForDeliveryStream` when `Limit` is not given (the API reference names no default; the local cloud's is small, so that clients page). */
const DEFAULT_TAG_PAGE = 10;

/** `DeliveryStreamEncryptionConfigurationInput`. */
interface EncryptionConfigurationInput extends JsonObject {
  KeyType: KeyType;
  KeyARN?: string;
}
/** The members of `CreateDeliveryStreamInput` the local cloud reads. */
interface CreateDeliveryStreamInput extends JsonObject {
  DeliveryStreamName: string;
  DeliveryStreamType?: DeliveryStreamType;
  DirectPutSourceConfiguration?: { ThroughputHintInMBs: number };
  KinesisStreamSourceConfiguration?: { KinesisStreamARN: string; RoleARN: string };
  DeliveryStreamEncryptionConfigurationInput?: EncryptionConfigurationInput;
  MSKSourceConfiguration?: JsonObject;
  DatabaseSourceConfiguration?: JsonObject;
  Tags?: TagInput[];
}
/** A `Tag` of a request. */
interface TagInput extends JsonObject {
  Key: string;
  Value?: string;
}
/** `TagDeliveryStreamInput`. */
interface TagDeliveryStreamInput {
  DeliveryStreamName: string;
  Tags: TagInput[];
}
/** `UntagDeliveryStreamInput`. */
interface UntagDeliveryStreamInput {
  DeliveryStreamName: string;
  TagKeys: string[];
}
/** `ListTagsForDeliveryStreamInput`. */
interface ListTagsForDeliveryStreamInput {
  DeliveryStreamName: string;
  ExclusiveStartTagKey?: string;
  Limit?: number;
}
/** Input of the operations that take only a stream name (as far as the local cloud is concerned). */
interface StreamNameInput {
  DeliveryStreamName: string;
}
/** `ListDeliveryStreamsInput`. */
interface ListDeliveryStreamsInput {
  Limit?: number;
  DeliveryStreamType?: DeliveryStreamType;
  ExclusiveStartDeliveryStreamName?: string;
}
/** `StartDeliveryStreamEncryptionInput`. */
interface StartDeliveryStreamEncryptionInput extends StreamNameInput {
  DeliveryStreamEncryptionConfigurationInput?: EncryptionConfigurationInput;
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
  /** Times of the accepted Start/Stop calls still in the window. */
  encryptionCalls: number[];
  readonly tags: TagSet;
}

/** Firehose errors, worded after Firehose's own. */
const FirehoseErrors = {
  notFound: (name: string, account: string) =>
    new ServiceError('ResourceNotFoundException', `Firehose stream ${name} under account ${account} not found.`),
  alreadyExists: (name: string, account: string) =>
    new ServiceError('ResourceInUseException', `Firehose stream ${name} under account ${account} already exists.`),
  notActive: (name: string, account: string, status: DeliveryStreamStatus) =>
    new ServiceError('ResourceInUseException', `Firehose stream ${name} under account ${account} is in ${status} state; the operation needs it ACTIVE.`),
  cannotDelete: (name: string, account: string) =>
    new ServiceError('ResourceInUseException', `Firehose stream ${name} under account ${account} is in CREATING state and cannot be deleted until it is ACTIVE or CREATING_FAILED.`),
  changeInProgress: (name: string, status: DeliveryStreamEncryptionStatus) =>
    new ServiceError('ResourceInUseException', `Encryption of Firehose stream ${name} is ${status}; wait until it completes before starting or stopping encryption.`),
  notDirectPut: (name: string, type: DeliveryStreamType) =>
    new ServiceError(
      'InvalidArgumentException',
      `Firehose stream ${name} has DeliveryStreamType ${type}: server-side encryption can be started or stopped only on DirectPut streams.`,
    ),
  alreadyEnabled: (name: string, key: KeySelection) =>
    new ServiceError(
      'InvalidArgumentException',
      `Encryption of Firehose stream ${name} is already ENABLED with KeyType ${key.keyType}${key.keyArn ? ` and KeyARN ${key.keyArn}` : ''}.`,
    ),
  limitExceeded: (name: string, limit: EncryptionCallLimit) =>
    new ServiceError(
      'LimitExceededException',
      `Firehose stream ${name} has reached the limit of ${limit.calls} StartDeliveryStreamEncryption and StopDeliveryStreamEncryption calls in ${limit.windowMs / HOUR_MS} hours.`,
    ),
  invalidArgument: (message: string) => new ServiceError('InvalidArgumentException', message),
  tooManyTags: (name: string, count: number) =>
    new ServiceError(
      'LimitExceededException',
      `Firehose stream ${name} would have ${count} tags; a Firehose stream can have at most ${MAX_TAGS_PER_STREAM} tags.`,
    ),
  tagsNotChangeable: (name: string, account: string, status: DeliveryStreamStatus) =>
    new ServiceError('ResourceInUseException', `Firehose stream ${name} under account ${account} is in ${status} state; its tags cannot change now.`),
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

/** Validates delays given to the control API. */
function checkDelays(delays: Partial<TransitionDelays>, method: string): Partial<TransitionDelays> {
  if (!isJsonObject(delays)) throw new ControlError(`${method}: expected an object of delays in milliseconds`);
  const out: Partial<TransitionDelays> = {};
  for (const [name, value] of Object.entries(delays)) {
    if (!Object.prototype.hasOwnProperty.call(DEFAULT_TRANSITION_DELAYS, name)) {
      throw new ControlError(`${method}: unknown delay '${name}'; known: ${Object.keys(DEFAULT_TRANSITION_DELAYS).join(', ')}`);
    }
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new ControlError(`${method}: ${name} must be a finite number of milliseconds >= 0, got ${JSON.stringify(value)}`);
    }
    out[name as keyof TransitionDelays] = value;
  }
  return out;
}

/** Validates a `FailureDescription` given to the control API. */
function checkFailure(failure: FailureDescription, method: string): FailureDescription {
  if (!isJsonObject(failure) || typeof failure.Type !== 'string' || !Object.prototype.hasOwnProperty.call(FAILURE_TYPES, failure.Type)) {
    throw new ControlError(`${method}: expected a FailureDescription { Type, Details } with Type one of ${FAILURE_TYPE_VALUES.join(', ')}`);
  }
  if (typeof failure.Details !== 'string') throw new ControlError(`${method}: FailureDescription.Details must be a string`);
  return { Type: failure.Type, Details: failure.Details };
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

/** Validates a stream name given to the control API. */
function checkStreamName(name: string, method: string): string {
  if (typeof name !== 'string' || !STREAM_NAME_RE.test(name)) {
    throw new ControlError(`${method}: '${name}' is not a delivery stream name ([a-zA-Z0-9_.-]+, 1 to 64 characters)`);
  }
  return name;
}

/** The Firehose delivery streams of the local cloud, and the logic of the Firehose operations. */
export class FirehoseBackend {
  private readonly streams = new Map<string, StreamRecord>();
  private readonly streamDelays = new Map<string, Partial<TransitionDelays>>();
  private readonly forcedStartFailures = new Map<string, FailureDescription>();
  private readonly forcedStopFailures = new Map<string, FailureDescription>();
  private readonly initialDelays: TransitionDelays;
  private readonly limit: EncryptionCallLimit;
  private delays: TransitionDelays;

  /**
   * @param options - clock, account, region, key directory and initial settings
   */
  constructor(private readonly options: FirehoseBackendOptions) {
    this.initialDelays = { ...DEFAULT_TRANSITION_DELAYS, ...checkDelays(options.delays ?? {}, 'delays') };
    this.delays = { ...this.initialDelays };
    this.limit = options.encryptionCallLimit ?? DEFAULT_ENCRYPTION_CALL_LIMIT;
    if (!Number.isInteger(this.limit.calls) || this.limit.calls < 1 || !(this.limit.windowMs > 0)) {
      throw new RangeError('encryptionCallLimit: calls must be an integer >= 1 and windowMs > 0');
    }
  }

  // ---- operations -------------------------------------------------------------------------

  /** `CreateDeliveryStream`. */
  public createDeliveryStream(input: CreateDeliveryStreamInput, context: RequestContext): JsonObject {
    this.settleAll(context.now);
    const name = input.DeliveryStreamName;
    if (this.streams.has(name)) throw FirehoseErrors.alreadyExists(name, context.accountId);
    const type = input.DeliveryStreamType ?? 'DirectPut';
    for (const [sourceType, member] of Object.entries(STREAM_TYPES)) {
      if (sourceType !== type && input[member] !== undefined) {
        throw FirehoseErrors.invalidArgument(`${member} cannot be specified for a stream whose DeliveryStreamType is ${type}.`);
      }
    }
    if (type !== 'DirectPut' && input[STREAM_TYPES[type]] === undefined) {
      throw FirehoseErrors.invalidArgument(`${STREAM_TYPES[type]} is required when DeliveryStreamType is ${type}.`);
    }
    const destinations = DESTINATION_MEMBERS.filter((m) => input[m] !== undefined);
    if (destinations.length > 1) {
      throw FirehoseErrors.invalidArgument(`Specify at most one destination configuration; got ${destinations.join(', ')}.`);
    }
    checkUniqueKeys((input.Tags ?? []).map((tag) => tag.Key));
    let selection: KeySelection | undefined;
    if (input.DeliveryStreamEncryptionConfigurationInput !== undefined) {
      if (type !== 'DirectPut') {
        throw FirehoseErrors.invalidArgument(
          `DeliveryStreamEncryptionConfigurationInput is supported only for DirectPut streams; a ${type} stream is encrypted through its source.`,
        );
      }
      selection = this.keySelection(input.DeliveryStreamEncryptionConfigurationInput);
    }

    const readyAt = context.now + this.delaysFor(name).creatingMs;
    const failure = selection ? this.evaluateKey(selection) : undefined;
    const stream: StreamRecord = {
      name,
      arn: this.arnOf(name),
      type,
      createdAt: context.now,
      lastUpdatedAt: context.now,
      versionId: 1,
      status: 'CREATING',
      statusChangesAt: readyAt,
      creationFailure: failure,
      source: this.sourceDescription(type, input, readyAt),
      encryption: selection
        ? { reported: true, status: 'ENABLING', change: { kind: 'enable', target: selection, completesAt: readyAt, failure } }
        : { reported: true, status: 'DISABLED' },
      encryptionCalls: [],
      tags: new TagSet(Object.fromEntries((input.Tags ?? []).map((tag) => [tag.Key, tag.Value ?? '']))),
    };
    this.streams.set(name, stream);
    this.settle(stream, context.now);
    return { DeliveryStreamARN: stream.arn };
  }

  /** `DescribeDeliveryStream`. */
  public describeDeliveryStream(input: StreamNameInput, context: RequestContext): JsonObject {
    this.settleAll(context.now);
    return { DeliveryStreamDescription: this.describe(this.requireStream(input.DeliveryStreamName, context)) };
  }

  /** `DeleteDeliveryStream`: `DELETING`, then gone. Refused while `CREATING`. */
  public deleteDeliveryStream(input: StreamNameInput, context: RequestContext): JsonObject {
    this.settleAll(context.now);
    const stream = this.requireStream(input.DeliveryStreamName, context);
    if (stream.status === 'CREATING') throw FirehoseErrors.cannotDelete(stream.name, context.accountId);
    if (stream.status !== 'DELETING') {
      stream.status = 'DELETING';
      stream.statusChangesAt = context.now + this.delaysFor(stream.name).deletingMs;
      stream.lastUpdatedAt = context.now;
      this.settle(stream, context.now);
    }
    return {};
  }

  /** `ListDeliveryStreams`: names in lexicographic order, 10 per page unless `Limit` says otherwise. */
  public listDeliveryStreams(input: ListDeliveryStreamsInput, context: RequestContext): JsonObject {
    this.settleAll(context.now);
    const limit = input.Limit ?? 10;
    const start = input.ExclusiveStartDeliveryStreamName;
    const names = [...this.streams.values()]
      .filter((stream) => input.DeliveryStreamType === undefined || stream.type === input.DeliveryStreamType)
      .map((stream) => stream.name)
      .filter((name) => start === undefined || name > start)
      .sort();
    return { DeliveryStreamNames: names.slice(0, limit), HasMoreDeliveryStreams: names.length > limit };
  }

  /** `StartDeliveryStreamEncryption`. */
  public startDeliveryStreamEncryption(input: StartDeliveryStreamEncryptionInput, context: RequestContext): JsonObject {
    const selection = this.keySelection(input.DeliveryStreamEncryptionConfigurationInput);
    this.settleAll(context.now);
    const stream = this.requireChangeable(input.DeliveryStreamName, context);
    if (stream.encryption.status === 'ENABLED' && sameKey(stream.encryption.shown, selection)) {
      throw FirehoseErrors.alreadyEnabled(stream.name, selection);
    }
    this.consumeEncryptionCall(stream, context.now);
    const forced = this.forcedStartFailures.get(stream.name);
    this.forcedStartFailures.delete(stream.name);
    stream.encryption.reported = true;
    stream.encryption.change = {
      kind: 'enable',
      target: selection,
      completesAt: context.now + this.delaysFor(stream.name).enablingMs,
      failure: forced ?? this.evaluateKey(selection),
    };
    this.touch(stream, context.now);
    return {};
  }

  /** `StopDeliveryStreamEncryption`. */
  public stopDeliveryStreamEncryption(input: StreamNameInput, context: RequestContext): JsonObject {
    this.settleAll(context.now);
    const stream = this.requireChangeable(input.DeliveryStreamName, context);
    this.consumeEncryptionCall(stream, context.now);
    const forced = this.forcedStopFailures.get(stream.name);
    this.forcedStopFailures.delete(stream.name);
    stream.encryption.reported = true;
    stream.encryption.change = {
      kind: 'disable',
      completesAt: context.now + this.delaysFor(stream.name).disablingMs,
      failure: forced,
    };
    this.touch(stream, context.now);
    return {};
  }

  /** `TagDeliveryStream`: sets the tags; at most 50 per stream. */
  public tagDeliveryStream(input: TagDeliveryStreamInput, context: RequestContext): JsonObject {
    this.settleAll(context.now);
    const stream = this.requireTaggable(input.DeliveryStreamName, context);
    const keys = input.Tags.map((tag) => tag.Key);
    checkUniqueKeys(keys);
    const count = stream.tags.countWith(keys);
    if (count > MAX_TAGS_PER_STREAM) throw FirehoseErrors.tooManyTags(stream.name, count);
    stream.tags.set(input.Tags.map((tag) => [tag.Key, tag.Value ?? ''] as const));
    return {};
  }

  /** `UntagDeliveryStream`: removes the tags; keys the stream does not have are ignored. */
  public untagDeliveryStream(input: UntagDeliveryStreamInput, context: RequestContext): JsonObject {
    this.settleAll(context.now);
    this.requireTaggable(input.DeliveryStreamName, context).tags.remove(input.TagKeys);
    return {};
  }

  /** `ListTagsForDeliveryStream`: a page of tags in key order, after `ExclusiveStartTagKey`. */
  public listTagsForDeliveryStream(input: ListTagsForDeliveryStreamInput, context: RequestContext): JsonObject {
    this.settleAll(context.now);
    const stream = this.requireStream(input.DeliveryStreamName, context);
    return { ...stream.tags.page(input.ExclusiveStartTagKey, input.Limit ?? DEFAULT_TAG_PAGE) };
  }

  // ---- control ------------------------------------------------------------------------------

  /**
   * Changes the default delays of transitions that start from now on.
   *
   * @returns the delays now in force
   */
  public setDelays(delays: Partial<TransitionDelays>): TransitionDelays {
    this.delays = { ...this.delays, ...checkDelays(delays, 'setDelays') };
    return { ...this.delays };
  }

  /**
   * Overrides delays for one stream name (the stream need not exist yet), or removes the
   * overrides with `null`. Applies to transitions that start from now on.
   */
  public setStreamDelays(name: string, delays: Partial<TransitionDelays> | null): TransitionDelays {
    checkStreamName(name, 'setStreamDelays');
    if (delays === null) {
      this.streamDelays.delete(name);
    } else {
      this.streamDelays.set(name, { ...this.streamDelays.get(name), ...checkDelays(delays, 'setStreamDelays') });
    }
    return this.delaysFor(name);
  }

  /**
   * Creates a stream directly in any state; see {@link StreamSpec}.
   *
   * @throws ControlError when the spec is invalid or the stream exists
   */
  public createStream(spec: StreamSpec): DeliveryStreamSnapshot {
    if (!isJsonObject(spec)) throw new ControlError('createStream: expected a stream spec object');
    const name = checkStreamName(spec.name, 'createStream');
    const now = this.options.clock.now();
    this.settleAll(now);
    if (this.streams.has(name)) throw new ControlError(`createStream: stream ${name} already exists; delete it first`);
    const type = spec.type ?? 'DirectPut';
    if (!Object.prototype.hasOwnProperty.call(STREAM_TYPES, type)) throw new ControlError(`createStream: unknown type '${type}'`);
    const status = spec.status ?? 'ACTIVE';
    if (!Object.prototype.hasOwnProperty.call(STREAM_STATUSES, status)) throw new ControlError(`createStream: unknown status '${status}'`);
    const delays = this.delaysFor(name);
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
        {
          DeliveryStreamName: name,
          KinesisStreamSourceConfiguration: {
            KinesisStreamARN: spec.kinesisStreamArn ?? formatArn({ ...this.arnBase('kinesis'), resource: `stream/${name}-source` }),
            RoleARN: spec.roleArn ?? formatArn({ ...this.arnBase('iam'), region: '', resource: `role/firehose-${name}` }),
          },
        },
        now,
      ),
      encryption: this.encryptionFromSpec(spec.encryption, now, delays, unknown),
      encryptionCalls: [],
      tags: new TagSet(checkTags(spec.tags, 'createStream')),
    };
    const used = spec.encryptionCallsInWindow ?? 0;
    if (!Number.isInteger(used) || used < 0) throw new ControlError('createStream: encryptionCallsInWindow must be an integer >= 0');
    stream.encryptionCalls = Array.from({ length: used }, () => now);
    this.streams.set(name, stream);
    return this.snapshotOf(stream, now);
  }

  /**
   * Removes a stream at once, whatever its state (an encryption change in progress is dropped).
   *
   * @returns whether there was such a stream
   */
  public deleteStream(name: string): boolean {
    this.settleAll(this.options.clock.now());
    return this.streams.delete(checkStreamName(name, 'deleteStream'));
  }

  /**
   * Makes the next accepted Start on a stream (which need not exist yet) end `ENABLING_FAILED`
   * with `failure`, whatever its key.
   */
  public failNextStart(name: string, failure: FailureDescription): void {
    this.forcedStartFailures.set(checkStreamName(name, 'failNextStart'), checkFailure(failure, 'failNextStart'));
  }

  /** Makes the next accepted Stop on a stream end `DISABLING_FAILED` with `failure`. */
  public failNextStop(name: string, failure: FailureDescription): void {
    this.forcedStopFailures.set(checkStreamName(name, 'failNextStop'), checkFailure(failure, 'failNextStop'));
  }

  /** Drops every forced Start/Stop failure. */
  public clearForcedFailures(): void {
    this.forcedStartFailures.clear();
    this.forcedStopFailures.clear();
  }

  /** A stream's snapshot, or `undefined` when there is no such stream. */
  public stream(name: string): DeliveryStreamSnapshot | undefined {
    const now = this.options.clock.now();
    this.settleAll(now);
    const stream = this.streams.get(name);
    return stream && this.snapshotOf(stream, now);
  }

  /** Everything the backend holds, settled to now. */
  public snapshot(): FirehoseSnapshot {
    const now = this.options.clock.now();
    this.settleAll(now);
    return {
      delays: { ...this.delays },
      streamDelays: Object.fromEntries([...this.streamDelays].map(([name, d]) => [name, { ...d }])),
      encryptionCallLimit: { ...this.limit },
      streams: [...this.streams.values()].sort((a, b) => a.name.localeCompare(b.name)).map((stream) => this.snapshotOf(stream, now)),
      forcedFailures: {
        start: Object.fromEntries([...this.forcedStartFailures].map(([name, f]) => [name, { ...f }])),
        stop: Object.fromEntries([...this.forcedStopFailures].map(([name, f]) => [name, { ...f }])),
      },
    };
  }

  /** Drops every stream, override and forced failure; delays back to the initial ones. */
  public reset(): void {
    this.streams.clear();
    this.streamDelays.clear();
    this.forcedStartFailures.clear();
    this.forcedStopFailures.clear();
    this.delays = { ...this.initialDelays };
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

  /** The delays in force for a stream name: defaults overridden by the stream's own. */
  private delaysFor(name: string): TransitionDelays {
    return { ...this.delays, ...this.streamDelays.get(name) };
  }

  /** A stream, or `ResourceNotFoundException`. */
  private requireStream(name: string, context: RequestContext): StreamRecord {
    const stream = this.streams.get(name);
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
    const arn = selection.keyArn;
    const lookup = this.options.keys.find(arn);
    if (!lookup.found) {
      return { Type: 'KMS_KEY_NOT_FOUND', Details: `Firehose could not use KMS key ${arn}: ${lookup.message} (KMS ${lookup.errorName}).` };
    }
    const key = lookup.metadata;
    switch (key.KeyState) {
      case 'Enabled':
        break;
      case 'Disabled':
        return { Type: 'DISABLED_KMS_KEY', Details: `Firehose could not use KMS key ${key.Arn}: the key is disabled (KMS DisabledException).` };
      case 'PendingDeletion':
        return { Type: 'INVALID_KMS_KEY', Details: `Firehose could not use KMS key ${key.Arn}: the key is pending deletion (KMS KMSInvalidStateException).` };
      default:
        return { Type: 'INVALID_KMS_KEY', Details: `Firehose could not use KMS key ${key.Arn}: the key is in state ${key.KeyState} (KMS KMSInvalidStateException).` };
    }
    if (key.KeySpec !== 'SYMMETRIC_DEFAULT' || key.KeyUsage !== 'ENCRYPT_DECRYPT') {
      return {
        Type: 'INVALID_KMS_KEY',
        Details: `Firehose could not use KMS key ${key.Arn}: it has KeySpec ${key.KeySpec} and KeyUsage ${key.KeyUsage}, but Firehose supports only symmetric keys (SYMMETRIC_DEFAULT) with KeyUsage ENCRYPT_DECRYPT.`,
      };
    }
    return undefined;
  }

  /** Spends one Start/Stop call of the rolling window, or throws `LimitExceededException`. */
  private consumeEncryptionCall(stream: StreamRecord, now: number): void {
    stream.encryptionCalls = stream.encryptionCalls.filter((at) => at > now - this.limit.windowMs);
    if (stream.encryptionCalls.length >= this.limit.calls) throw FirehoseErrors.limitExceeded(stream.name, this.limit);
    stream.encryptionCalls.push(now);
  }

  /** Marks an accepted change: new `VersionId` and `LastUpdateTimestamp`. */
  private touch(stream: StreamRecord, now: number): void {
    stream.versionId += 1;
    stream.lastUpdatedAt = now;
    this.settle(stream, now);
  }

  /** Settles every stream. */
  private settleAll(now: number): void {
    for (const stream of [...this.streams.values()]) this.settle(stream, now);
  }

  /** Completes every transition of a stream whose end time has passed. */
  private settle(stream: StreamRecord, now: number): void {
    if (stream.status === 'CREATING' && stream.statusChangesAt !== undefined && now >= stream.statusChangesAt) {
      stream.status = stream.creationFailure ? 'CREATING_FAILED' : 'ACTIVE';
      stream.failureDescription = stream.creationFailure;
      stream.lastUpdatedAt = stream.statusChangesAt;
      stream.statusChangesAt = undefined;
    }
    const change = stream.encryption.change;
    if (change && now >= change.completesAt) this.completeChange(stream, change);
    if (stream.status === 'DELETING' && stream.statusChangesAt !== undefined && now >= stream.statusChangesAt) {
      this.streams.delete(stream.name);
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

  /** The `Source` member of the description. */
  private sourceDescription(type: DeliveryStreamType, input: CreateDeliveryStreamInput, startAt: number): JsonObject | undefined {
    switch (type) {
      case 'DirectPut':
        return input.DirectPutSourceConfiguration
          ? { DirectPutSourceDescription: { ThroughputHintInMBs: input.DirectPutSourceConfiguration.ThroughputHintInMBs } }
          : undefined;
      case 'KinesisStreamAsSource':
        return input.KinesisStreamSourceConfiguration
          ? {
            KinesisStreamSourceDescription: {
              KinesisStreamARN: input.KinesisStreamSourceConfiguration.KinesisStreamARN,
              RoleARN: input.KinesisStreamSourceConfiguration.RoleARN,
              DeliveryStartTimestamp: epochSeconds(startAt),
            },
          }
          : undefined;
      case 'MSKAsSource':
        return input.MSKSourceConfiguration ? { MSKSourceDescription: { ...input.MSKSourceConfiguration } } : undefined;
      case 'DatabaseAsSource':
        return input.DatabaseSourceConfiguration ? { DatabaseSourceDescription: { ...input.DatabaseSourceConfiguration } } : undefined;
    }
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
      encryptionCalls: {
        inWindow: stream.encryptionCalls.filter((at) => at > now - this.limit.windowMs).length,
        limit: this.limit.calls,
        windowMs: this.limit.windowMs,
      },
      delays: this.delaysFor(stream.name),
      tags: stream.tags.toRecord(),
    };
  }
}

/** `InvalidArgumentException` when a request names a tag key twice. */
function checkUniqueKeys(keys: readonly string[]): void {
  const duplicate = keys.find((key, i) => keys.indexOf(key) !== i);
  if (duplicate !== undefined) throw FirehoseErrors.invalidArgument(`Tag key ${duplicate} is given more than once.`);
}

/**
 * The Firehose service module (`Firehose_20150804.*`) over a {@link FirehoseBackend}.
 *
 * Built-in rate limits per account: `DescribeDeliveryStream` 10/s, `StartDeliveryStreamEncryption`,
 * `StopDeliveryStreamEncryption`, `TagDeliveryStream`, `UntagDeliveryStream` and
 * `ListTagsForDeliveryStream` 5/s each (the tag operations' documented rate); the other operations
 * get the generous default.
 */
export function firehoseService(backend: FirehoseBackend): ServiceModule {
  return {
    id: 'firehose',
    targetPrefix: 'Firehose_20150804',
    validationErrorName: 'InvalidArgumentException',
    operations: {
      CreateDeliveryStream: defineOperation<CreateDeliveryStreamInput>({
        input: Firehose.CreateDeliveryStreamInput,
        resourceMember: 'DeliveryStreamName',
        handle: (input, context) => backend.createDeliveryStream(input, context),
      }),
      DescribeDeliveryStream: defineOperation<StreamNameInput>({
        input: Firehose.DescribeDeliveryStreamInput,
        resourceMember: 'DeliveryStreamName',
        throttle: { ratePerSecond: 10 },
        handle: (input, context) => backend.describeDeliveryStream(input, context),
      }),
      DeleteDeliveryStream: defineOperation<StreamNameInput>({
        input: Firehose.DeleteDeliveryStreamInput,
        resourceMember: 'DeliveryStreamName',
        handle: (input, context) => backend.deleteDeliveryStream(input, context),
      }),
      ListDeliveryStreams: defineOperation<ListDeliveryStreamsInput>({
        input: Firehose.ListDeliveryStreamsInput,
        handle: (input, context) => backend.listDeliveryStreams(input, context),
      }),
      StartDeliveryStreamEncryption: defineOperation<StartDeliveryStreamEncryptionInput>({
        input: Firehose.StartDeliveryStreamEncryptionInput,
        resourceMember: 'DeliveryStreamName',
        throttle: { ratePerSecond: 5 },
        handle: (input, context) => backend.startDeliveryStreamEncryption(input, context),
      }),
      StopDeliveryStreamEncryption: defineOperation<StreamNameInput>({
        input: Firehose.StopDeliveryStreamEncryptionInput,
        resourceMember: 'DeliveryStreamName',
        throttle: { ratePerSecond: 5 },
        handle: (input, context) => backend.stopDeliveryStreamEncryption(input, context),
      }),
      TagDeliveryStream: defineOperation<TagDeliveryStreamInput>({
        input: Firehose.TagDeliveryStreamInput,
        resourceMember: 'DeliveryStreamName',
        throttle: { ratePerSecond: 5 },
        handle: (input, context) => backend.tagDeliveryStream(input, context),
      }),
      UntagDeliveryStream: defineOperation<UntagDeliveryStreamInput>({
        input: Firehose.UntagDeliveryStreamInput,
        resourceMember: 'DeliveryStreamName',
        throttle: { ratePerSecond: 5 },
        handle: (input, context) => backend.untagDeliveryStream(input, context),
      }),
      ListTagsForDeliveryStream: defineOperation<ListTagsForDeliveryStreamInput>({
        input: Firehose.ListTagsForDeliveryStreamInput,
        resourceMember: 'DeliveryStreamName',
        throttle: { ratePerSecond: 5 },
        handle: (input, context) => backend.listTagsForDeliveryStream(input, context),
      }),
    },
  };
}
