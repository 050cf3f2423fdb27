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

/** Which kind of stream a custom resource manages. */
export type StreamKind = 'firehose' | 'kinesis';

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
  readonly StreamKind: Extract<StreamKind, 'firehose'>;
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

/** Attributes returned in the response `Data` (readable with `Fn::GetAtt`). */
export interface DeliveryStreamEncryptionResponseData {
  /** The key type now applied. */
  readonly KeyType: string;
  /** The key ARN now applied (empty for `AWS_OWNED_CMK` and after a delete). */
  readonly KeyArn: string;
  /** The stream's encryption status when the handler answered. */
  readonly EncryptionStatus: string;
}

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
  readonly StreamKind: Extract<StreamKind, 'kinesis'>;
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

/** Attributes of a data stream encryption returned in the response `Data`. */
export interface DataStreamEncryptionResponseData {
  /** The encryption type now applied: `KMS`, or `NONE` after a delete. */
  readonly EncryptionType: string;
  /** The key now applied (empty after a delete). */
  readonly KeyId: string;
  /** The stream's status when the handler answered. */
  readonly StreamStatus: string;
}

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
