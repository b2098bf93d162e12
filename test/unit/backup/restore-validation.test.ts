import {
  BackupClient,
  DescribeRestoreJobCommand,
  type DescribeRestoreJobCommandOutput,
  GetRecoveryPointRestoreMetadataCommand,
  ListTagsCommand,
  PutRestoreValidationResultCommand,
} from '@aws-sdk/client-backup';
import {
  DeleteTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ListTagsOfResourceCommand,
  ScanCommand,
  TagResourceCommand,
} from '@aws-sdk/client-dynamodb';
import {
  AddTagsToResourceCommand,
  CreateDBInstanceCommand,
  DeleteDBClusterCommand,
  DeleteDBInstanceCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { createBackupAdapter } from '../../../src/adapters/backup.ts';
import { createRestoredDynamoDbHandler } from '../../../src/adapters/restored-dynamodb.ts';
import { createRestoredAuroraHandler, createRestoredRdsHandler } from '../../../src/adapters/restored-rds.ts';
import {
  type RestoreValidationDeps,
  sweepOpenRestores,
  validateRestoreJob,
} from '../../../src/app/restore-validation.ts';
import { ForeignEventError } from '../../../src/domain/errors.ts';
import { ourTags } from '../../../src/domain/restore-ownership.ts';
import type { RestoreRecord } from '../../../src/ports/backup-restore-records.ts';
import {
  BACKUP_ACCOUNT,
  DR_REGION,
  flakySignals,
  memoryRecords,
  PRIMARY_REGION,
  RECOVERY_POINT_ARN,
  RESTORE_JOB_ID,
  RESTORED_NAME,
  recordingSignals,
  restorePolicy,
  restoreRecord,
  restoreSampleEvent,
  scheduledEvent,
} from '../../helpers/backup-fixtures.ts';

const backupMock = mockClient(BackupClient);
const dynamoMock = mockClient(DynamoDBClient);
const rdsMock = mockClient(RDSClient);

const JOB_ID = RESTORE_JOB_ID;
const POINT = RECOVERY_POINT_ARN;
const NAME = RESTORED_NAME;
const CREATED = new Date('2026-11-22T10:00:00Z');
const COMPLETED = new Date('2026-11-22T10:20:00Z');
const NOW = new Date('2026-11-22T10:25:00Z');
const PLAN = `arn:aws:backup:${DR_REGION}:${BACKUP_ACCOUNT}:restore-testing-plan:weekly-1`;

/** AWS's Restore Job State Change sample, in our account and DR Region. */
function restoreEvent(status: 'completed' | 'failed' = 'completed') {
  return restoreSampleEvent(status);
}

function scheduleEvent() {
  return scheduledEvent('2026-11-22T10:30:00Z');
}

function record(overrides: Partial<RestoreRecord> = {}): RestoreRecord {
  return restoreRecord({
    sourceResourceArn: 'arn:aws:dynamodb:us-east-1:111122223333:table/orders',
    workload: 'payments',
    rpoSeconds: 3600,
    startedAt: CREATED.toISOString(),
    phase: 'started',
    ...overrides,
  });
}

function job(overrides: Partial<DescribeRestoreJobCommandOutput> = {}) {
  backupMock.on(DescribeRestoreJobCommand).resolves({
    RestoreJobId: JOB_ID,
    Status: 'COMPLETED',
    RecoveryPointArn: POINT,
    BackupVaultArn: `arn:aws:backup:${DR_REGION}:${BACKUP_ACCOUNT}:backup-vault:dr-vault`,
    SourceResourceArn: 'arn:aws:dynamodb:us-east-1:111122223333:table/orders',
    ResourceType: 'DynamoDB',
    CreatedResourceArn: `arn:aws:dynamodb:${DR_REGION}:${BACKUP_ACCOUNT}:table/${NAME}`,
    CreationDate: CREATED,
    CompletionDate: COMPLETED,
    RecoveryPointCreationDate: new Date('2026-11-22T09:40:00Z'),
    BackupSizeInBytes: 2048,
    ...overrides,
  });
}

function table(name: string, tags: Record<string, string>[]) {
  dynamoMock.on(DescribeTableCommand).resolves({
    Table: {
      TableName: name,
      TableArn: `arn:aws:dynamodb:${DR_REGION}:${BACKUP_ACCOUNT}:table/${name}`,
      TableStatus: 'ACTIVE',
      ItemCount: 7,
      CreationDateTime: COMPLETED,
    },
  });
  let calls = dynamoMock.on(ListTagsOfResourceCommand);
  for (const set of tags)
    calls = calls.resolvesOnce({ Tags: Object.entries(set).map(([Key, Value]) => ({ Key, Value })) });
  dynamoMock.on(ScanCommand).resolves({ Count: 7 });
}

function deps(initial: RestoreRecord[] = [], overrides: Partial<RestoreValidationDeps['policy']> = {}) {
  const rds = new RDSClient({ region: DR_REGION });
  const backup = new BackupClient({ region: DR_REGION });
  return {
    backup: createBackupAdapter({ client: backup, copyJobClient: backup }),
    records: memoryRecords(initial),
    handlers: {
      DynamoDB: createRestoredDynamoDbHandler(new DynamoDBClient({ region: DR_REGION })),
      RDS: createRestoredRdsHandler(rds),
      Aurora: createRestoredAuroraHandler(rds),
    },
    signals: recordingSignals(),
    clock: () => NOW,
    dryRun: false,
    policy: {
      ...restorePolicy(),
      validationWindowSeconds: 3 * 3600,
      maxPerSweep: 25,
      ...overrides,
    },
  };
}

const OUR_TAGS = ourTags({ restoreJobId: JOB_ID, runId: 'evt-1', mode: 'test' });

/** Fresh mocks, with DynamoDB tagging and deletion answering as AWS does. */
function resetMocksForDynamoDbRestores(): void {
  backupMock.reset();
  dynamoMock.reset();
  rdsMock.reset();
  dynamoMock.on(TagResourceCommand).resolves({});
  dynamoMock.on(DeleteTableCommand).resolves({});
}

describe('validateRestoreJob', () => {
  beforeEach(resetMocksForDynamoDbRestores);

  it('validates our test restore for real, measures it, tags it and deletes it', async () => {
    // Prepare
    job();
    table(NAME, [{}, OUR_TAGS]);
    const context = deps([record()]);
    // Act
    const outcome = await validateRestoreJob(restoreEvent(), context);
    // Assess
    expect(outcome).toEqual({
      action: 'validated',
      restoreJobId: JOB_ID,
      verdict: 'passed',
      cleanup: 'done',
      deleted: [NAME],
      refused: [],
    });
    expect(dynamoMock).toHaveReceivedCommandWith(TagResourceCommand, {
      Tags: expect.arrayContaining([{ Key: 'dr-autopilot:restore-job-id', Value: JOB_ID }]),
    });
    expect(dynamoMock).toHaveReceivedCommandWith(ScanCommand, { TableName: NAME, Select: 'COUNT' });
    expect(dynamoMock).toHaveReceivedCommandWith(DeleteTableCommand, { TableName: NAME });
    expect(backupMock).not.toHaveReceivedCommand(PutRestoreValidationResultCommand);
    const [signal] = context.signals.published;
    expect(signal).toMatchObject({
      type: 'Restore Test Result',
      detail: {
        workload: 'payments',
        assessment: { state: 'READY' },
        evidence: {
          verdict: 'passed',
          restoreSeconds: 1200,
          measuredRtoSeconds: 1500,
          recoveryPointAgeSeconds: 1200,
          rtoMet: true,
          rpoMet: true,
        },
      },
    });
    expect(context.records.all.get(JOB_ID)).toMatchObject({ phase: 'done', verdict: 'passed' });
  });

  it('keeps a warm-standby restore after validating it', async () => {
    job();
    table(NAME, [{}, OUR_TAGS]);
    const outcome = await validateRestoreJob(restoreEvent(), deps([record({ mode: 'keep' })]));
    expect(outcome).toMatchObject({ verdict: 'passed', cleanup: 'none' });
    expect(dynamoMock).not.toHaveReceivedCommand(DeleteTableCommand);
  });

  it('fails a restored table that holds no items although the backup has data', async () => {
    job();
    table(NAME, [{}, OUR_TAGS]);
    dynamoMock.on(ScanCommand).resolves({ Count: 0 });
    const context = deps([record()]);
    const outcome = await validateRestoreJob(restoreEvent(), context);
    expect(outcome).toMatchObject({ verdict: 'failed' });
    expect(context.signals.published[0]?.detail).toMatchObject({
      severity: 'critical',
      assessment: { state: 'NOT_READY' },
    });
  });

  it('never touches a restore job started neither by dr-autopilot nor by a restore-testing plan', async () => {
    // Prepare
    job();
    table(NAME, [OUR_TAGS]);
    const context = deps([]);
    // Act
    const outcome = await validateRestoreJob(restoreEvent(), context);
    // Assess
    expect(outcome).toMatchObject({ action: 'skipped', reason: 'not-ours' });
    expect(dynamoMock).not.toHaveReceivedCommand(TagResourceCommand);
    expect(dynamoMock).not.toHaveReceivedCommand(DeleteTableCommand);
    expect(context.signals.published).toEqual([]);
  });

  it('never tags nor deletes a created resource that is not the one our restore asked for', async () => {
    // Prepare
    job({ CreatedResourceArn: `arn:aws:dynamodb:${DR_REGION}:${BACKUP_ACCOUNT}:table/orders-prod` });
    table('orders-prod', [{}]);
    const context = deps([record()]);
    // Act
    const outcome = await validateRestoreJob(restoreEvent(), context);
    // Assess
    expect(outcome).toMatchObject({ action: 'claim-refused' });
    expect(dynamoMock).not.toHaveReceivedCommand(TagResourceCommand);
    expect(dynamoMock).not.toHaveReceivedCommand(DeleteTableCommand);
    expect(context.signals.published[0]?.detail.assessment).toMatchObject({ state: 'UNKNOWN' });
  });

  it('never deletes a resource whose tag names another restore job', async () => {
    job();
    table(NAME, [{ ...OUR_TAGS, 'dr-autopilot:restore-job-id': 'another-job' }]);
    const outcome = await validateRestoreJob(restoreEvent(), deps([record()]));
    expect(outcome).toMatchObject({ action: 'claim-refused' });
    expect(dynamoMock).not.toHaveReceivedCommand(DeleteTableCommand);
  });

  it('validates a restore-testing-plan job, reports PutRestoreValidationResult once, and leaves deletion to AWS Backup', async () => {
    // Prepare
    job({
      CreatedBy: { RestoreTestingPlanArn: PLAN },
      CreatedResourceArn: `arn:aws:dynamodb:${DR_REGION}:${BACKUP_ACCOUNT}:table/awsbackup-restore-test-1`,
    });
    table('awsbackup-restore-test-1', [{ 'awsbackup-restore-test': '' }]);
    backupMock.on(ListTagsCommand).resolves({ Tags: { 'dr-autopilot:workload': 'payments' } });
    backupMock.on(PutRestoreValidationResultCommand).resolves({});
    const context = deps([]);
    // Act
    const first = await validateRestoreJob(restoreEvent(), context);
    const again = await sweepOpenRestores(scheduleEvent(), context);
    const redelivered = await validateRestoreJob(restoreEvent(), context);
    // Assess
    expect(first).toMatchObject({ action: 'validated', verdict: 'passed', cleanup: 'none' });
    expect(backupMock).toHaveReceivedCommandTimes(PutRestoreValidationResultCommand, 1);
    expect(backupMock).toHaveReceivedCommandWith(PutRestoreValidationResultCommand, {
      RestoreJobId: JOB_ID,
      ValidationStatus: 'SUCCESSFUL',
    });
    expect(dynamoMock).not.toHaveReceivedCommand(TagResourceCommand);
    expect(dynamoMock).not.toHaveReceivedCommand(DeleteTableCommand);
    expect(again).toEqual({ action: 'swept', processed: [] });
    expect(redelivered).toMatchObject({ action: 'skipped', reason: 'already-done' });
    expect(context.signals.published[0]?.detail.workload).toBe('payments');
  });

  it('turns a FAILED restore of ours into a critical signal with the status message', async () => {
    // Prepare
    const message = 'AWS Backup does not permit attaching a new instance profile to an EC2 instance.';
    job({ Status: 'FAILED', StatusMessage: message, ResourceType: 'EC2', CreatedResourceArn: undefined });
    const context = deps([record({ resourceType: 'EC2' })]);
    // Act
    const outcome = await validateRestoreJob(restoreEvent('failed'), context);
    // Assess
    expect(outcome).toEqual({
      action: 'restore-failed',
      restoreJobId: JOB_ID,
      status: 'FAILED',
      statusMessage: message,
    });
    expect(context.signals.published[0]?.detail).toMatchObject({
      severity: 'critical',
      assessment: { state: 'NOT_READY' },
      evidence: { statusMessage: message },
    });
    expect(context.records.all.get(JOB_ID)?.phase).toBe('done');
  });

  it('does nothing in the primary Region', async () => {
    const event = restoreEvent();
    event.region = PRIMARY_REGION;
    const outcome = await validateRestoreJob(
      event,
      deps([], { region: PRIMARY_REGION, regionRole: 'primary' }),
    );
    expect(outcome).toMatchObject({ action: 'skipped', reason: 'not-recovery-region' });
    expect(backupMock).not.toHaveReceivedAnyCommand();
  });

  it.each([
    ['the primary Region', { region: PRIMARY_REGION }],
    ['a third Region', { region: 'eu-west-1' }],
    ['another account', { account: '999999999999' }],
  ])('rejects a restore event from %s and calls nothing', async (_name, change) => {
    const event = Object.assign(restoreEvent(), change);
    await expect(validateRestoreJob(event, deps([record()]))).rejects.toBeInstanceOf(ForeignEventError);
    expect(backupMock).not.toHaveReceivedAnyCommand();
  });

  it.each([
    ['another Region', { region: PRIMARY_REGION }],
    ['another account', { account: '999999999999' }],
  ])('rejects a sweep schedule from %s and touches no open restore', async (_name, change) => {
    const event = Object.assign(scheduleEvent(), change);
    await expect(sweepOpenRestores(event, deps([record()]))).rejects.toBeInstanceOf(ForeignEventError);
    expect(backupMock).not.toHaveReceivedAnyCommand();
  });

  it('times out a validation still pending when its window has closed', async () => {
    job();
    dynamoMock
      .on(DescribeTableCommand)
      .resolves({ Table: { TableName: NAME, TableStatus: 'CREATING', CreationDateTime: COMPLETED } });
    dynamoMock.on(ListTagsOfResourceCommand).resolves({
      Tags: [
        { Key: 'dr-autopilot:managed-by', Value: 'dr-autopilot' },
        { Key: 'dr-autopilot:restore-job-id', Value: JOB_ID },
      ],
    });
    const early = await validateRestoreJob(restoreEvent(), deps([record()]));
    const late = await validateRestoreJob(restoreEvent(), deps([record()], { validationWindowSeconds: 60 }));
    expect(early).toMatchObject({ action: 'validation-pending' });
    expect(late).toMatchObject({ action: 'validated', verdict: 'timed-out' });
  });
});

describe('the backed-up configuration, when AWS Backup will not give it', () => {
  beforeEach(resetMocksForDynamoDbRestores);
  const instanceArn = `arn:aws:rds:${DR_REGION}:${BACKUP_ACCOUNT}:db:${NAME}`;
  function restoredInstance() {
    job({ ResourceType: 'RDS', CreatedResourceArn: instanceArn });
    rdsMock.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [
        {
          DBInstanceIdentifier: NAME,
          DBInstanceArn: instanceArn,
          DBInstanceStatus: 'available',
          Engine: 'postgres',
          EngineVersion: '16.4',
          Endpoint: { Address: `${NAME}.abc.${DR_REGION}.rds.amazonaws.com`, Port: 5432 },
          InstanceCreateTime: COMPLETED,
          TagList: Object.entries(OUR_TAGS).map(([Key, Value]) => ({ Key, Value })),
        },
      ],
    });
    rdsMock.on(DeleteDBInstanceCommand).resolves({});
  }

  it('validates without it when access is refused for good, and says what was not compared', async () => {
    // Prepare
    restoredInstance();
    backupMock
      .on(GetRecoveryPointRestoreMetadataCommand)
      .rejects(
        Object.assign(new Error('denied by the vault access policy'), { name: 'AccessDeniedException' }),
      );
    const context = deps([record({ resourceType: 'RDS' })]);
    // Act
    const outcome = await validateRestoreJob(restoreEvent(), context);
    // Assess
    expect(outcome).toMatchObject({ action: 'validated', verdict: 'passed' });
    expect(context.records.all.get(JOB_ID)?.checks).toContain(
      'not compared with the backed-up configuration, which could not be read (AccessDeniedException: denied by the vault access policy)',
    );
  });

  it('leaves a throttled read to the next round, deciding nothing', async () => {
    // Prepare
    restoredInstance();
    backupMock
      .on(GetRecoveryPointRestoreMetadataCommand)
      .rejects(Object.assign(new Error('slow down'), { name: 'ThrottlingException', $retryable: {} }));
    const context = deps([record({ resourceType: 'RDS' })]);
    // Act
    const run = validateRestoreJob(restoreEvent(), context);
    // Assess
    await expect(run).rejects.toThrow('slow down');
    expect(context.records.all.get(JOB_ID)?.verdict).toBeUndefined();
    expect(rdsMock).toHaveReceivedCommandTimes(DeleteDBInstanceCommand, 0);
  });
});

describe('a sweep near the end of its invocation', () => {
  beforeEach(resetMocksForDynamoDbRestores);

  it('starts no restore it may not finish in time, oldest first, and leaves the rest to the next sweep', async () => {
    // Prepare: three open restores still running; time for two before the reserve is reached.
    backupMock.on(DescribeRestoreJobCommand).resolves({ RestoreJobId: JOB_ID, Status: 'RUNNING' });
    const open = ['2026-11-22T10:02:00Z', '2026-11-22T10:00:00Z', '2026-11-22T10:01:00Z'].map((at, index) =>
      record({ restoreJobId: `job-${index}`, startedAt: at }),
    );
    const left = [200_000, 90_000, 59_000];
    const context = {
      ...deps(open, { sweepReserveMs: 60_000 }),
      remainingMs: () => left.shift() ?? 0,
    };
    // Act
    const outcome = await sweepOpenRestores(scheduleEvent(), context);
    // Assess
    expect(outcome).toEqual({
      action: 'swept',
      processed: [
        { restoreJobId: 'job-1', action: 'skipped' },
        { restoreJobId: 'job-2', action: 'skipped' },
      ],
      leftForNextSweep: 1,
    });
    expect(backupMock).toHaveReceivedCommandTimes(DescribeRestoreJobCommand, 2);
  });
});

describe('Aurora: validation instance, then cleanup over several sweeps', () => {
  beforeEach(() => {
    backupMock.reset();
    rdsMock.reset();
  });

  const clusterArn = `arn:aws:rds:${DR_REGION}:${BACKUP_ACCOUNT}:cluster:${NAME}`;
  function cluster(tags: Record<string, string>, members: number) {
    return {
      DBClusterIdentifier: NAME,
      DBClusterArn: clusterArn,
      Status: 'available',
      Engine: 'aurora-postgresql',
      EngineVersion: '16.4',
      Endpoint: `${NAME}.cluster-abc.${DR_REGION}.rds.amazonaws.com`,
      Port: 5432,
      ClusterCreateTime: COMPLETED,
      TagList: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
      DBClusterMembers: Array.from({ length: members }, () => ({})),
    };
  }
  const instance = (status: string) => ({
    DBInstanceIdentifier: `${NAME}-validate`,
    DBInstanceStatus: status,
    TagList: Object.entries(OUR_TAGS).map(([Key, Value]) => ({ Key, Value })),
  });

  it.each([
    { backedUp: '16.4', verdict: 'passed' },
    { backedUp: '16.6', verdict: 'failed' },
  ])(
    'creates a DB instance, judges it against the backup (engine $backedUp → $verdict), deletes it, then the cluster',
    async ({ backedUp, verdict }) => {
      // Prepare
      backupMock
        .on(GetRecoveryPointRestoreMetadataCommand)
        .resolves({ RestoreMetadata: { Engine: 'aurora-postgresql', EngineVersion: backedUp } });
      job({
        ResourceType: 'Aurora',
        CreatedResourceArn: clusterArn,
        SourceResourceArn: 'arn:aws:rds:us-east-1:111122223333:cluster:orders',
      });
      rdsMock
        .on(DescribeDBClustersCommand)
        .resolvesOnce({ DBClusters: [cluster({}, 0)] })
        .resolvesOnce({ DBClusters: [cluster(OUR_TAGS, 0)] })
        .resolvesOnce({ DBClusters: [cluster(OUR_TAGS, 1)] })
        .resolves({ DBClusters: [cluster(OUR_TAGS, 0)] });
      rdsMock
        .on(DescribeDBInstancesCommand)
        .resolvesOnce({ DBInstances: [] })
        .resolvesOnce({ DBInstances: [] })
        .resolvesOnce({ DBInstances: [instance('available')] })
        .resolvesOnce({ DBInstances: [instance('available')] })
        .resolves({ DBInstances: [] });
      rdsMock.on(AddTagsToResourceCommand).resolves({});
      rdsMock.on(CreateDBInstanceCommand).resolves({});
      rdsMock.on(DeleteDBInstanceCommand).resolves({});
      rdsMock.on(DeleteDBClusterCommand).resolves({});
      const context = deps([record({ resourceType: 'Aurora' })], {
        settings: { Aurora: { validationInstanceClass: 'db.r6g.large' } },
      });
      // Act
      const first = await validateRestoreJob(restoreEvent(), context);
      const second = await sweepOpenRestores(scheduleEvent(), context);
      const third = await sweepOpenRestores(scheduleEvent(), context);
      // Assess
      expect(first).toMatchObject({ action: 'validation-pending' });
      expect(rdsMock).toHaveReceivedCommandWith(CreateDBInstanceCommand, {
        DBInstanceIdentifier: `${NAME}-validate`,
        DBClusterIdentifier: NAME,
        DBInstanceClass: 'db.r6g.large',
        Tags: expect.arrayContaining([{ Key: 'dr-autopilot:restore-job-id', Value: JOB_ID }]),
      });
      expect(second).toEqual({ action: 'swept', processed: [{ restoreJobId: JOB_ID, action: 'validated' }] });
      expect(rdsMock).toHaveReceivedCommandWith(DeleteDBInstanceCommand, {
        DBInstanceIdentifier: `${NAME}-validate`,
        SkipFinalSnapshot: true,
      });
      expect(third).toEqual({
        action: 'swept',
        processed: [{ restoreJobId: JOB_ID, action: 'cleanup-progress' }],
      });
      expect(rdsMock).toHaveReceivedCommandTimes(DeleteDBClusterCommand, 1);
      expect(context.records.all.get(JOB_ID)).toMatchObject({ phase: 'done', verdict });
      // The restored cluster was compared with the recovery point's own configuration, read from the DR vault.
      expect(backupMock).toHaveReceivedCommandWith(GetRecoveryPointRestoreMetadataCommand, {
        BackupVaultName: 'dr-vault',
        RecoveryPointArn: POINT,
      });
      expect(context.records.all.get(JOB_ID)?.checks).toContain(
        verdict === 'passed'
          ? 'engine version 16.4'
          : `engine version 16.4, older than the backed-up database's ${backedUp}`,
      );
      // One result, and the cleanup that finished sweeps later as its own evidence.
      expect(
        context.signals.published.map((signal) => [signal.type, signal.detail.evidence.verdict ?? null]),
      ).toEqual([
        ['Restore Test Result', verdict],
        ['Restore Cleanup Finished', null],
      ]);
      // The cleanup evidence names everything deleted over all rounds.
      expect(context.signals.published[1]?.detail.evidence.deleted).toBe(
        'dr-autopilot-0123456789ab-validate,dr-autopilot-0123456789ab',
      );
    },
  );
});

describe('a retry after a failure past the verdict (the result signal)', () => {
  beforeEach(resetMocksForDynamoDbRestores);

  it('keeps the verdict of a passed test whose table is already deleted, and signals it once', async () => {
    // Prepare
    job();
    table(NAME, [{}, OUR_TAGS]);
    const context = { ...deps([record()]), signals: flakySignals(1) };
    // Act
    await expect(validateRestoreJob(restoreEvent(), context)).rejects.toThrow(/ServiceUnavailable/);
    dynamoMock
      .on(DescribeTableCommand)
      .rejects(Object.assign(new Error('gone'), { name: 'ResourceNotFoundException' }));
    const retry = await validateRestoreJob(restoreEvent(), context);
    // Assess
    expect(retry).toMatchObject({ action: 'cleanup-progress', restoreJobId: JOB_ID });
    expect(dynamoMock).toHaveReceivedCommandTimes(DeleteTableCommand, 1);
    expect(context.signals.published.map((signal) => signal.type)).toEqual([
      'Restore Test Result',
      'Restore Cleanup Finished',
    ]);
    expect(context.signals.published[0]?.detail).toMatchObject({
      severity: 'info',
      assessment: { state: 'READY' },
      evidence: { verdict: 'passed', restoreSeconds: 1200, rtoMet: true },
    });
    // The table the lost attempt deleted is still signalled as cleaned up (the resource is gone by the retry).
    expect(context.signals.published[1]?.detail.evidence).toMatchObject({ restoreJobId: JOB_ID });
    expect(context.signals.published[1]?.detail.summary).toContain(NAME);
    expect(context.records.all.get(JOB_ID)).toMatchObject({
      phase: 'done',
      verdict: 'passed',
      cleanupDeleted: [NAME],
    });
  });

  it('reports a restore-testing-plan Aurora test once, with its verdict, and creates no second DB instance', async () => {
    // Prepare
    const planCluster = 'awsbackup-restore-test-1';
    const clusterArn = `arn:aws:rds:${DR_REGION}:${BACKUP_ACCOUNT}:cluster:${planCluster}`;
    job({
      ResourceType: 'Aurora',
      CreatedResourceArn: clusterArn,
      CreatedBy: { RestoreTestingPlanArn: PLAN },
    });
    backupMock.on(ListTagsCommand).resolves({ Tags: {} });
    backupMock.on(PutRestoreValidationResultCommand).resolves({});
    backupMock.on(GetRecoveryPointRestoreMetadataCommand).resolves({ RestoreMetadata: {} });
    rdsMock.on(DescribeDBClustersCommand).resolves({
      DBClusters: [
        {
          DBClusterIdentifier: planCluster,
          DBClusterArn: clusterArn,
          Status: 'available',
          Engine: 'aurora-postgresql',
          EngineVersion: '16.4',
          Endpoint: `${planCluster}.cluster-abc.${DR_REGION}.rds.amazonaws.com`,
          Port: 5432,
          ClusterCreateTime: COMPLETED,
          TagList: [{ Key: 'awsbackup-restore-test', Value: '' }],
        },
      ],
    });
    const validationInstance = {
      DBInstanceIdentifier: `${planCluster}-validate`,
      DBInstanceStatus: 'available',
      TagList: Object.entries(OUR_TAGS).map(([Key, Value]) => ({ Key, Value })),
    };
    // Inspect (none yet), inspect (available), the delete's own look, then gone.
    rdsMock
      .on(DescribeDBInstancesCommand)
      .resolvesOnce({ DBInstances: [] })
      .resolvesOnce({ DBInstances: [validationInstance] })
      .resolvesOnce({ DBInstances: [validationInstance] })
      .resolves({ DBInstances: [] });
    rdsMock.on(CreateDBInstanceCommand).resolves({});
    rdsMock.on(DeleteDBInstanceCommand).resolves({});
    const context = { ...deps([]), signals: flakySignals(1) };
    // Act
    const first = await validateRestoreJob(restoreEvent(), context);
    await expect(sweepOpenRestores(scheduleEvent(), context)).rejects.toThrow(/ServiceUnavailable/);
    const retry = await sweepOpenRestores(scheduleEvent(), context);
    // Assess
    expect(first).toMatchObject({ action: 'validation-pending' });
    expect(retry).toEqual({
      action: 'swept',
      processed: [{ restoreJobId: JOB_ID, action: 'cleanup-progress' }],
    });
    expect(rdsMock).toHaveReceivedCommandTimes(CreateDBInstanceCommand, 1);
    expect(rdsMock).toHaveReceivedCommandTimes(DeleteDBInstanceCommand, 1);
    expect(backupMock).toHaveReceivedCommandTimes(PutRestoreValidationResultCommand, 1);
    expect(backupMock).toHaveReceivedCommandWith(PutRestoreValidationResultCommand, {
      RestoreJobId: JOB_ID,
      ValidationStatus: 'SUCCESSFUL',
    });
    expect(context.signals.published.map((signal) => signal.detail.evidence.verdict)).toEqual([
      'passed',
      undefined,
    ]);
    // The validation instance the lost attempt deleted is still signalled as cleaned up, by the retry.
    expect(context.signals.published.map((signal) => signal.type)).toEqual([
      'Restore Test Result',
      'Restore Cleanup Finished',
    ]);
    expect(context.records.all.get(JOB_ID)).toMatchObject({ phase: 'done', verdict: 'passed' });
  });
});

describe('dry-run (rule 7): validates read-only', () => {
  beforeEach(() => {
    backupMock.reset();
    dynamoMock.reset();
    rdsMock.reset();
  });

  const sent = (mock: { calls(): { args: unknown[] }[] }) =>
    mock.calls().map((call) => (call.args[0] as object).constructor.name);

  it.each([
    ['our DynamoDB test restore', 'dr-autopilot'],
    ['a restore-testing-plan DynamoDB restore', 'plan'],
  ] as const)('%s: tags, deletes and reports nothing', async (_name, owner) => {
    // Prepare
    job(owner === 'plan' ? { CreatedBy: { RestoreTestingPlanArn: PLAN } } : {});
    table(NAME, [{}]);
    backupMock.on(ListTagsCommand).resolves({ Tags: {} });
    const context = { ...deps(owner === 'plan' ? [] : [record()]), dryRun: true };
    // Act
    const outcome = await validateRestoreJob(restoreEvent(), context);
    // Assess
    expect(outcome).toMatchObject({ action: 'validated' });
    expect(sent(dynamoMock)).not.toContain('TagResourceCommand');
    expect(sent(dynamoMock)).not.toContain('DeleteTableCommand');
    expect(backupMock).not.toHaveReceivedCommand(PutRestoreValidationResultCommand);
    expect(context.signals.published[0]?.detail).toMatchObject({ dryRun: true });
  });

  it('an Aurora restore: creates no validation instance, tags and deletes nothing', async () => {
    // Prepare
    const clusterArn = `arn:aws:rds:${DR_REGION}:${BACKUP_ACCOUNT}:cluster:${NAME}`;
    job({ ResourceType: 'Aurora', CreatedResourceArn: clusterArn });
    backupMock.on(GetRecoveryPointRestoreMetadataCommand).resolves({ RestoreMetadata: {} });
    rdsMock.on(DescribeDBClustersCommand).resolves({
      DBClusters: [
        {
          DBClusterIdentifier: NAME,
          DBClusterArn: clusterArn,
          Status: 'available',
          Engine: 'aurora-postgresql',
          EngineVersion: '16.4',
          Endpoint: `${NAME}.cluster-abc.${DR_REGION}.rds.amazonaws.com`,
          Port: 5432,
          ClusterCreateTime: COMPLETED,
        },
      ],
    });
    rdsMock.on(DescribeDBInstancesCommand).resolves({ DBInstances: [] });
    const context = { ...deps([record({ resourceType: 'Aurora' })]), dryRun: true };
    // Act
    const event = await validateRestoreJob(restoreEvent(), context);
    const sweep = await sweepOpenRestores(scheduleEvent(), context);
    // Assess
    expect(event).toMatchObject({ action: 'validation-pending' });
    expect(sweep).toEqual({
      action: 'swept',
      processed: [{ restoreJobId: JOB_ID, action: 'validation-pending' }],
    });
    expect(sent(rdsMock).filter((name) => !name.startsWith('Describe'))).toEqual([]);
  });
});
