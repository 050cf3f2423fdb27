/**
 * IAM propagation seen through Start, against the local cloud that enforces IAM: the service
 * creates its grant (Firehose, `kms:CreateGrant`) or its data key (Kinesis, `kms:GenerateDataKey`)
 * on the key with the caller's permissions, and that KMS check may see the handler's new policy
 * later than the checks of the handler's own calls (IAM is eventually consistent: a change "takes
 * time to become visible from all possible endpoints", IAM User Guide,
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_general.html#troubleshoot_general_eventual-consistency).
 *
 * Firehose answers that Start with `InvalidKMSResourceException`, whose `code` names the KMS error
 * it wraps (`KMS.AccessDeniedException`; Firehose API reference, StartDeliveryStreamEncryption,
 * https://docs.aws.amazon.com/firehose/latest/APIReference/API_StartDeliveryStreamEncryption.html);
 * Kinesis with `KMSAccessDeniedException` (Kinesis API reference, StartStreamEncryption,
 * https://docs.aws.amazon.com/kinesis/latest/APIReference/API_StartStreamEncryption.html). Each
 * scenario ends with the stream's encryption, the key and the records, and counts the calls.
 */
import { encryptionNow } from './firehose-harness';
import { expectCleanLog, FAST, Harness, keptKey, logLines, SCHEDULING_SLACK_MS, synthStack, bothKindsOptions, putRecord, useHarness } from './harness';
import { FIREHOSE, KINESIS } from './kinds';
import type { CallRecord } from '../../tools/local-cloud';
import type { StackOperationResult } from '../../tools/local-cloud/cfn';

let h: Harness;
useHarness(bothKindsOptions(300), (started) => (h = started));

/** How long the KMS check of Start sees the old policies (none) after the deploy attached the new one. */
const LAG_MS = 3_000;

/** Deploys `stack` while the checks of `action` see a policy change `lagMs` after the others do. */
async function deployWithLag(stack: ReturnType<Harness['cfn']['stack']>, action: string, lagMs: number, properties: Record<string, string>): Promise<StackOperationResult> {
  h.cloud.control.setIamPropagation(lagMs, action);
  try {
    return await stack.deploy({ properties });
  } finally {
    h.cloud.control.setIamPropagation(0, action);
  }
}

/** The calls of `operation` (canonical id) on `resource`, oldest first. */
function callsOf(operation: string, resource: string): CallRecord[] {
  return h.cloud.control.callLog().filter((c) => c.operation === operation && c.resource === resource);
}

test('Firehose: kms:CreateGrant sees the new policy after the rest; the refused Start (InvalidKMSResourceException, KMS.AccessDeniedException) is retried within the IAM propagation window: one accepted Start, ENABLED, records under the key', async () => {
  const name = 'grant-propagating';
  h.cloud.control.createStream({ name });
  const stack = h.cfn.stack(synthStack('GrantPropagating', (s) => FIREHOSE.encrypt(s, 'Sse', name, { key: keptKey(s, 'Key') })));
  const key = FIREHOSE.resourceFor(stack, name).key!;

  const deployed = await deployWithLag(stack, 'kms:CreateGrant', LAG_MS, FAST);

  expect(deployed.status).toBe('CREATE_COMPLETE');
  const [step] = deployed.steps;
  expect(step).toMatchObject({ requestType: 'Create', status: 'SUCCESS', physicalResourceId: `firehose:${name}#prior=none` });
  // the handler's own calls saw the policy at once; only the grant Firehose makes with its permissions was refused
  expect(h.cloud.control.callLog().filter((c) => c.errorName === 'AccessDeniedException')).toEqual([]);
  const starts = callsOf('firehose:StartDeliveryStreamEncryption', name);
  expect(starts.length).toBeGreaterThan(1);
  expect(starts.map((c) => c.errorName)).toEqual([...starts.slice(1).map(() => 'InvalidKMSResourceException'), undefined]);
  expect(h.cloud.control.calls('StartDeliveryStreamEncryption', name)).toMatchObject({ total: starts.length, accepted: 1, failed: starts.length - 1 });
  expect(h.cloud.control.calls('StopDeliveryStreamEncryption', name).total).toBe(0);
  expect(h.cloud.control.calls('DescribeKey', key).accepted).toBe(1);
  const retries = logLines(step, 'retry').filter((l) => l.operation === 'StartDeliveryStreamEncryption');
  expect(retries.length).toBe(starts.length - 1);
  expect(retries.every((l) => l.errorClass === 'denied' && String(l.error).startsWith('InvalidKMSResourceException (KMS.AccessDeniedException): User: '))).toBe(true);
  expect(step.answeredAtMs!).toBeGreaterThanOrEqual(LAG_MS - SCHEDULING_SLACK_MS);
  expectCleanLog(step);

  expect(encryptionNow(h.cloud, name)).toMatchObject({ status: 'ENABLED', keyArn: key, applied: { keyType: 'CUSTOMER_MANAGED_CMK', keyArn: key } });
  expect(h.cloud.control.key(key)?.KeyState).toBe('Enabled');
  expect(await putRecord(h, 'firehose', name, 'after the deploy')).toBe(true);
  expect(h.cloud.control.deliverRecords(name)).toEqual({ delivered: 1, unreadable: [] });
}, 90_000);

test('Firehose: kms:CreateGrant still denied at the deadline: FAILED SERVICE_KMS_ACCESS_DENIED naming how long it was retried, the stream left as it was, records unencrypted', async () => {
  const name = 'grant-denied';
  h.cloud.control.createStream({ name });
  const stack = h.cfn.stack(synthStack('GrantDenied', (s) => FIREHOSE.encrypt(s, 'Sse', name, { key: keptKey(s, 'Key') })));
  const key = FIREHOSE.resourceFor(stack, name).key!;

  const deployed = await deployWithLag(stack, 'kms:CreateGrant', 3_600_000, { ...FAST, TimeoutSeconds: '5' });

  expect(deployed.status).toBe('ROLLBACK_COMPLETE');
  const [create] = deployed.steps;
  expect(create).toMatchObject({ requestType: 'Create', status: 'FAILED', reasonId: 'SERVICE_KMS_ACCESS_DENIED', physicalResourceId: `firehose:${name}#not-started` });
  expect(create.reason).toContain(`not authorized to perform: kms:CreateGrant on resource: ${key}`);
  expect(create.reason).toMatch(/denied for [4-9] s, retried for up to 60 s while IAM propagates a new policy/);
  expect(Buffer.byteLength(create.reason!)).toBeLessThan(4096);
  const starts = callsOf('firehose:StartDeliveryStreamEncryption', name);
  expect(starts.length).toBeGreaterThan(1);
  expect(starts.every((c) => c.errorName === 'InvalidKMSResourceException')).toBe(true);
  expect(h.cloud.control.calls('StartDeliveryStreamEncryption', name).accepted).toBe(0);
  expect(h.cloud.control.calls('StopDeliveryStreamEncryption', name).total).toBe(0);

  expect(encryptionNow(h.cloud, name)).toMatchObject({ status: 'DISABLED', applied: null });
  expect(h.cloud.control.key(key)?.KeyState).toBe('Enabled');
  expect(await putRecord(h, 'firehose', name, 'after the failed deploy')).toBe(false);
  expect(h.cloud.control.deliverRecords(name)).toEqual({ delivered: 1, unreadable: [] });
}, 90_000);

test('Kinesis: kms:GenerateDataKey through Kinesis sees the new policy after the rest; the refused Start (KMSAccessDeniedException) is retried within the IAM propagation window: one accepted Start, records under the key', async () => {
  const name = 'k-datakey-propagating';
  h.cloud.control.createDataStream({ name });
  const stack = h.cfn.stack(synthStack('DataKeyPropagating', (s) => KINESIS.encrypt(s, 'Sse', name, { key: keptKey(s, 'Key') })));
  const key = KINESIS.resourceFor(stack, name).key!;

  const deployed = await deployWithLag(stack, 'kms:GenerateDataKey', LAG_MS, FAST);

  expect(deployed.status).toBe('CREATE_COMPLETE');
  const [step] = deployed.steps;
  expect(step).toMatchObject({ requestType: 'Create', status: 'SUCCESS', physicalResourceId: `kinesis:${name}#prior=none` });
  expect(h.cloud.control.callLog().filter((c) => c.errorName === 'AccessDeniedException')).toEqual([]);
  const starts = callsOf('kinesis:StartStreamEncryption', name);
  expect(starts.length).toBeGreaterThan(1);
  expect(starts.map((c) => c.errorName)).toEqual([...starts.slice(1).map(() => 'KMSAccessDeniedException'), undefined]);
  expect(h.cloud.control.calls('StartStreamEncryption', name)).toMatchObject({ accepted: 1, failed: starts.length - 1 });
  expect(h.cloud.control.calls('StopStreamEncryption', name).total).toBe(0);
  expect(logLines(step, 'retry').filter((l) => l.operation === 'StartStreamEncryption').every((l) => l.errorClass === 'denied')).toBe(true);
  expect(step.answeredAtMs!).toBeGreaterThanOrEqual(LAG_MS - SCHEDULING_SLACK_MS);

  expect(KINESIS.now(h.cloud, name)).toMatchObject(KINESIS.encryptedWith(key));
  expect(h.cloud.control.key(key)?.KeyState).toBe('Enabled');
  expect(await putRecord(h, 'kinesis', name, 'after the deploy')).toBe(true); // EncryptionType KMS
  expect(h.cloud.control.unreadableDataRecords(name)).toEqual([]);
}, 90_000);
