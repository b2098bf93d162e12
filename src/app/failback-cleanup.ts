import { ConflictError } from '../domain/errors.ts';
import {
  type CleanupItem,
  deriveLifecycle,
  drillTerminable,
  type LifecyclePolicy,
  type LifecycleRecord,
  type RegionFacts,
  type ServerLifecycle,
  toRecord,
} from '../domain/failback-lifecycle.ts';
import type { DrsJob, DrsRecoveryInstance, DrsSourceServer } from '../ports/drs.ts';
import type { RegionDrs } from '../ports/lifecycle.ts';
import { isUnreachable, readRegion } from './failback-lifecycle.ts';

/**
 * The cleanup after a failback (or a failback drill), for a person (`npm run cleanup`): the plan, computed from
 * a fresh sweep of both Regions exactly as the lifecycle computes it; and, only when asked (`apply`), each
 * automatic item in order, each after a fresh re-read of its server proves the item is still in the plan (rule
 * 4: the stage still says the cycle is over, the resource is still what the plan says). The first item that
 * is no longer what the plan says stops that server's cleanup. Manual items are never applied.
 */
export interface CleanupDeps {
  primary: RegionDrs;
  recovery: RegionDrs;
  policy: LifecyclePolicy;
  clock: () => Date;
  /** What the lifecycle remembered (A1, and the cycle's IDs once some are gone); empty when not available. */
  remembered: ReadonlyMap<string, LifecycleRecord>;
}

export interface CleanupPlan {
  readAt: string;
  primaryReachable: boolean;
  servers: ServerLifecycle[];
}

/**
 * The stages whose leftovers may be cleaned up: the cycle is over (`cleanup-pending`, or `protected` with an
 * optional tidy-up left), or a failback drill's instance. Anything else is not over.
 */
const CLEANABLE = new Set(['cleanup-pending', 'protected', 'failback-drill-running']);

export async function planCleanup(deps: CleanupDeps, workload: string | undefined): Promise<CleanupPlan> {
  const [recovery, primary] = await Promise.all([
    readRegion(deps.recovery, deps.policy.recoveryRegion, true),
    readRegion(deps.primary, deps.policy.primaryRegion, false),
  ]);
  const now = deps.clock();
  const { servers } = deriveLifecycle({ primary, recovery }, deps.remembered, deps.policy, now);
  return {
    readAt: now.toISOString(),
    primaryReachable: primary.reachable,
    servers: servers.filter(
      (server) =>
        (!workload || server.workload === workload) &&
        CLEANABLE.has(server.stage) &&
        server.cleanup.length > 0,
    ),
  };
}

export type ItemResult =
  | { serverId: string; item: CleanupItem; result: 'applied'; detail?: string | undefined }
  | { serverId: string; item: CleanupItem; result: 'left-for-a-person' }
  | { serverId: string; item: CleanupItem; result: 'stopped'; detail: string }
  /** DRS refused an item of an optional tidy-up (the cycle is over): left as it is, nothing else to do. */
  | { serverId: string; item: CleanupItem; result: 'refused'; detail: string };

/** Applies the plan's automatic items, server by server, in order, each after a fresh re-read. */
export async function applyCleanup(deps: CleanupDeps, plan: CleanupPlan): Promise<ItemResult[]> {
  const results: ItemResult[] = [];
  for (const planned of plan.servers) {
    let record = toRecord(planned);
    for (const item of planned.cleanup) {
      if (!item.automatic) {
        results.push({ serverId: planned.serverId, item, result: 'left-for-a-person' });
        continue;
      }
      const fresh = await rereadServer(deps, record);
      const still = fresh?.cleanup.find(
        (candidate) => candidate.action === item.action && candidate.id === item.id && candidate.automatic,
      );
      if (!fresh || !CLEANABLE.has(fresh.stage) || !still) {
        results.push({
          serverId: planned.serverId,
          item,
          result: 'stopped',
          detail: fresh
            ? `no longer in the plan: the server is now ${fresh.stage}${fresh.partial ? ` (${fresh.partial})` : ''}`
            : 'the server is no longer listed',
        });
        break;
      }
      if (fresh.stage === 'failback-drill-running') {
        // Terminating a drill instance also needs the drill to be confirmed by a fresh read (rule 4).
        const region = item.region === deps.policy.primaryRegion ? deps.primary : deps.recovery;
        const [instance] = await region.describeRecoveryInstances([item.id]);
        const [job] = instance?.jobId ? await region.describeJobs([instance.jobId]) : [];
        const verdict = drillTerminable({ instance, job }, { drillMaxAgeSeconds: 0 }, deps.clock());
        if (!verdict.terminate) {
          results.push({ serverId: planned.serverId, item, result: 'stopped', detail: verdict.reason });
          break;
        }
      }
      try {
        const detail = await applyItem(deps, item);
        results.push({ serverId: planned.serverId, item, result: 'applied', detail });
      } catch (error) {
        // DRS refused because of the resource's state (documented for several of these calls): said, not retried.
        // Once the cycle is over (`protected`), what is left costs nothing: a refusal there is no failure.
        if (!(error instanceof ConflictError)) throw error;
        results.push({
          serverId: planned.serverId,
          item,
          result: fresh.stage === 'protected' ? 'refused' : 'stopped',
          detail: `DRS refused: ${error.message}`,
        });
        break;
      }
      record = toRecord(fresh);
    }
  }
  return results;
}

async function applyItem(deps: CleanupDeps, item: CleanupItem): Promise<string | undefined> {
  const drs = item.region === deps.policy.primaryRegion ? deps.primary : deps.recovery;
  switch (item.action) {
    case 'stop-replication':
      await drs.stopReplication(item.id);
      return undefined;
    case 'disconnect-source-server':
      await drs.disconnectSourceServer(item.id);
      return undefined;
    case 'delete-source-server':
      await drs.deleteSourceServer(item.id);
      return undefined;
    case 'delete-recovery-instance-record':
      await drs.deleteRecoveryInstance(item.id);
      return undefined;
    case 'terminate-recovery-instance': {
      const { jobId } = await drs.terminateRecoveryInstances([item.id]);
      return jobId ? `terminate job ${jobId}` : undefined;
    }
    default:
      throw new Error(`cleanup action ${item.action} is never applied automatically`);
  }
}

/**
 * A targeted fresh read of one server's cycle: its forward server and recovery instances (recovery Region);
 * its FAILBACK-direction server and that server's recovery instances, and the remembered failback instance
 * (primary Region). Derived exactly as the lifecycle derives it.
 */
async function rereadServer(
  deps: CleanupDeps,
  record: LifecycleRecord,
): Promise<ServerLifecycle | undefined> {
  const { recovery, primary, policy } = deps;
  const b1 = await recovery.describeSourceServer(record.serverId);
  if (!b1) return undefined;
  const recoveryInstances = await recovery.describeRecoveryInstancesOf(record.serverId);
  const recoveryFacts: RegionFacts = {
    region: policy.recoveryRegion,
    reachable: true,
    sourceServers: [b1],
    recoveryInstances,
    jobs: await jobsOf(recovery, recoveryInstances),
  };
  let primaryFacts: RegionFacts;
  try {
    const a2 = record.ids.a2 ? await primary.describeSourceServer(record.ids.a2) : undefined;
    const ofA2 = a2 ? await primary.describeRecoveryInstancesOf(a2.sourceServerId) : [];
    const a3 =
      record.ids.a3 && !ofA2.some((instance) => instance.recoveryInstanceId === record.ids.a3)
        ? await primary.describeRecoveryInstances([record.ids.a3])
        : [];
    const instances = [...ofA2, ...a3];
    primaryFacts = {
      region: policy.primaryRegion,
      reachable: true,
      sourceServers: a2 ? [a2] : ([] as DrsSourceServer[]),
      recoveryInstances: instances,
      jobs: await jobsOf(primary, instances),
    };
  } catch (error) {
    // As in the sweep: only a Region that does not answer is unreachable; a refusal or a bug propagates.
    if (!isUnreachable(error)) throw error;
    primaryFacts = {
      region: policy.primaryRegion,
      reachable: false,
      error: (error as Error).name,
      sourceServers: [],
      recoveryInstances: [],
      jobs: [],
    };
  }
  const { servers } = deriveLifecycle(
    { primary: primaryFacts, recovery: recoveryFacts },
    new Map([[record.serverId, record]]),
    policy,
    deps.clock(),
  );
  return servers[0];
}

async function jobsOf(drs: RegionDrs, instances: DrsRecoveryInstance[]): Promise<DrsJob[]> {
  const ids = instances.map((instance) => instance.jobId).filter((id): id is string => Boolean(id));
  return ids.length > 0 ? drs.describeJobs(ids) : [];
}
