/**
 * The wire operations of the Kinesis service (`Kinesis_20131202.*`): input shapes, how each call
 * names its stream, and built-in rate limits, each handled by the {@link KinesisBackend}.
 *
 * @module
 */

import { JsonObject } from '../../json';
import { ServiceModule } from '../../router';
import { wireOperation } from '../operation';
import { kinesisAuthorization } from './authorization';
import { KinesisBackend } from './backend';
import { KinesisErrors } from './errors';
import {
  AddTagsToStreamInput,
  GetRecordsInput,
  GetShardIteratorInput,
  Kinesis,
  PutRecordInput,
  ListTagsForStreamInput,
  RemoveTagsFromStreamInput,
  StreamEncryptionInput,
  streamNameOf,
  StreamReference,
} from './shapes';

/** The stream a shard iterator points into (iterators of the local cloud name their stream). */
function iteratorStreamOf(body: JsonObject): string | undefined {
  if (typeof body.ShardIterator !== 'string') return undefined;
  try {
    const position = JSON.parse(Buffer.from(body.ShardIterator, 'base64').toString('utf8')) as { stream?: unknown };
    return typeof position.stream === 'string' ? position.stream : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The Kinesis service module (`Kinesis_20131202.*`) over a {@link KinesisBackend}.
 *
 * Built-in rate limits per account: `DescribeStreamSummary` 20/s, `AddTagsToStream`,
 * `RemoveTagsFromStream` and `ListTagsForStream` 5/s (the Kinesis quotas); `StartStreamEncryption`
 * and `StopStreamEncryption` 5/s (assumed; Kinesis documents no rate for them). A call over its
 * rate is answered `LimitExceededException`, as Kinesis answers it. The operations are those the
 * handler calls, and `PutRecord`, `GetShardIterator`, `GetRecords` for the data plane; creating and
 * deleting streams is the control API's.
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
      DescribeStreamSummary: wireOperation<StreamReference>(
        Kinesis.DescribeStreamSummaryInput, at(20), (i, c) => backend.describeStreamSummary(i, c)),
      StartStreamEncryption: wireOperation<StreamEncryptionInput>(
        Kinesis.StreamEncryptionInput, at(5), (i, c) => backend.startStreamEncryption(i, c)),
      StopStreamEncryption: wireOperation<StreamEncryptionInput>(Kinesis.StreamEncryptionInput, at(5), (i, c) => backend.stopStreamEncryption(i, c)),
      AddTagsToStream: wireOperation<AddTagsToStreamInput>(Kinesis.AddTagsToStreamInput, at(5), (i, c) => backend.addTagsToStream(i, c)),
      RemoveTagsFromStream: wireOperation<RemoveTagsFromStreamInput>(
        Kinesis.RemoveTagsFromStreamInput, at(5), (i, c) => backend.removeTagsFromStream(i, c)),
      ListTagsForStream: wireOperation<ListTagsForStreamInput>(Kinesis.ListTagsForStreamInput, at(5), (i, c) => backend.listTagsForStream(i, c)),
      PutRecord: wireOperation<PutRecordInput>(Kinesis.PutRecordInput, { resourceOf: streamNameOf }, (i, c) => backend.putRecord(i, c)),
      GetShardIterator: wireOperation<GetShardIteratorInput>(
        Kinesis.GetShardIteratorInput, { resourceOf: streamNameOf }, (i, c) => backend.getShardIterator(i, c)),
      GetRecords: wireOperation<GetRecordsInput>(Kinesis.GetRecordsInput, { resourceOf: iteratorStreamOf }, (i, c) => backend.getRecords(i, c)),
    },
  };
}
