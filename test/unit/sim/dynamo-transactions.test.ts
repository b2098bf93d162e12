import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
});
