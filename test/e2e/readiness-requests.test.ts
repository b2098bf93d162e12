import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { meterDynamo } from '../../bench/dynamo-meter.ts';
import type { ReadinessState } from '../../events/dr-autopilot/signal.ts';
import { applySignal } from '../../src/app/readiness.ts';
import {
  DEFAULT_READINESS_POLICY,
  foldObservation,
  observationOf,
  type ResourceReadiness,
  resourceKey,
} from '../../src/domain/readiness.ts';
import { clientOf, countingDynalite } from '../helpers/dynalite.ts';
import {
  minute,
  readinessDeps,
  recordingNotifier,
  scanAll,
  signalEvent,
} from '../helpers/readiness-fixtures.ts';

/**
 * What the readiness publisher asks of DynamoDB, counted on the wire (every request the SDK client sends), and
 * that its shortest path, one conditional write for an observation that changes nothing, leaves the same state
 * as folding the observation the long way.
 */
const db = countingDynalite();

const KEY = 'drs-source-server#s-12345678901234567';

describe('readiness publisher requests against dynalite', () => {
  it('confirms an unchanged state with exactly one conditional update: no read, no history item, no workload write', async () => {
    // Prepare: a READY resource, announced
    const { deps, tableName } = await readinessDeps(db.counted);
    await applySignal(signalEvent({ state: 'READY', observedAt: minute(0) }), deps);
    const before = await scanAll(db.dynalite.client, tableName);
    const refresh = signalEvent({ state: 'READY', observedAt: minute(15) });
    // Act
    let outcome: unknown;
    const sent = await db.requestsOf(async () => {
      outcome = await applySignal(refresh, deps);
    });
    // Assess
    expect(sent).toEqual(['UpdateItem']);
    expect(outcome).toMatchObject({
      action: 'applied',
      resourceState: 'READY',
      announced: null,
      published: [],
    });
    const after = await scanAll(db.dynalite.client, tableName);
    expect(after.map((item) => item.sk?.S)).toEqual(before.map((item) => item.sk?.S));
    const resource = await deps.store.getResource('payments', KEY);
    const observation = observationOf(refresh['detail-type'], refresh.detail);
    expect(resource?.readiness).toMatchObject({
      state: 'READY',
      since: minute(0).toISOString(),
      latest: observation,
      cause: observation,
      pending: {},
    });
  });

  it('announces a workload transition with four requests, and the same capacity for 3 or 150 resources', async () => {
    // Prepare: two workloads of 3 and 150 READY resources, each metered on its own client
    const transitionOf = async (size: number) => {
      const client = clientOf(db.dynalite.endpoint);
      const notifier = recordingNotifier();
      const { deps, tableName } = await readinessDeps(client, { notifier });
      const ids = Array.from({ length: size }, (_, index) => `s-${String(index).padStart(17, '0')}`);
      for (const resourceId of ids)
        await applySignal(signalEvent({ resourceId, observedAt: minute(0) }), deps);
      const resourceId = ids[0] as string;
      await applySignal(signalEvent({ resourceId, state: 'NOT_READY', observedAt: minute(1) }), deps);
      const meter = meterDynamo(client);
      // Act: the second NOT_READY observation confirms the downgrade and moves the workload
      const outcome = await applySignal(
        signalEvent({ resourceId, state: 'NOT_READY', observedAt: minute(2) }),
        deps,
      );
      const figures = meter.snapshot();
      const { Item } = await client.send(
        new GetItemCommand({ TableName: tableName, Key: { pk: { S: 'workloads' }, sk: { S: 'payments' } } }),
      );
      client.destroy();
      return { outcome, figures, item: Item ?? {}, sent: notifier.sent };
    };
    const small = await transitionOf(3);
    const large = await transitionOf(150);
    // Assess: the transition was announced, in four requests, billed alike whatever the size
    for (const { outcome, figures, sent } of [small, large]) {
      expect(outcome).toMatchObject({ published: [{ from: null, to: 'NOT_READY' }] });
      expect(sent.map((message) => message.subject.split(']')[0])).toEqual(['[NOT READY']);
      expect(figures.requests).toBe(4);
    }
    expect(large.figures).toEqual(small.figures);
    expect(large.sent[0]?.body).toContain('RESOURCES NOT READY (1 of 150)');
    // Assess: the workload item holds no per-resource map: its size does not grow with the workload
    const names = (item: Record<string, unknown>) =>
      Object.keys(item)
        .map((name) => name.replace(/#t\d+$/, '#<transition>'))
        .sort();
    expect(names(large.item)).toEqual(names(small.item));
    expect(JSON.stringify(large.item).length - JSON.stringify(small.item).length).toBeLessThan(8);
  }, 120_000);

  it('bills a refresh one write unit: the cause that is the latest observation is stored once', async () => {
    // Prepare: a resource item written by the long way, then metered
    const client = clientOf(db.dynalite.endpoint);
    const { deps } = await readinessDeps(client);
    await applySignal(signalEvent({ state: 'READY', observedAt: minute(0) }), deps);
    await applySignal(signalEvent({ state: 'READY', observedAt: minute(15) }), deps);
    const meter = meterDynamo(client);
    // Act
    await applySignal(signalEvent({ state: 'READY', observedAt: minute(30) }), deps);
    // Assess
    expect(meter.snapshot()).toMatchObject({ requests: 1, writeUnits: 1, readUnits: 0 });
    const resource = await deps.store.getResource('payments', KEY);
    expect(resource?.readiness.cause).toEqual(resource?.readiness.latest);
    client.destroy();
  });

  it('refuses a redelivered refresh in its one write, then recognises it and changes nothing', async () => {
    // Prepare
    const { deps, tableName } = await readinessDeps(db.counted);
    await applySignal(signalEvent({ state: 'AT_RISK', observedAt: minute(0) }), deps);
    const refresh = signalEvent({ state: 'AT_RISK', observedAt: minute(15) });
    await applySignal(refresh, deps);
    const before = await scanAll(db.dynalite.client, tableName);
    // Act
    const outcome = await applySignal(structuredClone(refresh), deps);
    // Assess
    expect(outcome).toMatchObject({ action: 'duplicate', signalId: refresh.detail.signalId });
    expect(await scanAll(db.dynalite.client, tableName)).toEqual(before);
  });

  it('never lets a late refresh overwrite newer evidence', async () => {
    // Prepare
    const { deps } = await readinessDeps(db.counted);
    await applySignal(signalEvent({ state: 'READY', observedAt: minute(0) }), deps);
    await applySignal(signalEvent({ state: 'READY', observedAt: minute(30) }), deps);
    // Act
    const outcome = await applySignal(signalEvent({ state: 'READY', observedAt: minute(15) }), deps);
    // Assess
    expect(outcome).toMatchObject({ action: 'out-of-order', heldObservedAt: minute(30).toISOString() });
    const resource = await deps.store.getResource('payments', KEY);
    expect(resource?.readiness.latest.observedAt).toBe(minute(30).toISOString());
  });

  it('takes the long way for a same-state observation that breaks a pending downgrade', async () => {
    // Prepare: READY announced, one NOT_READY observation pending (two are needed)
    const { deps } = await readinessDeps(db.counted);
    await applySignal(signalEvent({ state: 'READY', observedAt: minute(0) }), deps);
    await applySignal(signalEvent({ state: 'NOT_READY', observedAt: minute(5) }), deps);
    // Act
    const outcome = await applySignal(signalEvent({ state: 'READY', observedAt: minute(10) }), deps);
    // Assess: the run is broken, so a later NOT_READY starts counting again
    expect(outcome).toMatchObject({ action: 'applied', resourceState: 'READY', pendingState: null });
    const again = await applySignal(signalEvent({ state: 'NOT_READY', observedAt: minute(15) }), deps);
    expect(again).toMatchObject({ resourceState: 'READY', pendingState: 'NOT_READY', announced: null });
  });

  it.each([1, 2, 3])(
    'leaves each resource as folding its signals in delivery order would: repeats, redeliveries and late signals (seed %i)',
    async (seed) => {
      // Prepare: 60 deliveries over 3 resources, mostly repeats of the state held, some late, some redelivered
      let value = seed;
      const next = () => {
        value = (value * 1_103_515_245 + 12_345) % 2 ** 31;
        return value / 2 ** 31;
      };
      const { deps } = await readinessDeps(db.counted);
      const delivered: ReturnType<typeof signalEvent>[] = [];
      const held = new Map<string, ReadinessState>();
      for (let index = 0; index < 60; index++) {
        if (delivered.length > 0 && next() < 0.15) {
          delivered.push(
            structuredClone(delivered[Math.floor(next() * delivered.length)] as (typeof delivered)[number]),
          );
          continue;
        }
        const resourceId = `s-${String(Math.floor(next() * 3)).padStart(17, '0')}`;
        const states: ReadinessState[] = ['READY', 'AT_RISK', 'UNKNOWN', 'NOT_READY'];
        const state =
          next() < 0.7
            ? (held.get(resourceId) ?? 'READY')
            : (states[Math.floor(next() * states.length)] as ReadinessState);
        held.set(resourceId, state);
        const late = next() < 0.15;
        delivered.push(signalEvent({ resourceId, state, observedAt: minute(late ? index - 7 : index) }));
      }
      const model = new Map<string, ResourceReadiness>();
      // Act
      for (const event of delivered) {
        await applySignal(structuredClone(event), deps);
        const key = resourceKey(event.detail.resource);
        const observation = observationOf(event['detail-type'], event.detail);
        if (!observation) continue;
        const folded = foldObservation(
          model.get(key),
          { workload: event.detail.workload, resource: event.detail.resource },
          observation,
          DEFAULT_READINESS_POLICY,
        );
        if (folded.kind === 'applied') model.set(key, folded.next);
      }
      // Assess: everything but the remembered signal ids is what the fold gives
      const stored = await deps.store.listResources('payments');
      expect(stored).toHaveLength(model.size);
      for (const { readiness } of stored) {
        const { recentSignalIds: _ids, ...expected } = model.get(
          resourceKey(readiness.resource),
        ) as ResourceReadiness;
        const { recentSignalIds: _held, ...actual } = readiness;
        expect(actual).toEqual(expected);
      }
    },
  );
});
