import { SNSClient } from '@aws-sdk/client-sns';
import type { Context } from 'aws-lambda';
import { parseBusEvent } from '../events/dr-autopilot/signal.ts';
import { createDynamoDbDigestClaims } from '../src/adapters/digest-claims.ts';
import { createDynamoDbReadinessStore } from '../src/adapters/readiness-store.ts';
import { createSnsNotifier } from '../src/adapters/sns-notifier.ts';
import {
  applyBusEvent,
  isReadinessTask,
  parseReadinessTask,
  type ReadinessDeps,
  type SweepOutcome,
  sweepReadiness,
} from '../src/app/readiness.ts';
import { type DigestOutcome, sendReadinessDigest } from '../src/app/readiness-digest.ts';
import { configForReadinessPublisher } from '../src/runtime/configs/readiness-publisher.ts';
import { createDynamoDbClient } from '../src/runtime/dynamodb-client.ts';
import { createEventHandler } from '../src/runtime/handler.ts';
import { createLogger } from '../src/runtime/logger.ts';

/**
 * Wiring only. One function, the single writer of readiness state: every dr-autopilot signal from the bus,
 * plus two schedules whose constant input is `{"task":"sweep"}` (every 5 minutes) or `{"task":"digest"}` (daily).
 */
const config = configForReadinessPublisher(process.env);
const logger = createLogger('readiness-publisher');
const dynamodb = createDynamoDbClient();
const clock = () => new Date();
const deps: ReadinessDeps = {
  store: createDynamoDbReadinessStore({
    client: dynamodb,
    tableName: config.readinessTableName,
    clock,
    historyRetentionSeconds: config.historyRetentionSeconds,
  }),
  notifier: createSnsNotifier({ client: new SNSClient({}), topicArn: config.extra.TOPIC_ARN }),
  clock,
  policy: config.policy,
  messages: {
    stage: config.extra.STAGE,
    region: config.region,
    runbookUrl: config.extra.RUNBOOK_URL,
    chat: config.extra.CHAT_NOTIFICATIONS,
  },
};

/** This invocation's deps: the write after a Publish is retried until shortly before its timeout. */
const withDeadline = (context: Context): ReadinessDeps => ({
  ...deps,
  remainingMs: () => context.getRemainingTimeInMillis(),
});

const digestClaims = createDynamoDbDigestClaims({ client: dynamodb, tableName: config.readinessTableName });

const onSignal = createEventHandler({
  logger,
  // A signal, or the replication monitor's batch of refreshes (`Replication Status Refreshed`).
  parse: parseBusEvent,
  // Signals come from this deployment's detectors and, forwarded to this bus, from the other Region of the pair's
  // (this deployment owns readiness for the pair): anything else is rejected (rule 5).
  origin: { region: config.region, alsoFromRegions: [config.primaryRegion] },
  // No idempotency records: applying a signal is idempotent by construction (a redelivery is refused by the
  // resource's conditions or recognised by its signal id), and the records would cost two writes a signal.
  run: (event, context) => applyBusEvent(event, withDeadline(context)),
});

const onTask = createEventHandler({
  logger,
  parse: parseReadinessTask,
  run: async (task, context: Context): Promise<SweepOutcome | DigestOutcome> =>
    task.task === 'sweep'
      ? sweepReadiness(withDeadline(context))
      : sendReadinessDigest({ ...deps, claims: digestClaims, claimant: context.awsRequestId }),
});

export const handler = (input: unknown, context: Context) =>
  isReadinessTask(input) ? onTask(input, context) : onSignal(input, context);
