/**
 * Compiles every TypeScript snippet of the README and of the API docs
 * (`@example`) with jsii-rosetta in strict mode, so a snippet that no longer
 * matches the API fails the build. Snippets are compiled inside the fixtures
 * in `rosetta/` (the default one unless a snippet names another with
 * ` ```ts fixture=NAME `, or none with ` ```ts nofixture `).
 *
 * Then checks that every snippet was translated to Python and Java, and writes
 * those translations to dist/rosetta/ for review. jsii-pacmak uses the tablet
 * this writes (`.jsii.tabl.json`) for the examples in the bindings.
 *
 * Reads the README embedded in `.jsii`: run after `npx projen compile`.
 * `npm test` runs it as `npx projen check:rosetta`.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ASSEMBLY_FILE, fail, readAssembly, ROOT, runJsiiTool } from './check-support';

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

console.log(
  `rosetta: ${snippets.length} snippet(s) compiled (${readmeSnippets} from README.md, ${snippets.length - readmeSnippets} from the API docs), ` +
    `translated to ${Object.keys(LANGUAGES).join(' and ')} in ${path.relative(ROOT, OUT_DIR)}/`,
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
