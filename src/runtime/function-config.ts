import type { Env } from './config.ts';
import { configForAlarmReadiness } from './configs/alarm-readiness.ts';
import { configForBackupRestore } from './configs/backup-restore.ts';
import { configForEvidenceExport } from './configs/evidence-export.ts';
import { configForFailbackLifecycle } from './configs/failback-lifecycle.ts';
import { configForReadinessPublisher } from './configs/readiness-publisher.ts';
import { configForReconciler } from './configs/reconciler.ts';
import { configForReplicationMonitor } from './configs/replication-monitor.ts';
import { configForRestoreTestScheduler } from './configs/restore-test-scheduler.ts';
import { configForRestoreValidation } from './configs/restore-validation.ts';
import { configForReverseReplication } from './configs/reverse-replication.ts';

/**
 * Every function's configuration, read from an environment: the configuration contract plus the function's own
 * variables (`loadConfig`) and whatever else it derives from them at cold start. One loader per function, in
 * src/runtime/configs/<function>.ts, the only code that reads its environment: the function imports its own
 * loader alone (so its bundle holds only its own schemas) and calls it with `process.env` at cold start, and
 * `npm run check-config` (and the `osls package` plugin) calls every loader through this map with the
 * environment a deployment would get, so a setting that would break a function's cold start fails the check
 * first, with the same message. Side-effect free: no SDK client, no I/O.
 */
export type { Env };
export {
  configForAlarmReadiness,
  configForBackupRestore,
  configForEvidenceExport,
  configForFailbackLifecycle,
  configForReadinessPublisher,
  configForReconciler,
  configForReplicationMonitor,
  configForRestoreTestScheduler,
  configForRestoreValidation,
  configForReverseReplication,
};

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
