import type { ScheduledEvent } from '../../events/aws-events/scheduled-event.ts';
import { ForeignEventError } from '../domain/errors.ts';

/** A scheduled run in the primary Region: refused at once (restore work runs in the recovery Region). */
export interface NotRecoveryRegion {
  action: 'skipped';
  reason: 'not-recovery-region';
  explanation: string;
}

/**
 * The screen of a scheduled restore run (restore tests, the validation sweep): the schedule must be this
 * deployment's own (account and Region), and the run happens only in the recovery Region.
 * `work` completes the explanation: `<Region> is the primary Region: <work> in the recovery Region`.
 */
export function screenScheduledRun(
  event: ScheduledEvent,
  policy: { account: string; region: string; regionRole: 'primary' | 'recovery' },
  work: string,
): NotRecoveryRegion | undefined {
  if (event.account !== policy.account || event.region !== policy.region) {
    throw new ForeignEventError(
      `scheduled event ${event.id} is from account ${event.account}, region ${event.region}`,
    );
  }
  if (policy.regionRole !== 'recovery') {
    return {
      action: 'skipped',
      reason: 'not-recovery-region',
      explanation: `${policy.region} is the primary Region: ${work} in the recovery Region`,
    };
  }
  return undefined;
}
