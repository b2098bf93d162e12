import { describe, expect, it } from 'vitest';
import {
  createRefreshBatches,
  type RefreshBatch,
  type SignalType,
} from '../../../events/dr-autopilot/signal.ts';
import type { AwsEvent } from '../../../sim/drs.ts';
import { summarizeEvent } from '../../../sim/eventbridge.ts';
import { delivered, minute, signalEvent } from '../../helpers/readiness-fixtures.ts';

/** The rehearsal's one-line view of an event on a bus. */
describe("the rehearsal's event summary", () => {
  it('says how many resources of which workload a refresh batch refreshed, and a signal its own summary', () => {
    // Prepare
    const signals = ['s-00000000000000001', 's-00000000000000002'].map((resourceId) => {
      const event = signalEvent({ resourceId, observedAt: minute(30), correlationId: 'sweep-1' });
      return { type: event['detail-type'] as SignalType, detail: event.detail };
    });
    const [batch] = createRefreshBatches(signals);
    const asEvent = (value: unknown) => JSON.parse(JSON.stringify(value)) as AwsEvent;
    // Act
    const batchLine = summarizeEvent(asEvent(delivered(batch as RefreshBatch)));
    const signalLine = summarizeEvent(asEvent(delivered(signals[0] as (typeof signals)[number])));
    // Assess
    expect(batchLine).toBe('2 resource(s) of payments unchanged, refreshed (part 1 of 1)');
    expect(signalLine).toBe(signals[0]?.detail.summary);
  });
});
