/**
 * IAM for the local cloud: identity policies attached to roles, evaluated for each request the way
 * AWS evaluates them for a principal of the same account (explicit deny, then allow, else implicit
 * deny), with the condition operators this library's policies use and the usual ones beside them,
 * and an optional propagation delay before an attached or changed policy takes effect.
 *
 * IAM is eventually consistent: a change "takes time to become visible from all possible
 * endpoints" (IAM User Guide, Troubleshooting general issues, "Changes that I make are not always
 * immediately visible":
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_general.html#troubleshoot_general_eventual-consistency).
 * The page promises no order in which endpoints see a change; the model takes the harsher reading
 * that the check of one action (say `kms:CreateGrant`, which KMS evaluates when Firehose creates
 * its grant with the caller's permissions) may see a change later than the others: a propagation
 * delay can be set for one action apart from the rest.
 *
 * The model knows identity-based policies, the Deny statements of the organization's service
 * control policies, and the topic and key policies that let AWS services publish alerts
 * ({@link evaluateForService}); key policies for roles, permission boundaries and session policies
 * are not evaluated (the library writes none of them for the handler).
 *
 * @module
 */

/** A value in an IAM policy document, as CloudFormation resolved it. */
export type PolicyValue = string | number | boolean | ReadonlyArray<string | number | boolean>;

/** One statement of an identity policy. */
export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny' | string;
  readonly Action?: string | ReadonlyArray<string>;
  readonly NotAction?: string | ReadonlyArray<string>;
  readonly Resource?: string | ReadonlyArray<string>;
  readonly NotResource?: string | ReadonlyArray<string>;
  /** Operator → condition key → value(s). */
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, PolicyValue>>>>;
  /** Who a resource policy's statement applies to (`*`, or `{ Service: … }`, `{ AWS: … }`). */
  readonly Principal?: string | Readonly<Record<string, string | ReadonlyArray<string>>>;
}

/** An identity policy document. */
export interface PolicyDocument {
  readonly Version?: string;
  readonly Statement: PolicyStatement | ReadonlyArray<PolicyStatement>;
}

/** The request context keys a request carries: key → value(s); an absent key is not in the request. */
export type RequestContext = Readonly<Record<string, string | boolean | ReadonlyArray<string>>>;

/** One request to authorize. */
export interface AuthorizationRequest {
  /** `service:Action`, e.g. `firehose:DescribeDeliveryStream`. */
  readonly action: string;
  /** The ARN of the resource the request is for. */
  readonly resource: string;
  /** The condition keys the request carries. */
  readonly context?: RequestContext;
}

/** How a request was judged. */
export interface AuthorizationDecision {
  /** Where an explicit deny came from: an identity policy (default) or a service control policy. */
  readonly source?: 'identity' | 'service-control';
  /** Whether the request is allowed. */
  readonly allowed: boolean;
  /** `explicit-deny`, `allow` or `implicit-deny`. */
  readonly basis: 'explicit-deny' | 'allow' | 'implicit-deny';
  /** The matching statement's Sid or index, for an allow or an explicit deny. */
  readonly statement?: string;
}

/** A list of one or more values. */
function list<T>(value: T | ReadonlyArray<T> | undefined): ReadonlyArray<T> {
  return value === undefined ? [] : Array.isArray(value) ? value : [value as T];
}

/** An IAM wildcard pattern (`*`, `?`) as a regular expression. */
function wildcard(pattern: string, ignoreCase: boolean): RegExp {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${source}$`, ignoreCase ? 'is' : 's');
}

/** Whether `value` matches the wildcard `pattern`. */
export function matchesWildcard(pattern: string, value: string, ignoreCase = false): boolean {
  return wildcard(pattern, ignoreCase).test(value);
}

/** Whether a statement's actions cover `action` (action names are case-insensitive). */
function coversAction(statement: PolicyStatement, action: string): boolean {
  if (statement.NotAction !== undefined) {
    return !list(statement.NotAction).some((a) => matchesWildcard(a, action, true));
  }
  return list(statement.Action).some((a) => matchesWildcard(a, action, true));
}

/** Whether a statement's resources cover `resource` (ARNs are case-sensitive). */
function coversResource(statement: PolicyStatement, resource: string): boolean {
  if (statement.NotResource !== undefined) {
    return !list(statement.NotResource).some((r) => matchesWildcard(r, resource));
  }
  return list(statement.Resource).some((r) => matchesWildcard(r, resource));
}

/** How one base operator compares one request value with one policy value. */
type Comparison = (requestValue: string, policyValue: string) => boolean;

/** The base operators (without `IfExists`, set qualifiers or negation). */
const COMPARISONS: Readonly<Record<string, Comparison>> = {
  StringEquals: (r, p) => r === p,
  StringEqualsIgnoreCase: (r, p) => r.toLowerCase() === p.toLowerCase(),
  StringLike: (r, p) => matchesWildcard(p, r),
  ArnEquals: (r, p) => matchesWildcard(p, r),
  ArnLike: (r, p) => matchesWildcard(p, r),
  Bool: (r, p) => r.toLowerCase() === p.toLowerCase(),
  NumericEquals: (r, p) => Number(r) === Number(p),
  NumericLessThan: (r, p) => Number(r) < Number(p),
  NumericLessThanEquals: (r, p) => Number(r) <= Number(p),
  NumericGreaterThan: (r, p) => Number(r) > Number(p),
  NumericGreaterThanEquals: (r, p) => Number(r) >= Number(p),
};

/** Negated operators and the base they negate. */
const NEGATIONS: Readonly<Record<string, string>> = {
  StringNotEquals: 'StringEquals',
  StringNotEqualsIgnoreCase: 'StringEqualsIgnoreCase',
  StringNotLike: 'StringLike',
  ArnNotEquals: 'ArnEquals',
  ArnNotLike: 'ArnLike',
  NumericNotEquals: 'NumericEquals',
};

/**
 * Whether one condition operator holds for one key, as IAM evaluates it: the policy's values are
 * OR-ed; `ForAllValues:` holds when every request value matches some policy value (and when the key
 * is absent or empty); `ForAnyValue:` when at least one does; a negated operator holds when no
 * value matches (and when the key is absent); `…IfExists` holds when the key is absent; `Null`
 * tests absence itself.
 *
 * @throws Error for an operator the model does not know, so that a policy never passes by accident.
 */
export function conditionHolds(operator: string, key: string, policyValue: PolicyValue, context: RequestContext): boolean {
  const policyValues = list(policyValue).map(String);
  const present = Object.prototype.hasOwnProperty.call(context, key);
  const raw = present ? context[key] : undefined;
  const requestValues = raw === undefined ? [] : list(raw as string | boolean | ReadonlyArray<string>).map(String);

  if (operator === 'Null') {
    const wantsAbsent = policyValues.some((v) => v.toLowerCase() === 'true');
    return wantsAbsent ? !present : present;
  }
  let qualifier: 'all' | 'any' | undefined;
  let op = operator;
  if (op.startsWith('ForAllValues:')) {
    qualifier = 'all';
    op = op.slice('ForAllValues:'.length);
  } else if (op.startsWith('ForAnyValue:')) {
    qualifier = 'any';
    op = op.slice('ForAnyValue:'.length);
  }
  const ifExists = op.endsWith('IfExists');
  if (ifExists) {
    op = op.slice(0, -'IfExists'.length);
  }
  const negatedBase = NEGATIONS[op];
  const compare = COMPARISONS[negatedBase ?? op];
  if (!compare) {
    throw new Error(`The local IAM model does not know the condition operator ${operator}.`);
  }
  const matchesOne = (value: string): boolean => policyValues.some((p) => compare(value, p));

  if (qualifier === 'all') {
    // Vacuously true for an absent key or an empty set.
    return requestValues.every((v) => (negatedBase ? !matchesOne(v) : matchesOne(v)));
  }
  if (!present || requestValues.length === 0) {
    if (ifExists) {
      return true;
    }
    return qualifier === 'any' ? false : negatedBase !== undefined;
  }
  if (qualifier === 'any') {
    return requestValues.some((v) => (negatedBase ? !matchesOne(v) : matchesOne(v)));
  }
  // A single-valued key: its value against the policy's values.
  const matched = requestValues.some(matchesOne);
  return negatedBase ? !matched : matched;
}

/** Whether every condition of a statement holds (operators and keys are AND-ed). */
function conditionsHold(statement: PolicyStatement, context: RequestContext): boolean {
  for (const [operator, keys] of Object.entries(statement.Condition ?? {})) {
    for (const [key, value] of Object.entries(keys)) {
      if (!conditionHolds(operator, key, value, context)) {
        return false;
      }
    }
  }
  return true;
}

/**
 * Judge a request against identity policies: an explicit deny wins; else an allow allows; else the
 * request is implicitly denied.
 */
export function evaluate(policies: ReadonlyArray<PolicyDocument>, request: AuthorizationRequest): AuthorizationDecision {
  const context = request.context ?? {};
  let allow: string | undefined;
  for (const [p, policy] of policies.entries()) {
    for (const [s, statement] of list(policy.Statement).entries()) {
      if (!coversAction(statement, request.action) || !coversResource(statement, request.resource) || !conditionsHold(statement, context)) {
        continue;
      }
      const name = statement.Sid ?? `policy ${p + 1} statement ${s + 1}`;
      if (statement.Effect === 'Deny') {
        return { allowed: false, basis: 'explicit-deny', statement: name };
      }
      if (statement.Effect === 'Allow') {
        allow ??= name;
      }
    }
  }
  return allow !== undefined ? { allowed: true, basis: 'allow', statement: allow } : { allowed: false, basis: 'implicit-deny' };
}

/**
 * Judge a request of an AWS service principal (`events.amazonaws.com`) against a resource policy
 * (a topic policy, a key policy): only the statements whose `Principal` names that service, or
 * everyone (`*`, `{"AWS": "*"}`), count; a statement with `NotPrincipal` counts for none (the
 * harsher reading for an Allow). No policy is an implicit deny: a service principal acts on a
 * resource only when its policy names it (IAM User Guide, "Policy evaluation logic",
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html).
 */
export function evaluateForService(policy: PolicyDocument | undefined, service: string, request: AuthorizationRequest): AuthorizationDecision {
  const names = (statement: PolicyStatement): boolean => {
    const principal = statement.Principal;
    if (principal === undefined) return false;
    if (principal === '*') return true;
    if (typeof principal === 'string') return false;
    return list(principal.Service).includes(service) || list(principal.AWS).includes('*');
  };
  return evaluate(policy ? [{ Statement: list(policy.Statement).filter(names) }] : [], request);
}

/**
 * The message of AWS's `AccessDeniedException` for a denied request, as IAM words it for an
 * assumed-role session.
 */
export function accessDeniedMessage(principalArn: string, request: AuthorizationRequest, decision: AuthorizationDecision): string {
  const because = decision.basis === 'explicit-deny'
    ? `with an explicit deny in ${decision.source === 'service-control' ? 'a service control policy' : 'an identity-based policy'}`
    : `because no identity-based policy allows the ${request.action} action`;
  return `User: ${principalArn} is not authorized to perform: ${request.action} on resource: ${request.resource} ${because}`;
}

/** One version of a policy attached to a role, and from when it is in force. */
interface AttachedVersion {
  /** The document; `undefined` for a detachment. */
  readonly document?: PolicyDocument;
  /** When this version takes effect, in epoch milliseconds, for the checks of every action but those of {@link actionEffectiveAt}. */
  readonly effectiveAt: number;
  /** When this version takes effect for the checks of these actions (lower case), in epoch milliseconds. */
  readonly actionEffectiveAt: ReadonlyMap<string, number>;
}

/** When a version takes effect for the checks of `action` (any action when `undefined`: the default delay). */
function effectiveAtFor(version: AttachedVersion, action: string | undefined): number {
  return (action === undefined ? undefined : version.actionEffectiveAt.get(action.toLowerCase())) ?? version.effectiveAt;
}

/** The version of a policy in force at `now` for the checks of `action`, if any. */
function versionInForce(versions: ReadonlyArray<AttachedVersion>, now: number, action: string | undefined): AttachedVersion | undefined {
  return [...versions].reverse().find((v) => effectiveAtFor(v, action) <= now);
}

/** A role known to the model. */
export interface RoleView {
  /** The role's ARN. */
  readonly roleArn: string;
  /** The ARN of its sessions (`arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION`). */
  readonly sessionArn: string;
  /** The names of the policies in force now. */
  readonly policies: ReadonlyArray<string>;
}

/** How the IAM model behaves. */
export interface IamModelOptions {
  /**
   * How long an attached, changed or detached policy takes to be in force, in milliseconds (IAM
   * is eventually consistent: a policy attached seconds ago is often not yet seen). @defaultValue 0
   */
  readonly propagationMs?: number;
  /** Milliseconds since the epoch. @defaultValue `Date.now` */
  readonly now?: () => number;
}

/** The session name the local cloud gives a role's sessions. */
const SESSION_NAME = 'local-session';

/** The ARN of a session of `roleArn`. */
export function sessionArnOf(roleArn: string): string {
  const match = /^arn:([^:]+):iam::(\d+):role\/(?:.*\/)?([^/]+)$/.exec(roleArn);
  if (!match) {
    throw new Error(`Not a role ARN: ${roleArn}`);
  }
  return `arn:${match[1]}:sts::${match[2]}:assumed-role/${match[3]}/${SESSION_NAME}`;
}

/**
 * Roles, their identity policies (each policy by name, with its history so that a change takes
 * effect only after the propagation delay), and the access keys that act as each role.
 */
export class IamModel {
  private readonly roles = new Map<string, Map<string, AttachedVersion[]>>();
  private serviceControl: PolicyDocument[] = [];
  private readonly keys = new Map<string, string>();
  private propagationMs: number;
  /** Propagation delays of single actions (lower case), in force when longer than {@link propagationMs}. */
  private readonly actionPropagationMs = new Map<string, number>();
  private readonly now: () => number;

  constructor(options: IamModelOptions = {}) {
    this.propagationMs = options.propagationMs ?? 0;
    this.now = options.now ?? Date.now;
  }

  /**
   * Set the propagation delay of changes made from now on, in milliseconds: for the checks of
   * every action, or, with `action` (`service:Action`, e.g. `kms:CreateGrant`), for the checks of
   * that action alone, which then see a change after the longer of the two delays (never before
   * the others; 0 takes the action's own delay away; so does `reset()`).
   */
  public setPropagationMs(ms: number, action?: string): void {
    if (!Number.isFinite(ms) || ms < 0) {
      throw new Error(`propagationMs must be a number of milliseconds >= 0, got ${ms}`);
    }
    if (action === undefined) {
      this.propagationMs = ms;
      return;
    }
    if (typeof action !== 'string' || !/^[a-z0-9-]+:[A-Za-z0-9]+$/.test(action)) {
      throw new Error(`action must be service:Action (no wildcard), got ${String(action)}`);
    }
    this.actionPropagationMs.set(action.toLowerCase(), ms);
  }

  /** The propagation delay of new changes, in milliseconds (for the checks of any action without a delay of its own). */
  public get propagationDelayMs(): number {
    return this.propagationMs;
  }

  /** The propagation delay of new changes for the checks of `action`, in milliseconds. */
  public propagationDelayMsOf(action: string): number {
    return Math.max(this.propagationMs, this.actionPropagationMs.get(action.toLowerCase()) ?? 0);
  }

  /** Make `roleArn` known (with no policy), and let `accessKeyId` act as it. */
  public defineRole(roleArn: string, accessKeyId?: string): void {
    sessionArnOf(roleArn);
    if (!this.roles.has(roleArn)) {
      this.roles.set(roleArn, new Map());
    }
    if (accessKeyId !== undefined) {
      this.keys.set(accessKeyId, roleArn);
    }
  }

  /** Forget a role, its policies and its access keys (a deleted role). */
  public deleteRole(roleArn: string): void {
    this.roles.delete(roleArn);
    for (const [key, role] of [...this.keys]) {
      if (role === roleArn) {
        this.keys.delete(key);
      }
    }
  }

  /** The role an access key acts as, if the model knows it. */
  public roleOfAccessKey(accessKeyId: string): string | undefined {
    return this.keys.get(accessKeyId);
  }

  /** Attach (or replace) the policy `name` of a role; in force after the propagation delay. */
  public putPolicy(roleArn: string, name: string, document: PolicyDocument): void {
    this.history(roleArn, name).push(this.version(document));
  }

  /** Detach the policy `name` of a role; it stays in force for the propagation delay. */
  public removePolicy(roleArn: string, name: string): void {
    const versions = this.roles.get(roleArn)?.get(name);
    if (versions) {
      versions.push(this.version(undefined));
    }
  }

  /**
   * The documents in force for a role now, as the checks of `action` see them (by default: as
   * the checks of an action without a propagation delay of its own see them).
   */
  public policiesInForce(roleArn: string, action?: string): PolicyDocument[] {
    const now = this.now();
    const documents: PolicyDocument[] = [];
    for (const versions of this.roles.get(roleArn)?.values() ?? []) {
      const current = versionInForce(versions, now, action);
      if (current?.document) {
        documents.push(current.document);
      }
    }
    return documents;
  }

  /** What the model knows of a role now, if it knows it. */
  public role(roleArn: string): RoleView | undefined {
    const policies = this.roles.get(roleArn);
    if (!policies) {
      return undefined;
    }
    const now = this.now();
    const inForce = [...policies.entries()]
      .filter(([, versions]) => versionInForce(versions, now, undefined)?.document !== undefined)
      .map(([name]) => name);
    return { roleArn, sessionArn: sessionArnOf(roleArn), policies: inForce };
  }

  /** Every role the model knows. */
  public roleArns(): string[] {
    return [...this.roles.keys()];
  }

  /**
   * The service control policies of the account's organization (their Deny statements are what
   * the model plays: the default `FullAWSAccess` policy allows the rest). "If any policy [...]
   * includes an explicit deny statement, the request is denied", whatever the identity policies
   * allow (AWS Organizations User Guide, "SCP evaluation"; IAM User Guide, "Policy evaluation
   * logic").
   */
  public setServiceControlPolicies(documents: ReadonlyArray<PolicyDocument>): void {
    this.serviceControl = [...documents];
  }

  /**
   * Judge a request of a role's session against the service control policies, then the role's
   * policies in force now as the check of its action sees them.
   */
  public authorize(roleArn: string, request: AuthorizationRequest): AuthorizationDecision {
    const denies = this.serviceControl.map((document) => ({ ...document, Statement: list(document.Statement).filter((s) => s.Effect === 'Deny') }));
    const organization = evaluate(denies, request);
    if (organization.basis === 'explicit-deny') {
      return { ...organization, source: 'service-control' };
    }
    return evaluate(this.policiesInForce(roleArn, request.action), request);
  }

  /** Forget every role, policy, key and service control policy, and the propagation delays of single actions. */
  public reset(): void {
    this.roles.clear();
    this.keys.clear();
    this.serviceControl = [];
    this.actionPropagationMs.clear();
  }

  /** A new version of a policy (`undefined`: a detachment), in force after the propagation delays set now. */
  private version(document: PolicyDocument | undefined): AttachedVersion {
    const now = this.now();
    const actionEffectiveAt = new Map([...this.actionPropagationMs].map(([action, ms]) => [action, now + Math.max(this.propagationMs, ms)]));
    return { document, effectiveAt: now + this.propagationMs, actionEffectiveAt };
  }

  private history(roleArn: string, name: string): AttachedVersion[] {
    this.defineRole(roleArn);
    const policies = this.roles.get(roleArn)!;
    let versions = policies.get(name);
    if (!versions) {
      versions = [];
      policies.set(name, versions);
    }
    return versions;
  }
}
