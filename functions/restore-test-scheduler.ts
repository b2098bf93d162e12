import type { Context } from 'aws-lambda';
import { parseScheduledEvent } from '../events/aws-events/scheduled-event.ts';
import { createRestoreWiring } from '../src/app/backup-restore-wiring.ts';
import { runScheduledRestoreTests } from '../src/app/restore-test-scheduler.ts';
import { configForRestoreTestScheduler } from '../src/runtime/configs/restore-test-scheduler.ts';
import { createEventHandler } from '../src/runtime/handler.ts';
import { idempotencyGuard } from '../src/runtime/idempotency.ts';
import { createEvidenceLedger } from '../src/runtime/signals.ts';

/** Wiring only. In the primary Region the run is refused at once (restore tests run in the recovery Region). */
const { config, logger, backup, records, signals, clock, persistenceStore, basePolicy, dynamodb } =
  createRestoreWiring('restore-test-scheduler', configForRestoreTestScheduler(process.env));

// The evidence ledger decides who is tested first: the least recently tested.
const history = createEvidenceLedger(config, dynamodb);

export const handler = createEventHandler({
  logger,
  parse: parseScheduledEvent,
  origin: { region: config.region },
  // In-progress window: IN_PROGRESS_SECONDS, not the 300 s timeout (a stuck record would turn both of Lambda's
  // retries away). A duplicate run after it derives the same choice from the event and meets each restore token's
  // conditional claim and AWS Backup's IdempotencyToken: one restore job per resource and run.
  idempotency: idempotencyGuard({ persistenceStore }),
  run: (event, context: Context) =>
    runScheduledRestoreTests(event, {
      backup,
      records,
      signals: signals.as('schedule'),
      clock,
      dryRun: config.dryRun,
      selection: {
        algorithm: config.extra.RESTORE_TEST_SELECTION,
        windowDays: config.extra.RESTORE_TEST_WINDOW_DAYS,
        maxPerRun: config.extra.RESTORE_TEST_MAX_PER_RUN,
        overdueAfterSeconds: config.extra.RESTORE_TEST_OVERDUE_AFTER,
      },
      history,
      policy: {
        ...basePolicy(context),
        vaultName: config.extra.DR_VAULT_NAME,
        restoreRoleArn: config.extra.RESTORE_ROLE_ARN,
      },
    }),
});
