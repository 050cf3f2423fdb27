import { App, Duration, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
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
   * Whether the stack also encrypts the Kinesis data stream `events`, created
   * elsewhere and imported by ARN, with a DataStreamEncryption, and reads it
   * with a consumer function. The CDK CLI
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
 * An application stack that encrypts streams other teams created, which
 * CloudFormation cannot encrypt: the delivery streams `orders` and `clicks`,
 * imported by name, each with a key of its own. A producer function may write
 * to `orders`. With `dataStream`, a third stream: the Kinesis data stream
 * `events`, imported by ARN, encrypted with a key of its own and read by a
 * consumer. (A stream this stack created itself would be encrypted by its
 * own `encryption` prop instead.)
 */
export class ExampleStack extends Stack {
  /** Encryption of the imported `orders` stream. */
  public readonly ordersEncryption: DeliveryStreamEncryption;
  /** Encryption of the imported `clicks` stream. */
  public readonly clicksEncryption: DeliveryStreamEncryption;
  /** Encryption of the imported Kinesis data stream `events` (with `dataStream` only). */
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
      encryption: firehose.StreamEncryption.customerManagedKey(keyFor('Orders')),
      timeout: Duration.minutes(10),
      repair: props.repair,
    });

    // A Direct PUT stream another tool created (a stream this stack defined would use its own
    // `encryption` prop, which CloudFormation applies with no custom resource).
    const clicks = firehose.DeliveryStream.fromDeliveryStreamName(this, 'Clicks', 'clicks');
    this.clicksEncryption = new DeliveryStreamEncryption(this, 'ClicksEncryption', {
      deliveryStream: clicks,
      encryption: firehose.StreamEncryption.customerManagedKey(keyFor('Clicks')),
    });

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
      // A Kinesis data stream of another stack or tool, imported by its ARN in this stack's account and region.
      const events = kinesis.Stream.fromStreamArn(this, 'Events', this.formatArn({ service: 'kinesis', resource: 'stream', resourceName: 'events' }));
      this.eventsEncryption = new DataStreamEncryption(this, 'EventsEncryption', { stream: events, encryptionKey: keyFor('Events', 'kinesis') });

      // A consumer that reads `events`: the stream's read grant, plus kms:Decrypt on its key through Kinesis for this
      // stream only, on the stream as the encryption hands it back.
      const consumer = new lambda.Function(this, 'EventsConsumer', {
        runtime: lambda.Runtime.NODEJS_22_X,
        handler: 'index.handler',
        code: lambda.Code.fromInline(
          'exports.handler = async (event) => {\n' +
            "  for (const record of event.Records) console.log(Buffer.from(record.kinesis.data, 'base64').toString());\n" +
            '};\n',
        ),
      });
      this.eventsEncryption.encryptedStream.grantRead(consumer);
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
