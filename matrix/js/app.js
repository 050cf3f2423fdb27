// A consumer's app in plain JavaScript: one imported delivery stream and one
// imported data stream encrypted, checked by the four cdk-nag packs the way
// the installed cdk-nag generation wants them. `scripts/check-matrix.ts`
// installs it with the versions of a column of `matrix/versions.json` and runs
// `cdk synth` on it. The stack has no resources of its own: every finding is
// on what cdk-stream-encryption added.
'use strict';
const cdk = require('aws-cdk-lib');
const firehose = require('aws-cdk-lib/aws-kinesisfirehose');
const kinesis = require('aws-cdk-lib/aws-kinesis');
const nag = require('cdk-nag');
const { DataStreamEncryption, DeliveryStreamEncryption } = require('cdk-stream-encryption');

const app = new cdk.App();
const stack = new cdk.Stack(app, 'MatrixJs', { env: { account: '123456789012', region: 'us-east-1' } });

const orders = new DeliveryStreamEncryption(stack, 'OrdersSse', {
  deliveryStream: firehose.DeliveryStream.fromDeliveryStreamName(stack, 'Orders', 'orders'),
});
const events = new DataStreamEncryption(stack, 'EventsSse', {
  stream: kinesis.Stream.fromStreamArn(stack, 'Events', 'arn:aws:kinesis:us-east-1:123456789012:stream/events'),
});

if (process.env.MATRIX_STRIP_SUPPRESSIONS === '1') {
  // The library's resources without the rule suppressions it records, of
  // either cdk-nag generation: the check must then fail.
  const provider = stack.node.findChild('CdkStreamEncryptionProvider');
  for (const construct of [provider, orders, events].flatMap((c) => c.node.findAll())) {
    if (cdk.CfnResource.isCfnResource(construct) && construct.cfnOptions.metadata) {
      delete construct.cfnOptions.metadata.cdk_nag;
    }
    const metadata = construct.node._metadata ?? [];
    metadata.splice(0, metadata.length, ...metadata.filter((entry) => entry.type !== 'aws:cdk:acknowledged-rules'));
  }
}

const packs = [nag.AwsSolutionsChecks, nag.NIST80053R5Checks, nag.HIPAASecurityChecks, nag.PCIDSS321Checks];
if (nag.NagSuppressions) {
  // cdk-nag 2: each pack is an Aspect that annotates what it finds.
  for (const Pack of packs) {
    cdk.Aspects.of(app).add(new Pack());
  }
} else {
  // cdk-nag 3: each pack is a policy-validation plugin of the app.
  cdk.Validations.of(app).addPlugins(...packs.map((Pack) => new Pack(app)));
}
