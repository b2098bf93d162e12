import {
  type BackupClient,
  DescribeCopyJobCommand,
  DescribeRecoveryPointCommand,
  DescribeRestoreJobCommand,
  GetRecoveryPointRestoreMetadataCommand,
  GetRestoreTestingInferredMetadataCommand,
  ListTagsCommand,
  PutRestoreValidationResultCommand,
  paginateListRecoveryPointsByBackupVault,
  paginateListRestoreJobs,
  type RecoveryPointByBackupVault,
  ResourceNotFoundException,
  type RestoreJobsListMember,
  StartRestoreJobCommand,
} from '@aws-sdk/client-backup';
import { DescribeImagesCommand, DescribeSnapshotsCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { ListTagsForResourceCommand, type RDSClient } from '@aws-sdk/client-rds';
import { isBackupNativeRecoveryPoint } from '../../events/backup/arn.ts';
import { truncate } from '../domain/text.ts';
import type {
  BackupReader,
  BackupRestoreControl,
  RecoveryPoint,
  RestoreJob,
  RestoreJobHistory,
} from '../ports/backup.ts';

const PAGE_SIZE = 100;

function toRecoveryPoint(point: RecoveryPointByBackupVault, vaultName: string): RecoveryPoint {
  return {
    recoveryPointArn: point.RecoveryPointArn ?? '',
    backupVaultName: point.BackupVaultName ?? vaultName,
    resourceArn: point.ResourceArn,
    resourceType: point.ResourceType,
    status: point.Status,
    creationDate: point.CreationDate,
    completionDate: point.CompletionDate,
    backupSizeInBytes: point.BackupSizeInBytes,
    sourceBackupVaultArn: point.SourceBackupVaultArn,
  };
}

/** DescribeRestoreJob's output and ListRestoreJobs' items carry the same fields. */
function toRestoreJob(job: RestoreJobsListMember, restoreJobId = ''): RestoreJob {
  return {
    restoreJobId: job.RestoreJobId ?? restoreJobId,
    status: job.Status,
    statusMessage: job.StatusMessage,
    recoveryPointArn: job.RecoveryPointArn,
    sourceResourceArn: job.SourceResourceArn,
    backupVaultArn: job.BackupVaultArn,
    createdResourceArn: job.CreatedResourceArn,
    resourceType: job.ResourceType,
    creationDate: job.CreationDate,
    completionDate: job.CompletionDate,
    recoveryPointCreationDate: job.RecoveryPointCreationDate,
    backupSizeInBytes: job.BackupSizeInBytes,
    restoreTestingPlanArn: job.CreatedBy?.RestoreTestingPlanArn,
    validationStatus: job.ValidationStatus,
  };
}

async function orUndefined<T>(call: Promise<T>): Promise<T | undefined> {
  try {
    return await call;
  } catch (error) {
    if (error instanceof ResourceNotFoundException || (error as Error).name === 'ResourceNotFoundException') {
      return undefined;
    }
    throw error;
  }
}

/**
 * AWS Backup through the SDK v3 client of this Region. `copyJobClient` is a client in the Region that runs
 * copy jobs (the primary Region): a cross-Region copy job is only visible there. Given as a function, it is
 * called on the first copy job read (a function that reads none does not construct that client at cold start).
 */
export function createBackupAdapter(options: {
  client: BackupClient;
  copyJobClient: BackupClient | (() => BackupClient);
  /**
   * The services that hold the tags of recovery points AWS Backup does not fully manage (EC2 AMIs, EBS snapshots,
   * RDS and Aurora snapshots): AWS Backup copies the protected resource's tags onto them, and ListTags does not
   * answer for them. Without these clients such points have no tags to read.
   */
  resourceTags?: { ec2: EC2Client; rds: RDSClient } | undefined;
}): BackupReader & BackupRestoreControl & RestoreJobHistory {
  const { client } = options;
  let copyJobClient = typeof options.copyJobClient === 'function' ? undefined : options.copyJobClient;
  const copyJobs = () => {
    copyJobClient ??= (options.copyJobClient as () => BackupClient)();
    return copyJobClient;
  };
  return {
    async *listRestoreJobs(filter) {
      for await (const page of paginateListRestoreJobs(
        { client, pageSize: PAGE_SIZE },
        {
          ByStatus: filter.status as RestoreJobsListMember['Status'],
          ByCompleteAfter: filter.completedAfter,
        },
      )) {
        yield (page.RestoreJobs ?? []).map((job) => toRestoreJob(job));
      }
    },
    async describeCopyJob(copyJobId) {
      const answer = await orUndefined(copyJobs().send(new DescribeCopyJobCommand({ CopyJobId: copyJobId })));
      const job = answer?.CopyJob;
      return job
        ? {
            copyJobId: job.CopyJobId ?? copyJobId,
            state: job.State,
            destinationBackupVaultArn: job.DestinationBackupVaultArn,
            destinationRecoveryPointArn: job.DestinationRecoveryPointArn,
            resourceArn: job.ResourceArn,
            resourceType: job.ResourceType,
          }
        : undefined;
    },
    async describeRecoveryPoint(vaultName, recoveryPointArn) {
      const point = await orUndefined(
        client.send(
          new DescribeRecoveryPointCommand({
            BackupVaultName: vaultName,
            RecoveryPointArn: recoveryPointArn,
          }),
        ),
      );
      return point ? toRecoveryPoint(point, vaultName) : undefined;
    },
    async newestRecoveryPointOf(vaultName, resourceArn) {
      let newest: RecoveryPoint | undefined;
      for await (const page of paginateListRecoveryPointsByBackupVault(
        { client, pageSize: PAGE_SIZE },
        { BackupVaultName: vaultName, ByResourceArn: resourceArn },
      )) {
        for (const point of page.RecoveryPoints ?? []) {
          const candidate = toRecoveryPoint(point, vaultName);
          if ((candidate.creationDate?.getTime() ?? 0) > (newest?.creationDate?.getTime() ?? -1))
            newest = candidate;
        }
      }
      return newest;
    },
    async *listRecoveryPoints(vaultName, createdAfter) {
      for await (const page of paginateListRecoveryPointsByBackupVault(
        { client, pageSize: PAGE_SIZE },
        { BackupVaultName: vaultName, ByCreatedAfter: createdAfter },
      )) {
        yield (page.RecoveryPoints ?? []).map((point) => toRecoveryPoint(point, vaultName));
      }
    },
    async originalRestoreMetadata(vaultName, recoveryPointArn) {
      const { RestoreMetadata } = await client.send(
        new GetRecoveryPointRestoreMetadataCommand({
          BackupVaultName: vaultName,
          RecoveryPointArn: recoveryPointArn,
        }),
      );
      return { ...(RestoreMetadata ?? {}) };
    },
    async inferredRestoreMetadata(vaultName, recoveryPointArn) {
      const { InferredMetadata } = await client.send(
        new GetRestoreTestingInferredMetadataCommand({
          BackupVaultName: vaultName,
          RecoveryPointArn: recoveryPointArn,
        }),
      );
      return { ...(InferredMetadata ?? {}) };
    },
    async recoveryPointTags(recoveryPointArn) {
      // ListTags answers only for resources AWS Backup fully manages (ARNs `arn:aws:backup:…`); the others are
      // EC2 AMIs, EBS snapshots or RDS snapshots, which carry the tags AWS Backup copied from the resource.
      if (!isBackupNativeRecoveryPoint(recoveryPointArn)) {
        return options.resourceTags ? nonNativeRecoveryPointTags(recoveryPointArn, options.resourceTags) : {};
      }
      const tags: Record<string, string> = {};
      let NextToken: string | undefined;
      do {
        const page = await client.send(new ListTagsCommand({ ResourceArn: recoveryPointArn, NextToken }));
        Object.assign(tags, page.Tags ?? {});
        NextToken = page.NextToken;
      } while (NextToken);
      return tags;
    },
    async describeRestoreJob(restoreJobId) {
      const job = await orUndefined(
        client.send(new DescribeRestoreJobCommand({ RestoreJobId: restoreJobId })),
      );
      return job ? toRestoreJob(job, restoreJobId) : undefined;
    },
    async startRestoreJob(input) {
      const { RestoreJobId } = await client.send(
        new StartRestoreJobCommand({
          RecoveryPointArn: input.recoveryPointArn,
          ResourceType: input.resourceType,
          Metadata: input.metadata,
          IamRoleArn: input.iamRoleArn,
          IdempotencyToken: input.idempotencyToken,
        }),
      );
      if (!RestoreJobId)
        throw new Error(`StartRestoreJob returned no RestoreJobId for ${input.recoveryPointArn}`);
      return { restoreJobId: RestoreJobId };
    },
    async putRestoreValidationResult(restoreJobId, status, message) {
      await client.send(
        new PutRestoreValidationResultCommand({
          RestoreJobId: restoreJobId,
          ValidationStatus: status,
          ValidationStatusMessage: truncate(message, 1000),
        }),
      );
    },
  };
}

const NOT_FOUND = new Set([
  'InvalidAMIID.NotFound',
  'InvalidAMIID.Malformed',
  'InvalidSnapshot.NotFound',
  'InvalidSnapshotID.Malformed',
  'DBSnapshotNotFound',
  'DBSnapshotNotFoundFault',
  'DBClusterSnapshotNotFoundFault',
]);

/**
 * The tags of an EC2 AMI (`arn:aws:ec2:<region>::image/ami-…`), an EBS snapshot (`…::snapshot/snap-…`) or an RDS
 * or Aurora snapshot (`arn:aws:rds:…:snapshot:…` / `…:cluster-snapshot:…`) recovery point, from its own service.
 * A point that no longer exists has no tags (its restore fails on its own); any other error propagates.
 */
async function nonNativeRecoveryPointTags(
  arn: string,
  clients: { ec2: EC2Client; rds: RDSClient },
): Promise<Record<string, string>> {
  const fromList = (tags: { Key?: string; Value?: string }[] | undefined) =>
    Object.fromEntries((tags ?? []).flatMap((tag) => (tag.Key ? [[tag.Key, tag.Value ?? '']] : [])));
  try {
    const ec2 = /^arn:aws[a-z-]*:ec2:[a-z0-9-]+:\d*:(image|snapshot)\/((?:ami|snap)-[0-9a-f]+)$/.exec(arn);
    if (ec2?.[1] === 'image') {
      const { Images } = await clients.ec2.send(new DescribeImagesCommand({ ImageIds: [ec2[2] as string] }));
      return fromList(Images?.[0]?.Tags);
    }
    if (ec2?.[1] === 'snapshot') {
      const { Snapshots } = await clients.ec2.send(
        new DescribeSnapshotsCommand({ SnapshotIds: [ec2[2] as string] }),
      );
      return fromList(Snapshots?.[0]?.Tags);
    }
    if (/^arn:aws[a-z-]*:rds:[a-z0-9-]+:\d+:(cluster-)?snapshot:/.test(arn)) {
      const { TagList } = await clients.rds.send(new ListTagsForResourceCommand({ ResourceName: arn }));
      return fromList(TagList);
    }
  } catch (error) {
    if (NOT_FOUND.has((error as { name?: string }).name ?? '')) return {};
    throw error;
  }
  return {};
}
