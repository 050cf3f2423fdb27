/**
 * Integration test: deploys Kinesis data streams that have no server-side
 * encryption of their own, encrypts them from another stack by ARN, and
 * asserts what Kinesis reports afterwards.
 *
 * - `Streams` owns two streams, as another team or tool would.
 * - `Encrypt` imports both by ARN: one with a key the construct creates, one
 *   with a key of its own given to the construct.
 *
 * CI only compares this app with its committed snapshot
 * (`integ.data-stream-encryption.ts.snapshot/`). To deploy it, see
 * CONTRIBUTING.md.
 */
import { ExpectedResult, IDeployAssert, IntegTest } from '@aws-cdk/integ-tests-alpha';
import { App, Duration, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { DataStreamEncryption } from '../src';

/** Names of the streams, fixed so the encrypting stack can import them as a user would. */
const STREAM_NAMES = {
  CreatedKey: 'cdk-sse-integ-kinesis-created-key',
  GivenKey: 'cdk-sse-integ-kinesis-given-key',
};

/** Data streams of one shard, defined without encryption. */
class StreamsStack extends Stack {
  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    for (const [streamId, streamName] of Object.entries(STREAM_NAMES)) {
      new kinesis.Stream(this, streamId, {
        streamName,
        shardCount: 1,
        encryption: kinesis.StreamEncryption.UNENCRYPTED,
        // The test writes no records, so nothing is lost when the stack goes.
        removalPolicy: RemovalPolicy.DESTROY,
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

  importStream(name: string): kinesis.IStream {
    return kinesis.Stream.fromStreamArn(
      this,
      `Import-${name}`,
      this.formatArn({ service: 'kinesis', resource: 'stream', resourceName: name }),
    );
  }
}

/** Assert what `DescribeStreamSummary` reports as the stream's encryption. */
function expectEncryption(assertions: IDeployAssert, streamName: string, keyArn: string): void {
  const expected: Record<string, string> = { EncryptionType: 'KMS', KeyId: keyArn };
  for (const [field, value] of Object.entries(expected)) {
    assertions
      .awsApiCall('Kinesis', 'describeStreamSummary', { StreamName: streamName })
      .assertAtPath(`StreamDescriptionSummary.${field}`, ExpectedResult.exact(value));
  }
}

const app = new App();
const streams = new StreamsStack(app, 'DataStreamEncryptionIntegStreams');

const encrypt = new EncryptionStack(app, 'DataStreamEncryptionIntegEncrypt', streams);
const createdKey = new DataStreamEncryption(encrypt, 'CreatedKey', {
  stream: encrypt.importStream(STREAM_NAMES.CreatedKey),
  timeout: Duration.minutes(10),
});
const givenKey = new kms.Key(encrypt, 'GivenKey', {
  description: `Key of the Kinesis data stream ${STREAM_NAMES.GivenKey} (integration test)`,
  enableKeyRotation: true,
  pendingWindow: Duration.days(7),
  removalPolicy: RemovalPolicy.DESTROY,
});
new DataStreamEncryption(encrypt, 'GivenKeyEncryption', {
  stream: encrypt.importStream(STREAM_NAMES.GivenKey),
  encryptionKey: givenKey,
});

const integ = new IntegTest(app, 'DataStreamEncryptionInteg', {
  testCases: [streams, encrypt],
  diffAssets: false,
  // the handler's policies are named by their content: any change replaces them by design
  allowDestroy: ['AWS::IAM::ManagedPolicy'],
});

expectEncryption(integ.assertions, STREAM_NAMES.CreatedKey, createdKey.encryptionKey!.keyArn);
expectEncryption(integ.assertions, STREAM_NAMES.GivenKey, givenKey.keyArn);

app.synth();
