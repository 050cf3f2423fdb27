/**
 * Parsing and validation of the custom resource's request: its type and its
 * string-encoded `ResourceProperties`. Every problem becomes a
 * {@link HandlerFailure} naming the property and the fix, before any AWS call.
 */
import { HandlerFailure } from './reasons';
import {
  DATA_STREAM_NAME_PATTERN,
  DataStreamEncryptionResourceProperties,
  DELIVERY_STREAM_NAME_PATTERN,
  DeliveryStreamEncryptionResourceProperties,
  FirehoseKeyType,
  FUNCTIONAL_PROPERTIES,
  KINESIS_MANAGED_KEY_ID,
  MAX_SETTLE_SECONDS,
  MAX_TIMEOUT_SECONDS,
  RemovalBehaviour,
} from '../src/private/contract';

/** The CloudFormation request types the handler answers. */
export type RequestType = 'Create' | 'Update' | 'Delete';

/** The validated, typed resource properties. */
export interface EncryptionProperties {
  /** Name of the delivery stream. */
  readonly streamName: string;
  /** The wanted key type. */
  readonly keyType: FirehoseKeyType;
  /** The wanted key's ARN (key or alias ARN); only with `CUSTOMER_MANAGED_CMK`. */
  readonly keyArn?: string;
  /** Seconds the handler may wait for the stream. */
  readonly timeoutSeconds: number;
  /** Seconds to wait after ENABLED before answering SUCCESS. */
  readonly settleSeconds: number;
  /** What a Delete does to the stream's encryption. */
  readonly removalPolicy: RemovalBehaviour;
}

/** The validated, typed properties of a data stream encryption. */
export interface DataStreamProperties {
  /** Name of the data stream. */
  readonly streamName: string;
  /** ARN of the data stream. */
  readonly streamArn: string;
  /** The wanted key: a key ARN, or `alias/aws/kinesis`. */
  readonly keyId: string;
  /** Seconds the handler may wait for the stream. */
  readonly timeoutSeconds: number;
  /** Seconds to wait after the stream is ACTIVE with the key before answering SUCCESS. */
  readonly settleSeconds: number;
  /** What a Delete does to the stream's encryption. */
  readonly removalPolicy: RemovalBehaviour;
}

/** A property of either resource type. */
type PropertyName = keyof DeliveryStreamEncryptionResourceProperties | keyof DataStreamEncryptionResourceProperties;

/**
 * The smallest timeout the handler accepts, in seconds. (The construct
 * enforces a larger minimum; the handler only guards against nonsense.)
 */
export const MIN_HANDLER_TIMEOUT_SECONDS = 1;

/** The ARN of a KMS key or alias, in any partition. */
export const KEY_ARN_PATTERN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)\/[a-zA-Z0-9/_+=,.@-]+$/;

/** The ARN of a KMS key (not an alias), in any partition. */
const KMS_KEY_ARN_PATTERN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[a-zA-Z0-9-]+$/;

/** The ARN of a Kinesis data stream in any partition; group 1 is its name. */
const DATA_STREAM_ARN_PATTERN = /^arn:aws[a-z-]*:kinesis:[a-z0-9-]+:\d{12}:stream\/([a-zA-Z0-9_.-]{1,128})$/;

/** Longest key ARN accepted (the KMS `KeyId` limit). */
const MAX_KEY_ARN_LENGTH = 2048;

/** Longest property value quoted back in a reason. */
const MAX_QUOTED_LENGTH = 200;

/** Every property of the contract, for log summaries. */
const KNOWN_PROPERTIES: ReadonlyArray<PropertyName> = [
  'StreamKind', 'DeliveryStreamName', 'StreamName', 'StreamArn', 'KeyType', 'KeyArn', 'KeyId', 'TimeoutSeconds', 'SettleSeconds', 'RemovalPolicy',
];

/** The request types, for the narrowing check. */
const REQUEST_TYPES: ReadonlyArray<string> = ['Create', 'Update', 'Delete'];

/**
 * Check the request type.
 *
 * @throws HandlerFailure INVALID_REQUEST_TYPE for anything but Create, Update or Delete.
 */
export function parseRequestType(value: unknown): RequestType {
  if (typeof value === 'string' && REQUEST_TYPES.includes(value)) {
    return value as RequestType;
  }
  throw new HandlerFailure('INVALID_REQUEST_TYPE', { requestType: quote(value) });
}

/**
 * A value as it may be shown in a reason or a log line: strings are cut to a
 * sane length, other values are described by their JSON type.
 */
export function quote(value: unknown): string {
  if (typeof value !== 'string') {
    return typeOf(value);
  }
  return value.length > MAX_QUOTED_LENGTH ? `${value.slice(0, MAX_QUOTED_LENGTH)}…` : value;
}

/** The JSON type name of a value (`null` and `array` are told apart). */
function typeOf(value: unknown): string {
  if (value === null) {
    return 'null';
  }
  if (Array.isArray(value)) {
    return 'array';
  }
  return typeof value;
}

/**
 * The delivery stream name in a property bag, if it is a usable name;
 * `undefined` otherwise. Used to derive physical ids even when other
 * properties are invalid.
 */
export function usableStreamName(bag: unknown): string | undefined {
  const name = isRecord(bag) ? bag.DeliveryStreamName : undefined;
  return typeof name === 'string' && DELIVERY_STREAM_NAME_PATTERN.test(name) ? name : undefined;
}

/**
 * The data stream name in a property bag, if it is a usable name;
 * `undefined` otherwise.
 */
export function usableDataStreamName(bag: unknown): string | undefined {
  const name = isRecord(bag) ? bag.StreamName : undefined;
  return typeof name === 'string' && DATA_STREAM_NAME_PATTERN.test(name) ? name : undefined;
}

/** Whether a value is a plain (non-array) object. */
function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Read one optional string property.
 *
 * @throws HandlerFailure INVALID_PROPERTY if present with another type.
 */
function optionalString(bag: Record<string, unknown>, name: PropertyName): string | undefined {
  const value = bag[name];
  if (value === undefined || value === null) {
    return undefined;
  }
  if (typeof value !== 'string') {
    throw invalid(name, `must be a string, got ${typeOf(value)}`);
  }
  return value;
}

/**
 * Read one required string property.
 *
 * @throws HandlerFailure INVALID_PROPERTY when missing, empty or not a string.
 */
function requiredString(bag: Record<string, unknown>, name: PropertyName): string {
  const value = optionalString(bag, name);
  if (value === undefined || value === '') {
    throw invalid(name, 'is missing');
  }
  return value;
}

/** An INVALID_PROPERTY failure. */
function invalid(property: string, problem: string): HandlerFailure {
  return new HandlerFailure('INVALID_PROPERTY', { property, problem });
}

/**
 * Read a required property that must be one of `allowed`.
 *
 * @throws HandlerFailure INVALID_PROPERTY otherwise.
 */
function oneOf<T extends string>(bag: Record<string, unknown>, name: PropertyName, allowed: ReadonlyArray<T>): T {
  const value = requiredString(bag, name);
  if (!(allowed as ReadonlyArray<string>).includes(value)) {
    throw invalid(name, `must be ${allowed.join(' or ')}, not '${quote(value)}'`);
  }
  return value as T;
}

/**
 * Read a required string-encoded whole number within bounds.
 *
 * @throws HandlerFailure INVALID_PROPERTY otherwise.
 */
function wholeNumber(bag: Record<string, unknown>, name: PropertyName, min: number, max: number): number {
  const text = requiredString(bag, name);
  const value = /^(0|[1-9]\d{0,5})$/.test(text) ? Number(text) : NaN;
  if (!(value >= min && value <= max)) {
    throw invalid(name, `must be a whole number from ${min} to ${max}, not '${quote(text)}'`);
  }
  return value;
}

/**
 * Validate `ResourceProperties` (all strings, as CloudFormation delivers them)
 * and return them typed. Unknown properties (`ServiceToken`, `ServiceTimeout`,
 * future additions) are ignored.
 *
 * @throws HandlerFailure naming the first invalid property.
 */
export function parseProperties(bag: unknown): EncryptionProperties {
  return naming('DeliveryStreamEncryption', () => parseDeliveryStreamProperties(bag));
}

/**
 * Run a parse, naming the construct that writes the properties in its
 * INVALID_PROPERTY reason.
 */
function naming<T>(construct: string, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof HandlerFailure && err.reasonId === 'INVALID_PROPERTY') {
      throw new HandlerFailure('INVALID_PROPERTY', { ...err.params, construct });
    }
    throw err;
  }
}

/** {@link parseProperties}, without the construct's name in its reasons. */
function parseDeliveryStreamProperties(bag: unknown): EncryptionProperties {
  if (!isRecord(bag)) {
    throw invalid('ResourceProperties', 'must be an object');
  }
  oneOf(bag, 'StreamKind', ['firehose']);

  const streamName = requiredString(bag, 'DeliveryStreamName');
  if (!DELIVERY_STREAM_NAME_PATTERN.test(streamName)) {
    throw new HandlerFailure('INVALID_STREAM_NAME', { value: quote(streamName) });
  }

  const keyType = oneOf<FirehoseKeyType>(bag, 'KeyType', ['CUSTOMER_MANAGED_CMK', 'AWS_OWNED_CMK']);
  // An empty KeyArn counts as absent, both ways.
  const keyArn = optionalString(bag, 'KeyArn') || undefined;
  if (keyType === 'CUSTOMER_MANAGED_CMK' && keyArn === undefined) {
    throw new HandlerFailure('KEY_ARN_REQUIRED');
  }
  if (keyType === 'AWS_OWNED_CMK' && keyArn !== undefined) {
    throw new HandlerFailure('KEY_ARN_NOT_ALLOWED', { value: quote(keyArn) });
  }
  if (keyArn !== undefined && (keyArn.length > MAX_KEY_ARN_LENGTH || !KEY_ARN_PATTERN.test(keyArn))) {
    throw new HandlerFailure('INVALID_KEY_ARN', { value: quote(keyArn) });
  }

  return { streamName, keyType, keyArn, ...parseLifecycle(bag) };
}

/**
 * Validate the `ResourceProperties` of a data stream encryption (all strings,
 * as CloudFormation delivers them) and return them typed. Unknown properties
 * are ignored.
 *
 * @throws HandlerFailure naming the first invalid property.
 */
export function parseDataStreamProperties(bag: unknown): DataStreamProperties {
  return naming('DataStreamEncryption', () => parseDataStreamBag(bag));
}

/** {@link parseDataStreamProperties}, without the construct's name in its reasons. */
function parseDataStreamBag(bag: unknown): DataStreamProperties {
  if (!isRecord(bag)) {
    throw invalid('ResourceProperties', 'must be an object');
  }
  oneOf(bag, 'StreamKind', ['kinesis']);

  const streamName = requiredString(bag, 'StreamName');
  if (!DATA_STREAM_NAME_PATTERN.test(streamName)) {
    throw new HandlerFailure('INVALID_DATA_STREAM_NAME', { value: quote(streamName) });
  }
  const streamArn = requiredString(bag, 'StreamArn');
  if (DATA_STREAM_ARN_PATTERN.exec(streamArn)?.[1] !== streamName) {
    throw new HandlerFailure('INVALID_DATA_STREAM_ARN', { value: quote(streamArn), stream: streamName });
  }
  const keyId = requiredString(bag, 'KeyId');
  if (keyId !== KINESIS_MANAGED_KEY_ID && (keyId.length > MAX_KEY_ARN_LENGTH || !KMS_KEY_ARN_PATTERN.test(keyId))) {
    throw new HandlerFailure('INVALID_KEY_ID', { value: quote(keyId) });
  }
  return { streamName, streamArn, keyId, ...parseLifecycle(bag) };
}

/** The properties both resource types share: timeout, settle time and removal policy. */
function parseLifecycle(bag: Record<string, unknown>): Pick<EncryptionProperties, 'timeoutSeconds' | 'settleSeconds' | 'removalPolicy'> {
  const timeoutSeconds = wholeNumber(bag, 'TimeoutSeconds', MIN_HANDLER_TIMEOUT_SECONDS, MAX_TIMEOUT_SECONDS);
  const settleSeconds = wholeNumber(bag, 'SettleSeconds', 0, MAX_SETTLE_SECONDS);
  const removalPolicy = oneOf<RemovalBehaviour>(bag, 'RemovalPolicy', ['destroy', 'retain']);
  return { timeoutSeconds, settleSeconds, removalPolicy };
}

/**
 * Whether an Update changes anything that affects the stream: compares the
 * functional properties (by default the delivery stream's
 * {@link FUNCTIONAL_PROPERTIES}) of the old and new property bags (an absent
 * and an empty value are the same).
 */
export function functionalPropertiesChanged(
  oldBag: unknown,
  newBag: unknown,
  names: ReadonlyArray<string> = FUNCTIONAL_PROPERTIES,
): boolean {
  const oldProps = isRecord(oldBag) ? oldBag : {};
  const newProps = isRecord(newBag) ? newBag : {};
  return names.some((name) => (oldProps[name] ?? '') !== (newProps[name] ?? ''));
}

/**
 * The known properties of a bag, each value quoted, for logging. Never
 * includes properties the handler does not know.
 */
export function summarizeProperties(bag: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of KNOWN_PROPERTIES) {
    if (isRecord(bag) && bag[name] !== undefined) {
      out[name] = quote(bag[name]);
    }
  }
  return out;
}
