/**
 * The local CloudWatch: Firehose counts the KMS errors of a stream's key per delivery stream per
 * minute, and metric alarms evaluate their last complete periods on the local clock, keep a state
 * history and record the actions they fire.
 */
import { FirehoseClient, PutRecordCommand } from '@aws-sdk/client-firehose';
import { keyArn, rejectionOf } from './helpers';
import { CloudWatchBackend, LocalClock, LocalCloud, MetricAlarmSpec, startLocalCloud } from '../../tools/local-cloud';

const KEY = keyArn('44444444-4444-4444-8444-444444444444');
const OTHER_KEY = keyArn('55555555-5555-4555-8555-555555555555');
const TOPIC = 'arn:aws:sns:us-east-1:123456789012:alerts';
const MINUTE = 60_000;
/** A fixed start on a five-minute boundary, so periods are easy to reason about. */
const START = Date.UTC(2026, 0, 1, 12, 0, 0);
const bytes = (text: string) => new TextEncoder().encode(text);

const dims = (stream: string) => [{ Name: 'DeliveryStreamName', Value: stream }];

/** The Sum of a Firehose metric of `stream` per minute since `START`. */
function perMinute(cloud: LocalCloud, metricName: string, stream: string) {
  return cloud.control.metricStatistics({
    Namespace: 'AWS/Firehose',
    MetricName: metricName,
    Dimensions: dims(stream),
    StartTime: START,
    EndTime: cloud.control.now() + MINUTE,
    Period: 60,
    Statistic: 'Sum',
  });
}

describe('Firehose KMS error metrics', () => {
  let cloud: LocalCloud;
  let firehose: FirehoseClient;

  beforeAll(async () => {
    cloud = await startLocalCloud({ clock: new LocalClock({ frozen: true, startMs: START }), delays: { creatingMs: 0, enablingMs: 0, disablingMs: 0, deletingMs: 0 }, throttle: { '*': null } });
    firehose = new FirehoseClient({ ...cloud.clientConfig(), maxAttempts: 1 });
  });
  afterAll(async () => {
    firehose.destroy();
    await cloud.stop();
  });
  beforeEach(() => {
    cloud.control.reset();
    cloud.control.registerKey({ arn: KEY });
    cloud.control.registerKey({ arn: OTHER_KEY });
    cloud.control.createStream({ name: 'sealed', encryption: { status: 'ENABLED', keyType: 'CUSTOMER_MANAGED_CMK', keyArn: KEY } });
    cloud.control.createStream({ name: 'other', encryption: { status: 'ENABLED', keyType: 'CUSTOMER_MANAGED_CMK', keyArn: OTHER_KEY } });
  });

  const put = (stream: string) => firehose.send(new PutRecordCommand({ DeliveryStreamName: stream, Record: { Data: bytes('x') } }));

  test.each([
    ['Disabled', 'KMSKeyDisabled', 'KMS.DisabledException'],
    ['PendingDeletion', 'KMSKeyInvalidState', 'KMS.KMSInvalidStateException'],
  ] as const)('a put refused because the key is %s counts %s for that stream only, per minute', async (state, metric, code) => {
    cloud.control.setKeyState(KEY, state);
    const error = await rejectionOf(put('sealed'));
    expect(error.name).toBe('InvalidKMSResourceException');
    expect((error as unknown as { code?: string }).code).toBe(code);
    await rejectionOf(put('sealed'));
    cloud.control.advanceClock(MINUTE);
    await rejectionOf(put('sealed'));
    await put('other');

    expect(perMinute(cloud, metric, 'sealed')).toEqual([{ Timestamp: START, Value: 2 }, { Timestamp: START + MINUTE, Value: 1 }]);
    expect(perMinute(cloud, metric, 'other')).toEqual([]);
    expect(cloud.control.listMetrics()).toEqual([{ namespace: 'AWS/Firehose', metricName: metric, dimensions: dims('sealed'), datapoints: 3 }]);
  });

  test('a delivery that cannot decrypt buffered records counts one error per record per attempt; delivered records count none', async () => {
    await put('sealed');
    await put('sealed');
    expect(cloud.control.deliverRecords('sealed')).toEqual({ delivered: 2, unreadable: [] });
    await put('sealed');
    await put('sealed');
    cloud.control.setKeyState(KEY, 'Disabled');
    expect(cloud.control.deliverRecords('sealed').unreadable).toHaveLength(2);
    expect(cloud.control.deliverRecords('sealed').unreadable).toHaveLength(2);

    expect(perMinute(cloud, 'KMSKeyDisabled', 'sealed')).toEqual([{ Timestamp: START, Value: 4 }]);
    cloud.control.setKeyState(KEY, 'Enabled');
    expect(cloud.control.deliverRecords('sealed')).toEqual({ delivered: 2, unreadable: [] });
    expect(perMinute(cloud, 'KMSKeyDisabled', 'sealed')).toEqual([{ Timestamp: START, Value: 4 }]);
  });

  test('a key deleted after its pending window counts KMSKeyNotFound; the record, past its 24 hours, is dropped', async () => {
    const written = await put('sealed');
    cloud.control.setKeyState(KEY, 'PendingDeletion', 7);
    cloud.control.advanceClock(7 * 24 * 3600_000);
    const report = cloud.control.deliverRecords('sealed');
    expect(report).toEqual({ delivered: 0, unreadable: [], dropped: [expect.objectContaining({ id: written.RecordId, errorName: 'KMSNotFoundException' })] });
    expect((await rejectionOf(put('sealed'))).name).toBe('InvalidKMSResourceException');
    expect(perMinute(cloud, 'KMSKeyNotFound', 'sealed').map((d) => d.Value)).toEqual([2]);
    // a dropped record is not tried again, and stays unreadable
    expect(cloud.control.deliverRecords('sealed')).toEqual({ delivered: 0, unreadable: [] });
    expect(cloud.control.unreadableRecords('sealed').map((r) => r.id)).toEqual([written.RecordId]);
  });

  test('Firehose retries an unreadable record for 24 hours: within them it stays buffered and is delivered once the key works; after them it is dropped', async () => {
    const early = await put('sealed');
    cloud.control.advanceClock(12 * 3600_000);
    const late = await put('sealed');
    cloud.control.setKeyState(KEY, 'Disabled');
    cloud.control.advanceClock(12 * 3600_000); // early is exactly 24 h old: still retried
    expect(cloud.control.deliverRecords('sealed')).toEqual({ delivered: 0, unreadable: [expect.objectContaining({ id: early.RecordId }), expect.objectContaining({ id: late.RecordId })] });
    cloud.control.advanceClock(MINUTE);
    expect(cloud.control.deliverRecords('sealed')).toEqual({
      delivered: 0,
      unreadable: [expect.objectContaining({ id: late.RecordId, errorName: 'KMSDisabledException' })],
      dropped: [expect.objectContaining({ id: early.RecordId, errorName: 'KMSDisabledException' })],
    });
    cloud.control.setKeyState(KEY, 'Enabled');
    expect(cloud.control.deliverRecords('sealed')).toEqual({ delivered: 1, unreadable: [] });
  });

  test('a healthy key, an AWS owned key or no encryption publishes no KMS metric', async () => {
    cloud.control.createStream({ name: 'owned', encryption: { status: 'ENABLED', keyType: 'AWS_OWNED_CMK' } });
    cloud.control.createStream({ name: 'plain' });
    for (const stream of ['sealed', 'owned', 'plain']) await put(stream);
    for (const stream of ['sealed', 'owned', 'plain']) expect(cloud.control.deliverRecords(stream)).toEqual({ delivered: 1, unreadable: [] });
    expect(cloud.control.listMetrics()).toEqual([]);
  });

  test('reset drops metrics and alarms', async () => {
    cloud.control.setKeyState(KEY, 'Disabled');
    await rejectionOf(put('sealed'));
    cloud.control.putMetricAlarm(alarmSpec());
    cloud.control.reset();
    expect(cloud.control.listMetrics()).toEqual([]);
    expect(cloud.control.alarms()).toEqual([]);
  });
});

/** The alarm the library makes for KMSKeyDisabled of stream `sealed`. */
function alarmSpec(overrides: Partial<MetricAlarmSpec> = {}): MetricAlarmSpec {
  return {
    AlarmName: 'sealed-disabled',
    Namespace: 'AWS/Firehose',
    MetricName: 'KMSKeyDisabled',
    Dimensions: dims('sealed'),
    Statistic: 'Sum',
    Period: 300,
    EvaluationPeriods: 1,
    DatapointsToAlarm: 1,
    Threshold: 1,
    ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    TreatMissingData: 'notBreaching',
    AlarmActions: [TOPIC],
    OKActions: [TOPIC],
    ...overrides,
  };
}

describe('metric alarms', () => {
  let now: number;
  let cw: CloudWatchBackend;
  const metric = { namespace: 'AWS/Firehose', metricName: 'KMSKeyDisabled', dimensions: dims('sealed') };

  beforeEach(() => {
    now = START;
    cw = new CloudWatchBackend(() => now);
  });

  test('a new alarm is INSUFFICIENT_DATA; with missing data not breaching it goes OK, firing its OK action', () => {
    expect(cw.putMetricAlarm(alarmSpec()).state).toBe('INSUFFICIENT_DATA');
    now += 5 * MINUTE;
    expect(cw.evaluateAlarms()).toEqual([expect.objectContaining({ alarmName: 'sealed-disabled', from: 'INSUFFICIENT_DATA', to: 'OK' })]);
    expect(cw.alarmActionsFired()).toEqual([expect.objectContaining({ alarmName: 'sealed-disabled', target: TOPIC, state: 'OK' })]);
  });

  test('one error in the last complete period: ALARM, the alarm action fired once; a clean period later: OK again', () => {
    cw.putMetricAlarm(alarmSpec());
    now += 5 * MINUTE;
    cw.evaluateAlarms();
    now += 2 * MINUTE; // 12:07, in the period 12:05–12:10
    cw.publish(metric, now);
    expect(cw.evaluateAlarms()).toEqual([]); // that period is not complete yet
    now += 3 * MINUTE; // 12:10
    expect(cw.evaluateAlarms()).toEqual([expect.objectContaining({ from: 'OK', to: 'ALARM' })]);
    expect(cw.alarm('sealed-disabled')).toMatchObject({ state: 'ALARM', lastValues: [1] });
    now += MINUTE;
    expect(cw.evaluateAlarms()).toEqual([]); // no change, no second action
    now += 4 * MINUTE; // 12:15: the period 12:10–12:15 had no error
    expect(cw.evaluateAlarms()).toEqual([expect.objectContaining({ from: 'ALARM', to: 'OK' })]);
    expect(cw.alarmActionsFired().map((f) => f.state)).toEqual(['OK', 'ALARM', 'OK']);
    expect(cw.alarmHistory('sealed-disabled').map((h) => h.to)).toEqual(['OK', 'ALARM', 'OK']);
  });

  test('another stream\'s or another metric\'s errors do not count', () => {
    cw.putMetricAlarm(alarmSpec());
    cw.publish({ ...metric, dimensions: dims('other') }, now);
    cw.publish({ ...metric, metricName: 'KMSKeyNotFound' }, now);
    now += 5 * MINUTE;
    cw.evaluateAlarms();
    expect(cw.alarm('sealed-disabled')!.state).toBe('OK');
  });

  test('threshold, comparison, M of N and missing data as CloudWatch treats them', () => {
    cw.putMetricAlarm(alarmSpec({ AlarmName: 'two-of-three', EvaluationPeriods: 3, DatapointsToAlarm: 2, Threshold: 5, ComparisonOperator: 'GreaterThanThreshold', TreatMissingData: 'missing' }));
    cw.putMetricAlarm(alarmSpec({ AlarmName: 'breaching', TreatMissingData: 'breaching' }));
    now += 15 * MINUTE;
    cw.evaluateAlarms();
    expect(cw.alarm('two-of-three')!.state).toBe('INSUFFICIENT_DATA');
    expect(cw.alarm('breaching')!.state).toBe('ALARM');
    cw.publish(metric, now, 6); // 12:15–12:20: 6 > 5
    cw.publish(metric, now + 5 * MINUTE, 5); // 12:20–12:25: 5 is not > 5
    now += 10 * MINUTE;
    cw.evaluateAlarms();
    expect(cw.alarm('two-of-three')).toMatchObject({ state: 'OK', lastValues: [null, 6, 5] });
    cw.publish(metric, now, 9);
    now += 5 * MINUTE;
    cw.evaluateAlarms();
    expect(cw.alarm('two-of-three')).toMatchObject({ state: 'ALARM', lastValues: [6, 5, 9] });
  });

  test('actions disabled: state changes, nothing fired; deleted alarms are no longer evaluated', () => {
    cw.putMetricAlarm(alarmSpec({ ActionsEnabled: false }));
    cw.publish(metric, now);
    now += 5 * MINUTE;
    expect(cw.evaluateAlarms()).toHaveLength(1);
    expect(cw.alarmActionsFired()).toEqual([]);
    cw.deleteAlarms(['sealed-disabled']);
    expect(cw.describeAlarms()).toEqual([]);
    expect(cw.evaluateAlarms()).toEqual([]);
  });

  test('an alarm spec that CloudWatch would refuse is refused, saying which member is wrong', () => {
    expect(() => cw.putMetricAlarm(alarmSpec({ Period: 90 }))).toThrow(/Period must be a whole number of minutes/);
    expect(() => cw.putMetricAlarm(alarmSpec({ DatapointsToAlarm: 2 }))).toThrow(/DatapointsToAlarm must be between 1 and EvaluationPeriods \(1\)/);
    expect(() => cw.putMetricAlarm(alarmSpec({ ComparisonOperator: 'Above' as never }))).toThrow(/ComparisonOperator must be one of/);
    expect(() => cw.putMetricAlarm(alarmSpec({ Statistic: 'p99' as never }))).toThrow(/Statistic must be one of/);
  });
});
