/**
 * The local CloudTrail (every mutating management call recorded with the caller's identity and its
 * request parameters as CloudTrail writes them; delivered to EventBridge only while a trail logs)
 * and the local SNS (Publish through the real SDK, authorized by IAM).
 */
import {
  DescribeDeliveryStreamCommand,
  FirehoseClient,
  StartDeliveryStreamEncryptionCommand,
  StopDeliveryStreamEncryptionCommand,
  TagDeliveryStreamCommand,
} from '@aws-sdk/client-firehose';
import { DisableKeyCommand, ScheduleKeyDeletionCommand } from '@aws-sdk/client-kms';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { rejectionOf, startTestCloud, TestCloud } from './helpers';
import { accessKeyIdForRole } from '../../tools/local-cloud';
import type { JsonObject } from '../../tools/local-cloud/json';

const ROLE = 'arn:aws:iam::123456789012:role/Operator';
let t: TestCloud;

beforeEach(async () => {
  t = await startTestCloud({ delays: { enablingMs: 0, disablingMs: 0 } });
});

afterEach(async () => {
  await t.stop();
});

function asRole<C>(make: (config: any) => C): C {
  return make({ ...t.cloud.clientConfig(), maxAttempts: 1, credentials: { accessKeyId: accessKeyIdForRole(ROLE), secretAccessKey: 's', sessionToken: 's' } });
}

describe('CloudTrail', () => {
  test('a Start by a role: an AssumedRole identity with its session issuer, and the request parameters as CloudTrail writes them', async () => {
    t.cloud.iam.defineRole(ROLE, accessKeyIdForRole(ROLE));
    t.cloud.iam.putPolicy(ROLE, 'all', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['firehose:*', 'kms:*'], Resource: '*' }] });
    const key = t.cloud.control.registerKey({}).Arn;
    t.cloud.control.createStream({ name: 'orders' });
    const firehose = asRole((c) => new FirehoseClient(c));
    await firehose.send(new StartDeliveryStreamEncryptionCommand({
      DeliveryStreamName: 'orders', DeliveryStreamEncryptionConfigurationInput: { KeyType: 'CUSTOMER_MANAGED_CMK', KeyARN: key },
    }));
    await firehose.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: 'orders' }));
    firehose.destroy();

    const events = t.cloud.control.trailEvents();
    expect(events).toHaveLength(1); // reads are not management events EventBridge gets
    const [e] = events;
    expect(e).toMatchObject({
      'detail-type': 'AWS API Call via CloudTrail',
      'source': 'aws.firehose',
      'account': '123456789012',
      'region': 'us-east-1',
      'detail': {
        eventSource: 'firehose.amazonaws.com',
        eventName: 'StartDeliveryStreamEncryption',
        userIdentity: {
          type: 'AssumedRole',
          arn: expect.stringMatching(/^arn:aws:sts::123456789012:assumed-role\/Operator\/[^/]+$/),
          sessionContext: { sessionIssuer: { type: 'Role', arn: ROLE, userName: 'Operator' } },
        },
        requestParameters: { deliveryStreamName: 'orders', deliveryStreamEncryptionConfigurationInput: { keyType: 'CUSTOMER_MANAGED_CMK', keyARN: key } },
        readOnly: false,
        managementEvent: true,
      },
    });
    expect(e.detail.errorCode).toBeUndefined();
    expect(e.detail.eventTime).toBe(new Date(Math.floor(t.cloud.clock.now() / 1000) * 1000).toISOString().replace('.000Z', 'Z'));
  });

  test('the default credentials are an IAM user; a failed call is recorded with its errorCode; tags keep their own keys', async () => {
    t.cloud.control.createStream({ name: 'orders' });
    const err = await rejectionOf(t.firehose.send(new StopDeliveryStreamEncryptionCommand({ DeliveryStreamName: 'missing' })));
    expect(err.name).toBe('ResourceNotFoundException');
    await t.firehose.send(new TagDeliveryStreamCommand({ DeliveryStreamName: 'orders', Tags: [{ Key: 'Team', Value: 'data' }] }));
    const [stop, tag] = t.cloud.control.trailEvents();
    expect(stop.detail).toMatchObject({ eventName: 'StopDeliveryStreamEncryption', errorCode: 'ResourceNotFoundException', userIdentity: { type: 'IAMUser' } });
    expect((stop.detail.userIdentity as any).sessionContext).toBeUndefined();
    expect(tag.detail.requestParameters).toEqual({ deliveryStreamName: 'orders', tags: [{ key: 'Team', value: 'data' }] });
  });

  test('KMS DisableKey and ScheduleKeyDeletion name the key in resources', async () => {
    const key = t.cloud.control.registerKey({}).Arn;
    await t.kms.send(new DisableKeyCommand({ KeyId: key }));
    await t.kms.send(new ScheduleKeyDeletionCommand({ KeyId: key, PendingWindowInDays: 7 }));
    const [disable, schedule] = t.cloud.control.trailEvents();
    expect(disable).toMatchObject({ source: 'aws.kms', detail: { eventName: 'DisableKey', resources: [{ type: 'AWS::KMS::Key', ARN: key }] } });
    expect(schedule.detail.requestParameters).toEqual({ keyId: key, pendingWindowInDays: 7 });
  });

  test('EventBridge gets the events only while a trail logs; deliverTrailEvents hands over those waiting, once', () => {
    const seen: string[] = [];
    t.cloud.events.registerFunction('arn:aws:lambda:us-east-1:123456789012:function:f', async (p) => {
      seen.push(String(p));
    });
    t.cloud.events.addPermission('p', { functionName: 'f', principal: 'events.amazonaws.com', action: 'lambda:InvokeFunction' });
    t.cloud.events.putRule({ arn: 'arn:aws:events:us-east-1:123456789012:rule/r', pattern: { source: ['aws.kms'] }, state: 'ENABLED', targets: [{ Id: 'f', Arn: 'arn:aws:lambda:us-east-1:123456789012:function:f', InputPath: '$.detail.eventName' }] });
    const key = t.cloud.control.registerKey({}).Arn;
    return (async () => {
      await t.kms.send(new DisableKeyCommand({ KeyId: key }));
      expect(t.cloud.control.deliverTrailEvents()).toEqual([]);
      t.cloud.control.setTrailLogging(true);
      await t.kms.send(new ScheduleKeyDeletionCommand({ KeyId: key, PendingWindowInDays: 7 }));
      expect(t.cloud.control.deliverTrailEvents().map((d) => d.outcome)).toEqual(['invoked']);
      expect(t.cloud.control.deliverTrailEvents()).toEqual([]);
      await t.cloud.events.idle();
      expect(seen).toEqual(['ScheduleKeyDeletion']);
      expect(t.cloud.control.trailEvents()).toHaveLength(2);
    })();
  });
});

describe('SNS', () => {
  test('Publish through the SDK: the message is kept; a role needs sns:Publish and, for an encrypted topic, the key\'s use', async () => {
    const key = t.cloud.control.registerKey({}).Arn;
    const topicArn = 'arn:aws:sns:us-east-1:123456789012:alerts';
    t.cloud.sns.createTopic({ arn: topicArn, kmsMasterKeyId: key });
    const admin = new SNSClient({ ...t.cloud.clientConfig(), maxAttempts: 1 });
    const out = await admin.send(new PublishCommand({ TopicArn: topicArn, Subject: 'hello', Message: '{"a":1}' }));
    expect(out.MessageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(t.cloud.control.snsMessages(topicArn)).toEqual([expect.objectContaining({ subject: 'hello', message: '{"a":1}', publishedBy: 'local-cloud' })]);

    t.cloud.iam.defineRole(ROLE, accessKeyIdForRole(ROLE));
    t.cloud.iam.putPolicy(ROLE, 'publish', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sns:Publish', Resource: topicArn }] });
    const asOperator = asRole((c) => new SNSClient(c));
    const denied = await rejectionOf(asOperator.send(new PublishCommand({ TopicArn: topicArn, Message: 'x' })));
    expect(denied.name).toBe('KMSAccessDeniedException');
    t.cloud.iam.putPolicy(ROLE, 'key', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Resource: key }] });
    await asOperator.send(new PublishCommand({ TopicArn: topicArn, Message: 'y' }));
    expect(t.cloud.control.snsMessages(topicArn).map((m) => [m.message, m.publishedBy])).toEqual([['{"a":1}', 'local-cloud'], ['y', ROLE]]);

    t.cloud.control.setKeyState(key, 'Disabled');
    expect((await rejectionOf(admin.send(new PublishCommand({ TopicArn: topicArn, Message: 'z' })))).name).toBe('KMSDisabledException');
    expect((await rejectionOf(admin.send(new PublishCommand({ TopicArn: `${topicArn}-none`, Message: 'z' })))).name).toBe('NotFoundException');
    admin.destroy();
    asOperator.destroy();
  });

  test('a role without sns:Publish is refused with AuthorizationError', async () => {
    const topicArn = 'arn:aws:sns:us-east-1:123456789012:plain';
    t.cloud.sns.createTopic({ arn: topicArn });
    t.cloud.iam.defineRole(ROLE, accessKeyIdForRole(ROLE));
    const asOperator = asRole((c) => new SNSClient(c));
    const err = await rejectionOf(asOperator.send(new PublishCommand({ TopicArn: topicArn, Message: 'x' })));
    expect(err.name).toBe('AuthorizationErrorException');
    expect(err.message).toContain('sns:Publish');
    asOperator.destroy();
    expect(t.cloud.control.snsMessages(topicArn)).toEqual([]);
  });
});

describe('services publish to a topic only as its topic policy and its key policy let them', () => {
  const topicArn = 'arn:aws:sns:us-east-1:123456789012:alerts';
  const ruleArn = 'arn:aws:events:us-east-1:123456789012:rule/ours';
  const events = { service: 'events.amazonaws.com', sourceArn: ruleArn };
  /** A topic policy letting EventBridge publish for one rule only (aws:SourceArn). */
  const topicPolicy = {
    Statement: [
      { Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: 'sns:Publish', Resource: topicArn, Condition: { ArnEquals: { 'aws:SourceArn': ruleArn } } },
    ],
  };
  const keyStatement = (service: string, condition?: JsonObject): JsonObject => ({
    Effect: 'Allow', Principal: { Service: service }, Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: '*', ...(condition ? { Condition: condition } : {}),
  });
  const sourceAccount = { StringEquals: { 'aws:SourceAccount': '123456789012' } };

  test('without a topic policy EventBridge may not publish; with one, only for the rule it names', () => {
    t.cloud.sns.createTopic({ arn: topicArn });
    expect(t.cloud.sns.publishFromService(topicArn, 'm', events)).toBe('topic-policy-denied');
    t.cloud.sns.setTopicPolicy(topicArn, topicPolicy);
    expect(t.cloud.sns.publishFromService(topicArn, 'm', events)).toBe('published');
    expect(t.cloud.sns.publishFromService(topicArn, 'm', { ...events, sourceArn: 'arn:aws:events:us-east-1:123456789012:rule/theirs' })).toBe('topic-policy-denied');
    expect(t.cloud.sns.publishFromService('arn:aws:sns:us-east-1:123456789012:none', 'm', events)).toBe('no-topic');
    expect(t.cloud.control.snsMessages(topicArn).map((m) => m.publishedBy)).toEqual(['events.amazonaws.com']);
  });

  // SNS Developer Guide, "Key management", "Enable compatibility between event sources from AWS
  // services and encrypted topics" (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html):
  // a publishing service needs kms:GenerateDataKey and kms:Decrypt in the key policy; aws:SourceAccount
  // and aws:SourceArn there are recommended, but "not supported for EventBridge-to-encrypted topics".
  test('an encrypted topic: the key policy must name EventBridge, and a source condition refuses it', () => {
    const key = t.cloud.control.registerKey({}).Arn;
    t.cloud.sns.createTopic({ arn: topicArn, kmsMasterKeyId: key });
    t.cloud.sns.setTopicPolicy(topicArn, topicPolicy);
    // no key policy from a template: the default one names only the account
    expect(t.cloud.sns.publishFromService(topicArn, 'm', events)).toBe('key-policy-denied');
    t.cloud.control.putKeyPolicy(key, { Statement: [keyStatement('events.amazonaws.com', sourceAccount)] });
    expect(t.cloud.sns.publishFromService(topicArn, 'm', events)).toBe('key-policy-denied');
    t.cloud.control.putKeyPolicy(key, { Statement: [keyStatement('events.amazonaws.com')] });
    expect(t.cloud.sns.publishFromService(topicArn, 'm', events)).toBe('published');
    // a statement for only one of the two actions is not enough
    t.cloud.control.putKeyPolicy(key, { Statement: [{ ...keyStatement('events.amazonaws.com'), Action: 'kms:GenerateDataKey' }] });
    expect(t.cloud.sns.publishFromService(topicArn, 'm', events)).toBe('key-policy-denied');
    t.cloud.control.setKeyState(key, 'Disabled');
    t.cloud.control.putKeyPolicy(key, { Statement: [keyStatement('events.amazonaws.com')] });
    expect(t.cloud.sns.publishFromService(topicArn, 'm', events)).toBe('key-unusable');
    expect(t.cloud.control.snsMessages(topicArn).map((m) => m.publishedBy)).toEqual(['events.amazonaws.com']);
  });
});
