/**
 * Kinesis's limit of 25 key applications (accepted StartStreamEncryption calls) per data stream in
 * a rolling 24 hours. One scenario moves the local cloud's clock a day ahead, which moves every
 * stream of the cloud, so these scenarios have a cloud of their own and run one after the other.
 */
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import {
  expectAnsweredInTime,
  expectCleanLog,
  Harness,
  logLines,
  newKeyArn,
  startHarness,
  synthStack,
} from './harness';
import { AT_ONCE_MS, dataStreamArn, dataStreamNow, dataStreamResourceFor, KINESIS_UNTHROTTLED, kinesisCallsOn } from './kinesis-harness';
import { LocalStack } from '../../local-cloud/cfn';
import { DataStreamEncryption } from '../../src';

const DAY_MS = 24 * 60 * 60 * 1000;
const FAST = { SettleSeconds: '0' };

let h: Harness;
let stack: LocalStack;

beforeAll(async () => {
  h = await startHarness({ throttle: KINESIS_UNTHROTTLED, kinesisDelays: { updatingMs: 500 } });
  const dir = synthStack('KinesisLimitScenarios', (s) => {
    for (const name of ['k-budget-spent', 'k-budget-last']) {
      new DataStreamEncryption(s, `Sse-${name}`, { stream: kinesis.Stream.fromStreamArn(s, `Stream-${name}`, dataStreamArn(name)) });
    }
  });
  stack = h.cfn.stack(dir);
  stack.prepare();
}, 120_000);

afterAll(async () => {
  await h?.stop();
});

test('limit exhausted (25 key applications today): FAILED DATA_STREAM_CALL_LIMIT_EXCEEDED at once, no retry; a day later the Create succeeds', async () => {
  const { handle, keyId } = dataStreamResourceFor(stack, 'k-budget-spent');
  h.cloud.control.createDataStream({ name: 'k-budget-spent', keyApplicationsInWindow: 25 });

  const refused = await handle.create({ properties: FAST });

  expect(refused).toMatchObject({ status: 'FAILED', reasonId: 'DATA_STREAM_CALL_LIMIT_EXCEEDED', physicalResourceId: 'kinesis:k-budget-spent#not-started' });
  expect(refused.reason).toContain('Kinesis refused StartStreamEncryption on k-budget-spent: limit exceeded');
  expect(refused.reason).toContain('has reached the limit of 25 server-side encryption key applications in 24 hours');
  expect(refused.reason).toContain('at most 25 times in a rolling 24 hours');
  expect(h.cloud.control.calls('StartStreamEncryption', 'k-budget-spent')).toMatchObject({ total: 1, accepted: 0, failed: 1 });
  expect(logLines(refused, 'retry')).toHaveLength(0);
  expect(refused.answeredAtMs!).toBeLessThan(AT_ONCE_MS);
  expect(dataStreamNow(h.cloud, 'k-budget-spent')).toMatchObject({ status: 'ACTIVE', encryptionType: 'NONE' });
  expectAnsweredInTime(refused);
  expectCleanLog(refused);

  // CloudFormation's rollback Delete: nothing was started, nothing to stop
  const rollback = await handle.delete();
  expect(rollback).toMatchObject({ status: 'SUCCESS', physicalResourceId: 'kinesis:k-budget-spent#not-started' });
  expect(kinesisCallsOn(h.cloud, 'k-budget-spent')).toMatchObject({ startCalls: 1, stopCalls: 0 });

  h.cloud.control.advanceClock(DAY_MS + 1_000);
  expect(h.cloud.control.dataStream('k-budget-spent')!.keyApplications.inWindow).toBe(0);

  const retried = await handle.create({ properties: FAST });
  expect(retried).toMatchObject({ status: 'SUCCESS', physicalResourceId: 'kinesis:k-budget-spent' });
  expect(dataStreamNow(h.cloud, 'k-budget-spent')).toMatchObject({ status: 'ACTIVE', encryptionType: 'KMS', keyId, applied: { KeyId: keyId } });
  expect(h.cloud.control.calls('StartStreamEncryption', 'k-budget-spent')).toMatchObject({ total: 2, accepted: 1 });
  expect(h.cloud.control.dataStream('k-budget-spent')!.keyApplications.inWindow).toBe(1);
  expectAnsweredInTime(retried);
}, 60_000);

test('the Create takes the 25th key application; a rotation is then refused and the stream keeps its key; the Delete\'s Stop is no key application and goes through', async () => {
  const { handle, keyId } = dataStreamResourceFor(stack, 'k-budget-last');
  h.cloud.control.createDataStream({ name: 'k-budget-last', keyApplicationsInWindow: 24 });

  const created = await handle.create({ properties: FAST });
  expect(created).toMatchObject({ status: 'SUCCESS', physicalResourceId: 'kinesis:k-budget-last' });
  expect(h.cloud.control.dataStream('k-budget-last')!.keyApplications.inWindow).toBe(25);
  expectAnsweredInTime(created);

  const newKey = newKeyArn(h.cloud, 'b0d9e7a5-0000-4000-8000-00000000000d');
  const refused = await handle.update({ properties: { KeyId: newKey, ...FAST } });
  expect(refused).toMatchObject({ status: 'FAILED', reasonId: 'DATA_STREAM_CALL_LIMIT_EXCEEDED', physicalResourceId: 'kinesis:k-budget-last' });
  expect(refused.reason).toContain('Kinesis refused StartStreamEncryption on k-budget-last: limit exceeded');
  expect(h.cloud.control.calls('StartStreamEncryption', 'k-budget-last')).toMatchObject({ total: 2, accepted: 1, failed: 1 });
  expect(dataStreamNow(h.cloud, 'k-budget-last')).toMatchObject({ status: 'ACTIVE', encryptionType: 'KMS', keyId, applied: { KeyId: keyId } });
  expectAnsweredInTime(refused);

  const deleted = await handle.delete();
  expect(deleted).toMatchObject({ status: 'SUCCESS', physicalResourceId: 'kinesis:k-budget-last' });
  expect(dataStreamNow(h.cloud, 'k-budget-last')).toMatchObject({ status: 'ACTIVE', encryptionType: 'NONE' });
  expect(kinesisCallsOn(h.cloud, 'k-budget-last')).toMatchObject({ start: 1, stop: 1, stopCalls: 1 });
  expect(h.cloud.control.dataStream('k-budget-last')!.keyApplications.inWindow).toBe(25);
  expectAnsweredInTime(deleted);
}, 60_000);
