/**
 * Whole-stack lifecycles with Kinesis data streams, from synthesized cloud assemblies: deploy,
 * update (with CloudFormation's clean-up) and destroy, with `DataStreamEncryption` alone and beside
 * `DeliveryStreamEncryption` in one stack. The local cloud keeps Firehose's and Kinesis's default
 * rate limits here.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RemovalPolicy } from 'aws-cdk-lib';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import { callsOn, encryptionAtAnswer, encryptionNow } from './firehose-harness';
import { expectAnsweredInTime, expectCleanLog, Harness, ONE_SECOND_CHANGES, synthStack, useHarness } from './harness';
import { dataStreamArn, dataStreamAtAnswer, dataStreamNow, kinesisCallsOn } from './kinesis-harness';
import { buildExampleApp } from '../../example/app';
import { DataStreamEncryption, DeliveryStreamEncryption } from '../../src';
import { StepResult } from '../../tools/local-cloud/cfn';

let h: Harness;

useHarness(ONE_SECOND_CHANGES, (started) => (h = started));

/** No settle time: the stack lifecycle is what these scenarios are about. */
const FAST = { SettleSeconds: '0' };

/** The one step of `steps` for a stream of a kind and a request type. */
function stepFor(steps: readonly StepResult[], kind: 'firehose' | 'kinesis', stream: string, requestType: string): StepResult {
  const found = steps.filter((s) => s.streamKind === kind && s.streamName === stream && s.requestType === requestType);
  expect(found).toHaveLength(1);
  return found[0];
}

test.concurrent('a stack with a DeliveryStreamEncryption and a DataStreamEncryption: one handler function; deploy and destroy both', async () => {
  const dir = synthStack('MixedStack', (s) => {
    new DeliveryStreamEncryption(s, 'OrdersSse', { deliveryStream: firehose.DeliveryStream.fromDeliveryStreamName(s, 'Orders', 'mixed-orders') });
    const events = new kinesis.Stream(s, 'Events', {
      streamName: 'mixed-events',
      encryption: kinesis.StreamEncryption.UNENCRYPTED,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    new DataStreamEncryption(s, 'EventsSse', { stream: events });
  });
  h.cloud.control.createStream({ name: 'mixed-orders' });
  const stack = h.cfn.stack(dir);

  // exactly one handler function, the service token of both custom resources
  const resources = Object.entries(stack.template.template.Resources);
  const functions = resources.filter(([, r]) => r.Type === 'AWS::Lambda::Function').map(([id]) => id);
  expect(functions).toHaveLength(1);
  const custom = resources.filter(([, r]) => r.Type.startsWith('Custom::'));
  expect(custom.map(([, r]) => r.Type).sort()).toEqual(['Custom::DataStreamEncryption', 'Custom::DeliveryStreamEncryption']);
  for (const [, r] of custom) expect(r.Properties?.ServiceToken).toEqual({ 'Fn::GetAtt': [functions[0], 'Arn'] });
  expect(stack.customResourceIds()).toHaveLength(2);
  expect(h.cloud.control.dataStream('mixed-events')).toBeUndefined();

  const deployed = await stack.deploy({ properties: FAST });

  expect(deployed.status).toBe('CREATE_COMPLETE');
  expect(deployed.steps).toHaveLength(2);
  const orders = stepFor(deployed.steps, 'firehose', 'mixed-orders', 'Create');
  const events = stepFor(deployed.steps, 'kinesis', 'mixed-events', 'Create');
  // the same handler served both: one function, one runtime
  expect(orders.event.ServiceToken).toBe(events.event.ServiceToken);
  const ordersKey = orders.event.ResourceProperties.KeyArn as string;
  const eventsKey = events.event.ResourceProperties.KeyId as string;
  expect(ordersKey).not.toBe(eventsKey);
  // the stream defined in the stack: created before its encryption, named and addressed as the template says
  expect(stack.dataStreamName('EventsD32975C2')).toBe('mixed-events');
  expect(events.event.ResourceProperties).toMatchObject({ StreamName: 'mixed-events', StreamArn: dataStreamArn('mixed-events') });
  expect(orders).toMatchObject({ status: 'SUCCESS', physicalResourceId: 'firehose:mixed-orders#prior=none' });
  expect(events).toMatchObject({ status: 'SUCCESS', physicalResourceId: 'kinesis:mixed-events#prior=none', data: { EncryptionType: 'KMS', KeyId: eventsKey } });
  expect(encryptionAtAnswer(orders)).toMatchObject({ status: 'ENABLED', keyArn: ordersKey, applied: { keyArn: ordersKey } });
  expect(dataStreamAtAnswer(events)).toMatchObject({ status: 'ACTIVE', encryptionType: 'KMS', keyId: eventsKey, applied: { KeyId: eventsKey } });
  expect(callsOn(h.cloud, 'mixed-orders')).toMatchObject({ start: 1, startCalls: 1, stopCalls: 0 });
  expect(kinesisCallsOn(h.cloud, 'mixed-events')).toMatchObject({ start: 1, startCalls: 1, stopCalls: 0 });
  // each key with the alias its construct gave it
  const aliases = (key: string) => h.cloud.control.state().kms.keys.find((k) => k.KeyMetadata.Arn === key)?.Aliases;
  expect(aliases(ordersKey)).toEqual(['alias/firehose-sse/mixed-orders']);
  expect(aliases(eventsKey)).toEqual(['alias/kinesis-sse/mixed-events']);
  for (const step of deployed.steps) {
    expectAnsweredInTime(step);
    expectCleanLog(step);
  }

  const destroyed = await stack.destroy();

  expect(destroyed.status).toBe('DELETE_COMPLETE');
  expect(destroyed.steps).toHaveLength(2);
  const ordersGone = stepFor(destroyed.steps, 'firehose', 'mixed-orders', 'Delete');
  const eventsGone = stepFor(destroyed.steps, 'kinesis', 'mixed-events', 'Delete');
  expect(ordersGone).toMatchObject({ status: 'SUCCESS', physicalResourceId: 'firehose:mixed-orders#prior=none' });
  expect(eventsGone).toMatchObject({ status: 'SUCCESS', physicalResourceId: 'kinesis:mixed-events#prior=none' });
  expect(encryptionAtAnswer(ordersGone)).toMatchObject({ status: 'DISABLED', applied: null });
  expect(dataStreamAtAnswer(eventsGone)).toMatchObject({ status: 'ACTIVE', encryptionType: 'NONE', applied: { EncryptionType: 'NONE' } });
  expect(callsOn(h.cloud, 'mixed-orders')).toMatchObject({ start: 1, stop: 1 });
  expect(kinesisCallsOn(h.cloud, 'mixed-events')).toMatchObject({ start: 1, stop: 1 });
  // the imported delivery stream stays; the data stream goes with the stack, after its encryption; the keys are retained
  expect(encryptionNow(h.cloud, 'mixed-orders')).toMatchObject({ status: 'DISABLED' });
  expect(dataStreamNow(h.cloud, 'mixed-events')).toBeUndefined();
  expect([ordersKey, eventsKey].map((k) => h.cloud.control.key(k)?.KeyState)).toEqual(['Enabled', 'Enabled']);
  for (const step of destroyed.steps) expectAnsweredInTime(step);
}, 60_000);

test.concurrent('the example app with its data stream: deploy, rotate to key generation 2, destroy — all three streams as the truth table says', async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'lifecycle-example-kinesis-'));
  const gen1 = buildExampleApp(path.join(out, 'gen1'), { dataStream: true }).app.synth().directory;
  const gen2 = buildExampleApp(path.join(out, 'gen2'), { dataStream: true, keyGeneration: 2 }).app.synth().directory;
  const stack = h.cfn.stack(gen1);
  // every stream is another team's, created outside the stack
  h.cloud.control.createStream({ name: 'orders' });
  h.cloud.control.createStream({ name: 'clicks' });
  h.cloud.control.createDataStream({ name: 'events' });
  const streams = [
    { kind: 'firehose' as const, name: 'orders' },
    { kind: 'firehose' as const, name: 'clicks' },
    { kind: 'kinesis' as const, name: 'events' },
  ];
  const keyOf = (step: StepResult) => (step.event.ResourceProperties.KeyArn ?? step.event.ResourceProperties.KeyId) as string;
  const calls = (kind: 'firehose' | 'kinesis', name: string) => (kind === 'firehose' ? callsOn(h.cloud, name) : kinesisCallsOn(h.cloud, name));

  const deployed = await stack.deploy({ properties: FAST });
  expect(deployed.status).toBe('CREATE_COMPLETE');
  expect(deployed.steps).toHaveLength(3);
  const gen1Keys: string[] = [];
  for (const { kind, name } of streams) {
    const step = stepFor(deployed.steps, kind, name, 'Create');
    gen1Keys.push(keyOf(step));
    expect(step).toMatchObject({ status: 'SUCCESS', physicalResourceId: `${kind}:${name}#prior=none` });
    expect(calls(kind, name)).toMatchObject({ start: 1, startCalls: 1, stopCalls: 0 });
    expectAnsweredInTime(step);
    expectCleanLog(step);
  }
  // `events` is imported by ARN, and gets a key whose alias names it
  expect(Object.values(stack.template.template.Resources).filter((r) => r.Type === 'AWS::Kinesis::Stream')).toEqual([]);
  const eventsKey = gen1Keys[2];
  expect(dataStreamNow(h.cloud, 'events')).toMatchObject({ status: 'ACTIVE', encryptionType: 'KMS', keyId: eventsKey, applied: { KeyId: eventsKey } });
  expect(h.cloud.control.state().kms.keys.find((k) => k.KeyMetadata.Arn === eventsKey)?.Aliases).toEqual(['alias/kinesis-sse/events']);

  const rotated = await stack.update(gen2, { properties: FAST });
  expect(rotated.status).toBe('UPDATE_COMPLETE');
  expect(rotated.steps.map((s) => s.requestType)).toEqual(['Update', 'Update', 'Update']);
  for (const { kind, name } of streams) {
    const step = stepFor(rotated.steps, kind, name, 'Update');
    const newKey = keyOf(step);
    expect(gen1Keys).not.toContain(newKey);
    expect(step).toMatchObject({ status: 'SUCCESS', physicalResourceId: `${kind}:${name}#prior=none` });
    expect(calls(kind, name)).toMatchObject({ start: 2, startCalls: 2, stopCalls: 0 });
    expectAnsweredInTime(step);
  }
  const events = stepFor(rotated.steps, 'kinesis', 'events', 'Update');
  expect(events.event.OldResourceProperties).toMatchObject({ KeyId: eventsKey });
  expect(dataStreamAtAnswer(events)).toMatchObject({ status: 'ACTIVE', encryptionType: 'KMS', keyId: keyOf(events), applied: { KeyId: keyOf(events) } });
  expect(h.cloud.control.state().kms.keys.find((k) => k.KeyMetadata.Arn === keyOf(events))?.Aliases).toEqual(['alias/kinesis-sse/events-gen2']);
  // the old keys left the template but are retained: records written under them stay readable
  expect(gen1Keys.map((k) => h.cloud.control.key(k)?.KeyState)).toEqual(['Enabled', 'Enabled', 'Enabled']);

  const destroyed = await stack.destroy();
  expect(destroyed.status).toBe('DELETE_COMPLETE');
  for (const { kind, name } of streams) {
    const step = stepFor(destroyed.steps, kind, name, 'Delete');
    expect(step).toMatchObject({ status: 'SUCCESS', physicalResourceId: `${kind}:${name}#prior=none` });
    expect(calls(kind, name)).toMatchObject({ start: 2, stop: 1, stopCalls: 1 });
    expectAnsweredInTime(step);
  }
  expect(dataStreamAtAnswer(stepFor(destroyed.steps, 'kinesis', 'events', 'Delete'))).toMatchObject({ status: 'ACTIVE', encryptionType: 'NONE' });
  // the imported streams stay, their encryption turned off
  expect(dataStreamNow(h.cloud, 'events')).toMatchObject({ status: 'ACTIVE', encryptionType: 'NONE' });
  for (const stream of ['orders', 'clicks']) expect(encryptionNow(h.cloud, stream)).toMatchObject({ status: 'DISABLED' });
}, 60_000);

// Kinesis answers LimitExceededException both for its 25 key applications per stream per day and
// when "the number of concurrent stream requests exceeds the maximum number allowed" (its API
// reference): "Rate exceeded for stream … under account …", which the local cloud answers over 5
// StartStreamEncryption or StopStreamEncryption calls per second per account. The handler retries
// the rate-exceeded answer, so a stack that encrypts more streams at once than the rate allows
// still completes.
const BURST = Array.from({ length: 8 }, (_, i) => `k-burst-${i}`);

/** A stack encrypting the data streams `names` (created in the local cloud first). */
function burstStack(stackName: string, names: readonly string[]) {
  const dir = synthStack(stackName, (s) => {
    for (const name of names) new DataStreamEncryption(s, `Sse-${name}`, { stream: kinesis.Stream.fromStreamArn(s, `Stream-${name}`, dataStreamArn(name)) });
  });
  for (const name of names) h.cloud.control.createDataStream({ name });
  return h.cfn.stack(dir);
}

/** The reasons of the steps that did not succeed. */
function failures(steps: readonly StepResult[]): string[] {
  return steps.filter((s) => s.status !== 'SUCCESS').map((s) => `${s.streamName}: ${s.reason}`);
}

test('8 data streams encrypted at once under Kinesis\'s default rate limits: every Start gets through, CREATE_COMPLETE', async () => {
  const stack = burstStack('KinesisBurstCreateStack', BURST.map((n) => `${n}-create`));

  const deployed = await stack.deploy({ properties: FAST });

  expect(failures(deployed.steps)).toEqual([]);
  expect(deployed.status).toBe('CREATE_COMPLETE');
  for (const name of BURST.map((n) => `${n}-create`)) {
    expect(kinesisCallsOn(h.cloud, name)).toMatchObject({ start: 1 });
    expect(dataStreamNow(h.cloud, name)).toMatchObject({ status: 'ACTIVE', encryptionType: 'KMS' });
  }
}, 60_000);

test('8 data streams decrypted at once under Kinesis\'s default rate limit of Stop: every Stop gets through, DELETE_COMPLETE', async () => {
  const names = BURST.map((n) => `${n}-delete`);
  const stack = burstStack('KinesisBurstDeleteStack', names);
  // Deployed one by one, so that only the destroy meets the rate of Stop.
  for (const name of names) expect((await stack.resourceForDataStream(name).create({ properties: FAST })).status).toBe('SUCCESS');
  // The Deletes' tag reads (5 per second) would otherwise space their Stops apart by chance.
  h.cloud.control.setThrottle('ListTagsForStream', null);

  const destroyed = await stack.destroy();

  expect(failures(destroyed.steps)).toEqual([]);
  expect(destroyed.status).toBe('DELETE_COMPLETE');
  for (const name of names) {
    expect(kinesisCallsOn(h.cloud, name)).toMatchObject({ start: 1, stop: 1 });
    expect(dataStreamNow(h.cloud, name)).toMatchObject({ status: 'ACTIVE', encryptionType: 'NONE' });
  }
}, 60_000);
