import {
  type ReadinessState,
  type ResourceType,
  SERVICE_WORKLOAD,
  type Severity,
  type SignalDetail,
} from '../../events/dr-autopilot/signal.ts';
import { formatSeconds } from './duration.ts';

/**
 * The readiness state machine (DESIGN.md §4): how one observation of a resource changes its state, how the
 * periodic sweep ages evidence and confirms held downgrades, and how a workload's state follows from its
 * resources. Pure: no I/O, no clock (time comes in as ISO strings).
 *
 * - States rank READY < AT_RISK < UNKNOWN < NOT_READY: a workload is the worst of its resources. UNKNOWN
 *   ranks above AT_RISK because "no evidence" may hide anything, and a dead monitor must page.
 * - An improvement is announced at once. A downgrade is announced once observations at least that bad have
 *   held for `downgradeObservations` consecutive observations; an observation is a signal about the
 *   resource, or a sweep that finds the pending evidence unchanged for `reobserveAfterSeconds`.
 * - The first observation of a resource is announced at once (there is no announced state to flap from).
 * - A signal observed before the evidence already held is out of order: it never overwrites it.
 * - Evidence older than its resource type's staleness (`staleAfterSecondsByType`, else `staleAfterSeconds`)
 *   turns READY / AT_RISK into UNKNOWN at once (never hides a NOT_READY). Each type's staleness follows how
 *   often its detector reports: the replication monitor refreshes every few minutes, restore tests run
 *   weekly, and some evidence never ages (CloudWatch holds an alarm's state and announces every change; a
 *   recovery launch result stands until the next launch).
 */

export const STATE_RANK: Readonly<Record<ReadinessState, number>> = {
  READY: 0,
  AT_RISK: 1,
  UNKNOWN: 2,
  NOT_READY: 3,
};
const BY_RANK: readonly ReadinessState[] = ['READY', 'AT_RISK', 'UNKNOWN', 'NOT_READY'];

export interface ReadinessPolicy {
  /** Consecutive observations a downgrade must hold before it is announced (≥ 1; 1 = at once). */
  downgradeObservations: number;
  /** Evidence older than this turns the resource UNKNOWN, unless its type has its own entry below. */
  staleAfterSeconds: number;
  /**
   * Per resource type: seconds after which its evidence is stale, or `null` for evidence that never ages
   * (its state is held elsewhere, or it stands until the next event). A type not listed uses
   * `staleAfterSeconds`.
   */
  staleAfterSecondsByType: Partial<Record<ResourceType, number | null>>;
  /** The sweep counts as one more observation of a pending downgrade after this long without a signal. */
  reobserveAfterSeconds: number;
  /** How many recent signal ids a resource remembers, to recognise a redelivered signal. */
  recentSignalIds: number;
}

export const DEFAULT_READINESS_POLICY: ReadinessPolicy = {
  downgradeObservations: 2,
  staleAfterSeconds: 60 * 60,
  staleAfterSecondsByType: {
    // CloudWatch holds the alarm's state and delivers every change; a metric that stops arriving turns the
    // alarm INSUFFICIENT_DATA, which is UNKNOWN.
    alarm: null,
    // One-shot evidence: a launch result stands until the next launch replaces it.
    'drs-recovery-launch': null,
    // Signalled on every change of stage (and when a drill instance appears or goes), never refreshed.
    'drs-failback-lifecycle': null,
    'drs-drill-instance': null,
    // Reported when found and when gone (the reconciler remembers which it reported), never refreshed.
    'restore-leftover': null,
    // Restore tests run weekly (restoreTestSchedule): the schedule plus a day.
    'backup-resource': 8 * 86_400,
  },
  reobserveAfterSeconds: 5 * 60,
  recentSignalIds: 20,
};

export type ResourceRef = SignalDetail['resource'];
export type Evidence = SignalDetail['evidence'];

/** One assessed observation of a resource: what a signal with an `assessment` says. */
export interface Observation {
  signalId: string;
  /** The signal's detail-type (or `Readiness Stale` for the sweep's own verdict). */
  signalType: string;
  observedAt: string;
  state: ReadinessState;
  reason: string;
  nextStep?: string | undefined;
  runbook?: string | undefined;
  severity: Severity;
  summary: string;
  evidence: Evidence;
  dryRun: boolean;
  correlationId: string;
}

/** A downgrade seen but not yet announced: consecutive observations at least this bad. */
export interface PendingLevel {
  count: number;
  /** When the first of these consecutive observations was made: the `since` once announced. */
  since: string;
  /** When the last one counted was made (a signal's `observedAt`, or the sweep's time). */
  lastAt: string;
}

export interface ResourceReadiness {
  workload: string;
  resource: ResourceRef;
  /** The announced state. */
  state: ReadinessState;
  /** When the resource entered the announced state. */
  since: string;
  /** The observation behind the announced state (its reason, next step, runbook, evidence). */
  cause: Observation;
  /** The newest observation held: nothing observed earlier may overwrite it. */
  latest: Observation;
  pending: Partial<Record<ReadinessState, PendingLevel>>;
  recentSignalIds: string[];
}

export interface Announcement {
  from: ReadinessState | undefined;
  to: ReadinessState;
}

export type FoldResult =
  | { kind: 'duplicate' }
  | { kind: 'out-of-order'; heldObservedAt: string }
  | { kind: 'applied'; next: ResourceReadiness; announced: Announcement | undefined };

export type SweepResult =
  | { kind: 'unchanged' }
  | { kind: 'updated'; next: ResourceReadiness; announced: Announcement | undefined };

/** `<type>#<id>`: unique within a workload. */
export function resourceKey(resource: Pick<ResourceRef, 'type' | 'id'>): string {
  return `${resource.type}#${resource.id}`;
}

export function isWorse(a: ReadinessState, b: ReadinessState): boolean {
  return STATE_RANK[a] > STATE_RANK[b];
}

/** The worst state of `states`, or `undefined` when there are none. */
export function worstOf(states: Iterable<ReadinessState>): ReadinessState | undefined {
  let worst: ReadinessState | undefined;
  for (const state of states) if (worst === undefined || isWorse(state, worst)) worst = state;
  return worst;
}

/** Normalises any ISO-8601 timestamp to UTC with milliseconds, so stored times sort as strings. */
export function toIsoUtc(time: string | Date): string {
  const date = typeof time === 'string' ? new Date(time) : time;
  if (Number.isNaN(date.getTime())) throw new RangeError(`not a timestamp: ${String(time)}`);
  return date.toISOString();
}

const millis = (iso: string) => new Date(iso).getTime();

/**
 * Folds one observation into a resource's readiness. `current` is `undefined` for a resource never seen.
 * The result says whether the observation was a redelivery, out of order, or applied (and what it announced).
 */
export function foldObservation(
  current: ResourceReadiness | undefined,
  subject: { workload: string; resource: ResourceRef },
  observation: Observation,
  policy: ReadinessPolicy,
): FoldResult {
  if (!current) {
    return {
      kind: 'applied',
      next: {
        workload: subject.workload,
        resource: subject.resource,
        state: observation.state,
        since: observation.observedAt,
        cause: observation,
        latest: observation,
        pending: {},
        recentSignalIds: [observation.signalId],
      },
      announced: { from: undefined, to: observation.state },
    };
  }
  if (current.recentSignalIds.includes(observation.signalId)) return { kind: 'duplicate' };
  if (millis(observation.observedAt) < millis(current.latest.observedAt)) {
    return { kind: 'out-of-order', heldObservedAt: current.latest.observedAt };
  }
  const base: ResourceReadiness = {
    ...current,
    resource: subject.resource,
    latest: observation,
    recentSignalIds: [observation.signalId, ...current.recentSignalIds].slice(
      0,
      Math.max(1, policy.recentSignalIds),
    ),
  };
  if (!isWorse(observation.state, current.state)) {
    if (observation.state === current.state) {
      return { kind: 'applied', next: { ...base, cause: observation, pending: {} }, announced: undefined };
    }
    return {
      kind: 'applied',
      next: {
        ...base,
        state: observation.state,
        since: observation.observedAt,
        cause: observation,
        pending: {},
      },
      announced: { from: current.state, to: observation.state },
    };
  }
  return confirmDowngrade(
    {
      ...base,
      pending: countObservation(current.state, current.pending, observation.state, observation.observedAt),
    },
    current.state,
    policy,
  );
}

/** How long evidence about a resource of `type` stays fresh (seconds); `null`: it never goes stale. */
export function staleAfterSecondsOf(type: ResourceType, policy: ReadinessPolicy): number | null {
  const own = policy.staleAfterSecondsByType[type];
  return own === undefined ? policy.staleAfterSeconds : own;
}

/**
 * The sweep's view of one resource at `now`: stale evidence turns it UNKNOWN (or worse, when the last
 * evidence was worse); otherwise a pending downgrade left alone for `reobserveAfterSeconds` counts one more
 * observation.
 */
export function sweepResource(current: ResourceReadiness, now: string, policy: ReadinessPolicy): SweepResult {
  const age = (millis(now) - millis(current.latest.observedAt)) / 1000;
  const staleAfterSeconds = staleAfterSecondsOf(current.resource.type, policy);
  if (
    staleAfterSeconds !== null &&
    age > staleAfterSeconds &&
    STATE_RANK[current.state] < STATE_RANK.UNKNOWN
  ) {
    const staleSince = toIsoUtc(new Date(millis(current.latest.observedAt) + staleAfterSeconds * 1000));
    const to = worstOf(['UNKNOWN', current.latest.state]) ?? 'UNKNOWN';
    const cause: Observation =
      to === 'UNKNOWN'
        ? {
            signalId: `stale:${resourceKey(current.resource)}:${current.latest.observedAt}`,
            signalType: 'Readiness Stale',
            observedAt: staleSince,
            state: 'UNKNOWN',
            reason:
              `no fresh evidence for ${current.resource.id} since ${current.latest.observedAt.slice(0, 16)}Z`.slice(
                0,
                120,
              ),
            nextStep:
              'Check that the detector reporting this resource still runs (its schedule, its errors, its DLQ), then that the resource still exists.',
            runbook: 'runbook-readiness-unknown',
            severity: 'warning',
            summary:
              `no evidence about ${resourceKey(current.resource)} for more than ${formatSeconds(staleAfterSeconds)} (last: ${current.latest.summary})`.slice(
                0,
                500,
              ),
            evidence: {
              lastObservedAt: current.latest.observedAt,
              lastState: current.latest.state,
              staleAfterSeconds,
            },
            dryRun: current.latest.dryRun,
            correlationId: current.latest.correlationId,
          }
        : current.latest;
    return {
      kind: 'updated',
      next: { ...current, state: to, since: staleSince, cause, pending: {} },
      announced: { from: current.state, to },
    };
  }
  const levels = Object.values(current.pending);
  if (levels.length === 0) return { kind: 'unchanged' };
  const lastAt = Math.max(...levels.map((level) => millis(level.lastAt)));
  if ((millis(now) - lastAt) / 1000 < policy.reobserveAfterSeconds) return { kind: 'unchanged' };
  const pending = Object.fromEntries(
    Object.entries(current.pending).map(([state, level]) => [
      state,
      { ...level, count: level.count + 1, lastAt: now },
    ]),
  ) as ResourceReadiness['pending'];
  const confirmed = confirmDowngrade({ ...current, pending }, current.state, policy);
  return { kind: 'updated', next: confirmed.next, announced: confirmed.announced };
}

/** Per level worse than the announced state: one more consecutive observation, or the run is broken. */
function countObservation(
  announced: ReadinessState,
  pending: ResourceReadiness['pending'],
  observed: ReadinessState,
  at: string,
): ResourceReadiness['pending'] {
  const next: ResourceReadiness['pending'] = {};
  for (const level of BY_RANK) {
    if (!isWorse(level, announced) || STATE_RANK[observed] < STATE_RANK[level]) continue;
    const held = pending[level];
    next[level] = { count: (held?.count ?? 0) + 1, since: held?.since ?? at, lastAt: at };
  }
  return next;
}

function confirmDowngrade(
  next: ResourceReadiness,
  announced: ReadinessState,
  policy: ReadinessPolicy,
): Extract<FoldResult, { kind: 'applied' }> {
  const needed = Math.max(1, policy.downgradeObservations);
  const confirmed = [...BY_RANK]
    .reverse()
    .find((level) => (next.pending[level]?.count ?? 0) >= needed && isWorse(level, announced));
  if (!confirmed) return { kind: 'applied', next, announced: undefined };
  const level = next.pending[confirmed] as PendingLevel;
  const remaining = Object.fromEntries(
    Object.entries(next.pending).filter(([state]) => isWorse(state as ReadinessState, confirmed)),
  );
  return {
    kind: 'applied',
    next: { ...next, state: confirmed, since: level.since, cause: next.latest, pending: remaining },
    announced: { from: announced, to: confirmed },
  };
}

/**
 * What a workload item held per resource before it held counts (`entries`, one per resource: its size grew with
 * the workload). Read only, to count the states of an item not yet rewritten (see {@link countStates}).
 */
export interface WorkloadEntry {
  state: ReadinessState;
  since: string;
  /** The resource item version this entry reflects: an older one never overwrites a newer one. */
  version: number;
}

/** The workload's state: the worst of its resources' announced states (`undefined` with no resources). */
export function aggregateWorkload(
  entries: Readonly<Record<string, WorkloadEntry>>,
): ReadinessState | undefined {
  return worstOf(Object.values(entries).map((entry) => entry.state));
}

/** The severity on-call sees for a workload (or resource) state. */
export function severityOf(state: ReadinessState): Severity {
  if (state === 'NOT_READY') return 'critical';
  if (state === 'READY') return 'info';
  return 'warning';
}

/** An assessed signal as an observation; `undefined` for an evidence-only signal. */
export function observationOf(
  signalType: string,
  detail: Pick<
    SignalDetail,
    | 'signalId'
    | 'observedAt'
    | 'assessment'
    | 'severity'
    | 'summary'
    | 'evidence'
    | 'dryRun'
    | 'correlationId'
  >,
): Observation | undefined {
  if (!detail.assessment) return undefined;
  return {
    signalId: detail.signalId,
    signalType,
    observedAt: toIsoUtc(detail.observedAt),
    state: detail.assessment.state,
    reason: detail.assessment.reason,
    nextStep: detail.assessment.nextStep,
    runbook: detail.assessment.runbook,
    severity: detail.severity,
    summary: detail.summary,
    evidence: detail.evidence,
    dryRun: detail.dryRun,
    correlationId: detail.correlationId,
  };
}

/** The resource change that moved a workload: what the message says changed. */
export interface TransitionTrigger {
  resourceKey: string;
  resource: ResourceRef;
  state: ReadinessState;
  since: string;
  cause: Observation;
  /** The resource left the workload (see {@link retireFromWorkload}): `state` is the last it had there. */
  retired?: boolean | undefined;
}

/** A workload transition, as committed (and then announced) once. */
export interface WorkloadTransition {
  /** Deterministic within the workload: the workload item version that committed it. */
  id: string;
  workload: string;
  from: ReadinessState | undefined;
  to: ReadinessState;
  /** When the workload entered `to`. */
  at: string;
  trigger: TransitionTrigger;
  dryRun: boolean;
}

/** How many of a workload's resources are in each announced state: what its item holds instead of a per-resource map. */
export type StateCounts = Record<ReadinessState, number>;

export const NO_RESOURCES: Readonly<StateCounts> = { READY: 0, AT_RISK: 0, UNKNOWN: 0, NOT_READY: 0 };

/** The counts of `states` (e.g. a workload's resources, or the entries of an item written before counts). */
export function countStates(states: Iterable<ReadinessState>): StateCounts {
  const counts = { ...NO_RESOURCES };
  for (const state of states) counts[state] += 1;
  return counts;
}

/** The workload's state from its counts: the worst state any resource is in (`undefined` with none). */
export function worstCounted(counts: Readonly<StateCounts>): ReadinessState | undefined {
  return worstOf(BY_RANK.filter((state) => counts[state] > 0));
}

export function sameCounts(a: Readonly<StateCounts>, b: Readonly<StateCounts>): boolean {
  return BY_RANK.every((state) => a[state] === b[state]);
}

export interface WorkloadSnapshot {
  state: ReadinessState | undefined;
  since: string | undefined;
  counts: Readonly<StateCounts>;
}

export interface WorkloadUpdate {
  state: ReadinessState;
  since: string;
  counts: StateCounts;
  transition: { from: ReadinessState | undefined; to: ReadinessState } | undefined;
}

/**
 * Moves one resource's announced state in its workload's counts (`from` undefined: a resource new to it), dated
 * `since` (the resource's change). The workload becomes the worst state counted; a change of it is a
 * transition. A count never goes below zero: counts that drifted (an item written by an older version) are
 * recounted by the sweep.
 */
export function moveInWorkload(
  current: WorkloadSnapshot,
  from: ReadinessState | undefined,
  to: ReadinessState,
  since: string,
): WorkloadUpdate {
  const counts = { ...current.counts };
  if (from !== undefined) counts[from] = Math.max(0, counts[from] - 1);
  counts[to] += 1;
  return settle(current, counts, since) as WorkloadUpdate;
}

/** The workload's state, since and transition once its counts are `counts` (`undefined`: no resource left). */
export function settle(
  current: Pick<WorkloadSnapshot, 'state' | 'since'>,
  counts: StateCounts,
  at: string,
): WorkloadUpdate | undefined {
  const state = worstCounted(counts);
  if (state === undefined) return undefined;
  const changed = state !== current.state;
  return {
    state,
    since: changed || !current.since ? at : current.since,
    counts,
    transition: changed ? { from: current.state, to: state } : undefined,
  };
}

/**
 * The workload a resource must be in whatever workload its signals named, if its type has one: the DRS service
 * check is dr-autopilot's own ({@link SERVICE_WORKLOAD}). Versions before it filed it under `default`: the sweep
 * retires a resource found anywhere else, so an old row neither lingers nor goes stale and pages.
 */
export function homeWorkloadOf(resource: Pick<ResourceRef, 'type'>): string | undefined {
  return resource.type === 'drs-service' ? SERVICE_WORKLOAD : undefined;
}

/**
 * Takes a resource in `state` out of its workload at `at`: the workload becomes the worst of the others, and a
 * change of that state is a transition dated `at` (the resource's evidence no longer counts from then on).
 * `undefined`: it was the workload's last resource (the workload goes).
 */
export function retireFromWorkload(
  current: WorkloadSnapshot,
  state: ReadinessState,
  at: string,
): WorkloadUpdate | undefined {
  const counts = { ...current.counts };
  counts[state] = Math.max(0, counts[state] - 1);
  return settle(current, counts, at);
}

/** Why a resource left a workload, as the observation a transition message shows. */
export function retirementOf(readiness: ResourceReadiness, home: string, at: string): Observation {
  const key = resourceKey(readiness.resource);
  return {
    signalId: `retired:${key}:${at}`,
    signalType: 'Readiness Retired',
    observedAt: at,
    state: readiness.state,
    reason: `${key} moved to workload ${home}`.slice(0, 120),
    nextStep: `Nothing for this workload: ${key} is now reported under workload ${home}.`,
    runbook: 'runbook-readiness',
    severity: 'info',
    summary:
      `${key} no longer counts in workload ${readiness.workload}: it belongs to workload ${home} (was ${readiness.state} here since ${readiness.since})`.slice(
        0,
        500,
      ),
    evidence: {
      movedTo: home,
      lastState: readiness.state,
      lastSince: readiness.since,
      lastObservedAt: readiness.latest.observedAt,
    },
    dryRun: false,
    correlationId: readiness.latest.correlationId,
  };
}
