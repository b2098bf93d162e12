import * as z from 'zod/mini';
import { defineEventContract } from '../contract.ts';
import { RECOVERY_INSTANCE_ARN, resourcesWith } from './arn.ts';
import pattern from './recovery-instance-failback-state-change.pattern.json' with { type: 'json' };

/**
 * DRS Recovery Instance Failback State Change. The sample's resource is `recovery-instance/ri-…`; real IDs
 * are EC2 IDs (`i-…`): do not depend on the prefix.
 */
export const recoveryInstanceFailbackStateChange = defineEventContract({
  source: 'aws.drs',
  detailType: 'DRS Recovery Instance Failback State Change',
  pattern,
  resources: () => resourcesWith(RECOVERY_INSTANCE_ARN, 'recovery-instance'),
  resourcesInEventRegion: true,
  detail: () => z.object({ state: z.string().check(z.minLength(1)) }),
});
export const FAILBACK_STATES = ['FAILBACK_IN_PROGRESS', 'FAILBACK_COMPLETED', 'FAILBACK_ERROR'] as const;
export type RecoveryInstanceFailbackStateChangeEvent = ReturnType<
  typeof recoveryInstanceFailbackStateChange.parse
>;
