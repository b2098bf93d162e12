import { describe, expect, it } from 'vitest';
import {
  createRefreshBatches,
  parseBusEvent,
  type ReadinessState,
  type RefreshBatch,
  type RefreshBatchEvent,
  type Signal,
  type SignalType,
} from '../../events/dr-autopilot/signal.ts';
import { applyBusEvent, applyRefreshBatch, applySignal } from '../../src/app/readiness.ts';
import { InvalidEventError } from '../../src/domain/errors.ts';
import { resourceKey } from '../../src/domain/readiness.ts';
import { createEventHandler } from '../../src/runtime/handler.ts';
import { createLogger } from '../../src/runtime/logger.ts';
import { lambdaContext } from '../helpers/context.ts';
import { countingDynalite } from '../helpers/dynalite.ts';
import { delivered, minute, readinessDeps, scanAll, signalEvent } from '../helpers/readiness-fixtures.ts';

/**
 * The readiness publisher folding a `Replication Status Refreshed` batch against dynalite: each item exactly as
 * the per-resource refresh it replaces (one conditional write when it confirms the announced state), redelivery
 * and reordering change nothing, and one failing item fails the batch only after the others are applied.
 */
const db = countingDynalite();

const ids = (count: number) =>
  Array.from({ length: count }, (_, index) => `s-${String(index).padStart(17, '0')}`);

/** The per-resource signal a resource's observation at `at` makes (as a detector builds it). */
function signalOf(resourceId: string, state: ReadinessState, at: Date, correlationId: string): Signal {
  const event = signalEvent({ resourceId, state, observedAt: at, correlationId });
  return { type: event['detail-type'] as SignalType, detail: event.detail };
}

/** One sweep's refreshes of `resourceIds` at `at` (state READY unless `states` says), as one delivered batch. */
function batchOf(
  resourceIds: string[],
  at: Date,
  states: Record<string, ReadinessState> = {},
): { batch: RefreshBatch; event: RefreshBatchEvent } {
  const batches = createRefreshBatches(
    resourceIds.map((id) => signalOf(id, states[id] ?? 'READY', at, `sweep-${at.toISOString()}`)),
  );
  expect(batches).toHaveLength(1);
  const batch = batches[0] as RefreshBatch;
  return { batch, event: delivered(batch) as RefreshBatchEvent };
}

const keyOf = (id: string) => resourceKey({ type: 'drs-source-server', id });

describe('readiness publisher: refresh batches against dynalite', () => {
  it('confirms a batch of 40 unchanged resources with exactly 40 conditional updates and no other request', async () => {
    // Prepare: 40 READY resources, announced
    const { deps, tableName } = await readinessDeps(db.counted);
    const resources = ids(40);
    for (const id of resources)
      await applySignal(signalEvent({ resourceId: id, observedAt: minute(0) }), deps);
    const before = await scanAll(db.dynalite.client, tableName);
    const { event } = batchOf(resources, minute(30));
    // Act
    let outcome: unknown;
    const sent = await db.requestsOf(async () => {
      outcome = await applyBusEvent(event, deps);
    });
    // Assess: one UpdateItem per item, nothing else; no item added or removed
    expect(sent).toEqual(Array(40).fill('UpdateItem'));
    expect(outcome).toEqual({
      action: 'refresh-batch',
      batchId: event.detail.batchId,
      workload: 'payments',
      part: { index: 1, of: 1 },
      items: 40,
      confirmed: 40,
      applied: 0,
      duplicate: 0,
      outOfOrder: 0,
      published: [],
    });
    const after = await scanAll(db.dynalite.client, tableName);
    expect(after.map((item) => item.sk?.S)).toEqual(before.map((item) => item.sk?.S));
    for (const id of resources) {
      const stored = await deps.store.getResource('payments', keyOf(id));
      expect(stored?.readiness).toMatchObject({
        state: 'READY',
        since: minute(0).toISOString(),
        // Stored as the per-resource refresh was: a `Replication Status Changed` observation.
        latest: { observedAt: minute(30).toISOString(), signalType: 'Replication Status Changed' },
        recentSignalIds: [event.detail.items.find((item) => item.resource.id === id)?.signalId],
      });
    }
  });

  it('leaves the state as it was when the same batch is delivered again: every item a duplicate', async () => {
    // Prepare
    const { deps, tableName } = await readinessDeps(db.counted);
    const resources = ids(5);
    for (const id of resources)
      await applySignal(signalEvent({ resourceId: id, observedAt: minute(0) }), deps);
    const { batch, event } = batchOf(resources, minute(30));
    await applyRefreshBatch(event, deps);
    const before = await scanAll(db.dynalite.client, tableName);
    // Act
    const outcome = await applyRefreshBatch(delivered(batch) as RefreshBatchEvent, deps);
    // Assess
    expect(outcome).toMatchObject({ items: 5, confirmed: 0, applied: 0, duplicate: 5, outOfOrder: 0 });
    expect(await scanAll(db.dynalite.client, tableName)).toEqual(before);
  });

  it('never lets a late batch overwrite a later change: that item is out of order, the others confirm', async () => {
    // Prepare: two NOT_READY resources; the first recovers at minute 20 (a change signal)
    const { deps } = await readinessDeps(db.counted);
    const [first, second] = ids(2) as [string, string];
    for (const id of [first, second])
      await applySignal(signalEvent({ resourceId: id, state: 'NOT_READY', observedAt: minute(0) }), deps);
    await applySignal(signalEvent({ resourceId: first, state: 'READY', observedAt: minute(20) }), deps);
    const recovered = await deps.store.getResource('payments', keyOf(first));
    // Act: the sweep of minute 15 refreshed both as NOT_READY; its batch arrives after the change
    const { event } = batchOf([first, second], minute(15), { [first]: 'NOT_READY', [second]: 'NOT_READY' });
    const outcome = await applyRefreshBatch(event, deps);
    // Assess: the first keeps its newer state; the second is confirmed
    expect(outcome).toMatchObject({ items: 2, confirmed: 1, outOfOrder: 1, applied: 0, duplicate: 0 });
    const after = await deps.store.getResource('payments', keyOf(first));
    expect(after?.readiness).toMatchObject({
      state: 'READY',
      since: minute(20).toISOString(),
      latest: { observedAt: minute(20).toISOString(), state: 'READY' },
    });
    expect(after?.readiness.latest).toEqual(recovered?.readiness.latest);
    expect((await deps.store.getResource('payments', keyOf(second)))?.readiness.latest.observedAt).toBe(
      minute(15).toISOString(),
    );
  });

  it('folds an item that does not confirm the announced state the long way, and the others in one write each', async () => {
    // Prepare: three READY resources
    const { deps } = await readinessDeps(db.counted);
    const resources = ids(3);
    for (const id of resources)
      await applySignal(signalEvent({ resourceId: id, observedAt: minute(0) }), deps);
    // Act: the batch says the second is AT_RISK (a first observation of a downgrade: pending, not announced)
    const { event } = batchOf(resources, minute(30), { [resources[1] as string]: 'AT_RISK' });
    const sent = await db.requestsOf(() => applyRefreshBatch(event, deps));
    // Assess
    const stored = await deps.store.getResource('payments', keyOf(resources[1] as string));
    expect(stored?.readiness).toMatchObject({ state: 'READY', pending: { AT_RISK: { count: 1 } } });
    expect(sent.filter((request) => request === 'UpdateItem')).toHaveLength(3);
    expect(sent.filter((request) => request !== 'UpdateItem').sort()).toEqual([
      'BatchGetItem',
      'PutItem',
      'PutItem',
    ]);
  });

  it('applies every other item when one fails, fails the invocation, and the redelivery completes it without change to the others', async () => {
    // Prepare: ten READY resources (more than are folded at once); DynamoDB fails every write of the second's
    const { deps, tableName } = await readinessDeps(db.counted);
    const resources = ids(10);
    for (const id of resources)
      await applySignal(signalEvent({ resourceId: id, observedAt: minute(0) }), deps);
    const poisoned = keyOf(resources[1] as string);
    let failing = true;
    const flaky = {
      ...deps,
      store: {
        ...deps.store,
        refreshResource: async (refresh: Parameters<typeof deps.store.refreshResource>[0]) => {
          if (failing && resourceKey(refresh.resource) === poisoned) {
            throw Object.assign(new Error('Throughput exceeds the current capacity (test)'), {
              name: 'ProvisionedThroughputExceededException',
            });
          }
          return deps.store.refreshResource(refresh);
        },
      },
    };
    const { batch, event } = batchOf(resources, minute(30));

    // Act: the first delivery fails as a whole...
    const first = applyRefreshBatch(event, flaky);
    await expect(first).rejects.toThrow(/1 of 10 item\(s\) failed.*Throughput exceeds/);
    await expect(first).rejects.toMatchObject({ name: 'ProvisionedThroughputExceededException' });
    const afterFailure = await scanAll(db.dynalite.client, tableName);
    // ...and Lambda's retry delivers it again, DynamoDB answering this time
    failing = false;
    const retry = await applyRefreshBatch(delivered(batch) as RefreshBatchEvent, flaky);

    // Assess: the nine others were applied by the failed delivery, and the retry left them as they were
    const observed = async (id: string) =>
      (await deps.store.getResource('payments', keyOf(id)))?.readiness.latest.observedAt;
    expect(retry).toMatchObject({ items: 10, confirmed: 1, duplicate: 9, applied: 0, outOfOrder: 0 });
    for (const id of resources) expect(await observed(id)).toBe(minute(30).toISOString());
    const others = (items: Awaited<ReturnType<typeof scanAll>>) =>
      items.filter((item) => item.sk?.S !== `resource#${poisoned}`);
    expect(others(await scanAll(db.dynalite.client, tableName))).toEqual(others(afterFailure));
  });

  it('logs a batch in one INFO line of counts through the handler chain, not a line per item', async () => {
    // Prepare: the chain functions/readiness-publisher.ts builds, its logger at INFO (tests run it SILENT)
    const { deps } = await readinessDeps(db.counted);
    const resources = ids(25);
    for (const id of resources)
      await applySignal(signalEvent({ resourceId: id, observedAt: minute(0) }), deps);
    const logger = createLogger('readiness-publisher');
    logger.setLogLevel('INFO');
    const handler = createEventHandler({
      logger,
      parse: parseBusEvent,
      run: (event) => applyBusEvent(event, deps),
    });
    const { batch } = batchOf(resources, minute(30));
    const lines: string[] = [];
    const write = process.stdout.write;
    process.stdout.write = ((chunk: string | Uint8Array) => {
      lines.push(
        ...chunk
          .toString()
          .split('\n')
          .filter((line) => line.length > 0),
      );
      return true;
    }) as typeof process.stdout.write;
    // Act
    try {
      await handler(JSON.parse(JSON.stringify(delivered(batch))), lambdaContext());
    } finally {
      process.stdout.write = write;
    }
    // Assess
    const logged = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({
      level: 'INFO',
      message: 'outcome',
      outcome: { action: 'refresh-batch', items: 25, confirmed: 25, applied: 0, duplicate: 0, outOfOrder: 0 },
    });
    expect((lines[0] ?? '').length).toBeLessThan(2_000);
  });

  it('refuses a batch with one malformed item as a whole, naming the item, before any request', async () => {
    // Prepare
    const { batch } = batchOf(ids(3), minute(30));
    const raw = JSON.parse(JSON.stringify(delivered(batch))) as {
      detail: { items: Record<string, unknown>[] };
    };
    (raw.detail.items[1] as { assessment: Record<string, unknown> }).assessment.state = 'MOSTLY_FINE';
    // Act / Assess
    const sent = await db.requestsOf(async () => {
      expect(() => parseBusEvent(raw)).toThrow(InvalidEventError);
      expect(() => parseBusEvent(raw)).toThrow(/detail\.items\.1\.assessment\.state/);
    });
    expect(sent).toEqual([]);
  });
});
