/**
 * Update and Delete, as CloudFormation sends them (after a Create, with `OldResourceProperties`
 * and the physical id), against the local cloud with the real handler bundle. Deletes that make
 * no Stop are in `stream-kinds.test.ts`, for both kinds.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import { callsOn, encryptDeliveryStreams, encryptionAtAnswer, encryptionNow, resourceFor } from './firehose-harness';
import { expectAnsweredInTime, expectCleanLog, FAST, Harness, newKeyArn, preparedStack, SCHEDULING_SLACK_MS, useHarness } from './harness';
import { FIREHOSE } from './kinds';
import { LocalCloudStack, StepResult } from '../../tools/local-cloud/cfn';

const STREAMS = [
  'rotate', 'switch', 'noop', 'retry', 'rollback', 'preflight-update', 'rename-a',
  'delete', 'delete-enabling', 'disabling-failed', 'already-disabled',
];

let h: Harness;
let stack: LocalCloudStack;
useHarness(FIREHOSE.unthrottled(1_000), (started) => {
  h = started;
  stack = preparedStack(h, 'UpdateDeleteScenarios', (s) => encryptDeliveryStreams(s, STREAMS, (name) => ({
    encryption: name === 'switch' ? firehose.StreamEncryption.awsOwnedKey() : undefined,
    removalPolicy: RemovalPolicy.DESTROY,
  })));
});

/** Creates the stream and its encryption (checked), and returns the construct's key. */
async function created(stream: string): Promise<{ handle: ReturnType<LocalCloudStack['resource']>; keyArn?: string; create: StepResult }> {
  const { handle, keyArn } = resourceFor(stack, stream);
  h.cloud.control.createStream({ name: stream });
  const create = await handle.create({ properties: FAST });
  expect(create).toMatchObject({ status: 'SUCCESS', physicalResourceId: `firehose:${stream}#prior=none` });
  return { handle, keyArn, create };
}

test.concurrent('key rotation: Update to another key makes one Start; ENABLED with the new key, same physical id', async () => {
  const { handle, keyArn: oldKey } = await created('rotate');
  const newKey = newKeyArn(h.cloud, '0e0e0e0e-0000-4000-8000-000000000001');

  const r = await handle.update({ properties: { KeyArn: newKey } });

  expect(r.event.OldResourceProperties).toMatchObject({ KeyArn: oldKey });
  expect(r).toMatchObject({ status: 'SUCCESS', physicalResourceId: 'firehose:rotate#prior=none', data: { KeyArn: newKey, EncryptionStatus: 'ENABLED' } });
  expect(encryptionNow(h.cloud, 'rotate')).toMatchObject({ status: 'ENABLED', keyArn: newKey, applied: { keyArn: newKey } });
  expect(callsOn(h.cloud, 'rotate')).toMatchObject({ start: 2, startCalls: 2, stopCalls: 0 });
  expect(h.cloud.control.calls('DescribeKey', newKey).accepted).toBe(1);
  expectAnsweredInTime(r);
  expectCleanLog(r);
}, 30_000);

test.concurrent('AWS_OWNED_CMK → CUSTOMER_MANAGED_CMK and back: one Start each way', async () => {
  const { handle } = await created('switch');
  expect(encryptionNow(h.cloud, 'switch')).toMatchObject({ status: 'ENABLED', keyType: 'AWS_OWNED_CMK' });
  const key = newKeyArn(h.cloud, '5a5a5a5a-0000-4000-8000-000000000002');

  const toCustomer = await handle.update({ properties: { KeyType: 'CUSTOMER_MANAGED_CMK', KeyArn: key } });
  expect(toCustomer).toMatchObject({ status: 'SUCCESS', physicalResourceId: 'firehose:switch#prior=none', data: { KeyType: 'CUSTOMER_MANAGED_CMK', KeyArn: key } });
  expect(encryptionAtAnswer(toCustomer)).toMatchObject({ status: 'ENABLED', keyType: 'CUSTOMER_MANAGED_CMK', keyArn: key, applied: { keyArn: key } });
  expect(callsOn(h.cloud, 'switch')).toMatchObject({ start: 2, startCalls: 2 });
  expectAnsweredInTime(toCustomer);

  const back = await handle.update({ properties: { KeyType: 'AWS_OWNED_CMK', KeyArn: undefined } });
  expect(back.event.OldResourceProperties).toMatchObject({ KeyType: 'CUSTOMER_MANAGED_CMK', KeyArn: key });
  expect(back).toMatchObject({ status: 'SUCCESS', physicalResourceId: 'firehose:switch#prior=none', data: { KeyType: 'AWS_OWNED_CMK', KeyArn: '' } });
  expect(encryptionNow(h.cloud, 'switch')).toMatchObject({ status: 'ENABLED', keyType: 'AWS_OWNED_CMK', keyArn: undefined, applied: { keyType: 'AWS_OWNED_CMK' } });
  expect(callsOn(h.cloud, 'switch')).toMatchObject({ start: 3, startCalls: 3, stopCalls: 0 });
  expectAnsweredInTime(back);
  expectCleanLog(back);
}, 30_000);

test.concurrent('no-op Update (timeout, settle time, removal policy, ServiceTimeout only): SUCCESS after one Describe, no Start, Stop or tag call', async () => {
  const { handle, keyArn } = await created('noop');
  const before = callsOn(h.cloud, 'noop');
  const keyCalls = h.cloud.control.calls('DescribeKey', keyArn).total;

  const r = await handle.update({ properties: { TimeoutSeconds: '840', SettleSeconds: '30', RemovalPolicy: 'retain', ServiceTimeout: '900' } });

  expect(r).toMatchObject({ status: 'SUCCESS', physicalResourceId: 'firehose:noop#prior=none', data: { KeyArn: keyArn, EncryptionStatus: 'ENABLED' } });
  // the SUCCESS is true of the stream it read, not taken for granted
  expect(r.reason).toContain('encryption ENABLED');
  expect(callsOn(h.cloud, 'noop')).toEqual({ ...before, describe: before.describe + 1, all: before.all + 1 });
  expect(h.cloud.control.calls('DescribeKey', keyArn).total).toBe(keyCalls);
  expect(encryptionNow(h.cloud, 'noop')).toMatchObject({ status: 'ENABLED', keyArn });
  expect(r.answeredAtMs!).toBeLessThan(SCHEDULING_SLACK_MS);
  expectAnsweredInTime(r);
}, 30_000);

test.concurrent('Update sent again (CloudFormation retrying after a lost answer): already ENABLED with the new key, no second Start', async () => {
  const { handle, keyArn: oldKey } = await created('retry');
  const newKey = newKeyArn(h.cloud, '7e7e7e7e-0000-4000-8000-000000000003');
  const first = await handle.update({ properties: { KeyArn: newKey, ...FAST } });
  expect(first.status).toBe('SUCCESS');
  expect(callsOn(h.cloud, 'retry').start).toBe(2);

  const again = await handle.update({ oldProperties: { ...stack.deployedProperties(handle.logicalId), KeyArn: oldKey } });

  expect(again.event.OldResourceProperties).toMatchObject({ KeyArn: oldKey });
  expect(again.event.ResourceProperties).toMatchObject({ KeyArn: newKey });
  expect(again).toMatchObject({ status: 'SUCCESS', physicalResourceId: 'firehose:retry#prior=none' });
  expect(callsOn(h.cloud, 'retry')).toMatchObject({ start: 2, startCalls: 2 });
  expect(encryptionNow(h.cloud, 'retry')).toMatchObject({ status: 'ENABLED', keyArn: newKey });
  expectAnsweredInTime(again);
}, 30_000);

test.concurrent('rollback Update after a failed Update: the old key is still in force, so no Start', async () => {
  const { handle, keyArn: oldKey } = await created('rollback');
  const newKey = newKeyArn(h.cloud, 'b0b0b0b0-0000-4000-8000-000000000004');
  const oldProperties = { ...stack.deployedProperties(handle.logicalId)! };
  h.cloud.control.failNextStart('rollback', { Type: 'KMS_ACCESS_DENIED', Details: 'The key policy does not let Firehose create a grant.' });

  const failed = await handle.update({ properties: { KeyArn: newKey, ...FAST } });

  expect(failed).toMatchObject({ status: 'FAILED', reasonId: 'ENABLING_FAILED', physicalResourceId: 'firehose:rollback#prior=none' });
  expect(failed.reason).toContain('KMS_ACCESS_DENIED: The key policy does not let Firehose create a grant.');
  // Firehose keeps protecting the records with the old key, and shows the failed change.
  expect(encryptionNow(h.cloud, 'rollback')).toMatchObject({ status: 'ENABLING_FAILED', keyArn: oldKey, applied: { keyArn: oldKey } });
  expect(callsOn(h.cloud, 'rollback').start).toBe(2);
  expectAnsweredInTime(failed);

  // CloudFormation rolls back: Update with the old properties, the failed ones as OldResourceProperties.
  const rollback = await handle.update({
    properties: { ...oldProperties, ...FAST } as Record<string, string>,
    oldProperties: failed.event.ResourceProperties,
  });

  expect(rollback.event.ResourceProperties).toMatchObject({ KeyArn: oldKey });
  expect(rollback.event.OldResourceProperties).toMatchObject({ KeyArn: newKey });
  expect(rollback).toMatchObject({ status: 'SUCCESS', physicalResourceId: 'firehose:rollback#prior=none', data: { KeyArn: oldKey } });
  // "encryption remains enabled with the old CMK" (Firehose API reference, StartDeliveryStreamEncryption):
  // the stream is as the old properties say, and the rollback spends none of the 25 daily calls
  expect(encryptionNow(h.cloud, 'rollback')).toMatchObject({ status: 'ENABLING_FAILED', keyArn: oldKey, applied: { keyArn: oldKey } });
  expect(callsOn(h.cloud, 'rollback')).toMatchObject({ start: 2, startCalls: 2, stopCalls: 0 });
  expectAnsweredInTime(rollback);
  expectCleanLog(rollback);
}, 30_000);

test.concurrent('Update to a disabled key: FAILED KEY_NOT_ENABLED before any Start; the stream keeps the old key, and the rollback makes no Start', async () => {
  const { handle, keyArn: oldKey } = await created('preflight-update');
  const disabled = h.cloud.control.registerKey({ arn: 'arn:aws:kms:us-east-1:123456789012:key/d15ab1ed-0000-4000-8000-000000000005', keyState: 'Disabled' }).Arn;

  const failed = await handle.update({ properties: { KeyArn: disabled } });

  expect(failed).toMatchObject({ status: 'FAILED', reasonId: 'KEY_NOT_ENABLED', physicalResourceId: 'firehose:preflight-update#prior=none' });
  expect(encryptionNow(h.cloud, 'preflight-update')).toMatchObject({ status: 'ENABLED', keyArn: oldKey });
  expect(callsOn(h.cloud, 'preflight-update')).toMatchObject({ start: 1, startCalls: 1 });
  expectAnsweredInTime(failed);

  const rollback = await handle.update({ oldProperties: failed.event.ResourceProperties });
  expect(rollback).toMatchObject({ status: 'SUCCESS', physicalResourceId: 'firehose:preflight-update#prior=none' });
  expect(callsOn(h.cloud, 'preflight-update')).toMatchObject({ start: 1, startCalls: 1 });
  expectAnsweredInTime(rollback);
}, 30_000);

test.concurrent('stream name change: a new physical id, then the Delete of the old one stops the old stream', async () => {
  const { handle, keyArn } = await created('rename-a');
  const old = { id: stack.physicalId(handle.logicalId)!, properties: { ...stack.deployedProperties(handle.logicalId)! } };
  h.cloud.control.createStream({ name: 'rename-b' });

  const moved = await handle.update({ properties: { DeliveryStreamName: 'rename-b', ...FAST } });

  expect(moved).toMatchObject({ status: 'SUCCESS', physicalResourceId: 'firehose:rename-b#prior=none' });
  expect(encryptionNow(h.cloud, 'rename-b')).toMatchObject({ status: 'ENABLED', keyArn });
  expect(callsOn(h.cloud, 'rename-b')).toMatchObject({ start: 1, startCalls: 1 });
  expect(callsOn(h.cloud, 'rename-a')).toMatchObject({ start: 1, stopCalls: 0 });
  expectAnsweredInTime(moved);

  // CloudFormation's clean-up: Delete with the old physical id and the old properties.
  const cleanup = await handle.delete({ physicalResourceId: old.id, properties: old.properties as Record<string, string> });

  expect(cleanup.event.PhysicalResourceId).toBe('firehose:rename-a#prior=none');
  expect(cleanup).toMatchObject({ status: 'SUCCESS', physicalResourceId: 'firehose:rename-a#prior=none' });
  expect(encryptionNow(h.cloud, 'rename-a')).toMatchObject({ status: 'DISABLED', applied: null });
  expect(encryptionNow(h.cloud, 'rename-b')).toMatchObject({ status: 'ENABLED', keyArn });
  expect(callsOn(h.cloud, 'rename-a')).toMatchObject({ stop: 1, stopCalls: 1 });
  expect(callsOn(h.cloud, 'rename-b')).toMatchObject({ stopCalls: 0 });
  expectAnsweredInTime(cleanup);
}, 30_000);

test.concurrent('Delete of an ENABLED stream: one Stop, answered at the first read after DISABLED', async () => {
  const { handle } = await created('delete');

  const r = await handle.delete();

  expect(r).toMatchObject({ status: 'SUCCESS', physicalResourceId: 'firehose:delete#prior=none', data: { KeyArn: '', EncryptionStatus: 'DISABLED' } });
  expect(encryptionNow(h.cloud, 'delete')).toMatchObject({ status: 'DISABLED', applied: null });
  expect(callsOn(h.cloud, 'delete')).toMatchObject({ start: 1, stop: 1, stopCalls: 1 });
  const stop = h.cloud.control.callLog().find((c) => c.operation === 'firehose:StopDeliveryStreamEncryption' && c.resource === 'delete')!;
  const disabledAt = stop.at + 1_000;
  expect(r.startedAt + r.answeredAtMs! - disabledAt).toBeGreaterThanOrEqual(0);
  expect(r.startedAt + r.answeredAtMs! - disabledAt).toBeLessThan(1_000 + SCHEDULING_SLACK_MS);
  expectAnsweredInTime(r);
  expectCleanLog(r);
}, 30_000);

test.concurrent('Delete while ENABLING (rollback of a Create that never answered): waits for ENABLED, then one Stop', async () => {
  const { handle, keyArn } = resourceFor(stack, 'delete-enabling');
  h.cloud.control.setStreamDelays('delete-enabling', { enablingMs: 3_000 });
  h.cloud.control.createStream({ name: 'delete-enabling', encryption: { status: 'ENABLING', keyArn } });

  const r = await handle.delete({ physicalResourceId: 'firehose:delete-enabling' });

  expect(r).toMatchObject({ status: 'SUCCESS', physicalResourceId: 'firehose:delete-enabling' });
  expect(r.answeredAtMs!).toBeGreaterThanOrEqual(3_000 + 1_000 - 100);
  expect(encryptionNow(h.cloud, 'delete-enabling')).toMatchObject({ status: 'DISABLED', applied: null });
  const calls = callsOn(h.cloud, 'delete-enabling');
  expect(calls).toMatchObject({ stop: 1, stopCalls: 1, startCalls: 0 });
  const stop = h.cloud.control.callLog().find((c) => c.operation === 'firehose:StopDeliveryStreamEncryption' && c.resource === 'delete-enabling')!;
  expect(stop.at - r.startedAt).toBeGreaterThanOrEqual(3_000 - 100); // not before ENABLING settled
  expectAnsweredInTime(r);
}, 30_000);

test.concurrent('Delete when Firehose fails to disable: FAILED DISABLING_FAILED; a retried Delete stops it', async () => {
  const { handle, keyArn } = await created('disabling-failed');
  h.cloud.control.failNextStop('disabling-failed', { Type: 'DISABLED_KMS_KEY', Details: 'The key is disabled.' });

  const failed = await handle.delete();

  expect(failed).toMatchObject({ status: 'FAILED', reasonId: 'DISABLING_FAILED', physicalResourceId: 'firehose:disabling-failed#prior=none' });
  expect(failed.reason).toContain('Firehose could not disable encryption of disabling-failed: DISABLED_KMS_KEY: The key is disabled.');
  expect(encryptionNow(h.cloud, 'disabling-failed')).toMatchObject({ status: 'DISABLING_FAILED', applied: { keyArn } });
  expect(callsOn(h.cloud, 'disabling-failed')).toMatchObject({ stop: 1 });
  expectAnsweredInTime(failed);

  const retried = await handle.delete();
  expect(retried).toMatchObject({ status: 'SUCCESS', physicalResourceId: 'firehose:disabling-failed#prior=none' });
  expect(encryptionNow(h.cloud, 'disabling-failed')).toMatchObject({ status: 'DISABLED', applied: null });
  expect(callsOn(h.cloud, 'disabling-failed')).toMatchObject({ stop: 2, stopCalls: 2 });
  expectAnsweredInTime(retried);
}, 30_000);

test.concurrent('Delete of a stream already DISABLED: SUCCESS after one read, no Stop', async () => {
  const { handle } = resourceFor(stack, 'already-disabled');
  h.cloud.control.createStream({ name: 'already-disabled' });

  const r = await handle.delete({ physicalResourceId: 'firehose:already-disabled' });

  expect(r).toMatchObject({ status: 'SUCCESS', physicalResourceId: 'firehose:already-disabled' });
  expect(callsOn(h.cloud, 'already-disabled')).toMatchObject({ stopCalls: 0, describe: 1 });
  expectAnsweredInTime(r);
}, 30_000);
