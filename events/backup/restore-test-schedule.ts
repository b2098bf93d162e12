import { EventBridgeSchema } from '@aws-lambda-powertools/parser/schemas/eventbridge';
import { z } from 'zod';
import { parseWith } from '../contract.ts';

/**
 * The EventBridge *Scheduled Event* that starts a restore-test run (infra/functions/restore-test-scheduler.yml).
 * Its `id` and `time` name the run: the same delivery twice is one run.
 */
export const restoreTestScheduleSchema = EventBridgeSchema.extend({
  source: z.literal('aws.events'),
  'detail-type': z.literal('Scheduled Event'),
});
export type RestoreTestScheduleEvent = z.infer<typeof restoreTestScheduleSchema>;

export function parseRestoreTestSchedule(input: unknown): RestoreTestScheduleEvent {
  return parseWith(restoreTestScheduleSchema, input, 'aws.events "Scheduled Event"');
}
