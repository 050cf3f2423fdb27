/**
 * The control API: how tests and drivers arrange and inspect the local cloud.
 *
 * It is {@link LocalCloud.control}, in process and synchronous.
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

/** The control API of a local cloud (its type is also named {@link LocalCloudControl}). */
export class ControlPlane {
  /**
   * @param parts - the pieces of the cloud it controls
   */
  constructor(private readonly parts: ControlPlaneParts) {
    this.applyInitialThrottles();
  }

  /**
   * Back to a fresh cloud: no streams, keys, aliases, faults, forced failures, per-stream delays
   * or recorded calls; delays and rate limits as the cloud was started with; clock offset 0.
   */
  public reset(): void {
    this.parts.firehose.reset();
    this.parts.kinesis.reset();
    this.parts.kms.reset();
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

  /**
   * Starts (`true`) or stops a CloudTrail trail that logs management events: only while one logs
   * does EventBridge receive `AWS API Call via CloudTrail` events. With `automatic`, each event goes
   * to EventBridge as soon as the call is answered; without, it waits for {@link deliverTrailEvents}.
   * Returns whether a trail logs now.
   */
  public setTrailLogging(on: boolean, automatic = false): boolean {
    this.parts.trail.setLogging(on);
    this.parts.trail.setAutomaticDelivery(automatic ? (event) => this.parts.events.putEvent(event as unknown as JsonObject) : undefined);
    return on;
  }

  /** Puts the CloudTrail events that wait for EventBridge on the default bus; returns the deliveries to rule targets. */
  public deliverTrailEvents(): Delivery[] {
    return this.parts.trail.takePending().flatMap((event) => this.parts.events.putEvent(event as unknown as JsonObject));
  }

  /** Every CloudTrail event recorded (the event history, trail or not), oldest first. */
  public trailEvents(): TrailEvent[] {
    return [...this.parts.trail.events()];
  }

  /** What EventBridge delivered to rule targets so far, oldest first. */
  public eventDeliveries(): Delivery[] {
    return [...this.parts.events.deliveries()];
  }

  /** The messages an SNS topic received, oldest first. */
  public snsMessages(topicArn: string): SnsMessage[] {
    return this.parts.sns.messages(topicArn);
  }

  /** Everything the cloud holds, settled to now. */
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

  /** Local-cloud time, in epoch milliseconds. */
  public now(): number {
    return this.parts.clock.now();
  }

  /**
   * Moves the clock forward: transitions complete, the Start/Stop window rolls, token buckets
   * refill, keys pending deletion go.
   *
   * @param ms - milliseconds, at least 0
   * @returns the new time in epoch milliseconds
   */
  public advanceClock(ms: number): number {
    try {
      return this.parts.clock.advance(ms);
    } catch (e) {
      throw new ControlError((e as Error).message);
    }
  }

  /** Default delays of transitions that start from now on; returns the delays in force. */
  public setDelays(delays: Partial<TransitionDelays>): TransitionDelays {
    return this.parts.firehose.setDelays(delays);
  }

  /** Delays for one stream name (it need not exist yet); `null` removes them. Returns the delays in force for it. */
  public setStreamDelays(streamName: string, delays: Partial<TransitionDelays> | null): TransitionDelays {
    return this.parts.firehose.setStreamDelays(streamName, delays);
  }

  /** Creates a delivery stream directly in any state. */
  public createStream(spec: StreamSpec): DeliveryStreamSnapshot {
    return this.parts.firehose.createStream(spec);
  }

  /** Removes a stream at once, in any state (ENABLING included). Returns whether it existed. */
  public deleteStream(streamName: string): boolean {
    return this.parts.firehose.deleteStream(streamName);
  }

  /** A stream's snapshot: its wire description plus the applied key, pending change and Start/Stop budget. */
  public stream(streamName: string): DeliveryStreamSnapshot | undefined {
    return this.parts.firehose.stream(streamName);
  }

  /**
   * Answers the next call(s) of an operation with an error, before throttling and validation.
   * Injected calls count as failed (or throttled, for `ThrottlingException`) and have no effect —
   * unless `options.applyThenFail`: then the call runs as usual and, once it took effect, answers
   * the error (it counts as accepted, with the error's name and status).
   *
   * @param operation - operation reference, e.g. `StartDeliveryStreamEncryption`
   * @param errorName - error shape name, e.g. `ServiceUnavailableException` (HTTP 500 by default)
   */
  public failNext(operation: string, errorName: string, options: FaultOptions = {}): void {
    const resolved = this.parts.router.resolveReference(operation);
    try {
      this.parts.faults.add(resolved.id, errorName, options ?? {});
    } catch (e) {
      throw new ControlError(`failNext: ${(e as Error).message}`);
    }
  }

  /** The next accepted Start on the stream ends `ENABLING_FAILED` with this description. */
  public failNextStart(streamName: string, failure: FailureDescription): void {
    this.parts.firehose.failNextStart(streamName, failure);
  }

  /** The next accepted Stop on the stream ends `DISABLING_FAILED` with this description. */
  public failNextStop(streamName: string, failure: FailureDescription): void {
    this.parts.firehose.failNextStop(streamName, failure);
  }

  /** Drops injected faults and forced Start/Stop failures. */
  public clearFaults(): void {
    this.parts.faults.clear();
    this.parts.firehose.clearForcedFailures();
    this.parts.kinesis.clearForcedFailures();
  }

  /**
   * Sets an operation's rate limit (per account); a number is calls per second with an equal burst,
   * `null` removes the limit. Operation `*` sets the default of operations without a rate of their own.
   */
  public setThrottle(operation: string, rate: ThrottleRate | number | null): void {
    const id = operation === '*' ? '*' : this.parts.router.resolveReference(operation).id;
    try {
      this.parts.throttler.set(id, toSetting(rate, 'setThrottle'));
    } catch (e) {
      throw e instanceof ControlError ? e : new ControlError(`setThrottle: ${(e as Error).message}`);
    }
  }

  /** Calls of an operation (all operations when omitted), optionally only those naming one resource. */
  public calls(operation?: string, resource?: string): CallTally {
    const id = operation === undefined ? undefined : this.parts.router.resolveReference(operation).id;
    return this.parts.recorder.tally(id, resource);
  }

  /** Every count, by canonical operation id and by resource. */
  public callCounts(): CallCounts {
    return this.parts.recorder.counts();
  }

  /** The most recent calls (up to 1000), oldest first. */
  public callLog(): CallRecord[] {
    return this.parts.recorder.history();
  }

  /** Adds (or replaces) a KMS key, with an ARN of the caller's choosing and optional aliases. */
  public registerKey(spec: RegisterKeySpec = {}): KeyMetadataJson {
    return this.parts.kms.registerKey(spec);
  }

  /** Sets a key's key policy (as its template's `KeyPolicy` does); `null` restores the default, which names only the account. */
  public putKeyPolicy(key: string, policy: JsonObject | null): void {
    this.parts.kms.putKeyPolicy(key, policy === null ? undefined : (policy as unknown as PolicyDocument));
  }

  /** Puts a key in a state directly (`Disabled`, `PendingDeletion` — deleted after `pendingWindowInDays`, default 30 —, …). */
  public setKeyState(key: string, state: SettableKeyState, pendingWindowInDays?: number): KeyMetadataJson {
    return this.parts.kms.setKeyState(key, state, pendingWindowInDays);
  }

  /** A key's metadata by key id, key ARN, alias name or alias ARN. */
  public key(key: string): KeyMetadataJson | undefined {
    if (typeof key !== 'string' || key === '') throw new ControlError('key: expected a key id, key ARN, alias name or alias ARN');
    return this.parts.kms.describe(key);
  }

  /** Default delays of Kinesis data stream transitions that start from now on; returns the delays in force. */
  public setKinesisDelays(delays: Partial<DataStreamDelays>): DataStreamDelays {
    return this.parts.kinesis.setDelays(delays);
  }

  /** Delays for one data stream name (it need not exist yet); `null` removes them. Returns the delays in force for it. */
  public setDataStreamDelays(streamName: string, delays: Partial<DataStreamDelays> | null): DataStreamDelays {
    return this.parts.kinesis.setStreamDelays(streamName, delays);
  }

  /** Creates a Kinesis data stream directly in any state. */
  public createDataStream(spec: DataStreamSpec): DataStreamSnapshot {
    return this.parts.kinesis.createDataStream(spec);
  }

  /** Removes a data stream at once, in any state (UPDATING included). Returns whether it existed. */
  public deleteDataStream(streamName: string): boolean {
    return this.parts.kinesis.deleteDataStream(streamName);
  }

  /** A data stream's snapshot: its wire summary plus the applied encryption, pending change and key-application budget. */
  public dataStream(streamName: string): DataStreamSnapshot | undefined {
    return this.parts.kinesis.dataStream(streamName);
  }

  /** The next accepted Start or Stop on the data stream does not take: UPDATING, then ACTIVE as before. */
  public failNextStreamEncryption(streamName: string): void {
    this.parts.kinesis.failNextStreamEncryption(streamName);
  }

  /**
   * Delivers a delivery stream's buffered records (Firehose must decrypt each): reports how many
   * were delivered and which could not be read (they stay buffered).
   */
  public deliverRecords(streamName: string): DeliveryReport {
    return this.parts.firehose.deliverRecords(streamName);
  }

  /** The records put to a delivery stream so far that can no longer be read (their key disabled, pending deletion or gone). */
  public unreadableRecords(streamName: string): UnreadableRecord[] {
    return this.parts.firehose.unreadableRecords(streamName);
  }

  /** The records written to a data stream so far that can no longer be read (GetRecords would fail on them). */
  public unreadableDataRecords(streamName: string): UnreadableRecord[] {
    return this.parts.kinesis.unreadableRecords(streamName);
  }

  /**
   * How long IAM policy changes made from now on take to be in force, in milliseconds: for the
   * checks of every action, or with `action` (`kms:CreateGrant`, …) for the checks of that action
   * alone (IAM is eventually consistent; endpoints may see a change at different times); returns it.
   */
  public setIamPropagation(ms: number, action?: string): number {
    try {
      this.parts.iam.setPropagationMs(ms, action);
    } catch (e) {
      throw new ControlError(`setIamPropagation: ${(e as Error).message}`);
    }
    return action === undefined ? this.parts.iam.propagationDelayMs : this.parts.iam.propagationDelayMsOf(action);
  }

  /**
   * The organization's service control policies (their Deny statements), which deny a role's
   * request whatever its own policies allow; `[]` removes them.
   */
  public setServiceControlPolicies(documents: ReadonlyArray<PolicyDocument>): void {
    this.parts.iam.setServiceControlPolicies(documents);
  }

  /** The roles IAM knows, with the names of their policies in force now. */
  public iamRoles(): RoleView[] {
    return this.parts.iam.roleArns().map((arn) => this.parts.iam.role(arn)!);
  }

  /** Applies the rate limits the cloud was started with. */
  private applyInitialThrottles(): void {
    for (const [operation, rate] of Object.entries(this.parts.initialThrottles ?? {})) {
      this.setThrottle(operation, rate);
    }
  }
}

/** The control API: what tests and drivers call to arrange and inspect the local cloud. */
export type LocalCloudControl = ControlPlane;
