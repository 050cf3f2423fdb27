/**
 * Request-rate limits: one token bucket per operation per account, as AWS throttles its APIs.
 *
 * @module
 */

import { LocalClock } from './clock';

/** A sustained request rate with a burst allowance. */
export interface ThrottleRate {
  /** Tokens added per second: the sustained rate. Must be greater than 0. */
  readonly ratePerSecond: number;
  /**
   * Bucket size: how many calls may arrive at once after a quiet period.
   *
   * @defaultValue `ratePerSecond` (at least 1)
   */
  readonly burst?: number;
}

/** A rate, or `null` for no limit. */
export type ThrottleSetting = ThrottleRate | null;

/** Checks a {@link ThrottleRate} and fills in its burst. */
export function normalizeRate(rate: ThrottleRate): Required<ThrottleRate> {
  if (!Number.isFinite(rate.ratePerSecond) || rate.ratePerSecond <= 0) {
    throw new RangeError(`ratePerSecond must be a finite number > 0, got ${rate.ratePerSecond}`);
  }
  const burst = rate.burst ?? Math.max(1, rate.ratePerSecond);
  if (!Number.isFinite(burst) || burst < 1) {
    throw new RangeError(`burst must be a finite number >= 1, got ${rate.burst}`);
  }
  return { ratePerSecond: rate.ratePerSecond, burst };
}

/**
 * A token bucket: starts full with `burst` tokens, refills at `ratePerSecond`, and lets a call
 * through only when it can take a whole token.
 */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  /**
   * @param rate - the bucket's rate and size
   * @param nowMs - the current time, in epoch milliseconds
   */
  constructor(public readonly rate: Required<ThrottleRate>, nowMs: number) {
    this.tokens = rate.burst;
    this.updatedAt = nowMs;
  }

  /**
   * Takes one token if there is one.
   *
   * @param nowMs - the current time, in epoch milliseconds
   * @returns whether the call may proceed
   */
  public tryTake(nowMs: number): boolean {
    const elapsed = Math.max(0, nowMs - this.updatedAt);
    this.tokens = Math.min(this.rate.burst, this.tokens + (elapsed * this.rate.ratePerSecond) / 1000);
    this.updatedAt = nowMs;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    return false;
  }
}

/**
 * Decides which calls are throttled. Operations are identified by their canonical id
 * (`firehose:DescribeDeliveryStream`); each (account, operation) pair has its own bucket.
 */
export class Throttler {
  private readonly overrides = new Map<string, ThrottleSetting>();
  private readonly buckets = new Map<string, TokenBucket>();
  private fallbackOverride: ThrottleSetting | undefined;

  /**
   * @param clock - the time source of the buckets
   * @param builtIn - the built-in rate of an operation, or `undefined` when it has none; asked on
   *   every call, so that services registered later get their rates too
   * @param fallback - the rate of operations without a built-in or configured rate
   */
  constructor(
    private readonly clock: LocalClock,
    private readonly builtIn: (operationId: string) => ThrottleSetting | undefined,
    private readonly fallback: ThrottleSetting,
  ) {}

  /**
   * Sets an operation's rate, replacing its bucket (which starts full).
   *
   * @param operationId - a canonical operation id, or `*` for every operation without its own rate
   * @param setting - the rate, or `null` for no limit
   */
  public set(operationId: string, setting: ThrottleSetting): void {
    const normalized = setting === null ? null : normalizeRate(setting);
    if (operationId === '*') {
      this.fallbackOverride = normalized;
      this.buckets.clear();
    } else {
      this.overrides.set(operationId, normalized);
      for (const key of [...this.buckets.keys()]) {
        if (key.endsWith(`|${operationId}`)) this.buckets.delete(key);
      }
    }
  }

  /** The rate that applies to an operation now, with its burst filled in. */
  public rateOf(operationId: string): Required<ThrottleRate> | null {
    let setting = this.overrides.has(operationId) ? this.overrides.get(operationId) ?? null : this.builtIn(operationId);
    if (setting === undefined) setting = this.fallbackOverride !== undefined ? this.fallbackOverride : this.fallback;
    return setting === null ? null : normalizeRate(setting);
  }

  /**
   * Takes a token for one call.
   *
   * @returns `true` when the call may proceed, `false` when it is throttled
   */
  public tryAcquire(accountId: string, operationId: string): boolean {
    const rate = this.rateOf(operationId);
    if (rate === null) return true;
    const key = `${accountId}|${operationId}`;
    const now = this.clock.now();
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = new TokenBucket(rate, now);
      this.buckets.set(key, bucket);
    }
    return bucket.tryTake(now);
  }

  /** The configured rate of every operation that has one, plus `*` for the fallback. */
  public snapshot(operationIds: Iterable<string>): Record<string, ThrottleSetting> {
    const out: Record<string, ThrottleSetting> = {};
    for (const id of operationIds) out[id] = this.rateOf(id);
    const fallback = this.fallbackOverride !== undefined ? this.fallbackOverride : this.fallback;
    out['*'] = fallback === null ? null : normalizeRate(fallback);
    return out;
  }

  /** Back to the built-in rates, with full buckets. */
  public reset(): void {
    this.overrides.clear();
    this.buckets.clear();
    this.fallbackOverride = undefined;
  }
}
