import { describe, expect, it } from 'vitest';
import {
  type AlarmStateChangeEvent,
  alarmStateChange,
} from '../../../events/cloudwatch/alarm-state-change.ts';
import { parseSignalEvent, type Signal } from '../../../events/dr-autopilot/signal.ts';
import { alarmToSignal } from '../../../src/app/alarm-readiness.ts';
import {
  type AlarmPolicy,
  decideAlarmReadiness,
  normaliseAlarmTimestamp,
  parseAlarmName,
} from '../../../src/domain/alarm.ts';
import { ForeignEventError } from '../../../src/domain/errors.ts';
import type { SignalPublisher } from '../../../src/ports/signals.ts';
import { loadSample } from '../../helpers/events.ts';
import type { AlarmSample } from '../../helpers/readiness-fixtures.ts';

const SAMPLES = [
  'alarm-state-change.single-metric',
  'alarm-state-change.metric-math',
  'alarm-state-change.anomaly-detection',
];
const policy: AlarmPolicy = { account: '123456789012', region: 'us-east-1', namePrefix: 'dr-autopilot' };

function recordingPublisher(): SignalPublisher & { published: Signal[] } {
  const published: Signal[] = [];
  return {
    published,
    async publish(signals) {
      published.push(...signals);
    },
  };
}

/** An AWS sample alarm event, renamed into dr-autopilot's convention. */
function sample(
  name: string,
  alarmName = 'dr-autopilot:payments:aurora-rpo-lag',
  state?: string,
): AlarmStateChangeEvent {
  const event = loadSample<AlarmSample>('cloudwatch', name);
  event.detail.alarmName = alarmName;
  event.resources = [`arn:aws:cloudwatch:us-east-1:123456789012:alarm:${alarmName}`];
  if (state && event.detail.state) event.detail.state.value = state;
  return alarmStateChange.parse(event);
}

describe('parseAlarmName', () => {
  it.each([
    {
      name: 'dr-autopilot:payments:aurora-rpo-lag',
      expected: { workload: 'payments', check: 'aurora-rpo-lag' },
    },
    {
      name: 'dr-autopilot:payments:s3:replication-latency',
      expected: { workload: 'payments', check: 's3:replication-latency' },
    },
    { name: 'dr-autopilot:payments', expected: { workload: 'payments', check: 'dr-autopilot:payments' } },
    { name: 'dr-autopilot::lag', expected: { workload: 'default', check: 'lag' } },
    // The workload of dr-autopilot's own checks is reserved: an alarm cannot join it.
    { name: 'dr-autopilot:dr-autopilot:lag', expected: { workload: 'default', check: 'lag' } },
    { name: 'dr-autopilot: DR-Autopilot :lag', expected: { workload: 'default', check: 'lag' } },
    { name: 'dr-autopilot-other:payments:lag', expected: undefined },
    { name: 'ServerCpuTooHigh', expected: undefined },
  ])('reads $name', ({ name, expected }) => {
    expect(parseAlarmName(name, 'dr-autopilot')).toEqual(expected);
  });
});

describe('decideAlarmReadiness', () => {
  const facts = (state: string, description?: string, alarmName = 'dr-autopilot:payments:lag') => ({
    id: 'e-1',
    account: policy.account,
    region: policy.region,
    alarmName,
    state,
    previousState: undefined,
    description,
  });

  it.each([
    { state: 'OK', description: undefined, expected: { state: 'READY', severity: 'info' } },
    {
      state: 'ALARM',
      description: 'Aurora global RPO lag over 15m',
      expected: { state: 'AT_RISK', severity: 'warning' },
    },
    {
      state: 'ALARM',
      description: 'Replication stopped [NOT_READY]',
      expected: { state: 'NOT_READY', severity: 'critical' },
    },
    {
      state: 'INSUFFICIENT_DATA',
      description: undefined,
      expected: { state: 'UNKNOWN', severity: 'warning' },
    },
    { state: 'SOMETHING_NEW', description: undefined, expected: { state: 'UNKNOWN', severity: 'warning' } },
  ])('maps $state ($description) to $expected.state', ({ state, description, expected }) => {
    expect(decideAlarmReadiness(facts(state, description), policy)).toMatchObject({
      action: 'signal',
      ...expected,
    });
  });

  it('skips alarms outside the prefix', () => {
    expect(decideAlarmReadiness(facts('ALARM', undefined, 'ServerCpuTooHigh'), policy)).toMatchObject({
      action: 'skip',
      reason: 'out-of-scope',
    });
  });
});

describe('normaliseAlarmTimestamp', () => {
  it.each([
    { input: '2019-10-02T17:04:40.989+0000', expected: '2019-10-02T17:04:40.989Z' },
    { input: '2019-10-02T19:04:40.989+0200', expected: '2019-10-02T17:04:40.989Z' },
    { input: '2019-10-02T17:04:40Z', expected: '2019-10-02T17:04:40.000Z' },
    { input: 'yesterday', expected: undefined },
  ])('reads $input', ({ input, expected }) => {
    expect(normaliseAlarmTimestamp(input)).toBe(expected);
  });
});

describe('alarmToSignal with the AWS sample alarm events', () => {
  it.each(SAMPLES)('turns %s into a valid readiness signal', async (name) => {
    // Prepare
    const event = sample(name);
    const signals = recordingPublisher();
    // Act
    const outcome = await alarmToSignal(event, { signals, policy });
    // Assess
    expect(outcome).toMatchObject({ action: 'signal-published', workload: 'payments', state: 'AT_RISK' });
    expect(signals.published).toHaveLength(1);
    const [signal] = signals.published as [Signal];
    expect(signal.type).toBe('Alarm State Changed');
    expect(signal.detail).toMatchObject({
      workload: 'payments',
      resource: { type: 'alarm', id: 'dr-autopilot:payments:aurora-rpo-lag', name: 'aurora-rpo-lag' },
      observedAt: normaliseAlarmTimestamp(event.detail.state.timestamp),
      assessment: { state: 'AT_RISK', reason: 'aurora-rpo-lag in ALARM', runbook: 'runbook-alarm' },
      dryRun: false,
      correlationId: event.id,
    });
    expect(signal.detail.evidence.metrics).toMatch(/AWS\/EC2/);
    // the signal is a valid envelope for the readiness publisher
    expect(() =>
      parseSignalEvent({
        version: '0',
        id: 'x',
        'detail-type': signal.type,
        source: 'dr-autopilot',
        account: '123456789012',
        time: signal.detail.observedAt,
        region: 'us-east-1',
        resources: [],
        detail: signal.detail,
      }),
    ).not.toThrow();
  });

  it.each([
    { state: 'OK', expected: 'READY' },
    { state: 'INSUFFICIENT_DATA', expected: 'UNKNOWN' },
  ])('maps the single-metric sample in $state to $expected', async ({ state, expected }) => {
    // Prepare
    const signals = recordingPublisher();
    // Act
    await alarmToSignal(sample('alarm-state-change.single-metric', undefined, state), { signals, policy });
    // Assess
    expect(signals.published[0]?.detail.assessment?.state).toBe(expected);
  });

  it('skips the original samples: their names are not in scope', async () => {
    // Prepare
    const signals = recordingPublisher();
    const event = alarmStateChange.parse(loadSample('cloudwatch', 'alarm-state-change.single-metric'));
    // Act
    const outcome = await alarmToSignal(event, { signals, policy });
    // Assess
    expect(outcome).toMatchObject({
      action: 'skipped',
      reason: 'out-of-scope',
      alarmName: 'ServerCpuTooHigh',
    });
    expect(signals.published).toEqual([]);
  });

  it.each([
    ['account', { account: '999999999999' }],
    ['Region', { region: 'eu-north-1' }],
  ])('rejects an alarm from another %s', async (_what, change) => {
    // Prepare
    const signals = recordingPublisher();
    // Act
    const outcome = alarmToSignal(sample('alarm-state-change.single-metric'), {
      signals,
      policy: { ...policy, ...change },
    });
    // Assess
    await expect(outcome).rejects.toBeInstanceOf(ForeignEventError);
    expect(signals.published).toEqual([]);
  });
});
