import type { Signal } from '../../events/dr-autopilot/signal.ts';

/** Puts dr-autopilot signals on its bus. Throws when any signal could not be published after retries. */
export interface SignalPublisher {
  publish(signals: readonly Signal[]): Promise<void>;
}

/** The current time; injected so decisions and tests never read the system clock. */
export type Clock = () => Date;
