import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { EFSClient } from '@aws-sdk/client-efs';
import { S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { parseScheduledEvent } from '../events/aws-events/scheduled-event.ts';
import { createDrsAdapter } from '../src/adapters/drs.ts';
import { createRetryAfterDrsClient } from '../src/adapters/drs-client.ts';
import {
  createFailbackDeclarationStore,
  createPendingReversalStore,
} from '../src/adapters/failback-store.ts';
import { createReconcilerMemory } from '../src/adapters/reconciler-memory.ts';
import { createRestoredResourceHandlers } from '../src/adapters/restored-resources.ts';
import { createRestoreWiring, createValidatorWiring } from '../src/app/backup-restore-wiring.ts';
import { type ReconcilerDeps, reconcile } from '../src/app/reconciler.ts';
import type { OnceGuard } from '../src/ports/reconciler.ts';
import { configForReconciler } from '../src/runtime/configs/reconciler.ts';
import { createEventHandler } from '../src/runtime/handler.ts';
import { createEvidenceLedger } from '../src/runtime/signals.ts';

/**
 * Wiring only: the hourly schedule in both Regions. The reconciler acts through the event paths' use cases, so
 * it gets their dependencies (and their settings, from the same stage parameters) as well as its own.
 */
const wiring = createRestoreWiring(
  'reconciler',
  configForReconciler(process.env),
  // Copies into the DR vault are handed to restoreAfterCopy, which may read the copy job in the primary Region.
  { copyJobsFromPrimary: true },
);
const { config, logger, dynamodb, persistenceStore, basePolicy, backup, records, clock } = wiring;
// What the use cases do on the reconciler's behalf is evidence with the reconciler as its trigger.
const signals = wiring.signals.as('reconciler');
const { extra } = config;
const drs = createDrsAdapter(createRetryAfterDrsClient());
const tables = { client: dynamodb, tableName: config.readinessTableName };
const clients = {
  dynamodb,
  rds: wiring.rds,
  ec2: wiring.ec2,
  efs: new EFSClient({}),
  s3: new S3Client({}),
};
/** A hand-over is remembered past the lookback, so no item of the lookback is handed over twice. */
const ONCE_SECONDS = extra.RECONCILER_LOOKBACK + 86_400;

function onceGuard(context: Context): OnceGuard {
  const idempotencyConfig = new IdempotencyConfig({
    eventKeyJmesPath: 'id',
    throwOnNoIdempotencyKey: true,
    expiresAfterSeconds: ONCE_SECONDS,
  });
  // An in-progress record then expires with this invocation, not after ONCE_SECONDS, if the function times out.
  idempotencyConfig.registerLambdaContext(context);
  return (key, run) =>
    makeIdempotent(async (_item: { id: string }) => run(), {
      persistenceStore,
      config: idempotencyConfig,
    })({ id: key });
}

// The validation use case asks workloads' own validators, as the restore-validation function does.
const validators = createValidatorWiring(extra);

const ledger = createEvidenceLedger(config, dynamodb);

export const handler = createEventHandler({
  logger,
  parse: parseScheduledEvent,
  origin: { region: config.region },
  // No idempotency on the trigger: every run re-derives from the APIs; each hand-over has its own guard.
  run: (event, context: Context) => {
    const restorePolicy = basePolicy(context);
    const handlers = createRestoredResourceHandlers(clients, { account: restorePolicy.account });
    const deps: ReconcilerDeps = {
      drs,
      backup,
      memory: createReconcilerMemory({ ...tables, clock }),
      ledger,
      once: onceGuard(context),
      remainingMs: () => context.getRemainingTimeInMillis(),
      policy: {
        account: restorePolicy.account,
        region: config.region,
        regionRole: config.regionRole,
        lookbackSeconds: extra.RECONCILER_LOOKBACK,
        graceSeconds: extra.RECONCILER_GRACE,
        cleanupOverdueSeconds: extra.RECONCILER_CLEANUP_OVERDUE,
        concurrency: extra.RECONCILER_CONCURRENCY,
        drVaultName: extra.DR_VAULT_NAME,
        reserveMs: 30_000,
      },
      reversal: {
        drs,
        signals,
        clock,
        dryRun: config.dryRun,
        policy: {
          account: restorePolicy.account,
          region: config.region,
          reverseFailbackInstances: extra.REVERSE_FAILBACK_INSTANCES,
          originAccounts: extra.REVERSAL_ORIGIN_ACCOUNTS,
          defaultRpoSeconds: config.defaultRpoSeconds,
          defaultRtoSeconds: config.defaultRtoSeconds,
        },
        declarations: createFailbackDeclarationStore(tables),
        pending: createPendingReversalStore(tables),
        retryForSeconds: extra.REVERSAL_RETRY_FOR,
      },
      validation: {
        backup,
        records,
        handlers,
        signals,
        clock,
        dryRun: config.dryRun,
        validators,
        policy: {
          ...restorePolicy,
          validationWindowSeconds: extra.RESTORE_VALIDATION_WINDOW,
          maxPerSweep: 1,
        },
      },
      restore: {
        backup,
        records,
        signals,
        clock,
        dryRun: config.dryRun,
        policy: { ...restorePolicy, vaultName: extra.DR_VAULT_NAME, restoreRoleArn: extra.RESTORE_ROLE_ARN },
      },
    };
    return reconcile(event, deps);
  },
});
