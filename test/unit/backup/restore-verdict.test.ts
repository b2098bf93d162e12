import { describe, expect, it } from 'vitest';
import {
  assessRestoreResult,
  judgeRestoredResource,
  measureRestore,
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
    { name: 'RDS available', resource: { type: 'RDS', status: 'available' }, verdict: 'passed' },
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
    { name: 'EBS available', resource: { type: 'EBS', status: 'available' }, verdict: 'passed' },
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
    { name: 'EFS available', resource: { type: 'EFS', status: 'available' }, verdict: 'passed' },
    { name: 'EFS creating', resource: { type: 'EFS', status: 'creating' }, verdict: 'pending' },
    { name: 'EFS error', resource: { type: 'EFS', status: 'error' }, verdict: 'failed' },
    {
      name: 'S3 with objects',
      resource: { type: 'S3', status: 'exists', facts: { sampledObjects: 10 } },
      verdict: 'passed',
    },
    {
      name: 'S3 empty',
      resource: { type: 'S3', status: 'exists', facts: { sampledObjects: 0 } },
      verdict: 'failed',
    },
  ])('$name → $verdict', ({ resource: overrides, size, verdict }) => {
    expect(judgeRestoredResource(resource(overrides), { backupSizeInBytes: size }).verdict).toBe(verdict);
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
