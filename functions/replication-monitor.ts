import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { createDrsAdapter } from '../src/adapters/drs.ts';
import { createRetryAfterDrsClient } from '../src/adapters/drs-client.ts';
import { createEventBridgeSignalPublisher } from '../src/adapters/eventbridge-signals.ts';
import { createEmfReplicationMetrics, METRICS_NAMESPACE } from '../src/adapters/metrics-emf.ts';
import { createDynamoDbMonitorStateStore } from '../src/adapters/monitor-state-dynamodb.ts';
import { parseReplicationMonitorEvent, runReplicationMonitor } from '../src/app/replication-monitor.ts';
import { monitorRefreshAfterSchema } from '../src/app/replication-monitor-config.ts';
import { envFlag, loadConfig } from '../src/runtime/config.ts';
import { accountOf, createEventHandler } from '../src/runtime/handler.ts';
import { createLogger } from '../src/runtime/logger.ts';

/** Wiring only: configuration and clients once per container, then the use case per event. */
const config = loadConfig(
  process.env,
  z.object({
    /** Snapshot queries in flight at once. */
    MONITOR_CONCURRENCY: z.coerce.number().int().min(1).max(100).default(10),
    /** SDK retry mode and attempts for DRS calls (throttling is retried, honouring Retry-After). */
    DRS_RETRY_MODE: z.enum(['standard', 'adaptive']).default('adaptive'),
    DRS_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(8),
    /** Backlog a CONTINUOUS server may carry before it counts as degraded. */
    BACKLOG_TOLERANCE_BYTES: z.coerce.number().int().min(0).default(0),
    /** Per-resource metrics (one CloudWatch custom metric per server and metric name). */
    PER_RESOURCE_METRICS: envFlag(true),
    /**
     * An unchanged finding is signalled again once its last signal is this old (ISO-8601 duration). Keep it,
     * plus the schedule's interval, below the readiness publisher's READINESS_STALE_AFTER.
     */
    MONITOR_REFRESH_AFTER: monitorRefreshAfterSchema,
    /** The `Deployment` dimension of every metric (the alarm selects on it). */
    METRICS_DEPLOYMENT: z.string().trim().min(1, 'must not be empty'),
  }),
);
const logger = createLogger('replication-monitor');
const drsClient = await createRetryAfterDrsClient({
  retryMode: config.extra.DRS_RETRY_MODE,
  maxAttempts: config.extra.DRS_MAX_ATTEMPTS,
});
const drs = createDrsAdapter(drsClient);
const signals = createEventBridgeSignalPublisher({
  client: new EventBridgeClient({}),
  eventBusName: config.eventBusName,
});
const state = createDynamoDbMonitorStateStore({
  client: new DynamoDBClient({}),
  tableName: config.readinessTableName,
});
const metrics = createEmfReplicationMetrics({
  metrics: new Metrics({
    namespace: METRICS_NAMESPACE,
    defaultDimensions: { Deployment: config.extra.METRICS_DEPLOYMENT },
  }),
  perResource: config.extra.PER_RESOURCE_METRICS,
});

// No idempotency wrapper: the effects are idempotent by construction (a redelivered event finds nothing
// changed since the state it stored, so it signals nothing).
export const handler = createEventHandler({
  logger,
  parse: parseReplicationMonitorEvent,
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
