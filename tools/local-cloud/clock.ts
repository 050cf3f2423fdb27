/**
 * The local cloud's notion of time.
 *
 * Every state in the local cloud (a stream that is CREATING, an encryption change that is ENABLING,
 * the rolling 24-hour window of Start/Stop calls, a KMS key's deletion date, the token buckets of
 * the throttler) is computed from timestamps read from one {@link LocalClock}. Moving that clock
 * forward with {@link LocalClock.advance} therefore moves the whole cloud forward, instantly.
 *
 * @module
 */

/** How a {@link LocalClock} is built. */
export interface LocalClockOptions {
  /**
   * Freeze time: `now()` stays at {@link LocalClockOptions.startMs} and moves only through
   * {@link LocalClock.advance}. Useful for fully deterministic tests.
   *
   * @defaultValue false
   */
  readonly frozen?: boolean;
  /**
   * Where a frozen clock starts, in epoch milliseconds. Ignored by a running clock.
   *
   * @defaultValue `Date.now()` when the clock is made
   */
  readonly startMs?: number;
  /**
   * The time source of a running clock, in epoch milliseconds.
   *
   * @defaultValue `Date.now`
   */
  readonly source?: () => number;
}

/**
 * Real (or frozen) time plus a controllable offset.
 *
 * @example
 * ```ts
 * const clock = new LocalClock();
 * clock.advance(24 * 60 * 60 * 1000); // a day later, at once
 * ```
 */
export class LocalClock {
  private readonly source: () => number;
  private offset = 0;

  /**
   * @param options - see {@link LocalClockOptions}
   */
  constructor(options: LocalClockOptions = {}) {
    if (options.frozen) {
      const start = options.startMs ?? Date.now();
      this.source = () => start;
    } else {
      this.source = options.source ?? Date.now;
    }
  }

  /** How far this clock has been moved ahead of its source, in milliseconds. */
  public get offsetMs(): number {
    return this.offset;
  }

  /** The current local-cloud time in epoch milliseconds. */
  public now(): number {
    return this.source() + this.offset;
  }

  /**
   * Moves the clock forward.
   *
   * @param ms - milliseconds to add (a finite number, at least 0)
   * @returns the new current time in epoch milliseconds
   */
  public advance(ms: number): number {
    if (!Number.isFinite(ms) || ms < 0) {
      throw new RangeError(`LocalClock.advance: expected a finite number of milliseconds >= 0, got ${ms}`);
    }
    this.offset += ms;
    return this.now();
  }

  /** Drops the offset, so that the clock reads its source again. */
  public reset(): void {
    this.offset = 0;
  }
}
