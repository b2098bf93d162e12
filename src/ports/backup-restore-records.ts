/**
 * dr-autopilot's memory of the restores it follows: the restores it started (the proof, with the idempotency
 * token, that a restore job is ours) and restore-testing-plan jobs under validation. Stored in the readiness
 * table under the detector's own partition (`detector#backup-restore`).
 */
import type { ValidatorResult } from '../domain/restore-validators.ts';
import type { Measurements } from '../domain/restore-verdict.ts';
import type { TagTarget } from './restored-resources.ts';

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
  /** The checks behind the verdict and its measurements, kept from the verdict until the result is signalled. */
  checks?: string | undefined;
  measurements?: Measurements | undefined;
  /** The workload's own validator's verdict, checks and evidence, when one was asked (kept with the verdict). */
  customValidation?: ValidatorResult | undefined;
  /**
   * `false` from the verdict until the `Restore Test Result` signal went out: a retry after a failure in
   * between (cleanup already done) signals the stored verdict instead of validating a deleted resource again.
   * Absent on records written before this field existed (they were signalled).
   */
  resultSignalled?: boolean | undefined;
  /**
   * Cleanup: what the restore created and dr-autopilot owns (tagged for this job), remembered from the first
   * round on, so a cleanup finishes even once the restored resource no longer lists them (a terminated EC2
   * instance lists no volumes); what the cleanup waits for; what it has deleted so far; what it refused.
   */
  cleanupTargets?: TagTarget[] | undefined;
  cleanupWaiting?: string | undefined;
  cleanupDeleted?: string[] | undefined;
  cleanupRefused?: string | undefined;
  correlationId: string;
}

/** The claim of a StartRestoreJob idempotency token, written before the call (AWS tokens may time out). */
export interface RestoreTokenClaim {
  token: string;
  recoveryPointArn: string;
  runId: string;
  /** Set once StartRestoreJob answered. */
  restoreJobId?: string | undefined;
  mode?: 'test' | 'keep' | undefined;
  /** Set once the job is recorded and `Restore Started` went out. */
  signalled?: boolean | undefined;
}

export interface RestoreRecords {
  get(restoreJobId: string): Promise<RestoreRecord | undefined>;
  /** Creates or replaces the record of one restore job. */
  put(record: RestoreRecord): Promise<void>;
  /** Creates the record of a restore job unless one exists (kept as it is): whether it was created. */
  create(record: RestoreRecord): Promise<boolean>;
  /** Claims a token if nobody has: `undefined` when this call claimed it, else the existing claim. */
  claimToken(claim: RestoreTokenClaim): Promise<RestoreTokenClaim | undefined>;
  /** Replaces a token claim (with what the restore it guards has reached). */
  updateTokenClaim(claim: RestoreTokenClaim): Promise<void>;
  /** Records still validating or cleaning up, page by page. */
  listOpen(): AsyncIterable<RestoreRecord[]>;
}
