/**
 * Lifecycle behaviour both kinds of stream share, specified once over Firehose delivery streams
 * and Kinesis data streams: the per-stream limit of 25 Start calls (Firehose: Start and Stop
 * together) in a rolling 24 hours, Deletes that make no Stop (the stream gone, RETAIN, a Create
 * that never started), and the clean-up Delete after a stream rename. The call-limit
 * scenarios move their local cloud's clock a day ahead, which moves every stream of that cloud, so
 * each kind has a cloud of its own for them.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import { expectAnsweredInTime, expectCleanLog, Harness, logLines, newKeyArn, ONE_SECOND_CHANGES, preparedStack, SCHEDULING_SLACK_MS, synthStack, useHarness } from './harness';
import { sharedKey, STREAM_KINDS } from './kinds';
import { ownerTagValue } from '../../lambda/core/ownership';
import { OWNER_TAG_KEY } from '../../src/private/contract';
import { LocalCloudStack, StepResult } from '../../tools/local-cloud/cfn';
import { claimedBy } from '../local-cloud/helpers';

const DAY_MS = 24 * 60 * 60 * 1000;
const FAST = { SettleSeconds: '0' };

describe.each(STREAM_KINDS)('$kind', (k) => {
  describe('the per-stream call limit', () => {
    const name = k.name('budget-spent');
    let h: Harness;
    let stack: LocalCloudStack;

    useHarness(k.unthrottled(500), (started) => {
      h = started;
      stack = preparedStack(h, `${k.kind}CallLimitScenarios`, (s) => k.encrypt(s, `Sse-${name}`, name));
    });

    test('limit exhausted (25 calls spent today): FAILED at once, no retry; a day later the Create succeeds', async () => {
      const { handle, key } = k.resourceFor(stack, name);
      k.createStream(h.cloud, name, 25);

      const refused = await handle.create({ properties: FAST });

      expect(refused).toMatchObject({ status: 'FAILED', reasonId: k.callLimitReasonId, physicalResourceId: `${k.kind}:${name}#not-started` });
      for (const reason of k.callLimitReasons(name)) expect(refused.reason).toContain(reason);
      expect(h.cloud.control.calls(k.startOperation, name)).toMatchObject({ total: 1, accepted: 0, failed: 1 });
      expect(logLines(refused, 'retry')).toHaveLength(0);
      expect(refused.answeredAtMs!).toBeLessThan(SCHEDULING_SLACK_MS);
      expect(k.now(h.cloud, name)).toMatchObject(k.unencrypted);
      expectAnsweredInTime(refused);
      expectCleanLog(refused);

      // CloudFormation's rollback Delete: nothing was started, nothing to stop (and no budget to spend)
      const rollback = await handle.delete();
      expect(rollback).toMatchObject({ status: 'SUCCESS', physicalResourceId: `${k.kind}:${name}#not-started` });
      expect(k.calls(h.cloud, name)).toMatchObject({ startCalls: 1, stopCalls: 0 });

      h.cloud.control.advanceClock(DAY_MS + 1_000);
      expect(k.callsInWindow(h.cloud, name)).toBe(0);

      const retried = await handle.create({ properties: FAST });
      expect(retried).toMatchObject({ status: 'SUCCESS', physicalResourceId: `${k.kind}:${name}#prior=none` });
      expect(k.now(h.cloud, name)).toMatchObject(k.encryptedWith(key));
      expect(h.cloud.control.calls(k.startOperation, name)).toMatchObject({ total: 2, accepted: 1 });
      expect(k.callsInWindow(h.cloud, name)).toBe(1);
      expectAnsweredInTime(retried);
    }, 60_000);
  });

  describe('Deletes that make no Stop', () => {
    const STREAMS = ['gone', 'retain', 'never-started'].map(k.name);
    /** Someone else's key, per kind. */
    const THEIRS = { firehose: '7e1e5000-0000-4000-8000-000000000006', kinesis: '7e1e5000-0000-4000-8000-00000000000c' };
    let h: Harness;
    let stack: LocalCloudStack;

    useHarness(k.unthrottled(1_000), (started) => {
      h = started;
      stack = preparedStack(h, `${k.kind}DeleteScenarios`, (s) => {
        for (const name of STREAMS) k.encrypt(s, `Sse-${name}`, name, { removalPolicy: name === k.name('retain') ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY });
      });
    });

    /** Creates the stream and its encryption (checked), and returns the construct's key. */
    async function created(name: string): Promise<{ handle: ReturnType<LocalCloudStack['resource']>; key?: string; create: StepResult }> {
      const { handle, key } = k.resourceFor(stack, name);
      k.createStream(h.cloud, name);
      const create = await handle.create({ properties: FAST });
      expect(create).toMatchObject({ status: 'SUCCESS', physicalResourceId: `${k.kind}:${name}#prior=none` });
      expect(k.calls(h.cloud, name)).toMatchObject({ start: 1, stopCalls: 0 });
      return { handle, key, create };
    }

    test.concurrent('stream deleted before the Delete: SUCCESS, no Stop', async () => {
      const name = k.name('gone');
      const { handle } = await created(name);
      expect(k.deleteStream(h.cloud, name)).toBe(true);

      const r = await handle.delete();

      expect(r).toMatchObject({ status: 'SUCCESS', physicalResourceId: `${k.kind}:${name}#prior=none` });
      expect(r.reason).toContain('stream not found');
      expect(k.calls(h.cloud, name)).toMatchObject({ stopCalls: 0 });
      expect(k.now(h.cloud, name)).toBeUndefined();
      expectAnsweredInTime(r);
    }, 30_000);

    test.concurrent('RETAIN: Delete makes no call; the stream stays encrypted with the key', async () => {
      const name = k.name('retain');
      const { handle, key } = await created(name);
      expect(stack.deployedProperties(handle.logicalId)).toMatchObject({ RemovalPolicy: 'retain' });
      const before = k.calls(h.cloud, name);

      const r = await handle.delete();

      expect(r).toMatchObject({ status: 'SUCCESS', physicalResourceId: `${k.kind}:${name}#prior=none` });
      expect(r.reason).toContain('Removal policy is retain');
      expect(k.calls(h.cloud, name)).toEqual(before);
      expect(k.now(h.cloud, name)).toMatchObject(k.encryptedWith(key));
      expectAnsweredInTime(r);
    }, 30_000);

    test.concurrent('Delete after a Create that failed before Start: no call at all, and someone else\'s encryption stays', async () => {
      const name = k.name('never-started');
      const { handle, key } = k.resourceFor(stack, name);
      const theirs = newKeyArn(h.cloud, THEIRS[k.kind]);
      k.createEncryptedStream(h.cloud, name, theirs);
      h.cloud.control.setKeyState(key!, 'Disabled');
      const failed = await handle.create();
      expect(failed).toMatchObject({ status: 'FAILED', reasonId: 'KEY_NOT_ENABLED', physicalResourceId: `${k.kind}:${name}#not-started` });
      const before = k.calls(h.cloud, name);

      // CloudFormation's rollback sends Delete with the answered physical id.
      const r = await handle.delete();

      expect(r.event.PhysicalResourceId).toBe(`${k.kind}:${name}#not-started`);
      expect(r).toMatchObject({ status: 'SUCCESS', physicalResourceId: `${k.kind}:${name}#not-started` });
      expect(k.calls(h.cloud, name)).toEqual(before);
      expect(before).toMatchObject({ startCalls: 0, stopCalls: 0 });
      expect(k.now(h.cloud, name)).toMatchObject(k.encryptedWith(theirs));
      expectAnsweredInTime(r);
    }, 30_000);
  });

  describe('stack updates', () => {
    let h: Harness;

    useHarness(ONE_SECOND_CHANGES, (started) => (h = started));

    // Issue 11, item 2: the handler's policy that names the old stream is a chunk of its own, removed in the clean-up
    // after the Delete of the old physical id, so that Delete still may stop the old stream (IAM enforced).
    test('stream name changed in the template: Update answers a new physical id, then the clean-up Delete stops the old stream', async () => {
      const [oldName, newName] = [k.name('rename-old'), k.name('rename-new')];
      const v1 = synthStack(`${k.kind}RenameStack`, (s) => k.encrypt(s, 'Sse', oldName, { key: sharedKey(s) }));
      const v2 = synthStack(`${k.kind}RenameStack`, (s) => k.encrypt(s, 'Sse', newName, { key: sharedKey(s) }));
      k.createStream(h.cloud, oldName);
      k.createStream(h.cloud, newName);
      const stack = h.cfn.stack(v1);
      expect((await stack.deploy({ properties: FAST })).status).toBe('CREATE_COMPLETE');
      const [id] = stack.customResourceIds();
      const key = stack.deployedProperties(id)![k.keyProperty] as string;
      expect(key).toBe(stack.keyArn(Object.keys(stack.template.template.Resources).find((r) => r.startsWith('SharedKey'))!));

      const updated = await stack.update(v2, { properties: FAST });

      expect(updated.status).toBe('UPDATE_COMPLETE');
      expect(updated.steps.map((s) => `${s.requestType} ${s.event.PhysicalResourceId} → ${s.physicalResourceId}`)).toEqual([
        `Update ${k.kind}:${oldName}#prior=none → ${k.kind}:${newName}#prior=none`,
        `Delete ${k.kind}:${oldName}#prior=none → ${k.kind}:${oldName}#prior=none`,
      ]);
      const [update, cleanup] = updated.steps;
      expect(update.event.OldResourceProperties).toMatchObject(k.streamProperties(oldName));
      expect(update.event.ResourceProperties).toMatchObject({ ...k.streamProperties(newName), [k.keyProperty]: key });
      expect(cleanup.event.ResourceProperties).toMatchObject(k.streamProperties(oldName));
      expect(update.status).toBe('SUCCESS');
      expect(cleanup.status).toBe('SUCCESS');
      expect(k.now(h.cloud, newName)).toMatchObject(k.encryptedWith(key));
      expect(k.now(h.cloud, oldName)).toMatchObject(k.unencrypted);
      expect(k.calls(h.cloud, newName)).toMatchObject({ start: 1, stopCalls: 0 });
      expect(k.calls(h.cloud, oldName)).toMatchObject({ start: 1, stop: 1 });
      // the same logical id on both streams: the old stream's tag named this resource, so its Delete stopped it, then removed the tag
      expect(k.tags(h.cloud, newName)).toEqual({ [OWNER_TAG_KEY]: claimedBy(ownerTagValue(stack.stackId, update.logicalId)) });
      expect(k.tags(h.cloud, oldName)).toEqual({});
      expect(stack.physicalId(id)).toBe(`${k.kind}:${newName}#prior=none`);
      expectAnsweredInTime(update);
      expectAnsweredInTime(cleanup);
      expect([k.now(h.cloud, newName), k.now(h.cloud, oldName), h.cloud.control.key(key)?.KeyState]).toMatchObject([k.encryptedWith(key), k.unencrypted, 'Enabled']);
    }, 60_000);
  });
});
