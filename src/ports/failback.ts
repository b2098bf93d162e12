import type { FailbackDeclaration } from '../domain/reverse-replication.ts';

/** People's declarations that a failback is real (rule 2), by workload. Written by `npm run failback`. */
export interface FailbackDeclarations {
  get(workload: string): Promise<FailbackDeclaration | undefined>;
}

/**
 * A reversal that DRS refused with ConflictException while the recovery instance was not yet replicating
 * (its agent still starting): the launch event that asked for it, kept so that a later retry re-decides on
 * the same facts through the same use case, and the deadline after which on-call is told.
 */
export interface PendingReversal {
  recoveryInstanceId: string;
  /** The Launch Result event, verbatim (already schema-checked when it was recorded). */
  event: unknown;
  firstConflictAt: string;
  retryUntil: string;
  attempts: number;
}

export interface PendingReversals {
  /** Records (or refreshes) a pending reversal; keeps the first conflict time and deadline of an existing one. */
  record(pending: PendingReversal): Promise<void>;
  list(): Promise<PendingReversal[]>;
  remove(recoveryInstanceId: string): Promise<void>;
}
