/**
 * The cdk-nag rules that cannot apply to the custom-resource handler, and
 * how their suppressions are recorded on the handler's resources.
 *
 * Not part of the public jsii API.
 */
import { CfnResource } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';

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

/**
 * Record, as cdk-nag metadata, the rules that cannot apply to a custom
 * resource handler, each with its reason: on the function, and on the
 * managed policy that lets it write to its log streams. Every other finding
 * is fixed.
 */
export function suppressInapplicableNagRules(handler: lambda.Function, logPolicy: iam.ManagedPolicy): void {
  const fn = handler.node.defaultChild as CfnResource;
  const functionRules = [NAG_SUPPRESSIONS.concurrency, NAG_SUPPRESSIONS.deadLetterQueue, NAG_SUPPRESSIONS.vpc];
  fn.addMetadata('cdk_nag', {
    rules_to_suppress: functionRules.flatMap((rule) => rule.ids.map((id) => ({ id, reason: rule.reason }))),
  });
  (logPolicy.node.defaultChild as CfnResource).addMetadata('cdk_nag', {
    rules_to_suppress: [
      {
        id: NAG_SUPPRESSIONS.logStreams.id,
        reason: NAG_SUPPRESSIONS.logStreams.reason,
        applies_to: [{ regex: '/^Resource::arn:<AWS::Partition>:logs:.*:log-group:.*:log-stream:\\*$/g' }],
      },
    ],
  });
}
