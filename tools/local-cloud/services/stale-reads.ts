/**
 * Stale reads: AWS's describe operations are eventually consistent, so for a while after a change
 * a Describe may still answer the state before it. With a stream's `staleReadMs` above 0, the
 * Describe of that stream answers the state that was in force `staleReadMs` before the call.
 *
 * The backends tell the helper each state as it comes into force (`observe`, with the time of the
 * change) — before every change they make, and whenever a Describe computes the state — and ask it
 * which state to answer (`read`).
 *
 * @module
 */

/** One state and when it came into force. */
interface Version<T> {
  readonly json: string;
  readonly value: T;
  readonly from: number;
}

/** How many states are kept per stream. */
const KEPT = 16;

/** The recent states of each stream, by name. */
export class StaleReads<T> {
  private readonly history = new Map<string, Version<T>[]>();

  /** Records `value` as the state of `name` since `from` (nothing when it is the state already recorded). */
  public observe(name: string, value: T, from: number): void {
    const json = JSON.stringify(value);
    const versions = this.history.get(name) ?? [];
    const last = versions[versions.length - 1];
    if (last?.json === json) return;
    versions.push({ json, value, from: Math.max(from, last?.from ?? from) });
    if (versions.length > KEPT) versions.shift();
    this.history.set(name, versions);
  }

  /**
   * The state to answer for `name` at `now`: `current` (recorded since `changedAt`), unless
   * `staleMs` is above 0 and it changed less than `staleMs` ago; then the state in force at
   * `now - staleMs` (the oldest one recorded, if it is older still).
   */
  public read(name: string, current: T, changedAt: number, now: number, staleMs: number): T {
    this.observe(name, current, changedAt);
    if (staleMs <= 0) return current;
    const versions = this.history.get(name)!;
    const asOf = now - staleMs;
    for (let i = versions.length - 1; i >= 0; i--) {
      if (versions[i].from <= asOf) return versions[i].value;
    }
    return versions[0].value;
  }

  /** Forgets a stream (deleted) or, without a name, every stream. */
  public forget(name?: string): void {
    if (name === undefined) this.history.clear();
    else this.history.delete(name);
  }
}
