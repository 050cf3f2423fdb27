/**
 * Amazon EventBridge, as far as rules on CloudTrail events need it: the default event bus, its
 * rules (an event pattern and targets), the event pattern matching of EventBridge, the target
 * input (`Input`, `InputPath`, `InputTransformer`), and delivery to Lambda functions (only when a
 * resource-based permission lets `events.amazonaws.com` invoke them for that rule, and
 * asynchronously, as EventBridge invokes Lambda) and to SNS topics.
 *
 * The matching (the one matcher of the repository: tests import {@link matchesPattern} too) follows
 * the EventBridge User Guide ("Event patterns",
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html; "Arrays in
 * Amazon EventBridge event patterns",
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-arrays.html), in its
 * harsher reading where it leaves room: every field a pattern names must be in the event (so
 * `anything-but` never matches a missing field, and only `exists: false` matches one); a leaf
 * matches when any of its values matches any of the event's values; a nested pattern against an
 * array of objects (CloudTrail's `resources`) matches when one element matches all of it; `$or`
 * matches when one of its patterns does.
 *
 * @module
 */

import type { JsonObject, JsonValue } from '../json';
import type { ServicePublishOutcome } from './sns';

/** A rule's target, as CloudFormation's `AWS::Events::Rule` `Targets` give it. */
export interface RuleTarget {
  readonly Id: string;
  readonly Arn: string;
  readonly Input?: string;
  readonly InputPath?: string;
  readonly InputTransformer?: { readonly InputPathsMap?: Readonly<Record<string, string>>; readonly InputTemplate: string };
}

/** A rule on the default bus. */
export interface EventRule {
  readonly arn: string;
  readonly pattern: JsonObject;
  readonly state: 'ENABLED' | 'DISABLED';
  readonly targets: readonly RuleTarget[];
}

/** A resource-based permission of a Lambda function (`AWS::Lambda::Permission`). */
export interface LambdaPermission {
  /** The function's name or ARN. */
  readonly functionName: string;
  readonly principal: string;
  readonly action: string;
  readonly sourceArn?: string;
}

/** What became of one matched target. */
export interface Delivery {
  /** When it was delivered (epoch milliseconds, local clock). */
  readonly at: number;
  readonly ruleArn: string;
  readonly targetArn: string;
  /** The event's `id`. */
  readonly eventId: string;
  /** What the target received. */
  readonly payload: JsonValue;
  /**
   * `invoked`: a Lambda function was invoked (asynchronously); `published`: an SNS message was
   * published; `denied`: no permission lets EventBridge invoke the function for this rule, or the
   * topic did not take the message ({@link Delivery.refusal}); `unknown-target`: no such function
   * or topic.
   */
  readonly outcome: 'invoked' | 'published' | 'denied' | 'unknown-target';
  /** Why a topic did not take the message (`topic-policy-denied`, `key-policy-denied`, `key-unusable`). */
  readonly refusal?: ServicePublishOutcome;
}

/** An asynchronous Lambda invocation, started by EventBridge; resolves when it has run (retries and dead-letter included). */
export type AsyncInvoker = (payload: JsonValue) => Promise<void>;

/** Where EventBridge publishes to an SNS topic for a rule (`aws:SourceArn`); returns what became of the message. */
export type TopicPublisher = (topicArn: string, message: string, ruleArn: string) => ServicePublishOutcome;

// ---- pattern matching -------------------------------------------------------------------------

function isObject(value: unknown): value is Record<string, JsonValue> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Whether one scalar event value matches one element of a leaf's array: a value, `anything-but` (a
 * value or a list) or `exists`, the operators the library's patterns use; any other operator throws.
 */
function matchesElement(element: JsonValue, value: JsonValue): boolean {
  if (!isObject(element)) return element === value;
  const [operator, operand] = Object.entries(element)[0] ?? [];
  if (operator === 'exists') return operand === true; // the field is there (a missing field is handled by the caller)
  if (operator !== 'anything-but' || isObject(operand)) throw new Error(`The pattern operator ${JSON.stringify(element)} is not modelled`);
  return !(Array.isArray(operand) ? operand : [operand]).some((x) => x === value);
}

/** Whether a leaf's array matches a field that is present (any element matches any of its values). */
function matchesLeaf(elements: readonly JsonValue[], value: JsonValue): boolean {
  const values = Array.isArray(value) ? value : [value];
  if (values.length === 0) return elements.some((e) => isObject(e) && e.exists === true);
  return elements.some((element) => values.some((v) => !isObject(v) && !Array.isArray(v) && matchesElement(element, v)));
}

/**
 * Whether `event` matches the EventBridge event pattern `pattern`.
 *
 * @throws Error for a pattern operator the local cloud does not model (never a silent miss)
 */
export function matchesPattern(pattern: JsonObject, event: JsonValue): boolean {
  if (!isObject(event)) return false;
  for (const [field, expected] of Object.entries(pattern)) {
    if (field === '$or') {
      if (!Array.isArray(expected) || !expected.some((p) => isObject(p) && matchesPattern(p, event))) return false;
      continue;
    }
    const value = event[field];
    const present = Object.prototype.hasOwnProperty.call(event, field) && value !== undefined;
    if (Array.isArray(expected)) {
      if (!present) {
        if (!expected.some((e) => isObject(e) && e.exists === false)) return false;
        continue;
      }
      if (expected.some((e) => isObject(e) && e.exists === false) && expected.length === 1) return false;
      if (!matchesLeaf(expected, value)) return false;
      continue;
    }
    if (isObject(expected)) {
      const objects = Array.isArray(value) ? value.filter(isObject) : isObject(value) ? [value] : [];
      if (objects.length === 0) {
        // a nested pattern on a missing object matches only if all it asks is absence
        if (!Object.values(expected).every((e) => Array.isArray(e) && e.some((x) => isObject(x) && x.exists === false))) return false;
        continue;
      }
      if (!objects.some((o) => matchesPattern(expected, o))) return false;
      continue;
    }
    throw new Error(`An event pattern's values are arrays or objects; ${field} is ${JSON.stringify(expected)}`);
  }
  return true;
}

// ---- target input -----------------------------------------------------------------------------

/** The value at a JSONPath of the form `$`, `$.a.b` (the paths CDK's `EventField` writes). */
export function valueAtPath(event: JsonValue, path: string): JsonValue | undefined {
  if (path === '$') return event;
  if (!path.startsWith('$.')) throw new Error(`The JSONPath ${path} is not modelled`);
  let current: JsonValue | undefined = event;
  for (const part of path.slice(2).split('.')) {
    if (!isObject(current)) return undefined;
    current = current[part];
  }
  return current;
}

/**
 * What a target receives for `event`: the event itself, the target's `Input`, the value at its
 * `InputPath`, or its `InputTemplate` with each `<name>` of its `InputPathsMap` replaced (a
 * quoted placeholder inside a string by the value's text, any other by the value's JSON).
 */
export function targetInput(target: RuleTarget, event: JsonValue): JsonValue {
  if (target.Input !== undefined) return JSON.parse(target.Input) as JsonValue;
  if (target.InputPath !== undefined) return valueAtPath(event, target.InputPath) ?? null;
  if (!target.InputTransformer) return event;
  const values = new Map(Object.entries(target.InputTransformer.InputPathsMap ?? {}).map(([name, path]) => [name, valueAtPath(event, path)]));
  const json = (name: string) => JSON.stringify(values.get(name) ?? null);
  let text = target.InputTransformer.InputTemplate;
  // "<name>" as a whole JSON string: the value's JSON (a string stays a string).
  text = text.replace(/"<([A-Za-z0-9_.-]+)>"/g, (whole, name: string) => (values.has(name) ? json(name) : whole));
  // <name> inside a longer string: the value's text; anywhere else: its JSON.
  text = text.replace(/"(?:[^"\\]|\\.)*"|<([A-Za-z0-9_.-]+)>/g, (token, name: string | undefined) => {
    if (name !== undefined) return values.has(name) ? json(name) : token;
    return token.replace(/<([A-Za-z0-9_.-]+)>/g, (inner, n: string) => {
      if (!values.has(n)) return inner;
      const v = values.get(n);
      return typeof v === 'string' ? JSON.stringify(v).slice(1, -1) : JSON.stringify(JSON.stringify(v ?? null)).slice(1, -1);
    });
  });
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return text;
  }
}

// ---- the bus ----------------------------------------------------------------------------------

/** The default event bus of the local cloud. */
export class EventBridgeModel {
  private readonly ruleTable = new Map<string, EventRule>();
  private readonly permissions = new Map<string, LambdaPermission>();
  private readonly functions = new Map<string, AsyncInvoker>();
  private readonly history: Delivery[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private publishToTopic?: TopicPublisher;

  /**
   * @param now - the local clock
   */
  constructor(private readonly now: () => number) {}

  /** Puts (or replaces) a rule. */
  public putRule(rule: EventRule): void {
    this.ruleTable.set(rule.arn, rule);
  }

  /** Removes a rule; whether there was one. */
  public removeRule(arn: string): boolean {
    return this.ruleTable.delete(arn);
  }

  /** The rules, in the order they were put. */
  public rules(): EventRule[] {
    return [...this.ruleTable.values()];
  }

  /** Adds (or replaces) a function's resource-based permission, by a key of the caller's. */
  public addPermission(key: string, permission: LambdaPermission): void {
    this.permissions.set(key, permission);
  }

  /** Removes a permission. */
  public removePermission(key: string): void {
    this.permissions.delete(key);
  }

  /** Makes a function invocable (by its ARN). */
  public registerFunction(functionArn: string, invoke: AsyncInvoker): void {
    this.functions.set(functionArn, invoke);
  }

  /** Makes a function unknown. */
  public unregisterFunction(functionArn: string): void {
    this.functions.delete(functionArn);
  }

  /** Where SNS targets are published. */
  public setTopicPublisher(publish: TopicPublisher): void {
    this.publishToTopic = publish;
  }

  /**
   * Puts an event on the bus: each enabled rule that matches delivers it to each of its targets.
   * Lambda targets are invoked asynchronously ({@link idle} waits for them).
   *
   * @returns the deliveries made for this event
   */
  public putEvent(event: JsonObject): Delivery[] {
    const made: Delivery[] = [];
    for (const rule of this.ruleTable.values()) {
      if (rule.state !== 'ENABLED' || !matchesPattern(rule.pattern, event)) continue;
      for (const target of rule.targets) {
        const payload = targetInput(target, event);
        const outcome = this.deliver(rule, target, payload);
        const refused = outcome === 'topic-policy-denied' || outcome === 'key-policy-denied' || outcome === 'key-unusable';
        const delivery: Delivery = {
          at: this.now(),
          ruleArn: rule.arn,
          targetArn: target.Arn,
          eventId: String(event.id ?? ''),
          payload,
          outcome: refused ? 'denied' : outcome === 'no-topic' ? 'unknown-target' : outcome,
          ...(refused ? { refusal: outcome } : {}),
        };
        this.history.push(delivery);
        made.push(delivery);
      }
    }
    return made;
  }

  /** Every delivery so far, oldest first. */
  public deliveries(): readonly Delivery[] {
    return [...this.history];
  }

  /** Resolves once every Lambda invocation started so far has run (also those they cause). */
  public async idle(): Promise<void> {
    while (this.inFlight.size > 0) {
      await Promise.all([...this.inFlight]);
    }
  }

  /** Forgets the deliveries (rules, permissions and functions stay). */
  public resetHistory(): void {
    this.history.length = 0;
  }

  private deliver(rule: EventRule, target: RuleTarget, payload: JsonValue): Delivery['outcome'] | ServicePublishOutcome {
    const service = target.Arn.split(':')[2];
    if (service === 'sns') {
      return this.publishToTopic?.(target.Arn, typeof payload === 'string' ? payload : JSON.stringify(payload), rule.arn) ?? 'no-topic';
    }
    if (service !== 'lambda') return 'unknown-target';
    const invoke = this.functions.get(target.Arn);
    if (!invoke) return 'unknown-target';
    if (!this.mayInvoke(target.Arn, rule.arn)) return 'denied';
    const running = invoke(payload).catch(() => undefined).finally(() => this.inFlight.delete(running));
    this.inFlight.add(running);
    return 'invoked';
  }

  /** Whether a permission lets EventBridge invoke the function for the rule. */
  private mayInvoke(functionArn: string, ruleArn: string): boolean {
    const name = functionArn.slice(functionArn.lastIndexOf(':') + 1);
    return [...this.permissions.values()].some((p) =>
      (p.functionName === functionArn || p.functionName === name)
      && p.principal === 'events.amazonaws.com'
      && p.action === 'lambda:InvokeFunction'
      && (p.sourceArn === undefined || p.sourceArn === ruleArn));
  }
}
