/**
 * Deadlines and the answer itself: the resource timeout, the Lambda timeout, CloudFormation's
 * ServiceTimeout, and response URLs that fail, hang or refuse. The handler must always answer (or
 * give up) before its function is stopped, and never go silent.
 */
import { callsOn, encryptDeliveryStreams, encryptionNow, resourceFor } from './firehose-harness';
import { expectAnsweredInTime, expectCleanLog, Harness, logLines, preparedStack, SCHEDULING_SLACK_MS, useHarness } from './harness';
import { FIREHOSE } from './kinds';
import { LocalCloudStack, MAX_RESPONSE_BODY_BYTES } from '../../tools/local-cloud/cfn';

const STREAMS = ['timeout', 'lambda-deadline', 'short-lambda', 'flaky-url', 'silent-url', 'service-timeout', 'throttled-out', 'refusing-url', 'long-failure'];

let h: Harness;
let stack: LocalCloudStack;
useHarness(FIREHOSE.unthrottled(1_000), (started) => {
  h = started;
  stack = preparedStack(h, 'DeadlineScenarios', (s) => encryptDeliveryStreams(s, STREAMS));
});

test.concurrent('ResponseURL never answers: every PUT times out, the handler gives up and returns before its Lambda deadline; CloudFormation times out at the ServiceTimeout', async () => {
  const { handle, keyArn } = resourceFor(stack, 'silent-url');
  h.cloud.control.createStream({ name: 'silent-url', encryption: { status: 'ENABLED', keyArn } });

  const r = await handle.create({ lambdaTimeoutMs: 15_000, properties: { ServiceTimeout: '17' }, response: { neverAnswer: true } });

  expect(r.status).toBe('TIMED_OUT');
  expect(r.answeredAtMs).toBeUndefined();
  expect(r.elapsedMs).toBeGreaterThanOrEqual(17_000);
  // attempts of at most 5 s each, none answered, all of the same answer
  expect(r.puts.length).toBeGreaterThanOrEqual(1);
  expect(r.puts.every((p) => p.answeredStatus === undefined && !p.late)).toBe(true);
  expect(new Set(r.puts.map((p) => p.body)).size).toBe(1);
  expect(JSON.parse(r.puts[0].body)).toMatchObject({ LogicalResourceId: handle.logicalId, RequestId: r.requestId });
  // it gave up by itself, about a second before the function would be stopped
  expect(r.lambdaTimedOut).toBe(false);
  expect(r.handlerReturnedAtMs!).toBeLessThan(15_000);
  expect(r.handlerReturnedAtMs!).toBeGreaterThan(15_000 - 3_000);
  expect(logLines(r, 'respond').at(-1)).toMatchObject({ status: 'gave up' });
  expect(callsOn(h.cloud, 'silent-url')).toMatchObject({ startCalls: 0, stopCalls: 0 });
  expectCleanLog(r);
}, 60_000);

test.concurrent('timeout reached: FAILED TIMED_OUT with the last status, answered at the resource timeout', async () => {
  const { handle, keyArn } = resourceFor(stack, 'timeout');
  h.cloud.control.setStreamDelays('timeout', { enablingMs: 120_000 });
  h.cloud.control.createStream({ name: 'timeout' });

  const r = await handle.create({ properties: { TimeoutSeconds: '6', ServiceTimeout: '66' } });

  expect(r).toMatchObject({ status: 'FAILED', reasonId: 'TIMED_OUT', physicalResourceId: 'firehose:timeout#prior=none' });
  expect(r.reason).toContain(`Delivery stream timeout is still ENABLING after 6 s; last status: stream ACTIVE, encryption ENABLING with CUSTOMER_MANAGED_CMK ${keyArn}`);
  expect(r.answeredAtMs!).toBeGreaterThanOrEqual(6_000);
  expect(r.answeredAtMs!).toBeLessThan(6_000 + 1_000 + SCHEDULING_SLACK_MS);
  expect(encryptionNow(h.cloud, 'timeout')).toMatchObject({ status: 'ENABLING', pending: 'ENABLING', keyArn });
  expect(callsOn(h.cloud, 'timeout')).toMatchObject({ start: 1, startCalls: 1 });
  expectAnsweredInTime(r);
  expectCleanLog(r);
}, 30_000);

test.concurrent('Lambda timeout shorter than the resource timeout: FAILED TIMED_OUT early enough to answer before the function is stopped', async () => {
  const { handle } = resourceFor(stack, 'lambda-deadline');
  h.cloud.control.setStreamDelays('lambda-deadline', { enablingMs: 120_000 });
  h.cloud.control.createStream({ name: 'lambda-deadline' });

  // 12 s of Lambda time and 600 s of resource timeout: the work must stop a third of the time early.
  const r = await handle.create({ lambdaTimeoutMs: 12_000 });

  expect(r.event.ResourceProperties).toMatchObject({ TimeoutSeconds: '600', ServiceTimeout: '660' });
  expect(r).toMatchObject({ status: 'FAILED', reasonId: 'TIMED_OUT' });
  expect(r.reason).toMatch(/^TIMED_OUT: Delivery stream lambda-deadline is still \w+ after 8 s/);
  const workMs = logLines(r, 'deadline')[0].workMs as number;
  expect(workMs).toBeGreaterThan(7_900);
  expect(workMs).toBeLessThanOrEqual(8_000);
  expect(r.answeredAtMs!).toBeGreaterThanOrEqual(workMs);
  expect(r.answeredAtMs!).toBeLessThan(12_000);
  expect(callsOn(h.cloud, 'lambda-deadline')).toMatchObject({ stopCalls: 0 });
  expect(callsOn(h.cloud, 'lambda-deadline').startCalls).toBeLessThanOrEqual(1);
  expectAnsweredInTime(r);
}, 30_000);

// Below 90 s of remaining Lambda time the per-call timeout is `min(10 s, remaining / 3 / 2)`, a
// fraction unless the remaining time is a multiple of 6 ms, and AbortSignal.timeout() throws a
// RangeError for a fraction: the deadlines are whole milliseconds. Three Creates with Lambda
// timeouts of 14.000–14.002 s: each one's remaining time is a multiple of 6 ms with a chance of 1 in
// 6, so a handler that did not round would fail at least one with a chance of 215 in 216.
test('Lambda timeout under 90 s (a remaining time that is not a multiple of 6 ms): the handler still reads the stream and answers', async () => {
  const { handle, keyArn } = resourceFor(stack, 'short-lambda');
  h.cloud.control.createStream({ name: 'short-lambda', encryption: { status: 'ENABLED', keyArn } });

  for (const lambdaTimeoutMs of [14_000, 14_001, 14_002]) {
    const r = await handle.create({ lambdaTimeoutMs });
    expect(r.reason).not.toContain('RangeError');
    expect(r).toMatchObject({ status: 'SUCCESS', physicalResourceId: `firehose:short-lambda#prior=${keyArn}` });
    expect(r.answeredAtMs!).toBeLessThan(SCHEDULING_SLACK_MS);
    expectAnsweredInTime(r);
  }
  expect(callsOn(h.cloud, 'short-lambda')).toMatchObject({ describe: 3, startCalls: 0 });
}, 60_000);

test.concurrent('ResponseURL answers 500 twice, then 200: three PUTs of the same answer, SUCCESS recorded', async () => {
  const { handle } = resourceFor(stack, 'flaky-url');
  h.cloud.control.createStream({ name: 'flaky-url' });

  const r = await handle.create({ properties: { SettleSeconds: '0' }, response: { failFirst: 2, failStatus: 500 } });

  expect(r).toMatchObject({ status: 'SUCCESS', physicalResourceId: 'firehose:flaky-url#prior=none' });
  expect(r.puts.map((p) => p.answeredStatus)).toEqual([500, 500, 200]);
  expect(new Set(r.puts.map((p) => p.body)).size).toBe(1);
  expect(r.answeredAtMs).toBe(r.puts[2].receivedAt - r.startedAt);
  expect(logLines(r, 'respond').map((l) => [l.status, l.attempts])).toEqual([['retry', 1], ['retry', 2], ['delivered', 3]]);
  expect(encryptionNow(h.cloud, 'flaky-url')).toMatchObject({ status: 'ENABLED' });
  expect(callsOn(h.cloud, 'flaky-url')).toMatchObject({ start: 1 });
  expectAnsweredInTime(r);
  expectCleanLog(r);
}, 30_000);

test.concurrent('ResponseURL refuses the answer with 403 (an expired URL): no retry; CloudFormation times out', async () => {
  const { handle, keyArn } = resourceFor(stack, 'refusing-url');
  h.cloud.control.createStream({ name: 'refusing-url', encryption: { status: 'ENABLED', keyArn } });

  const r = await handle.create({ properties: { ServiceTimeout: '4' }, response: { failFirst: 100, failStatus: 403 } });

  expect(r.status).toBe('TIMED_OUT');
  expect(r.puts.map((p) => p.answeredStatus)).toEqual([403]);
  expect(logLines(r, 'respond')).toEqual([expect.objectContaining({ status: 'rejected', statusCode: 403, attempts: 1 })]);
  expect(r.handlerReturnedAtMs!).toBeLessThan(SCHEDULING_SLACK_MS);
  expectCleanLog(r);
}, 30_000);

test.concurrent('ServiceTimeout shorter than the handler\'s wait: CloudFormation marks the resource TIMED_OUT and ignores the late answer', async () => {
  const { handle } = resourceFor(stack, 'service-timeout');
  h.cloud.control.setStreamDelays('service-timeout', { enablingMs: 4_000 });
  h.cloud.control.createStream({ name: 'service-timeout' });

  const r = await handle.create({ properties: { ServiceTimeout: '2', SettleSeconds: '0' } });

  expect(r.status).toBe('TIMED_OUT');
  expect(r.reason).toContain('within its ServiceTimeout of 2 s');
  // (a timer may fire a millisecond before the clock reads its due time)
  expect(r.elapsedMs).toBeGreaterThanOrEqual(2_000 - 5);
  expect(r.elapsedMs).toBeLessThan(2_000 + SCHEDULING_SLACK_MS);
  expect(r.physicalResourceId).toBeUndefined();
  // the handler finished its work and answered, too late
  expect(r.puts).toHaveLength(1);
  expect(r.puts[0]).toMatchObject({ late: true, answeredStatus: 200 });
  expect(r.puts[0].receivedAt - r.startedAt).toBeGreaterThan(4_000);
  expect(JSON.parse(r.puts[0].body)).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'firehose:service-timeout#prior=none' });
  expect(encryptionNow(h.cloud, 'service-timeout')).toMatchObject({ status: 'ENABLED' });
  expect(stack.physicalId(handle.logicalId)).toBeUndefined();
}, 30_000);

test.concurrent('throttled until the deadline: FAILED THROTTLED, still answered in time', async () => {
  const { handle } = resourceFor(stack, 'throttled-out');
  h.cloud.control.createStream({ name: 'throttled-out' });
  h.cloud.control.failNext('DescribeDeliveryStream', 'ThrottlingException', { count: 1_000, resource: 'throttled-out', httpStatus: 400 });

  const r = await handle.create({ properties: { TimeoutSeconds: '5' } });

  expect(r).toMatchObject({ status: 'FAILED', reasonId: 'THROTTLED', physicalResourceId: 'firehose:throttled-out#not-started' });
  expect(r.reason).toContain('DescribeDeliveryStream for throttled-out was throttled until the deadline');
  expect(r.answeredAtMs!).toBeGreaterThanOrEqual(5_000);
  expect(r.answeredAtMs!).toBeLessThan(5_000 + 1_000 + SCHEDULING_SLACK_MS);
  const describe = h.cloud.control.calls('DescribeDeliveryStream', 'throttled-out');
  expect(describe.accepted).toBe(0);
  expect(describe.throttled).toBeGreaterThan(2);
  expect(describe.throttled).toBeLessThan(20); // backed off, not hammered
  expect(callsOn(h.cloud, 'throttled-out')).toMatchObject({ startCalls: 0 });
  expectAnsweredInTime(r);
}, 30_000);

test.concurrent('a 6 KB FailureDescription: the FAILED answer is cut to CloudFormation\'s 4 KiB, and accepted', async () => {
  const { handle } = resourceFor(stack, 'long-failure');
  h.cloud.control.createStream({ name: 'long-failure' });
  h.cloud.control.failNextStart('long-failure', { Type: 'UNKNOWN_ERROR', Details: `it went wrong ${'very '.repeat(1_200)}badly` });

  const r = await handle.create();

  expect(r).toMatchObject({ status: 'FAILED', reasonId: 'ENABLING_FAILED', physicalResourceId: 'firehose:long-failure#prior=none' });
  expect(r.puts).toHaveLength(1);
  expect(r.puts[0].bytes).toBeLessThanOrEqual(MAX_RESPONSE_BODY_BYTES);
  expect(r.puts[0].bytes).toBeGreaterThan(MAX_RESPONSE_BODY_BYTES - 100);
  expect(r.reason).toMatch(/^ENABLING_FAILED: Firehose could not enable encryption of long-failure: UNKNOWN_ERROR: it went wrong very very/);
  expect(r.reason).toContain('…');
  expectAnsweredInTime(r);
}, 30_000);
