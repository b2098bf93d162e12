import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import {
  createRefreshBatches,
  type ReadinessState,
  type RefreshBatch,
  type RefreshBatchEvent,
  type SignalType,
} from '../../events/dr-autopilot/signal.ts';
import { decodeBody } from '../../src/adapters/readiness-store.ts';
import { applyRefreshBatch, applySignal, sweepReadiness } from '../../src/app/readiness.ts';
import type { WorkloadEntry } from '../../src/domain/readiness.ts';
import { countingDynalite } from '../helpers/dynalite.ts';
import {
  delivered,
  manualClock,
  minute,
  readinessDeps,
  recordingNotifier,
  signalEvent,
} from '../helpers/readiness-fixtures.ts';

/**
 * Upgrading from the store that kept one entry per resource on the workload item: its items are read as they
 * are, the first change of a workload drops its entries, and the sweep recounts a workload whose entries had
 * fallen behind its resources and indexes open resources written before the index.
 */
const db = countingDynalite();

const OK = 'drs-source-server#s-00000000000000000';
const BAD = 'drs-source-server#s-00000000000000001';

/** Rewrites a workload item and its open resource as the previous version wrote them. */
async function asWrittenBefore(tableName: string, entries: Record<string, WorkloadEntry>, state: string) {
  const documents = DynamoDBDocumentClient.from(db.dynalite.client);
  await documents.send(
    new UpdateCommand({
      TableName: tableName,
      Key: { pk: 'workloads', sk: 'payments' },
      UpdateExpression: 'SET entries = :entries, #state = :state REMOVE counts',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':entries': entries, ':state': state },
    }),
  );
  await documents.send(
    new UpdateCommand({
      TableName: tableName,
      Key: { pk: 'workload#payments', sk: `resource#${BAD}` },
      UpdateExpression: 'REMOVE openPk, openSk',
    }),
  );
}

async function rawItem(tableName: string, pk: string, sk: string) {
  const { Item } = await DynamoDBDocumentClient.from(db.dynalite.client).send(
    new GetCommand({ TableName: tableName, Key: { pk, sk }, ConsistentRead: true }),
  );
  return Item;
}

describe('readiness store upgrade from per-resource entries', () => {
  it('reads a workload item that holds entries, and its first change leaves counts instead', async () => {
    // Prepare: one READY and one NOT_READY resource, the workload item as the previous version left it
    const notifier = recordingNotifier();
    const { deps, tableName } = await readinessDeps(db.dynalite.client, {
      notifier,
      policy: { downgradeObservations: 1 },
    });
    await applySignal(signalEvent({ resourceId: 's-00000000000000000', observedAt: minute(0) }), deps);
    await applySignal(
      signalEvent({ resourceId: 's-00000000000000001', state: 'NOT_READY', observedAt: minute(0) }),
      deps,
    );
    await asWrittenBefore(
      tableName,
      {
        [OK]: { state: 'READY', since: minute(0).toISOString(), version: 1 },
        [BAD]: { state: 'NOT_READY', since: minute(0).toISOString(), version: 1 },
      },
      'NOT_READY',
    );
    const before = notifier.sent.length;
    // Act
    const read = await deps.store.getWorkload('payments');
    const outcome = await applySignal(
      signalEvent({ resourceId: 's-00000000000000001', state: 'READY', observedAt: minute(1) }),
      deps,
    );
    // Assess: counted from its entries, then the recovery is announced and the entries are gone
    expect(read).toMatchObject({ legacy: true, counts: { READY: 1, AT_RISK: 0, UNKNOWN: 0, NOT_READY: 1 } });
    expect(outcome).toMatchObject({ published: [{ from: 'NOT_READY', to: 'READY' }] });
    expect(notifier.sent.slice(before).map((message) => message.subject.split(']')[0])).toEqual(['[READY']);
    const item = await rawItem(tableName, 'workloads', 'payments');
    expect(item?.entries).toBeUndefined();
    expect(item?.counts).toEqual({ READY: 2, AT_RISK: 0, UNKNOWN: 0, NOT_READY: 0 });
  });

  it('recounts at the sweep a workload whose entries missed a resource, and indexes the resource', async () => {
    // Prepare: the previous version wrote the NOT_READY resource, then failed before its workload entry
    const clock = manualClock(minute(0));
    const notifier = recordingNotifier();
    const { deps, tableName } = await readinessDeps(db.dynalite.client, {
      clock,
      notifier,
      policy: { downgradeObservations: 1 },
    });
    await applySignal(signalEvent({ resourceId: 's-00000000000000000', observedAt: minute(0) }), deps);
    await applySignal(
      signalEvent({ resourceId: 's-00000000000000001', state: 'NOT_READY', observedAt: minute(0) }),
      deps,
    );
    await asWrittenBefore(
      tableName,
      { [OK]: { state: 'READY', since: minute(0).toISOString(), version: 1 } },
      'READY',
    );
    const before = notifier.sent.length;
    // Act
    clock.set(minute(5));
    const swept = await sweepReadiness(deps);
    const again = await sweepReadiness(deps);
    // Assess: recounted once, NOT READY announced once, listing the resource through the index
    expect(swept).toMatchObject({ recounted: 1, published: [{ from: 'READY', to: 'NOT_READY' }] });
    expect(again).toMatchObject({ recounted: 0, published: [] });
    const sent = notifier.sent.slice(before);
    expect(sent.map((message) => message.subject.split(']')[0])).toEqual(['[NOT READY']);
    expect(sent[0]?.body).toContain('RESOURCES NOT READY (1 of 2)');
    expect(sent[0]?.body).toContain('- NOT READY');
    expect(await deps.store.getWorkload('payments')).toMatchObject({
      state: 'NOT_READY',
      legacy: false,
      counts: { READY: 1, AT_RISK: 0, UNKNOWN: 0, NOT_READY: 1 },
    });
    expect(await rawItem(tableName, 'workload#payments', `resource#${BAD}`)).toMatchObject({
      openPk: 'payments',
    });
  });
});

/** Rewrites a resource item as the store wrote it before the compressed body: every attribute in one map. */
async function asOneMap(tableName: string, key: string) {
  const documents = DynamoDBDocumentClient.from(db.dynalite.client);
  const item = await rawItem(tableName, 'workload#payments', `resource#${key}`);
  const { cause, ...rest } = decodeBody(item?.body, key);
  const readiness = {
    workload: 'payments',
    ...rest,
    ...(cause ? { cause } : {}),
    state: item?.state,
    since: item?.since,
    pending: item?.pending ?? {},
  };
  const { body: _body, pending: _pending, ...attributes } = item ?? {};
  await documents.send(
    new PutCommand({
      TableName: tableName,
      Item: {
        ...attributes,
        kind: 'resource',
        workload: 'payments',
        resourceKey: key,
        readiness,
        updatedAt: minute(0).toISOString(),
      },
    }),
  );
}

/** One sweep's refreshes of the two resources at `at`, as the monitor batches them. */
function refreshOf(at: Date, states: Record<string, ReadinessState>) {
  const batches = createRefreshBatches(
    Object.entries(states).map(([id, state]) => {
      const event = signalEvent({
        resourceId: id,
        state,
        observedAt: at,
        correlationId: `sweep-${at.toISOString()}`,
      });
      return { type: event['detail-type'] as SignalType, detail: event.detail };
    }),
  );
  return delivered(batches[0] as RefreshBatch) as RefreshBatchEvent;
}

describe('readiness store upgrade from resource items kept as one map', () => {
  it('reads them as they are, refreshes them the long way once into the compressed layout, then in one write', async () => {
    // Prepare: a READY and a NOT_READY resource, both items as the previous version wrote them
    const notifier = recordingNotifier();
    const { deps, tableName } = await readinessDeps(db.counted, {
      notifier,
      policy: { downgradeObservations: 1 },
    });
    const states: Record<string, ReadinessState> = {
      's-00000000000000000': 'READY',
      's-00000000000000001': 'NOT_READY',
    };
    for (const [id, state] of Object.entries(states))
      await applySignal(signalEvent({ resourceId: id, state, observedAt: minute(0) }), deps);
    const before = await Promise.all([OK, BAD].map((key) => deps.store.getResource('payments', key)));
    for (const key of [OK, BAD]) await asOneMap(tableName, key);
    const sent = notifier.sent.length;

    // Act: read them, then two refresh sweeps half an hour apart
    const read = await Promise.all([OK, BAD].map((key) => deps.store.getResource('payments', key)));
    const first = await applyRefreshBatch(refreshOf(minute(30), states), deps);
    const converted = await Promise.all(
      [OK, BAD].map((key) => rawItem(tableName, 'workload#payments', `resource#${key}`)),
    );
    let second: unknown;
    const requests = await db.requestsOf(async () => {
      second = await applyRefreshBatch(refreshOf(minute(60), states), deps);
    });

    // Assess: read unchanged; the first refresh folds each the long way and rewrites it (the open one keeps its
    // index keys); the second confirms each with one conditional update; nobody was notified
    expect(read).toEqual(before);
    expect(first).toMatchObject({ items: 2, confirmed: 0, applied: 2 });
    for (const item of converted) {
      expect(item?.readiness).toBeUndefined();
      expect(item?.body).toBeInstanceOf(Uint8Array);
    }
    expect(converted[1]).toMatchObject({ openPk: 'payments', state: 'NOT_READY' });
    expect(second).toMatchObject({ items: 2, confirmed: 2, applied: 0 });
    expect(requests).toEqual(['UpdateItem', 'UpdateItem']);
    expect(notifier.sent.length).toBe(sent);
    expect((await deps.store.getResource('payments', BAD))?.readiness).toMatchObject({
      state: 'NOT_READY',
      since: minute(0).toISOString(),
      latest: { observedAt: minute(60).toISOString() },
    });
  });
});
