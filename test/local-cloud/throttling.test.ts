import { FirehoseServiceException, ResourceNotFoundException } from '@aws-sdk/client-firehose';
import { DescribeKeyCommand } from '@aws-sdk/client-kms';
import { keyArn, rejectionOf, startTestCloud, TestCloud, useTestCloud } from './helpers';
import { LocalClock } from '../../tools/local-cloud';

function describeOrders(t: TestCloud) {
  return t.delivery.describe('orders');
}

describe('at the default rates, in real time', () => {
  const t = useTestCloud();

  test('30 rapid DescribeDeliveryStream calls: some are throttled (10/s), and the counts agree', async () => {
    t.cloud.control.createStream({ name: 'orders' });
    const results = await Promise.allSettled(Array.from({ length: 30 }, () => describeOrders(t)));
    const accepted = results.filter((r) => r.status === 'fulfilled').length;
    const errors = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as FirehoseServiceException);

    expect(errors.length).toBeGreaterThan(0);
    for (const error of errors) {
      expect(error).toBeInstanceOf(FirehoseServiceException);
      expect(error.name).toBe('ThrottlingException');
      expect(error.message).toBe('Rate exceeded for operation DescribeDeliveryStream.');
      expect(error.$metadata.httpStatusCode).toBe(400);
      expect(error.$metadata.attempts).toBe(1);
    }
    expect(accepted).toBeGreaterThanOrEqual(10);
    expect(accepted).toBeLessThan(30);
    expect(t.cloud.control.calls('DescribeDeliveryStream', 'orders')).toEqual({ total: 30, accepted, throttled: errors.length, failed: 0 });
    expect(t.cloud.control.state().throttles['firehose:DescribeDeliveryStream']).toEqual({ ratePerSecond: 10, burst: 10 });
  });
});

describe('with a frozen clock', () => {
  const t = useTestCloud({ clock: new LocalClock({ frozen: true }), delays: { creatingMs: 0, enablingMs: 0, disablingMs: 0 } });
  beforeEach(() => {
    t.cloud.control.reset();
    t.cloud.control.createStream({ name: 'orders' });
  });

  async function outcomes(n: number, call: () => Promise<unknown>): Promise<string[]> {
    const out: string[] = [];
    for (let i = 0; i < n; i++) {
      out.push(await call().then(() => 'ok', (e: Error) => e.name));
    }
    return out;
  }

  test('DescribeDeliveryStream: a burst of 10, then 10 per second', async () => {
    expect(await outcomes(12, () => describeOrders(t))).toEqual([...Array(10).fill('ok'), 'ThrottlingException', 'ThrottlingException']);
    t.cloud.control.advanceClock(300);
    expect(await outcomes(4, () => describeOrders(t))).toEqual(['ok', 'ok', 'ok', 'ThrottlingException']);
    expect(t.cloud.control.calls('DescribeDeliveryStream')).toEqual({ total: 16, accepted: 13, throttled: 3, failed: 0 });
  });

  test('Start and Stop: 5 per second each, checked before the call is looked at', async () => {
    const stopMissing = () => t.delivery.stop('missing');
    expect(await outcomes(6, stopMissing)).toEqual([...Array(5).fill('ResourceNotFoundException'), 'ThrottlingException']);
    expect(t.cloud.control.calls('StopDeliveryStreamEncryption')).toEqual({ total: 6, accepted: 0, throttled: 1, failed: 5 });
    // Start has a bucket of its own
    await t.delivery.start('orders');
  });

  test('TagDeliveryStream, UntagDeliveryStream and ListTagsForDeliveryStream: 5 per second each; a throttled tag call has no effect', async () => {
    const tag = (value: string) => () => t.delivery.tag('orders', [{ Key: 'owner', Value: value }]);
    expect(await outcomes(5, tag('a'))).toEqual(Array(5).fill('ok'));
    expect(await outcomes(1, tag('b'))).toEqual(['ThrottlingException']);
    expect(t.cloud.control.stream('orders')?.tags).toEqual({ owner: 'a' });
    const list = () => t.delivery.listTags('orders');
    expect(await outcomes(6, list)).toEqual([...Array(5).fill('ok'), 'ThrottlingException']);
    const untag = () => t.delivery.untag('orders', ['owner']);
    expect(await outcomes(6, untag)).toEqual([...Array(5).fill('ok'), 'ThrottlingException']);
    expect(t.cloud.control.calls('TagDeliveryStream', 'orders')).toEqual({ total: 6, accepted: 5, throttled: 1, failed: 0 });
    for (const operation of ['TagDeliveryStream', 'UntagDeliveryStream', 'ListTagsForDeliveryStream']) {
      expect(t.cloud.control.state().throttles[`firehose:${operation}`]).toEqual({ ratePerSecond: 5, burst: 5 });
    }
  });

  test('throttled Start and Stop calls have no effect and do not count toward the 25-call limit', async () => {
    t.cloud.control.setThrottle('StartDeliveryStreamEncryption', { ratePerSecond: 1, burst: 1 });
    const [first, second] = [keyArn('first'), keyArn('second')];
    t.cloud.control.registerKey({ arn: first });
    t.cloud.control.registerKey({ arn: second });
    const start = (arn: string) => t.delivery.start('orders', { KeyType: 'CUSTOMER_MANAGED_CMK', KeyARN: arn });

    await start(first);
    expect((await rejectionOf(start(second))).name).toBe('ThrottlingException');
    const stream = t.cloud.control.stream('orders')!;
    expect(stream.description.DeliveryStreamEncryptionConfiguration).toEqual({ KeyARN: first, KeyType: 'CUSTOMER_MANAGED_CMK', Status: 'ENABLED' });
    expect(stream.encryptionCalls.inWindow).toBe(1);
    expect(stream.description.VersionId).toBe('2');

    t.cloud.control.advanceClock(1_000);
    await start(second);
    expect(t.cloud.control.stream('orders')?.encryptionCalls.inWindow).toBe(2);
  });

  test('a null rate removes the limit; * sets the default of the other operations', async () => {
    t.cloud.control.setThrottle('DescribeDeliveryStream', null);
    expect(new Set(await outcomes(40, () => describeOrders(t)))).toEqual(new Set(['ok']));

    t.cloud.control.setThrottle('*', 2);
    const describeKey = () => t.kms.send(new DescribeKeyCommand({ KeyId: 'alias/aws/firehose' }));
    expect(await outcomes(3, describeKey)).toEqual(['ok', 'ok', 'ThrottlingException']);
    expect(t.cloud.control.state().throttles['*']).toEqual({ ratePerSecond: 2, burst: 2 });
  });

  test('buckets are per operation, whatever the resource', async () => {
    expect(await outcomes(11, () => describeOrders(t))).toContain('ThrottlingException');
    await t.delivery.listTags('orders');
    const otherStream = await rejectionOf(t.delivery.describe('missing'));
    expect(otherStream).not.toBeInstanceOf(ResourceNotFoundException);
    expect(otherStream.name).toBe('ThrottlingException');
  });
});

test('rates given at start override the built-in ones and survive reset()', async () => {
  const t = await startTestCloud({ clock: new LocalClock({ frozen: true }), throttle: { 'kms:DescribeKey': { ratePerSecond: 1, burst: 2 } } });
  try {
    const describe = () => t.kms.send(new DescribeKeyCommand({ KeyId: 'alias/aws/firehose' })).then(() => 'ok', (e: Error) => e.name);
    expect([await describe(), await describe(), await describe()]).toEqual(['ok', 'ok', 'ThrottlingException']);
    t.cloud.control.reset();
    expect([await describe(), await describe(), await describe()]).toEqual(['ok', 'ok', 'ThrottlingException']);
    expect(t.cloud.control.state().throttles['kms:DescribeKey']).toEqual({ ratePerSecond: 1, burst: 2 });
  } finally {
    await t.stop();
  }
});
