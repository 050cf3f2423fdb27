/**
 * What only `DataStreamEncryption` does; what it shares with
 * `DeliveryStreamEncryption` is in `stream-encryption.test.ts`.
 */
import { CfnParameter, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kms from 'aws-cdk-lib/aws-kms';
import {
  identityStatements,
  KINESIS,
  KINESIS_STREAM_ARN as STREAM_ARN,
  newStack,
  onlyResource,
  onlyStreamKey,
  resourcesOf,
  resourcesOfStatement,
  role,
  snapshotOf,
  statementsWith,
  streamKeyCount,
} from './util';
import { DataStreamEncryption } from '../../src';

const RESOURCE_TYPE = KINESIS.resourceType;
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

/** The statements of the inline policies attached to a role whose logical id starts with `rolePrefix`. */
function grantStatements(stack: Stack, rolePrefix: string): any[] {
  return Object.values(resourcesOf(stack, 'AWS::IAM::Policy'))
    .filter((p: any) => JSON.stringify(p.Properties.Roles).includes(rolePrefix))
    .flatMap((p: any) => p.Properties.PolicyDocument.Statement);
}

describe('DataStreamEncryption defaults (imported stream)', () => {
  const stack = newStack();
  const sse = new DataStreamEncryption(stack, 'EventsSse', { stream: imported(stack) });

  test('the KeyId is the ARN of the key created', () => {
    const [keyId] = onlyStreamKey(stack);
    const [, cr] = onlyResource(stack, RESOURCE_TYPE);
    expect(cr.Properties.KeyId).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
    expect(stack.resolve(sse.encryptionKey!.keyArn)).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
  });

  // Kinesis Data Streams Developer Guide, "Permissions to use user-generated KMS keys"
  // (https://docs.aws.amazon.com/streams/latest/dev/permissions-user-key-KMS.html): Kinesis passes the
  // stream's ARN as encryption context (aws:kinesis:arn) in every KMS call, and "to limit the use of
  // your KMS key to requests from Kinesis Data Streams for a specific stream, use the
  // kms:EncryptionContext:aws:kinesis:arn condition key"; the page's stream administrator example
  // allows kms:DescribeKey. Kinesis API Reference, "StartStreamEncryption"
  // (https://docs.aws.amazon.com/kinesis/latest/APIReference/API_StartStreamEncryption.html): a caller
  // that may not use the key is answered KMSAccessDeniedException; that the check is a
  // kms:GenerateDataKey through Kinesis is the local cloud's harsher reading of it, not a sentence of
  // the page. AWS KMS Developer Guide, "AWS KMS condition keys", kms:ViaService
  // (https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html): the key may be used
  // only in requests that Kinesis makes on the caller's behalf.
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

});

describe('DataStreamEncryption options', () => {
  // Kinesis Data Streams Developer Guide, "Permissions to use user-generated KMS keys"
  // (https://docs.aws.amazon.com/streams/latest/dev/permissions-user-key-KMS.html): "The use of the
  // default service key for encryption does not require application of custom IAM permissions".
  test('MANAGED creates no key, uses alias/aws/kinesis and grants the handler no KMS action', () => {
    const stack = newStack();
    const sse = new DataStreamEncryption(stack, 'Sse', { stream: imported(stack), encryption: kinesis.StreamEncryption.MANAGED });
    expect(sse.encryptionKey).toBeUndefined();
    expect(streamKeyCount(stack)).toBe(0);
    const [, cr] = onlyResource(stack, RESOURCE_TYPE);
    expect(cr.Properties.KeyId).toBe('alias/aws/kinesis');
    expect(identityStatements(stack).filter((s) => JSON.stringify(s.Action).includes('kms:'))).toEqual([]);
    expect(statementsWith(stack, 'kinesis:StartStreamEncryption')).toHaveLength(1);
    expect(snapshotOf(stack)).toMatchSnapshot();
  });

  test.each([
    ['without encryption (KMS by default, as kinesis.Stream with a key)', {}],
    ['with encryption KMS', { encryption: kinesis.StreamEncryption.KMS }],
  ])('a given key %s is the KeyId, and no key is created', (_name, props) => {
    const stack = newStack();
    const keyArn = 'arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555';
    const key = kms.Key.fromKeyArn(stack, 'Key', keyArn);
    const sse = new DataStreamEncryption(stack, 'Sse', { stream: imported(stack), encryptionKey: key, ...props });
    expect(sse.encryptionKey).toBe(key);
    expect(streamKeyCount(stack)).toBe(0);
    const [, cr] = onlyResource(stack, RESOURCE_TYPE);
    expect(cr.Properties.KeyId).toBe(keyArn);
  });

  test('a key with MANAGED is refused, naming the fix', () => {
    const stack = newStack();
    expect(() => new DataStreamEncryption(stack, 'Sse', {
      stream: imported(stack),
      encryption: kinesis.StreamEncryption.MANAGED,
      encryptionKey: new kms.Key(stack, 'Key'),
    })).toThrow(
      'TestStack/Sse: encryptionKey was given with encryption StreamEncryption.MANAGED, which uses the key Kinesis manages (alias/aws/kinesis); remove encryptionKey, or set encryption to StreamEncryption.KMS to use your key.',
    );
  });

  // The encryption context Kinesis passes is the stream's ARN ("Permissions to use user-generated KMS
  // keys", https://docs.aws.amazon.com/streams/latest/dev/permissions-user-key-KMS.html).
  test('a stream defined in the same stack is named by its ARN in the contract and in the handler\'s statements', () => {
    const stack = newStack();
    const stream = new kinesis.Stream(stack, 'Clicks', { encryption: kinesis.StreamEncryption.UNENCRYPTED });
    new DataStreamEncryption(stack, 'ClicksSse', { stream });
    const [streamId] = onlyResource(stack, 'AWS::Kinesis::Stream');
    const [, cr] = onlyResource(stack, RESOURCE_TYPE);
    expect(cr.Properties.StreamArn).toEqual({ 'Fn::GetAtt': [streamId, 'Arn'] });
    expect(statementsWith(stack, 'kinesis:StartStreamEncryption')[0].Resource).toEqual({ 'Fn::GetAtt': [streamId, 'Arn'] });
    expect(statementsWith(stack, 'kms:GenerateDataKey')[0].Condition.StringEquals['kms:EncryptionContext:aws:kinesis:arn']).toEqual({
      'Fn::GetAtt': [streamId, 'Arn'],
    });
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

// Kinesis Data Streams Developer Guide, "Permissions to use user-generated KMS keys"
// (https://docs.aws.amazon.com/streams/latest/dev/permissions-user-key-KMS.html): producers "must have
// the kms:GenerateDataKey permission", consumers "the kms:Decrypt permission", and
// kms:EncryptionContext:aws:kinesis:arn limits the key to one stream's requests from Kinesis;
// kms:ViaService: AWS KMS Developer Guide, "AWS KMS condition keys"
// (https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html). The stream actions are
// aws-cdk-lib's grantRead and grantWrite, not the library's.
describe('grants of encryptedStream', () => {
  function setUp(encryption?: kinesis.StreamEncryption): { stack: Stack; stream: kinesis.IStream; principal: iam.Role } {
    const stack = newStack();
    const sse = new DataStreamEncryption(stack, 'Sse', { stream: imported(stack), encryption });
    return { stack, stream: sse.encryptedStream, principal: role(stack, 'App') };
  }

  /** The stream's ARN as the custom resource answers it. */
  function answeredArn(stack: Stack): unknown {
    const [resourceId] = onlyResource(stack, RESOURCE_TYPE);
    return { 'Fn::GetAtt': [resourceId, 'StreamArn'] };
  }

  function keyStatement(stack: Stack, action: string | string[]): any {
    const [keyId] = onlyStreamKey(stack);
    return {
      Effect: 'Allow',
      Action: action,
      Resource: { 'Fn::GetAtt': [keyId, 'Arn'] },
      Condition: { StringEquals: { 'kms:ViaService': VIA_KINESIS, 'kms:EncryptionContext:aws:kinesis:arn': answeredArn(stack) } },
    };
  }

  test.each([
    ['grantRead', 'read', READ_ACTIONS, 'kms:Decrypt'],
    ['grantWrite', 'write', WRITE_ACTIONS, 'kms:GenerateDataKey'],
  ] as const)('%s: the stream\'s %s actions, and %s through Kinesis for this stream only', (method, _name, streamActions, keyAction) => {
    const { stack, stream, principal } = setUp();
    expect(stream[method](principal).success).toBe(true);
    expect(grantStatements(stack, 'App')).toEqual([
      { Effect: 'Allow', Action: streamActions, Resource: answeredArn(stack) },
      keyStatement(stack, keyAction),
    ]);
  });

  test('grantReadWrite: both sets of stream actions, and both key actions', () => {
    const { stack, stream, principal } = setUp();
    expect(stream.grantReadWrite(principal).success).toBe(true);
    const statements = grantStatements(stack, 'App');
    expect(statements).toHaveLength(2);
    expect(new Set(statements[0].Action)).toEqual(new Set([...READ_ACTIONS, ...WRITE_ACTIONS]));
    expect(statements[0].Resource).toEqual(answeredArn(stack));
    expect(statements[1]).toEqual(keyStatement(stack, ['kms:Decrypt', 'kms:GenerateDataKey']));
  });

  test('grant: the given actions on the stream, and no key action', () => {
    const { stack, stream, principal } = setUp();
    expect(stream.grant(principal, 'kinesis:DescribeStreamSummary', 'kinesis:ListTagsForStream').success).toBe(true);
    expect(grantStatements(stack, 'App')).toEqual([
      { Effect: 'Allow', Action: ['kinesis:DescribeStreamSummary', 'kinesis:ListTagsForStream'], Resource: answeredArn(stack) },
    ]);
  });

  test.each(['grantRead', 'grantWrite', 'grantReadWrite'] as const)('%s with MANAGED grants only stream actions', (method) => {
    const { stack, stream, principal } = setUp(kinesis.StreamEncryption.MANAGED);
    stream[method](principal);
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

  test('a stream ARN known only at deploy time is not checked at synth', () => {
    const stack = newStack();
    const arn = new CfnParameter(stack, 'StreamArn');
    const stream = kinesis.Stream.fromStreamArn(stack, 'S', arn.valueAsString);
    expect(() => new DataStreamEncryption(stack, 'Sse', { stream })).not.toThrow();
    const [, cr] = onlyResource(stack, RESOURCE_TYPE);
    expect(cr.Properties.StreamArn).toEqual({ Ref: 'StreamArn' });
    expect(JSON.stringify(cr.Properties.StreamName)).toContain('Fn::Split');
  });

});

// One kms:EncryptionContext:aws:kinesis:arn per stream, as "Permissions to use user-generated KMS
// keys" (https://docs.aws.amazon.com/streams/latest/dev/permissions-user-key-KMS.html) limits a key to
// one stream's requests.
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

