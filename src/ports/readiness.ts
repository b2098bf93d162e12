import type { ReadinessState } from '../../events/dr-autopilot/signal.ts';
import { RetryableDependencyError } from '../domain/errors.ts';
import type {
  Observation,
  ResourceReadiness,
  ResourceRef,
  StateCounts,
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
  /**
   * Whether the item carries the keys of the workload's open-resources index for its state (an item written
   * before the index did not: the sweep rewrites it).
   */
  indexed: boolean;
}

/** A committed transition waiting to be announced, claimed by one sender at a time. */
export interface OutboxEntry {
  transition: WorkloadTransition;
  claimedBy: string;
  claimedUntil: string;
}

/** The history item of a transition once sent. */
export type TransitionRecord = Extract<HistoryRecord, { kind: 'transition' }>;

export interface StoredWorkload {
  workload: string;
  state: ReadinessState | undefined;
  since: string | undefined;
  /** How many resources are in each announced state (an item written before counts: counted from its entries). */
  counts: StateCounts;
  /** The item was written before counts (it holds one entry per resource): the next write of it drops them. */
  legacy: boolean;
  outbox: Record<string, OutboxEntry>;
  /**
   * Transitions sent whose history item is still held here: sending one clears its outbox entry and records it in
   * the same write; the next change of the workload moves them to history items.
   */
  notified: TransitionRecord[];
  updatedAt: string | undefined;
  version: number;
}

/** A write of a workload item, conditional on its version (`expectedVersion` undefined: it must not exist). */
export interface WorkloadWrite {
  workload: string;
  expectedVersion: number | undefined;
  state: ReadinessState;
  since: string;
  counts: StateCounts;
  updatedAt: string;
  /** A transition to put in the outbox (already claimed by its writer). */
  outbox?: OutboxEntry | undefined;
  /** An outbox entry the new one replaces: removed in the same write, which fails if it is claimed otherwise. */
  supersedes?: { id: string; claimedBy: string } | undefined;
  /** Sent transitions held on the item (see {@link StoredWorkload.notified}) moved to history items by this write. */
  archive?: TransitionRecord[] | undefined;
}

/**
 * One atomic change (a DynamoDB transaction): a resource written or removed (conditional on its version), the
 * write or removal of its workload that goes with it (conditional on the workload's version), and the history
 * items that say so. Nothing is written if any condition fails ({@link ReadinessVersionConflictError}).
 */
export interface ReadinessChange {
  resource?:
    | { put: ResourceReadiness; expectedVersion: number | undefined }
    | { remove: { workload: string; key: string }; expectedVersion: number }
    | undefined;
  workload?: WorkloadWrite | { remove: string; expectedVersion: number } | undefined;
  history: HistoryRecord[];
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
  /** A resource and its workload, read together and consistently (one request). */
  getResourceAndWorkload(
    workload: string,
    key: string,
  ): Promise<{ resource: StoredResource | undefined; workload: StoredWorkload | undefined }>;
  /**
   * One conditional write, no read: holds `observation` as the resource's latest evidence and the cause of its
   * announced state, if the resource exists, is announced in the observation's state with no downgrade pending,
   * and holds no observation as new as this one. `false` (nothing written) otherwise: fold it the long way.
   * What it writes is what folding the observation would give (same state: nothing announced, nothing
   * pending), so it commutes with every other write of the resource and a redelivery is refused (the
   * observation is then no newer than the one held).
   */
  refreshResource(refresh: ResourceRefresh): Promise<boolean>;
  /** Writes a resource whose announced state does not change if its version is still `expectedVersion`. */
  putResource(readiness: ResourceReadiness, expectedVersion: number | undefined): Promise<number>;
  /** Applies a change atomically; returns the resource's new version (0 when removed or absent). */
  commit(change: ReadinessChange): Promise<number>;
  listResources(workload: string): Promise<StoredResource[]>;
  /**
   * The workload's resources that are not READY, worst first, then the longest in their state (as messages list
   * them): at most `limit`, from an index (eventually consistent, like any secondary index).
   */
  listOpenResources(workload: string, limit: number): Promise<StoredResource[]>;
  getWorkload(workload: string): Promise<StoredWorkload | undefined>;
  listWorkloads(): Promise<StoredWorkload[]>;
  /** Takes an outbox entry for `claimant` until `until` if it is unclaimed, expired or already theirs. */
  claimOutbox(workload: string, id: string, claimant: string, until: string, now: string): Promise<boolean>;
  /**
   * Clears a sent outbox entry and holds its history record on the workload item, in one write; done already
   * (the entry gone: an earlier attempt, or another sender) is success. Safe to repeat.
   */
  completeOutbox(workload: string, id: string, record: TransitionRecord): Promise<void>;
  record(history: HistoryRecord): Promise<void>;
  /** History items of a workload from `since` on, oldest first (sent transitions still held on it included). */
  listHistory(workload: string, since: string): Promise<HistoryRecord[]>;
}
