/**
 * The production entry point when the SDK clients cannot even be created:
 * it must still answer FAILED (and never reject).
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createEvent } from './firehose-helpers';
import { lambdaContext } from './helpers';
import entryPoint from '../../lambda';

const { handler } = entryPoint;

jest.mock('@aws-sdk/client-firehose', () => ({
  FirehoseClient: jest.fn(() => {
    throw new Error('Region is missing');
  }),
}));

test('a client that cannot be created: FAILED UNEXPECTED_ERROR, no rejection', async () => {
  const lines: string[] = [];
  const spy = jest.spyOn(console, 'log').mockImplementation((line: unknown) => {
    lines.push(String(line));
  });
  try {
    const event = { ...createEvent(), ResponseURL: 'http://example.com/answer?X-Amz-Signature=abc' } as never;
    await expect(handler(event, lambdaContext() as never)).resolves.toBeUndefined();
  } finally {
    spy.mockRestore();
  }
  const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  expect(records.find((r) => r.action === 'answer')).toMatchObject({
    level: 'error',
    status: 'FAILED',
    reasonId: 'UNEXPECTED_ERROR',
    physicalResourceId: 'firehose:orders#not-started',
    reason: expect.stringMatching(/^UNEXPECTED_ERROR: Unexpected error in request handling: Error: Region is missing\./),
  });
  // The real sender refuses a non-https URL, and says so without the URL.
  expect(records.find((r) => r.action === 'respond')).toMatchObject({ status: 'refused' });
  expect(lines.join('\n')).not.toContain('X-Amz-Signature');
});

test('the answer names the log group Lambda gives in AWS_LAMBDA_LOG_GROUP_NAME', async () => {
  const bodies: string[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      bodies.push(body);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const saved = { group: process.env.AWS_LAMBDA_LOG_GROUP_NAME, loopback: process.env.STREAM_ENCRYPTION_ALLOW_LOOPBACK_HTTP };
  process.env.AWS_LAMBDA_LOG_GROUP_NAME = '/cdk-stream-encryption/app/0f0e0d0c';
  process.env.STREAM_ENCRYPTION_ALLOW_LOOPBACK_HTTP = 'true';
  const spy = jest.spyOn(console, 'log').mockImplementation(() => undefined);
  try {
    const port = (server.address() as AddressInfo).port;
    const event = { ...createEvent(), ResponseURL: `http://127.0.0.1:${port}/answer?X-Amz-Signature=abc` } as never;
    // the context names no log group: the one named comes from the variable
    await handler(event, lambdaContext() as never);
  } finally {
    spy.mockRestore();
    for (const [name, value] of [['AWS_LAMBDA_LOG_GROUP_NAME', saved.group], ['STREAM_ENCRYPTION_ALLOW_LOOPBACK_HTTP', saved.loopback]] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    await new Promise((resolve) => server.close(resolve));
  }
  expect(bodies).toHaveLength(1);
  const answer = JSON.parse(bodies[0]) as { Status: string; Reason: string };
  expect(answer.Status).toBe('FAILED');
  expect(answer.Reason).toMatch(/^UNEXPECTED_ERROR: .* See CloudWatch log group \/cdk-stream-encryption\/app\/0f0e0d0c, log stream \S+$/);
});
