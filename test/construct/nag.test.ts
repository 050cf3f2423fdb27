/**
 * How the handler meets cdk-nag in both generations: the newest Node.js runtime the app's
 * aws-cdk-lib knows (cdk-nag's AwsSolutions-L1), and finding ids written as cdk-nag writes them
 * (cdk-nag 3 matches an acknowledgement by the whole id).
 */
import { App, Aspects, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks } from 'cdk-nag';
import { DeliveryStreamEncryption } from '../../src';
import { flattenCfnReference, latestNodeRuntime } from '../../src/private/nag';

describe('the handler runtime', () => {
  test('is the newest nodejsNN.x of Runtime.ALL, and at least Node.js 22', () => {
    const majors = lambda.Runtime.ALL.map((r) => /^nodejs(\d+)\.x$/.exec(r.name)).filter((m) => m).map((m) => Number(m![1]));
    const newest = Math.max(22, ...majors);
    expect(latestNodeRuntime().name).toBe(`nodejs${newest}.x`);
  });

  test('a runtime the app\'s aws-cdk-lib adds later is picked at synth', () => {
    const added = new lambda.Runtime('nodejs98.x', lambda.RuntimeFamily.NODEJS);
    lambda.Runtime.ALL.push(added);
    try {
      expect(latestNodeRuntime()).toBe(added);
      const stack = new Stack(new App(), 'Stack', { env: { account: '123456789012', region: 'us-east-1' } });
      new DeliveryStreamEncryption(stack, 'Sse', { deliveryStream: firehose.DeliveryStream.fromDeliveryStreamName(stack, 'S', 'orders') });
      Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', { Runtime: 'nodejs98.x' });
    } finally {
      lambda.Runtime.ALL.splice(lambda.Runtime.ALL.indexOf(added), 1);
    }
  });

  test('a runtime family other than Node.js, or a variable name, is never picked', () => {
    expect(latestNodeRuntime().family).toBe(lambda.RuntimeFamily.NODEJS);
    expect(latestNodeRuntime().name).not.toBe(lambda.Runtime.NODEJS_LATEST.name);
  });
});

describe('finding ids as cdk-nag writes them', () => {
  test('Fn::Join joined, Ref as <Name>, GetAtt as <Resource.Attribute>, Sub braces as <…>, the rest as JSON', () => {
    expect(flattenCfnReference({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':logs:us-east-1:1:log-group:/g:log-stream:*']] }))
      .toBe('arn:<AWS::Partition>:logs:us-east-1:1:log-group:/g:log-stream:*');
    expect(flattenCfnReference({ 'Fn::GetAtt': ['Key', 'Arn'] })).toBe('<Key.Arn>');
    expect(flattenCfnReference({ 'Fn::Sub': 'arn:${AWS::Partition}:x' })).toBe('arn:<AWS::Partition>:x');
    expect(flattenCfnReference({ 'Fn::ImportValue': 'Exported' })).toBe('Exported');
    expect(flattenCfnReference({ 'Fn::Select': [2, { 'Fn::Split': ['/', { Ref: 'AWS::StackId' }] }] }))
      .toBe('{"Fn::Select":[2,{"Fn::Split":["/",{"Ref":"AWS::StackId"}]}]}');
    expect(flattenCfnReference(undefined)).toBe('');
  });
});

describe('the feature flags `cdk init` writes', () => {
  // `@aws-cdk/core:enablePartitionLiterals` (set by `cdk init` since aws-cdk-lib 2.38): a stack with
  // a known region writes `arn:aws:` where it wrote `arn:${AWS::Partition}:`, and cdk-nag 2 reports the
  // log-stream wildcard with that ARN.
  test('cdk-nag 2 finds no unsuppressed log-stream wildcard with partition literals', () => {
    const app = new App({ context: { '@aws-cdk/core:enablePartitionLiterals': true } });
    const stack = new Stack(app, 'Literal', { env: { account: '123456789012', region: 'us-east-1' } });
    new DeliveryStreamEncryption(stack, 'Sse', {
      deliveryStream: firehose.DeliveryStream.fromDeliveryStreamName(stack, 'S', 'orders'),
      repair: true,
    });
    Aspects.of(app).add(new AwsSolutionsChecks());
    const logsPolicies = Object.keys(Template.fromStack(stack).findResources('AWS::IAM::ManagedPolicy')).filter((id) => id.includes('LogsPolicy'));
    expect(logsPolicies).toHaveLength(2);
    const wildcards = Annotations.fromStack(stack).findError('*', Match.stringLikeRegexp('AwsSolutions-IAM5\\[Resource::arn:aws:logs:'));
    expect(wildcards).toEqual([]);
  });
});

describe('the guard in both cdk-nag generations', () => {
  test('its log-stream wildcard is suppressed with a cdk-nag 2 regex that matches the finding cdk-nag writes for the guard\'s own log group', () => {
    const stack = new Stack(new App(), 'Guarded', { env: { account: '123456789012', region: 'us-east-1' } });
    new DeliveryStreamEncryption(stack, 'Sse', {
      deliveryStream: firehose.DeliveryStream.fromDeliveryStreamName(stack, 'S', 'orders'),
      repair: true,
    });
    const policies = Template.fromStack(stack).findResources('AWS::IAM::ManagedPolicy');
    const guardLogs = Object.entries(policies).find(([id]) => id.startsWith('CdkStreamEncryptionGuardLogsPolicy'));
    expect(guardLogs).toBeDefined();
    const [, policy] = guardLogs! as [string, any];
    const wildcard = policy.Properties.PolicyDocument.Statement[0].Resource.find((r: unknown) => JSON.stringify(r).includes('log-stream:*'));
    const finding = `Resource::${flattenCfnReference(wildcard)}`;
    expect(finding).toContain('/guard:log-stream:*');
    const [rule] = policy.Metadata.cdk_nag.rules_to_suppress;
    expect(rule.id).toBe('AwsSolutions-IAM5');
    const regex = /^\/(.*)\/g$/.exec(rule.applies_to[0].regex)![1];
    expect(new RegExp(regex).test(finding)).toBe(true);
  });

  test('its function suppresses no dead-letter rule: its dead-letter topic fixes it', () => {
    const stack = new Stack(new App(), 'Guarded', { env: { account: '123456789012', region: 'us-east-1' } });
    new DeliveryStreamEncryption(stack, 'Sse', {
      deliveryStream: firehose.DeliveryStream.fromDeliveryStreamName(stack, 'S', 'orders'),
      repair: true,
    });
    const functions = Template.fromStack(stack).findResources('AWS::Lambda::Function', { Properties: { Handler: 'index.repair' } });
    const [fn] = Object.values(functions) as any[];
    expect(fn.Properties.DeadLetterConfig.TargetArn).toBeDefined();
    const ids = fn.Metadata.cdk_nag.rules_to_suppress.map((r: { id: string }) => r.id);
    expect(ids.filter((id: string) => id.endsWith('LambdaDLQ'))).toEqual([]);
    expect(ids).toContain('NIST.800.53.R5-LambdaConcurrency');
  });
});
