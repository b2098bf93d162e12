import type { Context } from 'aws-lambda';
import { backupJobStateChange } from '../events/backup/backup-job-state-change.ts';
import { copyJobStateChange } from '../events/backup/copy-job-state-change.ts';
import { restoreAfterBackup, restoreAfterCopy } from '../src/app/backup-restore.ts';
import { createRestoreWiring } from '../src/app/backup-restore-wiring.ts';
import { configForBackupRestore } from '../src/runtime/configs/backup-restore.ts';
import { createEventHandler } from '../src/runtime/handler.ts';
import { idempotencyGuard } from '../src/runtime/idempotency.ts';

/** Wiring only. Meaningful in the recovery Region; in the primary Region nothing forwards events to it. */
const { config, logger, backup, records, signals, clock, persistenceStore, basePolicy } = createRestoreWiring(
  'backup-restore',
  configForBackupRestore(process.env),
  // Cross-Region copy jobs are visible only in the Region that ran them: the primary Region.
  { copyJobsFromPrimary: true },
);

type BackupEvent =
  | ReturnType<typeof copyJobStateChange.parse>
  | ReturnType<typeof backupJobStateChange.parse>;

function parse(input: unknown): BackupEvent {
  const detailType =
    typeof input === 'object' && input !== null
      ? (input as Record<string, unknown>)['detail-type']
      : undefined;
  return detailType === backupJobStateChange.detailType
    ? backupJobStateChange.parse(input)
    : copyJobStateChange.parse(input);
}

export const handler = createEventHandler({
  logger,
  parse,
  // Copy events are forwarded from the primary Region; the app then admits Backup Job events from this Region only.
  origin: { region: config.region, alsoFromRegions: [config.primaryRegion] },
  // In-progress window: IN_PROGRESS_SECONDS. A duplicate run after it meets the restore token's conditional claim
  // and AWS Backup's own IdempotencyToken: one restore job.
  idempotency: idempotencyGuard({ persistenceStore }),
  run: (event, context: Context) => {
    const deps = {
      backup,
      records,
      signals,
      clock,
      dryRun: config.dryRun,
      policy: {
        ...basePolicy(context),
        vaultName: config.extra.DR_VAULT_NAME,
        restoreRoleArn: config.extra.RESTORE_ROLE_ARN,
      },
    };
    return event['detail-type'] === backupJobStateChange.detailType
      ? restoreAfterBackup(event as ReturnType<typeof backupJobStateChange.parse>, deps)
      : restoreAfterCopy(event as ReturnType<typeof copyJobStateChange.parse>, deps);
  },
});
