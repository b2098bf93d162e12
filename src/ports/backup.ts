/**
 * What dr-autopilot reads from and asks of AWS Backup, in its own terms (service model 2018-11-15).
 * Absent values stay `undefined`, never guessed.
 */
export interface RecoveryPoint {
  recoveryPointArn: string;
  backupVaultName: string;
  resourceArn?: string | undefined;
  resourceType?: string | undefined;
  status?: string | undefined;
  creationDate?: Date | undefined;
  completionDate?: Date | undefined;
  backupSizeInBytes?: number | undefined;
  /** Set on copies: the vault the point was copied from (absent for a backup made into this vault). */
  sourceBackupVaultArn?: string | undefined;
}

export interface CopyJob {
  copyJobId: string;
  state?: string | undefined;
  destinationBackupVaultArn?: string | undefined;
  destinationRecoveryPointArn?: string | undefined;
  resourceArn?: string | undefined;
  resourceType?: string | undefined;
}

export interface RestoreJob {
  restoreJobId: string;
  status?: string | undefined;
  statusMessage?: string | undefined;
  recoveryPointArn?: string | undefined;
  sourceResourceArn?: string | undefined;
  backupVaultArn?: string | undefined;
  createdResourceArn?: string | undefined;
  resourceType?: string | undefined;
  creationDate?: Date | undefined;
  completionDate?: Date | undefined;
  recoveryPointCreationDate?: Date | undefined;
  backupSizeInBytes?: number | undefined;
  /** Set when a restore testing plan started the job. */
  restoreTestingPlanArn?: string | undefined;
  /** Once set it cannot be changed (PutRestoreValidationResult). */
  validationStatus?: string | undefined;
}

export interface StartRestoreInput {
  recoveryPointArn: string;
  resourceType: string;
  metadata: Record<string, string>;
  iamRoleArn: string;
  idempotencyToken: string;
}

/** Read-only AWS Backup queries, in this deployment's Region (except `describeCopyJob`, see below). */
export interface BackupReader {
  /** A copy job, asked in the Region that ran it (the copy's *source* Region). */
  describeCopyJob(copyJobId: string): Promise<CopyJob | undefined>;
  describeRecoveryPoint(vaultName: string, recoveryPointArn: string): Promise<RecoveryPoint | undefined>;
  /** The newest recovery point of a resource in a vault. */
  newestRecoveryPointOf(vaultName: string, resourceArn: string): Promise<RecoveryPoint | undefined>;
  /** Every recovery point in a vault created after `createdAfter`, page by page. */
  listRecoveryPoints(vaultName: string, createdAfter: Date): AsyncIterable<RecoveryPoint[]>;
  /**
   * GetRecoveryPointRestoreMetadata: the configuration the resource was backed up with (source-Region values);
   * for EC2 it carries `BlockDeviceMappings` (a JSON string), which the inferred metadata lacks.
   */
  originalRestoreMetadata(vaultName: string, recoveryPointArn: string): Promise<Record<string, string>>;
  /** GetRestoreTestingInferredMetadata: the minimal metadata for a restore with secure defaults. */
  inferredRestoreMetadata(vaultName: string, recoveryPointArn: string): Promise<Record<string, string>>;
  /** The recovery point's tags; `{}` for service-ARN recovery points, which AWS Backup cannot tag. */
  recoveryPointTags(recoveryPointArn: string): Promise<Record<string, string>>;
  describeRestoreJob(restoreJobId: string): Promise<RestoreJob | undefined>;
}

/** Restore jobs of this Region, for the reconciler (ListRestoreJobs). */
export interface RestoreJobHistory {
  /** Jobs in `status` that completed after `completedAfter`, page by page. */
  listRestoreJobs(filter: { status: string; completedAfter: Date }): AsyncIterable<RestoreJob[]>;
}

/** The changing AWS Backup calls dr-autopilot makes. */
export interface BackupRestoreControl {
  startRestoreJob(input: StartRestoreInput): Promise<{ restoreJobId: string }>;
  putRestoreValidationResult(
    restoreJobId: string,
    status: 'SUCCESSFUL' | 'FAILED' | 'TIMED_OUT',
    message: string,
  ): Promise<void>;
}
