/**
 * A stack's IAM resources in the local cloud's IAM model: each `AWS::IAM::Role` (its inline
 * `Policies`, and the template's managed policies its `ManagedPolicyArns` names), each
 * `AWS::IAM::ManagedPolicy` and `AWS::IAM::Policy` (attached to the roles their `Roles` name).
 * CloudFormation applies them one resource at a time, at their place in the operation's order, so
 * the driver tells this model which version of each resource is in force as each step happens; the
 * roles' policies follow (a removed policy is detached, a changed one replaced).
 *
 * @module
 */

import { accessKeyIdForRole } from '../authorization';
import { IamModel, PolicyDocument } from '../iam';
import { TemplateModel } from './model';

/** The IAM resource types the model applies. */
export const IAM_RESOURCE_TYPES: readonly string[] = ['AWS::IAM::Role', 'AWS::IAM::ManagedPolicy', 'AWS::IAM::Policy'];

/** Whether a resource type is one the IAM model applies. */
export function isIamType(type: string): boolean {
  return IAM_RESOURCE_TYPES.includes(type);
}

/** A list property as a list. */
function listOf(value: unknown): unknown[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/** The IAM resources of one stack, as in force now. */
export class StackIam {
  /** The template version in force for each IAM resource, by logical id. */
  private readonly applied = new Map<string, TemplateModel>();
  /** What was put into the IAM model: role ARN → policy name → document (as JSON). */
  private readonly attached = new Map<string, Map<string, string>>();

  /**
   * @param iam - the local cloud's IAM model
   */
  constructor(private readonly iam: IamModel) {}

  /** Puts the version of `logicalId` in `model` in force (create or update). */
  public apply(model: TemplateModel, logicalId: string): void {
    this.applied.set(logicalId, model);
    this.sync();
  }

  /** Removes `logicalId` (delete): a policy is detached, a role forgotten. */
  public remove(logicalId: string): void {
    if (this.applied.delete(logicalId)) this.sync();
  }

  /** The ARN of a role resource in `model`. */
  private roleArn(model: TemplateModel, logicalId: string): string {
    return model.getAtt(logicalId, 'Arn')!;
  }

  /** Recomputes every role's policies from the versions in force and updates the IAM model. */
  private sync(): void {
    const wanted = new Map<string, Map<string, string>>();
    const roleByName = new Map<string, string>();
    const roleByArnOfManaged = new Map<string, string[]>();
    for (const [id, model] of this.applied) {
      if (model.resource(id).Type !== 'AWS::IAM::Role') continue;
      const arn = this.roleArn(model, id);
      roleByName.set(model.ref(id)!, arn);
      const policies = new Map<string, string>();
      for (const p of listOf(model.property(id, 'Policies')) as Array<{ PolicyName?: string; PolicyDocument?: PolicyDocument }>) {
        if (p?.PolicyName && p.PolicyDocument) policies.set(`${id}/${p.PolicyName}`, JSON.stringify(p.PolicyDocument));
      }
      wanted.set(arn, policies);
      for (const managed of listOf(model.property(id, 'ManagedPolicyArns'))) {
        roleByArnOfManaged.set(String(managed), [...(roleByArnOfManaged.get(String(managed)) ?? []), arn]);
      }
    }
    for (const [id, model] of this.applied) {
      const type = model.resource(id).Type;
      if (type === 'AWS::IAM::Role') continue;
      const document = model.property(id, 'PolicyDocument') as PolicyDocument | undefined;
      if (!document) continue;
      const roles = listOf(model.property(id, 'Roles')).map((name) => roleByName.get(String(name))).filter((arn): arn is string => arn !== undefined);
      if (type === 'AWS::IAM::ManagedPolicy') roles.push(...(roleByArnOfManaged.get(model.ref(id)!) ?? []));
      for (const role of new Set(roles)) wanted.get(role)?.set(id, JSON.stringify(document));
    }

    for (const [role, policies] of this.attached) {
      if (!wanted.has(role)) {
        // A deleted role: its sessions (still running handlers) are denied everything.
        for (const name of policies.keys()) this.iam.removePolicy(role, name);
        policies.clear();
        continue;
      }
      for (const name of policies.keys()) {
        if (!wanted.get(role)!.has(name)) {
          this.iam.removePolicy(role, name);
          policies.delete(name);
        }
      }
    }
    for (const [role, policies] of wanted) {
      if (!this.attached.has(role)) {
        this.iam.defineRole(role, accessKeyIdForRole(role));
        this.attached.set(role, new Map());
      }
      const now = this.attached.get(role)!;
      for (const [name, json] of policies) {
        if (now.get(name) === json) continue;
        this.iam.putPolicy(role, name, JSON.parse(json) as PolicyDocument);
        now.set(name, json);
      }
    }
  }
}
