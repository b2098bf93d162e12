import type { Signal } from '../../events/dr-autopilot/signal.ts';
import { SIGNAL_TYPES } from '../../events/dr-autopilot/signal.ts';

/**
 * The evidence ledger's records: one immutable record per recovery launch, drill, reversal, failback,
 * re-protection, lifecycle stage, cleanup, restore, restore test and validation — what auditors ask for
 * (DORA Art. 11–12, SOC 2 A1.3, ISO 27001, CIS Controls v8 11.5: proof that recovery was tested, when, how
 * fast, from what data, and that what a test created was removed).
 *
 * Each record's `id` is derived from the action itself (job ids, restore job ids, the stage and the time the
 * server entered it), never from when it was written: a retried or concurrent writer produces the same id, and
 * the ledger keeps the first write (a conditional put). Records are never updated; a later fact about the same
 * action (its cleanup finishing, say) is a record of its own.
 */
export const EVIDENCE_KINDS = [
  /** A real recovery launch (failover) of a DRS source server. */
  'recovery',
  /** A DRS recovery drill. */
  'drill',
  /** A real failback launch (launch from the reversed source server, back to the origin Region). */
  'failback',
  /** A failback drill (a drill launched from the reversed source server). */
  'failback-drill',
  /** A launch whose purpose could not be confirmed (the drill flag was unreadable). */
  'launch',
  /** Reversed replication of a recovery instance after a real failover. */
  'reversal',
  /** Reversed replication of a failback instance (re-protecting the origin, step 3 of a failback). */
  're-protection',
  /** A protected server entered a stage of its failover/failback cycle. */
  'lifecycle',
  /** Something dr-autopilot or a person removed: drill instances, restore-test resources, DR-cycle leftovers. */
  'cleanup',
  /** A restore in the DR Region (a copy landed; the restored resource is kept). */
  'restore',
  /** A restore started by a scheduled restore test (its resource is deleted after validation). */
  'restore-test',
  /** The validation of a restore job: verdict, checks, measured RTO and RPO exposure. */
  'validation',
  /** A person declared a failback real (`npm run failback -- declare`): what lets re-protection happen. */
  'declaration',
  /** A problem found by a sweep or the reconciler (a drill left running, a lost event acted upon…). */
  'finding',
] as const;
export type EvidenceKind = (typeof EVIDENCE_KINDS)[number];

export const EVIDENCE_RESULTS = ['succeeded', 'failed', 'not-done', 'observed'] as const;
export type EvidenceResult = (typeof EVIDENCE_RESULTS)[number];

export type EvidenceTrigger = 'event' | 'schedule' | 'person' | 'reconciler';

export type EvidenceValue = string | number | boolean | null;

export interface EvidenceTimings {
  /** When the action began (job creation, restore job creation). */
  startedAt?: string | undefined;
  /** When it ended (launch job end, validation). */
  endedAt?: string | undefined;
  /** The measured recovery time: launch job duration, or restore start to validated. */
  measuredRtoSeconds?: number | undefined;
  rtoSeconds?: number | undefined;
  rtoMet?: boolean | undefined;
  /** How old the data used was when the action began (point-in-time snapshot or recovery point age). */
  dataAgeSeconds?: number | undefined;
  rpoSeconds?: number | undefined;
  rpoMet?: boolean | undefined;
}

export interface EvidenceRecord {
  /** `<kind>#<what identifies the action>`: deterministic, so a retry writes the same record once. */
  id: string;
  kind: EvidenceKind;
  workload: string;
  /** When the action happened (AWS's time where there is one), ISO-8601 UTC. */
  occurredAt: string;
  result: EvidenceResult;
  summary: string;
  subject: { type: string; id: string; arn?: string | undefined; region: string; account: string };
  trigger: EvidenceTrigger;
  /** The event, schedule run or person that caused it (the correlation id in the logs). */
  correlationId: string;
  timings: EvidenceTimings;
  /** What was used: recovery point, point-in-time snapshot, job ids, checks, cleanup outcome… */
  details: Record<string, EvidenceValue>;
  recordedAt: string;
  /** The function (or command-line tool) that saw the action and wrote the record. */
  recordedBy: string;
}

const LAUNCH_KINDS: ReadonlySet<string> = new Set([
  'recovery',
  'drill',
  'failback',
  'failback-drill',
  'launch',
]);
/** Skips that leave a real recovery or failback without the protection the cycle expects: auditors see them. */
const NOT_DONE_REASONS: ReadonlySet<string> = new Set([
  'failback-launch',
  'failback-undeclared',
  'on-premises-origin',
  'not-cross-region',
  'origin-account-not-allowed',
]);

const str = (value: EvidenceValue | undefined): string | undefined =>
  typeof value === 'string' && value.length > 0 ? value : undefined;
const num = (value: EvidenceValue | undefined): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) ? value : undefined;
const bool = (value: EvidenceValue | undefined): boolean | undefined =>
  typeof value === 'boolean' ? value : undefined;

function met(measured: number | undefined, objective: number | undefined): boolean | undefined {
  return measured === undefined || objective === undefined || objective <= 0
    ? undefined
    : measured <= objective;
}

/**
 * The evidence a signal stands for, or `undefined` when it is not an action auditors ask about (replication
 * samples and alarm states are readiness history, not evidence; dry-run signals record nothing: nothing was done).
 * The signal's own evidence fields carry what the detector saw; this only chooses the kind, the id and the
 * timings, so one detector change cannot silently drop a field the report needs without this table's tests failing.
 */
export function evidenceFromSignal(
  signal: Signal,
  context: { recordedBy: string; recordedAt: string; trigger: EvidenceTrigger },
): EvidenceRecord | undefined {
  const { type, detail } = signal;
  if (detail.dryRun) return undefined;
  const ev = detail.evidence;
  const base = (
    kind: EvidenceKind,
    key: string,
    result: EvidenceResult,
    occurredAt = detail.observedAt,
    idKind: string = kind,
  ) => ({
    id: `${idKind}#${key}`,
    kind,
    workload: detail.workload,
    occurredAt,
    result,
    summary: detail.summary,
    subject: {
      type: detail.resource.type,
      id: detail.resource.id,
      ...(detail.resource.arn ? { arn: detail.resource.arn } : {}),
      region: detail.resource.region,
      account: detail.resource.account,
    },
    trigger: context.trigger,
    correlationId: detail.correlationId,
    recordedAt: context.recordedAt,
    recordedBy: context.recordedBy,
    details: ev,
  });

  switch (type) {
    case SIGNAL_TYPES.recoveryLaunchSucceeded:
    case SIGNAL_TYPES.recoveryLaunchFailed: {
      const purpose = str(ev.launchPurpose) ?? str(ev.launchKind) ?? 'launch';
      const kind = (LAUNCH_KINDS.has(purpose) ? purpose : 'launch') as EvidenceKind;
      const measured = num(ev.launchSeconds);
      const dataAge = num(ev.dataAgeSeconds);
      // One id per launch of a server whatever its kind: the event path and the reconciler may judge the kind
      // differently (an unreadable drill flag), never the launch.
      return {
        ...base(
          kind,
          `${str(ev.jobId) ?? 'unknown-job'}#${str(ev.sourceServerId) ?? detail.resource.id}`,
          type === SIGNAL_TYPES.recoveryLaunchSucceeded ? 'succeeded' : 'failed',
          str(ev.launchStartedAt) ?? detail.observedAt,
          'launch',
        ),
        timings: timings({
          startedAt: str(ev.launchStartedAt),
          endedAt: str(ev.launchEndedAt),
          measured,
          rto: num(ev.rtoSeconds),
          dataAge,
          rpo: num(ev.rpoSeconds),
        }),
      };
    }
    case SIGNAL_TYPES.reversedReplicationStarted: {
      const kind: EvidenceKind = isFailbackDirection(ev.direction) ? 're-protection' : 'reversal';
      return {
        ...base(
          kind,
          `${str(ev.recoveryInstanceId) ?? detail.resource.id}#${str(ev.jobId) ?? 'unknown-job'}`,
          'succeeded',
        ),
        timings: {},
      };
    }
    case SIGNAL_TYPES.reverseReplicationSkipped: {
      const reason = str(ev.reason);
      if (reason === 'reversal-gave-up') {
        const key = `${str(ev.recoveryInstanceId) ?? detail.resource.id}#${str(ev.jobId) ?? 'unknown-job'}#gave-up`;
        return { ...base('reversal', key, 'failed'), timings: {} };
      }
      if (reason && NOT_DONE_REASONS.has(reason)) {
        const kind: EvidenceKind = reason.startsWith('failback') ? 're-protection' : 'reversal';
        return {
          ...base(kind, `${detail.resource.id}#${str(ev.jobId) ?? 'unknown-job'}#${reason}`, 'not-done'),
          timings: {},
        };
      }
      // Drills, already-reversed (the started signal re-derived with it writes the reversal's record), deferred
      // (retried later): the launch record and the reversal record cover them.
      return undefined;
    }
    case SIGNAL_TYPES.lifecycleStageChanged: {
      const stage = str(ev.stage) ?? 'unknown';
      const since = str(ev.since) ?? detail.observedAt;
      return {
        ...base('lifecycle', `${detail.resource.id}#${stage}#${since}`, 'observed', since),
        timings: {},
      };
    }
    case SIGNAL_TYPES.drillInstanceChanged: {
      if (ev.action === 'terminate') {
        return { ...base('cleanup', `drill-terminate#${detail.resource.id}`, 'succeeded'), timings: {} };
      }
      if (ev.confirmedDrill !== undefined) {
        return {
          ...base('finding', `drill-left-running#${detail.resource.id}`, 'observed'),
          timings: {},
        };
      }
      if (detail.assessment?.state === 'READY') {
        return { ...base('cleanup', `drill-gone#${detail.resource.id}`, 'observed'), timings: {} };
      }
      return undefined;
    }
    case SIGNAL_TYPES.restoreStarted: {
      const kind: EvidenceKind = ev.mode === 'test' ? 'restore-test' : 'restore';
      return {
        ...base(kind, str(ev.restoreJobId) ?? detail.signalId, 'succeeded'),
        timings: {},
      };
    }
    case SIGNAL_TYPES.restoreCleanupFinished:
      return {
        ...base('cleanup', `restore#${str(ev.restoreJobId) ?? detail.signalId}`, 'succeeded'),
        timings: {},
      };
    case SIGNAL_TYPES.restoreTestResult: {
      const restoreJobId = str(ev.restoreJobId) ?? detail.signalId;
      const verdict = str(ev.verdict) ?? str(ev.status)?.toLowerCase();
      const result: EvidenceResult = verdict === 'passed' ? 'succeeded' : 'failed';
      return {
        ...base('validation', restoreJobId, result),
        timings: timings({
          endedAt: detail.observedAt,
          measured: num(ev.measuredRtoSeconds),
          rto: num(ev.rtoSeconds),
          dataAge: num(ev.recoveryPointAgeSeconds),
          rpo: num(ev.rpoSeconds),
          rtoMet: bool(ev.rtoMet),
          rpoMet: bool(ev.rpoMet),
        }),
      };
    }
    case SIGNAL_TYPES.reconcilerFinding: {
      const check = str(ev.check) ?? 'finding';
      const key = `${check}#${str(ev.restoreJobId) ?? detail.resource.id}`;
      return detail.assessment?.state === 'READY'
        ? { ...base('cleanup', `${key}#gone`, 'observed'), timings: {} }
        : { ...base('finding', key, 'observed'), timings: {} };
    }
    default:
      return undefined;
  }
}

function isFailbackDirection(direction: EvidenceValue | undefined): boolean {
  return direction === 'failback';
}

function timings(input: {
  startedAt?: string | undefined;
  endedAt?: string | undefined;
  measured?: number | undefined;
  rto?: number | undefined;
  dataAge?: number | undefined;
  rpo?: number | undefined;
  rtoMet?: boolean | undefined;
  rpoMet?: boolean | undefined;
}): EvidenceTimings {
  const result: EvidenceTimings = {};
  if (input.startedAt) result.startedAt = input.startedAt;
  if (input.endedAt) result.endedAt = input.endedAt;
  if (input.measured !== undefined) result.measuredRtoSeconds = input.measured;
  if (input.rto !== undefined) result.rtoSeconds = input.rto;
  const rtoMet = input.rtoMet ?? met(input.measured, input.rto);
  if (rtoMet !== undefined) result.rtoMet = rtoMet;
  if (input.dataAge !== undefined) result.dataAgeSeconds = input.dataAge;
  if (input.rpo !== undefined) result.rpoSeconds = input.rpo;
  const rpoMet = input.rpoMet ?? met(input.dataAge, input.rpo);
  if (rpoMet !== undefined) result.rpoMet = rpoMet;
  return result;
}
