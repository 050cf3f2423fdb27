/**
 * Every TypeScript snippet of README.md and of the pages under docs/
 * synthesizes as pasted into a fresh app: the snippet alone is
 * the app's entry point, in an empty folder outside this repository, run by
 * node as the CDK CLI runs an app (`CDK_OUTDIR`, and `CDK_CONTEXT_JSON` with
 * the feature flags of the `cdk.json` that `cdk init` writes, as recorded in
 * `matrix/cdk-init/floor.json` for the CLI this repository pins), and must
 * write a cloud assembly with a stack and no error annotation. Nothing it
 * needs may be missing: no asset folder, no file, no context of its own.
 *
 * `check:rosetta` compiles the same snippets strictly; this runs them
 * (transpiled only). `cdk-stream-encryption` resolves to this repository's
 * `src/`, every other package to this repository's node_modules.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ensureBundle } from './bundle-sources';

const root = path.join(__dirname, '..');
const workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-stream-encryption-snippets-'));

/** A TypeScript snippet of a Markdown file. */
interface Snippet {
  /** `README.md:L12`: the file and the line of its opening fence. */
  readonly name: string;
  readonly source: string;
}

/** The parts of a cloud assembly's artifact that the test reads. */
interface Artifact {
  readonly type: string;
  readonly metadata?: Record<string, Array<{ type: string; data: unknown }>>;
}

/** The Markdown files whose snippets a reader pastes: README.md and docs/**\/*.md. */
function markdownFiles(): string[] {
  const docs = path.join(root, 'docs');
  const pages = fs.existsSync(docs)
    ? fs.readdirSync(docs, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.md')).sort().map((f) => path.join(docs, f))
    : [];
  return [path.join(root, 'README.md'), ...pages];
}

/** The ` ```ts ` and ` ```typescript ` blocks of a Markdown file. */
function snippetsOf(file: string): Snippet[] {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const snippets: Snippet[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^```(ts|typescript)(\s|$)/.test(lines[i])) {
      continue;
    }
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !lines[i].startsWith('```'); i++) {
      body.push(lines[i]);
    }
    snippets.push({ name: `${path.relative(root, file)}:L${start + 1}`, source: `${body.join('\n')}\n` });
  }
  return snippets;
}

/** The context of the `cdk.json` that `cdk init app --language typescript` writes with the CLI this repository pins. */
function initContext(): Record<string, unknown> {
  const record = JSON.parse(fs.readFileSync(path.join(root, 'tools', 'matrix', 'cdk-init', 'floor.json'), 'utf8'));
  return record['cdk.json'].context;
}

/**
 * Paste `snippet` into a fresh app folder and run it as the CDK CLI does;
 * returns undefined when it synthesized a stack without errors, else why not.
 */
function synthesize(snippet: Snippet): string | undefined {
  const appDir = path.join(workdir, snippet.name.replace(/[^\w.-]/g, '_'));
  fs.rmSync(appDir, { recursive: true, force: true });
  fs.mkdirSync(appDir, { recursive: true });
  fs.writeFileSync(path.join(appDir, 'app.ts'), snippet.source);
  // The library as installed, but from its sources.
  const library = path.join(appDir, 'node_modules', 'cdk-stream-encryption');
  fs.mkdirSync(library, { recursive: true });
  fs.writeFileSync(path.join(library, 'package.json'), JSON.stringify({ name: 'cdk-stream-encryption', main: path.join(root, 'src', 'index.ts') }));
  const outdir = path.join(appDir, 'cdk.out');
  const result = spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', 'app.ts'], {
    cwd: appDir,
    encoding: 'utf8',
    env: {
      ...process.env,
      NODE_PATH: path.join(root, 'node_modules'),
      TS_NODE_COMPILER_OPTIONS: JSON.stringify({ module: 'commonjs', target: 'ES2022', ignoreDeprecations: '6.0' }),
      TS_NODE_SKIP_PROJECT: 'true',
      CDK_OUTDIR: outdir,
      CDK_CONTEXT_JSON: JSON.stringify(initContext()),
      CDK_DISABLE_CLI_TELEMETRY: 'true',
      AWS_REGION: 'us-east-1',
    },
  });
  const output = `${result.stdout}${result.stderr}`.trim();
  if (result.status !== 0) {
    return `exited with status ${result.status}: ${output.split('\n').slice(0, 8).join('\n')}`;
  }
  const manifestFile = path.join(outdir, 'manifest.json');
  if (!fs.existsSync(manifestFile)) {
    return `wrote no cloud assembly (${output})`;
  }
  const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8'));
  const artifacts: Artifact[] = Object.values(manifest.artifacts ?? {});
  if (!artifacts.some((a) => a.type === 'aws:cloudformation:stack')) {
    return 'synthesized no stack';
  }
  const errors = artifacts.flatMap((a) =>
    Object.entries(a.metadata ?? {}).flatMap(([at, entries]) =>
      entries.filter((e) => e.type === 'aws:cdk:error').map((e) => `[${at}] ${String(e.data)}`)),
  );
  return errors.length > 0 ? `synthesized with errors, which fail \`cdk synth\`: ${errors.join('; ')}` : undefined;
}

const snippets = markdownFiles().flatMap(snippetsOf);

beforeAll(() => {
  // The library's handler is an asset: a snippet's synth needs the bundle.
  ensureBundle();
}, 120_000);

afterAll(() => {
  fs.rmSync(workdir, { recursive: true, force: true });
});

test('README.md and the docs/ pages have TypeScript snippets, and all are read', () => {
  expect(markdownFiles()[0]).toBe(path.join(root, 'README.md'));
  expect(snippets.filter((s) => s.name.startsWith('README.md:')).length).toBeGreaterThanOrEqual(3);
  expect(snippets.filter((s) => s.name.startsWith('docs/')).length).toBeGreaterThan(10);
  expect(new Set(snippets.map((s) => s.name.split(':')[0]))).toEqual(
    new Set(['README.md', 'docs/checks.md', 'docs/drift-repair.md', 'docs/key-health.md', 'docs/security.md', 'docs/usage.md']),
  );
});

test.each(snippets.map((s) => [s.name, s]))('%s synthesizes as pasted into a fresh app', (_name, snippet) => {
  expect(synthesize(snippet)).toBeUndefined();
}, 60_000);

test('a snippet that needs what a fresh app does not have fails, saying why', () => {
  const needsAFolder: Snippet = {
    name: 'broken:L1',
    source: [
      "import { App, Stack } from 'aws-cdk-lib';",
      "import * as lambda from 'aws-cdk-lib/aws-lambda';",
      '',
      'const app = new App();',
      "const stack = new Stack(app, 'Consumer');",
      "new lambda.Function(stack, 'Consumer', {",
      '  runtime: lambda.Runtime.NODEJS_22_X,',
      "  handler: 'index.handler',",
      "  code: lambda.Code.fromAsset('consumer'),",
      '});',
      '',
    ].join('\n'),
  };
  expect(synthesize(needsAFolder)).toMatch(/^exited with status 1: [\s\S]*Cannot find asset/);
}, 60_000);
