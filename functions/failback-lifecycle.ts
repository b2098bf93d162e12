import type { Context } from 'aws-lambda';
import * as z from 'zod/mini';
import { parseWith } from '../events/contract.ts';
import { lifecycleTrigger } from '../events/drs/lifecycle-trigger.ts';
import { createDrsLifecycleAdapter } from '../src/adapters/drs.ts';
import { createRetryAfterDrsClient } from '../src/adapters/drs-client.ts';
import { createDynamoDbLifecycleStore } from '../src/adapters/lifecycle-store.ts';
import { type LifecycleDeps, sweepLifecycle } from '../src/app/failback-lifecycle.ts';
import { configForFailbackLifecycle } from '../src/runtime/configs/failback-lifecycle.ts';
import { createDynamoDbClient } from '../src/runtime/dynamodb-client.ts';
import { accountOf, createEventHandler, isTaskInput } from '../src/runtime/handler.ts';
import { createLogger } from '../src/runtime/logger.ts';
import { createRecordingSignalPublisher } from '../src/runtime/signals.ts';

/**
 * Wiring only. The failback lifecycle tracker sweeps DRS in both Regions of the pair and runs in the recovery
 * Region's deployment (the primary Region's copy answers `skipped`). Inputs: its schedule (constant input
 * `{"task":"lifecycle"}`), and DRS *Launch Result* / *Recovery Instance Failback State Change* events of its
 * own Region or forwarded from the primary Region, which make a sweep worth running at once.
 */
const config = configForFailbackLifecycle(process.env);
const logger = createLogger('failback-lifecycle');
const otherRegion = config.regionRole === 'recovery' ? config.primaryRegion : config.recoveryRegion;
const own = createDrsLifecycleAdapter(createRetryAfterDrsClient({}));
// The other Region may be the one that is down: few attempts and short timeouts (a dropped connection would
// otherwise outlast the function's timeout), so the sweep goes on from this Region alone. The bundle runs this
// client on the top-level @smithy/node-http-handler (4.x), whose requestTimeout only logs a warning unless
// throwOnRequestTimeout is set; the DRS client's own nested copy (2.x, in tests) throws either way.
const other = createDrsLifecycleAdapter(
  createRetryAfterDrsClient({
    region: otherRegion,
    maxAttempts: 2,
    requestHandler: { connectionTimeout: 3_000, requestTimeout: 15_000, throwOnRequestTimeout: true },
  }),
);
const dynamodb = createDynamoDbClient();
// Stages of the DR cycle and drill cleanups are evidence: recorded in the ledger before they are signalled.
const signals = createRecordingSignalPublisher(config, 'failback-lifecycle', dynamodb);
const store = createDynamoDbLifecycleStore({ client: dynamodb, tableName: config.readinessTableName });

const depsFor = (context: Context, trigger: 'event' | 'schedule'): LifecycleDeps => ({
  primary: config.regionRole === 'primary' ? own : other,
  recovery: config.regionRole === 'recovery' ? own : other,
  store,
  signals: signals.as(trigger),
  clock: () => new Date(),
  dryRun: config.dryRun,
  regionRole: config.regionRole,
  policy: {
    primaryRegion: config.primaryRegion,
    recoveryRegion: config.recoveryRegion,
    account: accountOf(context),
    unprotectedAlertAfterSeconds: config.extra.LIFECYCLE_UNPROTECTED_ALERT_AFTER,
    drillMaxAgeSeconds: config.extra.DRILL_MAX_AGE,
    terminateDrillInstances: config.extra.TERMINATE_DRILL_INSTANCES,
  },
});

const lifecycleTask = z.strictObject({ task: z.literal('lifecycle') });
const onTask = createEventHandler({
  logger,
  parse: (input) => parseWith(lifecycleTask, input, 'failback-lifecycle task'),
  // A sweep compares with what it stored: a repeated run changes nothing and signals nothing new.
  run: (_task, context: Context) =>
    sweepLifecycle(depsFor(context, 'schedule'), `lifecycle-sweep-${new Date().toISOString()}`),
});

/** A DRS event is only a reason to sweep now: its contents are re-read from the APIs. */
const onEvent = createEventHandler({
  logger,
  parse: lifecycleTrigger.parse,
  // Its own Region's events, and the primary Region's forwarded to this Region's bus (rule 5).
  origin: { region: config.region, alsoFromRegions: [otherRegion] },
  run: (event, context: Context) => sweepLifecycle(depsFor(context, 'event'), event.id),
});

export const handler = (input: unknown, context: Context) =>
  isTaskInput(input) ? onTask(input, context) : onEvent(input, context);
