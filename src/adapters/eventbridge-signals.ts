import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import { type BusEvent, isRefreshBatch, SIGNAL_SOURCE } from '../../events/dr-autopilot/signal.ts';
import { RetryableDependencyError } from '../domain/errors.ts';
import type { BusPublisher } from '../ports/signals.ts';

/** PutEvents takes at most 10 entries per call. */
const BATCH = 10;

/**
 * The PutEvents entry of a signal (its resource's ARN in `Resources`) or of a refresh batch (no `Resources`: the
 * items name their resources, and every ARN listed would be billed in the entry's size).
 */
export function toPutEventsEntry(event: BusEvent, eventBusName: string): PutEventsRequestEntry {
  const arn = isRefreshBatch(event) ? undefined : event.detail.resource.arn;
  return {
    EventBusName: eventBusName,
    Source: SIGNAL_SOURCE,
    DetailType: event.type,
    Detail: JSON.stringify(event.detail),
    Resources: arn ? [arn] : [],
    Time: new Date(event.detail.observedAt),
  };
}

/**
 * Publishes signals (and refresh batches) with PutEvents in batches of 10. PutEvents can succeed as a call and still fail some
 * entries: those (and only those) are sent again, up to `attempts` times; then a
 * {@link RetryableDependencyError} propagates so the invocation is retried as a whole.
 */
export function createEventBridgeSignalPublisher(options: {
  client: EventBridgeClient;
  eventBusName: string;
  attempts?: number;
}): BusPublisher {
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
