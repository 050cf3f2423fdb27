/**
 * Create, as CloudFormation sends it, against the local cloud: the real handler bundle reads the
 * stream, checks the key, calls Start only when needed, and answers at the response URL.
 * Every scenario has a stream (and key) of its own, so they run at once.
 */
import { StartDeliveryStreamEncryptionCommand } from '@aws-sdk/client-firehose';
import { RemovalPolicy } from 'aws-cdk-lib';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import { callsOn, encryptDeliveryStreams, encryptionAtAnswer, encryptionNow, resourceFor } from './firehose-harness';
import { expectAnsweredInTime, expectCleanLog, Harness, logLines, newKeyArn, preparedStack, SCHEDULING_SLACK_MS, useHarness, waitFor } from './harness';
import { FIREHOSE } from './kinds';
import { LocalCloudStack } from '../../tools/local-cloud/cfn';

/** The streams of this file, each encrypted by a construct of its own. */
const STREAMS = [
  'fresh', 'same-key', 'no-config', 'other-key', 'creating', 'enabling', 'aws-owned',
  'kinesis-source', 'missing', 'deleted-while-enabling', 'throttled', 'transient',
  'key-race', 'preflight-disabled', 'preflight-missing', 'preflight-pending', 'preflight-asym',
  'other-disabled', 'other-missing', 'other-pending', 'other-asym',
];

let h: Harness;
let stack: LocalCloudStack;
useHarness(FIREHOSE.unthrottled(1_000), (started) => {
  h = started;
  stack = preparedStack(h, 'CreateScenarios', (s) => encryptDeliveryStreams(s, STREAMS, (name) => ({
    encryption: name === 'aws-owned' ? firehose.StreamEncryption.awsOwnedKey() : undefined,
    removalPolicy: RemovalPolicy.DESTROY,
  })));
});

/** When the stream's accepted Start made it ENABLED (the local cloud's ENABLING delay after it). */
function enabledAt(stream: string): number {
  const start = h.cloud.control.callLog().find((c) => c.operation === 'firehose:StartDeliveryStreamEncryption' && c.resource === stream && c.outcome === 'accepted');
  if (!start) throw new Error(`no accepted Start on ${stream}`);
  return start.at + h.cloud.control.stream(stream)!.delays.enablingMs;
}

// The long waits first, so that the short scenarios run beside them.
test.concurrent('ENABLING for 30 s with the wanted key (someone else\'s Start): waits, no Start of its own', async () => {
  const { handle, keyArn } = resourceFor(stack, 'enabling');
  h.cloud.control.setStreamDelays('enabling', { enablingMs: 30_000 });
  h.cloud.control.createStream({ name: 'enabling', encryption: { status: 'ENABLING', keyArn } });

  const r = await handle.create({ properties: { SettleSeconds: '1' } });

  // The first reading is a change in progress: whose, the handler cannot tell (another copy of this
  // same request looks the same), so the state before it is unknown, and a Delete leaves it on.
  expect(r).toMatchObject({ status: 'SUCCESS', physicalResourceId: 'firehose:enabling#prior=unknown' });
  expect(r.answeredAtMs!).toBeGreaterThanOrEqual(30_000 + 1_000 - 100);
  expect(r.answeredAtMs!).toBeLessThan(30_000 + 1_000 + 1_000 + SCHEDULING_SLACK_MS);
  expect(encryptionNow(h.cloud, 'enabling')).toMatchObject({ status: 'ENABLED', keyArn, applied: { keyArn } });
  const calls = callsOn(h.cloud, 'enabling');
  expect(calls).toMatchObject({ startCalls: 0, stopCalls: 0 });
  // polling is capped near 1 s, never faster than its 50 ms floor
  expect(calls.describe).toBeGreaterThanOrEqual(30);
  expect(calls.describe).toBeLessThan(150);
  expect(logLines(r, 'settle')).toHaveLength(1); // it watched the transition, so it settles
  expectAnsweredInTime(r);
  expectCleanLog(r);
}, 60_000);

test.concurrent('stream CREATING for 20 s: waits for ACTIVE, then one Start', async () => {
  const { handle, keyArn } = resourceFor(stack, 'creating');
  h.cloud.control.setStreamDelays('creating', { creatingMs: 20_000 });
  h.cloud.control.createStream({ name: 'creating', status: 'CREATING' });

  const r = await handle.create({ properties: { SettleSeconds: '1' } });

  expect(r).toMatchObject({ status: 'SUCCESS', physicalResourceId: 'firehose:creating#prior=none' });
  expect(r.answeredAtMs!).toBeGreaterThanOrEqual(20_000 + 1_000 + 1_000); // ACTIVE, ENABLING, settle
  expect(r.answeredAtMs!).toBeLessThan(20_000 + 1_000 + 1_000 + 1_000 + SCHEDULING_SLACK_MS);
  expect(encryptionNow(h.cloud, 'creating')).toMatchObject({ status: 'ENABLED', keyArn });
  const calls = callsOn(h.cloud, 'creating');
  expect(calls).toMatchObject({ start: 1, startCalls: 1, stopCalls: 0 });
  expect(calls.describe).toBeGreaterThanOrEqual(20); // polled at least once a second while CREATING
  expect(logLines(r, 'decide').filter((l) => l.status === 'stream CREATING, encryption DISABLED').length).toBeGreaterThanOrEqual(20);
  expectAnsweredInTime(r);
  expectCleanLog(r);
}, 60_000);

test.concurrent('fresh enable: DISABLED → one Start → ENABLED, answered within a second of ENABLED plus the settle time', async () => {
  const { handle, keyArn } = resourceFor(stack, 'fresh');
  h.cloud.control.createStream({ name: 'fresh' });

  const r = await handle.create();

  expect(r).toMatchObject({ status: 'SUCCESS', physicalResourceId: 'firehose:fresh#prior=none' });
  expect(r.data).toEqual({ DeliveryStreamName: 'fresh', KeyType: 'CUSTOMER_MANAGED_CMK', KeyArn: keyArn, EncryptionStatus: 'ENABLED' });
  expect(encryptionNow(h.cloud, 'fresh')).toMatchObject({ status: 'ENABLED', keyType: 'CUSTOMER_MANAGED_CMK', keyArn, applied: { keyArn } });
  expect(callsOn(h.cloud, 'fresh')).toMatchObject({ start: 1, startCalls: 1, stopCalls: 0 });
  expect(h.cloud.control.calls('DescribeKey', keyArn).accepted).toBe(1);
  // the settle time (5 s, the construct's default) after ENABLED, then the answer at the next poll
  const answeredAt = r.startedAt + r.answeredAtMs!;
  expect(answeredAt - enabledAt('fresh')).toBeGreaterThanOrEqual(5_000);
  expect(answeredAt - enabledAt('fresh')).toBeLessThan(5_000 + 1_000 + SCHEDULING_SLACK_MS);
  // one settle wait, of the settle time or what is left of it after ENABLED was seen
  const settles = logLines(r, 'settle').map((l) => l.settleMs as number);
  expect(settles).toHaveLength(1);
  expect(settles[0]).toBeLessThanOrEqual(5_000);
  expectAnsweredInTime(r);
  expectCleanLog(r);
}, 30_000);

test.concurrent('already ENABLED with the same key: SUCCESS after one read, no Start, no settle', async () => {
  const { handle, keyArn } = resourceFor(stack, 'same-key');
  h.cloud.control.createStream({ name: 'same-key', encryption: { status: 'ENABLED', keyArn } });

  const r = await handle.create();

  expect(r).toMatchObject({ status: 'SUCCESS', physicalResourceId: `firehose:same-key#prior=${keyArn}` });
  expect(callsOn(h.cloud, 'same-key')).toMatchObject({ startCalls: 0, stopCalls: 0, describe: 1 });
  expect(h.cloud.control.calls('DescribeKey', keyArn).total).toBe(0);
  expect(encryptionNow(h.cloud, 'same-key')).toMatchObject({ status: 'ENABLED', keyArn });
  expect(r.answeredAtMs!).toBeLessThan(SCHEDULING_SLACK_MS);
  expectAnsweredInTime(r);
  expectCleanLog(r);
}, 30_000);

test.concurrent('a stream that reports no encryption configuration at all: one Start', async () => {
  const { handle, keyArn } = resourceFor(stack, 'no-config');
  h.cloud.control.createStream({ name: 'no-config', encryption: null });

  const r = await handle.create({ properties: { SettleSeconds: '0' } });

  expect(r).toMatchObject({ status: 'SUCCESS', physicalResourceId: 'firehose:no-config#prior=none' });
  expect(encryptionNow(h.cloud, 'no-config')).toMatchObject({ status: 'ENABLED', keyArn });
  expect(callsOn(h.cloud, 'no-config')).toMatchObject({ start: 1, startCalls: 1, stopCalls: 0 });
  expectAnsweredInTime(r);
}, 30_000);

test.concurrent('ENABLED with another key: one Start moves it to the wanted key', async () => {
  const { handle, keyArn } = resourceFor(stack, 'other-key');
  const otherKey = newKeyArn(h.cloud, '0ther-key-0000-0000-0000-000000000001');
  h.cloud.control.createStream({ name: 'other-key', encryption: { status: 'ENABLED', keyArn: otherKey } });

  const r = await handle.create({ properties: { SettleSeconds: '1' } });

  expect(r).toMatchObject({ status: 'SUCCESS', physicalResourceId: `firehose:other-key#prior=${otherKey}`, data: { KeyArn: keyArn } });
  expect(encryptionAtAnswer(r)).toMatchObject({ status: 'ENABLED', keyArn, applied: { keyArn } });
  expect(callsOn(h.cloud, 'other-key')).toMatchObject({ start: 1, startCalls: 1, stopCalls: 0 });
  expectAnsweredInTime(r);
}, 30_000);

test.concurrent('AWS_OWNED_CMK: one Start with the AWS owned key, no KMS call', async () => {
  const { handle, keyArn } = resourceFor(stack, 'aws-owned');
  expect(keyArn).toBeUndefined();
  h.cloud.control.createStream({ name: 'aws-owned' });

  const r = await handle.create({ properties: { SettleSeconds: '0' } });

  expect(r).toMatchObject({ status: 'SUCCESS', physicalResourceId: 'firehose:aws-owned#prior=none', data: { KeyType: 'AWS_OWNED_CMK', KeyArn: '' } });
  expect(encryptionNow(h.cloud, 'aws-owned')).toMatchObject({ status: 'ENABLED', keyType: 'AWS_OWNED_CMK', keyArn: undefined, applied: { keyType: 'AWS_OWNED_CMK' } });
  expect(callsOn(h.cloud, 'aws-owned')).toMatchObject({ start: 1, startCalls: 1 });
  expect(logLines(r, 'verify-key')).toHaveLength(0);
  expectAnsweredInTime(r);
}, 30_000);

test.concurrent('Kinesis data stream as source: FAILED NOT_DIRECT_PUT, no Start, a not-started physical id', async () => {
  const { handle } = resourceFor(stack, 'kinesis-source');
  h.cloud.control.createStream({ name: 'kinesis-source', type: 'KinesisStreamAsSource' });

  const r = await handle.create();

  expect(r).toMatchObject({ status: 'FAILED', reasonId: 'NOT_DIRECT_PUT', physicalResourceId: 'firehose:kinesis-source#not-started' });
  expect(r.reason).toContain('SSE needs a DirectPut stream: kinesis-source reads from KinesisStreamAsSource');
  expect(callsOn(h.cloud, 'kinesis-source')).toMatchObject({ startCalls: 0, stopCalls: 0, describe: 1 });
  expect(encryptionNow(h.cloud, 'kinesis-source')).toMatchObject({ status: 'DISABLED', applied: null });
  expectAnsweredInTime(r);
  expectCleanLog(r);
}, 30_000);

test.concurrent('no such stream: FAILED STREAM_NOT_FOUND, no Start', async () => {
  const { handle } = resourceFor(stack, 'missing');

  const r = await handle.create();

  expect(r).toMatchObject({ status: 'FAILED', reasonId: 'STREAM_NOT_FOUND', physicalResourceId: 'firehose:missing#not-started' });
  expect(r.reason).toContain('Firehose stream missing does not exist');
  expect(callsOn(h.cloud, 'missing')).toMatchObject({ startCalls: 0, describe: 1 });
  expectAnsweredInTime(r);
}, 30_000);

test.concurrent('stream deleted while ENABLING: FAILED STREAM_DELETED, with the id of a Create that started', async () => {
  const { handle } = resourceFor(stack, 'deleted-while-enabling');
  h.cloud.control.setStreamDelays('deleted-while-enabling', { enablingMs: 30_000 });
  h.cloud.control.createStream({ name: 'deleted-while-enabling' });

  const pending = handle.create();
  await waitFor(() => callsOn(h.cloud, 'deleted-while-enabling').start === 1, 10_000, 'the Start');
  expect(encryptionNow(h.cloud, 'deleted-while-enabling')).toMatchObject({ status: 'ENABLING' });
  expect(h.cloud.control.deleteStream('deleted-while-enabling')).toBe(true);
  const r = await pending;

  expect(r).toMatchObject({ status: 'FAILED', reasonId: 'STREAM_DELETED', physicalResourceId: 'firehose:deleted-while-enabling#prior=none' });
  expect(r.reason).toContain('was deleted while its encryption was changing');
  expect(r.answeredAtMs!).toBeLessThan(5_000 + SCHEDULING_SLACK_MS); // noticed at the next read, not when ENABLING would have ended
  expect(encryptionNow(h.cloud, 'deleted-while-enabling')).toBeUndefined();
  expect(callsOn(h.cloud, 'deleted-while-enabling')).toMatchObject({ start: 1, stopCalls: 0 });
  expectAnsweredInTime(r);
}, 30_000);

test.concurrent('throttling storm: Describe and Start throttled hard, still SUCCESS with one Start', async () => {
  const { handle, keyArn } = resourceFor(stack, 'throttled');
  h.cloud.control.createStream({ name: 'throttled' });
  const c = h.cloud.control;
  c.failNext('DescribeDeliveryStream', 'ThrottlingException', { count: 5, resource: 'throttled', httpStatus: 400 });
  c.failNext('DescribeDeliveryStream', 'LimitExceededException', { count: 2, resource: 'throttled', message: 'Rate exceeded for stream throttled' });
  c.failNext('StartDeliveryStreamEncryption', 'ThrottlingException', { count: 2, resource: 'throttled', httpStatus: 400 });

  const r = await handle.create({ properties: { SettleSeconds: '0' } });

  expect(r).toMatchObject({ status: 'SUCCESS', physicalResourceId: 'firehose:throttled#prior=none' });
  expect(encryptionNow(h.cloud, 'throttled')).toMatchObject({ status: 'ENABLED', keyArn });
  expect(c.calls('DescribeDeliveryStream', 'throttled')).toMatchObject({ throttled: 5, failed: 2 });
  expect(c.calls('StartDeliveryStreamEncryption', 'throttled')).toMatchObject({ accepted: 1, throttled: 2, total: 3 });
  expect(logLines(r, 'retry').length).toBe(9);
  expectAnsweredInTime(r);
  expectCleanLog(r);
}, 60_000);

test.concurrent('transient server errors from Firehose and KMS: retried, SUCCESS with one Start', async () => {
  const { handle, keyArn } = resourceFor(stack, 'transient');
  h.cloud.control.createStream({ name: 'transient' });
  const c = h.cloud.control;
  c.failNext('DescribeDeliveryStream', 'ServiceUnavailableException', { count: 3, resource: 'transient' });
  c.failNext('DescribeKey', 'KMSInternalException', { count: 2, resource: keyArn });

  const r = await handle.create({ properties: { SettleSeconds: '0' } });

  expect(r).toMatchObject({ status: 'SUCCESS', physicalResourceId: 'firehose:transient#prior=none' });
  expect(encryptionNow(h.cloud, 'transient')).toMatchObject({ status: 'ENABLED', keyArn });
  expect(c.calls('DescribeDeliveryStream', 'transient').failed).toBe(3);
  expect(c.calls('DescribeKey', keyArn)).toMatchObject({ failed: 2, accepted: 1 });
  expect(callsOn(h.cloud, 'transient')).toMatchObject({ start: 1, startCalls: 1 });
  expectAnsweredInTime(r);
}, 60_000);

test.concurrent('key disabled between the pre-flight and Start: Firehose ends ENABLING_FAILED (DISABLED_KMS_KEY), FAILED; Delete then stops it', async () => {
  const { handle, keyArn } = resourceFor(stack, 'key-race');
  h.cloud.control.createStream({ name: 'key-race' });
  // The first Start meets a server error; the handler reads the stream again and retries. Meanwhile the key is disabled.
  h.cloud.control.failNext('StartDeliveryStreamEncryption', 'ServiceUnavailableException', { resource: 'key-race' });

  const pending = handle.create();
  await waitFor(() => h.cloud.control.calls('StartDeliveryStreamEncryption', 'key-race').failed === 1, 10_000, 'the failed Start');
  h.cloud.control.setKeyState(keyArn!, 'Disabled');
  const r = await pending;

  expect(r).toMatchObject({ status: 'FAILED', reasonId: 'ENABLING_FAILED', physicalResourceId: 'firehose:key-race#prior=none' });
  expect(r.reason).toContain('Firehose could not enable encryption of key-race: DISABLED_KMS_KEY');
  expect(encryptionNow(h.cloud, 'key-race')).toMatchObject({ status: 'ENABLING_FAILED', failureType: 'DISABLED_KMS_KEY', applied: null });
  expect(callsOn(h.cloud, 'key-race')).toMatchObject({ start: 1, startCalls: 2, stopCalls: 0 });
  expectAnsweredInTime(r);

  // CloudFormation's rollback: the Create started encryption, so Delete turns it off.
  const d = await handle.delete();
  expect(d).toMatchObject({ status: 'SUCCESS', physicalResourceId: 'firehose:key-race#prior=none' });
  expect(encryptionNow(h.cloud, 'key-race')).toMatchObject({ status: 'DISABLED', applied: null });
  expect(callsOn(h.cloud, 'key-race')).toMatchObject({ start: 1, stop: 1 });
  expectAnsweredInTime(d);
}, 30_000);

test.concurrent.each([
  { cause: 'disabled', stream: 'preflight-disabled', arrange: 'Disabled', reasonId: 'KEY_NOT_ENABLED', text: 'is Disabled, not Enabled' },
  { cause: 'missing', stream: 'preflight-missing', arrange: 'missing', reasonId: 'KEY_NOT_FOUND', text: 'was not found' },
  { cause: 'pending deletion', stream: 'preflight-pending', arrange: 'PendingDeletion', reasonId: 'KEY_NOT_ENABLED', text: 'is PendingDeletion, not Enabled' },
  { cause: 'asymmetric', stream: 'preflight-asym', arrange: 'RSA_2048', reasonId: 'KEY_NOT_SYMMETRIC', text: 'has key spec RSA_2048, not SYMMETRIC_DEFAULT' },
])('KMS pre-flight: key $cause, FAILED $reasonId before any Start', async ({ stream, arrange, reasonId, text }) => {
  const { handle, keyArn } = resourceFor(stack, stream);
  h.cloud.control.createStream({ name: stream });
  if (arrange === 'missing') {
    // gone: registered pending deletion with a deletion date already past
    h.cloud.control.registerKey({ arn: keyArn, keyState: 'PendingDeletion', deletionDate: Date.now() - 1 });
    expect(h.cloud.control.key(keyArn!)).toBeUndefined();
  } else if (arrange === 'RSA_2048') {
    h.cloud.control.registerKey({ arn: keyArn, keySpec: 'RSA_2048', keyUsage: 'ENCRYPT_DECRYPT' });
  } else {
    h.cloud.control.setKeyState(keyArn!, arrange as 'Disabled');
  }

  const r = await handle.create();

  expect(r).toMatchObject({ status: 'FAILED', reasonId, physicalResourceId: `firehose:${stream}#not-started` });
  expect(r.reason).toContain(text);
  expect(callsOn(h.cloud, stream)).toMatchObject({ startCalls: 0, stopCalls: 0 });
  expect(encryptionNow(h.cloud, stream)).toMatchObject({ status: 'DISABLED', applied: null });
  expectAnsweredInTime(r);
  expectCleanLog(r);
}, 30_000);

test.concurrent.each([
  { cause: 'disabled', stream: 'other-disabled', failure: 'DISABLED_KMS_KEY', key: { keyState: 'Disabled' as const } },
  { cause: 'missing', stream: 'other-missing', failure: 'KMS_KEY_NOT_FOUND', key: undefined },
  { cause: 'pending deletion', stream: 'other-pending', failure: 'INVALID_KMS_KEY', key: { keyState: 'PendingDeletion' as const } },
  { cause: 'asymmetric', stream: 'other-asym', failure: 'INVALID_KMS_KEY', key: { keySpec: 'RSA_2048' as const, keyUsage: 'ENCRYPT_DECRYPT' as const } },
])('ENABLING_FAILED while it waits: someone else\'s Start with a key that is $cause fails ($failure), FAILED, no Start of its own', async ({ stream, failure, key }) => {
  const { handle, keyArn } = resourceFor(stack, stream);
  const badKey = `arn:aws:kms:us-east-1:123456789012:key/bad-${stream}`;
  if (key) h.cloud.control.registerKey({ arn: badKey, ...key });
  h.cloud.control.setStreamDelays(stream, { enablingMs: 2_000 });
  h.cloud.control.createStream({ name: stream });
  await h.firehose.send(new StartDeliveryStreamEncryptionCommand({
    DeliveryStreamName: stream,
    DeliveryStreamEncryptionConfigurationInput: { KeyType: 'CUSTOMER_MANAGED_CMK', KeyARN: badKey },
  }));
  const before = callsOn(h.cloud, stream);

  const r = await handle.create();

  expect(r).toMatchObject({ status: 'FAILED', reasonId: 'ENABLING_FAILED', physicalResourceId: `firehose:${stream}#not-started` });
  expect(r.reason).toContain(`Firehose could not enable encryption of ${stream}: ${failure}`);
  expect(r.answeredAtMs!).toBeGreaterThan(1_000); // it waited for the outcome
  expect(encryptionNow(h.cloud, stream)).toMatchObject({ status: 'ENABLING_FAILED', failureType: failure, applied: null });
  const after = callsOn(h.cloud, stream);
  expect(after.startCalls - before.startCalls).toBe(0);
  expect(after.stopCalls).toBe(0);
  expect(keyArn).not.toBe(badKey);
  expectAnsweredInTime(r);
  expectCleanLog(r);
}, 30_000);
