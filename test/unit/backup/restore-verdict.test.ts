import { describe, expect, it } from 'vitest';
import {
  assessRestoreResult,
  judgeRestoredResource,
  measureRestore,
  type RestoreExpectations,
} from '../../../src/domain/restore-verdict.ts';
import type { RestoredResource } from '../../../src/ports/restored-resources.ts';

function resource(overrides: Partial<RestoredResource>): RestoredResource {
  return {
    type: 'DynamoDB',
    arn: 'arn:x',
    id: 'x',
    exists: true,
    tags: {},
    facts: {},
    related: [],
    ...overrides,
  };
}

describe('judgeRestoredResource', () => {
  it.each<{ name: string; resource: Partial<RestoredResource>; size?: number; verdict: string }>([
    {
      name: 'DynamoDB ACTIVE with items',
      resource: { status: 'ACTIVE', facts: { sampledItems: 3, itemCount: 120 } },
      verdict: 'passed',
    },
    {
      name: 'DynamoDB ACTIVE but empty',
      resource: { status: 'ACTIVE', facts: { sampledItems: 0 } },
      verdict: 'failed',
    },
    {
      name: 'DynamoDB empty from an empty backup',
      resource: { status: 'ACTIVE', facts: { sampledItems: 0 } },
      size: 0,
      verdict: 'passed',
    },
    { name: 'DynamoDB CREATING', resource: { status: 'CREATING' }, verdict: 'pending' },
    { name: 'DynamoDB missing', resource: { exists: false }, verdict: 'failed' },
    {
      name: 'RDS available with an endpoint',
      resource: { type: 'RDS', status: 'available', facts: { endpoint: 'db.example:5432' } },
      verdict: 'passed',
    },
    {
      name: 'RDS available without an endpoint',
      resource: { type: 'RDS', status: 'available' },
      verdict: 'failed',
    },
    { name: 'RDS creating', resource: { type: 'RDS', status: 'creating' }, verdict: 'pending' },
    {
      name: 'RDS incompatible-restore',
      resource: { type: 'RDS', status: 'incompatible-restore' },
      verdict: 'failed',
    },
    {
      name: 'Aurora available with an available instance',
      resource: {
        type: 'Aurora',
        status: 'available',
        facts: { endpoint: 'cluster.example:3306' },
        related: [{ kind: 'rds-instance', id: 'v', tags: {}, status: 'available' }],
      },
      verdict: 'passed',
    },
    {
      name: 'Aurora instance still creating',
      resource: {
        type: 'Aurora',
        status: 'available',
        related: [{ kind: 'rds-instance', id: 'v', tags: {}, status: 'creating' }],
      },
      verdict: 'pending',
    },
    {
      name: 'Aurora instance failed',
      resource: {
        type: 'Aurora',
        status: 'available',
        related: [{ kind: 'rds-instance', id: 'v', tags: {}, status: 'failed' }],
      },
      verdict: 'failed',
    },
    {
      name: 'Aurora cluster inaccessible key',
      resource: { type: 'Aurora', status: 'inaccessible-encryption-credentials' },
      verdict: 'failed',
    },
    {
      name: 'EBS available',
      resource: { type: 'EBS', status: 'available', facts: { sizeGiB: 32 } },
      verdict: 'passed',
    },
    { name: 'EBS creating', resource: { type: 'EBS', status: 'creating' }, verdict: 'pending' },
    { name: 'EBS error', resource: { type: 'EBS', status: 'error' }, verdict: 'failed' },
    {
      name: 'EC2 running, checks ok',
      resource: { type: 'EC2', status: 'running', facts: { instanceStatus: 'ok', systemStatus: 'ok' } },
      verdict: 'passed',
    },
    {
      name: 'EC2 running, checks initializing',
      resource: {
        type: 'EC2',
        status: 'running',
        facts: { instanceStatus: 'initializing', systemStatus: 'ok' },
      },
      verdict: 'pending',
    },
    {
      name: 'EC2 running, instance check impaired',
      resource: { type: 'EC2', status: 'running', facts: { instanceStatus: 'impaired', systemStatus: 'ok' } },
      verdict: 'failed',
    },
    { name: 'EC2 stopped', resource: { type: 'EC2', status: 'stopped', facts: {} }, verdict: 'failed' },
    { name: 'EC2 pending', resource: { type: 'EC2', status: 'pending', facts: {} }, verdict: 'pending' },
    {
      name: 'EFS available, data metered',
      resource: { type: 'EFS', status: 'available', facts: { sizeInBytes: 5_000_000 } },
      verdict: 'passed',
    },
    { name: 'EFS creating', resource: { type: 'EFS', status: 'creating' }, verdict: 'pending' },
    { name: 'EFS error', resource: { type: 'EFS', status: 'error' }, verdict: 'failed' },
    {
      name: 'S3 with objects',
      resource: { type: 'S3', status: 'exists', facts: { objects: 10, bytes: 2048 } },
      verdict: 'passed',
    },
    {
      name: 'S3 empty',
      resource: { type: 'S3', status: 'exists', facts: { objects: 0, bytes: 0 } },
      verdict: 'failed',
    },
    {
      name: 'S3 empty from an empty backup',
      resource: { type: 'S3', status: 'exists', facts: { objects: 0, bytes: 0 } },
      size: 0,
      verdict: 'passed',
    },
  ])('$name → $verdict', ({ resource: overrides, size, verdict }) => {
    expect(judgeRestoredResource(resource(overrides), { backupSizeInBytes: size }).verdict).toBe(verdict);
  });

  describe('compared with the recovery point', () => {
    const judge = (overrides: Partial<RestoredResource>, expected: RestoreExpectations) =>
      judgeRestoredResource(resource(overrides), expected);
    const rds = (engine: string, engineVersion: string): Partial<RestoredResource> => ({
      type: 'RDS',
      status: 'available',
      facts: { endpoint: 'db.example:5432', engine, engineVersion },
    });

    it('fails an RDS restore whose engine or version is not the backed-up one (metadata keys in any case)', () => {
      const metadata = { Engine: 'postgres', EngineVersion: '16.4' };
      expect(judge(rds('postgres', '16.4'), { metadata }).verdict).toBe('passed');
      expect(
        judge(rds('postgres', '16.4'), { metadata: { engine: 'postgres', engineVersion: '16.4' } }).verdict,
      ).toBe('passed');
      const wrongVersion = judge(rds('postgres', '15.8'), { metadata });
      expect(wrongVersion.verdict).toBe('failed');
      expect(wrongVersion.checks).toContain("engine version 15.8, older than the backed-up database's 16.4");
      // RDS upgrades a snapshot of a version it no longer supports while restoring it: newer passes, and says so.
      const upgraded = judge(rds('postgres', '13.15'), {
        metadata: { Engine: 'postgres', EngineVersion: '13.7' },
      });
      expect(upgraded.verdict).toBe('passed');
      expect(upgraded.checks).toContain('engine version 13.15, upgraded by RDS from the backed-up 13.7');
      expect(judge(rds('mysql', '16.4'), { metadata }).verdict).toBe('failed');
      // Without metadata, it says what it could not compare.
      expect(judge(rds('postgres', '16.4'), {}).checks).toContain(
        'engine version 16.4 (the backup names none)',
      );
    });

    it('fails an Aurora cluster whose engine version differs from the backup', () => {
      const aurora: Partial<RestoredResource> = {
        type: 'Aurora',
        status: 'available',
        facts: {
          endpoint: 'c.example:3306',
          engine: 'aurora-mysql',
          engineVersion: '8.0.mysql_aurora.3.05.2',
        },
        related: [{ kind: 'rds-instance', id: 'v', tags: {}, status: 'available' }],
      };
      expect(
        judge(aurora, { metadata: { Engine: 'aurora-mysql', EngineVersion: '8.0.mysql_aurora.3.05.2' } })
          .verdict,
      ).toBe('passed');
      expect(
        judge(aurora, { metadata: { Engine: 'aurora-mysql', EngineVersion: '8.0.mysql_aurora.3.07.1' } })
          .verdict,
      ).toBe('failed');
    });

    it('fails an EBS volume smaller than the backed-up one', () => {
      const volume = (sizeGiB: number): Partial<RestoredResource> => ({
        type: 'EBS',
        status: 'available',
        facts: { sizeGiB },
      });
      expect(judge(volume(32), { metadata: { volumeSize: '32' } }).verdict).toBe('passed');
      const small = judge(volume(8), { metadata: { volumeSize: '32' } });
      expect(small.verdict).toBe('failed');
      expect(small.checks).toContain('volume x is 8 GiB, smaller than the 32 GiB backed up');
      expect(judge(volume(8), {}).checks).toContain('volume x is 8 GiB (the backup names no size)');
    });

    it('fails an EC2 restore missing a backed-up device, or with a device smaller than backed up', () => {
      const mappings = JSON.stringify([
        { DeviceName: '/dev/xvda', Ebs: { VolumeSize: 8 } },
        { DeviceName: '/dev/sdf', Ebs: { VolumeSize: 32 } },
      ]);
      const instance = (volumes: { deviceName: string; sizeGiB: number }[]): Partial<RestoredResource> => ({
        type: 'EC2',
        status: 'running',
        facts: { instanceStatus: 'ok', systemStatus: 'ok' },
        related: volumes.map((volume, index) => ({
          kind: 'ebs-volume',
          id: `vol-${index}`,
          tags: {},
          ...volume,
        })),
      });
      const whole = [
        { deviceName: '/dev/xvda', sizeGiB: 8 },
        { deviceName: '/dev/sdf', sizeGiB: 32 },
      ];
      expect(judge(instance(whole), { metadata: { BlockDeviceMappings: mappings } }).verdict).toBe('passed');
      const missing = judge(instance(whole.slice(0, 1)), { metadata: { BlockDeviceMappings: mappings } });
      expect(missing.verdict).toBe('failed');
      expect(missing.checks).toContain('device /dev/sdf of the backup is not attached');
      // A device the backup suppresses (NoDevice) is not expected.
      const suppressed = JSON.stringify([
        { DeviceName: '/dev/xvda', Ebs: { VolumeSize: 8 } },
        { DeviceName: '/dev/sdf', NoDevice: '', Ebs: { VolumeSize: 32 } },
      ]);
      expect(
        judge(instance(whole.slice(0, 1)), { metadata: { BlockDeviceMappings: suppressed } }).verdict,
      ).toBe('passed');
      const shrunk = judge(instance([whole[0] as never, { deviceName: '/dev/sdf', sizeGiB: 16 }]), {
        metadata: { BlockDeviceMappings: mappings },
      });
      expect(shrunk.verdict).toBe('failed');
    });

    it('judges an EFS restore empty only from a size metered after the restore completed', () => {
      const completionDate = new Date('2026-11-22T10:00:00Z');
      const efs = (sizeInBytes: number, sizeMeteredAt: string, extra: Record<string, number> = {}) => ({
        type: 'EFS' as const,
        status: 'available',
        facts: { sizeInBytes, sizeMeteredAt, mountTargets: 0, ...extra },
      });
      const expected = { backupSizeInBytes: 50_000_000, completionDate };
      expect(judge(efs(6144, '2026-11-22T09:59:00.000Z'), expected).verdict).toBe('pending');
      // Measured after completion, but before the size settles (a couple of hours without writes).
      expect(judge(efs(6144, '2026-11-22T10:20:00.000Z'), expected).verdict).toBe('pending');
      expect(judge(efs(6144, '2026-11-22T11:59:00.000Z'), expected).verdict).toBe('pending');
      // No metering time: not judged either.
      expect(
        judge(
          { type: 'EFS', status: 'available', facts: { sizeInBytes: 6144, sizeMeteredAt: null } },
          expected,
        ).checks,
      ).toContain('EFS gives no time for this size yet');
      const empty = judge(efs(6144, '2026-11-22T12:00:00.000Z'), expected);
      expect(empty.verdict).toBe('failed');
      expect(empty.checks).toContain('the file system holds no data although the backup does');
      expect(judge(efs(48_000_000, '2026-11-22T10:20:00.000Z'), expected).verdict).toBe('passed');
      // A tiny backup (metadata only) restores to a tiny file system.
      expect(
        judge(efs(6144, '2026-11-22T10:20:00.000Z'), { backupSizeInBytes: 6144, completionDate }).verdict,
      ).toBe('passed');
      // Mount targets someone created must be available; one in error fails.
      const metered = '2026-11-22T10:20:00.000Z';
      expect(
        judge(efs(48_000_000, metered, { mountTargets: 2, mountTargetsAvailable: 1 }), expected).verdict,
      ).toBe('pending');
      expect(
        judge(
          efs(48_000_000, metered, { mountTargets: 2, mountTargetsAvailable: 1, mountTargetsFailed: 1 }),
          expected,
        ).verdict,
      ).toBe('failed');
    });
  });

  it('asks for a validation instance when a restored Aurora cluster has none', () => {
    const judgement = judgeRestoredResource(resource({ type: 'Aurora', status: 'available' }), {});
    expect(judgement).toMatchObject({ verdict: 'pending', prepare: 'create-aurora-instance' });
  });
});

describe('measureRestore / assessRestoreResult', () => {
  const base = {
    jobCreation: new Date('2026-11-22T10:00:00Z'),
    jobCompletion: new Date('2026-11-22T10:20:00Z'),
    recoveryPointCreation: new Date('2026-11-22T09:30:00Z'),
    validatedAt: new Date('2026-11-22T10:25:00Z'),
  };

  it('measures restore, validation, RTO and recovery-point age', () => {
    expect(measureRestore({ ...base, rtoSeconds: 3600, rpoSeconds: 3600 })).toEqual({
      restoreSeconds: 1200,
      validationSeconds: 300,
      measuredRtoSeconds: 1500,
      rtoSeconds: 3600,
      rtoMet: true,
      recoveryPointAgeSeconds: 1800,
      rpoSeconds: 3600,
      rpoMet: true,
    });
  });

  it.each<{
    name: string;
    verdict: 'passed' | 'failed' | 'timed-out';
    rto: number;
    rpo: number;
    checkRpo: boolean;
    state: string;
  }>([
    {
      name: 'passed within objectives',
      verdict: 'passed',
      rto: 3600,
      rpo: 3600,
      checkRpo: true,
      state: 'READY',
    },
    {
      name: 'passed but slower than the RTO',
      verdict: 'passed',
      rto: 600,
      rpo: 3600,
      checkRpo: true,
      state: 'AT_RISK',
    },
    {
      name: 'passed but older than the RPO',
      verdict: 'passed',
      rto: 3600,
      rpo: 900,
      checkRpo: true,
      state: 'AT_RISK',
    },
    {
      name: 'old data in a scheduled test (RPO not judged)',
      verdict: 'passed',
      rto: 3600,
      rpo: 900,
      checkRpo: false,
      state: 'READY',
    },
    { name: 'failed', verdict: 'failed', rto: 3600, rpo: 3600, checkRpo: true, state: 'NOT_READY' },
    { name: 'timed out', verdict: 'timed-out', rto: 3600, rpo: 3600, checkRpo: true, state: 'NOT_READY' },
  ])('$name → $state', ({ verdict, rto, rpo, checkRpo, state }) => {
    const measurements = measureRestore({ ...base, rtoSeconds: rto, rpoSeconds: rpo });
    expect(assessRestoreResult(verdict, measurements, checkRpo).state).toBe(state);
  });
});
