import { createSignal, SIGNAL_TYPES, type Signal } from '../../events/dr-autopilot/signal.ts';
import { formatSeconds } from '../domain/duration.ts';
import { ConflictError } from '../domain/errors.ts';
import {
  DRILL_RUNBOOK,
  type DrillFinding,
  deriveLifecycle,
  drillTerminable,
  type LifecyclePolicy,
  type RegionFacts,
  type ServerLifecycle,
} from '../domain/failback-lifecycle.ts';
import { truncate } from '../domain/text.ts';
import type { DrsJob, DrsRecoveryInstance, DrsSourceServer } from '../ports/drs.ts';
import {
  HISTORY_LENGTH,
  type LifecycleStore,
  type RegionDrs,
  type StoredDrill,
  type StoredServerLifecycle,
} from '../ports/lifecycle.ts';
import type { Clock, SignalPublisher } from '../ports/signals.ts';

/**
 * The failback lifecycle tracker (recovery-Region deployment only: it must survive the loss of the primary).
 * Input: a schedule (and DRS events that make a sweep worth running now).
 * Steps: read both Regions' DRS (the primary may be unreachable: then decide from the recovery Region alone) →
 * derive every protected server's stage and the drill findings → signal each change of stage and each drill
 * left running (or gone) → optionally terminate confirmed drill instances, after a fresh re-read → store what
 * changed.
 * Output: counts and the changes, for the logs.
 */
export interface LifecycleDeps {
  primary: RegionDrs;
  recovery: RegionDrs;
  store: LifecycleStore;
  signals: SignalPublisher;
  clock: Clock;
  policy: LifecyclePolicy & {
    /** Terminate confirmed drill instances older than the drill age (off by default; rule 4). */
    terminateDrillInstances: boolean;
  };
  dryRun: boolean;
  /** Which side of the pair this deployment is: only the recovery Region computes the lifecycle. */
  regionRole: 'primary' | 'recovery';
}

export type LifecycleOutcome =
  | { action: 'skipped'; reason: 'not-the-lifecycle-owner'; explanation: string }
  | {
      action: 'lifecycle-swept';
      servers: number;
      changes: { serverId: string; from: string | null; to: string }[];
      drillsReported: string[];
      drillsGone: string[];
      drillsTerminated: string[];
      drillsKept: { recoveryInstanceId: string; reason: string }[];
      primaryReachable: boolean;
    };

export async function sweepLifecycle(deps: LifecycleDeps, correlationId: string): Promise<LifecycleOutcome> {
  if (deps.regionRole !== 'recovery') {
    return {
      action: 'skipped',
      reason: 'not-the-lifecycle-owner',
      explanation: `the recovery Region (${deps.policy.recoveryRegion}) deployment tracks the lifecycle of the pair`,
    };
  }
  const now = deps.clock();
  const [recovery, primary] = await Promise.all([
    readRegion(deps.recovery, deps.policy.recoveryRegion, true),
    readRegion(deps.primary, deps.policy.primaryRegion, false),
  ]);
  const stored = await deps.store.load();
  const snapshot = deriveLifecycle({ primary, recovery }, stored.servers, deps.policy, now);
  const observedAt = now.toISOString();
  const signal = signalFactory(deps, observedAt, correlationId);

  const signals: Signal[] = [];
  const serverWrites: StoredServerLifecycle[] = [];
  const changes: { serverId: string; from: string | null; to: string }[] = [];
  for (const server of snapshot.servers) {
    const before = stored.servers.get(server.serverId);
    if (before && !materiallyChanged(before, server)) continue;
    const stageChanged = before?.stage !== server.stage;
    const history = stageChanged
      ? [{ stage: server.stage, at: server.since }, ...(before?.history ?? [])].slice(0, HISTORY_LENGTH)
      : (before?.history ?? []);
    serverWrites.push({ ...server, history, updatedAt: observedAt });
    // A server first seen at rest is remembered silently; every other change is said.
    if (!before && server.stage === 'protected') continue;
    changes.push({ serverId: server.serverId, from: before?.stage ?? null, to: server.stage });
    signals.push(lifecycleSignal(signal, server, before?.stage, deps.policy.account));
  }

  const drillWrites: StoredDrill[] = [];
  const drillsReported: string[] = [];
  const drillsTerminated: string[] = [];
  const drillsKept: { recoveryInstanceId: string; reason: string }[] = [];
  const failures: unknown[] = [];
  const seen = new Set<string>();
  const regionOf = (drill: DrillFinding) =>
    drill.region === deps.policy.primaryRegion ? deps.primary : deps.recovery;
  for (const drill of snapshot.drills) {
    seen.add(drill.recoveryInstanceId);
    const before = stored.drills.get(drill.recoveryInstanceId);
    if (!drill.overAge) continue;
    let record: StoredDrill = before ?? { ...drill, reportedAt: observedAt };
    if (!before || before.reportPending) {
      drillsReported.push(drill.recoveryInstanceId);
      signals.push(drillSignal(signal, drill, deps.policy));
    }
    try {
      // A termination an earlier sweep asked for, whose "terminated" signal may not have reached the bus.
      const settled = await settleTermination(record, regionOf(drill));
      if (settled) {
        record = { ...record, terminated: settled.terminated };
        drillsTerminated.push(drill.recoveryInstanceId);
        signals.push(drillTerminatedSignal(deps, drill, settled.terminated, settled.intent));
      }
      // Asked once per mode: a dry-run's "would terminate" does not stand in for the real call once active.
      const asked = record.terminated !== undefined && record.terminated.dryRun === deps.dryRun;
      if (deps.policy.terminateDrillInstances && !asked) {
        // The intent is stored before the destructive call: whatever is lost after it, the next sweep owes the signal.
        const recordIntent = async (intent: TerminationIntent) => {
          record = { ...record, terminating: intent };
          await deps.store.save({
            servers: [],
            drills: [{ ...record, ageSeconds: drill.ageSeconds, ...(before ? {} : { reportPending: true }) }],
            deleteDrills: [],
          });
        };
        const intent = { at: observedAt, correlationId };
        const result = await terminateDrill(drill, regionOf(drill), deps, now, () => recordIntent(intent));
        if (result.terminated) {
          drillsTerminated.push(drill.recoveryInstanceId);
          record = { ...record, terminated: result.terminated };
          signals.push(drillTerminatedSignal(deps, drill, result.terminated, intent));
        } else {
          drillsKept.push({ recoveryInstanceId: drill.recoveryInstanceId, reason: result.reason });
        }
      }
    } catch (error) {
      // One drill that cannot be terminated never holds up the rest of the sweep; the run fails at its end.
      drillsKept.push({
        recoveryInstanceId: drill.recoveryInstanceId,
        reason: `${(error as Error).name}: ${(error as Error).message}`,
      });
      if (!(error instanceof ConflictError)) failures.push(error);
    }
    if (!before || record !== before || before.reportPending) {
      const { reportPending: _pending, ...kept } = record;
      drillWrites.push({ ...kept, ageSeconds: drill.ageSeconds });
    }
  }
  // Drills reported earlier that no Region lists any more (terminated, or their Region unreadable: kept then).
  const drillsGone: StoredDrill[] = [];
  for (const drill of stored.drills.values()) {
    const reachable = drill.region === deps.policy.recoveryRegion ? recovery.reachable : primary.reachable;
    if (seen.has(drill.recoveryInstanceId) || !reachable) continue;
    let terminated = drill.terminated;
    try {
      const settled = await settleTermination(drill, regionOf(drill));
      if (settled) {
        terminated = settled.terminated;
        drillsTerminated.push(drill.recoveryInstanceId);
        signals.push(drillTerminatedSignal(deps, drill, settled.terminated, settled.intent));
      }
    } catch (error) {
      // Kept for the next sweep, which looks for its termination again.
      failures.push(error);
      continue;
    }
    drillsGone.push(drill);
    signals.push(drillGoneSignal(signal, { ...drill, terminated }));
  }

  // Signals first: a failed publish leaves the store unchanged, so the next sweep says it again.
  if (signals.length > 0) await deps.signals.publish(signals);
  if (serverWrites.length + drillWrites.length + drillsGone.length > 0) {
    await deps.store.save({
      servers: serverWrites,
      drills: drillWrites,
      deleteDrills: drillsGone.map((drill) => drill.recoveryInstanceId),
    });
  }
  if (failures.length > 0) {
    throw new AggregateError(failures, `${failures.length} drill instance(s) could not be terminated`);
  }
  return {
    action: 'lifecycle-swept',
    servers: snapshot.servers.length,
    changes,
    drillsReported,
    drillsGone: drillsGone.map((drill) => drill.recoveryInstanceId),
    drillsTerminated,
    drillsKept,
    primaryReachable: primary.reachable,
  };
}

/** What makes a server's stored lifecycle worth rewriting: not the wording, which carries elapsed times. */
function materiallyChanged(before: StoredServerLifecycle, now: ServerLifecycle): boolean {
  return (
    before.stage !== now.stage ||
    before.severity !== now.severity ||
    before.workload !== now.workload ||
    before.cycles !== now.cycles ||
    before.partial !== now.partial ||
    JSON.stringify(before.ids) !== JSON.stringify(now.ids) ||
    JSON.stringify(before.cleanup.map((item) => [item.action, item.id])) !==
      JSON.stringify(now.cleanup.map((item) => [item.action, item.id]))
  );
}

/**
 * Lists one Region's source servers and recovery instances, and the jobs of the instances still running. The
 * recovery Region must answer (its errors propagate); the primary Region may be the one that failed, so its
 * failure is a fact (`reachable: false`), not an error.
 */
export async function readRegion(drs: RegionDrs, region: string, required: boolean): Promise<RegionFacts> {
  try {
    const sourceServers: DrsSourceServer[] = [];
    for await (const page of drs.listSourceServers()) sourceServers.push(...page);
    const recoveryInstances: DrsRecoveryInstance[] = [];
    for await (const page of drs.listRecoveryInstances()) recoveryInstances.push(...page);
    const jobIds = recoveryInstances
      .filter((instance) => instance.jobId && instance.ec2InstanceState !== 'TERMINATED')
      .map((instance) => instance.jobId as string);
    const jobs: DrsJob[] = jobIds.length > 0 ? await drs.describeJobs(jobIds) : [];
    return { region, reachable: true, sourceServers, recoveryInstances, jobs };
  } catch (error) {
    // Only a Region that does not answer is "unreachable"; a refusal (AccessDenied…) or a bug propagates.
    if (required || !isUnreachable(error)) throw error;
    return {
      region,
      reachable: false,
      error: describeUnreachable(error),
      sourceServers: [],
      recoveryInstances: [],
      jobs: [],
    };
  }
}

const NETWORK_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'ECONNABORTED',
]);
const TIMEOUT_NAMES = new Set([
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'NetworkingError',
]);

/**
 * Whether an error says the Region did not answer: a network failure, a timeout, or a 5xx after the SDK's
 * retries. Anything else (AccessDenied, UninitializedAccount, a validation error, a bug) is not an outage.
 */
export function isUnreachable(error: unknown): boolean {
  const found = error as
    | { name?: string; code?: string; $metadata?: { httpStatusCode?: number }; cause?: unknown }
    | undefined;
  if (!found || typeof found !== 'object') return false;
  if (found.code && NETWORK_ERROR_CODES.has(found.code)) return true;
  if (found.name && TIMEOUT_NAMES.has(found.name)) return true;
  if ((found.$metadata?.httpStatusCode ?? 0) >= 500) return true;
  return found.cause !== undefined && found.cause !== error ? isUnreachable(found.cause) : false;
}

function describeUnreachable(error: unknown): string {
  const { name, code } = error as { name?: string; code?: string };
  return [name, code].filter(Boolean).join(' ') || 'no answer';
}

/**
 * Terminates one drill instance (opt-in), only after a fresh read of it and its job proves it may be
 * ({@link drillTerminable}); it is first tagged `dr-autopilot:drill-cleanup`, which the IAM policy requires
 * on anything this function terminates. Dry-run: nothing is called, the outcome says what would be.
 */
async function terminateDrill(
  drill: DrillFinding,
  drs: RegionDrs,
  deps: LifecycleDeps,
  now: Date,
  /** Stores the intent; called after every check passed and before the tag and the destructive call. */
  recordIntent: () => Promise<void>,
): Promise<
  | { terminated: NonNullable<StoredDrill['terminated']>; reason?: undefined }
  | { terminated?: undefined; reason: string }
> {
  if (!drill.confirmed) return { reason: drill.doubt ?? 'not a confirmed drill' };
  const [instance] = await drs.describeRecoveryInstances([drill.recoveryInstanceId]);
  const [job] = instance?.jobId ? await drs.describeJobs([instance.jobId]) : [];
  const verdict = drillTerminable({ instance, job }, deps.policy, now);
  if (!verdict.terminate) return { reason: verdict.reason };
  if (deps.dryRun) return { terminated: { at: now.toISOString(), dryRun: true } };
  if (!instance?.arn) return { reason: 'DRS reports no ARN to tag' };
  await recordIntent();
  await drs.tagRecoveryInstance(instance.arn, { [DRILL_CLEANUP_TAG]: job?.jobId ?? 'confirmed-drill' });
  const { jobId } = await drs.terminateRecoveryInstances([drill.recoveryInstanceId]);
  return { terminated: { jobId, at: now.toISOString(), dryRun: false } };
}

/** The tag put on a confirmed drill instance just before terminating it: IAM terminates only what carries it. */
export const DRILL_CLEANUP_TAG = 'dr-autopilot:drill-cleanup';

/** A termination dr-autopilot asked for: when, and in which run (the "terminated" signal's stable id). */
type TerminationIntent = NonNullable<StoredDrill['terminating']>;

/**
 * How far before its intent a TERMINATE job may be stamped: DRS's clock and Lambda's are not the same clock, and
 * the intent is written just before the call.
 */
const JOB_CLOCK_SKEW_MS = 5 * 60_000;

/**
 * The termination an earlier sweep asked for and whose "terminated" signal is still owed (an intent without
 * `terminated`: TerminateRecoveryInstances answered with an error after DRS applied it, or the signal's publish
 * failed), proven by the TERMINATE job that names the instance since the intent. `undefined` when nothing is
 * owed, or no such job exists (the call never applied: the instance, if still listed, may be terminated again
 * after the usual fresh re-read).
 */
export async function settleTermination(
  drill: StoredDrill,
  drs: RegionDrs,
): Promise<{ terminated: NonNullable<StoredDrill['terminated']>; intent: TerminationIntent } | undefined> {
  const intent = drill.terminating;
  if (!intent || drill.terminated) return undefined;
  const since = new Date(Date.parse(intent.at) - JOB_CLOCK_SKEW_MS);
  for await (const page of drs.listJobsSince(since)) {
    const job = page.find(
      (candidate) =>
        candidate.initiatedBy === 'TERMINATE_RECOVERY_INSTANCES' &&
        candidate.participatingServers.some(
          (server) => server.recoveryInstanceId === drill.recoveryInstanceId,
        ),
    );
    if (job) return { terminated: { jobId: job.jobId, at: intent.at, dryRun: false }, intent };
  }
  return undefined;
}

type SignalFactory = (
  input: Omit<Parameters<typeof createSignal>[0], 'observedAt' | 'correlationId' | 'dryRun'>,
) => Signal;

function signalFactory(deps: LifecycleDeps, observedAt: string, correlationId: string): SignalFactory {
  return (input) => createSignal({ ...input, observedAt, correlationId, dryRun: deps.dryRun });
}

function lifecycleSignal(
  signal: SignalFactory,
  server: ServerLifecycle,
  from: string | undefined,
  account: string,
): Signal {
  const leftovers = server.cleanup.map((item) => `${item.order}. ${item.command}`).join(' ');
  return signal({
    type: SIGNAL_TYPES.lifecycleStageChanged,
    resource: {
      type: 'drs-failback-lifecycle',
      id: server.serverId,
      region: server.region,
      account,
      ...(server.hostname ? { name: server.hostname } : {}),
    },
    workload: server.workload,
    severity: server.severity,
    summary: `${server.serverId}: ${from ?? 'first seen'} → ${server.stage}${server.partial ? ' (primary Region unreadable)' : ''}`,
    assessment: {
      state: server.state,
      reason: truncate(server.reason, 120),
      ...(server.nextStep ? { nextStep: truncate(server.nextStep, 500) } : {}),
      runbook: server.runbook,
    },
    evidence: {
      stage: server.stage,
      previousStage: from ?? null,
      since: server.since,
      cycles: server.cycles,
      cleanupItems: server.cleanup.length,
      cleanupPlan: leftovers.length > 0 ? truncate(leftovers, 1000) : null,
      instanceHours: server.cleanup.reduce((sum, item) => sum + (item.instanceHours ?? 0), 0),
      partial: server.partial ?? null,
      ...server.evidence,
    },
  });
}

function drillResource(drill: DrillFinding) {
  return {
    type: 'drs-drill-instance' as const,
    id: drill.recoveryInstanceId,
    region: drill.region,
    account: drill.account,
    ...(drill.arn ? { arn: drill.arn } : {}),
  };
}

function drillSignal(signal: SignalFactory, drill: DrillFinding, policy: LifecyclePolicy): Signal {
  const age = drill.ageSeconds === undefined ? 'an unknown time' : formatSeconds(drill.ageSeconds);
  const hours = drill.ageSeconds === undefined ? null : Math.round(drill.ageSeconds / 360) / 10;
  return signal({
    type: SIGNAL_TYPES.drillInstanceChanged,
    resource: drillResource(drill),
    workload: drill.workload,
    severity: 'warning',
    summary: `drill instance ${drill.recoveryInstanceId} (${drill.ec2InstanceId ?? 'EC2 ID unknown'}) still running after ${age} in ${drill.region}${drill.confirmed ? '' : ` (not a confirmed drill: ${drill.doubt})`}`,
    assessment: {
      state: 'AT_RISK',
      reason: `drill instance left running for ${age}`,
      nextStep: `After the drill, terminate it: aws drs terminate-recovery-instances --recovery-instance-ids ${drill.recoveryInstanceId} --region ${drill.region}. Drill instances older than ${formatSeconds(policy.drillMaxAgeSeconds)} are reported.`,
      runbook: DRILL_RUNBOOK,
    },
    evidence: {
      jobId: drill.jobId ?? null,
      sourceServerId: drill.sourceServerId ?? null,
      ec2InstanceId: drill.ec2InstanceId ?? null,
      launchedAt: drill.launchedAt ?? null,
      instanceHours: hours,
      confirmedDrill: drill.confirmed,
      doubt: drill.doubt ?? null,
    },
  });
}

/**
 * "Terminating confirmed drill instance …". A real termination's signal is observed at its intent's time and
 * correlated with the run that asked for it, whichever sweep sends it: the same signal id each time it is sent
 * again (after a lost answer or a failed publish), which readiness and the evidence ledger fold.
 */
function drillTerminatedSignal(
  deps: LifecycleDeps,
  drill: DrillFinding,
  terminated: NonNullable<StoredDrill['terminated']>,
  intent: TerminationIntent,
): Signal {
  const signal = signalFactory(deps, intent.at, intent.correlationId);
  return signal({
    type: SIGNAL_TYPES.drillInstanceChanged,
    resource: drillResource(drill),
    workload: drill.workload,
    severity: 'info',
    summary: `${terminated.dryRun ? 'dry-run: would terminate' : 'terminating'} confirmed drill instance ${drill.recoveryInstanceId} in ${drill.region}${terminated.jobId ? ` (job ${terminated.jobId})` : ''}`,
    evidence: {
      action: terminated.dryRun ? 'would-terminate' : 'terminate',
      terminateJobId: terminated.jobId ?? null,
      launchJobId: drill.jobId ?? null,
    },
  });
}

function drillGoneSignal(signal: SignalFactory, drill: StoredDrill): Signal {
  return signal({
    type: SIGNAL_TYPES.drillInstanceChanged,
    resource: drillResource(drill),
    workload: drill.workload,
    severity: 'info',
    summary: `drill instance ${drill.recoveryInstanceId} is gone from ${drill.region}`,
    assessment: {
      state: 'READY',
      reason: `drill instance ${drill.recoveryInstanceId} cleaned up`,
      runbook: DRILL_RUNBOOK,
    },
    evidence: { terminateJobId: drill.terminated?.jobId ?? null },
  });
}
