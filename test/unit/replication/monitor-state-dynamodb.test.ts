import { DeleteItemCommand, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { meterDynamo } from '../../../bench/dynamo-meter.ts';
import {
  createDynamoDbMonitorStateStore,
  MONITOR_PARTITION,
  REFRESH_MARKER_SK,
} from '../../../src/adapters/monitor-state-dynamodb.ts';
import { runReplicationMonitor } from '../../../src/app/replication-monitor.ts';
import { findingKey, type StoredFinding } from '../../../src/domain/sweep.ts';
import type { MonitorStateStore } from '../../../src/ports/monitor-state.ts';
import { CapturingSignalPublisher } from '../../fakes/signals.ts';
import { clientOf, createReadinessTable, startDynalite } from '../../helpers/dynalite.ts';
import { ACCOUNT, CapturingMetrics, monitorPolicy, PagedFakeDrs, REGION, sourceServer } from './fakes.ts';

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

    expect([...loaded.findings.values()]).toEqual(stored);
    expect(loaded.refreshedAt).toBeUndefined();
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
    const { findings: loaded } = await store.load();

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

    const { findings: loaded } = await store.load();

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

    const { findings: loaded } = await store.load();

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

    await expect(store.load()).resolves.toEqual({ findings: new Map(), refreshedAt: undefined });
  });
});

describe('DynamoDB monitor state: the refresh marker (dynalite)', () => {
  it('stores the refresh marker as one item of the partition, beside the findings, and loads both in one Query', async () => {
    // Prepare
    const { store, tableName } = await freshStore();
    const client = clientOf(dynamo.endpoint);
    const meter = meterDynamo(client);
    const metered = createDynamoDbMonitorStateStore({ client, tableName });
    await store.save({ put: [finding(1)], delete: [], refreshedAt: '2026-11-22T12:30:00.000Z' });

    // Act
    const loaded = await metered.load();

    // Assess
    expect(loaded).toEqual({
      findings: new Map([[finding(1).key, finding(1)]]),
      refreshedAt: '2026-11-22T12:30:00.000Z',
    });
    expect(meter.byCommand).toEqual({ Query: 1 });
    const { Item } = await dynamo.client.send(
      new GetItemCommand({
        TableName: tableName,
        Key: { pk: { S: MONITOR_PARTITION }, sk: { S: REFRESH_MARKER_SK } },
      }),
    );
    expect(Item).toEqual({
      pk: { S: MONITOR_PARTITION },
      sk: { S: 'refresh' },
      refreshedAt: { S: '2026-11-22T12:30:00.000Z' },
    });
    client.destroy();
  });

  it('reads a marker without a readable time as no marker', async () => {
    // Prepare
    const { store, tableName } = await freshStore();
    await dynamo.client.send(
      new PutItemCommand({
        TableName: tableName,
        Item: { pk: { S: MONITOR_PARTITION }, sk: { S: REFRESH_MARKER_SK }, refreshedAt: { N: '1' } },
      }),
    );

    // Act and assess
    await expect(store.load()).resolves.toEqual({ findings: new Map(), refreshedAt: undefined });
  });

  it('writes the marker only after every finding: a failed finding write leaves the marker as it was', async () => {
    // Prepare: 30 findings (two BatchWriteItem calls) and a marker; DynamoDB refuses the call that holds finding 30
    const { store, tableName } = await freshStore();
    await store.save({ put: [], delete: [], refreshedAt: '2026-11-22T12:00:00.000Z' });
    const client = clientOf(dynamo.endpoint);
    const last = `finding#${finding(30).key}`;
    client.middlewareStack.add(
      (next) => async (args) => {
        if (JSON.stringify(args.input).includes(last))
          throw new Error('ProvisionedThroughputExceededException');
        return next(args);
      },
      { step: 'initialize', name: 'refuseFinding30' },
    );
    const failing = createDynamoDbMonitorStateStore({ client, tableName, attempts: 1 });
    const many = Array.from({ length: 30 }, (_, index) => finding(index + 1));

    // Act
    await expect(
      failing.save({ put: many, delete: [], refreshedAt: '2026-11-22T12:30:00.000Z' }),
    ).rejects.toThrow('ProvisionedThroughputExceededException');

    // Assess: the first 25 findings were written; the marker was not moved
    const loaded = await store.load();
    expect(loaded.findings.size).toBe(25);
    expect(loaded.refreshedAt).toBe('2026-11-22T12:00:00.000Z');
    client.destroy();
  });
});

describe('the replication monitor on DynamoDB: what a sweep writes (dynalite)', () => {
  const T0 = Date.parse('2026-11-22T12:00:00.000Z');
  const at = (minutes: number) => new Date(T0 + minutes * 60_000);

  /** The monitor over `servers` healthy servers, its state in a fresh table, its writes metered on the wire. */
  async function monitorOf(servers: number) {
    const { tableName } = await freshStore();
    const client = clientOf(dynamo.endpoint);
    const meter = meterDynamo(client);
    const state: MonitorStateStore = createDynamoDbMonitorStateStore({ client, tableName });
    const drs = new PagedFakeDrs();
    drs.servers = Array.from({ length: servers }, (_, index) => sourceServer(index + 1));
    const signals = new CapturingSignalPublisher();
    let sweeps = 0;
    return {
      tableName,
      meter,
      state,
      signals,
      close: () => client.destroy(),
      /** A full sweep `minutes` after T0: its outcome and the DynamoDB writes it made (requests and units). */
      async sweep(minutes: number) {
        meter.reset();
        const outcome = await runReplicationMonitor(
          { kind: 'schedule', id: `sweep-${++sweeps}`, account: ACCOUNT, region: REGION },
          {
            drs,
            state,
            signals,
            metrics: new CapturingMetrics(),
            clock: () => at(minutes),
            dryRun: false,
            policy: monitorPolicy({ refreshAfterSeconds: 1_800 }),
          },
        );
        const { byCommand, writeUnits } = meter.snapshot();
        return { outcome, writeRequests: byCommand.BatchWriteItem ?? 0, writeUnits };
      },
    };
  }

  it('writes one item, the marker, on a refresh sweep of 300 unchanged servers (it wrote 301 before)', async () => {
    // Prepare: 300 healthy servers, signalled and stored by a first sweep
    const monitor = await monitorOf(300);
    const first = await monitor.sweep(0);

    // Act: an unchanged sweep within the window, then the refresh sweep 30 minutes after the first
    const unchanged = await monitor.sweep(5);
    const refresh = await monitor.sweep(30);

    // Assess: the first sweep writes every finding and the marker; the unchanged one nothing; the refresh sweep
    // signals all 301 findings (300 servers and the DRS service) and writes one unit
    expect(first.writeUnits).toBe(302);
    expect(unchanged).toMatchObject({ writeRequests: 0, writeUnits: 0, outcome: { signalsPublished: 0 } });
    expect(refresh.outcome).toMatchObject({ refreshed: 301, removed: 0 });
    expect(refresh).toMatchObject({ writeRequests: 1, writeUnits: 1 });
    expect((await monitor.state.load()).refreshedAt).toBe(at(30).toISOString());
    monitor.close();
  });

  it('makes the first sweep after an upgrade (findings stored, no marker) a refresh sweep: every finding, one write', async () => {
    // Prepare: the findings of 3 servers and the DRS service as the previous version stored them (last signalled
    // on their own a minute before the upgrade, no marker)
    const monitor = await monitorOf(3);
    await monitor.sweep(0);
    await dynamo.client.send(
      new DeleteItemCommand({
        TableName: monitor.tableName,
        Key: { pk: { S: MONITOR_PARTITION }, sk: { S: REFRESH_MARKER_SK } },
      }),
    );
    const { findings: items, refreshedAt } = await monitor.state.load();
    expect(refreshedAt).toBeUndefined();
    await monitor.state.save({
      put: [...items.values()].map((item) => ({ ...item, lastSignalledAt: at(9).toISOString() })),
      delete: [],
    });

    // Act
    const upgraded = await monitor.sweep(10);

    // Assess
    expect(upgraded.outcome).toMatchObject({ refreshed: 4, refreshBatches: 2 });
    expect(upgraded).toMatchObject({ writeRequests: 1, writeUnits: 1 });
    expect((await monitor.state.load()).refreshedAt).toBe(at(10).toISOString());
    monitor.close();
  });
});
