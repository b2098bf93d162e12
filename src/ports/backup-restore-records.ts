/**
 * dr-autopilot's memory of the restores it follows: the restores it started (the proof, with the idempotency
 * token, that a restore job is ours) and restore-testing-plan jobs under validation. Stored in the readiness
 * table under the detector's own partition (`detector#backup-restore`).
 */
export type RestoreOwner = 'dr-autopilot' | 'restore-testing-plan';
export type RestorePurpose = 'copy' | 'scheduled-test' | 'restore-testing-plan';
/** started → validating → cleaning → done. */
export type RestorePhase = 'started' | 'validating' | 'cleaning' | 'done';

export interface RestoreRecord {
  restoreJobId: string;
  owner: RestoreOwner;
  purpose: RestorePurpose;
  /** `test`: deleted after validation; `keep`: kept as warm-standby data. */
  mode: 'test' | 'keep';
  runId: string;
  recoveryPointArn: string;
  resourceType: string;
  sourceResourceArn?: string | undefined;
  /** The unique name dr-autopilot asked for (table, DB identifier, bucket, creation token), if any. */
  requestedName?: string | undefined;
  idempotencyToken?: string | undefined;
  workload: string;
  rtoSeconds: number;
  rpoSeconds: number;
  startedAt: string;
  phase: RestorePhase;
  validationDeadline?: string | undefined;
  validationReported?: boolean | undefined;
  verdict?: string | undefined;
  correlationId: string;
}

export interface RestoreRecords {
  get(restoreJobId: string): Promise<RestoreRecord | undefined>;
  /** Creates or replaces the record of one restore job. */
  put(record: RestoreRecord): Promise<void>;
  /** Records still validating or cleaning up, page by page. */
  listOpen(): AsyncIterable<RestoreRecord[]>;
}
