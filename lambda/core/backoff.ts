/**
 * Time and retry pacing: the injectable clock, and capped exponential backoff
 * with full jitter.
 */

/** The handler's view of time, injected so that tests run on a fake clock. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolve after `ms` milliseconds. */
  sleep(ms: number): Promise<void>;
  /** A number in `[0, 1)`, as `Math.random`. */
  random(): number;
}

/** The shape of an exponential backoff. */
export interface BackoffOptions {
  /** Ceiling of the first delay, in milliseconds. */
  readonly baseMs: number;
  /** The ceiling never grows beyond this, in milliseconds. */
  readonly capMs: number;
  /** No delay is shorter than this (keeps a poll loop from spinning), in milliseconds. */
  readonly floorMs: number;
}

/**
 * Polling a stream's state: starts near 250 ms, capped near 1 s, so success is
 * signalled within about a second of the state change.
 */
export const POLL_BACKOFF: BackoffOptions = { baseMs: 250, capMs: 1_000, floorMs: 50 };

/**
 * After a throttling or transient error: grows to 10 s, so that many handlers
 * sharing one account's request rate (Describe allows 10 per second) all get
 * through.
 */
export const ERROR_BACKOFF: BackoffOptions = { baseMs: 500, capMs: 10_000, floorMs: 100 };

/**
 * After access denied, while IAM may still be propagating a new policy:
 * grows to 10 s, and is never eased by the calls that succeed in between.
 */
export const DENIED_BACKOFF: BackoffOptions = { baseMs: 1_000, capMs: 10_000, floorMs: 500 };

/** Between attempts to deliver the response to CloudFormation. */
export const RESPONSE_BACKOFF: BackoffOptions = { baseMs: 250, capMs: 2_000, floorMs: 50 };

/** Highest exponent used, which keeps `2 ** level` finite. */
const MAX_LEVEL = 30;

/**
 * The delay for one attempt with full jitter: uniformly drawn between the
 * floor and `min(cap, base · 2^level)`.
 *
 * @param level - how many times in a row this backoff has been applied (0 first).
 * @param options - the backoff's shape.
 * @param random - a number in `[0, 1)`.
 */
export function fullJitterDelay(level: number, options: BackoffOptions, random: number): number {
  const ceiling = Math.min(options.capMs, options.baseMs * 2 ** Math.min(level, MAX_LEVEL));
  const floor = Math.min(options.floorMs, ceiling);
  return Math.round(floor + random * (ceiling - floor));
}

/**
 * A stateful backoff: each {@link next} grows the ceiling; {@link relax} steps
 * it back down after a success, and {@link reset} starts over.
 */
export class Backoff {
  private level = 0;

  /**
   * @param options - the backoff's shape.
   * @param random - source of jitter, a number in `[0, 1)` per call.
   */
  constructor(private readonly options: BackoffOptions, private readonly random: () => number) {}

  /** The next delay, in milliseconds; grows the ceiling for the one after. */
  next(): number {
    const delay = fullJitterDelay(this.level, this.options, this.random());
    this.level = Math.min(this.level + 1, MAX_LEVEL);
    return delay;
  }

  /** Step the ceiling down once, after a call went through. */
  relax(): void {
    this.level = Math.max(0, this.level - 1);
  }

  /** Start over from the base delay. */
  reset(): void {
    this.level = 0;
  }
}

/**
 * After an accepted Start in a request the account's limits have throttled:
 * the first reading of the change waits this long (with jitter of half of it
 * either way), leaving the account's reads to the requests not yet started;
 * a change takes seconds at least. Without a throttle, the first reading
 * comes at {@link POLL_BACKOFF}'s pace.
 */
export const CONTENDED_FIRST_POLL_MS = 15_000;

/**
 * In a request whose Start was made under throttling: the later readings of
 * the change come at least this far apart (with jitter of half of it either
 * way), since each reading of a change still in progress takes a read from
 * the account's shared rate that a request not yet started needs.
 */
export const CONTENDED_POLL_MS = 3_000;

/** The shape of a {@link Pacer}. */
export interface PacingOptions {
  /** The shortest spacing kept once a call was throttled, in milliseconds. */
  readonly minIntervalMs: number;
  /** The spacing never grows beyond this, in milliseconds. */
  readonly maxIntervalMs: number;
  /** Calls per second added to the pace after each call that goes through. */
  readonly increasePerCall: number;
  /** Calls per second added to the pace per second that passes (a request left waiting speeds up). */
  readonly increasePerSecond: number;
}

/**
 * Pacing of one operation within one request, while many requests share one
 * account's rate (Firehose allows 10 `DescribeDeliveryStream` and 5 Start,
 * Stop and tag calls a second per account, shared by every caller): from 200 ms
 * after the first throttle, up to 10 s, the fair share of 10 calls a second
 * among 100 requests; each second of waiting adds 0.03 calls a second back,
 * so that a request slowed early does not stay slow once others are done.
 */
export const PACING: PacingOptions = { minIntervalMs: 100, maxIntervalMs: 10_000, increasePerCall: 0.01, increasePerSecond: 0.03 };

/**
 * The pace of one operation, learned from the throttles met: additive
 * increase, multiplicative decrease (the rule by which TCP senders share one
 * link fairly without talking to each other). Unpaced until the first
 * throttle; each throttle halves the pace; each call that goes through, and
 * each second that passes, adds a little to it; the pace is free again once
 * its spacing falls below {@link PacingOptions.minIntervalMs}. Requests that
 * meet the same limit thus converge on equal shares of it, instead of each
 * retrying on its own clock.
 */
export class Pacer {
  /** Calls per second at {@link updatedAt}; 0: unpaced. */
  private rate = 0;
  private updatedAt = 0;

  /**
   * @param now - the request's clock, in milliseconds.
   * @param options - the pace's bounds and increases.
   */
  constructor(private readonly now: () => number, private readonly options: PacingOptions = PACING) {}

  /** The spacing kept between two calls, in milliseconds (0: unpaced). */
  get intervalMs(): number {
    const rate = this.rateAt(this.now());
    return rate === 0 ? 0 : 1000 / rate;
  }

  /** A call was throttled: halve the pace. */
  throttled(): void {
    const now = this.now();
    const rate = this.rateAt(now);
    this.set(now, Math.max(1000 / this.options.maxIntervalMs, (rate === 0 ? 1000 / this.options.minIntervalMs : rate) / 2));
  }

  /** A call went through: add to the pace. */
  accepted(): void {
    const now = this.now();
    const rate = this.rateAt(now);
    this.set(now, rate === 0 ? 0 : this.free(rate + this.options.increasePerCall));
  }

  /**
   * The wait before retrying a throttled call: the spacing, with jitter of
   * half of it either way, so that requests throttled together do not retry
   * together.
   *
   * @param random - a number in `[0, 1)`.
   */
  retryDelay(random: number): number {
    return Math.round(this.intervalMs * (0.5 + random));
  }

  /** The pace at `now`: the one set, and what the seconds since add to it. */
  private rateAt(now: number): number {
    if (this.rate === 0) {
      return 0;
    }
    return this.free(this.rate + (this.options.increasePerSecond * Math.max(0, now - this.updatedAt)) / 1000);
  }

  /** `rate`, or 0 (unpaced) once its spacing is below the floor. */
  private free(rate: number): number {
    return rate > 1000 / this.options.minIntervalMs ? 0 : rate;
  }

  private set(now: number, rate: number): void {
    this.rate = rate;
    this.updatedAt = now;
  }
}
