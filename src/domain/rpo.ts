import { type ReadinessState, RPO_TAG } from '../../events/dr-autopilot/signal.ts';
import { formatSeconds, parseIsoDuration, parseLag } from './duration.ts';
import { reversalPending } from './reverse-replication.ts';

/**
 * The RPO decision for one replicating DRS resource (a source server, or a recovery instance whose replication
 * was reversed). Pure: facts, policy and the sweep's time in; an assessment out.
 *
 * Measured exposure is the age of the newest data a recovery could use: the larger of `lagDuration` (time since
 * the server was last in continuous replication) and the age of the newest point-in-time snapshot. The two are
 * not added: while replication is stalled both grow from the same moment, and adding them would count the stall
 * twice. Backlog, a replication error, and any state other than CONTINUOUS are degradations on their own.
 *
 * Every `dataReplicationState` of the DRS model (2020-02-26), and what it means for readiness:
 *
 * | state | readiness | why |
 * |---|---|---|
 * | CONTINUOUS | READY, or AT_RISK when exposure > RPO, backlog > tolerance, or a replication error | the only healthy state |
 * | BACKLOG, CREATING_SNAPSHOT, RESCAN | AT_RISK | degraded but still replicating |
 * | INITIATING, INITIAL_SYNC | AT_RISK with a snapshot to recover to, else NOT_READY | nothing to recover to until the first sync completes |
 * | PAUSED, STALLED, DISCONNECTED, STOPPED, NOT_STARTED | NOT_READY | not replicating: exposure grows without bound |
 * | REPLICATION_STATE_NOT_AVAILABLE, absent, or a state this code does not know | UNKNOWN | DRS cannot tell |
 *
 * A failover-direction source server that **failed over** is not judged by its own replication: see
 * {@link assessSourceServer}.
 */

export const DEGRADED_STATES = ['BACKLOG', 'CREATING_SNAPSHOT', 'RESCAN'] as const;
export const SYNCING_STATES = ['INITIATING', 'INITIAL_SYNC'] as const;
export const NOT_REPLICATING_STATES = [
  'PAUSED',
  'STALLED',
  'DISCONNECTED',
  'STOPPED',
  'NOT_STARTED',
] as const;
export const UNKNOWN_STATES = ['REPLICATION_STATE_NOT_AVAILABLE'] as const;
/** Every `dataReplicationState` value of the DRS model, for tables of cases. */
export const DATA_REPLICATION_STATES = [
  'CONTINUOUS',
  ...DEGRADED_STATES,
  ...SYNCING_STATES,
  ...NOT_REPLICATING_STATES,
  ...UNKNOWN_STATES,
] as const;

/** `failover`: protects production in the recovery Region. `failback`: replicates back towards the origin. */
export type ReplicationDirection = 'failover' | 'failback';

export interface ReplicationFacts {
  /** The resource's tags: `dr-autopilot:rpo` sets its RPO. */
  tags: Record<string, string>;
  direction: ReplicationDirection;
  dataReplicationState: string | undefined;
  /** ISO-8601 duration as DRS reports it (`P0D`, `PT5M`, `P1DT2H`); unparseable values count as unknown. */
  lagDuration: string | undefined;
  replicatedDisks: readonly { backloggedStorageBytes?: number | undefined }[];
  dataReplicationError: string | undefined;
  /** When the newest point-in-time snapshot was taken (ISO-8601); `undefined` when there is none or it was not queried. */
  newestSnapshotAt: string | undefined;
}

export interface RpoPolicy {
  /** `DEFAULT_RPO`, for resources without a valid `dr-autopilot:rpo` tag. */
  defaultRpoSeconds: number;
  /** Backlog a CONTINUOUS server may carry before it counts as degraded (0: any backlog). */
  backlogToleranceBytes: number;
}

export type RpoReasonCode =
  | 'within-rpo'
  | 'over-rpo'
  | 'backlog'
  | 'replication-error'
  | 'degraded'
  | 'initial-sync'
  | 'not-replicating'
  | 'state-unknown'
  | 'exposure-unknown'
  /** A failed-over source server whose recovery instance's reversed replication protects the workload. */
  | 'failed-over-reversed'
  /** A failed-over source server whose recovery instance has no reversed replication yet. */
  | 'failed-over-unprotected';

/** Why a failover-direction source server is judged by its recovery instance (see {@link assessSourceServer}). */
export interface FailedOver {
  recoveryInstanceId: string;
  /** The recovery instance's `dataReplicationState`: `NOT_STARTED` or `undefined` while not reversed. */
  reversedReplicationState: string | undefined;
  /** Whether reversed replication of the recovery instance has started (it protects the workload). */
  reversed: boolean;
  /** The recovery instance's own reason code, when reversed (its own finding carries the same verdict). */
  reversedReasonCode: RpoReasonCode | undefined;
  /** The source server's own verdict (its replication from the lost origin): evidence only. */
  own: Pick<
    RpoAssessment,
    'state' | 'reasonCode' | 'reason' | 'lagSeconds' | 'snapshotAgeSeconds' | 'exposureSeconds' | 'overRpo'
  >;
}

export interface RpoAssessment {
  state: ReadinessState;
  reasonCode: RpoReasonCode;
  /** One short line, without the resource's id (the caller names the resource). */
  reason: string;
  rpoSeconds: number;
  rpoSource: 'tag' | 'default';
  /** The tag's value when it was present but not a positive ISO-8601 duration (the default applies). */
  invalidRpoTag: string | undefined;
  lagSeconds: number | undefined;
  snapshotAgeSeconds: number | undefined;
  backlogBytes: number;
  exposureSeconds: number | undefined;
  overRpo: boolean;
  direction: ReplicationDirection;
  /** Reversed direction, continuous, within its RPO: people may fail back. dr-autopilot never does. */
  readyToFailBack: boolean;
  /** Set when a failover-direction source server failed over: its verdict is its recovery instance's. */
  failedOver: FailedOver | undefined;
}

/**
 * The smallest RPO a DRS server can meet: DRS keeps a point-in-time snapshot every 10 minutes (the first hour's
 * points in time), so the newest one is up to 10 minutes old, and the monitor sees it up to a sweep later. An
 * RPO tag below this could never be met and would keep the server AT_RISK: it is refused, and the default applies.
 */
export const DRS_MIN_RPO_SECONDS = 12 * 60;

/**
 * The RPO of a resource: its `dr-autopilot:rpo` tag when that is an ISO-8601 duration of at least
 * {@link DRS_MIN_RPO_SECONDS}, else the default (and `invalidRpoTag` says which tag was refused, and why).
 */
export function rpoOf(
  tags: Record<string, string>,
  defaultRpoSeconds: number,
): {
  rpoSeconds: number;
  rpoSource: 'tag' | 'default';
  invalidRpoTag: string | undefined;
  invalidRpoReason?: string | undefined;
} {
  const tag = tags[RPO_TAG];
  if (tag === undefined)
    return { rpoSeconds: defaultRpoSeconds, rpoSource: 'default', invalidRpoTag: undefined };
  const seconds = parseIsoDuration(tag);
  if (seconds === undefined || seconds <= 0) {
    return {
      rpoSeconds: defaultRpoSeconds,
      rpoSource: 'default',
      invalidRpoTag: tag,
      invalidRpoReason: 'not an ISO-8601 duration such as PT15M',
    };
  }
  if (seconds < DRS_MIN_RPO_SECONDS) {
    return {
      rpoSeconds: defaultRpoSeconds,
      rpoSource: 'default',
      invalidRpoTag: tag,
      invalidRpoReason: `below the ${formatSeconds(DRS_MIN_RPO_SECONDS)} DRS can meet (a snapshot every 10m)`,
    };
  }
  return { rpoSeconds: seconds, rpoSource: 'tag', invalidRpoTag: undefined };
}

/** Total `backloggedStorageBytes` over the replicated disks (absent counts as 0). */
export function totalBacklogBytes(disks: ReplicationFacts['replicatedDisks']): number {
  return disks.reduce((sum, disk) => sum + Math.max(0, disk.backloggedStorageBytes ?? 0), 0);
}

/** Seconds between a snapshot's timestamp and `now` (never negative: clocks differ); `undefined` if unreadable. */
export function snapshotAgeSeconds(timestamp: string | undefined, now: Date): number | undefined {
  if (!timestamp) return undefined;
  const taken = Date.parse(timestamp);
  if (Number.isNaN(taken)) return undefined;
  return Math.max(0, Math.round((now.getTime() - taken) / 1000));
}

/** Assesses one resource's replication against its RPO (see the table above). */
export function assessReplication(facts: ReplicationFacts, policy: RpoPolicy, now: Date): RpoAssessment {
  const rpo = rpoOf(facts.tags, policy.defaultRpoSeconds);
  const lagSeconds = parseLag(facts.lagDuration, now);
  const snapshotAge = snapshotAgeSeconds(facts.newestSnapshotAt, now);
  const backlogBytes = totalBacklogBytes(facts.replicatedDisks);
  const known = [lagSeconds, snapshotAge].filter((value): value is number => value !== undefined);
  const exposureSeconds = known.length > 0 ? Math.max(...known) : undefined;
  const overRpo = exposureSeconds !== undefined && exposureSeconds > rpo.rpoSeconds;
  const state = facts.dataReplicationState;
  const error = facts.dataReplicationError;
  const exposureText =
    exposureSeconds === undefined
      ? `exposure unknown, RPO ${formatSeconds(rpo.rpoSeconds)}`
      : `exposure ${formatSeconds(exposureSeconds)} ${overRpo ? '>' : '<='} RPO ${formatSeconds(rpo.rpoSeconds)}`;
  const withError = error ? ` (${error})` : '';
  const refusedTag =
    rpo.invalidRpoTag === undefined
      ? ''
      : `; ${RPO_TAG} ${JSON.stringify(rpo.invalidRpoTag)} ignored: ${rpo.invalidRpoReason}`;

  const verdict = (readiness: ReadinessState, reasonCode: RpoReasonCode, reason: string): RpoAssessment => ({
    state: readiness,
    reasonCode,
    reason: `${reason}${refusedTag}`,
    ...rpo,
    lagSeconds,
    snapshotAgeSeconds: snapshotAge,
    backlogBytes,
    exposureSeconds,
    overRpo,
    direction: facts.direction,
    readyToFailBack: facts.direction === 'failback' && readiness === 'READY',
    failedOver: undefined,
  });

  if (state === 'CONTINUOUS') {
    if (error) return verdict('AT_RISK', 'replication-error', `replication error ${error}, ${exposureText}`);
    if (exposureSeconds === undefined) {
      return verdict('UNKNOWN', 'exposure-unknown', `continuous but lag and snapshot age unknown`);
    }
    if (overRpo) return verdict('AT_RISK', 'over-rpo', exposureText);
    if (backlogBytes > policy.backlogToleranceBytes) {
      return verdict('AT_RISK', 'backlog', `backlog ${backlogBytes} bytes, ${exposureText}`);
    }
    return verdict('READY', 'within-rpo', `continuous, ${exposureText}`);
  }
  if (includes(DEGRADED_STATES, state)) {
    return verdict('AT_RISK', 'degraded', `replication ${state}${withError}, ${exposureText}`);
  }
  if (includes(SYNCING_STATES, state)) {
    return snapshotAge === undefined
      ? verdict('NOT_READY', 'initial-sync', `replication ${state}${withError}: no recovery point yet`)
      : verdict('AT_RISK', 'degraded', `replication ${state}${withError}, ${exposureText}`);
  }
  if (includes(NOT_REPLICATING_STATES, state)) {
    return verdict('NOT_READY', 'not-replicating', `replication ${state}${withError}, ${exposureText}`);
  }
  return verdict('UNKNOWN', 'state-unknown', `replication state ${state ?? 'not reported'}${withError}`);
}

/** What the failed-over decision reads of a source server (the DRS fields, verbatim). */
export interface SourceServerReplicationFacts {
  sourceServerId: string;
  tags: Record<string, string>;
  dataReplicationState?: string | undefined;
  lagDuration?: string | undefined;
  replicatedDisks: readonly { backloggedStorageBytes?: number | undefined }[];
  dataReplicationError?: string | undefined;
  /** When the newest point-in-time snapshot was taken (ISO-8601); `undefined` when there is none. */
  newestSnapshotAt?: string | undefined;
  /** `FAILOVER`, `FAILBACK`, or absent (not EC2-originated), as DRS reports it. */
  replicationDirection?: string | undefined;
  /** The recovery instance DRS associates with the server (the newest launch, drill or recovery). */
  recoveryInstanceId?: string | undefined;
}

/** What the monitor reads of a recovery instance (the DRS fields, verbatim). */
export interface RecoveryInstanceReplicationFacts {
  recoveryInstanceId: string;
  sourceServerId?: string | undefined;
  isDrill?: boolean | undefined;
  /** `PENDING|RUNNING|STOPPING|STOPPED|SHUTTING-DOWN|TERMINATED|NOT_FOUND`. */
  ec2InstanceState?: string | undefined;
  tags: Record<string, string>;
  dataReplicationState?: string | undefined;
  lagDuration?: string | undefined;
  replicatedDisks: readonly { backloggedStorageBytes?: number | undefined }[];
  dataReplicationError?: string | undefined;
  /** `failback.state`: FAILBACK_IN_PROGRESS / READY_FOR_LAUNCH mean the reversal is under way. */
  failbackState?: string | undefined;
}

/** Recovery instances whose EC2 instance is gone: they protect nothing and run nothing. */
export const GONE_INSTANCE_STATES = ['TERMINATED', 'NOT_FOUND'] as const;

/**
 * Whether reversed replication of a recovery instance has started: its replication left `NOT_STARTED`, or its
 * failback state says a reversal is under way. One definition for the monitor, the lifecycle and the reversal
 * decision ({@link reversalPending} is its negation).
 */
export function reversalStarted(
  instance: Pick<RecoveryInstanceReplicationFacts, 'dataReplicationState' | 'failbackState'>,
): boolean {
  return !reversalPending(instance);
}

/**
 * A recovery instance replicates back towards the Region of its source server. When that source server is itself
 * a failback-direction server (the instance was launched for failback), its replication re-protects the origin:
 * failover direction again. Otherwise it is the failback direction. Its tags override its source server's. Its
 * snapshots belong to the source server in the other Region, so exposure is its lag alone.
 */
export function assessRecoveryInstance(
  instance: RecoveryInstanceReplicationFacts,
  sourceServer: { replicationDirection?: string | undefined; tags: Record<string, string> } | undefined,
  policy: RpoPolicy,
  now: Date,
): RpoAssessment {
  return assessReplication(
    {
      tags: { ...sourceServer?.tags, ...instance.tags },
      direction: sourceServer?.replicationDirection === 'FAILBACK' ? 'failover' : 'failback',
      dataReplicationState: instance.dataReplicationState,
      lagDuration: instance.lagDuration,
      replicatedDisks: instance.replicatedDisks,
      dataReplicationError: instance.dataReplicationError,
      newestSnapshotAt: undefined,
    },
    policy,
    now,
  );
}

/**
 * The recovery instance a source server failed over to, if it did: the server is failover-direction
 * (`replicationDirection: FAILOVER`), and a recovery instance of it is a real recovery (`isDrill === false`: a
 * drill, or an instance whose drill flag is not reported, does not fail anything over) whose EC2 instance is not
 * gone (`ec2InstanceState` not TERMINATED/NOT_FOUND). It is the instance the server names
 * (`recoveryInstanceId`), or else one whose `sourceServerId` is the server; among several, one whose reversed
 * replication started first, then the lowest ID (stable from one sweep to the next).
 */
export function failedOverInstance<I extends RecoveryInstanceReplicationFacts>(
  server: Pick<
    SourceServerReplicationFacts,
    'sourceServerId' | 'replicationDirection' | 'recoveryInstanceId'
  >,
  instances: readonly I[],
): I | undefined {
  if (server.replicationDirection !== 'FAILOVER') return undefined;
  const candidates = instances
    .filter(
      (instance) =>
        (instance.recoveryInstanceId === server.recoveryInstanceId ||
          instance.sourceServerId === server.sourceServerId) &&
        instance.isDrill === false &&
        !includes(GONE_INSTANCE_STATES, instance.ec2InstanceState),
    )
    .sort(
      (a, b) =>
        rank(a, server.recoveryInstanceId) - rank(b, server.recoveryInstanceId) ||
        a.recoveryInstanceId.localeCompare(b.recoveryInstanceId),
    );
  return candidates[0];
}

function rank(instance: RecoveryInstanceReplicationFacts, named: string | undefined): number {
  return (instance.recoveryInstanceId === named ? 0 : 2) + (reversalStarted(instance) ? 0 : 1);
}

/**
 * Assesses a source server. After a real failover, the workload runs on the recovery instance and the server's
 * own replication (from the lost origin) is STALLED or DISCONNECTED for good: the workload's protection is then
 * the recovery instance's reversed replication, so the server is judged by it.
 *
 * | the server | verdict | exposure (metric) |
 * |---|---|---|
 * | not failover-direction, or no real, running recovery instance ({@link failedOverInstance}) | its own replication ({@link assessReplication}) | its own |
 * | failed over, reversed replication started | the recovery instance's verdict (same state), reason `failed over to i-…; protected by reversed replication (STATE)` | the recovery instance's |
 * | failed over, reversed replication not started | NOT_READY, `failed over to i-…, not protected (reversed replication not started)` | its own: the newest point a recovery could use is still the server's own snapshot |
 *
 * The server's own verdict is kept as evidence (`failedOver.own`). A failed-over server is never "ready to fail
 * back" itself: its recovery instance is (signalled once, for the instance).
 */
export function assessSourceServer(
  server: SourceServerReplicationFacts,
  instances: readonly RecoveryInstanceReplicationFacts[],
  policy: RpoPolicy,
  now: Date,
): RpoAssessment {
  const direction: ReplicationDirection =
    server.replicationDirection === 'FAILBACK' ? 'failback' : 'failover';
  const own = assessReplication(
    {
      tags: server.tags,
      direction,
      dataReplicationState: server.dataReplicationState,
      lagDuration: server.lagDuration,
      replicatedDisks: server.replicatedDisks,
      dataReplicationError: server.dataReplicationError,
      newestSnapshotAt: server.newestSnapshotAt,
    },
    policy,
    now,
  );
  const instance = failedOverInstance(server, instances);
  if (!instance) return own;
  const ownEvidence: FailedOver['own'] = {
    state: own.state,
    reasonCode: own.reasonCode,
    reason: own.reason,
    lagSeconds: own.lagSeconds,
    snapshotAgeSeconds: own.snapshotAgeSeconds,
    exposureSeconds: own.exposureSeconds,
    overRpo: own.overRpo,
  };
  const id = instance.recoveryInstanceId;
  const reversedState = instance.dataReplicationState;
  if (!reversalStarted(instance)) {
    return {
      ...own,
      state: 'NOT_READY',
      reasonCode: 'failed-over-unprotected',
      reason: `failed over to ${id}, not protected (reversed replication not started)`,
      readyToFailBack: false,
      failedOver: {
        recoveryInstanceId: id,
        reversedReplicationState: reversedState,
        reversed: false,
        reversedReasonCode: undefined,
        own: ownEvidence,
      },
    };
  }
  const reversal = assessRecoveryInstance(instance, server, policy, now);
  return {
    ...reversal,
    reasonCode: 'failed-over-reversed',
    reason: `failed over to ${id}; protected by reversed replication (${reversedState}): ${reversal.reason}`,
    direction,
    readyToFailBack: false,
    failedOver: {
      recoveryInstanceId: id,
      reversedReplicationState: reversedState,
      reversed: true,
      reversedReasonCode: reversal.reasonCode,
      own: ownEvidence,
    },
  };
}

function includes(states: readonly string[], state: string | undefined): state is string {
  return state !== undefined && states.includes(state);
}
