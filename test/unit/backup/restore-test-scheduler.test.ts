import {
  BackupClient,
  GetRestoreTestingInferredMetadataCommand,
  ListRecoveryPointsByBackupVaultCommand,
  ListTagsCommand,
  StartRestoreJobCommand,
} from '@aws-sdk/client-backup';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { runScheduledRestoreTests } from '../../../src/app/restore-test-scheduler.ts';
import { restoreTokenFor } from '../../../src/domain/restore-metadata.ts';
import {
  BACKUP_ACCOUNT,
  backupRestoreDeps,
  DR_REGION,
  DR_VAULT,
  PRIMARY_REGION,
  scheduledEvent,
} from '../../helpers/backup-fixtures.ts';

const backupMock = mockClient(BackupClient);
const NOW = new Date('2026-11-22T05:00:00Z');
const RUN_TIME = '2026-11-22T05:00:00Z';

function schedule() {
  return scheduledEvent(RUN_TIME, 'sched-1');
}

function point(table: string, day: number) {
  return {
    RecoveryPointArn: `arn:aws:backup:${DR_REGION}:${BACKUP_ACCOUNT}:recovery-point:${table}-${day}`,
    BackupVaultName: DR_VAULT,
    ResourceArn: `arn:aws:dynamodb:us-east-1:${BACKUP_ACCOUNT}:table/${table}`,
    ResourceType: 'DynamoDB',
    Status: 'COMPLETED' as const,
    CreationDate: new Date(Date.UTC(2026, 10, day)),
  };
}

function deps(regionRole: 'primary' | 'recovery' = 'recovery') {
  return {
    ...backupRestoreDeps({
      now: NOW,
      policy: { region: regionRole === 'recovery' ? DR_REGION : PRIMARY_REGION, regionRole },
    }),
    random: () => 0,
    selection: { algorithm: 'latest' as const, windowDays: 7, maxPerRun: 20 },
  };
}

describe('runScheduledRestoreTests', () => {
  beforeEach(() => {
    backupMock.reset();
    backupMock
      .on(ListRecoveryPointsByBackupVaultCommand)
      .resolves({ RecoveryPoints: [point('orders', 20), point('orders', 21), point('users', 19)] });
    backupMock.on(ListTagsCommand).resolves({ Tags: {} });
    backupMock.on(GetRestoreTestingInferredMetadataCommand).resolves({ InferredMetadata: {} });
    backupMock.on(StartRestoreJobCommand).resolves({ RestoreJobId: 'r' });
  });

  it('restores the newest point of each protected resource in the DR vault as a test, with a per-run token', async () => {
    // Prepare
    const context = deps();
    // Act
    const outcome = await runScheduledRestoreTests(schedule(), context);
    // Assess
    expect(outcome).toMatchObject({
      action: 'restore-tests-started',
      started: ['r', 'r'],
      deferred: 0,
      inScope: 2,
    });
    expect(backupMock).toHaveReceivedCommandWith(ListRecoveryPointsByBackupVaultCommand, {
      BackupVaultName: DR_VAULT,
      ByCreatedAfter: new Date('2026-11-15T05:00:00Z'),
    });
    const tokens = backupMock
      .commandCalls(StartRestoreJobCommand)
      .map((call) => call.args[0].input.IdempotencyToken);
    expect(tokens).toEqual([
      restoreTokenFor(point('orders', 21).RecoveryPointArn, `scheduled-test:scheduled-${RUN_TIME}`),
      restoreTokenFor(point('users', 19).RecoveryPointArn, `scheduled-test:scheduled-${RUN_TIME}`),
    ]);
    expect([...context.records.all.values()][0]).toMatchObject({ purpose: 'scheduled-test', mode: 'test' });
  });

  it('starts the other restores when one fails, then fails the run naming it', async () => {
    backupMock
      .on(StartRestoreJobCommand, { RecoveryPointArn: point('orders', 21).RecoveryPointArn })
      .rejects(Object.assign(new Error('bad metadata'), { name: 'InvalidParameterValueException' }));
    await expect(runScheduledRestoreTests(schedule(), deps())).rejects.toThrow(/orders-21: bad metadata/);
    expect(backupMock).toHaveReceivedCommandTimes(StartRestoreJobCommand, 2);
  });

  it('does nothing in the primary Region', async () => {
    const event = schedule();
    event.region = PRIMARY_REGION;
    const outcome = await runScheduledRestoreTests(event, deps('primary'));
    expect(outcome).toMatchObject({ action: 'skipped', reason: 'not-recovery-region' });
    expect(backupMock).not.toHaveReceivedAnyCommand();
  });
});
