/**
 * The encrypted data stream as a handle whose grants include the key, scoped
 * to Kinesis: aws-cdk-lib's `Stream.fromStreamAttributes` with an
 * `encryptionKey` grants the key actions on any request (`grantRead` gives
 * `kms:Decrypt`; `grantWrite` also `kms:Encrypt`, `kms:ReEncrypt*` and
 * `kms:GenerateDataKey*`), where a producer or consumer needs one action each,
 * only through Kinesis.
 *
 * Not part of the public jsii API.
 */
import { Resource } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { withKeyGrant } from './encryption-resource';
import { viaKinesisFor } from './kinesis-permissions';

/**
 * The KMS action a consumer of a data stream encrypted with a customer
 * managed key needs (Kinesis Data Streams Developer Guide, "Permissions to
 * use user-generated KMS keys").
 */
export const CONSUMER_KEY_ACTIONS: readonly string[] = ['kms:Decrypt'];

/** The KMS action a producer needs (same page). */
export const PRODUCER_KEY_ACTIONS: readonly string[] = ['kms:GenerateDataKey'];

/** What the handle is made of. */
export interface EncryptedDataStreamProps {
  /** The stream's ARN, as the custom resource answers it. */
  readonly streamArn: string;
  /** The customer managed key the stream is encrypted with, if any. */
  readonly key?: kms.IKey;
}

/**
 * A data stream named by `streamArn` whose `grantRead`, `grantWrite` and
 * `grantReadWrite` give the stream's actions (as aws-cdk-lib's) and, with a
 * customer managed key, only the key action each role needs, usable only
 * through Kinesis in the stream's region for this one stream (conditions
 * `kms:ViaService` and `kms:EncryptionContext:aws:kinesis:arn`). Everything
 * else is the imported stream's (a child, `Stream`, imported without its key
 * so that its grants add no key action of their own).
 */
export class EncryptedDataStream extends Resource implements kinesis.IStream {
  public readonly streamArn: string;
  public readonly streamName: string;
  public readonly encryptionKey?: kms.IKey;
  private readonly stream: kinesis.IStream;

  constructor(scope: Construct, id: string, props: EncryptedDataStreamProps) {
    super(scope, id);
    this.encryptionKey = props.key;
    this.stream = kinesis.Stream.fromStreamAttributes(this, 'Stream', { streamArn: props.streamArn });
    this.streamArn = this.stream.streamArn;
    this.streamName = this.stream.streamName;
  }

  /**
   * The stream's reference, as aws-cdk-lib versions whose `IStream` extends
   * `IStreamRef` read it.
   */
  public get streamRef(): { readonly streamName: string; readonly streamArn: string } {
    return { streamName: this.streamName, streamArn: this.streamArn };
  }

  /** A no-op, as for any imported stream: the stream's resource policy is not this stack's. */
  public addToResourcePolicy(statement: iam.PolicyStatement): iam.AddToResourcePolicyResult {
    return this.stream.addToResourcePolicy(statement);
  }

  /** The stream's read actions and, with a customer managed key, `kms:Decrypt` through Kinesis. */
  public grantRead(grantee: iam.IGrantable): iam.Grant {
    return this.withKey(this.stream.grantRead(grantee), grantee, CONSUMER_KEY_ACTIONS);
  }

  /** The stream's write actions and, with a customer managed key, `kms:GenerateDataKey` through Kinesis. */
  public grantWrite(grantee: iam.IGrantable): iam.Grant {
    return this.withKey(this.stream.grantWrite(grantee), grantee, PRODUCER_KEY_ACTIONS);
  }

  /** Both, with both key actions. */
  public grantReadWrite(grantee: iam.IGrantable): iam.Grant {
    return this.withKey(this.stream.grantReadWrite(grantee), grantee, [...CONSUMER_KEY_ACTIONS, ...PRODUCER_KEY_ACTIONS]);
  }

  /** The `actions` on the stream, as `Stream.grant`: no key actions. */
  public grant(grantee: iam.IGrantable, ...actions: string[]): iam.Grant {
    return this.stream.grant(grantee, ...actions);
  }

  public metric(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stream.metric(metricName, props);
  }

  public metricGetRecordsBytes(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stream.metricGetRecordsBytes(props);
  }

  public metricGetRecordsIteratorAgeMilliseconds(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stream.metricGetRecordsIteratorAgeMilliseconds(props);
  }

  public metricGetRecordsLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stream.metricGetRecordsLatency(props);
  }

  public metricGetRecords(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stream.metricGetRecords(props);
  }

  public metricGetRecordsSuccess(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stream.metricGetRecordsSuccess(props);
  }

  public metricIncomingBytes(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stream.metricIncomingBytes(props);
  }

  public metricIncomingRecords(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stream.metricIncomingRecords(props);
  }

  public metricPutRecordBytes(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stream.metricPutRecordBytes(props);
  }

  public metricPutRecordLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stream.metricPutRecordLatency(props);
  }

  public metricPutRecordSuccess(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stream.metricPutRecordSuccess(props);
  }

  public metricPutRecordsBytes(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stream.metricPutRecordsBytes(props);
  }

  public metricPutRecordsLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stream.metricPutRecordsLatency(props);
  }

  public metricPutRecordsSuccess(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stream.metricPutRecordsSuccess(props);
  }

  public metricPutRecordsTotalRecords(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stream.metricPutRecordsTotalRecords(props);
  }

  public metricPutRecordsSuccessfulRecords(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stream.metricPutRecordsSuccessfulRecords(props);
  }

  public metricPutRecordsFailedRecords(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stream.metricPutRecordsFailedRecords(props);
  }

  public metricPutRecordsThrottledRecords(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stream.metricPutRecordsThrottledRecords(props);
  }

  public metricReadProvisionedThroughputExceeded(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stream.metricReadProvisionedThroughputExceeded(props);
  }

  public metricWriteProvisionedThroughputExceeded(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stream.metricWriteProvisionedThroughputExceeded(props);
  }

  /** `grant` and, with a customer managed key, `actions` on the key, through Kinesis for this stream only. */
  private withKey(grant: iam.Grant, grantee: iam.IGrantable, actions: readonly string[]): iam.Grant {
    return withKeyGrant(grant, grantee, this.encryptionKey, [...actions], viaKinesisFor(this, this.streamArn));
  }
}
