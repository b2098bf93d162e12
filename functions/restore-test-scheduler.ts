import { BackupClient } from '@aws-sdk/client-backup';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { parseRestoreTestSchedule } from '../events/backup/restore-test-schedule.ts';
import { createBackupAdapter } from '../src/adapters/backup.ts';
import { createRestoreRecords } from '../src/adapters/backup-restore-records.ts';
import { createEventBridgeSignalPublisher } from '../src/adapters/eventbridge-signals.ts';
import { restoreTestSchedulerEnv } from '../src/app/backup-restore-config.ts';
import { runScheduledRestoreTests } from '../src/app/restore-test-scheduler.ts';
import { createIdempotencyStore } from '../src/runtime/clients.ts';
import { loadConfig } from '../src/runtime/config.ts';
import { accountOf, createEventHandler } from '../src/runtime/handler.ts';
import { createLogger } from '../src/runtime/logger.ts';

/** Wiring only. In the primary Region the run is refused at once (restore tests run in the recovery Region). */
const config = loadConfig(process.env, restoreTestSchedulerEnv);
const logger = createLogger('restore-test-scheduler');
const dynamodb = new DynamoDBClient({});
const backupClient = new BackupClient({});
const backup = createBackupAdapter({ client: backupClient, copyJobClient: backupClient });
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

export const handler = createEventHandler({
  logger,
  parse: parseRestoreTestSchedule,
  idempotency: { persistenceStore },
  run: (event, context: Context) =>
    runScheduledRestoreTests(event, {
      backup,
      records,
      signals,
      clock,
      random: Math.random,
      dryRun: config.dryRun,
      selection: {
        algorithm: config.extra.RESTORE_TEST_SELECTION,
        windowDays: config.extra.RESTORE_TEST_WINDOW_DAYS,
        maxPerRun: config.extra.RESTORE_TEST_MAX_PER_RUN,
      },
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
    }),
});
