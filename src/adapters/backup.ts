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
import { isBackupNativeRecoveryPoint } from '../../events/backup/arn.ts';
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
 * copy jobs (the primary Region): a cross-Region copy job is only visible there.
 */
export function createBackupAdapter(options: {
  client: BackupClient;
  copyJobClient: BackupClient;
}): BackupReader & BackupRestoreControl & RestoreJobHistory {
  const { client } = options;
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
      const answer = await orUndefined(
        options.copyJobClient.send(new DescribeCopyJobCommand({ CopyJobId: copyJobId })),
      );
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
      // ListTags answers only for resources AWS Backup fully manages (ARNs `arn:aws:backup:…`); for the others it
      // may throw, so it is not asked: those recovery points have no Backup tags to read.
      if (!isBackupNativeRecoveryPoint(recoveryPointArn)) return {};
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
          ValidationStatusMessage: message.slice(0, 1000),
        }),
      );
    },
  };
}
