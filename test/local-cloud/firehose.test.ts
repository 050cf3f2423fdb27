import {
  DeliveryStreamDescription,
  InvalidArgumentException,
  LimitExceededException,
  ResourceInUseException,
  ResourceNotFoundException,
} from '@aws-sdk/client-firehose';
import { DisableKeyCommand, ScheduleKeyDeletionCommand } from '@aws-sdk/client-kms';
import { FUNCTIONAL_OPTIONS, keyArn, rejectionOf, useTestCloud } from './helpers';
import type { RegisterKeySpec, StreamSpec } from '../../tools/local-cloud';

const HOUR = 60 * 60 * 1000;
const SOURCE_ARN = 'arn:aws:kinesis:us-east-1:123456789012:stream/source';
const ROLE_ARN = 'arn:aws:iam::123456789012:role/firehose-source';

const t = useTestCloud(FUNCTIONAL_OPTIONS, { resetEach: true });

/** A delivery stream made through the control API (the handler never creates one). */
async function createStream(name: string, spec: Partial<StreamSpec> = {}): Promise<string> {
  return t.cloud.control.createStream({ name, ...spec }).description.DeliveryStreamARN;
}

async function describeStream(name: string): Promise<DeliveryStreamDescription> {
  return (await t.delivery.describe(name)).DeliveryStreamDescription!;
}

function start(name: string, arn?: string) {
  return t.delivery.start(name, arn ? { KeyType: 'CUSTOMER_MANAGED_CMK', KeyARN: arn } : { KeyType: 'AWS_OWNED_CMK' });
}

function stop(name: string) {
  return t.delivery.stop(name);
}

/** A customer managed key made through the control API. */
async function newKey(spec: RegisterKeySpec = {}): Promise<string> {
  return t.cloud.control.registerKey(spec).Arn;
}

function advance(ms: number) {
  t.cloud.control.advanceClock(ms);
}

describe('DescribeDeliveryStream', () => {
  test('Describe of a missing stream is ResourceNotFoundException', async () => {
    const error = await rejectionOf(describeStream('missing'));
    expect(error).toBeInstanceOf(ResourceNotFoundException);
    expect(error.message).toBe('Firehose stream missing under account 123456789012 not found.');
  });
});

describe('StartDeliveryStreamEncryption and StopDeliveryStreamEncryption', () => {
  test('Start goes ENABLING, then ENABLED after enablingMs, with the customer key', async () => {
    await createStream('orders');
    const key = await newKey();
    await start('orders', key);

    const enabling = await describeStream('orders');
    expect(enabling.DeliveryStreamEncryptionConfiguration).toEqual({ KeyARN: key, KeyType: 'CUSTOMER_MANAGED_CMK', Status: 'ENABLING' });
    expect(enabling.VersionId).toBe('2');
    expect(t.cloud.control.stream('orders')?.appliedKey).toBeNull();

    advance(59_000);
    expect((await describeStream('orders')).DeliveryStreamEncryptionConfiguration?.Status).toBe('ENABLING');
    advance(1_000);
    expect((await describeStream('orders')).DeliveryStreamEncryptionConfiguration).toEqual({ KeyARN: key, KeyType: 'CUSTOMER_MANAGED_CMK', Status: 'ENABLED' });
    expect(t.cloud.control.stream('orders')?.appliedKey).toEqual({ keyType: 'CUSTOMER_MANAGED_CMK', keyArn: key });
  });

  test('transitions also complete in real time with short delays', async () => {
    t.cloud.control.setDelays({ enablingMs: 50, disablingMs: 50 });
    await createStream('orders');
    await start('orders');
    expect((await describeStream('orders')).DeliveryStreamEncryptionConfiguration?.Status).toBe('ENABLING');
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect((await describeStream('orders')).DeliveryStreamEncryptionConfiguration).toEqual({ KeyType: 'AWS_OWNED_CMK', Status: 'ENABLED' });
    await stop('orders');
    expect((await describeStream('orders')).DeliveryStreamEncryptionConfiguration?.Status).toBe('DISABLING');
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect((await describeStream('orders')).DeliveryStreamEncryptionConfiguration).toEqual({ Status: 'DISABLED' });
  });

  test('Start without a configuration uses AWS_OWNED_CMK', async () => {
    await createStream('orders');
    await t.delivery.start('orders');
    advance(60_000);
    expect((await describeStream('orders')).DeliveryStreamEncryptionConfiguration).toEqual({ KeyType: 'AWS_OWNED_CMK', Status: 'ENABLED' });
  });

  test('Start accepts an alias ARN and resolves it through KMS', async () => {
    await createStream('orders');
    await newKey({ aliases: ['alias/orders'] });
    const aliasArn = 'arn:aws:kms:us-east-1:123456789012:alias/orders';
    await start('orders', aliasArn);
    advance(60_000);
    expect((await describeStream('orders')).DeliveryStreamEncryptionConfiguration).toEqual({ KeyARN: aliasArn, KeyType: 'CUSTOMER_MANAGED_CMK', Status: 'ENABLED' });
  });

  test('Stop goes DISABLING, then DISABLED after disablingMs', async () => {
    await createStream('orders');
    const key = await newKey();
    await start('orders', key);
    advance(60_000);
    await stop('orders');
    const disabling = await describeStream('orders');
    expect(disabling.DeliveryStreamEncryptionConfiguration).toEqual({ KeyARN: key, KeyType: 'CUSTOMER_MANAGED_CMK', Status: 'DISABLING' });
    advance(60_000);
    expect((await describeStream('orders')).DeliveryStreamEncryptionConfiguration).toEqual({ Status: 'DISABLED' });
    expect(t.cloud.control.stream('orders')?.appliedKey).toBeNull();
  });

  describe('ENABLING_FAILED causes', () => {
    const cases: Array<[string, () => Promise<string>, string, RegExp]> = [
      ['a key that does not exist', async () => keyArn('00000000-0000-0000-0000-000000000000'), 'KMS_KEY_NOT_FOUND', /does not exist/],
      ['a disabled key', async () => {
        const key = await newKey();
        await t.kms.send(new DisableKeyCommand({ KeyId: key }));
        return key;
      }, 'DISABLED_KMS_KEY', /disabled/],
      ['a key pending deletion', async () => {
        const key = await newKey();
        await t.kms.send(new ScheduleKeyDeletionCommand({ KeyId: key, PendingWindowInDays: 7 }));
        return key;
      }, 'INVALID_KMS_KEY', /pending deletion/],
      ['an asymmetric ENCRYPT_DECRYPT key', () => newKey({ keySpec: 'RSA_2048', keyUsage: 'ENCRYPT_DECRYPT' }), 'INVALID_KMS_KEY', /KeySpec RSA_2048/],
      ['a symmetric key that is not for ENCRYPT_DECRYPT', () => newKey({ keySpec: 'HMAC_256', keyUsage: 'GENERATE_VERIFY_MAC' }), 'INVALID_KMS_KEY', /KeyUsage GENERATE_VERIFY_MAC/],
    ];
    test.each(cases)('Start with %s', async (_what, makeKey, type, details) => {
      await createStream('orders');
      const key = await makeKey();
      await start('orders', key);
      expect((await describeStream('orders')).DeliveryStreamEncryptionConfiguration?.Status).toBe('ENABLING');
      advance(60_000);
      const d = await describeStream('orders');
      expect(d.DeliveryStreamEncryptionConfiguration).toEqual({
        KeyARN: key,
        KeyType: 'CUSTOMER_MANAGED_CMK',
        Status: 'ENABLING_FAILED',
        FailureDescription: { Type: type, Details: expect.stringMatching(details) },
      });
      expect(d.DeliveryStreamEncryptionConfiguration?.FailureDescription?.Details).toContain(key);
      expect(d.FailureDescription).toEqual(d.DeliveryStreamEncryptionConfiguration?.FailureDescription);
      expect(d.DeliveryStreamStatus).toBe('ACTIVE');
      expect(t.cloud.control.stream('orders')?.appliedKey).toBeNull();
    });
  });

  test('a failed key change leaves the old key applied, and a retry with a good key succeeds', async () => {
    await createStream('orders');
    const oldKey = await newKey();
    const badKey = await newKey();
    await t.kms.send(new DisableKeyCommand({ KeyId: badKey }));
    await start('orders', oldKey);
    advance(60_000);

    await start('orders', badKey);
    expect((await describeStream('orders')).DeliveryStreamEncryptionConfiguration).toMatchObject({ KeyARN: badKey, Status: 'ENABLING' });
    expect(t.cloud.control.stream('orders')?.appliedKey).toEqual({ keyType: 'CUSTOMER_MANAGED_CMK', keyArn: oldKey });
    advance(60_000);
    const failed = (await describeStream('orders')).DeliveryStreamEncryptionConfiguration;
    expect(failed).toMatchObject({ KeyARN: oldKey, KeyType: 'CUSTOMER_MANAGED_CMK', Status: 'ENABLING_FAILED', FailureDescription: { Type: 'DISABLED_KMS_KEY' } });
    expect(t.cloud.control.stream('orders')?.appliedKey).toEqual({ keyType: 'CUSTOMER_MANAGED_CMK', keyArn: oldKey });

    const goodKey = await newKey();
    await start('orders', goodKey);
    advance(60_000);
    expect((await describeStream('orders')).DeliveryStreamEncryptionConfiguration).toEqual({ KeyARN: goodKey, KeyType: 'CUSTOMER_MANAGED_CMK', Status: 'ENABLED' });
  });

  test('Start may repeat the key of an ENABLING_FAILED attempt once the key is usable', async () => {
    await createStream('orders');
    const key = await newKey();
    t.cloud.control.setKeyState(key, 'Disabled');
    await start('orders', key);
    advance(60_000);
    t.cloud.control.setKeyState(key, 'Enabled');
    await start('orders', key);
    advance(60_000);
    expect((await describeStream('orders')).DeliveryStreamEncryptionConfiguration?.Status).toBe('ENABLED');
  });

  test('failNextStart forces one ENABLING_FAILED with the given description, whatever the key', async () => {
    await createStream('orders');
    const key = await newKey();
    t.cloud.control.failNextStart('orders', { Type: 'KMS_ACCESS_DENIED', Details: 'denied by key policy' });
    await start('orders', key);
    advance(60_000);
    expect((await describeStream('orders')).DeliveryStreamEncryptionConfiguration).toMatchObject({
      Status: 'ENABLING_FAILED',
      FailureDescription: { Type: 'KMS_ACCESS_DENIED', Details: 'denied by key policy' },
    });
    await start('orders', key);
    advance(60_000);
    expect((await describeStream('orders')).DeliveryStreamEncryptionConfiguration?.Status).toBe('ENABLED');
  });

  test('failNextStop forces DISABLING_FAILED and keeps the key applied', async () => {
    await createStream('orders');
    const key = await newKey();
    await start('orders', key);
    advance(60_000);
    t.cloud.control.failNextStop('orders', { Type: 'RETIRE_KMS_GRANT_FAILED', Details: 'grant could not be retired' });
    await stop('orders');
    advance(60_000);
    expect((await describeStream('orders')).DeliveryStreamEncryptionConfiguration).toEqual({
      KeyARN: key,
      KeyType: 'CUSTOMER_MANAGED_CMK',
      Status: 'DISABLING_FAILED',
      FailureDescription: { Type: 'RETIRE_KMS_GRANT_FAILED', Details: 'grant could not be retired' },
    });
    expect(t.cloud.control.stream('orders')?.appliedKey).toEqual({ keyType: 'CUSTOMER_MANAGED_CMK', keyArn: key });
  });

  describe('refusals', () => {
    test('InvalidArgumentException for Start and Stop on a non-DirectPut stream', async () => {
      await createStream('k', { type: 'KinesisStreamAsSource', kinesisStreamArn: SOURCE_ARN, roleArn: ROLE_ARN });
      for (const call of [() => start('k'), () => stop('k')]) {
        const error = await rejectionOf(call());
        expect(error).toBeInstanceOf(InvalidArgumentException);
        expect(error.message).toMatch(/KinesisStreamAsSource.*only on DirectPut/);
      }
    });

    test('InvalidArgumentException for Start with the key type and key already ENABLED', async () => {
      await createStream('cmk');
      const key = await newKey();
      await start('cmk', key);
      await createStream('owned');
      await start('owned');
      advance(60_000);
      const sameCmk = await rejectionOf(start('cmk', key));
      expect(sameCmk).toBeInstanceOf(InvalidArgumentException);
      expect(sameCmk.message).toBe(`Encryption of Firehose stream cmk is already ENABLED with KeyType CUSTOMER_MANAGED_CMK and KeyARN ${key}.`);
      expect(await rejectionOf(start('owned'))).toBeInstanceOf(InvalidArgumentException);
      // another key, or the other type, is a change and is accepted
      await start('owned', key);
      await start('cmk');
    });

    test('InvalidArgumentException for an inconsistent key type and KeyARN', async () => {
      await createStream('orders');
      const noArn = await rejectionOf(t.delivery.start('orders', { KeyType: 'CUSTOMER_MANAGED_CMK' }));
      expect(noArn).toBeInstanceOf(InvalidArgumentException);
      expect(noArn.message).toMatch(/KeyARN is required/);
      const ownedWithArn = await rejectionOf(t.delivery.start('orders', { KeyType: 'AWS_OWNED_CMK', KeyARN: keyArn('k') }));
      expect(ownedWithArn).toBeInstanceOf(InvalidArgumentException);
      expect(t.cloud.control.stream('orders')?.encryptionCalls.inWindow).toBe(0);
    });

    test('ResourceInUseException while the stream is not ACTIVE', async () => {
      t.cloud.control.setDelays({ creatingMs: 1_000, deletingMs: 1_000 });
      await createStream('orders', { status: 'CREATING' });
      for (const call of [() => start('orders'), () => stop('orders')]) {
        const error = await rejectionOf(call());
        expect(error).toBeInstanceOf(ResourceInUseException);
        expect(error.message).toMatch(/CREATING state/);
      }
      await createStream('leaving', { status: 'DELETING' });
      expect((await rejectionOf(start('leaving'))).message).toMatch(/DELETING state/);
    });

    test('ResourceInUseException while encryption is ENABLING or DISABLING', async () => {
      await createStream('orders');
      await start('orders');
      for (const call of [() => start('orders', keyArn('other')), () => stop('orders')]) {
        const error = await rejectionOf(call());
        expect(error).toBeInstanceOf(ResourceInUseException);
        expect(error.message).toMatch(/is ENABLING/);
      }
      advance(60_000);
      await stop('orders');
      const error = await rejectionOf(start('orders'));
      expect(error).toBeInstanceOf(ResourceInUseException);
      expect(error.message).toMatch(/is DISABLING/);
      expect(t.cloud.control.stream('orders')?.encryptionCalls.inWindow).toBe(2);
    });

    test('ResourceNotFoundException for Start and Stop on a missing stream', async () => {
      expect(await rejectionOf(start('missing'))).toBeInstanceOf(ResourceNotFoundException);
      expect(await rejectionOf(stop('missing'))).toBeInstanceOf(ResourceNotFoundException);
    });
  });

  describe('the limit of 25 Start and Stop calls per stream in a rolling 24 hours', () => {
    beforeEach(() => t.cloud.control.setDelays({ enablingMs: 0, disablingMs: 0 }));

    /** Alternates Start and Stop `n` times (the stream must be DISABLED). */
    async function toggle(name: string, n: number, firstIsStart = true): Promise<void> {
      for (let i = 0; i < n; i++) {
        await ((i % 2 === 0) === firstIsStart ? start(name) : stop(name));
      }
    }

    test('the 26th accepted call is LimitExceededException; refused calls do not count; 24 hours release it', async () => {
      await createStream('orders');
      await toggle('orders', 13); // Start, Stop, …, Start: ENABLED
      for (let i = 0; i < 3; i++) {
        // refused (same key already ENABLED): no effect on the budget
        expect(await rejectionOf(start('orders'))).toBeInstanceOf(InvalidArgumentException);
      }
      await toggle('orders', 12, false); // Stop, Start, …, Start: 25 accepted in all, ENABLED
      const limited = await rejectionOf(stop('orders'));
      expect(limited).toBeInstanceOf(LimitExceededException);
      expect(limited.message).toBe('Firehose stream orders has reached the limit of 25 StartDeliveryStreamEncryption and StopDeliveryStreamEncryption calls in 24 hours.');
      expect(await rejectionOf(stop('orders'))).toBeInstanceOf(LimitExceededException);
      expect((await describeStream('orders')).DeliveryStreamEncryptionConfiguration?.Status).toBe('ENABLED');
      expect(t.cloud.control.stream('orders')?.encryptionCalls).toEqual({ inWindow: 25, limit: 25, windowMs: 24 * HOUR });

      advance(24 * HOUR);
      await stop('orders');
      expect((await describeStream('orders')).DeliveryStreamEncryptionConfiguration?.Status).toBe('DISABLED');
    });

    test('the window rolls: calls expire 24 hours after they were made', async () => {
      await createStream('orders');
      await toggle('orders', 10); // t0: 10 calls, ends DISABLED
      advance(12 * HOUR);
      await toggle('orders', 15); // t0+12h: 15 calls, ends ENABLED
      expect(await rejectionOf(stop('orders'))).toBeInstanceOf(LimitExceededException);

      advance(12 * HOUR); // the 10 calls of t0 expire; the 15 of t0+12h remain
      await toggle('orders', 10, false);
      expect(await rejectionOf(stop('orders'))).toBeInstanceOf(LimitExceededException);
    });

    test('the limit is per stream', async () => {
      await createStream('a');
      await createStream('b');
      await toggle('a', 25);
      expect(await rejectionOf(stop('a'))).toBeInstanceOf(LimitExceededException);
      await start('b');
    });
  });
});

describe('TagDeliveryStream, UntagDeliveryStream and ListTagsForDeliveryStream', () => {
  const tag = (name: string, tags: Array<{ Key: string; Value?: string }>) => t.delivery.tag(name, tags);
  const untag = (name: string, keys: string[]) => t.delivery.untag(name, keys);
  const list = (name: string, extra: { Limit?: number; ExclusiveStartTagKey?: string } = {}) => t.delivery.listTags(name, extra);

  test('at most 50 tags per stream: LimitExceededException, and the tags are unchanged', async () => {
    await createStream('orders');
    await tag('orders', Array.from({ length: 49 }, (_, i) => ({ Key: `k${i}`, Value: '' })));
    await tag('orders', [{ Key: 'k0', Value: 'again' }, { Key: 'last', Value: '' }]); // 50: an overwrite does not count
    const error = await rejectionOf(tag('orders', [{ Key: 'one-more', Value: '' }]));
    expect(error).toBeInstanceOf(LimitExceededException);
    expect(error.message).toBe('Firehose stream orders would have 51 tags; a Firehose stream can have at most 50 tags.');
    expect(Object.keys(t.cloud.control.stream('orders')!.tags)).toHaveLength(50);
  });

  test('input is validated against the model: InvalidArgumentException', async () => {
    await createStream('orders');
    const reserved = await rejectionOf(tag('orders', [{ Key: 'aws:owner', Value: 'x' }]));
    expect(reserved).toBeInstanceOf(InvalidArgumentException);
    expect(reserved.message).toContain("Value 'aws:owner' at 'tags.1.member.key' failed to satisfy constraint: Member must satisfy regular expression pattern");
    const empty = await rejectionOf(untag('orders', []));
    expect(empty.message).toBe("1 validation error detected: Value '[]' at 'tagKeys' failed to satisfy constraint: Member must have length greater than or equal to 1");
    const limit = await rejectionOf(list('orders', { Limit: 51 }));
    expect(limit.message).toBe("1 validation error detected: Value '51' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 50");
    const twice = await rejectionOf(tag('orders', [{ Key: 'a', Value: '1' }, { Key: 'a', Value: '2' }]));
    expect(twice).toBeInstanceOf(InvalidArgumentException);
    expect(twice.message).toBe('Tag key a is given more than once.');
  });

  test('a missing stream is ResourceNotFoundException; a CREATING one cannot change its tags (ResourceInUseException) but lists them', async () => {
    expect(await rejectionOf(tag('missing', [{ Key: 'a', Value: '1' }]))).toBeInstanceOf(ResourceNotFoundException);
    expect(await rejectionOf(untag('missing', ['a']))).toBeInstanceOf(ResourceNotFoundException);
    expect(await rejectionOf(list('missing'))).toBeInstanceOf(ResourceNotFoundException);
    t.cloud.control.setStreamDelays('new', { creatingMs: 60_000 });
    t.cloud.control.createStream({ name: 'new', status: 'CREATING', tags: { team: 'orders' } });
    expect(await rejectionOf(tag('new', [{ Key: 'a', Value: '1' }]))).toBeInstanceOf(ResourceInUseException);
    expect(await rejectionOf(untag('new', ['team']))).toBeInstanceOf(ResourceInUseException);
    expect((await list('new')).Tags).toEqual([{ Key: 'team', Value: 'orders' }]);
  });

  test('calls are counted per stream, like the other operations', async () => {
    await createStream('orders');
    await tag('orders', [{ Key: 'a', Value: '1' }]);
    await list('orders');
    await rejectionOf(untag('orders', []));
    expect(t.cloud.control.calls('TagDeliveryStream', 'orders')).toEqual({ total: 1, accepted: 1, throttled: 0, failed: 0 });
    expect(t.cloud.control.calls('ListTagsForDeliveryStream', 'orders')).toMatchObject({ accepted: 1 });
    expect(t.cloud.control.calls('UntagDeliveryStream', 'orders')).toMatchObject({ total: 1, failed: 1 });
  });
});
