/**
 * Issue 11, items 6 and 7, against the local cloud that enforces IAM: what is transient is retried
 * within the deadline, what is not fails at once. Each scenario ends with the state of the stream
 * and the key.
 */
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import { encryptionNow } from './firehose-harness';
import { Harness, logLines, SCHEDULING_SLACK_MS, startHarness, synthStack, UNTHROTTLED } from './harness';
import { FIREHOSE } from './kinds';
import { ownerTagValue } from '../../lambda/core/ownership';
import { OWNER_TAG_KEY } from '../../src/private/contract';

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ throttle: UNTHROTTLED, delays: { enablingMs: 300, disablingMs: 300 } });
}, 120_000);

afterAll(async () => {
  await h?.stop();
});

/** No settle time unless a scenario is about it. */
const FAST = { SettleSeconds: '0' };

/** A key the template makes and keeps. */
const keptKey = (s: Stack, id: string) => new kms.Key(s, id, { removalPolicy: RemovalPolicy.RETAIN });

/** A stack that encrypts the imported stream `name` with a key of its own. */
function stackFor(stackName: string, name: string): string {
  return synthStack(stackName, (s) => FIREHOSE.encrypt(s, 'Sse', name, { key: keptKey(s, 'Key') }));
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
  expect(owner).toBe(ownerTagValue(stack.stackId, FIREHOSE.resourceFor(stack, 'delete-failing').logicalId));
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
