/**
 * Amazon Data Firehose delivery streams (`Custom::DeliveryStreamEncryption`):
 * the kind of stream, assembled from its properties, truth table and driver.
 */
import {
  changeDeliveryStream,
  decideNext,
  deliveryStreamClients,
  deliveryStreamFailure,
  DeliveryStreamTypes,
  describeDeliveryStream,
  readDeliveryStreamOwner,
  writeDeliveryStreamOwner,
} from './driver';
import { parseDeliveryStreamProperties, usableDeliveryStreamName } from './properties';
import {
  DeliveryStreamObservation,
  encryptionStatus,
  INITIAL_DELIVERY_STREAM_MEMORY,
  priorOfDeliveryStream,
  restoreDeliveryStream,
  summarizeDeliveryStream,
} from './truth-table';
import { DeliveryStreamEncryptionResponseData, firehosePhysicalId, FUNCTIONAL_PROPERTIES } from '../../../src/private/contract';
import type { StreamService } from '../../core/stream-service';

/** Attributes of a delivery stream when nothing is known. */
const NO_DATA: DeliveryStreamEncryptionResponseData = { DeliveryStreamName: '', KeyType: '', KeyArn: '', EncryptionStatus: '' };

/** The attributes of the last reading of a delivery stream. */
function dataOf(observation: DeliveryStreamObservation | undefined): DeliveryStreamEncryptionResponseData {
  return observation?.found
    ? { ...NO_DATA, KeyType: observation.encryption_.keyType_ ?? '', KeyArn: observation.encryption_.keyArn_ ?? '', EncryptionStatus: encryptionStatus(observation) ?? '' }
    : NO_DATA;
}

/** Delivery streams, through Firehose. */
export const DELIVERY_STREAMS: StreamService<DeliveryStreamTypes> = {
  label: 'Delivery stream',
  noData: NO_DATA,
  functionalProperties: FUNCTIONAL_PROPERTIES,
  timedOut: 'TIMED_OUT',
  initialMemory: INITIAL_DELIVERY_STREAM_MEMORY,
  usableStreamName: usableDeliveryStreamName,
  physicalId: firehosePhysicalId,
  parseProperties: parseDeliveryStreamProperties,
  goal: ({ streamName, keyType, keyArn }, requestType, keptStream) =>
    requestType === 'Delete' ? { kind: 'decrypt', streamName } : { kind: 'encrypt', streamName, keyType, keyArn, ...(keptStream ? { keptStream } : {}) },
  restoreGoal: restoreDeliveryStream,
  priorOf: priorOfDeliveryStream,
  wanted: (props) => ({ DeliveryStreamName: props.streamName, KeyType: props.keyType, KeyArn: props.keyArn ?? '', EncryptionStatus: 'ENABLED' }),
  dataOf,
  decryptedData: (observation) => ({ ...NO_DATA, EncryptionStatus: dataOf(observation).EncryptionStatus }),
  clients: deliveryStreamClients,
  describe: describeDeliveryStream,
  decide: decideNext,
  change: changeDeliveryStream,
  summarize: summarizeDeliveryStream,
  state: (observation) => observation.found && observation.streamStatus_ !== 'ACTIVE' ? observation.streamStatus_ : encryptionStatus(observation),
  failureFor: deliveryStreamFailure,
  taggable: (observation) => observation.found && observation.streamStatus_ === 'ACTIVE',
  readOwner: readDeliveryStreamOwner,
  writeOwner: writeDeliveryStreamOwner,
};
