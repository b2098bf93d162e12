import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, paginateScan } from '@aws-sdk/lib-dynamodb';
import type { EvidenceRecord } from '../domain/evidence.ts';
import type { EvidenceLedger } from '../ports/evidence.ts';

/**
 * The ledger in its own DynamoDB table (EVIDENCE_TABLE_NAME): partition key `id` (the record's deterministic
 * id), TTL on `expiresAt` (when it happened plus the retention), kept on stack removal (`DeletionPolicy: Retain`).
 * A write is a conditional PutItem (`attribute_not_exists(id)`): the first write of an action wins, a retry's
 * write is refused by DynamoDB and counted as done; writers hold `dynamodb:PutItem` only, so no function can
 * change or delete a record. Reads scan with a filter on `occurredAt`: the ledger holds a few records per
 * workload and week, and reports are rare, so a scan costs less than an index would in writes.
 */
export function createDynamoDbEvidenceLedger(options: {
  client: DynamoDBClient;
  tableName: string;
  /** How long a record is kept after it happened (0: for ever). */
  retentionSeconds: number;
}): EvidenceLedger {
  const db = DynamoDBDocumentClient.from(options.client, {
    marshallOptions: { removeUndefinedValues: true },
  });
  const TableName = options.tableName;
  return {
    async record(records) {
      for (const record of records) {
        const happened = Date.parse(record.occurredAt);
        const expiresAt =
          options.retentionSeconds > 0 && Number.isFinite(happened)
            ? Math.floor(happened / 1000) + options.retentionSeconds
            : undefined;
        try {
          await db.send(
            new PutCommand({
              TableName,
              Item: { ...record, ...(expiresAt ? { expiresAt } : {}) },
              ConditionExpression: 'attribute_not_exists(id)',
            }),
          );
        } catch (error) {
          if (!(error instanceof ConditionalCheckFailedException)) throw error;
        }
      }
    },
    async has(id) {
      const { Item } = await db.send(
        new GetCommand({ TableName, Key: { id }, ProjectionExpression: 'id', ConsistentRead: true }),
      );
      return Item !== undefined;
    },
    async triggerOf(id) {
      const { Item } = await db.send(
        new GetCommand({
          TableName,
          Key: { id },
          ProjectionExpression: '#t',
          ExpressionAttributeNames: { '#t': 'trigger' },
          ConsistentRead: true,
        }),
      );
      // A record is never without its trigger; were one, it would be read as the event path's (left alone).
      return Item ? ((Item.trigger as EvidenceRecord['trigger'] | undefined) ?? 'event') : undefined;
    },
    async list(query) {
      const names: Record<string, string> = { '#at': 'occurredAt' };
      const values: Record<string, string> = { ':since': query.since };
      const filters = ['#at >= :since'];
      if (query.until) {
        values[':until'] = query.until;
        filters.push('#at < :until');
      }
      if (query.workload) {
        names['#w'] = 'workload';
        values[':w'] = query.workload;
        filters.push('#w = :w');
      }
      const records: EvidenceRecord[] = [];
      for await (const page of paginateScan(
        { client: db },
        {
          TableName,
          FilterExpression: filters.join(' AND '),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        },
      )) {
        for (const item of page.Items ?? []) {
          const { expiresAt: _ttl, ...record } = item;
          records.push(record as EvidenceRecord);
        }
      }
      return records;
    },
  };
}
