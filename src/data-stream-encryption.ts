import { Annotations, RemovalPolicy } from 'aws-cdk-lib';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { KeyHealthAlarms, KeyHealthAlarmsOptions } from './key-health';
import { validationError } from './private/cdk-compat';
import {
  DATA_STREAM_ATTRIBUTES,
  DATA_STREAM_ENCRYPTION_RESOURCE_TYPE,
  DATA_STREAM_NAME_PATTERN,
  DataStreamEncryptionResourceProperties,
  KINESIS_MANAGED_KEY_ID,
} from './private/contract';
import { EncryptedDataStream } from './private/kinesis-handle';
import { dataStreamGuardPermissions, dataStreamPermissions } from './private/kinesis-permissions';
import { NAG_SUPPRESSIONS } from './private/nag';
import { cfnResourceOf } from './private/stream-definition';
import { StreamEncryptionBase } from './private/stream-encryption-base';
import { KeyRemoval } from './private/validation';
import { StreamEncryptionOptions } from './stream-encryption-options';

/**
 * Properties of a `DataStreamEncryption`.
 */
export interface DataStreamEncryptionProps extends StreamEncryptionOptions {
  /**
   * The Kinesis data stream to encrypt: one imported with
   * `Stream.fromStreamArn` or `Stream.fromStreamAttributes`, or one defined
   * in another stack of this app.
   *
   * Its own definition must not configure server-side encryption (a
   * `kinesis.Stream` defined here needs `encryption: StreamEncryption.UNENCRYPTED`,
   * because it is encrypted with `alias/aws/kinesis` by default). A stream
   * this construct's own stack defines is better encrypted by its own
   * `encryption` and `encryptionKey` props (a warning,
   * `cdk-stream-encryption:streamDefinedInSameStack`, says so), and a stream
   * another stack of the app already encrypts is refused.
   */
  readonly stream: kinesis.IStream;

  /**
   * How Kinesis Data Streams encrypts the stream, in the words of a new
   * `kinesis.Stream`'s own `encryption` prop:
   *
   * - `StreamEncryption.KMS`: with a customer managed, symmetric key:
   *   `encryptionKey`, or a new one (rotation on, an alias derived from the
   *   stream name, a key policy that lets the account administer it and
   *   delegate its use through IAM);
   * - `StreamEncryption.MANAGED`: with the key Kinesis manages in the
   *   stream's account and region (`alias/aws/kinesis`); no key is created,
   *   and `encryptionKey` must not be given.
   *
   * `StreamEncryption.UNENCRYPTED` is refused at synth: to turn the stream's
   * encryption off, remove this construct while its `removalPolicy` is
   * `RemovalPolicy.DESTROY` (the default).
   *
   * @default StreamEncryption.KMS
   */
  readonly encryption?: kinesis.StreamEncryption;

  /**
   * The customer managed, symmetric KMS key to encrypt the stream with, as
   * `kinesis.Stream`'s own `encryptionKey`.
   *
   * Only with `encryption` `StreamEncryption.KMS`. Pass a key, not an alias:
   * the handler's IAM permissions are scoped to the key's ARN. The key must
   * be in the stream's region.
   *
   * @default - a new key with `StreamEncryption.KMS`; none with
   * `StreamEncryption.MANAGED`
   */
  readonly encryptionKey?: kms.IKey;
}

/**
 * Turns on server-side encryption of an existing Amazon Kinesis data stream,
 * and reports the deployment complete only once the stream is `ACTIVE` with
 * the key (plus a settle time).
 *
 * For a stream CloudFormation cannot encrypt by itself: one that already
 * exists, was imported, or belongs to another stack or tool.
 *
 * Shares its one handler function per stack with `DeliveryStreamEncryption`.
 * When the construct is removed (and `removalPolicy` is `DESTROY`),
 * encryption is turned off and the deletion completes once the stream is
 * `ACTIVE` with `EncryptionType` `NONE`.
 *
 * @example
 * const stream = kinesis.Stream.fromStreamArn(this, 'Events', 'arn:aws:kinesis:eu-west-1:123456789012:stream/events');
 * const sse = new DataStreamEncryption(this, 'EventsSse', { stream });
 * sse.encryptedStream.grantWrite(producerRole);
 * sse.encryptedStream.grantRead(consumerRole);
 */
export class DataStreamEncryption extends StreamEncryptionBase {
  /**
   * The data stream, as a handle that carries the key it is encrypted with
   * (`encryptionKey`) and whose ARN comes from this construct's custom
   * resource: a resource that uses it (an event source mapping, a policy
   * naming its ARN) is created only once the stream is encrypted, and
   * removed before the encryption is turned off.
   *
   * Its `grantRead`, `grantWrite` and `grantReadWrite` give the stream's
   * actions, as aws-cdk-lib's, and, with a customer managed key, only the
   * key action each role needs (`kms:Decrypt` to read, `kms:GenerateDataKey`
   * to write: Kinesis Data Streams Developer Guide, "Permissions to use
   * user-generated KMS keys"), usable only through Kinesis in the stream's
   * region for this stream (conditions `kms:ViaService` and
   * `kms:EncryptionContext:aws:kinesis:arn`). So does whatever is given the
   * handle and grants through it (a `KinesisEventSource`, a Firehose
   * `KinesisStreamSource`). Its `grant` gives the actions on the stream
   * only, as `Stream.grant`. With `StreamEncryption.MANAGED` it carries no
   * key: the Kinesis-managed key needs no permission of its users.
   */
  public readonly encryptedStream: kinesis.IStream;

  /**
   * The handler's log group: one per stack, shared by every stream
   * encryption of the stack (see `StreamEncryptionHandler`). Every `FAILED`
   * reason the handler gives names it.
   */
  public declare readonly handlerLogGroup: logs.ILogGroup;

  /**
   * The stream's encryption type once the deployment of this construct
   * succeeded: `KMS`.
   *
   * @attribute
   */
  public readonly encryptionType: string;

  /**
   * The `KeyId` the stream is encrypted with once the deployment of this
   * construct succeeded: the customer managed key's ARN, or
   * `alias/aws/kinesis`.
   *
   * @attribute
   */
  public readonly keyIdInForce: string;

  /**
   * The stream's status once the deployment of this construct succeeded:
   * `ACTIVE`.
   *
   * @attribute
   */
  public readonly streamStatus: string;

  constructor(scope: Construct, id: string, props: DataStreamEncryptionProps) {
    const stream = props.stream;
    const encryption = props.encryption ?? kinesis.StreamEncryption.KMS;
    const managed = encryption === kinesis.StreamEncryption.MANAGED;
    const definedStream = cfnStreamOf(stream);
    super(scope, id, {
      props,
      kind: 'kinesis',
      service: 'Kinesis',
      stream,
      streamProp: 'stream',
      streamName: stream.streamName,
      streamArn: stream.streamArn,
      definedStream,
      declaredName: definedStream?.name,
      streamType: 'AWS::Kinesis::Stream',
      arnFormat: { service: 'kinesis', resource: 'stream' },
      nameRule: {
        pattern: DATA_STREAM_NAME_PATTERN,
        rule: "a Kinesis data stream name is 1 to 128 characters of letters, digits, '_', '.' and '-'",
        fix: 'Import the stream by its exact ARN.',
      },
      serviceKey: managed ? 'encryption is StreamEncryption.MANAGED, which uses the key Kinesis manages (alias/aws/kinesis)' : undefined,
      givenKey: props.encryptionKey,
      givenKeyProp: 'encryptionKey',
      aliasPrefix: 'alias/kinesis-sse/',
      resourceType: DATA_STREAM_ENCRYPTION_RESOURCE_TYPE,
      ownEncryption: 'new kinesis.Stream(this, id, { ..., encryption: kinesis.StreamEncryption.KMS, encryptionKey: key })',
      nagRules: NAG_SUPPRESSIONS.encryptedDataStream,
      validate: (self) => {
        validateEncryption(self, encryption, props.encryptionKey);
        validateStreamDefinition(self, stream);
      },
      permissions: dataStreamPermissions,
      guardPermissions: dataStreamGuardPermissions,
      properties: (key) => ({
        StreamName: stream.streamName,
        StreamArn: stream.streamArn,
        KeyId: key?.keyArn ?? KINESIS_MANAGED_KEY_ID,
      } satisfies Partial<DataStreamEncryptionResourceProperties>),
      afterKey: (self, key, settings) => {
        warnIfStreamDeclaresAnotherKey(self, stream, key);
        if (key && !props.encryptionKey) {
          warnIfCreatedKeyIsDeletedBeforeItsRecords(self, settings.keyRemoval);
        }
      },
      streamNoun: 'Kinesis data stream',
      nothingToWatch: (self, key) => {
        if (!key) {
          Annotations.of(self).addWarningV2(
            'cdk-stream-encryption:keyHealthNothingToWatch',
            'addKeyHealthAlarms has nothing to watch with encryption StreamEncryption.MANAGED: Kinesis publishes no KMS error metric, and nobody in the account can disable alias/aws/kinesis or schedule its deletion. Remove the call, or encrypt the stream with a customer managed key (StreamEncryption.KMS).',
          );
        }
      },
    });

    this.encryptionType = this.resource.getAttString(DATA_STREAM_ATTRIBUTES.EncryptionType);
    this.keyIdInForce = this.resource.getAttString(DATA_STREAM_ATTRIBUTES.KeyId);
    this.streamStatus = this.resource.getAttString(DATA_STREAM_ATTRIBUTES.StreamStatus);
    this.encryptedStream = new EncryptedDataStream(this, 'EncryptedStream', {
      streamArn: this.resource.getAttString(DATA_STREAM_ATTRIBUTES.StreamArn),
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
}

/**
 * Only `KMS` (with or without a key) or `MANAGED` (without one): this
 * construct turns encryption on, and turning it off is removing the
 * construct.
 */
function validateEncryption(scope: Construct, encryption: kinesis.StreamEncryption, key: kms.IKey | undefined): void {
  if (encryption === kinesis.StreamEncryption.MANAGED && key) {
    throw validationError(
      scope,
      `${scope.node.path}: encryptionKey was given with encryption StreamEncryption.MANAGED, which uses the key Kinesis manages (alias/aws/kinesis); remove encryptionKey, or set encryption to StreamEncryption.KMS to use your key.`,
    );
  }
  if (encryption !== kinesis.StreamEncryption.KMS && encryption !== kinesis.StreamEncryption.MANAGED) {
    const given = encryption === kinesis.StreamEncryption.UNENCRYPTED ? 'StreamEncryption.UNENCRYPTED' : `'${String(encryption)}'`;
    throw validationError(
      scope,
      `${scope.node.path}: encryption is ${given}, but a DataStreamEncryption only turns server-side encryption on. To turn the stream's encryption off, remove this construct while its removalPolicy is RemovalPolicy.DESTROY (the default): its deletion turns encryption off. To keep it on, pass StreamEncryption.KMS (with or without encryptionKey) or StreamEncryption.MANAGED.`,
    );
  }
}

/** The L1 resource of a data stream defined in this app, if any. */
function cfnStreamOf(stream: kinesis.IStream): kinesis.CfnStream | undefined {
  return cfnResourceOf(stream, 'AWS::Kinesis::Stream');
}

function validateStreamDefinition(scope: Construct, stream: kinesis.IStream): void {
  const cfn = cfnStreamOf(stream);
  if (cfn && cfn.streamEncryption !== undefined) {
    throw validationError(
      scope,
      `${scope.node.path}: stream ${stream.node.path} already sets StreamEncryption in its own CloudFormation (a kinesis.Stream is encrypted with alias/aws/kinesis unless its \`encryption\` is StreamEncryption.UNENCRYPTED); give the stream \`encryption: kinesis.StreamEncryption.UNENCRYPTED\` so that only this DataStreamEncryption manages its encryption, or drop this DataStreamEncryption and use the stream's own \`encryption\` and \`encryptionKey\` props.`,
    );
  }
}

/**
 * An imported stream may declare the key it is encrypted with; its own grants
 * then also grant that key.
 */
function warnIfStreamDeclaresAnotherKey(scope: Construct, stream: kinesis.IStream, key: kms.IKey | undefined): void {
  if (stream.encryptionKey && stream.encryptionKey !== key) {
    Annotations.of(scope).addWarningV2(
      'cdk-stream-encryption:streamDeclaresAnotherKey',
      `stream declares encryptionKey ${stream.encryptionKey.node.path}, which is not the key this DataStreamEncryption applies; the stream's own grants (grantRead, grantWrite) grant that key too. Import the stream without encryptionKey, and grant through encryptedStream.`,
    );
  }
}

/**
 * A data stream keeps its records for its retention period (24 hours to
 * 365 days), each encrypted with the key in force when it was written; a
 * created key scheduled for deletion (`keyRemovalPolicy` DESTROY) leaves the
 * records still in the stream unreadable once it is deleted.
 */
function warnIfCreatedKeyIsDeletedBeforeItsRecords(scope: Construct, keyRemoval: KeyRemoval): void {
  if (keyRemoval.policy === RemovalPolicy.DESTROY) {
    Annotations.of(scope).addWarningV2(
      'cdk-stream-encryption:keyDeletedBeforeRecordsExpire',
      `keyRemovalPolicy is DESTROY: when this construct is removed, the stack is deleted or the key is replaced, the created key is scheduled for deletion after ${keyRemoval.pendingWindowDays} days, but the data stream keeps records encrypted with it for its whole retention period (24 hours to 365 days), and once the key is deleted those records can no longer be read. Keep keyRemovalPolicy RemovalPolicy.RETAIN (the default) and schedule the key's deletion yourself once the stream's retention period has passed.`,
    );
  }
}
