import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, PutCommand, paginateQuery } from '@aws-sdk/lib-dynamodb';
import type { ReconcilerMemory, ReportedLeftover } from '../ports/reconciler.ts';

/** The reconciler's partition of the readiness table (IAM limits it to it with `dynamodb:LeadingKeys`). */
export const RECONCILER_PARTITION = 'detector#reconciler';
const LEFTOVER_PREFIX = 'leftover#';
/** A reported leftover nobody resolves is dropped after 90 days (TTL); it was signalled when found. */
const TTL_SECONDS = 90 * 86_400;

export function createReconcilerMemory(options: {
  client: DynamoDBClient;
  tableName: string;
  clock: () => Date;
}): ReconcilerMemory {
  const db = DynamoDBDocumentClient.from(options.client, {
    marshallOptions: { removeUndefinedValues: true },
  });
  const TableName = options.tableName;
  return {
    async leftovers() {
      const found: ReportedLeftover[] = [];
      for await (const page of paginateQuery(
        { client: db, pageSize: 100 },
        {
          TableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': RECONCILER_PARTITION, ':prefix': LEFTOVER_PREFIX },
          ConsistentRead: true,
        },
      )) {
        found.push(...(page.Items ?? []).map((item) => item.leftover as ReportedLeftover));
      }
      return found;
    },
    async rememberLeftover(leftover) {
      await db.send(
        new PutCommand({
          TableName,
          Item: {
            pk: RECONCILER_PARTITION,
            sk: `${LEFTOVER_PREFIX}${leftover.restoreJobId}`,
            leftover,
            expiresAt: Math.floor(options.clock().getTime() / 1000) + TTL_SECONDS,
          },
        }),
      );
    },
    async forgetLeftover(restoreJobId) {
      await db.send(
        new DeleteCommand({
          TableName,
          Key: { pk: RECONCILER_PARTITION, sk: `${LEFTOVER_PREFIX}${restoreJobId}` },
        }),
      );
    },
  };
}
