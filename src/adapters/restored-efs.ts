import {
  DeleteFileSystemCommand,
  DeleteMountTargetCommand,
  DescribeFileSystemsCommand,
  DescribeMountTargetsCommand,
  type EFSClient,
  TagResourceCommand,
} from '@aws-sdk/client-efs';
import type { RestoredResourceHandler } from '../ports/restored-resources.ts';
import {
  absentResource,
  deleteStep,
  idFromResourceArn,
  tagList,
  tagMap,
  unlessNotFound,
} from './restored-common.ts';

const NOT_FOUND = ['FileSystemNotFound'];

/** A restored EFS file system (always a new one): available, its mount targets, its metered size. */
export function createRestoredEfsHandler(client: EFSClient): RestoredResourceHandler {
  return {
    async inspect(arn) {
      const id = idFromResourceArn(arn);
      const base = absentResource('EFS', arn, id);
      const fileSystem = await unlessNotFound(
        async () =>
          (await client.send(new DescribeFileSystemsCommand({ FileSystemId: id }))).FileSystems?.[0],
        NOT_FOUND,
      );
      if (!fileSystem || fileSystem.LifeCycleState === 'deleted') return base;
      // AWS Backup creates no mount target; any that exist (created by someone to validate) must be available.
      const targets = fileSystem.NumberOfMountTargets
        ? ((await client.send(new DescribeMountTargetsCommand({ FileSystemId: id }))).MountTargets ?? [])
        : [];
      return {
        ...base,
        arn: fileSystem.FileSystemArn ?? arn,
        exists: true,
        name: fileSystem.CreationToken,
        createdAt: fileSystem.CreationTime,
        status: fileSystem.LifeCycleState,
        tags: tagMap(fileSystem.Tags),
        facts: {
          sizeInBytes: fileSystem.SizeInBytes?.Value ?? null,
          sizeMeteredAt: fileSystem.SizeInBytes?.Timestamp?.toISOString() ?? null,
          encrypted: fileSystem.Encrypted ?? null,
          mountTargets: targets.length,
          mountTargetsAvailable: targets.filter((target) => target.LifeCycleState === 'available').length,
          mountTargetsFailed: targets.filter((target) => target.LifeCycleState === 'error').length,
        },
      };
    },
    async tag(resource, _targets, tags) {
      await client.send(new TagResourceCommand({ ResourceId: resource.id, Tags: tagList(tags) }));
    },
    delete: (step) =>
      deleteStep(
        async () => {
          const { MountTargets = [] } = await client.send(
            new DescribeMountTargetsCommand({ FileSystemId: step.id }),
          );
          if (MountTargets.length > 0) {
            for (const target of MountTargets) {
              if (target.MountTargetId && target.LifeCycleState !== 'deleting') {
                await client.send(new DeleteMountTargetCommand({ MountTargetId: target.MountTargetId }));
              }
            }
            return 'waiting';
          }
          await client.send(new DeleteFileSystemCommand({ FileSystemId: step.id }));
          return 'done';
        },
        { notFound: NOT_FOUND, busy: ['FileSystemInUse'] },
      ),
  };
}
