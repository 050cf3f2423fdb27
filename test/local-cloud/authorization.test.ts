/**
 * IAM enforcement on the wire: requests signed with a role's access key are authorized against the
 * role's policies in force at that moment; requests with the cloud's default credentials are not.
 */
import { DescribeDeliveryStreamCommand, FirehoseClient, StartDeliveryStreamEncryptionCommand, TagDeliveryStreamCommand } from '@aws-sdk/client-firehose';
import { DescribeStreamSummaryCommand, KinesisClient, StartStreamEncryptionCommand } from '@aws-sdk/client-kinesis';
import { DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { keyArn, rejectionOf } from './helpers';
import { accessKeyIdForRole, accessKeyIdOf, LocalClock, LocalCloud, PolicyDocument, startLocalCloud } from '../../tools/local-cloud';

const ROLE = 'arn:aws:iam::123456789012:role/HandlerRole';
const SESSION = 'arn:aws:sts::123456789012:assumed-role/HandlerRole/local-session';
const STREAM_ARN = 'arn:aws:firehose:us-east-1:123456789012:deliverystream/orders';
const DATA_STREAM_ARN = 'arn:aws:kinesis:us-east-1:123456789012:stream/events';
const KEY = keyArn('11111111-2222-3333-4444-555555555555');
const OWNER_TAG_KEY = 'cdk-stream-encryption/managed-by';

const FIREHOSE_ACTIONS = ['firehose:DescribeDeliveryStream', 'firehose:StartDeliveryStreamEncryption', 'firehose:TagDeliveryStream'];

/** The handler's statements for one delivery stream and its key (as the library writes them). */
function firehosePolicy(withGrant = true): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: FIREHOSE_ACTIONS, Resource: STREAM_ARN, Condition: { 'ForAllValues:StringEquals': { 'aws:TagKeys': OWNER_TAG_KEY } } },
      { Effect: 'Allow', Action: withGrant ? ['kms:CreateGrant', 'kms:DescribeKey'] : ['kms:DescribeKey'], Resource: KEY, Condition: { BoolIfExists: { 'kms:GrantIsForAWSResource': true } } },
    ],
  };
}

let cloud: LocalCloud;
let clock: LocalClock;
let firehose: FirehoseClient;
let kinesis: KinesisClient;
let kms: KMSClient;
let admin: FirehoseClient;

beforeAll(async () => {
  clock = new LocalClock({ frozen: true });
  cloud = await startLocalCloud({ clock, delays: { creatingMs: 0 }, kinesisDelays: { creatingMs: 0 } });
  const credentials = { accessKeyId: accessKeyIdForRole(ROLE), secretAccessKey: 'role-secret' };
  firehose = new FirehoseClient({ ...cloud.clientConfig(), credentials, maxAttempts: 1 });
  kinesis = new KinesisClient({ ...cloud.clientConfig(), credentials, maxAttempts: 1 });
  kms = new KMSClient({ ...cloud.clientConfig(), credentials, maxAttempts: 1 });
  admin = new FirehoseClient({ ...cloud.clientConfig(), maxAttempts: 1 });
});

afterAll(async () => {
  for (const client of [firehose, kinesis, kms, admin]) client.destroy();
  await cloud.stop();
});

beforeEach(() => {
  cloud.control.reset();
  cloud.iam.defineRole(ROLE, accessKeyIdForRole(ROLE));
  cloud.control.registerKey({ arn: KEY, aliases: ['alias/orders'] });
  cloud.control.createStream({ name: 'orders' });
  cloud.control.createStream({ name: 'payments' });
  cloud.control.createDataStream({ name: 'events' });
});

test('the access key id is read from the SigV4 Authorization header', () => {
  expect(accessKeyIdOf('AWS4-HMAC-SHA256 Credential=ASIAEXAMPLE/20260101/us-east-1/firehose/aws4_request, SignedHeaders=host, Signature=abc')).toBe('ASIAEXAMPLE');
  expect(accessKeyIdOf(undefined)).toBeUndefined();
  expect(accessKeyIdForRole(ROLE)).toMatch(/^ASIA[0-9A-F]{16}$/);
});

test('a role with no policy is denied, worded as IAM words it, HTTP 400; the default credentials are not restricted', async () => {
  const error = await rejectionOf(firehose.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: 'orders' })));
  expect(error.name).toBe('AccessDeniedException');
  expect(error.$metadata?.httpStatusCode).toBe(400);
  expect(error.message).toBe(`User: ${SESSION} is not authorized to perform: firehose:DescribeDeliveryStream on resource: ${STREAM_ARN} because no identity-based policy allows the firehose:DescribeDeliveryStream action`);
  await expect(admin.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: 'orders' }))).resolves.toBeDefined();
  expect(cloud.control.calls('DescribeDeliveryStream', 'orders')).toMatchObject({ accepted: 1, failed: 1 });
});

test('the named stream is allowed, another stream is not', async () => {
  cloud.iam.putPolicy(ROLE, 'handler', firehosePolicy());
  await expect(firehose.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: 'orders' }))).resolves.toBeDefined();
  const error = await rejectionOf(firehose.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: 'payments' })));
  expect(error.name).toBe('AccessDeniedException');
});

// IAM User Guide, "Controlling access based on tag keys"
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_tags.html#access_tags_control-tag-keys).
test('tag requests carry aws:TagKeys: only the owner tag may be written', async () => {
  cloud.iam.putPolicy(ROLE, 'handler', firehosePolicy());
  await expect(firehose.send(new TagDeliveryStreamCommand({ DeliveryStreamName: 'orders', Tags: [{ Key: OWNER_TAG_KEY, Value: 'x' }] }))).resolves.toBeDefined();
  const error = await rejectionOf(firehose.send(new TagDeliveryStreamCommand({ DeliveryStreamName: 'orders', Tags: [{ Key: 'team', Value: 'x' }] })));
  expect(error.name).toBe('AccessDeniedException');
});

// Firehose API Reference, "DeliveryStreamEncryptionConfigurationInput"
// (https://docs.aws.amazon.com/firehose/latest/APIReference/API_DeliveryStreamEncryptionConfigurationInput.html):
// Firehose calls CreateGrant on the key; "StartDeliveryStreamEncryption", Errors
// (https://docs.aws.amazon.com/firehose/latest/APIReference/API_StartDeliveryStreamEncryption.html):
// InvalidKMSResourceException when KMS answers AccessDeniedException.
test('a Firehose Start with a customer key needs kms:CreateGrant for the caller: InvalidKMSResourceException without it', async () => {
  cloud.iam.putPolicy(ROLE, 'handler', firehosePolicy(false));
  const start = () => firehose.send(new StartDeliveryStreamEncryptionCommand({
    DeliveryStreamName: 'orders',
    DeliveryStreamEncryptionConfigurationInput: { KeyType: 'CUSTOMER_MANAGED_CMK', KeyARN: KEY },
  }));
  const error = await rejectionOf(start());
  expect(error.name).toBe('InvalidKMSResourceException');
  expect(error.message).toContain(`kms:CreateGrant on resource: ${KEY}`);
  expect((cloud.control.stream('orders')?.DeliveryStreamEncryptionConfiguration as { Status?: string } | undefined)?.Status ?? 'DISABLED').toBe('DISABLED');
  cloud.iam.putPolicy(ROLE, 'handler', firehosePolicy(true));
  await expect(start()).resolves.toBeDefined();
});

test('kms:DescribeKey is authorized on the key an alias names', async () => {
  await expect(kms.send(new DescribeKeyCommand({ KeyId: 'alias/orders' }))).rejects.toMatchObject({ name: 'AccessDeniedException' });
  cloud.iam.putPolicy(ROLE, 'handler', firehosePolicy());
  await expect(kms.send(new DescribeKeyCommand({ KeyId: 'alias/orders' }))).resolves.toBeDefined();
});

// Kinesis API Reference, "StartStreamEncryption"
// (https://docs.aws.amazon.com/kinesis/latest/APIReference/API_StartStreamEncryption.html):
// KMSAccessDeniedException; the key used through Kinesis for one stream: Kinesis Data Streams
// Developer Guide, "Permissions to use user-generated KMS keys"
// (https://docs.aws.amazon.com/streams/latest/dev/permissions-user-key-KMS.html). That Start checks
// kms:GenerateDataKey of the caller is the model's harsher reading, not a sentence of either page.
test('a Kinesis Start with a customer key needs kms:GenerateDataKey via Kinesis for this stream: KMSAccessDeniedException', async () => {
  const statement = (streamArn: string) => ({
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: ['kinesis:DescribeStreamSummary', 'kinesis:StartStreamEncryption'], Resource: DATA_STREAM_ARN },
      {
        Effect: 'Allow',
        Action: 'kms:GenerateDataKey',
        Resource: KEY,
        Condition: { StringEquals: { 'kms:ViaService': 'kinesis.us-east-1.amazonaws.com', 'kms:EncryptionContext:aws:kinesis:arn': streamArn } },
      },
    ],
  });
  const start = () => kinesis.send(new StartStreamEncryptionCommand({ StreamName: 'events', EncryptionType: 'KMS', KeyId: KEY }));
  cloud.iam.putPolicy(ROLE, 'handler', statement('arn:aws:kinesis:us-east-1:123456789012:stream/other'));
  await expect(kinesis.send(new DescribeStreamSummaryCommand({ StreamName: 'events' }))).resolves.toBeDefined();
  expect((await rejectionOf(start())).name).toBe('KMSAccessDeniedException');
  cloud.iam.putPolicy(ROLE, 'handler', statement(DATA_STREAM_ARN));
  await expect(start()).resolves.toBeDefined();
});

test('a policy change is in force only after the propagation delay (option and control call)', async () => {
  expect(cloud.control.setIamPropagation(5_000)).toBe(5_000);
  cloud.iam.putPolicy(ROLE, 'handler', firehosePolicy());
  await expect(firehose.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: 'orders' }))).rejects.toMatchObject({ name: 'AccessDeniedException' });
  expect(cloud.control.iamRoles()).toEqual([{ roleArn: ROLE, sessionArn: SESSION, policies: [] }]);
  cloud.control.advanceClock(5_000);
  await expect(firehose.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: 'orders' }))).resolves.toBeDefined();
  expect(cloud.control.iamRoles()[0].policies).toEqual(['handler']);
  cloud.iam.removePolicy(ROLE, 'handler');
  await expect(firehose.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: 'orders' }))).resolves.toBeDefined();
  cloud.control.advanceClock(5_000);
  await expect(firehose.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: 'orders' }))).rejects.toMatchObject({ name: 'AccessDeniedException' });
});

test('kms:CreateGrant may see a new policy later than the other checks: Firehose\'s Start then answers InvalidKMSResourceException with code KMS.AccessDeniedException', async () => {
  expect(cloud.control.setIamPropagation(5_000, 'kms:CreateGrant')).toBe(5_000);
  cloud.iam.putPolicy(ROLE, 'handler', firehosePolicy());
  const start = () => firehose.send(new StartDeliveryStreamEncryptionCommand({
    DeliveryStreamName: 'orders',
    DeliveryStreamEncryptionConfigurationInput: { KeyType: 'CUSTOMER_MANAGED_CMK', KeyARN: KEY },
  }));
  await expect(firehose.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: 'orders' }))).resolves.toBeDefined();
  await expect(kms.send(new DescribeKeyCommand({ KeyId: KEY }))).resolves.toBeDefined();
  const error = await rejectionOf(start());
  expect(error).toMatchObject({ name: 'InvalidKMSResourceException', code: 'KMS.AccessDeniedException' });
  expect(error.message).toContain(`not authorized to perform: kms:CreateGrant on resource: ${KEY}`);
  cloud.control.advanceClock(5_000);
  await expect(start()).resolves.toBeDefined();
  expect(cloud.control.calls('StartDeliveryStreamEncryption', 'orders')).toMatchObject({ total: 2, accepted: 1, failed: 1 });
});

test('reset() restores the propagation delay the cloud was started with', async () => {
  const other = await startLocalCloud({ iam: { propagationMs: 1_500 } });
  try {
    expect(other.iam.propagationDelayMs).toBe(1_500);
    other.control.setIamPropagation(0);
    other.control.setIamPropagation(9_000, 'kms:CreateGrant');
    other.control.reset();
    expect(other.iam.propagationDelayMs).toBe(1_500);
    expect(other.iam.propagationDelayMsOf('kms:CreateGrant')).toBe(1_500);
  } finally {
    await other.stop();
  }
});
