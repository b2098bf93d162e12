import { vaultOf } from '../../events/backup/arn.ts';
import {
  type BackupJobStateChangeEvent,
  recoveryPointArnOf,
} from '../../events/backup/backup-job-state-change.ts';
import {
  type CopyJobStateChangeEvent,
  destinationRecoveryPointArnOf,
} from '../../events/backup/copy-job-state-change.ts';
import { RPO_TAG, RTO_TAG, SIGNAL_TYPES, workloadFromTags } from '../../events/dr-autopilot/signal.ts';
import { parseIsoDuration } from '../domain/duration.ts';
import { ForeignEventError, RetryableDependencyError } from '../domain/errors.ts';
import { buildRestoreMetadata, restoreNameFor, restoreTokenFor } from '../domain/restore-metadata.ts';
import { isRestorableType, type RestoreSettings, restoreModeFor } from '../domain/restore-settings.ts';
import type { BackupReader, BackupRestoreControl, RecoveryPoint } from '../ports/backup.ts';
import type { RestoreRecords, RestoreTokenClaim } from '../ports/backup-restore-records.ts';
import type { Clock, SignalPublisher } from '../ports/signals.ts';
import { backupResource, RESTORE_RUNBOOK, restoreSignalFactory } from './backup-restore-signals.ts';

/**
 * Restore a recovery point that has just landed in the DR vault, in the DR Region.
 * Input: a forwarded *Copy Job State Change* (COMPLETED, destination in this Region) or a *Backup Job State
 * Change* (COMPLETED, into the DR vault of this Region), already schema-checked.
 * Steps: refuse outside the recovery Region / foreign accounts → resolve the recovery point in the DR vault
 * (event ARN, else DescribeCopyJob in the source Region, else the resource's newest point) → read its tags →
 * decide the mode (test / keep / off) → build DR metadata from the inferred metadata → StartRestoreJob with a
 * deterministic IdempotencyToken → record the job as ours → signal.
 * Output: the outcome (stored by idempotency, so a redelivery returns it without a second restore).
 */
export type RestoreSkipReason =
  | 'not-recovery-region'
  | 'not-completed'
  | 'not-dr-vault'
  | 'unsupported-type'
  | 'restore-off'
  | 'misconfigured';

export type RestoreOutcome =
  | {
      action: 'restore-started';
      restoreJobId: string;
      recoveryPointArn: string;
      resourceType: string;
      mode: 'test' | 'keep';
    }
  | { action: 'dry-run'; recoveryPointArn: string; resourceType: string; metadata: Record<string, string> }
  | { action: 'skipped'; reason: RestoreSkipReason; explanation: string; recoveryPointArn?: string };

export interface BackupRestorePolicy {
  account: string;
  region: string;
  primaryRegion: string;
  regionRole: 'primary' | 'recovery';
  vaultName: string;
  restoreRoleArn: string;
  settings: RestoreSettings;
  defaultRpoSeconds: number;
  defaultRtoSeconds: number;
}

export interface BackupRestoreDeps {
  backup: BackupReader & BackupRestoreControl;
  records: RestoreRecords;
  signals: SignalPublisher;
  clock: Clock;
  policy: BackupRestorePolicy;
  dryRun: boolean;
}

export interface RestoreRequest {
  purpose: 'copy' | 'scheduled-test';
  runId: string;
  correlationId: string;
}

function skipped(reason: RestoreSkipReason, explanation: string, recoveryPointArn?: string): RestoreOutcome {
  return { action: 'skipped', reason, explanation, ...(recoveryPointArn ? { recoveryPointArn } : {}) };
}

/**
 * Rule 5: our account, and the Region a job event of its kind can come from: a copy event from this Region or
 * forwarded from the primary Region (a cross-Region copy job's events are emitted in its source Region); a
 * backup job event only from this Region (it backs up into this Region's DR vault).
 */
function screen(
  event: { id: string; account: string; region: string },
  kind: 'copy' | 'backup',
  policy: BackupRestorePolicy,
): RestoreOutcome | undefined {
  const regions = kind === 'copy' ? [policy.region, policy.primaryRegion] : [policy.region];
  if (event.account !== policy.account || !regions.includes(event.region)) {
    throw new ForeignEventError(
      `${kind} job event ${event.id} is from account ${event.account}, region ${event.region}; this deployment acts only on those of ${policy.account} in ${regions.join(' or ')}`,
    );
  }
  if (policy.regionRole !== 'recovery') {
    return skipped(
      'not-recovery-region',
      `${policy.region} is the primary Region: restores run in the recovery Region`,
    );
  }
  return undefined;
}

function inDrVault(vaultArn: string | undefined, policy: BackupRestorePolicy): string | undefined {
  const vault = vaultOf(vaultArn);
  if (!vault) return `no destination vault in the event`;
  if (vault.region !== policy.region || vault.account !== policy.account || vault.name !== policy.vaultName) {
    return `vault ${vaultArn} is not the DR vault ${policy.vaultName} of ${policy.account} in ${policy.region}`;
  }
  return undefined;
}

/** What a job event must be to start a restore: ours (rule 5), in the recovery Region, completed, into the DR vault. */
function admitJob(
  event: { id: string; account: string; region: string },
  job: { kind: 'copy' | 'backup'; state: string; vaultArn: string | undefined },
  policy: BackupRestorePolicy,
): RestoreOutcome | undefined {
  const refused = screen(event, job.kind, policy);
  if (refused) return refused;
  if (job.state !== 'COMPLETED') return skipped('not-completed', `${job.kind} job state is ${job.state}`);
  const notDr = inDrVault(job.vaultArn, policy);
  if (notDr) return skipped('not-dr-vault', notDr);
  return undefined;
}

/** Restores the recovery point a job event led to, once, for that event. */
async function restoreForJob(
  recoveryPointArn: string,
  eventId: string,
  deps: BackupRestoreDeps,
): Promise<RestoreOutcome> {
  const point = await describePoint(recoveryPointArn, deps);
  return startDrRestore(point, { purpose: 'copy', runId: eventId, correlationId: eventId }, deps);
}

export async function restoreAfterCopy(
  event: CopyJobStateChangeEvent,
  deps: BackupRestoreDeps,
): Promise<RestoreOutcome> {
  const refused = admitJob(
    event,
    { kind: 'copy', state: event.detail.state, vaultArn: event.detail.destinationBackupVaultArn },
    deps.policy,
  );
  if (refused) return refused;

  let recoveryPointArn = destinationRecoveryPointArnOf(event);
  if (!recoveryPointArn && event.detail.copyJobId) {
    recoveryPointArn = (await deps.backup.describeCopyJob(event.detail.copyJobId))
      ?.destinationRecoveryPointArn;
  }
  if (!recoveryPointArn && event.detail.resourceArn) {
    recoveryPointArn = (
      await deps.backup.newestRecoveryPointOf(deps.policy.vaultName, event.detail.resourceArn)
    )?.recoveryPointArn;
  }
  if (!recoveryPointArn) {
    throw new RetryableDependencyError(
      `copy job ${event.detail.copyJobId ?? '(no id)'}: no recovery point of ${event.detail.resourceArn ?? 'its resource'} found in vault ${deps.policy.vaultName} yet`,
    );
  }
  return restoreForJob(recoveryPointArn, event.id, deps);
}

export async function restoreAfterBackup(
  event: BackupJobStateChangeEvent,
  deps: BackupRestoreDeps,
): Promise<RestoreOutcome> {
  const refused = admitJob(
    event,
    { kind: 'backup', state: event.detail.state, vaultArn: event.detail.backupVaultArn },
    deps.policy,
  );
  if (refused) return refused;
  const recoveryPointArn = recoveryPointArnOf(event);
  if (!recoveryPointArn) {
    throw new RetryableDependencyError(
      `backup job ${event.detail.backupJobId}: the event names no recovery point`,
    );
  }
  return restoreForJob(recoveryPointArn, event.id, deps);
}

async function describePoint(recoveryPointArn: string, deps: BackupRestoreDeps): Promise<RecoveryPoint> {
  const point = await deps.backup.describeRecoveryPoint(deps.policy.vaultName, recoveryPointArn);
  if (!point) {
    throw new RetryableDependencyError(
      `recovery point ${recoveryPointArn} is not (yet) in vault ${deps.policy.vaultName} in ${deps.policy.region}`,
    );
  }
  return point;
}

/**
 * Starts one DR restore of a recovery point in the DR vault (also used by the restore-test scheduler).
 * Idempotent: the token depends only on the recovery point and the purpose (for scheduled tests: the protected
 * resource and the run), and is claimed in the records before StartRestoreJob: a token whose restore started
 * and was signalled answers with that restore, without calling AWS again.
 */
export async function startDrRestore(
  point: RecoveryPoint,
  request: RestoreRequest,
  deps: BackupRestoreDeps,
): Promise<RestoreOutcome> {
  const { policy } = deps;
  const now = deps.clock();
  const signal = restoreSignalFactory({
    correlationId: request.correlationId,
    observedAt: now,
    dryRun: deps.dryRun,
  });
  const tags = await deps.backup.recoveryPointTags(point.recoveryPointArn);
  const resource = backupResource({
    resourceArn: point.resourceArn,
    recoveryPointArn: point.recoveryPointArn,
    fallbackRegion: policy.primaryRegion,
    account: policy.account,
  });
  const workload = workloadFromTags(tags);
  const type = point.resourceType;
  const evidence = {
    recoveryPointArn: point.recoveryPointArn,
    resourceType: type ?? null,
    purpose: request.purpose,
  };

  if (!isRestorableType(type)) {
    const explanation = `resource type ${type ?? '(none)'} is not restored by dr-autopilot`;
    await deps.signals.publish([
      signal({
        type: SIGNAL_TYPES.restoreSkipped,
        resource,
        workload,
        severity: 'info',
        summary: `DR restore skipped for ${resource.id}: ${explanation}`,
        evidence: { ...evidence, reason: 'unsupported-type' },
      }),
    ]);
    return skipped('unsupported-type', explanation, point.recoveryPointArn);
  }
  const mode = request.purpose === 'scheduled-test' ? 'test' : restoreModeFor(type, tags, policy.settings);
  if (mode === 'off') {
    const explanation = `automatic restores of ${type} are off (RESTORE_SETTINGS.${type}.onCopy or tag dr-autopilot:restore)`;
    await deps.signals.publish([
      signal({
        type: SIGNAL_TYPES.restoreSkipped,
        resource,
        workload,
        severity: 'info',
        summary: `DR restore skipped for ${resource.id}: ${explanation}`,
        evidence: { ...evidence, reason: 'restore-off' },
      }),
    ]);
    return skipped('restore-off', explanation, point.recoveryPointArn);
  }

  // A copy: one restore per recovery point. A scheduled test: one restore per protected resource and run,
  // whichever of its points the run chooses (a retried run must not start a second one for that resource).
  const token =
    request.purpose === 'copy'
      ? restoreTokenFor(point.recoveryPointArn, 'copy')
      : restoreTokenFor(point.resourceArn ?? point.recoveryPointArn, `scheduled-test:${request.runId}`);
  const inferred = await deps.backup.inferredRestoreMetadata(policy.vaultName, point.recoveryPointArn);
  // EC2's KMS key goes into BlockDeviceMappings, which only the backed-up configuration has.
  const original =
    type === 'EC2' && policy.settings.EC2?.kmsKeyArn
      ? await deps.backup.originalRestoreMetadata(policy.vaultName, point.recoveryPointArn)
      : undefined;
  const decision = buildRestoreMetadata({
    resourceType: type,
    inferred,
    original,
    settings: policy.settings,
    region: policy.region,
    name: restoreNameFor(token),
    mode,
  });
  if (decision.kind !== 'restore') {
    const explanation =
      decision.kind === 'misconfigured'
        ? `missing ${decision.missing.join(', ')}`
        : decision.kind === 'inapplicable'
          ? `${decision.setting} is set but cannot be applied: ${decision.reason}`
          : decision.reason;
    await deps.signals.publish([
      signal({
        type: SIGNAL_TYPES.restoreSkipped,
        resource,
        workload,
        severity: 'warning',
        summary: `DR restore of ${resource.id} (${type}) not possible: ${explanation}`,
        assessment: {
          state: 'UNKNOWN',
          reason:
            decision.kind === 'inapplicable'
              ? `cannot restore ${type} backups in ${policy.region}: ${decision.setting.replace('RESTORE_SETTINGS.', '')} not applicable`.slice(
                  0,
                  120,
                )
              : `cannot restore ${type} backups in ${policy.region}: settings missing`,
          nextStep:
            decision.kind === 'inapplicable'
              ? `${decision.setting} (stage parameter restoreSettings) cannot be applied to ${point.recoveryPointArn}: ${decision.reason}. Check the recovery point's restore metadata (GetRecoveryPointRestoreMetadata), or remove the setting if the DR vault key suffices, and redeploy.`
              : `Set ${decision.kind === 'misconfigured' ? decision.missing.join(', ') : 'RESTORE_SETTINGS'} (a subnet, security groups or key of ${policy.region}) and redeploy.`,
          runbook: RESTORE_RUNBOOK.settings,
        },
        evidence: { ...evidence, reason: 'misconfigured', explanation },
      }),
    ]);
    return skipped('misconfigured', explanation, point.recoveryPointArn);
  }

  if (deps.dryRun) {
    await deps.signals.publish([
      signal({
        type: SIGNAL_TYPES.restoreSkipped,
        resource,
        workload,
        severity: 'info',
        summary: `dry-run: would restore ${point.recoveryPointArn} (${type}, ${mode}) in ${policy.region}`,
        evidence: {
          ...evidence,
          reason: 'dry-run',
          mode,
          metadataKeys: Object.keys(decision.metadata).sort().join(','),
        },
      }),
    ]);
    return {
      action: 'dry-run',
      recoveryPointArn: point.recoveryPointArn,
      resourceType: type,
      metadata: decision.metadata,
    };
  }

  // AWS Backup's own token may stop deduplicating after a while (an older API text: one hour), so the token is
  // claimed in our table first: a token that already started a restore never starts another.
  const claim: RestoreTokenClaim = {
    token,
    recoveryPointArn: point.recoveryPointArn,
    runId: request.runId,
  };
  const claimed = await deps.records.claimToken(claim);
  if (claimed?.restoreJobId && claimed.signalled) {
    return {
      action: 'restore-started',
      restoreJobId: claimed.restoreJobId,
      recoveryPointArn: point.recoveryPointArn,
      resourceType: type,
      mode: claimed.mode ?? mode,
    };
  }
  const restoreJobId =
    claimed?.restoreJobId ??
    (
      await deps.backup.startRestoreJob({
        recoveryPointArn: point.recoveryPointArn,
        resourceType: type,
        metadata: decision.metadata,
        iamRoleArn: policy.restoreRoleArn,
        idempotencyToken: token,
      })
    ).restoreJobId;
  const started: RestoreTokenClaim = { ...claim, restoreJobId, mode };
  if (!claimed?.restoreJobId) await deps.records.updateTokenClaim(started);
  // Created once: a retry (after a failure below) keeps the record, which validation may have moved on.
  await deps.records.create({
    restoreJobId,
    owner: 'dr-autopilot',
    purpose: request.purpose,
    mode,
    runId: request.runId,
    recoveryPointArn: point.recoveryPointArn,
    resourceType: type,
    sourceResourceArn: point.resourceArn,
    requestedName: decision.requestedName,
    idempotencyToken: token,
    workload,
    rtoSeconds: parseIsoDuration(tags[RTO_TAG]) || policy.defaultRtoSeconds,
    rpoSeconds: parseIsoDuration(tags[RPO_TAG]) || policy.defaultRpoSeconds,
    startedAt: now.toISOString(),
    phase: 'started',
    correlationId: request.correlationId,
  });
  await deps.signals.publish([
    signal({
      type: SIGNAL_TYPES.restoreStarted,
      resource,
      workload,
      severity: 'info',
      summary: `DR restore ${restoreJobId} started for ${resource.id} (${type}, ${mode === 'test' ? 'test: deleted after validation' : 'kept'}) in ${policy.region}`,
      evidence: { ...evidence, restoreJobId, mode, runId: request.runId },
    }),
  ]);
  await deps.records.updateTokenClaim({ ...started, signalled: true });
  return {
    action: 'restore-started',
    restoreJobId,
    recoveryPointArn: point.recoveryPointArn,
    resourceType: type,
    mode,
  };
}
