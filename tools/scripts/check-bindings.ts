/**
 * Generates the Python, Java, .NET and Go bindings with jsii-pacmak (code
 * only: building them would need each language's toolchain) into
 * dist/bindings/, and fails on any warning, on a public type that a language
 * lacks, or on an example that has no translation.
 *
 * The examples come from the tablet that `check-rosetta` writes
 * (`.jsii.tabl.json`); a snippet missing from it fails generation, so the
 * bindings never carry TypeScript examples.
 *
 * Run after `npx projen compile` and `npx projen check:rosetta`. `npm test`
 * runs it as `npx projen check:bindings`.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ASSEMBLY_FILE, fail, readAssembly, ROOT, runJsiiTool } from './check-support';

const OUT_DIR = path.join(ROOT, 'dist', 'bindings');
const TABLET_FILE = `${ASSEMBLY_FILE}.tabl.json`;

const assembly = readAssembly();
if (!fs.existsSync(TABLET_FILE)) {
  fail(`${path.basename(TABLET_FILE)} not found: run \`npx projen check:rosetta\` first`);
}
const targets = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).jsii.targets as {
  python: { module: string };
  java: { package: string };
  dotnet: { namespace: string };
  go: { moduleName: string; packageName?: string };
};

fs.rmSync(OUT_DIR, { recursive: true, force: true });
const started = Date.now();
runJsiiTool('jsii-pacmak', [
  '--code-only',
  '--target', 'python',
  '--target', 'java',
  '--target', 'dotnet',
  '--target', 'go',
  '--outdir', OUT_DIR,
  '--force',
  '--no-npmignore',
  '--rosetta-tablet', TABLET_FILE,
  '--rosetta-unknown-snippets', 'fail',
]);

// Every public type of the assembly, in every language.
const goPackage = targets.go.packageName ?? assembly.name.replace(/[^a-z0-9]/gi, '').toLowerCase();
const pythonModule = read(path.join(OUT_DIR, 'python', 'src', ...targets.python.module.split('.'), '__init__.py'));
const missing: string[] = [];
const types = Object.values(assembly.types ?? {});
for (const type of types) {
  const files = {
    java: path.join(OUT_DIR, 'java', 'src', 'main', 'java', ...targets.java.package.split('.'), `${type.name}.java`),
    dotnet: path.join(OUT_DIR, 'dotnet', targets.dotnet.namespace, targets.dotnet.namespace, `${type.name}.cs`),
    go: path.join(OUT_DIR, 'go', goPackage, `${type.name}.go`),
  };
  for (const [language, file] of Object.entries(files)) {
    if (!fs.existsSync(file)) {
      missing.push(`${language}: ${path.relative(ROOT, file)}`);
    }
  }
  if (!new RegExp(`^class ${type.name}\\b`, 'm').test(pythonModule)) {
    missing.push(`python: class ${type.name} in ${targets.python.module}`);
  }
}
if (types.length === 0 || missing.length > 0) {
  fail(`bindings lack public types:\n${missing.join('\n') || 'the assembly has no types'}`);
}

console.log(
  `bindings: ${types.length} type(s) generated for python, java, dotnet and go in ${path.relative(ROOT, OUT_DIR)}/ ` +
    `without warnings (${((Date.now() - started) / 1000).toFixed(1)} s)`,
);

function read(file: string): string {
  if (!fs.existsSync(file)) {
    fail(`jsii-pacmak did not write ${path.relative(ROOT, file)}`);
  }
  return fs.readFileSync(file, 'utf8');
}

