import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import { SIGNAL_SOURCE, type Signal } from '../../events/dr-autopilot/signal.ts';
import { RetryableDependencyError } from '../domain/errors.ts';
import type { SignalPublisher } from '../ports/signals.ts';

/** PutEvents takes at most 10 entries per call. */
const BATCH = 10;

export function toPutEventsEntry(signal: Signal, eventBusName: string): PutEventsRequestEntry {
  return {
    EventBusName: eventBusName,
    Source: SIGNAL_SOURCE,
    DetailType: signal.type,
    Detail: JSON.stringify(signal.detail),
    Resources: signal.detail.resource.arn ? [signal.detail.resource.arn] : [],
    Time: new Date(signal.detail.observedAt),
  };
}

/**
 * Publishes signals with PutEvents in batches of 10. PutEvents can succeed as a call and still fail some
 * entries: those (and only those) are sent again, up to `attempts` times; then a
 * {@link RetryableDependencyError} propagates so the invocation is retried as a whole.
 */
export function createEventBridgeSignalPublisher(options: {
  client: EventBridgeClient;
  eventBusName: string;
  attempts?: number;
}): SignalPublisher {
  const attempts = options.attempts ?? 3;
  return {
    async publish(signals) {
      for (let start = 0; start < signals.length; start += BATCH) {
        let pending = signals
          .slice(start, start + BATCH)
          .map((signal) => toPutEventsEntry(signal, options.eventBusName));
        let lastErrors: string[] = [];
        for (let attempt = 1; attempt <= attempts && pending.length > 0; attempt++) {
          const { Entries = [], FailedEntryCount = 0 } = await options.client.send(
            new PutEventsCommand({ Entries: pending }),
          );
          if (FailedEntryCount === 0) {
            pending = [];
            break;
          }
          const failed = pending.filter(
            (_, index) => Entries[index]?.ErrorCode !== undefined || Entries[index] === undefined,
          );
          lastErrors = Entries.filter((entry) => entry.ErrorCode).map(
            (entry) => `${entry.ErrorCode}: ${entry.ErrorMessage ?? ''}`,
          );
          pending = failed;
        }
        if (pending.length > 0) {
          throw new RetryableDependencyError(
            `PutEvents failed for ${pending.length} signal(s) after ${attempts} attempts: ${lastErrors.join(', ')}`,
          );
        }
      }
    },
  };
}
