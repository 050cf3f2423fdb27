import {
  InvalidKMSResourceException,
  ListTagsForDeliveryStreamCommand,
  ResourceNotFoundException,
  StartDeliveryStreamEncryptionCommand,
  TagDeliveryStreamCommand,
} from '@aws-sdk/client-firehose';
import { AddTagsToStreamCommand, ListTagsForStreamCommand } from '@aws-sdk/client-kinesis';
import { described, enc, properties } from './firehose-helpers';
import { FakeClock, KEY_ARN, OTHER_KEY_ARN, STACK_ID, T0 } from './helpers';
import { kinesisProperties, sse, summary } from './kinesis-helpers';
import { firehose, firehoseCalls, kinesis, kinesisCalls, kinesisReads, reads, resetMocks } from './mocks';
import { clientCache } from '../../lambda/core/clients';
import { ownerTagValue } from '../../lambda/core/ownership';
import {
  formatRepairCount,
  handleRepairEvent,
  parseRepairCount,
  RepairDependencies,
  RepairResult,
  trailCall,
  utcDay,
} from '../../lambda/guard/repair';
import { STREAM_SERVICES } from '../../lambda/kinds';
import { OWNER_TAG_KEY, REPAIRS_TAG_KEY, RepairInput } from '../../src/private/contract';

const PROVIDER_ROLE = 'arn:aws:iam::123456789012:role/app-ProviderRole-AAAA';
const GUARD_ROLE = 'arn:aws:iam::123456789012:role/app-GuardRole-BBBB';
const SOMEONE = 'arn:aws:iam::123456789012:role/Operator';
const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:alerts';
const OURS = ownerTagValue(STACK_ID, 'OrdersSse');
const DAY = utcDay(T0);

/** A CloudTrail `detail` of a call by `caller` (a role, through an assumed-role session). */
function detail(eventName: string, caller = SOMEONE, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    eventVersion: '1.08',
    userIdentity: {
      type: 'AssumedRole',
      arn: `${caller.replace(':iam::', ':sts::').replace(':role/', ':assumed-role/')}/session`,
      sessionContext: { sessionIssuer: { type: 'Role', arn: caller } },
    },
    eventTime: new Date(T0 + 1_000).toISOString(),
    eventSource: 'firehose.amazonaws.com',
    eventName,
    requestParameters: { deliveryStreamName: 'orders' },
    eventID: 'e-1',
    ...extra,
  };
}

/** The rule's input for the delivery stream `orders`. */
function input(overrides: Partial<Record<keyof RepairInput, unknown>> = {}): Record<string, unknown> {
  return {
    ResourceType: 'Custom::DeliveryStreamEncryption',
    Properties: properties(),
    StackId: STACK_ID,
    LogicalResourceId: 'OrdersSse',
    ConstructPath: 'app/OrdersSse',
    IgnoredRoleArns: [PROVIDER_ROLE, GUARD_ROLE],
    MaxRepairsPerDay: '5',
    AlertTopicArn: TOPIC,
    Detail: detail('StopDeliveryStreamEncryption'),
    ...overrides,
  };
}

/** The guard with a fake clock, mocked clients and captured alerts and log lines. */
class Guard {
  readonly clock = new FakeClock();
  readonly lines: string[] = [];
  readonly alerts: Array<{ topicArn: string; subject: string; message: string }> = [];
  publishError?: Error;
  readonly deps: RepairDependencies = {
    services: STREAM_SERVICES,
    clients: clientCache({ maxAttempts: 1, region: 'eu-west-1' }),
    sleep: this.clock.sleep,
    now: this.clock.now,
    random: this.clock.random,
    publish: async (topicArn, subject, message) => {
      if (this.publishError) {
        throw this.publishError;
      }
      this.alerts.push({ topicArn, subject, message });
    },
    log: (line) => this.lines.push(line),
  };

  run(event: unknown): Promise<RepairResult> {
    return handleRepairEvent(event, { getRemainingTimeInMillis: () => 900_000 }, this.deps);
  }

  records(): Array<Record<string, unknown>> {
    return this.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  }
}

let g: Guard;
/** The guard runs 2 s after the call it answers. */
const RUNS_AT = T0 + 3_000;
/** The stream's tags, as the mocked Firehose keeps them. */
let tags: Record<string, string>;

beforeEach(() => {
  resetMocks();
  g = new Guard();
  g.clock.time = RUNS_AT;
  tags = { [OWNER_TAG_KEY]: OURS };
  firehose.on(ListTagsForDeliveryStreamCommand).callsFake(async () => ({
    Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })), HasMoreTags: false,
  }));
  firehose.on(TagDeliveryStreamCommand).callsFake(async (i: { Tags: Array<{ Key: string; Value: string }> }) => {
    for (const t of i.Tags) {
      tags[t.Key] = t.Value;
    }
    return {};
  });
});

const { starts, startInput, stops, untags } = firehoseCalls;
const tagWrites = () => firehose.commandCalls(TagDeliveryStreamCommand).map((c) => c.args[0].input.Tags);

describe('repairs', () => {
  test('an out-of-band Stop: Start with the construct\'s key, wait for ENABLED, count the repair, one JSON line', async () => {
    reads(described(enc.disabled()), described(enc.enabling()), described(enc.enabled()));
    const result = await g.run(input());
    expect(result).toMatchObject({ decision: 'repaired', alerted: false });
    expect(starts()).toBe(1);
    expect(startInput()).toEqual({
      DeliveryStreamName: 'orders',
      DeliveryStreamEncryptionConfigurationInput: { KeyType: 'CUSTOMER_MANAGED_CMK', KeyARN: KEY_ARN },
    });
    expect(tags[REPAIRS_TAG_KEY]).toBe(`${DAY}/1`);
    // The owner tag is the custom resource's: the guard never writes it.
    expect(tagWrites().flat().map((t) => t?.Key)).toEqual([REPAIRS_TAG_KEY]);
    expect([stops(), untags()]).toEqual([0, 0]);
    expect(g.lines).toHaveLength(1);
    expect(g.records()[0]).toMatchObject({
      level: 'info',
      action: 'repair',
      decision: 'repaired',
      stream: 'orders',
      constructPath: 'app/OrdersSse',
      eventName: 'StopDeliveryStreamEncryption',
      caller: SOMEONE,
      repairsToday: 1,
      maxRepairsPerDay: 5,
    });
    expect(g.records()[0].sinceEventMs).toBeGreaterThanOrEqual(2_000);
    expect(g.alerts).toHaveLength(0);
  });

  test('an out-of-band Start with another key: Start with the construct\'s key', async () => {
    reads(described(enc.enabled(OTHER_KEY_ARN)), described(enc.enabling()), described(enc.enabled()));
    const result = await g.run(input({ Detail: detail('StartDeliveryStreamEncryption') }));
    expect(result.decision).toBe('repaired');
    expect(starts()).toBe(1);
    expect(startInput().DeliveryStreamEncryptionConfigurationInput?.KeyARN).toBe(KEY_ARN);
  });

  test('a stream already as wanted is left alone, and nothing is counted', async () => {
    reads(described(enc.enabled()));
    const result = await g.run(input({ Detail: detail('StartDeliveryStreamEncryption') }));
    expect(result.decision).toBe('unchanged');
    expect(starts()).toBe(0);
    expect(tags[REPAIRS_TAG_KEY]).toBeUndefined();
  });

  test('a count of an earlier day does not hold: the repair is the first of today', async () => {
    tags[REPAIRS_TAG_KEY] = '2024-12-31/5/alerted';
    reads(described(enc.disabled()), described(enc.enabled()));
    expect((await g.run(input())).decision).toBe('repaired');
    expect(tags[REPAIRS_TAG_KEY]).toBe(`${DAY}/1`);
  });

  test('a data stream: StartStreamEncryption with the construct\'s key, counted on the stream', async () => {
    const kinesisTags: Record<string, string> = { [OWNER_TAG_KEY]: ownerTagValue(STACK_ID, 'EventsSse') };
    kinesis.on(ListTagsForStreamCommand).callsFake(async () => ({
      Tags: Object.entries(kinesisTags).map(([Key, Value]) => ({ Key, Value })), HasMoreTags: false,
    }));
    kinesis.on(AddTagsToStreamCommand).callsFake(async (i: { Tags: Record<string, string> }) => {
      Object.assign(kinesisTags, i.Tags);
      return {};
    });
    kinesisReads(summary(sse.none()), summary(sse.kms(), 'UPDATING'), summary(sse.kms()));
    const result = await g.run(input({
      ResourceType: 'Custom::DataStreamEncryption',
      Properties: kinesisProperties(),
      LogicalResourceId: 'EventsSse',
      Detail: { ...detail('StopStreamEncryption'), eventSource: 'kinesis.amazonaws.com', requestParameters: { streamName: 'events' } },
    }));
    expect(result.decision).toBe('repaired');
    expect(kinesisCalls.starts()).toBe(1);
    expect(kinesisCalls.startInput()).toMatchObject({ EncryptionType: 'KMS', KeyId: KEY_ARN });
    expect(kinesisTags[REPAIRS_TAG_KEY]).toBe(`${DAY}/1`);
  });
});

describe('what the guard ignores', () => {
  test.each([
    ['the provider\'s', PROVIDER_ROLE],
    ['the guard\'s own', GUARD_ROLE],
  ])('%s call: no AWS call at all', async (_what, role) => {
    const result = await g.run(input({ Detail: detail('StartDeliveryStreamEncryption', role) }));
    expect(result.decision).toBe('ignored');
    expect(firehose.calls()).toHaveLength(0);
    expect(g.records()).toEqual([expect.objectContaining({ action: 'repair', decision: 'ignored', caller: role })]);
  });

  test('a call that failed (errorCode): nothing changed, no AWS call', async () => {
    const result = await g.run(input({ Detail: detail('StopDeliveryStreamEncryption', SOMEONE, { errorCode: 'AccessDenied' }) }));
    expect(result.decision).toBe('ignored');
    expect(firehose.calls()).toHaveLength(0);
  });

  test('a stream whose owner tag names another resource (handed over): no Start, no count', async () => {
    tags[OWNER_TAG_KEY] = ownerTagValue(STACK_ID, 'SomeoneElse');
    reads(described(enc.disabled()));
    const result = await g.run(input());
    expect(result.decision).toBe('ignored');
    expect(starts()).toBe(0);
    expect(firehose.commandCalls(TagDeliveryStreamCommand)).toHaveLength(0);
    expect(g.records()[0].managedBy).toBe(tags[OWNER_TAG_KEY]);
  });

  test('a stream with no owner tag any more: left alone', async () => {
    delete tags[OWNER_TAG_KEY];
    reads(described(enc.disabled()));
    expect((await g.run(input())).decision).toBe('ignored');
    expect(starts()).toBe(0);
  });

  test('a stream that no longer exists: left alone', async () => {
    firehose.on(ListTagsForDeliveryStreamCommand).rejects(new ResourceNotFoundException({ message: 'gone', $metadata: {} }));
    expect((await g.run(input())).decision).toBe('ignored');
    expect(starts()).toBe(0);
    expect(g.alerts).toHaveLength(0);
  });
});

describe('the cap', () => {
  test('the day\'s repairs spent: no Start, one alert, the alert remembered on the stream', async () => {
    tags[REPAIRS_TAG_KEY] = `${DAY}/5`;
    reads(described(enc.disabled()));
    const result = await g.run(input());
    expect(result).toMatchObject({ decision: 'capped', reasonId: 'REPAIR_CAP_REACHED', alerted: true });
    expect(starts()).toBe(0);
    expect(g.alerts).toHaveLength(1);
    expect(g.alerts[0].topicArn).toBe(TOPIC);
    expect(g.alerts[0].subject).toBe('Stream encryption repair cap reached: orders');
    expect(JSON.parse(g.alerts[0].message)).toMatchObject({ stream: 'orders', reasonId: 'REPAIR_CAP_REACHED', caller: SOMEONE });
    expect(tags[REPAIRS_TAG_KEY]).toBe(`${DAY}/5/alerted`);
    expect(g.records()).toEqual([expect.objectContaining({ level: 'warn', decision: 'capped', alerted: true })]);

    // A later event of the same day: still no Start, and no second alert.
    const again = await g.run(input());
    expect(again).toMatchObject({ decision: 'capped', alerted: false });
    expect(starts()).toBe(0);
    expect(g.alerts).toHaveLength(1);
  });

  test('a smaller cap counts up to it: the cap-th repair is made, the next one is not', async () => {
    tags[REPAIRS_TAG_KEY] = `${DAY}/1`;
    reads(described(enc.disabled()), described(enc.enabled()));
    expect((await g.run(input({ MaxRepairsPerDay: '2' }))).decision).toBe('repaired');
    expect(tags[REPAIRS_TAG_KEY]).toBe(`${DAY}/2`);
    reads(described(enc.disabled()));
    expect((await g.run(input({ MaxRepairsPerDay: '2' }))).decision).toBe('capped');
    expect(starts()).toBe(1);
  });
});

describe('failures', () => {
  test('a Start the service refuses: FAILED with its reason, one alert, an error line with the steps', async () => {
    reads(described(enc.disabled()));
    firehose.on(StartDeliveryStreamEncryptionCommand).rejects(new InvalidKMSResourceException({ message: 'key disabled', $metadata: {} }));
    const result = await g.run(input());
    expect(result).toMatchObject({ decision: 'failed', reasonId: 'INVALID_KMS_RESOURCE', alerted: true });
    expect(g.alerts).toHaveLength(1);
    expect(g.alerts[0].subject).toBe('Stream encryption repair failed: orders');
    const [line] = g.records();
    expect(line).toMatchObject({ level: 'error', decision: 'failed' });
    expect(Array.isArray(line.steps)).toBe(true);
    expect(tags[REPAIRS_TAG_KEY]).toBe(`${DAY}/1`);
  });

  test('an alert that cannot be published rejects, so that Lambda retries and dead-letters the event', async () => {
    tags[REPAIRS_TAG_KEY] = `${DAY}/5`;
    reads(described(enc.disabled()));
    g.publishError = new Error('sns down');
    await expect(g.run(input())).rejects.toThrow('sns down');
    expect(g.records()[0]).toMatchObject({ level: 'error', alerted: false, alertError: expect.stringContaining('sns down') });
    expect(starts()).toBe(0);
  });

  test.each([
    ['not an object', 'nope', 'it is not an object'],
    ['no stack id', input({ StackId: '' }), 'StackId must be a non-empty string'],
    ['a cap out of range', input({ MaxRepairsPerDay: '13' }), 'MaxRepairsPerDay must be a whole number from 1 to 12'],
    ['an unknown resource type', input({ ResourceType: 'Custom::Other' }), 'ResourceType Custom::Other'],
  ])('an input with %s: FAILED INVALID_REPAIR_INPUT, no AWS call', async (_what, event, problem) => {
    const result = await g.run(event);
    expect(result).toMatchObject({ decision: 'failed', reasonId: 'INVALID_REPAIR_INPUT' });
    expect(result.reason).toContain(problem);
    expect(firehose.calls()).toHaveLength(0);
  });
});

describe('helpers', () => {
  test('the repairs tag value round-trips, and another day counts nothing', () => {
    expect(formatRepairCount('2025-01-01', { count: 3, alerted: false })).toBe('2025-01-01/3');
    expect(parseRepairCount('2025-01-01/3/alerted', '2025-01-01')).toEqual({ count: 3, alerted: true });
    expect(parseRepairCount('2025-01-01/3', '2025-01-02')).toEqual({ count: 0, alerted: false });
    expect(parseRepairCount('garbage', '2025-01-01')).toEqual({ count: 0, alerted: false });
  });

  test('the day counted is the call\'s (its eventTime), not the guard\'s', async () => {
    tags[REPAIRS_TAG_KEY] = '2024-12-31/5';
    g.clock.time = Date.UTC(2025, 0, 1, 0, 0, 30);
    reads(described(enc.disabled()));
    const late = await g.run(input({ Detail: detail('StopDeliveryStreamEncryption', SOMEONE, { eventTime: '2024-12-31T23:59:50Z' }) }));
    expect(late.decision).toBe('capped');
    expect(starts()).toBe(0);
  });

  test('the caller is the session issuer\'s role, else the identity\'s ARN', () => {
    expect(trailCall(detail('StopDeliveryStreamEncryption')).caller).toBe(SOMEONE);
    expect(trailCall({ userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::123456789012:user/bob' } }).caller).toBe('arn:aws:iam::123456789012:user/bob');
    expect(utcDay(Date.UTC(2025, 5, 30, 23, 59, 59))).toBe('2025-06-30');
  });
});
