import { beforeEach, describe, expect, it } from 'vitest';
import { SIGNAL_TYPES } from '../../../events/dr-autopilot/signal.ts';
import { launchResult } from '../../../events/drs/launch-result.ts';
import {
  type ReverseReplicationDeps,
  retryPendingReversals,
  reverseReplicationAfterRecovery,
} from '../../../src/app/reverse-replication.ts';
import { ConflictError, ForeignEventError } from '../../../src/domain/errors.ts';
import {
  FakeDrs,
  failoverSourceServer,
  RECOVERY_INSTANCE_ID,
  recoveryInstance,
  recoveryJob,
  SOURCE_SERVER_ID,
} from '../../fakes/drs.ts';
import { FakeDeclarations, FakePendingReversals } from '../../fakes/failback.ts';
import { CapturingSignalPublisher } from '../../fakes/signals.ts';
import { loadSample, type SampleEvent } from '../../helpers/events.ts';

function launchEvent(change: (event: SampleEvent) => void = () => {}) {
  const event = loadSample<SampleEvent>('drs', 'source-server-launch-result.recovery-launch-succeeded');
  change(event);
  return launchResult.parse(event);
}

const drill = (event: SampleEvent) => {
  event.detail['is-drill'] = 'TRUE';
};

describe('reverseReplicationAfterRecovery', () => {
  let drs: FakeDrs;
  let signals: CapturingSignalPublisher;
  let deps: ReverseReplicationDeps;
  let declarations: FakeDeclarations;
  let pending: FakePendingReversals;
  let now: Date;
  /** The published signals of one type, in order. */
  const published = (type: string) => signals.published.filter((candidate) => candidate.type === type);

  beforeEach(() => {
    drs = new FakeDrs();
    drs.jobs = [recoveryJob()];
    drs.sourceServers = [failoverSourceServer()];
    drs.recoveryInstances = [recoveryInstance()];
    signals = new CapturingSignalPublisher();
    declarations = new FakeDeclarations();
    pending = new FakePendingReversals();
    now = new Date('2026-11-22T10:00:00Z');
    deps = {
      drs,
      signals,
      clock: () => now,
      dryRun: false,
      policy: { account: '111122223333', region: 'us-west-2', reverseFailbackInstances: false },
      declarations,
      pending,
      retryForSeconds: 3_600,
    };
  });

  it('starts reversed replication after a real recovery and signals it', async () => {
    const outcome = await reverseReplicationAfterRecovery(launchEvent(), deps);

    expect(outcome).toMatchObject({
      action: 'reverse-replication-started',
      recoveryInstanceIds: [RECOVERY_INSTANCE_ID],
    });
    expect(drs.reverseCalls).toEqual([RECOVERY_INSTANCE_ID]);
    expect(signals.published.map((signal) => signal.type)).toEqual([
      SIGNAL_TYPES.recoveryLaunchSucceeded,
      SIGNAL_TYPES.reversedReplicationStarted,
    ]);
    const [signal] = published(SIGNAL_TYPES.reversedReplicationStarted);
    expect(signal?.detail).toMatchObject({
      workload: 'payments',
      resource: {
        type: 'drs-recovery-instance',
        id: RECOVERY_INSTANCE_ID,
        region: 'us-west-2',
        account: '111122223333',
      },
      assessment: { state: 'NOT_READY', reason: expect.stringContaining('not protected until initial sync') },
      dryRun: false,
      correlationId: '9da9af57-9253-4406-87cb-7cc400e43465',
      observedAt: '2016-08-22T20:12:19Z',
    });
    expect(signal?.detail.evidence).toMatchObject({
      jobId: 'drsjob-04ca7d0d3fb6afa3e',
      direction: 'failover',
      originRegion: 'us-east-1',
    });
  });

  it('a second run after a reversal started does not reverse again', async () => {
    await reverseReplicationAfterRecovery(launchEvent(), deps);

    const outcome = await reverseReplicationAfterRecovery(launchEvent(), deps);

    expect(outcome).toMatchObject({ action: 'skipped', reason: 'already-reversed' });
    expect(drs.reverseCalls).toHaveLength(1);
  });

  it('for a drill (by event) only reads (tags, job and instances for its evidence), and records the skip as evidence only', async () => {
    const outcome = await reverseReplicationAfterRecovery(launchEvent(drill), deps);

    expect(outcome).toMatchObject({ action: 'skipped', reason: 'drill' });
    expect(drs.readCalls.sort()).toEqual([
      'describeJob',
      'describeRecoveryInstancesOf',
      'describeSourceServer',
    ]);
    expect(drs.reverseCalls).toEqual([]);
    const [skip] = published(SIGNAL_TYPES.reverseReplicationSkipped);
    expect(skip?.detail.assessment).toBeUndefined();
    expect(skip?.detail.workload).toBe('payments');
  });

  it('records a successful launch, drill or recovery, as READY evidence of its own resource', async () => {
    await reverseReplicationAfterRecovery(launchEvent(drill), deps);

    expect(published(SIGNAL_TYPES.recoveryLaunchSucceeded)[0]?.detail).toMatchObject({
      resource: { type: 'drs-recovery-launch', id: 's-12345678901234567' },
      workload: 'payments',
      assessment: { state: 'READY', reason: 'drill launch succeeded for s-12345678901234567' },
    });
  });

  it('does nothing and alerts when a drill is revealed only by the API', async () => {
    drs.jobs = [recoveryJob({ initiatedBy: 'START_DRILL' })];

    const outcome = await reverseReplicationAfterRecovery(launchEvent(), deps);

    expect(outcome).toMatchObject({ action: 'skipped', reason: 'drill-by-api' });
    expect(drs.reverseCalls).toEqual([]);
    expect(published(SIGNAL_TYPES.reverseReplicationSkipped)[0]?.detail.severity).toBe('warning');
  });

  it('alerts with UNKNOWN readiness when the drill flag cannot be read', async () => {
    const outcome = await reverseReplicationAfterRecovery(
      launchEvent((event) => {
        delete event.detail['is-drill'];
      }),
      deps,
    );

    expect(outcome).toMatchObject({ action: 'skipped', reason: 'drill-flag-unknown' });
    expect(drs.reverseCalls).toEqual([]);
    expect(published(SIGNAL_TYPES.reverseReplicationSkipped)[0]?.detail.assessment?.state).toBe('UNKNOWN');
  });

  it('re-protects a failback launch only when configured and declared by a person (rule 2)', async () => {
    drs.sourceServers = [failoverSourceServer({ replicationDirection: 'FAILBACK' })];
    const configured = { ...deps, policy: { ...deps.policy, reverseFailbackInstances: true } };

    const refused = await reverseReplicationAfterRecovery(launchEvent(), deps);
    expect(refused).toMatchObject({ action: 'skipped', reason: 'failback-launch' });
    // Read for the evidence only ("a failback, declared or not"): nothing is re-protected without the option.
    expect(declarations.reads).toBe(1);
    expect(published(SIGNAL_TYPES.recoveryLaunchSucceeded).at(-1)?.detail.evidence).toMatchObject({
      launchPurpose: 'failback',
      declared: false,
    });

    const undeclared = await reverseReplicationAfterRecovery(launchEvent(), configured);
    expect(undeclared).toMatchObject({ action: 'skipped', reason: 'failback-undeclared' });
    expect(drs.reverseCalls).toEqual([]);
    const skip = published(SIGNAL_TYPES.reverseReplicationSkipped).at(-1);
    expect(skip?.detail.assessment).toMatchObject({
      state: 'NOT_READY',
      runbook: 'runbook-failed-back-not-re-protected',
    });
    expect(skip?.detail.assessment?.nextStep).toMatch(/step 3 \(re-protection\) not done/);

    declarations.declare({
      workload: 'payments',
      declaredBy: 'arn:aws:sts::111122223333:assumed-role/oncall/alice',
      declaredAt: '2026-11-22T09:30:00Z',
      expiresAt: '2026-11-22T12:00:00Z',
    });
    const declared = await reverseReplicationAfterRecovery(launchEvent(), configured);
    expect(declared).toMatchObject({ action: 'reverse-replication-started' });
    expect(published(SIGNAL_TYPES.reversedReplicationStarted)[0]?.detail.evidence.direction).toBe('failback');
  });

  it('a declaration that expired before the launch is no declaration', async () => {
    drs.sourceServers = [failoverSourceServer({ replicationDirection: 'FAILBACK' })];
    declarations.declare({
      workload: 'payments',
      declaredBy: 'alice',
      declaredAt: '2026-11-21T09:30:00Z',
      expiresAt: '2026-11-21T21:30:00Z',
    });

    const outcome = await reverseReplicationAfterRecovery(launchEvent(), {
      ...deps,
      policy: { ...deps.policy, reverseFailbackInstances: true },
    });

    expect(outcome).toMatchObject({ action: 'skipped', reason: 'failback-undeclared' });
    expect(drs.reverseCalls).toEqual([]);
  });

  it('a second failover of the same server is reversed although AWS kept the pairing ARN', async () => {
    // The first cycle: reversed, then (after failback and cleanup) the pairing ARN stays on the server.
    await reverseReplicationAfterRecovery(launchEvent(), deps);
    expect(drs.sourceServers[0]?.reversedDirectionSourceServerArn).toBeDefined();
    const secondJob = 'drsjob-0aaaaaaaaaaaaaaaa';
    const secondInstance = 'i-0bbbbbbbbbbbbbbbb';
    drs.jobs.push(
      recoveryJob({
        jobId: secondJob,
        participatingServers: [
          { sourceServerId: drs.sourceServers[0]?.sourceServerId, recoveryInstanceId: secondInstance },
        ],
      }),
    );
    drs.recoveryInstances.push(recoveryInstance({ recoveryInstanceId: secondInstance, jobId: secondJob }));

    const second = await reverseReplicationAfterRecovery(
      launchEvent((event) => {
        event.id = 'second-failover';
        event.detail['job-id'] = secondJob;
      }),
      deps,
    );

    expect(second).toMatchObject({
      action: 'reverse-replication-started',
      recoveryInstanceIds: [secondInstance],
    });
    expect(drs.reverseCalls).toEqual([RECOVERY_INSTANCE_ID, secondInstance]);
    expect(published(SIGNAL_TYPES.reversedReplicationStarted)[1]?.detail.evidence.pairedServerArnBefore).toBe(
      'arn:aws:drs:us-east-1:111122223333:source-server/s-abcdefabcdefabcde',
    );
  });

  it('a ConflictException while the agent starts defers the reversal; the scheduled retry starts it', async () => {
    drs.conflictsWhileStarting = 1;

    const first = await reverseReplicationAfterRecovery(launchEvent(), deps);

    expect(first).toMatchObject({
      action: 'reversal-deferred',
      deferredRecoveryInstanceIds: [RECOVERY_INSTANCE_ID],
      recoveryInstanceIds: [],
    });
    expect(pending.items.get(RECOVERY_INSTANCE_ID)).toMatchObject({
      firstConflictAt: '2026-11-22T10:00:00.000Z',
      retryUntil: '2026-11-22T11:00:00.000Z',
    });
    // No page for a conflict that a retry will likely clear: evidence only.
    const deferral = published(SIGNAL_TYPES.reverseReplicationSkipped).at(-1);
    expect(deferral?.detail).toMatchObject({ severity: 'info', evidence: { reason: 'reversal-deferred' } });
    expect(deferral?.detail.assessment).toBeUndefined();

    now = new Date('2026-11-22T10:10:00Z');
    const retried = await retryPendingReversals(deps);

    expect(retried.results).toEqual([
      { recoveryInstanceId: RECOVERY_INSTANCE_ID, action: 'retried', outcome: 'reverse-replication-started' },
    ]);
    expect(pending.items.size).toBe(0);
    expect(published(SIGNAL_TYPES.reversedReplicationStarted)).toHaveLength(1);
  });

  it('a ConflictException because the reversal already started is confirmed by a re-read, not deferred', async () => {
    // Another attempt (or a person) started it between our read and our call.
    drs.failNext('reverseReplication', Object.assign(new ConflictError('already replicating'), {}));
    const instance = drs.recoveryInstances[0];
    const original = drs.describeRecoveryInstancesOf.bind(drs);
    let reads = 0;
    drs.describeRecoveryInstancesOf = async (id: string) => {
      reads += 1;
      if (reads === 2 && instance) instance.dataReplicationState = 'INITIATING';
      return original(id);
    };

    const outcome = await reverseReplicationAfterRecovery(launchEvent(), deps);

    expect(outcome).toMatchObject({
      action: 'reverse-replication-started',
      recoveryInstanceIds: [RECOVERY_INSTANCE_ID],
    });
    expect(pending.items.size).toBe(0);
    expect(published(SIGNAL_TYPES.reversedReplicationStarted)[0]?.detail.evidence.confirmedBy).toMatch(
      /re-read after ConflictException/,
    );
  });

  it('a reversal still refused past its deadline is given up with one critical signal', async () => {
    drs.conflictsWhileStarting = 100;
    await reverseReplicationAfterRecovery(launchEvent(), deps);

    now = new Date('2026-11-22T10:30:00Z');
    const within = await retryPendingReversals(deps);
    expect(within.results[0]).toMatchObject({ action: 'still-deferred' });
    expect(pending.items.get(RECOVERY_INSTANCE_ID)?.attempts).toBe(2);
    expect(signals.published.filter((signal) => signal.detail.severity === 'critical')).toEqual([]);

    now = new Date('2026-11-22T11:05:00Z');
    const past = await retryPendingReversals(deps);

    expect(past.results[0]).toMatchObject({ action: 'gave-up' });
    expect(pending.items.size).toBe(0);
    const critical = signals.published.filter((signal) => signal.detail.severity === 'critical');
    expect(critical).toHaveLength(1);
    expect(critical[0]?.detail.assessment).toMatchObject({ state: 'NOT_READY' });
    expect(critical[0]?.detail.summary).toMatch(/still refused \(ConflictException\) after 1h5m/);
  });

  it('a pending reversal that keeps failing otherwise (or no longer parses) still ends in one critical message', async () => {
    drs.conflictsWhileStarting = 1;
    await reverseReplicationAfterRecovery(launchEvent(), deps);
    await pending.record({
      recoveryInstanceId: 'i-0cccccccccccccccc',
      event: '{"not json',
      firstConflictAt: '2026-11-22T10:00:00.000Z',
      retryUntil: '2026-11-22T11:00:00.000Z',
      attempts: 1,
    });
    const denied = Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' });

    // Before the deadline the failure propagates (Lambda retries; the other records were still tried).
    now = new Date('2026-11-22T10:10:00Z');
    drs.failNext('describeJob', denied);
    await expect(retryPendingReversals(deps)).rejects.toThrow(/could not be retried/);
    expect(pending.items.size).toBe(2);

    now = new Date('2026-11-22T11:01:00Z');
    drs.failNext('describeJob', denied);
    const past = await retryPendingReversals(deps);

    expect(past.results.map((result) => result.action)).toEqual(['gave-up', 'gave-up']);
    expect(pending.items.size).toBe(0);
    const critical = signals.published.filter((signal) => signal.detail.severity === 'critical');
    expect(critical.map((signal) => signal.detail.resource.id).sort()).toEqual([
      RECOVERY_INSTANCE_ID,
      'i-0cccccccccccccccc',
    ]);
    expect(critical.map((signal) => signal.detail.summary).join(' ')).toMatch(
      /AccessDeniedException: not authorized/,
    );
  });

  it('a retry of a deferred reversal of a drill (by API, discovered later) still never reverses', async () => {
    drs.conflictsWhileStarting = 1;
    await reverseReplicationAfterRecovery(launchEvent(), deps);
    const instance = drs.recoveryInstances[0];
    if (instance) instance.isDrill = true;

    const retried = await retryPendingReversals(deps);

    expect(retried.results[0]).toMatchObject({ action: 'retried', outcome: 'skipped' });
    expect(drs.reverseCalls).toEqual([RECOVERY_INSTANCE_ID]); // only the refused first call
  });

  it('signals a failed launch as critical NOT_READY of the launch resource, with the workload from the tags', async () => {
    const event = launchResult.parse(loadSample('drs', 'source-server-launch-result.recovery-launch-failed'));

    const outcome = await reverseReplicationAfterRecovery(event, deps);

    expect(outcome).toMatchObject({ action: 'launch-failure-signalled' });
    expect(drs.reverseCalls).toEqual([]);
    expect(signals.published).toHaveLength(1);
    expect(signals.published[0]).toMatchObject({
      type: SIGNAL_TYPES.recoveryLaunchFailed,
      detail: {
        severity: 'critical',
        workload: 'payments',
        resource: { type: 'drs-recovery-launch', id: 's-12345678901234567' },
        assessment: { state: 'NOT_READY', reason: 'recovery launch failed for s-12345678901234567' },
      },
    });
  });

  it('in dry-run decides and signals, and calls nothing that changes AWS', async () => {
    const outcome = await reverseReplicationAfterRecovery(launchEvent(), { ...deps, dryRun: true });

    expect(outcome).toEqual({
      action: 'dry-run',
      sourceServerId: 's-12345678901234567',
      wouldReverse: [RECOVERY_INSTANCE_ID],
    });
    expect(drs.reverseCalls).toEqual([]);
    expect(published(SIGNAL_TYPES.reverseReplicationSkipped)[0]?.detail).toMatchObject({
      dryRun: true,
      resource: { type: 'drs-recovery-instance', id: RECOVERY_INSTANCE_ID },
      assessment: { state: 'NOT_READY' },
    });
  });

  it.each([
    [
      'account',
      // A real foreign event names its own resources (one that does not is refused as malformed)
      (event: SampleEvent) => {
        event.account = '444455556666';
        event.resources = (event.resources as string[]).map((arn) =>
          arn.replace(':111122223333:', ':444455556666:'),
        );
      },
    ],
    [
      'Region',
      (event: SampleEvent) => {
        event.region = 'eu-west-1';
        event.resources = (event.resources as string[]).map((arn) =>
          arn.replace(':us-west-2:', ':eu-west-1:'),
        );
      },
    ],
  ])('rejects an event from another %s with no API call and no signal', async (_what, change) => {
    await expect(reverseReplicationAfterRecovery(launchEvent(change), deps)).rejects.toThrow(
      ForeignEventError,
    );
    expect(drs.readCalls).toEqual([]);
    expect(signals.published).toEqual([]);
  });

  it('propagates a throttled ReverseReplication, and the retry reverses exactly once', async () => {
    drs.failNext(
      'reverseReplication',
      Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }),
    );

    await expect(reverseReplicationAfterRecovery(launchEvent(), deps)).rejects.toThrow('Rate exceeded');
    expect(signals.published).toEqual([]);
    const retried = await reverseReplicationAfterRecovery(launchEvent(), deps);

    expect(retried).toMatchObject({ action: 'reverse-replication-started' });
    expect(drs.reverseCalls).toEqual([RECOVERY_INSTANCE_ID]);
  });

  it('propagates a failed signal publication after the reversal, and the retry does not reverse again', async () => {
    signals.failNext(new Error('PutEvents failed'));

    await expect(reverseReplicationAfterRecovery(launchEvent(), deps)).rejects.toThrow('PutEvents failed');
    const retried = await reverseReplicationAfterRecovery(launchEvent(), deps);

    expect(retried).toMatchObject({ action: 'skipped', reason: 'already-reversed' });
    expect(drs.reverseCalls).toHaveLength(1);
  });

  it('the retry after a lost publication publishes the started signal the first attempt would have: same id', async () => {
    // What the first attempt publishes when nothing fails (a twin world, reversed once)
    const twin = new FakeDrs();
    twin.jobs = [recoveryJob()];
    twin.sourceServers = [failoverSourceServer()];
    twin.recoveryInstances = [recoveryInstance()];
    const twinSignals = new CapturingSignalPublisher();
    await reverseReplicationAfterRecovery(launchEvent(), { ...deps, drs: twin, signals: twinSignals });
    const original = twinSignals.published.find(
      (signal) => signal.type === SIGNAL_TYPES.reversedReplicationStarted,
    );
    signals.failNext(new Error('PutEvents failed'));
    await expect(reverseReplicationAfterRecovery(launchEvent(), deps)).rejects.toThrow('PutEvents failed');

    now = new Date('2026-11-22T10:03:00Z');
    await reverseReplicationAfterRecovery(launchEvent(), deps);

    const [found] = published(SIGNAL_TYPES.reversedReplicationStarted);
    expect(found?.detail).toMatchObject({
      // Readiness folds a repeat of the same signal as a duplicate; a later observation is never overwritten.
      signalId: original?.detail.signalId,
      observedAt: original?.detail.observedAt,
      resource: original?.detail.resource,
      assessment: original?.detail.assessment,
      evidence: {
        recoveryInstanceId: RECOVERY_INSTANCE_ID,
        direction: 'failover',
        confirmedBy: 'found already reversed (INITIATING, failback state unset)',
        reversedAt: '2026-11-22T10:03:00.000Z',
      },
    });
    // The skip stays evidence only, and no longer names the reversal (the started signal records it).
    const [skip] = published(SIGNAL_TYPES.reverseReplicationSkipped);
    expect(skip?.detail.evidence).toEqual(expect.objectContaining({ reason: 'already-reversed' }));
    expect(skip?.detail.evidence.recoveryInstanceId).toBeUndefined();
    expect(skip?.detail.assessment).toBeUndefined();
  });

  it('a job of two instances: the retry after the second failed reverses it and signals both', async () => {
    const second = 'i-0bbbbbbbbbbbbbbbb';
    drs.jobs = [
      recoveryJob({
        participatingServers: [
          { sourceServerId: SOURCE_SERVER_ID, recoveryInstanceId: RECOVERY_INSTANCE_ID },
          { sourceServerId: SOURCE_SERVER_ID, recoveryInstanceId: second },
        ],
      }),
    ];
    drs.recoveryInstances.push(recoveryInstance({ recoveryInstanceId: second }));
    const reverse = drs.reverseReplication.bind(drs);
    let calls = 0;
    drs.reverseReplication = async (id) => {
      calls += 1;
      if (calls === 2) throw Object.assign(new Error('internal error'), { name: 'InternalServerException' });
      return reverse(id);
    };
    await expect(reverseReplicationAfterRecovery(launchEvent(), deps)).rejects.toThrow('internal error');
    expect(signals.published).toEqual([]);

    const retried = await reverseReplicationAfterRecovery(launchEvent(), deps);

    expect(retried).toMatchObject({ action: 'reverse-replication-started', recoveryInstanceIds: [second] });
    expect(drs.reverseCalls).toEqual([RECOVERY_INSTANCE_ID, second]);
    expect(
      published(SIGNAL_TYPES.reversedReplicationStarted).map((signal) => [
        signal.detail.resource.id,
        signal.detail.evidence.confirmedBy,
      ]),
    ).toEqual([
      [RECOVERY_INSTANCE_ID, 'found already reversed (INITIATING, failback state unset)'],
      [second, 'ReverseReplication answer'],
    ]);
  });

  it.each([
    [
      'a drill by API',
      () =>
        drs.recoveryInstances.splice(
          0,
          1,
          recoveryInstance({ isDrill: true, dataReplicationState: 'INITIATING' }),
        ),
      'drill-by-api',
    ],
    [
      'a failback launch',
      () => drs.sourceServers.splice(0, 1, failoverSourceServer({ replicationDirection: 'FAILBACK' })),
      'failback-launch',
    ],
    [
      'a server from another account',
      () => drs.sourceServers.splice(0, 1, failoverSourceServer({ originAccountId: '444455556666' })),
      'origin-account-not-allowed',
    ],
    [
      'an instance from on-premises',
      () =>
        drs.recoveryInstances.splice(
          0,
          1,
          recoveryInstance({ originEnvironment: 'ON_PREMISES', dataReplicationState: 'INITIATING' }),
        ),
      'on-premises-origin',
    ],
  ])('%s whose instance replicates stays skipped, with no started signal', async (_name, change, reason) => {
    drs.recoveryInstances[0] = {
      ...(drs.recoveryInstances[0] ?? recoveryInstance()),
      dataReplicationState: 'INITIATING',
    };
    change();

    const outcome = await reverseReplicationAfterRecovery(launchEvent(), deps);

    expect(outcome).toMatchObject({ action: 'skipped', reason });
    expect(published(SIGNAL_TYPES.reversedReplicationStarted)).toEqual([]);
    expect(drs.reverseCalls).toEqual([]);
  });
});
