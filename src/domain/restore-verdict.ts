import type { ReadinessState, Severity } from '../../events/dr-autopilot/signal.ts';
import type { RestoredResource } from '../ports/restored-resources.ts';
import { formatSeconds } from './duration.ts';

/**
 * Whether a restored resource really works, per type, from what its service reports (never assumed).
 * `pending` means "not yet decidable" (still creating, status checks initialising, the Aurora validation
 * instance not yet available): the sweep looks again until the validation window closes.
 */
export type Verdict = 'passed' | 'failed' | 'pending';

export interface Judgement {
  verdict: Verdict;
  /** One line per check: what was checked and what was found. */
  checks: string[];
  /** Aurora: a cluster without a DB instance cannot be queried; create one. */
  prepare?: 'create-aurora-instance';
}

const RDS_PENDING = new Set([
  'creating',
  'backing-up',
  'modifying',
  'configuring-enhanced-monitoring',
  'configuring-log-exports',
  'rebooting',
  'renaming',
  'resetting-master-credentials',
  'starting',
  'upgrading',
  'storage-optimization',
  'configuring-iam-database-auth',
  'migrating',
  'preparing-data-migration',
  'maintenance',
]);

export function judgeRestoredResource(
  resource: RestoredResource,
  job: { backupSizeInBytes?: number | undefined },
): Judgement {
  if (!resource.exists) return { verdict: 'failed', checks: [`${resource.arn} not found`] };
  const status = resource.status ?? 'unknown';
  const expectsData = job.backupSizeInBytes === undefined || job.backupSizeInBytes > 0;
  switch (resource.type) {
    case 'DynamoDB': {
      if (status === 'CREATING' || status === 'UPDATING') return pending(`table ${resource.id} is ${status}`);
      const sampled = Number(resource.facts.sampledItems ?? 0);
      const checks = [
        `table ${resource.id} is ${status}`,
        `item count ${String(resource.facts.itemCount ?? 'unknown')}, ${sampled} item(s) read back`,
      ];
      const ok = status === 'ACTIVE' && (sampled > 0 || !expectsData);
      return {
        verdict: ok ? 'passed' : 'failed',
        checks: ok ? checks : [...checks, failure(status, 'ACTIVE', sampled, expectsData, 'items')],
      };
    }
    case 'RDS':
      return byStatus(`DB instance ${resource.id}`, status, ['available'], (s) => RDS_PENDING.has(s));
    case 'Aurora': {
      const cluster = byStatus(`DB cluster ${resource.id}`, status, ['available'], (s) => RDS_PENDING.has(s));
      if (cluster.verdict !== 'passed') return cluster;
      const instances = resource.related.filter((item) => item.kind === 'rds-instance');
      if (instances.length === 0) {
        return {
          verdict: 'pending',
          checks: [...cluster.checks, 'no DB instance yet'],
          prepare: 'create-aurora-instance',
        };
      }
      const available = instances.find((item) => item.status === 'available');
      if (available) {
        return { verdict: 'passed', checks: [...cluster.checks, `DB instance ${available.id} is available`] };
      }
      const broken = instances.every(
        (item) => item.status !== undefined && !RDS_PENDING.has(item.status) && item.status !== 'deleting',
      );
      const line = `DB instance(s) ${instances.map((item) => `${item.id} ${item.status ?? 'unknown'}`).join(', ')}`;
      return { verdict: broken ? 'failed' : 'pending', checks: [...cluster.checks, line] };
    }
    case 'EBS':
      return byStatus(`volume ${resource.id}`, status, ['available', 'in-use'], (s) => s === 'creating');
    case 'EC2': {
      const instanceStatus = String(resource.facts.instanceStatus ?? 'unknown');
      const systemStatus = String(resource.facts.systemStatus ?? 'unknown');
      const checks = [
        `instance ${resource.id} is ${status}`,
        `status checks: instance ${instanceStatus}, system ${systemStatus}`,
      ];
      if (status === 'pending') return { verdict: 'pending', checks };
      if (status !== 'running') return { verdict: 'failed', checks };
      if (instanceStatus === 'ok' && systemStatus === 'ok') return { verdict: 'passed', checks };
      // `impaired` is a failed check; `initializing` / `insufficient-data` settle within minutes (the sweep looks again).
      const impaired = instanceStatus === 'impaired' || systemStatus === 'impaired';
      return { verdict: impaired ? 'failed' : 'pending', checks };
    }
    case 'EFS':
      return byStatus(
        `file system ${resource.id}`,
        status,
        ['available'],
        (s) => s === 'creating' || s === 'updating',
      );
    case 'S3': {
      const objects = Number(resource.facts.sampledObjects ?? 0);
      const checks = [`bucket ${resource.id} exists`, `${objects} object(s) listed`];
      const ok = objects > 0 || !expectsData;
      return {
        verdict: ok ? 'passed' : 'failed',
        checks: ok ? checks : [...checks, 'the bucket holds no objects'],
      };
    }
  }
}

function pending(check: string): Judgement {
  return { verdict: 'pending', checks: [check] };
}

function byStatus(
  what: string,
  status: string,
  good: string[],
  isPending: (status: string) => boolean,
): Judgement {
  const checks = [`${what} is ${status}`];
  if (good.includes(status)) return { verdict: 'passed', checks };
  return { verdict: isPending(status) ? 'pending' : 'failed', checks };
}

function failure(status: string, wanted: string, count: number, expectsData: boolean, what: string): string {
  if (status !== wanted) return `expected ${wanted}`;
  return expectsData && count === 0 ? `no ${what} although the backup holds data` : 'check failed';
}

export interface Measurements {
  /** Restore job creation to completion. */
  restoreSeconds: number | null;
  /** Restore job completion to the verdict. */
  validationSeconds: number | null;
  /** Restore plus validation: the measured RTO of restoring this resource from backup. */
  measuredRtoSeconds: number | null;
  rtoSeconds: number;
  rtoMet: boolean | null;
  /** How old the restored data was when the restore began (the RPO exposure of restoring from this vault). */
  recoveryPointAgeSeconds: number | null;
  rpoSeconds: number;
  rpoMet: boolean | null;
}

export function measureRestore(input: {
  jobCreation?: Date | undefined;
  jobCompletion?: Date | undefined;
  recoveryPointCreation?: Date | undefined;
  validatedAt: Date;
  rtoSeconds: number;
  rpoSeconds: number;
}): Measurements {
  const seconds = (from: Date | undefined, to: Date | undefined) =>
    from && to ? Math.max(0, Math.round((to.getTime() - from.getTime()) / 1000)) : null;
  const restoreSeconds = seconds(input.jobCreation, input.jobCompletion);
  const validationSeconds = seconds(input.jobCompletion, input.validatedAt);
  const measuredRtoSeconds = seconds(input.jobCreation, input.validatedAt);
  const recoveryPointAgeSeconds = seconds(input.recoveryPointCreation, input.jobCreation);
  return {
    restoreSeconds,
    validationSeconds,
    measuredRtoSeconds,
    rtoSeconds: input.rtoSeconds,
    rtoMet: measuredRtoSeconds === null ? null : measuredRtoSeconds <= input.rtoSeconds,
    recoveryPointAgeSeconds,
    rpoSeconds: input.rpoSeconds,
    rpoMet: recoveryPointAgeSeconds === null ? null : recoveryPointAgeSeconds <= input.rpoSeconds,
  };
}

export type FinalVerdict = 'passed' | 'failed' | 'timed-out';

/**
 * The readiness a restore-test result gives the backed-up resource: a failed or timed-out restore means the
 * backup cannot be trusted to restore (NOT_READY, critical); a restore slower than the RTO, or data older
 * than the RPO when the restore began (checked only for restores of a fresh copy), is AT_RISK; else READY.
 */
export function assessRestoreResult(
  verdict: FinalVerdict,
  measurements: Measurements,
  checkRpo: boolean,
): { state: ReadinessState; severity: Severity; reason: string } {
  if (verdict === 'failed')
    return { state: 'NOT_READY', severity: 'critical', reason: 'restore test failed' };
  if (verdict === 'timed-out') {
    return { state: 'NOT_READY', severity: 'critical', reason: 'restore validation timed out' };
  }
  if (measurements.rtoMet === false) {
    return {
      state: 'AT_RISK',
      severity: 'warning',
      reason: `restore took ${formatSeconds(measurements.measuredRtoSeconds ?? 0)}, over RTO ${formatSeconds(measurements.rtoSeconds)}`,
    };
  }
  if (checkRpo && measurements.rpoMet === false) {
    return {
      state: 'AT_RISK',
      severity: 'warning',
      reason: `DR copy ${formatSeconds(measurements.recoveryPointAgeSeconds ?? 0)} old, over RPO ${formatSeconds(measurements.rpoSeconds)}`,
    };
  }
  return { state: 'READY', severity: 'info', reason: 'restore test passed' };
}
