/**
 * Create of a `Custom::DataStreamEncryption`, as CloudFormation sends it, against the local
 * cloud's Kinesis: the real handler bundle reads the data stream, checks the key, calls
 * StartStreamEncryption only when needed, waits for ACTIVE with the key and answers at the
 * response URL. Every scenario has a data stream (and key) of its own, so they run at once.
 */
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import { expectAnsweredInTime, expectCleanLog, FAST, Harness, KINESIS_UNTHROTTLED, logLines, ONE_SECOND_CHANGES, preparedStack, useHarness, waitFor } from './harness';
import { aliasArn, AT_ONCE_MS, changedAt, dataStreamArn, dataStreamAtAnswer, dataStreamNow, dataStreamResourceFor, encryptDataStreams, kinesisCallsOn, SLACK_MS } from './kinesis-harness';
import { LocalCloudStack } from '../../tools/local-cloud/cfn';

/** The data streams of this file, each encrypted by a construct of its own. */
const STREAMS = [
  'k-fresh', 'k-same-key', 'k-alias-arn', 'k-alias-name', 'k-other-alias', 'k-managed', 'k-creating', 'k-updating',
  'k-preflight-disabled', 'k-preflight-missing', 'k-preflight-pending',
  'k-start-disabled', 'k-start-missing', 'k-start-pending', 'k-start-denied', 'k-start-opt-in',
  'k-throttled', 'k-start-retried', 'k-throttled-out', 'k-missing', 'k-deleting', 'k-not-applied', 'k-timeout',
];

let h: Harness;
let stack: LocalCloudStack;
useHarness({ throttle: KINESIS_UNTHROTTLED, kinesisDelays: ONE_SECOND_CHANGES.kinesisDelays }, (started) => {
  h = started;
  stack = preparedStack(h, 'KinesisCreateScenarios', (s) => encryptDataStreams(s, STREAMS, (name) => ({
    encryption: name === 'k-managed' ? kinesis.StreamEncryption.MANAGED : undefined,
  })));
});

// The long waits first, so that the short scenarios run beside them.
test.concurrent('timeout reached: still UPDATING after the resource timeout, FAILED DATA_STREAM_TIMED_OUT with the last status', async () => {
  const { handle, keyId } = dataStreamResourceFor(stack, 'k-timeout');
  h.cloud.control.setDataStreamDelays('k-timeout', { updatingMs: 120_000 });
  h.cloud.control.createDataStream({ name: 'k-timeout' });

  const r = await handle.create({ properties: { TimeoutSeconds: '6', ServiceTimeout: '66' } });

  expect(r).toMatchObject({ status: 'FAILED', reasonId: 'DATA_STREAM_TIMED_OUT', physicalResourceId: 'kinesis:k-timeout#prior=none' });
  expect(r.reason).toContain(`Kinesis data stream k-timeout is still UPDATING after 6 s; last status: stream UPDATING, encryption KMS with ${keyId}`);
  expect(r.data).toEqual({ StreamName: '', StreamArn: '', EncryptionType: 'KMS', KeyId: keyId, StreamStatus: 'UPDATING' });
  expect(r.answeredAtMs!).toBeGreaterThanOrEqual(6_000);
  expect(r.answeredAtMs!).toBeLessThan(6_000 + SLACK_MS);
  expect(dataStreamNow(h.cloud, 'k-timeout')).toMatchObject({ status: 'UPDATING', pending: 'UPDATING', encryptionType: 'KMS', keyId, applied: { EncryptionType: 'NONE' } });
  const calls = kinesisCallsOn(h.cloud, 'k-timeout');
  expect(calls).toMatchObject({ start: 1, startCalls: 1, stopCalls: 0 });
  expect(calls.describe).toBeGreaterThanOrEqual(6); // polled at least once a second
  expectAnsweredInTime(r);
  expectCleanLog(r);
}, 30_000);

test.concurrent('fresh enable with a new key: NONE → one Start → ACTIVE with the key, answered within a second of ACTIVE plus the settle time', async () => {
  const { handle, keyId } = dataStreamResourceFor(stack, 'k-fresh');
  h.cloud.control.createDataStream({ name: 'k-fresh' });

  const r = await handle.create();

  expect(r.event.ResourceType).toBe('Custom::DataStreamEncryption');
  expect(r.event.ResourceProperties).toMatchObject({ StreamKind: 'kinesis', StreamName: 'k-fresh', StreamArn: dataStreamArn('k-fresh'), KeyId: keyId, SettleSeconds: '5' });
  expect(r).toMatchObject({ status: 'SUCCESS', physicalResourceId: 'kinesis:k-fresh#prior=none', streamName: 'k-fresh', streamKind: 'kinesis' });
  expect(r.data).toEqual({ StreamName: 'k-fresh', StreamArn: dataStreamArn('k-fresh'), EncryptionType: 'KMS', KeyId: keyId, StreamStatus: 'ACTIVE' });
  expect(dataStreamAtAnswer(r)).toMatchObject({ status: 'ACTIVE', encryptionType: 'KMS', keyId, applied: { EncryptionType: 'KMS', KeyId: keyId } });
  expect(kinesisCallsOn(h.cloud, 'k-fresh')).toMatchObject({ start: 1, startCalls: 1, stopCalls: 0 });
  expect(h.cloud.control.calls('DescribeKey', keyId)).toMatchObject({ total: 1, accepted: 1 });
  // the key created by the construct, with its alias
  expect(h.cloud.control.state().kms.keys.find((k) => k.KeyMetadata.Arn === keyId)?.Aliases).toEqual(['alias/kinesis-sse/k-fresh']);
  // the settle time (5 s, the construct's default) after ACTIVE with the key, then the answer within about a second
  const answeredAt = r.startedAt + r.answeredAtMs!;
  const activeAt = changedAt(h.cloud, 'k-fresh', 'StartStreamEncryption');
  expect(answeredAt - activeAt).toBeGreaterThanOrEqual(5_000);
  expect(answeredAt - activeAt).toBeLessThan(5_000 + SLACK_MS);
  expect(logLines(r, 'settle')).toHaveLength(1);
  expectAnsweredInTime(r);
  expectCleanLog(r);
}, 30_000);

test.concurrent('already encrypted with the same key: SUCCESS after one read, no Start, no key check, no settle', async () => {
  const { handle, keyId } = dataStreamResourceFor(stack, 'k-same-key');
  h.cloud.control.createDataStream({ name: 'k-same-key', encryption: { keyId } });

  const r = await handle.create();

  expect(r).toMatchObject({ status: 'SUCCESS', physicalResourceId: `kinesis:k-same-key#prior=${keyId}`, data: { EncryptionType: 'KMS', KeyId: keyId } });
  expect(kinesisCallsOn(h.cloud, 'k-same-key')).toMatchObject({ startCalls: 0, stopCalls: 0, describe: 1 });
  expect(h.cloud.control.calls('DescribeKey', keyId).total).toBe(0);
  expect(logLines(r, 'settle')).toHaveLength(0);
  expect(dataStreamNow(h.cloud, 'k-same-key')).toMatchObject({ status: 'ACTIVE', encryptionType: 'KMS', keyId });
  expect(r.answeredAtMs!).toBeLessThan(AT_ONCE_MS);
  expectAnsweredInTime(r);
  expectCleanLog(r);
}, 30_000);

test.concurrent.each([
  { form: 'alias ARN', stream: 'k-alias-arn', shown: (alias: string) => aliasArn(alias) },
  { form: 'alias name', stream: 'k-alias-name', shown: (alias: string) => alias },
])('already encrypted with the key given as its $form: DescribeKey resolves it to the wanted key, no Start', async ({ stream, shown }) => {
  const { handle, keyId } = dataStreamResourceFor(stack, stream);
  const byAlias = shown(`alias/kinesis-sse/${stream}`);
  h.cloud.control.createDataStream({ name: stream, encryption: { keyId: byAlias } });

  const r = await handle.create();

  expect(r).toMatchObject({ status: 'SUCCESS', physicalResourceId: `kinesis:${stream}#prior=${byAlias}`, data: { EncryptionType: 'KMS', KeyId: keyId, StreamStatus: 'ACTIVE' } });
  expect(kinesisCallsOn(h.cloud, stream)).toMatchObject({ startCalls: 0, stopCalls: 0, describe: 1 });
  expect(h.cloud.control.calls('DescribeKey', byAlias)).toMatchObject({ total: 1, accepted: 1 });
  expect(logLines(r, 'resolve-key')).toEqual([expect.objectContaining({ key: byAlias, resolvedKey: keyId })]);
  // the stream keeps the key as it was given
  expect(dataStreamNow(h.cloud, stream)).toMatchObject({ status: 'ACTIVE', encryptionType: 'KMS', keyId: byAlias, applied: { KeyId: byAlias } });
  expect(r.answeredAtMs!).toBeLessThan(AT_ONCE_MS);
  expectAnsweredInTime(r);
  expectCleanLog(r);
}, 30_000);

test.concurrent('encrypted through the alias of another key: resolved, not the wanted key, one Start', async () => {
  const { handle, keyId } = dataStreamResourceFor(stack, 'k-other-alias');
  h.cloud.control.registerKey({ arn: 'arn:aws:kms:us-east-1:123456789012:key/0the4a11-0000-4000-8000-000000000001', aliases: ['alias/someone-elses'] });
  h.cloud.control.createDataStream({ name: 'k-other-alias', encryption: { keyId: 'alias/someone-elses' } });

  // Resolving the other key needs kms:DescribeKey on it, which the handler's policy does not grant:
  // run with the cloud's default credentials (a role allowed to describe any key).
  const r = await handle.create({ properties: FAST, iam: false });

  expect(r).toMatchObject({ status: 'SUCCESS', physicalResourceId: 'kinesis:k-other-alias#prior=alias/someone-elses', data: { KeyId: keyId } });
  expect(dataStreamNow(h.cloud, 'k-other-alias')).toMatchObject({ status: 'ACTIVE', encryptionType: 'KMS', keyId, applied: { KeyId: keyId } });
  expect(kinesisCallsOn(h.cloud, 'k-other-alias')).toMatchObject({ start: 1, startCalls: 1, stopCalls: 0 });
  expect(h.cloud.control.calls('DescribeKey', 'alias/someone-elses').accepted).toBe(1);
  expect(h.cloud.control.calls('DescribeKey', keyId).accepted).toBe(1);
  expectAnsweredInTime(r);
}, 30_000);

test.concurrent('KINESIS_MANAGED: one Start with alias/aws/kinesis, no key check', async () => {
  const { handle, keyId } = dataStreamResourceFor(stack, 'k-managed');
  expect(keyId).toBe('alias/aws/kinesis');
  h.cloud.control.createDataStream({ name: 'k-managed' });

  const r = await handle.create({ properties: FAST });

  expect(r).toMatchObject({ status: 'SUCCESS', physicalResourceId: 'kinesis:k-managed#prior=none', data: { EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' } });
  expect(dataStreamNow(h.cloud, 'k-managed')).toMatchObject({ status: 'ACTIVE', encryptionType: 'KMS', keyId: 'alias/aws/kinesis' });
  expect(kinesisCallsOn(h.cloud, 'k-managed')).toMatchObject({ start: 1, startCalls: 1 });
  expect(logLines(r, 'verify-key')).toHaveLength(0);
  expect(h.cloud.control.calls('DescribeKey', 'alias/aws/kinesis').total).toBe(0);
  expectAnsweredInTime(r);
}, 30_000);

test.concurrent('stream CREATING for 4 s: waits for ACTIVE, then one Start', async () => {
  const { handle, keyId } = dataStreamResourceFor(stack, 'k-creating');
  h.cloud.control.setDataStreamDelays('k-creating', { creatingMs: 4_000 });
  h.cloud.control.createDataStream({ name: 'k-creating', status: 'CREATING' });

  const r = await handle.create({ properties: { SettleSeconds: '1' } });

  expect(r).toMatchObject({ status: 'SUCCESS', physicalResourceId: 'kinesis:k-creating#prior=none' });
  expect(r.answeredAtMs!).toBeGreaterThanOrEqual(4_000 + 1_000 + 1_000); // ACTIVE, UPDATING, settle
  expect(r.answeredAtMs!).toBeLessThan(4_000 + 1_000 + 1_000 + 3_000);
  expect(dataStreamNow(h.cloud, 'k-creating')).toMatchObject({ status: 'ACTIVE', encryptionType: 'KMS', keyId });
  const calls = kinesisCallsOn(h.cloud, 'k-creating');
  expect(calls).toMatchObject({ start: 1, startCalls: 1, stopCalls: 0 });
  expect(calls.describe).toBeGreaterThanOrEqual(4); // at least once a second while CREATING
  expect(logLines(r, 'decide').filter((l) => l.status === 'stream CREATING, encryption NONE').length).toBeGreaterThanOrEqual(4);
  expectAnsweredInTime(r);
  expectCleanLog(r);
}, 30_000);

test.concurrent('stream UPDATING for 3 s (someone else\'s change): no Start until it is ACTIVE, then one Start', async () => {
  const { handle, keyId } = dataStreamResourceFor(stack, 'k-updating');
  h.cloud.control.setDataStreamDelays('k-updating', { updatingMs: 3_000 });
  h.cloud.control.createDataStream({ name: 'k-updating', status: 'UPDATING' });
  const activeAt = h.cloud.control.dataStream('k-updating')!.pendingChange!.completesAt;

  const r = await handle.create({ properties: FAST });

  // UPDATING may be a change by another copy of this same request: the state before it is unknown
  expect(r).toMatchObject({ status: 'SUCCESS', physicalResourceId: 'kinesis:k-updating#prior=unknown' });
  const start = h.cloud.control.callLog().filter((c) => c.operation === 'kinesis:StartStreamEncryption' && c.resource === 'k-updating');
  expect(start).toHaveLength(1);
  expect(start[0].outcome).toBe('accepted');
  expect(start[0].at).toBeGreaterThanOrEqual(activeAt);
  expect(start[0].at - activeAt).toBeLessThan(SLACK_MS); // within a poll of ACTIVE
  expect(dataStreamNow(h.cloud, 'k-updating')).toMatchObject({ status: 'ACTIVE', encryptionType: 'KMS', keyId, applied: { KeyId: keyId } });
  const calls = kinesisCallsOn(h.cloud, 'k-updating');
  expect(calls).toMatchObject({ start: 1, startCalls: 1, stopCalls: 0 });
  expect(logLines(r, 'decide').filter((l) => l.status === 'stream UPDATING, encryption NONE').length).toBeGreaterThanOrEqual(3);
  expectAnsweredInTime(r);
  expectCleanLog(r);
}, 30_000);

test.concurrent.each([
  { cause: 'disabled', stream: 'k-preflight-disabled', arrange: 'Disabled', reasonId: 'KEY_NOT_ENABLED', text: 'is Disabled, not Enabled' },
  { cause: 'missing', stream: 'k-preflight-missing', arrange: 'missing', reasonId: 'KEY_NOT_FOUND', text: 'was not found' },
  { cause: 'pending deletion', stream: 'k-preflight-pending', arrange: 'PendingDeletion', reasonId: 'KEY_NOT_ENABLED', text: 'is PendingDeletion, not Enabled' },
])('KMS pre-flight: key $cause, FAILED $reasonId before any Start', async ({ stream, arrange, reasonId, text }) => {
  const { handle, keyId } = dataStreamResourceFor(stack, stream);
  h.cloud.control.createDataStream({ name: stream });
  if (arrange === 'missing') {
    // gone: registered pending deletion with a deletion date already past
    h.cloud.control.registerKey({ arn: keyId, keyState: 'PendingDeletion', deletionDate: Date.now() - 1 });
    expect(h.cloud.control.key(keyId)).toBeUndefined();
  } else {
    h.cloud.control.setKeyState(keyId, arrange as 'Disabled');
  }

  const r = await handle.create();

  expect(r).toMatchObject({ status: 'FAILED', reasonId, physicalResourceId: `kinesis:${stream}#not-started` });
  expect(r.reason).toContain(`KMS key ${keyId}`);
  expect(r.reason).toContain(text);
  expect(kinesisCallsOn(h.cloud, stream)).toMatchObject({ startCalls: 0, stopCalls: 0 });
  expect(dataStreamNow(h.cloud, stream)).toMatchObject({ status: 'ACTIVE', encryptionType: 'NONE', applied: { EncryptionType: 'NONE' } });
  expect(r.answeredAtMs!).toBeLessThan(AT_ONCE_MS);
  expectAnsweredInTime(r);
  expectCleanLog(r);

  // CloudFormation's rollback Delete: nothing was started, so no call at all
  const before = kinesisCallsOn(h.cloud, stream);
  const d = await handle.delete();
  expect(d).toMatchObject({ status: 'SUCCESS', physicalResourceId: `kinesis:${stream}#not-started` });
  expect(kinesisCallsOn(h.cloud, stream)).toEqual(before);
}, 30_000);

test.concurrent.each([
  { cause: 'disabled', stream: 'k-start-disabled', state: 'Disabled', reasonId: 'SERVICE_KMS_DISABLED', text: 'the key is disabled', error: 'KMSDisabledException' },
  { cause: 'gone', stream: 'k-start-missing', state: 'gone', reasonId: 'SERVICE_KMS_NOT_FOUND', text: 'Kinesis cannot find KMS key', error: 'KMSNotFoundException' },
  { cause: 'pending deletion', stream: 'k-start-pending', state: 'PendingDeletion', reasonId: 'SERVICE_KMS_INVALID_STATE', text: 'in its current state', error: 'KMSInvalidStateException' },
])('key $cause between the pre-flight and Start: Kinesis refuses the Start ($error), FAILED $reasonId at once, the stream stays unencrypted', async ({ stream, state, reasonId, text, error }) => {
  const { handle, keyId } = dataStreamResourceFor(stack, stream);
  h.cloud.control.createDataStream({ name: stream });
  // The first Start meets a server error; the handler reads the stream again and retries. Meanwhile the key changes.
  h.cloud.control.failNext('StartStreamEncryption', 'InternalFailure', { resource: stream });

  const pending = handle.create();
  await waitFor(() => h.cloud.control.calls('StartStreamEncryption', stream).failed === 1, 10_000, 'the failed Start');
  if (state === 'gone') {
    h.cloud.control.registerKey({ arn: keyId, keyState: 'PendingDeletion', deletionDate: Date.now() - 1 });
  } else {
    h.cloud.control.setKeyState(keyId, state as 'Disabled');
  }
  const r = await pending;

  // The Start that met a server error may have taken effect: the physical id is not a not-started one.
  expect(r).toMatchObject({ status: 'FAILED', reasonId, physicalResourceId: `kinesis:${stream}#prior=none` });
  expect(r.reason).toContain(`KMS key ${keyId} for ${stream}`);
  expect(r.reason).toContain(text);
  expect(r.reason).toContain(error);
  const starts = h.cloud.control.callLog().filter((c) => c.operation === 'kinesis:StartStreamEncryption' && c.resource === stream);
  expect(starts.map((c) => c.errorName)).toEqual(['InternalFailure', error]);
  expect(kinesisCallsOn(h.cloud, stream)).toMatchObject({ start: 0, startCalls: 2, stopCalls: 0 });
  expect(dataStreamNow(h.cloud, stream)).toMatchObject({ status: 'ACTIVE', encryptionType: 'NONE' });
  expect(logLines(r, 'retry').filter((l) => l.operation === 'StartStreamEncryption')).toHaveLength(1);
  expectAnsweredInTime(r);
  expectCleanLog(r);

  // CloudFormation's rollback Delete: the stream is not encrypted, so no Stop
  const d = await handle.delete();
  expect(d).toMatchObject({ status: 'SUCCESS', physicalResourceId: `kinesis:${stream}#prior=none` });
  expect(kinesisCallsOn(h.cloud, stream)).toMatchObject({ stopCalls: 0 });
}, 30_000);

test.concurrent('the key passes the pre-flight, but Kinesis may not yet use the key on the handler\'s behalf: the refused Start (KMSAccessDeniedException) is retried within the IAM propagation window, one accepted Start', async () => {
  const { handle, keyId } = dataStreamResourceFor(stack, 'k-start-denied');
  h.cloud.control.createDataStream({ name: 'k-start-denied' });
  h.cloud.control.failNext('StartStreamEncryption', 'KMSAccessDeniedException', { resource: 'k-start-denied', httpStatus: 400 });

  const r = await handle.create({ properties: FAST });

  expect(r).toMatchObject({ status: 'SUCCESS', physicalResourceId: 'kinesis:k-start-denied#prior=none', data: { EncryptionType: 'KMS', KeyId: keyId } });
  const starts = h.cloud.control.callLog().filter((c) => c.operation === 'kinesis:StartStreamEncryption' && c.resource === 'k-start-denied');
  expect(starts.map((c) => c.errorName)).toEqual(['KMSAccessDeniedException', undefined]);
  expect(logLines(r, 'retry').filter((l) => l.operation === 'StartStreamEncryption')).toHaveLength(1);
  expect(kinesisCallsOn(h.cloud, 'k-start-denied')).toMatchObject({ start: 1, startCalls: 2, stopCalls: 0 });
  expectAnsweredInTime(r);
  expect(dataStreamNow(h.cloud, 'k-start-denied')).toMatchObject({ status: 'ACTIVE', encryptionType: 'KMS', keyId, applied: { KeyId: keyId } });
}, 30_000);

test.concurrent.each([
  { cause: 'the account is not subscribed to KMS', stream: 'k-start-opt-in', error: 'KMSOptInRequired', reasonId: 'SERVICE_KMS_OPT_IN_REQUIRED' },
])('the key passes the pre-flight, but $cause: the one Start is refused ($error), FAILED $reasonId, no retry', async ({ stream, error, reasonId }) => {
  const { handle, keyId } = dataStreamResourceFor(stack, stream);
  h.cloud.control.createDataStream({ name: stream });
  h.cloud.control.failNext('StartStreamEncryption', error, { resource: stream, httpStatus: 400 });

  const r = await handle.create();

  expect(r).toMatchObject({ status: 'FAILED', reasonId, physicalResourceId: `kinesis:${stream}#not-started` });
  expect(r.reason).toContain(`KMS key ${keyId} for ${stream}`);
  expect(h.cloud.control.calls('DescribeKey', keyId).accepted).toBe(1);
  expect(kinesisCallsOn(h.cloud, stream)).toMatchObject({ start: 0, startCalls: 1, stopCalls: 0 });
  expect(logLines(r, 'retry')).toHaveLength(0);
  expect(dataStreamNow(h.cloud, stream)).toMatchObject({ status: 'ACTIVE', encryptionType: 'NONE' });
  expect(r.answeredAtMs!).toBeLessThan(AT_ONCE_MS);
  expectAnsweredInTime(r);
  expectCleanLog(r);
}, 30_000);

test.concurrent('throttling storm on DescribeStreamSummary (Kinesis\'s LimitExceededException, before and after the Start): still SUCCESS with one Start', async () => {
  const { handle, keyId } = dataStreamResourceFor(stack, 'k-throttled');
  h.cloud.control.createDataStream({ name: 'k-throttled' });
  const c = h.cloud.control;
  const rateExceeded = { resource: 'k-throttled', message: 'Rate exceeded for stream k-throttled under account 123456789012.' };
  c.failNext('DescribeStreamSummary', 'LimitExceededException', { count: 3, ...rateExceeded });

  const pending = handle.create({ properties: FAST });
  await waitFor(() => c.calls('StartStreamEncryption', 'k-throttled').accepted === 1, 20_000, 'the Start');
  c.failNext('DescribeStreamSummary', 'LimitExceededException', { count: 3, ...rateExceeded });
  const r = await pending;

  expect(r).toMatchObject({ status: 'SUCCESS', physicalResourceId: 'kinesis:k-throttled#prior=none', data: { KeyId: keyId } });
  expect(dataStreamNow(h.cloud, 'k-throttled')).toMatchObject({ status: 'ACTIVE', encryptionType: 'KMS', keyId });
  expect(c.calls('DescribeStreamSummary', 'k-throttled')).toMatchObject({ failed: 6 });
  expect(c.calls('DescribeStreamSummary', 'k-throttled').accepted).toBeGreaterThanOrEqual(2);
  expect(kinesisCallsOn(h.cloud, 'k-throttled')).toMatchObject({ start: 1, startCalls: 1, stopCalls: 0 });
  const retries = logLines(r, 'retry');
  expect(retries).toHaveLength(6);
  expect(retries.every((l) => l.operation === 'DescribeStreamSummary' && l.errorClass === 'throttled')).toBe(true);
  expectAnsweredInTime(r);
  expectCleanLog(r);
}, 60_000);

test.concurrent('Start refused with KMSThrottlingException, then ResourceInUseException: each retried after reading the stream again, one accepted Start', async () => {
  const { handle, keyId } = dataStreamResourceFor(stack, 'k-start-retried');
  h.cloud.control.createDataStream({ name: 'k-start-retried' });
  h.cloud.control.failNext('StartStreamEncryption', 'KMSThrottlingException', { resource: 'k-start-retried', message: 'KMS throttled the request Kinesis made on your behalf.' });
  h.cloud.control.failNext('StartStreamEncryption', 'ResourceInUseException', { resource: 'k-start-retried', message: 'Stream k-start-retried under account 123456789012 not ACTIVE, instead in state UPDATING' });

  const r = await handle.create({ properties: FAST });

  expect(r).toMatchObject({ status: 'SUCCESS', physicalResourceId: 'kinesis:k-start-retried#prior=none', data: { KeyId: keyId } });
  const starts = h.cloud.control.callLog().filter((c) => c.operation === 'kinesis:StartStreamEncryption' && c.resource === 'k-start-retried');
  expect(starts.map((c) => c.errorName ?? c.outcome)).toEqual(['KMSThrottlingException', 'ResourceInUseException', 'accepted']);
  // a read between the attempts: the refused call might have taken effect
  const reads = h.cloud.control.callLog().filter((c) => c.operation === 'kinesis:DescribeStreamSummary' && c.resource === 'k-start-retried');
  for (const [i, start] of starts.slice(1).entries()) {
    expect(reads.some((read) => read.seq > starts[i].seq && read.seq < start.seq)).toBe(true);
  }
  expect(logLines(r, 'retry').map((l) => [l.operation, l.errorClass])).toEqual([['StartStreamEncryption', 'throttled'], ['StartStreamEncryption', 'transient']]);
  expect(dataStreamNow(h.cloud, 'k-start-retried')).toMatchObject({ status: 'ACTIVE', encryptionType: 'KMS', keyId });
  expect(kinesisCallsOn(h.cloud, 'k-start-retried')).toMatchObject({ start: 1, startCalls: 3, stopCalls: 0 });
  expectAnsweredInTime(r);
  expectCleanLog(r);
}, 30_000);

test.concurrent('DescribeStreamSummary rate-exceeded until the deadline: FAILED THROTTLED, answered in time, no Start', async () => {
  const { handle } = dataStreamResourceFor(stack, 'k-throttled-out');
  h.cloud.control.createDataStream({ name: 'k-throttled-out' });
  h.cloud.control.failNext('DescribeStreamSummary', 'LimitExceededException', {
    count: 1_000, resource: 'k-throttled-out', message: 'Rate exceeded for stream k-throttled-out under account 123456789012.',
  });

  const r = await handle.create({ properties: { TimeoutSeconds: '5' } });

  expect(r).toMatchObject({ status: 'FAILED', reasonId: 'THROTTLED', physicalResourceId: 'kinesis:k-throttled-out#not-started' });
  expect(r.reason).toContain('DescribeStreamSummary for k-throttled-out was throttled until the deadline');
  expect(r.answeredAtMs!).toBeGreaterThanOrEqual(5_000);
  expect(r.answeredAtMs!).toBeLessThan(5_000 + SLACK_MS);
  const describe = h.cloud.control.calls('DescribeStreamSummary', 'k-throttled-out');
  expect(describe.accepted).toBe(0);
  expect(describe.failed).toBeGreaterThan(2);
  expect(describe.failed).toBeLessThan(20); // backed off, not hammered
  expect(kinesisCallsOn(h.cloud, 'k-throttled-out')).toMatchObject({ startCalls: 0 });
  expectAnsweredInTime(r);
}, 30_000);

test.concurrent('no such data stream: FAILED STREAM_NOT_FOUND, no Start', async () => {
  const { handle } = dataStreamResourceFor(stack, 'k-missing');

  const r = await handle.create();

  expect(r).toMatchObject({ status: 'FAILED', reasonId: 'STREAM_NOT_FOUND', physicalResourceId: 'kinesis:k-missing#not-started' });
  expect(r.reason).toContain('Kinesis stream k-missing does not exist in this account and region');
  expect(kinesisCallsOn(h.cloud, 'k-missing')).toMatchObject({ startCalls: 0, describe: 1 });
  expectAnsweredInTime(r);
}, 30_000);

test.concurrent('stream DELETING: FAILED STREAM_NOT_ACTIVE, no Start', async () => {
  const { handle } = dataStreamResourceFor(stack, 'k-deleting');
  h.cloud.control.setDataStreamDelays('k-deleting', { deletingMs: 10_000 });
  h.cloud.control.createDataStream({ name: 'k-deleting', status: 'DELETING' });

  const r = await handle.create();

  expect(r).toMatchObject({ status: 'FAILED', reasonId: 'STREAM_NOT_ACTIVE', physicalResourceId: 'kinesis:k-deleting#not-started' });
  expect(r.reason).toContain('Kinesis stream k-deleting is DELETING');
  expect(kinesisCallsOn(h.cloud, 'k-deleting')).toMatchObject({ startCalls: 0, describe: 1 });
  expectAnsweredInTime(r);
}, 30_000);

test.concurrent('the Start does not take (UPDATING, then ACTIVE without the key): FAILED DATA_STREAM_ENCRYPTION_NOT_APPLIED, no second Start', async () => {
  const { handle } = dataStreamResourceFor(stack, 'k-not-applied');
  h.cloud.control.createDataStream({ name: 'k-not-applied' });
  h.cloud.control.failNextStreamEncryption('k-not-applied');

  const r = await handle.create();

  expect(r).toMatchObject({ status: 'FAILED', reasonId: 'DATA_STREAM_ENCRYPTION_NOT_APPLIED', physicalResourceId: 'kinesis:k-not-applied#prior=none' });
  expect(r.reason).toContain('Kinesis data stream k-not-applied went back to ACTIVE after StartStreamEncryption without the wanted encryption: stream ACTIVE, encryption NONE');
  expect(r.data).toEqual({ StreamName: '', StreamArn: '', EncryptionType: 'NONE', KeyId: '', StreamStatus: 'ACTIVE' });
  expect(r.answeredAtMs!).toBeGreaterThanOrEqual(1_000);
  expect(r.answeredAtMs!).toBeLessThan(1_000 + SLACK_MS);
  expect(kinesisCallsOn(h.cloud, 'k-not-applied')).toMatchObject({ start: 1, startCalls: 1, stopCalls: 0 });
  expect(dataStreamNow(h.cloud, 'k-not-applied')).toMatchObject({ status: 'ACTIVE', encryptionType: 'NONE' });
  expectAnsweredInTime(r);
  expectCleanLog(r);
}, 30_000);
