/**
 * What `DeliveryStreamEncryption` and `DataStreamEncryption` do alike,
 * specified once over both kinds; what only one does is in
 * `firehose-encryption.test.ts` and `kinesis-encryption.test.ts`.
 */
import { App, CfnParameter, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import {
  expectNoWildcardsBesidesOwnLogStreams,
  KINDS,
  KINESIS,
  KindProps,
  newStack,
  onlyResource,
  onlyStreamKey,
  resourcesOf,
  resourcesOfStatement,
  snapshotOf,
  statementsWith,
  streamKeyCount,
} from './util';
import { ACCOUNT_KEY_ACTIONS } from '../../src/private/key-policy';
import { PROVIDER_ID } from '../../src/private/provider';

describe.each(KINDS)('$construct', (kind) => {
  const imported = (stack: Stack, name?: string) => kind.imported(stack, name);

  describe('defaults (imported stream)', () => {
    const stack = newStack();
    const sse = kind.encrypt(stack, `${kind.streamId}Sse`, kind.imported(stack));
    const template = Template.fromStack(stack);

    test('creates a symmetric key with rotation, an alias derived from the stream, retained on delete and on replacement', () => {
      const [keyId, key] = onlyStreamKey(stack);
      expect(key.Properties.EnableKeyRotation).toBe(true);
      expect(key.Properties.KeySpec).toBeUndefined(); // SYMMETRIC_DEFAULT
      expect(key.Properties.KeyUsage).toBeUndefined(); // ENCRYPT_DECRYPT
      expect(key.Properties.Description).toBe(`Server-side encryption of the ${kind.streamNoun} ${kind.streamName} (cdk-stream-encryption)`);
      // the key outlives the records it encrypts: removing the construct or changing its key never schedules its deletion
      expect(key.DeletionPolicy).toBe('Retain');
      expect(key.UpdateReplacePolicy).toBe('Retain');
      expect(key.Properties.PendingWindowInDays).toBeUndefined();
      template.hasResourceProperties('AWS::KMS::Alias', {
        AliasName: `${kind.aliasPrefix}${kind.streamName}`,
        TargetKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] },
      });
      expect(sse.encryptionKey).toBeDefined();
    });

    // AWS KMS Developer Guide, "Default key policy", "Allows access to the AWS account and enables IAM
    // policies" (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html#key-policy-default-allow-root-enable-iam):
    // a statement for the account's root principal "gives the AWS account that owns the KMS key
    // permission to use IAM policies to allow access" to the key. The page writes kms:*; the
    // action-by-action list is the library's own choice, which no page checks. "Creating a key policy"
    // (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html): in a key policy,
    // Resource "*" means this key.
    test('the key policy lets only the account administer the key, action by action', () => {
      const [, key] = onlyStreamKey(stack);
      const statements = key.Properties.KeyPolicy.Statement;
      expect(statements).toHaveLength(1);
      expect(statements[0].Principal).toEqual({
        AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::123456789012:root']] },
      });
      expect(statements[0].Action).toEqual([...ACCOUNT_KEY_ACTIONS]);
      expect(statements[0].Action).toContain('kms:PutKeyPolicy');
      for (const action of statements[0].Action) {
        expect(action).not.toContain('*');
      }
    });

    test('adds one custom resource with the contract properties and a service timeout', () => {
      const [keyId] = onlyStreamKey(stack);
      const [, cr] = onlyResource(stack, kind.resourceType);
      expect(cr.Properties).toEqual({
        ServiceToken: { 'Fn::GetAtt': [expect.stringMatching(/^CdkStreamEncryptionProviderHandler/), 'Arn'] },
        ServiceTimeout: '660',
        ...kind.kindProperties({ 'Fn::GetAtt': [keyId, 'Arn'] }),
        TimeoutSeconds: '600',
        SettleSeconds: '5',
        RemovalPolicy: 'destroy',
      });
      expect(cr.DeletionPolicy).toBe('Delete');
    });

    test('the custom resource depends on the key and on the handler, its role and its policies', () => {
      const [keyId] = onlyStreamKey(stack);
      const [roleId] = onlyResource(stack, 'AWS::IAM::Role');
      const policyIds = Object.keys(resourcesOf(stack, 'AWS::IAM::ManagedPolicy'));
      expect(policyIds).toHaveLength(2); // the logs policy and one chunk
      const [fnId] = onlyResource(stack, 'AWS::Lambda::Function');
      const [, cr] = onlyResource(stack, kind.resourceType);
      expect(cr.DependsOn).toEqual(expect.arrayContaining([keyId, roleId, ...policyIds, fnId]));
    });

    test('the provider is one Node.js 22 function with a 15 minute timeout, its own role and log group', () => {
      const [, fn] = onlyResource(stack, 'AWS::Lambda::Function');
      expect(fn.Properties.Runtime).toBe('nodejs22.x');
      expect(fn.Properties.Handler).toBe('index.handler');
      expect(fn.Properties.Timeout).toBe(900);
      const [logGroupId, logGroup] = onlyResource(stack, 'AWS::Logs::LogGroup');
      expect(logGroup.Properties.RetentionInDays).toBe(365);
      expect(fn.Properties.LoggingConfig).toEqual({ LogGroup: { Ref: logGroupId } });
      const [, role] = onlyResource(stack, 'AWS::IAM::Role');
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
      expect(role.Properties.AssumeRolePolicyDocument.Statement[0].Principal).toEqual({ Service: 'lambda.amazonaws.com' });
    });

    // IAM User Guide, "Controlling access to AWS resources using tags", "Controlling access based on tag
    // keys" (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_tags.html#access_tags_control-tag-keys):
    // aws:TagKeys with ForAllValues limits the tag keys a request may name; "Multivalued context key
    // examples" (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition_examples-multi-valued-context-keys.html):
    // "The ForAllValues set operator also returns true if there are no context keys in the request", so
    // the reads, Start and Stop, which carry no aws:TagKeys, are not bound by it. "IAM JSON policy
    // elements: Condition operators" (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_String):
    // StringLike values "can include multi-character match wildcards (*) and single-character match
    // wildcards (?) anywhere in the string": eight `?` admit a claim tag key (its prefix and a nonce of 8
    // hex digits) and no longer key. The stream actions on
    // the stream's ARN: Service Authorization Reference, "Actions, resources, and condition keys for
    // Amazon Kinesis Firehose" (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonkinesisfirehose.html)
    // and "... for Amazon Kinesis Data Streams" (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonkinesisdatastreams.html).
    test('the handler may manage exactly this stream, and tag it with the owner tag key and claim tag keys only', () => {
      const statements = statementsWith(stack, kind.startAction);
      expect(statements).toEqual([{
        Effect: 'Allow',
        Action: kind.streamActions,
        Resource: kind.streamArn(kind.streamName),
        // binds the requests that name tag keys (tag and untag); the reads, Start and Stop name none
        Condition: { 'ForAllValues:StringLike': { 'aws:TagKeys': ['cdk-stream-encryption/managed-by', 'cdk-stream-encryption/copy/????????'] } },
      }]);
    });

    // AWS Lambda Developer Guide, "Sending Lambda function logs to CloudWatch Logs", "Required IAM
    // permissions" (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html): the
    // execution role needs logs:CreateLogGroup, logs:CreateLogStream and logs:PutLogEvents; the stack
    // creates the log group itself, so the statement leaves logs:CreateLogGroup out.
    test('the handler writes only to its own log group, which is encrypted with a key of its own', () => {
      const [, logGroup] = onlyResource(stack, 'AWS::Logs::LogGroup');
      // the stack's name and the id of this deployment of it, so a redeployed stack never meets its retained logs
      expect(logGroup.Properties.LogGroupName).toEqual({ 'Fn::Join': ['', ['/cdk-stream-encryption/TestStack/', { 'Fn::Select': [2, { 'Fn::Split': ['/', { Ref: 'AWS::StackId' }] }] }]] });
      expect(logGroup.Properties.KmsKeyId).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^CdkStreamEncryptionProviderLogKey/), 'Arn'] });
      const [statement] = statementsWith(stack, 'logs:PutLogEvents');
      expect(statement.Action).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
      const resources = resourcesOfStatement(statement).map((r) => JSON.stringify(r));
      expect(resources).toHaveLength(2);
      expect(resources[0]).toMatch(/:logs:eu-west-1:123456789012:log-group:\/cdk-stream-encryption\/TestStack\/",\{"Fn::Select":\[2,\{"Fn::Split":\["\/",\{"Ref":"AWS::StackId"\}\]\}\]\}\]\]\}$/);
      expect(resources[1]).toMatch(/:log-group:\/cdk-stream-encryption\/TestStack\/",\{"Fn::Select":\[2,\{"Fn::Split":\["\/",\{"Ref":"AWS::StackId"\}\]\}\]\},":log-stream:\*"\]\]\}$/);
    });

    // Amazon CloudWatch Logs User Guide, "Encrypt log data in CloudWatch Logs using AWS Key Management
    // Service" (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html): the
    // key policy lets the service principal logs.<region>.amazonaws.com use the key, and the condition
    // kms:EncryptionContext:aws:logs:arn with the log group's ARN restricts it to that one log group.
    test('only CloudWatch Logs, for this log group, may use the log key besides the account', () => {
      const [, key] = Object.entries(resourcesOf(stack, 'AWS::KMS::Key')).find(([id]) => id.startsWith(`${PROVIDER_ID}LogKey`))!;
      expect(key.DeletionPolicy).toBe('Retain');
      expect(key.Properties.EnableKeyRotation).toBe(true);
      const [account, logsService] = key.Properties.KeyPolicy.Statement;
      expect(account.Action).toEqual([...ACCOUNT_KEY_ACTIONS]);
      expect(logsService.Principal).toEqual({ Service: { 'Fn::Join': ['', ['logs.eu-west-1.', { Ref: 'AWS::URLSuffix' }]] } });
      expect(logsService.Condition).toEqual({
        ArnEquals: {
          'kms:EncryptionContext:aws:logs:arn': {
            'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':logs:eu-west-1:123456789012:log-group:/cdk-stream-encryption/TestStack/', { 'Fn::Select': [2, { 'Fn::Split': ['/', { Ref: 'AWS::StackId' }] }] }]],
          },
        },
      });
      for (const action of logsService.Action) {
        expect(action).not.toContain('*');
      }
    });

    test('no identity statement names a wildcard resource or action, besides the handler\'s own log streams', () => {
      expectNoWildcardsBesidesOwnLogStreams(stack, 0);
    });

    test('snapshot', () => {
      expect(snapshotOf(stack)).toMatchSnapshot();
    });
  });

  describe('options', () => {
    // AWS KMS Developer Guide, "Specifying KMS keys in IAM policy statements"
    // (https://docs.aws.amazon.com/kms/latest/developerguide/cmks-in-iam-policies.html): an IAM statement
    // names a KMS key by its key ARN.
    test('a given key is used as is, and the handler is scoped to it', () => {
      const stack = newStack();
      const key = kms.Key.fromKeyArn(stack, 'Key', 'arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555');
      const sse = kind.encrypt(stack, 'Sse', imported(stack), { encryptionKey: key });
      expect(sse.encryptionKey).toBe(key);
      expect(streamKeyCount(stack)).toBe(0);
      const [, cr] = onlyResource(stack, kind.resourceType);
      expect(cr.Properties[kind.keyProperty]).toBe(key.keyArn);
      for (const action of kind.keyActions) {
        expect(statementsWith(stack, action)[0].Resource).toBe(key.keyArn);
      }
    });

    test.each([
      ['timeout and settleTime set the handler deadline, settle time and service timeout', 3, 0, { TimeoutSeconds: '180', SettleSeconds: '0', ServiceTimeout: '240' }],
      ['the service timeout never exceeds the handler function timeout', 14, 60, { TimeoutSeconds: '840', SettleSeconds: '60', ServiceTimeout: '900' }],
    ])('%s', (_name, minutes, settleSeconds, expected) => {
      const stack = newStack();
      kind.encrypt(stack, 'Sse', imported(stack), { timeout: Duration.minutes(minutes), settleTime: Duration.seconds(settleSeconds) });
      const [, cr] = onlyResource(stack, kind.resourceType);
      expect(cr.Properties).toMatchObject(expected);
    });

    test('an unresolved timeout is passed to the handler and bounded by the function timeout', () => {
      const stack = newStack();
      const seconds = new CfnParameter(stack, 'TimeoutSeconds', { type: 'Number' });
      kind.encrypt(stack, 'Sse', imported(stack), { timeout: Duration.seconds(seconds.valueAsNumber) });
      const [, cr] = onlyResource(stack, kind.resourceType);
      expect(cr.Properties.TimeoutSeconds).toEqual({ Ref: 'TimeoutSeconds' });
      expect(cr.Properties.ServiceTimeout).toBe('900');
    });

    test('RETAIN leaves encryption on at delete, and retains the key it created', () => {
      const stack = newStack();
      kind.encrypt(stack, 'Sse', imported(stack), { removalPolicy: RemovalPolicy.RETAIN });
      const [, cr] = onlyResource(stack, kind.resourceType);
      expect(cr.Properties.RemovalPolicy).toBe('retain');
      const [, key] = onlyStreamKey(stack);
      expect(key.DeletionPolicy).toBe('Retain');
      expect(key.UpdateReplacePolicy).toBe('Retain');
      expect(snapshotOf(stack)).toMatchSnapshot();
    });

    test.each([
      ['a given key that is destroyed with the stack is warned about', RemovalPolicy.DESTROY, true],
      ['a retained key raises no warning', RemovalPolicy.RETAIN, false],
    ])('RETAIN with %s', (_name, keyRemovalPolicy, warned) => {
      const stack = newStack();
      const key = new kms.Key(stack, 'UserKey', { removalPolicy: keyRemovalPolicy });
      kind.encrypt(stack, 'Sse', imported(stack), { encryptionKey: key, removalPolicy: RemovalPolicy.RETAIN });
      if (warned) {
        Annotations.fromStack(stack).hasWarning('/TestStack/Sse', Match.stringLikeRegexp('removal policy DESTROY'));
      } else {
        Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
      }
    });

    test('a stream defined in the same stack is depended on, and its generated name gives a unique alias', () => {
      const stack = newStack();
      kind.encrypt(stack, 'ClicksSse', kind.defined(stack, 'Clicks'));
      const [streamId] = onlyResource(stack, kind.streamType);
      const [, cr] = onlyResource(stack, kind.resourceType);
      expect(cr.Properties[kind.nameProperty]).toEqual({ Ref: streamId });
      expect(cr.DependsOn).toContain(streamId);
      const [, alias] = onlyResource(stack, 'AWS::KMS::Alias');
      expect(alias.Properties.AliasName).toMatch(new RegExp(`^${kind.aliasPrefix}TestStack-Clicks-[A-Za-z0-9]+$`));
    });

    test('a stream defined here with an explicit name gives its name to the alias and is validated', () => {
      const stack = newStack();
      kind.encrypt(stack, 'ClicksSse', kind.defined(stack, 'Clicks', 'clicks'));
      Template.fromStack(stack).hasResourceProperties('AWS::KMS::Alias', { AliasName: `${kind.aliasPrefix}clicks` });
      const [, cr] = onlyResource(stack, kind.resourceType);
      expect(cr.Properties[kind.nameProperty]).toEqual({ Ref: expect.stringMatching(/^Clicks/) });
    });

    test('characters a stream name allows but an alias does not are replaced in the alias', () => {
      const stack = newStack();
      kind.encrypt(stack, 'Sse', imported(stack, `${kind.streamName}.v2`));
      Template.fromStack(stack).hasResourceProperties('AWS::KMS::Alias', { AliasName: `${kind.aliasPrefix}${kind.streamName}-v2` });
    });
  });

  describe('the key it creates (keyRemovalPolicy, keyPendingWindow)', () => {
    const keyOf = (props: KindProps) => {
      const stack = newStack();
      kind.encrypt(stack, 'Sse', imported(stack), props);
      return { stack, key: onlyStreamKey(stack)[1] };
    };
    const retentionWarning = Match.stringLikeRegexp('records encrypted with it for its whole retention period');

    test('RETAIN, the default, also when the encryption itself is DESTROYed', () => {
      const { key } = keyOf({ removalPolicy: RemovalPolicy.DESTROY });
      expect(key.DeletionPolicy).toBe('Retain');
      expect(key.UpdateReplacePolicy).toBe('Retain');
      expect(key.Properties.PendingWindowInDays).toBeUndefined();
    });

    test.each([
      ['the default pending window of 30 days', undefined, 30],
      ['a pending window of 7 days', Duration.days(7), 7],
    ])('DESTROY schedules its deletion after %s', (_name, keyPendingWindow, days) => {
      const { stack, key } = keyOf({ keyRemovalPolicy: RemovalPolicy.DESTROY, keyPendingWindow });
      expect(key.DeletionPolicy).toBe('Delete');
      expect(key.UpdateReplacePolicy).toBe('Delete');
      expect(key.Properties.PendingWindowInDays).toBe(days);
      const [, cr] = onlyResource(stack, kind.resourceType);
      expect(cr.Properties.RemovalPolicy).toBe('destroy');
    });

    test(kind === KINESIS
      ? 'DESTROY warns, with an id, that the records still in the data stream become unreadable'
      : 'DESTROY raises no warning for a delivery stream, which holds no records past 24 hours', () => {
      const { stack } = keyOf({ keyRemovalPolicy: RemovalPolicy.DESTROY });
      const warnings = Annotations.fromStack(stack).findWarning('/TestStack/Sse', retentionWarning);
      if (kind === KINESIS) {
        expect(warnings).toHaveLength(1);
        expect(String(warnings[0].entry.data)).toMatch(/after 30 days.*24 hours to 365 days.*Keep keyRemovalPolicy RemovalPolicy.RETAIN/);
        expect(String(warnings[0].entry.data)).toContain('[ack: cdk-stream-encryption:keyDeletedBeforeRecordsExpire]');
      } else {
        expect(warnings).toHaveLength(0);
      }
    });

    test('RETAIN raises no warning', () => {
      const { stack } = keyOf({});
      Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
    });

    test('a retained encryption whose created key is DESTROYed is warned about, with an id', () => {
      const { stack } = keyOf({ removalPolicy: RemovalPolicy.RETAIN, keyRemovalPolicy: RemovalPolicy.DESTROY });
      const warnings = Annotations.fromStack(stack).findWarning('/TestStack/Sse', Match.stringLikeRegexp('keyRemovalPolicy is DESTROY: the created key would be scheduled for deletion while the stream still uses it'));
      expect(warnings).toHaveLength(1);
      expect(String(warnings[0].entry.data)).toContain('[ack: cdk-stream-encryption:retainedEncryptionWithDestroyedKey]');
    });

    test.each([
      ['6 days', Duration.days(6)],
      ['31 days', Duration.days(31)],
      ['36 hours short of 8 days', Duration.hours(8 * 24 - 36)],
      ['a fraction of a day', Duration.hours(7 * 24 + 12)],
    ])('a pending window of %s is refused', (_name, keyPendingWindow) => {
      expect(() => keyOf({ keyRemovalPolicy: RemovalPolicy.DESTROY, keyPendingWindow })).toThrow(
        /keyPendingWindow must be a whole number (of seconds|of days) from 7 to 30 days .*Duration.days\(30\)/,
      );
    });

    test('a pending window without DESTROY is refused', () => {
      expect(() => keyOf({ keyPendingWindow: Duration.days(7) })).toThrow(
        /keyPendingWindow was given, but keyRemovalPolicy is RETAIN .*remove keyPendingWindow, or set keyRemovalPolicy to RemovalPolicy.DESTROY/,
      );
    });

    test('a key removal policy other than DESTROY or RETAIN is refused', () => {
      expect(() => keyOf({ keyRemovalPolicy: RemovalPolicy.SNAPSHOT })).toThrow(/keyRemovalPolicy must be RemovalPolicy.RETAIN .* or RemovalPolicy.DESTROY/);
    });

    test.each([
      ['a given key', (stack: Stack): KindProps => ({ encryptionKey: new kms.Key(stack, 'UserKey') }), `${kind.givenKeyProp} was given, so it creates none; remove keyRemovalPolicy and keyPendingWindow, and set the removal policy on your key itself`],
      [`${kind.serviceKeyType}`, (): KindProps => ({ serviceKey: true }), `encryption is ${kind.serviceKeyType}, which uses `],
    ])('keyRemovalPolicy with %s is refused, naming the construct', (_name, props, message) => {
      const make = () => {
        const stack = newStack();
        kind.encrypt(stack, 'Sse', imported(stack), { ...props(stack), keyRemovalPolicy: RemovalPolicy.RETAIN });
      };
      expect(make).toThrow(`TestStack/Sse: keyRemovalPolicy and keyPendingWindow apply only to a key the construct creates, and ${message}`);
      expect(make).toThrow(/; remove keyRemovalPolicy and keyPendingWindow/);
    });
  });

  describe('one construct per stream (synth)', () => {
    const sameStream = /TestStack\/Second: \w+ is the stream TestStack\/First already encrypts in this stack; .*Keep one construct per stream: remove TestStack\/Second, or point its \w+ at another stream/;
    const twice = (stack: Stack, first: (s: Stack) => unknown, second: (s: Stack) => unknown) => () => {
      kind.encrypt(stack, 'First', first(stack) as any);
      kind.encrypt(stack, 'Second', second(stack) as any);
    };

    test.each([
      ['imported by name twice', (s: Stack) => kind.imported(s, 'clicks', 'A'), (s: Stack) => kind.imported(s, 'clicks', 'B')],
      ['imported by name and by ARN', (s: Stack) => kind.imported(s, 'clicks', 'A'), (s: Stack) => kind.importedByArn(s, 'B', kind.literalArn('clicks'))],
      ['defined here with a name, and imported by that name', (s: Stack) => kind.defined(s, 'A', 'clicks'), (s: Stack) => kind.importedByArn(s, 'B', kind.literalArn('clicks'))],
    ])('the same stream %s is refused, naming both constructs and the prop', (_name, first, second) => {
      expect(twice(newStack(), first, second)).toThrow(sameStream);
      expect(twice(newStack(), first, second)).toThrow(new RegExp(`: ${kind.prop} is the stream`));
    });

    test('the same stream defined here, given twice, is refused', () => {
      const stack = newStack();
      const stream = kind.defined(stack, 'A');
      expect(twice(stack, () => stream, () => stream)).toThrow(sameStream);
    });

    test('the same stream imported by name twice in an env-agnostic stack is refused', () => {
      const stack = new Stack(new App(), 'TestStack');
      expect(twice(stack, (s) => kind.imported(s, 'clicks', 'A'), (s) => kind.imported(s, 'clicks', 'B'))).toThrow(sameStream);
    });

    test.each([
      ['two streams of different names', (s: Stack) => kind.imported(s, 'clicks', 'A'), (s: Stack) => kind.imported(s, 'views', 'B')],
      ['two streams defined here without a name', (s: Stack) => kind.defined(s, 'A'), (s: Stack) => kind.defined(s, 'B')],
    ])('%s are accepted', (_name, first, second) => {
      expect(twice(newStack(), first, second)).not.toThrow();
    });

    test('the same stream name in two stacks of other regions is accepted: two streams', () => {
      const app = new App();
      for (const [id, region] of [['A', 'eu-west-1'], ['B', 'us-east-1']]) {
        const stack = new Stack(app, id, { env: { account: '123456789012', region } });
        expect(() => kind.encrypt(stack, 'Sse', kind.importedByArn(stack, 'Clicks', kind.literalArn('clicks', region)))).not.toThrow();
      }
    });
  });

  describe('a stream of another account or region (synth)', () => {
    test.each([
      ['account', kind.literalArn('clicks', 'eu-west-1', '210987654321'), /account 210987654321, region eu-west-1, but stack TestStack deploys to account 123456789012, region eu-west-1/],
      ['region', kind.literalArn('clicks', 'us-east-1'), /account 123456789012, region us-east-1, but stack TestStack deploys to account 123456789012, region eu-west-1/],
    ])('an ARN of another %s is refused, naming the construct, the prop and the fix', (_name, arn, message) => {
      const make = () => {
        const stack = newStack();
        kind.encrypt(stack, 'Sse', kind.importedByArn(stack, 'Foreign', arn));
      };
      expect(make).toThrow(message);
      expect(make).toThrow(new RegExp(`^/?TestStack/Sse: ${kind.prop} ${arn.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is in .*Add this construct to a stack with env \\{ account: '\\d+', region: '[a-z0-9-]+' \\}`));
    });

    test('the stack\'s own account and region are accepted', () => {
      const stack = newStack();
      expect(() => kind.encrypt(stack, 'Sse', kind.importedByArn(stack, 'Own', kind.literalArn('clicks')))).not.toThrow();
    });

    test('an env-agnostic stack accepts any account and region', () => {
      const stack = new Stack(new App(), 'Agnostic');
      expect(() => kind.encrypt(stack, 'Sse', kind.importedByArn(stack, 'Foreign', kind.literalArn('clicks', 'us-east-1', '210987654321')))).not.toThrow();
    });
  });

  describe('validation at synth', () => {
    const refused = (make: (stack: Stack) => unknown, message: RegExp) => expect(() => make(newStack())).toThrow(message);
    const accepted = (make: (stack: Stack) => unknown) => expect(() => make(newStack())).not.toThrow();

    test('a stream defined here without server-side encryption of its own is accepted', () => {
      accepted((stack) => kind.encrypt(stack, 'Sse', kind.defined(stack, 'Plain')));
    });

    test(`${kind.unencryptedType} is refused, saying how to turn encryption off`, () => {
      const make = () => {
        const stack = newStack();
        kind.encrypt(stack, 'Sse', imported(stack), { unencrypted: true });
      };
      expect(make).toThrow(`TestStack/Sse: encryption is ${kind.unencryptedType}, but a ${kind.construct} only turns server-side encryption on.`);
      expect(make).toThrow(/remove this construct while its removalPolicy is RemovalPolicy.DESTROY \(the default\): its deletion turns encryption off/);
      let error: Error | undefined;
      try {
        make();
      } catch (e) {
        error = e as Error;
      }
      expect(error?.name).toBe('ValidationError');
    });

    test.each([
      ['an asymmetric key', { keySpec: kms.KeySpec.RSA_2048, keyUsage: kms.KeyUsage.ENCRYPT_DECRYPT }, `key spec RSA_2048, but ${kind.service} encrypts only with symmetric keys`],
      ['a signing key', { keySpec: kms.KeySpec.ECC_NIST_P256, keyUsage: kms.KeyUsage.SIGN_VERIFY }, 'key spec ECC_NIST_P256'],
      ['an HMAC key', { keySpec: kms.KeySpec.HMAC_256, keyUsage: kms.KeyUsage.GENERATE_VERIFY_MAC }, 'key spec HMAC_256'],
    ])('%s is refused', (_name, keyProps, message) => {
      refused((stack) => kind.encrypt(stack, 'Sse', imported(stack), { encryptionKey: new kms.Key(stack, 'Key', keyProps) }), new RegExp(message));
    });

    test.each([
      ['an alias of this app', (stack: Stack) => new kms.Alias(stack, 'Alias', { aliasName: 'alias/clicks', targetKey: new kms.Key(stack, 'Target') }), 'Pass the key it targets instead: encryptionKey: alias.aliasTargetKey'],
      ['an alias imported by name', (stack: Stack) => kms.Alias.fromAliasName(stack, 'Alias', 'alias/clicks'), 'imported by its key ARN: encryptionKey: kms.Key.fromKeyArn('],
      ['an alias imported by attributes', (stack: Stack) => kms.Alias.fromAliasAttributes(stack, 'Alias', { aliasName: 'alias/clicks', aliasTargetKey: new kms.Key(stack, 'Target') }), 'imported by its key ARN: encryptionKey: kms.Key.fromKeyArn('],
    ])('%s passed as the key is refused, naming the construct, the prop and the fix', (_name, alias, fix) => {
      const stack = newStack();
      expect(() => kind.encrypt(stack, 'Sse', imported(stack), { encryptionKey: alias(stack) })).toThrow(
        `/TestStack/Sse: encryptionKey is the KMS alias TestStack/Alias, not a key; the deploy would fail with a misleading KEY_ACCESS_DENIED, because ${kind.service} checks`.slice(1),
      );
      expect(() => kind.encrypt(newStack(), 'Sse', imported(newStack()), { encryptionKey: alias(newStack()) })).toThrow(fix);
    });

    test('an alias ARN passed as the key is refused', () => {
      refused((stack) => {
        const alias = kms.Key.fromKeyArn(stack, 'Alias', `arn:aws:kms:eu-west-1:123456789012:alias/${kind.streamName}`);
        return kind.encrypt(stack, 'Sse', imported(stack), { encryptionKey: alias });
      }, /encryptionKey has the alias ARN .*pass the key itself/);
    });

    test.each([
      ['59 seconds', Duration.seconds(59)],
      ['15 minutes', Duration.minutes(15)],
      ['a fraction of a second', Duration.millis(90_500)],
    ])('a timeout of %s is refused', (_name, timeout) => {
      refused((stack) => kind.encrypt(stack, 'Sse', imported(stack), { timeout }), /timeout must be a whole number of seconds from 1 to 14 minutes/);
    });

    test.each([Duration.minutes(1), Duration.minutes(14)])('a timeout of %s is accepted', (timeout) => {
      accepted((stack) => kind.encrypt(stack, 'Sse', imported(stack), { timeout }));
    });

    test('a timeout in minutes from a token is refused with the prop named', () => {
      refused((stack) => {
        const minutes = new CfnParameter(stack, 'Minutes', { type: 'Number' });
        return kind.encrypt(stack, 'Sse', imported(stack), { timeout: Duration.minutes(minutes.valueAsNumber) });
      }, /timeout cannot be read in seconds: .*Duration.seconds/);
    });

    test.each([
      ['over 60 seconds', Duration.seconds(61)],
      ['a fraction of a second', Duration.millis(1500)],
    ])('a settle time %s is refused', (_name, settleTime) => {
      refused((stack) => kind.encrypt(stack, 'Sse', imported(stack), { settleTime }), /settleTime must be a whole number of seconds from 0 to 60/);
    });

    test.each([
      ['a space', `${kind.streamName} stream`],
      [kind.forbiddenCharacter[0], `${kind.streamName}${kind.forbiddenCharacter[1]}eu`],
      [`${kind.maxNameLength + 1} characters`, 'a'.repeat(kind.maxNameLength + 1)],
    ])('a stream name with %s is refused', (_name, name) => {
      refused(
        (stack) => kind.encrypt(stack, 'Sse', imported(stack, name)),
        new RegExp(`${kind.prop} has an invalid name .*1 to ${kind.maxNameLength} characters of letters, digits`),
      );
    });

    test('a stream defined here with an invalid explicit name is refused', () => {
      refused((stack) => kind.encrypt(stack, 'Sse', kind.defined(stack, 'Bad', 'bad name')), /invalid name 'bad name'/);
    });

    test(`a stream name of ${kind.maxNameLength} allowed characters is accepted`, () => {
      accepted((stack) => kind.encrypt(stack, 'Sse', imported(stack, 'a.b_c-D9'.repeat(kind.maxNameLength / 8))));
    });

    test('a removal policy other than DESTROY or RETAIN is refused', () => {
      refused(
        (stack) => kind.encrypt(stack, 'Sse', imported(stack), { removalPolicy: RemovalPolicy.SNAPSHOT }),
        /removalPolicy must be RemovalPolicy.DESTROY .* or RemovalPolicy.RETAIN/,
      );
    });
  });

  describe('one provider per stack', () => {
    test('each stack gets its own provider', () => {
      const app = new App();
      const a = new Stack(app, 'A');
      const b = new Stack(app, 'B');
      kind.encrypt(a, 'Sse', kind.imported(a));
      kind.encrypt(b, 'Sse', kind.imported(b, 'other'));
      Template.fromStack(a).resourceCountIs('AWS::Lambda::Function', 1);
      Template.fromStack(b).resourceCountIs('AWS::Lambda::Function', 1);
    });

    test('an unrelated construct holding the provider id is reported with a fix', () => {
      const stack = newStack();
      new Construct(stack, PROVIDER_ID);
      expect(() => kind.encrypt(stack, 'Sse', imported(stack))).toThrow(
        /construct id 'CdkStreamEncryptionProvider' is already used .*rename that construct/,
      );
    });

    // Kinesis Data Streams Developer Guide, "Permissions to use user-generated KMS keys"
    // (https://docs.aws.amazon.com/streams/latest/dev/permissions-user-key-KMS.html): "The use of the
    // default service key for encryption does not require application of custom IAM permissions";
    // Firehose API Reference, "DeliveryStreamEncryptionConfigurationInput"
    // (https://docs.aws.amazon.com/firehose/latest/APIReference/API_DeliveryStreamEncryptionConfigurationInput.html):
    // Firehose creates a grant (CreateGrant) only for a CUSTOMER_MANAGED_CMK.
    test('the service\'s own key adds no KMS statement to the shared role', () => {
      const stack = newStack();
      kind.encrypt(stack, 'Sse', kind.imported(stack, kind.streamName, 'S'), { serviceKey: true });
      kind.encrypt(stack, 'ClicksSse', kind.imported(stack, 'clicks', 'Clicks'));
      const [key] = statementsWith(stack, kind.keyActions[0]);
      expect(resourcesOfStatement(key)).toHaveLength(1);
      const [stream] = statementsWith(stack, kind.startAction);
      expect(resourcesOfStatement(stream)).toHaveLength(2);
    });
  });
});
