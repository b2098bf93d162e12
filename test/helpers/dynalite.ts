import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll } from 'vitest';
import { startDynaliteServer } from '../../sim/dynamo.ts';

export { createEvidenceTable, createIdempotencyTable, createReadinessTable } from '../../sim/dynamo.ts';

/** A real DynamoDB-compatible server (dynalite, in memory) on a loopback port, and an SDK client for it. */
export async function startDynalite(): Promise<{
  endpoint: string;
  client: DynamoDBClient;
  close: () => Promise<void>;
}> {
  const server = await startDynaliteServer();
  const client = clientOf(server.endpoint);
  return {
    endpoint: server.endpoint,
    client,
    close: async () => {
      client.destroy();
      await server.close();
    },
  };
}

/**
 * A second SDK client for `endpoint` that counts the requests it sends (command names without `Command`), on the
 * wire: for tests that assert what a path asks of DynamoDB. `requestsOf` runs `work` and gives its requests.
 */
export function countingClient(endpoint: string): {
  client: DynamoDBClient;
  requestsOf: (work: () => Promise<unknown>) => Promise<string[]>;
} {
  const requests: string[] = [];
  const client = clientOf(endpoint);
  client.middlewareStack.add(
    (next, context) => async (args) => {
      requests.push(String(context.commandName).replace(/Command$/, ''));
      return next(args);
    },
    { step: 'initialize', name: 'countRequests' },
  );
  return {
    client,
    async requestsOf(work) {
      requests.length = 0;
      await work();
      return [...requests];
    },
  };
}

/**
 * For a test file: a dynalite server (`dynalite`) and a counting client for it (`counted`, `requestsOf`), started
 * before the file's tests and closed after them (registers `beforeAll` and `afterAll`).
 */
export function countingDynalite(): {
  dynalite: Awaited<ReturnType<typeof startDynalite>>;
  counted: DynamoDBClient;
  requestsOf: (work: () => Promise<unknown>) => Promise<string[]>;
} {
  const db = {} as ReturnType<typeof countingDynalite>;
  beforeAll(async () => {
    db.dynalite = await startDynalite();
    const counting = countingClient(db.dynalite.endpoint);
    db.counted = counting.client;
    db.requestsOf = counting.requestsOf;
  });
  afterAll(async () => {
    db.counted?.destroy();
    await db.dynalite?.close();
  });
  return db;
}

/** An SDK client for the dynalite server at `endpoint`, with test credentials. */
export function clientOf(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'us-west-2',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
}
