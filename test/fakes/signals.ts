import {
  type BusEvent,
  isRefreshBatch,
  type RefreshBatch,
  type Signal,
} from '../../events/dr-autopilot/signal.ts';
import type { BusPublisher } from '../../src/ports/signals.ts';

/**
 * Captures what is put on the bus: every event in order (`events`), the per-resource signals (`published`) and
 * the refresh batches (`batches`) apart. `failNext` makes the next publish throw.
 */
export class CapturingSignalPublisher implements BusPublisher {
  readonly events: BusEvent[] = [];
  readonly published: Signal[] = [];
  readonly batches: RefreshBatch[] = [];
  private failure: Error | undefined;

  failNext(error: Error): void {
    this.failure = error;
  }

  async publish(events: readonly BusEvent[]): Promise<void> {
    if (this.failure) {
      const error = this.failure;
      this.failure = undefined;
      throw error;
    }
    this.events.push(...events);
    for (const event of events) {
      if (isRefreshBatch(event)) this.batches.push(event);
      else this.published.push(event);
    }
  }
}
