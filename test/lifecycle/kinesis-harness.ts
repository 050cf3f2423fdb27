/**
 * The Kinesis side of the lifecycle scenarios: what a data stream's encryption and calls look like
 * in the local cloud, next to `firehose-harness.ts`'s delivery stream helpers.
 */
import { Stack } from 'aws-cdk-lib';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import { ENV, SCHEDULING_SLACK_MS, stateReaders, StreamCalls, streamCallsOn } from './harness';
import { DataStreamEncryption, DataStreamEncryptionProps } from '../../src';
import { LocalCloud } from '../../tools/local-cloud';
import { LocalCloudStack } from '../../tools/local-cloud/cfn';
import type { DataStreamSnapshot } from '../../tools/local-cloud/services/kinesis';

/**
 * An answer that needed no wait (one read, maybe a key check, no poll, no settle) arrives well
 * within this, even on a busy machine that runs other suites beside this one.
 */
export const AT_ONCE_MS = SCHEDULING_SLACK_MS;

/** How late, beyond the handler's own pace (a poll of about a second), a timed event may be on a busy machine. */
export const SLACK_MS = SCHEDULING_SLACK_MS;

/** The ARN of the data stream `name` in the local cloud's account and region. */
export function dataStreamArn(name: string): string {
  return `arn:aws:kinesis:${ENV.region}:${ENV.account}:stream/${name}`;
}

/** The alias ARN of `alias/<name>` in the local cloud's account and region. */
export function aliasArn(aliasName: string): string {
  return `arn:aws:kms:${ENV.region}:${ENV.account}:${aliasName}`;
}

/** Calls that took effect (and all calls) on one data stream. */
export type DataStreamCalls = StreamCalls;

/** The calls made on a data stream so far. */
export function kinesisCallsOn(cloud: LocalCloud, stream: string): DataStreamCalls {
  return streamCallsOn(cloud, stream, { start: 'StartStreamEncryption', stop: 'StopStreamEncryption', describe: 'DescribeStreamSummary' });
}

/** A data stream's encryption: what DescribeStreamSummary shows and what protects the records. */
export interface DataStreamState {
  /** `StreamStatus`. */
  readonly status: string;
  /** `EncryptionType` shown (during an update: the one being applied). */
  readonly encryptionType: string;
  /** `KeyId` shown with KMS. */
  readonly keyId?: string;
  /** The encryption that protects records now. */
  readonly applied: { EncryptionType: string; KeyId?: string };
  /** A status change in progress (`UPDATING`, …). */
  readonly pending?: string;
}

/** The encryption of a data stream snapshot (now, or as the driver saw it when the answer arrived). */
export function dataStreamStateOf(snapshot: DataStreamSnapshot | null | undefined): DataStreamState | undefined {
  if (!snapshot) return undefined;
  return {
    status: snapshot.summary.StreamStatus,
    encryptionType: snapshot.summary.EncryptionType,
    keyId: snapshot.summary.KeyId,
    applied: snapshot.appliedEncryption,
    pending: snapshot.pendingChange?.status,
  };
}

const readers = stateReaders(dataStreamStateOf, (cloud, stream) => cloud.control.dataStream(stream));

/** The data stream's encryption now (`undefined`: the stream is gone). */
export const dataStreamNow = readers.now;

/** The data stream's encryption when the answer arrived. */
export const dataStreamAtAnswer = readers.atAnswer;

/** When an accepted Start or Stop on a data stream took effect: the call, plus the stream's update delay. */
export function changedAt(cloud: LocalCloud, stream: string, operation: 'StartStreamEncryption' | 'StopStreamEncryption', nth = 1): number {
  const calls = cloud.control.callLog().filter((c) => c.operation === `kinesis:${operation}` && c.resource === stream && c.outcome === 'accepted');
  const call = calls[nth - 1];
  if (!call) throw new Error(`no accepted ${operation} #${nth} on ${stream}`);
  return call.at + cloud.control.dataStream(stream)!.delays.updatingMs;
}

/** The scenario stack's custom resource for a data stream, and its `KeyId` as the template resolves it. */
export function dataStreamResourceFor(stack: LocalCloudStack, stream: string): { handle: ReturnType<LocalCloudStack['resource']>; keyId: string; logicalId: string } {
  const handle = stack.resourceForDataStream(stream);
  const keyId = stack.templateProperties(handle.logicalId).KeyId as string;
  return { handle, keyId, logicalId: handle.logicalId };
}

/**
 * Adds a `DataStreamEncryption` (`Sse-<name>`) of each imported data stream of `names`
 * (`Stream-<name>`, by its ARN), with the props `props` gives that stream.
 */
export function encryptDataStreams(
  s: Stack,
  names: readonly string[],
  props: (name: string) => Partial<DataStreamEncryptionProps> = () => ({}),
): void {
  for (const name of names) {
    const stream = kinesis.Stream.fromStreamArn(s, `Stream-${name}`, dataStreamArn(name));
    new DataStreamEncryption(s, `Sse-${name}`, { stream, ...props(name) });
  }
}
