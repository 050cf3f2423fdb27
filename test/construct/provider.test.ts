import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import { Construct } from 'constructs';
import { identityStatements, newStack, resourcesOf, resourcesOfStatement, snapshotOf, statementsWith } from './util';
import { DeliveryStreamEncryption, DeliveryStreamKeyType } from '../../src';
import { PROVIDER_ID } from '../../src/private/provider';

const RESOURCE_TYPE = 'Custom::DeliveryStreamEncryption';

function encrypt(scope: Construct, names: string[]): DeliveryStreamEncryption[] {
  return names.map(
    (name) =>
      new DeliveryStreamEncryption(scope, `${name}Sse`, {
        deliveryStream: firehose.DeliveryStream.fromDeliveryStreamName(scope, name, name),
      }),
  );
}

describe('one provider per stack', () => {
  const stack = newStack();
  encrypt(stack, ['orders', 'clicks']);
  // a construct nested deeper in the tree still finds the stack's provider
  encrypt(new Construct(stack, 'Nested'), ['payments']);
  const template = Template.fromStack(stack);

  test('three constructs synthesize exactly one handler function, role and log group', () => {
    template.resourceCountIs('AWS::Lambda::Function', 1);
    template.resourceCountIs('AWS::IAM::Role', 1);
    template.resourceCountIs('AWS::Logs::LogGroup', 1);
    template.resourceCountIs(RESOURCE_TYPE, 3);
    template.resourceCountIs('AWS::KMS::Key', 4); // three stream keys and the log key
  });

  test('every custom resource uses the same service token', () => {
    const tokens = Object.values(resourcesOf(stack, RESOURCE_TYPE)).map((r: any) => JSON.stringify(r.Properties.ServiceToken));
    expect(new Set(tokens).size).toBe(1);
  });

  test('the provider is a direct child of the stack', () => {
    expect(stack.node.tryFindChild(PROVIDER_ID)).toBeDefined();
  });

  test('the handler may manage exactly the three streams and the three keys', () => {
    const [firehoseStatement] = statementsWith(stack, 'firehose:StartDeliveryStreamEncryption');
    const streams = JSON.stringify(firehoseStatement.Resource);
    for (const name of ['orders', 'clicks', 'payments']) {
      expect(streams).toContain(`deliverystream/${name}`);
    }
    expect(resourcesOfStatement(firehoseStatement)).toHaveLength(3);
    const keyIds = Object.keys(resourcesOf(stack, 'AWS::KMS::Key')).filter((id) => !id.startsWith(PROVIDER_ID));
    const [grant] = statementsWith(stack, 'kms:CreateGrant');
    expect(grant.Action).toEqual(['kms:CreateGrant', 'kms:DescribeKey']);
    expect(resourcesOfStatement(grant)).toEqual(keyIds.map((id) => ({ 'Fn::GetAtt': [id, 'Arn'] })));
  });

  test('no statement names a wildcard resource or action', () => {
    const statements = identityStatements(stack);
    expect(statements.length).toBeGreaterThan(0);
    for (const s of statements) {
      for (const action of ([] as string[]).concat(s.Action)) {
        expect(action).not.toContain('*');
      }
      for (const resource of resourcesOfStatement(s)) {
        expect(resource).not.toEqual('*');
        const text = JSON.stringify(resource);
        // the only wildcard allowed: the log streams of the handler's own log group
        if (text.includes('*')) {
          expect(text).toMatch(/:log-group:\/cdk-stream-encryption\/TestStack\/",\{"Fn::Select":\[2,\{"Fn::Split":\["\/",\{"Ref":"AWS::StackId"\}\]\}\]\},":log-stream:\*"/);
          expect(s.Action).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
        }
      }
    }
  });

  test('snapshot', () => {
    expect(snapshotOf(stack)).toMatchSnapshot();
  });
});

test('each stack gets its own provider', () => {
  const app = new App();
  const a = new Stack(app, 'A');
  const b = new Stack(app, 'B');
  encrypt(a, ['orders']);
  encrypt(b, ['orders']);
  Template.fromStack(a).resourceCountIs('AWS::Lambda::Function', 1);
  Template.fromStack(b).resourceCountIs('AWS::Lambda::Function', 1);
});

test('an unrelated construct holding the provider id is reported with a fix', () => {
  const stack = newStack();
  new Construct(stack, PROVIDER_ID);
  expect(() => encrypt(stack, ['orders'])).toThrow(/construct id 'CdkStreamEncryptionProvider' is already used .*rename that construct/);
});

test('AWS owned keys add no KMS statement to the shared role', () => {
  const stack = newStack();
  new DeliveryStreamEncryption(stack, 'Sse', {
    deliveryStream: firehose.DeliveryStream.fromDeliveryStreamName(stack, 'S', 'orders'),
    keyType: DeliveryStreamKeyType.AWS_OWNED_CMK,
  });
  encrypt(stack, ['clicks']);
  const [grant] = statementsWith(stack, 'kms:CreateGrant');
  expect(resourcesOfStatement(grant)).toHaveLength(1);
  const [stream] = statementsWith(stack, 'firehose:StartDeliveryStreamEncryption');
  expect(resourcesOfStatement(stream)).toHaveLength(2);
});

test('many streams are spread over managed policies that each stay within the IAM size limit', () => {
  const stack = newStack();
  const names = Array.from({ length: 100 }, (_, i) => `stream-${i}`);
  encrypt(stack, names);
  const template = Template.fromStack(stack);
  template.resourceCountIs('AWS::Lambda::Function', 1);
  const firehoseStatements = statementsWith(stack, 'firehose:StartDeliveryStreamEncryption');
  const named = firehoseStatements.flatMap((s) => resourcesOfStatement(s)).map((r) => JSON.stringify(r));
  expect(named).toHaveLength(100);
  expect(new Set(named).size).toBe(100);
  const keys = statementsWith(stack, 'kms:CreateGrant').flatMap((s) => resourcesOfStatement(s));
  expect(keys).toHaveLength(100);
  // no inline policy; IAM caps one managed policy at 6,144 characters (white space excluded)
  template.resourceCountIs('AWS::IAM::Policy', 0);
  const policies = Object.values(resourcesOf(stack, 'AWS::IAM::ManagedPolicy')) as any[];
  expect(policies.length).toBeGreaterThan(1);
  // each stream and its key are named once: at least 25 streams a policy
  expect(policies.length).toBeLessThanOrEqual(1 + 100 / 25);
  for (const p of policies) {
    expect(JSON.stringify(stack.resolve(p.Properties.PolicyDocument)).length).toBeLessThan(6_144);
  }
});
