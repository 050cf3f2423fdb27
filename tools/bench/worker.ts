/**
 * One lifecycle job of the benchmark, in a process of its own (each with its own local cloud, so
 * that each implementation has its own account's rate limits and the process-wide environment
 * of its handlers): signal latency over many creates, the API calls of one stream's create,
 * no-op update, key rotation and delete, this library's cold start, or N creates in one stack
 * under the account's rate limits (scale). Started by `bench/index.ts` with a job as its argument;
 * sends its result back over the IPC channel.
 *
 * @module
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LocalCloud, startLocalCloud } from '../local-cloud';
import { AltStack, AltStepResult, awsCustomResourceRuntime, Invoke, keyOf, modelOf, providerRuntime } from './alt-driver';
import { ENV, Implementation, streamName } from './apps';
import { ColdStartJob, ColdStartResult, runColdStart } from './cold-start';
import { AcceptedStart, inBatches } from './stats';
import { LocalCloudFormation, ResponseServer, StepResult } from '../local-cloud/cfn';
import type { DeliveryStreamSnapshot } from '../local-cloud/services/firehose';

/** A latency job: creates of the streams `indices`, each with its ENABLING duration. */
export interface LatencyJob {
  readonly kind: 'latency';
  readonly implementation: Implementation;
  /** The synthesized cloud assembly with (at least) these streams. */
  readonly assembly: string;
  readonly indices: readonly number[];
  /** ENABLING duration of stream `i`, in milliseconds. */
  readonly enablingMs: readonly number[];
  /** At most this many creates at once. */
  readonly concurrency: number;
  /** At least this long between two creates starting, in milliseconds (keeps Start under its rate). */
  readonly spacingMs: number;
  /** `SettleSeconds` to send (this library only); the template's when absent. */
  readonly settleSeconds?: string;
  /** The handler bundle (this library). */
  readonly bundle: string;
  /** Scratch folder under the repository. */
  readonly workDir: string;
}

/** One create of a latency job. */
export interface LatencySample {
  readonly stream: string;
  readonly enablingMs: number;
  readonly status: string;
  /** Answer arrival minus the moment the stream became ENABLED (local-cloud time), in milliseconds. */
  readonly afterEnabledMs: number;
}

/** What a latency job measured. */
export interface LatencyResult {
  readonly kind: 'latency';
  readonly implementation: Implementation;
  readonly samples: readonly LatencySample[];
  /** Calls the local cloud answered with ThrottlingException (0 when the figures are clean). */
  readonly throttled: number;
  /** The waiter's query interval (Provider only), in seconds. */
  readonly queryIntervalSeconds?: number;
}

/** An economy job: one stream through create, no-op update, key rotation and delete. */
export interface EconomyJob {
  readonly kind: 'economy';
  readonly implementation: Implementation;
  /** Label of the variant (e.g. AwsCustomResource with onUpdate). */
  readonly variant?: string;
  /** Assemblies: v1, v2 (only the timeout changed), v3 (a new key). */
  readonly assemblies: readonly [string, string, string];
  readonly enablingMs: number;
  readonly disablingMs: number;
  readonly bundle: string;
  readonly workDir: string;
}

/** The calls of one phase on the stream. */
export interface PhaseCalls {
  readonly phase: 'create' | 'no-op update' | 'key rotation' | 'delete';
  readonly describe: number;
  readonly start: number;
  readonly startRefused: number;
  readonly stop: number;
  readonly describeKey: number;
  /** The answers CloudFormation got in this phase. */
  readonly answers: readonly string[];
  /** The stream's encryption once the phase had settled: status and whether the key is the wanted one. */
  readonly encryption: string;
  readonly wantedKey: boolean;
}

/** What an economy job measured. */
export interface EconomyResult {
  readonly kind: 'economy';
  readonly implementation: Implementation;
  readonly variant?: string;
  readonly phases: readonly PhaseCalls[];
}

/**
 * A scale job: one stack of N `DeliveryStreamEncryption` resources on imported streams that share
 * one key, deployed at once on a local cloud of its own with Firehose's default rate limits, each
 * stream with its seeded ENABLING duration.
 */
export interface ScaleJob {
  readonly kind: 'scale';
  /** The synthesized cloud assembly: N streams, one shared key, `SettleSeconds` 0. */
  readonly assembly: string;
  /** ENABLING duration of stream `i`, in milliseconds (N of them). */
  readonly enablingMs: readonly number[];
  readonly bundle: string;
}

/** The calls of one Firehose operation in a scale job. */
export interface OperationCalls {
  readonly total: number;
  readonly accepted: number;
  readonly throttled: number;
  readonly failed: number;
}

/** When a stream's Start was accepted (local-cloud time), and its seeded ENABLING duration. */
export type { AcceptedStart };

/** What a scale job measured (the bound and the ratio are the report's). */
export interface ScaleResult {
  readonly kind: 'scale';
  readonly streams: number;
  /** Stack status at the end of the deployment. */
  readonly stackStatus: string;
  /** Deploy start to stack complete, in milliseconds. */
  readonly wallMs: number;
  /** Resources answered SUCCESS (N when the run counts). */
  readonly succeeded: number;
  /** `StartDeliveryStreamEncryption` calls accepted (N when the run counts). */
  readonly startsAccepted: number;
  /** Every accepted Start: its stream, when, and the stream's seeded ENABLING. */
  readonly starts: readonly AcceptedStart[];
  /** Every Firehose operation's calls, by operation name. */
  readonly operations: Readonly<Record<string, OperationCalls>>;
}

export type Job = LatencyJob | EconomyJob | ColdStartJob | ScaleJob;
export type JobResult = LatencyResult | EconomyResult | ColdStartResult | ScaleResult;

/** Records, per stream, when its ENABLING ends (local-cloud time), as soon as a Start makes it so. */
class EnablingWatch {
  private readonly pending = new Set<string>();
  private readonly seen = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly cloud: LocalCloud) {
    this.timer = setInterval(() => this.poll(), 10);
  }

  /** Start watching a stream (before its create is sent). */
  public watch(stream: string): void {
    this.pending.add(stream);
  }

  /** When the stream's ENABLING ends (polls once more if needed). */
  public completesAt(stream: string): number | undefined {
    this.poll();
    return this.seen.get(stream);
  }

  public stop(): void {
    clearInterval(this.timer);
  }

  private poll(): void {
    for (const stream of this.pending) {
      const change = this.cloud.control.stream(stream)?.pendingChange;
      if (change?.kind === 'ENABLING') {
        this.seen.set(stream, change.completesAt);
        this.pending.delete(stream);
      }
    }
  }
}

/** Serializes starts at least `spacingMs` apart. */
function spacer(spacingMs: number): () => Promise<void> {
  let next = 0;
  return async () => {
    const now = Date.now();
    const at = Math.max(now, next);
    next = at + spacingMs;
    if (at > now) await new Promise((resolve) => setTimeout(resolve, at - now));
  };
}

function throttledCalls(cloud: LocalCloud): number {
  return Object.values(cloud.control.callCounts().operations).reduce((sum, t) => sum + t.throttled, 0);
}

/** The handler of an alternative, loaded from its synthesized stack. */
function alternativeInvoke(
  implementation: Implementation,
  assembly: string,
  responses: ResponseServer,
  workDir: string,
): { invoke: Invoke; queryIntervalSeconds?: number } {
  const model = modelOf(assembly);
  if (implementation === 'provider') {
    const runtime = providerRuntime({ assemblyDir: assembly, model, workDir: path.join(workDir, 'provider-handlers'), responses });
    return { invoke: runtime.invoke, queryIntervalSeconds: runtime.retry.IntervalSeconds };
  }
  return { invoke: awsCustomResourceRuntime(assembly, model, responses) };
}

const RESOURCE_TYPES: Record<Exclude<Implementation, 'library'>, string> = {
  provider: 'AWS::CloudFormation::CustomResource',
  awsCustomResource: 'Custom::AWS',
};

async function runLatency(job: LatencyJob): Promise<LatencyResult> {
  const cloud = await startLocalCloud({ region: ENV.region, accountId: ENV.account });
  Object.assign(process.env, cloud.env());
  const names = job.indices.map(streamName);
  job.indices.forEach((i) => {
    cloud.control.createStream({ name: streamName(i) });
    cloud.control.setStreamDelays(streamName(i), { enablingMs: job.enablingMs[i] });
  });
  const watch = new EnablingWatch(cloud);
  const gate = spacer(job.spacingMs);
  const offset = (): number => cloud.control.now() - Date.now();
  let queryIntervalSeconds: number | undefined;
  let create: (name: string) => Promise<{ status: string; answeredAt?: number }>;
  let stop: () => Promise<void>;

  if (job.implementation === 'library') {
    const cfn = await LocalCloudFormation.start(cloud, { bundle: job.bundle });
    const stack = cfn.stack(job.assembly);
    stack.prepare();
    create = async (name) => {
      const options = job.settleSeconds === undefined ? {} : { properties: { SettleSeconds: job.settleSeconds } };
      const step: StepResult = await stack.resourceForStream(name).create(options);
      return { status: step.status, answeredAt: step.answeredAtMs === undefined ? undefined : step.startedAt + step.answeredAtMs };
    };
    stop = () => cfn.stop();
  } else {
    const responses = await ResponseServer.start();
    const alt = alternativeInvoke(job.implementation, job.assembly, responses, job.workDir);
    queryIntervalSeconds = alt.queryIntervalSeconds;
    const stack = new AltStack(cloud, responses, job.assembly, RESOURCE_TYPES[job.implementation], alt.invoke);
    create = async (name) => {
      const step: AltStepResult = await stack.create(stack.resourceForStream(name));
      return { status: step.status, answeredAt: step.answeredAt };
    };
    stop = () => responses.stop();
  }

  const samples = await inBatches(names.map((name, k) => async (): Promise<LatencySample> => {
    await gate();
    watch.watch(name);
    const answer = await create(name);
    const enabledAt = watch.completesAt(name);
    const enablingMs = job.enablingMs[job.indices[k]];
    const afterEnabledMs = answer.answeredAt === undefined || enabledAt === undefined ? NaN : answer.answeredAt + offset() - enabledAt;
    return { stream: name, enablingMs, status: answer.status, afterEnabledMs };
  }), job.concurrency);
  watch.stop();
  const throttled = throttledCalls(cloud);
  await stop();
  await cloud.stop();
  return { kind: 'latency', implementation: job.implementation, samples, throttled, queryIntervalSeconds };
}

/** Waits until the stream has no encryption change under way. */
async function settled(cloud: LocalCloud, stream: string): Promise<void> {
  while (cloud.control.stream(stream)?.pendingChange) await new Promise((resolve) => setTimeout(resolve, 50));
}

async function runEconomy(job: EconomyJob): Promise<EconomyResult> {
  const delays = { enablingMs: job.enablingMs, disablingMs: job.disablingMs };
  const cloud = await startLocalCloud({ region: ENV.region, accountId: ENV.account, delays });
  Object.assign(process.env, cloud.env());
  const stream = streamName(0);
  cloud.control.createStream({ name: stream });
  const [v1, v2, v3] = job.assemblies;
  const counts = () => ({
    describe: cloud.control.calls('DescribeDeliveryStream', stream).total,
    start: cloud.control.calls('StartDeliveryStreamEncryption', stream).total,
    startAccepted: cloud.control.calls('StartDeliveryStreamEncryption', stream).accepted,
    stop: cloud.control.calls('StopDeliveryStreamEncryption', stream).total,
    describeKey: cloud.control.calls('kms:DescribeKey').total,
  });
  const phases: PhaseCalls[] = [];
  const phase = async (name: PhaseCalls['phase'], wantedKey: string | undefined, run: () => Promise<string[]>): Promise<void> => {
    const before = counts();
    const answers = await run();
    await settled(cloud, stream);
    const after = counts();
    const enc = cloud.control.stream(stream)?.description.DeliveryStreamEncryptionConfiguration;
    phases.push({
      phase: name,
      describe: after.describe - before.describe,
      start: after.start - before.start,
      startRefused: after.start - after.startAccepted - (before.start - before.startAccepted),
      stop: after.stop - before.stop,
      describeKey: after.describeKey - before.describeKey,
      answers,
      encryption: enc?.Status ?? 'DISABLED',
      wantedKey: wantedKey === undefined ? (enc?.Status ?? 'DISABLED') === 'DISABLED' : enc?.KeyARN === wantedKey,
    });
  };
  const type = job.implementation === 'library' ? 'Custom::DeliveryStreamEncryption' : RESOURCE_TYPES[job.implementation];
  /** The key a template asks for the stream. */
  const wanted = (dir: string): string | undefined => {
    const m = modelOf(dir);
    return keyOf(m.properties(m.idsOfType(type)[0]));
  };

  if (job.implementation === 'library') {
    const cfn = await LocalCloudFormation.start(cloud, { bundle: job.bundle });
    const stack = cfn.stack(v1);
    const answersOf = (steps: readonly StepResult[]) => steps.map((s) => {
      const seen = (s.observedAtAnswer as DeliveryStreamSnapshot | null | undefined)?.description.DeliveryStreamEncryptionConfiguration?.Status ?? 'DISABLED';
      return `${s.requestType} ${s.status}${s.reasonId ? ` ${s.reasonId}` : ''} (stream ${seen})`;
    });
    await phase('create', wanted(v1), async () => answersOf((await stack.deploy()).steps));
    await phase('no-op update', wanted(v2), async () => answersOf((await stack.update(v2)).steps));
    await phase('key rotation', wanted(v3), async () => answersOf((await stack.update(v3)).steps));
    await phase('delete', undefined, async () => answersOf((await stack.destroy()).steps));
    await cfn.stop();
  } else {
    const responses = await ResponseServer.start();
    const alt = alternativeInvoke(job.implementation, v1, responses, job.workDir);
    const observe = (): string => cloud.control.stream(stream)?.description.DeliveryStreamEncryptionConfiguration?.Status ?? 'DISABLED';
    const stack = new AltStack(cloud, responses, v1, RESOURCE_TYPES[job.implementation], alt.invoke, undefined, observe);
    const answersOf = (steps: readonly AltStepResult[]) => steps.map((s) =>
      `${s.requestType} ${s.status}${s.status === 'FAILED' ? `: ${s.reason.split('\n')[0].slice(0, 200)}` : ''} (stream ${s.observedAtAnswer})`);
    await phase('create', wanted(v1), async () => answersOf((await stack.deploy()).steps));
    await phase('no-op update', wanted(v2), async () => answersOf((await stack.update(v2)).steps));
    await phase('key rotation', wanted(v3), async () => answersOf((await stack.update(v3)).steps));
    await phase('delete', undefined, async () => answersOf((await stack.destroy()).steps));
    await responses.stop();
  }
  await cloud.stop();
  return { kind: 'economy', implementation: job.implementation, variant: job.variant, phases };
}

/**
 * Records when each stream's Start was accepted: the moment its ENABLING began, as the local cloud
 * shows it (the change completes at acceptance + the stream's ENABLING duration).
 */
class StartWatch {
  private readonly pending: Map<string, number>;
  private readonly seen: AcceptedStart[] = [];
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly cloud: LocalCloud, enablingMs: ReadonlyMap<string, number>) {
    this.pending = new Map(enablingMs);
    this.timer = setInterval(() => this.poll(), 20);
  }

  /** Every accepted Start seen so far (polls once more). */
  public accepted(): readonly AcceptedStart[] {
    this.poll();
    return this.seen;
  }

  public stop(): void {
    clearInterval(this.timer);
  }

  private poll(): void {
    for (const [stream, enablingMs] of this.pending) {
      const snapshot = this.cloud.control.stream(stream);
      const change = snapshot?.pendingChange;
      const enabled = snapshot?.description.DeliveryStreamEncryptionConfiguration?.Status === 'ENABLED';
      if (change?.kind === 'ENABLING') {
        this.seen.push({ stream, acceptedAt: change.completesAt - enablingMs, enablingMs });
        this.pending.delete(stream);
      } else if (enabled) {
        // ENABLING came and went between two polls (it lasts at least a second): not counted, and
        // the job fails on the count.
        this.pending.delete(stream);
      }
    }
  }
}

async function runScale(job: ScaleJob): Promise<ScaleResult> {
  // The default rate limits of the local cloud: DescribeDeliveryStream 10/s, Start, Stop and the tag
  // operations 5/s each, per account (tools/local-cloud/services/firehose/operations.ts).
  const cloud = await startLocalCloud({ region: ENV.region, accountId: ENV.account });
  Object.assign(process.env, cloud.env());
  const durations = new Map(job.enablingMs.map((ms, i) => [streamName(i), ms] as const));
  for (const [name, enablingMs] of durations) {
    cloud.control.createStream({ name });
    cloud.control.setStreamDelays(name, { enablingMs });
  }
  const cfn = await LocalCloudFormation.start(cloud, { bundle: job.bundle });
  const stack = cfn.stack(job.assembly);
  const streams = stack.customResourceIds().length;
  if (streams !== job.enablingMs.length) throw new Error(`scale: the stack has ${streams} resources for ${job.enablingMs.length} streams`);
  const watch = new StartWatch(cloud, durations);
  const deployed = await stack.deploy();
  const starts = watch.accepted();
  watch.stop();
  const operations: Record<string, OperationCalls> = {};
  for (const [id, tally] of Object.entries(cloud.control.callCounts().operations)) {
    if (id.startsWith('firehose:')) operations[id.slice('firehose:'.length)] = { ...tally };
  }
  const succeeded = deployed.steps.filter((st) => st.requestType === 'Create' && st.status === 'SUCCESS').length;
  const startsAccepted = cloud.control.calls('StartDeliveryStreamEncryption').accepted;
  await cfn.stop();
  await cloud.stop();
  // The run counts only when every resource succeeded with one Start each: fail loudly otherwise.
  const failures = deployed.steps.filter((st) => st.status !== 'SUCCESS').map((st) => `${st.streamName}: ${st.status} ${st.reason}`);
  if (deployed.status !== 'CREATE_COMPLETE' || succeeded !== streams || startsAccepted !== streams || starts.length !== streams) {
    throw new Error(`scale: N = ${streams}: stack ${deployed.status}, ${succeeded} SUCCESS, ${startsAccepted} Starts accepted, `
      + `${starts.length} ENABLING seen; want ${streams} of each. ${failures.slice(0, 5).join('; ')}`);
  }
  return { kind: 'scale', streams, stackStatus: deployed.status, wallMs: deployed.elapsedMs, succeeded, startsAccepted, starts, operations };
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2] ?? fs.readFileSync(0, 'utf8')) as Job;
  // The handlers log a line per step; the benchmark reports only figures.
  console.log = () => undefined;
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const result = job.kind === 'latency' ? await runLatency(job)
    : job.kind === 'economy' ? await runEconomy(job)
      : job.kind === 'scale' ? await runScale(job)
        : await runColdStart(job);
  await new Promise<void>((resolve, reject) => {
    if (!process.send) {
      process.stdout.write(JSON.stringify(result));
      resolve();
      return;
    }
    process.send(result, (e: Error | null) => (e ? reject(e) : resolve()));
  });
}

if (require.main === module) {
  main().then(() => process.exit(0), (e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
