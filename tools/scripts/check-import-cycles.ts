/**
 * Fails when any two of the repository's TypeScript modules import each
 * other, directly or through others, type imports included. The lint rules'
 * `import/no-cycle` (eslint-plugin-import) reports the circles of value
 * imports in the editor, but it skips every `import type`: a circle of types
 * still ties two modules' designs together, so this check, run by the
 * `eslint` task, reads every import, export-from, `import()` and `require()`.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';
import { fail, ROOT } from './check-support';

/** What is checked: the sources the lint task lints. */
const SOURCES = ['src', 'lambda', 'test', 'tools', 'example', 'projenrc', '.projenrc.ts'];

/** Folders never read: installs, synth output, integ snapshots and the matrix's scratch apps. */
const SKIPPED = (relative: string): boolean =>
  /(^|\/)(node_modules|cdk\.out|[^/]*\.snapshot)$/.test(relative) || relative === path.join('tools', 'matrix');

/** The `.ts` files (not declarations) under `entry`, relative to the root. */
function sourceFiles(entry: string): string[] {
  const full = path.join(ROOT, entry);
  if (!fs.existsSync(full) || SKIPPED(entry)) {
    return [];
  }
  if (fs.statSync(full).isDirectory()) {
    return fs.readdirSync(full).sort().flatMap((name) => sourceFiles(path.join(entry, name)));
  }
  return entry.endsWith('.ts') && !entry.endsWith('.d.ts') ? [entry] : [];
}

/** Each file's imports of other checked files, type imports included. */
function importGraph(files: readonly string[]): Map<string, string[]> {
  const checked = new Set(files);
  const options: ts.CompilerOptions = { moduleResolution: ts.ModuleResolutionKind.Node10 };
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
    const imported = ts.preProcessFile(text, true, true).importedFiles.flatMap((reference) => {
      const resolved = ts.resolveModuleName(reference.fileName, path.join(ROOT, file), options, ts.sys).resolvedModule;
      const target = resolved ? path.relative(ROOT, resolved.resolvedFileName) : undefined;
      return target !== undefined && checked.has(target) ? [target] : [];
    });
    graph.set(file, [...new Set(imported)]);
  }
  return graph;
}

/** The strongly connected components of more than one file, or of one file that imports itself (Tarjan). */
function circles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (file: string): void => {
    index.set(file, index.size);
    low.set(file, index.get(file)!);
    stack.push(file);
    onStack.add(file);
    for (const next of graph.get(file) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(file, Math.min(low.get(file)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(file, Math.min(low.get(file)!, index.get(next)!));
      }
    }
    if (low.get(file) === index.get(file)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== file);
      if (component.length > 1 || graph.get(file)?.includes(file)) {
        found.push(component.sort());
      }
    }
  };
  for (const file of graph.keys()) {
    if (!index.has(file)) {
      visit(file);
    }
  }
  return found;
}

/** One shortest way from `start` back to itself inside `component`, as the files it passes. */
function loopThrough(start: string, component: readonly string[], graph: ReadonlyMap<string, readonly string[]>): string[] {
  const inside = new Set(component);
  const cameFrom = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const file = queue.shift()!;
    for (const next of graph.get(file) ?? []) {
      if (next === start) {
        const way = [file];
        while (way[0] !== start) {
          way.unshift(cameFrom.get(way[0])!);
        }
        return [...way, start];
      }
      if (inside.has(next) && !cameFrom.has(next)) {
        cameFrom.set(next, file);
        queue.push(next);
      }
    }
  }
  return [start];
}

const files = SOURCES.flatMap(sourceFiles);
const graph = importGraph(files);
const found = circles(graph);
if (found.length > 0) {
  for (const component of found) {
    console.error(`import circle among ${component.join(', ')}:\n  ${loopThrough(component[0], component, graph).join(' -> ')}`);
  }
  fail(`${found.length} import circle(s) among ${files.length} files (type imports included)`);
}
console.log(`No import circle among ${files.length} files (type imports included).`);
