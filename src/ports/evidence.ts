import type { EvidenceRecord, EvidenceTrigger } from '../domain/evidence.ts';

/** The evidence ledger: immutable records of what dr-autopilot (or a person through its tools) did and saw. */
export interface EvidenceLedger {
  /**
   * Writes each record once. A record whose id is already there is left as it is (records are immutable, and
   * a retried or concurrent writer derives the same id): that is success, not an error.
   */
  record(records: readonly EvidenceRecord[]): Promise<void>;
  /** Whether a record with this id is there (a strongly consistent read). */
  has(id: string): Promise<boolean>;
  /**
   * What caused the record with this id (a strongly consistent read), `undefined` when there is none: the
   * reconciler tells a reversal its own hand-over made from one an event path made.
   */
  triggerOf(id: string): Promise<EvidenceTrigger | undefined>;
  /** Every record that occurred in `[since, until)`, of one workload or all, in no particular order. */
  list(query: {
    since: string;
    until?: string | undefined;
    workload?: string | undefined;
  }): Promise<EvidenceRecord[]>;
}
