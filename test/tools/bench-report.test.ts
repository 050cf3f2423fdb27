/**
 * The bench's report: the targets of the committed performance table against the formatter's, the
 * scale bound and ratio, and the table the bench writes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { renderDocsTable, TABLE_END, TABLE_START, tableRows, targetDisagreements, targetText } from '../../tools/bench/docs';
import {
  BenchResults,
  GUARD_ASSET,
  HandlerFigures,
  HandlerModule,
  lastAccepted,
  LIMITS,
  scaleBound,
  scaleFiguresOf,
  scaleRatio,
  TARGETS,
  renderTable,
  targetsOf,
} from '../../tools/bench/report';
import type { ScaleResult } from '../../tools/bench/worker';

const DOCS = path.join(__dirname, '..', '..', 'docs', 'performance.md');
const committed = fs.readFileSync(DOCS, 'utf8');

describe('the committed performance table', () => {
  test('has the formatter\'s targets, row by row, and no others', () => {
    expect(targetDisagreements(committed)).toEqual([]);
    // every target of the formatter is in the table
    const targets = tableRows(committed).map((r) => targetText(r.target)).filter(Boolean);
    for (const spec of Object.values(TARGETS)) expect(targets).toContain(spec.text);
  });

  test('has no IAM-document target and no raw-size target', () => {
    const rows = tableRows(committed);
    expect(rows.filter((r) => r.figure.startsWith('IAM policy documents')).map((r) => r.target)).toEqual(['']);
    // the handler's and the guard's raw bytes: reported, not judged
    expect(rows.filter((r) => r.figure.includes('raw')).map((r) => [r.figure, r.target])).toEqual([
      ['handler `index.js`, raw', ''],
      ['guard `index.js`, raw (only a stack with a guard)', ''],
    ]);
  });

  test('a copy with a stale target disagrees', () => {
    const stale = committed.replace(/constant, ≤ 4/, 'constant, ≤ 3');
    expect(stale).not.toBe(committed);
    expect(targetDisagreements(stale)).toEqual([expect.stringMatching(/^fixedResources: row "fixed supporting resources.*" has target "constant, ≤ 3", the formatter "constant, ≤ 4"$/)]);
  });

  test('a copy with a target the formatter does not have disagrees', () => {
    const extra = committed.replace(/^(\| IAM policy documents[^|]*\|[^|]*\|)\s*\|/m, '$1 ≤ 1 + N/25 ✓ |');
    expect(extra).not.toBe(committed);
    expect(targetDisagreements(extra)).toEqual([expect.stringMatching(/^row "IAM policy documents.*" has target "≤ 1 \+ N\/25", which the formatter does not have$/)]);
  });

  test('a copy without the scale target\'s row disagrees', () => {
    const without = committed.split('\n').filter((l) => !l.startsWith('| scale, N = 200 creates')).join('\n');
    expect(targetDisagreements(without)).toEqual(['scaleRatio: no row starts with "scale, N = 200 creates"']);
  });
});

// The rates are Firehose's per-account API limits, as the local cloud models them
// (https://docs.aws.amazon.com/firehose/latest/dev/limits.html).
describe('the scale bound', () => {
  /** N Starts accepted 200 ms apart, each stream ENABLING for `enablingMs` unless `overrides` says otherwise. */
  const starts = (streams: number, enablingMs: number, overrides: Record<number, number> = {}) =>
    Array.from({ length: streams }, (_, i) => ({ stream: `s-${i}`, acceptedAt: 1_000 + 200 * i, enablingMs: overrides[i] ?? enablingMs }));

  test('ends, when the last stream started is the last ENABLED, at max(2N / 10, N / 5) s plus its ENABLING', () => {
    expect(scaleBound(starts(200, 0, { 199: 8_000 })).ms).toBe(48_000);
    expect(scaleBound(starts(50, 1_000, { 49: 17_378 })).ms).toBe(27_378);
    expect(scaleBound(starts(1, 1_000)).ms).toBe(1_200);
  });

  test('takes the slower of the two limits', () => {
    // Describe-bound: 2 × 100 / 4 = 50 s against 100 / 5 = 20 s
    expect(scaleBound(starts(100, 0), { describePerSecond: 4, startPerSecond: 5 }).ms).toBe(50_000);
    // Start-bound: 100 / 2 = 50 s against 2 × 100 / 10 = 20 s
    expect(scaleBound(starts(100, 0), { describePerSecond: 10, startPerSecond: 2 }).ms).toBe(50_000);
  });

  test('an earlier Start whose stream takes longer to be ENABLED ends the bound: the 190th of 200 with 20 s, not the last with 2 s', () => {
    const bound = scaleBound(starts(200, 1_000, { 189: 20_000, 199: 2_000 }));
    // 190 / 5 + 20 = 58 s, against 200 / 5 + 2 = 42 s for the last.
    expect(bound).toEqual({ ms: 58_000, start: { stream: 's-189', acceptedAt: 1_000 + 200 * 189, enablingMs: 20_000 } });
  });

  test('orders the Starts by when they were accepted, not as listed', () => {
    const listed = [
      { stream: 'a', acceptedAt: 1_000, enablingMs: 20_000 },
      { stream: 'b', acceptedAt: 3_000, enablingMs: 2_000 },
      { stream: 'c', acceptedAt: 2_000, enablingMs: 19_000 },
    ];
    // a: 0.2 + 20, c: 0.4 + 19, b: 0.6 + 2.
    expect(scaleBound(listed)).toEqual({ ms: 20_200, start: listed[0] });
    expect(lastAccepted(listed).stream).toBe('b');
    expect(() => scaleBound([])).toThrow(/no accepted Start/);
    expect(() => lastAccepted([])).toThrow(/no accepted Start/);
  });

  test('ratio is wall over bound, and a bound of 0 is refused', () => {
    expect(scaleRatio(60_000, 48_000)).toBe(1.25);
    expect(scaleRatio(24_000, 48_000)).toBe(0.5);
    expect(() => scaleRatio(1_000, 0)).toThrow(/not positive/);
  });
});

/** A scale job's result: N streams started 200 ms apart, the last one's stream ENABLING for 8 s, the others' for 1 s. */
function scaleResult(streams: number, wallMs: number, overrides: Partial<ScaleResult> = {}): ScaleResult {
  return {
    kind: 'scale',
    streams,
    stackStatus: 'CREATE_COMPLETE',
    wallMs,
    succeeded: streams,
    startsAccepted: streams,
    starts: Array.from({ length: streams }, (_, i) => ({ stream: `bench-${i}`, acceptedAt: 200 * i, enablingMs: i === streams - 1 ? 8_000 : 1_000 })),
    operations: {
      DescribeDeliveryStream: { total: 900, accepted: 600, throttled: 300, failed: 0 },
      StartDeliveryStreamEncryption: { total: streams, accepted: streams, throttled: 0, failed: 0 },
      TagDeliveryStream: { total: 2 * streams + 3, accepted: 2 * streams, throttled: 3, failed: 0 },
      ListTagsForDeliveryStream: { total: 500, accepted: 2 * streams, throttled: 500 - 2 * streams, failed: 0 },
    },
    ...overrides,
  };
}

function results(parts: Partial<BenchResults>): BenchResults {
  return {
    generatedAt: '2026-01-07T10:00:00.000Z',
    machine: { node: 'v20', platform: 'linux x64', cpus: 2, cpuModel: 'cpu', awsCdkLib: '2.0.0' },
    settings: { scaleStreams: [50, 200] },
    loadAverage: { atStart: [1.5, 1.25, 1], atEnd: [2, 1.5, 1] },
    elapsedMs: 1,
    ...parts,
  };
}

describe('the scale figures', () => {
  test('count Describe, tag and throttled calls from the local cloud\'s tallies', () => {
    const f = scaleFiguresOf(scaleResult(200, 60_000));
    expect(f).toMatchObject({
      streams: 200,
      wallSeconds: 60,
      boundSeconds: 48,
      ratio: 1.25,
      describeCalls: 900,
      throttledCalls: 300 + 3 + 100,
      throttledByOperation: { DescribeDeliveryStream: 300, TagDeliveryStream: 3, ListTagsForDeliveryStream: 100 },
      settleSeconds: 0,
    });
    expect(f.throttledByOperation).not.toHaveProperty('StartDeliveryStreamEncryption');
    expect(f.tagCalls.tag.total).toBe(403);
    expect(f.tagCalls.listTags.total).toBe(500);
    expect(f.tagCalls.untag.total).toBe(0);
  });

  test('meet the target at ratio 1.25 at N = 200, not above it, and not when a Start is missing', () => {
    const judged = (scale: ScaleResult) => targetsOf(results({ scale: [scaleFiguresOf(scale)] })).find((t) => t.id === 'scaleRatio');
    expect(judged(scaleResult(LIMITS.scaleStreams, 60_000))).toMatchObject({ met: true, value: '1.25', target: 'ratio ≤ 1.25' });
    expect(judged(scaleResult(LIMITS.scaleStreams, 60_100))).toMatchObject({ met: false });
    expect(judged(scaleResult(LIMITS.scaleStreams, 50_000, { startsAccepted: 199 }))).toMatchObject({ met: false });
    // judged at N = 200 only
    expect(judged(scaleResult(50, 10_000))).toBeUndefined();
  });
});

describe('the table the bench writes', () => {
  const previous = [
    '# Performance',
    '',
    TABLE_START,
    '| figure | this library | target | A | B |',
    '|---|---|---|---|---|',
    '| fixed supporting resources, N = 1 / 10 / 100 streams | 4 / 4 / 4 | constant, ≤ 3 ✗ | 13 / 13 / 13 | 2 / 2 / 2 |',
    '| answer after `ENABLED`, p50 / p95 (50 creates, ENABLING 1–20 s, settle excluded) | 0.36 s / 0.77 s | p95 ≤ 1.0 s ✓ | 2.46 s / 4.23 s | n/a |',
    TABLE_END,
    '',
  ].join('\n');
  const r = results({ scale: [scaleFiguresOf(scaleResult(50, 20_000)), scaleFiguresOf(scaleResult(200, 96_000))] });
  const written = `${TABLE_START}${renderDocsTable(r, previous)}${TABLE_END}`;
  const rows = tableRows(written);
  const row = (start: string) => rows.find((x) => x.figure.startsWith(start));

  test('has the measured rows with their judgement', () => {
    expect(row('scale, N = 200 creates')).toMatchObject({ library: '96.0 s / 48.0 s (2.00)', target: 'ratio ≤ 1.25 ✗', carried: false });
    expect(row('scale, N = 50 creates')).toMatchObject({ target: '', carried: false });
    expect(row('scale, N = 200: Describe calls')?.library).toBe('900; 403 (3) / 500 (100); 403 (Describe 300, Tag 3, ListTags 100)');
    expect(written).toContain('- scale: run of 2026-01-07 10:00 UTC, load average 1.50 / 1.25 / 1.00 (1 / 5 / 15 min) at its start');
  });

  test('carries the rows of parts not run, marked, with today\'s targets, judged again only when the target is unchanged', () => {
    expect(row('fixed supporting resources')).toMatchObject({ library: '4 / 4 / 4', target: 'constant, ≤ 4', carried: true });
    expect(row('answer after `ENABLED`')).toMatchObject({ library: '0.36 s / 0.77 s', target: 'p95 ≤ 1.0 s ✓', carried: true });
    // a row the earlier table did not have
    expect(row('synth CPU per stream')).toMatchObject({ library: 'not run', target: '≤ 1.5×', carried: true });
  });

  test('agrees with the formatter\'s targets, and re-rendering it changes nothing', () => {
    expect(targetDisagreements(written)).toEqual([]);
    expect(`${TABLE_START}${renderDocsTable(r, written)}${TABLE_END}`).toBe(written);
  });
});

describe('the handler assets', () => {
  const load = (medianMs: number) => ({ medianMs, runsMs: [medianMs, medianMs] });
  const asset = (name: string, rawBytes: number, zipBytes: number, inline = false): HandlerModule =>
    ({ name, rawBytes, zipBytes, files: 1, inline, sdkAtLoad: [], load: load(10) });
  const handlers = (zipBytes: number): BenchResults['handlers'] => ({
    library: { modules: [asset('stream-encryption-handler', 56_000, zipBytes)] },
    provider: { modules: [asset('provider framework', 10_000, 4_000), asset('OnEvent (inline)', 700, 500, true)] },
    awsCustomResource: { modules: [asset('aws-custom-resource-handler', 124_000, 81_000)], firstEventSdk: { package: '@aws-sdk/client-firehose', load: load(100) } },
  } satisfies Record<string, HandlerFigures>);
  const guard = (zipBytes: number) => ({ rawBytes: 53_000, zipBytes, load: load(12) });
  const judged = (r: BenchResults) => targetsOf(r).filter((t) => t.id === 'handlerAsset').map((t) => [t.subject, t.value, t.met]);

  test('each asset, the handler\'s and the guard\'s, is judged on its zipped size against 16 KiB', () => {
    const limit = LIMITS.handlerAssetZipBytes;
    expect(limit).toBe(16 * 1024);
    expect(judged(results({ handlers: handlers(limit), guard: guard(limit + 1) }))).toEqual([
      ['stream-encryption-handler', '16,384 B', true],
      [GUARD_ASSET, '16,385 B', false],
    ]);
    expect(judged(results({ handlers: handlers(limit + 1), guard: guard(limit) }))).toEqual([
      ['stream-encryption-handler', '16,385 B', false],
      [GUARD_ASSET, '16,384 B', true],
    ]);
    // results from before the split: the handler alone
    expect(judged(results({ handlers: handlers(limit) }))).toEqual([['stream-encryption-handler', '16,384 B', true]]);
  });

  test('the docs table has a judged row per asset, and the guard\'s raw bytes and module load without a target', () => {
    const r = results({ handlers: handlers(17_000), guard: guard(15_000) });
    const previous = `${TABLE_START}\n${TABLE_END}\n`;
    const rows = tableRows(`${TABLE_START}${renderDocsTable(r, previous)}${TABLE_END}`);
    const row = (start: string) => rows.filter((x) => x.figure.startsWith(start));
    expect(row('handler asset').map((x) => [x.figure, x.library, x.target])).toEqual([
      ['handler asset `stream-encryption-handler`, zipped as uploaded', '17,000 B', '≤ 16 KiB deflated ✗'],
      ['handler asset `stream-encryption-guard`, zipped as uploaded (only a stack with a guard)', '15,000 B', '≤ 16 KiB deflated ✓'],
    ]);
    expect(row('guard `index.js`, raw')).toMatchObject([{ library: '53,000 B', target: '' }]);
    expect(row('guard module load')).toMatchObject([{ figure: 'guard module load (median of 2, fresh process)', library: '12 ms', target: '' }]);
    expect(row('handler `index.js`, raw')).toMatchObject([{ library: '56,000 B', target: '' }]);
    // the console table judges both as well
    expect(renderTable(r)).toMatch(/asset bytes, zipped as uploaded: stream-encryption-guard +│ 15,000 +│ ✓ ≤ 16 KiB deflated/);
  });

  test('a run without the handlers carries every asset row and keeps the date of the run that measured them', () => {
    const measured = results({ handlers: handlers(17_000), guard: guard(15_000) });
    const first = `${TABLE_START}${renderDocsTable(measured, `${TABLE_START}\n${TABLE_END}\n`)}${TABLE_END}`;
    const later = results({
      generatedAt: '2026-01-08T09:30:00.000Z',
      scale: [scaleFiguresOf(scaleResult(50, 20_000)), scaleFiguresOf(scaleResult(200, 96_000))],
    });
    const written = `${TABLE_START}${renderDocsTable(later, first)}${TABLE_END}`;
    const carried = tableRows(written).filter((x) => x.carried && x.library !== 'not run').map((x) => x.figure);
    expect(carried).toEqual([
      'handler asset `stream-encryption-handler`, zipped as uploaded',
      'handler asset `stream-encryption-guard`, zipped as uploaded (only a stack with a guard)',
      'handler `index.js`, raw',
      'module load (median of 2, fresh process)',
      'guard `index.js`, raw (only a stack with a guard)',
      'guard module load (median of 2, fresh process)',
    ]);
    expect(written).toContain('- scale: run of 2026-01-08 09:30 UTC');
    expect(written).toContain('- handlers: run of 2026-01-07 10:00 UTC, load average 1.50 / 1.25 / 1.00 (1 / 5 / 15 min) at its start');
    expect(`${TABLE_START}${renderDocsTable(later, written)}${TABLE_END}`).toBe(written);
  });
});
