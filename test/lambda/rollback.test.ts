/**
 * Every stream as it was before a failed operation: the prior state recorded
 * in the physical id and restored by Delete, the owner tag with a previous
 * owner handed back on a rename's rollback and clean-up, and a failed Update
 * to another stream undoing itself. Firehose and Kinesis alike.
 */
import {
  LimitExceededException as FirehoseLimitExceeded,
  ListTagsForDeliveryStreamCommand,
  StartDeliveryStreamEncryptionCommand,
  StopDeliveryStreamEncryptionCommand,
  TagDeliveryStreamCommand,
} from '@aws-sdk/client-firehose';
import {
  AddTagsToStreamCommand,
  ListTagsForStreamCommand,
  RemoveTagsFromStreamCommand,
  StartStreamEncryptionCommand,
  StopStreamEncryptionCommand,
} from '@aws-sdk/client-kinesis';
import { awsOwnedProperties, createEvent, deleteEvent, described, enc, properties, updateEvent } from './firehose-helpers';
import {
  claimNonce,
  claimTagKey,
  CLIENT_ERROR_METADATA,
  EVENTS_SSE_OWNER,
  Harness,
  KEY_ARN,
  ORDERS_ENCRYPTION_OWNER,
  ORDERS_SSE_OWNER,
  OTHER_KEY_ARN,
  RESPONSE_URL,
  STACK_ID,
  withLogicalId,
} from './helpers';
import { kinesisCreate, kinesisDelete, kinesisProperties, kinesisUpdate, MANAGED, sse, summary } from './kinesis-helpers';
import { firehose, firehoseCalls, kinesis, kinesisReads, kms, names, reads, resetMocks } from './mocks';
import { ownerTagValue } from '../../lambda/core/ownership';
import {
  formatOwnerTag,
  MAX_OWNER_TAG_LENGTH,
  OWNER_TAG_KEY,
  ownerIdentity,
  parseOwnerTag,
  parsePhysicalId,
  PRIOR_AWS_OWNED,
  PRIOR_NONE,
  PRIOR_UNKNOWN,
  sameOwner,
  withPrior,
} from '../../src/private/contract';

/** A prior state as the owner tag writes it: `:` as `%3A` (tag values have no colon). */
const inTag = (prior: string): string => prior.replace(/:/g, '%3A');

/** The fixtures' delivery stream resource (`OrdersSse`): X. */
const X = ORDERS_SSE_OWNER;
/** The same stream's resource after a rename (`OrdersEncryption`): Y. */
const Y = ORDERS_ENCRYPTION_OWNER;

/** A page of tags with this owner tag value (`undefined`: none). */
function tagged(value?: string): { Tags: Array<{ Key: string; Value: string }>; HasMoreTags: boolean } {
  return { Tags: value === undefined ? [] : [{ Key: OWNER_TAG_KEY, Value: value }], HasMoreTags: false };
}

const { starts, stops, startInputs, tagValues, untags, untagKeys } = firehoseCalls;

let h: Harness;
beforeEach(() => {
  resetMocks();
  h = new Harness();
});

describe('the encodings of the contract', () => {
  test('a physical id records the prior state after the stream id, and every older form still parses', () => {
    expect(withPrior('firehose:orders', 'none')).toBe('firehose:orders#prior=none');
    expect(parsePhysicalId(`firehose:orders#prior=${KEY_ARN}`)).toEqual({ base: 'firehose:orders', prior: KEY_ARN, notStarted: false });
    expect(parsePhysicalId('firehose:orders')).toEqual({ base: 'firehose:orders', notStarted: false });
    expect(parsePhysicalId('firehose:orders#not-started')).toEqual({ base: 'firehose:orders', notStarted: true });
    expect(parsePhysicalId('kinesis:events#prior=')).toEqual({ base: 'kinesis:events', notStarted: false });
  });

  test('the owner tag: `<owner>` or `<owner> <previous owner>`, both within 256 characters, owners compared by their hash', () => {
    expect(formatOwnerTag({ owner: X })).toBe(X);
    expect(formatOwnerTag({ owner: Y, previous: X })).toBe(`${Y} ${ownerIdentity(X)}`);
    expect(parseOwnerTag(`${Y} ${ownerIdentity(X)}`)).toEqual({ owner: Y, previous: ownerIdentity(X) });
    expect(parseOwnerTag(X)).toEqual({ owner: X });
    expect(parseOwnerTag('')).toBeUndefined();
    const long = ownerTagValue(STACK_ID, 'L'.repeat(255));
    const both = formatOwnerTag({ owner: long, previous: X });
    expect(both).toHaveLength(256);
    expect(sameOwner(parseOwnerTag(both)?.owner, long)).toBe(true);
    expect(sameOwner(parseOwnerTag(both)?.previous, X)).toBe(true);
    expect(sameOwner(X, Y)).toBe(false);
  });
});

describe('the owner tag records the prior state: `<owner>[ <previous owner>][ prior=<prior>]`', () => {
  test.each([
    ['no encryption', PRIOR_NONE],
    ['the AWS owned key', PRIOR_AWS_OWNED],
    ['a key ARN', KEY_ARN],
    ['a key id', '1234abcd-12ab-34cd-56ef-1234567890ab'],
    ['the Kinesis managed key', MANAGED],
    ['unknown', PRIOR_UNKNOWN],
  ])('round trip, with and without a previous owner: %s', (_name, prior) => {
    expect(formatOwnerTag({ owner: X, prior })).toBe(`${X} prior=${inTag(prior)}`);
    expect(parseOwnerTag(formatOwnerTag({ owner: X, prior }))).toEqual({ owner: X, prior });
    expect(formatOwnerTag({ owner: Y, previous: X, prior })).toBe(`${Y} ${ownerIdentity(X)} prior=${inTag(prior)}`);
    expect(parseOwnerTag(formatOwnerTag({ owner: Y, previous: X, prior }))).toEqual({ owner: Y, previous: ownerIdentity(X), prior });
  });

  test('the values of older versions still parse, without a prior state', () => {
    expect(parseOwnerTag(X)).toEqual({ owner: X });
    expect(parseOwnerTag(`${Y} ${ownerIdentity(X)}`)).toEqual({ owner: Y, previous: ownerIdentity(X) });
    expect(parseOwnerTag(` ${Y}   ${ownerIdentity(X)} `)).toEqual({ owner: Y, previous: ownerIdentity(X) });
    // An empty prior field counts as none recorded.
    expect(parseOwnerTag(`${X} prior=`)).toEqual({ owner: X });
    expect(parseOwnerTag('prior=none')).toBeUndefined();
  });

  test('a long owner is cut so that every field fits in 256 characters', () => {
    const long = ownerTagValue(STACK_ID, 'L'.repeat(255));
    const tags = [{ owner: long, prior: KEY_ARN }, { owner: long, previous: X, prior: KEY_ARN }, { owner: long, previous: X, prior: PRIOR_NONE }];
    for (const tag of tags) {
      const value = formatOwnerTag(tag);
      expect(value).toHaveLength(MAX_OWNER_TAG_LENGTH);
      const parsed = parseOwnerTag(value);
      expect(sameOwner(parsed?.owner, long)).toBe(true);
      expect(parsed?.prior).toBe(tag.prior);
      expect(parsed?.previous).toBe(tag.previous === undefined ? undefined : ownerIdentity(tag.previous));
    }
  });

  test('a prior state too long to fit beside the owner\'s identity is recorded unknown; the owner\'s identity survives', () => {
    const tooLong = `arn:aws:kms:eu-west-1:123456789012:key/${'k'.repeat(230)}`;
    for (const tag of [{ owner: X, prior: tooLong }, { owner: Y, previous: X, prior: tooLong }]) {
      const value = formatOwnerTag(tag);
      expect(value.length).toBeLessThanOrEqual(MAX_OWNER_TAG_LENGTH);
      const parsed = parseOwnerTag(value);
      expect(parsed?.prior).toBe(PRIOR_UNKNOWN);
      expect(sameOwner(parsed?.owner, tag.owner)).toBe(true);
    }
    // The longest prior that still fits beside the identity and a previous owner is kept whole.
    const previous = ownerIdentity(X);
    const fits = 'k'.repeat(MAX_OWNER_TAG_LENGTH - 16 - 1 - previous.length - 1 - 'prior='.length);
    const value = formatOwnerTag({ owner: Y, previous: X, prior: fits });
    expect(value).toHaveLength(MAX_OWNER_TAG_LENGTH);
    expect(parseOwnerTag(value)).toEqual({ owner: ownerIdentity(Y), previous, prior: fits });
    expect(parseOwnerTag(formatOwnerTag({ owner: Y, previous: X, prior: `${fits}k` }))?.prior).toBe(PRIOR_UNKNOWN);
  });
});

describe('a failed Create on a stream already encrypted, and its rollback Delete', () => {
  test('AWS owned key, ENABLING_FAILED: the id records AWS_OWNED_CMK; the rollback leaves the stream encrypted as before, no Stop', async () => {
    const awsOwned = described(enc.awsOwned());
    reads(awsOwned, awsOwned, described(enc.enabling()), described(enc.enabling()), described(enc.enablingFailed()));
    const created = await h.run(createEvent());
    expect(created).toMatchObject({ Status: 'FAILED', PhysicalResourceId: 'firehose:orders#prior=AWS_OWNED_CMK' });
    expect(created.Reason).toMatch(/^ENABLING_FAILED: /);
    // The claim written before the Start stays: the Start was taken.
    const claim = `${X} prior=AWS_OWNED_CMK claim=${claimNonce()}`;
    expect(tagValues()).toEqual([claim]);
    // Only this copy's claim tag goes, once the answer is sent.
    expect(untagKeys()).toEqual([claimTagKey()]);

    // Firehose keeps the old key after ENABLING_FAILED: the rollback puts the AWS owned key back, then removes the claim.
    firehose.resetHistory();
    firehose.on(ListTagsForDeliveryStreamCommand).resolves(tagged(claim));
    reads(described(enc.enablingFailed()), described({ Status: 'ENABLING', KeyType: 'AWS_OWNED_CMK' }), described(enc.awsOwned()));
    const deleted = await h.run(deleteEvent(properties(), created.PhysicalResourceId));
    expect(deleted.Status).toBe('SUCCESS');
    expect(stops()).toBe(0);
    expect(startInputs().map((input) => input.DeliveryStreamEncryptionConfigurationInput)).toEqual([{ KeyType: 'AWS_OWNED_CMK' }]);
    expect(deleted.Data).toMatchObject({ EncryptionStatus: 'ENABLED' });
    expect(h.records().find((r) => r.action === 'restore')).toBeDefined();
    expect(untags()).toBe(1);
  });

  test('the rollback of a stream still ENABLED with its old key: no Start, no Stop, no pre-flight of that key', async () => {
    reads(described(enc.enabled(OTHER_KEY_ARN)));
    const deleted = await h.run(deleteEvent(properties(), withPrior('firehose:orders', OTHER_KEY_ARN)));
    expect(deleted.Status).toBe('SUCCESS');
    expect([starts(), stops(), kms.calls().length]).toEqual([0, 0, 0]);
  });

  test('another key, Start throttled until the deadline: the id records that key; the rollback finds it and leaves it', async () => {
    reads(described(enc.enabled(OTHER_KEY_ARN)));
    firehose.on(StartDeliveryStreamEncryptionCommand).rejects(awsError429());
    const created = await h.run(createEvent(properties({ TimeoutSeconds: '60' })));
    expect(created).toMatchObject({ Status: 'FAILED', PhysicalResourceId: `firehose:orders#prior=${OTHER_KEY_ARN}` });
    expect(created.Reason).toMatch(/^THROTTLED: /);

    firehose.resetHistory();
    const deleted = await h.run(deleteEvent(properties(), created.PhysicalResourceId));
    expect(deleted.Status).toBe('SUCCESS');
    expect([starts(), stops()]).toEqual([0, 0]);
  });

  test('the rollback of a Create whose key change ended ENABLING_FAILED (Firehose kept the old key): no Start, no Stop', async () => {
    reads(described({ ...enc.enablingFailed(), KeyARN: OTHER_KEY_ARN }));
    const deleted = await h.run(deleteEvent(properties(), withPrior('firehose:orders', OTHER_KEY_ARN)));
    expect(deleted.Status).toBe('SUCCESS');
    expect([starts(), stops(), kms.calls().length]).toEqual([0, 0, 0]);
  });

  test('the rollback of a stream that had no encryption: Stop, as before', async () => {
    reads(described(enc.enablingFailed()), described(enc.disabled()));
    const deleted = await h.run(deleteEvent(properties(), 'firehose:orders#prior=none'));
    expect(deleted.Status).toBe('SUCCESS');
    expect([starts(), stops()]).toEqual([0, 1]);
  });

  test('a Delete with an id of an older version (no prior state): Stop, as before', async () => {
    firehose.on(ListTagsForDeliveryStreamCommand).resolves(tagged(X));
    reads(described(enc.enabled()), described(enc.disabled()));
    expect((await h.run(deleteEvent())).Status).toBe('SUCCESS');
    expect([starts(), stops(), untags()]).toEqual([0, 1, 1]);
  });

  test('putting the old key back: Start with it, then untag', async () => {
    firehose.on(ListTagsForDeliveryStreamCommand).resolves(tagged(X));
    reads(described(enc.enabled()), described(enc.enabling(OTHER_KEY_ARN)), described(enc.enabled(OTHER_KEY_ARN)));
    const deleted = await h.run(deleteEvent(properties(), withPrior('firehose:orders', OTHER_KEY_ARN)));
    expect(deleted.Status).toBe('SUCCESS');
    expect(startInputs().map((input) => input.DeliveryStreamEncryptionConfigurationInput))
      .toEqual([{ KeyType: 'CUSTOMER_MANAGED_CMK', KeyARN: OTHER_KEY_ARN }]);
    expect([stops(), untags()]).toEqual([0, 1]);
  });

  test('a stream DELETING_FAILED when its key should be put back: FAILED at once', async () => {
    reads(described(enc.enabled(), { DeliveryStreamStatus: 'DELETING_FAILED' }));
    const deleted = await h.run(deleteEvent(properties(), withPrior('firehose:orders', OTHER_KEY_ARN)));
    expect(deleted.Status).toBe('FAILED');
    expect(deleted.Reason).toMatch(/^STREAM_DELETING_FAILED: /);
    expect(starts()).toBe(0);
  });

  test('a Create on a stream another resource manages, whose tag records no prior state: the prior state is unknown', async () => {
    firehose.on(ListTagsForDeliveryStreamCommand).resolves(tagged(Y));
    reads(described(enc.enabled()));
    const created = await h.run(createEvent());
    // The stream's encryption as read is the other resource's, not the one before it.
    expect(created).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'firehose:orders#prior=unknown' });
    expect(tagValues()).toEqual([`${X} ${ownerIdentity(Y)} prior=unknown`]);
  });

  test('a Create on a stream another resource manages takes the prior state its tag records', async () => {
    firehose.on(ListTagsForDeliveryStreamCommand).resolves(tagged(formatOwnerTag({ owner: Y, prior: PRIOR_NONE })));
    reads(described(enc.enabled()));
    const created = await h.run(createEvent());
    expect(created).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'firehose:orders#prior=none' });
    expect(tagValues()).toEqual([`${X} ${ownerIdentity(Y)} prior=none`]);
    expect(starts()).toBe(0);
  });
});

describe('a Delete puts back the prior state the owner tag records, else the one the id records; unknown leaves the encryption on', () => {
  test('id `#prior=unknown`, no owner tag: one Describe, no Stop, SUCCESS saying the encryption was left on', async () => {
    reads(described(enc.enabled()));
    const deleted = await h.run(deleteEvent(properties(), 'firehose:orders#prior=unknown'));
    expect(deleted).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'firehose:orders#prior=unknown' });
    expect(deleted.Reason).toMatch(/^Delivery stream orders: its encryption before this resource took it is unknown; encryption left on \(stream ACTIVE, encryption ENABLED/);
    expect(names(firehose)).toEqual(['ListTagsForDeliveryStreamCommand', 'DescribeDeliveryStreamCommand']);
    expect(h.records().find((r) => r.action === 'restore')).toMatchObject({ level: 'warn', prior: PRIOR_UNKNOWN });
  });

  test('the tag names this resource alone with `prior=unknown`, the id `#prior=none`: the tag wins, no Stop, the tag removed', async () => {
    firehose.on(ListTagsForDeliveryStreamCommand).resolves(tagged(formatOwnerTag({ owner: X, prior: PRIOR_UNKNOWN })));
    reads(described(enc.enabled()));
    const deleted = await h.run(deleteEvent(properties(), 'firehose:orders#prior=none'));
    expect(deleted.Status).toBe('SUCCESS');
    expect(deleted.Reason).toMatch(/unknown; encryption left on/);
    expect(names(firehose)).toEqual([
      'ListTagsForDeliveryStreamCommand',
      'DescribeDeliveryStreamCommand',
      'UntagDeliveryStreamCommand',
    ]);
  });

  test('the tag names this resource alone with `prior=none`, the id `#prior=unknown`: the tag wins, Stop, then untag', async () => {
    firehose.on(ListTagsForDeliveryStreamCommand).resolves(tagged(formatOwnerTag({ owner: X, prior: PRIOR_NONE })));
    reads(described(enc.enabled()), described(enc.disabling()), described(enc.disabled()));
    const deleted = await h.run(deleteEvent(properties(), 'firehose:orders#prior=unknown'));
    expect(deleted).toMatchObject({ Status: 'SUCCESS', Data: { EncryptionStatus: 'DISABLED' } });
    expect([starts(), stops(), untags()]).toEqual([0, 1, 1]);
  });

  test('the tag names this resource alone with a key, the id `#prior=none`: that key put back, no Stop', async () => {
    firehose.on(ListTagsForDeliveryStreamCommand).resolves(tagged(formatOwnerTag({ owner: X, prior: OTHER_KEY_ARN })));
    reads(described(enc.enabled()), described(enc.enabling(OTHER_KEY_ARN)), described(enc.enabled(OTHER_KEY_ARN)));
    const deleted = await h.run(deleteEvent(properties(), 'firehose:orders#prior=none'));
    expect(deleted.Status).toBe('SUCCESS');
    expect(startInputs().map((input) => input.DeliveryStreamEncryptionConfigurationInput)).toEqual([{ KeyType: 'CUSTOMER_MANAGED_CMK', KeyARN: OTHER_KEY_ARN }]);
    expect([stops(), untags()]).toEqual([0, 1]);
  });

  test('a tag naming this resource without a prior state (older version): the id decides', async () => {
    firehose.on(ListTagsForDeliveryStreamCommand).resolves(tagged(X));
    reads(described(enc.enabled()));
    expect((await h.run(deleteEvent(properties(), 'firehose:orders#prior=unknown'))).Status).toBe('SUCCESS');
    expect([starts(), stops(), untags()]).toEqual([0, 0, 1]);
  });

  test('the rollback (tag `X Y prior=<key>`) hands back `Y prior=<key>`; the clean-up (tag `X Y prior=none`) by Y hands back `X prior=none`', async () => {
    firehose.on(ListTagsForDeliveryStreamCommand).resolves(tagged(formatOwnerTag({ owner: X, previous: Y, prior: KEY_ARN })));
    reads(described(enc.enabled()));
    expect((await h.run(deleteEvent(properties(), 'firehose:orders#prior=none'))).Status).toBe('SUCCESS');
    firehose.on(ListTagsForDeliveryStreamCommand).resolves(tagged(formatOwnerTag({ owner: X, previous: Y, prior: PRIOR_NONE })));
    expect((await h.run(withLogicalId(deleteEvent(properties(), 'firehose:orders#prior=none'), 'OrdersEncryption'))).Status).toBe('SUCCESS');
    expect(tagValues()).toEqual([`${ownerIdentity(Y)} prior=${inTag(KEY_ARN)}`, `${X} prior=none`]);
    expect([stops(), starts(), untags()]).toEqual([0, 0, 0]);
  });

  test('Kinesis: id `#prior=unknown` and a tag naming this resource alone without prior: one Describe, no Stop, the tag removed', async () => {
    kinesis.on(ListTagsForStreamCommand).resolves(tagged(EVENTS_SSE_OWNER));
    kinesisReads(summary(sse.kms()));
    const deleted = await h.run(kinesisDelete(kinesisProperties(), 'kinesis:events#prior=unknown'));
    expect(deleted).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'kinesis:events#prior=unknown' });
    expect(deleted.Reason).toMatch(/^Data stream events: its encryption before this resource took it is unknown; encryption left on/);
    expect(names(kinesis)).toEqual([
      'ListTagsForStreamCommand',
      'DescribeStreamSummaryCommand',
      'RemoveTagsFromStreamCommand',
    ]);
  });
});

describe('a rename: the new resource takes the stream over, naming the old one as previous owner', () => {
  test('the Create by Y of a stream tagged X (of an older version: no prior) writes `Y X prior=unknown`', async () => {
    firehose.on(ListTagsForDeliveryStreamCommand).resolves(tagged(X));
    reads(described(enc.enabled()));
    expect((await h.run(withLogicalId(createEvent(), 'OrdersEncryption'))).Status).toBe('SUCCESS');
    expect(tagValues()).toEqual([`${Y} ${ownerIdentity(X)} prior=unknown`]);
  });

  test('the Create by Y of a stream tagged `X prior=none` writes `Y X prior=none`; the Delete by X hands back `Y prior=none`', async () => {
    let value: string | undefined = formatOwnerTag({ owner: X, prior: PRIOR_NONE });
    firehose.on(ListTagsForDeliveryStreamCommand).callsFake(async () => tagged(value));
    firehose.on(TagDeliveryStreamCommand).callsFake(async (input: { Tags: Array<{ Value: string }> }) => {
      value = input.Tags[0].Value;
      return {};
    });
    reads(described(enc.enabled()));
    const created = await h.run(withLogicalId(createEvent(), 'OrdersEncryption'));
    expect(created).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'firehose:orders#prior=none' });
    expect(value).toBe(`${Y} ${ownerIdentity(X)} prior=none`);

    expect((await h.run(deleteEvent(properties(), 'firehose:orders#prior=none'))).Status).toBe('SUCCESS');
    expect(value).toBe(`${Y} prior=none`);
    expect([stops(), starts(), untags()]).toEqual([0, 0, 0]);
  });

  test('an Update by X of a stream tagged `X Y` keeps Y as previous owner', async () => {
    firehose.on(ListTagsForDeliveryStreamCommand).resolves(tagged(formatOwnerTag({ owner: X, previous: Y })));
    reads(described(enc.enabled()), described(enc.enabled(OTHER_KEY_ARN)));
    expect((await h.run(updateEvent(properties({ KeyArn: OTHER_KEY_ARN }), properties()))).Status).toBe('SUCCESS');
    expect(tagValues()).toEqual([`${X} ${ownerIdentity(Y)}`]);
  });

  test('rollback (tag `X Y`): the Delete by X writes Y back and leaves the encryption on', async () => {
    firehose.on(ListTagsForDeliveryStreamCommand).resolves(tagged(formatOwnerTag({ owner: X, previous: Y })));
    reads(described(enc.enabled()));
    const deleted = await h.run(deleteEvent(properties(), 'firehose:orders'));
    expect(deleted.Status).toBe('SUCCESS');
    expect(deleted.Reason).toMatch(/encryption left on/);
    expect(tagValues()).toEqual([ownerIdentity(Y)]);
    expect([stops(), starts(), untags()]).toEqual([0, 0, 0]);
  });

  test('clean-up after a successful rename (tag `X Y`): the Delete by Y writes X and leaves the encryption on', async () => {
    firehose.on(ListTagsForDeliveryStreamCommand).resolves(tagged(formatOwnerTag({ owner: X, previous: Y })));
    reads(described(enc.enabled()));
    const deleted = await h.run(withLogicalId(deleteEvent(properties(), 'firehose:orders#prior=none'), 'OrdersEncryption'));
    expect(deleted.Status).toBe('SUCCESS');
    expect(tagValues()).toEqual([X]);
    expect([stops(), starts(), untags()]).toEqual([0, 0, 0]);
  });

  test('the tag handed back names the owner alone, and counts as it: a later Delete by that owner stops and untags', async () => {
    firehose.on(ListTagsForDeliveryStreamCommand).resolves(tagged(ownerIdentity(X)));
    reads(described(enc.enabled()), described(enc.disabled()));
    expect((await h.run(deleteEvent(properties(), 'firehose:orders#prior=none'))).Status).toBe('SUCCESS');
    expect([stops(), untags()]).toEqual([1, 1]);
  });

  test('Kinesis: the rollback Delete by X of a stream tagged `X Y` writes Y back, no Stop', async () => {
    const other = ownerTagValue(STACK_ID, 'EventsEncryption');
    kinesis.on(ListTagsForStreamCommand).resolves(tagged(formatOwnerTag({ owner: EVENTS_SSE_OWNER, previous: other })));
    kinesisReads(summary(sse.kms()));
    expect((await h.run(kinesisDelete())).Status).toBe('SUCCESS');
    expect(kinesis.commandCalls(AddTagsToStreamCommand).map((c) => c.args[0].input.Tags?.[OWNER_TAG_KEY])).toEqual([ownerIdentity(other)]);
    expect(kinesis.commandCalls(StopStreamEncryptionCommand)).toHaveLength(0);
  });
});

describe('a failed Update to another stream undoes itself', () => {
  const toPayments = () => updateEvent(properties({ DeliveryStreamName: 'payments' }), properties());
  const payments = (encryption: Parameters<typeof described>[0]) => described(encryption, { DeliveryStreamName: 'payments' });

  test('Start on B taken, then ENABLING_FAILED: B is put back (no encryption: Stop), FAILED with the old id', async () => {
    reads(
      payments(enc.disabled()), payments(enc.disabled()), payments(enc.enabling()), payments(enc.enablingFailed()),
      payments(enc.enablingFailed()), payments(enc.disabling()), payments(enc.disabled()),
    );
    const answer = await h.run(toPayments());
    expect(answer).toMatchObject({ Status: 'FAILED', PhysicalResourceId: 'firehose:orders' });
    expect(answer.Reason).toMatch(/^ENABLING_FAILED: Firehose could not enable encryption of payments/);
    expect([starts(), stops()]).toEqual([1, 1]);
    expect(firehose.commandCalls(StopDeliveryStreamEncryptionCommand)[0].args[0].input.DeliveryStreamName).toBe('payments');
    // B is as it was before the claim written before its Start: the claim goes too.
    expect(tagValues()).toEqual([`${X} prior=none claim=${claimNonce()}`]);
    // Then, once the answer is sent, this copy's claim tag.
    expect(untagKeys()).toEqual([OWNER_TAG_KEY, claimTagKey()]);
    expect(h.records().filter((r) => r.action === 'undo').map((r) => r.status)).toEqual([undefined, 'put back']);
  });

  test('B had the AWS owned key: the undo starts it again', async () => {
    reads(
      payments(enc.awsOwned()), payments(enc.awsOwned()), payments(enc.enabling()), payments(enc.enablingFailed()),
      payments(enc.enablingFailed()), payments(enc.awsOwned()),
    );
    const answer = await h.run(toPayments());
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toMatch(/^ENABLING_FAILED: /);
    const keyTypes = startInputs().map((input) => input.DeliveryStreamEncryptionConfigurationInput?.KeyType);
    expect(keyTypes).toEqual(['CUSTOMER_MANAGED_CMK', 'AWS_OWNED_CMK']);
    expect(stops()).toBe(0);
  });

  test('the undo fails too: UPDATE_UNDO_FAILED names both causes and the stream\'s state', async () => {
    reads(payments(enc.disabled()), payments(enc.disabled()), payments(enc.enabling()), payments(enc.enablingFailed()));
    firehose.on(StopDeliveryStreamEncryptionCommand).rejects(new FirehoseLimitExceeded({ message: 'limit', ...CLIENT_ERROR_METADATA }));
    const answer = await h.run(toPayments());
    expect(answer).toMatchObject({ Status: 'FAILED', PhysicalResourceId: 'firehose:orders' });
    expect(answer.Reason).toMatch(/^UPDATE_UNDO_FAILED: ENABLING_FAILED: .* Putting payments back to its encryption before this update \(none\) failed too: CALL_LIMIT_EXCEEDED: .* The stream is now: stream ACTIVE, encryption ENABLING_FAILED/);
  });

  test('B managed by another resource whose tag records no prior state: no undo, UPDATE_UNDO_FAILED says the encryption was left on', async () => {
    firehose.on(ListTagsForDeliveryStreamCommand).resolves(tagged(ownerTagValue(STACK_ID, 'PaymentsSse')));
    reads(payments(enc.enabled(OTHER_KEY_ARN)), payments(enc.enabling()), payments(enc.enablingFailed()));
    const answer = await h.run(toPayments());
    expect(answer).toMatchObject({ Status: 'FAILED', PhysicalResourceId: 'firehose:orders' });
    expect(answer.Reason).toMatch(/^UPDATE_UNDO_FAILED: ENABLING_FAILED: .* Putting payments back to its encryption before this update \(unknown\) failed too: its encryption before the Start is unknown, so it was left on\./);
    expect([starts(), stops()]).toEqual([1, 0]);
    expect(tagValues()).toEqual([]);
  });

  test('B managed by another resource whose tag records `prior=none`: the undo puts B back to none (Stop)', async () => {
    firehose.on(ListTagsForDeliveryStreamCommand).resolves(tagged(formatOwnerTag({ owner: ownerTagValue(STACK_ID, 'PaymentsSse'), prior: PRIOR_NONE })));
    reads(
      payments(enc.enabled(OTHER_KEY_ARN)), payments(enc.enabling()), payments(enc.enablingFailed()),
      payments(enc.enablingFailed()), payments(enc.disabling()), payments(enc.disabled()),
    );
    const answer = await h.run(toPayments());
    expect(answer.Reason).toMatch(/^ENABLING_FAILED: /);
    expect([starts(), stops()]).toEqual([1, 1]);
  });

  test('B first read in a failed state (prior unknown) and free: the claim says unknown, and the failed Update leaves B encrypted', async () => {
    reads(payments(enc.enablingFailed()), payments(enc.enablingFailed()), payments(enc.enabling()), payments(enc.enablingFailed()));
    const answer = await h.run(toPayments());
    expect(answer.Reason).toMatch(/^UPDATE_UNDO_FAILED: .*\(unknown\) failed too: its encryption before the Start is unknown, so it was left on\./);
    expect(tagValues()).toEqual([`${X} prior=unknown claim=${claimNonce()}`]);
    expect([starts(), stops()]).toEqual([1, 0]);
  });

  test('the rollback Update of a failed move (the given id names the stream it goes back to) keeps that id', async () => {
    firehose.on(ListTagsForDeliveryStreamCommand).resolves(tagged(X));
    reads(described(enc.enabled()));
    const back = updateEvent(properties(), properties({ DeliveryStreamName: 'payments' }), 'firehose:orders#prior=none');
    const answer = await h.run(back);
    expect(answer).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'firehose:orders#prior=none' });
    expect([starts(), stops()]).toEqual([0, 0]);
  });

  test('an Update of the same stream that fails is not undone', async () => {
    reads(described(enc.disabled()), described(enc.enabling()), described(enc.enablingFailed()));
    const answer = await h.run(updateEvent(properties(), awsOwnedProperties()));
    expect(answer.Status).toBe('FAILED');
    expect([starts(), stops()]).toEqual([1, 0]);
    expect(h.records().filter((r) => r.action === 'undo')).toEqual([]);
  });

  test('Kinesis: Start on B taken, then ACTIVE with another key: B is put back (no encryption: Stop with the key it has)', async () => {
    const clicks = (encryption: Parameters<typeof summary>[0], status?: string) => summary(encryption, status, { StreamName: 'clicks' });
    kinesisReads(clicks(sse.none()), clicks(sse.none()), clicks(sse.kms(), 'UPDATING'), clicks(sse.kms(OTHER_KEY_ARN)), clicks(sse.kms(OTHER_KEY_ARN)), clicks(sse.none(), 'UPDATING'), clicks(sse.none()));
    const props = kinesisProperties({ StreamName: 'clicks', StreamArn: 'arn:aws:kinesis:eu-west-1:123456789012:stream/clicks' });
    const answer = await h.run(kinesisUpdate(props, kinesisProperties()));
    expect(answer).toMatchObject({ Status: 'FAILED', PhysicalResourceId: 'kinesis:events' });
    expect(answer.Reason).toMatch(/^DATA_STREAM_ENCRYPTION_NOT_APPLIED: /);
    expect(kinesis.commandCalls(StartStreamEncryptionCommand).map((c) => c.args[0].input.KeyId)).toEqual([KEY_ARN]);
    expect(kinesis.commandCalls(StopStreamEncryptionCommand).map((c) => c.args[0].input)).toEqual([expect.objectContaining({ StreamName: 'clicks', KeyId: OTHER_KEY_ARN })]);
  });
});

describe('Kinesis prior states', () => {
  test('a Create records the key the stream had; its Delete puts that key back, no Stop', async () => {
    kinesisReads(summary(sse.kms(MANAGED)), summary(sse.kms(MANAGED)), summary(sse.kms(), 'UPDATING'), summary(sse.kms()));
    const created = await h.run(kinesisCreate());
    expect(created).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: `kinesis:events#prior=${MANAGED}` });

    kinesis.resetHistory();
    kinesis.on(ListTagsForStreamCommand).resolves(tagged(EVENTS_SSE_OWNER));
    kinesisReads(summary(sse.kms()), summary(sse.kms(MANAGED), 'UPDATING'), summary(sse.kms(MANAGED)));
    const deleted = await h.run(kinesisDelete(kinesisProperties(), created.PhysicalResourceId));
    expect(deleted.Status).toBe('SUCCESS');
    expect(kinesis.commandCalls(StartStreamEncryptionCommand).map((c) => c.args[0].input.KeyId)).toEqual([MANAGED]);
    expect(kinesis.commandCalls(StopStreamEncryptionCommand)).toHaveLength(0);
    expect(kinesis.commandCalls(RemoveTagsFromStreamCommand)).toHaveLength(1);
  });

  test('prior none: Stop with the current key, as before', async () => {
    kinesisReads(summary(sse.kms()), summary(sse.none(), 'UPDATING'), summary(sse.none()));
    expect((await h.run(kinesisDelete(kinesisProperties(), 'kinesis:events#prior=none'))).Status).toBe('SUCCESS');
    expect(kinesis.commandCalls(StopStreamEncryptionCommand).map((c) => c.args[0].input.KeyId)).toEqual([KEY_ARN]);
  });
});

describe('the ResponseURL on the new paths', () => {
  test('is in no log line nor reason of a restore, a hand-back or an undo', async () => {
    firehose.on(ListTagsForDeliveryStreamCommand).resolves(tagged(formatOwnerTag({ owner: X, previous: Y })));
    reads(described(enc.enabled()));
    await h.run(deleteEvent(properties(), withPrior('firehose:orders', OTHER_KEY_ARN)));
    firehose.on(ListTagsForDeliveryStreamCommand).resolves(tagged());
    reads(described(enc.enablingFailed()), described(enc.awsOwned()));
    await h.run(deleteEvent(awsOwnedProperties(), 'firehose:orders#prior=AWS_OWNED_CMK'));
    const payments = (encryption: Parameters<typeof described>[0]) => described(encryption, { DeliveryStreamName: 'payments' });
    reads(payments(enc.disabled()), payments(enc.disabled()), payments(enc.enabling()), payments(enc.enablingFailed()), payments(enc.disabled()));
    await h.run(updateEvent(properties({ DeliveryStreamName: 'payments' }), properties()));
    const url = new URL(RESPONSE_URL);
    for (const text of [...h.lines, ...h.answers.map((a) => a.raw)]) {
      expect(text).not.toContain(url.search.slice(1));
      expect(text).not.toContain(url.pathname);
      expect(text).not.toContain('X-Amz-Signature');
    }
  });
});

/** A throttling error, as Firehose answers a burst of Start calls. */
function awsError429(): Error {
  return Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $fault: 'client', $metadata: { httpStatusCode: 429 } });
}
