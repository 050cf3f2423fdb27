import { Annotations, IAspect, Stage } from 'aws-cdk-lib';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct, IConstruct } from 'constructs';
import { DataStreamEncryption } from './data-stream-encryption';
import { DeliveryStreamEncryption } from './delivery-stream-encryption';
import { isAcknowledged } from './private/acknowledgement';
import { validationError } from './private/cdk-compat';
import { KINESIS_MANAGED_KEY_ID } from './private/contract';
import { UnencryptedStream, unencryptedStreamAt } from './private/findings';

/**
 * One check of `StreamEncryptionChecks` (and one kind of fix of
 * `StreamEncryptionFixes`): a kind of stream without server-side encryption,
 * and the id of the annotations it raises. Acknowledge a finding with
 * `Annotations.of(scope).acknowledgeWarning(check.id, reason)` on the stream
 * or on any of its scopes.
 */
export class StreamEncryptionCheck {
  /**
   * A delivery stream defined in the app (a `CfnDeliveryStream`, also the one
   * of a `firehose.DeliveryStream`) whose source is Direct PUT, without
   * server-side encryption (`DeliveryStreamEncryptionConfigurationInput`).
   */
  public static readonly UNENCRYPTED_DELIVERY_STREAM = new StreamEncryptionCheck('cdk-stream-encryption:UnencryptedDeliveryStream');

  /**
   * A Kinesis data stream defined in the app (a `CfnStream`, also the one of
   * a `kinesis.Stream` with `encryption: StreamEncryption.UNENCRYPTED`),
   * without server-side encryption (`StreamEncryption`).
   */
  public static readonly UNENCRYPTED_DATA_STREAM = new StreamEncryptionCheck('cdk-stream-encryption:UnencryptedDataStream');

  /**
   * A delivery stream imported by name or ARN
   * (`DeliveryStream.fromDeliveryStreamName`, `fromDeliveryStreamArn`,
   * `fromDeliveryStreamAttributes`) that no `DeliveryStreamEncryption` in the
   * app encrypts.
   */
  public static readonly IMPORTED_DELIVERY_STREAM_NOT_ENCRYPTED = new StreamEncryptionCheck('cdk-stream-encryption:ImportedDeliveryStreamNotEncrypted');

  /**
   * A Kinesis data stream imported by ARN or attributes (`Stream.fromStreamArn`,
   * `fromStreamAttributes` without `encryptionKey`) that no
   * `DataStreamEncryption` in the app encrypts.
   */
  public static readonly IMPORTED_DATA_STREAM_NOT_ENCRYPTED = new StreamEncryptionCheck('cdk-stream-encryption:ImportedDataStreamNotEncrypted');

  /** Every check. */
  public static readonly ALL: StreamEncryptionCheck[] = [
    StreamEncryptionCheck.UNENCRYPTED_DELIVERY_STREAM,
    StreamEncryptionCheck.UNENCRYPTED_DATA_STREAM,
    StreamEncryptionCheck.IMPORTED_DELIVERY_STREAM_NOT_ENCRYPTED,
    StreamEncryptionCheck.IMPORTED_DATA_STREAM_NOT_ENCRYPTED,
  ];

  /**
   * The id of the check's annotations, to acknowledge one with
   * `Annotations.of(scope).acknowledgeWarning(id, reason)`.
   */
  public readonly id: string;

  private constructor(id: string) {
    this.id = id;
  }
}

/**
 * How `StreamEncryptionChecks` reports what it finds.
 */
export enum StreamEncryptionCheckLevel {
  /**
   * A warning: `cdk synth` goes on (and fails with `--strict`).
   */
  WARNING = 'WARNING',

  /**
   * An error: `cdk synth` and `cdk deploy` fail.
   */
  ERROR = 'ERROR',
}

/**
 * Properties of `StreamEncryptionChecks`.
 */
export interface StreamEncryptionChecksProps {
  /**
   * How each finding is reported. Either level can be acknowledged.
   *
   * @default StreamEncryptionCheckLevel.WARNING
   */
  readonly level?: StreamEncryptionCheckLevel;

  /**
   * The checks to run.
   *
   * @default - every check (`StreamEncryptionCheck.ALL`)
   */
  readonly checks?: StreamEncryptionCheck[];
}

/**
 * An Aspect that finds the streams of an app that are not encrypted at rest,
 * and reports each as an annotation whose id (`StreamEncryptionCheck.id`)
 * can be acknowledged: every Direct PUT delivery stream and every Kinesis data
 * stream the app defines without server-side encryption, and every delivery
 * stream and data stream it imports that no `DeliveryStreamEncryption` or
 * `DataStreamEncryption` in the app encrypts. Streams this library's
 * constructs encrypt are not reported.
 *
 * It only reads the app: add it with `AspectPriority.READONLY`. To fix
 * what it finds, add `StreamEncryptionFixes` too, with
 * `AspectPriority.MUTATING`, so that the fixes are made before this Aspect
 * and cdk-nag look.
 *
 * @example
 * Aspects.of(app).add(new StreamEncryptionChecks(), { priority: AspectPriority.READONLY });
 *
 * // an unencrypted stream on purpose
 * Annotations.of(scratchStream).acknowledgeWarning(
 *   StreamEncryptionCheck.UNENCRYPTED_DELIVERY_STREAM.id,
 *   'Holds only synthetic test records',
 * );
 */
export class StreamEncryptionChecks implements IAspect {
  private readonly level: StreamEncryptionCheckLevel;
  private readonly checks: Set<string>;

  constructor(props: StreamEncryptionChecksProps = {}) {
    this.level = props.level ?? StreamEncryptionCheckLevel.WARNING;
    this.checks = new Set((props.checks ?? StreamEncryptionCheck.ALL).map((check) => check.id));
  }

  /** Report `node` if it is a stream without server-side encryption. */
  public visit(node: IConstruct): void {
    const stream = unencryptedStreamAt(node);
    if (!stream) {
      return;
    }
    const check = checkOf(stream);
    if (!this.checks.has(check.id) || isAcknowledged(node, check.id)) {
      return;
    }
    const message = messageOf(node, stream, check);
    if (this.level === StreamEncryptionCheckLevel.ERROR) {
      Annotations.of(node).addError(`${message} [ack: ${check.id}]`);
    } else {
      Annotations.of(node).addWarningV2(check.id, message);
    }
  }
}

/** The check that reports `stream`. */
function checkOf(stream: UnencryptedStream): StreamEncryptionCheck {
  switch (stream.kind) {
    case 'definedDeliveryStream':
      return StreamEncryptionCheck.UNENCRYPTED_DELIVERY_STREAM;
    case 'definedDataStream':
      return StreamEncryptionCheck.UNENCRYPTED_DATA_STREAM;
    case 'importedDeliveryStream':
      return StreamEncryptionCheck.IMPORTED_DELIVERY_STREAM_NOT_ENCRYPTED;
    case 'importedDataStream':
      return StreamEncryptionCheck.IMPORTED_DATA_STREAM_NOT_ENCRYPTED;
  }
}

/** What is wrong with `stream`, at `node`, and how to fix it or acknowledge it. */
function messageOf(node: IConstruct, stream: UnencryptedStream, check: StreamEncryptionCheck): string {
  const acknowledge = `or, if it is meant to be unencrypted, Annotations.of(stream).acknowledgeWarning('${check.id}', reason).`;
  switch (stream.kind) {
    case 'definedDeliveryStream':
      return `Delivery stream ${node.node.path} (Direct PUT) has no server-side encryption: DeliveryStreamEncryptionConfigurationInput is not set. Give the DeliveryStream an \`encryption\` (firehose.StreamEncryption.awsOwnedKey() or customerManagedKey(key)), apply StreamEncryptionFixes, ${acknowledge}`;
    case 'definedDataStream':
      return `Kinesis data stream ${node.node.path} has no server-side encryption: StreamEncryption is not set. Give the Stream an \`encryption\` (kinesis.StreamEncryption.MANAGED or KMS with encryptionKey), encrypt it with a DataStreamEncryption, apply StreamEncryptionFixes, ${acknowledge}`;
    case 'importedDeliveryStream':
      return `Delivery stream ${stream.stream.deliveryStreamName} imported at ${node.node.path} is not encrypted by any DeliveryStreamEncryption in the app, so nothing here keeps it encrypted at rest. Add a DeliveryStreamEncryption with deliveryStream set to it (its source must be Direct PUT), apply StreamEncryptionFixes, ${acknowledge}`;
    case 'importedDataStream':
      return `Kinesis data stream ${stream.stream.streamName} imported at ${node.node.path} is not encrypted by any DataStreamEncryption in the app, so nothing here keeps it encrypted at rest. Add a DataStreamEncryption with stream set to it, import it with the encryptionKey it is encrypted with (Stream.fromStreamAttributes), apply StreamEncryptionFixes, ${acknowledge}`;
  }
}

/**
 * Properties of `StreamEncryptionFixes`.
 */
export interface StreamEncryptionFixesProps {
  /**
   * The kinds of stream to fix, by the check that finds them.
   *
   * @default - every kind (`StreamEncryptionCheck.ALL`)
   */
  readonly checks?: StreamEncryptionCheck[];

  /**
   * The customer managed, symmetric key to encrypt delivery streams with: set
   * as the `KeyARN` of a stream the app defines, and given to the
   * `DeliveryStreamEncryption` added for an imported one.
   *
   * The fix grants nobody the use of this key: producers that write to a
   * stream defined in the app need no grant for Firehose's server-side
   * encryption, and the `DeliveryStreamEncryption` added for an imported
   * stream allows its handler what it needs.
   *
   * @default - a key owned by AWS (`StreamEncryption.awsOwnedKey()`): no key
   * is created and no grant is needed
   */
  readonly deliveryStreamKey?: kms.IKey;

  /**
   * The customer managed, symmetric key to encrypt Kinesis data streams
   * with: set as the `KeyId` of a stream the app defines, and given to the
   * `DataStreamEncryption` added for an imported one.
   *
   * The fix grants nobody the use of this key: grant the stream's producers
   * `kms:GenerateDataKey` and its consumers `kms:Decrypt` on it yourself (a
   * `kinesis.Stream`'s own grants, made before the fix, do not include it).
   *
   * @default - the key Kinesis manages (`StreamEncryption.MANAGED`,
   * `alias/aws/kinesis`): no key is created and no grant is needed
   */
  readonly dataStreamKey?: kms.IKey;
}

/**
 * An Aspect that encrypts at rest what `StreamEncryptionChecks` finds: it
 * sets the server-side encryption of each Direct PUT delivery stream and
 * each Kinesis data stream the app defines without it (the L1 property
 * `DeliveryStreamEncryptionConfigurationInput` or `StreamEncryption`), and
 * adds a `DeliveryStreamEncryption` or `DataStreamEncryption` (construct id
 * `Encryption`, a child of the imported stream) for each imported stream no
 * construct of this library encrypts. A finding acknowledged with
 * `Annotations.of(scope).acknowledgeWarning(check.id, reason)` is left as it
 * is.
 *
 * A separate Aspect from the checks, because it changes the app and must run
 * before the Aspects that read it (the checks, cdk-nag): add it with
 * `AspectPriority.MUTATING`. It encrypts every stream of the scope it is
 * added to when it visits that scope, before any Aspect visits the
 * constructs below it. The constructs it adds are visited by the Aspects of
 * the app like any other (aws-cdk-lib's aspect stabilization,
 * `@aws-cdk/core:aspectStabilization`, on by default).
 *
 * @example
 * Aspects.of(app).add(new StreamEncryptionFixes(), { priority: AspectPriority.MUTATING });
 * Aspects.of(app).add(new StreamEncryptionChecks(), { priority: AspectPriority.READONLY });
 */
export class StreamEncryptionFixes implements IAspect {
  private readonly checks: Set<string>;
  private readonly deliveryStreamKey?: kms.IKey;
  private readonly dataStreamKey?: kms.IKey;
  /** The constructs already looked at. */
  private readonly seen = new WeakSet<IConstruct>();

  constructor(props: StreamEncryptionFixesProps = {}) {
    this.checks = new Set((props.checks ?? StreamEncryptionCheck.ALL).map((check) => check.id));
    this.deliveryStreamKey = props.deliveryStreamKey;
    this.dataStreamKey = props.dataStreamKey;
  }

  /**
   * Encrypt every stream without server-side encryption in `node`'s tree,
   * the first time the Aspect visits a construct of it: so on the scope it
   * was added to, before any other Aspect of that scope visits its children.
   * Other Aspects (cdk-nag) may read the handler's policies as they visit
   * them (which freezes their statements), and a stream imported later in
   * the tree adds its permissions to those policies: so every stream of the
   * scope is encrypted before any policy is read. Stages below it are left
   * to their own Aspects, as aws-cdk-lib does.
   */
  public visit(node: IConstruct): void {
    if (this.seen.has(node)) {
      return;
    }
    for (const construct of treeOf(node)) {
      if (!this.seen.has(construct)) {
        this.seen.add(construct);
        this.fix(construct);
      }
    }
  }

  /** Encrypt `node` if it is a stream without server-side encryption. */
  private fix(node: IConstruct): void {
    const stream = unencryptedStreamAt(node);
    if (!stream) {
      return;
    }
    const check = checkOf(stream);
    if (!this.checks.has(check.id) || isAcknowledged(node, check.id)) {
      return;
    }
    switch (stream.kind) {
      case 'definedDeliveryStream':
        stream.resource.deliveryStreamEncryptionConfigurationInput = this.deliveryStreamKey
          ? { keyType: 'CUSTOMER_MANAGED_CMK', keyArn: this.deliveryStreamKey.keyArn }
          : { keyType: 'AWS_OWNED_CMK' };
        break;
      case 'definedDataStream':
        stream.resource.streamEncryption = { encryptionType: 'KMS', keyId: this.dataStreamKey?.keyArn ?? KINESIS_MANAGED_KEY_ID };
        break;
      case 'importedDeliveryStream':
        encryptImported(node, check, () => new DeliveryStreamEncryption(node as Construct, FIX_ID, {
          deliveryStream: stream.stream,
          encryption: this.deliveryStreamKey
            ? firehose.StreamEncryption.customerManagedKey(this.deliveryStreamKey)
            : firehose.StreamEncryption.awsOwnedKey(),
        }));
        break;
      case 'importedDataStream':
        encryptImported(node, check, () => new DataStreamEncryption(node as Construct, FIX_ID, {
          stream: stream.stream,
          encryption: this.dataStreamKey ? kinesis.StreamEncryption.KMS : kinesis.StreamEncryption.MANAGED,
          encryptionKey: this.dataStreamKey,
        }));
        break;
    }
  }
}

/**
 * Add the encryption of an imported stream; when the construct refuses the
 * stream (e.g. one of another account than its stack), fail naming the
 * import and the way to leave it as it is.
 */
function encryptImported(node: IConstruct, check: StreamEncryptionCheck, add: () => void): void {
  try {
    add();
  } catch (error) {
    throw validationError(
      node,
      `${node.node.path}: StreamEncryptionFixes cannot encrypt this imported stream: ${(error as Error).message} If it is not this app's to encrypt, acknowledge it: Annotations.of(stream).acknowledgeWarning('${check.id}', reason), or leave ${check.id} out of the fixes' checks.`,
    );
  }
}

/** `node` and the constructs below it, in the order aws-cdk-lib visits them, without the Stages below it. */
function treeOf(node: IConstruct): IConstruct[] {
  const all: IConstruct[] = [node];
  for (const child of node.node.children) {
    if (!Stage.isStage(child)) {
      all.push(...treeOf(child));
    }
  }
  return all;
}

/** Construct id of the encryption `StreamEncryptionFixes` adds to an imported stream. */
const FIX_ID = 'Encryption';
