import { CfnParameter, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { newStack, resourcesOf, snapshotOf, statementsWith, resourcesOfStatement } from './util';
import { DeliveryStreamEncryption, DeliveryStreamKeyType } from '../../src';
import { ACCOUNT_KEY_ACTIONS } from '../../src/private/key-policy';
import { PROVIDER_ID } from '../../src/private/provider';

const RESOURCE_TYPE = 'Custom::DeliveryStreamEncryption';

function imported(stack: Stack, name = 'orders', id = 'Orders'): firehose.IDeliveryStream {
  return firehose.DeliveryStream.fromDeliveryStreamName(stack, id, name);
}

function onlyResource(stack: Stack, type: string): [string, any] {
  const all = Object.entries(resourcesOf(stack, type));
  expect(all).toHaveLength(1);
  return all[0];
}

/** The one KMS key that encrypts a stream (the provider's log key aside). */
function onlyStreamKey(stack: Stack): [string, any] {
  const all = Object.entries(resourcesOf(stack, 'AWS::KMS::Key')).filter(([id]) => !id.startsWith(PROVIDER_ID));
  expect(all).toHaveLength(1);
  return all[0];
}

function streamKeyCount(stack: Stack): number {
  return Object.keys(resourcesOf(stack, 'AWS::KMS::Key')).filter((id) => !id.startsWith(PROVIDER_ID)).length;
}

function s3Destination(stack: Stack): firehose.IDestination {
  return new firehose.S3Bucket(new s3.Bucket(stack, 'Bucket'));
}

describe('DeliveryStreamEncryption defaults (imported stream)', () => {
  const stack = newStack();
  const sse = new DeliveryStreamEncryption(stack, 'OrdersSse', { deliveryStream: imported(stack) });
  const template = Template.fromStack(stack);

  test('creates a symmetric key with rotation, an alias derived from the stream, and DESTROY removal', () => {
    const [keyId, key] = onlyStreamKey(stack);
    expect(key.Properties.EnableKeyRotation).toBe(true);
    expect(key.Properties.KeySpec).toBeUndefined(); // SYMMETRIC_DEFAULT
    expect(key.DeletionPolicy).toBe('Delete');
    template.hasResourceProperties('AWS::KMS::Alias', {
      AliasName: 'alias/firehose-sse/orders',
      TargetKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] },
    });
    expect(sse.encryptionKey).toBeDefined();
    expect(sse.keyType).toBe(DeliveryStreamKeyType.CUSTOMER_MANAGED_CMK);
  });

  test('the key policy lets only the account administer the key, action by action', () => {
    const [, key] = onlyStreamKey(stack);
    const statements = key.Properties.KeyPolicy.Statement;
    expect(statements).toHaveLength(1);
    expect(statements[0].Principal).toEqual({
      AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::123456789012:root']] },
    });
    expect(statements[0].Action).toEqual([...ACCOUNT_KEY_ACTIONS]);
    expect(statements[0].Action).toContain('kms:PutKeyPolicy');
    for (const action of statements[0].Action) {
      expect(action).not.toContain('*');
    }
  });

  test('adds one custom resource with the contract properties and a service timeout', () => {
    const [keyId] = onlyStreamKey(stack);
    const [, cr] = onlyResource(stack, RESOURCE_TYPE);
    expect(cr.Properties).toEqual({
      ServiceToken: { 'Fn::GetAtt': [expect.stringMatching(/^CdkStreamEncryptionProviderHandler/), 'Arn'] },
      ServiceTimeout: '660',
      StreamKind: 'firehose',
      DeliveryStreamName: 'orders',
      KeyType: 'CUSTOMER_MANAGED_CMK',
      KeyArn: { 'Fn::GetAtt': [keyId, 'Arn'] },
      TimeoutSeconds: '600',
      SettleSeconds: '5',
      RemovalPolicy: 'destroy',
    });
    expect(cr.DeletionPolicy).toBe('Delete');
  });

  test('the custom resource depends on the key and on the handler, its role and its policy', () => {
    const [keyId] = onlyStreamKey(stack);
    const [roleId] = onlyResource(stack, 'AWS::IAM::Role');
    const [policyId] = onlyResource(stack, 'AWS::IAM::ManagedPolicy');
    const [fnId] = onlyResource(stack, 'AWS::Lambda::Function');
    const [, cr] = onlyResource(stack, RESOURCE_TYPE);
    expect(cr.DependsOn).toEqual(expect.arrayContaining([keyId, roleId, policyId, fnId]));
  });

  test('the provider is one Node.js 22 function with a 15 minute timeout, its own role and log group', () => {
    const [, fn] = onlyResource(stack, 'AWS::Lambda::Function');
    expect(fn.Properties.Runtime).toBe('nodejs22.x');
    expect(fn.Properties.Handler).toBe('index.handler');
    expect(fn.Properties.Timeout).toBe(900);
    const [logGroupId, logGroup] = onlyResource(stack, 'AWS::Logs::LogGroup');
    expect(logGroup.Properties.RetentionInDays).toBe(365);
    expect(fn.Properties.LoggingConfig).toEqual({ LogGroup: { Ref: logGroupId } });
    const [, role] = onlyResource(stack, 'AWS::IAM::Role');
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    expect(role.Properties.AssumeRolePolicyDocument.Statement[0].Principal).toEqual({ Service: 'lambda.amazonaws.com' });
  });

  test('the handler may manage exactly this stream, and tag it with the owner tag key only', () => {
    const statements = statementsWith(stack, 'firehose:StartDeliveryStreamEncryption');
    expect(statements).toEqual([{
      Effect: 'Allow',
      Action: [
        'firehose:DescribeDeliveryStream',
        'firehose:ListTagsForDeliveryStream',
        'firehose:StartDeliveryStreamEncryption',
        'firehose:StopDeliveryStreamEncryption',
        'firehose:TagDeliveryStream',
        'firehose:UntagDeliveryStream',
      ],
      Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':firehose:eu-west-1:123456789012:deliverystream/orders']] },
      // binds the requests that name tag keys (tag, untag); the reads, Start and Stop name none
      Condition: { 'ForAllValues:StringEquals': { 'aws:TagKeys': 'cdk-stream-encryption/managed-by' } },
    }]);
  });

  test('the handler may describe exactly this key, and grant on it only to an AWS service', () => {
    const [keyId] = onlyStreamKey(stack);
    const statements = statementsWith(stack, 'kms:DescribeKey');
    expect(statements).toHaveLength(1);
    const [statement] = statements;
    expect(statement.Action).toEqual(['kms:CreateGrant', 'kms:DescribeKey']);
    expect(statement.Resource).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
    expect(statement.Condition).toEqual({ BoolIfExists: { 'kms:GrantIsForAWSResource': true } });
  });

  test('the handler writes only to its own log group, which is encrypted with a key of its own', () => {
    const [, logGroup] = onlyResource(stack, 'AWS::Logs::LogGroup');
    // the stack's name and the id of this deployment of it, so a redeployed stack never meets its retained logs
    expect(logGroup.Properties.LogGroupName).toEqual({ 'Fn::Join': ['', ['/cdk-stream-encryption/TestStack/', { 'Fn::Select': [2, { 'Fn::Split': ['/', { Ref: 'AWS::StackId' }] }] }]] });
    expect(logGroup.Properties.KmsKeyId).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^CdkStreamEncryptionProviderLogKey/), 'Arn'] });
    const [statement] = statementsWith(stack, 'logs:PutLogEvents');
    expect(statement.Action).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
    const resources = resourcesOfStatement(statement).map((r) => JSON.stringify(r));
    expect(resources).toHaveLength(2);
    expect(resources[0]).toMatch(/:logs:eu-west-1:123456789012:log-group:\/cdk-stream-encryption\/TestStack\/",\{"Fn::Select":\[2,\{"Fn::Split":\["\/",\{"Ref":"AWS::StackId"\}\]\}\]\}\]\]\}$/);
    expect(resources[1]).toMatch(/:log-group:\/cdk-stream-encryption\/TestStack\/",\{"Fn::Select":\[2,\{"Fn::Split":\["\/",\{"Ref":"AWS::StackId"\}\]\}\]\},":log-stream:\*"\]\]\}$/);
  });

  test('only CloudWatch Logs, for this log group, may use the log key besides the account', () => {
    const [, key] = Object.entries(resourcesOf(stack, 'AWS::KMS::Key')).find(([id]) => id.startsWith(`${PROVIDER_ID}LogKey`))!;
    expect(key.DeletionPolicy).toBe('Retain');
    expect(key.Properties.EnableKeyRotation).toBe(true);
    const [account, logsService] = key.Properties.KeyPolicy.Statement;
    expect(account.Action).toEqual([...ACCOUNT_KEY_ACTIONS]);
    expect(logsService.Principal).toEqual({ Service: { 'Fn::Join': ['', ['logs.eu-west-1.', { Ref: 'AWS::URLSuffix' }]] } });
    expect(logsService.Condition).toEqual({
      ArnEquals: {
        'kms:EncryptionContext:aws:logs:arn': {
          'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':logs:eu-west-1:123456789012:log-group:/cdk-stream-encryption/TestStack/', { 'Fn::Select': [2, { 'Fn::Split': ['/', { Ref: 'AWS::StackId' }] }] }]],
        },
      },
    });
    for (const action of logsService.Action) {
      expect(action).not.toContain('*');
    }
  });

  test('snapshot', () => {
    expect(snapshotOf(stack)).toMatchSnapshot();
  });
});

describe('DeliveryStreamEncryption options', () => {
  test('AWS_OWNED_CMK creates no key and grants no KMS action', () => {
    const stack = newStack();
    const sse = new DeliveryStreamEncryption(stack, 'Sse', {
      deliveryStream: imported(stack),
      keyType: DeliveryStreamKeyType.AWS_OWNED_CMK,
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

  test('a given key is used as is, and the handler is scoped to it', () => {
    const stack = newStack();
    const key = kms.Key.fromKeyArn(stack, 'Key', 'arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555');
    const sse = new DeliveryStreamEncryption(stack, 'Sse', { deliveryStream: imported(stack), encryptionKey: key });
    expect(sse.encryptionKey).toBe(key);
    expect(streamKeyCount(stack)).toBe(0);
    const [, cr] = onlyResource(stack, RESOURCE_TYPE);
    expect(cr.Properties.KeyArn).toBe(key.keyArn);
    expect(statementsWith(stack, 'kms:CreateGrant')[0].Resource).toBe(key.keyArn);
    expect(statementsWith(stack, 'kms:DescribeKey')[0].Resource).toBe(key.keyArn);
  });

  test('timeout and settleTime set the handler deadline, settle time and service timeout', () => {
    const stack = newStack();
    new DeliveryStreamEncryption(stack, 'Sse', {
      deliveryStream: imported(stack),
      timeout: Duration.minutes(3),
      settleTime: Duration.seconds(0),
    });
    const [, cr] = onlyResource(stack, RESOURCE_TYPE);
    expect(cr.Properties.TimeoutSeconds).toBe('180');
    expect(cr.Properties.SettleSeconds).toBe('0');
    expect(cr.Properties.ServiceTimeout).toBe('240');
  });

  test('the service timeout never exceeds the handler function timeout', () => {
    const stack = newStack();
    new DeliveryStreamEncryption(stack, 'Sse', { deliveryStream: imported(stack), timeout: Duration.minutes(14) });
    const [, cr] = onlyResource(stack, RESOURCE_TYPE);
    expect(cr.Properties.TimeoutSeconds).toBe('840');
    expect(cr.Properties.ServiceTimeout).toBe('900');
  });

  test('an unresolved timeout is passed to the handler and bounded by the function timeout', () => {
    const stack = newStack();
    const minutes = new CfnParameter(stack, 'TimeoutSeconds', { type: 'Number' });
    new DeliveryStreamEncryption(stack, 'Sse', {
      deliveryStream: imported(stack),
      timeout: Duration.seconds(minutes.valueAsNumber),
    });
    const [, cr] = onlyResource(stack, RESOURCE_TYPE);
    expect(cr.Properties.TimeoutSeconds).toEqual({ Ref: 'TimeoutSeconds' });
    expect(cr.Properties.ServiceTimeout).toBe('900');
  });

  test('RETAIN leaves encryption on at delete, and retains the key it created', () => {
    const stack = newStack();
    new DeliveryStreamEncryption(stack, 'Sse', { deliveryStream: imported(stack), removalPolicy: RemovalPolicy.RETAIN });
    const [, cr] = onlyResource(stack, RESOURCE_TYPE);
    expect(cr.Properties.RemovalPolicy).toBe('retain');
    const [, key] = onlyStreamKey(stack);
    expect(key.DeletionPolicy).toBe('Retain');
    expect(key.UpdateReplacePolicy).toBe('Retain');
    expect(snapshotOf(stack)).toMatchSnapshot();
  });

  test('RETAIN with a given key that is destroyed with the stack is warned about', () => {
    const stack = newStack();
    const key = new kms.Key(stack, 'UserKey', { removalPolicy: RemovalPolicy.DESTROY });
    new DeliveryStreamEncryption(stack, 'Sse', {
      deliveryStream: imported(stack),
      encryptionKey: key,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Annotations.fromStack(stack).hasWarning('/TestStack/Sse', Match.stringLikeRegexp('removal policy DESTROY'));
  });

  test('RETAIN with a retained key raises no warning', () => {
    const stack = newStack();
    const key = new kms.Key(stack, 'UserKey', { removalPolicy: RemovalPolicy.RETAIN });
    new DeliveryStreamEncryption(stack, 'Sse', {
      deliveryStream: imported(stack),
      encryptionKey: key,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
  });

  test('a stream defined in the same stack is depended on, and its generated name gives a unique alias', () => {
    const stack = newStack();
    const stream = new firehose.DeliveryStream(stack, 'Clicks', { destination: s3Destination(stack) });
    new DeliveryStreamEncryption(stack, 'ClicksSse', { deliveryStream: stream });
    const [streamId] = onlyResource(stack, 'AWS::KinesisFirehose::DeliveryStream');
    const [, cr] = onlyResource(stack, RESOURCE_TYPE);
    expect(cr.Properties.DeliveryStreamName).toEqual({ Ref: streamId });
    expect(cr.DependsOn).toContain(streamId);
    const [, alias] = onlyResource(stack, 'AWS::KMS::Alias');
    expect(alias.Properties.AliasName).toMatch(/^alias\/firehose-sse\/TestStack-Clicks-[A-Za-z0-9]+$/);
  });

  test('a stream defined here with an explicit name gives its name to the alias and is validated', () => {
    const stack = newStack();
    const stream = new firehose.DeliveryStream(stack, 'Clicks', { deliveryStreamName: 'clicks', destination: s3Destination(stack) });
    new DeliveryStreamEncryption(stack, 'ClicksSse', { deliveryStream: stream });
    Template.fromStack(stack).hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/firehose-sse/clicks' });
    const [, cr] = onlyResource(stack, RESOURCE_TYPE);
    expect(cr.Properties.DeliveryStreamName).toEqual({ Ref: expect.stringMatching(/^Clicks/) });

  });

  test('a stream defined here with an invalid explicit name is refused', () => {
    const stack = newStack();
    const stream = new firehose.DeliveryStream(stack, 'Bad', { deliveryStreamName: 'bad name', destination: s3Destination(stack) });
    expect(() => new DeliveryStreamEncryption(stack, 'Sse', { deliveryStream: stream })).toThrow(/invalid name 'bad name'/);
  });

  test('characters a stream name allows but an alias does not are replaced in the alias', () => {
    const stack = newStack();
    new DeliveryStreamEncryption(stack, 'Sse', { deliveryStream: imported(stack, 'orders.v2') });
    Template.fromStack(stack).hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/firehose-sse/orders-v2' });
  });
});

describe('grantPutRecords', () => {
  test('grants PutRecord(Batch) on the stream and GenerateDataKey via Firehose only on the key', () => {
    const stack = newStack();
    const producer = new iam.Role(stack, 'Producer', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    const sse = new DeliveryStreamEncryption(stack, 'Sse', { deliveryStream: imported(stack) });
    const grant = sse.grantPutRecords(producer);
    expect(grant.success).toBe(true);
    const [keyId] = onlyStreamKey(stack);
    const policies = Object.values(resourcesOf(stack, 'AWS::IAM::Policy')).filter(
      (p: any) => JSON.stringify(p.Properties.Roles).includes('Producer'),
    );
    expect(policies).toHaveLength(1);
    const statements = (policies[0] as any).Properties.PolicyDocument.Statement;
    expect(statements).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Action: ['firehose:PutRecord', 'firehose:PutRecordBatch'],
          Resource: expect.objectContaining({ 'Fn::Join': expect.anything() }),
        }),
        {
          Effect: 'Allow',
          Action: 'kms:GenerateDataKey',
          Resource: { 'Fn::GetAtt': [keyId, 'Arn'] },
          Condition: {
            StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', ['firehose.eu-west-1.', { Ref: 'AWS::URLSuffix' }]] } },
          },
        },
      ]),
    );
    expect(statements).toHaveLength(2);
  });

  test('with AWS_OWNED_CMK grants only the Firehose actions', () => {
    const stack = newStack();
    const producer = new iam.Role(stack, 'Producer', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    const sse = new DeliveryStreamEncryption(stack, 'Sse', {
      deliveryStream: imported(stack),
      keyType: DeliveryStreamKeyType.AWS_OWNED_CMK,
    });
    sse.grantPutRecords(producer);
    const statements = statementsWith(stack, 'firehose:PutRecord');
    expect(statements).toHaveLength(1);
    expect(JSON.stringify(resourcesOf(stack, 'AWS::IAM::Policy'))).not.toContain('kms:GenerateDataKey');
  });
});

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

  test('a stream in the same stack without SSE is accepted', () => {
    const stack = newStack();
    const stream = new firehose.DeliveryStream(stack, 'Plain', { destination: s3Destination(stack) });
    expect(() => new DeliveryStreamEncryption(stack, 'Sse', { deliveryStream: stream })).not.toThrow();
  });

  test('a key with AWS_OWNED_CMK is refused', () => {
    const stack = newStack();
    const key = new kms.Key(stack, 'Key');
    expect(
      () =>
        new DeliveryStreamEncryption(stack, 'Sse', {
          deliveryStream: imported(stack),
          encryptionKey: key,
          keyType: DeliveryStreamKeyType.AWS_OWNED_CMK,
        }),
    ).toThrow(/encryptionKey was given with keyType AWS_OWNED_CMK.*remove encryptionKey/);
  });

  test.each([
    ['an asymmetric key', { keySpec: kms.KeySpec.RSA_2048, keyUsage: kms.KeyUsage.ENCRYPT_DECRYPT }, /key spec RSA_2048.*symmetric/],
    ['a signing key', { keySpec: kms.KeySpec.ECC_NIST_P256, keyUsage: kms.KeyUsage.SIGN_VERIFY }, /key spec ECC_NIST_P256/],
    ['an HMAC key', { keySpec: kms.KeySpec.HMAC_256, keyUsage: kms.KeyUsage.GENERATE_VERIFY_MAC }, /key spec HMAC_256/],
  ])('%s is refused', (_name, keyProps, message) => {
    const stack = newStack();
    const key = new kms.Key(stack, 'Key', keyProps);
    expect(() => new DeliveryStreamEncryption(stack, 'Sse', { deliveryStream: imported(stack), encryptionKey: key })).toThrow(message);
  });

  test('an alias passed as the key is refused', () => {
    const stack = newStack();
    const alias = kms.Key.fromKeyArn(stack, 'Alias', 'arn:aws:kms:eu-west-1:123456789012:alias/orders');
    expect(() => new DeliveryStreamEncryption(stack, 'Sse', { deliveryStream: imported(stack), encryptionKey: alias })).toThrow(
      /alias ARN .*pass the key itself/,
    );
  });

  test.each([
    ['59 seconds', Duration.seconds(59)],
    ['15 minutes', Duration.minutes(15)],
    ['a fraction of a second', Duration.millis(90_500)],
  ])('a timeout of %s is refused', (_name, timeout) => {
    const stack = newStack();
    expect(() => new DeliveryStreamEncryption(stack, 'Sse', { deliveryStream: imported(stack), timeout })).toThrow(
      /timeout must be a whole number of seconds from 1 to 14 minutes/,
    );
  });

  test.each([Duration.minutes(1), Duration.minutes(14)])('a timeout of %s is accepted', (timeout) => {
    const stack = newStack();
    expect(() => new DeliveryStreamEncryption(stack, 'Sse', { deliveryStream: imported(stack), timeout })).not.toThrow();
  });

  test('a timeout in minutes from a token is refused with the prop named', () => {
    const stack = newStack();
    const minutes = new CfnParameter(stack, 'Minutes', { type: 'Number' });
    expect(
      () => new DeliveryStreamEncryption(stack, 'Sse', { deliveryStream: imported(stack), timeout: Duration.minutes(minutes.valueAsNumber) }),
    ).toThrow(/timeout cannot be read in seconds: .*Duration.seconds/);
  });

  test('a settle time over 60 seconds is refused', () => {
    const stack = newStack();
    expect(
      () => new DeliveryStreamEncryption(stack, 'Sse', { deliveryStream: imported(stack), settleTime: Duration.seconds(61) }),
    ).toThrow(/settleTime must be a whole number of seconds from 0 to 60/);
  });

  test.each([
    ['a space', 'orders stream'],
    ['a slash', 'orders/eu'],
    ['65 characters', 'a'.repeat(65)],
  ])('a stream name with %s is refused', (_name, name) => {
    const stack = newStack();
    expect(() => new DeliveryStreamEncryption(stack, 'Sse', { deliveryStream: imported(stack, name) })).toThrow(
      /deliveryStream has an invalid name .*1 to 64 characters/,
    );
  });

  test('a stream name of 64 allowed characters is accepted', () => {
    const stack = newStack();
    const name = 'a.b_c-D9'.repeat(8);
    expect(() => new DeliveryStreamEncryption(stack, 'Sse', { deliveryStream: imported(stack, name) })).not.toThrow();
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

  test('a removal policy other than DESTROY or RETAIN is refused', () => {
    const stack = newStack();
    expect(
      () => new DeliveryStreamEncryption(stack, 'Sse', { deliveryStream: imported(stack), removalPolicy: RemovalPolicy.SNAPSHOT }),
    ).toThrow(/removalPolicy must be RemovalPolicy.DESTROY .* or RemovalPolicy.RETAIN/);
  });
});
