import { BackupClient } from '@aws-sdk/client-backup';
import { EC2Client } from '@aws-sdk/client-ec2';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { RDSClient } from '@aws-sdk/client-rds';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { createBackupAdapter } from '../adapters/backup.ts';
import { createRestoreRecords } from '../adapters/backup-restore-records.ts';
import { createLambdaValidatorInvoker } from '../adapters/lambda-validator.ts';
import type { RestoreSettings } from '../domain/restore-settings.ts';
import type { RestoreValidators } from '../domain/restore-validators.ts';
import type { RestoreValidatorInvoker } from '../ports/restore-validator.ts';
import { createIdempotencyStore } from '../runtime/clients.ts';
import type { BaseConfig } from '../runtime/config.ts';
import { createDynamoDbClient } from '../runtime/dynamodb-client.ts';
import { accountOf } from '../runtime/handler.ts';
import { createLogger } from '../runtime/logger.ts';
import { createRecordingSignalPublisher } from '../runtime/signals.ts';

/**
 * The validators and their invoker, at cold start. The function's loader has checked that every validator is in
 * the recovery Region (`checkValidatorRegions`).
 */
export function createValidatorWiring(extra: {
  RESTORE_VALIDATORS: RestoreValidators;
  RESTORE_VALIDATOR_TIMEOUT: number;
}): { functions: RestoreValidators; invoker: RestoreValidatorInvoker } {
  return {
    functions: extra.RESTORE_VALIDATORS,
    invoker: createLambdaValidatorInvoker({
      client: new LambdaClient({}),
      timeoutMs: extra.RESTORE_VALIDATOR_TIMEOUT * 1000,
    }),
  };
}

/**
 * The wiring the restore functions share (backup-restore, restore-test-scheduler, restore-validation, the
 * reconciler), built once per container from the function's loaded configuration (src/runtime/function-config.ts;
 * `extra`: its own variables): logger, SDK clients (the function's own use shares its DynamoDB, EC2 and RDS
 * clients), the Backup adapter, restore records, signal publisher and idempotency store, and the policy fields
 * common to all.
 * `copyJobsFromPrimary`: read copy jobs in the primary Region (they are visible only in the Region that ran them).
 */
export function createRestoreWiring<
  Config extends BaseConfig & { extra: { RESTORE_SETTINGS: RestoreSettings } },
>(functionName: string, config: Config, options: { copyJobsFromPrimary?: boolean } = {}) {
  const dynamodb = createDynamoDbClient();
  const backupClient = new BackupClient({});
  // One EC2 and one RDS client per container: the Backup adapter reads recovery points' tags with them, and the
  // functions that inspect restored resources (restore-validation, the reconciler) act on those with them too.
  const ec2 = new EC2Client({});
  const rds = new RDSClient({});
  const clock = () => new Date();
  return {
    config,
    logger: createLogger(functionName),
    dynamodb,
    ec2,
    rds,
    clock,
    backup: createBackupAdapter({
      client: backupClient,
      // The primary Region's client is constructed on the first copy job read, not at cold start.
      copyJobClient: options.copyJobsFromPrimary
        ? () => new BackupClient({ region: config.primaryRegion })
        : backupClient,
      // Workload, RPO and RTO of EC2, EBS, RDS and Aurora recovery points: the tags on the AMI or snapshot.
      resourceTags: { ec2, rds },
    }),
    records: createRestoreRecords({
      client: DynamoDBDocumentClient.from(dynamodb),
      tableName: config.readinessTableName,
      clock,
    }),
    // Restores, restore tests and their validation are evidence: recorded before they are signalled.
    signals: createRecordingSignalPublisher(config, functionName, dynamodb),
    persistenceStore: createIdempotencyStore(config.idempotencyTableName, dynamodb),
    /** The policy fields every restore function has, for the invocation's account. */
    basePolicy(context: Context) {
      return {
        account: accountOf(context),
        region: config.region,
        primaryRegion: config.primaryRegion,
        regionRole: config.regionRole,
        settings: config.extra.RESTORE_SETTINGS,
        defaultRpoSeconds: config.defaultRpoSeconds,
        defaultRtoSeconds: config.defaultRtoSeconds,
      };
    },
  };
}
