/**
 * What the constructs refuse at synth, and how: an aws-cdk-lib `ValidationError` of the construct
 * (a plain `Error` with an aws-cdk-lib that has none) whose message starts with the construct's
 * path and names the prop, what is wrong and the fix. Mistakes that used to pass synth: a key of
 * another region than the stream, one stream encrypted from two stacks of an app, and a stream the
 * construct's own stack defines (a warning: the stream's own `encryption` prop is the tool).
 */
import { Annotations as CdkAnnotations, App, Duration, Errors, RemovalPolicy, Stack, Stage } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { Kind, KINDS, newStack } from './util';
import { StreamEncryptionGuard } from '../../src';
import { CDK_FEATURES, validationError } from '../../src/private/cdk-compat';
import { TWO_STACKS_ACK } from '../../src/private/encrypted-streams';
import { SAME_STACK_STREAM } from '../../src/private/encryption-resource';

/** The error `make` throws. */
function thrownBy(make: () => unknown): Error {
  try {
    make();
  } catch (e) {
    return e as Error;
  }
  throw new Error('nothing was thrown');
}

const ENV = { account: '123456789012', region: 'eu-west-1' };
const FOREIGN_KEY = 'arn:aws:kms:us-east-1:123456789012:key/0b6c1e3a-5f6d-4b7e-9c1a-2d3e4f5a6b7c';

describe.each(KINDS)('$construct refusals', (kind: Kind) => {
  /** A stack with the kind's imported stream, and the construct on it with `props`. */
  const encryptWith = (props: (s: Stack) => Record<string, unknown>) => () => {
    const stack = newStack();
    kind.encrypt(stack, 'Sse', kind.imported(stack), props(stack) as any);
  };

  test.each<[string, (s: Stack) => Record<string, unknown>, RegExp]>([
    ['a timeout out of range', () => ({ timeout: Duration.minutes(15) }), /^TestStack\/Sse: timeout must be a whole number of seconds from 1 to 14 minutes .*got 15 minutes; pass e\.g\. Duration\.minutes\(10\)/],
    ['a fractional timeout, in exact seconds', () => ({ timeout: Duration.seconds(90.5) }), /^TestStack\/Sse: timeout must be .*, got 90\.5 seconds;/],
    ['a settle time out of range', () => ({ settleTime: Duration.seconds(61) }), /^TestStack\/Sse: settleTime must be a whole number of seconds from 0 to 60 seconds, got 61 seconds;/],
    ['a pending window of part days', () => ({ keyRemovalPolicy: RemovalPolicy.DESTROY, keyPendingWindow: Duration.hours(200) }), /^TestStack\/Sse: keyPendingWindow must be a whole number of days from 7 to 30 days .*got 200 hours;/],
    ['a removal policy other than DESTROY or RETAIN', () => ({ removalPolicy: RemovalPolicy.SNAPSHOT }), /^TestStack\/Sse: removalPolicy must be RemovalPolicy\.DESTROY/],
    ['an asymmetric key', (s) => ({ encryptionKey: new kms.Key(s, 'Rsa', { keySpec: kms.KeySpec.RSA_2048, keyUsage: kms.KeyUsage.SIGN_VERIFY }) }), /^TestStack\/Sse: encryptionKey TestStack\/Rsa has key spec RSA_2048/],
    ['an alias ARN as the key', (s) => ({ encryptionKey: kms.Key.fromKeyArn(s, 'AliasArn', 'arn:aws:kms:eu-west-1:123456789012:alias/orders') }), /^TestStack\/Sse: encryptionKey has the alias ARN arn:aws:kms:eu-west-1:123456789012:alias\/orders; pass the key itself/],
  ])('%s', (_name, props, message) => {
    const error = thrownBy(encryptWith(props));
    expect(Errors.isValidationError(error)).toBe(true);
    expect(error.message).toMatch(message);
  });

  test('an invalid stream name names the construct and the prop', () => {
    const error = thrownBy(() => {
      const stack = newStack();
      kind.encrypt(stack, 'Sse', kind.imported(stack, `bad${kind.forbiddenCharacter[1]}name`));
    });
    expect(Errors.isValidationError(error)).toBe(true);
    expect(error.message).toMatch(new RegExp(`^TestStack/Sse: ${kind.prop} has an invalid name`));
  });

  test('keyPendingWindow with a given key speaks of the given key, not of a created one', () => {
    const error = thrownBy(encryptWith((s) => ({ encryptionKey: new kms.Key(s, 'Mine'), keyPendingWindow: Duration.days(7) })));
    expect(error.message).toBe(
      `TestStack/Sse: keyRemovalPolicy and keyPendingWindow apply only to a key the construct creates, and ${kind.givenKeyProp} was given, so it creates none; remove keyRemovalPolicy and keyPendingWindow, and set the removal policy on your key itself.`,
    );
    expect(error.message).not.toContain('created key is never scheduled');
  });

  describe('a key of another region than the stream', () => {
    test('imported by ARN: refused, naming the key, both regions and the fix', () => {
      const error = thrownBy(encryptWith((s) => ({ encryptionKey: kms.Key.fromKeyArn(s, 'Foreign', FOREIGN_KEY) })));
      expect(Errors.isValidationError(error)).toBe(true);
      expect(error.message).toMatch(new RegExp(
        `^TestStack/Sse: encryptionKey ${FOREIGN_KEY} is in region us-east-1, but ${kind.prop} is in region eu-west-1; KMS keys are regional, and ${kind.service} encrypts a stream only with a key of the stream's region\\. Pass a key in eu-west-1`,
      ));
    });

    test('defined in a stack of another region: refused, naming the key construct', () => {
      const app = new App();
      const keys = new Stack(app, 'Keys', { env: { ...ENV, region: 'us-east-1' } });
      const key = new kms.Key(keys, 'Key');
      const stack = new Stack(app, 'Streams', { env: ENV });
      const error = thrownBy(() => kind.encrypt(stack, 'Sse', kind.imported(stack), { encryptionKey: key }));
      expect(error.message).toMatch(/^Streams\/Sse: encryptionKey Keys\/Key is in region us-east-1, but \w+ is in region eu-west-1;/);
    });

    test('a key of the stream\'s region, or of an environment-agnostic stack, passes', () => {
      expect(encryptWith((s) => ({ encryptionKey: kms.Key.fromKeyArn(s, 'Local', FOREIGN_KEY.replace('us-east-1', 'eu-west-1')) }))).not.toThrow();
      const stack = new Stack(new App(), 'Agnostic');
      expect(() => kind.encrypt(stack, 'Sse', kind.imported(stack), { encryptionKey: new kms.Key(stack, 'Key') })).not.toThrow();
    });
  });

  describe('one stream encrypted from two stacks of one app', () => {
    const twoStacks = (acknowledge = false) => {
      const app = new App();
      const one = new Stack(app, 'One', { env: ENV });
      kind.encrypt(one, 'Sse', kind.imported(one));
      const two = new Stack(app, 'Two', { env: ENV });
      if (acknowledge) CdkAnnotations.of(two).acknowledgeWarning(TWO_STACKS_ACK, 'Two takes the stream over from One, deployed after it');
      const team = new Construct(two, 'Team');
      kind.encrypt(team, 'Sse', kind.importedByArn(two, 'ByArn', kind.literalArn(kind.streamName)));
    };

    test('is refused, naming both construct paths and how to keep one', () => {
      const error = thrownBy(() => twoStacks());
      expect(Errors.isValidationError(error)).toBe(true);
      expect(error.message).toMatch(new RegExp(
        `^Two/Team/Sse: ${kind.prop} is the stream that One/Sse already encrypts from stack One; .*Keep one: remove Two/Team/Sse, or One/Sse, and hand the stream to the other stack`,
      ));
      expect(error.message).toContain(`acknowledgeWarning('${TWO_STACKS_ACK}', reason)`);
    });

    test('passes when acknowledged on purpose, and in two stages (two deployments)', () => {
      expect(() => twoStacks(true)).not.toThrow();
      const app = new App();
      for (const id of ['Blue', 'Green']) {
        const stack = new Stack(new Stage(app, id), 'Stack', { env: ENV });
        expect(() => kind.encrypt(stack, 'Sse', kind.imported(stack))).not.toThrow();
      }
    });
  });

  describe('a stream its own stack defines', () => {
    const warningsOf = (stack: Stack) => Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp(SAME_STACK_STREAM));

    test('warns, pointing to the stream\'s own encryption prop', () => {
      const stack = newStack();
      kind.encrypt(stack, 'Sse', kind.defined(stack, 'Defined', 'defined'));
      const warnings = warningsOf(stack);
      expect(warnings).toHaveLength(1);
      expect(warnings[0].id).toBe('/TestStack/Sse');
      expect(String(warnings[0].entry.data)).toMatch(new RegExp(
        `^${kind.prop} TestStack/Defined is defined in this construct's own stack, where its own \`encryption\` prop encrypts it in CloudFormation.*${kind.service === 'Firehose' ? 'StreamEncryption\\.customerManagedKey\\(key\\)' : 'StreamEncryption\\.KMS, encryptionKey: key'}`,
      ));
    });

    test('can be acknowledged; an imported stream, or one another stack defines, is not warned about', () => {
      const stack = newStack();
      CdkAnnotations.of(stack).acknowledgeWarning(SAME_STACK_STREAM, 'migrating the stream to its own encryption prop later');
      kind.encrypt(stack, 'Sse', kind.defined(stack, 'Defined', 'defined'));
      kind.encrypt(stack, 'Imported', kind.imported(stack));
      expect(warningsOf(stack)).toEqual([]);

      const app = new App();
      const streams = new Stack(app, 'Streams', { env: ENV });
      const other = new Stack(app, 'Other', { env: ENV });
      kind.encrypt(other, 'Sse', kind.defined(streams, 'Defined', 'defined'));
      expect(warningsOf(other)).toEqual([]);
    });
  });
});

describe('the error of a refusal', () => {
  afterEach(() => jest.restoreAllMocks());

  test('is aws-cdk-lib\'s ValidationError of the construct, or UnscopedValidationError without one', () => {
    const scope = newStack();
    const scoped = validationError(scope, 'TestStack: wrong');
    expect(Errors.isValidationError(scoped)).toBe(true);
    expect(scoped.name).toBe('ValidationError');
    expect(scoped.message).toBe('TestStack: wrong');
    const unscoped = validationError(undefined, 'wrong');
    expect(Errors.isValidationError(unscoped)).toBe(true);
    expect(unscoped).toBeInstanceOf(CDK_FEATURES.unscopedValidationError()!);
    expect(scoped).not.toBeInstanceOf(CDK_FEATURES.unscopedValidationError()!);
  });

  test('is a plain Error with an aws-cdk-lib that has neither, with the same message', () => {
    jest.spyOn(CDK_FEATURES, 'validationError').mockReturnValue(undefined);
    jest.spyOn(CDK_FEATURES, 'unscopedValidationError').mockReturnValue(undefined);
    const error = thrownBy(() => StreamEncryptionGuard.configure(newStack(), { maxRepairsPerStreamPerDay: 13 }));
    expect(error.constructor).toBe(Error);
    expect(Errors.isValidationError(error)).toBe(false);
    expect(error.message).toMatch(/^TestStack\/CdkStreamEncryptionGuard: maxRepairsPerStreamPerDay must be a whole number from 1 to 12, got 13/);
    expect(validationError(undefined, 'wrong').constructor).toBe(Error);
  });

  test('of a second guard configuration, names the scope it was called for', () => {
    const stack = newStack();
    StreamEncryptionGuard.configure(stack);
    const error = thrownBy(() => StreamEncryptionGuard.configure(new Construct(stack, 'Nested')));
    expect(Errors.isValidationError(error)).toBe(true);
    expect(error.message).toMatch(/^TestStack\/Nested: StreamEncryptionGuard.configure was called for stack TestStack, which already has the guard TestStack\/CdkStreamEncryptionGuard, configured before/);
  });
});
