/**
 * IAM sizing of the handler role: the managed policies that name every
 * stream and key the handler manages, split so that each stays within IAM's
 * size limit, each named by its content so that it never changes once
 * deployed, and the checks of how many of them a role may have attached
 * during an update.
 *
 * Not part of the public jsii API.
 */
import { createHash } from 'crypto';
import { Annotations, CfnResource, Lazy, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct, IConstruct } from 'constructs';

/**
 * Budget, in characters, of one managed policy document. IAM allows 6,144
 * characters (white space excluded); the rest is a safety margin for the
 * estimate of values only known at deploy time.
 */
const POLICY_CHARACTER_BUDGET = 6_000;

/** Managed policies a role may have attached under the default IAM quota. */
export const DEFAULT_MANAGED_POLICIES_PER_ROLE_QUOTA = 10;

/** Managed policies a role may have attached at most, whatever its quota. */
export const MAX_MANAGED_POLICIES_PER_ROLE = 20;

/**
 * Managed policies the handler role has attached, at most, while an update
 * replaces every chunk: the old chunks stay attached until the clean-up
 * phase, the new ones are attached in the update phase, and the logs policy
 * stays throughout.
 */
export function policiesDuringUpdate(chunks: number): number {
  return 2 * chunks + 1;
}

/** The `Condition` block of a statement: operator, then condition key, then value. */
export type PolicyConditions = Record<string, Record<string, unknown>>;

/** Upper bounds of values known only at deploy time, for one kind of ARN. */
export interface ResolvedSizes {
  /** A resource's name (`Ref` of a stream). */
  readonly name: number;
  /** A resource's ARN (`Fn::GetAtt` of a stream or key). */
  readonly arn: number;
  /** Any other value (an imported value, a selected element, …). */
  readonly other: number;
  /**
   * The length of the whole ARN when it is known only at deploy time,
   * whatever its form, for a kind whose ARNs all fit one bound.
   *
   * @default - the ARN's parts, each estimated as above
   */
  readonly wholeArn?: number;
}

/**
 * KMS keys: the longest key ARN in any partition
 * (`arn:aws-us-gov:kms:us-gov-west-1:123456789012:key/` and a 36-character id).
 */
export const KEY_SIZES: ResolvedSizes = { name: 86, arn: 86, other: 86, wholeArn: 86 };

/**
 * A grant the handler needs: actions on one ARN, under conditions, with the
 * bounds that size the ARN (and the conditions' values) once resolved.
 */
export interface HandlerPermission {
  /** The actions, in the order the statement lists them. */
  readonly actions: string[];
  /** The one resource, possibly known only at deploy time. */
  readonly arn: string;
  /** The bounds of `arn` once resolved. */
  readonly arnSizes: ResolvedSizes;
  /** The statement's conditions. */
  readonly conditions?: PolicyConditions;
  /**
   * The bounds of the conditions' values once resolved; required when they
   * hold values known only at deploy time.
   */
  readonly conditionSizes?: ResolvedSizes;
}

/**
 * Estimated length of a value in a policy document once CloudFormation has
 * resolved it, erring on the long side.
 */
function estimatedLength(value: unknown, sizes: ResolvedSizes): number {
  if (typeof value === 'string') {
    return value.length;
  }
  if (Array.isArray(value)) {
    return value.reduce((sum: number, v) => sum + estimatedLength(v, sizes), 0);
  }
  if (value && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    if ('Fn::Join' in obj) {
      const [sep, parts] = obj['Fn::Join'] as [string, unknown[]];
      return parts.reduce((sum: number, p) => sum + estimatedLength(p, sizes), 0) + sep.length * Math.max(parts.length - 1, 0);
    }
    if ('Ref' in obj) {
      const known: Record<string, number> = {
        'AWS::Partition': 10,
        'AWS::Region': 14,
        'AWS::AccountId': 12,
        'AWS::URLSuffix': 13,
      };
      return known[obj.Ref as string] ?? sizes.name;
    }
    if ('Fn::GetAtt' in obj) {
      return sizes.arn;
    }
  }
  return sizes.other;
}

/**
 * Estimated length of a statement's `Condition` block once resolved: its
 * operators and keys as written, its values as {@link estimatedLength}.
 */
function estimatedConditionsLength(conditions: PolicyConditions, sizes: ResolvedSizes): number {
  let length = 2;
  for (const [operator, keys] of Object.entries(conditions)) {
    length += operator.length + 6;
    for (const [key, value] of Object.entries(keys)) {
      length += key.length + 6 + estimatedLength(value, sizes);
    }
  }
  return length;
}

/** A permission with the sizes a policy document needs of it. */
interface SizedPermission {
  readonly actions: string[];
  readonly arn: string;
  /** The ARN as CloudFormation will see it. */
  readonly resolvedArn: unknown;
  /** Length of the ARN once resolved, or an upper estimate of it. */
  readonly arnLength: number;
  readonly conditions?: PolicyConditions;
  /**
   * The conditions as CloudFormation will see them (these group statements
   * and tell permissions apart).
   */
  readonly resolvedConditions?: unknown;
  /** Length of the conditions once resolved, or an upper estimate of it. */
  readonly conditionsLength: number;
}

/** `permission` with the lengths of its ARN and conditions, as `scope`'s stack resolves them. */
function sized(scope: IConstruct, permission: HandlerPermission): SizedPermission {
  const stack = Stack.of(scope);
  const { actions, arn, arnSizes, conditions } = permission;
  const resolvedArn = stack.resolve(arn);
  const arnLength = Token.isUnresolved(arn) ? arnSizes.wholeArn ?? estimatedLength(resolvedArn, arnSizes) : arn.length;
  if (!conditions) {
    return { actions, arn, resolvedArn, arnLength, conditionsLength: 2 };
  }
  const resolvedConditions = stack.resolve(conditions);
  const written = JSON.stringify(conditions);
  if (JSON.stringify(resolvedConditions) === written) {
    return { actions, arn, resolvedArn, arnLength, conditions, resolvedConditions, conditionsLength: written.length };
  }
  if (!permission.conditionSizes) {
    throw new Error(`The conditions of ${JSON.stringify(actions)} hold values known only at deploy time, but no conditionSizes bound them.`);
  }
  const conditionsLength = estimatedConditionsLength(resolvedConditions, permission.conditionSizes);
  return { actions, arn, resolvedArn, arnLength, conditions, resolvedConditions, conditionsLength };
}

/** Characters of a policy document: as IAM counts it once resolved (an estimate), and as the template writes it. */
interface PolicySize {
  /** Once CloudFormation has resolved every value (an upper estimate). */
  readonly resolved: number;
  /** As written in the template, where an `Fn::Join` ARN is longer than its value. */
  readonly template: number;
}

/** What tells statements apart: their actions and their conditions as resolved. */
function statementKey(permission: SizedPermission): string {
  return JSON.stringify([permission.actions, permission.resolvedConditions]);
}

/**
 * One managed policy of the handler role, and its statements whose
 * resources grow one ARN at a time. The policy is full when its size passes
 * the budget either as IAM counts it or as the template writes it.
 *
 * Its logical id is `<prefix><hash of its content>`, resolved lazily, once
 * every construct has added its permissions: a policy that an update leaves
 * as it was keeps its id and is not touched, and any change makes a new
 * policy (created in the update phase, before the custom resources that
 * depend on it) while the old one is deleted in the clean-up phase, after
 * the Deletes of the custom resources that depended on it. No policy in
 * force is ever narrowed before a Delete that needs it has run.
 */
class PolicyChunk {
  public readonly policy: iam.ManagedPolicy;
  private size: PolicySize = { resolved: 100, template: 100 }; // the document's own overhead
  private readonly statements = new Map<string, iam.PolicyStatement>();
  /** The logical id, for the content it was computed from (`version`). */
  private named?: { readonly version: number; readonly logicalId: string };
  private version = 0;

  constructor(scope: Construct, id: string, role: iam.IRole, logicalIdPrefix: string) {
    this.policy = new iam.ManagedPolicy(scope, id, {
      roles: [role],
      description: 'Permissions of the cdk-stream-encryption handler on the streams and keys it manages',
    });
    const cfn = this.policy.node.defaultChild as CfnResource;
    cfn.overrideLogicalId(Lazy.uncachedString({ produce: () => this.logicalId(logicalIdPrefix, role) }));
  }

  /** Whether `permission` still fits in this policy. */
  public fits(permission: SizedPermission): boolean {
    const cost = this.costOf(permission);
    return this.size.resolved + cost.resolved <= POLICY_CHARACTER_BUDGET && this.size.template + cost.template <= POLICY_CHARACTER_BUDGET;
  }

  /** Add `permission` to the statement with its actions and conditions. */
  public allow(permission: SizedPermission): void {
    const cost = this.costOf(permission);
    this.version += 1;
    this.size = { resolved: this.size.resolved + cost.resolved, template: this.size.template + cost.template };
    const key = statementKey(permission);
    let statement = this.statements.get(key);
    if (!statement) {
      statement = new iam.PolicyStatement({ actions: permission.actions, conditions: permission.conditions });
      this.statements.set(key, statement);
      this.policy.addStatements(statement);
    }
    statement.addResources(permission.arn);
  }

  /**
   * `prefix` and the first 8 hex digits of the SHA-256 of the policy's
   * content as CloudFormation receives it (its document and its role).
   */
  private logicalId(prefix: string, role: iam.IRole): string {
    if (this.named?.version !== this.version) {
      const stack = Stack.of(this.policy);
      const content = JSON.stringify(stack.resolve({ document: this.policy.document, role: role.roleName }));
      const hash = createHash('sha256').update(content).digest('hex').slice(0, 8).toUpperCase();
      this.named = { version: this.version, logicalId: `${prefix}${hash}` };
    }
    return this.named.logicalId;
  }

  /** Characters `permission` adds: its ARN, and a new statement when none has its actions yet. */
  private costOf(permission: SizedPermission): PolicySize {
    const resolved = permission.arnLength + 3;
    const template = JSON.stringify(permission.resolvedArn).length + 1;
    if (this.statements.has(statementKey(permission))) {
      return { resolved, template };
    }
    const statement = 50 + JSON.stringify(permission.actions).length;
    return {
      resolved: resolved + statement + permission.conditionsLength,
      template: template + statement + JSON.stringify(permission.resolvedConditions ?? {}).length,
    };
  }
}

/**
 * The managed policies of one role, filled in the order permissions come:
 * each permission once, in the last policy or, when that one is full, a new
 * one (construct ids `Policy1`, `Policy2`, … under `scope`, logical ids
 * from their content, see `PolicyChunk`).
 *
 * At synth, counts the policies the role has attached while an update
 * replaces them all (`policiesDuringUpdate`): a warning above IAM's default
 * quota, an error above IAM's hard limit.
 */
export class PolicyBudget {
  private readonly chunks: PolicyChunk[] = [];
  private readonly granted = new Set<string>();

  /**
   * @param scope - where the policies are added.
   * @param role - the role they are attached to.
   * @param logicalIdPrefix - the start of each policy's logical id.
   * @param streams - how many streams the policies serve, for the messages.
   * @param roleName - the role in the messages (`handler`, `guard`).
   */
  constructor(
    private readonly scope: Construct,
    private readonly role: iam.IRole,
    private readonly logicalIdPrefix: string,
    private readonly streams: () => number,
    private readonly roleName: string = 'handler',
  ) {
    scope.node.addValidation({ validate: () => this.validateQuota() });
  }

  /** The managed policies, in the order they were created. */
  public get policies(): iam.ManagedPolicy[] {
    return this.chunks.map((c) => c.policy);
  }

  /** Add one permission, once, to the current policy or, when it is full, a new one. */
  public allow(permission: HandlerPermission): void {
    const p = sized(this.scope, permission);
    const id = JSON.stringify([p.actions, p.resolvedConditions, p.resolvedArn]);
    if (this.granted.has(id)) {
      return;
    }
    this.granted.add(id);
    let chunk = this.chunks[this.chunks.length - 1];
    if (!chunk || !chunk.fits(p)) {
      chunk = new PolicyChunk(this.scope, `Policy${this.chunks.length + 1}`, this.role, this.logicalIdPrefix);
      this.chunks.push(chunk);
    }
    chunk.allow(p);
  }

  private validateQuota(): string[] {
    const chunks = this.chunks.length;
    const duringUpdate = policiesDuringUpdate(chunks);
    const needs = `The ${this.roleName} role needs ${chunks} managed policies to name the ${this.streams()} streams of this stack and their keys, and one for its logs; an update that changes them all attaches the old and the new together, ${duringUpdate} managed policies`;
    if (duringUpdate > MAX_MANAGED_POLICIES_PER_ROLE) {
      return [
        `${needs}, above IAM's limit of ${MAX_MANAGED_POLICIES_PER_ROLE} per role, which no quota increase lifts. Spread the streams over more stacks, each with its own handler.`,
      ];
    }
    if (duringUpdate > DEFAULT_MANAGED_POLICIES_PER_ROLE_QUOTA) {
      Annotations.of(this.scope).addWarningV2(
        'cdk-stream-encryption:managedPolicyQuota',
        `${needs}, above IAM's default quota of ${DEFAULT_MANAGED_POLICIES_PER_ROLE_QUOTA} per role. Raise the quota "Managed policies per role" to ${duringUpdate} or more (at most ${MAX_MANAGED_POLICIES_PER_ROLE}), or spread the streams over more stacks.`,
      );
    }
    return [];
  }
}
