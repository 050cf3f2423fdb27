import { DescribeDeliveryStreamCommand, StartDeliveryStreamEncryptionCommand } from '@aws-sdk/client-firehose';
import {
  CancelKeyDeletionCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EnableKeyCommand,
  KeyMetadata,
  KMSInvalidStateException,
  NotFoundException,
  ScheduleKeyDeletionCommand,
} from '@aws-sdk/client-kms';
import { FUNCTIONAL_OPTIONS, keyArn, rejectionOf, useTestCloud } from './helpers';

const DAY = 24 * 60 * 60 * 1000;

const t = useTestCloud(FUNCTIONAL_OPTIONS, { resetEach: true });

/** A customer managed key made through the control API, with these aliases (the handler never creates one). */
async function createKey(aliases: string[] = []): Promise<{ KeyId: string; Arn: string }> {
  const { KeyId, Arn } = t.cloud.control.registerKey({ aliases });
  return { KeyId, Arn };
}

async function describeKey(keyId: string): Promise<KeyMetadata> {
  return (await t.kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!;
}

describe('DescribeKey', () => {
  test('finds a key by key id, key ARN, alias name and alias ARN', async () => {
    const key = await createKey(['alias/orders']);
    for (const reference of [key.KeyId!, key.Arn!, 'alias/orders', 'arn:aws:kms:us-east-1:123456789012:alias/orders']) {
      expect((await describeKey(reference)).KeyId).toBe(key.KeyId);
    }
  });

  test('NotFoundException for a missing key or alias', async () => {
    const byId = await rejectionOf(describeKey('11111111-2222-3333-4444-555555555555'));
    expect(byId).toBeInstanceOf(NotFoundException);
    expect(byId.message).toBe(`Key '${keyArn('11111111-2222-3333-4444-555555555555')}' does not exist`);
    const byAlias = await rejectionOf(describeKey('alias/missing'));
    expect(byAlias).toBeInstanceOf(NotFoundException);
    expect(byAlias.message).toBe('Alias arn:aws:kms:us-east-1:123456789012:alias/missing is not found.');
    expect(await rejectionOf(describeKey(keyArn('k', 'eu-west-1')))).toBeInstanceOf(NotFoundException);
  });

  test('a predefined alias/aws/<service> creates its AWS managed key once', async () => {
    const first = await describeKey('alias/aws/firehose');
    expect(first).toMatchObject({ KeyManager: 'AWS', KeySpec: 'SYMMETRIC_DEFAULT', KeyState: 'Enabled' });
    expect((await describeKey('alias/aws/firehose')).KeyId).toBe(first.KeyId);
    const error = await rejectionOf(t.kms.send(new DisableKeyCommand({ KeyId: first.KeyId })));
    expect(error.name).toBe('UnsupportedOperationException');
  });

  test('ValidationException for an empty KeyId', async () => {
    const error = await rejectionOf(describeKey(''));
    expect(error.name).toBe('ValidationException');
    expect(error.message).toBe("1 validation error detected: Value '' at 'keyId' failed to satisfy constraint: Member must have length greater than or equal to 1");
  });
});

describe('EnableKey, DisableKey, ScheduleKeyDeletion, CancelKeyDeletion', () => {
  test('DisableKey and EnableKey switch the key state', async () => {
    const key = await createKey();
    await t.kms.send(new DisableKeyCommand({ KeyId: key.KeyId }));
    expect(await describeKey(key.KeyId!)).toMatchObject({ KeyState: 'Disabled', Enabled: false });
    await t.kms.send(new EnableKeyCommand({ KeyId: key.Arn }));
    expect(await describeKey(key.KeyId!)).toMatchObject({ KeyState: 'Enabled', Enabled: true });
  });

  test('ScheduleKeyDeletion makes the key PendingDeletion, then deletes it (and its aliases) on its date', async () => {
    const key = await createKey(['alias/doomed']);
    const now = t.cloud.control.now();
    const out = await t.kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId, PendingWindowInDays: 7 }));
    expect(out).toMatchObject({ KeyId: key.Arn, KeyState: 'PendingDeletion', PendingWindowInDays: 7 });
    expect(Math.abs(out.DeletionDate!.getTime() - (now + 7 * DAY))).toBeLessThan(1_000);
    expect(await describeKey(key.KeyId!)).toMatchObject({ KeyState: 'PendingDeletion', Enabled: false, DeletionDate: out.DeletionDate });

    for (const call of [
      () => t.kms.send(new EnableKeyCommand({ KeyId: key.KeyId })),
      () => t.kms.send(new DisableKeyCommand({ KeyId: key.KeyId })),
      () => t.kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId })),
    ]) {
      const error = await rejectionOf(call());
      expect(error).toBeInstanceOf(KMSInvalidStateException);
      expect(error.message).toBe(`${key.Arn} is pending deletion.`);
    }

    t.cloud.control.advanceClock(7 * DAY);
    expect(await rejectionOf(describeKey(key.KeyId!))).toBeInstanceOf(NotFoundException);
    expect(await rejectionOf(describeKey('alias/doomed'))).toBeInstanceOf(NotFoundException);
  });

  test('CancelKeyDeletion brings the key back Disabled', async () => {
    const key = await createKey();
    expect(await rejectionOf(t.kms.send(new CancelKeyDeletionCommand({ KeyId: key.KeyId })))).toBeInstanceOf(KMSInvalidStateException);
    await t.kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId }));
    await t.kms.send(new CancelKeyDeletionCommand({ KeyId: key.KeyId }));
    const metadata = await describeKey(key.KeyId!);
    expect(metadata.KeyState).toBe('Disabled');
    expect(metadata.DeletionDate).toBeUndefined();
  });

  test.each([
    [5, /Value '5' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value greater than or equal to 7/],
    [31, /Member must have value less than or equal to 30/],
    [366, /Member must have value less than or equal to 365/],
  ])('ScheduleKeyDeletion with a %d-day window is a ValidationException', async (days, message) => {
    const key = await createKey();
    const error = await rejectionOf(t.kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId, PendingWindowInDays: days })));
    expect(error.name).toBe('ValidationException');
    expect(error.message).toMatch(message);
    expect((await describeKey(key.KeyId!)).KeyState).toBe('Enabled');
  });

  test('NotFoundException for a missing key', async () => {
    expect(await rejectionOf(t.kms.send(new DisableKeyCommand({ KeyId: 'missing' })))).toBeInstanceOf(NotFoundException);
  });
});

describe('registerKey (control)', () => {
  test('a key registered with a template ARN is found by ARN and alias, and Firehose can use it', async () => {
    const arn = 'arn:aws:kms:us-east-1:123456789012:key/0a1b2c3d-aaaa-bbbb-cccc-111122223333';
    const metadata = t.cloud.control.registerKey({ arn, aliases: ['alias/from-template'], description: 'from a template' });
    expect(metadata).toMatchObject({ Arn: arn, KeyId: '0a1b2c3d-aaaa-bbbb-cccc-111122223333', KeyState: 'Enabled', Description: 'from a template' });
    expect((await describeKey(arn)).Arn).toBe(arn);
    expect((await describeKey('alias/from-template')).Arn).toBe(arn);

    t.cloud.control.createStream({ name: 'orders' });
    await t.firehose.send(
      new StartDeliveryStreamEncryptionCommand({ DeliveryStreamName: 'orders', DeliveryStreamEncryptionConfigurationInput: { KeyType: 'CUSTOMER_MANAGED_CMK', KeyARN: arn } }),
    );
    t.cloud.control.advanceClock(60_000);
    const d = await t.firehose.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: 'orders' }));
    expect(d.DeliveryStreamDescription?.DeliveryStreamEncryptionConfiguration?.Status).toBe('ENABLED');
  });

  test('a registered key can have any spec and state, and another region', async () => {
    const arn = keyArn('rsa-key', 'eu-west-1', '210987654321');
    t.cloud.control.registerKey({ arn, keySpec: 'RSA_4096', keyUsage: 'ENCRYPT_DECRYPT', keyState: 'Disabled' });
    expect(await describeKey(arn)).toMatchObject({ KeySpec: 'RSA_4096', KeyState: 'Disabled', AWSAccountId: '210987654321' });
    expect(() => t.cloud.control.registerKey({ arn: 'arn:aws:s3:::bucket' })).toThrow(/is not a KMS key ARN/);
    expect(() => t.cloud.control.registerKey({ keySpec: 'HMAC_256' })).toThrow(/not compatible/);
  });
});
