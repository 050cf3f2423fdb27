/**
 * What the handler may do to encrypt one Firehose delivery stream.
 *
 * Not part of the public jsii API.
 */
import { IConstruct } from 'constructs';
import { REPAIRS_TAG_KEY } from './contract';
import { KEY_SIZES, HandlerPermission, ResolvedSizes } from './policy-budget';
import { OWNER_TAG_ONLY, tagKeysOnly } from './provider';

/**
 * Delivery streams: names of at most 64 characters, and ARNs in the longest
 * partition and region with such a name.
 */
const DELIVERY_STREAM_SIZES: ResolvedSizes = { name: 64, arn: 130, other: 128 };

/**
 * The handler's permissions for one delivery stream and the key it is
 * encrypted with (none with the AWS owned key).
 *
 * On the stream's ARN only: `DescribeDeliveryStream` (read first),
 * `ListTagsForDeliveryStream` (read the owner tag before a Delete),
 * `StartDeliveryStreamEncryption` and `StopDeliveryStreamEncryption`; and
 * `TagDeliveryStream` and `UntagDeliveryStream` with the owner tag key only,
 * in one statement (see `OWNER_TAG_ONLY`).
 *
 * On the key: one statement names it once for both actions the handler
 * needs to check it and let Firehose create its grant on it: `BoolIfExists`
 * makes `kms:GrantIsForAWSResource` bind `kms:CreateGrant` (a grant only for
 * an AWS service, never one the handler could use itself), while
 * `kms:DescribeKey`, whose requests carry no such key, is allowed as is.
 */
export function deliveryStreamPermissions(_scope: IConstruct, deliveryStreamArn: string, keyArn: string | undefined): HandlerPermission[] {
  const stream: HandlerPermission = {
    actions: [
      'firehose:DescribeDeliveryStream',
      'firehose:ListTagsForDeliveryStream',
      'firehose:StartDeliveryStreamEncryption',
      'firehose:StopDeliveryStreamEncryption',
      'firehose:TagDeliveryStream',
      'firehose:UntagDeliveryStream',
    ],
    arn: deliveryStreamArn,
    arnSizes: DELIVERY_STREAM_SIZES,
    conditions: OWNER_TAG_ONLY,
  };
  return keyArn === undefined ? [stream] : [stream, firehoseKeyPermission(keyArn)];
}

/** What the caller of `StartDeliveryStreamEncryption` needs on the key (see `deliveryStreamPermissions`). */
function firehoseKeyPermission(keyArn: string): HandlerPermission {
  return {
    actions: ['kms:CreateGrant', 'kms:DescribeKey'],
    arn: keyArn,
    arnSizes: KEY_SIZES,
    conditions: { BoolIfExists: { 'kms:GrantIsForAWSResource': true } },
  };
}

/**
 * The guard's permissions for one delivery stream and its key: what a
 * repair needs and nothing more. On the stream's ARN:
 * `DescribeDeliveryStream`, `ListTagsForDeliveryStream` (the owner tag and
 * the day's repair count), `StartDeliveryStreamEncryption`, and
 * `TagDeliveryStream` with the repairs tag key only (never the owner tag,
 * which is the custom resource's); no Stop, no untag. On the key, what the
 * caller of Start needs, as for the handler.
 */
export function deliveryStreamGuardPermissions(_scope: IConstruct, deliveryStreamArn: string, keyArn: string | undefined): HandlerPermission[] {
  const stream: HandlerPermission = {
    actions: [
      'firehose:DescribeDeliveryStream',
      'firehose:ListTagsForDeliveryStream',
      'firehose:StartDeliveryStreamEncryption',
      'firehose:TagDeliveryStream',
    ],
    arn: deliveryStreamArn,
    arnSizes: DELIVERY_STREAM_SIZES,
    conditions: tagKeysOnly(REPAIRS_TAG_KEY),
  };
  return keyArn === undefined ? [stream] : [stream, firehoseKeyPermission(keyArn)];
}
