import * as z from 'zod/mini';
import { lazySchema, parseWith, refineResourcesInEventRegion } from '../contract.ts';
import { boundedResources, EnvelopeSchema } from '../envelope.ts';

/** An EventBridge rule's ARN (`rule/<name>` on the default bus, `rule/<bus>/<name>` on another). */
const RULE_ARN = /^arn:aws[a-z-]*:events:[a-z0-9-]+:\d{12}:rule\/[\w.-]+(\/[\w.-]+)?$/;

/**
 * The EventBridge *Scheduled Event* a schedule rule sends (replication-monitor sweeps, restore-test runs,
 * restore-validation sweeps). Its `id` and `time` name the run: the same delivery twice is one run. `resources`
 * holds the rule's ARN, in the event's account and Region: a rule of another account or Region is a forged or
 * misrouted event, refused naming the element.
 */
/** Built on first use ({@link lazySchema}). */
export const scheduledEventSchema = lazySchema(() =>
  z
    .extend(EnvelopeSchema(), {
      source: z.literal('aws.events'),
      'detail-type': z.literal('Scheduled Event'),
      // `{}` from EventBridge; an object in any case.
      detail: z.record(z.string(), z.unknown()),
      resources: boundedResources().check(
        z.refine(
          (resources) => resources.every((arn) => RULE_ARN.test(arn)),
          'must list the schedule rule ARN(s) (arn:aws:events:<region>:<account>:rule/…)',
        ),
      ),
    })
    .check(z.superRefine(refineResourcesInEventRegion)),
);
export type ScheduledEvent = z.infer<ReturnType<typeof scheduledEventSchema>>;

export function parseScheduledEvent(input: unknown): ScheduledEvent {
  return parseWith(scheduledEventSchema(), input, 'aws.events "Scheduled Event"');
}
