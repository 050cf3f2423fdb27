/**
 * The Firehose side of the lifecycle scenarios: what a delivery stream's encryption and calls look
 * like in the local cloud, next to `kinesis-harness.ts`'s data stream helpers.
 */
import { StreamCalls, streamCallsOn } from './harness';
import { LocalCloud } from '../../tools/local-cloud';
import { LocalCloudStack, StepResult } from '../../tools/local-cloud/cfn';
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

/** The stream's encryption now. */
export function encryptionNow(cloud: LocalCloud, stream: string): EncryptionState | undefined {
  return encryptionOf(cloud.control.stream(stream));
}

/** The stream's encryption when the answer arrived. */
export function encryptionAtAnswer(result: StepResult): EncryptionState | undefined {
  return encryptionOf(result.observedAtAnswer as DeliveryStreamSnapshot | null | undefined);
}

/** The scenario stack's custom resource for a stream, and its key ARN as the template resolves it. */
export function resourceFor(stack: LocalCloudStack, stream: string): { handle: ReturnType<LocalCloudStack['resource']>; keyArn?: string; logicalId: string } {
  const handle = stack.resourceForStream(stream);
  const keyArn = stack.templateProperties(handle.logicalId).KeyArn as string | undefined;
  return { handle, keyArn, logicalId: handle.logicalId };
}
