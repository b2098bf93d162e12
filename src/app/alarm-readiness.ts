import type { AlarmStateChangeEvent } from '../../events/cloudwatch/alarm-state-change.ts';
import { createSignal, SIGNAL_TYPES } from '../../events/dr-autopilot/signal.ts';
import {
  type AlarmFacts,
  type AlarmPolicy,
  assertOwnAlarm,
  decideAlarmReadiness,
  normaliseAlarmTimestamp,
} from '../domain/alarm.ts';
import { truncate } from '../domain/text.ts';
import type { SignalPublisher } from '../ports/signals.ts';

/**
 * CloudWatch alarms in scope become readiness signals.
 * Input: a *CloudWatch Alarm State Change* event (already schema-checked).
 * Steps: reject foreign events → decide (scope by name prefix, workload from the name, state mapping) →
 * publish one `Alarm State Changed` signal. Read-only: nothing in AWS changes, so dry-run changes nothing here
 * (the signal's `dryRun` is false: the alarm is real).
 * Output: the outcome.
 */
export type AlarmReadinessOutcome =
  | { action: 'signal-published'; alarmName: string; workload: string; state: string; signalId: string }
  | { action: 'skipped'; alarmName: string; reason: 'out-of-scope'; explanation: string };

export interface AlarmReadinessDeps {
  signals: SignalPublisher;
  policy: AlarmPolicy;
}

export function toAlarmFacts(event: AlarmStateChangeEvent): AlarmFacts {
  return {
    id: event.id,
    account: event.account,
    region: event.region,
    alarmName: event.detail.alarmName,
    state: event.detail.state.value,
    previousState: event.detail.previousState?.value,
    description: event.detail.configuration?.description,
  };
}

function oneLine(text: string, max: number): string {
  const clean = text.replace(/\s+/g, ' ').trim();
  return truncate(clean, max);
}

/** `AWS/RDS AuroraGlobalDBRPOLag`, `e1 = SUM(METRICS())`: what the alarm watches, for the evidence. */
function metricsOf(event: AlarmStateChangeEvent): string {
  return (event.detail.configuration?.metrics ?? [])
    .map((metric) =>
      metric.expression
        ? `${metric.id ?? 'expression'} = ${metric.expression}`
        : `${metric.metricStat?.metric?.namespace ?? '?'} ${metric.metricStat?.metric?.name ?? '?'}`,
    )
    .join('; ');
}

export async function alarmToSignal(
  event: AlarmStateChangeEvent,
  deps: AlarmReadinessDeps,
): Promise<AlarmReadinessOutcome> {
  const facts = toAlarmFacts(event);
  assertOwnAlarm(facts, deps.policy);
  const decision = decideAlarmReadiness(facts, deps.policy);
  if (decision.action === 'skip') {
    return {
      action: 'skipped',
      alarmName: facts.alarmName,
      reason: decision.reason,
      explanation: decision.explanation,
    };
  }
  const alarmArn =
    event.resources[0] ?? `arn:aws:cloudwatch:${facts.region}:${facts.account}:alarm:${facts.alarmName}`;
  const signal = createSignal({
    type: SIGNAL_TYPES.alarmStateChanged,
    resource: {
      type: 'alarm',
      id: facts.alarmName,
      arn: alarmArn,
      region: facts.region,
      account: facts.account,
      name: decision.check,
    },
    workload: decision.workload,
    observedAt: normaliseAlarmTimestamp(event.detail.state.timestamp) ?? event.time,
    severity: decision.severity,
    summary: oneLine(
      `CloudWatch alarm ${facts.alarmName} is ${facts.state}${facts.previousState ? ` (was ${facts.previousState})` : ''}: ${event.detail.state.reason ?? 'no reason given'}`,
      500,
    ),
    assessment: {
      state: decision.state,
      reason: decision.reason,
      ...(decision.nextStep ? { nextStep: decision.nextStep } : {}),
      runbook: decision.runbook,
    },
    evidence: {
      alarmName: facts.alarmName,
      alarmArn,
      state: facts.state,
      previousState: facts.previousState ?? null,
      stateReason: oneLine(event.detail.state.reason ?? '', 500) || null,
      metrics: oneLine(metricsOf(event), 500) || null,
      description: facts.description ? oneLine(facts.description, 500) : null,
    },
    dryRun: false,
    correlationId: facts.id,
  });
  await deps.signals.publish([signal]);
  return {
    action: 'signal-published',
    alarmName: facts.alarmName,
    workload: decision.workload,
    state: decision.state,
    signalId: signal.detail.signalId,
  };
}
