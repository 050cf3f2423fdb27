/**
 * The time budget of a request: when the work must end, and how long one AWS
 * call and the answer to CloudFormation may take.
 */

/** Most time kept back from the work for answering CloudFormation, in milliseconds. */
export const MAX_ANSWER_RESERVE_MS = 30_000;

/** The response must be delivered this long before the Lambda's own deadline, in milliseconds. */
export const LAMBDA_DEADLINE_MARGIN_MS = 1_000;

/** Longest time one AWS call may take, in milliseconds. */
export const MAX_CALL_TIMEOUT_MS = 10_000;

/** When the work must end and how long one call may take. */
export interface Deadlines {
  /** Give up on the stream (answer FAILED) at this time, in epoch milliseconds. */
  readonly work: number;
  /** Longest time one AWS call may take, in milliseconds. */
  readonly callTimeoutMs: number;
}

/**
 * The deadlines of a request: the work ends after `timeoutSeconds`, and
 * never later than the Lambda's remaining time minus a reserve for the
 * answer (`min(30 s, remaining / 3)`, rounded up). One AWS call may take half
 * the reserve (rounded down), at most {@link MAX_CALL_TIMEOUT_MS}.
 *
 * Every value is a whole number of milliseconds: `AbortSignal.timeout` throws
 * a `RangeError` for a fractional delay.
 */
export function computeDeadlines(startedAt: number, remainingMs: number, timeoutSeconds: number): Deadlines {
  const remaining = Math.floor(remainingMs);
  const reserve = Math.min(MAX_ANSWER_RESERVE_MS, Math.ceil(remaining / 3));
  return {
    work: startedAt + Math.max(0, Math.min(timeoutSeconds * 1000, remaining - reserve)),
    callTimeoutMs: Math.max(1_000, Math.min(MAX_CALL_TIMEOUT_MS, Math.floor(reserve / 2))),
  };
}
