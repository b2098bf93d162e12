import type { ScheduledEvent } from '../../events/aws-events/scheduled-event.ts';
import { DEFAULT_WORKLOAD, SIGNAL_TYPES } from '../../events/dr-autopilot/signal.ts';
import { formatSeconds } from '../domain/duration.ts';
import { DrAutopilotError } from '../domain/errors.ts';
import {
  lastTestedByResource,
  type SelectionAlgorithm,
  seededRandom,
  selectRecoveryPointsToTest,
} from '../domain/restore-selection.ts';
import type { RecoveryPoint } from '../ports/backup.ts';
import type { EvidenceLedger } from '../ports/evidence.ts';
import { type BackupRestoreDeps, type RestoreOutcome, startDrRestore } from './backup-restore.ts';
import { backupResource, RESTORE_RUNBOOK, restoreSignalFactory } from './backup-restore-signals.ts';
import { type NotRecoveryRegion, screenScheduledRun } from './restore-schedule.ts';

/**
 * Scheduled restore tests in the DR Region.
 * Input: the scheduled event (its `time` names the run).
 * Steps: refuse outside the recovery Region → list the DR vault's recovery points within the selection
 * window → choose one per protected resource (newest, or random) → start a test restore of each (purpose
 * `scheduled-test`: always deleted after validation) → report. One failing restore does not stop the others;
 * the run then fails as a whole, naming them, and a retry starts nothing twice: the run's choice depends only
 * on the event (the window ends at the event's time, `random` is seeded by the run), and each restore's token
 * on the run and the protected resource.
 */
export type RestoreTestRunOutcome =
  | {
      action: 'restore-tests-started';
      runId: string;
      started: string[];
      skipped: number;
      deferred: number;
      inScope: number;
      /** Deferred resources whose last test is older than `overdueAfterSeconds` (signalled AT_RISK). */
      overdue: string[];
    }
  | NotRecoveryRegion;

export interface RestoreTestSchedulerDeps extends BackupRestoreDeps {
  selection: {
    algorithm: SelectionAlgorithm;
    windowDays: number;
    maxPerRun: number;
    /** A resource deferred while its last test is older than this is overdue (on-call is told). */
    overdueAfterSeconds: number;
  };
  /** The evidence ledger: when each resource was last tested decides who goes first. */
  history: Pick<EvidenceLedger, 'list'>;
}

export class RestoreTestRunError extends DrAutopilotError {}

export async function runScheduledRestoreTests(
  event: ScheduledEvent,
  deps: RestoreTestSchedulerDeps,
): Promise<RestoreTestRunOutcome> {
  const { policy } = deps;
  const refused = screenScheduledRun(event, policy, 'restore tests run');
  if (refused) return refused;
  // The window is the run's own (event time), not the clock's: a retry later must see the same points.
  const until = Date.parse(event.time);
  // The run is named by the instant, not by how the event spells it (`…:00Z` and `…:00.000Z` are one run).
  const runId = `scheduled-${new Date(until).toISOString()}`;
  const since = new Date(until - deps.selection.windowDays * 86_400_000);
  const points: RecoveryPoint[] = [];
  for await (const page of deps.backup.listRecoveryPoints(policy.vaultName, since)) {
    points.push(...page.filter((point) => (point.creationDate?.getTime() ?? Number.NaN) <= until));
  }
  const runAt = new Date(until).toISOString();
  const history = await deps.history.list({ since: new Date(until - 400 * 86_400_000).toISOString() });
  const selection = selectRecoveryPointsToTest({
    points,
    settings: policy.settings,
    algorithm: deps.selection.algorithm,
    maxPerRun: deps.selection.maxPerRun,
    random: seededRandom(runId),
    lastTested: lastTestedByResource(history, runAt),
  });
  const overdue = selection.deferredResources.filter(
    (resource) =>
      resource.lastTestedAt !== undefined &&
      until - Date.parse(resource.lastTestedAt) > deps.selection.overdueAfterSeconds * 1000,
  );

  const started: string[] = [];
  let skipped = 0;
  const failures: string[] = [];
  for (const point of selection.chosen) {
    let outcome: RestoreOutcome;
    try {
      outcome = await startDrRestore(
        point,
        { purpose: 'scheduled-test', runId, correlationId: event.id },
        deps,
      );
    } catch (error) {
      failures.push(`${point.recoveryPointArn}: ${(error as Error).message}`);
      continue;
    }
    if (outcome.action === 'restore-started') started.push(outcome.restoreJobId);
    else skipped++;
  }
  if (overdue.length > 0) {
    // The workload its last test was recorded under (the ledger knows it; no extra API call).
    const workloads = new Map(history.map((record) => [record.subject.id, record.workload]));
    await deps.signals.publish(
      overdue.map((resource) =>
        overdueSignal(resource, workloads.get(resource.resourceArn), runId, event, deps),
      ),
    );
  }
  if (failures.length > 0) {
    throw new RestoreTestRunError(
      `restore-test run ${runId}: ${failures.length} of ${selection.chosen.length} restore(s) could not start: ${failures.join('; ')}`,
    );
  }
  return {
    action: 'restore-tests-started',
    runId,
    started,
    skipped,
    deferred: selection.deferred,
    inScope: selection.chosen.length + selection.deferred,
    overdue: overdue.map((resource) => resource.resourceArn),
  };
}

/** A resource left out of this run (maxPerRun) whose last test is older than the overdue age: AT_RISK. */
function overdueSignal(
  resource: { resourceArn: string; lastTestedAt?: string | undefined },
  workload: string | undefined,
  runId: string,
  event: ScheduledEvent,
  deps: RestoreTestSchedulerDeps,
) {
  const age = formatSeconds(
    (Date.parse(event.time) - Date.parse(resource.lastTestedAt ?? event.time)) / 1000,
  );
  return restoreSignalFactory({
    correlationId: event.id,
    observedAt: new Date(event.time),
    dryRun: deps.dryRun,
  })({
    type: SIGNAL_TYPES.restoreSkipped,
    resource: backupResource({
      resourceArn: resource.resourceArn,
      fallbackRegion: deps.policy.primaryRegion,
      account: deps.policy.account,
    }),
    workload: workload ?? DEFAULT_WORKLOAD,
    severity: 'warning',
    summary: `restore test of ${resource.resourceArn} overdue: last tested ${age} ago, left out of run ${runId} by restoreTestMaxPerRun (${deps.selection.maxPerRun})`,
    assessment: {
      state: 'AT_RISK',
      reason: `restore test overdue: last tested ${age} ago`,
      nextStep: `More resources are in scope than restoreTestMaxPerRun (${deps.selection.maxPerRun}) tests a run: raise it, or run the schedule more often. The least recently tested go first, so this one is next.`,
      runbook: RESTORE_RUNBOOK.settings,
    },
    evidence: {
      reason: 'restore-test-overdue',
      lastTestedAt: resource.lastTestedAt ?? null,
      runId,
      maxPerRun: deps.selection.maxPerRun,
    },
  });
}
