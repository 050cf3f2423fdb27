import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as sns from 'aws-cdk-lib/aws-sns';

/**
 * Options of the key health alarms of a stream encryption
 * (`addKeyHealthAlarms`).
 */
export interface KeyHealthAlarmsOptions {
  /**
   * The SNS topic the alarms and the key events rule notify.
   *
   * A topic defined in this app gets the topic policy statements that let
   * EventBridge (`events.amazonaws.com`, for the key events rule only) and
   * CloudWatch (`cloudwatch.amazonaws.com`, for these alarms only) publish
   * to it, each conditioned on `aws:SourceArn`. An imported topic's policy
   * cannot be changed from here: it must allow both itself (`sns:Publish`,
   * with `aws:SourceArn` the ARN of `keyEventsRule` and of the `alarms`).
   * If the topic is encrypted, its key policy must let both services use the
   * key (`kms:Decrypt`, `kms:GenerateDataKey`); the statement for EventBridge
   * must carry no `aws:SourceAccount`, `aws:SourceArn` or `aws:SourceOrgID`
   * condition, which SNS does not support for EventBridge-to-encrypted
   * topics (EventBridge's messages would never arrive).
   *
   * @default - the stack's alert topic, encrypted with a key of its own,
   * shared by every construct of this library in the stack
   */
  readonly topic?: sns.ITopic;

  /**
   * The period over which each alarm of a delivery stream sums its metric:
   * any KMS error in a period puts the alarm in ALARM (a data stream has no
   * alarms).
   *
   * Firehose publishes its metrics every five minutes, so a shorter period
   * only finds empty periods between them. Between 1 minute and 1 day, in
   * whole minutes.
   *
   * @default Duration.minutes(5)
   */
  readonly period?: Duration;
}

/**
 * What `addKeyHealthAlarms` added: the CloudWatch alarms on the stream's KMS
 * error metrics, the EventBridge rule on its key's `DisableKey` and
 * `ScheduleKeyDeletion` events, and the topic both notify.
 */
export interface KeyHealthAlarms {
  /**
   * One alarm per Firehose KMS error metric of the delivery stream
   * (`KMSKeyAccessDenied`, `KMSKeyDisabled`, `KMSKeyInvalidState`,
   * `KMSKeyNotFound`, in that order); empty for a Kinesis data stream,
   * which publishes no KMS error metric.
   */
  readonly alarms: cloudwatch.Alarm[];

  /**
   * The rule that notifies the topic when someone disables the stream's
   * customer managed key or schedules its deletion; `undefined` when the
   * stream uses a key AWS owns or manages (nobody in the account can
   * disable it or schedule its deletion).
   */
  readonly keyEventsRule?: events.Rule;

  /** The topic the alarms and the rule notify. */
  readonly topic: sns.ITopic;
}
