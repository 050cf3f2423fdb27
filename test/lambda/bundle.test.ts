/**
 * The shipped asset: the esbuild bundle of lambda/index.ts, as Lambda loads it.
 */
import { execSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');
const BUNDLE = path.join(ROOT, 'assets', 'stream-encryption-handler', 'index.js');

/** Newest modification time of the bundle's sources. */
function newestSource(): number {
  const sources = [
    ...fs.readdirSync(path.join(ROOT, 'lambda')).filter((f) => f.endsWith('.ts')).map((f) => path.join(ROOT, 'lambda', f)),
    path.join(ROOT, 'src', 'private', 'contract.ts'),
  ];
  return Math.max(...sources.map((f) => fs.statSync(f).mtimeMs));
}

beforeAll(() => {
  if (!fs.existsSync(BUNDLE) || fs.statSync(BUNDLE).mtimeMs < newestSource()) {
    execSync('npx projen bundle:handler', { cwd: ROOT, stdio: 'pipe' });
  }
}, 120_000);

test('the bundle exports a handler that never rejects', async () => {
  const loaded = createRequire(__filename)(BUNDLE) as { handler?: unknown };
  expect(typeof loaded.handler).toBe('function');
  const handler = loaded.handler as (event: unknown, context: unknown) => Promise<void>;
  const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
  try {
    await expect(handler({ RequestType: 'Create' }, { getRemainingTimeInMillis: () => 60_000 })).resolves.toBeUndefined();
    const lines = log.mock.calls.map((args) => JSON.parse(String(args[0])) as Record<string, unknown>);
    expect(lines.find((line) => line.action === 'answer')).toMatchObject({ status: 'FAILED', reasonId: 'INVALID_PROPERTY' });
  } finally {
    log.mockRestore();
  }
});

test('the bundle leaves the AWS SDK to the Lambda runtime and has no CDK inside', () => {
  const code = fs.readFileSync(BUNDLE, 'utf8');
  const required = [...new Set(Array.from(code.matchAll(/require\("([^"]+)"\)/g), (m) => m[1]))].sort();
  expect(required).toEqual(['@aws-sdk/client-firehose', '@aws-sdk/client-kinesis', '@aws-sdk/client-kms', 'node:crypto', 'node:http', 'node:https']);
});
