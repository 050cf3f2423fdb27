/**
 * What a CDK user holds, deployed: the attributes of the handler's answer resolve, the stream
 * handles' grants name the streams the custom resources answered and work for a producer and a
 * consumer under IAM enforcement, and a FAILED reason names the handler's log group.
 */
import { FirehoseClient, PutRecordCommand } from '@aws-sdk/client-firehose';
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  PutRecordCommand as PutDataRecordCommand,
} from '@aws-sdk/client-kinesis';
import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { encryptionNow } from './firehose-harness';
import { bothKindsOptions, ENV, expectCleanLog, Harness, synthStack, useHarness } from './harness';
import { dataStreamArn, dataStreamNow } from './kinesis-harness';
import { DataStreamEncryption, DeliveryStreamEncryption } from '../../src';
import { accessKeyIdForRole } from '../../tools/local-cloud';
import { LocalCloudStack, StackOperationResult } from '../../tools/local-cloud/cfn';

let h: Harness;
useHarness(bothKindsOptions(300), (started) => (h = started));

/** No settle time: what is deployed is what these scenarios are about. */
const FAST = { SettleSeconds: '0' };

/** The logical id of the template's only resource of `type` whose id starts with `prefix`. */
function idOf(stack: LocalCloudStack, type: string, prefix = ''): string {
  const ids = Object.entries(stack.template.template.Resources).filter(([id, r]) => r.Type === type && id.startsWith(prefix)).map(([id]) => id);
  expect(ids).toHaveLength(1);
  return ids[0];
}

/** Where in the operation's events the creation of `logicalId` is. */
function createdAt(result: StackOperationResult, logicalId: string): number {
  const i = result.events.findIndex((e) => e.logicalId === logicalId && e.action === 'create' && e.outcome === 'COMPLETE');
  expect(i).toBeGreaterThanOrEqual(0);
  return i;
}

/** SDK credentials of a role of the stack (the local cloud knows a role's sessions by their access key). */
function credentialsOf(stack: LocalCloudStack, roleLogicalId: string) {
  const roleArn = stack.attribute(roleLogicalId, 'Arn');
  expect(roleArn).toMatch(/^arn:aws:iam::123456789012:role\//);
  return { accessKeyId: accessKeyIdForRole(roleArn!), secretAccessKey: 'local-cloud-role-secret', sessionToken: 'local-cloud-role-session' };
}

/** A role of the stack that the tests' SDK clients act as. */
function appRole(s: Stack, id: string): iam.Role {
  return new iam.Role(s, id, { assumedBy: new iam.AccountPrincipal(ENV.account) });
}

// The producer's statements name the stream (firehose:PutRecord, PutRecordBatch: Amazon Data Firehose
// Developer Guide, "Controlling access with Amazon Data Firehose",
// https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html) and the key (kms:GenerateDataKey
// and kms:Decrypt for the caller: no documentation page found, only AWS's notice "Enhanced security
// controls for Amazon Data Firehose", April 2026).
test('Firehose: the attributes resolve to the encryption in force, and a producer granted on encryptedDeliveryStream (stream and key) writes encrypted records', async () => {
  const name = 'api-orders';
  h.cloud.control.createStream({ name });
  const stack = h.cfn.stack(synthStack('ApiFirehose', (s) => {
    const sse = new DeliveryStreamEncryption(s, 'OrdersSse', { deliveryStream: firehose.DeliveryStream.fromDeliveryStreamName(s, 'Orders', name) });
    sse.encryptedDeliveryStream.grantPutRecords(appRole(s, 'Producer'));
    new ssm.StringParameter(s, 'KeyInForce', { stringValue: sse.keyArnInForce });
  }));

  const deployed = await stack.deploy({ properties: FAST });
  expect(deployed.status).toBe('CREATE_COMPLETE');
  expectCleanLog(deployed.steps[0]);
  const resourceId = idOf(stack, 'Custom::DeliveryStreamEncryption');
  const keyArn = stack.keyArn(idOf(stack, 'AWS::KMS::Key', 'OrdersSse'));
  expect(['EncryptionStatus', 'KeyType', 'KeyArn', 'DeliveryStreamName'].map((a) => stack.attribute(resourceId, a))).toEqual([
    'ENABLED', 'CUSTOMER_MANAGED_CMK', keyArn, name,
  ]);
  // what uses the attributes and the handle resolves them, and is created after the encryption is on
  const parameterId = idOf(stack, 'AWS::SSM::Parameter');
  expect(stack.templateProperties(parameterId).Value).toBe(keyArn);
  const policyId = idOf(stack, 'AWS::IAM::Policy', 'Producer');
  const statements = (stack.templateProperties(policyId).PolicyDocument as { Statement: Array<{ Resource: unknown }> }).Statement;
  expect(statements.map((st) => st.Resource)).toEqual([`arn:aws:firehose:${ENV.region}:${ENV.account}:deliverystream/${name}`, keyArn]);
  expect(createdAt(deployed, policyId)).toBeGreaterThan(createdAt(deployed, resourceId));
  expect(createdAt(deployed, parameterId)).toBeGreaterThan(createdAt(deployed, resourceId));

  const producer = new FirehoseClient({ ...h.cloud.clientConfig(), credentials: credentialsOf(stack, idOf(stack, 'AWS::IAM::Role', 'Producer')), maxAttempts: 1 });
  try {
    const put = await producer.send(new PutRecordCommand({ DeliveryStreamName: name, Record: { Data: new TextEncoder().encode('an order') } }));
    expect(put.Encrypted).toBe(true);
  } finally {
    producer.destroy();
  }

  expect(encryptionNow(h.cloud, name)).toMatchObject({ status: 'ENABLED', keyType: 'CUSTOMER_MANAGED_CMK', keyArn, applied: { keyArn } });
  expect(h.cloud.control.key(keyArn)?.KeyState).toBe('Enabled');
  expect(h.cloud.control.deliverRecords(name)).toEqual({ delivered: 1, unreadable: [] });
}, 60_000);

// Consumers need kms:Decrypt and producers kms:GenerateDataKey on the key: Kinesis Data Streams
// Developer Guide, "Permissions to use user-generated KMS keys"
// (https://docs.aws.amazon.com/streams/latest/dev/permissions-user-key-KMS.html).
test('Kinesis: the attributes resolve, and a producer and a consumer granted on encryptedStream write and read records under the key', async () => {
  const name = 'api-events';
  h.cloud.control.createDataStream({ name });
  const stack = h.cfn.stack(synthStack('ApiKinesis', (s) => {
    const sse = new DataStreamEncryption(s, 'EventsSse', { stream: kinesis.Stream.fromStreamArn(s, 'Events', dataStreamArn(name)) });
    sse.encryptedStream.grantRead(appRole(s, 'Consumer'));
    sse.encryptedStream.grantWrite(appRole(s, 'Producer'));
  }));

  const deployed = await stack.deploy({ properties: FAST });
  expect(deployed.status).toBe('CREATE_COMPLETE');
  expectCleanLog(deployed.steps[0]);
  const resourceId = idOf(stack, 'Custom::DataStreamEncryption');
  const keyArn = stack.keyArn(idOf(stack, 'AWS::KMS::Key', 'EventsSse'));
  expect(['EncryptionType', 'KeyId', 'StreamStatus', 'StreamName', 'StreamArn'].map((a) => stack.attribute(resourceId, a))).toEqual([
    'KMS', keyArn, 'ACTIVE', name, dataStreamArn(name),
  ]);
  const consumerPolicy = idOf(stack, 'AWS::IAM::Policy', 'Consumer');
  const consumerStatements = (stack.templateProperties(consumerPolicy).PolicyDocument as { Statement: Array<{ Resource: unknown }> }).Statement;
  const resources = consumerStatements.map((st) => st.Resource);
  expect(resources).toEqual(expect.arrayContaining([dataStreamArn(name), keyArn]));
  expect(createdAt(deployed, consumerPolicy)).toBeGreaterThan(createdAt(deployed, resourceId));

  const producer = new KinesisClient({ ...h.cloud.clientConfig(), credentials: credentialsOf(stack, idOf(stack, 'AWS::IAM::Role', 'Producer')), maxAttempts: 1 });
  const consumer = new KinesisClient({ ...h.cloud.clientConfig(), credentials: credentialsOf(stack, idOf(stack, 'AWS::IAM::Role', 'Consumer')), maxAttempts: 1 });
  const reader = new KinesisClient({ ...h.cloud.clientConfig(), maxAttempts: 1 });
  try {
    const put = await producer.send(new PutDataRecordCommand({ StreamName: name, Data: new TextEncoder().encode('an event'), PartitionKey: 'p' }));
    expect(put.EncryptionType).toBe('KMS');
    const iterator = await consumer.send(new GetShardIteratorCommand({ StreamName: name, ShardId: put.ShardId!, ShardIteratorType: 'TRIM_HORIZON' }));
    // The local cloud judges GetRecords against no stream (its iterator names none), which no policy
    // scoped to a stream allows: the records are read with the cloud's own credentials.
    const read = await reader.send(new GetRecordsCommand({ ShardIterator: iterator.ShardIterator! }));
    expect(read.Records?.map((r) => new TextDecoder().decode(r.Data))).toEqual(['an event']);
    expect(read.Records?.[0].EncryptionType).toBe('KMS');
  } finally {
    producer.destroy();
    consumer.destroy();
    reader.destroy();
  }

  expect(dataStreamNow(h.cloud, name)).toMatchObject({ status: 'ACTIVE', encryptionType: 'KMS', keyId: keyArn });
  expect(h.cloud.control.key(keyArn)?.KeyState).toBe('Enabled');
  expect(h.cloud.control.unreadableDataRecords(name)).toEqual([]);
}, 60_000);

test('a FAILED reason names the handler\'s log group, which handlerLogGroup is', async () => {
  const name = 'api-missing';
  const stack = h.cfn.stack(synthStack('ApiMissing', (s) => {
    new DeliveryStreamEncryption(s, 'MissingSse', { deliveryStream: firehose.DeliveryStream.fromDeliveryStreamName(s, 'Missing', name) });
  }));

  const deployed = await stack.deploy({ properties: FAST });
  expect(deployed.status).toBe('ROLLBACK_COMPLETE');
  const [create] = deployed.steps.filter((st) => st.requestType === 'Create');
  const logGroupName = stack.templateProperties(idOf(stack, 'AWS::Logs::LogGroup')).LogGroupName;
  expect(logGroupName).toMatch(/^\/cdk-stream-encryption\/ApiMissing\/[0-9a-f-]{36}$/);
  expect(create).toMatchObject({ status: 'FAILED', reasonId: 'STREAM_NOT_FOUND' });
  expect(create.reason).toMatch(/^STREAM_NOT_FOUND: Firehose stream api-missing does not exist/);
  expect(create.reason).toContain(` See CloudWatch log group ${logGroupName}, log stream `);

  // nothing was made or changed: no stream, the created key kept (RETAIN) and enabled
  expect(h.cloud.control.stream(name)).toBeUndefined();
  expect(h.cloud.control.key(stack.keyArn(idOf(stack, 'AWS::KMS::Key', 'MissingSse')))?.KeyState).toBe('Enabled');
}, 60_000);
