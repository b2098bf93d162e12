import { BackupClient } from '@aws-sdk/client-backup';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { RDSClient } from '@aws-sdk/client-rds';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { createBackupAdapter } from '../adapters/backup.ts';
import { createRestoreRecords } from '../adapters/backup-restore-records.ts';
import { createLambdaValidatorInvoker } from '../adapters/lambda-validator.ts';
import { ConfigError } from '../domain/errors.ts';
import {
  positiveDurationEnv,
  restoreRoleArnEnv,
  restoreSettingsEnv,
  vaultNameEnv,
} from '../domain/restore-settings.ts';
import {
  type RestoreValidators,
  restoreValidatorsEnv,
  validatorRegion,
} from '../domain/restore-validators.ts';
import type { RestoreValidatorInvoker } from '../ports/restore-validator.ts';
import { createIdempotencyStore } from '../runtime/clients.ts';
import { loadConfig } from '../runtime/config.ts';
import { accountOf } from '../runtime/handler.ts';
import { createLogger } from '../runtime/logger.ts';
import { createRecordingSignalPublisher } from '../runtime/signals.ts';

/**
 * The restore functions' own environment variables (validated by `loadConfig(env, extra)`, so a bad value is a
 * ConfigError naming the variable at cold start).
 */
const integer = (fallback: number, min: number, max: number) =>
  z
    .string()
    .default(String(fallback))
    .refine((value) => /^\d+$/.test(value) && Number(value) >= min && Number(value) <= max, {
      message: `must be a whole number from ${min} to ${max}`,
    })
    .transform(Number);

export const backupRestoreEnv = z.object({
  DR_VAULT_NAME: vaultNameEnv,
  RESTORE_ROLE_ARN: restoreRoleArnEnv,
  RESTORE_SETTINGS: restoreSettingsEnv,
});

export const restoreTestSchedulerEnv = backupRestoreEnv.extend({
  RESTORE_TEST_SELECTION: z
    .enum(['latest', 'random'], { error: 'must be "latest" or "random"' })
    .default('latest'),
  RESTORE_TEST_WINDOW_DAYS: integer(7, 1, 365),
  RESTORE_TEST_MAX_PER_RUN: integer(20, 1, 100),
  /** A resource left out of a run while its last test is older than this is overdue: on-call is told. */
  RESTORE_TEST_OVERDUE_AFTER: positiveDurationEnv('P14D'),
});

/** Workloads' own validators (docs/restore-tests.md): which function per workload, and how long to wait for one. */
export const restoreValidatorsEnvs = {
  RESTORE_VALIDATORS: restoreValidatorsEnv,
  RESTORE_VALIDATOR_TIMEOUT: positiveDurationEnv('PT30S').refine((seconds) => seconds <= 120, {
    message: 'must be at most PT2M (validation runs inside the restore-validation function)',
  }),
};

export const restoreValidationEnv = z.object({
  RESTORE_SETTINGS: restoreSettingsEnv,
  RESTORE_VALIDATION_WINDOW: positiveDurationEnv('PT3H'),
  RESTORE_SWEEP_MAX: integer(25, 1, 200),
  ...restoreValidatorsEnvs,
});

/**
 * The validators and their invoker, at cold start. Validation runs in the recovery Region, so a validator given
 * as an ARN of another Region is a configuration error naming it (Lambda invokes a function in its own Region).
 */
export function createValidatorWiring(
  config: { recoveryRegion: string },
  extra: { RESTORE_VALIDATORS: RestoreValidators; RESTORE_VALIDATOR_TIMEOUT: number },
): { functions: RestoreValidators; invoker: RestoreValidatorInvoker } {
  for (const [workload, fn] of Object.entries(extra.RESTORE_VALIDATORS)) {
    const region = validatorRegion(fn);
    if (region !== undefined && region !== config.recoveryRegion) {
      throw new ConfigError(
        `invalid configuration: RESTORE_VALIDATORS ${JSON.stringify(workload)} names ${fn}, in ${region}; validators must be in the recovery Region ${config.recoveryRegion}`,
      );
    }
  }
  return {
    functions: extra.RESTORE_VALIDATORS,
    invoker: createLambdaValidatorInvoker({
      client: new LambdaClient({}),
      timeoutMs: extra.RESTORE_VALIDATOR_TIMEOUT * 1000,
    }),
  };
}

/**
 * The wiring the restore functions share (backup-restore, restore-test-scheduler, restore-validation), built
 * once per container: the config (`extra`: the function's own variables), logger, SDK clients, the Backup
 * adapter, restore records, signal publisher and idempotency store, and the policy fields common to all three.
 * `copyJobsFromPrimary`: read copy jobs in the primary Region (they are visible only in the Region that ran them).
 */
export function createRestoreWiring<
  Extra extends z.ZodObject<{ RESTORE_SETTINGS: typeof restoreSettingsEnv }>,
>(functionName: string, extra: Extra, options: { copyJobsFromPrimary?: boolean } = {}) {
  const config = loadConfig(process.env, extra);
  const dynamodb = new DynamoDBClient({});
  const backupClient = new BackupClient({});
  const clock = () => new Date();
  return {
    config,
    logger: createLogger(functionName),
    dynamodb,
    clock,
    backup: createBackupAdapter({
      client: backupClient,
      copyJobClient: options.copyJobsFromPrimary
        ? new BackupClient({ region: config.primaryRegion })
        : backupClient,
      // Workload, RPO and RTO of EC2, EBS, RDS and Aurora recovery points: the tags on the AMI or snapshot.
      resourceTags: { ec2: new EC2Client({}), rds: new RDSClient({}) },
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
