import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { Context } from 'aws-lambda';
import { alarmStateChange } from '../events/cloudwatch/alarm-state-change.ts';
import { createEventBridgeSignalPublisher } from '../src/adapters/eventbridge-signals.ts';
import { alarmToSignal } from '../src/app/alarm-readiness.ts';
import { createIdempotencyStore } from '../src/runtime/clients.ts';
import { configForAlarmReadiness } from '../src/runtime/configs/alarm-readiness.ts';
import { createDynamoDbClient } from '../src/runtime/dynamodb-client.ts';
import { accountOf, createEventHandler } from '../src/runtime/handler.ts';
import { idempotencyGuard } from '../src/runtime/idempotency.ts';
import { createLogger } from '../src/runtime/logger.ts';

/** Wiring only: CloudWatch alarms in scope (by name prefix) become readiness signals on the bus. */
const config = configForAlarmReadiness(process.env);
const logger = createLogger('alarm-readiness');
const signals = createEventBridgeSignalPublisher({
  client: new EventBridgeClient({}),
  eventBusName: config.eventBusName,
});
const persistenceStore = createIdempotencyStore(config.idempotencyTableName, createDynamoDbClient());

export const handler = createEventHandler({
  logger,
  parse: alarmStateChange.parse,
  origin: { region: config.region },
  // In-progress window: IN_PROGRESS_SECONDS. A duplicate run after it only publishes the same signal again (same
  // id), which readiness folds as one.
  idempotency: idempotencyGuard({ persistenceStore }),
  run: (event, context: Context) =>
    alarmToSignal(event, {
      signals,
      policy: {
        account: accountOf(context),
        region: config.region,
        namePrefix: config.extra.ALARM_NAME_PREFIX,
      },
    }),
});
