import * as z from 'zod';
import { parseWith } from '../contract.ts';
import { EnvelopeSchema } from '../envelope.ts';

/**
 * The EventBridge *Scheduled Event* a schedule rule sends (replication-monitor sweeps, restore-test runs,
 * restore-validation sweeps). Its `id` and `time` name the run: the same delivery twice is one run.
 */
export const scheduledEventSchema = EnvelopeSchema.extend({
  source: z.literal('aws.events'),
  'detail-type': z.literal('Scheduled Event'),
});
export type ScheduledEvent = z.infer<typeof scheduledEventSchema>;

export function parseScheduledEvent(input: unknown): ScheduledEvent {
  return parseWith(scheduledEventSchema, input, 'aws.events "Scheduled Event"');
}
