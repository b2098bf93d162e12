import type { DrsJob } from '../ports/drs.ts';
import { reversalPending } from './reverse-replication.ts';

/**
 * The reconciler's pure decisions: which of the facts the APIs show would have been acted on by an event that
 * may have been lost, so that the event path's use case gets them now. The decisions only *select*; every
 * safety rule is applied again by the use case they are handed to, on a fresh read. Selecting less is always
 * safe (the item is left as the event path left it); selecting more is never: a drill, a failed launch or a job
 * whose initiator DRS does not report as a recovery is never handed over.
 */

/** EC2 states of a recovery instance that is gone: nothing left to protect (as in the monitor). */
const GONE = new Set(['TERMINATED', 'NOT_FOUND', 'SHUTTING-DOWN']);

export type LaunchSkipReason =
  /** START_DRILL: a drill is never reversed, and its evidence already came from its own event or is lost for good. */
  | 'drill'
  /** Neither START_RECOVERY nor START_DRILL (FAILBACK, DIAGNOSTIC, …): the reconciler never guesses what it was. */
  | 'not-a-recovery-job'
  | 'launch-not-finished'
  /** Ended less than the grace ago: the Launch Result may still be on its way (EventBridge retries for 24 h). */
  | 'within-grace'
  | 'not-launched'
  | 'instance-not-visible'
  | 'instance-gone'
  /**
   * Its reversed replication started and the event path (or its retry) recorded it: that path's own retries
   * deliver the signal, so nothing was lost.
   */
  | 'already-reversed'
  /** A reversal refused with ConflictException is retried by reverse-replication's own schedule. */
  | 'pending-retry';

export type LaunchSelection =
  | {
      /**
       * `hand-over`: still waits for its reversal. `check-signal`: already reversed; handed over again (once)
       * unless {@link reversalSignalOwned} says an event path owns its signal (see there).
       */
      action: 'hand-over' | 'check-signal';
      jobId: string;
      sourceServerId: string;
      recoveryInstanceId: string;
      launchedAt: string;
    }
  | { action: 'skip'; jobId: string; sourceServerId: string | undefined; reason: LaunchSkipReason };

export interface LaunchFacts {
  job: DrsJob;
  /** The recovery instances the job names, as DescribeRecoveryInstances shows them now (by ID). */
  instances: ReadonlyMap<
    string,
    {
      dataReplicationState?: string | undefined;
      failbackState?: string | undefined;
      ec2InstanceState?: string | undefined;
    }
  >;
  /** Recovery instances with a pending-reversal record (reverse-replication's retry owns them). */
  pending: ReadonlySet<string>;
  now: Date;
  graceSeconds: number;
}

/**
 * One selection per participating server of a LAUNCH job (none for other job types). Only a finished
 * START_RECOVERY launch, ended more than the grace ago, whose server LAUNCHED a recovery instance that is still
 * there, still waits for its reversal, and is not owned by a pending retry, is handed over.
 */
export function selectLaunches(facts: LaunchFacts): LaunchSelection[] {
  const { job } = facts;
  if (job.type !== 'LAUNCH') return [];
  const servers = job.participatingServers;
  const skipAll = (reason: LaunchSkipReason): LaunchSelection[] =>
    servers.map((server) => ({
      action: 'skip',
      jobId: job.jobId,
      sourceServerId: server.sourceServerId,
      reason,
    }));
  if (job.initiatedBy === 'START_DRILL') return skipAll('drill');
  if (job.initiatedBy !== 'START_RECOVERY') return skipAll('not-a-recovery-job');
  if (job.status !== 'COMPLETED') return skipAll('launch-not-finished');
  const launchedAt = job.endDateTime ?? job.creationDateTime;
  const ended = Date.parse(launchedAt ?? '');
  if (!launchedAt || Number.isNaN(ended) || facts.now.getTime() - ended < facts.graceSeconds * 1000) {
    return skipAll('within-grace');
  }
  return servers.map((server): LaunchSelection => {
    const skip = (reason: LaunchSkipReason): LaunchSelection => ({
      action: 'skip',
      jobId: job.jobId,
      sourceServerId: server.sourceServerId,
      reason,
    });
    const { sourceServerId, recoveryInstanceId } = server;
    if (server.launchStatus !== 'LAUNCHED' || !sourceServerId || !recoveryInstanceId)
      return skip('not-launched');
    const instance = facts.instances.get(recoveryInstanceId);
    if (!instance) return skip('instance-not-visible');
    if (GONE.has(instance.ec2InstanceState ?? '')) return skip('instance-gone');
    // A pending retry owns its instance, reversed or not: its schedule publishes what it does.
    if (facts.pending.has(recoveryInstanceId)) return skip('pending-retry');
    const selected = { jobId: job.jobId, sourceServerId, recoveryInstanceId, launchedAt };
    if (!reversalPending(instance)) return { action: 'check-signal', ...selected };
    return { action: 'hand-over', ...selected };
  });
}

/**
 * Whether the signal of an instance found already reversed is some event path's to deliver, given what caused
 * the evidence records of its launch: the reversal's (`reversal#…` or `re-protection#…`) and the launch's own
 * (`launch#<job>#<server>`), `undefined` where there is none. The ledger is written just before the signals go
 * on the bus (the launch's record first), so a record shows an attempt that got that far.
 * - The reversal recorded by an event path (`event`, `schedule`, `person`): that path's invocation, retried by
 *   Lambda or redriven from its dead-letter queue, publishes the signal again when it finds the reversal done.
 *   Owned.
 * - The reversal recorded by the reconciler: its own hand-over reversed the instance and may have failed before
 *   the signal went out (its retry would otherwise skip the instance for good). Not owned.
 * - No reversal record, the launch recorded by an event path: that path decided this launch (a skip, such as a
 *   failback launch on-call re-protects by hand, or a reversal whose own retries or redrive deliver its signal).
 *   Owned: handing it over again would only repeat that decision, late.
 * - No record at all, or the launch recorded by the reconciler: nothing else will publish it (the reconciler's
 *   hand-over failed before its reversal's record, or the instance was reversed outside dr-autopilot). Not owned.
 * Not owned is handed over again through the once-guard, which runs the use case only if no hand-over of that
 * launch completed; the use case then publishes what starting the reversal would have.
 */
export function reversalSignalOwned(records: {
  reversal: string | undefined;
  launch: string | undefined;
}): boolean {
  const madeBy = records.reversal ?? records.launch;
  return madeBy !== undefined && madeBy !== 'reconciler';
}

export type RestoreJobSkipReason =
  /** dr-autopilot has a record: open ones are restore-validation's sweep's, done ones are done. */
  | 'has-record'
  /** No record and no restore-testing plan: started by someone else, never touched (rule 4). */
  | 'not-ours'
  | 'within-grace';

/**
 * Whether a finished restore job (COMPLETED, FAILED or ABORTED) was missed: a restore-testing plan's job of
 * which dr-autopilot has no record at all (the sweep cannot see it: only the event creates its record), finished
 * more than the grace ago. Jobs dr-autopilot started always have a record (written when StartRestoreJob
 * answered), so the sweep moves them on.
 */
export function selectRestoreJob(
  job: { restoreTestingPlanArn?: string | undefined; completionDate?: Date | undefined },
  hasRecord: boolean,
  now: Date,
  graceSeconds: number,
): { action: 'hand-over' } | { action: 'skip'; reason: RestoreJobSkipReason } {
  if (hasRecord) return { action: 'skip', reason: 'has-record' };
  if (!job.restoreTestingPlanArn) return { action: 'skip', reason: 'not-ours' };
  const completed = job.completionDate?.getTime();
  if (completed === undefined || now.getTime() - completed < graceSeconds * 1000) {
    return { action: 'skip', reason: 'within-grace' };
  }
  return { action: 'hand-over' };
}

/**
 * Whether a restore's cleanup has waited much longer than expected: still `cleaning` more than `overdueSeconds`
 * after its validation deadline (completion + the validation window), or after it started when no deadline is
 * known. Returns since when it is overdue, or `undefined`.
 */
export function cleanupOverdueSince(
  record: { phase: string; validationDeadline?: string | undefined; startedAt: string },
  now: Date,
  overdueSeconds: number,
): string | undefined {
  if (record.phase !== 'cleaning') return undefined;
  const from = Date.parse(record.validationDeadline ?? record.startedAt);
  if (Number.isNaN(from)) return undefined;
  const overdueAt = from + overdueSeconds * 1000;
  return now.getTime() >= overdueAt ? new Date(overdueAt).toISOString() : undefined;
}

/**
 * Whether a recovery point of the DR vault should be handed to the copy (or backup) event path: completed,
 * and completed more than the grace ago (its event may still be on its way). The use case's own token claim
 * makes sure one recovery point is restored once, whichever path asks first.
 */
export function selectRecoveryPoint(
  point: { status?: string | undefined; completionDate?: Date | undefined; creationDate?: Date | undefined },
  now: Date,
  graceSeconds: number,
): { action: 'hand-over' } | { action: 'skip'; reason: 'not-completed' | 'within-grace' } {
  if (point.status !== 'COMPLETED') return { action: 'skip', reason: 'not-completed' };
  const done = (point.completionDate ?? point.creationDate)?.getTime();
  if (done === undefined || now.getTime() - done < graceSeconds * 1000)
    return { action: 'skip', reason: 'within-grace' };
  return { action: 'hand-over' };
}
