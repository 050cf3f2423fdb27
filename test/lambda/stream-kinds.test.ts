/**
 * What every kind of stream does alike, specified once over both: the
 * production handler's clients, and a kind whose client cannot be made.
 */
import {
  DescribeDeliveryStreamCommand,
  FirehoseClient,
  ResourceInUseException as FirehoseInUse,
  ResourceNotFoundException as FirehoseNotFound,
  StartDeliveryStreamEncryptionCommand,
} from '@aws-sdk/client-firehose';
import {
  DescribeStreamSummaryCommand,
  KinesisClient,
  ResourceInUseException as KinesisInUse,
  ResourceNotFoundException as KinesisNotFound,
  StartStreamEncryptionCommand,
} from '@aws-sdk/client-kinesis';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { createEvent, deleteEvent, described, enc, properties, updateEvent } from './firehose-helpers';
import { CLIENT_ERROR_METADATA, Harness, KEY_ARN, lambdaContext, LOG_STREAM } from './helpers';
import { kinesisCreate, kinesisDelete, kinesisProperties, kinesisUpdate, sse, summary } from './kinesis-helpers';
import { awsCalls, firehose, firehoseCalls, keyChecks, kinesis, kinesisCalls, kinesisReads, names, reads, resetMocks } from './mocks';
import entryPoint from '../../lambda';
import type { ClientProvider } from '../../lambda/core/clients';
import { handleEvent } from '../../lambda/core/handle-event';
import type { DeliveryStreamEncryptionResourceProperties } from '../../src/private/contract';

const { handler } = entryPoint;

/** The properties every kind of stream has, as the tests set them. */
type CommonProperties = Partial<Pick<DeliveryStreamEncryptionResourceProperties, 'TimeoutSeconds' | 'SettleSeconds' | 'RemovalPolicy'>>;

/**
 * A state of the test stream, as its describe call reports it: not
 * encrypted, encrypted as wanted, changing to the wanted key, not found, or
 * in a state the handler refuses at once.
 */
type Reading = 'none' | 'encrypted' | 'updating' | 'missing' | 'refused';

/** One kind of stream, as these tests drive it. */
interface KindCase {
  /** The kind, for test names. */
  readonly name: string;
  /** The client provider's name of its service. */
  readonly service: string;
  /** Its service, as a client's name says it. */
  readonly client: string;
  /** The physical id of its test stream. */
  readonly physicalId: string;
  /** The describe command's name. */
  readonly describeCommand: string;
  /** What its status says while the stream changes to the wanted key. */
  readonly updatingStatus: string;
  /** The answer's `Data` for the test stream encrypted as wanted. */
  readonly encryptedData: Record<string, string>;
  /** The answer's `Data` when the stream was not read. */
  readonly unreadData: Record<string, string>;
  /** How the reason of a key the properties may not name starts. */
  readonly invalidKeyReason: string;
  /** A Create event of its test stream. */
  create(props?: CommonProperties): CloudFormationCustomResourceEvent;
  /** An Update event of its test stream that changes these common properties, with the given physical id. */
  update(props: CommonProperties, physicalId?: string): CloudFormationCustomResourceEvent;
  /** An Update event that moves the resource to another stream. */
  updateToOtherStream(): CloudFormationCustomResourceEvent;
  /** An Update event that names a key by an alias the properties may not hold. */
  updateToInvalidKey(): CloudFormationCustomResourceEvent;
  /** A Delete event of its test stream. */
  delete(props?: CommonProperties, physicalId?: string): CloudFormationCustomResourceEvent;
  /** Successive readings of the test stream; the last one repeats. */
  reads(...readings: Reading[]): void;
  /** Let the first Start be refused because the stream is busy. */
  startBusyOnce(): void;
  /** The describe calls made. */
  describes(): number;
  /** The Start calls made. */
  starts(): number;
  /** The Stop calls made. */
  stops(): number;
  /** The `maxAttempts` of the client that made the first describe call. */
  firstDescribeMaxAttempts(): Promise<number>;
}

const KINDS: KindCase[] = [
  {
    name: 'delivery streams',
    service: 'firehose',
    client: 'Firehose',
    physicalId: 'firehose:orders',
    describeCommand: 'DescribeDeliveryStreamCommand',
    updatingStatus: 'ENABLING',
    encryptedData: { KeyType: 'CUSTOMER_MANAGED_CMK', KeyArn: KEY_ARN, EncryptionStatus: 'ENABLED' },
    unreadData: { KeyType: '', KeyArn: '', EncryptionStatus: '' },
    invalidKeyReason: 'INVALID_PROPERTY: Resource property KeyArn must be a KMS key or alias ARN',
    create: (props) => createEvent(properties(props)),
    update: (props, id) => updateEvent(properties(props), properties(), id),
    updateToOtherStream: () => updateEvent(properties({ DeliveryStreamName: 'payments' }), properties()),
    updateToInvalidKey: () => updateEvent(properties({ KeyArn: 'alias/orders' }), properties()),
    delete: (props, id) => deleteEvent(properties(props), id),
    reads: (...readings) => reads(...readings.map((reading) => ({
      none: () => described(enc.disabled()),
      encrypted: () => described(enc.enabled()),
      updating: () => described(enc.enabling()),
      missing: () => new FirehoseNotFound({ message: 'not found', ...CLIENT_ERROR_METADATA }),
      refused: () => described(enc.disabled(), { DeliveryStreamType: 'KinesisStreamAsSource' }),
    })[reading]())),
    startBusyOnce: () => firehose.on(StartDeliveryStreamEncryptionCommand)
      .rejectsOnce(new FirehoseInUse({ message: 'busy', ...CLIENT_ERROR_METADATA }))
      .resolves({}),
    describes: firehoseCalls.describes,
    starts: firehoseCalls.starts,
    stops: firehoseCalls.stops,
    firstDescribeMaxAttempts: () => (firehose.commandCalls(DescribeDeliveryStreamCommand)[0].thisValue as FirehoseClient).config.maxAttempts(),
  },
  {
    name: 'data streams',
    service: 'kinesis',
    client: 'Kinesis',
    physicalId: 'kinesis:events',
    describeCommand: 'DescribeStreamSummaryCommand',
    updatingStatus: 'UPDATING',
    encryptedData: { EncryptionType: 'KMS', KeyId: KEY_ARN, StreamStatus: 'ACTIVE' },
    unreadData: { EncryptionType: '', KeyId: '', StreamStatus: '' },
    invalidKeyReason: 'INVALID_PROPERTY: Resource property KeyId must be a KMS key ARN',
    create: (props) => kinesisCreate(kinesisProperties(props)),
    update: (props, id) => kinesisUpdate(kinesisProperties(props), kinesisProperties(), id),
    updateToOtherStream: () => kinesisUpdate(
      kinesisProperties({ StreamName: 'clicks', StreamArn: 'arn:aws:kinesis:eu-west-1:123456789012:stream/clicks' }),
      kinesisProperties(),
    ),
    updateToInvalidKey: () => kinesisUpdate(kinesisProperties({ KeyId: 'alias/events' }), kinesisProperties()),
    delete: (props, id) => kinesisDelete(kinesisProperties(props), id),
    reads: (...readings) => kinesisReads(...readings.map((reading) => ({
      none: () => summary(sse.none()),
      encrypted: () => summary(sse.kms()),
      updating: () => summary(sse.kms(), 'UPDATING'),
      missing: () => new KinesisNotFound({ message: 'not found', ...CLIENT_ERROR_METADATA }),
      refused: () => summary(sse.none(), 'DELETING'),
    })[reading]())),
    startBusyOnce: () => kinesis.on(StartStreamEncryptionCommand)
      .rejectsOnce(new KinesisInUse({ message: 'busy', ...CLIENT_ERROR_METADATA }))
      .resolves({}),
    describes: kinesisCalls.describes,
    starts: kinesisCalls.starts,
    stops: kinesisCalls.stops,
    firstDescribeMaxAttempts: () => (kinesis.commandCalls(DescribeStreamSummaryCommand)[0].thisValue as KinesisClient).config.maxAttempts(),
  },
];

let h: Harness;
beforeEach(() => {
  resetMocks();
  h = new Harness();
});

describe.each(KINDS)('$name', (kind) => {
  test('the production handler uses clients that make a single attempt per call', async () => {
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      kind.reads('encrypted');
      await handler({ ...kind.create(), ResponseURL: 'http://example.com/answer' } as never, lambdaContext() as never);
      expect(kind.describes()).toBe(1);
      expect(await kind.firstDescribeMaxAttempts()).toBe(1);
      const lines = log.mock.calls.map((args) => JSON.parse(String(args[0])) as Record<string, unknown>);
      expect(lines.find((r) => r.action === 'respond')).toMatchObject({ level: 'error', status: 'refused' });
    } finally {
      log.mockRestore();
    }
  });

  test('an Update that changes no functional property reads the stream: encrypted as wanted, SUCCESS keeping the given id', async () => {
    kind.reads('encrypted');
    const id = `${kind.physicalId}#prior=none`;
    expect(await h.run(kind.update({ SettleSeconds: '0' }, id))).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: id });
    expect(kind.describes()).toBe(1);
    expect(awsCalls()).toBe(1);
  });

  test('an Update that changes no functional property of a stream that is gone: FAILED, keeping the given id', async () => {
    kind.reads('missing');
    const id = `${kind.physicalId}#prior=none`;
    const answer = await h.run(kind.update({ SettleSeconds: '0' }, id));
    expect(answer).toMatchObject({ Status: 'FAILED', PhysicalResourceId: id });
    expect(answer.Reason).toMatch(/^(DATA_)?STREAM_NOT_FOUND: /);
  });

  test('dependencies without the kind\'s client answer FAILED, without touching a stream', async () => {
    const without: ClientProvider = (service, create) => {
      if (service === kind.service) {
        throw new Error(`no ${kind.client} client`);
      }
      return h.deps.clients(service, create);
    };
    await handleEvent(kind.create(), lambdaContext(), { ...h.deps, clients: without });
    expect(h.answers[0].body).toMatchObject({ Status: 'FAILED', PhysicalResourceId: `${kind.physicalId}#not-started` });
    expect(h.answers[0].body.Reason).toMatch(new RegExp(`^UNEXPECTED_ERROR: Unexpected error in request handling: Error: no ${kind.client} client\\.`));
    expect(awsCalls()).toBe(0);
  });

  describe('Create', () => {
    test('SettleSeconds 0: no settle', async () => {
      kind.reads('none', 'none', 'encrypted');
      await h.run(kind.create({ SettleSeconds: '0' }));
      expect(h.sleepsToAnswer().every((ms) => ms <= 1000)).toBe(true);
    });

    test('the settle time never runs past the deadline', async () => {
      kind.reads('none', 'none', 'encrypted');
      const answer = await h.run(kind.create({ SettleSeconds: '60', TimeoutSeconds: '3' }));
      expect(answer.Status).toBe('SUCCESS');
      expect(h.answeredAfter()).toBe(3000);
    });

    test('the key is checked once, even when Start is retried', async () => {
      kind.startBusyOnce();
      kind.reads('none', 'none', 'none', 'encrypted');
      expect((await h.run(kind.create())).Status).toBe('SUCCESS');
      expect([keyChecks(), kind.starts()]).toEqual([1, 2]);
    });

    test('the Lambda\'s remaining time shortens the deadline and leaves time to answer', async () => {
      kind.reads('updating');
      const answer = await h.run(kind.create({ TimeoutSeconds: '840' }), lambdaContext(30_000));
      expect(answer.Reason).toMatch(new RegExp(`still ${kind.updatingStatus} after 20 s`));
      expect(h.elapsed()).toBe(20_000);
      expect(h.answers[0].deadline - h.answers[0].sentAt).toBe(9_000);
    });

    test('the physical id is stable across repeated Creates', async () => {
      kind.reads('encrypted');
      const first = await h.run(kind.create());
      const second = await h.run({ ...kind.create(), RequestId: 'another-request' } as never);
      expect(first.PhysicalResourceId).toBe(`${kind.physicalId}#prior=${KEY_ARN}`);
      expect(second.PhysicalResourceId).toBe(first.PhysicalResourceId);
      expect(second.RequestId).toBe('another-request');
    });

    test('a FAILED reason points to the log stream', async () => {
      kind.reads('refused');
      const answer = await h.run(kind.create());
      expect(answer.Status).toBe('FAILED');
      expect(answer.Reason.endsWith(` See CloudWatch log stream ${LOG_STREAM}`)).toBe(true);
    });
  });

  describe('Update', () => {
    test('only non-functional properties changed, the stream as wanted: SUCCESS after one Describe, no Start, no tag call', async () => {
      kind.reads('encrypted');
      const answer = await h.run(kind.update({ TimeoutSeconds: '300', SettleSeconds: '10', RemovalPolicy: 'retain' }));
      expect(answer).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: kind.physicalId, Data: kind.encryptedData });
      expect([...names(firehose), ...names(kinesis)]).toEqual([kind.describeCommand]);
      expect([kind.starts(), kind.stops(), keyChecks()]).toEqual([0, 0, 0]);
    });

    test('a FAILED Update returns the old physical id', async () => {
      kind.reads('missing');
      const answer = await h.run(kind.updateToOtherStream());
      expect(answer).toMatchObject({ Status: 'FAILED', PhysicalResourceId: kind.physicalId });
    });

    test('an Update with invalid properties: FAILED, old physical id, zero API calls', async () => {
      const answer = await h.run(kind.updateToInvalidKey());
      expect(answer).toMatchObject({ Status: 'FAILED', PhysicalResourceId: kind.physicalId });
      expect(answer.Reason).toMatch(new RegExp(`^${kind.invalidKeyReason} `));
      expect(awsCalls()).toBe(0);
    });
  });

  describe('Delete', () => {
    test('removal policy retain: SUCCESS with zero API calls', async () => {
      const answer = await h.run(kind.delete({ RemovalPolicy: 'retain' }));
      expect(answer).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: kind.physicalId, Data: kind.unreadData });
      expect(awsCalls()).toBe(0);
    });

    test('a Create that never called Start: SUCCESS with zero API calls', async () => {
      const answer = await h.run(kind.delete({}, `${kind.physicalId}#not-started`));
      expect(answer).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: `${kind.physicalId}#not-started` });
      expect(awsCalls()).toBe(0);
    });

    test('stream not found: SUCCESS', async () => {
      kind.reads('missing');
      expect(await h.run(kind.delete())).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: kind.physicalId });
      expect(kind.stops()).toBe(0);
    });
  });
});
