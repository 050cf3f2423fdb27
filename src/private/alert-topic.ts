/**
 * The SNS topic the library's alerts go to when the user names none: one per
 * stack, encrypted with a key of its own that the services which publish
 * alerts (EventBridge rules, and CloudWatch alarms of this account) may use.
 * Which rules and alarms may publish is the topic policy's to say
 * (`aws:SourceArn`, see key-health-alarms.ts).
 *
 * Not part of the public jsii API.
 */
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { accountKeyPolicy } from './key-policy';

/** Construct id of the stack's alert topic holder, a direct child of its stack. */
export const ALERT_TOPIC_ID = 'CdkStreamEncryptionAlerts';

/**
 * The actions a publishing service needs on the key of an encrypted topic
 * (SNS developer guide, "Key management", "Enable compatibility between event
 * sources from AWS services and encrypted topics",
 * https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services).
 */
export const ALERT_PUBLISHER_KEY_ACTIONS: readonly string[] = ['kms:Decrypt', 'kms:GenerateDataKey'];

/**
 * The stack's alert topic and its key, created on first use.
 */
export class AlertTopic extends Construct {
  /** The alert topic of `scope`'s stack, created on first use. */
  public static of(scope: Construct): AlertTopic {
    const stack = Stack.of(scope);
    const existing = stack.node.tryFindChild(ALERT_TOPIC_ID);
    if (existing instanceof AlertTopic) {
      return existing;
    }
    return new AlertTopic(stack, ALERT_TOPIC_ID);
  }

  /** The topic. */
  public readonly topic: sns.Topic;

  /** The key the topic is encrypted with. */
  public readonly key: kms.Key;

  private constructor(scope: Construct, id: string) {
    super(scope, id);
    const stack = Stack.of(this);
    const policy = accountKeyPolicy();
    policy.addStatements(
      // No aws:SourceAccount, aws:SourceArn or aws:SourceOrgID: the same SNS
      // page says they are not supported in a key policy for
      // EventBridge-to-encrypted topics, and with one the topic never takes
      // the rule's message. The topic policy names the library's rules.
      new iam.PolicyStatement({
        sid: 'EventBridgeUsesThisKey',
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: [...ALERT_PUBLISHER_KEY_ACTIONS],
        // In a key policy, "*" means this key: the only resource it can name.
        resources: ['*'],
      }),
      // For other event sources, CloudWatch among them, the page recommends
      // the source keys in the key policy.
      new iam.PolicyStatement({
        sid: 'CloudWatchUsesThisKey',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: [...ALERT_PUBLISHER_KEY_ACTIONS],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    );
    this.key = new kms.Key(this, 'Key', {
      description: 'Encryption of the stream encryption alerts topic (cdk-stream-encryption)',
      enableKeyRotation: true,
      policy,
      // Alerts are not records: nothing stays encrypted with this key once
      // delivered, but a retained key costs little and an undelivered alert
      // stays readable.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.topic = new sns.Topic(this, 'Topic', {
      displayName: 'Stream encryption alerts',
      masterKey: this.key,
      enforceSSL: true,
    });
  }
}

/** `given`, or the alert topic of `scope`'s stack. */
export function alertTopicFor(scope: Construct, given?: sns.ITopic): sns.ITopic {
  return given ?? AlertTopic.of(scope).topic;
}
