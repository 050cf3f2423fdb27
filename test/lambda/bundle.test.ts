/**
 * The shipped assets: the esbuild bundles of lambda/index.ts (the custom-resource handler) and
 * lambda/guard/index.ts (the guard's repair function), minified again, each in its own asset
 * folder as Lambda loads them, and zipped beside it (`<folder>.zip`) as the CDK uploads them.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { BuildOptions, buildSync } from 'esbuild';
import { GUARD_REASON_FIXES } from '../../lambda/core/catalogue';
import { REASON_FIXES } from '../../lambda/core/fixes';
import { REASON_MESSAGES } from '../../lambda/core/reasons';
import { GUARD_REASON_MESSAGES } from '../../lambda/guard/reasons';
import { unzip } from '../../tools/bench/zip';
import { assetZip, minifyBundle } from '../../tools/scripts/zip-assets';
import { ensureBundle, GUARD_ZIP, HANDLER_ZIP } from '../bundle-sources';

const ROOT = path.join(__dirname, '..', '..');
const HANDLER_DIR = path.join(ROOT, 'assets', 'stream-encryption-handler');
const GUARD_DIR = path.join(ROOT, 'assets', 'stream-encryption-guard');
const BUNDLE = path.join(HANDLER_DIR, 'index.js');
const GUARD_BUNDLE = path.join(GUARD_DIR, 'index.js');

beforeAll(() => {
  ensureBundle();
}, 120_000);

/** The modules a bundle leaves to `require` at run time, sorted. */
function requiredBy(bundle: string): string[] {
  const code = fs.readFileSync(bundle, 'utf8');
  return [...new Set(Array.from(code.matchAll(/require\("([^"]+)"\)/g), (m) => m[1]))].sort();
}

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
  // No SNS client: alerts are the guard's, and the guard is a bundle of its own. No HTTP module: the
  // answer goes out through Node.js's global fetch.
  expect(requiredBy(BUNDLE)).toEqual(['@aws-sdk/client-firehose', '@aws-sdk/client-kinesis', '@aws-sdk/client-kms', 'node:crypto']);
});

describe('two assets, each with only its own code', () => {
  test('each bundle exports exactly its entry point: handler, repair', () => {
    const load = createRequire(__filename);
    expect(Object.keys(load(BUNDLE) as object)).toEqual(['handler']);
    expect(Object.keys(load(GUARD_BUNDLE) as object)).toEqual(['repair']);
  });

  test('each asset folder holds its bundle only', () => {
    expect(fs.readdirSync(HANDLER_DIR)).toEqual(['index.js']);
    expect(fs.readdirSync(GUARD_DIR)).toEqual(['index.js']);
  });

  test('the handler bundle carries no repair code, the guard bundle no custom-resource code', () => {
    const handlerCode = fs.readFileSync(BUNDLE, 'utf8');
    const guardCode = fs.readFileSync(GUARD_BUNDLE, 'utf8');
    // The repair: its input's IgnoredRoleArns, its alert subject, its repairs tag's alert marker.
    const repairMarkers = ['IgnoredRoleArns', 'repair cap reached', '/alerted'];
    // The custom resource: the event's ResponseURL and the expiry read from its X-Amz-Date.
    const customResourceMarkers = ['ResponseURL', 'X-Amz-Date'];
    for (const marker of repairMarkers) {
      expect(guardCode).toContain(marker);
      expect(handlerCode).not.toContain(marker);
    }
    for (const marker of customResourceMarkers) {
      expect(handlerCode).toContain(marker);
      expect(guardCode).not.toContain(marker);
    }
    // The guard answers no ResponseURL (no HTTP client) and alerts through SNS.
    expect(requiredBy(GUARD_BUNDLE)).toEqual(['@aws-sdk/client-firehose', '@aws-sdk/client-kinesis', '@aws-sdk/client-kms', '@aws-sdk/client-sns', 'node:crypto']);
  });

  test('the fix texts ship in the handler bundle only: the guard answers no CloudFormation', () => {
    const handlerCode = fs.readFileSync(BUNDLE, 'utf8');
    const guardCode = fs.readFileSync(GUARD_BUNDLE, 'utf8');
    const fixes = Object.values(REASON_FIXES);
    expect(fixes.filter((fix) => !handlerCode.includes(fix))).toEqual([]);
    expect(fixes.filter((fix) => guardCode.includes(fix))).toEqual([]);
    // The fixes of the guard's own reasons are documentation only.
    for (const fix of Object.values(GUARD_REASON_FIXES)) {
      expect(handlerCode).not.toContain(fix);
      expect(guardCode).not.toContain(fix);
    }
    // The guard still says what happened: its own messages are in it, and in it alone.
    for (const message of Object.values(GUARD_REASON_MESSAGES)) {
      expect(guardCode).toContain(message);
      expect(handlerCode).not.toContain(message);
    }
  });

  test('the handler bundle has its fix texts within deflate\'s reach of the messages', () => {
    // Deflate matches a string only against the 32 KiB before it: the messages and the fixes share most
    // of their words, so both sit within one window of the bundle.
    const handlerCode = fs.readFileSync(BUNDLE, 'utf8');
    const at = (texts: readonly string[]) => texts.map((text) => handlerCode.indexOf(text)).filter((index) => index >= 0);
    const messages = at(Object.values(REASON_MESSAGES));
    const fixes = at(Object.values(REASON_FIXES));
    expect(messages.length).toBeGreaterThan(Object.keys(REASON_FIXES).length / 2);
    expect(fixes).toHaveLength(Object.keys(REASON_FIXES).length);
    expect(Math.max(...messages, ...fixes) - Math.min(...messages, ...fixes)).toBeLessThan(32 * 1024);
  });

  test('the guard bundle\'s repair reads its input and answers what it did, loading no SDK client for a bad input', () => {
    const out = execFileSync(process.execPath, ['-e', [
      'console.log = () => undefined;',
      'const clients = () => Object.keys(require.cache).filter((f) => /@aws-sdk[\\\\/]client-/.test(f)).length;',
      '(async () => {',
      '  const { repair } = require(process.argv[1]);',
      '  const result = await repair({ Detail: {} }, { getRemainingTimeInMillis: () => 60000 });',
      '  process.stdout.write(JSON.stringify({ result, clients: clients() }));',
      '})();',
    ].join('\n'), GUARD_BUNDLE], { cwd: ROOT, encoding: 'utf8' });
    const { result, clients } = JSON.parse(out) as { result: Record<string, unknown>; clients: number };
    expect(result).toMatchObject({ decision: 'failed', reasonId: 'INVALID_REPAIR_INPUT', alerted: false });
    expect(clients).toBe(0);
  });

  /** The internal fields `bundle:handler` gives short names: lower camel case with one trailing underscore. */
  const INTERNAL_FIELD = /^[a-z][a-zA-Z0-9]*[a-zA-Z0-9]_$/;

  test('internal fields get short names; AWS shapes, answers and log fields keep theirs', () => {
    // Every `name_` property of the handler's source: a kind's memory and readings.
    const sources = execFileSync('git', ['ls-files', 'lambda'], { cwd: ROOT, encoding: 'utf8' }).split('\n').filter((f) => f.endsWith('.ts'));
    const internal = new Set(sources.flatMap((file) =>
      Array.from(fs.readFileSync(path.join(ROOT, file), 'utf8').matchAll(/\b([a-z][a-zA-Z0-9]*[a-zA-Z0-9]_)\b/g), (m) => m[1])));
    expect([...internal]).toEqual(expect.arrayContaining(['streamSeen_', 'streamStatus_', 'resolvedKeys_']));
    for (const bundle of [BUNDLE, GUARD_BUNDLE]) {
      const code = fs.readFileSync(bundle, 'utf8');
      expect([...internal].filter((name) => code.includes(name))).toEqual([]);
      // What leaves the function keeps its names: an SDK input, a log field.
      for (const kept of ['DeliveryStreamName', 'StreamARN', 'ExclusiveStartTagKey', 'reasonId', 'managedBy']) {
        expect(code).toContain(kept);
      }
    }
    // The handler's answer keeps its fields.
    expect(fs.readFileSync(BUNDLE, 'utf8')).toContain('PhysicalResourceId');
    // No field of the contract, of an AWS shape or of the log is named like an internal one.
    expect(sources.filter((file) => !file.startsWith('lambda/kinds/')).flatMap((file) =>
      Array.from(fs.readFileSync(path.join(ROOT, file), 'utf8').matchAll(/\b[a-z][a-zA-Z0-9]*[a-zA-Z0-9]_\b/g), (m) => `${file}: ${m[0]}`))).toEqual([]);
  });

  /** The tsconfig override of `bundle:handler`: class fields as constructor assignments. */
  const TSCONFIG_RAW = { compilerOptions: { useDefineForClassFields: false } };
  /** The flags of `bundle:handler`. */
  const BUNDLE_FLAGS: BuildOptions = {
    bundle: true, platform: 'node', target: 'node20', format: 'cjs', minify: true, external: ['@aws-sdk/*'], legalComments: 'none', write: false, tsconfigRaw: TSCONFIG_RAW, mangleProps: INTERNAL_FIELD,
  };

  /** Bytes of a shipped asset as the CDK uploads it: its zip, as it is (the benchmark's measure). */
  const uploaded = (zipFile: string) => fs.statSync(zipFile).size;

  /** esbuild's output for an entry point (`options`) with the flags of `bundle:handler`. */
  const esbuilt = (options: BuildOptions): Buffer =>
    Buffer.from(buildSync({ ...BUNDLE_FLAGS, ...options }).outputFiles?.[0]?.contents ?? new Uint8Array());

  /** The zip `bundle:handler` makes of esbuild's output: minified again, then zipped. */
  const shippedZipOf = (built: Buffer) => assetZip(Buffer.from(minifyBundle(built.toString('utf8')), 'utf8'));

  test('the handler uploads less than before the split: no guard code in it', async () => {
    // Both entry points in one bundle, as the library shipped them before, made as today's assets are.
    const both = esbuilt({ stdin: { contents: "export { handler } from './lambda'; export { repair } from './lambda/guard';", resolveDir: ROOT, loader: 'ts' } });
    expect(uploaded(HANDLER_ZIP)).toBeLessThan((await shippedZipOf(both)).length);
  });

  // The asset size target: each at most 16 KiB deflated, its zip as uploaded.
  test('the handler asset is at most 16 KiB zipped as uploaded', () => {
    expect(uploaded(HANDLER_ZIP)).toBeLessThanOrEqual(16 * 1024);
  });

  test('the guard asset is at most 16 KiB zipped as uploaded', () => {
    expect(uploaded(GUARD_ZIP)).toBeLessThanOrEqual(16 * 1024);
  });

  test('building again from the sources gives the same bytes', async () => {
    // esbuild, the second minifier pass and Zopfli in this process, against the files an earlier
    // `bundle:handler` wrote: no date, mode or run-to-run difference reaches the zip, so its asset
    // hash changes only with its code.
    const handler = await shippedZipOf(esbuilt({ entryPoints: [path.join(ROOT, 'lambda', 'index.ts')] }));
    const guard = await shippedZipOf(esbuilt({ entryPoints: [path.join(ROOT, 'lambda', 'guard', 'index.ts')] }));
    expect(handler.equals(fs.readFileSync(HANDLER_ZIP))).toBe(true);
    expect(guard.equals(fs.readFileSync(GUARD_ZIP))).toBe(true);
    expect((await shippedZipOf(esbuilt({ entryPoints: [path.join(ROOT, 'lambda', 'index.ts')] }))).equals(handler)).toBe(true);
  }, 60_000);
});

describe('the shipped zips', () => {
  const ASSETS = [['handler', HANDLER_ZIP, BUNDLE], ['guard', GUARD_ZIP, GUARD_BUNDLE]] as const;

  test.each(ASSETS)('the %s zip holds exactly index.js, the folder\'s bundle, as a readable regular file', (_name, zipFile, bundle) => {
    const entries = unzip(fs.readFileSync(zipFile));
    expect(entries.map((e) => e.name)).toEqual(['index.js']);
    expect(entries[0].data.equals(fs.readFileSync(bundle))).toBe(true);
    expect(entries[0].mode).toBe(0o100644);
  });

  test.each(ASSETS)('the %s zip inflates with node\'s zlib, with the CRC-32 and sizes its headers give', (_name, zipFile, bundle) => {
    // The zip format (PKWARE APPNOTE.TXT, 4.3): local header, data, data descriptor; central
    // directory; end of central directory record (22 bytes, no comment).
    const data = fs.readFileSync(zipFile);
    const end = data.length - 22;
    expect(data.readUInt32LE(end)).toBe(0x06054b50);
    expect(data.readUInt16LE(end + 10)).toBe(1);
    const central = data.readUInt32LE(end + 16);
    expect(data.readUInt32LE(central)).toBe(0x02014b50);
    expect(data.readUInt16LE(central + 10)).toBe(8); // deflate
    const compressedSize = data.readUInt32LE(central + 20);
    const size = data.readUInt32LE(central + 24);
    expect(data.readUInt32LE(0)).toBe(0x04034b50);
    const start = 30 + data.readUInt16LE(26) + data.readUInt16LE(28);
    const inflated = zlib.inflateRawSync(data.subarray(start, start + compressedSize));
    expect(inflated.length).toBe(size);
    // The CRC-32 by node's zlib: a gzip member ends with its data's CRC-32 and size (RFC 1952, 2.3.1).
    const gzip = zlib.gzipSync(inflated);
    expect(gzip.readUInt32LE(gzip.length - 8)).toBe(data.readUInt32LE(central + 16));
    expect(inflated.equals(fs.readFileSync(bundle))).toBe(true);
  });
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
