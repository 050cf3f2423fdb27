/**
 * The static and process-level measurements of the benchmark: what a synthesized stack adds
 * (footprint), the handler assets (bytes raw and zipped, module load time in fresh processes),
 * synth time in fresh processes, and what the handler bundle is made of.
 *
 * @module
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { build } from 'esbuild';
import { Implementation } from './apps';
import { median } from './stats';
import type { SynthSample } from './synth-child';
import { filesOf, unzip, zip } from './zip';
import { stagedAsset } from '../local-cloud/cfn/function-code';

/** The repository's root. */
export const ROOT = path.join(__dirname, '..', '..');

/** A synthesized template, as far as the benchmark reads it. */
interface Template {
  readonly Resources: Record<string, { readonly Type: string; readonly Properties?: Record<string, unknown> }>;
}

/** The stack template file of a cloud assembly with one stack. */
export function templateFileOf(assemblyDir: string): string {
  const file = fs.readdirSync(assemblyDir).find((f) => f.endsWith('.template.json'));
  if (!file) throw new Error(`no template in ${assemblyDir}`);
  return path.join(assemblyDir, file);
}

function readTemplate(assemblyDir: string): Template {
  return JSON.parse(fs.readFileSync(templateFileOf(assemblyDir), 'utf8')) as Template;
}

/** IAM policy documents of a stack, by kind. */
export interface PolicyDocuments {
  /** `AWS::IAM::Policy` resources and `Policies` written inside roles. */
  readonly inline: number;
  /** `AWS::IAM::ManagedPolicy` resources of the stack. */
  readonly managed: number;
  /** AWS managed policies attached to the stack's roles (`ManagedPolicyArns` not of this stack). */
  readonly awsManaged: number;
  readonly total: number;
}

/** What one stack of N streams is made of. */
export interface Footprint {
  readonly streams: number;
  readonly resources: number;
  /**
   * Resources beyond each stream's own custom resource, key and alias, and beyond the IAM policy
   * documents: what the approach adds to a stack once.
   */
  readonly fixedResources: number;
  readonly policyDocuments: PolicyDocuments;
  /** The template file as synthesized, in bytes. */
  readonly templateBytes: number;
}

/** The footprint of a synthesized stack with `streams` streams, each with its own key and alias. */
export function footprintOf(assemblyDir: string, streams: number): Footprint {
  const template = readTemplate(assemblyDir);
  const resources = Object.values(template.Resources);
  const count = (type: string) => resources.filter((r) => r.Type === type).length;
  const inlinePolicies = count('AWS::IAM::Policy');
  const managed = count('AWS::IAM::ManagedPolicy');
  let inRoles = 0;
  let awsManaged = 0;
  for (const role of resources.filter((r) => r.Type === 'AWS::IAM::Role')) {
    inRoles += ((role.Properties?.Policies as unknown[] | undefined) ?? []).length;
    for (const arn of (role.Properties?.ManagedPolicyArns as unknown[] | undefined) ?? []) {
      if (!(typeof arn === 'object' && arn !== null && 'Ref' in arn)) awsManaged++;
    }
  }
  const inline = inlinePolicies + inRoles;
  return {
    streams,
    resources: resources.length,
    fixedResources: resources.length - inlinePolicies - managed - 3 * streams,
    policyDocuments: { inline, managed, awsManaged, total: inline + managed + awsManaged },
    templateBytes: fs.statSync(templateFileOf(assemblyDir)).size,
  };
}

/** The code of one function of a stack: an asset folder, or inline code. */
export interface FunctionCode {
  /** The function's logical id. */
  readonly functionId: string;
  /** Its handler, e.g. `index.handler`. */
  readonly handler: string;
  /**
   * The asset folder (assets shared by several functions are listed once): a folder asset as the
   * assembly stages it, or a zip asset's files, extracted as the local cloud runs them.
   */
  readonly assetDir?: string;
  /** A `.zip` file asset as staged (`asset.<hash>.zip`), uploaded as it is. */
  readonly assetZip?: string;
  /** Inline code (`ZipFile`), which CloudFormation zips itself. */
  readonly inline?: string;
}

/** The code of every Lambda function of a synthesized stack, each asset once. */
export function functionCodeOf(assemblyDir: string): FunctionCode[] {
  const template = readTemplate(assemblyDir);
  const out: FunctionCode[] = [];
  const seen = new Set<string>();
  for (const [id, r] of Object.entries(template.Resources)) {
    if (r.Type !== 'AWS::Lambda::Function') continue;
    const code = r.Properties?.Code as { S3Key?: unknown; ZipFile?: unknown } | undefined;
    const handler = String(r.Properties?.Handler ?? '');
    if (typeof code?.ZipFile === 'string') {
      out.push({ functionId: id, handler, inline: code.ZipFile });
    } else if (typeof code?.S3Key === 'string') {
      if (seen.has(code.S3Key)) continue;
      seen.add(code.S3Key);
      const staged = stagedAsset(assemblyDir, code.S3Key);
      if (staged === undefined) throw new Error(`${assemblyDir}: function ${id} names the asset ${code.S3Key}, which the assembly does not hold`);
      out.push({ functionId: id, handler, assetDir: staged.dir, ...(staged.zip === undefined ? {} : { assetZip: staged.zip }) });
    }
  }
  return out;
}

/** Bytes of an asset folder: raw (sum of its files) and zipped as the CDK CLI uploads it. */
export function assetBytes(dir: string): { raw: number; zip: number; files: number } {
  const files = filesOf(dir);
  return { raw: files.reduce((sum, f) => sum + f.data.length, 0), zip: zip(files).length, files: files.length };
}

/** Bytes of a `.zip` file asset: raw (sum of its files) and zipped as uploaded, the zip file itself. */
export function zipAssetBytes(file: string): { raw: number; zip: number; files: number } {
  const data = fs.readFileSync(file);
  const files = unzip(data);
  return { raw: files.reduce((sum, f) => sum + f.data.length, 0), zip: data.length, files: files.length };
}

/** Bytes of inline code: raw, and zipped as `index.js` (as CloudFormation packs `ZipFile`). */
export function inlineBytes(code: string): { raw: number; zip: number } {
  const data = Buffer.from(code, 'utf8');
  return { raw: data.length, zip: zip([{ name: 'index.js', data }]).length };
}

/** The `@aws-sdk/*` packages a file (or every `.js` file of a folder) requires. */
export function sdkRequiresOf(fileOrDir: string): string[] {
  const files = fs.statSync(fileOrDir).isDirectory()
    ? fs.readdirSync(fileOrDir).filter((f) => f.endsWith('.js')).map((f) => path.join(fileOrDir, f))
    : [fileOrDir];
  const found = new Set<string>();
  for (const file of files) {
    for (const m of fs.readFileSync(file, 'utf8').matchAll(/require\(\s*["'](@aws-sdk\/[^"']+)["']\s*\)/g)) found.add(m[1]);
  }
  return [...found].sort();
}

/** The probe that lists the `@aws-sdk/*` packages a fresh `node` has loaded after `require(target)`. */
const SDK_PROBE = [
  'require(process.argv[1]);',
  'const found = Object.keys(require.cache).map((f) => /[\\\\/]node_modules[\\\\/](@aws-sdk[\\\\/][^\\\\/]+)[\\\\/]/.exec(f)?.[1]);',
  "process.stdout.write(JSON.stringify([...new Set(found.filter(Boolean).map((p) => p.replace('\\\\', '/')))].sort()));",
].join('\n');

/**
 * The `@aws-sdk/*` packages `require(target)` loads in a fresh Node.js process, themselves and
 * through each other (a bundle may also require others later, on an event).
 */
export function sdkLoadedBy(target: string): string[] {
  const out = spawnSync(process.execPath, ['-e', SDK_PROBE, target], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', AWS_REGION: 'us-east-1' },
  });
  if (out.status !== 0) throw new Error(`loading ${target} failed: ${out.stderr}`);
  return JSON.parse(out.stdout) as string[];
}

/** The probe run in a fresh `node`: require `preload`, then time `require(target)`. */
const LOAD_PROBE = [
  "const { performance } = require('node:perf_hooks');",
  'const job = JSON.parse(process.argv[1]);',
  'for (const p of job.preload) require(p);',
  'const t0 = performance.now();',
  'require(job.target);',
  'process.stdout.write(String(performance.now() - t0));',
].join('\n');

/** Load times of a module in fresh processes. */
export interface LoadTimes {
  readonly medianMs: number;
  readonly runsMs: readonly number[];
}

/**
 * Milliseconds to `require` a module in a fresh Node.js process, `runs` times; `preload` is
 * required first (untimed). Packages resolve from the repository's node_modules, as the Lambda
 * runtime provides `@aws-sdk/*` to a handler.
 */
export function loadTimes(target: string, preload: readonly string[], runs: number): LoadTimes {
  const runsMs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const out = spawnSync(process.execPath, ['-e', LOAD_PROBE, JSON.stringify({ target, preload })], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', AWS_REGION: 'us-east-1' },
    });
    if (out.status !== 0) throw new Error(`loading ${target} failed: ${out.stderr}`);
    runsMs.push(Number(out.stdout));
  }
  return { medianMs: median(runsMs), runsMs };
}

/** Runs the synth child once in a fresh process. */
export function synthOnce(childScript: string, implementation: Implementation, streams: number, outdir: string): SynthSample {
  const out = spawnSync(process.execPath, [childScript, implementation, String(streams), outdir], { cwd: ROOT, encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`synth of ${implementation} with ${streams} streams failed: ${out.stderr}`);
  fs.rmSync(outdir, { recursive: true, force: true });
  return JSON.parse(out.stdout) as SynthSample;
}

/** Bytes of the handler bundle's inputs, from an esbuild build with the flags of `bundle:handler`. */
export async function bundleComposition(): Promise<Array<{ input: string; bytes: number }>> {
  const result = await build({
    entryPoints: [path.join(ROOT, 'lambda', 'index.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: true,
    external: ['@aws-sdk/*'],
    legalComments: 'none',
    write: false,
    metafile: true,
    outfile: path.join(ROOT, '.tmp', 'bench', 'composition.js'),
    logLevel: 'silent',
    absWorkingDir: ROOT,
  });
  const output = Object.values(result.metafile.outputs)[0];
  return Object.entries(output.inputs)
    .map(([input, v]) => ({ input, bytes: v.bytesInOutput }))
    .sort((a, b) => b.bytes - a.bytes);
}
