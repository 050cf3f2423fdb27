/**
 * The shipped asset: the esbuild bundle of lambda/index.ts, as Lambda loads it.
 */
import { execFileSync, execSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { newestBundleSource } from '../bundle-sources';

const ROOT = path.join(__dirname, '..', '..');
const BUNDLE = path.join(ROOT, 'assets', 'stream-encryption-handler', 'index.js');

beforeAll(() => {
  if (!fs.existsSync(BUNDLE) || fs.statSync(BUNDLE).mtimeMs < newestBundleSource()) {
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
  expect(required).toEqual(['@aws-sdk/client-firehose', '@aws-sdk/client-kinesis', '@aws-sdk/client-kms', '@aws-sdk/client-sns', 'node:crypto', 'node:http', 'node:https']);
});

/**
 * The `@aws-sdk/client-*` packages a fresh Node.js process has loaded after
 * requiring the bundle, then after each event (events with invalid
 * properties: each kind of stream is loaded to validate them, and no call is
 * made).
 */
function clientsLoadedBy(events: ReadonlyArray<Record<string, unknown>>): string[][] {
  const probe = [
    'console.log = () => undefined;',
    'const clients = () => [...new Set(Object.keys(require.cache).map((f) => /@aws-sdk[\\\\/](client-[a-z0-9-]+)[\\\\/]/.exec(f)?.[1]).filter(Boolean))].sort();',
    'const job = JSON.parse(process.argv[1]);',
    '(async () => {',
    '  const { handler } = require(job.bundle);',
    '  const seen = [clients()];',
    '  for (const event of job.events) {',
    '    await handler(event, { getRemainingTimeInMillis: () => 60000 });',
    '    seen.push(clients());',
    '  }',
    '  process.stdout.write(JSON.stringify(seen));',
    '})();',
  ].join('\n');
  const out = execFileSync(process.execPath, ['-e', probe, JSON.stringify({ bundle: BUNDLE, events })], { cwd: ROOT, encoding: 'utf8' });
  return JSON.parse(out) as string[][];
}

test('the bundle loads no SDK client by itself, and each kind of stream its own with its first event', () => {
  const event = (ResourceType: string) => ({ RequestType: 'Create', ResourceType, LogicalResourceId: 'Sse', ResourceProperties: {} });
  expect(clientsLoadedBy([event('Custom::DeliveryStreamEncryption'), event('Custom::DataStreamEncryption')])).toEqual([
    [],
    ['client-firehose', 'client-kms'],
    ['client-firehose', 'client-kinesis', 'client-kms'],
  ]);
  expect(clientsLoadedBy([event('Custom::DataStreamEncryption')])).toEqual([[], ['client-kinesis', 'client-kms']]);
});
