import { createHash } from 'node:crypto';
import type { RecoveryPoint } from '../ports/backup.ts';
import { isRestorableType, type RestoreSettings } from './restore-settings.ts';

/**
 * Which recovery point of each protected resource a scheduled restore test restores: the newest completed
 * one in the DR vault within the selection window, or a random one in that window (`random` is injected so
 * the choice is reproducible in tests). Resources whose type is not restorable or is excluded from scheduled
 * tests are left out, and so are recovery points that are not (yet) usable.
 */
export type SelectionAlgorithm = 'latest' | 'random';

const USABLE = new Set(['COMPLETED', 'AVAILABLE']);

export interface Selection {
  chosen: RecoveryPoint[];
  /** Resources in scope beyond `maxPerRun`, left for the next run. */
  deferred: number;
  /** The resources left for a later run, least recently tested first, with when each was last tested. */
  deferredResources: { resourceArn: string; lastTestedAt?: string | undefined }[];
}

/**
 * Which resources a run tests, when there are more than `maxPerRun`: the least recently tested first (never
 * tested before anything tested; ties by ARN, so the order is reproducible). Each run then tests the `maxPerRun`
 * longest-waiting resources, so every resource in scope is tested within ceil(N / maxPerRun) runs; sorting by ARN
 * alone would defer the same tail for ever.
 */
export function selectRecoveryPointsToTest(input: {
  points: RecoveryPoint[];
  settings: RestoreSettings;
  algorithm: SelectionAlgorithm;
  maxPerRun: number;
  random: () => number;
  /** When each resource (by ARN) was last tested, from the evidence ledger; absent: never. */
  lastTested?: ReadonlyMap<string, string> | undefined;
}): Selection {
  const byResource = new Map<string, RecoveryPoint[]>();
  for (const point of input.points) {
    if (!USABLE.has(point.status ?? '') || !point.resourceArn || !point.creationDate) continue;
    if (!isRestorableType(point.resourceType)) continue;
    if (input.settings[point.resourceType]?.scheduledTests === false) continue;
    const list = byResource.get(point.resourceArn) ?? [];
    list.push(point);
    byResource.set(point.resourceArn, list);
  }
  const lastTested = input.lastTested ?? new Map<string, string>();
  const order = [...byResource.keys()].sort((a, b) => {
    const at = lastTested.get(a) ?? '';
    const bt = lastTested.get(b) ?? '';
    return at.localeCompare(bt) || a.localeCompare(b);
  });
  const chosen: RecoveryPoint[] = [];
  for (const resourceArn of order) {
    const candidates = (byResource.get(resourceArn) ?? []).sort(
      (a, b) => (b.creationDate?.getTime() ?? 0) - (a.creationDate?.getTime() ?? 0),
    );
    const index =
      input.algorithm === 'latest'
        ? 0
        : Math.min(candidates.length - 1, Math.floor(input.random() * candidates.length));
    const point = candidates[index];
    if (point) chosen.push(point);
  }
  const deferred = chosen.slice(input.maxPerRun);
  return {
    chosen: chosen.slice(0, input.maxPerRun),
    deferred: deferred.length,
    deferredResources: deferred.map((point) => ({
      resourceArn: point.resourceArn as string,
      lastTestedAt: lastTested.get(point.resourceArn as string),
    })),
  };
}

/** Evidence kinds that prove a resource was restore-tested (a test started, or any restore validated). */
const TESTED_KINDS: ReadonlySet<string> = new Set(['restore-test', 'validation']);

/**
 * When each backed-up resource was last tested, from the evidence ledger's records that happened before
 * `before` (a run's own time: what a run itself records never changes its choice, so a retry chooses the same).
 */
export function lastTestedByResource(
  records: readonly { kind: string; occurredAt: string; subject: { id: string } }[],
  before: string,
): Map<string, string> {
  const last = new Map<string, string>();
  for (const record of records) {
    if (!TESTED_KINDS.has(record.kind) || record.occurredAt >= before) continue;
    const previous = last.get(record.subject.id);
    if (!previous || record.occurredAt > previous) last.set(record.subject.id, record.occurredAt);
  }
  return last;
}

/**
 * A deterministic pseudo-random sequence in [0, 1) seeded by a string (mulberry32 over the seed's SHA-256):
 * the `random` selection of a scheduled run is seeded by the run, so a retry of the run chooses the same points.
 */
export function seededRandom(seed: string): () => number {
  let state = createHash('sha256').update(seed).digest().readUInt32BE(0);
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
