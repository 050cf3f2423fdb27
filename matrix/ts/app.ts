// A consumer's app in TypeScript, compiled with `tsc` (strict) against the
// installed packages' types and then run by `cdk synth`: the same two stream
// encryptions as `../js/app.js`, written the way `cdk init` writes an app (a
// Stack class). `nag.ts` is the column's cdk-nag generation's file,
// `nag-2.ts` or `nag-3.ts`, copied by `scripts/check-matrix.ts`.
import { App, Stack, StackProps } from 'aws-cdk-lib';
import { DeliveryStream } from 'aws-cdk-lib/aws-kinesisfirehose';
import { Stream } from 'aws-cdk-lib/aws-kinesis';
import { DataStreamEncryption, DeliveryStreamEncryption, DeliveryStreamKeyType } from 'cdk-stream-encryption';
import { Construct, IConstruct } from 'constructs';
import { addNagPacks, stripSuppressions } from './nag';

/** A stack that encrypts two streams it does not own. */
class MatrixStack extends Stack {
  /** What cdk-stream-encryption added: the provider, the guard and the alert topic, and both encryptions with their key health alarms. */
  public readonly libraryConstructs: IConstruct[];

  constructor(scope: Construct, id: string, props: StackProps) {
    super(scope, id, props);
    const clicks = new DeliveryStreamEncryption(this, 'ClicksSse', {
      deliveryStream: DeliveryStream.fromDeliveryStreamName(this, 'Clicks', 'clicks'),
      keyType: DeliveryStreamKeyType.CUSTOMER_MANAGED_CMK,
      // Under the stack's guard: its function, role, rule and alert topic are checked too.
      repair: true,
    });
    const audit = new DataStreamEncryption(this, 'AuditSse', {
      stream: Stream.fromStreamArn(this, 'Audit', 'arn:aws:kinesis:us-east-1:123456789012:stream/audit'),
    });
    // Key health alarms (alarms, the key events rule, the alert topic): checked too.
    clicks.addKeyHealthAlarms();
    audit.addKeyHealthAlarms();
    this.libraryConstructs = [
      this.node.findChild('CdkStreamEncryptionProvider'),
      this.node.findChild('CdkStreamEncryptionGuard'),
      this.node.findChild('CdkStreamEncryptionAlerts'),
      clicks,
      audit,
    ];
  }
}

const app = new App();
const stack = new MatrixStack(app, 'MatrixTs', { env: { account: '123456789012', region: 'us-east-1' } });
if (process.env.MATRIX_STRIP_SUPPRESSIONS === '1') {
  stripSuppressions(stack.libraryConstructs.flatMap((c) => c.node.findAll()));
}
addNagPacks(app);
