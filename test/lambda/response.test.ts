import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Logger } from '../../lambda/core/log';
import {
  ALLOW_LOOPBACK_HTTP_ENV,
  buildResponseBody,
  CloudFormationResponse,
  createResponseSender,
  isLoopbackHost,
  logHints,
  MAX_RESPONSE_BYTES,
  putResponse,
} from '../../lambda/core/response';

const base: CloudFormationResponse = {
  Status: 'FAILED',
  Reason: 'TIMED_OUT: something',
  PhysicalResourceId: 'firehose:orders',
  StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/app/1',
  RequestId: 'req-1',
  LogicalResourceId: 'OrdersSse',
  NoEcho: false,
  Data: { KeyType: 'CUSTOMER_MANAGED_CMK', KeyArn: 'arn:aws:kms:eu-west-1:123456789012:key/k', EncryptionStatus: 'ENABLING' },
};

const bytes = (text: string): number => Buffer.byteLength(text, 'utf8');

describe('buildResponseBody', () => {
  test('a short reason is kept whole, followed by the log stream', () => {
    const body = JSON.parse(buildResponseBody(base, 'stream-1')) as CloudFormationResponse;
    expect(body).toEqual({ ...base, Reason: 'TIMED_OUT: something See CloudWatch log stream stream-1' });
  });

  test('without a log stream name there is no hint', () => {
    expect(JSON.parse(buildResponseBody(base)).Reason).toBe('TIMED_OUT: something');
  });

  test.each([
    ['ASCII', 'x'.repeat(10_000)],
    ['multi-byte characters', '€'.repeat(5_000)],
    ['astral characters', '😀'.repeat(3_000)],
    ['characters JSON escapes', '"\\\n\u0001'.repeat(3_000)],
  ])('a huge reason of %s is cut to fit 4 KiB, with an ellipsis and the hint', (_name, reason) => {
    const raw = buildResponseBody({ ...base, Reason: reason }, 'stream-1');
    expect(bytes(raw)).toBeLessThanOrEqual(MAX_RESPONSE_BYTES);
    expect(bytes(raw)).toBeGreaterThan(MAX_RESPONSE_BYTES - 12);
    const body = JSON.parse(raw) as CloudFormationResponse;
    expect(body.Reason.endsWith('… See CloudWatch log stream stream-1')).toBe(true);
    expect(reason.startsWith(body.Reason.slice(0, -'… See CloudWatch log stream stream-1'.length))).toBe(true);
    expect({ ...body, Reason: '' }).toEqual({ ...base, Reason: '' });
  });

  test('a hint that cannot fit is dropped before the reason is', () => {
    const raw = buildResponseBody({ ...base, Reason: 'r'.repeat(5000) }, 'L'.repeat(5000));
    expect(bytes(raw)).toBeLessThanOrEqual(MAX_RESPONSE_BYTES);
    expect(JSON.parse(raw).Reason).toMatch(/^r+…$/);
  });

  const GROUP = '/cdk-stream-encryption/app/0f0e0d0c-0b0a-4908-8706-050403020100';
  const STREAM = '2026/12/02/[$LATEST]0123456789abcdef0123456789abcdef';

  test('with the log group, the reason names the log group and the log stream', () => {
    const body = JSON.parse(buildResponseBody(base, { logGroupName: GROUP, logStreamName: STREAM })) as CloudFormationResponse;
    expect(body).toEqual({ ...base, Reason: `TIMED_OUT: something See CloudWatch log group ${GROUP}, log stream ${STREAM}` });
  });

  test('with the log group alone, the reason names the log group', () => {
    expect(JSON.parse(buildResponseBody(base, { logGroupName: GROUP })).Reason).toBe(`TIMED_OUT: something See CloudWatch log group ${GROUP}`);
  });

  test('logHints lists the hints longest first, the log group before the log stream', () => {
    expect(logHints({ logGroupName: 'g', logStreamName: 's' })).toEqual([' See CloudWatch log group g, log stream s', ' See CloudWatch log group g']);
    expect(logHints({ logStreamName: 's' })).toEqual([' See CloudWatch log stream s']);
    expect(logHints({})).toEqual([]);
  });

  test('a huge reason is cut to fit 4 KiB and keeps the log group and the log stream', () => {
    const reason = 'x'.repeat(10_000);
    const raw = buildResponseBody({ ...base, Reason: reason }, { logGroupName: GROUP, logStreamName: STREAM });
    expect(bytes(raw)).toBeLessThanOrEqual(MAX_RESPONSE_BYTES);
    expect(bytes(raw)).toBeGreaterThan(MAX_RESPONSE_BYTES - 12);
    const hint = `… See CloudWatch log group ${GROUP}, log stream ${STREAM}`;
    const body = JSON.parse(raw) as CloudFormationResponse;
    expect(body.Reason.endsWith(hint)).toBe(true);
    expect(reason.startsWith(body.Reason.slice(0, -hint.length))).toBe(true);
  });

  test('when the whole hint cannot fit, the log group is kept without the log stream', () => {
    // attributes that leave room for the reason's ellipsis and the log group, not for the log stream too
    const room = MAX_RESPONSE_BYTES - bytes(JSON.stringify({ ...base, Reason: `… See CloudWatch log group ${GROUP}` }));
    const data = { ...base.Data, KeyArn: 'k'.repeat(room - 10 + 'arn:aws:kms:eu-west-1:123456789012:key/k'.length) };
    const raw = buildResponseBody({ ...base, Reason: 'r'.repeat(5000), Data: data }, { logGroupName: GROUP, logStreamName: STREAM });
    expect(bytes(raw)).toBeLessThanOrEqual(MAX_RESPONSE_BYTES);
    const body = JSON.parse(raw) as CloudFormationResponse;
    expect(body.Reason).toMatch(new RegExp(`^r+… See CloudWatch log group ${GROUP.replace(/[/-]/g, '\\$&')}$`));
    expect(body.Data).toEqual(data);
  });

  test('oversized attributes are dropped as a last resort', () => {
    const raw = buildResponseBody({ ...base, Data: { ...base.Data, KeyArn: 'k'.repeat(5000) } }, 'stream-1');
    expect(bytes(raw)).toBeLessThanOrEqual(MAX_RESPONSE_BYTES);
    expect(JSON.parse(raw).Data).toEqual({ KeyType: '', KeyArn: '', EncryptionStatus: '' });
  });
});

describe('isLoopbackHost', () => {
  test.each(['localhost', '127.0.0.1', '127.1.2.3', '[::1]', '::1', 'LOCALHOST'])('%s is loopback', (host) => {
    expect(isLoopbackHost(host)).toBe(true);
  });

  test.each(['example.com', '10.0.0.1', '128.0.0.1', '127.0.0.1.nip.io', '127.0.0.256', 'localhost.evil.com', '[::2]', '0.0.0.0'])('%s is not', (host) => {
    expect(isLoopbackHost(host)).toBe(false);
  });
});

describe('the real sender', () => {
  const realClock = { now: Date.now, sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)), random: () => 0 };
  let server: http.Server;
  let port: number;
  let received: Array<{ method?: string; url?: string; headers: http.IncomingHttpHeaders; body: string }>;
  let reply: (attempt: number, res: http.ServerResponse) => void;
  let lines: string[];
  let log: Logger;
  const previousFlag = process.env[ALLOW_LOOPBACK_HTTP_ENV];

  beforeEach(async () => {
    received = [];
    lines = [];
    log = new Logger((line) => lines.push(line), Date.now, Date.now());
    process.env[ALLOW_LOOPBACK_HTTP_ENV] = 'true';
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => {
        body += chunk.toString('utf8');
      });
      req.on('end', () => {
        received.push({ method: req.method, url: req.url, headers: req.headers, body });
        reply(received.length, res);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterEach(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    if (previousFlag === undefined) {
      delete process.env[ALLOW_LOOPBACK_HTTP_ENV];
    } else {
      process.env[ALLOW_LOOPBACK_HTTP_ENV] = previousFlag;
    }
  });

  const url = (): string => `http://127.0.0.1:${port}/bucket/answer?X-Amz-Signature=secret-signature-value`;

  test('500 twice, then 200: three attempts and success', async () => {
    reply = (attempt, res) => {
      res.statusCode = attempt < 3 ? 500 : 200;
      res.end();
    };
    const body = buildResponseBody(base, 'stream-1');
    const send = createResponseSender({ clock: realClock });
    await expect(send(url(), body, { deadline: Date.now() + 10_000, log })).resolves.toBe(true);
    expect(received).toHaveLength(3);
    for (const request of received) {
      expect(request.method).toBe('PUT');
      expect(request.url).toBe('/bucket/answer?X-Amz-Signature=secret-signature-value');
      expect(request.headers['content-type']).toBe('');
      expect(request.headers['content-length']).toBe(String(bytes(body)));
      expect(request.body).toBe(body);
    }
    expect(lines.map((line) => JSON.parse(line))).toMatchObject([
      { action: 'respond', status: 'retry', attempts: 1, statusCode: 500 },
      { action: 'respond', status: 'retry', attempts: 2, statusCode: 500 },
      { action: 'respond', status: 'delivered', attempts: 3, statusCode: 200 },
    ]);
    expect(lines.join('\n')).not.toMatch(/secret-signature-value|\/bucket\/answer|127\.0\.0\.1:/);
  });

  test('a 4xx is final: one attempt', async () => {
    reply = (_attempt, res) => {
      res.statusCode = 403;
      res.end();
    };
    await expect(putResponse(url(), '{}', { deadline: Date.now() + 10_000, log }, { clock: realClock })).resolves.toBe(false);
    expect(received).toHaveLength(1);
    expect(JSON.parse(lines[0])).toMatchObject({ level: 'error', status: 'rejected', statusCode: 403 });
  });

  test('a redirect is not followed: the 3xx is final, one attempt', async () => {
    reply = (_attempt, res) => {
      res.statusCode = 307;
      res.setHeader('location', `http://127.0.0.1:${port}/elsewhere`);
      res.end();
    };
    await expect(putResponse(url(), '{}', { deadline: Date.now() + 10_000, log }, { clock: realClock })).resolves.toBe(false);
    expect(received.map((request) => request.url)).toEqual(['/bucket/answer?X-Amz-Signature=secret-signature-value']);
    expect(JSON.parse(lines[0])).toMatchObject({ level: 'error', status: 'rejected', statusCode: 307 });
  });

  test('a server that never answers: gives up before the deadline', async () => {
    reply = () => undefined;
    const started = Date.now();
    const deadline = started + 1_200;
    await expect(putResponse(url(), '{}', { deadline, log }, { clock: realClock, attemptTimeoutMs: 400 })).resolves.toBe(false);
    expect(Date.now()).toBeLessThanOrEqual(deadline + 50);
    expect(received.length).toBeGreaterThanOrEqual(2);
    expect(lines.map((line) => JSON.parse(line).status)).toContain('gave up');
  });

  test('the per-attempt timeout never outlasts the deadline', async () => {
    reply = () => undefined;
    const started = Date.now();
    await expect(putResponse(url(), '{}', { deadline: started + 300, log }, { clock: realClock })).resolves.toBe(false);
    expect(Date.now() - started).toBeLessThan(500);
  });

  test('a refused connection is retried until the deadline', async () => {
    // Close the server so that its port refuses connections (a fresh one keeps afterEach simple).
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const closedPort = port;
    server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const started = Date.now();
    await expect(putResponse(`http://127.0.0.1:${closedPort}/x`, '{}', { deadline: started + 600, log }, { clock: realClock })).resolves.toBe(false);
    expect(Date.now() - started).toBeLessThan(900);
    const records = lines.map((line) => JSON.parse(line));
    expect(records.filter((r) => r.status === 'retry').length).toBeGreaterThanOrEqual(2);
    expect(records[0].error).toBe('ECONNREFUSED');
  });

  test.each([
    ['plain http to another host', 'http://example.com/answer?X-Amz-Signature=abc'],
    ['another scheme', 'ftp://127.0.0.1/answer'],
    ['not a URL', 'not a url'],
  ])('refuses %s without a request and without logging the URL', async (_name, target) => {
    reply = (_attempt, res) => res.end();
    await expect(putResponse(target, '{}', { deadline: Date.now() + 5_000, log }, { clock: realClock })).resolves.toBe(false);
    expect(received).toHaveLength(0);
    expect(JSON.parse(lines[0])).toMatchObject({ level: 'error', action: 'respond', status: 'refused' });
    expect(lines[0]).not.toContain(target);
  });

  test('refuses plain http to loopback unless the environment allows it', async () => {
    reply = (_attempt, res) => res.end();
    delete process.env[ALLOW_LOOPBACK_HTTP_ENV];
    await expect(putResponse(url(), '{}', { deadline: Date.now() + 5_000, log }, { clock: realClock })).resolves.toBe(false);
    await expect(putResponse(url(), '{}', { deadline: Date.now() + 5_000, log }, { clock: realClock, env: { [ALLOW_LOOPBACK_HTTP_ENV]: 'yes' } })).resolves.toBe(false);
    expect(received).toHaveLength(0);
    await expect(putResponse(url(), '{}', { deadline: Date.now() + 5_000, log }, { clock: realClock, env: { [ALLOW_LOOPBACK_HTTP_ENV]: 'true' } })).resolves.toBe(true);
    expect(received).toHaveLength(1);
  });

  test('localhost by name is loopback too', async () => {
    reply = (_attempt, res) => res.end();
    // localhost may resolve to ::1 first while the server listens on 127.0.0.1: whatever the connection
    // does, the URL itself must not be refused.
    await putResponse(`http://localhost:${port}/answer`, '{}', { deadline: Date.now() + 500, log }, { clock: realClock });
    expect(lines.map((line) => JSON.parse(line).status)).not.toContain('refused');
  });
});
