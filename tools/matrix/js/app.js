// A consumer's app in plain JavaScript, run by `cdk synth` with the `cdk.json`
// that the column's CDK CLI writes for `cdk init app --language typescript`
// (its feature flags): every feature of cdk-stream-encryption at once, in two
// stacks, checked by the four cdk-nag packs the way the installed cdk-nag
// generation wants them. `../ts/app.ts` is its TypeScript twin.
//
// - `MatrixJsKeys` owns a key; `MatrixJsStreams`, under a stack-wide
//   `StreamEncryptionGuard` and with the handler's log retention set for the
//   stack, encrypts an imported delivery stream with that
//   given key and an imported data stream with a key the construct creates
//   (both with key health alarms), and a delivery stream defined here (its
//   cdk-nag encryption rule acknowledged by the library).
// - An imported and a defined data stream are left for StreamEncryptionFixes
//   to encrypt, with StreamEncryptionChecks at level error after it.
// `scripts/check-matrix.ts` installs it with the versions of a column of
// `matrix/versions.json` and runs `cdk synth` on it. The stacks have no
// resources of their own besides the key and the streams defined here (the
// defined delivery stream writes to an imported bucket with an imported
// role, and logs nothing): every other finding is on what
// cdk-stream-encryption added.
'use strict';
const cdk = require('aws-cdk-lib');
const firehose = require('aws-cdk-lib/aws-kinesisfirehose');
const kinesis = require('aws-cdk-lib/aws-kinesis');
const kms = require('aws-cdk-lib/aws-kms');
const logs = require('aws-cdk-lib/aws-logs');
const iam = require('aws-cdk-lib/aws-iam');
const s3 = require('aws-cdk-lib/aws-s3');
const nag = require('cdk-nag');
const {
  DataStreamEncryption,
  DeliveryStreamEncryption,
  StreamEncryptionCheckLevel,
  StreamEncryptionChecks,
  StreamEncryptionFixes,
  StreamEncryptionGuard,
  StreamEncryptionHandler,
} = require('cdk-stream-encryption');

const app = new cdk.App();
const env = { account: '123456789012', region: 'us-east-1' };
const keys = new cdk.Stack(app, 'MatrixJsKeys', { env });
const ordersKey = new kms.Key(keys, 'OrdersKey', { enableKeyRotation: true, alias: 'matrix/orders' });
if (process.env.MATRIX_INVALID_RESOURCE === '1') {
  // A property CloudFormation does not know, outside the library: the check must then fail.
  new cdk.CfnResource(keys, 'Invalid', { type: 'AWS::SNS::Topic', properties: { TopicNam: 'matrix' } });
}

const stack = new cdk.Stack(app, 'MatrixJsStreams', { env });
StreamEncryptionHandler.configure(stack, { logRetention: logs.RetentionDays.TWO_YEARS });
StreamEncryptionGuard.configure(stack, { maxRepairsPerStreamPerDay: 3 });
const orders = new DeliveryStreamEncryption(stack, 'OrdersSse', {
  deliveryStream: firehose.DeliveryStream.fromDeliveryStreamName(stack, 'Orders', 'orders'),
  encryption: firehose.StreamEncryption.customerManagedKey(ordersKey),
});
const events = new DataStreamEncryption(stack, 'EventsSse', {
  stream: kinesis.Stream.fromStreamArn(stack, 'Events', 'arn:aws:kinesis:us-east-1:123456789012:stream/events'),
});
orders.addKeyHealthAlarms();
events.addKeyHealthAlarms();
const clicks = new firehose.DeliveryStream(stack, 'Clicks', {
  destination: new firehose.S3Bucket(s3.Bucket.fromBucketName(stack, 'Archive', 'archive'), {
    role: iam.Role.fromRoleArn(stack, 'ArchiveRole', 'arn:aws:iam::123456789012:role/archive', { mutable: false }),
    loggingConfig: new firehose.DisableLogging(),
  }),
});
new DeliveryStreamEncryption(stack, 'ClicksSse', { deliveryStream: clicks });

// Left unencrypted, for the fixes: an imported data stream (a DataStreamEncryption
// is added for it) and a defined one (its StreamEncryption is set).
kinesis.Stream.fromStreamArn(stack, 'Audit', 'arn:aws:kinesis:us-east-1:123456789012:stream/audit');
new kinesis.Stream(stack, 'Scratch', { encryption: kinesis.StreamEncryption.UNENCRYPTED });
cdk.Aspects.of(app).add(new StreamEncryptionFixes(), { priority: cdk.AspectPriority.MUTATING });
cdk.Aspects.of(app).add(new StreamEncryptionChecks({ level: StreamEncryptionCheckLevel.ERROR }), { priority: cdk.AspectPriority.READONLY });

if (process.env.MATRIX_STRIP_SUPPRESSIONS === '1') {
  // Every construct of the app, the library's included, without the rule
  // suppressions of either cdk-nag generation: the check must then fail.
  for (const construct of app.node.findAll()) {
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
