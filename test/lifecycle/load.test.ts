/**
 * Load: one stack with 200 DeliveryStreamEncryption resources sharing one key (200 keys, aliases
 * and resources would pass CloudFormation's 500 resources per stack), deployed and destroyed with
 * every handler running at once against the local cloud with Firehose's default rate limits
 * (DescribeDeliveryStream 10/s, Start and Stop 5/s per account).
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as kms from 'aws-cdk-lib/aws-kms';
import { encryptionAtAnswer, encryptionNow } from './firehose-harness';
import { expectAnsweredInTime, Harness, synthStack, useHarness } from './harness';
import { DeliveryStreamEncryption } from '../../src';
import { LocalCloudStack, StackOperationResult } from '../../tools/local-cloud/cfn';

const COUNT = 200;
const names = Array.from({ length: COUNT }, (_, i) => `load-${String(i).padStart(3, '0')}`);

let h: Harness;
let stack: LocalCloudStack;
let keyArn: string;

// the default rate limits
useHarness({}, (started) => {
  h = started;
  const dir = synthStack('LoadStack', (s) => {
    const key = new kms.Key(s, 'SharedKey', { enableKeyRotation: true, removalPolicy: RemovalPolicy.DESTROY });
    for (const name of names) {
      new DeliveryStreamEncryption(s, `Sse-${name}`, {
        deliveryStream: firehose.DeliveryStream.fromDeliveryStreamName(s, `Stream-${name}`, name),
        encryption: firehose.StreamEncryption.customerManagedKey(key),
      });
    }
  });
  stack = h.cfn.stack(dir);
  expect(Object.keys(stack.template.template.Resources).length).toBeLessThan(500);
  keyArn = stack.keyArn(Object.entries(stack.template.template.Resources).find(([id, r]) => r.Type === 'AWS::KMS::Key' && id.startsWith('SharedKey'))![0]);
  for (const name of names) h.cloud.control.createStream({ name });
});

/** One line about a stack operation under load. */
function summary(result: StackOperationResult): string {
  const answered = result.steps.map((s) => s.answeredAtMs ?? Infinity).sort((a, b) => a - b);
  const c = h.cloud.control;
  const tally = (op: string) => c.calls(op);
  return `${result.operation} of ${result.steps.length} resources: ${result.status} in ${(result.elapsedMs / 1000).toFixed(1)} s; `
    + `answers after ${(answered[0] / 1000).toFixed(1)}–${(answered[answered.length - 1] / 1000).toFixed(1)} s; `
    + `so far Describe ${JSON.stringify(tally('DescribeDeliveryStream'))}, Start ${JSON.stringify(tally('StartDeliveryStreamEncryption'))}, `
    + `Stop ${JSON.stringify(tally('StopDeliveryStreamEncryption'))}, DescribeKey ${JSON.stringify(tally('DescribeKey'))}`;
}

test('200 resources deployed at once under the default rate limits: every one SUCCESS with exactly 200 Starts; destroyed: 200 Stops, all DISABLED', async () => {
  expect(stack.customResourceIds()).toHaveLength(COUNT);
  const c = h.cloud.control;

  const deployed = await stack.deploy();
  console.log(summary(deployed));

  expect(deployed.status).toBe('CREATE_COMPLETE');
  expect(deployed.steps).toHaveLength(COUNT);
  const failures = deployed.steps.filter((s) => s.status !== 'SUCCESS').map((s) => `${s.streamName}: ${s.status} ${s.reason}`);
  expect(failures).toEqual([]);
  expect(c.calls('StartDeliveryStreamEncryption').accepted).toBe(COUNT);
  expect(c.calls('StopDeliveryStreamEncryption').total).toBe(0);
  // every call was made as the handler's role, authorized against its policies (the statements of 200 streams, in several chunks)
  const policies = Object.entries(stack.template.template.Resources).filter(([, r]) => r.Type === 'AWS::IAM::ManagedPolicy').map(([id]) => id);
  expect(policies.length).toBeGreaterThan(1);
  expect([...c.iamRoles().find((r) => r.roleArn.includes('LoadStack'))?.policies ?? []].sort()).toEqual(policies.sort());
  // the rate limits were hit, and every handler rode them out
  expect(c.calls('DescribeDeliveryStream').throttled + c.calls('StartDeliveryStreamEncryption').throttled).toBeGreaterThan(0);
  for (const step of deployed.steps) {
    expect(step.physicalResourceId).toBe(`firehose:${step.streamName}#prior=none`);
    expect(c.calls('StartDeliveryStreamEncryption', step.streamName).accepted).toBe(1);
    expect(encryptionAtAnswer(step)).toMatchObject({ status: 'ENABLED', keyArn, applied: { keyArn } });
    expectAnsweredInTime(step);
  }
  expect(names.filter((n) => encryptionNow(h.cloud, n)?.status !== 'ENABLED')).toEqual([]);

  const destroyed = await stack.destroy();
  console.log(summary(destroyed));

  expect(destroyed.status).toBe('DELETE_COMPLETE');
  expect(destroyed.steps).toHaveLength(COUNT);
  expect(destroyed.steps.filter((s) => s.status !== 'SUCCESS').map((s) => `${s.streamName}: ${s.status} ${s.reason}`)).toEqual([]);
  expect(c.calls('StopDeliveryStreamEncryption').accepted).toBe(COUNT);
  expect(c.calls('StartDeliveryStreamEncryption').accepted).toBe(COUNT);
  for (const step of destroyed.steps) {
    expect(c.calls('StopDeliveryStreamEncryption', step.streamName).accepted).toBe(1);
    expect(encryptionAtAnswer(step)).toMatchObject({ status: 'DISABLED', applied: null });
    expectAnsweredInTime(step);
  }
  expect(names.filter((n) => encryptionNow(h.cloud, n)?.status !== 'DISABLED')).toEqual([]);
  expect(c.key(keyArn)?.KeyState).toBe('PendingDeletion');
}, 600_000);
