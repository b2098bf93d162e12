import * as z from 'zod/mini';
import { lazySchema, parseWith, refineResourcesInEventRegion } from '../contract.ts';
import { boundedResources, EnvelopeSchema } from '../envelope.ts';
import { RECOVERY_INSTANCE_ARN, SOURCE_SERVER_ARN } from './arn.ts';
import pattern from './lifecycle-trigger.pattern.json' with { type: 'json' };

/**
 * The DRS events that make the failback lifecycle sweep now rather than at its next schedule: *Launch Result*
 * (a failover, a failback launch, a drill) and *Recovery Instance Failback State Change*, from either Region of
 * the pair (the primary Region's are forwarded to the recovery Region's bus). The lifecycle re-reads every
 * fact from the APIs, so only the envelope is checked (source, detail-type, account and Region): the detail
 * is not read, and a detail this contract does not know changes nothing. DRS names its own resources, in the
 * event's account and Region: an ARN of another account or Region is refused naming the element.
 */
export const LIFECYCLE_TRIGGER_TYPES = [
  'DRS Source Server Launch Result',
  'DRS Recovery Instance Failback State Change',
] as const;

/** Built on first use ({@link lazySchema}). */
export const lifecycleTriggerSchema = lazySchema(() =>
  z
    .extend(EnvelopeSchema(), {
      source: z.literal('aws.drs'),
      'detail-type': z.enum(LIFECYCLE_TRIGGER_TYPES),
      detail: z.record(z.string(), z.unknown()),
      resources: boundedResources().check(
        z.refine(
          (resources) =>
            resources.length > 0 &&
            resources.every((arn) => SOURCE_SERVER_ARN.test(arn) || RECOVERY_INSTANCE_ARN.test(arn)),
          'must list DRS source-server or recovery-instance ARNs',
        ),
      ),
    })
    .check(z.superRefine(refineResourcesInEventRegion)),
);
export type LifecycleTriggerEvent = z.infer<ReturnType<typeof lifecycleTriggerSchema>>;

export const lifecycleTrigger = {
  pattern,
  parse: (input: unknown): LifecycleTriggerEvent =>
    parseWith(lifecycleTriggerSchema(), input, 'aws.drs failback-lifecycle trigger event'),
};
