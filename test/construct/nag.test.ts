/**
 * How the handler meets cdk-nag in both generations: the Node.js runtime aws-cdk-lib picks for the
 * stack's region (cdk-nag's AwsSolutions-L1 acknowledged when a newer one exists), and finding ids written as cdk-nag writes them
 * (cdk-nag 3 matches an acknowledgement by the whole id).
 */
import * as cdk from 'aws-cdk-lib';
import { App, Aspects, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks } from 'cdk-nag';
import { IConstruct } from 'constructs';
import { DeliveryStreamEncryption } from '../../src';
import { CDK_FEATURES } from '../../src/private/cdk-compat';
import { FLOOR_RUNTIME, flattenCfnReference, handlerRuntime, NAG_SUPPRESSIONS, newestKnownNodeRuntime } from '../../src/private/nag';

/** A stack with every function of the library: the handler and the guard. */
function guardedStack(env: { account: string; region: string } | 'agnostic' = { account: '123456789012', region: 'us-east-1' }): Stack {
  const stack = new Stack(new App(), 'Stack', { env: env === 'agnostic' ? undefined : env });
  new DeliveryStreamEncryption(stack, 'Sse', { deliveryStream: firehose.DeliveryStream.fromDeliveryStreamName(stack, 'S', 'orders'), repair: true });
  return stack;
}

/** The runtime and the cdk-nag 2 suppressions of each of the library's functions. */
function functionsOf(stack: Stack): Array<{ runtime: unknown; suppressed: string[] }> {
  return Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function')).map((f: any) => ({
    runtime: f.Properties.Runtime,
    suppressed: (f.Metadata?.cdk_nag?.rules_to_suppress ?? []).map((r: any) => r.id),
  }));
}

describe('the runtime of the handler and the guard', () => {
  afterEach(() => jest.restoreAllMocks());

  test('at the floor: aws-cdk-lib\'s determineLatestNodeRuntime names Node.js 20 (its old region facts), so both get Node.js 22, the newest it knows: no L1 to acknowledge', () => {
    expect(lambda.determineLatestNodeRuntime(new Stack(new App(), 'S', { env: { region: 'us-east-1' } })).name).toBe('nodejs20.x');
    expect(newestKnownNodeRuntime()).toBe('nodejs22.x');
    const functions = functionsOf(guardedStack());
    expect(functions).toHaveLength(2);
    for (const f of functions) {
      expect(f.runtime).toBe('nodejs22.x');
      expect(f.suppressed).not.toContain('AwsSolutions-L1');
    }
  });

  test('with a newer aws-cdk-lib: the runtime it picks for the region, not the newest of Runtime.ALL, with AwsSolutions-L1 acknowledged for cdk-nag 2 (metadata) and 3 (Validations)', () => {
    const nodejs24 = new lambda.Runtime('nodejs24.x', lambda.RuntimeFamily.NODEJS);
    const nodejs26 = new lambda.Runtime('nodejs26.x', lambda.RuntimeFamily.NODEJS);
    try {
      const asked: string[] = [];
      jest.spyOn(CDK_FEATURES, 'determineLatestNodeRuntime').mockReturnValue((scope) => {
        asked.push(Stack.of(scope).region);
        return nodejs24;
      });
      // cdk-nag 3 reads aws-cdk-lib's Validations acknowledgements, which the floor lacks: stand in for them.
      const acknowledged: Array<{ path: string; id: string; reason: string }> = [];
      const lib = cdk as unknown as Record<string, unknown>;
      Object.defineProperty(lib, 'Validations', {
        configurable: true,
        value: {
          of: (scope: IConstruct) => ({
            acknowledge: (...rules: Array<{ id: string; reason: string }>) =>
              acknowledged.push(...rules.map((r) => ({ path: scope.node.path, ...r }))),
          }),
        },
      });
      let stack: Stack;
      try {
        stack = guardedStack({ account: '123456789012', region: 'eu-south-2' });
      } finally {
        delete lib.Validations;
      }
      expect(asked).toEqual(['eu-south-2', 'eu-south-2']);
      for (const f of functionsOf(stack)) {
        expect(f.runtime).toBe('nodejs24.x');
        expect(f.suppressed).toContain('AwsSolutions-L1');
      }
      expect(acknowledged.filter((a) => a.id === 'AwsSolutions-L1')).toEqual([
        { path: 'Stack/CdkStreamEncryptionProvider/Handler', id: 'AwsSolutions-L1', reason: NAG_SUPPRESSIONS.runtime.reason },
        { path: 'Stack/CdkStreamEncryptionGuard/Function', id: 'AwsSolutions-L1', reason: NAG_SUPPRESSIONS.runtime.reason },
      ]);
    } finally {
      lambda.Runtime.ALL.splice(lambda.Runtime.ALL.indexOf(nodejs24), 1);
      lambda.Runtime.ALL.splice(lambda.Runtime.ALL.indexOf(nodejs26), 1);
    }
  });

  test('Node.js 22 without determineLatestNodeRuntime, in an environment-agnostic stack (a lookup by region), and instead of an older runtime', () => {
    jest.spyOn(CDK_FEATURES, 'determineLatestNodeRuntime').mockReturnValue(undefined);
    expect(handlerRuntime(guardedStack())).toBe(FLOOR_RUNTIME);
    jest.restoreAllMocks();
    const agnostic = guardedStack('agnostic');
    for (const f of functionsOf(agnostic)) expect(f.runtime).toBe('nodejs22.x');
    // aws-cdk-lib's lookup by region, not asked: it would add a mapping the template does not use.
    expect(Object.keys(Template.fromStack(agnostic).toJSON().Mappings ?? {})).not.toContain('LatestNodeRuntimeMap');
    expect(lambda.determineLatestNodeRuntime(new Stack(new App(), 'Probe')).name).toMatch(/^\$\{Token/);
    jest.spyOn(CDK_FEATURES, 'determineLatestNodeRuntime').mockReturnValue(() => lambda.Runtime.NODEJS_18_X);
    expect(handlerRuntime(guardedStack())).toBe(FLOOR_RUNTIME);
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
