import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createDynamoDbMonitorStateStore,
  MONITOR_PARTITION,
} from '../../../src/adapters/monitor-state-dynamodb.ts';
import { findingKey, type StoredFinding } from '../../../src/domain/sweep.ts';
import { createReadinessTable, startDynalite } from '../../helpers/dynalite.ts';

let dynamo: Awaited<ReturnType<typeof startDynalite>>;
let tables = 0;

beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(async () => {
  await dynamo?.close();
});

async function freshStore() {
  const tableName = `readiness-${++tables}`;
  await createReadinessTable(dynamo.client, tableName);
  return { tableName, store: createDynamoDbMonitorStateStore({ client: dynamo.client, tableName }) };
}

function finding(n: number, overrides: Partial<StoredFinding> = {}): StoredFinding {
  const id = `s-${n.toString().padStart(17, '0')}`;
  return {
    key: findingKey('drs-source-server', id),
    resourceType: 'drs-source-server',
    resourceId: id,
    workload: 'payments',
    state: 'READY',
    reasonCode: 'within-rpo',
    readyToFailBack: false,
    since: '2026-11-22T12:00:00.000Z',
    lastSignalledAt: '2026-11-22T12:15:00.000Z',
    ...overrides,
  };
}

describe('DynamoDB monitor state (dynalite)', () => {
  it('stores findings under the detector partition and loads them back', async () => {
    const { store, tableName } = await freshStore();
    const stored = [
      finding(1),
      finding(2, { state: 'NOT_READY', reasonCode: 'not-replicating', readyToFailBack: true }),
    ];

    await store.save({ put: stored, delete: [] });
    const loaded = await store.load();

    expect([...loaded.values()]).toEqual(stored);
    const { Item } = await dynamo.client.send(
      new GetItemCommand({
        TableName: tableName,
        Key: { pk: { S: MONITOR_PARTITION }, sk: { S: `finding#${finding(1).key}` } },
      }),
    );
    expect(Item?.state).toEqual({ S: 'READY' });
  });

  it('writes and deletes more than one batch (25 items per BatchWriteItem)', async () => {
    const { store } = await freshStore();
    const many = Array.from({ length: 60 }, (_, index) => finding(index + 1));
    await store.save({ put: many, delete: [] });

    await store.save({
      put: [finding(1, { state: 'AT_RISK' })],
      delete: many.slice(30).map((item) => item.key),
    });
    const loaded = await store.load();

    expect(loaded.size).toBe(30);
    expect(loaded.get(finding(1).key)?.state).toBe('AT_RISK');
    expect(loaded.has(finding(31).key)).toBe(false);
  });

  it('loads every page of a large state', async () => {
    const { store } = await freshStore();
    // 3,000 findings of ~550 bytes: more than one 1 MB Query page.
    const many = Array.from({ length: 3_000 }, (_, index) =>
      finding(index + 1, { workload: `w-${'x'.repeat(400)}` }),
    );
    await store.save({ put: many, delete: [] });

    const loaded = await store.load();

    expect(loaded.size).toBe(3_000);
    // 3,000 writes through dynalite: about 2 s on a quiet 2-core machine, past 5 s on a busy one.
  }, 30_000);

  it('reads an item stored before lastSignalledAt existed as last signalled when it changed (since)', async () => {
    const { store, tableName } = await freshStore();
    await dynamo.client.send(
      new PutItemCommand({
        TableName: tableName,
        Item: {
          pk: { S: MONITOR_PARTITION },
          sk: { S: `finding#${finding(1).key}` },
          resourceType: { S: 'drs-source-server' },
          resourceId: { S: finding(1).resourceId },
          workload: { S: 'payments' },
          state: { S: 'READY' },
          reasonCode: { S: 'within-rpo' },
          readyToFailBack: { BOOL: false },
          since: { S: '2026-11-22T11:00:00.000Z' },
        },
      }),
    );

    const loaded = await store.load();

    expect(loaded.get(finding(1).key)).toEqual(
      finding(1, { since: '2026-11-22T11:00:00.000Z', lastSignalledAt: '2026-11-22T11:00:00.000Z' }),
    );
  });

  it('ignores items of the partition that are not findings, and other partitions', async () => {
    const { store, tableName } = await freshStore();
    await dynamo.client.send(
      new PutItemCommand({
        TableName: tableName,
        Item: { pk: { S: MONITOR_PARTITION }, sk: { S: 'meta#version' } },
      }),
    );
    await dynamo.client.send(
      new PutItemCommand({
        TableName: tableName,
        Item: {
          pk: { S: 'resource#s-1' },
          sk: { S: 'finding#drs-source-server#s-1' },
          state: { S: 'READY' },
        },
      }),
    );
    await dynamo.client.send(
      new PutItemCommand({
        TableName: tableName,
        Item: {
          pk: { S: MONITOR_PARTITION },
          sk: { S: 'finding#drs-source-server#bad' },
          state: { S: 'GREEN' },
        },
      }),
    );

    await expect(store.load()).resolves.toEqual(new Map());
  });
});
