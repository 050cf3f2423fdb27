/**
 * The version matrix: the packed library installed into consumer apps at
 * each column of `matrix/versions.json` (the floor the library supports, and
 * the newest releases), synthesized with that column's CDK CLI and checked by
 * the four cdk-nag packs (AwsSolutions, NIST 800-53 R5, HIPAA Security, PCI
 * DSS 3.2.1). A column fails when cdk-nag reports a finding of level error on
 * what the library added (the provider, the guard, the alert topic, and each
 * encryption construct with its children), when aws-cdk-lib's CloudFormation
 * validation (`@aws-cdk/core:validateAgainstDefaultRules`) reports an error
 * on any resource, or when `cdk synth` fails.
 *
 * The apps run as a user's app made with `cdk init` runs: with the
 * `cdk.json` (its feature flags above all) that the column's CLI writes for
 * `cdk init app --language typescript`. `matrix/cdk-init/<column>.json`
 * records it; every run makes it again with the column's CLI and fails when
 * the record differs (`--update-init` writes it).
 *
 * Each column is one install (the tarball, aws-cdk-lib, constructs, cdk-nag,
 * the CLI and, for the TypeScript app, typescript) shared by both apps of
 * `matrix/`: `js/` (plain JavaScript, run by node) and `ts/` (compiled with
 * `tsc` first). cdk-nag 2 reports as error annotations in the cloud
 * assembly's manifest; cdk-nag 3 and CloudFormation validation in its
 * validation report.
 *
 * Usage (after `npx projen compile`):
 *
 *   ts-node -T scripts/check-matrix.ts [--columns floor,newest] [--apps js,ts]
 *                                      [--default-columns floor]
 *                                      [--strip-suppressions] [--workdir DIR]
 *                                      [--invalid-resource] [--update-init]
 *
 * - `--columns`: default `$MATRIX_COLUMNS`, else `--default-columns`, else
 *   every column (`npm test` passes `--default-columns floor,newest`).
 * - `--strip-suppressions` (or `MATRIX_STRIP_SUPPRESSIONS=1`): the apps remove
 *   the library's cdk-nag suppressions before the packs run, so the check
 *   must fail; `test/matrix.test.ts` proves that it does.
 * - `--workdir DIR`: install the columns in DIR/<column> and keep them; a
 *   later run with the same tarball and versions reuses the install.
 * - `--invalid-resource` (or `MATRIX_INVALID_RESOURCE=1`): the JavaScript app
 *   adds a resource with a property CloudFormation does not know to its keys
 *   stack, outside the library, so the check must fail where aws-cdk-lib
 *   validates templates (`test/matrix.test.ts` proves that it does).
 * - `--update-init`: write `matrix/cdk-init/<column>.json` from the column's
 *   CLI instead of comparing it (after a bump of the column's `aws-cdk`).
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { fail, installConsumer, packLibrary, readAssembly, resolvedVersion, ROOT, run, scratchFolder } from './check-support';

/** The packages of a column, each at an exact version. */
type Column = Record<'aws-cdk-lib' | 'constructs' | 'cdk-nag' | 'aws-cdk', string>;

/** `matrix/versions.json`. */
interface Versions {
  readonly columns: Record<string, Column>;
  /** What the TypeScript app needs besides a column's packages. */
  readonly typescriptApp: Record<string, string>;
}

/** A scratch app of `matrix/`. */
interface App {
  /** Its folder in `matrix/`. */
  readonly name: 'js' | 'ts';
  /** The construct paths (`/Stack/Id`) under which everything is the library's. */
  readonly libraryPaths: string[];
}

/** What `matrix/cdk-init/<column>.json` records: the `cdk.json` of `cdk init app --language typescript` by that CLI. */
interface InitRecord {
  /** The CDK CLI version that wrote it. */
  readonly 'aws-cdk': string;
  /** The `cdk.json` it wrote, as it wrote it, for an app in a folder named `matrix-app`. */
  readonly 'cdk.json': { app: string; context?: Record<string, unknown>; [key: string]: unknown };
}

/** A finding of level error that cdk-nag or CloudFormation validation reported. */
interface Finding {
  readonly path: string;
  readonly message: string;
  /** The validation plugin that reported it (none for a cdk-nag 2 annotation). */
  readonly plugin?: string;
}

/** The parts of aws-cdk-lib's validation report that the check reads. */
interface ValidationReport {
  readonly pluginReports: {
    /** Where the report names its plugin: `pluginName` (aws-cdk-lib 2.27x), `summary.pluginName` before. */
    readonly pluginName?: string;
    readonly summary?: { readonly pluginName?: string };
    readonly violations: {
      readonly ruleName: string;
      readonly description: string;
      readonly severity?: string;
      readonly violatingConstructs: { readonly constructPath?: string }[];
    }[];
  }[];
}

const MATRIX_DIR = path.join(ROOT, 'tools', 'matrix');
const VERSIONS: Versions = JSON.parse(fs.readFileSync(path.join(MATRIX_DIR, 'versions.json'), 'utf8'));
/** What the library adds to a stack: the provider, the alert topic of the key health alarms. */
const PER_STACK = ['CdkStreamEncryptionProvider', 'CdkStreamEncryptionAlerts'];
const APPS: App[] = [
  // Clicks and Scratch are streams the app defines and the library encrypts (Clicks through
  // ClicksSse, Scratch through StreamEncryptionFixes); Audit holds only what the fixes add.
  {
    name: 'js',
    libraryPaths: [...PER_STACK, 'CdkStreamEncryptionGuard', 'OrdersSse', 'EventsSse', 'ClicksSse', 'Clicks', 'Audit', 'Scratch'].map((id) => `/MatrixJsStreams/${id}`),
  },
  // Scratch holds only what the fixes add.
  { name: 'ts', libraryPaths: [...PER_STACK, 'CdkStreamEncryptionGuard', 'ClicksSse', 'AuditSse', 'Scratch'].map((id) => `/MatrixTsStreams/${id}`) },
];
/** The CloudFormation validation that aws-cdk-lib runs on every template (`@aws-cdk/core:validateAgainstDefaultRules`). */
const CFN_VALIDATE_PLUGIN = 'CloudFormation Validate';
/** For the CDK CLI when it only synthesizes: a fixed region and no telemetry. */
const CDK_ENV = { AWS_REGION: 'us-east-1', CDK_DISABLE_CLI_TELEMETRY: 'true' };

const options = parseOptions(process.argv.slice(2));
readAssembly();
const workdir = options.workdir ?? scratchFolder('matrix');
fs.mkdirSync(workdir, { recursive: true });
const tarball = packLibrary(workdir);

const failures: string[] = [];
for (const column of options.columns) {
  const started = Date.now();
  const folder = installColumn(column, options.apps);
  const installed = (Date.now() - started) / 1000;
  checkInitRecord(column, folder);
  for (const app of options.apps) {
    const appStarted = Date.now();
    const findings = synthesize(column, folder, app);
    const label = `matrix ${column}/${app.name}`;
    const seconds = ((Date.now() - appStarted) / 1000).toFixed(1);
    if (findings.length === 0) {
      console.log(`${label}: no cdk-nag error on the library's resources, no CloudFormation validation error (${seconds} s)`);
    } else {
      console.error(`${label}: ${findings.length} error(s), cdk-nag's on the library's resources or CloudFormation validation's on any:`);
      for (const finding of findings) {
        console.error(`  [${finding.path}] ${finding.message}`);
      }
      failures.push(label);
    }
  }
  console.log(`matrix ${column}: ${describe(VERSIONS.columns[column])} (install ${installed.toFixed(1)} s, total ${((Date.now() - started) / 1000).toFixed(1)} s)`);
}
if (failures.length > 0) {
  const mode = [options.strip ? 'suppressions stripped' : '', options.invalid ? 'an invalid resource added' : ''].filter(Boolean).join(', ');
  fail(`the version matrix found errors (cdk-nag's on the library's resources, or CloudFormation validation's) in ${failures.join(', ')}${mode ? ` (${mode})` : ''}`);
}

/** The command line, with the environment's defaults. */
function parseOptions(args: string[]): { columns: string[]; apps: App[]; strip: boolean; invalid: boolean; updateInit: boolean; workdir?: string } {
  const known = Object.keys(VERSIONS.columns);
  let columns: string[] | undefined;
  let defaultColumns = known;
  let apps = APPS;
  let strip = process.env.MATRIX_STRIP_SUPPRESSIONS === '1';
  let keepIn: string | undefined;
  let updateInit = false;
  let invalid = process.env.MATRIX_INVALID_RESOURCE === '1';
  for (let i = 0; i < args.length; i++) {
    const value = (): string => args[++i] ?? fail(`${args[i - 1]} needs a value`);
    switch (args[i]) {
      case '--columns':
        columns = value().split(',');
        break;
      case '--default-columns':
        defaultColumns = value().split(',');
        break;
      case '--apps': {
        const names = value().split(',');
        apps = names.map((n) => APPS.find((a) => a.name === n) ?? fail(`unknown app ${n}; the apps are ${APPS.map((a) => a.name).join(', ')}`));
        break;
      }
      case '--strip-suppressions':
        strip = true;
        break;
      case '--workdir':
        keepIn = path.resolve(value());
        break;
      case '--update-init':
        updateInit = true;
        break;
      case '--invalid-resource':
        invalid = true;
        break;
      default:
        fail(`unknown option ${args[i]}`);
    }
  }
  columns ??= process.env.MATRIX_COLUMNS ? process.env.MATRIX_COLUMNS.split(',') : defaultColumns;
  const unknown = columns.filter((c) => !known.includes(c));
  if (unknown.length > 0) {
    fail(`unknown column(s) ${unknown.join(', ')}; matrix/versions.json has ${known.join(', ')}`);
  }
  return { columns, apps, strip, invalid, updateInit, workdir: keepIn };
}

/**
 * The folder where `column`'s packages and the tarball are installed, reused
 * when it already holds exactly those.
 */
function installColumn(column: string, apps: App[]): string {
  const folder = path.join(workdir, column);
  const dependencies: Record<string, string> = {
    ...VERSIONS.columns[column],
    ...(apps.some((a) => a.name === 'ts') ? VERSIONS.typescriptApp : {}),
    'cdk-stream-encryption': `file:${tarball}`,
  };
  const manifest = JSON.stringify({ name: `matrix-${column}`, private: true, dependencies }, null, 2);
  const stamp = `${manifest}\n${crypto.createHash('sha256').update(fs.readFileSync(tarball)).digest('hex')}\n`;
  const stampFile = path.join(folder, '.installed');
  if (fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8') === stamp) {
    console.log(`matrix ${column}: reusing the install in ${folder}`);
    return folder;
  }
  fs.rmSync(folder, { recursive: true, force: true });
  fs.mkdirSync(folder, { recursive: true });
  fs.writeFileSync(path.join(folder, 'package.json'), manifest);
  installConsumer(folder);
  fs.writeFileSync(stampFile, stamp);
  return folder;
}

/**
 * Copy `app` into the column's folder, synthesize it there and return the
 * library's findings (or the failure of a synth that reported none).
 */
function synthesize(column: string, folder: string, app: App): Finding[] {
  const versions = VERSIONS.columns[column];
  const nagMajor = versions['cdk-nag'].split('.')[0];
  const appDir = path.join(folder, app.name);
  fs.rmSync(appDir, { recursive: true, force: true });
  fs.mkdirSync(appDir);
  for (const file of fs.readdirSync(path.join(MATRIX_DIR, app.name))) {
    // The TypeScript app's nag.ts is the file of the column's cdk-nag generation.
    const nagFile = /^nag-(\d+)\.ts$/.exec(file);
    if (!nagFile || nagFile[1] === nagMajor) {
      fs.copyFileSync(path.join(MATRIX_DIR, app.name, file), path.join(appDir, nagFile ? 'nag.ts' : file));
    }
  }
  // The cdk.json of `cdk init` by the column's CLI (its feature flags above all), with the app's own command.
  const own = JSON.parse(fs.readFileSync(path.join(MATRIX_DIR, app.name, 'cdk.json'), 'utf8'));
  fs.writeFileSync(path.join(appDir, 'cdk.json'), `${JSON.stringify({ ...readInitRecord(column)['cdk.json'], app: own.app }, null, 2)}\n`);
  for (const [name, version] of Object.entries({ ...versions, 'cdk-stream-encryption': readAssembly().version })) {
    const found = name === 'aws-cdk' ? readVersion(path.join(folder, 'node_modules', name)) : resolvedVersion(name, appDir);
    if (found !== version) {
      fail(`matrix ${column}/${app.name} resolves ${name}@${found}, not ${version}`);
    }
  }
  const bin = (tool: string): string => path.join(folder, 'node_modules', '.bin', tool);
  if (app.name === 'ts' && run(bin('tsc'), ['-p', '.'], { cwd: appDir }).status !== 0) {
    fail(`matrix ${column}/${app.name} does not compile with tsc`);
  }
  const env = {
    ...process.env,
    ...CDK_ENV,
    MATRIX_STRIP_SUPPRESSIONS: options.strip ? '1' : '0',
    MATRIX_INVALID_RESOURCE: options.invalid ? '1' : '0',
  };
  const synth = run(bin('cdk'), ['synth', '--quiet', '--no-notices'], { cwd: appDir, env }, false);
  const outdir = path.join(appDir, 'cdk.out');
  // cdk-nag's findings count on the library's resources; CloudFormation validation's on any resource.
  const report = validationReportErrors(outdir);
  const nagFindings = nagMajor === '2' ? annotatedErrors(outdir) : report.filter((f) => f.plugin !== CFN_VALIDATE_PLUGIN);
  const findings = [
    ...nagFindings.filter((f) => app.libraryPaths.some((p) => f.path === p || f.path.startsWith(`${p}/`))),
    ...report.filter((f) => f.plugin === CFN_VALIDATE_PLUGIN),
  ];
  if (synth.status !== 0 && findings.length === 0) {
    // Not a finding on the library's resources: show why the synth failed.
    process.stdout.write(synth.output);
    return [{ path: '/', message: `cdk synth exited with status ${synth.status}` }];
  }
  return findings;
}

/** cdk-nag 2: the error annotations of the stacks in the cloud assembly's manifest. */
function annotatedErrors(outdir: string): Finding[] {
  const manifest = JSON.parse(fs.readFileSync(path.join(outdir, 'manifest.json'), 'utf8'));
  return Object.values(manifest.artifacts as Record<string, { metadata?: Record<string, { type: string; data: unknown }[]> }>)
    .flatMap((artifact) => Object.entries(artifact.metadata ?? {}))
    .flatMap(([constructPath, entries]) =>
      entries.filter((e) => e.type === 'aws:cdk:error').map((e) => ({ path: constructPath, message: String(e.data).trim() })),
    );
}

/**
 * cdk-nag 3: the violations of level error in the cloud assembly's validation
 * report (`validation-report.json`; `policy-validation-report.json` in the
 * aws-cdk-lib releases before it was renamed).
 */
function validationReportErrors(outdir: string): Finding[] {
  const file = ['validation-report.json', 'policy-validation-report.json'].map((f) => path.join(outdir, f)).find((f) => fs.existsSync(f));
  if (!file) {
    return [];
  }
  const report: ValidationReport = JSON.parse(fs.readFileSync(file, 'utf8'));
  return report.pluginReports.flatMap((plugin) =>
    plugin.violations
      .filter((violation) => ['error', 'fatal'].includes((violation.severity ?? 'error').toLowerCase()))
      .flatMap((violation) =>
        violation.violatingConstructs.map((construct) => ({
          path: `/${(construct.constructPath ?? '').replace(/^\//, '')}`,
          message: `${violation.ruleName}: ${violation.description}`,
          plugin: plugin.pluginName ?? plugin.summary?.pluginName,
        })),
      ),
  );
}

/** `matrix/cdk-init/<column>.json`. */
function initRecordFile(column: string): string {
  return path.join(MATRIX_DIR, 'cdk-init', `${column}.json`);
}

/** The committed record of what `column`'s CLI writes for `cdk init`; fails when it is missing or another CLI's. */
function readInitRecord(column: string): InitRecord {
  const file = initRecordFile(column);
  const cli = VERSIONS.columns[column]['aws-cdk'];
  const fix = `run \`ts-node -T scripts/check-matrix.ts --columns ${column} --update-init\` and commit it`;
  if (!fs.existsSync(file)) {
    fail(`${path.relative(ROOT, file)} is missing: ${fix}`);
  }
  const record: InitRecord = JSON.parse(fs.readFileSync(file, 'utf8'));
  if (record['aws-cdk'] !== cli) {
    fail(`${path.relative(ROOT, file)} is aws-cdk@${record['aws-cdk']}'s cdk init, but the ${column} column pins aws-cdk@${cli}: ${fix}`);
  }
  return record;
}

/**
 * Run the column's CLI as a user starts an app (`cdk init app --language
 * typescript`, files only: no npm install, no git) and compare the cdk.json it
 * writes with the committed record; with `--update-init`, write the record.
 * Once per install: the result is kept beside it.
 */
function checkInitRecord(column: string, folder: string): void {
  const generated = path.join(folder, 'cdk-init.json');
  if (!fs.existsSync(generated)) {
    const appDir = path.join(folder, 'init', 'matrix-app');
    fs.rmSync(path.dirname(appDir), { recursive: true, force: true });
    fs.mkdirSync(appDir, { recursive: true });
    const init = run(path.join(folder, 'node_modules', '.bin', 'cdk'), ['init', 'app', '--language', 'typescript', '--generate-only'], {
      cwd: appDir,
      env: { ...process.env, ...CDK_ENV },
    }, false);
    if (init.status !== 0) {
      process.stdout.write(init.output);
      fail(`matrix ${column}: cdk init exited with status ${init.status}`);
    }
    const record: InitRecord = {
      'aws-cdk': readVersion(path.join(folder, 'node_modules', 'aws-cdk')),
      'cdk.json': JSON.parse(fs.readFileSync(path.join(appDir, 'cdk.json'), 'utf8')),
    };
    fs.writeFileSync(generated, `${JSON.stringify(record, null, 2)}\n`);
  }
  const file = initRecordFile(column);
  const written = fs.readFileSync(generated, 'utf8');
  if (options.updateInit) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, written);
    console.log(`matrix ${column}: wrote ${path.relative(ROOT, file)}`);
  } else if (!fs.existsSync(file) || fs.readFileSync(file, 'utf8') !== written) {
    readInitRecord(column);
    fail(`matrix ${column}: ${path.relative(ROOT, file)} is not the cdk.json that aws-cdk@${VERSIONS.columns[column]['aws-cdk']}'s cdk init writes ` +
      `(in ${generated}): run \`ts-node -T scripts/check-matrix.ts --columns ${column} --update-init\` and commit it`);
  }
}

/** The version in the package.json of the package in `folder`. */
function readVersion(folder: string): string {
  return JSON.parse(fs.readFileSync(path.join(folder, 'package.json'), 'utf8')).version;
}

/** `name@version, ...` of a column. */
function describe(column: Column): string {
  return Object.entries(column).map(([n, v]) => `${n}@${v}`).join(', ');
}
