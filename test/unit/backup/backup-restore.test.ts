import {
  BackupClient,
  DescribeCopyJobCommand,
  DescribeRecoveryPointCommand,
  GetRecoveryPointRestoreMetadataCommand,
  GetRestoreTestingInferredMetadataCommand,
  ListTagsCommand,
  StartRestoreJobCommand,
} from '@aws-sdk/client-backup';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { backupJobStateChange } from '../../../events/backup/backup-job-state-change.ts';
import { copyJobStateChange } from '../../../events/backup/copy-job-state-change.ts';
import {
  type BackupRestoreDeps,
  restoreAfterBackup,
  restoreAfterCopy,
} from '../../../src/app/backup-restore.ts';
import { ForeignEventError } from '../../../src/domain/errors.ts';
import { restoreTokenFor } from '../../../src/domain/restore-metadata.ts';
import type { RestoreRecord } from '../../../src/ports/backup-restore-records.ts';
import { createEventHandler } from '../../../src/runtime/handler.ts';
import { idempotencyGuard } from '../../../src/runtime/idempotency.ts';
import { createLogger } from '../../../src/runtime/logger.ts';
import {
  BACKUP_ACCOUNT,
  backupRestoreDeps,
  DR_REGION,
  DR_VAULT,
  DR_VAULT_ARN,
  flakySignals,
  PRIMARY_REGION,
  RESTORE_ROLE_ARN,
} from '../../helpers/backup-fixtures.ts';
import { lambdaContext } from '../../helpers/context.ts';
import { createIdempotencyTable, startDynalite } from '../../helpers/dynalite.ts';
import { loadSample } from '../../helpers/events.ts';

const backupMock = mockClient(BackupClient);
const SNAPSHOT = 'arn:aws:ec2:us-west-2::snapshot/snap-0726fe70935586180';
const NATIVE_POINT = `arn:aws:backup:${DR_REGION}:${BACKUP_ACCOUNT}:recovery-point:rp-1`;
const NOW = new Date('2026-11-22T10:00:00Z');

/** AWS's copy-completed sample, as the primary Region forwards it for our account and DR vault. */
function copyEvent(detail: Record<string, unknown> = {}) {
  const event = loadSample<Record<string, unknown> & { detail: Record<string, unknown> }>(
    'backup',
    'copy-job-state-change.completed',
  );
  event.account = BACKUP_ACCOUNT;
  event.region = PRIMARY_REGION;
  event.detail.destinationBackupVaultArn = DR_VAULT_ARN;
  Object.assign(event.detail, detail);
  return copyJobStateChange.parse(event);
}

function deps(options: { dryRun?: boolean } = {}, policy: Partial<BackupRestoreDeps['policy']> = {}) {
  return backupRestoreDeps({
    now: NOW,
    copyJobRegion: PRIMARY_REGION,
    dryRun: options.dryRun,
    policy: {
      settings: {
        EBS: { availabilityZone: 'us-west-2a' },
        DynamoDB: {},
      },
      ...policy,
    },
  });
}

function recoveryPoint(arn: string, type: string, resourceArn: string) {
  backupMock.on(DescribeRecoveryPointCommand, { RecoveryPointArn: arn }).resolves({
    RecoveryPointArn: arn,
    BackupVaultName: DR_VAULT,
    ResourceType: type,
    ResourceArn: resourceArn,
    Status: 'COMPLETED',
    CreationDate: new Date('2026-11-22T09:30:00Z'),
  });
}

describe('restoreAfterCopy', () => {
  beforeEach(() => {
    backupMock.reset();
    recoveryPoint(SNAPSHOT, 'EBS', 'arn:aws:ec2:us-east-1:111122223333:volume/vol-050eba21ee4d3c001');
    backupMock.on(GetRestoreTestingInferredMetadataCommand).resolves({
      InferredMetadata: { availabilityZone: 'us-west-2c', encrypted: 'true' },
    });
    backupMock.on(StartRestoreJobCommand).resolves({ RestoreJobId: 'restore-1' });
  });

  it('restores the copied EBS snapshot in the DR Region with DR metadata, a deterministic token and the restore role', async () => {
    // Prepare
    const context = deps();
    // Act
    const outcome = await restoreAfterCopy(copyEvent(), context);
    // Assess
    expect(outcome).toEqual({
      action: 'restore-started',
      restoreJobId: 'restore-1',
      recoveryPointArn: SNAPSHOT,
      resourceType: 'EBS',
      mode: 'test',
    });
    expect(backupMock).toHaveReceivedCommandWith(StartRestoreJobCommand, {
      RecoveryPointArn: SNAPSHOT,
      ResourceType: 'EBS',
      IamRoleArn: RESTORE_ROLE_ARN,
      IdempotencyToken: restoreTokenFor(SNAPSHOT, 'copy'),
      Metadata: { availabilityZone: 'us-west-2a', encrypted: 'true' },
    });
    expect(backupMock).not.toHaveReceivedCommand(ListTagsCommand);
    expect(context.records.all.get('restore-1')).toMatchObject({
      owner: 'dr-autopilot',
      mode: 'test',
      recoveryPointArn: SNAPSHOT,
      phase: 'started',
    });
    expect(context.signals.published.map((signal) => signal.type)).toEqual(['Restore Started']);
    expect(context.signals.published[0]?.detail.resource).toMatchObject({
      type: 'backup-resource',
      id: 'arn:aws:ec2:us-east-1:111122223333:volume/vol-050eba21ee4d3c001',
      region: 'us-east-1',
    });
  });

  it('resolves the recovery point with DescribeCopyJob when the event carries {}', async () => {
    // Prepare
    backupMock
      .on(DescribeCopyJobCommand)
      .resolves({ CopyJob: { CopyJobId: 'c', DestinationRecoveryPointArn: SNAPSHOT } });
    // Act
    const outcome = await restoreAfterCopy(copyEvent({ destinationRecoveryPointArn: {} }), deps());
    // Assess
    expect(backupMock).toHaveReceivedCommandWith(DescribeCopyJobCommand, {
      CopyJobId: '0175DE71-5784-589F-D8AC-541ACCB4CAC8',
    });
    expect(outcome.action).toBe('restore-started');
  });

  it('fails for a retry when the recovery point is not in the DR vault yet', async () => {
    backupMock
      .on(DescribeRecoveryPointCommand)
      .rejects(Object.assign(new Error('nf'), { name: 'ResourceNotFoundException' }));
    await expect(restoreAfterCopy(copyEvent(), deps())).rejects.toThrow(/not \(yet\) in vault/);
    expect(backupMock).not.toHaveReceivedCommand(StartRestoreJobCommand);
  });

  it.each([
    [
      'another vault',
      { destinationBackupVaultArn: `arn:aws:backup:${DR_REGION}:${BACKUP_ACCOUNT}:backup-vault:other` },
    ],
    [
      'another Region',
      { destinationBackupVaultArn: `arn:aws:backup:eu-west-1:${BACKUP_ACCOUNT}:backup-vault:${DR_VAULT}` },
    ],
  ])('does nothing for a copy into %s', async (_name, detail) => {
    const outcome = await restoreAfterCopy(copyEvent(detail), deps());
    expect(outcome).toMatchObject({ action: 'skipped', reason: 'not-dr-vault' });
    expect(backupMock).not.toHaveReceivedCommand(StartRestoreJobCommand);
  });

  it('does nothing in the primary Region', async () => {
    const outcome = await restoreAfterCopy(
      copyEvent(),
      deps({}, { regionRole: 'primary', region: PRIMARY_REGION }),
    );
    expect(outcome).toMatchObject({ action: 'skipped', reason: 'not-recovery-region' });
    expect(backupMock).not.toHaveReceivedAnyCommand();
  });

  it('rejects an event from another account', async () => {
    const event = copyEvent();
    event.account = '999999999999';
    await expect(restoreAfterCopy(event, deps())).rejects.toBeInstanceOf(ForeignEventError);
    expect(backupMock).not.toHaveReceivedAnyCommand();
  });

  it('rejects a copy event from a third Region (neither this one nor the primary)', async () => {
    const event = copyEvent();
    event.region = 'eu-west-1';
    await expect(restoreAfterCopy(event, deps())).rejects.toBeInstanceOf(ForeignEventError);
    expect(backupMock).not.toHaveReceivedAnyCommand();
  });

  it('accepts a copy event emitted in this Region', async () => {
    const event = copyEvent();
    event.region = DR_REGION;
    expect(await restoreAfterCopy(event, deps())).toMatchObject({ action: 'restore-started' });
  });

  it('skips an unsupported type with an evidence signal', async () => {
    recoveryPoint(SNAPSHOT, 'FSx', 'arn:aws:fsx:us-east-1:111122223333:file-system/fs-1');
    const context = deps();
    const outcome = await restoreAfterCopy(copyEvent(), context);
    expect(outcome).toMatchObject({ action: 'skipped', reason: 'unsupported-type' });
    expect(context.signals.published[0]).toMatchObject({
      type: 'Restore Skipped',
      detail: { severity: 'info' },
    });
    expect(context.signals.published[0]?.detail.assessment).toBeUndefined();
    expect(backupMock).not.toHaveReceivedCommand(StartRestoreJobCommand);
  });

  it('names the missing DR settings and alerts instead of starting a restore that would fail', async () => {
    const context = deps({}, { settings: {} });
    backupMock
      .on(GetRestoreTestingInferredMetadataCommand)
      .resolves({ InferredMetadata: { availabilityZone: 'us-east-1a' } });
    const outcome = await restoreAfterCopy(copyEvent(), context);
    expect(outcome).toMatchObject({
      action: 'skipped',
      reason: 'misconfigured',
      explanation: 'missing RESTORE_SETTINGS.EBS.availabilityZone',
    });
    expect(context.signals.published[0]?.detail.assessment).toMatchObject({ state: 'UNKNOWN' });
    expect(backupMock).not.toHaveReceivedCommand(StartRestoreJobCommand);
  });

  describe('EC2: the KMS key override (RESTORE_SETTINGS.EC2.kmsKeyArn)', () => {
    const AMI = 'arn:aws:ec2:us-west-2::image/ami-0abc1234def567890';
    const DR_KEY = `arn:aws:kms:${DR_REGION}:${BACKUP_ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
    const ec2Settings = {
      settings: { EC2: { subnetId: 'subnet-0dr', securityGroupIds: ['sg-0dr'], kmsKeyArn: DR_KEY } },
    };
    beforeEach(() => {
      recoveryPoint(AMI, 'EC2', 'arn:aws:ec2:us-east-1:111122223333:instance/i-0source');
      // AWS infers no BlockDeviceMappings for EC2 (restore-testing-inferred-metadata.html).
      backupMock.on(GetRestoreTestingInferredMetadataCommand).resolves({
        InferredMetadata: { disableApiTermination: 'false', instanceType: 't3.micro', requireImdsV2: 'true' },
      });
    });

    it("sets the DR key on every block device of the recovery point's backed-up configuration", async () => {
      // Prepare
      backupMock.on(GetRecoveryPointRestoreMetadataCommand).resolves({
        RestoreMetadata: {
          InstanceType: 't3.micro',
          BlockDeviceMappings: JSON.stringify([
            {
              DeviceName: '/dev/xvda',
              Ebs: {
                VolumeSize: 8,
                DeleteOnTermination: true,
                SnapshotId: 'snap-0src',
                KmsKeyId: 'arn:aws:kms:us-east-1:111122223333:key/src',
              },
            },
            { DeviceName: '/dev/sdf', Ebs: { VolumeSize: 32, DeleteOnTermination: false, Encrypted: false } },
          ]),
        },
      });
      const context = deps({}, ec2Settings);
      // Act
      const outcome = await restoreAfterCopy(copyEvent({ destinationRecoveryPointArn: AMI }), context);
      // Assess
      expect(outcome).toMatchObject({ action: 'restore-started', resourceType: 'EC2' });
      const metadata = backupMock.commandCalls(StartRestoreJobCommand)[0]?.args[0].input.Metadata ?? {};
      expect(JSON.parse(metadata.BlockDeviceMappings ?? 'null')).toEqual([
        {
          DeviceName: '/dev/xvda',
          Ebs: { VolumeSize: 8, DeleteOnTermination: true, KmsKeyId: DR_KEY, Encrypted: true },
        },
        {
          DeviceName: '/dev/sdf',
          Ebs: { VolumeSize: 32, DeleteOnTermination: false, KmsKeyId: DR_KEY, Encrypted: true },
        },
      ]);
    });

    it('refuses to restore, naming the setting and why, when the key cannot be applied', async () => {
      // Prepare
      backupMock
        .on(GetRecoveryPointRestoreMetadataCommand)
        .resolves({ RestoreMetadata: { InstanceType: 't3.micro' } });
      const context = deps({}, ec2Settings);
      // Act
      const outcome = await restoreAfterCopy(copyEvent({ destinationRecoveryPointArn: AMI }), context);
      // Assess
      expect(outcome).toMatchObject({
        action: 'skipped',
        reason: 'misconfigured',
        explanation: expect.stringMatching(
          /^RESTORE_SETTINGS\.EC2\.kmsKeyArn is set but cannot be applied: .*BlockDeviceMappings/,
        ),
      });
      expect(context.signals.published[0]?.detail.assessment).toMatchObject({
        state: 'UNKNOWN',
        nextStep: expect.stringContaining('restoreSettings'),
      });
      expect(backupMock).not.toHaveReceivedCommand(StartRestoreJobCommand);
    });

    it('reads no restore metadata when no EC2 key is configured', async () => {
      const context = deps(
        {},
        { settings: { EC2: { subnetId: 'subnet-0dr', securityGroupIds: ['sg-0dr'] } } },
      );
      const outcome = await restoreAfterCopy(copyEvent({ destinationRecoveryPointArn: AMI }), context);
      expect(outcome).toMatchObject({ action: 'restore-started' });
      expect(backupMock).not.toHaveReceivedCommand(GetRecoveryPointRestoreMetadataCommand);
    });
  });

  it.each([
    ['off', 'skipped'],
    ['keep', 'restore-started'],
  ])('follows the dr-autopilot:restore=%s tag of a Backup-native recovery point', async (tag, action) => {
    // Prepare
    recoveryPoint(NATIVE_POINT, 'DynamoDB', 'arn:aws:dynamodb:us-east-1:111122223333:table/orders');
    backupMock.on(ListTagsCommand).resolves({
      Tags: {
        'dr-autopilot:restore': tag,
        'dr-autopilot:rto': 'PT1H',
        'dr-autopilot:workload': 'payments',
      },
    });
    const context = deps();
    // Act
    const outcome = await restoreAfterCopy(copyEvent({ destinationRecoveryPointArn: NATIVE_POINT }), context);
    // Assess
    expect(outcome.action).toBe(action);
    if (action === 'restore-started') {
      expect(context.records.all.get('restore-1')).toMatchObject({
        mode: 'keep',
        rtoSeconds: 3600,
        workload: 'payments',
      });
      expect(backupMock).toHaveReceivedCommandWith(StartRestoreJobCommand, {
        Metadata: expect.objectContaining({
          targetTableName: expect.stringMatching(/^dr-autopilot-[0-9a-f]{12}$/),
        }),
      });
    } else expect(backupMock).not.toHaveReceivedCommand(StartRestoreJobCommand);
  });

  it('in dry-run mode starts nothing and says what it would do', async () => {
    const context = deps({ dryRun: true });
    const outcome = await restoreAfterCopy(copyEvent(), context);
    expect(outcome.action).toBe('dry-run');
    expect(backupMock).not.toHaveReceivedCommand(StartRestoreJobCommand);
    expect(context.signals.published[0]?.detail).toMatchObject({ dryRun: true });
  });
});

describe('restoreAfterBackup', () => {
  beforeEach(() => backupMock.reset());

  function backupEvent(change: { account?: string; region?: string } = {}) {
    const sample = loadSample<Record<string, unknown> & { detail: Record<string, unknown> }>(
      'backup',
      'backup-job-state-change.completed',
    );
    sample.account = BACKUP_ACCOUNT;
    sample.region = DR_REGION;
    sample.resources = [NATIVE_POINT];
    sample.detail.backupVaultArn = DR_VAULT_ARN;
    Object.assign(sample, change);
    return backupJobStateChange.parse(sample);
  }

  it.each([
    ['the primary Region (backup job events are never forwarded)', { region: PRIMARY_REGION }],
    ['a third Region', { region: 'eu-west-1' }],
    ['another account', { account: '999999999999' }],
  ])('rejects a Backup Job event from %s and calls nothing', async (_name, change) => {
    await expect(restoreAfterBackup(backupEvent(change), deps())).rejects.toBeInstanceOf(ForeignEventError);
    expect(backupMock).not.toHaveReceivedAnyCommand();
  });

  it('restores a backup made directly into the DR vault (the recovery point is resources[0])', async () => {
    // Prepare
    const sample = loadSample<Record<string, unknown> & { detail: Record<string, unknown> }>(
      'backup',
      'backup-job-state-change.completed',
    );
    sample.account = BACKUP_ACCOUNT;
    sample.resources = [NATIVE_POINT];
    sample.detail.backupVaultArn = DR_VAULT_ARN;
    recoveryPoint(NATIVE_POINT, 'DynamoDB', 'arn:aws:dynamodb:us-west-2:111122223333:table/orders');
    backupMock.on(ListTagsCommand).resolves({ Tags: {} });
    backupMock.on(GetRestoreTestingInferredMetadataCommand).resolves({ InferredMetadata: {} });
    backupMock.on(StartRestoreJobCommand).resolves({ RestoreJobId: 'restore-9' });
    // Act
    const outcome = await restoreAfterBackup(backupJobStateChange.parse(sample), deps());
    // Assess
    expect(outcome).toMatchObject({
      action: 'restore-started',
      restoreJobId: 'restore-9',
      recoveryPointArn: NATIVE_POINT,
    });
  });
});

describe('the same copy event twice (idempotency)', () => {
  let db: Awaited<ReturnType<typeof startDynalite>>;
  beforeAll(async () => {
    db = await startDynalite();
    await createIdempotencyTable(db.client, 'idempotency');
  });
  afterAll(async () => db.close());
  beforeEach(() => {
    backupMock.reset();
    recoveryPoint(SNAPSHOT, 'EBS', 'arn:aws:ec2:us-east-1:111122223333:volume/vol-1');
    backupMock.on(GetRestoreTestingInferredMetadataCommand).resolves({ InferredMetadata: {} });
    backupMock.on(StartRestoreJobCommand).resolves({ RestoreJobId: 'restore-1' });
  });

  it('starts one restore; a redelivery under another id answers with that restore, without a second StartRestoreJob', async () => {
    // Prepare
    const context = deps();
    const handler = createEventHandler({
      logger: createLogger('backup-restore-test'),
      parse: copyJobStateChange.parse,
      idempotency: idempotencyGuard({
        persistenceStore: new DynamoDBPersistenceLayer({
          tableName: 'idempotency',
          awsSdkV3Client: db.client,
        }),
      }),
      run: (event) => restoreAfterCopy(event, context),
    });
    const event = copyEvent();
    const lambda = lambdaContext({
      functionName: `backup-restore-${crypto.randomUUID()}`,
      region: DR_REGION,
    });
    // Act
    const first = await handler(structuredClone(event), lambda);
    const second = await handler(structuredClone(event), lambda);
    const redelivered = await handler({ ...structuredClone(event), id: crypto.randomUUID() }, lambda);
    // Assess
    expect(second).toEqual(first);
    const calls = backupMock.commandCalls(StartRestoreJobCommand);
    // One call: the redelivery finds the token claimed by the restore it started (AWS's own token may have
    // timed out by then), and answers with it.
    expect(calls).toHaveLength(1);
    expect(new Set(calls.map((call) => call.args[0].input.IdempotencyToken))).toEqual(
      new Set([restoreTokenFor(SNAPSHOT, 'copy')]),
    );
    expect(redelivered).toEqual(first);
  });
});

describe('a retried or late copy event (records and token claims)', () => {
  beforeEach(() => {
    backupMock.reset();
    recoveryPoint(SNAPSHOT, 'EBS', 'arn:aws:ec2:us-east-1:111122223333:volume/vol-1');
    backupMock.on(GetRestoreTestingInferredMetadataCommand).resolves({ InferredMetadata: {} });
  });

  it('a retry after the signal failed keeps the record validation has moved on, and signals once', async () => {
    // Prepare
    backupMock.on(StartRestoreJobCommand).resolves({ RestoreJobId: 'restore-1' });
    const context = { ...deps(), signals: flakySignals(1) };
    // Act
    await expect(restoreAfterCopy(copyEvent(), context)).rejects.toThrow(/ServiceUnavailable/);
    const moved = { ...context.records.all.get('restore-1'), phase: 'validating', startedAt: 'earlier' };
    context.records.all.set('restore-1', moved as RestoreRecord);
    const retry = await restoreAfterCopy(copyEvent(), context);
    // Assess
    expect(retry).toMatchObject({ action: 'restore-started', restoreJobId: 'restore-1' });
    expect(context.records.all.get('restore-1')).toMatchObject({ phase: 'validating', startedAt: 'earlier' });
    expect(backupMock).toHaveReceivedCommandTimes(StartRestoreJobCommand, 1);
    expect(context.signals.published.map((signal) => signal.type)).toEqual(['Restore Started']);
  });

  it('a copy event redelivered under a new id after AWS forgot the token starts no second restore', async () => {
    // Prepare: AWS Backup no longer deduplicates the token, and would start a new job.
    backupMock
      .on(StartRestoreJobCommand)
      .resolvesOnce({ RestoreJobId: 'restore-1' })
      .resolves({ RestoreJobId: 'restore-2' });
    const context = deps();
    // Act
    const first = await restoreAfterCopy(copyEvent(), context);
    const late = await restoreAfterCopy({ ...copyEvent(), id: crypto.randomUUID() }, context);
    // Assess
    expect(first).toMatchObject({ action: 'restore-started', restoreJobId: 'restore-1' });
    expect(late).toEqual(first);
    expect(backupMock).toHaveReceivedCommandTimes(StartRestoreJobCommand, 1);
    expect([...context.records.all.keys()]).toEqual(['restore-1']);
    expect(context.records.claims.get(restoreTokenFor(SNAPSHOT, 'copy'))).toMatchObject({
      restoreJobId: 'restore-1',
      signalled: true,
    });
  });
});
