import type { Signal } from '../../events/dr-autopilot/signal.ts';
import type { RestoreRecord, RestoreRecords } from '../../src/ports/backup-restore-records.ts';
import type { SignalPublisher } from '../../src/ports/signals.ts';

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

/** Restore records in memory (the DynamoDB adapter has its own dynalite test). */
export function memoryRecords(
  initial: RestoreRecord[] = [],
): RestoreRecords & { all: Map<string, RestoreRecord> } {
  const all = new Map(initial.map((record) => [record.restoreJobId, structuredClone(record)]));
  return {
    all,
    async get(id) {
      const record = all.get(id);
      return record ? structuredClone(record) : undefined;
    },
    async put(record) {
      all.set(record.restoreJobId, structuredClone(record));
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
