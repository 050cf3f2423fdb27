/**
 * The wiring `DeliveryStreamEncryption` and `DataStreamEncryption` share, as
 * one base class: the shared props checked, the stream's name and account
 * checked, the key (given, created, or the service's own), the custom
 * resource served by the stack's provider, the stack's guard, the cdk-nag
 * note on a stream defined in the app, and the key health alarms.
 *
 * Not part of the public jsii API: jsii copies its public members into the
 * two constructs, as aws-cdk-lib's own `StreamBase` is.
 */
import { CfnResource, CustomResource, IResource } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { StreamKindValue } from './contract';
import { addEncryptionResource, noCreatedKey, sharedProperties, streamKey } from './encryption-resource';
import { addKeyHealth } from './key-health-alarms';
import { suppressEncryptedStreamNagRules } from './nag';
import { HandlerPermission } from './policy-budget';
import { StreamEncryptionProvider } from './provider';
import { keyAliasFor, literalName, StreamArnFormat, streamIdentity } from './stream-definition';
import { SharedSettings, validateSharedProps, validateStreamEnvironment, validateStreamName } from './validation';
import type { KeyHealthAlarms, KeyHealthAlarmsOptions } from '../key-health';
import type { StreamEncryptionOptions } from '../stream-encryption-options';

/** What one kind of stream encryption tells the base. */
export interface StreamEncryptionSpec {
  /** The construct's props that both kinds share. */
  readonly props: StreamEncryptionOptions;
  /** The kind of stream. */
  readonly kind: StreamKindValue;
  /** The service that encrypts the stream, for messages (`Firehose`, `Kinesis`). */
  readonly service: string;
  /** The stream to encrypt, as given. */
  readonly stream: IResource;
  /** The prop that holds the stream (`deliveryStream`, `stream`). */
  readonly streamProp: string;
  /** The stream's name (a token when known only at deploy time). */
  readonly streamName: string;
  /** The stream's ARN. */
  readonly streamArn: string;
  /** The stream's L1 resource, when the app defines the stream. */
  readonly definedStream?: CfnResource;
  /** The name declared on that L1 resource, if any. */
  readonly declaredName?: string;
  /** The stream's CloudFormation type. */
  readonly streamType: string;
  /** How the kind's ARNs are written. */
  readonly arnFormat: StreamArnFormat;
  /** The service's rule for stream names, in words, with how to import the stream instead. */
  readonly nameRule: { readonly pattern: RegExp; readonly rule: string; readonly fix: string };
  /**
   * Why the stream uses no customer managed key, when it uses the service's
   * own: the `encryption` prop, and what it means.
   */
  readonly serviceKey?: string;
  /** The customer managed key the user gave, if any. */
  readonly givenKey?: kms.IKey;
  /** Where the user gives a key, as code (`encryptionKey`). */
  readonly givenKeyProp: string;
  /** The prefix of a created key's alias (`alias/firehose-sse/`). */
  readonly aliasPrefix: string;
  /** The custom resource type. */
  readonly resourceType: string;
  /** How the stream's own definition would encrypt it, as code, for the warning on a stream of the same stack. */
  readonly ownEncryption: string;
  /** The cdk-nag rules the stream's own definition no longer breaks, with the reason. */
  readonly nagRules: { readonly ids: string[]; readonly reason: string };
  /** Checks of the stream's own definition, and of the props only this kind has. */
  readonly validate: (scope: Construct) => void;
  /** What the handler needs on the stream (by its ARN) and its key. */
  readonly permissions: (scope: Construct, streamArn: string, keyArn: string | undefined) => HandlerPermission[];
  /** What the guard needs on the stream (by its ARN) and its key. */
  readonly guardPermissions: (scope: Construct, streamArn: string, keyArn: string | undefined) => HandlerPermission[];
  /**
   * The custom resource properties only this kind has (the stream and the key it is to be
   * encrypted with); `StreamKind` goes before them and the shared ones after, and members left
   * `undefined` are dropped.
   */
  readonly properties: (key: kms.IKey | undefined) => Record<string, string | undefined>;
  /** Warnings once the key is known. */
  readonly afterKey?: (scope: Construct, key: kms.IKey | undefined, settings: SharedSettings) => void;
  /** How the key health alarms are built: the stream's KMS error metric by name, if the service publishes any. */
  readonly kmsErrorMetric?: (scope: Construct, metricName: string, props: cloudwatch.MetricOptions) => cloudwatch.Metric;
  /** What the service calls the stream, before its name in the key's description, the alarms and the key events rule (`Firehose delivery stream`). */
  readonly streamNoun: string;
  /** A warning to give when `addKeyHealthAlarms` has nothing to watch, if that can happen. */
  readonly nothingToWatch?: (scope: Construct, key: kms.IKey | undefined) => void;
}

/**
 * A stream encryption: the key, the custom resource that holds the stream's
 * encryption, and the stack's handler log group.
 *
 * @internal a hidden base class: jsii copies its public members into
 * `DeliveryStreamEncryption` and `DataStreamEncryption`.
 */
export abstract class StreamEncryptionBase extends Construct {
  /**
   * The customer managed key the stream is encrypted with: the one given, or
   * the one the construct created; `undefined` when the stream uses a key AWS
   * owns or manages.
   */
  public readonly encryptionKey?: kms.IKey;

  /**
   * The custom resource that holds the stream's encryption.
   */
  public readonly resource: CustomResource;

  /**
   * The handler's log group: one per stack, shared by every stream
   * encryption of the stack (see `StreamEncryptionHandler`). Every `FAILED`
   * reason the handler gives names it.
   */
  public readonly handlerLogGroup: logs.ILogGroup;

  private readonly spec: StreamEncryptionSpec;

  /** How the key's description, the alarms and the key events rule name the stream (`Firehose delivery stream orders`). */
  private readonly streamLabel: string;

  protected constructor(scope: Construct, id: string, spec: StreamEncryptionSpec) {
    super(scope, id);
    this.spec = spec;
    this.streamLabel = `${spec.streamNoun} ${spec.streamName}`;
    spec.validate(this);
    const settings = validateSharedProps(this, spec.props, noCreatedKey(spec.serviceKey, spec.givenKey, spec.givenKeyProp));
    const name = literalName(spec.streamName, spec.declaredName);
    validateStreamName(this, spec.streamProp, name, spec.nameRule.pattern, spec.nameRule.rule, spec.nameRule.fix);
    validateStreamEnvironment(this, spec.streamProp, spec.streamArn);

    this.encryptionKey = streamKey(this, {
      serviceKey: spec.serviceKey,
      givenKey: spec.givenKey,
      service: spec.service,
      stream: spec.stream,
      streamProp: spec.streamProp,
      settings,
      description: `Server-side encryption of the ${this.streamLabel} (cdk-stream-encryption)`,
      alias: keyAliasFor(spec.aliasPrefix, spec.stream, name),
    });
    spec.afterKey?.(this, this.encryptionKey, settings);

    const properties = definedMembers({ StreamKind: spec.kind, ...spec.properties(this.encryptionKey), ...sharedProperties(settings) });
    this.resource = addEncryptionResource(this, {
      permissions: spec.permissions(this, spec.streamArn, this.encryptionKey?.keyArn),
      resourceType: spec.resourceType,
      timeoutSeconds: settings.timeoutSeconds,
      streamType: spec.streamType,
      stream: spec.stream,
      streamIdentity: streamIdentity(this, spec.stream, spec.streamArn, spec.declaredName, spec.arnFormat),
      streamProp: spec.streamProp,
      ownEncryption: spec.ownEncryption,
      key: this.encryptionKey,
      guard: {
        repair: spec.props.repair,
        kind: spec.kind,
        streamName: spec.streamName,
        streamArn: spec.streamArn,
        permissions: spec.guardPermissions(this, spec.streamArn, this.encryptionKey?.keyArn),
      },
      properties,
    });

    // cdk-nag's rule on the stream's own encryption holds: this construct encrypts it.
    if (spec.definedStream) {
      suppressEncryptedStreamNagRules(spec.definedStream, spec.nagRules);
    }
    this.handlerLogGroup = StreamEncryptionProvider.of(this).logGroup;
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
  public addKeyHealthAlarms(options?: KeyHealthAlarmsOptions): KeyHealthAlarms {
    const spec = this.spec;
    spec.nothingToWatch?.(this, this.encryptionKey);
    const kmsErrorMetric = spec.kmsErrorMetric;
    return addKeyHealth(this, {
      options,
      metric: kmsErrorMetric && ((metricName, props) => kmsErrorMetric(this, metricName, props)),
      key: this.encryptionKey,
      streamLabel: this.streamLabel,
    });
  }
}

/** The members of `properties` that are defined, as the custom resource's property bag. */
function definedMembers(properties: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(properties)) {
    if (value !== undefined) out[name] = value;
  }
  return out;
}
