import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { crc32 } from 'node:zlib';
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
 *
 * dynalite 4.0 has no TransactWriteItems: this server answers it itself (see {@link transactWriteItems}), and
 * isolates it as DynamoDB does: a transaction runs alone (every other request waits, and it waits for those in
 * flight), so no request sees a transaction half applied.
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
  const handlers = server.listeners('request') as RequestListener[];
  server.removeAllListeners('request');
  const gate = exclusiveGate();
  const dispatch = (request: IncomingMessage, response: ServerResponse) => {
    for (const handler of handlers) handler(request, response);
  };
  const internal = internalCaller(dispatch);
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    // A client that gives up while its request waits at the gate (its request timeout, an abandoned invocation)
    // closes the response before the gate admits it: known here, or the admitted request would wait for a
    // 'close' that has already happened and hold the gate shut for every request after it.
    let gone = false;
    response.on('close', () => {
      gone = true;
    });
    void readBody(request).then(async (body) => {
      const target = String(request.headers['x-amz-target'] ?? '');
      const operation = target.slice(target.indexOf('.') + 1);
      if (options.record) requests.push({ operation, table: tableNameOf(body) });
      if (operation === 'TransactWriteItems') {
        const answer = await gate.alone(() => transactWriteItems(body, internal));
        sendJson(response, answer.status, answer.body);
        return;
      }
      await gate.shared(
        () =>
          new Promise<void>((resolve) => {
            if (gone) {
              resolve();
              return;
            }
            response.on('finish', () => resolve());
            response.on('close', () => resolve());
            dispatch(replay(request, body), response);
          }),
      );
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

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

function tableNameOf(body: Buffer): string | undefined {
  try {
    const name = (JSON.parse(body.toString('utf8')) as { TableName?: unknown }).TableName;
    return typeof name === 'string' ? name : undefined;
  } catch {
    return undefined;
  }
}

/** The request again, for dynalite's handler, once its body has been read here. */
function replay(request: IncomingMessage, body: Buffer): IncomingMessage {
  const stream = new PassThrough() as unknown as IncomingMessage;
  Object.assign(stream, { headers: request.headers, method: request.method, url: request.url });
  (stream as unknown as PassThrough).end(body);
  return stream;
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.statusCode = status;
  response.setHeader('Content-Type', 'application/x-amz-json-1.0');
  response.setHeader('x-amz-crc32', String(crc32(text)));
  response.setHeader('Content-Length', Buffer.byteLength(text, 'utf8'));
  response.end(text);
}

/**
 * Shared / exclusive admission: ordinary requests run together, a transaction runs alone. A transaction waiting
 * holds back requests that arrive after it, so a stream of requests cannot starve it.
 */
function exclusiveGate() {
  let running = 0;
  let exclusive = false;
  const waiting: { alone: boolean; start: () => void }[] = [];
  const pump = () => {
    while (waiting.length > 0 && !exclusive) {
      const next = waiting[0] as (typeof waiting)[number];
      if (next.alone ? running > 0 : false) return;
      waiting.shift();
      running += 1;
      if (next.alone) exclusive = true;
      next.start();
      if (next.alone) return;
    }
  };
  const admit = async <T>(alone: boolean, work: () => Promise<T>): Promise<T> => {
    await new Promise<void>((start) => {
      waiting.push({ alone, start });
      pump();
    });
    try {
      return await work();
    } finally {
      running -= 1;
      if (alone) exclusive = false;
      pump();
    }
  };
  return {
    shared: <T>(work: () => Promise<T>) => admit(false, work),
    alone: <T>(work: () => Promise<T>) => admit(true, work),
  };
}

/** One DynamoDB operation answered by dynalite, called from inside this server (no HTTP, no admission). */
type InternalCall = (operation: string, input: unknown) => Promise<{ status: number; body: DynamoAnswer }>;

function internalCaller(dispatch: RequestListener): InternalCall {
  return (operation, input) =>
    new Promise((resolve) => {
      const request = new PassThrough() as unknown as IncomingMessage;
      Object.assign(request, {
        method: 'POST',
        url: '/',
        headers: {
          'content-type': 'application/x-amz-json-1.0',
          'x-amz-target': `DynamoDB_20120810.${operation}`,
          'x-amz-date': '20260101T000000Z',
          authorization:
            'AWS4-HMAC-SHA256 Credential=sim/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
        },
      });
      let status = 200;
      const response = {
        set statusCode(value: number) {
          status = value;
        },
        get statusCode() {
          return status;
        },
        contentType: 'application/x-amz-json-1.0',
        setHeader: () => undefined,
        end: (text: string) => resolve({ status, body: JSON.parse(text || '{}') }),
      } as unknown as ServerResponse;
      dispatch(request, response);
      (request as unknown as PassThrough).end(JSON.stringify(input));
    });
}

type AttributeMap = Record<string, unknown>;
/** The parts of dynalite's answers read here. */
interface DynamoAnswer {
  __type?: string;
  Attributes?: AttributeMap;
  ConsumedCapacity?: { CapacityUnits?: number };
  Table?: { KeySchema: { AttributeName: string }[] };
}
interface TransactItem {
  Put?: { TableName: string; Item: AttributeMap; [name: string]: unknown };
  Update?: { TableName: string; Key: AttributeMap; [name: string]: unknown };
  Delete?: { TableName: string; Key: AttributeMap; [name: string]: unknown };
  ConditionCheck?: unknown;
}

const DYNAMO_ERROR = 'com.amazonaws.dynamodb.v20120810#';
const validation = (message: string) => ({
  status: 400,
  body: { __type: 'com.amazon.coral.validate#ValidationException', message },
});

/**
 * TransactWriteItems as DynamoDB answers it, on dynalite, while nothing else runs (see the gate): each action is
 * applied in turn as the single-item operation it names, with its condition; if any is refused, those applied are
 * undone from the images they returned and the answer is TransactionCanceledException with one reason per
 * action (`ConditionalCheckFailed` or `None`), as DynamoDB gives them. Capacity: two write units per 1 KB of
 * each item, as DynamoDB bills a transactional write. ConditionCheck and ClientRequestToken (idempotent retries
 * within 10 minutes) are not simulated: the first is refused as a validation error, the second ignored.
 */
export async function transactWriteItems(
  raw: Buffer,
  call: InternalCall,
): Promise<{ status: number; body: unknown }> {
  let input: { TransactItems?: TransactItem[]; ReturnConsumedCapacity?: string };
  try {
    input = JSON.parse(raw.toString('utf8'));
  } catch {
    return { status: 400, body: { __type: 'com.amazon.coral.service#SerializationException' } };
  }
  const items = input.TransactItems ?? [];
  if (items.length < 1 || items.length > 100) {
    return validation('Member must have length less than or equal to 100 and greater than or equal to 1');
  }
  if (items.some((item) => item.ConditionCheck !== undefined)) {
    return validation('ConditionCheck is not supported by the simulator');
  }
  const actions: { operation: string; params: Record<string, unknown>; key: AttributeMap }[] = [];
  for (const item of items) {
    const [operation, params] = item.Put
      ? ['PutItem', item.Put]
      : item.Update
        ? ['UpdateItem', item.Update]
        : ['DeleteItem', item.Delete];
    if (!params) return validation('TransactItems can only contain one of Check, Put, Update or Delete');
    const described = await call('DescribeTable', { TableName: params.TableName });
    if (described.status !== 200) return described;
    const schema = (described.body.Table?.KeySchema ?? []).map((k) => k.AttributeName);
    const source = (operation === 'PutItem' ? params.Item : params.Key) as AttributeMap;
    actions.push({ operation, params, key: Object.fromEntries(schema.map((name) => [name, source[name]])) });
  }
  const keys = actions.map((action) => JSON.stringify([action.params.TableName, action.key]));
  if (new Set(keys).size !== keys.length) {
    return validation('Transaction request cannot include multiple operations on one item');
  }
  const undo: { table: string; key: AttributeMap; old: AttributeMap | undefined }[] = [];
  const reasons: { Code: string; Message?: string }[] = [];
  const units = new Map<string, number>();
  let failure: { status: number; body: unknown } | undefined;
  for (const { operation, params, key } of actions) {
    const { ReturnValuesOnConditionCheckFailure: _onFailure, ...rest } = params;
    const table = String(rest.TableName);
    const answer = await call(operation, {
      ...rest,
      ReturnValues: 'ALL_OLD',
      ReturnConsumedCapacity: 'TOTAL',
    });
    if (answer.status === 200) {
      undo.push({ table, key, old: answer.body.Attributes });
      units.set(
        table,
        (units.get(table) ?? 0) + 2 * Number(answer.body.ConsumedCapacity?.CapacityUnits ?? 1),
      );
      reasons.push({ Code: 'None' });
    } else if (String(answer.body.__type).endsWith('ConditionalCheckFailedException')) {
      reasons.push({ Code: 'ConditionalCheckFailed', Message: 'The conditional request failed' });
    } else {
      failure = answer;
      break;
    }
  }
  const cancelled = failure !== undefined || reasons.some((reason) => reason.Code !== 'None');
  if (cancelled) {
    for (const { table, key, old } of undo.reverse()) {
      await (old
        ? call('PutItem', { TableName: table, Item: old })
        : call('DeleteItem', { TableName: table, Key: key }));
    }
  }
  if (failure) return failure;
  if (cancelled) {
    return {
      status: 400,
      body: {
        __type: `${DYNAMO_ERROR}TransactionCanceledException`,
        Message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(', ')}]`,
        CancellationReasons: reasons,
      },
    };
  }
  return {
    status: 200,
    body:
      input.ReturnConsumedCapacity && input.ReturnConsumedCapacity !== 'NONE'
        ? {
            ConsumedCapacity: [...units].map(([TableName, CapacityUnits]) => ({
              TableName,
              CapacityUnits,
              WriteCapacityUnits: CapacityUnits,
            })),
          }
        : {},
  };
}

/**
 * Puts a fault layer in front of the server's request handler (the recording, the transaction gate and dynalite
 * behind it): DynamoDB's errors as its JSON 1.0 protocol answers them. A request refused before apply is not
 * recorded in `requests` (the simulator logs it as a faulted call); one failed after apply is.
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

/** The readiness table (pk/sk, and the sparse index `open` of resources not READY), as `infra/tables.yml` declares it. */
export async function createReadinessTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
        { AttributeName: 'openPk', AttributeType: 'S' },
        { AttributeName: 'openSk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'open',
          KeySchema: [
            { AttributeName: 'openPk', KeyType: 'HASH' },
            { AttributeName: 'openSk', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
}
