/**
 * The benchmark's results, its targets for this library, and the table printed from them.
 *
 * @module
 */
import { Implementation, LABELS } from './apps';
import type { ColdStartResult } from './cold-start';
import type { Footprint, LoadTimes } from './measure';
import type { EconomyResult, LatencySample, PhaseCalls } from './worker';

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
  readonly figure: string;
  readonly value: string;
  readonly target: string;
  readonly met: boolean;
}

/** Everything one run measured. */
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
  /** The machine's 1, 5 and 15 minute load averages at the start and the end of the run. */
  readonly loadAverage: { readonly atStart: readonly number[]; readonly atEnd: readonly number[] };
  readonly footprint: Record<Implementation, Footprint[]>;
  readonly handlers: Record<Implementation, HandlerFigures>;
  /** This library's guard asset (absent from results written before it had one). */
  readonly guard?: GuardFigures;
  /** This library's cold start: a fresh process requires the bundle and handles its first events. */
  readonly coldStart?: ColdStartResult;
  /** Bytes of the handler bundle's inputs (esbuild, the flags of bundle:handler). */
  readonly composition: ReadonlyArray<{ readonly input: string; readonly bytes: number }>;
  readonly latency: {
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
  readonly synth: Record<Implementation, SynthFigures>;
  readonly economy: readonly EconomyResult[];
  readonly elapsedMs: number;
  targets?: Target[];
}

const KIB = 1024;

function n(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

function ms(value: number): string {
  return `${Math.round(value)} ms`;
}

function s(valueMs: number, digits = 2): string {
  return `${(valueMs / 1000).toFixed(digits)} s`;
}

function fp(results: BenchResults, implementation: Implementation, streams: number): Footprint {
  const found = results.footprint[implementation].find((f) => f.streams === streams);
  if (!found) throw new Error(`no footprint of ${implementation} with ${streams} streams`);
  return found;
}

function bytesPerStream(results: BenchResults, implementation: Implementation, from: number, to: number): number {
  return (fp(results, implementation, to).templateBytes - fp(results, implementation, from).templateBytes) / (to - from);
}

function policyText(f: Footprint): string {
  const d = f.policyDocuments;
  const parts = [d.inline && `${d.inline} inline`, d.managed && `${d.managed} managed`, d.awsManaged && `${d.awsManaged} AWS`].filter(Boolean);
  return `${d.total} (${parts.join(', ')})`;
}

function economyOf(results: BenchResults, implementation: Implementation, variant?: string): EconomyResult {
  const found = results.economy.find((e) => e.implementation === implementation && e.variant === variant);
  if (!found) throw new Error(`no economy result of ${implementation} ${variant ?? ''}`);
  return found;
}

function phaseOf(e: EconomyResult, phase: PhaseCalls['phase']): PhaseCalls {
  return e.phases.find((p) => p.phase === phase)!;
}

function calls(p: PhaseCalls): string {
  const refused = p.startRefused ? ` (${p.startRefused} refused)` : '';
  return `${p.describe} / ${p.start}${refused} / ${p.stop}`;
}

/** Where the stream was when the (first) answer of a phase arrived, e.g. `ENABLING`. */
function answeredAt(p: PhaseCalls): string {
  return /\(stream ([A-Z_]+)\)/.exec(p.answers[0] ?? '')?.[1] ?? '?';
}

/** The library's targets, judged. */
export function targetsOf(r: BenchResults): Target[] {
  const f = r.footprint.library;
  const fixed = f.map((x) => x.fixedResources);
  const lib = r.handlers.library.modules[0];
  const eco = economyOf(r, 'library');
  const startStop = (p: PhaseCalls) => p.start + p.stop;
  /** The calls as wanted, every answer SUCCESS, and the stream left as the template says. */
  const asWanted = (p: PhaseCalls, wanted: number) => startStop(p) === wanted && p.answers.every((a) => / SUCCESS/.test(a)) && p.wantedKey;
  const limit = `≤ 16 KiB (${n(16 * KIB)})`;
  return [
    { figure: 'fixed resources', value: fixed.join(' / '), target: 'const. in N, ≤ 3', met: fixed.every((x) => x === fixed[0]) && fixed[0] <= 3 },
    ...f.map((x) => ({
      figure: `IAM policy documents, N = ${x.streams}`,
      value: String(x.policyDocuments.total),
      target: `≤ 1 + N/25 = ${+(1 + x.streams / 25).toFixed(2)}`,
      met: x.policyDocuments.total <= 1 + x.streams / 25,
    })),
    { figure: 'handler asset, raw', value: n(lib.rawBytes), target: limit, met: lib.rawBytes <= 16 * KIB },
    { figure: 'handler asset, zipped', value: n(lib.zipBytes), target: limit, met: lib.zipBytes <= 16 * KIB },
    ...(r.guard ? [{ figure: 'guard asset, zipped', value: n(r.guard.zipBytes), target: limit, met: r.guard.zipBytes <= 16 * KIB }] : []),
    { figure: 'signal latency p95', value: s(r.latency.library.p95Ms), target: '≤ 1.00 s', met: r.latency.library.p95Ms <= 1000 },
    { figure: 'synth per-stream cost, 200 vs 20', value: `${r.synth.library.ratio.toFixed(2)}×`, target: '≤ 1.5×', met: r.synth.library.ratio <= 1.5 },
    ...(['create', 'no-op update', 'key rotation', 'delete'] as const).map((phase) => {
      const want = phase === 'no-op update' ? 0 : 1;
      return {
        figure: `Start/Stop per ${phase}`,
        value: String(startStop(phaseOf(eco, phase))),
        target: want === 0 ? '0 Start/Stop' : '1 Start/Stop',
        met: asWanted(phaseOf(eco, phase), want),
      };
    }),
  ];
}

/** Renders the table (and its notes) as printed by `npm run bench`. */
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
  /** A row with a target of this library (by its figure), ✓ or ✗ beside it. */
  const judged = (label: string, figure: string, libValue: string, a: string, b: string): void => {
    const t = targets.find((x) => x.figure === figure);
    if (!t) throw new Error(`no target ${figure}`);
    row([label, libValue, `${t.met ? '✓' : '✗'} ${t.target}`, a, b]);
  };
  const plain = (label: string, libValue: string, a: string, b: string): void => row([label, libValue, '', a, b]);

  const m = r.machine;
  const load = r.loadAverage.atStart[0].toFixed(1);
  lines.push(`cdk-stream-encryption benchmark, ${r.generatedAt}: ${m.cpus} × ${m.cpuModel} (load average ${load} at the start), ${m.platform},`);
  lines.push(`Node.js ${m.node}, aws-cdk-lib ${m.awsCdkLib}.`);
  lines.push('A = custom_resources.Provider: inline onEvent (Start on Create, Stop on Delete), inline isComplete (Describe until');
  lines.push(`    ENABLED/DISABLED), default queryInterval (${r.latency.provider.queryIntervalSeconds ?? '?'} s as synthesized). B = custom_resources.AwsCustomResource: Start on Create, Stop on Delete.`);
  lines.push('');
  row(['figure', 'this library', 'target', LABELS.provider, LABELS.awsCustomResource]);

  // 1. footprint
  section('1. FOOTPRINT: N imported streams, each with a key and alias of its own (plain App, no feature flags)');
  const fixedOf = (i: Implementation) => r.footprint[i].map((x) => x.fixedResources).join(' / ');
  judged('fixed resources, N = 1 / 10 / 100', 'fixed resources', fixedOf('library'), fixedOf('provider'), fixedOf('awsCustomResource'));
  for (const streams of [1, 10, 100]) {
    const cell = (i: Implementation) => policyText(fp(r, i, streams));
    judged(`IAM policy documents, N = ${streams}`, `IAM policy documents, N = ${streams}`, cell('library'), cell('provider'), cell('awsCustomResource'));
  }
  const bytes = (i: Implementation) => n(fp(r, i, 1).templateBytes);
  plain('template bytes, N = 1', bytes('library'), bytes('provider'), bytes('awsCustomResource'));
  for (const [from, to] of [[1, 10], [10, 100]]) {
    const cell = (i: Implementation) => n(bytesPerStream(r, i, from, to));
    plain(`template bytes per added stream, N ${from}→${to}`, cell('library'), cell('provider'), cell('awsCustomResource'));
  }

  // 2. handler
  const runs = r.handlers.library.modules[0].load.runsMs.length;
  section(`2. HANDLER: the assets as synthesized; load = require() in a fresh Node.js process, median of ${runs}, @aws-sdk/* from node_modules`);
  const lib = r.handlers.library.modules[0];
  const fw = r.handlers.provider.modules.find((x) => !x.inline)!;
  const inl = r.handlers.provider.modules.filter((x) => x.inline);
  const acr = r.handlers.awsCustomResource.modules[0];
  const sum = (xs: HandlerModule[], f: (x: HandlerModule) => number) => xs.reduce((total, x) => total + f(x), 0);
  judged('asset bytes, raw', 'handler asset, raw', `${n(lib.rawBytes)} (index.js)`,
    `${n(fw.rawBytes)} (${fw.files} files) + ${n(sum(inl, (x) => x.rawBytes))} inline`, `${n(acr.rawBytes)} (index.js)`);
  judged('asset bytes, zipped as uploaded', 'handler asset, zipped', n(lib.zipBytes),
    `${n(fw.zipBytes)} + ${n(sum(inl, (x) => x.zipBytes))} inline (CFN zips)`, n(acr.zipBytes));
  if (r.guard) {
    plain('guard asset bytes, raw (stacks with a guard)', `${n(r.guard.rawBytes)} (index.js)`, 'n/a', 'n/a');
    judged('guard asset bytes, zipped as uploaded', 'guard asset, zipped', n(r.guard.zipBytes), 'n/a', 'n/a');
    plain('guard module load, ms', ms(r.guard.load.medianMs), 'n/a', 'n/a');
  }
  const firstEvent = r.handlers.awsCustomResource.firstEventSdk?.load.medianMs ?? NaN;
  plain('module load, ms', ms(lib.load.medianMs), `${ms(fw.load.medianMs)} fw; ${inl.map((x) => Math.round(x.load.medianMs)).join(' + ')} ms user fns`,
    `${ms(acr.load.medianMs)} (+${ms(firstEvent)} SDK at 1st event)`);
  const sdkShort = (x: HandlerModule) => x.sdkAtLoad.map((p) => p.replace('@aws-sdk/client-', '')).join(', ');
  plain('  of which @aws-sdk clients it requires', lib.sdkAtLoad.length ? `${ms(lib.load.medianMs - (lib.ownMs ?? 0))} (${sdkShort(lib)})` : 'none at load (at 1st event)',
    `${ms(fw.load.medianMs - (fw.ownMs ?? 0))} fw (${sdkShort(fw)}); firehose`, 'none at load (firehose at 1st event)');
  plain('  of which its own code (SDK preloaded)', ms(lib.ownMs ?? NaN), `${ms(fw.ownMs ?? NaN)} fw`, ms(acr.load.medianMs));
  const each = Object.entries(lib.sdkMs ?? {}).map(([p, v]) => `${p.replace('@aws-sdk/client-', '')} ${Math.round(v)}`).join(', ');
  plain('  each client, the others loaded first, ms', each, '', '');
  plain('cold starts on one create', '1', '4 (2 framework, 2 user functions)', '1');
  const cold = r.coldStart;
  if (cold) {
    const loaded = (xs: readonly string[]) => xs.map((p) => p.replace('client-', '')).join(', ');
    plain(`cold start to 1st answer, median of ${cold.runs}`, '', '', '');
    plain('  Firehose-only stack', `${ms(cold.firehoseMedianMs)} (${loaded(cold.clients.firehose)})`, '', '');
    plain('  mixed (+ a data stream event)', `${ms(cold.mixedMedianMs)} (${loaded(cold.clients.mixed)})`, '', '');
  }

  // 3. latency
  const L = r.latency;
  section(`3. SIGNAL LATENCY: ${L.library.lifecycles} creates, ENABLING ${s(Math.min(...L.enablingMs), 1)} to ${s(Math.max(...L.enablingMs), 1)} (seeded); answer at the ResponseURL minus ENABLED (local-cloud clock)`);
  plain('after ENABLED, p50', s(L.library.p50Ms), s(L.provider.p50Ms), `n/a: ${s(-L.awsCustomResource.p50Ms, 1)} BEFORE ENABLED (median)`);
  judged('after ENABLED, p95', 'signal latency p95', s(L.library.p95Ms), s(L.provider.p95Ms), 'n/a: always answers while ENABLING');
  plain('after ENABLED, min … max', `${s(L.library.minMs)} … ${s(L.library.maxMs)}`, `${s(L.provider.minMs)} … ${s(L.provider.maxMs)}`,
    `${s(L.awsCustomResource.minMs, 1)} … ${s(L.awsCustomResource.maxMs, 1)}`);
  plain('settle time (excluded: SettleSeconds 0)', `+${L.settle.defaultSeconds} s by default (prop, 0–60 s)`, 'none', 'none');
  plain(`  with it, ${L.settle.lifecycles} creates: p50 after ENABLED`, s(L.settle.p50Ms), '', '');
  const ok = (x: LatencyFigures, extra = 0) => `${x.succeeded}/${x.lifecycles}; ${x.throttled + extra}`;
  plain('SUCCESS answers; throttled calls', ok(L.library, L.settle.throttled), ok(L.provider), ok(L.awsCustomResource));

  // 4. synth
  const synthRuns = String(r.settings.synthRuns);
  section(`4. SYNTH SCALE: app code + app.synth() in a fresh process, ${synthRuns} runs: wall ms (fastest) / CPU ms (median); ALL STREAMS SHARE ONE KEY`);
  for (const size of r.synth.library.sizes) {
    const cell = (i: Implementation) => {
      const x = r.synth[i].sizes.find((y) => y.streams === size.streams)!;
      return `${n(x.bestMs)} / ${n(x.medianCpuMs)} ms, ${x.resources} res.`;
    };
    plain(`N = ${size.streams}`, cell('library'), cell('provider'), cell('awsCustomResource'));
  }
  const per = (i: Implementation) => `${r.synth[i].perStreamAt20.toFixed(1)} → ${r.synth[i].perStreamAt200.toFixed(1)} ms`;
  plain('CPU/stream beyond the 1st, N = 20 → 200', per('library'), per('provider'), per('awsCustomResource'));
  judged('  ratio, at 200 ÷ at 20 (linear = 1.0)', 'synth per-stream cost, 200 vs 20', `${r.synth.library.ratio.toFixed(2)}×`,
    `${r.synth.provider.ratio.toFixed(2)}×`, `${r.synth.awsCustomResource.ratio.toFixed(2)}×`);

  // 5. economy
  section('5. API ECONOMY, one stream (ENABLING and DISABLING 3 s): calls DescribeDeliveryStream / Start / Stop; the stream when answered');
  const E: Record<Implementation, EconomyResult> = {
    library: economyOf(r, 'library'),
    provider: economyOf(r, 'provider'),
    awsCustomResource: economyOf(r, 'awsCustomResource'),
  };
  const labels: Record<PhaseCalls['phase'], string> = {
    'create': 'create',
    'no-op update': 'no-op update (timeout changed)',
    'key rotation': 'key rotation (a new key)',
    'delete': 'delete',
  };
  const cellOf = (p: PhaseCalls) => {
    const failed = p.answers.some((a) => / FAILED/.test(a)) ? ', FAILED' : '';
    const notApplied = p.phase === 'key rotation' && !p.wantedKey ? ', old key kept' : '';
    return `${calls(p)}${failed}${notApplied}; at ${answeredAt(p)}`;
  };
  for (const phase of ['create', 'no-op update', 'key rotation', 'delete'] as const) {
    judged(labels[phase], `Start/Stop per ${phase}`, cellOf(phaseOf(E.library, phase)), cellOf(phaseOf(E.provider, phase)), cellOf(phaseOf(E.awsCustomResource, phase)));
  }
  rule();

  // targets and notes
  const missed = targets.filter((t) => !t.met);
  lines.push(`targets met: ${targets.length - missed.length} of ${targets.length}${missed.length ? `; missed: ${missed.map((t) => `${t.figure} ${t.value} (target ${t.target})`).join('; ')}` : ''}`);
  lines.push('notes:');
  const variant = r.economy.find((e) => e.variant);
  if (variant) {
    const noop = phaseOf(variant, 'no-op update');
    const rot = phaseOf(variant, 'key rotation');
    const why = /FAILED: (.*) \(stream/.exec(noop.answers[0] ?? '')?.[1] ?? noop.answers.join('; ');
    lines.push(`  - B with onUpdate = ${variant.variant} (so that a new key is applied): a no-op update calls ${calls(noop)} and FAILS:`);
    lines.push(`    "${why.length > 100 ? `${why.slice(0, 100)}…` : why}";`);
    lines.push(`    a key rotation calls ${calls(rot)}, ${rot.wantedKey ? 'applied' : 'NOT applied'}, answered at ${answeredAt(rot)}.`);
  }
  const kmsCalls = (['create', 'key rotation'] as const).map((p) => `${phaseOf(E.library, p).describeKey} per ${p}`).join(', ');
  lines.push(`  - this library also calls kms:DescribeKey (${kmsCalls}) to check the key before Start; A and B call no KMS API.`);
  lines.push('  - fixed resources = all − (custom resource + key + alias) × N − IAM policy resources. IAM documents: inline = AWS::IAM::Policy and');
  lines.push('    role Policies; managed = AWS::IAM::ManagedPolicy; AWS = AWS managed policies attached. Template bytes: the synthesized file.');
  lines.push(`  - latency: this library's creates ran ${String(r.settings.libraryConcurrency)} at a time in each of ${String(r.settings.libraryShards)} local clouds, A's ${String(r.settings.providerConcurrency)} at a time, B's one at a time,`);
  lines.push(`    starting ≥ ${String(r.settings.spacingMs)} ms apart, so that no call was throttled (Describe 10/s, Start 5/s per account). A's Lambda invokes and`);
  lines.push('    Step Functions waits are played in-process by the benchmark, with no latency of their own (which would only add to A).');
  const la = (xs: readonly number[]) => xs.map((x) => x.toFixed(1)).join(' / ');
  lines.push('  - synth: per-stream cost at N = (T(N) − T(1)) / (N − 1), judged on CPU time (user + system of the process, median): the machine');
  lines.push(`    was shared (load average ${la(r.loadAverage.atStart)} at the start, ${la(r.loadAverage.atEnd)} at the end, on ${r.machine.cpus} CPUs), which moves wall`);
  lines.push('    times by tens of percent (the wall-time ratio is in results.json) but CPU time little. The first streams of a fresh process');
  lines.push('    also pay for lazy module loading and JIT warm-up, so a ratio under 1.0 is expected; growth faster than linear takes it over.');
  const top = r.composition.slice(0, 6).map((c) => `${c.input.replace(/^lambda\//, '')} ${n(c.bytes)}`);
  const kinesis = r.composition.filter((c) => /kinesis/.test(c.input)).reduce((total, c) => total + c.bytes, 0);
  lines.push(`  - handler bundle by input (bytes of minified output): ${top.slice(0, 3).join(', ')},`);
  lines.push(`    ${top.slice(3).join(', ')}; kinesis-*.ts ${n(kinesis)} in all.`);
  return `${lines.join('\n')}\n`;
}
