import { App, Aspects, CfnParameter, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as kms from 'aws-cdk-lib/aws-kms';
import { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, PCIDSS321Checks } from 'cdk-nag';
import { identityStatements, newStack, resourcesOf, resourcesOfStatement, snapshotOf, statementsWith } from './util';
import { DataStreamEncryption, DataStreamKeyType, DeliveryStreamEncryption } from '../../src';
import { ACCOUNT_KEY_ACTIONS } from '../../src/private/key-policy';
import { PROVIDER_ID } from '../../src/private/provider';

const RESOURCE_TYPE = 'Custom::DataStreamEncryption';
const STREAM_ARN = 'arn:aws:kinesis:eu-west-1:123456789012:stream/events';
const READ_ACTIONS = [
  'kinesis:DescribeStreamSummary',
  'kinesis:GetRecords',
  'kinesis:GetShardIterator',
  'kinesis:ListShards',
  'kinesis:SubscribeToShard',
  'kinesis:DescribeStream',
  'kinesis:ListStreams',
  'kinesis:DescribeStreamConsumer',
];
const WRITE_ACTIONS = ['kinesis:ListShards', 'kinesis:PutRecord', 'kinesis:PutRecords'];
const VIA_KINESIS = { 'Fn::Join': ['', ['kinesis.eu-west-1.', { Ref: 'AWS::URLSuffix' }]] };

function imported(stack: Stack, name = 'events', id = 'Events'): kinesis.IStream {
  return kinesis.Stream.fromStreamArn(stack, id, `arn:aws:kinesis:eu-west-1:123456789012:stream/${name}`);
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

/** The statements of the inline policies attached to a role whose logical id starts with `rolePrefix`. */
function grantStatements(stack: Stack, rolePrefix: string): any[] {
  return Object.values(resourcesOf(stack, 'AWS::IAM::Policy'))
    .filter((p: any) => JSON.stringify(p.Properties.Roles).includes(rolePrefix))
    .flatMap((p: any) => p.Properties.PolicyDocument.Statement);
}

function role(stack: Stack, id: string): iam.Role {
  return new iam.Role(stack, id, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
}

describe('DataStreamEncryption defaults (imported stream)', () => {
  const stack = newStack();
  const sse = new DataStreamEncryption(stack, 'EventsSse', { stream: imported(stack) });
  const template = Template.fromStack(stack);

  test('creates a symmetric key with rotation, an alias derived from the stream, and DESTROY removal', () => {
    const [keyId, key] = onlyStreamKey(stack);
    expect(key.Properties.EnableKeyRotation).toBe(true);
    expect(key.Properties.KeySpec).toBeUndefined(); // SYMMETRIC_DEFAULT
    expect(key.Properties.KeyUsage).toBeUndefined(); // ENCRYPT_DECRYPT
    expect(key.Properties.Description).toBe('Server-side encryption of the Kinesis data stream events (cdk-stream-encryption)');
    expect(key.DeletionPolicy).toBe('Delete');
    template.hasResourceProperties('AWS::KMS::Alias', {
      AliasName: 'alias/kinesis-sse/events',
      TargetKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] },
    });
    expect(sse.encryptionKey).toBeDefined();
    expect(sse.keyType).toBe(DataStreamKeyType.CUSTOMER_MANAGED);
    expect(stack.resolve(sse.keyId)).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
  });

  test('the key policy lets only the account administer the key, action by action', () => {
    const [, key] = onlyStreamKey(stack);
    const statements = key.Properties.KeyPolicy.Statement;
    expect(statements).toHaveLength(1);
    expect(statements[0].Principal).toEqual({
      AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::123456789012:root']] },
    });
    expect(statements[0].Action).toEqual([...ACCOUNT_KEY_ACTIONS]);
  });

  test('adds one custom resource with the contract properties and a service timeout', () => {
    const [keyId] = onlyStreamKey(stack);
    const [, cr] = onlyResource(stack, RESOURCE_TYPE);
    expect(cr.Properties).toEqual({
      ServiceToken: { 'Fn::GetAtt': [expect.stringMatching(/^CdkStreamEncryptionProviderHandler/), 'Arn'] },
      ServiceTimeout: '660',
      StreamKind: 'kinesis',
      StreamName: 'events',
      StreamArn: STREAM_ARN,
      KeyId: { 'Fn::GetAtt': [keyId, 'Arn'] },
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

  test('the handler may read, encrypt and decrypt exactly this stream, and tag it with the owner tag key only', () => {
    const statements = statementsWith(stack, 'kinesis:StartStreamEncryption');
    expect(statements).toEqual([{
      Effect: 'Allow',
      Action: [
        'kinesis:DescribeStreamSummary',
        'kinesis:ListTagsForStream',
        'kinesis:StartStreamEncryption',
        'kinesis:StopStreamEncryption',
        'kinesis:AddTagsToStream',
        'kinesis:RemoveTagsFromStream',
      ],
      Resource: STREAM_ARN,
      // binds the requests that name tag keys (add, remove); the reads, Start and Stop name none
      Condition: { 'ForAllValues:StringEquals': { 'aws:TagKeys': 'cdk-stream-encryption/managed-by' } },
    }]);
  });

  test('the handler may describe exactly this key, and generate data keys with it only through Kinesis for this stream', () => {
    const [keyId] = onlyStreamKey(stack);
    const keyArn = { 'Fn::GetAtt': [keyId, 'Arn'] };
    expect(statementsWith(stack, 'kms:DescribeKey')).toEqual([{ Effect: 'Allow', Action: 'kms:DescribeKey', Resource: keyArn }]);
    expect(statementsWith(stack, 'kms:GenerateDataKey')).toEqual([
      {
        Effect: 'Allow',
        Action: 'kms:GenerateDataKey',
        Resource: keyArn,
        Condition: { StringEquals: { 'kms:ViaService': VIA_KINESIS, 'kms:EncryptionContext:aws:kinesis:arn': STREAM_ARN } },
      },
    ]);
    // Kinesis, unlike Firehose, needs no grant from the caller.
    expect(statementsWith(stack, 'kms:CreateGrant')).toHaveLength(0);
  });

  test('no identity statement names a wildcard resource or action, besides the handler\'s own log streams', () => {
    for (const s of identityStatements(stack)) {
      for (const action of ([] as string[]).concat(s.Action)) {
        expect(action).not.toContain('*');
      }
      for (const resource of resourcesOfStatement(s)) {
        if (JSON.stringify(resource).includes('*')) {
          expect(s.Action).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
        }
      }
    }
  });

  test('snapshot', () => {
    expect(snapshotOf(stack)).toMatchSnapshot();
  });
});

describe('DataStreamEncryption options', () => {
  test('KINESIS_MANAGED creates no key, uses alias/aws/kinesis and grants the handler no KMS action', () => {
    const stack = newStack();
    const sse = new DataStreamEncryption(stack, 'Sse', { stream: imported(stack), keyType: DataStreamKeyType.KINESIS_MANAGED });
    expect(sse.encryptionKey).toBeUndefined();
    expect(sse.keyType).toBe(DataStreamKeyType.KINESIS_MANAGED);
    expect(sse.keyId).toBe('alias/aws/kinesis');
    expect(streamKeyCount(stack)).toBe(0);
    const [, cr] = onlyResource(stack, RESOURCE_TYPE);
    expect(cr.Properties.KeyId).toBe('alias/aws/kinesis');
    expect(identityStatements(stack).filter((s) => JSON.stringify(s.Action).includes('kms:'))).toEqual([]);
    expect(statementsWith(stack, 'kinesis:StartStreamEncryption')).toHaveLength(1);
    expect(snapshotOf(stack)).toMatchSnapshot();
  });

  test('a given key is used as is, and the handler is scoped to it', () => {
    const stack = newStack();
    const keyArn = 'arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555';
    const key = kms.Key.fromKeyArn(stack, 'Key', keyArn);
    const sse = new DataStreamEncryption(stack, 'Sse', { stream: imported(stack), encryptionKey: key });
    expect(sse.encryptionKey).toBe(key);
    expect(sse.keyId).toBe(keyArn);
    expect(streamKeyCount(stack)).toBe(0);
    const [, cr] = onlyResource(stack, RESOURCE_TYPE);
    expect(cr.Properties.KeyId).toBe(keyArn);
    expect(statementsWith(stack, 'kms:DescribeKey')[0].Resource).toBe(keyArn);
    expect(statementsWith(stack, 'kms:GenerateDataKey')[0].Resource).toBe(keyArn);
  });

  test('timeout and settleTime set the handler deadline, settle time and service timeout', () => {
    const stack = newStack();
    new DataStreamEncryption(stack, 'Sse', { stream: imported(stack), timeout: Duration.minutes(3), settleTime: Duration.seconds(0) });
    const [, cr] = onlyResource(stack, RESOURCE_TYPE);
    expect(cr.Properties.TimeoutSeconds).toBe('180');
    expect(cr.Properties.SettleSeconds).toBe('0');
    expect(cr.Properties.ServiceTimeout).toBe('240');
  });

  test('the service timeout never exceeds the handler function timeout', () => {
    const stack = newStack();
    new DataStreamEncryption(stack, 'Sse', { stream: imported(stack), timeout: Duration.minutes(14), settleTime: Duration.seconds(60) });
    const [, cr] = onlyResource(stack, RESOURCE_TYPE);
    expect(cr.Properties.TimeoutSeconds).toBe('840');
    expect(cr.Properties.SettleSeconds).toBe('60');
    expect(cr.Properties.ServiceTimeout).toBe('900');
  });

  test('an unresolved timeout is passed to the handler and bounded by the function timeout', () => {
    const stack = newStack();
    const seconds = new CfnParameter(stack, 'TimeoutSeconds', { type: 'Number' });
    new DataStreamEncryption(stack, 'Sse', { stream: imported(stack), timeout: Duration.seconds(seconds.valueAsNumber) });
    const [, cr] = onlyResource(stack, RESOURCE_TYPE);
    expect(cr.Properties.TimeoutSeconds).toEqual({ Ref: 'TimeoutSeconds' });
    expect(cr.Properties.ServiceTimeout).toBe('900');
  });

  test('RETAIN leaves encryption on at delete, and retains the key it created', () => {
    const stack = newStack();
    new DataStreamEncryption(stack, 'Sse', { stream: imported(stack), removalPolicy: RemovalPolicy.RETAIN });
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
    new DataStreamEncryption(stack, 'Sse', { stream: imported(stack), encryptionKey: key, removalPolicy: RemovalPolicy.RETAIN });
    Annotations.fromStack(stack).hasWarning('/TestStack/Sse', Match.stringLikeRegexp('removal policy DESTROY'));
  });

  test('RETAIN with a retained key raises no warning', () => {
    const stack = newStack();
    const key = new kms.Key(stack, 'UserKey', { removalPolicy: RemovalPolicy.RETAIN });
    new DataStreamEncryption(stack, 'Sse', { stream: imported(stack), encryptionKey: key, removalPolicy: RemovalPolicy.RETAIN });
    Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
  });

  test('an unencrypted stream defined in the same stack is depended on, and its generated name gives a unique alias', () => {
    const stack = newStack();
    const stream = new kinesis.Stream(stack, 'Clicks', { encryption: kinesis.StreamEncryption.UNENCRYPTED });
    new DataStreamEncryption(stack, 'ClicksSse', { stream });
    const [streamId] = onlyResource(stack, 'AWS::Kinesis::Stream');
    const [, cr] = onlyResource(stack, RESOURCE_TYPE);
    expect(cr.Properties.StreamName).toEqual({ Ref: streamId });
    expect(cr.Properties.StreamArn).toEqual({ 'Fn::GetAtt': [streamId, 'Arn'] });
    expect(cr.DependsOn).toContain(streamId);
    const [, alias] = onlyResource(stack, 'AWS::KMS::Alias');
    expect(alias.Properties.AliasName).toMatch(/^alias\/kinesis-sse\/TestStack-Clicks-[A-Za-z0-9]+$/);
    expect(statementsWith(stack, 'kinesis:StartStreamEncryption')[0].Resource).toEqual({ 'Fn::GetAtt': [streamId, 'Arn'] });
    expect(statementsWith(stack, 'kms:GenerateDataKey')[0].Condition.StringEquals['kms:EncryptionContext:aws:kinesis:arn']).toEqual({
      'Fn::GetAtt': [streamId, 'Arn'],
    });
  });

  test('a stream defined here with an explicit name gives its name to the alias', () => {
    const stack = newStack();
    const stream = new kinesis.Stream(stack, 'Clicks', { streamName: 'clicks', encryption: kinesis.StreamEncryption.UNENCRYPTED });
    new DataStreamEncryption(stack, 'ClicksSse', { stream });
    Template.fromStack(stack).hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/kinesis-sse/clicks' });
  });

  test('characters a stream name allows but an alias does not are replaced in the alias', () => {
    const stack = newStack();
    new DataStreamEncryption(stack, 'Sse', { stream: imported(stack, 'events.v2') });
    Template.fromStack(stack).hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/kinesis-sse/events-v2' });
  });

  test('a stream imported with another encryptionKey is warned about', () => {
    const stack = newStack();
    const other = kms.Key.fromKeyArn(stack, 'Other', 'arn:aws:kms:eu-west-1:123456789012:key/99999999-2222-3333-4444-555555555555');
    const stream = kinesis.Stream.fromStreamAttributes(stack, 'S', { streamArn: STREAM_ARN, encryptionKey: other });
    new DataStreamEncryption(stack, 'Sse', { stream });
    Annotations.fromStack(stack).hasWarning('/TestStack/Sse', Match.stringLikeRegexp('streamDeclaresAnotherKey'));
  });

  test('a stream imported with the very key given raises no warning', () => {
    const stack = newStack();
    const key = kms.Key.fromKeyArn(stack, 'Key', 'arn:aws:kms:eu-west-1:123456789012:key/99999999-2222-3333-4444-555555555555');
    const stream = kinesis.Stream.fromStreamAttributes(stack, 'S', { streamArn: STREAM_ARN, encryptionKey: key });
    new DataStreamEncryption(stack, 'Sse', { stream, encryptionKey: key });
    Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
  });
});

describe('grants', () => {
  function setUp(keyType?: DataStreamKeyType): { stack: Stack; sse: DataStreamEncryption; principal: iam.Role } {
    const stack = newStack();
    const sse = new DataStreamEncryption(stack, 'Sse', { stream: imported(stack), keyType });
    return { stack, sse, principal: role(stack, 'App') };
  }

  function keyStatement(stack: Stack, action: string | string[]): any {
    const [keyId] = onlyStreamKey(stack);
    return {
      Effect: 'Allow',
      Action: action,
      Resource: { 'Fn::GetAtt': [keyId, 'Arn'] },
      Condition: { StringEquals: { 'kms:ViaService': VIA_KINESIS, 'kms:EncryptionContext:aws:kinesis:arn': STREAM_ARN } },
    };
  }

  test('grantRead: the stream\'s read actions, and kms:Decrypt through Kinesis for this stream only', () => {
    const { stack, sse, principal } = setUp();
    expect(sse.grantRead(principal).success).toBe(true);
    expect(grantStatements(stack, 'App')).toEqual([
      { Effect: 'Allow', Action: READ_ACTIONS, Resource: STREAM_ARN },
      keyStatement(stack, 'kms:Decrypt'),
    ]);
  });

  test('grantWrite: the stream\'s write actions, and kms:GenerateDataKey through Kinesis for this stream only', () => {
    const { stack, sse, principal } = setUp();
    expect(sse.grantWrite(principal).success).toBe(true);
    expect(grantStatements(stack, 'App')).toEqual([
      { Effect: 'Allow', Action: WRITE_ACTIONS, Resource: STREAM_ARN },
      keyStatement(stack, 'kms:GenerateDataKey'),
    ]);
  });

  test('grantReadWrite: both sets of stream actions, and both key actions', () => {
    const { stack, sse, principal } = setUp();
    expect(sse.grantReadWrite(principal).success).toBe(true);
    const statements = grantStatements(stack, 'App');
    expect(statements).toHaveLength(2);
    expect(new Set(statements[0].Action)).toEqual(new Set([...READ_ACTIONS, ...WRITE_ACTIONS]));
    expect(statements[0].Resource).toBe(STREAM_ARN);
    expect(statements[1]).toEqual(keyStatement(stack, ['kms:Decrypt', 'kms:GenerateDataKey']));
  });

  test.each(['grantRead', 'grantWrite', 'grantReadWrite'] as const)('%s with KINESIS_MANAGED grants only stream actions', (method) => {
    const { stack, sse, principal } = setUp(DataStreamKeyType.KINESIS_MANAGED);
    sse[method](principal);
    const statements = grantStatements(stack, 'App');
    expect(statements).toHaveLength(1);
    expect(JSON.stringify(statements)).not.toContain('kms:');
  });
});

describe('validation at synth', () => {
  test.each([
    ['the default (alias/aws/kinesis)', {}],
    ['KMS with its own key', { encryption: kinesis.StreamEncryption.KMS }],
    ['MANAGED', { encryption: kinesis.StreamEncryption.MANAGED }],
  ])('a stream defined here whose CloudFormation sets StreamEncryption (%s) is refused', (_name, props) => {
    const stack = newStack();
    const stream = new kinesis.Stream(stack, 'Encrypted', props);
    expect(() => new DataStreamEncryption(stack, 'Sse', { stream })).toThrow(
      /stream .*Encrypted already sets StreamEncryption in its own CloudFormation.*encryption: kinesis.StreamEncryption.UNENCRYPTED/,
    );
  });

  test('a stream defined here with UNENCRYPTED is accepted', () => {
    const stack = newStack();
    const stream = new kinesis.Stream(stack, 'Plain', { encryption: kinesis.StreamEncryption.UNENCRYPTED });
    expect(() => new DataStreamEncryption(stack, 'Sse', { stream })).not.toThrow();
  });

  test('a key with KINESIS_MANAGED is refused', () => {
    const stack = newStack();
    const key = new kms.Key(stack, 'Key');
    expect(
      () => new DataStreamEncryption(stack, 'Sse', { stream: imported(stack), encryptionKey: key, keyType: DataStreamKeyType.KINESIS_MANAGED }),
    ).toThrow(/encryptionKey was given with keyType KINESIS_MANAGED.*remove encryptionKey/);
  });

  test.each([
    ['an asymmetric key', { keySpec: kms.KeySpec.RSA_2048, keyUsage: kms.KeyUsage.ENCRYPT_DECRYPT }, /key spec RSA_2048, but Kinesis encrypts only with symmetric keys/],
    ['a signing key', { keySpec: kms.KeySpec.ECC_NIST_P256, keyUsage: kms.KeyUsage.SIGN_VERIFY }, /key spec ECC_NIST_P256/],
    ['an HMAC key', { keySpec: kms.KeySpec.HMAC_256, keyUsage: kms.KeyUsage.GENERATE_VERIFY_MAC }, /key spec HMAC_256/],
  ])('%s is refused', (_name, keyProps, message) => {
    const stack = newStack();
    const key = new kms.Key(stack, 'Key', keyProps);
    expect(() => new DataStreamEncryption(stack, 'Sse', { stream: imported(stack), encryptionKey: key })).toThrow(message);
  });

  test('an alias passed as the key is refused', () => {
    const stack = newStack();
    const alias = kms.Key.fromKeyArn(stack, 'Alias', 'arn:aws:kms:eu-west-1:123456789012:alias/events');
    expect(() => new DataStreamEncryption(stack, 'Sse', { stream: imported(stack), encryptionKey: alias })).toThrow(
      /encryptionKey has the alias ARN .*pass the key itself/,
    );
  });

  test.each([
    ['59 seconds', Duration.seconds(59)],
    ['15 minutes', Duration.minutes(15)],
    ['a fraction of a second', Duration.millis(90_500)],
  ])('a timeout of %s is refused', (_name, timeout) => {
    const stack = newStack();
    expect(() => new DataStreamEncryption(stack, 'Sse', { stream: imported(stack), timeout })).toThrow(
      /timeout must be a whole number of seconds from 1 to 14 minutes/,
    );
  });

  test.each([Duration.minutes(1), Duration.minutes(14)])('a timeout of %s is accepted', (timeout) => {
    const stack = newStack();
    expect(() => new DataStreamEncryption(stack, 'Sse', { stream: imported(stack), timeout })).not.toThrow();
  });

  test.each([
    ['over 60 seconds', Duration.seconds(61)],
    ['a fraction of a second', Duration.millis(1500)],
  ])('a settle time %s is refused', (_name, settleTime) => {
    const stack = newStack();
    expect(() => new DataStreamEncryption(stack, 'Sse', { stream: imported(stack), settleTime })).toThrow(
      /settleTime must be a whole number of seconds from 0 to 60/,
    );
  });

  test.each([
    ['a space', 'events stream'],
    ['a colon', 'events:eu'],
    ['129 characters', 'a'.repeat(129)],
  ])('a stream name with %s is refused', (_name, name) => {
    const stack = newStack();
    expect(() => new DataStreamEncryption(stack, 'Sse', { stream: imported(stack, name) })).toThrow(
      /stream has an invalid name .*1 to 128 characters of letters, digits/,
    );
  });

  test('a stream defined here with an invalid explicit name is refused', () => {
    const stack = newStack();
    const stream = new kinesis.Stream(stack, 'Bad', { streamName: 'bad name', encryption: kinesis.StreamEncryption.UNENCRYPTED });
    expect(() => new DataStreamEncryption(stack, 'Sse', { stream })).toThrow(/invalid name 'bad name'/);
  });

  test('a stream name of 128 allowed characters is accepted', () => {
    const stack = newStack();
    const name = 'a.b_c-D9'.repeat(16);
    expect(() => new DataStreamEncryption(stack, 'Sse', { stream: imported(stack, name) })).not.toThrow();
  });

  test('a stream ARN known only at deploy time is not checked at synth', () => {
    const stack = newStack();
    const arn = new CfnParameter(stack, 'StreamArn');
    const stream = kinesis.Stream.fromStreamArn(stack, 'S', arn.valueAsString);
    expect(() => new DataStreamEncryption(stack, 'Sse', { stream })).not.toThrow();
    const [, cr] = onlyResource(stack, RESOURCE_TYPE);
    expect(cr.Properties.StreamArn).toEqual({ Ref: 'StreamArn' });
    expect(JSON.stringify(cr.Properties.StreamName)).toContain('Fn::Split');
  });

  test('a removal policy other than DESTROY or RETAIN is refused', () => {
    const stack = newStack();
    expect(
      () => new DataStreamEncryption(stack, 'Sse', { stream: imported(stack), removalPolicy: RemovalPolicy.SNAPSHOT }),
    ).toThrow(/removalPolicy must be RemovalPolicy.DESTROY .* or RemovalPolicy.RETAIN/);
  });
});

describe('a stack mixing Firehose and Kinesis', () => {
  const stack = newStack();
  new DeliveryStreamEncryption(stack, 'OrdersSse', {
    deliveryStream: firehose.DeliveryStream.fromDeliveryStreamName(stack, 'Orders', 'orders'),
  });
  new DataStreamEncryption(stack, 'EventsSse', { stream: imported(stack) });
  new DataStreamEncryption(stack, 'AuditSse', { stream: imported(stack, 'audit', 'Audit'), keyType: DataStreamKeyType.KINESIS_MANAGED });
  const template = Template.fromStack(stack);

  test('has exactly one provider: one function, one role, one log group', () => {
    template.resourceCountIs('AWS::Lambda::Function', 1);
    template.resourceCountIs('AWS::IAM::Role', 1);
    template.resourceCountIs('AWS::Logs::LogGroup', 1);
    template.resourceCountIs('Custom::DeliveryStreamEncryption', 1);
    template.resourceCountIs(RESOURCE_TYPE, 2);
    template.resourceCountIs('AWS::KMS::Key', 3); // one per customer managed stream key, and the log key
  });

  test('every custom resource uses the same service token', () => {
    const tokens = [
      ...Object.values(resourcesOf(stack, 'Custom::DeliveryStreamEncryption')),
      ...Object.values(resourcesOf(stack, RESOURCE_TYPE)),
    ].map((r: any) => JSON.stringify(r.Properties.ServiceToken));
    expect(tokens).toHaveLength(3);
    expect(new Set(tokens).size).toBe(1);
  });

  test('the shared role may manage the delivery stream and both data streams, each with its own actions', () => {
    const [kinesisStatement] = statementsWith(stack, 'kinesis:StartStreamEncryption');
    expect(resourcesOfStatement(kinesisStatement)).toEqual([STREAM_ARN, 'arn:aws:kinesis:eu-west-1:123456789012:stream/audit']);
    const [firehoseStatement] = statementsWith(stack, 'firehose:StartDeliveryStreamEncryption');
    expect(JSON.stringify(firehoseStatement.Resource)).toContain('deliverystream/orders');
    // the Firehose key may be granted to Firehose; the Kinesis key may only make data keys through Kinesis
    expect(resourcesOfStatement(statementsWith(stack, 'kms:CreateGrant')[0])).toHaveLength(1);
    expect(statementsWith(stack, 'kms:GenerateDataKey')).toHaveLength(1);
  });

  test('no statement names a wildcard resource or action', () => {
    const statements = identityStatements(stack);
    expect(statements.length).toBeGreaterThan(3);
    for (const s of statements) {
      for (const action of ([] as string[]).concat(s.Action)) {
        expect(action).not.toContain('*');
      }
      for (const resource of resourcesOfStatement(s)) {
        expect(resource).not.toEqual('*');
        const text = JSON.stringify(resource);
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

test('the handler may generate data keys with a shared key only for the streams that use it', () => {
  const stack = newStack();
  const key = new kms.Key(stack, 'Shared', { enableKeyRotation: true });
  new DataStreamEncryption(stack, 'A', { stream: imported(stack, 'a', 'StreamA'), encryptionKey: key });
  new DataStreamEncryption(stack, 'B', { stream: imported(stack, 'b', 'StreamB'), encryptionKey: key });
  const statements = statementsWith(stack, 'kms:GenerateDataKey');
  expect(statements.map((s) => s.Condition.StringEquals['kms:EncryptionContext:aws:kinesis:arn'])).toEqual([
    'arn:aws:kinesis:eu-west-1:123456789012:stream/a',
    'arn:aws:kinesis:eu-west-1:123456789012:stream/b',
  ]);
  // the same key is described once
  expect(resourcesOfStatement(statementsWith(stack, 'kms:DescribeKey')[0])).toHaveLength(1);
});

test('many data streams are spread over managed policies that each stay within the IAM size limit', () => {
  const stack = newStack();
  const streams = Array.from({ length: 60 }, (_, i) => new kinesis.Stream(stack, `S${i}`, { encryption: kinesis.StreamEncryption.UNENCRYPTED }));
  streams.forEach((stream, i) => new DataStreamEncryption(stack, `Sse${i}`, { stream }));
  const template = Template.fromStack(stack);
  template.resourceCountIs('AWS::Lambda::Function', 1);
  const named = statementsWith(stack, 'kinesis:StartStreamEncryption').flatMap((s) => resourcesOfStatement(s));
  expect(named).toHaveLength(60);
  expect(statementsWith(stack, 'kms:GenerateDataKey')).toHaveLength(60);
  template.resourceCountIs('AWS::IAM::Policy', 0);
  const policies = Object.values(resourcesOf(stack, 'AWS::IAM::ManagedPolicy')) as any[];
  expect(policies.length).toBeGreaterThan(1);
  for (const p of policies) {
    // stream names and ARNs resolve to at most 128 and 186 characters
    const text = JSON.stringify(stack.resolve(p.Properties.PolicyDocument))
      .replace(/\{"Fn::GetAtt":\["S\d+[A-F0-9]+","Arn"\]\}/g, `"${'x'.repeat(186)}"`)
      .replace(/\{"Fn::GetAtt":\["Sse\d+Key[A-F0-9]+","Arn"\]\}/g, `"${'k'.repeat(86)}"`)
      .replace(/\{"Ref":"AWS::URLSuffix"\}/g, '"amazonaws.com"');
    expect(text.length).toBeLessThan(6_144);
  }
});

describe('cdk-nag', () => {
  const app = new App();
  const stack = new Stack(app, 'Kinesis', { env: { account: '123456789012', region: 'eu-west-1' } });
  const app1 = role(stack, 'Consumer');
  const userKey = new kms.Key(stack, 'UserKey', { enableKeyRotation: true, removalPolicy: RemovalPolicy.RETAIN });
  const all = [
    new DataStreamEncryption(stack, 'Defaults', { stream: imported(stack, 'a', 'A') }),
    new DataStreamEncryption(stack, 'Managed', { stream: imported(stack, 'b', 'B'), keyType: DataStreamKeyType.KINESIS_MANAGED }),
    new DataStreamEncryption(stack, 'Retained', { stream: imported(stack, 'c', 'C'), encryptionKey: userKey, removalPolicy: RemovalPolicy.RETAIN }),
  ];
  for (const sse of all) {
    sse.grantReadWrite(app1);
  }
  for (const pack of [new AwsSolutionsChecks(), new NIST80053R5Checks(), new HIPAASecurityChecks(), new PCIDSS321Checks()]) {
    Aspects.of(stack).add(pack);
  }
  app.synth();
  const annotations = Annotations.fromStack(stack);
  const libraryPaths = [PROVIDER_ID, 'Defaults', 'Managed', 'Retained'].map((id) => `/Kinesis/${id}/`);

  test.each(['AwsSolutions', 'NIST.800.53.R5', 'HIPAA.Security', 'PCI.DSS.321'])(
    'no unsuppressed %s error or warning on a resource the library creates',
    (pack) => {
      const pattern = Match.stringLikeRegexp(`${pack.replace(/\./g, '\\.')}-`);
      const findings = [...annotations.findError('*', pattern), ...annotations.findWarning('*', pattern)].filter((m) =>
        libraryPaths.some((p) => `${m.id}/`.startsWith(p)),
      );
      expect(findings.map((f) => `${f.id}: ${String(f.entry.data).split(':')[0]}`)).toEqual([]);
    },
  );
});
