import { type ReadinessState, RPO_TAG } from '../../events/dr-autopilot/signal.ts';
import { formatSeconds, parseIsoDuration } from './duration.ts';

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
  | 'exposure-unknown';

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
}

/** The RPO of a resource: its `dr-autopilot:rpo` tag when that is a positive ISO-8601 duration, else the default. */
export function rpoOf(
  tags: Record<string, string>,
  defaultRpoSeconds: number,
): { rpoSeconds: number; rpoSource: 'tag' | 'default'; invalidRpoTag: string | undefined } {
  const tag = tags[RPO_TAG];
  if (tag === undefined)
    return { rpoSeconds: defaultRpoSeconds, rpoSource: 'default', invalidRpoTag: undefined };
  const seconds = parseIsoDuration(tag);
  if (seconds === undefined || seconds <= 0) {
    return { rpoSeconds: defaultRpoSeconds, rpoSource: 'default', invalidRpoTag: tag };
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
  const lagSeconds = parseIsoDuration(facts.lagDuration);
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

  const verdict = (readiness: ReadinessState, reasonCode: RpoReasonCode, reason: string): RpoAssessment => ({
    state: readiness,
    reasonCode,
    reason,
    ...rpo,
    lagSeconds,
    snapshotAgeSeconds: snapshotAge,
    backlogBytes,
    exposureSeconds,
    overRpo,
    direction: facts.direction,
    readyToFailBack: facts.direction === 'failback' && readiness === 'READY',
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

function includes(states: readonly string[], state: string | undefined): state is string {
  return state !== undefined && states.includes(state);
}
