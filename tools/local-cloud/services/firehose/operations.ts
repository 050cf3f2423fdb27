/**
 * The wire operations of the Firehose service (`Firehose_20150804.*`): input shapes, resource
 * members and built-in rate limits, each handled by the {@link FirehoseBackend}.
 *
 * @module
 */

import { ServiceModule } from '../../router';
import { wireOperation } from '../operation';
import { firehoseAuthorization } from './authorization';
import { FirehoseBackend } from './backend';
import {
  Firehose,
  ListTagsForDeliveryStreamInput,
  PutRecordInput,
  StartDeliveryStreamEncryptionInput,
  StreamNameInput,
  TagDeliveryStreamInput,
  UntagDeliveryStreamInput,
} from './shapes';

/**
 * The Firehose service module (`Firehose_20150804.*`) over a {@link FirehoseBackend}.
 *
 * Built-in rate limits per account: `DescribeDeliveryStream` 10/s, `StartDeliveryStreamEncryption`,
 * `StopDeliveryStreamEncryption`, `TagDeliveryStream`, `UntagDeliveryStream` and
 * `ListTagsForDeliveryStream` 5/s each (the tag operations' documented rate); `PutRecord` the
 * generous default. The operations are those the handler calls, and `PutRecord` for the data plane;
 * creating, deleting and listing streams is the control API's.
 */
export function firehoseService(backend: FirehoseBackend): ServiceModule {
  const byName = { resourceMember: 'DeliveryStreamName' };
  const byNameAt = (ratePerSecond: number) => ({ ...byName, ratePerSecond });
  return {
    id: 'firehose',
    targetPrefix: 'Firehose_20150804',
    validationErrorName: 'InvalidArgumentException',
    authorization: firehoseAuthorization(backend.keys),
    operations: {
      DescribeDeliveryStream: wireOperation<StreamNameInput>(
        Firehose.DescribeDeliveryStreamInput, byNameAt(10), (i, c) => backend.describeDeliveryStream(i, c)),
      StartDeliveryStreamEncryption: wireOperation<StartDeliveryStreamEncryptionInput>(
        Firehose.StartDeliveryStreamEncryptionInput, byNameAt(5), (i, c) => backend.startDeliveryStreamEncryption(i, c)),
      PutRecord: wireOperation<PutRecordInput>(Firehose.PutRecordInput, byName, (i, c) => backend.putRecord(i, c)),
      StopDeliveryStreamEncryption: wireOperation<StreamNameInput>(
        Firehose.StopDeliveryStreamEncryptionInput, byNameAt(5), (i, c) => backend.stopDeliveryStreamEncryption(i, c)),
      TagDeliveryStream: wireOperation<TagDeliveryStreamInput>(
        Firehose.TagDeliveryStreamInput, byNameAt(5), (i, c) => backend.tagDeliveryStream(i, c)),
      UntagDeliveryStream: wireOperation<UntagDeliveryStreamInput>(
        Firehose.UntagDeliveryStreamInput, byNameAt(5), (i, c) => backend.untagDeliveryStream(i, c)),
      ListTagsForDeliveryStream: wireOperation<ListTagsForDeliveryStreamInput>(
        Firehose.ListTagsForDeliveryStreamInput, byNameAt(5), (i, c) => backend.listTagsForDeliveryStream(i, c)),
    },
  };
}
