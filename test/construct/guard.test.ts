import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, Aspects, Stack, cx_api as cxapi } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, PCIDSS321Checks } from 'cdk-nag';
import { Construct } from 'constructs';
import { identityStatements, KINESIS_STREAM_ARN, newStack, resourcesOf } from './util';
import { DataStreamEncryption, DeliveryStreamEncryption, StreamEncryptionGuard } from '../../src';
import { REPAIRS_TAG_KEY } from '../../src/private/contract';
import { NAG_SUPPRESSIONS } from '../../src/private/nag';
import { GUARD_ASSET_ZIP, HANDLER_ASSET_ZIP, PROVIDER_ID } from '../../src/private/provider';

const GUARD = 'CdkStreamEncryptionGuard';

function orders(stack: Stack, id = 'Orders', name = 'orders'): firehose.IDeliveryStream {
  return firehose.DeliveryStream.fromDeliveryStreamName(stack, id, name);
}

function events(stack: Stack): kinesis.IStream {
  return kinesis.Stream.fromStreamArn(stack, 'Events', KINESIS_STREAM_ARN);
}

/** The rules of the template, keyed by logical id. */
function rules(stack: Stack): Array<[string, any]> {
  return Object.entries(resourcesOf(stack, 'AWS::Events::Rule'));
}

/** The guard role's logical id. */
function guardRoleId(stack: Stack): string {
  return stack.getLogicalId((StreamEncryptionGuard.of(stack).role.node.defaultChild as any));
}

/** The library's shipped asset zips, by name. */
const BUNDLES: Record<string, string> = {
  handler: HANDLER_ASSET_ZIP,
  guard: GUARD_ASSET_ZIP,
};

/**
 * The file assets the stack's cloud assembly uploads (its asset manifest), each with its hash, its
 * packaging and which of the library's zips its staged file is (`other` for none).
 */
function stagedAssets(stack: Stack): Array<{ hash: string; bundle: string; packaging?: string }> {
  const assembly = App.of(stack)!.synth() as cxapi.CloudAssembly;
  const manifest = assembly.artifacts.find((a): a is cxapi.AssetManifestArtifact =>
    a instanceof cxapi.AssetManifestArtifact && a.id === `${stack.artifactId}.assets`)!;
  const files = (JSON.parse(fs.readFileSync(manifest.file, 'utf8')) as { files?: Record<string, { source: { path: string; packaging?: string } }> }).files ?? {};
  return Object.entries(files)
    .filter(([, f]) => !f.source.path.endsWith('.json'))
    .map(([hash, f]) => {
      const stagedPath = path.join(assembly.directory, f.source.path);
      const staged = fs.statSync(stagedPath).isFile() ? fs.readFileSync(stagedPath) : undefined;
      const bundle = Object.entries(BUNDLES).find(([, file]) => staged?.equals(fs.readFileSync(file)))?.[0] ?? 'other';
      return { hash, bundle, packaging: f.source.packaging };
    });
}

/** The statements of the managed policies attached to the guard's role. */
function guardStatements(stack: Stack): any[] {
  const roleId = guardRoleId(stack);
  return Object.values(resourcesOf(stack, 'AWS::IAM::ManagedPolicy'))
    .filter((p: any) => (p.Properties.Roles ?? []).some((r: any) => r.Ref === roleId))
    .flatMap((p: any) => p.Properties.PolicyDocument.Statement);
}

describe('repair: true', () => {
  test('makes the stack\'s guard: one function from the guard\'s own bundle, a rule for the stream', () => {
    const stack = newStack();
    new DeliveryStreamEncryption(stack, 'OrdersSse', { deliveryStream: orders(stack), repair: true });
    const t = Template.fromStack(stack);
    const functions = t.findResources('AWS::Lambda::Function');
    expect(Object.values(functions).map((f: any) => f.Properties.Handler).sort()).toEqual(['index.handler', 'index.repair']);
    // Two assets: the handler's and the guard's.
    const [a, b] = Object.values(functions).map((f: any) => JSON.stringify(f.Properties.Code));
    expect(a).not.toBe(b);
    t.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.repair',
      Timeout: 900,
      DeadLetterConfig: { TargetArn: Match.anyValue() },
      LoggingConfig: Match.objectLike({ LogGroup: Match.anyValue() }),
    });
    expect(rules(stack)).toHaveLength(1);
    expect(StreamEncryptionGuard.of(stack).node.path).toBe(`Default/${GUARD}`.replace('Default/', 'TestStack/'));
    expect(StreamEncryptionGuard.of(stack).guardsWholeStack).toBe(false);
    expect(StreamEncryptionGuard.of(stack).maxRepairsPerStreamPerDay).toBe(5);
  });

  test('without repair, no guard at all', () => {
    const stack = newStack();
    new DeliveryStreamEncryption(stack, 'OrdersSse', { deliveryStream: orders(stack) });
    expect(rules(stack)).toHaveLength(0);
    expect(stack.node.tryFindChild(GUARD)).toBeUndefined();
  });

  test('without a guard, the stack uploads no guard code: its one asset is the handler\'s bundle', () => {
    const stack = newStack();
    new DeliveryStreamEncryption(stack, 'OrdersSse', { deliveryStream: orders(stack) });
    new DataStreamEncryption(stack, 'EventsSse', { stream: events(stack) });
    const assets = stagedAssets(stack);
    expect(assets.map((a) => a.bundle)).toEqual(['handler']);
    // The shipped zip, uploaded as it is: a file asset, not a folder the CLI zips (AWS CDK API
    // Reference, FileAssetPackaging: FILE "points to a single file, which should be uploaded to
    // Amazon S3", https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.FileAssetPackaging.html).
    expect(assets.map((a) => a.packaging)).toEqual(['file']);
    // Its one function runs it.
    const functions = Object.values(resourcesOf(stack, 'AWS::Lambda::Function')) as any[];
    expect(functions.map((f) => [f.Properties.Handler, f.Properties.Code.S3Key])).toEqual([['index.handler', `${assets[0].hash}.zip`]]);
  });

  test('with a guard, the guard\'s function runs the guard\'s asset and the handler\'s function the handler\'s', () => {
    const stack = newStack();
    new DeliveryStreamEncryption(stack, 'OrdersSse', { deliveryStream: orders(stack), repair: true });
    const assets = stagedAssets(stack);
    expect(assets.map((a) => a.bundle).sort()).toEqual(['guard', 'handler']);
    expect(assets.map((a) => a.packaging)).toEqual(['file', 'file']);
    const keyOf = (bundle: string) => `${assets.find((a) => a.bundle === bundle)!.hash}.zip`;
    const functions = Object.values(resourcesOf(stack, 'AWS::Lambda::Function')) as any[];
    expect(functions.map((f) => [f.Properties.Handler, f.Properties.Code.S3Key]).sort()).toEqual([
      ['index.handler', keyOf('handler')],
      ['index.repair', keyOf('guard')],
    ]);
  });

  test('the rule matches only the stream\'s successful Start/Stop calls, by anyone but the provider and the guard', () => {
    const stack = newStack();
    new DeliveryStreamEncryption(stack, 'OrdersSse', { deliveryStream: orders(stack), repair: true });
    const [, rule] = rules(stack)[0];
    const providerRole = { 'Fn::GetAtt': [Match.stringLikeRegexp(`^${PROVIDER_ID}Role`), 'Arn'] };
    const guardRole = { 'Fn::GetAtt': [guardRoleId(stack), 'Arn'] };
    expect(rule.Properties.EventPattern).toEqual({
      'source': ['aws.firehose'],
      'detail-type': ['AWS API Call via CloudTrail'],
      'detail': {
        eventSource: ['firehose.amazonaws.com'],
        eventName: ['StartDeliveryStreamEncryption', 'StopDeliveryStreamEncryption'],
        requestParameters: { deliveryStreamName: ['orders'] },
        errorCode: [{ exists: false }],
        $or: [
          { userIdentity: { type: [{ 'anything-but': 'AssumedRole' }] } },
          { userIdentity: { sessionContext: { sessionIssuer: { arn: [{ 'anything-but': [expect.anything(), expect.anything()] }] } } } },
        ],
      },
    });
    Template.fromStack(stack).hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { detail: { $or: [Match.anyValue(), { userIdentity: { sessionContext: { sessionIssuer: { arn: [{ 'anything-but': [providerRole, guardRole] }] } } } }] } },
    });
  });

  test('a data stream\'s rule matches the stream by name or by ARN', () => {
    const stack = newStack();
    new DataStreamEncryption(stack, 'EventsSse', { stream: events(stack), repair: true });
    const [, rule] = rules(stack)[0];
    expect(rule.Properties.EventPattern.source).toEqual(['aws.kinesis']);
    expect(rule.Properties.EventPattern.detail.eventName).toEqual(['StartStreamEncryption', 'StopStreamEncryption']);
    expect(rule.Properties.EventPattern.detail.requestParameters).toEqual({
      $or: [{ streamName: ['events'] }, { streamARN: [KINESIS_STREAM_ARN] }],
    });
  });

  // The Lambda permission: EventBridge User Guide, "Using resource-based policies for Amazon
  // EventBridge" (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html):
  // a rule invokes a Lambda function by the function's resource-based policy for events.amazonaws.com,
  // scoped with --source-arn to the rule's ARN.
  test('the target input carries the desired state and the event\'s detail', () => {
    const stack = newStack();
    new DeliveryStreamEncryption(stack, 'OrdersSse', { deliveryStream: orders(stack), repair: true });
    const [, rule] = rules(stack)[0];
    const [target] = rule.Properties.Targets;
    expect(target.InputTransformer.InputPathsMap).toEqual({ detail: '$.detail' });
    const template = JSON.stringify(stack.resolve(target.InputTransformer.InputTemplate));
    for (const expected of ['ResourceType', 'Custom::DeliveryStreamEncryption', 'DeliveryStreamName', 'orders', 'CUSTOMER_MANAGED_CMK',
      'LogicalResourceId', 'OrdersSse', 'ConstructPath', 'TestStack/OrdersSse', 'MaxRepairsPerDay', 'AlertTopicArn', 'AWS::StackId']) {
      expect(template).toContain(expected);
    }
    expect(template).toContain('<detail>');
    Template.fromStack(stack).resourceCountIs('AWS::Lambda::Permission', 1);
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Permission', {
      Principal: 'events.amazonaws.com',
      SourceArn: { 'Fn::GetAtt': [rules(stack)[0][0], 'Arn'] },
    });
  });
});

// The guard's statements, backed as the handler's are: on the stream, the Service Authorization
// Reference pages for Firehose and Kinesis Data Streams
// (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonkinesisfirehose.html,
// https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonkinesisdatastreams.html),
// with aws:TagKeys and ForAllValues: IAM User Guide, "Controlling access based on tag keys"
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_tags.html#access_tags_control-tag-keys) and
// "Multivalued context key examples" (ForAllValues is true when the request names no tag key,
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition_examples-multi-valued-context-keys.html);
// on a Firehose key, kms:CreateGrant under kms:GrantIsForAWSResource: Firehose API Reference,
// "DeliveryStreamEncryptionConfigurationInput"
// (https://docs.aws.amazon.com/firehose/latest/APIReference/API_DeliveryStreamEncryptionConfigurationInput.html)
// and AWS KMS Developer Guide, "Controlling access to grants"
// (https://docs.aws.amazon.com/kms/latest/developerguide/grant-authorization.html); on a Kinesis key,
// kms:EncryptionContext:aws:kinesis:arn: Kinesis Data Streams Developer Guide, "Permissions to use
// user-generated KMS keys" (https://docs.aws.amazon.com/streams/latest/dev/permissions-user-key-KMS.html).
// Publishing to the encrypted alert topic: SNS Developer Guide, "Key management", "Configuring AWS
// KMS permissions" (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html): a publisher
// needs kms:GenerateDataKey and kms:Decrypt on the topic's key besides sns:Publish; the guard's own
// role in the same account needs no topic policy (IAM User Guide, "Policy evaluation logic",
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html).
describe('the guard\'s IAM', () => {
  test('exactly: Describe/ListTags/Start/Tag (repairs tag only) on the stream, the key\'s use for Start, Publish on the topic and its key', () => {
    const stack = newStack();
    const sse = new DeliveryStreamEncryption(stack, 'OrdersSse', { deliveryStream: orders(stack), repair: true });
    const keyArn = stack.resolve(sse.encryptionKey!.keyArn);
    const statements = guardStatements(stack).filter((s) => !([] as string[]).concat(s.Action).some((a) => a.startsWith('logs:')));
    expect(statements).toEqual([
      { Effect: 'Allow', Action: 'sns:Publish', Resource: { Ref: expect.stringMatching(/^CdkStreamEncryptionAlertsTopic/) } },
      { Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: { 'Fn::GetAtt': [expect.stringMatching(/^CdkStreamEncryptionAlertsKey/), 'Arn'] } },
      {
        Effect: 'Allow',
        Action: ['firehose:DescribeDeliveryStream', 'firehose:ListTagsForDeliveryStream', 'firehose:StartDeliveryStreamEncryption', 'firehose:TagDeliveryStream'],
        Resource: { 'Fn::Join': expect.anything() },
        Condition: { 'ForAllValues:StringEquals': { 'aws:TagKeys': REPAIRS_TAG_KEY } },
      },
      { Effect: 'Allow', Action: ['kms:CreateGrant', 'kms:DescribeKey'], Resource: keyArn, Condition: { BoolIfExists: { 'kms:GrantIsForAWSResource': true } } },
    ]);
    const streamStatement = statements.find((s) => s.Action.includes('firehose:StartDeliveryStreamEncryption'));
    expect(JSON.stringify(streamStatement.Resource)).toContain(':deliverystream/orders');
    // Never Stop, never untag, never the owner tag.
    const actions = guardStatements(stack).flatMap((s) => s.Action);
    expect(actions).not.toContain('firehose:StopDeliveryStreamEncryption');
    expect(actions).not.toContain('firehose:UntagDeliveryStream');
  });

  test('a data stream: Describe/ListTags/Start/AddTags on it; DescribeKey, and GenerateDataKey via Kinesis for this stream', () => {
    const stack = newStack();
    new DataStreamEncryption(stack, 'EventsSse', { stream: events(stack), repair: true });
    const statements = guardStatements(stack);
    const onStream = statements.find((s) => ([] as string[]).concat(s.Action).includes('kinesis:StartStreamEncryption'));
    expect(onStream).toEqual({
      Effect: 'Allow',
      Action: ['kinesis:DescribeStreamSummary', 'kinesis:ListTagsForStream', 'kinesis:StartStreamEncryption', 'kinesis:AddTagsToStream'],
      Resource: KINESIS_STREAM_ARN,
      Condition: { 'ForAllValues:StringEquals': { 'aws:TagKeys': REPAIRS_TAG_KEY } },
    });
    const generate = statements.find((s) => ([] as string[]).concat(s.Action).includes('kms:GenerateDataKey') && s.Condition);
    expect(generate.Condition.StringEquals['kms:EncryptionContext:aws:kinesis:arn']).toBe(KINESIS_STREAM_ARN);
  });

  test('no wildcard in any statement the library writes, and no inline policy on the guard role', () => {
    const stack = newStack();
    new DeliveryStreamEncryption(stack, 'OrdersSse', { deliveryStream: orders(stack), repair: true });
    new DataStreamEncryption(stack, 'EventsSse', { stream: events(stack), repair: true });
    const statements = identityStatements(stack);
    expect(statements.length).toBeGreaterThan(10);
    for (const s of statements) {
      expect(JSON.stringify(s.Action)).not.toContain('*');
      for (const resource of ([] as unknown[]).concat(s.Resource)) {
        expect(resource).not.toEqual('*');
        const text = JSON.stringify(resource);
        if (text.includes('*')) {
          // the only wildcard: the log streams of the handler's, or the guard's, own log group
          expect(text).toMatch(/:log-group:\/cdk-stream-encryption\/TestStack\/",\{"Fn::Select":\[2,\{"Fn::Split":\["\/",\{"Ref":"AWS::StackId"\}\]\}\]\},"(\/guard)?:log-stream:\*"/);
          expect(s.Action).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
        }
      }
    }
    const guardRole = resourcesOf(stack, 'AWS::IAM::Role')[guardRoleId(stack)];
    expect(guardRole.Properties.Policies).toBeUndefined();
    expect(Object.values(resourcesOf(stack, 'AWS::IAM::Policy'))
      .filter((p: any) => p.Properties.Roles.some((r: any) => r.Ref === guardRoleId(stack)))).toEqual([]);
  });

  // A topic as the function's dead-letter queue needs sns:Publish in the execution role: AWS Lambda
  // Developer Guide, "Dead-letter queues"
  // (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html#invocation-dlq).
  test('a topic of the user\'s: Publish on it, and the dead-letter config names it', () => {
    const stack = newStack();
    const topic = new sns.Topic(stack, 'Mine', { masterKey: new kms.Key(stack, 'TopicKey', { enableKeyRotation: true }) });
    StreamEncryptionGuard.configure(stack, { alarmTopic: topic });
    new DeliveryStreamEncryption(stack, 'OrdersSse', { deliveryStream: orders(stack) });
    const topicRef = stack.resolve(topic.topicArn);
    expect(guardStatements(stack)).toContainEqual({ Effect: 'Allow', Action: 'sns:Publish', Resource: topicRef });
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', { Handler: 'index.repair', DeadLetterConfig: { TargetArn: topicRef } });
    expect(stack.node.tryFindChild('CdkStreamEncryptionAlerts')).toBeUndefined();
  });
});

describe('a guard for the whole stack', () => {
  test('guards every stream encryption, made before or after it, but those with repair: false', () => {
    const stack = newStack();
    new DeliveryStreamEncryption(stack, 'Before', { deliveryStream: orders(stack, 'A', 'a') });
    new DeliveryStreamEncryption(stack, 'OptedOut', { deliveryStream: orders(stack, 'B', 'b'), repair: false });
    const guard = StreamEncryptionGuard.configure(stack, { maxRepairsPerStreamPerDay: 3 });
    new DataStreamEncryption(stack, 'After', { stream: events(stack) });
    expect(guard.guardsWholeStack).toBe(true);
    expect(StreamEncryptionGuard.of(stack)).toBe(guard);
    const patterns = rules(stack).map(([, r]) => r.Properties.EventPattern);
    expect(patterns.map((p) => p.detail.requestParameters)).toEqual([
      { deliveryStreamName: ['a'] },
      { $or: [{ streamName: ['events'] }, { streamARN: [KINESIS_STREAM_ARN] }] },
    ]);
    expect(JSON.stringify(stack.resolve(rules(stack)[0][1].Properties.Targets[0].InputTransformer.InputTemplate))).toContain('\\"MaxRepairsPerDay\\":\\"3\\"');
    expect(Object.values(resourcesOf(stack, 'AWS::Lambda::Function'))).toHaveLength(2);
  });

  test.each([0, 13, 2.5])('maxRepairsPerStreamPerDay %p is refused at synth, naming the path, the prop and the range', (value) => {
    const stack = newStack();
    expect(() => StreamEncryptionGuard.configure(stack, { maxRepairsPerStreamPerDay: value }))
      .toThrow(/TestStack\/CdkStreamEncryptionGuard: maxRepairsPerStreamPerDay must be a whole number from 1 to 12, got .*25 Start and Stop calls/);
  });

  test('configure from any scope of the stack configures the stack\'s one guard', () => {
    const stack = newStack();
    const guard = StreamEncryptionGuard.configure(new Construct(stack, 'Nested'), { maxRepairsPerStreamPerDay: 2 });
    expect(guard.node.scope).toBe(stack);
    expect(StreamEncryptionGuard.of(stack)).toBe(guard);
    expect(guard.guardsWholeStack).toBe(true);
  });

  test('a second guard, or one made after repair: true made the default, is refused with the fix', () => {
    const stack = newStack();
    new DeliveryStreamEncryption(stack, 'OrdersSse', { deliveryStream: orders(stack), repair: true });
    expect(() => StreamEncryptionGuard.configure(stack))
      .toThrow(/^TestStack: StreamEncryptionGuard.configure was called for stack TestStack, which already has the guard TestStack\/CdkStreamEncryptionGuard, made with the defaults by a construct with repair: true; .*Call StreamEncryptionGuard.configure once per stack, before any construct with repair: true\.$/);
  });

  test('41 guarded streams are refused at synth (the function\'s 20 KB resource policy); 40 synthesize', () => {
    const guarded = (count: number) => {
      const stack = newStack();
      StreamEncryptionGuard.configure(stack);
      for (let i = 0; i < count; i++) {
        new DeliveryStreamEncryption(stack, `Sse${i}`, { deliveryStream: orders(stack, `S${i}`, `s${i}`), encryption: firehose.StreamEncryption.awsOwnedKey() });
      }
      return stack;
    };
    expect(() => Template.fromStack(guarded(41))).toThrow(/TestStack\/CdkStreamEncryptionGuard guards 41 streams, more than 40: .*20 KB\. Set repair: false on the streams that need no repair/);
    expect(Template.fromStack(guarded(40)).findResources('AWS::Lambda::Permission')).toBeDefined();
  });

  test('the guard\'s log group is its own, with the retention asked for', () => {
    const stack = newStack();
    StreamEncryptionGuard.configure(stack, { logRetention: 30 });
    new DeliveryStreamEncryption(stack, 'OrdersSse', { deliveryStream: orders(stack) });
    const groups = Object.values(resourcesOf(stack, 'AWS::Logs::LogGroup')).map((g: any) => ({
      name: JSON.stringify(g.Properties.LogGroupName), retention: g.Properties.RetentionInDays,
    }));
    expect(groups).toHaveLength(2);
    expect(groups.find((g) => g.name.includes('/guard'))?.retention).toBe(30);
    expect(groups.find((g) => !g.name.includes('/guard'))?.retention).toBe(365);
  });
});

describe('cdk-nag', () => {
  function nagged() {
    const app = new App();
    const stack = new Stack(app, 'Guarded', { env: { account: '123456789012', region: 'eu-west-1' } });
    new DeliveryStreamEncryption(stack, 'OrdersSse', { deliveryStream: orders(stack), repair: true });
    new DataStreamEncryption(stack, 'EventsSse', { stream: events(stack), repair: true });
    for (const pack of [new AwsSolutionsChecks(), new NIST80053R5Checks(), new HIPAASecurityChecks(), new PCIDSS321Checks()]) {
      Aspects.of(stack).add(pack);
    }
    app.synth();
    return { stack, annotations: Annotations.fromStack(stack) };
  }
  const { stack, annotations } = nagged();

  test.each(['AwsSolutions', 'NIST.800.53.R5', 'HIPAA.Security', 'PCI.DSS.321'])('no %s error or warning on any resource of a guarded stack', (pack) => {
    const pattern = Match.stringLikeRegexp(`${pack.replace(/\./g, '\\.')}-`);
    const findings = [...annotations.findError('*', pattern), ...annotations.findWarning('*', pattern)];
    expect(findings.map((f) => `${f.id}: ${String(f.entry.data).split(':')[0]}`)).toEqual([]);
  });

  test('the guard\'s dead-letter topic fixes LambdaDLQ: it is not suppressed; concurrency and VPC carry the guard\'s reasons', () => {
    const [, fn] = Object.entries(resourcesOf(stack, 'AWS::Lambda::Function')).find(([, f]: [string, any]) => f.Properties.Handler === 'index.repair')!;
    const suppressed = (fn as any).Metadata.cdk_nag.rules_to_suppress;
    const ids = suppressed.map((s: any) => s.id);
    expect(ids).not.toContain('NIST.800.53.R5-LambdaDLQ');
    expect(ids.sort()).toEqual([...NAG_SUPPRESSIONS.guardConcurrency.ids, ...NAG_SUPPRESSIONS.guardVpc.ids].sort());
    for (const s of suppressed) {
      expect([NAG_SUPPRESSIONS.guardConcurrency.reason, NAG_SUPPRESSIONS.guardVpc.reason]).toContain(s.reason);
    }
  });
});
