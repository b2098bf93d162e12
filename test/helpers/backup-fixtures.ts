import { BackupClient } from '@aws-sdk/client-backup';
import { parseScheduledEvent } from '../../events/aws-events/scheduled-event.ts';
import { restoreJobStateChange } from '../../events/backup/restore-job-state-change.ts';
import type { Signal } from '../../events/dr-autopilot/signal.ts';
import { createBackupAdapter } from '../../src/adapters/backup.ts';
import type { BackupRestorePolicy } from '../../src/app/backup-restore.ts';
import {
  RestoreClaimLostError,
  type RestoreJobClaim,
  type RestoreRecord,
  type RestoreRecords,
  type RestoreTokenClaim,
} from '../../src/ports/backup-restore-records.ts';
import type { SignalPublisher } from '../../src/ports/signals.ts';
import { loadSample } from './events.ts';

/** A signal publisher that keeps what it was asked to publish. */
export function recordingSignals(): SignalPublisher & { published: Signal[] } {
  const published: Signal[] = [];
  return {
    published,
    async publish(signals) {
      published.push(...signals);
    },
  };
}

/** A signal publisher whose first `failures` publishes fail (a transient PutEvents failure), then records. */
export function flakySignals(failures: number): SignalPublisher & { published: Signal[] } {
  const signals = recordingSignals();
  let left = failures;
  return {
    published: signals.published,
    async publish(batch) {
      if (left-- > 0) throw new Error('PutEvents: ServiceUnavailable');
      await signals.publish(batch);
    },
  };
}

/**
 * Restore records in memory, with the DynamoDB adapter's semantics (conditional create, token claims and step
 * claims; the adapter has its own dynalite test).
 */
export function memoryRecords(initial: RestoreRecord[] = []): RestoreRecords & {
  all: Map<string, RestoreRecord>;
  claims: Map<string, RestoreTokenClaim>;
  stepClaims: Map<string, RestoreJobClaim>;
} {
  const all = new Map(initial.map((record) => [record.restoreJobId, structuredClone(record)]));
  const claims = new Map<string, RestoreTokenClaim>();
  const stepClaims = new Map<string, RestoreJobClaim>();
  return {
    all,
    claims,
    stepClaims,
    async create(record) {
      if (all.has(record.restoreJobId)) return false;
      all.set(record.restoreJobId, structuredClone(record));
      return true;
    },
    async claimToken(claim) {
      const existing = claims.get(claim.token);
      if (existing) return structuredClone(existing);
      claims.set(claim.token, structuredClone(claim));
      return undefined;
    },
    async updateTokenClaim(claim) {
      claims.set(claim.token, structuredClone(claim));
    },
    async get(id) {
      const record = all.get(id);
      return record ? structuredClone(record) : undefined;
    },
    async put(record, claim) {
      if (claim && stepClaims.get(record.restoreJobId)?.holder !== claim.holder) {
        throw new RestoreClaimLostError(`restore job ${record.restoreJobId}: claim lost`);
      }
      if (!claim) stepClaims.delete(record.restoreJobId);
      all.set(record.restoreJobId, structuredClone(record));
    },
    async claim(id, claim, now, initialRecord) {
      if (!all.has(id) && initialRecord) all.set(id, structuredClone(initialRecord));
      const record = all.get(id);
      if (!record) throw new Error(`restore job ${id} has no record to claim`);
      const held = stepClaims.get(id);
      if (held && held.until >= now.getTime()) {
        return { claimed: false, heldBy: held.holder, until: held.until };
      }
      stepClaims.set(id, { ...claim });
      return { claimed: true, record: structuredClone(record) };
    },
    async release(id, claim) {
      if (stepClaims.get(id)?.holder === claim.holder) stepClaims.delete(id);
    },
    async *listOpen() {
      yield [...all.values()]
        .filter((record) => record.phase !== 'done')
        .map((record) => structuredClone(record));
    },
  };
}

export const BACKUP_ACCOUNT = '111122223333';
export const DR_REGION = 'us-west-2';
export const PRIMARY_REGION = 'us-east-1';
export const DR_VAULT = 'dr-vault';
export const DR_VAULT_ARN = `arn:aws:backup:${DR_REGION}:${BACKUP_ACCOUNT}:backup-vault:${DR_VAULT}`;
export const RESTORE_ROLE_ARN = `arn:aws:iam::${BACKUP_ACCOUNT}:role/dr-restore`;
export const RESTORE_JOB_ID = 'AB123456-78C9-0123-456D-789012E34567';
export const RECOVERY_POINT_ARN = `arn:aws:backup:${DR_REGION}:${BACKUP_ACCOUNT}:recovery-point:rp-1`;
export const RESTORED_NAME = 'dr-autopilot-0123456789ab';

/** A record of a test restore dr-autopilot started (of a DynamoDB table); `overrides` for what the test is about. */
export function restoreRecord(overrides: Partial<RestoreRecord> = {}): RestoreRecord {
  return {
    restoreJobId: RESTORE_JOB_ID,
    owner: 'dr-autopilot',
    purpose: 'copy',
    mode: 'test',
    runId: 'evt-1',
    recoveryPointArn: RECOVERY_POINT_ARN,
    resourceType: 'DynamoDB',
    requestedName: RESTORED_NAME,
    workload: 'default',
    rtoSeconds: 14_400,
    rpoSeconds: 900,
    startedAt: '2026-11-22T10:00:00.000Z',
    phase: 'validating',
    correlationId: 'evt-1',
    ...overrides,
  };
}

/** The policy every restore function has (see `createRestoreWiring`), in the DR Region of our account. */
export function restorePolicy() {
  return {
    account: BACKUP_ACCOUNT,
    region: DR_REGION,
    primaryRegion: PRIMARY_REGION,
    regionRole: 'recovery' as 'primary' | 'recovery',
    settings: {},
    defaultRpoSeconds: 3600,
    defaultRtoSeconds: 14_400,
  };
}

/**
 * What `startDrRestore` needs (backup-restore and the restore-test scheduler): the real Backup adapter on
 * clients in the DR Region (copy jobs read in `copyJobRegion`), records in memory, recorded signals, a fixed clock.
 */
export function backupRestoreDeps(options: {
  now: Date;
  dryRun?: boolean | undefined;
  copyJobRegion?: string;
  policy?: Partial<BackupRestorePolicy>;
}) {
  const client = new BackupClient({ region: DR_REGION });
  return {
    backup: createBackupAdapter({
      client,
      copyJobClient: options.copyJobRegion ? new BackupClient({ region: options.copyJobRegion }) : client,
    }),
    records: memoryRecords(),
    signals: recordingSignals(),
    clock: () => options.now,
    dryRun: options.dryRun ?? false,
    policy: {
      ...restorePolicy(),
      vaultName: DR_VAULT,
      restoreRoleArn: RESTORE_ROLE_ARN,
      ...options.policy,
    } satisfies BackupRestorePolicy,
  };
}

/** The scheduled event (EventBridge Scheduler / a schedule rule) of our account in the DR Region. */
export function scheduledEvent(time: string, id: string = crypto.randomUUID()) {
  return parseScheduledEvent({
    version: '0',
    id,
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: BACKUP_ACCOUNT,
    time,
    region: DR_REGION,
    resources: [],
    detail: {},
  });
}

/**
 * AWS's Restore Job State Change sample for {@link RESTORE_JOB_ID}, in {@link BACKUP_ACCOUNT}: its ARNs name
 * AWS's sample account 1112233445566, moved to this account as a real event's would be. `freshId` gives it a
 * new event id (a re-emission has a new one).
 */
export function restoreSampleEvent(
  status: 'completed' | 'failed' = 'completed',
  options: { freshId?: boolean } = {},
) {
  const event = loadSample<Record<string, unknown> & { detail: Record<string, unknown> }>(
    'backup',
    `restore-job-state-change.${status}`,
  );
  if (options.freshId) event.id = crypto.randomUUID();
  event.account = BACKUP_ACCOUNT;
  event.resources = (event.resources as string[]).map((arn) =>
    arn.replace(':1112233445566:', `:${BACKUP_ACCOUNT}:`),
  );
  event.detail.restoreJobId = RESTORE_JOB_ID;
  return restoreJobStateChange.parse(event);
}
