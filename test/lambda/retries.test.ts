/**
 * Retry what is transient, fail fast on what is not: access denied within the
 * IAM propagation window, no answer from the service at all, a request
 * CloudFormation gave up on, stale `*_FAILED` readings, the settle time after
 * a Start of unknown outcome, and a current key reported as an alias ARN.
 */
import { DescribeDeliveryStreamCommand, StartDeliveryStreamEncryptionCommand } from '@aws-sdk/client-firehose';
import { StartStreamEncryptionCommand } from '@aws-sdk/client-kinesis';
import { DescribeKeyCommand } from '@aws-sdk/client-kms';
import { createEvent, deleteEvent, described, enc, properties } from './firehose-helpers';
import { ALIAS_ARN, awsError, Harness, KEY_ARN, keyMetadata, networkError, RESPONSE_URL, T0 } from './helpers';
import { kinesisCreate, kinesisProperties, sse, summary } from './kinesis-helpers';
import { awsCalls, firehose, firehoseCalls, kinesis, kinesisReads, kms, reads, resetMocks } from './mocks';
import { signingTime } from '../../lambda/core/handle-event';
import { STALE_READ_GRACE_MS } from '../../lambda/kinds/firehose/truth-table';

const { starts } = firehoseCalls;

/** The test ResponseURL as CloudFormation signs it, at `signedAt`. */
function signedUrl(signedAt: number): string {
  const date = new Date(signedAt).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  return `${RESPONSE_URL}&X-Amz-Date=${date}&X-Amz-Expires=7200`;
}

/** A credentials provider error, as the SDK throws it without credentials. */
const noCredentials = () => Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' });

let h: Harness;
beforeEach(() => {
  resetMocks();
  h = new Harness();
});

describe('access denied while IAM propagates a new policy', () => {
  test('Describe denied, then allowed: SUCCESS after the retries', async () => {
    reads(awsError('AccessDeniedException', 'not authorized'), awsError('AccessDeniedException', 'not authorized'), described(enc.enabled()));
    const answer = await h.run(createEvent());
    expect(answer.Status).toBe('SUCCESS');
    expect(firehose.commandCalls(DescribeDeliveryStreamCommand)).toHaveLength(3);
  });

  test('kms:DescribeKey denied past the window: KEY_ACCESS_DENIED naming the key and the window', async () => {
    reads(described(enc.disabled()));
    kms.on(DescribeKeyCommand).rejects(awsError('AccessDeniedException', 'not authorized to perform: kms:DescribeKey'));
    const answer = await h.run(createEvent());
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toMatch(new RegExp(`^KEY_ACCESS_DENIED: The handler may not call kms:DescribeKey on ${KEY_ARN} .*denied for 6\\d s, retried for up to 60 s`));
    expect(starts()).toBe(0);
  });

  test('never past the deadline: a short timeout ends the retries with the denial\'s reason', async () => {
    reads(awsError('AccessDeniedException', 'not authorized'));
    const answer = await h.run(createEvent(properties({ TimeoutSeconds: '20' })));
    expect(answer.Reason).toMatch(/^ACCESS_DENIED: The handler may not call DescribeDeliveryStream on orders .*denied for [12]\d s/);
    expect(h.elapsed()).toBeLessThanOrEqual(20_000);
  });
});

describe('no answer from the service at all', () => {
  test.each([
    ['a credentials provider error', noCredentials()],
    ['an endpoint that does not resolve', networkError('ENOTFOUND')],
    ['an endpoint that is not a URL', Object.assign(new TypeError('Invalid URL'), { code: 'ERR_INVALID_URL' })],
  ])('%s: FAILED NO_SERVICE_RESPONSE after a few quick retries, naming the error and the fix', async (_name, error) => {
    reads(error);
    const answer = await h.run(createEvent());
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toMatch(/^NO_SERVICE_RESPONSE: DescribeDeliveryStream for orders got no answer from the service \(.+\)\. Check the handler's credentials .*AWS_ENDPOINT_URL_\*/);
    expect(firehose.commandCalls(DescribeDeliveryStreamCommand)).toHaveLength(3);
    expect(h.elapsed()).toBeLessThan(5_000);
  });

  test('Kinesis: Start without credentials is not taken: FAILED NO_SERVICE_RESPONSE, no started id', async () => {
    kinesisReads(summary(sse.none()));
    kinesis.on(StartStreamEncryptionCommand).rejects(noCredentials());
    const answer = await h.run(kinesisCreate());
    expect(answer).toMatchObject({ Status: 'FAILED', PhysicalResourceId: 'kinesis:events#not-started' });
    expect(answer.Reason).toMatch(/^NO_SERVICE_RESPONSE: StartStreamEncryption for events/);
    expect(h.elapsed()).toBeLessThan(10_000);
  });
});

describe('a request CloudFormation no longer waits for', () => {
  test('signed more than the ServiceTimeout ago: FAILED REQUEST_EXPIRED with zero AWS calls, logged, no URL in the log', async () => {
    h.clock.time = T0 + 3_601_000;
    const event = { ...deleteEvent(), ResponseURL: signedUrl(T0) };
    const answer = await h.run(event as never);
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toMatch(/^REQUEST_EXPIRED: The request was signed 3601 s ago, past the resource's ServiceTimeout of 3600 s/);
    expect(answer.PhysicalResourceId).toBe('firehose:orders');
    expect(awsCalls()).toBe(0);
    expect(h.records().find((r) => r.action === 'expired')).toMatchObject({ level: 'warn', ageSeconds: 3601, timeoutSeconds: 3600 });
    for (const line of h.lines) {
      expect(line).not.toContain('X-Amz-Date');
      expect(line).not.toContain('X-Amz-Signature');
    }
  });

  test('the resource\'s own ServiceTimeout counts', async () => {
    h.clock.time = T0 + 301_000;
    const answer = await h.run({ ...createEvent({ ...properties(), ServiceTimeout: '300' }), ResponseURL: signedUrl(T0) } as never);
    expect(answer.Reason).toMatch(/^REQUEST_EXPIRED: .*ServiceTimeout of 300 s/);
    expect(answer.PhysicalResourceId).toBe('firehose:orders#not-started');
    expect(awsCalls()).toBe(0);
  });

  test('within the timeout, or without a readable date: acted on', async () => {
    reads(described(enc.enabled()));
    h.clock.time = T0 + 3_599_000;
    expect((await h.run({ ...createEvent(), ResponseURL: signedUrl(T0) } as never)).Status).toBe('SUCCESS');
    expect((await h.run(createEvent())).Status).toBe('SUCCESS');
    expect(signingTime('not a url')).toBeUndefined();
    expect(signingTime(`${RESPONSE_URL}&X-Amz-Date=yesterday`)).toBeUndefined();
    expect(signingTime(signedUrl(T0))).toBe(T0);
  });
});

describe('Firehose readings right after a change', () => {
  test('a stale ENABLING_FAILED right after our Start is not taken as its result', async () => {
    // The first reading, the one after the claim, then the stale one right after the Start.
    const failed = described(enc.enablingFailed());
    reads(failed, failed, failed, described(enc.enabling()), described(enc.enabled()));
    const answer = await h.run(createEvent());
    expect(answer.Status).toBe('SUCCESS');
    expect(starts()).toBe(1);
  });

  test('ENABLING_FAILED that lasts past the grace after our Start: FAILED', async () => {
    reads(described(enc.disabled()), described(enc.disabled()), described(enc.enablingFailed()));
    const answer = await h.run(createEvent());
    expect(answer.Reason).toMatch(/^ENABLING_FAILED: /);
    expect(h.elapsed()).toBeGreaterThanOrEqual(STALE_READ_GRACE_MS);
    expect(h.elapsed()).toBeLessThan(STALE_READ_GRACE_MS + 5_000);
  });

  test('a stale DISABLING_FAILED right after our Stop is not taken as its result', async () => {
    reads(described(enc.disablingFailed()), described(enc.disablingFailed()), described(enc.disabling()), described(enc.disabled()));
    expect((await h.run(deleteEvent())).Status).toBe('SUCCESS');
  });
});

describe('a Start of unknown outcome that did take effect', () => {
  test('Firehose: ENABLED at the next reading: the settle time is waited', async () => {
    firehose.on(StartDeliveryStreamEncryptionCommand).rejects(networkError('ECONNRESET'));
    reads(described(enc.disabled()), described(enc.disabled()), described(enc.enabled()));
    expect((await h.run(createEvent())).Status).toBe('SUCCESS');
    expect(h.records().find((r) => r.action === 'settle')).toMatchObject({ settleMs: 5_000 });
    expect(starts()).toBe(1);
  });

  test('Kinesis: ACTIVE with the key at the next reading: the settle time is waited', async () => {
    kinesis.on(StartStreamEncryptionCommand).rejects(networkError('ECONNRESET'));
    kinesisReads(summary(sse.none()), summary(sse.none()), summary(sse.kms()));
    expect((await h.run(kinesisCreate(kinesisProperties()))).Status).toBe('SUCCESS');
    expect(h.records().find((r) => r.action === 'settle')).toMatchObject({ settleMs: 5_000 });
  });
});

describe('the current Firehose key reported as an alias ARN', () => {
  test('resolved through kms:DescribeKey to the wanted key: SUCCESS with no Start', async () => {
    kms.on(DescribeKeyCommand, { KeyId: ALIAS_ARN }).resolves(keyMetadata());
    reads(described(enc.enabled(ALIAS_ARN)));
    const answer = await h.run(createEvent());
    expect(answer.Status).toBe('SUCCESS');
    expect(starts()).toBe(0);
    expect(kms.commandCalls(DescribeKeyCommand).map((c) => c.args[0].input.KeyId)).toEqual([ALIAS_ARN]);
  });

  test('an alias the handler may not describe is another key: Start, without waiting for IAM', async () => {
    kms.on(DescribeKeyCommand, { KeyId: ALIAS_ARN }).rejects(awsError('AccessDeniedException', 'not authorized'));
    reads(described(enc.enabled(ALIAS_ARN)), described(enc.enabled(ALIAS_ARN)), described(enc.enabled()));
    expect((await h.run(createEvent())).Status).toBe('SUCCESS');
    expect(starts()).toBe(1);
    expect(h.elapsed()).toBeLessThan(10_000);
  });
});
