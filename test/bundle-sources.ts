/**
 * The sources of the handler bundle, for the tests that rebuild it when it is
 * older than they are.
 */
import * as fs from 'node:fs';
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

/** The bundle's sources: every `.ts` file of `lambda/` and the contract it shares with the constructs. */
export function bundleSources(): string[] {
  return [...typeScriptFiles(path.join(ROOT, 'lambda')), path.join(ROOT, 'src', 'private', 'contract.ts')];
}

/** Newest modification time of the bundle's sources, in epoch milliseconds. */
export function newestBundleSource(): number {
  return Math.max(...bundleSources().map((f) => fs.statSync(f).mtimeMs));
}
