/**
 * Fixtures for the Kinesis handler tests: properties, events and stream
 * summaries of a `Custom::DataStreamEncryption`.
 */
import { DescribeStreamSummaryOutput, StreamDescriptionSummary } from '@aws-sdk/client-kinesis';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { eventBuilders, KEY_ARN, T0 } from './helpers';
import { DataStreamEncryptionResourceProperties, encodeDataStreamEncryptionProperties } from '../../src/private/contract';

/** The data stream of the fixtures. */
export const STREAM = 'events';
/** Its ARN. */
export const STREAM_ARN = 'arn:aws:kinesis:eu-west-1:123456789012:stream/events';
/** The id of {@link KEY_ARN}. */
export const KEY_ID = '1234abcd-12ab-34cd-56ef-1234567890ab';
/** The Kinesis managed key. */
export const MANAGED = 'alias/aws/kinesis';

/** Typed properties with defaults: stream `events`, customer managed key {@link KEY_ARN}. */
export function kinesisProperties(overrides: Partial<DataStreamEncryptionResourceProperties> = {}): Record<string, string> {
  return encodeDataStreamEncryptionProperties({
    StreamKind: 'kinesis',
    StreamName: STREAM,
    StreamArn: STREAM_ARN,
    KeyId: KEY_ARN,
    TimeoutSeconds: '600',
    SettleSeconds: '5',
    RemovalPolicy: 'destroy',
    ...overrides,
  });
}

/** Events of the data stream encryption `EventsSse`. */
const EVENTS_EVENTS = eventBuilders({
  logicalId: 'EventsSse',
  resourceType: 'Custom::DataStreamEncryption',
  requestId: '6f6d0c1e-7f00-4a5b-9a5e-000000000002',
  physicalId: 'kinesis:events',
  properties: kinesisProperties,
});

/** A Create event. */
export function kinesisCreate(props: Record<string, unknown> = kinesisProperties()): CloudFormationCustomResourceEvent {
  return EVENTS_EVENTS.create(props);
}

/** An Update event. */
export function kinesisUpdate(
  props: Record<string, unknown>,
  oldProps: Record<string, unknown>,
  physicalResourceId = 'kinesis:events',
): CloudFormationCustomResourceEvent {
  return EVENTS_EVENTS.update(props, oldProps, physicalResourceId);
}

/** A Delete event. */
export function kinesisDelete(props: Record<string, unknown> = kinesisProperties(), physicalResourceId = 'kinesis:events'): CloudFormationCustomResourceEvent {
  return EVENTS_EVENTS.delete(props, physicalResourceId);
}

/** A stream's encryption, as `DescribeStreamSummary` reports it. */
export type SummaryEncryption = Pick<StreamDescriptionSummary, 'EncryptionType' | 'KeyId'>;

/** Encryption states. */
export const sse = {
  /** Not encrypted. */
  none: (): SummaryEncryption => ({ EncryptionType: 'NONE' }),
  /** Encrypted with a key (by default {@link KEY_ARN}). */
  kms: (keyId = KEY_ARN): SummaryEncryption => ({ EncryptionType: 'KMS', KeyId: keyId }),
};

/**
 * A `DescribeStreamSummary` output: the stream `events` with this encryption
 * and status (default ACTIVE).
 */
export function summary(encryption: SummaryEncryption, status: string = 'ACTIVE', overrides: Partial<StreamDescriptionSummary> = {}): DescribeStreamSummaryOutput {
  return {
    StreamDescriptionSummary: {
      StreamName: STREAM,
      StreamARN: STREAM_ARN,
      StreamStatus: status as StreamDescriptionSummary['StreamStatus'],
      StreamModeDetails: { StreamMode: 'ON_DEMAND' },
      RetentionPeriodHours: 24,
      StreamCreationTimestamp: new Date(T0 - 86_400_000),
      EnhancedMonitoring: [{ ShardLevelMetrics: [] }],
      OpenShardCount: 4,
      ConsumerCount: 0,
      ...encryption,
      ...overrides,
    },
  };
}
