/**
 * What the handler may do to encrypt one Kinesis data stream.
 *
 * Not part of the public jsii API.
 */
import { Stack } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { REPAIRS_TAG_KEY } from './contract';
import { KEY_SIZES, HandlerPermission, PolicyConditions, ResolvedSizes } from './policy-budget';
import { OWNER_TAG_ONLY, tagKeysOnly } from './provider';

/**
 * Kinesis data streams: names of at most 128 characters
 * (`arn:aws-us-gov:kinesis:us-gov-west-1:123456789012:stream/` and the name).
 */
const DATA_STREAM_SIZES: ResolvedSizes = { name: 128, arn: 186, other: 186 };

/**
 * The conditions under which a key may be used only by Kinesis, on behalf
 * of the caller, for one stream: the service (`kms:ViaService`) and the
 * stream's encryption context (`aws:kinesis:arn`).
 */
export function viaKinesisFor(scope: IConstruct, streamArn: string): PolicyConditions {
  const stack = Stack.of(scope);
  return {
    StringEquals: {
      'kms:ViaService': `kinesis.${stack.region}.${stack.urlSuffix}`,
      'kms:EncryptionContext:aws:kinesis:arn': streamArn,
    },
  };
}

/**
 * The handler's permissions for one data stream and the customer managed key
 * it is encrypted with (none with the Kinesis managed key,
 * `alias/aws/kinesis`).
 *
 * On the stream's ARN only: `DescribeStreamSummary` (read first),
 * `ListTagsForStream` (read the owner tag before a Delete),
 * `StartStreamEncryption` and `StopStreamEncryption`; and `AddTagsToStream`
 * and `RemoveTagsFromStream` with the owner tag key only, in one statement
 * (see `OWNER_TAG_ONLY`).
 *
 * On the key, what Kinesis Data Streams needs from the caller of
 * `StartStreamEncryption`:
 *
 * - `kms:DescribeKey`, to check the key before Start (Kinesis documents it
 *   for stream administrators, too);
 * - `kms:GenerateDataKey`, only when Kinesis makes the request on the
 *   handler's behalf (`kms:ViaService`) for this one stream (encryption
 *   context `aws:kinesis:arn`): Kinesis checks that the caller may use the
 *   key, and answers `KMSAccessDeniedException` otherwise.
 */
export function dataStreamPermissions(scope: IConstruct, streamArn: string, keyArn: string | undefined): HandlerPermission[] {
  const stream: HandlerPermission = {
    actions: [
      'kinesis:DescribeStreamSummary',
      'kinesis:ListTagsForStream',
      'kinesis:StartStreamEncryption',
      'kinesis:StopStreamEncryption',
      'kinesis:AddTagsToStream',
      'kinesis:RemoveTagsFromStream',
    ],
    arn: streamArn,
    arnSizes: DATA_STREAM_SIZES,
    conditions: OWNER_TAG_ONLY,
  };
  if (keyArn === undefined) {
    return [stream];
  }
  const generateDataKey: HandlerPermission = {
    actions: ['kms:GenerateDataKey'],
    arn: keyArn,
    arnSizes: KEY_SIZES,
    conditions: viaKinesisFor(scope, streamArn),
    conditionSizes: DATA_STREAM_SIZES,
  };
  return [stream, { actions: ['kms:DescribeKey'], arn: keyArn, arnSizes: KEY_SIZES }, generateDataKey];
}

/**
 * The guard's permissions for one data stream and its key: on the stream's
 * ARN, `DescribeStreamSummary`, `ListTagsForStream` (the owner tag and the
 * day's repair count), `StartStreamEncryption`, and `AddTagsToStream` with
 * the repairs tag key only; no Stop, no tag removal. On the key, what the
 * caller of Start needs, as for the handler.
 */
export function dataStreamGuardPermissions(scope: IConstruct, streamArn: string, keyArn: string | undefined): HandlerPermission[] {
  const stream: HandlerPermission = {
    actions: [
      'kinesis:DescribeStreamSummary',
      'kinesis:ListTagsForStream',
      'kinesis:StartStreamEncryption',
      'kinesis:AddTagsToStream',
    ],
    arn: streamArn,
    arnSizes: DATA_STREAM_SIZES,
    conditions: tagKeysOnly(REPAIRS_TAG_KEY),
  };
  return [stream, ...dataStreamPermissions(scope, streamArn, keyArn).slice(1)];
}
