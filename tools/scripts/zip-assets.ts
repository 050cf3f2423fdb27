/**
 * The second half of `npx projen bundle:handler`, after esbuild: for each shipped function (the
 * handler's and the guard's), a second minifier pass over its bundle, written back in place, then
 * the zip the constructs hand to `lambda.Code.fromAsset`, beside the folder:
 *
 * - `assets/stream-encryption-handler/index.js` → `assets/stream-encryption-handler.zip`
 * - `assets/stream-encryption-guard/index.js` → `assets/stream-encryption-guard.zip`
 *
 * Each zip holds one entry, `index.js`, deflated by Zopfli, with a fixed date and mode: the same
 * bundle always gives the same bytes, so the asset's hash changes only with its code. The CDK
 * uploads a `.zip` file asset as it is, so the consumer's synth neither bundles nor zips anything.
 * The folders stay as the build's intermediate (tests and the bench load `index.js` from them).
 *
 * @module
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { deflateAsync } from '@gfx/zopfli';
import { minify } from 'uglify-js';
import { zipAsync } from '../bench/zip';

/** The repository's root. */
const ROOT = path.join(__dirname, '..', '..');

/** The asset folders esbuild writes, each zipped into `<folder>.zip`. */
export const ASSET_DIRS = ['stream-encryption-handler', 'stream-encryption-guard'].map((name) => path.join(ROOT, 'assets', name));

/** The file mode of `index.js` in the zip: a regular file, readable by all (Lambda runs it as another user). */
const ENTRY_MODE = 0o100644;

/** Zopfli's iterations: its README's advice for small files. */
const ZOPFLI_ITERATIONS = 15;

/**
 * The second minifier pass over esbuild's output. `toplevel`: the bundle is a CommonJS module,
 * whose top-level names Node.js keeps inside the module's own function, so they can be renamed or
 * dropped like any other local; `module: false`: no implicit `"use strict"`, as Node.js loads it.
 */
export function minifyBundle(code: string): string {
  const result = minify(code, { module: false, toplevel: true, compress: { passes: 3 }, mangle: true });
  if (result.error !== undefined || result.code === undefined) throw result.error ?? new Error('uglify-js returned no code');
  return result.code;
}

/** The zip of one bundle: the single entry `index.js`, deflated by Zopfli. */
export function assetZip(bundle: Buffer): Promise<Buffer> {
  return zipAsync([{ name: 'index.js', data: bundle, mode: ENTRY_MODE }], (data) => deflateAsync(data, { numiterations: ZOPFLI_ITERATIONS }));
}

/** Minifies each folder's `index.js` in place and writes its zip beside the folder. */
async function main(): Promise<void> {
  for (const dir of ASSET_DIRS) {
    const file = path.join(dir, 'index.js');
    const code = Buffer.from(minifyBundle(fs.readFileSync(file, 'utf8')), 'utf8');
    fs.writeFileSync(file, code);
    const archive = await assetZip(code);
    fs.writeFileSync(`${dir}.zip`, archive);
    console.log(`${path.relative(ROOT, dir)}.zip: ${archive.length} B (index.js ${code.length} B)`);
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
