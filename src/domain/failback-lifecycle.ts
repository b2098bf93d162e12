import type { ReadinessState, Severity } from '../../events/dr-autopilot/signal.ts';
import { workloadFromTags } from '../../events/dr-autopilot/signal.ts';
import type { DrsJob, DrsRecoveryInstance, DrsSourceServer } from '../ports/drs.ts';
import { formatSeconds } from './duration.ts';
import { GONE_INSTANCE_STATES, reversalStarted } from './rpo.ts';

/**
 * The failover/failback cycle of every protected server, across both Regions of the pair. Pure: a snapshot of
 * both Regions' DRS facts, what was remembered from earlier sweeps, the policy and the time in; each server's
 * stage, its evidence, the cleanup plan and the drill-hygiene findings out.
 *
 * Names follow the AWS cross-Region failback guide. Region A is the primary, B the recovery Region.
 * - B1: the FAILOVER-direction source server in B that protects the original instance A1.
 * - Failover: a recovery launch of B1 in B → recovery instance B2 (its EC2 instance B3).
 * - Reversal: ReverseReplication(B2) in B → FAILBACK-direction source server A2 in A, replicating B3.
 * - Failback: a launch of A2 in A → recovery instance A3 (EC2 instance A4); a failback *drill* looks the same.
 * - Re-protection (step 3): ReverseReplication(A3) in A → B1 now protects A4 (its awsInstanceID becomes A4).
 * - Cleanup: stop, disconnect, delete A2; terminate B2 (and B3); A1 and the A3 record by hand.
 *
 * The readiness of a lifecycle resource answers one question: *does the cycle need a person now?* How well
 * each server and instance replicates is the replication monitor's verdict (its own resources), so the two never
 * count the same fact twice, and the workload's state is the worst of both.
 *
 * | stage | the facts | needs a person? (readiness) |
 * |---|---|---|
 * | protected | no real, running recovery instance of B1 and nothing of a cycle left | no (READY) |
 * | failed-over-unprotected | B2 real, its reversal not started | only past the bound (then NOT_READY, critical) |
 * | reversing | B2's reversal started, not yet continuous | no (READY) |
 * | ready-to-fail-back | B2 CONTINUOUS (or failback READY_FOR_LAUNCH) | a decision, not a fault (READY) |
 * | failing-back | A2's newest launch PENDING / IN_PROGRESS | no (READY) |
 * | failback-drill-running | a drill recovery instance of A2 runs (production still on B3) | no (READY) |
 * | failed-back | a real A3 runs, not re-protected | yes: re-protect, or end the drill (NOT_READY) |
 * | re-protected | A3's reversal started, B1 not yet CONTINUOUS from A4 | no (READY) |
 * | cleanup-pending | re-protected and CONTINUOUS, leftovers of the cycle remain | yes: clean up (AT_RISK) |
 * | failback-error | B2's failback state FAILBACK_ERROR, or a reversed replication STALLED | yes (NOT_READY, critical) |
 *
 * `FAILBACK_COMPLETED` never appears for in-AWS flows (DRS user guide), so no stage waits for it. When the
 * primary Region cannot be read (it is the one that failed), stages are decided from the recovery Region alone
 * and say so.
 */

export const LIFECYCLE_STAGES = [
  'protected',
  'failed-over-unprotected',
  'reversing',
  'ready-to-fail-back',
  'failing-back',
  'failback-drill-running',
  'failed-back',
  're-protected',
  'cleanup-pending',
  'failback-error',
] as const;
export type LifecycleStage = (typeof LIFECYCLE_STAGES)[number];

/** One Region's DRS, as listed by a sweep. `reachable: false` when it could not be read. */
export interface RegionFacts {
  region: string;
  reachable: boolean;
  error?: string | undefined;
  sourceServers: DrsSourceServer[];
  recoveryInstances: DrsRecoveryInstance[];
  /** The jobs of the recovery instances the lifecycle looks at (launch times, who initiated them). */
  jobs: DrsJob[];
}

/** The cycle's objects, remembered between sweeps so that a partly cleaned-up cycle is still recognised. */
export interface CycleIds {
  /** The original instance B1 protected before this cycle (A1); kept from the first sweep that saw it. */
  a1?: string | undefined;
  b2?: string | undefined;
  b3?: string | undefined;
  a2?: string | undefined;
  a3?: string | undefined;
  a4?: string | undefined;
}

export interface LifecycleRecord {
  serverId: string;
  region: string;
  workload: string;
  hostname?: string | undefined;
  stage: LifecycleStage;
  since: string;
  /** Completed cycles (failover → … → cleaned up) seen by this deployment. */
  cycles: number;
  ids: CycleIds;
}

export interface LifecyclePolicy {
  primaryRegion: string;
  recoveryRegion: string;
  account: string;
  /** Failed over and unprotected longer than this: critical. */
  unprotectedAlertAfterSeconds: number;
  /** A drill recovery instance older than this is reported (and may be terminated, when opted in). */
  drillMaxAgeSeconds: number;
}

export type CleanupAction =
  | 'stop-replication'
  | 'disconnect-source-server'
  | 'delete-source-server'
  | 'terminate-recovery-instance'
  | 'delete-recovery-instance-record'
  | 'terminate-original-instance';

export interface CleanupItem {
  order: number;
  region: string;
  action: CleanupAction;
  /** The DRS ID (s-…, i-…) or EC2 instance ID the action applies to. */
  id: string;
  /** What it is in the guide's names (A2, B2…), for people. */
  role: string;
  why: string;
  /** The AWS CLI command a person runs. */
  command: string;
  /**
   * Whether `npm run cleanup -- --apply` may do it (after a fresh re-read). Items it never applies (an EC2
   * instance it cannot prove it may end, a record the documents disagree on) stay for a person.
   */
  automatic: boolean;
  /** Hours an EC2 instance of this item has been running (estimate from its launch job), if it runs one. */
  instanceHours?: number | undefined;
}

export interface ServerLifecycle {
  serverId: string;
  region: string;
  workload: string;
  hostname?: string | undefined;
  stage: LifecycleStage;
  /** When the server entered this stage (the first sweep that saw it, or a DRS time where there is one). */
  since: string;
  state: ReadinessState;
  severity: Severity;
  reason: string;
  nextStep?: string | undefined;
  runbook: string;
  ids: CycleIds;
  cycles: number;
  cleanup: CleanupItem[];
  /** Said when the primary Region could not be read: the stage comes from the recovery Region alone. */
  partial?: string | undefined;
  evidence: Record<string, string | number | boolean | null>;
}

export interface DrillFinding {
  recoveryInstanceId: string;
  arn?: string | undefined;
  region: string;
  account: string;
  sourceServerId?: string | undefined;
  workload: string;
  ec2InstanceId?: string | undefined;
  jobId?: string | undefined;
  /** `true` only when the instance says isDrill and its job says START_DRILL: only those may be terminated. */
  confirmed: boolean;
  /** Why it is not confirmed, when it is not. */
  doubt?: string | undefined;
  launchedAt?: string | undefined;
  ageSeconds?: number | undefined;
  overAge: boolean;
  /** A drill whose reversal started (someone began a failback from it) is never terminated automatically. */
  reversalStarted: boolean;
}

export interface LifecycleSnapshot {
  servers: ServerLifecycle[];
  drills: DrillFinding[];
}

export const LIFECYCLE_RUNBOOK: Record<LifecycleStage, string> = {
  protected: 'runbook-lifecycle-protected',
  'failed-over-unprotected': 'runbook-recovered-but-unprotected',
  reversing: 'runbook-reversed-replication',
  'ready-to-fail-back': 'runbook-ready-to-fail-back',
  'failing-back': 'runbook-failing-back',
  'failback-drill-running': 'runbook-failback-drill',
  'failed-back': 'runbook-failed-back-not-re-protected',
  're-protected': 'runbook-re-protected',
  'cleanup-pending': 'runbook-cleanup-pending',
  'failback-error': 'runbook-failback-error',
};
export const DRILL_RUNBOOK = 'runbook-drill-instance-running';

const SYNCED = new Set(['CONTINUOUS']);
/** Stages that only the primary Region's facts (A2, A3) can tell or end. */
const PRIMARY_SIDE_STAGES = new Set<LifecycleStage>([
  'failing-back',
  'failback-drill-running',
  'failed-back',
  're-protected',
  'cleanup-pending',
]);
/** Leftovers that keep costing (EC2 hours, replication): a cycle is not over while one remains. */
const COSTLY = new Set<CleanupAction>(['stop-replication', 'terminate-recovery-instance']);
const LAUNCH_IN_PROGRESS = new Set(['PENDING', 'IN_PROGRESS']);

const gone = (instance: Pick<DrsRecoveryInstance, 'ec2InstanceState'>) =>
  (GONE_INSTANCE_STATES as readonly string[]).includes(instance.ec2InstanceState ?? '');
const started = (instance: DrsRecoveryInstance) => reversalStarted(instance);

/** Derives every protected server's stage and the drill findings from both Regions' facts. */
export function deriveLifecycle(
  facts: { primary: RegionFacts; recovery: RegionFacts },
  previous: ReadonlyMap<string, LifecycleRecord>,
  policy: LifecyclePolicy,
  now: Date,
): LifecycleSnapshot {
  const jobs = new Map<string, DrsJob>();
  for (const job of [...facts.primary.jobs, ...facts.recovery.jobs]) jobs.set(job.jobId, job);
  const forward = facts.recovery.sourceServers.filter(
    (server) => server.replicationDirection === 'FAILOVER' && server.originRegion === policy.primaryRegion,
  );
  const servers = forward.map((b1) =>
    deriveServer(b1, facts, previous.get(b1.sourceServerId), jobs, policy, now),
  );
  const drills = [facts.recovery, facts.primary].flatMap((region) =>
    region.recoveryInstances
      .filter((instance) => instance.isDrill === true && !gone(instance))
      .map((instance) => drillFinding(instance, region, facts, jobs, policy, now)),
  );
  return { servers, drills };
}

function deriveServer(
  b1: DrsSourceServer,
  facts: { primary: RegionFacts; recovery: RegionFacts },
  before: LifecycleRecord | undefined,
  jobs: ReadonlyMap<string, DrsJob>,
  policy: LifecyclePolicy,
  now: Date,
): ServerLifecycle {
  const { primary, recovery } = facts;
  const byId = (list: DrsRecoveryInstance[], id: string | undefined) =>
    id ? list.find((instance) => instance.recoveryInstanceId === id) : undefined;
  /** When an instance's launch job was created (ms), `undefined` when its job is not known. */
  const launchedAt = (instance: DrsRecoveryInstance | undefined): number | undefined => {
    const at = Date.parse((instance?.jobId ? jobs.get(instance.jobId)?.creationDateTime : undefined) ?? '');
    return Number.isNaN(at) ? undefined : at;
  };
  const newestFirst = (a: DrsRecoveryInstance, b: DrsRecoveryInstance) =>
    (launchedAt(b) ?? Number.NEGATIVE_INFINITY) - (launchedAt(a) ?? Number.NEGATIVE_INFINITY) ||
    a.recoveryInstanceId.localeCompare(b.recoveryInstanceId);

  // B2: the newest real, running recovery instance of B1 (by its launch job), so an older one left stopped
  // never hides a new failover.
  const realOfB1 = recovery.recoveryInstances.filter(
    (instance) =>
      instance.sourceServerId === b1.sourceServerId && instance.isDrill === false && !gone(instance),
  );
  const b2 = [...realOfB1].sort(newestFirst)[0];
  // Another B2 than this cycle's is a new failover: a new cycle, whose A1 is what B1 protects now (after a
  // completed cycle, the previous failback instance). Nothing of the old cycle's memory applies to it.
  const newFailover =
    b2 !== undefined && before?.ids.b2 !== undefined && b2.recoveryInstanceId !== before.ids.b2;
  const remembered: CycleIds = newFailover ? { a1: b1.awsInstanceId } : (before?.ids ?? {});
  // Instances of A2 belong to this cycle only if they were launched after this cycle's failover: an A3 left
  // from an earlier cycle (a record DRS would not delete, on an A2 DRS may reuse) never counts.
  const b2LaunchedAt = launchedAt(b2);
  const ofThisCycle = (instance: DrsRecoveryInstance) => {
    if (!b2) return true;
    const at = launchedAt(instance);
    return at !== undefined && b2LaunchedAt !== undefined && at > b2LaunchedAt;
  };

  // A2: the FAILBACK-direction server in A replicating this B3 (or, once B2 is gone, the remembered one).
  const failbackServers = primary.sourceServers.filter(
    (server) => server.replicationDirection === 'FAILBACK',
  );
  const a2 = b2
    ? failbackServers.find(
        (server) =>
          server.recoveryInstanceId === b2.recoveryInstanceId ||
          (server.awsInstanceId !== undefined && server.awsInstanceId === b2.ec2InstanceId),
      )
    : failbackServers.find((server) => server.sourceServerId === remembered.a2);

  // A3: the newest recovery instance of A2 of this cycle; a real one is a failback, a drill one a failback drill.
  const ofA2 = a2
    ? primary.recoveryInstances
        .filter((instance) => instance.sourceServerId === a2.sourceServerId && !gone(instance))
        .filter(ofThisCycle)
        .sort(newestFirst)
    : [];
  const a3 = ofA2.find((instance) => instance.isDrill === false);
  const failbackDrill = ofA2.find((instance) => instance.isDrill === true);
  // A remembered A3 whose A2 is gone already (cleanup under way) still counts, if it is of this cycle.
  const a3Known =
    a3 ??
    [
      byId(
        primary.recoveryInstances.filter((i) => !gone(i) && i.isDrill === false),
        remembered.a3,
      ),
    ]
      .filter((instance): instance is DrsRecoveryInstance => instance !== undefined)
      .find(ofThisCycle);

  // Re-protected: B1 protects the failback instance A4 (its awsInstanceID only becomes A4 through ReverseReplication
  // of A3), seen now on this cycle's A3, or remembered from this cycle once A3's record is gone.
  const reprotected =
    b1.awsInstanceId !== undefined &&
    ((a3Known !== undefined && started(a3Known) && b1.awsInstanceId === a3Known.ec2InstanceId) ||
      b1.awsInstanceId === remembered.a4);

  const ids: CycleIds = {
    // A1 is what B1 protected before the cycle: remembered from the first sweep, never taken from a re-protected B1.
    a1: remembered.a1 ?? (b2 || reprotected ? undefined : b1.awsInstanceId),
    b2: b2?.recoveryInstanceId ?? remembered.b2,
    b3: b2?.ec2InstanceId ?? remembered.b3,
    a2: a2?.sourceServerId ?? remembered.a2,
    a3: a3Known?.recoveryInstanceId ?? remembered.a3,
    a4: a3Known?.ec2InstanceId ?? remembered.a4,
  };
  const inCycle = b2 !== undefined || a2 !== undefined || a3Known !== undefined;

  const base = {
    serverId: b1.sourceServerId,
    region: recovery.region,
    workload: workloadFromTags(b1.tags),
    hostname: b1.hostname,
    ids: inCycle ? ids : { a1: b1.awsInstanceId },
    cycles: before?.cycles ?? 0,
    partial: primary.reachable
      ? undefined
      : `the primary Region ${primary.region} could not be read (${primary.error ?? 'unreachable'}): decided from ${recovery.region} alone`,
  };
  const evidence: ServerLifecycle['evidence'] = {
    pairedServerArn: b1.reversedDirectionSourceServerArn ?? null,
    forwardReplication: b1.dataReplicationState ?? null,
    b2: ids.b2 ?? null,
    b2Replication: b2?.dataReplicationState ?? null,
    b2FailbackState: b2?.failbackState ?? null,
    a2: ids.a2 ?? null,
    a2Replication: a2?.dataReplicationState ?? null,
    a3: ids.a3 ?? null,
    a3Replication: a3Known?.dataReplicationState ?? null,
    a4: ids.a4 ?? null,
    failoverJobId: b2?.jobId ?? null,
    failoverLaunchedAt: (b2?.jobId ? jobs.get(b2.jobId)?.creationDateTime : undefined) ?? null,
    failbackJobId: a3Known?.jobId ?? a2?.lastLaunchJobId ?? null,
    failbackLaunchedAt: (a3Known?.jobId ? jobs.get(a3Known.jobId)?.creationDateTime : undefined) ?? null,
  };
  const since = (stage: LifecycleStage, fromDrs?: string | undefined) =>
    before?.stage === stage ? before.since : (fromDrs ?? now.toISOString());
  const make = (
    stage: LifecycleStage,
    verdict: Pick<ServerLifecycle, 'state' | 'severity' | 'reason' | 'nextStep'>,
    extra: { cleanup?: CleanupItem[]; since?: string; cycles?: number; ids?: CycleIds } = {},
  ): ServerLifecycle => ({
    ...base,
    ...verdict,
    ids: extra.ids ?? base.ids,
    stage,
    since: extra.since ?? since(stage),
    runbook: LIFECYCLE_RUNBOOK[stage],
    cleanup: extra.cleanup ?? [],
    cycles: extra.cycles ?? base.cycles,
    evidence,
  });
  const id = b1.sourceServerId;
  const A = policy.primaryRegion;
  const B = policy.recoveryRegion;

  // Stages past the failover depend on the primary Region's facts: while it cannot be read, what was last
  // seen stands (UNKNOWN), rather than a guess from the recovery Region alone (a cycle 'completed' or a
  // failback 'undone' because A2 and A3 are invisible).
  if (!primary.reachable && before && !newFailover && PRIMARY_SIDE_STAGES.has(before.stage)) {
    return make(
      before.stage,
      {
        state: 'UNKNOWN',
        severity: 'warning',
        reason: `${id}: ${before.stage} when last seen; ${A} cannot be read`,
        nextStep: `Nothing changes here until ${A} answers again; check the DRS console of ${A}.`,
      },
      { since: before.since, ids: remembered },
    );
  }

  if (!inCycle) {
    // Back to protected: a cycle that reached its end (re-protected and cleaned up) is counted once.
    const completed =
      before !== undefined && (before.stage === 'cleanup-pending' || before.stage === 're-protected');
    return make(
      'protected',
      { state: 'READY', severity: 'info', reason: `${id} protected, no failover under way` },
      { cycles: base.cycles + (completed ? 1 : 0) },
    );
  }

  if (reprotected) {
    const plan = cleanupPlan(b1, ids, { a2, b2, a3: a3Known }, jobs, policy, now, primary.reachable);
    if (!SYNCED.has(b1.dataReplicationState ?? '')) {
      return make(
        're-protected',
        {
          state: 'READY',
          severity: 'info',
          reason: `${id} failed back to ${ids.a4}; re-protection syncing (${b1.dataReplicationState ?? 'state unknown'})`,
          nextStep: `Nothing to do yet: ${id} replicates ${ids.a4} again once its sync completes; then clean up (npm run cleanup -- --workload ${base.workload}).`,
        },
        { cleanup: plan },
      );
    }
    // What still costs money or still replicates: the old recovery instance (B2/B3) and A2's replication.
    const costly = plan.filter((item) => COSTLY.has(item.action));
    if (costly.length === 0) {
      // The cycle is over. What is left (a stopped A2 the API will not disconnect while A3's record exists,
      // the A3 record, A1) costs nothing: kept as an optional tidy-up, counted once as a completed cycle.
      const completed = before !== undefined && before.stage !== 'protected';
      return make(
        'protected',
        {
          state: 'READY',
          severity: 'info',
          reason: `${id} failed back, re-protected and cleaned up${plan.length > 0 ? `; optional tidy-up: ${listOf(plan)}` : ''}`,
          ...(plan.length > 0
            ? { nextStep: `Optional: npm run cleanup -- --workload ${base.workload} lists the rest.` }
            : {}),
        },
        { cleanup: plan, cycles: base.cycles + (completed ? 1 : 0) },
      );
    }
    const hours = plan.reduce((sum, item) => sum + (item.instanceHours ?? 0), 0);
    return make(
      'cleanup-pending',
      {
        state: 'AT_RISK',
        severity: 'warning',
        reason: `${id} failed back and re-protected; ${plan.length} cleanup item(s) left`,
        nextStep: `Clean up what the cycle left (${listOf(plan)}${hours > 0 ? `; ${hours.toFixed(1)} instance-hours so far` : ''}): npm run cleanup -- --workload ${base.workload} prints the plan, --apply applies it after a fresh re-read.`,
      },
      { cleanup: plan },
    );
  }

  if (a3 && !started(a3)) {
    return make('failed-back', {
      state: 'NOT_READY',
      severity: 'warning',
      reason: `${id} failed back to ${a3.ec2InstanceId ?? a3.recoveryInstanceId} in ${A}, not re-protected`,
      nextStep: `Production in ${A} is not replicated to ${B}. A real failback: aws drs reverse-replication --recovery-instance-id ${a3.recoveryInstanceId} --region ${A} (or declare failbacks first: npm run failback -- declare). A drill: terminate ${a3.recoveryInstanceId}.`,
    });
  }

  if (a2 && LAUNCH_IN_PROGRESS.has(a2.lastLaunchStatus ?? '')) {
    const drill = a2.lastLaunchType === 'DRILL';
    const stage = drill ? 'failback-drill-running' : 'failing-back';
    const from = since(stage);
    const runningFor = Math.max(0, (now.getTime() - Date.parse(from)) / 1000);
    if (!drill && runningFor > policy.unprotectedAlertAfterSeconds) {
      // A launch for failback still not done after the bound: stuck, and production is in neither place for sure.
      return make(stage, {
        state: 'NOT_READY',
        severity: 'warning',
        reason: `failback launch of ${a2.sourceServerId} in ${A} still in progress after ${formatSeconds(runningFor)}`,
        nextStep: `Open job ${a2.lastLaunchJobId ?? '(see the source server)'} in the DRS console of ${A} (job log: aws drs describe-job-log-items) and fix what it names; production still runs on ${ids.b3 ?? 'the recovery instance'}.`,
      });
    }
    return make(stage, {
      state: 'READY',
      severity: 'info',
      reason: `${drill ? 'failback drill' : 'failback'} launch of ${a2.sourceServerId} under way in ${A}`,
      nextStep: drill
        ? 'Nothing to do until the drill ends; then terminate its instance.'
        : 'Verify the failback instance, redirect traffic, then re-protect it (automatic when declared).',
    });
  }

  if (failbackDrill) {
    return make(
      'failback-drill-running',
      {
        state: 'READY',
        severity: 'info',
        reason: `failback drill instance ${failbackDrill.recoveryInstanceId} runs in ${A}; production stays on ${ids.b3 ?? 'the recovery instance'}`,
        nextStep: `After the drill, terminate the drill instance (do not re-protect it): aws drs terminate-recovery-instances --recovery-instance-ids ${failbackDrill.recoveryInstanceId} --region ${A}.`,
      },
      { cleanup: [drillTermination(failbackDrill, A, 'A3 (failback drill)', 1, jobs, now)] },
    );
  }

  if (!b2) {
    // The cycle's recovery side is gone but A2 / A3 remain without re-protection: leftovers of an abandoned cycle.
    return make(
      'cleanup-pending',
      {
        state: 'AT_RISK',
        severity: 'warning',
        reason: `${id}: leftovers of an earlier cycle in ${A} (${[ids.a2, ids.a3].filter(Boolean).join(', ')})`,
        nextStep: `Review and remove them: npm run cleanup -- --workload ${base.workload}.`,
      },
      { cleanup: cleanupPlan(b1, ids, { a2, b2, a3: a3Known }, jobs, policy, now, primary.reachable) },
    );
  }

  const stalled =
    b2.dataReplicationState === 'STALLED' ||
    a2?.dataReplicationState === 'STALLED' ||
    b2.failbackState === 'FAILBACK_ERROR';
  if (stalled) {
    return make('failback-error', {
      state: 'NOT_READY',
      severity: 'critical',
      reason: `${id}: reversed replication of ${b2.recoveryInstanceId} in error (${b2.failbackState === 'FAILBACK_ERROR' ? 'FAILBACK_ERROR' : 'STALLED'})`,
      nextStep: `Open ${b2.recoveryInstanceId} in the DRS console of ${B} (Data replication status) and fix the cause it names; ${b2.recoveryInstanceId} must reach the DRS endpoint of ${A} on TCP 443.`,
    });
  }

  if (!started(b2)) {
    const launchedAt = b2.jobId ? jobs.get(b2.jobId)?.creationDateTime : undefined;
    const from = since('failed-over-unprotected', launchedAt);
    const unprotectedFor = Math.max(0, (now.getTime() - Date.parse(from)) / 1000);
    const late = unprotectedFor > policy.unprotectedAlertAfterSeconds;
    return make(
      'failed-over-unprotected',
      {
        // Within the bound dr-autopilot is on it (the monitor reports the server NOT_READY meanwhile).
        state: late ? 'NOT_READY' : 'READY',
        severity: late ? 'critical' : 'info',
        reason: `${id} failed over to ${b2.recoveryInstanceId}, unprotected for ${formatSeconds(unprotectedFor)}`,
        nextStep: late
          ? `Reversed replication of ${b2.recoveryInstanceId} has not started after ${formatSeconds(unprotectedFor)}: start it by hand (aws drs reverse-replication --recovery-instance-id ${b2.recoveryInstanceId} --region ${B}) and check the instance reaches the DRS endpoint of ${A}.`
          : 'dr-autopilot starts reversed replication of a real recovery by itself; this clears within minutes.',
      },
      { since: from },
    );
  }

  const synced =
    SYNCED.has(b2.dataReplicationState ?? '') || b2.failbackState === 'FAILBACK_READY_FOR_LAUNCH';
  if (synced) {
    return make('ready-to-fail-back', {
      state: 'READY',
      severity: 'info',
      reason: `${id} ready to fail back: ${b2.recoveryInstanceId} replicates to ${ids.a2 ?? A} continuously`,
      nextStep: `When the business decides (dr-autopilot never fails back): declare a real failback (npm run failback -- declare --workload ${base.workload}), then Launch for failback of ${ids.a2 ?? 'the FAILBACK-direction server'} in ${A}.`,
    });
  }
  return make('reversing', {
    state: 'READY',
    severity: 'info',
    reason: `${id} failed over to ${b2.recoveryInstanceId}; reversed replication ${b2.dataReplicationState ?? 'starting'}`,
    nextStep: 'Nothing to do yet: protected once the initial sync completes.',
  });
}

/**
 * The leftovers of a real failback, in an order every step of which the DRS API accepts:
 * 1. stop A2's replication (it still replicates the old recovery instance B3: cost, and it is not needed);
 * 2. terminate B2, which terminates B3 (EC2 hours);
 * 3. delete the A3 *record* (the DRS guide: "simply delete" it; it never touches A4, which is production). The
 *    API says a recovery instance must be disconnected first, and disconnecting A3 would stop the
 *    re-protection: so it is attempted as it is, and a refusal leaves it, costing nothing;
 * 4. disconnect and 5. delete A2 (the API: a source server cannot be disconnected while it has a recovery
 *    instance, so only after 3);
 * 6. the original instance A1, by a person (EC2: dr-autopilot never ends an instance DRS did not launch).
 */
function cleanupPlan(
  b1: DrsSourceServer,
  ids: CycleIds,
  present: {
    a2: DrsSourceServer | undefined;
    b2: DrsRecoveryInstance | undefined;
    a3: DrsRecoveryInstance | undefined;
  },
  jobs: ReadonlyMap<string, DrsJob>,
  policy: LifecyclePolicy,
  now: Date,
  primaryReachable: boolean,
): CleanupItem[] {
  const A = policy.primaryRegion;
  const B = policy.recoveryRegion;
  const items: Omit<CleanupItem, 'order'>[] = [];
  const { a2, b2, a3 } = present;
  // Without fresh facts of the primary Region nothing is planned: ending B2 needs proof that A4 is protected.
  if (!primaryReachable) return [];
  const a2Role = 'A2 (failback-direction server)';
  const a2State = a2?.dataReplicationState ?? '';
  if (a2 && a2State !== 'STOPPED' && a2State !== 'DISCONNECTED') {
    items.push({
      region: A,
      action: 'stop-replication',
      id: a2.sourceServerId,
      role: a2Role,
      why: `it still replicates the old recovery instance ${ids.b3 ?? ''} back to ${A}`,
      command: `aws drs stop-replication --source-server-id ${a2.sourceServerId} --region ${A}`,
      automatic: true,
    });
  }
  // A B2 already shutting down is being terminated: nothing to do but wait for it to go.
  if (b2 && b2.ec2InstanceState !== 'SHUTTING-DOWN') {
    items.push({
      region: B,
      action: 'terminate-recovery-instance',
      id: b2.recoveryInstanceId,
      role: 'B2 (failover recovery instance)',
      why: `production runs on ${ids.a4 ?? 'the failback instance'} again, protected by ${b1.sourceServerId}; ${ids.b3 ?? b2.recoveryInstanceId} is the old recovery-Region copy`,
      command: `aws drs terminate-recovery-instances --recovery-instance-ids ${b2.recoveryInstanceId} --region ${B}`,
      automatic: true,
      instanceHours: hoursSince(b2.jobId ? jobs.get(b2.jobId)?.creationDateTime : undefined, now),
    });
  }
  if (a3) {
    items.push({
      region: A,
      action: 'delete-recovery-instance-record',
      id: a3.recoveryInstanceId,
      role: 'A3 (failback instance record)',
      why: `the DRS record of the failback instance ${ids.a4 ?? ''}: removes the record only, never the instance (production); if DRS refuses (it wants it disconnected, which would stop the re-protection), leave it`,
      command: `aws drs delete-recovery-instance --recovery-instance-id ${a3.recoveryInstanceId} --region ${A}`,
      automatic: true,
    });
  }
  if (a2 && a2State !== 'DISCONNECTED') {
    items.push({
      region: A,
      action: 'disconnect-source-server',
      id: a2.sourceServerId,
      role: a2Role,
      why: 'a source server must be disconnected before it can be deleted (and DRS refuses while it has a recovery instance)',
      command: `aws drs disconnect-source-server --source-server-id ${a2.sourceServerId} --region ${A}`,
      automatic: true,
    });
  }
  if (a2) {
    items.push({
      region: A,
      action: 'delete-source-server',
      id: a2.sourceServerId,
      role: a2Role,
      why: 'the failback is done: nothing replicates towards it any more',
      command: `aws drs delete-source-server --source-server-id ${a2.sourceServerId} --region ${A}`,
      automatic: true,
    });
  }
  // Never the instance B1 protects now (an abandoned failover leaves B1 on A1), never the failback instance.
  if (ids.a1 && ids.a1 !== ids.a4 && ids.a1 !== b1.awsInstanceId) {
    items.push({
      region: A,
      action: 'terminate-original-instance',
      id: ids.a1,
      role: 'A1 (original instance)',
      why: `the instance ${b1.sourceServerId} protected before the failover; if it still exists it is a stale copy`,
      command: `aws ec2 terminate-instances --instance-ids ${ids.a1} --region ${A}`,
      // dr-autopilot never ends an EC2 instance that DRS did not launch: a person checks and runs it.
      automatic: false,
    });
  }
  return items.map((item, index) => ({ ...item, order: index + 1 }));
}

function drillTermination(
  instance: DrsRecoveryInstance,
  region: string,
  role: string,
  order: number,
  jobs: ReadonlyMap<string, DrsJob>,
  now: Date,
): CleanupItem {
  return {
    order,
    region,
    action: 'terminate-recovery-instance',
    id: instance.recoveryInstanceId,
    role,
    why: 'a drill instance: DRS never terminates drill instances by itself',
    command: `aws drs terminate-recovery-instances --recovery-instance-ids ${instance.recoveryInstanceId} --region ${region}`,
    automatic: true,
    instanceHours: hoursSince(instance.jobId ? jobs.get(instance.jobId)?.creationDateTime : undefined, now),
  };
}

function drillFinding(
  instance: DrsRecoveryInstance,
  region: RegionFacts,
  facts: { primary: RegionFacts; recovery: RegionFacts },
  jobs: ReadonlyMap<string, DrsJob>,
  policy: LifecyclePolicy,
  now: Date,
): DrillFinding {
  const job = instance.jobId ? jobs.get(instance.jobId) : undefined;
  const launchedAt = job?.creationDateTime;
  const ageSeconds = launchedAt ? Math.max(0, (now.getTime() - Date.parse(launchedAt)) / 1000) : undefined;
  const source = [...facts.recovery.sourceServers, ...facts.primary.sourceServers].find(
    (server) => server.sourceServerId === instance.sourceServerId,
  );
  const doubt = !job
    ? `its job ${instance.jobId ?? '(none)'} is not visible in DescribeJobs`
    : job.initiatedBy !== 'START_DRILL'
      ? `its job ${job.jobId} was initiated by ${job.initiatedBy ?? 'nothing DRS reports'}, not START_DRILL`
      : undefined;
  return {
    recoveryInstanceId: instance.recoveryInstanceId,
    arn: instance.arn,
    region: region.region,
    account: policy.account,
    sourceServerId: instance.sourceServerId,
    workload: workloadFromTags({ ...source?.tags, ...instance.tags }),
    ec2InstanceId: instance.ec2InstanceId,
    jobId: instance.jobId,
    confirmed: doubt === undefined,
    doubt,
    launchedAt,
    ageSeconds,
    overAge: ageSeconds !== undefined && ageSeconds > policy.drillMaxAgeSeconds,
    reversalStarted: started(instance),
  };
}

/**
 * Whether a drill instance may be terminated automatically, from a *fresh* read of it and its job (rule 4):
 * the API says it is a drill (isDrill true) and its job was START_DRILL, its reversal never started, its EC2
 * instance is not gone already, and it is older than the drill age. Anything else is a reason not to.
 */
export function drillTerminable(
  fresh: { instance: DrsRecoveryInstance | undefined; job: DrsJob | undefined },
  policy: Pick<LifecyclePolicy, 'drillMaxAgeSeconds'>,
  now: Date,
): { terminate: true } | { terminate: false; reason: string } {
  const { instance, job } = fresh;
  if (!instance) return { terminate: false, reason: 'no longer listed by DescribeRecoveryInstances' };
  if (instance.isDrill !== true)
    return { terminate: false, reason: `isDrill is ${String(instance.isDrill)}` };
  if (!job) return { terminate: false, reason: `its job ${instance.jobId ?? '(none)'} is not visible` };
  if (job.initiatedBy !== 'START_DRILL') {
    return {
      terminate: false,
      reason: `its job was initiated by ${job.initiatedBy ?? 'nothing'}, not START_DRILL`,
    };
  }
  if (started(instance)) return { terminate: false, reason: 'its reversed replication started' };
  if (gone(instance) || instance.ec2InstanceState === 'SHUTTING-DOWN') {
    return { terminate: false, reason: `its EC2 instance is ${instance.ec2InstanceState}` };
  }
  const launched = job.creationDateTime ? Date.parse(job.creationDateTime) : Number.NaN;
  if (Number.isNaN(launched)) return { terminate: false, reason: 'its launch time is unknown' };
  if ((now.getTime() - launched) / 1000 <= policy.drillMaxAgeSeconds) {
    return { terminate: false, reason: 'younger than the drill age' };
  }
  return { terminate: true };
}

/** The distinct pieces a plan names (several items may act on one piece), for a one-line reason. */
function listOf(plan: readonly CleanupItem[]): string {
  return [...new Set(plan.map((item) => `${item.role} ${item.id}`))].join(', ');
}

function hoursSince(iso: string | undefined, now: Date): number | undefined {
  if (!iso) return undefined;
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return undefined;
  return Math.round(Math.max(0, now.getTime() - at) / 360_000) / 10;
}

/** The record kept for a server between sweeps: what the next derivation needs, no more. */
export function toRecord(server: ServerLifecycle): LifecycleRecord {
  return {
    serverId: server.serverId,
    region: server.region,
    workload: server.workload,
    hostname: server.hostname,
    stage: server.stage,
    since: server.since,
    cycles: server.cycles,
    ids: server.ids,
  };
}
