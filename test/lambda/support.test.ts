import {
  InvalidArgumentException,
  InvalidKMSResourceException,
  LimitExceededException,
  ResourceInUseException,
  ResourceNotFoundException,
  ServiceUnavailableException,
} from '@aws-sdk/client-firehose';
import { DependencyTimeoutException, KMSInternalException, NotFoundException } from '@aws-sdk/client-kms';
import { awsError, networkError, RESPONSE_URL } from './helpers';
import { Backoff, ERROR_BACKOFF, fullJitterDelay, POLL_BACKOFF } from '../../lambda/core/backoff';
import { GUARD_REASON_FIXES, REASON_CATALOGUE } from '../../lambda/core/catalogue';
import { classifyError, describeError, errorInfo, wrappedKmsError } from '../../lambda/core/errors';
import { formatReason, REASON_FIXES, reasonFor } from '../../lambda/core/fixes';
import { Logger, REDACTED, redact, urlSecrets } from '../../lambda/core/log';
import { HandlerFailure, REASON_MESSAGES } from '../../lambda/core/reasons';
import { GUARD_REASON_MESSAGES } from '../../lambda/guard/reasons';

const meta = { $metadata: { httpStatusCode: 400 } };

describe('classifyError', () => {
  test('modelled Firehose errors', () => {
    expect(classifyError(new LimitExceededException({ message: 'Rate exceeded', ...meta }), 'DescribeDeliveryStream')).toBe('throttled');
    expect(classifyError(new LimitExceededException({ message: '25 calls', ...meta }), 'StartDeliveryStreamEncryption')).toBe('fatal');
    expect(classifyError(new LimitExceededException({ message: '25 calls', ...meta }), 'StopDeliveryStreamEncryption')).toBe('fatal');
    expect(classifyError(new InvalidArgumentException({ message: 'x', ...meta }), 'StartDeliveryStreamEncryption')).toBe('fatal');
    expect(classifyError(new InvalidKMSResourceException({ message: 'x', ...meta }), 'StartDeliveryStreamEncryption')).toBe('fatal');
    expect(classifyError(new ResourceNotFoundException({ message: 'x', ...meta }), 'DescribeDeliveryStream')).toBe('fatal');
    expect(classifyError(new ResourceInUseException({ message: 'x', ...meta }), 'StartDeliveryStreamEncryption')).toBe('transient');
    expect(classifyError(new ServiceUnavailableException({ message: 'x', $metadata: { httpStatusCode: 503 } }), 'DescribeDeliveryStream')).toBe('transient');
  });

  // Firehose wraps the KMS error its grant on the key met in InvalidKMSResourceException, naming it
  // in `code` (Firehose API reference, StartDeliveryStreamEncryption, Errors:
  // https://docs.aws.amazon.com/firehose/latest/APIReference/API_StartDeliveryStreamEncryption.html).
  // The page gives no spelling of `code`: every spelling is read, and the message when there is none.
  test.each([
    ['KMS.AccessDeniedException', 'x', 'AccessDeniedException', 'denied'],
    ['AccessDeniedException', 'x', 'AccessDeniedException', 'denied'],
    ['KMSAccessDeniedException', 'x', 'AccessDeniedException', 'denied'],
    [undefined, 'User: arn:aws:sts::1:assumed-role/r/s is not authorized to perform: kms:CreateGrant on resource: k', 'AccessDeniedException', 'denied'],
    [undefined, 'KMS.AccessDeniedException: no', 'AccessDeniedException', 'denied'],
    ['KMS.DisabledException', 'x', 'DisabledException', 'fatal'],
    ['KMS.NotFoundException', 'x', 'NotFoundException', 'fatal'],
    ['KMS.InvalidStateException', 'x', 'InvalidStateException', 'fatal'],
    ['KMS.KMSInvalidStateException', 'x', 'InvalidStateException', 'fatal'],
    ['KMS.OptInRequired', 'x', 'OptInRequired', 'fatal'],
    ['KMS.DisabledException', 'AccessDeniedException in the message, but the code says otherwise', 'DisabledException', 'fatal'],
    [undefined, 'the key cannot be used', undefined, 'fatal'],
    ['KMS.SomethingNew', 'x', undefined, 'fatal'],
  ])('InvalidKMSResourceException with code %s and message %j wraps %s: %s', (code, message, wrapped, kind) => {
    const err = new InvalidKMSResourceException({ message, code, ...meta });
    expect(wrappedKmsError(err)).toBe(wrapped);
    expect(classifyError(err, 'StartDeliveryStreamEncryption')).toBe(kind);
  });

  test('only InvalidKMSResourceException wraps a KMS error; its code shows in the description', () => {
    expect(wrappedKmsError(awsError('AccessDeniedException', 'KMS.AccessDeniedException'))).toBeUndefined();
    expect(wrappedKmsError(Object.assign(new Error('x'), { name: 'InvalidArgumentException', code: 'KMS.AccessDeniedException' }))).toBeUndefined();
    expect(describeError(new InvalidKMSResourceException({ message: 'not authorized', code: 'KMS.AccessDeniedException', ...meta })))
      .toBe('InvalidKMSResourceException (KMS.AccessDeniedException): not authorized');
    expect(describeError(new InvalidKMSResourceException({ message: 'no key', ...meta }))).toBe('InvalidKMSResourceException: no key');
    // a network error's Node code is no service error's code
    expect(describeError(networkError('ECONNRESET'))).not.toContain('(ECONNRESET)');
  });

  test('modelled KMS errors', () => {
    expect(classifyError(new NotFoundException({ message: 'x', ...meta }), 'DescribeKey')).toBe('fatal');
    expect(classifyError(new KMSInternalException({ message: 'x', $metadata: { httpStatusCode: 500 } }), 'DescribeKey')).toBe('transient');
    expect(classifyError(new DependencyTimeoutException({ message: 'x', $metadata: { httpStatusCode: 503 } }), 'DescribeKey')).toBe('transient');
  });

  test('throttling, 5xx, network and unknown errors', () => {
    expect(classifyError(awsError('ThrottlingException', 'Rate exceeded'), 'DescribeKey')).toBe('throttled');
    expect(classifyError(awsError('SomethingNew', 'slow down', 429), 'DescribeDeliveryStream')).toBe('throttled');
    expect(classifyError(awsError('InternalFailure', 'oops', 500), 'DescribeDeliveryStream')).toBe('transient');
    expect(classifyError(awsError('SomethingNew', 'bad gateway', 502), 'DescribeDeliveryStream')).toBe('transient');
    expect(classifyError(networkError('ECONNRESET'), 'StartDeliveryStreamEncryption')).toBe('transient');
    expect(classifyError(Object.assign(new Error('aborted'), { name: 'AbortError' }), 'DescribeDeliveryStream')).toBe('transient');
    expect(classifyError(awsError('SomethingNew', 'no', 400), 'DescribeDeliveryStream')).toBe('fatal');
    // Access denied is retried while IAM may still be propagating a policy.
    expect(classifyError(awsError('AccessDeniedException', 'no', 400), 'DescribeDeliveryStream')).toBe('denied');
  });

  test('no answer at all: credentials and endpoint errors are unreachable, a reset connection is transient', () => {
    expect(classifyError(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }), 'DescribeDeliveryStream')).toBe('unreachable');
    expect(classifyError(networkError('ENOTFOUND'), 'DescribeStreamSummary')).toBe('unreachable');
    expect(classifyError(Object.assign(new TypeError('Invalid URL'), { code: 'ERR_INVALID_URL' }), 'DescribeKey')).toBe('unreachable');
    expect(classifyError(networkError('ECONNRESET'), 'DescribeKey')).toBe('transient');
    expect(classifyError(Object.assign(new Error('The operation was aborted due to timeout'), { name: 'TimeoutError' }), 'DescribeKey')).toBe('transient');
  });

  test('the tag operations: LimitExceededException is throttling, except a tag count limit when adding tags', () => {
    const rate = (message = 'Rate exceeded for stream events under account 123456789012.') => new LimitExceededException({ message, ...meta });
    for (const operation of ['ListTagsForDeliveryStream', 'UntagDeliveryStream', 'ListTagsForStream', 'RemoveTagsFromStream'] as const) {
      expect(classifyError(rate('limit exceeded'), operation)).toBe('throttled');
    }
    for (const operation of ['TagDeliveryStream', 'AddTagsToStream'] as const) {
      expect(classifyError(rate(), operation)).toBe('throttled');
      expect(classifyError(rate('A stream can have at most 50 tags.'), operation)).toBe('fatal');
      expect(classifyError(awsError('ThrottlingException', 'slow down'), operation)).toBe('throttled');
      expect(classifyError(new ResourceInUseException({ message: 'x', ...meta }), operation)).toBe('transient');
      expect(classifyError(awsError('AccessDeniedException', 'no', 400), operation)).toBe('denied');
    }
  });

  test('a modelled client error is fatal even without an HTTP status', () => {
    expect(classifyError(new NotFoundException({ message: 'x', $metadata: {} }), 'DescribeKey')).toBe('fatal');
  });
});

describe('describeError', () => {
  test('is name: message, without $metadata, request ids or the raw response', () => {
    const text = describeError(awsError('InvalidArgumentException', 'Key is the same'));
    expect(text).toBe('InvalidArgumentException: Key is the same');
    expect(text).not.toMatch(/REQUEST-ID|RAW-RESPONSE|metadata/);
  });

  test('uses the Node error code for network errors and copes with non-errors', () => {
    expect(describeError(networkError('ECONNREFUSED'))).toBe('ECONNREFUSED: read ECONNREFUSED');
    expect(describeError('plain string')).toBe('Error: plain string');
    expect(describeError(undefined)).toBe('Error: undefined');
    expect(errorInfo(awsError('X', 'm', 503))).toEqual({ name: 'X', message: 'm', httpStatusCode: 503, fault: 'server' });
  });

  test('flattens and shortens long messages', () => {
    const text = describeError(new Error(`line one\n\nline two ${'x'.repeat(1000)}`));
    expect(text).toMatch(/^Error: line one line two x+…$/);
    expect(text.length).toBeLessThan(320);
  });
});

describe('backoff', () => {
  test('full jitter between the floor and min(cap, base · 2^level)', () => {
    expect(fullJitterDelay(0, POLL_BACKOFF, 0)).toBe(50);
    expect(fullJitterDelay(0, POLL_BACKOFF, 0.999999)).toBe(250);
    expect(fullJitterDelay(1, POLL_BACKOFF, 0.999999)).toBe(500);
    expect(fullJitterDelay(5, POLL_BACKOFF, 0.999999)).toBe(1000);
    expect(fullJitterDelay(100, ERROR_BACKOFF, 0.999999)).toBe(10_000);
    expect(fullJitterDelay(100, ERROR_BACKOFF, 0)).toBe(100);
  });

  test('grows, relaxes and resets', () => {
    const backoff = new Backoff(ERROR_BACKOFF, () => 1);
    expect(Array.from({ length: 6 }, () => backoff.next())).toEqual([500, 1000, 2000, 4000, 8000, 10_000]);
    backoff.relax();
    backoff.relax();
    expect(backoff.next()).toBe(8000);
    backoff.reset();
    expect(backoff.next()).toBe(500);
  });
});

describe('reason catalogue', () => {
  test('every entry has a unique upper-case id, a message and a fix', () => {
    const ids = REASON_CATALOGUE.map((entry) => entry.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const entry of REASON_CATALOGUE) {
      expect(entry.id).toMatch(/^[A-Z][A-Z_]+$/);
      expect(entry.message.length).toBeGreaterThan(10);
      expect(entry.fix.length).toBeGreaterThan(10);
      expect(entry.message).toBe({ ...REASON_MESSAGES, ...GUARD_REASON_MESSAGES }[entry.id]);
    }
    // The handler's reasons in the order its checks run, then the guard's own.
    expect(ids).toEqual([...Object.keys(REASON_MESSAGES), ...Object.keys(GUARD_REASON_MESSAGES)]);
    // Each fix is written once: the handler's in fixes.ts, the guard's own in catalogue.ts.
    expect([...Object.keys(REASON_FIXES), ...Object.keys(GUARD_REASON_FIXES)].sort()).toEqual([...ids].sort());
    expect(REASON_CATALOGUE.map((entry) => entry.fix)).toEqual(ids.map((id) => ({ ...REASON_FIXES, ...GUARD_REASON_FIXES })[id]));
  });

  test.each([
    ['Firehose', 'kms:CreateGrant'],
    ['Kinesis', 'kms:GenerateDataKey'],
  ])('a reason both kinds share names the service (%s), the stream, what is wrong and the fix', (service, kmsAction) => {
    const shared = ['STREAM_NOT_FOUND', 'STREAM_DELETED', 'STREAM_NOT_ACTIVE', 'KEY_ACCESS_DENIED', 'SERVICE_KMS_ACCESS_DENIED', 'SERVICE_KMS_DISABLED',
      'SERVICE_KMS_INVALID_STATE', 'SERVICE_KMS_NOT_FOUND', 'SERVICE_KMS_OPT_IN_REQUIRED', 'CALL_LIMIT_EXCEEDED', 'INVALID_ARGUMENT'] as const;
    const params = { service, kmsAction, stream: 'orders', key: 'k', status: 'DELETING', operation: 'Start', error: 'E', retriedSeconds: 60, windowSeconds: 60 };
    for (const id of shared) {
      const reason = formatReason(id, params);
      expect(reason).toContain(`${service} `);
      expect(reason).toContain(' orders');
      expect(reason).not.toContain('?');
      expect(reason.length).toBeGreaterThan(`${id}: `.length + REASON_MESSAGES[id].length);
    }
    // The permission a key reason asks for is the one the service needs.
    expect(formatReason('SERVICE_KMS_ACCESS_DENIED', params)).toContain(`call ${kmsAction} on the key through ${service}`);
    expect(formatReason('KEY_ACCESS_DENIED', params)).toContain(`kms:DescribeKey, and ${kmsAction} through ${service}`);
  });

  test('formatReason fills placeholders once and marks missing ones', () => {
    expect(formatReason('STREAM_NOT_FOUND', { service: 'Firehose', stream: '{stream}' })).toMatch(/^STREAM_NOT_FOUND: Firehose stream \{stream\} does not exist/);
    expect(formatReason('KEY_NOT_ENABLED', { key: 'k' })).toContain('KMS key k is ?, not Enabled.');
  });

  test('HandlerFailure carries the id, its parameters and the rendered message; its answer adds the fix', () => {
    const failure = new HandlerFailure('NOT_DIRECT_PUT', { stream: 'orders', type: 'KinesisStreamAsSource' });
    expect(failure.reasonId).toBe('NOT_DIRECT_PUT');
    expect(failure.params).toEqual({ stream: 'orders', type: 'KinesisStreamAsSource' });
    expect(failure.message).toBe('NOT_DIRECT_PUT: SSE needs a DirectPut stream: orders reads from KinesisStreamAsSource.');
    expect(reasonFor(failure)).toBe(`${failure.message} ${REASON_FIXES.NOT_DIRECT_PUT}`);
  });

  test('a failure named by another is rendered as a message in the message, with its fix in the answer', () => {
    const first = new HandlerFailure('KEY_NOT_ENABLED', { key: 'k', state: 'Disabled' });
    const undo = new HandlerFailure('THROTTLED', { operation: 'StopDeliveryStreamEncryption', stream: 'orders', seconds: 3, error: 'ThrottlingException' });
    const both = new HandlerFailure('UPDATE_UNDO_FAILED', { failure: first, stream: 'orders', prior: 'none', undoFailure: undo, state: 'ENABLED' });
    expect(both.message).toBe(`UPDATE_UNDO_FAILED: ${first.message} Putting orders back to its encryption before this update (none) failed too: ${undo.message} The stream is now: ENABLED.`);
    expect(reasonFor(both)).toBe(
      `UPDATE_UNDO_FAILED: ${reasonFor(first)} Putting orders back to its encryption before this update (none) failed too: ${reasonFor(undo)} The stream is now: ENABLED. ${REASON_FIXES.UPDATE_UNDO_FAILED}`,
    );
  });
});

describe('logger', () => {
  test('writes one JSON line with level, base fields, action and elapsed time', () => {
    const lines: string[] = [];
    let now = 1000;
    const log = new Logger((line) => lines.push(line), () => now, 1000, { requestId: 'r1', requestType: 'Create', stream: 'orders' });
    now = 1250;
    log.info('describe', { status: 'ACTIVE' });
    log.warn('retry', { extra: 1 });
    expect(lines.map((line) => JSON.parse(line))).toEqual([
      { level: 'info', requestId: 'r1', requestType: 'Create', stream: 'orders', action: 'describe', status: 'ACTIVE', elapsedMs: 250 },
      { level: 'warn', requestId: 'r1', requestType: 'Create', stream: 'orders', action: 'retry', extra: 1, elapsedMs: 250 },
    ]);
    expect(lines.every((line) => !line.includes('\n'))).toBe(true);
  });

  test('redacts the response URL, its path and its query wherever they appear', () => {
    const lines: string[] = [];
    const secrets = urlSecrets(RESPONSE_URL);
    const log = new Logger((line) => lines.push(line), () => 0, 0, {}, secrets);
    const url = new URL(RESPONSE_URL);
    log.error('oops', { a: RESPONSE_URL, b: `PUT ${url.pathname}${url.search} failed`, c: url.search.slice(1), d: new Error(RESPONSE_URL) });
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain('X-Amz-Signature');
    expect(lines[0]).not.toContain(url.pathname);
    expect(lines[0]).toContain(REDACTED);
  });

  test('never throws, even for values JSON cannot serialize', () => {
    const lines: string[] = [];
    const log = new Logger((line) => lines.push(line), () => 0, 0);
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(() => log.info('x', { circular, big: BigInt(1) })).not.toThrow();
    expect(JSON.parse(lines[0])).toMatchObject({ action: 'x', error: 'log record could not be serialized' });
    const throwing = new Logger(() => {
      throw new Error('sink broke');
    }, () => 0, 0);
    expect(() => throwing.info('x')).not.toThrow();
  });

  test('redact and urlSecrets', () => {
    expect(urlSecrets(undefined)).toEqual([]);
    expect(urlSecrets('not a url at all')).toEqual(['not a url at all']);
    expect(redact('a SECRET-VALUE b SECRET-VALUE', ['SECRET-VALUE'])).toBe(`a ${REDACTED} b ${REDACTED}`);
  });
});
