import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import type { Fault } from './world.ts';

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
export async function startDynaliteServer(
  options: {
    record?: boolean;
    /**
     * Asked about every request (by operation, e.g. `PutItem`): the fault to inject, if any. Before apply the
     * error is answered instead of dynalite's; after apply dynalite makes the change and the error replaces its
     * answer; a hang answers nothing (`onHang` says whether to hold the connection or drop it).
     */
    faults?: ((operation: string) => Fault | undefined) | undefined;
    onHang?: (() => 'hold' | 'drop') | undefined;
  } = {},
): Promise<{
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
  if (options.faults) injectFaults(server, options.faults, options.onHang);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        // A hung request (an injected fault) holds its connection open: close it, or closing waits for it.
        server.closeAllConnections();
        server.close((error?: Error) => (error ? reject(error) : resolve()));
      }),
  };
}

type RequestListener = (request: IncomingMessage, response: ServerResponse) => void;

/**
 * Puts a fault layer in front of dynalite's own request handler (it stays in the same server, after the
 * recording listener): DynamoDB's errors as its JSON 1.0 protocol answers them.
 */
function injectFaults(
  server: Server,
  faults: (operation: string) => Fault | undefined,
  onHang: (() => 'hold' | 'drop') | undefined,
): void {
  const inner = server.listeners('request') as RequestListener[];
  const own = inner.at(-1);
  if (!own) throw new Error('dynalite has no request handler');
  server.removeListener('request', own);
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const target = String(request.headers['x-amz-target'] ?? '');
    const fault = faults(target.slice(target.indexOf('.') + 1));
    if (!fault) {
      own(request, response);
      return;
    }
    const answer = () => {
      if (fault.hang) {
        // As sim/http.ts: dropped at once, or held until the waiting invocation has timed out, then closed.
        if (onHang?.() === 'drop') request.socket.destroy();
        else setImmediate(() => request.socket.destroy());
        return;
      }
      const body = JSON.stringify({
        __type: `com.amazonaws.dynamodb.v20120810#${fault.error}`,
        message: fault.message ?? `simulated ${fault.error}`,
      });
      response.writeHead(fault.error === 'InternalServerError' ? 500 : 400, {
        'content-type': 'application/x-amz-json-1.0',
        'content-length': Buffer.byteLength(body),
        'x-amzn-requestid': crypto.randomUUID(),
      });
      response.end(body);
    };
    if (!fault.afterApply) {
      request.resume();
      request.on('end', answer);
      return;
    }
    // After apply: dynalite makes the change; its answer is dropped for the error's.
    const end = response.end.bind(response);
    response.end = (() => {
      for (const name of response.getHeaderNames()) response.removeHeader(name);
      response.end = end;
      answer();
      return response;
    }) as typeof response.end;
    own(request, response);
  });
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
