import * as z from 'zod/mini';
import { defineEventContract } from '../contract.ts';
import { backupJobId, eventArn } from '../envelope.ts';
import pattern from './restore-job-state-change.pattern.json' with { type: 'json' };

/**
 * AWS Backup *Restore Job State Change*. The state is under `status` in most events but under `state` in the
 * CREATED sample (AWS: "consistent with the AWS Backup API"), so both keys are read and the rule matches both.
 * Only COMPLETED events carry `recoveryPointArn`, `createdResourceArn` and `backupVaultArn`; the handler reads
 * the rest from DescribeRestoreJob. `restoreTestingPlanArn` is present for restore-testing-plan jobs.
 */
export const restoreJobStateChange = defineEventContract({
  source: 'aws.backup',
  detailType: 'Restore Job State Change',
  pattern,
  // The restored resource and the recovery point are in the vault's account and Region: the event's.
  resourcesInEventRegion: 'where-named',
  detail: () =>
    z
      .object({
        restoreJobId: backupJobId(),
        status: z.optional(z.string().check(z.minLength(1))),
        state: z.optional(z.string().check(z.minLength(1))),
        statusMessage: z.optional(z.string()),
        recoveryPointArn: z.optional(eventArn()),
        createdResourceArn: z.optional(eventArn()),
        resourceType: z.optional(z.string()),
        restoreTestingPlanArn: z.optional(eventArn()),
        creationDate: z.optional(z.string()),
        completionDate: z.optional(z.string()),
      })
      .check(
        z.refine((detail) => detail.status !== undefined || detail.state !== undefined, {
          message: 'either status or state is required',
          path: ['status'],
        }),
      ),
});

export type RestoreJobStateChangeEvent = ReturnType<typeof restoreJobStateChange.parse>;

/** The job's status, whichever key carries it. */
export function restoreStatusOf(event: RestoreJobStateChangeEvent): string {
  return event.detail.status ?? event.detail.state ?? '';
}
