import * as path from 'path';
import { Annotations, ArnFormat, CfnResource, Duration, Fn, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct, IConstruct } from 'constructs';
import { HANDLER_TIMEOUT_SECONDS, OWNER_TAG_KEY } from './contract';
import { accountKeyPolicy } from './key-policy';

/**
 * Folder of the handler bundle, built by esbuild at the library's build time
 * and shipped in the npm package. The consumer's synth only zips it.
 */
export const HANDLER_ASSET_DIR = path.join(__dirname, '..', '..', 'assets', 'stream-encryption-handler');

/** Construct id of the provider, a direct child of its stack. */
export const PROVIDER_ID = 'CdkStreamEncryptionProvider';

/**
 * Budget, in characters, of one managed policy document. IAM allows 6,144
 * characters (white space excluded); the rest is a safety margin for the
 * estimate of values only known at deploy time.
 */
const POLICY_CHARACTER_BUDGET = 6_000;

/**
 * Longest ARN of a KMS key in any partition
 * (`arn:aws-us-gov:kms:us-gov-west-1:123456789012:key/` and a 36-character id).
 */
const KEY_ARN_MAX_LENGTH = 86;

/**
 * The condition of the handler's statement on a stream: every tag key a
 * request names is the owner tag key. It binds the requests that carry
 * `aws:TagKeys` (tag and untag, which always name at least one key), while
 * the reads, Start and Stop, which carry none, are allowed as they are
 * (`ForAllValues` holds for an absent key). One statement thus names each
 * stream ARN once, which keeps the policies small.
 */
const OWNER_TAG_ONLY = {
  'ForAllValues:StringEquals': { 'aws:TagKeys': OWNER_TAG_KEY },
};

/** Managed policies a role may have attached under the default IAM quota. */
const DEFAULT_MANAGED_POLICIES_PER_ROLE_QUOTA = 10;

/**
 * The cdk-nag rules that cannot apply to a CloudFormation custom-resource
 * handler, with the reason each is suppressed. Listed in the README.
 */
export const NAG_SUPPRESSIONS = {
  logStreams: {
    id: 'AwsSolutions-IAM5',
    reason:
      'Lambda names its log streams at run time; the wildcard covers only the log streams of the handler\'s own log group.',
  },
  concurrency: {
    ids: ['NIST.800.53.R5-LambdaConcurrency', 'HIPAA.Security-LambdaConcurrency'],
    reason:
      'CloudFormation invokes the handler once per resource operation, which bounds its concurrency; reserving concurrency would fail deployments in accounts with a low concurrency quota and queue handlers past their CloudFormation timeout.',
  },
  deadLetterQueue: {
    ids: ['NIST.800.53.R5-LambdaDLQ', 'HIPAA.Security-LambdaDLQ'],
    reason:
      'The handler reports every failure to CloudFormation itself, and the custom resource ServiceTimeout bounds a lost answer; a dead-letter queue would hold events nobody can replay.',
  },
  vpc: {
    ids: ['NIST.800.53.R5-LambdaInsideVPC', 'HIPAA.Security-LambdaInsideVPC', 'PCI.DSS.321-LambdaInsideVPC'],
    reason:
      'The handler calls only AWS APIs (Firehose, Kinesis, KMS) and the pre-signed CloudFormation response URL; it reads no data and needs no network access to private resources.',
  },
};

/** Upper bounds of values known only at deploy time, for one kind of stream. */
interface ResolvedSizes {
  /** A resource's name (`Ref` of a stream). */
  readonly name: number;
  /** A resource's ARN (`Fn::GetAtt` of a stream or key). */
  readonly arn: number;
  /** Any other value (an imported value, a selected element, …). */
  readonly other: number;
}

/**
 * Delivery streams: names of at most 64 characters, and ARNs in the longest
 * partition and region with such a name.
 */
const DELIVERY_STREAM_SIZES: ResolvedSizes = { name: 64, arn: 130, other: 128 };

/**
 * Kinesis data streams: names of at most 128 characters
 * (`arn:aws-us-gov:kinesis:us-gov-west-1:123456789012:stream/` and the name).
 */
const DATA_STREAM_SIZES: ResolvedSizes = { name: 128, arn: 186, other: 186 };

/**
 * Estimated length of a value in a policy document once CloudFormation has
 * resolved it, erring on the long side.
 */
function estimatedLength(value: unknown, sizes: ResolvedSizes = DELIVERY_STREAM_SIZES): number {
  if (typeof value === 'string') {
    return value.length;
  }
  if (Array.isArray(value)) {
    return value.reduce((sum: number, v) => sum + estimatedLength(v, sizes), 0);
  }
  if (value && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    if ('Fn::Join' in obj) {
      const [sep, parts] = obj['Fn::Join'] as [string, unknown[]];
      return parts.reduce((sum: number, p) => sum + estimatedLength(p, sizes), 0) + sep.length * Math.max(parts.length - 1, 0);
    }
    if ('Ref' in obj) {
      const known: Record<string, number> = {
        'AWS::Partition': 10,
        'AWS::Region': 14,
        'AWS::AccountId': 12,
        'AWS::URLSuffix': 13,
      };
      return known[obj.Ref as string] ?? sizes.name;
    }
    if ('Fn::GetAtt' in obj) {
      return sizes.arn;
    }
  }
  return sizes.other;
}

/**
 * Estimated length of a statement's `Condition` block once resolved: its
 * operators and keys as written, its values as {@link estimatedLength}.
 */
function estimatedConditionsLength(conditions: Record<string, Record<string, unknown>>, sizes: ResolvedSizes): number {
  let length = 2;
  for (const [operator, keys] of Object.entries(conditions)) {
    length += operator.length + 6;
    for (const [key, value] of Object.entries(keys)) {
      length += key.length + 6 + estimatedLength(value, sizes);
    }
  }
  return length;
}

/** Characters of a policy document: as IAM counts it once resolved (an estimate), and as the template writes it. */
interface PolicySize {
  /** Once CloudFormation has resolved every value (an upper estimate). */
  readonly resolved: number;
  /** As written in the template, where an `Fn::Join` ARN is longer than its value. */
  readonly template: number;
}

/**
 * One managed policy of the handler role, and its statements whose
 * resources grow one ARN at a time. The policy is full when its size passes
 * the budget either as IAM counts it or as the template writes it.
 */
class PolicyChunk {
  public readonly policy: iam.ManagedPolicy;
  private size: PolicySize = { resolved: 100, template: 100 }; // the document's own overhead
  private readonly statements = new Map<string, iam.PolicyStatement>();

  constructor(scope: Construct, id: string, role: iam.IRole) {
    this.policy = new iam.ManagedPolicy(scope, id, {
      roles: [role],
      description: 'Permissions of the cdk-stream-encryption handler on the streams and keys it manages',
    });
  }

  /** Whether `permission` still fits in this policy. */
  public fits(permission: Permission): boolean {
    const cost = this.costOf(permission);
    return this.size.resolved + cost.resolved <= POLICY_CHARACTER_BUDGET && this.size.template + cost.template <= POLICY_CHARACTER_BUDGET;
  }

  /** Add `permission` to the statement with its actions and conditions. */
  public allow(permission: Permission): void {
    const cost = this.costOf(permission);
    this.size = { resolved: this.size.resolved + cost.resolved, template: this.size.template + cost.template };
    const key = statementKey(permission);
    let statement = this.statements.get(key);
    if (!statement) {
      statement = new iam.PolicyStatement({ actions: permission.actions, conditions: permission.conditions });
      this.statements.set(key, statement);
      this.policy.addStatements(statement);
    }
    statement.addResources(permission.arn);
  }

  /** Characters `permission` adds: its ARN, and a new statement when none has its actions yet. */
  private costOf(permission: Permission): PolicySize {
    const resolved = permission.arnLength + 3;
    const template = JSON.stringify(Stack.of(this.policy).resolve(permission.arn)).length + 1;
    if (this.statements.has(statementKey(permission))) {
      return { resolved, template };
    }
    const statement = 50 + JSON.stringify(permission.actions).length;
    return {
      resolved: resolved + statement + (permission.conditionsLength ?? JSON.stringify(permission.conditions ?? {}).length),
      template: template + statement + JSON.stringify(permission.resolvedConditions ?? permission.conditions ?? {}).length,
    };
  }
}

function statementKey(permission: Permission): string {
  return JSON.stringify([permission.actions, permission.resolvedConditions ?? permission.conditions]);
}

function estimatedArnLength(scope: IConstruct, arn: string, sizes: ResolvedSizes = DELIVERY_STREAM_SIZES): number {
  return Token.isUnresolved(arn) ? estimatedLength(Stack.of(scope).resolve(arn), sizes) : arn.length;
}

/** A grant the handler needs: actions on one ARN. */
interface Permission {
  readonly actions: string[];
  readonly arn: string;
  /** Length of the ARN once resolved, or an upper estimate of it. */
  readonly arnLength: number;
  readonly conditions?: Record<string, unknown>;
  /**
   * The conditions as CloudFormation will see them, when they hold values
   * known only at deploy time (these group statements and tell permissions apart).
   */
  readonly resolvedConditions?: unknown;
  /** Length of the conditions once resolved, or an upper estimate of it (default: their JSON as written). */
  readonly conditionsLength?: number;
}

/**
 * The custom-resource provider shared by every stream encryption in a stack:
 * one handler function, its role, its log group and the log group's key,
 * however many streams.
 *
 * Constructs never create it directly: they call `StreamEncryptionProvider.of`,
 * which finds the stack's provider by id (no module-level cache) or makes it.
 * Each construct then adds only the ARNs of its own stream and key to the
 * role's managed policies, which are split to stay within IAM's size limit.
 */
export class StreamEncryptionProvider extends Construct {
  /** The provider of `scope`'s stack, created on first use. */
  public static of(scope: Construct): StreamEncryptionProvider {
    const stack = Stack.of(scope);
    const existing = stack.node.tryFindChild(PROVIDER_ID);
    if (existing instanceof StreamEncryptionProvider) {
      return existing;
    }
    if (existing) {
      throw new Error(
        `The construct id '${PROVIDER_ID}' is already used in stack ${stack.stackName} by another construct; rename that construct so cdk-stream-encryption can add its provider.`,
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

  private readonly chunks: PolicyChunk[] = [];
  private readonly granted = new Set<string>();

  private constructor(scope: Construct, id: string) {
    super(scope, id);
    const stack = Stack.of(this);

    // A name the key policy can name without depending on the log group: the
    // stack's name and the id of this deployment of it (a stack deleted and
    // deployed again gets a new id, so its retained logs never collide).
    const stackUuid = Fn.select(2, Fn.split('/', stack.stackId));
    const logGroupName = `/cdk-stream-encryption/${stack.stackName}/${stackUuid}`;
    const logGroupArn = stack.formatArn({
      service: 'logs',
      resource: 'log-group',
      resourceName: logGroupName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });

    const logKeyPolicy = accountKeyPolicy();
    logKeyPolicy.addStatements(
      new iam.PolicyStatement({
        sid: 'CloudWatchLogsEncryptsTheHandlerLogGroupOnly',
        principals: [new iam.ServicePrincipal(`logs.${stack.region}.${stack.urlSuffix}`)],
        actions: [
          'kms:Decrypt',
          'kms:DescribeKey',
          'kms:Encrypt',
          'kms:GenerateDataKey',
          'kms:GenerateDataKeyWithoutPlaintext',
          'kms:ReEncryptFrom',
          'kms:ReEncryptTo',
        ],
        resources: ['*'],
        conditions: { ArnEquals: { 'kms:EncryptionContext:aws:logs:arn': logGroupArn } },
      }),
    );
    this.logKey = new kms.Key(this, 'LogKey', {
      description: `Encrypts the logs of the cdk-stream-encryption handler of stack ${stack.stackName}`,
      enableKeyRotation: true,
      policy: logKeyPolicy,
      // the logs outlive the stack (they are the record of what was changed), so their key does too
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      logGroupName,
      encryptionKey: this.logKey,
      retention: logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Execution role of the cdk-stream-encryption handler',
    });

    // Lambda names its log streams at run time, so the streams of this one
    // log group are the narrowest resource that can be named.
    const logActions = ['logs:CreateLogStream', 'logs:PutLogEvents'];
    this.allow({ actions: logActions, arn: logGroupArn, arnLength: estimatedArnLength(this, logGroupArn) });
    const logStreams = `${logGroupArn}:log-stream:*`;
    this.allow({ actions: logActions, arn: logStreams, arnLength: estimatedArnLength(this, logStreams) });

    this.handler = new lambda.Function(this, 'Handler', {
      description: 'Turns stream server-side encryption on and off for CloudFormation (cdk-stream-encryption)',
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      code: lambda.Code.fromAsset(HANDLER_ASSET_DIR),
      handler: 'index.handler',
      timeout: Duration.seconds(HANDLER_TIMEOUT_SECONDS),
      memorySize: 256,
      role: this.role,
      logGroup: this.logGroup,
    });
    // It may log from its first invocation.
    this.handler.node.addDependency(this.chunks[0].policy);

    this.suppressInapplicableNagRules();
    this.node.addValidation({ validate: () => this.validateQuota() });
  }

  /** The ARN CloudFormation invokes for each custom resource. */
  public get serviceToken(): string {
    return this.handler.functionArn;
  }

  /** The managed policies of the handler role. */
  public get policies(): iam.ManagedPolicy[] {
    return this.chunks.map((c) => c.policy);
  }

  /**
   * Allow the handler to read, encrypt and decrypt one delivery stream, on
   * the stream's ARN only: `DescribeDeliveryStream` (read first),
   * `ListTagsForDeliveryStream` (read the owner tag before a Delete),
   * `StartDeliveryStreamEncryption` and `StopDeliveryStreamEncryption`; and
   * `TagDeliveryStream` and `UntagDeliveryStream` with the owner tag key only,
   * in one statement (see `OWNER_TAG_ONLY`).
   */
  public manageDeliveryStream(deliveryStreamArn: string): void {
    this.allow({
      actions: [
        'firehose:DescribeDeliveryStream',
        'firehose:ListTagsForDeliveryStream',
        'firehose:StartDeliveryStreamEncryption',
        'firehose:StopDeliveryStreamEncryption',
        'firehose:TagDeliveryStream',
        'firehose:UntagDeliveryStream',
      ],
      arn: deliveryStreamArn,
      arnLength: estimatedArnLength(this, deliveryStreamArn),
      conditions: OWNER_TAG_ONLY,
    });
  }

  /**
   * Allow the handler to check one key and let the stream's service create
   * its grant on it.
   *
   * One statement names the key once for both actions: `BoolIfExists` makes
   * `kms:GrantIsForAWSResource` bind `kms:CreateGrant` (a grant only for an
   * AWS service, never one the handler could use itself), while
   * `kms:DescribeKey`, whose requests carry no such key, is allowed as is.
   */
  public useKey(keyArn: string): void {
    this.allow({
      actions: ['kms:CreateGrant', 'kms:DescribeKey'],
      arn: keyArn,
      arnLength: Token.isUnresolved(keyArn) ? KEY_ARN_MAX_LENGTH : keyArn.length,
      conditions: { BoolIfExists: { 'kms:GrantIsForAWSResource': true } },
    });
  }

  /**
   * Allow the handler to read, encrypt and decrypt one Kinesis data stream,
   * on the stream's ARN only: `DescribeStreamSummary` (read first),
   * `ListTagsForStream` (read the owner tag before a Delete),
   * `StartStreamEncryption` and `StopStreamEncryption`; and `AddTagsToStream`
   * and `RemoveTagsFromStream` with the owner tag key only, in one statement
   * (see `OWNER_TAG_ONLY`).
   */
  public manageDataStream(streamArn: string): void {
    this.allow({
      actions: [
        'kinesis:DescribeStreamSummary',
        'kinesis:ListTagsForStream',
        'kinesis:StartStreamEncryption',
        'kinesis:StopStreamEncryption',
        'kinesis:AddTagsToStream',
        'kinesis:RemoveTagsFromStream',
      ],
      arn: streamArn,
      arnLength: estimatedArnLength(this, streamArn, DATA_STREAM_SIZES),
      conditions: OWNER_TAG_ONLY,
    });
  }

  /**
   * Allow the handler what Kinesis Data Streams needs from the caller of
   * `StartStreamEncryption` with a customer managed key, on that key only:
   *
   * - `kms:DescribeKey`, to check the key before Start (Kinesis documents it
   *   for stream administrators, too);
   * - `kms:GenerateDataKey`, only when Kinesis makes the request on the
   *   handler's behalf (`kms:ViaService`) for this one stream (encryption
   *   context `aws:kinesis:arn`): Kinesis checks that the caller may use the
   *   key, and answers `KMSAccessDeniedException` otherwise.
   *
   * The Kinesis managed key (`alias/aws/kinesis`) needs none of this.
   */
  public useKeyForDataStream(keyArn: string, streamArn: string): void {
    const keyArnLength = Token.isUnresolved(keyArn) ? KEY_ARN_MAX_LENGTH : keyArn.length;
    this.allow({ actions: ['kms:DescribeKey'], arn: keyArn, arnLength: keyArnLength });
    const stack = Stack.of(this);
    const conditions = {
      StringEquals: {
        'kms:ViaService': `kinesis.${stack.region}.${stack.urlSuffix}`,
        'kms:EncryptionContext:aws:kinesis:arn': streamArn,
      },
    };
    const resolvedConditions = stack.resolve(conditions);
    this.allow({
      actions: ['kms:GenerateDataKey'],
      arn: keyArn,
      arnLength: keyArnLength,
      conditions,
      resolvedConditions,
      conditionsLength: estimatedConditionsLength(resolvedConditions, DATA_STREAM_SIZES),
    });
  }

  /** Add one permission, once, to the current policy or, when it is full, a new one. */
  private allow(permission: Permission): void {
    const id = JSON.stringify([permission.actions, permission.resolvedConditions ?? permission.conditions, Stack.of(this).resolve(permission.arn)]);
    if (this.granted.has(id)) {
      return;
    }
    this.granted.add(id);
    let chunk = this.chunks[this.chunks.length - 1];
    if (!chunk || !chunk.fits(permission)) {
      chunk = new PolicyChunk(this, `Policy${this.chunks.length + 1}`, this.role);
      this.chunks.push(chunk);
    }
    chunk.allow(permission);
  }

  private validateQuota(): string[] {
    if (this.chunks.length > DEFAULT_MANAGED_POLICIES_PER_ROLE_QUOTA) {
      Annotations.of(this).addWarningV2(
        'cdk-stream-encryption:managedPolicyQuota',
        `The handler role needs ${this.chunks.length} managed policies to name every stream and key, above IAM's default quota of ${DEFAULT_MANAGED_POLICIES_PER_ROLE_QUOTA} per role. Raise the quota (up to 20), or spread the streams over more stacks.`,
      );
    }
    return [];
  }

  /**
   * Record, as cdk-nag metadata, the rules that cannot apply to a custom
   * resource handler, each with its reason. Every other finding is fixed.
   */
  private suppressInapplicableNagRules(): void {
    const fn = this.handler.node.defaultChild as CfnResource;
    fn.addMetadata('cdk_nag', {
      rules_to_suppress: [
        ...NAG_SUPPRESSIONS.concurrency.ids,
        ...NAG_SUPPRESSIONS.deadLetterQueue.ids,
        ...NAG_SUPPRESSIONS.vpc.ids,
      ].map((ruleId) => ({
        id: ruleId,
        reason: [NAG_SUPPRESSIONS.concurrency, NAG_SUPPRESSIONS.deadLetterQueue, NAG_SUPPRESSIONS.vpc].find((s) =>
          s.ids.includes(ruleId),
        )!.reason,
      })),
    });
    const logPolicy = this.chunks[0].policy.node.defaultChild as CfnResource;
    logPolicy.addMetadata('cdk_nag', {
      rules_to_suppress: [
        {
          id: NAG_SUPPRESSIONS.logStreams.id,
          reason: NAG_SUPPRESSIONS.logStreams.reason,
          applies_to: [{ regex: '/^Resource::arn:<AWS::Partition>:logs:.*:log-group:.*:log-stream:\\*$/g' }],
        },
      ],
    });
  }
}

/** Whether a resolved ARN names a KMS alias rather than a key. */
export function isAliasArn(arn: string): boolean {
  return !Token.isUnresolved(arn) && /^arn:[^:]+:kms:[^:]*:[^:]*:alias\//.test(arn);
}
