/**
 * The version matrix's records agree with its pins without running it: each
 * column of `matrix/versions.json` has the `cdk init` record of the CLI it
 * pins (`matrix/cdk-init/<column>.json`, which `scripts/check-matrix.ts`
 * compares with what that CLI writes), and the apps' own `cdk.json` says only
 * how to run them, so every flag they run with is the CLI's.
 */
import * as fs from 'fs';
import * as path from 'path';

const matrix = path.join(__dirname, '..', 'tools', 'matrix');
const versions = JSON.parse(fs.readFileSync(path.join(matrix, 'versions.json'), 'utf8'));
const read = (...parts: string[]) => JSON.parse(fs.readFileSync(path.join(matrix, ...parts), 'utf8'));

test.each(Object.keys(versions.columns))('the %s column has the cdk init record of the CLI it pins', (column) => {
  const record = read('cdk-init', `${column}.json`);
  expect(record['aws-cdk']).toBe(versions.columns[column]['aws-cdk']);
  const flags = Object.entries(record['cdk.json'].context);
  expect(flags.length).toBeGreaterThan(40);
  // feature flags only (`@aws-cdk/…`, `@aws-cdk-containers/…`), as the CLI writes them
  expect(flags.filter(([name]) => !name.startsWith('@aws-cdk'))).toEqual([]);
});

test.each(['js', 'ts'])('the %s app\'s cdk.json holds its command only', (app) => {
  expect(Object.keys(read(app, 'cdk.json'))).toEqual(['app']);
});

test('the newest column\'s CLI writes the flag that turns CloudFormation validation findings into errors', () => {
  expect(read('cdk-init', 'newest.json')['cdk.json'].context['@aws-cdk/core:validateAgainstDefaultRules']).toBe(true);
});
