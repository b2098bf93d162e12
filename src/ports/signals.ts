import type { BusEvent, Signal } from '../../events/dr-autopilot/signal.ts';

/** Puts dr-autopilot signals on its bus. Throws when any signal could not be published after retries. */
export interface SignalPublisher {
  publish(signals: readonly Signal[]): Promise<void>;
}

/**
 * Puts signals and refresh batches on the bus (the replication monitor's refreshes go as batches). Throws when
 * any could not be published after retries. Every {@link BusPublisher} is a {@link SignalPublisher}.
 */
export interface BusPublisher {
  publish(events: readonly BusEvent[]): Promise<void>;
}

/** The current time; injected so decisions and tests never read the system clock. */
export type Clock = () => Date;
