import {
  BackupClient,
  DescribeCopyJobCommand,
  DescribeRestoreJobCommand,
  ListTagsCommand,
  ResourceNotFoundException,
  StartRestoreJobCommand,
} from '@aws-sdk/client-backup';
import { DescribeImagesCommand, DescribeSnapshotsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { ListTagsForResourceCommand, RDSClient } from '@aws-sdk/client-rds';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createBackupAdapter } from '../../../../src/adapters/backup.ts';
import { createRestoreRecords } from '../../../../src/adapters/backup-restore-records.ts';
import type { RestoreRecord } from '../../../../src/ports/backup-restore-records.ts';
import { createReadinessTable, startDynalite } from '../../../helpers/dynalite.ts';

const backupMock = mockClient(BackupClient);
const local = new BackupClient({ region: 'us-west-2' });
const primary = new BackupClient({ region: 'us-east-1' });
const adapter = createBackupAdapter({ client: local, copyJobClient: primary });

describe('createBackupAdapter', () => {
  beforeEach(() => backupMock.reset());

  it('asks for a copy job through the copy-job Region’s client', async () => {
    // Prepare
    backupMock.on(DescribeCopyJobCommand).callsFake(async (_input, getClient) => ({
      CopyJob: {
        CopyJobId: 'c-1',
        DestinationRecoveryPointArn: `arn:aws:backup:us-west-2:111122223333:recovery-point:${await getClient().config.region()}`,
      },
    }));
    // Act
    const job = await adapter.describeCopyJob('c-1');
    // Assess
    expect(job?.destinationRecoveryPointArn).toMatch(/recovery-point:us-east-1$/);
  });

  it('constructs a copy-job client given as a function on the first copy job read, and only once', async () => {
    // Prepare
    backupMock.on(DescribeCopyJobCommand).callsFake(async (_input, getClient) => ({
      CopyJob: { CopyJobId: 'c-1', DestinationRecoveryPointArn: await getClient().config.region() },
    }));
    const constructed: string[] = [];
    const lazy = createBackupAdapter({
      client: local,
      copyJobClient: () => {
        constructed.push('us-east-1');
        return new BackupClient({ region: 'us-east-1' });
      },
    });
    // Act
    const before = [...constructed];
    const first = await lazy.describeCopyJob('c-1');
    await lazy.describeCopyJob('c-2');
    // Assess
    expect(before).toEqual([]);
    expect(constructed).toEqual(['us-east-1']);
    expect(first?.destinationRecoveryPointArn).toBe('us-east-1');
  });

  it('answers undefined for a restore job AWS Backup does not know', async () => {
    backupMock
      .on(DescribeRestoreJobCommand)
      .rejects(new ResourceNotFoundException({ message: 'no', $metadata: {} }));
    expect(await adapter.describeRestoreJob('nope')).toBeUndefined();
  });

  it('maps a restore job, including the restore-testing plan that created it', async () => {
    backupMock.on(DescribeRestoreJobCommand).resolves({
      RestoreJobId: 'r-1',
      Status: 'COMPLETED',
      CreatedResourceArn: 'arn:aws:dynamodb:us-west-2:111122223333:table/t',
      CreatedBy: { RestoreTestingPlanArn: 'arn:aws:backup:us-west-2:111122223333:restore-testing-plan:p-1' },
      BackupSizeInBytes: 10,
    });
    expect(await adapter.describeRestoreJob('r-1')).toMatchObject({
      status: 'COMPLETED',
      createdResourceArn: 'arn:aws:dynamodb:us-west-2:111122223333:table/t',
      restoreTestingPlanArn: 'arn:aws:backup:us-west-2:111122223333:restore-testing-plan:p-1',
      backupSizeInBytes: 10,
    });
  });

  it('starts a restore with the deterministic token and the restore role', async () => {
    backupMock.on(StartRestoreJobCommand).resolves({ RestoreJobId: 'r-2' });
    const { restoreJobId } = await adapter.startRestoreJob({
      recoveryPointArn: 'arn:aws:ec2:us-west-2::snapshot/snap-1',
      resourceType: 'EBS',
      metadata: { availabilityZone: 'us-west-2a' },
      iamRoleArn: 'arn:aws:iam::111122223333:role/r',
      idempotencyToken: 'token-1',
    });
    expect(restoreJobId).toBe('r-2');
    expect(backupMock).toHaveReceivedCommandWith(StartRestoreJobCommand, {
      RecoveryPointArn: 'arn:aws:ec2:us-west-2::snapshot/snap-1',
      ResourceType: 'EBS',
      IdempotencyToken: 'token-1',
      IamRoleArn: 'arn:aws:iam::111122223333:role/r',
      Metadata: { availabilityZone: 'us-west-2a' },
    });
  });

  it.each([
    ['arn:aws:backup:us-west-2:111122223333:recovery-point:rp-1', 1, { 'dr-autopilot:workload': 'payments' }],
    ['arn:aws:ec2:us-west-2::snapshot/snap-1', 0, {}],
  ])('reads tags only of Backup-native recovery points (%s)', async (arn, calls, expected) => {
    backupMock.on(ListTagsCommand).resolves({ Tags: { 'dr-autopilot:workload': 'payments' } });
    expect(await adapter.recoveryPointTags(arn)).toEqual(expected);
    expect(backupMock).toHaveReceivedCommandTimes(ListTagsCommand, calls);
  });

  describe('tags of recovery points AWS Backup does not fully manage (issue 11)', () => {
    const ec2Mock = mockClient(EC2Client);
    const rdsMock = mockClient(RDSClient);
    const withResourceTags = () =>
      createBackupAdapter({
        client: new BackupClient({ region: 'us-west-2' }),
        copyJobClient: new BackupClient({ region: 'us-east-1' }),
        resourceTags: {
          ec2: new EC2Client({ region: 'us-west-2' }),
          rds: new RDSClient({ region: 'us-west-2' }),
        },
      });
    const copied = [
      { Key: 'dr-autopilot:workload', Value: 'web' },
      { Key: 'dr-autopilot:rto', Value: 'PT2H' },
    ];
    beforeEach(() => {
      ec2Mock.reset();
      rdsMock.reset();
      ec2Mock.on(DescribeImagesCommand).resolves({ Images: [{ ImageId: 'ami-0abc', Tags: copied }] });
      ec2Mock
        .on(DescribeSnapshotsCommand)
        .resolves({ Snapshots: [{ SnapshotId: 'snap-0abc', Tags: copied }] });
      rdsMock.on(ListTagsForResourceCommand).resolves({ TagList: copied });
    });

    it.each([
      [
        'an EC2 AMI',
        'arn:aws:ec2:us-west-2::image/ami-0abc',
        DescribeImagesCommand,
        { ImageIds: ['ami-0abc'] },
      ],
      [
        'an EBS snapshot',
        'arn:aws:ec2:us-west-2::snapshot/snap-0abc',
        DescribeSnapshotsCommand,
        { SnapshotIds: ['snap-0abc'] },
      ],
    ] as const)(
      'reads %s’s own tags (AWS Backup copied the resource’s onto it)',
      async (_name, arn, command, input) => {
        expect(await withResourceTags().recoveryPointTags(arn)).toEqual({
          'dr-autopilot:workload': 'web',
          'dr-autopilot:rto': 'PT2H',
        });
        expect(ec2Mock).toHaveReceivedCommandWith(command as typeof DescribeImagesCommand, input as never);
        expect(backupMock).not.toHaveReceivedCommand(ListTagsCommand);
      },
    );

    it.each([
      'arn:aws:rds:us-west-2:111122223333:snapshot:awsbackup:job-0abc',
      'arn:aws:rds:us-west-2:111122223333:cluster-snapshot:awsbackup:job-0abc',
    ])('reads an RDS or Aurora snapshot’s tags (%s)', async (arn) => {
      expect(await withResourceTags().recoveryPointTags(arn)).toMatchObject({
        'dr-autopilot:workload': 'web',
      });
      expect(rdsMock).toHaveReceivedCommandWith(ListTagsForResourceCommand, { ResourceName: arn });
    });

    it('answers no tags for a point that is gone, and lets any other error through', async () => {
      ec2Mock
        .on(DescribeImagesCommand)
        .rejects(Object.assign(new Error('gone'), { name: 'InvalidAMIID.NotFound' }));
      expect(await withResourceTags().recoveryPointTags('arn:aws:ec2:us-west-2::image/ami-0abc')).toEqual({});
      ec2Mock
        .on(DescribeSnapshotsCommand)
        .rejects(Object.assign(new Error('slow down'), { name: 'RequestLimitExceeded' }));
      await expect(
        withResourceTags().recoveryPointTags('arn:aws:ec2:us-west-2::snapshot/snap-0abc'),
      ).rejects.toThrow(/slow down/);
    });
  });
});

describe('createRestoreRecords (dynalite)', () => {
  let db: Awaited<ReturnType<typeof startDynalite>>;
  beforeAll(async () => {
    db = await startDynalite();
    await createReadinessTable(db.client, 'readiness');
  });
  afterAll(async () => db.close());

  function record(id: string, phase: RestoreRecord['phase']): RestoreRecord {
    return {
      restoreJobId: id,
      owner: 'dr-autopilot',
      purpose: 'copy',
      mode: 'test',
      runId: 'evt',
      recoveryPointArn: 'arn:aws:backup:us-west-2:111122223333:recovery-point:rp',
      resourceType: 'EBS',
      requestedName: undefined,
      workload: 'default',
      rtoSeconds: 1,
      rpoSeconds: 1,
      startedAt: '2026-11-22T10:00:00.000Z',
      phase,
      correlationId: 'evt',
    };
  }

  it('stores records, reads them back, and lists only the open ones', async () => {
    // Prepare
    const records = createRestoreRecords({
      client: DynamoDBDocumentClient.from(db.client),
      tableName: 'readiness',
      clock: () => new Date('2026-11-22T10:00:00Z'),
    });
    // Act
    await records.put(record('open-1', 'validating'));
    await records.put(record('done-1', 'done'));
    await records.put(record('open-2', 'started'));
    await records.put(record('open-2', 'done'));
    const open: RestoreRecord[] = [];
    for await (const page of records.listOpen()) open.push(...page);
    // Assess
    expect(open.map((item) => item.restoreJobId)).toEqual(['open-1']);
    expect(await records.get('done-1')).toMatchObject({ phase: 'done', resourceType: 'EBS' });
    expect(await records.get('missing')).toBeUndefined();
  });

  it('creates a record once (a second create keeps the first) and claims a token once', async () => {
    // Prepare
    const records = createRestoreRecords({
      client: DynamoDBDocumentClient.from(db.client),
      tableName: 'readiness',
      clock: () => new Date('2026-11-22T10:00:00Z'),
    });
    const claim = { token: 'tok-1', recoveryPointArn: 'arn:rp', runId: 'evt' };
    // Act
    const created = await records.create(record('create-1', 'started'));
    await records.put({ ...record('create-1', 'validating'), startedAt: 'moved-on' });
    const again = await records.create(record('create-1', 'started'));
    const firstClaim = await records.claimToken(claim);
    await records.updateTokenClaim({ ...claim, restoreJobId: 'job-1', mode: 'test', signalled: true });
    const secondClaim = await records.claimToken({ ...claim, runId: 'evt-2' });
    const open: RestoreRecord[] = [];
    for await (const page of records.listOpen()) open.push(...page);
    // Assess
    expect([created, again]).toEqual([true, false]);
    expect(await records.get('create-1')).toMatchObject({ phase: 'validating', startedAt: 'moved-on' });
    expect(firstClaim).toBeUndefined();
    expect(secondClaim).toEqual({ ...claim, restoreJobId: 'job-1', mode: 'test', signalled: true });
    expect(open.map((item) => item.restoreJobId)).not.toContain(undefined);
  });
});
