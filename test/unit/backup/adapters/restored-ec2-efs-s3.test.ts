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
  EC2Client,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import {
  DeleteFileSystemCommand,
  DeleteMountTargetCommand,
  DescribeFileSystemsCommand,
  DescribeMountTargetsCommand,
  EFSClient,
} from '@aws-sdk/client-efs';
import {
  DeleteBucketCommand,
  DeleteObjectsCommand,
  GetBucketTaggingCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutBucketTaggingCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { createRestoredEbsHandler, createRestoredEc2Handler } from '../../../../src/adapters/restored-ec2.ts';
import { createRestoredEfsHandler } from '../../../../src/adapters/restored-efs.ts';
import { createRestoredS3Handler } from '../../../../src/adapters/restored-s3.ts';
import type { RestoredResource } from '../../../../src/ports/restored-resources.ts';

const ec2Mock = mockClient(EC2Client);
const efsMock = mockClient(EFSClient);
const s3Mock = mockClient(S3Client);
const ebs = createRestoredEbsHandler(new EC2Client({ region: 'us-west-2' }));
const ec2 = createRestoredEc2Handler(new EC2Client({ region: 'us-west-2' }));
const efs = createRestoredEfsHandler(new EFSClient({ region: 'us-west-2' }));
const OWNER = '111122223333';
const s3 = createRestoredS3Handler(new S3Client({ region: 'us-west-2' }), { expectedBucketOwner: OWNER });
const CREATED = new Date('2026-11-22T10:05:00Z');

function stub(overrides: Partial<RestoredResource>): RestoredResource {
  return { type: 'EBS', arn: 'arn:x', id: 'x', exists: true, tags: {}, facts: {}, related: [], ...overrides };
}

describe('restored EBS volume', () => {
  beforeEach(() => ec2Mock.reset());

  it('reports state, creation time and tags', async () => {
    ec2Mock.on(DescribeVolumesCommand).resolves({
      Volumes: [
        {
          VolumeId: 'vol-0abc',
          State: 'available',
          CreateTime: CREATED,
          Size: 8,
          Tags: [{ Key: 'k', Value: 'v' }],
        },
      ],
    });
    const volume = await ebs.inspect('arn:aws:ec2:us-west-2:111122223333:volume/vol-0abc');
    expect(volume).toMatchObject({
      id: 'vol-0abc',
      exists: true,
      status: 'available',
      createdAt: CREATED,
      tags: { k: 'v' },
    });
  });

  it('reports a missing volume as not existing', async () => {
    ec2Mock
      .on(DescribeVolumesCommand)
      .rejects(Object.assign(new Error('gone'), { name: 'InvalidVolume.NotFound' }));
    expect((await ebs.inspect('arn:aws:ec2:us-west-2:111122223333:volume/vol-0gone')).exists).toBe(false);
  });

  it.each([
    ['in-use', 'waiting', 0],
    ['available', 'done', 1],
  ])('deletes a volume only when it is detached (%s → %s)', async (state, expected, calls) => {
    ec2Mock
      .on(DescribeVolumesCommand)
      .resolves({ Volumes: [{ VolumeId: 'vol-0abc', State: state as 'available' }] });
    ec2Mock.on(DeleteVolumeCommand).resolves({});
    const result = await ebs.delete({ type: 'EBS', kind: 'main', id: 'vol-0abc' }, stub({ id: 'vol-0abc' }));
    expect([result, ec2Mock.commandCalls(DeleteVolumeCommand).length]).toEqual([expected, calls]);
  });
});

describe('restored EC2 instance', () => {
  beforeEach(() => ec2Mock.reset());

  it('reports state, both status checks, and the AMI, snapshots and volumes the restore left', async () => {
    // Prepare
    ec2Mock.on(DescribeInstancesCommand).resolves({
      Reservations: [
        {
          Instances: [
            {
              InstanceId: 'i-0abc',
              State: { Name: 'running' },
              LaunchTime: CREATED,
              ImageId: 'ami-0new',
              BlockDeviceMappings: [
                { DeviceName: '/dev/xvda', Ebs: { VolumeId: 'vol-0root', DeleteOnTermination: true } },
              ],
            },
          ],
        },
      ],
    });
    ec2Mock.on(DescribeInstanceStatusCommand).resolves({
      InstanceStatuses: [{ InstanceStatus: { Status: 'ok' }, SystemStatus: { Status: 'initializing' } }],
    });
    ec2Mock.on(DescribeImagesCommand).resolves({
      Images: [
        {
          ImageId: 'ami-0new',
          CreationDate: CREATED.toISOString(),
          BlockDeviceMappings: [{ Ebs: { SnapshotId: 'snap-0new' } }],
        },
      ],
    });
    ec2Mock
      .on(DescribeSnapshotsCommand)
      .resolves({ Snapshots: [{ SnapshotId: 'snap-0new', StartTime: CREATED }] });
    ec2Mock
      .on(DescribeVolumesCommand)
      .resolves({ Volumes: [{ VolumeId: 'vol-0root', CreateTime: CREATED, Size: 8 }] });
    // Act
    const instance = await ec2.inspect('arn:aws:ec2:us-west-2:111122223333:instance/i-0abc');
    // Assess
    expect(ec2Mock).toHaveReceivedCommandWith(DescribeInstanceStatusCommand, {
      InstanceIds: ['i-0abc'],
      IncludeAllInstances: true,
    });
    expect(instance.facts).toMatchObject({ instanceStatus: 'ok', systemStatus: 'initializing' });
    expect(instance.related.map((item) => `${item.kind}:${item.id}`)).toEqual([
      'ec2-image:ami-0new',
      'ebs-snapshot:snap-0new',
      'ebs-volume:vol-0root',
    ]);
    // Each volume's device name and size, compared with the backup's block devices.
    expect(instance.related[2]).toMatchObject({
      deleteOnTermination: true,
      deviceName: '/dev/xvda',
      sizeGiB: 8,
    });
  });

  it('tags exactly the targets, and deletes each kind with its own call', async () => {
    // Prepare
    ec2Mock.on(CreateTagsCommand).resolves({});
    ec2Mock.on(TerminateInstancesCommand).resolves({});
    ec2Mock.on(DeregisterImageCommand).resolves({});
    ec2Mock.on(DeleteSnapshotCommand).resolves({});
    const instance = stub({ type: 'EC2', id: 'i-0abc' });
    // Act
    await ec2.tag(
      instance,
      [
        { kind: 'main', id: 'i-0abc' },
        { kind: 'ec2-image', id: 'ami-0new' },
      ],
      { a: 'b' },
    );
    const results = [
      await ec2.delete({ type: 'EC2', kind: 'main', id: 'i-0abc' }, instance),
      await ec2.delete({ type: 'EC2', kind: 'ec2-image', id: 'ami-0new' }, instance),
      await ec2.delete({ type: 'EC2', kind: 'ebs-snapshot', id: 'snap-0new' }, instance),
    ];
    // Assess
    expect(ec2Mock).toHaveReceivedCommandWith(CreateTagsCommand, {
      Resources: ['i-0abc', 'ami-0new'],
      Tags: [{ Key: 'a', Value: 'b' }],
    });
    expect(ec2Mock).toHaveReceivedCommandWith(TerminateInstancesCommand, { InstanceIds: ['i-0abc'] });
    expect(ec2Mock).toHaveReceivedCommandWith(DeregisterImageCommand, { ImageId: 'ami-0new' });
    expect(ec2Mock).toHaveReceivedCommandWith(DeleteSnapshotCommand, { SnapshotId: 'snap-0new' });
    expect(results).toEqual(['done', 'done', 'done']);
  });

  it('waits while a snapshot is still used by its AMI', async () => {
    ec2Mock
      .on(DeleteSnapshotCommand)
      .rejects(Object.assign(new Error('in use'), { name: 'InvalidSnapshot.InUse' }));
    expect(
      await ec2.delete({ type: 'EC2', kind: 'ebs-snapshot', id: 'snap-0new' }, stub({ type: 'EC2' })),
    ).toBe('waiting');
  });
});

describe('restored EFS file system', () => {
  beforeEach(() => efsMock.reset());

  it('reports lifecycle state and creation token', async () => {
    efsMock.on(DescribeFileSystemsCommand).resolves({
      FileSystems: [
        {
          FileSystemId: 'fs-0abc',
          CreationToken: 'dr-autopilot-0123456789ab',
          LifeCycleState: 'available',
          CreationTime: CREATED,
          Tags: [],
          SizeInBytes: { Value: 6144 },
          NumberOfMountTargets: 0,
          OwnerId: '111122223333',
          PerformanceMode: 'generalPurpose',
        },
      ],
    });
    const fileSystem = await efs.inspect(
      'arn:aws:elasticfilesystem:us-west-2:111122223333:file-system/fs-0abc',
    );
    expect(fileSystem).toMatchObject({
      exists: true,
      status: 'available',
      name: 'dr-autopilot-0123456789ab',
    }); // No mount target: none is described.
    expect(efsMock).toHaveReceivedCommandTimes(DescribeMountTargetsCommand, 0);
  });

  it('reports its metered size with when it was metered, and its mount targets by state', async () => {
    efsMock.on(DescribeFileSystemsCommand).resolves({
      FileSystems: [
        {
          FileSystemId: 'fs-0abc',
          CreationToken: 'dr-autopilot-0123456789ab',
          LifeCycleState: 'available',
          CreationTime: CREATED,
          SizeInBytes: { Value: 52_428_800, Timestamp: new Date('2026-11-22T10:30:00Z') },
          NumberOfMountTargets: 3,
          Tags: [],
          OwnerId: '111122223333',
          PerformanceMode: 'generalPurpose',
        },
      ],
    });
    efsMock.on(DescribeMountTargetsCommand).resolves({
      MountTargets: [
        {
          MountTargetId: 'fsmt-1',
          FileSystemId: 'fs-0abc',
          SubnetId: 's',
          OwnerId: 'o',
          LifeCycleState: 'available',
        },
        {
          MountTargetId: 'fsmt-2',
          FileSystemId: 'fs-0abc',
          SubnetId: 's',
          OwnerId: 'o',
          LifeCycleState: 'creating',
        },
        {
          MountTargetId: 'fsmt-3',
          FileSystemId: 'fs-0abc',
          SubnetId: 's',
          OwnerId: 'o',
          LifeCycleState: 'error',
        },
      ],
    });
    const fileSystem = await efs.inspect(
      'arn:aws:elasticfilesystem:us-west-2:111122223333:file-system/fs-0abc',
    );
    expect(fileSystem.facts).toMatchObject({
      sizeInBytes: 52_428_800,
      sizeMeteredAt: '2026-11-22T10:30:00.000Z',
      mountTargets: 3,
      mountTargetsAvailable: 1,
      mountTargetsFailed: 1,
    });
  });

  it('removes mount targets first, then the file system', async () => {
    // Prepare
    efsMock
      .on(DescribeMountTargetsCommand)
      .resolvesOnce({
        MountTargets: [
          {
            MountTargetId: 'fsmt-1',
            FileSystemId: 'fs-0abc',
            SubnetId: 's',
            LifeCycleState: 'available',
            OwnerId: '1',
          },
        ],
      })
      .resolves({ MountTargets: [] });
    efsMock.on(DeleteMountTargetCommand).resolves({});
    efsMock.on(DeleteFileSystemCommand).resolves({});
    const fileSystem = stub({ type: 'EFS', id: 'fs-0abc' });
    // Act
    const first = await efs.delete({ type: 'EFS', kind: 'main', id: 'fs-0abc' }, fileSystem);
    const second = await efs.delete({ type: 'EFS', kind: 'main', id: 'fs-0abc' }, fileSystem);
    // Assess
    expect([first, second]).toEqual(['waiting', 'done']);
    expect(efsMock).toHaveReceivedCommandWith(DeleteMountTargetCommand, { MountTargetId: 'fsmt-1' });
    expect(efsMock).toHaveReceivedCommandTimes(DeleteFileSystemCommand, 1);
  });
});

describe('restored S3 bucket', () => {
  beforeEach(() => s3Mock.reset());

  it('reports the objects it holds and its tags', async () => {
    s3Mock.on(HeadBucketCommand).resolves({});
    s3Mock.on(GetBucketTaggingCommand).resolves({ TagSet: [{ Key: 'k', Value: 'v' }] });
    s3Mock
      .on(ListObjectsV2Command)
      .resolvesOnce({
        Contents: [
          { Key: 'a', Size: 100 },
          { Key: 'b', Size: 20 },
        ],
        IsTruncated: true,
        NextContinuationToken: 'page-2',
      })
      .resolvesOnce({ Contents: [{ Key: 'c', Size: 3 }], IsTruncated: false });
    const bucket = await s3.inspect('arn:aws:s3:::dr-autopilot-0123456789ab');
    expect(bucket).toMatchObject({
      id: 'dr-autopilot-0123456789ab',
      exists: true,
      tags: { k: 'v' },
      facts: { objects: 3, bytes: 123, listingComplete: true },
    });
    // Every page is asked for with the previous page's token, naming the bucket owner.
    expect(s3Mock).toHaveReceivedNthCommandWith(ListObjectsV2Command, 2, {
      Bucket: 'dr-autopilot-0123456789ab',
      ContinuationToken: 'page-2',
      ExpectedBucketOwner: '111122223333',
    });
  });

  it('counts at most ten pages of a large bucket, and says the count is partial', async () => {
    s3Mock.on(HeadBucketCommand).resolves({});
    s3Mock.on(GetBucketTaggingCommand).resolves({ TagSet: [] });
    s3Mock.on(ListObjectsV2Command).resolves({
      Contents: [{ Key: 'k', Size: 1 }],
      IsTruncated: true,
      NextContinuationToken: 'more',
    });
    const bucket = await s3.inspect('arn:aws:s3:::dr-autopilot-0123456789ab');
    expect(bucket.facts).toEqual({ objects: 10, bytes: 10, listingComplete: false });
    expect(s3Mock).toHaveReceivedCommandTimes(ListObjectsV2Command, 10);
  });

  it('reports a missing bucket as not existing', async () => {
    s3Mock.on(HeadBucketCommand).rejects(Object.assign(new Error('nf'), { name: 'NotFound' }));
    expect((await s3.inspect('arn:aws:s3:::gone')).exists).toBe(false);
  });

  it('keeps existing tags when adding ours', async () => {
    s3Mock.on(PutBucketTaggingCommand).resolves({});
    await s3.tag(stub({ type: 'S3', id: 'b', tags: { k: 'v' } }), [], { a: 'b' });
    expect(s3Mock).toHaveReceivedCommandWith(PutBucketTaggingCommand, {
      Bucket: 'b',
      Tagging: {
        TagSet: [
          { Key: 'k', Value: 'v' },
          { Key: 'a', Value: 'b' },
        ],
      },
    });
  });

  it('deletes every version and delete marker, then the bucket', async () => {
    // Prepare
    s3Mock
      .on(ListObjectVersionsCommand)
      .resolvesOnce({
        Versions: [{ Key: 'a', VersionId: '1' }],
        DeleteMarkers: [{ Key: 'a', VersionId: '2' }],
      })
      .resolves({});
    s3Mock.on(DeleteObjectsCommand).resolves({});
    s3Mock.on(DeleteBucketCommand).resolves({});
    // Act
    const result = await s3.delete(
      { type: 'S3', kind: 'main', id: 'dr-autopilot-0123456789ab' },
      stub({ type: 'S3' }),
    );
    // Assess
    expect(s3Mock).toHaveReceivedCommandWith(DeleteObjectsCommand, {
      Bucket: 'dr-autopilot-0123456789ab',
      Delete: {
        Objects: [
          { Key: 'a', VersionId: '1' },
          { Key: 'a', VersionId: '2' },
        ],
        Quiet: true,
      },
    });
    expect(s3Mock).toHaveReceivedCommandWith(DeleteBucketCommand, { Bucket: 'dr-autopilot-0123456789ab' });
    expect(result).toBe('done');
  });

  it('names this account as the expected bucket owner on every call', async () => {
    // Prepare
    s3Mock.on(HeadBucketCommand).resolves({});
    s3Mock.on(GetBucketTaggingCommand).resolves({ TagSet: [] });
    s3Mock.on(ListObjectsV2Command).resolves({ KeyCount: 1 });
    s3Mock.on(PutBucketTaggingCommand).resolves({});
    s3Mock
      .on(ListObjectVersionsCommand)
      .resolvesOnce({ Versions: [{ Key: 'a', VersionId: '1' }] })
      .resolves({});
    s3Mock.on(DeleteObjectsCommand).resolves({});
    s3Mock.on(DeleteBucketCommand).resolves({});
    // Act
    const bucket = await s3.inspect('arn:aws:s3:::dr-autopilot-0123456789ab');
    await s3.tag(bucket, [], { a: 'b' });
    await s3.delete({ type: 'S3', kind: 'main', id: 'dr-autopilot-0123456789ab' }, bucket);
    // Assess
    const calls = s3Mock.calls();
    expect(calls).toHaveLength(8);
    for (const call of calls) {
      expect(call.args[0].input, call.args[0].constructor.name).toMatchObject({ ExpectedBucketOwner: OWNER });
    }
  });
});
