/**
 * `npm run bench`: this library beside two alternatives built from aws-cdk-lib itself, measured in
 * one run on this machine, printed as one table and written to `bench/results.json`.
 *
 * 1. Footprint of N = 1, 10, 100 encrypted streams (synthesized templates).
 * 2. Handler assets (and this library's guard asset): bytes raw and zipped; module load time in fresh Node.js processes; this
 *    library's cold start (require and first events) for a Firehose-only and a mixed stack.
 * 3. Signal latency: 50 creates in the local cloud with seeded ENABLING durations of 1–20 s.
 * 4. Synth time in fresh processes for 1, 10, 20, 100, 200 streams (one shared key).
 * 5. API calls per create, no-op update, key rotation and delete, from the local cloud's counts.
 * 6. Scale: N = 50 and 200 creates in one stack at once, under Firehose's rate limits.
 *
 * `--only <part>[,<part>…]` (or `BENCH_ONLY`) runs some parts (footprint, handlers, coldStart, synth,
 * economy, latency, scale) and keeps the others of the results.json it finds; `--render` (or
 * `BENCH_RENDER=1`) runs nothing and re-renders from results.json. Either way the figures table of
 * docs/performance.md is rewritten between its markers.
 *
 * Progress goes to stderr; the table to stdout. Not part of `npm test`.
 *
 * @module
 */
import { fork } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildSync } from 'esbuild';
import { IMPLEMENTATIONS, Implementation, synthesize } from './apps';
import type { ColdStartResult } from './cold-start';
import { writeDocsTable } from './docs';
import {
  assetBytes,
  bundleComposition,
  Footprint,
  footprintOf,
  functionCodeOf,
  inlineBytes,
  loadTimes,
  ROOT,
  sdkLoadedBy,
  sdkRequiresOf,
  synthOnce,
  zipAssetBytes,
} from './measure';
import { BenchResults, GuardFigures, HandlerFigures, Part, PARTS, renderTable, scaleFiguresOf, SynthFigures, targetsOf } from './report';
import { median, percentile, seededRandom } from './stats';
import type { SynthSample } from './synth-child';
import type { EconomyJob, EconomyResult, Job, JobResult, LatencyJob, LatencyResult, ScaleResult } from './worker';

/** Settings of the run (kept in the results). */
const SETTINGS = {
  footprintStreams: [1, 10, 100],
  loadRuns: 20,
  coldStartRuns: 20,
  synthStreams: [1, 10, 20, 100, 200],
  synthRuns: 5,
  latencyLifecycles: 50,
  latencySeed: 20_251_123,
  enablingMinMs: 1_000,
  enablingMaxMs: 20_000,
  /** This library's creates: shards (each a local cloud, i.e. an account), creates at once per shard. */
  libraryShards: 3,
  libraryConcurrency: 4,
  providerConcurrency: 20,
  awsCustomResourceConcurrency: 1,
  /** At least this long between two creates starting in one local cloud (Start allows 5 per second). */
  spacingMs: 250,
  /** The lifecycles with the default settle time. */
  settleSampleLifecycles: 5,
  economyEnablingMs: 3_000,
  economyDisablingMs: 3_000,
  /** Scale: creates in one stack, one run each, one after the other. */
  scaleStreams: [50, 200],
  scaleSeed: 20_260_107,
};

const WORK = path.join(ROOT, '.tmp', 'bench');
/** The child scripts, bundled two levels below the repository (so the library finds its asset as from lib/private/). */
const SYNTH_CHILD = path.join(ROOT, '.tmp', 'bench-children', 'synth-child.js');
const WORKER = path.join(ROOT, '.tmp', 'bench-children', 'worker.js');
const BUNDLE = path.join(ROOT, 'assets', 'stream-encryption-handler', 'index.js');
/** The guard's asset folder (the build's intermediate) and its zip, which a stack with a guard uploads beside the handler's. */
const GUARD_DIR = path.join(ROOT, 'assets', 'stream-encryption-guard');
const GUARD_ZIP = `${GUARD_DIR}.zip`;
const RESULTS = path.join(__dirname, 'results.json');
const DOCS = path.join(ROOT, 'docs', 'performance.md');

const STARTED = Date.now();
/** The machine's 1, 5 and 15 minute load averages when the run began. */
const LOAD_AT_START = os.loadavg();

function progress(message: string): void {
  process.stderr.write(`bench: +${String(Math.round((Date.now() - STARTED) / 1000)).padStart(3)} s ${message}\n`);
}

/** Bundles the child scripts with esbuild (packages stay external), so they start fast. */
function buildChildren(): void {
  for (const [entry, outfile] of [['synth-child.ts', SYNTH_CHILD], ['worker.ts', WORKER]] as const) {
    buildSync({
      entryPoints: [path.join(__dirname, entry)],
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      packages: 'external',
      outfile,
      logLevel: 'warning',
    });
  }
}

/** Runs one job in a worker process. */
function runWorker<R extends JobResult>(job: Job): Promise<R> {
  return new Promise((resolve, reject) => {
    const child = fork(WORKER, [JSON.stringify(job)], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    let result: R | undefined;
    child.on('message', (message) => {
      result = message as R;
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0 && result) resolve(result);
      else reject(new Error(`worker for ${job.kind}${'implementation' in job ? ` ${job.implementation}` : ''} exited with ${code}`));
    });
  });
}

// ---- 1. footprint --------------------------------------------------------------------------------

function measureFootprint(): { footprint: Record<Implementation, Footprint[]>; assemblies: Record<Implementation, string> } {
  const footprint = {} as Record<Implementation, Footprint[]>;
  const assemblies = {} as Record<Implementation, string>;
  for (const implementation of IMPLEMENTATIONS) {
    footprint[implementation] = SETTINGS.footprintStreams.map((streams) => {
      const dir = synthesize(path.join(WORK, 'footprint', `${implementation}-${streams}`), implementation, { streams });
      if (streams === 1) assemblies[implementation] = dir;
      return footprintOf(dir, streams);
    });
  }
  return { footprint, assemblies };
}

// ---- 2. handler assets ---------------------------------------------------------------------------

function measureHandlers(assemblies: Record<Implementation, string>): Record<Implementation, HandlerFigures> {
  const runs = SETTINGS.loadRuns;
  const out = {} as Record<Implementation, HandlerFigures>;
  for (const implementation of IMPLEMENTATIONS) {
    const modules: HandlerFigures['modules'] = [];
    for (const code of functionCodeOf(assemblies[implementation])) {
      const file = code.handler.split('.')[0];
      if (code.inline !== undefined) {
        const dir = path.join(WORK, 'inline', code.functionId);
        fs.mkdirSync(dir, { recursive: true });
        fs.writeFileSync(path.join(dir, 'index.js'), code.inline);
        const bytes = inlineBytes(code.inline);
        const target = path.join(dir, 'index.js');
        progress(`load time of ${implementation} ${code.functionId} (inline), ${runs} fresh processes`);
        modules.push({
          name: `${code.functionId} (inline)`,
          rawBytes: bytes.raw,
          zipBytes: bytes.zip,
          files: 1,
          inline: true,
          sdkAtLoad: sdkRequiresOf(target),
          load: loadTimes(target, [], runs),
        });
        continue;
      }
      const dir = code.assetDir!;
      const target = path.join(dir, `${file}.js`);
      // Zipped as uploaded: a zip asset (this library's) is uploaded as it is; a folder, as the CLI zips it.
      const bytes = code.assetZip !== undefined ? zipAssetBytes(code.assetZip) : assetBytes(dir);
      // Every package the asset may require: preloading them all times its own code.
      const sdk = sdkRequiresOf(dir);
      const atLoad = sdkLoadedBy(target);
      progress(`load time of ${implementation} ${path.basename(target)}, ${runs} fresh processes${sdk.length ? ', also with its SDK clients preloaded' : ''}`);
      const load = loadTimes(target, [], runs);
      const own = sdk.length > 0 ? loadTimes(target, sdk, runs) : undefined;
      // This library: what each of its SDK clients adds, with the others preloaded.
      const sdkMs: Record<string, number> = {};
      if (implementation === 'library' && own && sdk.length > 1) {
        for (const p of sdk) {
          progress(`load time of ${implementation} ${path.basename(target)} with every SDK client but ${p} preloaded, ${runs} fresh processes`);
          sdkMs[p] = loadTimes(target, sdk.filter((q) => q !== p), runs).medianMs - own.medianMs;
        }
      }
      modules.push({
        name: implementation === 'library' ? 'stream-encryption-handler' : implementation === 'provider' ? 'provider framework' : 'aws-custom-resource-handler',
        rawBytes: bytes.raw,
        zipBytes: bytes.zip,
        files: bytes.files,
        inline: false,
        sdkAtLoad: sdk.filter((p) => atLoad.includes(p)),
        sdkOnEvent: sdk.filter((p) => !atLoad.includes(p)),
        load,
        ownMs: own?.medianMs,
        sdkMs,
        functions: functionCodeOf(assemblies[implementation]).length,
      });
    }
    out[implementation] = { modules };
  }
  // AwsCustomResource loads its SDK client on its first event, not at module load.
  progress(`load time of @aws-sdk/client-firehose alone (AwsCustomResource's first event), ${runs} fresh processes`);
  out.awsCustomResource.firstEventSdk = { package: '@aws-sdk/client-firehose', load: loadTimes('@aws-sdk/client-firehose', [], runs) };
  return out;
}

/** The guard's asset: bytes raw and zipped as uploaded, and its module load time. */
function measureGuard(): GuardFigures {
  const bytes = zipAssetBytes(GUARD_ZIP);
  progress(`load time of the guard's index.js, ${SETTINGS.loadRuns} fresh processes`);
  return { rawBytes: bytes.raw, zipBytes: bytes.zip, load: loadTimes(path.join(GUARD_DIR, 'index.js'), [], SETTINGS.loadRuns) };
}

// ---- 4. synth scale ------------------------------------------------------------------------------

function measureSynth(): Record<Implementation, SynthFigures> {
  const samples: SynthSample[] = [];
  const outdir = path.join(WORK, 'synth-scale');
  // A first run warms the disk cache; it is not counted.
  synthOnce(SYNTH_CHILD, 'library', 1, outdir);
  for (let run = 0; run < SETTINGS.synthRuns; run++) {
    progress(`synth scale, round ${run + 1} of ${SETTINGS.synthRuns} (${SETTINGS.synthStreams.join(', ')} streams × 3, each in a fresh process)`);
    for (const implementation of IMPLEMENTATIONS) {
      for (const streams of SETTINGS.synthStreams) samples.push(synthOnce(SYNTH_CHILD, implementation, streams, outdir));
    }
  }
  const out = {} as Record<Implementation, SynthFigures>;
  for (const implementation of IMPLEMENTATIONS) {
    const sizes = SETTINGS.synthStreams.map((streams) => {
      const mine = samples.filter((s) => s.implementation === implementation && s.streams === streams);
      return {
        streams,
        // The fastest run: other processes on the machine only ever add wall time.
        bestMs: Math.min(...mine.map((s) => s.buildMs + s.synthMs)),
        bestSynthMs: Math.min(...mine.map((s) => s.synthMs)),
        medianMs: median(mine.map((s) => s.buildMs + s.synthMs)),
        // CPU time barely depends on what else the machine runs.
        medianCpuMs: median(mine.map((s) => s.cpuMs)),
        resources: mine[0].resources,
        templateBytes: mine[0].templateBytes,
        runsMs: mine.map((s) => s.buildMs + s.synthMs),
        cpuRunsMs: mine.map((s) => s.cpuMs),
      };
    });
    const size = (n: number) => sizes.find((s) => s.streams === n)!;
    // What each stream beyond the first costs, on average, in a stack of 20 and of 200.
    const perStream = (t: (n: number) => number) => ({ at20: (t(20) - t(1)) / 19, at200: (t(200) - t(1)) / 199 });
    const cpu = perStream((n) => size(n).medianCpuMs);
    const wall = perStream((n) => size(n).bestMs);
    out[implementation] = {
      sizes,
      perStreamAt20: cpu.at20,
      perStreamAt200: cpu.at200,
      ratio: cpu.at200 / cpu.at20,
      wallRatio: wall.at200 / wall.at20,
    };
  }
  return out;
}

// ---- 5. API economy ------------------------------------------------------------------------------

async function measureEconomy(): Promise<EconomyResult[]> {
  const jobs: EconomyJob[] = [];
  const variants: Array<{ implementation: Implementation; variant?: string; startOnUpdate?: boolean }> = [
    { implementation: 'library' },
    { implementation: 'provider' },
    { implementation: 'awsCustomResource' },
    { implementation: 'awsCustomResource', variant: 'the same Start call', startOnUpdate: true },
  ];
  for (const v of variants) {
    const name = `${v.implementation}${v.startOnUpdate ? '-onupdate' : ''}`;
    const assemblies = [1, 2, 3].map((version) => synthesize(path.join(WORK, 'economy', `${name}-v${version}`), v.implementation, {
      streams: 1,
      settleSeconds: 0,
      timeoutMinutes: version === 2 ? 12 : 10,
      keyGeneration: version === 3 ? 2 : 1,
      startOnUpdate: v.startOnUpdate,
    })) as [string, string, string];
    jobs.push({
      kind: 'economy',
      implementation: v.implementation,
      variant: v.variant,
      assemblies,
      enablingMs: SETTINGS.economyEnablingMs,
      disablingMs: SETTINGS.economyDisablingMs,
      bundle: BUNDLE,
      workDir: path.join(WORK, 'economy', name),
    });
  }
  progress(`API economy: create, no-op update, key rotation and delete of one stream, ${jobs.length} local clouds at once`);
  return Promise.all(jobs.map((job) => runWorker<EconomyResult>(job)));
}

// ---- 3. signal latency ---------------------------------------------------------------------------

/** The seeded ENABLING durations, in milliseconds. */
function enablingDurations(): number[] {
  const random = seededRandom(SETTINGS.latencySeed);
  return Array.from({ length: SETTINGS.latencyLifecycles }, () =>
    Math.round(SETTINGS.enablingMinMs + random() * (SETTINGS.enablingMaxMs - SETTINGS.enablingMinMs)));
}

async function measureLatency(): Promise<NonNullable<BenchResults['latency']>> {
  const enablingMs = enablingDurations();
  const all = enablingMs.map((_, i) => i);
  const assembly = (implementation: Implementation) =>
    synthesize(path.join(WORK, 'latency', implementation), implementation, { streams: SETTINGS.latencyLifecycles });
  const common = { kind: 'latency' as const, enablingMs, spacingMs: SETTINGS.spacingMs, bundle: BUNDLE };
  const library = assembly('library');
  const jobs: LatencyJob[] = [];
  for (let shard = 0; shard < SETTINGS.libraryShards; shard++) {
    jobs.push({
      ...common,
      implementation: 'library',
      assembly: library,
      indices: all.filter((i) => i % SETTINGS.libraryShards === shard),
      concurrency: SETTINGS.libraryConcurrency,
      settleSeconds: '0',
      workDir: path.join(WORK, 'latency', `library-${shard}`),
    });
  }
  const settleJob: LatencyJob = {
    ...common,
    implementation: 'library',
    assembly: library,
    indices: all.slice(0, SETTINGS.settleSampleLifecycles),
    concurrency: SETTINGS.libraryConcurrency,
    workDir: path.join(WORK, 'latency', 'library-settle'),
  };
  jobs.push({
    ...common,
    implementation: 'provider',
    assembly: assembly('provider'),
    indices: all,
    concurrency: SETTINGS.providerConcurrency,
    workDir: path.join(WORK, 'latency', 'provider'),
  });
  jobs.push({
    ...common,
    implementation: 'awsCustomResource',
    assembly: assembly('awsCustomResource'),
    indices: all,
    concurrency: SETTINGS.awsCustomResourceConcurrency,
    workDir: path.join(WORK, 'latency', 'awsCustomResource'),
  });
  progress(`signal latency: ${SETTINGS.latencyLifecycles} creates per implementation (ENABLING ${SETTINGS.enablingMinMs / 1000}–${SETTINGS.enablingMaxMs / 1000} s, seed ${SETTINGS.latencySeed}), ${jobs.length + 1} local clouds at once`);
  const [results, settle] = await Promise.all([Promise.all(jobs.map((job) => runWorker<LatencyResult>(job))), runWorker<LatencyResult>(settleJob)]);
  const summarize = (implementation: Implementation) => {
    const mine = results.filter((r) => r.implementation === implementation);
    const samples = mine.flatMap((r) => r.samples);
    const values = samples.map((s) => s.afterEnabledMs);
    return {
      lifecycles: samples.length,
      succeeded: samples.filter((s) => s.status === 'SUCCESS').length,
      p50Ms: percentile(values, 50),
      p95Ms: percentile(values, 95),
      minMs: Math.min(...values),
      maxMs: Math.max(...values),
      throttled: mine.reduce((sum, r) => sum + r.throttled, 0),
      queryIntervalSeconds: mine[0].queryIntervalSeconds,
      samples,
    };
  };
  const settleValues = settle.samples.map((s) => s.afterEnabledMs);
  return {
    enablingMs,
    library: summarize('library'),
    provider: summarize('provider'),
    awsCustomResource: summarize('awsCustomResource'),
    settle: {
      defaultSeconds: 5,
      lifecycles: settle.samples.length,
      p50Ms: percentile(settleValues, 50),
      maxMs: Math.max(...settleValues),
      throttled: settle.throttled,
    },
  };
}

// ---- 6. scale -----------------------------------------------------------------------------------

/** Seeded ENABLING durations of `count` streams, 1–20 s. */
function scaleDurations(count: number): number[] {
  const random = seededRandom(SETTINGS.scaleSeed);
  return Array.from({ length: count }, () =>
    Math.round(SETTINGS.enablingMinMs + random() * (SETTINGS.enablingMaxMs - SETTINGS.enablingMinMs)));
}

/** N creates in one stack, each N on a local cloud of its own, one N after the other (so they do not share the CPU). */
async function measureScale(): Promise<NonNullable<BenchResults['scale']>> {
  const out: Array<NonNullable<BenchResults['scale']>[number]> = [];
  for (const streams of SETTINGS.scaleStreams) {
    // SettleSeconds 0: the settle time is a prop (default 5 s), and the bound has none.
    const assembly = synthesize(path.join(WORK, 'scale', `library-${streams}`), 'library', { streams, sharedKey: true, settleSeconds: 0 });
    progress(`scale: ${streams} creates in one stack at once (one shared key, SettleSeconds 0, ENABLING ${SETTINGS.enablingMinMs / 1000}–${SETTINGS.enablingMaxMs / 1000} s, seed ${SETTINGS.scaleSeed}), Firehose limits in force`);
    const result = await runWorker<ScaleResult>({ kind: 'scale', assembly, enablingMs: scaleDurations(streams), bundle: BUNDLE });
    const figures = scaleFiguresOf(result);
    progress(`scale: N = ${streams}: wall ${figures.wallSeconds.toFixed(1)} s, bound ${figures.boundSeconds.toFixed(1)} s, ratio ${figures.ratio.toFixed(2)}; `
      + `Describe ${figures.describeCalls}, throttled ${figures.throttledCalls} ${JSON.stringify(figures.throttledByOperation)}`);
    out.push(figures);
  }
  return out;
}

// ---- the run -------------------------------------------------------------------------------------

/** What to do: which parts to run, or only re-render. */
interface Options {
  readonly parts: readonly Part[];
  readonly render: boolean;
}

/** `--only a,b` / `--only=a,b` / `BENCH_ONLY=a,b`; `--render` / `BENCH_RENDER=1`. */
function optionsOf(argv: readonly string[], env: NodeJS.ProcessEnv): Options {
  let only = env.BENCH_ONLY;
  let render = env.BENCH_RENDER === '1' || env.BENCH_RENDER === 'true';
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--render') render = true;
    else if (arg === '--only') only = argv[++i];
    else if (arg.startsWith('--only=')) only = arg.slice('--only='.length);
    else throw new Error(`unknown argument ${arg}: use --only <${PARTS.join('|')}>[,…] or --render`);
  }
  if (only === undefined || only === '') return { parts: PARTS, render };
  const parts = only.split(',').map((x) => x.trim()).filter(Boolean);
  const unknown = parts.filter((x) => !(PARTS as readonly string[]).includes(x));
  if (unknown.length) throw new Error(`unknown part ${unknown.join(', ')}: the parts are ${PARTS.join(', ')}`);
  return { parts: parts as Part[], render };
}

function readResults(): BenchResults | undefined {
  return fs.existsSync(RESULTS) ? JSON.parse(fs.readFileSync(RESULTS, 'utf8')) as BenchResults : undefined;
}

/** Prints the table and rewrites the docs table. */
function publish(results: BenchResults): void {
  process.stdout.write(renderTable(results));
  writeDocsTable(DOCS, results);
  process.stdout.write(`\nthe figures table of ${path.relative(ROOT, DOCS)} is rewritten\n`);
}

async function main(): Promise<void> {
  const options = optionsOf(process.argv.slice(2), process.env);
  if (options.render) {
    const found = readResults();
    if (!found) throw new Error(`${path.relative(ROOT, RESULTS)} is missing: run npm run bench first`);
    publish({ ...found, targets: targetsOf(found) });
    return;
  }
  const began = Date.now();
  const want = (part: Part) => options.parts.includes(part);
  for (const file of [BUNDLE, path.join(GUARD_DIR, 'index.js'), `${path.dirname(BUNDLE)}.zip`, GUARD_ZIP]) {
    if (!fs.existsSync(file)) throw new Error(`${file} is missing: run npx projen bundle:handler (npm run bench does)`);
  }
  fs.rmSync(WORK, { recursive: true, force: true });
  fs.mkdirSync(WORK, { recursive: true });
  buildChildren();

  const measured: Partial<BenchResults> & { -readonly [K in Part]?: BenchResults[K] } & { composition?: BenchResults['composition']; guard?: BenchResults['guard'] } = {};
  let assemblies: Record<Implementation, string> | undefined;
  if (want('footprint')) {
    progress(`footprint: synthesizing ${IMPLEMENTATIONS.length} × ${SETTINGS.footprintStreams.length} stacks`);
    const f = measureFootprint();
    measured.footprint = f.footprint;
    assemblies = f.assemblies;
  }
  if (want('handlers')) {
    assemblies ??= Object.fromEntries(IMPLEMENTATIONS.map((i) =>
      [i, synthesize(path.join(WORK, 'footprint', `${i}-1`), i, { streams: 1 })])) as Record<Implementation, string>;
    measured.handlers = measureHandlers(assemblies);
    measured.guard = measureGuard();
    measured.composition = await bundleComposition();
  }
  if (want('coldStart')) {
    progress(`cold start of the handler: require and first events, ${SETTINGS.coldStartRuns} fresh processes`);
    measured.coldStart = await runWorker<ColdStartResult>({ kind: 'coldStart', bundle: BUNDLE, runs: SETTINGS.coldStartRuns });
  }
  if (want('synth')) measured.synth = measureSynth();
  if (want('economy')) measured.economy = await measureEconomy();
  if (want('latency')) measured.latency = await measureLatency();
  if (want('scale')) measured.scale = await measureScale();

  // A run of some parts keeps the other parts of the results it finds.
  const earlier = options.parts.length < PARTS.length ? readResults() : undefined;
  const thisRun = { generatedAt: new Date(began).toISOString(), loadAverage: LOAD_AT_START };
  const runs = { ...(earlier?.runs ?? {}) };
  for (const part of options.parts) runs[part] = thisRun;
  const results: BenchResults = {
    ...(earlier ?? {}),
    generatedAt: thisRun.generatedAt,
    machine: {
      node: process.version,
      platform: `${os.platform()} ${os.arch()}`,
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      awsCdkLib: (JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', 'aws-cdk-lib', 'package.json'), 'utf8')) as { version: string }).version,
    },
    settings: SETTINGS,
    loadAverage: { atStart: LOAD_AT_START, atEnd: os.loadavg() },
    runs,
    ...measured,
    elapsedMs: Date.now() - began,
  };
  results.targets = targetsOf(results);
  fs.writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
  publish(results);
  process.stdout.write(`written to ${path.relative(ROOT, RESULTS)}; the run took ${(results.elapsedMs / 1000).toFixed(0)} s\n`);
  fs.rmSync(WORK, { recursive: true, force: true });
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
