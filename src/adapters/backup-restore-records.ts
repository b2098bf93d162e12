import { type DynamoDBDocumentClient, GetCommand, PutCommand, paginateQuery } from '@aws-sdk/lib-dynamodb';
import type { RestoreRecord, RestoreRecords } from '../ports/backup-restore-records.ts';

/** The detector's own partition of the readiness table (DEVELOPING.md: `detector#<name>`). */
export const RECORDS_PK = 'detector#backup-restore';
const SK_PREFIX = 'restore-job#';
/** Finished records leave the table after 400 days (the evidence outlives a yearly audit). */
const DONE_TTL_SECONDS = 400 * 86_400;

/** Restore records in the readiness table, through the DynamoDB document client. */
export function createRestoreRecords(options: {
  client: DynamoDBDocumentClient;
  tableName: string;
  clock: () => Date;
}): RestoreRecords {
  const { client, tableName } = options;
  return {
    async get(restoreJobId) {
      const { Item } = await client.send(
        new GetCommand({
          TableName: tableName,
          Key: { pk: RECORDS_PK, sk: `${SK_PREFIX}${restoreJobId}` },
          ConsistentRead: true,
        }),
      );
      return Item ? (Item.record as RestoreRecord) : undefined;
    },
    async put(record) {
      const done = record.phase === 'done';
      // Undefined fields are dropped (the document client refuses them); `open` marks what the sweep reads.
      const item: Record<string, unknown> = {
        pk: RECORDS_PK,
        sk: `${SK_PREFIX}${record.restoreJobId}`,
        record: JSON.parse(JSON.stringify(record)) as RestoreRecord,
      };
      if (done) item.expiresAt = Math.floor(options.clock().getTime() / 1000) + DONE_TTL_SECONDS;
      else item.open = 'open';
      await client.send(new PutCommand({ TableName: tableName, Item: item }));
    },
    async *listOpen() {
      for await (const page of paginateQuery(
        { client, pageSize: 50 },
        {
          TableName: tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :sk)',
          FilterExpression: 'attribute_exists(#open)',
          ExpressionAttributeNames: { '#open': 'open' },
          ExpressionAttributeValues: { ':pk': RECORDS_PK, ':sk': SK_PREFIX },
          ConsistentRead: true,
        },
      )) {
        yield (page.Items ?? []).map((item) => item.record as RestoreRecord);
      }
    },
  };
}
