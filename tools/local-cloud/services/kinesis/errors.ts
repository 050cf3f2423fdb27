/**
 * The errors of the Kinesis service in the local cloud, worded after Kinesis's own.
 *
 * @module
 */

import type { StreamStatus } from '@aws-sdk/client-kinesis';
import { ServiceError } from '../../errors';
import { EncryptionCallLimit, HOUR_MS } from '../stream-table';
import { MAX_TAGS_PER_STREAM } from '../tags';

/** Kinesis errors, worded after Kinesis's own. */
export const KinesisErrors = {
  notFound: (name: string, account: string) => new ServiceError('ResourceNotFoundException', `Stream ${name} under account ${account} not found.`),
  notActive: (name: string, account: string, status: StreamStatus) =>
    new ServiceError('ResourceInUseException', `Stream ${name} under account ${account} not ACTIVE, instead in state ${status}`),
  rateExceeded: (operation: string, name: string | undefined, account: string) =>
    new ServiceError('LimitExceededException', name ? `Rate exceeded for stream ${name} under account ${account}.` : `Rate exceeded for ${operation} under account ${account}.`),
  keyApplications: (name: string, account: string, limit: EncryptionCallLimit) =>
    new ServiceError(
      'LimitExceededException',
      `Stream ${name} under account ${account} has reached the limit of ${limit.calls} server-side encryption key applications in ${limit.windowMs / HOUR_MS} hours.`,
    ),
  invalidArgument: (message: string) => new ServiceError('InvalidArgumentException', message),
  tooManyTags: (name: string, account: string) =>
    new ServiceError('InvalidArgumentException', `Failed to add tags to stream ${name} under account ${account} because a given stream cannot have more than ${MAX_TAGS_PER_STREAM} tags.`),
  tagCharacters: (what: string, value: string) =>
    new ServiceError('InvalidArgumentException', `Tag ${what} ${value} may contain only Unicode letters, digits, white space and _ . / = + - % @.`),
};
