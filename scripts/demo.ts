/**
 * The README's demo: the example app (example/app.ts) deployed, rotated to new keys and deleted
 * against the local cloud, by the real handler bundle and the real AWS SDK, with CloudFormation's
 * custom-resource lifecycle played by the local driver. Prints each change as it happens and a
 * summary, and exits non-zero when a step does not end as the handler's truth table says.
 *
 * Run with `npm run demo` (which bundles the handler first).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildExampleApp } from '../example/app';
import { startLocalCloud } from '../local-cloud';
import { DriverEvent, LocalCloudFormation, LocalStack, StackOperationResult, StepResult, StreamView, watchStreams } from '../local-cloud/cfn';
import type { DeliveryStreamSnapshot } from '../local-cloud/services/firehose';

/** Transition times of the local cloud: slow enough to see, fast enough to wait for. */
const DELAYS = { creatingMs: 1_000, enablingMs: 3_000, disablingMs: 2_000, deletingMs: 500 };
const STREAMS = ['orders', 'clicks'];
const OUT = path.join(__dirname, '..', '.tmp', 'demo');

/** `…/` and the start of a key id, or the key type for a key owned by AWS. */
function shortKey(keyArn: string | undefined, keyType?: string): string {
  if (keyArn) return `…/${keyArn.split('/').pop()!.slice(0, 8)}`;
  return keyType ?? 'none';
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

function describeView(view: StreamView | undefined): string {
  if (!view) return 'gone';
  if (view.streamStatus !== 'ACTIVE') return view.streamStatus;
  return view.encryptionStatus;
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

/** Records a truth-table check. */
function check(ok: boolean, what: string): void {
  if (!ok) problems.push(what);
}

async function main(): Promise<void> {
  const began = Date.now();
  fs.rmSync(OUT, { recursive: true, force: true });
  console.log('cdk-stream-encryption demo: the example app deployed, rotated and deleted against the local cloud');
  console.log('(the real handler bundle and AWS SDK; CloudFormation\'s custom-resource lifecycle played locally)\n');

  const gen1 = buildExampleApp(path.join(OUT, 'keys-gen1')).app.synth().directory;
  const gen2 = buildExampleApp(path.join(OUT, 'keys-gen2'), { keyGeneration: 2 }).app.synth().directory;
  console.log(`synthesized StreamEncryptionExample twice: key generation 1 (${path.relative(process.cwd(), gen1)}) and 2 (${path.relative(process.cwd(), gen2)})`);

  const cloud = await startLocalCloud({ delays: DELAYS });
  let phaseStart = Date.now();
  const stamp = () => `  ${`+${seconds(Date.now() - phaseStart)}`.padStart(6)}`;
  const onEvent = (event: DriverEvent): void => {
    if (event.kind === 'step-start' && event.streamName) {
      const p = event.properties;
      console.log(`${stamp()} ${event.streamName.padEnd(7)} ${event.requestType} sent (key ${shortKey(p.KeyArn as string | undefined, p.KeyType as string)})`);
    } else if (event.kind === 'step-end' && event.result.streamName) {
      const r = event.result;
      const answer = r.status === 'TIMED_OUT' ? 'no answer (TIMED OUT)' : `${r.status} ${r.physicalResourceId}${r.reasonId ? ` ${r.reasonId}` : ''}`;
      console.log(`${stamp()} ${r.streamName!.padEnd(7)} ${answer}`);
    } else if (event.kind === 'resource' && event.resourceType === 'AWS::KMS::Key' && event.action === 'deleted') {
      console.log(`${stamp()} key ${shortKey(event.physicalId)} (${event.logicalId}) scheduled for deletion`);
    }
  };
  const cfn = await LocalCloudFormation.start(cloud, { onEvent });
  console.log(`local cloud at ${cloud.endpoint}: ENABLING ${DELAYS.enablingMs / 1000} s, DISABLING ${DELAYS.disablingMs / 1000} s, Firehose's default rate limits`);
  cloud.control.createStream({ name: 'orders' });
  console.log('created the stream orders that the app imports (Direct PUT, not encrypted)');

  const stack = cfn.stack(gen1);
  try {
    const created = await phase('deploy: Create both stream encryptions', () => stack.deploy());
    judgePhase(stack, created, 'create', { start: 1, stop: 0, enabled: true });

    const rotated = await phase('rotate: deploy key generation 2 (Update with the new keys)', () => stack.update(gen2));
    judgePhase(stack, rotated, 'rotate', { start: 1, stop: 0, enabled: true });

    const destroyed = await phase('destroy: Delete both stream encryptions', () => stack.destroy());
    judgePhase(stack, destroyed, 'delete', { start: 0, stop: 1, enabled: false });
  } finally {
    await cfn.stop();
    await cloud.stop();
  }

  console.log('\nsummary');
  console.log(`  ${'step'.padEnd(7)} ${'stream'.padEnd(7)} ${'answer'.padEnd(8)} ${'physical id'.padEnd(16)} Start  Stop  Describe  answered after`);
  for (const r of rows) {
    console.log(`  ${r.phase.padEnd(7)} ${r.stream.padEnd(7)} ${r.answer.padEnd(8)} ${r.physicalId.padEnd(16)} ${String(r.start).padStart(5)} ${String(r.stop).padStart(5)} ${String(r.describe).padStart(9)}  ${r.answeredMs === undefined ? '-' : seconds(r.answeredMs)}`);
  }
  if (problems.length > 0) {
    console.log(`\nNOT as the truth table says (${problems.length}):`);
    for (const p of problems) console.log(`  - ${p}`);
    process.exitCode = 1;
  } else {
    console.log('\nevery step ended as the truth table says: ENABLED with the right key after create and rotation, DISABLED after delete,');
    console.log('exactly one Start per create and per rotation and one Stop per delete.');
  }
  console.log(`done in ${seconds(Date.now() - began)}`);

  /** Runs one stack operation, printing stream changes as they happen. */
  async function phase(title: string, run: () => Promise<StackOperationResult>): Promise<PhaseResult> {
    console.log(`\n${title}`);
    phaseStart = Date.now();
    const before = new Map(STREAMS.map((s) => [s, counts(s)]));
    const watch = watchStreams(cloud.control, STREAMS, (t) => {
      const key = t.to && t.to.encryptionStatus !== 'DISABLED' ? ` (key ${shortKey(t.to.keyArn, t.to.keyType)})` : '';
      const change = !t.from ? `created by the stack, ${describeView(t.to)}`
        : !t.to ? 'deleted with the stack'
          : `${describeView(t.from)} → ${describeView(t.to)}`;
      console.log(`${stamp()} ${t.stream.padEnd(7)} ${change}${key}`);
    });
    const result = await run();
    watch.stop();
    console.log(`  ${result.status} in ${seconds(result.elapsedMs)}`);
    const after = new Map(STREAMS.map((s) => [s, diff(counts(s), before.get(s)!)]));
    return { ...result, counts: after };
  }

  function counts(stream: string): Counts {
    return {
      start: cloud.control.calls('StartDeliveryStreamEncryption', stream).accepted,
      stop: cloud.control.calls('StopDeliveryStreamEncryption', stream).accepted,
      describe: cloud.control.calls('DescribeDeliveryStream', stream).total,
    };
  }

  /** Checks one phase against the truth table and adds its rows to the summary. */
  function judgePhase(s: LocalStack, result: PhaseResult, name: string, want: { start: number; stop: number; enabled: boolean }): void {
    const expected = name === 'delete' ? 'DELETE_COMPLETE' : name === 'create' ? 'CREATE_COMPLETE' : 'UPDATE_COMPLETE';
    check(result.status === expected, `${name}: the stack ended ${result.status}, not ${expected}`);
    for (const stream of STREAMS) {
      const step = result.steps.find((x: StepResult) => x.streamName === stream && x.requestType !== (name === 'delete' ? 'Create' : 'Delete'));
      const c = result.counts.get(stream)!;
      rows.push({
        phase: name,
        stream,
        answer: step?.status ?? 'none',
        physicalId: step?.physicalResourceId ?? '-',
        start: c.start,
        stop: c.stop,
        describe: c.describe,
        answeredMs: step?.answeredAtMs,
      });
      check(step?.status === 'SUCCESS', `${name} ${stream}: answer ${step?.status ?? 'none'} ${step?.reason ?? ''}`);
      check(step?.physicalResourceId === `firehose:${stream}`, `${name} ${stream}: physical id ${step?.physicalResourceId}`);
      check(c.start === want.start, `${name} ${stream}: ${c.start} StartDeliveryStreamEncryption calls, not ${want.start}`);
      check(c.stop === want.stop, `${name} ${stream}: ${c.stop} StopDeliveryStreamEncryption calls, not ${want.stop}`);
      const seen = step?.observedAtAnswer as DeliveryStreamSnapshot | null | undefined;
      const enc = seen?.description.DeliveryStreamEncryptionConfiguration;
      if (want.enabled) {
        const id = s.customResourceIds().find((r) => s.deployedProperties(r)?.DeliveryStreamName === stream);
        const wantKey = id ? s.deployedProperties(id)?.KeyArn : undefined;
        check(enc?.Status === 'ENABLED' && enc.KeyARN === wantKey && wantKey !== undefined,
          `${name} ${stream}: encryption ${enc?.Status} with ${enc?.KeyARN} when answered, not ENABLED with ${wantKey}`);
        check(seen?.appliedKey?.keyArn === wantKey, `${name} ${stream}: records protected by ${seen?.appliedKey?.keyArn}, not ${wantKey}`);
      } else {
        check((enc?.Status ?? 'DISABLED') === 'DISABLED' && seen?.appliedKey === null, `${name} ${stream}: encryption ${enc?.Status} when answered, not DISABLED`);
      }
    }
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
