import { describe, expect, it } from 'vitest';
import {
  createRefreshBatches,
  parseBusEvent,
  REFRESH_BATCH_MAX_DETAIL_BYTES,
  REFRESH_BATCH_MAX_ITEMS,
  type RefreshBatch,
  type Signal,
  type SignalType,
} from '../../events/dr-autopilot/signal.ts';
import { InvalidEventError } from '../../src/domain/errors.ts';
import { delivered, minute, signalEvent } from '../helpers/readiness-fixtures.ts';

/** The `Replication Status Refreshed` contract: what the monitor builds, what the publisher accepts. */
function refreshes(count: number, workload = 'payments', at = minute(30)): Signal[] {
  return Array.from({ length: count }, (_, index) => {
    const event = signalEvent({
      workload,
      resourceId: `s-${String(index).padStart(17, '0')}`,
      observedAt: at,
      correlationId: 'sweep-1',
    });
    return { type: event['detail-type'] as SignalType, detail: event.detail };
  });
}

/** A batch as the publisher's rule delivers it, as loose JSON a test can break. */
function raw(batch: RefreshBatch) {
  return JSON.parse(JSON.stringify(delivered(batch))) as {
    detail: { items: Record<string, unknown>[]; [field: string]: unknown };
  };
}

describe('refresh batches', () => {
  it('groups refreshes by workload, keeps each resource signal id, and gives the same batch the same id', () => {
    // Prepare
    const signals = [...refreshes(2, 'payments'), ...refreshes(1, 'crm')];
    // Act
    const batches = createRefreshBatches(signals);
    const again = createRefreshBatches(signals);
    // Assess
    expect(batches.map((batch) => [batch.detail.workload, batch.detail.items.length])).toEqual([
      ['payments', 2],
      ['crm', 1],
    ]);
    expect(batches.flatMap((batch) => batch.detail.items.map((item) => item.signalId))).toEqual(
      signals.map((signal) => signal.detail.signalId),
    );
    expect(again.map((batch) => batch.detail.batchId)).toEqual(batches.map((batch) => batch.detail.batchId));
    expect(new Set(batches.map((batch) => batch.detail.batchId)).size).toBe(2);
  });

  it('splits a workload at the byte bound, never past the item bound', () => {
    // Act
    const batches = createRefreshBatches(refreshes(2_000));
    // Assess
    expect(batches.length).toBeGreaterThan(1);
    for (const batch of batches) {
      expect(Buffer.byteLength(JSON.stringify(batch.detail))).toBeLessThanOrEqual(
        REFRESH_BATCH_MAX_DETAIL_BYTES,
      );
      expect(batch.detail.items.length).toBeLessThanOrEqual(REFRESH_BATCH_MAX_ITEMS);
    }
    expect(batches.reduce((sum, batch) => sum + batch.detail.items.length, 0)).toBe(2_000);
  });

  it.each([
    {
      name: 'no items',
      change: (event: ReturnType<typeof raw>) => {
        event.detail.items = [];
      },
      field: 'detail.items',
    },
    {
      name: `more than ${REFRESH_BATCH_MAX_ITEMS} items`,
      change: (event: ReturnType<typeof raw>) => {
        event.detail.items = Array.from(
          { length: REFRESH_BATCH_MAX_ITEMS + 1 },
          () => event.detail.items[0] ?? {},
        );
      },
      field: 'detail.items',
    },
    {
      name: 'an item without an assessment',
      change: (event: ReturnType<typeof raw>) => {
        delete event.detail.items[0]?.assessment;
      },
      field: 'detail.items.0.assessment',
    },
    {
      name: 'an item with a multi-line summary',
      change: (event: ReturnType<typeof raw>) => {
        (event.detail.items[1] as { summary: string }).summary = 'line one\nline two';
      },
      field: 'detail.items.1.summary',
    },
    {
      name: 'no batch id',
      change: (event: ReturnType<typeof raw>) => {
        delete event.detail.batchId;
      },
      field: 'detail.batchId',
    },
  ])('refuses a batch with $name, naming the field', ({ change, field }) => {
    // Prepare
    const [batch] = createRefreshBatches(refreshes(2));
    const event = raw(batch as RefreshBatch);
    change(event);
    // Act
    const parse = () => parseBusEvent(event);
    // Assess
    expect(parse).toThrow(InvalidEventError);
    expect(parse).toThrow(`${field}:`);
  });
});
