/**
 * What both entry points take from the real world: the clock (timers and
 * randomness) and stdout. Each bundle (`index.ts`, the custom-resource
 * handler; `guard/index.ts`, the guard's repair function) carries its own
 * copy of these few lines.
 */
import type { Clock } from './core/backoff';

/** Resolve after `ms` milliseconds of real time. */
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Write one log line to stdout (CloudWatch Logs in Lambda). */
export function writeLine(line: string): void {
  console.log(line);
}

/** The real clock. */
export const REAL_CLOCK: Clock = { now: Date.now, sleep, random: Math.random };
