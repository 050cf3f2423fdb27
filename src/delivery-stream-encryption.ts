import { CustomResource, Duration, RemovalPolicy, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { KeyHealthAlarms, KeyHealthAlarmsOptions } from './key-health';
import { DeliveryStreamKeyType } from './key-type';
import { validationError } from './private/cdk-compat';
import {
  DELIVERY_STREAM_ATTRIBUTES,
  DELIVERY_STREAM_ENCRYPTION_RESOURCE_TYPE,
  DELIVERY_STREAM_NAME_PATTERN,
  encodeDeliveryStreamEncryptionProperties,
} from './private/contract';
import { addEncryptionResource, noCreatedKey, sharedProperties, streamKey } from './private/encryption-resource';
import { EncryptedDeliveryStream, withProducerKeyGrant } from './private/firehose-handle';
import { deliveryStreamGuardPermissions, deliveryStreamPermissions } from './private/firehose-permissions';
import { addKeyHealth, DEFAULT_ALARM_PERIOD, FIREHOSE_NAMESPACE, FIREHOSE_STREAM_DIMENSION } from './private/key-health-alarms';
import { NAG_SUPPRESSIONS, suppressEncryptedStreamNagRules } from './private/nag';
import { StreamEncryptionProvider } from './private/provider';
import { cfnResourceOf, keyAliasFor, literalName, streamIdentity } from './private/stream-definition';
import { validateSharedProps, validateStreamEnvironment, validateStreamName } from './private/validation';

/**
 * Properties of a `DeliveryStreamEncryption`.
 */
export interface DeliveryStreamEncryptionProps {
  /**
   * The delivery stream to encrypt: one defined in this app, or one imported
   * with `DeliveryStream.fromDeliveryStreamName` or `fromDeliveryStreamArn`.
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
   * The customer managed, symmetric KMS key to encrypt the stream with.
   *
   * Only with `keyType` `CUSTOMER_MANAGED_CMK`. Pass a key, not an alias: the
   * handler's IAM permissions are scoped to the key's ARN. The key must be in
   * the stream's region.
   *
   * @default - a new key is created with `CUSTOMER_MANAGED_CMK` (symmetric,
   * rotation enabled, an alias derived from the stream name); no key with
   * `AWS_OWNED_CMK`
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * Which kind of key Firehose encrypts the stream with.
   *
   * @default DeliveryStreamKeyType.CUSTOMER_MANAGED_CMK
   */
  readonly keyType?: DeliveryStreamKeyType;

  /**
   * How long the deployment waits for the stream to report `ENABLED` (or
   * `DISABLED` on delete) before it fails with the last status seen.
   *
   * Between 1 and 14 minutes.
   *
   * @default Duration.minutes(10)
   */
  readonly timeout?: Duration;

  /**
   * How long to wait after the stream reports `ENABLED` before the deployment
   * goes on. Firehose may leave records written in the first seconds after
   * `ENABLED` unencrypted.
   *
   * Between 0 and 60 seconds.
   *
   * @default Duration.seconds(5)
   */
  readonly settleTime?: Duration;

  /**
   * What happens to the stream's encryption when this construct is removed
   * from the stack or the stack is deleted.
   *
   * `DESTROY` turns server-side encryption off (the stream goes back to
   * `DISABLED`); `RETAIN` leaves it on. This is only the stream's
   * encryption: what becomes of a key this construct creates is
   * `keyRemovalPolicy`.
   *
   * @default RemovalPolicy.DESTROY
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * What happens to a key this construct creates when the construct is
   * removed, the stack is deleted, or the construct's key changes.
   *
   * `RETAIN` keeps the key (DeletionPolicy and UpdateReplacePolicy
   * `Retain`): Firehose buffers records and retries their delivery for up
   * to 24 hours, and needs the key they were encrypted with to deliver
   * them. A retained key costs its monthly KMS fee until you schedule its
   * deletion yourself, once nothing encrypted with it is left (see the
   * README, "Keys").
   *
   * `DESTROY` schedules the key for deletion after `keyPendingWindow`.
   *
   * Only for a key the construct creates: not with `encryptionKey` (give
   * your key its own removal policy), nor with `AWS_OWNED_CMK`.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly keyRemovalPolicy?: RemovalPolicy;

  /**
   * How long KMS waits before it deletes a created key that
   * `keyRemovalPolicy` `DESTROY` schedules for deletion; the deletion can be
   * cancelled in that window.
   *
   * Between 7 and 30 days, in whole days. Only with `keyRemovalPolicy`
   * `DESTROY`.
   *
   * @default Duration.days(30)
   */
  readonly keyPendingWindow?: Duration;

  /**
   * Whether the stack's `StreamEncryptionGuard` repairs the stream's
   * encryption when it is turned off or changed outside the stack (see the
   * README, "Drift repair"). `true` puts the stream under the stack's guard,
   * made with the defaults if the stack has none; `false` keeps it out of a
   * guard made for the whole stack.
   *
   * The guard reacts to CloudTrail management events, which EventBridge
   * receives only while a CloudTrail trail with logging enabled records
   * them.
   *
   * @default false - no repair, unless the stack has a `StreamEncryptionGuard`
   * of its own, which guards every stream encryption whose `repair` is not `false`
   */
  readonly repair?: boolean;

  /**
   * How long the handler's log group keeps its events.
   *
   * Every stream encryption of a stack shares one handler function and its
   * log group (`handlerLogGroup`): the constructs of a stack that set
   * `logRetention` must set the same value (a conflict fails at synth, naming
   * both constructs); one of them may set it for all.
   * `RetentionDays.INFINITE` warns at synth: cdk-nag's NIST 800-53 R5, HIPAA
   * and PCI DSS packs report a log group without a retention period.
   *
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * What becomes of the handler's log group, and of the key that encrypts
   * it, when the stack no longer has them (the stack is deleted, or its last
   * stream encryption is removed).
   *
   * `RETAIN` keeps both: the log is the record of what was done to the
   * streams. `DESTROY` deletes the log group and schedules its key's deletion.
   * Shared by the constructs of a stack, like `logRetention`: those that set
   * it must agree.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly logRemovalPolicy?: RemovalPolicy;
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
export class DeliveryStreamEncryption extends Construct {
  /**
   * The key the stream is encrypted with; `undefined` with `AWS_OWNED_CMK`.
   */
  public readonly encryptionKey?: kms.IKey;

  /**
   * The kind of key the stream is encrypted with.
   */
  public readonly keyType: DeliveryStreamKeyType;

  /**
   * The delivery stream to encrypt, as it was given (`deliveryStream`).
   *
   * Resources that use it may be created before its encryption is on; use
   * `encryptedDeliveryStream` for those that should wait.
   */
  public readonly deliveryStream: firehose.IDeliveryStream;

  /**
   * The same delivery stream, as a handle that carries the key it is
   * encrypted with and whose name and ARN come from this construct's custom
   * resource: a resource that uses it (a producer's grant, a subscription or
   * rule target) is created only once the stream's encryption is `ENABLED`,
   * and removed before it is turned off.
   *
   * Its `grantPutRecords` is this construct's: the producer actions on the
   * stream and, with a customer managed key, `kms:GenerateDataKey` and
   * `kms:Decrypt` on the key through Firehose. Its `grant` gives the actions
   * on the stream only, as `DeliveryStream.grant`. Its `grantPrincipal` is
   * unknown, as for any delivery stream imported by name.
   */
  public readonly encryptedDeliveryStream: firehose.IDeliveryStream;

  /**
   * The custom resource that holds the stream's encryption.
   */
  public readonly resource: CustomResource;

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
   * empty string with `AWS_OWNED_CMK`.
   *
   * @attribute
   */
  public readonly keyArnInForce: string;

  /**
   * The handler's log group: one per stack, shared by every stream
   * encryption of the stack. Every `FAILED` reason the handler gives names it.
   */
  public readonly handlerLogGroup: logs.ILogGroup;

  constructor(scope: Construct, id: string, props: DeliveryStreamEncryptionProps) {
    super(scope, id);

    this.deliveryStream = props.deliveryStream;
    this.keyType = props.keyType ?? DeliveryStreamKeyType.CUSTOMER_MANAGED_CMK;
    const serviceKeyType = this.keyType === DeliveryStreamKeyType.AWS_OWNED_CMK ? 'AWS_OWNED_CMK, which uses a key owned by AWS' : undefined;
    const settings = validateSharedProps(this, props, noCreatedKey(serviceKeyType, props.encryptionKey));
    const streamName = props.deliveryStream.deliveryStreamName;
    const name = literalStreamName(props.deliveryStream);

    validateStreamName(
      this,
      'deliveryStream',
      name,
      DELIVERY_STREAM_NAME_PATTERN,
      "a delivery stream name is 1 to 64 characters of letters, digits, '_', '.' and '-'",
      'Import the stream by its exact name.',
    );
    validateStreamDefinition(this, props.deliveryStream);
    validateStreamEnvironment(this, 'deliveryStream', props.deliveryStream.deliveryStreamArn);

    this.encryptionKey = streamKey(this, {
      serviceKeyType,
      customerKeyType: 'DeliveryStreamKeyType.CUSTOMER_MANAGED_CMK',
      givenKey: props.encryptionKey,
      service: 'Firehose',
      stream: props.deliveryStream,
      streamProp: 'deliveryStream',
      settings,
      description: `Server-side encryption of the Firehose delivery stream ${streamName} (cdk-stream-encryption)`,
      alias: keyAliasFor('alias/firehose-sse/', props.deliveryStream, name),
    });

    this.resource = addEncryptionResource(this, {
      permissions: deliveryStreamPermissions(props.deliveryStream.deliveryStreamArn, this.encryptionKey?.keyArn),
      resourceType: DELIVERY_STREAM_ENCRYPTION_RESOURCE_TYPE,
      timeoutSeconds: settings.timeoutSeconds,
      streamType: 'AWS::KinesisFirehose::DeliveryStream',
      stream: props.deliveryStream,
      streamIdentity: streamIdentity(
        this,
        props.deliveryStream,
        props.deliveryStream.deliveryStreamArn,
        cfnDeliveryStreamOf(props.deliveryStream)?.deliveryStreamName,
        { service: 'firehose', resource: 'deliverystream' },
      ),
      streamProp: 'deliveryStream',
      ownEncryption: 'new firehose.DeliveryStream(this, id, { ..., encryption: firehose.StreamEncryption.customerManagedKey(key) })',
      key: this.encryptionKey,
      guard: {
        repair: props.repair,
        kind: 'firehose',
        streamName,
        streamArn: props.deliveryStream.deliveryStreamArn,
        permissions: deliveryStreamGuardPermissions(props.deliveryStream.deliveryStreamArn, this.encryptionKey?.keyArn),
      },
      logs: { logRetention: props.logRetention, logRemovalPolicy: props.logRemovalPolicy },
      properties: encodeDeliveryStreamEncryptionProperties({
        StreamKind: 'firehose',
        DeliveryStreamName: streamName,
        KeyType: this.keyType,
        KeyArn: this.encryptionKey?.keyArn,
        ...sharedProperties(settings),
      }),
    });

    // cdk-nag's rule on the stream's own encryption holds: this construct encrypts it.
    const definedStream = cfnDeliveryStreamOf(props.deliveryStream);
    if (definedStream) {
      suppressEncryptedStreamNagRules(definedStream, NAG_SUPPRESSIONS.encryptedDeliveryStream);
    }

    this.encryptionStatus = this.resource.getAttString(DELIVERY_STREAM_ATTRIBUTES.EncryptionStatus);
    this.keyTypeInForce = this.resource.getAttString(DELIVERY_STREAM_ATTRIBUTES.KeyType);
    this.keyArnInForce = this.resource.getAttString(DELIVERY_STREAM_ATTRIBUTES.KeyArn);
    this.encryptedDeliveryStream = new EncryptedDeliveryStream(this, 'EncryptedDeliveryStream', {
      deliveryStreamName: this.resource.getAttString(DELIVERY_STREAM_ATTRIBUTES.DeliveryStreamName),
      key: this.encryptionKey,
    });
    this.handlerLogGroup = StreamEncryptionProvider.of(this).logGroup;
  }

  /**
   * Grant `grantee` the Firehose `actions` on this delivery stream's ARN, as
   * `DeliveryStream.grant` does. No key actions: for those, grant them on
   * `encryptionKey` yourself.
   */
  public grant(grantee: iam.IGrantable, ...actions: string[]): iam.Grant {
    return this.deliveryStream.grant(grantee, ...actions);
  }

  /**
   * Grant `grantee` what a producer of this stream needs:
   * `firehose:PutRecord` and `firehose:PutRecordBatch` on the stream and,
   * with a customer managed key, `kms:GenerateDataKey` and `kms:Decrypt` on
   * that key, usable only through Firehose (condition `kms:ViaService`).
   *
   * Firehose makes those KMS calls with the permissions of the caller of
   * `PutRecord` and `PutRecordBatch` on a stream encrypted with a customer
   * managed key (AWS's notice of the Firehose SSE-CMK security controls: for
   * new streams from April 20, 2026, for every stream from February 28,
   * 2027). aws-cdk-lib's `DeliveryStream.grantPutRecords` does not grant them.
   * For a grant that takes effect only once encryption is on, use
   * `encryptedDeliveryStream.grantPutRecords`.
   */
  public grantPutRecords(grantee: iam.IGrantable): iam.Grant {
    return withProducerKeyGrant(this, this.deliveryStream.grantPutRecords(grantee), grantee, this.encryptionKey);
  }

  /**
   * A CloudWatch metric of the delivery stream in Firehose's namespace
   * (`AWS/Firehose`, dimension `DeliveryStreamName`).
   *
   * @param metricName the metric's name, e.g. `KMSKeyDisabled`
   * @default - the Sum over 5 minutes
   */
  public metric(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: FIREHOSE_NAMESPACE,
      metricName,
      dimensionsMap: { [FIREHOSE_STREAM_DIMENSION]: this.deliveryStream.deliveryStreamName },
      statistic: cloudwatch.Stats.SUM,
      period: DEFAULT_ALARM_PERIOD,
      ...props,
    }).attachTo(this);
  }

  /**
   * The number of times Firehose met a `KMSAccessDeniedException` for the
   * stream: it may no longer use the stream's customer managed key (the key
   * policy, a grant, or an SCP denies it).
   *
   * @default - the Sum over 5 minutes
   */
  public metricKmsKeyAccessDenied(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('KMSKeyAccessDenied', props);
  }

  /**
   * The number of times Firehose met a `KMSDisabledException` for the
   * stream: its customer managed key is disabled.
   *
   * @default - the Sum over 5 minutes
   */
  public metricKmsKeyDisabled(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('KMSKeyDisabled', props);
  }

  /**
   * The number of times Firehose met a `KMSInvalidStateException` for the
   * stream: its customer managed key is in a state that cannot be used,
   * such as pending deletion.
   *
   * @default - the Sum over 5 minutes
   */
  public metricKmsKeyInvalidState(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('KMSKeyInvalidState', props);
  }

  /**
   * The number of times Firehose met a `KMSNotFoundException` for the
   * stream: its customer managed key no longer exists.
   *
   * @default - the Sum over 5 minutes
   */
  public metricKmsKeyNotFound(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('KMSKeyNotFound', props);
  }

  /**
   * Adds alarms that tell when the stream's key stops working, before
   * records are lost: Firehose refuses records it cannot encrypt and keeps
   * buffered records it cannot decrypt for up to 24 hours, then drops them.
   *
   * - One CloudWatch alarm per KMS error metric (`KMSKeyAccessDenied`,
   *   `KMSKeyDisabled`, `KMSKeyInvalidState`, `KMSKeyNotFound`): ALARM when
   *   a period counts one error or more, OK after a period without any
   *   (missing data is not breaching), notifying the topic both ways.
   * - With a customer managed key, an EventBridge rule on the CloudTrail
   *   management events `DisableKey` and `ScheduleKeyDeletion` of that key
   *   (successful calls by anyone), to the topic: it fires at the call,
   *   before any record fails. EventBridge receives these events only where
   *   a CloudTrail trail with logging enabled records the account's
   *   management events in the stack's region. With
   *   `AWS_OWNED_CMK` there is no rule: nobody in the account can disable
   *   a key AWS owns or schedule its deletion.
   *
   * Opt-in, as a method rather than a prop, like the alarms of aws-cdk-lib
   * L2s (`metric.createAlarm`, `addAlarm`): each alarm costs a CloudWatch
   * alarm fee. Call it once per construct.
   *
   * @default - the stack's encrypted alert topic, 5-minute periods
   */
  public addKeyHealthAlarms(options?: KeyHealthAlarmsOptions): KeyHealthAlarms {
    return addKeyHealth(this, {
      options,
      metric: (metricName, props) => this.metric(metricName, props),
      key: this.encryptionKey,
      streamLabel: `Firehose delivery stream ${this.deliveryStream.deliveryStreamName}`,
    });
  }
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

/**
 * The stream's name as written in the app, when it is known at synth time:
 * the imported name, or the `deliveryStreamName` of a stream defined here.
 */
function literalStreamName(stream: firehose.IDeliveryStream): string {
  return literalName(stream.deliveryStreamName, cfnDeliveryStreamOf(stream)?.deliveryStreamName);
}
