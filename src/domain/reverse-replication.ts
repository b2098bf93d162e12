import { ForeignEventError } from './errors.ts';

/**
 * Whether to start reversed replication after a DRS launch (DESIGN.md §3, rules 1–3 and 5).
 * Pure: facts in, decision out. Every branch that does not end in `reverse` is a refusal by policy, not an
 * error; "when in doubt, do nothing and alert" is the rule for anything the facts cannot confirm.
 */

export const LAUNCH_SUCCEEDED = 'RECOVERY_LAUNCH_SUCCEEDED';
export const LAUNCH_FAILED = 'RECOVERY_LAUNCH_FAILED';

/** The fields of a *DRS Source Server Launch Result* event the decision reads. */
export interface LaunchEventFacts {
  id: string;
  account: string;
  region: string;
  state: string;
  jobId: string;
  /** The event's `is-drill` string, verbatim (`"FALSE"` in AWS's sample); `undefined` when absent. */
  isDrill: string | undefined;
  sourceServerId: string;
}

export interface JobFacts {
  initiatedBy?: string | undefined;
  /** When the launch job was created: a failback declaration must precede it. */
  creationDateTime?: string | undefined;
  participatingServers: { sourceServerId?: string | undefined; recoveryInstanceId?: string | undefined }[];
}

export interface SourceServerFacts {
  replicationDirection?: string | undefined;
  originRegion?: string | undefined;
  /** `sourceCloudProperties.originAccountID`: the account the server failed over from. */
  originAccountId?: string | undefined;
  /**
   * The pairing with the server of the opposite direction. AWS keeps it across failover/failback cycles (and
   * after a failback drill), so it is evidence only: it never says whether *this* launch is protected.
   */
  reversedDirectionSourceServerArn?: string | undefined;
}

export interface RecoveryInstanceFacts {
  recoveryInstanceId: string;
  jobId?: string | undefined;
  isDrill?: boolean | undefined;
  originEnvironment?: string | undefined;
  dataReplicationState?: string | undefined;
  /** `failback.state`: FAILBACK_IN_PROGRESS / READY_FOR_LAUNCH also mean its reversal has started. */
  failbackState?: string | undefined;
}

export interface ReverseReplicationFacts {
  event: LaunchEventFacts;
  /** `undefined`: DescribeJobs found no such job. */
  job: JobFacts | undefined;
  /** `undefined`: DescribeSourceServers found no such server. */
  sourceServer: SourceServerFacts | undefined;
  /** The source server's recovery instances (all of them; the decision matches them on the job). */
  recoveryInstances: RecoveryInstanceFacts[];
  /** The failback declaration of the server's workload, if any (read only for a failback launch). */
  declaration?: FailbackDeclaration | undefined;
}

export interface ReverseReplicationPolicy {
  /** This deployment's account and Region: nothing from elsewhere is acted on (rule 5). */
  account: string;
  region: string;
  /** Re-protect *failback* instances (step 3 of the failback procedure). Off unless configured (rule 2). */
  reverseFailbackInstances: boolean;
  /**
   * Accounts besides this one whose servers may be reversed (stage parameter `reversalOriginAccounts`; default
   * none). A server that failed over from another account is re-protected into that account: only a stated
   * policy allows it.
   */
  originAccounts?: readonly string[] | undefined;
  /** The objectives a launch is measured against for the evidence ledger, unless the server's tags say otherwise. */
  defaultRpoSeconds?: number | undefined;
  defaultRtoSeconds?: number | undefined;
}

/**
 * A person's declaration that a failback is real (rule 2): DRS data cannot tell a failback drill from a real
 * failback, so re-protection needs it. Recorded by `npm run failback -- declare`.
 */
export interface FailbackDeclaration {
  workload: string;
  declaredBy: string;
  declaredAt: string;
  expiresAt: string;
  note?: string | undefined;
}

export type SkipReason =
  /** The event's state is neither documented launch state. */
  | 'launch-state-unknown'
  /** The event says `is-drill: TRUE`. */
  | 'drill'
  /** The event says not a drill, but DescribeJobs / DescribeRecoveryInstances say it was. */
  | 'drill-by-api'
  /** `is-drill` is missing or neither TRUE nor FALSE: cannot tell, so do nothing and alert. */
  | 'drill-flag-unknown'
  | 'job-not-found'
  /** The job was not started by StartRecovery (e.g. a DRS failback-client launch or a diagnostic). */
  | 'not-a-recovery-job'
  | 'source-server-not-found'
  /** A failback launch (the source server replicates in the FAILBACK direction) and re-protection is off. */
  | 'failback-launch'
  /** A failback launch, re-protection on, but no person declared this failback real (or it expired). */
  | 'failback-undeclared'
  /** The server did not originate in EC2 (on-premises): reversed replication does not apply. */
  | 'on-premises-origin'
  /** The origin Region is missing or is this Region: not a cross-Region failover. */
  | 'not-cross-region'
  /** The server originates in an account that is neither this one nor listed in `reversalOriginAccounts`. */
  | 'origin-account-not-allowed'
  | 'no-recovery-instance'
  | 'already-reversed';

export type ReverseReplicationDecision =
  | { action: 'signal-launch-failed' }
  | { action: 'skip'; reason: SkipReason; explanation: string }
  | {
      action: 'reverse';
      direction: 'failover' | 'failback';
      recoveryInstanceIds: string[];
      /** Instances of the same launch that already replicate (nothing to do for them). */
      alreadyReplicating: string[];
    };

/** Reversal has started (or is under way) once the instance's replication has left NOT_STARTED. */
const NOT_REPLICATING = new Set([undefined, 'NOT_STARTED']);
/** Failback states that say reversed replication of the instance has started, whatever its replication says. */
const REVERSAL_UNDER_WAY = new Set([
  'FAILBACK_IN_PROGRESS',
  'FAILBACK_READY_FOR_LAUNCH',
  'FAILBACK_COMPLETED',
]);

/**
 * Whether reversed replication of *this* recovery instance is still to start: its replication has not left
 * NOT_STARTED and its failback state does not say a reversal is under way. This is the only "already
 * reversed" test: the forward server's pairing ARN survives every cycle and says nothing about this launch.
 */
export function reversalPending(
  instance: Pick<RecoveryInstanceFacts, 'dataReplicationState' | 'failbackState'>,
) {
  return (
    NOT_REPLICATING.has(instance.dataReplicationState) &&
    !REVERSAL_UNDER_WAY.has(instance.failbackState ?? '')
  );
}

/** Whether a declaration is in force at `now`. */
export function declarationValid(declaration: FailbackDeclaration | undefined, now: Date): boolean {
  if (!declaration) return false;
  const expires = Date.parse(declaration.expiresAt);
  return !Number.isNaN(expires) && expires > now.getTime();
}

/**
 * Whether a declaration covers a failback launch: made before the launch job was created, and still in force
 * then. A declaration made after the launch (a retry of the launch event can come hours later) covers nothing;
 * neither does one when the launch time is unknown.
 */
export function declarationCovers(
  declaration: FailbackDeclaration | undefined,
  launchedAt: string | undefined,
): boolean {
  if (!declaration || !launchedAt) return false;
  const launched = Date.parse(launchedAt);
  const declared = Date.parse(declaration.declaredAt);
  if (Number.isNaN(launched) || Number.isNaN(declared)) return false;
  return declared <= launched && declarationValid(declaration, new Date(launched));
}

/**
 * Rule 5: an event from another account or Region is rejected (thrown), before any API call.
 */
export function assertOwnEvent(
  event: Pick<LaunchEventFacts, 'id' | 'account' | 'region'>,
  policy: Pick<ReverseReplicationPolicy, 'account' | 'region'>,
): void {
  if (event.account !== policy.account || event.region !== policy.region) {
    throw new ForeignEventError(
      `event ${event.id} is from account ${event.account}, region ${event.region}; this deployment acts only in ${policy.account} ${policy.region}`,
    );
  }
}

/**
 * How the event's `is-drill` string reads: exactly `TRUE` or `FALSE` in ASCII letters, any case. Anything else —
 * whitespace around it, a look-alike letter (`ſ`, which `toUpperCase()` turns into `S`; a Cyrillic `Е`), another
 * word — is "in doubt", and a launch in doubt is never reversed.
 */
export function readDrillFlag(isDrill: string | undefined): 'drill' | 'not-drill' | 'unknown' {
  if (isDrill === undefined || !/^[A-Za-z]{4,5}$/.test(isDrill)) return 'unknown';
  const flag = isDrill.toUpperCase();
  if (flag === 'FALSE') return 'not-drill';
  if (flag === 'TRUE') return 'drill';
  return 'unknown';
}

/**
 * The part of the decision the event alone settles, so no API call is made for a drill or a failed launch.
 * Returns `undefined` when the API facts are needed.
 */
export function screenLaunchEvent(event: LaunchEventFacts): ReverseReplicationDecision | undefined {
  if (event.state === LAUNCH_FAILED) return { action: 'signal-launch-failed' };
  if (event.state !== LAUNCH_SUCCEEDED) {
    return skip('launch-state-unknown', `launch state "${event.state}" is not ${LAUNCH_SUCCEEDED}`);
  }
  const flag = readDrillFlag(event.isDrill);
  if (flag === 'drill') return skip('drill', 'the event says this launch was a drill');
  if (flag === 'unknown') {
    return skip(
      'drill-flag-unknown',
      `the event's is-drill is ${JSON.stringify(event.isDrill ?? null)}, not TRUE or FALSE`,
    );
  }
  return undefined;
}

/**
 * The whole decision. Real recovery means all of: the event says `is-drill: FALSE`; the job was initiated by
 * START_RECOVERY; the recovery instance says `isDrill: false` and `originEnvironment: AWS`; the source server
 * replicates in the FAILOVER direction (or FAILBACK, when re-protection is configured) from another Region;
 * and nothing has been reversed yet.
 */
export function decideReverseReplication(
  facts: ReverseReplicationFacts,
  policy: ReverseReplicationPolicy,
): ReverseReplicationDecision {
  const screened = screenLaunchEvent(facts.event);
  if (screened) return screened;

  const { job, sourceServer, event } = facts;
  if (!job) return skip('job-not-found', `DescribeJobs does not know job ${event.jobId}`);
  if (job.initiatedBy === 'START_DRILL')
    return skip('drill-by-api', `job ${event.jobId} was initiated by START_DRILL`);
  if (job.initiatedBy !== 'START_RECOVERY') {
    return skip(
      'not-a-recovery-job',
      `job ${event.jobId} was initiated by ${job.initiatedBy ?? 'nothing DRS reports'}, not START_RECOVERY`,
    );
  }

  const launched = facts.recoveryInstances.filter((instance) => instance.jobId === event.jobId);
  const jobInstanceIds = new Set(
    job.participatingServers
      .filter((server) => server.sourceServerId === event.sourceServerId && server.recoveryInstanceId)
      .map((server) => server.recoveryInstanceId),
  );
  for (const id of jobInstanceIds) {
    if (id && !launched.some((instance) => instance.recoveryInstanceId === id)) {
      // The job names an instance DescribeRecoveryInstances does not show (yet): cannot confirm its facts.
      return skip(
        'no-recovery-instance',
        `recovery instance ${id} of job ${event.jobId} is not visible in DescribeRecoveryInstances`,
      );
    }
  }
  if (launched.length === 0) {
    return skip(
      'no-recovery-instance',
      `no recovery instance of source server ${event.sourceServerId} comes from job ${event.jobId}`,
    );
  }
  const drillInstance = launched.find((instance) => instance.isDrill !== false);
  if (drillInstance) {
    return skip(
      'drill-by-api',
      `recovery instance ${drillInstance.recoveryInstanceId} has isDrill ${String(drillInstance.isDrill ?? 'unset')}`,
    );
  }

  if (!sourceServer)
    return skip('source-server-not-found', `DescribeSourceServers does not know ${event.sourceServerId}`);
  const nonAws = launched.find((instance) => instance.originEnvironment !== 'AWS');
  if (nonAws) {
    return skip(
      'on-premises-origin',
      `recovery instance ${nonAws.recoveryInstanceId} originates from ${nonAws.originEnvironment ?? 'an unknown environment'}, not AWS`,
    );
  }

  let direction: 'failover' | 'failback';
  if (sourceServer.replicationDirection === 'FAILOVER') direction = 'failover';
  else if (sourceServer.replicationDirection === 'FAILBACK') {
    if (!policy.reverseFailbackInstances) {
      return skip(
        'failback-launch',
        `source server ${event.sourceServerId} replicates in the FAILBACK direction: this is a failback launch`,
      );
    }
    if (!declarationCovers(facts.declaration, job.creationDateTime)) {
      return skip(
        'failback-undeclared',
        facts.declaration
          ? `the failback declaration by ${facts.declaration.declaredBy} (${facts.declaration.declaredAt} to ${facts.declaration.expiresAt}) does not cover this launch (job created ${job.creationDateTime ?? 'at an unknown time'}): a failback drill and a real failback look the same to DRS`
          : `no one declared this failback real: a failback drill and a real failback look the same to DRS`,
      );
    }
    direction = 'failback';
  } else {
    return skip(
      'not-cross-region',
      `source server ${event.sourceServerId} has replication direction ${sourceServer.replicationDirection ?? 'unset'}`,
    );
  }
  if (!sourceServer.originRegion || sourceServer.originRegion === policy.region) {
    return skip(
      'not-cross-region',
      `source server ${event.sourceServerId} originates in ${sourceServer.originRegion ?? 'no Region DRS reports'}, not another Region`,
    );
  }

  const allowedAccounts = [policy.account, ...(policy.originAccounts ?? [])];
  if (sourceServer.originAccountId === undefined || !allowedAccounts.includes(sourceServer.originAccountId)) {
    return skip(
      'origin-account-not-allowed',
      `source server ${event.sourceServerId} originates in account ${sourceServer.originAccountId ?? '(none DRS reports)'}; reversal is allowed only for ${allowedAccounts.join(', ')} (stage parameter reversalOriginAccounts)`,
    );
  }

  // "Already reversed" is a fact about this launch's recovery instances, never about the server's pairing ARN.
  const pending = launched.filter(reversalPending);
  const alreadyReplicating = launched.filter((instance) => !reversalPending(instance));
  if (pending.length === 0) {
    return skip(
      'already-reversed',
      `recovery instance(s) ${alreadyReplicating.map((i) => `${i.recoveryInstanceId} (${i.dataReplicationState ?? 'state unset'}, ${i.failbackState ?? 'failback state unset'})`).join(', ')} already replicate`,
    );
  }
  return {
    action: 'reverse',
    direction,
    recoveryInstanceIds: pending.map((instance) => instance.recoveryInstanceId),
    alreadyReplicating: alreadyReplicating.map((instance) => instance.recoveryInstanceId),
  };
}

function skip(reason: SkipReason, explanation: string): ReverseReplicationDecision {
  return { action: 'skip', reason, explanation };
}
