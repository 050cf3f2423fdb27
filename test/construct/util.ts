import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';

/** A fresh stack in a fixed environment. */
export function newStack(id = 'TestStack'): Stack {
  const app = new App();
  return new Stack(app, id, { env: { account: '123456789012', region: 'eu-west-1' } });
}

/**
 * The template as JSON for a snapshot, with the handler asset's content hash
 * masked so that a handler change does not churn every construct snapshot.
 */
export function snapshotOf(stack: Stack): unknown {
  const json = JSON.stringify(Template.fromStack(stack).toJSON());
  return JSON.parse(json.replace(/[0-9a-f]{64}(\.zip)?/g, (_m, zip) => `<asset-hash>${zip ?? ''}`));
}

/** Every resource of `type` in the template, keyed by logical id. */
export function resourcesOf(stack: Stack, type: string): Record<string, any> {
  return Template.fromStack(stack).findResources(type);
}

/** Every IAM statement of every identity policy (inline and managed) in the template. */
export function identityStatements(stack: Stack): any[] {
  const t = Template.fromStack(stack);
  const docs = [
    ...Object.values(t.findResources('AWS::IAM::Policy')).map((r: any) => r.Properties.PolicyDocument),
    ...Object.values(t.findResources('AWS::IAM::ManagedPolicy')).map((r: any) => r.Properties.PolicyDocument),
    ...Object.values(t.findResources('AWS::IAM::Role')).flatMap((r: any) =>
      (r.Properties.Policies ?? []).map((p: any) => p.PolicyDocument),
    ),
  ];
  return docs.flatMap((d) => d.Statement);
}

/** Statements whose actions include `action`. */
export function statementsWith(stack: Stack, action: string): any[] {
  return identityStatements(stack).filter((s) => ([] as string[]).concat(s.Action).includes(action));
}

/** A statement's resources as a list. */
export function resourcesOfStatement(s: any): any[] {
  return ([] as any[]).concat(s.Resource);
}
