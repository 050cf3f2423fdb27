/**
 * Parsing and validation of the custom resource's request, the parts every
 * kind of stream shares: the request type, property readers, the lifecycle
 * properties, quoting, log summaries and the functional-property diff. Every
 * problem becomes a {@link HandlerFailure} naming the property and the fix,
 * before any AWS call.
 */
import { HandlerFailure } from './reasons';
import {
  DataStreamEncryptionResourceProperties,
  DeliveryStreamEncryptionResourceProperties,
  MAX_SETTLE_SECONDS,
  MAX_TIMEOUT_SECONDS,
  RemovalBehaviour,
} from '../../src/private/contract';

export type { RemovalBehaviour };

/** The CloudFormation request types the handler answers. */
export type RequestType = 'Create' | 'Update' | 'Delete';

/** A property of any resource type. */
export type PropertyName = keyof DeliveryStreamEncryptionResourceProperties | keyof DataStreamEncryptionResourceProperties;

/**
 * The smallest timeout the handler accepts, in seconds. (The construct
 * enforces a larger minimum; the handler only guards against nonsense.)
 */
export const MIN_HANDLER_TIMEOUT_SECONDS = 1;

/** Longest key ARN accepted (the KMS `KeyId` limit). */
export const MAX_KEY_ARN_LENGTH = 2048;

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
 * The string property `name` of a bag if it matches `pattern`; `undefined`
 * otherwise. Used to derive physical ids even when other properties are
 * invalid.
 */
export function usableName(bag: unknown, name: PropertyName, pattern: RegExp): string | undefined {
  const value = isRecord(bag) ? bag[name] : undefined;
  return typeof value === 'string' && pattern.test(value) ? value : undefined;
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
export function optionalString(bag: Record<string, unknown>, name: PropertyName): string | undefined {
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
export function requiredString(bag: Record<string, unknown>, name: PropertyName): string {
  const value = optionalString(bag, name);
  if (value === undefined || value === '') {
    throw invalid(name, 'is missing');
  }
  return value;
}

/**
 * An INVALID_PROPERTY failure: `property` and its `problem`, which says what
 * the property must be (the construct always writes valid properties; a
 * hand-written template, or a token that resolves to a bad value, can fail).
 */
export function invalid(property: PropertyName | 'ResourceProperties', problem: string): HandlerFailure {
  return new HandlerFailure('INVALID_PROPERTY', { property, problem });
}

/**
 * Read a required property that must be one of `allowed`.
 *
 * @throws HandlerFailure INVALID_PROPERTY otherwise.
 */
export function oneOf<T extends string>(bag: Record<string, unknown>, name: PropertyName, allowed: ReadonlyArray<T>): T {
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
 * Validate a resource's `ResourceProperties` (all strings, as CloudFormation
 * delivers them): an object whose `StreamKind` is `streamKind`, the rest read
 * by `parse`. An INVALID_PROPERTY reason names `construct`, which writes the
 * properties. Unknown properties (`ServiceToken`, `ServiceTimeout`, future
 * additions) are ignored.
 *
 * @throws HandlerFailure naming the first invalid property.
 */
export function parseBag<T>(bag: unknown, construct: string, streamKind: string, parse: (bag: Record<string, unknown>) => T): T {
  try {
    if (!isRecord(bag)) {
      throw invalid('ResourceProperties', 'must be an object');
    }
    oneOf(bag, 'StreamKind', [streamKind]);
    return parse(bag);
  } catch (err) {
    if (err instanceof HandlerFailure && err.reasonId === 'INVALID_PROPERTY') {
      throw new HandlerFailure('INVALID_PROPERTY', { ...err.params, construct });
    }
    throw err;
  }
}

/** The lifecycle properties of every resource type. */
export interface Lifecycle {
  /** Seconds the handler may wait for the stream. */
  readonly timeoutSeconds: number;
  /** Seconds to wait after the stream got the key before answering SUCCESS. */
  readonly settleSeconds: number;
  /** What a Delete does to the stream's encryption. */
  readonly removalPolicy: RemovalBehaviour;
}

/** The properties every resource type has: timeout, settle time and removal policy. */
export function parseLifecycle(bag: Record<string, unknown>): Lifecycle {
  const timeoutSeconds = wholeNumber(bag, 'TimeoutSeconds', MIN_HANDLER_TIMEOUT_SECONDS, MAX_TIMEOUT_SECONDS);
  const settleSeconds = wholeNumber(bag, 'SettleSeconds', 0, MAX_SETTLE_SECONDS);
  const removalPolicy = oneOf<RemovalBehaviour>(bag, 'RemovalPolicy', ['destroy', 'retain']);
  return { timeoutSeconds, settleSeconds, removalPolicy };
}

/**
 * Whether an Update changes anything that affects the stream: compares the
 * functional properties `names` of the old and new property bags (an absent
 * and an empty value are the same).
 */
export function functionalPropertiesChanged(oldBag: unknown, newBag: unknown, names: ReadonlyArray<string>): boolean {
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
