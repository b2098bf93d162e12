import type { DrillFinding, LifecycleStage, ServerLifecycle } from '../domain/failback-lifecycle.ts';
import type { DrsCleanupControl, DrsJobHistory, DrsLookup, DrsReader } from './drs.ts';

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
  /**
   * Set when the record was saved ahead of the sweep's signals (with a termination intent) and the "left running"
   * report may not have reached the bus: the next sweep reports it again unless this sweep's save clears it.
   */
  reportPending?: true | undefined;
  /**
   * The termination dr-autopilot is about to ask for, saved before TerminateRecoveryInstances: its answer can be
   * lost after DRS applied it (a 5xx, a timeout), or the signal saying so can fail to publish. While `terminated`
   * is unset, the next sweep looks for the TERMINATE job that names the instance and sends the "terminated"
   * signal it owes, with the same signal id (from `at` and `correlationId`), so readiness and evidence fold a
   * duplicate.
   */
  terminating?: { at: string; correlationId: string } | undefined;
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

/**
 * DRS of one Region, as the lifecycle and the cleanup use it; the job history finds a TERMINATE job whose answer
 * was lost.
 */
export type RegionDrs = DrsReader & DrsLookup & DrsCleanupControl & DrsJobHistory;
