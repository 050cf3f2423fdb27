/**
 * The errors of the Firehose service in the local cloud, worded after Firehose's own.
 *
 * @module
 */

import type { DeliveryStreamEncryptionStatus, DeliveryStreamStatus, DeliveryStreamType } from '@aws-sdk/client-firehose';
import { ServiceError } from '../../errors';
import { EncryptionCallLimit, HOUR_MS } from '../stream-table';
import { MAX_TAGS_PER_STREAM } from '../tags';
import { KeySelection } from './shapes';

/** Firehose errors, worded after Firehose's own. */
export const FirehoseErrors = {
  notFound: (name: string, account: string) =>
    new ServiceError('ResourceNotFoundException', `Firehose stream ${name} under account ${account} not found.`),
  notActive: (name: string, account: string, status: DeliveryStreamStatus) =>
    new ServiceError('ResourceInUseException', `Firehose stream ${name} under account ${account} is in ${status} state; the operation needs it ACTIVE.`),
  changeInProgress: (name: string, status: DeliveryStreamEncryptionStatus) =>
    new ServiceError('ResourceInUseException', `Encryption of Firehose stream ${name} is ${status}; wait until it completes before starting or stopping encryption.`),
  notDirectPut: (name: string, type: DeliveryStreamType) =>
    new ServiceError(
      'InvalidArgumentException',
      `Firehose stream ${name} has DeliveryStreamType ${type}: server-side encryption can be started or stopped only on DirectPut streams.`,
    ),
  alreadyEnabled: (name: string, key: KeySelection) =>
    new ServiceError(
      'InvalidArgumentException',
      `Encryption of Firehose stream ${name} is already ENABLED with KeyType ${key.keyType}${key.keyArn ? ` and KeyARN ${key.keyArn}` : ''}.`,
    ),
  limitExceeded: (name: string, limit: EncryptionCallLimit) =>
    new ServiceError(
      'LimitExceededException',
      `Firehose stream ${name} has reached the limit of ${limit.calls} StartDeliveryStreamEncryption and StopDeliveryStreamEncryption calls in ${limit.windowMs / HOUR_MS} hours.`,
    ),
  invalidArgument: (message: string) => new ServiceError('InvalidArgumentException', message),
  tooManyTags: (name: string, count: number) =>
    new ServiceError(
      'LimitExceededException',
      `Firehose stream ${name} would have ${count} tags; a Firehose stream can have at most ${MAX_TAGS_PER_STREAM} tags.`,
    ),
  tagsNotChangeable: (name: string, account: string, status: DeliveryStreamStatus) =>
    new ServiceError('ResourceInUseException', `Firehose stream ${name} under account ${account} is in ${status} state; its tags cannot change now.`),
};
