import { DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDynaliteServer } from '../../../sim/dynamo.ts';
import { createReadinessTable, startDynalite } from '../../helpers/dynalite.ts';

/**
 * TransactWriteItems as the simulator's DynamoDB answers it (dynalite 4.0 has none), through the real SDK:
 * all or nothing, DynamoDB's cancellation reasons, twice the write units, and no request sees it half applied.
 */

let dynalite: Awaited<ReturnType<typeof startDynalite>>;
let documents: DynamoDBDocumentClient;
const TableName = 'transactions';
beforeAll(async () => {
  dynalite = await startDynalite();
  documents = DynamoDBDocumentClient.from(dynalite.client);
  await createReadinessTable(dynalite.client, TableName);
});
afterAll(async () => {
  await dynalite.close();
});

const get = async (pk: string, sk: string) =>
  (await documents.send(new GetCommand({ TableName, Key: { pk, sk }, ConsistentRead: true }))).Item;

describe('TransactWriteItems on the simulated DynamoDB', () => {
  it('applies every action together and bills two write units per item', async () => {
    // Prepare
    await documents.send(new PutCommand({ TableName, Item: { pk: 'a', sk: 'updated', n: 1 } }));
    await documents.send(new PutCommand({ TableName, Item: { pk: 'a', sk: 'deleted', n: 1 } }));
    // Act
    const answer = await documents.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName,
              Item: { pk: 'a', sk: 'new', n: 7 },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          {
            Update: {
              TableName,
              Key: { pk: 'a', sk: 'updated' },
              UpdateExpression: 'ADD n :one',
              ConditionExpression: 'n = :expected',
              ExpressionAttributeValues: { ':one': 1, ':expected': 1 },
            },
          },
          { Delete: { TableName, Key: { pk: 'a', sk: 'deleted' } } },
        ],
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    // Assess
    expect(await get('a', 'new')).toEqual({ pk: 'a', sk: 'new', n: 7 });
    expect(await get('a', 'updated')).toEqual({ pk: 'a', sk: 'updated', n: 2 });
    expect(await get('a', 'deleted')).toBeUndefined();
    expect(answer.ConsumedCapacity).toEqual([{ TableName, CapacityUnits: 6, WriteCapacityUnits: 6 }]);
  });

  it('applies nothing when one condition fails, and gives a reason per action', async () => {
    // Prepare
    await documents.send(new PutCommand({ TableName, Item: { pk: 'b', sk: 'first', n: 1 } }));
    await documents.send(new PutCommand({ TableName, Item: { pk: 'b', sk: 'guarded', n: 5 } }));
    // Act
    const refused = await documents
      .send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName,
                Key: { pk: 'b', sk: 'first' },
                UpdateExpression: 'SET n = :n',
                ExpressionAttributeValues: { ':n': 100 },
              },
            },
            { Put: { TableName, Item: { pk: 'b', sk: 'created', n: 1 } } },
            {
              Delete: {
                TableName,
                Key: { pk: 'b', sk: 'guarded' },
                ConditionExpression: 'n = :expected',
                ExpressionAttributeValues: { ':expected': 4 },
              },
            },
          ],
        }),
      )
      .catch((error: unknown) => error);
    // Assess
    expect(refused).toBeInstanceOf(TransactionCanceledException);
    expect((refused as TransactionCanceledException).CancellationReasons?.map((r) => r.Code)).toEqual([
      'None',
      'None',
      'ConditionalCheckFailed',
    ]);
    expect(await get('b', 'first')).toEqual({ pk: 'b', sk: 'first', n: 1 });
    expect(await get('b', 'created')).toBeUndefined();
    expect(await get('b', 'guarded')).toEqual({ pk: 'b', sk: 'guarded', n: 5 });
  });

  it('refuses two actions on one item', async () => {
    // Act
    const refused = await documents
      .send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName, Item: { pk: 'c', sk: 'x', n: 1 } } },
            { Delete: { TableName, Key: { pk: 'c', sk: 'x' } } },
          ],
        }),
      )
      .catch((error: unknown) => error);
    // Assess
    expect((refused as Error).name).toBe('ValidationException');
    expect(await get('c', 'x')).toBeUndefined();
  });

  it('never shows a transaction half applied, and loses no update among concurrent ones', async () => {
    // Prepare: two items that every transaction moves together, guarded by a version
    await documents.send(new PutCommand({ TableName, Item: { pk: 'd', sk: 'left', n: 0 } }));
    await documents.send(new PutCommand({ TableName, Item: { pk: 'd', sk: 'right', n: 0 } }));
    const increment = async () => {
      for (;;) {
        const held = Number((await get('d', 'left'))?.n);
        const move = (sk: string) => ({
          Update: {
            TableName,
            Key: { pk: 'd', sk },
            UpdateExpression: 'SET n = :next',
            ConditionExpression: 'n = :held',
            ExpressionAttributeValues: { ':next': held + 1, ':held': held },
          },
        });
        try {
          await documents.send(new TransactWriteCommand({ TransactItems: [move('left'), move('right')] }));
          return;
        } catch (error) {
          if (!(error instanceof TransactionCanceledException)) throw error;
        }
      }
    };
    const seen: number[][] = [];
    const read = async () => {
      const answer = await documents.send(
        new BatchGetCommand({
          RequestItems: {
            [TableName]: {
              Keys: [
                { pk: 'd', sk: 'left' },
                { pk: 'd', sk: 'right' },
              ],
              ConsistentRead: true,
            },
          },
        }),
      );
      seen.push((answer.Responses?.[TableName] ?? []).map((item) => Number(item.n)));
    };
    // Act: 8 increments and 20 reads at once
    await Promise.all([...Array.from({ length: 8 }, increment), ...Array.from({ length: 40 }, read)]);
    // Assess
    expect(await get('d', 'left')).toMatchObject({ n: 8 });
    expect(await get('d', 'right')).toMatchObject({ n: 8 });
    for (const pair of seen) expect(new Set(pair).size).toBe(1);
  }, 30_000);

  it('lets requests through after one whose client gave up while it waited behind a transaction', async () => {
    // Prepare: a server of its own (its request log shows when a request has arrived), and a big transaction
    const server = await startDynaliteServer({ record: true });
    const client = new DynamoDBClient({
      endpoint: server.endpoint,
      region: 'us-west-2',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    const own = DynamoDBDocumentClient.from(client);
    await createReadinessTable(client, TableName);
    const arrived = async (operation: string) => {
      while (!server.requests.some((request) => request.operation === operation)) {
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    const writeMany = (prefix: string) =>
      own.send(
        new TransactWriteCommand({
          TransactItems: Array.from({ length: 100 }, (_, n) => ({
            Put: { TableName, Item: { pk: prefix, sk: `item-${n}`, n } },
          })),
        }),
      );
    try {
      let firstDone = false;
      const first = writeMany('e').then(() => {
        firstDone = true;
      });
      await arrived('TransactWriteItems');
      // Act: a read arrives while the transaction runs alone, and its client gives up before it is admitted
      const giveUp = new AbortController();
      const abandoned = own
        .send(new GetCommand({ TableName, Key: { pk: 'e', sk: 'item-0' } }), { abortSignal: giveUp.signal })
        .catch((error: unknown) => error);
      await arrived('GetItem');
      const waitedBehindIt = !firstDone;
      giveUp.abort();
      await abandoned;
      await first;
      // Assess: it did wait behind the transaction, and the next transaction and read still get through
      expect(waitedBehindIt).toBe(true);
      const deadline = AbortSignal.timeout(5_000);
      await own.send(
        new TransactWriteCommand({
          TransactItems: [{ Put: { TableName, Item: { pk: 'f', sk: 'after', n: 1 } } }],
        }),
        { abortSignal: deadline },
      );
      const after = await own.send(new GetCommand({ TableName, Key: { pk: 'f', sk: 'after' } }), {
        abortSignal: deadline,
      });
      expect(after.Item).toMatchObject({ n: 1 });
    } finally {
      client.destroy();
      await server.close();
    }
  }, 30_000);
});
