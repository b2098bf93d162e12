import { z } from 'zod';
import { parseWith, refineResourcesInEventRegion } from '../contract.ts';
import { EnvelopeSchema } from '../envelope.ts';

/**
 * The EventBridge *Scheduled Event* a schedule rule sends (replication-monitor sweeps, restore-test runs,
 * restore-validation sweeps). Its `id` and `time` name the run: the same delivery twice is one run. `resources`
 * holds the rule's ARN, in the event's account and Region: a rule of another account or Region is a forged or
 * misrouted event, refused naming the element.
 */
export const scheduledEventSchema = EnvelopeSchema.extend({
  source: z.literal('aws.events'),
  'detail-type': z.literal('Scheduled Event'),
}).superRefine(refineResourcesInEventRegion);
export type ScheduledEvent = z.infer<typeof scheduledEventSchema>;

export function parseScheduledEvent(input: unknown): ScheduledEvent {
  return parseWith(scheduledEventSchema, input, 'aws.events "Scheduled Event"');
}
