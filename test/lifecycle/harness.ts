/**
 * Shared set-up of the lifecycle scenarios: a local cloud, the local CloudFormation driving the
 * real handler bundle, stacks synthesized with the real constructs, and the assertions every
 * scenario makes about an answer. What a stream looks like is in `firehose-harness.ts` and
 * `kinesis-harness.ts`.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FirehoseClient, PutRecordCommand } from '@aws-sdk/client-firehose';
import { KinesisClient, PutRecordCommand as PutDataRecordCommand } from '@aws-sdk/client-kinesis';
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { StreamKindValue } from '../../src/private/contract';
import { accessKeyIdForRole, LocalCloud, LocalCloudOptions, startLocalCloud } from '../../tools/local-cloud';
import { LocalCloudFormation, LocalCloudStack, StepResult } from '../../tools/local-cloud/cfn';
import { ensureBundle } from '../bundle-sources';
import { FIREHOSE_RATE_LIMITS_OFF, KINESIS_RATE_LIMITS_OFF } from '../local-cloud/helpers';

/** The account and region of the local cloud and of every synthesized stack. */
export const ENV = { account: '123456789012', region: 'us-east-1' };

/**
 * How late a loaded machine may run a timer or deliver an answer. Upper bounds on
 * when an answer arrives add this, so the scenarios assert what happened and in
 * which order, never how fast this machine happened to be.
 */
export const SCHEDULING_SLACK_MS = 5_000;

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
export const UNTHROTTLED: LocalCloudOptions['throttle'] = FIREHOSE_RATE_LIMITS_OFF;

/** Built-in rate limits of Firehose and Kinesis off, except where a scenario sets them. */
export const KINESIS_UNTHROTTLED: LocalCloudOptions['throttle'] = { ...UNTHROTTLED, ...KINESIS_RATE_LIMITS_OFF };

/** A running local cloud with its local CloudFormation. */
export interface Harness {
  readonly cloud: LocalCloud;
  readonly cfn: LocalCloudFormation;
  /** A Firehose client with the cloud's default credentials, one attempt per call. */
  readonly firehose: FirehoseClient;
  /** A Kinesis client with the cloud's default credentials, one attempt per call. */
  readonly kinesis: KinesisClient;
  /** Stops the clients, the driver and the cloud. */
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
  const firehose = new FirehoseClient({ ...cloud.clientConfig(), maxAttempts: 1 });
  const kinesis = new KinesisClient({ ...cloud.clientConfig(), maxAttempts: 1 });
  return {
    cloud,
    cfn,
    firehose,
    kinesis,
    async stop() {
      firehose.destroy();
      kinesis.destroy();
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

/**
 * Starts a harness with `options` before the tests of the enclosing file (or `describe` block) and
 * stops it after them. `started` runs once it is up, for the block's own set-up: it keeps the
 * harness, and makes what the block's tests share (a stack, an operator's clients); `stopping`
 * runs before the harness stops (those clients go).
 */
export function useHarness(options: LocalCloudOptions, started: (h: Harness) => unknown, stopping?: () => void): void {
  let h: Harness | undefined;
  beforeAll(async () => {
    h = await startHarness(options);
    await started(h);
  }, 120_000);
  afterAll(async () => {
    stopping?.();
    await h?.stop();
  });
}

/** Local-cloud options with both kinds' rate limits off and their Start and Stop taking `changeMs` (streams created at once). */
export function bothKindsOptions(changeMs: number): LocalCloudOptions {
  return {
    throttle: KINESIS_UNTHROTTLED,
    delays: { enablingMs: changeMs, disablingMs: changeMs },
    kinesisDelays: { creatingMs: 0, updatingMs: changeMs },
  };
}

/** Local-cloud options where creating, enabling, disabling and updating a stream of either kind take a second. */
export const ONE_SECOND_CHANGES: LocalCloudOptions = {
  delays: { enablingMs: 1_000, disablingMs: 1_000 },
  kinesisDelays: { creatingMs: 1_000, updatingMs: 1_000 },
};

/**
 * The scenario stack `stackName` (built by `build`) in the harness's local CloudFormation, its
 * custom resources ready to be driven one request at a time.
 */
export function preparedStack(h: Harness, stackName: string, build: (stack: Stack) => void): LocalCloudStack {
  const stack = h.cfn.stack(synthStack(stackName, build));
  stack.prepare();
  return stack;
}

/**
 * Puts one record to the stream `name` of `kind`, as a producer would (the cloud's default
 * credentials); whether the service says it stored the record encrypted (Firehose's `Encrypted`,
 * Kinesis's `EncryptionType` `KMS`).
 */
export async function putRecord(h: Harness, kind: StreamKindValue, name: string, text: string): Promise<boolean | undefined> {
  const data = new TextEncoder().encode(text);
  if (kind === 'firehose') {
    return (await h.firehose.send(new PutRecordCommand({ DeliveryStreamName: name, Record: { Data: data } }))).Encrypted;
  }
  const put = await h.kinesis.send(new PutDataRecordCommand({ StreamName: name, Data: data, PartitionKey: 'p' }));
  return put.EncryptionType === undefined ? undefined : put.EncryptionType === 'KMS';
}

/** A key the template makes and keeps (`RETAIN`): a stack's deletion leaves it for the records. */
export function keptKey(stack: Stack, id: string): kms.Key {
  return new kms.Key(stack, id, { removalPolicy: RemovalPolicy.RETAIN });
}

/** No settle time, where it is not what a scenario is about. */
export const FAST = { SettleSeconds: '0' };

/** Someone with broad rights outside the stack, with clients that act as them. */
export interface Operator {
  /** The operator's role. */
  readonly arn: string;
  /** A Firehose client with the operator's credentials, one attempt per call. */
  readonly firehose: FirehoseClient;
  /** A Kinesis client with the operator's credentials, one attempt per call. */
  readonly kinesis: KinesisClient;
  /** Stops the clients. */
  destroy(): void;
}

/** Defines the role `Operator`, allowed `actions` on every resource, and makes its clients. */
export function defineOperator(h: Harness, actions: string[]): Operator {
  const arn = `arn:aws:iam::${ENV.account}:role/Operator`;
  h.cloud.iam.defineRole(arn, accessKeyIdForRole(arn));
  h.cloud.iam.putPolicy(arn, 'admin', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: actions, Resource: '*' }] });
  const credentials = { accessKeyId: accessKeyIdForRole(arn), secretAccessKey: 'operator', sessionToken: 'operator' };
  const firehose = new FirehoseClient({ ...h.cloud.clientConfig(), credentials, maxAttempts: 1 });
  const kinesis = new KinesisClient({ ...h.cloud.clientConfig(), credentials, maxAttempts: 1 });
  return {
    arn,
    firehose,
    kinesis,
    destroy() {
      firehose.destroy();
      kinesis.destroy();
    },
  };
}

/**
 * How a kind's stream state is read: from the cloud now, and as the driver saw it when the answer
 * arrived, through the one function `of` that reads a snapshot of that kind.
 */
export function stateReaders<Snapshot, State>(
  of: (snapshot: Snapshot | null | undefined) => State | undefined,
  snapshotNow: (cloud: LocalCloud, stream: string) => Snapshot | null | undefined,
): { now(cloud: LocalCloud, stream: string): State | undefined; atAnswer(result: StepResult): State | undefined } {
  return {
    now: (cloud, stream) => of(snapshotNow(cloud, stream)),
    atAnswer: (result) => of(result.observedAtAnswer as Snapshot | null | undefined),
  };
}
