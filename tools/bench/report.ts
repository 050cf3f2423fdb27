/**
 * The benchmark's results, its targets for this library, and the table printed from them.
 *
 * @module
 */
import { Implementation, LABELS } from './apps';
import type { ColdStartResult } from './cold-start';
import type { Footprint, LoadTimes } from './measure';
import { AcceptedStart, lastAccepted } from './stats';
import type { EconomyResult, LatencySample, OperationCalls, PhaseCalls, ScaleResult } from './worker';

export { lastAccepted };

/** The parts of a run; `npm run bench -- --only <parts>` runs some of them. */
export const PARTS = ['footprint', 'handlers', 'coldStart', 'synth', 'economy', 'latency', 'scale'] as const;

/** One part of a run. */
export type Part = (typeof PARTS)[number];

/** What one target of this library says, and of which part of the run. */
export interface TargetSpec {
  readonly part: Part;
  /** The figure's row in docs/performance.md starts with this. */
  readonly figure: string;
  /** The target as written in the table. */
  readonly text: string;
}

/**
 * This library's targets: the one place they are written. The console table, the table in
 * docs/performance.md and the test of that table all take them from here.
 */
export const TARGETS = {
  /** Resources a stack gets once, whatever N: the handler, its role, log group and the log group's key. */
  fixedResources: { part: 'footprint', figure: 'fixed supporting resources', text: 'constant, ≤ 4' },
  /** Every handler asset, zipped as uploaded (deflate). */
  handlerAsset: { part: 'handlers', figure: 'handler asset', text: '≤ 16 KiB deflated' },
  latencyP95: { part: 'latency', figure: 'answer after `ENABLED`', text: 'p95 ≤ 1.0 s' },
  synthRatio: { part: 'synth', figure: 'synth CPU per stream', text: '≤ 1.5×' },
  scaleRatio: { part: 'scale', figure: 'scale, N = 200 creates', text: 'ratio ≤ 1.25' },
  startPerCreate: { part: 'economy', figure: 'create:', text: '1 Start' },
  noStartStopPerNoOpUpdate: { part: 'economy', figure: 'no-op update', text: '0 Start/Stop' },
  startPerKeyRotation: { part: 'economy', figure: 'key rotation', text: '1 Start' },
  stopPerDelete: { part: 'economy', figure: 'delete', text: '1 Stop' },
} as const satisfies Record<string, TargetSpec>;

/** The id of a target. */
export type TargetId = keyof typeof TARGETS;

/** The limits behind the targets' texts. */
export const LIMITS = {
  fixedResources: 4,
  handlerAssetZipBytes: 16 * 1024,
  latencyP95Ms: 1_000,
  synthRatio: 1.5,
  scaleRatio: 1.25,
  /** The scale target is judged at this N. */
  scaleStreams: 200,
} as const;

/**
 * Firehose's published per-account rate limits the scale bound is computed from (and the local
 * cloud's defaults): `DescribeDeliveryStream` 10 per second, `StartDeliveryStreamEncryption` 5
 * (https://docs.aws.amazon.com/firehose/latest/dev/limits.html).
 */
export const FIREHOSE_RATES = { describePerSecond: 10, startPerSecond: 5 } as const;

/** The fewest `DescribeDeliveryStream` calls a create can make: one before Start, one that sees ENABLED. */
export const DESCRIBES_PER_STREAM = 2;

/** The time the published limits allow, and the Start whose stream ends it. */
export interface ScaleBound {
  /** In milliseconds. */
  readonly ms: number;
  /** The accepted Start whose term is the largest. */
  readonly start: AcceptedStart;
}

/**
 * The time the published limits allow N creates at once, for the order in which their Starts were
 * accepted: the k-th Start can come no sooner than after k streams' two Describes and one Start at
 * the account's rates (Describe and Start have limits of their own, so the slower of the two), and
 * its stream is ENABLED no sooner than its ENABLING after that. The bound is the latest of these;
 * the last Start's term is `max(2N / 10, N / 5) + its ENABLING`, and an earlier Start whose stream
 * takes longer to be ENABLED ends the bound instead. No settle time: the scale run sets it to 0.
 *
 * boundSeconds = max over the k-th Start accepted of (max(2k / 10, k / 5) + its stream's ENABLING)
 */
export function scaleBound(
  starts: readonly AcceptedStart[],
  rates: { readonly describePerSecond: number; readonly startPerSecond: number } = FIREHOSE_RATES,
): ScaleBound {
  if (starts.length === 0) throw new Error('scale: no accepted Start');
  const perStreamMs = Math.max(DESCRIBES_PER_STREAM / rates.describePerSecond, 1 / rates.startPerSecond) * 1000;
  const ordered = [...starts].sort((a, b) => a.acceptedAt - b.acceptedAt);
  let bound: ScaleBound = { ms: 0, start: ordered[0] };
  ordered.forEach((start, i) => {
    const endMs = Math.round((i + 1) * perStreamMs + start.enablingMs);
    if (endMs >= bound.ms) bound = { ms: endMs, start };
  });
  return bound;
}

/** Wall time over the bound: 1.0 is as fast as the limits allow. */
export function scaleRatio(wallMs: number, boundMs: number): number {
  if (!(boundMs > 0)) throw new Error(`scale: bound ${boundMs} ms is not positive`);
  return wallMs / boundMs;
}

/** One row of the scale figures (results.json → `scale`). */
export interface ScaleFigures {
  readonly streams: number;
  /** Deploy start to stack complete. */
  readonly wallSeconds: number;
  /** {@link scaleBound}, in seconds. */
  readonly boundSeconds: number;
  readonly ratio: number;
  /** Every `DescribeDeliveryStream` call, throttled ones included. */
  readonly describeCalls: number;
  /** Every Firehose call answered with ThrottlingException. */
  readonly throttledCalls: number;
  /** Throttled calls by Firehose operation. */
  readonly throttledByOperation: Readonly<Record<string, number>>;
  /** The per-stream tag calls (their own limits of 5 per second each). */
  readonly tagCalls: { readonly tag: OperationCalls; readonly listTags: OperationCalls; readonly untag: OperationCalls };
  readonly startsAccepted: number;
  readonly succeeded: number;
  /** The settle time of every resource (a prop; the bound has none). */
  readonly settleSeconds: number;
  /** The stream whose Start was accepted last, and its seeded ENABLING. */
  readonly lastStart: AcceptedStart;
  /** The stream whose Start ends the bound (see {@link scaleBound}). */
  readonly boundingStart: AcceptedStart;
  /** Every Firehose operation's calls. */
  readonly operations: Readonly<Record<string, OperationCalls>>;
}

const NO_CALLS: OperationCalls = { total: 0, accepted: 0, throttled: 0, failed: 0 };

/** The scale figures of one job's result. */
export function scaleFiguresOf(result: ScaleResult): ScaleFigures {
  const op = (name: string): OperationCalls => result.operations[name] ?? NO_CALLS;
  const bound = scaleBound(result.starts);
  const boundMs = bound.ms;
  const throttledByOperation: Record<string, number> = {};
  for (const [name, tally] of Object.entries(result.operations)) if (tally.throttled > 0) throttledByOperation[name] = tally.throttled;
  return {
    streams: result.streams,
    wallSeconds: result.wallMs / 1000,
    boundSeconds: boundMs / 1000,
    ratio: scaleRatio(result.wallMs, boundMs),
    describeCalls: op('DescribeDeliveryStream').total,
    throttledCalls: Object.values(result.operations).reduce((sum, c) => sum + c.throttled, 0),
    throttledByOperation,
    tagCalls: { tag: op('TagDeliveryStream'), listTags: op('ListTagsForDeliveryStream'), untag: op('UntagDeliveryStream') },
    startsAccepted: result.startsAccepted,
    succeeded: result.succeeded,
    settleSeconds: 0,
    lastStart: lastAccepted(result.starts),
    boundingStart: bound.start,
    operations: result.operations,
  };
}

/** One handler module of an implementation. */
export interface HandlerModule {
  readonly name: string;
  readonly rawBytes: number;
  readonly zipBytes: number;
  readonly files: number;
  /** Inline code (`ZipFile`): CloudFormation zips it. */
  readonly inline: boolean;
  /** The `@aws-sdk/*` packages it requires when loaded. */
  readonly sdkAtLoad: readonly string[];
  /** The `@aws-sdk/client-*` packages it may require later, on an event. */
  readonly sdkOnEvent?: readonly string[];
  readonly load: LoadTimes;
  /** Median load time with its SDK packages already loaded (its own code). */
  readonly ownMs?: number;
  /** What each `@aws-sdk/*` package adds to the load when the others are loaded already (median differences). */
  readonly sdkMs?: Readonly<Record<string, number>>;
  /** How many functions of the stack run this asset. */
  readonly functions?: number;
}

/** The handler figures of one implementation. */
export interface HandlerFigures {
  readonly modules: HandlerModule[];
  /** An SDK client loaded on the first event rather than at module load. */
  firstEventSdk?: { readonly package: string; readonly load: LoadTimes };
}

/** The guard's asset: uploaded only by a stack with a guard, beside the handler's. */
export interface GuardFigures {
  readonly rawBytes: number;
  readonly zipBytes: number;
  /** `require()` of its bundle in a fresh process. */
  readonly load: LoadTimes;
}

/** Signal latency of one implementation. */
export interface LatencyFigures {
  readonly lifecycles: number;
  readonly succeeded: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly minMs: number;
  readonly maxMs: number;
  readonly throttled: number;
  readonly queryIntervalSeconds?: number;
  readonly samples: readonly LatencySample[];
}

/** Synth times of one implementation. */
export interface SynthFigures {
  readonly sizes: ReadonlyArray<{
    readonly streams: number;
    /** The fastest of the runs, app code + app.synth(). */
    readonly bestMs: number;
    /** The fastest app.synth() alone. */
    readonly bestSynthMs: number;
    readonly medianMs: number;
    /** The median CPU time (user + system) of app code + app.synth(). */
    readonly medianCpuMs: number;
    readonly cpuRunsMs: readonly number[];
    readonly resources: number;
    readonly templateBytes: number;
    readonly runsMs: readonly number[];
  }>;
  /** CPU milliseconds per stream beyond the first, in a stack of 20 streams: (T(20) − T(1)) / 19, T the median CPU time. */
  readonly perStreamAt20: number;
  /** CPU milliseconds per stream beyond the first, in a stack of 200 streams: (T(200) − T(1)) / 199. */
  readonly perStreamAt200: number;
  /** perStreamAt200 / perStreamAt20. */
  readonly ratio: number;
  /** The same ratio from the fastest wall times. */
  readonly wallRatio: number;
}

/** One target of this library and whether it is met. */
export interface Target {
  readonly id: TargetId;
  /** What it was judged on, when a target applies to several (a handler asset's name). */
  readonly subject?: string;
  readonly figure: string;
  readonly value: string;
  readonly target: string;
  readonly met: boolean;
}

/** When and under what load a part of the results was measured. */
export interface PartRun {
  readonly generatedAt: string;
  /** The machine's 1, 5 and 15 minute load averages when the run began. */
  readonly loadAverage: readonly number[];
}

/**
 * Everything a run measured. A run of some parts (`--only`) keeps the other parts of the
 * results.json it finds; `runs` says when each part was measured.
 */
export interface BenchResults {
  readonly generatedAt: string;
  readonly machine: {
    readonly node: string;
    readonly platform: string;
    readonly cpus: number;
    readonly cpuModel: string;
    readonly awsCdkLib: string;
  };
  readonly settings: Readonly<Record<string, unknown>>;
  /** The machine's 1, 5 and 15 minute load averages at the start and the end of the (last) run. */
  readonly loadAverage: { readonly atStart: readonly number[]; readonly atEnd: readonly number[] };
  /** When each part present was measured. */
  readonly runs?: Partial<Record<Part, PartRun>>;
  readonly footprint?: Record<Implementation, Footprint[]>;
  readonly handlers?: Record<Implementation, HandlerFigures>;
  /** This library's guard asset, measured with the handlers (absent from results written before it had one). */
  readonly guard?: GuardFigures;
  /** This library's cold start: a fresh process requires the bundle and handles its first events. */
  readonly coldStart?: ColdStartResult;
  /** Bytes of the handler bundle's inputs (esbuild, the flags of bundle:handler). */
  readonly composition?: ReadonlyArray<{ readonly input: string; readonly bytes: number }>;
  readonly latency?: {
    readonly enablingMs: readonly number[];
    readonly library: LatencyFigures;
    readonly provider: LatencyFigures;
    readonly awsCustomResource: LatencyFigures;
    readonly settle: {
      readonly defaultSeconds: number;
      readonly lifecycles: number;
      readonly p50Ms: number;
      readonly maxMs: number;
      readonly throttled: number;
    };
  };
  readonly synth?: Record<Implementation, SynthFigures>;
  readonly economy?: readonly EconomyResult[];
  /** N creates in one stack under the account's rate limits, for each N. */
  readonly scale?: readonly ScaleFigures[];
  readonly elapsedMs: number;
  targets?: Target[];
}

/** A count with thousands separators. */
export function n(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

/** Milliseconds, rounded. */
export function ms(value: number): string {
  return `${Math.round(value)} ms`;
}

/** Milliseconds as seconds. */
export function s(valueMs: number, digits = 2): string {
  return `${(valueMs / 1000).toFixed(digits)} s`;
}

/** The footprint of N streams. */
export function fp(footprint: Record<Implementation, Footprint[]>, implementation: Implementation, streams: number): Footprint {
  const found = footprint[implementation].find((f) => f.streams === streams);
  if (!found) throw new Error(`no footprint of ${implementation} with ${streams} streams`);
  return found;
}

/** Template bytes each stream adds, from N = `from` to `to`. */
export function bytesPerStream(footprint: Record<Implementation, Footprint[]>, implementation: Implementation, from: number, to: number): number {
  return (fp(footprint, implementation, to).templateBytes - fp(footprint, implementation, from).templateBytes) / (to - from);
}

function policyText(f: Footprint): string {
  const d = f.policyDocuments;
  const parts = [d.inline && `${d.inline} inline`, d.managed && `${d.managed} managed`, d.awsManaged && `${d.awsManaged} AWS`].filter(Boolean);
  return `${d.total} (${parts.join(', ')})`;
}

/** The economy result of an implementation (and variant). */
export function economyOf(economy: readonly EconomyResult[], implementation: Implementation, variant?: string): EconomyResult {
  const found = economy.find((e) => e.implementation === implementation && e.variant === variant);
  if (!found) throw new Error(`no economy result of ${implementation} ${variant ?? ''}`);
  return found;
}

/** One phase of an economy result. */
export function phaseOf(e: EconomyResult, phase: PhaseCalls['phase']): PhaseCalls {
  return e.phases.find((p) => p.phase === phase)!;
}

/** Describe / Start / Stop calls of a phase. */
export function calls(p: PhaseCalls): string {
  const refused = p.startRefused ? ` (${p.startRefused} refused)` : '';
  return `${p.describe} / ${p.start}${refused} / ${p.stop}`;
}

/** Where the stream was when the (first) answer of a phase arrived, e.g. `ENABLING`. */
export function answeredAt(p: PhaseCalls): string {
  return /\(stream ([A-Z_]+)\)/.exec(p.answers[0] ?? '')?.[1] ?? '?';
}

/** A target judged. */
function judge(id: TargetId, value: string, met: boolean, subject?: string): Target {
  return { id, subject, figure: TARGETS[id].figure, value, target: TARGETS[id].text, met };
}

/** The library's targets, judged, for the parts the results hold. */
export function targetsOf(r: BenchResults): Target[] {
  const out: Target[] = [];
  if (r.footprint) {
    const fixed = r.footprint.library.map((x) => x.fixedResources);
    out.push(judge('fixedResources', fixed.join(' / '), fixed.every((x) => x === fixed[0]) && fixed[0] <= LIMITS.fixedResources));
  }
  if (r.handlers) {
    for (const m of libraryAssets(r)) {
      out.push(judge('handlerAsset', `${n(m.zipBytes)} B`, m.zipBytes <= LIMITS.handlerAssetZipBytes, m.name));
    }
  }
  if (r.latency) out.push(judge('latencyP95', s(r.latency.library.p95Ms), r.latency.library.p95Ms <= LIMITS.latencyP95Ms));
  if (r.synth) out.push(judge('synthRatio', `${r.synth.library.ratio.toFixed(2)}×`, r.synth.library.ratio <= LIMITS.synthRatio));
  const scale = r.scale?.find((x) => x.streams === LIMITS.scaleStreams);
  if (scale) {
    const counted = scale.succeeded === scale.streams && scale.startsAccepted === scale.streams;
    out.push(judge('scaleRatio', scale.ratio.toFixed(2), counted && scale.ratio <= LIMITS.scaleRatio));
  }
  if (r.economy) {
    const eco = economyOf(r.economy, 'library');
    /** The calls as wanted, every answer SUCCESS, and the stream left as the template says. */
    const asWanted = (p: PhaseCalls, start: number, stop: number) =>
      p.start === start && p.stop === stop && p.answers.every((a) => / SUCCESS/.test(a)) && p.wantedKey;
    const phases: Array<[TargetId, PhaseCalls['phase'], number, number]> = [
      ['startPerCreate', 'create', 1, 0],
      ['noStartStopPerNoOpUpdate', 'no-op update', 0, 0],
      ['startPerKeyRotation', 'key rotation', 1, 0],
      ['stopPerDelete', 'delete', 0, 1],
    ];
    for (const [id, phase, start, stop] of phases) {
      const p = phaseOf(eco, phase);
      out.push(judge(id, `${p.start} Start, ${p.stop} Stop`, asWanted(p, start, stop)));
    }
  }
  return out;
}

/** The name of the guard's asset (its folder under assets/). */
export const GUARD_ASSET = 'stream-encryption-guard';

/** One asset this library ships: bytes raw and zipped as uploaded, and its module load. */
export interface LibraryAsset {
  readonly name: string;
  readonly rawBytes: number;
  readonly zipBytes: number;
  readonly load: LoadTimes;
  /** Uploaded only by a stack with a guard. */
  readonly guardOnly: boolean;
}

/**
 * This library's assets, each judged against the handler-asset target: the handler's as the
 * footprint stack synthesizes it, then the guard's (uploaded only by a stack with a guard).
 */
export function libraryAssets(r: BenchResults): LibraryAsset[] {
  if (!r.handlers) return [];
  const handler = r.handlers.library.modules.filter((m) => !m.inline)
    .map((m) => ({ name: m.name, rawBytes: m.rawBytes, zipBytes: m.zipBytes, load: m.load, guardOnly: false }));
  const guard = r.guard ? [{ name: GUARD_ASSET, rawBytes: r.guard.rawBytes, zipBytes: r.guard.zipBytes, load: r.guard.load, guardOnly: true }] : [];
  return [...handler, ...guard];
}

/** This library's handler module, as the footprint stack synthesizes it. */
export function libraryHandler(handlers: Record<Implementation, HandlerFigures>): HandlerModule {
  const found = handlers.library.modules.find((m) => !m.inline);
  if (!found) throw new Error('no handler asset of this library in the results');
  return found;
}

/** Renders the table (and its notes) as printed by `npm run bench`, with the sections of the parts the results hold. */
export function renderTable(r: BenchResults): string {
  const targets = r.targets ?? targetsOf(r);
  const W = [42, 32, 20, 36, 36];
  const lines: string[] = [];
  const row = (cells: string[]): void => {
    lines.push(cells.map((c, i) => c.padEnd(W[i])).join(' │ ').trimEnd());
  };
  const rule = (): void => {
    lines.push(W.map((w) => '─'.repeat(w)).join('─┼─'));
  };
  const section = (title: string): void => {
    rule();
    lines.push(title);
  };
  /** A row with a target of this library, ✓ or ✗ beside it. */
  const judged = (label: string, id: TargetId, libValue: string, a: string, b: string, subject?: string): void => {
    const t = targets.find((x) => x.id === id && x.subject === subject);
    if (!t) throw new Error(`no target ${id}${subject ? ` of ${subject}` : ''}`);
    row([label, libValue, `${t.met ? '✓' : '✗'} ${t.target}`, a, b]);
  };
  const plain = (label: string, libValue: string, a: string, b: string): void => row([label, libValue, '', a, b]);

  const m = r.machine;
  const load = r.loadAverage.atStart[0].toFixed(1);
  lines.push(`cdk-stream-encryption benchmark, ${r.generatedAt}: ${m.cpus} × ${m.cpuModel} (load average ${load} at the start), ${m.platform},`);
  lines.push(`Node.js ${m.node}, aws-cdk-lib ${m.awsCdkLib}.`);
  const parts = PARTS.filter((part) => r[part] !== undefined);
  if (parts.length < PARTS.length) lines.push(`Parts in these results: ${parts.join(', ')}.`);
  if (r.latency) {
    lines.push('A = custom_resources.Provider: inline onEvent (Start on Create, Stop on Delete), inline isComplete (Describe until');
    lines.push(`    ENABLED/DISABLED), default queryInterval (${r.latency.provider.queryIntervalSeconds ?? '?'} s as synthesized). B = custom_resources.AwsCustomResource: Start on Create, Stop on Delete.`);
  }
  lines.push('');
  row(['figure', 'this library', 'target', LABELS.provider, LABELS.awsCustomResource]);

  // 1. footprint
  const F = r.footprint;
  if (F) {
    section('1. FOOTPRINT: N imported streams, each with a key and alias of its own (plain App, no feature flags)');
    const fixedOf = (i: Implementation) => F[i].map((x) => x.fixedResources).join(' / ');
    judged('fixed resources, N = 1 / 10 / 100', 'fixedResources', fixedOf('library'), fixedOf('provider'), fixedOf('awsCustomResource'));
    for (const streams of [1, 10, 100]) {
      const cell = (i: Implementation) => policyText(fp(F, i, streams));
      plain(`IAM policy documents, N = ${streams}`, cell('library'), cell('provider'), cell('awsCustomResource'));
    }
    const bytes = (i: Implementation) => n(fp(F, i, 1).templateBytes);
    plain('template bytes, N = 1', bytes('library'), bytes('provider'), bytes('awsCustomResource'));
    for (const [from, to] of [[1, 10], [10, 100]]) {
      const cell = (i: Implementation) => n(bytesPerStream(F, i, from, to));
      plain(`template bytes per added stream, N ${from}→${to}`, cell('library'), cell('provider'), cell('awsCustomResource'));
    }
  }

  // 2. handler
  const H = r.handlers;
  if (H) {
    const assets = libraryAssets(r);
    const lib = libraryHandler(H);
    const runs = lib.load.runsMs.length;
    section(`2. HANDLER: the assets as synthesized (and the guard's); load = require() in a fresh Node.js process, median of ${runs}, @aws-sdk/* from node_modules`);
    const fw = H.provider.modules.find((x) => !x.inline)!;
    const inl = H.provider.modules.filter((x) => x.inline);
    const acr = H.awsCustomResource.modules[0];
    const sum = (xs: HandlerModule[], f: (x: HandlerModule) => number) => xs.reduce((total, x) => total + f(x), 0);
    plain('asset bytes, raw', assets.map((x) => `${n(x.rawBytes)} (${x.name})`).join(' + '),
      `${n(fw.rawBytes)} (${fw.files} files) + ${n(sum(inl, (x) => x.rawBytes))} inline`, `${n(acr.rawBytes)} (index.js)`);
    assets.forEach((x, k) => {
      judged(assets.length > 1 ? `asset bytes, zipped as uploaded: ${x.name}` : 'asset bytes, zipped as uploaded', 'handlerAsset', n(x.zipBytes),
        k === 0 ? `${n(fw.zipBytes)} + ${n(sum(inl, (y) => y.zipBytes))} inline (CFN zips)` : '', k === 0 ? n(acr.zipBytes) : '', x.name);
    });
    const firstEvent = H.awsCustomResource.firstEventSdk?.load.medianMs ?? NaN;
    plain('module load, ms', ms(lib.load.medianMs), `${ms(fw.load.medianMs)} fw; ${inl.map((x) => Math.round(x.load.medianMs)).join(' + ')} ms user fns`,
      `${ms(acr.load.medianMs)} (+${ms(firstEvent)} SDK at 1st event)`);
    const sdkShort = (x: HandlerModule) => x.sdkAtLoad.map((p) => p.replace('@aws-sdk/client-', '')).join(', ');
    plain('  of which @aws-sdk clients it requires', lib.sdkAtLoad.length ? `${ms(lib.load.medianMs - (lib.ownMs ?? 0))} (${sdkShort(lib)})` : 'none at load (at 1st event)',
      `${ms(fw.load.medianMs - (fw.ownMs ?? 0))} fw (${sdkShort(fw)}); firehose`, 'none at load (firehose at 1st event)');
    plain('  of which its own code (SDK preloaded)', ms(lib.ownMs ?? NaN), `${ms(fw.ownMs ?? NaN)} fw`, ms(acr.load.medianMs));
    const each = Object.entries(lib.sdkMs ?? {}).map(([p, v]) => `${p.replace('@aws-sdk/client-', '')} ${Math.round(v)}`).join(', ');
    plain('  each client, the others loaded first, ms', each, '', '');
    for (const x of assets.filter((y) => y.guardOnly)) plain('module load of the guard, ms', ms(x.load.medianMs), '', '');
    plain('cold starts on one create', '1', '4 (2 framework, 2 user functions)', '1');
  }
  const cold = r.coldStart;
  if (cold) {
    const loaded = (xs: readonly string[]) => xs.map((p) => p.replace('client-', '')).join(', ');
    if (!H) section('2. HANDLER');
    plain(`cold start to 1st answer, median of ${cold.runs}`, '', '', '');
    plain('  Firehose-only stack', `${ms(cold.firehoseMedianMs)} (${loaded(cold.clients.firehose)})`, '', '');
    plain('  mixed (+ a data stream event)', `${ms(cold.mixedMedianMs)} (${loaded(cold.clients.mixed)})`, '', '');
  }

  // 3. latency
  const L = r.latency;
  if (L) {
    section(`3. SIGNAL LATENCY: ${L.library.lifecycles} creates, ENABLING ${s(Math.min(...L.enablingMs), 1)} to ${s(Math.max(...L.enablingMs), 1)} (seeded); answer at the ResponseURL minus ENABLED (local-cloud clock)`);
    plain('after ENABLED, p50', s(L.library.p50Ms), s(L.provider.p50Ms), `n/a: ${s(-L.awsCustomResource.p50Ms, 1)} BEFORE ENABLED (median)`);
    judged('after ENABLED, p95', 'latencyP95', s(L.library.p95Ms), s(L.provider.p95Ms), 'n/a: always answers while ENABLING');
    plain('after ENABLED, min … max', `${s(L.library.minMs)} … ${s(L.library.maxMs)}`, `${s(L.provider.minMs)} … ${s(L.provider.maxMs)}`,
      `${s(L.awsCustomResource.minMs, 1)} … ${s(L.awsCustomResource.maxMs, 1)}`);
    plain('settle time (excluded: SettleSeconds 0)', `+${L.settle.defaultSeconds} s by default (prop, 0–60 s)`, 'none', 'none');
    plain(`  with it, ${L.settle.lifecycles} creates: p50 after ENABLED`, s(L.settle.p50Ms), '', '');
    const ok = (x: LatencyFigures, extra = 0) => `${x.succeeded}/${x.lifecycles}; ${x.throttled + extra}`;
    plain('SUCCESS answers; throttled calls', ok(L.library, L.settle.throttled), ok(L.provider), ok(L.awsCustomResource));
  }

  // 3b. scale
  if (r.scale) {
    section('3b. SCALE: N creates in one stack at once, one shared key, SettleSeconds 0, Firehose limits in force, ENABLING 1–20 s (seeded)');
    for (const x of r.scale) {
      const label = `N = ${x.streams}: wall / bound (ratio)`;
      const cell = `${x.wallSeconds.toFixed(1)} s / ${x.boundSeconds.toFixed(1)} s (${x.ratio.toFixed(2)})`;
      if (x.streams === LIMITS.scaleStreams) judged(label, 'scaleRatio', cell, 'not measured', 'not measured');
      else plain(label, cell, 'not measured', 'not measured');
      plain('  Describe calls; throttled calls (by op)', `${n(x.describeCalls)}; ${n(x.throttledCalls)} (${throttledText(x)})`, '', '');
      plain('  Tag / ListTags calls (throttled)', `${tagText(x.tagCalls.tag)} / ${tagText(x.tagCalls.listTags)}`, '', '');
    }
  }

  // 4. synth
  const S = r.synth;
  if (S) {
    const synthRuns = String(r.settings.synthRuns);
    section(`4. SYNTH SCALE: app code + app.synth() in a fresh process, ${synthRuns} runs: wall ms (fastest) / CPU ms (median); ALL STREAMS SHARE ONE KEY`);
    for (const size of S.library.sizes) {
      const cell = (i: Implementation) => {
        const x = S[i].sizes.find((y) => y.streams === size.streams)!;
        return `${n(x.bestMs)} / ${n(x.medianCpuMs)} ms, ${x.resources} res.`;
      };
      plain(`N = ${size.streams}`, cell('library'), cell('provider'), cell('awsCustomResource'));
    }
    const per = (i: Implementation) => `${S[i].perStreamAt20.toFixed(1)} → ${S[i].perStreamAt200.toFixed(1)} ms`;
    plain('CPU/stream beyond the 1st, N = 20 → 200', per('library'), per('provider'), per('awsCustomResource'));
    judged('  ratio, at 200 ÷ at 20 (linear = 1.0)', 'synthRatio', `${S.library.ratio.toFixed(2)}×`,
      `${S.provider.ratio.toFixed(2)}×`, `${S.awsCustomResource.ratio.toFixed(2)}×`);
  }

  // 5. economy
  const economy = r.economy;
  if (economy) {
    section('5. API ECONOMY, one stream (ENABLING and DISABLING 3 s): calls DescribeDeliveryStream / Start / Stop; the stream when answered');
    const E: Record<Implementation, EconomyResult> = {
      library: economyOf(economy, 'library'),
      provider: economyOf(economy, 'provider'),
      awsCustomResource: economyOf(economy, 'awsCustomResource'),
    };
    const ids: Record<PhaseCalls['phase'], TargetId> = {
      'create': 'startPerCreate',
      'no-op update': 'noStartStopPerNoOpUpdate',
      'key rotation': 'startPerKeyRotation',
      'delete': 'stopPerDelete',
    };
    for (const phase of ['create', 'no-op update', 'key rotation', 'delete'] as const) {
      judged(PHASE_LABELS[phase], ids[phase], economyCell(phaseOf(E.library, phase)), economyCell(phaseOf(E.provider, phase)),
        economyCell(phaseOf(E.awsCustomResource, phase)));
    }
  }
  rule();

  // targets and notes
  const missed = targets.filter((t) => !t.met);
  lines.push(`targets met: ${targets.length - missed.length} of ${targets.length}${missed.length ? `; missed: ${missed.map((t) => `${t.figure}${t.subject ? ` (${t.subject})` : ''} ${t.value} (target ${t.target})`).join('; ')}` : ''}`);
  lines.push('notes:');
  const variant = economy?.find((e) => e.variant);
  if (variant) {
    const noop = phaseOf(variant, 'no-op update');
    const rot = phaseOf(variant, 'key rotation');
    const why = /FAILED: (.*) \(stream/.exec(noop.answers[0] ?? '')?.[1] ?? noop.answers.join('; ');
    lines.push(`  - B with onUpdate = ${variant.variant} (so that a new key is applied): a no-op update calls ${calls(noop)} and FAILS:`);
    lines.push(`    "${why.length > 100 ? `${why.slice(0, 100)}…` : why}";`);
    lines.push(`    a key rotation calls ${calls(rot)}, ${rot.wantedKey ? 'applied' : 'NOT applied'}, answered at ${answeredAt(rot)}.`);
  }
  if (economy) {
    const lib = economyOf(economy, 'library');
    const kmsCalls = (['create', 'key rotation'] as const).map((p) => `${phaseOf(lib, p).describeKey} per ${p}`).join(', ');
    lines.push(`  - this library also calls kms:DescribeKey (${kmsCalls}) to check the key before Start; A and B call no KMS API.`);
  }
  if (F) {
    lines.push('  - fixed resources = all − (custom resource + key + alias) × N − IAM policy resources. IAM documents: inline = AWS::IAM::Policy and');
    lines.push('    role Policies; managed = AWS::IAM::ManagedPolicy; AWS = AWS managed policies attached. Template bytes: the synthesized file.');
  }
  if (L) {
    lines.push(`  - latency: this library's creates ran ${String(r.settings.libraryConcurrency)} at a time in each of ${String(r.settings.libraryShards)} local clouds, A's ${String(r.settings.providerConcurrency)} at a time, B's one at a time,`);
    lines.push(`    starting ≥ ${String(r.settings.spacingMs)} ms apart, so that no call was throttled (Describe 10/s, Start 5/s per account). A's Lambda invokes and`);
    lines.push('    Step Functions waits are played in-process by the benchmark, with no latency of their own (which would only add to A).');
  }
  if (r.scale) {
    lines.push(`  - scale: bound = the latest, over the k-th Start accepted, of max(${DESCRIBES_PER_STREAM}k / ${FIREHOSE_RATES.describePerSecond}, k / ${FIREHOSE_RATES.startPerSecond}) s + that stream's ENABLING;`);
    lines.push('    ratio = wall / bound. The run counts only with every resource SUCCESS and exactly N accepted Starts.');
  }
  if (S) {
    const la = (xs: readonly number[]) => xs.map((x) => x.toFixed(1)).join(' / ');
    lines.push('  - synth: per-stream cost at N = (T(N) − T(1)) / (N − 1), judged on CPU time (user + system of the process, median): the machine');
    lines.push(`    was shared (load average ${la(r.loadAverage.atStart)} at the start, ${la(r.loadAverage.atEnd)} at the end, on ${r.machine.cpus} CPUs), which moves wall`);
    lines.push('    times by tens of percent (the wall-time ratio is in results.json) but CPU time little. The first streams of a fresh process');
    lines.push('    also pay for lazy module loading and JIT warm-up, so a ratio under 1.0 is expected; growth faster than linear takes it over.');
  }
  if (r.composition) {
    const top = r.composition.slice(0, 6).map((c) => `${c.input.replace(/^lambda\//, '')} ${n(c.bytes)}`);
    const kinesis = r.composition.filter((c) => /kinesis/.test(c.input)).reduce((total, c) => total + c.bytes, 0);
    lines.push(`  - handler bundle by input (bytes of minified output): ${top.slice(0, 3).join(', ')},`);
    lines.push(`    ${top.slice(3).join(', ')}; kinesis-*.ts ${n(kinesis)} in all.`);
  }
  return `${lines.join('\n')}\n`;
}

/** The economy rows' labels, in the console table. */
const PHASE_LABELS: Record<PhaseCalls['phase'], string> = {
  'create': 'create',
  'no-op update': 'no-op update (timeout changed)',
  'key rotation': 'key rotation (a new key)',
  'delete': 'delete',
};

/** Calls of a phase, whether it failed or kept the old key, and where the stream was at the answer. */
function economyCell(p: PhaseCalls): string {
  const failed = p.answers.some((a) => / FAILED/.test(a)) ? ', FAILED' : '';
  const notApplied = p.phase === 'key rotation' && !p.wantedKey ? ', old key kept' : '';
  return `${calls(p)}${failed}${notApplied}; at ${answeredAt(p)}`;
}

/** Throttled calls by operation, e.g. `Describe 120, Start 40`. */
export function throttledText(x: ScaleFigures): string {
  const entries = Object.entries(x.throttledByOperation);
  if (entries.length === 0) return 'none';
  return entries.map(([op, count]) => `${shortOperation(op)} ${n(count)}`).join(', ');
}

/** A Firehose operation's short name: `ListTagsForDeliveryStream` → `ListTags`. */
export function shortOperation(operation: string): string {
  return operation.replace(/ForDeliveryStream$/, '').replace(/DeliveryStream(Encryption)?$/, '');
}

/** A tag operation's calls, e.g. `200 (12)`: all calls, throttled ones in parentheses. */
export function tagText(c: OperationCalls): string {
  return `${n(c.total)} (${n(c.throttled)})`;
}
