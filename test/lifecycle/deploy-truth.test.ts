/**
 * Every answer is true of the stream when it is sent, and no path leaves a stream less encrypted
 * than it was found: the paths that real CloudFormation, Lambda and AWS take beyond the happy one.
 *
 * - A request delivered more than once. CloudFormation invokes the provider asynchronously (AWS
 *   Lambda Developer Guide, "Using AWS Lambda with AWS CloudFormation"), and an asynchronous
 *   invocation may receive the same event more than once even when the function succeeds ("How
 *   Lambda handles errors and retries with asynchronous invocation"). The local CloudFormation
 *   delivers the copies and keeps the answer written last (`redeliverAfterMs`).
 * - An Update that changes nothing the stream sees, after someone turned the encryption off.
 * - Tag calls denied by an organization's service control policy (AWS Organizations User Guide,
 *   "Service control policies (SCPs)": an explicit deny in an SCP applies to every principal of
 *   the account, whatever its own policies allow).
 *
 * Each scenario ends with the stream's encryption, its key and its records, and the calls counted.
 */
import { StopDeliveryStreamEncryptionCommand } from '@aws-sdk/client-firehose';
import { StopStreamEncryptionCommand } from '@aws-sdk/client-kinesis';
import { encryptionNow } from './firehose-harness';
import { expectAnsweredInTime, expectCleanLog, FAST, Harness, keptKey, synthStack, bothKindsOptions, putRecord, useHarness, waitFor } from './harness';
import { FIREHOSE, STREAM_KINDS, StreamKindAdapter } from './kinds';
import { OWNER_TAG_KEY, parseOwnerTag } from '../../src/private/contract';
import { StepResult } from '../../tools/local-cloud/cfn';

/** How long Start (and Stop) take to complete in this cloud. */
const CHANGE_MS = 1_500;

let h: Harness;
useHarness(bothKindsOptions(CHANGE_MS), (started) => (h = started));

/** The records put to the stream that can no longer be read. */
function unreadable(k: StreamKindAdapter, name: string): unknown[] {
  return k.kind === 'firehose' ? h.cloud.control.unreadableRecords(name) : h.cloud.control.unreadableDataRecords(name);
}

/** Turns the stream's encryption off out of band (someone at the console), and waits until it is off. */
async function turnOff(k: StreamKindAdapter, name: string, key: string): Promise<void> {
  await (k.kind === 'firehose'
    ? h.firehose.send(new StopDeliveryStreamEncryptionCommand({ DeliveryStreamName: name }))
    : h.kinesis.send(new StopStreamEncryptionCommand({ StreamName: name, EncryptionType: 'KMS', KeyId: key })));
  await waitFor(() => JSON.stringify(k.now(h.cloud, name)).includes(k.kind === 'firehose' ? '"DISABLED"' : '"NONE"'), 20_000, `${name} unencrypted`);
}

/** Every answer each copy of a request wrote to its response URL: status and physical id. */
function answers(step: StepResult): Array<{ Status: unknown; PhysicalResourceId: unknown }> {
  return step.puts.map((put) => {
    const body = JSON.parse(put.body) as Record<string, unknown>;
    return { Status: body.Status, PhysicalResourceId: body.PhysicalResourceId };
  });
}

/** The deny statement of an organization's SCP that forbids tagging streams. */
const DENY_STREAM_TAGGING = {
  Version: '2012-10-17',
  Statement: [{
    Sid: 'DenyStreamTagging',
    Effect: 'Deny',
    Action: ['firehose:TagDeliveryStream', 'firehose:UntagDeliveryStream', 'kinesis:AddTagsToStream', 'kinesis:RemoveTagsFromStream'],
    Resource: '*',
  }],
};

describe.each(STREAM_KINDS)('$kind', (k) => {
  test.concurrent('a Create delivered twice, the copy arriving while the first is changing the stream: every answer records the stream as found, one Start in all; the Delete leaves it unencrypted as found', async () => {
    const name = k.name('twice-while-changing');
    k.createStream(h.cloud, name);
    await putRecord(h, k.kind, name, 'before');
    const stack = h.cfn.stack(synthStack(`Twice${k.kind}`, (s) => k.encrypt(s, 'Sse', name, { key: keptKey(s, 'Key') })));
    const { key } = k.resourceFor(stack, name);

    const deployed = await stack.deploy({ properties: FAST, redeliverAfterMs: (_id, type) => (type === 'Create' ? [CHANGE_MS / 3] : undefined) });

    expect(deployed.status).toBe('CREATE_COMPLETE');
    const [create] = deployed.steps;
    expect(create.deliveries).toBe(2);
    expect(create.puts.length).toBeGreaterThanOrEqual(2);
    // whichever copy answers last, CloudFormation keeps the stream as found before this resource took it
    for (const answer of answers(create)) {
      expect(answer).toEqual({ Status: 'SUCCESS', PhysicalResourceId: `${k.kind}:${name}#prior=none` });
    }
    expect(k.calls(h.cloud, name)).toMatchObject({ start: 1, startCalls: 1, stopCalls: 0 });
    expect(k.now(h.cloud, name)).toMatchObject(k.encryptedWith(key));
    expect(parseOwnerTag(k.tags(h.cloud, name)?.[OWNER_TAG_KEY])).toMatchObject({ prior: 'none' });
    // each copy wrote a claim tag of its own with its claim (the role's tag statement allows it), and
    // removed it once done: only the owner tag is left
    expect(Object.keys(k.tags(h.cloud, name) ?? {})).toEqual([OWNER_TAG_KEY]);
    expectAnsweredInTime(create);
    expectCleanLog(create);
    await putRecord(h, k.kind, name, 'encrypted');

    const destroyed = await stack.destroy();
    expect(destroyed.status).toBe('DELETE_COMPLETE');
    expect(k.now(h.cloud, name)).toMatchObject(k.unencrypted);
    expect(k.calls(h.cloud, name)).toMatchObject({ start: 1, stop: 1 });
    expect(k.tags(h.cloud, name)?.[OWNER_TAG_KEY]).toBeUndefined();
    expect(h.cloud.control.key(key!)?.KeyState).toBe('Enabled');
    expect(unreadable(k, name)).toEqual([]);
  }, 60_000);

  test.concurrent('a Create delivered three times, the last copy after the first answered: every answer records the stream as found, one Start in all', async () => {
    const name = k.name('thrice');
    k.createStream(h.cloud, name);
    const stack = h.cfn.stack(synthStack(`Thrice${k.kind}`, (s) => k.encrypt(s, 'Sse', name, { key: keptKey(s, 'Key') })));
    const { key } = k.resourceFor(stack, name);

    const deployed = await stack.deploy({ properties: FAST, redeliverAfterMs: (_id, type) => (type === 'Create' ? [CHANGE_MS / 2, CHANGE_MS * 3] : undefined) });

    expect(deployed.status).toBe('CREATE_COMPLETE');
    const [create] = deployed.steps;
    expect(create.deliveries).toBe(3);
    expect(answers(create)).toHaveLength(3);
    for (const answer of answers(create)) {
      expect(answer).toEqual({ Status: 'SUCCESS', PhysicalResourceId: `${k.kind}:${name}#prior=none` });
    }
    expect(create.physicalResourceId).toBe(`${k.kind}:${name}#prior=none`);
    expect(k.calls(h.cloud, name)).toMatchObject({ start: 1, startCalls: 1 });
    expect(k.now(h.cloud, name)).toMatchObject(k.encryptedWith(key));

    expect((await stack.destroy()).status).toBe('DELETE_COMPLETE');
    expect(k.now(h.cloud, name)).toMatchObject(k.unencrypted);
    expect(k.calls(h.cloud, name)).toMatchObject({ start: 1, stop: 1 });
  }, 60_000);

  test.concurrent('an Update that changes nothing the stream sees, after someone turned the encryption off: encrypted again before SUCCESS, one Start; nothing drifted: one Describe, no Start, no Stop, no tag call', async () => {
    const name = k.name('drifted');
    k.createStream(h.cloud, name);
    const stack = h.cfn.stack(synthStack(`Drifted${k.kind}`, (s) => k.encrypt(s, 'Sse', name, { key: keptKey(s, 'Key') })));
    const { handle, key } = k.resourceFor(stack, name);
    expect((await stack.deploy({ properties: FAST })).status).toBe('CREATE_COMPLETE');

    // nothing drifted: the stream is read once, and nothing else is called
    const before = k.calls(h.cloud, name);
    const same = await handle.update({ properties: { SettleSeconds: '1' } });
    expect(same).toMatchObject({ status: 'SUCCESS', physicalResourceId: `${k.kind}:${name}#prior=none` });
    const after = k.calls(h.cloud, name);
    const spent = (field: keyof typeof after): number => after[field] - before[field];
    expect({ start: spent('startCalls'), stop: spent('stopCalls'), describe: spent('describe'), all: spent('all') })
      .toEqual({ start: 0, stop: 0, describe: 1, all: 1 });

    await turnOff(k, name, key!);
    await putRecord(h, k.kind, name, 'while off');
    const repaired = await handle.update({ properties: { SettleSeconds: '0' } });

    expect(repaired).toMatchObject({ status: 'SUCCESS', physicalResourceId: `${k.kind}:${name}#prior=none` });
    // the answer was true when it was sent
    expect(JSON.stringify(repaired.observedAtAnswer)).toContain(key);
    expect(k.now(h.cloud, name)).toMatchObject(k.encryptedWith(key));
    expect(k.calls(h.cloud, name)).toMatchObject({ start: 2, startCalls: 2 });
    expectAnsweredInTime(repaired);

    expect((await stack.destroy()).status).toBe('DELETE_COMPLETE');
    expect(k.now(h.cloud, name)).toMatchObject(k.unencrypted);
    expect(unreadable(k, name)).toEqual([]);
  }, 60_000);
});

describe('tag calls denied by the organization', () => {
  afterEach(() => h.cloud.control.setServiceControlPolicies([]));

  test('Create on a stream encrypted with the AWS owned key, its owner tag unreadable: the Create records the key as found, and the stack\'s Delete puts it back', async () => {
    const name = 'scp-owned';
    h.cloud.control.createStream({ name, encryption: { status: 'ENABLED', keyType: 'AWS_OWNED_CMK' } });
    h.cloud.control.setServiceControlPolicies([{
      Version: '2012-10-17',
      Statement: [{ Sid: 'DenyTagReads', Effect: 'Deny', Action: ['firehose:ListTagsForDeliveryStream', 'firehose:TagDeliveryStream', 'firehose:UntagDeliveryStream'], Resource: '*' }],
    }]);
    const stack = h.cfn.stack(synthStack('ScpOwned', (s) => FIREHOSE.encrypt(s, 'Sse', name, { key: keptKey(s, 'Key') })));
    const { key } = FIREHOSE.resourceFor(stack, name);

    const deployed = await stack.deploy({ properties: FAST });
    expect(deployed.status).toBe('CREATE_COMPLETE');
    expect(deployed.steps[0].physicalResourceId).toBe(`firehose:${name}#prior=AWS_OWNED_CMK`);
    expect(encryptionNow(h.cloud, name)).toMatchObject({ status: 'ENABLED', keyArn: key });
    expect(h.cloud.control.callLog().filter((c) => c.operation === 'firehose:ListTagsForDeliveryStream' && c.resource === name && c.errorName === 'AccessDeniedException').length).toBeGreaterThan(0);
    await putRecord(h, FIREHOSE.kind, name, 'under our key');

    const destroyed = await stack.destroy();
    expect(destroyed.status).toBe('DELETE_COMPLETE');
    expect(encryptionNow(h.cloud, name)).toMatchObject({ status: 'ENABLED', keyType: 'AWS_OWNED_CMK' });
    expect(FIREHOSE.calls(h.cloud, name)).toMatchObject({ start: 2, stopCalls: 0 });
    expect(h.cloud.control.deliverRecords(name)).toEqual({ delivered: 1, unreadable: [] });
  }, 60_000);

  test.each(STREAM_KINDS)('$kind: a Create delivered twice with tagging denied: every answer leaves the stream at least as encrypted as found, and the Delete never turns off what it did not turn on', async (k) => {
    const name = k.name('scp-twice');
    k.createStream(h.cloud, name);
    h.cloud.control.setServiceControlPolicies([DENY_STREAM_TAGGING]);
    const stack = h.cfn.stack(synthStack(`ScpTwice${k.kind}`, (s) => k.encrypt(s, 'Sse', name, { key: keptKey(s, 'Key') })));
    const { key } = k.resourceFor(stack, name);

    const deployed = await stack.deploy({ properties: FAST, redeliverAfterMs: (_id, type) => (type === 'Create' ? [CHANGE_MS / 3] : undefined) });

    expect(deployed.status).toBe('CREATE_COMPLETE');
    const ids = answers(deployed.steps[0]).map((a) => a.PhysicalResourceId);
    // the first copy read the stream before its Start; the copy that came during the change cannot know
    expect(ids.sort()).toEqual([`${k.kind}:${name}#prior=none`, `${k.kind}:${name}#prior=unknown`].sort());
    expect(k.calls(h.cloud, name)).toMatchObject({ start: 1, startCalls: 1 });
    expect(k.now(h.cloud, name)).toMatchObject(k.encryptedWith(key));
    expect(k.tags(h.cloud, name)?.[OWNER_TAG_KEY]).toBeUndefined();

    const kept = deployed.steps[0].physicalResourceId;
    const destroyed = await stack.destroy();
    expect(destroyed.status).toBe('DELETE_COMPLETE');
    // prior none: turned off, as found; prior unknown: left on, never less encrypted than found
    expect(k.now(h.cloud, name)).toMatchObject(kept?.endsWith('#prior=none') ? k.unencrypted : k.encryptedWith(key));
    expect(k.calls(h.cloud, name)).toMatchObject({ start: 1, stop: kept?.endsWith('#prior=none') ? 1 : 0 });
    expect(unreadable(k, name)).toEqual([]);
  }, 60_000);
});
