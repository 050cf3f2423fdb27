/**
 * The API a CDK user holds: the encrypted streams handed back as handles,
 * the attributes of what the handler answered, and the handler's settings
 * for the stack, each used as a consumer would.
 */
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { KINESIS_STREAM_ARN, newStack, onlyResource, onlyStreamKey, resourcesOf, role } from './util';
import { DataStreamEncryption, DeliveryStreamEncryption, StreamEncryptionHandler } from '../../src';

/** The statements of the policies attached to the role whose logical id starts with `rolePrefix`. */
function statementsOf(stack: Stack, rolePrefix: string): any[] {
  return Object.values(resourcesOf(stack, 'AWS::IAM::Policy'))
    .filter((p: any) => p.Properties.Roles.some((r: any) => String(r.Ref).startsWith(rolePrefix)))
    .flatMap((p: any) => p.Properties.PolicyDocument.Statement);
}

/** The KMS actions of `statements`, by the resource they name. */
function kmsStatements(statements: any[]): any[] {
  return statements.filter((s) => [s.Action].flat().some((a: string) => a.startsWith('kms:')));
}

function deliveryStream(stack: Stack, name = 'orders'): firehose.IDeliveryStream {
  return firehose.DeliveryStream.fromDeliveryStreamName(stack, 'Orders', name);
}

function dataStream(stack: Stack): kinesis.IStream {
  return kinesis.Stream.fromStreamArn(stack, 'Events', KINESIS_STREAM_ARN);
}

function consumerFunction(stack: Stack): lambda.Function {
  return new lambda.Function(stack, 'Consumer', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => undefined;'),
  });
}

// The handle's grants add the key action Kinesis asks of consumers (kms:Decrypt) and producers
// (kms:GenerateDataKey): Kinesis Data Streams Developer Guide, "Permissions to use user-generated KMS
// keys" (https://docs.aws.amazon.com/streams/latest/dev/permissions-user-key-KMS.html), usable only
// through Kinesis (kms:ViaService: AWS KMS Developer Guide, "AWS KMS condition keys",
// https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html). What aws-cdk-lib's own
// integrations (event sources, Firehose sources, EventBridge targets) grant through it is theirs;
// these tests show that they get the handle's grants.
describe('DataStreamEncryption.encryptedStream', () => {
  test('a KinesisEventSource on it gives the function kms:Decrypt on the key, and its mapping waits for the encryption', () => {
    const stack = newStack();
    const sse = new DataStreamEncryption(stack, 'EventsSse', { stream: dataStream(stack) });
    const fn = consumerFunction(stack);
    fn.addEventSource(new sources.KinesisEventSource(sse.encryptedStream, { startingPosition: lambda.StartingPosition.TRIM_HORIZON }));

    const [keyId] = onlyStreamKey(stack);
    const [resourceId] = onlyResource(stack, 'Custom::DataStreamEncryption');
    const keyStatements = kmsStatements(statementsOf(stack, 'ConsumerServiceRole'));
    expect(keyStatements).toEqual([expect.objectContaining({ Action: 'kms:Decrypt', Resource: { 'Fn::GetAtt': [keyId, 'Arn'] } })]);
    const [, mapping] = onlyResource(stack, 'AWS::Lambda::EventSourceMapping');
    expect(mapping.Properties.EventSourceArn).toEqual({ 'Fn::GetAtt': [resourceId, 'StreamArn'] });
  });

  test('grantRead on it gives kms:Decrypt on the key and the read actions on the ARN the custom resource answers', () => {
    const stack = newStack();
    const sse = new DataStreamEncryption(stack, 'EventsSse', { stream: dataStream(stack) });
    sse.encryptedStream.grantRead(role(stack, 'Reader'));

    const [keyId] = onlyStreamKey(stack);
    const [resourceId] = onlyResource(stack, 'Custom::DataStreamEncryption');
    const statements = statementsOf(stack, 'Reader');
    expect(kmsStatements(statements)).toEqual([expect.objectContaining({ Action: 'kms:Decrypt', Resource: { 'Fn::GetAtt': [keyId, 'Arn'] } })]);
    const streamStatement = statements.find((s) => [s.Action].flat().includes('kinesis:GetRecords'));
    expect(streamStatement.Resource).toEqual({ 'Fn::GetAtt': [resourceId, 'StreamArn'] });
    expect(sse.encryptedStream.encryptionKey).toBe(sse.encryptionKey);
  });

  test('a Firehose KinesisStreamSource on it gives the delivery stream\'s role kms:Decrypt on the key', () => {
    const stack = newStack();
    const sse = new DataStreamEncryption(stack, 'EventsSse', { stream: dataStream(stack) });
    new firehose.DeliveryStream(stack, 'Archive', {
      source: new firehose.KinesisStreamSource(sse.encryptedStream),
      destination: new firehose.S3Bucket(new s3.Bucket(stack, 'Bucket')),
    });
    const [keyId] = onlyStreamKey(stack);
    const keyStatements = kmsStatements(statementsOf(stack, 'ArchiveServiceRole'));
    expect(keyStatements).toEqual([expect.objectContaining({ Action: 'kms:Decrypt', Resource: { 'Fn::GetAtt': [keyId, 'Arn'] } })]);
  });

  test('an EventBridge KinesisStream target gives the rule\'s role the handle\'s write grant, key action scoped to Kinesis', () => {
    const stack = newStack();
    const sse = new DataStreamEncryption(stack, 'EventsSse', { stream: dataStream(stack) });
    const rule = new events.Rule(stack, 'Rule', { eventPattern: { source: ['orders'] } });
    rule.addTarget(new targets.KinesisStream(sse.encryptedStream));
    const [keyId] = onlyStreamKey(stack);
    const keyStatements = kmsStatements(Object.values(resourcesOf(stack, 'AWS::IAM::Policy')).flatMap((p: any) => p.Properties.PolicyDocument.Statement));
    expect(keyStatements).toEqual([
      expect.objectContaining({
        Action: 'kms:GenerateDataKey',
        Resource: { 'Fn::GetAtt': [keyId, 'Arn'] },
        Condition: { StringEquals: expect.objectContaining({ 'kms:ViaService': { 'Fn::Join': ['', ['kinesis.eu-west-1.', { Ref: 'AWS::URLSuffix' }]] } }) },
      }),
    ]);
  });

  test('with MANAGED it carries no key, and its users get no KMS action', () => {
    const stack = newStack();
    const sse = new DataStreamEncryption(stack, 'EventsSse', { stream: dataStream(stack), encryption: kinesis.StreamEncryption.MANAGED });
    sse.encryptedStream.grantRead(role(stack, 'Reader'));
    expect(sse.encryptedStream.encryptionKey).toBeUndefined();
    expect(kmsStatements(statementsOf(stack, 'Reader'))).toEqual([]);
  });
});

// grantPutRecords: firehose:PutRecord and firehose:PutRecordBatch, Amazon Data Firehose Developer
// Guide, "Controlling access with Amazon Data Firehose"
// (https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html); the producer's
// kms:GenerateDataKey and kms:Decrypt: no documentation page found, only AWS's notice "Enhanced
// security controls for Amazon Data Firehose" (April 2026); kms:ViaService: AWS KMS Developer Guide,
// "AWS KMS condition keys" (https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html).
describe('DeliveryStreamEncryption.encryptedDeliveryStream', () => {
  test('grantPutRecords on it gives PutRecord(Batch) on the stream the custom resource answers, and the producer\'s key actions', () => {
    const stack = newStack();
    const sse = new DeliveryStreamEncryption(stack, 'OrdersSse', { deliveryStream: deliveryStream(stack) });
    sse.encryptedDeliveryStream.grantPutRecords(role(stack, 'Producer'));

    const [resourceId] = onlyResource(stack, 'Custom::DeliveryStreamEncryption');
    const [keyId] = onlyStreamKey(stack);
    const statements = statementsOf(stack, 'Producer');
    expect(statements).toHaveLength(2);
    expect(statements[0].Action).toEqual(['firehose:PutRecord', 'firehose:PutRecordBatch']);
    expect(JSON.stringify(statements[0].Resource)).toContain(JSON.stringify({ 'Fn::GetAtt': [resourceId, 'DeliveryStreamName'] }));
    expect(statements[1]).toEqual({
      Effect: 'Allow',
      Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
      Resource: { 'Fn::GetAtt': [keyId, 'Arn'] },
      Condition: { StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', ['firehose.eu-west-1.', { Ref: 'AWS::URLSuffix' }]] } } },
    });
    expect(stack.resolve(sse.encryptedDeliveryStream.deliveryStreamName)).toEqual({ 'Fn::GetAtt': [resourceId, 'DeliveryStreamName'] });
  });

  test('its grant gives the actions on the stream only, and with an AWS owned key grantPutRecords gives no key action', () => {
    const stack = newStack();
    const cmk = new DeliveryStreamEncryption(stack, 'OrdersSse', { deliveryStream: deliveryStream(stack) });
    cmk.encryptedDeliveryStream.grant(role(stack, 'Auditor'), 'firehose:DescribeDeliveryStream');
    const owned = new DeliveryStreamEncryption(stack, 'AuditSse', {
      deliveryStream: firehose.DeliveryStream.fromDeliveryStreamName(stack, 'Audit', 'audit'),
      encryption: firehose.StreamEncryption.awsOwnedKey(),
    });
    owned.encryptedDeliveryStream.grantPutRecords(role(stack, 'Producer'));
    expect(statementsOf(stack, 'Auditor').map((s) => s.Action)).toEqual(['firehose:DescribeDeliveryStream']);
    expect(statementsOf(stack, 'Producer').map((s) => s.Action)).toEqual([['firehose:PutRecord', 'firehose:PutRecordBatch']]);
  });

  test('it is a handle of the stack\'s region and account, with the stream\'s metrics and reference', () => {
    const stack = newStack();
    const sse = new DeliveryStreamEncryption(stack, 'OrdersSse', { deliveryStream: deliveryStream(stack) });
    const [resourceId] = onlyResource(stack, 'Custom::DeliveryStreamEncryption');
    const name = { 'Fn::GetAtt': [resourceId, 'DeliveryStreamName'] };
    expect(stack.resolve(sse.encryptedDeliveryStream.deliveryStreamArn)).toEqual({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':firehose:eu-west-1:123456789012:deliverystream/', name]],
    });
    expect(stack.resolve(sse.encryptedDeliveryStream.metricIncomingRecords().dimensions)).toEqual({ DeliveryStreamName: name });
    expect(stack.resolve((sse.encryptedDeliveryStream as unknown as { deliveryStreamRef: object }).deliveryStreamRef)).toEqual({
      deliveryStreamName: name,
      deliveryStreamArn: stack.resolve(sse.encryptedDeliveryStream.deliveryStreamArn),
    });
  });

  test('an EventBridge KinesisFirehoseStreamV2 target on it waits for the encryption', () => {
    const stack = newStack();
    const sse = new DeliveryStreamEncryption(stack, 'OrdersSse', { deliveryStream: deliveryStream(stack) });
    new events.Rule(stack, 'Rule', { eventPattern: { source: ['orders'] } }).addTarget(new targets.KinesisFirehoseStreamV2(sse.encryptedDeliveryStream));

    const [resourceId] = onlyResource(stack, 'Custom::DeliveryStreamEncryption');
    const [, rule] = onlyResource(stack, 'AWS::Events::Rule');
    expect(JSON.stringify(rule.Properties.Targets[0].Arn)).toContain(JSON.stringify({ 'Fn::GetAtt': [resourceId, 'DeliveryStreamName'] }));
  });
});

describe('attributes', () => {
  test('a delivery stream encryption\'s attributes are its custom resource\'s answer', () => {
    const stack = newStack();
    const sse = new DeliveryStreamEncryption(stack, 'OrdersSse', { deliveryStream: deliveryStream(stack) });
    const [resourceId] = onlyResource(stack, 'Custom::DeliveryStreamEncryption');
    expect(stack.resolve([sse.encryptionStatus, sse.keyTypeInForce, sse.keyArnInForce])).toEqual([
      { 'Fn::GetAtt': [resourceId, 'EncryptionStatus'] },
      { 'Fn::GetAtt': [resourceId, 'KeyType'] },
      { 'Fn::GetAtt': [resourceId, 'KeyArn'] },
    ]);
  });

  test('a data stream encryption\'s attributes are its custom resource\'s answer', () => {
    const stack = newStack();
    const sse = new DataStreamEncryption(stack, 'EventsSse', { stream: dataStream(stack) });
    const [resourceId] = onlyResource(stack, 'Custom::DataStreamEncryption');
    expect(stack.resolve([sse.encryptionType, sse.keyIdInForce, sse.streamStatus])).toEqual([
      { 'Fn::GetAtt': [resourceId, 'EncryptionType'] },
      { 'Fn::GetAtt': [resourceId, 'KeyId'] },
      { 'Fn::GetAtt': [resourceId, 'StreamStatus'] },
    ]);
  });
});

describe('the handler\'s log group', () => {
  function logGroup(stack: Stack): [string, any] {
    return onlyResource(stack, 'AWS::Logs::LogGroup');
  }

  function logKey(stack: Stack): any {
    return Object.entries(resourcesOf(stack, 'AWS::KMS::Key')).find(([id]) => id.includes('LogKey'))![1];
  }

  test('handlerLogGroup is the one log group of the stack\'s handler, for every construct', () => {
    const stack = newStack();
    const orders = new DeliveryStreamEncryption(stack, 'OrdersSse', { deliveryStream: deliveryStream(stack) });
    const eventsSse = new DataStreamEncryption(stack, 'EventsSse', { stream: dataStream(stack) });
    const [logGroupId, group] = logGroup(stack);
    expect(stack.resolve(orders.handlerLogGroup.logGroupName)).toEqual({ Ref: logGroupId });
    expect(eventsSse.handlerLogGroup).toBe(orders.handlerLogGroup);
    const [, fn] = onlyResource(stack, 'AWS::Lambda::Function');
    expect(fn.Properties.LoggingConfig).toEqual({ LogGroup: { Ref: logGroupId } });
    // the defaults: a year, kept with its key
    expect(group.Properties.RetentionInDays).toBe(365);
    expect(group.DeletionPolicy).toBe('Retain');
    expect(logKey(stack).DeletionPolicy).toBe('Retain');
  });

  test('StreamEncryptionHandler.configure sets the log group\'s retention and removal (and its key\'s removal)', () => {
    const stack = newStack();
    new DeliveryStreamEncryption(stack, 'OrdersSse', { deliveryStream: deliveryStream(stack) });
    StreamEncryptionHandler.configure(stack, { logRetention: logs.RetentionDays.ONE_MONTH, logRemovalPolicy: RemovalPolicy.DESTROY });
    const [, group] = logGroup(stack);
    expect(group.Properties.RetentionInDays).toBe(30);
    expect([group.DeletionPolicy, group.UpdateReplacePolicy]).toEqual(['Delete', 'Delete']);
    expect(logKey(stack).DeletionPolicy).toBe('Delete');
  });

  test('configured before any stream encryption, the settings hold for the handler they make', () => {
    const stack = newStack();
    StreamEncryptionHandler.configure(stack, { logRetention: logs.RetentionDays.THREE_MONTHS });
    const sse = new DataStreamEncryption(stack, 'EventsSse', { stream: dataStream(stack) });
    const [logGroupId, group] = logGroup(stack);
    expect(group.Properties.RetentionInDays).toBe(90);
    expect(stack.resolve(sse.handlerLogGroup.logGroupName)).toEqual({ Ref: logGroupId });
    expect(Object.keys(resourcesOf(stack, 'AWS::Lambda::Function'))).toHaveLength(1);
  });

  test('RetentionDays.INFINITE keeps the events forever (no RetentionInDays), with a warning that cdk-nag packs report it', () => {
    const stack = newStack();
    new DataStreamEncryption(stack, 'EventsSse', { stream: dataStream(stack) });
    StreamEncryptionHandler.configure(stack, { logRetention: logs.RetentionDays.INFINITE });
    expect(logGroup(stack)[1].Properties).not.toHaveProperty('RetentionInDays');
    const warnings = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('cdk-stream-encryption:handlerLogGroupWithoutRetention'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0].id).toBe('/TestStack/CdkStreamEncryptionProvider/LogGroup');
    expect(String(warnings[0].entry.data)).toMatch(/^logRetention RetentionDays.INFINITE \(set for TestStack\) leaves the handler's log group without a retention period/);
  });

  test('a retention of its own raises no warning', () => {
    const stack = newStack();
    new DataStreamEncryption(stack, 'EventsSse', { stream: dataStream(stack) });
    StreamEncryptionHandler.configure(stack, { logRetention: logs.RetentionDays.TEN_YEARS });
    expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('handlerLogGroupWithoutRetention'))).toHaveLength(0);
  });

  test('a second call may repeat the settings', () => {
    const stack = newStack();
    StreamEncryptionHandler.configure(stack, { logRetention: logs.RetentionDays.THREE_MONTHS });
    new DeliveryStreamEncryption(stack, 'OrdersSse', { deliveryStream: deliveryStream(stack) });
    expect(() => StreamEncryptionHandler.configure(stack, { logRetention: logs.RetentionDays.THREE_MONTHS })).not.toThrow();
    expect(logGroup(stack)[1].Properties.RetentionInDays).toBe(90);
  });

  test('a conflicting logRetention is refused at synth, naming both scopes', () => {
    const stack = newStack();
    const app = new Construct(stack, 'App');
    StreamEncryptionHandler.configure(stack, { logRetention: logs.RetentionDays.ONE_MONTH });
    expect(() => StreamEncryptionHandler.configure(app, { logRetention: logs.RetentionDays.ONE_WEEK })).toThrow(
      'TestStack/App: StreamEncryptionHandler.configure sets logRetention 7 days, but a call for TestStack set it 30 days, and both configure the one handler log group of stack TestStack; call StreamEncryptionHandler.configure once per stack, or give every call the same logRetention.',
    );
  });

  test('a conflicting logRemovalPolicy is refused at synth, naming both scopes', () => {
    const stack = newStack();
    StreamEncryptionHandler.configure(stack, { logRemovalPolicy: RemovalPolicy.RETAIN });
    expect(() => StreamEncryptionHandler.configure(stack, { logRemovalPolicy: RemovalPolicy.DESTROY })).toThrow(
      /^TestStack: StreamEncryptionHandler.configure sets logRemovalPolicy RemovalPolicy.DESTROY, but a call for TestStack set it RemovalPolicy.RETAIN/,
    );
  });

  test('a logRemovalPolicy other than RETAIN or DESTROY is refused', () => {
    const stack = newStack();
    expect(() => StreamEncryptionHandler.configure(stack, { logRemovalPolicy: RemovalPolicy.SNAPSHOT })).toThrow(
      /^TestStack: logRemovalPolicy must be RemovalPolicy.RETAIN .* or RemovalPolicy.DESTROY .*, got snapshot\.$/,
    );
  });

  test('the settings of another stack are its own', () => {
    const one = newStack('One');
    const two = new Stack(one.node.scope as Construct, 'Two', { env: { account: '123456789012', region: 'eu-west-1' } });
    new DeliveryStreamEncryption(one, 'OrdersSse', { deliveryStream: deliveryStream(one) });
    new DeliveryStreamEncryption(two, 'OrdersSse', { deliveryStream: deliveryStream(two, 'other') });
    StreamEncryptionHandler.configure(one, { logRetention: logs.RetentionDays.ONE_MONTH });
    StreamEncryptionHandler.configure(two, { logRetention: logs.RetentionDays.ONE_WEEK });
    expect([logGroup(one)[1].Properties.RetentionInDays, logGroup(two)[1].Properties.RetentionInDays]).toEqual([30, 7]);
  });
});
