import * as fs from 'fs';
import * as path from 'path';
import { REASON_CATALOGUE } from '../lambda/core/reasons';
import { NAG_SUPPRESSIONS } from '../src/private/nag';
import { README_PATH, renderReadme } from '../tools/scripts/readme';

const root = path.join(__dirname, '..');
const readme = fs.readFileSync(README_PATH, 'utf8');

describe('README', () => {
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

  test('puts the demo transcript after the usage sections and before Development', () => {
    const heading = (title: string) => {
      const at = readme.indexOf(`\n## ${title}\n`);
      expect(at).toBeGreaterThan(0);
      return at;
    };
    const demo = heading('What `npm run demo` shows');
    expect(demo).toBeGreaterThan(heading('Install'));
    expect(demo).toBeGreaterThan(heading('Usage'));
    expect(demo).toBeGreaterThan(heading('Kinesis data streams'));
    expect(demo).toBeLessThan(heading('Development'));
    expect(readme).toContain('[what it shows](#what-npm-run-demo-shows)');
  });

  test('every TypeScript snippet is a whole program that imports what it uses', () => {
    const fences = readme.split('\n').filter((l) => /^```(ts|typescript)\b/.test(l));
    expect(fences.length).toBeGreaterThan(0);
    expect(fences.filter((f) => f !== '```ts nofixture')).toEqual([]);
    const bodies = [...readme.matchAll(/```ts nofixture\n([\s\S]*?)```/g)].map((m) => m[1]);
    for (const body of bodies) {
      expect(body).toMatch(/^import \{[^}]*\bApp\b[^}]*\bStack\b[^}]*\} from 'aws-cdk-lib';$/m);
      expect(body).toContain('const app = new App();');
      expect(body).not.toMatch(/\bthis[.,)]|^declare /m);
    }
  });

  test('CI runs exactly the README test command after npm ci', () => {
    const ci = fs.readFileSync(path.join(root, '.ci', 'run'), 'utf8');
    const lines = ci.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    expect(lines.findIndex((l) => l.startsWith('npm ci'))).toBeLessThan(lines.indexOf('npm test'));
    expect(lines.filter((l) => /^npm (run |)test\b/.test(l))).toEqual(['npm test']);
  });

  test('generated sections are up to date (npx projen docs:readme)', () => {
    expect(renderReadme(readme)).toEqual(readme);
  });

  test.each(REASON_CATALOGUE.map((r) => [r.id, r]))('troubleshooting explains %s', (id, reason) => {
    const row = readme.split('\n').find((l) => l.startsWith(`| \`${id}\` |`));
    expect(row).toBeDefined();
    expect(row).toContain(reason.fix.replace(/\|/g, '\\|').replace(/\{(\w+)\}/g, '_$1_'));
  });

  test('lists every cdk-nag suppression with its reason', () => {
    const all = Object.values(NAG_SUPPRESSIONS).map((s) => ('id' in s ? { ids: [s.id], reason: s.reason } : s));
    expect(all.length).toBeGreaterThanOrEqual(8);
    for (const s of all) {
      // the guard's rows share rule ids with the handler's: a row is found by its first id and its reason
      const row = readme.split('\n').find((l) => l.includes(`\`${s.ids[0]}\``) && l.includes(s.reason));
      expect(row).toBeDefined();
      for (const id of s.ids) {
        expect(row).toContain(`\`${id}\``);
      }
      expect(row).toContain(s.reason);
    }
  });
});
