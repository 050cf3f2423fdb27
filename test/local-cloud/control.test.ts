import {
  DeliveryStreamDescription,
  DescribeDeliveryStreamCommand,
  LimitExceededException,
  ResourceInUseException,
  ResourceNotFoundException,
  StartDeliveryStreamEncryptionCommand,
} from '@aws-sdk/client-firehose';
import { DescribeKeyCommand } from '@aws-sdk/client-kms';
import { FUNCTIONAL_OPTIONS, keyArn, rejectionOf, useTestCloud } from './helpers';
import { ControlError, DEFAULT_TRANSITION_DELAYS, EncryptionSpec, FailureDescription, StreamSpec } from '../../tools/local-cloud';

const HOUR = 60 * 60 * 1000;
const FAILURE: FailureDescription = { Type: 'CREATE_KMS_GRANT_FAILED', Details: 'grant refused' };

const t = useTestCloud(FUNCTIONAL_OPTIONS, { resetEach: true });

async function describeStream(name: string): Promise<DeliveryStreamDescription> {
  return (await t.firehose.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: name }))).DeliveryStreamDescription!;
}

function start(name: string) {
  return t.firehose.send(new StartDeliveryStreamEncryptionCommand({ DeliveryStreamName: name }));
}

describe('createStream: a stream in any state', () => {
  test.each<[string, Partial<StreamSpec>, string, string | undefined]>([
    ['CREATING, then ACTIVE', { status: 'CREATING' }, 'CREATING', 'ACTIVE'],
    ['CREATING, then CREATING_FAILED', { status: 'CREATING', failureDescription: FAILURE }, 'CREATING', 'CREATING_FAILED'],
    ['CREATING_FAILED', { status: 'CREATING_FAILED', failureDescription: FAILURE }, 'CREATING_FAILED', 'CREATING_FAILED'],
    ['DELETING, then gone', { status: 'DELETING' }, 'DELETING', undefined],
    ['DELETING_FAILED', { status: 'DELETING_FAILED' }, 'DELETING_FAILED', 'DELETING_FAILED'],
  ])('%s', async (_what, spec, first, later) => {
    t.cloud.control.setDelays({ creatingMs: 1_000, deletingMs: 1_000 });
    t.cloud.control.createStream({ name: 'orders', ...spec });
    expect((await describeStream('orders')).DeliveryStreamStatus).toBe(first);
    t.cloud.control.advanceClock(1_000);
    if (later === undefined) {
      expect(await rejectionOf(describeStream('orders'))).toBeInstanceOf(ResourceNotFoundException);
    } else {
      const d = await describeStream('orders');
      expect(d.DeliveryStreamStatus).toBe(later);
      if (later.endsWith('_FAILED')) expect(d.FailureDescription).toEqual(spec.failureDescription ?? { Type: 'UNKNOWN_ERROR', Details: expect.any(String) });
    }
  });

  const key = keyArn('11111111-1111-1111-1111-111111111111');
  const oldKey = keyArn('00000000-0000-0000-0000-000000000000');
  test.each<[string, EncryptionSpec, object, object]>([
    ['ENABLED', { status: 'ENABLED', keyArn: key }, { KeyARN: key, KeyType: 'CUSTOMER_MANAGED_CMK', Status: 'ENABLED' }, { Status: 'ENABLED' }],
    ['ENABLING, then ENABLED', { status: 'ENABLING' }, { KeyType: 'AWS_OWNED_CMK', Status: 'ENABLING' }, { KeyType: 'AWS_OWNED_CMK', Status: 'ENABLED' }],
    ['ENABLING, then ENABLING_FAILED', { status: 'ENABLING', keyArn: key, outcome: FAILURE }, { Status: 'ENABLING' }, { Status: 'ENABLING_FAILED', FailureDescription: FAILURE }],
    ['DISABLING, then DISABLED', { status: 'DISABLING', keyArn: key }, { KeyARN: key, Status: 'DISABLING' }, { Status: 'DISABLED' }],
    ['ENABLING_FAILED of a key change', { status: 'ENABLING_FAILED', keyArn: key, appliedKey: { keyType: 'CUSTOMER_MANAGED_CMK', keyArn: oldKey }, failure: FAILURE },
      { KeyARN: oldKey, Status: 'ENABLING_FAILED', FailureDescription: FAILURE }, { KeyARN: oldKey, Status: 'ENABLING_FAILED' }],
    ['DISABLING_FAILED', { status: 'DISABLING_FAILED', keyArn: key }, { KeyARN: key, Status: 'DISABLING_FAILED', FailureDescription: { Type: 'UNKNOWN_ERROR' } },
      { Status: 'DISABLING_FAILED' }],
  ])('encryption %s', async (_what, encryption, first, later) => {
    t.cloud.control.createStream({ name: 'orders', encryption });
    expect((await describeStream('orders')).DeliveryStreamEncryptionConfiguration).toMatchObject(first);
    t.cloud.control.advanceClock(60_000);
    expect((await describeStream('orders')).DeliveryStreamEncryptionConfiguration).toMatchObject(later);
  });

  test('a stream without any DeliveryStreamEncryptionConfiguration', async () => {
    t.cloud.control.createStream({ name: 'orders', encryption: null });
    const d = await describeStream('orders');
    expect(d).not.toHaveProperty('DeliveryStreamEncryptionConfiguration');
    expect(d.DeliveryStreamStatus).toBe('ACTIVE');
  });

  test('a stream made ENABLING refuses Start with ResourceInUseException', async () => {
    t.cloud.control.createStream({ name: 'orders', encryption: { status: 'ENABLING' } });
    expect(await rejectionOf(start('orders'))).toBeInstanceOf(ResourceInUseException);
  });

  test('a KinesisStreamAsSource stream gets a source description', async () => {
    t.cloud.control.createStream({ name: 'k', type: 'KinesisStreamAsSource' });
    expect((await describeStream('k')).Source?.KinesisStreamSourceDescription).toMatchObject({
      KinesisStreamARN: 'arn:aws:kinesis:us-east-1:123456789012:stream/k-source',
      RoleARN: 'arn:aws:iam::123456789012:role/firehose-k',
    });
  });

  test('encryptionCallsInWindow spends the Start/Stop budget for 24 hours', async () => {
    t.cloud.control.createStream({ name: 'orders', encryptionCallsInWindow: 25 });
    expect(await rejectionOf(start('orders'))).toBeInstanceOf(LimitExceededException);
    t.cloud.control.advanceClock(24 * HOUR);
    await start('orders');
  });

  test.each<[string, () => unknown, RegExp]>([
    ['an existing stream', () => {
      t.cloud.control.createStream({ name: 'orders' });
      t.cloud.control.createStream({ name: 'orders' });
    }, /already exists/],
    ['an invalid name', () => t.cloud.control.createStream({ name: 'no spaces' }), /is not a delivery stream name/],
    ['an unknown status', () => t.cloud.control.createStream({ name: 'x', status: 'READY' as 'ACTIVE' }), /unknown status 'READY'/],
    ['a customer key without ARN', () => t.cloud.control.createStream({ name: 'x', encryption: { status: 'ENABLED', keyType: 'CUSTOMER_MANAGED_CMK' } }), /keyArn is required/],
    ['an unknown failure type', () => t.cloud.control.createStream({ name: 'x', status: 'CREATING_FAILED', failureDescription: { Type: 'OOPS', Details: '' } as unknown as FailureDescription }),
      /Type one of CREATE_ENI_FAILED/],
  ])('refuses %s with ControlError', (_what, call, message) => {
    expect(call).toThrow(ControlError);
    expect(call).toThrow(message);
  });
});

describe('other control methods', () => {
  test('deleteStream removes a stream at once, even while ENABLING', async () => {
    t.cloud.control.createStream({ name: 'orders' });
    await start('orders');
    expect(t.cloud.control.stream('orders')?.pendingChange).toMatchObject({ kind: 'ENABLING', willFail: false });
    expect(t.cloud.control.deleteStream('orders')).toBe(true);
    expect(await rejectionOf(describeStream('orders'))).toBeInstanceOf(ResourceNotFoundException);
    expect(t.cloud.control.deleteStream('orders')).toBe(false);
  });

  test('setStreamDelays applies to the named stream only, until removed', async () => {
    t.cloud.control.setDelays({ enablingMs: 0 });
    expect(t.cloud.control.setStreamDelays('slow', { enablingMs: 5_000 })).toEqual({ ...DEFAULT_TRANSITION_DELAYS, creatingMs: 0, deletingMs: 0, disablingMs: 60_000, enablingMs: 5_000 });
    t.cloud.control.createStream({ name: 'slow' });
    t.cloud.control.createStream({ name: 'fast' });
    await start('slow');
    await start('fast');
    expect((await describeStream('fast')).DeliveryStreamEncryptionConfiguration?.Status).toBe('ENABLED');
    expect((await describeStream('slow')).DeliveryStreamEncryptionConfiguration?.Status).toBe('ENABLING');
    t.cloud.control.advanceClock(5_000);
    expect((await describeStream('slow')).DeliveryStreamEncryptionConfiguration?.Status).toBe('ENABLED');
    expect(t.cloud.control.setStreamDelays('slow', null).enablingMs).toBe(0);
  });

  test('callLog lists calls in order with their outcome; calls() sums them', async () => {
    await rejectionOf(describeStream('orders'));
    t.cloud.control.createStream({ name: 'orders' });
    await describeStream('orders');
    t.cloud.control.failNext('StartDeliveryStreamEncryption', 'ServiceUnavailableException');
    await rejectionOf(start('orders'));
    const log = t.cloud.control.callLog().map(({ operation, resource, outcome, errorName, httpStatus }) => (
      { operation, resource, outcome, errorName, httpStatus }
    ));
    expect(log).toEqual([
      { operation: 'firehose:DescribeDeliveryStream', resource: 'orders', outcome: 'failed', errorName: 'ResourceNotFoundException', httpStatus: 400 },
      { operation: 'firehose:DescribeDeliveryStream', resource: 'orders', outcome: 'accepted', errorName: undefined, httpStatus: 200 },
      { operation: 'firehose:StartDeliveryStreamEncryption', resource: 'orders', outcome: 'failed', errorName: 'ServiceUnavailableException', httpStatus: 500 },
    ]);
    expect(t.cloud.control.calls()).toEqual({ total: 3, accepted: 1, throttled: 0, failed: 2 });
    expect(t.cloud.control.calls(undefined, 'orders')).toEqual({ total: 3, accepted: 1, throttled: 0, failed: 2 });
    expect(t.cloud.control.callCounts().resources.orders['firehose:DescribeDeliveryStream']).toEqual({ total: 2, accepted: 1, throttled: 0, failed: 1 });
  });

  test('state() reports streams, keys with aliases, rates, pending faults and counts', async () => {
    t.cloud.control.createStream({ name: 'orders', encryption: { status: 'ENABLED' } });
    const key = t.cloud.control.registerKey({ aliases: ['alias/orders'] });
    await t.kms.send(new DescribeKeyCommand({ KeyId: 'alias/orders' }));
    t.cloud.control.failNext('DescribeKey', 'KMSInternalException', { count: 2 });
    t.cloud.control.failNextStart('orders', FAILURE);
    const state = t.cloud.control.state();
    expect(state.firehose.streams.map((s) => s.description.DeliveryStreamName)).toEqual(['orders']);
    expect(state.firehose.streams[0].appliedKey).toEqual({ keyType: 'AWS_OWNED_CMK' });
    expect(state.firehose.forcedFailures.start).toEqual({ orders: FAILURE });
    expect(state.kms.keys).toEqual([{ KeyMetadata: expect.objectContaining({ KeyId: key.KeyId }), Aliases: ['alias/orders'] }]);
    expect(state.kms.aliases).toEqual([{ AliasName: 'alias/orders', AliasArn: 'arn:aws:kms:us-east-1:123456789012:alias/orders', TargetKeyId: key.KeyId, TargetKeyArn: key.Arn }]);
    expect(state.throttles['firehose:StartDeliveryStreamEncryption']).toBeNull(); // turned off by FUNCTIONAL_OPTIONS
    expect(state.throttles['kms:DescribeKey']).toBeNull();
    expect(state.faults).toEqual([expect.objectContaining({ operation: 'kms:DescribeKey', errorName: 'KMSInternalException', remaining: 2, httpStatus: 500 })]);
    expect(state.calls.operations['kms:DescribeKey']).toEqual({ total: 1, accepted: 1, throttled: 0, failed: 0 });

    t.cloud.control.clearFaults();
    expect(t.cloud.control.state().faults).toEqual([]);
    expect(t.cloud.control.state().firehose.forcedFailures.start).toEqual({});
  });

  test('reset() forgets everything and rewinds the clock', async () => {
    const started = t.cloud.control.now();
    t.cloud.control.createStream({ name: 'orders' });
    t.cloud.control.registerKey({ aliases: ['alias/x'] });
    t.cloud.control.setDelays({ enablingMs: 1 });
    t.cloud.control.setStreamDelays('orders', { enablingMs: 2 });
    t.cloud.control.failNext('ListTagsForDeliveryStream', 'InvalidArgumentException');
    t.cloud.control.advanceClock(HOUR);
    await describeStream('orders');

    t.cloud.control.reset();
    const state = t.cloud.control.state();
    expect(state.firehose.streams).toEqual([]);
    expect(state.firehose.streamDelays).toEqual({});
    expect(state.firehose.delays.enablingMs).toBe(60_000);
    expect(state.kms).toEqual({ keys: [], aliases: [] });
    expect(state.faults).toEqual([]);
    expect(state.calls).toEqual({ operations: {}, resources: {} });
    expect(state.clockOffsetMs).toBe(0);
    expect(t.cloud.control.now() - started).toBeLessThan(HOUR);
  });

  test.each<[string, () => unknown, RegExp]>([
    ['an unknown operation', () => t.cloud.control.failNext('UpdateDestination', 'X'), /Unknown operation 'UpdateDestination'. Known operations: firehose:DescribeDeliveryStream/],
    ['an operation two services have, by bare name', () => t.cloud.control.failNext('PutRecord', 'X'), /Operation 'PutRecord' is ambiguous: use one of firehose:PutRecord, kinesis:PutRecord/],
    ['an invalid error name', () => t.cloud.control.failNext('DescribeKey', 'not a name'), /errorName must be an error shape name/],
    ['a count of 0', () => t.cloud.control.failNext('DescribeKey', 'X', { count: 0 }), /count must be an integer >= 1/],
    ['a negative delay', () => t.cloud.control.setDelays({ enablingMs: -1 }), /enablingMs must be a finite number of milliseconds >= 0/],
    ['an unknown delay', () => t.cloud.control.setDelays({ updatingMs: 1 } as object), /unknown delay 'updatingMs'/],
    ['a zero rate', () => t.cloud.control.setThrottle('DescribeKey', 0), /ratePerSecond must be a finite number > 0/],
    ['moving the clock back', () => t.cloud.control.advanceClock(-1), /expected a finite number of milliseconds >= 0/],
    ['a missing key', () => t.cloud.control.setKeyState('alias/none', 'Disabled'), /Alias .*alias\/none is not found/],
    ['an unknown key state', () => t.cloud.control.registerKey({ keyState: 'Creating' as 'Enabled' }), /keyState must be one of/],
  ])('refuses %s with ControlError', (_what, call, message) => {
    expect(call).toThrow(ControlError);
    expect(call).toThrow(message);
  });
});
