import { describe, expect, it } from 'vitest';
import {
  createRefreshBatches,
  REFRESH_BATCH_TYPE,
  SIGNAL_TYPES,
  type SignalType,
  signalPattern,
} from '../../events/dr-autopilot/signal.ts';
import { matchesPattern, type Pattern } from '../../sim/event-pattern.ts';
import { allSamples } from '../helpers/events.ts';
import { loadPackagedTemplate, resourcesOfType } from '../helpers/package.ts';
import { delivered, rawEvent, signalEvent } from '../helpers/readiness-fixtures.ts';

function readinessRules() {
  return resourcesOfType(loadPackagedTemplate(), 'AWS::Events::Rule').filter(([id]) =>
    id.includes('readinessPublisher'),
  );
}

describe('readiness publisher rules', () => {
  it('subscribes to every signal on the dr-autopilot bus with the shared signal pattern', () => {
    // Prepare
    const [signalRule, ...others] = readinessRules().filter(([, rule]) => rule.Properties?.EventPattern);
    // Assess
    expect(others).toEqual([]);
    expect(signalRule?.[1].Properties?.EventBusName).toEqual({ 'Fn::GetAtt': ['SignalBus', 'Name'] });
    expect(signalRule?.[1].Properties?.EventPattern).toEqual(signalPattern);
  });

  it.each(Object.values(SIGNAL_TYPES))(
    'routes a "%s" signal to the publisher (any detector plugs in)',
    (type) => {
      // Prepare
      const pattern = readinessRules().find(([, rule]) => rule.Properties?.EventPattern)?.[1].Properties
        ?.EventPattern as Pattern;
      // Act / Assess
      expect(matchesPattern(pattern, rawEvent(signalEvent({ type })))).toBe(true);
    },
  );

  it(`routes a "${REFRESH_BATCH_TYPE}" batch to the publisher, and the primary Region's on to the recovery Region's bus`, () => {
    // Prepare
    const signal = signalEvent({ state: 'READY' });
    const [batch] = createRefreshBatches([
      { type: signal['detail-type'] as SignalType, detail: signal.detail },
    ]);
    const event = JSON.parse(JSON.stringify(delivered(batch as NonNullable<typeof batch>)));
    const rules = resourcesOfType(loadPackagedTemplate(), 'AWS::Events::Rule');
    const forwarding = rules.find(([id]) => id === 'SignalForwardingRule')?.[1].Properties
      ?.EventPattern as Pattern;
    // Act / Assess
    expect(event['detail-type']).toBe('Replication Status Refreshed');
    expect(matchesPattern(signalPattern as Pattern, event)).toBe(true);
    expect(matchesPattern(forwarding, event)).toBe(true);
  });

  it('routes no AWS sample event (they arrive on the default bus, not as signals)', () => {
    // Prepare
    const pattern = signalPattern as Pattern;
    // Act / Assess
    for (const sample of allSamples()) expect(matchesPattern(pattern, sample.event), sample.name).toBe(false);
  });

  it('invokes the publisher on two schedules with the sweep and digest inputs', () => {
    // Prepare
    const scheduled = readinessRules().filter(([, rule]) => rule.Properties?.ScheduleExpression);
    // Act
    const inputs = scheduled.map(([, rule]) => {
      const targets = rule.Properties?.Targets as { Input: string }[];
      return [rule.Properties?.ScheduleExpression, JSON.parse(targets[0]?.Input ?? '{}')];
    });
    // Assess
    expect(inputs).toEqual(
      expect.arrayContaining([
        ['rate(5 minutes)', { task: 'sweep' }],
        ['cron(0 7 * * ? *)', { task: 'digest' }],
      ]),
    );
  });
});
