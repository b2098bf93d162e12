import type { Context } from 'aws-lambda';
import * as z from 'zod/mini';
import { parseWith } from '../events/contract.ts';
import { launchResult } from '../events/drs/launch-result.ts';
import { createDrsAdapter } from '../src/adapters/drs.ts';
import { createRetryAfterDrsClient } from '../src/adapters/drs-client.ts';
import {
  createFailbackDeclarationStore,
  createPendingReversalStore,
} from '../src/adapters/failback-store.ts';
import {
  type ReverseReplicationDeps,
  retryPendingReversals,
  reverseReplicationAfterRecovery,
} from '../src/app/reverse-replication.ts';
import { createIdempotencyStore } from '../src/runtime/clients.ts';
import { configForReverseReplication } from '../src/runtime/configs/reverse-replication.ts';
import { createDynamoDbClient } from '../src/runtime/dynamodb-client.ts';
import { accountOf, createEventHandler, isTaskInput } from '../src/runtime/handler.ts';
import { idempotencyGuard } from '../src/runtime/idempotency.ts';
import { createLogger } from '../src/runtime/logger.ts';
import { createRecordingSignalPublisher } from '../src/runtime/signals.ts';

/**
 * Wiring only: configuration and clients once per container, then the use case per event. Two inputs: the
 * DRS *Launch Result* event, and a schedule whose constant input is `{"task":"retry-pending"}` (reversals DRS
 * refused with ConflictException while the recovery instance's agent was starting).
 */
const config = configForReverseReplication(process.env);
const logger = createLogger('reverse-replication');
// Retries honour DRS's Retry-After (the pinned SDK ignores it: see src/adapters/drs-client.ts).
const drs = createDrsAdapter(createRetryAfterDrsClient());
const dynamodb = createDynamoDbClient();
// Launches, reversals and re-protections are evidence: recorded in the ledger before they are signalled.
const signals = createRecordingSignalPublisher(config, 'reverse-replication', dynamodb);
const persistenceStore = createIdempotencyStore(config.idempotencyTableName, dynamodb);
const tables = { client: dynamodb, tableName: config.readinessTableName };

const depsFor = (context: Context, trigger: 'event' | 'schedule'): ReverseReplicationDeps => ({
  drs,
  signals: signals.as(trigger),
  clock: () => new Date(),
  dryRun: config.dryRun,
  policy: {
    account: accountOf(context),
    region: config.region,
    reverseFailbackInstances: config.extra.REVERSE_FAILBACK_INSTANCES,
    originAccounts: config.extra.REVERSAL_ORIGIN_ACCOUNTS,
    defaultRpoSeconds: config.defaultRpoSeconds,
    defaultRtoSeconds: config.defaultRtoSeconds,
  },
  declarations: createFailbackDeclarationStore(tables),
  pending: createPendingReversalStore(tables),
  retryForSeconds: config.extra.REVERSAL_RETRY_FOR,
});

const onLaunch = createEventHandler({
  logger,
  parse: launchResult.parse,
  origin: { region: config.region },
  // In-progress window: IN_PROGRESS_SECONDS. A duplicate run after it re-reads DRS: an instance already reversing
  // is skipped, and a concurrent ReverseReplication is refused by DRS (ConflictException, answered by a re-read).
  idempotency: idempotencyGuard({ persistenceStore }),
  run: (event, context: Context) => reverseReplicationAfterRecovery(event, depsFor(context, 'event')),
});

const retryTask = z.strictObject({ task: z.literal('retry-pending') });
const onRetry = createEventHandler({
  logger,
  parse: (input) => parseWith(retryTask, input, 'reverse-replication task'),
  // No idempotency: each pending reversal is re-decided from fresh API facts, so a repeated run is harmless.
  run: (_task, context: Context) => retryPendingReversals(depsFor(context, 'schedule')),
});

export const handler = (input: unknown, context: Context) =>
  isTaskInput(input) ? onRetry(input, context) : onLaunch(input, context);
