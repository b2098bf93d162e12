import type { DrillFinding, LifecycleStage, ServerLifecycle } from '../domain/failback-lifecycle.ts';
import type { DrsCleanupControl, DrsLookup, DrsReader } from './drs.ts';

/** A server's lifecycle as kept between sweeps (and read by `npm run status`), with its recent stages. */
export interface StoredServerLifecycle extends ServerLifecycle {
  /** The newest transitions first, at most {@link HISTORY_LENGTH}. */
  history: { stage: LifecycleStage; at: string }[];
  updatedAt: string;
}
export const HISTORY_LENGTH = 20;

/** A drill instance reported as left running, and what was done about it. */
export interface StoredDrill extends DrillFinding {
  reportedAt: string;
  terminated?: { jobId?: string | undefined; at: string; dryRun: boolean } | undefined;
}

export interface LifecycleStore {
  load(): Promise<{ servers: Map<string, StoredServerLifecycle>; drills: Map<string, StoredDrill> }>;
  save(changes: {
    servers: readonly StoredServerLifecycle[];
    drills: readonly StoredDrill[];
    deleteDrills: readonly string[];
  }): Promise<void>;
}

/** DRS of one Region, as the lifecycle and the cleanup use it. */
export type RegionDrs = DrsReader & DrsLookup & DrsCleanupControl;
