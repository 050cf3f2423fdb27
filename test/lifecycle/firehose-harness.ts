/**
 * The Firehose side of the lifecycle scenarios: what a delivery stream's encryption and calls look
 * like in the local cloud, next to `kinesis-harness.ts`'s data stream helpers.
 */
import { Stack } from 'aws-cdk-lib';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import { stateReaders, StreamCalls, streamCallsOn } from './harness';
import { DeliveryStreamEncryption, DeliveryStreamEncryptionProps } from '../../src';
import { LocalCloud } from '../../tools/local-cloud';
import { LocalCloudStack } from '../../tools/local-cloud/cfn';
import type { DeliveryStreamSnapshot } from '../../tools/local-cloud/services/firehose';

/** The calls made on a delivery stream so far. */
export function callsOn(cloud: LocalCloud, stream: string): StreamCalls {
  return streamCallsOn(cloud, stream, { start: 'StartDeliveryStreamEncryption', stop: 'StopDeliveryStreamEncryption', describe: 'DescribeDeliveryStream' });
}

/** A stream's encryption now: what Describe shows and the key that protects records. */
export interface EncryptionState {
  readonly status?: string;
  readonly keyType?: string;
  readonly keyArn?: string;
  readonly failureType?: string;
  /** The key that protects the records (`null`: not encrypted); `undefined` when the stream is gone. */
  readonly applied?: { keyType: string; keyArn?: string } | null;
  /** An encryption change in progress. */
  readonly pending?: string;
}

/** The encryption of a stream snapshot (now, or as the driver saw it when the answer arrived). */
export function encryptionOf(snapshot: DeliveryStreamSnapshot | null | undefined): EncryptionState | undefined {
  if (!snapshot) return undefined;
  const enc = snapshot.description.DeliveryStreamEncryptionConfiguration;
  return {
    status: enc?.Status,
    keyType: enc?.KeyType,
    keyArn: enc?.KeyARN,
    failureType: enc?.FailureDescription?.Type,
    applied: snapshot.appliedKey,
    pending: snapshot.pendingChange?.kind,
  };
}

const readers = stateReaders(encryptionOf, (cloud, stream) => cloud.control.stream(stream));

/** The stream's encryption now. */
export const encryptionNow = readers.now;

/** The stream's encryption when the answer arrived. */
export const encryptionAtAnswer = readers.atAnswer;

/** The scenario stack's custom resource for a stream, and its key ARN as the template resolves it. */
export function resourceFor(stack: LocalCloudStack, stream: string): { handle: ReturnType<LocalCloudStack['resource']>; keyArn?: string; logicalId: string } {
  const handle = stack.resourceForStream(stream);
  const keyArn = stack.templateProperties(handle.logicalId).KeyArn as string | undefined;
  return { handle, keyArn, logicalId: handle.logicalId };
}

/**
 * Adds a `DeliveryStreamEncryption` (`Sse-<name>`) of each imported delivery stream of `names`
 * (`Stream-<name>`), with the props `props` gives that stream.
 */
export function encryptDeliveryStreams(
  s: Stack,
  names: readonly string[],
  props: (name: string) => Partial<DeliveryStreamEncryptionProps> = () => ({}),
): void {
  for (const name of names) {
    const deliveryStream = firehose.DeliveryStream.fromDeliveryStreamName(s, `Stream-${name}`, name);
    new DeliveryStreamEncryption(s, `Sse-${name}`, { deliveryStream, ...props(name) });
  }
}
