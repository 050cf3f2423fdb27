/**
 * Pacing under load, on a virtual clock: many handlers deploying at once
 * share one account's rates, as Firehose documents them per account:
 * `DescribeDeliveryStream` 10 a second, `StartDeliveryStreamEncryption`,
 * `TagDeliveryStream`, `UntagDeliveryStream` and `ListTagsForDeliveryStream` 5 a second each
 * (https://docs.aws.amazon.com/firehose/latest/APIReference/API_TagDeliveryStream.html,
 * https://docs.aws.amazon.com/firehose/latest/APIReference/API_UntagDeliveryStream.html,
 * https://docs.aws.amazon.com/firehose/latest/APIReference/API_ListTagsForDeliveryStream.html;
 * Describe's and Start's from the Firehose quotas page), answering
 * `LimitExceededException` above them; and must all finish in time.
 */
import {
  DescribeDeliveryStreamCommand,
  LimitExceededException,
  ListTagsForDeliveryStreamCommand,
  StartDeliveryStreamEncryptionCommand,
  TagDeliveryStreamCommand,
  UntagDeliveryStreamCommand,
} from '@aws-sdk/client-firehose';
import { DescribeKeyCommand } from '@aws-sdk/client-kms';
import { createEvent, described, enc, properties } from './firehose-helpers';
import { KEY_ARN, keyMetadata, lambdaContext, T0 } from './helpers';
import { firehose, kms } from './mocks';
import { clientCache } from '../../lambda/core/clients';
import { handleEvent, HandlerDependencies } from '../../lambda/core/handle-event';
import type { CloudFormationResponse } from '../../lambda/core/response';
import { STREAM_SERVICES } from '../../lambda/kinds';
import { COPY_TAG_PREFIX, OWNER_TAG_KEY } from '../../src/private/contract';
import { seededRandom } from '../../tools/bench/stats';

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

/** One operation's token bucket of one account: a call takes a token or is throttled. */
class RateLimit {
  throttled = 0;
  served = 0;
  private tokens: number;
  private refilledAt: number;

  constructor(private readonly time: VirtualTime, private readonly ratePerSecond: number) {
    this.tokens = ratePerSecond;
    this.refilledAt = time.now;
  }

  take(): void {
    this.tokens = Math.min(this.ratePerSecond, this.tokens + ((this.time.now - this.refilledAt) * this.ratePerSecond) / 1000);
    this.refilledAt = this.time.now;
    if (this.tokens < 1) {
      this.throttled++;
      throw new LimitExceededException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } });
    }
    this.tokens -= 1;
    this.served++;
  }
}

/**
 * A fake Firehose account: streams that go ENABLING → ENABLED some seconds after Start, tags kept per
 * stream (a tag written replaces the value of its key and leaves the other keys, an untag removes the
 * keys it names), behind the account's rate limits.
 */
class FakeFirehose {
  readonly enabledAt = new Map<string, number>();
  readonly tags = new Map<string, Map<string, string>>();
  readonly limits: Record<'describe' | 'start' | 'tag' | 'untag' | 'listTags', RateLimit>;

  constructor(
    private readonly time: VirtualTime,
    private readonly enableMs: (name: string) => number,
    rates: { describe: number; start: number; tag: number; listTags: number } = { describe: 10, start: 5, tag: 5, listTags: 5 },
  ) {
    this.limits = {
      describe: new RateLimit(time, rates.describe),
      start: new RateLimit(time, rates.start),
      tag: new RateLimit(time, rates.tag),
      untag: new RateLimit(time, rates.tag),
      listTags: new RateLimit(time, rates.listTags),
    };
  }

  /** The tags of a stream. */
  tagsOf(name: string): Map<string, string> {
    let tags = this.tags.get(name);
    if (!tags) {
      tags = new Map();
      this.tags.set(name, tags);
    }
    return tags;
  }

  /** Calls throttled, all operations. */
  get throttled(): number {
    return Object.values(this.limits).reduce((sum, limit) => sum + limit.throttled, 0);
  }

  install(): void {
    firehose.on(DescribeDeliveryStreamCommand).callsFake(async (input: { DeliveryStreamName: string }) => {
      this.limits.describe.take();
      const at = this.enabledAt.get(input.DeliveryStreamName);
      const encryption = at === undefined ? enc.disabled() : this.time.now >= at ? enc.enabled() : enc.enabling();
      return described(encryption, { DeliveryStreamName: input.DeliveryStreamName });
    });
    firehose.on(StartDeliveryStreamEncryptionCommand).callsFake(async (input: { DeliveryStreamName: string }) => {
      this.limits.start.take();
      this.enabledAt.set(input.DeliveryStreamName, this.time.now + this.enableMs(input.DeliveryStreamName));
      return {};
    });
    firehose.on(TagDeliveryStreamCommand).callsFake(async (input: { DeliveryStreamName: string; Tags: Array<{ Key: string; Value: string }> }) => {
      this.limits.tag.take();
      for (const { Key, Value } of input.Tags) {
        this.tagsOf(input.DeliveryStreamName).set(Key, Value);
      }
      return {};
    });
    firehose.on(UntagDeliveryStreamCommand).callsFake(async (input: { DeliveryStreamName: string; TagKeys: string[] }) => {
      this.limits.untag.take();
      for (const key of input.TagKeys) {
        this.tagsOf(input.DeliveryStreamName).delete(key);
      }
      return {};
    });
    firehose.on(ListTagsForDeliveryStreamCommand).callsFake(async (input: { DeliveryStreamName: string }) => {
      this.limits.listTags.take();
      return { Tags: [...this.tagsOf(input.DeliveryStreamName)].map(([Key, Value]) => ({ Key, Value })), HasMoreTags: false };
    });
    kms.on(DescribeKeyCommand).resolves(keyMetadata());
  }
}

/** Dependencies of one handler on the shared virtual clock. */
function dependencies(time: VirtualTime, seed: number, answers: Array<CloudFormationResponse & { at: number }>): HandlerDependencies {
  return {
    services: STREAM_SERVICES,
    clients: clientCache({ maxAttempts: 1, region: 'eu-west-1' }),
    now: () => time.now,
    sleep: time.sleep,
    random: seededRandom(seed),
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

/** `count` creates at once, each stream's ENABLING seeded 1–20 s; SettleSeconds 0. */
async function createsAtOnce(count: number) {
  const time = new VirtualTime();
  const random = seededRandom(20_261_206);
  const enabling = Array.from({ length: count }, () => 1_000 + Math.floor(random() * 19_000));
  const fake = new FakeFirehose(time, (name) => enabling[Number(name.slice(7))]);
  fake.install();
  const answers: Array<CloudFormationResponse & { at: number }> = [];
  const runs = Array.from({ length: count }, (_, i) =>
    handleEvent(createEvent(properties({ DeliveryStreamName: `stream-${i}`, SettleSeconds: '0' })), lambdaContext(), dependencies(time, i + 1, answers)));
  // Until every request is done: a request removes its claim tag after its answer.
  let done = 0;
  for (const run of runs) {
    void run.then(() => done++);
  }
  await time.runUntil(() => done === count, 900_000);
  await Promise.all(runs);
  return { fake, answers, lastAnswerSeconds: (Math.max(...answers.map((a) => a.at)) - T0) / 1000 };
}

test('200 creates at once under the account\'s limits: every one SUCCESS, one Start, one claim and one read-back each', async () => {
  const { fake, answers, lastAnswerSeconds } = await createsAtOnce(200);

  expect(answers.filter((a) => a.Status === 'SUCCESS')).toHaveLength(200);
  expect(new Set(answers.map((a) => a.PhysicalResourceId)).size).toBe(200);
  expect(fake.limits.start.served).toBe(200);
  // Streams found unencrypted: the owner tag is not read first, the claim is written once and read back
  // once, and the claim is the tag left after success (tag calls allow 5 a second per account).
  expect(fake.limits.tag.served).toBe(200);
  expect(fake.limits.listTags.served).toBe(200);
  expect([...fake.tags.values()].every((tags) => / prior=none claim=[0-9a-f]{8}$/.test(tags.get(OWNER_TAG_KEY) ?? ''))).toBe(true);
  // Each request's claim tag, written with its claim, is removed after its answer: none is left.
  expect(fake.limits.untag.served).toBe(200);
  expect([...fake.tags.values()].every((tags) => [...tags.keys()].every((key) => !key.startsWith(COPY_TAG_PREFIX)))).toBe(true);
  // Describes taken: the first reading, few polls (each request paces its Describes by the throttles it
  // meets, and a throttled request's readings of its change wait), and a reading after the claim only
  // for the requests whose first reading was old by the time they read their claim back: fewer than 3
  // a stream (about 3.2 when every request read the stream again after its claim).
  expect(fake.limits.describe.served).toBeLessThan(600);
  // The limits were really hit; requests pacing themselves by their throttles meet fewer of them (the
  // handler that retried on its own backoff alone, and read and wrote the tag twice, met about 3,900 here).
  expect(fake.limits.describe.throttled).toBeGreaterThan(100);
  expect(fake.throttled).toBeLessThan(2_300);
  // Virtual time: the Starts alone take 40 s at 5 a second, plus the last one's ENABLING; the last
  // answer comes well inside the default timeout of 10 minutes (118 s with the handler that retried on
  // its own backoff alone, 86 s with later readings of a change at the poll pace, 80 s when every
  // request read the stream again after its claim).
  expect(lastAnswerSeconds).toBeLessThan(70);
});

test('without contention, SUCCESS is signalled within about a second of ENABLED (plus the settle time)', async () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    firehose.reset();
    kms.reset();
    const time = new VirtualTime();
    const enableMs = 3_000 + seed * 1_337;
    const fake = new FakeFirehose(time, () => enableMs, { describe: 1_000, start: 1_000, tag: 1_000, listTags: 1_000 });
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
