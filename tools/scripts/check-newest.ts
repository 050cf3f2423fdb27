/**
 * Whether the version matrix's newest column is still the newest: asks the
 * npm registry (`npm view <package> version`) for the latest release of each
 * package `matrix/versions.json` pins in its `newest` column, and of what the
 * TypeScript app pins besides (`@types/node` within its major version, the
 * Node.js release the apps run on), and says which pins the registry has
 * passed. Exits 1 when any has been passed, 0 when all are current.
 *
 * Not part of `npm test` (it needs the registry, and its answer changes with
 * every release): run `npm run check:newest`. CONTRIBUTING.md says how to
 * bump a pin.
 */
import * as fs from 'fs';
import * as path from 'path';
import { npm, ROOT } from './check-support';

/** `matrix/versions.json`, the parts read here. */
interface Versions {
  readonly columns: { readonly newest: Record<string, string> };
  readonly typescriptApp: Record<string, string>;
}

/** One pin and what the registry has. */
interface Pin {
  readonly name: string;
  readonly pinned: string;
  /** What `npm view` is asked: the package, or the package within the pin's major version. */
  readonly spec: string;
}

const versions: Versions = JSON.parse(fs.readFileSync(path.join(ROOT, 'tools', 'matrix', 'versions.json'), 'utf8'));
const pins: Pin[] = [
  ...Object.entries(versions.columns.newest).map(([name, pinned]) => ({ name, pinned, spec: name })),
  ...Object.entries(versions.typescriptApp).map(([name, pinned]) => ({
    name,
    pinned,
    // The types of the Node.js release the apps run on, not of the newest Node.js.
    spec: name === '@types/node' ? `${name}@${pinned.split('.')[0]}` : name,
  })),
];

const passed: string[] = [];
for (const pin of pins) {
  const latest = latestOf(pin.spec);
  const where = pin.name in versions.columns.newest ? 'newest column' : 'typescriptApp';
  if (compare(latest, pin.pinned) > 0) {
    passed.push(`${pin.name}: ${pin.pinned} pinned (${where}), ${latest} released`);
  } else {
    console.log(`${pin.name}@${pin.pinned}: current (${where})`);
  }
}
if (passed.length > 0) {
  console.error(`the registry has passed ${passed.length} pin(s) of matrix/versions.json:\n  ${passed.join('\n  ')}`);
  console.error('bump them as CONTRIBUTING.md says (The version matrix: bumping the newest column)');
  process.exit(1);
}
console.log('matrix/versions.json: the newest column is the newest');

/** The latest version `npm view` gives for `spec` (the highest, when a range matches several). */
function latestOf(spec: string): string {
  const answer = JSON.parse(npm(['view', spec, 'version', '--json'], ROOT, true)) as string | string[];
  const all = (Array.isArray(answer) ? answer : [answer]).filter((v) => !v.includes('-'));
  return all.sort(compare)[all.length - 1];
}

/** Compare two `x.y.z` versions. */
function compare(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    if ((pa[i] ?? 0) !== (pb[i] ?? 0)) {
      return (pa[i] ?? 0) - (pb[i] ?? 0);
    }
  }
  return 0;
}
