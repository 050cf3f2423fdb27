/**
 * One Start for copies of one event delivered at once: the claim a Create
 * (or an Update to another stream) writes in the owner tag before its Start,
 * reads back, and follows when another copy's claim won.
 *
 * Lambda may deliver one event more than once: "Occasionally, your function
 * may receive the same event multiple times, even if no error occurs"
 * (https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html).
 */
import {
  DescribeDeliveryStreamCommand,
  InvalidArgumentException,
  ListTagsForDeliveryStreamCommand,
  StartDeliveryStreamEncryptionCommand,
  TagDeliveryStreamCommand,
  UntagDeliveryStreamCommand,
} from '@aws-sdk/client-firehose';
import { AddTagsToStreamCommand, ListTagsForStreamCommand } from '@aws-sdk/client-kinesis';
import { createEvent, described, enc, properties, updateEvent } from './firehose-helpers';
import {
  claimNonce,
  claimTagKey,
  CLIENT_ERROR_METADATA,
  EVENTS_SSE_OWNER,
  Harness,
  KEY_ARN,
  lambdaContext,
  ORDERS_SSE_OWNER,
  OTHER_KEY_ARN,
  STACK_ID,
  T0,
} from './helpers';
import { kinesisCreate, sse, summary } from './kinesis-helpers';
import { FIREHOSE_CLAIM, firehose, firehoseCalls, kinesis, kinesisCalls, kinesisReads, reads, resetMocks } from './mocks';
import { handleEvent } from '../../lambda/core/handle-event';
import { CLAIM_FOLLOW_MS, CLAIM_READ_BACK_AFTER_MS, COPY_TAG_KEEP_MS, ownerTagValue } from '../../lambda/core/ownership';
import {
  formatOwnerTag,
  MAX_OWNER_TAG_LENGTH,
  OWNER_TAG_KEY,
  ownerIdentity,
  parseOwnerTag,
  PRIOR_AWS_OWNED,
  PRIOR_NONE,
  PRIOR_UNKNOWN,
  sameOwner,
} from '../../src/private/contract';

/** The nonce of another copy of the request (the fixtures' copy has {@link claimNonce}()). */
const OTHER_NONCE = claimNonce(0.25);

/** The claim another copy of the Create of `OrdersSse` writes before its Start. */
const otherClaim = (prior: string): string => formatOwnerTag({ owner: ORDERS_SSE_OWNER, prior, claim: OTHER_NONCE });

/** The claim tag of this copy, and of the other copy, each written with its claim. */
const OWN_COPY = claimTagKey();
const OTHER_COPY = claimTagKey(0.25);

/**
 * The delivery stream's tags, kept as the tag calls leave them: a
 * TagDeliveryStream of a key that already exists replaces its value, other
 * keys are added beside it
 * (https://docs.aws.amazon.com/firehose/latest/APIReference/API_TagDeliveryStream.html),
 * UntagDeliveryStream removes the keys it names. `afterWrite` lets another
 * copy's claim land right after one of this copy's owner tag writes.
 */
class OwnerTagStore {
  value: string | undefined;
  /** The tags other than the owner tag, by key. */
  readonly others = new Map<string, string>();
  afterWrite?: (written: string) => string;
  /** Every value written, in order. */
  readonly written: string[] = [];
  /** When each write and each read happened, by the harness's clock. */
  readonly writtenAt: number[] = [];
  readonly readAt: number[] = [];
  /** The clock the times are read from. */
  readonly now: () => number;

  constructor(initial?: string, now: () => number = () => 0) {
    this.value = initial;
    this.now = now;
    firehose.on(ListTagsForDeliveryStreamCommand).callsFake(async () => (this.readAt.push(this.now()), {
      Tags: [...(this.value === undefined ? [] : [[OWNER_TAG_KEY, this.value]]), ...this.others].map(([Key, Value]) => ({ Key, Value })),
      HasMoreTags: false,
    }));
    firehose.on(TagDeliveryStreamCommand).callsFake(async (input: { Tags: Array<{ Key: string; Value: string }> }) => {
      for (const { Key, Value } of input.Tags) {
        if (Key !== OWNER_TAG_KEY) {
          this.others.set(Key, Value);
          continue;
        }
        this.written.push(Value);
        this.writtenAt.push(this.now());
        this.value = this.afterWrite ? this.afterWrite(Value) : Value;
      }
      return {};
    });
    firehose.on(UntagDeliveryStreamCommand).callsFake(async (input: { TagKeys: string[] }) => {
      for (const key of input.TagKeys) {
        if (key === OWNER_TAG_KEY) {
          this.value = undefined;
        }
        this.others.delete(key);
      }
      return {};
    });
  }
}

const { starts, names, untags } = firehoseCalls;

let h: Harness;
beforeEach(() => {
  resetMocks();
  h = new Harness();
});

describe('the claim in the owner tag value', () => {
  test('the nonce is 8 hex digits made from the clock\'s random()', () => {
    expect(claimNonce()).toMatch(/^[0-9a-f]{8}$/);
    expect(claimNonce(0)).toBe('00000000');
    expect(claimNonce(0.999_999_999_9)).toBe('ffffffff');
    expect(OTHER_NONCE).not.toBe(claimNonce());
  });

  test('formatOwnerTag and parseOwnerTag round-trip a claim, with or without a previous owner', () => {
    const claimed = { owner: ORDERS_SSE_OWNER, prior: PRIOR_NONE, claim: claimNonce() };
    expect(formatOwnerTag(claimed)).toBe(`${ORDERS_SSE_OWNER} prior=none claim=${claimNonce()}`);
    expect(parseOwnerTag(formatOwnerTag(claimed))).toEqual(claimed);
    const previous = ownerTagValue(STACK_ID, 'OrdersEncryption');
    const handedOver = { owner: ORDERS_SSE_OWNER, previous, prior: KEY_ARN, claim: claimNonce() };
    expect(parseOwnerTag(formatOwnerTag(handedOver))).toEqual({ ...handedOver, previous: ownerIdentity(previous) });
    // Fields are found by their names, in any order; a tag without a claim has none.
    expect(parseOwnerTag(`${ORDERS_SSE_OWNER} claim=${OTHER_NONCE} prior=none`)).toEqual({ owner: ORDERS_SSE_OWNER, prior: PRIOR_NONE, claim: OTHER_NONCE });
    expect(parseOwnerTag(formatOwnerTag({ owner: ORDERS_SSE_OWNER, prior: PRIOR_NONE }))).not.toHaveProperty('claim');
  });

  test('the longest owner, a previous owner, a key ARN as prior and a claim fit in 256 characters, each read back', () => {
    const longStack = `arn:aws:cloudformation:eu-west-1:123456789012:stack/${'S'.repeat(128)}/11111111-2222-3333-4444-555555555555`;
    const owner = ownerTagValue(longStack, 'L'.repeat(255));
    const previous = ownerTagValue(longStack, 'P'.repeat(255));
    expect(owner).toHaveLength(MAX_OWNER_TAG_LENGTH);
    const value = formatOwnerTag({ owner, previous, prior: OTHER_KEY_ARN, claim: claimNonce() });
    expect(value).toHaveLength(MAX_OWNER_TAG_LENGTH);
    const parsed = parseOwnerTag(value);
    expect(sameOwner(parsed?.owner, owner)).toBe(true);
    expect(parsed).toMatchObject({ previous: ownerIdentity(previous), prior: OTHER_KEY_ARN, claim: claimNonce() });
  });

  test('with a claim, the longest prior that still fits is kept whole; one character more is recorded unknown, the claim kept', () => {
    const previous = ownerTagValue(STACK_ID, 'OrdersEncryption');
    const claim = `claim=${claimNonce()}`;
    // The owner's identity (16), a space, the previous owner's identity, a space, `prior=`, the prior, a space, the claim.
    const fits = 'k'.repeat(MAX_OWNER_TAG_LENGTH - 16 - 1 - ownerIdentity(previous).length - 1 - 'prior='.length - 1 - claim.length);
    const value = formatOwnerTag({ owner: ORDERS_SSE_OWNER, previous, prior: fits, claim: claimNonce() });
    expect(value).toHaveLength(MAX_OWNER_TAG_LENGTH);
    const parsed = parseOwnerTag(value);
    expect(parsed).toEqual({ owner: ownerIdentity(ORDERS_SSE_OWNER), previous: ownerIdentity(previous), prior: fits, claim: claimNonce() });
    const tooLong = parseOwnerTag(formatOwnerTag({ owner: ORDERS_SSE_OWNER, previous, prior: `${fits}k`, claim: claimNonce() }));
    expect(tooLong).toMatchObject({ prior: PRIOR_UNKNOWN, claim: claimNonce() });
    expect(sameOwner(tooLong?.owner, ORDERS_SSE_OWNER)).toBe(true);
  });
});

describe('a copy that claims a free stream', () => {
  test('its own claim read back a second after writing it, no other copy\'s tag: one Start at once; the claim is the tag after success', async () => {
    const tags = new OwnerTagStore(undefined, () => h.clock.now());
    reads(described(enc.disabled()), described(enc.enabling()), described(enc.enabled()));
    const answer = await h.run(createEvent());
    expect(answer).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'firehose:orders#prior=none' });
    expect(starts()).toBe(1);
    // Alone, on a reading sent a second before the read-back: no second reading before the Start.
    expect(names().slice(0, 4)).toEqual(['DescribeDeliveryStreamCommand', 'TagDeliveryStreamCommand', 'ListTagsForDeliveryStreamCommand', 'StartDeliveryStreamEncryptionCommand']);
    expect(firehose.commandCalls(TagDeliveryStreamCommand)[0].args[0].input.Tags?.map((tag) => tag.Key)).toEqual([OWNER_TAG_KEY, OWN_COPY]);
    // This copy's claim tag goes once the answer is sent, the owner tag stays.
    expect(names().at(-1)).toBe('UntagDeliveryStreamCommand');
    expect(firehose.commandCalls(UntagDeliveryStreamCommand)[0].args[0].input.TagKeys).toEqual([OWN_COPY]);
    expect(tags.others.size).toBe(0);
    // A copy writing its claim within that second is read back instead (the last claim written wins).
    expect(CLAIM_READ_BACK_AFTER_MS).toBe(1_000);
    expect(tags.readAt[0] - tags.writtenAt[0]).toBeGreaterThanOrEqual(CLAIM_READ_BACK_AFTER_MS);
    // Written once: the claim already names this resource and the prior; tag calls allow 5 a second per account.
    expect(tags.written).toEqual([`${ORDERS_SSE_OWNER} prior=none claim=${claimNonce()}`]);
    expect(parseOwnerTag(tags.value)).toEqual({ owner: ORDERS_SSE_OWNER, prior: PRIOR_NONE, claim: claimNonce() });
  });

  test('first read unencrypted, another copy\'s claim in the tag (not read): this copy\'s claim replaces it and, read back, wins: one Start', async () => {
    // The other copy reads this claim back in its turn, and follows. Its claim tag is seen: this copy reads the stream again first.
    const tags = new OwnerTagStore(otherClaim(PRIOR_NONE));
    tags.others.set(OTHER_COPY, otherClaim(PRIOR_NONE));
    reads(described(enc.disabled()), described(enc.disabled()), described(enc.enabled()));
    expect(await h.run(createEvent())).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'firehose:orders#prior=none' });
    expect(starts()).toBe(1);
    expect(names()).toEqual([...FIREHOSE_CLAIM, 'StartDeliveryStreamEncryptionCommand', 'DescribeDeliveryStreamCommand', 'UntagDeliveryStreamCommand']);
    expect(tags.value).toBe(`${ORDERS_SSE_OWNER} prior=none claim=${claimNonce()}`);
  });

  test('the read-back shows another copy\'s nonce: no Start, waits for that copy\'s, SUCCESS once ENABLED with the other copy\'s prior', async () => {
    // This copy's first reading tells no prior (a failed state); the other copy read the stream before, DISABLED.
    const tags = new OwnerTagStore();
    tags.afterWrite = (written) => (written.includes(`claim=${claimNonce()}`) ? otherClaim(PRIOR_NONE) : written);
    reads(described(enc.enablingFailed()), described(enc.enabling()), described(enc.enabling()), described(enc.enabled()));
    const answer = await h.run(createEvent());
    expect(answer).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'firehose:orders#prior=none' });
    expect(starts()).toBe(0);
    expect(names()).toEqual([
      'DescribeDeliveryStreamCommand',
      'ListTagsForDeliveryStreamCommand',
      // prior unknown: the tag read again before claiming
      'ListTagsForDeliveryStreamCommand',
      'TagDeliveryStreamCommand',
      'ListTagsForDeliveryStreamCommand',
      'DescribeDeliveryStreamCommand',
      'DescribeDeliveryStreamCommand',
      'DescribeDeliveryStreamCommand',
      'TagDeliveryStreamCommand',
      // this copy's claim tag, with no Start of its own: at once after the answer
      'UntagDeliveryStreamCommand',
    ]);
    // This copy's claim said unknown; the tag after success records the other copy's prior, and no claim.
    expect(tags.written).toEqual([`${ORDERS_SSE_OWNER} prior=unknown claim=${claimNonce()}`, `${ORDERS_SSE_OWNER} prior=none`]);
    expect(h.clock.sleeps.at(-1)).toBe(5_000);
    expect(h.records().find((r) => r.action === 'owner' && r.claim === OTHER_NONCE)).toMatchObject({
      level: 'info',
      decision: 'another copy of this request claimed the stream: waiting for its Start',
    });
  });

  test('another copy\'s claim tag seen, the reading after the claim shows ENABLING (that copy started in between): no Start, SUCCESS once ENABLED', async () => {
    const tags = new OwnerTagStore();
    tags.others.set(OTHER_COPY, otherClaim(PRIOR_NONE));
    reads(described(enc.disabled()), described(enc.enabling()), described(enc.enabled()));
    const answer = await h.run(createEvent());
    expect(answer).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'firehose:orders#prior=none' });
    expect(starts()).toBe(0);
    expect(names()).toEqual([
      ...FIREHOSE_CLAIM,
      'DescribeDeliveryStreamCommand',
      'UntagDeliveryStreamCommand',
    ]);
    expect(tags.value).toBe(`${ORDERS_SSE_OWNER} prior=none claim=${claimNonce()}`);
    expect([...tags.others.keys()]).toEqual([OTHER_COPY]);
  });

  test('alone, but the reading that decided the Start was sent COPY_TAG_KEEP_MS (5 s) or more before the read-back: the stream is read again first', async () => {
    // A copy whose Start that reading missed may have removed its claim tag since: it keeps it that long after its Start.
    expect(COPY_TAG_KEEP_MS).toBe(5_000);
    const tags = new OwnerTagStore();
    // The claim's TagDeliveryStream is answered 4 s after it is sent (throttled, say).
    tags.afterWrite = (written) => {
      h.clock.time += COPY_TAG_KEEP_MS - CLAIM_READ_BACK_AFTER_MS;
      return written;
    };
    reads(described(enc.disabled()), described(enc.enabling()), described(enc.enabled()));
    const answer = await h.run(createEvent());
    expect(answer).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'firehose:orders#prior=none' });
    expect(starts()).toBe(0);
    expect(names()).toEqual([...FIREHOSE_CLAIM, 'DescribeDeliveryStreamCommand', 'UntagDeliveryStreamCommand']);
  });

  test('a copy that Started keeps its claim tag COPY_TAG_KEEP_MS after the Start\'s answer, removing it after its own answer', async () => {
    const tags = new OwnerTagStore(undefined, () => h.clock.now());
    let startedAt = 0;
    let untaggedAt = 0;
    firehose.on(StartDeliveryStreamEncryptionCommand).callsFake(async () => (startedAt = h.clock.now(), {}));
    firehose.on(UntagDeliveryStreamCommand).callsFake(async () => (untaggedAt = h.clock.now(), tags.others.clear(), {}));
    reads(described(enc.disabled()), described(enc.enabled()));
    await h.run(createEvent(properties({ SettleSeconds: '0' })));
    expect(starts()).toBe(1);
    const answeredAt = h.answers[0].sentAt;
    expect(answeredAt - startedAt).toBeLessThan(COPY_TAG_KEEP_MS);
    expect(untaggedAt - startedAt).toBeGreaterThanOrEqual(COPY_TAG_KEEP_MS);
    expect(untaggedAt).toBeGreaterThan(answeredAt);
  });

  test('a copy that Started and has no time left to keep its claim tag that long leaves it on', async () => {
    const tags = new OwnerTagStore(undefined, () => h.clock.now());
    reads(described(enc.disabled()), described(enc.enabled()));
    // 5 s left in all: the answer comes about 1.5 s in, the claim tag would have to stay until 6.5 s.
    await h.run(createEvent(properties({ SettleSeconds: '0' })), lambdaContext(5_000));
    expect(h.answers[0].body.Status).toBe('SUCCESS');
    expect(untags()).toBe(0);
    expect([...tags.others.keys()]).toEqual([OWN_COPY]);
    expect(h.elapsed()).toBe(h.answeredAfter());
  });

  test('alone, a Start that fails at once: the claim and this copy\'s claim tag are removed', async () => {
    const tags = new OwnerTagStore();
    reads(described(enc.disabled()));
    firehose.on(StartDeliveryStreamEncryptionCommand).rejects(new InvalidArgumentException({ message: 'bad request', ...CLIENT_ERROR_METADATA }));
    const answer = await h.run(createEvent());
    expect(answer).toMatchObject({ Status: 'FAILED', PhysicalResourceId: 'firehose:orders#not-started' });
    expect(starts()).toBe(1);
    expect(tags.written).toEqual([`${ORDERS_SSE_OWNER} prior=none claim=${claimNonce()}`]);
    expect(tags.value).toBeUndefined();
    expect(firehose.commandCalls(UntagDeliveryStreamCommand).map((call) => call.args[0].input.TagKeys)).toEqual([[OWNER_TAG_KEY, OWN_COPY]]);
    expect(tags.others.size).toBe(0);
  });
});

describe('a copy that finds another copy\'s claim in the tag it first reads', () => {
  test('follows without writing: no claim, no Start, SUCCESS once ENABLED, the other copy\'s prior recorded', async () => {
    const tags = new OwnerTagStore(otherClaim(PRIOR_AWS_OWNED));
    // The other copy claimed the stream but had not started yet when this copy first read it.
    reads(described(enc.awsOwned()), described(enc.awsOwned()), described(enc.enabling()), described(enc.enabled()));
    const answer = await h.run(createEvent());
    expect(answer).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'firehose:orders#prior=AWS_OWNED_CMK' });
    expect(starts()).toBe(0);
    // No second reading of the tag, no claim: the only write is the tag after success, without a claim.
    expect(names()).toEqual([
      'DescribeDeliveryStreamCommand',
      'ListTagsForDeliveryStreamCommand',
      'DescribeDeliveryStreamCommand',
      'DescribeDeliveryStreamCommand',
      'DescribeDeliveryStreamCommand',
      'TagDeliveryStreamCommand',
    ]);
    expect(tags.written).toEqual([`${ORDERS_SSE_OWNER} prior=AWS_OWNED_CMK`]);
  });

  test('the other copy never starts: this copy Starts itself once CLAIM_FOLLOW_MS (10 s) have passed', async () => {
    expect(CLAIM_FOLLOW_MS).toBe(10_000);
    // First read with the AWS owned key (so the tag is read), claimed by the other copy.
    const tags = new OwnerTagStore(otherClaim(PRIOR_AWS_OWNED));
    let startedAt: number | undefined;
    firehose.on(StartDeliveryStreamEncryptionCommand).callsFake(async () => {
      startedAt = h.clock.now();
      return {};
    });
    firehose.on(DescribeDeliveryStreamCommand).callsFake(async () => described(startedAt === undefined ? enc.awsOwned() : enc.enabled()));
    const answer = await h.run(createEvent());
    expect(answer).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'firehose:orders#prior=AWS_OWNED_CMK' });
    expect(starts()).toBe(1);
    // Not before the 10 s, and within a poll (at most a second) after them.
    expect(startedAt! - T0).toBeGreaterThanOrEqual(CLAIM_FOLLOW_MS);
    expect(startedAt! - T0).toBeLessThanOrEqual(CLAIM_FOLLOW_MS + 1_000);
    // It kept reading the stream meanwhile, and wrote no claim of its own.
    expect(firehose.commandCalls(DescribeDeliveryStreamCommand).length).toBeGreaterThan(5);
    expect(tags.written).toEqual([`${ORDERS_SSE_OWNER} prior=AWS_OWNED_CMK`]);
    expect(h.records().find((r) => r.level === 'warn' && r.action === 'owner')).toMatchObject({
      decision: `the other copy made no Start in ${CLAIM_FOLLOW_MS} ms: starting`,
    });
  });

  // The settle time follows ENABLED however this copy came to see it: records written in the first seconds
  // after may still be unencrypted, and CloudFormation takes whichever copy's answer comes first.
  test('the other copy\'s Start not seen in transit (DISABLED, then ENABLED): SUCCESS after the settle time all the same', async () => {
    new OwnerTagStore(otherClaim(PRIOR_NONE)).others.set(OTHER_COPY, otherClaim(PRIOR_NONE));
    reads(described(enc.disabled()), described(enc.enabled()));
    const answer = await h.run(createEvent());
    expect(answer).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'firehose:orders#prior=none' });
    expect(starts()).toBe(0);
    expect(h.sleepsToAnswer().at(-1)).toBe(5_000);
    expect(h.records().find((r) => r.action === 'settle')).toMatchObject({ settleMs: 5_000 });
  });

  test('a tag that names this resource with a prior but no claim (written after a success) is not followed', async () => {
    // First read with the AWS owned key (so the tag is read): someone changed it since this resource's success.
    const tags = new OwnerTagStore(formatOwnerTag({ owner: ORDERS_SSE_OWNER, prior: PRIOR_NONE }));
    reads(described(enc.awsOwned()), described(enc.awsOwned()), described(enc.enabled()));
    expect((await h.run(createEvent())).Status).toBe('SUCCESS');
    // Not a free stream, and no copy's claim: Start at once, as before claims, keeping the tag's prior.
    expect(starts()).toBe(1);
    expect(tags.written).toEqual([`${ORDERS_SSE_OWNER} prior=none`]);
  });
});

describe('an Update to another stream takes it as a Create does', () => {
  test('the read-back shows another copy\'s nonce: no Start on the new stream', async () => {
    const payments = (encryption: Parameters<typeof described>[0]) => described(encryption, { DeliveryStreamName: 'payments' });
    const tags = new OwnerTagStore();
    tags.afterWrite = (written) => (written.includes(`claim=${claimNonce()}`) ? otherClaim(PRIOR_NONE) : written);
    reads(payments(enc.disabled()), payments(enc.enabling()), payments(enc.enabled()));
    const answer = await h.run(updateEvent(properties({ DeliveryStreamName: 'payments' }), properties()));
    expect(answer).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'firehose:payments#prior=none' });
    expect(starts()).toBe(0);
    expect(tags.value).toBe(`${ORDERS_SSE_OWNER} prior=none`);
  });
});

describe('two copies of one Create delivered at once', () => {
  test('one Start in all, and both answer SUCCESS with the same physical id', async () => {
    const tags = new OwnerTagStore();
    // A stream that goes ENABLING at the Start, and ENABLED two readings later.
    let readingsSinceStart: number | undefined;
    firehose.on(StartDeliveryStreamEncryptionCommand).callsFake(async () => {
      readingsSinceStart = 0;
      return {};
    });
    firehose.on(DescribeDeliveryStreamCommand).callsFake(async () => {
      if (readingsSinceStart === undefined) {
        return described(enc.disabled());
      }
      return described(readingsSinceStart++ < 2 ? enc.enabling() : enc.enabled());
    });
    const other = new Harness();
    other.clock.randomValue = 0.25;
    await Promise.all([handleEvent(createEvent(), lambdaContext(), h.deps), handleEvent(createEvent(), lambdaContext(), other.deps)]);
    const answers = [...h.answers, ...other.answers].map((answer) => answer.body);
    expect(answers.map((a) => [a.Status, a.PhysicalResourceId])).toEqual([
      ['SUCCESS', 'firehose:orders#prior=none'],
      ['SUCCESS', 'firehose:orders#prior=none'],
    ]);
    expect(starts()).toBe(1);
    // Both claims were written; the tag ends without one.
    expect(tags.written.filter((value) => value.includes('claim='))).toHaveLength(2);
    expect(tags.value).toBe(`${ORDERS_SSE_OWNER} prior=none`);
  });
});

describe('Kinesis', () => {
  test('the read-back shows another copy\'s nonce (AddTagsToStream, then ListTagsForStream): no Start, SUCCESS once the stream has the key', async () => {
    // AddTagsToStream "overwrites any existing tags that correspond to the specified tag keys"
    // (https://docs.aws.amazon.com/kinesis/latest/APIReference/API_AddTagsToStream.html): the last claim written wins.
    const other = formatOwnerTag({ owner: EVENTS_SSE_OWNER, prior: PRIOR_NONE, claim: OTHER_NONCE });
    let value: string | undefined;
    kinesis.on(ListTagsForStreamCommand).callsFake(async () => ({
      Tags: value === undefined ? [] : [{ Key: OWNER_TAG_KEY, Value: value }],
      HasMoreTags: false,
    }));
    kinesis.on(AddTagsToStreamCommand).callsFake(async (input: { Tags: Record<string, string> }) => {
      const written = input.Tags[OWNER_TAG_KEY];
      value = written.includes(`claim=${claimNonce()}`) ? other : written;
      return {};
    });
    kinesisReads(summary(sse.none()), summary(sse.kms(), 'UPDATING'), summary(sse.kms()));
    const answer = await h.run(kinesisCreate());
    expect(answer).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'kinesis:events#prior=none' });
    expect(kinesisCalls.starts()).toBe(0);
    expect(kinesis.commandCalls(AddTagsToStreamCommand).map((c) => c.args[0].input.Tags?.[OWNER_TAG_KEY])).toEqual([
      `${EVENTS_SSE_OWNER} prior=none claim=${claimNonce()}`,
      `${EVENTS_SSE_OWNER} prior=none`,
    ]);
    expect(value).toBe(`${EVENTS_SSE_OWNER} prior=none`);
  });

  test('the reading after the claim already ACTIVE with the key (another copy\'s Start done in between): SUCCESS after the settle time', async () => {
    kinesisReads(summary(sse.none()), summary(sse.kms()));
    const answer = await h.run(kinesisCreate());
    expect(answer).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'kinesis:events#prior=none' });
    expect(kinesisCalls.starts()).toBe(0);
    expect(h.clock.sleeps.at(-1)).toBe(5_000);
  });
});
