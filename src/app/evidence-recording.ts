import type { Signal } from '../../events/dr-autopilot/signal.ts';
import { type EvidenceTrigger, evidenceFromSignal } from '../domain/evidence.ts';
import type { EvidenceLedger } from '../ports/evidence.ts';
import type { Clock, SignalPublisher } from '../ports/signals.ts';

/**
 * The evidence ledger is written by the function that saw the action, before its signals go on the bus: a
 * publisher that records the evidence each signal stands for ({@link evidenceFromSignal}), then publishes.
 * A failed ledger write fails the publish (and so the invocation, which Lambda retries); the retry writes the
 * same records, which the ledger keeps once. Every detector gets its evidence the same way, the reconciler too.
 */
export interface RecordingPublisher extends SignalPublisher {
  /** The same publisher, recording `trigger` as the cause (an event, a schedule, the reconciler, a person). */
  as(trigger: EvidenceTrigger): SignalPublisher;
}

export function recordingPublisher(options: {
  ledger: Pick<EvidenceLedger, 'record'>;
  publisher: SignalPublisher;
  recordedBy: string;
  clock: Clock;
}): RecordingPublisher {
  const publishAs =
    (trigger: EvidenceTrigger) =>
    async (signals: readonly Signal[]): Promise<void> => {
      const recordedAt = options.clock().toISOString();
      const records = signals.flatMap(
        (signal) => evidenceFromSignal(signal, { recordedBy: options.recordedBy, recordedAt, trigger }) ?? [],
      );
      if (records.length > 0) await options.ledger.record(records);
      await options.publisher.publish(signals);
    };
  return {
    publish: publishAs('event'),
    as: (trigger) => ({ publish: publishAs(trigger) }),
  };
}
