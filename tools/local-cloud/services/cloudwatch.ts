/**
 * A small CloudWatch of the local cloud: a metric store that the other services publish to, the
 * metric alarms the local CloudFormation creates from `AWS::CloudWatch::Alarm`, their evaluation
 * on the local clock, their state history and the actions they fired.
 *
 * Modelled as CloudWatch documents it: datapoints are summed per minute; an alarm looks at its
 * last `EvaluationPeriods` complete periods (aligned to the period, as CloudWatch aligns them) and
 * goes to ALARM when at least `DatapointsToAlarm` of them breach; a period without data is treated
 * as `TreatMissingData` says (`missing` by default: all periods missing is INSUFFICIENT_DATA);
 * a new alarm starts in INSUFFICIENT_DATA; actions fire on a change of state only. Actions are
 * recorded, not delivered (no SNS here).
 *
 * @module
 */

import { ControlError } from '../errors';
import { JsonObject } from '../json';

/** One dimension of a metric. */
export interface MetricDimension extends JsonObject {
  Name: string;
  Value: string;
}

/** A metric: namespace, name and dimensions. */
export interface MetricId {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions?: readonly MetricDimension[];
}

/** Where a service publishes its metrics. */
export interface MetricSink {
  /** Adds `value` (default 1) to the metric at `timestamp` (epoch ms). */
  publish(metric: MetricId, timestamp: number, value?: number): void;
}

/** The statistics CloudWatch computes over a period. */
export type MetricStatistic = 'Sum' | 'SampleCount' | 'Average' | 'Minimum' | 'Maximum';

/** The comparison operators of a metric alarm. */
export const COMPARISON_OPERATORS = {
  GreaterThanOrEqualToThreshold: (v: number, t: number) => v >= t,
  GreaterThanThreshold: (v: number, t: number) => v > t,
  LessThanThreshold: (v: number, t: number) => v < t,
  LessThanOrEqualToThreshold: (v: number, t: number) => v <= t,
} as const;

/** A comparison operator of a metric alarm. */
export type ComparisonOperator = keyof typeof COMPARISON_OPERATORS;

/** How an alarm treats a period without data. */
export type TreatMissingData = 'missing' | 'notBreaching' | 'breaching' | 'ignore';

/** The state of an alarm. */
export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

/** A metric alarm, as `PutMetricAlarm` (and `AWS::CloudWatch::Alarm`) take it. */
export interface MetricAlarmSpec extends JsonObject {
  AlarmName: string;
  AlarmDescription?: string;
  Namespace: string;
  MetricName: string;
  Dimensions?: MetricDimension[];
  Statistic: MetricStatistic;
  /** Seconds, a multiple of 60. */
  Period: number;
  EvaluationPeriods: number;
  /** @defaultValue `EvaluationPeriods` */
  DatapointsToAlarm?: number;
  Threshold: number;
  ComparisonOperator: ComparisonOperator;
  /** @defaultValue `missing` */
  TreatMissingData?: TreatMissingData;
  /** @defaultValue true */
  ActionsEnabled?: boolean;
  AlarmActions?: string[];
  OKActions?: string[];
  InsufficientDataActions?: string[];
}

/** One change of an alarm's state. */
export interface AlarmHistoryItem extends JsonObject {
  alarmName: string;
  at: number;
  from: AlarmState;
  to: AlarmState;
  reason: string;
}

/** An action an alarm fired: the target (an SNS topic ARN) and why. */
export interface FiredAlarmAction extends JsonObject {
  alarmName: string;
  /** The action's ARN, e.g. the topic's. */
  target: string;
  /** The state the alarm went to. */
  state: AlarmState;
  at: number;
  reason: string;
  /** For an SNS topic action: whether the topic took the notification. */
  delivered?: boolean;
}

/** An alarm as the control API reports it. */
export interface AlarmSnapshot extends JsonObject {
  spec: MetricAlarmSpec;
  state: AlarmState;
  stateReason: string;
  stateUpdatedAt: number;
  /** The values of the last evaluated periods, oldest first (`null`: no data). */
  lastValues: (number | null)[];
}

/** A query of `metricStatistics`. */
export interface MetricStatisticsQuery extends JsonObject {
  Namespace: string;
  MetricName: string;
  Dimensions?: MetricDimension[];
  /** Epoch ms, inclusive. */
  StartTime: number;
  /** Epoch ms, exclusive. */
  EndTime: number;
  /** Seconds, a multiple of 60. */
  Period: number;
  Statistic: MetricStatistic;
}

/** One period's value. */
export interface MetricDatapoint extends JsonObject {
  /** Start of the period, epoch ms. */
  Timestamp: number;
  Value: number;
}

/** The values of one minute of a metric. */
interface MinuteAggregate {
  sum: number;
  count: number;
  min: number;
  max: number;
}

const MINUTE_MS = 60_000;
const STATISTICS: readonly MetricStatistic[] = ['Sum', 'SampleCount', 'Average', 'Minimum', 'Maximum'];
const MISSING: readonly TreatMissingData[] = ['missing', 'notBreaching', 'breaching', 'ignore'];

/** The key of a metric in the store: namespace, name and dimensions sorted by name. */
export function metricKey(metric: MetricId): string {
  const dims = [...(metric.dimensions ?? [])].sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
  return JSON.stringify([metric.namespace, metric.metricName, dims.map((d) => [d.Name, d.Value])]);
}

/** The metric store and the metric alarms of the local cloud. */
export class CloudWatchBackend implements MetricSink {
  private readonly metrics = new Map<string, { id: MetricId; minutes: Map<number, MinuteAggregate> }>();
  private readonly alarms = new Map<string, AlarmSnapshot>();
  private readonly history: AlarmHistoryItem[] = [];
  private readonly fired: FiredAlarmAction[] = [];
  private actionPublisher?: (topicArn: string, message: string, subject: string, alarmName: string) => boolean;

  /**
   * @param now - the local clock, epoch ms
   */
  constructor(private readonly now: () => number) {}

  /** {@inheritDoc MetricSink.publish} */
  public publish(metric: MetricId, timestamp: number, value = 1): void {
    const key = metricKey(metric);
    let entry = this.metrics.get(key);
    if (!entry) {
      const dimensions = (metric.dimensions ?? []).map((d) => ({ ...d }));
      entry = { id: { namespace: metric.namespace, metricName: metric.metricName, dimensions }, minutes: new Map() };
      this.metrics.set(key, entry);
    }
    const minute = Math.floor(timestamp / MINUTE_MS) * MINUTE_MS;
    const agg = entry.minutes.get(minute);
    if (agg) {
      agg.sum += value;
      agg.count += 1;
      agg.min = Math.min(agg.min, value);
      agg.max = Math.max(agg.max, value);
    } else {
      entry.minutes.set(minute, { sum: value, count: 1, min: value, max: value });
    }
  }

  /** The metrics that have data, with the number of datapoints each holds. */
  public listMetrics(): { namespace: string; metricName: string; dimensions: MetricDimension[]; datapoints: number }[] {
    return [...this.metrics.values()].map((m) => ({
      namespace: m.id.namespace,
      metricName: m.id.metricName,
      dimensions: (m.id.dimensions ?? []).map((d) => ({ ...d })),
      datapoints: [...m.minutes.values()].reduce((n, a) => n + a.count, 0),
    }));
  }

  /**
   * The statistic of a metric per period in `[StartTime, EndTime)`, periods aligned to
   * `Period`; periods without data are left out (as `GetMetricStatistics` does).
   */
  public metricStatistics(query: MetricStatisticsQuery): MetricDatapoint[] {
    checkStatistic(query.Statistic, 'metricStatistics');
    const periodMs = checkPeriod(query.Period, 'metricStatistics');
    const out: MetricDatapoint[] = [];
    const first = Math.floor(query.StartTime / periodMs) * periodMs;
    for (let start = first; start < query.EndTime; start += periodMs) {
      const metric = { namespace: query.Namespace, metricName: query.MetricName, dimensions: query.Dimensions };
      const value = this.valueIn(metric, query.Statistic, start, start + periodMs);
      if (value !== null) out.push({ Timestamp: start, Value: value });
    }
    return out;
  }

  /** Creates or replaces a metric alarm; a new alarm is INSUFFICIENT_DATA until evaluated. */
  public putMetricAlarm(spec: MetricAlarmSpec): AlarmSnapshot {
    const checked = checkAlarm(spec);
    const existing = this.alarms.get(checked.AlarmName);
    const alarm: AlarmSnapshot = existing
      ? { ...existing, spec: checked }
      : { spec: checked, state: 'INSUFFICIENT_DATA', stateReason: 'Unchecked: Initial alarm creation', stateUpdatedAt: this.now(), lastValues: [] };
    this.alarms.set(checked.AlarmName, alarm);
    return copyAlarm(alarm);
  }

  /** Deletes alarms by name; names that do not exist are ignored. */
  public deleteAlarms(names: readonly string[]): void {
    for (const name of names) this.alarms.delete(name);
  }

  /** Every alarm, by name. */
  public describeAlarms(): AlarmSnapshot[] {
    return [...this.alarms.values()].map(copyAlarm);
  }

  /** One alarm, or `undefined`. */
  public alarm(name: string): AlarmSnapshot | undefined {
    const alarm = this.alarms.get(name);
    return alarm ? copyAlarm(alarm) : undefined;
  }

  /**
   * Evaluates every alarm at the local clock's now: its last `EvaluationPeriods` complete
   * periods. A change of state is recorded in the history and fires the actions of the new
   * state (when actions are enabled). Returns the changes.
   */
  public evaluateAlarms(): AlarmHistoryItem[] {
    const now = this.now();
    const changes: AlarmHistoryItem[] = [];
    for (const alarm of this.alarms.values()) {
      const change = this.evaluate(alarm, now);
      if (change) changes.push(change);
    }
    return changes;
  }

  /** The state changes of every alarm (or of one), oldest first. */
  public alarmHistory(name?: string): AlarmHistoryItem[] {
    return this.history.filter((h) => name === undefined || name === null || h.alarmName === name).map((h) => ({ ...h }));
  }

  /**
   * Where an alarm's SNS actions go: `publish` is called with the topic ARN, the notification
   * (CloudWatch's JSON shape: AlarmName, NewStateValue, OldStateValue, NewStateReason, ...) and its
   * subject and the alarm's name, and says whether the topic took it (recorded as `delivered`).
   */
  public setActionPublisher(publish: (topicArn: string, message: string, subject: string, alarmName: string) => boolean): void {
    this.actionPublisher = publish;
  }

  /** The actions alarms fired, oldest first. */
  public alarmActionsFired(): FiredAlarmAction[] {
    return this.fired.map((f) => ({ ...f }));
  }

  /** Drops every metric, alarm, history item and fired action. */
  public reset(): void {
    this.metrics.clear();
    this.alarms.clear();
    this.history.length = 0;
    this.fired.length = 0;
  }

  /** The statistic of a metric over `[from, to)`, or `null` when it has no data there. */
  private valueIn(metric: MetricId, statistic: MetricStatistic, from: number, to: number): number | null {
    const entry = this.metrics.get(metricKey(metric));
    if (!entry) return null;
    let sum = 0;
    let count = 0;
    let min = Infinity;
    let max = -Infinity;
    for (const [minute, agg] of entry.minutes) {
      if (minute < from || minute >= to) continue;
      sum += agg.sum;
      count += agg.count;
      min = Math.min(min, agg.min);
      max = Math.max(max, agg.max);
    }
    if (count === 0) return null;
    switch (statistic) {
      case 'Sum':
        return sum;
      case 'SampleCount':
        return count;
      case 'Average':
        return sum / count;
      case 'Minimum':
        return min;
      case 'Maximum':
        return max;
    }
  }

  /** Evaluates one alarm at `now`; the change it made, if any. */
  private evaluate(alarm: AlarmSnapshot, now: number): AlarmHistoryItem | undefined {
    const spec = alarm.spec;
    const periodMs = spec.Period * 1000;
    const end = Math.floor(now / periodMs) * periodMs; // the last complete period ends here
    const metric = { namespace: spec.Namespace, metricName: spec.MetricName, dimensions: spec.Dimensions };
    const values: (number | null)[] = [];
    for (let i = spec.EvaluationPeriods; i >= 1; i--) {
      const from = end - i * periodMs;
      values.push(this.valueIn(metric, spec.Statistic, from, from + periodMs));
    }
    alarm.lastValues = values;
    const compare = COMPARISON_OPERATORS[spec.ComparisonOperator];
    const missing = spec.TreatMissingData ?? 'missing';
    const needed = spec.DatapointsToAlarm ?? spec.EvaluationPeriods;
    const present = values.filter((v): v is number => v !== null);
    const breaching = present.filter((v) => compare(v, spec.Threshold)).length + (missing === 'breaching' ? values.length - present.length : 0);
    let next: AlarmState;
    let reason: string;
    if (present.length === 0 && (missing === 'missing' || missing === 'ignore')) {
      if (missing === 'ignore') return undefined; // the alarm keeps its state
      next = 'INSUFFICIENT_DATA';
      reason = `Insufficient Data: no datapoints in the last ${spec.EvaluationPeriods} period(s) of ${spec.Period} s.`;
    } else if (breaching >= needed) {
      next = 'ALARM';
      reason = `Threshold Crossed: ${breaching} of the last ${values.length} datapoints [${values.map((v) => (v === null ? 'missing' : String(v))).join(', ')}] ${spec.ComparisonOperator} ${spec.Threshold} (${spec.Statistic}, ${spec.Period} s periods).`;
    } else {
      next = 'OK';
      reason = `Threshold Crossed: ${breaching} of the last ${values.length} datapoints [${values.map((v) => (v === null ? 'missing' : String(v))).join(', ')}] breach ${spec.ComparisonOperator} ${spec.Threshold}; ${needed} needed to alarm.`;
    }
    if (next === alarm.state) return undefined;
    const change: AlarmHistoryItem = { alarmName: spec.AlarmName, at: now, from: alarm.state, to: next, reason };
    alarm.state = next;
    alarm.stateReason = reason;
    alarm.stateUpdatedAt = now;
    this.history.push(change);
    if (spec.ActionsEnabled !== false) {
      const targets = next === 'ALARM' ? spec.AlarmActions : next === 'OK' ? spec.OKActions : spec.InsufficientDataActions;
      for (const target of targets ?? []) {
        const notification = JSON.stringify({
          AlarmName: spec.AlarmName,
          NewStateValue: next,
          OldStateValue: change.from,
          NewStateReason: reason,
          StateChangeTime: new Date(now).toISOString(),
          Trigger: {
            MetricName: spec.MetricName,
            Namespace: spec.Namespace,
            Statistic: spec.Statistic,
            Period: spec.Period,
            Threshold: spec.Threshold,
          },
        });
        const subject = `${next}: "${spec.AlarmName}"`;
        const delivered = target.startsWith('arn:') && target.split(':')[2] === 'sns' ? this.actionPublisher?.(target, notification, subject, spec.AlarmName) : undefined;
        this.fired.push({ alarmName: spec.AlarmName, target, state: next, at: now, reason, ...(delivered === undefined ? {} : { delivered }) });
      }
    }
    return { ...change };
  }
}

function copyAlarm(alarm: AlarmSnapshot): AlarmSnapshot {
  return { ...alarm, spec: { ...alarm.spec }, lastValues: [...alarm.lastValues] };
}

function checkStatistic(statistic: unknown, method: string): MetricStatistic {
  if (typeof statistic !== 'string' || !STATISTICS.includes(statistic as MetricStatistic)) {
    throw new ControlError(`${method}: Statistic must be one of ${STATISTICS.join(', ')}, got ${JSON.stringify(statistic)}`);
  }
  return statistic as MetricStatistic;
}

function checkPeriod(period: unknown, method: string): number {
  if (typeof period !== 'number' || !Number.isInteger(period) || period < 60 || period % 60 !== 0) {
    throw new ControlError(`${method}: Period must be a whole number of minutes in seconds (60, 300, …), got ${JSON.stringify(period)}`);
  }
  return period * 1000;
}

/** Validates (and normalizes the numbers of) an alarm spec. */
function checkAlarm(spec: MetricAlarmSpec): MetricAlarmSpec {
  const method = 'putMetricAlarm';
  if (typeof spec !== 'object' || spec === null) throw new ControlError(`${method}: expected an alarm spec`);
  for (const member of ['AlarmName', 'Namespace', 'MetricName'] as const) {
    if (typeof spec[member] !== 'string' || spec[member] === '') throw new ControlError(`${method}: ${member} must be a non-empty string`);
  }
  const num = (name: string, value: unknown): number => {
    const n = typeof value === 'string' ? Number(value) : value;
    if (typeof n !== 'number' || !Number.isFinite(n)) throw new ControlError(`${method}: ${name} must be a number, got ${JSON.stringify(value)}`);
    return n;
  };
  const period = num('Period', spec.Period);
  checkPeriod(period, method);
  const evaluationPeriods = num('EvaluationPeriods', spec.EvaluationPeriods);
  if (!Number.isInteger(evaluationPeriods) || evaluationPeriods < 1) {
    throw new ControlError(`${method}: EvaluationPeriods must be a whole number of at least 1`);
  }
  const datapoints = spec.DatapointsToAlarm === undefined ? undefined : num('DatapointsToAlarm', spec.DatapointsToAlarm);
  if (datapoints !== undefined && (!Number.isInteger(datapoints) || datapoints < 1 || datapoints > evaluationPeriods)) {
    throw new ControlError(`${method}: DatapointsToAlarm must be between 1 and EvaluationPeriods (${evaluationPeriods})`);
  }
  if (!Object.prototype.hasOwnProperty.call(COMPARISON_OPERATORS, spec.ComparisonOperator)) {
    throw new ControlError(`${method}: ComparisonOperator must be one of ${Object.keys(COMPARISON_OPERATORS).join(', ')}`);
  }
  if (spec.TreatMissingData !== undefined && !MISSING.includes(spec.TreatMissingData)) {
    throw new ControlError(`${method}: TreatMissingData must be one of ${MISSING.join(', ')}`);
  }
  const actionsEnabled = spec.ActionsEnabled as unknown;
  return {
    ...spec,
    Statistic: checkStatistic(spec.Statistic, method),
    Period: period,
    EvaluationPeriods: evaluationPeriods,
    DatapointsToAlarm: datapoints,
    Threshold: num('Threshold', spec.Threshold),
    ActionsEnabled: actionsEnabled === false || actionsEnabled === 'false' ? false : true,
    Dimensions: (spec.Dimensions ?? []).map((d) => ({ Name: String(d.Name), Value: String(d.Value) })),
    AlarmActions: [...(spec.AlarmActions ?? [])].map(String),
    OKActions: [...(spec.OKActions ?? [])].map(String),
    InsufficientDataActions: [...(spec.InsufficientDataActions ?? [])].map(String),
  };
}
