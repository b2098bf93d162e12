import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DigestClaim, DigestClaims } from '../app/readiness-digest.ts';

/**
 * Digest claims in the readiness table: partition `digest`, one item per digest period (`sk` = the period),
 * kept a week (TTL `expiresAt`). A conditional put claims the period; only the claimant (the invocation, whose
 * request id Lambda keeps across its own retries) may take it again, and the item says when it was sent.
 */
export const DIGEST_PARTITION = 'digest';
const KEEP_SECONDS = 7 * 86_400;

export function createDynamoDbDigestClaims(options: {
  client: DynamoDBClient;
  tableName: string;
}): DigestClaims {
  const db = DynamoDBDocumentClient.from(options.client, {
    marshallOptions: { removeUndefinedValues: true },
  });
  const TableName = options.tableName;
  const key = (period: string) => ({ pk: DIGEST_PARTITION, sk: period });
  return {
    async claim(period, claimant, now) {
      try {
        await db.send(
          new PutCommand({
            TableName,
            Item: {
              ...key(period),
              status: 'sending',
              claimant,
              claimedAt: now.toISOString(),
              expiresAt: Math.floor(now.getTime() / 1000) + KEEP_SECONDS,
            },
            ConditionExpression: 'attribute_not_exists(pk) OR (#s = :sending AND claimant = :me)',
            ExpressionAttributeNames: { '#s': 'status' },
            ExpressionAttributeValues: { ':sending': 'sending', ':me': claimant },
          }),
        );
        return { claimed: true };
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        const { Item } = await db.send(new GetCommand({ TableName, Key: key(period), ConsistentRead: true }));
        return { claimed: false, existing: Item as DigestClaim | undefined };
      }
    },
    async markSent(period, claimant, messageId, now) {
      await db.send(
        new UpdateCommand({
          TableName,
          Key: key(period),
          UpdateExpression: 'SET #s = :sent, sentAt = :at, messageId = :id',
          ConditionExpression: 'claimant = :me',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: {
            ':sent': 'sent',
            ':at': now.toISOString(),
            ':id': messageId ?? 'none',
            ':me': claimant,
          },
        }),
      );
    },
  };
}
