import { BackupClient, DescribeRestoreJobCommand } from '@aws-sdk/client-backup';
import { EC2Client } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { advanceClock, installSimClock } from '../../../sim/clock.ts';
import { Ec2Sim } from '../../../sim/ec2.ts';
import { type SimServer, startHttpServer } from '../../../sim/http.ts';
import { SimWorld } from '../../../sim/world.ts';
import { createBackupAdapter } from '../../../src/adapters/backup.ts';
import { createRestoredEc2Handler } from '../../../src/adapters/restored-ec2.ts';
import { sweepOpenRestores, validateRestoreJob } from '../../../src/app/restore-validation.ts';
import { TAG } from '../../../src/domain/restore-ownership.ts';
import {
  BACKUP_ACCOUNT,
  DR_REGION,
  memoryRecords,
  RESTORE_JOB_ID,
  recordingSignals,
  restorePolicy,
  restoreRecord,
  restoreSampleEvent,
  scheduledEvent,
} from '../../helpers/backup-fixtures.ts';

/**
 * The EC2 cleanup leak (issue 11): TerminateInstances answers while the instance is still `shutting-down`,
 * its volumes stay attached, and DeleteVolume needs an `available` volume. The restored instance here takes
 * minutes to terminate; its data volume has DeleteOnTermination=false. The production EC2 handler talks to the
 * simulator's EC2 through the real SDK client (query protocol over HTTP), with the simulated clock.
 */

const backupMock = mockClient(BackupClient);
installSimClock();
const world = new SimWorld();
const ec2 = new Ec2Sim(world, BACKUP_ACCOUNT);
let server: SimServer;
let client: EC2Client;

beforeAll(async () => {
  server = await startHttpServer((request) => ec2.handle(request, DR_REGION));
  client = new EC2Client({
    endpoint: server.url,
    region: DR_REGION,
    credentials: { accessKeyId: 'AKIDSIMULATED', secretAccessKey: 'secret' },
  });
});

afterAll(async () => {
  client.destroy();
  await server.close();
});

beforeEach(() => {
  backupMock.reset();
  ec2.reset();
  world.reset();
});

function restoreEvent() {
  return restoreSampleEvent();
}

/** A backup AMI (the recovery point), then a restore of it: a copy of the AMI and an instance launched from it. */
function restoredInstance() {
  const backupImage = ec2.registerImage({
    region: DR_REGION,
    name: 'AwsBackup_i-0source',
    createdAt: new Date(Date.now() - 3 * 3_600_000),
    devices: [
      { deviceName: '/dev/xvda', sizeGiB: 8, deleteOnTermination: true },
      { deviceName: '/dev/sdf', sizeGiB: 32, deleteOnTermination: false },
    ],
  });
  const jobCreated = new Date();
  advanceClock(60_000);
  const image = ec2.registerImage({
    region: DR_REGION,
    name: 'restored copy',
    createdAt: new Date(),
    devices: [
      { deviceName: '/dev/xvda', sizeGiB: 8, deleteOnTermination: true },
      { deviceName: '/dev/sdf', sizeGiB: 32, deleteOnTermination: false },
    ],
  });
  const instanceId = ec2.launchInstance({ region: DR_REGION, imageId: image });
  advanceClock(10 * 60_000);
  const recoveryPointArn = `arn:aws:ec2:${DR_REGION}::image/${backupImage}`;
  backupMock.on(DescribeRestoreJobCommand).resolves({
    RestoreJobId: RESTORE_JOB_ID,
    Status: 'COMPLETED',
    RecoveryPointArn: recoveryPointArn,
    SourceResourceArn: `arn:aws:ec2:us-east-1:${BACKUP_ACCOUNT}:instance/i-0source`,
    ResourceType: 'EC2',
    CreatedResourceArn: `arn:aws:ec2:${DR_REGION}:${BACKUP_ACCOUNT}:instance/${instanceId}`,
    CreationDate: jobCreated,
    CompletionDate: new Date(Date.now() - 60_000),
    RecoveryPointCreationDate: new Date(Date.now() - 3 * 3_600_000),
  });
  return { instanceId, recoveryPointArn, startedAt: jobCreated.toISOString() };
}

function deps(record: ReturnType<typeof restoreRecord>) {
  const backup = new BackupClient({ region: DR_REGION });
  return {
    backup: createBackupAdapter({ client: backup, copyJobClient: backup }),
    records: memoryRecords([record]),
    handlers: { EC2: createRestoredEc2Handler(client) },
    signals: recordingSignals(),
    clock: () => new Date(),
    dryRun: false,
    policy: { ...restorePolicy(), validationWindowSeconds: 3 * 3600, maxPerSweep: 25 },
  };
}

const sweep = () => scheduledEvent(new Date().toISOString().replace(/\.\d+Z$/, 'Z'));

describe('EC2 restore test cleanup with an instance that terminates slowly', () => {
  it('stays cleaning, saying what it waits for, until every volume and snapshot the restore created is gone', async () => {
    // Prepare
    ec2.terminationSeconds = 7 * 60;
    const { instanceId, recoveryPointArn, startedAt } = restoredInstance();
    const context = deps(
      restoreRecord({
        resourceType: 'EC2',
        requestedName: undefined,
        recoveryPointArn,
        startedAt,
        phase: 'started',
      }),
    );
    const dataVolume = ec2.volumes.find((volume) => volume.attachment?.deviceName === '/dev/sdf')?.id;

    // Act: validation and the first cleanup round; the instance is shutting down, its volumes attached.
    const first = await validateRestoreJob(restoreEvent(), context);
    advanceClock(5 * 60_000);
    const second = await sweepOpenRestores(sweep(), context);
    const afterSecond = context.records.all.get(RESTORE_JOB_ID);
    advanceClock(5 * 60_000);
    const third = await sweepOpenRestores(sweep(), context);
    advanceClock(10 * 60_000);
    const fourth = await sweepOpenRestores(sweep(), context);

    // Assess
    expect(first).toMatchObject({ action: 'validated', verdict: 'passed', cleanup: 'in-progress' });
    expect(afterSecond).toMatchObject({ phase: 'cleaning' });
    expect(afterSecond?.cleanupWaiting).toMatch(
      new RegExp(`${dataVolume} attached to ${instanceId} \\(shutting-down\\)`),
    );
    expect(second).toEqual({
      action: 'swept',
      processed: [{ restoreJobId: RESTORE_JOB_ID, action: 'cleanup-progress' }],
    });
    expect(third).toEqual({
      action: 'swept',
      processed: [{ restoreJobId: RESTORE_JOB_ID, action: 'cleanup-progress' }],
    });
    expect(context.records.all.get(RESTORE_JOB_ID)).toMatchObject({ phase: 'done', verdict: 'passed' });
    expect(fourth).toEqual({ action: 'swept', processed: [] });
    // Nothing tagged for this restore is left: no volume, snapshot or AMI.
    expect(ec2.tagged(DR_REGION, TAG.restoreJobId)).toEqual([]);
    expect(ec2.volumes.map((volume) => volume.id)).not.toContain(dataVolume);
    // The recovery point (the backup AMI and its snapshots) is never touched.
    expect(ec2.images.map((image) => `arn:aws:ec2:${DR_REGION}::image/${image.id}`)).toEqual([
      recoveryPointArn,
    ]);
    expect(ec2.snapshots).toHaveLength(2);
    const cleanups = context.signals.published.filter((signal) => signal.type === 'Restore Cleanup Finished');
    expect(cleanups).toHaveLength(1);
    expect(cleanups[0]?.detail.evidence.deleted).toContain(dataVolume);
  });

  it('never deletes a volume whose tag names another restore job, even once the instance is gone', async () => {
    // Prepare
    ec2.terminationSeconds = 7 * 60;
    const { recoveryPointArn, startedAt } = restoredInstance();
    const context = deps(
      restoreRecord({
        resourceType: 'EC2',
        requestedName: undefined,
        recoveryPointArn,
        startedAt,
        phase: 'started',
      }),
    );
    const dataVolume = ec2.volumes.find((volume) => volume.attachment?.deviceName === '/dev/sdf');

    // Act
    await validateRestoreJob(restoreEvent(), context);
    // Someone re-tags the kept volume for another job while the instance shuts down.
    if (dataVolume) dataVolume.tags[TAG.restoreJobId] = 'ANOTHER-JOB';
    advanceClock(10 * 60_000);
    await sweepOpenRestores(sweep(), context);

    // Assess
    expect(ec2.volumes.map((volume) => volume.id)).toContain(dataVolume?.id);
    expect(world.calls.filter((call) => call.operation === 'DeleteVolume')).toEqual([]);
    expect(context.records.all.get(RESTORE_JOB_ID)).toMatchObject({ phase: 'done' });
    expect(context.records.all.get(RESTORE_JOB_ID)?.cleanupRefused).toMatch(/ANOTHER-JOB|not deleted/);
  });
});
