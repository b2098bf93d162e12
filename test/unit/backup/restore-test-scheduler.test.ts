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
import { ForeignEventError } from '../../../src/domain/errors.ts';
import { type EvidenceRecord, evidenceFromSignal } from '../../../src/domain/evidence.ts';
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

function deps(
  regionRole: 'primary' | 'recovery' = 'recovery',
  options: {
    algorithm?: 'latest' | 'random';
    now?: () => Date;
    dryRun?: boolean;
    maxPerRun?: number;
    earlier?: EvidenceRecord[];
  } = {},
) {
  const context = backupRestoreDeps({
    now: NOW,
    dryRun: options.dryRun,
    policy: { region: regionRole === 'recovery' ? DR_REGION : PRIMARY_REGION, regionRole },
  });
  return {
    ...context,
    clock: options.now ?? context.clock,
    selection: {
      algorithm: options.algorithm ?? ('latest' as const),
      windowDays: 7,
      maxPerRun: options.maxPerRun ?? 20,
      overdueAfterSeconds: 14 * 86_400,
    },
    // The evidence ledger as the recording publisher would have filled it: earlier records, and what this
    // test's runs published.
    history: {
      list: async () => [
        ...(options.earlier ?? []),
        ...context.signals.published.flatMap(
          (signal) =>
            evidenceFromSignal(signal, {
              recordedBy: 'test',
              recordedAt: signal.detail.observedAt,
              trigger: 'schedule',
            }) ?? [],
        ),
      ],
    },
  };
}

/** An earlier restore test of a table, as the ledger records it. */
function testedAt(table: string, occurredAt: string): EvidenceRecord {
  return {
    id: `restore-test#${table}-${occurredAt}`,
    kind: 'restore-test',
    workload: 'orders',
    occurredAt,
    result: 'succeeded',
    summary: 'DR restore started',
    subject: {
      type: 'backup-resource',
      id: point(table, 1).ResourceArn,
      region: 'us-east-1',
      account: BACKUP_ACCOUNT,
    },
    trigger: 'schedule',
    correlationId: 'earlier',
    timings: {},
    details: {},
    recordedAt: occurredAt,
    recordedBy: 'restore-test-scheduler',
  };
}

/** The scheduled-test token of a protected resource in a run (one restore per resource and run). */
function tokenOf(table: string, runTime = RUN_TIME) {
  return restoreTokenFor(
    point(table, 1).ResourceArn,
    `scheduled-test:scheduled-${new Date(runTime).toISOString()}`,
  );
}

/**
 * StartRestoreJob answers with a job id per recovery point, as AWS would for distinct restores; the first call
 * that `failOnce` picks fails (`error`).
 */
function jobIdsPerPoint(
  failOnce: (input: { RecoveryPointArn?: string; IdempotencyToken?: string }) => boolean = () => false,
  error: Error = new Error('unused'),
) {
  let failed = false;
  backupMock
    .on(StartRestoreJobCommand)
    .callsFake(async (input: { RecoveryPointArn?: string; IdempotencyToken?: string }) => {
      if (!failed && failOnce(input)) {
        failed = true;
        throw error;
      }
      return { RestoreJobId: `job-${input.RecoveryPointArn?.split(':').pop()}` };
    });
}

const startedPoints = () =>
  backupMock.commandCalls(StartRestoreJobCommand).map((call) => call.args[0].input.RecoveryPointArn);

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
    jobIdsPerPoint();
    const context = deps();
    // Act
    const outcome = await runScheduledRestoreTests(schedule(), context);
    // Assess
    expect(outcome).toMatchObject({
      action: 'restore-tests-started',
      started: ['job-orders-21', 'job-users-19'],
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
    expect(tokens).toEqual([tokenOf('orders'), tokenOf('users')]);
    expect(new Set(tokens).size).toBe(2);
    expect([...context.records.all.values()]).toEqual([
      expect.objectContaining({
        restoreJobId: 'job-orders-21',
        recoveryPointArn: point('orders', 21).RecoveryPointArn,
        purpose: 'scheduled-test',
        mode: 'test',
      }),
      expect.objectContaining({
        restoreJobId: 'job-users-19',
        recoveryPointArn: point('users', 19).RecoveryPointArn,
        purpose: 'scheduled-test',
        mode: 'test',
      }),
    ]);
  });

  it('starts the other restores when one fails, then fails the run naming it; the retry starts only the failed one', async () => {
    // Prepare
    jobIdsPerPoint(
      (input) => input.RecoveryPointArn === point('orders', 21).RecoveryPointArn,
      Object.assign(new Error('bad metadata'), { name: 'InvalidParameterValueException' }),
    );
    const context = deps();
    // Act
    await expect(runScheduledRestoreTests(schedule(), context)).rejects.toThrow(/orders-21: bad metadata/);
    const failedRun = backupMock.commandCalls(StartRestoreJobCommand).length;
    const retry = await runScheduledRestoreTests(schedule(), context);
    // Assess
    expect(failedRun).toBe(2);
    expect(startedPoints()).toEqual([
      point('orders', 21).RecoveryPointArn,
      point('users', 19).RecoveryPointArn,
      point('orders', 21).RecoveryPointArn,
    ]);
    const tokens = backupMock
      .commandCalls(StartRestoreJobCommand)
      .map((call) => call.args[0].input.IdempotencyToken);
    expect(tokens).toEqual([tokenOf('orders'), tokenOf('users'), tokenOf('orders')]);
    expect(retry).toMatchObject({ started: ['job-orders-21', 'job-users-19'] });
    expect(context.records.all.size).toBe(2);
    expect(context.signals.published.filter((signal) => signal.type === 'Restore Started')).toHaveLength(2);
  });

  it.each(['latest', 'random'] as const)(
    'a retry of a run (%s) later, with newer recovery points, restores the same points with the same tokens',
    async (algorithm) => {
      // Prepare
      jobIdsPerPoint(() => true, Object.assign(new Error('throttled'), { name: 'ThrottlingException' }));
      const points = Array.from({ length: 6 }, (_, index) => point('orders', 16 + index));
      backupMock.on(ListRecoveryPointsByBackupVaultCommand).resolves({ RecoveryPoints: points });
      let now = NOW;
      const context = deps('recovery', { algorithm, now: () => now });
      // Act
      await expect(runScheduledRestoreTests(schedule(), context)).rejects.toThrow(/throttled/);
      now = new Date('2026-11-24T05:00:00Z');
      backupMock.on(ListRecoveryPointsByBackupVaultCommand).resolves({
        RecoveryPoints: [...points, point('orders', 23), point('orders', 24)],
      });
      await runScheduledRestoreTests(schedule(), context);
      // Assess
      const calls = backupMock.commandCalls(StartRestoreJobCommand).map((call) => call.args[0].input);
      expect(calls).toHaveLength(2);
      expect(calls[1]?.RecoveryPointArn).toBe(calls[0]?.RecoveryPointArn);
      expect(calls.map((input) => input.IdempotencyToken)).toEqual([tokenOf('orders'), tokenOf('orders')]);
      expect(backupMock).toHaveReceivedNthCommandWith(ListRecoveryPointsByBackupVaultCommand, 2, {
        ByCreatedAfter: new Date('2026-11-15T05:00:00Z'),
      });
      expect(context.records.all.size).toBe(1);
    },
  );

  it('names a run by its instant: the same time spelt two ways is one run, with the same tokens', async () => {
    // Prepare
    jobIdsPerPoint();
    backupMock.on(ListRecoveryPointsByBackupVaultCommand).resolves({ RecoveryPoints: [point('orders', 20)] });
    const context = deps('recovery');
    // Act
    await runScheduledRestoreTests(scheduledEvent('2026-11-22T05:00:00Z', 'sched-1'), context);
    await runScheduledRestoreTests(scheduledEvent('2026-11-22T05:00:00.000Z', 'sched-1b'), context);
    // Assess: one run record, and both deliveries asked AWS Backup with the one token (one restore).
    const tokens = backupMock
      .commandCalls(StartRestoreJobCommand)
      .map((call) => call.args[0].input.IdempotencyToken);
    expect(new Set(tokens)).toEqual(new Set([tokenOf('orders')]));
    expect(context.records.all.size).toBe(1);
  });

  it('tests the least recently tested first: ten resources, three a run, all tested within four runs', async () => {
    // Prepare: ten tables with a point each; runs a day apart, each against the ledger the runs before filled
    const tables = Array.from({ length: 10 }, (_, index) => `t${index}`);
    backupMock.on(ListRecoveryPointsByBackupVaultCommand).resolves({
      RecoveryPoints: tables.map((table) => point(table, 20)),
    });
    jobIdsPerPoint();
    let now = NOW;
    const context = deps('recovery', { now: () => now, maxPerRun: 3 });
    // Act
    const runs: string[][] = [];
    for (let run = 0; run < 4; run++) {
      now = new Date(NOW.getTime() + run * 86_400_000);
      const before = startedPoints().length;
      await runScheduledRestoreTests(scheduledEvent(now.toISOString(), `sched-${run}`), context);
      runs.push(
        startedPoints()
          .slice(before)
          .map((arn) => String(arn).split(':').pop() ?? ''),
      );
    }
    // Assess
    expect(runs.map((run) => run.length)).toEqual([3, 3, 3, 3]);
    expect(new Set(runs.flat().map((name) => name.replace(/-20$/, '')))).toEqual(new Set(tables));
    // The fourth run: the one never tested, then the two tested longest ago.
    expect(runs[3]).toEqual(['t9-20', 't0-20', 't1-20']);
  });

  it('tells on-call when a resource it leaves out was last tested longer ago than the overdue age', async () => {
    // Prepare: two tables, one a run; "users" tested 20 days ago, "orders" yesterday
    backupMock.on(ListRecoveryPointsByBackupVaultCommand).resolves({
      RecoveryPoints: [point('orders', 20), point('users', 20), point('zeta', 20)],
    });
    jobIdsPerPoint();
    const context = deps('recovery', {
      maxPerRun: 1,
      earlier: [
        testedAt('orders', '2026-11-21T05:00:00.000Z'),
        testedAt('users', '2026-11-02T05:00:00.000Z'),
        testedAt('zeta', '2026-11-20T05:00:00.000Z'),
      ],
    });
    // Act
    const outcome = await runScheduledRestoreTests(schedule(), context);
    // Assess: users goes first (tested longest ago); zeta and orders are deferred but not overdue
    expect(startedPoints()).toEqual([point('users', 20).RecoveryPointArn]);
    expect(outcome).toMatchObject({ deferred: 2, overdue: [] });
    // A week later with one a run, zeta (tested 9 days before) and orders wait; nothing past 14 days yet…
    const later = deps('recovery', {
      maxPerRun: 1,
      earlier: [
        testedAt('orders', '2026-11-01T05:00:00.000Z'),
        testedAt('users', '2026-11-02T05:00:00.000Z'),
        testedAt('zeta', '2026-11-21T05:00:00.000Z'),
      ],
    });
    const second = await runScheduledRestoreTests(scheduledEvent(RUN_TIME, 'sched-2'), later);
    // …orders goes first (21 days); users (20 days) is left out and overdue: AT_RISK for its workload
    expect(second).toMatchObject({ overdue: [point('users', 1).ResourceArn] });
    const [overdue] = later.signals.published.filter(
      (signal) => signal.detail.evidence.reason === 'restore-test-overdue',
    );
    expect(overdue?.detail).toMatchObject({
      workload: 'orders',
      assessment: { state: 'AT_RISK', reason: 'restore test overdue: last tested 20d ago' },
    });
  });

  it.each([
    ['another Region', { region: PRIMARY_REGION }],
    ['another account', { account: '999999999999' }],
  ])('rejects a schedule from %s and starts nothing', async (_name, change) => {
    const event = Object.assign(schedule(), change);
    await expect(runScheduledRestoreTests(event, deps())).rejects.toBeInstanceOf(ForeignEventError);
    expect(backupMock).not.toHaveReceivedAnyCommand();
  });

  it('in dry-run mode starts no restore and says what it would restore', async () => {
    // Prepare
    jobIdsPerPoint();
    const context = deps('recovery', { dryRun: true });
    // Act
    const outcome = await runScheduledRestoreTests(schedule(), context);
    // Assess
    expect(outcome).toMatchObject({ action: 'restore-tests-started', started: [], skipped: 2 });
    expect(backupMock).not.toHaveReceivedCommand(StartRestoreJobCommand);
    expect(context.records.all.size).toBe(0);
    expect(context.records.claims.size).toBe(0);
    expect(context.signals.published.map((signal) => signal.detail.dryRun)).toEqual([true, true]);
  });

  it('does nothing in the primary Region', async () => {
    const event = schedule();
    event.region = PRIMARY_REGION;
    const outcome = await runScheduledRestoreTests(event, deps('primary'));
    expect(outcome).toMatchObject({ action: 'skipped', reason: 'not-recovery-region' });
    expect(backupMock).not.toHaveReceivedAnyCommand();
  });
});
