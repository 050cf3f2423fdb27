/**
 * The one provider of a stack, shared by every stream encryption in it,
 * of either kind.
 */
import { CfnResource, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import {
  expectNoWildcardsBesidesOwnLogStreams,
  FIREHOSE,
  Kind,
  KINESIS,
  KINESIS_STREAM_ARN,
  newStack,
  policyChunks,
  resourcesOf,
  resourcesOfStatement,
  snapshotOf,
  statementsWith,
} from './util';
import { policiesDuringUpdate } from '../../src/private/policy-budget';
import { PROVIDER_ID, StreamEncryptionProvider } from '../../src/private/provider';

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

// One statement may name several streams and several keys by ARN (AWS KMS Developer Guide,
// "Specifying KMS keys in IAM policy statements",
// https://docs.aws.amazon.com/kms/latest/developerguide/cmks-in-iam-policies.html); kms:CreateGrant
// on each key is what Firehose's grant needs of the caller (Firehose API Reference,
// "DeliveryStreamEncryptionConfigurationInput",
// https://docs.aws.amazon.com/firehose/latest/APIReference/API_DeliveryStreamEncryptionConfigurationInput.html).
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

// A Firehose key needs kms:CreateGrant of the caller (Firehose API Reference,
// "DeliveryStreamEncryptionConfigurationInput",
// https://docs.aws.amazon.com/firehose/latest/APIReference/API_DeliveryStreamEncryptionConfigurationInput.html);
// a Kinesis key is used by Kinesis for the stream (Kinesis Data Streams Developer Guide, "Permissions
// to use user-generated KMS keys",
// https://docs.aws.amazon.com/streams/latest/dev/permissions-user-key-KMS.html); the Kinesis managed
// key needs no permission of the caller (same page).
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

describe('policy chunks named by their content (immutable across updates)', () => {
  /** A stack whose delivery streams `names` are each encrypted with a created key. */
  function stackOf(names: string[]): Stack {
    const stack = newStack();
    encrypt(stack, names);
    return stack;
  }
  /** The chunks' logical ids, in template order, and each one's document. */
  function chunks(stack: Stack): { ids: string[]; content: Record<string, string> } {
    const all = policyChunks(stack);
    return { ids: Object.keys(all), content: Object.fromEntries(Object.entries(all).map(([id, p]) => [id, JSON.stringify(p.Properties)])) };
  }
  const streams = (count: number, from = 0) => Array.from({ length: count }, (_, i) => `stream-${from + i}`);
  const before = chunks(stackOf(streams(60)));

  test('60 streams take more than one chunk, each named Policy and 8 hex digits of its content', () => {
    expect(before.ids.length).toBeGreaterThan(1);
    for (const id of before.ids) {
      expect(id).toMatch(/^CdkStreamEncryptionProviderPolicy[0-9A-F]{8}$/);
    }
  });

  test('the same streams give the same ids', () => {
    expect(chunks(stackOf(streams(60))).ids).toEqual(before.ids);
  });

  test('a stream added at the end changes only the last chunk: every other keeps its id and content', () => {
    const after = chunks(stackOf(streams(61)));
    const last = before.ids[before.ids.length - 1];
    expect(after.ids.slice(0, -1)).toEqual(before.ids.slice(0, -1));
    for (const id of before.ids.slice(0, -1)) {
      expect(after.content[id]).toBe(before.content[id]);
    }
    expect(after.ids).not.toContain(last);
    expect(after.ids).toHaveLength(before.ids.length);
  });

  test('a stream removed from the first chunk makes new chunks; no id keeps with another content', () => {
    const after = chunks(stackOf(streams(59, 1)));
    expect(after.ids[0]).not.toBe(before.ids[0]);
    for (const id of after.ids.filter((i) => before.ids.includes(i))) {
      expect(after.content[id]).toBe(before.content[id]);
    }
    // the removed stream's Delete runs under the old chunks, which the clean-up phase removes after it
    expect(after.ids.some((id) => JSON.stringify(after.content[id]).includes('deliverystream/stream-0\\"'))).toBe(false);
  });

  // The logs actions: AWS Lambda Developer Guide, "Sending Lambda function logs to CloudWatch Logs",
  // "Required IAM permissions" (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html).
  test('the logs policy is the same whatever the streams, and the function depends on it alone', () => {
    const logs = (stack: Stack) => Object.entries(resourcesOf(stack, 'AWS::IAM::ManagedPolicy')).filter(([id]) => id.startsWith(`${PROVIDER_ID}LogsPolicy`));
    const [one, many] = [stackOf(streams(1)), stackOf(streams(60))];
    expect(logs(one)).toHaveLength(1);
    expect(logs(many)).toEqual(logs(one));
    const [logsId, logsPolicy] = logs(one)[0];
    expect(logsPolicy.Properties.PolicyDocument.Statement).toHaveLength(1);
    expect(logsPolicy.Properties.PolicyDocument.Statement[0].Action).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
    const [, fn] = Object.entries(resourcesOf(many, 'AWS::Lambda::Function'))[0];
    expect(fn.DependsOn.filter((d: string) => d.startsWith(`${PROVIDER_ID}Policy`) || d.startsWith(`${PROVIDER_ID}LogsPolicy`))).toEqual([logsId]);
  });

  test('every custom resource depends on every chunk, also those made for later constructs', () => {
    const stack = stackOf(streams(60));
    const ids = Object.keys(policyChunks(stack));
    const crs = Object.values(resourcesOf(stack, FIREHOSE.resourceType));
    expect(crs).toHaveLength(60);
    for (const cr of crs) {
      expect(cr.DependsOn).toEqual(expect.arrayContaining(ids));
    }
  });
});

describe('managed policies per role during an update (2 × chunks + the logs policy)', () => {
  /**
   * A stack with delivery streams sharing one given key (so that 500
   * resources hold them), added until the handler role has `count` chunks.
   */
  function stackWithChunks(count: number): { stack: Stack; streams: number } {
    const stack = newStack();
    const encryptionKey = kms.Key.fromKeyArn(stack, 'Key', 'arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555');
    let streams = 0;
    while (streams === 0 || StreamEncryptionProvider.of(stack).policies.length < count) {
      FIREHOSE.encrypt(stack, `Sse${streams}`, FIREHOSE.imported(stack, `stream-${streams}`, `Stream${streams}`), { encryptionKey });
      streams += 1;
    }
    return { stack, streams };
  }
  const quotaWarning = (stack: Stack) => Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('managed policies'));

  test('4 chunks (9 during an update) raise no warning', () => {
    expect(quotaWarning(stackWithChunks(4).stack)).toEqual([]);
  });

  test('5 chunks (11 during an update) warn, with an id, naming the streams and the fix', () => {
    const { stack, streams } = stackWithChunks(5);
    const [warning] = quotaWarning(stack);
    expect(String(warning.entry.data)).toContain(`needs 5 managed policies to name the ${streams} streams of this stack and their keys, and one for its logs`);
    expect(String(warning.entry.data)).toMatch(/11 managed policies, above IAM's default quota of 10 per role\. Raise the quota "Managed policies per role" to 11 or more \(at most 20\), or spread the streams over more stacks/);
    expect(String(warning.entry.data)).toContain('[ack: cdk-stream-encryption:managedPolicyQuota]');
  });

  test('9 chunks (19 during an update) still synthesize', () => {
    const { stack } = stackWithChunks(9);
    expect(() => Template.fromStack(stack)).not.toThrow();
  });

  test('10 chunks (21 during an update) are refused at synth, naming the streams and the fix', () => {
    const { stack, streams } = stackWithChunks(10);
    expect(() => Template.fromStack(stack)).toThrow(
      new RegExp(`needs 10 managed policies to name the ${streams} streams .*21 managed policies, above IAM's limit of 20 per role, which no quota increase lifts\\. Spread the streams over more stacks`),
    );
  });
});

describe('streams one stack holds (the figures in the README, "Limits")', () => {
  const givenKey = 'arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555';
  /**
   * The most streams of `kind` one stack holds: within CloudFormation's 500
   * resources, and with 2 × chunks + 1 within IAM's default quota (10) and
   * its hard limit (20) of managed policies per role.
   */
  function measure(kind: Kind, withGivenKey: boolean) {
    const stack = newStack();
    const key = withGivenKey ? kms.Key.fromKeyArn(stack, 'Key', givenKey) : undefined;
    const most = { resources: 0, defaultQuota: 0, hardLimit: 0 };
    for (let i = 1; ; i++) {
      kind.encrypt(stack, `Sse${i}`, kind.imported(stack, `stream-name-${i}`, `Stream${i}`), { encryptionKey: key });
      const during = policiesDuringUpdate(StreamEncryptionProvider.of(stack).policies.length);
      const resources = stack.node.findAll().filter((c) => CfnResource.isCfnResource(c)).length;
      if (resources <= 500) most.resources = i;
      if (during <= 10) most.defaultQuota = i;
      if (during <= 20) most.hardLimit = i;
      if (resources > 500 && during > 20) return most;
    }
  }

  test.each([
    [FIREHOSE, false, { resources: 163, defaultQuota: 127, hardLimit: 285 }],
    [FIREHOSE, true, { resources: 484, defaultQuota: 184, hardLimit: 414 }],
    [KINESIS, false, { resources: 160, defaultQuota: 44, hardLimit: 99 }],
    [KINESIS, true, { resources: 459, defaultQuota: 51, hardLimit: 116 }],
  ])('$construct, a given key: %s', (kind, withGivenKey, expected) => {
    expect(measure(kind, withGivenKey)).toEqual(expected);
  });
});
