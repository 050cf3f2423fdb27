/**
 * The production entry point when the SDK clients cannot even be created:
 * it must still answer FAILED (and never reject).
 */
import { createEvent } from './firehose-helpers';
import { lambdaContext } from './helpers';
import { handler } from '../../lambda';

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
