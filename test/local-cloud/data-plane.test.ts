/**
 * The data plane: records are encrypted under the key in force when written, and reading one whose
 * key is disabled, pending deletion or gone fails as AWS fails it. And stale reads: for
 * `staleReadMs` after a change, Describe answers the state before it.
 */
import { DescribeDeliveryStreamCommand, FirehoseClient, PutRecordCommand, StartDeliveryStreamEncryptionCommand } from '@aws-sdk/client-firehose';
import {
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  PutRecordCommand as PutDataRecordCommand,
  StartStreamEncryptionCommand,
} from '@aws-sdk/client-kinesis';
import { keyArn, rejectionOf } from './helpers';
import { LocalClock, LocalCloud, startLocalCloud } from '../../tools/local-cloud';

const KEY = keyArn('22222222-2222-4222-8222-222222222222');
const NEW_KEY = keyArn('33333333-3333-4333-8333-333333333333');
const bytes = (text: string) => new TextEncoder().encode(text);

let cloud: LocalCloud;
let firehose: FirehoseClient;
let kinesis: KinesisClient;

beforeAll(async () => {
  cloud = await startLocalCloud({
    clock: new LocalClock({ frozen: true }),
    delays: { creatingMs: 0, enablingMs: 1_000, disablingMs: 1_000, deletingMs: 0 },
    kinesisDelays: { creatingMs: 0, updatingMs: 1_000, deletingMs: 0 },
    throttle: { '*': null },
  });
  firehose = new FirehoseClient({ ...cloud.clientConfig(), maxAttempts: 1 });
  kinesis = new KinesisClient({ ...cloud.clientConfig(), maxAttempts: 1 });
});

afterAll(async () => {
  firehose.destroy();
  kinesis.destroy();
  await cloud.stop();
});

beforeEach(() => {
  cloud.control.reset();
  cloud.control.registerKey({ arn: KEY, aliases: ['alias/orders'] });
  cloud.control.registerKey({ arn: NEW_KEY });
});

/** Every record of the data stream from the start, as GetRecords answers it. */
async function readAll(stream: string) {
  const { ShardIterator } = await kinesis.send(new GetShardIteratorCommand({ StreamName: stream, ShardId: 'shardId-000000000000', ShardIteratorType: 'TRIM_HORIZON' }));
  return kinesis.send(new GetRecordsCommand({ ShardIterator }));
}

describe('Kinesis data streams', () => {
  test('records are encrypted under the key in force when written; GetRecords reads them back in order', async () => {
    cloud.control.createDataStream({ name: 'events' });
    const plain = await kinesis.send(new PutDataRecordCommand({ StreamName: 'events', Data: bytes('one'), PartitionKey: 'p' }));
    expect(plain).toMatchObject({ ShardId: 'shardId-000000000000', EncryptionType: 'NONE' });
    await kinesis.send(new StartStreamEncryptionCommand({ StreamName: 'events', EncryptionType: 'KMS', KeyId: 'alias/orders' }));
    cloud.control.advanceClock(1_000);
    for (const [text, key] of [['two', 'p'], ['three', 'q']]) {
      expect(await kinesis.send(new PutDataRecordCommand({ StreamName: 'events', Data: bytes(text), PartitionKey: key }))).toMatchObject({ EncryptionType: 'KMS' });
    }

    const read = await readAll('events');
    expect(read.Records!.map((r) => [new TextDecoder().decode(r.Data), r.EncryptionType])).toEqual([['one', 'NONE'], ['two', 'KMS'], ['three', 'KMS']]);
    expect(read.Records![0].SequenceNumber! < read.Records![1].SequenceNumber!).toBe(true);
    expect(cloud.control.unreadableDataRecords('events')).toEqual([]);
  });

  test.each([
    ['Disabled', 'KMSDisabledException'],
    ['PendingDeletion', 'KMSInvalidStateException'],
  ] as const)('a record whose key is %s cannot be read: GetRecords answers %s', async (state, errorName) => {
    cloud.control.createDataStream({ name: 'events', encryption: { keyId: KEY } });
    const written = await kinesis.send(new PutDataRecordCommand({ StreamName: 'events', Data: bytes('secret'), PartitionKey: 'p' }));
    cloud.control.setKeyState(KEY, state);

    const error = await rejectionOf(readAll('events'));
    expect(error.name).toBe(errorName);
    expect(cloud.control.unreadableDataRecords('events')).toEqual([expect.objectContaining({ id: written.SequenceNumber, keyArn: KEY, errorName })]);
    // writing under that key fails too
    expect((await rejectionOf(kinesis.send(new PutDataRecordCommand({ StreamName: 'events', Data: bytes('x'), PartitionKey: 'p' })))).name).toBe(errorName);
  });

  test('a key deleted after its pending window: KMSNotFoundException; records under another key stay readable', async () => {
    cloud.control.createDataStream({ name: 'events', encryption: { keyId: KEY } });
    await kinesis.send(new PutDataRecordCommand({ StreamName: 'events', Data: bytes('old'), PartitionKey: 'p' }));
    cloud.control.createDataStream({ name: 'other', encryption: { keyId: NEW_KEY } });
    await kinesis.send(new PutDataRecordCommand({ StreamName: 'other', Data: bytes('new'), PartitionKey: 'p' }));
    cloud.control.setKeyState(KEY, 'PendingDeletion', 7);
    cloud.control.advanceClock(7 * 24 * 3600_000);

    expect((await rejectionOf(readAll('events'))).name).toBe('KMSNotFoundException');
    expect(cloud.control.unreadableDataRecords('events')).toEqual([expect.objectContaining({ errorName: 'KMSNotFoundException' })]);
    expect((await readAll('other')).Records).toHaveLength(1);
  });
});

describe('Firehose delivery streams', () => {
  test('PutRecord says whether a record is encrypted; delivery decrypts them', async () => {
    cloud.control.createStream({ name: 'orders' });
    expect(await firehose.send(new PutRecordCommand({ DeliveryStreamName: 'orders', Record: { Data: bytes('a') } }))).toMatchObject({ Encrypted: false });
    cloud.control.createStream({ name: 'sealed', encryption: { status: 'ENABLED', keyType: 'CUSTOMER_MANAGED_CMK', keyArn: KEY } });
    for (const text of ['b', 'c']) {
      expect(await firehose.send(new PutRecordCommand({ DeliveryStreamName: 'sealed', Record: { Data: bytes(text) } }))).toMatchObject({ Encrypted: true });
    }
    expect(cloud.control.deliverRecords('sealed')).toEqual({ delivered: 2, unreadable: [] });
    expect(cloud.control.deliverRecords('sealed')).toEqual({ delivered: 0, unreadable: [] });
  });

  test('buffered records whose key went pending deletion cannot be delivered: they stay buffered and are reported', async () => {
    cloud.control.createStream({ name: 'sealed', encryption: { status: 'ENABLED', keyType: 'CUSTOMER_MANAGED_CMK', keyArn: KEY } });
    const put = await firehose.send(new PutRecordCommand({ DeliveryStreamName: 'sealed', Record: { Data: bytes('late') } }));
    cloud.control.setKeyState(KEY, 'PendingDeletion');

    const report = cloud.control.deliverRecords('sealed');
    expect(report).toEqual({ delivered: 0, unreadable: [expect.objectContaining({ id: put.RecordId, keyArn: KEY, errorName: 'KMSInvalidStateException' })] });
    expect(cloud.control.unreadableRecords('sealed')).toHaveLength(1);
    // new records cannot be encrypted with it either
    expect((await rejectionOf(firehose.send(new PutRecordCommand({ DeliveryStreamName: 'sealed', Record: { Data: bytes('x') } })))).name).toBe('InvalidKMSResourceException');
    cloud.control.setKeyState(KEY, 'Enabled');
    expect(cloud.control.deliverRecords('sealed')).toEqual({ delivered: 1, unreadable: [] });
  });
});

describe('stale reads', () => {
  test('Firehose: for staleReadMs after a Start, DescribeDeliveryStream answers the state before it', async () => {
    cloud.control.createStream({ name: 'orders' });
    cloud.control.setStreamDelays('orders', { staleReadMs: 500 });
    const describe = async () => (await firehose.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: 'orders' }))).DeliveryStreamDescription!.DeliveryStreamEncryptionConfiguration?.Status;
    expect(await describe()).toBe('DISABLED');
    cloud.control.advanceClock(1_000);
    await firehose.send(new StartDeliveryStreamEncryptionCommand({ DeliveryStreamName: 'orders', DeliveryStreamEncryptionConfigurationInput: { KeyType: 'AWS_OWNED_CMK' } }));
    expect(await describe()).toBe('DISABLED'); // stale
    cloud.control.advanceClock(500);
    expect(await describe()).toBe('ENABLING');
    cloud.control.advanceClock(500); // ENABLED at +1000, still shown ENABLING for 500 ms
    expect(await describe()).toBe('ENABLING');
    cloud.control.advanceClock(500);
    expect(await describe()).toBe('ENABLED');
  });

  test('Kinesis: for staleReadMs after a Start, DescribeStreamSummary answers the state before it; 0 (default) reads fresh', async () => {
    cloud.control.createDataStream({ name: 'events' });
    cloud.control.setDataStreamDelays('events', { staleReadMs: 300 });
    const describe = async () => (await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: 'events' }))).StreamDescriptionSummary!;
    expect(await describe()).toMatchObject({ StreamStatus: 'ACTIVE', EncryptionType: 'NONE' });
    cloud.control.advanceClock(1_000);
    await kinesis.send(new StartStreamEncryptionCommand({ StreamName: 'events', EncryptionType: 'KMS', KeyId: KEY }));
    expect(await describe()).toMatchObject({ StreamStatus: 'ACTIVE', EncryptionType: 'NONE' });
    cloud.control.advanceClock(300);
    expect(await describe()).toMatchObject({ StreamStatus: 'UPDATING', EncryptionType: 'KMS' });
    cloud.control.setDataStreamDelays('events', { staleReadMs: 0 });
    cloud.control.advanceClock(700);
    expect(await describe()).toMatchObject({ StreamStatus: 'ACTIVE', EncryptionType: 'KMS' });
  });
});
