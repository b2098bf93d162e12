import * as z from 'zod';
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
  detail: z.object({
    backupJobId,
    state: z.string().min(1),
    statusMessage: z.string().optional(),
    backupVaultArn: eventArn.optional(),
    backupVaultName: z.string().optional(),
    resourceArn: eventArn.optional(),
    resourceType: z.string().optional(),
    creationDate: z.string().optional(),
    completionDate: z.string().optional(),
  }),
});

export type BackupJobStateChangeEvent = ReturnType<typeof backupJobStateChange.parse>;

/** The recovery point a completed backup job created (`resources[0]`), when present. */
export function recoveryPointArnOf(event: BackupJobStateChangeEvent): string | undefined {
  const arn = event.resources[0];
  return typeof arn === 'string' && arn.startsWith('arn:') ? arn : undefined;
}
