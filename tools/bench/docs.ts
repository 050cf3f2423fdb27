/**
 * The figures table of docs/performance.md, written by `npm run bench` between two marker
 * comments, and the check that its target column says what {@link TARGETS} says.
 *
 * A run of some parts (`--only`) renders the rows of the parts the results hold; the rows of the
 * other parts are carried over from the table already in the file, marked †, with their targets
 * rewritten from {@link TARGETS} and the date and load average of the run that measured them.
 *
 * @module
 */
import * as fs from 'node:fs';
import type { Implementation } from './apps';
import {
  answeredAt,
  BenchResults,
  bytesPerStream,
  calls,
  economyOf,
  HandlerModule,
  libraryAssets,
  libraryHandler,
  LIMITS,
  ms,
  n,
  Part,
  PARTS,
  PartRun,
  phaseOf,
  s,
  ScaleFigures,
  tagText,
  Target,
  TargetId,
  TARGETS,
  targetsOf,
  throttledText,
} from './report';
import type { PhaseCalls } from './worker';

/** The comment before the table. */
export const TABLE_START = '<!-- bench:table:start -->';
/** The comment after the table. */
export const TABLE_END = '<!-- bench:table:end -->';
/** Marks a row carried over from an earlier run. */
const CARRIED = '†';

/** The starts of the guard's rows other than its asset's (which is a handler-asset row). */
const GUARD_ROWS = { raw: 'guard `index.js`, raw', load: 'guard module load' } as const;

const HEADER = ['figure', 'this library', 'target', 'A: Provider + isComplete', 'B: AwsCustomResource'];

/** A row of the table; cells absent when its part is not in the results (carried over). */
interface DocRow {
  readonly part: Part;
  readonly figure: string;
  /** Carry over every earlier row whose figure starts with `figure` (rows that come one per asset). */
  readonly byPrefix?: boolean;
  readonly cells?: { readonly library: string; readonly a: string; readonly b: string };
  readonly target?: TargetId;
  /** Which of several judgements of the target (a handler asset's name). */
  readonly subject?: string;
}

/** A row of a table as read from markdown. */
export interface TableRow {
  readonly figure: string;
  readonly library: string;
  readonly target: string;
  readonly a: string;
  readonly b: string;
  readonly carried: boolean;
}

function setting<T>(r: BenchResults, key: string, fallback: T): T {
  return (r.settings[key] as T | undefined) ?? fallback;
}

/** The rows of every part, in table order, with cells for the parts the results hold. */
function rowsOf(r: BenchResults): DocRow[] {
  const rows: DocRow[] = [];
  const impls: Implementation[] = ['library', 'provider', 'awsCustomResource'];
  const three = (f: (i: Implementation) => string) => {
    const [library, a, b] = impls.map(f);
    return { library, a, b };
  };

  // footprint
  const F = r.footprint;
  const ns = setting<number[]>(r, 'footprintStreams', [1, 10, 100]);
  rows.push({
    part: 'footprint',
    figure: `fixed supporting resources, N = ${ns.join(' / ')} streams`,
    target: 'fixedResources',
    cells: F && three((i) => F[i].map((x) => x.fixedResources).join(' / ')),
  });
  rows.push({
    part: 'footprint',
    figure: `IAM policy documents, N = ${ns.join(' / ')}`,
    cells: F && three((i) => F[i].map((x) => x.policyDocuments.total).join(' / ')),
  });
  const [from, to] = ns.slice(-2);
  rows.push({
    part: 'footprint',
    figure: `template bytes per added stream (N ${from} → ${to})`,
    cells: F && three((i) => n(bytesPerStream(F, i, from, to))),
  });

  // handlers
  const H = r.handlers;
  if (H) {
    const assets = libraryAssets(r);
    const fw = H.provider.modules.find((x) => !x.inline)!;
    const inl = H.provider.modules.filter((x) => x.inline);
    const acr = H.awsCustomResource.modules[0];
    const sum = (xs: HandlerModule[], f: (x: HandlerModule) => number) => xs.reduce((total, x) => total + f(x), 0);
    const guardOnly = ' (only a stack with a guard)';
    assets.forEach((x, k) => rows.push({
      part: 'handlers',
      figure: assets.length > 1 ? `handler asset \`${x.name}\`, zipped as uploaded${x.guardOnly ? guardOnly : ''}` : 'handler asset, zipped as uploaded',
      target: 'handlerAsset',
      subject: x.name,
      cells: {
        library: `${n(x.zipBytes)} B`,
        a: k === 0 ? `${n(fw.zipBytes)} B + ${n(sum(inl, (y) => y.zipBytes))} B inline` : '',
        b: k === 0 ? `${n(acr.zipBytes)} B` : '',
      },
    }));
    const lib = libraryHandler(H);
    rows.push({
      part: 'handlers',
      figure: 'handler `index.js`, raw',
      cells: {
        library: `${n(lib.rawBytes)} B`,
        a: `${n(fw.rawBytes)} B + ${n(sum(inl, (y) => y.rawBytes))} B`,
        b: `${n(acr.rawBytes)} B`,
      },
    });
    const sdk = lib.sdkAtLoad.map((p) => p.replace('@aws-sdk/client-', '')).join(', ');
    rows.push({
      part: 'handlers',
      figure: `module load (median of ${lib.load.runsMs.length}, fresh process)`,
      cells: {
        library: `${ms(lib.load.medianMs)} (${sdk ? `SDK clients at load: ${sdk}` : 'no SDK client: each kind loads its own with its first event'})`,
        a: `${ms(fw.load.medianMs)} framework + ${inl.length} user functions`,
        b: `${ms(acr.load.medianMs)} (+${ms(H.awsCustomResource.firstEventSdk?.load.medianMs ?? NaN)} SDK at 1st event)`,
      },
    });
    for (const x of assets.filter((y) => y.guardOnly)) {
      rows.push({ part: 'handlers', figure: `${GUARD_ROWS.raw}${guardOnly}`, cells: { library: `${n(x.rawBytes)} B`, a: '', b: '' } });
      rows.push({
        part: 'handlers',
        figure: `${GUARD_ROWS.load} (median of ${x.load.runsMs.length}, fresh process)`,
        cells: { library: ms(x.load.medianMs), a: '', b: '' },
      });
    }
  } else {
    rows.push({ part: 'handlers', figure: 'handler asset', byPrefix: true, target: 'handlerAsset' });
    rows.push({ part: 'handlers', figure: 'handler `index.js`, raw' });
    rows.push({ part: 'handlers', figure: 'module load (median of', byPrefix: true });
    rows.push({ part: 'handlers', figure: GUARD_ROWS.raw, byPrefix: true });
    rows.push({ part: 'handlers', figure: GUARD_ROWS.load, byPrefix: true });
  }

  // cold start
  const C = r.coldStart;
  rows.push({
    part: 'coldStart',
    figure: `cold start to the first answer, Firehose-only / mixed stack (median of ${C?.runs ?? setting(r, 'coldStartRuns', 20)})`,
    cells: C && { library: `${ms(C.firehoseMedianMs)} / ${ms(C.mixedMedianMs)}`, a: '', b: '' },
  });

  // latency
  const L = r.latency;
  const lifecycles = setting(r, 'latencyLifecycles', 50);
  const range = `${setting(r, 'enablingMinMs', 1000) / 1000}–${setting(r, 'enablingMaxMs', 20_000) / 1000} s`;
  rows.push({
    part: 'latency',
    figure: `answer after \`ENABLED\`, p50 / p95 (${lifecycles} creates, ENABLING ${range}, settle excluded)`,
    target: 'latencyP95',
    cells: L && {
      library: `${s(L.library.p50Ms)} / ${s(L.library.p95Ms)}`,
      a: `${s(L.provider.p50Ms)} / ${s(L.provider.p95Ms)}`,
      b: `answers while still \`ENABLING\` (median ${(-L.awsCustomResource.p50Ms / 1000).toFixed(0)} s before)`,
    },
  });
  rows.push({
    part: 'latency',
    figure: 'settle time',
    cells: L && { library: `+${L.settle.defaultSeconds} s (prop, 0–60 s)`, a: 'none', b: 'none' },
  });

  // scale
  for (const streams of setting<number[]>(r, 'scaleStreams', [50, LIMITS.scaleStreams])) {
    const x: ScaleFigures | undefined = r.scale?.find((y) => y.streams === streams);
    const none = { a: 'not measured', b: 'not measured' };
    rows.push({
      part: 'scale',
      figure: `scale, N = ${streams} creates in one stack: wall / bound (ratio)`,
      target: streams === LIMITS.scaleStreams ? 'scaleRatio' : undefined,
      cells: x && { library: `${x.wallSeconds.toFixed(1)} s / ${x.boundSeconds.toFixed(1)} s (${x.ratio.toFixed(2)})`, ...none },
    });
    rows.push({
      part: 'scale',
      figure: `scale, N = ${streams}: Describe calls; Tag / ListTags calls (throttled); throttled calls in all`,
      cells: x && {
        library: `${n(x.describeCalls)}; ${tagText(x.tagCalls.tag)} / ${tagText(x.tagCalls.listTags)}; ${n(x.throttledCalls)} (${throttledText(x)})`,
        ...none,
      },
    });
  }

  // synth
  const S = r.synth;
  rows.push({
    part: 'synth',
    figure: 'synth CPU per stream, at 200 ÷ at 20',
    target: 'synthRatio',
    cells: S && three((i) => `${S[i].ratio.toFixed(2)}×`),
  });

  // economy
  const E = r.economy;
  const economyCell = (p: PhaseCalls) => {
    const failed = p.answers.some((a) => / FAILED/.test(a)) ? ', FAILED' : '';
    const kept = p.phase === 'key rotation' && !p.wantedKey ? ', old key kept' : '';
    return `${calls(p)}${failed}${kept}, answered at \`${answeredAt(p)}\``;
  };
  const phases: Array<[string, PhaseCalls['phase'], TargetId]> = [
    ['create: Describe / Start / Stop', 'create', 'startPerCreate'],
    ['no-op update', 'no-op update', 'noStartStopPerNoOpUpdate'],
    ['key rotation', 'key rotation', 'startPerKeyRotation'],
    ['delete', 'delete', 'stopPerDelete'],
  ];
  for (const [figure, phase, target] of phases) {
    rows.push({ part: 'economy', figure, target, cells: E && three((i) => economyCell(phaseOf(economyOf(E, i), phase))) });
  }
  return rows;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

/** Splits a markdown table line into its cells. */
function cellsOf(line: string): string[] {
  const inner = line.trim().replace(/^\|/, '').replace(/\|$/, '');
  return inner.split(/(?<!\\)\|/).map((c) => c.trim().replace(/\\\|/g, '|'));
}

/** The part of `markdown` between the markers. */
export function tableBlock(markdown: string): string {
  const start = markdown.indexOf(TABLE_START);
  const end = markdown.indexOf(TABLE_END);
  if (start < 0 || end < start) throw new Error(`the figures table needs the markers ${TABLE_START} and ${TABLE_END}`);
  return markdown.slice(start + TABLE_START.length, end);
}

/** The rows of the table between the markers of `markdown` (header and rule left out). */
export function tableRows(markdown: string): TableRow[] {
  const lines = tableBlock(markdown).split('\n').filter((l) => l.trim().startsWith('|'));
  return lines.slice(2).map((line) => {
    const [figure, library, target, a, b] = cellsOf(line);
    const carried = figure.endsWith(CARRIED);
    return { figure: carried ? figure.slice(0, -CARRIED.length).trim() : figure, library, target, a: a ?? '', b: b ?? '', carried };
  });
}

/** A target cell without its ✓ or ✗. */
export function targetText(text: string): string {
  return text.replace(/\s*[✓✗]\s*$/, '').trim();
}

function dateOf(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

/** One line per run whose parts the table shows: its date and the load average at its start. */
function runLines(r: BenchResults, parts: readonly Part[]): string[] {
  const runOf = (part: Part): PartRun => r.runs?.[part] ?? { generatedAt: r.generatedAt, loadAverage: r.loadAverage.atStart };
  const byRun = new Map<string, { run: PartRun; parts: Part[] }>();
  for (const part of parts) {
    const run = runOf(part);
    const key = `${run.generatedAt} ${run.loadAverage.join(' ')}`;
    if (!byRun.has(key)) byRun.set(key, { run, parts: [] });
    byRun.get(key)!.parts.push(part);
  }
  return [...byRun.values()].map(({ run, parts: ps }) =>
    `- ${ps.join(', ')}: run of ${dateOf(run.generatedAt)}, load average ${run.loadAverage.map((x) => x.toFixed(2)).join(' / ')} (1 / 5 / 15 min) at its start`);
}

/**
 * The run lines of `previous` (its `- <parts>: run of …` lines), kept for the parts carried over
 * from it, so that carried rows keep the date and load average of the run that measured them.
 */
function carriedRunLines(previous: string | undefined, carried: readonly Part[]): string[] {
  if (previous === undefined || carried.length === 0) return [];
  const out: string[] = [];
  for (const line of tableBlock(previous).split('\n')) {
    const match = /^- ([A-Za-z, ]+): (run of .*)$/.exec(line.trim());
    if (!match) continue;
    const parts = match[1].split(',').map((x) => x.trim()).filter((x) => (carried as readonly string[]).includes(x));
    if (parts.length > 0) out.push(`- ${parts.join(', ')}: ${match[2]}`);
  }
  return out;
}

/**
 * The figures table and the lines above it, from `r`; the rows of parts `r` does not hold are
 * taken from `previous` (the file as it was), marked †.
 */
export function renderDocsTable(r: BenchResults, previous?: string): string {
  const targets: Target[] = r.targets ?? targetsOf(r);
  const earlier = previous === undefined ? [] : tableRows(previous);
  const parts = PARTS.filter((part) => r[part] !== undefined);
  const m = r.machine;
  const lines: string[] = [
    '<!-- Written by `npm run bench` from tools/bench/results.json: change the bench (tools/bench/docs.ts), not this table. -->',
    `Measured on ${m.cpus} × ${m.cpuModel}, ${m.platform}, Node.js ${m.node}, aws-cdk-lib ${m.awsCdkLib}:`,
    '',
    ...runLines(r, parts),
    ...carriedRunLines(previous, PARTS.filter((part) => !parts.includes(part))),
  ];
  if (parts.length < PARTS.length) lines.push(`- rows marked ${CARRIED}: carried over from an earlier run, as they were (only their targets are rewritten)`);
  lines.push('', `| ${HEADER.join(' | ')} |`, `|${HEADER.map(() => '---').join('|')}|`);
  const line = (figure: string, library: string, target: string, a: string, b: string) =>
    lines.push(`| ${[figure, library, target, a, b].map(cell).join(' | ')} |`.replace(/ +\|/g, ' |'));
  for (const row of rowsOf(r)) {
    const text = row.target ? TARGETS[row.target].text : '';
    if (row.cells) {
      const judged = row.target ? targets.find((t) => t.id === row.target && (row.subject === undefined || t.subject === row.subject)) : undefined;
      const mark = judged ? ` ${judged.met ? '✓' : '✗'}` : '';
      line(row.figure, row.cells.library, `${text}${mark}`, row.cells.a, row.cells.b);
      continue;
    }
    const found = earlier.filter((x) => (row.byPrefix ? x.figure.startsWith(row.figure) : x.figure === row.figure));
    if (found.length === 0) {
      line(`${row.figure} ${CARRIED}`, 'not run', text, '', '');
      continue;
    }
    for (const x of found) {
      // The earlier judgement stands only if the target is the same.
      const mark = row.target && targetText(x.target) === text ? /[✓✗]\s*$/.exec(x.target)?.[0].trim() : undefined;
      line(`${x.figure} ${CARRIED}`, x.library, mark ? `${text} ${mark}` : text, x.a, x.b);
    }
  }
  return `\n${lines.join('\n')}\n`;
}

/** Rewrites the table between the markers of `file` from `r`. */
export function writeDocsTable(file: string, r: BenchResults): void {
  const markdown = fs.readFileSync(file, 'utf8');
  const start = markdown.indexOf(TABLE_START);
  const end = markdown.indexOf(TABLE_END);
  if (start < 0 || end < start) throw new Error(`${file} needs the markers ${TABLE_START} and ${TABLE_END} around the figures table`);
  const table = renderDocsTable(r, markdown);
  fs.writeFileSync(file, `${markdown.slice(0, start + TABLE_START.length)}${table}${markdown.slice(end)}`);
}

/**
 * Where the target column of the table in `markdown` and {@link TARGETS} disagree: a target with no
 * row, a row whose target is not the formatter's, or a target in the table that the formatter does
 * not have. Empty when they agree.
 */
export function targetDisagreements(markdown: string): string[] {
  const rows = tableRows(markdown);
  const out: string[] = [];
  const ids = Object.keys(TARGETS) as TargetId[];
  for (const id of ids) {
    const { figure, text } = TARGETS[id];
    const mine = rows.filter((r) => r.figure.startsWith(figure));
    if (mine.length === 0) out.push(`${id}: no row starts with "${figure}"`);
    for (const r of mine) {
      if (targetText(r.target) !== text) out.push(`${id}: row "${r.figure}" has target "${targetText(r.target)}", the formatter "${text}"`);
    }
  }
  for (const r of rows) {
    if (targetText(r.target) !== '' && !ids.some((id) => r.figure.startsWith(TARGETS[id].figure))) {
      out.push(`row "${r.figure}" has target "${targetText(r.target)}", which the formatter does not have`);
    }
  }
  return out;
}
