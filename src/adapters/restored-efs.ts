import {
  DeleteFileSystemCommand,
  DeleteMountTargetCommand,
  DescribeFileSystemsCommand,
  DescribeMountTargetsCommand,
  type EFSClient,
  type FileSystemDescription,
  TagResourceCommand,
} from '@aws-sdk/client-efs';
import type { RestoredResource, RestoredResourceHandler } from '../ports/restored-resources.ts';
import { idFromResourceArn, isNotFound, tagList, tagMap } from './restored-common.ts';

const NOT_FOUND = ['FileSystemNotFound'];

/** A restored EFS file system (always a new one): available. */
export function createRestoredEfsHandler(client: EFSClient): RestoredResourceHandler {
  return {
    async inspect(arn) {
      const id = idFromResourceArn(arn);
      const base: RestoredResource = {
        type: 'EFS',
        arn,
        id,
        exists: false,
        tags: {},
        facts: {},
        related: [],
      };
      let fileSystem: FileSystemDescription | undefined;
      try {
        const { FileSystems } = await client.send(new DescribeFileSystemsCommand({ FileSystemId: id }));
        fileSystem = FileSystems?.[0];
      } catch (error) {
        if (isNotFound(error, NOT_FOUND)) return base;
        throw error;
      }
      if (!fileSystem || fileSystem.LifeCycleState === 'deleted') return base;
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
          encrypted: fileSystem.Encrypted ?? null,
          mountTargets: fileSystem.NumberOfMountTargets ?? 0,
        },
      };
    },
    async tag(resource, _targets, tags) {
      await client.send(new TagResourceCommand({ ResourceId: resource.id, Tags: tagList(tags) }));
    },
    async delete(step) {
      try {
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
      } catch (error) {
        if (isNotFound(error, NOT_FOUND)) return 'done';
        if (error instanceof Error && error.name === 'FileSystemInUse') return 'waiting';
        throw error;
      }
      return 'done';
    },
  };
}
