/**
 * Pacing under an account's shared rate limits. Firehose allows 10
 * `DescribeDeliveryStream` and 5 `StartDeliveryStreamEncryption` (and each tag
 * operation) calls a second per account, shared by every caller
 * (https://docs.aws.amazon.com/firehose/latest/APIReference/API_DescribeDeliveryStream.html,
 * https://docs.aws.amazon.com/firehose/latest/APIReference/API_ListTagsForDeliveryStream.html);
 * a throttled call is answered `LimitExceededException` or `ThrottlingException`.
 * Each request learns the pace from the throttles it meets (additive increase,
 * multiplicative decrease) instead of retrying on its own clock alone.
 */
import { DescribeDeliveryStreamCommand, StartDeliveryStreamEncryptionCommand } from '@aws-sdk/client-firehose';
import { createEvent, described, enc } from './firehose-helpers';
import { awsError, Harness } from './helpers';
import { firehose, resetMocks } from './mocks';
import { CONTENDED_FIRST_POLL_MS, CONTENDED_POLL_MS, Pacer, PACING, PacingOptions } from '../../lambda/core/backoff';

describe('Pacer', () => {
  /** A pacer on a clock the test moves. */
  function pacerAt(options: Partial<PacingOptions> = {}): { pacer: Pacer; advance: (ms: number) => void } {
    let now = 0;
    const pacer = new Pacer(() => now, { ...PACING, ...options });
    return { pacer, advance: (ms) => { now += ms; } };
  }

  test('unpaced until a call is throttled; calls that go through change nothing then', () => {
    const { pacer } = pacerAt();
    pacer.accepted();
    expect(pacer.intervalMs).toBe(0);
    expect(pacer.retryDelay(0.5)).toBe(0);
  });

  test('each throttle halves the pace, from twice its floor to its ceiling', () => {
    const { pacer } = pacerAt({ increasePerCall: 0, increasePerSecond: 0 });
    const spacings: number[] = [];
    for (let i = 0; i < 10; i++) {
      pacer.throttled();
      spacings.push(pacer.intervalMs);
    }
    expect(spacings.slice(0, 4)).toEqual([2, 4, 8, 16].map((k) => k * PACING.minIntervalMs));
    expect(Math.max(...spacings)).toBe(PACING.maxIntervalMs);
    // The ceiling: one call in 10 s, the fair share of 10 Describes a second among 100 requests.
    expect(PACING.maxIntervalMs).toBe(10_000);
  });

  test('each call that goes through, and each second that passes, adds to the pace; unpaced again past the floor', () => {
    const { pacer, advance } = pacerAt({ maxIntervalMs: 20_000, increasePerCall: 0.01, increasePerSecond: 0.02 });
    for (let i = 0; i < 20; i++) pacer.throttled();
    expect(pacer.intervalMs).toBe(20_000);
    pacer.accepted();
    expect(1000 / pacer.intervalMs).toBeCloseTo(0.05 + 0.01, 9);
    advance(10_000);
    expect(1000 / pacer.intervalMs).toBeCloseTo(0.06 + 0.2, 9);
    advance(500_000);
    expect(pacer.intervalMs).toBe(0);
  });

  test('a throttle after calls went through halves the pace reached, not the one before', () => {
    const { pacer } = pacerAt({ increasePerCall: 0.1, increasePerSecond: 0 });
    for (let i = 0; i < 3; i++) pacer.throttled(); // 800 ms: 1.25 a second
    for (let i = 0; i < 5; i++) pacer.accepted(); // 1.75 a second
    pacer.throttled();
    expect(1000 / pacer.intervalMs).toBeCloseTo(1.75 / 2, 9);
  });

  test('the retry delay is the spacing with jitter of half of it either way', () => {
    const { pacer } = pacerAt({ increasePerCall: 0, increasePerSecond: 0 });
    pacer.throttled();
    expect(pacer.retryDelay(0)).toBe(PACING.minIntervalMs);
    expect(pacer.retryDelay(0.5)).toBe(2 * PACING.minIntervalMs);
    expect(pacer.retryDelay(0.999)).toBeLessThanOrEqual(3 * PACING.minIntervalMs);
  });
});

describe('a request paces each operation by the throttles of that operation', () => {
  let h: Harness;
  beforeEach(() => {
    resetMocks();
    h = new Harness();
  });

  test('after throttled Describes, the Describes that go through keep the learned spacing too', async () => {
    const throttle = awsError('ThrottlingException', 'Rate exceeded');
    const answers = [throttle, throttle, throttle, enc.disabled(), enc.disabled(), enc.enabling(), enc.enabling(), enc.enabled()];
    const times: number[] = [];
    firehose.on(DescribeDeliveryStreamCommand).callsFake(async () => {
      times.push(h.clock.now());
      const next = answers.length > 1 ? answers.shift()! : answers[0];
      if (next instanceof Error) throw next;
      return described(next);
    });
    expect((await h.run(createEvent())).Status).toBe('SUCCESS');
    expect(h.records().filter((r) => r.action === 'retry').map((r) => Math.round((r.delayMs as number) / 100) * 100)).toEqual([200, 400, 800]);
    // After the third throttle the spacing is 800 ms, eased a little by each call that goes through and each
    // second that passes (the first look after the Start waits 15 s, which eases it most): no Describe
    // follows another sooner than 500 ms, though a poll alone waits 150 ms on this clock.
    const gaps = times.slice(3).map((t, i, all) => (i === 0 ? undefined : t - all[i - 1])).filter((g): g is number => g !== undefined);
    expect(gaps.length).toBeGreaterThanOrEqual(4);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(500);
  });

  test('a throttled Start slows the Starts of the request, not its Describes', async () => {
    const describes: number[] = [];
    let starts = 0;
    firehose.on(StartDeliveryStreamEncryptionCommand).callsFake(async () => {
      starts++;
      if (starts <= 3) throw awsError('LimitExceededException', 'Rate exceeded for StartDeliveryStreamEncryption');
      return {};
    });
    firehose.on(DescribeDeliveryStreamCommand).callsFake(async () => {
      // While the Starts are throttled (after that, the first look at the change waits on its own).
      if (starts <= 3) describes.push(h.clock.now());
      return described(starts > 3 ? enc.enabled() : enc.disabled());
    });
    expect((await h.run(createEvent())).Status).toBe('SUCCESS');
    expect(starts).toBe(4);
    const retries = h.records().filter((r) => r.action === 'retry');
    expect(retries.map((r) => r.operation)).toEqual(['StartDeliveryStreamEncryption', 'StartDeliveryStreamEncryption', 'StartDeliveryStreamEncryption']);
    expect(retries.map((r) => Math.round((r.delayMs as number) / 100) * 100)).toEqual([200, 400, 800]);
    // The Describes between the Starts are not held to the Starts' pace: each follows a retry delay, not more.
    const gaps = describes.slice(1).map((t, i) => t - describes[i]);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(1_000 + 800);
    expect(h.records().filter((r) => r.action === 'retry' && r.operation === 'DescribeDeliveryStream')).toEqual([]);
  });
});

describe('the first reading after a Start', () => {
  let h: Harness;
  beforeEach(() => {
    resetMocks();
    h = new Harness();
  });

  /** The times from the accepted Start to each Describe after it, on the harness's clock. */
  async function looksAfterStart(throttledFirst: boolean, enablingReads = 0): Promise<number[]> {
    const times: Array<{ command: string; at: number }> = [];
    let started = false;
    let describes = 0;
    let readsSinceStart = 0;
    firehose.on(DescribeDeliveryStreamCommand).callsFake(async () => {
      describes++;
      if (throttledFirst && describes === 1) throw awsError('ThrottlingException', 'Rate exceeded');
      times.push({ command: 'describe', at: h.clock.now() });
      if (!started) return described(enc.disabled());
      return described(readsSinceStart++ < enablingReads ? enc.enabling() : enc.enabled());
    });
    firehose.on(StartDeliveryStreamEncryptionCommand).callsFake(async () => {
      started = true;
      times.push({ command: 'start', at: h.clock.now() });
      return {};
    });
    expect((await h.run(createEvent())).Status).toBe('SUCCESS');
    const start = times.findIndex((t) => t.command === 'start');
    return times.slice(start + 1).map((t) => t.at - times[start].at);
  }

  test('without a throttle: within a second, then every 250 ms to 1 s, for a prompt answer', async () => {
    const looks = await looksAfterStart(false, 3);
    expect(looks).toHaveLength(4);
    expect(looks[0]).toBeLessThanOrEqual(1_000);
    expect(looks.at(-1)! - looks[0]).toBeLessThanOrEqual(3 * 1_000);
  });

  test('in a request the account\'s limits throttled: 7.5–22.5 s later, leaving the reads to requests not yet started', async () => {
    expect(CONTENDED_FIRST_POLL_MS).toBe(15_000);
    // The fake clock's jitter is 0.5: the wait is the constant itself.
    expect((await looksAfterStart(true))[0]).toBeGreaterThanOrEqual(CONTENDED_FIRST_POLL_MS);
  });

  test('in a request the account\'s limits throttled, a change still in progress: read again 1.5–4.5 s apart, not at the poll pace', async () => {
    expect(CONTENDED_POLL_MS).toBe(3_000);
    const looks = await looksAfterStart(true, 3);
    expect(looks).toHaveLength(4);
    const gaps = looks.slice(1).map((t, i) => t - looks[i]);
    // The fake clock's jitter is 0.5: each gap is the constant itself (the poll backoff alone stays under 1 s).
    for (const gap of gaps) {
      expect(gap).toBeGreaterThanOrEqual(CONTENDED_POLL_MS);
      expect(gap).toBeLessThan(CONTENDED_POLL_MS + 1_000);
    }
  });
});
