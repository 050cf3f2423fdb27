import { CfnElement, Duration, Stack, Token } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct, IConstruct } from 'constructs';
import { AlertTopic, alertTopicFor } from './private/alert-topic';
import { validationError } from './private/cdk-compat';
import {
  DEFAULT_MAX_REPAIRS_PER_STREAM_PER_DAY,
  HANDLER_TIMEOUT_SECONDS,
  MAX_REPAIRS_PER_STREAM_PER_DAY,
  RepairInput,
} from './private/contract';
import { GuardTarget, guardTargetsOf } from './private/guard-targets';
import { addHandlerLogs } from './private/handler-logs';
import { handlerRuntime, NAG_SUPPRESSIONS, runtimeNagRules, suppressInapplicableNagRules } from './private/nag';
import { PolicyBudget } from './private/policy-budget';
import { GUARD_ASSET_ZIP, StreamEncryptionProvider } from './private/provider';

/** Construct id of the guard that `StreamEncryptionGuard.of` makes, a direct child of its stack. */
const GUARD_ID = 'CdkStreamEncryptionGuard';

/**
 * Most streams one guard may guard. Each stream's rule needs a statement in the guard function's
 * resource-based policy (its `AWS::Lambda::Permission`, naming that one rule), which Lambda caps at
 * 20 KB; a statement with CloudFormation's generated names takes up to about 450 bytes.
 */
const MAX_GUARDED_STREAMS_PER_STACK = 40;

/**
 * Properties of a `StreamEncryptionGuard`.
 */
export interface StreamEncryptionGuardProps {
  /**
   * How many times a day (UTC) the guard may repair one stream; past that it
   * calls no Start, alerts once, and leaves the stream as it is until the
   * next day or the next deploy.
   *
   * Firehose allows 25 `Start`/`Stop` encryption calls per stream in a
   * rolling 24 hours, and each repair costs two: the call it answers and its
   * own Start. A rolling 24 hours can span two UTC days, so the default of
   * 5 spends at most 20 of the 25 calls and leaves 5 for the stack's own
   * deploys (a Start per key change, a Stop per removal).
   *
   * Between 1 and 12 (12 Stops and 12 repairs, and the Stop that reaches the
   * cap, are the 25 calls of one day).
   *
   * @default 5
   */
  readonly maxRepairsPerStreamPerDay?: number;

  /**
   * Where the guard sends an alert when it reaches a stream's cap or a
   * repair fails, and where Lambda sends an event the guard could not
   * handle (its dead-letter topic).
   *
   * An encrypted topic of your own needs the guard's role (`role`) allowed
   * to use its key (`kms:Decrypt`, `kms:GenerateDataKey`).
   *
   * @default - the stack's alert topic, encrypted with a key of its own
   */
  readonly alarmTopic?: sns.ITopic;

  /**
   * How long the guard's logs (one JSON line per repair or skip) are kept.
   *
   * @default logs.RetentionDays.ONE_YEAR, as the handler's logs
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * Keeps the stack's streams encrypted after the deploy: when someone turns a
 * guarded stream's encryption off (`StopDeliveryStreamEncryption`,
 * `StopStreamEncryption`) or changes its key (`Start…Encryption` with
 * another key) outside the stack, the guard reads the stream again and puts
 * its encryption back as the construct wants it, with the same rules as the
 * deploy, and reports back only once the stream is `ENABLED`.
 *
 * One per stack, set once for the stack, as the handler's settings are
 * (`StreamEncryptionHandler.configure`). A construct with `repair: true`
 * puts its stream under the stack's guard, which it makes with the defaults
 * if the stack has none (`StreamEncryptionGuard.of`).
 * `StreamEncryptionGuard.configure` configures the guard and guards every
 * stream encryption of the stack, made before or after it, but those with
 * `repair: false`.
 *
 * Each guarded stream gets an EventBridge rule on the CloudTrail management
 * events of its own Start and Stop encryption calls. **EventBridge receives
 * these events only while a CloudTrail trail with logging enabled records
 * the account's management events in the stack's region**: without one, the
 * guard is never invoked.
 *
 * The guard ignores the calls of the stack's own handler and its own
 * (deploys are never fought), failed calls, and streams whose owner tag no
 * longer names the construct's resource (handed over on purpose). It counts
 * its repairs per stream and UTC day on a stream tag
 * (`cdk-stream-encryption/repairs`), and past `maxRepairsPerStreamPerDay`
 * calls no Start and alerts to `alarmTopic`, as it does when a repair fails.
 *
 * @example
 * const stream = firehose.DeliveryStream.fromDeliveryStreamName(this, 'Orders', 'orders');
 * StreamEncryptionGuard.configure(this, { maxRepairsPerStreamPerDay: 3 });
 * new DeliveryStreamEncryption(this, 'OrdersSse', { deliveryStream: stream });
 */
export class StreamEncryptionGuard extends Construct {
  /**
   * Configure the guard of `scope`'s stack, and put every stream encryption
   * of the stack under it, made before or after this call, but those with
   * `repair: false`. Once per stack, before any construct with
   * `repair: true` (which makes the stack's guard with the defaults).
   *
   * @param scope - any construct of the stack.
   * @param props - the guard's settings.
   */
  public static configure(scope: IConstruct, props: StreamEncryptionGuardProps = {}): StreamEncryptionGuard {
    const stack = Stack.of(scope);
    const existing = StreamEncryptionGuard._find(stack);
    if (existing) {
      throw validationError(
        scope,
        `${scope.node.path}: StreamEncryptionGuard.configure was called for stack ${stack.stackName}, which already has the guard ${existing.node.path}${existing.guardsWholeStack ? ', configured before' : ', made with the defaults by a construct with repair: true'}; a stack has one guard. Call StreamEncryptionGuard.configure once per stack, before any construct with repair: true.`,
      );
    }
    return StreamEncryptionGuard.make(stack, props, true);
  }

  /**
   * The guard of `scope`'s stack: the one the stack has, or a new one with
   * the defaults, which guards only the constructs with `repair: true`.
   */
  public static of(scope: IConstruct): StreamEncryptionGuard {
    return StreamEncryptionGuard._find(scope) ?? StreamEncryptionGuard.make(Stack.of(scope), {}, false);
  }

  /**
   * The guard of `scope`'s stack, if it has one.
   *
   * @internal
   */
  public static _find(scope: IConstruct): StreamEncryptionGuard | undefined {
    return Stack.of(scope).node.children.find((c): c is StreamEncryptionGuard => c instanceof StreamEncryptionGuard);
  }

  /**
   * Record a stream encryption of the stack (for a guard of the whole stack
   * made later), and put it under the stack's guard: the one `repair: true`
   * makes or finds, or a guard of the whole stack made before, unless
   * `repair` is `false`.
   *
   * @internal
   */
  public static _register(target: GuardTarget): void {
    guardTargetsOf(target.scope).push(target);
    if (target.repair === true) {
      StreamEncryptionGuard.of(target.scope)._guard(target);
      return;
    }
    const guard = StreamEncryptionGuard._find(target.scope);
    if (guard?.guardsWholeStack && target.repair !== false) {
      guard._guard(target);
    }
  }

  /** The stack's guard, as a direct child of the stack, with the construct id the library reserves. */
  private static make(stack: Stack, props: StreamEncryptionGuardProps, guardsWholeStack: boolean): StreamEncryptionGuard {
    const taken = stack.node.tryFindChild(GUARD_ID);
    if (taken) {
      throw validationError(
        taken,
        `${taken.node.path}: the construct id '${GUARD_ID}' is already used in stack ${stack.stackName} by another construct; rename that construct so cdk-stream-encryption can add its guard.`,
      );
    }
    return new StreamEncryptionGuard(stack, GUARD_ID, props, guardsWholeStack);
  }

  /** The function that repairs a stream's encryption (the handler bundle's `repair` entry point). */
  public readonly repairFunction: lambda.IFunction;

  /** The guard's execution role. */
  public readonly role: iam.IRole;

  /** Where the guard's alerts go. */
  public readonly alarmTopic: sns.ITopic;

  /** The guard's log group: one JSON line per repair or skip. */
  public readonly logGroup: logs.ILogGroup;

  /** Repairs per stream per UTC day. */
  public readonly maxRepairsPerStreamPerDay: number;

  /**
   * Whether the guard guards every stream encryption of the stack (one
   * `configure` made) or only those with `repair: true` (one `of` made).
   */
  public readonly guardsWholeStack: boolean;

  private readonly budget: PolicyBudget;
  private readonly guarded: GuardTarget[] = [];

  private constructor(scope: Stack, id: string, props: StreamEncryptionGuardProps, guardsWholeStack: boolean) {
    super(scope, id);
    this.guardsWholeStack = guardsWholeStack;
    this.maxRepairsPerStreamPerDay = validateCap(this, props.maxRepairsPerStreamPerDay);
    this.alarmTopic = alertTopicFor(this, props.alarmTopic);

    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Execution role of the cdk-stream-encryption guard, which repairs stream encryption turned off outside the stack',
    });
    this.role = role;
    const guardLogs = addHandlerLogs(this, role, { nameSuffix: '/guard', retention: props.logRetention, functionName: 'guard' });
    this.logGroup = guardLogs.logGroup;
    this.budget = new PolicyBudget(this, role, 'CdkStreamEncryptionGuardPolicy', () => this.guarded.length, 'guard');

    const topicKey = props.alarmTopic ? undefined : AlertTopic.of(this).key;
    const alertPolicy = new iam.ManagedPolicy(this, 'AlertPolicy', {
      roles: [role],
      description: 'Lets the cdk-stream-encryption guard publish its alerts, and Lambda its undelivered events',
      statements: [
        new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [this.alarmTopic.topicArn] }),
        ...(topicKey ? [new iam.PolicyStatement({ actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: [topicKey.keyArn] })] : []),
      ],
    });

    const runtime = handlerRuntime(this);
    const fn = new lambda.Function(this, 'Function', {
      description: 'Repairs stream server-side encryption turned off or changed outside the stack (cdk-stream-encryption)',
      runtime,
      architecture: lambda.Architecture.ARM_64,
      code: lambda.Code.fromAsset(GUARD_ASSET_ZIP),
      handler: 'index.repair',
      timeout: Duration.seconds(HANDLER_TIMEOUT_SECONDS),
      memorySize: 256,
      role,
      logGroup: this.logGroup,
    });
    // An event the guard could not handle (its alert unpublished after Lambda's retries) goes to the
    // alert topic; set on the resource so that its permission stays in the managed policy above.
    (fn.node.defaultChild as lambda.CfnFunction).deadLetterConfig = { targetArn: this.alarmTopic.topicArn };
    fn.node.addDependency(guardLogs.policy, alertPolicy);
    this.repairFunction = fn;
    this.node.addValidation({ validate: () => this.validateStreamCount() });
    suppressInapplicableNagRules(fn, guardLogs.policy, guardLogs.logStreamsArn, [
      NAG_SUPPRESSIONS.guardConcurrency,
      NAG_SUPPRESSIONS.guardVpc,
      ...runtimeNagRules(runtime),
    ]);

    if (this.guardsWholeStack) {
      for (const target of guardTargetsOf(this)) {
        if (target.repair !== false) {
          this._guard(target);
        }
      }
    }
  }

  private validateStreamCount(): string[] {
    return tooManyStreams(this.node.path, this.guarded.length);
  }

  /**
   * Put a stream under the guard: its permissions, and its rule.
   *
   * @internal
   */
  public _guard(target: GuardTarget): void {
    if (this.guarded.includes(target)) {
      return;
    }
    this.guarded.push(target);
    for (const permission of target.permissions) {
      this.budget.allow(permission);
    }
    const stack = Stack.of(this);
    const ignoredRoles = [StreamEncryptionProvider.of(this).role.roleArn, this.role.roleArn];
    const rule = new events.Rule(target.scope, 'RepairRule', {
      description: `Repairs the server-side encryption of ${target.kind === 'firehose' ? 'delivery' : 'data'} stream ${target.streamName} when it is changed outside the stack (cdk-stream-encryption)`,
      eventPattern: trailPattern(target, ignoredRoles),
    });
    const input: Record<keyof RepairInput, unknown> = {
      ResourceType: target.resourceType,
      Properties: target.properties,
      StackId: stack.stackId,
      LogicalResourceId: stack.getLogicalId(target.resource.node.defaultChild as CfnElement),
      ConstructPath: target.scope.node.path,
      IgnoredRoleArns: ignoredRoles,
      MaxRepairsPerDay: String(this.maxRepairsPerStreamPerDay),
      AlertTopicArn: this.alarmTopic.topicArn,
      Detail: events.EventField.fromPath('$.detail'),
    };
    rule.addTarget(new targets.LambdaFunction(this.repairFunction, { event: events.RuleTargetInput.fromObject(input) }));
    // The stream's desired state exists before its rule can act on it.
    rule.node.addDependency(target.resource);
  }
}

/** The messages of a guard with more streams than its function's policy can name. */
function tooManyStreams(path: string, streams: number): string[] {
  return streams <= MAX_GUARDED_STREAMS_PER_STACK ? [] : [
    `${path} guards ${streams} streams, more than ${MAX_GUARDED_STREAMS_PER_STACK}: each stream's rule needs a statement in the guard function's resource-based policy, which Lambda caps at 20 KB. Set repair: false on the streams that need no repair, or spread the streams over more stacks, each with its own guard.`,
  ];
}

/** The cap, checked: a whole number from 1 to the most the call budget allows. */
function validateCap(scope: Construct, given: number | undefined): number {
  const cap = given ?? DEFAULT_MAX_REPAIRS_PER_STREAM_PER_DAY;
  if (!Token.isUnresolved(cap) && (!Number.isInteger(cap) || cap < 1 || cap > MAX_REPAIRS_PER_STREAM_PER_DAY)) {
    throw validationError(
      scope,
      `${scope.node.path}: maxRepairsPerStreamPerDay must be a whole number from 1 to ${MAX_REPAIRS_PER_STREAM_PER_DAY}, got ${cap}: Firehose allows 25 Start and Stop calls per stream per 24 hours, and each repair spends two. Pass a value in that range, or leave it out for ${DEFAULT_MAX_REPAIRS_PER_STREAM_PER_DAY}.`,
    );
  }
  return cap;
}

/**
 * The CloudTrail events that may undo `target`'s encryption: the stream's
 * Start and Stop encryption calls that succeeded (no `errorCode`), named by
 * the stream's name (or, for Kinesis, its ARN), made by anyone but the
 * stack's handler and the guard (a caller that is no assumed role has no
 * session issuer, which a pattern cannot match as "anything but", so it is
 * matched by its type).
 */
function trailPattern(target: GuardTarget, ignoredRoles: string[]): events.EventPattern {
  const firehose = target.kind === 'firehose';
  return {
    source: [firehose ? 'aws.firehose' : 'aws.kinesis'],
    detailType: ['AWS API Call via CloudTrail'],
    detail: {
      eventSource: [firehose ? 'firehose.amazonaws.com' : 'kinesis.amazonaws.com'],
      eventName: firehose
        ? ['StartDeliveryStreamEncryption', 'StopDeliveryStreamEncryption']
        : ['StartStreamEncryption', 'StopStreamEncryption'],
      requestParameters: firehose
        ? { deliveryStreamName: [target.streamName] }
        : { $or: [{ streamName: [target.streamName] }, { streamARN: [target.streamArn] }] },
      errorCode: [{ exists: false }],
      $or: [
        { userIdentity: { type: [{ 'anything-but': 'AssumedRole' }] } },
        { userIdentity: { sessionContext: { sessionIssuer: { arn: [{ 'anything-but': ignoredRoles }] } } } },
      ],
    },
  };
}
