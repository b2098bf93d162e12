import type { RestoreOwner, RestoreRecord } from '../ports/backup-restore-records.ts';
import type {
  CleanupStep,
  RelatedResource,
  RestoredResource,
  TagTarget,
} from '../ports/restored-resources.ts';
import { truncate } from './text.ts';

/**
 * Safety rule 4 (DESIGN §3): delete only what dr-autopilot created. A resource is deleted only when the restore
 * job that created it was started by dr-autopilot (its record, written when StartRestoreJob returned) or is
 * owned by a restore-testing plan, *and* the resource carries dr-autopilot's tag naming that restore job.
 * Pure decisions; the adapters only execute the steps returned here.
 */
export const TAG = {
  managedBy: 'dr-autopilot:managed-by',
  restoreJobId: 'dr-autopilot:restore-job-id',
  run: 'dr-autopilot:restore-run',
  purpose: 'dr-autopilot:restore-purpose',
} as const;
export const MANAGED_BY = 'dr-autopilot';

export type Ownership = RestoreOwner | 'foreign';

export interface JobFacts {
  restoreJobId: string;
  recoveryPointArn?: string | undefined;
  creationDate?: Date | undefined;
  restoreTestingPlanArn?: string | undefined;
}

/** Who owns a restore job: dr-autopilot (our record for this very job and recovery point), a restore-testing plan, or nobody we answer for. */
export function decideOwnership(job: JobFacts, record: RestoreRecord | undefined): Ownership {
  if (
    record?.owner === 'dr-autopilot' &&
    record.restoreJobId === job.restoreJobId &&
    record.recoveryPointArn === job.recoveryPointArn
  ) {
    return 'dr-autopilot';
  }
  if (job.restoreTestingPlanArn) return 'restore-testing-plan';
  return 'foreign';
}

/** The tags dr-autopilot puts on what its restores (and its validation) create. */
export function ourTags(
  record: Pick<RestoreRecord, 'restoreJobId' | 'runId' | 'mode'>,
): Record<string, string> {
  return {
    [TAG.managedBy]: MANAGED_BY,
    [TAG.restoreJobId]: record.restoreJobId,
    [TAG.run]: truncate(record.runId, 256, ''),
    [TAG.purpose]: record.mode,
  };
}

export function carriesOurTag(tags: Record<string, string>, restoreJobId: string): boolean {
  return tags[TAG.managedBy] === MANAGED_BY && tags[TAG.restoreJobId] === restoreJobId;
}

export type ClaimDecision = { claim: true; targets: TagTarget[] } | { claim: false; reason: string };

/**
 * Whether the resource named by the job's CreatedResourceArn is really the one our restore created, before
 * tagging it as ours: it carries the unique name we asked for, or (EBS/EC2, which take no name) it was
 * created after the restore job started. Related resources (EC2's AMI, snapshots, volumes) qualify only when
 * created after the job started and not part of the recovery point itself (an EC2 recovery point *is* an AMI).
 */
export function decideClaim(resource: RestoredResource, job: JobFacts, record: RestoreRecord): ClaimDecision {
  if (!resource.exists) return { claim: false, reason: `${resource.arn} does not exist` };
  const taggedJob = resource.tags[TAG.restoreJobId];
  if (taggedJob !== undefined && taggedJob !== job.restoreJobId) {
    return { claim: false, reason: `${resource.id} is tagged for restore job ${taggedJob}` };
  }
  if (record.requestedName) {
    if (resource.name?.toLowerCase() !== record.requestedName.toLowerCase()) {
      return {
        claim: false,
        reason: `${resource.id} is named ${resource.name ?? '(unknown)'}, not ${record.requestedName} as requested`,
      };
    }
  } else if (!createdDuring(resource.createdAt, job)) {
    return { claim: false, reason: `${resource.id} was not created by restore job ${job.restoreJobId}` };
  }
  const related = resource.related.filter(
    (item) => item.kind !== 'rds-instance' && createdByRestore(item, job),
  );
  return {
    claim: true,
    targets: [
      { kind: 'main', id: resource.id, arn: resource.arn },
      ...related.map((item) => ({ kind: item.kind, id: item.id, arn: item.arn })),
    ],
  };
}

function createdDuring(createdAt: Date | undefined, job: JobFacts): boolean {
  return createdAt !== undefined && job.creationDate !== undefined && createdAt >= job.creationDate;
}

function createdByRestore(item: RelatedResource, job: JobFacts): boolean {
  const partOfRecoveryPoint = job.recoveryPointArn?.endsWith(item.id) === true;
  return !partOfRecoveryPoint && createdDuring(item.createdAt, job);
}

export interface CleanupPlan {
  steps: CleanupStep[];
  refused: { id: string; reason: string }[];
  /**
   * Owned pieces that go away by themselves and are not deleted now (EBS volumes with DeleteOnTermination,
   * attached to the instance being terminated): the cleanup is not done until they are gone too.
   */
  watch: TagTarget[];
}

/**
 * What to delete after validation. dr-autopilot's *test* restores: the restored resource and what the restore
 * made alongside it, each only with our tag for this job. Kept restores and restore-testing-plan jobs (which
 * AWS Backup deletes itself): only the DB instance dr-autopilot created to validate an Aurora cluster.
 * Order: validation instances, the resource, then the AMI, its snapshots and left-over volumes.
 */
export function planCleanup(input: {
  ownership: Ownership;
  mode: 'test' | 'keep';
  resource: RestoredResource;
  job: JobFacts;
}): CleanupPlan {
  const { ownership, resource, job } = input;
  const plan: CleanupPlan = { steps: [], refused: [], watch: [] };
  if (ownership === 'foreign') {
    plan.refused.push({
      id: resource.id,
      reason: `restore job ${job.restoreJobId} was started neither by dr-autopilot nor by a restore-testing plan`,
    });
    return plan;
  }
  const ours = (tags: Record<string, string>) => carriesOurTag(tags, job.restoreJobId);
  const step = (kind: CleanupStep['kind'], id: string, arn?: string): CleanupStep => ({
    type: resource.type,
    kind,
    id,
    arn,
  });
  for (const instance of resource.related.filter((item) => item.kind === 'rds-instance')) {
    if (ours(instance.tags)) plan.steps.push(step('rds-instance', instance.id, instance.arn));
    else if (ownership === 'dr-autopilot' && input.mode === 'test') {
      plan.refused.push({ id: instance.id, reason: 'DB instance without our tag: not deleted' });
    }
  }
  if (ownership !== 'dr-autopilot' || input.mode !== 'test' || !resource.exists) return plan;

  if (!ours(resource.tags)) {
    plan.refused.push({
      id: resource.id,
      reason: `no ${TAG.restoreJobId}=${job.restoreJobId} tag: not deleted`,
    });
    return plan;
  }
  // An EC2 instance already shutting down needs no second TerminateInstances (EC2 answers it, but changes nothing).
  if (!(resource.type === 'EC2' && resource.status === 'shutting-down')) {
    plan.steps.push(step('main', resource.id, resource.arn));
  }
  for (const kind of ['ec2-image', 'ebs-snapshot', 'ebs-volume'] as const) {
    for (const item of resource.related.filter((candidate) => candidate.kind === kind)) {
      const owned = ours(item.tags) && createdByRestore(item, job);
      if (kind === 'ebs-volume' && item.deleteOnTermination !== false) {
        if (owned) plan.watch.push({ kind, id: item.id, arn: item.arn });
        continue;
      }
      if (owned) plan.steps.push(step(kind, item.id, item.arn));
      else plan.refused.push({ id: item.id, reason: 'not tagged as created by this restore: not deleted' });
    }
  }
  return plan;
}

/**
 * The pieces an earlier cleanup round owned that this round's plan does not cover (the restored resource no
 * longer lists them, or they were only watched), against a fresh read of each (`current`; absent = gone): those
 * still there are deleted only if they still carry our tag for this job and were created by the restore
 * (rule 4); the others are refused and never deleted.
 */
export function planLeftovers(input: {
  type: CleanupStep['type'];
  remembered: readonly TagTarget[];
  current: readonly RelatedResource[];
  job: JobFacts;
}): Omit<CleanupPlan, 'watch'> {
  const plan: Omit<CleanupPlan, 'watch'> = { steps: [], refused: [] };
  for (const target of input.remembered) {
    const item = input.current.find(
      (candidate) => candidate.kind === target.kind && candidate.id === target.id,
    );
    if (!item) continue;
    if (carriesOurTag(item.tags, input.job.restoreJobId) && createdByRestore(item, input.job)) {
      plan.steps.push({ type: input.type, kind: target.kind, id: target.id, arn: target.arn });
    } else {
      const tagged = item.tags[TAG.restoreJobId];
      plan.refused.push({
        id: item.id,
        reason: tagged
          ? `tagged for restore job ${tagged}: not deleted`
          : 'no longer tagged as created by this restore: not deleted',
      });
    }
  }
  return plan;
}

/** What a cleanup step that must wait is waiting for, as on-call and the record say it. */
export function describeWait(step: TagTarget, pieces: readonly RelatedResource[]): string {
  const piece = pieces.find((candidate) => candidate.kind === step.kind && candidate.id === step.id);
  if (piece?.attachment) {
    const state = piece.attachment.instanceState ? ` (${piece.attachment.instanceState})` : '';
    return `${step.id} attached to ${piece.attachment.instanceId}${state}`;
  }
  if (step.kind === 'ebs-snapshot') return `${step.id} still in use by an AMI`;
  return `${step.id} (${step.kind === 'main' ? 'the restored resource' : step.kind}) cannot be deleted yet`;
}
