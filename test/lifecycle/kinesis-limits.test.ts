/**
 * Kinesis's limit of 25 key applications (accepted StartStreamEncryption calls) per data stream in
 * a rolling 24 hours, where it differs from Firehose's (the limit exhausted before a Create is in
 * `stream-kinds.test.ts`, for both kinds). They spend a stream's budget, so they have a cloud of
 * their own and run one after the other.
 */
import { expectAnsweredInTime, FAST, Harness, newKeyArn, preparedStack, useHarness } from './harness';
import { KINESIS } from './kinds';
import { dataStreamNow, dataStreamResourceFor, encryptDataStreams, kinesisCallsOn } from './kinesis-harness';
import { LocalCloudStack } from '../../tools/local-cloud/cfn';


let h: Harness;
let stack: LocalCloudStack;
useHarness(KINESIS.unthrottled(500), (started) => {
  h = started;
  stack = preparedStack(h, 'KinesisLimitScenarios', (s) => encryptDataStreams(s, ['k-budget-last']));
});

test('the Create takes the 25th key application; a rotation is then refused and the stream keeps its key; the Delete\'s Stop is no key application and goes through', async () => {
  const { handle, keyId } = dataStreamResourceFor(stack, 'k-budget-last');
  h.cloud.control.createDataStream({ name: 'k-budget-last', keyApplicationsInWindow: 24 });

  const created = await handle.create({ properties: FAST });
  expect(created).toMatchObject({ status: 'SUCCESS', physicalResourceId: 'kinesis:k-budget-last#prior=none' });
  expect(h.cloud.control.dataStream('k-budget-last')!.keyApplications.inWindow).toBe(25);
  expectAnsweredInTime(created);

  const newKey = newKeyArn(h.cloud, 'b0d9e7a5-0000-4000-8000-00000000000d');
  const refused = await handle.update({ properties: { KeyId: newKey, ...FAST } });
  expect(refused).toMatchObject({ status: 'FAILED', reasonId: 'CALL_LIMIT_EXCEEDED', physicalResourceId: 'kinesis:k-budget-last#prior=none' });
  expect(refused.reason).toContain('Kinesis refused StartStreamEncryption on k-budget-last: limit exceeded');
  expect(h.cloud.control.calls('StartStreamEncryption', 'k-budget-last')).toMatchObject({ total: 2, accepted: 1, failed: 1 });
  expect(dataStreamNow(h.cloud, 'k-budget-last')).toMatchObject({ status: 'ACTIVE', encryptionType: 'KMS', keyId, applied: { KeyId: keyId } });
  expectAnsweredInTime(refused);

  const deleted = await handle.delete();
  expect(deleted).toMatchObject({ status: 'SUCCESS', physicalResourceId: 'kinesis:k-budget-last#prior=none' });
  expect(dataStreamNow(h.cloud, 'k-budget-last')).toMatchObject({ status: 'ACTIVE', encryptionType: 'NONE' });
  expect(kinesisCallsOn(h.cloud, 'k-budget-last')).toMatchObject({ start: 1, stop: 1, stopCalls: 1 });
  expect(h.cloud.control.dataStream('k-budget-last')!.keyApplications.inWindow).toBe(25);
  expectAnsweredInTime(deleted);
}, 60_000);
