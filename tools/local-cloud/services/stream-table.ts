/**
 * The stream bookkeeping Firehose and Kinesis share: the streams of one service by name, the
 * delays of their transitions (defaults, and overrides per stream name), settling every stream
 * against the clock, the rolling call window that limits Start/Stop calls (Firehose) or key
 * applications (Kinesis) per stream, tags given to the control API, and snapshot and reset.
 *
 * What a stream is, how it settles and how it is described stay with each service.
 *
 * @module
 */

import { LocalClock } from '../clock';
import { ControlError, ServiceError } from '../errors';
import { isJsonObject, JsonObject } from '../json';
import { MAX_TAGS_PER_STREAM, TagSet } from './tags';

/** One hour in milliseconds. */
export const HOUR_MS = 60 * 60 * 1000;

/** The combined limit of Start and Stop calls per stream. */
export interface EncryptionCallLimit {
  /** Accepted calls allowed in the window. */
  readonly calls: number;
  /** The rolling window, in milliseconds. */
  readonly windowMs: number;
}

/** What a {@link StreamTable} needs of a stream. */
export interface TableStream {
  /** The stream name, the key of the table. */
  readonly name: string;
  /** The stream's tags. */
  readonly tags: TagSet;
  /** Times of the accepted calls of the rolling window (older ones are dropped when a call is spent). */
  calls: number[];
}

/** How a stream name is checked in control-API arguments. */
export interface StreamNameRule {
  /** The whole name must match. */
  readonly pattern: RegExp;
  /** What a name is, for messages: `delivery stream name ([a-zA-Z0-9_.-]+, 1 to 64 characters)`. */
  readonly description: string;
}

/** The control-API method names a stream service's delays are set through, for messages. */
export interface DelayMethodNames {
  /** Sets the default delays (`setDelays`, `setKinesisDelays`). */
  readonly setDelays: string;
  /** Sets one stream's delays (`setStreamDelays`, `setDataStreamDelays`). */
  readonly setStreamDelays: string;
}

/** What a kind of stream is to its {@link StreamTable}: the same for every local cloud. */
export interface StreamKind<D extends object> {
  /** The default delays; their names are the only delay names known. */
  readonly defaultDelays: Readonly<D>;
  /** The option initial delays come in, for messages (`delays`, `kinesisDelays`). */
  readonly delaysOption: string;
  /** The option the call limit comes in, for messages (`encryptionCallLimit`, `keyApplicationLimit`). */
  readonly callLimitOption: string;
  /** The control-API names of the delay methods. */
  readonly delayMethods: DelayMethodNames;
  /** What a stream name may be. */
  readonly name: StreamNameRule;
}

/** The settings of one local cloud's {@link StreamTable}. */
export interface StreamTableSettings<D extends object> {
  /** The clock that control-API calls read. */
  readonly clock: LocalClock;
  /** Initial default delays (missing members from {@link StreamKind.defaultDelays}). */
  readonly delays?: Partial<D>;
  /** The per-stream call limit. */
  readonly callLimit: EncryptionCallLimit;
}

/** The use of a stream's call budget, as snapshots report it. */
export interface CallBudget extends JsonObject {
  /** Accepted calls still in the window. */
  inWindow: number;
  /** Accepted calls allowed in the window. */
  limit: number;
  /** The rolling window, in milliseconds. */
  windowMs: number;
}

/** Validates delays given to the control API against the known names of `defaults`. */
function checkDelays<D extends object>(delays: Partial<D>, defaults: Readonly<D>, method: string): Partial<D> {
  if (!isJsonObject(delays)) throw new ControlError(`${method}: expected an object of delays in milliseconds`);
  const out: Partial<D> = {};
  for (const [name, value] of Object.entries(delays)) {
    if (!Object.prototype.hasOwnProperty.call(defaults, name)) {
      throw new ControlError(`${method}: unknown delay '${name}'; known: ${Object.keys(defaults).join(', ')}`);
    }
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new ControlError(`${method}: ${name} must be a finite number of milliseconds >= 0, got ${JSON.stringify(value)}`);
    }
    (out as Record<string, number>)[name] = value;
  }
  return out;
}

/**
 * A control-API argument that must be a key of `table` (an enum value table): `value`, or
 * `fallback` when it is not given.
 *
 * @throws ControlError `<method>: unknown <what> '<value>'`
 */
export function checkMember<T extends string>(
  table: Readonly<Record<T, unknown>>,
  value: T | undefined,
  fallback: T,
  method: string,
  what: string,
): T {
  const member = value ?? fallback;
  if (!Object.prototype.hasOwnProperty.call(table, member)) throw new ControlError(`${method}: unknown ${what} '${member}'`);
  return member;
}

/** The streams of one service, with the bookkeeping both stream services share. */
export class StreamTable<S extends TableStream, D extends object> {
  /** The call limit in force. */
  public readonly limit: EncryptionCallLimit;
  private readonly streams = new Map<string, S>();
  private readonly streamDelays = new Map<string, Partial<D>>();
  private readonly initialDelays: D;
  private delays: D;

  /**
   * @param kind - default delays, option and method names, name rule
   * @param settings - clock, initial delays, call limit
   * @param settle - completes a stream's transitions whose end time has passed; may remove the stream
   * @throws RangeError when the call limit is not usable
   */
  constructor(
    private readonly kind: StreamKind<D>,
    private readonly settings: StreamTableSettings<D>,
    private readonly settle: (stream: S, now: number) => void,
  ) {
    this.initialDelays = { ...kind.defaultDelays, ...checkDelays(settings.delays ?? {}, kind.defaultDelays, kind.delaysOption) } as D;
    this.delays = { ...this.initialDelays };
    this.limit = settings.callLimit;
    if (!Number.isInteger(this.limit.calls) || this.limit.calls < 1 || !(this.limit.windowMs > 0)) {
      throw new RangeError(`${kind.callLimitOption}: calls must be an integer >= 1 and windowMs > 0`);
    }
  }

  // ---- streams --------------------------------------------------------------------------------

  /** The stream of that name, as it is (not settled). */
  public get(name: string): S | undefined {
    return this.streams.get(name);
  }

  /** Whether there is a stream of that name. */
  public has(name: string): boolean {
    return this.streams.has(name);
  }

  /** Adds (or replaces) a stream. */
  public add(stream: S): void {
    this.streams.set(stream.name, stream);
  }

  /** Removes a stream; whether there was one. */
  public remove(name: string): boolean {
    return this.streams.delete(name);
  }

  /** Every stream, in the order they were added. */
  public all(): S[] {
    return [...this.streams.values()];
  }

  /** Settles every stream. */
  public settleAll(now: number): void {
    for (const stream of this.all()) this.settle(stream, now);
  }

  // ---- delays ---------------------------------------------------------------------------------

  /** The delays in force for a stream name: defaults overridden by the stream's own. */
  public delaysFor(name: string): D {
    return { ...this.delays, ...this.streamDelays.get(name) };
  }

  /** Changes the default delays of transitions that start from now on; the delays now in force. */
  public setDelays(delays: Partial<D>): D {
    const method = this.kind.delayMethods.setDelays;
    this.delays = { ...this.delays, ...checkDelays(delays, this.kind.defaultDelays, method) };
    return { ...this.delays };
  }

  /** Overrides delays for one stream name (it need not exist yet), or removes them with `null`. */
  public setStreamDelays(name: string, delays: Partial<D> | null): D {
    const method = this.kind.delayMethods.setStreamDelays;
    this.checkName(name, method);
    if (delays === null) {
      this.streamDelays.delete(name);
    } else {
      this.streamDelays.set(name, { ...this.streamDelays.get(name), ...checkDelays(delays, this.kind.defaultDelays, method) });
    }
    return this.delaysFor(name);
  }

  // ---- the rolling call window ----------------------------------------------------------------

  /** Spends one call of a stream's rolling window, or throws what `refuse` makes. */
  public spendCall(stream: S, now: number, refuse: () => ServiceError): void {
    stream.calls = stream.calls.filter((at) => at > now - this.limit.windowMs);
    if (stream.calls.length >= this.limit.calls) throw refuse();
    stream.calls.push(now);
  }

  /** The use of a stream's call budget now. */
  public budgetOf(stream: S, now: number): CallBudget {
    return {
      inWindow: stream.calls.filter((at) => at > now - this.limit.windowMs).length,
      limit: this.limit.calls,
      windowMs: this.limit.windowMs,
    };
  }

  /**
   * Calls already used in the current window, for a stream made by the control API: `used` calls
   * made now (they expire one window from now).
   *
   * @param member - the spec member `used` came in, for messages
   */
  public callsFromSpec(used: number | undefined, now: number, method: string, member: string): number[] {
    const count = used ?? 0;
    if (!Number.isInteger(count) || count < 0) throw new ControlError(`${method}: ${member} must be an integer >= 0`);
    return Array.from({ length: count }, () => now);
  }

  // ---- control-API arguments ------------------------------------------------------------------

  /** Validates a stream name given to the control API. */
  public checkName(name: string, method: string): string {
    if (typeof name !== 'string' || !this.kind.name.pattern.test(name)) {
      throw new ControlError(`${method}: '${name}' is not a ${this.kind.name.description}`);
    }
    return name;
  }

  /** Validates tags given to the control API; the tags of a new stream. */
  public tagsFromSpec(tags: Readonly<Record<string, string>> | undefined, method: string): TagSet {
    if (tags === undefined) return new TagSet();
    if (!isJsonObject(tags) || Object.values(tags).some((v) => typeof v !== 'string')) {
      throw new ControlError(`${method}: tags must be an object of string values`);
    }
    if (Object.keys(tags).length > MAX_TAGS_PER_STREAM) throw new ControlError(`${method}: a stream has at most ${MAX_TAGS_PER_STREAM} tags`);
    return new TagSet(tags);
  }

  /**
   * The checks before the control API creates a stream: a spec object with a valid name of a
   * stream that does not exist (every stream settled first).
   *
   * @returns the name and the time now
   */
  public beginCreate(spec: { readonly name: string }, method: string): { name: string; now: number } {
    if (!isJsonObject(spec)) throw new ControlError(`${method}: expected a stream spec object`);
    const name = this.checkName(spec.name, method);
    const now = this.settings.clock.now();
    this.settleAll(now);
    if (this.streams.has(name)) throw new ControlError(`${method}: stream ${name} already exists; delete it first`);
    return { name, now };
  }

  /** Removes a stream at once, whatever its state; whether there was one. */
  public removeNow(name: string, method: string): boolean {
    this.settleAll(this.settings.clock.now());
    return this.streams.delete(this.checkName(name, method));
  }

  // ---- snapshot and reset ---------------------------------------------------------------------

  /** A stream as `view` shows it, settled to now; `undefined` when there is no such stream. */
  public view<T>(name: string, view: (stream: S, now: number) => T): T | undefined {
    const now = this.settings.clock.now();
    this.settleAll(now);
    const stream = this.streams.get(name);
    return stream && view(stream, now);
  }

  /** Delays, overrides, call limit and every stream (by name, as `view` shows it), settled to now. */
  public snapshot<T>(view: (stream: S, now: number) => T): TableSnapshot<D, T> {
    const now = this.settings.clock.now();
    this.settleAll(now);
    return {
      delays: { ...this.delays },
      streamDelays: Object.fromEntries([...this.streamDelays].map(([name, d]) => [name, { ...d }])),
      callLimit: { ...this.limit },
      streams: this.all().sort((a, b) => a.name.localeCompare(b.name)).map((stream) => view(stream, now)),
    };
  }

  /** Drops every stream and override; delays back to the initial ones. */
  public reset(): void {
    this.streams.clear();
    this.streamDelays.clear();
    this.delays = { ...this.initialDelays };
  }
}

/**
 * What a stream service's backend shares: its {@link StreamTable}, and the control-API methods
 * that set delays. A backend settles its own streams.
 */
export abstract class StreamBackend<S extends TableStream, D extends object> {
  /** The streams. */
  protected readonly table: StreamTable<S, D>;

  /**
   * @param kind - what the service's streams are to the table
   * @param settings - clock, initial delays, call limit
   */
  protected constructor(kind: StreamKind<D>, settings: StreamTableSettings<D>) {
    this.table = new StreamTable(kind, settings, (stream, now) => this.settle(stream, now));
  }

  /**
   * Changes the default delays of transitions that start from now on.
   *
   * @returns the delays now in force
   */
  public setDelays(delays: Partial<D>): D {
    return this.table.setDelays(delays);
  }

  /**
   * Overrides delays for one stream name (the stream need not exist yet), or removes the
   * overrides with `null`. Applies to transitions that start from now on.
   */
  public setStreamDelays(name: string, delays: Partial<D> | null): D {
    return this.table.setStreamDelays(name, delays);
  }

  /** Completes every transition of a stream whose end time has passed (it may remove the stream). */
  protected abstract settle(stream: S, now: number): void;
}

/** What {@link StreamTable.snapshot} reports. */
export interface TableSnapshot<D, T> {
  /** The default delays in force. */
  delays: D;
  /** The overrides, by stream name. */
  streamDelays: Record<string, Partial<D>>;
  /** The per-stream call limit. */
  callLimit: { calls: number; windowMs: number };
  /** Every stream, by name. */
  streams: T[];
}
