import { describe, expect, it } from 'vitest';
import {
  decideClaim,
  decideOwnership,
  type JobFacts,
  ourTags,
  planCleanup,
  TAG,
} from '../../../src/domain/restore-ownership.ts';
import type { RestoreRecord } from '../../../src/ports/backup-restore-records.ts';
import type { RelatedResource, RestoredResource } from '../../../src/ports/restored-resources.ts';
import { RECOVERY_POINT_ARN, RESTORE_JOB_ID, restoreRecord } from '../../helpers/backup-fixtures.ts';

const JOB_ID = RESTORE_JOB_ID;
const POINT = RECOVERY_POINT_ARN;
const STARTED = new Date('2026-11-22T10:00:00Z');
const AFTER = new Date('2026-11-22T10:05:00Z');
const BEFORE = new Date('2026-11-01T00:00:00Z');

function record(overrides: Partial<RestoreRecord> = {}): RestoreRecord {
  return restoreRecord({ startedAt: STARTED.toISOString(), phase: 'validating', ...overrides });
}

function job(overrides: Partial<JobFacts> = {}): JobFacts {
  return { restoreJobId: JOB_ID, recoveryPointArn: POINT, creationDate: STARTED, ...overrides };
}

const OURS = ourTags({ restoreJobId: JOB_ID, runId: 'evt-1', mode: 'test' });

function resource(overrides: Partial<RestoredResource> = {}): RestoredResource {
  return {
    type: 'DynamoDB',
    arn: 'arn:aws:dynamodb:us-west-2:111122223333:table/dr-autopilot-0123456789ab',
    id: 'dr-autopilot-0123456789ab',
    exists: true,
    name: 'dr-autopilot-0123456789ab',
    createdAt: AFTER,
    status: 'ACTIVE',
    tags: { ...OURS },
    facts: {},
    related: [],
    ...overrides,
  };
}

function related(
  kind: RelatedResource['kind'],
  id: string,
  overrides: Partial<RelatedResource> = {},
): RelatedResource {
  return { kind, id, tags: { ...OURS }, createdAt: AFTER, ...overrides };
}

describe('decideOwnership', () => {
  it.each<{ name: string; job: JobFacts; record: RestoreRecord | undefined; expected: string }>([
    {
      name: 'our record for this job and recovery point',
      job: job(),
      record: record(),
      expected: 'dr-autopilot',
    },
    { name: 'no record, no restore-testing plan', job: job(), record: undefined, expected: 'foreign' },
    {
      name: 'a record naming another recovery point',
      job: job(),
      record: record({ recoveryPointArn: `${POINT}-other` }),
      expected: 'foreign',
    },
    {
      name: 'a restore-testing-plan job',
      job: job({ restoreTestingPlanArn: 'arn:aws:backup:us-west-2:111122223333:restore-testing-plan:p-1' }),
      record: undefined,
      expected: 'restore-testing-plan',
    },
  ])('$name → $expected', ({ job: facts, record: memory, expected }) => {
    expect(decideOwnership(facts, memory)).toBe(expected);
  });
});

describe('decideClaim', () => {
  it.each<{ name: string; resource: RestoredResource; record: RestoreRecord; claim: boolean }>([
    { name: 'the name we asked for', resource: resource({ tags: {} }), record: record(), claim: true },
    {
      name: 'another name',
      resource: resource({ tags: {}, name: 'orders-prod' }),
      record: record(),
      claim: false,
    },
    {
      name: 'tagged for another restore job',
      resource: resource({ tags: { [TAG.restoreJobId]: 'other-job' } }),
      record: record(),
      claim: false,
    },
    {
      name: 'unnamed (EBS) created after the job started',
      resource: resource({ type: 'EBS', tags: {}, name: undefined, createdAt: AFTER }),
      record: record({ requestedName: undefined }),
      claim: true,
    },
    {
      name: 'unnamed (EBS) older than the job',
      resource: resource({ type: 'EBS', tags: {}, name: undefined, createdAt: BEFORE }),
      record: record({ requestedName: undefined }),
      claim: false,
    },
    { name: 'missing', resource: resource({ exists: false, tags: {} }), record: record(), claim: false },
  ])('$name → claim $claim', ({ resource: found, record: memory, claim }) => {
    expect(decideClaim(found, job(), memory).claim).toBe(claim);
  });

  it('claims an EC2 restore’s new AMI and snapshots, never the recovery point’s own AMI or older snapshots', () => {
    // Prepare
    const instance = resource({
      type: 'EC2',
      id: 'i-0abc',
      name: undefined,
      tags: {},
      related: [
        related('ec2-image', 'ami-0new', { tags: {} }),
        related('ec2-image', 'ami-0point', { tags: {} }),
        related('ebs-snapshot', 'snap-0old', { tags: {}, createdAt: BEFORE }),
        related('ebs-volume', 'vol-0new', { tags: {} }),
      ],
    });
    // Act
    const decision = decideClaim(
      instance,
      job({ recoveryPointArn: 'arn:aws:ec2:us-west-2::image/ami-0point' }),
      record({ requestedName: undefined, resourceType: 'EC2' }),
    );
    // Assess
    expect(decision.claim && decision.targets.map((target) => target.id)).toEqual([
      'i-0abc',
      'ami-0new',
      'vol-0new',
    ]);
  });
});

describe('planCleanup (safety rule 4)', () => {
  it('deletes our test restore when it carries our tag', () => {
    const plan = planCleanup({ ownership: 'dr-autopilot', mode: 'test', resource: resource(), job: job() });
    expect(plan.steps.map((step) => step.id)).toEqual(['dr-autopilot-0123456789ab']);
  });

  it('never deletes a restore job that is neither ours nor a restore-testing plan’s', () => {
    const plan = planCleanup({ ownership: 'foreign', mode: 'test', resource: resource(), job: job() });
    expect(plan.steps).toEqual([]);
    expect(plan.refused[0]?.reason).toMatch(/neither by dr-autopilot nor by a restore-testing plan/);
  });

  it.each([
    ['no tags', {}],
    ['another job’s tag', { ...OURS, [TAG.restoreJobId]: 'other-job' }],
    ['our job id without managed-by', { [TAG.restoreJobId]: JOB_ID }],
  ])('never deletes a resource with %s', (_name, tags) => {
    const plan = planCleanup({
      ownership: 'dr-autopilot',
      mode: 'test',
      resource: resource({ tags }),
      job: job(),
    });
    expect(plan.steps).toEqual([]);
    expect(plan.refused).toHaveLength(1);
  });

  it('keeps a restore configured as warm standby', () => {
    const plan = planCleanup({ ownership: 'dr-autopilot', mode: 'keep', resource: resource(), job: job() });
    expect(plan.steps).toEqual([]);
  });

  it('for a restore-testing-plan job deletes only our Aurora validation instance (AWS Backup deletes the rest)', () => {
    // Prepare
    const cluster = resource({
      type: 'Aurora',
      id: 'awsbackup-restore-test-x',
      tags: { 'awsbackup-restore-test': '' },
      related: [
        related('rds-instance', 'awsbackup-restore-test-x-validate'),
        related('rds-instance', 'someone-elses', { tags: {} }),
      ],
    });
    // Act
    const plan = planCleanup({
      ownership: 'restore-testing-plan',
      mode: 'test',
      resource: cluster,
      job: job(),
    });
    // Assess
    expect(plan.steps.map((step) => `${step.kind}:${step.id}`)).toEqual([
      'rds-instance:awsbackup-restore-test-x-validate',
    ]);
  });

  it('orders an Aurora test cleanup: validation instance, then the cluster', () => {
    const cluster = resource({
      type: 'Aurora',
      related: [related('rds-instance', 'dr-autopilot-0123456789ab-validate')],
    });
    const plan = planCleanup({ ownership: 'dr-autopilot', mode: 'test', resource: cluster, job: job() });
    expect(plan.steps.map((step) => step.kind)).toEqual(['rds-instance', 'main']);
  });

  it('orders an EC2 test cleanup and leaves volumes that go with the instance, and untagged snapshots', () => {
    // Prepare
    const instance = resource({
      type: 'EC2',
      id: 'i-0abc',
      related: [
        related('ec2-image', 'ami-0new'),
        related('ebs-snapshot', 'snap-0new'),
        related('ebs-snapshot', 'snap-0foreign', { tags: {} }),
        related('ebs-volume', 'vol-0root', { deleteOnTermination: true }),
        related('ebs-volume', 'vol-0data', { deleteOnTermination: false }),
      ],
    });
    // Act
    const plan = planCleanup({ ownership: 'dr-autopilot', mode: 'test', resource: instance, job: job() });
    // Assess
    expect(plan.steps.map((step) => `${step.kind}:${step.id}`)).toEqual([
      'main:i-0abc',
      'ec2-image:ami-0new',
      'ebs-snapshot:snap-0new',
      'ebs-volume:vol-0data',
    ]);
    expect(plan.refused.map((item) => item.id)).toEqual(['snap-0foreign']);
  });
});
