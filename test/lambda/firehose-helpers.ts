/**
 * Fixtures for the Firehose handler tests: properties, events and stream
 * descriptions of a `Custom::DeliveryStreamEncryption`.
 */
import { DeliveryStreamDescription, DeliveryStreamEncryptionConfiguration, DescribeDeliveryStreamOutput } from '@aws-sdk/client-firehose';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { eventBuilders, KEY_ARN } from './helpers';
import { DeliveryStreamEncryptionResourceProperties, encodeDeliveryStreamEncryptionProperties } from '../../src/private/contract';

/** Typed properties with defaults: stream `orders`, customer managed key {@link KEY_ARN}. */
export function properties(overrides: Partial<DeliveryStreamEncryptionResourceProperties> = {}): Record<string, string> {
  return encodeDeliveryStreamEncryptionProperties({
    StreamKind: 'firehose',
    DeliveryStreamName: 'orders',
    KeyType: 'CUSTOMER_MANAGED_CMK',
    KeyArn: KEY_ARN,
    TimeoutSeconds: '600',
    SettleSeconds: '5',
    RemovalPolicy: 'destroy',
    ...overrides,
  });
}

/** Properties of an AWS owned key (no KeyArn). */
export function awsOwnedProperties(overrides: Partial<DeliveryStreamEncryptionResourceProperties> = {}): Record<string, string> {
  const props = properties({ KeyType: 'AWS_OWNED_CMK', ...overrides });
  delete props.KeyArn;
  return props;
}

/** Events of the delivery stream encryption `OrdersSse`. */
const ORDERS_EVENTS = eventBuilders({
  logicalId: 'OrdersSse',
  resourceType: 'Custom::DeliveryStreamEncryption',
  requestId: '6f6d0c1e-7f00-4a5b-9a5e-000000000001',
  physicalId: 'firehose:orders',
  properties,
});

/** A Create event. */
export function createEvent(props: Record<string, unknown> = properties()): CloudFormationCustomResourceEvent {
  return ORDERS_EVENTS.create(props);
}

/** An Update event. */
export function updateEvent(
  props: Record<string, unknown>,
  oldProps: Record<string, unknown>,
  physicalResourceId = 'firehose:orders',
): CloudFormationCustomResourceEvent {
  return ORDERS_EVENTS.update(props, oldProps, physicalResourceId);
}

/** A Delete event. */
export function deleteEvent(props: Record<string, unknown> = properties(), physicalResourceId = 'firehose:orders'): CloudFormationCustomResourceEvent {
  return ORDERS_EVENTS.delete(props, physicalResourceId);
}

/** Encryption configurations by status. */
export const enc = {
  /** Encryption off. */
  disabled: (): DeliveryStreamEncryptionConfiguration => ({ Status: 'DISABLED' }),
  /** Encryption on with a customer managed key. */
  enabled: (keyArn = KEY_ARN): DeliveryStreamEncryptionConfiguration => ({ Status: 'ENABLED', KeyType: 'CUSTOMER_MANAGED_CMK', KeyARN: keyArn }),
  /** Encryption on with the AWS owned key. */
  awsOwned: (): DeliveryStreamEncryptionConfiguration => ({ Status: 'ENABLED', KeyType: 'AWS_OWNED_CMK' }),
  /** Encryption being turned on. */
  enabling: (keyArn = KEY_ARN): DeliveryStreamEncryptionConfiguration => ({ Status: 'ENABLING', KeyType: 'CUSTOMER_MANAGED_CMK', KeyARN: keyArn }),
  /** Encryption being turned off. */
  disabling: (keyArn = KEY_ARN): DeliveryStreamEncryptionConfiguration => ({ Status: 'DISABLING', KeyType: 'CUSTOMER_MANAGED_CMK', KeyARN: keyArn }),
  /** Turning encryption on failed. */
  enablingFailed: (details = 'Access denied to the KMS key'): DeliveryStreamEncryptionConfiguration => ({
    Status: 'ENABLING_FAILED',
    KeyType: 'CUSTOMER_MANAGED_CMK',
    KeyARN: KEY_ARN,
    FailureDescription: { Type: 'KMS_ACCESS_DENIED', Details: details },
  }),
  /** Turning encryption off failed. */
  disablingFailed: (details = 'The KMS key is disabled'): DeliveryStreamEncryptionConfiguration => ({
    Status: 'DISABLING_FAILED',
    KeyType: 'CUSTOMER_MANAGED_CMK',
    KeyARN: KEY_ARN,
    FailureDescription: { Type: 'DISABLED_KMS_KEY', Details: details },
  }),
};

/**
 * A `DescribeDeliveryStream` output: an ACTIVE DirectPut stream named
 * `orders` with the given encryption (`null`: no configuration at all).
 */
export function described(
  encryption: DeliveryStreamEncryptionConfiguration | null,
  overrides: Partial<DeliveryStreamDescription> = {},
): DescribeDeliveryStreamOutput {
  return {
    DeliveryStreamDescription: {
      DeliveryStreamName: 'orders',
      DeliveryStreamARN: 'arn:aws:firehose:eu-west-1:123456789012:deliverystream/orders',
      DeliveryStreamStatus: 'ACTIVE',
      DeliveryStreamType: 'DirectPut',
      VersionId: '1',
      Destinations: [],
      HasMoreDestinations: false,
      ...(encryption ? { DeliveryStreamEncryptionConfiguration: encryption } : {}),
      ...overrides,
    },
  };
}
