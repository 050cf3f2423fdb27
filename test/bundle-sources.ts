/**
 * The sources of the handler bundle, for the tests that rebuild it when it is
 * older than they are.
 */
import { execSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** The repository's root. */
const ROOT = path.join(__dirname, '..');

/** Every `.ts` file below `dir`, at any depth. */
function typeScriptFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    return entry.isDirectory() ? typeScriptFiles(file) : entry.name.endsWith('.ts') ? [file] : [];
  });
}

/**
 * The bundle's sources: every `.ts` file of `lambda/`, the contract it shares with the constructs,
 * and the script that minifies and zips the bundles with its zip writer.
 */
export function bundleSources(): string[] {
  return [
    ...typeScriptFiles(path.join(ROOT, 'lambda')),
    path.join(ROOT, 'src', 'private', 'contract.ts'),
    path.join(ROOT, 'tools', 'scripts', 'zip-assets.ts'),
    path.join(ROOT, 'tools', 'bench', 'zip.ts'),
  ];
}

/** The handler bundle, as `npx projen bundle:handler` writes it. */
export const HANDLER_BUNDLE = path.join(ROOT, 'assets', 'stream-encryption-handler', 'index.js');

/** The guard's bundle, written by the same task. */
export const GUARD_BUNDLE = path.join(ROOT, 'assets', 'stream-encryption-guard', 'index.js');

/** The handler's shipped asset: the zip of its bundle, written by the same task after the bundle. */
export const HANDLER_ZIP = path.join(ROOT, 'assets', 'stream-encryption-handler.zip');

/** The guard's shipped asset, the zip of its bundle. */
export const GUARD_ZIP = path.join(ROOT, 'assets', 'stream-encryption-guard.zip');

/** Whether the bundles and their zips are there, none older than the sources. */
export function bundlesFresh(): boolean {
  const newest = newestBundleSource();
  return [HANDLER_BUNDLE, GUARD_BUNDLE, HANDLER_ZIP, GUARD_ZIP]
    .every((file) => fs.existsSync(file) && fs.statSync(file).mtimeMs >= newest);
}

/** Newest modification time of the bundle's sources, in epoch milliseconds. */
export function newestBundleSource(): number {
  return Math.max(...bundleSources().map((f) => fs.statSync(f).mtimeMs));
}

/**
 * Builds the bundles (the handler's and the guard's) and their zips when one is missing or older
 * than their sources (`npm test` builds them first). One jest worker builds while the others wait
 * for it.
 */
export function ensureBundle(): void {
  const fresh = bundlesFresh;
  if (fresh()) return;
  const lock = path.join(os.tmpdir(), 'cdk-stream-encryption-bundle.lock');
  const until = Date.now() + 120_000;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > until) throw new Error(`Waited too long for ${lock}; remove it if no build is running`);
      execSync('sleep 0.2');
      if (fresh()) return;
    }
  }
  try {
    if (!fresh()) execSync('npx projen bundle:handler', { cwd: ROOT, stdio: 'pipe' });
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}
