/**
 * The version matrix (`scripts/check-matrix.ts`) fails when the library's
 * cdk-nag suppressions are missing (on its own resources, and on the stream
 * defined in the app that it encrypts): each column's JavaScript app (cdk-nag 2
 * metadata at the floor, cdk-nag 3 acknowledgements at the newest versions),
 * synthesized once with the suppressions stripped and once as it is, from one
 * install per column.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ensureBundle } from './bundle-sources';

const root = path.join(__dirname, '..');
const workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-stream-encryption-matrix-test-'));

/** Run a column's JavaScript app through the matrix check; its exit status and output. */
function checkJs(column: string, ...extraArgs: string[]): { status: number | null; output: string } {
  const result = spawnSync(
    path.join(root, 'node_modules', '.bin', 'ts-node'),
    ['-T', 'tools/scripts/check-matrix.ts', '--columns', column, '--apps', 'js', '--workdir', path.join(workdir, column), ...extraArgs],
    { cwd: root, encoding: 'utf8', env: { ...process.env, MATRIX_COLUMNS: '', MATRIX_STRIP_SUPPRESSIONS: '', MATRIX_INVALID_RESOURCE: '' } },
  );
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** The newest modification time of the files below `dir`. */
function newest(dir: string): number {
  const files = fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
  return Math.max(...files.map((e) => fs.statSync(path.join(e.parentPath, e.name)).mtimeMs));
}

beforeAll(() => {
  // The check packs the compiled library: compile it unless .jsii is newer than src/.
  const assembly = path.join(root, '.jsii');
  if (!fs.existsSync(assembly) || fs.statSync(assembly).mtimeMs < newest(path.join(root, 'src'))) {
    const compile = spawnSync(path.join(root, 'node_modules', '.bin', 'projen'), ['compile'], { cwd: root, encoding: 'utf8' });
    expect(compile.status).toBe(0);
  }
  ensureBundle();
}, 120_000);

afterAll(() => {
  fs.rmSync(workdir, { recursive: true, force: true });
});

describe.each([
  { column: 'floor', generation: 'cdk-nag 2' },
  { column: 'newest', generation: 'cdk-nag 3' },
])('version matrix, $column column ($generation)', ({ column }) => {
  test('fails, naming the rules, when the library\'s suppressions are stripped', () => {
    const { status, output } = checkJs(column, '--strip-suppressions');
    expect(status).not.toBe(0);
    expect(output).toMatch(/\[\/MatrixJsStreams\/CdkStreamEncryptionProvider\/Handler\/Resource\] NIST\.800\.53\.R5-LambdaDLQ\b/);
    expect(output).toMatch(/\[\/MatrixJsStreams\/CdkStreamEncryptionGuard\/Function\/Resource\] NIST\.800\.53\.R5-LambdaConcurrency\b/);
    expect(output).toMatch(/\bAwsSolutions-IAM5\b/);
    // the acknowledgement of the encryption rule on a stream defined in the app that the library encrypts
    expect(output).toMatch(/\[\/MatrixJsStreams\/Clicks\/Resource\] AwsSolutions-KDF1\b/);
    expect(output).toContain(`the version matrix found errors (cdk-nag's on the library's resources, or CloudFormation validation's) in matrix ${column}/js (suppressions stripped)`);
  }, 120_000);

  test('passes with the suppressions, from the same install', () => {
    const { status, output } = checkJs(column);
    expect(output).toContain(`matrix ${column}: reusing the install`);
    expect(output).toContain(`matrix ${column}/js: no cdk-nag error on the library's resources, no CloudFormation validation error`);
    expect(status).toBe(0);
  }, 120_000);
});

// aws-cdk-lib validates templates against CloudFormation's schemas and rules from 2.262.0
// (`@aws-cdk/core:validateAgainstDefaultRules`, which `cdk init` sets): the newest column only.
test('version matrix, newest column: a CloudFormation validation error fails the check, on any resource', () => {
  const { status, output } = checkJs('newest', '--invalid-resource');
  expect(status).not.toBe(0);
  expect(output).toMatch(/\[\/MatrixJsKeys\/Invalid\] F3002: TopicNam\b/);
  expect(output).toContain('in matrix newest/js (an invalid resource added)');
}, 120_000);
