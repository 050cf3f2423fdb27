/**
 * Pacing under load, on a virtual clock: many handlers deploying at once
 * share one account's DescribeDeliveryStream rate (10 per second; Firehose
 * answers LimitExceededException above it), and must all finish in time.
 */
import { DescribeDeliveryStreamCommand, LimitExceededException, StartDeliveryStreamEncryptionCommand } from '@aws-sdk/client-firehose';
import { DescribeKeyCommand } from '@aws-sdk/client-kms';
import { createEvent, described, enc, properties } from './firehose-helpers';
import { KEY_ARN, keyMetadata, lambdaContext, T0 } from './helpers';
import { firehose, kms } from './mocks';
import { clientCache } from '../../lambda/core/clients';
import { handleEvent, HandlerDependencies } from '../../lambda/core/handle-event';
import type { CloudFormationResponse } from '../../lambda/core/response';
import { STREAM_SERVICES } from '../../lambda/kinds';

/** A deterministic PRNG (mulberry32). */
function prng(seed: number): () => number {
  let a = seed >>> 0; // eslint-disable-line no-bitwise
  return () => {
    /* eslint-disable no-bitwise */
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    /* eslint-enable no-bitwise */
  };
}

/** A virtual clock shared by concurrent handlers: time jumps to the next timer once everyone waits. */
class VirtualTime {
  now = T0;
  private readonly timers: Array<{ at: number; seq: number; resolve: () => void }> = [];
  private seq = 0;

  readonly sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => this.timers.push({ at: this.now + Math.max(0, ms), seq: this.seq++, resolve }));

  /** Advance time until `done()`, failing if nothing is left to wake or time runs past `limitMs`. */
  async runUntil(done: () => boolean, limitMs: number): Promise<void> {
    for (;;) {
      await new Promise((resolve) => setImmediate(resolve));
      if (done()) {
        return;
      }
      if (this.timers.length === 0) {
        throw new Error('stalled: nobody is waiting and the run is not done');
      }
      let next = 0;
      for (let i = 1; i < this.timers.length; i++) {
        const t = this.timers[i];
        const n = this.timers[next];
        if (t.at < n.at || (t.at === n.at && t.seq < n.seq)) {
          next = i;
        }
      }
      const [timer] = this.timers.splice(next, 1);
      this.now = timer.at;
      if (this.now - T0 > limitMs) {
        throw new Error(`still running after ${limitMs} ms of virtual time`);
      }
      timer.resolve();
    }
  }
}

/** A fake Firehose: streams that go ENABLING → ENABLED some seconds after Start, behind a shared Describe rate limit. */
class FakeFirehose {
  readonly enabledAt = new Map<string, number>();
  throttled = 0;
  served = 0;
  private tokens: number;
  private refilledAt: number;

  constructor(private readonly time: VirtualTime, private readonly ratePerSecond: number, private readonly enableMs: (name: string) => number) {
    this.tokens = ratePerSecond;
    this.refilledAt = time.now;
  }

  install(): void {
    firehose.on(DescribeDeliveryStreamCommand).callsFake(async (input: { DeliveryStreamName: string }) => this.describe(input.DeliveryStreamName));
    firehose.on(StartDeliveryStreamEncryptionCommand).callsFake(async (input: { DeliveryStreamName: string }) => {
      this.enabledAt.set(input.DeliveryStreamName, this.time.now + this.enableMs(input.DeliveryStreamName));
      return {};
    });
    kms.on(DescribeKeyCommand).resolves(keyMetadata());
  }

  private describe(name: string) {
    this.tokens = Math.min(this.ratePerSecond, this.tokens + ((this.time.now - this.refilledAt) * this.ratePerSecond) / 1000);
    this.refilledAt = this.time.now;
    if (this.tokens < 1) {
      this.throttled++;
      throw new LimitExceededException({ message: 'Rate exceeded for stream', $metadata: { httpStatusCode: 400 } });
    }
    this.tokens -= 1;
    this.served++;
    const at = this.enabledAt.get(name);
    const encryption = at === undefined ? enc.disabled() : this.time.now >= at ? enc.enabled() : enc.enabling();
    return described(encryption, { DeliveryStreamName: name });
  }
}

/** Dependencies of one handler on the shared virtual clock. */
function dependencies(time: VirtualTime, seed: number, answers: Array<CloudFormationResponse & { at: number }>): HandlerDependencies {
  return {
    services: STREAM_SERVICES,
    clients: clientCache({ maxAttempts: 1, region: 'eu-west-1' }),
    now: () => time.now,
    sleep: time.sleep,
    random: prng(seed),
    sendResponse: async (_url, body) => {
      answers.push({ ...(JSON.parse(body) as CloudFormationResponse), at: time.now });
      return true;
    },
    log: () => undefined,
  };
}

beforeEach(() => {
  firehose.reset();
  kms.reset();
});

test('200 handlers sharing a Describe limit of 10/s all finish with SUCCESS, one Start each', async () => {
  const time = new VirtualTime();
  const fake = new FakeFirehose(time, 10, (name) => 2_000 + (Number(name.slice(7)) % 7) * 500);
  fake.install();
  const answers: Array<CloudFormationResponse & { at: number }> = [];
  const runs = Array.from({ length: 200 }, (_, i) =>
    handleEvent(createEvent(properties({ DeliveryStreamName: `stream-${i}` })), lambdaContext(), dependencies(time, i + 1, answers)));

  await time.runUntil(() => answers.length === 200, 900_000);
  await Promise.all(runs);

  expect(answers.filter((a) => a.Status === 'SUCCESS')).toHaveLength(200);
  expect(new Set(answers.map((a) => a.PhysicalResourceId)).size).toBe(200);
  expect(firehose.commandCalls(StartDeliveryStreamEncryptionCommand)).toHaveLength(200);
  // The limit was really hit, yet the last handler answers within two minutes (the reads needed take about
  // 55 s at 10 per second), far inside the default timeout of 10 minutes.
  expect(fake.throttled).toBeGreaterThan(100);
  const lastAnswerSeconds = (Math.max(...answers.map((a) => a.at)) - T0) / 1000;
  expect(lastAnswerSeconds).toBeLessThan(120);
});

test('without contention, SUCCESS is signalled within about a second of ENABLED (plus the settle time)', async () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    firehose.reset();
    kms.reset();
    const time = new VirtualTime();
    const enableMs = 3_000 + seed * 1_337;
    const fake = new FakeFirehose(time, 1_000, () => enableMs);
    fake.install();
    const answers: Array<CloudFormationResponse & { at: number }> = [];
    const run = handleEvent(createEvent(), lambdaContext(), dependencies(time, seed, answers));
    await time.runUntil(() => answers.length === 1, 60_000);
    await run;
    expect(answers[0]).toMatchObject({ Status: 'SUCCESS', Data: { KeyArn: KEY_ARN } });
    // From ENABLED (the Start comes after the claim's read-back), less the settle time.
    const lag = answers[0].at - fake.enabledAt.get('orders')! - 5_000;
    expect(lag).toBeGreaterThanOrEqual(0);
    expect(lag).toBeLessThanOrEqual(1_000);
  }
});
