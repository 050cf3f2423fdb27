/**
 * The custom-resource provider every stream encryption of a stack shares.
 *
 * Not part of the public jsii API.
 */
import * as path from 'path';
import { Annotations, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct, IConstruct } from 'constructs';
import { validationError } from './cdk-compat';
import { COPY_TAG_PREFIX, HANDLER_TIMEOUT_SECONDS, OWNER_TAG_KEY } from './contract';
import { EncryptedStreams } from './encrypted-streams';
import { addHandlerLogs } from './handler-logs';
import { handlerRuntime, NAG_SUPPRESSIONS, runtimeNagRules, suppressInapplicableNagRules } from './nag';
import { HandlerPermission, PolicyBudget } from './policy-budget';

/**
 * The handler's asset: a zip of its bundle (`index.js`), built, minified and
 * zipped at the library's build time and shipped in the npm package. The
 * consumer's synth neither bundles nor zips it: a `.zip` file given to
 * `lambda.Code.fromAsset` is uploaded as it is (AWS CDK API Reference,
 * `aws_lambda.Code.fromAsset`, "Either a directory with the Lambda code bundle
 * or a .zip file",
 * https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.aws_lambda.Code.html#static-fromwbrassetpath-options;
 * a file asset's packaging is `FILE`, "a single file, which should be uploaded
 * to Amazon S3", https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.FileAssetPackaging.html).
 */
export const HANDLER_ASSET_ZIP = path.join(__dirname, '..', '..', 'assets', 'stream-encryption-handler.zip');

/**
 * The guard's asset (its repair function only), built and shipped like the
 * handler's: a stack uploads it only when it has a guard.
 */
export const GUARD_ASSET_ZIP = path.join(__dirname, '..', '..', 'assets', 'stream-encryption-guard.zip');

/**
 * What one `StreamEncryptionHandler.configure` call asks of the handler's log
 * group; `undefined` leaves the choice to the other calls, or the library's
 * default.
 */
export interface HandlerLogOptions {
  /** How long the log group keeps its events. */
  readonly logRetention?: logs.RetentionDays;
  /** What becomes of the log group and its key when the stack no longer has them. */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/** A log option some construct set, and which construct. */
interface LogChoice {
  readonly value: logs.RetentionDays | RemovalPolicy;
  readonly by: string;
}

/** Construct id of the provider, a direct child of its stack. */
export const PROVIDER_ID = 'CdkStreamEncryptionProvider';

/**
 * The condition of the handler's statement on a stream, of every kind: every
 * tag key a request names is the owner tag key or a claim tag key (its prefix
 * and 8 characters, `?` each). It binds the requests that
 * carry `aws:TagKeys` (tag and untag, which always name at least one key),
 * while the reads, Start and Stop, which carry none, are allowed as they are
 * (`ForAllValues` holds for an absent key). One statement thus names each
 * stream ARN once, which keeps the policies small.
 */
export const OWNER_TAG_ONLY = { 'ForAllValues:StringLike': { 'aws:TagKeys': [OWNER_TAG_KEY, `${COPY_TAG_PREFIX}????????`] } };

/** The condition that every tag key a request names is `key` (see {@link OWNER_TAG_ONLY}). */
export function tagKeysOnly(key: string) {
  return { 'ForAllValues:StringEquals': { 'aws:TagKeys': key } };
}

/**
 * The custom-resource provider shared by every stream encryption in a stack:
 * one handler function, its role, its log group and the log group's key,
 * however many streams.
 *
 * Constructs never create it directly: they call `StreamEncryptionProvider.of`,
 * which finds the stack's provider by id (no module-level cache) or makes it.
 * Each construct then claims its stream (`claim`: one construct per stream)
 * and allows the handler only what it needs on its own stream and key
 * (`allow`), in the role's managed policies, which are split to stay within
 * IAM's size limit and named by their content (see `PolicyBudget`). The
 * handler's log permissions are a policy of their own, `logsPolicy`, which
 * no stream changes.
 */
export class StreamEncryptionProvider extends Construct {
  /** The provider of `scope`'s stack, created on first use. */
  public static of(scope: IConstruct): StreamEncryptionProvider {
    const stack = Stack.of(scope);
    const existing = stack.node.tryFindChild(PROVIDER_ID);
    if (existing instanceof StreamEncryptionProvider) {
      return existing;
    }
    if (existing) {
      throw validationError(
        existing,
        `${existing.node.path}: the construct id '${PROVIDER_ID}' is already used in stack ${stack.stackName} by another construct; rename that construct so cdk-stream-encryption can add its provider.`,
      );
    }
    return new StreamEncryptionProvider(stack, PROVIDER_ID);
  }

  /** The handler function. */
  public readonly handler: lambda.Function;
  /** The handler's execution role. */
  public readonly role: iam.Role;
  /** The handler's log group, encrypted with `logKey`. */
  public readonly logGroup: logs.LogGroup;
  /** The key that encrypts the handler's logs. */
  public readonly logKey: kms.Key;
  /** The managed policy that lets the handler write its logs. */
  public readonly logsPolicy: iam.ManagedPolicy;

  private readonly budget: PolicyBudget;
  /** The construct that claimed each stream, by the stream's identity. */
  private readonly claims = new Map<string, string>();
  /** The log options set so far, by prop name. */
  private readonly logChoices = new Map<keyof HandlerLogOptions, LogChoice>();

  private constructor(scope: Construct, id: string) {
    super(scope, id);

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Execution role of the cdk-stream-encryption handler',
    });
    const handlerLogs = addHandlerLogs(this, this.role);
    this.logKey = handlerLogs.logKey;
    this.logGroup = handlerLogs.logGroup;
    this.logsPolicy = handlerLogs.policy;
    this.budget = new PolicyBudget(this, this.role, `${PROVIDER_ID}Policy`, () => this.claims.size);

    const runtime = handlerRuntime(this);
    this.handler = new lambda.Function(this, 'Handler', {
      description: 'Turns stream server-side encryption on and off for CloudFormation (cdk-stream-encryption)',
      runtime,
      architecture: lambda.Architecture.ARM_64,
      code: lambda.Code.fromAsset(HANDLER_ASSET_ZIP),
      handler: 'index.handler',
      timeout: Duration.seconds(HANDLER_TIMEOUT_SECONDS),
      memorySize: 256,
      role: this.role,
      logGroup: this.logGroup,
    });
    // It may log from its first invocation.
    this.handler.node.addDependency(this.logsPolicy);

    suppressInapplicableNagRules(this.handler, this.logsPolicy, handlerLogs.logStreamsArn, [
      NAG_SUPPRESSIONS.concurrency,
      NAG_SUPPRESSIONS.deadLetterQueue,
      NAG_SUPPRESSIONS.vpc,
      ...runtimeNagRules(runtime),
    ]);
  }

  /** The ARN CloudFormation invokes for each custom resource. */
  public get serviceToken(): string {
    return this.handler.functionArn;
  }

  /** The managed policies that name the streams and keys, in the order they were created. */
  public get policies(): iam.ManagedPolicy[] {
    return this.budget.policies;
  }

  /**
   * Record that the construct at `path` encrypts the stream `identity`
   * (see `streamIdentity`); a second construct on the same stream in this
   * stack is refused, naming both.
   *
   * @param identity - the stream, as its ARN resolves in this stack.
   * @param claimant - the claiming construct.
   * @param prop - the prop that holds the stream, for the message.
   * @param stream - the stream construct, recorded with its L1 resource (if
   * any) for `EncryptedStreams.claimantOf`.
   */
  public claim(identity: string, claimant: IConstruct, prop: string, stream: IConstruct): void {
    const owner = this.claims.get(identity);
    const claimantPath = claimant.node.path;
    if (owner !== undefined) {
      throw validationError(
        claimant,
        `${claimantPath}: ${prop} is the stream ${owner} already encrypts in this stack; two constructs on one stream would undo each other's encryption. Keep one construct per stream: remove ${claimantPath}, or point its ${prop} at another stream.`,
      );
    }
    this.claims.set(identity, claimantPath);
    EncryptedStreams.of(this).record(identity, claimant, prop, stream);
  }

  /**
   * Apply the handler settings `StreamEncryptionHandler.configure` was given
   * for `requesterScope`. The log group is the stack's one handler's, so
   * every call for the stack that sets an option must set it to the same
   * value; a conflicting value is refused, naming both scopes.
   */
  public configureLogs(options: HandlerLogOptions, requesterScope: IConstruct): void {
    const { logRetention, logRemovalPolicy } = options;
    const requester = requesterScope.node.path;
    if (logRemovalPolicy !== undefined && logRemovalPolicy !== RemovalPolicy.RETAIN && logRemovalPolicy !== RemovalPolicy.DESTROY) {
      throw validationError(
        requesterScope,
        `${requester}: logRemovalPolicy must be RemovalPolicy.RETAIN (keep the handler's log group and its key; the default) or RemovalPolicy.DESTROY (delete the log group and schedule its key's deletion with the stack), got ${logRemovalPolicy}.`,
      );
    }
    if (logRetention !== undefined && this.choose('logRetention', logRetention, requesterScope)) {
      const cfn = this.logGroup.node.defaultChild as logs.CfnLogGroup;
      cfn.retentionInDays = logRetention === logs.RetentionDays.INFINITE ? undefined : logRetention;
      if (logRetention === logs.RetentionDays.INFINITE) {
        Annotations.of(this.logGroup).addWarningV2(
          'cdk-stream-encryption:handlerLogGroupWithoutRetention',
          `logRetention RetentionDays.INFINITE (set for ${requester}) leaves the handler's log group without a retention period, which the cdk-nag NIST 800-53 R5, HIPAA Security and PCI DSS 3.2.1 packs report (CloudWatchLogGroupRetentionPeriod); to keep the logs for long and the packs clean, give a retention instead, e.g. logs.RetentionDays.TEN_YEARS.`,
        );
      }
    }
    if (logRemovalPolicy !== undefined && this.choose('logRemovalPolicy', logRemovalPolicy, requesterScope)) {
      this.logGroup.applyRemovalPolicy(logRemovalPolicy);
      this.logKey.applyRemovalPolicy(logRemovalPolicy);
    }
  }

  /** Record `prop` = `value` for `requester`; `false` when it was set to that value before. */
  private choose(prop: keyof HandlerLogOptions, value: logs.RetentionDays | RemovalPolicy, requesterScope: IConstruct): boolean {
    const requester = requesterScope.node.path;
    const earlier = this.logChoices.get(prop);
    if (earlier === undefined) {
      this.logChoices.set(prop, { value, by: requester });
      return true;
    }
    if (earlier.value !== value) {
      throw validationError(
        requesterScope,
        `${requester}: StreamEncryptionHandler.configure sets ${prop} ${describeLogOption(prop, value)}, but a call for ${earlier.by} set it ${describeLogOption(prop, earlier.value)}, and both configure the one handler log group of stack ${Stack.of(this).stackName}; call StreamEncryptionHandler.configure once per stack, or give every call the same ${prop}.`,
      );
    }
    return false;
  }

  /**
   * Allow the handler what a construct needs on its stream and key: each
   * permission once, in the role's managed policies.
   */
  public allow(...permissions: HandlerPermission[]): void {
    for (const permission of permissions) {
      this.budget.allow(permission);
    }
  }
}

/** A log option's value as a user writes it. */
function describeLogOption(prop: keyof HandlerLogOptions, value: logs.RetentionDays | RemovalPolicy): string {
  if (prop === 'logRemovalPolicy') {
    return `RemovalPolicy.${String(value).toUpperCase()}`;
  }
  return value === logs.RetentionDays.INFINITE ? 'RetentionDays.INFINITE' : `${value} days`;
}
