/**
 * The handler's log group, the key that encrypts it, and what the handler
 * needs to write to it.
 *
 * Not part of the public jsii API.
 */
import { ArnFormat, Aws, Fn, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { accountKeyPolicy } from './key-policy';

/** How long the handler's log group keeps its events unless a construct says otherwise. */
export const DEFAULT_LOG_RETENTION = logs.RetentionDays.ONE_YEAR;

/** What becomes of the handler's log group and its key unless a construct says otherwise. */
export const DEFAULT_LOG_REMOVAL_POLICY = RemovalPolicy.RETAIN;

/** The handler's log group, its key, and the policy that lets the handler write to it. */
export interface HandlerLogs {
  /** The log group, encrypted with `logKey`. */
  readonly logGroup: logs.LogGroup;
  /** The key that encrypts the log group. */
  readonly logKey: kms.Key;
  /**
   * The managed policy `LogsPolicy`, attached to the role: Lambda names its
   * log streams at run time, so the streams of this one log group are the
   * narrowest resource that can be named: the permissions to create them and
   * write to them, on the log group and on its streams. Its content never
   * depends on the streams, so no update ever changes it.
   */
  readonly policy: iam.ManagedPolicy;
  /** The ARN of the log group's streams (`…:log-stream:*`), the one wildcard the policy holds. */
  readonly logStreamsArn: string;
}

/** How a function's log group differs from the handler's. */
export interface HandlerLogsOptions {
  /**
   * What follows the handler's log group name, for another function of the
   * library (e.g. `/guard`).
   *
   * @default - the handler's own log group
   */
  readonly nameSuffix?: string;
  /**
   * How long the logs are kept.
   *
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly retention?: logs.RetentionDays;
  /**
   * What the function is, for the key's and the policy's descriptions.
   *
   * @default 'handler'
   */
  readonly functionName?: string;
}

/**
 * Add the handler's log group (`LogGroup`), its key (`LogKey`) and the
 * policy that lets `role` write to it (`LogsPolicy`) to `scope`. The log
 * group and its key outlive the stack: the logs are the record of what was
 * changed.
 */
export function addHandlerLogs(scope: Construct, role: iam.IRole, options: HandlerLogsOptions = {}): HandlerLogs {
  const what = options.functionName ?? 'handler';
  const stack = Stack.of(scope);

  // A name the key policy can name without depending on the log group: the
  // stack's name and the id of this deployment of it (a stack deleted and
  // deployed again gets a new id, so its retained logs never collide).
  const stackUuid = Fn.select(2, Fn.split('/', stack.stackId));
  const logGroupName = `/cdk-stream-encryption/${stack.stackName}/${stackUuid}${options.nameSuffix ?? ''}`;
  const logGroupArn = stack.formatArn({
    // The partition as the pseudo parameter also under `@aws-cdk/core:enablePartitionLiterals`
    // (which `cdk init` sets): the cdk-nag 2 suppression of the log-stream wildcard matches it.
    partition: Aws.PARTITION,
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
  const logKey = new kms.Key(scope, 'LogKey', {
    description: `Encrypts the logs of the cdk-stream-encryption ${what} of stack ${stack.stackName}`,
    enableKeyRotation: true,
    policy: logKeyPolicy,
    // the logs outlive the stack (they are the record of what was changed), so their key does too
    removalPolicy: DEFAULT_LOG_REMOVAL_POLICY,
  });

  const logGroup = new logs.LogGroup(scope, 'LogGroup', {
    logGroupName,
    encryptionKey: logKey,
    retention: options.retention ?? DEFAULT_LOG_RETENTION,
    removalPolicy: DEFAULT_LOG_REMOVAL_POLICY,
  });

  const logStreamsArn = `${logGroupArn}:log-stream:*`;
  const policy = new iam.ManagedPolicy(scope, 'LogsPolicy', {
    roles: [role],
    description: `Lets the cdk-stream-encryption ${what} write to its own log group`,
    statements: [
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroupArn, logStreamsArn],
      }),
    ],
  });
  return { logGroup, logKey, policy, logStreamsArn };
}
