import type { ScheduledEvent } from '../../events/aws-events/scheduled-event.ts';
import { DrAutopilotError } from '../domain/errors.ts';
import {
  type SelectionAlgorithm,
  seededRandom,
  selectRecoveryPointsToTest,
} from '../domain/restore-selection.ts';
import type { RecoveryPoint } from '../ports/backup.ts';
import { type BackupRestoreDeps, type RestoreOutcome, startDrRestore } from './backup-restore.ts';
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
    }
  | NotRecoveryRegion;

export interface RestoreTestSchedulerDeps extends BackupRestoreDeps {
  selection: { algorithm: SelectionAlgorithm; windowDays: number; maxPerRun: number };
}

export class RestoreTestRunError extends DrAutopilotError {}

export async function runScheduledRestoreTests(
  event: ScheduledEvent,
  deps: RestoreTestSchedulerDeps,
): Promise<RestoreTestRunOutcome> {
  const { policy } = deps;
  const refused = screenScheduledRun(event, policy, 'restore tests run');
  if (refused) return refused;
  const runId = `scheduled-${event.time}`;
  // The window is the run's own (event time), not the clock's: a retry later must see the same points.
  const until = Date.parse(event.time);
  const since = new Date(until - deps.selection.windowDays * 86_400_000);
  const points: RecoveryPoint[] = [];
  for await (const page of deps.backup.listRecoveryPoints(policy.vaultName, since)) {
    points.push(...page.filter((point) => (point.creationDate?.getTime() ?? Number.NaN) <= until));
  }
  const selection = selectRecoveryPointsToTest({
    points,
    settings: policy.settings,
    algorithm: deps.selection.algorithm,
    maxPerRun: deps.selection.maxPerRun,
    random: seededRandom(runId),
  });

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
  };
}
