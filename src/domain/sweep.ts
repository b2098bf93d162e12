import type { ReadinessState, ResourceType } from '../../events/dr-autopilot/signal.ts';

/**
 * Change detection between two sweeps of the replication monitor. Pure: the previous findings (as stored), the
 * current ones and the sweep's time in; what to signal and what to store out.
 *
 * A finding is signalled when it is new, or its readiness state, reason code or workload changed. An unchanged
 * finding is signalled again (a *refresh*) once its last signal is `refreshAfterSeconds` old or older: the
 * readiness publisher turns a resource UNKNOWN when its newest evidence is older than READINESS_STALE_AFTER,
 * so "nothing changed" must still be said now and then. "Ready to fail back" is signalled once, on the sweep
 * where it becomes true (again after it was lost), never refreshed. A resource that was known but is no longer
 * listed is reported as removed, only when the sweep covered it (`scope`): a single-server evaluation or a
 * sweep that could not list servers removes nothing.
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
  /** When its state was last signalled (the change, or the latest refresh). */
  lastSignalledAt: string;
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
  /** Unchanged findings whose last signal is due for a refresh, with what was stored before. */
  refreshed: { finding: F; previous: StoredFinding }[];
  /** Findings that became ready to fail back on this sweep. */
  nowReadyToFailBack: F[];
  /** Stored findings in scope that this sweep no longer sees. */
  removed: StoredFinding[];
  /** Items to write (new, changed, refreshed, or whose ready-to-fail-back flag changed). */
  toStore: StoredFinding[];
  /** Keys to delete (the removed findings). */
  toDelete: string[];
}

export function findingKey(resourceType: ResourceType, resourceId: string): string {
  return `${resourceType}#${resourceId}`;
}

/**
 * @param scope `all`: the sweep listed every resource, so a stored finding it does not see was removed;
 *   otherwise only the stored findings whose keys are in the set are candidates for removal.
 * @param refreshAfterSeconds an unchanged finding last signalled at least this long before `observedAt` is
 *   signalled again (`Infinity`: never).
 */
export function detectChanges<F extends CurrentFinding>(
  previous: ReadonlyMap<string, StoredFinding>,
  current: readonly F[],
  observedAt: string,
  scope: 'all' | ReadonlySet<string>,
  refreshAfterSeconds: number,
): FindingChanges<F> {
  const changes: FindingChanges<F> = {
    changed: [],
    refreshed: [],
    nowReadyToFailBack: [],
    removed: [],
    toStore: [],
    toDelete: [],
  };
  const seen = new Set<string>();
  for (const finding of current) {
    seen.add(finding.key);
    const before = previous.get(finding.key);
    const changed =
      !before ||
      before.state !== finding.state ||
      before.reasonCode !== finding.reasonCode ||
      before.workload !== finding.workload;
    const failBackChanged = (before?.readyToFailBack ?? false) !== finding.readyToFailBack;
    const refresh =
      !changed &&
      before !== undefined &&
      Number.isFinite(refreshAfterSeconds) &&
      secondsBetween(before.lastSignalledAt, observedAt) >= refreshAfterSeconds;
    if (changed) changes.changed.push({ finding, previous: before });
    if (refresh) changes.refreshed.push({ finding, previous: before });
    if (finding.readyToFailBack && !before?.readyToFailBack) changes.nowReadyToFailBack.push(finding);
    if (changed || refresh || failBackChanged) {
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
  for (const [key, stored] of previous) {
    if (seen.has(key)) continue;
    if (scope === 'all' || scope.has(key)) {
      changes.removed.push(stored);
      changes.toDelete.push(key);
    }
  }
  return changes;
}

/** Seconds from `from` to `to`; an unreadable `from` counts as long ago (so the finding is refreshed). */
function secondsBetween(from: string, to: string): number {
  const start = Date.parse(from);
  return Number.isNaN(start) ? Number.POSITIVE_INFINITY : (Date.parse(to) - start) / 1000;
}
