/**
 * The custom resource's contract: property names, types and their wire format.
 *
 * This module is imported by both the constructs (`src/`) and the handler
 * (`lambda/`, bundled by esbuild), so the two sides cannot drift apart. It must
 * stay free of CDK imports. It is not part of the public jsii API.
 *
 * CloudFormation delivers every scalar resource property to the handler as a
 * string, so numbers and booleans are encoded as strings here on purpose.
 */

/** The CloudFormation resource type of a delivery stream encryption. */
export const DELIVERY_STREAM_ENCRYPTION_RESOURCE_TYPE = 'Custom::DeliveryStreamEncryption';

/** The CloudFormation resource type of a Kinesis data stream encryption. */
export const DATA_STREAM_ENCRYPTION_RESOURCE_TYPE = 'Custom::DataStreamEncryption';

/** The values of the `StreamKind` resource property: which kind of stream a custom resource manages. */
export type StreamKindValue = 'firehose' | 'kinesis';

/** Key types accepted by `StartDeliveryStreamEncryption`. */
export type FirehoseKeyType = 'AWS_OWNED_CMK' | 'CUSTOMER_MANAGED_CMK';

/** What to do with the stream's encryption when the resource is deleted. */
export type RemovalBehaviour = 'destroy' | 'retain';

/** Lower and upper bound of the resource timeout, in seconds. */
export const MIN_TIMEOUT_SECONDS = 60;
export const MAX_TIMEOUT_SECONDS = 14 * 60;
/** Default resource timeout, in seconds. */
export const DEFAULT_TIMEOUT_SECONDS = 10 * 60;
/** Upper bound and default of the settle time after ENABLED, in seconds. */
export const MAX_SETTLE_SECONDS = 60;
export const DEFAULT_SETTLE_SECONDS = 5;
/** The handler Lambda's own timeout, in seconds (the Lambda maximum). */
export const HANDLER_TIMEOUT_SECONDS = 15 * 60;

/** A delivery stream name as the Firehose API accepts it. */
export const DELIVERY_STREAM_NAME_PATTERN = /^[a-zA-Z0-9_.-]{1,64}$/;

/**
 * Properties of a `Custom::DeliveryStreamEncryption` resource, exactly as the
 * handler receives them in `event.ResourceProperties` (minus `ServiceToken`).
 */
export interface DeliveryStreamEncryptionResourceProperties {
  /** Always `firehose` for this resource type. */
  readonly StreamKind: Extract<StreamKindValue, 'firehose'>;
  /** Name of the delivery stream to encrypt. */
  readonly DeliveryStreamName: string;
  /** `AWS_OWNED_CMK` or `CUSTOMER_MANAGED_CMK`. */
  readonly KeyType: FirehoseKeyType;
  /** ARN of the customer managed key; present only with `CUSTOMER_MANAGED_CMK`. */
  readonly KeyArn?: string;
  /** Seconds the handler may wait for the stream before answering FAILED (string-encoded integer). */
  readonly TimeoutSeconds: string;
  /** Seconds to wait after ENABLED before answering SUCCESS (string-encoded integer). */
  readonly SettleSeconds: string;
  /** `destroy`: stop SSE when the resource is deleted; `retain`: leave it on. */
  readonly RemovalPolicy: RemovalBehaviour;
}

/**
 * The properties that change what the handler does to the stream. An Update
 * that changes none of these is answered SUCCESS with no API call.
 */
export const FUNCTIONAL_PROPERTIES: ReadonlyArray<keyof DeliveryStreamEncryptionResourceProperties> = [
  'StreamKind',
  'DeliveryStreamName',
  'KeyType',
  'KeyArn',
];

/**
 * Attributes returned in the response `Data` (readable with `Fn::GetAtt`).
 * The constructs read them by these names (see {@link DELIVERY_STREAM_ATTRIBUTES}).
 */
export interface DeliveryStreamEncryptionResponseData {
  /** The name of the delivery stream now encrypted as wanted (empty but in the SUCCESS of a Create or Update). */
  readonly DeliveryStreamName: string;
  /** The key type now applied. */
  readonly KeyType: string;
  /** The key ARN now applied (empty for `AWS_OWNED_CMK` and after a delete). */
  readonly KeyArn: string;
  /** The stream's encryption status when the handler answered. */
  readonly EncryptionStatus: string;
}

/** The attribute names of a delivery stream encryption, for `getAttString`. */
export const DELIVERY_STREAM_ATTRIBUTES: { readonly [K in keyof DeliveryStreamEncryptionResponseData]: K } = {
  DeliveryStreamName: 'DeliveryStreamName',
  KeyType: 'KeyType',
  KeyArn: 'KeyArn',
  EncryptionStatus: 'EncryptionStatus',
};

/**
 * The stable physical resource id of a managed delivery stream encryption:
 * derived from the stream, never from the request, so repeated or retried
 * events keep the same id, and a new stream name yields a new id (which makes
 * CloudFormation delete the old one after a replacement).
 */
export function firehosePhysicalId(deliveryStreamName: string): string {
  return `firehose:${deliveryStreamName}`;
}

/**
 * Suffix of the physical id of a Create that failed before it called Start.
 * A Delete of such a resource must not touch the stream: its encryption, if
 * any, was never ours.
 */
export const NOT_STARTED_SUFFIX = '#not-started';

/**
 * The key of the tag the handler writes on a stream it encrypted (Create,
 * Update), naming the custom resource that manages the stream; a Delete by
 * any other resource leaves the stream's encryption alone. Its characters are
 * those both Firehose and Kinesis document for tag keys (no `:`). The
 * handler's role may tag and untag the streams it manages with this key only.
 */
export const OWNER_TAG_KEY = 'cdk-stream-encryption/managed-by';

/**
 * The key of the tag a copy of a request writes with its claim, and removes
 * when it is done: this prefix and the copy's nonce (8 hex digits). A claim in
 * the owner tag is replaced by the next copy's; these tags stay side by side,
 * so a copy that reads its claim back sees every copy that claimed the stream
 * before its read-back.
 */
export const COPY_TAG_PREFIX = 'cdk-stream-encryption/copy/';

/**
 * Encode typed properties into the CloudFormation property bag.
 * `undefined` members are dropped.
 */
export function encodeDeliveryStreamEncryptionProperties(
  props: DeliveryStreamEncryptionResourceProperties,
): Record<string, string> {
  return encodeProperties(props);
}

/** The property bag of any resource of the contract: its defined members. */
function encodeProperties(props: object): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(props)) {
    if (v !== undefined) {
      out[k] = v as string;
    }
  }
  return out;
}

// ---- Kinesis data streams ----------------------------------------------------

/** A Kinesis data stream name as the Kinesis API accepts it. */
export const DATA_STREAM_NAME_PATTERN = /^[a-zA-Z0-9_.-]{1,128}$/;

/**
 * The `KeyId` of the key that Kinesis Data Streams owns and manages
 * (the AWS managed key `aws/kinesis` of the stream's account and region).
 */
export const KINESIS_MANAGED_KEY_ID = 'alias/aws/kinesis';

/**
 * Properties of a `Custom::DataStreamEncryption` resource, exactly as the
 * handler receives them in `event.ResourceProperties` (minus `ServiceToken`).
 */
export interface DataStreamEncryptionResourceProperties {
  /** Always `kinesis` for this resource type. */
  readonly StreamKind: Extract<StreamKindValue, 'kinesis'>;
  /** Name of the data stream to encrypt. */
  readonly StreamName: string;
  /** ARN of the same data stream (the API calls name the stream by both). */
  readonly StreamArn: string;
  /** ARN of the customer managed key, or {@link KINESIS_MANAGED_KEY_ID}. */
  readonly KeyId: string;
  /** Seconds the handler may wait for the stream before answering FAILED (string-encoded integer). */
  readonly TimeoutSeconds: string;
  /** Seconds to wait after the stream is ACTIVE with the key before answering SUCCESS (string-encoded integer). */
  readonly SettleSeconds: string;
  /** `destroy`: stop SSE when the resource is deleted; `retain`: leave it on. */
  readonly RemovalPolicy: RemovalBehaviour;
}

/**
 * The properties of a data stream encryption that change what the handler
 * does to the stream. An Update that changes none of these is answered
 * SUCCESS with no API call.
 */
export const DATA_STREAM_FUNCTIONAL_PROPERTIES: ReadonlyArray<keyof DataStreamEncryptionResourceProperties> = [
  'StreamKind',
  'StreamName',
  'StreamArn',
  'KeyId',
];

/**
 * Attributes of a data stream encryption returned in the response `Data`.
 * The constructs read them by these names (see {@link DATA_STREAM_ATTRIBUTES}).
 */
export interface DataStreamEncryptionResponseData {
  /** The name of the data stream now encrypted as wanted (empty but in the SUCCESS of a Create or Update). */
  readonly StreamName: string;
  /** The ARN of that data stream (empty when the name is). */
  readonly StreamArn: string;
  /** The encryption type now applied: `KMS`, or `NONE` after a delete. */
  readonly EncryptionType: string;
  /** The key now applied (empty after a delete). */
  readonly KeyId: string;
  /** The stream's status when the handler answered. */
  readonly StreamStatus: string;
}

/** The attribute names of a data stream encryption, for `getAttString`. */
export const DATA_STREAM_ATTRIBUTES: { readonly [K in keyof DataStreamEncryptionResponseData]: K } = {
  StreamName: 'StreamName',
  StreamArn: 'StreamArn',
  EncryptionType: 'EncryptionType',
  KeyId: 'KeyId',
  StreamStatus: 'StreamStatus',
};

/**
 * The stable physical resource id of a managed data stream encryption,
 * derived from the stream like {@link firehosePhysicalId}.
 */
export function kinesisPhysicalId(streamName: string): string {
  return `kinesis:${streamName}`;
}

/**
 * Encode typed data stream properties into the CloudFormation property bag.
 * `undefined` members are dropped.
 */
export function encodeDataStreamEncryptionProperties(
  props: DataStreamEncryptionResourceProperties,
): Record<string, string> {
  return encodeProperties(props);
}

// ---- Prior state and owner tag encodings (shared with the constructs) -------

/**
 * Marker between a physical id and the encryption its stream had before the
 * resource first took it: `firehose:orders#prior=none`.
 */
export const PRIOR_MARKER = '#prior=';

/** The recorded prior state of a stream that was not encrypted. */
export const PRIOR_NONE = 'none';

/** The recorded prior state of a delivery stream encrypted with the AWS owned key. */
export const PRIOR_AWS_OWNED = 'AWS_OWNED_CMK';

/**
 * The recorded prior state of a stream whose encryption before the resource
 * took it could not be learned (in a transition, unreadable, managed by
 * another resource that recorded none): its Delete leaves the encryption on.
 */
export const PRIOR_UNKNOWN = 'unknown';

/** A physical id, taken apart. */
export interface ParsedPhysicalId {
  /** The id of the stream's encryption (`firehose:<stream>`, `kinesis:<stream>`). */
  readonly base: string;
  /**
   * The stream's encryption before the resource took it: {@link PRIOR_NONE},
   * {@link PRIOR_AWS_OWNED} or a key; absent in ids that record none.
   */
  readonly prior?: string;
  /** The Create failed before it called Start ({@link NOT_STARTED_SUFFIX}). */
  readonly notStarted: boolean;
}

/** The physical id `base` recording the stream's `prior` encryption. */
export function withPrior(base: string, prior: string): string {
  return `${base}${PRIOR_MARKER}${prior}`;
}

/** Take a physical id apart (ids of every version of the handler). */
export function parsePhysicalId(id: string): ParsedPhysicalId {
  const notStarted = id.endsWith(NOT_STARTED_SUFFIX);
  const rest = notStarted ? id.slice(0, -NOT_STARTED_SUFFIX.length) : id;
  const at = rest.indexOf(PRIOR_MARKER);
  if (at < 0) {
    return { base: rest, notStarted };
  }
  const prior = rest.slice(at + PRIOR_MARKER.length);
  return { base: rest.slice(0, at), prior: prior === '' ? undefined : prior, notStarted };
}

/**
 * The owner tag's value, taken apart: the resource that manages the stream
 * (or is taking it: the tag is written before the first Start), the one that
 * did before, and the stream's encryption before any resource took it.
 */
export interface OwnerTag {
  /** The resource that manages the stream. */
  readonly owner: string;
  /** The resource that managed it before (a rename's old resource), if any. */
  readonly previous?: string;
  /**
   * The stream's encryption before the first resource took it
   * ({@link PRIOR_NONE}, {@link PRIOR_AWS_OWNED}, a key, or
   * {@link PRIOR_UNKNOWN}): what the last owner's Delete puts back. Kept
   * through every hand-over; absent in tags of older versions.
   */
  readonly prior?: string;
  /**
   * While a request is about to Start: the nonce of the copy of the request
   * that claimed the stream (one event may be delivered more than once).
   * Absent once the stream is encrypted as wanted.
   */
  readonly claim?: string;
}

/** Separates the owner, the previous owner and the prior state in the tag value. */
const OWNER_SEPARATOR = ' ';

/** Marks the prior state in the owner tag value: `<owner> prior=none`. */
const PRIOR_TAG_FIELD = 'prior=';

/** Marks the claim of a copy of a request in the owner tag value: `<owner> prior=none claim=0a1b2c3d`. */
const CLAIM_TAG_FIELD = 'claim=';

/** Shortest readable owner kept in a tag value: its identity (16 hex digits). */
const MIN_OWNER_LENGTH = 16;

/**
 * A prior state as a tag value can hold it. Kinesis tag values may hold
 * "letters, digits, white space, and _ . / = + - % @" (Kinesis API
 * reference, `Tag`), and Firehose's documentation lists the same: the `:` of
 * a key ARN is written `%3A` (and `%` itself `%25`).
 */
function encodeTagText(text: string): string {
  return text.replace(/%/g, '%25').replace(/:/g, '%3A');
}

/** The inverse of {@link encodeTagText}. */
function decodeTagText(text: string): string {
  return text.replace(/%3A/gi, ':').replace(/%25/g, '%');
}

/** Longest tag value both Firehose and Kinesis accept. */
export const MAX_OWNER_TAG_LENGTH = 256;

/**
 * The identity of an owner: the hash an owner value starts with (the part
 * before the first `/`), so that a value cut to fit compares equal.
 */
export function ownerIdentity(owner: string): string {
  const slash = owner.indexOf('/');
  return slash < 0 ? owner : owner.slice(0, slash);
}

/** Whether two owner values name the same resource. */
export function sameOwner(a: string | undefined, b: string | undefined): boolean {
  return a !== undefined && b !== undefined && ownerIdentity(a) === ownerIdentity(b);
}

/**
 * The owner tag value `<owner>[ <previous owner>][ prior=<prior>]`: the
 * previous owner by its identity only, and the owner cut so that all fit
 * {@link MAX_OWNER_TAG_LENGTH}. A prior state too long to fit beside the
 * owner's identity is written as {@link PRIOR_UNKNOWN}.
 */
export function formatOwnerTag(tag: OwnerTag): string {
  const previous = tag.previous === undefined ? [] : [ownerIdentity(tag.previous)];
  const claim = tag.claim === undefined ? [] : [`${CLAIM_TAG_FIELD}${encodeTagText(tag.claim)}`];
  let prior = tag.prior === undefined ? [] : [`${PRIOR_TAG_FIELD}${encodeTagText(tag.prior)}`];
  const room = (fields: string[]) => MAX_OWNER_TAG_LENGTH - fields.reduce((sum, field) => sum + field.length + OWNER_SEPARATOR.length, 0);
  if (prior.length > 0 && room([...previous, ...prior, ...claim]) < MIN_OWNER_LENGTH) {
    prior = [`${PRIOR_TAG_FIELD}${PRIOR_UNKNOWN}`];
  }
  const rest = [...previous, ...prior, ...claim];
  return [tag.owner.slice(0, room(rest)), ...rest].join(OWNER_SEPARATOR);
}

/**
 * Parse an owner tag value of any version (`<owner>`, `<owner> <previous
 * owner>`, either with ` prior=<prior>` and ` claim=<nonce>`); `undefined` when empty.
 */
export function parseOwnerTag(value: string | undefined): OwnerTag | undefined {
  const fields = (value ?? '').trim().split(/\s+/).filter((field) => field !== '');
  const priorField = fields.find((field) => field.startsWith(PRIOR_TAG_FIELD));
  const claimField = fields.find((field) => field.startsWith(CLAIM_TAG_FIELD));
  const [owner, previous] = fields.filter((field) => field !== priorField && field !== claimField);
  if (!owner) {
    return undefined;
  }
  const prior = decodeTagText(priorField?.slice(PRIOR_TAG_FIELD.length) ?? '') || undefined;
  const claim = decodeTagText(claimField?.slice(CLAIM_TAG_FIELD.length) ?? '') || undefined;
  return { owner, ...(previous ? { previous } : {}), ...(prior ? { prior } : {}), ...(claim ? { claim } : {}) };
}

/**
 * The tag on a guarded stream that counts the guard's repairs of one UTC
 * day, `<YYYY-MM-DD>/<count>`: kept on the stream itself, so that it
 * survives invocations and needs no store of its own, and writable by the
 * guard only (its tag permission names this key alone).
 */
export const REPAIRS_TAG_KEY = 'cdk-stream-encryption/repairs';

/**
 * Repairs per stream per UTC day when the guard is given no cap. Firehose
 * allows 25 Start and Stop calls per stream in a rolling 24 hours, and a
 * repair costs two (the Stop it answers, and its own Start). A rolling 24
 * hours can span two UTC days: 2 × 2 × 5 = 20 calls, which leaves 5 for the
 * stack's own deploys (a Start per key change, a Stop per removal).
 */
export const DEFAULT_MAX_REPAIRS_PER_STREAM_PER_DAY = 5;

/**
 * Most repairs per stream per UTC day the guard may be allowed: 12 Stops
 * and 12 repairs, and the Stop that reaches the cap, are Firehose's 25 calls.
 */
export const MAX_REPAIRS_PER_STREAM_PER_DAY = 12;

/**
 * The input of the guard's function, as each stream's EventBridge rule
 * builds it: the desired state, from the construct, and the CloudTrail
 * event's `detail`.
 */
export interface RepairInput {
  /** The custom resource type of the stream's encryption (which kind of stream). */
  readonly ResourceType: string;
  /** The custom resource's properties: the desired encryption. */
  readonly Properties: Readonly<Record<string, string>>;
  /** The stack's id (`AWS::StackId`), for the owner tag value. */
  readonly StackId: string;
  /** The custom resource's logical id, for the owner tag value. */
  readonly LogicalResourceId: string;
  /** The construct's path, for logs and alerts. */
  readonly ConstructPath: string;
  /** The roles whose calls are the stack's own: the provider's and the guard's. */
  readonly IgnoredRoleArns: ReadonlyArray<string>;
  /** Repairs of this stream allowed per UTC day. */
  readonly MaxRepairsPerDay: string;
  /** Where the alerts go. */
  readonly AlertTopicArn: string;
  /** The CloudTrail event's `detail`. */
  readonly Detail: unknown;
}

