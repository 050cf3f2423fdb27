/**
 * Drift repair (issue 13, part 1) on the local cloud: a stack deployed with `repair: true` (or a
 * `StreamEncryptionGuard` of its own), a trail logging management events, and someone outside the
 * stack turning a stream's encryption off or changing its key. The local cloud records each call
 * as a CloudTrail event, the driver delivers the events to EventBridge, and the stack's rules
 * invoke the guard (the handler bundle's `repair` export, as its own role) asynchronously.
 *
 * Each scenario ends with the state of the stream and its key (and, where it matters, the tags
 * and the alert topic).
 */
import { StartDeliveryStreamEncryptionCommand, StopDeliveryStreamEncryptionCommand, TagDeliveryStreamCommand } from '@aws-sdk/client-firehose';
import { StopStreamEncryptionCommand } from '@aws-sdk/client-kinesis';
import { Stack } from 'aws-cdk-lib';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as kms from 'aws-cdk-lib/aws-kms';
import { encryptionNow } from './firehose-harness';
import { bothKindsOptions, defineOperator, Harness, newKeyArn, Operator, synthStack, useHarness, waitFor } from './harness';
import { dataStreamArn, dataStreamNow } from './kinesis-harness';
import { DataStreamEncryption, DeliveryStreamEncryption, StreamEncryptionGuard } from '../../src';
import { OWNER_TAG_KEY, REPAIRS_TAG_KEY } from '../../src/private/contract';
import { AsyncInvocation, LocalCloudStack } from '../../tools/local-cloud/cfn';

const DAY_MS = 24 * 60 * 60 * 1000;

let h: Harness;
let operator: Operator;
useHarness(bothKindsOptions(200), (started) => {
  h = started;
  operator = defineOperator(h, ['firehose:*', 'kinesis:*', 'kms:*']);
  h.cloud.control.setTrailLogging(true);
}, () => operator?.destroy());

/** A key the template makes. */
const keyOf = (s: Stack, id: string) => new kms.Key(s, id);

/** Synthesizes and deploys a stack; expects it to be complete. */
async function deployed(name: string, build: (s: Stack) => void): Promise<LocalCloudStack> {
  const stack = h.cfn.stack(synthStack(name, build));
  const result = await stack.deploy({ properties: { SettleSeconds: '0' } });
  expect(result.status).toBe('CREATE_COMPLETE');
  return stack;
}

/** The guard's invocations so far. */
function guardRuns(): AsyncInvocation[] {
  return h.cfn.asyncInvocations;
}

/** The repair log line of an invocation. */
function repairLine(run: AsyncInvocation): Record<string, unknown> {
  const lines = run.logs.filter((l) => l.json?.action === 'repair');
  expect(lines).toHaveLength(1);
  return lines[0].json as Record<string, unknown>;
}

/** Delivers the CloudTrail events that wait for EventBridge and waits for the invocations they cause. */
async function deliverAndSettle(): Promise<void> {
  h.cloud.control.deliverTrailEvents();
  await h.cloud.events.idle();
}

/** Stops a delivery stream's encryption as the operator, and waits until it is DISABLED. */
async function operatorStops(stream: string): Promise<void> {
  await operator.firehose.send(new StopDeliveryStreamEncryptionCommand({ DeliveryStreamName: stream }));
  await waitFor(() => encryptionNow(h.cloud, stream)?.status === 'DISABLED', 10_000, `${stream} DISABLED`);
}

/** The key ARN the stack's custom resource asks for. */
function wantedKey(stack: LocalCloudStack, logicalIdPrefix: string, property: 'KeyArn' | 'KeyId'): string {
  const id = stack.customResourceIds().find((i) => i.startsWith(logicalIdPrefix))!;
  return String(stack.templateProperties(id)[property]);
}

/** The UTC day of the local clock. */
const today = () => new Date(h.cloud.clock.now()).toISOString().slice(0, 10);

describe('out-of-band changes are repaired', () => {
  test('Firehose: an out-of-band Stop; the guard restores ENABLED with the construct\'s key, counts it, and keeps the owner tag', async () => {
    const name = 'guard-stop';
    h.cloud.control.createStream({ name });
    const stack = await deployed('GuardStop', (s) => new DeliveryStreamEncryption(s, 'Sse', {
      deliveryStream: firehose.DeliveryStream.fromDeliveryStreamName(s, 'Stream', name), encryption: firehose.StreamEncryption.customerManagedKey(keyOf(s, 'Key')), repair: true,
    }));
    const key = wantedKey(stack, 'Sse', 'KeyArn');
    const owner = h.cloud.control.stream(name)!.tags[OWNER_TAG_KEY];
    const runsBefore = guardRuns().length;

    await operatorStops(name);
    await deliverAndSettle();

    expect(guardRuns().length).toBe(runsBefore + 1);
    const run = guardRuns()[guardRuns().length - 1];
    expect(run.attempts).toEqual(['ok']);
    expect(repairLine(run)).toMatchObject({ decision: 'repaired', stream: name, eventName: 'StopDeliveryStreamEncryption', caller: operator.arn, repairsToday: 1 });
    expect(encryptionNow(h.cloud, name)).toMatchObject({ status: 'ENABLED', keyArn: key, applied: { keyArn: key } });
    expect(h.cloud.control.key(key)?.KeyState).toBe('Enabled');
    const tags = h.cloud.control.stream(name)!.tags;
    expect(tags[OWNER_TAG_KEY]).toBe(owner);
    expect(tags[REPAIRS_TAG_KEY]).toBe(`${today()}/1`);
  });

  test('Kinesis: an out-of-band StopStreamEncryption naming the stream by ARN; the guard restores the construct\'s key', async () => {
    const name = 'k-guard-stop';
    h.cloud.control.createDataStream({ name });
    const stack = await deployed('GuardKinesisStop', (s) => new DataStreamEncryption(s, 'Sse', {
      stream: kinesis.Stream.fromStreamArn(s, 'Stream', dataStreamArn(name)), encryptionKey: keyOf(s, 'Key'), repair: true,
    }));
    const key = wantedKey(stack, 'Sse', 'KeyId');
    const runsBefore = guardRuns().length;

    await operator.kinesis.send(new StopStreamEncryptionCommand({ StreamARN: dataStreamArn(name), EncryptionType: 'KMS', KeyId: key }));
    await waitFor(() => dataStreamNow(h.cloud, name)?.encryptionType === 'NONE' && dataStreamNow(h.cloud, name)?.status === 'ACTIVE', 10_000, `${name} unencrypted`);
    await deliverAndSettle();

    expect(guardRuns().length).toBe(runsBefore + 1);
    expect(repairLine(guardRuns()[guardRuns().length - 1])).toMatchObject({ decision: 'repaired', eventName: 'StopStreamEncryption', caller: operator.arn });
    await waitFor(() => dataStreamNow(h.cloud, name)?.status === 'ACTIVE', 10_000, `${name} ACTIVE`);
    expect(dataStreamNow(h.cloud, name)).toMatchObject({ status: 'ACTIVE', encryptionType: 'KMS', keyId: key });
    expect(h.cloud.control.key(key)?.KeyState).toBe('Enabled');
    expect(h.cloud.control.dataStream(name)!.tags[REPAIRS_TAG_KEY]).toBe(`${today()}/1`);
  });

  test('an out-of-band Start with another key: the guard puts the construct\'s key back', async () => {
    const name = 'guard-other-key';
    h.cloud.control.createStream({ name });
    const stack = await deployed('GuardOtherKey', (s) => new DeliveryStreamEncryption(s, 'Sse', {
      deliveryStream: firehose.DeliveryStream.fromDeliveryStreamName(s, 'Stream', name), encryption: firehose.StreamEncryption.customerManagedKey(keyOf(s, 'Key')), repair: true,
    }));
    const key = wantedKey(stack, 'Sse', 'KeyArn');
    const other = newKeyArn(h.cloud, '0ther-key-0000-0000-0000-000000000001');

    await operator.firehose.send(new StartDeliveryStreamEncryptionCommand({
      DeliveryStreamName: name, DeliveryStreamEncryptionConfigurationInput: { KeyType: 'CUSTOMER_MANAGED_CMK', KeyARN: other },
    }));
    await deliverAndSettle();

    expect(repairLine(guardRuns()[guardRuns().length - 1])).toMatchObject({ decision: 'repaired', eventName: 'StartDeliveryStreamEncryption' });
    expect(encryptionNow(h.cloud, name)).toMatchObject({ status: 'ENABLED', keyArn: key, applied: { keyArn: key } });
    expect(h.cloud.control.key(key)?.KeyState).toBe('Enabled');
    expect(h.cloud.control.key(other)?.KeyState).toBe('Enabled');
  });
});

describe('the cap', () => {
  test('3 out-of-band Stops with a cap of 2: 2 repairs, then no Start, one alert on the topic, the stream left DISABLED; the next day it repairs again', async () => {
    const name = 'guard-cap';
    h.cloud.control.createStream({ name });
    const stack = await deployed('GuardCap', (s) => {
      StreamEncryptionGuard.configure(s, { maxRepairsPerStreamPerDay: 2 });
      new DeliveryStreamEncryption(s, 'Sse', { deliveryStream: firehose.DeliveryStream.fromDeliveryStreamName(s, 'Stream', name), encryption: firehose.StreamEncryption.customerManagedKey(keyOf(s, 'Key')) });
    });
    const key = wantedKey(stack, 'Sse', 'KeyArn');
    const topicArn = h.cloud.sns.topicArns().find((a) => a.includes(':GuardCap-'))!;
    expect(topicArn).toContain(':sns:');
    const starts = () => h.cloud.control.calls('StartDeliveryStreamEncryption', name).accepted;
    const startsAfterDeploy = starts();

    for (let i = 1; i <= 2; i++) {
      await operatorStops(name);
      await deliverAndSettle();
      expect(encryptionNow(h.cloud, name)).toMatchObject({ status: 'ENABLED', keyArn: key });
      expect(h.cloud.control.stream(name)!.tags[REPAIRS_TAG_KEY]).toBe(`${today()}/${i}`);
    }
    expect(starts()).toBe(startsAfterDeploy + 2);
    expect(h.cloud.control.snsMessages(topicArn)).toEqual([]);

    await operatorStops(name);
    await deliverAndSettle();
    const capped = guardRuns()[guardRuns().length - 1];
    expect(repairLine(capped)).toMatchObject({ decision: 'capped', reasonId: 'REPAIR_CAP_REACHED', alerted: true });
    expect(starts()).toBe(startsAfterDeploy + 2);
    const alerts = h.cloud.control.snsMessages(topicArn);
    expect(alerts).toHaveLength(1);
    expect(alerts[0].subject).toBe(`Stream encryption repair cap reached: ${name}`);
    expect(alerts[0].publishedBy).toMatch(/^arn:aws:iam::123456789012:role\/GuardCap-CdkStreamEncryptionGuardRole/);
    expect(JSON.parse(alerts[0].message)).toMatchObject({ stream: name, reasonId: 'REPAIR_CAP_REACHED', caller: operator.arn });
    expect(encryptionNow(h.cloud, name)).toMatchObject({ status: 'DISABLED' });
    expect(h.cloud.control.key(key)?.KeyState).toBe('Enabled');

    // The next UTC day (local clock): someone encrypts it with another key; the guard repairs again.
    h.cloud.control.advanceClock(DAY_MS);
    const other = newKeyArn(h.cloud, '0ther-key-0000-0000-0000-000000000002');
    await operator.firehose.send(new StartDeliveryStreamEncryptionCommand({
      DeliveryStreamName: name, DeliveryStreamEncryptionConfigurationInput: { KeyType: 'CUSTOMER_MANAGED_CMK', KeyARN: other },
    }));
    await deliverAndSettle();
    expect(repairLine(guardRuns()[guardRuns().length - 1])).toMatchObject({ decision: 'repaired', repairsToday: 1 });
    // The operator's Start and the guard's third repair.
    expect(starts()).toBe(startsAfterDeploy + 4);
    expect(h.cloud.control.snsMessages(topicArn)).toHaveLength(1);
    expect(encryptionNow(h.cloud, name)).toMatchObject({ status: 'ENABLED', keyArn: key, applied: { keyArn: key } });
    expect(h.cloud.control.stream(name)!.tags[REPAIRS_TAG_KEY]).toBe(`${today()}/1`);
  });
});

describe('what the guard does not fight', () => {
  test('the self-call filter: the provider\'s deploy-time calls and the guard\'s own Start invoke nothing', async () => {
    const name = 'guard-self';
    h.cloud.control.createStream({ name });
    await deployed('GuardSelf', (s) => new DeliveryStreamEncryption(s, 'Sse', {
      deliveryStream: firehose.DeliveryStream.fromDeliveryStreamName(s, 'Stream', name), encryption: firehose.StreamEncryption.customerManagedKey(keyOf(s, 'Key')), repair: true,
    }));
    const startsOn = () => h.cloud.control.trailEvents().filter((e) => e.detail.eventName === 'StartDeliveryStreamEncryption'
      && (e.detail.requestParameters as Record<string, unknown>).deliveryStreamName === name);
    const issuer = (e: { detail: Record<string, unknown> }) => ((e.detail.userIdentity as any).sessionContext?.sessionIssuer?.arn as string | undefined) ?? '';
    // The provider's Start is in the trail, made by the provider's role, and invokes nothing.
    expect(startsOn().map(issuer)).toEqual([expect.stringMatching(/role\/GuardSelf-CdkStreamEncryptionProviderRole/)]);
    const runsBefore = guardRuns().length;
    const deliveriesBefore = h.cloud.control.eventDeliveries().length;
    await deliverAndSettle();
    expect(guardRuns().length).toBe(runsBefore);
    expect(h.cloud.control.eventDeliveries().length).toBe(deliveriesBefore);

    await operatorStops(name);
    await deliverAndSettle();
    expect(guardRuns().length).toBe(runsBefore + 1);
    // The guard's own Start is in the trail now, and delivering it invokes nothing more.
    expect(startsOn().map(issuer)).toEqual([expect.stringMatching(/ProviderRole/), expect.stringMatching(/role\/GuardSelf-CdkStreamEncryptionGuardRole/)]);
    await deliverAndSettle();
    expect(guardRuns().length).toBe(runsBefore + 1);
    expect(h.cloud.control.eventDeliveries().length).toBe(deliveriesBefore + 1);
    expect(encryptionNow(h.cloud, name)).toMatchObject({ status: 'ENABLED' });
  });

  test('a key rotation by redeploy is not fought: the new key stays, and a later Stop is repaired with the new key', async () => {
    const name = 'guard-rotate';
    h.cloud.control.createStream({ name });
    const build = (keyId: string) => (s: Stack) => new DeliveryStreamEncryption(s, 'Sse', {
      deliveryStream: firehose.DeliveryStream.fromDeliveryStreamName(s, 'Stream', name), encryption: firehose.StreamEncryption.customerManagedKey(keyOf(s, keyId)), repair: true,
    });
    const stack = await deployed('GuardRotate', build('KeyA'));
    const keyA = wantedKey(stack, 'Sse', 'KeyArn');
    const update = await stack.update(synthStack('GuardRotate', build('KeyB')), { properties: { SettleSeconds: '0' } });
    expect(update.status).toBe('UPDATE_COMPLETE');
    const keyB = wantedKey(stack, 'Sse', 'KeyArn');
    expect(keyB).not.toBe(keyA);
    const runsBefore = guardRuns().length;
    await deliverAndSettle();
    expect(guardRuns().length).toBe(runsBefore);
    expect(encryptionNow(h.cloud, name)).toMatchObject({ status: 'ENABLED', keyArn: keyB });

    await operatorStops(name);
    await deliverAndSettle();
    expect(repairLine(guardRuns()[guardRuns().length - 1])).toMatchObject({ decision: 'repaired' });
    expect(encryptionNow(h.cloud, name)).toMatchObject({ status: 'ENABLED', keyArn: keyB, applied: { keyArn: keyB } });
    expect(h.cloud.control.key(keyA)?.KeyState).toBe('Enabled');
    expect(h.cloud.control.key(keyB)?.KeyState).toBe('Enabled');
  });

  test('a stream handed to another owner (owner tag changed) is left alone', async () => {
    const name = 'guard-handover';
    h.cloud.control.createStream({ name });
    const stack = await deployed('GuardHandover', (s) => new DeliveryStreamEncryption(s, 'Sse', {
      deliveryStream: firehose.DeliveryStream.fromDeliveryStreamName(s, 'Stream', name), encryption: firehose.StreamEncryption.customerManagedKey(keyOf(s, 'Key')), repair: true,
    }));
    const key = wantedKey(stack, 'Sse', 'KeyArn');
    const newOwner = '0123456789abcdef/OtherStack/OtherSse';
    await operator.firehose.send(new TagDeliveryStreamCommand({ DeliveryStreamName: name, Tags: [{ Key: OWNER_TAG_KEY, Value: newOwner }] }));
    const starts = () => h.cloud.control.calls('StartDeliveryStreamEncryption', name).accepted;
    const startsBefore = starts();

    await operatorStops(name);
    await deliverAndSettle();

    expect(repairLine(guardRuns()[guardRuns().length - 1])).toMatchObject({ decision: 'ignored', managedBy: newOwner });
    expect(starts()).toBe(startsBefore);
    expect(encryptionNow(h.cloud, name)).toMatchObject({ status: 'DISABLED' });
    expect(h.cloud.control.stream(name)!.tags).toMatchObject({ [OWNER_TAG_KEY]: newOwner });
    expect(h.cloud.control.stream(name)!.tags[REPAIRS_TAG_KEY]).toBeUndefined();
    expect(h.cloud.control.key(key)?.KeyState).toBe('Enabled');
  });

  test('without a trail logging, EventBridge receives nothing and nothing is repaired (the README\'s requirement)', async () => {
    const name = 'guard-no-trail';
    h.cloud.control.createStream({ name });
    await deployed('GuardNoTrail', (s) => new DeliveryStreamEncryption(s, 'Sse', {
      deliveryStream: firehose.DeliveryStream.fromDeliveryStreamName(s, 'Stream', name), encryption: firehose.StreamEncryption.customerManagedKey(keyOf(s, 'Key')), repair: true,
    }));
    await deliverAndSettle();
    const runsBefore = guardRuns().length;
    h.cloud.control.setTrailLogging(false);
    try {
      await operatorStops(name);
      await deliverAndSettle();
    } finally {
      h.cloud.control.setTrailLogging(true);
    }
    expect(guardRuns().length).toBe(runsBefore);
    expect(encryptionNow(h.cloud, name)).toMatchObject({ status: 'DISABLED' });
  });
});
