import * as z from 'zod';
import { DEFAULT_ALARM_NAME_PREFIX } from '../../events/cloudwatch/alarm-state-change.ts';
import {
  backupRestoreEnv,
  checkValidatorRegions,
  restoreTestSchedulerEnv,
  restoreValidationEnv,
  restoreValidatorsEnvs,
} from '../app/backup-restore-config.ts';
import { historyRetentionSeconds, readinessEnvSchema, readinessPolicyFrom } from '../app/readiness-config.ts';
import { replicationMonitorEnv } from '../app/replication-monitor-config.ts';
import { positiveDurationEnv } from '../domain/restore-settings.ts';
import { envFlag, loadConfig } from './config.ts';

/**
 * Every function's configuration, read from an environment: the configuration contract plus the function's own
 * variables (`loadConfig`) and whatever else it derives from them at cold start. One loader per function, the
 * only code that reads its environment: the function calls it with `process.env` at cold start, and
 * `npm run check-config` (and the `osls package` plugin) calls it with the environment a deployment would get,
 * so a setting that would break a function's cold start fails the check first, with the same message.
 * Side-effect free: no SDK client, no I/O.
 */
export type Env = Record<string, string | undefined>;

export const alarmReadinessEnv = z.object({
  ALARM_NAME_PREFIX: z
    .string()
    .trim()
    .min(1)
    .regex(/^[^:]+$/, 'must not contain ":"')
    .default(DEFAULT_ALARM_NAME_PREFIX),
});

export const evidenceExportEnv = z.object({
  EVIDENCE_EXPORT_BUCKET: z
    .string()
    .trim()
    .regex(/^$|^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name, or empty (export off)')
    .default(''),
  EVIDENCE_EXPORT_PREFIX: z
    .string()
    .trim()
    .regex(
      /^[A-Za-z0-9!_.*'()/-]{1,200}$/,
      'must be a non-empty S3 key prefix (the IAM grant is scoped to it)',
    )
    .refine((prefix) => !prefix.endsWith('/'), 'must not end with a slash')
    .default('dr-autopilot-evidence'),
  STAGE: z.string().trim().min(1, 'must not be empty'),
});

export const failbackLifecycleEnv = z.object({
  LIFECYCLE_UNPROTECTED_ALERT_AFTER: positiveDurationEnv('PT1H'),
  DRILL_MAX_AGE: positiveDurationEnv('PT24H'),
  TERMINATE_DRILL_INSTANCES: envFlag(false),
});

/** `reversalOriginAccounts`: a comma-separated list of 12-digit account IDs, or empty. */
const accountListEnv = z
  .string()
  .default('')
  .refine(
    (value) => value.trim() === '' || value.split(',').every((id) => /^\d{12}$/.test(id.trim())),
    'must be empty or a comma-separated list of 12-digit AWS account IDs, such as 111122223333,444455556666',
  )
  .transform((value) =>
    value
      .split(',')
      .map((id) => id.trim())
      .filter((id) => id !== ''),
  );

export const reverseReplicationEnv = z.object({
  REVERSE_FAILBACK_INSTANCES: envFlag(false),
  REVERSAL_ORIGIN_ACCOUNTS: accountListEnv,
  REVERSAL_RETRY_FOR: positiveDurationEnv('PT1H'),
});

/** The reconciler's own variables, and those of the use cases it hands work to (same stage parameters). */
export const reconcilerEnv = backupRestoreEnv.extend({
  RECONCILER_LOOKBACK: positiveDurationEnv('P2D'),
  RECONCILER_GRACE: positiveDurationEnv('PT30M'),
  RECONCILER_CLEANUP_OVERDUE: positiveDurationEnv('PT6H'),
  RECONCILER_CONCURRENCY: z
    .string()
    .default('4')
    .refine((value) => /^\d+$/.test(value) && Number(value) >= 1 && Number(value) <= 20, {
      message: 'must be a whole number from 1 to 20',
    })
    .transform(Number),
  RESTORE_VALIDATION_WINDOW: positiveDurationEnv('PT3H'),
  ...reverseReplicationEnv.shape,
  ...restoreValidatorsEnvs,
});

export const configForAlarmReadiness = (env: Env) => loadConfig(env, alarmReadinessEnv);
export const configForBackupRestore = (env: Env) => loadConfig(env, backupRestoreEnv);
export const configForEvidenceExport = (env: Env) => loadConfig(env, evidenceExportEnv);
export const configForFailbackLifecycle = (env: Env) => loadConfig(env, failbackLifecycleEnv);
export const configForReplicationMonitor = (env: Env) => loadConfig(env, replicationMonitorEnv);
export const configForRestoreTestScheduler = (env: Env) => loadConfig(env, restoreTestSchedulerEnv);
export const configForReverseReplication = (env: Env) => loadConfig(env, reverseReplicationEnv);

/**
 * The readiness topic on-call subscribes to. Only the readiness publisher has it: the topic exists only in the
 * deployment that owns readiness for the Region pair (the recovery Region's).
 */
const readinessTopicEnv = z.object({
  TOPIC_ARN: z
    .string({ error: 'is required' })
    .regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/, 'must be an SNS topic ARN'),
});

/** The readiness publisher's configuration, with the readiness policy and history retention it derives. */
export function configForReadinessPublisher(env: Env) {
  const config = loadConfig(env, readinessEnvSchema.extend(readinessTopicEnv.shape));
  return {
    ...config,
    policy: readinessPolicyFrom(config.extra),
    historyRetentionSeconds: historyRetentionSeconds(config.extra),
  };
}

/** Restore validation asks workloads' validators: each must be in the recovery Region. */
export function configForRestoreValidation(env: Env) {
  const config = loadConfig(env, restoreValidationEnv);
  checkValidatorRegions(config, config.extra);
  return config;
}

export function configForReconciler(env: Env) {
  const config = loadConfig(env, reconcilerEnv);
  checkValidatorRegions(config, config.extra);
  return config;
}

/**
 * Every function's loader, by its handler module (the `handler` of infra/functions/<name>.yml without the
 * export): what `npm run check-config` runs for each function serverless.yml deploys.
 */
export const FUNCTION_CONFIGS: Readonly<Record<string, (env: Env) => unknown>> = {
  'functions/alarm-readiness': configForAlarmReadiness,
  'functions/backup-restore': configForBackupRestore,
  'functions/evidence-export': configForEvidenceExport,
  'functions/failback-lifecycle': configForFailbackLifecycle,
  'functions/readiness-publisher': configForReadinessPublisher,
  'functions/reconciler': configForReconciler,
  'functions/replication-monitor': configForReplicationMonitor,
  'functions/restore-test-scheduler': configForRestoreTestScheduler,
  'functions/restore-validation': configForRestoreValidation,
  'functions/reverse-replication': configForReverseReplication,
};
