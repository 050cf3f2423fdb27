/**
 * Small statistics for the benchmark: a seeded random source, percentiles, medians.
 *
 * @module
 */

/** A seeded random source in `[0, 1)` (mulberry32): the same seed gives the same draws. */
export function seededRandom(seed: number): () => number {
  /* eslint-disable no-bitwise -- 32-bit integer mixing is what the generator is */
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  /* eslint-enable no-bitwise */
}

/** The `p`-th percentile (0–100) of `values`, interpolated between the closest ranks. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
}

/** The median of `values`. */
export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** Runs `tasks` with at most `limit` of them at once, keeping their order in the result. */
export async function inBatches<T>(tasks: ReadonlyArray<() => Promise<T>>, limit: number): Promise<T[]> {
  const results: T[] = new Array<T>(tasks.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, () => worker()));
  return results;
}

/** One accepted Start of the scale part: its stream, when it was accepted, and the stream's seeded ENABLING. */
export interface AcceptedStart {
  readonly stream: string;
  readonly acceptedAt: number;
  readonly enablingMs: number;
}

/** The accepted Start that came last (the one whose ENABLING ends the bound). */
export function lastAccepted(starts: readonly AcceptedStart[]): AcceptedStart {
  if (starts.length === 0) throw new Error('scale: no accepted Start');
  return starts.reduce((last, x) => (x.acceptedAt > last.acceptedAt ? x : last));
}
