import type { ReadinessState } from '../../events/dr-autopilot/signal.ts';
import type { MonitorMemory, StoredFinding } from '../domain/sweep.ts';

/**
 * What the replication monitor keeps between sweeps (its last finding per resource, and when its last refresh
 * sweep was, so it signals changes and refreshes only when due) and what it reports as metrics.
 */
export interface MonitorStateStore {
  /** Every stored finding, by key, and the refresh marker: one read of the monitor's state. */
  load(): Promise<MonitorMemory>;
  /**
   * Writes the given findings and deletes the removed ones; then, if `refreshedAt` is given, the refresh marker.
   * The marker goes last so that a failed write leaves it where it was: the next full sweep then refreshes
   * every finding again (one refresh too many, never one too few).
   */
  save(changes: {
    put: readonly StoredFinding[];
    delete: readonly string[];
    refreshedAt?: string | undefined;
  }): Promise<void>;
}

export interface ResourceMetrics {
  resourceId: string;
  workload: string;
  lagSeconds: number | undefined;
  exposureSeconds: number | undefined;
  backlogBytes: number;
}

/** One resource's values as log fields: what the documented Logs Insights query and the dashboard read. */
export interface ResourceDetail {
  resourceId: string;
  workload: string;
  state: ReadinessState;
  lagSeconds: number | undefined;
  exposureSeconds: number | undefined;
  backlogBytes: number;
  rpoSeconds: number;
}

export interface AggregateMetrics {
  /** The largest measured exposure; `undefined` when no resource could be measured. */
  worstExposureSeconds: number | undefined;
  /** Resources whose measured exposure is over their RPO. */
  overRpoCount: number;
  resourceCount: number;
  /**
   * Resources that are `NOT_READY`: not replicating (stalled, paused, disconnected), in initial sync with no
   * recovery point yet, or failed over and not reversed.
   */
  unprotectedCount: number;
}

/**
 * Replication metrics (CloudWatch, through EMF) and per-resource values in the monitor's log. Nothing is
 * emitted until {@link flush}.
 */
export interface ReplicationMetrics {
  /** Per-resource metric series (a `ResourceId` dimension): billed per series, so written only when opted in. */
  recordResource(metrics: ResourceMetrics): void;
  /**
   * Per workload: worst exposure and resources over RPO only (two series a workload, written only while the
   * workload has a resource over its RPO or unprotected: see the adapter).
   */
  recordWorkload(workload: string, metrics: AggregateMetrics): void;
  /** The whole deployment (every workload): the metric the dead-man alarm watches. */
  recordDeployment(metrics: AggregateMetrics): void;
  /** Per-resource values as structured log fields, without a metric series. */
  recordResourceDetail(detail: ResourceDetail): void;
  flush(): void;
}
