/**
 * The properties of a delivery stream encryption (`Custom::DeliveryStreamEncryption`),
 * validated and typed.
 */
import { DELIVERY_STREAM_NAME_PATTERN, FirehoseKeyType } from '../../../src/private/contract';
import { invalid, Lifecycle, MAX_KEY_ARN_LENGTH, oneOf, optionalString, parseBag, parseLifecycle, quote, requiredString, usableName } from '../../core/properties';

/** The validated, typed properties of a delivery stream encryption. */
export interface DeliveryStreamProperties extends Lifecycle {
  /** Name of the delivery stream. */
  readonly streamName: string;
  /** The wanted key type. */
  readonly keyType: FirehoseKeyType;
  /** The wanted key's ARN (key or alias ARN); only with `CUSTOMER_MANAGED_CMK`. */
  readonly keyArn?: string;
}

/** The ARN of a KMS key or alias, in any partition. */
export const KEY_ARN_PATTERN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)\/[a-zA-Z0-9/_+=,.@-]+$/;

/**
 * The delivery stream name in a property bag, if it is a usable name;
 * `undefined` otherwise.
 */
export function usableDeliveryStreamName(bag: unknown): string | undefined {
  return usableName(bag, 'DeliveryStreamName', DELIVERY_STREAM_NAME_PATTERN);
}

/**
 * Validate the `ResourceProperties` of a delivery stream encryption and
 * return them typed.
 *
 * @throws HandlerFailure naming the first invalid property.
 */
export function parseDeliveryStreamProperties(bag: unknown): DeliveryStreamProperties {
  return parseBag(bag, 'DeliveryStreamEncryption', 'firehose', (props) => {
    const streamName = requiredString(props, 'DeliveryStreamName');
    if (!DELIVERY_STREAM_NAME_PATTERN.test(streamName)) {
      throw invalid('DeliveryStreamName', `must be the stream's name (1 to 64 of a-z, A-Z, 0-9, _ . -; not its ARN), not '${quote(streamName)}'`);
    }
    const keyType = oneOf<FirehoseKeyType>(props, 'KeyType', ['CUSTOMER_MANAGED_CMK', 'AWS_OWNED_CMK']);
    // An empty KeyArn counts as absent, both ways.
    const keyArn = optionalString(props, 'KeyArn') || undefined;
    if (keyType === 'CUSTOMER_MANAGED_CMK' && keyArn === undefined) {
      throw invalid('KeyArn', 'is missing: KeyType CUSTOMER_MANAGED_CMK needs the key\'s ARN (or use KeyType AWS_OWNED_CMK)');
    }
    if (keyType === 'AWS_OWNED_CMK' && keyArn !== undefined) {
      throw invalid('KeyArn', `must be empty with KeyType AWS_OWNED_CMK, not '${quote(keyArn)}'`);
    }
    if (keyArn !== undefined && (keyArn.length > MAX_KEY_ARN_LENGTH || !KEY_ARN_PATTERN.test(keyArn))) {
      throw invalid('KeyArn', `must be a KMS key or alias ARN (key.keyArn), not its id or alias name: '${quote(keyArn)}'`);
    }
    return { streamName, keyType, keyArn, ...parseLifecycle(props) };
  });
}
