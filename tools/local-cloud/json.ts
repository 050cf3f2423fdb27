/**
 * JSON value types and small helpers shared by the local cloud's protocol code.
 *
 * @module
 */

/** A JSON scalar. */
export type JsonPrimitive = string | number | boolean | null;

/** Any value that survives `JSON.parse(JSON.stringify(value))` unchanged. */
export type JsonValue = JsonPrimitive | JsonValue[] | JsonObject;

/**
 * A JSON object. Members may be `undefined` so that optional response members can be written
 * inline; `JSON.stringify` drops them, exactly as an absent member.
 */
export interface JsonObject {
  [member: string]: JsonValue | undefined;
}

/** Whether `value` is a plain JSON object (not an array, not `null`). */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A timestamp as the AWS JSON 1.0/1.1 protocols write it by default: seconds since the epoch as a
 * JSON number, with millisecond precision in the fraction (the SDK parses it with
 * `parseEpochTimestamp`).
 *
 * @param epochMs - milliseconds since the epoch
 */
export function epochSeconds(epochMs: number): number {
  return Math.round(epochMs) / 1000;
}
