import {
  AccessDeniedException,
  DescribeStreamSummaryCommand,
  DescribeStreamSummaryOutput,
  InvalidArgumentException,
  KMSAccessDeniedException,
  KMSDisabledException,
  KMSInvalidStateException,
  KMSNotFoundException,
  KMSOptInRequired,
  KMSThrottlingException,
  LimitExceededException,
  ResourceInUseException,
  ResourceNotFoundException,
  StartStreamEncryptionCommand,
  StopStreamEncryptionCommand,
} from '@aws-sdk/client-kinesis';
import { DescribeKeyCommand, NotFoundException } from '@aws-sdk/client-kms';
import {
  awsError,
  claimNonce,
  CLIENT_ERROR_METADATA,
  EVENTS_SSE_OWNER,
  Harness,
  KEY_ARN,
  keyMetadata,
  LOG_STREAM,
  networkError,
  OTHER_KEY_ARN,
  RESPONSE_URL,
  STACK_ID,
} from './helpers';
import { KEY_ID, kinesisCreate, kinesisDelete, kinesisProperties, kinesisUpdate, MANAGED, sse, STREAM_ARN, summary } from './kinesis-helpers';
import { awsCalls, keyChecks, KINESIS_CLAIM, kinesis, kinesisCalls, kinesisReads as reads, kms, names, resetMocks } from './mocks';

let h: Harness;

const ALIAS = 'alias/events-sse';

beforeEach(() => {
  resetMocks();
  h = new Harness();
});

const { describes, starts, stops, startInput, stopInput, tagValues } = kinesisCalls;

describe('Create', () => {
  test('NONE: pre-flight, Start with the key, wait for ACTIVE with it, settle, SUCCESS', async () => {
    // The second reading is the one taken after the claim, just before the Start.
    reads(summary(sse.none()), summary(sse.none()), summary(sse.kms(), 'UPDATING'), summary(sse.kms(), 'UPDATING'), summary(sse.kms()));
    const answer = await h.run(kinesisCreate());
    expect(answer).toEqual({
      Status: 'SUCCESS',
      Reason: `Data stream events: stream ACTIVE, encryption KMS with ${KEY_ARN}. See CloudWatch log stream ${LOG_STREAM}`,
      PhysicalResourceId: 'kinesis:events#prior=none',
      StackId: STACK_ID,
      RequestId: '6f6d0c1e-7f00-4a5b-9a5e-000000000002',
      LogicalResourceId: 'EventsSse',
      NoEcho: false,
      Data: { StreamName: 'events', StreamArn: STREAM_ARN, EncryptionType: 'KMS', KeyId: KEY_ARN, StreamStatus: 'ACTIVE' },
    });
    expect(kinesis.commandCalls(DescribeStreamSummaryCommand)[0].args[0].input).toEqual({ StreamName: 'events', StreamARN: STREAM_ARN });
    expect(kms.commandCalls(DescribeKeyCommand)[0].args[0].input).toEqual({ KeyId: KEY_ARN });
    expect(startInput()).toEqual({ StreamName: 'events', StreamARN: STREAM_ARN, EncryptionType: 'KMS', KeyId: KEY_ARN });
    expect([describes(), keyChecks(), starts(), stops()]).toEqual([5, 1, 1, 0]);
    expect(h.clock.sleeps.slice(0, -1).every((ms) => ms <= 1000)).toBe(true);
    expect(h.clock.sleeps[h.clock.sleeps.length - 1]).toBe(5000);
    expect(h.answers[0].url).toBe(RESPONSE_URL);
  });

  test('the first DescribeStreamSummary comes before any Start; the owner tag claims the stream before the Start, and the claim stays once it has the key', async () => {
    reads(summary(sse.none()), summary(sse.none()), summary(sse.kms()));
    await h.run(kinesisCreate());
    // The stream is read first: found unencrypted, its owner tag is not read (no other resource's encryption
    // to hand over). The claim is read back, and the stream read once more, before the Start.
    expect(names(kinesis)).toEqual([
      ...KINESIS_CLAIM,
      'StartStreamEncryptionCommand',
      'DescribeStreamSummaryCommand',
      'RemoveTagsFromStreamCommand', // this copy's claim tag, removed once the answer is sent
    ]);
    // The claim already names this resource and the prior: not written again.
    expect(tagValues()).toEqual([`${EVENTS_SSE_OWNER} prior=none claim=${claimNonce()}`]);
  });

  test.each([
    ['its key ARN', KEY_ARN],
    ['its key id', KEY_ID],
  ])('already KMS with the wanted key by %s: SUCCESS with one Describe, no pre-flight, no Start, no settle', async (_name, keyId) => {
    reads(summary(sse.kms(keyId)));
    const answer = await h.run(kinesisCreate());
    // The id records the key the stream had before (here already the wanted one), as the stream reported it.
    expect(answer).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: `kinesis:events#prior=${keyId}`, Data: { EncryptionType: 'KMS', KeyId: KEY_ARN } });
    expect([describes(), keyChecks(), starts()]).toEqual([1, 0, 0]);
    expect(h.clock.sleeps).toEqual([]);
  });

  test('KMS with an alias of the wanted key: resolved with DescribeKey, no Start', async () => {
    reads(summary(sse.kms(ALIAS)));
    expect((await h.run(kinesisCreate())).Status).toBe('SUCCESS');
    expect(kms.commandCalls(DescribeKeyCommand).map((c) => c.args[0].input)).toEqual([{ KeyId: ALIAS }]);
    expect(starts()).toBe(0);
  });

  test('KMS with an alias of a key the handler may not describe: another key, so pre-flight and Start', async () => {
    kms.on(DescribeKeyCommand, { KeyId: ALIAS }).rejects(awsError('AccessDeniedException', 'not authorized to perform kms:DescribeKey'));
    reads(summary(sse.kms(ALIAS)), summary(sse.kms(ALIAS)), summary(sse.kms()));
    expect((await h.run(kinesisCreate())).Status).toBe('SUCCESS');
    expect(kms.commandCalls(DescribeKeyCommand).map((c) => c.args[0].input.KeyId)).toEqual([ALIAS, KEY_ARN]);
    expect(startInput().KeyId).toBe(KEY_ARN);
  });

  test('KMS with an alias that no longer exists: another key, so Start', async () => {
    kms.on(DescribeKeyCommand, { KeyId: ALIAS }).rejects(new NotFoundException({ message: 'Alias is not found.', ...CLIENT_ERROR_METADATA }));
    reads(summary(sse.kms(ALIAS)), summary(sse.kms(ALIAS)), summary(sse.kms()));
    expect((await h.run(kinesisCreate())).Status).toBe('SUCCESS');
    expect(starts()).toBe(1);
  });

  test('an unexpected error while resolving the current alias: FAILED, no Start', async () => {
    kms.on(DescribeKeyCommand, { KeyId: ALIAS }).rejects(awsError('WeirdException', 'odd'));
    reads(summary(sse.kms(ALIAS)));
    const answer = await h.run(kinesisCreate());
    expect(answer.Reason).toMatch(/^UNEXPECTED_ERROR: Unexpected error in DescribeKey: WeirdException: odd\./);
    expect(starts()).toBe(0);
  });

  test.each([
    ['another customer key', sse.kms(OTHER_KEY_ARN)],
    ['the Kinesis managed key', sse.kms(MANAGED)],
  ])('KMS with %s: Start with the wanted key', async (_name, first) => {
    reads(summary(first), summary(first), summary(sse.kms(), 'UPDATING'), summary(sse.kms()));
    expect((await h.run(kinesisCreate())).Status).toBe('SUCCESS');
    expect([keyChecks(), starts()]).toEqual([1, 1]);
    expect(startInput().KeyId).toBe(KEY_ARN);
  });

  test('KINESIS_MANAGED: Start with alias/aws/kinesis, no key check', async () => {
    reads(summary(sse.none()), summary(sse.none()), summary(sse.kms(MANAGED), 'UPDATING'), summary(sse.kms(MANAGED)));
    const answer = await h.run(kinesisCreate(kinesisProperties({ KeyId: MANAGED })));
    expect(answer).toMatchObject({ Status: 'SUCCESS', Data: { EncryptionType: 'KMS', KeyId: MANAGED, StreamStatus: 'ACTIVE' } });
    expect(startInput()).toEqual({ StreamName: 'events', StreamARN: STREAM_ARN, EncryptionType: 'KMS', KeyId: MANAGED });
    expect(keyChecks()).toBe(0);
  });

  test('KINESIS_MANAGED already applied: nothing to do', async () => {
    reads(summary(sse.kms(MANAGED)));
    expect((await h.run(kinesisCreate(kinesisProperties({ KeyId: MANAGED })))).Status).toBe('SUCCESS');
    expect([describes(), starts(), keyChecks()]).toEqual([1, 0, 0]);
  });

  test.each([
    // A stream being created has the encryption it is created with (no Start can be in progress): its tag is
    // not read, and the claim is the only tag written.
    ['CREATING', 'none', [], [], []],
    // The prior state comes from the first reading only, which cannot tell it while UPDATING (another copy of
    // this request may be changing it): the tag is read after it, again before claiming the stream with an
    // unknown prior, and written once more after success.
    ['UPDATING', 'unknown', ['ListTagsForStreamCommand'], ['ListTagsForStreamCommand'], []],
  ])('stream %s: wait for ACTIVE, then Start; the prior state is %s', async (status, prior, read, reread, after) => {
    reads(summary(sse.none(), status), summary(sse.none(), status), summary(sse.none()), summary(sse.none()), summary(sse.kms()));
    const answer = await h.run(kinesisCreate());
    expect(answer).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: `kinesis:events#prior=${prior}` });
    expect(names(kinesis)).toEqual([
      'DescribeStreamSummaryCommand',
      ...read,
      'DescribeStreamSummaryCommand',
      'DescribeStreamSummaryCommand',
      ...reread,
      'AddTagsToStreamCommand',
      'ListTagsForStreamCommand',
      'DescribeStreamSummaryCommand',
      'StartStreamEncryptionCommand',
      'DescribeStreamSummaryCommand',
      ...after,
      'RemoveTagsFromStreamCommand', // this copy's claim tag, removed once the answer is sent
    ]);
  });

  test('someone else\'s UPDATING that ends with the wanted key: no Start, settle', async () => {
    reads(summary(sse.kms(), 'UPDATING'), summary(sse.kms()));
    expect((await h.run(kinesisCreate())).Status).toBe('SUCCESS');
    expect(starts()).toBe(0);
    expect(h.clock.sleeps[h.clock.sleeps.length - 1]).toBe(5000);
  });

  test('stream DELETING: FAILED STREAM_NOT_ACTIVE, no Start, not-started id', async () => {
    reads(summary(sse.none(), 'DELETING'));
    const answer = await h.run(kinesisCreate());
    expect(answer).toMatchObject({ Status: 'FAILED', PhysicalResourceId: 'kinesis:events#not-started' });
    expect(answer.Reason).toMatch(/^STREAM_NOT_ACTIVE: Kinesis stream events is DELETING\. Deploy again once the stream is ACTIVE/);
    expect(starts()).toBe(0);
  });

  test('stream not found: FAILED STREAM_NOT_FOUND with the not-started marker', async () => {
    reads(new ResourceNotFoundException({ message: 'Stream events under account 123456789012 not found.', ...CLIENT_ERROR_METADATA }));
    const answer = await h.run(kinesisCreate());
    expect(answer).toMatchObject({ Status: 'FAILED', PhysicalResourceId: 'kinesis:events#not-started', Data: { EncryptionType: '', KeyId: '', StreamStatus: '' } });
    expect(answer.Reason).toMatch(/^STREAM_NOT_FOUND: Kinesis stream events does not exist/);
    expect([describes(), starts()]).toEqual([1, 0]);
  });

  test('stream deleted while waiting: FAILED STREAM_DELETED with the stream\'s id', async () => {
    reads(summary(sse.none()), summary(sse.none()), summary(sse.kms(), 'UPDATING'), new ResourceNotFoundException({ message: 'gone', ...CLIENT_ERROR_METADATA }));
    const answer = await h.run(kinesisCreate());
    expect(answer).toMatchObject({ Status: 'FAILED', PhysicalResourceId: 'kinesis:events#prior=none' });
    expect(answer.Reason).toMatch(/^STREAM_DELETED: /);
  });

  test('after our Start the old state lingers without UPDATING: keep waiting, never a second Start', async () => {
    const old = summary(sse.none());
    reads(old, old, old, old, summary(sse.kms(), 'UPDATING'), summary(sse.kms()));
    expect((await h.run(kinesisCreate())).Status).toBe('SUCCESS');
    expect([describes(), starts()]).toEqual([6, 1]);
  });

  test('after our Start the stream goes UPDATING and back to ACTIVE without the key: FAILED at once', async () => {
    reads(summary(sse.none()), summary(sse.none()), summary(sse.kms(), 'UPDATING'), summary(sse.none()));
    const answer = await h.run(kinesisCreate());
    expect(answer).toMatchObject({ Status: 'FAILED', PhysicalResourceId: 'kinesis:events#prior=none', Data: { EncryptionType: 'NONE', KeyId: '', StreamStatus: 'ACTIVE' } });
    expect(answer.Reason).toMatch(
      /^DATA_STREAM_ENCRYPTION_NOT_APPLIED: Kinesis data stream events went back to ACTIVE after StartStreamEncryption without the wanted encryption: stream ACTIVE, encryption NONE\./,
    );
    expect(starts()).toBe(1);
  });

});

describe('KMS pre-flight', () => {
  test.each([
    ['disabled', { KeyState: 'Disabled' as const }, /^KEY_NOT_ENABLED: KMS key .* is Disabled, not Enabled\./],
    ['pending deletion', { KeyState: 'PendingDeletion' as const }, /^KEY_NOT_ENABLED: KMS key .* is PendingDeletion/],
    ['asymmetric', { KeySpec: 'RSA_2048' as const }, /^KEY_NOT_SYMMETRIC: KMS key .* has key spec RSA_2048/],
    ['an HMAC key', { KeySpec: 'HMAC_256' as const, KeyUsage: 'GENERATE_VERIFY_MAC' as const }, /^KEY_WRONG_USAGE: .*GENERATE_VERIFY_MAC/],
  ])('a key that is %s: FAILED at once, no Start', async (_name, metadata, reason) => {
    kms.on(DescribeKeyCommand).resolves(keyMetadata(metadata));
    reads(summary(sse.none()));
    const answer = await h.run(kinesisCreate());
    expect(answer).toMatchObject({ Status: 'FAILED', PhysicalResourceId: 'kinesis:events#not-started' });
    expect(answer.Reason).toMatch(reason);
    expect([keyChecks(), starts()]).toEqual([1, 0]);
  });

  test('a key that does not exist: FAILED KEY_NOT_FOUND', async () => {
    kms.on(DescribeKeyCommand).rejects(new NotFoundException({ message: `Key '${KEY_ARN}' does not exist`, ...CLIENT_ERROR_METADATA }));
    reads(summary(sse.none()));
    expect((await h.run(kinesisCreate())).Reason).toMatch(/^KEY_NOT_FOUND: KMS key .* was not found/);
    expect(starts()).toBe(0);
  });

  test('access to the key denied: FAILED KEY_ACCESS_DENIED, naming what Kinesis needs', async () => {
    kms.on(DescribeKeyCommand).rejects(awsError('AccessDeniedException', 'not authorized to perform: kms:DescribeKey'));
    reads(summary(sse.none()));
    const answer = await h.run(kinesisCreate());
    expect(answer.Reason).toMatch(/^KEY_ACCESS_DENIED: The handler may not call kms:DescribeKey on .*kms:GenerateDataKey through Kinesis/);
    expect(starts()).toBe(0);
  });

});

describe('errors of StartStreamEncryption', () => {
  /** A Create whose every Start is refused with `error`: FAILED with `reasonId` and `text`, nothing started. */
  async function createWithStartRefused(error: Error, reasonId: string, text: RegExp) {
    kinesis.on(StartStreamEncryptionCommand).rejects(error);
    reads(summary(sse.none()));
    const answer = await h.run(kinesisCreate());
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason.startsWith(`${reasonId}: `)).toBe(true);
    expect(answer.Reason).toMatch(text);
    expect(answer.PhysicalResourceId).toBe('kinesis:events#not-started');
    return answer;
  }

  test.each([
    ['KMSAccessDeniedException', new KMSAccessDeniedException({ message: 'not authorized', ...CLIENT_ERROR_METADATA }), 'SERVICE_KMS_ACCESS_DENIED', /Kinesis may not use KMS key .* with the handler's permissions/],
    ['AccessDeniedException', new AccessDeniedException({ message: 'no', ...CLIENT_ERROR_METADATA }), 'ACCESS_DENIED', /may not call StartStreamEncryption on events/],
  ])('%s past the IAM propagation window: FAILED with its reason naming the window', async (_name, error, reasonId, text) => {
    const answer = await createWithStartRefused(error, reasonId, text);
    expect(answer.Reason).toContain(`${error.name}: ${error.message}`);
    expect(answer.Reason).toMatch(/denied for 6\d s, retried for up to 60 s while IAM propagates a new policy/);
    expect(starts()).toBeGreaterThan(2);
    expect(h.elapsed()).toBeGreaterThanOrEqual(60_000);
  });

  test('KMSAccessDeniedException, then accepted within the window: SUCCESS', async () => {
    kinesis.on(StartStreamEncryptionCommand).rejectsOnce(new KMSAccessDeniedException({ message: 'not authorized', ...CLIENT_ERROR_METADATA })).resolves({});
    reads(summary(sse.none()), summary(sse.none()), summary(sse.none()), summary(sse.kms(), 'UPDATING'), summary(sse.kms()));
    const answer = await h.run(kinesisCreate());
    expect(answer).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'kinesis:events#prior=none' });
    expect(starts()).toBe(2);
  });

  test.each([
    ['KMSDisabledException', new KMSDisabledException({ message: 'key disabled', ...CLIENT_ERROR_METADATA }), 'SERVICE_KMS_DISABLED', /the key is disabled/],
    ['KMSInvalidStateException', new KMSInvalidStateException({ message: 'pending deletion', ...CLIENT_ERROR_METADATA }), 'SERVICE_KMS_INVALID_STATE', /in its current state/],
    ['KMSNotFoundException', new KMSNotFoundException({ message: 'no such key', ...CLIENT_ERROR_METADATA }), 'SERVICE_KMS_NOT_FOUND', /cannot find KMS key/],
    ['KMSOptInRequired', new KMSOptInRequired({ message: 'subscription needed', ...CLIENT_ERROR_METADATA }), 'SERVICE_KMS_OPT_IN_REQUIRED', /not subscribed to AWS KMS/],
    ['LimitExceededException (25 key applications a day)', new LimitExceededException({ message: 'limit', ...CLIENT_ERROR_METADATA }), 'CALL_LIMIT_EXCEEDED', /Kinesis refused StartStreamEncryption on events: limit exceeded .* at most 25 encryption changes/],
    ['InvalidArgumentException', new InvalidArgumentException({ message: 'bad key', ...CLIENT_ERROR_METADATA }), 'INVALID_ARGUMENT', /Kinesis rejected StartStreamEncryption on events/],
    ['ResourceNotFoundException', new ResourceNotFoundException({ message: 'gone', ...CLIENT_ERROR_METADATA }), 'STREAM_DELETED', /was deleted/],
  ])('%s: FAILED at once with its reason, no retry', async (_name, error, reasonId, text) => {
    const answer = await createWithStartRefused(error, reasonId, text);
    if (reasonId !== 'STREAM_DELETED') {
      expect(answer.Reason).toContain(`${error.name}: ${error.message}`);
    }
    expect(starts()).toBe(1);
  });

  test('KMSThrottlingException is throttling: read again, Start again, SUCCESS', async () => {
    kinesis.on(StartStreamEncryptionCommand).rejectsOnce(new KMSThrottlingException({ message: 'KMS rate exceeded', ...CLIENT_ERROR_METADATA })).resolves({});
    reads(summary(sse.none()), summary(sse.none()), summary(sse.none()), summary(sse.kms()));
    const answer = await h.run(kinesisCreate());
    expect(answer.Status).toBe('SUCCESS');
    // The first reading, the one after the claim, the one after the throttled Start, the one after the second.
    expect([describes(), starts()]).toEqual([4, 2]);
    const retry = h.records().find((r) => r.action === 'retry');
    expect(retry).toMatchObject({ operation: 'StartStreamEncryption', errorClass: 'throttled' });
  });

  test('ResourceInUseException: read again and Start when ACTIVE', async () => {
    kinesis.on(StartStreamEncryptionCommand).rejectsOnce(new ResourceInUseException({ message: 'UPDATING', ...CLIENT_ERROR_METADATA })).resolves({});
    reads(summary(sse.none()), summary(sse.none()), summary(sse.none(), 'UPDATING'), summary(sse.none()), summary(sse.kms()));
    expect((await h.run(kinesisCreate())).Status).toBe('SUCCESS');
    expect(starts()).toBe(2);
  });

  test('a network error: Start may have taken effect, so read before deciding, and keep the stream\'s id on FAILED', async () => {
    kinesis.on(StartStreamEncryptionCommand).rejects(networkError('ECONNRESET'));
    reads(summary(sse.none()), summary(sse.none()), summary(sse.kms(), 'UPDATING'), summary(sse.none(), 'DELETING'));
    const answer = await h.run(kinesisCreate());
    expect(answer).toMatchObject({ Status: 'FAILED', PhysicalResourceId: 'kinesis:events#prior=none' });
    expect(starts()).toBe(1);
  });
});

describe('DescribeStreamSummary errors', () => {
  test('LimitExceededException on Describe is throttling: retried, then SUCCESS', async () => {
    reads(
      new LimitExceededException({ message: 'Rate exceeded for stream events', ...CLIENT_ERROR_METADATA }),
      new LimitExceededException({ message: 'Rate exceeded for stream events', ...CLIENT_ERROR_METADATA }),
      summary(sse.kms()),
    );
    expect((await h.run(kinesisCreate())).Status).toBe('SUCCESS');
    expect(describes()).toBe(3);
    expect(h.records().filter((r) => r.action === 'retry').map((r) => r.errorClass)).toEqual(['throttled', 'throttled']);
  });

  test('a 5xx and a network error are retried', async () => {
    reads(awsError('InternalFailureException', 'oops', 500), networkError(), summary(sse.kms()));
    expect((await h.run(kinesisCreate())).Status).toBe('SUCCESS');
    expect(describes()).toBe(3);
  });

  test('access denied: FAILED ACCESS_DENIED', async () => {
    reads(awsError('AccessDeniedException', 'not authorized to perform kinesis:DescribeStreamSummary'));
    expect((await h.run(kinesisCreate())).Reason).toMatch(/^ACCESS_DENIED: The handler may not call DescribeStreamSummary on events/);
  });

  test('a summary without a description: FAILED, not taken for a missing stream', async () => {
    reads({} as DescribeStreamSummaryOutput);
    const answer = await h.run(kinesisDelete());
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toMatch(/^UNEXPECTED_ERROR: .*no StreamDescriptionSummary/);
  });
});

describe('Update', () => {
  const nonFunctional = () => kinesisUpdate(kinesisProperties({ TimeoutSeconds: '300', SettleSeconds: '10', RemovalPolicy: 'retain' }), kinesisProperties());

  test('only non-functional properties changed, the stream drifted (NONE): one Start, SUCCESS once it has the key, still no tag call', async () => {
    reads(summary(sse.none()), summary(sse.kms(), 'UPDATING'), summary(sse.kms()));
    const answer = await h.run(nonFunctional());
    expect(answer).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'kinesis:events', Data: { EncryptionType: 'KMS', KeyId: KEY_ARN } });
    expect([describes(), starts(), stops()]).toEqual([3, 1, 0]);
    expect(startInput().KeyId).toBe(KEY_ARN);
    expect(names(kinesis).filter((name) => /Tags/.test(name))).toEqual([]);
  });

  test('a new key on the same stream: Start with it, same physical id', async () => {
    kms.on(DescribeKeyCommand).resolves(keyMetadata({ Arn: OTHER_KEY_ARN }));
    reads(summary(sse.kms(KEY_ARN)), summary(sse.kms(OTHER_KEY_ARN), 'UPDATING'), summary(sse.kms(OTHER_KEY_ARN)));
    const answer = await h.run(kinesisUpdate(kinesisProperties({ KeyId: OTHER_KEY_ARN }), kinesisProperties()));
    expect(answer).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'kinesis:events', Data: { KeyId: OTHER_KEY_ARN } });
    expect(startInput().KeyId).toBe(OTHER_KEY_ARN);
    expect(stops()).toBe(0);
  });

  test('from a customer key to KINESIS_MANAGED: Start with alias/aws/kinesis', async () => {
    reads(summary(sse.kms()), summary(sse.kms(MANAGED)));
    const answer = await h.run(kinesisUpdate(kinesisProperties({ KeyId: MANAGED }), kinesisProperties()));
    expect(answer).toMatchObject({ Status: 'SUCCESS', Data: { KeyId: MANAGED } });
    expect([startInput().KeyId, keyChecks()]).toEqual([MANAGED, 0]);
  });

  test('another stream: reconciled as a Create, new physical id', async () => {
    const other = { StreamName: 'clicks', StreamArn: 'arn:aws:kinesis:eu-west-1:123456789012:stream/clicks' };
    const clicks = summary(sse.none(), 'ACTIVE', { StreamName: 'clicks' });
    reads(clicks, clicks, summary(sse.kms(), 'ACTIVE', { StreamName: 'clicks' }));
    const answer = await h.run(kinesisUpdate(kinesisProperties(other), kinesisProperties()));
    expect(answer).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'kinesis:clicks#prior=none' });
    expect(kinesis.commandCalls(DescribeStreamSummaryCommand).map((c) => c.args[0].input)).toEqual([
      { StreamName: 'clicks', StreamARN: other.StreamArn },
      { StreamName: 'clicks', StreamARN: other.StreamArn },
      { StreamName: 'clicks', StreamARN: other.StreamArn },
    ]);
    expect(startInput()).toMatchObject({ StreamName: 'clicks', StreamARN: other.StreamArn });
    expect(stops()).toBe(0);
  });

});

describe('Delete', () => {
  test('NONE: SUCCESS without Stop', async () => {
    reads(summary(sse.none()));
    expect(await h.run(kinesisDelete())).toMatchObject({ Status: 'SUCCESS', Data: { EncryptionType: 'NONE', KeyId: '', StreamStatus: 'ACTIVE' } });
    expect([describes(), stops()]).toEqual([1, 0]);
  });

  test('KMS: Stop with the key the stream reports, wait for ACTIVE with NONE, SUCCESS', async () => {
    reads(summary(sse.kms(ALIAS)), summary(sse.kms(ALIAS), 'UPDATING'), summary(sse.none()));
    const answer = await h.run(kinesisDelete());
    expect(answer).toMatchObject({
      Status: 'SUCCESS',
      PhysicalResourceId: 'kinesis:events',
      Data: { EncryptionType: 'NONE', KeyId: '', StreamStatus: 'ACTIVE' },
    });
    expect(stopInput()).toEqual({ StreamName: 'events', StreamARN: STREAM_ARN, EncryptionType: 'KMS', KeyId: ALIAS });
    expect([describes(), stops(), starts(), keyChecks()]).toEqual([3, 1, 0, 0]);
    // no settle after a Stop
    expect(h.clock.sleeps.every((ms) => ms <= 1000)).toBe(true);
  });

  test('UPDATING: wait until it settles, then Stop', async () => {
    reads(summary(sse.kms(), 'UPDATING'), summary(sse.kms()), summary(sse.none()));
    expect((await h.run(kinesisDelete())).Status).toBe('SUCCESS');
    expect(names(kinesis)).toEqual([
      'ListTagsForStreamCommand',
      'DescribeStreamSummaryCommand',
      'DescribeStreamSummaryCommand',
      'StopStreamEncryptionCommand',
      'DescribeStreamSummaryCommand',
    ]);
  });

  test('stream DELETING: SUCCESS without Stop', async () => {
    reads(summary(sse.kms(), 'DELETING'));
    expect((await h.run(kinesisDelete())).Status).toBe('SUCCESS');
    expect(stops()).toBe(0);
  });

  // A Stop that fails for good: one call, and the answer says why.
  test.each([
    {
      title: 'Stop finds no stream: SUCCESS',
      error: new ResourceNotFoundException({ message: 'gone', ...CLIENT_ERROR_METADATA }),
      answer: { Status: 'SUCCESS', Data: { EncryptionType: '', KeyId: '', StreamStatus: '' } },
      reason: /^Data stream events: stream not found\./,
    },
    {
      title: 'Stop refused with LimitExceededException: FAILED at once',
      error: new LimitExceededException({ message: 'limit', ...CLIENT_ERROR_METADATA }),
      answer: { Status: 'FAILED', PhysicalResourceId: 'kinesis:events' },
      reason: /^CALL_LIMIT_EXCEEDED: Kinesis refused StopStreamEncryption on events/,
    },
  ])('$title', async ({ error, answer: expected, reason }) => {
    kinesis.on(StopStreamEncryptionCommand).rejects(error);
    reads(summary(sse.kms()));
    const answer = await h.run(kinesisDelete());
    expect(answer).toMatchObject(expected);
    expect(answer.Reason).toMatch(reason);
    expect(stops()).toBe(1);
  });

  test('Stop refused with ResourceInUseException: read again and Stop again', async () => {
    kinesis.on(StopStreamEncryptionCommand).rejectsOnce(new ResourceInUseException({ message: 'busy', ...CLIENT_ERROR_METADATA })).resolves({});
    reads(summary(sse.kms()), summary(sse.kms()), summary(sse.none()));
    expect((await h.run(kinesisDelete())).Status).toBe('SUCCESS');
    expect(stops()).toBe(2);
  });

  test('still KMS after the stream went UPDATING for our Stop: FAILED', async () => {
    reads(summary(sse.kms()), summary(sse.kms(), 'UPDATING'), summary(sse.kms()));
    const answer = await h.run(kinesisDelete());
    expect(answer.Reason).toMatch(/^DATA_STREAM_ENCRYPTION_NOT_APPLIED: .*after StopStreamEncryption/);
  });
});

describe('deadline', () => {
  test('still UPDATING at the deadline: FAILED with the last status, answered on time', async () => {
    reads(summary(sse.none()), summary(sse.none()), summary(sse.kms(), 'UPDATING'));
    const answer = await h.run(kinesisCreate(kinesisProperties({ TimeoutSeconds: '60' })));
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toMatch(new RegExp(
      `^DATA_STREAM_TIMED_OUT: Kinesis data stream events is still UPDATING after 60 s; last status: stream UPDATING, encryption KMS with ${KEY_ARN}\\. Check the stream \\(aws kinesis describe-stream-summary\\)`,
    ));
    expect(answer.PhysicalResourceId).toBe('kinesis:events#prior=none');
    expect(h.elapsed()).toBe(60_000);
  });

  test('after our Start the stream never changes: still ACTIVE without encryption', async () => {
    reads(summary(sse.none()));
    const answer = await h.run(kinesisCreate(kinesisProperties({ TimeoutSeconds: '30' })));
    expect(answer.Reason).toMatch(/^DATA_STREAM_TIMED_OUT: Kinesis data stream events is still ACTIVE without encryption after 30 s/);
    expect(starts()).toBe(1);
  });

  test('a Delete stuck with the key: still ACTIVE with KMS key …', async () => {
    reads(summary(sse.kms()));
    const answer = await h.run(kinesisDelete(kinesisProperties({ TimeoutSeconds: '10' })));
    expect(answer).toMatchObject({ Status: 'FAILED', PhysicalResourceId: 'kinesis:events' });
    expect(answer.Reason).toMatch(new RegExp(`still ACTIVE with KMS key ${KEY_ARN} after 10 s`));
  });

  test('throttled until the deadline: FAILED THROTTLED with the last error', async () => {
    reads(new LimitExceededException({ message: 'Rate exceeded for stream events', ...CLIENT_ERROR_METADATA }));
    const answer = await h.run(kinesisCreate(kinesisProperties({ TimeoutSeconds: '120' })));
    expect(answer.Reason).toMatch(
      /^THROTTLED: DescribeStreamSummary for events was throttled until the deadline \(120 s; LimitExceededException: Rate exceeded for stream events\)/,
    );
    expect(h.elapsed()).toBe(120_000);
  });

});

describe('malformed requests', () => {
  const without = (name: string): Record<string, string> => {
    const props = kinesisProperties();
    delete props[name];
    return props;
  };

  test.each<[string, Record<string, unknown>, RegExp, string]>([
    ['missing StreamName', without('StreamName'), /^INVALID_PROPERTY: Resource property StreamName is missing\. Let the DataStreamEncryption construct/, 'EventsSse#not-started'],
    ['a stream name not matching the pattern', kinesisProperties({ StreamName: 'events/prod' }), /^INVALID_PROPERTY: Resource property StreamName must be the stream's name \(1 to 128 of .*; not its ARN\), not 'events\/prod'\. Let the DataStreamEncryption construct/, 'EventsSse#not-started'],
    ['a stream name of 129 characters', kinesisProperties({ StreamName: 'e'.repeat(129) }), /^INVALID_PROPERTY: Resource property StreamName must be the stream's name /, 'EventsSse#not-started'],
    ['missing StreamArn', without('StreamArn'), /^INVALID_PROPERTY: Resource property StreamArn is missing\./, 'kinesis:events#not-started'],
    ['the ARN of another stream', kinesisProperties({ StreamArn: 'arn:aws:kinesis:eu-west-1:123456789012:stream/clicks' }), /^INVALID_PROPERTY: Resource property StreamArn must be the ARN of the Kinesis data stream events, not '.*stream\/clicks'\./, 'kinesis:events#not-started'],
    ['a delivery stream ARN', kinesisProperties({ StreamArn: 'arn:aws:firehose:eu-west-1:123456789012:deliverystream/events' }), /^INVALID_PROPERTY: Resource property StreamArn must be the ARN of the Kinesis data stream events, not 'arn:aws:firehose:/, 'kinesis:events#not-started'],
    ['missing KeyId', without('KeyId'), /^INVALID_PROPERTY: Resource property KeyId is missing\./, 'kinesis:events#not-started'],
    ['a key id', kinesisProperties({ KeyId: KEY_ID }), /^INVALID_PROPERTY: Resource property KeyId must be a KMS key ARN \(key\.keyArn\) or alias\/aws\/kinesis, not '.*'\./, 'kinesis:events#not-started'],
    ['an alias name', kinesisProperties({ KeyId: 'alias/events' }), /^INVALID_PROPERTY: Resource property KeyId must be a KMS key ARN /, 'kinesis:events#not-started'],
    [
      'a stream of another partition than the stack',
      kinesisProperties({ StreamArn: 'arn:aws-us-gov:kinesis:us-gov-west-1:123456789012:stream/events' }),
      /^ARN_OTHER_PARTITION: StreamArn '.*' is in partition aws-us-gov, but the stack is in aws\./,
      'kinesis:events#not-started',
    ],
    ['an alias ARN', kinesisProperties({ KeyId: 'arn:aws:kms:eu-west-1:123456789012:alias/events' }), /^INVALID_PROPERTY: Resource property KeyId must be a KMS key ARN /, 'kinesis:events#not-started'],
    ['a numeric TimeoutSeconds', { ...kinesisProperties(), TimeoutSeconds: 600 }, /^INVALID_PROPERTY: Resource property TimeoutSeconds must be a string, got number\./, 'kinesis:events#not-started'],
    ['TimeoutSeconds 900', kinesisProperties({ TimeoutSeconds: '900' }), /^INVALID_PROPERTY: Resource property TimeoutSeconds must be a whole number from 1 to 840/, 'kinesis:events#not-started'],
    ['SettleSeconds 61', kinesisProperties({ SettleSeconds: '61' }), /^INVALID_PROPERTY: Resource property SettleSeconds must be a whole number from 0 to 60/, 'kinesis:events#not-started'],
    ['RemovalPolicy Retain', { ...kinesisProperties(), RemovalPolicy: 'Retain' }, /^INVALID_PROPERTY: Resource property RemovalPolicy must be destroy or retain/, 'kinesis:events#not-started'],
    ['StreamKind firehose on a data stream resource', { ...kinesisProperties(), StreamKind: 'firehose' }, /^INVALID_PROPERTY: Resource property StreamKind must be kinesis, not 'firehose'\. Let the DataStreamEncryption construct/, 'kinesis:events#not-started'],
  ])('Create with %s: FAILED with zero API calls', async (_name, props, reason, physicalId) => {
    const answer = await h.run(kinesisCreate(props));
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toMatch(reason);
    expect(answer.PhysicalResourceId).toBe(physicalId);
    expect(answer.Data).toEqual({ StreamName: '', StreamArn: '', EncryptionType: '', KeyId: '', StreamStatus: '' });
    expect(awsCalls()).toBe(0);
  });
});

describe('one handler for both kinds of stream', () => {
  test('a resource type the handler does not know is dispatched by StreamKind', async () => {
    reads(summary(sse.kms()));
    const answer = await h.run({ ...kinesisCreate(), ResourceType: 'AWS::CloudFormation::CustomResource' } as never);
    expect(answer).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: `kinesis:events#prior=${KEY_ARN}` });
    expect(describes()).toBe(1);
  });
});

describe('logs', () => {
  test('one JSON line per step, with the stream and no part of the ResponseURL', async () => {
    reads(summary(sse.none()), summary(sse.none()), summary(sse.kms(), 'UPDATING'), summary(sse.kms()));
    await h.run(kinesisCreate());
    const records = h.records();
    // The claim (owner), the reading after it (decide), the Start.
    // After the answer, this copy's claim tag is removed (owner).
    expect(records.map((r) => r.action)).toEqual(['received', 'deadline', 'verify-key', 'decide', 'owner', 'decide', 'start', 'decide', 'decide', 'settle', 'answer', 'owner']);
    for (const record of records) {
      expect(record).toMatchObject({ requestType: 'Create', stream: 'events' });
    }
    expect(records[0]).toMatchObject({ properties: { StreamName: 'events', StreamArn: STREAM_ARN, KeyId: KEY_ARN } });
    expect(records.find((r) => r.action === 'start')).toMatchObject({ key: KEY_ARN, status: 'accepted' });
    const url = new URL(RESPONSE_URL);
    for (const line of h.lines) {
      expect(line).not.toContain(url.search.slice(1));
      expect(line).not.toContain(url.pathname);
    }
  });

  test('resolving the current alias is logged', async () => {
    reads(summary(sse.kms(ALIAS)));
    await h.run(kinesisCreate());
    expect(h.records().find((r) => r.action === 'resolve-key')).toMatchObject({ key: ALIAS, resolvedKey: KEY_ARN });
  });
});
