/**
 * What the reconciler remembers between runs: the restore leftovers it reported (so each is reported once, and
 * reported gone once its cleanup finished). Stored in the readiness table under `detector#reconciler`.
 */
export interface ReportedLeftover {
  restoreJobId: string;
  workload: string;
  reportedAt: string;
  /** The backed-up resource the restore was of (names the finding). */
  subject: string;
}

export interface ReconcilerMemory {
  leftovers(): Promise<ReportedLeftover[]>;
  rememberLeftover(leftover: ReportedLeftover): Promise<void>;
  forgetLeftover(restoreJobId: string): Promise<void>;
}

/**
 * Runs a hand-over to an event path's use case at most once per key while the record lives (Powertools
 * idempotency in production), so an item the use case skipped (a failback nobody declared, a restore that is
 * off) is not handed over again every hour. A hand-over that fails is not remembered: the next run retries it.
 */
export type OnceGuard = <T extends Record<string, unknown>>(key: string, run: () => Promise<T>) => Promise<T>;
