import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/**
 * The idempotency store: Powertools' DynamoDB layer on IDEMPOTENCY_TABLE_NAME in its default layout
 * (partition key `id`, TTL `expiration`), sharing the function's DynamoDB client.
 */
export function createIdempotencyStore(tableName: string, client: DynamoDBClient): DynamoDBPersistenceLayer {
  return new DynamoDBPersistenceLayer({ tableName, awsSdkV3Client: client });
}
