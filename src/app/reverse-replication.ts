import {
  createSignal,
  SIGNAL_TYPES,
  type Signal,
  type SignalInput,
  workloadFromTags,
} from '../../events/dr-autopilot/signal.ts';
import { type LaunchResultEvent, sourceServerIdOf } from '../../events/drs/launch-result.ts';
import {
  assertOwnEvent,
  decideReverseReplication,
  LAUNCH_SUCCEEDED,
  type LaunchEventFacts,
  type ReverseReplicationDecision,
  type ReverseReplicationFacts,
  type ReverseReplicationPolicy,
  readDrillFlag,
  type SkipReason,
  screenLaunchEvent,
} from '../domain/reverse-replication.ts';
import type { DrsReader, DrsRecoveryInstance, DrsReplicationControl, DrsSourceServer } from '../ports/drs.ts';
import type { Clock, SignalPublisher } from '../ports/signals.ts';

/**
 * Reverse replication after a real cross-Region recovery.
 * Input: a *DRS Source Server Launch Result* event (already schema-checked).
 * Steps: reject foreign events → screen the event (failed launch, drill, unknown flag: no API call) → read the
 * job, source server and its recovery instances → decide → reverse each pending instance (unless dry-run) →
 * publish one signal per outcome.
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
  | { action: 'launch-failure-signalled'; sourceServerId: string; jobId: string }
  | { action: 'skipped'; sourceServerId: string; reason: SkipReason; explanation: string };

export interface ReverseReplicationDeps {
  drs: DrsReader & DrsReplicationControl;
  signals: SignalPublisher;
  clock: Clock;
  policy: ReverseReplicationPolicy;
  dryRun: boolean;
}

const RUNBOOK = {
  launchFailed: 'runbook-recovery-launch-failed',
  unprotected: 'runbook-recovered-but-unprotected',
  unconfirmed: 'runbook-recovery-unconfirmed',
  reversing: 'runbook-reversed-replication',
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
    // Read-only: the server's tags name the workload, so even a drill's evidence lands under the right one.
    // An API failure here propagates and is retried.
    const server = await deps.drs.describeSourceServer(sourceServerId);
    if (screened.action === 'signal-launch-failed') {
      await deps.signals.publish([launchFailedSignal(signal, facts, server)]);
      return { action: 'launch-failure-signalled', sourceServerId, jobId };
    }
    if (screened.action === 'skip') {
      await deps.signals.publish([
        ...launchSucceededSignals(signal, facts, server),
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

  const gathered = await gatherFacts(facts, deps.drs);
  const decision = decideReverseReplication(gathered, deps.policy);
  const server = gathered.sourceServer as DrsSourceServer | undefined;
  const launched = launchSucceededSignals(signal, facts, server);
  if (decision.action !== 'reverse') {
    if (decision.action === 'signal-launch-failed')
      throw new Error('unreachable: a failed launch is screened first');
    await deps.signals.publish([...launched, skipSignal(signal, facts, decision, server)]);
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

  // One instance at a time: a failure propagates, and the retry's state check skips what already started.
  const arns: string[] = [];
  const started: Signal[] = [];
  for (const recoveryInstanceId of decision.recoveryInstanceIds) {
    const { reversedDirectionSourceServerArn } = await deps.drs.reverseReplication(recoveryInstanceId);
    if (reversedDirectionSourceServerArn) arns.push(reversedDirectionSourceServerArn);
    started.push(
      startedSignal(
        signal,
        facts,
        decision,
        server,
        instances,
        recoveryInstanceId,
        reversedDirectionSourceServerArn,
      ),
    );
  }
  await deps.signals.publish([...launched, ...started]);
  return {
    action: 'reverse-replication-started',
    sourceServerId,
    recoveryInstanceIds: decision.recoveryInstanceIds,
    reversedDirectionSourceServerArns: arns,
  };
}

async function gatherFacts(event: LaunchEventFacts, drs: DrsReader): Promise<ReverseReplicationFacts> {
  const [job, sourceServer, recoveryInstances] = await Promise.all([
    drs.describeJob(event.jobId),
    drs.describeSourceServer(event.sourceServerId),
    drs.describeRecoveryInstancesOf(event.sourceServerId),
  ]);
  return { event, job, sourceServer, recoveryInstances };
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

/** A successful launch (recovery or drill) proves DRS can launch this server: it clears an earlier failure. */
function launchSucceededSignals(
  signal: SignalFactory,
  facts: LaunchEventFacts,
  server: DrsSourceServer | undefined,
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
      evidence: { launchKind: kind },
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
    evidence: { launchKind: kind },
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
  'on-premises-origin',
  'not-cross-region',
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
    summary:
      `reverse replication skipped for ${facts.sourceServerId}: ${decision.reason} (${decision.explanation})`.slice(
        0,
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
        : decision.reason === 'on-premises-origin'
          ? 'Recovered from on-premises: protect it with the DRS Failback Client when the origin is back.'
          : 'Recovered within its own Region: protect the recovery instance by hand (reversed replication needs another Region).';
    return signal({
      ...base,
      severity: 'warning',
      assessment: {
        state: 'NOT_READY',
        reason: `${facts.sourceServerId} recovered but not protected`,
        nextStep,
        runbook: RUNBOOK.unprotected,
      },
    });
  }
  // A drill, an unknown launch state, or already reversed: evidence for auditors, no state change.
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

function startedSignal(
  signal: SignalFactory,
  facts: LaunchEventFacts,
  decision: Extract<ReverseReplicationDecision, { action: 'reverse' }>,
  server: DrsSourceServer | undefined,
  instances: DrsRecoveryInstance[],
  recoveryInstanceId: string,
  reversedArn: string | undefined,
): Signal {
  return signal({
    type: SIGNAL_TYPES.reversedReplicationStarted,
    resource: instanceResource(facts, instances, recoveryInstanceId),
    workload: workloadFromTags(server?.tags),
    severity: 'warning',
    summary: `reversed replication started for ${recoveryInstanceId} (${decision.direction} of ${facts.sourceServerId}) towards ${server?.originRegion ?? 'the origin Region'}`,
    // Not protected yet: there is no recovery point until the initial sync completes (the monitor agrees).
    assessment: {
      state: 'NOT_READY',
      reason: `reversed replication of ${recoveryInstanceId} started, not protected until initial sync`,
      nextStep: `Nothing to do yet: protected once the initial sync completes; the monitor reports progress. The instance must reach the DRS endpoint of ${server?.originRegion ?? 'the origin Region'} on TCP 443.`,
      runbook: RUNBOOK.reversing,
    },
    evidence: {
      direction: decision.direction,
      recoveryInstanceId,
      reversedDirectionSourceServerArn: reversedArn ?? null,
      originRegion: server?.originRegion ?? null,
    },
  });
}
