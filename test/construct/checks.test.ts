/**
 * StreamEncryptionChecks finds the streams of an app that are not encrypted at rest, and
 * StreamEncryptionFixes encrypts them; the library's constructs acknowledge cdk-nag's rules on the
 * encryption of a stream defined in the app that they encrypt.
 */
import * as cdk from 'aws-cdk-lib';
import { Annotations as AppAnnotations, App, AspectPriority, Aspects, CfnResource, IAspect, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, PCIDSS321Checks } from 'cdk-nag';
import { IConstruct } from 'constructs';
import {
  DataStreamEncryption,
  DeliveryStreamEncryption,
  StreamEncryptionCheck,
  StreamEncryptionCheckLevel,
  StreamEncryptionChecks,
  StreamEncryptionChecksProps,
  StreamEncryptionFixes,
  StreamEncryptionFixesProps,
} from '../../src';
import { NAG_SUPPRESSIONS } from '../../src/private/nag';
import { PROVIDER_ID } from '../../src/private/provider';

const ENV = { account: '123456789012', region: 'eu-west-1' };
const EVENTS_ARN = 'arn:aws:kinesis:eu-west-1:123456789012:stream/events';

/** A fresh app and stack. */
function newApp(): { app: App; stack: Stack } {
  const app = new App();
  return { app, stack: new Stack(app, 'Stack', { env: ENV }) };
}

/** A Direct PUT delivery stream defined in `stack`, to S3. */
function deliveryStream(stack: Stack, id = 'Clicks', props: Partial<firehose.DeliveryStreamProps> = {}): firehose.DeliveryStream {
  const bucket = (stack.node.tryFindChild('Bucket') as s3.Bucket | undefined) ?? new s3.Bucket(stack, 'Bucket');
  return new firehose.DeliveryStream(stack, id, { destination: new firehose.S3Bucket(bucket), ...props });
}

/** A data stream defined in `stack` without encryption. */
function dataStream(stack: Stack, id = 'Audit'): kinesis.Stream {
  return new kinesis.Stream(stack, id, { encryption: kinesis.StreamEncryption.UNENCRYPTED });
}

/** The delivery stream `orders` and the data stream `events`, imported into `stack`. */
function importedStreams(stack: Stack): { orders: firehose.IDeliveryStream; events: kinesis.IStream } {
  return {
    orders: firehose.DeliveryStream.fromDeliveryStreamName(stack, 'Orders', 'orders'),
    events: kinesis.Stream.fromStreamArn(stack, 'Events', EVENTS_ARN),
  };
}

/** A fresh app whose stack has a stream for each check: a delivery stream and a data stream defined in it, and one of each imported. */
function appWithEveryStream(): { app: App; stack: Stack } {
  const made = newApp();
  deliveryStream(made.stack);
  dataStream(made.stack);
  importedStreams(made.stack);
  return made;
}

/** The checks' warnings (or errors) of `which` in the synthesized stack, as `path: message`. */
function reported(stack: Stack, which: StreamEncryptionCheck, level: 'warning' | 'error' = 'warning'): string[] {
  const annotations = Annotations.fromStack(stack);
  const pattern = Match.stringLikeRegexp(`\\[ack: ${which.id}\\]`);
  const found = level === 'warning' ? annotations.findWarning('*', pattern) : annotations.findError('*', pattern);
  return found.map((m) => `${m.id}: ${String(m.entry.data)}`);
}

/** The paths that `which` reports in the synthesized stack. */
function reportedPaths(stack: Stack, which: StreamEncryptionCheck, level: 'warning' | 'error' = 'warning'): string[] {
  return reported(stack, which, level).map((r) => r.split(': ')[0]).sort();
}

/** Add the checks to `scope`. */
function check(scope: IConstruct, props?: StreamEncryptionChecksProps): void {
  Aspects.of(scope).add(new StreamEncryptionChecks(props), { priority: AspectPriority.READONLY });
}

/** Add the fixes to `scope`. */
function fix(scope: IConstruct, props?: StreamEncryptionFixesProps): void {
  Aspects.of(scope).add(new StreamEncryptionFixes(props), { priority: AspectPriority.MUTATING });
}

describe('StreamEncryptionChecks', () => {
  describe(StreamEncryptionCheck.UNENCRYPTED_DELIVERY_STREAM.id, () => {
    test('is raised on the L1 resource of a Direct PUT delivery stream without encryption, naming it and the ways out', () => {
      const { app, stack } = newApp();
      deliveryStream(stack);
      check(app);
      const found = reported(stack, StreamEncryptionCheck.UNENCRYPTED_DELIVERY_STREAM);
      expect(found).toHaveLength(1);
      expect(found[0]).toMatch(/^\/Stack\/Clicks\/Resource: Delivery stream Stack\/Clicks\/Resource \(Direct PUT\) has no server-side encryption/);
      expect(found[0]).toContain('StreamEncryptionFixes');
      expect(found[0]).toContain(`acknowledgeWarning('${StreamEncryptionCheck.UNENCRYPTED_DELIVERY_STREAM.id}', reason)`);
    });

    test('is raised on a CfnDeliveryStream written as an L1, and not on one with a Kinesis source', () => {
      const { app, stack } = newApp();
      new firehose.CfnDeliveryStream(stack, 'Raw', { deliveryStreamType: 'DirectPut' });
      new firehose.CfnDeliveryStream(stack, 'FromKinesis', {
        deliveryStreamType: 'KinesisStreamAsSource',
        kinesisStreamSourceConfiguration: { kinesisStreamArn: EVENTS_ARN, roleArn: 'arn:aws:iam::123456789012:role/r' },
      });
      check(app);
      expect(reportedPaths(stack, StreamEncryptionCheck.UNENCRYPTED_DELIVERY_STREAM)).toEqual(['/Stack/Raw']);
    });

    test('is not raised on a delivery stream with its own encryption, nor on one a DeliveryStreamEncryption encrypts', () => {
      const { app, stack } = newApp();
      deliveryStream(stack, 'Owned', { encryption: firehose.StreamEncryption.awsOwnedKey() });
      new DeliveryStreamEncryption(stack, 'ClicksSse', { deliveryStream: deliveryStream(stack, 'Clicks', { deliveryStreamName: 'clicks' }) });
      deliveryStream(stack, 'Plain');
      check(app);
      expect(reportedPaths(stack, StreamEncryptionCheck.UNENCRYPTED_DELIVERY_STREAM)).toEqual(['/Stack/Plain/Resource']);
    });
  });

  describe(StreamEncryptionCheck.UNENCRYPTED_DATA_STREAM.id, () => {
    test('is raised on a data stream without StreamEncryption, and not on a kinesis.Stream with its default encryption', () => {
      const { app, stack } = newApp();
      dataStream(stack);
      new kinesis.Stream(stack, 'Default');
      new kinesis.Stream(stack, 'Managed', { encryption: kinesis.StreamEncryption.MANAGED });
      check(app);
      const found = reported(stack, StreamEncryptionCheck.UNENCRYPTED_DATA_STREAM);
      expect(found).toHaveLength(1);
      expect(found[0]).toMatch(/^\/Stack\/Audit\/Resource: Kinesis data stream Stack\/Audit\/Resource has no server-side encryption/);
    });

    test('is not raised on a data stream a DataStreamEncryption encrypts', () => {
      const { app, stack } = newApp();
      new DataStreamEncryption(stack, 'AuditSse', { stream: dataStream(stack) });
      check(app);
      expect(reported(stack, StreamEncryptionCheck.UNENCRYPTED_DATA_STREAM)).toEqual([]);
      expect(Object.keys(Template.fromStack(stack).findResources('Custom::DataStreamEncryption'))).toHaveLength(1);
    });
  });

  describe(StreamEncryptionCheck.IMPORTED_DELIVERY_STREAM_NOT_ENCRYPTED.id, () => {
    test('is raised on a delivery stream imported by name or ARN that no construct encrypts', () => {
      const { app, stack } = newApp();
      firehose.DeliveryStream.fromDeliveryStreamName(stack, 'Orders', 'orders');
      firehose.DeliveryStream.fromDeliveryStreamArn(stack, 'Audit', 'arn:aws:firehose:eu-west-1:123456789012:deliverystream/audit');
      check(app);
      const found = reported(stack, StreamEncryptionCheck.IMPORTED_DELIVERY_STREAM_NOT_ENCRYPTED);
      expect(found.map((f) => f.split(': ')[0]).sort()).toEqual(['/Stack/Audit', '/Stack/Orders']);
      expect(found.find((f) => f.startsWith('/Stack/Orders'))).toContain(
        'Delivery stream orders imported at Stack/Orders is not encrypted by any DeliveryStreamEncryption in the app',
      );
    });

    test('is not raised when a DeliveryStreamEncryption encrypts it, through this import or another import of the same stream', () => {
      const { app, stack } = newApp();
      const orders = firehose.DeliveryStream.fromDeliveryStreamName(stack, 'Orders', 'orders');
      new DeliveryStreamEncryption(stack, 'OrdersSse', { deliveryStream: orders });
      // the same stream, imported again by its ARN, is covered by the construct on the first import
      firehose.DeliveryStream.fromDeliveryStreamArn(stack, 'OrdersByArn', 'arn:aws:firehose:eu-west-1:123456789012:deliverystream/orders');
      firehose.DeliveryStream.fromDeliveryStreamName(stack, 'Other', 'other');
      check(app);
      expect(reportedPaths(stack, StreamEncryptionCheck.IMPORTED_DELIVERY_STREAM_NOT_ENCRYPTED)).toEqual(['/Stack/Other']);
    });

    test('is not raised when a DeliveryStreamEncryption in another stack of the app encrypts the same import', () => {
      const { app, stack } = newApp();
      const orders = firehose.DeliveryStream.fromDeliveryStreamName(stack, 'Orders', 'orders');
      new DeliveryStreamEncryption(new Stack(app, 'Other', { env: ENV }), 'OrdersSse', { deliveryStream: orders });
      check(app);
      expect(reported(stack, StreamEncryptionCheck.IMPORTED_DELIVERY_STREAM_NOT_ENCRYPTED)).toEqual([]);
    });
  });

  test('a stream encrypted in one Stage covers the same import in that Stage only', () => {
    const app = new App();
    const importIn = (stage: cdk.Stage) => {
      const stack = new Stack(stage, 'Stack');
      return { stack, orders: firehose.DeliveryStream.fromDeliveryStreamName(stack, 'Orders', 'orders') };
    };
    const prod = importIn(new cdk.Stage(app, 'Prod'));
    const dev = importIn(new cdk.Stage(app, 'Dev'));
    new DeliveryStreamEncryption(prod.stack, 'OrdersSse', { deliveryStream: prod.orders });
    for (const stage of app.node.children) {
      check(stage);
    }
    app.synth();
    expect(reported(prod.stack, StreamEncryptionCheck.IMPORTED_DELIVERY_STREAM_NOT_ENCRYPTED)).toEqual([]);
    expect(reportedPaths(dev.stack, StreamEncryptionCheck.IMPORTED_DELIVERY_STREAM_NOT_ENCRYPTED)).toEqual(['/Dev/Stack/Orders']);
  });

  describe(StreamEncryptionCheck.IMPORTED_DATA_STREAM_NOT_ENCRYPTED.id, () => {
    test('is raised on a data stream imported by ARN that no construct encrypts, and not on one imported with its key', () => {
      const { app, stack } = newApp();
      kinesis.Stream.fromStreamArn(stack, 'Events', EVENTS_ARN);
      kinesis.Stream.fromStreamAttributes(stack, 'Keyed', {
        streamArn: 'arn:aws:kinesis:eu-west-1:123456789012:stream/keyed',
        encryptionKey: kms.Key.fromKeyArn(stack, 'Key', 'arn:aws:kms:eu-west-1:123456789012:key/1a2b3c4d-5e6f-1a2b-3c4d-5e6f1a2b3c4d'),
      });
      check(app);
      const found = reported(stack, StreamEncryptionCheck.IMPORTED_DATA_STREAM_NOT_ENCRYPTED);
      expect(found).toHaveLength(1);
      expect(found[0]).toContain('/Stack/Events: Kinesis data stream events imported at Stack/Events is not encrypted by any DataStreamEncryption');
    });

    test('is not raised when a DataStreamEncryption encrypts it', () => {
      const { app, stack } = newApp();
      new DataStreamEncryption(stack, 'EventsSse', { stream: kinesis.Stream.fromStreamArn(stack, 'Events', EVENTS_ARN) });
      check(app);
      expect(reported(stack, StreamEncryptionCheck.IMPORTED_DATA_STREAM_NOT_ENCRYPTED)).toEqual([]);
    });
  });

  describe('acknowledgements', () => {
    /** A stack with one unencrypted stream of each kind. */
    function everyKind(): { app: App; stack: Stack; streams: IConstruct[] } {
      const { app, stack } = newApp();
      const streams = [
        deliveryStream(stack),
        dataStream(stack),
        firehose.DeliveryStream.fromDeliveryStreamName(stack, 'Orders', 'orders'),
        kinesis.Stream.fromStreamArn(stack, 'Events', EVENTS_ARN),
      ];
      return { app, stack, streams };
    }

    test.each([StreamEncryptionCheckLevel.WARNING, StreamEncryptionCheckLevel.ERROR])(
      'each id, acknowledged on the stream itself or on a scope above it, is not reported at level %s',
      (level) => {
        const { app, stack, streams } = everyKind();
        const kind = level === StreamEncryptionCheckLevel.ERROR ? 'error' : 'warning';
        AppAnnotations.of(streams[0]).acknowledgeWarning(StreamEncryptionCheck.UNENCRYPTED_DELIVERY_STREAM.id, 'test records only');
        AppAnnotations.of(stack).acknowledgeWarning(StreamEncryptionCheck.UNENCRYPTED_DATA_STREAM.id, 'test records only');
        AppAnnotations.of(streams[2]).acknowledgeWarning(StreamEncryptionCheck.IMPORTED_DELIVERY_STREAM_NOT_ENCRYPTED.id, 'another team encrypts it');
        AppAnnotations.of(stack).acknowledgeWarning(StreamEncryptionCheck.IMPORTED_DATA_STREAM_NOT_ENCRYPTED.id, 'another team encrypts it');
        check(app, { level });
        for (const c of StreamEncryptionCheck.ALL) {
          expect(reported(stack, c, kind)).toEqual([]);
        }
      },
    );

    test('acknowledging one id leaves the others reported, at both levels', () => {
      for (const level of [StreamEncryptionCheckLevel.WARNING, StreamEncryptionCheckLevel.ERROR]) {
        const { app, stack, streams } = everyKind();
        for (const s of streams) {
          AppAnnotations.of(s).acknowledgeWarning(StreamEncryptionCheck.IMPORTED_DATA_STREAM_NOT_ENCRYPTED.id, 'not this one');
        }
        check(app, { level });
        const kind = level === StreamEncryptionCheckLevel.ERROR ? 'error' : 'warning';
        expect(reportedPaths(stack, StreamEncryptionCheck.UNENCRYPTED_DELIVERY_STREAM, kind)).toEqual(['/Stack/Clicks/Resource']);
        expect(reportedPaths(stack, StreamEncryptionCheck.UNENCRYPTED_DATA_STREAM, kind)).toEqual(['/Stack/Audit/Resource']);
        expect(reportedPaths(stack, StreamEncryptionCheck.IMPORTED_DELIVERY_STREAM_NOT_ENCRYPTED, kind)).toEqual(['/Stack/Orders']);
        expect(reportedPaths(stack, StreamEncryptionCheck.IMPORTED_DATA_STREAM_NOT_ENCRYPTED, kind)).toEqual([]);
      }
    });

    test('asking leaves no construct behind', () => {
      const { app, stack } = everyKind();
      check(app);
      app.synth();
      expect(stack.node.findAll().filter((c) => c.node.id.includes('Probe'))).toEqual([]);
      expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('^probe'))).toEqual([]);
    });
  });

  test('level ERROR reports errors, with the id to acknowledge, and no warnings', () => {
    const { app, stack } = newApp();
    deliveryStream(stack);
    check(app, { level: StreamEncryptionCheckLevel.ERROR });
    expect(reportedPaths(stack, StreamEncryptionCheck.UNENCRYPTED_DELIVERY_STREAM, 'error')).toEqual(['/Stack/Clicks/Resource']);
    expect(reported(stack, StreamEncryptionCheck.UNENCRYPTED_DELIVERY_STREAM, 'warning')).toEqual([]);
  });

  test('checks runs only the checks it names', () => {
    const { app, stack } = newApp();
    deliveryStream(stack);
    dataStream(stack);
    check(app, { checks: [StreamEncryptionCheck.UNENCRYPTED_DATA_STREAM] });
    expect(reported(stack, StreamEncryptionCheck.UNENCRYPTED_DELIVERY_STREAM)).toEqual([]);
    expect(reportedPaths(stack, StreamEncryptionCheck.UNENCRYPTED_DATA_STREAM)).toEqual(['/Stack/Audit/Resource']);
  });

  test('ALL lists each check once, with ids of the library', () => {
    const ids = StreamEncryptionCheck.ALL.map((c) => c.id);
    expect(new Set(ids).size).toBe(4);
    for (const id of ids) {
      expect(id).toMatch(/^cdk-stream-encryption:[A-Z][A-Za-z]+$/);
    }
  });
});

describe('StreamEncryptionFixes', () => {
  test('sets the L1 encryption of a Direct PUT delivery stream the app defines: a key owned by AWS by default', () => {
    const { app, stack } = newApp();
    deliveryStream(stack);
    fix(app);
    Template.fromStack(stack).hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      DeliveryStreamEncryptionConfigurationInput: { KeyType: 'AWS_OWNED_CMK' },
    });
    expect(Template.fromStack(stack).toJSON().Resources).not.toHaveProperty([PROVIDER_ID]);
  });

  test('sets the L1 encryption of a delivery stream and a data stream the app defines to the given keys', () => {
    const { app, stack } = newApp();
    deliveryStream(stack);
    dataStream(stack);
    const firehoseKey = new kms.Key(stack, 'FirehoseKey', { enableKeyRotation: true });
    const kinesisKey = new kms.Key(stack, 'KinesisKey', { enableKeyRotation: true });
    fix(app, { deliveryStreamKey: firehoseKey, dataStreamKey: kinesisKey });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      DeliveryStreamEncryptionConfigurationInput: { KeyType: 'CUSTOMER_MANAGED_CMK', KeyARN: stack.resolve(firehoseKey.keyArn) },
    });
    template.hasResourceProperties('AWS::Kinesis::Stream', {
      StreamEncryption: { EncryptionType: 'KMS', KeyId: stack.resolve(kinesisKey.keyArn) },
    });
  });

  test('sets the L1 encryption of a data stream the app defines to alias/aws/kinesis by default', () => {
    const { app, stack } = newApp();
    dataStream(stack);
    fix(app);
    Template.fromStack(stack).hasResourceProperties('AWS::Kinesis::Stream', {
      StreamEncryption: { EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' },
    });
  });

  test('adds a DeliveryStreamEncryption (AWS_OWNED_CMK) and a DataStreamEncryption (KINESIS_MANAGED) for imported streams', () => {
    const { app, stack } = newApp();
    const { orders, events } = importedStreams(stack);
    fix(app);
    const template = Template.fromStack(stack);
    template.resourcePropertiesCountIs('Custom::DeliveryStreamEncryption', { DeliveryStreamName: 'orders', KeyType: 'AWS_OWNED_CMK' }, 1);
    template.resourcePropertiesCountIs('Custom::DataStreamEncryption', { StreamArn: EVENTS_ARN, KeyId: 'alias/aws/kinesis' }, 1);
    expect(orders.node.tryFindChild('Encryption')).toBeInstanceOf(DeliveryStreamEncryption);
    expect(events.node.tryFindChild('Encryption')).toBeInstanceOf(DataStreamEncryption);
    // one provider for both, with the handler allowed only these streams
    template.resourceCountIs('AWS::Lambda::Function', 1);
  });

  test('gives the imported streams\' encryptions the given keys', () => {
    const { app, stack } = newApp();
    importedStreams(stack);
    const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
    fix(app, { deliveryStreamKey: key, dataStreamKey: key });
    const template = Template.fromStack(stack);
    template.resourcePropertiesCountIs('Custom::DeliveryStreamEncryption', { KeyType: 'CUSTOMER_MANAGED_CMK', KeyArn: stack.resolve(key.keyArn) }, 1);
    template.resourcePropertiesCountIs('Custom::DataStreamEncryption', { KeyId: stack.resolve(key.keyArn) }, 1);
  });

  test('an imported stream the construct refuses fails the synth naming the import and how to leave it; acknowledged, it passes', () => {
    const foreignArn = 'arn:aws:firehose:eu-west-1:210987654321:deliverystream/partner';
    const refused = newApp();
    firehose.DeliveryStream.fromDeliveryStreamArn(refused.stack, 'Partner', foreignArn);
    fix(refused.app);
    expect(() => refused.app.synth()).toThrow(
      new RegExp(`^Stack/Partner: StreamEncryptionFixes cannot encrypt this imported stream: .*210987654321.*acknowledgeWarning\\('${StreamEncryptionCheck.IMPORTED_DELIVERY_STREAM_NOT_ENCRYPTED.id}', reason\\)`),
    );

    const acknowledged = newApp();
    const partner = firehose.DeliveryStream.fromDeliveryStreamArn(acknowledged.stack, 'Partner', foreignArn);
    AppAnnotations.of(partner).acknowledgeWarning(StreamEncryptionCheck.IMPORTED_DELIVERY_STREAM_NOT_ENCRYPTED.id, 'the partner encrypts it');
    fix(acknowledged.app);
    acknowledged.app.synth();
    expect(partner.node.tryFindChild('Encryption')).toBeUndefined();
  });

  test('leaves covered, encrypted and acknowledged streams as they are, and fixes only the checks it names', () => {
    const { app, stack } = newApp();
    const covered = firehose.DeliveryStream.fromDeliveryStreamName(stack, 'Orders', 'orders');
    new DeliveryStreamEncryption(stack, 'OrdersSse', { deliveryStream: covered });
    const acknowledged = firehose.DeliveryStream.fromDeliveryStreamName(stack, 'Scratch', 'scratch');
    AppAnnotations.of(acknowledged).acknowledgeWarning(StreamEncryptionCheck.IMPORTED_DELIVERY_STREAM_NOT_ENCRYPTED.id, 'test data');
    const plain = deliveryStream(stack, 'Plain');
    dataStream(stack);
    fix(app, { checks: [StreamEncryptionCheck.IMPORTED_DELIVERY_STREAM_NOT_ENCRYPTED, StreamEncryptionCheck.UNENCRYPTED_DATA_STREAM] });
    const template = Template.fromStack(stack);
    expect(covered.node.tryFindChild('Encryption')).toBeUndefined();
    expect(acknowledged.node.tryFindChild('Encryption')).toBeUndefined();
    template.resourceCountIs('Custom::DeliveryStreamEncryption', 1);
    expect((plain.node.defaultChild as firehose.CfnDeliveryStream).deliveryStreamEncryptionConfigurationInput).toBeUndefined();
    template.hasResourceProperties('AWS::Kinesis::Stream', { StreamEncryption: { EncryptionType: 'KMS' } });
  });

  test('the checks find nothing left after the fixes, whatever order the Aspects are added in', () => {
    const { app, stack } = appWithEveryStream();
    check(app);
    fix(app);
    for (const c of StreamEncryptionCheck.ALL) {
      expect(reported(stack, c)).toEqual([]);
    }
  });

  test('without the fixes, the same app is reported once per stream (the test above can fail)', () => {
    const { app, stack } = appWithEveryStream();
    check(app);
    expect(StreamEncryptionCheck.ALL.map((c) => reported(stack, c).length)).toEqual([1, 1, 1, 1]);
  });
});

/** cdk-nag 2's four packs on `app`, reporting suppressed findings too (so that what they visited shows). */
function addNagPacks(app: App): void {
  for (const Pack of [AwsSolutionsChecks, NIST80053R5Checks, HIPAASecurityChecks, PCIDSS321Checks]) {
    Aspects.of(app).add(new Pack({ logIgnores: true, reports: false }));
  }
}

/** cdk-nag errors of rule `rule` (e.g. `AwsSolutions-KDF1`) at or below `path`. */
function nagErrors(stack: Stack, rule: string, path = '/'): string[] {
  return Annotations.fromStack(stack)
    .findError('*', Match.stringLikeRegexp(`^${rule.replace(/\./g, '\\.')}:`))
    .map((m) => m.id)
    .filter((id) => id.startsWith(path));
}

describe('cdk-nag (cdk-nag 2 in this app)', () => {
  test('a delivery stream defined in the app and encrypted by a DeliveryStreamEncryption has no KDF1 finding', () => {
    const { app, stack } = newApp();
    new DeliveryStreamEncryption(stack, 'ClicksSse', { deliveryStream: deliveryStream(stack) });
    addNagPacks(app);
    app.synth();
    expect(nagErrors(stack, 'AwsSolutions-KDF1')).toEqual([]);
  });

  test('without the construct, the same delivery stream has a KDF1 finding', () => {
    const { app, stack } = newApp();
    deliveryStream(stack);
    addNagPacks(app);
    app.synth();
    expect(nagErrors(stack, 'AwsSolutions-KDF1')).toEqual(['/Stack/Clicks/Resource']);
  });

  test('a data stream defined in the app has a KDS1 finding without a DataStreamEncryption, and none with it', () => {
    const plain = newApp();
    dataStream(plain.stack);
    addNagPacks(plain.app);
    plain.app.synth();
    expect(nagErrors(plain.stack, 'AwsSolutions-KDS1')).toEqual(['/Stack/Audit/Resource']);

    const encrypted = newApp();
    new DataStreamEncryption(encrypted.stack, 'AuditSse', { stream: dataStream(encrypted.stack) });
    addNagPacks(encrypted.app);
    encrypted.app.synth();
    expect(nagErrors(encrypted.stack, 'AwsSolutions-KDS1')).toEqual([]);
  });

  test('the suppression carries its reason, and the app\'s own cdk_nag suppressions on the stream stay', () => {
    const { stack } = newApp();
    const clicks = deliveryStream(stack);
    const cfn = clicks.node.defaultChild as CfnResource;
    cfn.addMetadata('cdk_nag', { rules_to_suppress: [{ id: 'AwsSolutions-S1', reason: 'the app\'s own' }] });
    new DeliveryStreamEncryption(stack, 'ClicksSse', { deliveryStream: clicks });
    expect(cfn.getMetadata('cdk_nag').rules_to_suppress).toEqual([
      { id: 'AwsSolutions-S1', reason: 'the app\'s own' },
      { id: 'AwsSolutions-KDF1', reason: NAG_SUPPRESSIONS.encryptedDeliveryStream.reason },
    ]);
  });

  test('an imported stream\'s encryption suppresses nothing on a stream resource (there is none)', () => {
    const { stack } = newApp();
    new DeliveryStreamEncryption(stack, 'OrdersSse', { deliveryStream: firehose.DeliveryStream.fromDeliveryStreamName(stack, 'Orders', 'orders') });
    const suppressed = Object.values(Template.fromStack(stack).toJSON().Resources as Record<string, any>)
      .flatMap((r) => r.Metadata?.cdk_nag?.rules_to_suppress ?? [])
      .map((r: any) => r.id);
    expect(suppressed).not.toContain('AwsSolutions-KDF1');
  });

  test('the fixed app is clean of the packs\' errors on its streams and on what the fixes added, which cdk-nag visited', () => {
    const { app, stack } = appWithEveryStream();
    addNagPacks(app);
    fix(app);
    app.synth();
    for (const rule of ['AwsSolutions-KDF1', 'AwsSolutions-KDS1']) {
      expect(nagErrors(stack, rule)).toEqual([]);
    }
    const libraryPaths = [`/Stack/${PROVIDER_ID}`, '/Stack/Orders/Encryption', '/Stack/Events/Encryption'];
    const annotations = Annotations.fromStack(stack);
    const onLibrary = [...annotations.findError('*', Match.anyValue()), ...annotations.findWarning('*', Match.anyValue())]
      .filter((m) => libraryPaths.some((p) => m.id.startsWith(p)))
      .map((m) => `${m.id}: ${String(m.entry.data).split(':')[0]}`);
    expect(onLibrary).toEqual([]);
    // cdk-nag saw the provider the fixes added: it logs the suppressed findings on its handler
    const ignored = annotations.findInfo(`/Stack/${PROVIDER_ID}/Handler/Resource`, Match.stringLikeRegexp('LambdaDLQ'));
    expect(ignored.length).toBeGreaterThan(0);
  });
});

test('the fixes add an imported stream\'s encryption to a provider cdk-nag has already read, whatever the order of the Aspects', () => {
  for (const order of ['nag first', 'fixes first']) {
    const { app, stack } = newApp();
    // the provider exists before the fixes run, and comes before the import in the tree
    new DeliveryStreamEncryption(stack, 'OrdersSse', { deliveryStream: firehose.DeliveryStream.fromDeliveryStreamName(stack, 'Orders', 'orders') });
    new DataStreamEncryption(stack, 'EventsSse', { stream: kinesis.Stream.fromStreamArn(stack, 'Events', EVENTS_ARN), encryption: kinesis.StreamEncryption.MANAGED });
    const audit = kinesis.Stream.fromStreamArn(stack, 'Audit', 'arn:aws:kinesis:eu-west-1:123456789012:stream/audit');
    const clicks = deliveryStream(stack);
    if (order === 'nag first') {
      addNagPacks(app);
      Aspects.of(app).add(new StreamEncryptionFixes());
    } else {
      Aspects.of(app).add(new StreamEncryptionFixes());
      addNagPacks(app);
    }
    app.synth();
    expect(audit.node.tryFindChild('Encryption')).toBeInstanceOf(DataStreamEncryption);
    expect(nagErrors(stack, 'AwsSolutions-KDF1')).toEqual([]);
    expect((clicks.node.defaultChild as firehose.CfnDeliveryStream).deliveryStreamEncryptionConfigurationInput).toEqual({ keyType: 'AWS_OWNED_CMK' });
    // the handler's statements now name the audit stream, as the added DataStreamEncryption needs
    // (its statements are backed in kinesis-encryption.test.ts)
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Resource: Match.arrayWith(['arn:aws:kinesis:eu-west-1:123456789012:stream/audit']) })]) },
    });
  }
});

test('the fixes, like every Aspect, leave a Stage below their scope to its own Aspects', () => {
  const app = new App();
  const stage = new cdk.Stage(app, 'Prod');
  const stack = new Stack(stage, 'Stack', { env: ENV });
  const clicks = deliveryStream(stack);
  fix(app);
  app.synth();
  expect((clicks.node.defaultChild as firehose.CfnDeliveryStream).deliveryStreamEncryptionConfigurationInput).toBeUndefined();

  fix(stage);
  stage.synth({ force: true });
  expect((clicks.node.defaultChild as firehose.CfnDeliveryStream).deliveryStreamEncryptionConfigurationInput).toEqual({ keyType: 'AWS_OWNED_CMK' });
});

describe('cdk-nag 3 acknowledgements (aws-cdk-lib\'s Validations)', () => {
  /** A stand-in for aws-cdk-lib's `Validations`, which the floor aws-cdk-lib lacks: it records what is acknowledged where. */
  function withValidations(run: (acknowledged: Map<string, string[]>) => void): void {
    const acknowledged = new Map<string, string[]>();
    const lib = cdk as unknown as Record<string, unknown>;
    const had = Object.getOwnPropertyDescriptor(lib, 'Validations');
    Object.defineProperty(lib, 'Validations', {
      configurable: true,
      value: {
        of: (scope: IConstruct) => ({
          acknowledge: (...rules: { id: string }[]) => {
            acknowledged.set(scope.node.path, [...(acknowledged.get(scope.node.path) ?? []), ...rules.map((r) => r.id)]);
          },
        }),
      },
    });
    try {
      run(acknowledged);
    } finally {
      if (had) {
        Object.defineProperty(lib, 'Validations', had);
      } else {
        delete lib.Validations;
      }
    }
  }

  test('the L1 resources of a delivery stream and a data stream the library encrypts acknowledge KDF1 and KDS1', () => {
    withValidations((acknowledged) => {
      const { stack } = newApp();
      new DeliveryStreamEncryption(stack, 'ClicksSse', { deliveryStream: deliveryStream(stack) });
      new DataStreamEncryption(stack, 'AuditSse', { stream: dataStream(stack) });
      expect(acknowledged.get('Stack/Clicks/Resource')).toEqual(NAG_SUPPRESSIONS.encryptedDeliveryStream.ids);
      expect(acknowledged.get('Stack/Audit/Resource')).toEqual(NAG_SUPPRESSIONS.encryptedDataStream.ids);
    });
  });

  test('a stream the fixes encrypt needs no acknowledgement (its L1 is encrypted), and an unencrypted one gets none', () => {
    withValidations((acknowledged) => {
      const { app, stack } = newApp();
      deliveryStream(stack);
      fix(app);
      app.synth();
      expect(acknowledged.get('Stack/Clicks/Resource')).toBeUndefined();
    });
  });
});

/** An Aspect that records what it visits. */
class Visited implements IAspect {
  public readonly paths: string[] = [];
  public visit(node: IConstruct): void {
    this.paths.push(node.node.path);
  }
}

test('another Aspect of the app, of default priority, visits the constructs the fixes add', () => {
  const { app, stack } = newApp();
  firehose.DeliveryStream.fromDeliveryStreamName(stack, 'Orders', 'orders');
  const visited = new Visited();
  Aspects.of(app).add(visited);
  fix(app);
  app.synth();
  expect(visited.paths).toContain('Stack/Orders/Encryption/Resource/Default');
  expect(visited.paths).toContain(`Stack/${PROVIDER_ID}/Handler/Resource`);
});

test('the stream handles an encryption hands back (encryptedDeliveryStream, encryptedStream) are neither reported nor fixed', () => {
  const { app, stack } = newApp();
  const orders = new DeliveryStreamEncryption(stack, 'OrdersSse', {
    deliveryStream: firehose.DeliveryStream.fromDeliveryStreamName(stack, 'Orders', 'orders'),
  });
  const events = new DataStreamEncryption(stack, 'EventsSse', {
    stream: kinesis.Stream.fromStreamArn(stack, 'Events', EVENTS_ARN),
    encryption: kinesis.StreamEncryption.MANAGED,
  });
  Aspects.of(app).add(new StreamEncryptionFixes(), { priority: AspectPriority.MUTATING });
  Aspects.of(app).add(new StreamEncryptionChecks({ level: StreamEncryptionCheckLevel.ERROR }), { priority: AspectPriority.READONLY });
  app.synth();

  // no encryption added under a handle (nor under what it wraps), and nothing reported
  for (const handle of [orders.encryptedDeliveryStream, events.encryptedStream]) {
    expect(handle.node.findAll().filter((c) => c instanceof DeliveryStreamEncryption || c instanceof DataStreamEncryption)).toEqual([]);
  }
  const ids = stack.node.findAll().flatMap((c) => c.node.metadata.map((m) => String(m.data)));
  expect(ids.filter((d) => d.includes('cdk-stream-encryption:'))).toEqual([]);
  expect(stack.node.findAll().filter((c) => c instanceof DeliveryStreamEncryption).map((c) => c.node.path)).toEqual(['Stack/OrdersSse']);
});
