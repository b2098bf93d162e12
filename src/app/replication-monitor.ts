import { parseScheduledEvent } from '../../events/aws-events/scheduled-event.ts';
import {
  type BusEvent,
  createRefreshBatches,
  createSignal,
  type ReadinessState,
  type ResourceType,
  SERVICE_WORKLOAD,
  type Severity,
  SIGNAL_TYPES,
  type Signal,
  workloadFromTags,
} from '../../events/dr-autopilot/signal.ts';
import { idFromArn } from '../../events/drs/arn.ts';
import { dataReplicationStalledChange } from '../../events/drs/data-replication-stalled-change.ts';
import { formatSeconds } from '../domain/duration.ts';
import { assertOwnEvent } from '../domain/reverse-replication.ts';
import {
  assessRecoveryInstance,
  assessSourceServer,
  type RpoAssessment,
  type RpoPolicy,
  reversalStarted,
} from '../domain/rpo.ts';
import {
  type CurrentFinding,
  detectChanges,
  type FindingChanges,
  findingKey,
  type StoredFinding,
} from '../domain/sweep.ts';
import { oneLine } from '../domain/text.ts';
import type { DrsReader, DrsRecoveryInstance, DrsRecoverySnapshot, DrsSourceServer } from '../ports/drs.ts';
import type { AggregateMetrics, MonitorStateStore, ReplicationMetrics } from '../ports/monitor-state.ts';
import type { BusPublisher, Clock } from '../ports/signals.ts';
import { boundedMap } from './bounded-map.ts';

/**
 * The replication monitor: measured RPO compliance of every DRS server, and "ready to fail back".
 * Input: a scheduled event (full sweep) or a *DRS Source Server Data Replication Stalled Change* (that one
 * server is re-evaluated at once; the next scheduled sweep covers the rest).
 * Steps: list every source server and recovery instance (paginated) → newest point-in-time snapshot per server,
 * with bounded concurrency → assess each against its RPO → detect what changed since the last sweep →
 * metrics (EMF) and per-resource values in the log → signal what changed since the last sweep, plus "ready to
 * fail back" once; on a refresh sweep (the last one `refreshAfterSeconds` ago or longer) refresh every unchanged
 * finding (the readiness publisher turns evidence older than READINESS_STALE_AFTER into UNKNOWN) → store the
 * changed findings, and the refresh sweep's time as one marker item (see `detectChanges`).
 * Output: a summary outcome (never the findings themselves: thousands of them).
 * Read-only towards AWS: it never fails anything over or back, so dry-run changes nothing but the flag on signals.
 */

/** `resources` is the event's: the handler's origin check reads its ARNs' partition. */
export type ReplicationMonitorTrigger =
  | { kind: 'schedule'; id: string; account: string; region: string; resources?: string[] }
  | {
      kind: 'stalled-change';
      id: string;
      account: string;
      region: string;
      resources?: string[];
      sourceServerId: string;
      stalledState: 'STALLED' | 'NOT_STALLED';
    };

/** The two triggers: the schedule rule's event, or DRS's stalled-change event (its own contract). */
export function parseReplicationMonitorEvent(input: unknown): ReplicationMonitorTrigger {
  const source =
    typeof input === 'object' && input !== null ? (input as { source?: unknown }).source : undefined;
  if (source === dataReplicationStalledChange.source) {
    const event = dataReplicationStalledChange.parse(input);
    return {
      kind: 'stalled-change',
      id: event.id,
      account: event.account,
      region: event.region,
      resources: event.resources,
      sourceServerId: idFromArn(event.resources[0] ?? ''),
      stalledState: event.detail.state,
    };
  }
  const event = parseScheduledEvent(input);
  return {
    kind: 'schedule',
    id: event.id,
    account: event.account,
    region: event.region,
    resources: event.resources,
  };
}

export interface ReplicationMonitorPolicy extends RpoPolicy {
  /** This deployment's account and Region: events from elsewhere are rejected (safety rule 5). */
  account: string;
  region: string;
  /** Snapshot queries in flight at once. */
  concurrency: number;
  /**
   * Every unchanged finding is signalled again by the first full sweep this long after the last refresh sweep
   * (seconds; `Infinity`: never), so at least every `refreshAfterSeconds` plus one sweep interval. Keep that
   * below the readiness publisher's READINESS_STALE_AFTER.
   */
  refreshAfterSeconds: number;
}

export interface ReplicationMonitorDeps {
  drs: DrsReader;
  state: MonitorStateStore;
  metrics: ReplicationMetrics;
  /** Signals, and the refreshes as batches (`Replication Status Refreshed`). */
  signals: BusPublisher;
  clock: Clock;
  policy: ReplicationMonitorPolicy;
  dryRun: boolean;
}

export type ReplicationMonitorOutcome =
  | {
      action: 'swept';
      drsInitialized: boolean;
      sourceServers: number;
      recoveryInstances: number;
      byState: Record<ReadinessState, number>;
      overRpo: number;
      /** Events put on the bus: per-resource signals, and refresh batches. */
      signalsPublished: number;
      /** Unchanged findings signalled again (refresh), in `refreshBatches` of the events published. */
      refreshed: number;
      refreshBatches: number;
      readyToFailBack: number;
      removed: number;
    }
  | {
      action: 'server-evaluated';
      sourceServerId: string;
      drsInitialized: boolean;
      state: ReadinessState | 'not-found';
      signalsPublished: number;
      refreshed: number;
      refreshBatches: number;
    };

const RUNBOOK = {
  notReplicating: 'runbook-replication-not-replicating',
  recoveredButUnprotected: 'runbook-recovered-but-unprotected',
  degraded: 'runbook-replication-degraded',
  overRpo: 'runbook-replication-over-rpo',
  unknown: 'runbook-replication-unknown',
  readyToFailBack: 'runbook-ready-to-fail-back',
  drsNotInitialized: 'runbook-drs-not-initialized',
} as const;

const DRS_SERVICE = 'drs-service';
const UNINITIALIZED = 'UninitializedAccountException';

/** DRS was never initialised in this Region: every DRS call answers UninitializedAccountException. */
export function isUninitializedAccount(error: unknown): boolean {
  return error instanceof Error && error.name === UNINITIALIZED;
}

interface Finding extends CurrentFinding {
  arn: string | undefined;
  name: string | undefined;
  /** `undefined` for the drs-service finding. */
  assessment: RpoAssessment | undefined;
  reason: string;
  evidence: Record<string, string | number | boolean | null>;
}

export async function runReplicationMonitor(
  trigger: ReplicationMonitorTrigger,
  deps: ReplicationMonitorDeps,
): Promise<ReplicationMonitorOutcome> {
  assertOwnEvent(trigger, deps.policy);
  return trigger.kind === 'schedule' ? sweepAll(trigger, deps) : evaluateServer(trigger, deps);
}

async function sweepAll(
  trigger: ReplicationMonitorTrigger,
  deps: ReplicationMonitorDeps,
): Promise<ReplicationMonitorOutcome> {
  const now = deps.clock();
  const [previous, listing] = await Promise.all([deps.state.load(), readEverything(deps)]);

  let findings: Finding[];
  let scope: 'all' | Set<string>;
  if (listing === 'uninitialized') {
    findings = [drsServiceFinding(deps, false)];
    scope = new Set(findings.map((finding) => finding.key));
  } else {
    const serverById = new Map(listing.servers.map((server) => [server.sourceServerId, server]));
    findings = [
      drsServiceFinding(deps, true),
      ...listing.servers.map((server, index) =>
        sourceServerFinding(server, listing.snapshots[index], listing.allInstances, deps, now),
      ),
      ...listing.instances.map((instance) =>
        recoveryInstanceFinding(instance, serverById.get(instance.sourceServerId ?? ''), deps, now),
      ),
    ];
    scope = 'all';
  }

  const observedAt = now.toISOString();
  const changes = detectChanges(previous, findings, observedAt, scope, deps.policy.refreshAfterSeconds);
  recordMetrics(findings, deps.metrics, { totals: true, signalled: signalledKeys(changes) });
  const signals = await publishAndStore(changes, trigger, deps, observedAt);

  const assessed = findings.filter((finding) => finding.assessment);
  const byState: Record<ReadinessState, number> = { READY: 0, AT_RISK: 0, NOT_READY: 0, UNKNOWN: 0 };
  for (const finding of assessed) byState[finding.state] += 1;
  return {
    action: 'swept',
    drsInitialized: listing !== 'uninitialized',
    sourceServers: listing === 'uninitialized' ? 0 : listing.servers.length,
    recoveryInstances: listing === 'uninitialized' ? 0 : listing.instances.length,
    byState,
    overRpo: assessed.filter((finding) => finding.assessment?.overRpo).length,
    signalsPublished: signals.length,
    refreshed: changes.refreshed.length,
    refreshBatches: signals.length - perResource(changes),
    readyToFailBack: changes.nowReadyToFailBack.length,
    removed: changes.removed.length,
  };
}

async function evaluateServer(
  trigger: Extract<ReplicationMonitorTrigger, { kind: 'stalled-change' }>,
  deps: ReplicationMonitorDeps,
): Promise<ReplicationMonitorOutcome> {
  const now = deps.clock();
  const { sourceServerId } = trigger;
  const key = findingKey('drs-source-server', sourceServerId);
  const [previous, read] = await Promise.all([
    deps.state.load(),
    uninitializedAsValue(async () => {
      const server = await deps.drs.describeSourceServer(sourceServerId);
      if (!server) return { server, snapshot: undefined, instances: [] };
      // A server can only have failed over if it was launched: only then are its recovery instances read.
      const [snapshot, instances] = await Promise.all([
        deps.drs.newestRecoverySnapshot(sourceServerId),
        mayHaveFailedOver(server) ? deps.drs.describeRecoveryInstancesOf(sourceServerId) : [],
      ]);
      return { server, snapshot, instances };
    }),
  ]);

  const findings: Finding[] = [];
  if (read === 'uninitialized') findings.push(drsServiceFinding(deps, false));
  else if (read.server) {
    findings.push(sourceServerFinding(read.server, read.snapshot, read.instances, deps, now));
  }
  const observedAt = now.toISOString();
  const scope = new Set([key, ...findings.map((finding) => finding.key)]);
  const changes = detectChanges(
    previous,
    findings,
    observedAt,
    read === 'uninitialized' ? new Set() : scope,
    deps.policy.refreshAfterSeconds,
  );
  recordMetrics(findings, deps.metrics, { totals: false, signalled: signalledKeys(changes) });
  const signals = await publishAndStore(changes, trigger, deps, observedAt);
  return {
    action: 'server-evaluated',
    sourceServerId,
    drsInitialized: read !== 'uninitialized',
    state: read === 'uninitialized' || !read.server ? 'not-found' : (findings[0]?.state ?? 'not-found'),
    signalsPublished: signals.length,
    refreshed: changes.refreshed.length,
    refreshBatches: signals.length - perResource(changes),
  };
}

/**
 * Everything one run puts on the bus, for one batched publish: a signal per change, the refreshes (the same
 * state and reason code as the change that was signalled, measured and observed now) packed into as few
 * `Replication Status Refreshed` batches as their bounds allow (one per workload, or more for a big one: see
 * `createRefreshBatches`), a signal per resource now ready to fail back (once, never refreshed), a signal per
 * removal.
 */
function signalsOf(
  changes: FindingChanges<Finding>,
  trigger: ReplicationMonitorTrigger,
  deps: ReplicationMonitorDeps,
  observedAt: string,
): BusEvent[] {
  return [
    ...changes.changed.map(({ finding, previous }) =>
      statusSignal(finding, { kind: 'change', previous }, trigger, deps, observedAt),
    ),
    ...createRefreshBatches(
      changes.refreshed.map(({ finding, previous }) =>
        statusSignal(finding, { kind: 'refresh', stored: previous }, trigger, deps, observedAt),
      ),
    ),
    ...changes.nowReadyToFailBack.map((finding) => readyToFailBackSignal(finding, trigger, deps, observedAt)),
    ...changes.removed.map((stored) => removedSignal(stored, trigger, deps, observedAt)),
  ];
}

/**
 * Publishes a run's signals, then stores what changed and, after a refresh sweep, the refresh marker: in that
 * order, so a failed publish stores nothing (the next sweep signals the changes again, and finds the marker
 * where it was, so it refreshes again). A failed store after a successful publish signals some things twice at
 * worst: a marker that was not written makes the next full sweep a refresh sweep again, one refresh too many.
 */
async function publishAndStore(
  changes: FindingChanges<Finding>,
  trigger: ReplicationMonitorTrigger,
  deps: ReplicationMonitorDeps,
  observedAt: string,
): Promise<BusEvent[]> {
  const signals = signalsOf(changes, trigger, deps, observedAt);
  await deps.signals.publish(signals);
  await deps.state.save({ put: changes.toStore, delete: changes.toDelete, refreshedAt: changes.refreshedAt });
  return signals;
}

/** The per-resource signals of a run (all but the refresh batches). */
function perResource(changes: FindingChanges<Finding>): number {
  return changes.changed.length + changes.nowReadyToFailBack.length + changes.removed.length;
}

interface Listing {
  servers: DrsSourceServer[];
  snapshots: (DrsRecoverySnapshot | undefined)[];
  /** Recovery instances whose replication was reversed: assessed on their own. */
  instances: DrsRecoveryInstance[];
  /** Every recovery instance: tells which source servers failed over. */
  allInstances: DrsRecoveryInstance[];
}

/** Lists every server and instance, then one snapshot query per server, `concurrency` at a time. */
async function readEverything(deps: ReplicationMonitorDeps): Promise<Listing | 'uninitialized'> {
  return uninitializedAsValue(async () => {
    const [servers, allInstances] = await Promise.all([
      collect(deps.drs.listSourceServers()),
      collect(deps.drs.listRecoveryInstances()),
    ]);
    const snapshots = await boundedMap(servers, deps.policy.concurrency, (server) =>
      deps.drs.newestRecoverySnapshot(server.sourceServerId),
    );
    // Only recovery instances whose replication was reversed replicate and are assessed on their own; every
    // instance tells which source servers failed over (an unprotected one makes its server NOT_READY).
    const instances = allInstances.filter(reversalStarted);
    return { servers, snapshots, instances, allInstances };
  });
}

/**
 * Whether a server could have failed over (and its recovery instances must be read to judge it): a
 * failover-direction server that DRS associates with a recovery instance or that was ever launched.
 */
function mayHaveFailedOver(server: DrsSourceServer): boolean {
  return (
    server.replicationDirection === 'FAILOVER' &&
    (server.recoveryInstanceId !== undefined || server.lastLaunchType !== undefined)
  );
}

async function uninitializedAsValue<T>(read: () => Promise<T>): Promise<T | 'uninitialized'> {
  try {
    return await read();
  } catch (error) {
    if (isUninitializedAccount(error)) return 'uninitialized';
    throw error;
  }
}

async function collect<T>(pages: AsyncIterable<T[]>): Promise<T[]> {
  const items: T[] = [];
  for await (const page of pages) items.push(...page);
  return items;
}

/**
 * A source server, judged by its own replication, or, once it failed over, by the reversed replication of its
 * recovery instance (see `assessSourceServer`); its own replication then stays in the evidence.
 */
function sourceServerFinding(
  server: DrsSourceServer,
  snapshot: DrsRecoverySnapshot | undefined,
  instances: readonly DrsRecoveryInstance[],
  deps: ReplicationMonitorDeps,
  now: Date,
): Finding {
  const assessment = assessSourceServer(
    { ...server, newestSnapshotAt: snapshot ? snapshot.timestamp || snapshot.expectedTimestamp : undefined },
    instances,
    deps.policy,
    now,
  );
  const failedOver = assessment.failedOver;
  return assessedFinding('drs-source-server', server.sourceServerId, server.arn, server.hostname, server, {
    assessment,
    workload: workloadFromTags(server.tags),
    deps,
    extra: {
      replicationDirection: server.replicationDirection ?? null,
      newestSnapshotId: snapshot?.snapshotId ?? null,
      stagingAccountId: server.stagingAccountId ?? null,
      ...(failedOver
        ? {
            failedOverTo: failedOver.recoveryInstanceId,
            reversedReplicationState: failedOver.reversedReplicationState ?? null,
            reversedDirectionSourceServerArn: server.reversedDirectionSourceServerArn ?? null,
            ownState: failedOver.own.state,
            ownReasonCode: failedOver.own.reasonCode,
            ownReason: failedOver.own.reason,
            ownLagSeconds: failedOver.own.lagSeconds ?? null,
            ownSnapshotAgeSeconds: failedOver.own.snapshotAgeSeconds ?? null,
            ownExposureSeconds: failedOver.own.exposureSeconds ?? null,
          }
        : {}),
    },
  });
}

/** A recovery instance whose replication was reversed (see `assessRecoveryInstance` for its direction). */
function recoveryInstanceFinding(
  instance: DrsRecoveryInstance,
  sourceServer: DrsSourceServer | undefined,
  deps: ReplicationMonitorDeps,
  now: Date,
): Finding {
  const tags = { ...sourceServer?.tags, ...instance.tags };
  const assessment = assessRecoveryInstance(instance, sourceServer, deps.policy, now);
  return assessedFinding(
    'drs-recovery-instance',
    instance.recoveryInstanceId,
    instance.arn,
    sourceServer?.hostname,
    instance,
    {
      assessment,
      workload: workloadFromTags(tags),
      deps,
      extra: {
        sourceServerId: instance.sourceServerId ?? null,
        isDrill: instance.isDrill ?? null,
        failbackState: instance.failbackState ?? null,
      },
    },
  );
}

function assessedFinding(
  resourceType: 'drs-source-server' | 'drs-recovery-instance',
  resourceId: string,
  arn: string | undefined,
  name: string | undefined,
  raw: {
    dataReplicationState?: string | undefined;
    lagDuration?: string | undefined;
    dataReplicationError?: string | undefined;
  },
  options: {
    assessment: RpoAssessment;
    workload: string;
    deps: ReplicationMonitorDeps;
    extra: Record<string, string | number | boolean | null>;
  },
): Finding {
  const { assessment } = options;
  const kind = resourceType === 'drs-source-server' ? 'source-server' : 'recovery-instance';
  return {
    key: findingKey(resourceType, resourceId),
    resourceType,
    resourceId,
    workload: options.workload,
    state: assessment.state,
    reasonCode: assessment.reasonCode,
    readyToFailBack: assessment.readyToFailBack,
    arn:
      arn ?? `arn:aws:drs:${options.deps.policy.region}:${options.deps.policy.account}:${kind}/${resourceId}`,
    name,
    assessment,
    reason: assessment.reason,
    evidence: {
      dataReplicationState: raw.dataReplicationState ?? null,
      lagDuration: raw.lagDuration ?? null,
      dataReplicationError: raw.dataReplicationError ?? null,
      lagSeconds: assessment.lagSeconds ?? null,
      snapshotAgeSeconds: assessment.snapshotAgeSeconds ?? null,
      exposureSeconds: assessment.exposureSeconds ?? null,
      backlogBytes: assessment.backlogBytes,
      rpoSeconds: assessment.rpoSeconds,
      rpoSource: assessment.rpoSource,
      invalidRpoTag: assessment.invalidRpoTag ?? null,
      overRpo: assessment.overRpo,
      direction: assessment.direction,
      reasonCode: assessment.reasonCode,
      ...options.extra,
    },
  };
}

/**
 * The DRS service itself in this deployment's Region: a check of the deployment, not of a user's workload, so
 * it goes to the reserved workload {@link SERVICE_WORKLOAD} (before, it went to `default`, among untagged
 * servers; the readiness sweep retires what is left of it there).
 */
function drsServiceFinding(deps: ReplicationMonitorDeps, initialized: boolean): Finding {
  const { region } = deps.policy;
  return {
    key: findingKey(DRS_SERVICE, region),
    resourceType: DRS_SERVICE,
    resourceId: region,
    workload: SERVICE_WORKLOAD,
    state: initialized ? 'READY' : 'NOT_READY',
    reasonCode: initialized ? 'drs-initialized' : 'drs-not-initialized',
    readyToFailBack: false,
    arn: undefined,
    name: 'AWS Elastic Disaster Recovery',
    assessment: undefined,
    reason: initialized ? `DRS initialised and answering in ${region}` : `DRS not initialised in ${region}`,
    evidence: { initialized },
  };
}

/** The findings this run signals about: changed, refreshed, or now ready to fail back. */
function signalledKeys(changes: FindingChanges<Finding>): Set<string> {
  return new Set([
    ...changes.changed.map(({ finding }) => finding.key),
    ...changes.refreshed.map(({ finding }) => finding.key),
    ...changes.nowReadyToFailBack.map((finding) => finding.key),
  ]);
}

/**
 * Per-resource metrics (series only when opted in, see the adapter); per-workload and deployment totals only on
 * a full sweep (a partial view would lie). Per-resource values go to the log for every resource that is not
 * READY and every resource signalled this run: so each resource at least once per refresh window
 * (MONITOR_REFRESH_AFTER), and a resource in trouble on every sweep, while a healthy fleet between refreshes
 * writes nothing per resource.
 */
function recordMetrics(
  findings: readonly Finding[],
  metrics: ReplicationMetrics,
  options: { totals: boolean; signalled: ReadonlySet<string> },
): void {
  const byWorkload = new Map<string, AggregateMetrics>();
  const all: AggregateMetrics = {
    worstExposureSeconds: undefined,
    overRpoCount: 0,
    resourceCount: 0,
    unprotectedCount: 0,
  };
  for (const finding of findings) {
    const { assessment } = finding;
    if (!assessment) continue;
    metrics.recordResource({
      resourceId: finding.resourceId,
      workload: finding.workload,
      lagSeconds: assessment.lagSeconds,
      exposureSeconds: assessment.exposureSeconds,
      backlogBytes: assessment.backlogBytes,
    });
    if (finding.state !== 'READY' || assessment.overRpo || options.signalled.has(finding.key)) {
      metrics.recordResourceDetail({
        resourceId: finding.resourceId,
        workload: finding.workload,
        state: finding.state,
        lagSeconds: assessment.lagSeconds,
        exposureSeconds: assessment.exposureSeconds,
        backlogBytes: assessment.backlogBytes,
        rpoSeconds: assessment.rpoSeconds,
      });
    }
    const workload = byWorkload.get(finding.workload) ?? {
      worstExposureSeconds: undefined,
      overRpoCount: 0,
      resourceCount: 0,
      unprotectedCount: 0,
    };
    for (const aggregate of [workload, all]) {
      aggregate.resourceCount += 1;
      if (assessment.overRpo) aggregate.overRpoCount += 1;
      if (finding.state === 'NOT_READY') aggregate.unprotectedCount += 1;
      if (assessment.exposureSeconds !== undefined) {
        aggregate.worstExposureSeconds = Math.max(
          aggregate.worstExposureSeconds ?? 0,
          assessment.exposureSeconds,
        );
      }
    }
    byWorkload.set(finding.workload, workload);
  }
  if (options.totals) {
    for (const [workload, aggregate] of byWorkload) metrics.recordWorkload(workload, aggregate);
    metrics.recordDeployment(all);
  }
  metrics.flush();
}

const SEVERITY: Record<ReadinessState, Severity> = {
  READY: 'info',
  AT_RISK: 'warning',
  NOT_READY: 'critical',
  UNKNOWN: 'warning',
};

function resourceOf(
  finding: Pick<Finding, 'resourceType' | 'resourceId' | 'arn' | 'name'>,
  deps: ReplicationMonitorDeps,
) {
  return {
    type: finding.resourceType,
    id: finding.resourceId,
    ...(finding.arn ? { arn: finding.arn } : {}),
    region: deps.policy.region,
    account: deps.policy.account,
    ...(finding.name ? { name: finding.name } : {}),
  };
}

function labelOf(finding: {
  resourceType: ResourceType;
  resourceId: string;
  name?: string | undefined;
}): string {
  if (finding.resourceType === DRS_SERVICE) return `DRS service in ${finding.resourceId}`;
  const what = finding.resourceType === 'drs-source-server' ? 'source server' : 'recovery instance';
  return `${what} ${finding.resourceId}${finding.name ? ` (${finding.name})` : ''}`;
}

function nextStepOf(finding: Finding, region: string): { nextStep: string; runbook?: string } {
  const where = `DRS console in ${region}`;
  switch (finding.reasonCode) {
    case 'within-rpo':
      return { nextStep: 'Nothing: replication is continuous and within its RPO.' };
    case 'failed-over-unprotected': {
      const instance = finding.assessment?.failedOver?.recoveryInstanceId ?? 'its recovery instance';
      return {
        nextStep: `${finding.resourceId} failed over to ${instance}, which nothing replicates: start reversed replication of ${instance} (${where}, Recovery instances, Start reversed replication) once it can reach the origin Region.`,
        runbook: RUNBOOK.recoveredButUnprotected,
      };
    }
    case 'failed-over-reversed': {
      const failedOver = finding.assessment?.failedOver;
      const instance = failedOver?.recoveryInstanceId ?? 'its recovery instance';
      if (finding.state === 'READY') {
        return {
          nextStep: `Nothing: ${finding.resourceId} failed over to ${instance}, whose reversed replication is continuous and within its RPO.`,
        };
      }
      const forInstance = nextStepOf(
        { ...finding, resourceId: instance, reasonCode: failedOver?.reversedReasonCode ?? 'degraded' },
        region,
      );
      return {
        ...forInstance,
        nextStep: `${finding.resourceId} failed over to ${instance}; its reversed replication is what protects the workload. ${forInstance.nextStep}`,
      };
    }
    case 'drs-initialized':
      return { nextStep: `Nothing: DRS answers in ${finding.resourceId}.` };
    case 'drs-not-initialized':
      return {
        nextStep: `DRS is not initialised in ${finding.resourceId}, so nothing can replicate, be recovered or be reversed into there: initialise AWS Elastic Disaster Recovery in ${finding.resourceId} (DRS console, Settings).`,
        runbook: RUNBOOK.drsNotInitialized,
      };
    case 'over-rpo':
      return {
        nextStep: `Open ${finding.resourceId} in the ${where}: check replication bandwidth, the staging area and the point-in-time policy; or revise its dr-autopilot:rpo tag.`,
        runbook: RUNBOOK.overRpo,
      };
    case 'not-replicating':
    case 'initial-sync':
      return {
        nextStep: `Open ${finding.resourceId} in the ${where}: fix the data replication error it shows (agent, network to the replication server, staging area), or start replication again.`,
        runbook: RUNBOOK.notReplicating,
      };
    case 'state-unknown':
    case 'exposure-unknown':
      return {
        nextStep: `Open ${finding.resourceId} in the ${where} and check its data replication status.`,
        runbook: RUNBOOK.unknown,
      };
    default:
      return {
        nextStep: `Watch ${finding.resourceId} in the ${where}: it should return to continuous replication by itself; act if it does not within its RPO.`,
        runbook: RUNBOOK.degraded,
      };
  }
}

/**
 * A `Replication Status Changed` signal: on a change (what was stored before, if anything), or a refresh of an
 * unchanged finding (what is stored: the same state and reason since `stored.since`). Both carry the current
 * assessment; a refresh says so in its evidence (`refresh: true`) and names no previous state.
 */
function statusSignal(
  finding: Finding,
  basis: { kind: 'change'; previous: StoredFinding | undefined } | { kind: 'refresh'; stored: StoredFinding },
  trigger: ReplicationMonitorTrigger,
  deps: ReplicationMonitorDeps,
  observedAt: string,
): Signal {
  const previous = basis.kind === 'change' ? basis.previous : undefined;
  const was =
    basis.kind === 'refresh'
      ? ` (unchanged since ${basis.stored.since})`
      : previous
        ? ` (was ${previous.state} since ${previous.since})`
        : '';
  return createSignal({
    type: SIGNAL_TYPES.replicationStatusChanged,
    resource: resourceOf(finding, deps),
    workload: finding.workload,
    observedAt,
    severity: SEVERITY[finding.state],
    summary: oneLine(`${labelOf(finding)} ${finding.state}: ${finding.reason}${was}`, 500),
    assessment: {
      state: finding.state,
      // The service's reason names its Region already (`DRS not initialised in us-west-2`).
      reason: oneLine(
        finding.resourceType === DRS_SERVICE ? finding.reason : `${finding.resourceId}: ${finding.reason}`,
        120,
      ),
      ...nextStepOf(finding, deps.policy.region),
    },
    evidence: {
      ...finding.evidence,
      previousState: previous?.state ?? null,
      previousSince: previous?.since ?? null,
      refresh: basis.kind === 'refresh',
      stateSince: basis.kind === 'refresh' ? basis.stored.since : observedAt,
      trigger: trigger.kind,
    },
    dryRun: deps.dryRun,
    correlationId: trigger.id,
  });
}

function readyToFailBackSignal(
  finding: Finding,
  trigger: ReplicationMonitorTrigger,
  deps: ReplicationMonitorDeps,
  observedAt: string,
): Signal {
  const exposure = finding.assessment?.exposureSeconds;
  return createSignal({
    type: SIGNAL_TYPES.readyToFailBack,
    resource: resourceOf(finding, deps),
    workload: finding.workload,
    observedAt,
    severity: 'info',
    summary: oneLine(
      `${labelOf(finding)} is ready to fail back: reversed replication is continuous, exposure ${exposure === undefined ? 'unknown' : formatSeconds(exposure)} within RPO ${formatSeconds(finding.assessment?.rpoSeconds ?? 0)}. dr-autopilot never fails back by itself.`,
      500,
    ),
    assessment: {
      state: 'READY',
      reason: oneLine(`${finding.resourceId} ready to fail back`, 120),
      nextStep:
        'When you decide to fail back, follow the DRS cross-Region failback procedure (Launch for failback from the failback-direction source server in the origin Region). dr-autopilot will not do it.',
      runbook: RUNBOOK.readyToFailBack,
    },
    evidence: { ...finding.evidence, trigger: trigger.kind },
    dryRun: deps.dryRun,
    correlationId: trigger.id,
  });
}

/** A resource DRS no longer lists: evidence only (no assessment), and the monitor forgets it. */
function removedSignal(
  stored: StoredFinding,
  trigger: ReplicationMonitorTrigger,
  deps: ReplicationMonitorDeps,
  observedAt: string,
): Signal {
  return createSignal({
    type: SIGNAL_TYPES.replicationStatusChanged,
    resource: resourceOf({ ...stored, arn: undefined, name: undefined }, deps),
    workload: stored.workload,
    observedAt,
    severity: 'warning',
    summary: oneLine(
      `${labelOf(stored)} is no longer listed by DRS (was ${stored.state} since ${stored.since}): it is no longer monitored`,
      500,
    ),
    evidence: {
      removed: true,
      previousState: stored.state,
      previousSince: stored.since,
      reasonCode: stored.reasonCode,
      trigger: trigger.kind,
    },
    dryRun: deps.dryRun,
    correlationId: trigger.id,
  });
}
