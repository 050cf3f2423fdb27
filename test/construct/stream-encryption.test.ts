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

    test('creates a symmetric key with rotation, an alias derived from the stream, and DESTROY removal', () => {
      const [keyId, key] = onlyStreamKey(stack);
      expect(key.Properties.EnableKeyRotation).toBe(true);
      expect(key.Properties.KeySpec).toBeUndefined(); // SYMMETRIC_DEFAULT
      expect(key.Properties.KeyUsage).toBeUndefined(); // ENCRYPT_DECRYPT
      expect(key.Properties.Description).toBe(`Server-side encryption of the ${kind.streamNoun} ${kind.streamName} (cdk-stream-encryption)`);
      expect(key.DeletionPolicy).toBe('Delete');
      template.hasResourceProperties('AWS::KMS::Alias', {
        AliasName: `${kind.aliasPrefix}${kind.streamName}`,
        TargetKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] },
      });
      expect(sse.encryptionKey).toBeDefined();
      expect(sse.keyType).toBe(kind.customerKeyType);
    });

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

    test('the custom resource depends on the key and on the handler, its role and its policy', () => {
      const [keyId] = onlyStreamKey(stack);
      const [roleId] = onlyResource(stack, 'AWS::IAM::Role');
      const [policyId] = onlyResource(stack, 'AWS::IAM::ManagedPolicy');
      const [fnId] = onlyResource(stack, 'AWS::Lambda::Function');
      const [, cr] = onlyResource(stack, kind.resourceType);
      expect(cr.DependsOn).toEqual(expect.arrayContaining([keyId, roleId, policyId, fnId]));
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

    test('the handler may manage exactly this stream, and tag it with the owner tag key only', () => {
      const statements = statementsWith(stack, kind.startAction);
      expect(statements).toEqual([{
        Effect: 'Allow',
        Action: kind.streamActions,
        Resource: kind.streamArn(kind.streamName),
        // binds the requests that name tag keys (tag and untag); the reads, Start and Stop name none
        Condition: { 'ForAllValues:StringEquals': { 'aws:TagKeys': 'cdk-stream-encryption/managed-by' } },
      }]);
    });

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

  describe('validation at synth', () => {
    const refused = (make: (stack: Stack) => unknown, message: RegExp) => expect(() => make(newStack())).toThrow(message);
    const accepted = (make: (stack: Stack) => unknown) => expect(() => make(newStack())).not.toThrow();

    test('a stream defined here without server-side encryption of its own is accepted', () => {
      accepted((stack) => kind.encrypt(stack, 'Sse', kind.defined(stack, 'Plain')));
    });

    test(`a key with ${kind.serviceKeyType} is refused`, () => {
      refused(
        (stack) => kind.encrypt(stack, 'Sse', imported(stack), { encryptionKey: new kms.Key(stack, 'Key'), serviceKey: true }),
        new RegExp(`encryptionKey was given with keyType ${kind.serviceKeyType}.*remove encryptionKey`),
      );
    });

    test.each([
      ['an asymmetric key', { keySpec: kms.KeySpec.RSA_2048, keyUsage: kms.KeyUsage.ENCRYPT_DECRYPT }, `key spec RSA_2048, but ${kind.service} encrypts only with symmetric keys`],
      ['a signing key', { keySpec: kms.KeySpec.ECC_NIST_P256, keyUsage: kms.KeyUsage.SIGN_VERIFY }, 'key spec ECC_NIST_P256'],
      ['an HMAC key', { keySpec: kms.KeySpec.HMAC_256, keyUsage: kms.KeyUsage.GENERATE_VERIFY_MAC }, 'key spec HMAC_256'],
    ])('%s is refused', (_name, keyProps, message) => {
      refused((stack) => kind.encrypt(stack, 'Sse', imported(stack), { encryptionKey: new kms.Key(stack, 'Key', keyProps) }), new RegExp(message));
    });

    test('an alias passed as the key is refused', () => {
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
      kind.encrypt(b, 'Sse', kind.imported(b));
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
