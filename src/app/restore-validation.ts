import type { ScheduledEvent } from '../../events/aws-events/scheduled-event.ts';
import {
  type RestoreJobStateChangeEvent,
  restoreStatusOf,
} from '../../events/backup/restore-job-state-change.ts';
import { RPO_TAG, RTO_TAG, SIGNAL_TYPES, workloadFromTags } from '../../events/dr-autopilot/signal.ts';
import { formatSeconds, parseIsoDuration } from '../domain/duration.ts';
import { DrAutopilotError, ForeignEventError, RetryableDependencyError } from '../domain/errors.ts';
import {
  carriesOurTag,
  decideClaim,
  decideOwnership,
  describeWait,
  type Ownership,
  ourTags,
  planCleanup,
  planLeftovers,
} from '../domain/restore-ownership.ts';
import { isRestorableType, type RestoreSettings } from '../domain/restore-settings.ts';
import {
  chooseValidator,
  combineVerdicts,
  judgeValidatorResponse,
  type RestoreValidators,
  type ValidatorResult,
} from '../domain/restore-validators.ts';
import {
  assessRestoreResult,
  type FinalVerdict,
  judgeRestoredResource,
  measureRestore,
  type RestoreExpectations,
  TYPES_COMPARED_WITH_METADATA,
} from '../domain/restore-verdict.ts';
import { truncate } from '../domain/text.ts';
import type { BackupReader, BackupRestoreControl, RestoreJob } from '../ports/backup.ts';
import type { RestoreJobClaim, RestoreRecord, RestoreRecords } from '../ports/backup-restore-records.ts';
import type { RestoreValidatorInvoker } from '../ports/restore-validator.ts';
import type {
  CleanupStep,
  RestoredResource,
  RestoredResourceHandlers,
  TagTarget,
} from '../ports/restored-resources.ts';
import type { Clock, SignalPublisher } from '../ports/signals.ts';
import { backupResource, RESTORE_RUNBOOK, restoreSignalFactory } from './backup-restore-signals.ts';
import { type NotRecoveryRegion, screenScheduledRun } from './restore-schedule.ts';

/**
 * Validate what a restore created, measure it, report it, and delete what a test created.
 * Input: a *Restore Job State Change* (COMPLETED / FAILED / ABORTED), or the sweep schedule, which moves every
 * open restore forward (validation that was still pending, cleanup still under way, and COMPLETED events
 * AWS never delivered: Backup events are best effort).
 * Steps: refuse outside the recovery Region → DescribeRestoreJob → ownership (our record, or a
 * restore-testing plan; anything else is never touched) → FAILED/ABORTED: critical signal → COMPLETED: claim
 * the created resource (our restores: check it is the one we asked for, then tag it) → validate for real, per
 * type (Aurora: create a DB instance first) → measure against RTO / RPO → signal → clean up (tests: everything
 * the restore created and we tagged; otherwise only our validation instance) → PutRestoreValidationResult for
 * restore-testing-plan jobs, once.
 */
export type ValidationOutcome =
  | {
      action: 'skipped';
      restoreJobId?: string;
      reason:
        | 'not-recovery-region'
        | 'not-ours'
        | 'not-finished'
        | 'already-done'
        | 'unsupported-type'
        | 'claimed-by-another';
      explanation: string;
    }
  | { action: 'restore-failed'; restoreJobId: string; status: string; statusMessage: string }
  | { action: 'validation-pending'; restoreJobId: string; checks: string[] }
  | { action: 'claim-refused'; restoreJobId: string; reason: string }
  | {
      action: 'validated';
      restoreJobId: string;
      verdict: FinalVerdict;
      cleanup: CleanupStatus;
      deleted: string[];
      refused: string[];
    }
  | {
      action: 'cleanup-progress';
      restoreJobId: string;
      cleanup: CleanupStatus;
      deleted: string[];
      waiting?: string;
    };

export type SweepOutcome =
  | {
      action: 'swept';
      processed: { restoreJobId: string; action: string }[];
      /** Open restores not reached before the invocation's time ran short: the next sweep takes them first. */
      leftForNextSweep?: number;
    }
  | NotRecoveryRegion;

type CleanupStatus = 'none' | 'done' | 'in-progress' | 'dry-run';

export interface RestoreValidationPolicy {
  account: string;
  region: string;
  primaryRegion: string;
  regionRole: 'primary' | 'recovery';
  settings: RestoreSettings;
  defaultRpoSeconds: number;
  defaultRtoSeconds: number;
  /** How long after completion a pending validation may take before it is TIMED_OUT. */
  validationWindowSeconds: number;
  /** Open restores moved forward per sweep. */
  maxPerSweep: number;
  /**
   * Time a sweep keeps in hand before starting the next restore (the longest one restore may take: a workload
   * validator's timeout plus the service calls around it); without `remainingMs`, no bound.
   */
  sweepReserveMs?: number | undefined;
}

export interface RestoreValidationDeps {
  backup: BackupReader & BackupRestoreControl;
  records: RestoreRecords;
  handlers: RestoredResourceHandlers;
  signals: SignalPublisher;
  clock: Clock;
  policy: RestoreValidationPolicy;
  dryRun: boolean;
  /** Milliseconds left in this invocation (Lambda's context); the sweep stops starting restores near the end. */
  remainingMs?: (() => number) | undefined;
  /** Workloads' own validators (RESTORE_VALIDATORS) and how to ask them; absent or empty: built-in checks only. */
  validators?: { functions: RestoreValidators; invoker: RestoreValidatorInvoker } | undefined;
}

const FAILED_STATUSES = new Set(['FAILED', 'ABORTED']);

export class RestoreSweepError extends DrAutopilotError {}

export async function validateRestoreJob(
  event: RestoreJobStateChangeEvent,
  deps: RestoreValidationDeps,
): Promise<ValidationOutcome> {
  const { policy } = deps;
  if (event.account !== policy.account || event.region !== policy.region) {
    throw new ForeignEventError(
      `event ${event.id} is from account ${event.account}, region ${event.region}; this deployment acts only in ${policy.account} ${policy.region}`,
    );
  }
  const restoreJobId = event.detail.restoreJobId;
  if (policy.regionRole !== 'recovery') {
    return {
      action: 'skipped',
      restoreJobId,
      reason: 'not-recovery-region',
      explanation: `${policy.region} is the primary Region: restores are validated in the recovery Region`,
    };
  }
  return progress(restoreJobId, event.id, deps, restoreStatusOf(event));
}

/** The sweep: every open restore, oldest first, at most `maxPerSweep`; failures are named after all ran. */
export async function sweepOpenRestores(
  event: ScheduledEvent,
  deps: RestoreValidationDeps,
): Promise<SweepOutcome> {
  const { policy } = deps;
  const refused = screenScheduledRun(event, policy, 'restores are validated');
  if (refused) return refused;
  const open: RestoreRecord[] = [];
  for await (const page of deps.records.listOpen()) open.push(...page);
  open.sort((a, b) => a.startedAt.localeCompare(b.startedAt));
  const processed: { restoreJobId: string; action: string }[] = [];
  const failures: string[] = [];
  const batch = open.slice(0, policy.maxPerSweep);
  let leftForNextSweep = 0;
  for (const [index, record] of batch.entries()) {
    if (deps.remainingMs && deps.remainingMs() < (policy.sweepReserveMs ?? 0)) {
      leftForNextSweep = batch.length - index;
      break;
    }
    try {
      const outcome = await progress(record.restoreJobId, event.id, deps, undefined);
      processed.push({ restoreJobId: record.restoreJobId, action: outcome.action });
    } catch (error) {
      failures.push(`${record.restoreJobId}: ${(error as Error).message}`);
    }
  }
  if (failures.length > 0) {
    throw new RestoreSweepError(
      `sweep ${event.id}: ${failures.length} restore(s) failed: ${failures.join('; ')}`,
    );
  }
  return { action: 'swept', processed, ...(leftForNextSweep > 0 ? { leftForNextSweep } : {}) };
}

async function progress(
  restoreJobId: string,
  correlationId: string,
  deps: RestoreValidationDeps,
  eventStatus: string | undefined,
): Promise<ValidationOutcome> {
  const job = await deps.backup.describeRestoreJob(restoreJobId);
  if (!job) {
    throw new RetryableDependencyError(`DescribeRestoreJob does not know restore job ${restoreJobId} (yet)`);
  }
  const existing = await deps.records.get(restoreJobId);
  const ownership = decideOwnership(job, existing);
  if (ownership === 'foreign') {
    return {
      action: 'skipped',
      restoreJobId,
      reason: 'not-ours',
      explanation: `restore job ${restoreJobId} was started neither by dr-autopilot nor by a restore-testing plan: not touched`,
    };
  }
  if (existing?.phase === 'done') {
    return {
      action: 'skipped',
      restoreJobId,
      reason: 'already-done',
      explanation: `verdict ${existing.verdict ?? ''}`,
    };
  }
  const status = job.status ?? eventStatus ?? 'UNKNOWN';
  if (!FAILED_STATUSES.has(status) && status !== 'COMPLETED') {
    return {
      action: 'skipped',
      restoreJobId,
      reason: 'not-finished',
      explanation: `restore job is ${status}`,
    };
  }
  // Nothing is done for a job before it is claimed: two overlapping deliveries (the event and the sweep, or the
  // event re-emitted under a new id) would both tag, create, delete, report and signal.
  const now = deps.clock();
  const claim: RestoreJobClaim = {
    holder: `${correlationId}/${crypto.randomUUID()}`,
    until: now.getTime() + CLAIM_SECONDS * 1000,
  };
  const taken = await deps.records.claim(
    restoreJobId,
    claim,
    now,
    existing ? undefined : await planRecord(job, correlationId, deps),
  );
  if (!taken.claimed) {
    return {
      action: 'skipped',
      restoreJobId,
      reason: 'claimed-by-another',
      explanation: `${taken.heldBy} is moving this restore forward (claim until ${new Date(taken.until).toISOString()})`,
    };
  }
  let outcome: ValidationOutcome;
  try {
    outcome = await step(taken.record, job, ownership, status, correlationId, {
      ...deps,
      records: holding(deps.records, claim),
    });
  } catch (error) {
    // Given back at once, so that a retry need not wait for the claim to expire; the error is what matters.
    await deps.records.release(restoreJobId, claim).catch(() => undefined);
    throw error;
  }
  await deps.records.release(restoreJobId, claim);
  return outcome;
}

/**
 * How long a claim holds a restore job: the longest timeout of a function that validates restores
 * (infra/functions: restore-validation 300 s, the reconciler 600 s, which validates restore-testing-plan jobs AWS
 * never announced), plus 60 s for clock skew. Past it the holder has surely ended (a crash, a timeout), and the
 * next sweep or delivery takes the job.
 */
export const CLAIM_SECONDS = 600 + 60;

/** The records as a claimed step writes them: every write only while the claim still holds the job. */
function holding(records: RestoreRecords, claim: RestoreJobClaim): RestoreRecords {
  return { ...records, put: (record) => records.put(record, claim) };
}

/** One claimed step of a finished restore job: the failure signal, the validation, or a cleanup round. */
async function step(
  record: RestoreRecord,
  job: RestoreJob,
  ownership: Exclude<Ownership, 'foreign'>,
  status: string,
  correlationId: string,
  deps: RestoreValidationDeps,
): Promise<ValidationOutcome> {
  const restoreJobId = record.restoreJobId;
  if (record.phase === 'done') {
    // Finished by another delivery between this one's first read and its claim.
    return {
      action: 'skipped',
      restoreJobId,
      reason: 'already-done',
      explanation: `verdict ${record.verdict ?? ''}`,
    };
  }
  const signal = restoreSignalFactory({ correlationId, observedAt: deps.clock(), dryRun: deps.dryRun });
  const resource = backupResource({
    resourceArn: job.sourceResourceArn ?? record.sourceResourceArn,
    recoveryPointArn: job.recoveryPointArn,
    fallbackRegion: deps.policy.primaryRegion,
    account: deps.policy.account,
  });

  if (FAILED_STATUSES.has(status)) {
    const statusMessage = job.statusMessage ?? 'no status message';
    await deps.signals.publish([
      signal({
        type: SIGNAL_TYPES.restoreTestResult,
        resource,
        workload: record.workload,
        severity: 'critical',
        summary: `DR restore ${restoreJobId} of ${resource.id} (${job.resourceType ?? record.resourceType}) ${status}: ${statusMessage}`,
        assessment: {
          state: 'NOT_READY',
          reason: `DR restore ${status.toLowerCase()} for ${job.resourceType ?? record.resourceType}`.slice(
            0,
            120,
          ),
          nextStep: `Read the status message of restore job ${restoreJobId} in ${deps.policy.region}; fix the DR settings, role or key it names, and let the next copy or test run retry.`,
          runbook: RESTORE_RUNBOOK.failed,
        },
        evidence: {
          restoreJobId,
          status,
          statusMessage,
          owner: ownership,
          recoveryPointArn: job.recoveryPointArn ?? null,
        },
      }),
    ]);
    await deps.records.put({ ...record, phase: 'done', verdict: status.toLowerCase() });
    return { action: 'restore-failed', restoreJobId, status, statusMessage };
  }

  if (record.phase === 'cleaning') return continueCleanup(record, job, ownership, deps, signal, resource);
  const validating: RestoreRecord =
    record.phase === 'validating'
      ? record
      : {
          ...record,
          phase: 'validating',
          validationDeadline: new Date(
            (job.completionDate ?? deps.clock()).getTime() + deps.policy.validationWindowSeconds * 1000,
          ).toISOString(),
        };
  if (validating !== record) await deps.records.put(validating);
  return validate(validating, job, ownership, deps, signal, resource);
}

/** A restore-testing-plan job we have not seen before: followed with the recovery point's RTO/RPO tags. */
async function planRecord(
  job: RestoreJob,
  correlationId: string,
  deps: RestoreValidationDeps,
): Promise<RestoreRecord> {
  const tags = job.recoveryPointArn ? await deps.backup.recoveryPointTags(job.recoveryPointArn) : {};
  return {
    restoreJobId: job.restoreJobId,
    owner: 'restore-testing-plan',
    purpose: 'restore-testing-plan',
    mode: 'test',
    runId: job.restoreTestingPlanArn ?? 'restore-testing-plan',
    recoveryPointArn: job.recoveryPointArn ?? '',
    resourceType: job.resourceType ?? 'unknown',
    sourceResourceArn: job.sourceResourceArn,
    workload: workloadFromTags(tags),
    rtoSeconds: parseIsoDuration(tags[RTO_TAG]) || deps.policy.defaultRtoSeconds,
    rpoSeconds: parseIsoDuration(tags[RPO_TAG]) || deps.policy.defaultRpoSeconds,
    startedAt: (job.creationDate ?? deps.clock()).toISOString(),
    phase: 'started',
    correlationId,
  };
}

async function validate(
  record: RestoreRecord,
  job: RestoreJob,
  ownership: Exclude<Ownership, 'foreign'>,
  deps: RestoreValidationDeps,
  signal: ReturnType<typeof restoreSignalFactory>,
  subject: ReturnType<typeof backupResource>,
): Promise<ValidationOutcome> {
  const restoreJobId = record.restoreJobId;
  const type = job.resourceType ?? record.resourceType;
  const handler = isRestorableType(type) ? deps.handlers[type] : undefined;
  if (!isRestorableType(type) || !handler) {
    await deps.records.put({ ...record, phase: 'done', verdict: 'unsupported-type' });
    return {
      action: 'skipped',
      restoreJobId,
      reason: 'unsupported-type',
      explanation: `dr-autopilot does not validate ${type} restores`,
    };
  }
  const now = deps.clock();
  let resource: RestoredResource | undefined = job.createdResourceArn
    ? await handler.inspect(job.createdResourceArn)
    : undefined;

  if (resource?.exists && ownership === 'dr-autopilot' && !carriesOurTag(resource.tags, restoreJobId)) {
    const claim = decideClaim(resource, job, record);
    if (!claim.claim) {
      await deps.signals.publish([
        signal({
          type: SIGNAL_TYPES.restoreTestResult,
          resource: subject,
          workload: record.workload,
          severity: 'warning',
          summary: `DR restore ${restoreJobId}: ${claim.reason}; not validated and never deleted`,
          assessment: {
            state: 'UNKNOWN',
            reason: truncate(`restored ${type} could not be matched to restore job`, 120),
            nextStep: `Check restore job ${restoreJobId} and ${job.createdResourceArn ?? 'its created resource'} by hand; delete the restored copy yourself if it is a test.`,
            runbook: RESTORE_RUNBOOK.failed,
          },
          evidence: {
            restoreJobId,
            createdResourceArn: job.createdResourceArn ?? null,
            reason: claim.reason,
          },
        }),
      ]);
      await deps.records.put({ ...record, phase: 'done', verdict: 'claim-refused' });
      return { action: 'claim-refused', restoreJobId, reason: claim.reason };
    }
    if (!deps.dryRun) {
      await handler.tag(resource, claim.targets, ourTags(record));
      resource = await handler.inspect(resource.arn);
    }
  }

  const judgement = resource
    ? judgeRestoredResource(resource, await expectationsFor(job, resource, deps))
    : { verdict: 'failed' as const, checks: ['the restore job names no created resource'] };
  if (resource && 'prepare' in judgement && judgement.prepare && handler.prepare && !deps.dryRun) {
    const created = await handler.prepare(resource, {
      restoreJobId,
      tags: ourTags(record),
      instanceClass: deps.policy.settings.Aurora?.validationInstanceClass,
    });
    judgement.checks.push(`created ${created.join(', ')} to validate`);
  }
  let verdict: FinalVerdict;
  if (judgement.verdict === 'pending') {
    if (now.getTime() < Date.parse(record.validationDeadline ?? '')) {
      return { action: 'validation-pending', restoreJobId, checks: judgement.checks };
    }
    verdict = 'timed-out';
  } else verdict = judgement.verdict;
  // The workload's own validator is asked only once the built-in checks passed; its verdict joins theirs.
  const custom =
    verdict === 'passed' && resource
      ? await customValidation(record, job, resource, judgement.checks, deps)
      : undefined;
  if (custom) {
    verdict = combineVerdicts(verdict, custom);
    judgement.checks.push(custom.checks);
  }

  const measurements = measureRestore({
    jobCreation: job.creationDate,
    jobCompletion: job.completionDate,
    recoveryPointCreation: job.recoveryPointCreationDate,
    validatedAt: now,
    rtoSeconds: record.rtoSeconds,
    rpoSeconds: record.rpoSeconds,
  });
  // The verdict is kept before anything is deleted: a retry after a failure past this point (the result
  // signal, the report) signals this verdict, and never re-validates (nor re-prepares) a deleted resource.
  const decided: RestoreRecord = {
    ...record,
    verdict,
    checks: judgement.checks.join('; '),
    measurements,
    customValidation: custom,
    phase: 'cleaning',
    resultSignalled: false,
  };
  await deps.records.put(decided);
  const cleanup: CleanupRound = resource
    ? await runCleanup(decided, job, ownership, resource, deps)
    : { status: 'none', deleted: [], refused: [], targets: [] };
  await finish(decided, job, ownership, cleanup, deps, signal, subject);
  return {
    action: 'validated',
    restoreJobId,
    verdict,
    cleanup: cleanup.status,
    deleted: cleanup.deleted,
    refused: cleanup.refused,
  };
}

/**
 * What the restored resource is compared with: the job's size and completion, and (for the types whose checks
 * need it, once the resource exists) the recovery point's original configuration. A recovery point deleted
 * since the restore leaves the metadata unknown, and those checks say so.
 */
async function expectationsFor(
  job: RestoreJob,
  resource: RestoredResource,
  deps: RestoreValidationDeps,
): Promise<RestoreExpectations> {
  const expected = { backupSizeInBytes: job.backupSizeInBytes, completionDate: job.completionDate };
  const vaultName = job.backupVaultArn?.split(':backup-vault:')[1];
  if (
    !resource.exists ||
    !TYPES_COMPARED_WITH_METADATA.has(resource.type) ||
    !vaultName ||
    !job.recoveryPointArn
  ) {
    return expected;
  }
  try {
    return {
      ...expected,
      metadata: await deps.backup.originalRestoreMetadata(vaultName, job.recoveryPointArn),
    };
  } catch (error) {
    // Gone since the restore, or refused for good (a vault access policy, another account's vault): validate
    // without it, and say so. Anything else (throttling, a 5xx) is retried by the next round.
    const name = (error as Error).name;
    if (!METADATA_UNAVAILABLE.has(name)) throw error;
    return { ...expected, metadataUnavailable: truncate(`${name}: ${(error as Error).message}`, 300) };
  }
}

/** GetRecoveryPointRestoreMetadata errors that no retry mends (Backup API reference, Errors). */
const METADATA_UNAVAILABLE = new Set([
  'ResourceNotFoundException',
  'AccessDeniedException',
  'InvalidParameterValueException',
  'InvalidRequestException',
]);

/**
 * After a verdict and a cleanup round: the `Restore Test Result` signal (once, with the verdict as it was
 * decided), PutRestoreValidationResult (once, restore-testing plans), and the record (`done`, or `cleaning`
 * while cleanup must wait).
 */
async function finish(
  decided: RestoreRecord,
  job: RestoreJob,
  ownership: Exclude<Ownership, 'foreign'>,
  cleanup: CleanupRound,
  deps: RestoreValidationDeps,
  signal: ReturnType<typeof restoreSignalFactory>,
  subject: ReturnType<typeof backupResource>,
): Promise<void> {
  let record: RestoreRecord = {
    ...decided,
    cleanupTargets: cleanup.targets.length > 0 ? cleanup.targets : undefined,
    cleanupWaiting: cleanup.status === 'in-progress' ? `waiting: ${cleanup.waiting ?? 'a step'}` : undefined,
    cleanupDeleted: unique([...(decided.cleanupDeleted ?? []), ...cleanup.deleted]),
    cleanupRefused:
      cleanup.refused.length > 0 ? truncate(cleanup.refused.join('; '), 1000) : decided.cleanupRefused,
  };
  if (record.cleanupDeleted?.length === 0) record.cleanupDeleted = undefined;
  const verdict = (record.verdict ?? 'failed') as FinalVerdict;
  const checks = record.checks ?? `verdict ${verdict}`;
  // What this round deleted is kept before any signal goes out: a retry after a failed publish finds the
  // resource gone (nothing left to delete) and still signals the cleanup from the record.
  if (cleanup.deleted.length > 0) await deps.records.put(record);
  // Everything deleted over all rounds, once the last owned piece is gone (`none`: nothing was left this round).
  const allDeleted = record.cleanupDeleted ?? [];
  const cleaned = (cleanup.status === 'done' || cleanup.status === 'none') && allDeleted.length > 0;
  if (record.resultSignalled === false) {
    await deps.signals.publish([
      resultSignal(record, job, ownership, verdict, checks, cleanup, deps, signal, subject),
      ...(cleaned ? [cleanupSignal(record, job, allDeleted, signal, subject)] : []),
    ]);
    record = { ...record, resultSignalled: true };
    await deps.records.put(record);
  } else if (cleaned) {
    // A cleanup that had to wait (a volume still attached to a terminating instance) finished in a later round.
    await deps.signals.publish([cleanupSignal(record, job, allDeleted, signal, subject)]);
  }
  const reported = await reportValidation(record, job, ownership, verdict, checks, cleanup.status, deps);
  await deps.records.put({
    ...record,
    validationReported: reported,
    phase: cleanup.status === 'in-progress' ? 'cleaning' : 'done',
  });
}

function unique(items: string[]): string[] {
  return [...new Set(items)];
}

function resultSignal(
  record: RestoreRecord,
  job: RestoreJob,
  ownership: Exclude<Ownership, 'foreign'>,
  verdict: FinalVerdict,
  checks: string,
  cleanup: { status: CleanupStatus; deleted: string[] },
  deps: RestoreValidationDeps,
  signal: ReturnType<typeof restoreSignalFactory>,
  subject: ReturnType<typeof backupResource>,
) {
  const restoreJobId = record.restoreJobId;
  const type = job.resourceType ?? record.resourceType;
  const measurements =
    record.measurements ??
    measureRestore({
      jobCreation: job.creationDate,
      jobCompletion: job.completionDate,
      recoveryPointCreation: job.recoveryPointCreationDate,
      validatedAt: deps.clock(),
      rtoSeconds: record.rtoSeconds,
      rpoSeconds: record.rpoSeconds,
    });
  const assessment = assessRestoreResult(verdict, measurements, record.purpose === 'copy');
  return signal({
    type: SIGNAL_TYPES.restoreTestResult,
    resource: subject,
    workload: record.workload,
    severity: assessment.severity,
    summary: `DR restore test ${verdict} for ${subject.id} (${type}): restored in ${formatSeconds(measurements.measuredRtoSeconds ?? Number.NaN)} (RTO ${formatSeconds(record.rtoSeconds)}), data ${formatSeconds(measurements.recoveryPointAgeSeconds ?? Number.NaN)} old (RPO ${formatSeconds(record.rpoSeconds)}); ${checks}`,
    assessment: {
      state: assessment.state,
      reason: assessment.reason,
      ...(assessment.state === 'READY'
        ? {}
        : {
            nextStep:
              verdict === 'passed'
                ? 'Restores from the DR vault are slower or older than the objectives: review the RTO/RPO tags, the backup and copy frequency, or the restore size.'
                : `The restored ${type} did not pass validation (${checks}): fix the DR settings or the backup, then let the next test run confirm.`,
            runbook: verdict === 'passed' ? RESTORE_RUNBOOK.slow : RESTORE_RUNBOOK.failed,
          }),
    },
    evidence: {
      restoreJobId,
      verdict,
      checks: truncate(checks, 1000),
      owner: ownership,
      mode: record.mode,
      purpose: record.purpose,
      createdResourceArn: job.createdResourceArn ?? null,
      recoveryPointArn: job.recoveryPointArn ?? null,
      cleanup: cleanup.status,
      deleted: cleanup.deleted.join(','),
      ...measurements,
      ...validatorEvidence(record.customValidation),
    },
  });
}

/** The custom validator's part of the result's evidence (flat: signal evidence holds scalars). */
function validatorEvidence(custom: ValidatorResult | undefined) {
  return {
    validator: custom?.functionName ?? null,
    validatorVerdict: custom?.verdict ?? null,
    validatorChecks: custom?.checks ?? null,
    validatorEvidence: custom?.evidence ?? null,
  };
}

/**
 * The workload's own validator (RESTORE_VALIDATORS, or the recovery point's `dr-autopilot:validator` tag naming
 * one of them): invoked with the restored resource; its answer judged (an error, a timeout or a malformed
 * answer fails). `undefined` when none applies. Dry-run invokes nothing (a validator is code we cannot vouch for:
 * it may change things), and says so in the checks.
 */
async function customValidation(
  record: RestoreRecord,
  job: RestoreJob,
  resource: RestoredResource,
  builtInChecks: string[],
  deps: RestoreValidationDeps,
): Promise<ValidatorResult | undefined> {
  const validators = deps.validators;
  if (!validators || Object.keys(validators.functions).length === 0) return undefined;
  const tags = job.recoveryPointArn ? await deps.backup.recoveryPointTags(job.recoveryPointArn) : {};
  const choice = chooseValidator(record.workload, tags, validators.functions);
  if (choice.kind === 'none') return undefined;
  if (choice.kind === 'refused') {
    return { functionName: 'none', source: 'tag', verdict: 'failed', checks: choice.reason };
  }
  if (deps.dryRun) {
    builtInChecks.push(`validator ${choice.functionName} not invoked (dry-run)`);
    return undefined;
  }
  const response = await validators.invoker.invoke(choice.functionName, {
    version: '1',
    restoreJobId: record.restoreJobId,
    resourceType: resource.type,
    restoredResourceArn: job.createdResourceArn ?? resource.arn,
    sourceResourceArn: job.sourceResourceArn ?? record.sourceResourceArn ?? null,
    recoveryPointArn: job.recoveryPointArn ?? (record.recoveryPointArn || null),
    workload: record.workload,
    builtInChecks: [...builtInChecks],
  });
  return judgeValidatorResponse(choice, response);
}

/** Evidence only: what the restore created is gone (the ledger's cleanup record for auditors). */
function cleanupSignal(
  record: RestoreRecord,
  job: RestoreJob,
  deleted: readonly string[],
  signal: ReturnType<typeof restoreSignalFactory>,
  subject: ReturnType<typeof backupResource>,
) {
  return signal({
    type: SIGNAL_TYPES.restoreCleanupFinished,
    resource: subject,
    workload: record.workload,
    severity: 'info',
    summary: `cleanup of DR restore ${record.restoreJobId} finished: deleted ${deleted.join(', ')}`,
    evidence: {
      restoreJobId: record.restoreJobId,
      mode: record.mode,
      createdResourceArn: job.createdResourceArn ?? null,
      deleted: truncate(deleted.join(','), 1000),
    },
  });
}

async function continueCleanup(
  record: RestoreRecord,
  job: RestoreJob,
  ownership: Exclude<Ownership, 'foreign'>,
  deps: RestoreValidationDeps,
  signal: ReturnType<typeof restoreSignalFactory>,
  subject: ReturnType<typeof backupResource>,
): Promise<ValidationOutcome> {
  const type = job.resourceType ?? record.resourceType;
  const handler = isRestorableType(type) ? deps.handlers[type] : undefined;
  const cleanup: CleanupRound =
    handler && job.createdResourceArn
      ? await runCleanup(record, job, ownership, await handler.inspect(job.createdResourceArn), deps)
      : { status: 'none', deleted: [], refused: [], targets: record.cleanupTargets ?? [] };
  await finish(record, job, ownership, cleanup, deps, signal, subject);
  return {
    action: 'cleanup-progress',
    restoreJobId: record.restoreJobId,
    cleanup: cleanup.status,
    deleted: cleanup.deleted,
    ...(cleanup.waiting ? { waiting: cleanup.waiting } : {}),
  };
}

interface CleanupRound {
  status: CleanupStatus;
  /** Deleted in this round. */
  deleted: string[];
  refused: string[];
  /** Every owned piece known so far (remembered in the record for the next round). */
  targets: TagTarget[];
  /** What the cleanup waits for, while `in-progress`. */
  waiting?: string | undefined;
}

/**
 * One cleanup round: the plan for the restored resource as it is now, plus every owned piece an earlier round
 * remembered that the resource no longer lists (a terminated EC2 instance lists no volumes), read afresh.
 * Steps run in order, stopping at the first that must wait; the cleanup is `done` only when every owned piece
 * is gone (rule 4: delete only what we created, and finish).
 */
async function runCleanup(
  record: RestoreRecord,
  job: RestoreJob,
  ownership: Exclude<Ownership, 'foreign'>,
  resource: RestoredResource,
  deps: RestoreValidationDeps,
): Promise<CleanupRound> {
  const plan = planCleanup({ ownership, mode: record.mode, resource, job });
  const refused = plan.refused.map((item) => `${item.id}: ${item.reason}`);
  const remembered = record.cleanupTargets ?? [];
  const handler = deps.handlers[resource.type];
  const planned = (target: TagTarget) =>
    plan.steps.some((step) => step.kind === target.kind && step.id === target.id);
  const known = (list: TagTarget[], target: TagTarget) =>
    list.some((item) => item.kind === target.kind && item.id === target.id);
  const targets: TagTarget[] = [...remembered];
  for (const target of [...plan.steps, ...plan.watch]) {
    if (target.kind !== 'main' && !known(targets, target)) {
      targets.push({ kind: target.kind, id: target.id, arn: target.arn });
    }
  }
  const steps: CleanupStep[] = [...plan.steps];
  let pieces = resource.related;
  const leftover = targets.filter((target) => !planned(target));
  if (leftover.length > 0 && handler?.inspectRelated) {
    const current = await handler.inspectRelated(leftover);
    pieces = [...pieces, ...current];
    const more = planLeftovers({ type: resource.type, remembered: leftover, current, job });
    steps.push(...more.steps);
    refused.push(...more.refused.map((item) => `${item.id}: ${item.reason}`));
  }
  if (steps.length === 0)
    return { status: remembered.length > 0 ? 'done' : 'none', deleted: [], refused, targets };
  if (deps.dryRun) return { status: 'dry-run', deleted: [], refused, targets };
  if (!handler) return { status: 'none', deleted: [], refused, targets };
  const deleted: string[] = [];
  for (const step of steps) {
    // Each delete re-reads its resource first (the adapters): state changes between rounds.
    const result = await handler.delete(step, resource);
    if (result === 'waiting') {
      return { status: 'in-progress', deleted, refused, targets, waiting: describeWait(step, pieces) };
    }
    deleted.push(step.id);
  }
  return { status: 'done', deleted, refused, targets };
}

const VALIDATION_STATUS = { passed: 'SUCCESSFUL', failed: 'FAILED', 'timed-out': 'TIMED_OUT' } as const;

/**
 * PutRestoreValidationResult, for restore-testing-plan jobs only, once (it cannot be changed once set), and
 * only after our own cleanup (the validation instance) is done: AWS Backup deletes the restored resource then.
 */
async function reportValidation(
  record: RestoreRecord,
  job: RestoreJob,
  ownership: Exclude<Ownership, 'foreign'>,
  verdict: FinalVerdict,
  message: string,
  cleanup: CleanupStatus,
  deps: RestoreValidationDeps,
): Promise<boolean> {
  if (record.validationReported) return true;
  if (ownership !== 'restore-testing-plan' || deps.dryRun || cleanup === 'in-progress') return false;
  if (job.validationStatus && job.validationStatus !== 'VALIDATING') return true;
  await deps.backup.putRestoreValidationResult(
    record.restoreJobId,
    VALIDATION_STATUS[verdict],
    `dr-autopilot: ${verdict}: ${message}`,
  );
  return true;
}
