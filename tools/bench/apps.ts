/**
 * The three ways of encrypting N imported delivery streams that the benchmark compares, each as a
 * CDK stack built from aws-cdk-lib (and, for this library, from `src/`):
 *
 * - `library`: one `DeliveryStreamEncryption` per stream (a key of its own, or one shared key);
 * - `provider`: a `custom_resources.Provider` with an `onEventHandler` (Start on Create, Stop on
 *   Delete) and an `isCompleteHandler` (Describe until ENABLED or DISABLED) at its default
 *   `queryInterval`, the two handlers as small inline Lambda code;
 * - `awsCustomResource`: an `AwsCustomResource` per stream that calls
 *   `StartDeliveryStreamEncryption` on Create and `StopDeliveryStreamEncryption` on Delete.
 *
 * Every stream gets the same key in all three (symmetric, rotation on, an alias), so the stacks
 * differ only in how the encryption is driven.
 */
import { App, CustomResource, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as cr from 'aws-cdk-lib/custom-resources';
import { DeliveryStreamEncryption } from '../../src';

/** The account and region of every stack (and of the local cloud). */
export const ENV = { account: '123456789012', region: 'us-east-1' };

/** The implementations compared. */
export type Implementation = 'library' | 'provider' | 'awsCustomResource';

export const IMPLEMENTATIONS: readonly Implementation[] = ['library', 'provider', 'awsCustomResource'];

/** Short labels for the table. */
export const LABELS: Record<Implementation, string> = {
  library: 'this library',
  provider: 'A: cr.Provider + isComplete',
  awsCustomResource: 'B: AwsCustomResource',
};

/** The inline `onEventHandler` of the Provider alternative: Start on Create, Stop on Delete. */
export const PROVIDER_ON_EVENT_CODE = [
  "const { FirehoseClient, StartDeliveryStreamEncryptionCommand, StopDeliveryStreamEncryptionCommand } = require('@aws-sdk/client-firehose');",
  'const firehose = new FirehoseClient({});',
  'exports.handler = async (event) => {',
  '  const name = event.ResourceProperties.DeliveryStreamName;',
  "  if (event.RequestType === 'Create') {",
  '    await firehose.send(new StartDeliveryStreamEncryptionCommand({',
  '      DeliveryStreamName: name,',
  "      DeliveryStreamEncryptionConfigurationInput: { KeyType: 'CUSTOMER_MANAGED_CMK', KeyARN: event.ResourceProperties.KeyArn },",
  '    }));',
  "  } else if (event.RequestType === 'Delete') {",
  '    await firehose.send(new StopDeliveryStreamEncryptionCommand({ DeliveryStreamName: name }));',
  '  }',
  '  return { PhysicalResourceId: `firehose:${name}` };',
  '};',
  '',
].join('\n');

/** The inline `isCompleteHandler` of the Provider alternative: Describe until ENABLED (DISABLED on Delete). */
export const PROVIDER_IS_COMPLETE_CODE = [
  "const { FirehoseClient, DescribeDeliveryStreamCommand } = require('@aws-sdk/client-firehose');",
  'const firehose = new FirehoseClient({});',
  'exports.handler = async (event) => {',
  "  const want = event.RequestType === 'Delete' ? 'DISABLED' : 'ENABLED';",
  '  const { DeliveryStreamDescription: d } = await firehose.send(',
  '    new DescribeDeliveryStreamCommand({ DeliveryStreamName: event.ResourceProperties.DeliveryStreamName }));',
  '  const sse = d.DeliveryStreamEncryptionConfiguration;',
  "  const status = (sse && sse.Status) || 'DISABLED';",
  "  if (status.endsWith('_FAILED')) throw new Error(`${status}: ${JSON.stringify(sse.FailureDescription)}`);",
  '  return { IsComplete: status === want };',
  '};',
  '',
].join('\n');

/** What to build. */
export interface BenchStackOptions {
  /** How many streams (`bench-000`, `bench-001`, …). */
  readonly streams: number;
  /** One key for every stream instead of a key each (the library's synth-scale runs). */
  readonly sharedKey?: boolean;
  /** Key generation: from 2 on, every stream gets a new key (a deployment rotates them). @defaultValue 1 */
  readonly keyGeneration?: number;
  /** The timeout of each resource, in minutes (the "no-op update" changes it). @defaultValue 10 */
  readonly timeoutMinutes?: number;
  /** The library's settle time, in seconds. @defaultValue the construct's default */
  readonly settleSeconds?: number;
  /** AwsCustomResource only: call the same Start on Update too (so that a new key is applied). */
  readonly startOnUpdate?: boolean;
  /** Name of the stack. @defaultValue `Bench` */
  readonly stackName?: string;
}

/** The name of stream `i`. */
export function streamName(i: number): string {
  return `bench-${String(i).padStart(3, '0')}`;
}

/** A symmetric key with rotation and an alias, as every implementation gets it for a stream. */
function keyFor(stack: Stack, i: number, generation: number): kms.Key {
  const suffix = generation === 1 ? '' : `Gen${generation}`;
  return new kms.Key(stack, `Key${i}${suffix}`, {
    description: `Server-side encryption of the Firehose delivery stream ${streamName(i)}`,
    enableKeyRotation: true,
    alias: `alias/firehose-sse/${streamName(i)}${generation === 1 ? '' : `-gen${generation}`}`,
  });
}

/** The key of stream `i` in the stack being built (a new one, or the shared one). */
function keys(stack: Stack, options: BenchStackOptions): (i: number) => kms.Key {
  const generation = options.keyGeneration ?? 1;
  if (!options.sharedKey) return (i) => keyFor(stack, i, generation);
  const shared = new kms.Key(stack, `SharedKey${generation === 1 ? '' : `Gen${generation}`}`, {
    description: 'Server-side encryption of every bench delivery stream',
    enableKeyRotation: true,
    alias: `alias/firehose-sse/bench-shared${generation === 1 ? '' : `-gen${generation}`}`,
  });
  return () => shared;
}

/** This library: one `DeliveryStreamEncryption` per stream. */
function buildLibrary(stack: Stack, options: BenchStackOptions): void {
  const keyOf = keys(stack, options);
  for (let i = 0; i < options.streams; i++) {
    const stream = firehose.DeliveryStream.fromDeliveryStreamName(stack, `Stream${i}`, streamName(i));
    // Generation 1 without a shared key: the construct makes the key itself (its default).
    const encryptionKey = options.sharedKey || (options.keyGeneration ?? 1) > 1 ? keyOf(i) : undefined;
    new DeliveryStreamEncryption(stack, `Sse${i}`, {
      deliveryStream: stream,
      encryption: firehose.StreamEncryption.customerManagedKey(encryptionKey),
      timeout: Duration.minutes(options.timeoutMinutes ?? 10),
      settleTime: options.settleSeconds === undefined ? undefined : Duration.seconds(options.settleSeconds),
    });
  }
}

/**
 * Alternative A: a Provider with onEvent and isComplete handlers, each granted exactly what it
 * calls on each stream and key (as the library's handler is).
 */
function buildProvider(stack: Stack, options: BenchStackOptions): void {
  const onEvent = new lambda.Function(stack, 'OnEventHandler', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline(PROVIDER_ON_EVENT_CODE),
    timeout: Duration.minutes(1),
  });
  const isComplete = new lambda.Function(stack, 'IsCompleteHandler', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline(PROVIDER_IS_COMPLETE_CODE),
    timeout: Duration.minutes(1),
  });
  const provider = new cr.Provider(stack, 'Provider', { onEventHandler: onEvent, isCompleteHandler: isComplete });
  const keyOf = keys(stack, options);
  for (let i = 0; i < options.streams; i++) {
    const stream = firehose.DeliveryStream.fromDeliveryStreamName(stack, `Stream${i}`, streamName(i));
    const key = keyOf(i);
    onEvent.addToRolePolicy(new iam.PolicyStatement({
      actions: ['firehose:StartDeliveryStreamEncryption', 'firehose:StopDeliveryStreamEncryption'],
      resources: [stream.deliveryStreamArn],
    }));
    onEvent.addToRolePolicy(new iam.PolicyStatement({
      actions: ['kms:CreateGrant', 'kms:DescribeKey'],
      resources: [key.keyArn],
      conditions: { BoolIfExists: { 'kms:GrantIsForAWSResource': true } },
    }));
    isComplete.addToRolePolicy(new iam.PolicyStatement({ actions: ['firehose:DescribeDeliveryStream'], resources: [stream.deliveryStreamArn] }));
    const resource = new CustomResource(stack, `Sse${i}`, {
      serviceToken: provider.serviceToken,
      serviceTimeout: Duration.minutes((options.timeoutMinutes ?? 10) + 1),
      properties: { DeliveryStreamName: streamName(i), KeyArn: key.keyArn },
    });
    resource.node.addDependency(key);
  }
}

/** Alternative B: one AwsCustomResource per stream; it cannot wait for ENABLED. */
function buildAwsCustomResource(stack: Stack, options: BenchStackOptions): void {
  const keyOf = keys(stack, options);
  for (let i = 0; i < options.streams; i++) {
    const stream = firehose.DeliveryStream.fromDeliveryStreamName(stack, `Stream${i}`, streamName(i));
    const key = keyOf(i);
    const start: cr.AwsSdkCall = {
      service: 'Firehose',
      action: 'StartDeliveryStreamEncryption',
      parameters: {
        DeliveryStreamName: streamName(i),
        DeliveryStreamEncryptionConfigurationInput: { KeyType: 'CUSTOMER_MANAGED_CMK', KeyARN: key.keyArn },
      },
      physicalResourceId: cr.PhysicalResourceId.of(`firehose:${streamName(i)}`),
    };
    const resource = new cr.AwsCustomResource(stack, `Sse${i}`, {
      onCreate: start,
      onUpdate: options.startOnUpdate ? start : undefined,
      onDelete: {
        service: 'Firehose',
        action: 'StopDeliveryStreamEncryption',
        parameters: { DeliveryStreamName: streamName(i) },
      },
      policy: cr.AwsCustomResourcePolicy.fromStatements([
        new iam.PolicyStatement({
          actions: ['firehose:StartDeliveryStreamEncryption', 'firehose:StopDeliveryStreamEncryption'],
          resources: [stream.deliveryStreamArn],
        }),
        new iam.PolicyStatement({
          actions: ['kms:CreateGrant', 'kms:DescribeKey'],
          resources: [key.keyArn],
          conditions: { BoolIfExists: { 'kms:GrantIsForAWSResource': true } },
        }),
      ]),
      installLatestAwsSdk: false,
      serviceTimeout: Duration.minutes((options.timeoutMinutes ?? 10) + 1),
    });
    resource.node.addDependency(key);
  }
}

/** Builds the stack of one implementation in `app`. */
export function buildStack(app: App, implementation: Implementation, options: BenchStackOptions): Stack {
  const stack = new Stack(app, options.stackName ?? 'Bench', { env: ENV });
  switch (implementation) {
    case 'library':
      buildLibrary(stack, options);
      break;
    case 'provider':
      buildProvider(stack, options);
      break;
    case 'awsCustomResource':
      buildAwsCustomResource(stack, options);
      break;
  }
  return stack;
}

/** Synthesizes one implementation's stack into `outdir` and returns the cloud assembly directory. */
export function synthesize(outdir: string, implementation: Implementation, options: BenchStackOptions): string {
  const app = new App({ outdir });
  buildStack(app, implementation, options);
  return app.synth().directory;
}
