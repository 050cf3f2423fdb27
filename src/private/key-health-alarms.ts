/**
 * The key health alarms of a stream encryption: one CloudWatch alarm per
 * Firehose KMS error metric, and an EventBridge rule on the CloudTrail
 * events that disable the stream's key or schedule its deletion, both
 * notifying one SNS topic.
 *
 * Not part of the public jsii API.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { alertTopicFor } from './alert-topic';
import { validationError } from './cdk-compat';
import { exactDuration } from './validation';
import type { KeyHealthAlarms, KeyHealthAlarmsOptions } from '../key-health';

/** The CloudWatch namespace of Firehose's metrics. */
export const FIREHOSE_NAMESPACE = 'AWS/Firehose';

/** The dimension that filters Firehose's metrics by delivery stream. */
export const FIREHOSE_STREAM_DIMENSION = 'DeliveryStreamName';

/** One of Firehose's KMS error metrics, and what it means for the stream. */
export interface KmsErrorMetric {
  /** The metric's name in `AWS/Firehose`. */
  readonly metricName: string;
  /** The KMS exception Firehose counts. */
  readonly exception: string;
  /** What happened to the key, as the alarm description says it. */
  readonly meaning: string;
  /** What to do about it. */
  readonly fix: string;
}

/**
 * Firehose's KMS error metrics (Firehose developer guide, "Server-Side
 * Encryption (SSE) CloudWatch Metrics"): each counts, per delivery stream,
 * the times Firehose met that KMS exception using the stream's customer
 * managed key, when it accepts records (`PutRecord`, `PutRecordBatch`) or
 * decrypts buffered records to deliver them.
 */
export const FIREHOSE_KMS_ERROR_METRICS: readonly KmsErrorMetric[] = [
  {
    metricName: 'KMSKeyAccessDenied',
    exception: 'KMSAccessDeniedException',
    meaning: 'Firehose may no longer use the stream\'s KMS key (its key policy, a grant or an SCP denies it)',
    fix: 'Restore the key policy statements or grants that let Firehose use the key.',
  },
  {
    metricName: 'KMSKeyDisabled',
    exception: 'KMSDisabledException',
    meaning: 'the stream\'s KMS key is disabled',
    fix: 'Enable the key (kms:EnableKey).',
  },
  {
    metricName: 'KMSKeyInvalidState',
    exception: 'KMSInvalidStateException',
    meaning: 'the stream\'s KMS key is in a state that cannot be used, such as pending deletion',
    fix: 'Cancel the key\'s deletion (kms:CancelKeyDeletion), then enable it.',
  },
  {
    metricName: 'KMSKeyNotFound',
    exception: 'KMSNotFoundException',
    meaning: 'the stream\'s KMS key no longer exists',
    fix: 'The key is deleted and cannot be restored: encrypt the stream with another key; records encrypted with the deleted key are lost.',
  },
];

/** The KMS API calls after which a key can no longer protect or reveal records. */
export const KEY_EVENT_NAMES: readonly string[] = ['DisableKey', 'ScheduleKeyDeletion'];

/** The alarm period of `addKeyHealthAlarms` when none is given. */
export const DEFAULT_ALARM_PERIOD = Duration.minutes(5);

/** Construct id of the key health resources under a stream encryption. */
const KEY_HEALTH_ID = 'KeyHealth';

/** How a stream encryption builds its key health alarms. */
export interface KeyHealthSpec {
  readonly options?: KeyHealthAlarmsOptions;
  /** The stream's metric by name; absent when the service publishes no KMS error metric. */
  readonly metric?: (metricName: string, props: cloudwatch.MetricOptions) => cloudwatch.Metric;
  /** The customer managed key whose events the rule watches; absent for keys AWS owns or manages. */
  readonly key?: kms.IKey;
  /** How alarm descriptions and the rule name the stream (`Firehose delivery stream orders`). */
  readonly streamLabel: string;
}

/**
 * Adds the key health alarms of a stream encryption under `owner`: an alarm
 * per KMS error metric (when the service has them) and the key events rule
 * (when the stream has a customer managed key), to the given topic or the
 * stack's alert topic.
 */
export function addKeyHealth(owner: Construct, spec: KeyHealthSpec): KeyHealthAlarms {
  if (owner.node.tryFindChild(KEY_HEALTH_ID)) {
    throw validationError(
      owner,
      `${owner.node.path}: addKeyHealthAlarms was called twice; call it once per stream encryption and keep the KeyHealthAlarms it returns.`,
    );
  }
  const options = spec.options ?? {};
  const period = options.period ?? DEFAULT_ALARM_PERIOD;
  validatePeriod(owner, period);
  const scope = new Construct(owner, KEY_HEALTH_ID);
  const topic = alertTopicFor(owner, options.topic);
  const alarms = spec.metric
    ? FIREHOSE_KMS_ERROR_METRICS.map((m) => addKmsErrorAlarm(scope, topic, spec.metric!(m.metricName, { period }), m, spec.streamLabel))
    : [];
  if (alarms.length > 0) allowAlarmsToPublish(topic, alarms);
  const keyEventsRule = spec.key ? addKeyEventsRule(scope, topic, spec.key, spec.streamLabel) : undefined;
  return { alarms, keyEventsRule, topic };
}

/**
 * An alarm that goes to ALARM when the metric counts one error or more in a
 * period, and back to OK after a period without any (missing data is not
 * breaching: Firehose publishes nothing while there is no error), notifying
 * `topic` both ways.
 */
function addKmsErrorAlarm(scope: Construct, topic: sns.ITopic, metric: cloudwatch.Metric, m: KmsErrorMetric, streamLabel: string): cloudwatch.Alarm {
  const alarm = new cloudwatch.Alarm(scope, `${m.metricName}Alarm`, {
    metric,
    threshold: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    alarmDescription:
      `${streamLabel}: Firehose met ${m.exception} (${m.metricName}): ${m.meaning}. ` +
      `Records it cannot encrypt are refused and buffered records it cannot decrypt stay undelivered; Firehose retries them for up to 24 hours, then drops them. ${m.fix}`,
  });
  const action = new cloudwatchActions.SnsAction(topic);
  alarm.addAlarmAction(action);
  alarm.addOkAction(action);
  return alarm;
}

/**
 * Lets CloudWatch publish these alarms' notifications to a topic defined in
 * the app (an imported topic is left as it is): only for these alarms
 * (`aws:SourceArn`) of this account.
 */
function allowAlarmsToPublish(topic: sns.ITopic, alarms: readonly cloudwatch.Alarm[]): void {
  topic.addToResourcePolicy(
    new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['sns:Publish'],
      resources: [topic.topicArn],
      conditions: {
        ArnEquals: { 'aws:SourceArn': alarms.map((a) => a.alarmArn) },
      },
    }),
  );
}

/**
 * The EventBridge pattern of the CloudTrail management events that disable
 * `key` or schedule its deletion, made by any caller, that succeeded.
 *
 * CloudTrail records the key in `requestParameters.keyId` as the caller
 * wrote it (key id or key ARN) and always as its key ARN in
 * `resources[].ARN`; the pattern matches either, so that a call naming the
 * key in any form is seen.
 */
export function keyEventsPattern(key: kms.IKey): events.EventPattern {
  return {
    source: ['aws.kms'],
    detailType: ['AWS API Call via CloudTrail'],
    detail: {
      eventSource: ['kms.amazonaws.com'],
      eventName: [...KEY_EVENT_NAMES],
      errorCode: [{ exists: false }],
      $or: [
        { resources: { ARN: [key.keyArn] } },
        { requestParameters: { keyId: [key.keyArn, key.keyId] } },
      ],
    },
  };
}

/**
 * The rule that sends the key's `DisableKey` and `ScheduleKeyDeletion` events
 * to `topic`, and the topic policy statement that lets EventBridge publish
 * for this rule only.
 */
function addKeyEventsRule(scope: Construct, topic: sns.ITopic, key: kms.IKey, streamLabel: string): events.Rule {
  const rule = new events.Rule(scope, 'KeyEventsRule', {
    description: `${streamLabel}: DisableKey or ScheduleKeyDeletion of its KMS key (cdk-stream-encryption)`,
    eventPattern: keyEventsPattern(key),
  });
  rule.addTarget(topicTarget(topic));
  allowRuleToPublish(topic, rule);
  return rule;
}

/**
 * A rule target that publishes to `topic` and grants nothing: aws-cdk-lib's
 * `targets.SnsTopic` calls `grantPublish` for `events.amazonaws.com`, a topic
 * policy statement without condition that lets any rule of any account
 * publish. EventBridge publishes to an SNS topic by its topic policy, with no
 * role on the target (EventBridge user guide, "Using resource-based policies
 * for Amazon EventBridge",
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html).
 */
function topicTarget(topic: sns.ITopic): events.IRuleTarget {
  return { bind: () => ({ arn: topic.topicArn, targetResource: topic }) };
}

/**
 * Lets EventBridge publish to a topic defined in the app (an imported topic is
 * left as it is) for `rule` only: the statement's `aws:SourceArn` is the
 * rule's ARN, as the same EventBridge page scopes a target's resource policy
 * to a rule.
 */
function allowRuleToPublish(topic: sns.ITopic, rule: events.Rule): void {
  topic.addToResourcePolicy(
    new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal('events.amazonaws.com')],
      actions: ['sns:Publish'],
      resources: [topic.topicArn],
      conditions: { ArnEquals: { 'aws:SourceArn': rule.ruleArn } },
    }),
  );
}

function validatePeriod(scope: Construct, period: Duration): void {
  if (period.isUnresolved()) return;
  const seconds = period.toSeconds({ integral: false });
  if (seconds < 60 || seconds > 86400 || seconds % 60 !== 0) {
    throw validationError(
      scope,
      `${scope.node.path}: period is ${exactDuration(seconds)}, but a key health alarm's period must be whole minutes between 1 minute and 1 day; use Duration.minutes(5), the interval at which Firehose publishes its metrics.`,
    );
  }
}
