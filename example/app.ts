import { App, Duration, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { DataStreamEncryption, DeliveryStreamEncryption } from '../src';

/** Options of the example stack. */
export interface ExampleStackProps extends StackProps {
  /**
   * Which generation of keys encrypts the streams. Generation 1 (the default)
   * lets each DeliveryStreamEncryption create its own key; a later generation
   * brings new keys, so deploying it rotates both streams to them.
   *
   * @default 1
   */
  readonly keyGeneration?: number;

  /**
   * Whether the stack also has the Kinesis data stream `events`, encrypted
   * with a DataStreamEncryption and read by a consumer function. The CDK CLI
   * (`cdk synth` in this folder) and `npm run demo` turn it on.
   *
   * @default false
   */
  readonly dataStream?: boolean;

  /**
   * Whether the stack's guard repairs the encryption of `orders` when it is
   * turned off or changed outside the stack (`repair: true`). `npm run demo`
   * turns it on.
   *
   * @default false
   */
  readonly repair?: boolean;
}

/**
 * An application stack that encrypts two delivery streams with keys of its own:
 * `orders`, created elsewhere and imported by name, and `clicks`, created here
 * without encryption. A producer function may write to `orders`. With
 * `dataStream`, a third stream: the Kinesis data stream `events`, created here
 * without encryption, encrypted with a key of its own and read by a consumer.
 */
export class ExampleStack extends Stack {
  /** Encryption of the imported `orders` stream. */
  public readonly ordersEncryption: DeliveryStreamEncryption;
  /** Encryption of the `clicks` stream created in this stack. */
  public readonly clicksEncryption: DeliveryStreamEncryption;
  /** Encryption of the Kinesis data stream `events` created in this stack (with `dataStream` only). */
  public readonly eventsEncryption?: DataStreamEncryption;

  constructor(scope: Construct, id: string, props: ExampleStackProps = {}) {
    super(scope, id, props);
    const generation = props.keyGeneration ?? 1;

    // From generation 2 on, the streams get new keys: a deployment rotates them.
    const keyFor = (stream: string, service: 'firehose' | 'kinesis' = 'firehose'): kms.IKey | undefined => generation === 1 ? undefined : new kms.Key(this, `${stream}KeyGen${generation}`, {
      description: `Server-side encryption of the ${service === 'firehose' ? 'Firehose delivery' : 'Kinesis data'} stream ${stream.toLowerCase()}, generation ${generation}`,
      enableKeyRotation: true,
      alias: `alias/${service}-sse/${stream.toLowerCase()}-gen${generation}`,
      // Kept when the stack or a rotation drops it: records written under it (Firehose buffers them
      // up to 24 h, a data stream keeps them for its retention period) need it to be read.
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // A stream that another team created with the console: imported by name.
    const orders = firehose.DeliveryStream.fromDeliveryStreamName(this, 'Orders', 'orders');
    this.ordersEncryption = new DeliveryStreamEncryption(this, 'OrdersEncryption', {
      deliveryStream: orders,
      encryptionKey: keyFor('Orders'),
      timeout: Duration.minutes(10),
      repair: props.repair,
    });

    // A Direct PUT stream defined right here, left unencrypted by its own definition.
    const archive = new s3.Bucket(this, 'ClicksArchive', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const clicks = new firehose.DeliveryStream(this, 'Clicks', {
      deliveryStreamName: 'clicks',
      destination: new firehose.S3Bucket(archive),
    });
    this.clicksEncryption = new DeliveryStreamEncryption(this, 'ClicksEncryption', { deliveryStream: clicks, encryptionKey: keyFor('Clicks') });

    // A producer that writes to `orders`: granted the Firehose and KMS actions it needs, on the
    // stream as the encryption hands it back, so the grant is in force only once it is ENABLED.
    const producer = new lambda.Function(this, 'OrdersProducer', {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline(
        "const { FirehoseClient, PutRecordCommand } = require('@aws-sdk/client-firehose');\n" +
          'const client = new FirehoseClient({});\n' +
          'exports.handler = async (event) => client.send(new PutRecordCommand({\n' +
          "  DeliveryStreamName: 'orders', Record: { Data: Buffer.from(JSON.stringify(event)) },\n" +
          '}));\n',
      ),
    });
    this.ordersEncryption.encryptedDeliveryStream.grantPutRecords(producer);

    if (props.dataStream) {
      // A Kinesis data stream defined right here, left unencrypted by its own definition
      // (a kinesis.Stream is encrypted with alias/aws/kinesis unless told otherwise).
      const events = new kinesis.Stream(this, 'Events', {
        streamName: 'events',
        streamMode: kinesis.StreamMode.ON_DEMAND,
        encryption: kinesis.StreamEncryption.UNENCRYPTED,
        removalPolicy: RemovalPolicy.DESTROY,
      });
      this.eventsEncryption = new DataStreamEncryption(this, 'EventsEncryption', { stream: events, encryptionKey: keyFor('Events', 'kinesis') });

      // A consumer that reads `events`: the stream's read grant, plus kms:Decrypt on its key through Kinesis for this stream only.
      const consumer = new lambda.Function(this, 'EventsConsumer', {
        runtime: lambda.Runtime.NODEJS_22_X,
        handler: 'index.handler',
        code: lambda.Code.fromInline(
          'exports.handler = async (event) => {\n' +
            "  for (const record of event.Records) console.log(Buffer.from(record.kinesis.data, 'base64').toString());\n" +
            '};\n',
        ),
      });
      this.eventsEncryption.grantRead(consumer);
    }
  }
}

/**
 * Build the example app; `outdir` defaults to CDK's own choice (`cdk.out`).
 * `keyGeneration` above 1 gives the streams new keys, `dataStream` adds
 * the Kinesis data stream `events`, and `repair` puts `orders` under the
 * stack's guard (see `ExampleStackProps`).
 */
export function buildExampleApp(
  outdir?: string,
  options: { keyGeneration?: number; dataStream?: boolean; repair?: boolean } = {},
): { app: App; stack: ExampleStack } {
  const app = new App({ outdir });
  const stack = new ExampleStack(app, 'StreamEncryptionExample', {
    env: { account: process.env.CDK_DEFAULT_ACCOUNT ?? '123456789012', region: process.env.CDK_DEFAULT_REGION ?? 'us-east-1' },
    keyGeneration: options.keyGeneration,
    dataStream: options.dataStream,
    repair: options.repair,
  });
  return { app, stack };
}

if (require.main === module) {
  // The whole example: both delivery streams and the Kinesis data stream.
  buildExampleApp(undefined, { dataStream: true }).app.synth();
}
