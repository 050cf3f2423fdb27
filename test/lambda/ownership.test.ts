/**
 * Which resource manages a stream: the owner tag written after a successful
 * Create or Update, and read before a Delete stops the encryption, for
 * Firehose and Kinesis alike.
 */
import {
  DescribeDeliveryStreamCommand,
  InvalidArgumentException as FirehoseInvalidArgument,
  LimitExceededException as FirehoseLimitExceeded,
  ListTagsForDeliveryStreamCommand,
  ListTagsForDeliveryStreamOutput,
  ResourceNotFoundException as FirehoseNotFound,
  StartDeliveryStreamEncryptionCommand,
  StopDeliveryStreamEncryptionCommand,
  TagDeliveryStreamCommand,
  UntagDeliveryStreamCommand,
} from '@aws-sdk/client-firehose';
import {
  AccessDeniedException as KinesisAccessDenied,
  AddTagsToStreamCommand,
  InvalidArgumentException as KinesisInvalidArgument,
  LimitExceededException as KinesisLimitExceeded,
  ListTagsForStreamCommand,
  ListTagsForStreamOutput,
  RemoveTagsFromStreamCommand,
  StartStreamEncryptionCommand,
  StopStreamEncryptionCommand,
} from '@aws-sdk/client-kinesis';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { createEvent, deleteEvent, described, enc, properties, updateEvent } from './firehose-helpers';
import {
  awsError,
  claimNonce,
  claimTagKey,
  CLIENT_ERROR_METADATA,
  EVENTS_SSE_OWNER,
  Harness,
  KEY_ARN,
  ORDERS_ENCRYPTION_OWNER,
  ORDERS_SSE_OWNER,
  OTHER_KEY_ARN,
  STACK_ID,
  successive,
  withLogicalId,
} from './helpers';
import { kinesisCreate, kinesisDelete, kinesisProperties, kinesisUpdate, sse, STREAM_ARN, summary } from './kinesis-helpers';
import { FIREHOSE_CLAIM, firehose, KINESIS_CLAIM, kinesis, kinesisReads, names, reads, resetMocks, TagPage } from './mocks';
import { MAX_TAG_VALUE_LENGTH, ownerTagValue } from '../../lambda/core/ownership';
import { formatOwnerTag, OWNER_TAG_KEY, PRIOR_NONE } from '../../src/private/contract';

/** The claim tag of the fixtures' copy of a request, written with its claim. */
const OWN_COPY = claimTagKey();

/** A resource of another stack. */
const OTHER_STACK = ownerTagValue('arn:aws:cloudformation:eu-west-1:123456789012:stack/other/99999999-2222-3333-4444-555555555555', 'OrdersSse');

/** A page of tags with the owner tag (`undefined`: none). */
function tagged(owner?: string, more = false): TagPage {
  return {
    Tags: [{ Key: 'team', Value: 'orders' }, ...(owner === undefined ? [] : [{ Key: OWNER_TAG_KEY, Value: owner }])],
    HasMoreTags: more,
  };
}

/** Successive results of a mocked command (an Error is thrown); the last one repeats. */
const sequence = <T>(...results: Array<T | Error>): (() => Promise<T>) => successive(results);

let h: Harness;
beforeEach(() => {
  resetMocks(tagged());
  h = new Harness();
});

describe('the owner tag value', () => {
  test('is derived from the stack id and the logical id only, hash first, then the stack name and logical id', () => {
    expect(ORDERS_SSE_OWNER).toMatch(/^[0-9a-f]{16}\/app\/OrdersSse$/);
    expect(ownerTagValue(STACK_ID, 'OrdersSse')).toBe(ORDERS_SSE_OWNER);
    expect(new Set([ORDERS_SSE_OWNER, ORDERS_ENCRYPTION_OWNER, OTHER_STACK]).size).toBe(3);
    // a stack deleted and deployed again under the same name has a new stack id
    expect(ownerTagValue(STACK_ID.replace(/[0-9a-f-]{36}$/, '00000000-2222-3333-4444-555555555555'), 'OrdersSse')).not.toBe(ORDERS_SSE_OWNER);
  });

  test('fits the tag value limits of both services, whatever the names', () => {
    const longStack = `arn:aws:cloudformation:eu-west-1:123456789012:stack/${'S'.repeat(128)}/11111111-2222-3333-4444-555555555555`;
    const longest = ownerTagValue(longStack, 'L'.repeat(255));
    expect(longest).toHaveLength(MAX_TAG_VALUE_LENGTH);
    expect(ownerTagValue(longStack, `${'L'.repeat(254)}X`)).not.toBe(longest);
    expect(ownerTagValue('not an arn', 'Odd:Id with spaces%')).toMatch(/^[0-9a-f]{16}\/Odd_Id_with_spaces_$/);
    for (const value of [ORDERS_SSE_OWNER, longest]) {
      expect(value).toMatch(/^[A-Za-z0-9_.\/=+@-]*$/);
    }
    // the key too: characters both Firehose and Kinesis document for tag keys
    expect(OWNER_TAG_KEY).toMatch(/^[A-Za-z0-9_.\/=+@-]{1,128}$/);
  });
});

describe('Firehose', () => {
  const calls = (command: Parameters<typeof firehose.commandCalls>[0]) => firehose.commandCalls(command);
  const tagInput = () => calls(TagDeliveryStreamCommand).map((c) => c.args[0].input);

  describe('Create and Update write the tag once the stream is encrypted as wanted', () => {
    test('after Start, ENABLED: the tag claims the stream before the Start, and the claim stays (it already names this resource and the prior)', async () => {
      reads(described(enc.disabled()), described(enc.disabled()), described(enc.enabling()), described(enc.enabled()));
      const answer = await h.run(createEvent());
      expect(answer).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'firehose:orders#prior=none' });
      // The claim is read back, and the stream read once more, before the Start.
      expect(names(firehose)).toEqual([
        ...FIREHOSE_CLAIM,
        'StartDeliveryStreamEncryptionCommand',
        'DescribeDeliveryStreamCommand',
        'DescribeDeliveryStreamCommand',
        'UntagDeliveryStreamCommand',
      ]);
      const claim = formatOwnerTag({ owner: ORDERS_SSE_OWNER, prior: PRIOR_NONE, claim: claimNonce() });
      expect(claim).toBe(`${ORDERS_SSE_OWNER} prior=none claim=${claimNonce()}`);
      // Tag calls allow 5 a second per account: the claim says all the tag must say, so it is not written twice.
      // This copy's claim tag goes with it in the same call, and alone once the answer is sent.
      expect(tagInput()).toEqual([{ DeliveryStreamName: 'orders', Tags: [{ Key: OWNER_TAG_KEY, Value: claim }, { Key: OWN_COPY, Value: claim }] }]);
      expect(calls(UntagDeliveryStreamCommand).map((c) => c.args[0].input.TagKeys)).toEqual([[OWN_COPY]]);
      expect(h.clock.sleeps[h.clock.sleeps.length - 1]).toBe(5_000);
      expect(h.records().map((r) => r.action).slice(-3)).toEqual(['settle', 'answer', 'owner']);
      const owner = h.records().filter((r) => r.action === 'owner');
      expect(owner).toEqual([
        expect.objectContaining({ level: 'info', status: 'tagged', managedBy: claim }),
        expect.objectContaining({ level: 'info', status: 'untagged' }),
      ]);
    });

    test('already ENABLED with the wanted key (no Start, so no claim): the tag is written once all the same, with the prior key', async () => {
      reads(described(enc.enabled()));
      expect((await h.run(withLogicalId(createEvent(), 'OrdersEncryption'))).Status).toBe('SUCCESS');
      // A stream first read encrypted: its owner tag is read (another resource may manage it).
      expect(names(firehose)).toEqual(['DescribeDeliveryStreamCommand', 'ListTagsForDeliveryStreamCommand', 'TagDeliveryStreamCommand']);
      expect(tagInput()).toEqual([{ DeliveryStreamName: 'orders', Tags: [{ Key: OWNER_TAG_KEY, Value: `${ORDERS_ENCRYPTION_OWNER} prior=${KEY_ARN.replace(/:/g, '%3A')}` }] }]);
    });

    test('an Update to another key: the tag after ENABLED with it', async () => {
      reads(described(enc.enabled()), described(enc.enabled(OTHER_KEY_ARN)));
      const answer = await h.run(updateEvent(properties({ KeyArn: OTHER_KEY_ARN }), properties()));
      expect(answer.Status).toBe('SUCCESS');
      expect(tagInput()).toEqual([{ DeliveryStreamName: 'orders', Tags: [{ Key: OWNER_TAG_KEY, Value: ORDERS_SSE_OWNER }] }]);
    });

    test('an Update to another stream: the new stream is tagged', async () => {
      reads(described(enc.enabled(), { DeliveryStreamName: 'orders-v2' }));
      const answer = await h.run(updateEvent(properties({ DeliveryStreamName: 'orders-v2' }), properties()));
      expect(answer).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: `firehose:orders-v2#prior=${KEY_ARN}` });
      expect(tagInput()).toEqual([{ DeliveryStreamName: 'orders-v2', Tags: [{ Key: OWNER_TAG_KEY, Value: `${ORDERS_SSE_OWNER} prior=${KEY_ARN.replace(/:/g, '%3A')}` }] }]);
    });

    test('an Update of non-functional properties only: the stream read, but no tag call (the resource, and its tag, stay the same)', async () => {
      reads(described(enc.enabled()));
      const answer = await h.run(updateEvent(properties({ TimeoutSeconds: '300', SettleSeconds: '0' }), properties()));
      expect(answer.Status).toBe('SUCCESS');
      expect(names(firehose)).toEqual(['DescribeDeliveryStreamCommand']);
    });

    test('a Create that fails after its Start keeps its claim: the tag records the prior state for the rollback Delete', async () => {
      reads(described(enc.disabled()), described(enc.disabled()), described(enc.enabling()), described(enc.enablingFailed()));
      const answer = await h.run(createEvent());
      expect(answer).toMatchObject({ Status: 'FAILED', PhysicalResourceId: 'firehose:orders#prior=none' });
      expect(tagInput().map((input) => input.Tags?.[0].Value)).toEqual([`${ORDERS_SSE_OWNER} prior=none claim=${claimNonce()}`]);
      // Only this copy's claim tag goes, once the answer is sent.
      expect(calls(UntagDeliveryStreamCommand).map((c) => c.args[0].input.TagKeys)).toEqual([[OWN_COPY]]);
    });

    test('a Create that fails before any Start was taken removes its claim', async () => {
      reads(described(enc.disabled()));
      firehose.on(StartDeliveryStreamEncryptionCommand).rejects(new FirehoseInvalidArgument({ message: 'bad request', ...CLIENT_ERROR_METADATA }));
      const answer = await h.run(createEvent());
      expect(answer).toMatchObject({ Status: 'FAILED', PhysicalResourceId: 'firehose:orders#not-started' });
      expect(names(firehose)).toEqual([
        ...FIREHOSE_CLAIM,
        'StartDeliveryStreamEncryptionCommand',
        'UntagDeliveryStreamCommand',
      ]);
      expect(calls(UntagDeliveryStreamCommand)[0].args[0].input).toEqual({ DeliveryStreamName: 'orders', TagKeys: [OWNER_TAG_KEY, OWN_COPY] });
    });

    test('a Create that fails before it needs a Start (the stream is not DirectPut) writes no tag at all', async () => {
      reads(described(enc.disabled(), { DeliveryStreamType: 'KinesisStreamAsSource' }));
      expect((await h.run(createEvent())).Status).toBe('FAILED');
      expect(names(firehose)).toEqual(['DescribeDeliveryStreamCommand']);
    });

    test('the claim refused (access denied): the Create goes on, with a warning, and tries the tag again after success', async () => {
      reads(described(enc.disabled()), described(enc.enabled()));
      firehose.on(TagDeliveryStreamCommand).rejects(awsError('AccessDeniedException', 'not authorized to perform: firehose:TagDeliveryStream'));
      const answer = await h.run(createEvent());
      expect(answer).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'firehose:orders#prior=none' });
      expect(names(firehose)).toEqual([
        'DescribeDeliveryStreamCommand',
        'TagDeliveryStreamCommand',
        'StartDeliveryStreamEncryptionCommand',
        'DescribeDeliveryStreamCommand',
        'TagDeliveryStreamCommand',
      ]);
      expect(h.records().filter((r) => r.action === 'owner').map((r) => [r.level, r.status])).toEqual([['warn', 'not tagged'], ['warn', 'not tagged']]);
    });

    test('tagging refused (access denied): still SUCCESS, with a warning', async () => {
      reads(described(enc.enabled()));
      firehose.on(TagDeliveryStreamCommand).rejects(awsError('AccessDeniedException', 'not authorized to perform: firehose:TagDeliveryStream'));
      const answer = await h.run(createEvent());
      expect(answer).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: `firehose:orders#prior=${KEY_ARN}` });
      expect(calls(TagDeliveryStreamCommand)).toHaveLength(1);
      expect(h.records().filter((r) => r.action === 'owner')).toEqual([
        expect.objectContaining({ level: 'warn', status: 'not tagged', error: expect.stringMatching(/^AccessDeniedException: not authorized/) }),
      ]);
    });

    test('tagging throttled: retried with backoff until it goes through', async () => {
      reads(described(enc.enabled()));
      firehose.on(TagDeliveryStreamCommand).callsFake(sequence<object>(
        awsError('ThrottlingException', 'Rate exceeded'),
        new FirehoseLimitExceeded({ message: 'Rate exceeded for TagDeliveryStream', ...CLIENT_ERROR_METADATA }),
        {},
      ));
      expect((await h.run(createEvent())).Status).toBe('SUCCESS');
      expect(calls(TagDeliveryStreamCommand)).toHaveLength(3);
      expect(h.records().filter((r) => r.action === 'retry').map((r) => r.operation)).toEqual(['TagDeliveryStream', 'TagDeliveryStream']);
      expect(h.records().find((r) => r.action === 'owner')).toMatchObject({ status: 'tagged' });
    });

    test('the stream has its 50 tags (LimitExceededException): not retried, still SUCCESS', async () => {
      reads(described(enc.enabled()));
      firehose.on(TagDeliveryStreamCommand).rejects(new FirehoseLimitExceeded({ message: 'A stream can have at most 50 tags.', ...CLIENT_ERROR_METADATA }));
      expect((await h.run(createEvent())).Status).toBe('SUCCESS');
      expect(calls(TagDeliveryStreamCommand)).toHaveLength(1);
      expect(h.records().find((r) => r.action === 'owner')).toMatchObject({ level: 'warn', status: 'not tagged' });
    });

    test('tagging throttled until the deadline: SUCCESS all the same, answered in time', async () => {
      reads(described(enc.enabled()));
      firehose.on(TagDeliveryStreamCommand).rejects(awsError('ThrottlingException', 'Rate exceeded'));
      const answer = await h.run(createEvent(properties({ TimeoutSeconds: '60' })));
      expect(answer.Status).toBe('SUCCESS');
      expect(h.elapsed()).toBe(60_000);
      expect(h.records().find((r) => r.action === 'owner')).toMatchObject({ level: 'warn', status: 'not tagged', error: expect.stringMatching(/THROTTLED/) });
    });
  });

  describe('two copies of one Create: the claim before the Start tells the second copy the prior state', () => {
    test('the second copy arrives while the first is ENABLING (the tag names it, prior=none): SUCCESS, id `#prior=none`, no Start', async () => {
      firehose.on(ListTagsForDeliveryStreamCommand).resolves(tagged(formatOwnerTag({ owner: ORDERS_SSE_OWNER, prior: PRIOR_NONE })));
      reads(described(enc.enabling()), described(enc.enabled()));
      const answer = await h.run(createEvent());
      expect(answer).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'firehose:orders#prior=none' });
      expect(calls(StartDeliveryStreamEncryptionCommand)).toHaveLength(0);
      // No claim (the tag was not free), no second reading of the tag; written once after success.
      expect(names(firehose)).toEqual([
        'DescribeDeliveryStreamCommand',
        'ListTagsForDeliveryStreamCommand',
        'DescribeDeliveryStreamCommand',
        'TagDeliveryStreamCommand',
      ]);
      expect(tagInput().map((input) => input.Tags?.[0].Value)).toEqual([`${ORDERS_SSE_OWNER} prior=none`]);
    });

    test('first reading ENABLING, no tag before nor after: id `#prior=unknown`, the tag read again once, then written with prior=unknown', async () => {
      reads(described(enc.enabling()), described(enc.enabled()));
      const answer = await h.run(createEvent());
      expect(answer).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'firehose:orders#prior=unknown' });
      expect(names(firehose)).toEqual([
        'DescribeDeliveryStreamCommand',
        'ListTagsForDeliveryStreamCommand',
        'DescribeDeliveryStreamCommand',
        'ListTagsForDeliveryStreamCommand',
        'TagDeliveryStreamCommand',
      ]);
      expect(tagInput().map((input) => input.Tags?.[0].Value)).toEqual([`${ORDERS_SSE_OWNER} prior=unknown`]);
    });

    test('first reading ENABLING, no tag at first, the claim of the other copy found on the second reading: its prior is used', async () => {
      const claimed = tagged(formatOwnerTag({ owner: ORDERS_SSE_OWNER, prior: PRIOR_NONE }));
      firehose.on(ListTagsForDeliveryStreamCommand).callsFake(sequence(tagged(), claimed));
      reads(described(enc.enabling()), described(enc.enabled()));
      const answer = await h.run(createEvent());
      expect(answer).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'firehose:orders#prior=none' });
      expect(calls(ListTagsForDeliveryStreamCommand)).toHaveLength(2);
      expect(calls(StartDeliveryStreamEncryptionCommand)).toHaveLength(0);
      expect(tagInput().map((input) => input.Tags?.[0].Value)).toEqual([`${ORDERS_SSE_OWNER} prior=none`]);
    });

    test('the second reading of the tag finds another resource: its prior is not taken', async () => {
      firehose.on(ListTagsForDeliveryStreamCommand).callsFake(sequence(tagged(), tagged(formatOwnerTag({ owner: OTHER_STACK, prior: PRIOR_NONE }))));
      reads(described(enc.enabling()), described(enc.enabled()));
      expect(await h.run(createEvent())).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'firehose:orders#prior=unknown' });
    });

    test('a first reading that tells the prior state: the tag is not read again', async () => {
      reads(described(enc.enabled()));
      expect(await h.run(createEvent())).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: `firehose:orders#prior=${KEY_ARN}` });
      expect(calls(ListTagsForDeliveryStreamCommand)).toHaveLength(1);
    });

    test('the prior state comes from the first reading only, never from a later one (the other copy may have changed the stream)', async () => {
      // First ENABLING with another key (someone's change), then ENABLED with it: Start with the wanted key.
      const other = described(enc.enabled(OTHER_KEY_ARN));
      reads(described(enc.enabling(OTHER_KEY_ARN)), other, other, described(enc.enabling()), described(enc.enabled()));
      const answer = await h.run(createEvent());
      expect(answer).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'firehose:orders#prior=unknown' });
      expect(calls(StartDeliveryStreamEncryptionCommand)).toHaveLength(1);
      // The claim before that Start records unknown, not the key read just before it.
      expect(tagInput().map((input) => input.Tags?.[0].Value)).toEqual([`${ORDERS_SSE_OWNER} prior=unknown claim=${claimNonce()}`]);
    });
  });

  describe('Delete reads the tag first', () => {
    test('no owner tag (a stream encrypted before streams were tagged): Stop, as ever, and no tag to remove', async () => {
      reads(described(enc.enabled()), described(enc.disabled()));
      const answer = await h.run(deleteEvent());
      expect(answer).toMatchObject({ Status: 'SUCCESS', Data: { EncryptionStatus: 'DISABLED' } });
      expect(names(firehose)).toEqual([
        'ListTagsForDeliveryStreamCommand',
        'DescribeDeliveryStreamCommand',
        'StopDeliveryStreamEncryptionCommand',
        'DescribeDeliveryStreamCommand',
      ]);
      expect(calls(ListTagsForDeliveryStreamCommand)[0].args[0].input).toEqual({ DeliveryStreamName: 'orders', Limit: 50 });
      expect(h.records().find((r) => r.action === 'owner')).toMatchObject({ managedBy: null, decision: 'no owner tag' });
    });

    test('the tag is this resource\'s claim, left by its Create: Stop, wait for DISABLED, then remove the tag', async () => {
      const claim = formatOwnerTag({ owner: ORDERS_SSE_OWNER, prior: PRIOR_NONE, claim: claimNonce() });
      firehose.on(ListTagsForDeliveryStreamCommand).resolves(tagged(claim));
      reads(described(enc.enabled()), described(enc.disabled()));
      expect(await h.run(deleteEvent())).toMatchObject({ Status: 'SUCCESS', Data: { EncryptionStatus: 'DISABLED' } });
      expect(names(firehose)).toEqual([
        'ListTagsForDeliveryStreamCommand',
        'DescribeDeliveryStreamCommand',
        'StopDeliveryStreamEncryptionCommand',
        'DescribeDeliveryStreamCommand',
        'UntagDeliveryStreamCommand',
      ]);
      expect(h.records().find((r) => r.action === 'owner')).toMatchObject({ managedBy: ORDERS_SSE_OWNER, decision: 'this resource manages the stream' });
    });

    test('the tag names this resource: Stop, wait for DISABLED, then remove the tag', async () => {
      firehose.on(ListTagsForDeliveryStreamCommand).resolves(tagged(ORDERS_SSE_OWNER));
      reads(described(enc.enabled()), described(enc.disabling()), described(enc.disabled()));
      const answer = await h.run(deleteEvent());
      expect(answer.Status).toBe('SUCCESS');
      expect(names(firehose)).toEqual([
        'ListTagsForDeliveryStreamCommand',
        'DescribeDeliveryStreamCommand',
        'StopDeliveryStreamEncryptionCommand',
        'DescribeDeliveryStreamCommand',
        'DescribeDeliveryStreamCommand',
        'UntagDeliveryStreamCommand',
      ]);
      expect(calls(UntagDeliveryStreamCommand)[0].args[0].input).toEqual({ DeliveryStreamName: 'orders', TagKeys: [OWNER_TAG_KEY] });
    });

    test('the tag names another resource (the construct was renamed): SUCCESS without Stop, the stream left ENABLED', async () => {
      firehose.on(ListTagsForDeliveryStreamCommand).resolves(tagged(ORDERS_ENCRYPTION_OWNER));
      reads(described(enc.enabled()));
      const answer = await h.run(deleteEvent());
      expect(answer).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'firehose:orders' });
      expect(answer.Reason).toContain(`managed by another resource (tag ${OWNER_TAG_KEY} ${ORDERS_ENCRYPTION_OWNER}); encryption left on`);
      expect(names(firehose)).toEqual(['ListTagsForDeliveryStreamCommand']);
      expect(h.records().find((r) => r.action === 'owner')).toMatchObject({
        level: 'info',
        managedBy: ORDERS_ENCRYPTION_OWNER,
        decision: 'another resource manages the stream: encryption left on',
      });
    });

    test('the tag names a resource of another stack: SUCCESS without Stop', async () => {
      firehose.on(ListTagsForDeliveryStreamCommand).resolves(tagged(OTHER_STACK));
      expect((await h.run(deleteEvent())).Status).toBe('SUCCESS');
      expect(calls(StopDeliveryStreamEncryptionCommand)).toHaveLength(0);
      expect(calls(DescribeDeliveryStreamCommand)).toHaveLength(0);
    });

    test('renamed, end to end: the new resource\'s Create tags the stream, the old resource\'s Delete leaves it ENABLED', async () => {
      let owner: string | undefined = ORDERS_SSE_OWNER;
      firehose.on(TagDeliveryStreamCommand).callsFake(async (input: { Tags: Array<{ Value: string }> }) => {
        owner = input.Tags[0].Value;
        return {};
      });
      firehose.on(ListTagsForDeliveryStreamCommand).callsFake(async () => tagged(owner));
      reads(described(enc.enabled()));
      expect((await h.run(withLogicalId(createEvent(), 'OrdersEncryption'))).Status).toBe('SUCCESS');
      expect((await h.run(deleteEvent())).Status).toBe('SUCCESS');
      // The old tag recorded no prior state: the new resource's tag records it unknown, and keeps it when handed back.
      expect(owner).toBe(`${ORDERS_ENCRYPTION_OWNER} prior=unknown`);
      expect(calls(StopDeliveryStreamEncryptionCommand)).toHaveLength(0);
    });

    test('an Update that moved the resource to another stream keeps its logical id: the old stream\'s Delete still stops it', async () => {
      // the tag the resource wrote on the old stream when it encrypted it
      firehose.on(ListTagsForDeliveryStreamCommand).resolves(tagged(ORDERS_SSE_OWNER));
      reads(described(enc.enabled()), described(enc.disabled()));
      const answer = await h.run(deleteEvent(properties({ DeliveryStreamName: 'orders' }), 'firehose:orders'));
      expect(answer.Status).toBe('SUCCESS');
      expect(calls(StopDeliveryStreamEncryptionCommand)).toHaveLength(1);
      expect(calls(UntagDeliveryStreamCommand)).toHaveLength(1);
    });

    test('the owner tag on a later page: found by paging after the last key', async () => {
      firehose.on(ListTagsForDeliveryStreamCommand).callsFake(sequence(
        { Tags: [{ Key: 'a', Value: '1' }, { Key: 'b', Value: '2' }], HasMoreTags: true },
        { Tags: [{ Key: OWNER_TAG_KEY, Value: OTHER_STACK }], HasMoreTags: false },
      ));
      expect((await h.run(deleteEvent())).Status).toBe('SUCCESS');
      expect(calls(ListTagsForDeliveryStreamCommand).map((c) => c.args[0].input.ExclusiveStartTagKey)).toEqual([undefined, 'b']);
      expect(calls(StopDeliveryStreamEncryptionCommand)).toHaveLength(0);
    });

    test('an owner tag with an empty value counts as none: Stop', async () => {
      firehose.on(ListTagsForDeliveryStreamCommand).resolves({ Tags: [{ Key: OWNER_TAG_KEY, Value: '' }], HasMoreTags: false });
      reads(described(enc.enabled()), described(enc.disabled()));
      expect((await h.run(deleteEvent())).Status).toBe('SUCCESS');
      expect(calls(StopDeliveryStreamEncryptionCommand)).toHaveLength(1);
      expect(calls(UntagDeliveryStreamCommand)).toHaveLength(0);
    });

    test('listing the tags refused (access denied) past the IAM propagation window: falls back to Stop, with a warning', async () => {
      firehose.on(ListTagsForDeliveryStreamCommand).rejects(awsError('AccessDeniedException', 'not authorized'));
      reads(described(enc.enabled()), described(enc.disabled()));
      const answer = await h.run(deleteEvent());
      expect(answer.Status).toBe('SUCCESS');
      // Denied is retried while IAM may still be propagating, then given up on.
      expect(calls(ListTagsForDeliveryStreamCommand).length).toBeGreaterThan(2);
      expect(h.elapsed()).toBeGreaterThanOrEqual(60_000);
      expect(calls(StopDeliveryStreamEncryptionCommand)).toHaveLength(1);
      expect(calls(UntagDeliveryStreamCommand)).toHaveLength(0);
      expect(h.records().find((r) => r.action === 'owner')).toMatchObject({
        level: 'warn',
        error: 'AccessDeniedException: not authorized',
        decision: 'owner unknown: act as for an untagged stream',
      });
    });

    test('the stream is gone: listing its tags fails, and the Delete answers SUCCESS as before', async () => {
      firehose.on(ListTagsForDeliveryStreamCommand).rejects(new FirehoseNotFound({ message: 'not found', ...CLIENT_ERROR_METADATA }));
      reads(new FirehoseNotFound({ message: 'not found', ...CLIENT_ERROR_METADATA }));
      expect((await h.run(deleteEvent())).Status).toBe('SUCCESS');
      expect(names(firehose)).toEqual(['ListTagsForDeliveryStreamCommand', 'DescribeDeliveryStreamCommand']);
    });

    test('listing the tags throttled: retried, then judged', async () => {
      firehose.on(ListTagsForDeliveryStreamCommand).callsFake(sequence<ListTagsForDeliveryStreamOutput>(
        new FirehoseLimitExceeded({ message: 'Rate exceeded', ...CLIENT_ERROR_METADATA }),
        awsError('ThrottlingException', 'Rate exceeded'),
        tagged(OTHER_STACK),
      ));
      expect((await h.run(deleteEvent())).Status).toBe('SUCCESS');
      expect(calls(ListTagsForDeliveryStreamCommand)).toHaveLength(3);
      expect(calls(StopDeliveryStreamEncryptionCommand)).toHaveLength(0);
    });

    test('listing the tags throttled until the deadline: FAILED THROTTLED, no Stop sent after the deadline', async () => {
      firehose.on(ListTagsForDeliveryStreamCommand).rejects(awsError('ThrottlingException', 'Rate exceeded'));
      const answer = await h.run(deleteEvent(properties({ TimeoutSeconds: '60' })));
      expect(answer).toMatchObject({ Status: 'FAILED', PhysicalResourceId: 'firehose:orders' });
      expect(answer.Reason).toMatch(/^THROTTLED: ListTagsForDeliveryStream for orders was throttled until the deadline/);
      expect(calls(DescribeDeliveryStreamCommand)).toHaveLength(0);
      expect(calls(StopDeliveryStreamEncryptionCommand)).toHaveLength(0);
    });

    test('the tag names this resource but the stream was already DISABLED: no Stop, the tag removed', async () => {
      firehose.on(ListTagsForDeliveryStreamCommand).resolves(tagged(ORDERS_SSE_OWNER));
      reads(described(enc.disabled()));
      expect((await h.run(deleteEvent())).Status).toBe('SUCCESS');
      expect(names(firehose)).toEqual(['ListTagsForDeliveryStreamCommand', 'DescribeDeliveryStreamCommand', 'UntagDeliveryStreamCommand']);
    });

    test('the tag names this resource and the stream is being deleted: no Stop, no tag removal', async () => {
      firehose.on(ListTagsForDeliveryStreamCommand).resolves(tagged(ORDERS_SSE_OWNER));
      reads(described(enc.enabled(), { DeliveryStreamStatus: 'DELETING' }));
      expect((await h.run(deleteEvent())).Status).toBe('SUCCESS');
      expect(names(firehose)).toEqual(['ListTagsForDeliveryStreamCommand', 'DescribeDeliveryStreamCommand']);
    });

    test('removing the tag fails: still SUCCESS, with a warning', async () => {
      firehose.on(ListTagsForDeliveryStreamCommand).resolves(tagged(ORDERS_SSE_OWNER));
      firehose.on(UntagDeliveryStreamCommand).rejects(awsError('AccessDeniedException', 'not authorized'));
      reads(described(enc.enabled()), described(enc.disabled()));
      expect((await h.run(deleteEvent())).Status).toBe('SUCCESS');
      expect(h.records().filter((r) => r.action === 'owner').at(-1)).toMatchObject({ level: 'warn', status: 'not untagged' });
    });

    test('removal policy retain: no call, not even for the tags', async () => {
      expect((await h.run(deleteEvent(properties({ RemovalPolicy: 'retain' })))).Status).toBe('SUCCESS');
      expect(firehose.calls()).toHaveLength(0);
    });

    test('an event without a logical id: no tag read or written, Stop as ever', async () => {
      reads(described(enc.enabled()), described(enc.disabled()));
      const event = { ...deleteEvent() } as Partial<CloudFormationCustomResourceEvent>;
      delete event.LogicalResourceId;
      expect((await h.run(event as CloudFormationCustomResourceEvent)).Status).toBe('SUCCESS');
      expect(names(firehose)).toEqual(['DescribeDeliveryStreamCommand', 'StopDeliveryStreamEncryptionCommand', 'DescribeDeliveryStreamCommand']);
    });
  });
});

describe('Kinesis', () => {
  const calls = (command: Parameters<typeof kinesis.commandCalls>[0]) => kinesis.commandCalls(command);
  const stream = { StreamName: 'events', StreamARN: STREAM_ARN };

  test('Create: AddTagsToStream with this resource\'s value and the prior state, by name and ARN, as a claim before the Start that stays', async () => {
    kinesisReads(summary(sse.none()), summary(sse.none()), summary(sse.kms(), 'UPDATING'), summary(sse.kms()));
    expect((await h.run(kinesisCreate())).Status).toBe('SUCCESS');
    expect(names(kinesis).slice(1, 5)).toEqual(['AddTagsToStreamCommand', 'ListTagsForStreamCommand', 'DescribeStreamSummaryCommand', 'StartStreamEncryptionCommand']);
    expect(names(kinesis).slice(-2)).toEqual(['DescribeStreamSummaryCommand', 'RemoveTagsFromStreamCommand']);
    expect(calls(RemoveTagsFromStreamCommand).map((c) => c.args[0].input)).toEqual([{ ...stream, TagKeys: [OWN_COPY] }]);
    const value = `${EVENTS_SSE_OWNER} prior=none claim=${claimNonce()}`;
    const claim = { ...stream, Tags: { [OWNER_TAG_KEY]: value, [OWN_COPY]: value } };
    expect(calls(AddTagsToStreamCommand).map((c) => c.args[0].input)).toEqual([claim]);
  });

  test('the second copy of a Create while the first is UPDATING (the tag names it, prior=none): SUCCESS, id `#prior=none`, no Start', async () => {
    kinesis.on(ListTagsForStreamCommand).resolves(tagged(formatOwnerTag({ owner: EVENTS_SSE_OWNER, prior: PRIOR_NONE })));
    kinesisReads(summary(sse.kms(), 'UPDATING'), summary(sse.kms()));
    expect(await h.run(kinesisCreate())).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'kinesis:events#prior=none' });
    expect(calls(StartStreamEncryptionCommand)).toHaveLength(0);
    expect(calls(AddTagsToStreamCommand).map((c) => c.args[0].input.Tags?.[OWNER_TAG_KEY])).toEqual([`${EVENTS_SSE_OWNER} prior=none`]);
  });

  test('already encrypted with the wanted key: tagged all the same', async () => {
    kinesisReads(summary(sse.kms()));
    expect((await h.run(kinesisCreate())).Status).toBe('SUCCESS');
    expect(names(kinesis)).toEqual(['DescribeStreamSummaryCommand', 'ListTagsForStreamCommand', 'AddTagsToStreamCommand']);
  });

  test('an Update of non-functional properties only: one Describe, no tag call', async () => {
    kinesisReads(summary(sse.kms()));
    expect((await h.run(kinesisUpdate(kinesisProperties({ SettleSeconds: '0' }), kinesisProperties()))).Status).toBe('SUCCESS');
    expect(names(kinesis)).toEqual(['DescribeStreamSummaryCommand']);
  });

  test('a Create that fails before any Start was taken removes its claim with RemoveTagsFromStream', async () => {
    kinesisReads(summary(sse.none()));
    kinesis.on(StartStreamEncryptionCommand).rejects(new KinesisInvalidArgument({ message: 'bad request', ...CLIENT_ERROR_METADATA }));
    expect((await h.run(kinesisCreate()))).toMatchObject({ Status: 'FAILED', PhysicalResourceId: 'kinesis:events#not-started' });
    expect(names(kinesis)).toEqual([
      ...KINESIS_CLAIM,
      'StartStreamEncryptionCommand',
      'RemoveTagsFromStreamCommand',
    ]);
    expect(calls(RemoveTagsFromStreamCommand)[0].args[0].input).toEqual({ ...stream, TagKeys: [OWNER_TAG_KEY, OWN_COPY] });
  });

  test('tagging refused: still SUCCESS, with a warning', async () => {
    kinesisReads(summary(sse.kms()));
    kinesis.on(AddTagsToStreamCommand).rejects(new KinesisAccessDenied({ message: 'not authorized', ...CLIENT_ERROR_METADATA }));
    expect((await h.run(kinesisCreate())).Status).toBe('SUCCESS');
    expect(h.records().find((r) => r.action === 'owner')).toMatchObject({ level: 'warn', status: 'not tagged' });
  });

  test('AddTagsToStream over the rate (Kinesis answers LimitExceededException "Rate exceeded …"): retried', async () => {
    kinesisReads(summary(sse.kms()));
    kinesis.on(AddTagsToStreamCommand).callsFake(sequence<object>(
      new KinesisLimitExceeded({ message: 'Rate exceeded for stream events under account 123456789012.', ...CLIENT_ERROR_METADATA }),
      {},
    ));
    expect((await h.run(kinesisCreate())).Status).toBe('SUCCESS');
    expect(calls(AddTagsToStreamCommand)).toHaveLength(2);
    expect(h.records().find((r) => r.action === 'owner')).toMatchObject({ level: 'info', status: 'tagged' });
  });

  // Kinesis documents tag values as "Unicode letters, digits, white space, _ . / = + - % @": no colon
  // (https://docs.aws.amazon.com/kinesis/latest/APIReference/API_Tag.html); the local cloud refuses one.
  // A prior state that is a key ARN has colons: the owner tag writes them as %3A.
  test('a stream that had a customer key by ARN: every owner tag value written uses only the characters Kinesis documents', async () => {
    kinesisReads(summary(sse.kms(OTHER_KEY_ARN)), summary(sse.kms(OTHER_KEY_ARN)), summary(sse.kms(), 'UPDATING'), summary(sse.kms()));
    expect(await h.run(kinesisCreate())).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: `kinesis:events#prior=${OTHER_KEY_ARN}` });
    const values = calls(AddTagsToStreamCommand).map((c) => c.args[0].input.Tags?.[OWNER_TAG_KEY] ?? '');
    expect(values).toHaveLength(1);
    expect(values[0]).toContain('prior=arn%3Aaws%3Akms%3A');
    for (const value of values) {
      expect(value).toMatch(/^[\p{L}\p{Z}\p{N}_./=+\-%@]*$/u);
    }
  });

  test('Delete, no owner tag: Stop', async () => {
    kinesisReads(summary(sse.kms()), summary(sse.none()));
    expect((await h.run(kinesisDelete())).Status).toBe('SUCCESS');
    expect(calls(ListTagsForStreamCommand).map((c) => c.args[0].input)).toEqual([{ ...stream, Limit: 50 }]);
    expect(calls(StopStreamEncryptionCommand)).toHaveLength(1);
    expect(calls(RemoveTagsFromStreamCommand)).toHaveLength(0);
  });

  test('Delete, the tag names this resource: Stop, then RemoveTagsFromStream', async () => {
    kinesis.on(ListTagsForStreamCommand).resolves(tagged(EVENTS_SSE_OWNER));
    kinesisReads(summary(sse.kms()), summary(sse.none(), 'UPDATING'), summary(sse.none()));
    expect((await h.run(kinesisDelete())).Status).toBe('SUCCESS');
    expect(names(kinesis)).toEqual([
      'ListTagsForStreamCommand',
      'DescribeStreamSummaryCommand',
      'StopStreamEncryptionCommand',
      'DescribeStreamSummaryCommand',
      'DescribeStreamSummaryCommand',
      'RemoveTagsFromStreamCommand',
    ]);
    expect(calls(RemoveTagsFromStreamCommand)[0].args[0].input).toEqual({ ...stream, TagKeys: [OWNER_TAG_KEY] });
  });

  test('Delete, the tag names another resource: SUCCESS without Stop', async () => {
    kinesis.on(ListTagsForStreamCommand).resolves(tagged(ownerTagValue(STACK_ID, 'EventsEncryption')));
    const answer = await h.run(kinesisDelete());
    expect(answer).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'kinesis:events' });
    expect(answer.Reason).toContain('managed by another resource');
    expect(names(kinesis)).toEqual(['ListTagsForStreamCommand']);
  });

  test('Delete, listing the tags fails: falls back to Stop', async () => {
    kinesis.on(ListTagsForStreamCommand).rejects(new KinesisAccessDenied({ message: 'not authorized', ...CLIENT_ERROR_METADATA }));
    kinesisReads(summary(sse.kms()), summary(sse.none()));
    expect((await h.run(kinesisDelete())).Status).toBe('SUCCESS');
    expect(calls(StopStreamEncryptionCommand)).toHaveLength(1);
    expect(h.records().find((r) => r.action === 'owner')).toMatchObject({ level: 'warn' });
  });

  test('Delete, listing the tags over the rate: retried, then judged', async () => {
    kinesis.on(ListTagsForStreamCommand).callsFake(sequence<ListTagsForStreamOutput>(
      new KinesisLimitExceeded({ message: 'Rate exceeded for stream events under account 123456789012.', ...CLIENT_ERROR_METADATA }),
      tagged(EVENTS_SSE_OWNER),
    ));
    kinesisReads(summary(sse.kms()), summary(sse.none()));
    expect((await h.run(kinesisDelete())).Status).toBe('SUCCESS');
    expect(calls(ListTagsForStreamCommand)).toHaveLength(2);
    expect(calls(StopStreamEncryptionCommand)).toHaveLength(1);
    expect(calls(RemoveTagsFromStreamCommand)).toHaveLength(1);
  });

  test('Delete with a customer key already rotated by another resource\'s Create keeps that key', async () => {
    kinesis.on(ListTagsForStreamCommand).resolves(tagged(OTHER_STACK));
    kinesisReads(summary(sse.kms(OTHER_KEY_ARN)));
    expect((await h.run(kinesisDelete(kinesisProperties({ KeyId: KEY_ARN }))))).toMatchObject({ Status: 'SUCCESS' });
    expect(calls(StopStreamEncryptionCommand)).toHaveLength(0);
  });
});
