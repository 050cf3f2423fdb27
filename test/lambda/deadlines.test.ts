/**
 * The request's deadlines: whole milliseconds whatever the Lambda's remaining
 * time, so that `AbortSignal.timeout` accepts the per-call timeout.
 */
import { DescribeDeliveryStreamCommand } from '@aws-sdk/client-firehose';
import { DescribeStreamSummaryCommand } from '@aws-sdk/client-kinesis';
import { createEvent, described, enc } from './firehose-helpers';
import { Harness, KEY_ARN, lambdaContext, T0 } from './helpers';
import { kinesisCreate, sse, summary } from './kinesis-helpers';
import { firehose, kinesis, resetMocks } from './mocks';
import { computeDeadlines, MAX_CALL_TIMEOUT_MS } from '../../lambda/core/deadlines';

beforeEach(() => {
  resetMocks();
});

describe('computeDeadlines', () => {
  test.each([14_000, 14_001, 14_002, 14_003, 14_004, 14_005, 60_001, 89_999, 90_001, 899_999.5, 1_234.567])(
    'remaining %p ms: whole milliseconds that AbortSignal.timeout accepts',
    (remainingMs) => {
      const { work, callTimeoutMs } = computeDeadlines(T0, remainingMs, 600);
      expect(Number.isInteger(work)).toBe(true);
      expect(Number.isInteger(callTimeoutMs)).toBe(true);
      expect(() => AbortSignal.timeout(callTimeoutMs)).not.toThrow();
    },
  );

  test('the work leaves at least a third of the remaining time (at most 30 s) to answer', () => {
    expect(computeDeadlines(T0, 14_001, 600)).toEqual({ work: T0 + 9_334, callTimeoutMs: 2_333 });
    expect(computeDeadlines(T0, 30_000, 600)).toEqual({ work: T0 + 20_000, callTimeoutMs: 5_000 });
    expect(computeDeadlines(T0, 900_000, 600)).toEqual({ work: T0 + 600_000, callTimeoutMs: MAX_CALL_TIMEOUT_MS });
    expect(computeDeadlines(T0, 2_000, 600)).toEqual({ work: T0 + 1_333, callTimeoutMs: 1_000 });
  });
});

describe('a remaining time that is not a multiple of 6 ms', () => {
  test.each([14_000, 14_001, 14_002, 14_003])('Firehose, %p ms: the stream is read and the answer is SUCCESS', async (remainingMs) => {
    firehose.on(DescribeDeliveryStreamCommand).resolves(described(enc.enabled()));
    const h = new Harness();
    const answer = await h.run(createEvent(), lambdaContext(remainingMs));
    expect(answer.Reason).not.toContain('RangeError');
    expect(answer).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: `firehose:orders#prior=${KEY_ARN}`, Data: { KeyArn: KEY_ARN } });
    expect(firehose.commandCalls(DescribeDeliveryStreamCommand)).toHaveLength(1);
  });

  test.each([14_000, 14_001, 14_002, 14_003])('Kinesis, %p ms: the stream is read and the answer is SUCCESS', async (remainingMs) => {
    kinesis.on(DescribeStreamSummaryCommand).resolves(summary(sse.kms()));
    const h = new Harness();
    const answer = await h.run(kinesisCreate(), lambdaContext(remainingMs));
    expect(answer.Reason).not.toContain('RangeError');
    expect(answer).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: `kinesis:events#prior=${KEY_ARN}`, Data: { KeyId: KEY_ARN } });
    expect(kinesis.commandCalls(DescribeStreamSummaryCommand)).toHaveLength(1);
  });
});
