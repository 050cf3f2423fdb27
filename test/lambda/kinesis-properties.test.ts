import { LimitExceededException, ResourceInUseException } from '@aws-sdk/client-kinesis';
import { KEY_ARN, parseOutcome } from './helpers';
import { kinesisProperties, MANAGED, STREAM_ARN } from './kinesis-helpers';
import { classifyError } from '../../lambda/core/errors';
import { reasonFor } from '../../lambda/core/fixes';
import { functionalPropertiesChanged, summarizeProperties } from '../../lambda/core/properties';
import { HandlerFailure, ReasonId } from '../../lambda/core/reasons';
import { parseDataStreamProperties, usableDataStreamName } from '../../lambda/kinds/kinesis/properties';
import { DATA_STREAM_FUNCTIONAL_PROPERTIES } from '../../src/private/contract';

const meta = { $metadata: { httpStatusCode: 400 } };

/** The reason id a parse fails with (or `ok`). */
const outcome = (bag: unknown): ReasonId | 'ok' => parseOutcome(parseDataStreamProperties, bag);

describe('parseDataStreamProperties', () => {
  test('parses a complete customer managed key request', () => {
    expect(parseDataStreamProperties({ ServiceToken: 'arn:aws:lambda:x', ServiceTimeout: '900', ...kinesisProperties() })).toEqual({
      streamName: 'events',
      streamArn: STREAM_ARN,
      keyId: KEY_ARN,
      timeoutSeconds: 600,
      settleSeconds: 5,
      removalPolicy: 'destroy',
    });
  });

  test('parses the Kinesis managed key, other partitions and the bounds', () => {
    expect(parseDataStreamProperties(kinesisProperties({ KeyId: MANAGED, TimeoutSeconds: '840', SettleSeconds: '0', RemovalPolicy: 'retain' }))).toMatchObject({
      keyId: MANAGED,
      timeoutSeconds: 840,
      settleSeconds: 0,
      removalPolicy: 'retain',
    });
    expect(outcome(kinesisProperties({
      StreamArn: 'arn:aws-us-gov:kinesis:us-gov-west-1:123456789012:stream/events',
      KeyId: 'arn:aws-us-gov:kms:us-gov-west-1:123456789012:key/mrk-1234abcd',
    }))).toBe('ok');
    expect(outcome(kinesisProperties({ StreamName: 'a'.repeat(128), StreamArn: `arn:aws:kinesis:eu-west-1:123456789012:stream/${'a'.repeat(128)}` }))).toBe('ok');
  });

  test.each<[string, unknown, ReasonId]>([
    ['not an object', 'events', 'INVALID_PROPERTY'],
    ['StreamKind firehose', { ...kinesisProperties(), StreamKind: 'firehose' }, 'INVALID_PROPERTY'],
    ['a DeliveryStreamName instead of a StreamName', { ...kinesisProperties(), StreamName: undefined, DeliveryStreamName: 'events' }, 'INVALID_PROPERTY'],
    ['a stream ARN as StreamName', kinesisProperties({ StreamName: STREAM_ARN }), 'INVALID_PROPERTY'],
    ['an empty StreamArn', kinesisProperties({ StreamArn: '' }), 'INVALID_PROPERTY'],
    ['a StreamArn with another name', kinesisProperties({ StreamArn: 'arn:aws:kinesis:eu-west-1:123456789012:stream/other' }), 'INVALID_PROPERTY'],
    ['a StreamArn with a short account', kinesisProperties({ StreamArn: 'arn:aws:kinesis:eu-west-1:1234:stream/events' }), 'INVALID_PROPERTY'],
    ['a consumer ARN', kinesisProperties({ StreamArn: `${STREAM_ARN}/consumer/c:1` }), 'INVALID_PROPERTY'],
    ['alias/aws/kinesis as an alias ARN', kinesisProperties({ KeyId: 'arn:aws:kms:eu-west-1:123456789012:alias/aws/kinesis' }), 'INVALID_PROPERTY'],
    ['a key ARN of another service', kinesisProperties({ KeyId: 'arn:aws:iam::123456789012:role/k' }), 'INVALID_PROPERTY'],
    ['a huge KeyId', kinesisProperties({ KeyId: `arn:aws:kms:eu-west-1:123456789012:key/${'a'.repeat(2048)}` }), 'INVALID_PROPERTY'],
    ['a boolean KeyId', { ...kinesisProperties(), KeyId: true }, 'INVALID_PROPERTY'],
  ])('%s: %s', (_name, bag, expected) => {
    expect(outcome(bag)).toBe(expected);
  });

  // The construct never writes these; a hand-written template, or a token that resolves to a bad
  // value, can. One reason for all: the property, what is wrong with it and what it must be.
  test.each<[string, unknown, RegExp]>([
    ['StreamName', kinesisProperties({ StreamName: STREAM_ARN }), /must be the stream's name \(1 to 128 of a-z, A-Z, 0-9, _ \. -; not its ARN\), not 'arn:aws:kinesis:[^']*'/],
    ['StreamArn', kinesisProperties({ StreamArn: 'arn:aws:kinesis:eu-west-1:123456789012:stream/other' }),
      /must be the ARN of the Kinesis data stream events, not 'arn:aws:kinesis:eu-west-1:123456789012:stream\/other'/],
    ['KeyId', kinesisProperties({ KeyId: 'alias/events' }), /must be a KMS key ARN \(key\.keyArn\) or alias\/aws\/kinesis, not 'alias\/events'/],
  ])('a %s the construct never writes: the reason names it, what is wrong and what it must be', (property, bag, problem) => {
    let failure: unknown;
    try {
      parseDataStreamProperties(bag);
    } catch (err) {
      failure = err;
    }
    expect(failure).toBeInstanceOf(HandlerFailure);
    expect((failure as HandlerFailure).params).toMatchObject({ property, construct: 'DataStreamEncryption' });
    expect(reasonFor(failure as HandlerFailure))
      .toMatch(new RegExp(`^INVALID_PROPERTY: Resource property ${property} ${problem.source}\\. Let the DataStreamEncryption construct write`));
  });

  test('usable stream names give physical ids even when other properties are invalid', () => {
    expect(usableDataStreamName({ StreamName: 'events', KeyId: 'nope' })).toBe('events');
    expect(usableDataStreamName({ StreamName: 'not a name' })).toBeUndefined();
    expect(usableDataStreamName({ DeliveryStreamName: 'events' })).toBeUndefined();
    expect(usableDataStreamName(undefined)).toBeUndefined();
  });

  test('the functional properties of a data stream are its kind, stream, ARN and key', () => {
    const changed = (overrides: Record<string, string>) =>
      functionalPropertiesChanged(kinesisProperties(), { ...kinesisProperties(), ...overrides }, DATA_STREAM_FUNCTIONAL_PROPERTIES);
    expect(changed({ TimeoutSeconds: '60', SettleSeconds: '0', RemovalPolicy: 'retain' })).toBe(false);
    expect(changed({ KeyId: MANAGED })).toBe(true);
    expect(changed({ StreamArn: 'arn:aws:kinesis:us-east-1:123456789012:stream/events' })).toBe(true);
    expect(changed({ StreamName: 'clicks' })).toBe(true);
  });

  test('log summaries name the data stream properties', () => {
    expect(summarizeProperties({ ...kinesisProperties(), Extra: 'x' })).toEqual({
      StreamKind: 'kinesis',
      StreamName: 'events',
      StreamArn: STREAM_ARN,
      KeyId: KEY_ARN,
      TimeoutSeconds: '600',
      SettleSeconds: '5',
      RemovalPolicy: 'destroy',
    });
  });
});

describe('classifyError for Kinesis', () => {
  test('LimitExceededException: a rate limit on DescribeStreamSummary, the key-application limit on Start and Stop', () => {
    expect(classifyError(new LimitExceededException({ message: 'Rate exceeded', ...meta }), 'DescribeStreamSummary')).toBe('throttled');
    expect(classifyError(new LimitExceededException({ message: '25', ...meta }), 'StartStreamEncryption')).toBe('fatal');
    expect(classifyError(new LimitExceededException({ message: '25', ...meta }), 'StopStreamEncryption')).toBe('fatal');
    // Kinesis answers its control-plane rate limit with the same exception, on Start and Stop too
    const rate = 'Rate exceeded for stream events under account 123456789012.';
    expect(classifyError(new LimitExceededException({ message: rate, ...meta }), 'StartStreamEncryption')).toBe('throttled');
    expect(classifyError(new LimitExceededException({ message: rate, ...meta }), 'StopStreamEncryption')).toBe('throttled');
  });

  test('KMSThrottlingException is throttling; ResourceInUseException is transient; the other KMS errors are final', () => {
    const kmsThrottled = Object.assign(new Error('slow down'), { name: 'KMSThrottlingException', $fault: 'client', ...meta });
    expect(classifyError(kmsThrottled, 'StartStreamEncryption')).toBe('throttled');
    expect(classifyError(new ResourceInUseException({ message: 'UPDATING', ...meta }), 'StartStreamEncryption')).toBe('transient');
    // KMS denying Kinesis is retried while IAM may still be propagating a policy.
    expect(classifyError(Object.assign(new Error('x'), { name: 'KMSAccessDeniedException', $fault: 'client', ...meta }), 'StartStreamEncryption')).toBe('denied');
    for (const name of ['KMSDisabledException', 'KMSInvalidStateException', 'KMSNotFoundException', 'KMSOptInRequired']) {
      expect(classifyError(Object.assign(new Error('x'), { name, $fault: 'client', ...meta }), 'StartStreamEncryption')).toBe('fatal');
    }
  });
});
