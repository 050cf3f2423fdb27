/**
 * The one provider of a stack, shared by every stream encryption in it,
 * of either kind.
 */
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Construct } from 'constructs';
import {
  expectNoWildcardsBesidesOwnLogStreams,
  FIREHOSE,
  KINESIS,
  KINESIS_STREAM_ARN,
  newStack,
  resourcesOf,
  resourcesOfStatement,
  snapshotOf,
  statementsWith,
} from './util';
import { PROVIDER_ID } from '../../src/private/provider';

/** Delivery streams imported by name, each encrypted by `<name>Sse`. */
function encrypt(scope: Construct, names: string[]): void {
  for (const name of names) {
    FIREHOSE.encrypt(scope, `${name}Sse`, FIREHOSE.imported(scope, name, name));
  }
}

/** A stack with several stream encryptions, and what it holds. */
interface Scenario {
  readonly title: string;
  readonly constructs: string;
  /** How many resources of each type besides the one function, role and log group. */
  readonly counts: Record<string, number>;
  /** Fewer statements than the handler's policies hold. */
  readonly minStatements: number;
  build(stack: Stack): void;
}

const SCENARIOS: Scenario[] = [
  {
    title: 'one provider per stack',
    constructs: 'three constructs',
    build: (stack) => {
      encrypt(stack, ['orders', 'clicks']);
      // a construct nested deeper in the tree still finds the stack's provider
      encrypt(new Construct(stack, 'Nested'), ['payments']);
    },
    counts: { [FIREHOSE.resourceType]: 3, 'AWS::KMS::Key': 4 }, // three stream keys and the log key
    minStatements: 0,
  },
  {
    title: 'a stack mixing Firehose and Kinesis',
    constructs: 'a delivery stream and two data streams',
    build: (stack) => {
      FIREHOSE.encrypt(stack, 'OrdersSse', FIREHOSE.imported(stack));
      KINESIS.encrypt(stack, 'EventsSse', KINESIS.imported(stack));
      KINESIS.encrypt(stack, 'AuditSse', KINESIS.imported(stack, 'audit', 'Audit'), { serviceKey: true });
    },
    // one per customer managed stream key, and the log key
    counts: { [FIREHOSE.resourceType]: 1, [KINESIS.resourceType]: 2, 'AWS::KMS::Key': 3 },
    minStatements: 3,
  },
];

describe.each(SCENARIOS)('$title', (scenario) => {
  const stack = newStack();
  scenario.build(stack);
  const template = Template.fromStack(stack);

  test(`${scenario.constructs} synthesize exactly one handler function, role and log group`, () => {
    template.resourceCountIs('AWS::Lambda::Function', 1);
    template.resourceCountIs('AWS::IAM::Role', 1);
    template.resourceCountIs('AWS::Logs::LogGroup', 1);
    for (const [type, count] of Object.entries(scenario.counts)) {
      template.resourceCountIs(type, count);
    }
  });

  test('every custom resource uses the same service token', () => {
    const resources = Object.values(template.toJSON().Resources as Record<string, any>).filter((r) => r.Type.startsWith('Custom::'));
    const tokens = resources.map((r: any) => JSON.stringify(r.Properties.ServiceToken));
    expect(tokens).toHaveLength(scenario.counts[FIREHOSE.resourceType] + (scenario.counts[KINESIS.resourceType] ?? 0));
    expect(new Set(tokens).size).toBe(1);
  });

  test('the provider is a direct child of the stack', () => {
    expect(stack.node.tryFindChild(PROVIDER_ID)).toBeDefined();
  });

  test('no statement names a wildcard resource or action', () => {
    expectNoWildcardsBesidesOwnLogStreams(stack, scenario.minStatements);
  });

  test('snapshot', () => {
    expect(snapshotOf(stack)).toMatchSnapshot();
  });
});

test('the handler may manage exactly the three streams and the three keys of one provider', () => {
  const stack = newStack();
  SCENARIOS[0].build(stack);
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

test('the shared role may manage the delivery stream and both data streams, each with its own actions', () => {
  const stack = newStack();
  SCENARIOS[1].build(stack);
  const [kinesisStatement] = statementsWith(stack, 'kinesis:StartStreamEncryption');
  expect(resourcesOfStatement(kinesisStatement)).toEqual([KINESIS_STREAM_ARN, 'arn:aws:kinesis:eu-west-1:123456789012:stream/audit']);
  const [firehoseStatement] = statementsWith(stack, 'firehose:StartDeliveryStreamEncryption');
  expect(JSON.stringify(firehoseStatement.Resource)).toContain('deliverystream/orders');
  // the Firehose key may be granted to Firehose; the Kinesis key may only make data keys through Kinesis
  expect(resourcesOfStatement(statementsWith(stack, 'kms:CreateGrant')[0])).toHaveLength(1);
  expect(statementsWith(stack, 'kms:GenerateDataKey')).toHaveLength(1);
});
