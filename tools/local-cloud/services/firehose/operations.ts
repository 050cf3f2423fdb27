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
  CreateDeliveryStreamInput,
  Firehose,
  ListDeliveryStreamsInput,
  ListTagsForDeliveryStreamInput,
  PutRecordBatchInput,
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
 * `ListTagsForDeliveryStream` 5/s each (the tag operations' documented rate); the other operations
 * get the generous default.
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
      CreateDeliveryStream: wireOperation<CreateDeliveryStreamInput>(
        Firehose.CreateDeliveryStreamInput, byName, (i, c) => backend.createDeliveryStream(i, c)),
      DescribeDeliveryStream: wireOperation<StreamNameInput>(
        Firehose.DescribeDeliveryStreamInput, byNameAt(10), (i, c) => backend.describeDeliveryStream(i, c)),
      DeleteDeliveryStream: wireOperation<StreamNameInput>(Firehose.DeleteDeliveryStreamInput, byName, (i, c) => backend.deleteDeliveryStream(i, c)),
      ListDeliveryStreams: wireOperation<ListDeliveryStreamsInput>(
        Firehose.ListDeliveryStreamsInput, {}, (i, c) => backend.listDeliveryStreams(i, c)),
      StartDeliveryStreamEncryption: wireOperation<StartDeliveryStreamEncryptionInput>(
        Firehose.StartDeliveryStreamEncryptionInput, byNameAt(5), (i, c) => backend.startDeliveryStreamEncryption(i, c)),
      PutRecord: wireOperation<PutRecordInput>(Firehose.PutRecordInput, byName, (i, c) => backend.putRecord(i, c)),
      PutRecordBatch: wireOperation<PutRecordBatchInput>(Firehose.PutRecordBatchInput, byName, (i, c) => backend.putRecordBatch(i, c)),
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
