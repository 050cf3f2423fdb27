/**
 * Key health alarms end to end: a stack with a DeliveryStreamEncryption and its key health alarms
 * is deployed to the local cloud; the stream's key is disabled or scheduled for deletion out of
 * band; Firehose fails the delivery and the puts, publishes its KMS error metric, and the alarm on
 * it goes to ALARM, naming the topic. A healthy key raises nothing.
 */
import { FirehoseClient, PutRecordCommand } from '@aws-sdk/client-firehose';
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as kms from 'aws-cdk-lib/aws-kms';
import { encryptionNow } from './firehose-harness';
import { Harness, startHarness, synthStack, UNTHROTTLED } from './harness';
import { AlarmSnapshot } from '../../local-cloud';
import { LocalStack } from '../../local-cloud/cfn';
import { DeliveryStreamEncryption } from '../../src';
import { ALERT_TOPIC_ID } from '../../src/private/alert-topic';

let h: Harness;
let client: FirehoseClient;

beforeAll(async () => {
  h = await startHarness({ delays: { creatingMs: 0, enablingMs: 500, disablingMs: 500, deletingMs: 0 }, throttle: UNTHROTTLED });
  client = new FirehoseClient({ ...h.cloud.clientConfig(), maxAttempts: 1 });
}, 120_000);

afterAll(async () => {
  client?.destroy();
  await h?.stop();
});

const FAST = { SettleSeconds: '0' };
const FIVE_MINUTES = 5 * 60_000;
const METRICS = ['KMSKeyAccessDenied', 'KMSKeyDisabled', 'KMSKeyInvalidState', 'KMSKeyNotFound'];

/** A stack that encrypts the imported stream `name` with a kept key and adds its key health alarms. */
function deployable(stackName: string, name: string): string {
  return synthStack(stackName, (s: Stack) => {
    const sse = new DeliveryStreamEncryption(s, 'Sse', {
      deliveryStream: firehose.DeliveryStream.fromDeliveryStreamName(s, 'Stream', name),
      encryptionKey: new kms.Key(s, 'StreamKey', { removalPolicy: RemovalPolicy.RETAIN }),
    });
    sse.addKeyHealthAlarms();
  });
}

/** Deploys the stack of `name` and returns it with its key ARN and alert topic ARN. */
async function deployWithAlarms(stackName: string, name: string): Promise<{ stack: LocalStack; keyArn: string; topicArn: string }> {
  h.cloud.control.createStream({ name });
  const stack = h.cfn.stack(deployable(stackName, name));
  const deployed = await stack.deploy({ properties: FAST });
  expect(deployed.status).toBe('CREATE_COMPLETE');
  const resources = Object.entries(stack.template.template.Resources);
  const keyId = resources.find(([id, r]) => r.Type === 'AWS::KMS::Key' && id.startsWith('StreamKey'))![0];
  const topicId = resources.find(([id, r]) => r.Type === 'AWS::SNS::Topic' && id.startsWith(ALERT_TOPIC_ID))![0];
  const keyArn = stack.keyArn(keyId);
  expect(encryptionNow(h.cloud, name)).toMatchObject({ status: 'ENABLED', keyArn, applied: { keyArn } });
  return { stack, keyArn, topicArn: stack.ref(topicId)! };
}

/** The stream's alarms in the local CloudWatch, by metric name. */
function alarmsOf(name: string): Record<string, AlarmSnapshot> {
  const alarms = h.cloud.control.alarms().filter((a) => a.spec.Dimensions?.some((d) => d.Name === 'DeliveryStreamName' && d.Value === name));
  return Object.fromEntries(alarms.map((a) => [a.spec.MetricName, a]));
}

const put = (name: string, text: string) =>
  client.send(new PutRecordCommand({ DeliveryStreamName: name, Record: { Data: new TextEncoder().encode(text) } }));

async function putFails(name: string): Promise<string> {
  try {
    await put(name, 'refused');
  } catch (error) {
    return (error as Error).name;
  }
  throw new Error(`PutRecord to ${name} succeeded, but its key cannot be used`);
}

test('the key is disabled out of band: delivery fails, KMSKeyDisabled is published, its alarm goes to ALARM naming the topic; re-enabled, the records are delivered and the alarm is OK again', async () => {
  const name = 'kh-disabled';
  const { stack, keyArn, topicArn } = await deployWithAlarms('KeyHealthDisabled', name);
  expect(topicArn).toMatch(/^arn:aws:sns:us-east-1:123456789012:/);
  // the template's four alarms are in CloudWatch, as CloudFormation made them
  const created = alarmsOf(name);
  expect(Object.keys(created).sort()).toEqual(METRICS);
  for (const alarm of Object.values(created)) {
    expect(alarm).toMatchObject({
      state: 'INSUFFICIENT_DATA',
      spec: { Namespace: 'AWS/Firehose', Statistic: 'Sum', Period: 300, Threshold: 1, TreatMissingData: 'notBreaching', AlarmActions: [topicArn], OKActions: [topicArn] },
    });
  }

  const written = [await put(name, 'one'), await put(name, 'two')];
  expect(written.map((r) => r.Encrypted)).toEqual([true, true]);
  h.cloud.control.setKeyState(keyArn, 'Disabled');

  const delivery = h.cloud.control.deliverRecords(name);
  expect(delivery).toEqual({ delivered: 0, unreadable: written.map((r) => expect.objectContaining({ id: r.RecordId, keyArn, errorName: 'KMSDisabledException' })) });
  expect(await putFails(name)).toBe('InvalidKMSResourceException');

  h.cloud.control.advanceClock(FIVE_MINUTES);
  const changes = h.cloud.control.evaluateAlarms().filter((c) => Object.values(created).some((a) => a.spec.AlarmName === c.alarmName));
  const disabledAlarm = created.KMSKeyDisabled.spec.AlarmName;
  expect(changes).toEqual(expect.arrayContaining([expect.objectContaining({ alarmName: disabledAlarm, from: 'INSUFFICIENT_DATA', to: 'ALARM' })]));
  const after = alarmsOf(name);
  expect(after.KMSKeyDisabled).toMatchObject({ state: 'ALARM', lastValues: [3] }); // two records not delivered, one put refused
  for (const other of ['KMSKeyAccessDenied', 'KMSKeyInvalidState', 'KMSKeyNotFound']) expect(after[other].state).toBe('OK');
  const ours = new Set(Object.values(created).map((a) => a.spec.AlarmName));
  expect(h.cloud.control.alarmActionsFired().filter((f) => ours.has(f.alarmName) && f.state === 'ALARM')).toEqual([
    expect.objectContaining({ alarmName: disabledAlarm, target: topicArn, state: 'ALARM' }),
  ]);

  // the stream, the key and the records as Firehose leaves them: encryption still ENABLED with the
  // disabled key, the records buffered and unreadable
  expect(encryptionNow(h.cloud, name)).toMatchObject({ status: 'ENABLED', keyArn });
  expect(h.cloud.control.key(keyArn)?.KeyState).toBe('Disabled');
  expect(h.cloud.control.unreadableRecords(name).map((r) => r.id)).toEqual(written.map((r) => r.RecordId));

  // the key enabled again: the records written before are delivered, and the alarm clears
  h.cloud.control.setKeyState(keyArn, 'Enabled');
  expect(h.cloud.control.deliverRecords(name)).toEqual({ delivered: 2, unreadable: [] });
  expect(h.cloud.control.unreadableRecords(name)).toEqual([]);
  h.cloud.control.advanceClock(FIVE_MINUTES);
  h.cloud.control.evaluateAlarms();
  expect(alarmsOf(name).KMSKeyDisabled.state).toBe('OK');
  expect(h.cloud.control.alarmHistory(disabledAlarm).map((c) => c.to)).toEqual(['ALARM', 'OK']);
  expect(h.cloud.control.alarmActionsFired().filter((f) => f.alarmName === disabledAlarm).map((f) => [f.state, f.target])).toEqual([['ALARM', topicArn], ['OK', topicArn]]);

  expect((await stack.destroy()).status).toBe('DELETE_COMPLETE');
  expect(alarmsOf(name)).toEqual({});
  expect(encryptionNow(h.cloud, name)).toMatchObject({ status: 'DISABLED' });
}, 60_000);

test('the key is scheduled for deletion: KMSKeyInvalidState is published and only its alarm goes to ALARM', async () => {
  const name = 'kh-deleting';
  const { stack, keyArn, topicArn } = await deployWithAlarms('KeyHealthDeleting', name);
  const record = await put(name, 'kept');
  h.cloud.control.setKeyState(keyArn, 'PendingDeletion', 7);

  expect(h.cloud.control.deliverRecords(name).unreadable).toEqual([expect.objectContaining({ id: record.RecordId, errorName: 'KMSInvalidStateException' })]);
  expect(await putFails(name)).toBe('InvalidKMSResourceException');
  h.cloud.control.advanceClock(FIVE_MINUTES);
  h.cloud.control.evaluateAlarms();

  const alarms = alarmsOf(name);
  expect(Object.fromEntries(Object.entries(alarms).map(([m, a]) => [m, a.state]))).toEqual({
    KMSKeyAccessDenied: 'OK',
    KMSKeyDisabled: 'OK',
    KMSKeyInvalidState: 'ALARM',
    KMSKeyNotFound: 'OK',
  });
  expect(h.cloud.control.alarmActionsFired()).toContainEqual(expect.objectContaining({ alarmName: alarms.KMSKeyInvalidState.spec.AlarmName, target: topicArn, state: 'ALARM' }));
  expect(encryptionNow(h.cloud, name)).toMatchObject({ status: 'ENABLED', keyArn });
  expect(h.cloud.control.key(keyArn)?.KeyState).toBe('PendingDeletion');
  expect(h.cloud.control.unreadableRecords(name)).toEqual([expect.objectContaining({ id: record.RecordId, errorName: 'KMSInvalidStateException' })]);

  // the deletion cancelled and the key enabled again, the record is delivered and the stack goes
  h.cloud.control.setKeyState(keyArn, 'Enabled');
  expect(h.cloud.control.deliverRecords(name)).toEqual({ delivered: 1, unreadable: [] });
  expect((await stack.destroy()).status).toBe('DELETE_COMPLETE');
}, 60_000);

test('a healthy key: records delivered, no KMS metric, the alarms go OK (their OK actions only), no ALARM', async () => {
  const name = 'kh-healthy';
  const { stack, keyArn } = await deployWithAlarms('KeyHealthHealthy', name);
  for (const text of ['a', 'b', 'c']) await put(name, text);
  expect(h.cloud.control.deliverRecords(name)).toEqual({ delivered: 3, unreadable: [] });
  h.cloud.control.advanceClock(FIVE_MINUTES);
  h.cloud.control.evaluateAlarms();

  const alarms = alarmsOf(name);
  expect(Object.values(alarms).map((a) => a.state)).toEqual(['OK', 'OK', 'OK', 'OK']);
  const names = new Set(Object.values(alarms).map((a) => a.spec.AlarmName));
  expect(h.cloud.control.alarmActionsFired().filter((f) => names.has(f.alarmName)).map((f) => f.state)).toEqual(['OK', 'OK', 'OK', 'OK']);
  expect(h.cloud.control.listMetrics().filter((m) => m.dimensions.some((d) => d.Value === name))).toEqual([]);
  expect(encryptionNow(h.cloud, name)).toMatchObject({ status: 'ENABLED', keyArn });
  expect(h.cloud.control.key(keyArn)?.KeyState).toBe('Enabled');
  expect(h.cloud.control.unreadableRecords(name)).toEqual([]);
  expect((await stack.destroy()).status).toBe('DELETE_COMPLETE');
}, 60_000);
