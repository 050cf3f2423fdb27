/**
 * Resolution of CloudFormation intrinsic functions to plain values, as CloudFormation does before
 * it sends a custom resource's properties to its handler.
 *
 * Supported: `Ref` (resources, parameters with a default, pseudo parameters), `Fn::GetAtt`,
 * `Fn::Join`, `Fn::Sub`, `Fn::Select`, `Fn::Split`, `Fn::Base64`. Anything else
 * (`Fn::If`, `Fn::ImportValue`, …) is refused with an error naming where it was found.
 *
 * @module
 */

/** What names resolve to. */
export interface ResolveScope {
  /** `AWS::Region`, `AWS::AccountId`, `AWS::Partition`, `AWS::URLSuffix`, `AWS::StackName`, `AWS::StackId`. */
  readonly pseudo: Readonly<Record<string, string>>;
  /** Template parameters with their values. */
  readonly parameters: Readonly<Record<string, string>>;
  /** `Ref` of a resource; `undefined` when the resource has no value (yet). */
  ref(logicalId: string): string | undefined;
  /** `Fn::GetAtt` of a resource; `undefined` when the resource has no such attribute (yet). */
  getAtt(logicalId: string, attribute: string): string | undefined;
}

/** An intrinsic that cannot be resolved. */
export class ResolveError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ResolveError';
  }
}

/** Marks a property that `Ref: AWS::NoValue` removes. */
const NO_VALUE = Symbol('AWS::NoValue');

/** Whether a value is a plain object. */
function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A resolved value as a string, or an error naming the function that needed one. */
function asString(value: unknown, fn: string, where: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new ResolveError(`${where}: ${fn} needs a string, got ${JSON.stringify(value)}`);
}

/**
 * Resolves every intrinsic function in `value`.
 *
 * @param value - a property value as written in the template
 * @param scope - what names resolve to
 * @param where - where the value is, for error messages (e.g. `OrdersEncryption.Properties`)
 */
export function resolveValue(value: unknown, scope: ResolveScope, where: string): unknown {
  const resolved = resolveInner(value, scope, where);
  return resolved === NO_VALUE ? undefined : resolved;
}

function resolveInner(value: unknown, scope: ResolveScope, where: string): unknown {
  if (Array.isArray(value)) {
    return value.map((v, i) => resolveInner(v, scope, `${where}[${i}]`)).filter((v) => v !== NO_VALUE);
  }
  if (!isObject(value)) return value;
  const keys = Object.keys(value);
  if (keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::'))) {
    return resolveFunction(keys[0], value[keys[0]], scope, where);
  }
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const v = resolveInner(value[key], scope, `${where}.${key}`);
    if (v !== NO_VALUE) out[key] = v;
  }
  return out;
}

function resolveRef(name: unknown, scope: ResolveScope, where: string): unknown {
  if (typeof name !== 'string') throw new ResolveError(`${where}: Ref needs a name, got ${JSON.stringify(name)}`);
  if (name === 'AWS::NoValue') return NO_VALUE;
  if (name.startsWith('AWS::')) {
    const pseudo = scope.pseudo[name];
    if (pseudo === undefined) throw new ResolveError(`${where}: pseudo parameter ${name} is not supported`);
    return pseudo;
  }
  if (Object.prototype.hasOwnProperty.call(scope.parameters, name)) return scope.parameters[name];
  const ref = scope.ref(name);
  if (ref === undefined) throw new ResolveError(`${where}: Ref ${name} has no value (no such resource or parameter, or it is not deployed)`);
  return ref;
}

function resolveGetAtt(args: unknown, scope: ResolveScope, where: string): unknown {
  let logicalId: unknown;
  let attribute: unknown;
  if (typeof args === 'string') {
    const dot = args.indexOf('.');
    [logicalId, attribute] = dot < 0 ? [args, ''] : [args.slice(0, dot), args.slice(dot + 1)];
  } else if (Array.isArray(args) && args.length === 2) {
    logicalId = args[0];
    attribute = resolveInner(args[1], scope, where);
  }
  if (typeof logicalId !== 'string' || typeof attribute !== 'string' || attribute === '') {
    throw new ResolveError(`${where}: Fn::GetAtt needs [logicalId, attribute], got ${JSON.stringify(args)}`);
  }
  const value = scope.getAtt(logicalId, attribute);
  if (value === undefined) throw new ResolveError(`${where}: Fn::GetAtt ${logicalId}.${attribute} has no value (no such resource or attribute, or it is not deployed)`);
  return value;
}

function resolveSub(args: unknown, scope: ResolveScope, where: string): unknown {
  let text: unknown = args;
  let variables: Record<string, unknown> = {};
  if (Array.isArray(args)) {
    text = args[0];
    const vars = resolveInner(args[1] ?? {}, scope, where);
    if (!isObject(vars)) throw new ResolveError(`${where}: Fn::Sub variables must be an object`);
    variables = vars;
  }
  if (typeof text !== 'string') throw new ResolveError(`${where}: Fn::Sub needs a string, got ${JSON.stringify(args)}`);
  return text.replace(/\$\{([^}!][^}]*)\}/g, (_, name: string) => {
    if (Object.prototype.hasOwnProperty.call(variables, name)) return asString(variables[name], 'Fn::Sub', where);
    const dot = name.indexOf('.');
    if (dot > 0 && !name.startsWith('AWS::')) return asString(resolveGetAtt([name.slice(0, dot), name.slice(dot + 1)], scope, where), 'Fn::Sub', where);
    return asString(resolveRef(name, scope, where), 'Fn::Sub', where);
  }).replace(/\$\{!/g, '${');
}

function resolveFunction(fn: string, args: unknown, scope: ResolveScope, where: string): unknown {
  switch (fn) {
    case 'Ref':
      return resolveRef(args, scope, where);
    case 'Fn::GetAtt':
      return resolveGetAtt(args, scope, where);
    case 'Fn::Join': {
      if (!Array.isArray(args) || args.length !== 2 || typeof args[0] !== 'string') {
        throw new ResolveError(`${where}: Fn::Join needs [separator, [values]]`);
      }
      const parts = resolveInner(args[1], scope, where);
      if (!Array.isArray(parts)) throw new ResolveError(`${where}: Fn::Join needs a list of values`);
      return parts.map((p) => asString(p, 'Fn::Join', where)).join(args[0]);
    }
    case 'Fn::Sub':
      return resolveSub(args, scope, where);
    case 'Fn::Select': {
      if (!Array.isArray(args) || args.length !== 2) throw new ResolveError(`${where}: Fn::Select needs [index, list]`);
      const index = Number(resolveInner(args[0], scope, where));
      const list = resolveInner(args[1], scope, where);
      if (!Array.isArray(list) || !Number.isInteger(index) || index < 0 || index >= list.length) {
        throw new ResolveError(`${where}: Fn::Select index ${index} is out of range`);
      }
      return list[index];
    }
    case 'Fn::Split': {
      if (!Array.isArray(args) || args.length !== 2 || typeof args[0] !== 'string') throw new ResolveError(`${where}: Fn::Split needs [separator, string]`);
      return asString(resolveInner(args[1], scope, where), 'Fn::Split', where).split(args[0]);
    }
    case 'Fn::Base64':
      return Buffer.from(asString(resolveInner(args, scope, where), 'Fn::Base64', where), 'utf8').toString('base64');
    default:
      throw new ResolveError(`${where}: ${fn} is not supported by the local CloudFormation driver`);
  }
}

/**
 * Turns resolved properties into what a custom resource handler receives: CloudFormation passes
 * every scalar as a string (numbers and booleans included), and drops `null`s.
 */
export function stringifyScalars(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stringifyScalars);
  if (isObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (v !== undefined && v !== null) out[k] = stringifyScalars(v);
    }
    return out;
  }
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return value;
}
