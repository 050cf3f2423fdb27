/**
 * Update and Delete of a `Custom::DataStreamEncryption`, as CloudFormation sends them (after a
 * Create, with `OldResourceProperties` and the physical id), against the local cloud's Kinesis with
 * the real handler bundle. Deletes that make no Stop are in `stream-kinds.test.ts`, for both kinds.
 */
import { AddTagsToStreamCommand } from '@aws-sdk/client-kinesis';
import { RemovalPolicy } from 'aws-cdk-lib';
import { expectAnsweredInTime, expectCleanLog, FAST, Harness, KINESIS_UNTHROTTLED, logLines, newKeyArn, ONE_SECOND_CHANGES, preparedStack, useHarness } from './harness';
import { aliasArn, AT_ONCE_MS, changedAt, dataStreamAtAnswer, dataStreamNow, dataStreamResourceFor, encryptDataStreams, kinesisCallsOn, SLACK_MS } from './kinesis-harness';
import { ownerTagValue } from '../../lambda/core/ownership';
import { OWNER_TAG_KEY } from '../../src/private/contract';
import { LocalCloudStack, StepResult } from '../../tools/local-cloud/cfn';

const STREAMS = [
  'k-rotate', 'k-switch', 'k-noop', 'k-update-preflight', 'k-delete', 'k-delete-alias',
  'k-delete-updating', 'k-stop-not-applied', 'k-already-none',
];

let h: Harness;
let stack: LocalCloudStack;
useHarness({ throttle: KINESIS_UNTHROTTLED, kinesisDelays: ONE_SECOND_CHANGES.kinesisDelays }, (started) => {
  h = started;
  stack = preparedStack(h, 'KinesisUpdateDeleteScenarios', (s) => encryptDataStreams(s, STREAMS, () => ({ removalPolicy: RemovalPolicy.DESTROY })));
});

/** Creates the data stream and its encryption (checked), and returns the construct's key. */
async function created(stream: string): Promise<{ handle: ReturnType<LocalCloudStack['resource']>; keyId: string; create: StepResult }> {
  const { handle, keyId } = dataStreamResourceFor(stack, stream);
  h.cloud.control.createDataStream({ name: stream });
  const create = await handle.create({ properties: FAST });
  expect(create).toMatchObject({ status: 'SUCCESS', physicalResourceId: `kinesis:${stream}#prior=none` });
  expect(kinesisCallsOn(h.cloud, stream)).toMatchObject({ start: 1, stopCalls: 0 });
  return { handle, keyId, create };
}

test.concurrent('key rotation: Update to another key makes one Start; ACTIVE with the new key, same physical id', async () => {
  const { handle, keyId: oldKey } = await created('k-rotate');
  const newKey = newKeyArn(h.cloud, '0e0e0e0e-0000-4000-8000-00000000000a');

  const r = await handle.update({ properties: { KeyId: newKey, ...FAST } });

  expect(r.event.OldResourceProperties).toMatchObject({ KeyId: oldKey });
  expect(r).toMatchObject({ status: 'SUCCESS', physicalResourceId: 'kinesis:k-rotate#prior=none', data: { EncryptionType: 'KMS', KeyId: newKey, StreamStatus: 'ACTIVE' } });
  expect(dataStreamAtAnswer(r)).toMatchObject({ status: 'ACTIVE', encryptionType: 'KMS', keyId: newKey, applied: { KeyId: newKey } });
  expect(kinesisCallsOn(h.cloud, 'k-rotate')).toMatchObject({ start: 2, startCalls: 2, stopCalls: 0 });
  expect(h.cloud.control.calls('DescribeKey', newKey).accepted).toBe(1);
  expect(h.cloud.control.dataStream('k-rotate')!.keyApplications.inWindow).toBe(2);
  expectAnsweredInTime(r);
  expectCleanLog(r);
}, 30_000);

test.concurrent('customer key → the Kinesis managed key (alias/aws/kinesis) → back: one Start each way, a key check only for the customer key', async () => {
  const { handle, keyId: key } = await created('k-switch');
  const checks = h.cloud.control.calls('DescribeKey', key).total;

  const toManaged = await handle.update({ properties: { KeyId: 'alias/aws/kinesis' } });

  expect(toManaged).toMatchObject({ status: 'SUCCESS', physicalResourceId: 'kinesis:k-switch#prior=none', data: { EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' } });
  expect(dataStreamAtAnswer(toManaged)).toMatchObject({ status: 'ACTIVE', encryptionType: 'KMS', keyId: 'alias/aws/kinesis', applied: { KeyId: 'alias/aws/kinesis' } });
  expect(kinesisCallsOn(h.cloud, 'k-switch')).toMatchObject({ start: 2, startCalls: 2, stopCalls: 0 });
  expect(h.cloud.control.calls('DescribeKey', key).total).toBe(checks);
  expectAnsweredInTime(toManaged);

  const back = await handle.update({ properties: { KeyId: key } });

  expect(back.event.OldResourceProperties).toMatchObject({ KeyId: 'alias/aws/kinesis' });
  expect(back).toMatchObject({ status: 'SUCCESS', physicalResourceId: 'kinesis:k-switch#prior=none', data: { EncryptionType: 'KMS', KeyId: key } });
  expect(dataStreamNow(h.cloud, 'k-switch')).toMatchObject({ status: 'ACTIVE', encryptionType: 'KMS', keyId: key, applied: { KeyId: key } });
  expect(kinesisCallsOn(h.cloud, 'k-switch')).toMatchObject({ start: 3, startCalls: 3, stopCalls: 0 });
  expect(h.cloud.control.calls('DescribeKey', key).total).toBe(checks + 1);
  expectAnsweredInTime(back);
  expectCleanLog(back);
}, 30_000);

test.concurrent('no-op Update (timeout, settle time, removal policy, ServiceTimeout only): SUCCESS after one Describe, no Start, Stop or tag call', async () => {
  const { handle, keyId } = await created('k-noop');
  const before = kinesisCallsOn(h.cloud, 'k-noop');
  const keyCalls = h.cloud.control.calls('DescribeKey', keyId).total;

  const r = await handle.update({ properties: { TimeoutSeconds: '840', SettleSeconds: '30', RemovalPolicy: 'retain', ServiceTimeout: '900' } });

  expect(r).toMatchObject({ status: 'SUCCESS', physicalResourceId: 'kinesis:k-noop#prior=none', data: { EncryptionType: 'KMS', KeyId: keyId, StreamStatus: 'ACTIVE' } });
  // the SUCCESS is true of the stream it read, not taken for granted
  expect(kinesisCallsOn(h.cloud, 'k-noop')).toEqual({ ...before, describe: before.describe + 1, all: before.all + 1 });
  expect(h.cloud.control.calls('DescribeKey', keyId).total).toBe(keyCalls);
  expect(dataStreamNow(h.cloud, 'k-noop')).toMatchObject({ status: 'ACTIVE', encryptionType: 'KMS', keyId });
  expect(r.answeredAtMs!).toBeLessThan(AT_ONCE_MS);
  expectAnsweredInTime(r);
}, 30_000);

test.concurrent('Update to a disabled key: FAILED KEY_NOT_ENABLED before any Start; the stream keeps the old key, and the rollback makes no Start', async () => {
  const { handle, keyId: oldKey } = await created('k-update-preflight');
  const disabled = h.cloud.control.registerKey({ arn: 'arn:aws:kms:us-east-1:123456789012:key/d15ab1ed-0000-4000-8000-00000000000b', keyState: 'Disabled' }).Arn;

  const failed = await handle.update({ properties: { KeyId: disabled } });

  expect(failed).toMatchObject({ status: 'FAILED', reasonId: 'KEY_NOT_ENABLED', physicalResourceId: 'kinesis:k-update-preflight#prior=none' });
  expect(failed.reason).toContain(`KMS key ${disabled} is Disabled, not Enabled`);
  expect(dataStreamNow(h.cloud, 'k-update-preflight')).toMatchObject({ status: 'ACTIVE', encryptionType: 'KMS', keyId: oldKey });
  expect(kinesisCallsOn(h.cloud, 'k-update-preflight')).toMatchObject({ start: 1, startCalls: 1 });
  expectAnsweredInTime(failed);

  // CloudFormation's rollback: Update back to the old key, the failed properties as OldResourceProperties.
  const rollback = await handle.update({ oldProperties: failed.event.ResourceProperties });
  expect(rollback.event.ResourceProperties).toMatchObject({ KeyId: oldKey });
  expect(rollback).toMatchObject({ status: 'SUCCESS', physicalResourceId: 'kinesis:k-update-preflight#prior=none', data: { KeyId: oldKey } });
  expect(kinesisCallsOn(h.cloud, 'k-update-preflight')).toMatchObject({ start: 1, startCalls: 1 });
  expectAnsweredInTime(rollback);
}, 30_000);

test.concurrent('Delete of an encrypted stream: one Stop, ACTIVE with encryption NONE, answered within a second of ACTIVE', async () => {
  const { handle, keyId } = await created('k-delete');

  const r = await handle.delete();

  expect(r).toMatchObject({ status: 'SUCCESS', physicalResourceId: 'kinesis:k-delete#prior=none', data: { EncryptionType: 'NONE', KeyId: '', StreamStatus: 'ACTIVE' } });
  expect(dataStreamAtAnswer(r)).toMatchObject({ status: 'ACTIVE', encryptionType: 'NONE', applied: { EncryptionType: 'NONE' } });
  expect(dataStreamNow(h.cloud, 'k-delete')).toMatchObject({ status: 'ACTIVE', encryptionType: 'NONE', keyId: undefined });
  expect(kinesisCallsOn(h.cloud, 'k-delete')).toMatchObject({ start: 1, stop: 1, stopCalls: 1 });
  const stop = h.cloud.control.callLog().filter((c) => c.operation === 'kinesis:StopStreamEncryption' && c.resource === 'k-delete');
  expect(stop).toHaveLength(1);
  const noneAt = changedAt(h.cloud, 'k-delete', 'StopStreamEncryption');
  expect(r.startedAt + r.answeredAtMs! - noneAt).toBeGreaterThanOrEqual(0);
  expect(r.startedAt + r.answeredAtMs! - noneAt).toBeLessThan(SLACK_MS);
  expect(r.reason).toContain('stream ACTIVE, encryption NONE');
  expect(keyId).toMatch(/^arn:aws:kms:/);
  expectAnsweredInTime(r);
  expectCleanLog(r);
}, 30_000);

test.concurrent('Delete of a stream encrypted through the key\'s alias ARN: the one Stop names the key as the stream reports it', async () => {
  const { handle, keyId } = dataStreamResourceFor(stack, 'k-delete-alias');
  const byAlias = aliasArn('alias/kinesis-sse/k-delete-alias');
  h.cloud.control.createDataStream({ name: 'k-delete-alias', encryption: { keyId: byAlias } });
  const create = await handle.create();
  expect(create).toMatchObject({ status: 'SUCCESS', physicalResourceId: `kinesis:k-delete-alias#prior=${byAlias}`, data: { KeyId: keyId } });
  expect(kinesisCallsOn(h.cloud, 'k-delete-alias')).toMatchObject({ startCalls: 0 });

  // The new id and owner tag record the key the stream had before, so its Delete would leave the stream as it
  // is: the Stop is that of an id and a tag from before prior states were recorded.
  await h.kinesis.send(new AddTagsToStreamCommand({ StreamName: 'k-delete-alias', Tags: { [OWNER_TAG_KEY]: ownerTagValue(stack.stackId, handle.logicalId) } }));
  const r = await handle.delete({ physicalResourceId: 'kinesis:k-delete-alias' });

  expect(r).toMatchObject({ status: 'SUCCESS', physicalResourceId: 'kinesis:k-delete-alias' });
  expect(logLines(r, 'stop')).toEqual([expect.objectContaining({ key: byAlias, status: 'accepted' })]);
  expect(dataStreamNow(h.cloud, 'k-delete-alias')).toMatchObject({ status: 'ACTIVE', encryptionType: 'NONE' });
  expect(kinesisCallsOn(h.cloud, 'k-delete-alias')).toMatchObject({ startCalls: 0, stop: 1, stopCalls: 1 });
  expectAnsweredInTime(r);
}, 30_000);

test.concurrent('Delete while UPDATING to the key (rollback of a Create that never answered): waits for ACTIVE, then one Stop', async () => {
  const { handle, keyId } = dataStreamResourceFor(stack, 'k-delete-updating');
  h.cloud.control.setDataStreamDelays('k-delete-updating', { updatingMs: 3_000 });
  h.cloud.control.createDataStream({ name: 'k-delete-updating', status: 'UPDATING', updatingTo: { keyId } });
  const activeAt = h.cloud.control.dataStream('k-delete-updating')!.pendingChange!.completesAt;

  const r = await handle.delete({ physicalResourceId: 'kinesis:k-delete-updating' });

  expect(r).toMatchObject({ status: 'SUCCESS', physicalResourceId: 'kinesis:k-delete-updating' });
  expect(r.answeredAtMs!).toBeGreaterThanOrEqual(3_000 + 3_000 - 100); // UPDATING to the key, then UPDATING to NONE
  expect(dataStreamNow(h.cloud, 'k-delete-updating')).toMatchObject({ status: 'ACTIVE', encryptionType: 'NONE' });
  expect(kinesisCallsOn(h.cloud, 'k-delete-updating')).toMatchObject({ stop: 1, stopCalls: 1, startCalls: 0 });
  const stop = h.cloud.control.callLog().find((c) => c.operation === 'kinesis:StopStreamEncryption' && c.resource === 'k-delete-updating')!;
  expect(stop.at).toBeGreaterThanOrEqual(activeAt); // not before the update settled
  expectAnsweredInTime(r);
}, 30_000);

test.concurrent('the Stop does not take (UPDATING, then ACTIVE still with the key): FAILED DATA_STREAM_ENCRYPTION_NOT_APPLIED; a retried Delete stops it', async () => {
  const { handle, keyId } = await created('k-stop-not-applied');
  h.cloud.control.failNextStreamEncryption('k-stop-not-applied');

  const failed = await handle.delete();

  expect(failed).toMatchObject({ status: 'FAILED', reasonId: 'DATA_STREAM_ENCRYPTION_NOT_APPLIED', physicalResourceId: 'kinesis:k-stop-not-applied#prior=none' });
  expect(failed.reason).toContain(`went back to ACTIVE after StopStreamEncryption without the wanted encryption: stream ACTIVE, encryption KMS with ${keyId}`);
  expect(dataStreamNow(h.cloud, 'k-stop-not-applied')).toMatchObject({ status: 'ACTIVE', encryptionType: 'KMS', keyId });
  expect(kinesisCallsOn(h.cloud, 'k-stop-not-applied')).toMatchObject({ stop: 1, stopCalls: 1 });
  expectAnsweredInTime(failed);

  const retried = await handle.delete();
  expect(retried).toMatchObject({ status: 'SUCCESS', physicalResourceId: 'kinesis:k-stop-not-applied#prior=none' });
  expect(dataStreamNow(h.cloud, 'k-stop-not-applied')).toMatchObject({ status: 'ACTIVE', encryptionType: 'NONE' });
  expect(kinesisCallsOn(h.cloud, 'k-stop-not-applied')).toMatchObject({ stop: 2, stopCalls: 2 });
  expectAnsweredInTime(retried);
}, 30_000);

test.concurrent('Delete of a stream that is not encrypted: SUCCESS after one read, no Stop', async () => {
  const { handle } = dataStreamResourceFor(stack, 'k-already-none');
  h.cloud.control.createDataStream({ name: 'k-already-none' });

  const r = await handle.delete({ physicalResourceId: 'kinesis:k-already-none' });

  expect(r).toMatchObject({ status: 'SUCCESS', physicalResourceId: 'kinesis:k-already-none', data: { EncryptionType: 'NONE', KeyId: '', StreamStatus: 'ACTIVE' } });
  expect(kinesisCallsOn(h.cloud, 'k-already-none')).toMatchObject({ stopCalls: 0, describe: 1 });
  expectAnsweredInTime(r);
}, 30_000);
