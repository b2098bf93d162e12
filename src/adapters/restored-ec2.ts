import {
  CreateTagsCommand,
  DeleteSnapshotCommand,
  DeleteVolumeCommand,
  DeregisterImageCommand,
  DescribeImagesCommand,
  DescribeInstanceStatusCommand,
  DescribeInstancesCommand,
  DescribeSnapshotsCommand,
  DescribeVolumesCommand,
  type EC2Client,
  type Snapshot,
  TerminateInstancesCommand,
  type Volume,
} from '@aws-sdk/client-ec2';
import type { RelatedResource, RestoredResourceHandler, TagTarget } from '../ports/restored-resources.ts';
import {
  absentResource,
  deleteStep,
  idFromResourceArn,
  isNotFound,
  tagList,
  tagMap,
  unlessNotFound,
} from './restored-common.ts';

const VOLUME_NOT_FOUND = ['InvalidVolume.NotFound'];
const INSTANCE_NOT_FOUND = ['InvalidInstanceID.NotFound'];
const IMAGE_NOT_FOUND = ['InvalidAMIID.NotFound', 'InvalidAMIID.Unavailable'];
const SNAPSHOT_NOT_FOUND = ['InvalidSnapshot.NotFound'];

async function describeVolumes(client: EC2Client, ids: string[]): Promise<Volume[]> {
  if (ids.length === 0) return [];
  try {
    const { Volumes = [] } = await client.send(new DescribeVolumesCommand({ VolumeIds: ids }));
    return Volumes;
  } catch (error) {
    if (isNotFound(error, VOLUME_NOT_FOUND)) {
      // One missing ID fails the whole call: ask one by one.
      const found: Volume[] = [];
      for (const id of ids.length > 1 ? ids : []) found.push(...(await describeVolumes(client, [id])));
      return found;
    }
    throw error;
  }
}

async function deleteVolume(client: EC2Client, id: string): Promise<'done' | 'waiting'> {
  const [volume] = await describeVolumes(client, [id]);
  if (!volume || volume.State === 'deleting' || volume.State === 'deleted') return 'done';
  if (volume.State === 'in-use') return 'waiting';
  return deleteStep(
    async () => {
      await client.send(new DeleteVolumeCommand({ VolumeId: id }));
      return 'done';
    },
    { notFound: VOLUME_NOT_FOUND, busy: ['VolumeInUse'] },
  );
}

function volumeFacts(volume: Volume): RelatedResource {
  return {
    kind: 'ebs-volume',
    id: volume.VolumeId ?? '',
    tags: tagMap(volume.Tags),
    createdAt: volume.CreateTime,
    status: volume.State,
    sizeGiB: volume.Size,
  };
}

async function describeSnapshots(client: EC2Client, ids: string[]): Promise<Snapshot[]> {
  if (ids.length === 0) return [];
  try {
    const { Snapshots = [] } = await client.send(new DescribeSnapshotsCommand({ SnapshotIds: ids }));
    return Snapshots;
  } catch (error) {
    if (isNotFound(error, SNAPSHOT_NOT_FOUND)) {
      const found: Snapshot[] = [];
      for (const id of ids.length > 1 ? ids : []) found.push(...(await describeSnapshots(client, [id])));
      return found;
    }
    throw error;
  }
}

async function instanceState(client: EC2Client, id: string): Promise<string | undefined> {
  const instance = await unlessNotFound(async () => {
    const { Reservations = [] } = await client.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
    return Reservations.flatMap((reservation) => reservation.Instances ?? [])[0];
  }, INSTANCE_NOT_FOUND);
  return instance?.State?.Name;
}

/**
 * A fresh read of pieces an earlier cleanup round owned: volumes (with the instance they are still attached
 * to, and its state), snapshots and AMIs. Gone ones are left out (one unknown ID fails a Describe call as a
 * whole, so IDs are asked one by one then).
 */
async function inspectRelated(client: EC2Client, targets: TagTarget[]): Promise<RelatedResource[]> {
  const ids = (kind: TagTarget['kind']) => targets.filter((target) => target.kind === kind).map((t) => t.id);
  const found: RelatedResource[] = [];
  for (const volume of await describeVolumes(client, ids('ebs-volume'))) {
    if (volume.State === 'deleted' || volume.State === 'deleting') continue;
    const instanceId = volume.Attachments?.[0]?.InstanceId;
    found.push({
      ...volumeFacts(volume),
      attachment:
        volume.State === 'in-use' && instanceId
          ? { instanceId, instanceState: await instanceState(client, instanceId) }
          : undefined,
    });
  }
  for (const snapshot of await describeSnapshots(client, ids('ebs-snapshot'))) {
    found.push({
      kind: 'ebs-snapshot',
      id: snapshot.SnapshotId ?? '',
      tags: tagMap(snapshot.Tags),
      createdAt: snapshot.StartTime,
      status: snapshot.State,
    });
  }
  for (const imageId of ids('ec2-image')) {
    const image = await unlessNotFound(async () => {
      const { Images = [] } = await client.send(new DescribeImagesCommand({ ImageIds: [imageId] }));
      return Images[0];
    }, IMAGE_NOT_FOUND);
    if (!image || image.State === 'deregistered') continue;
    found.push({
      kind: 'ec2-image',
      id: image.ImageId ?? imageId,
      tags: tagMap(image.Tags),
      createdAt: image.CreationDate ? new Date(image.CreationDate) : undefined,
      status: image.State,
    });
  }
  return found;
}

async function createTags(client: EC2Client, ids: string[], tags: Record<string, string>): Promise<void> {
  if (ids.length > 0) await client.send(new CreateTagsCommand({ Resources: ids, Tags: tagList(tags) }));
}

/** A restored EBS volume: available (or attached). */
export function createRestoredEbsHandler(client: EC2Client): RestoredResourceHandler {
  return {
    async inspect(arn) {
      const id = idFromResourceArn(arn);
      const [volume] = await describeVolumes(client, [id]);
      const base = absentResource('EBS', arn, id);
      if (!volume || volume.State === 'deleted') return base;
      return {
        ...base,
        exists: true,
        createdAt: volume.CreateTime,
        status: volume.State,
        tags: tagMap(volume.Tags),
        facts: {
          sizeGiB: volume.Size ?? null,
          encrypted: volume.Encrypted ?? null,
          availabilityZone: volume.AvailabilityZone ?? null,
        },
      };
    },
    tag: (resource, _targets, tags) => createTags(client, [resource.id], tags),
    delete: (step) => deleteVolume(client, step.id),
  };
}

/**
 * A restored EC2 instance: running with both status checks `ok`. The restore also leaves an AMI, its EBS
 * snapshots and the instance's volumes; they are reported as related resources so cleanup can remove exactly
 * those our restore created.
 */
export function createRestoredEc2Handler(client: EC2Client): RestoredResourceHandler {
  return {
    async inspect(arn) {
      const id = idFromResourceArn(arn);
      const base = absentResource('EC2', arn, id);
      const instance = await unlessNotFound(async () => {
        const { Reservations = [] } = await client.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
        return Reservations.flatMap((reservation) => reservation.Instances ?? [])[0];
      }, INSTANCE_NOT_FOUND);
      if (!instance) return base;
      const { InstanceStatuses = [] } = await client.send(
        new DescribeInstanceStatusCommand({ InstanceIds: [id], IncludeAllInstances: true }),
      );
      const status = InstanceStatuses[0];
      const related: RelatedResource[] = [];
      if (instance.ImageId) {
        try {
          const { Images = [] } = await client.send(
            new DescribeImagesCommand({ ImageIds: [instance.ImageId] }),
          );
          for (const image of Images) {
            related.push({
              kind: 'ec2-image',
              id: image.ImageId ?? instance.ImageId,
              tags: tagMap(image.Tags),
              createdAt: image.CreationDate ? new Date(image.CreationDate) : undefined,
              status: image.State,
            });
            const snapshotIds = (image.BlockDeviceMappings ?? []).flatMap((mapping) =>
              mapping.Ebs?.SnapshotId ? [mapping.Ebs.SnapshotId] : [],
            );
            if (snapshotIds.length > 0) {
              const { Snapshots = [] } = await client.send(
                new DescribeSnapshotsCommand({ SnapshotIds: snapshotIds }),
              );
              for (const snapshot of Snapshots) {
                related.push({
                  kind: 'ebs-snapshot',
                  id: snapshot.SnapshotId ?? '',
                  tags: tagMap(snapshot.Tags),
                  createdAt: snapshot.StartTime,
                  status: snapshot.State,
                });
              }
            }
          }
        } catch (error) {
          if (!isNotFound(error, [...IMAGE_NOT_FOUND, ...SNAPSHOT_NOT_FOUND])) throw error;
        }
      }
      const attached = (instance.BlockDeviceMappings ?? []).flatMap((mapping) =>
        mapping.Ebs?.VolumeId
          ? [
              {
                id: mapping.Ebs.VolumeId,
                deviceName: mapping.DeviceName,
                deleteOnTermination: mapping.Ebs.DeleteOnTermination,
              },
            ]
          : [],
      );
      for (const volume of await describeVolumes(
        client,
        attached.map((item) => item.id),
      )) {
        const mapping = attached.find((item) => item.id === volume.VolumeId);
        related.push({
          ...volumeFacts(volume),
          deviceName: mapping?.deviceName,
          deleteOnTermination: mapping?.deleteOnTermination,
          attachment:
            volume.State === 'in-use' ? { instanceId: id, instanceState: instance.State?.Name } : undefined,
        });
      }
      return {
        ...base,
        exists: instance.State?.Name !== 'terminated',
        createdAt: instance.LaunchTime,
        status: instance.State?.Name,
        tags: tagMap(instance.Tags),
        facts: {
          instanceStatus: status?.InstanceStatus?.Status ?? null,
          systemStatus: status?.SystemStatus?.Status ?? null,
          instanceType: instance.InstanceType ?? null,
          imageId: instance.ImageId ?? null,
        },
        related,
      };
    },
    inspectRelated: (targets) => inspectRelated(client, targets),
    tag: (_resource, targets, tags) =>
      createTags(
        client,
        targets.map((target) => target.id),
        tags,
      ),
    delete: (step) =>
      deleteStep(
        async () => {
          switch (step.kind) {
            case 'main':
              await client.send(new TerminateInstancesCommand({ InstanceIds: [step.id] }));
              return 'done';
            case 'ec2-image':
              await client.send(new DeregisterImageCommand({ ImageId: step.id }));
              return 'done';
            case 'ebs-snapshot':
              await client.send(new DeleteSnapshotCommand({ SnapshotId: step.id }));
              return 'done';
            case 'ebs-volume':
              return await deleteVolume(client, step.id);
            default:
              throw new Error(`an EC2 restore has no ${step.kind} to delete`);
          }
        },
        {
          notFound: [...INSTANCE_NOT_FOUND, ...IMAGE_NOT_FOUND, ...SNAPSHOT_NOT_FOUND],
          // A snapshot is in use until its AMI is deregistered: the next sweep deletes it.
          busy: ['InvalidSnapshot.InUse'],
        },
      ),
  };
}
