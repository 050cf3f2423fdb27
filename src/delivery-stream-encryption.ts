import { Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { KeyHealthAlarms, KeyHealthAlarmsOptions } from './key-health';
import { validationError } from './private/cdk-compat';
import {
  DELIVERY_STREAM_ATTRIBUTES,
  DELIVERY_STREAM_ENCRYPTION_RESOURCE_TYPE,
  DELIVERY_STREAM_NAME_PATTERN,
  DeliveryStreamEncryptionResourceProperties,
} from './private/contract';
import { EncryptedDeliveryStream } from './private/firehose-handle';
import { deliveryStreamGuardPermissions, deliveryStreamPermissions } from './private/firehose-permissions';
import { DEFAULT_ALARM_PERIOD, FIREHOSE_NAMESPACE, FIREHOSE_STREAM_DIMENSION } from './private/key-health-alarms';
import { NAG_SUPPRESSIONS } from './private/nag';
import { cfnResourceOf } from './private/stream-definition';
import { StreamEncryptionBase } from './private/stream-encryption-base';
import { StreamEncryptionOptions } from './stream-encryption-options';

/**
 * Properties of a `DeliveryStreamEncryption`.
 */
export interface DeliveryStreamEncryptionProps extends StreamEncryptionOptions {
  /**
   * The delivery stream to encrypt: one imported with
   * `DeliveryStream.fromDeliveryStreamName` or `fromDeliveryStreamArn`, or
   * one defined in another stack of this app.
   *
   * Its source must be Direct PUT (Firehose cannot encrypt a stream whose
   * source is a Kinesis data stream or MSK), and its own definition must not
   * configure server-side encryption. A stream this construct's own stack
   * defines is better encrypted by its own `encryption` prop (a warning,
   * `cdk-stream-encryption:streamDefinedInSameStack`, says so), and a stream
   * another stack of the app already encrypts is refused.
   */
  readonly deliveryStream: firehose.IDeliveryStream;

  /**
   * How Firehose encrypts the stream, in the words of a new
   * `firehose.DeliveryStream`'s own `encryption` prop:
   *
   * - `StreamEncryption.customerManagedKey()`: with a new customer managed,
   *   symmetric key (rotation on, an alias derived from the stream name);
   * - `StreamEncryption.customerManagedKey(key)`: with your customer
   *   managed, symmetric key, in the stream's region. Pass a key, not an
   *   alias: the handler's IAM permissions are scoped to the key's ARN;
   * - `StreamEncryption.awsOwnedKey()`: with a key AWS owns; no key is
   *   created.
   *
   * `StreamEncryption.unencrypted()` is refused at synth: to turn the
   * stream's encryption off, remove this construct while its
   * `removalPolicy` is `RemovalPolicy.DESTROY` (the default).
   *
   * @default StreamEncryption.customerManagedKey() - a new key
   */
  readonly encryption?: firehose.StreamEncryption;
}

/**
 * Turns on server-side encryption of an existing Amazon Data Firehose delivery
 * stream, and reports the deployment complete only once the stream's
 * encryption status is `ENABLED`.
 *
 * For a stream CloudFormation cannot encrypt by itself: one that already
 * exists, was imported by name, or belongs to another stack or tool. The
 * stream must use Direct PUT as its source.
 *
 * Every instance in a stack shares one handler function. When the construct
 * is removed (and `removalPolicy` is `DESTROY`), encryption is turned off and
 * the deletion completes once the stream reports `DISABLED`.
 *
 * @example
 * const stream = firehose.DeliveryStream.fromDeliveryStreamName(this, 'Orders', 'orders');
 * const sse = new DeliveryStreamEncryption(this, 'OrdersSse', { deliveryStream: stream });
 * sse.encryptedDeliveryStream.grantPutRecords(producerRole);
 */
export class DeliveryStreamEncryption extends StreamEncryptionBase {
  /**
   * The delivery stream, as a handle that carries the key it is encrypted
   * with and whose name and ARN come from this construct's custom resource:
   * a resource that uses it (a producer's grant, a subscription or rule
   * target) is created only once the stream's encryption is `ENABLED`, and
   * removed before it is turned off.
   *
   * Its `grantPutRecords` gives the producer actions on the stream and,
   * with a customer managed key, `kms:GenerateDataKey` and `kms:Decrypt` on
   * the key, usable only through Firehose (condition `kms:ViaService`):
   * Firehose makes those KMS calls with the permissions of the caller of
   * `PutRecord` and `PutRecordBatch` on a stream encrypted with a customer
   * managed key (AWS's notice of the Firehose SSE-CMK security controls: for
   * new streams from April 20, 2026, for every stream from February 28,
   * 2027), which aws-cdk-lib's `DeliveryStream.grantPutRecords` does not
   * grant. Its `grant` gives the actions on the stream only, as
   * `DeliveryStream.grant`. Its `grantPrincipal` is unknown, as for any
   * delivery stream imported by name.
   */
  public readonly encryptedDeliveryStream: firehose.IDeliveryStream;

  /**
   * The handler's log group: one per stack, shared by every stream
   * encryption of the stack (see `StreamEncryptionHandler`). Every `FAILED`
   * reason the handler gives names it.
   */
  public declare readonly handlerLogGroup: logs.ILogGroup;

  /**
   * The stream's encryption status once the deployment of this construct
   * succeeded: `ENABLED`.
   *
   * @attribute
   */
  public readonly encryptionStatus: string;

  /**
   * The key type the stream is encrypted with, as Firehose names it:
   * `CUSTOMER_MANAGED_CMK` or `AWS_OWNED_CMK`.
   *
   * @attribute
   */
  public readonly keyTypeInForce: string;

  /**
   * The ARN of the customer managed key the stream is encrypted with; an
   * empty string with an AWS owned key.
   *
   * @attribute
   */
  public readonly keyArnInForce: string;

  /** The stream's name, for its metrics. */
  private readonly streamName: string;

  constructor(scope: Construct, id: string, props: DeliveryStreamEncryptionProps) {
    const stream = props.deliveryStream;
    const encryption = props.encryption ?? firehose.StreamEncryption.customerManagedKey();
    const awsOwned = encryption.type === firehose.StreamEncryptionType.AWS_OWNED;
    const definedStream = cfnDeliveryStreamOf(stream);
    super(scope, id, {
      props,
      kind: 'firehose',
      service: 'Firehose',
      stream,
      streamProp: 'deliveryStream',
      streamName: stream.deliveryStreamName,
      streamArn: stream.deliveryStreamArn,
      definedStream,
      declaredName: definedStream?.deliveryStreamName,
      streamType: 'AWS::KinesisFirehose::DeliveryStream',
      arnFormat: { service: 'firehose', resource: 'deliverystream' },
      nameRule: {
        pattern: DELIVERY_STREAM_NAME_PATTERN,
        rule: "a delivery stream name is 1 to 64 characters of letters, digits, '_', '.' and '-'",
        fix: 'Import the stream by its exact name.',
      },
      serviceKey: awsOwned ? 'encryption is StreamEncryption.awsOwnedKey(), which uses a key owned by AWS' : undefined,
      givenKey: awsOwned ? undefined : encryption.encryptionKey,
      givenKeyProp: 'a key in encryption (StreamEncryption.customerManagedKey(key))',
      aliasPrefix: 'alias/firehose-sse/',
      resourceType: DELIVERY_STREAM_ENCRYPTION_RESOURCE_TYPE,
      ownEncryption: 'new firehose.DeliveryStream(this, id, { ..., encryption: firehose.StreamEncryption.customerManagedKey(key) })',
      nagRules: NAG_SUPPRESSIONS.encryptedDeliveryStream,
      validate: (self) => {
        validateEncryption(self, encryption);
        validateStreamDefinition(self, stream);
      },
      permissions: deliveryStreamPermissions,
      guardPermissions: deliveryStreamGuardPermissions,
      properties: (key) => ({
        DeliveryStreamName: stream.deliveryStreamName,
        KeyType: key ? 'CUSTOMER_MANAGED_CMK' : 'AWS_OWNED_CMK',
        KeyArn: key?.keyArn,
      } satisfies Partial<DeliveryStreamEncryptionResourceProperties>),
      kmsErrorMetric: (self, metricName, metricProps) => kmsErrorMetric(self, stream.deliveryStreamName, metricName, metricProps),
      streamNoun: 'Firehose delivery stream',
    });
    this.streamName = stream.deliveryStreamName;

    this.encryptionStatus = this.resource.getAttString(DELIVERY_STREAM_ATTRIBUTES.EncryptionStatus);
    this.keyTypeInForce = this.resource.getAttString(DELIVERY_STREAM_ATTRIBUTES.KeyType);
    this.keyArnInForce = this.resource.getAttString(DELIVERY_STREAM_ATTRIBUTES.KeyArn);
    this.encryptedDeliveryStream = new EncryptedDeliveryStream(this, 'EncryptedDeliveryStream', {
      deliveryStreamName: this.resource.getAttString(DELIVERY_STREAM_ATTRIBUTES.DeliveryStreamName),
      key: this.encryptionKey,
    });
  }

  /**
   * Adds what tells when the stream's key stops working, to an SNS topic:
   *
   * - for a delivery stream, one CloudWatch alarm per Firehose KMS error
   *   metric (`KMSKeyAccessDenied`, `KMSKeyDisabled`, `KMSKeyInvalidState`,
   *   `KMSKeyNotFound`): ALARM when a period counts one error or more, OK
   *   after a period without any (missing data is not breaching), notifying
   *   the topic both ways. Firehose refuses records it cannot encrypt and
   *   keeps buffered records it cannot decrypt for up to 24 hours, then
   *   drops them. Kinesis Data Streams publishes no KMS error metric, so a
   *   data stream gets no alarm (`alarms` is empty).
   * - with a customer managed key, an EventBridge rule on the CloudTrail
   *   management events `DisableKey` and `ScheduleKeyDeletion` of that key
   *   (successful calls by anyone): it fires at the call, before any record
   *   fails. EventBridge receives these events only where a CloudTrail trail
   *   with logging enabled records the account's management events in the
   *   stack's region. With a key AWS owns or manages there is no rule
   *   (nobody in the account can disable it or schedule its deletion); a
   *   data stream with `StreamEncryption.MANAGED` thus has nothing to
   *   watch, and the construct warns.
   *
   * Opt-in, as a method rather than a prop, like the alarms of aws-cdk-lib
   * L2s (`metric.createAlarm`): each alarm costs a CloudWatch alarm fee.
   * Call it once per construct.
   *
   * @default - the stack's encrypted alert topic, 5-minute periods
   */
  public override addKeyHealthAlarms(options?: KeyHealthAlarmsOptions): KeyHealthAlarms {
    // declared here too, so that tools that resolve a member by its declaring
    // class (jsii-rosetta) find it in the assembly: the base class is hidden
    return super.addKeyHealthAlarms(options);
  }

  /**
   * The number of times Firehose met a `KMSAccessDeniedException` for the
   * stream: it may no longer use the stream's customer managed key (the key
   * policy, a grant, or an SCP denies it).
   *
   * @default - the Sum over 5 minutes
   */
  public metricKmsKeyAccessDenied(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.kmsErrorMetric('KMSKeyAccessDenied', props);
  }

  /**
   * The number of times Firehose met a `KMSDisabledException` for the
   * stream: its customer managed key is disabled.
   *
   * @default - the Sum over 5 minutes
   */
  public metricKmsKeyDisabled(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.kmsErrorMetric('KMSKeyDisabled', props);
  }

  /**
   * The number of times Firehose met a `KMSInvalidStateException` for the
   * stream: its customer managed key is in a state that cannot be used,
   * such as pending deletion.
   *
   * @default - the Sum over 5 minutes
   */
  public metricKmsKeyInvalidState(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.kmsErrorMetric('KMSKeyInvalidState', props);
  }

  /**
   * The number of times Firehose met a `KMSNotFoundException` for the
   * stream: its customer managed key no longer exists.
   *
   * @default - the Sum over 5 minutes
   */
  public metricKmsKeyNotFound(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.kmsErrorMetric('KMSKeyNotFound', props);
  }

  /** One of Firehose's KMS error metrics of the stream. */
  private kmsErrorMetric(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return kmsErrorMetric(this, this.streamName, metricName, props);
  }
}

/**
 * A KMS error metric of the delivery stream `streamName` in Firehose's
 * namespace (`AWS/Firehose`, dimension `DeliveryStreamName`): by default
 * the Sum over 5 minutes.
 */
function kmsErrorMetric(scope: Construct, streamName: string, metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: FIREHOSE_NAMESPACE,
    metricName,
    dimensionsMap: { [FIREHOSE_STREAM_DIMENSION]: streamName },
    statistic: cloudwatch.Stats.SUM,
    period: DEFAULT_ALARM_PERIOD,
    ...props,
  }).attachTo(scope);
}

/**
 * Only a customer managed key or an AWS owned key: this construct turns
 * encryption on, and turning it off is removing the construct.
 */
function validateEncryption(scope: Construct, encryption: firehose.StreamEncryption): void {
  const type = encryption.type;
  if (type === firehose.StreamEncryptionType.CUSTOMER_MANAGED || type === firehose.StreamEncryptionType.AWS_OWNED) {
    return;
  }
  const given = type === firehose.StreamEncryptionType.UNENCRYPTED ? 'StreamEncryption.unencrypted()' : `a StreamEncryption of type ${String(type)}`;
  throw validationError(
    scope,
    `${scope.node.path}: encryption is ${given}, but a DeliveryStreamEncryption only turns server-side encryption on. To turn the stream's encryption off, remove this construct while its removalPolicy is RemovalPolicy.DESTROY (the default): its deletion turns encryption off. To keep it on, pass StreamEncryption.customerManagedKey() or StreamEncryption.awsOwnedKey().`,
  );
}

/** The L1 resource of a delivery stream defined in this app, if any. */
function cfnDeliveryStreamOf(stream: firehose.IDeliveryStream): firehose.CfnDeliveryStream | undefined {
  return cfnResourceOf(stream, 'AWS::KinesisFirehose::DeliveryStream');
}

function validateStreamDefinition(scope: Construct, stream: firehose.IDeliveryStream): void {
  const cfn = cfnDeliveryStreamOf(stream);
  if (!cfn) {
    return; // imported: the handler checks the source at deploy time
  }
  const type = cfn.deliveryStreamType;
  const kinesisSource = cfn.kinesisStreamSourceConfiguration !== undefined;
  if (kinesisSource || (type !== undefined && !Token.isUnresolved(type) && type !== 'DirectPut')) {
    throw validationError(
      scope,
      `${scope.node.path}: deliveryStream ${stream.node.path} reads from ${kinesisSource ? 'a Kinesis data stream' : type}, and Firehose can only encrypt a Direct PUT stream; encrypt the source instead (for a Kinesis data stream, use its own encryption), or use a Direct PUT delivery stream.`,
    );
  }
  if (cfn.deliveryStreamEncryptionConfigurationInput !== undefined) {
    throw validationError(
      scope,
      `${scope.node.path}: deliveryStream ${stream.node.path} already configures server-side encryption in its own CloudFormation (its \`encryption\` prop); remove that setting, or drop this DeliveryStreamEncryption and let CloudFormation encrypt the stream.`,
    );
  }
}
