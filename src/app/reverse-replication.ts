import {
  createSignal,
  RPO_TAG,
  RTO_TAG,
  SIGNAL_TYPES,
  type Signal,
  type SignalInput,
  workloadFromTags,
} from '../../events/dr-autopilot/signal.ts';
import { type LaunchResultEvent, launchResult, sourceServerIdOf } from '../../events/drs/launch-result.ts';
import { formatSeconds, parseIsoDuration } from '../domain/duration.ts';
import { ConflictError } from '../domain/errors.ts';
import {
  assertOwnEvent,
  decideReverseReplication,
  declarationCovers,
  type FailbackDeclaration,
  LAUNCH_SUCCEEDED,
  type LaunchEventFacts,
  type ReverseReplicationDecision,
  type ReverseReplicationFacts,
  type ReverseReplicationPolicy,
  readDrillFlag,
  reversalPending,
  type SkipReason,
  screenLaunchEvent,
} from '../domain/reverse-replication.ts';
import { truncate } from '../domain/text.ts';
import type {
  DrsJob,
  DrsReader,
  DrsRecoveryInstance,
  DrsReplicationControl,
  DrsSourceServer,
} from '../ports/drs.ts';
import type { FailbackDeclarations, PendingReversal, PendingReversals } from '../ports/failback.ts';
import type { Clock, SignalPublisher } from '../ports/signals.ts';

/**
 * Reverse replication after a real cross-Region recovery.
 * Input: a *DRS Source Server Launch Result* event (already schema-checked).
 * Steps: reject foreign events → screen the event (failed launch, drill, unknown flag: no API call) → read the
 * job, source server and its recovery instances (and, for a failback launch, the workload's declaration) →
 * decide → reverse each pending instance (unless dry-run) → publish one signal per outcome.
 * A ConflictException from ReverseReplication is answered by a fresh read of the instance: replicating now
 * means the reversal started (signalled as such); still not replicating means its agent is still starting,
 * so the reversal is recorded as pending and {@link retryPendingReversals} tries again on a schedule, minutes
 * apart, telling on-call only if it is still refused after `retryForSeconds`.
 * Output: the outcome (also stored by idempotency, so a redelivery returns it without acting again).
 */
export type ReverseReplicationOutcome =
  | {
      action: 'reverse-replication-started';
      sourceServerId: string;
      recoveryInstanceIds: string[];
      reversedDirectionSourceServerArns: string[];
    }
  | { action: 'dry-run'; sourceServerId: string; wouldReverse: string[] }
  | {
      action: 'reversal-deferred';
      sourceServerId: string;
      /** Reversals that started (or were found started) in this attempt. */
      recoveryInstanceIds: string[];
      /** Reversals DRS refused with ConflictException while the instance was not yet replicating. */
      deferredRecoveryInstanceIds: string[];
    }
  | { action: 'launch-failure-signalled'; sourceServerId: string; jobId: string }
  | { action: 'skipped'; sourceServerId: string; reason: SkipReason; explanation: string };

export interface ReverseReplicationDeps {
  drs: DrsReader & DrsReplicationControl;
  signals: SignalPublisher;
  clock: Clock;
  policy: ReverseReplicationPolicy;
  dryRun: boolean;
  declarations: FailbackDeclarations;
  pending: PendingReversals;
  /** How long a reversal refused with ConflictException is retried before on-call is told (default 1 hour). */
  retryForSeconds?: number | undefined;
}

export const DEFAULT_REVERSAL_RETRY_SECONDS = 3_600;

const RUNBOOK = {
  launchFailed: 'runbook-recovery-launch-failed',
  unprotected: 'runbook-recovered-but-unprotected',
  unconfirmed: 'runbook-recovery-unconfirmed',
  reversing: 'runbook-reversed-replication',
  failedBack: 'runbook-failed-back-not-re-protected',
} as const;

export function toLaunchEventFacts(event: LaunchResultEvent): LaunchEventFacts {
  return {
    id: event.id,
    account: event.account,
    region: event.region,
    state: event.detail.state,
    jobId: event.detail['job-id'],
    isDrill: event.detail['is-drill'],
    sourceServerId: sourceServerIdOf(event),
  };
}

export async function reverseReplicationAfterRecovery(
  event: LaunchResultEvent,
  deps: ReverseReplicationDeps,
): Promise<ReverseReplicationOutcome> {
  const facts = toLaunchEventFacts(event);
  assertOwnEvent(facts, deps.policy);
  const { sourceServerId, jobId } = facts;
  const signal = signalFactory(event, facts, deps);

  const screened = screenLaunchEvent(facts);
  if (screened) {
    // Read-only: the server's tags name the workload, so even a drill's evidence lands under the right one, and
    // the job and instances give the evidence its timings. An API failure here propagates and is retried.
    const [server, job, instances] = await Promise.all([
      deps.drs.describeSourceServer(sourceServerId),
      deps.drs.describeJob(jobId),
      deps.drs.describeRecoveryInstancesOf(sourceServerId),
    ]);
    const declaration = await declarationFor(server, deps.declarations);
    const measured = launchEvidence(facts, server, job, instances, declaration, deps.policy, event.time);
    if (screened.action === 'signal-launch-failed') {
      await deps.signals.publish([launchFailedSignal(signal, facts, server, measured)]);
      return { action: 'launch-failure-signalled', sourceServerId, jobId };
    }
    if (screened.action === 'skip') {
      await deps.signals.publish([
        ...launchSucceededSignals(signal, facts, server, measured),
        skipSignal(signal, facts, screened, server),
      ]);
      return {
        action: 'skipped',
        sourceServerId,
        reason: screened.reason,
        explanation: screened.explanation,
      };
    }
  }

  const gathered = await gatherFacts(facts, deps);
  const decision = decideReverseReplication(gathered, deps.policy);
  const server = gathered.sourceServer as DrsSourceServer | undefined;
  const launched = launchSucceededSignals(
    signal,
    facts,
    server,
    launchEvidence(
      facts,
      server,
      gathered.job as DrsJob | undefined,
      (gathered.recoveryInstances ?? []) as DrsRecoveryInstance[],
      gathered.declaration as FailbackDeclaration | undefined,
      deps.policy,
      event.time,
    ),
  );
  if (decision.action !== 'reverse') {
    if (decision.action === 'signal-launch-failed')
      throw new Error('unreachable: a failed launch is screened first');
    // Already reversed (a redelivery, or a retry after the reversal's answer or its signal was lost): publish what
    // starting it would have published, re-derived from the fresh API facts, so the signal is delivered at least
    // once whichever attempt did the reversal. Only this outcome: every safety check above has passed.
    const found =
      decision.reason === 'already-reversed'
        ? foundReversedSignals(signal, facts, server, gathered, deps.clock().toISOString())
        : [];
    await deps.signals.publish([...launched, ...found, skipSignal(signal, facts, decision, server)]);
    return { action: 'skipped', sourceServerId, reason: decision.reason, explanation: decision.explanation };
  }

  const instances = gathered.recoveryInstances as DrsRecoveryInstance[];
  if (deps.dryRun) {
    await deps.signals.publish([
      ...launched,
      ...decision.recoveryInstanceIds.map((id) =>
        dryRunSignal(signal, facts, decision, server, instances, id),
      ),
    ]);
    return { action: 'dry-run', sourceServerId, wouldReverse: decision.recoveryInstanceIds };
  }

  // One instance at a time: a failure propagates, and the retry's state check skips what already started (and
  // signals it again: the attempt that started it may have failed before publishing).
  const arns: string[] = [];
  const started: Signal[] = foundReversedSignals(signal, facts, server, gathered, deps.clock().toISOString());
  const startedIds: string[] = [];
  const deferred: string[] = [];
  for (const recoveryInstanceId of decision.recoveryInstanceIds) {
    const start = (reversedArn: string | undefined, confirmedBy: string) => {
      if (reversedArn) arns.push(reversedArn);
      startedIds.push(recoveryInstanceId);
      started.push(
        startedSignal(
          signal,
          facts,
          decision.direction,
          server,
          instances,
          recoveryInstanceId,
          reversedArn,
          confirmedBy,
          deps.clock().toISOString(),
        ),
      );
    };
    try {
      const { reversedDirectionSourceServerArn } = await deps.drs.reverseReplication(recoveryInstanceId);
      start(reversedDirectionSourceServerArn, 'ReverseReplication answer');
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      // Refused because of the instance's state: a fresh read says which state.
      const now = (await deps.drs.describeRecoveryInstancesOf(sourceServerId)).find(
        (instance) => instance.recoveryInstanceId === recoveryInstanceId,
      );
      if (now && !reversalPending(now))
        start(undefined, `re-read after ConflictException (${now.dataReplicationState})`);
      else deferred.push(recoveryInstanceId);
    }
  }
  if (deferred.length > 0) {
    const now = deps.clock();
    const retryUntil = new Date(
      now.getTime() + (deps.retryForSeconds ?? DEFAULT_REVERSAL_RETRY_SECONDS) * 1000,
    );
    for (const recoveryInstanceId of deferred) {
      await deps.pending.record({
        recoveryInstanceId,
        event,
        firstConflictAt: now.toISOString(),
        retryUntil: retryUntil.toISOString(),
        attempts: 1,
      });
    }
    await deps.signals.publish([
      ...launched,
      ...started,
      ...deferred.map((id) => deferredSignal(signal, facts, server, instances, id)),
    ]);
    return {
      action: 'reversal-deferred',
      sourceServerId,
      recoveryInstanceIds: startedIds,
      deferredRecoveryInstanceIds: deferred,
    };
  }
  await deps.signals.publish([...launched, ...started]);
  return {
    action: 'reverse-replication-started',
    sourceServerId,
    recoveryInstanceIds: startedIds,
    reversedDirectionSourceServerArns: arns,
  };
}

/**
 * The launch signal a Launch Result would have produced, from the APIs alone (the reconciler, when the event was
 * lost): the same evidence, the same ledger id (`launch#<job>#<server>`), so an event that did arrive and the
 * reconciler write one record. `undefined` when the server's launch status is not final.
 */
export async function launchSignalFromApis(
  job: DrsJob,
  sourceServerId: string,
  deps: Pick<ReverseReplicationDeps, 'drs' | 'declarations' | 'policy' | 'dryRun'>,
  correlationId: string,
): Promise<Signal | undefined> {
  const participant = job.participatingServers.find((server) => server.sourceServerId === sourceServerId);
  const status = participant?.launchStatus;
  if (status !== 'LAUNCHED' && status !== 'FAILED') return undefined;
  const [server, instances] = await Promise.all([
    deps.drs.describeSourceServer(sourceServerId),
    deps.drs.describeRecoveryInstancesOf(sourceServerId),
  ]);
  const facts: LaunchEventFacts = {
    id: correlationId,
    account: deps.policy.account,
    region: deps.policy.region,
    state: status === 'LAUNCHED' ? LAUNCH_SUCCEEDED : 'RECOVERY_LAUNCH_FAILED',
    jobId: job.jobId,
    isDrill:
      job.initiatedBy === 'START_DRILL' ? 'TRUE' : job.initiatedBy === 'START_RECOVERY' ? 'FALSE' : undefined,
    sourceServerId,
  };
  const declaration = await declarationFor(server, deps.declarations);
  const measured = launchEvidence(facts, server, job, instances, declaration, deps.policy, job.endDateTime);
  const at = job.endDateTime ?? job.creationDateTime ?? new Date().toISOString();
  const signal: SignalFactory = (input) =>
    createSignal({
      ...input,
      observedAt: at,
      correlationId,
      dryRun: deps.dryRun,
      evidence: { jobId: job.jobId, sourceServerId, isDrillFlag: facts.isDrill ?? null, ...input.evidence },
    });
  return status === 'LAUNCHED'
    ? launchSucceededSignals(signal, facts, server, measured)[0]
    : launchFailedSignal(signal, facts, server, measured);
}

export type PendingReversalOutcome =
  | { recoveryInstanceId: string; action: 'retried'; outcome: ReverseReplicationOutcome['action'] }
  | { recoveryInstanceId: string; action: 'still-deferred'; retryUntil: string }
  | { recoveryInstanceId: string; action: 'gave-up'; firstConflictAt: string };

/**
 * The scheduled retry of reversals DRS refused with ConflictException. Each pending reversal is re-decided
 * from its launch event and fresh API facts, by the same use case (so every safety rule applies again). A
 * reversal still refused after its deadline is given up: on-call gets one critical signal naming the
 * instance, and the record is removed. One failing item does not stop the others; the run then fails.
 */
export async function retryPendingReversals(
  deps: ReverseReplicationDeps,
): Promise<{ action: 'pending-reversals-retried'; results: PendingReversalOutcome[] }> {
  const results: PendingReversalOutcome[] = [];
  const failures: unknown[] = [];
  for (const pending of await deps.pending.list()) {
    try {
      results.push(await retryOne(pending, deps));
    } catch (error) {
      failures.push(error);
    }
  }
  if (failures.length > 0) {
    throw new AggregateError(failures, `${failures.length} pending reversal(s) could not be retried`);
  }
  return { action: 'pending-reversals-retried', results };
}

async function retryOne(
  pending: PendingReversal,
  deps: ReverseReplicationDeps,
): Promise<PendingReversalOutcome> {
  const { recoveryInstanceId } = pending;
  const pastDeadline = () => deps.clock().getTime() >= Date.parse(pending.retryUntil);
  let event: LaunchResultEvent | undefined;
  let outcome: ReverseReplicationOutcome;
  try {
    event = launchResult.parse(pending.event);
    outcome = await reverseReplicationAfterRecovery(event, deps);
  } catch (error) {
    // Any failure (not only a refusal) past the deadline still ends in one message to on-call, never in
    // silent retries until DynamoDB's TTL removes the record.
    if (!pastDeadline()) throw error;
    return giveUp(pending, event, deps, `${(error as Error).name}: ${(error as Error).message}`);
  }
  const stillDeferred =
    outcome.action === 'reversal-deferred' &&
    outcome.deferredRecoveryInstanceIds.includes(recoveryInstanceId);
  if (!stillDeferred) {
    await deps.pending.remove(recoveryInstanceId);
    return { recoveryInstanceId, action: 'retried', outcome: outcome.action };
  }
  if (!pastDeadline()) {
    return { recoveryInstanceId, action: 'still-deferred', retryUntil: pending.retryUntil };
  }
  return giveUp(pending, event, deps, 'still refused (ConflictException)');
}

async function giveUp(
  pending: PendingReversal,
  event: LaunchResultEvent | undefined,
  deps: ReverseReplicationDeps,
  why: string,
): Promise<PendingReversalOutcome> {
  const { recoveryInstanceId } = pending;
  const since = formatSeconds((deps.clock().getTime() - Date.parse(pending.firstConflictAt)) / 1000);
  // The record's own event names the server; a record that no longer parses still names the instance.
  const facts: LaunchEventFacts = event
    ? toLaunchEventFacts(event)
    : {
        id: `pending-reversal-${recoveryInstanceId}`,
        account: deps.policy.account,
        region: deps.policy.region,
        state: 'unknown',
        jobId: 'unknown',
        isDrill: undefined,
        sourceServerId: 'unknown',
      };
  const server = event
    ? await deps.drs.describeSourceServer(facts.sourceServerId).catch(() => undefined)
    : undefined;
  const signal: SignalFactory = (input) =>
    createSignal({
      ...input,
      observedAt: deps.clock().toISOString(),
      correlationId: facts.id,
      dryRun: deps.dryRun,
      evidence: { jobId: facts.jobId, sourceServerId: facts.sourceServerId, ...input.evidence },
    });
  await deps.signals.publish([gaveUpSignal(signal, facts, server, recoveryInstanceId, since, why)]);
  await deps.pending.remove(recoveryInstanceId);
  return { recoveryInstanceId, action: 'gave-up', firstConflictAt: pending.firstConflictAt };
}

async function gatherFacts(
  event: LaunchEventFacts,
  deps: Pick<ReverseReplicationDeps, 'drs' | 'declarations' | 'policy'>,
): Promise<ReverseReplicationFacts> {
  const { drs } = deps;
  const [job, sourceServer, recoveryInstances] = await Promise.all([
    drs.describeJob(event.jobId),
    drs.describeSourceServer(event.sourceServerId),
    drs.describeRecoveryInstancesOf(event.sourceServerId),
  ]);
  const declaration = await declarationFor(sourceServer, deps.declarations);
  return { event, job, sourceServer, recoveryInstances, declaration };
}

/**
 * The failback declaration of a failback launch's workload (none for any other launch): re-protection needs it
 * when it is on, and the evidence says "failback, declared or not" either way.
 */
async function declarationFor(
  server: DrsSourceServer | undefined,
  declarations: FailbackDeclarations,
): Promise<FailbackDeclaration | undefined> {
  return server?.replicationDirection === 'FAILBACK'
    ? declarations.get(workloadFromTags(server.tags))
    : undefined;
}

type SignalFactory = (input: Omit<SignalInput, 'observedAt' | 'correlationId' | 'dryRun'>) => Signal;

function signalFactory(
  event: LaunchResultEvent,
  facts: LaunchEventFacts,
  deps: ReverseReplicationDeps,
): SignalFactory {
  return (input) =>
    createSignal({
      ...input,
      // The launch happened at the event's time: that is when this evidence was true.
      observedAt: event.time,
      correlationId: facts.id,
      dryRun: deps.dryRun,
      evidence: {
        jobId: facts.jobId,
        sourceServerId: facts.sourceServerId,
        isDrillFlag: facts.isDrill ?? null,
        ...input.evidence,
      },
    });
}

function sourceServerResource(facts: LaunchEventFacts, server: DrsSourceServer | undefined) {
  return {
    type: 'drs-source-server' as const,
    id: facts.sourceServerId,
    arn: server?.arn ?? `arn:aws:drs:${facts.region}:${facts.account}:source-server/${facts.sourceServerId}`,
    region: facts.region,
    account: facts.account,
    ...(server?.hostname ? { name: server.hostname } : {}),
  };
}

/** The launch outcome is its own resource, so replication samples of the same server never overwrite it. */
function launchResource(facts: LaunchEventFacts, server: DrsSourceServer | undefined) {
  return { ...sourceServerResource(facts, server), type: 'drs-recovery-launch' as const };
}

function launchKind(facts: LaunchEventFacts): string {
  const flag = readDrillFlag(facts.isDrill);
  return flag === 'drill' ? 'drill' : flag === 'not-drill' ? 'recovery' : 'launch';
}

type LaunchEvidence = Record<string, string | number | boolean | null>;

/**
 * What auditors ask of a launch (evidence ledger): its purpose (a launch from a server replicating in the
 * FAILBACK direction is a failback, or a failback drill), how long DRS took (job creation → end: the launch part
 * of the RTO; the application's own start-up is not in it), the point-in-time snapshot used and how old its data
 * was when the launch began (the RPO exposure of this launch), the objectives of the server (its tags, else the
 * defaults), and, for a failback, whether a person declared it beforehand.
 */
function launchEvidence(
  facts: LaunchEventFacts,
  server: DrsSourceServer | undefined,
  job: DrsJob | undefined,
  instances: readonly DrsRecoveryInstance[],
  declaration: FailbackDeclaration | undefined,
  policy: ReverseReplicationPolicy,
  eventTime?: string | undefined,
): LaunchEvidence {
  const launched = instances.filter((instance) => instance.jobId === facts.jobId);
  // What the APIs say wins over the event's flag: a job started as a drill, or an instance DRS marks as one, is a
  // drill whatever the event says; a recovery needs both the job and every instance to agree.
  const apiDrill =
    job?.initiatedBy === 'START_DRILL' || launched.some((instance) => instance.isDrill === true);
  const apiRecovery =
    job?.initiatedBy === 'START_RECOVERY' &&
    launched.length > 0 &&
    launched.every((instance) => instance.isDrill === false);
  const kind = apiDrill ? 'drill' : apiRecovery ? 'recovery' : launchKind(facts);
  const failback = server?.replicationDirection === 'FAILBACK';
  const purpose = failback && kind !== 'launch' ? (kind === 'drill' ? 'failback-drill' : 'failback') : kind;
  const seconds = (from: string | undefined, to: string | undefined) => {
    const start = from ? Date.parse(from) : Number.NaN;
    const end = to ? Date.parse(to) : Number.NaN;
    return Number.isNaN(start) || Number.isNaN(end) ? null : Math.max(0, Math.round((end - start) / 1000));
  };
  // A job of several servers ends when its last server does; each server's Launch Result comes when its own
  // launch ends, so the event's time is this server's end while the job still runs.
  const endedAt = job?.endDateTime ?? eventTime ?? undefined;
  const pointInTime = launched.map((instance) => instance.pointInTimeSnapshotDateTime).find(Boolean);
  // "Use most recent data" takes the snapshot during the launch, after the request: its data is as fresh as the
  // launch itself (no loss up to the request), which the record says rather than hiding.
  const takenAtLaunch =
    pointInTime !== undefined &&
    job?.creationDateTime !== undefined &&
    Date.parse(pointInTime) >= Date.parse(job.creationDateTime);
  const tags = server?.tags ?? {};
  return {
    launchPurpose: purpose,
    launchStartedAt: job?.creationDateTime ?? null,
    launchEndedAt: endedAt ?? null,
    launchSeconds: seconds(job?.creationDateTime, endedAt),
    initiatedBy: job?.initiatedBy ?? null,
    recoveryInstanceIds: launched.map((instance) => instance.recoveryInstanceId).join(',') || null,
    pointInTime: pointInTime ?? null,
    pointInTimeTakenAtLaunch: pointInTime === undefined ? null : takenAtLaunch,
    dataAgeSeconds: seconds(pointInTime, job?.creationDateTime),
    rtoSeconds: parseIsoDuration(tags[RTO_TAG]) || policy.defaultRtoSeconds || null,
    rpoSeconds: parseIsoDuration(tags[RPO_TAG]) || policy.defaultRpoSeconds || null,
    declared: purpose === 'failback' ? declarationCovers(declaration, job?.creationDateTime) : null,
    declaredBy: purpose === 'failback' ? (declaration?.declaredBy ?? null) : null,
  };
}

/** A successful launch (recovery or drill) proves DRS can launch this server: it clears an earlier failure. */
function launchSucceededSignals(
  signal: SignalFactory,
  facts: LaunchEventFacts,
  server: DrsSourceServer | undefined,
  measured: LaunchEvidence,
): Signal[] {
  if (facts.state !== LAUNCH_SUCCEEDED) return [];
  const kind = launchKind(facts);
  return [
    signal({
      type: SIGNAL_TYPES.recoveryLaunchSucceeded,
      resource: launchResource(facts, server),
      workload: workloadFromTags(server?.tags),
      severity: 'info',
      summary: `DRS ${kind} launch succeeded for source server ${facts.sourceServerId} (job ${facts.jobId})`,
      assessment: { state: 'READY', reason: `${kind} launch succeeded for ${facts.sourceServerId}` },
      evidence: { launchKind: kind, ...measured },
    }),
  ];
}

function instanceResource(facts: LaunchEventFacts, instances: DrsRecoveryInstance[], id: string) {
  const instance = instances.find((candidate) => candidate.recoveryInstanceId === id);
  return {
    type: 'drs-recovery-instance' as const,
    id,
    arn: instance?.arn ?? `arn:aws:drs:${facts.region}:${facts.account}:recovery-instance/${id}`,
    region: facts.region,
    account: facts.account,
  };
}

function launchFailedSignal(
  signal: SignalFactory,
  facts: LaunchEventFacts,
  server: DrsSourceServer | undefined,
  measured: LaunchEvidence,
): Signal {
  const kind = launchKind(facts);
  return signal({
    type: SIGNAL_TYPES.recoveryLaunchFailed,
    resource: launchResource(facts, server),
    workload: workloadFromTags(server?.tags),
    severity: 'critical',
    summary: `DRS ${kind} launch failed for source server ${facts.sourceServerId} (job ${facts.jobId})`,
    assessment: {
      state: 'NOT_READY',
      reason: `${kind} launch failed for ${facts.sourceServerId}`,
      nextStep: `Open DRS job ${facts.jobId} (Job log, or DescribeJobLogItems) in ${facts.region}, fix the launch settings it names, and launch again.`,
      runbook: RUNBOOK.launchFailed,
    },
    evidence: { launchKind: kind, ...measured },
  });
}

/** In-doubt refusals alert (UNKNOWN); refusals after a real recovery leave the instance unprotected (NOT_READY). */
const UNCONFIRMED: ReadonlySet<SkipReason> = new Set([
  'drill-flag-unknown',
  'job-not-found',
  'source-server-not-found',
  'no-recovery-instance',
  'not-a-recovery-job',
]);
const RECOVERED_UNPROTECTED: ReadonlySet<SkipReason> = new Set([
  'failback-launch',
  'failback-undeclared',
  'on-premises-origin',
  'not-cross-region',
  'origin-account-not-allowed',
]);

function skipSignal(
  signal: SignalFactory,
  facts: LaunchEventFacts,
  decision: Extract<ReverseReplicationDecision, { action: 'skip' }>,
  server: DrsSourceServer | undefined,
): Signal {
  const base = {
    type: SIGNAL_TYPES.reverseReplicationSkipped,
    resource: sourceServerResource(facts, server),
    workload: workloadFromTags(server?.tags),
    summary: truncate(
      `reverse replication skipped for ${facts.sourceServerId}: ${decision.reason} (${decision.explanation})`,
      500,
    ),
    evidence: { reason: decision.reason, explanation: decision.explanation },
  };
  if (UNCONFIRMED.has(decision.reason)) {
    return signal({
      ...base,
      severity: 'warning',
      assessment: {
        state: 'UNKNOWN',
        reason: `could not confirm a real recovery of ${facts.sourceServerId}`,
        nextStep: `Check DRS job ${facts.jobId}: if this was a real failover, start reversed replication on its recovery instance by hand.`,
        runbook: RUNBOOK.unconfirmed,
      },
    });
  }
  if (RECOVERED_UNPROTECTED.has(decision.reason)) {
    const nextStep =
      decision.reason === 'failback-launch'
        ? 'Failback launched: once it is confirmed, re-protect the failback instance (Start reversed replication), or set reverseFailbackInstances.'
        : decision.reason === 'failback-undeclared'
          ? 'Failback drill or undeclared failback: step 3 (re-protection) not done. A drill: terminate its instance. A real failback: start reversed replication of the failback instance by hand, and declare the next one first (npm run failback -- declare).'
          : decision.reason === 'on-premises-origin'
            ? 'Recovered from on-premises: protect it with the DRS Failback Client when the origin is back.'
            : decision.reason === 'origin-account-not-allowed'
              ? 'Recovered from another AWS account: start reversed replication of the recovery instance by hand if that account should receive it, or list the account in the stage parameter reversalOriginAccounts.'
              : 'Recovered within its own Region: protect the recovery instance by hand (reversed replication needs another Region).';
    return signal({
      ...base,
      severity: 'warning',
      assessment: {
        state: 'NOT_READY',
        reason: `${facts.sourceServerId} recovered but not protected`,
        nextStep,
        runbook: decision.reason === 'failback-undeclared' ? RUNBOOK.failedBack : RUNBOOK.unprotected,
      },
    });
  }
  // A drill, an unknown launch state, or already reversed (its started signals go with it): evidence for
  // auditors, no state change.
  return signal({ ...base, severity: decision.reason === 'drill-by-api' ? 'warning' : 'info' });
}

function dryRunSignal(
  signal: SignalFactory,
  facts: LaunchEventFacts,
  decision: Extract<ReverseReplicationDecision, { action: 'reverse' }>,
  server: DrsSourceServer | undefined,
  instances: DrsRecoveryInstance[],
  recoveryInstanceId: string,
): Signal {
  return signal({
    type: SIGNAL_TYPES.reverseReplicationSkipped,
    resource: instanceResource(facts, instances, recoveryInstanceId),
    workload: workloadFromTags(server?.tags),
    severity: 'warning',
    summary: `dry-run: would start reversed replication of ${recoveryInstanceId} (${decision.direction}) for ${facts.sourceServerId}`,
    assessment: {
      state: 'NOT_READY',
      reason: `${recoveryInstanceId} recovered, not protected (dry-run)`,
      nextStep: `Start reversed replication of ${recoveryInstanceId} in the DRS console, or set MODE=active.`,
      runbook: RUNBOOK.unprotected,
    },
    evidence: { reason: 'dry-run', direction: decision.direction, recoveryInstanceId },
  });
}

/**
 * The started signals of this launch's recovery instances whose reversal has already started (found by their
 * state, not by an answer): what the attempt that started them published, or would have, had its answer or
 * its PutEvents not been lost. Same resource, same `observedAt` (the launch) and correlation id as that
 * attempt's, so readiness folds a repeat as a duplicate (the same signal id) and never lets it overwrite a
 * later observation (out of order); the evidence ledger keeps the reversal's record once (its id).
 */
function foundReversedSignals(
  signal: SignalFactory,
  facts: LaunchEventFacts,
  server: DrsSourceServer | undefined,
  gathered: ReverseReplicationFacts,
  foundAt: string,
): Signal[] {
  const instances = (gathered.recoveryInstances ?? []) as DrsRecoveryInstance[];
  const direction = server?.replicationDirection === 'FAILBACK' ? 'failback' : 'failover';
  return instances
    .filter((instance) => instance.jobId === facts.jobId && !reversalPending(instance))
    .map((instance) =>
      startedSignal(
        signal,
        facts,
        direction,
        server,
        instances,
        instance.recoveryInstanceId,
        undefined,
        `found already reversed (${instance.dataReplicationState ?? 'replication state unset'}, ${instance.failbackState ?? 'failback state unset'})`,
        foundAt,
      ),
    );
}

function startedSignal(
  signal: SignalFactory,
  facts: LaunchEventFacts,
  direction: 'failover' | 'failback',
  server: DrsSourceServer | undefined,
  instances: DrsRecoveryInstance[],
  recoveryInstanceId: string,
  reversedArn: string | undefined,
  confirmedBy: string,
  reversedAt: string,
): Signal {
  return signal({
    type: SIGNAL_TYPES.reversedReplicationStarted,
    resource: instanceResource(facts, instances, recoveryInstanceId),
    workload: workloadFromTags(server?.tags),
    severity: 'warning',
    summary: `reversed replication started for ${recoveryInstanceId} (${direction} of ${facts.sourceServerId}) towards ${server?.originRegion ?? 'the origin Region'}`,
    // Not protected yet: there is no recovery point until the initial sync completes (the monitor agrees).
    assessment: {
      state: 'NOT_READY',
      reason: `reversed replication of ${recoveryInstanceId} started, not protected until initial sync`,
      nextStep: `Nothing to do yet: protected once the initial sync completes; the monitor reports progress. The instance must reach the DRS endpoint of ${server?.originRegion ?? 'the origin Region'} on TCP 443.`,
      runbook: RUNBOOK.reversing,
    },
    evidence: {
      direction,
      recoveryInstanceId,
      reversedDirectionSourceServerArn: reversedArn ?? null,
      // AWS keeps this pairing across cycles: evidence of the previous cycle, never a decision input.
      pairedServerArnBefore: server?.reversedDirectionSourceServerArn ?? null,
      originRegion: server?.originRegion ?? null,
      confirmedBy,
      // When the reversal was started (or found started): a retry or the reconciler may act long after the launch.
      reversedAt,
    },
  });
}

/** Evidence only: DRS refused the reversal while the instance's agent starts; a retry is scheduled. */
function deferredSignal(
  signal: SignalFactory,
  facts: LaunchEventFacts,
  server: DrsSourceServer | undefined,
  instances: DrsRecoveryInstance[],
  recoveryInstanceId: string,
): Signal {
  return signal({
    type: SIGNAL_TYPES.reverseReplicationSkipped,
    resource: instanceResource(facts, instances, recoveryInstanceId),
    workload: workloadFromTags(server?.tags),
    severity: 'info',
    summary: `reversed replication of ${recoveryInstanceId} refused for now (ConflictException, instance not replicating yet): retried on schedule`,
    evidence: { reason: 'reversal-deferred', recoveryInstanceId },
  });
}

function gaveUpSignal(
  signal: SignalFactory,
  facts: LaunchEventFacts,
  server: DrsSourceServer | undefined,
  recoveryInstanceId: string,
  since: string,
  why: string,
): Signal {
  return signal({
    type: SIGNAL_TYPES.reverseReplicationSkipped,
    resource: instanceResource(facts, [], recoveryInstanceId),
    workload: workloadFromTags(server?.tags),
    severity: 'critical',
    summary:
      `reversed replication of ${recoveryInstanceId} ${why} after ${since}: recovered but not protected`.slice(
        0,
        500,
      ),
    assessment: {
      state: 'NOT_READY',
      reason: `${recoveryInstanceId} recovered, not protected: reversal refused for ${since}`,
      nextStep: `Check that the DRS agent on ${recoveryInstanceId} runs and reaches the DRS endpoint of ${server?.originRegion ?? 'the origin Region'} on TCP 443, then start reversed replication of it by hand.`,
      runbook: RUNBOOK.unprotected,
    },
    evidence: {
      reason: 'reversal-gave-up',
      recoveryInstanceId,
      refusedFor: since,
      lastAnswer: truncate(why, 300),
    },
  });
}
