/**
 * The library's features combined as a user writes them, deployed on the local cloud: a stack-wide
 * `StreamEncryptionGuard`, `StreamEncryptionFixes` (which adds an encryption under each imported
 * stream) and encryptions placed under and beside imported streams of both kinds. The local
 * CloudFormation refuses a template with a dependency cycle, as CloudFormation does, so the deploy
 * itself shows the template has none; the guard then repairs a stream the fixes encrypted.
 */
import { StopDeliveryStreamEncryptionCommand } from '@aws-sdk/client-firehose';
import { AspectPriority, Aspects } from 'aws-cdk-lib';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import { encryptionNow } from './firehose-harness';
import { bothKindsOptions, defineOperator, Harness, Operator, synthStack, useHarness, waitFor } from './harness';
import { dataStreamArn, dataStreamNow } from './kinesis-harness';
import { DataStreamEncryption, DeliveryStreamEncryption, StreamEncryptionFixes, StreamEncryptionGuard } from '../../src';
import { CfnTemplate } from '../../tools/local-cloud/cfn';

let h: Harness;
let operator: Operator;
useHarness(bothKindsOptions(200), (started) => {
  h = started;
  operator = defineOperator(h, ['firehose:*']);
  h.cloud.control.setTrailLogging(true);
}, () => operator?.destroy());

/** A template whose key and alias refer to each other, besides a stream that depends on nothing. */
const CYCLIC: CfnTemplate = {
  Resources: {
    Free: { Type: 'AWS::Kinesis::Stream', Properties: { Name: 'cycle-free', ShardCount: 1 } },
    Key: { Type: 'AWS::KMS::Key', Properties: { Description: { 'Fn::GetAtt': ['Alias', 'AliasName'] } } },
    Alias: { Type: 'AWS::KMS::Alias', Properties: { AliasName: 'alias/cycle', TargetKeyId: { Ref: 'Key' } } },
  },
};

test('the local CloudFormation refuses a template with a dependency cycle, before it creates anything, on deploy and on update', async () => {
  const stack = h.cfn.stack(CYCLIC, { stackName: 'Cyclic' });
  await expect(stack.deploy()).rejects.toThrow(/Circular dependency between resources: \[Key, Alias\] \(Key -> Alias -> Key\)/);
  // Not even the stream that depends on nothing was created.
  expect(h.cloud.control.dataStream('cycle-free')).toBeUndefined();

  const acyclic = h.cfn.stack({ Resources: { Free: CYCLIC.Resources.Free } }, { stackName: 'Acyclic' });
  expect((await acyclic.deploy()).status).toBe('CREATE_COMPLETE');
  await expect(acyclic.update(CYCLIC, { stackName: 'Acyclic' })).rejects.toThrow(/Circular dependency between resources/);
  expect(Object.keys(acyclic.template.template.Resources)).toEqual(['Free']);
  expect(h.cloud.control.dataStream('cycle-free')).toBeDefined();
});

test('a guard, the fixes, and encryptions under and beside imported streams of both kinds deploy, repair and delete', async () => {
  for (const name of ['combined-fixed', 'combined-under']) h.cloud.control.createStream({ name });
  for (const name of ['combined-k-fixed', 'combined-k-beside']) h.cloud.control.createDataStream({ name });

  const stack = h.cfn.stack(synthStack('Combined', (s) => {
    StreamEncryptionGuard.configure(s);
    // Found and encrypted by the fixes, each under its import.
    firehose.DeliveryStream.fromDeliveryStreamName(s, 'Fixed', 'combined-fixed');
    kinesis.Stream.fromStreamArn(s, 'KinesisFixed', dataStreamArn('combined-k-fixed'));
    // An encryption under its imported stream, and one beside it.
    const under = firehose.DeliveryStream.fromDeliveryStreamName(s, 'Under', 'combined-under');
    new DeliveryStreamEncryption(under, 'Encryption', { deliveryStream: under });
    new DataStreamEncryption(s, 'BesideEncryption', { stream: kinesis.Stream.fromStreamArn(s, 'Beside', dataStreamArn('combined-k-beside')) });
    Aspects.of(s).add(new StreamEncryptionFixes(), { priority: AspectPriority.MUTATING });
  }));
  expect(stack.customResourceIds()).toHaveLength(4);

  const created = await stack.deploy({ properties: { SettleSeconds: '0' } });
  expect(created.status).toBe('CREATE_COMPLETE');
  expect(encryptionNow(h.cloud, 'combined-fixed')).toMatchObject({ status: 'ENABLED', keyType: 'AWS_OWNED_CMK' });
  expect(encryptionNow(h.cloud, 'combined-under')).toMatchObject({ status: 'ENABLED', keyType: 'CUSTOMER_MANAGED_CMK' });
  expect(dataStreamNow(h.cloud, 'combined-k-fixed')).toMatchObject({ status: 'ACTIVE', encryptionType: 'KMS', keyId: 'alias/aws/kinesis' });
  expect(dataStreamNow(h.cloud, 'combined-k-beside')).toMatchObject({ status: 'ACTIVE', encryptionType: 'KMS' });

  // The guard's rule for the stream the fixes encrypted is in force: an out-of-band Stop is repaired.
  await operator.firehose.send(new StopDeliveryStreamEncryptionCommand({ DeliveryStreamName: 'combined-fixed' }));
  await waitFor(() => encryptionNow(h.cloud, 'combined-fixed')?.status === 'DISABLED', 10_000, 'combined-fixed DISABLED');
  h.cloud.control.deliverTrailEvents();
  await h.cloud.events.idle();
  await waitFor(() => encryptionNow(h.cloud, 'combined-fixed')?.status === 'ENABLED', 10_000, 'combined-fixed repaired');

  const deleted = await stack.destroy();
  expect(deleted.status).toBe('DELETE_COMPLETE');
  for (const name of ['combined-fixed', 'combined-under']) expect(encryptionNow(h.cloud, name)?.status).toBe('DISABLED');
  for (const name of ['combined-k-fixed', 'combined-k-beside']) expect(dataStreamNow(h.cloud, name)).toMatchObject({ encryptionType: 'NONE' });
}, 120_000);
