import {
  AddTagsToStreamCommand,
  DescribeStreamSummaryCommand,
  InvalidArgumentException,
  KinesisClient,
  KinesisServiceException,
  KMSDisabledException,
  KMSInvalidStateException,
  KMSNotFoundException,
  KMSThrottlingException,
  LimitExceededException,
  ListTagsForStreamCommand,
  RemoveTagsFromStreamCommand,
  ResourceInUseException,
  ResourceNotFoundException,
  StartStreamEncryptionCommand,
  StopStreamEncryptionCommand,
  StreamDescriptionSummary,
  ValidationException,
} from '@aws-sdk/client-kinesis';
import { KMSClient } from '@aws-sdk/client-kms';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { claimedBy, keyArn, KINESIS_RATE_LIMITS_OFF, rejectionOf, useTestCloud } from './helpers';
import { handleEvent } from '../../lambda/core/handle-event';
import { ownerTagValue } from '../../lambda/core/ownership';
import type { CloudFormationResponse } from '../../lambda/core/response';
import { STREAM_SERVICES } from '../../lambda/kinds';
import { encodeDataStreamEncryptionProperties, formatOwnerTag, OWNER_TAG_KEY } from '../../src/private/contract';
import { ControlError, DataStreamSpec, LocalCloud, LocalCloudOptions, LocalClock, startLocalCloud } from '../../tools/local-cloud';

const HOUR = 60 * 60 * 1000;
const ACCOUNT = '123456789012';
const STREAM_ARN = `arn:aws:kinesis:us-east-1:${ACCOUNT}:stream/events`;
const KEY = keyArn('1234abcd-12ab-34cd-56ef-1234567890ab');
const OTHER_KEY = keyArn('ffffffff-12ab-34cd-56ef-1234567890ab');

/**
 * Functional options: no rate limits, and transitions that never complete by themselves within a
 * test, so that tests move them with `advanceClock`.
 */
const OPTIONS: LocalCloudOptions = {
  kinesisDelays: { creatingMs: 0, updatingMs: 60_000, deletingMs: 0 },
  throttle: KINESIS_RATE_LIMITS_OFF,
};

const t = useTestCloud(OPTIONS, { resetEach: true });

/** A data stream made through the control API (the handler never creates one). */
async function createStream(name = 'events', spec: Partial<DataStreamSpec> = {}): Promise<void> {
  t.cloud.control.createDataStream({ name, ...spec });
}

async function describe_(name = 'events'): Promise<StreamDescriptionSummary> {
  return (await t.kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }))).StreamDescriptionSummary!;
}

function start(keyId: string, name = 'events') {
  return t.kinesis.send(new StartStreamEncryptionCommand({ StreamName: name, EncryptionType: 'KMS', KeyId: keyId }));
}

function stop(keyId: string, name = 'events') {
  return t.kinesis.send(new StopStreamEncryptionCommand({ StreamName: name, EncryptionType: 'KMS', KeyId: keyId }));
}

function advance(ms: number): void {
  t.cloud.control.advanceClock(ms);
}

/** A stream encrypted with `keyId`, ACTIVE. */
function encrypted(keyId: string, name = 'events') {
  return t.cloud.control.createDataStream({ name, encryption: { keyId } });
}

describe('configuration through the standard environment variables only', () => {
  test('an unmodified KinesisClient with AWS_ENDPOINT_URL_KINESIS reaches the local cloud over HTTP/2', async () => {
    const names = Object.keys(t.cloud.env());
    const saved = Object.fromEntries(names.map((n) => [n, process.env[n]]));
    Object.assign(process.env, t.cloud.env());
    const client = new KinesisClient({ maxAttempts: 1 });
    try {
      t.cloud.control.createDataStream({ name: 'events' });
      const out = await client.send(new DescribeStreamSummaryCommand({ StreamARN: STREAM_ARN }));
      expect(out.StreamDescriptionSummary?.StreamName).toBe('events');
      expect(out.$metadata.httpStatusCode).toBe(200);
    } finally {
      client.destroy();
      for (const n of names) {
        if (saved[n] === undefined) delete process.env[n];
        else process.env[n] = saved[n];
      }
    }
    expect(t.cloud.control.calls('kinesis:DescribeStreamSummary', 'events').accepted).toBe(1);
  });
});

describe('DescribeStreamSummary', () => {
  test('an on-demand stream is described with the full StreamDescriptionSummary shape', async () => {
    const before = t.cloud.control.now();
    await createStream();
    const d = await describe_();
    expect(d).toEqual({
      StreamName: 'events',
      StreamARN: STREAM_ARN,
      StreamStatus: 'ACTIVE',
      StreamModeDetails: { StreamMode: 'ON_DEMAND' },
      RetentionPeriodHours: 24,
      StreamCreationTimestamp: expect.any(Date),
      EnhancedMonitoring: [{ ShardLevelMetrics: [] }],
      EncryptionType: 'NONE',
      OpenShardCount: 4,
      ConsumerCount: 0,
    });
    expect(d.StreamCreationTimestamp!.getTime()).toBeGreaterThanOrEqual(before);
  });

  test('a stream made CREATING is CREATING until creatingMs have passed, then ACTIVE', async () => {
    t.cloud.control.setKinesisDelays({ creatingMs: 5_000 });
    await createStream('events', { status: 'CREATING', streamMode: 'PROVISIONED', shardCount: 2 });
    expect((await describe_()).StreamStatus).toBe('CREATING');
    advance(4_000);
    expect((await describe_()).StreamStatus).toBe('CREATING');
    advance(1_000);
    expect(await describe_()).toMatchObject({ StreamStatus: 'ACTIVE', StreamModeDetails: { StreamMode: 'PROVISIONED' }, OpenShardCount: 2 });
  });

  test('a stream is named by StreamName, StreamARN or both, and counted under its name either way', async () => {
    await createStream();
    expect((await t.kinesis.send(new DescribeStreamSummaryCommand({ StreamARN: STREAM_ARN }))).StreamDescriptionSummary?.StreamName).toBe('events');
    expect((await t.kinesis.send(new DescribeStreamSummaryCommand({ StreamARN: STREAM_ARN, StreamName: 'events' }))).StreamDescriptionSummary?.StreamName).toBe('events');
    expect(t.cloud.control.calls('DescribeStreamSummary', 'events').accepted).toBe(2);
  });

  test.each<[string, object, new (...args: never[]) => Error, RegExp]>([
    ['a StreamARN and a StreamName that disagree', { StreamARN: STREAM_ARN, StreamName: 'clicks' }, InvalidArgumentException, /do not name the same stream/],
    ['neither a StreamName nor a StreamARN', {}, InvalidArgumentException, /Either StreamName or StreamARN must be specified/],
    ['a stream that does not exist', { StreamName: 'clicks' }, ResourceNotFoundException, /Stream clicks under account 123456789012 not found\./],
    ['a stream ARN of another account', { StreamARN: 'arn:aws:kinesis:us-east-1:210987654321:stream/events' }, ResourceNotFoundException, /under account 210987654321 not found/],
    ['a stream ARN of another region', { StreamARN: 'arn:aws:kinesis:eu-west-1:123456789012:stream/events' }, ResourceNotFoundException, /not found/],
  ])('%s is refused', async (_name, input, errorClass, message) => {
    await createStream();
    const error = await rejectionOf(t.kinesis.send(new DescribeStreamSummaryCommand(input)));
    expect(error).toBeInstanceOf(errorClass);
    expect(error.message).toMatch(message);
  });

  test('input is validated against the model: every violation in one ValidationException', async () => {
    const arn = await rejectionOf(t.kinesis.send(new DescribeStreamSummaryCommand({ StreamARN: 'arn:aws:firehose:us-east-1:123456789012:deliverystream/events' })));
    expect(arn).toBeInstanceOf(ValidationException);
    const key = await rejectionOf(t.kinesis.send(new StartStreamEncryptionCommand({ StreamName: 'events', EncryptionType: 'KMS', KeyId: '' })));
    expect(key.message).toMatch(/at 'keyId' failed to satisfy constraint: Member must have length greater than or equal to 1/);
    expect(t.cloud.control.calls('DescribeStreamSummary').failed).toBe(1);
  });
});

describe('StartStreamEncryption and StopStreamEncryption', () => {
  test('Start: UPDATING with the new key at once, ACTIVE with it after updatingMs', async () => {
    t.cloud.control.registerKey({ arn: KEY });
    await createStream();
    await start(KEY);
    expect(await describe_()).toMatchObject({ StreamStatus: 'UPDATING', EncryptionType: 'KMS', KeyId: KEY });
    expect(t.cloud.control.dataStream('events')).toMatchObject({
      appliedEncryption: { EncryptionType: 'NONE' },
      pendingChange: { status: 'UPDATING', willFail: false },
      keyApplications: { inWindow: 1, limit: 25, windowMs: 24 * HOUR },
    });
    advance(60_000);
    expect(await describe_()).toMatchObject({ StreamStatus: 'ACTIVE', EncryptionType: 'KMS', KeyId: KEY });
    expect(t.cloud.control.dataStream('events')?.appliedEncryption).toEqual({ EncryptionType: 'KMS', KeyId: KEY });
  });

  test('nothing changes while the stream is not ACTIVE', async () => {
    t.cloud.control.registerKey({ arn: KEY });
    t.cloud.control.setKinesisDelays({ creatingMs: 1_000 });
    await createStream('events', { status: 'CREATING' });
    const creating = await rejectionOf(start(KEY));
    expect(creating).toBeInstanceOf(ResourceInUseException);
    expect(creating.message).toBe('Stream events under account 123456789012 not ACTIVE, instead in state CREATING');
    advance(1_000);
    await start(KEY);
    expect(await rejectionOf(start(KEY))).toBeInstanceOf(ResourceInUseException);
    expect(await rejectionOf(stop(KEY))).toBeInstanceOf(ResourceInUseException);
  });

  test('the Kinesis managed key always works, by alias name or alias ARN, without a KMS key', async () => {
    await createStream();
    await start('alias/aws/kinesis');
    advance(60_000);
    expect(await describe_()).toMatchObject({ EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' });
    await stop('arn:aws:kms:us-east-1:123456789012:alias/aws/kinesis');
    advance(60_000);
    expect(await describe_()).toMatchObject({ EncryptionType: 'NONE' });
  });

  test('a key is accepted by key ARN, key id, alias name and alias ARN, and shown as given', async () => {
    t.cloud.control.registerKey({ arn: KEY, aliases: ['alias/events'] });
    t.cloud.control.setKinesisDelays({ updatingMs: 0 });
    await createStream();
    for (const reference of ['1234abcd-12ab-34cd-56ef-1234567890ab', 'alias/events', 'arn:aws:kms:us-east-1:123456789012:alias/events', KEY]) {
      await start(reference);
      expect((await describe_()).KeyId).toBe(reference);
    }
  });

  test.each<[string, (c: LocalCloud) => void, new (...args: never[]) => Error, RegExp]>([
    ['a key that does not exist', () => undefined, KMSNotFoundException, /could not find KMS key .*NotFoundException/],
    ['an alias that does not exist', (c) => c.control.registerKey({ arn: OTHER_KEY }), KMSNotFoundException, /could not find/],
    ['a disabled key', (c) => c.control.registerKey({ arn: KEY, keyState: 'Disabled' }), KMSDisabledException, /is disabled/],
    ['a key pending deletion', (c) => c.control.registerKey({ arn: KEY, keyState: 'PendingDeletion' }), KMSInvalidStateException, /pending deletion/],
    ['a key pending import', (c) => c.control.registerKey({ arn: KEY, keyState: 'PendingImport' }), KMSInvalidStateException, /in state PendingImport/],
    ['an asymmetric key', (c) => c.control.registerKey({ arn: KEY, keySpec: 'RSA_2048' }), InvalidArgumentException, /only with symmetric encryption keys/],
    ['an HMAC key', (c) => c.control.registerKey({ arn: KEY, keySpec: 'HMAC_256', keyUsage: 'GENERATE_VERIFY_MAC' }), InvalidArgumentException, /KeySpec HMAC_256/],
  ])('Start with %s: the KMS error Kinesis answers, nothing changes, no key application spent', async (name, arrange, errorClass, message) => {
    arrange(t.cloud);
    await createStream();
    const error = await rejectionOf(start(name === 'an alias that does not exist' ? 'alias/missing' : KEY));
    expect(error).toBeInstanceOf(errorClass);
    expect(error.message).toMatch(message);
    expect(await describe_()).toMatchObject({ StreamStatus: 'ACTIVE', EncryptionType: 'NONE' });
    expect(t.cloud.control.dataStream('events')?.keyApplications.inWindow).toBe(0);
    expect(t.cloud.control.calls('StartStreamEncryption', 'events')).toMatchObject({ accepted: 0, failed: 1 });
  });

  test('Start with EncryptionType NONE is refused', async () => {
    await createStream();
    const error = await rejectionOf(t.kinesis.send(new StartStreamEncryptionCommand({ StreamName: 'events', EncryptionType: 'NONE', KeyId: 'alias/aws/kinesis' })));
    expect(error).toBeInstanceOf(InvalidArgumentException);
  });

  test('25 key applications per stream in a rolling 24 hours, then LimitExceededException; refused calls do not count', async () => {
    t.cloud.control.setKinesisDelays({ updatingMs: 0 });
    await createStream();
    await createStream('clicks');
    for (let i = 0; i < 25; i++) {
      await start(i % 2 ? 'alias/aws/kinesis' : KEY.replace('1234abcd', 'aaaaaaaa')).catch(() => undefined);
    }
    // the customer key does not exist: those Starts failed and spent nothing
    expect(t.cloud.control.dataStream('events')?.keyApplications.inWindow).toBe(12);
    advance(1);
    for (let i = 0; i < 13; i++) {
      await start('alias/aws/kinesis');
    }
    const error = await rejectionOf(start('alias/aws/kinesis'));
    expect(error).toBeInstanceOf(LimitExceededException);
    expect(error.message).toBe('Stream events under account 123456789012 has reached the limit of 25 server-side encryption key applications in 24 hours.');
    await start('alias/aws/kinesis', 'clicks'); // per stream
    // Stop is not a key application
    await stop('alias/aws/kinesis');
    advance(12 * HOUR);
    expect(await rejectionOf(start('alias/aws/kinesis'))).toBeInstanceOf(LimitExceededException);
    advance(12 * HOUR); // the first ones expire
    await start('alias/aws/kinesis');
  });

  test('a stream created with key applications already used', async () => {
    t.cloud.control.createDataStream({ name: 'events', keyApplicationsInWindow: 25 });
    expect(await rejectionOf(start('alias/aws/kinesis'))).toBeInstanceOf(LimitExceededException);
  });

  test('Stop must name the key the stream has (as given, or resolving to the same key)', async () => {
    t.cloud.control.registerKey({ arn: KEY, aliases: ['alias/events'] });
    t.cloud.control.registerKey({ arn: OTHER_KEY });
    encrypted(KEY);
    const wrong = await rejectionOf(stop(OTHER_KEY));
    expect(wrong).toBeInstanceOf(InvalidArgumentException);
    expect(wrong.message).toMatch(/is not the key that encrypts stream events/);
    expect(await rejectionOf(stop('alias/aws/kinesis'))).toBeInstanceOf(InvalidArgumentException);
    await stop('alias/events');
    expect(await describe_()).toMatchObject({ StreamStatus: 'UPDATING', EncryptionType: 'NONE' });
    advance(60_000);
    expect(await describe_()).toMatchObject({ StreamStatus: 'ACTIVE', EncryptionType: 'NONE' });
    expect((await describe_()).KeyId).toBeUndefined();
  });

  test('Stop of a stream that is not encrypted is refused', async () => {
    await createStream();
    expect(await rejectionOf(stop('alias/aws/kinesis'))).toBeInstanceOf(InvalidArgumentException);
  });

  test('a forced failure: UPDATING, then ACTIVE with the encryption unchanged', async () => {
    t.cloud.control.registerKey({ arn: KEY });
    encrypted('alias/aws/kinesis');
    t.cloud.control.failNextStreamEncryption('events');
    expect(t.cloud.control.state().kinesis.forcedFailures).toEqual(['events']);
    await start(KEY);
    expect(t.cloud.control.dataStream('events')?.pendingChange).toMatchObject({ status: 'UPDATING', willFail: true });
    advance(60_000);
    expect(await describe_()).toMatchObject({ StreamStatus: 'ACTIVE', EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' });
    // only the next one
    await start(KEY);
    advance(60_000);
    expect((await describe_()).KeyId).toBe(KEY);
  });
});

describe('AddTagsToStream, RemoveTagsFromStream and ListTagsForStream', () => {
  const add = (tags: Record<string, string>, stream: { StreamName?: string; StreamARN?: string } = { StreamName: 'events' }) =>
    t.kinesis.send(new AddTagsToStreamCommand({ ...stream, Tags: tags }));
  const remove = (keys: string[]) => t.kinesis.send(new RemoveTagsFromStreamCommand({ StreamName: 'events', TagKeys: keys }));
  const list = (extra: { Limit?: number; ExclusiveStartTagKey?: string } = {}) =>
    t.kinesis.send(new ListTagsForStreamCommand({ StreamARN: STREAM_ARN, ...extra }));

  test('at most 50 tags, and only the characters Kinesis documents: InvalidArgumentException, tags unchanged', async () => {
    t.cloud.control.createDataStream({ name: 'events', tags: Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, ''])) });
    await add({ k0: 'overwritten' });
    const tooMany = await rejectionOf(add({ extra: '' }));
    expect(tooMany).toBeInstanceOf(InvalidArgumentException);
    expect(tooMany.message).toBe('Failed to add tags to stream events under account 123456789012 because a given stream cannot have more than 50 tags.');
    await remove(['k1']);
    const colon = await rejectionOf(add({ 'owner:key': 'x' }));
    expect(colon).toBeInstanceOf(InvalidArgumentException);
    expect(colon.message).toBe('Tag key owner:key may contain only Unicode letters, digits, white space and _ . / = + - % @.');
    expect(Object.keys(t.cloud.control.dataStream('events')!.tags)).toHaveLength(49);
  });

  test('input is validated against the model: ValidationException, with the map constraints worded on the map', async () => {
    await createStream();
    const error = await rejectionOf(add({ ['k'.repeat(129)]: 'v'.repeat(257) }));
    expect(error).toBeInstanceOf(ValidationException);
    expect(error.message).toMatch(/^2 validation errors detected: Value '\{.*\}' at 'tags' failed to satisfy constraint: Map keys must satisfy constraint: \[Member must have length less than or equal to 128\]; Value '\{.*\}' at 'tags' failed to satisfy constraint: Map value must satisfy constraint: \[Member must have length less than or equal to 256\]$/);
    expect((await rejectionOf(add({})))).toBeInstanceOf(ValidationException);
    expect((await rejectionOf(remove([])))).toBeInstanceOf(ValidationException);
    expect((await rejectionOf(list({ Limit: 0 })))).toBeInstanceOf(ValidationException);
  });

  test('tags change only while the stream is ACTIVE; a missing stream is ResourceNotFoundException', async () => {
    t.cloud.control.createDataStream({ name: 'events', status: 'UPDATING', encryption: { keyId: 'alias/aws/kinesis' }, tags: { team: 'events' } });
    expect(await rejectionOf(add({ a: '1' }))).toBeInstanceOf(ResourceInUseException);
    expect(await rejectionOf(remove(['team']))).toBeInstanceOf(ResourceInUseException);
    expect((await list()).Tags).toEqual([{ Key: 'team', Value: 'events' }]);
    advance(60_000);
    await add({ a: '1' });
    expect(await rejectionOf(t.kinesis.send(new ListTagsForStreamCommand({ StreamName: 'missing' })))).toBeInstanceOf(ResourceNotFoundException);
    expect(await rejectionOf(add({ a: '1' }, { StreamName: 'missing' }))).toBeInstanceOf(ResourceNotFoundException);
  });
});

describe('rate limits and faults', () => {
  let frozen: LocalCloud;
  let client: KinesisClient;
  beforeAll(async () => {
    frozen = await startLocalCloud({ clock: new LocalClock({ frozen: true }) });
    client = new KinesisClient({ ...frozen.clientConfig(), maxAttempts: 1 });
  });
  afterAll(async () => {
    client.destroy();
    await frozen.stop();
  });
  beforeEach(() => {
    frozen.control.reset();
    frozen.control.createDataStream({ name: 'events' });
  });

  async function outcomes(n: number, call: () => Promise<unknown>): Promise<string[]> {
    const out: string[] = [];
    for (let i = 0; i < n; i++) {
      out.push(await call().then(() => 'ok', (e: Error) => e.name));
    }
    return out;
  }

  test('DescribeStreamSummary: 20 per second, then LimitExceededException as Kinesis answers it, counted as throttled', async () => {
    const describeEvents = () => client.send(new DescribeStreamSummaryCommand({ StreamName: 'events' }));
    expect(await outcomes(21, describeEvents)).toEqual([...Array(20).fill('ok'), 'LimitExceededException']);
    const error = await rejectionOf(describeEvents());
    expect(error).toBeInstanceOf(LimitExceededException);
    expect(error.message).toBe('Rate exceeded for stream events under account 123456789012.');
    expect(frozen.control.calls('DescribeStreamSummary', 'events')).toEqual({ total: 22, accepted: 20, throttled: 2, failed: 0 });
    frozen.control.advanceClock(100); // two tokens
    expect(await outcomes(3, describeEvents)).toEqual(['ok', 'ok', 'LimitExceededException']);
    expect(frozen.control.state().throttles['kinesis:DescribeStreamSummary']).toEqual({ ratePerSecond: 20, burst: 20 });
  });

  test('the tag operations: 5 per second each, then LimitExceededException "Rate exceeded …", with no effect', async () => {
    const add = (value: string) => () => client.send(new AddTagsToStreamCommand({ StreamName: 'events', Tags: { owner: value } }));
    expect(await outcomes(6, add('a'))).toEqual([...Array(5).fill('ok'), 'LimitExceededException']);
    const error = await rejectionOf(add('b')());
    expect(error.message).toBe('Rate exceeded for stream events under account 123456789012.');
    expect(frozen.control.dataStream('events')?.tags).toEqual({ owner: 'a' });
    expect(frozen.control.calls('AddTagsToStream', 'events')).toEqual({ total: 7, accepted: 5, throttled: 2, failed: 0 });
    const list = () => client.send(new ListTagsForStreamCommand({ StreamName: 'events' }));
    expect(await outcomes(6, list)).toEqual([...Array(5).fill('ok'), 'LimitExceededException']);
    const remove = () => client.send(new RemoveTagsFromStreamCommand({ StreamName: 'events', TagKeys: ['owner'] }));
    expect(await outcomes(6, remove)).toEqual([...Array(5).fill('ok'), 'LimitExceededException']);
  });

  test('built-in rates of the other operations, and setThrottle', () => {
    const throttles = frozen.control.state().throttles;
    expect(throttles['kinesis:StartStreamEncryption']).toEqual({ ratePerSecond: 5, burst: 5 });
    expect(throttles['kinesis:StopStreamEncryption']).toEqual({ ratePerSecond: 5, burst: 5 });
    frozen.control.setThrottle('StartStreamEncryption', 1);
    expect(frozen.control.state().throttles['kinesis:StartStreamEncryption']).toEqual({ ratePerSecond: 1, burst: 1 });
  });

  test('an injected KMSThrottlingException reaches the SDK as its modelled class, and counts as failed', async () => {
    frozen.control.failNext('StartStreamEncryption', 'KMSThrottlingException', { resource: 'events', message: 'KMS rate exceeded' });
    const error = await rejectionOf(client.send(new StartStreamEncryptionCommand({ StreamName: 'events', EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' })));
    expect(error).toBeInstanceOf(KMSThrottlingException);
    expect(error).toBeInstanceOf(KinesisServiceException);
    expect(error.message).toBe('KMS rate exceeded');
    await client.send(new StartStreamEncryptionCommand({ StreamARN: STREAM_ARN, EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' }));
    expect(frozen.control.calls('StartStreamEncryption', 'events')).toEqual({ total: 2, accepted: 1, throttled: 0, failed: 1 });
  });
});

describe('control API', () => {
  test('createDataStream in any state, with its delays; dataStream and deleteDataStream', () => {
    t.cloud.control.setDataStreamDelays('events', { updatingMs: 5_000 });
    const before = t.cloud.control.now();
    const updating = t.cloud.control.createDataStream({ name: 'events', status: 'UPDATING', encryption: { keyId: KEY }, updatingTo: null });
    expect(updating).toMatchObject({
      summary: { StreamName: 'events', StreamStatus: 'UPDATING', EncryptionType: 'NONE' },
      appliedEncryption: { EncryptionType: 'KMS', KeyId: KEY },
      pendingChange: { status: 'UPDATING', willFail: false },
      delays: { creatingMs: 0, updatingMs: 5_000, deletingMs: 0 },
    });
    expect(updating.pendingChange!.completesAt).toBeGreaterThanOrEqual(before + 5_000);
    expect(updating.pendingChange!.completesAt).toBeLessThanOrEqual(t.cloud.control.now() + 5_000);
    advance(5_000);
    expect(t.cloud.control.dataStream('events')).toMatchObject({ summary: { StreamStatus: 'ACTIVE', EncryptionType: 'NONE' }, pendingChange: null });
    t.cloud.control.setDataStreamDelays('clicks', { creatingMs: 10_000 });
    t.cloud.control.createDataStream({ name: 'clicks', status: 'CREATING', streamMode: 'PROVISIONED', shardCount: 2 });
    expect(t.cloud.control.dataStream('clicks')?.summary).toMatchObject({ StreamStatus: 'CREATING', StreamModeDetails: { StreamMode: 'PROVISIONED' }, OpenShardCount: 2 });
    expect(t.cloud.control.deleteDataStream('clicks')).toBe(true);
    expect(t.cloud.control.deleteDataStream('clicks')).toBe(false);
    expect(t.cloud.control.dataStream('clicks')).toBeUndefined();
    expect(t.cloud.control.state().kinesis.streams.map((stream) => stream.summary.StreamName)).toEqual(['events']);
  });

  test('a data stream and a delivery stream may share a name', () => {
    t.cloud.control.createDataStream({ name: 'orders' });
    t.cloud.control.createStream({ name: 'orders' });
    expect(t.cloud.control.dataStream('orders')).toBeDefined();
    expect(t.cloud.control.stream('orders')).toBeDefined();
  });

  test.each<[string, () => unknown, RegExp]>([
    ['an invalid name', () => t.cloud.control.createDataStream({ name: 'bad name' }), /'bad name' is not a data stream name/],
    ['an existing stream', () => {
      t.cloud.control.createDataStream({ name: 'events' });
      t.cloud.control.createDataStream({ name: 'events' });
    }, /already exists/],
    ['an unknown status', () => t.cloud.control.createDataStream({ name: 'events', status: 'RESHARDING' as never }), /unknown status/],
    ['a bad encryption', () => t.cloud.control.createDataStream({ name: 'events', encryption: { keyId: '' } }), /an encryption is \{ keyId \}/],
    ['an unknown delay', () => t.cloud.control.setKinesisDelays({ enablingMs: 1 } as never), /unknown delay 'enablingMs'; known: creatingMs, updatingMs, deletingMs/],
    ['a negative delay', () => t.cloud.control.setDataStreamDelays('events', { updatingMs: -1 }), /updatingMs must be a finite number/],
  ])('%s is a ControlError', (_name, call, message) => {
    expect(call).toThrow(ControlError);
    expect(call).toThrow(message);
  });

  test('reset drops data streams, their delays and forced failures', () => {
    t.cloud.control.setKinesisDelays({ updatingMs: 1 });
    t.cloud.control.setDataStreamDelays('events', { updatingMs: 2 });
    t.cloud.control.createDataStream({ name: 'events' });
    t.cloud.control.failNextStreamEncryption('events');
    t.cloud.control.reset();
    expect(t.cloud.control.state().kinesis).toEqual({
      delays: { creatingMs: 0, updatingMs: 60_000, deletingMs: 0, staleReadMs: 0 },
      streamDelays: {},
      keyApplicationLimit: { calls: 25, windowMs: 24 * HOUR },
      streams: [],
      forcedFailures: [],
    });
  });

  test('clearFaults drops forced failures', () => {
    t.cloud.control.failNextStreamEncryption('events');
    t.cloud.control.clearFaults();
    expect(t.cloud.control.state().kinesis.forcedFailures).toEqual([]);
  });
});

describe('the handler against the local cloud, with the real SDK clients', () => {
  let live: LocalCloud;
  let clients: { kinesis: KinesisClient; kms: KMSClient };
  beforeAll(async () => {
    live = await startLocalCloud({ kinesisDelays: { creatingMs: 0, updatingMs: 300, deletingMs: 0 } });
    clients = {
      kinesis: new KinesisClient({ ...live.clientConfig(), maxAttempts: 1 }),
      kms: new KMSClient({ ...live.clientConfig(), maxAttempts: 1 }),
    };
  });
  afterAll(async () => {
    clients.kinesis.destroy();
    clients.kms.destroy();
    await live.stop();
  });

  /** Run one event through the handler, in real time, and return its answer. */
  async function run(event: Record<string, unknown>): Promise<CloudFormationResponse> {
    const answers: CloudFormationResponse[] = [];
    await handleEvent(
      {
        ResponseURL: 'https://example.com/answer',
        StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/s/1',
        RequestId: 'r',
        LogicalResourceId: 'EventsSse',
        ResourceType: 'Custom::DataStreamEncryption',
        ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:h',
        ...event,
      } as unknown as CloudFormationCustomResourceEvent,
      { getRemainingTimeInMillis: () => 60_000 },
      {
        services: STREAM_SERVICES,
        clients: (service) => clients[service as keyof typeof clients] as never,
        sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
        now: Date.now,
        random: Math.random,
        log: () => undefined,
        sendResponse: async (_url, body) => {
          answers.push(JSON.parse(body) as CloudFormationResponse);
          return true;
        },
      },
    );
    return answers[0];
  }

  const props = (keyId: string) =>
    encodeDataStreamEncryptionProperties({
      StreamKind: 'kinesis',
      StreamName: 'events',
      StreamArn: STREAM_ARN,
      KeyId: keyId,
      TimeoutSeconds: '30',
      SettleSeconds: '0',
      RemovalPolicy: 'destroy',
    });

  test('Create, key rotation, no-op Update and Delete, with one key application per change', async () => {
    live.control.registerKey({ arn: KEY });
    live.control.registerKey({ arn: OTHER_KEY });
    live.control.createDataStream({ name: 'events' });

    const created = await run({ RequestType: 'Create', ResourceProperties: props(KEY) });
    // the new id records that the stream was not encrypted before
    const id = 'kinesis:events#prior=none';
    expect(created).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: id, Data: { EncryptionType: 'KMS', KeyId: KEY } });
    expect(live.control.dataStream('events')?.appliedEncryption).toEqual({ EncryptionType: 'KMS', KeyId: KEY });

    const again = await run({ RequestType: 'Create', ResourceProperties: props(KEY) });
    expect(again.Status).toBe('SUCCESS');

    const rotated = await run({ RequestType: 'Update', PhysicalResourceId: id, ResourceProperties: props(OTHER_KEY), OldResourceProperties: props(KEY) });
    expect(rotated).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: id, Data: { KeyId: OTHER_KEY } });

    const noop = await run({ RequestType: 'Update', PhysicalResourceId: id, ResourceProperties: { ...props(OTHER_KEY), TimeoutSeconds: '60' }, OldResourceProperties: props(OTHER_KEY) });
    expect(noop.Status).toBe('SUCCESS');

    const deleted = await run({ RequestType: 'Delete', PhysicalResourceId: id, ResourceProperties: props(OTHER_KEY) });
    expect(deleted).toMatchObject({ Status: 'SUCCESS', Data: { EncryptionType: 'NONE', StreamStatus: 'ACTIVE' } });
    expect(live.control.dataStream('events')?.appliedEncryption).toEqual({ EncryptionType: 'NONE' });

    expect(live.control.calls('StartStreamEncryption', 'events')).toMatchObject({ accepted: 2, failed: 0 });
    expect(live.control.calls('StopStreamEncryption', 'events')).toMatchObject({ accepted: 1, failed: 0 });
    expect(live.control.dataStream('events')?.keyApplications.inWindow).toBe(2);
  });

  test('two resources manage one stream (a renamed construct): the Delete of the one that is not the owner leaves it encrypted', async () => {
    live.control.reset();
    live.control.createDataStream({ name: 'events' });
    const stackId = 'arn:aws:cloudformation:us-east-1:123456789012:stack/s/1';

    const first = await run({ RequestType: 'Create', ResourceProperties: props('alias/aws/kinesis') });
    expect(first).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'kinesis:events#prior=none' });
    // the claim written before the Start stays as the tag: it names the resource and the prior state
    expect(live.control.dataStream('events')?.tags).toEqual({
      [OWNER_TAG_KEY]: claimedBy(ownerTagValue(stackId, 'EventsSse')),
    });
    // the construct renamed: CloudFormation creates the new resource, which finds the stream encrypted …
    const renamed = await run({ RequestType: 'Create', LogicalResourceId: 'EventsEncryption', ResourceProperties: props('alias/aws/kinesis') });
    // another resource managed the stream: the new id records the prior state the tag keeps, and the tag names the old owner as the previous one
    expect(renamed).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'kinesis:events#prior=none' });
    expect(live.control.dataStream('events')?.tags).toEqual({
      [OWNER_TAG_KEY]: formatOwnerTag({ owner: ownerTagValue(stackId, 'EventsEncryption'), previous: ownerTagValue(stackId, 'EventsSse'), prior: 'none' }),
    });
    // … then deletes the old one, which must not stop the encryption, and hands the tag to the new one alone
    const cleanup = await run({ RequestType: 'Delete', PhysicalResourceId: first.PhysicalResourceId, ResourceProperties: props('alias/aws/kinesis') });
    expect(cleanup.Status).toBe('SUCCESS');
    expect(cleanup.Reason).toContain('managed by another resource');
    expect(live.control.dataStream('events')?.appliedEncryption).toEqual({ EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' });
    expect(live.control.calls('StartStreamEncryption', 'events').accepted).toBe(1);
    expect(live.control.calls('StopStreamEncryption', 'events').total).toBe(0);
    expect(live.control.dataStream('events')?.tags).toEqual({ [OWNER_TAG_KEY]: formatOwnerTag({ owner: ownerTagValue(stackId, 'EventsEncryption'), prior: 'none' }) });

    // the owner's own Delete stops it (the stream had no encryption before the first resource), and removes the tag
    const destroyed = await run({ RequestType: 'Delete', LogicalResourceId: 'EventsEncryption', PhysicalResourceId: renamed.PhysicalResourceId, ResourceProperties: props('alias/aws/kinesis') });
    expect(destroyed.Status).toBe('SUCCESS');
    expect(live.control.dataStream('events')).toMatchObject({ appliedEncryption: { EncryptionType: 'NONE' }, tags: {} });
  });

  test('a disabled key: FAILED with the pre-flight reason, and no Start', async () => {
    live.control.reset();
    live.control.registerKey({ arn: KEY, keyState: 'Disabled' });
    live.control.createDataStream({ name: 'events' });
    const answer = await run({ RequestType: 'Create', ResourceProperties: props(KEY) });
    expect(answer).toMatchObject({ Status: 'FAILED', PhysicalResourceId: 'kinesis:events#not-started' });
    expect(answer.Reason).toMatch(/^KEY_NOT_ENABLED: /);
    expect(live.control.calls('StartStreamEncryption').total).toBe(0);
  });

  test('a change that does not take: FAILED DATA_STREAM_ENCRYPTION_NOT_APPLIED', async () => {
    live.control.reset();
    live.control.createDataStream({ name: 'events' });
    live.control.failNextStreamEncryption('events');
    const answer = await run({ RequestType: 'Create', ResourceProperties: props('alias/aws/kinesis') });
    expect(answer).toMatchObject({ Status: 'FAILED', PhysicalResourceId: 'kinesis:events#prior=none' });
    expect(answer.Reason).toMatch(/^DATA_STREAM_ENCRYPTION_NOT_APPLIED: /);
  });
});
