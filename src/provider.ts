import * as path from 'path';
import { ArnFormat, Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { HANDLER_TIMEOUT_SECONDS } from './handler-contract';

/**
 * Folder of the handler bundle, built by esbuild at the library's build time
 * and shipped in the npm package. The consumer's synth only zips it.
 */
export const HANDLER_ASSET_DIR = path.join(__dirname, '..', 'assets', 'stream-encryption-handler');

/** Construct id of the provider, a direct child of its stack. */
export const PROVIDER_ID = 'CdkStreamEncryptionProvider';

/**
 * Most ARNs in one generated IAM statement. Keeping statements small lets CDK
 * move whole statements into overflow policies when a stack manages many
 * streams, instead of failing on one statement larger than a policy.
 */
const MAX_ARNS_PER_STATEMENT = 20;

/**
 * A list of policy statements with the same actions and conditions whose
 * resources are appended one ARN at a time, a new statement every
 * `MAX_ARNS_PER_STATEMENT` ARNs.
 */
class ScopedStatements {
  private readonly arns = new Set<string>();
  private current?: iam.PolicyStatement;
  private count = 0;

  constructor(
    private readonly role: iam.Role,
    private readonly actions: string[],
    private readonly conditions?: Record<string, unknown>,
  ) {}

  /** Allow the actions on one more ARN (once, however often it is added). */
  public add(arn: string): void {
    if (this.arns.has(arn)) {
      return;
    }
    this.arns.add(arn);
    if (!this.current || this.count >= MAX_ARNS_PER_STATEMENT) {
      this.current = new iam.PolicyStatement({ actions: this.actions, conditions: this.conditions });
      this.count = 0;
      this.role.addToPrincipalPolicy(this.current);
    }
    this.current.addResources(arn);
    this.count++;
  }
}

/**
 * The custom-resource provider shared by every stream encryption in a stack:
 * one handler function, its role and its log group, however many streams.
 *
 * Constructs never create it directly: they call `StreamEncryptionProvider.of`,
 * which finds the stack's provider by id (no module-level cache) or makes it.
 * Each construct then adds only the ARNs of its own stream and key to the
 * role's statements.
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
  /** The handler's log group. */
  public readonly logGroup: logs.LogGroup;

  private readonly firehoseStreams: ScopedStatements;
  private readonly keyDescribe: ScopedStatements;
  private readonly keyGrants: ScopedStatements;

  private constructor(scope: Construct, id: string) {
    super(scope, id);

    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Execution role of the cdk-stream-encryption handler',
    });

    const stack = Stack.of(this);
    const logGroupArn = stack.formatArn({
      service: 'logs',
      resource: 'log-group',
      resourceName: this.logGroup.logGroupName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'WriteOwnLogGroupOnly',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        // Lambda names its log streams at run time, so the streams of this one
        // log group are the narrowest resource that can be named.
        resources: [logGroupArn, `${logGroupArn}:log-stream:*`],
      }),
    );

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

    this.firehoseStreams = new ScopedStatements(this.role, [
      'firehose:DescribeDeliveryStream',
      'firehose:StartDeliveryStreamEncryption',
      'firehose:StopDeliveryStreamEncryption',
    ]);
    this.keyDescribe = new ScopedStatements(this.role, ['kms:DescribeKey']);
    this.keyGrants = new ScopedStatements(this.role, ['kms:CreateGrant'], {
      Bool: { 'kms:GrantIsForAWSResource': true },
    });
  }

  /** The ARN CloudFormation invokes for each custom resource. */
  public get serviceToken(): string {
    return this.handler.functionArn;
  }

  /** Allow the handler to read, encrypt and decrypt one delivery stream. */
  public manageDeliveryStream(deliveryStreamArn: string): void {
    this.firehoseStreams.add(deliveryStreamArn);
  }

  /**
   * Allow the handler to check one key and let the stream's service create
   * its grant on it (the grant is only possible for an AWS service).
   */
  public useKey(keyArn: string): void {
    this.keyDescribe.add(keyArn);
    this.keyGrants.add(keyArn);
  }
}

/** Whether a resolved ARN names a KMS alias rather than a key. */
export function isAliasArn(arn: string): boolean {
  return !Token.isUnresolved(arn) && /^arn:[^:]+:kms:[^:]*:[^:]*:alias\//.test(arn);
}
