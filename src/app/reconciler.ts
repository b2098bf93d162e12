import {
  type BackupJobStateChangeEvent,
  backupJobStateChange,
} from '../../events/backup/backup-job-state-change.ts';
import {
  type CopyJobStateChangeEvent,
  copyJobStateChange,
} from '../../events/backup/copy-job-state-change.ts';
import {
  type RestoreJobStateChangeEvent,
  restoreJobStateChange,
} from '../../events/backup/restore-job-state-change.ts';
import { SIGNAL_TYPES } from '../../events/dr-autopilot/signal.ts';
import { type LaunchResultEvent, launchResult } from '../../events/drs/launch-result.ts';
import { formatSeconds } from '../domain/duration.ts';
import { evidenceFromSignal } from '../domain/evidence.ts';
import {
  cleanupOverdueSince,
  type LaunchSelection,
  reversalSignalOwned,
  selectLaunches,
  selectRecoveryPoint,
  selectRestoreJob,
} from '../domain/reconciler.ts';
import { isRestorableType } from '../domain/restore-settings.ts';
import { LAUNCH_SUCCEEDED } from '../domain/reverse-replication.ts';
import { truncate } from '../domain/text.ts';
import type { RecoveryPoint, RestoreJob, RestoreJobHistory } from '../ports/backup.ts';
import type { RestoreRecord } from '../ports/backup-restore-records.ts';
import type { DrsJob, DrsJobHistory, DrsLookup } from '../ports/drs.ts';
import type { EvidenceLedger } from '../ports/evidence.ts';
import type { OnceGuard, ReconcilerMemory, ReportedLeftover } from '../ports/reconciler.ts';
import { type BackupRestoreDeps, restoreAfterBackup, restoreAfterCopy } from './backup-restore.ts';
import { restoreSignalFactory } from './backup-restore-signals.ts';
import { boundedMap } from './bounded-map.ts';
import { type RestoreValidationDeps, validateRestoreJob } from './restore-validation.ts';
import {
  launchSignalFromApis,
  type ReverseReplicationDeps,
  reverseReplicationAfterRecovery,
} from './reverse-replication.ts';

/**
 * The reconciler: DRS and AWS Backup events are best effort, so once an hour each deployment re-derives from
 * the APIs what an event of its own Region would have triggered, and hands it to **that event's use case** —
 * the same function, the same safety rules, the same idempotent effects — with a synthetic, deterministic event
 * built from API facts (id `reconciler:…`, which is also the correlation id of its signals).
 * Input: a scheduled event. Steps, each with bounded concurrency, each item on its own:
 *  1. launches (both Regions): DescribeJobs since the lookback → START_RECOVERY launches, ended more than the
 *     grace ago, whose recovery instance (DescribeRecoveryInstances by ID) still waits for its reversal and has
 *     no pending retry → reverseReplicationAfterRecovery (which re-reads everything and applies rules 1, 2, 5).
 *     Drills and launches of any other initiator are never handed over. An instance already reversed is handed
 *     over again only when no event path recorded its reversal or its launch in the ledger
 *     ({@link reversalSignalOwned}): when the reconciler's own hand-over reversed it and failed before the signal
 *     went out, the retry re-derives it.
 *  2. reversed replication stuck: **not done here.** The replication monitor already assesses every recovery
 *     instance whose reversal started, every 5 minutes (anything but CONTINUOUS within RPO is AT_RISK or
 *     NOT_READY, STALLED included, re-signalled every 15 minutes), and the failback lifecycle turns a
 *     failed-over server that stays unprotected critical after an hour. A second signal would duplicate both.
 *  3. restore jobs (recovery Region): ListRestoreJobs COMPLETED / FAILED / ABORTED since the lookback → a
 *     restore-testing plan's job of which there is no record at all → validateRestoreJob. Jobs with a record are
 *     left to restore-validation's 10-minute sweep, which moves every open record already.
 *  4. restore leftovers (recovery Region): open records still `cleaning` long after their validation deadline
 *     → one `Reconciler Finding` naming what is left (AT_RISK), and one when it is gone (READY).
 *  5. recovery points (recovery Region): ListRecoveryPointsByBackupVault (DR vault) since the lookback →
 *     restoreAfterCopy (copies) or restoreAfterBackup (backups made into the vault), whose token claim restores
 *     a point once whichever path asks first.
 * Hand-overs in steps 1 and 5 go through a once-guard (idempotency on the synthetic event id), so an item the
 * use case skipped is not handed over again every hour. Before each item the remaining time is checked: what
 * is left is reported in the outcome and picked up by the next run (the lookback overlaps). One failing item
 * never stops the others; failures are thrown together at the end (AggregateError) so the retry and the DLQ work.
 */
export interface ReconcilerPolicy {
  account: string;
  region: string;
  regionRole: 'primary' | 'recovery';
  lookbackSeconds: number;
  graceSeconds: number;
  /** How long past its validation deadline a cleanup may wait before it is reported. */
  cleanupOverdueSeconds: number;
  /** Items handed over at once. */
  concurrency: number;
  drVaultName: string;
  /** Stop starting items when less than this is left of the invocation. */
  reserveMs: number;
}

export interface ReconcilerDeps {
  drs: DrsJobHistory & DrsLookup;
  backup: RestoreJobHistory & RestoreValidationDeps['backup'] & BackupRestoreDeps['backup'];
  memory: ReconcilerMemory;
  once: OnceGuard;
  /** Milliseconds left in this invocation. */
  remainingMs: () => number;
  policy: ReconcilerPolicy;
  /** The event paths' own dependencies: the reconciler acts only through their use cases. */
  reversal: ReverseReplicationDeps;
  validation: RestoreValidationDeps;
  restore: BackupRestoreDeps;
  /**
   * The evidence ledger: every finished launch of the lookback (drills, failed launches, failbacks included)
   * that has no record — its Launch Result was lost — gets the record the event would have given.
   */
  ledger: Pick<EvidenceLedger, 'has' | 'record' | 'triggerOf'>;
}

type Counts = Record<string, number>;
interface CheckOutcome {
  handedOver: { item: string; outcome: string }[];
  skipped: Counts;
  /** Items not reached before the time ran out: the next run covers them (its lookback overlaps). */
  leftForNextRun: number;
  failed: number;
}

export interface ReconcilerOutcome {
  action: 'reconciled';
  region: string;
  launches: CheckOutcome;
  restoreJobs?: CheckOutcome;
  leftovers?: { reported: string[]; gone: string[]; failed: number };
  recoveryPoints?: CheckOutcome;
  /** True when some item was left for the next run. */
  incomplete: boolean;
}

export class ReconcilerError extends AggregateError {}

const FINISHED_RESTORE_STATUSES = ['COMPLETED', 'FAILED', 'ABORTED'] as const;

export async function reconcile(trigger: { id: string }, deps: ReconcilerDeps): Promise<ReconcilerOutcome> {
  const failures: unknown[] = [];
  const now = deps.reversal.clock();
  const since = new Date(now.getTime() - deps.policy.lookbackSeconds * 1000);

  const launches = await reconcileLaunches(since, now, deps, failures);
  const outcome: ReconcilerOutcome = {
    action: 'reconciled',
    region: deps.policy.region,
    launches,
    incomplete: false,
  };
  if (deps.policy.regionRole === 'recovery') {
    outcome.restoreJobs = await reconcileRestoreJobs(since, now, deps, failures);
    outcome.leftovers = await reconcileLeftovers(trigger.id, now, deps, failures);
    outcome.recoveryPoints = await reconcileRecoveryPoints(since, now, deps, failures);
  }
  outcome.incomplete = [outcome.launches, outcome.restoreJobs, outcome.recoveryPoints].some(
    (check) => (check?.leftForNextRun ?? 0) > 0,
  );
  if (failures.length > 0) {
    throw new ReconcilerError(
      failures,
      `reconciler ${trigger.id}: ${failures.length} item(s) failed: ${failures.map((error) => (error as Error).message).join('; ')}`.slice(
        0,
        2000,
      ),
    );
  }
  return outcome;
}

function emptyCheck(): CheckOutcome {
  return { handedOver: [], skipped: {}, leftForNextRun: 0, failed: 0 };
}

function count(counts: Counts, reason: string) {
  counts[reason] = (counts[reason] ?? 0) + 1;
}

/** Runs `fn` on each item with bounded concurrency; stops starting items when time runs short. */
async function eachItem<T>(
  items: readonly T[],
  deps: ReconcilerDeps,
  check: CheckOutcome,
  failures: unknown[],
  fn: (item: T) => Promise<void>,
): Promise<void> {
  await boundedMap(items, deps.policy.concurrency, async (item) => {
    if (deps.remainingMs() < deps.policy.reserveMs) {
      check.leftForNextRun++;
      return;
    }
    try {
      await fn(item);
    } catch (error) {
      check.failed++;
      failures.push(error);
    }
  });
}

/** Pages of a listing, stopping (and saying so) when time runs short. */
async function collect<T>(
  pages: AsyncIterable<T[]>,
  deps: ReconcilerDeps,
): Promise<{ items: T[]; cut: boolean }> {
  const items: T[] = [];
  for await (const page of pages) {
    items.push(...page);
    if (deps.remainingMs() < deps.policy.reserveMs) return { items, cut: true };
  }
  return { items, cut: false };
}

// 1. Launches ---------------------------------------------------------------------------------------------

/** The evidence kinds a reversal is recorded as: `reversal` after a failover, `re-protection` after a failback. */
const REVERSAL_RECORD_KINDS = ['reversal', 're-protection'] as const;

async function reconcileLaunches(
  since: Date,
  now: Date,
  deps: ReconcilerDeps,
  failures: unknown[],
): Promise<CheckOutcome> {
  const check = emptyCheck();
  let jobs: DrsJob[];
  let cut: boolean;
  let pending: Set<string>;
  try {
    ({ items: jobs, cut } = await collect(deps.drs.listJobsSince(since), deps));
    pending = new Set((await deps.reversal.pending.list()).map((item) => item.recoveryInstanceId));
  } catch (error) {
    check.failed++;
    failures.push(error);
    return check;
  }
  if (cut) check.leftForNextRun++;
  const launches = jobs.filter((job) => job.type === 'LAUNCH');
  const instanceIds = launches.flatMap((job) =>
    job.initiatedBy === 'START_RECOVERY'
      ? job.participatingServers.flatMap((server) =>
          server.recoveryInstanceId ? [server.recoveryInstanceId] : [],
        )
      : [],
  );
  let instances: Map<string, Awaited<ReturnType<DrsLookup['describeRecoveryInstances']>>[number]>;
  try {
    instances = new Map(
      (instanceIds.length > 0 ? await deps.drs.describeRecoveryInstances(instanceIds) : []).map(
        (instance) => [instance.recoveryInstanceId, instance],
      ),
    );
  } catch (error) {
    check.failed++;
    failures.push(error);
    return check;
  }
  const selections = launches.flatMap((job) =>
    selectLaunches({ job, instances, pending, now, graceSeconds: deps.policy.graceSeconds }),
  );
  const toHand: Exclude<LaunchSelection, { action: 'skip' }>[] = [];
  for (const selection of selections) {
    if (selection.action === 'skip') count(check.skipped, selection.reason);
    else toHand.push(selection);
  }
  await eachItem(toHand, deps, check, failures, async (selection) => {
    if (selection.action === 'check-signal') {
      const { recoveryInstanceId, jobId, sourceServerId } = selection;
      const [reversal, reProtection, launch] = await Promise.all([
        ...REVERSAL_RECORD_KINDS.map((kind) =>
          deps.ledger.triggerOf(`${kind}#${recoveryInstanceId}#${jobId}`),
        ),
        deps.ledger.triggerOf(`launch#${jobId}#${sourceServerId}`),
      ]);
      if (reversalSignalOwned({ reversal: reversal ?? reProtection, launch })) {
        count(check.skipped, 'already-reversed');
        return;
      }
    }
    const event = launchEventFor(selection, deps.policy);
    let ran = false;
    const outcome = await deps.once(event.id, () => {
      ran = true;
      return reverseReplicationAfterRecovery(event, deps.reversal);
    });
    // An already-reversed launch whose hand-over completed before: the once-guard remembered it, nothing ran.
    if (!ran && selection.action === 'check-signal') {
      count(check.skipped, 'already-handed-over');
      return;
    }
    check.handedOver.push({
      item: `${selection.jobId}/${selection.sourceServerId}`,
      outcome: outcome.action,
    });
  });
  // Every finished launch past the grace, whatever its kind, must be in the ledger: a lost Launch Result of a
  // drill or of a failed launch is evidence too (a drill nobody recorded is a failover "never tested").
  const finished = launches.flatMap((job) => {
    const ended = Date.parse(job.endDateTime ?? '');
    if (Number.isNaN(ended) || now.getTime() - ended < deps.policy.graceSeconds * 1000) return [];
    return job.participatingServers.flatMap((server) =>
      server.sourceServerId && (server.launchStatus === 'LAUNCHED' || server.launchStatus === 'FAILED')
        ? [{ job, sourceServerId: server.sourceServerId }]
        : [],
    );
  });
  await eachItem(finished, deps, check, failures, async ({ job, sourceServerId }) => {
    if (await deps.ledger.has(`launch#${job.jobId}#${sourceServerId}`)) return;
    const signal = await launchSignalFromApis(
      job,
      sourceServerId,
      deps.reversal,
      `reconciler:launch:${job.jobId}:${sourceServerId}`,
    );
    const record = signal
      ? evidenceFromSignal(signal, {
          recordedBy: 'reconciler',
          recordedAt: deps.reversal.clock().toISOString(),
          trigger: 'reconciler',
        })
      : undefined;
    if (!record) return;
    await deps.ledger.record([record]);
    count(check.skipped, 'launch-recorded');
  });
  return check;
}

/**
 * The Launch Result a real recovery's launch would have emitted: only START_RECOVERY jobs get here, so
 * `is-drill` is `FALSE` by the job's own initiator (never guessed); the use case checks it again by API.
 */
export function launchEventFor(
  selection: { jobId: string; sourceServerId: string; launchedAt: string },
  policy: Pick<ReconcilerPolicy, 'account' | 'region'>,
): LaunchResultEvent {
  return launchResult.parse({
    version: '0',
    id: `reconciler:launch:${selection.jobId}:${selection.sourceServerId}`,
    'detail-type': launchResult.detailType,
    source: launchResult.source,
    account: policy.account,
    time: new Date(Date.parse(selection.launchedAt)).toISOString(),
    region: policy.region,
    resources: [`arn:aws:drs:${policy.region}:${policy.account}:source-server/${selection.sourceServerId}`],
    detail: { state: LAUNCH_SUCCEEDED, 'job-id': selection.jobId, 'is-drill': 'FALSE' },
  });
}

// 3. Restore jobs -----------------------------------------------------------------------------------------

async function reconcileRestoreJobs(
  since: Date,
  now: Date,
  deps: ReconcilerDeps,
  failures: unknown[],
): Promise<CheckOutcome> {
  const check = emptyCheck();
  const jobs: RestoreJob[] = [];
  for (const status of FINISHED_RESTORE_STATUSES) {
    try {
      const listed = await collect(deps.backup.listRestoreJobs({ status, completedAfter: since }), deps);
      jobs.push(...listed.items);
      if (listed.cut) check.leftForNextRun++;
    } catch (error) {
      check.failed++;
      failures.push(error);
    }
  }
  await eachItem(jobs, deps, check, failures, async (job) => {
    // Only plan jobs can lack a record; ours always have one. The record read is skipped for foreign jobs.
    const record = job.restoreTestingPlanArn
      ? await deps.validation.records.get(job.restoreJobId)
      : undefined;
    const selection = selectRestoreJob(job, record !== undefined, now, deps.policy.graceSeconds);
    if (selection.action === 'skip') {
      count(check.skipped, selection.reason);
      return;
    }
    const outcome = await validateRestoreJob(restoreEventFor(job, deps.policy), deps.validation);
    check.handedOver.push({ item: job.restoreJobId, outcome: outcome.action });
  });
  return check;
}

/** The Restore Job State Change AWS Backup would have emitted for a finished job, from ListRestoreJobs' facts. */
export function restoreEventFor(
  job: RestoreJob,
  policy: Pick<ReconcilerPolicy, 'account' | 'region'>,
): RestoreJobStateChangeEvent {
  const detail: Record<string, string> = { restoreJobId: job.restoreJobId, status: job.status ?? 'UNKNOWN' };
  if (job.statusMessage) detail.statusMessage = job.statusMessage;
  if (job.recoveryPointArn) detail.recoveryPointArn = job.recoveryPointArn;
  if (job.createdResourceArn) detail.createdResourceArn = job.createdResourceArn;
  if (job.resourceType) detail.resourceType = job.resourceType;
  if (job.restoreTestingPlanArn) detail.restoreTestingPlanArn = job.restoreTestingPlanArn;
  if (job.creationDate) detail.creationDate = job.creationDate.toISOString();
  if (job.completionDate) detail.completionDate = job.completionDate.toISOString();
  return restoreJobStateChange.parse({
    version: '0',
    id: `reconciler:restore:${job.restoreJobId}`,
    'detail-type': restoreJobStateChange.detailType,
    source: restoreJobStateChange.source,
    account: policy.account,
    time: (job.completionDate ?? new Date()).toISOString(),
    region: policy.region,
    resources: job.recoveryPointArn ? [job.recoveryPointArn] : [],
    detail,
  });
}

// 4. Restore leftovers ------------------------------------------------------------------------------------

async function reconcileLeftovers(
  runId: string,
  now: Date,
  deps: ReconcilerDeps,
  failures: unknown[],
): Promise<NonNullable<ReconcilerOutcome['leftovers']>> {
  const result = { reported: [] as string[], gone: [] as string[], failed: 0 };
  const fail = (error: unknown) => {
    result.failed++;
    failures.push(error);
  };
  let open: RestoreRecord[];
  let reported: Map<string, ReportedLeftover>;
  try {
    open = [];
    for await (const page of deps.validation.records.listOpen()) open.push(...page);
    reported = new Map((await deps.memory.leftovers()).map((item) => [item.restoreJobId, item]));
  } catch (error) {
    fail(error);
    return result;
  }
  const signal = restoreSignalFactory({
    correlationId: `reconciler:${runId}`,
    observedAt: now,
    dryRun: deps.reversal.dryRun,
  });
  const overdue = new Map<string, { record: RestoreRecord; since: string }>();
  for (const record of open) {
    const since = cleanupOverdueSince(record, now, deps.policy.cleanupOverdueSeconds);
    if (since) overdue.set(record.restoreJobId, { record, since });
  }
  for (const [restoreJobId, { record, since }] of overdue) {
    if (reported.has(restoreJobId)) continue;
    try {
      const left = await whatIsLeft(record, deps);
      const subject = record.sourceResourceArn ?? record.recoveryPointArn;
      await deps.reversal.signals.publish([
        signal({
          type: SIGNAL_TYPES.reconcilerFinding,
          resource: leftoverResource(restoreJobId, deps.policy),
          workload: record.workload,
          severity: 'warning',
          summary: `restore ${restoreJobId} of ${subject} (${record.resourceType}) still not cleaned up, overdue since ${since}: left ${left}`,
          assessment: {
            state: 'AT_RISK',
            reason: `restore test leftovers not deleted (${record.resourceType})`,
            nextStep: `Check restore-validation's logs for restore job ${restoreJobId}; delete what is left (${left}) by hand if it keeps waiting: it costs money and is tagged dr-autopilot:restore-job-id=${restoreJobId}.`,
          },
          evidence: {
            check: 'restore-leftover',
            restoreJobId,
            phase: record.phase,
            overdueSince: since,
            left: truncate(left, 1000),
            overdueAfter: formatSeconds(deps.policy.cleanupOverdueSeconds),
          },
        }),
      ]);
      await deps.memory.rememberLeftover({
        restoreJobId,
        workload: record.workload,
        reportedAt: now.toISOString(),
        subject,
      });
      result.reported.push(restoreJobId);
    } catch (error) {
      fail(error);
    }
  }
  for (const [restoreJobId, item] of reported) {
    if (overdue.has(restoreJobId)) continue;
    try {
      await deps.reversal.signals.publish([
        signal({
          type: SIGNAL_TYPES.reconcilerFinding,
          resource: leftoverResource(restoreJobId, deps.policy),
          workload: item.workload,
          severity: 'info',
          summary: `restore ${restoreJobId} of ${item.subject}: leftovers cleaned up`,
          assessment: { state: 'READY', reason: 'restore test leftovers cleaned up' },
          evidence: { check: 'restore-leftover', restoreJobId, reportedAt: item.reportedAt },
        }),
      ]);
      await deps.memory.forgetLeftover(restoreJobId);
      result.gone.push(restoreJobId);
    } catch (error) {
      fail(error);
    }
  }
  return result;
}

function leftoverResource(restoreJobId: string, policy: Pick<ReconcilerPolicy, 'account' | 'region'>) {
  return {
    type: 'restore-leftover' as const,
    id: restoreJobId,
    arn: `arn:aws:backup:${policy.region}:${policy.account}:restore-job:${restoreJobId}`,
    region: policy.region,
    account: policy.account,
  };
}

/** Read-only: what the restore created that still exists (the resource and its related pieces). */
async function whatIsLeft(record: RestoreRecord, deps: ReconcilerDeps): Promise<string> {
  const job = await deps.backup.describeRestoreJob(record.restoreJobId);
  const arn = job?.createdResourceArn;
  const type = job?.resourceType ?? record.resourceType;
  const handler = isRestorableType(type) ? deps.validation.handlers[type] : undefined;
  if (!arn) return 'a resource the restore job does not name';
  if (!handler) return arn;
  const resource = await handler.inspect(arn);
  if (!resource.exists)
    return `${arn} is gone; related: ${resource.related.map((item) => `${item.kind} ${item.id}`).join(', ') || 'none'}`;
  return [arn, ...resource.related.map((item) => `${item.kind} ${item.id}`)].join(', ');
}

// 5. Recovery points --------------------------------------------------------------------------------------

async function reconcileRecoveryPoints(
  since: Date,
  now: Date,
  deps: ReconcilerDeps,
  failures: unknown[],
): Promise<CheckOutcome> {
  const check = emptyCheck();
  let points: RecoveryPoint[];
  try {
    const listed = await collect(deps.backup.listRecoveryPoints(deps.policy.drVaultName, since), deps);
    points = listed.items;
    if (listed.cut) check.leftForNextRun++;
  } catch (error) {
    check.failed++;
    failures.push(error);
    return check;
  }
  await eachItem(points, deps, check, failures, async (point) => {
    const selection = selectRecoveryPoint(point, now, deps.policy.graceSeconds);
    if (selection.action === 'skip') {
      count(check.skipped, selection.reason);
      return;
    }
    const event = recoveryPointEventFor(point, deps.policy);
    const outcome = await deps.once(event.id, () =>
      event['detail-type'] === copyJobStateChange.detailType
        ? restoreAfterCopy(event as CopyJobStateChangeEvent, deps.restore)
        : restoreAfterBackup(event as BackupJobStateChangeEvent, deps.restore),
    );
    check.handedOver.push({ item: point.recoveryPointArn, outcome: outcome.action });
  });
  return check;
}

/**
 * The job event that brought a recovery point into the DR vault: a Copy Job State Change for a copy (it has a
 * source vault), a Backup Job State Change for a backup made into the vault. The copy job's ID is not known
 * from the vault listing; the use case needs only the destination vault and recovery point.
 */
export function recoveryPointEventFor(
  point: RecoveryPoint,
  policy: Pick<ReconcilerPolicy, 'account' | 'region'>,
): CopyJobStateChangeEvent | BackupJobStateChangeEvent {
  const vaultArn = `arn:aws:backup:${policy.region}:${policy.account}:backup-vault:${point.backupVaultName}`;
  const envelope = {
    version: '0',
    id: `reconciler:recovery-point:${point.recoveryPointArn}`,
    source: 'aws.backup',
    account: policy.account,
    time: (point.completionDate ?? point.creationDate ?? new Date()).toISOString(),
    region: policy.region,
    resources: [point.recoveryPointArn],
  };
  if (point.sourceBackupVaultArn) {
    return copyJobStateChange.parse({
      ...envelope,
      'detail-type': copyJobStateChange.detailType,
      detail: {
        state: 'COMPLETED',
        sourceBackupVaultArn: point.sourceBackupVaultArn,
        destinationBackupVaultArn: vaultArn,
        destinationRecoveryPointArn: point.recoveryPointArn,
        ...(point.resourceArn ? { resourceArn: point.resourceArn } : {}),
        ...(point.resourceType ? { resourceType: point.resourceType } : {}),
      },
    });
  }
  return backupJobStateChange.parse({
    ...envelope,
    'detail-type': backupJobStateChange.detailType,
    detail: {
      backupJobId: `reconciler-${point.recoveryPointArn.slice(point.recoveryPointArn.lastIndexOf(':') + 1)}`,
      state: 'COMPLETED',
      backupVaultArn: vaultArn,
      backupVaultName: point.backupVaultName,
      ...(point.resourceArn ? { resourceArn: point.resourceArn } : {}),
      ...(point.resourceType ? { resourceType: point.resourceType } : {}),
    },
  });
}
