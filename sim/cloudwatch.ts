import type { AwsEvent } from './drs.ts';
import type { SnsSim } from './sns.ts';
import type { MetricSample, SqsSim } from './sqs.ts';
import type { Deployment, Json, SimAlarm, SimKey, SimTopic } from './template.ts';
import type { SimWorld } from './world.ts';

/**
 * Amazon CloudWatch alarms of one Region, simulated: the template's `AWS::CloudWatch::Alarm`s whose metric a
 * simulated service publishes (today: SQS's `ApproximateNumberOfMessagesVisible` of the deployment's queues),
 * evaluated the way CloudWatch documents it, and what CloudWatch does when one changes state.
 *
 * Evaluation (CloudWatch User Guide, "Using Amazon CloudWatch alarms": "Evaluating an alarm", "Configuring how
 * CloudWatch alarms treat missing data"):
 * - an alarm with a period of a minute or more is evaluated every minute; each evaluation looks at the most
 *   recent periods, ending at that minute (AWS's sample event: queried at 17:04:40, its one datapoint of a
 *   300 s period starts at 16:59:00), so a message is seen only once a minute in which SQS sampled it has passed;
 * - the *evaluation range* holds more periods than `EvaluationPeriods` (the guide's example: 5 for 3); here
 *   `EvaluationPeriods + 2`, as in that example;
 * - enough real datapoints in the range: the most recent `EvaluationPeriods` of them decide, `TreatMissingData`
 *   plays no part; too few: `breaching` / `notBreaching` fill the gap, `missing` and `ignore` decide on the real
 *   ones where they can (a non-breaching one: OK), else `missing` goes to INSUFFICIENT_DATA (or ALARM when the
 *   oldest point of the range is breaching, as the guide's table has it) and `ignore` keeps the state;
 * - `DatapointsToAlarm` (M of N) breaching datapoints make ALARM, fewer make OK.
 *
 * On a state change (CloudWatch User Guide, "Alarm actions", "Alarm events and EventBridge"):
 * - every SNS topic among the new state's actions (`AlarmActions`, `OKActions`, `InsufficientDataActions`) gets
 *   CloudWatch's notification, without message attributes: the JSON document its HTTPS, SQS and Lambda
 *   subscribers receive and the text its email subscribers read, with the subject `ALARM: "<name>" in <Region>`.
 *   An SSE-KMS topic needs a key policy that lets `cloudwatch.amazonaws.com` use the key, or the action fails
 *   (the failure is in the alarm's history, the topic gets nothing); actions of other kinds are not simulated;
 * - a "CloudWatch Alarm State Change" event goes on the Region's default event bus, so rules matching it fire.
 *
 * Alarms on anything else (custom metrics, metric math, percentiles, anomaly detection) are listed with the
 * reason they are not evaluated, and stay as they started.
 */

export type AlarmStateValue = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

/** One period's datapoint: the statistic over the samples in it. */
export interface Datapoint {
  /** The start of the period (ms since the epoch). */
  timestamp: number;
  value: number;
  sampleCount: number;
}

/** Where datapoints come from: the samples of one metric in `[from, to)`; undefined if no service publishes it. */
export type MetricSource = (
  metric: { namespace: string; metricName: string; dimensions: { name: string; value: string }[] },
  from: number,
  to: number,
) => MetricSample[] | undefined;

/** The metrics the simulated SQS publishes, by `QueueName` (the only dimension of SQS's queue metrics). */
export function sqsMetrics(sqs: SqsSim): MetricSource {
  return (metric, from, to) => {
    const [dimension, ...others] = metric.dimensions;
    if (metric.namespace !== 'AWS/SQS' || dimension?.name !== 'QueueName' || others.length > 0)
      return undefined;
    return sqs.samples(dimension.value, metric.metricName, from, to);
  };
}

const MINUTE = 60_000;
const COMPARISONS: Record<string, { test: (value: number, threshold: number) => boolean; text: string }> = {
  GreaterThanOrEqualToThreshold: { test: (v, t) => v >= t, text: 'greater than or equal to' },
  GreaterThanThreshold: { test: (v, t) => v > t, text: 'greater than' },
  LessThanThreshold: { test: (v, t) => v < t, text: 'less than' },
  LessThanOrEqualToThreshold: { test: (v, t) => v <= t, text: 'less than or equal to' },
};
const STATISTICS: Record<string, { name: string; of: (values: number[]) => number }> = {
  Maximum: { name: 'MAXIMUM', of: (values) => Math.max(...values) },
  Minimum: { name: 'MINIMUM', of: (values) => Math.min(...values) },
  Sum: { name: 'SUM', of: (values) => values.reduce((sum, value) => sum + value, 0) },
  Average: { name: 'AVERAGE', of: (values) => values.reduce((sum, value) => sum + value, 0) / values.length },
  SampleCount: { name: 'SAMPLE_COUNT', of: (values) => values.length },
};

/** The Regions' names as CloudWatch writes them in notifications (subject, `Region`, email). */
const REGION_NAMES: Record<string, string> = {
  'us-east-1': 'US East (N. Virginia)',
  'us-east-2': 'US East (Ohio)',
  'us-west-1': 'US West (N. California)',
  'us-west-2': 'US West (Oregon)',
  'ca-central-1': 'Canada (Central)',
  'eu-west-1': 'EU (Ireland)',
  'eu-west-2': 'EU (London)',
  'eu-west-3': 'EU (Paris)',
  'eu-central-1': 'EU (Frankfurt)',
  'eu-north-1': 'EU (Stockholm)',
  'eu-south-1': 'EU (Milan)',
  'ap-south-1': 'Asia Pacific (Mumbai)',
  'ap-southeast-1': 'Asia Pacific (Singapore)',
  'ap-southeast-2': 'Asia Pacific (Sydney)',
  'ap-northeast-1': 'Asia Pacific (Tokyo)',
  'ap-northeast-2': 'Asia Pacific (Seoul)',
  'ap-northeast-3': 'Asia Pacific (Osaka)',
  'sa-east-1': 'South America (Sao Paulo)',
};

export function regionLongName(region: string): string {
  return REGION_NAMES[region] ?? region;
}

/** The rule part of an alarm: what {@link evaluateAlarm} needs. */
export type AlarmRule = Pick<
  SimAlarm,
  'evaluationPeriods' | 'datapointsToAlarm' | 'threshold' | 'comparisonOperator' | 'treatMissingData'
>;

export interface Evaluation {
  state: AlarmStateValue;
  /** The real datapoints the state was decided on, oldest first. */
  evaluated: Datapoint[];
  /** How many missing datapoints `TreatMissingData` filled in (as breaching or not), if any. */
  filled: number;
  /** How many of the evaluated datapoints (filled ones included) breach the threshold. */
  breaching: number;
}

/** Whether a value breaches the alarm's threshold. */
export function breaches(rule: Pick<AlarmRule, 'threshold' | 'comparisonOperator'>, value: number): boolean {
  const comparison = COMPARISONS[rule.comparisonOperator];
  if (!comparison) throw new Error(`comparison ${rule.comparisonOperator} is not simulated`);
  return comparison.test(value, rule.threshold ?? 0);
}

/**
 * The state an alarm goes to, given the datapoints of its evaluation range (oldest first, `undefined` for a
 * missing one) and its current state (see the module comment for the rules, and the guide's tables, which the
 * unit tests replay).
 */
export function evaluateAlarm(
  rule: AlarmRule,
  range: readonly (Datapoint | undefined)[],
  current: AlarmStateValue,
): Evaluation {
  const periods = rule.evaluationPeriods;
  const toAlarm = rule.datapointsToAlarm ?? periods;
  const real = range.filter((point): point is Datapoint => point !== undefined);
  const breachingOf = (points: Datapoint[]) => points.filter((point) => breaches(rule, point.value)).length;
  const decide = (breaching: number): AlarmStateValue => (breaching >= toAlarm ? 'ALARM' : 'OK');
  if (real.length >= periods) {
    const evaluated = real.slice(-periods);
    const breaching = breachingOf(evaluated);
    return { state: decide(breaching), evaluated, filled: 0, breaching };
  }
  const filled = periods - real.length;
  switch (rule.treatMissingData) {
    case 'breaching': {
      const breaching = breachingOf(real) + filled;
      return { state: decide(breaching), evaluated: real, filled, breaching };
    }
    case 'notBreaching': {
      const breaching = breachingOf(real);
      return { state: decide(breaching), evaluated: real, filled, breaching };
    }
    default: {
      // `missing` (the default) and `ignore`: only the real datapoints count.
      const breaching = breachingOf(real);
      const result = { evaluated: real, filled: 0, breaching };
      if (breaching >= toAlarm) return { ...result, state: 'ALARM' };
      if (real.length > breaching) return { ...result, state: 'OK' };
      if (rule.treatMissingData === 'ignore') return { ...result, state: current };
      const oldest = range[0];
      if (oldest !== undefined && breaches(rule, oldest.value)) return { ...result, state: 'ALARM' };
      return { ...result, state: 'INSUFFICIENT_DATA' };
    }
  }
}

/**
 * The datapoints of the `count` periods of `periodMs` ending at `end` (oldest first; `undefined` where no sample
 * fell in the period), each the statistic over the samples in it.
 */
export function periodDatapoints(
  samples: readonly MetricSample[],
  end: number,
  periodMs: number,
  count: number,
  statistic: string,
): (Datapoint | undefined)[] {
  const of = STATISTICS[statistic]?.of;
  if (!of) throw new Error(`statistic ${statistic} is not simulated`);
  return Array.from({ length: count }, (_, index) => {
    const start = end - (count - index) * periodMs;
    const values = samples
      .filter((sample) => sample.at >= start && sample.at < start + periodMs)
      .map((sample) => sample.value);
    return values.length === 0
      ? undefined
      : { timestamp: start, value: of(values), sampleCount: values.length };
  });
}

/** Why CloudWatch would not evaluate this alarm here, or undefined if it does. */
export function notSimulatedBecause(alarm: SimAlarm, metrics: MetricSource): string | undefined {
  if (alarm.metricMath) return 'metric math alarms are not simulated';
  if (alarm.extendedStatistic !== undefined) return 'percentile statistics are not simulated';
  if (!STATISTICS[alarm.statistic ?? '']) return `statistic ${alarm.statistic} is not simulated`;
  if (!COMPARISONS[alarm.comparisonOperator])
    return `comparison ${alarm.comparisonOperator} is not simulated`;
  if (alarm.period < 60 || alarm.period % 60 !== 0)
    return `a period of ${alarm.period} s (high resolution) is not simulated`;
  const metric = {
    namespace: alarm.namespace ?? '',
    metricName: alarm.metricName ?? '',
    dimensions: alarm.dimensions,
  };
  if (metrics(metric, 0, 0) === undefined) {
    const dimensions = alarm.dimensions.map((dimension) => `${dimension.name}=${dimension.value}`).join(', ');
    return `no simulated service publishes ${alarm.namespace}/${alarm.metricName} (${dimensions})`;
  }
  return undefined;
}

/** `1.0`, `0.5`: numbers as CloudWatch's Java writes them in reasons and notifications. */
function javaNumber(value: number): string {
  return Number.isInteger(value) ? `${value}.0` : String(value);
}

/** `2019-10-02T17:04:40.989+0000`: CloudWatch's timestamps. */
export function cloudWatchTime(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}

/** `02/10/19 16:59:00`: a datapoint's time in a state reason. */
function reasonTime(ms: number): string {
  const date = new Date(ms);
  const two = (value: number) => String(value).padStart(2, '0');
  return `${two(date.getUTCDate())}/${two(date.getUTCMonth() + 1)}/${two(date.getUTCFullYear() % 100)} ${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())}`;
}

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

/** `Wednesday 15 September, 2021 18:32:31 UTC`: the time in CloudWatch's notification emails. */
function emailTime(ms: number): string {
  const date = new Date(ms);
  return `${WEEKDAYS[date.getUTCDay()]} ${date.getUTCDate()} ${MONTHS[date.getUTCMonth()]}, ${date.getUTCFullYear()} ${date.toISOString().slice(11, 19)} UTC`;
}

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;

/** The state reason CloudWatch gives a state it evaluated (the wording of AWS's samples). */
export function stateReason(
  alarm: AlarmRule,
  evaluation: Evaluation,
  from: AlarmStateValue,
  rangeLength: number,
): string {
  const periods = alarm.evaluationPeriods;
  const toAlarm = alarm.datapointsToAlarm ?? periods;
  const threshold = `the threshold (${javaNumber(alarm.threshold ?? 0)})`;
  const comparison = COMPARISONS[alarm.comparisonOperator]?.text ?? alarm.comparisonOperator;
  if (evaluation.state === 'INSUFFICIENT_DATA') {
    return `Insufficient Data: ${plural(rangeLength, 'datapoint')} ${rangeLength === 1 ? 'was' : 'were'} unknown.`;
  }
  const toAlarmState = evaluation.state === 'ALARM';
  if (evaluation.evaluated.length === 0) {
    const filledAs = alarm.treatMissingData === 'breaching' ? 'Breaching' : 'NonBreaching';
    return `Threshold Crossed: no datapoints were received for ${plural(evaluation.filled, 'period')} and ${plural(evaluation.filled, 'missing datapoint')} ${evaluation.filled === 1 ? 'was' : 'were'} treated as [${filledAs}].`;
  }
  const shown = [...evaluation.evaluated]
    .reverse()
    .filter((point) => breaches(alarm, point.value) === toAlarmState);
  const count = shown.length;
  const list = shown.map((point) => `${javaNumber(point.value)} (${reasonTime(point.timestamp)})`).join(', ');
  const minimum = toAlarmState ? toAlarm : periods - toAlarm + 1;
  const filled =
    evaluation.filled > 0
      ? ` and ${plural(evaluation.filled, 'missing datapoint')} ${evaluation.filled === 1 ? 'was' : 'were'} treated as [${alarm.treatMissingData === 'breaching' ? 'Breaching' : 'NonBreaching'}]`
      : '';
  return `Threshold Crossed: ${count} out of the last ${periods} datapoints [${list}] ${count === 1 ? 'was' : 'were'} ${toAlarmState ? '' : 'not '}${comparison} ${threshold}${filled} (minimum ${plural(minimum, 'datapoint')} for ${from} -> ${evaluation.state} transition).`;
}

export interface AlarmHistoryItem {
  alarmName: string;
  type: 'StateUpdate' | 'Action';
  timestamp: number;
  summary: string;
}

/** One alarm of the deployment and its state. */
export interface AlarmRecord {
  alarm: SimAlarm;
  /** Why it is not evaluated (it keeps its first state), if it is not. */
  notSimulated?: string | undefined;
  state: AlarmStateValue;
  reason: string;
  reasonData?: string | undefined;
  updatedAt: number;
}

export interface CloudWatchOptions {
  metrics: MetricSource;
  /** The Region's SNS, which CloudWatch publishes alarm notifications to. */
  sns: SnsSim;
  /** Puts an event on the Region's default bus. */
  putEvent: (event: Omit<AwsEvent, 'id' | 'version'>) => void;
}

export class CloudWatchSim {
  readonly region: string;
  alarms: AlarmRecord[] = [];
  history: AlarmHistoryItem[] = [];
  /** The last minute the alarms were evaluated at. */
  private evaluatedAt = 0;
  /** When the alarms were (simulated to be) created: the notification's `AlarmConfigurationUpdatedTimestamp`. */
  private configuredAt = 0;

  constructor(
    private readonly world: SimWorld,
    private readonly deployment: Deployment,
    private readonly options: CloudWatchOptions,
  ) {
    this.region = deployment.region;
  }

  /**
   * The deployment's alarms as they stand before a scenario: each evaluated at the current minute on what the
   * metrics hold (empty queues idle for long: no data), without notifications, as if they had been evaluated
   * ever since they were created.
   */
  reset(now = Date.now()): void {
    this.history = [];
    this.configuredAt = now;
    this.evaluatedAt = Math.floor(now / MINUTE) * MINUTE;
    this.alarms = this.deployment.alarms.map((alarm) => {
      const notSimulated = notSimulatedBecause(alarm, this.options.metrics);
      const record: AlarmRecord = {
        alarm,
        notSimulated,
        state: 'INSUFFICIENT_DATA',
        reason: 'Unchecked: Initial alarm creation',
        updatedAt: now,
      };
      if (notSimulated) return record;
      const { evaluation, reasonData } = this.decide(record, this.evaluatedAt, record.state);
      return {
        ...record,
        state: evaluation.state,
        reason: stateReason(alarm, evaluation, record.state, rangeLength(alarm)),
        reasonData,
      };
    });
  }

  /** The alarm named `name`. */
  alarmNamed(name: string): AlarmRecord | undefined {
    return this.alarms.find((record) => record.alarm.name === name || record.alarm.logicalId === name);
  }

  /** The next minute at which CloudWatch evaluates the alarms. */
  get nextEvaluation(): number {
    return this.evaluatedAt + MINUTE;
  }

  /** The minutes after the last evaluation, up to `until`, at which CloudWatch evaluates the alarms. */
  dueBy(until: number): number[] {
    const due: number[] = [];
    for (let at = this.evaluatedAt + MINUTE; at <= until; at += MINUTE) due.push(at);
    return due;
  }

  /** No evaluation until minute `at` (the Region is lost: its CloudWatch does nothing meanwhile). */
  skipTo(at: number): void {
    this.evaluatedAt = Math.max(this.evaluatedAt, at);
  }

  /** Evaluates every simulated alarm at minute `at` and acts on each state change; returns how many changed. */
  evaluateAt(at: number): number {
    if (at <= this.evaluatedAt) return 0;
    this.evaluatedAt = at;
    let changed = 0;
    for (const record of this.alarms) {
      if (record.notSimulated) continue;
      const { evaluation, reasonData } = this.decide(record, at, record.state);
      if (evaluation.state === record.state) continue;
      const previous = { ...record };
      record.state = evaluation.state;
      record.reason = stateReason(record.alarm, evaluation, previous.state, rangeLength(record.alarm));
      record.reasonData = reasonData;
      record.updatedAt = at;
      changed += 1;
      this.changed(record, previous);
    }
    return changed;
  }

  /**
   * The first minute, after the last evaluation and up to `until`, at which some alarm would change state if
   * nothing else happened meanwhile (the metrics as they will be: messages already sent, retention, inactivity);
   * undefined if none would.
   */
  nextChangeBy(until: number): number | undefined {
    const states = new Map(this.alarms.map((record) => [record, record.state]));
    for (const at of this.dueBy(until)) {
      for (const record of this.alarms) {
        if (record.notSimulated) continue;
        const current = states.get(record) ?? record.state;
        const { state } = this.decide(record, at, current).evaluation;
        if (state !== current) return at;
        states.set(record, state);
      }
    }
    return undefined;
  }

  /** How far ahead an alarm can still change on the data it has: the longest evaluation range, plus a minute. */
  get horizonMs(): number {
    return Math.max(
      0,
      ...this.alarms
        .filter((record) => !record.notSimulated)
        .map((record) => rangeLength(record.alarm) * record.alarm.period * 1000 + MINUTE),
    );
  }

  private decide(
    record: AlarmRecord,
    at: number,
    current: AlarmStateValue,
  ): { evaluation: Evaluation; reasonData: string } {
    const { alarm } = record;
    const periodMs = alarm.period * 1000;
    const count = rangeLength(alarm);
    const samples =
      this.options.metrics(
        {
          namespace: alarm.namespace ?? '',
          metricName: alarm.metricName ?? '',
          dimensions: alarm.dimensions,
        },
        at - count * periodMs,
        at,
      ) ?? [];
    const range = periodDatapoints(samples, at, periodMs, count, alarm.statistic ?? '');
    const evaluation = evaluateAlarm(alarm, range, current);
    const recent = range.filter((point): point is Datapoint => point !== undefined);
    const reasonData = JSON.stringify({
      version: '1.0',
      queryDate: cloudWatchTime(at),
      startDate: cloudWatchTime(evaluation.evaluated[0]?.timestamp ?? at - count * periodMs),
      statistic: alarm.statistic,
      period: alarm.period,
      recentDatapoints: recent.map((point) => point.value),
      threshold: alarm.threshold,
      evaluatedDatapoints: [...evaluation.evaluated].reverse().map((point) => ({
        timestamp: cloudWatchTime(point.timestamp),
        sampleCount: point.sampleCount,
        value: point.value,
      })),
    });
    return { evaluation, reasonData };
  }

  private changed(record: AlarmRecord, previous: AlarmRecord): void {
    const { alarm } = record;
    this.history.push({
      alarmName: alarm.name,
      type: 'StateUpdate',
      timestamp: record.updatedAt,
      summary: `Alarm updated from ${previous.state} to ${record.state}`,
    });
    this.world.record({
      kind: 'alarm',
      alarmName: alarm.name,
      from: previous.state,
      to: record.state,
      reason: record.reason,
      region: this.region,
    });
    this.options.putEvent(alarmStateChangeEvent(this.world.account, this.region, record, previous));
    if (!alarm.actionsEnabled) return;
    const actions =
      record.state === 'ALARM'
        ? alarm.alarmActions
        : record.state === 'OK'
          ? alarm.okActions
          : alarm.insufficientDataActions;
    for (const action of actions) this.act(record, previous, action);
  }

  private act(record: AlarmRecord, previous: AlarmRecord, action: string): void {
    const failed = (why: string) => {
      this.history.push({
        alarmName: record.alarm.name,
        type: 'Action',
        timestamp: record.updatedAt,
        summary: `Failed to execute action ${action}. Received error: "${why}"`,
      });
      this.world.record({
        kind: 'note',
        text: `CloudWatch could not run the action ${action} of alarm ${record.alarm.name}: ${why}`,
        region: this.region,
      });
    };
    if (!/^arn:aws[a-z-]*:sns:/.test(action)) {
      failed('this kind of alarm action is not simulated');
      return;
    }
    const topic = this.deployment.topics.find((candidate) => candidate.arn === action);
    const keyProblem = topic
      ? topicKeyProblem(topic, this.deployment.keys, 'cloudwatch.amazonaws.com', {
          account: this.world.account,
          sourceArn: record.alarm.arn,
        })
      : undefined;
    if (keyProblem) {
      failed(
        `CloudWatch Alarms does not have authorization to access the SNS topic encryption key (${keyProblem})`,
      );
      return;
    }
    const notification = alarmNotification(
      this.world.account,
      this.region,
      record,
      previous,
      this.configuredAt,
    );
    const result = this.options.sns.publishFromService({
      topicArn: action,
      subject: notification.subject,
      message: JSON.stringify({ default: notification.json, email: notification.email }),
      messageStructure: 'json',
    });
    if ('error' in result) {
      failed(`${result.error.code}: ${result.error.message}`);
      return;
    }
    this.history.push({
      alarmName: record.alarm.name,
      type: 'Action',
      timestamp: record.updatedAt,
      summary: `Successfully executed action ${action}`,
    });
  }
}

/** The evaluation range: more periods than `EvaluationPeriods` (see the module comment). */
function rangeLength(alarm: Pick<SimAlarm, 'evaluationPeriods'>): number {
  return alarm.evaluationPeriods + 2;
}

/** The "CloudWatch Alarm State Change" event (shape of AWS's sample events). */
export function alarmStateChangeEvent(
  account: string,
  region: string,
  record: AlarmRecord,
  previous: Pick<AlarmRecord, 'state' | 'reason' | 'reasonData' | 'updatedAt'>,
): Omit<AwsEvent, 'id' | 'version'> {
  const { alarm } = record;
  const state = (of: Pick<AlarmRecord, 'state' | 'reason' | 'reasonData' | 'updatedAt'>) => ({
    reason: of.reason,
    ...(of.reasonData === undefined ? {} : { reasonData: of.reasonData }),
    timestamp: cloudWatchTime(of.updatedAt),
    value: of.state,
  });
  return {
    'detail-type': 'CloudWatch Alarm State Change',
    source: 'aws.cloudwatch',
    account,
    time: `${new Date(record.updatedAt).toISOString().slice(0, 19)}Z`,
    region,
    resources: [alarm.arn],
    detail: {
      alarmName: alarm.name,
      configuration: {
        ...(alarm.description === undefined ? {} : { description: alarm.description }),
        metrics: [
          {
            id: metricId(alarm.arn),
            metricStat: {
              metric: {
                dimensions: Object.fromEntries(
                  alarm.dimensions.map((dimension) => [dimension.name, dimension.value]),
                ),
                name: alarm.metricName,
                namespace: alarm.namespace,
              },
              period: alarm.period,
              stat: alarm.statistic,
            },
            returnData: true,
          },
        ],
      },
      previousState: state(previous),
      state: state(record),
    },
  };
}

/** A stable id for the alarm's metric in its events (AWS's are UUID-like). */
function metricId(arn: string): string {
  let hash = 0;
  for (const char of arn) hash = (hash * 31 + (char.codePointAt(0) ?? 0)) >>> 0;
  const hex = hash.toString(16).padStart(8, '0');
  return `${hex}-${hex.slice(0, 4)}-${hex.slice(4, 8)}-${hex.slice(0, 4)}-${hex}${hex.slice(0, 4)}`;
}

/**
 * What CloudWatch publishes to an SNS topic of the alarm's actions: the subject, the JSON document (AWS's sample
 * notifications: Lambda, SQS and HTTPS subscribers receive it) and the email text email subscribers read.
 */
export function alarmNotification(
  account: string,
  region: string,
  record: AlarmRecord,
  previous: Pick<AlarmRecord, 'state'>,
  configuredAt: number,
): { subject: string; json: string; email: string } {
  const { alarm } = record;
  const regionName = regionLongName(region);
  const statistic = STATISTICS[alarm.statistic ?? '']?.name ?? alarm.statistic ?? null;
  const treatMissingData = alarm.treatMissingDataSet
    ? `- TreatMissingData:                    ${alarm.treatMissingData}`
    : '';
  const json = JSON.stringify({
    AlarmName: alarm.name,
    AlarmDescription: alarm.description ?? null,
    AWSAccountId: account,
    AlarmConfigurationUpdatedTimestamp: cloudWatchTime(configuredAt),
    NewStateValue: record.state,
    NewStateReason: record.reason,
    StateChangeTime: cloudWatchTime(record.updatedAt),
    Region: regionName,
    AlarmArn: alarm.arn,
    OldStateValue: previous.state,
    OKActions: alarm.okActions,
    AlarmActions: alarm.alarmActions,
    InsufficientDataActions: alarm.insufficientDataActions,
    Trigger: {
      MetricName: alarm.metricName,
      Namespace: alarm.namespace,
      StatisticType: 'Statistic',
      Statistic: statistic,
      Unit: alarm.unit ?? null,
      Dimensions: alarm.dimensions.map((dimension) => ({ value: dimension.value, name: dimension.name })),
      Period: alarm.period,
      EvaluationPeriods: alarm.evaluationPeriods,
      ...(alarm.datapointsToAlarm === undefined ? {} : { DatapointsToAlarm: alarm.datapointsToAlarm }),
      ComparisonOperator: alarm.comparisonOperator,
      Threshold: alarm.threshold,
      TreatMissingData: treatMissingData,
      EvaluateLowSampleCountPercentile: '',
    },
  });
  const field = (name: string, value: string) => `- ${`${name}:`.padEnd(28)}${value}`;
  const metricField = (name: string, value: string) => `- ${`${name}:`.padEnd(37)}${value}`;
  const actions = (list: string[]) => (list.length > 0 ? ` [${list.join(', ')}]` : '');
  const email = [
    `You are receiving this email because your Amazon CloudWatch Alarm "${alarm.name}" in the ${regionName} region has entered the ${record.state} state, because "${record.reason}" at "${emailTime(record.updatedAt)}".`,
    '',
    'View this alarm in the AWS Management Console:',
    `https://${region}.console.aws.amazon.com/cloudwatch/deeplink.js?region=${region}#alarmsV2:alarm/${encodeURIComponent(alarm.name)}`,
    '',
    'Alarm Details:',
    field('Name', alarm.name),
    field('Description', alarm.description ?? ''),
    field('State Change', `${previous.state} -> ${record.state}`),
    field('Reason for State Change', record.reason),
    field('Timestamp', emailTime(record.updatedAt)),
    field('AWS Account', account),
    field('Alarm Arn', alarm.arn),
    '',
    'Threshold:',
    `- The alarm is in the ALARM state when the metric is ${alarm.comparisonOperator} ${javaNumber(alarm.threshold ?? 0)} for at least ${alarm.datapointsToAlarm ?? alarm.evaluationPeriods} of the last ${alarm.evaluationPeriods} period(s) of ${alarm.period} seconds.`,
    '',
    'Monitored Metric:',
    metricField('MetricNamespace', alarm.namespace ?? ''),
    metricField('MetricName', alarm.metricName ?? ''),
    metricField(
      'Dimensions',
      alarm.dimensions.map((dimension) => `[${dimension.name} = ${dimension.value}]`).join(' '),
    ),
    metricField('Period', `${alarm.period} seconds`),
    metricField('Statistic', alarm.statistic ?? ''),
    metricField('Unit', alarm.unit ?? 'not specified'),
    metricField('TreatMissingData', alarm.treatMissingData),
    '',
    'State Change Actions:',
    `- OK:${actions(alarm.okActions)}`,
    `- ALARM:${actions(alarm.alarmActions)}`,
    `- INSUFFICIENT_DATA:${actions(alarm.insufficientDataActions)}`,
  ].join('\n');
  return { subject: `${record.state}: "${alarm.name}" in ${regionName}`, json, email };
}

/**
 * Why `service` may not use the topic's SSE-KMS key to publish to it (undefined: it may, or the topic is not
 * encrypted). Publishing to an encrypted topic needs `kms:GenerateDataKey*` and `kms:Decrypt` on its key (SNS
 * Developer Guide, "Configure AWS KMS permissions for AWS services"); the AWS managed key `aws/sns` grants them to
 * no service. A key of the template is judged by its policy: an Allow of both actions to the service principal
 * whose conditions are `aws:SourceAccount` / `aws:SourceArn` ones that hold (other conditions: not granted), and
 * no Deny of them to the service. A key from outside the template cannot be checked, and is not judged.
 */
export function topicKeyProblem(
  topic: SimTopic,
  keys: readonly SimKey[],
  service: string,
  context: { account: string; sourceArn: string },
): string | undefined {
  const id = topic.kmsMasterKeyId;
  if (id === undefined) return undefined;
  if (id === 'alias/aws/sns' || id.endsWith(':alias/aws/sns')) {
    return `the AWS managed key aws/sns grants ${service} nothing`;
  }
  const key = keys.find(
    (candidate) =>
      candidate.keyId === id ||
      candidate.arn === id ||
      candidate.aliases.some((alias) => alias === id || id.endsWith(`:${alias}`)),
  );
  if (!key) return undefined;
  const statements = policyStatements(key.policy);
  const applies = (statement: Record<string, Json>, action: string) =>
    principalIsService(statement.Principal, service) && actionMatches(statement.Action, action);
  for (const action of ['kms:GenerateDataKey', 'kms:Decrypt']) {
    if (statements.some((statement) => statement.Effect === 'Deny' && applies(statement, action))) {
      return `its key policy denies ${service} ${action}`;
    }
    const allowed = statements.some(
      (statement) =>
        statement.Effect === 'Allow' &&
        applies(statement, action) &&
        conditionsHold(statement.Condition, context),
    );
    if (!allowed) return `its key policy does not allow ${service} ${action}`;
  }
  return undefined;
}

function policyStatements(policy: Json): Record<string, Json>[] {
  const statement = (policy as { Statement?: Json } | null)?.Statement;
  const list = Array.isArray(statement) ? statement : statement ? [statement] : [];
  return list.filter((item): item is Record<string, Json> => typeof item === 'object' && item !== null);
}

function principalIsService(principal: Json | undefined, service: string): boolean {
  if (principal === '*') return true;
  const services = (principal as { Service?: Json } | null | undefined)?.Service;
  const list = Array.isArray(services) ? services : [services];
  return list.includes(service);
}

/** IAM's `*` and `?` wildcards; actions are case-insensitive, ARNs are not. */
function wildcardMatch(pattern: string, value: string, ignoreCase: boolean): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`, ignoreCase ? 'i' : '').test(value);
}

function actionMatches(actions: Json | undefined, action: string): boolean {
  const list = Array.isArray(actions) ? actions : [actions];
  return list.some((pattern) => typeof pattern === 'string' && wildcardMatch(pattern, action, true));
}

function conditionsHold(
  condition: Json | undefined,
  context: { account: string; sourceArn: string },
): boolean {
  if (condition === undefined || condition === null) return true;
  const values: Record<string, string> = {
    'aws:sourceaccount': context.account,
    'aws:sourcearn': context.sourceArn,
  };
  return Object.entries(condition as Record<string, Json>).every(([operator, tests]) =>
    Object.entries((tests ?? {}) as Record<string, Json>).every(([key, expected]) => {
      const actual = values[key.toLowerCase()];
      if (actual === undefined) return false;
      const wanted = (Array.isArray(expected) ? expected : [expected]).map(String);
      if (/^(StringEquals|ArnEquals)$/.test(operator)) return wanted.includes(actual);
      if (/^(StringLike|ArnLike)$/.test(operator))
        return wanted.some((pattern) => wildcardMatch(pattern, actual, false));
      return false;
    }),
  );
}
