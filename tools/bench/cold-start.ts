/**
 * The handler's cold start: a fresh Node.js process `require`s the bundle and handles its first
 * event(s) against a local cloud, the answers caught by a loopback response server. Two stacks:
 * Firehose only (one delivery stream event), and mixed (that event, then one data stream event).
 * Both streams are already encrypted as wanted, so each event is one describe, one owner tag and
 * the answer: the figure is what loading the handler and its SDK clients costs, not a wait.
 *
 * @module
 */
import { spawn } from 'node:child_process';
import { LocalCloud, startLocalCloud } from '../local-cloud';
import { ENV } from './apps';
import { median } from './stats';
import { ResponseServer } from '../local-cloud/cfn';

/** A cold-start job: `runs` fresh processes, each loading `bundle` and handling both events. */
export interface ColdStartJob {
  readonly kind: 'coldStart';
  /** The handler bundle. */
  readonly bundle: string;
  readonly runs: number;
}

/** What one fresh process measured, in milliseconds from before its `require` of the bundle. */
export interface ColdStartSample {
  /** The bundle loaded. */
  readonly loadMs: number;
  /** The delivery stream event answered (a Firehose-only stack's cold start). */
  readonly firehoseMs: number;
  /** Then the data stream event answered (a mixed stack's cold start). */
  readonly mixedMs: number;
  /** The `@aws-sdk/client-*` packages loaded after the `require`, after the first and after the second event. */
  readonly clients: { readonly atLoad: readonly string[]; readonly firehose: readonly string[]; readonly mixed: readonly string[] };
}

/** What a cold-start job measured. */
export interface ColdStartResult {
  readonly kind: 'coldStart';
  readonly runs: number;
  readonly loadMedianMs: number;
  readonly firehoseMedianMs: number;
  readonly mixedMedianMs: number;
  /** The SDK clients loaded at each point (the first run's; every run loads the same). */
  readonly clients: ColdStartSample['clients'];
  readonly samples: readonly ColdStartSample[];
}

/** The probe run in a fresh `node`: time the `require`, then each event to its answer. */
const PROBE = [
  "const { performance } = require('node:perf_hooks');",
  'const job = JSON.parse(process.argv[1]);',
  'console.log = () => undefined;',
  'const clients = () => [...new Set(Object.keys(require.cache).map((f) => /@aws-sdk[\\\\/](client-[a-z0-9-]+)[\\\\/]/.exec(f)?.[1]).filter(Boolean))].sort();',
  'const context = { getRemainingTimeInMillis: () => 300000, logStreamName: "bench" };',
  '(async () => {',
  '  const t0 = performance.now();',
  '  const { handler } = require(job.bundle);',
  '  const loadMs = performance.now() - t0;',
  '  const atLoad = clients();',
  '  await handler(job.events[0], context);',
  '  const firehoseMs = performance.now() - t0;',
  '  const firehose = clients();',
  '  await handler(job.events[1], context);',
  '  const mixedMs = performance.now() - t0;',
  '  process.stdout.write(JSON.stringify({ loadMs, firehoseMs, mixedMs, clients: { atLoad, firehose, mixed: clients() } }));',
  '})();',
].join('\n');

/** The stack of the events. */
const STACK_ID = `arn:aws:cloudformation:${ENV.region}:${ENV.account}:stack/ColdStart/00000000-0000-0000-0000-000000000000`;

/** A Create event of `resourceType` answered at `responseUrl`. */
function createEvent(resourceType: string, logicalId: string, responseUrl: string, properties: Record<string, string>): Record<string, unknown> {
  return {
    RequestType: 'Create',
    ServiceToken: 'bench',
    ResponseURL: responseUrl,
    StackId: STACK_ID,
    RequestId: `${logicalId}-create`,
    LogicalResourceId: logicalId,
    ResourceType: resourceType,
    ResourceProperties: { ServiceToken: 'bench', TimeoutSeconds: '60', SettleSeconds: '0', RemovalPolicy: 'destroy', ...properties },
  };
}

/** One fresh process: spawned asynchronously, so that the local cloud in this process answers it. */
function probe(cloud: LocalCloud, responses: ResponseServer, bundle: string): Promise<ColdStartSample> {
  const streamArn = `arn:aws:kinesis:${ENV.region}:${ENV.account}:stream/events`;
  const endpoints = [responses.issue('OrdersSse'), responses.issue('EventsSse')];
  const events = [
    createEvent('Custom::DeliveryStreamEncryption', 'OrdersSse', endpoints[0].url, {
      StreamKind: 'firehose', DeliveryStreamName: 'orders', KeyType: 'AWS_OWNED_CMK',
    }),
    createEvent('Custom::DataStreamEncryption', 'EventsSse', endpoints[1].url, {
      StreamKind: 'kinesis', StreamName: 'events', StreamArn: streamArn, KeyId: 'alias/aws/kinesis',
    }),
  ];
  /** The sample, once both events were answered SUCCESS (a figure of a failing run would mean nothing). */
  const checked = (sample: ColdStartSample): ColdStartSample => {
    for (const endpoint of endpoints) {
      const status = endpoint.puts[0] ? (JSON.parse(endpoint.puts[0].body) as { Status?: string; Reason?: string }) : undefined;
      endpoint.close();
      if (status?.Status !== 'SUCCESS') throw new Error(`cold-start probe: ${endpoint.id} answered ${JSON.stringify(status)}`);
    }
    return sample;
  };
  const env = {
    ...process.env,
    ...cloud.env(),
    STREAM_ENCRYPTION_ALLOW_LOOPBACK_HTTP: 'true',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', PROBE, JSON.stringify({ bundle, events })], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      try {
        if (code !== 0) throw new Error(`cold-start probe exited with ${code}: ${err}`);
        resolve(checked(JSON.parse(out) as ColdStartSample));
      } catch (e) {
        reject(e);
      }
    });
  });
}

/** Runs a cold-start job: a local cloud with both streams encrypted as wanted, then `runs` probes one after the other. */
export async function runColdStart(job: ColdStartJob): Promise<ColdStartResult> {
  const cloud = await startLocalCloud({ region: ENV.region, accountId: ENV.account, throttle: { '*': null, 'DescribeDeliveryStream': null, 'TagDeliveryStream': null, 'DescribeStreamSummary': null, 'AddTagsToStream': null } });
  cloud.control.createStream({ name: 'orders', encryption: { status: 'ENABLED', keyType: 'AWS_OWNED_CMK' } });
  cloud.control.createDataStream({ name: 'events', encryption: { keyId: 'alias/aws/kinesis' } });
  const responses = await ResponseServer.start();
  const samples: ColdStartSample[] = [];
  try {
    for (let run = 0; run < job.runs; run++) samples.push(await probe(cloud, responses, job.bundle));
  } finally {
    await responses.stop();
    await cloud.stop();
  }
  return {
    kind: 'coldStart',
    runs: job.runs,
    loadMedianMs: median(samples.map((s) => s.loadMs)),
    firehoseMedianMs: median(samples.map((s) => s.firehoseMs)),
    mixedMedianMs: median(samples.map((s) => s.mixedMs)),
    clients: samples[0].clients,
    samples,
  };
}
