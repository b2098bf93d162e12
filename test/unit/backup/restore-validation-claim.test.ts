import {
  BackupClient,
  DescribeRestoreJobCommand,
  type DescribeRestoreJobCommandOutput,
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
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createBackupAdapter } from '../../../src/adapters/backup.ts';
import { createRestoreRecords, RECORDS_PK } from '../../../src/adapters/backup-restore-records.ts';
import { createRestoredDynamoDbHandler } from '../../../src/adapters/restored-dynamodb.ts';
import { createRestoredAuroraHandler, createRestoredRdsHandler } from '../../../src/adapters/restored-rds.ts';
import { CLAIM_SECONDS, sweepOpenRestores, validateRestoreJob } from '../../../src/app/restore-validation.ts';
import type { RestoreRecord } from '../../../src/ports/backup-restore-records.ts';
import {
  BACKUP_ACCOUNT,
  DR_REGION,
  RECOVERY_POINT_ARN,
  RESTORE_JOB_ID,
  RESTORED_NAME,
  recordingSignals,
  restorePolicy,
  restoreRecord,
  restoreSampleEvent,
  scheduledEvent,
} from '../../helpers/backup-fixtures.ts';
import { createReadinessTable, startDynalite } from '../../helpers/dynalite.ts';

/**
 * Issue 14: two deliveries of one restore job that overlap (its COMPLETED event and the sweep, or the event
 * re-emitted under a new id) act once. The real records adapter against dynalite; AWS Backup, the restored
 * table and RDS are SDK mocks of their own client instances (the dynalite client is left alone).
 */
const NOW = new Date('2026-11-22T10:25:00Z');
const COMPLETED = new Date('2026-11-22T10:20:00Z');
const PLAN = `arn:aws:backup:${DR_REGION}:${BACKUP_ACCOUNT}:restore-testing-plan:weekly-1`;
const TABLE_ARN = `arn:aws:dynamodb:${DR_REGION}:${BACKUP_ACCOUNT}:table/${RESTORED_NAME}`;
const CLUSTER_ARN = `arn:aws:rds:${DR_REGION}:${BACKUP_ACCOUNT}:cluster:${RESTORED_NAME}`;

const backupClient = new BackupClient({ region: DR_REGION });
const restoredTables = new DynamoDBClient({ region: DR_REGION });
const rdsClient = new RDSClient({ region: DR_REGION });
const backupMock = mockClient(backupClient);
const tablesMock = mockClient(restoredTables);
const rdsMock = mockClient(rdsClient);

let db: Awaited<ReturnType<typeof startDynalite>>;
let documents: DynamoDBDocumentClient;
let table = 0;
let tableName = '';

beforeAll(async () => {
  db = await startDynalite();
  documents = DynamoDBDocumentClient.from(db.client);
});
afterAll(async () => db.close());

beforeEach(async () => {
  // A table per test: each sees only its own records.
  tableName = `readiness-${++table}`;
  await createReadinessTable(db.client, tableName);
  backupMock.reset();
  tablesMock.reset();
  rdsMock.reset();
});

/** AWS's Restore Job State Change sample for our job, under a fresh event id (a re-emission has a new one). */
function restoreEvent() {
  return restoreSampleEvent('completed', { freshId: true });
}

function job(overrides: Partial<DescribeRestoreJobCommandOutput> = {}) {
  backupMock.on(DescribeRestoreJobCommand).resolves({
    RestoreJobId: RESTORE_JOB_ID,
    Status: 'COMPLETED',
    RecoveryPointArn: RECOVERY_POINT_ARN,
    SourceResourceArn: 'arn:aws:dynamodb:us-east-1:111122223333:table/orders',
    ResourceType: 'DynamoDB',
    CreatedResourceArn: TABLE_ARN,
    CreationDate: new Date('2026-11-22T10:00:00Z'),
    CompletionDate: COMPLETED,
    RecoveryPointCreationDate: new Date('2026-11-22T09:40:00Z'),
    BackupSizeInBytes: 2048,
    ...overrides,
  });
}

/** The restored table as DynamoDB answers: it carries the tags it was given. */
function restoredTable(name: string, initialTags: Record<string, string>) {
  const tags = { ...initialTags };
  tablesMock.on(DescribeTableCommand).resolves({
    Table: {
      TableName: name,
      TableArn: `arn:aws:dynamodb:${DR_REGION}:${BACKUP_ACCOUNT}:table/${name}`,
      TableStatus: 'ACTIVE',
      ItemCount: 7,
      CreationDateTime: COMPLETED,
    },
  });
  tablesMock.on(ListTagsOfResourceCommand).callsFake(async () => ({
    Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
  }));
  tablesMock
    .on(TagResourceCommand)
    .callsFake(async (input: { Tags?: { Key?: string; Value?: string }[] }) => {
      for (const tag of input.Tags ?? []) tags[tag.Key ?? ''] = tag.Value ?? '';
      return {};
    });
  tablesMock.on(ScanCommand).resolves({ Count: 7 });
  tablesMock.on(DeleteTableCommand).resolves({});
}

function deps(clock: () => Date = () => NOW) {
  return {
    backup: createBackupAdapter({ client: backupClient, copyJobClient: backupClient }),
    records: createRestoreRecords({ client: documents, tableName, clock }),
    handlers: {
      DynamoDB: createRestoredDynamoDbHandler(restoredTables),
      RDS: createRestoredRdsHandler(rdsClient),
      Aurora: createRestoredAuroraHandler(rdsClient),
    },
    signals: recordingSignals(),
    clock,
    dryRun: false,
    policy: {
      ...restorePolicy(),
      settings: { Aurora: { validationInstanceClass: 'db.r6g.large' } },
      validationWindowSeconds: 3 * 3600,
      maxPerSweep: 25,
    },
  };
}

/** Our test restore's record, as backup-restore wrote it (phase `started`). */
async function seed(context: ReturnType<typeof deps>, overrides: Partial<RestoreRecord> = {}) {
  await context.records.put(
    restoreRecord({ phase: 'started', startedAt: '2026-11-22T10:00:00.000Z', ...overrides }),
  );
}

/** A claim on the record, as an invocation holding it left it. */
async function holdClaim(holder: string, until: Date) {
  await documents.send(
    new UpdateCommand({
      TableName: tableName,
      Key: { pk: RECORDS_PK, sk: `restore-job#${RESTORE_JOB_ID}` },
      UpdateExpression: 'SET stepClaim = :claim',
      ExpressionAttributeValues: { ':claim': { holder, until: until.getTime() } },
    }),
  );
}

async function storedItem() {
  const { Item } = await documents.send(
    new GetCommand({ TableName: tableName, Key: { pk: RECORDS_PK, sk: `restore-job#${RESTORE_JOB_ID}` } }),
  );
  return Item;
}

const resultSignals = (context: ReturnType<typeof deps>) =>
  context.signals.published.filter((signal) => signal.type === 'Restore Test Result');

describe('one validation per restore job, whatever overlaps (dynalite)', () => {
  it('the COMPLETED event and the sweep at the same moment: tagged, deleted and signalled once', async () => {
    // Prepare
    job();
    restoredTable(RESTORED_NAME, {});
    const context = deps();
    await seed(context);
    // Act
    const [event, sweep] = await Promise.all([
      validateRestoreJob(restoreEvent(), context),
      sweepOpenRestores(scheduledEvent('2026-11-22T10:30:00Z'), context),
    ]);
    // Assess
    const actions = [event.action, sweep.action === 'swept' ? sweep.processed[0]?.action : sweep.action];
    expect(actions.sort()).toEqual(['skipped', 'validated']);
    expect(tablesMock).toHaveReceivedCommandTimes(TagResourceCommand, 1);
    expect(tablesMock).toHaveReceivedCommandTimes(DeleteTableCommand, 1);
    expect(resultSignals(context)).toHaveLength(1);
    expect(context.signals.published.map((signal) => signal.type)).toEqual([
      'Restore Test Result',
      'Restore Cleanup Finished',
    ]);
    const item = await storedItem();
    expect(item?.record).toMatchObject({ phase: 'done', verdict: 'passed' });
    expect(item?.stepClaim).toBeUndefined();
  });

  it('a restore-testing-plan job’s event re-emitted under a new id, concurrently: reported and signalled once', async () => {
    // Prepare
    job({
      CreatedBy: { RestoreTestingPlanArn: PLAN },
      CreatedResourceArn: `arn:aws:dynamodb:${DR_REGION}:${BACKUP_ACCOUNT}:table/awsbackup-restore-test-1`,
    });
    restoredTable('awsbackup-restore-test-1', { 'awsbackup-restore-test': '' });
    backupMock.on(ListTagsCommand).resolves({ Tags: {} });
    backupMock.on(PutRestoreValidationResultCommand).resolves({});
    const context = deps();
    // Act
    const outcomes = await Promise.all([
      validateRestoreJob(restoreEvent(), context),
      validateRestoreJob(restoreEvent(), context),
    ]);
    // Assess
    expect(outcomes.map((outcome) => outcome.action).sort()).toEqual(['skipped', 'validated']);
    expect(outcomes.find((outcome) => outcome.action === 'skipped')).toMatchObject({
      reason: expect.stringMatching(/^(claimed-by-another|already-done)$/),
    });
    expect(backupMock).toHaveReceivedCommandTimes(PutRestoreValidationResultCommand, 1);
    expect(resultSignals(context)).toHaveLength(1);
    expect((await storedItem())?.record).toMatchObject({ phase: 'done', validationReported: true });
  });

  it('an Aurora restore’s event re-emitted concurrently: one validation instance, not two', async () => {
    // Prepare
    job({ ResourceType: 'Aurora', CreatedResourceArn: CLUSTER_ARN });
    const clusterTags: Record<string, string> = {};
    const instances: { DBInstanceIdentifier: string; DBInstanceStatus: string }[] = [];
    rdsMock.on(DescribeDBClustersCommand).callsFake(async () => ({
      DBClusters: [
        {
          DBClusterIdentifier: RESTORED_NAME,
          DBClusterArn: CLUSTER_ARN,
          Status: 'available',
          Engine: 'aurora-postgresql',
          EngineVersion: '16.4',
          ClusterCreateTime: COMPLETED,
          TagList: Object.entries(clusterTags).map(([Key, Value]) => ({ Key, Value })),
          DBClusterMembers: instances.map(() => ({})),
        },
      ],
    }));
    rdsMock.on(DescribeDBInstancesCommand).callsFake(async () => ({ DBInstances: [...instances] }));
    rdsMock
      .on(AddTagsToResourceCommand)
      .callsFake(async (input: { Tags?: { Key?: string; Value?: string }[] }) => {
        for (const tag of input.Tags ?? []) clusterTags[tag.Key ?? ''] = tag.Value ?? '';
        return {};
      });
    rdsMock.on(CreateDBInstanceCommand).callsFake(async (input: { DBInstanceIdentifier: string }) => {
      instances.push({ DBInstanceIdentifier: input.DBInstanceIdentifier, DBInstanceStatus: 'creating' });
      return {};
    });
    const context = deps();
    await seed(context, { resourceType: 'Aurora' });
    // Act
    const outcomes = await Promise.all([
      validateRestoreJob(restoreEvent(), context),
      validateRestoreJob(restoreEvent(), context),
    ]);
    // Assess
    expect(outcomes.map((outcome) => outcome.action).sort()).toEqual(['skipped', 'validation-pending']);
    expect(rdsMock).toHaveReceivedCommandTimes(CreateDBInstanceCommand, 1);
    expect(rdsMock).toHaveReceivedCommandTimes(AddTagsToResourceCommand, 1);
    expect((await storedItem())?.record).toMatchObject({ phase: 'validating' });
  });

  it(`takes a job whose claim was left by a crashed invocation once it expired (${CLAIM_SECONDS} s)`, async () => {
    // Prepare
    job();
    restoredTable(RESTORED_NAME, {});
    const context = deps();
    await seed(context, { phase: 'validating' });
    await holdClaim('crashed-invocation', new Date(NOW.getTime() - 1000));
    // Act
    const outcome = await sweepOpenRestores(scheduledEvent('2026-11-22T10:30:00Z'), context);
    // Assess
    expect(outcome).toEqual({
      action: 'swept',
      processed: [{ restoreJobId: RESTORE_JOB_ID, action: 'validated' }],
    });
    expect(tablesMock).toHaveReceivedCommandTimes(DeleteTableCommand, 1);
    expect(resultSignals(context)).toHaveLength(1);
    const item = await storedItem();
    expect(item?.record).toMatchObject({ phase: 'done', verdict: 'passed' });
    expect(item?.stepClaim).toBeUndefined();
  });

  it('leaves a job alone while another invocation’s claim holds it, touching nothing', async () => {
    // Prepare
    job();
    restoredTable(RESTORED_NAME, {});
    const context = deps();
    await seed(context, { phase: 'validating' });
    const until = new Date(NOW.getTime() + CLAIM_SECONDS * 1000);
    await holdClaim('event-1/another-invocation', until);
    // Act
    const outcome = await validateRestoreJob(restoreEvent(), context);
    // Assess
    expect(outcome).toEqual({
      action: 'skipped',
      restoreJobId: RESTORE_JOB_ID,
      reason: 'claimed-by-another',
      explanation: `event-1/another-invocation is moving this restore forward (claim until ${until.toISOString()})`,
    });
    expect(tablesMock).not.toHaveReceivedCommand(TagResourceCommand);
    expect(tablesMock).not.toHaveReceivedCommand(DeleteTableCommand);
    expect(context.signals.published).toEqual([]);
    const item = await storedItem();
    expect(item?.record).toMatchObject({ phase: 'validating' });
    expect(item?.stepClaim).toEqual({ holder: 'event-1/another-invocation', until: until.getTime() });
  });

  it('a step whose claim was taken meanwhile writes nothing over the new holder’s record', async () => {
    // Prepare
    const context = deps();
    await seed(context, { phase: 'validating' });
    const claim = { holder: 'slow', until: NOW.getTime() - 1 };
    await holdClaim('slow', new Date(claim.until));
    const taken = await context.records.claim(
      RESTORE_JOB_ID,
      { holder: 'next', until: NOW.getTime() + 1000 },
      NOW,
    );
    // Act
    const late = context.records.put(restoreRecord({ phase: 'done', verdict: 'passed' }), claim);
    // Assess
    expect(taken).toMatchObject({ claimed: true, record: { phase: 'validating' } });
    await expect(late).rejects.toThrow(/claim of slow was lost/);
    expect((await storedItem())?.record).toMatchObject({ phase: 'validating' });
  });
});
