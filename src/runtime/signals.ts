import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { createEventBridgeSignalPublisher } from '../adapters/eventbridge-signals.ts';
import { createDynamoDbEvidenceLedger } from '../adapters/evidence-ledger.ts';
import { type RecordingPublisher, recordingPublisher } from '../app/evidence-recording.ts';
import type { BaseConfig } from './config.ts';

/**
 * The signal publisher of a function whose actions are evidence: signals go on dr-autopilot's bus after the
 * evidence they stand for is in the ledger (EVIDENCE_TABLE_NAME), recorded as written by `functionName`.
 */
/** This deployment's evidence ledger (EVIDENCE_TABLE_NAME, records kept EVIDENCE_RETENTION after the action). */
export function createEvidenceLedger(
  config: Pick<BaseConfig, 'evidenceTableName' | 'evidenceRetentionSeconds'>,
  dynamodb: DynamoDBClient,
) {
  return createDynamoDbEvidenceLedger({
    client: dynamodb,
    tableName: config.evidenceTableName,
    retentionSeconds: config.evidenceRetentionSeconds,
  });
}

export function createRecordingSignalPublisher(
  config: Pick<BaseConfig, 'eventBusName' | 'evidenceTableName' | 'evidenceRetentionSeconds'>,
  functionName: string,
  dynamodb: DynamoDBClient,
): RecordingPublisher {
  return recordingPublisher({
    ledger: createEvidenceLedger(config, dynamodb),
    publisher: createEventBridgeSignalPublisher({
      client: new EventBridgeClient({}),
      eventBusName: config.eventBusName,
    }),
    recordedBy: functionName,
    clock: () => new Date(),
  });
}
