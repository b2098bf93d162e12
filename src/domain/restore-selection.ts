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
}

export function selectRecoveryPointsToTest(input: {
  points: RecoveryPoint[];
  settings: RestoreSettings;
  algorithm: SelectionAlgorithm;
  maxPerRun: number;
  random: () => number;
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
  const chosen: RecoveryPoint[] = [];
  for (const resourceArn of [...byResource.keys()].sort()) {
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
  return { chosen: chosen.slice(0, input.maxPerRun), deferred: Math.max(0, chosen.length - input.maxPerRun) };
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
