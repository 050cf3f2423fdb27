import {
  DescribeDeliveryStreamCommand,
  FirehoseClient,
  FirehoseServiceException,
  InvalidArgumentException,
  InvalidKMSResourceException,
  KeyType,
  ListTagsForDeliveryStreamCommand,
  ServiceUnavailableException,
  StartDeliveryStreamEncryptionCommand,
} from '@aws-sdk/client-firehose';
import { KinesisClient, ListStreamsCommand } from '@aws-sdk/client-kinesis';
import { DescribeKeyCommand, KMSClient, KMSInternalException } from '@aws-sdk/client-kms';
import { FUNCTIONAL_OPTIONS, rejectionOf, useTestCloud } from './helpers';
import { defineOperation, LocalCloud, shapes, startLocalCloud } from '../../tools/local-cloud';

const t = useTestCloud(FUNCTIONAL_OPTIONS, { resetEach: true });

/** POSTs a raw JSON 1.1 request. */
async function post(target: string | undefined, body: string): Promise<{ status: number; headers: Headers; json: Record<string, unknown> }> {
  const headers: Record<string, string> = { 'content-type': 'application/x-amz-json-1.1' };
  if (target !== undefined) headers['x-amz-target'] = target;
  const response = await fetch(t.cloud.endpoint, { method: 'POST', headers, body });
  return { status: response.status, headers: response.headers, json: (await response.json()) as Record<string, unknown> };
}

describe('the JSON 1.1 wire format', () => {
  test('answers with application/x-amz-json-1.1, a request id, and timestamps in epoch seconds', async () => {
    t.cloud.control.createStream({ name: 'orders' });

    const described = await post('Firehose_20150804.DescribeDeliveryStream', JSON.stringify({ DeliveryStreamName: 'orders' }));
    expect(described.headers.get('content-type')).toBe('application/x-amz-json-1.1');
    expect(described.headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/);
    const created_at = (described.json.DeliveryStreamDescription as Record<string, unknown>).CreateTimestamp;
    expect(typeof created_at).toBe('number');
    expect(Math.abs((created_at as number) - Date.now() / 1000)).toBeLessThan(5);
  });

  test('answers an error with its status, x-amzn-errortype and a {__type, message} body', async () => {
    const answer = await post('Firehose_20150804.DescribeDeliveryStream', JSON.stringify({ DeliveryStreamName: 'missing' }));
    expect(answer.status).toBe(400);
    expect(answer.headers.get('x-amzn-errortype')).toBe('ResourceNotFoundException');
    expect(answer.json).toEqual({ __type: 'ResourceNotFoundException', message: 'Firehose stream missing under account 123456789012 not found.' });
  });

  test.each([
    ['an unknown operation', 'Firehose_20150804.UpdateDestination', /Operation Firehose_20150804.UpdateDestination is not supported/],
    ['an unknown service', 'DynamoDB_20120810.ListTables', /not supported/],
    ['no target at all', undefined, /Missing X-Amz-Target/],
  ])('%s is an UnknownOperationException', async (_what, target, message) => {
    const answer = await post(target, '{}');
    expect(answer.status).toBe(400);
    expect(answer.json.__type).toBe('UnknownOperationException');
    expect(answer.json.message).toMatch(message);
  });

  test('a Kinesis operation the local cloud does not model: the Kinesis SDK (over HTTP/2) gets UnknownOperationException', async () => {
    const kinesis = new KinesisClient({ ...t.cloud.clientConfig(), maxAttempts: 1 });
    try {
      const error = await rejectionOf(kinesis.send(new ListStreamsCommand({})));
      expect(error.name).toBe('UnknownOperationException');
      expect(error.message).toMatch(/Operation Kinesis_20131202.ListStreams is not supported/);
    } finally {
      kinesis.destroy();
    }
  });

  test.each([
    ['a body that is not JSON', '{"DeliveryStreamName": ', /not valid JSON/],
    ['a body that is a list', '["orders"]', /Expected the request body to be a JSON object but found a list/],
    ['a string member given a number', '{"DeliveryStreamName": 5}', /Expected a string at 'deliveryStreamName' but found a number/],
    ['an integer member given a string', '{"DeliveryStreamName": "orders", "Limit": "5"}', /Expected an integer at 'limit'/],
  ])('%s is a SerializationException', async (_what, body, message) => {
    const answer = await post('Firehose_20150804.DescribeDeliveryStream', body);
    expect(answer.status).toBe(400);
    expect(answer.headers.get('x-amzn-errortype')).toBe('SerializationException');
    expect(answer.json.message).toMatch(message);
    expect(t.cloud.control.calls('DescribeDeliveryStream')).toEqual({ total: 1, accepted: 0, throttled: 0, failed: 1 });
  });

  test('a body over 1 MiB is refused', async () => {
    const answer = await post('Firehose_20150804.DescribeDeliveryStream', JSON.stringify({ pad: 'x'.repeat(1024 * 1024) }));
    expect(answer.status).toBe(413);
    expect(answer.json.__type).toBe('SerializationException');
  });
});

describe('validation against the model shapes', () => {
  test('a missing required member (Firehose: InvalidArgumentException)', async () => {
    const answer = await post('Firehose_20150804.DescribeDeliveryStream', '{}');
    expect(answer.json).toEqual({
      __type: 'InvalidArgumentException',
      message: "1 validation error detected: Value null at 'deliveryStreamName' failed to satisfy constraint: Member must not be null",
    });
  });

  test('every violated constraint is reported in one message', async () => {
    const error = await rejectionOf(
      t.firehose.send(
        new StartDeliveryStreamEncryptionCommand({
          DeliveryStreamName: 'x'.repeat(65),
          DeliveryStreamEncryptionConfigurationInput: { KeyType: 'CUSTOMER' as KeyType, KeyARN: 'arn:aws:kms:us-east-1:123:key/k' },
        }),
      ),
    );
    expect(error).toBeInstanceOf(InvalidArgumentException);
    expect(error.message).toBe(
      `3 validation errors detected: Value '${'x'.repeat(65)}' at 'deliveryStreamName' failed to satisfy constraint: Member must have length less than or equal to 64; `
      + "Value 'arn:aws:kms:us-east-1:123:key/k' at 'deliveryStreamEncryptionConfigurationInput.keyARN' failed to satisfy constraint: "
      + 'Member must satisfy regular expression pattern: arn:.*:kms:[a-zA-Z0-9\\-]+:\\d{12}:(key|alias)/[a-zA-Z_0-9+=,.@\\-_/]+; '
      + "Value 'CUSTOMER' at 'deliveryStreamEncryptionConfigurationInput.keyType' failed to satisfy constraint: "
      + 'Member must satisfy enum value set: [AWS_OWNED_CMK, CUSTOMER_MANAGED_CMK]',
    );
  });

  test.each([
    ['a stream name with a space', () => t.firehose.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: 'my stream' })), /pattern: \[a-zA-Z0-9_.-\]\+/],
    ['an empty stream name', () => t.firehose.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: '' })), /length greater than or equal to 1/],
    ['a Limit of 0', () => t.firehose.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: 'orders', Limit: 0 })), /at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1/],
  ])('%s is refused', async (_what, call, message) => {
    const error = await rejectionOf(call());
    expect(error).toBeInstanceOf(InvalidArgumentException);
    expect(error.message).toMatch(message);
  });

  test('KMS answers validation errors with ValidationException', async () => {
    const answer = await post('TrentService.DescribeKey', JSON.stringify({}));
    expect(answer.json).toEqual({
      __type: 'ValidationException',
      message: "1 validation error detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null",
    });
  });
});

describe('injected faults', () => {
  test('surface as the SDK exception class of their name, with their status and message', async () => {
    t.cloud.control.failNext('DescribeDeliveryStream', 'ServiceUnavailableException', { message: 'try later' });
    const unavailable = await rejectionOf(t.firehose.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: 'orders' })));
    expect(unavailable).toBeInstanceOf(ServiceUnavailableException);
    expect(unavailable.message).toBe('try later');
    expect(unavailable.$metadata?.httpStatusCode).toBe(500);

    t.cloud.control.failNext('firehose:StartDeliveryStreamEncryption', 'InvalidKMSResourceException');
    const kmsResource = await rejectionOf(t.firehose.send(new StartDeliveryStreamEncryptionCommand({ DeliveryStreamName: 'orders' })));
    expect(kmsResource).toBeInstanceOf(InvalidKMSResourceException);
    expect(kmsResource.$metadata?.httpStatusCode).toBe(400);

    t.cloud.control.failNext('TrentService.DescribeKey', 'KMSInternalException');
    const kmsInternal = await rejectionOf(t.kms.send(new DescribeKeyCommand({ KeyId: 'alias/any' })));
    expect(kmsInternal).toBeInstanceOf(KMSInternalException);
    expect(kmsInternal.$metadata?.httpStatusCode).toBe(500);

    t.cloud.control.failNext('ListTagsForDeliveryStream', 'ThrottlingException', { httpStatus: 429 });
    const throttled = await rejectionOf(t.firehose.send(new ListTagsForDeliveryStreamCommand({ DeliveryStreamName: 'orders' })));
    expect(throttled).toBeInstanceOf(FirehoseServiceException);
    expect(throttled.name).toBe('ThrottlingException');
    expect(throttled.$metadata?.httpStatusCode).toBe(429);
  });

  test('have no effect and are counted as failed; the SDK retries server faults', async () => {
    t.cloud.control.createStream({ name: 'orders' });
    t.cloud.control.failNext('StartDeliveryStreamEncryption', 'InvalidArgumentException');
    await rejectionOf(t.firehose.send(new StartDeliveryStreamEncryptionCommand({ DeliveryStreamName: 'orders' })));
    expect(t.cloud.control.stream('orders')?.description.DeliveryStreamEncryptionConfiguration).toEqual({ Status: 'DISABLED' });
    expect(t.cloud.control.stream('orders')?.encryptionCalls.inWindow).toBe(0);

    const retrying = new FirehoseClient({ ...t.cloud.clientConfig(), maxAttempts: 3, retryStrategy: undefined });
    try {
      t.cloud.control.failNext('DescribeDeliveryStream', 'ServiceUnavailableException', { count: 2 });
      const out = await retrying.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: 'orders' }));
      expect(out.$metadata.attempts).toBe(3);
    } finally {
      retrying.destroy();
    }
    expect(t.cloud.control.calls('DescribeDeliveryStream', 'orders')).toEqual({ total: 3, accepted: 1, throttled: 0, failed: 2 });
    expect(t.cloud.control.calls('StartDeliveryStreamEncryption')).toEqual({ total: 1, accepted: 0, throttled: 0, failed: 1 });
  });

  test('applyThenFail: the call takes effect, the caller sees the error, and it counts as accepted with that error', async () => {
    t.cloud.control.createStream({ name: 'orders' });
    t.cloud.control.failNext('StartDeliveryStreamEncryption', 'ServiceUnavailableException', { applyThenFail: true, resource: 'orders', message: 'lost' });
    const lost = await rejectionOf(t.firehose.send(new StartDeliveryStreamEncryptionCommand({
      DeliveryStreamName: 'orders',
      DeliveryStreamEncryptionConfigurationInput: { KeyType: KeyType.AWS_OWNED_CMK },
    })));
    expect(lost).toBeInstanceOf(ServiceUnavailableException);
    expect(lost.message).toBe('lost');
    expect(lost.$metadata?.httpStatusCode).toBe(500);
    // the effect happened: the change is under way, and it took one call of the stream's window
    const snapshot = t.cloud.control.stream('orders')!;
    expect(snapshot.description.DeliveryStreamEncryptionConfiguration).toMatchObject({ Status: 'ENABLING', KeyType: 'AWS_OWNED_CMK' });
    expect(snapshot.encryptionCalls.inWindow).toBe(1);
    expect(t.cloud.control.calls('StartDeliveryStreamEncryption', 'orders')).toEqual({ total: 1, accepted: 1, throttled: 0, failed: 0 });
    expect(t.cloud.control.callLog().at(-1)).toMatchObject({
      operation: 'firehose:StartDeliveryStreamEncryption', resource: 'orders', outcome: 'accepted', errorName: 'ServiceUnavailableException', httpStatus: 500,
    });
    expect(t.cloud.control.state().faults).toEqual([]);
  });

  test('applyThenFail on a call that fails by itself answers its own error, with no effect', async () => {
    t.cloud.control.failNext('StartDeliveryStreamEncryption', 'ServiceUnavailableException', { applyThenFail: true });
    const missing = await rejectionOf(t.firehose.send(new StartDeliveryStreamEncryptionCommand({ DeliveryStreamName: 'missing' })));
    expect(missing.name).toBe('ResourceNotFoundException');
    expect(t.cloud.control.calls('StartDeliveryStreamEncryption')).toEqual({ total: 1, accepted: 0, throttled: 0, failed: 1 });
  });

  test('can be scoped to one resource', async () => {
    t.cloud.control.createStream({ name: 'a' });
    t.cloud.control.createStream({ name: 'b' });
    t.cloud.control.failNext('DescribeDeliveryStream', 'ResourceInUseException', { resource: 'b' });
    await t.firehose.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: 'a' }));
    expect((await rejectionOf(t.firehose.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: 'b' })))).name).toBe('ResourceInUseException');
    await t.firehose.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: 'b' }));
  });
});

describe('configuration through the standard environment variables only', () => {
  const names = ['AWS_ENDPOINT_URL_FIREHOSE', 'AWS_ENDPOINT_URL_KMS', 'AWS_ENDPOINT_URL_KINESIS', 'AWS_ENDPOINT_URL_SNS', 'AWS_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'];
  const saved: Record<string, string | undefined> = {};
  beforeEach(() => {
    for (const name of names) saved[name] = process.env[name];
    Object.assign(process.env, t.cloud.env());
  });
  afterEach(() => {
    for (const name of names) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  });

  test('env() names the endpoint variables, the region and dummy credentials', () => {
    expect(t.cloud.env()).toEqual({
      AWS_ENDPOINT_URL_FIREHOSE: t.cloud.endpoint,
      AWS_ENDPOINT_URL_KMS: t.cloud.endpoint,
      AWS_ENDPOINT_URL_KINESIS: t.cloud.endpoint,
      AWS_ENDPOINT_URL_SNS: t.cloud.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: expect.any(String),
      AWS_SECRET_ACCESS_KEY: expect.any(String),
    });
    expect(t.cloud.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  test('SDK clients without an endpoint option reach the local cloud', async () => {
    const firehose = new FirehoseClient({ maxAttempts: 1 });
    const kms = new KMSClient({ maxAttempts: 1 });
    try {
      const key = await kms.send(new DescribeKeyCommand({ KeyId: 'alias/aws/firehose' }));
      expect(key.KeyMetadata?.Arn).toMatch(/^arn:aws:kms:us-east-1:123456789012:key\//);
      t.cloud.control.createStream({ name: 'orders' });
      expect(await firehose.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: 'orders' }))).toMatchObject({ DeliveryStreamDescription: { DeliveryStreamName: 'orders' } });
    } finally {
      firehose.destroy();
      kms.destroy();
    }
    expect(t.cloud.control.calls('DescribeKey').accepted).toBe(1);
    expect(t.cloud.control.calls('DescribeDeliveryStream').accepted).toBe(1);
  });
});

describe('adding a service', () => {
  let cloud: LocalCloud;
  const internalErrors: string[] = [];
  beforeAll(async () => {
    cloud = await startLocalCloud({ onInternalError: (_error, operation) => internalErrors.push(operation) });
    cloud.router.register({
      id: 'example',
      targetPrefix: 'Example_20250101',
      validationErrorName: 'ValidationException',
      operations: {
        DescribeThing: defineOperation<{ ThingName: string }>({
          input: shapes.structure({ ThingName: shapes.string({ min: 1, max: 128 }) }, ['ThingName']),
          resourceMember: 'ThingName',
          handle: (input, context) => ({
            Thing: { ThingName: input.ThingName, ThingARN: `arn:aws:example:${context.region}:${context.accountId}:thing/${input.ThingName}`, CreatedAt: context.now / 1000 },
          }),
        }),
        ListThings: defineOperation<object>({
          input: shapes.structure({}),
          throttle: { ratePerSecond: 1, burst: 1 },
          handle: () => {
            throw new Error('boom');
          },
        }),
      },
    });
  });
  afterAll(async () => cloud.stop());

  async function call(target: string, body: object): Promise<{ status: number; json: Record<string, unknown> }> {
    const response = await fetch(cloud.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': target },
      body: JSON.stringify(body),
    });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  }

  test('a module registered on the router is served like the built-in services', async () => {
    const out = await call('Example_20250101.DescribeThing', { ThingName: 'orders' });
    expect(out).toEqual({ status: 200, json: { Thing: expect.objectContaining({ ThingName: 'orders', ThingARN: 'arn:aws:example:us-east-1:123456789012:thing/orders' }) } });
    const failed = await call('Example_20250101.ListThings', {});
    expect(failed).toEqual({ status: 500, json: expect.objectContaining({ __type: 'InternalFailure' }) });
    expect(internalErrors).toEqual(['example:ListThings']);
    expect((await call('Example_20250101.ListThings', {})).json.__type).toBe('ThrottlingException'); // its declared rate: 1/s
    expect((await call('Example_20250101.DescribeThing', {})).json.__type).toBe('ValidationException');
    expect(cloud.control.state().throttles['example:ListThings']).toEqual({ ratePerSecond: 1, burst: 1 });
    expect(cloud.control.calls('example:DescribeThing', 'orders').accepted).toBe(1);
  });

  test('a second module with a taken id or target prefix is refused', () => {
    expect(() => cloud.router.register({ id: 'kinesis', targetPrefix: 'Other_1', validationErrorName: 'ValidationException', operations: {} })).toThrow(
      /id 'kinesis' is already registered/,
    );
    expect(() => cloud.router.register({ id: 'other', targetPrefix: 'Kinesis_20131202', validationErrorName: 'ValidationException', operations: {} })).toThrow(
      /target prefix 'Kinesis_20131202' is already registered/,
    );
  });
});
