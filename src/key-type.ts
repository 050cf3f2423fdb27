/**
 * The kind of KMS key that Amazon Data Firehose uses to encrypt a delivery stream at rest.
 */
export enum DeliveryStreamKeyType {
  /**
   * A customer managed, symmetric KMS key: either one you pass as `encryptionKey`
   * or one the construct creates. Firehose creates a grant on it.
   */
  CUSTOMER_MANAGED_CMK = 'CUSTOMER_MANAGED_CMK',

  /**
   * A key owned and managed by AWS in a service account. No key is created and
   * `encryptionKey` must not be given.
   */
  AWS_OWNED_CMK = 'AWS_OWNED_CMK',
}

/**
 * The kind of KMS key that Amazon Kinesis Data Streams uses to encrypt a data stream at rest.
 */
export enum DataStreamKeyType {
  /**
   * A customer managed, symmetric KMS key: either one you pass as `encryptionKey`
   * or one the construct creates.
   */
  CUSTOMER_MANAGED = 'CUSTOMER_MANAGED',

  /**
   * The AWS managed key of Kinesis Data Streams in the stream's account and
   * region (`alias/aws/kinesis`). No key is created and `encryptionKey` must
   * not be given.
   */
  KINESIS_MANAGED = 'KINESIS_MANAGED',
}
