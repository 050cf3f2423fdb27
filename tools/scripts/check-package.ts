/**
 * Checks the npm package as it would be published:
 *
 * 1. `npm pack --dry-run` lists the compiled library, the jsii assembly and the
 *    prebuilt asset zips (handler and guard), and none of the sources, tests,
 *    tools or the asset folders the zips are built from.
 * 2. The tarball, installed into a throwaway folder next to aws-cdk-lib and
 *    constructs at the versions this project builds against (and nothing
 *    else), synthesizes a CDK app written in plain JavaScript
 *    (`check-package-app.js`) with plain node: so the published files
 *    suffice, and no devDependency is needed at run time.
 *
 * Run after `npx projen compile` (which bundles the handler). `npm test` runs
 * it as `npx projen check:package`.
 */
import * as fs from 'fs';
import * as path from 'path';
import { fail, installConsumer, npm, packLibrary, readAssembly, resolvedVersion, ROOT, run, scratchFolder } from './check-support';

/** Files the package must contain. */
const REQUIRED = [
  'package.json', '.jsii', 'lib/index.js', 'lib/index.d.ts',
  'assets/stream-encryption-handler.zip', 'assets/stream-encryption-guard.zip',
  'README.md', 'LICENSE',
];
/** Folders whose files must not be published. */
const FORBIDDEN = [
  'src/', 'test/', 'lambda/', 'tools/', 'example/', 'projenrc/', 'dist/', 'coverage/', 'test-reports/', '.projen/', '.ci/',
  // The build's intermediate: the constructs use the zips.
  'assets/stream-encryption-handler/', 'assets/stream-encryption-guard/',
];
/** The only packages the consumer app installs. */
const PEERS = ['aws-cdk-lib', 'constructs'];

readAssembly();
const started = Date.now();
const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));

// 1. What `npm publish` would upload.
const dryRun = npm(['pack', '--dry-run', '--json', '--ignore-scripts'], ROOT, true);
const files: string[] = JSON.parse(dryRun)[0].files.map((f: { path: string }) => f.path);
const missing = REQUIRED.filter((f) => !files.includes(f));
const leaked = files.filter((f) => FORBIDDEN.some((dir) => f.startsWith(dir)) || (f.endsWith('.ts') && !f.endsWith('.d.ts')));
if (missing.length > 0 || leaked.length > 0) {
  fail(`npm package contents:${missing.map((f) => `\n  missing ${f}`).join('')}${leaked.map((f) => `\n  must not contain ${f}`).join('')}`);
}
if (manifest.dependencies && Object.keys(manifest.dependencies).length > 0) {
  fail(`the package has runtime dependencies (${Object.keys(manifest.dependencies).join(', ')}); the handler is bundled and the rest are peers`);
}
console.log(`package: ${files.length} files, with ${REQUIRED.join(', ')}; no sources, tests or tools`);

// 2. A consumer's app, in a folder outside this repository.
const work = scratchFolder('package');
{
  const tarball = packLibrary(work);
  const app = path.join(work, 'app');
  fs.mkdirSync(app);
  const versions = Object.fromEntries(PEERS.map((p) => [p, resolvedVersion(p)]));
  fs.writeFileSync(
    path.join(app, 'package.json'),
    JSON.stringify({ name: 'package-check-app', private: true, dependencies: { ...versions, [manifest.name]: `file:${tarball}` } }, null, 2),
  );
  fs.copyFileSync(path.join(__dirname, 'check-package-app.js'), path.join(app, 'app.js'));

  installConsumer(app);

  const synth = run(process.execPath, ['app.js'], { cwd: app, env: { ...process.env, NODE_PATH: '' } });
  if (synth.status !== 0) {
    fail('the consumer app did not synthesize with the packed library');
  }
  console.log(`package: installed ${path.basename(tarball)} with ${Object.entries(versions).map(([n, v]) => `${n}@${v}`).join(', ')} and synthesized with node (${((Date.now() - started) / 1000).toFixed(1)} s)`);
}
