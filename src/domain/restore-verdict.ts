import type { ReadinessState, Severity } from '../../events/dr-autopilot/signal.ts';
import type { RestoredResource } from '../ports/restored-resources.ts';
import { formatSeconds } from './duration.ts';
import { getKey } from './restore-metadata.ts';

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

/**
 * What the restore should have produced, from AWS Backup: the job's backup size (0 or absent: unknown or
 * empty) and its completion, and the recovery point's original configuration (GetRecoveryPointRestoreMetadata,
 * keys in any case: AWS spells them differently per type) where the type's checks compare with it.
 */
export interface RestoreExpectations {
  backupSizeInBytes?: number | undefined;
  completionDate?: Date | undefined;
  metadata?: Record<string, string> | undefined;
  /** Why the recovery point's configuration could not be read (it was deleted, access was refused). */
  metadataUnavailable?: string | undefined;
}

/** The resource types whose checks compare with the recovery point's restore metadata. */
export const TYPES_COMPARED_WITH_METADATA: ReadonlySet<RestoredResource['type']> = new Set([
  'EBS',
  'EC2',
  'RDS',
  'Aurora',
]);

/**
 * An EFS file system holding nothing but its root and the restore directory (AWS Backup restores into an
 * `aws-backup-restore_<datetime>` directory) meters a few KiB of metadata; at or below this, it holds no data.
 */
export const EFS_EMPTY_BYTES = 12 * 1024;
/**
 * The metered size "represents the actual size only if the file system is not modified for a period longer than
 * a couple of hours" (EFS API, FileSystemSize): an empty-looking size is judged only once measured this long
 * after the restore's last write (its completion). Keep `restoreValidationWindow` above it (default PT3H).
 */
export const EFS_SIZE_SETTLES_SECONDS = 2 * 3600;

interface Check {
  ok: boolean;
  line: string;
}

export function judgeRestoredResource(resource: RestoredResource, expected: RestoreExpectations): Judgement {
  if (!resource.exists) return { verdict: 'failed', checks: [`${resource.arn} not found`] };
  const judgement = judgeExisting(resource, expected);
  if (expected.metadataUnavailable && TYPES_COMPARED_WITH_METADATA.has(resource.type)) {
    judgement.checks.push(
      `not compared with the backed-up configuration, which could not be read (${expected.metadataUnavailable})`,
    );
  }
  return judgement;
}

function judgeExisting(resource: RestoredResource, expected: RestoreExpectations): Judgement {
  const status = resource.status ?? 'unknown';
  const expectsData = expected.backupSizeInBytes === undefined || expected.backupSizeInBytes > 0;
  const meta = (key: string) => (expected.metadata ? getKey(expected.metadata, key) : undefined);
  switch (resource.type) {
    case 'DynamoDB': {
      if (status === 'CREATING' || status === 'UPDATING') return pending(`table ${resource.id} is ${status}`);
      const sampled = Number(resource.facts.sampledItems ?? 0);
      const checks = [
        `table ${resource.id} is ${status}`,
        `item count ${String(resource.facts.itemCount ?? 'unknown')} (DynamoDB refreshes it about every six hours), ${sampled} item(s) read back`,
      ];
      const ok = status === 'ACTIVE' && (sampled > 0 || !expectsData);
      return {
        verdict: ok ? 'passed' : 'failed',
        checks: ok ? checks : [...checks, failure(status, 'ACTIVE', sampled, expectsData, 'items')],
      };
    }
    case 'RDS': {
      const instance = byStatus(`DB instance ${resource.id}`, status, ['available'], (s) =>
        RDS_PENDING.has(s),
      );
      if (instance.verdict !== 'passed') return instance;
      return conclude(instance.checks, [endpointCheck(resource), ...engineChecks(resource, meta)]);
    }
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
        return conclude(
          [...cluster.checks, `DB instance ${available.id} is available`],
          [endpointCheck(resource), ...engineChecks(resource, meta)],
        );
      }
      const broken = instances.every(
        (item) => item.status !== undefined && !RDS_PENDING.has(item.status) && item.status !== 'deleting',
      );
      const line = `DB instance(s) ${instances.map((item) => `${item.id} ${item.status ?? 'unknown'}`).join(', ')}`;
      return { verdict: broken ? 'failed' : 'pending', checks: [...cluster.checks, line] };
    }
    case 'EBS': {
      const volume = byStatus(
        `volume ${resource.id}`,
        status,
        ['available', 'in-use'],
        (s) => s === 'creating',
      );
      if (volume.verdict !== 'passed') return volume;
      return conclude(volume.checks, [
        sizeCheck(`volume ${resource.id}`, numberOrUndefined(resource.facts.sizeGiB), meta('volumeSize')),
      ]);
    }
    case 'EC2': {
      const instanceStatus = String(resource.facts.instanceStatus ?? 'unknown');
      const systemStatus = String(resource.facts.systemStatus ?? 'unknown');
      const checks = [
        `instance ${resource.id} is ${status}`,
        `status checks: instance ${instanceStatus}, system ${systemStatus}`,
      ];
      if (status === 'pending') return { verdict: 'pending', checks };
      if (status !== 'running') return { verdict: 'failed', checks };
      if (instanceStatus === 'ok' && systemStatus === 'ok') {
        return conclude(checks, deviceChecks(resource, meta('BlockDeviceMappings')));
      }
      // `impaired` is a failed check; `initializing` / `insufficient-data` settle within minutes (the sweep looks again).
      const impaired = instanceStatus === 'impaired' || systemStatus === 'impaired';
      return { verdict: impaired ? 'failed' : 'pending', checks };
    }
    case 'EFS':
      return judgeFileSystem(resource, status, expected);
    case 'S3': {
      const objects = Number(resource.facts.objects ?? 0);
      const bytes = Number(resource.facts.bytes ?? 0);
      const counted = resource.facts.listingComplete === false ? 'in the first pages listed' : 'in all';
      const checks = [`bucket ${resource.id} exists`, `${objects} object(s), ${bytes} byte(s) ${counted}`];
      const ok = objects > 0 || !expectsData;
      return {
        verdict: ok ? 'passed' : 'failed',
        checks: ok ? checks : [...checks, 'the bucket holds no objects although the backup holds data'],
      };
    }
  }
}

/**
 * EFS: available; every mount target (AWS Backup creates none; any there must be `available`); data metered
 * after the restore completed. The metered size lags (SizeInBytes.Timestamp says when it was measured), so a
 * size measured before completion is not judged yet: the sweep looks again until the validation window closes.
 */
function judgeFileSystem(
  resource: RestoredResource,
  status: string,
  expected: RestoreExpectations,
): Judgement {
  const fileSystem = byStatus(
    `file system ${resource.id}`,
    status,
    ['available'],
    (s) => s === 'creating' || s === 'updating',
  );
  if (fileSystem.verdict !== 'passed') return fileSystem;
  const checks = [...fileSystem.checks];
  const targets = Number(resource.facts.mountTargets ?? 0);
  const availableTargets = Number(resource.facts.mountTargetsAvailable ?? 0);
  if (targets === 0) {
    checks.push('no mount target: AWS Backup restores EFS without one, so mounting was not tried');
  } else {
    checks.push(`${availableTargets} of ${targets} mount target(s) available`);
    if (Number(resource.facts.mountTargetsFailed ?? 0) > 0) return { verdict: 'failed', checks };
    if (availableTargets < targets) return { verdict: 'pending', checks };
  }
  const size = numberOrUndefined(resource.facts.sizeInBytes);
  const meteredAt =
    typeof resource.facts.sizeMeteredAt === 'string' ? Date.parse(resource.facts.sizeMeteredAt) : NaN;
  const expectsData =
    expected.backupSizeInBytes === undefined || expected.backupSizeInBytes > EFS_EMPTY_BYTES;
  if (size === undefined) return { verdict: 'pending', checks: [...checks, 'size not metered yet'] };
  checks.push(
    `${size} byte(s) metered${Number.isNaN(meteredAt) ? '' : ` at ${new Date(meteredAt).toISOString()}`}`,
  );
  if (size > EFS_EMPTY_BYTES || !expectsData) return { verdict: 'passed', checks };
  if (Number.isNaN(meteredAt)) {
    return { verdict: 'pending', checks: [...checks, 'EFS gives no time for this size yet'] };
  }
  const completed = expected.completionDate?.getTime();
  if (completed === undefined || meteredAt < completed + EFS_SIZE_SETTLES_SECONDS * 1000) {
    return {
      verdict: 'pending',
      checks: [
        ...checks,
        'size not settled: EFS meters it exactly only a couple of hours after the last write',
      ],
    };
  }
  return { verdict: 'failed', checks: [...checks, 'the file system holds no data although the backup does'] };
}

function conclude(base: string[], checks: Check[]): Judgement {
  return {
    verdict: checks.every((check) => check.ok) ? 'passed' : 'failed',
    checks: [...base, ...checks.map((check) => check.line)],
  };
}

function numberOrUndefined(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function endpointCheck(resource: RestoredResource): Check {
  const endpoint = resource.facts.endpoint;
  return typeof endpoint === 'string' && endpoint !== ''
    ? { ok: true, line: `endpoint ${endpoint}` }
    : { ok: false, line: 'no endpoint: nothing could connect to it' };
}

/** The engine and its version, as the backed-up database had them (information-only metadata keys). */
function engineChecks(resource: RestoredResource, meta: (key: string) => string | undefined): Check[] {
  const checks: Check[] = [];
  const engine = String(resource.facts.engine ?? 'unknown');
  const version = String(resource.facts.engineVersion ?? 'unknown');
  const wantedEngine = meta('Engine');
  const wantedVersion = meta('EngineVersion');
  if (wantedEngine === undefined) checks.push({ ok: true, line: `engine ${engine} (the backup names none)` });
  else if (wantedEngine.toLowerCase() === engine.toLowerCase())
    checks.push({ ok: true, line: `engine ${engine}` });
  else checks.push({ ok: false, line: `engine ${engine}, the backed-up database ran ${wantedEngine}` });
  if (wantedVersion === undefined) {
    checks.push({ ok: true, line: `engine version ${version} (the backup names none)` });
  } else if (wantedVersion === version) checks.push({ ok: true, line: `engine version ${version}` });
  else if (compareVersions(version, wantedVersion) > 0) {
    // RDS upgrades a snapshot of a version it no longer supports while restoring it (and Aurora one past
    // standard support): a newer version is RDS's doing, not a bad restore.
    checks.push({
      ok: true,
      line: `engine version ${version}, upgraded by RDS from the backed-up ${wantedVersion}`,
    });
  } else {
    checks.push({
      ok: false,
      line: `engine version ${version}, older than the backed-up database's ${wantedVersion}`,
    });
  }
  return checks;
}

/** Engine versions by their numbers, left to right (`13.15` > `13.7`; `8.0.mysql_aurora.3.07.1` > `…3.05.2`). */
function compareVersions(a: string, b: string): number {
  const numbers = (text: string) => (text.match(/\d+/g) ?? []).map(Number);
  const [left, right] = [numbers(a), numbers(b)];
  for (let index = 0; index < Math.max(left.length, right.length); index++) {
    const difference = (left[index] ?? -1) - (right[index] ?? -1);
    if (difference !== 0) return difference;
  }
  return 0;
}

function sizeCheck(what: string, sizeGiB: number | undefined, wanted: string | undefined): Check {
  const expectedGiB = wanted === undefined ? Number.NaN : Number(wanted);
  if (sizeGiB === undefined) return { ok: false, line: `${what}: size unknown` };
  if (!Number.isFinite(expectedGiB))
    return { ok: true, line: `${what} is ${sizeGiB} GiB (the backup names no size)` };
  return sizeGiB >= expectedGiB
    ? { ok: true, line: `${what} is ${sizeGiB} GiB, as backed up (${expectedGiB} GiB)` }
    : { ok: false, line: `${what} is ${sizeGiB} GiB, smaller than the ${expectedGiB} GiB backed up` };
}

/** Every EBS device of the backed-up instance (BlockDeviceMappings, a JSON string) is attached, at its size. */
function deviceChecks(resource: RestoredResource, mappingsText: string | undefined): Check[] {
  const volumes = resource.related.filter((item) => item.kind === 'ebs-volume');
  let mappings: { DeviceName?: string; NoDevice?: string; Ebs?: { VolumeSize?: number } }[] | undefined;
  try {
    mappings = mappingsText === undefined ? undefined : (JSON.parse(mappingsText) as typeof mappings);
  } catch {
    mappings = undefined;
  }
  if (!Array.isArray(mappings)) {
    return [
      { ok: true, line: `${volumes.length} EBS volume(s) attached (the backup lists no block devices)` },
    ];
  }
  return (
    mappings
      // A `NoDevice` mapping suppresses the device: nothing is attached there.
      .filter((mapping) => mapping.DeviceName && mapping.Ebs && mapping.NoDevice === undefined)
      .map((mapping) => {
        const device = mapping.DeviceName as string;
        const volume = volumes.find((item) => item.deviceName === device);
        if (!volume) return { ok: false, line: `device ${device} of the backup is not attached` };
        const wanted = mapping.Ebs?.VolumeSize;
        return sizeCheck(
          `${device} (${volume.id})`,
          volume.sizeGiB,
          wanted === undefined ? undefined : String(wanted),
        );
      })
  );
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
