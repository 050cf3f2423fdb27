// A consumer's app in TypeScript, compiled with `tsc` (strict) against the
// installed packages' types and then run by `cdk synth` with the `cdk.json`
// that the column's CDK CLI writes for `cdk init app --language typescript`
// (its feature flags): every feature of cdk-stream-encryption at once, in two
// Stack classes, as `cdk init` writes an app. `nag.ts` is the column's
// cdk-nag generation's file, `nag-2.ts` or `nag-3.ts`, copied by
// `scripts/check-matrix.ts`. `../js/app.js` is the same app in JavaScript.
//
// - `MatrixTsKeys` owns a key; `MatrixTsStreams` encrypts an imported
//   delivery stream with a key the construct creates and an imported data
//   stream with that given key, under a stack-wide `StreamEncryptionGuard`
//   and the handler's log retention set for the stack, with key health
//   alarms on both.
// - `StreamEncryptionFixes` encrypts a second imported data stream that the
//   app leaves unencrypted, and `StreamEncryptionChecks` (level error) runs
//   after it; then the four cdk-nag packs.
// The stacks have no resources of their own but the key: every other
// resource is the library's.
import { App, AspectPriority, Aspects, Stack, StackProps } from 'aws-cdk-lib';
import { Stream } from 'aws-cdk-lib/aws-kinesis';
import { DeliveryStream } from 'aws-cdk-lib/aws-kinesisfirehose';
import { IKey, Key } from 'aws-cdk-lib/aws-kms';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  DataStreamEncryption,
  DeliveryStreamEncryption,
  StreamEncryptionCheckLevel,
  StreamEncryptionChecks,
  StreamEncryptionFixes,
  StreamEncryptionGuard,
  StreamEncryptionHandler,
} from 'cdk-stream-encryption';
import { Construct } from 'constructs';
import { addNagPacks, stripSuppressions } from './nag';

/** A stack that owns the key another stack gives a stream encryption. */
class KeysStack extends Stack {
  /** The key for the audit stream. */
  public readonly auditKey: IKey;

  constructor(scope: Construct, id: string, props: StackProps) {
    super(scope, id, props);
    this.auditKey = new Key(this, 'AuditKey', { enableKeyRotation: true, alias: 'matrix/audit' });
  }
}

/** What the streams stack needs from the keys stack. */
interface StreamsStackProps extends StackProps {
  /** The key the audit stream is encrypted with. */
  readonly auditKey: IKey;
}

/** A stack that encrypts streams it does not own, both kinds. */
class StreamsStack extends Stack {
  constructor(scope: Construct, id: string, props: StreamsStackProps) {
    super(scope, id, props);
    // The stack's settings: the handler's log retention, and every stream encryption guarded against drift.
    StreamEncryptionHandler.configure(this, { logRetention: RetentionDays.TWO_YEARS });
    StreamEncryptionGuard.configure(this, { maxRepairsPerStreamPerDay: 3 });
    const clicks = new DeliveryStreamEncryption(this, 'ClicksSse', {
      deliveryStream: DeliveryStream.fromDeliveryStreamName(this, 'Clicks', 'clicks'),
    });
    const audit = new DataStreamEncryption(this, 'AuditSse', {
      stream: Stream.fromStreamArn(this, 'Audit', 'arn:aws:kinesis:us-east-1:123456789012:stream/audit'),
      encryptionKey: props.auditKey,
    });
    clicks.addKeyHealthAlarms();
    audit.addKeyHealthAlarms();
    // Left unencrypted: StreamEncryptionFixes adds a DataStreamEncryption under it.
    Stream.fromStreamArn(this, 'Scratch', 'arn:aws:kinesis:us-east-1:123456789012:stream/scratch');
  }
}

const app = new App();
const env = { account: '123456789012', region: 'us-east-1' };
const keys = new KeysStack(app, 'MatrixTsKeys', { env });
new StreamsStack(app, 'MatrixTsStreams', { env, auditKey: keys.auditKey });

Aspects.of(app).add(new StreamEncryptionFixes(), { priority: AspectPriority.MUTATING });
Aspects.of(app).add(new StreamEncryptionChecks({ level: StreamEncryptionCheckLevel.ERROR }), { priority: AspectPriority.READONLY });
if (process.env.MATRIX_STRIP_SUPPRESSIONS === '1') {
  // Every construct of the app, the library's included, without its rule suppressions: the check must then fail.
  stripSuppressions(app.node.findAll());
}
addNagPacks(app);
