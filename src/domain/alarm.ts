import type { ReadinessState, Severity } from '../../events/dr-autopilot/signal.ts';
import { DEFAULT_WORKLOAD, isReservedWorkload } from '../../events/dr-autopilot/signal.ts';
import { ForeignEventError } from './errors.ts';
import { truncate } from './text.ts';

/**
 * Which CloudWatch alarms are dr-autopilot's, which workload they belong to, and what their state means for
 * readiness. Pure.
 *
 * - In scope: alarms named `<prefix>:<workload>:<check>` (prefix `ALARM_NAME_PREFIX`, default `dr-autopilot`).
 *   The rule already filters on the prefix; this is checked again here. An empty workload segment, or a name
 *   with no second segment, means the `default` workload.
 * - OK → READY; INSUFFICIENT_DATA → UNKNOWN (the metric stopped: the replication or its reporting may be
 *   dead); ALARM → AT_RISK (an RPO or replication-latency threshold is breached while replication goes on),
 *   or NOT_READY when the alarm's description contains `[NOT_READY]` (for alarms meaning "unprotected",
 *   e.g. replication stopped). Any other state value is UNKNOWN.
 */
export const NOT_READY_MARKER = '[NOT_READY]';

export interface AlarmFacts {
  id: string;
  account: string;
  region: string;
  alarmName: string;
  state: string;
  previousState: string | undefined;
  description: string | undefined;
}

export interface AlarmPolicy {
  account: string;
  region: string;
  namePrefix: string;
}

export type AlarmDecision =
  | { action: 'skip'; reason: 'out-of-scope'; explanation: string }
  | {
      action: 'signal';
      workload: string;
      check: string;
      state: ReadinessState;
      severity: Severity;
      reason: string;
      nextStep: string | undefined;
      runbook: string;
    };

/** `<prefix>:<workload>:<check>` → workload and check; `undefined` when the name lacks the prefix. */
export function parseAlarmName(
  alarmName: string,
  prefix: string,
): { workload: string; check: string } | undefined {
  if (!alarmName.startsWith(`${prefix}:`)) return undefined;
  const [workloadPart = '', ...rest] = alarmName.slice(prefix.length + 1).split(':');
  // The reserved workload of dr-autopilot's own checks is not an alarm's to join: it counts as `default`.
  const named = truncate(workloadPart.trim(), 128, '');
  const workload = named && !isReservedWorkload(named) ? named : DEFAULT_WORKLOAD;
  const check = rest.join(':').trim() || alarmName;
  return { workload, check };
}

/** Rule 5: alarms of another account or Region are rejected. */
export function assertOwnAlarm(
  facts: Pick<AlarmFacts, 'id' | 'account' | 'region'>,
  policy: AlarmPolicy,
): void {
  if (facts.account !== policy.account || facts.region !== policy.region) {
    throw new ForeignEventError(
      `alarm event ${facts.id} is from account ${facts.account}, region ${facts.region}; this deployment acts only in ${policy.account} ${policy.region}`,
    );
  }
}

export function decideAlarmReadiness(facts: AlarmFacts, policy: AlarmPolicy): AlarmDecision {
  const parsed = parseAlarmName(facts.alarmName, policy.namePrefix);
  if (!parsed) {
    return {
      action: 'skip',
      reason: 'out-of-scope',
      explanation: `alarm "${facts.alarmName}" does not start with "${policy.namePrefix}:"`,
    };
  }
  const { workload, check } = parsed;
  const where = `Open alarm "${facts.alarmName}" in CloudWatch (${policy.region})`;
  switch (facts.state) {
    case 'OK':
      return {
        action: 'signal',
        workload,
        check,
        state: 'READY',
        severity: 'info',
        reason: truncate(`${check} is OK`, 120),
        nextStep: undefined,
        runbook: 'runbook-alarm',
      };
    case 'ALARM': {
      const notReady = (facts.description ?? '').toUpperCase().includes(NOT_READY_MARKER);
      return {
        action: 'signal',
        workload,
        check,
        state: notReady ? 'NOT_READY' : 'AT_RISK',
        severity: notReady ? 'critical' : 'warning',
        reason: truncate(`${check} in ALARM`, 120),
        nextStep: truncate(
          `${where}: ${facts.description?.trim() || 'check the replication its metric measures (lag, latency, pending operations)'}.`,
          500,
        ),
        runbook: 'runbook-alarm',
      };
    }
    case 'INSUFFICIENT_DATA':
      return {
        action: 'signal',
        workload,
        check,
        state: 'UNKNOWN',
        severity: 'warning',
        reason: truncate(`${check} has insufficient data`, 120),
        nextStep: `${where}: its metric stopped arriving. Check that the replication it measures still reports, then the alarm's metric and dimensions.`,
        runbook: 'runbook-alarm-insufficient-data',
      };
    default:
      return {
        action: 'signal',
        workload,
        check,
        state: 'UNKNOWN',
        severity: 'warning',
        reason: truncate(`${check} in unexpected state ${facts.state}`, 120),
        nextStep: `${where} and check its state.`,
        runbook: 'runbook-alarm-insufficient-data',
      };
  }
}

/** CloudWatch writes `2019-10-02T17:04:40.989+0000`; ISO-8601 wants `+00:00`. Returns UTC ISO. */
export function normaliseAlarmTimestamp(timestamp: string): string | undefined {
  const fixed = timestamp.trim().replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
  const date = new Date(fixed);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}
