import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applySignal, sweepReadiness } from '../../src/app/readiness.ts';
import type { WorkloadEntry } from '../../src/domain/readiness.ts';
import { startDynalite } from '../helpers/dynalite.ts';
import {
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
let dynalite: Awaited<ReturnType<typeof startDynalite>>;
beforeAll(async () => {
  dynalite = await startDynalite();
});
afterAll(async () => {
  await dynalite.close();
});

const OK = 'drs-source-server#s-00000000000000000';
const BAD = 'drs-source-server#s-00000000000000001';

/** Rewrites a workload item and its open resource as the previous version wrote them. */
async function asWrittenBefore(tableName: string, entries: Record<string, WorkloadEntry>, state: string) {
  const documents = DynamoDBDocumentClient.from(dynalite.client);
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
  const { Item } = await DynamoDBDocumentClient.from(dynalite.client).send(
    new GetCommand({ TableName: tableName, Key: { pk, sk }, ConsistentRead: true }),
  );
  return Item;
}

describe('readiness store upgrade from per-resource entries', () => {
  it('reads a workload item that holds entries, and its first change leaves counts instead', async () => {
    // Prepare: one READY and one NOT_READY resource, the workload item as the previous version left it
    const notifier = recordingNotifier();
    const { deps, tableName } = await readinessDeps(dynalite.client, {
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
    const { deps, tableName } = await readinessDeps(dynalite.client, {
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
