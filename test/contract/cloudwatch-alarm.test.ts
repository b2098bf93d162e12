import { describe, expect, it } from 'vitest';
import {
  alarmPatternFor,
  alarmStateChange,
  DEFAULT_ALARM_NAME_PREFIX,
} from '../../events/cloudwatch/alarm-state-change.ts';
import { matchesPattern, type Pattern } from '../../sim/event-pattern.ts';
import { InvalidEventError } from '../../src/domain/errors.ts';
import { allSamples, loadSample } from '../helpers/events.ts';
import { loadPackagedTemplate, resourcesOfType } from '../helpers/package.ts';
import type { AlarmSample } from '../helpers/readiness-fixtures.ts';

const NAMES = [
  'alarm-state-change.single-metric',
  'alarm-state-change.metric-math',
  'alarm-state-change.anomaly-detection',
];

function deployedAlarmPattern(): Pattern {
  const rules = resourcesOfType(loadPackagedTemplate(), 'AWS::Events::Rule').filter(([id]) =>
    id.includes('alarmReadiness'),
  );
  expect(rules).toHaveLength(1);
  return rules[0]?.[1].Properties?.EventPattern as Pattern;
}

describe('CloudWatch Alarm State Change contract', () => {
  it.each(NAMES)('parses the AWS sample %s', (name) => {
    expect(alarmStateChange.parse(loadSample('cloudwatch', name)).detail.state.value).toBe('ALARM');
  });

  it('rejects an event without a state, naming the field', () => {
    // Prepare
    const event = loadSample<AlarmSample>('cloudwatch', 'alarm-state-change.single-metric');
    delete event.detail.state;
    // Act / Assess
    expect(() => alarmStateChange.parse(event)).toThrow(InvalidEventError);
    expect(() => alarmStateChange.parse(event)).toThrow(/detail\.state/);
  });

  /**
   * Found by the bad-input suite: an alarm event whose ARN no longer named the alarm of `detail.alarmName` (an
   * emoji appended to either) was acted on, its state filed under a name its ARN does not carry.
   */
  it.each([
    ['an emoji appended to the ARN', (e: AlarmSample) => e.resources.splice(0, 1, `${e.resources[0]}🔥`)],
    [
      'an emoji appended to the name',
      (e: AlarmSample) => Object.assign(e.detail, { alarmName: 'ServerCpuTooHigh🔥' }),
    ],
    ['the name a suffix of the ARN’s', (e: AlarmSample) => Object.assign(e.detail, { alarmName: 'TooHigh' })],
    [
      'another alarm’s ARN',
      (e: AlarmSample) => e.resources.splice(0, 1, 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:Other'),
    ],
    [
      'an ARN of another service ending in the name',
      (e: AlarmSample) =>
        e.resources.splice(0, 1, 'arn:aws:sns:us-east-1:123456789012:alarm:ServerCpuTooHigh'),
    ],
  ])('refuses an event whose ARN does not name its alarm (%s), naming resources.0', (_what, change) => {
    // Prepare
    const event = loadSample<AlarmSample>('cloudwatch', 'alarm-state-change.single-metric');
    change(event);
    // Act / Assess
    expect(() => alarmStateChange.parse(event)).toThrow(InvalidEventError);
    expect(() => alarmStateChange.parse(event)).toThrow(
      /resources\.0: must be the ARN of the alarm in detail\.alarmName/,
    );
  });

  it.each([
    'dr-autopilot:payments:rpo-lag',
    'dr-autopilot/payments rpo lag',
    'alarm:alarm:x',
    'dr-autopilot:payments:🔥 lag',
  ])('accepts the ARN of an alarm named %s (colons, slashes, spaces, emoji)', (alarmName) => {
    // Prepare
    const event = loadSample<AlarmSample>('cloudwatch', 'alarm-state-change.single-metric');
    event.detail.alarmName = alarmName;
    event.resources = [`arn:aws:cloudwatch:us-east-1:123456789012:alarm:${alarmName}`];
    // Act / Assess
    expect(alarmStateChange.parse(event).detail.alarmName).toBe(alarmName);
  });

  it('deploys the pattern file with the stage parameter resolved to the default prefix', () => {
    expect(deployedAlarmPattern()).toEqual(alarmPatternFor(DEFAULT_ALARM_NAME_PREFIX));
    expect(alarmStateChange.pattern).toEqual(alarmPatternFor(DEFAULT_ALARM_NAME_PREFIX));
  });

  it.each(NAMES)('routes %s to the alarm function only when its name has the prefix', (name) => {
    // Prepare
    const pattern = deployedAlarmPattern();
    const inScope = loadSample<AlarmSample>('cloudwatch', name);
    inScope.detail.alarmName = 'dr-autopilot:payments:rpo-lag';
    // Act / Assess
    expect(matchesPattern(pattern, inScope)).toBe(true);
    expect(matchesPattern(pattern, loadSample('cloudwatch', name))).toBe(false);
  });

  it('matches no other sample event of the repository', () => {
    // Prepare
    const pattern = deployedAlarmPattern();
    const others = allSamples().filter((sample) => sample.source !== 'cloudwatch');
    // Act / Assess
    expect(others.length).toBeGreaterThan(0);
    for (const sample of others) expect(matchesPattern(pattern, sample.event), sample.name).toBe(false);
  });
});
