/**
 * Data safety on the paths real AWS and CloudFormation take (issue 11), against the local cloud
 * that enforces IAM (the handler runs as its role, its policies applied at their place in the
 * operation order), runs CloudFormation's phases in their real order, and keeps records encrypted
 * under the key in force when they were written.
 *
 * The scenarios of the items each name their item: each failed before the fixes and passes
 * after them, and each ends with the state of the stream, the key and the records.
 */
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { encryptionNow } from './firehose-harness';
import { FAST, Harness, keptKey, synthStack, bothKindsOptions, putRecord, useHarness } from './harness';
import { FIREHOSE, KINESIS } from './kinds';
import { ownerTagValue } from '../../lambda/core/ownership';
import { OWNER_TAG_KEY, ownerIdentity } from '../../src/private/contract';
import { loadStackTemplate, LocalCloudStack, StackOperationResult, StackTemplate } from '../../tools/local-cloud/cfn';

let h: Harness;
useHarness(bothKindsOptions(300), (started) => (h = started));

/** The logical id of the template's only resource of `type` whose id starts with `prefix`. */
function idOf(stack: LocalCloudStack, type: string, prefix = ''): string {
  const ids = Object.entries(stack.template.template.Resources).filter(([id, r]) => r.Type === type && id.startsWith(prefix)).map(([id]) => id);
  expect(ids).toHaveLength(1);
  return ids[0];
}

/** `action logicalId-prefix outcome @stackStatus` of every event of a resource type. */
function eventsOf(result: StackOperationResult, type: string): string[] {
  return result.events.filter((e) => e.resourceType === type).map((e) => `${e.action} ${e.logicalId.replace(/[0-9A-F]{8}$/, '')} ${e.outcome} @${e.stackStatus}`);
}

/** Where in the operation's events the first event of `logicalId` with `action` is. */
function indexOf(result: StackOperationResult, logicalId: string, action: string): number {
  const i = result.events.findIndex((e) => e.logicalId === logicalId && e.action === action);
  expect(i).toBeGreaterThanOrEqual(0);
  return i;
}

describe('under IAM enforcement and in CloudFormation\'s order', () => {
  test('deploy, rotate and destroy with the handler\'s own role: every call authorized; records stay readable when the old key is retained', async () => {
    const v1 = synthStack('SafeRotate', (s) => FIREHOSE.encrypt(s, 'Sse', 'safe-rotate', { key: keptKey(s, 'KeyA') }));
    const v2 = synthStack('SafeRotate', (s) => FIREHOSE.encrypt(s, 'Sse', 'safe-rotate', { key: keptKey(s, 'KeyB') }));
    h.cloud.control.createStream({ name: 'safe-rotate' });
    const stack = h.cfn.stack(v1);

    const deployed = await stack.deploy({ properties: FAST });
    expect(deployed.status).toBe('CREATE_COMPLETE');
    expect(deployed.phases).toEqual(['CREATE_IN_PROGRESS', 'CREATE_COMPLETE']);
    // the log policy comes before the function, the function and the stream policy before the custom resource
    const [custom] = stack.customResourceIds();
    const logs = idOf(stack, 'AWS::IAM::ManagedPolicy', 'CdkStreamEncryptionProviderLogsPolicy');
    const policy = idOf(stack, 'AWS::IAM::ManagedPolicy', 'CdkStreamEncryptionProviderPolicy');
    const fn = idOf(stack, 'AWS::Lambda::Function');
    expect(indexOf(deployed, logs, 'create')).toBeLessThan(indexOf(deployed, fn, 'create'));
    expect(indexOf(deployed, fn, 'create')).toBeLessThan(indexOf(deployed, custom, 'create'));
    expect(indexOf(deployed, policy, 'create')).toBeLessThan(indexOf(deployed, custom, 'create'));
    const role = h.cloud.control.iamRoles().find((r) => r.roleArn.includes('SafeRotate'));
    expect([...(role?.policies ?? [])].sort()).toEqual([logs, policy].sort());
    // the handler's calls were made as that role, and none was denied
    expect(h.cloud.control.callLog().filter((c) => c.errorName === 'AccessDeniedException')).toEqual([]);
    await putRecord(h, 'firehose', 'safe-rotate', 'under key A');

    const rotated = await stack.update(v2, { properties: FAST });
    expect(rotated.status).toBe('UPDATE_COMPLETE');
    expect(rotated.phases).toEqual(['UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', 'UPDATE_COMPLETE']);
    expect(eventsOf(rotated, 'AWS::KMS::Key')).toEqual(['create KeyB COMPLETE @UPDATE_IN_PROGRESS', 'retain KeyA COMPLETE @UPDATE_COMPLETE_CLEANUP_IN_PROGRESS']);
    await putRecord(h, 'firehose', 'safe-rotate', 'under key B');

    const destroyed = await stack.destroy();
    expect(destroyed.status).toBe('DELETE_COMPLETE');
    expect(encryptionNow(h.cloud, 'safe-rotate')).toMatchObject({ status: 'DISABLED' });
    expect(h.cloud.control.key(stack.keyArn(idOf(stack, 'AWS::KMS::Key', 'KeyB')))?.KeyState).toBe('Enabled');
    expect(h.cloud.control.deliverRecords('safe-rotate')).toEqual({ delivered: 2, unreadable: [] });
  }, 60_000);

  // firehose:DescribeDeliveryStream is authorized on the delivery stream's ARN (Service Authorization
  // Reference, "Actions, resources, and condition keys for Amazon Kinesis Firehose",
  // https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonkinesisfirehose.html);
  // without an allowing statement the request is implicitly denied (IAM User Guide, "Policy evaluation
  // logic", https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html).
  test('the IAM model can deny: the same template without the handler\'s stream statement fails with ACCESS_DENIED', async () => {
    const dir = synthStack('DenyStack', (s) => FIREHOSE.encrypt(s, 'Sse', 'deny-me', { key: keptKey(s, 'Key') }));
    h.cloud.control.createStream({ name: 'deny-me' });
    const full = loadStackTemplate(dir);
    type PolicyResource = { Type: string; Properties: { PolicyDocument: { Statement: Array<{ Action: string | string[] }> } } };
    const stripped = JSON.parse(JSON.stringify(full)) as StackTemplate & { template: { Resources: Record<string, PolicyResource> } };
    let strippedPolicies = 0;
    for (const r of Object.values(stripped.template.Resources)) {
      if (r.Type !== 'AWS::IAM::ManagedPolicy') continue;
      const statements = r.Properties.PolicyDocument.Statement;
      r.Properties.PolicyDocument.Statement = statements.filter((st) => ![st.Action].flat().includes('firehose:DescribeDeliveryStream'));
      if (r.Properties.PolicyDocument.Statement.length === statements.length) continue; // the log policy
      expect(r.Properties.PolicyDocument.Statement).toHaveLength(statements.length - 1);
      strippedPolicies++;
    }
    expect(strippedPolicies).toBe(1);

    const withIt = h.cfn.stack(full);
    expect((await withIt.deploy({ properties: FAST })).status).toBe('CREATE_COMPLETE');
    expect((await withIt.destroy()).status).toBe('DELETE_COMPLETE');

    const without = h.cfn.stack({ ...stripped, stackName: 'DenyStackStripped' });
    // a denial is retried while IAM may still be propagating, never past the resource's timeout
    const denied = await without.deploy({ properties: { ...FAST, TimeoutSeconds: '5' } });

    expect(denied.status).toBe('ROLLBACK_COMPLETE');
    expect(denied.steps[0]).toMatchObject({ requestType: 'Create', status: 'FAILED' });
    expect(denied.steps[0].reasonId).toMatch(/ACCESS_DENIED/);
    // the handler reads the stream and its owner tag together: either read names the stripped statement's action
    expect(denied.steps[0].reason).toMatch(/not authorized to perform: firehose:(DescribeDeliveryStream|ListTagsForDeliveryStream) on resource: arn:aws:firehose:us-east-1:123456789012:deliverystream\/deny-me /);
    expect(denied.steps[0].reason).toContain('retried for up to 60 s while IAM propagates a new policy');
    expect(encryptionNow(h.cloud, 'deny-me')).toMatchObject({ status: 'DISABLED' });
  }, 60_000);

  test('phase order of an update that removes a construct (RETAIN): the new policy comes in the update phase, the removed resource and then the old policy go in the clean-up', async () => {
    const both = (s: Stack, withSecond: boolean) => {
      const key = keptKey(s, 'Key');
      FIREHOSE.encrypt(s, 'First', 'phase-first', { key });
      if (withSecond) FIREHOSE.encrypt(s, 'Second', 'phase-second', { key, removalPolicy: RemovalPolicy.RETAIN });
    };
    h.cloud.control.createStream({ name: 'phase-first' });
    h.cloud.control.createStream({ name: 'phase-second' });
    const stack = h.cfn.stack(synthStack('PhaseStack', (s) => both(s, true)));
    expect((await stack.deploy({ properties: FAST })).status).toBe('CREATE_COMPLETE');
    const second = stack.customResourceIds().find((id) => id.startsWith('Second'))!;
    const oldPolicy = idOf(stack, 'AWS::IAM::ManagedPolicy', 'CdkStreamEncryptionProviderPolicy');

    const updated = await stack.update(synthStack('PhaseStack', (s) => both(s, false)), { properties: FAST });

    expect(updated.status).toBe('UPDATE_COMPLETE');
    expect(updated.phases).toEqual(['UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', 'UPDATE_COMPLETE']);
    // the policy's content changed, so it is a new policy (a new logical id); the old one is never narrowed
    const newPolicy = idOf(stack, 'AWS::IAM::ManagedPolicy', 'CdkStreamEncryptionProviderPolicy');
    expect(newPolicy).not.toBe(oldPolicy);
    expect(updated.events.find((e) => e.logicalId === oldPolicy && e.action === 'update')).toBeUndefined();
    const policyCreate = updated.events.find((e) => e.logicalId === newPolicy && e.action === 'create');
    expect(policyCreate?.stackStatus).toBe('UPDATE_IN_PROGRESS');
    const removed = updated.events.find((e) => e.logicalId === second);
    expect(removed?.stackStatus).toBe('UPDATE_COMPLETE_CLEANUP_IN_PROGRESS');
    const policyDelete = updated.events.find((e) => e.logicalId === oldPolicy && e.action === 'delete');
    expect(policyDelete?.stackStatus).toBe('UPDATE_COMPLETE_CLEANUP_IN_PROGRESS');
    expect(updated.events.indexOf(policyCreate!)).toBeLessThan(updated.events.indexOf(removed!));
    expect(updated.events.indexOf(removed!)).toBeLessThan(updated.events.indexOf(policyDelete!));
    expect(updated.orphaned).toEqual([]);
    expect(FIREHOSE.now(h.cloud, 'phase-second')).toMatchObject({ status: 'ENABLED' }); // RETAIN: left encrypted
    expect(FIREHOSE.now(h.cloud, 'phase-first')).toMatchObject({ status: 'ENABLED' });
  }, 60_000);
});

describe('issue 11: the items on the paths real AWS and CloudFormation take', () => {
  // Item 1: a key the construct creates has DeletionPolicy Delete, so rotating to another key schedules
  // the old one for deletion while the data stream still holds records encrypted under it.
  /** A data stream encrypted by a construct with the key it creates, and a record written under that key. */
  async function dataStreamWithCreatedKey(stackName: string, name: string): Promise<{ stack: LocalCloudStack; created: string }> {
    h.cloud.control.createDataStream({ name });
    const stack = h.cfn.stack(synthStack(stackName, (s) => KINESIS.encrypt(s, 'Sse', name)));
    expect((await stack.deploy({ properties: FAST })).status).toBe('CREATE_COMPLETE');
    await putRecord(h, 'kinesis', name, 'under the created key');
    return { stack, created: stack.keyArn(idOf(stack, 'AWS::KMS::Key', 'Sse')) };
  }

  test('item 1 (Kinesis, rotation): records written under the created key stay readable after rotating to another key', async () => {
    const name = 'k-item1-rotate';
    const { stack, created } = await dataStreamWithCreatedKey('Item1Rotate', name);

    const rotated = await stack.update(synthStack('Item1Rotate', (s) => KINESIS.encrypt(s, 'Sse', name, { key: keptKey(s, 'NewKey') })), { properties: FAST });

    expect(rotated.status).toBe('UPDATE_COMPLETE');
    expect(h.cloud.control.key(created)?.KeyState).toBe('Enabled');
    expect(h.cloud.control.unreadableDataRecords(name)).toEqual([]);
  }, 60_000);

  test('item 1 (Kinesis, removal): records written under the created key stay readable after the construct is removed', async () => {
    const name = 'k-item1-remove';
    const { stack, created } = await dataStreamWithCreatedKey('Item1Remove', name);

    expect((await stack.destroy()).status).toBe('DELETE_COMPLETE');

    expect(KINESIS.now(h.cloud, name)).toMatchObject(KINESIS.unencrypted);
    expect(h.cloud.control.key(created)?.KeyState).toBe('Enabled');
    expect(h.cloud.control.unreadableDataRecords(name)).toEqual([]);
  }, 60_000);

  test('item 1 (Firehose, rotation): buffered records under the created key can still be delivered after rotating', async () => {
    const name = 'item1-firehose';
    h.cloud.control.createStream({ name });
    const stack = h.cfn.stack(synthStack('Item1Firehose', (s) => FIREHOSE.encrypt(s, 'Sse', name)));
    expect((await stack.deploy({ properties: FAST })).status).toBe('CREATE_COMPLETE');
    const created = stack.keyArn(idOf(stack, 'AWS::KMS::Key', 'Sse'));
    await putRecord(h, 'firehose', name, 'buffered under the created key');

    expect((await stack.update(synthStack('Item1Firehose', (s) => FIREHOSE.encrypt(s, 'Sse', name, { key: keptKey(s, 'NewKey') })), { properties: FAST })).status).toBe('UPDATE_COMPLETE');

    expect(h.cloud.control.key(created)?.KeyState).toBe('Enabled');
    expect(h.cloud.control.deliverRecords(name)).toEqual({ delivered: 1, unreadable: [] });
  }, 60_000);

  // Item 2: the shared managed policy is narrowed in the update phase; the removed construct's clean-up
  // Delete then runs without permission on its stream, answers FAILED, and the stream stays encrypted.
  test('item 2 (removed construct): the clean-up Delete keeps its permissions and turns the removed stream\'s encryption off', async () => {
    const both = (s: Stack, withSecond: boolean) => {
      const key = keptKey(s, 'Key');
      FIREHOSE.encrypt(s, 'First', 'item2-first', { key });
      if (withSecond) FIREHOSE.encrypt(s, 'Second', 'item2-second', { key });
    };
    h.cloud.control.createStream({ name: 'item2-first' });
    h.cloud.control.createStream({ name: 'item2-second' });
    const stack = h.cfn.stack(synthStack('Item2Stack', (s) => both(s, true)));
    expect((await stack.deploy({ properties: FAST })).status).toBe('CREATE_COMPLETE');
    const key = stack.keyArn(idOf(stack, 'AWS::KMS::Key', 'Key'));

    const updated = await stack.update(synthStack('Item2Stack', (s) => both(s, false)), { properties: FAST });

    expect(updated.status).toBe('UPDATE_COMPLETE');
    const cleanup = updated.steps.find((st) => st.requestType === 'Delete');
    expect(cleanup).toMatchObject({ status: 'SUCCESS' });
    expect(updated.orphaned).toEqual([]);
    expect(FIREHOSE.now(h.cloud, 'item2-second')).toMatchObject(FIREHOSE.unencrypted);
    expect(FIREHOSE.now(h.cloud, 'item2-first')).toMatchObject(FIREHOSE.encryptedWith(key));
    expect(h.cloud.control.key(key)?.KeyState).toBe('Enabled');
  }, 60_000);

  // Item 3: a stream already encrypted with another key; the construct's key change ends ENABLING_FAILED
  // (Firehose keeps the old key), and the rollback Delete, finding no owner tag, calls Stop.
  test('item 3: a failed Create\'s rollback leaves the stream encrypted with the key it had before', async () => {
    const name = 'item3-prior';
    const prior = h.cloud.control.registerKey({ arn: 'arn:aws:kms:us-east-1:123456789012:key/1703e3e3-0000-4000-8000-000000000003' }).Arn;
    FIREHOSE.createEncryptedStream(h.cloud, name, prior);
    h.cloud.control.failNextStart(name, { Type: 'KMS_ACCESS_DENIED', Details: 'Firehose could not use the new key.' });
    const stack = h.cfn.stack(synthStack('Item3Stack', (s) => FIREHOSE.encrypt(s, 'Sse', name, { key: keptKey(s, 'Key') })));

    const deployed = await stack.deploy({ properties: FAST });

    expect(deployed.status).toBe('ROLLBACK_COMPLETE');
    // Firehose kept the key it had (ENABLING_FAILED), so the rollback Delete leaves the stream as it is
    expect(FIREHOSE.now(h.cloud, name)).toMatchObject({ status: 'ENABLING_FAILED', keyArn: prior, applied: { keyArn: prior } });
    expect(h.cloud.control.key(prior)?.KeyState).toBe('Enabled');
  }, 60_000);

  // Item 4: a renamed construct's Create takes the owner tag; a sibling fails, and the rollback's clean-up
  // Delete of the new resource stops the stream the old resource still manages.
  test('item 4: rename + a failing sibling: after the rollback the stream is encrypted and owned by the old resource', async () => {
    h.cloud.control.createStream({ name: 'item4-stream' });
    h.cloud.control.createStream({ name: 'item4-sibling' });
    const v1 = synthStack('Item4Stack', (s) => FIREHOSE.encrypt(s, 'OldName', 'item4-stream', { key: keptKey(s, 'Key') }));
    const v2 = synthStack('Item4Stack', (s) => {
      const key = keptKey(s, 'Key');
      FIREHOSE.encrypt(s, 'NewName', 'item4-stream', { key });
      FIREHOSE.encrypt(s, 'Sibling', 'item4-sibling', { key });
    });
    const stack = h.cfn.stack(v1);
    expect((await stack.deploy({ properties: FAST })).status).toBe('CREATE_COMPLETE');
    const [oldId] = stack.customResourceIds();
    const key = stack.keyArn(idOf(stack, 'AWS::KMS::Key', 'Key'));
    h.cloud.control.failNextStart('item4-sibling', { Type: 'KMS_ACCESS_DENIED', Details: 'Firehose could not use the key.' });

    const updated = await stack.update(v2, { properties: FAST });

    expect(updated.status).toBe('UPDATE_ROLLBACK_COMPLETE');
    expect(updated.phases).toEqual(['UPDATE_IN_PROGRESS', 'UPDATE_ROLLBACK_IN_PROGRESS', 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS', 'UPDATE_ROLLBACK_COMPLETE']);
    expect(FIREHOSE.now(h.cloud, 'item4-stream')).toMatchObject(FIREHOSE.encryptedWith(key));
    // the new resource's rollback Delete hands the tag back to the old one (named by its identity)
    expect(FIREHOSE.tags(h.cloud, 'item4-stream')).toEqual({ [OWNER_TAG_KEY]: `${ownerIdentity(ownerTagValue(stack.stackId, oldId))} prior=none` });
  }, 60_000);

  // Item 5: an Update to another stream that fails after its Start leaves the other stream encrypted and
  // untagged (CloudFormation keeps the old physical id and sends no Delete for it).
  test('item 5: a failed Update to another stream puts that stream back as it was', async () => {
    h.cloud.control.createStream({ name: 'item5-old' });
    h.cloud.control.createStream({ name: 'item5-new' });
    const v1 = synthStack('Item5Stack', (s) => FIREHOSE.encrypt(s, 'Sse', 'item5-old', { key: keptKey(s, 'Key') }));
    const v2 = synthStack('Item5Stack', (s) => FIREHOSE.encrypt(s, 'Sse', 'item5-new', { key: keptKey(s, 'Key') }));
    const stack = h.cfn.stack(v1);
    expect((await stack.deploy({ properties: FAST })).status).toBe('CREATE_COMPLETE');
    const key = stack.keyArn(idOf(stack, 'AWS::KMS::Key', 'Key'));
    // the Start on the new stream is accepted but takes longer than the resource's timeout
    h.cloud.control.setStreamDelays('item5-new', { enablingMs: 7_000 });

    const updated = await stack.update(v2, { properties: { ...FAST, TimeoutSeconds: '5' } });
    await new Promise((resolve) => setTimeout(resolve, 2_500));

    expect(updated.status).toBe('UPDATE_ROLLBACK_COMPLETE');
    expect(FIREHOSE.now(h.cloud, 'item5-old')).toMatchObject(FIREHOSE.encryptedWith(key));
    expect(FIREHOSE.now(h.cloud, 'item5-new')).toMatchObject(FIREHOSE.unencrypted);
    expect(FIREHOSE.tags(h.cloud, 'item5-new')).toEqual({});
  }, 60_000);
});
