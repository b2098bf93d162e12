import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { launchResult } from '../events/drs/launch-result.ts';
import { createDrsAdapter } from '../src/adapters/drs.ts';
import { createRetryAfterDrsClient } from '../src/adapters/drs-client.ts';
import { createEventBridgeSignalPublisher } from '../src/adapters/eventbridge-signals.ts';
import { reverseReplicationAfterRecovery } from '../src/app/reverse-replication.ts';
import { createIdempotencyStore } from '../src/runtime/clients.ts';
import { envFlag, loadConfig } from '../src/runtime/config.ts';
import { accountOf, createEventHandler } from '../src/runtime/handler.ts';
import { createLogger } from '../src/runtime/logger.ts';

/** Wiring only: configuration and clients once per container, then the use case per event. */
const config = loadConfig(process.env, z.object({ REVERSE_FAILBACK_INSTANCES: envFlag(false) }));
const logger = createLogger('reverse-replication');
// Retries honour DRS's Retry-After (the pinned SDK ignores it: see src/adapters/drs-client.ts).
const drs = createDrsAdapter(await createRetryAfterDrsClient());
const signals = createEventBridgeSignalPublisher({
  client: new EventBridgeClient({}),
  eventBusName: config.eventBusName,
});
const persistenceStore = createIdempotencyStore(config.idempotencyTableName, new DynamoDBClient({}));

export const handler = createEventHandler({
  logger,
  parse: launchResult.parse,
  origin: { region: config.region },
  idempotency: { persistenceStore },
  run: (event, context: Context) =>
    reverseReplicationAfterRecovery(event, {
      drs,
      signals,
      clock: () => new Date(),
      dryRun: config.dryRun,
      policy: {
        account: accountOf(context),
        region: config.region,
        reverseFailbackInstances: config.extra.REVERSE_FAILBACK_INSTANCES,
      },
    }),
});
