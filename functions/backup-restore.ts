import { BackupClient } from '@aws-sdk/client-backup';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { backupJobStateChange } from '../events/backup/backup-job-state-change.ts';
import { copyJobStateChange } from '../events/backup/copy-job-state-change.ts';
import { createBackupAdapter } from '../src/adapters/backup.ts';
import { createRestoreRecords } from '../src/adapters/backup-restore-records.ts';
import { createEventBridgeSignalPublisher } from '../src/adapters/eventbridge-signals.ts';
import { restoreAfterBackup, restoreAfterCopy } from '../src/app/backup-restore.ts';
import { backupRestoreEnv } from '../src/app/backup-restore-config.ts';
import { createIdempotencyStore } from '../src/runtime/clients.ts';
import { loadConfig } from '../src/runtime/config.ts';
import { accountOf, createEventHandler } from '../src/runtime/handler.ts';
import { createLogger } from '../src/runtime/logger.ts';

/** Wiring only. Meaningful in the recovery Region; in the primary Region nothing forwards events to it. */
const config = loadConfig(process.env, backupRestoreEnv);
const logger = createLogger('backup-restore');
const dynamodb = new DynamoDBClient({});
const backup = createBackupAdapter({
  client: new BackupClient({}),
  // Cross-Region copy jobs are visible only in the Region that ran them: the primary Region.
  copyJobClient: new BackupClient({ region: config.primaryRegion }),
});
const clock = () => new Date();
const records = createRestoreRecords({
  client: DynamoDBDocumentClient.from(dynamodb),
  tableName: config.readinessTableName,
  clock,
});
const signals = createEventBridgeSignalPublisher({
  client: new EventBridgeClient({}),
  eventBusName: config.eventBusName,
});
const persistenceStore = createIdempotencyStore(config.idempotencyTableName, dynamodb);

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
  idempotency: { persistenceStore },
  run: (event, context: Context) => {
    const deps = {
      backup,
      records,
      signals,
      clock,
      dryRun: config.dryRun,
      policy: {
        account: accountOf(context),
        region: config.region,
        primaryRegion: config.primaryRegion,
        regionRole: config.regionRole,
        vaultName: config.extra.DR_VAULT_NAME,
        restoreRoleArn: config.extra.RESTORE_ROLE_ARN,
        settings: config.extra.RESTORE_SETTINGS,
        defaultRpoSeconds: config.defaultRpoSeconds,
        defaultRtoSeconds: config.defaultRtoSeconds,
      },
    };
    return event['detail-type'] === backupJobStateChange.detailType
      ? restoreAfterBackup(event as ReturnType<typeof backupJobStateChange.parse>, deps)
      : restoreAfterCopy(event as ReturnType<typeof copyJobStateChange.parse>, deps);
  },
});
