/**
 * Shared set-up for the local cloud's tests: a cloud with real SDK clients pointed at it.
 */

import { FirehoseClient } from '@aws-sdk/client-firehose';
import { KMSClient } from '@aws-sdk/client-kms';
import { LocalCloud, LocalCloudOptions, startLocalCloud } from '../../tools/local-cloud';

/** A running cloud and SDK clients that make one attempt per call (no SDK retries). */
export interface TestCloud {
  readonly cloud: LocalCloud;
  readonly firehose: FirehoseClient;
  readonly kms: KMSClient;
  /** Stops the clients and the cloud. */
  stop(): Promise<void>;
}

/** Starts a cloud with the given options and single-attempt SDK clients for it. */
export async function startTestCloud(options: LocalCloudOptions = {}): Promise<TestCloud> {
  const cloud = await startLocalCloud(options);
  const firehose = new FirehoseClient({ ...cloud.clientConfig(), maxAttempts: 1 });
  const kms = new KMSClient({ ...cloud.clientConfig(), maxAttempts: 1 });
  return {
    cloud,
    firehose,
    kms,
    async stop() {
      firehose.destroy();
      kms.destroy();
      await cloud.stop();
    },
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
 * Options for functional tests: every built-in rate limit off (throttling has its own tests), and
 * transitions that never complete by themselves within a test, so that tests move them with
 * `advanceClock` deterministically.
 */
export const FUNCTIONAL_OPTIONS: LocalCloudOptions = {
  delays: { creatingMs: 0, enablingMs: 60_000, disablingMs: 60_000, deletingMs: 0 },
  throttle: {
    '*': null,
    'DescribeDeliveryStream': null,
    'StartDeliveryStreamEncryption': null,
    'StopDeliveryStreamEncryption': null,
    'TagDeliveryStream': null,
    'UntagDeliveryStream': null,
    'ListTagsForDeliveryStream': null,
  },
};
