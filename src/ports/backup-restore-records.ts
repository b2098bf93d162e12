/**
 * dr-autopilot's memory of the restores it follows: the restores it started (the proof, with the idempotency
 * token, that a restore job is ours) and restore-testing-plan jobs under validation. Stored in the readiness
 * table under the detector's own partition (`detector#backup-restore`).
 */
import { ConflictError } from '../domain/errors.ts';
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

/**
 * One invocation's hold on a restore job for one step (a validation, a cleanup round): two deliveries of one job
 * that overlap (its COMPLETED event and the sweep, or the event re-emitted under a new id) must not both act.
 */
export interface RestoreJobClaim {
  /** Unique to the invocation's step. */
  holder: string;
  /** Epoch milliseconds after which another invocation may take the job (its holder is then surely gone). */
  until: number;
}

export type RestoreClaimResult =
  | { claimed: true; record: RestoreRecord }
  | { claimed: false; heldBy: string; until: number };

export interface RestoreRecords {
  get(restoreJobId: string): Promise<RestoreRecord | undefined>;
  /**
   * Creates or replaces the record of one restore job. With `claim`: only while that claim still holds the job
   * (kept on the record), else `RestoreClaimLostError`.
   */
  put(record: RestoreRecord, claim?: RestoreJobClaim): Promise<void>;
  /**
   * Takes the job unless another holds a claim that has not expired at `now`: the record as it is once claimed
   * (read in the same write), or who holds it. Without a record, `initial` is created, claimed.
   */
  claim(
    restoreJobId: string,
    claim: RestoreJobClaim,
    now: Date,
    initial?: RestoreRecord,
  ): Promise<RestoreClaimResult>;
  /** Gives the job back, if `claim` still holds it. */
  release(restoreJobId: string, claim: RestoreJobClaim): Promise<void>;
  /** Creates the record of a restore job unless one exists (kept as it is): whether it was created. */
  create(record: RestoreRecord): Promise<boolean>;
  /** Claims a token if nobody has: `undefined` when this call claimed it, else the existing claim. */
  claimToken(claim: RestoreTokenClaim): Promise<RestoreTokenClaim | undefined>;
  /** Replaces a token claim (with what the restore it guards has reached). */
  updateTokenClaim(claim: RestoreTokenClaim): Promise<void>;
  /** Records still validating or cleaning up, page by page. */
  listOpen(): AsyncIterable<RestoreRecord[]>;
}

/** A write of a claimed step found the job's claim gone or taken by another (it outlived its expiry). */
export class RestoreClaimLostError extends ConflictError {}
