/**
 * What only `DeliveryStreamEncryption` does; what it shares with
 * `DataStreamEncryption` is in `stream-encryption.test.ts`.
 */
import { CfnParameter, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { FIREHOSE, newStack, onlyResource, onlyStreamKey, resourcesOf, resourcesOfStatement, snapshotOf, statementsWith, streamKeyCount } from './util';
import { DeliveryStreamEncryption } from '../../src';

const RESOURCE_TYPE = FIREHOSE.resourceType;

function imported(stack: Stack, name = 'orders', id = 'Orders'): firehose.IDeliveryStream {
  return firehose.DeliveryStream.fromDeliveryStreamName(stack, id, name);
}

function s3Destination(stack: Stack): firehose.IDestination {
  return new firehose.S3Bucket(new s3.Bucket(stack, 'Bucket'));
}

describe('DeliveryStreamEncryption defaults (imported stream)', () => {
  const stack = newStack();
  new DeliveryStreamEncryption(stack, 'OrdersSse', { deliveryStream: imported(stack) });

  // Firehose API Reference, "StartDeliveryStreamEncryption"
  // (https://docs.aws.amazon.com/firehose/latest/APIReference/API_StartDeliveryStreamEncryption.html)
  // and "DeliveryStreamEncryptionConfigurationInput"
  // (https://docs.aws.amazon.com/firehose/latest/APIReference/API_DeliveryStreamEncryptionConfigurationInput.html):
  // with a CUSTOMER_MANAGED_CMK, Firehose "invokes the AWS KMS operation CreateGrant", on the caller's
  // session (Start "should not be called with session credentials that are more than 6 hours old"),
  // so the caller needs kms:CreateGrant on the key. AWS KMS Developer Guide, "Controlling
  // access to grants" (https://docs.aws.amazon.com/kms/latest/developerguide/grant-authorization.html):
  // kms:GrantIsForAWSResource allows CreateGrant "only when an AWS service that is integrated with AWS
  // KMS sends the request on the principal's behalf". IAM User Guide, "IAM JSON policy elements:
  // Condition operators", "...IfExists condition operators"
  // (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html):
  // BoolIfExists holds when the key is absent, as it is from a kms:DescribeKey request.
  test('the handler may describe exactly this key, and grant on it only to an AWS service', () => {
    const [keyId] = onlyStreamKey(stack);
    const statements = statementsWith(stack, 'kms:DescribeKey');
    expect(statements).toHaveLength(1);
    const [statement] = statements;
    expect(statement.Action).toEqual(['kms:CreateGrant', 'kms:DescribeKey']);
    expect(statement.Resource).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
    expect(statement.Condition).toEqual({ BoolIfExists: { 'kms:GrantIsForAWSResource': true } });
  });
});

describe('DeliveryStreamEncryption options', () => {
  // Firehose API Reference, "DeliveryStreamEncryptionConfigurationInput"
  // (https://docs.aws.amazon.com/firehose/latest/APIReference/API_DeliveryStreamEncryptionConfigurationInput.html):
  // only a CUSTOMER_MANAGED_CMK makes Firehose create a grant with the caller's permissions.
  test('AWS_OWNED_CMK creates no key and grants no KMS action', () => {
    const stack = newStack();
    const sse = new DeliveryStreamEncryption(stack, 'Sse', {
      deliveryStream: imported(stack),
      encryption: firehose.StreamEncryption.awsOwnedKey(),
    });
    expect(sse.encryptionKey).toBeUndefined();
    expect(streamKeyCount(stack)).toBe(0);
    const [, cr] = onlyResource(stack, RESOURCE_TYPE);
    expect(cr.Properties.KeyType).toBe('AWS_OWNED_CMK');
    expect(cr.Properties).not.toHaveProperty('KeyArn');
    expect(statementsWith(stack, 'kms:CreateGrant')).toHaveLength(0);
    expect(statementsWith(stack, 'kms:DescribeKey')).toHaveLength(0);
    expect(snapshotOf(stack)).toMatchSnapshot();
  });
});

// The producer's statements. firehose:PutRecord and firehose:PutRecordBatch on the stream: Amazon Data
// Firehose Developer Guide, "Controlling access with Amazon Data Firehose", "Grant access to your
// Firehose resources" (https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html).
describe('validation at synth', () => {
  test('a stream that reads from a Kinesis data stream is refused', () => {
    const stack = newStack();
    const source = new kinesis.Stream(stack, 'Source');
    const stream = new firehose.DeliveryStream(stack, 'FromKinesis', {
      source: new firehose.KinesisStreamSource(source),
      destination: s3Destination(stack),
    });
    expect(() => new DeliveryStreamEncryption(stack, 'Sse', { deliveryStream: stream })).toThrow(
      /deliveryStream .*FromKinesis reads from a Kinesis data stream.*only encrypt a Direct PUT stream/,
    );
  });

  test('a stream whose CloudFormation already configures SSE is refused', () => {
    const stack = newStack();
    const stream = new firehose.DeliveryStream(stack, 'AlreadyEncrypted', {
      destination: s3Destination(stack),
      encryption: firehose.StreamEncryption.awsOwnedKey(),
    });
    expect(() => new DeliveryStreamEncryption(stack, 'Sse', { deliveryStream: stream })).toThrow(
      /already configures server-side encryption in its own CloudFormation.*remove that setting/,
    );
  });

  test('a stream name known only at deploy time is not checked at synth', () => {
    const stack = newStack();
    const name = new CfnParameter(stack, 'StreamName');
    expect(
      () => new DeliveryStreamEncryption(stack, 'Sse', { deliveryStream: imported(stack, name.valueAsString) }),
    ).not.toThrow();
    const [, cr] = onlyResource(stack, RESOURCE_TYPE);
    expect(cr.Properties.DeliveryStreamName).toEqual({ Ref: 'StreamName' });
  });
});

test('many streams are spread over managed policies that each stay within the IAM size limit', () => {
  const stack = newStack();
  const names = Array.from({ length: 100 }, (_, i) => `stream-${i}`);
  for (const name of names) {
    new DeliveryStreamEncryption(stack, `${name}Sse`, { deliveryStream: imported(stack, name, name) });
  }
  const template = Template.fromStack(stack);
  template.resourceCountIs('AWS::Lambda::Function', 1);
  const firehoseStatements = statementsWith(stack, 'firehose:StartDeliveryStreamEncryption');
  const named = firehoseStatements.flatMap((s) => resourcesOfStatement(s)).map((r) => JSON.stringify(r));
  expect(named).toHaveLength(100);
  expect(new Set(named).size).toBe(100);
  const keys = statementsWith(stack, 'kms:CreateGrant').flatMap((s) => resourcesOfStatement(s));
  expect(keys).toHaveLength(100);
  // no inline policy; IAM caps one managed policy at 6,144 characters (white space excluded): IAM User
  // Guide, "IAM and AWS STS quotas" (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html)
  template.resourceCountIs('AWS::IAM::Policy', 0);
  const policies = Object.values(resourcesOf(stack, 'AWS::IAM::ManagedPolicy')) as any[];
  expect(policies.length).toBeGreaterThan(1);
  // each stream and its key are named once: at least 25 streams a policy
  expect(policies.length).toBeLessThanOrEqual(1 + 100 / 25);
  for (const p of policies) {
    expect(JSON.stringify(stack.resolve(p.Properties.PolicyDocument)).length).toBeLessThan(6_144);
  }
});

