import { describe, expect, it } from 'vitest';
import {
  buildRestoreMetadata,
  getKey,
  type MetadataInput,
  restoreNameFor,
  restoreTokenFor,
} from '../../../src/domain/restore-metadata.ts';
import type { RestoreSettings } from '../../../src/domain/restore-settings.ts';

const REGION = 'us-west-2';
const NAME = 'dr-autopilot-0123456789ab';
const KEY = 'arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const FOREIGN_KEY = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';

function input(overrides: Partial<MetadataInput>): MetadataInput {
  return {
    resourceType: 'EBS',
    inferred: {},
    settings: {},
    region: REGION,
    name: NAME,
    mode: 'test',
    ...overrides,
  };
}

describe('buildRestoreMetadata', () => {
  it.each<{ name: string; input: Partial<MetadataInput>; expected: Record<string, string | undefined> }>([
    {
      name: 'EBS: configured AZ and DR key replace the inferred ones',
      input: {
        resourceType: 'EBS',
        inferred: { availabilityZone: 'us-west-2b', encrypted: 'false', kmsKeyId: FOREIGN_KEY },
        settings: { EBS: { availabilityZone: 'us-west-2a', kmsKeyArn: KEY } },
      },
      expected: { availabilityZone: 'us-west-2a', encrypted: 'true', kmsKeyId: KEY },
    },
    {
      name: 'EBS: an inferred AZ of this Region is kept; a foreign key is dropped',
      input: { resourceType: 'EBS', inferred: { availabilityZone: 'us-west-2c', kmsKeyId: FOREIGN_KEY } },
      expected: { availabilityZone: 'us-west-2c', encrypted: 'true', kmsKeyId: undefined },
    },
    {
      name: 'EC2: subnet, security groups, instance type; source placement dropped',
      input: {
        resourceType: 'EC2',
        inferred: {
          InstanceType: 'm5.large',
          SubnetId: 'subnet-0source',
          NetworkInterfaces: '[]',
          Placement: '{"AvailabilityZone":"us-east-1a"}',
          vpcId: 'vpc-0source',
        },
        settings: { EC2: { subnetId: 'subnet-0dr', securityGroupIds: ['sg-0dr'], instanceType: 't3.micro' } },
      },
      expected: {
        SubnetId: 'subnet-0dr',
        securityGroupIds: '["sg-0dr"]',
        InstanceType: 't3.micro',
        NetworkInterfaces: undefined,
        Placement: undefined,
        vpcId: undefined,
      },
    },
    {
      name: 'RDS: unique identifier, DR subnet group and security groups, no source option group, private',
      input: {
        resourceType: 'RDS',
        inferred: {
          dbInstanceIdentifier: 'awsbackup-restore-test-1',
          optionGroupName: 'src-og',
          availabilityZone: 'us-east-1a',
        },
        settings: { RDS: { dbSubnetGroupName: 'dr-subnets', securityGroupIds: ['sg-0aa', 'sg-0bb'] } },
      },
      expected: {
        dbInstanceIdentifier: NAME,
        dbSubnetGroupName: 'dr-subnets',
        vpcSecurityGroupIds: '["sg-0aa","sg-0bb"]',
        optionGroupName: undefined,
        availabilityZone: undefined,
        publiclyAccessible: 'false',
        deletionProtection: 'false',
      },
    },
    {
      name: 'Aurora: unique cluster identifier, DR network, DR key, foreign AZs dropped',
      input: {
        resourceType: 'Aurora',
        inferred: {
          dbClusterIdentifier: 'awsbackup-restore-test-2',
          availabilityZones: '["us-east-1a","us-east-1b"]',
          kmsKeyId: FOREIGN_KEY,
        },
        settings: {
          Aurora: { dbSubnetGroupName: 'dr-subnets', securityGroupIds: ['sg-0aa'], kmsKeyArn: KEY },
        },
      },
      expected: {
        dbClusterIdentifier: NAME,
        dbSubnetGroupName: 'dr-subnets',
        vpcSecurityGroupIds: '["sg-0aa"]',
        availabilityZones: undefined,
        kmsKeyId: KEY,
      },
    },
    {
      name: 'DynamoDB: unique table name; no key configured means the AWS-owned key',
      input: {
        resourceType: 'DynamoDB',
        inferred: {
          targetTableName: 'awsbackup-restore-test-3',
          encryptionType: 'KMS',
          kmsMasterKeyArn: FOREIGN_KEY,
        },
      },
      expected: {
        targetTableName: NAME,
        encryptionType: 'Default',
        kmsMasterKeyArn: undefined,
        deletionProtection: 'false',
      },
    },
    {
      name: 'DynamoDB: a DR key means a customer managed key',
      input: { resourceType: 'DynamoDB', inferred: {}, settings: { DynamoDB: { kmsKeyArn: KEY } } },
      expected: { targetTableName: NAME, encryptionType: 'KMS', kmsMasterKeyArn: KEY },
    },
    {
      name: 'EFS: a new, encrypted file system with a unique creation token',
      input: {
        resourceType: 'EFS',
        inferred: { 'file-system-id': 'fs-0source', newFileSystem: 'false', KmsKeyId: FOREIGN_KEY },
        settings: { EFS: { kmsKeyArn: KEY } },
      },
      expected: {
        newFileSystem: 'true',
        Encrypted: 'true',
        CreationToken: NAME,
        KmsKeyId: KEY,
        PerformanceMode: 'generalPurpose',
      },
    },
    {
      name: 'S3: a new bucket, SSE-S3 (the original encryption cannot cross Regions), no point in time',
      input: {
        resourceType: 'S3',
        inferred: { EncryptionType: 'original', RestoreTime: '2026-01-01T00:00:00Z' },
      },
      expected: {
        DestinationBucketName: NAME,
        NewBucket: 'true',
        EncryptionType: 'SSE-S3',
        RestoreTime: undefined,
      },
    },
    {
      name: 'S3: SSE-KMS with the DR key',
      input: { resourceType: 'S3', settings: { S3: { kmsKeyArn: KEY } } },
      expected: { EncryptionType: 'SSE-KMS', KMSKey: KEY },
    },
  ])('$name', ({ input: overrides, expected }) => {
    // Prepare
    const request = input(overrides);
    // Act
    const decision = buildRestoreMetadata(request);
    // Assess
    expect(decision.kind).toBe('restore');
    if (decision.kind !== 'restore') return;
    for (const [key, value] of Object.entries(expected))
      expect(getKey(decision.metadata, key), key).toBe(value);
  });

  it('rewrites every EC2 block device to encrypted with the DR key and drops unsupported fields', () => {
    // Prepare
    const mappings = [
      {
        DeviceName: '/dev/xvda',
        Ebs: { VolumeSize: 8, KmsKeyId: FOREIGN_KEY, SnapshotId: 'snap-1', Encrypted: false },
      },
      { DeviceName: '/dev/xvdb', Ebs: { VolumeSize: 20, OutpostArn: 'arn:aws:outposts:x' } },
    ];
    // Act
    const decision = buildRestoreMetadata(
      input({
        resourceType: 'EC2',
        inferred: { BlockDeviceMappings: JSON.stringify(mappings) },
        settings: { EC2: { subnetId: 'subnet-0dr', securityGroupIds: ['sg-0dr'], kmsKeyArn: KEY } },
      }),
    );
    // Assess
    if (decision.kind !== 'restore') throw new Error(`expected restore, got ${decision.kind}`);
    expect(JSON.parse(decision.metadata.BlockDeviceMappings ?? '[]')).toEqual([
      { DeviceName: '/dev/xvda', Ebs: { VolumeSize: 8, KmsKeyId: KEY, Encrypted: true } },
      { DeviceName: '/dev/xvdb', Ebs: { VolumeSize: 20, KmsKeyId: KEY, Encrypted: true } },
    ]);
  });

  it("takes EC2's block devices from the backed-up configuration when the inferred metadata has none", () => {
    const decision = buildRestoreMetadata(
      input({
        resourceType: 'EC2',
        inferred: { instanceType: 't3.micro' },
        original: {
          BlockDeviceMappings: JSON.stringify([{ DeviceName: '/dev/xvda', Ebs: { VolumeSize: 8 } }]),
        },
        settings: { EC2: { subnetId: 'subnet-0dr', securityGroupIds: ['sg-0dr'], kmsKeyArn: KEY } },
      }),
    );
    if (decision.kind !== 'restore') throw new Error(`expected restore, got ${decision.kind}`);
    expect(JSON.parse(getKey(decision.metadata, 'BlockDeviceMappings') ?? 'null')).toEqual([
      { DeviceName: '/dev/xvda', Ebs: { VolumeSize: 8, KmsKeyId: KEY, Encrypted: true } },
    ]);
  });

  it.each<{ name: string; original: Record<string, string> }>([
    { name: 'no BlockDeviceMappings anywhere', original: {} },
    { name: 'BlockDeviceMappings that are not JSON', original: { BlockDeviceMappings: 'not json' } },
    {
      name: 'no EBS device',
      original: {
        BlockDeviceMappings: JSON.stringify([{ DeviceName: '/dev/sdb', VirtualName: 'ephemeral0' }]),
      },
    },
  ])('never ignores the EC2 KMS key silently: $name', ({ original }) => {
    const decision = buildRestoreMetadata(
      input({
        resourceType: 'EC2',
        inferred: { instanceType: 't3.micro' },
        original,
        settings: { EC2: { subnetId: 'subnet-0dr', securityGroupIds: ['sg-0dr'], kmsKeyArn: KEY } },
      }),
    );
    expect(decision).toMatchObject({
      kind: 'inapplicable',
      setting: 'RESTORE_SETTINGS.EC2.kmsKeyArn',
      reason: expect.stringContaining('BlockDeviceMappings'),
    });
  });

  it('restores EC2 without block devices when no key is configured', () => {
    const decision = buildRestoreMetadata(
      input({
        resourceType: 'EC2',
        inferred: { instanceType: 't3.micro' },
        settings: { EC2: { subnetId: 'subnet-0dr', securityGroupIds: ['sg-0dr'] } },
      }),
    );
    expect(decision.kind).toBe('restore');
  });

  it.each<{ type: string; settings: RestoreSettings; inferred?: Record<string, string>; missing: string[] }>([
    {
      type: 'EBS',
      settings: {},
      inferred: { availabilityZone: 'us-east-1a' },
      missing: ['RESTORE_SETTINGS.EBS.availabilityZone'],
    },
    {
      type: 'EC2',
      settings: {},
      missing: ['RESTORE_SETTINGS.EC2.subnetId', 'RESTORE_SETTINGS.EC2.securityGroupIds'],
    },
    {
      type: 'RDS',
      settings: { RDS: { securityGroupIds: ['sg-0a'] } },
      missing: ['RESTORE_SETTINGS.RDS.dbSubnetGroupName'],
    },
    {
      type: 'Aurora',
      settings: { Aurora: { dbSubnetGroupName: 'x' } },
      missing: ['RESTORE_SETTINGS.Aurora.securityGroupIds'],
    },
    {
      type: 'EFS',
      settings: {},
      inferred: { singleAzFilesystem: 'true', availabilityZoneName: 'us-east-1a' },
      missing: ['RESTORE_SETTINGS.EFS.availabilityZone'],
    },
  ])('names what $type lacks: $missing', ({ type, settings, inferred, missing }) => {
    // Act
    const decision = buildRestoreMetadata(input({ resourceType: type, settings, inferred: inferred ?? {} }));
    // Assess
    expect(decision).toEqual({ kind: 'misconfigured', missing });
  });

  it.each(['FSx', 'DocumentDB', 'Neptune', 'type', undefined])('skips the unsupported type %s', (type) => {
    // Act
    const decision = buildRestoreMetadata(input({ resourceType: type }));
    // Assess
    expect(decision.kind).toBe('unsupported');
  });

  it('replaces keys whatever their case and keeps the casing AWS used', () => {
    // Act
    const decision = buildRestoreMetadata(
      input({ resourceType: 'DynamoDB', inferred: { TargetTableName: 'x', targettablename: 'y' } }),
    );
    // Assess
    if (decision.kind !== 'restore') throw new Error('expected restore');
    expect(Object.keys(decision.metadata).filter((key) => key.toLowerCase() === 'targettablename')).toEqual([
      'TargetTableName',
    ]);
    expect(decision.metadata.TargetTableName).toBe(NAME);
  });
});

describe('restoreTokenFor / restoreNameFor', () => {
  it('derives the same token from the same recovery point and purpose, and a different one otherwise', () => {
    const arn = 'arn:aws:backup:us-west-2:111122223333:recovery-point:abc';
    expect(restoreTokenFor(arn, 'copy')).toBe(restoreTokenFor(arn, 'copy'));
    expect(restoreTokenFor(arn, 'copy')).not.toBe(
      restoreTokenFor(arn, 'scheduled-test:2026-11-22T05:00:00Z'),
    );
    expect(restoreTokenFor(arn, 'copy')).not.toBe(restoreTokenFor(`${arn}x`, 'copy'));
  });

  it('makes names valid as RDS identifiers and S3 bucket names', () => {
    const name = restoreNameFor(restoreTokenFor('arn:aws:ec2:us-west-2::snapshot/snap-1', 'copy'));
    expect(name).toMatch(/^[a-z][a-z0-9-]{2,62}$/);
    expect(name).not.toMatch(/--|-$/);
  });
});
