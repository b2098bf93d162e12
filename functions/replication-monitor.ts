import { Metrics } from '@aws-lambda-powertools/metrics';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { Context } from 'aws-lambda';
import { createDrsAdapter } from '../src/adapters/drs.ts';
import { createRetryAfterDrsClient } from '../src/adapters/drs-client.ts';
import { createEventBridgeSignalPublisher } from '../src/adapters/eventbridge-signals.ts';
import { createEmfReplicationMetrics, METRICS_NAMESPACE } from '../src/adapters/metrics-emf.ts';
import { createDynamoDbMonitorStateStore } from '../src/adapters/monitor-state-dynamodb.ts';
import { parseReplicationMonitorEvent, runReplicationMonitor } from '../src/app/replication-monitor.ts';
import { configForReplicationMonitor } from '../src/runtime/configs/replication-monitor.ts';
import { createDynamoDbClient } from '../src/runtime/dynamodb-client.ts';
import { accountOf, createEventHandler } from '../src/runtime/handler.ts';
import { createLogger } from '../src/runtime/logger.ts';

/** Wiring only: configuration and clients once per container, then the use case per event. */
const config = configForReplicationMonitor(process.env);
const logger = createLogger('replication-monitor');
const drsClient = createRetryAfterDrsClient({
  retryMode: config.extra.DRS_RETRY_MODE,
  maxAttempts: config.extra.DRS_MAX_ATTEMPTS,
});
const drs = createDrsAdapter(drsClient);
const signals = createEventBridgeSignalPublisher({
  client: new EventBridgeClient({}),
  eventBusName: config.eventBusName,
});
const state = createDynamoDbMonitorStateStore({
  client: createDynamoDbClient(),
  tableName: config.readinessTableName,
});
const metrics = createEmfReplicationMetrics({
  metrics: new Metrics({
    namespace: METRICS_NAMESPACE,
    defaultDimensions: { Deployment: config.extra.METRICS_DEPLOYMENT },
  }),
  perResource: config.extra.PER_RESOURCE_METRICS,
  log: logger,
});

// No idempotency wrapper: the effects are idempotent by construction (a redelivered event finds nothing
// changed since the state it stored, so it signals nothing).
export const handler = createEventHandler({
  logger,
  parse: parseReplicationMonitorEvent,
  // Account, Region and the partition of every ARN in `resources`, before anything is read (rule 5).
  origin: { region: config.region },
  run: (trigger, context: Context) =>
    runReplicationMonitor(trigger, {
      drs,
      signals,
      state,
      metrics,
      clock: () => new Date(),
      dryRun: config.dryRun,
      policy: {
        account: accountOf(context),
        region: config.region,
        defaultRpoSeconds: config.defaultRpoSeconds,
        backlogToleranceBytes: config.extra.BACKLOG_TOLERANCE_BYTES,
        concurrency: config.extra.MONITOR_CONCURRENCY,
        refreshAfterSeconds: config.extra.MONITOR_REFRESH_AFTER,
      },
    }),
});
