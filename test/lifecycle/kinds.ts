/**
 * The two kinds of stream the lifecycle scenarios run over, behind one small adapter each, so that
 * behaviour both kinds share is specified once (`describe.each(STREAM_KINDS)`).
 */
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as kms from 'aws-cdk-lib/aws-kms';
import { callsOn, encryptionNow, resourceFor } from './firehose-harness';
import { KINESIS_UNTHROTTLED, StreamCalls, UNTHROTTLED } from './harness';
import { dataStreamArn, dataStreamNow, dataStreamResourceFor, kinesisCallsOn } from './kinesis-harness';
import { DataStreamEncryption, DeliveryStreamEncryption } from '../../src';
import { LocalCloud, LocalCloudOptions } from '../../tools/local-cloud';
import { LocalCloudStack } from '../../tools/local-cloud/cfn';

/** The construct options the shared scenarios vary. */
export interface EncryptOptions {
  readonly key?: kms.IKey;
  readonly removalPolicy?: RemovalPolicy;
}

/** What a scenario needs to know of one kind of stream. */
export interface StreamKindAdapter {
  /** `firehose` or `kinesis`, as physical ids and steps name it. */
  readonly kind: 'firehose' | 'kinesis';
  /** The Start operation. */
  readonly startOperation: string;
  /** The `reasonId` of a refusal for the per-stream call limit. */
  readonly callLimitReasonId: string;
  /** What {@link StreamKindAdapter.now} matches for a stream that is not encrypted. */
  readonly unencrypted: object;
  /** The custom resource property that names the key. */
  readonly keyProperty: 'KeyArn' | 'KeyId';
  /** A stream name of this kind (Kinesis scenarios prefix theirs with `k-`). */
  name(base: string): string;
  /** Local-cloud options with the built-in rate limits off and Start/Stop taking `changeMs`. */
  unthrottled(changeMs: number): LocalCloudOptions;
  /** What the refusal of Start for the call limit says. */
  callLimitReasons(name: string): string[];
  /** Adds the construct that encrypts the imported stream `name` (with `key` and `removalPolicy`, when given). */
  encrypt(stack: Stack, id: string, name: string, options?: EncryptOptions): void;
  /** Creates the stream in the local cloud, unencrypted, with `callsUsed` calls of its window spent. */
  createStream(cloud: LocalCloud, name: string, callsUsed?: number): void;
  /** Creates the stream in the local cloud, encrypted with `key` (by someone else). */
  createEncryptedStream(cloud: LocalCloud, name: string, key: string): void;
  /** Removes the stream from the local cloud at once; whether there was one. */
  deleteStream(cloud: LocalCloud, name: string): boolean;
  /** The stack's custom resource for a stream, and the key it asks for. */
  resourceFor(stack: LocalCloudStack, name: string): { handle: ReturnType<LocalCloudStack['resource']>; key?: string; logicalId: string };
  /** Calls of the rolling window still counted now. */
  callsInWindow(cloud: LocalCloud, name: string): number;
  /** The calls made on the stream so far. */
  calls(cloud: LocalCloud, name: string): StreamCalls;
  /** The stream's encryption now (for `toMatchObject`). */
  now(cloud: LocalCloud, name: string): object | undefined;
  /** What {@link StreamKindAdapter.now} matches for a stream encrypted with `key`. */
  encryptedWith(key: string | undefined): object;
  /** The custom resource's properties that name the stream. */
  streamProperties(name: string): Record<string, string>;
  /** The stream's tags now. */
  tags(cloud: LocalCloud, name: string): Record<string, string> | undefined;
}

/** Amazon Data Firehose delivery streams (`DeliveryStreamEncryption`). */
export const FIREHOSE: StreamKindAdapter = {
  kind: 'firehose',
  name: (base) => base,
  unthrottled: (changeMs) => ({ throttle: UNTHROTTLED, delays: { enablingMs: changeMs, disablingMs: changeMs } }),
  startOperation: 'StartDeliveryStreamEncryption',
  callLimitReasonId: 'CALL_LIMIT_EXCEEDED',
  callLimitReasons: (name) => [
    `Firehose refused StartDeliveryStreamEncryption on ${name}: limit exceeded`,
    'A stream takes at most 25 encryption changes (Start or Stop) in a rolling 24 hours',
  ],
  encrypt: (s, id, name, options = {}) => new DeliveryStreamEncryption(s, id, {
    deliveryStream: firehose.DeliveryStream.fromDeliveryStreamName(s, `${id}Stream`, name),
    encryption: firehose.StreamEncryption.customerManagedKey(options.key),
    removalPolicy: options.removalPolicy,
  }),
  createStream: (cloud, name, callsUsed) => cloud.control.createStream({ name, encryptionCallsInWindow: callsUsed }),
  createEncryptedStream: (cloud, name, key) => cloud.control.createStream({ name, encryption: { status: 'ENABLED', keyArn: key } }),
  deleteStream: (cloud, name) => cloud.control.deleteStream(name),
  resourceFor: (stack, name) => {
    const { handle, keyArn, logicalId } = resourceFor(stack, name);
    return { handle, key: keyArn, logicalId };
  },
  callsInWindow: (cloud, name) => cloud.control.stream(name)!.encryptionCalls.inWindow,
  calls: callsOn,
  now: encryptionNow,
  unencrypted: { status: 'DISABLED', applied: null },
  encryptedWith: (key) => ({ status: 'ENABLED', keyArn: key, applied: { keyArn: key } }),
  streamProperties: (name) => ({ DeliveryStreamName: name }),
  keyProperty: 'KeyArn',
  tags: (cloud, name) => cloud.control.stream(name)?.tags,
};

/** Kinesis data streams (`DataStreamEncryption`). */
export const KINESIS: StreamKindAdapter = {
  kind: 'kinesis',
  name: (base) => `k-${base}`,
  unthrottled: (changeMs) => ({ throttle: KINESIS_UNTHROTTLED, kinesisDelays: { updatingMs: changeMs } }),
  startOperation: 'StartStreamEncryption',
  callLimitReasonId: 'CALL_LIMIT_EXCEEDED',
  callLimitReasons: (name) => [
    `Kinesis refused StartStreamEncryption on ${name}: limit exceeded`,
    'has reached the limit of 25 server-side encryption key applications in 24 hours',
    'at most 25 encryption changes (Start or Stop) in a rolling 24 hours',
  ],
  encrypt: (s, id, name, options = {}) => new DataStreamEncryption(s, id, {
    stream: kinesis.Stream.fromStreamArn(s, `${id}Stream`, dataStreamArn(name)),
    encryptionKey: options.key,
    removalPolicy: options.removalPolicy,
  }),
  createStream: (cloud, name, callsUsed) => cloud.control.createDataStream({ name, keyApplicationsInWindow: callsUsed }),
  createEncryptedStream: (cloud, name, key) => cloud.control.createDataStream({ name, encryption: { keyId: key } }),
  deleteStream: (cloud, name) => cloud.control.deleteDataStream(name),
  resourceFor: (stack, name) => {
    const { handle, keyId, logicalId } = dataStreamResourceFor(stack, name);
    return { handle, key: keyId, logicalId };
  },
  callsInWindow: (cloud, name) => cloud.control.dataStream(name)!.keyApplications.inWindow,
  calls: kinesisCallsOn,
  now: dataStreamNow,
  unencrypted: { status: 'ACTIVE', encryptionType: 'NONE' },
  encryptedWith: (key) => ({ status: 'ACTIVE', encryptionType: 'KMS', keyId: key, applied: { KeyId: key } }),
  streamProperties: (name) => ({ StreamName: name, StreamArn: dataStreamArn(name) }),
  keyProperty: 'KeyId',
  tags: (cloud, name) => cloud.control.dataStream(name)?.tags,
};

/** Both kinds, for `describe.each`. */
export const STREAM_KINDS: readonly StreamKindAdapter[] = [FIREHOSE, KINESIS];

/** A key the template makes, destroyed with the stack. */
export function sharedKey(s: Stack): kms.Key {
  return new kms.Key(s, 'SharedKey', { removalPolicy: RemovalPolicy.DESTROY });
}
