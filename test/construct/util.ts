import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct, IConstruct } from 'constructs';
import { DataStreamEncryption, DeliveryStreamEncryption } from '../../src';
import { PROVIDER_ID } from '../../src/private/provider';
import { dependencyCycle } from '../../tools/local-cloud/cfn/graph';

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

/**
 * The template has no dependency cycle (`Ref`, `Fn::GetAtt`, `Fn::Sub`, `DependsOn`), which
 * CloudFormation would refuse; the aws-cdk-lib at the floor does not look for one at synth.
 * Returns the template, for further assertions.
 */
export function expectNoDependencyCycle(stack: Stack): Record<string, any> {
  const template = Template.fromStack(stack).toJSON();
  expect(dependencyCycle(template.Resources ?? {})).toBeUndefined();
  return template;
}

/** The handler's managed policies that name streams and keys (its logs policy aside), keyed by logical id. */
export function policyChunks(stack: Stack): Record<string, any> {
  return Object.fromEntries(
    Object.entries(resourcesOf(stack, 'AWS::IAM::ManagedPolicy')).filter(([id]) => !id.startsWith(`${PROVIDER_ID}LogsPolicy`)),
  );
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

/** The one resource of `type` in the template, with its logical id. */
export function onlyResource(stack: Stack, type: string): [string, any] {
  const all = Object.entries(resourcesOf(stack, type));
  expect(all).toHaveLength(1);
  return all[0];
}

/** The KMS keys that encrypt streams (the provider's log key aside), with their logical ids. */
function streamKeys(stack: Stack): [string, any][] {
  return Object.entries(resourcesOf(stack, 'AWS::KMS::Key')).filter(([id]) => !id.startsWith(PROVIDER_ID));
}

/** The one KMS key that encrypts a stream (the provider's log key aside). */
export function onlyStreamKey(stack: Stack): [string, any] {
  const all = streamKeys(stack);
  expect(all).toHaveLength(1);
  return all[0];
}

/** How many KMS keys encrypt streams (the provider's log key aside). */
export function streamKeyCount(stack: Stack): number {
  return streamKeys(stack).length;
}

/** A role a test grants to. */
export function role(stack: Stack, id: string): iam.Role {
  return new iam.Role(stack, id, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
}

/**
 * No identity statement names a wildcard action or resource, besides the
 * log streams of the handler's own log group (in stack `TestStack`), which
 * only its log actions name.
 */
export function expectNoWildcardsBesidesOwnLogStreams(stack: Stack, minStatements: number): void {
  const statements = identityStatements(stack);
  expect(statements.length).toBeGreaterThan(minStatements);
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
}

/** The props of both constructs, with the encryption as "the service's own key" or a customer managed key. */
export interface KindProps {
  /** A customer managed key: `StreamEncryption.customerManagedKey(key)`, or `encryptionKey` with `KMS`. */
  readonly encryptionKey?: kms.IKey;
  /** The service's own key: `StreamEncryption.awsOwnedKey()` or `StreamEncryption.MANAGED`. */
  readonly serviceKey?: boolean;
  /** No encryption: `StreamEncryption.unencrypted()` or `StreamEncryption.UNENCRYPTED`, which the constructs refuse. */
  readonly unencrypted?: boolean;
  readonly timeout?: Duration;
  readonly settleTime?: Duration;
  readonly removalPolicy?: RemovalPolicy;
  readonly keyRemovalPolicy?: RemovalPolicy;
  readonly keyPendingWindow?: Duration;
}

/** Either construct. */
export type AnyStreamEncryption = DeliveryStreamEncryption | DataStreamEncryption;

/** What the shared tests need to know of one kind of stream and its construct. */
export interface Kind {
  /** The construct's class name, which titles the kind's tests. */
  readonly construct: string;
  /** The service, as messages name it. */
  readonly service: string;
  /** The stream, as the description of a key created for it names it. */
  readonly streamNoun: string;
  /** The custom resource type. */
  readonly resourceType: string;
  /** The construct prop that holds the stream. */
  readonly prop: string;
  /** The L1 type of a stream defined in the app. */
  readonly streamType: string;
  /** The name and construct id of the stream most tests import. */
  readonly streamName: string;
  readonly streamId: string;
  /** The prefix of the alias of a key the construct creates. */
  readonly aliasPrefix: string;
  /** The `encryption` of a customer managed key, and of the service's own key, as code. */
  readonly customerKeyType: string;
  readonly serviceKeyType: string;
  /** Where a key is given, as the messages name it. */
  readonly givenKeyProp: string;
  /** The `encryption` that turns encryption off, as code. */
  readonly unencryptedType: string;
  /** The custom resource properties that name the stream and the key. */
  readonly nameProperty: string;
  readonly keyProperty: string;
  /** The longest stream name, and a character a stream name may not hold, with its name in words. */
  readonly maxNameLength: number;
  readonly forbiddenCharacter: [string, string];
  /** The handler's statement on a stream: found by this action, with these actions. */
  readonly startAction: string;
  readonly streamActions: string[];
  /** The handler's actions on a customer managed key; the first marks the statement that names every such key. */
  readonly keyActions: string[];
  /** The ARN of an imported stream, as the template writes it. */
  streamArn(name: string): unknown;
  /** The literal ARN of a stream of `name` in `region` and `account`. */
  literalArn(name: string, region?: string, account?: string): string;
  /** A stream imported by its ARN. */
  importedByArn(scope: Construct, id: string, arn: string): IConstruct;
  /** The kind's own custom resource properties in the defaults' template. */
  kindProperties(keyArn: unknown): Record<string, unknown>;
  /** A stream imported by name (Firehose) or ARN (Kinesis). */
  imported(scope: Construct, name?: string, id?: string): IConstruct;
  /** A stream defined in the stack, without encryption of its own. */
  defined(stack: Stack, id: string, name?: string): IConstruct;
  /** The construct on `stream`. */
  encrypt(scope: Construct, id: string, stream: IConstruct, props?: KindProps): AnyStreamEncryption;
}

/** Delivery streams and `DeliveryStreamEncryption`. */
export const FIREHOSE: Kind = {
  construct: 'DeliveryStreamEncryption',
  service: 'Firehose',
  streamNoun: 'Firehose delivery stream',
  resourceType: 'Custom::DeliveryStreamEncryption',
  prop: 'deliveryStream',
  streamType: 'AWS::KinesisFirehose::DeliveryStream',
  streamName: 'orders',
  streamId: 'Orders',
  aliasPrefix: 'alias/firehose-sse/',
  customerKeyType: 'StreamEncryption.customerManagedKey()',
  serviceKeyType: 'StreamEncryption.awsOwnedKey()',
  unencryptedType: 'StreamEncryption.unencrypted()',
  givenKeyProp: 'a key in encryption (StreamEncryption.customerManagedKey(key))',
  nameProperty: 'DeliveryStreamName',
  keyProperty: 'KeyArn',
  maxNameLength: 64,
  forbiddenCharacter: ['a slash', '/'],
  startAction: 'firehose:StartDeliveryStreamEncryption',
  streamActions: [
    'firehose:DescribeDeliveryStream',
    'firehose:ListTagsForDeliveryStream',
    'firehose:StartDeliveryStreamEncryption',
    'firehose:StopDeliveryStreamEncryption',
    'firehose:TagDeliveryStream',
    'firehose:UntagDeliveryStream',
  ],
  keyActions: ['kms:CreateGrant', 'kms:DescribeKey'],
  streamArn: (name) => ({
    'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:firehose:eu-west-1:123456789012:deliverystream/${name}`]],
  }),
  kindProperties: (keyArn) => ({ StreamKind: 'firehose', DeliveryStreamName: 'orders', KeyType: 'CUSTOMER_MANAGED_CMK', KeyArn: keyArn }),
  literalArn: (name, region = 'eu-west-1', account = '123456789012') => `arn:aws:firehose:${region}:${account}:deliverystream/${name}`,
  importedByArn: (scope, id, arn) => firehose.DeliveryStream.fromDeliveryStreamArn(scope, id, arn),
  imported: (scope, name = 'orders', id = 'Orders') => firehose.DeliveryStream.fromDeliveryStreamName(scope, id, name),
  defined: (stack, id, name) =>
    new firehose.DeliveryStream(stack, id, {
      deliveryStreamName: name,
      destination: new firehose.S3Bucket((stack.node.tryFindChild('Bucket') as s3.Bucket | undefined) ?? new s3.Bucket(stack, 'Bucket')),
    }),
  encrypt: (scope, id, stream, { serviceKey, unencrypted, encryptionKey, ...props } = {}) =>
    new DeliveryStreamEncryption(scope, id, {
      ...props,
      deliveryStream: stream as firehose.IDeliveryStream,
      encryption: unencrypted
        ? firehose.StreamEncryption.unencrypted()
        : serviceKey
          ? firehose.StreamEncryption.awsOwnedKey()
          : encryptionKey && firehose.StreamEncryption.customerManagedKey(encryptionKey),
    }),
};

/** The ARN of the data stream most Kinesis tests import. */
export const KINESIS_STREAM_ARN = 'arn:aws:kinesis:eu-west-1:123456789012:stream/events';

/** Kinesis data streams and `DataStreamEncryption`. */
export const KINESIS: Kind = {
  construct: 'DataStreamEncryption',
  service: 'Kinesis',
  streamNoun: 'Kinesis data stream',
  resourceType: 'Custom::DataStreamEncryption',
  prop: 'stream',
  streamType: 'AWS::Kinesis::Stream',
  streamName: 'events',
  streamId: 'Events',
  aliasPrefix: 'alias/kinesis-sse/',
  customerKeyType: 'StreamEncryption.KMS',
  serviceKeyType: 'StreamEncryption.MANAGED',
  unencryptedType: 'StreamEncryption.UNENCRYPTED',
  givenKeyProp: 'encryptionKey',
  nameProperty: 'StreamName',
  keyProperty: 'KeyId',
  maxNameLength: 128,
  forbiddenCharacter: ['a colon', ':'],
  startAction: 'kinesis:StartStreamEncryption',
  streamActions: [
    'kinesis:DescribeStreamSummary',
    'kinesis:ListTagsForStream',
    'kinesis:StartStreamEncryption',
    'kinesis:StopStreamEncryption',
    'kinesis:AddTagsToStream',
    'kinesis:RemoveTagsFromStream',
  ],
  keyActions: ['kms:GenerateDataKey', 'kms:DescribeKey'],
  streamArn: (name) => `arn:aws:kinesis:eu-west-1:123456789012:stream/${name}`,
  kindProperties: (keyArn) => ({ StreamKind: 'kinesis', StreamName: 'events', StreamArn: KINESIS_STREAM_ARN, KeyId: keyArn }),
  literalArn: (name, region = 'eu-west-1', account = '123456789012') => `arn:aws:kinesis:${region}:${account}:stream/${name}`,
  importedByArn: (scope, id, arn) => kinesis.Stream.fromStreamArn(scope, id, arn),
  imported: (scope, name = 'events', id = 'Events') =>
    kinesis.Stream.fromStreamArn(scope, id, `arn:aws:kinesis:eu-west-1:123456789012:stream/${name}`),
  defined: (stack, id, name) => new kinesis.Stream(stack, id, { streamName: name, encryption: kinesis.StreamEncryption.UNENCRYPTED }),
  encrypt: (scope, id, stream, { serviceKey, unencrypted, ...props } = {}) =>
    new DataStreamEncryption(scope, id, {
      ...props,
      stream: stream as kinesis.IStream,
      encryption: unencrypted ? kinesis.StreamEncryption.UNENCRYPTED : serviceKey ? kinesis.StreamEncryption.MANAGED : undefined,
    }),
};

/** Both kinds, for `describe.each`. */
export const KINDS: Kind[] = [FIREHOSE, KINESIS];
