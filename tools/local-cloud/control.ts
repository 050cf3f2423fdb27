/**
 * The control API: how tests and drivers arrange and inspect the local cloud.
 *
 * In process it is {@link LocalCloud.control} (synchronous). For other processes every method is
 * also served over HTTP as `POST /__control/<method>` (see {@link dispatchControl}) and wrapped by
 * {@link connectControl} in `control-client.ts`.
 *
 * Operations are named by canonical id (`firehose:StartDeliveryStreamEncryption`), by wire target
 * (`Firehose_20150804.StartDeliveryStreamEncryption`) or by bare name when only one service has it
 * (`StartDeliveryStreamEncryption`, `DescribeKey`).
 *
 * @module
 */

import { CallCounts, CallRecord, CallRecorder, CallTally } from './calls';
import { LocalClock } from './clock';
import { ControlError } from './errors';
import { FaultInjector, FaultOptions, PendingFault } from './faults';
import { IamModel, PolicyDocument, RoleView } from './iam';
import { JsonObject } from './json';
import { Router } from './router';
import {
  AlarmHistoryItem,
  AlarmSnapshot,
  CloudWatchBackend,
  FiredAlarmAction,
  MetricAlarmSpec,
  MetricDatapoint,
  MetricDimension,
  MetricStatisticsQuery,
} from './services/cloudwatch';
import type { Delivery, EventBridgeModel } from './services/events';
import {
  DeliveryStreamSnapshot,
  FailureDescription,
  FirehoseBackend,
  FirehoseSnapshot,
  StreamSpec,
  TransitionDelays,
} from './services/firehose';
import { DataStreamDelays, DataStreamSnapshot, DataStreamSpec, KinesisBackend, KinesisSnapshot } from './services/kinesis';
import { AliasSnapshot, KeyMetadataJson, KeySnapshot, KmsBackend, RegisterKeySpec, SettableKeyState } from './services/kms';
import { DeliveryReport, UnreadableRecord } from './services/records';
import type { SnsMessage, SnsModel } from './services/sns';
import { Throttler, ThrottleRate, ThrottleSetting } from './throttle';
import type { CloudTrail, TrailEvent } from './trail';

/** Everything the local cloud holds, as `state()` reports it. */
export interface LocalCloudState {
  /** Local-cloud time, in epoch milliseconds. */
  now: number;
  /** How far the clock has been advanced. */
  clockOffsetMs: number;
  region: string;
  accountId: string;
  firehose: FirehoseSnapshot;
  kinesis: KinesisSnapshot;
  kms: { keys: KeySnapshot[]; aliases: AliasSnapshot[] };
  /** The rate in force per canonical operation id (`null`: unlimited), plus `*` for the default. */
  throttles: Record<string, ThrottleSetting>;
  /** Injected faults still pending. */
  faults: PendingFault[];
  calls: CallCounts;
}

/**
 * The control API. Every method is synchronous in process; over HTTP each returns a promise of
 * the same result (see `RemoteControl`).
 */
export interface LocalCloudControl {
  /**
   * Back to a fresh cloud: no streams, keys, aliases, faults, forced failures, per-stream delays
   * or recorded calls; delays and rate limits as the cloud was started with; clock offset 0.
   */
  reset(): void;
  /** Everything the cloud holds, settled to now. */
  state(): LocalCloudState;
  /** Local-cloud time, in epoch milliseconds. */
  now(): number;
  /**
   * Moves the clock forward: transitions complete, the Start/Stop window rolls, token buckets
   * refill, keys pending deletion go.
   *
   * @param ms - milliseconds, at least 0
   * @returns the new time in epoch milliseconds
   */
  advanceClock(ms: number): number;
  /** Default delays of transitions that start from now on; returns the delays in force. */
  setDelays(delays: Partial<TransitionDelays>): TransitionDelays;
  /** Delays for one stream name (it need not exist yet); `null` removes them. Returns the delays in force for it. */
  setStreamDelays(streamName: string, delays: Partial<TransitionDelays> | null): TransitionDelays;
  /** Creates a delivery stream directly in any state. */
  createStream(spec: StreamSpec): DeliveryStreamSnapshot;
  /** Removes a stream at once, in any state (ENABLING included). Returns whether it existed. */
  deleteStream(streamName: string): boolean;
  /** A stream's snapshot: its wire description plus the applied key, pending change and Start/Stop budget. */
  stream(streamName: string): DeliveryStreamSnapshot | undefined;
  /**
   * Answers the next call(s) of an operation with an error, before throttling and validation.
   * Injected calls count as failed (or throttled, for `ThrottlingException`) and have no effect —
   * unless `options.applyThenFail`: then the call runs as usual and, once it took effect, answers
   * the error (it counts as accepted, with the error's name and status).
   *
   * @param operation - operation reference, e.g. `StartDeliveryStreamEncryption`
   * @param errorName - error shape name, e.g. `ServiceUnavailableException` (HTTP 500 by default)
   */
  failNext(operation: string, errorName: string, options?: FaultOptions): void;
  /** The next accepted Start on the stream ends `ENABLING_FAILED` with this description. */
  failNextStart(streamName: string, failure: FailureDescription): void;
  /** The next accepted Stop on the stream ends `DISABLING_FAILED` with this description. */
  failNextStop(streamName: string, failure: FailureDescription): void;
  /** Drops injected faults and forced Start/Stop failures. */
  clearFaults(): void;
  /**
   * Sets an operation's rate limit (per account); a number is calls per second with an equal burst,
   * `null` removes the limit. Operation `*` sets the default of operations without a rate of their own.
   */
  setThrottle(operation: string, rate: ThrottleRate | number | null): void;
  /** Calls of an operation (all operations when omitted), optionally only those naming one resource. */
  calls(operation?: string, resource?: string): CallTally;
  /** Every count, by canonical operation id and by resource. */
  callCounts(): CallCounts;
  /** The most recent calls (up to 1000), oldest first. */
  callLog(): CallRecord[];
  /** Adds (or replaces) a KMS key, with an ARN of the caller's choosing and optional aliases. */
  registerKey(spec?: RegisterKeySpec): KeyMetadataJson;
  /** Sets a key's key policy (as its template's `KeyPolicy` does); `null` restores the default, which names only the account. */
  putKeyPolicy(key: string, policy: JsonObject | null): void;
  /** Puts a key in a state directly (`Disabled`, `PendingDeletion` — deleted after `pendingWindowInDays`, default 30 —, …). */
  setKeyState(key: string, state: SettableKeyState, pendingWindowInDays?: number): KeyMetadataJson;
  /** A key's metadata by key id, key ARN, alias name or alias ARN. */
  key(key: string): KeyMetadataJson | undefined;
  /** Default delays of Kinesis data stream transitions that start from now on; returns the delays in force. */
  setKinesisDelays(delays: Partial<DataStreamDelays>): DataStreamDelays;
  /** Delays for one data stream name (it need not exist yet); `null` removes them. Returns the delays in force for it. */
  setDataStreamDelays(streamName: string, delays: Partial<DataStreamDelays> | null): DataStreamDelays;
  /** Creates a Kinesis data stream directly in any state. */
  createDataStream(spec: DataStreamSpec): DataStreamSnapshot;
  /** Removes a data stream at once, in any state (UPDATING included). Returns whether it existed. */
  deleteDataStream(streamName: string): boolean;
  /** A data stream's snapshot: its wire summary plus the applied encryption, pending change and key-application budget. */
  dataStream(streamName: string): DataStreamSnapshot | undefined;
  /** The next accepted Start or Stop on the data stream does not take: UPDATING, then ACTIVE as before. */
  failNextStreamEncryption(streamName: string): void;
  /**
   * Delivers a delivery stream's buffered records (Firehose must decrypt each): reports how many
   * were delivered and which could not be read (they stay buffered).
   */
  deliverRecords(streamName: string): DeliveryReport;
  /** The records put to a delivery stream so far that can no longer be read (their key disabled, pending deletion or gone). */
  unreadableRecords(streamName: string): UnreadableRecord[];
  /** The records written to a data stream so far that can no longer be read (GetRecords would fail on them). */
  unreadableDataRecords(streamName: string): UnreadableRecord[];
  /**
   * How long IAM policy changes made from now on take to be in force, in milliseconds: for the
   * checks of every action, or with `action` (`kms:CreateGrant`, …) for the checks of that action
   * alone (IAM is eventually consistent; endpoints may see a change at different times); returns it.
   */
  setIamPropagation(ms: number, action?: string): number;
  /**
   * The organization's service control policies (their Deny statements), which deny a role's
   * request whatever its own policies allow; `[]` removes them.
   */
  setServiceControlPolicies(documents: ReadonlyArray<PolicyDocument>): void;
  /** The roles IAM knows, with the names of their policies in force now. */
  iamRoles(): RoleView[];
  /** The CloudWatch metrics that have data (namespace, name, dimensions, number of datapoints). */
  listMetrics(): { namespace: string; metricName: string; dimensions: MetricDimension[]; datapoints: number }[];
  /** A metric's statistic per period in `[StartTime, EndTime)` (epoch ms); periods without data left out. */
  metricStatistics(query: MetricStatisticsQuery): MetricDatapoint[];
  /** Creates or replaces a CloudWatch metric alarm (INSUFFICIENT_DATA until evaluated). */
  putMetricAlarm(spec: MetricAlarmSpec): AlarmSnapshot;
  /** Deletes CloudWatch alarms by name. */
  deleteAlarms(names: string[]): void;
  /** Every CloudWatch alarm with its state. */
  alarms(): AlarmSnapshot[];
  /**
   * Evaluates every alarm at the local clock's now (its last complete periods), as CloudWatch does
   * every minute; returns the state changes. Nothing evaluates alarms but this call.
   */
  evaluateAlarms(): AlarmHistoryItem[];
  /** The state changes of every alarm (or of one), oldest first. */
  alarmHistory(alarmName?: string): AlarmHistoryItem[];
  /** The actions (SNS topic ARNs) alarms fired on their state changes, oldest first. */
  alarmActionsFired(): FiredAlarmAction[];
  /**
   * Starts (`true`) or stops a CloudTrail trail that logs management events: only while one logs
   * does EventBridge receive `AWS API Call via CloudTrail` events. With `automatic`, each event goes
   * to EventBridge as soon as the call is answered; without, it waits for {@link deliverTrailEvents}.
   * Returns whether a trail logs now.
   */
  setTrailLogging(on: boolean, automatic?: boolean): boolean;
  /** Puts the CloudTrail events that wait for EventBridge on the default bus; returns the deliveries to rule targets. */
  deliverTrailEvents(): Delivery[];
  /** Every CloudTrail event recorded (the event history, trail or not), oldest first. */
  trailEvents(): TrailEvent[];
  /** What EventBridge delivered to rule targets so far, oldest first. */
  eventDeliveries(): Delivery[];
  /** The messages an SNS topic received, oldest first. */
  snsMessages(topicArn: string): SnsMessage[];
}

/**
 * Every control method, and whether it only reads (read-only methods may also be called with
 * `GET /__control/<method>`).
 */
export const CONTROL_METHODS: Readonly<Record<keyof LocalCloudControl, 'read' | 'write'>> = {
  reset: 'write',
  state: 'read',
  now: 'read',
  advanceClock: 'write',
  setDelays: 'write',
  setStreamDelays: 'write',
  createStream: 'write',
  deleteStream: 'write',
  stream: 'read',
  failNext: 'write',
  failNextStart: 'write',
  failNextStop: 'write',
  clearFaults: 'write',
  setThrottle: 'write',
  calls: 'read',
  callCounts: 'read',
  callLog: 'read',
  registerKey: 'write',
  putKeyPolicy: 'write',
  setKeyState: 'write',
  key: 'read',
  setKinesisDelays: 'write',
  setDataStreamDelays: 'write',
  createDataStream: 'write',
  deleteDataStream: 'write',
  dataStream: 'read',
  failNextStreamEncryption: 'write',
  deliverRecords: 'write',
  unreadableRecords: 'read',
  unreadableDataRecords: 'read',
  setIamPropagation: 'write',
  setServiceControlPolicies: 'write',
  iamRoles: 'read',
  listMetrics: 'read',
  metricStatistics: 'read',
  putMetricAlarm: 'write',
  deleteAlarms: 'write',
  alarms: 'read',
  evaluateAlarms: 'write',
  alarmHistory: 'read',
  alarmActionsFired: 'read',
  setTrailLogging: 'write',
  deliverTrailEvents: 'write',
  trailEvents: 'read',
  eventDeliveries: 'read',
  snsMessages: 'read',
};

/** The names of the control methods. */
export type ControlMethod = keyof LocalCloudControl;

/** What the {@link ControlPlane} works on. */
export interface ControlPlaneParts {
  readonly router: Router;
  readonly clock: LocalClock;
  readonly throttler: Throttler;
  readonly faults: FaultInjector;
  readonly recorder: CallRecorder;
  readonly firehose: FirehoseBackend;
  readonly kinesis: KinesisBackend;
  readonly kms: KmsBackend;
  readonly cloudwatch: CloudWatchBackend;
  readonly iam: IamModel;
  readonly trail: CloudTrail;
  readonly events: EventBridgeModel;
  readonly sns: SnsModel;
  /** The IAM propagation delay the cloud was started with, re-applied by `reset()`. */
  readonly initialPropagationMs: number;
  readonly accountId: string;
  readonly region: string;
  /** Rate limits the cloud was started with, re-applied by `reset()`, by operation reference. */
  readonly initialThrottles?: Readonly<Record<string, ThrottleRate | number | null>>;
}

/** Turns the rate argument of `setThrottle` into a {@link ThrottleSetting}. */
function toSetting(rate: ThrottleRate | number | null, method: string): ThrottleSetting {
  if (rate === null) return null;
  if (typeof rate === 'number') return { ratePerSecond: rate };
  if (typeof rate === 'object' && typeof rate.ratePerSecond === 'number') return rate;
  throw new ControlError(`${method}: expected a rate ({ ratePerSecond, burst? }), a number of calls per second, or null`);
}

/** The in-process implementation of {@link LocalCloudControl}. */
export class ControlPlane implements LocalCloudControl {
  /**
   * @param parts - the pieces of the cloud it controls
   */
  constructor(private readonly parts: ControlPlaneParts) {
    this.applyInitialThrottles();
  }

  /** {@inheritDoc LocalCloudControl.reset} */
  public reset(): void {
    this.parts.firehose.reset();
    this.parts.kinesis.reset();
    this.parts.kms.reset();
    this.parts.cloudwatch.reset();
    this.parts.faults.clear();
    this.parts.recorder.reset();
    this.parts.clock.reset();
    this.parts.throttler.reset();
    this.parts.iam.reset();
    this.parts.iam.setPropagationMs(this.parts.initialPropagationMs);
    this.parts.trail.reset();
    this.parts.trail.setLogging(false);
    this.parts.trail.setAutomaticDelivery(undefined);
    this.parts.events.resetHistory();
    this.applyInitialThrottles();
  }

  /** {@inheritDoc LocalCloudControl.setTrailLogging} */
  public setTrailLogging(on: boolean, automatic = false): boolean {
    if (typeof on !== 'boolean') throw new ControlError('setTrailLogging: expected true or false');
    this.parts.trail.setLogging(on);
    this.parts.trail.setAutomaticDelivery(automatic ? (event) => this.parts.events.putEvent(event as unknown as JsonObject) : undefined);
    return on;
  }

  /** {@inheritDoc LocalCloudControl.deliverTrailEvents} */
  public deliverTrailEvents(): Delivery[] {
    return this.parts.trail.takePending().flatMap((event) => this.parts.events.putEvent(event as unknown as JsonObject));
  }

  /** {@inheritDoc LocalCloudControl.trailEvents} */
  public trailEvents(): TrailEvent[] {
    return [...this.parts.trail.events()];
  }

  /** {@inheritDoc LocalCloudControl.eventDeliveries} */
  public eventDeliveries(): Delivery[] {
    return [...this.parts.events.deliveries()];
  }

  /** {@inheritDoc LocalCloudControl.snsMessages} */
  public snsMessages(topicArn: string): SnsMessage[] {
    return this.parts.sns.messages(topicArn);
  }

  /** {@inheritDoc LocalCloudControl.state} */
  public state(): LocalCloudState {
    return {
      now: this.parts.clock.now(),
      clockOffsetMs: this.parts.clock.offsetMs,
      region: this.parts.region,
      accountId: this.parts.accountId,
      firehose: this.parts.firehose.snapshot(),
      kinesis: this.parts.kinesis.snapshot(),
      kms: this.parts.kms.snapshot(),
      throttles: this.parts.throttler.snapshot(this.parts.router.operationIds()),
      faults: this.parts.faults.list(),
      calls: this.parts.recorder.counts(),
    };
  }

  /** {@inheritDoc LocalCloudControl.now} */
  public now(): number {
    return this.parts.clock.now();
  }

  /** {@inheritDoc LocalCloudControl.advanceClock} */
  public advanceClock(ms: number): number {
    try {
      return this.parts.clock.advance(ms);
    } catch (e) {
      throw new ControlError((e as Error).message);
    }
  }

  /** {@inheritDoc LocalCloudControl.setDelays} */
  public setDelays(delays: Partial<TransitionDelays>): TransitionDelays {
    return this.parts.firehose.setDelays(delays);
  }

  /** {@inheritDoc LocalCloudControl.setStreamDelays} */
  public setStreamDelays(streamName: string, delays: Partial<TransitionDelays> | null): TransitionDelays {
    return this.parts.firehose.setStreamDelays(streamName, delays);
  }

  /** {@inheritDoc LocalCloudControl.createStream} */
  public createStream(spec: StreamSpec): DeliveryStreamSnapshot {
    return this.parts.firehose.createStream(spec);
  }

  /** {@inheritDoc LocalCloudControl.deleteStream} */
  public deleteStream(streamName: string): boolean {
    return this.parts.firehose.deleteStream(streamName);
  }

  /** {@inheritDoc LocalCloudControl.stream} */
  public stream(streamName: string): DeliveryStreamSnapshot | undefined {
    return this.parts.firehose.stream(streamName);
  }

  /** {@inheritDoc LocalCloudControl.failNext} */
  public failNext(operation: string, errorName: string, options: FaultOptions = {}): void {
    const resolved = this.parts.router.resolveReference(operation);
    try {
      this.parts.faults.add(resolved.id, errorName, options ?? {});
    } catch (e) {
      throw new ControlError(`failNext: ${(e as Error).message}`);
    }
  }

  /** {@inheritDoc LocalCloudControl.failNextStart} */
  public failNextStart(streamName: string, failure: FailureDescription): void {
    this.parts.firehose.failNextStart(streamName, failure);
  }

  /** {@inheritDoc LocalCloudControl.failNextStop} */
  public failNextStop(streamName: string, failure: FailureDescription): void {
    this.parts.firehose.failNextStop(streamName, failure);
  }

  /** {@inheritDoc LocalCloudControl.clearFaults} */
  public clearFaults(): void {
    this.parts.faults.clear();
    this.parts.firehose.clearForcedFailures();
    this.parts.kinesis.clearForcedFailures();
  }

  /** {@inheritDoc LocalCloudControl.setThrottle} */
  public setThrottle(operation: string, rate: ThrottleRate | number | null): void {
    const id = operation === '*' ? '*' : this.parts.router.resolveReference(operation).id;
    try {
      this.parts.throttler.set(id, toSetting(rate, 'setThrottle'));
    } catch (e) {
      throw e instanceof ControlError ? e : new ControlError(`setThrottle: ${(e as Error).message}`);
    }
  }

  /** {@inheritDoc LocalCloudControl.calls} */
  public calls(operation?: string, resource?: string): CallTally {
    const id = operation === undefined || operation === null ? undefined : this.parts.router.resolveReference(operation).id;
    return this.parts.recorder.tally(id, resource ?? undefined);
  }

  /** {@inheritDoc LocalCloudControl.callCounts} */
  public callCounts(): CallCounts {
    return this.parts.recorder.counts();
  }

  /** {@inheritDoc LocalCloudControl.callLog} */
  public callLog(): CallRecord[] {
    return this.parts.recorder.history();
  }

  /** {@inheritDoc LocalCloudControl.registerKey} */
  public registerKey(spec: RegisterKeySpec = {}): KeyMetadataJson {
    return this.parts.kms.registerKey(spec);
  }

  /** {@inheritDoc LocalCloudControl.putKeyPolicy} */
  public putKeyPolicy(key: string, policy: JsonObject | null): void {
    this.parts.kms.putKeyPolicy(key, policy === null ? undefined : (policy as unknown as PolicyDocument));
  }

  /** {@inheritDoc LocalCloudControl.setKeyState} */
  public setKeyState(key: string, state: SettableKeyState, pendingWindowInDays?: number): KeyMetadataJson {
    return this.parts.kms.setKeyState(key, state, pendingWindowInDays ?? undefined);
  }

  /** {@inheritDoc LocalCloudControl.key} */
  public key(key: string): KeyMetadataJson | undefined {
    if (typeof key !== 'string' || key === '') throw new ControlError('key: expected a key id, key ARN, alias name or alias ARN');
    return this.parts.kms.describe(key);
  }

  /** {@inheritDoc LocalCloudControl.setKinesisDelays} */
  public setKinesisDelays(delays: Partial<DataStreamDelays>): DataStreamDelays {
    return this.parts.kinesis.setDelays(delays);
  }

  /** {@inheritDoc LocalCloudControl.setDataStreamDelays} */
  public setDataStreamDelays(streamName: string, delays: Partial<DataStreamDelays> | null): DataStreamDelays {
    return this.parts.kinesis.setStreamDelays(streamName, delays);
  }

  /** {@inheritDoc LocalCloudControl.createDataStream} */
  public createDataStream(spec: DataStreamSpec): DataStreamSnapshot {
    return this.parts.kinesis.createDataStream(spec);
  }

  /** {@inheritDoc LocalCloudControl.deleteDataStream} */
  public deleteDataStream(streamName: string): boolean {
    return this.parts.kinesis.deleteDataStream(streamName);
  }

  /** {@inheritDoc LocalCloudControl.dataStream} */
  public dataStream(streamName: string): DataStreamSnapshot | undefined {
    return this.parts.kinesis.dataStream(streamName);
  }

  /** {@inheritDoc LocalCloudControl.failNextStreamEncryption} */
  public failNextStreamEncryption(streamName: string): void {
    this.parts.kinesis.failNextStreamEncryption(streamName);
  }

  /** {@inheritDoc LocalCloudControl.deliverRecords} */
  public deliverRecords(streamName: string): DeliveryReport {
    return this.parts.firehose.deliverRecords(streamName);
  }

  /** {@inheritDoc LocalCloudControl.unreadableRecords} */
  public unreadableRecords(streamName: string): UnreadableRecord[] {
    return this.parts.firehose.unreadableRecords(streamName);
  }

  /** {@inheritDoc LocalCloudControl.unreadableDataRecords} */
  public unreadableDataRecords(streamName: string): UnreadableRecord[] {
    return this.parts.kinesis.unreadableRecords(streamName);
  }

  /** {@inheritDoc LocalCloudControl.setIamPropagation} */
  public setIamPropagation(ms: number, action?: string): number {
    // over HTTP, an action left out arrives as null
    const one = action ?? undefined;
    try {
      this.parts.iam.setPropagationMs(ms, one);
    } catch (e) {
      throw new ControlError(`setIamPropagation: ${(e as Error).message}`);
    }
    return one === undefined ? this.parts.iam.propagationDelayMs : this.parts.iam.propagationDelayMsOf(one);
  }

  /** {@inheritDoc LocalCloudControl.setServiceControlPolicies} */
  public setServiceControlPolicies(documents: ReadonlyArray<PolicyDocument>): void {
    this.parts.iam.setServiceControlPolicies(documents);
  }

  /** {@inheritDoc LocalCloudControl.iamRoles} */
  public iamRoles(): RoleView[] {
    return this.parts.iam.roleArns().map((arn) => this.parts.iam.role(arn)!);
  }

  /** {@inheritDoc LocalCloudControl.listMetrics} */
  public listMetrics(): { namespace: string; metricName: string; dimensions: MetricDimension[]; datapoints: number }[] {
    return this.parts.cloudwatch.listMetrics();
  }

  /** {@inheritDoc LocalCloudControl.metricStatistics} */
  public metricStatistics(query: MetricStatisticsQuery): MetricDatapoint[] {
    return this.parts.cloudwatch.metricStatistics(query);
  }

  /** {@inheritDoc LocalCloudControl.putMetricAlarm} */
  public putMetricAlarm(spec: MetricAlarmSpec): AlarmSnapshot {
    return this.parts.cloudwatch.putMetricAlarm(spec);
  }

  /** {@inheritDoc LocalCloudControl.deleteAlarms} */
  public deleteAlarms(names: string[]): void {
    if (!Array.isArray(names)) throw new ControlError('deleteAlarms: expected a list of alarm names');
    this.parts.cloudwatch.deleteAlarms(names);
  }

  /** {@inheritDoc LocalCloudControl.alarms} */
  public alarms(): AlarmSnapshot[] {
    return this.parts.cloudwatch.describeAlarms();
  }

  /** {@inheritDoc LocalCloudControl.evaluateAlarms} */
  public evaluateAlarms(): AlarmHistoryItem[] {
    return this.parts.cloudwatch.evaluateAlarms();
  }

  /** {@inheritDoc LocalCloudControl.alarmHistory} */
  public alarmHistory(alarmName?: string): AlarmHistoryItem[] {
    return this.parts.cloudwatch.alarmHistory(alarmName ?? undefined);
  }

  /** {@inheritDoc LocalCloudControl.alarmActionsFired} */
  public alarmActionsFired(): FiredAlarmAction[] {
    return this.parts.cloudwatch.alarmActionsFired();
  }

  /** Applies the rate limits the cloud was started with. */
  private applyInitialThrottles(): void {
    for (const [operation, rate] of Object.entries(this.parts.initialThrottles ?? {})) {
      this.setThrottle(operation, rate);
    }
  }
}

/** The answer to a control call over HTTP. */
export interface ControlHttpAnswer {
  readonly status: number;
  readonly body: JsonObject;
}

/**
 * Runs one control call that arrived over HTTP.
 *
 * The body holds the arguments: a JSON array is the positional argument list
 * (`["orders", {"enablingMs": 0}]`), a JSON object is the single argument (`{"name": "orders"}`),
 * an empty body is no argument. The answer is `200 {"result": …}` (no `result` for methods that
 * return nothing), `400 {"error": {"name": "ControlError", "message": …}}` for bad arguments,
 * `404` for an unknown method and `405` for `GET` of a method that changes state.
 *
 * @param control - the in-process control API
 * @param httpMethod - `GET` or `POST`
 * @param method - the control method name from the path
 * @param rawBody - the request body
 */
export function dispatchControl(control: LocalCloudControl, httpMethod: string, method: string, rawBody: string): ControlHttpAnswer {
  if (!Object.prototype.hasOwnProperty.call(CONTROL_METHODS, method)) {
    return {
      status: 404,
      body: { error: { name: 'UnknownControlMethod', message: `No control method '${method}'. Methods: ${Object.keys(CONTROL_METHODS).join(', ')}` } },
    };
  }
  const name = method as ControlMethod;
  if (httpMethod !== 'POST' && !(httpMethod === 'GET' && CONTROL_METHODS[name] === 'read')) {
    return { status: 405, body: { error: { name: 'MethodNotAllowed', message: `Call ${name} with POST /__control/${name}` } } };
  }
  let args: unknown[];
  try {
    const parsed: unknown = rawBody.trim() === '' ? undefined : JSON.parse(rawBody);
    args = parsed === undefined ? [] : Array.isArray(parsed) ? parsed : [parsed];
  } catch (e) {
    return { status: 400, body: { error: { name: 'ControlError', message: `The body is not valid JSON: ${(e as Error).message}` } } };
  }
  try {
    const fn = control[name] as (...a: unknown[]) => unknown;
    const result = fn.apply(control, args);
    return { status: 200, body: result === undefined ? {} : { result: result as JsonObject } };
  } catch (e) {
    if (e instanceof ControlError) return { status: 400, body: { error: { name: e.name, message: e.message } } };
    return { status: 500, body: { error: { name: 'InternalFailure', message: e instanceof Error ? e.message : String(e) } } };
  }
}
