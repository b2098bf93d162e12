import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { startDynaliteServer } from '../../sim/dynamo.ts';

export { createEvidenceTable, createIdempotencyTable, createReadinessTable } from '../../sim/dynamo.ts';

/** A real DynamoDB-compatible server (dynalite, in memory) on a loopback port, and an SDK client for it. */
export async function startDynalite(): Promise<{
  endpoint: string;
  client: DynamoDBClient;
  close: () => Promise<void>;
}> {
  const server = await startDynaliteServer();
  const client = new DynamoDBClient({
    endpoint: server.endpoint,
    region: 'us-west-2',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  return {
    endpoint: server.endpoint,
    client,
    close: async () => {
      client.destroy();
      await server.close();
    },
  };
}
