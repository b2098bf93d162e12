import { beforeEach, describe, expect, it } from 'vitest';
import { SIGNAL_TYPES } from '../../../events/dr-autopilot/signal.ts';
import { launchResult } from '../../../events/drs/launch-result.ts';
import {
  type ReverseReplicationDeps,
  reverseReplicationAfterRecovery,
} from '../../../src/app/reverse-replication.ts';
import { ForeignEventError } from '../../../src/domain/errors.ts';
import {
  FakeDrs,
  failoverSourceServer,
  RECOVERY_INSTANCE_ID,
  recoveryInstance,
  recoveryJob,
} from '../../fakes/drs.ts';
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
  /** The published signals of one type, in order. */
  const published = (type: string) => signals.published.filter((candidate) => candidate.type === type);

  beforeEach(() => {
    drs = new FakeDrs();
    drs.jobs = [recoveryJob()];
    drs.sourceServers = [failoverSourceServer()];
    drs.recoveryInstances = [recoveryInstance()];
    signals = new CapturingSignalPublisher();
    deps = {
      drs,
      signals,
      clock: () => new Date('2026-11-22T10:00:00Z'),
      dryRun: false,
      policy: { account: '111122223333', region: 'us-west-2', reverseFailbackInstances: false },
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

  it('for a drill (by event) reads only the server’s tags, and records the skip as evidence only', async () => {
    const outcome = await reverseReplicationAfterRecovery(launchEvent(drill), deps);

    expect(outcome).toMatchObject({ action: 'skipped', reason: 'drill' });
    expect(drs.readCalls).toEqual(['describeSourceServer']);
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

  it('never reverses a failback launch unless configured', async () => {
    drs.sourceServers = [failoverSourceServer({ replicationDirection: 'FAILBACK' })];

    const refused = await reverseReplicationAfterRecovery(launchEvent(), deps);
    expect(refused).toMatchObject({ action: 'skipped', reason: 'failback-launch' });
    expect(drs.reverseCalls).toEqual([]);
    expect(published(SIGNAL_TYPES.reverseReplicationSkipped)[0]?.detail.assessment?.state).toBe('NOT_READY');

    const configured = await reverseReplicationAfterRecovery(launchEvent(), {
      ...deps,
      policy: { ...deps.policy, reverseFailbackInstances: true },
    });
    expect(configured).toMatchObject({ action: 'reverse-replication-started' });
    expect(published(SIGNAL_TYPES.reversedReplicationStarted)[0]?.detail.evidence.direction).toBe('failback');
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
      (event: SampleEvent) => {
        event.account = '444455556666';
      },
    ],
    [
      'Region',
      (event: SampleEvent) => {
        event.region = 'eu-west-1';
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
});
