import { awsOwnedProperties, properties } from './firehose-helpers';
import { ALIAS_ARN, KEY_ARN, parseOutcome } from './helpers';
import { reasonFor } from '../../lambda/core/fixes';
import { functionalPropertiesChanged, parseRequestType, summarizeProperties } from '../../lambda/core/properties';
import { HandlerFailure, ReasonId } from '../../lambda/core/reasons';
import {
  KEY_ARN_PATTERN,
  parseDeliveryStreamProperties as parseProperties,
  usableDeliveryStreamName as usableStreamName,
} from '../../lambda/kinds/firehose/properties';
import { FUNCTIONAL_PROPERTIES } from '../../src/private/contract';

/** The failure `parse` throws. */
function thrown(parse: () => unknown): HandlerFailure {
  try {
    parse();
  } catch (err) {
    if (err instanceof HandlerFailure) {
      return err;
    }
  }
  throw new Error('expected a HandlerFailure');
}

/** The reason id a parse fails with (or `ok`). */
const outcome = (bag: unknown): ReasonId | 'ok' => parseOutcome(parseProperties, bag);

describe('parseProperties', () => {
  test('parses a complete customer managed key request', () => {
    expect(parseProperties({ ServiceToken: 'arn:aws:lambda:x', ServiceTimeout: '900', ...properties() })).toEqual({
      streamName: 'orders',
      keyType: 'CUSTOMER_MANAGED_CMK',
      keyArn: KEY_ARN,
      timeoutSeconds: 600,
      settleSeconds: 5,
      removalPolicy: 'destroy',
    });
  });

  test('parses an AWS owned key request, an alias ARN and the bounds', () => {
    expect(parseProperties(awsOwnedProperties({ TimeoutSeconds: '840', SettleSeconds: '0', RemovalPolicy: 'retain' }))).toEqual({
      streamName: 'orders',
      keyType: 'AWS_OWNED_CMK',
      keyArn: undefined,
      timeoutSeconds: 840,
      settleSeconds: 0,
      removalPolicy: 'retain',
    });
    expect(parseProperties(properties({ KeyArn: ALIAS_ARN, TimeoutSeconds: '1', SettleSeconds: '60' })).keyArn).toBe(ALIAS_ARN);
  });

  test('an empty KeyArn counts as absent', () => {
    expect(outcome({ ...awsOwnedProperties(), KeyArn: '' })).toBe('ok');
    expect(outcome(properties({ KeyArn: '' }))).toBe('INVALID_PROPERTY');
  });

  const without = (name: string): Record<string, string> => {
    const bag = properties();
    delete bag[name];
    return bag;
  };

  test.each<[string, unknown, ReasonId]>([
    ['not an object', 'orders', 'INVALID_PROPERTY'],
    ['null', null, 'INVALID_PROPERTY'],
    ['missing StreamKind', without('StreamKind'), 'INVALID_PROPERTY'],
    ['missing DeliveryStreamName', without('DeliveryStreamName'), 'INVALID_PROPERTY'],
    ['empty DeliveryStreamName', properties({ DeliveryStreamName: '' }), 'INVALID_PROPERTY'],
    ['missing KeyType', without('KeyType'), 'INVALID_PROPERTY'],
    ['missing TimeoutSeconds', without('TimeoutSeconds'), 'INVALID_PROPERTY'],
    ['missing SettleSeconds', without('SettleSeconds'), 'INVALID_PROPERTY'],
    ['missing RemovalPolicy', without('RemovalPolicy'), 'INVALID_PROPERTY'],
    ['numeric TimeoutSeconds', { ...properties(), TimeoutSeconds: 600 }, 'INVALID_PROPERTY'],
    ['boolean KeyArn', { ...properties(), KeyArn: true }, 'INVALID_PROPERTY'],
    ['object DeliveryStreamName', { ...properties(), DeliveryStreamName: { Ref: 'Stream' } }, 'INVALID_PROPERTY'],
    ['StreamKind kinesis', { ...properties(), StreamKind: 'kinesis' }, 'INVALID_PROPERTY'],
    ['stream ARN instead of name', properties({ DeliveryStreamName: 'arn:aws:firehose:eu-west-1:123456789012:deliverystream/orders' }), 'INVALID_PROPERTY'],
    ['stream name of 65 characters', properties({ DeliveryStreamName: 'a'.repeat(65) }), 'INVALID_PROPERTY'],
    ['stream name with a space', properties({ DeliveryStreamName: 'my stream' }), 'INVALID_PROPERTY'],
    ['KeyType lower case', { ...properties(), KeyType: 'customer_managed_cmk' }, 'INVALID_PROPERTY'],
    ['KeyType AWS_MANAGED_CMK', { ...properties(), KeyType: 'AWS_MANAGED_CMK' }, 'INVALID_PROPERTY'],
    ['CUSTOMER_MANAGED_CMK without KeyArn', without('KeyArn'), 'INVALID_PROPERTY'],
    ['AWS_OWNED_CMK with KeyArn', { ...awsOwnedProperties(), KeyArn: KEY_ARN }, 'INVALID_PROPERTY'],
    ['key id instead of ARN', properties({ KeyArn: '1234abcd-12ab-34cd-56ef-1234567890ab' }), 'INVALID_PROPERTY'],
    ['alias name instead of ARN', properties({ KeyArn: 'alias/orders' }), 'INVALID_PROPERTY'],
    ['an S3 ARN', properties({ KeyArn: 'arn:aws:s3:::bucket' }), 'INVALID_PROPERTY'],
    ['an account of 11 digits', properties({ KeyArn: 'arn:aws:kms:eu-west-1:12345678901:key/abc' }), 'INVALID_PROPERTY'],
    ['a key ARN of 3000 characters', properties({ KeyArn: `arn:aws:kms:eu-west-1:123456789012:key/${'a'.repeat(3000)}` }), 'INVALID_PROPERTY'],
    ['TimeoutSeconds 0', properties({ TimeoutSeconds: '0' }), 'INVALID_PROPERTY'],
    ['TimeoutSeconds 841', properties({ TimeoutSeconds: '841' }), 'INVALID_PROPERTY'],
    ['TimeoutSeconds 1.5', properties({ TimeoutSeconds: '1.5' }), 'INVALID_PROPERTY'],
    ['TimeoutSeconds -5', properties({ TimeoutSeconds: '-5' }), 'INVALID_PROPERTY'],
    ['TimeoutSeconds 10m', properties({ TimeoutSeconds: '10m' }), 'INVALID_PROPERTY'],
    ['TimeoutSeconds 0600', properties({ TimeoutSeconds: '0600' }), 'INVALID_PROPERTY'],
    ['SettleSeconds 61', properties({ SettleSeconds: '61' }), 'INVALID_PROPERTY'],
    ['SettleSeconds -1', properties({ SettleSeconds: '-1' }), 'INVALID_PROPERTY'],
    ['SettleSeconds five', properties({ SettleSeconds: 'five' }), 'INVALID_PROPERTY'],
    ['RemovalPolicy RETAIN', { ...properties(), RemovalPolicy: 'RETAIN' }, 'INVALID_PROPERTY'],
    ['RemovalPolicy snapshot', { ...properties(), RemovalPolicy: 'snapshot' }, 'INVALID_PROPERTY'],
  ])('%s → %s', (_name, bag, reasonId) => {
    expect(outcome(bag)).toBe(reasonId);
  });

  test('reasons name the property, quote the value and say what to do', () => {
    expect(() => parseProperties(properties({ TimeoutSeconds: '900' }))).toThrow(
      /^INVALID_PROPERTY: Resource property TimeoutSeconds must be a whole number from 1 to 840, not '900'\.$/,
    );
    // The answer to CloudFormation adds the fix, which names the construct.
    expect(reasonFor(thrown(() => parseProperties(properties({ TimeoutSeconds: '900' })))))
      .toMatch(/^INVALID_PROPERTY: Resource property TimeoutSeconds must be a whole number from 1 to 840, not '900'\. Let the DeliveryStreamEncryption construct/);
    expect(() => parseProperties({ ...properties(), TimeoutSeconds: 600 })).toThrow('TimeoutSeconds must be a string, got number');
    expect(() => parseProperties({ ...properties(), KeyArn: ['a'] })).toThrow('KeyArn must be a string, got array');
    expect(() => parseProperties(null)).toThrow('Resource property ResourceProperties must be an object');
    expect(() => parseProperties(properties({ DeliveryStreamName: 'a/b' }))).toThrow(/^INVALID_PROPERTY: Resource property DeliveryStreamName must be the stream's name .*, not 'a\/b'\.$/);
  });

  // The construct never writes these; a hand-written template, or a token that resolves to a bad
  // value, can. One reason for all: the property, what is wrong with it and what it must be.
  test.each<[string, unknown, RegExp]>([
    ['DeliveryStreamName', properties({ DeliveryStreamName: 'arn:aws:firehose:eu-west-1:123456789012:deliverystream/orders' }),
      /must be the stream's name \(1 to 64 of a-z, A-Z, 0-9, _ \. -; not its ARN\), not 'arn:aws:firehose:[^']*'/],
    ['KeyArn', without('KeyArn'), /is missing: KeyType CUSTOMER_MANAGED_CMK needs the key's ARN \(or use KeyType AWS_OWNED_CMK\)/],
    ['KeyArn', { ...awsOwnedProperties(), KeyArn: KEY_ARN }, /must be empty with KeyType AWS_OWNED_CMK, not 'arn:aws:kms:[^']*'/],
    ['KeyArn', properties({ KeyArn: 'alias/orders' }), /must be a KMS key or alias ARN \(key\.keyArn\), not its id or alias name: 'alias\/orders'/],
  ])('a %s the construct never writes: the reason names it, what is wrong and what it must be', (property, bag, problem) => {
    const failure = thrown(() => parseProperties(bag));
    expect(failure.params).toMatchObject({ property, construct: 'DeliveryStreamEncryption' });
    expect(reasonFor(failure)).toMatch(new RegExp(`^INVALID_PROPERTY: Resource property ${property} ${problem.source}\\. Let the DeliveryStreamEncryption construct write`));
  });

  test('a huge value is quoted only in part', () => {
    try {
      parseProperties(properties({ DeliveryStreamName: 'x'.repeat(10_000) }));
      throw new Error('expected a failure');
    } catch (err) {
      expect((err as Error).message.length).toBeLessThan(700);
    }
  });
});

describe('KEY_ARN_PATTERN', () => {
  test.each([
    'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    'arn:aws-cn:kms:cn-north-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab',
    'arn:aws-us-gov:kms:us-gov-west-1:123456789012:alias/my/alias_name+1=2,3.4@5-6',
  ])('accepts %s', (arn) => {
    expect(KEY_ARN_PATTERN.test(arn)).toBe(true);
  });
});

describe('parseRequestType', () => {
  test.each(['Create', 'Update', 'Delete'])('accepts %s', (type) => {
    expect(parseRequestType(type)).toBe(type);
  });

  test.each([['create'], ['Replace'], [''], [undefined], [42]])('rejects %p', (type) => {
    expect(() => parseRequestType(type)).toThrow(/^INVALID_REQUEST_TYPE: /);
  });
});

describe('functionalPropertiesChanged', () => {
  test('only StreamKind, DeliveryStreamName, KeyType and KeyArn count', () => {
    const old = properties();
    expect(functionalPropertiesChanged(old, properties({ TimeoutSeconds: '300', SettleSeconds: '0', RemovalPolicy: 'retain' }), FUNCTIONAL_PROPERTIES)).toBe(false);
    expect(functionalPropertiesChanged(old, { ...old, ServiceTimeout: '1200' }, FUNCTIONAL_PROPERTIES)).toBe(false);
    expect(functionalPropertiesChanged(old, properties({ DeliveryStreamName: 'payments' }), FUNCTIONAL_PROPERTIES)).toBe(true);
    expect(functionalPropertiesChanged(old, properties({ KeyArn: ALIAS_ARN }), FUNCTIONAL_PROPERTIES)).toBe(true);
    expect(functionalPropertiesChanged(old, awsOwnedProperties(), FUNCTIONAL_PROPERTIES)).toBe(true);
  });

  test('a missing KeyArn equals an empty one', () => {
    expect(functionalPropertiesChanged(awsOwnedProperties(), { ...awsOwnedProperties(), KeyArn: '' }, FUNCTIONAL_PROPERTIES)).toBe(false);
  });
});

describe('helpers', () => {
  test('usableStreamName', () => {
    expect(usableStreamName(properties())).toBe('orders');
    expect(usableStreamName(properties({ DeliveryStreamName: 'bad name' }))).toBeUndefined();
    expect(usableStreamName(undefined)).toBeUndefined();
  });

  test('summarizeProperties keeps only known properties', () => {
    const summary = summarizeProperties({ ...properties(), ServiceToken: 'arn:aws:lambda:x', Secret: 'nope' });
    expect(Object.keys(summary).sort()).toEqual(['DeliveryStreamName', 'KeyArn', 'KeyType', 'RemovalPolicy', 'SettleSeconds', 'StreamKind', 'TimeoutSeconds']);
  });
});
