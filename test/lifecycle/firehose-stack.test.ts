/**
 * Whole-stack lifecycles, from synthesized cloud assemblies: deploy, update (with CloudFormation's
 * clean-up and rollback) and destroy, as CloudFormation orders the custom resources' events.
 * The local cloud keeps Firehose's default rate limits here.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as kms from 'aws-cdk-lib/aws-kms';
import { callsOn, encryptionAtAnswer, encryptionNow } from './firehose-harness';
import { expectAnsweredInTime, expectCleanLog, Harness, newKeyArn, synthStack, useHarness } from './harness';
import { buildExampleApp } from '../../example/app';
import { ownerTagValue } from '../../lambda/core/ownership';
import { DeliveryStreamEncryption } from '../../src';
import { formatOwnerTag, OWNER_TAG_KEY } from '../../src/private/contract';
import { LocalCloudStack, StepResult } from '../../tools/local-cloud/cfn';
import { claimedBy } from '../local-cloud/helpers';

let h: Harness;

useHarness({ delays: { enablingMs: 1_000, disablingMs: 1_000 } }, (started) => (h = started));

/** No settle time: the stack lifecycle is what these scenarios are about. */
const FAST = { SettleSeconds: '0' };

/** An imported stream `name`, encrypted by a construct `id` (options as given). */
function encrypt(s: Stack, id: string, name: string, options: { key?: kms.IKey; removalPolicy?: RemovalPolicy } = {}): DeliveryStreamEncryption {
  return new DeliveryStreamEncryption(s, id, {
    deliveryStream: firehose.DeliveryStream.fromDeliveryStreamName(s, `${id}Stream`, name),
    encryption: firehose.StreamEncryption.customerManagedKey(options.key),
    removalPolicy: options.removalPolicy,
  });
}

/** The logical id of the stack's key whose construct id is `constructId`. */
function keyId(stack: LocalCloudStack, constructId: string): string {
  const ids = Object.entries(stack.template.template.Resources)
    .filter(([id, r]) => r.Type === 'AWS::KMS::Key' && id.startsWith(constructId))
    .map(([id]) => id);
  expect(ids).toHaveLength(1);
  return ids[0];
}

function stepFor(steps: readonly StepResult[], stream: string, requestType: string): StepResult {
  const found = steps.filter((s) => s.streamName === stream && s.requestType === requestType);
  expect(found).toHaveLength(1);
  return found[0];
}

test('the example app: deploy, rotate to key generation 2, destroy — each as the truth table says', async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'lifecycle-example-'));
  const gen1 = buildExampleApp(path.join(out, 'gen1')).app.synth().directory;
  const gen2 = buildExampleApp(path.join(out, 'gen2'), { keyGeneration: 2 }).app.synth().directory;
  const stack = h.cfn.stack(gen1);
  // both streams are another team's, created outside the stack
  h.cloud.control.createStream({ name: 'orders' });
  h.cloud.control.createStream({ name: 'clicks' });

  const deployed = await stack.deploy({ properties: FAST });
  expect(deployed.status).toBe('CREATE_COMPLETE');
  expect(deployed.steps).toHaveLength(2);
  for (const stream of ['orders', 'clicks']) {
    const step = stepFor(deployed.steps, stream, 'Create');
    const key = step.event.ResourceProperties.KeyArn;
    expect(step).toMatchObject({ status: 'SUCCESS', physicalResourceId: `firehose:${stream}#prior=none` });
    expect(encryptionAtAnswer(step)).toMatchObject({ status: 'ENABLED', keyArn: key, applied: { keyArn: key } });
    expect(callsOn(h.cloud, stream)).toMatchObject({ start: 1, startCalls: 1, stopCalls: 0 });
    expectAnsweredInTime(step);
    expectCleanLog(step);
  }
  // the stack defines no stream, and a key for each stream
  expect(Object.values(stack.template.template.Resources).filter((r) => r.Type === 'AWS::KinesisFirehose::DeliveryStream')).toEqual([]);
  const gen1Keys = ['OrdersEncryptionKey0FFC647C', 'ClicksEncryptionKeyB04C6ECA'].map((id) => stack.keyArn(id));
  expect(gen1Keys.map((k) => h.cloud.control.key(k)?.KeyState)).toEqual(['Enabled', 'Enabled']);

  const rotated = await stack.update(gen2, { properties: FAST });
  expect(rotated.status).toBe('UPDATE_COMPLETE');
  expect(rotated.steps.map((s) => s.requestType)).toEqual(['Update', 'Update']);
  for (const stream of ['orders', 'clicks']) {
    const step = stepFor(rotated.steps, stream, 'Update');
    const newKey = step.event.ResourceProperties.KeyArn;
    expect(gen1Keys).toContain(step.event.OldResourceProperties!.KeyArn);
    expect(gen1Keys).not.toContain(newKey);
    expect(step).toMatchObject({ status: 'SUCCESS', physicalResourceId: `firehose:${stream}#prior=none`, data: { KeyArn: newKey } });
    expect(encryptionNow(h.cloud, stream)).toMatchObject({ status: 'ENABLED', keyArn: newKey, applied: { keyArn: newKey } });
    expect(callsOn(h.cloud, stream)).toMatchObject({ start: 2, startCalls: 2, stopCalls: 0 });
    expectAnsweredInTime(step);
  }
  // the old keys left the template but are retained: records written under them stay readable
  expect(gen1Keys.map((k) => h.cloud.control.key(k)?.KeyState)).toEqual(['Enabled', 'Enabled']);

  const destroyed = await stack.destroy();
  expect(destroyed.status).toBe('DELETE_COMPLETE');
  for (const stream of ['orders', 'clicks']) {
    const step = stepFor(destroyed.steps, stream, 'Delete');
    expect(step).toMatchObject({ status: 'SUCCESS', physicalResourceId: `firehose:${stream}#prior=none` });
    expect(encryptionAtAnswer(step)).toMatchObject({ status: 'DISABLED', applied: null });
    expect(callsOn(h.cloud, stream)).toMatchObject({ start: 2, stop: 1, stopCalls: 1 });
    expectAnsweredInTime(step);
  }
  // the imported streams stay, their encryption turned off
  for (const stream of ['orders', 'clicks']) expect(encryptionNow(h.cloud, stream)).toMatchObject({ status: 'DISABLED' });
}, 60_000);

test.concurrent('a failed stack update rolls back: the old key stays in force, so the rollback Update makes no Start; the new key goes', async () => {
  const v1 = synthStack('RollbackStack', (s) => encrypt(s, 'Sse', 'rollback-stack', { key: new kms.Key(s, 'KeyA', { removalPolicy: RemovalPolicy.DESTROY }) }));
  const v2 = synthStack('RollbackStack', (s) => encrypt(s, 'Sse', 'rollback-stack', { key: new kms.Key(s, 'KeyB', { removalPolicy: RemovalPolicy.DESTROY }) }));
  h.cloud.control.createStream({ name: 'rollback-stack' });
  const stack = h.cfn.stack(v1);
  expect((await stack.deploy({ properties: FAST })).status).toBe('CREATE_COMPLETE');
  const keyA = stack.keyArn(keyId(stack, 'KeyA'));
  h.cloud.control.failNextStart('rollback-stack', { Type: 'CREATE_KMS_GRANT_FAILED', Details: 'Firehose could not create a grant on the key.' });

  const updated = await stack.update(v2, { properties: FAST });

  expect(updated.status).toBe('UPDATE_ROLLBACK_COMPLETE');
  expect(updated.steps.map((s) => `${s.requestType} ${s.status}`)).toEqual(['Update FAILED', 'Update SUCCESS']);
  const [failed, rollback] = updated.steps;
  const keyB = failed.event.ResourceProperties.KeyArn as string;
  expect(failed).toMatchObject({ reasonId: 'ENABLING_FAILED', physicalResourceId: 'firehose:rollback-stack#prior=none' });
  expect(failed.reason).toContain('CREATE_KMS_GRANT_FAILED');
  expect(rollback.event.ResourceProperties).toMatchObject({ KeyArn: keyA });
  expect(rollback.event.OldResourceProperties).toMatchObject({ KeyArn: keyB });
  expect(rollback).toMatchObject({ physicalResourceId: 'firehose:rollback-stack#prior=none', data: { KeyArn: keyA } });
  // "encryption remains enabled with the old CMK" after a failed key change (Firehose API reference,
  // StartDeliveryStreamEncryption): the rollback finds key A in force and spends none of the 25 daily calls
  expect(encryptionNow(h.cloud, 'rollback-stack')).toMatchObject({ status: 'ENABLING_FAILED', keyArn: keyA, applied: { keyArn: keyA } });
  expect(callsOn(h.cloud, 'rollback-stack')).toMatchObject({ start: 2, startCalls: 2, stopCalls: 0 });
  expect(h.cloud.control.key(keyB)?.KeyState).toBe('PendingDeletion');
  expect(h.cloud.control.key(keyA)?.KeyState).toBe('Enabled');
  expect(stack.deployedProperties(stack.customResourceIds()[0])).toMatchObject({ KeyArn: keyA });
  expectAnsweredInTime(failed);
  expectAnsweredInTime(rollback);
}, 60_000);

test.concurrent('RETAIN: destroy makes no call; the stream stays ENABLED and its key is kept', async () => {
  const dir = synthStack('RetainStack', (s) => encrypt(s, 'Sse', 'retain-stack', { removalPolicy: RemovalPolicy.RETAIN }));
  h.cloud.control.createStream({ name: 'retain-stack' });
  const stack = h.cfn.stack(dir);
  const deployed = await stack.deploy({ properties: FAST });
  expect(deployed.status).toBe('CREATE_COMPLETE');
  const keyArn = deployed.steps[0].event.ResourceProperties.KeyArn as string;
  const before = callsOn(h.cloud, 'retain-stack');

  const destroyed = await stack.destroy();

  expect(destroyed.status).toBe('DELETE_COMPLETE');
  const [del] = destroyed.steps;
  expect(del).toMatchObject({ requestType: 'Delete', status: 'SUCCESS', physicalResourceId: 'firehose:retain-stack#prior=none' });
  expect(callsOn(h.cloud, 'retain-stack')).toEqual(before);
  expect(encryptionNow(h.cloud, 'retain-stack')).toMatchObject({ status: 'ENABLED', keyArn, applied: { keyArn } });
  expect(h.cloud.control.key(keyArn)?.KeyState).toBe('Enabled');
  expectAnsweredInTime(del);
}, 60_000);

test.concurrent('a failed Create rolls the stack back: Delete stops the stream that was encrypted, and makes no call for the one that never started', async () => {
  const dir = synthStack('CreateRollbackStack', (s) => {
    encrypt(s, 'Good', 'rollback-good');
    encrypt(s, 'Missing', 'rollback-missing');
  });
  h.cloud.control.createStream({ name: 'rollback-good' });
  const stack = h.cfn.stack(dir);

  const deployed = await stack.deploy({ properties: FAST });

  expect(deployed.status).toBe('ROLLBACK_COMPLETE');
  const missing = stepFor(deployed.steps, 'rollback-missing', 'Create');
  expect(missing).toMatchObject({ status: 'FAILED', reasonId: 'STREAM_NOT_FOUND', physicalResourceId: 'firehose:rollback-missing#not-started' });
  expect(stepFor(deployed.steps, 'rollback-good', 'Create').status).toBe('SUCCESS');
  const deleteMissing = stepFor(deployed.steps, 'rollback-missing', 'Delete');
  expect(deleteMissing).toMatchObject({ status: 'SUCCESS', physicalResourceId: 'firehose:rollback-missing#not-started' });
  // the Create's reads (Describe, and the owner tag it reads alongside); the Delete makes no call
  expect(callsOn(h.cloud, 'rollback-missing')).toMatchObject({ describe: 1, all: 2 });
  expect(h.cloud.control.calls('ListTagsForDeliveryStream', 'rollback-missing').total).toBe(1);
  const deleteGood = stepFor(deployed.steps, 'rollback-good', 'Delete');
  expect(deleteGood.status).toBe('SUCCESS');
  expect(encryptionNow(h.cloud, 'rollback-good')).toMatchObject({ status: 'DISABLED', applied: null });
  expect(callsOn(h.cloud, 'rollback-good')).toMatchObject({ start: 1, stop: 1 });
  // the keys the stack made are retained by default, also by a rollback
  for (const s of deployed.steps.filter((x) => x.requestType === 'Create')) {
    expect(h.cloud.control.key(s.event.ResourceProperties.KeyArn as string)?.KeyState).toBe('Enabled');
  }
  for (const s of deployed.steps) expectAnsweredInTime(s);
}, 60_000);

test.concurrent('an update with nothing changed sends no event and makes no call', async () => {
  const build = (s: Stack) => encrypt(s, 'Sse', 'unchanged');
  const v1 = synthStack('UnchangedStack', build);
  const again = synthStack('UnchangedStack', build);
  h.cloud.control.createStream({ name: 'unchanged' });
  const stack = h.cfn.stack(v1);
  expect((await stack.deploy({ properties: FAST })).status).toBe('CREATE_COMPLETE');
  const before = callsOn(h.cloud, 'unchanged');

  const updated = await stack.update(again, { properties: FAST });

  expect(updated).toMatchObject({ status: 'UPDATE_COMPLETE', steps: [] });
  expect(callsOn(h.cloud, 'unchanged')).toEqual(before);
  expect(encryptionNow(h.cloud, 'unchanged')).toMatchObject({ status: 'ENABLED' });
}, 60_000);

// Renaming the construct (a new logical id for the same stream and key) makes CloudFormation Create the
// new resource — SUCCESS without a Start, the stream being ENABLED with that key — and then, in the
// clean-up, Delete the old one. The physical id (`firehose:<stream>`) is the same for both resources;
// the owner tag on the stream, written by the new resource's Create, tells the old one's Delete that
// the stream is no longer its to stop.
test('construct renamed (same stream, same key): the clean-up Delete of the old resource must leave the stream ENABLED', async () => {
  const key = (s: Stack) => new kms.Key(s, 'StreamKey', { removalPolicy: RemovalPolicy.RETAIN });
  const v1 = synthStack('MoveStack', (s) => encrypt(s, 'OrdersSse', 'moved', { key: key(s) }));
  const v2 = synthStack('MoveStack', (s) => encrypt(s, 'OrdersEncryption', 'moved', { key: key(s) }));
  h.cloud.control.createStream({ name: 'moved' });
  const stack = h.cfn.stack(v1);
  expect((await stack.deploy({ properties: FAST })).status).toBe('CREATE_COMPLETE');

  const updated = await stack.update(v2, { properties: FAST });

  expect(updated.status).toBe('UPDATE_COMPLETE');
  expect(updated.steps.map((s) => `${s.requestType} ${s.logicalId.replace(/[0-9A-F]{8}$/, '')} ${s.status}`)).toEqual([
    'Create OrdersEncryption SUCCESS',
    'Delete OrdersSse SUCCESS',
  ]);
  expect(callsOn(h.cloud, 'moved')).toMatchObject({ start: 1 }); // the new resource found it ENABLED with its key
  expect(encryptionNow(h.cloud, 'moved')).toMatchObject({ status: 'ENABLED' }); // the old resource's Delete made no Stop
  expect(callsOn(h.cloud, 'moved')).toMatchObject({ stopCalls: 0 });
  const [, cleanup] = updated.steps;
  expect(cleanup.reason).toContain('managed by another resource');
  expect(h.cloud.control.stream('moved')?.tags).toEqual({ [OWNER_TAG_KEY]: `${ownerTagValue(stack.stackId, updated.steps[0].logicalId)} prior=none` });
}, 60_000);

test.concurrent('two stacks encrypt one stream with one key: destroying the first leaves it ENABLED; destroying the second, its owner now, stops it', async () => {
  const keyArn = newKeyArn(h.cloud, 'shared-stream-key');
  const build = (s: Stack) => encrypt(s, 'SharedSse', 'shared', { key: kms.Key.fromKeyArn(s, 'Key', keyArn) });
  h.cloud.control.createStream({ name: 'shared' });
  const first = h.cfn.stack(synthStack('SharedFirst', build));
  const second = h.cfn.stack(synthStack('SharedSecond', build));
  const [firstId] = first.customResourceIds();
  const [secondId] = second.customResourceIds();

  expect((await first.deploy({ properties: FAST })).status).toBe('CREATE_COMPLETE');
  expect(h.cloud.control.stream('shared')?.tags).toEqual({ [OWNER_TAG_KEY]: claimedBy(ownerTagValue(first.stackId, firstId)) });
  const { startCalls } = callsOn(h.cloud, 'shared');
  const deployed = await second.deploy({ properties: FAST });
  expect(deployed.status).toBe('CREATE_COMPLETE');
  expect(callsOn(h.cloud, 'shared')).toMatchObject({ start: 1, startCalls }); // the second found it ENABLED with the key
  // the second names the first as the previous owner
  expect(h.cloud.control.stream('shared')?.tags).toEqual({
    [OWNER_TAG_KEY]: formatOwnerTag({ owner: ownerTagValue(second.stackId, secondId), previous: ownerTagValue(first.stackId, firstId), prior: 'none' }),
  });

  const firstGone = await first.destroy();

  expect(firstGone.status).toBe('DELETE_COMPLETE');
  const [del] = firstGone.steps;
  expect(del).toMatchObject({ requestType: 'Delete', status: 'SUCCESS', physicalResourceId: 'firehose:shared#prior=none' });
  expect(del.reason).toContain('managed by another resource');
  expect(encryptionNow(h.cloud, 'shared')).toMatchObject({ status: 'ENABLED', keyArn, applied: { keyArn } });
  expect(callsOn(h.cloud, 'shared')).toMatchObject({ stopCalls: 0 });
  expectAnsweredInTime(del);
  expectCleanLog(del);

  const secondGone = await second.destroy();

  expect(secondGone.status).toBe('DELETE_COMPLETE');
  expect(secondGone.steps[0]).toMatchObject({ requestType: 'Delete', status: 'SUCCESS' });
  expect(encryptionNow(h.cloud, 'shared')).toMatchObject({ status: 'DISABLED', applied: null });
  expect(callsOn(h.cloud, 'shared')).toMatchObject({ start: 1, stop: 1 });
  expect(h.cloud.control.stream('shared')?.tags).toEqual({});
  expectAnsweredInTime(secondGone.steps[0]);
}, 60_000);
