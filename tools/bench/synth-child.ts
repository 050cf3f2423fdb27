/**
 * One synth-scale sample, in a fresh process: builds the app of one implementation with N streams
 * sharing one key (so that 200 streams stay under CloudFormation's 500 resources) and synthesizes
 * it, timing the app code and `app.synth()`. Prints one JSON line.
 *
 * Usage: `node bench-synth-child.js <implementation> <streams> <outdir>`
 *
 * @module
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { App } from 'aws-cdk-lib';
import { buildStack, Implementation } from './apps';

/** What one sample measured. */
export interface SynthSample {
  readonly implementation: Implementation;
  readonly streams: number;
  /** Building the constructs, in milliseconds. */
  readonly buildMs: number;
  /** `app.synth()`, in milliseconds. */
  readonly synthMs: number;
  /** CPU time (user + system, every thread of the process) of building and synthesizing, in milliseconds. */
  readonly cpuMs: number;
  readonly resources: number;
  readonly templateBytes: number;
}

function main(): void {
  const [implementation, streams, outdir] = process.argv.slice(2) as [Implementation, string, string];
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const app = new App({ outdir });
  const stack = buildStack(app, implementation, { streams: Number(streams), sharedKey: true });
  const t1 = performance.now();
  const assembly = app.synth();
  const t2 = performance.now();
  const cpu = process.cpuUsage(cpu0);
  const file = path.join(assembly.directory, assembly.getStackArtifact(stack.artifactId).templateFile);
  const template = JSON.parse(fs.readFileSync(file, 'utf8')) as { Resources: Record<string, unknown> };
  const sample: SynthSample = {
    implementation,
    streams: Number(streams),
    buildMs: t1 - t0,
    synthMs: t2 - t1,
    cpuMs: (cpu.user + cpu.system) / 1000,
    resources: Object.keys(template.Resources).length,
    templateBytes: fs.statSync(file).size,
  };
  process.stdout.write(`${JSON.stringify(sample)}\n`);
}

main();
