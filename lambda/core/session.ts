/**
 * What a stream service's driver sees of one reconcile: the types a service
 * works with, the steps its truth table decides, and {@link DriverSession},
 * the few calls of the session it needs. The reconcile loop
 * (`reconcile.ts`) implements the session; a service (`lambda/kinds/`) only
 * uses it, so neither imports the other.
 */
import { errorInfo, Operation } from './errors';
import type { Logger } from './log';
import type { Lifecycle } from './properties';
import { HandlerFailure, HandlerReasonId, ReasonParams } from './reasons';

/** The validated properties every kind of stream has. */
export interface ServiceProperties extends Lifecycle {
  /** The stream's name. */
  readonly streamName: string;
}

/** What every kind's goal says: encrypt (Create, Update) or decrypt (Delete) a named stream. */
export interface ServiceGoal {
  /** `encrypt`: the stream encrypted as wanted; `decrypt`: encryption off (or the stream gone). */
  readonly kind: 'encrypt' | 'decrypt';
  /** The stream's name. */
  readonly streamName: string;
}

/** A reading of any kind of stream. */
export interface Reading {
  /** Whether the stream exists. */
  readonly found: boolean;
}

/** The types one stream service works with. */
export interface ServiceTypes {
  /** Its validated properties. */
  readonly properties: ServiceProperties;
  /** What it wants the stream's encryption to be. */
  readonly goal: ServiceGoal;
  /** One reading of the stream. */
  readonly observation: Reading;
  /** What the reconcile loop did and saw earlier in the request. */
  readonly memory: unknown;
  /** The SDK clients it calls. */
  readonly clients: unknown;
}

/** The next step of the loop, as a stream's truth table decides it. */
export type Step =
  | {
    /** Read the stream again after a short pause. */
    readonly kind: 'wait';
  }
  | {
    /** Call Start (with the wanted key). */
    readonly kind: 'start';
  }
  | {
    /** Call Stop. */
    readonly kind: 'stop';
  }
  | {
    /** Answer SUCCESS. */
    readonly kind: 'succeed';
    /** Wait the settle time first (encryption was just applied). */
    readonly settle: boolean;
  }
  | {
    /** Answer FAILED. */
    readonly kind: 'fail';
    /** The catalogue entry. */
    readonly reasonId: HandlerReasonId;
    /** The entry's parameters. */
    readonly params: ReasonParams;
  };

/**
 * How a Start or Stop call went: taken, perhaps taken (retry after reading
 * again), denied while IAM may still be propagating (not taken; read again and
 * retry), or no stream.
 */
export type ChangeOutcome = 'accepted' | 'uncertain' | 'denied' | 'gone';

/** Options of one idempotent call. */
export interface ReadOptions {
  /** Retry access denied while IAM may still be propagating (default true). */
  readonly retryDenied?: boolean;
}

/** A call whose access denied is final at once. */
export const NO_DENIED_RETRY: ReadOptions = { retryDenied: false };

/**
 * What a service's driver sees of one reconcile: the goal, its clients and
 * memory, the last reading, and the calls every kind of stream makes the same
 * way (retried reads, Start and Stop, the error mapping).
 */
export interface DriverSession<T extends ServiceTypes = ServiceTypes> {
  /** What the encryption should be. */
  readonly goal: T['goal'];
  /** The service's SDK clients. */
  readonly clients: T['clients'];
  /** What the service's truth table did and saw earlier in this request. */
  memory: T['memory'];
  /** The last reading of the stream, if any. */
  readonly observation?: T['observation'];
  /** The request's logger. */
  readonly log: Logger;
  /** Milliseconds since the epoch, by the request's clock. */
  now(): number;
  /** Bound one AWS call in time. */
  abortSignal(): AbortSignal;
  /**
   * One idempotent call (a read, or a tag written or removed), retried while
   * its error is worth another attempt; any other error is thrown as it is.
   */
  read<R>(operation: Operation, send: () => Promise<R>, options?: ReadOptions): Promise<R>;
  /**
   * Start or Stop, never retried by itself.
   *
   * @returns `gone` when Stop finds no stream.
   * @throws HandlerFailure when the service refuses the call.
   */
  change(operation: Operation, send: () => Promise<unknown>, fields: Readonly<Record<string, unknown>>): Promise<ChangeOutcome>;
  /** The catalogue reason of a non-retryable error of `operation`. */
  failure(err: unknown, operation: Operation): HandlerFailure;
  /** The parameters every access-denied reason names: how long it was denied, and for how long that is retried. */
  deniedParams(): { readonly retriedSeconds: number; readonly windowSeconds: number };
}

/**
 * A stream's describe call, through `session.read`: the description in
 * `field` of its output, or `undefined` when the stream does not exist
 * (`ResourceNotFoundException`).
 *
 * @throws HandlerFailure UNEXPECTED_ERROR when the output has no `field`, or
 * the service's reason for any other non-retryable error.
 */
export async function readDescription<R, K extends keyof R & string>(
  session: DriverSession,
  operation: Operation,
  field: K,
  send: () => Promise<R>,
): Promise<NonNullable<R[K]> | undefined> {
  let output: R | undefined;
  try {
    output = await session.read(operation, send);
  } catch (err) {
    if (errorInfo(err).name !== 'ResourceNotFoundException') {
      throw session.failure(err, operation);
    }
    return undefined;
  }
  const description = output?.[field];
  if (!description) {
    throw new HandlerFailure('UNEXPECTED_ERROR', { operation, error: `no ${field}` });
  }
  return description;
}
