/**
 * Key health alarms: the metric* methods of a delivery stream encryption, the opt-in alarms on
 * Firehose's KMS error metrics, the EventBridge rule on DisableKey / ScheduleKeyDeletion of the
 * stream's key, the topic they notify and the policies that let CloudWatch and EventBridge publish.
 */
import { App, Aspects, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, PCIDSS321Checks } from 'cdk-nag';
import { newStack, resourcesOf, snapshotOf } from './util';
import { DataStreamEncryption, DeliveryStreamEncryption } from '../../src';
import { ALERT_TOPIC_ID } from '../../src/private/alert-topic';
import { keyEventsPattern } from '../../src/private/key-health-alarms';
import { PROVIDER_ID } from '../../src/private/provider';
import type { JsonObject } from '../../tools/local-cloud/json';
import { matchesPattern } from '../../tools/local-cloud/services/events';

const KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/1a2b3c4d-5e6f-4a2b-8c4d-5e6f1a2b3c4d';
const KEY_ID = '1a2b3c4d-5e6f-4a2b-8c4d-5e6f1a2b3c4d';
const OTHER_KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/99999999-9999-4999-8999-999999999999';
const METRICS = ['KMSKeyAccessDenied', 'KMSKeyDisabled', 'KMSKeyInvalidState', 'KMSKeyNotFound'];

function ordersEncryption(stack: Stack, props: Partial<ConstructorParameters<typeof DeliveryStreamEncryption>[2]> = {}) {
  return new DeliveryStreamEncryption(stack, 'OrdersSse', {
    deliveryStream: firehose.DeliveryStream.fromDeliveryStreamName(stack, 'Orders', 'orders'),
    ...props,
  });
}

/** The logical id of the only resource of `type` whose id starts with `prefix`. */
function logicalIdOf(stack: Stack, type: string, prefix: string): string {
  const ids = Object.keys(resourcesOf(stack, type)).filter((id) => id.startsWith(prefix));
  expect(ids).toHaveLength(1);
  return ids[0];
}

describe('metric methods', () => {
  test.each([
    ['metricKmsKeyAccessDenied', 'KMSKeyAccessDenied'],
    ['metricKmsKeyDisabled', 'KMSKeyDisabled'],
    ['metricKmsKeyInvalidState', 'KMSKeyInvalidState'],
    ['metricKmsKeyNotFound', 'KMSKeyNotFound'],
  ] as const)('%s is %s in AWS/Firehose for the stream, the Sum over 5 minutes', (method, metricName) => {
    const stack = newStack();
    const metric = ordersEncryption(stack)[method]();
    expect(metric).toBeInstanceOf(cloudwatch.Metric);
    expect(metric.namespace).toBe('AWS/Firehose');
    expect(metric.metricName).toBe(metricName);
    expect(metric.dimensions).toEqual({ DeliveryStreamName: 'orders' });
    expect(metric.statistic).toBe('Sum');
    expect(metric.period.toSeconds()).toBe(300);
  });

  test('options override the defaults', () => {
    const sse = ordersEncryption(newStack());
    const metric = sse.metricKmsKeyDisabled({ period: Duration.minutes(1), statistic: 'Maximum', label: 'disabled' });
    expect([metric.period.toSeconds(), metric.statistic, metric.label]).toEqual([60, 'Maximum', 'disabled']);
  });

  test('a stream defined in the app is named by its reference', () => {
    const stack = newStack();
    const metric = new DeliveryStreamEncryption(stack, 'Sse', {
      deliveryStream: new firehose.DeliveryStream(stack, 'Clicks', { destination: { bind: () => ({ extendedS3DestinationConfiguration: { bucketArn: 'arn:aws:s3:::b', roleArn: 'arn:aws:iam::123456789012:role/r' } }) } }),
    }).metricKmsKeyDisabled();
    expect(stack.resolve(metric.dimensions!.DeliveryStreamName)).toEqual({ Ref: expect.stringMatching(/^Clicks/) });
  });
});

describe('addKeyHealthAlarms on a delivery stream', () => {
  test('one alarm per KMS error metric: any error in a 5-minute period is ALARM, missing data not breaching, the alert topic told both ways', () => {
    const stack = newStack();
    const health = ordersEncryption(stack).addKeyHealthAlarms();
    const topicId = logicalIdOf(stack, 'AWS::SNS::Topic', ALERT_TOPIC_ID);

    expect(health.alarms).toHaveLength(4);
    const alarms = Object.values(resourcesOf(stack, 'AWS::CloudWatch::Alarm')).map((r: any) => r.Properties);
    expect(alarms.map((a) => a.MetricName)).toEqual(METRICS);
    for (const alarm of alarms) {
      expect(alarm).toEqual({
        Namespace: 'AWS/Firehose',
        MetricName: expect.any(String),
        Dimensions: [{ Name: 'DeliveryStreamName', Value: 'orders' }],
        Statistic: 'Sum',
        Period: 300,
        EvaluationPeriods: 1,
        DatapointsToAlarm: 1,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
        AlarmActions: [{ Ref: topicId }],
        OKActions: [{ Ref: topicId }],
        AlarmDescription: expect.stringContaining(`Firehose delivery stream orders: Firehose met ${alarm.MetricName === 'KMSKeyAccessDenied' ? 'KMSAccessDeniedException' : alarm.MetricName.replace('KMSKey', 'KMS') + 'Exception'}`),
      });
    }
    expect(health.topic.node.path).toBe(`TestStack/${ALERT_TOPIC_ID}/Topic`);
  });

  // What turns a broken key into an alarm, read from the template against the AWS pages (no
  // CloudWatch is simulated):
  // - KMS Developer Guide, "Key states of AWS KMS keys"
  //   (https://docs.aws.amazon.com/kms/latest/developerguide/key-state.html): a disabled key's use
  //   fails with DisabledException, a key pending deletion's with KMSInvalidStateException, a
  //   deleted key's with NotFoundException.
  // - Firehose Developer Guide, "Data protection" (https://docs.aws.amazon.com/firehose/latest/dev/encryption.html):
  //   Firehose meets KMSNotFoundException, KMSInvalidStateException, KMSDisabledException or
  //   KMSAccessDeniedException when it cannot decrypt the records of a stream with a customer
  //   managed key, and retries them for 24 hours; "Monitoring with CloudWatch metrics", "Server-side
  //   encryption (SSE) CloudWatch metrics" (https://docs.aws.amazon.com/firehose/latest/dev/monitoring-with-cloudwatch-metrics.html):
  //   it counts each in AWS/Firehose, dimension DeliveryStreamName, as KMSKeyNotFound,
  //   KMSKeyInvalidState, KMSKeyDisabled, KMSKeyAccessDenied.
  // - CloudWatch User Guide, "Using Amazon CloudWatch alarms"
  //   (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html): the
  //   alarm compares the statistic of each Period with the threshold and goes to ALARM when
  //   DatapointsToAlarm of the last EvaluationPeriods breach; "Configuring how CloudWatch alarms
  //   treat missing data" (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-missing-data.html):
  //   notBreaching counts a period without data as good, the choice the page gives for metrics that
  //   have data points only when an error happens — so a period without errors is OK again.
  test.each([
    ['the key is disabled', 'KMSKeyDisabled', 'KMSDisabledException', 'Enable the key'],
    ['the key is pending deletion', 'KMSKeyInvalidState', 'KMSInvalidStateException', 'Cancel the key\'s deletion'],
    ['the key is deleted', 'KMSKeyNotFound', 'KMSNotFoundException', 'encrypt the stream with another key'],
    ['Firehose is denied the key', 'KMSKeyAccessDenied', 'KMSAccessDeniedException', 'Restore the key policy statements'],
  ])('%s: the alarm on %s of this stream goes to ALARM at one error in a 5-minute period, to OK after a period without, and tells the alert topic both ways', (_case, metricName, exception, fix) => {
    const stack = newStack();
    ordersEncryption(stack).addKeyHealthAlarms();
    new DeliveryStreamEncryption(stack, 'ClicksSse', { deliveryStream: firehose.DeliveryStream.fromDeliveryStreamName(stack, 'Clicks', 'clicks') }).addKeyHealthAlarms();
    const topicId = logicalIdOf(stack, 'AWS::SNS::Topic', ALERT_TOPIC_ID);
    const watching = Object.entries(resourcesOf(stack, 'AWS::CloudWatch::Alarm')).filter(([, r]: [string, any]) =>
      r.Properties.MetricName === metricName && r.Properties.Dimensions.some((d: any) => d.Value === 'orders'));
    expect(watching).toHaveLength(1); // one alarm per stream and metric: another stream's errors are its own alarm's
    const [alarmId, alarm] = watching[0] as [string, any];
    expect(alarm.Properties).toMatchObject({
      Namespace: 'AWS/Firehose',
      Dimensions: [{ Name: 'DeliveryStreamName', Value: 'orders' }],
      Statistic: 'Sum',
      Period: 300,
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: 1,
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: topicId }],
      OKActions: [{ Ref: topicId }],
    });
    expect(alarm.Properties.AlarmDescription).toContain(exception);
    expect(alarm.Properties.AlarmDescription).toContain(fix);
    // the topic takes the alarm's notifications: CloudWatch may publish for this alarm (aws:SourceArn:
    // SNS Developer Guide, "Example cases for Amazon SNS access control",
    // https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-use-cases.html)
    const [policy] = Object.values(resourcesOf(stack, 'AWS::SNS::TopicPolicy')) as any[];
    const forCloudWatch = policy.Properties.PolicyDocument.Statement.filter((st: any) => st.Principal?.Service === 'cloudwatch.amazonaws.com');
    expect(forCloudWatch.flatMap((st: any) => st.Condition.ArnEquals['aws:SourceArn'])).toContainEqual({ 'Fn::GetAtt': [alarmId, 'Arn'] });
  });

  test('a given period is used by every alarm; a period that is not whole minutes between 1 minute and 1 day is refused, naming the construct', () => {
    const stack = newStack();
    ordersEncryption(stack).addKeyHealthAlarms({ period: Duration.minutes(1) });
    expect(Object.values(resourcesOf(stack, 'AWS::CloudWatch::Alarm')).map((r: any) => r.Properties.Period)).toEqual([60, 60, 60, 60]);
    for (const period of [Duration.seconds(30), Duration.seconds(90), Duration.days(2)]) {
      expect(() => ordersEncryption(newStack()).addKeyHealthAlarms({ period })).toThrow(/TestStack\/OrdersSse: period is .* whole minutes between 1 minute and 1 day; use Duration.minutes\(5\)/);
    }
  });

  test('the key events rule: DisableKey and ScheduleKeyDeletion of the stream\'s key, successful calls, to the topic', () => {
    const stack = newStack();
    const health = ordersEncryption(stack).addKeyHealthAlarms();
    const keyId = logicalIdOf(stack, 'AWS::KMS::Key', 'OrdersSseKey');
    const topicId = logicalIdOf(stack, 'AWS::SNS::Topic', ALERT_TOPIC_ID);
    expect(health.keyEventsRule).toBeDefined();
    Template.fromStack(stack).hasResourceProperties('AWS::Events::Rule', {
      State: 'ENABLED',
      EventPattern: {
        'source': ['aws.kms'],
        'detail-type': ['AWS API Call via CloudTrail'],
        'detail': {
          eventSource: ['kms.amazonaws.com'],
          eventName: ['DisableKey', 'ScheduleKeyDeletion'],
          errorCode: [{ exists: false }],
          $or: [
            { resources: { ARN: [{ 'Fn::GetAtt': [keyId, 'Arn'] }] } },
            { requestParameters: { keyId: [{ 'Fn::GetAtt': [keyId, 'Arn'] }, { Ref: keyId }] } },
          ],
        },
      },
      Targets: [{ Arn: { Ref: topicId }, Id: Match.anyValue() }],
    });
  });

  // SNS Developer Guide, "Key management", "Enable compatibility between event sources from AWS
  // services and encrypted topics" (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services):
  // a service that publishes to an encrypted topic needs kms:GenerateDataKey and kms:Decrypt in the
  // key policy, for its service principal (events.amazonaws.com, cloudwatch.amazonaws.com);
  // aws:SourceAccount / aws:SourceArn there are recommended, except that with EventBridge they are
  // "not supported": the EventBridge statement has no condition, CloudWatch's keeps aws:SourceAccount.
  test('the alert topic is encrypted with its own key: EventBridge may use it (no source condition), CloudWatch of this account', () => {
    const stack = newStack();
    ordersEncryption(stack).addKeyHealthAlarms();
    const keyId = logicalIdOf(stack, 'AWS::KMS::Key', ALERT_TOPIC_ID);
    Template.fromStack(stack).hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
    const statements = resourcesOf(stack, 'AWS::KMS::Key')[keyId].Properties.KeyPolicy.Statement;
    const serviceUsesKey = (sid: string, service: string) => ({
      Sid: sid,
      Effect: 'Allow',
      Principal: { Service: service },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Resource: '*',
    });
    expect(statements).toContainEqual(serviceUsesKey('EventBridgeUsesThisKey', 'events.amazonaws.com'));
    expect(statements).toContainEqual({
      ...serviceUsesKey('CloudWatchUsesThisKey', 'cloudwatch.amazonaws.com'),
      Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } },
    });
    // no statement for EventBridge carries a source condition key
    const forEvents = statements.filter((st: any) => JSON.stringify(st.Principal).includes('events.amazonaws.com'));
    expect(forEvents.map((st: any) => JSON.stringify(st.Condition ?? {}))).toEqual(['{}']);
  });

  // EventBridge publishes to a topic by its topic policy, and the EventBridge User Guide ("Using
  // resource-based policies for Amazon EventBridge",
  // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html) scopes a
  // target's policy to one rule with aws:SourceArn = the rule ARN; CloudWatch alarms publish with
  // aws:SourceArn = the alarm ARN ("Example cases for Amazon SNS access control",
  // https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-use-cases.html).
  test('the topic policy lets EventBridge publish only for the key events rule, and CloudWatch only for these alarms; nothing else is allowed', () => {
    const stack = newStack();
    ordersEncryption(stack).addKeyHealthAlarms();
    const topicId = logicalIdOf(stack, 'AWS::SNS::Topic', ALERT_TOPIC_ID);
    const ruleId = logicalIdOf(stack, 'AWS::Events::Rule', 'OrdersSse');
    const alarmIds = Object.keys(resourcesOf(stack, 'AWS::CloudWatch::Alarm'));
    const [policy] = Object.values(resourcesOf(stack, 'AWS::SNS::TopicPolicy')) as any[];
    expect(policy.Properties.Topics).toEqual([{ Ref: topicId }]);
    const allows = policy.Properties.PolicyDocument.Statement.filter((s: any) => s.Effect === 'Allow');
    expect(allows).toEqual(expect.arrayContaining([
      {
        Sid: expect.any(String),
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sns:Publish',
        Resource: { Ref: topicId },
        Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [ruleId, 'Arn'] } } },
      },
      expect.objectContaining({
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: 'sns:Publish',
        Resource: { Ref: topicId },
        Condition: { ArnEquals: { 'aws:SourceArn': alarmIds.map((id) => ({ 'Fn::GetAtt': [id, 'Arn'] })) } },
      }),
    ]));
    expect(allows).toHaveLength(2);
    // the only other statement refuses publishing without TLS
    expect(policy.Properties.PolicyDocument.Statement.filter((s: any) => s.Effect !== 'Allow'))
      .toEqual([expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]);
  });

  test('every stream encryption of a stack shares one alert topic', () => {
    const stack = newStack();
    const a = ordersEncryption(stack).addKeyHealthAlarms();
    const b = new DeliveryStreamEncryption(stack, 'ClicksSse', { deliveryStream: firehose.DeliveryStream.fromDeliveryStreamName(stack, 'Clicks', 'clicks') }).addKeyHealthAlarms();
    expect(a.topic).toBe(b.topic);
    Template.fromStack(stack).resourceCountIs('AWS::SNS::Topic', 1);
    Template.fromStack(stack).resourceCountIs('AWS::CloudWatch::Alarm', 8);
    Template.fromStack(stack).resourceCountIs('AWS::Events::Rule', 2);
    // each rule publishes by a statement of its own that names it (aws:SourceArn: EventBridge User
    // Guide, "Using resource-based policies for Amazon EventBridge",
    // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html)
    const ruleArns = Object.keys(resourcesOf(stack, 'AWS::Events::Rule')).map((id) => ({ 'Fn::GetAtt': [id, 'Arn'] }));
    const [policy] = Object.values(resourcesOf(stack, 'AWS::SNS::TopicPolicy')) as any[];
    const forEvents = policy.Properties.PolicyDocument.Statement.filter((st: any) => st.Principal?.Service === 'events.amazonaws.com');
    expect(forEvents.map((st: any) => st.Condition)).toEqual(ruleArns.map((arn) => ({ ArnEquals: { 'aws:SourceArn': arn } })));
  });

  // The topic policy statements that let the key events rule (aws:SourceArn = the rule: EventBridge
  // User Guide, "Using resource-based policies for Amazon EventBridge",
  // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html) and the
  // alarms (aws:SourceArn = the alarms: SNS Developer Guide, "Example cases for Amazon SNS access
  // control", https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-use-cases.html) publish.
  test('a given topic gets the actions and the rule, and the statements that let only them publish; no alert topic is created', () => {
    const stack = newStack();
    const topic = new sns.Topic(stack, 'Pager', { enforceSSL: true });
    const health = ordersEncryption(stack).addKeyHealthAlarms({ topic });
    expect(health.topic).toBe(topic);
    expect(stack.node.tryFindChild(ALERT_TOPIC_ID)).toBeUndefined();
    const pagerId = logicalIdOf(stack, 'AWS::SNS::Topic', 'Pager');
    for (const alarm of Object.values(resourcesOf(stack, 'AWS::CloudWatch::Alarm')) as any[]) {
      expect(alarm.Properties.AlarmActions).toEqual([{ Ref: pagerId }]);
    }
    Template.fromStack(stack).hasResourceProperties('AWS::Events::Rule', { Targets: [Match.objectLike({ Arn: { Ref: pagerId } })] });
    const ruleId = logicalIdOf(stack, 'AWS::Events::Rule', 'OrdersSse');
    const [policy] = Object.values(resourcesOf(stack, 'AWS::SNS::TopicPolicy')) as any[];
    expect(policy.Properties.Topics).toEqual([{ Ref: pagerId }]);
    const byService = (service: string) => policy.Properties.PolicyDocument.Statement.filter((st: any) => st.Principal?.Service === service);
    expect(byService('events.amazonaws.com')).toEqual([{
      Sid: expect.any(String),
      Effect: 'Allow',
      Principal: { Service: 'events.amazonaws.com' },
      Action: 'sns:Publish',
      Resource: { Ref: pagerId },
      Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [ruleId, 'Arn'] } } },
    }]);
    expect(byService('cloudwatch.amazonaws.com')).toEqual([expect.objectContaining({
      Action: 'sns:Publish',
      Condition: { ArnEquals: { 'aws:SourceArn': Object.keys(resourcesOf(stack, 'AWS::CloudWatch::Alarm')).map((id) => ({ 'Fn::GetAtt': [id, 'Arn'] })) } },
    })]);
  });

  test('an imported topic is notified, and its policy left as it is', () => {
    const stack = newStack();
    const topic = sns.Topic.fromTopicArn(stack, 'Pager', 'arn:aws:sns:eu-west-1:123456789012:pager');
    ordersEncryption(stack).addKeyHealthAlarms({ topic });
    Template.fromStack(stack).resourceCountIs('AWS::SNS::TopicPolicy', 0);
    Template.fromStack(stack).resourceCountIs('AWS::SNS::Topic', 0);
    Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmActions: ['arn:aws:sns:eu-west-1:123456789012:pager'] });
  });

  test('with AWS_OWNED_CMK: the alarms, but no key events rule (nobody in the account can disable a key AWS owns)', () => {
    const stack = newStack();
    const health = ordersEncryption(stack, { encryption: firehose.StreamEncryption.awsOwnedKey() }).addKeyHealthAlarms();
    expect(health.alarms).toHaveLength(4);
    expect(health.keyEventsRule).toBeUndefined();
    Template.fromStack(stack).resourceCountIs('AWS::Events::Rule', 0);
  });

  test('a given key is watched by its ARN and key id', () => {
    const stack = newStack();
    ordersEncryption(stack, { encryption: firehose.StreamEncryption.customerManagedKey(kms.Key.fromKeyArn(stack, 'Given', KEY_ARN)) }).addKeyHealthAlarms();
    Template.fromStack(stack).hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { detail: Match.objectLike({ $or: [{ resources: { ARN: [KEY_ARN] } }, { requestParameters: { keyId: [KEY_ARN, KEY_ID] } }] }) },
    });
  });

  test('called twice on one construct: refused, naming the construct', () => {
    const sse = ordersEncryption(newStack());
    sse.addKeyHealthAlarms();
    expect(() => sse.addKeyHealthAlarms()).toThrow('TestStack/OrdersSse: addKeyHealthAlarms was called twice; call it once per stream encryption and keep the KeyHealthAlarms it returns.');
  });

  test('nothing is added without the call', () => {
    const stack = newStack();
    ordersEncryption(stack);
    for (const type of ['AWS::CloudWatch::Alarm', 'AWS::Events::Rule', 'AWS::SNS::Topic']) Template.fromStack(stack).resourceCountIs(type, 0);
  });

  test('snapshot', () => {
    const stack = newStack();
    ordersEncryption(stack).addKeyHealthAlarms();
    expect(snapshotOf(stack)).toMatchSnapshot();
  });
});

describe('addKeyHealthAlarms on a data stream', () => {
  const events = (stack: Stack) => kinesis.Stream.fromStreamArn(stack, 'Events', 'arn:aws:kinesis:eu-west-1:123456789012:stream/events');

  test('a customer managed key: the key events rule only (Kinesis publishes no KMS error metric)', () => {
    const stack = newStack();
    const health = new DataStreamEncryption(stack, 'EventsSse', { stream: events(stack) }).addKeyHealthAlarms();
    expect(health.alarms).toEqual([]);
    expect(health.keyEventsRule).toBeDefined();
    Template.fromStack(stack).resourceCountIs('AWS::CloudWatch::Alarm', 0);
    const keyId = logicalIdOf(stack, 'AWS::KMS::Key', 'EventsSseKey');
    Template.fromStack(stack).hasResourceProperties('AWS::Events::Rule', {
      Description: 'Kinesis data stream events: DisableKey or ScheduleKeyDeletion of its KMS key (cdk-stream-encryption)',
      EventPattern: { detail: Match.objectLike({ $or: [{ resources: { ARN: [{ 'Fn::GetAtt': [keyId, 'Arn'] }] } }, Match.anyValue()] }) },
    });
    // no alarm, so CloudWatch is not allowed to publish; EventBridge publishes for its rule by the topic
    // policy (EventBridge User Guide, "Using resource-based policies for Amazon EventBridge",
    // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html)
    const statements = (Object.values(resourcesOf(stack, 'AWS::SNS::TopicPolicy'))[0] as any).Properties.PolicyDocument.Statement;
    expect(statements.map((s: any) => s.Principal?.Service).filter(Boolean)).toEqual(['events.amazonaws.com']);
  });

  test('KINESIS_MANAGED: nothing to watch, and a warning with an id says so', () => {
    const stack = newStack();
    const health = new DataStreamEncryption(stack, 'EventsSse', { stream: events(stack), encryption: kinesis.StreamEncryption.MANAGED }).addKeyHealthAlarms();
    expect([health.alarms, health.keyEventsRule]).toEqual([[], undefined]);
    Template.fromStack(stack).resourceCountIs('AWS::Events::Rule', 0);
    Annotations.fromStack(stack).hasWarning('/TestStack/EventsSse', Match.stringLikeRegexp('keyHealthNothingToWatch'));
  });
});

/** A CloudTrail management event of KMS, as EventBridge delivers it. */
function cloudTrailEvent(eventName: string, keyIdAsWritten: string, keyArn: string, extra: Record<string, unknown> = {}) {
  return {
    'version': '0',
    'id': '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
    'detail-type': 'AWS API Call via CloudTrail',
    'source': 'aws.kms',
    'account': '123456789012',
    'time': '2026-01-01T12:00:00Z',
    'region': 'eu-west-1',
    'resources': [],
    'detail': {
      eventVersion: '1.08',
      userIdentity: { type: 'AssumedRole', arn: 'arn:aws:sts::123456789012:assumed-role/Admin/someone', accountId: '123456789012' },
      eventTime: '2026-01-01T12:00:00Z',
      eventSource: 'kms.amazonaws.com',
      eventName,
      awsRegion: 'eu-west-1',
      sourceIPAddress: '203.0.113.7',
      userAgent: 'aws-cli/2',
      requestParameters: eventName === 'ScheduleKeyDeletion' ? { keyId: keyIdAsWritten, pendingWindowInDays: 7 } : { keyId: keyIdAsWritten },
      responseElements: eventName === 'ScheduleKeyDeletion' ? { keyId: keyArn, keyState: 'PendingDeletion', pendingWindowInDays: 7, deletionDate: 'Jan 8, 2026, 12:00:00 PM' } : null,
      requestID: 'b1b3f6a8-2b7e-4c8e-9a52-7e0c9f1d2a3b',
      eventID: 'c2c4e7b9-3c8f-4d9f-8b63-8f1dae2e3b4c',
      readOnly: false,
      resources: [{ accountId: '123456789012', type: 'AWS::KMS::Key', ARN: keyArn }],
      eventType: 'AwsApiCall',
      managementEvent: true,
      recipientAccountId: '123456789012',
      eventCategory: 'Management',
      ...extra,
    },
  };
}

describe('the key events pattern against CloudTrail-shaped events', () => {
  const pattern = () => {
    const stack = newStack();
    return stack.resolve(keyEventsPattern(kms.Key.fromKeyArn(stack, 'K', KEY_ARN))) as Record<string, unknown>;
  };
  /** The rule's pattern in CloudFormation's spelling (`detail-type`). */
  const asCloudFormation = (p: Record<string, unknown>): JsonObject => {
    const { detailType, ...rest } = p;
    return { ...rest, 'detail-type': detailType } as JsonObject;
  };

  test.each(['DisableKey', 'ScheduleKeyDeletion'])('%s of this key matches, whether the caller wrote its id, its ARN or an alias', (eventName) => {
    const p = asCloudFormation(pattern());
    for (const written of [KEY_ID, KEY_ARN, 'alias/firehose-sse/orders', 'arn:aws:kms:eu-west-1:123456789012:alias/firehose-sse/orders']) {
      expect(matchesPattern(p, cloudTrailEvent(eventName, written, KEY_ARN))).toBe(true);
    }
    // a record without resources[] still matches by the key id or ARN the caller wrote
    for (const written of [KEY_ID, KEY_ARN]) {
      expect(matchesPattern(p, cloudTrailEvent(eventName, written, KEY_ARN, { resources: undefined }))).toBe(true);
    }
  });

  test('another key, another KMS call, a failed call or another source does not match', () => {
    const p = asCloudFormation(pattern());
    expect(matchesPattern(p, cloudTrailEvent('DisableKey', OTHER_KEY_ARN, OTHER_KEY_ARN))).toBe(false);
    expect(matchesPattern(p, cloudTrailEvent('DisableKey', '99999999-9999-4999-8999-999999999999', OTHER_KEY_ARN))).toBe(false);
    for (const eventName of ['EnableKey', 'CancelKeyDeletion', 'Decrypt']) {
      expect(matchesPattern(p, cloudTrailEvent(eventName, KEY_ARN, KEY_ARN))).toBe(false);
    }
    expect(matchesPattern(p, cloudTrailEvent('DisableKey', KEY_ARN, KEY_ARN, { errorCode: 'AccessDenied', errorMessage: 'not allowed' }))).toBe(false);
    expect(matchesPattern(p, { ...cloudTrailEvent('DisableKey', KEY_ARN, KEY_ARN), source: 'aws.firehose' })).toBe(false);
  });

  test('the matcher itself: a list matches any element, $or any alternative, exists checks presence', () => {
    expect(matchesPattern({ a: ['x'] }, { a: ['y', 'x'] })).toBe(true);
    expect(matchesPattern({ a: ['x'] }, { a: 'y' })).toBe(false);
    expect(matchesPattern({ $or: [{ a: ['x'] }, { b: ['y'] }] }, { b: 'y' })).toBe(true);
    expect(matchesPattern({ $or: [{ a: ['x'] }, { b: ['y'] }] }, { b: 'z' })).toBe(false);
    expect(matchesPattern({ a: [{ exists: false }] }, {})).toBe(true);
    expect(matchesPattern({ a: [{ exists: false }] }, { a: 1 })).toBe(false);
    expect(matchesPattern({ r: { ARN: ['k'] } }, { r: [{ ARN: 'j' }, { ARN: 'k' }] })).toBe(true);
  });
});

describe('cdk-nag', () => {
  test.each(['AwsSolutions', 'NIST.800.53.R5', 'HIPAA.Security', 'PCI.DSS.321'])(
    'no unsuppressed %s error or warning on the alarms, the rule or the alert topic',
    (pack) => {
      const app = new App();
      const stack = new Stack(app, 'Health', { env: { account: '123456789012', region: 'eu-west-1' } });
      const stream = (id: string, name: string) => firehose.DeliveryStream.fromDeliveryStreamName(stack, id, name);
      new DeliveryStreamEncryption(stack, 'Cmk', { deliveryStream: stream('A', 'a') }).addKeyHealthAlarms();
      new DeliveryStreamEncryption(stack, 'Owned', { deliveryStream: stream('B', 'b'), encryption: firehose.StreamEncryption.awsOwnedKey() }).addKeyHealthAlarms();
      new DataStreamEncryption(stack, 'Data', { stream: kinesis.Stream.fromStreamArn(stack, 'C', 'arn:aws:kinesis:eu-west-1:123456789012:stream/c') }).addKeyHealthAlarms();
      new sns.Topic(stack, 'Bare'); // not the library's: unencrypted, no TLS-only policy
      for (const checks of [new AwsSolutionsChecks(), new NIST80053R5Checks(), new HIPAASecurityChecks(), new PCIDSS321Checks()]) {
        Aspects.of(stack).add(checks);
      }
      app.synth();
      const paths = [PROVIDER_ID, 'Cmk', 'Owned', 'Data', ALERT_TOPIC_ID].map((id) => `/Health/${id}/`);
      const annotations = Annotations.fromStack(stack);
      const ofPack = Match.stringLikeRegexp(`^${pack.replace(/\./g, '\\.')}-`);
      const all = [...annotations.findError('*', ofPack), ...annotations.findWarning('*', ofPack)];
      const findings = all.filter((m) => paths.some((p) => `${m.id}/`.startsWith(p)));
      expect(findings.map((f) => `${f.id}: ${String(f.entry.data).split(':')[0]}`)).toEqual([]);
      // the pack ran: it flags the stack's own bare topic
      expect(all.filter((m) => m.id.startsWith('/Health/Bare/')).length).toBeGreaterThan(0);
    },
  );
});
