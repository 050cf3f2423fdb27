/**
 * Amazon Kinesis data streams (`Custom::DataStreamEncryption`): the kind of
 * stream, assembled from its properties, truth table and driver.
 */
import {
  changeDataStream,
  dataStreamClients,
  dataStreamFailure,
  DataStreamTypes,
  decideNext,
  describeDataStream,
  readDataStreamOwner,
  writeDataStreamOwner,
} from './driver';
import { parseDataStreamProperties, usableDataStreamName } from './properties';
import { DataStreamObservation, INITIAL_DATA_STREAM_MEMORY, priorOfDataStream, restoreDataStream, summarizeDataStream } from './truth-table';
import { DATA_STREAM_FUNCTIONAL_PROPERTIES, DataStreamEncryptionResponseData, kinesisPhysicalId } from '../../../src/private/contract';
import type { StreamService } from '../../core/stream-service';

/** Attributes of a data stream when nothing is known. */
const NO_DATA: DataStreamEncryptionResponseData = { StreamName: '', StreamArn: '', EncryptionType: '', KeyId: '', StreamStatus: '' };

/** The attributes of the last reading of a data stream. */
function dataOf(observation: DataStreamObservation | undefined): DataStreamEncryptionResponseData {
  return observation?.found
    ? { ...NO_DATA, EncryptionType: observation.encryptionType_ ?? 'NONE', KeyId: observation.keyId_ ?? '', StreamStatus: observation.streamStatus_ }
    : NO_DATA;
}

/** The state of a reading of an existing stream, for a deadline reason. */
function state(observation: DataStreamObservation): string | undefined {
  if (!observation.found) {
    return undefined;
  }
  if (observation.streamStatus_ !== 'ACTIVE') {
    return observation.streamStatus_;
  }
  return observation.encryptionType_ === 'KMS' ? `ACTIVE with KMS key ${observation.keyId_ ?? '?'}` : 'ACTIVE without encryption';
}

/** Kinesis data streams. */
export const DATA_STREAMS: StreamService<DataStreamTypes> = {
  label: 'Data stream',
  noData: NO_DATA,
  functionalProperties: DATA_STREAM_FUNCTIONAL_PROPERTIES,
  timedOut: 'DATA_STREAM_TIMED_OUT',
  initialMemory: INITIAL_DATA_STREAM_MEMORY,
  usableStreamName: usableDataStreamName,
  physicalId: kinesisPhysicalId,
  parseProperties: parseDataStreamProperties,
  goal: ({ streamName, streamArn, keyId }, requestType) =>
    requestType === 'Delete' ? { kind: 'decrypt', streamName, streamArn } : { kind: 'encrypt', streamName, streamArn, keyId },
  restoreGoal: restoreDataStream,
  priorOf: priorOfDataStream,
  wanted: (props) => ({ StreamName: props.streamName, StreamArn: props.streamArn, EncryptionType: 'KMS', KeyId: props.keyId, StreamStatus: 'ACTIVE' }),
  dataOf,
  decryptedData: (observation) => ({ ...dataOf(observation), KeyId: '' }),
  clients: dataStreamClients,
  describe: describeDataStream,
  decide: decideNext,
  change: changeDataStream,
  summarize: summarizeDataStream,
  state,
  failureFor: dataStreamFailure,
  taggable: (observation) => observation.found && observation.streamStatus_ === 'ACTIVE',
  readOwner: readDataStreamOwner,
  writeOwner: writeDataStreamOwner,
};
