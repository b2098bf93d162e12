import * as z from 'zod/mini';
import { defineEventContract } from '../contract.ts';
import { backupJobId, eventArn } from '../envelope.ts';
import { BACKUP_VAULT_ARN } from './arn.ts';
import pattern from './copy-job-state-change.pattern.json' with { type: 'json' };

/**
 * AWS Backup *Copy Job State Change*. Emitted in the **source** Region of a cross-Region copy: the primary
 * Region's forwarding rule sends COMPLETED ones to the recovery Region's dr-autopilot bus (infra/backup-forwarding.yml).
 * Quirks kept from AWS's samples: `destinationRecoveryPointArn` is an empty object `{}` until the copy completes,
 * and may be a service ARN (an EBS snapshot) rather than a Backup recovery-point ARN; the destination Region is
 * only in `destinationBackupVaultArn`; the CREATED event has no `copyJobId`.
 */
export const copyJobStateChange = defineEventContract({
  source: 'aws.backup',
  detailType: 'Copy Job State Change',
  pattern,
  detail: () =>
    z
      .object({
        copyJobId: z.optional(backupJobId()),
        state: z.string().check(z.minLength(1)),
        statusMessage: z.optional(z.string()),
        sourceBackupVaultArn: z.optional(eventArn()),
        destinationBackupVaultArn: z.optional(eventArn()),
        destinationRecoveryPointArn: z.optional(z.union([eventArn(), z.object({})])),
        resourceArn: z.optional(eventArn()),
        resourceType: z.optional(z.string()),
        creationDate: z.optional(z.string()),
        completionDate: z.optional(z.string()),
      })
      // A COMPLETED copy names where it went: without a vault ARN it is bad input (dead-letter queue), not a
      // copy "into another vault" to skip silently. Unfinished copies may carry `{}` there (AWS's samples).
      .check(
        z.superRefine((detail, context) => {
          if (
            detail.state === 'COMPLETED' &&
            !BACKUP_VAULT_ARN.test(detail.destinationBackupVaultArn ?? '')
          ) {
            context.addIssue({
              code: 'custom',
              path: ['destinationBackupVaultArn'],
              message: 'a COMPLETED copy must name its destination vault (a backup-vault ARN)',
            });
          }
        }),
      ),
});

export type CopyJobStateChangeEvent = ReturnType<typeof copyJobStateChange.parse>;

/** The copy's recovery point ARN when the event carries one (a string, not the `{}` placeholder). */
export function destinationRecoveryPointArnOf(event: CopyJobStateChangeEvent): string | undefined {
  const value = event.detail.destinationRecoveryPointArn;
  return typeof value === 'string' && value.startsWith('arn:') ? value : undefined;
}
