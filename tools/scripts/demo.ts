/**
 * The README's demo: the example app (example/app.ts, with its two delivery streams and its Kinesis
 * data stream) deployed, rotated to new keys and deleted against the local cloud, by the real
 * handler bundle and the real AWS SDK, with CloudFormation's custom-resource lifecycle played by the
 * local driver; between the rotation and the delete, someone outside the stack turns the encryption
 * of `orders` off and the stack's guard turns it back on. Records are written to every stream after each step, and the demo checks that
 * every record written so far can still be read: no key that still protects records may be
 * scheduled for deletion. Prints each change as it happens and a summary, and exits non-zero when a
 * step does not end as the handler's truth table says or a record can no longer be read.
 *
 * Run with `npm run demo` (which bundles the handler first).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FirehoseClient, PutRecordCommand, StopDeliveryStreamEncryptionCommand } from '@aws-sdk/client-firehose';
import { KinesisClient, PutRecordCommand as PutDataRecordCommand } from '@aws-sdk/client-kinesis';
import { buildExampleApp } from '../../example/app';
import { startLocalCloud } from '../local-cloud';
import { DataStreamView, StreamView, watchDataStreams, watchStreams } from './demo-watch';
import { DriverEvent, LocalCloudFormation, LocalCloudStack, StackOperationResult, StepResult } from '../local-cloud/cfn';
import type { DeliveryStreamSnapshot } from '../local-cloud/services/firehose';
import type { DataStreamSnapshot } from '../local-cloud/services/kinesis';

/** Transition times of the local cloud: slow enough to see, fast enough to wait for. */
const DELAYS = { creatingMs: 1_000, enablingMs: 3_000, disablingMs: 2_000, deletingMs: 500 };
const KINESIS_DELAYS = { creatingMs: 1_000, updatingMs: 2_000, deletingMs: 500 };

/** The example's streams: two Firehose delivery streams and a Kinesis data stream. */
const STREAMS: readonly Stream[] = [
  { name: 'orders', kind: 'firehose' },
  { name: 'clicks', kind: 'firehose' },
  { name: 'events', kind: 'kinesis' },
];
const OUT = path.join(__dirname, '..', '..', '.tmp', 'demo');

interface Stream {
  readonly name: string;
  readonly kind: 'firehose' | 'kinesis';
}

/** The API calls that change or read a stream's encryption, by kind of stream. */
const OPERATIONS = {
  firehose: { start: 'StartDeliveryStreamEncryption', stop: 'StopDeliveryStreamEncryption', describe: 'DescribeDeliveryStream' },
  kinesis: { start: 'StartStreamEncryption', stop: 'StopStreamEncryption', describe: 'DescribeStreamSummary' },
};

/** `…/` and the start of a key id, an alias as it is, or the key type for a key owned by AWS. */
function shortKey(key: string | undefined, keyType?: string): string {
  if (key?.startsWith('arn:')) return `…/${key.split('/').pop()!.slice(0, 8)}`;
  return key || keyType || 'none';
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

function describeView(view: StreamView | undefined): string {
  if (!view) return 'gone';
  if (view.streamStatus !== 'ACTIVE') return view.streamStatus;
  return view.encryptionStatus;
}

/** A data stream as `ACTIVE, KMS`, `UPDATING to NONE`, … (during an update Kinesis shows the encryption being applied). */
function describeDataView(view: DataStreamView | undefined): string {
  if (!view) return 'gone';
  if (view.streamStatus === 'UPDATING') return `UPDATING to ${view.encryptionType}`;
  return `${view.streamStatus}, ${view.encryptionType}`;
}

/** What one phase did to one stream. */
interface Row {
  readonly phase: string;
  readonly stream: string;
  readonly answer: string;
  readonly physicalId: string;
  readonly start: number;
  readonly stop: number;
  readonly describe: number;
  readonly answeredMs?: number;
}

const problems: string[] = [];
const rows: Row[] = [];
let written = 0;
/** How long the guard took to put the encryption of orders back, on the local clock. */
let repairedInMs: number | undefined;

/** Records a truth-table check. */
function check(ok: boolean, what: string): void {
  if (!ok) problems.push(what);
}

async function main(): Promise<void> {
  const began = Date.now();
  fs.rmSync(OUT, { recursive: true, force: true });
  console.log('cdk-stream-encryption demo: the example app deployed, rotated and deleted against the local cloud');
  console.log('(the real handler bundle and AWS SDK; CloudFormation\'s custom-resource lifecycle played locally)\n');

  const gen1 = buildExampleApp(path.join(OUT, 'keys-gen1'), { dataStream: true, repair: true }).app.synth().directory;
  const gen2 = buildExampleApp(path.join(OUT, 'keys-gen2'), { keyGeneration: 2, dataStream: true, repair: true }).app.synth().directory;
  console.log(`synthesized StreamEncryptionExample twice: key generation 1 (${path.relative(process.cwd(), gen1)}) and 2 (${path.relative(process.cwd(), gen2)})`);

  const cloud = await startLocalCloud({ delays: DELAYS, kinesisDelays: KINESIS_DELAYS });
  let phaseStart = Date.now();
  const stamp = () => `  ${`+${seconds(Date.now() - phaseStart)}`.padStart(6)}`;
  const onEvent = (event: DriverEvent): void => {
    if (event.kind === 'step-start' && event.streamName) {
      const p = event.properties;
      const key = (p.KeyArn ?? p.KeyId) as string | undefined;
      console.log(`${stamp()} ${event.streamName.padEnd(7)} ${event.requestType} sent (key ${shortKey(key, p.KeyType as string | undefined)})`);
    } else if (event.kind === 'step-end' && event.result.streamName) {
      const r = event.result;
      const answer = r.status === 'TIMED_OUT' ? 'no answer (TIMED OUT)' : `${r.status} ${r.physicalResourceId}${r.reasonId ? ` ${r.reasonId}` : ''}`;
      console.log(`${stamp()} ${r.streamName!.padEnd(7)} ${answer}`);
    } else if (event.kind === 'resource' && event.resourceType === 'AWS::KMS::Key' && event.action === 'deleted') {
      console.log(`${stamp()} key ${shortKey(event.physicalId)} (${event.logicalId}) scheduled for deletion`);
    }
  };
  const cfn = await LocalCloudFormation.start(cloud, { onEvent });
  console.log(`local cloud at ${cloud.endpoint}: Firehose ENABLING ${DELAYS.enablingMs / 1000} s, DISABLING ${DELAYS.disablingMs / 1000} s; ` +
    `Kinesis UPDATING ${KINESIS_DELAYS.updatingMs / 1000} s; both services' default rate limits`);
  // The streams the app imports, created outside the stack as another team or tool would.
  cloud.control.createStream({ name: 'orders' });
  cloud.control.createStream({ name: 'clicks' });
  cloud.control.createDataStream({ name: 'events' });
  console.log('created the streams the app imports, outside the stack: the delivery streams orders and clicks (Direct PUT) and the data stream events, none encrypted');
  // A trail logs management events, and EventBridge gets each as soon as the call is answered.
  cloud.control.setTrailLogging(true, true);
  console.log('a CloudTrail trail logs management events; orders is under the stack\'s guard (repair: true)');

  const stack = cfn.stack(gen1);
  const firehose = new FirehoseClient(cloud.clientConfig());
  const kinesis = new KinesisClient(cloud.clientConfig());
  try {
    const created = await phase('deploy: Create the three stream encryptions', () => stack.deploy());
    judgePhase(stack, created, 'create', { start: 1, stop: 0, encrypted: true });
    await putRecords('after create');

    const rotated = await phase('rotate: deploy key generation 2 (Update with the new keys)', () => stack.update(gen2));
    judgePhase(stack, rotated, 'rotate', { start: 1, stop: 0, encrypted: true });
    judgeRecords('rotate');
    await putRecords('after rotation');

    await drift();
    judgeRecords('drift');
    await putRecords('after the repair');

    const destroyed = await phase('destroy: Delete the three stream encryptions', () => stack.destroy());
    judgePhase(stack, destroyed, 'delete', { start: 0, stop: 1, encrypted: false });
    judgeRecords('delete');
  } finally {
    firehose.destroy();
    kinesis.destroy();
    await cfn.stop();
    await cloud.stop();
  }

  console.log('\nsummary');
  console.log(`  ${'step'.padEnd(7)} ${'stream'.padEnd(7)} ${'answer'.padEnd(8)} ${'physical id'.padEnd(27)} Start  Stop  Describe  answered after`);
  for (const r of rows) {
    console.log(`  ${r.phase.padEnd(7)} ${r.stream.padEnd(7)} ${r.answer.padEnd(8)} ${r.physicalId.padEnd(27)} ${String(r.start).padStart(5)} ${String(r.stop).padStart(5)} ${String(r.describe).padStart(9)}  ${r.answeredMs === undefined ? '-' : seconds(r.answeredMs)}`);
  }
  if (problems.length > 0) {
    console.log(`\nNOT as the truth table says (${problems.length}):`);
    for (const p of problems) console.log(`  - ${p}`);
    process.exitCode = 1;
  } else {
    console.log('\nevery step ended as the truth table says: the delivery streams ENABLED with the right key after create and rotation');
    console.log('and DISABLED after delete, the data stream ACTIVE with the right key, then ACTIVE with encryption NONE;');
    console.log('exactly one Start per create and per rotation and one Stop per delete.');
    console.log(`every one of the ${written} records written can still be read: no key that still protects records was scheduled for deletion.`);
  }
  if (repairedInMs !== undefined) {
    console.log(`drift: someone turned the encryption of orders off; the guard turned it back on in ${seconds(repairedInMs)} (local clock), with the stack's key.`);
  }
  console.log(`done in ${seconds(Date.now() - began)}`);

  /**
   * Someone outside the stack turns the encryption of `orders` off; the CloudTrail event reaches
   * the stack's rule, which invokes the guard; the demo waits until the stream is ENABLED with the
   * stack's key again and measures how long that took on the local cloud's clock.
   */
  async function drift(): Promise<void> {
    console.log('\ndrift: someone turns encryption off (StopDeliveryStreamEncryption on orders, outside the stack); the guard turns it back on');
    phaseStart = Date.now();
    const wantKey = stack.deployedProperties(stack.customResourceIds().find((r) => stack.deployedProperties(r)?.DeliveryStreamName === 'orders')!)?.KeyArn as string;
    const before = counts(STREAMS[0]);
    const runs = cfn.asyncInvocations.length;
    const watch = watchStreams(cloud.control, ['orders'], (t) => {
      const key = t.to && t.to.encryptionStatus !== 'DISABLED' ? ` (key ${shortKey(t.to.keyArn, t.to.keyType)})` : '';
      console.log(`${stamp()} ${'orders'.padEnd(7)} ${describeView(t.from)} → ${describeView(t.to)}${key}`);
    });
    const stoppedAt = cloud.clock.now();
    await firehose.send(new StopDeliveryStreamEncryptionCommand({ DeliveryStreamName: 'orders' }));
    const until = Date.now() + 60_000;
    const repaired = () => {
      const enc = cloud.control.stream('orders')?.description.DeliveryStreamEncryptionConfiguration;
      return cfn.asyncInvocations.length > runs && enc?.Status === 'ENABLED' && enc.KeyARN === wantKey;
    };
    while (!repaired() && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    const doneAt = cloud.clock.now();
    await cloud.events.idle();
    watch.stop();
    const run = cfn.asyncInvocations[cfn.asyncInvocations.length - 1];
    const line = run?.logs.find((l) => l.json?.action === 'repair')?.json;
    if (line) console.log(`${stamp()} guard   ${line.decision}: ${line.eventName} by ${line.caller}, repair ${line.repairsToday} of ${line.maxRepairsPerDay} today`);
    const c = diff(counts(STREAMS[0]), before);
    check(repaired(), `drift orders: not ENABLED with ${wantKey} again within 60 s`);
    check(line?.decision === 'repaired', `drift orders: the guard's decision was ${String(line?.decision)}, not repaired`);
    check(c.start === 1 && c.stop === 1, `drift orders: ${c.stop} Stop and ${c.start} Start calls, not one each`);
    check(cfn.asyncInvocations.length === runs + 1, `drift orders: the guard ran ${cfn.asyncInvocations.length - runs} times, not once`);
    if (repaired()) repairedInMs = doneAt - stoppedAt;
    rows.push({ phase: 'drift', stream: 'orders', answer: line ? String(line.decision) : 'none', physicalId: '(the guard)', ...c, answeredMs: repairedInMs });
  }

  /** Writes one record to every stream that exists (as a producer would). */
  async function putRecords(when: string): Promise<void> {
    for (const stream of STREAMS) {
      const data = new TextEncoder().encode(`${stream.name} ${when}`);
      if (stream.kind === 'firehose' && cloud.control.stream(stream.name)) {
        await firehose.send(new PutRecordCommand({ DeliveryStreamName: stream.name, Record: { Data: data } }));
      } else if (stream.kind === 'kinesis' && cloud.control.dataStream(stream.name)) {
        await kinesis.send(new PutDataRecordCommand({ StreamName: stream.name, Data: data, PartitionKey: 'demo' }));
      } else {
        continue;
      }
      written += 1;
    }
    console.log(`  wrote one record to each stream ${when}`);
  }

  /** Checks that every record written to a stream that still exists can be read (its key not disabled, pending deletion or gone). */
  function judgeRecords(name: string): void {
    for (const stream of STREAMS) {
      const exists = stream.kind === 'firehose' ? cloud.control.stream(stream.name) : cloud.control.dataStream(stream.name);
      if (!exists) continue;
      const unreadable = stream.kind === 'firehose' ? cloud.control.unreadableRecords(stream.name) : cloud.control.unreadableDataRecords(stream.name);
      for (const r of unreadable) {
        console.log(`  ${stream.name.padEnd(7)} record ${r.id} can no longer be read: key ${shortKey(r.keyArn)} ${r.errorName}`);
      }
      check(unreadable.length === 0, `${name} ${stream.name}: ${unreadable.length} record(s) can no longer be read (${[...new Set(unreadable.map((r) => `${shortKey(r.keyArn)} ${r.errorName}`))].join(', ')})`);
    }
  }

  /** Runs one stack operation, printing stream changes as they happen. */
  async function phase(title: string, run: () => Promise<StackOperationResult>): Promise<PhaseResult> {
    console.log(`\n${title}`);
    phaseStart = Date.now();
    const before = new Map(STREAMS.map((s) => [s.name, counts(s)]));
    const print = (stream: string, change: string, key: string) => console.log(`${stamp()} ${stream.padEnd(7)} ${change}${key}`);
    const lifecycle = (existedBefore: boolean, exists: boolean, from: string, to: string) =>
      !existedBefore ? `created by the stack, ${to}` : !exists ? 'deleted with the stack' : `${from} → ${to}`;
    const deliveryStreams = STREAMS.filter((s) => s.kind === 'firehose').map((s) => s.name);
    const dataStreams = STREAMS.filter((s) => s.kind === 'kinesis').map((s) => s.name);
    const watches = [
      watchStreams(cloud.control, deliveryStreams, (t) => {
        const key = t.to && t.to.encryptionStatus !== 'DISABLED' ? ` (key ${shortKey(t.to.keyArn, t.to.keyType)})` : '';
        print(t.stream, lifecycle(!!t.from, !!t.to, describeView(t.from), describeView(t.to)), key);
      }),
      watchDataStreams(cloud.control, dataStreams, (t) => {
        const key = t.to?.encryptionType === 'KMS' ? ` (key ${shortKey(t.to.keyId)})` : '';
        print(t.stream, lifecycle(!!t.from, !!t.to, describeDataView(t.from), describeDataView(t.to)), key);
      }),
    ];
    const result = await run();
    for (const watch of watches) watch.stop();
    console.log(`  ${result.status} in ${seconds(result.elapsedMs)}`);
    const after = new Map(STREAMS.map((s) => [s.name, diff(counts(s), before.get(s.name)!)]));
    return { ...result, counts: after };
  }

  function counts(stream: Stream): Counts {
    const ops = OPERATIONS[stream.kind];
    return {
      start: cloud.control.calls(ops.start, stream.name).accepted,
      stop: cloud.control.calls(ops.stop, stream.name).accepted,
      describe: cloud.control.calls(ops.describe, stream.name).total,
    };
  }

  /** Checks one phase against the truth table and adds its rows to the summary. */
  function judgePhase(s: LocalCloudStack, result: PhaseResult, name: string, want: { start: number; stop: number; encrypted: boolean }): void {
    const expected = name === 'delete' ? 'DELETE_COMPLETE' : name === 'create' ? 'CREATE_COMPLETE' : 'UPDATE_COMPLETE';
    check(result.status === expected, `${name}: the stack ended ${result.status}, not ${expected}`);
    for (const stream of STREAMS) {
      const step = result.steps.find((x: StepResult) =>
        x.streamName === stream.name && x.streamKind === stream.kind && x.requestType !== (name === 'delete' ? 'Create' : 'Delete'));
      const c = result.counts.get(stream.name)!;
      const ops = OPERATIONS[stream.kind];
      rows.push({
        phase: name,
        stream: stream.name,
        answer: step?.status ?? 'none',
        physicalId: step?.physicalResourceId ?? '-',
        start: c.start,
        stop: c.stop,
        describe: c.describe,
        answeredMs: step?.answeredAtMs,
      });
      const what = `${name} ${stream.name}`;
      check(step?.status === 'SUCCESS', `${what}: answer ${step?.status ?? 'none'} ${step?.reason ?? ''}`);
      // The streams start unencrypted: the id records that, for a rollback or a delete to put back.
      check(step?.physicalResourceId === `${stream.kind}:${stream.name}#prior=none`, `${what}: physical id ${step?.physicalResourceId}`);
      check(c.start === want.start, `${what}: ${c.start} ${ops.start} calls, not ${want.start}`);
      check(c.stop === want.stop, `${what}: ${c.stop} ${ops.stop} calls, not ${want.stop}`);
      const id = s.customResourceIds().find((r) => {
        const p = s.deployedProperties(r);
        return (stream.kind === 'firehose' ? p?.DeliveryStreamName : p?.StreamName) === stream.name;
      });
      const deployed = id ? s.deployedProperties(id) : undefined;
      const seen = step?.observedAtAnswer;
      if (stream.kind === 'firehose') {
        judgeDeliveryStream(what, seen as DeliveryStreamSnapshot | null | undefined, want.encrypted, deployed?.KeyArn as string | undefined);
      } else {
        judgeDataStream(what, seen as DataStreamSnapshot | null | undefined, want.encrypted, deployed?.KeyId as string | undefined);
      }
    }
  }
}

/** A delivery stream when answered: ENABLED with the deployed key, or DISABLED. */
function judgeDeliveryStream(what: string, seen: DeliveryStreamSnapshot | null | undefined, encrypted: boolean, wantKey: string | undefined): void {
  const enc = seen?.description.DeliveryStreamEncryptionConfiguration;
  if (encrypted) {
    check(enc?.Status === 'ENABLED' && enc.KeyARN === wantKey && wantKey !== undefined,
      `${what}: encryption ${enc?.Status} with ${enc?.KeyARN} when answered, not ENABLED with ${wantKey}`);
    check(seen?.appliedKey?.keyArn === wantKey, `${what}: records protected by ${seen?.appliedKey?.keyArn}, not ${wantKey}`);
  } else {
    check((enc?.Status ?? 'DISABLED') === 'DISABLED' && seen?.appliedKey === null, `${what}: encryption ${enc?.Status} when answered, not DISABLED`);
  }
}

/** A data stream when answered: ACTIVE with KMS and the deployed key, or ACTIVE with encryption NONE. */
function judgeDataStream(what: string, seen: DataStreamSnapshot | null | undefined, encrypted: boolean, wantKey: string | undefined): void {
  const summary = seen?.summary;
  const shown = `${summary?.StreamStatus} with encryption ${summary?.EncryptionType}${summary?.KeyId ? ` ${summary.KeyId}` : ''}`;
  if (encrypted) {
    check(summary?.StreamStatus === 'ACTIVE' && summary.EncryptionType === 'KMS' && summary.KeyId === wantKey && wantKey !== undefined,
      `${what}: ${shown} when answered, not ACTIVE with KMS ${wantKey}`);
    check(seen?.appliedEncryption.KeyId === wantKey, `${what}: records protected by ${seen?.appliedEncryption.KeyId}, not ${wantKey}`);
  } else {
    check(summary?.StreamStatus === 'ACTIVE' && summary.EncryptionType === 'NONE' && seen?.appliedEncryption.EncryptionType === 'NONE',
      `${what}: ${shown} when answered, not ACTIVE with encryption NONE`);
  }
}

interface Counts {
  readonly start: number;
  readonly stop: number;
  readonly describe: number;
}

/** A stack operation and the calls it made per stream. */
type PhaseResult = StackOperationResult & { readonly counts: Map<string, Counts> };

function diff(a: Counts, b: Counts): Counts {
  return { start: a.start - b.start, stop: a.stop - b.stop, describe: a.describe - b.describe };
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
