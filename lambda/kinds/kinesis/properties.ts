/**
 * The properties of a data stream encryption (`Custom::DataStreamEncryption`),
 * validated and typed.
 */
import { DATA_STREAM_NAME_PATTERN, KINESIS_MANAGED_KEY_ID } from '../../../src/private/contract';
import { invalid, Lifecycle, MAX_KEY_ARN_LENGTH, parseBag, parseLifecycle, quote, requiredString, usableName } from '../../core/properties';

/** The validated, typed properties of a data stream encryption. */
export interface DataStreamProperties extends Lifecycle {
  /** Name of the data stream. */
  readonly streamName: string;
  /** ARN of the data stream. */
  readonly streamArn: string;
  /** The wanted key: a key ARN, or `alias/aws/kinesis`. */
  readonly keyId: string;
}

/** The ARN of a KMS key (not an alias), in any partition. */
const KMS_KEY_ARN_PATTERN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[a-zA-Z0-9-]+$/;

/** The ARN of a Kinesis data stream in any partition; group 1 is its name. */
const DATA_STREAM_ARN_PATTERN = /^arn:aws[a-z-]*:kinesis:[a-z0-9-]+:\d{12}:stream\/([a-zA-Z0-9_.-]{1,128})$/;

/**
 * The data stream name in a property bag, if it is a usable name;
 * `undefined` otherwise.
 */
export function usableDataStreamName(bag: unknown): string | undefined {
  return usableName(bag, 'StreamName', DATA_STREAM_NAME_PATTERN);
}

/**
 * Validate the `ResourceProperties` of a data stream encryption and return
 * them typed.
 *
 * @throws HandlerFailure naming the first invalid property.
 */
export function parseDataStreamProperties(bag: unknown): DataStreamProperties {
  return parseBag(bag, 'DataStreamEncryption', 'kinesis', (props) => {
    const streamName = requiredString(props, 'StreamName');
    if (!DATA_STREAM_NAME_PATTERN.test(streamName)) {
      throw invalid('StreamName', `must be the stream's name (1 to 128 of a-z, A-Z, 0-9, _ . -; not its ARN), not '${quote(streamName)}'`);
    }
    const streamArn = requiredString(props, 'StreamArn');
    if (DATA_STREAM_ARN_PATTERN.exec(streamArn)?.[1] !== streamName) {
      throw invalid('StreamArn', `must be the ARN of the Kinesis data stream ${streamName}, not '${quote(streamArn)}'`);
    }
    const keyId = requiredString(props, 'KeyId');
    if (keyId !== KINESIS_MANAGED_KEY_ID && (keyId.length > MAX_KEY_ARN_LENGTH || !KMS_KEY_ARN_PATTERN.test(keyId))) {
      throw invalid('KeyId', `must be a KMS key ARN (key.keyArn) or alias/aws/kinesis, not '${quote(keyId)}'`);
    }
    return { streamName, streamArn, keyId, ...parseLifecycle(props) };
  });
}
