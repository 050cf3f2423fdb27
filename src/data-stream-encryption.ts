import { Annotations, CustomResource, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { KeyHealthAlarms, KeyHealthAlarmsOptions } from './key-health';
import { DataStreamKeyType } from './key-type';
import { validationError } from './private/cdk-compat';
import {
  DATA_STREAM_ATTRIBUTES,
  DATA_STREAM_ENCRYPTION_RESOURCE_TYPE,
  DATA_STREAM_NAME_PATTERN,
  encodeDataStreamEncryptionProperties,
  KINESIS_MANAGED_KEY_ID,
} from './private/contract';
import { addEncryptionResource, noCreatedKey, sharedProperties, streamKey, withKeyGrant } from './private/encryption-resource';
import { addKeyHealth } from './private/key-health-alarms';
import { dataStreamGuardPermissions, dataStreamPermissions, viaKinesisFor } from './private/kinesis-permissions';
import { NAG_SUPPRESSIONS, suppressEncryptedStreamNagRules } from './private/nag';
import { StreamEncryptionProvider } from './private/provider';
import { cfnResourceOf, keyAliasFor, literalName, streamIdentity } from './private/stream-definition';
import { KeyRemoval, validateSharedProps, validateStreamEnvironment, validateStreamName } from './private/validation';

/**
 * Properties of a `DataStreamEncryption`.
 */
export interface DataStreamEncryptionProps {
  /**
   * The Kinesis data stream to encrypt: one defined in this app, or one
   * imported with `Stream.fromStreamArn` or `Stream.fromStreamAttributes`.
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
   * The customer managed, symmetric KMS key to encrypt the stream with.
   *
   * Only with `keyType` `CUSTOMER_MANAGED`. Pass a key, not an alias: the
   * handler's IAM permissions are scoped to the key's ARN. The key must be in
   * the stream's region.
   *
   * @default - a new key is created with `CUSTOMER_MANAGED` (symmetric,
   * rotation enabled, an alias derived from the stream name, a key policy
   * that lets the account administer it and delegate its use through IAM);
   * no key with `KINESIS_MANAGED`
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * Which kind of key Kinesis Data Streams encrypts the stream with.
   *
   * @default DataStreamKeyType.CUSTOMER_MANAGED
   */
  readonly keyType?: DataStreamKeyType;

  /**
   * How long the deployment waits for the stream to be `ACTIVE` with the key
   * (or without encryption, on delete) before it fails with the last status
   * seen.
   *
   * Between 1 and 14 minutes.
   *
   * @default Duration.minutes(10)
   */
  readonly timeout?: Duration;

  /**
   * How long to wait after the stream is `ACTIVE` with the key before the
   * deployment goes on. Kinesis may leave records written in the first
   * seconds after that unencrypted.
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
   * `DESTROY` turns server-side encryption off (`EncryptionType` `NONE`);
   * `RETAIN` leaves it on. This is only the stream's encryption: what
   * becomes of a key this construct creates is `keyRemovalPolicy`.
   *
   * @default RemovalPolicy.DESTROY
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * What happens to a key this construct creates when the construct is
   * removed, the stack is deleted, or the construct's key changes.
   *
   * `RETAIN` keeps the key (DeletionPolicy and UpdateReplacePolicy
   * `Retain`): a data stream keeps its records, encrypted with the key in
   * force when each was written, for its retention period (24 hours to 365
   * days), and they can only be read while that key can decrypt. A
   * retained key costs its monthly KMS fee until you schedule its deletion
   * yourself, once the stream's retention period has passed (see the
   * README, "Keys").
   *
   * `DESTROY` schedules the key for deletion after `keyPendingWindow`, and
   * warns at synth: records still in the stream then become unreadable.
   *
   * Only for a key the construct creates: not with `encryptionKey` (give
   * your key its own removal policy), nor with `KINESIS_MANAGED`.
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
 * sse.grantWrite(producerRole);
 * sse.grantRead(consumerRole);
 * // or hand the encrypted stream on: it carries the key
 * sse.encryptedStream.grantRead(consumerRole);
 */
export class DataStreamEncryption extends Construct {
  /**
   * The customer managed key the stream is encrypted with; `undefined` with
   * `KINESIS_MANAGED`.
   */
  public readonly encryptionKey?: kms.IKey;

  /**
   * The kind of key the stream is encrypted with.
   */
  public readonly keyType: DataStreamKeyType;

  /**
   * The `KeyId` the stream is encrypted with: the customer managed key's ARN,
   * or `alias/aws/kinesis`.
   */
  public readonly keyId: string;

  /**
   * The data stream to encrypt, as it was given (`stream`).
   *
   * Resources that use it may be created before its encryption is on, and
   * its own grants know of the key only if it was imported with one; use
   * `encryptedStream` to hand the stream on.
   */
  public readonly stream: kinesis.IStream;

  /**
   * The same data stream, as a handle that carries the key it is encrypted
   * with (`encryptionKey`) and whose ARN comes from this construct's custom
   * resource.
   *
   * Whatever is given it adds the key's permissions by itself, as for a
   * `kinesis.Stream` created encrypted: `encryptedStream.grantRead(...)`, a
   * `KinesisEventSource` or a Firehose `KinesisStreamSource` give `kms:Decrypt`
   * on the key, `grantWrite` the key actions aws-cdk-lib's `Stream.grantWrite`
   * gives. Those grants are aws-cdk-lib's: broader than this construct's own
   * `grantRead`, `grantWrite` and `grantReadWrite`, which give only the KMS
   * action each role needs, usable only through Kinesis for this stream.
   *
   * A resource that uses it (an event source mapping, a policy naming its
   * ARN) is created only once the stream is encrypted, and removed before the
   * encryption is turned off. With `KINESIS_MANAGED` it carries no key: the
   * Kinesis-managed key needs no permission of its users.
   */
  public readonly encryptedStream: kinesis.IStream;

  /**
   * The custom resource that holds the stream's encryption.
   */
  public readonly resource: CustomResource;

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

  /**
   * The handler's log group: one per stack, shared by every stream
   * encryption of the stack. Every `FAILED` reason the handler gives names it.
   */
  public readonly handlerLogGroup: logs.ILogGroup;

  constructor(scope: Construct, id: string, props: DataStreamEncryptionProps) {
    super(scope, id);

    this.stream = props.stream;
    this.keyType = props.keyType ?? DataStreamKeyType.CUSTOMER_MANAGED;
    const serviceKeyType = this.keyType === DataStreamKeyType.KINESIS_MANAGED
      ? 'KINESIS_MANAGED, which uses the key Kinesis manages (alias/aws/kinesis)'
      : undefined;
    const settings = validateSharedProps(this, props, noCreatedKey(serviceKeyType, props.encryptionKey));
    const name = literalStreamName(props.stream);

    validateStreamName(
      this,
      'stream',
      name,
      DATA_STREAM_NAME_PATTERN,
      "a Kinesis data stream name is 1 to 128 characters of letters, digits, '_', '.' and '-'",
      'Import the stream by its exact ARN.',
    );
    validateStreamDefinition(this, props.stream);
    validateStreamEnvironment(this, 'stream', props.stream.streamArn);

    this.encryptionKey = streamKey(this, {
      serviceKeyType,
      customerKeyType: 'DataStreamKeyType.CUSTOMER_MANAGED',
      givenKey: props.encryptionKey,
      service: 'Kinesis',
      stream: props.stream,
      streamProp: 'stream',
      settings,
      description: `Server-side encryption of the Kinesis data stream ${props.stream.streamName} (cdk-stream-encryption)`,
      alias: keyAliasFor('alias/kinesis-sse/', props.stream, name),
    });
    this.keyId = this.encryptionKey?.keyArn ?? KINESIS_MANAGED_KEY_ID;
    warnIfStreamDeclaresAnotherKey(this, props.stream, this.encryptionKey);
    if (this.encryptionKey && !props.encryptionKey) {
      warnIfCreatedKeyIsDeletedBeforeItsRecords(this, settings.keyRemoval);
    }

    this.resource = addEncryptionResource(this, {
      permissions: dataStreamPermissions(this, props.stream.streamArn, this.encryptionKey?.keyArn),
      resourceType: DATA_STREAM_ENCRYPTION_RESOURCE_TYPE,
      timeoutSeconds: settings.timeoutSeconds,
      streamType: 'AWS::Kinesis::Stream',
      stream: props.stream,
      streamIdentity: streamIdentity(this, props.stream, props.stream.streamArn, cfnStreamOf(props.stream)?.name, {
        service: 'kinesis',
        resource: 'stream',
      }),
      streamProp: 'stream',
      ownEncryption: 'new kinesis.Stream(this, id, { ..., encryption: kinesis.StreamEncryption.KMS, encryptionKey: key })',
      key: this.encryptionKey,
      guard: {
        repair: props.repair,
        kind: 'kinesis',
        streamName: props.stream.streamName,
        streamArn: props.stream.streamArn,
        permissions: dataStreamGuardPermissions(this, props.stream.streamArn, this.encryptionKey?.keyArn),
      },
      logs: { logRetention: props.logRetention, logRemovalPolicy: props.logRemovalPolicy },
      properties: encodeDataStreamEncryptionProperties({
        StreamKind: 'kinesis',
        StreamName: props.stream.streamName,
        StreamArn: props.stream.streamArn,
        KeyId: this.keyId,
        ...sharedProperties(settings),
      }),
    });

    // cdk-nag's rule on the stream's own encryption holds: this construct encrypts it.
    const definedStream = cfnStreamOf(props.stream);
    if (definedStream) {
      suppressEncryptedStreamNagRules(definedStream, NAG_SUPPRESSIONS.encryptedDataStream);
    }

    this.encryptionType = this.resource.getAttString(DATA_STREAM_ATTRIBUTES.EncryptionType);
    this.keyIdInForce = this.resource.getAttString(DATA_STREAM_ATTRIBUTES.KeyId);
    this.streamStatus = this.resource.getAttString(DATA_STREAM_ATTRIBUTES.StreamStatus);
    this.encryptedStream = kinesis.Stream.fromStreamAttributes(this, 'EncryptedStream', {
      streamArn: this.resource.getAttString(DATA_STREAM_ATTRIBUTES.StreamArn),
      encryptionKey: this.encryptionKey,
    });
    this.handlerLogGroup = StreamEncryptionProvider.of(this).logGroup;
  }

  /**
   * Grant `grantee` the Kinesis `actions` on this stream's ARN, as
   * `kinesis.Stream.grant` does. No key actions: for those, grant them on
   * `encryptionKey` yourself, or use `grantRead`, `grantWrite` or
   * `grantReadWrite`.
   */
  public grant(grantee: iam.IGrantable, ...actions: string[]): iam.Grant {
    return this.stream.grant(grantee, ...actions);
  }

  /**
   * Grant `grantee` what a consumer of this stream needs: the stream's own
   * read grant and, with a customer managed key, `kms:Decrypt` on that key,
   * usable only through Kinesis for this stream (conditions `kms:ViaService`
   * and `kms:EncryptionContext:aws:kinesis:arn`).
   *
   * `kms:Decrypt` is the one KMS action the Kinesis Data Streams Developer
   * Guide asks of consumers ("Permissions to use user-generated KMS keys").
   */
  public grantRead(grantee: iam.IGrantable): iam.Grant {
    return this.withKeyGrant(this.stream.grantRead(grantee), grantee, ['kms:Decrypt']);
  }

  /**
   * Grant `grantee` what a producer of this stream needs: the stream's own
   * write grant and, with a customer managed key, `kms:GenerateDataKey` on
   * that key, usable only through Kinesis for this stream.
   *
   * `kms:GenerateDataKey` is the one KMS action the Kinesis Data Streams
   * Developer Guide asks of producers ("Permissions to use user-generated KMS
   * keys"). aws-cdk-lib's `Stream.grantWrite` (and so
   * `encryptedStream.grantWrite`) also grants `kms:Encrypt`, `kms:ReEncrypt*`
   * and `kms:Decrypt`, on any request; this grant leaves them out.
   */
  public grantWrite(grantee: iam.IGrantable): iam.Grant {
    return this.withKeyGrant(this.stream.grantWrite(grantee), grantee, ['kms:GenerateDataKey']);
  }

  /**
   * Grant `grantee` what a producer and consumer of this stream needs: the
   * stream's own read-write grant and, with a customer managed key,
   * `kms:Decrypt` and `kms:GenerateDataKey` on that key, usable only through
   * Kinesis for this stream.
   */
  public grantReadWrite(grantee: iam.IGrantable): iam.Grant {
    return this.withKeyGrant(this.stream.grantReadWrite(grantee), grantee, ['kms:Decrypt', 'kms:GenerateDataKey']);
  }

  /**
   * Adds an EventBridge rule that tells when someone disables the stream's
   * customer managed key or schedules its deletion: the CloudTrail
   * management events `DisableKey` and `ScheduleKeyDeletion` of that key
   * (successful calls by anyone) go to the topic. Producers then fail with
   * `KMSDisabledException` or `KMSInvalidStateException`, and records
   * already in the stream cannot be read until the key is enabled again (or
   * ever, once it is deleted).
   * EventBridge receives these events only where a CloudTrail trail with
   * logging enabled records the account's management events in the stack's
   * region.
   *
   * Kinesis Data Streams publishes no KMS error metric (its stream metrics
   * count calls, records and bytes, not KMS errors), so there is no alarm:
   * the returned `alarms` is empty. With `KINESIS_MANAGED` there is no rule
   * either (nobody in the account can disable `alias/aws/kinesis` or
   * schedule its deletion), and the construct warns that nothing is
   * watched.
   *
   * Opt-in, as a method like the alarms of aws-cdk-lib L2s. Call it once
   * per construct.
   *
   * @default - the stack's encrypted alert topic
   */
  public addKeyHealthAlarms(options?: KeyHealthAlarmsOptions): KeyHealthAlarms {
    if (!this.encryptionKey) {
      Annotations.of(this).addWarningV2(
        'cdk-stream-encryption:keyHealthNothingToWatch',
        'addKeyHealthAlarms has nothing to watch with keyType KINESIS_MANAGED: Kinesis publishes no KMS error metric, and nobody in the account can disable alias/aws/kinesis or schedule its deletion. Remove the call, or encrypt the stream with a customer managed key.',
      );
    }
    return addKeyHealth(this, {
      options,
      key: this.encryptionKey,
      streamLabel: `Kinesis data stream ${this.stream.streamName}`,
    });
  }

  /** Add the key actions (if a customer managed key is used) to a stream grant. */
  private withKeyGrant(grant: iam.Grant, grantee: iam.IGrantable, actions: string[]): iam.Grant {
    return withKeyGrant(grant, grantee, this.encryptionKey, actions, viaKinesisFor(this, this.stream.streamArn));
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
 * (used by `grantRead`/`grantWrite`) then also grant that key.
 */
function warnIfStreamDeclaresAnotherKey(scope: Construct, stream: kinesis.IStream, key: kms.IKey | undefined): void {
  if (stream.encryptionKey && stream.encryptionKey !== key) {
    Annotations.of(scope).addWarningV2(
      'cdk-stream-encryption:streamDeclaresAnotherKey',
      `stream declares encryptionKey ${stream.encryptionKey.node.path}, which is not the key this DataStreamEncryption applies; the stream's own grants (used by grantRead and grantWrite) also grant that key. Import the stream without encryptionKey.`,
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

/**
 * The stream's name as written in the app, when it is known at synth time:
 * the imported name, or the `name` of a stream defined here.
 */
function literalStreamName(stream: kinesis.IStream): string {
  return literalName(stream.streamName, cfnStreamOf(stream)?.name);
}
