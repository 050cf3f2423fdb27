/**
 * The wire operations of the Kinesis service (`Kinesis_20131202.*`): input shapes, how each call
 * names its stream, and built-in rate limits, each handled by the {@link KinesisBackend}.
 *
 * @module
 */

import { ServiceModule } from '../../router';
import { wireOperation } from '../operation';
import { kinesisAuthorization } from './authorization';
import { KinesisBackend } from './backend';
import { KinesisErrors } from './errors';
import {
  AddTagsToStreamInput,
  CreateStreamInput,
  DescribeStreamInput,
  Kinesis,
  ListTagsForStreamInput,
  RemoveTagsFromStreamInput,
  StreamEncryptionInput,
  streamNameOf,
  StreamReference,
} from './shapes';

/**
 * The Kinesis service module (`Kinesis_20131202.*`) over a {@link KinesisBackend}.
 *
 * Built-in rate limits per account: `DescribeStreamSummary` 20/s, `DescribeStream` 10/s,
 * `CreateStream`, `DeleteStream`, `AddTagsToStream`, `RemoveTagsFromStream` and
 * `ListTagsForStream` 5/s (the Kinesis quotas); `StartStreamEncryption` and `StopStreamEncryption`
 * 5/s (assumed; Kinesis documents no rate for them). A call over its rate is answered
 * `LimitExceededException`, as Kinesis answers it.
 */
export function kinesisService(backend: KinesisBackend): ServiceModule {
  const at = (ratePerSecond: number) => ({ resourceOf: streamNameOf, ratePerSecond });
  return {
    id: 'kinesis',
    targetPrefix: 'Kinesis_20131202',
    validationErrorName: 'ValidationException',
    authorization: kinesisAuthorization(backend.keys),
    throttlingError: (operationName, resource, context) => KinesisErrors.rateExceeded(operationName, resource, context.accountId),
    operations: {
      CreateStream: wireOperation<CreateStreamInput>(
        Kinesis.CreateStreamInput, { resourceMember: 'StreamName', ratePerSecond: 5 }, (i, c) => backend.createStream(i, c)),
      DescribeStreamSummary: wireOperation<StreamReference>(
        Kinesis.DescribeStreamSummaryInput, at(20), (i, c) => backend.describeStreamSummary(i, c)),
      DescribeStream: wireOperation<DescribeStreamInput>(Kinesis.DescribeStreamInput, at(10), (i, c) => backend.describeStream(i, c)),
      DeleteStream: wireOperation<StreamReference>(Kinesis.DeleteStreamInput, at(5), (i, c) => backend.deleteStream(i, c)),
      StartStreamEncryption: wireOperation<StreamEncryptionInput>(
        Kinesis.StreamEncryptionInput, at(5), (i, c) => backend.startStreamEncryption(i, c)),
      StopStreamEncryption: wireOperation<StreamEncryptionInput>(Kinesis.StreamEncryptionInput, at(5), (i, c) => backend.stopStreamEncryption(i, c)),
      AddTagsToStream: wireOperation<AddTagsToStreamInput>(Kinesis.AddTagsToStreamInput, at(5), (i, c) => backend.addTagsToStream(i, c)),
      RemoveTagsFromStream: wireOperation<RemoveTagsFromStreamInput>(
        Kinesis.RemoveTagsFromStreamInput, at(5), (i, c) => backend.removeTagsFromStream(i, c)),
      ListTagsForStream: wireOperation<ListTagsForStreamInput>(Kinesis.ListTagsForStreamInput, at(5), (i, c) => backend.listTagsForStream(i, c)),
    },
  };
}
