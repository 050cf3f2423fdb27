import { App, Aspects, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, PCIDSS321Checks } from 'cdk-nag';
import { FIREHOSE, role } from './util';
import { DataStreamEncryption, DeliveryStreamEncryption } from '../../src';
import { COPY_TAG_PREFIX, OWNER_TAG_KEY } from '../../src/private/contract';
import { NAG_SUPPRESSIONS } from '../../src/private/nag';
import { PROVIDER_ID } from '../../src/private/provider';

/** A stack that uses every construct and every option of the library. */
function everyOption(app: App): { stack: Stack; libraryPaths: string[] } {
  const stack = new Stack(app, 'Everything', { env: { account: '123456789012', region: 'eu-west-1' } });
  const importedStream = (id: string, name: string) => firehose.DeliveryStream.fromDeliveryStreamName(stack, id, name);
  const producer = role(stack, 'Producer');

  const defaults = new DeliveryStreamEncryption(stack, 'Defaults', { deliveryStream: importedStream('A', 'a') });
  const awsOwned = new DeliveryStreamEncryption(stack, 'AwsOwned', {
    deliveryStream: importedStream('B', 'b'),
    encryption: firehose.StreamEncryption.awsOwnedKey(),
  });
  const userKey = new kms.Key(stack, 'UserKey', { enableKeyRotation: true, removalPolicy: RemovalPolicy.RETAIN });
  const retained = new DeliveryStreamEncryption(stack, 'Retained', {
    deliveryStream: importedStream('C', 'c'),
    encryption: firehose.StreamEncryption.customerManagedKey(userKey),
    removalPolicy: RemovalPolicy.RETAIN,
  });
  const bucket = new s3.Bucket(stack, 'Archive');
  const inStack = new DeliveryStreamEncryption(stack, 'InStack', {
    deliveryStream: new firehose.DeliveryStream(stack, 'Clicks', { destination: new firehose.S3Bucket(bucket) }),
  });
  for (const sse of [defaults, awsOwned, retained, inStack]) {
    sse.encryptedDeliveryStream.grantPutRecords(producer);
  }
  const libraryPaths = [PROVIDER_ID, 'Defaults', 'AwsOwned', 'Retained', 'InStack'].map((id) => `/Everything/${id}/`);
  return { stack, libraryPaths };
}

/** A stack that uses `DataStreamEncryption` with each kind of key, and its grants. */
function everyKinesisOption(app: App): { stack: Stack; libraryPaths: string[] } {
  const stack = new Stack(app, 'Kinesis', { env: { account: '123456789012', region: 'eu-west-1' } });
  const importedStream = (id: string, name: string) => kinesis.Stream.fromStreamArn(stack, id, `arn:aws:kinesis:eu-west-1:123456789012:stream/${name}`);
  const consumer = role(stack, 'Consumer');
  const userKey = new kms.Key(stack, 'UserKey', { enableKeyRotation: true, removalPolicy: RemovalPolicy.RETAIN });
  const all = [
    new DataStreamEncryption(stack, 'Defaults', { stream: importedStream('A', 'a') }),
    new DataStreamEncryption(stack, 'Managed', { stream: importedStream('B', 'b'), encryption: kinesis.StreamEncryption.MANAGED }),
    new DataStreamEncryption(stack, 'Retained', { stream: importedStream('C', 'c'), encryptionKey: userKey, removalPolicy: RemovalPolicy.RETAIN }),
  ];
  for (const sse of all) {
    sse.encryptedStream.grantReadWrite(consumer);
  }
  const libraryPaths = [PROVIDER_ID, 'Defaults', 'Managed', 'Retained'].map((id) => `/Kinesis/${id}/`);
  return { stack, libraryPaths };
}

/** The stack `build` makes, synthesized with every cdk-nag pack, and the findings on what the library creates. */
function nagged(build: (app: App) => { stack: Stack; libraryPaths: string[] }) {
  const app = new App();
  const { stack, libraryPaths } = build(app);
  for (const pack of [new AwsSolutionsChecks(), new NIST80053R5Checks(), new HIPAASecurityChecks(), new PCIDSS321Checks()]) {
    Aspects.of(stack).add(pack);
  }
  app.synth();
  const annotations = Annotations.fromStack(stack);
  const onLibrary = <T extends { id: string }>(messages: T[]): T[] => messages.filter((m) => libraryPaths.some((p) => `${m.id}/`.startsWith(p)));
  return { stack, annotations, onLibrary };
}

const FIREHOSE_NAGGED = nagged(everyOption);

describe.each([
  ['DeliveryStreamEncryption', FIREHOSE_NAGGED],
  ['DataStreamEncryption', nagged(everyKinesisOption)],
])('cdk-nag on %s', (_construct, { annotations, onLibrary }) => {
  test.each(['AwsSolutions', 'NIST.800.53.R5', 'HIPAA.Security', 'PCI.DSS.321'])(
    'no unsuppressed %s error or warning on a resource the library creates',
    (pack) => {
      const pattern = Match.stringLikeRegexp(`${pack.replace(/\./g, '\\.')}-`);
      const findings = onLibrary([...annotations.findError('*', pattern), ...annotations.findWarning('*', pattern)]);
      expect(findings.map((f) => `${f.id}: ${String(f.entry.data).split(':')[0]}`)).toEqual([]);
    },
  );
});

describe('cdk-nag', () => {
  const { stack, annotations } = FIREHOSE_NAGGED;

  test('the packs ran (they flag the test stack\'s own unhardened bucket)', () => {
    const all = annotations.findError('*', Match.stringLikeRegexp('S3'));
    expect(all.some((m) => m.id.startsWith('/Everything/Archive'))).toBe(true);
  });

  test('each suppression carries its reason and is limited to rules that cannot apply to a handler', () => {
    const template = Template.fromStack(stack).toJSON();
    const resources = Object.entries(template.Resources as Record<string, any>);
    const suppressed = resources
      .filter(([id]) => id.startsWith(PROVIDER_ID))
      .flatMap(([, r]) => r.Metadata?.cdk_nag?.rules_to_suppress ?? []);
    const ids = suppressed.map((s: any) => s.id).sort();
    expect(ids).toEqual(
      [
        NAG_SUPPRESSIONS.logStreams.id,
        ...NAG_SUPPRESSIONS.concurrency.ids,
        ...NAG_SUPPRESSIONS.deadLetterQueue.ids,
        ...NAG_SUPPRESSIONS.vpc.ids,
      ].sort(),
    );
    for (const s of suppressed) {
      expect(s.reason.length).toBeGreaterThan(40);
    }
    const iam5 = suppressed.find((s: any) => s.id === 'AwsSolutions-IAM5');
    expect(iam5.applies_to).toEqual([{ regex: expect.stringContaining(':log-stream:\\*') }]);
  });

  test('outside the handler, only the encryption rule of the delivery stream defined here (which InStack encrypts) is suppressed', () => {
    const template = Template.fromStack(stack).toJSON();
    const suppressedElsewhere = Object.entries(template.Resources as Record<string, any>)
      .filter(([id]) => !id.startsWith(PROVIDER_ID))
      .flatMap(([id, r]) => (r.Metadata?.cdk_nag?.rules_to_suppress ?? []).map((s: any) => `${r.Type} ${id.replace(/[0-9A-F]{8}$/, '')}: ${s.id}`));
    expect(suppressedElsewhere).toEqual(['AWS::KinesisFirehose::DeliveryStream Clicks: AwsSolutions-KDF1']);
  });
});

describe('least privilege', () => {
  const app = new App();
  const { stack } = everyOption(app);
  const template = Template.fromStack(stack).toJSON();
  const resources = Object.entries(template.Resources as Record<string, any>);

  const identityDocuments = resources.flatMap(([id, r]) => {
    if (r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy') {
      return [{ id, doc: r.Properties.PolicyDocument }];
    }
    if (r.Type === 'AWS::IAM::Role') {
      return (r.Properties.Policies ?? []).map((p: any) => ({ id, doc: p.PolicyDocument }));
    }
    return [];
  });
  /** What the library writes: the handler's policies, and what `grantPutRecords` gave the producer. */
  const libraryDocuments = identityDocuments.filter((d) => d.id.startsWith(PROVIDER_ID) || d.id.startsWith('ProducerDefaultPolicy'));
  /** The keys the library creates (the test's own UserKey aside). */
  const keyPolicies = resources
    .filter(([id, r]) => r.Type === 'AWS::KMS::Key' && !id.startsWith('UserKey'))
    .map(([id, r]) => ({ id, doc: r.Properties.KeyPolicy }));
  const list = (v: unknown) => ([] as unknown[]).concat(v ?? []);

  test('the library writes no inline policy and attaches no AWS managed policy', () => {
    const handlerRole = resources.find(([id, r]) => r.Type === 'AWS::IAM::Role' && id.startsWith(PROVIDER_ID))![1];
    expect(handlerRole.Properties.Policies).toBeUndefined();
    expect(handlerRole.Properties.ManagedPolicyArns).toBeUndefined();
    const inline = resources.filter(([id, r]) => r.Type === 'AWS::IAM::Policy' && id.startsWith(PROVIDER_ID));
    expect(inline).toEqual([]);
  });

  test('no identity statement has a wildcard action, a wildcard resource, or no resource', () => {
    expect(libraryDocuments.length).toBeGreaterThan(1);
    for (const { id, doc } of libraryDocuments) {
      for (const s of doc.Statement) {
        expect(s.Effect).toBe('Allow');
        expect(s.NotAction).toBeUndefined();
        expect(s.NotResource).toBeUndefined();
        for (const action of list(s.Action)) {
          expect(`${id}: ${action}`).not.toContain('*');
        }
        const statementResources = list(s.Resource);
        expect(statementResources.length).toBeGreaterThan(0);
        for (const resource of statementResources) {
          const text = JSON.stringify(resource);
          expect(resource).not.toBe('*');
          if (text.includes('*')) {
            // the one allowed: log streams of the handler's own log group, whose names Lambda picks at run time
            expect(`${id}: ${text}`).toMatch(/^CdkStreamEncryptionProviderLogsPolicy[0-9A-F]+: .*:log-group:\/cdk-stream-encryption\/Everything\/",\{"Fn::Select":\[2,\{"Fn::Split":\["\/",\{"Ref":"AWS::StackId"\}\]\}\]\},":log-stream:\*"\]\]\}$/);
          }
        }
      }
    }
  });

  test('no key policy has a principal or action wildcard; its only resource is the key itself', () => {
    expect(keyPolicies.length).toBe(3); // the defaults' key, the in-stack stream's key, the log key
    for (const { id, doc } of keyPolicies) {
      for (const s of doc.Statement) {
        expect(s.Effect).toBe('Allow');
        expect(JSON.stringify(s.Principal)).not.toMatch(/"\*"/);
        for (const action of list(s.Action)) {
          expect(`${id}: ${action}`).not.toContain('*');
        }
        // in a key policy, "*" means this key: AWS KMS Developer Guide, "Creating a key policy"
        // (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html)
        expect(s.Resource).toBe('*');
      }
    }
  });

  // The tag statements: aws:TagKeys with ForAllValues, IAM User Guide, "Controlling access based on tag
  // keys" (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_tags.html#access_tags_control-tag-keys),
  // true when the request names no tag key ("Multivalued context key examples",
  // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition_examples-multi-valued-context-keys.html);
  // StringLike's `?` matches one character ("Condition operators",
  // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_String).
  // The key statements: Firehose creates its grant with the caller's permissions (Firehose API
  // Reference, "DeliveryStreamEncryptionConfigurationInput",
  // https://docs.aws.amazon.com/firehose/latest/APIReference/API_DeliveryStreamEncryptionConfigurationInput.html),
  // and kms:GrantIsForAWSResource lets CreateGrant through only for an integrated AWS service (AWS KMS
  // Developer Guide, "Controlling access to grants",
  // https://docs.aws.amazon.com/kms/latest/developerguide/grant-authorization.html). The logs actions:
  // AWS Lambda Developer Guide, "Sending Lambda function logs to CloudWatch Logs"
  // (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html).
  test('the handler may act only on the streams and keys it manages', () => {
    const handlerDocs = identityDocuments.filter((d) => d.id.startsWith(PROVIDER_ID)).flatMap((d) => d.doc.Statement);
    const actions = new Set(handlerDocs.flatMap((s: any) => list(s.Action)));
    expect([...actions].sort()).toEqual(
      [...FIREHOSE.streamActions, 'kms:CreateGrant', 'kms:DescribeKey', 'logs:CreateLogStream', 'logs:PutLogEvents'].sort(),
    );
    const streamArns = handlerDocs.filter((s: any) => list(s.Action).includes('firehose:StartDeliveryStreamEncryption')).flatMap((s: any) => list(s.Resource));
    expect(streamArns.map((r) => JSON.stringify(r))).toEqual([
      expect.stringContaining('deliverystream/a"'),
      expect.stringContaining('deliverystream/b"'),
      expect.stringContaining('deliverystream/c"'),
      expect.stringContaining('"Clicks'),
    ]);
    // tagging: the same statements, with the owner tag key and claim tag keys only
    const tagStatements = handlerDocs.filter((s: any) => list(s.Action).includes('firehose:TagDeliveryStream'));
    expect(tagStatements.flatMap((s: any) => list(s.Resource)).map((r) => JSON.stringify(r))).toEqual(streamArns.map((r) => JSON.stringify(r)));
    for (const s of tagStatements) {
      expect(s.Action).toEqual(expect.arrayContaining(['firehose:TagDeliveryStream', 'firehose:UntagDeliveryStream', 'firehose:StartDeliveryStreamEncryption']));
      expect(s.Condition).toEqual({ 'ForAllValues:StringLike': { 'aws:TagKeys': [OWNER_TAG_KEY, `${COPY_TAG_PREFIX}????????`] } });
    }
    const keyArns = handlerDocs.filter((s: any) => list(s.Action).includes('kms:CreateGrant')).flatMap((s: any) => list(s.Resource));
    expect(keyArns.map((r) => JSON.stringify(r))).toEqual([
      expect.stringMatching(/^\{"Fn::GetAtt":\["DefaultsKey/),
      expect.stringMatching(/^\{"Fn::GetAtt":\["UserKey/),
      expect.stringMatching(/^\{"Fn::GetAtt":\["InStackKey/),
    ]);
    for (const s of handlerDocs.filter((x: any) => list(x.Action).includes('kms:CreateGrant'))) {
      expect(s.Condition).toEqual({ BoolIfExists: { 'kms:GrantIsForAWSResource': true } });
    }
  });
});

describe('key lifetime', () => {
  /** The order CloudFormation deletes resources in: dependents before what they depend on. */
  function deletionOrder(template: any): string[] {
    const resources: Record<string, any> = template.Resources;
    const dependents = new Map<string, Set<string>>(Object.keys(resources).map((id) => [id, new Set()]));
    const refsOf = (v: unknown, out: Set<string>): void => {
      if (Array.isArray(v)) {
        v.forEach((x) => refsOf(x, out));
        return;
      }
      if (!v || typeof v !== 'object') {
        return;
      }
      for (const [k, x] of Object.entries(v)) {
        if (k === 'Ref' && typeof x === 'string' && x in resources) {
          out.add(x);
        } else if (k === 'Fn::GetAtt' && Array.isArray(x) && x[0] in resources) {
          out.add(x[0]);
        } else {
          refsOf(x, out);
        }
      }
    };
    for (const [id, r] of Object.entries(resources)) {
      const deps = new Set<string>(list(r.DependsOn) as string[]);
      refsOf(r.Properties, deps);
      for (const d of deps) {
        dependents.get(d)!.add(id);
      }
    }
    const order: string[] = [];
    const done = new Set<string>();
    const visit = (id: string): void => {
      if (done.has(id)) {
        return;
      }
      done.add(id);
      for (const dependent of dependents.get(id)!) {
        visit(dependent);
      }
      order.push(id);
    };
    Object.keys(resources).forEach(visit);
    return order; // dependents first
  }
  const list = (v: unknown) => ([] as unknown[]).concat(v ?? []);

  test('the keys the library creates are retained by default: no delete or replacement schedules their deletion', () => {
    const app = new App();
    const { stack } = everyOption(app);
    const template = Template.fromStack(stack).toJSON();
    for (const construct of ['Defaults', 'InStack']) {
      const [, key] = Object.entries(template.Resources as Record<string, any>).find(([id, r]) => id.startsWith(`${construct}Key`) && r.Type === 'AWS::KMS::Key')!;
      expect(key.DeletionPolicy).toBe('Retain');
      expect(key.UpdateReplacePolicy).toBe('Retain');
    }
  });

  test('with keyRemovalPolicy DESTROY, a stack delete turns encryption off before the key it created is scheduled for deletion', () => {
    const app = new App();
    const stack = new Stack(app, 'S');
    for (const name of ['a', 'b']) {
      new DeliveryStreamEncryption(stack, `Sse${name}`, {
        deliveryStream: firehose.DeliveryStream.fromDeliveryStreamName(stack, name, name),
        keyRemovalPolicy: RemovalPolicy.DESTROY,
      });
    }
    const template = Template.fromStack(stack).toJSON();
    const order = deletionOrder(template);
    for (const construct of ['Ssea', 'Sseb']) {
      const cr = order.find((id) => id.startsWith(construct) && template.Resources[id].Type === 'Custom::DeliveryStreamEncryption')!;
      const key = order.find((id) => id.startsWith(`${construct}Key`) && template.Resources[id].Type === 'AWS::KMS::Key')!;
      expect(template.Resources[key].DeletionPolicy).toBe('Delete');
      expect(template.Resources[key].Properties.PendingWindowInDays).toBe(30);
      expect(order.indexOf(cr)).toBeLessThan(order.indexOf(key));
      expect(template.Resources[cr].DependsOn).toContain(key);
    }
  });

  test('a stack delete turns encryption off before the handler, its role or its policies go', () => {
    const app = new App();
    const { stack } = everyOption(app);
    const template = Template.fromStack(stack).toJSON();
    const order = deletionOrder(template);
    const crs = order.filter((id) => template.Resources[id].Type === 'Custom::DeliveryStreamEncryption');
    const provider = order.filter((id) => id.startsWith(PROVIDER_ID));
    for (const cr of crs) {
      for (const p of provider) {
        expect(order.indexOf(cr)).toBeLessThan(order.indexOf(p));
      }
    }
  });

  test('a retained encryption keeps the key it created', () => {
    const app = new App();
    const stack = new Stack(app, 'S');
    new DeliveryStreamEncryption(stack, 'Sse', {
      deliveryStream: firehose.DeliveryStream.fromDeliveryStreamName(stack, 'A', 'a'),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const keys = Object.entries(Template.fromStack(stack).findResources('AWS::KMS::Key'));
    for (const [, key] of keys) {
      expect(key.DeletionPolicy).toBe('Retain');
    }
  });

  test('a retained encryption with a given key that would be deleted is warned about, with an id', () => {
    const app = new App();
    const stack = new Stack(app, 'S');
    new DeliveryStreamEncryption(stack, 'Sse', {
      deliveryStream: firehose.DeliveryStream.fromDeliveryStreamName(stack, 'A', 'a'),
      encryption: firehose.StreamEncryption.customerManagedKey(new kms.Key(stack, 'K', { removalPolicy: RemovalPolicy.DESTROY })),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const warnings = Annotations.fromStack(stack).findWarning('/S/Sse', Match.stringLikeRegexp('Give the key RemovalPolicy.RETAIN'));
    expect(warnings).toHaveLength(1);
    expect(String(warnings[0].entry.data)).toContain('[ack: cdk-stream-encryption:retainedEncryptionWithDestroyedKey]');
  });
});
