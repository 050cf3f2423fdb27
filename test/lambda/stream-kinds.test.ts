/**
 * What every kind of stream does alike, specified once over both: the
 * production handler's clients, and a kind whose client cannot be made.
 */
import { DescribeDeliveryStreamCommand, FirehoseClient, ResourceNotFoundException as FirehoseNotFound } from '@aws-sdk/client-firehose';
import { DescribeStreamSummaryCommand, KinesisClient, ResourceNotFoundException as KinesisNotFound } from '@aws-sdk/client-kinesis';
import { } from '@aws-sdk/client-kms';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { createEvent, described, enc, properties, updateEvent } from './firehose-helpers';
import { CLIENT_ERROR_METADATA, Harness, lambdaContext } from './helpers';
import { kinesisCreate, kinesisProperties, kinesisUpdate, sse, summary } from './kinesis-helpers';
import { awsCalls, firehose, kinesis, resetMocks } from './mocks';
import { handler } from '../../lambda';
import type { ClientProvider } from '../../lambda/core/clients';
import { handleEvent } from '../../lambda/core/handle-event';

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
  /** A Create event of its test stream. */
  create(): CloudFormationCustomResourceEvent;
  /** An Update event of its test stream that changes no functional property, with the given physical id. */
  updateNonFunctional(physicalId: string): CloudFormationCustomResourceEvent;
  /** Let every describe call of the test stream answer: the stream does not exist. */
  readMissing(): void;
  /** Let every describe call of the test stream answer: encrypted as wanted. */
  readEncrypted(): void;
  /** The describe calls made. */
  describes(): number;
  /** The `maxAttempts` of the client that made the first describe call. */
  firstDescribeMaxAttempts(): Promise<number>;
}

const KINDS: KindCase[] = [
  {
    name: 'delivery streams',
    service: 'firehose',
    client: 'Firehose',
    physicalId: 'firehose:orders',
    create: () => createEvent(),
    updateNonFunctional: (id) => updateEvent(properties({ SettleSeconds: '0' }), properties(), id),
    readMissing: () => firehose.on(DescribeDeliveryStreamCommand).rejects(new FirehoseNotFound({ message: 'not found', ...CLIENT_ERROR_METADATA })),
    readEncrypted: () => firehose.on(DescribeDeliveryStreamCommand).resolves(described(enc.enabled())),
    describes: () => firehose.commandCalls(DescribeDeliveryStreamCommand).length,
    firstDescribeMaxAttempts: () => (firehose.commandCalls(DescribeDeliveryStreamCommand)[0].thisValue as FirehoseClient).config.maxAttempts(),
  },
  {
    name: 'data streams',
    service: 'kinesis',
    client: 'Kinesis',
    physicalId: 'kinesis:events',
    create: () => kinesisCreate(),
    updateNonFunctional: (id) => kinesisUpdate(kinesisProperties({ SettleSeconds: '0' }), kinesisProperties(), id),
    readMissing: () => kinesis.on(DescribeStreamSummaryCommand).rejects(new KinesisNotFound({ message: 'not found', ...CLIENT_ERROR_METADATA })),
    readEncrypted: () => kinesis.on(DescribeStreamSummaryCommand).resolves(summary(sse.kms())),
    describes: () => kinesis.commandCalls(DescribeStreamSummaryCommand).length,
    firstDescribeMaxAttempts: () => (kinesis.commandCalls(DescribeStreamSummaryCommand)[0].thisValue as KinesisClient).config.maxAttempts(),
  },
];

beforeEach(() => {
  resetMocks();
});

describe.each(KINDS)('$name', (kind) => {
  test('the production handler uses clients that make a single attempt per call', async () => {
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      kind.readEncrypted();
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
    const h = new Harness();
    kind.readEncrypted();
    const id = `${kind.physicalId}#prior=none`;
    expect(await h.run(kind.updateNonFunctional(id))).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: id });
    expect(kind.describes()).toBe(1);
    expect(awsCalls()).toBe(1);
  });

  test('an Update that changes no functional property of a stream that is gone: FAILED, keeping the given id', async () => {
    const h = new Harness();
    kind.readMissing();
    const id = `${kind.physicalId}#prior=none`;
    const answer = await h.run(kind.updateNonFunctional(id));
    expect(answer).toMatchObject({ Status: 'FAILED', PhysicalResourceId: id });
    expect(answer.Reason).toMatch(/^(DATA_)?STREAM_NOT_FOUND: /);
  });

  test('dependencies without the kind\'s client answer FAILED, without touching a stream', async () => {
    const h = new Harness();
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
});
