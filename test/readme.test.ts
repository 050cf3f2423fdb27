import * as fs from 'fs';
import * as path from 'path';
import { REASON_CATALOGUE } from '../lambda/core/catalogue';
import { NAG_SUPPRESSIONS } from '../src/private/nag';
import { DOCS_DIR, GENERATED, README_PATH, renderGenerated, TROUBLESHOOTING_PATH } from '../tools/scripts/readme';

const root = path.join(__dirname, '..');
const readme = fs.readFileSync(README_PATH, 'utf8');
/** The pages under docs/, by file name. */
const pages = Object.fromEntries(
  fs.readdirSync(DOCS_DIR).filter((f) => f.endsWith('.md')).sort().map((f) => [f, fs.readFileSync(path.join(DOCS_DIR, f), 'utf8')]),
);
/** README.md and every page under docs/, by path from the repository root. */
const markdown: Record<string, string> = {
  'README.md': readme,
  ...Object.fromEntries(Object.entries(pages).map(([f, text]) => [`docs/${f}`, text])),
};

/** Lines of `text` with every fenced code block's lines blanked (line numbers kept). */
function withoutCode(text: string): string {
  let inFence = false;
  return text
    .split('\n')
    .map((line) => {
      if (/^\s*```/.test(line)) {
        inFence = !inFence;
        return '';
      }
      return inFence ? '' : line;
    })
    .join('\n');
}

/** The anchors GitHub gives the headings of a Markdown text (its slugger: lower case, punctuation dropped, spaces to `-`, `-1`… on repeats). */
function anchorsOf(text: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const [, title] of withoutCode(text).matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const slug = title.toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/**
 * Every relative link of `text` (a Markdown file at `file`, from the repository
 * root) that does not point to an existing file, or to a heading of it; as
 * `file:line target`. `read` gives a Markdown file's text, for its headings.
 */
function brokenLinks(file: string, text: string, read: (file: string) => string | undefined): string[] {
  const broken: string[] = [];
  const lines = withoutCode(text).split('\n');
  const prose = lines.join('\n');
  for (const match of prose.matchAll(/\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
    const target = match[1];
    if (/^[a-z][a-z+.-]*:/i.test(target)) {
      continue; // https:, mailto:
    }
    const line = prose.slice(0, match.index).split('\n').length;
    const [pathPart, anchor] = target.split('#', 2);
    const targetFile = pathPart === '' ? file : path.posix.normalize(path.posix.join(path.posix.dirname(file), pathPart));
    if (pathPart !== '' && !fs.existsSync(path.join(root, targetFile))) {
      broken.push(`${file}:${line} ${target} (no file ${targetFile})`);
      continue;
    }
    if (anchor !== undefined) {
      const content = pathPart === '' ? text : targetFile.endsWith('.md') ? read(targetFile) : undefined;
      if (content === undefined || !anchorsOf(content).has(anchor)) {
        broken.push(`${file}:${line} ${target} (no heading #${anchor} in ${targetFile})`);
      }
    }
  }
  return broken;
}

/** The ` ```ts ` blocks of a Markdown text. */
function tsSnippets(text: string): string[] {
  return [...text.matchAll(/```ts nofixture\n([\s\S]*?)```/g)].map((m) => m[1]);
}

describe('README and docs/', () => {
  test('starts with the two commands a newcomer runs, and both exist', () => {
    const firstBlock = /```sh\n([\s\S]*?)```/.exec(readme)![1];
    const commands = firstBlock.split('\n').filter(Boolean).map((l) => l.replace(/\s+#.*$/, '').trim());
    expect(commands).toEqual(['npm ci && npm run demo', 'npm test']);
    expect(readme.indexOf('```sh')).toBeLessThan(readme.indexOf('## '));
    const scripts = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).scripts;
    expect(scripts.demo).toBeDefined();
    expect(scripts.test).toBeDefined();
  });

  test('opens with the title, a pitch and the shortest usage of both constructs, before the two commands', () => {
    const opening = readme.slice(0, readme.indexOf('```sh'));
    expect(opening.startsWith('# cdk-stream-encryption\n\n')).toBe(true);
    const pitch = opening.split('\n\n')[1];
    expect(pitch).toMatch(/Firehose delivery streams/);
    expect(pitch).toMatch(/Kinesis\s+data streams/);
    const snippets = [...opening.matchAll(/```ts nofixture\n([\s\S]*?)```/g)].map((m) => m[1]);
    expect(snippets).toHaveLength(2);
    expect(snippets[0]).toContain('new DeliveryStreamEncryption(stack,');
    expect(snippets[0]).toContain('DeliveryStream.fromDeliveryStreamName(');
    expect(snippets[1]).toContain('new DataStreamEncryption(stack,');
    expect(snippets[1]).toContain('Stream.fromStreamArn(');
    expect(opening).not.toMatch(/^## /m);
  });

  test('is at most 300 lines', () => {
    // as `wc -l README.md` counts them
    expect(readme.split('\n').length - (readme.endsWith('\n') ? 1 : 0)).toBeLessThanOrEqual(300);
  });

  test('links the demo\'s transcript and every page under docs/', () => {
    expect(readme).toContain('[what it shows](docs/demo.md)');
    expect(pages['demo.md']).toMatch(/^```text\ndeploy: /m);
    const expected = ['checks', 'demo', 'drift-repair', 'how-a-deploy-proceeds', 'key-health', 'limits', 'performance', 'security', 'troubleshooting'];
    expect(Object.keys(pages)).toEqual(expect.arrayContaining(expected.map((p) => `${p}.md`)));
    for (const page of Object.keys(pages)) {
      expect(readme).toContain(`](docs/${page})`);
    }
  });

  test.each(Object.keys(markdown))('every TypeScript snippet of %s is a whole program that imports what it uses', (file) => {
    const text = markdown[file];
    const fences = text.split('\n').filter((l) => /^```(ts|typescript)\b/.test(l));
    expect(fences.filter((f) => f !== '```ts nofixture')).toEqual([]);
    for (const body of tsSnippets(text)) {
      expect(body).toMatch(/^import \{[^}]*\bApp\b[^}]*\bStack\b[^}]*\} from 'aws-cdk-lib';$/m);
      expect(body).toContain('const app = new App();');
      expect(body).not.toMatch(/\bthis[.,)]|^declare /m);
    }
  });

  test('has TypeScript snippets, and so do the pages with usage', () => {
    expect(tsSnippets(readme).length).toBeGreaterThanOrEqual(3);
    for (const page of ['usage.md', 'drift-repair.md', 'checks.md', 'key-health.md', 'security.md']) {
      expect(tsSnippets(pages[page]).length).toBeGreaterThan(0);
    }
  });

  test('CI runs exactly the README test command after npm ci', () => {
    const ci = fs.readFileSync(path.join(root, '.ci', 'run'), 'utf8');
    const lines = ci.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    expect(lines.findIndex((l) => l.startsWith('npm ci'))).toBeLessThan(lines.indexOf('npm test'));
    expect(lines.filter((l) => /^npm (run |)test\b/.test(l))).toEqual(['npm test']);
  });

  test('generated sections are up to date (npx projen docs:readme)', () => {
    expect(GENERATED.map((g) => g.file)).toContain(TROUBLESHOOTING_PATH);
    for (const file of GENERATED) {
      const text = fs.readFileSync(file.file, 'utf8');
      expect(renderGenerated(file, text)).toEqual(text);
    }
  });

  test.each(REASON_CATALOGUE.map((r) => [r.id, r]))('troubleshooting explains %s', (id, reason) => {
    const row = pages['troubleshooting.md'].split('\n').find((l) => l.startsWith(`| \`${id}\` |`));
    expect(row).toBeDefined();
    expect(row).toContain(reason.fix.replace(/\|/g, '\\|').replace(/\{(\w+)\}/g, '_$1_'));
  });

  test('lists every cdk-nag suppression with its reason', () => {
    const all = Object.values(NAG_SUPPRESSIONS).map((s) => ('id' in s ? { ids: [s.id], reason: s.reason } : s));
    expect(all.length).toBeGreaterThanOrEqual(8);
    for (const s of all) {
      // the guard's rows share rule ids with the handler's: a row is found by its first id and its reason
      const row = pages['security.md'].split('\n').find((l) => l.includes(`\`${s.ids[0]}\``) && l.includes(s.reason));
      expect(row).toBeDefined();
      for (const id of s.ids) {
        expect(row).toContain(`\`${id}\``);
      }
      expect(row).toContain(s.reason);
    }
  });
});

describe('relative links', () => {
  const read = (file: string) => markdown[file] ?? (fs.existsSync(path.join(root, file)) ? fs.readFileSync(path.join(root, file), 'utf8') : undefined);

  test.each(Object.keys(markdown))('every relative link of %s points to an existing file and heading', (file) => {
    expect(brokenLinks(file, markdown[file], read)).toEqual([]);
  });

  test('a link to a missing file or heading is found, one in a code block is not', () => {
    const text = [
      '# A page',
      '',
      'See [usage](usage.md), [its props](usage.md#no-such-heading), [nothing](missing.md),',
      '[here](#a-page), [there](#nowhere) and [the web](https://example.com/x.md).',
      '',
      '```ts nofixture',
      '// [not a link](missing-too.md)',
      '```',
    ].join('\n');
    expect(brokenLinks('docs/page.md', text, read)).toEqual([
      'docs/page.md:3 usage.md#no-such-heading (no heading #no-such-heading in docs/usage.md)',
      'docs/page.md:3 missing.md (no file docs/missing.md)',
      'docs/page.md:4 #nowhere (no heading #nowhere in docs/page.md)',
    ]);
  });

  test('anchors are GitHub\'s', () => {
    expect([...anchorsOf('## What `npm run demo` shows\n## Usage\n### Usage\n## The handler\'s log group\n')]).toEqual([
      'what-npm-run-demo-shows',
      'usage',
      'usage-1',
      'the-handlers-log-group',
    ]);
  });
});
