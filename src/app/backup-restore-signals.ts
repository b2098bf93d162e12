import { parseArn } from '../../events/backup/arn.ts';
import { createSignal, type Signal, type SignalInput } from '../../events/dr-autopilot/signal.ts';
import { oneLine } from '../domain/text.ts';

/** Runbook anchors (README: Backups that provably restore in the DR Region). */
export const RESTORE_RUNBOOK = {
  failed: 'runbook-restore-failed',
  settings: 'runbook-restore-settings',
  slow: 'runbook-restore-slow',
} as const;

/** The backed-up resource a signal is about: the source resource (by ARN), else the recovery point. */
export function backupResource(input: {
  resourceArn?: string | undefined;
  recoveryPointArn?: string | undefined;
  fallbackRegion: string;
  account: string;
}) {
  const id = input.resourceArn ?? input.recoveryPointArn ?? 'unknown';
  const arn = parseArn(id);
  return {
    type: 'backup-resource' as const,
    id,
    ...(arn ? { arn: id } : {}),
    region: arn?.region || input.fallbackRegion,
    account: arn?.account || input.account,
  };
}

export type RestoreSignalInput = Omit<SignalInput, 'dryRun' | 'correlationId' | 'observedAt'>;

/** A signal factory bound to one invocation: the same correlation id, observation time and dry-run flag. */
export function restoreSignalFactory(context: { correlationId: string; observedAt: Date; dryRun: boolean }) {
  return (input: RestoreSignalInput): Signal =>
    createSignal({
      ...input,
      summary: oneLine(input.summary, 500),
      observedAt: context.observedAt.toISOString(),
      correlationId: context.correlationId,
      dryRun: context.dryRun,
    });
}
