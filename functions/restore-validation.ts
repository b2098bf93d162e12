import { BackupClient } from '@aws-sdk/client-backup';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { EFSClient } from '@aws-sdk/client-efs';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { RDSClient } from '@aws-sdk/client-rds';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { restoreJobStateChange } from '../events/backup/restore-job-state-change.ts';
import { parseRestoreTestSchedule } from '../events/backup/restore-test-schedule.ts';
import { createBackupAdapter } from '../src/adapters/backup.ts';
import { createRestoreRecords } from '../src/adapters/backup-restore-records.ts';
import { createEventBridgeSignalPublisher } from '../src/adapters/eventbridge-signals.ts';
import { createRestoredResourceHandlers } from '../src/adapters/restored-resources.ts';
import { restoreValidationEnv } from '../src/app/backup-restore-config.ts';
import {
  type SweepOutcome,
  sweepOpenRestores,
  type ValidationOutcome,
  validateRestoreJob,
} from '../src/app/restore-validation.ts';
import { createIdempotencyStore } from '../src/runtime/clients.ts';
import { loadConfig } from '../src/runtime/config.ts';
import { accountOf, createEventHandler } from '../src/runtime/handler.ts';
import { createLogger } from '../src/runtime/logger.ts';

/** Wiring only: *Restore Job State Change* events, and the sweep schedule that moves open restores forward. */
const config = loadConfig(process.env, restoreValidationEnv);
const logger = createLogger('restore-validation');
const dynamodb = new DynamoDBClient({});
const backupClient = new BackupClient({});
const clock = () => new Date();
const deps = {
  backup: createBackupAdapter({ client: backupClient, copyJobClient: backupClient }),
  records: createRestoreRecords({
    client: DynamoDBDocumentClient.from(dynamodb),
    tableName: config.readinessTableName,
    clock,
  }),
  handlers: createRestoredResourceHandlers({
    dynamodb,
    rds: new RDSClient({}),
    ec2: new EC2Client({}),
    efs: new EFSClient({}),
    s3: new S3Client({}),
  }),
  signals: createEventBridgeSignalPublisher({
    client: new EventBridgeClient({}),
    eventBusName: config.eventBusName,
  }),
  clock,
  dryRun: config.dryRun,
};
const persistenceStore = createIdempotencyStore(config.idempotencyTableName, dynamodb);

type Input =
  | { kind: 'restore'; event: ReturnType<typeof restoreJobStateChange.parse> }
  | { kind: 'sweep'; event: ReturnType<typeof parseRestoreTestSchedule> };

function parse(input: unknown): Input & { id: string } {
  const source =
    typeof input === 'object' && input !== null ? (input as Record<string, unknown>).source : undefined;
  if (source === 'aws.events') {
    const event = parseRestoreTestSchedule(input);
    return { kind: 'sweep', event, id: event.id };
  }
  const event = restoreJobStateChange.parse(input);
  return { kind: 'restore', event, id: event.id };
}

export const handler = createEventHandler({
  logger,
  parse,
  idempotency: { persistenceStore },
  run: (input, context: Context): Promise<ValidationOutcome | SweepOutcome> => {
    const policy = {
      account: accountOf(context),
      region: config.region,
      primaryRegion: config.primaryRegion,
      regionRole: config.regionRole,
      settings: config.extra.RESTORE_SETTINGS,
      defaultRpoSeconds: config.defaultRpoSeconds,
      defaultRtoSeconds: config.defaultRtoSeconds,
      validationWindowSeconds: config.extra.RESTORE_VALIDATION_WINDOW,
      maxPerSweep: config.extra.RESTORE_SWEEP_MAX,
    };
    return input.kind === 'sweep'
      ? sweepOpenRestores(input.event, { ...deps, policy })
      : validateRestoreJob(input.event, { ...deps, policy });
  },
});
