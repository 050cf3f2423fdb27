/**
 * Sections of the documentation generated from the code, so it cannot drift
 * from what the handler really answers: the troubleshooting table of
 * docs/troubleshooting.md. `npx projen docs:readme` rewrites them; a test
 * fails when they are out of date.
 */
import * as fs from 'fs';
import * as path from 'path';
import { REASON_CATALOGUE } from '../../lambda/core/catalogue';

/** The repository root. */
const ROOT = path.join(__dirname, '..', '..');

/** Path of the README. */
export const README_PATH = path.join(ROOT, 'README.md');

/** Folder of the documentation pages the README links to. */
export const DOCS_DIR = path.join(ROOT, 'docs');

/** Path of the troubleshooting page, whose table is generated. */
export const TROUBLESHOOTING_PATH = path.join(DOCS_DIR, 'troubleshooting.md');

/** A generated section: its marker name and how to render it. */
export interface GeneratedSection {
  readonly name: string;
  readonly render: () => string;
}

/** A Markdown file with generated sections. */
export interface GeneratedFile {
  readonly file: string;
  readonly sections: GeneratedSection[];
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\{(\w+)\}/g, '_$1_');
}

/** The troubleshooting table: every FAILED reason the handler can give, and its fix. */
export function troubleshootingTable(): string {
  const rows = REASON_CATALOGUE.map((r) => `| \`${r.id}\` | ${cell(r.message)} | ${cell(r.fix)} |`);
  return ['| reason | what happened | what to do |', '|---|---|---|', ...rows].join('\n');
}

/** Every file with generated sections, and its sections. */
export const GENERATED: GeneratedFile[] = [
  { file: TROUBLESHOOTING_PATH, sections: [{ name: 'troubleshooting', render: troubleshootingTable }] },
];

/** `text` (the content of `file`) with every generated section of `file` rendered anew. */
export function renderGenerated(file: GeneratedFile, text: string): string {
  let out = text;
  for (const section of file.sections) {
    const start = `<!-- ${section.name}:start -->`;
    const end = `<!-- ${section.name}:end -->`;
    const from = out.indexOf(start);
    const to = out.indexOf(end);
    if (from < 0 || to < from) {
      throw new Error(
        `${path.relative(ROOT, file.file)} has no '${start}' … '${end}' markers for the generated ${section.name} section.`,
      );
    }
    out = `${out.slice(0, from + start.length)}\n${section.render()}\n${out.slice(to)}`;
  }
  return out;
}

if (require.main === module) {
  for (const file of GENERATED) {
    fs.writeFileSync(file.file, renderGenerated(file, fs.readFileSync(file.file, 'utf8')));
    console.log(`updated ${file.sections.map((s) => s.name).join(', ')} in ${path.relative(ROOT, file.file)}`);
  }
}
