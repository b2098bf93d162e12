import { type DynamoDBDocumentClient, GetCommand, PutCommand, paginateQuery } from '@aws-sdk/lib-dynamodb';
import type { RestoreRecord, RestoreRecords, RestoreTokenClaim } from '../ports/backup-restore-records.ts';

/** The detector's own partition of the readiness table (DEVELOPING.md: `detector#<name>`). */
export const RECORDS_PK = 'detector#backup-restore';
const SK_PREFIX = 'restore-job#';
const CLAIM_PREFIX = 'restore-token#';
/** Finished records leave the table after 400 days (the evidence outlives a yearly audit). */
const DONE_TTL_SECONDS = 400 * 86_400;

/** Restore records in the readiness table, through the DynamoDB document client. */
export function createRestoreRecords(options: {
  client: DynamoDBDocumentClient;
  tableName: string;
  clock: () => Date;
}): RestoreRecords {
  const { client, tableName } = options;
  const expiresAt = () => Math.floor(options.clock().getTime() / 1000) + DONE_TTL_SECONDS;
  const recordItem = (record: RestoreRecord) => {
    // Undefined fields are dropped (the document client refuses them); `open` marks what the sweep reads.
    const item: Record<string, unknown> = {
      pk: RECORDS_PK,
      sk: `${SK_PREFIX}${record.restoreJobId}`,
      record: JSON.parse(JSON.stringify(record)) as RestoreRecord,
    };
    if (record.phase === 'done') item.expiresAt = expiresAt();
    else item.open = 'open';
    return item;
  };
  const claimItem = (claim: RestoreTokenClaim) => ({
    pk: RECORDS_PK,
    sk: `${CLAIM_PREFIX}${claim.token}`,
    claim: JSON.parse(JSON.stringify(claim)) as RestoreTokenClaim,
    expiresAt: expiresAt(),
  });
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
      await client.send(new PutCommand({ TableName: tableName, Item: recordItem(record) }));
    },
    async create(record) {
      try {
        await client.send(
          new PutCommand({
            TableName: tableName,
            Item: recordItem(record),
            ConditionExpression: 'attribute_not_exists(sk)',
          }),
        );
        return true;
      } catch (error) {
        if (isConditionFailed(error)) return false;
        throw error;
      }
    },
    async claimToken(claim) {
      try {
        await client.send(
          new PutCommand({
            TableName: tableName,
            Item: claimItem(claim),
            ConditionExpression: 'attribute_not_exists(sk)',
          }),
        );
        return undefined;
      } catch (error) {
        if (!isConditionFailed(error)) throw error;
      }
      const { Item } = await client.send(
        new GetCommand({
          TableName: tableName,
          Key: { pk: RECORDS_PK, sk: `${CLAIM_PREFIX}${claim.token}` },
          ConsistentRead: true,
        }),
      );
      // Claimed a moment ago and gone again (it cannot expire that fast): treat it as claimed, without a job.
      return Item ? (Item.claim as RestoreTokenClaim) : { ...claim };
    },
    async updateTokenClaim(claim) {
      await client.send(new PutCommand({ TableName: tableName, Item: claimItem(claim) }));
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

function isConditionFailed(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}
