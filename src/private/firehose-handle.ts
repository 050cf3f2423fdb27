/**
 * The encrypted delivery stream as a handle that carries its key: aws-cdk-lib's
 * `DeliveryStream.fromDeliveryStreamAttributes` takes no key (neither at the
 * version floor, 2.180.0, nor at 2.276.0), so its grants would leave a
 * producer without the KMS permissions Firehose asks of it.
 *
 * Not part of the public jsii API.
 */
import { ArnFormat, Resource, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { withKeyGrant } from './encryption-resource';

/**
 * The KMS actions a producer of a delivery stream encrypted with a customer
 * managed key needs: Firehose calls KMS with the caller's permissions on
 * `PutRecord` and `PutRecordBatch` (AWS's notice of the Firehose SSE-CMK
 * security controls: from April 20, 2026 for new streams, from February 28,
 * 2027 for every stream).
 */
export const PRODUCER_KEY_ACTIONS: readonly string[] = ['kms:GenerateDataKey', 'kms:Decrypt'];

/**
 * The condition of a producer's key permissions: only through Firehose in the
 * stack's region.
 */
export function viaFirehose(scope: Construct) {
  const stack = Stack.of(scope);
  return { StringEquals: { 'kms:ViaService': `firehose.${stack.region}.${stack.urlSuffix}` } };
}

/** `grant` and, with a customer managed key, the producer's key actions on that key through Firehose. */
export function withProducerKeyGrant(scope: Construct, grant: iam.Grant, grantee: iam.IGrantable, key: kms.IKey | undefined): iam.Grant {
  return withKeyGrant(grant, grantee, key, [...PRODUCER_KEY_ACTIONS], viaFirehose(scope));
}

/** What the handle is made of. */
export interface EncryptedDeliveryStreamProps {
  /** The stream's name, as the custom resource answers it. */
  readonly deliveryStreamName: string;
  /** The customer managed key the stream is encrypted with, if any. */
  readonly key?: kms.IKey;
}

/**
 * A delivery stream of the stack's account and region (the only ones the
 * handler encrypts a stream in), named by `deliveryStreamName`, whose
 * `grantPutRecords` includes the key. Everything else is the imported
 * stream's (a child, `Stream`).
 */
export class EncryptedDeliveryStream extends Resource implements firehose.IDeliveryStream {
  public readonly deliveryStreamName: string;
  public readonly deliveryStreamArn: string;
  public readonly grantPrincipal: iam.IPrincipal;
  public readonly connections: ec2.Connections;
  private readonly stream: firehose.IDeliveryStream;
  private readonly key?: kms.IKey;

  constructor(scope: Construct, id: string, props: EncryptedDeliveryStreamProps) {
    super(scope, id);
    this.key = props.key;
    this.stream = firehose.DeliveryStream.fromDeliveryStreamAttributes(this, 'Stream', {
      deliveryStreamName: props.deliveryStreamName,
      deliveryStreamArn: Stack.of(this).formatArn({
        service: 'firehose',
        resource: 'deliverystream',
        resourceName: props.deliveryStreamName,
        arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
      }),
    });
    this.deliveryStreamName = this.stream.deliveryStreamName;
    this.deliveryStreamArn = this.stream.deliveryStreamArn;
    this.grantPrincipal = this.stream.grantPrincipal;
    this.connections = this.stream.connections;
  }

  /**
   * The stream's reference, as aws-cdk-lib versions whose `IDeliveryStream`
   * extends `IDeliveryStreamRef` read it.
   */
  public get deliveryStreamRef(): { readonly deliveryStreamName: string; readonly deliveryStreamArn: string } {
    return { deliveryStreamName: this.deliveryStreamName, deliveryStreamArn: this.deliveryStreamArn };
  }

  /** The `actions` on the stream, as `DeliveryStream.grant`: no key actions. */
  public grant(grantee: iam.IGrantable, ...actions: string[]): iam.Grant {
    return this.stream.grant(grantee, ...actions);
  }

  /** `firehose:PutRecord` and `firehose:PutRecordBatch` on the stream, and the producer's key actions. */
  public grantPutRecords(grantee: iam.IGrantable): iam.Grant {
    return withProducerKeyGrant(this, this.stream.grantPutRecords(grantee), grantee, this.key);
  }

  public metric(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stream.metric(metricName, props);
  }

  public metricIncomingBytes(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stream.metricIncomingBytes(props);
  }

  public metricIncomingRecords(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stream.metricIncomingRecords(props);
  }

  public metricBackupToS3Bytes(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stream.metricBackupToS3Bytes(props);
  }

  public metricBackupToS3DataFreshness(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stream.metricBackupToS3DataFreshness(props);
  }

  public metricBackupToS3Records(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stream.metricBackupToS3Records(props);
  }
}
