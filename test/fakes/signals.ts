import type { Signal } from '../../events/dr-autopilot/signal.ts';
import type { SignalPublisher } from '../../src/ports/signals.ts';

/** Captures published signals; `failNext` makes the next publish throw. */
export class CapturingSignalPublisher implements SignalPublisher {
  readonly published: Signal[] = [];
  private failure: Error | undefined;

  failNext(error: Error): void {
    this.failure = error;
  }

  async publish(signals: readonly Signal[]): Promise<void> {
    if (this.failure) {
      const error = this.failure;
      this.failure = undefined;
      throw error;
    }
    this.published.push(...signals);
  }
}
