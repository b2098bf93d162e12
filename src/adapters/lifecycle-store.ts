import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, paginateQuery } from '@aws-sdk/lib-dynamodb';
import type { LifecycleStore, StoredDrill, StoredServerLifecycle } from '../ports/lifecycle.ts';
import { batchWriteAll } from './dynamodb-batch.ts';

/**
 * The failback lifecycle's memory in the readiness table: partition `detector#failback-lifecycle` (so IAM can
 * limit the function to it with `dynamodb:LeadingKeys`), one item per protected server (`server#<id>`) and per
 * drill instance reported (`drill#<id>`), the value as JSON in `body`. Written only when something changed.
 */
export const LIFECYCLE_PARTITION = 'detector#failback-lifecycle';
const SERVER = 'server#';
const DRILL = 'drill#';

export function createDynamoDbLifecycleStore(options: {
  client: DynamoDBClient;
  tableName: string;
  attempts?: number;
}): LifecycleStore {
  const db = DynamoDBDocumentClient.from(options.client, {
    marshallOptions: { removeUndefinedValues: true },
  });
  const TableName = options.tableName;
  const attempts = options.attempts ?? 5;
  return {
    async load() {
      const servers = new Map<string, StoredServerLifecycle>();
      const drills = new Map<string, StoredDrill>();
      for await (const page of paginateQuery(
        { client: db },
        {
          TableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': LIFECYCLE_PARTITION },
        },
      )) {
        for (const item of page.Items ?? []) {
          const { sk, body } = item as { sk?: unknown; body?: unknown };
          if (typeof sk !== 'string' || typeof body !== 'string') continue;
          if (sk.startsWith(SERVER)) servers.set(sk.slice(SERVER.length), JSON.parse(body));
          else if (sk.startsWith(DRILL)) drills.set(sk.slice(DRILL.length), JSON.parse(body));
        }
      }
      return { servers, drills };
    },
    async save({ servers, drills, deleteDrills }) {
      const requests = [
        ...servers.map((server) => ({
          PutRequest: {
            Item: {
              pk: LIFECYCLE_PARTITION,
              sk: `${SERVER}${server.serverId}`,
              body: JSON.stringify(server),
            },
          },
        })),
        ...drills.map((drill) => ({
          PutRequest: {
            Item: {
              pk: LIFECYCLE_PARTITION,
              sk: `${DRILL}${drill.recoveryInstanceId}`,
              body: JSON.stringify(drill),
            },
          },
        })),
        ...deleteDrills.map((id) => ({
          DeleteRequest: { Key: { pk: LIFECYCLE_PARTITION, sk: `${DRILL}${id}` } },
        })),
      ];
      await batchWriteAll(db, TableName, requests, { attempts, what: 'lifecycle item(s)' });
    },
  };
}
