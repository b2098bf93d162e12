import type { ReadinessState, ResourceType } from '../../events/dr-autopilot/signal.ts';

/**
 * Change detection between two sweeps of the replication monitor. Pure: what the monitor remembers (its stored
 * findings and the time of its last refresh sweep), the current findings and the sweep's time in; what to signal
 * and what to store out.
 *
 * A finding is signalled when it is new, or its readiness state, reason code or workload changed. An unchanged
 * finding is signalled again (a *refresh*) so that "nothing changed" is still said now and then: the readiness
 * publisher turns a resource UNKNOWN when its newest evidence is older than READINESS_STALE_AFTER. Refreshes
 * happen on *refresh sweeps*: a full sweep (`scope` `all`) on which the last refresh sweep
 * ({@link MonitorMemory.refreshedAt}) is `refreshAfterSeconds` old or older, or unknown. A refresh sweep
 * refreshes EVERY unchanged finding and moves the marker to its own time, so the monitor writes one item per
 * refresh sweep instead of one per resource: a finding's last signal is the later of its own `lastSignalledAt`
 * (its change) and the marker. Every finding is therefore signalled at least every `refreshAfterSeconds` plus
 * one sweep interval, however its changes fall. A partial evaluation (one server) never moves the marker: it
 * refreshes its finding when that finding's last signal is due, and writes the finding's item.
 *
 * "Ready to fail back" is signalled once, on the sweep where it becomes true (again after it was lost), never
 * refreshed. A resource that was known but is no longer listed is reported as removed, only when the sweep
 * covered it (`scope`): a single-server evaluation or a sweep that could not list servers removes nothing.
 */

/** What the monitor remembers about one resource between sweeps. */
export interface StoredFinding {
  /** `<resourceType>#<resourceId>`: see {@link findingKey}. */
  key: string;
  resourceType: ResourceType;
  resourceId: string;
  workload: string;
  state: ReadinessState;
  reasonCode: string;
  readyToFailBack: boolean;
  /** When the resource entered this state and reason (the sweep that first saw it). */
  since: string;
  /**
   * When its state was last signalled on its own: the change, or a single-server evaluation's refresh. A refresh
   * sweep does not move it (it moves {@link MonitorMemory.refreshedAt}): the finding's last signal is the later of
   * the two.
   */
  lastSignalledAt: string;
}

/** What the monitor remembers between sweeps. */
export interface MonitorMemory {
  /** Every stored finding, by key. */
  findings: ReadonlyMap<string, StoredFinding>;
  /**
   * When the last refresh sweep ran (ISO time): every finding that sweep saw was signalled then, changed or not.
   * `undefined` when none is stored (the first sweep, or state written by a version without it): the next full
   * sweep is then a refresh sweep.
   */
  refreshedAt: string | undefined;
}

/** The part of a current finding change detection reads. */
export interface CurrentFinding {
  key: string;
  resourceType: ResourceType;
  resourceId: string;
  workload: string;
  state: ReadinessState;
  reasonCode: string;
  readyToFailBack: boolean;
}

export interface FindingChanges<F extends CurrentFinding> {
  /** New or changed findings, with what was stored before (if anything). */
  changed: { finding: F; previous: StoredFinding | undefined }[];
  /**
   * Unchanged findings signalled again, with what was stored before: every one on a refresh sweep, the due one
   * on a single-server evaluation.
   */
  refreshed: { finding: F; previous: StoredFinding }[];
  /** Findings that became ready to fail back on this sweep. */
  nowReadyToFailBack: F[];
  /** Stored findings in scope that this sweep no longer sees. */
  removed: StoredFinding[];
  /**
   * Items to write: new or changed findings, findings whose ready-to-fail-back flag changed, and a
   * single-server evaluation's refresh. A refresh sweep's refreshes are not written one by one: see `refreshedAt`.
   */
  toStore: StoredFinding[];
  /** Keys to delete (the removed findings). */
  toDelete: string[];
  /**
   * On a refresh sweep, its time (`observedAt`): the marker to store once its signals are published. `undefined`
   * on any other sweep: the stored marker stays.
   */
  refreshedAt: string | undefined;
}

export function findingKey(resourceType: ResourceType, resourceId: string): string {
  return `${resourceType}#${resourceId}`;
}

/**
 * @param previous what was stored after the last sweeps: findings and the refresh marker.
 * @param scope `all`: the sweep listed every resource, so a stored finding it does not see was removed, and the
 *   sweep may be a refresh sweep; otherwise only the stored findings whose keys are in the set are candidates for
 *   removal, and the marker is neither trusted for more than a finding's last signal nor moved.
 * @param refreshAfterSeconds a full sweep at least this long after the last refresh sweep refreshes every
 *   unchanged finding; a partial one refreshes a finding whose last signal (the later of its own
 *   `lastSignalledAt` and the marker) is at least this long ago (`Infinity`: never, and no marker is written).
 */
export function detectChanges<F extends CurrentFinding>(
  previous: MonitorMemory,
  current: readonly F[],
  observedAt: string,
  scope: 'all' | ReadonlySet<string>,
  refreshAfterSeconds: number,
): FindingChanges<F> {
  const marker = trustedMarker(previous.refreshedAt, observedAt);
  const due = (lastSignal: string | undefined) =>
    Number.isFinite(refreshAfterSeconds) && secondsBetween(lastSignal, observedAt) >= refreshAfterSeconds;
  const refreshSweep = scope === 'all' && due(marker);
  const changes: FindingChanges<F> = {
    changed: [],
    refreshed: [],
    nowReadyToFailBack: [],
    removed: [],
    toStore: [],
    toDelete: [],
    refreshedAt: refreshSweep ? observedAt : undefined,
  };
  const seen = new Set<string>();
  for (const finding of current) {
    seen.add(finding.key);
    const before = previous.findings.get(finding.key);
    const changed =
      !before ||
      before.state !== finding.state ||
      before.reasonCode !== finding.reasonCode ||
      before.workload !== finding.workload;
    const failBackChanged = (before?.readyToFailBack ?? false) !== finding.readyToFailBack;
    const refresh =
      !changed && before !== undefined && (refreshSweep || due(laterOf(before.lastSignalledAt, marker)));
    if (changed) changes.changed.push({ finding, previous: before });
    if (refresh) changes.refreshed.push({ finding, previous: before });
    if (finding.readyToFailBack && !before?.readyToFailBack) changes.nowReadyToFailBack.push(finding);
    // A refresh sweep's refreshes are carried by the marker; any other refresh by the finding's own item.
    if (changed || failBackChanged || (refresh && !refreshSweep)) {
      changes.toStore.push({
        key: finding.key,
        resourceType: finding.resourceType,
        resourceId: finding.resourceId,
        workload: finding.workload,
        state: finding.state,
        reasonCode: finding.reasonCode,
        readyToFailBack: finding.readyToFailBack,
        since: changed || !before ? observedAt : before.since,
        lastSignalledAt: changed || refresh || !before ? observedAt : before.lastSignalledAt,
      });
    }
  }
  for (const [key, stored] of previous.findings) {
    if (seen.has(key)) continue;
    if (scope === 'all' || scope.has(key)) {
      changes.removed.push(stored);
      changes.toDelete.push(key);
    }
  }
  return changes;
}

/**
 * The stored marker, if it can be trusted: an unreadable one, or one later than this sweep (a clock that went
 * back, an edited item), counts as none. Trusting a marker in the future would silence every refresh until then.
 */
function trustedMarker(refreshedAt: string | undefined, observedAt: string): string | undefined {
  if (refreshedAt === undefined) return undefined;
  const at = Date.parse(refreshedAt);
  return Number.isNaN(at) || at > Date.parse(observedAt) ? undefined : refreshedAt;
}

/** The later of a finding's own last signal and the marker (an unreadable one counts as long ago). */
function laterOf(lastSignalledAt: string, marker: string | undefined): string {
  if (marker === undefined) return lastSignalledAt;
  const own = Date.parse(lastSignalledAt);
  return Number.isNaN(own) || Date.parse(marker) > own ? marker : lastSignalledAt;
}

/** Seconds from `from` to `to`; a missing or unreadable `from` counts as long ago (so it is due). */
function secondsBetween(from: string | undefined, to: string): number {
  const start = from === undefined ? Number.NaN : Date.parse(from);
  return Number.isNaN(start) ? Number.POSITIVE_INFINITY : (Date.parse(to) - start) / 1000;
}
