/**
 * Shared set-up for the local cloud's tests: a cloud with real SDK clients pointed at it.
 */

import {
  DeliveryStreamEncryptionConfigurationInput,
  DescribeDeliveryStreamCommand,
  FirehoseClient,
  ListTagsForDeliveryStreamCommand,
  StartDeliveryStreamEncryptionCommand,
  StopDeliveryStreamEncryptionCommand,
  Tag,
  TagDeliveryStreamCommand,
  UntagDeliveryStreamCommand,
} from '@aws-sdk/client-firehose';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { KMSClient } from '@aws-sdk/client-kms';
import { LocalCloud, LocalCloudOptions, startLocalCloud } from '../../tools/local-cloud';

/** A running cloud and SDK clients that make one attempt per call (no SDK retries). */
export interface TestCloud {
  readonly cloud: LocalCloud;
  readonly firehose: FirehoseClient;
  readonly kinesis: KinesisClient;
  readonly kms: KMSClient;
  /** The Firehose calls on one delivery stream, each one call through `firehose`. */
  readonly delivery: DeliveryStreamCalls;
  /** Stops the clients and the cloud. */
  stop(): Promise<void>;
}

/**
 * The Firehose calls the tests make on a delivery stream, each one SDK call through `client`;
 * `start` without `input` sends no encryption configuration (Firehose's default).
 */
export function deliveryStreamCalls(client: FirehoseClient) {
  return {
    describe: (name: string) => client.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: name })),
    start: (name: string, input?: DeliveryStreamEncryptionConfigurationInput) =>
      client.send(new StartDeliveryStreamEncryptionCommand({ DeliveryStreamName: name, DeliveryStreamEncryptionConfigurationInput: input })),
    stop: (name: string) => client.send(new StopDeliveryStreamEncryptionCommand({ DeliveryStreamName: name })),
    tag: (name: string, tags: Tag[]) => client.send(new TagDeliveryStreamCommand({ DeliveryStreamName: name, Tags: tags })),
    untag: (name: string, keys: string[]) => client.send(new UntagDeliveryStreamCommand({ DeliveryStreamName: name, TagKeys: keys })),
    listTags: (name: string, page: { Limit?: number; ExclusiveStartTagKey?: string } = {}) =>
      client.send(new ListTagsForDeliveryStreamCommand({ DeliveryStreamName: name, ...page })),
  };
}

/** The calls of {@link deliveryStreamCalls}. */
export type DeliveryStreamCalls = ReturnType<typeof deliveryStreamCalls>;

/** Starts a cloud with the given options and single-attempt SDK clients for it. */
export async function startTestCloud(options: LocalCloudOptions = {}): Promise<TestCloud> {
  const cloud = await startLocalCloud(options);
  const firehose = new FirehoseClient({ ...cloud.clientConfig(), maxAttempts: 1 });
  const kinesis = new KinesisClient({ ...cloud.clientConfig(), maxAttempts: 1 });
  const kms = new KMSClient({ ...cloud.clientConfig(), maxAttempts: 1 });
  return {
    cloud,
    firehose,
    kinesis,
    kms,
    delivery: deliveryStreamCalls(firehose),
    async stop() {
      firehose.destroy();
      kinesis.destroy();
      kms.destroy();
      await cloud.stop();
    },
  };
}

/**
 * A test cloud started with `options` before the tests of the enclosing file (or `describe`
 * block) and stopped after them; with `resetEach`, its state is reset before each test. The object
 * it returns reads the running cloud: use it inside hooks and tests.
 */
export function useTestCloud(options: LocalCloudOptions = {}, { resetEach = false } = {}): TestCloud {
  let running: TestCloud | undefined;
  beforeAll(async () => {
    running = await startTestCloud(options);
  });
  afterAll(async () => running?.stop());
  if (resetEach) beforeEach(() => running!.cloud.control.reset());
  const now = (): TestCloud => {
    if (!running) throw new Error('the test cloud is not started yet: use it inside hooks and tests');
    return running;
  };
  return {
    get cloud() {
      return now().cloud;
    },
    get firehose() {
      return now().firehose;
    },
    get kinesis() {
      return now().kinesis;
    },
    get kms() {
      return now().kms;
    },
    get delivery() {
      return now().delivery;
    },
    stop: () => now().stop(),
  };
}

/**
 * Awaits a promise that must reject, and returns the error so that a test can assert its class,
 * name and message. Fails the test when the promise resolves.
 */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error & { name: string; $metadata?: { httpStatusCode?: number } }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { name: string; $metadata?: { httpStatusCode?: number } };
  }
  throw new Error('Expected the call to fail, but it succeeded');
}

/** A customer-managed symmetric key ARN in the test cloud's account and region. */
export function keyArn(id: string, region = 'us-east-1', account = '123456789012'): string {
  return `arn:aws:kms:${region}:${account}:key/${id}`;
}

/**
 * Firehose's built-in rate limits off, and every operation without a rate of its own (the
 * fallback, `*`) unlimited too.
 */
export const FIREHOSE_RATE_LIMITS_OFF: LocalCloudOptions['throttle'] = {
  '*': null,
  'DescribeDeliveryStream': null,
  'StartDeliveryStreamEncryption': null,
  'StopDeliveryStreamEncryption': null,
  'TagDeliveryStream': null,
  'UntagDeliveryStream': null,
  'ListTagsForDeliveryStream': null,
};

/** The built-in rate limits of the Kinesis operations off (and only those). */
export const KINESIS_RATE_LIMITS_OFF: LocalCloudOptions['throttle'] = {
  DescribeStreamSummary: null,
  StartStreamEncryption: null,
  StopStreamEncryption: null,
  AddTagsToStream: null,
  RemoveTagsFromStream: null,
  ListTagsForStream: null,
};

/**
 * Options for functional tests: every built-in rate limit off (throttling has its own tests), and
 * transitions that never complete by themselves within a test, so that tests move them with
 * `advanceClock` deterministically.
 */
export const FUNCTIONAL_OPTIONS: LocalCloudOptions = {
  delays: { creatingMs: 0, enablingMs: 60_000, disablingMs: 60_000, deletingMs: 0 },
  throttle: FIREHOSE_RATE_LIMITS_OFF,
};

/**
 * The owner tag a Create leaves on a stream it found unencrypted: its claim, written before the
 * Start (with a copy's nonce) and kept, since it already names the resource and the prior state.
 */
export function claimedBy(owner: string, prior = 'none'): string {
  const escaped = `${owner} prior=${prior}`.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return expect.stringMatching(new RegExp(`^${escaped} claim=[0-9a-f]{8}$`)) as unknown as string;
}
