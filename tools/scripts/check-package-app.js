// A CDK app that uses cdk-stream-encryption as a consumer would: installed from
// the packed tarball next to aws-cdk-lib and constructs only, run with plain
// node. `check-package.ts` copies it into a throwaway folder and runs it there.
'use strict';
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const cdk = require('aws-cdk-lib');
const { Template } = require('aws-cdk-lib/assertions');
const firehose = require('aws-cdk-lib/aws-kinesisfirehose');
const iam = require('aws-cdk-lib/aws-iam');
const { DeliveryStreamEncryption } = require('cdk-stream-encryption');

const outdir = path.join(__dirname, 'cdk.out');
const app = new cdk.App({ outdir });
const stack = new cdk.Stack(app, 'PackageCheck', { env: { account: '123456789012', region: 'us-east-1' } });

const orders = new DeliveryStreamEncryption(stack, 'OrdersSse', {
  deliveryStream: firehose.DeliveryStream.fromDeliveryStreamName(stack, 'Orders', 'orders'),
  timeout: cdk.Duration.minutes(5),
});
new DeliveryStreamEncryption(stack, 'ClicksSse', {
  deliveryStream: firehose.DeliveryStream.fromDeliveryStreamName(stack, 'Clicks', 'clicks'),
  encryption: firehose.StreamEncryption.awsOwnedKey(),
});
orders.encryptedDeliveryStream.grantPutRecords(new iam.Role(stack, 'Producer', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') }));

const assembly = app.synth();
const template = Template.fromStack(stack);

// One custom resource per stream, one handler function for the stack.
template.resourceCountIs('Custom::DeliveryStreamEncryption', 2);
template.hasResourceProperties('Custom::DeliveryStreamEncryption', { DeliveryStreamName: 'orders', KeyType: 'CUSTOMER_MANAGED_CMK' });
template.hasResourceProperties('Custom::DeliveryStreamEncryption', { DeliveryStreamName: 'clicks', KeyType: 'AWS_OWNED_CMK' });
template.resourceCountIs('AWS::Lambda::Function', 1);

// The handler's code is the zip shipped in the package, staged as a file asset and uploaded as it is.
const [fn] = Object.values(template.findResources('AWS::Lambda::Function'));
const assetHash = /^([0-9a-f]{64})\.zip$/.exec(fn.Properties.Code.S3Key || '');
assert.ok(assetHash, `the handler's code is not a file asset: ${JSON.stringify(fn.Properties.Code)}`);
const assetPath = `asset.${assetHash[1]}.zip`;
const staged = path.join(assembly.directory, assetPath);
const shipped = path.join(path.dirname(require.resolve('cdk-stream-encryption/package.json')), 'assets', 'stream-encryption-handler.zip');
assert.ok(fs.existsSync(staged) && fs.statSync(staged).isFile(), `the handler asset is not the staged zip file ${staged}`);
assert.deepStrictEqual(fs.readFileSync(staged), fs.readFileSync(shipped), 'the staged handler differs from the packaged zip');

const resources = Object.values(template.toJSON().Resources);
console.log(`synthesized ${stack.stackName}: ${resources.length} resources, 2 custom resources, 1 Lambda function (handler asset ${assetPath})`);
