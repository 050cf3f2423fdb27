/**
 * Helpers shared by the `check-*` scripts: running a tool from
 * node_modules/.bin, failing with one clear line, reading the compiled jsii
 * assembly, and packing the library and installing it into a consumer's
 * folder.
 */
import { spawnSync, SpawnSyncOptions } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/** The repository root. */
export const ROOT = path.join(__dirname, '..', '..');

/** The jsii assembly that `npx projen compile` writes. */
export const ASSEMBLY_FILE = path.join(ROOT, '.jsii');

/** Print `message` as the reason for failing and exit with status 1. */
export function fail(message: string): never {
  console.error(`FAILED: ${message}`);
  process.exit(1);
}

/** The parts of a jsii assembly the checks read. */
export interface Assembly {
  readonly name: string;
  readonly version: string;
  readonly types?: Record<string, { kind: string; name: string }>;
  readonly readme?: { markdown: string };
}

/** The compiled assembly, or a failure that says how to make it. */
export function readAssembly(): Assembly {
  if (!fs.existsSync(ASSEMBLY_FILE)) {
    fail('.jsii not found: run `npx projen compile` first');
  }
  return JSON.parse(fs.readFileSync(ASSEMBLY_FILE, 'utf8'));
}

/** The result of a command whose output was kept. */
export interface RunResult {
  readonly status: number;
  /** Standard output. */
  readonly stdout: string;
  /** Standard output and standard error. */
  readonly output: string;
}

/**
 * Run a command and return its output, which is also shown unless `echo` is
 * false. `command` is looked up in node_modules/.bin first.
 */
export function run(command: string, args: string[], options: SpawnSyncOptions = {}, echo = true): RunResult {
  const local = path.join(ROOT, 'node_modules', '.bin', command);
  const result = spawnSync(fs.existsSync(local) ? local : command, args, {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    ...options,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (result.error) {
    fail(`could not run ${command}: ${result.error.message}`);
  }
  const stdout = String(result.stdout ?? '');
  const output = `${stdout}${String(result.stderr ?? '')}`;
  if (echo && output.trim()) {
    process.stdout.write(output.endsWith('\n') ? output : `${output}\n`);
  }
  return { status: result.status ?? 1, stdout, output };
}

/**
 * Run a jsii tool (jsii-rosetta, jsii-pacmak) and fail if it exits non-zero or
 * prints any warning.
 *
 * The tools' banner about the Node.js release they run on describes the
 * machine, not this library, so it is silenced for the running release only.
 */
export function runJsiiTool(command: string, args: string[]): string {
  const nodeMajor = process.versions.node.split('.')[0];
  const { status, output } = run(command, args, {
    env: { ...process.env, JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION: nodeMajor },
  });
  if (status !== 0) {
    fail(`${command} ${args[0]} exited with status ${status}`);
  }
  const warnings = output
    .split('\n')
    .filter((line) => /\bwarn(ing)?\b/i.test(line) && !/^npm warn\b/i.test(line.trim()));
  if (warnings.length > 0) {
    fail(`${command} printed ${warnings.length} warning(s):\n${warnings.join('\n')}`);
  }
  return output;
}

/** Run npm in `cwd` and return its standard output; fail if it fails. `quiet` shows its output only on failure. */
export function npm(args: string[], cwd: string, quiet = false): string {
  const result = run('npm', args, { cwd }, !quiet);
  if (result.status !== 0) {
    if (quiet) {
      console.error(result.output);
    }
    fail(`npm ${args.join(' ')} failed`);
  }
  return result.stdout;
}

/** The handler's asset the package ships, the zip of its bundle (`npx projen bundle:handler` writes it; `npx projen compile` does not). */
export const HANDLER_ZIP = path.join(ROOT, 'assets', 'stream-encryption-handler.zip');

/** The guard's asset the package ships, written beside the handler's. */
export const GUARD_ZIP = path.join(ROOT, 'assets', 'stream-encryption-guard.zip');

/**
 * Pack the library as `npm publish` would (after compile and the handler
 * bundles) into `folder`; returns the tarball's path. Fails when an asset zip
 * is missing: a package without it fails every synth (of a stack with a guard,
 * for the guard's) with `CannotFindAsset`.
 */
export function packLibrary(folder: string): string {
  for (const asset of [HANDLER_ZIP, GUARD_ZIP]) {
    if (!fs.existsSync(asset)) {
      fail(`${path.relative(ROOT, asset)} not found: run \`npx projen bundle:handler\` before packing (\`npx projen compile\` does not bundle the handler)`);
    }
  }
  const packed = JSON.parse(npm(['pack', '--json', '--ignore-scripts', '--pack-destination', folder], ROOT, true));
  return path.join(folder, packed[0].filename);
}

/**
 * Install the `dependencies` of a consumer's folder as written in its
 * package.json, from the npm cache where it has them, without a lockfile or
 * install scripts.
 */
export function installConsumer(folder: string): void {
  npm(['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', '--no-package-lock', '--loglevel=error'], folder);
}

/** The version of package `name` that `require` finds from `folder` (this repository by default). */
export function resolvedVersion(name: string, folder = ROOT): string {
  return JSON.parse(fs.readFileSync(require.resolve(`${name}/package.json`, { paths: [folder] }), 'utf8')).version;
}

/**
 * A new folder under the system's temporary folder (outside this repository
 * unless TMPDIR points into it), removed when the process exits with status 0
 * and kept for inspection otherwise.
 */
export function scratchFolder(name: string): string {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), `cdk-stream-encryption-${name}-`));
  process.on('exit', (code) => {
    if (code === 0) {
      fs.rmSync(folder, { recursive: true, force: true });
    } else {
      console.error(`kept ${folder} for inspection`);
    }
  });
  return folder;
}
