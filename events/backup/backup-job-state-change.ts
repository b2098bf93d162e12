import * as z from 'zod/mini';
import { defineEventContract } from '../contract.ts';
import { backupJobId, eventArn } from '../envelope.ts';
import pattern from './backup-job-state-change.pattern.json' with { type: 'json' };

/**
 * AWS Backup *Backup Job State Change*. Used for backups made directly into the DR vault in the recovery
 * Region: on COMPLETED, the recovery-point ARN is only in `resources[0]` (AWS's sample); `state` is the key.
 */
export const backupJobStateChange = defineEventContract({
  source: 'aws.backup',
  detailType: 'Backup Job State Change',
  pattern,
  detail: () =>
    z.object({
      backupJobId: backupJobId(),
      state: z.string().check(z.minLength(1)),
      statusMessage: z.optional(z.string()),
      backupVaultArn: z.optional(eventArn()),
      backupVaultName: z.optional(z.string()),
      resourceArn: z.optional(eventArn()),
      resourceType: z.optional(z.string()),
      creationDate: z.optional(z.string()),
      completionDate: z.optional(z.string()),
    }),
});

export type BackupJobStateChangeEvent = ReturnType<typeof backupJobStateChange.parse>;

/** The recovery point a completed backup job created (`resources[0]`), when present. */
export function recoveryPointArnOf(event: BackupJobStateChangeEvent): string | undefined {
  const arn = event.resources[0];
  return typeof arn === 'string' && arn.startsWith('arn:') ? arn : undefined;
}
