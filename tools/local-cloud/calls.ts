/**
 * Bookkeeping of the calls the local cloud has answered, for assertions such as "the handler
 * called StartDeliveryStreamEncryption exactly once on this stream".
 *
 * @module
 */

/** How a call ended. */
export type CallOutcome = 'accepted' | 'throttled' | 'failed';

/** Counts of calls, by outcome. `total` is their sum. */
export interface CallTally {
  /** Every call. */
  total: number;
  /**
   * Calls that took effect: answered with HTTP 200, or with an error injected after acting
   * (`applyThenFail`).
   */
  accepted: number;
  /** Calls answered with `ThrottlingException`: they had no effect. */
  throttled: number;
  /** Calls answered with any other error (injected faults included): they had no effect. */
  failed: number;
}

/** One answered call. */
export interface CallRecord {
  /** Sequence number, from 1 since the last reset. */
  readonly seq: number;
  /** Local-cloud time of the call, in epoch milliseconds. */
  readonly at: number;
  /** Canonical operation id, e.g. `firehose:StartDeliveryStreamEncryption`. */
  readonly operation: string;
  /** The resource named by the call: a delivery stream name, or a KMS key id as given. */
  readonly resource?: string;
  readonly outcome: CallOutcome;
  /** The error answered, for throttled and failed calls (and accepted ones whose answer was an injected error). */
  readonly errorName?: string;
  /** The HTTP status answered. */
  readonly httpStatus: number;
}

/** All counts, by operation and by resource. */
export interface CallCounts {
  /** Tally per canonical operation id. */
  readonly operations: Record<string, CallTally>;
  /**
   * Tally per resource (delivery stream name for Firehose, KMS key id as given for KMS), then per
   * canonical operation id.
   */
  readonly resources: Record<string, Record<string, CallTally>>;
}

/** An empty tally. */
export function emptyTally(): CallTally {
  return { total: 0, accepted: 0, throttled: 0, failed: 0 };
}

/** Adds one call with `outcome` to a tally. */
function bump(tally: CallTally, outcome: CallOutcome): void {
  tally.total += 1;
  tally[outcome] += 1;
}

/** Records calls and answers count queries. */
export class CallRecorder {
  private readonly operations = new Map<string, CallTally>();
  private readonly resources = new Map<string, Map<string, CallTally>>();
  private readonly log: CallRecord[] = [];
  private seq = 0;

  /**
   * @param logLimit - how many recent calls {@link CallRecorder.history} keeps
   */
  constructor(private readonly logLimit = 1000) {}

  /** Records one answered call. */
  public record(entry: Omit<CallRecord, 'seq'>): CallRecord {
    const record: CallRecord = { seq: ++this.seq, ...entry };
    let tally = this.operations.get(entry.operation);
    if (!tally) {
      tally = emptyTally();
      this.operations.set(entry.operation, tally);
    }
    bump(tally, entry.outcome);
    if (entry.resource !== undefined) {
      let perResource = this.resources.get(entry.resource);
      if (!perResource) {
        perResource = new Map();
        this.resources.set(entry.resource, perResource);
      }
      let resourceTally = perResource.get(entry.operation);
      if (!resourceTally) {
        resourceTally = emptyTally();
        perResource.set(entry.operation, resourceTally);
      }
      bump(resourceTally, entry.outcome);
    }
    this.log.push(record);
    if (this.log.length > this.logLimit) this.log.splice(0, this.log.length - this.logLimit);
    return record;
  }

  /**
   * The tally of one operation, overall or for one resource; or of all calls when no operation is
   * given.
   */
  public tally(operationId?: string, resource?: string): CallTally {
    const sum = emptyTally();
    const add = (t: CallTally | undefined) => {
      if (!t) return;
      sum.total += t.total;
      sum.accepted += t.accepted;
      sum.throttled += t.throttled;
      sum.failed += t.failed;
    };
    if (resource !== undefined) {
      const perResource = this.resources.get(resource);
      if (operationId !== undefined) add(perResource?.get(operationId));
      else perResource?.forEach(add);
    } else if (operationId !== undefined) {
      add(this.operations.get(operationId));
    } else {
      this.operations.forEach(add);
    }
    return sum;
  }

  /** A copy of every count. */
  public counts(): CallCounts {
    const operations: Record<string, CallTally> = {};
    for (const [op, t] of this.operations) operations[op] = { ...t };
    const resources: Record<string, Record<string, CallTally>> = {};
    for (const [resource, perResource] of this.resources) {
      resources[resource] = {};
      for (const [op, t] of perResource) resources[resource][op] = { ...t };
    }
    return { operations, resources };
  }

  /** The most recent calls, oldest first. */
  public history(): CallRecord[] {
    return this.log.map((r) => ({ ...r }));
  }

  /** Forgets every call. */
  public reset(): void {
    this.operations.clear();
    this.resources.clear();
    this.log.length = 0;
    this.seq = 0;
  }
}
