/**
 * Shared set-up of the lifecycle scenarios: a local cloud, the local CloudFormation driving the
 * real handler bundle, stacks synthesized with the real constructs, and the assertions every
 * scenario makes about an answer. What a stream looks like is in `firehose-harness.ts` and
 * `kinesis-harness.ts`.
 */
import { execSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { LocalCloud, LocalCloudOptions, startLocalCloud } from '../../tools/local-cloud';
import { DEFAULT_GUARD_BUNDLE, DEFAULT_HANDLER_BUNDLE, LocalCloudFormation, StepResult } from '../../tools/local-cloud/cfn';
import { newestBundleSource } from '../bundle-sources';

const ROOT = path.join(__dirname, '..', '..');

/** The account and region of the local cloud and of every synthesized stack. */
export const ENV = { account: '123456789012', region: 'us-east-1' };

/**
 * How late a loaded machine may run a timer or deliver an answer. Upper bounds on
 * when an answer arrives add this, so the scenarios assert what happened and in
 * which order, never how fast this machine happened to be.
 */
export const SCHEDULING_SLACK_MS = 5_000;

/**
 * Builds the bundles (the handler's and the guard's) when one is missing or older than their
 * sources (`npm test` builds them first). One jest worker builds while the others wait for it.
 */
export function ensureBundle(): void {
  const fresh = () => [DEFAULT_HANDLER_BUNDLE, DEFAULT_GUARD_BUNDLE]
    .every((bundle) => fs.existsSync(bundle) && fs.statSync(bundle).mtimeMs >= newestBundleSource());
  if (fresh()) return;
  const lock = path.join(os.tmpdir(), 'cdk-stream-encryption-bundle.lock');
  const until = Date.now() + 120_000;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > until) throw new Error(`Waited too long for ${lock}; remove it if no build is running`);
      execSync('sleep 0.2');
      if (fresh()) return;
    }
  }
  try {
    if (!fresh()) execSync('npx projen bundle:handler', { cwd: ROOT, stdio: 'pipe' });
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

/**
 * Synthesizes a stack built by `build` with the real constructs and returns its cloud assembly
 * directory (in a fresh temporary directory).
 */
export function synthStack(stackName: string, build: (stack: Stack) => void): string {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), `lifecycle-${stackName}-`));
  const app = new App({ outdir });
  build(new Stack(app, stackName, { env: ENV }));
  return app.synth().directory;
}

/** Built-in rate limits off, except where a scenario sets them: timings are the handler's own. */
export const UNTHROTTLED: LocalCloudOptions['throttle'] = {
  'DescribeDeliveryStream': null,
  'StartDeliveryStreamEncryption': null,
  'StopDeliveryStreamEncryption': null,
  'TagDeliveryStream': null,
  'UntagDeliveryStream': null,
  'ListTagsForDeliveryStream': null,
  '*': null,
};

/** A running local cloud with its local CloudFormation. */
export interface Harness {
  readonly cloud: LocalCloud;
  readonly cfn: LocalCloudFormation;
  /** Stops the driver and the cloud. */
  stop(): Promise<void>;
}

/**
 * Starts a local cloud (with `options`) and a local CloudFormation for it. The handler and the
 * guard are the bundles in their asset folders, or the files named by `LIFECYCLE_HANDLER_BUNDLE`
 * and `LIFECYCLE_GUARD_BUNDLE` (to run the scenarios against another build).
 */
export async function startHarness(options: LocalCloudOptions = {}): Promise<Harness> {
  const bundle = process.env.LIFECYCLE_HANDLER_BUNDLE;
  const guardBundle = process.env.LIFECYCLE_GUARD_BUNDLE;
  // The stacks' staged assets are copies of the asset folders: they are built even when both are given.
  ensureBundle();
  // The tests' own SDK clients run on the local Node.js; the handler's Lambda runtime is newer.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const cloud = await startLocalCloud(options);
  const cfn = await LocalCloudFormation.start(cloud, { bundle, guardBundle });
  return {
    cloud,
    cfn,
    async stop() {
      await cfn.stop();
      await cloud.stop();
    },
  };
}

/** Calls that took effect (and all calls) on one stream, of either kind. */
export interface StreamCalls {
  /** Accepted Start calls (`StartDeliveryStreamEncryption`, `StartStreamEncryption`). */
  readonly start: number;
  /** Accepted Stop calls. */
  readonly stop: number;
  /** Every Start call, refused ones included. */
  readonly startCalls: number;
  /** Every Stop call, refused ones included. */
  readonly stopCalls: number;
  /** Every Describe call (`DescribeDeliveryStream`, `DescribeStreamSummary`). */
  readonly describe: number;
  /** Every call of any operation naming the stream. */
  readonly all: number;
}

/** The calls made on a stream so far, given the names of its kind's Start, Stop and Describe operations. */
export function streamCallsOn(cloud: LocalCloud, stream: string, operations: { start: string; stop: string; describe: string }): StreamCalls {
  const c = cloud.control;
  return {
    start: c.calls(operations.start, stream).accepted,
    stop: c.calls(operations.stop, stream).accepted,
    startCalls: c.calls(operations.start, stream).total,
    stopCalls: c.calls(operations.stop, stream).total,
    describe: c.calls(operations.describe, stream).total,
    all: c.calls(undefined, stream).total,
  };
}

/**
 * The answer arrived in time: before the resource's `ServiceTimeout` and the function's own
 * deadline, and the handler returned before its deadline.
 */
export function expectAnsweredInTime(result: StepResult): void {
  expect(result.status).not.toBe('TIMED_OUT');
  expect(result.answeredAtMs).toBeDefined();
  expect(result.answeredAtMs!).toBeLessThan(result.serviceTimeoutMs);
  expect(result.answeredAtMs!).toBeLessThanOrEqual(result.lambdaTimeoutMs);
  expect(result.lambdaTimedOut).toBe(false);
  expect(result.handlerReturnedAtMs).toBeDefined();
  expect(result.handlerReturnedAtMs!).toBeLessThanOrEqual(result.lambdaTimeoutMs);
  expect(result.handlerError).toBeUndefined();
  expect(result.invalidResponse).toBeUndefined();
}

/** The handler's log never shows the response URL (a credential), and it logged its answer. */
export function expectCleanLog(result: StepResult): void {
  const text = result.logs.map((l) => l.line).join('\n');
  expect(text).not.toContain(result.responseUrlSignature);
  expect(text).not.toContain('/cfn-response/');
  const answer = result.logs.find((l) => l.json?.action === 'answer');
  if (result.status !== 'TIMED_OUT') expect(answer?.json?.status).toBe(result.status);
}

/** The JSON log lines of an action (`decide`, `respond`, …). */
export function logLines(result: StepResult, action: string): Array<Readonly<Record<string, unknown>>> {
  return result.logs.filter((l) => l.json?.action === action).map((l) => l.json!);
}

/** Resolves once `predicate` holds, polling every few milliseconds; rejects after `timeoutMs`. */
export async function waitFor(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > until) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A fresh KMS key ARN in the local cloud's account, with a readable id. */
export function newKeyArn(cloud: LocalCloud, id: string): string {
  return cloud.control.registerKey({ arn: `arn:aws:kms:${ENV.region}:${ENV.account}:key/${id}` }).Arn;
}
