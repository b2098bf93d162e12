import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { parseWith } from '../events/contract.ts';
import { launchResult } from '../events/drs/launch-result.ts';
import { createDrsAdapter } from '../src/adapters/drs.ts';
import { createRetryAfterDrsClient } from '../src/adapters/drs-client.ts';
import { createEventBridgeSignalPublisher } from '../src/adapters/eventbridge-signals.ts';
import {
  createFailbackDeclarationStore,
  createPendingReversalStore,
} from '../src/adapters/failback-store.ts';
import {
  type ReverseReplicationDeps,
  retryPendingReversals,
  reverseReplicationAfterRecovery,
} from '../src/app/reverse-replication.ts';
import { positiveDurationEnv } from '../src/domain/restore-settings.ts';
import { createIdempotencyStore } from '../src/runtime/clients.ts';
import { envFlag, loadConfig } from '../src/runtime/config.ts';
import { accountOf, createEventHandler, isTaskInput } from '../src/runtime/handler.ts';
import { createLogger } from '../src/runtime/logger.ts';

/**
 * Wiring only: configuration and clients once per container, then the use case per event. Two inputs: the
 * DRS *Launch Result* event, and a schedule whose constant input is `{"task":"retry-pending"}` (reversals DRS
 * refused with ConflictException while the recovery instance's agent was starting).
 */
const config = loadConfig(
  process.env,
  z.object({
    REVERSE_FAILBACK_INSTANCES: envFlag(false),
    REVERSAL_RETRY_FOR: positiveDurationEnv('PT1H'),
  }),
);
const logger = createLogger('reverse-replication');
// Retries honour DRS's Retry-After (the pinned SDK ignores it: see src/adapters/drs-client.ts).
const drs = createDrsAdapter(await createRetryAfterDrsClient());
const signals = createEventBridgeSignalPublisher({
  client: new EventBridgeClient({}),
  eventBusName: config.eventBusName,
});
const dynamodb = new DynamoDBClient({});
const persistenceStore = createIdempotencyStore(config.idempotencyTableName, dynamodb);
const tables = { client: dynamodb, tableName: config.readinessTableName };

const depsFor = (context: Context): ReverseReplicationDeps => ({
  drs,
  signals,
  clock: () => new Date(),
  dryRun: config.dryRun,
  policy: {
    account: accountOf(context),
    region: config.region,
    reverseFailbackInstances: config.extra.REVERSE_FAILBACK_INSTANCES,
  },
  declarations: createFailbackDeclarationStore(tables),
  pending: createPendingReversalStore(tables),
  retryForSeconds: config.extra.REVERSAL_RETRY_FOR,
});

const onLaunch = createEventHandler({
  logger,
  parse: launchResult.parse,
  origin: { region: config.region },
  idempotency: { persistenceStore },
  run: (event, context: Context) => reverseReplicationAfterRecovery(event, depsFor(context)),
});

const retryTask = z.object({ task: z.literal('retry-pending') }).strict();
const onRetry = createEventHandler({
  logger,
  parse: (input) => parseWith(retryTask, input, 'reverse-replication task'),
  // No idempotency: each pending reversal is re-decided from fresh API facts, so a repeated run is harmless.
  run: (_task, context: Context) => retryPendingReversals(depsFor(context)),
});

export const handler = (input: unknown, context: Context) =>
  isTaskInput(input) ? onRetry(input, context) : onLaunch(input, context);
