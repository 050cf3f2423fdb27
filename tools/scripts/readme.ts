/**
 * Sections of README.md generated from the code, so the documentation cannot
 * drift from what the handler really answers. `npx projen docs:readme`
 * rewrites them; a test fails when they are out of date.
 */
import * as fs from 'fs';
import * as path from 'path';
import { REASON_CATALOGUE } from '../../lambda/core/reasons';

/** Path of the README. */
export const README_PATH = path.join(__dirname, '..', '..', 'README.md');

/** A generated section: its marker name and how to render it. */
export interface GeneratedSection {
  readonly name: string;
  readonly render: () => string;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\{(\w+)\}/g, '_$1_');
}

/** The troubleshooting table: every FAILED reason the handler can give, and its fix. */
export function troubleshootingTable(): string {
  const rows = REASON_CATALOGUE.map((r) => `| \`${r.id}\` | ${cell(r.message)} | ${cell(r.fix)} |`);
  return ['| reason | what happened | what to do |', '|---|---|---|', ...rows].join('\n');
}

/** Every generated section of the README. */
export const SECTIONS: GeneratedSection[] = [{ name: 'troubleshooting', render: troubleshootingTable }];

/** The README with every generated section rendered anew. */
export function renderReadme(readme: string): string {
  let out = readme;
  for (const section of SECTIONS) {
    const start = `<!-- ${section.name}:start -->`;
    const end = `<!-- ${section.name}:end -->`;
    const from = out.indexOf(start);
    const to = out.indexOf(end);
    if (from < 0 || to < from) {
      throw new Error(`README.md has no '${start}' … '${end}' markers for the generated ${section.name} section.`);
    }
    out = `${out.slice(0, from + start.length)}\n${section.render()}\n${out.slice(to)}`;
  }
  return out;
}

if (require.main === module) {
  fs.writeFileSync(README_PATH, renderReadme(fs.readFileSync(README_PATH, 'utf8')));
  console.log(`updated ${SECTIONS.map((s) => s.name).join(', ')} in README.md`);
}
