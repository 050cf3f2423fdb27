/**
 * Compiles every TypeScript snippet of the README, of the pages under docs/
 * and of the API docs (`@example`) with jsii-rosetta in strict mode, so a
 * snippet that no longer matches the API fails the build.
 *
 * README and docs/ snippets are whole programs, imports included
 * (` ```ts nofixture `):
 * what Construct Hub shows a Python or Java reader must be something they can
 * copy. API doc `@example`s are short and compiled inside the fixtures in
 * `rosetta/` (the default one unless an example names another with
 * `fixture=NAME`), which supply a scope and a few names.
 *
 * Then checks that every snippet was translated to Python and Java, writes
 * those translations to dist/rosetta/ for review, and checks the README's
 * and docs/'s translations as programs (scripts/rosetta-programs.ts):
 * - Python: each passes `py_compile`; every `import`/`from ... import` names
 *   a module and member of the jsii assemblies (aws-cdk-lib, constructs, this
 *   library: their `targets.python.module` mapping) or of the standard
 *   library; every class, static member and keyword argument reached from an
 *   imported name exists in the assemblies; every name it reads is imported,
 *   assigned or a builtin.
 * - Java: each parses (the JDK's `JavacTask.parse()`, with rosetta's
 *   top-level statements moved into a method of a wrapper class), every
 *   `import` names a package and class of the assemblies'
 *   `targets.java.package` mapping, or of the JDK, and every class it uses
 *   (`Environment.builder()` for a struct literal) is imported.
 * Full type-checking against the published Java and Python bindings of
 * aws-cdk-lib and constructs is not done: it needs their jar and wheel from
 * Maven Central and PyPI, which this project's machines and CI cannot reach.
 *
 * jsii-pacmak uses the tablet this writes (`.jsii.tabl.json`) for the
 * examples in the bindings. Reads the README embedded in `.jsii`: run after
 * `npx projen compile`. The docs/ pages are not in the assembly: their
 * snippets are extracted from a copy of it, under `.tmp/`, whose README is
 * those snippets (and which has no `@example`), so they compile against the
 * same library and dependencies; that copy's tablet is not the one
 * jsii-pacmak reads. `npm test` runs it as `npx projen check:rosetta`;
 * it needs python3 and a JDK (javac, java) on the PATH.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ASSEMBLY_FILE, fail, readAssembly, ROOT, runJsiiTool } from './check-support';
import { DOCS_DIR } from './readme';
import { buildIndex, checkJavaPrograms, checkPythonPrograms, defaultAssemblyFiles, readAssemblyFile, Translation } from './rosetta-programs';

const TABLET_FILE = `${ASSEMBLY_FILE}.tabl.json`;
const OUT_DIR = path.join(ROOT, 'dist', 'rosetta');
/** Where the copy of the assembly whose README is the docs/ pages' snippets is written. */
const DOCS_ASSEMBLY_DIR = path.join(ROOT, '.tmp', 'rosetta-docs');
/** The opening fence of a TypeScript snippet. */
const TS_FENCE = /^\s*```(ts|typescript)(\s.*)?$/;
/** The languages whose translations must exist, with their file extensions. */
const LANGUAGES: Record<string, string> = { python: 'py', java: 'java' };

interface Snippet {
  readonly translations: Record<string, { source: string } | undefined>;
  readonly location: { api: Record<string, string | undefined>; field?: Record<string, string | number | undefined> };
  readonly didCompile?: boolean;
}

const assembly = readAssembly();
fs.rmSync(TABLET_FILE, { force: true });
fs.rmSync(OUT_DIR, { recursive: true, force: true });

runJsiiTool('jsii-rosetta', ['extract', '--strict', ASSEMBLY_FILE]);

const snippets = Object.values(JSON.parse(fs.readFileSync(TABLET_FILE, 'utf8')).snippets as Record<string, Snippet>);
const readmeFences = (assembly.readme?.markdown.match(/^\s*```(ts|typescript)(\s.*)?$/gm) ?? []).length;
const readmeSnippets = snippets.filter((s) => s.location.api.api === 'moduleReadme').length;

if (readmeFences > 0 && readmeSnippets === 0) {
  fail(`README.md has ${readmeFences} TypeScript snippet(s), but jsii-rosetta extracted none of them`);
}

// README and docs/ snippets carry their own imports: a fixture's names never reach the translations.
const docPages = fs.existsSync(DOCS_DIR) ? fs.readdirSync(DOCS_DIR).filter((f) => f.endsWith('.md')).sort() : [];
const withFixture = [
  { file: 'README.md', markdown: assembly.readme?.markdown ?? '' },
  ...docPages.map((page) => ({ file: `docs/${page}`, markdown: fs.readFileSync(path.join(DOCS_DIR, page), 'utf8') })),
].flatMap(({ file, markdown }) =>
  markdown
    .split('\n')
    .map((line, i) => ({ line, at: `${file}:${i + 1}` }))
    .filter(({ line }) => TS_FENCE.test(line) && !/\snofixture\b/.test(line))
    .map(({ at }) => at),
);
if (withFixture.length > 0) {
  fail(
    `snippet(s) at ${withFixture.join(', ')} use a fixture: a README or docs/ snippet must be a whole ` +
      'program with its own imports (an App and a Stack made in it), fenced as ```ts nofixture, so its Python and Java ' +
      'translations carry the imports too',
  );
}

const docs = extractDocSnippets(docPages);
const docFences = docs.sources.length;
const docsExtracted = new Set(docs.snippets.map(docs.nameOf));
const docsMissed = docs.sources.map(sourceName).filter((name) => !docsExtracted.has(name));
if (docsMissed.length > 0) {
  fail(`jsii-rosetta extracted ${docs.snippets.length} of the ${docFences} TypeScript snippet(s) of docs/; not: ${docsMissed.join(', ')}`);
}

const problems: string[] = [];
const named = [
  ...snippets.map((snippet) => ({ snippet, name: snippetName(snippet) })),
  ...docs.snippets.map((snippet) => ({ snippet, name: docs.nameOf(snippet) })),
];
for (const { snippet, name } of named) {
  if (snippet.didCompile !== true) {
    problems.push(`${name}: did not compile`);
  }
  for (const [language, extension] of Object.entries(LANGUAGES)) {
    const source = snippet.translations[language]?.source;
    if (!source?.trim()) {
      problems.push(`${name}: no ${language} translation`);
      continue;
    }
    fs.mkdirSync(path.join(OUT_DIR, language), { recursive: true });
    fs.writeFileSync(path.join(OUT_DIR, language, `${name}.${extension}`), `${source}\n`);
  }
}
if (problems.length > 0) {
  fail(`snippet translations are missing:\n${problems.join('\n')}`);
}

// The README's and docs/'s translations, checked as programs.
const programTranslations = (language: string): Translation[] => [
  ...snippets
    .filter((s) => s.location.api.api === 'moduleReadme')
    .map((s) => ({ name: snippetName(s), source: s.translations[language]?.source ?? '' })),
  ...docs.snippets.map((s) => ({ name: docs.nameOf(s), source: s.translations[language]?.source ?? '' })),
];
const index = buildIndex(defaultAssemblyFiles().map(readAssemblyFile));
const programProblems = [
  ...checkPythonPrograms(programTranslations('python'), index).map((p) => `python ${p}`),
  ...checkJavaPrograms(programTranslations('java'), index).map((p) => `java ${p}`),
];
if (programProblems.length > 0) {
  fail(
    `README and docs/ snippet translations are not programs a reader can copy (files in ${path.relative(ROOT, OUT_DIR)}/):\n` +
      programProblems.join('\n'),
  );
}
fs.rmSync(DOCS_ASSEMBLY_DIR, { recursive: true, force: true });

const programs = readmeSnippets + docs.snippets.length;
console.log(
  `rosetta: ${snippets.length + docs.snippets.length} snippet(s) compiled (${readmeSnippets} from README.md, ` +
    `${docs.snippets.length} from ${docPages.length} docs/ page(s), ${snippets.length - readmeSnippets} from the API docs), ` +
    `translated to ${Object.keys(LANGUAGES).join(' and ')} in ${path.relative(ROOT, OUT_DIR)}/; ` +
    `the ${programs} of README.md and docs/ compile as Python (imports, classes, static members and keyword arguments found in ` +
    `${index.assemblies.join(', ')}; every name read imported or assigned) and parse as Java (imports found; every class used imported)`,
);

/** The snippets of the docs/ pages, extracted by jsii-rosetta, and a file name for each. */
interface DocSnippets {
  /** The ` ```ts ` blocks found, with where each opens. */
  readonly sources: Array<{ page: string; line: number }>;
  /** The snippets jsii-rosetta extracted and compiled from them. */
  readonly snippets: Snippet[];
  /** A file name for a snippet, from the page and line it opens at: `docs-usage-L12`. */
  readonly nameOf: (snippet: Snippet) => string;
}

/**
 * Extract the ` ```ts ` blocks of the docs/ pages with jsii-rosetta, strictly:
 * they are written one after the other as the README of a copy of `.jsii`
 * (without its `@example`s, which the main extraction covers) next to a
 * package.json and `lib/` of this library, and extracted from there, so they
 * compile against this library and its dependencies as the README's do.
 */
function extractDocSnippets(pages: string[]): DocSnippets {
  const sources: Array<{ page: string; line: number }> = [];
  /** The combined README's line of each block's opening fence. */
  const opensAt: number[] = [];
  const combined: string[] = [];
  for (const page of pages) {
    const lines = fs.readFileSync(path.join(DOCS_DIR, page), 'utf8').split('\n');
    for (let i = 0; i < lines.length; i++) {
      if (!TS_FENCE.test(lines[i])) {
        continue;
      }
      sources.push({ page: page.replace(/\.md$/, ''), line: i + 1 });
      opensAt.push(combined.length + 1);
      combined.push(lines[i]);
      for (i++; i < lines.length && !/^\s*```/.test(lines[i]); i++) {
        combined.push(lines[i]);
      }
      combined.push('```', '');
    }
  }
  const nameOf = (snippet: Snippet): string => {
    const line = Number(snippet.location.field?.line ?? 0);
    const at = opensAt.indexOf(line);
    return at < 0 ? `docs-L${line}` : sourceName(sources[at]);
  };
  if (sources.length === 0) {
    return { sources, snippets: [], nameOf };
  }
  fs.rmSync(DOCS_ASSEMBLY_DIR, { recursive: true, force: true });
  fs.mkdirSync(DOCS_ASSEMBLY_DIR, { recursive: true });
  const copy = JSON.parse(fs.readFileSync(ASSEMBLY_FILE, 'utf8'));
  copy.readme = { markdown: combined.join('\n') };
  withoutExamples(copy);
  fs.writeFileSync(path.join(DOCS_ASSEMBLY_DIR, '.jsii'), JSON.stringify(copy));
  fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(DOCS_ASSEMBLY_DIR, 'package.json'));
  fs.symlinkSync(path.join(ROOT, 'lib'), path.join(DOCS_ASSEMBLY_DIR, 'lib'), 'dir');
  // rosetta names a snippet by the line it opens at in the README it reads: say which page that is.
  const legend = (code: number) => {
    if (code !== 0) {
      console.error(`the docs/ snippets as jsii-rosetta names them: ${opensAt.map((l, i) => `README-L${l} is docs/${sources[i].page}.md:${sources[i].line}`).join(', ')}`);
    }
  };
  process.on('exit', legend);
  runJsiiTool('jsii-rosetta', ['extract', '--strict', path.join(DOCS_ASSEMBLY_DIR, '.jsii')]);
  process.off('exit', legend);
  const tablet = JSON.parse(fs.readFileSync(path.join(DOCS_ASSEMBLY_DIR, '.jsii.tabl.json'), 'utf8'));
  const extracted = Object.values(tablet.snippets as Record<string, Snippet>).filter((s) => s.location.api.api === 'moduleReadme');
  return { sources, snippets: extracted, nameOf };
}

/** A file name for a snippet of a docs/ page: `docs-usage-L12`. */
function sourceName(source: { page: string; line: number }): string {
  return `docs-${source.page}-L${source.line}`;
}

/** Remove every `example` of the docs in a jsii assembly (in place). */
function withoutExamples(node: unknown): void {
  if (Array.isArray(node)) {
    node.forEach(withoutExamples);
  } else if (node !== null && typeof node === 'object') {
    const record = node as Record<string, unknown>;
    const docsOf = record.docs as Record<string, unknown> | undefined;
    if (docsOf && typeof docsOf === 'object') {
      delete docsOf.example;
    }
    Object.values(record).forEach(withoutExamples);
  }
}

/** A file name for a snippet, from where it was found: `README-L12`, `DeliveryStreamEncryption-example`. */
function snippetName(snippet: Snippet): string {
  const { api, field } = snippet.location;
  if (api.api === 'moduleReadme') {
    return `README-L${field?.line ?? 0}`;
  }
  const parts = [api.fqn?.split('.').slice(1).join('.'), api.memberName, api.methodName, api.parameterName, field?.field];
  return parts.filter((p) => p !== undefined && p !== '').join('-').replace(/[^\w.-]/g, '_');
}
