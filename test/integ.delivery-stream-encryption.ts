/**
 * Integration test: deploys Direct PUT delivery streams that have no
 * server-side encryption of their own, encrypts them from other stacks by
 * name, and asserts what Firehose reports afterwards.
 *
 * - `Streams` owns three streams, as another team or tool would.
 * - `Encrypt` imports two of them by name: one with a key the construct
 *   creates, one with the AWS owned key.
 * - `RotateFrom` encrypts the third with a key the construct creates;
 *   `RotateTo`, deployed after it, switches that stream to a key of its own
 *   while it is `ENABLED` (key rotation).
 *
 * CI only compares this app with its committed snapshot
 * (`integ.delivery-stream-encryption.ts.snapshot/`). To deploy it, see
 * CONTRIBUTING.md.
 */
import { ExpectedResult, IDeployAssert, IntegTest } from '@aws-cdk/integ-tests-alpha';
import { Annotations, App, Duration, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { DeliveryStreamEncryption } from '../src';
import type { FirehoseKeyType } from '../src/private/contract';

/** Names of the streams, fixed so the encrypting stacks can import them as a user would. */
const STREAM_NAMES = {
  CustomerKey: 'cdk-sse-integ-customer-key',
  AwsOwnedKey: 'cdk-sse-integ-aws-owned-key',
  Rotation: 'cdk-sse-integ-key-rotation',
};

/** Direct PUT streams to S3, defined without any `encryption` setting. */
class StreamsStack extends Stack {
  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    const bucket = new s3.Bucket(this, 'Destination', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      // The test writes no records, so the bucket is empty when the stack goes.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    for (const [streamId, name] of Object.entries(STREAM_NAMES)) {
      new firehose.DeliveryStream(this, streamId, {
        deliveryStreamName: name,
        destination: new firehose.S3Bucket(bucket, {
          dataOutputPrefix: `${name}/`,
          errorOutputPrefix: `${name}-errors/`,
          loggingConfig: new firehose.DisableLogging(),
        }),
      });
    }
  }
}

/** A stack that encrypts streams it does not own, after the stack that owns them. */
class EncryptionStack extends Stack {
  constructor(scope: Construct, id: string, streams: Stack, props?: StackProps) {
    super(scope, id, props);
    this.addDependency(streams);
  }

  importStream(name: string): firehose.IDeliveryStream {
    return firehose.DeliveryStream.fromDeliveryStreamName(this, `Import-${name}`, name);
  }
}

/** Assert what `DescribeDeliveryStream` reports as the stream's encryption. */
function expectEncryption(assertions: IDeployAssert, streamName: string, keyType: FirehoseKeyType, keyArn?: string): void {
  const expected: Record<string, string> = { Status: 'ENABLED', KeyType: keyType };
  if (keyArn !== undefined) {
    expected.KeyARN = keyArn;
  }
  for (const [field, value] of Object.entries(expected)) {
    assertions
      .awsApiCall('Firehose', 'describeDeliveryStream', { DeliveryStreamName: streamName })
      .assertAtPath(`DeliveryStreamDescription.DeliveryStreamEncryptionConfiguration.${field}`, ExpectedResult.exact(value));
  }
}

const app = new App();
const streams = new StreamsStack(app, 'StreamEncryptionIntegStreams');

const encrypt = new EncryptionStack(app, 'StreamEncryptionIntegEncrypt', streams);
const customerKey = new DeliveryStreamEncryption(encrypt, 'CustomerKey', {
  deliveryStream: encrypt.importStream(STREAM_NAMES.CustomerKey),
  timeout: Duration.minutes(10),
});
new DeliveryStreamEncryption(encrypt, 'AwsOwnedKey', {
  deliveryStream: encrypt.importStream(STREAM_NAMES.AwsOwnedKey),
  encryption: firehose.StreamEncryption.awsOwnedKey(),
});

const rotateFrom = new EncryptionStack(app, 'StreamEncryptionIntegRotateFrom', streams);
new DeliveryStreamEncryption(rotateFrom, 'FirstKey', {
  deliveryStream: rotateFrom.importStream(STREAM_NAMES.Rotation),
});

// Deployed after RotateFrom (and destroyed before it): finds the stream
// ENABLED with the first key and switches it to the next one.
const rotateTo = new EncryptionStack(app, 'StreamEncryptionIntegRotateTo', rotateFrom);
// RotateFrom already encrypts this stream: taking it over from another stack is the point here.
Annotations.of(rotateTo).acknowledgeWarning(
  'cdk-stream-encryption:streamEncryptedFromTwoStacks',
  'RotateTo is deployed after RotateFrom and destroyed before it, to switch the stream to the next key',
);
const nextKey = new kms.Key(rotateTo, 'NextKey', {
  description: `Next key of the Firehose delivery stream ${STREAM_NAMES.Rotation} (integration test)`,
  enableKeyRotation: true,
  pendingWindow: Duration.days(7),
  removalPolicy: RemovalPolicy.DESTROY,
});
new DeliveryStreamEncryption(rotateTo, 'NextKeyEncryption', {
  deliveryStream: rotateTo.importStream(STREAM_NAMES.Rotation),
  encryption: firehose.StreamEncryption.customerManagedKey(nextKey),
});

const integ = new IntegTest(app, 'DeliveryStreamEncryptionInteg', {
  testCases: [streams, encrypt, rotateFrom, rotateTo],
  diffAssets: false,
  // the handler's policies are named by their content: any change replaces them by design
  allowDestroy: ['AWS::IAM::ManagedPolicy'],
});

expectEncryption(integ.assertions, STREAM_NAMES.CustomerKey, 'CUSTOMER_MANAGED_CMK', customerKey.encryptionKey!.keyArn);
expectEncryption(integ.assertions, STREAM_NAMES.AwsOwnedKey, 'AWS_OWNED_CMK');
expectEncryption(integ.assertions, STREAM_NAMES.Rotation, 'CUSTOMER_MANAGED_CMK', nextKey.keyArn);

app.synth();
