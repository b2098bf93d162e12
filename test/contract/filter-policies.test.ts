import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { type CfnTemplate, loadPackagedTemplate, resourcesOfType } from '../helpers/package.ts';

/**
 * The SNS filter policies docs/readiness.md suggests, evaluated as SNS evaluates a MessageAttributes policy
 * (sns-subscription-filter-policies, and-or-logic, attribute-key-matching): every property must match (AND), a
 * property matches when one of its values does (OR), `{"exists": false}` matches an absent attribute, `$or`
 * holds when one of its policies does. Any other operator fails the test rather than being guessed.
 */
type Attributes = Record<string, string>;
type Policy = Record<string, unknown>;

function matches(policy: Policy, attributes: Attributes): boolean {
  return Object.entries(policy).every(([key, condition]) => {
    if (key === '$or') return (condition as Policy[]).some((branch) => matches(branch, attributes));
    return (condition as unknown[]).some((value) => {
      if (typeof value === 'string') return attributes[key] === value;
      const operator = value as Record<string, unknown>;
      if (Object.keys(operator).length === 1 && typeof operator.exists === 'boolean') {
        return operator.exists === key in attributes;
      }
      throw new Error(`operator ${JSON.stringify(value)} is not modelled here`);
    });
  });
}

const READINESS = readFileSync(new URL('../../docs/readiness.md', import.meta.url), 'utf8');
const section = READINESS.slice(READINESS.indexOf('Filter with a subscription filter policy'));
const policies = [...section.slice(0, section.indexOf('\n## ')).matchAll(/```json\n([\s\S]*?)```/g)].map(
  (match) => JSON.parse(match[1] ?? '') as Policy,
);

/** A transition as dr-autopilot publishes it (src/domain/sns-message.ts attributes). */
function transition(overrides: Attributes = {}): Attributes {
  return {
    severity: 'critical',
    workload: 'payments',
    state: 'NOT_READY',
    region: 'us-west-2',
    kind: 'transition',
    stage: 'prod',
    dryRun: 'false',
    ...overrides,
  };
}
/** What CloudWatch publishes when an alarm changes state: a JSON body and no message attributes. */
const ALARM_NOTIFICATION: Attributes = {};

let template: CfnTemplate;
beforeAll(() => {
  template = loadPackagedTemplate();
});

describe('the filter policies docs/readiness.md suggests', () => {
  it('are three, and each keeps CloudWatch alarm notifications (which carry no attributes)', () => {
    expect(policies).toHaveLength(3);
    for (const policy of policies) expect(matches(policy, ALARM_NOTIFICATION)).toBe(true);
    // Without the exists branch, the first one would drop them: the check above can fail.
    expect(matches({ severity: ['critical'], kind: ['transition'] }, ALARM_NOTIFICATION)).toBe(false);
  });

  it('do what they say: pages only; one team plus the digest; everything but dry-run', () => {
    const [pages, team, noDryRun] = policies as [Policy, Policy, Policy];
    expect(matches(pages, transition())).toBe(true);
    expect(matches(pages, transition({ severity: 'info', state: 'READY' }))).toBe(false);
    expect(matches(pages, { ...transition({ severity: 'info' }), kind: 'digest' })).toBe(false);
    expect(matches(team, transition({ workload: 'orders', severity: 'info' }))).toBe(true);
    expect(matches(team, transition({ workload: 'inventory' }))).toBe(false);
    expect(matches(team, transition({ workload: 'all', kind: 'digest' }))).toBe(true);
    expect(matches(noDryRun, transition())).toBe(true);
    expect(matches(noDryRun, transition({ dryRun: 'true' }))).toBe(false);
  });
});

describe('the machinery alarms', () => {
  const runbook = readFileSync(new URL('../../docs/runbook.md', import.meta.url), 'utf8');

  it.each([
    ['DeadLetterQueueAlarm', 'DeadLetterQueue'],
    ['FailedInvocationsAlarm', 'FailedInvocationQueue'],
  ])('%s tells the readiness topic when %s holds a message, and when it is empty again', (alarm, queue) => {
    const found = Object.fromEntries(resourcesOfType(template, 'AWS::CloudWatch::Alarm'))[alarm];
    expect(found?.Properties).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queue, 'QueueName'] } }],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      // In the readiness owner (this template, the recovery Region's); the primary Region's forward their state
      // changes (test/infra/readiness-pair.test.ts)
      AlarmActions: { 'Fn::If': ['OwnsReadiness', [{ Ref: 'ReadinessTopic' }], { Ref: 'AWS::NoValue' }] },
      OKActions: { 'Fn::If': ['OwnsReadiness', [{ Ref: 'ReadinessTopic' }], { Ref: 'AWS::NoValue' }] },
    });
    const anchor = String(found?.Properties?.AlarmDescription).match(/#(runbook-[a-z-]+)/)?.[1];
    expect(runbook).toContain(`<a id="${anchor}"></a>`);
  });
});
