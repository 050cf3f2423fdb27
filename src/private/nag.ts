/**
 * The cdk-nag rules that cannot apply to the custom-resource handler, and
 * how their suppressions are recorded on the handler's resources.
 *
 * Not part of the public jsii API.
 */
import * as cdk from 'aws-cdk-lib';
import { CfnResource, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { IConstruct } from 'constructs';
import { CDK_FEATURES } from './cdk-compat';

/**
 * The cdk-nag rules the library suppresses, with the reason of each, listed
 * in docs/security.md: the rules that cannot apply to a CloudFormation
 * custom-resource handler (on the handler's resources), and the rules on
 * server-side encryption of a stream defined in the app that one of the
 * library's constructs encrypts (on that stream's L1 resource).
 */
export const NAG_SUPPRESSIONS = {
  encryptedDeliveryStream: {
    ids: ['AwsSolutions-KDF1'],
    reason:
      'A DeliveryStreamEncryption of cdk-stream-encryption turns on this delivery stream\'s server-side encryption (StartDeliveryStreamEncryption), and its deployment completes only once the stream reports ENABLED.',
  },
  encryptedDataStream: {
    ids: ['AwsSolutions-KDS1'],
    reason:
      'A DataStreamEncryption of cdk-stream-encryption turns on this data stream\'s server-side encryption (StartStreamEncryption), and its deployment completes only once the stream is ACTIVE with the key.',
  },
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
  guardConcurrency: {
    ids: ['NIST.800.53.R5-LambdaConcurrency', 'HIPAA.Security-LambdaConcurrency'],
    reason:
      'The guard is invoked only by its own EventBridge rules, once per change of a guarded stream\'s encryption, and each repair is capped per stream per day; Lambda queues asynchronous events, and reserving concurrency would fail deployments in accounts with a low concurrency quota.',
  },
  runtime: {
    ids: ['AwsSolutions-L1'],
    reason:
      'The function runs the newest Node.js runtime available in the stack\'s region as aws-cdk-lib picks it for its own functions (lambda.determineLatestNodeRuntime), or Node.js 22 where that is older or known only at deploy time. A newer runtime that aws-cdk-lib knows is not available in every region yet, and a deploy with it fails where it is missing.',
  },
  guardVpc: {
    ids: ['NIST.800.53.R5-LambdaInsideVPC', 'HIPAA.Security-LambdaInsideVPC', 'PCI.DSS.321-LambdaInsideVPC'],
    reason:
      'The guard calls only AWS APIs (Firehose, Kinesis, KMS, SNS); it reads no data and needs no network access to private resources.',
  },
};

/** A rule suppressed on a function, with its reason (an entry of {@link NAG_SUPPRESSIONS}). */
export interface FunctionNagRule {
  /** The rule ids, one per pack. */
  readonly ids: string[];
  /** Why the rule cannot apply. */
  readonly reason: string;
}

/**
 * Record the rules that cannot apply to a custom resource handler, each with
 * its reason, on the function and on the managed policy that lets it write to
 * its log streams, for both cdk-nag generations: as `cdk_nag` metadata on the
 * CloudFormation resources (cdk-nag 2), and as acknowledgements through
 * aws-cdk-lib's `Validations` (cdk-nag 3), where the app's aws-cdk-lib has
 * that API. cdk-nag 3 matches an acknowledgement by the finding's full id, so
 * the log-stream wildcard is acknowledged as `AwsSolutions-IAM5[Resource::…]`
 * with the ARN written as cdk-nag writes it. Every other finding is fixed.
 */
export function suppressInapplicableNagRules(
  handler: lambda.Function,
  logPolicy: iam.ManagedPolicy,
  logStreamsArn: string,
  functionRules: FunctionNagRule[] = [NAG_SUPPRESSIONS.concurrency, NAG_SUPPRESSIONS.deadLetterQueue, NAG_SUPPRESSIONS.vpc],
): void {
  const fn = handler.node.defaultChild as CfnResource;
  const functionAcknowledgements = functionRules.flatMap((rule) => rule.ids.map((id) => ({ id, reason: rule.reason })));
  fn.addMetadata('cdk_nag', { rules_to_suppress: functionAcknowledgements });
  (logPolicy.node.defaultChild as CfnResource).addMetadata('cdk_nag', {
    rules_to_suppress: [
      {
        id: NAG_SUPPRESSIONS.logStreams.id,
        reason: NAG_SUPPRESSIONS.logStreams.reason,
        applies_to: [{ regex: '/^Resource::arn:<AWS::Partition>:logs:.*:log-group:.*:log-stream:\\*$/g' }],
      },
    ],
  });

  acknowledge(handler, functionAcknowledgements);
  const finding = flattenCfnReference(Stack.of(logPolicy).resolve(logStreamsArn));
  acknowledge(logPolicy, [{ id: `${NAG_SUPPRESSIONS.logStreams.id}[Resource::${finding}]`, reason: NAG_SUPPRESSIONS.logStreams.reason }]);
}

/**
 * Suppress `rules` on `resource`, the L1 resource of a stream defined in the
 * app that a construct of the library encrypts, for both cdk-nag
 * generations: added to whatever `cdk_nag` metadata the resource already
 * has (the app's own suppressions stay, also of the same rule), and acknowledged through
 * `Validations` where the app's aws-cdk-lib has it.
 */
export function suppressEncryptedStreamNagRules(resource: CfnResource, rules: { readonly ids: string[]; readonly reason: string }): void {
  const acknowledgements = rules.ids.map((id) => ({ id, reason: rules.reason }));
  const existing = (resource.getMetadata('cdk_nag') ?? {}) as { rules_to_suppress?: Acknowledgement[] };
  const present = existing.rules_to_suppress ?? [];
  const added = acknowledgements.filter((rule) => !present.some((p) => p.id === rule.id));
  resource.addMetadata('cdk_nag', { ...existing, rules_to_suppress: [...present, ...added] });
  acknowledge(resource, acknowledgements);
}

/** One rule acknowledged, as aws-cdk-lib's `Validations.acknowledge` takes it. */
interface Acknowledgement {
  readonly id: string;
  readonly reason: string;
}

/** aws-cdk-lib's `Validations`, in the versions that have it (cdk-nag 3 needs them). */
interface ValidationsApi {
  of(scope: IConstruct): { acknowledge(...rules: Acknowledgement[]): void };
}

/** Acknowledge rules on `scope` through `Validations`, when the app's aws-cdk-lib has it; else nothing. */
function acknowledge(scope: IConstruct, rules: Acknowledgement[]): void {
  const validations = (cdk as unknown as { Validations?: ValidationsApi }).Validations;
  if (typeof validations?.of === 'function') {
    validations.of(scope).acknowledge(...rules);
  }
}

/**
 * A resolved CloudFormation value as one string, the way cdk-nag names the
 * resource of a finding: `Fn::Join` joined, `Ref` as `<Name>`, `Fn::GetAtt`
 * as `<Resource.Attribute>`, `Fn::Sub`'s `${…}` as `<…>`, and anything else
 * as its JSON.
 */
export function flattenCfnReference(value: unknown): string {
  if (value === undefined) {
    return '';
  }
  if (typeof value === 'string') {
    return value.replace(/\$\{/g, '<').replace(/\}/g, '>');
  }
  const node = value as Record<string, unknown>;
  if (node['Fn::Join']) {
    const [delimiter, items] = node['Fn::Join'] as [string, unknown[]];
    return items.map(flattenCfnReference).join(delimiter);
  }
  if (node['Fn::Sub']) {
    return flattenCfnReference(node['Fn::Sub']);
  }
  if (node['Fn::GetAtt']) {
    const [resource, attribute] = node['Fn::GetAtt'] as [unknown, unknown];
    return `<${flattenCfnReference(resource)}.${flattenCfnReference(attribute)}>`;
  }
  if (node['Fn::ImportValue']) {
    return flattenCfnReference(node['Fn::ImportValue']);
  }
  if (node.Ref) {
    return `<${flattenCfnReference(node.Ref)}>`;
  }
  return JSON.stringify(value);
}

/** The Node.js runtime the library's functions get where aws-cdk-lib offers no choice, or an older one. */
export const FLOOR_RUNTIME = lambda.Runtime.NODEJS_22_X;

/** The major version of a `nodejsNN.x` runtime name, if it is one. */
function nodeMajor(name: string): number | undefined {
  const match = /^nodejs(\d+)\.x$/.exec(name);
  return match ? Number(match[1]) : undefined;
}

/**
 * The Node.js runtime of the handler and the guard in `scope`'s stack: the
 * one aws-cdk-lib picks for its own functions,
 * `lambda.determineLatestNodeRuntime(scope)` (the newest runtime available
 * in the stack's region, by aws-cdk-lib's region facts), where the app's
 * aws-cdk-lib has it; Node.js 22 otherwise, and in its stead when it is
 * older (a runtime Lambda deprecates, which old region facts still name), or
 * when the stack's region is known only at deploy time (an
 * environment-agnostic stack, where aws-cdk-lib's choice is a lookup by
 * region that adds a mapping of every region to the template). Node.js 22 is available in every region; the handler
 * bundle is built for Node.js 20. A newer runtime of `Runtime.ALL` than this
 * one is not picked: a deploy to a region that lacks it fails.
 */
export function handlerRuntime(scope: IConstruct): lambda.Runtime {
  const determine = CDK_FEATURES.determineLatestNodeRuntime();
  // In an environment-agnostic stack, aws-cdk-lib's choice is a lookup by region, which adds a
  // mapping of every region to the stack even when its answer is not used: it is not asked.
  if (!determine || Token.isUnresolved(Stack.of(scope).region)) {
    return FLOOR_RUNTIME;
  }
  const runtime = determine(scope);
  if (Token.isUnresolved(runtime.name)) {
    return FLOOR_RUNTIME;
  }
  const major = nodeMajor(runtime.name);
  return major !== undefined && major >= nodeMajor(FLOOR_RUNTIME.name)! ? runtime : FLOOR_RUNTIME;
}

/**
 * The newest `nodejsNN.x` runtime of the app's aws-cdk-lib (`Runtime.ALL`),
 * which cdk-nag's `AwsSolutions-L1` asks every Node.js function to use.
 */
export function newestKnownNodeRuntime(): string {
  let newest = FLOOR_RUNTIME.name;
  for (const runtime of lambda.Runtime.ALL) {
    const major = nodeMajor(runtime.name);
    if (major !== undefined && major > nodeMajor(newest)!) {
      newest = runtime.name;
    }
  }
  return newest;
}

/**
 * The `AwsSolutions-L1` acknowledgement of a function on `runtime`, when
 * cdk-nag reports it: when `Runtime.ALL` names a newer Node.js runtime than
 * the one aws-cdk-lib picks for every region.
 */
export function runtimeNagRules(runtime: lambda.Runtime): FunctionNagRule[] {
  return runtime.name === newestKnownNodeRuntime() ? [] : [NAG_SUPPRESSIONS.runtime];
}
