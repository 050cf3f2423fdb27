/**
 * Tag behaviour Firehose and Kinesis share, specified once over both services with the real SDK
 * clients: tags are set, overwritten, listed in key order and removed (a missing key is ignored),
 * and listed in pages of 10 after `ExclusiveStartTagKey`. What differs (limits, errors, the
 * characters allowed, when tags may change) is in `firehose.test.ts` and `kinesis.test.ts`.
 */
import {
  DescribeDeliveryStreamCommand,
  ListTagsForDeliveryStreamCommand,
  TagDeliveryStreamCommand,
  UntagDeliveryStreamCommand,
} from '@aws-sdk/client-firehose';
import {
  AddTagsToStreamCommand,
  DescribeStreamSummaryCommand,
  KinesisClient,
  ListTagsForStreamCommand,
  RemoveTagsFromStreamCommand,
} from '@aws-sdk/client-kinesis';
import { FUNCTIONAL_OPTIONS, startTestCloud, TestCloud } from './helpers';

/** A page of tags, as both services answer it. */
interface TagPage {
  readonly Tags?: Array<{ Key?: string; Value?: string }>;
  readonly HasMoreTags?: boolean;
}

/** The tag operations of one service, over the real SDK client. */
interface TaggingService {
  readonly service: 'firehose' | 'kinesis';
  /** Creates a stream over the wire, with `tags`. */
  create(name: string, tags?: Record<string, string>): Promise<unknown>;
  /** Sets tags; `byArn` names the stream by ARN where the service can. */
  tag(name: string, tags: Record<string, string>, byArn?: boolean): Promise<unknown>;
  untag(name: string, keys: string[]): Promise<unknown>;
  list(name: string, extra?: { Limit?: number; ExclusiveStartTagKey?: string }): Promise<TagPage>;
  /** The stream's tags as the control API reports them. */
  tagsOf(name: string): Record<string, string> | undefined;
  /** Asserts that the tag calls left the stream's encryption as it was. */
  expectUnchanged(name: string): Promise<void>;
}

const streamArn = (name: string) => `arn:aws:kinesis:us-east-1:123456789012:stream/${name}`;
const streamRef = (name: string, byArn?: boolean) => (byArn ? { StreamARN: streamArn(name) } : { StreamName: name });
const tagList = (tags: Record<string, string>) => Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));

let t: TestCloud;
let kinesis: KinesisClient;

beforeAll(async () => {
  t = await startTestCloud({
    ...FUNCTIONAL_OPTIONS,
    kinesisDelays: { creatingMs: 0, updatingMs: 60_000, deletingMs: 0 },
    throttle: { ...FUNCTIONAL_OPTIONS.throttle, AddTagsToStream: null, RemoveTagsFromStream: null, ListTagsForStream: null },
  });
  kinesis = new KinesisClient({ ...t.cloud.clientConfig(), maxAttempts: 1 });
});
afterAll(async () => {
  kinesis.destroy();
  await t.stop();
});
beforeEach(() => t.cloud.control.reset());

const SERVICES: TaggingService[] = [
  {
    service: 'firehose',
    create: async (name, tags) => t.cloud.control.createStream({ name, tags }),
    tag: (name, tags) => t.firehose.send(new TagDeliveryStreamCommand({ DeliveryStreamName: name, Tags: tagList(tags) })),
    untag: (name, keys) => t.firehose.send(new UntagDeliveryStreamCommand({ DeliveryStreamName: name, TagKeys: keys })),
    list: (name, extra = {}) => t.firehose.send(new ListTagsForDeliveryStreamCommand({ DeliveryStreamName: name, ...extra })),
    tagsOf: (name) => t.cloud.control.stream(name)?.tags,
    expectUnchanged: async (name) => {
      const out = await t.firehose.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: name }));
      expect(out.DeliveryStreamDescription!.VersionId).toBe('1');
    },
  },
  {
    service: 'kinesis',
    create: async (name, tags) => t.cloud.control.createDataStream({ name, tags }),
    tag: (name, tags, byArn) => kinesis.send(new AddTagsToStreamCommand({ ...streamRef(name, byArn), Tags: tags })),
    untag: (name, keys) => kinesis.send(new RemoveTagsFromStreamCommand({ StreamName: name, TagKeys: keys })),
    list: (name, extra = {}) => kinesis.send(new ListTagsForStreamCommand({ StreamARN: streamArn(name), ...extra })),
    tagsOf: (name) => t.cloud.control.dataStream(name)?.tags,
    expectUnchanged: async (name) => {
      const out = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
      expect(out.StreamDescriptionSummary).toMatchObject({ StreamStatus: 'ACTIVE', EncryptionType: 'NONE' });
    },
  },
];

describe.each(SERVICES)('$service', (k) => {
  test('tags are set (by name or ARN), overwritten, listed in key order and removed; removing a missing key is ignored', async () => {
    await k.create('orders', { team: 'orders' });
    await k.tag('orders', { 'cdk-stream-encryption/managed-by': 'abc/Stack/OrdersSse', 'env': 'prod' }, true);
    await k.tag('orders', { env: 'dev' });
    expect(await k.list('orders')).toMatchObject({
      Tags: [
        { Key: 'cdk-stream-encryption/managed-by', Value: 'abc/Stack/OrdersSse' },
        { Key: 'env', Value: 'dev' },
        { Key: 'team', Value: 'orders' },
      ],
      HasMoreTags: false,
    });
    await k.untag('orders', ['env', 'not-there']);
    expect(k.tagsOf('orders')).toEqual({ 'cdk-stream-encryption/managed-by': 'abc/Stack/OrdersSse', 'team': 'orders' });
    // tags are not encryption: the stream is unchanged
    await k.expectUnchanged('orders');
  });

  test('pages: 10 tags unless Limit says otherwise, each page after ExclusiveStartTagKey', async () => {
    await k.create('orders');
    const keys = Array.from({ length: 23 }, (_, i) => `k${String(i).padStart(2, '0')}`);
    await k.tag('orders', Object.fromEntries(keys.map((key) => [key, key])));
    const first = await k.list('orders');
    expect(first.Tags!.map((x) => x.Key)).toEqual(keys.slice(0, 10));
    expect(first.HasMoreTags).toBe(true);
    const rest = await k.list('orders', { ExclusiveStartTagKey: 'k09', Limit: 50 });
    expect(rest.Tags!.map((x) => x.Key)).toEqual(keys.slice(10));
    expect(rest.HasMoreTags).toBe(false);
  });
});
