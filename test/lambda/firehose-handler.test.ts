import {
  DescribeDeliveryStreamCommand,
  DescribeDeliveryStreamOutput,
  InvalidArgumentException,
  InvalidKMSResourceException,
  LimitExceededException,
  ListTagsForDeliveryStreamCommand,
  ResourceInUseException,
  ResourceNotFoundException,
  ServiceUnavailableException,
  StartDeliveryStreamEncryptionCommand,
  StopDeliveryStreamEncryptionCommand,
  TagDeliveryStreamCommand,
} from '@aws-sdk/client-firehose';
import { DescribeKeyCommand, NotFoundException } from '@aws-sdk/client-kms';
import { awsOwnedProperties, createEvent, deleteEvent, described, enc, properties, updateEvent } from './firehose-helpers';
import {
  ALIAS_ARN,
  awsError,
  claimNonce,
  CLIENT_ERROR_METADATA,
  Harness,
  KEY_ARN,
  keyMetadata,
  lambdaContext,
  LOG_STREAM,
  networkError,
  ORDERS_SSE_OWNER,
  OTHER_KEY_ARN,
  RESPONSE_URL,
  STACK_ID,
} from './helpers';
import { awsCalls, FIREHOSE_CLAIM, firehose, firehoseCalls, keyChecks, kms, names, reads, resetMocks } from './mocks';
import entryPoint from '../../lambda';
import { PACING } from '../../lambda/core/backoff';
import { handleEvent } from '../../lambda/core/handle-event';
import { MAX_RESPONSE_BYTES } from '../../lambda/core/response';

const { handler } = entryPoint;

let h: Harness;

beforeEach(() => {
  resetMocks();
  h = new Harness();
});

/** Firehose's InvalidKMSResourceException wrapping the KMS error `code`. */
const kmsResource = (code: string, message: string) => new InvalidKMSResourceException({ message, code, ...CLIENT_ERROR_METADATA });
const { describes, starts, stops, startInput, tagValues } = firehoseCalls;

describe('Create', () => {
  test('DISABLED: pre-flight, Start with the key, wait for ENABLED, settle, SUCCESS', async () => {
    // The second reading is the one taken after the claim, just before the Start.
    reads(described(enc.disabled()), described(enc.disabled()), described(enc.enabling()), described(enc.enabling()), described(enc.enabled()));
    const answer = await h.run(createEvent());
    expect(answer).toEqual({
      Status: 'SUCCESS',
      Reason: `Delivery stream orders: stream ACTIVE, encryption ENABLED with CUSTOMER_MANAGED_CMK ${KEY_ARN}. See CloudWatch log stream ${LOG_STREAM}`,
      PhysicalResourceId: 'firehose:orders#prior=none',
      StackId: STACK_ID,
      RequestId: '6f6d0c1e-7f00-4a5b-9a5e-000000000001',
      LogicalResourceId: 'OrdersSse',
      NoEcho: false,
      Data: { DeliveryStreamName: 'orders', KeyType: 'CUSTOMER_MANAGED_CMK', KeyArn: KEY_ARN, EncryptionStatus: 'ENABLED' },
    });
    expect(kms.commandCalls(DescribeKeyCommand)[0].args[0].input).toEqual({ KeyId: KEY_ARN });
    expect(startInput()).toEqual({
      DeliveryStreamName: 'orders',
      DeliveryStreamEncryptionConfigurationInput: { KeyType: 'CUSTOMER_MANAGED_CMK', KeyARN: KEY_ARN },
    });
    expect([describes(), keyChecks(), starts(), stops()]).toEqual([5, 1, 1, 0]);
    // Polls stay at or under a second; the settle time comes last.
    expect(h.clock.sleeps.slice(0, -1).every((ms) => ms <= 1000)).toBe(true);
    expect(h.clock.sleeps[h.clock.sleeps.length - 1]).toBe(5000);
    expect(h.answers[0].url).toBe(RESPONSE_URL);
  });

  test('the first Describe comes before any Start; the owner tag claims the stream before the Start, and the claim stays once ENABLED', async () => {
    reads(described(enc.disabled()), described(enc.disabled()), described(enc.enabled()));
    await h.run(createEvent());
    // The claim is read back, and the stream read once more, before the Start.
    expect(names(firehose)).toEqual([
      ...FIREHOSE_CLAIM,
      'StartDeliveryStreamEncryptionCommand',
      'DescribeDeliveryStreamCommand',
      'UntagDeliveryStreamCommand', // this copy's claim tag, removed once the answer is sent
    ]);
    // The claim carries the prior encryption of the first reading and this copy's nonce; it already
    // says all the tag must say once ENABLED, so it is not written again (tag calls allow 5 a second per account).
    expect(tagValues()).toEqual([`${ORDERS_SSE_OWNER} prior=none claim=${claimNonce()}`]);
  });

  test('no encryption configuration at all: Start', async () => {
    reads(described(null), described(null), described(enc.enabled()));
    expect((await h.run(createEvent())).Status).toBe('SUCCESS');
    expect(starts()).toBe(1);
  });

  test('ENABLED with the wanted key: SUCCESS with no Start, no pre-flight and no settle', async () => {
    reads(described(enc.enabled()));
    const answer = await h.run(createEvent());
    expect(answer).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: `firehose:orders#prior=${KEY_ARN}`, Data: { EncryptionStatus: 'ENABLED' } });
    expect([describes(), keyChecks(), starts()]).toEqual([1, 0, 0]);
    expect(h.clock.sleeps).toEqual([]);
  });

  test('AWS owned key: Start without KeyARN and without pre-flight', async () => {
    reads(described(enc.disabled()), described(enc.disabled()), described(enc.awsOwned()));
    const answer = await h.run(createEvent(awsOwnedProperties()));
    expect(answer).toMatchObject({ Status: 'SUCCESS', Data: { KeyType: 'AWS_OWNED_CMK', KeyArn: '', EncryptionStatus: 'ENABLED' } });
    expect(startInput()).toEqual({ DeliveryStreamName: 'orders', DeliveryStreamEncryptionConfigurationInput: { KeyType: 'AWS_OWNED_CMK' } });
    expect(keyChecks()).toBe(0);
  });

  test('AWS owned key already applied: nothing to do', async () => {
    reads(described(enc.awsOwned()));
    expect((await h.run(createEvent(awsOwnedProperties()))).Status).toBe('SUCCESS');
    expect(starts()).toBe(0);
  });

  test.each([
    ['another customer key', enc.enabled(OTHER_KEY_ARN)],
    ['the AWS owned key', enc.awsOwned()],
    ['ENABLING_FAILED from an earlier attempt', enc.enablingFailed()],
    ['DISABLING_FAILED from an earlier attempt', enc.disablingFailed()],
  ])('first read shows %s: Start with the wanted key', async (_name, first) => {
    reads(described(first), described(first), described(enc.enabling()), described(enc.enabled()));
    expect((await h.run(createEvent())).Status).toBe('SUCCESS');
    expect(starts()).toBe(1);
    expect(startInput().DeliveryStreamEncryptionConfigurationInput?.KeyARN).toBe(KEY_ARN);
  });

  test('alias ARN: Start passes the key ARN that DescribeKey resolved', async () => {
    reads(described(enc.disabled()), described(enc.disabled()), described(enc.enabled(KEY_ARN)));
    const answer = await h.run(createEvent(properties({ KeyArn: ALIAS_ARN })));
    expect(kms.commandCalls(DescribeKeyCommand)[0].args[0].input).toEqual({ KeyId: ALIAS_ARN });
    expect(startInput().DeliveryStreamEncryptionConfigurationInput?.KeyARN).toBe(KEY_ARN);
    expect(answer).toMatchObject({ Status: 'SUCCESS', Data: { KeyArn: ALIAS_ARN } });
  });

  test('alias ARN whose key is already applied: no Start', async () => {
    reads(described(enc.enabled(KEY_ARN)));
    expect((await h.run(createEvent(properties({ KeyArn: ALIAS_ARN })))).Status).toBe('SUCCESS');
    expect([keyChecks(), starts()]).toEqual([1, 0]);
  });

  test('ENABLING (anyone\'s) ending with the wanted key: wait, settle, no Start', async () => {
    reads(described(enc.enabling()), described(enc.enabling()), described(enc.enabled()));
    expect((await h.run(createEvent())).Status).toBe('SUCCESS');
    expect(starts()).toBe(0);
    expect(h.clock.sleeps[h.clock.sleeps.length - 1]).toBe(5000);
  });

  test('ENABLING ending with another key: judge the result, then Start', async () => {
    const other = described(enc.enabled(OTHER_KEY_ARN));
    reads(described(enc.enabling(OTHER_KEY_ARN)), other, other, described(enc.enabled()));
    expect((await h.run(createEvent())).Status).toBe('SUCCESS');
    expect(starts()).toBe(1);
  });

  test('DISABLING: wait for DISABLED, then Start', async () => {
    const disabled = described(enc.disabled());
    reads(described(enc.disabling()), described(enc.disabling()), disabled, disabled, described(enc.enabled()));
    expect((await h.run(createEvent())).Status).toBe('SUCCESS');
    expect([describes(), starts()]).toEqual([5, 1]);
  });

  test.each(['CREATING', 'UPDATING'])('stream %s: wait for ACTIVE, then Start', async (status) => {
    const busy = described(enc.disabled(), { DeliveryStreamStatus: status as never });
    reads(busy, busy, described(enc.disabled()), described(enc.disabled()), described(enc.enabled()));
    expect((await h.run(createEvent())).Status).toBe('SUCCESS');
    // The first reading shows no encryption: no owner tag read; the claim is the only tag write.
    expect(names(firehose)).toEqual([
      'DescribeDeliveryStreamCommand',
      'DescribeDeliveryStreamCommand',
      'DescribeDeliveryStreamCommand',
      'TagDeliveryStreamCommand',
      'ListTagsForDeliveryStreamCommand',
      'DescribeDeliveryStreamCommand',
      'StartDeliveryStreamEncryptionCommand',
      'DescribeDeliveryStreamCommand',
      'UntagDeliveryStreamCommand', // this copy's claim tag, removed once the answer is sent
    ]);
  });

  test.each(['DELETING', 'CREATING_FAILED', 'DELETING_FAILED'])('stream %s: FAILED, no Start', async (status) => {
    reads(described(enc.disabled(), { DeliveryStreamStatus: status as never }));
    const answer = await h.run(createEvent());
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toMatch(new RegExp(`^STREAM_NOT_ACTIVE: Firehose stream orders is ${status}`));
    expect(answer.PhysicalResourceId).toBe('firehose:orders#not-started');
    expect(starts()).toBe(0);
  });

  test('source is not DirectPut: FAILED, no pre-flight, no Start', async () => {
    reads(described(enc.disabled(), { DeliveryStreamType: 'KinesisStreamAsSource' }));
    const answer = await h.run(createEvent());
    expect(answer.Reason).toMatch(/^NOT_DIRECT_PUT: SSE needs a DirectPut stream: orders reads from KinesisStreamAsSource\. Encrypt the source/);
    expect([answer.Status, answer.PhysicalResourceId, keyChecks(), starts()]).toEqual(['FAILED', 'firehose:orders#not-started', 0, 0]);
  });

  test('stream not found: FAILED with the not-started marker', async () => {
    reads(new ResourceNotFoundException({ message: 'Firehose orders under account 123456789012 not found.', ...CLIENT_ERROR_METADATA }));
    const answer = await h.run(createEvent());
    expect(answer).toMatchObject({ Status: 'FAILED', PhysicalResourceId: 'firehose:orders#not-started' });
    expect(answer.Reason).toMatch(/^STREAM_NOT_FOUND: Firehose stream orders does not exist/);
    expect([describes(), starts()]).toEqual([1, 0]);
  });

  test('after our Start the old state lingers: keep waiting, never a second Start', async () => {
    const old = described(enc.disabled());
    reads(old, old, old, old, old, described(enc.enabling()), described(enc.enabled()));
    expect((await h.run(createEvent())).Status).toBe('SUCCESS');
    expect([describes(), starts()]).toEqual([7, 1]);
  });

  test('after our Start the old key lingers: keep waiting, never a second Start', async () => {
    const old = described(enc.enabled(OTHER_KEY_ARN));
    reads(old, old, old, described(enc.enabled()));
    expect((await h.run(createEvent())).Status).toBe('SUCCESS');
    expect(starts()).toBe(1);
  });

  test('ENABLING_FAILED after our Start: FAILED with the FailureDescription, physical id without marker', async () => {
    reads(described(enc.disabled()), described(enc.disabled()), described(enc.enabling()), described(enc.enablingFailed('Firehose is not allowed to create a grant')));
    const answer = await h.run(createEvent());
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toMatch(
      /^ENABLING_FAILED: Firehose could not enable encryption of orders: KMS_ACCESS_DENIED: Firehose is not allowed to create a grant\. Fix that cause/,
    );
    expect(answer.PhysicalResourceId).toBe('firehose:orders#prior=none');
    expect(answer.Data).toEqual({ DeliveryStreamName: '', KeyType: 'CUSTOMER_MANAGED_CMK', KeyArn: KEY_ARN, EncryptionStatus: 'ENABLING_FAILED' });
    expect(starts()).toBe(1);
  });

  test('someone else\'s ENABLING ends ENABLING_FAILED: FAILED, never started', async () => {
    reads(described(enc.enabling()), described(enc.enablingFailed('key disabled')));
    const answer = await h.run(createEvent());
    expect(answer).toMatchObject({ Status: 'FAILED', PhysicalResourceId: 'firehose:orders#not-started' });
    expect(answer.Reason).toContain('KMS_ACCESS_DENIED: key disabled');
    expect(starts()).toBe(0);
  });

  test('DISABLING ends DISABLING_FAILED: FAILED', async () => {
    reads(described(enc.disabling()), described(enc.disablingFailed('grant revoked')));
    const answer = await h.run(createEvent());
    expect(answer.Reason).toMatch(/^DISABLING_FAILED: .*DISABLED_KMS_KEY: grant revoked/);
    expect(starts()).toBe(0);
  });

  test('stream deleted while waiting: FAILED STREAM_DELETED', async () => {
    reads(described(enc.disabled()), described(enc.disabled()), described(enc.enabling()), new ResourceNotFoundException({ message: 'gone', ...CLIENT_ERROR_METADATA }));
    const answer = await h.run(createEvent());
    expect(answer).toMatchObject({ Status: 'FAILED', PhysicalResourceId: 'firehose:orders#prior=none' });
    expect(answer.Reason).toMatch(/^STREAM_DELETED: /);
  });

});

describe('KMS pre-flight', () => {
  test.each([
    ['disabled', { KeyState: 'Disabled' as const }, /^KEY_NOT_ENABLED: KMS key .* is Disabled, not Enabled\./],
    ['pending deletion', { KeyState: 'PendingDeletion' as const }, /^KEY_NOT_ENABLED: KMS key .* is PendingDeletion, not Enabled\..*cancel its deletion/],
    ['asymmetric', { KeySpec: 'RSA_2048' as const }, /^KEY_NOT_SYMMETRIC: KMS key .* has key spec RSA_2048, not SYMMETRIC_DEFAULT\./],
    ['for signing', { KeySpec: 'ECC_NIST_P256' as const, KeyUsage: 'SIGN_VERIFY' as const }, /^KEY_WRONG_USAGE: KMS key .* has key usage SIGN_VERIFY, not ENCRYPT_DECRYPT\./],
    ['an HMAC key', { KeySpec: 'HMAC_256' as const, KeyUsage: 'GENERATE_VERIFY_MAC' as const }, /^KEY_WRONG_USAGE: .*GENERATE_VERIFY_MAC/],
  ])('a key that is %s: FAILED at once, no Start', async (_name, metadata, reason) => {
    kms.on(DescribeKeyCommand).resolves(keyMetadata(metadata));
    reads(described(enc.disabled()));
    const answer = await h.run(createEvent());
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toMatch(reason);
    expect(answer.PhysicalResourceId).toBe('firehose:orders#not-started');
    expect([keyChecks(), starts()]).toEqual([1, 0]);
  });

  test('a key that does not exist: FAILED KEY_NOT_FOUND', async () => {
    kms.on(DescribeKeyCommand).rejects(new NotFoundException({ message: `Key '${KEY_ARN}' does not exist`, ...CLIENT_ERROR_METADATA }));
    reads(described(enc.disabled()));
    const answer = await h.run(createEvent());
    expect(answer.Reason).toMatch(/^KEY_NOT_FOUND: KMS key .* was not found \(NotFoundException: Key '.*' does not exist\)/);
    expect([keyChecks(), starts()]).toEqual([1, 0]);
  });

  test('access to the key denied: FAILED KEY_ACCESS_DENIED', async () => {
    kms.on(DescribeKeyCommand).rejects(awsError('AccessDeniedException', 'User is not authorized to perform: kms:DescribeKey'));
    reads(described(enc.disabled()));
    const answer = await h.run(createEvent());
    expect(answer.Reason).toMatch(/^KEY_ACCESS_DENIED: /);
    expect(starts()).toBe(0);
  });

  test('a key with only the legacy CustomerMasterKeySpec passes', async () => {
    kms.on(DescribeKeyCommand).resolves(keyMetadata({ KeySpec: undefined, CustomerMasterKeySpec: 'SYMMETRIC_DEFAULT' }));
    reads(described(enc.disabled()), described(enc.disabled()), described(enc.enabled()));
    expect((await h.run(createEvent())).Status).toBe('SUCCESS');
  });

  test('KMS throttling is retried', async () => {
    kms.on(DescribeKeyCommand)
      .rejectsOnce(awsError('ThrottlingException', 'Rate exceeded'))
      .resolves(keyMetadata());
    reads(described(enc.disabled()), described(enc.disabled()), described(enc.enabled()));
    expect((await h.run(createEvent())).Status).toBe('SUCCESS');
    expect([keyChecks(), starts()]).toEqual([2, 1]);
  });

});

describe('Update', () => {
  const nonFunctional = () => updateEvent(properties({ TimeoutSeconds: '300', SettleSeconds: '10', RemovalPolicy: 'retain' }), properties());

  test('only non-functional properties changed, the stream drifted (DISABLED): one Start, SUCCESS once ENABLED, still no tag call', async () => {
    reads(described(enc.disabled()), described(enc.enabling()), described(enc.enabled()));
    const answer = await h.run(nonFunctional());
    expect(answer).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'firehose:orders', Data: { EncryptionStatus: 'ENABLED' } });
    expect([describes(), starts(), stops()]).toEqual([3, 1, 0]);
    expect(startInput().DeliveryStreamEncryptionConfigurationInput).toEqual({ KeyType: 'CUSTOMER_MANAGED_CMK', KeyARN: KEY_ARN });
    expect(firehose.commandCalls(ListTagsForDeliveryStreamCommand)).toHaveLength(0);
    expect(firehose.commandCalls(TagDeliveryStreamCommand)).toHaveLength(0);
  });

  test('only non-functional properties changed, the stream drifted and its Start fails: FAILED with the given id', async () => {
    reads(described(enc.disabled()), described(enc.enabling()), described(enc.enablingFailed()));
    const answer = await h.run(nonFunctional());
    expect(answer).toMatchObject({ Status: 'FAILED', PhysicalResourceId: 'firehose:orders' });
    expect(answer.Reason).toMatch(/^ENABLING_FAILED: /);
  });

  test('a new key on the same stream: Start with it, same physical id', async () => {
    reads(described(enc.enabled(KEY_ARN)), described(enc.enabled(OTHER_KEY_ARN)));
    kms.on(DescribeKeyCommand).resolves(keyMetadata({ Arn: OTHER_KEY_ARN }));
    const answer = await h.run(updateEvent(properties({ KeyArn: OTHER_KEY_ARN }), properties()));
    expect(answer).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'firehose:orders', Data: { KeyArn: OTHER_KEY_ARN } });
    expect(startInput().DeliveryStreamEncryptionConfigurationInput?.KeyARN).toBe(OTHER_KEY_ARN);
  });

  // "If a delivery stream already has encryption enabled and then you invoke this operation to change the ARN of
  // the CMK [...] and you get ENABLING_FAILED, [...] encryption remains enabled with the old CMK"
  // (https://docs.aws.amazon.com/firehose/latest/APIReference/API_StartDeliveryStreamEncryption.html).
  test('the rollback of a failed key change (same stream) reads ENABLING_FAILED with the wanted key: SUCCESS, no Start', async () => {
    reads(described(enc.enablingFailed()));
    const answer = await h.run(updateEvent(properties(), properties({ KeyArn: OTHER_KEY_ARN })));
    expect(answer).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'firehose:orders', Data: { KeyArn: KEY_ARN } });
    expect([describes(), starts(), stops(), keyChecks()]).toEqual([1, 0, 0, 0]);
  });

  test('an Update to another stream that reads ENABLING_FAILED with the wanted key still Starts (nothing says which key is in force)', async () => {
    const payments = (encryption: Parameters<typeof described>[0]) => described(encryption, { DeliveryStreamName: 'payments' });
    reads(payments(enc.enablingFailed()), payments(enc.enablingFailed()), payments(enc.enabling()), payments(enc.enabled()));
    const answer = await h.run(updateEvent(properties({ DeliveryStreamName: 'payments' }), properties()));
    expect(answer).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'firehose:payments#prior=unknown' });
    expect(starts()).toBe(1);
  });

  test('a Create that reads ENABLING_FAILED with the wanted key still Starts', async () => {
    reads(described(enc.enablingFailed()), described(enc.enablingFailed()), described(enc.enabling()), described(enc.enabled()));
    const answer = await h.run(createEvent());
    // A failed reading tells nothing of the encryption before: the id records it unknown.
    expect(answer).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'firehose:orders#prior=unknown' });
    expect(starts()).toBe(1);
  });

  test('the same stream keeps the physical id CloudFormation knows', async () => {
    reads(described(enc.enabled(KEY_ARN)), described(enc.awsOwned()));
    const answer = await h.run(updateEvent(awsOwnedProperties(), properties(), 'legacy-id'));
    expect(answer).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'legacy-id' });
  });

  test('another stream name: reconcile the new stream as a Create, new physical id', async () => {
    const payments = described(enc.disabled(), { DeliveryStreamName: 'payments' });
    reads(payments, payments, described(enc.enabled(), { DeliveryStreamName: 'payments' }));
    const answer = await h.run(updateEvent(properties({ DeliveryStreamName: 'payments' }), properties()));
    expect(answer).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'firehose:payments#prior=none' });
    expect(firehose.commandCalls(DescribeDeliveryStreamCommand).map((call) => call.args[0].input.DeliveryStreamName)).toEqual(['payments', 'payments', 'payments']);
    expect(startInput().DeliveryStreamName).toBe('payments');
    expect(stops()).toBe(0);
  });

});

describe('Delete', () => {
  test('a Create that failed validation: SUCCESS with zero API calls', async () => {
    const answer = await h.run(deleteEvent(properties({ DeliveryStreamName: 'not a name' }), 'OrdersSse#not-started'));
    expect(answer).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'OrdersSse#not-started' });
    expect(awsCalls()).toBe(0);
  });

  test.each([
    ['DISABLED', enc.disabled()],
    ['not configured', null],
  ])('encryption %s: SUCCESS without Stop', async (_name, encryption) => {
    reads(described(encryption));
    expect((await h.run(deleteEvent())).Status).toBe('SUCCESS');
    expect([describes(), stops()]).toEqual([1, 0]);
  });

  test('ENABLED: Stop, wait for DISABLED, SUCCESS', async () => {
    reads(described(enc.enabled()), described(enc.disabling()), described(enc.disabled()));
    const answer = await h.run(deleteEvent());
    expect(answer).toMatchObject({
      Status: 'SUCCESS',
      PhysicalResourceId: 'firehose:orders',
      Data: { KeyType: '', KeyArn: '', EncryptionStatus: 'DISABLED' },
    });
    expect(firehose.commandCalls(StopDeliveryStreamEncryptionCommand)[0].args[0].input).toEqual({ DeliveryStreamName: 'orders' });
    expect([describes(), stops(), starts(), keyChecks()]).toEqual([3, 1, 0, 0]);
  });

  test.each([
    ['ENABLING_FAILED', enc.enablingFailed()],
    ['DISABLING_FAILED', enc.disablingFailed()],
  ])('%s: Stop, wait for DISABLED', async (_name, encryption) => {
    reads(described(encryption), described(enc.disabled()));
    expect((await h.run(deleteEvent())).Status).toBe('SUCCESS');
    expect(stops()).toBe(1);
  });

  test('ENABLING: wait until it settles, then Stop', async () => {
    reads(described(enc.enabling()), described(enc.enabling()), described(enc.enabled()), described(enc.disabled()));
    expect((await h.run(deleteEvent())).Status).toBe('SUCCESS');
    expect(names(firehose)).toEqual([
      'ListTagsForDeliveryStreamCommand',
      'DescribeDeliveryStreamCommand',
      'DescribeDeliveryStreamCommand',
      'DescribeDeliveryStreamCommand',
      'StopDeliveryStreamEncryptionCommand',
      'DescribeDeliveryStreamCommand',
    ]);
  });

  test('ENABLING that ends ENABLING_FAILED: Stop', async () => {
    reads(described(enc.enabling()), described(enc.enablingFailed()), described(enc.disabled()));
    expect((await h.run(deleteEvent())).Status).toBe('SUCCESS');
    expect(stops()).toBe(1);
  });

  test('DISABLING: wait for DISABLED, no Stop', async () => {
    reads(described(enc.disabling()), described(enc.disabling()), described(enc.disabled()));
    expect((await h.run(deleteEvent())).Status).toBe('SUCCESS');
    expect([describes(), stops()]).toEqual([3, 0]);
  });

  test('stream CREATING: wait for ACTIVE first', async () => {
    reads(described(enc.enabled(), { DeliveryStreamStatus: 'CREATING' }), described(enc.enabled()), described(enc.disabled()));
    expect((await h.run(deleteEvent())).Status).toBe('SUCCESS');
    expect([describes(), stops()]).toEqual([3, 1]);
  });

  test('stream DELETING: SUCCESS without Stop', async () => {
    reads(described(enc.enabled(), { DeliveryStreamStatus: 'DELETING' }));
    expect((await h.run(deleteEvent())).Status).toBe('SUCCESS');
    expect([describes(), stops()]).toEqual([1, 0]);
  });

  // Nothing can change a stream Firehose could not delete: its Stop was retried to the deadline before.
  test('stream DELETING_FAILED but still encrypted: FAILED at once, no Stop', async () => {
    reads(described(enc.enabled(), { DeliveryStreamStatus: 'DELETING_FAILED' }), described(enc.disabled(), { DeliveryStreamStatus: 'DELETING_FAILED' }));
    const answer = await h.run(deleteEvent());
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toMatch(/^STREAM_DELETING_FAILED: Delivery stream orders is DELETING_FAILED/);
    expect([describes(), stops()]).toEqual([1, 0]);
    expect(h.elapsed()).toBe(0);
  });

  test('DISABLING_FAILED after our Stop: FAILED with the FailureDescription', async () => {
    reads(described(enc.enabled()), described(enc.disabling()), described(enc.disablingFailed('The key is disabled')));
    const answer = await h.run(deleteEvent());
    expect(answer).toMatchObject({ Status: 'FAILED', PhysicalResourceId: 'firehose:orders' });
    expect(answer.Reason).toMatch(/^DISABLING_FAILED: .*DISABLED_KMS_KEY: The key is disabled/);
    expect(stops()).toBe(1);
  });

  test('after our Stop the old state lingers: keep waiting, never a second Stop', async () => {
    const old = described(enc.enabled());
    reads(old, old, old, described(enc.disabled()));
    expect((await h.run(deleteEvent())).Status).toBe('SUCCESS');
    expect(stops()).toBe(1);
  });

  test('stream deleted while waiting: SUCCESS', async () => {
    reads(described(enc.enabled()), described(enc.disabling()), new ResourceNotFoundException({ message: 'gone', ...CLIENT_ERROR_METADATA }));
    expect((await h.run(deleteEvent())).Status).toBe('SUCCESS');
  });

  test('Stop finds no stream: SUCCESS', async () => {
    reads(described(enc.enabled()));
    firehose.on(StopDeliveryStreamEncryptionCommand).rejects(new ResourceNotFoundException({ message: 'gone', ...CLIENT_ERROR_METADATA }));
    expect((await h.run(deleteEvent())).Status).toBe('SUCCESS');
    expect([describes(), stops()]).toEqual([1, 1]);
  });

  test('Stop over the daily limit: FAILED at once, physical id echoed', async () => {
    reads(described(enc.enabled()));
    firehose.on(StopDeliveryStreamEncryptionCommand).rejects(new LimitExceededException({ message: 'limit', ...CLIENT_ERROR_METADATA }));
    const answer = await h.run(deleteEvent(properties(), 'firehose:orders'));
    expect(answer).toMatchObject({ Status: 'FAILED', PhysicalResourceId: 'firehose:orders' });
    expect(answer.Reason).toMatch(/^CALL_LIMIT_EXCEEDED: Firehose refused StopDeliveryStreamEncryption on orders: limit exceeded/);
    expect(stops()).toBe(1);
  });

  test('Delete with invalid properties (not retained): FAILED, zero API calls', async () => {
    const answer = await h.run(deleteEvent(properties({ TimeoutSeconds: 'soon' })));
    expect(answer).toMatchObject({ Status: 'FAILED', PhysicalResourceId: 'firehose:orders' });
    expect(awsCalls()).toBe(0);
  });
});

describe('errors', () => {
  test('Start denied past the IAM propagation window: FAILED ACCESS_DENIED naming the action and the window, no Start taken', async () => {
    reads(described(enc.disabled()));
    firehose.on(StartDeliveryStreamEncryptionCommand).rejects(awsError('AccessDeniedException', 'not authorized'));
    const answer = await h.run(createEvent());
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toMatch(/^ACCESS_DENIED: The handler may not call StartDeliveryStreamEncryption on orders \(AccessDeniedException: not authorized\); denied for 6\d s, retried for up to 60 s while IAM propagates a new policy\./);
    expect(answer.PhysicalResourceId).toBe('firehose:orders#not-started');
    expect(starts()).toBeGreaterThan(2);
    expect(starts()).toBeLessThan(20);
    expect(h.elapsed()).toBeGreaterThanOrEqual(60_000);
    expect(h.elapsed()).toBeLessThan(80_000);
  });

  // Firehose creates its grant on the key with the caller's permissions and wraps KMS's denial in
  // InvalidKMSResourceException, code KMS.AccessDeniedException (Firehose API reference,
  // StartDeliveryStreamEncryption, Errors:
  // https://docs.aws.amazon.com/firehose/latest/APIReference/API_StartDeliveryStreamEncryption.html):
  // a denial like any other while IAM may still be propagating the handler's new policy.
  test('Start refused with a wrapped KMS AccessDenied, then accepted within the IAM propagation window: SUCCESS, one Start taken', async () => {
    reads(described(enc.disabled()), described(enc.disabled()), described(enc.disabled()), described(enc.disabled()), described(enc.enabled()));
    firehose.on(StartDeliveryStreamEncryptionCommand)
      .rejectsOnce(kmsResource('KMS.AccessDeniedException', 'not authorized to perform: kms:CreateGrant'))
      .rejectsOnce(kmsResource('KMS.AccessDeniedException', 'not authorized to perform: kms:CreateGrant'))
      .resolves({});
    const answer = await h.run(createEvent());
    expect(answer).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'firehose:orders#prior=none' });
    expect(starts()).toBe(3);
    // read again before each new Start (the first after the claim): the refused one was not taken
    expect(describes()).toBe(5);
    expect(h.records().filter((r) => r.action === 'retry').map((r) => [r.operation, r.errorClass])).toEqual([
      ['StartDeliveryStreamEncryption', 'denied'],
      ['StartDeliveryStreamEncryption', 'denied'],
    ]);
  });

  test('Start refused with a wrapped KMS AccessDenied past the IAM propagation window: FAILED SERVICE_KMS_ACCESS_DENIED naming the key, the error and the window', async () => {
    reads(described(enc.disabled()));
    firehose.on(StartDeliveryStreamEncryptionCommand).rejects(kmsResource('KMS.AccessDeniedException', 'not authorized to perform: kms:CreateGrant'));
    const answer = await h.run(createEvent());
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toMatch(new RegExp(
      '^SERVICE_KMS_ACCESS_DENIED: Firehose may not use KMS key arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab for orders with the handler\'s permissions '
      + '\\(InvalidKMSResourceException \\(KMS\\.AccessDeniedException\\): not authorized to perform: kms:CreateGrant\\); '
      + 'denied for 6\\d s, retried for up to 60 s while IAM propagates a new policy\\. Let the handler\'s role call kms:CreateGrant on the key through Firehose'));
    expect(Buffer.byteLength(JSON.stringify(answer))).toBeLessThan(4096);
    expect(answer.PhysicalResourceId).toBe('firehose:orders#not-started');
    expect(starts()).toBeGreaterThan(2);
    expect(starts()).toBeLessThan(20);
    expect(h.elapsed()).toBeGreaterThanOrEqual(60_000);
    expect(h.elapsed()).toBeLessThan(80_000);
  });

  test('Start refused with a wrapped KMS AccessDenied until the deadline: FAILED SERVICE_KMS_ACCESS_DENIED saying how long it was denied', async () => {
    reads(described(enc.disabled()));
    firehose.on(StartDeliveryStreamEncryptionCommand).rejects(kmsResource('KMS.AccessDeniedException', 'not authorized'));
    const answer = await h.run(createEvent(properties({ TimeoutSeconds: '20' })));
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toMatch(/^SERVICE_KMS_ACCESS_DENIED: .*denied for (19|20) s, retried for up to 60 s while IAM propagates a new policy\./);
    expect(answer.PhysicalResourceId).toBe('firehose:orders#not-started');
    expect(h.elapsed()).toBeLessThan(25_000);
  });

  test('Start denied, then allowed within the IAM propagation window: SUCCESS', async () => {
    reads(described(enc.disabled()), described(enc.disabled()), described(enc.disabled()), described(enc.disabled()), described(enc.enabled()));
    firehose.on(StartDeliveryStreamEncryptionCommand)
      .rejectsOnce(awsError('AccessDeniedException', 'not authorized'))
      .rejectsOnce(awsError('AccessDeniedException', 'not authorized'))
      .resolves({});
    const answer = await h.run(createEvent());
    expect(answer).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'firehose:orders#prior=none' });
    expect(starts()).toBe(3);
    expect(h.records().filter((r) => r.action === 'retry').map((r) => r.errorClass)).toEqual(['denied', 'denied']);
  });

  test.each([
    ['LimitExceededException', new LimitExceededException({ message: 'You have already reached the limit', ...CLIENT_ERROR_METADATA }), /^CALL_LIMIT_EXCEEDED: .*25 encryption changes \(Start or Stop\) in a rolling 24 hours/],
    ['InvalidArgumentException', new InvalidArgumentException({ message: 'Key is the same', ...CLIENT_ERROR_METADATA }), /^INVALID_ARGUMENT: .*\(InvalidArgumentException: Key is the same\)/],
    ['InvalidKMSResourceException naming no KMS error', new InvalidKMSResourceException({ message: 'the key cannot be used', ...CLIENT_ERROR_METADATA }), /^INVALID_KMS_RESOURCE: /],
    ['InvalidKMSResourceException (KMS.DisabledException)', kmsResource('KMS.DisabledException', 'key disabled'),
      /^SERVICE_KMS_DISABLED: Firehose cannot use KMS key arn:aws:kms:eu-west-1:123456789012:key\/1234abcd-12ab-34cd-56ef-1234567890ab for orders: the key is disabled \(InvalidKMSResourceException \(KMS\.DisabledException\): key disabled\)\. Enable the key/],
    ['InvalidKMSResourceException (KMS.NotFoundException)', kmsResource('KMS.NotFoundException', 'no such key'), /^SERVICE_KMS_NOT_FOUND: Firehose cannot find KMS key .* for orders/],
    ['InvalidKMSResourceException (KMS.InvalidStateException)', kmsResource('KMS.InvalidStateException', 'pending deletion'), /^SERVICE_KMS_INVALID_STATE: .*in its current state/],
    ['InvalidKMSResourceException (KMS.KMSInvalidStateException)', kmsResource('KMS.KMSInvalidStateException', 'pending deletion'), /^SERVICE_KMS_INVALID_STATE: /],
    ['InvalidKMSResourceException (KMS.OptInRequired)', kmsResource('KMS.OptInRequired', 'subscribe'), /^SERVICE_KMS_OPT_IN_REQUIRED: .*not subscribed to AWS KMS/],
    ['ResourceNotFoundException', new ResourceNotFoundException({ message: 'gone', ...CLIENT_ERROR_METADATA }), /^STREAM_DELETED: /],
  ])('Start fails with %s: FAILED at once, no retry', async (_name, error, reason) => {
    reads(described(enc.disabled()));
    firehose.on(StartDeliveryStreamEncryptionCommand).rejects(error);
    const answer = await h.run(createEvent());
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toMatch(reason);
    expect(answer.PhysicalResourceId).toBe('firehose:orders#not-started');
    // The first reading, and the one after the claim.
    expect([describes(), starts()]).toEqual([2, 1]);
  });

  test.each([
    ['a 500', awsError('InternalFailure', 'oops', 500)],
    ['ServiceUnavailableException', new ServiceUnavailableException({ message: 'down', $metadata: { httpStatusCode: 503 } })],
    ['a network error', networkError('ECONNRESET')],
  ])('Describe fails with %s: retry with backoff, then SUCCESS', async (_name, error) => {
    reads(error, error, error, described(enc.disabled()), described(enc.disabled()), error, described(enc.enabled()));
    expect((await h.run(createEvent())).Status).toBe('SUCCESS');
    expect([describes(), starts()]).toEqual([7, 1]);
    const retries = h.records().filter((r) => r.action === 'retry');
    expect(retries).toHaveLength(4);
    // The error backoff grows while errors repeat and eases after calls go through.
    expect(retries.map((r) => r.delayMs)).toEqual([300, 550, 1050, 300]);
  });

  test.each([
    ['ThrottlingException', awsError('ThrottlingException', 'Rate exceeded')],
    ['LimitExceededException (Describe rate limit)', new LimitExceededException({ message: 'Rate exceeded', ...CLIENT_ERROR_METADATA })],
  ])('Describe fails with %s: retry at a pace halved by each throttle and kept afterwards, then SUCCESS', async (_name, error) => {
    reads(error, error, error, described(enc.disabled()), described(enc.disabled()), error, described(enc.enabled()));
    expect((await h.run(createEvent())).Status).toBe('SUCCESS');
    expect([describes(), starts()]).toEqual([7, 1]);
    const delays = h.records().filter((r) => r.action === 'retry').map((r) => r.delayMs as number);
    // The account's Describe rate is shared with every other caller: each throttle doubles this
    // request's spacing of Describe calls (the fake clock's jitter is 0.5, so each delay is the spacing).
    expect(delays.slice(0, 3).map((ms) => Math.round(ms / 100) * 100)).toEqual([200, 400, 800]);
    // Two calls that went through quicken the pace only a little: the throttle after them waits longer still.
    expect(delays[3]).toBeGreaterThan(800);
  });

  test('Start fails with ResourceInUseException and had no effect: Describe, then Start again', async () => {
    firehose.on(StartDeliveryStreamEncryptionCommand)
      .rejectsOnce(new ResourceInUseException({ message: 'busy', ...CLIENT_ERROR_METADATA }))
      .resolves({});
    reads(described(enc.disabled()), described(enc.disabled()), described(enc.disabled()), described(enc.enabled()));
    expect((await h.run(createEvent())).Status).toBe('SUCCESS');
    // The claim (written, read back, then the stream read again) goes before the first Start only.
    expect(names(firehose)).toEqual([
      ...FIREHOSE_CLAIM,
      'StartDeliveryStreamEncryptionCommand',
      'DescribeDeliveryStreamCommand',
      'StartDeliveryStreamEncryptionCommand',
      'DescribeDeliveryStreamCommand',
      'UntagDeliveryStreamCommand', // this copy's claim tag, removed once the answer is sent
    ]);
  });

  test('Start fails transiently but took effect: Describe shows it, no second Start', async () => {
    firehose.on(StartDeliveryStreamEncryptionCommand).rejects(networkError('ETIMEDOUT'));
    reads(described(enc.disabled()), described(enc.disabled()), described(enc.enabling()), described(enc.enabled()));
    expect((await h.run(createEvent())).Status).toBe('SUCCESS');
    expect(starts()).toBe(1);
  });

  test('a Start lost to a transient error counts as started for the physical id', async () => {
    firehose.on(StartDeliveryStreamEncryptionCommand).rejects(awsError('InternalFailure', 'oops', 500));
    reads(described(enc.disabled()), described(enc.disabled()), described(enc.enablingFailed()));
    const answer = await h.run(createEvent());
    expect(answer).toMatchObject({ Status: 'FAILED', PhysicalResourceId: 'firehose:orders#prior=none' });
  });

  test('Stop fails with ResourceInUseException: Describe, then Stop again', async () => {
    firehose.on(StopDeliveryStreamEncryptionCommand)
      .rejectsOnce(new ResourceInUseException({ message: 'busy', ...CLIENT_ERROR_METADATA }))
      .resolves({});
    reads(described(enc.enabled()), described(enc.enabled()), described(enc.disabled()));
    expect((await h.run(deleteEvent())).Status).toBe('SUCCESS');
    expect([describes(), stops()]).toEqual([3, 2]);
  });

  test('an unknown error: FAILED with name: message, no retry, no raw response', async () => {
    reads(awsError('WeirdException', 'Something odd happened'));
    const answer = await h.run(createEvent());
    expect(answer.Reason).toMatch(/^UNEXPECTED_ERROR: Unexpected error in DescribeDeliveryStream: WeirdException: Something odd happened\./);
    expect(h.answers[0].raw).not.toMatch(/REQUEST-ID|RAW-RESPONSE|\$metadata|httpStatusCode/);
    expect(describes()).toBe(1);
  });

  test('Describe access denied: FAILED ACCESS_DENIED', async () => {
    reads(awsError('AccessDeniedException', 'not authorized to perform firehose:DescribeDeliveryStream'));
    expect((await h.run(createEvent())).Reason).toMatch(/^ACCESS_DENIED: The handler may not call DescribeDeliveryStream on orders/);
  });

  test('a Describe without a description: FAILED, not taken for a missing stream', async () => {
    reads({} as DescribeDeliveryStreamOutput);
    const deleted = await h.run(deleteEvent());
    expect(deleted.Status).toBe('FAILED');
    expect(deleted.Reason).toMatch(/^UNEXPECTED_ERROR: .*no DeliveryStreamDescription/);
  });
});

describe('deadline', () => {
  test('still ENABLING at the deadline: FAILED with the last status, answered on time', async () => {
    reads(described(enc.enabling()));
    const answer = await h.run(createEvent(properties({ TimeoutSeconds: '60' })));
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toMatch(new RegExp(
      `^TIMED_OUT: Delivery stream orders is still ENABLING after 60 s; last status: stream ACTIVE, encryption ENABLING with CUSTOMER_MANAGED_CMK ${KEY_ARN}\\.`,
    ));
    expect(answer.PhysicalResourceId).toBe('firehose:orders#not-started');
    expect(h.elapsed()).toBe(60_000);
    expect(describes()).toBeGreaterThan(50);
  });

  test('after our Start the stream never changes: FAILED still DISABLED, started', async () => {
    reads(described(enc.disabled()));
    const answer = await h.run(createEvent(properties({ TimeoutSeconds: '30' })));
    expect(answer.Reason).toMatch(/^TIMED_OUT: Delivery stream orders is still DISABLED after 30 s/);
    expect(answer.PhysicalResourceId).toBe('firehose:orders#prior=none');
    expect(starts()).toBe(1);
  });

  test('throttled until the deadline: FAILED THROTTLED with the last error', async () => {
    reads(awsError('ThrottlingException', 'Rate exceeded'));
    const answer = await h.run(createEvent(properties({ TimeoutSeconds: '120' })));
    expect(answer.Reason).toMatch(
      /^THROTTLED: DescribeDeliveryStream for orders was throttled until the deadline \(120 s; ThrottlingException: Rate exceeded\)/,
    );
    expect(h.elapsed()).toBe(120_000);
    // The pace halves with each throttle, towards one Describe in 10 s (the fair share of 10 a second among
    // 100 requests), each second of waiting adding a little back.
    expect(Math.max(...h.clock.sleeps)).toBeGreaterThan(3_000);
    expect(Math.max(...h.clock.sleeps)).toBeLessThanOrEqual(PACING.maxIntervalMs);
  });

  test('5xx until the deadline: FAILED TIMED_OUT naming the last error', async () => {
    reads(described(enc.disabled()), awsError('InternalFailure', 'oops', 500));
    firehose.on(StartDeliveryStreamEncryptionCommand).resolves({});
    const answer = await h.run(createEvent(properties({ TimeoutSeconds: '60' })));
    expect(answer.Reason).toMatch(/^TIMED_OUT: .*still DISABLED after 60 s; last status: stream ACTIVE, encryption DISABLED; last error InternalFailure: oops from DescribeDeliveryStream/);
  });

  test('Delete stuck in DISABLING: FAILED at the deadline', async () => {
    reads(described(enc.disabling()));
    const answer = await h.run(deleteEvent(properties({ TimeoutSeconds: '10' })));
    expect(answer).toMatchObject({ Status: 'FAILED', PhysicalResourceId: 'firehose:orders' });
    expect(answer.Reason).toMatch(/still DISABLING after 10 s/);
  });
});

describe('the answer', () => {
  test('stays within 4 KiB with a huge reason, which is cut with an ellipsis', async () => {
    reads(described(enc.disabled()), described(enc.disabled()), described(enc.enablingFailed(`Details ${'é'.repeat(20_000)} end`)));
    const answer = await h.run(createEvent());
    expect(Buffer.byteLength(h.answers[0].raw, 'utf8')).toBeLessThanOrEqual(MAX_RESPONSE_BYTES);
    expect(Buffer.byteLength(h.answers[0].raw, 'utf8')).toBeGreaterThan(MAX_RESPONSE_BYTES - 8);
    expect(answer.Reason).toMatch(/^ENABLING_FAILED: .*é…/);
    expect(answer.Reason.endsWith(`… See CloudWatch log stream ${LOG_STREAM}`)).toBe(true);
    expect(answer).toMatchObject({ Status: 'FAILED', PhysicalResourceId: 'firehose:orders#prior=none', StackId: STACK_ID, LogicalResourceId: 'OrdersSse' });
  });

  test('a FAILED reason names the function\'s log group, as Lambda sets AWS_LAMBDA_LOG_GROUP_NAME', async () => {
    reads(described(enc.disabled(), { DeliveryStreamType: 'KinesisStreamAsSource' }));
    const group = '/cdk-stream-encryption/app/0f0e0d0c';
    await handleEvent(createEvent(), lambdaContext(), { ...h.deps, logGroupName: group });
    const answer = h.answers[h.answers.length - 1].body;
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toMatch(/^NOT_DIRECT_PUT: /);
    expect(answer.Reason.endsWith(` See CloudWatch log group ${group}, log stream ${LOG_STREAM}`)).toBe(true);
  });

  test('without the variable, the context\'s log group is named', async () => {
    reads(described(enc.disabled(), { DeliveryStreamType: 'KinesisStreamAsSource' }));
    const answer = await h.run(createEvent(), { ...lambdaContext(), logGroupName: '/aws/lambda/handler' });
    expect(answer.Reason.endsWith(' See CloudWatch log group /aws/lambda/handler, log stream ' + LOG_STREAM)).toBe(true);
  });

});

describe('malformed requests', () => {
  const without = (name: string): Record<string, string> => {
    const props = properties();
    delete props[name];
    return props;
  };

  test.each<[string, Record<string, unknown>, RegExp, string]>([
    ['missing DeliveryStreamName', without('DeliveryStreamName'), /^INVALID_PROPERTY: Resource property DeliveryStreamName is missing\./, 'OrdersSse#not-started'],
    ['stream name not matching the pattern', properties({ DeliveryStreamName: 'orders/prod' }), /^INVALID_PROPERTY: Resource property DeliveryStreamName must be the stream's name \(1 to 64 of .*; not its ARN\), not 'orders\/prod'\. Let the /, 'OrdersSse#not-started'],
    ['numeric TimeoutSeconds', { ...properties(), TimeoutSeconds: 600 }, /^INVALID_PROPERTY: Resource property TimeoutSeconds must be a string, got number\./, 'firehose:orders#not-started'],
    ['bad KeyType', { ...properties(), KeyType: 'KMS' }, /^INVALID_PROPERTY: Resource property KeyType must be CUSTOMER_MANAGED_CMK or AWS_OWNED_CMK, not 'KMS'\./, 'firehose:orders#not-started'],
    ['KeyArn missing with CUSTOMER_MANAGED_CMK', without('KeyArn'), /^INVALID_PROPERTY: Resource property KeyArn is missing: KeyType CUSTOMER_MANAGED_CMK needs the key's ARN \(or use KeyType AWS_OWNED_CMK\)\. /, 'firehose:orders#not-started'],
    ['KeyArn present with AWS_OWNED_CMK', { ...properties(), KeyType: 'AWS_OWNED_CMK' }, /^INVALID_PROPERTY: Resource property KeyArn must be empty with KeyType AWS_OWNED_CMK, not 'arn:aws:kms:.*'\. /, 'firehose:orders#not-started'],
    ['KeyArn not an ARN', properties({ KeyArn: 'mrk-1234' }), /^INVALID_PROPERTY: Resource property KeyArn must be a KMS key or alias ARN \(key\.keyArn\), not its id or alias name: 'mrk-1234'\. /, 'firehose:orders#not-started'],
    [
      'KeyArn of another partition than the stack',
      properties({ KeyArn: 'arn:aws-cn:kms:cn-north-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab' }),
      /^ARN_OTHER_PARTITION: KeyArn 'arn:aws-cn:kms:cn-north-1:.*' is in partition aws-cn, but the stack is in aws\./,
      'firehose:orders#not-started',
    ],
    ['TimeoutSeconds 0', properties({ TimeoutSeconds: '0' }), /^INVALID_PROPERTY: Resource property TimeoutSeconds must be a whole number from 1 to 840, not '0'/, 'firehose:orders#not-started'],
    ['TimeoutSeconds 900', properties({ TimeoutSeconds: '900' }), /^INVALID_PROPERTY: Resource property TimeoutSeconds .* not '900'/, 'firehose:orders#not-started'],
    ['SettleSeconds 61', properties({ SettleSeconds: '61' }), /^INVALID_PROPERTY: Resource property SettleSeconds must be a whole number from 0 to 60, not '61'/, 'firehose:orders#not-started'],
    ['RemovalPolicy Retain', { ...properties(), RemovalPolicy: 'Retain' }, /^INVALID_PROPERTY: Resource property RemovalPolicy must be destroy or retain, not 'Retain'/, 'firehose:orders#not-started'],
    ['StreamKind kinesis', { ...properties(), StreamKind: 'kinesis' }, /^INVALID_PROPERTY: Resource property StreamKind must be firehose, not 'kinesis'/, 'firehose:orders#not-started'],
  ])('Create with %s: FAILED with zero API calls', async (_name, props, reason, physicalId) => {
    const answer = await h.run(createEvent(props));
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toMatch(reason);
    expect(answer.PhysicalResourceId).toBe(physicalId);
    expect(awsCalls()).toBe(0);
  });

  test('an unknown RequestType: FAILED with zero API calls', async () => {
    const answer = await h.run({ ...createEvent(), RequestType: 'Replace' } as never);
    expect(answer).toMatchObject({ Status: 'FAILED', PhysicalResourceId: 'firehose:orders#not-started' });
    expect(answer.Reason).toMatch(/^INVALID_REQUEST_TYPE: Request type 'Replace' is not Create, Update or Delete\./);
    expect(awsCalls()).toBe(0);
  });

  test('an event without a ResponseURL is logged and not answered', async () => {
    const event = { ...createEvent(properties({ TimeoutSeconds: 'x' })), ResponseURL: undefined } as never;
    await expect(h.run(event)).rejects.toThrow('expected exactly one answer, got 0');
    expect(h.records().some((r) => r.action === 'respond' && r.level === 'error')).toBe(true);
  });

  test('a sender that throws is logged, never rethrown', async () => {
    reads(described(enc.enabled()));
    const deps = { ...h.deps, sendResponse: async () => Promise.reject(new Error('sender broke')) };
    await expect(handleEvent(createEvent(), lambdaContext(), deps)).resolves.toBeUndefined();
    expect(h.records().some((r) => r.action === 'respond' && r.error === 'Error: sender broke')).toBe(true);
  });

  test('a context that cannot tell the remaining time falls back to the Lambda maximum', async () => {
    reads(described(enc.enabled()));
    const context = { getRemainingTimeInMillis: (): number => { throw new Error('no'); } };
    await h.run(createEvent(), context);
    expect(h.answers[0].deadline - h.answers[0].sentAt).toBe(900_000 - 1_000);
  });
});

describe('logs', () => {
  let consoleLines: string[];
  beforeEach(() => {
    consoleLines = [];
    const capture = (...args: unknown[]): void => {
      consoleLines.push(args.map(String).join(' '));
    };
    for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
      jest.spyOn(console, method).mockImplementation(capture);
    }
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      consoleLines.push(String(chunk));
      return true;
    });
    jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      consoleLines.push(String(chunk));
      return true;
    });
  });
  afterEach(() => jest.restoreAllMocks());

  test('no log line ever contains the ResponseURL or any part of its path or query', async () => {
    const url = new URL(RESPONSE_URL);
    const scenarios: Array<() => Promise<unknown>> = [
      async () => {
        reads(described(enc.disabled()), described(enc.disabled()), described(enc.enabling()), described(enc.enabled()));
        return h.run(createEvent());
      },
      async () => {
        reads(awsError('ThrottlingException', 'Rate exceeded'), described(enc.enabled()));
        return h.run(deleteEvent());
      },
      async () => {
        reads(described(enc.disabled()));
        firehose.on(StartDeliveryStreamEncryptionCommand).rejects(new InvalidArgumentException({ message: 'bad', ...CLIENT_ERROR_METADATA }));
        return h.run(createEvent());
      },
      async () => {
        // An error whose message quotes the URL: redacted in logs and in the reason.
        reads(awsError('WeirdException', `could not reach ${RESPONSE_URL}`));
        const answer = await h.run(createEvent());
        expect(answer.Reason).not.toContain(url.search);
        expect(answer.Reason).toContain('[redacted]');
        return answer;
      },
      async () => h.run(createEvent(properties({ KeyArn: 'nope' }))),
      async () => h.run(updateEvent(properties({ SettleSeconds: '1' }), properties())),
      async () => h.run({ ...createEvent(), RequestType: 'Nope' } as never),
      async () => {
        reads(described(enc.enabling()));
        return h.run(createEvent(properties({ TimeoutSeconds: '5' })));
      },
      async () => {
        // The production handler, whose sender refuses a non-https URL.
        reads(described(enc.enabled()));
        const event = { ...createEvent(), ResponseURL: RESPONSE_URL.replace('https:', 'http:') } as never;
        await handler(event, { ...lambdaContext(), awsRequestId: 'x' } as never);
      },
    ];
    for (const scenario of scenarios) {
      await scenario();
    }
    const everything = [...h.lines, ...consoleLines];
    expect(h.lines.length).toBeGreaterThan(30);
    expect(consoleLines.length).toBeGreaterThan(0);
    for (const line of everything) {
      expect(line).not.toContain(RESPONSE_URL);
      expect(line).not.toContain(url.search.slice(1));
      expect(line).not.toContain(url.pathname);
      expect(line).not.toContain('X-Amz-Signature');
    }
  });

  test('every line is one JSON object with the request context', async () => {
    reads(described(enc.disabled()), described(enc.disabled()), described(enc.enabled()));
    await h.run(createEvent());
    const records = h.records();
    // The claim (owner), the reading after it (decide), the Start.
    // After the answer, this copy's claim tag is removed (owner).
    expect(records.map((r) => r.action)).toEqual(['received', 'deadline', 'verify-key', 'decide', 'owner', 'decide', 'start', 'decide', 'settle', 'answer', 'owner']);
    for (const record of records) {
      expect(record).toMatchObject({ level: expect.any(String), requestId: '6f6d0c1e-7f00-4a5b-9a5e-000000000001', requestType: 'Create', stream: 'orders' });
      expect(typeof record.elapsedMs).toBe('number');
    }
    expect(records[0]).toMatchObject({ logicalResourceId: 'OrdersSse', properties: { DeliveryStreamName: 'orders', KeyArn: KEY_ARN } });
    expect(JSON.stringify(records[0])).not.toContain('ServiceToken');
  });
});

describe('handler', () => {
  beforeEach(() => {
    jest.spyOn(console, 'log').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  test('never rejects, whatever the event', async () => {
    await expect(handler(null as never, lambdaContext() as never)).resolves.toBeUndefined();
    await expect(handler({} as never, lambdaContext() as never)).resolves.toBeUndefined();
    await expect(handler('garbage' as never, lambdaContext() as never)).resolves.toBeUndefined();
    expect(awsCalls()).toBe(0);
  });
});
