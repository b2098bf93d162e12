import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';

/** One request DynamoDB received: its operation (`PutItem`) and the table it names (absent for batches). */
export interface DynamoRequest {
  operation: string;
  table?: string | undefined;
}

/**
 * DynamoDB for the simulator, the tests and the benchmarks: dynalite (in memory) on a loopback port, creating,
 * deleting and updating tables at once. The caller makes its own SDK client for `endpoint`. With `record`,
 * `requests` lists every request received, whoever sent it (the simulated functions' own clients included), for
 * the suites that count DynamoDB requests per event or look for writes; they empty it as they go.
 */
export async function startDynaliteServer(options: { record?: boolean } = {}): Promise<{
  endpoint: string;
  close: () => Promise<void>;
  requests: DynamoRequest[];
}> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const requests: DynamoRequest[] = [];
  // Before dynalite's own handler: its listeners on the request come after these, so both see the body.
  server.prependListener('request', (request: IncomingMessage) => {
    if (!options.record) return;
    const target = String(request.headers['x-amz-target'] ?? '');
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      let table: string | undefined;
      try {
        const name = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { TableName?: unknown })
          .TableName;
        table = typeof name === 'string' ? name : undefined;
      } catch {
        table = undefined;
      }
      requests.push({ operation: target.slice(target.indexOf('.') + 1), table });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) =>
        server.close((error?: Error) => (error ? reject(error) : resolve())),
      ),
  };
}

/** The idempotency table in Powertools' default layout (partition key `id`), as `infra/tables.yml` declares it. */
export async function createIdempotencyTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
}

/** The evidence ledger (partition key `id`), as `infra/tables.yml` declares it. */
export async function createEvidenceTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await createIdempotencyTable(client, tableName);
}

/** The readiness table (pk/sk), as `infra/tables.yml` declares it. */
export async function createReadinessTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
}
