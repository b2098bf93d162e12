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
