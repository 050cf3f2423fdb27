/**
 * Issue 11, items 6 and 7, against the local cloud that enforces IAM: what is transient is retried
 * within the deadline, what is not fails at once, and an uncertain Start that took effect is judged
 * by what the stream then shows. Each scenario ends with the state of the stream and the key.
 */
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import { encryptionNow } from './firehose-harness';
import { expectAnsweredInTime, expectCleanLog, Harness, logLines, SCHEDULING_SLACK_MS, synthStack, UNTHROTTLED, useHarness } from './harness';
import { FIREHOSE } from './kinds';
import { ownerTagValue } from '../../lambda/core/ownership';
import { OWNER_TAG_KEY } from '../../src/private/contract';
import type { CallRecord } from '../../tools/local-cloud';
import { NO_CREDENTIALS_ENVIRONMENT } from '../../tools/local-cloud/cfn';
import { claimedBy } from '../local-cloud/helpers';

let h: Harness;

useHarness({ throttle: UNTHROTTLED, delays: { enablingMs: 300, disablingMs: 300 } }, (started) => (h = started));

/** No settle time unless a scenario is about it. */
const FAST = { SettleSeconds: '0' };

/** A key the template makes and keeps. */
const keptKey = (s: Stack, id: string) => new kms.Key(s, id, { removalPolicy: RemovalPolicy.RETAIN });

/** A stack that encrypts the imported stream `name` with a key of its own. */
function stackFor(stackName: string, name: string): string {
  return synthStack(stackName, (s) => FIREHOSE.encrypt(s, 'Sse', name, { key: keptKey(s, 'Key') }));
}

/** The sequence number of the last call the local cloud answered (0 before any). */
function lastCall(): number {
  return h.cloud.control.callLog().at(-1)?.seq ?? 0;
}

/** Every call the local cloud answered after the one numbered `seq`. */
function callsAfter(seq: number): CallRecord[] {
  return h.cloud.control.callLog().filter((c) => c.seq > seq);
}

/** The key a deployed stack's custom resource asks for. */
function keyOf(stack: ReturnType<Harness['cfn']['stack']>, name: string): string {
  return FIREHOSE.resourceFor(stack, name).key!;
}

test('item 6: a policy still propagating when the first call is made: AccessDenied is retried, and the deploy ends ENABLED', async () => {
  h.cloud.control.createStream({ name: 'propagating' });
  const stack = h.cfn.stack(stackFor('Propagating', 'propagating'));
  h.cloud.control.setIamPropagation(3_000);
  let deployed;
  try {
    deployed = await stack.deploy({ properties: FAST });
  } finally {
    h.cloud.control.setIamPropagation(0);
  }
  expect(deployed.status).toBe('CREATE_COMPLETE');
  const [step] = deployed.steps;
  expect(step).toMatchObject({ status: 'SUCCESS', physicalResourceId: 'firehose:propagating#prior=none' });
  // denied while the policy propagated, retried, then allowed
  const denied = h.cloud.control.callLog().filter((c) => c.errorName === 'AccessDeniedException' && c.resource === 'propagating');
  expect(denied.length).toBeGreaterThan(0);
  expect(logLines(step, 'retry').some((l) => l.errorClass === 'denied')).toBe(true);
  expect(step.answeredAtMs!).toBeGreaterThanOrEqual(3_000 - SCHEDULING_SLACK_MS);
  expect(encryptionNow(h.cloud, 'propagating')).toMatchObject({ status: 'ENABLED', keyArn: keyOf(stack, 'propagating') });
  expect(h.cloud.control.key(keyOf(stack, 'propagating'))?.KeyState).toBe('Enabled');
}, 90_000);

test('item 7: a stale ENABLING_FAILED read right after Start is not taken as the result', async () => {
  // an earlier change that failed, and a Describe that answers the state of 1.5 s ago
  h.cloud.control.createStream({ name: 'stale-failed', encryption: { status: 'ENABLING_FAILED', keyType: 'AWS_OWNED_CMK' } });
  h.cloud.control.setStreamDelays('stale-failed', { staleReadMs: 1_500 });
  const stack = h.cfn.stack(stackFor('StaleFailed', 'stale-failed'));
  const deployed = await stack.deploy({ properties: FAST });
  expect(deployed.status).toBe('CREATE_COMPLETE');
  expect(deployed.steps[0]).toMatchObject({ status: 'SUCCESS' });
  expect(h.cloud.control.calls('StartDeliveryStreamEncryption', 'stale-failed').accepted).toBe(1);
  expect(encryptionNow(h.cloud, 'stale-failed')).toMatchObject({ status: 'ENABLED', keyArn: keyOf(stack, 'stale-failed') });
}, 60_000);

test('item 7: a Delete of a stream in DELETING_FAILED fails at once with its reason, leaving the stream and the key as they are', async () => {
  h.cloud.control.createStream({ name: 'delete-failing' });
  const stack = h.cfn.stack(stackFor('DeleteFailing', 'delete-failing'));
  const deployed = await stack.deploy({ properties: FAST });
  expect(deployed.status).toBe('CREATE_COMPLETE');
  const key = keyOf(stack, 'delete-failing');
  const owner = h.cloud.control.stream('delete-failing')!.tags[OWNER_TAG_KEY];
  expect(owner).toEqual(claimedBy(ownerTagValue(stack.stackId, FIREHOSE.resourceFor(stack, 'delete-failing').logicalId)));
  // its owner tried to delete the stream, and that failed
  h.cloud.control.deleteStream('delete-failing');
  h.cloud.control.createStream({ name: 'delete-failing', status: 'DELETING_FAILED', encryption: { status: 'ENABLED', keyArn: key }, tags: { [OWNER_TAG_KEY]: owner } });

  const destroyed = await stack.destroy();
  const step = destroyed.steps.find((s) => s.requestType === 'Delete')!;
  expect(step).toMatchObject({ status: 'FAILED', reasonId: 'STREAM_DELETING_FAILED' });
  expect(step.answeredAtMs!).toBeLessThan(5_000 + SCHEDULING_SLACK_MS);
  expect(h.cloud.control.calls('StopDeliveryStreamEncryption', 'delete-failing').total).toBe(0);
  expect(encryptionNow(h.cloud, 'delete-failing')).toMatchObject({ status: 'ENABLED', keyArn: key });
  expect(h.cloud.control.key(key)?.KeyState).toBe('Enabled');
}, 60_000);

test('item 7: a stream whose current key is reported by its alias ARN is judged by the key it names: no Start', async () => {
  const aliasArn = 'arn:aws:kms:us-east-1:123456789012:alias/aliased-current';
  h.cloud.control.createStream({ name: 'aliased-current', encryption: { status: 'ENABLED', keyArn: aliasArn } });
  const dir = synthStack('AliasedCurrent', (s) => FIREHOSE.encrypt(s, 'Sse', 'aliased-current', {
    key: new kms.Key(s, 'Key', { alias: 'alias/aliased-current', removalPolicy: RemovalPolicy.RETAIN }),
  }));
  const stack = h.cfn.stack(dir);
  const deployed = await stack.deploy({ properties: FAST });
  expect(deployed.status).toBe('CREATE_COMPLETE');
  expect(deployed.steps[0]).toMatchObject({ status: 'SUCCESS' });
  expect(h.cloud.control.calls('StartDeliveryStreamEncryption', 'aliased-current').total).toBe(0);
  expect(encryptionNow(h.cloud, 'aliased-current')).toMatchObject({ status: 'ENABLED', keyArn: aliasArn });
  expect(h.cloud.control.key(keyOf(stack, 'aliased-current'))?.KeyState).toBe('Enabled');
}, 60_000);

test('item 7: a Start answered 500 after it took effect is not sent again, and the settle time is still waited after ENABLED', async () => {
  h.cloud.control.createStream({ name: 'uncertain-start' });
  // The change completes at once, so the handler's next reading is already ENABLED: only the
  // uncertain Start (no ENABLING seen) can tell it that encryption has just been applied.
  h.cloud.control.setStreamDelays('uncertain-start', { enablingMs: 0 });
  h.cloud.control.failNext('StartDeliveryStreamEncryption', 'ServiceUnavailableException', { resource: 'uncertain-start', applyThenFail: true });
  const stack = h.cfn.stack(stackFor('UncertainStart', 'uncertain-start'));
  const deployed = await stack.deploy({ properties: { SettleSeconds: '3' } });
  expect(deployed.status).toBe('CREATE_COMPLETE');
  const [step] = deployed.steps;
  expect(step).toMatchObject({ status: 'SUCCESS', physicalResourceId: 'firehose:uncertain-start#prior=none' });
  const key = keyOf(stack, 'uncertain-start');

  // one Start: it took effect, and its answer was a 500; the truth table sends no second one
  const starts = h.cloud.control.callLog().filter((c) => c.operation === 'firehose:StartDeliveryStreamEncryption' && c.resource === 'uncertain-start');
  expect(starts).toEqual([expect.objectContaining({ outcome: 'accepted', errorName: 'ServiceUnavailableException', httpStatus: 500 })]);
  expect(h.cloud.control.stream('uncertain-start')!.encryptionCalls.inWindow).toBe(1);

  // the handler took the 500 as transient, read ENABLED with its key (never ENABLING), then settled
  expect(logLines(step, 'retry')).toEqual([expect.objectContaining({ operation: 'StartDeliveryStreamEncryption', errorClass: 'transient' })]);
  // (the claim is read back with no other copy's claim tag beside it: the Start follows at once)
  const decisions = logLines(step, 'decide');
  expect(decisions.map((d) => d.decision)).toEqual(['start', 'succeed']);
  expect(String(decisions[1].status)).toMatch(/ENABLED/);
  expect(decisions.some((d) => /ENABLING/.test(String(d.status)))).toBe(false);
  expect(logLines(step, 'settle')).toEqual([expect.objectContaining({ settleMs: 3_000 })]);
  const actions = step.logs.filter((l) => l.json).map((l) => l.json!.action);
  // the settle time comes after the reading that decided SUCCESS, right before the answer (the claim is the tag left)
  expect(actions.lastIndexOf('decide')).toBeLessThan(actions.indexOf('settle'));
  expect(actions.slice(actions.indexOf('settle'), actions.indexOf('answer') + 1)).toEqual(['settle', 'answer']);

  // ENABLED since the Start took effect (enablingMs 0): the answer came the settle time after it, or later
  const answeredAt = step.startedAt + step.answeredAtMs!;
  expect(answeredAt - starts[0].at).toBeGreaterThanOrEqual(3_000);
  expectAnsweredInTime(step);

  expect(encryptionNow(h.cloud, 'uncertain-start')).toMatchObject({ status: 'ENABLED', keyArn: key, applied: { keyType: 'CUSTOMER_MANAGED_CMK', keyArn: key } });
  expect(h.cloud.control.stream('uncertain-start')!.tags[OWNER_TAG_KEY]).toEqual(claimedBy(ownerTagValue(stack.stackId, FIREHOSE.resourceFor(stack, 'uncertain-start').logicalId)));
  expect(h.cloud.control.key(key)?.KeyState).toBe('Enabled');
}, 60_000);

test.each([
  ['finds no credentials', 'no-credentials', NO_CREDENTIALS_ENVIRONMENT, /\(CredentialsProviderError: .+\)/],
  ['is given an endpoint that is not a URL', 'no-endpoint', { AWS_ENDPOINT_URL_FIREHOSE: 'not a url' }, /\(TypeError: Invalid URL\)/],
])('item 7: a handler that %s fails fast with NO_SERVICE_RESPONSE, not retried for its timeout, and the stream is untouched', async (_what, name, environment, error) => {
  h.cloud.control.createStream({ name });
  const stack = h.cfn.stack(stackFor(`Unreachable${name.replace(/-/g, '')}`, name));
  const before = lastCall();
  const deployed = await stack.deploy({ properties: FAST, environment });
  // the Create failed; its rollback Delete (of a Create that never started) has nothing to do
  expect(deployed.status).toBe('ROLLBACK_COMPLETE');
  const create = deployed.steps.find((s) => s.requestType === 'Create')!;
  expect(create).toMatchObject({ status: 'FAILED', reasonId: 'NO_SERVICE_RESPONSE', physicalResourceId: `firehose:${name}#not-started` });
  expect(create.reason).toMatch(new RegExp(`^NO_SERVICE_RESPONSE: \\w+ for ${name} got no answer from the service ${error.source}\\. Check the handler's credentials`));
  expect(deployed.steps.find((s) => s.requestType === 'Delete')).toMatchObject({ status: 'SUCCESS' });

  // two quick retries, then the answer: far inside the resource's timeout, which is not what ended it
  const retries = logLines(create, 'retry');
  expect(retries.map((l) => l.errorClass)).toEqual(['unreachable', 'unreachable']);
  const timeoutMs = Number(create.event.ResourceProperties.TimeoutSeconds) * 1000;
  expect(timeoutMs).toBe(600_000);
  expect(create.answeredAtMs!).toBeLessThan(timeoutMs / 10);
  expectAnsweredInTime(create);

  // no request reached the cloud, and the stream is as it was
  expect(callsAfter(before)).toEqual([]);
  expect(encryptionNow(h.cloud, name)).toMatchObject({ status: 'DISABLED', applied: null });
  expect(h.cloud.control.stream(name)!.tags[OWNER_TAG_KEY]).toBeUndefined();
  expect(h.cloud.control.key(keyOf(stack, name))?.KeyState).toBe('Enabled');
}, 60_000);

test('item 7: a Delete that arrives after CloudFormation gave up answers REQUEST_EXPIRED and makes no AWS call; the stream stays ENABLED with its key', async () => {
  h.cloud.control.createStream({ name: 'late-delete' });
  const stack = h.cfn.stack(stackFor('LateDelete', 'late-delete'));
  const deployed = await stack.deploy({ properties: FAST });
  expect(deployed.status).toBe('CREATE_COMPLETE');
  const key = keyOf(stack, 'late-delete');
  const owner = h.cloud.control.stream('late-delete')!.tags[OWNER_TAG_KEY];
  expect(owner).toEqual(claimedBy(ownerTagValue(stack.stackId, FIREHOSE.resourceFor(stack, 'late-delete').logicalId)));

  // the Delete's response URL was signed a minute past its ServiceTimeout before the handler got it
  const serviceTimeoutSeconds = Number(deployed.steps[0].event.ResourceProperties.ServiceTimeout);
  expect(serviceTimeoutSeconds * 1000).toBe(deployed.steps[0].serviceTimeoutMs);
  const lateBySeconds = serviceTimeoutSeconds + 60;
  const before = lastCall();
  const late = await FIREHOSE.resourceFor(stack, 'late-delete').handle.delete({ response: { signedAgoMs: lateBySeconds * 1000 } });
  expect(late).toMatchObject({ status: 'FAILED', reasonId: 'REQUEST_EXPIRED', physicalResourceId: 'firehose:late-delete#prior=none' });
  expect(late.reason).toMatch(new RegExp(
    `^REQUEST_EXPIRED: The request was signed (${lateBySeconds}|${lateBySeconds + 1}) s ago, past the resource's ServiceTimeout of ${serviceTimeoutSeconds} s`));
  expect(logLines(late, 'expired')).toEqual([expect.objectContaining({ decision: 'not acted on', timeoutSeconds: serviceTimeoutSeconds })]);
  expectCleanLog(late);

  // zero calls by the handler, and the stream, its owner tag and the key as they were
  expect(callsAfter(before)).toEqual([]);
  expect(encryptionNow(h.cloud, 'late-delete')).toMatchObject({ status: 'ENABLED', keyArn: key, applied: { keyType: 'CUSTOMER_MANAGED_CMK', keyArn: key } });
  expect(h.cloud.control.stream('late-delete')!.tags[OWNER_TAG_KEY]).toBe(owner);
  expect(h.cloud.control.key(key)?.KeyState).toBe('Enabled');
}, 60_000);
