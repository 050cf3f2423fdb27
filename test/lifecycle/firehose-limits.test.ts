/**
 * Firehose's limit of 25 Start/Stop calls per stream per 24 hours. These scenarios move the local
 * cloud's clock a day ahead, which moves every stream of the cloud, so they have a cloud of their
 * own and run one after the other.
 */
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import { callsOn, encryptionNow, resourceFor } from './firehose-harness';
import { expectAnsweredInTime, expectCleanLog, Harness, startHarness, synthStack, UNTHROTTLED, SCHEDULING_SLACK_MS } from './harness';
import { LocalStack } from '../../local-cloud/cfn';
import { DeliveryStreamEncryption } from '../../src';

const DAY_MS = 24 * 60 * 60 * 1000;
const FAST = { SettleSeconds: '0' };

let h: Harness;
let stack: LocalStack;

beforeAll(async () => {
  h = await startHarness({ throttle: UNTHROTTLED, delays: { enablingMs: 500, disablingMs: 500 } });
  const dir = synthStack('LimitScenarios', (s) => {
    for (const name of ['budget-spent', 'budget-last']) {
      new DeliveryStreamEncryption(s, `Sse-${name}`, { deliveryStream: firehose.DeliveryStream.fromDeliveryStreamName(s, `Stream-${name}`, name) });
    }
  });
  stack = h.cfn.stack(dir);
  stack.prepare();
}, 120_000);

afterAll(async () => {
  await h?.stop();
});

test('call limit exhausted (25 Start/Stop calls spent today): FAILED CALL_LIMIT_EXCEEDED at once, no retry; a day later the Create succeeds', async () => {
  const { handle, keyArn } = resourceFor(stack, 'budget-spent');
  h.cloud.control.createStream({ name: 'budget-spent', encryptionCallsInWindow: 25 });

  const refused = await handle.create({ properties: FAST });

  expect(refused).toMatchObject({ status: 'FAILED', reasonId: 'CALL_LIMIT_EXCEEDED', physicalResourceId: 'firehose:budget-spent#not-started' });
  expect(refused.reason).toContain('Firehose refused StartDeliveryStreamEncryption on budget-spent: limit exceeded');
  expect(refused.reason).toContain('Start and Stop share 25 calls per stream per 24 hours');
  expect(h.cloud.control.calls('StartDeliveryStreamEncryption', 'budget-spent')).toMatchObject({ total: 1, accepted: 0, failed: 1 });
  expect(refused.answeredAtMs!).toBeLessThan(SCHEDULING_SLACK_MS);
  expect(encryptionNow(h.cloud, 'budget-spent')).toMatchObject({ status: 'DISABLED', applied: null });
  expectAnsweredInTime(refused);
  expectCleanLog(refused);

  // CloudFormation's rollback Delete: nothing was started, nothing to stop (and no budget to spend)
  const rollback = await handle.delete();
  expect(rollback).toMatchObject({ status: 'SUCCESS', physicalResourceId: 'firehose:budget-spent#not-started' });
  expect(callsOn(h.cloud, 'budget-spent')).toMatchObject({ startCalls: 1, stopCalls: 0 });

  h.cloud.control.advanceClock(DAY_MS + 1_000);
  expect(h.cloud.control.stream('budget-spent')!.encryptionCalls.inWindow).toBe(0);

  const retried = await handle.create({ properties: FAST });
  expect(retried).toMatchObject({ status: 'SUCCESS', physicalResourceId: 'firehose:budget-spent' });
  expect(encryptionNow(h.cloud, 'budget-spent')).toMatchObject({ status: 'ENABLED', keyArn, applied: { keyArn } });
  expect(h.cloud.control.calls('StartDeliveryStreamEncryption', 'budget-spent')).toMatchObject({ total: 2, accepted: 1 });
  expect(h.cloud.control.stream('budget-spent')!.encryptionCalls.inWindow).toBe(1);
  expectAnsweredInTime(retried);
}, 60_000);

test('the handler\'s own calls spend the budget: the Create takes the 25th call; the Delete\'s Stop is refused and the stream stays ENABLED; a day later the Delete goes through', async () => {
  const { handle, keyArn } = resourceFor(stack, 'budget-last');
  h.cloud.control.createStream({ name: 'budget-last', encryptionCallsInWindow: 24 });

  const created = await handle.create({ properties: FAST });
  expect(created).toMatchObject({ status: 'SUCCESS', physicalResourceId: 'firehose:budget-last' });
  expect(h.cloud.control.stream('budget-last')!.encryptionCalls.inWindow).toBe(25);
  expectAnsweredInTime(created);

  const refused = await handle.delete();
  expect(refused).toMatchObject({ status: 'FAILED', reasonId: 'CALL_LIMIT_EXCEEDED', physicalResourceId: 'firehose:budget-last' });
  expect(refused.reason).toContain('Firehose refused StopDeliveryStreamEncryption on budget-last: limit exceeded');
  expect(h.cloud.control.calls('StopDeliveryStreamEncryption', 'budget-last')).toMatchObject({ total: 1, accepted: 0, failed: 1 });
  expect(encryptionNow(h.cloud, 'budget-last')).toMatchObject({ status: 'ENABLED', keyArn, applied: { keyArn } });
  expectAnsweredInTime(refused);

  h.cloud.control.advanceClock(DAY_MS + 1_000);

  const deleted = await handle.delete();
  expect(deleted).toMatchObject({ status: 'SUCCESS', physicalResourceId: 'firehose:budget-last' });
  expect(encryptionNow(h.cloud, 'budget-last')).toMatchObject({ status: 'DISABLED', applied: null });
  expect(callsOn(h.cloud, 'budget-last')).toMatchObject({ start: 1, stop: 1, stopCalls: 2 });
  expectAnsweredInTime(deleted);
}, 60_000);
