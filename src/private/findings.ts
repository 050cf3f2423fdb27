/**
 * What `StreamEncryptionChecks` and `StreamEncryptionFixes` find in an app: a
 * stream without server-side encryption that no construct of the library
 * encrypts.
 *
 * Not part of the public jsii API.
 */
import { CfnResource, Resource, Stack, Token } from 'aws-cdk-lib';
import type * as kinesis from 'aws-cdk-lib/aws-kinesis';
import type * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import { IConstruct } from 'constructs';
import { EncryptedStreams } from './encrypted-streams';
import { StreamArnFormat, streamIdentity } from './stream-definition';

/** The CloudFormation type of a delivery stream. */
export const DELIVERY_STREAM_TYPE = 'AWS::KinesisFirehose::DeliveryStream';
/** The CloudFormation type of a Kinesis data stream. */
export const DATA_STREAM_TYPE = 'AWS::Kinesis::Stream';

const FIREHOSE_ARN: StreamArnFormat = { service: 'firehose', resource: 'deliverystream' };
const KINESIS_ARN: StreamArnFormat = { service: 'kinesis', resource: 'stream' };

/** One stream without server-side encryption, of one of four kinds. */
export type UnencryptedStream =
  /** A Direct PUT delivery stream defined in the app, without `DeliveryStreamEncryptionConfigurationInput`. */
  | { readonly kind: 'definedDeliveryStream'; readonly resource: firehose.CfnDeliveryStream }
  /** A data stream defined in the app, without `StreamEncryption`. */
  | { readonly kind: 'definedDataStream'; readonly resource: kinesis.CfnStream }
  /** A delivery stream imported by name or ARN. */
  | { readonly kind: 'importedDeliveryStream'; readonly stream: firehose.IDeliveryStream }
  /** A data stream imported by ARN or attributes, that declares no key. */
  | { readonly kind: 'importedDataStream'; readonly stream: kinesis.IStream };

/**
 * `node`, when it is a stream without server-side encryption that no
 * `DeliveryStreamEncryption` or `DataStreamEncryption` in the app encrypts:
 *
 * - a `CfnDeliveryStream` whose source is Direct PUT (its type is not set,
 *   or `DirectPut`, and it names no Kinesis or MSK source), without
 *   `DeliveryStreamEncryptionConfigurationInput`; a type known only at
 *   deploy time is not judged;
 * - a `CfnStream` without `StreamEncryption` (a `kinesis.Stream` sets it
 *   unless its `encryption` is `UNENCRYPTED`: its default is a condition
 *   that keeps `alias/aws/kinesis` outside the China regions);
 * - a delivery stream imported by name or ARN (a resource of the
 *   `IDeliveryStream` shape without an L1 resource);
 * - a data stream imported by ARN or attributes, unless it declares its
 *   `encryptionKey` (the app then says the stream is encrypted with it).
 */
export function unencryptedStreamAt(node: IConstruct): UnencryptedStream | undefined {
  if (CfnResource.isCfnResource(node)) {
    if (node.cfnResourceType === DELIVERY_STREAM_TYPE) {
      const resource = node as firehose.CfnDeliveryStream;
      if (isDirectPut(resource) && isUnset(resource, resource.deliveryStreamEncryptionConfigurationInput)
        && !isCovered(resource, resource.attrArn, resource.deliveryStreamName, FIREHOSE_ARN)) {
        return { kind: 'definedDeliveryStream', resource };
      }
    } else if (node.cfnResourceType === DATA_STREAM_TYPE) {
      const resource = node as kinesis.CfnStream;
      if (isUnset(resource, resource.streamEncryption) && !isCovered(resource, resource.attrArn, resource.name, KINESIS_ARN)) {
        return { kind: 'definedDataStream', resource };
      }
    }
    return undefined;
  }
  if (!Resource.isResource(node) || node.node.defaultChild !== undefined || isHandedBack(node)) {
    return undefined;
  }
  const shape = node as unknown as Record<string, unknown>;
  if (isImported(shape, 'deliveryStreamArn', 'deliveryStreamName', 'grantPutRecords')) {
    const stream = node as unknown as firehose.IDeliveryStream;
    return isCovered(node, stream.deliveryStreamArn, undefined, FIREHOSE_ARN) ? undefined : { kind: 'importedDeliveryStream', stream };
  }
  if (isImported(shape, 'streamArn', 'streamName', 'grantWrite')) {
    const stream = node as unknown as kinesis.IStream;
    if (stream.encryptionKey !== undefined || isCovered(node, stream.streamArn, undefined, KINESIS_ARN)) {
      return undefined;
    }
    return { kind: 'importedDataStream', stream };
  }
  return undefined;
}

/**
 * Whether a stream handle is the one an encryption construct of this library
 * hands back (`encryptedDeliveryStream`, `encryptedStream`): that construct
 * encrypts it (and what the handle wraps), so it is neither reported nor fixed.
 */
function isHandedBack(node: IConstruct): boolean {
  // the handle itself, or a construct inside it (the import it wraps)
  return node.node.scopes.some((scope) => {
    const parent = scope.node.scope as unknown as Record<string, unknown> | undefined;
    return parent !== undefined && (parent.encryptedDeliveryStream === scope || parent.encryptedStream === scope);
  });
}

/** Whether an object has the ARN, the name and the grant method of an imported stream. */
function isImported(shape: Record<string, unknown>, arn: string, name: string, grant: string): boolean {
  return typeof shape[arn] === 'string' && typeof shape[name] === 'string' && typeof shape[grant] === 'function';
}

/** Whether a delivery stream's source is known to be Direct PUT. */
function isDirectPut(resource: firehose.CfnDeliveryStream): boolean {
  const type = resource.deliveryStreamType;
  if (resource.kinesisStreamSourceConfiguration !== undefined || resource.mskSourceConfiguration !== undefined) {
    return false;
  }
  return type === undefined || (!Token.isUnresolved(type) && type === 'DirectPut');
}

/** Whether a property resolves to nothing, as cdk-nag reads it. */
function isUnset(resource: CfnResource, value: unknown): boolean {
  return value === undefined || Stack.of(resource).resolve(value) === undefined;
}

/** Whether a construct of the library encrypts the stream, by its construct or its identity. */
function isCovered(stream: IConstruct, arn: string, declaredName: string | undefined, format: StreamArnFormat): boolean {
  const identity = streamIdentity(stream, stream, arn, declaredName, format);
  return EncryptedStreams.of(stream).claimantOf(stream, identity) !== undefined;
}
