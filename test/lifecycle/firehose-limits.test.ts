/**
 * Firehose's limit of 25 Start/Stop calls per stream per 24 hours, where it differs from Kinesis's
 * (the limit exhausted before a Create is in `stream-kinds.test.ts`, for both kinds). These
 * scenarios move the local cloud's clock a day ahead, which moves every stream of the cloud, so
 * they have a cloud of their own and run one after the other.
 */
import { callsOn, encryptDeliveryStreams, encryptionNow, resourceFor } from './firehose-harness';
import { expectAnsweredInTime, FAST, Harness, preparedStack, useHarness } from './harness';
import { FIREHOSE } from './kinds';
import { LocalCloudStack } from '../../tools/local-cloud/cfn';

const DAY_MS = 24 * 60 * 60 * 1000;

let h: Harness;
let stack: LocalCloudStack;
useHarness(FIREHOSE.unthrottled(500), (started) => {
  h = started;
  stack = preparedStack(h, 'LimitScenarios', (s) => encryptDeliveryStreams(s, ['budget-last']));
});

test('the handler\'s own calls spend the budget: the Create takes the 25th call; the Delete\'s Stop is refused and the stream stays ENABLED; a day later the Delete goes through', async () => {
  const { handle, keyArn } = resourceFor(stack, 'budget-last');
  h.cloud.control.createStream({ name: 'budget-last', encryptionCallsInWindow: 24 });

  const created = await handle.create({ properties: FAST });
  expect(created).toMatchObject({ status: 'SUCCESS', physicalResourceId: 'firehose:budget-last#prior=none' });
  expect(h.cloud.control.stream('budget-last')!.encryptionCalls.inWindow).toBe(25);
  expectAnsweredInTime(created);

  const refused = await handle.delete();
  expect(refused).toMatchObject({ status: 'FAILED', reasonId: 'CALL_LIMIT_EXCEEDED', physicalResourceId: 'firehose:budget-last#prior=none' });
  expect(refused.reason).toContain('Firehose refused StopDeliveryStreamEncryption on budget-last: limit exceeded');
  expect(h.cloud.control.calls('StopDeliveryStreamEncryption', 'budget-last')).toMatchObject({ total: 1, accepted: 0, failed: 1 });
  expect(encryptionNow(h.cloud, 'budget-last')).toMatchObject({ status: 'ENABLED', keyArn, applied: { keyArn } });
  expectAnsweredInTime(refused);

  h.cloud.control.advanceClock(DAY_MS + 1_000);

  const deleted = await handle.delete();
  expect(deleted).toMatchObject({ status: 'SUCCESS', physicalResourceId: 'firehose:budget-last#prior=none' });
  expect(encryptionNow(h.cloud, 'budget-last')).toMatchObject({ status: 'DISABLED', applied: null });
  expect(callsOn(h.cloud, 'budget-last')).toMatchObject({ start: 1, stop: 1, stopCalls: 2 });
  expectAnsweredInTime(deleted);
}, 60_000);
