import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { RetryableDependencyError } from '../domain/errors.ts';

type WriteRequest = NonNullable<
  NonNullable<ConstructorParameters<typeof BatchWriteCommand>[0]['RequestItems']>[string]
>[number];

/** BatchWriteItem takes at most 25 requests a call. */
const BATCH = 25;

/**
 * Writes every request with BatchWriteItem, 25 a call, resending what DynamoDB leaves unprocessed (with the
 * backoff it asks for) up to `attempts` rounds; what is still unprocessed then is a {@link RetryableDependencyError}
 * naming `what`, so the invocation fails and Lambda retries it.
 */
export async function batchWriteAll(
  documents: DynamoDBDocumentClient,
  tableName: string,
  requests: readonly WriteRequest[],
  options: { attempts: number; what: string },
): Promise<void> {
  for (let start = 0; start < requests.length; start += BATCH) {
    let pending = requests.slice(start, start + BATCH);
    for (let attempt = 1; attempt <= options.attempts && pending.length > 0; attempt++) {
      const { UnprocessedItems } = await documents.send(
        new BatchWriteCommand({ RequestItems: { [tableName]: pending } }),
      );
      pending = UnprocessedItems?.[tableName] ?? [];
      if (pending.length > 0 && attempt < options.attempts) {
        await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt));
      }
    }
    if (pending.length > 0) {
      throw new RetryableDependencyError(
        `BatchWriteItem left ${pending.length} ${options.what} unprocessed after ${options.attempts} attempts`,
      );
    }
  }
}
