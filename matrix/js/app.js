// A consumer's app in plain JavaScript: one imported delivery stream and one
// imported data stream encrypted, a delivery stream defined here and encrypted
// (its cdk-nag encryption rule acknowledged by the library), and an imported
// and a defined data stream left for StreamEncryptionFixes to encrypt, with
// StreamEncryptionChecks at level error after it; checked by the four cdk-nag
// packs the way the installed cdk-nag generation wants them.
// `scripts/check-matrix.ts` installs it with the versions of a column of
// `matrix/versions.json` and runs `cdk synth` on it. The stack has no
// resources of its own besides the two streams defined here (the defined
// delivery stream writes to an imported bucket with an imported role, and
// logs nothing): every other finding is on what cdk-stream-encryption added.
'use strict';
const cdk = require('aws-cdk-lib');
const firehose = require('aws-cdk-lib/aws-kinesisfirehose');
const kinesis = require('aws-cdk-lib/aws-kinesis');
const iam = require('aws-cdk-lib/aws-iam');
const s3 = require('aws-cdk-lib/aws-s3');
const nag = require('cdk-nag');
const {
  DataStreamEncryption,
  DeliveryStreamEncryption,
  StreamEncryptionCheckLevel,
  StreamEncryptionChecks,
  StreamEncryptionFixes,
} = require('cdk-stream-encryption');

const app = new cdk.App();
const stack = new cdk.Stack(app, 'MatrixJs', { env: { account: '123456789012', region: 'us-east-1' } });

const orders = new DeliveryStreamEncryption(stack, 'OrdersSse', {
  deliveryStream: firehose.DeliveryStream.fromDeliveryStreamName(stack, 'Orders', 'orders'),
});
const events = new DataStreamEncryption(stack, 'EventsSse', {
  stream: kinesis.Stream.fromStreamArn(stack, 'Events', 'arn:aws:kinesis:us-east-1:123456789012:stream/events'),
});
const clicks = new firehose.DeliveryStream(stack, 'Clicks', {
  destination: new firehose.S3Bucket(s3.Bucket.fromBucketName(stack, 'Archive', 'archive'), {
    role: iam.Role.fromRoleArn(stack, 'ArchiveRole', 'arn:aws:iam::123456789012:role/archive', { mutable: false }),
    loggingConfig: new firehose.DisableLogging(),
  }),
});
const clicksSse = new DeliveryStreamEncryption(stack, 'ClicksSse', { deliveryStream: clicks });

// Left unencrypted, for the fixes: an imported data stream (a DataStreamEncryption
// is added for it) and a defined one (its StreamEncryption is set).
kinesis.Stream.fromStreamArn(stack, 'Audit', 'arn:aws:kinesis:us-east-1:123456789012:stream/audit');
new kinesis.Stream(stack, 'Scratch', { encryption: kinesis.StreamEncryption.UNENCRYPTED });
cdk.Aspects.of(app).add(new StreamEncryptionFixes(), { priority: cdk.AspectPriority.MUTATING });
cdk.Aspects.of(app).add(new StreamEncryptionChecks({ level: StreamEncryptionCheckLevel.ERROR }), { priority: cdk.AspectPriority.READONLY });

if (process.env.MATRIX_STRIP_SUPPRESSIONS === '1') {
  // The library's resources without the rule suppressions it records, of
  // either cdk-nag generation: the check must then fail.
  const provider = stack.node.findChild('CdkStreamEncryptionProvider');
  for (const construct of [provider, orders, events, clicksSse, clicks].flatMap((c) => c.node.findAll())) {
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
