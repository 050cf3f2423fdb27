import * as fs from 'fs';
import * as path from 'path';
import { REASON_CATALOGUE } from '../lambda/core/reasons';
import { README_PATH, renderReadme } from '../scripts/readme';
import { NAG_SUPPRESSIONS } from '../src/private/nag';

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
    const all = [
      { ids: [NAG_SUPPRESSIONS.logStreams.id], reason: NAG_SUPPRESSIONS.logStreams.reason },
      NAG_SUPPRESSIONS.concurrency,
      NAG_SUPPRESSIONS.deadLetterQueue,
      NAG_SUPPRESSIONS.vpc,
      NAG_SUPPRESSIONS.guardConcurrency,
      NAG_SUPPRESSIONS.guardVpc,
    ];
    for (const s of all) {
      const row = readme.split('\n').find((l) => l.includes(`\`${s.ids[0]}\``) && l.includes(s.reason));
      expect(row).toBeDefined();
      for (const id of s.ids) {
        expect(row).toContain(`\`${id}\``);
      }
      expect(row).toContain(s.reason);
    }
  });
});
