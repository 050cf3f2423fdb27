/**
 * Request validation against service model shapes, answered the way AWS services answer it.
 *
 * The AWS SDK for JavaScript v3 carries its models as schemas that keep member names, types and
 * `required` but drop constraint traits (`@length`, `@pattern`, `@range`, `@enum` values). The
 * shapes in the service modules restate those constraints from the service models; this module
 * checks a request body against them:
 *
 * - a member of the wrong JSON type is a `SerializationException` (the protocol layer cannot read
 *   it), thrown as {@link SerializationFault};
 * - every violated constraint is reported in one message, worded like the Coral framework behind
 *   the AWS JSON services: `1 validation error detected: Value 'x y' at 'deliveryStreamName'
 *   failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+`.
 *   Each service maps that message to its own error (`InvalidArgumentException` for Firehose,
 *   `ValidationException` for KMS).
 *
 * Members not in a shape are ignored, as the services ignore them. Patterns match the whole value.
 *
 * @module
 */

import { isJsonObject, JsonValue } from './json';

/** A string member: length in code points, a whole-value pattern, or a closed set of values. */
export interface StringShape {
  readonly type: 'string';
  /** Minimum length, inclusive. */
  readonly min?: number;
  /** Maximum length, inclusive. */
  readonly max?: number;
  /** A regular expression (Java/ECMAScript syntax) that the whole value must match. */
  readonly pattern?: string;
  /** The allowed values of an enum. */
  readonly enum?: readonly string[];
}

/** An integer member with an optional inclusive range. */
export interface IntegerShape {
  readonly type: 'integer';
  readonly min?: number;
  readonly max?: number;
}

/** A list member with an optional inclusive length range. */
export interface ListShape {
  readonly type: 'list';
  readonly member: Shape;
  readonly min?: number;
  readonly max?: number;
}

/**
 * A map from string keys to values (for example Kinesis's `TagMap`), with an optional inclusive
 * range of its number of entries.
 */
export interface MapShape {
  readonly type: 'map';
  readonly key: StringShape;
  readonly value: Shape;
  readonly min?: number;
  readonly max?: number;
}

/** A structure: named members, some required. */
export interface StructureShape {
  readonly type: 'structure';
  readonly members: Readonly<Record<string, Shape>>;
  readonly required?: readonly string[];
}

/**
 * A structure the local cloud accepts but does not model member by member (for example a
 * Firehose destination configuration): any JSON object.
 */
export interface DocumentShape {
  readonly type: 'document';
}

/** Any shape the validator understands. */
export type Shape = StringShape | IntegerShape | ListShape | MapShape | StructureShape | DocumentShape;

/** Builders for {@link Shape}s, so that service models read like their Smithy source. */
export const shapes = {
  /** A string; see {@link StringShape}. */
  string(constraints: Omit<StringShape, 'type'> = {}): StringShape {
    return { type: 'string', ...constraints };
  },
  /** A string restricted to `values`. */
  enumOf(values: readonly string[]): StringShape {
    return { type: 'string', enum: values };
  },
  /** An integer; see {@link IntegerShape}. */
  integer(constraints: Omit<IntegerShape, 'type'> = {}): IntegerShape {
    return { type: 'integer', ...constraints };
  },
  /** A list of `member`; see {@link ListShape}. */
  list(member: Shape, constraints: Omit<ListShape, 'type' | 'member'> = {}): ListShape {
    return { type: 'list', member, ...constraints };
  },
  /** A map of `key` to `value`; see {@link MapShape}. */
  map(key: StringShape, value: Shape, constraints: Omit<MapShape, 'type' | 'key' | 'value'> = {}): MapShape {
    return { type: 'map', key, value, ...constraints };
  },
  /** A structure of `members`, of which `required` must be present and not null. */
  structure(members: Readonly<Record<string, Shape>>, required: readonly string[] = []): StructureShape {
    for (const name of required) {
      if (!(name in members)) {
        throw new Error(`shapes.structure: required member ${name} is not a member`);
      }
    }
    return { type: 'structure', members, required };
  },
  /** An unmodelled structure; see {@link DocumentShape}. */
  document(): DocumentShape {
    return { type: 'document' };
  },
} as const;

/** Thrown by {@link validate} when a member has the wrong JSON type: a `SerializationException`. */
export class SerializationFault extends Error {
  /**
   * @param message - what could not be read, and where
   */
  constructor(message: string) {
    super(message);
    this.name = 'SerializationFault';
  }
}

const compiledPatterns = new Map<string, RegExp>();

/** Compiles a model pattern to a whole-value matcher (Unicode-aware when the syntax allows). */
function wholeValueMatcher(pattern: string): RegExp {
  let re = compiledPatterns.get(pattern);
  if (!re) {
    const source = `^(?:${pattern})$`;
    try {
      re = new RegExp(source, 'u');
    } catch {
      re = new RegExp(source);
    }
    compiledPatterns.set(pattern, re);
  }
  return re;
}

/** `DeliveryStreamName` → `deliveryStreamName`, as the services name members in messages. */
function memberPathSegment(member: string): string {
  return member.charAt(0).toLowerCase() + member.slice(1);
}

/** Names a JSON value's type for serialization messages. */
function describeType(value: JsonValue): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a structure';
  return `a ${typeof value}`;
}

/** Renders a value the way Coral quotes it in validation messages. */
function renderValue(value: JsonValue): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `'[${value.map((v) => (typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v))).join(', ')}]'`;
  if (typeof value === 'object') return `'${JSON.stringify(value)}'`;
  return `'${String(value)}'`;
}

/** One violation, in the services' wording (`Member must …`, or the constraint as given). */
function violation(value: JsonValue, path: string, constraint: string, member = true): string {
  return `Value ${renderValue(value)} at '${path}' failed to satisfy constraint: ${member ? 'Member must ' : ''}${constraint}`;
}

/** The constraints one value violates, each as `Member must …` (for the entries of a map). */
function constraintsOf(shape: Shape, value: JsonValue, path: string): string[] {
  const out: string[] = [];
  checkValue(shape, value, path, out);
  return out.map((v) => v.slice(v.indexOf('failed to satisfy constraint: ') + 'failed to satisfy constraint: '.length));
}

/** Checks one present (non-null) member value against its shape, collecting violations in `out`. */
function checkValue(shape: Shape, value: JsonValue, path: string, out: string[]): void {
  switch (shape.type) {
    case 'string': {
      if (typeof value !== 'string') {
        throw new SerializationFault(`Expected a string at '${path}' but found ${describeType(value)}.`);
      }
      const length = [...value].length;
      if (shape.min !== undefined && length < shape.min) out.push(violation(value, path, `have length greater than or equal to ${shape.min}`));
      if (shape.max !== undefined && length > shape.max) out.push(violation(value, path, `have length less than or equal to ${shape.max}`));
      if (shape.pattern !== undefined && !wholeValueMatcher(shape.pattern).test(value)) {
        out.push(violation(value, path, `satisfy regular expression pattern: ${shape.pattern}`));
      }
      if (shape.enum !== undefined && !shape.enum.includes(value)) {
        out.push(violation(value, path, `satisfy enum value set: [${shape.enum.join(', ')}]`));
      }
      return;
    }
    case 'integer': {
      if (typeof value !== 'number' || !Number.isInteger(value)) {
        throw new SerializationFault(`Expected an integer at '${path}' but found ${describeType(value)}${typeof value === 'number' ? ` (${value})` : ''}.`);
      }
      if (shape.min !== undefined && value < shape.min) out.push(violation(value, path, `have value greater than or equal to ${shape.min}`));
      if (shape.max !== undefined && value > shape.max) out.push(violation(value, path, `have value less than or equal to ${shape.max}`));
      return;
    }
    case 'list': {
      if (!Array.isArray(value)) {
        throw new SerializationFault(`Expected a list at '${path}' but found ${describeType(value)}.`);
      }
      if (shape.min !== undefined && value.length < shape.min) out.push(violation(value, path, `have length greater than or equal to ${shape.min}`));
      if (shape.max !== undefined && value.length > shape.max) out.push(violation(value, path, `have length less than or equal to ${shape.max}`));
      value.forEach((item, index) => {
        if (item === null) {
          out.push(violation(item, `${path}.${index + 1}.member`, 'not be null'));
        } else {
          checkValue(shape.member, item, `${path}.${index + 1}.member`, out);
        }
      });
      return;
    }
    case 'map': {
      if (!isJsonObject(value)) {
        throw new SerializationFault(`Expected a map at '${path}' but found ${describeType(value)}.`);
      }
      const entries = Object.entries(value);
      if (shape.min !== undefined && entries.length < shape.min) out.push(violation(value, path, `have length greater than or equal to ${shape.min}`));
      if (shape.max !== undefined && entries.length > shape.max) out.push(violation(value, path, `have length less than or equal to ${shape.max}`));
      // Coral words the constraints of a map's keys and values on the map itself.
      const keyViolations = new Set<string>();
      const valueViolations = new Set<string>();
      for (const [key, item] of entries) {
        for (const constraint of constraintsOf(shape.key, key, `${path}.${key}`)) keyViolations.add(constraint);
        if (item === null || item === undefined) {
          valueViolations.add('Member must not be null');
        } else {
          for (const constraint of constraintsOf(shape.value, item, `${path}.${key}`)) valueViolations.add(constraint);
        }
      }
      if (keyViolations.size > 0) out.push(violation(value, path, `Map keys must satisfy constraint: [${[...keyViolations].join(', ')}]`, false));
      if (valueViolations.size > 0) out.push(violation(value, path, `Map value must satisfy constraint: [${[...valueViolations].join(', ')}]`, false));
      return;
    }
    case 'document': {
      if (!isJsonObject(value)) {
        throw new SerializationFault(`Expected a structure at '${path}' but found ${describeType(value)}.`);
      }
      return;
    }
    case 'structure': {
      if (!isJsonObject(value)) {
        throw new SerializationFault(`Expected a structure at '${path}' but found ${describeType(value)}.`);
      }
      checkStructure(shape, value, path, out);
      return;
    }
  }
}

/** Checks a structure's members: required ones must be present; present ones must fit their shapes. */
function checkStructure(shape: StructureShape, value: Readonly<Record<string, JsonValue | undefined>>, path: string, out: string[]): void {
  for (const [member, memberShape] of Object.entries(shape.members)) {
    const memberPath = path ? `${path}.${memberPathSegment(member)}` : memberPathSegment(member);
    const memberValue = Object.prototype.hasOwnProperty.call(value, member) ? value[member] : undefined;
    if (memberValue === undefined || memberValue === null) {
      if (shape.required?.includes(member)) out.push(violation(null, memberPath, 'not be null'));
      continue;
    }
    checkValue(memberShape, memberValue, memberPath, out);
  }
}

/**
 * Checks a request body against an operation's input shape.
 *
 * @param shape - the operation's input structure
 * @param body - the parsed request body
 * @returns the violated constraints, worded as the services word them; empty when valid
 * @throws SerializationFault when the body or a member has the wrong JSON type
 */
export function validate(shape: StructureShape, body: JsonValue): string[] {
  if (!isJsonObject(body)) {
    throw new SerializationFault(`Expected the request body to be a JSON object but found ${describeType(body)}.`);
  }
  const out: string[] = [];
  checkStructure(shape, body, '', out);
  return out;
}

/**
 * Joins violations into one message: `2 validation errors detected: …; …`.
 *
 * @param violations - at least one violation from {@link validate}
 */
export function formatViolations(violations: readonly string[]): string {
  const n = violations.length;
  return `${n} validation error${n === 1 ? '' : 's'} detected: ${violations.join('; ')}`;
}
