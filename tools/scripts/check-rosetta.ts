/**
 * Compiles every TypeScript snippet of the README and of the API docs
 * (`@example`) with jsii-rosetta in strict mode, so a snippet that no longer
 * matches the API fails the build.
 *
 * README snippets are whole programs, imports included (` ```ts nofixture `):
 * what Construct Hub shows a Python or Java reader must be something they can
 * copy. API doc `@example`s are short and compiled inside the fixtures in
 * `rosetta/` (the default one unless an example names another with
 * `fixture=NAME`), which supply a scope and a few names.
 *
 * Then checks that every snippet was translated to Python and Java, writes
 * those translations to dist/rosetta/ for review, and checks the README's
 * translations as programs (scripts/rosetta-programs.ts):
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
 * `npx projen compile`. `npm test` runs it as `npx projen check:rosetta`;
 * it needs python3 and a JDK (javac, java) on the PATH.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ASSEMBLY_FILE, fail, readAssembly, ROOT, runJsiiTool } from './check-support';
import { buildIndex, checkJavaPrograms, checkPythonPrograms, defaultAssemblyFiles, readAssemblyFile, Translation } from './rosetta-programs';

const TABLET_FILE = `${ASSEMBLY_FILE}.tabl.json`;
const OUT_DIR = path.join(ROOT, 'dist', 'rosetta');
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

// README snippets carry their own imports: a fixture's names never reach the translations.
const withFixture = (assembly.readme?.markdown.split('\n') ?? [])
  .map((line, i) => ({ line, number: i + 1 }))
  .filter(({ line }) => /^\s*```(ts|typescript)(\s|$)/.test(line) && !/\snofixture\b/.test(line));
if (withFixture.length > 0) {
  fail(
    `README.md snippet(s) at line ${withFixture.map((f) => f.number).join(', ')} use a fixture: a README snippet must be a whole ` +
      'program with its own imports (an App and a Stack made in it), fenced as ```ts nofixture, so its Python and Java ' +
      'translations carry the imports too',
  );
}

const problems: string[] = [];
for (const snippet of snippets) {
  const name = snippetName(snippet);
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

// The README's translations, checked as programs.
const readmeTranslations = (language: string): Translation[] =>
  snippets
    .filter((s) => s.location.api.api === 'moduleReadme')
    .map((s) => ({ name: snippetName(s), source: s.translations[language]?.source ?? '' }));
const index = buildIndex(defaultAssemblyFiles().map(readAssemblyFile));
const programProblems = [
  ...checkPythonPrograms(readmeTranslations('python'), index).map((p) => `python ${p}`),
  ...checkJavaPrograms(readmeTranslations('java'), index).map((p) => `java ${p}`),
];
if (programProblems.length > 0) {
  fail(
    `README snippet translations are not programs a reader can copy (files in ${path.relative(ROOT, OUT_DIR)}/):\n` +
      programProblems.join('\n'),
  );
}

console.log(
  `rosetta: ${snippets.length} snippet(s) compiled (${readmeSnippets} from README.md, ${snippets.length - readmeSnippets} from the API docs), ` +
    `translated to ${Object.keys(LANGUAGES).join(' and ')} in ${path.relative(ROOT, OUT_DIR)}/; ` +
    `the README's ${readmeSnippets} compile as Python (imports, classes, static members and keyword arguments found in ` +
    `${index.assemblies.join(', ')}; every name read imported or assigned) and parse as Java (imports found; every class used imported)`,
);

/** A file name for a snippet, from where it was found: `README-L12`, `DeliveryStreamEncryption-example`. */
function snippetName(snippet: Snippet): string {
  const { api, field } = snippet.location;
  if (api.api === 'moduleReadme') {
    return `README-L${field?.line ?? 0}`;
  }
  const parts = [api.fqn?.split('.').slice(1).join('.'), api.memberName, api.methodName, api.parameterName, field?.field];
  return parts.filter((p) => p !== undefined && p !== '').join('-').replace(/[^\w.-]/g, '_');
}
