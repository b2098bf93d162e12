import type { ReadinessState } from '../../events/dr-autopilot/signal.ts';
import { RetryableDependencyError } from '../domain/errors.ts';
import type {
  Observation,
  ResourceReadiness,
  ResourceRef,
  WorkloadEntry,
  WorkloadTransition,
} from '../domain/readiness.ts';

/**
 * The readiness store (DESIGN.md §4): per-resource and per-workload state, written only by the readiness
 * publisher with optimistic concurrency (a `version` per item), and a history kept for a retention period.
 */

/** Another writer changed the item since it was read: read again and retry. */
export class ReadinessVersionConflictError extends RetryableDependencyError {}

export interface StoredResource {
  readiness: ResourceReadiness;
  version: number;
}

/** A committed transition waiting to be announced, claimed by one sender at a time. */
export interface OutboxEntry {
  transition: WorkloadTransition;
  claimedBy: string;
  claimedUntil: string;
}

export interface StoredWorkload {
  workload: string;
  state: ReadinessState | undefined;
  since: string | undefined;
  entries: Record<string, WorkloadEntry>;
  outbox: Record<string, OutboxEntry>;
  updatedAt: string | undefined;
  version: number;
}

export interface WorkloadWrite {
  workload: string;
  state: ReadinessState;
  since: string;
  entryKey: string;
  entry: WorkloadEntry;
  updatedAt: string;
  /** A transition to put in the outbox (already claimed by its writer). */
  outbox?: OutboxEntry | undefined;
  /** An outbox entry the new one replaces: removed in the same write, which fails if it is claimed otherwise. */
  supersedes?: { id: string; claimedBy: string } | undefined;
}

/** Takes a resource's entry out of its workload and sets the workload's state (see `retireFromWorkload`). */
export interface WorkloadEntryRemoval {
  workload: string;
  entryKey: string;
  state: ReadinessState;
  since: string;
  updatedAt: string;
  /** A transition to put in the outbox (already claimed by its writer). */
  outbox?: OutboxEntry | undefined;
}

/** A history item: a signal received (evidence), a resource's announced change, or a workload transition. */
export type HistoryRecord =
  | {
      kind: 'signal';
      workload: string;
      resourceKey: string;
      resource: ResourceRef;
      at: string;
      signalType: string;
      signalId: string;
      severity: string;
      summary: string;
      state: ReadinessState | null;
      evidence: Observation['evidence'];
      dryRun: boolean;
      correlationId: string;
    }
  | {
      kind: 'resource-transition';
      workload: string;
      resourceKey: string;
      resource: ResourceRef;
      at: string;
      from: ReadinessState | null;
      to: ReadinessState;
      version: number;
      reason: string;
      signalId: string;
    }
  | {
      /** A resource taken out of the workload (it belongs to another: `movedTo`). */
      kind: 'resource-retired';
      workload: string;
      resourceKey: string;
      resource: ResourceRef;
      at: string;
      lastState: ReadinessState;
      movedTo: string;
      version: number;
      reason: string;
    }
  | {
      kind: 'transition';
      workload: string;
      at: string;
      transitionId: string;
      from: ReadinessState | null;
      to: ReadinessState;
      resourceKey: string;
      reason: string;
      notifiedAt: string;
      messageId: string | null;
    };

/** An observation that confirms a resource's announced state (see {@link ReadinessStore.refreshResource}). */
export interface ResourceRefresh {
  workload: string;
  resource: ResourceRef;
  observation: Observation;
}

export interface ReadinessStore {
  getResource(workload: string, key: string): Promise<StoredResource | undefined>;
  /**
   * One conditional write, no read: holds `observation` as the resource's latest evidence and the cause of its
   * announced state, if the resource exists, is announced in the observation's state with no downgrade pending,
   * and holds no observation as new as this one. `false` (nothing written) otherwise: fold it the long way.
   * What it writes is what folding the observation would give (same state: nothing announced, nothing
   * pending), so it commutes with every other write of the resource and a redelivery is refused (the
   * observation is then no newer than the one held).
   */
  refreshResource(refresh: ResourceRefresh): Promise<boolean>;
  /** Writes a resource if its version is still `expectedVersion` (`undefined`: must not exist); returns the new version. */
  putResource(readiness: ResourceReadiness, expectedVersion: number | undefined): Promise<number>;
  listResources(workload: string): Promise<StoredResource[]>;
  getWorkload(workload: string): Promise<StoredWorkload | undefined>;
  listWorkloads(): Promise<StoredWorkload[]>;
  /** Writes a workload's entry and state if its version is still `expectedVersion`; returns the new version. */
  putWorkload(write: WorkloadWrite, expectedVersion: number | undefined): Promise<number>;
  /** Deletes a resource if its version is still `expectedVersion`. */
  deleteResource(workload: string, key: string, expectedVersion: number): Promise<void>;
  /** Removes a resource's entry from its workload if the workload's version is still `expectedVersion`. */
  removeWorkloadEntry(removal: WorkloadEntryRemoval, expectedVersion: number): Promise<number>;
  /** Deletes a workload left without resources if its version is still `expectedVersion`. */
  deleteWorkload(workload: string, expectedVersion: number): Promise<void>;
  /** Takes an outbox entry for `claimant` until `until` if it is unclaimed, expired or already theirs. */
  claimOutbox(workload: string, id: string, claimant: string, until: string, now: string): Promise<boolean>;
  completeOutbox(workload: string, id: string): Promise<void>;
  record(history: HistoryRecord): Promise<void>;
  /** History items of a workload from `since` on, oldest first. */
  listHistory(workload: string, since: string): Promise<HistoryRecord[]>;
}
