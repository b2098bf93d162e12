import { beforeEach, describe, expect, it } from 'vitest';
import { SIGNAL_TYPES, type Signal } from '../../../events/dr-autopilot/signal.ts';
import {
  DRILL_CLEANUP_TAG,
  type LifecycleDeps,
  sweepLifecycle,
} from '../../../src/app/failback-lifecycle.ts';
import type { DrsRecoveryInstance, DrsSourceServer } from '../../../src/ports/drs.ts';
import type { StoredDrill } from '../../../src/ports/lifecycle.ts';
import { FakeLifecycleStore, FakeRegionDrs } from '../../fakes/region-drs.ts';
import { CapturingSignalPublisher } from '../../fakes/signals.ts';

const A = 'us-east-1';
const B = 'us-west-2';
const B1 = 's-0b1b1b1b1b1b1b1b1';
const B2 = 'i-0b2b2b2b2b2b2b2b2';
const DRILL = 'i-0d1d1d1d1d1d1d1d1';

const forward = (overrides: Partial<DrsSourceServer> = {}): DrsSourceServer => ({
  sourceServerId: B1,
  arn: `arn:aws:drs:${B}:111122223333:source-server/${B1}`,
  tags: { 'dr-autopilot:workload': 'payments' },
  replicationDirection: 'FAILOVER',
  originRegion: A,
  dataReplicationState: 'CONTINUOUS',
  awsInstanceId: 'i-0a1a1a1a1a1a1a1a1',
  replicatedDisks: [],
  ...overrides,
});
const instance = (overrides: Partial<DrsRecoveryInstance> = {}): DrsRecoveryInstance => ({
  recoveryInstanceId: B2,
  arn: `arn:aws:drs:${B}:111122223333:recovery-instance/${B2}`,
  ec2InstanceId: 'i-0b3b3b3b3b3b3b3b3',
  tags: {},
  sourceServerId: B1,
  jobId: 'drsjob-failover0000001',
  isDrill: false,
  originEnvironment: 'AWS',
  ec2InstanceState: 'RUNNING',
  dataReplicationState: 'NOT_STARTED',
  failbackState: 'FAILBACK_NOT_STARTED',
  replicatedDisks: [],
  ...overrides,
});

describe('sweepLifecycle', () => {
  let primary: FakeRegionDrs;
  let recovery: FakeRegionDrs;
  let store: FakeLifecycleStore;
  let signals: CapturingSignalPublisher;
  let now: Date;
  let deps: LifecycleDeps;

  beforeEach(() => {
    primary = new FakeRegionDrs();
    recovery = new FakeRegionDrs();
    recovery.sourceServers = [forward()];
    store = new FakeLifecycleStore();
    signals = new CapturingSignalPublisher();
    now = new Date('2026-11-22T12:00:00Z');
    deps = {
      primary,
      recovery,
      store,
      signals,
      clock: () => now,
      dryRun: false,
      regionRole: 'recovery',
      policy: {
        primaryRegion: A,
        recoveryRegion: B,
        account: '111122223333',
        unprotectedAlertAfterSeconds: 3_600,
        drillMaxAgeSeconds: 86_400,
        terminateDrillInstances: false,
      },
    };
  });

  const failOver = () => {
    recovery.sourceServers = [forward({ dataReplicationState: 'DISCONNECTED' })];
    recovery.recoveryInstances = [instance()];
    recovery.jobs = [
      {
        jobId: 'drsjob-failover0000001',
        initiatedBy: 'START_RECOVERY',
        creationDateTime: '2026-11-22T11:50:00Z',
        participatingServers: [],
      },
    ];
  };
  const leaveDrill = (initiatedBy = 'START_DRILL') => {
    recovery.recoveryInstances.push(
      instance({
        recoveryInstanceId: DRILL,
        arn: `arn:aws:drs:${B}:111122223333:recovery-instance/${DRILL}`,
        isDrill: true,
        jobId: 'drsjob-drill00000001',
      }),
    );
    recovery.jobs.push({
      jobId: 'drsjob-drill00000001',
      initiatedBy,
      creationDateTime: '2026-11-20T12:00:00Z',
      participatingServers: [],
    });
  };

  it('in the primary Region does nothing: the recovery Region owns the lifecycle', async () => {
    const outcome = await sweepLifecycle({ ...deps, regionRole: 'primary' }, 'evt');
    expect(outcome).toMatchObject({ action: 'skipped', reason: 'not-the-lifecycle-owner' });
    expect(store.saves).toBe(0);
  });

  it('remembers servers at rest silently, then signals each change of stage once', async () => {
    await sweepLifecycle(deps, 'sweep-1');
    expect(signals.published).toEqual([]);
    expect(store.servers.get(B1)).toMatchObject({ stage: 'protected', ids: { a1: 'i-0a1a1a1a1a1a1a1a1' } });

    failOver();
    const changed = await sweepLifecycle(deps, 'sweep-2');
    expect(changed).toMatchObject({
      changes: [{ serverId: B1, from: 'protected', to: 'failed-over-unprotected' }],
    });
    expect(signals.published).toHaveLength(1);
    expect(signals.published[0]).toMatchObject({
      type: SIGNAL_TYPES.lifecycleStageChanged,
      detail: {
        resource: { type: 'drs-failback-lifecycle', id: B1, region: B, account: '111122223333' },
        workload: 'payments',
        assessment: { state: 'READY', runbook: 'runbook-recovered-but-unprotected' },
        evidence: { stage: 'failed-over-unprotected', previousStage: 'protected' },
      },
    });

    // Ten minutes later: the same stage; the wording changed ("unprotected for 20m"), nothing is written or said.
    const saves = store.saves;
    now = new Date('2026-11-22T12:10:00Z');
    const same = await sweepLifecycle(deps, 'sweep-3');
    expect(same).toMatchObject({ changes: [] });
    expect(signals.published).toHaveLength(1);
    expect(store.saves).toBe(saves);

    // Past the bound: same stage, now critical, said once.
    now = new Date('2026-11-22T13:00:00Z');
    await sweepLifecycle(deps, 'sweep-4');
    expect(
      signals.published.map((signal) => [signal.detail.severity, signal.detail.assessment?.state]),
    ).toEqual([
      ['info', 'READY'],
      ['critical', 'NOT_READY'],
    ]);
    expect(store.servers.get(B1)?.history.map((entry) => entry.stage)).toEqual([
      'failed-over-unprotected',
      'protected',
    ]);
  });

  it('goes on from the recovery Region alone when the primary cannot be read', async () => {
    failOver();
    primary.down = true;
    const outcome = await sweepLifecycle(deps, 'sweep');
    expect(outcome).toMatchObject({ primaryReachable: false });
    expect(store.servers.get(B1)?.partial).toMatch(/could not be read \(TimeoutError\)/);
  });

  it('fails when the recovery Region itself cannot be read (Lambda retries)', async () => {
    recovery.down = true;
    await expect(sweepLifecycle(deps, 'sweep')).rejects.toThrow(/ETIMEDOUT/);
    expect(store.saves).toBe(0);
  });

  it('a failed publication stores nothing, so the next sweep says it again', async () => {
    await sweepLifecycle(deps, 'sweep-1');
    failOver();
    signals.failNext(new Error('PutEvents failed'));
    await expect(sweepLifecycle(deps, 'sweep-2')).rejects.toThrow('PutEvents failed');
    expect(store.servers.get(B1)?.stage).toBe('protected');

    await sweepLifecycle(deps, 'sweep-3');
    expect(signals.published).toHaveLength(1);
    expect(store.servers.get(B1)?.stage).toBe('failed-over-unprotected');
  });

  it('reports a drill instance left running once, and says when it is gone', async () => {
    leaveDrill();
    const first = await sweepLifecycle(deps, 'sweep-1');
    const second = await sweepLifecycle(deps, 'sweep-2');

    expect(first).toMatchObject({ drillsReported: [DRILL], drillsTerminated: [] });
    expect(second).toMatchObject({ drillsReported: [] });
    const drillSignals = signals.published.filter(
      (signal) => signal.type === SIGNAL_TYPES.drillInstanceChanged,
    );
    expect(drillSignals).toHaveLength(1);
    expect(drillSignals[0]?.detail).toMatchObject({
      resource: { type: 'drs-drill-instance', id: DRILL },
      assessment: { state: 'AT_RISK', runbook: 'runbook-drill-instance-running' },
      evidence: { instanceHours: 48, confirmedDrill: true },
    });
    expect(recovery.changes).toEqual([]);

    recovery.recoveryInstances = recovery.recoveryInstances.filter((i) => i.recoveryInstanceId !== DRILL);
    const gone = await sweepLifecycle(deps, 'sweep-3');
    expect(gone).toMatchObject({ drillsGone: [DRILL] });
    expect(signals.published.at(-1)?.detail.assessment?.state).toBe('READY');
    expect(store.drills.size).toBe(0);
  });

  it('terminates a confirmed drill only when opted in, tagging it first (the IAM lock)', async () => {
    leaveDrill();
    const outcome = await sweepLifecycle(
      { ...deps, policy: { ...deps.policy, terminateDrillInstances: true } },
      's',
    );

    expect(outcome).toMatchObject({ drillsTerminated: [DRILL] });
    expect(recovery.changes).toEqual([
      `TagResource(arn:aws:drs:${B}:111122223333:recovery-instance/${DRILL})`,
      `TerminateRecoveryInstances(${DRILL})`,
    ]);
    expect(recovery.tags.get(`arn:aws:drs:${B}:111122223333:recovery-instance/${DRILL}`)).toEqual({
      [DRILL_CLEANUP_TAG]: 'drsjob-drill00000001',
    });
    // Shutting down takes time: the next sweep does not terminate again.
    await sweepLifecycle({ ...deps, policy: { ...deps.policy, terminateDrillInstances: true } }, 's2');
    expect(recovery.changes).toHaveLength(2);
  });

  describe('a termination whose signal is lost is signalled by a later sweep', () => {
    const optedIn = () => ({ ...deps, policy: { ...deps.policy, terminateDrillInstances: true } });
    const terminations = () =>
      recovery.changes.filter((change) => change.startsWith('TerminateRecoveryInstances'));
    const terminatedSignals = () =>
      signals.published.filter((signal) => signal.detail.evidence.action === 'terminate');

    it('when TerminateRecoveryInstances applied but its answer was lost (a 5xx), once', async () => {
      // Prepare
      leaveDrill();
      recovery.loseNextTerminateAnswer = true;

      // Act
      await expect(sweepLifecycle(optedIn(), 'sweep-1')).rejects.toThrow(/could not be terminated/);
      now = new Date('2026-11-22T12:10:00Z');
      const second = await sweepLifecycle(optedIn(), 'sweep-2');
      now = new Date('2026-11-22T12:20:00Z');
      const third = await sweepLifecycle(optedIn(), 'sweep-3');

      // Assess
      expect(terminations()).toHaveLength(1);
      expect(second).toMatchObject({ drillsTerminated: [DRILL], drillsKept: [] });
      expect(third).toMatchObject({ drillsTerminated: [], drillsKept: [] });
      expect(terminatedSignals()).toHaveLength(1);
      expect(terminatedSignals()[0]?.detail).toMatchObject({
        resource: { type: 'drs-drill-instance', id: DRILL },
        observedAt: '2026-11-22T12:00:00.000Z',
        correlationId: 'sweep-1',
        evidence: {
          action: 'terminate',
          terminateJobId: 'drsjob-terminate2',
          launchJobId: 'drsjob-drill00000001',
        },
      });
      expect(store.drills.get(DRILL)?.terminated).toEqual({
        jobId: 'drsjob-terminate2',
        at: '2026-11-22T12:00:00.000Z',
        dryRun: false,
      });
    });

    it('when the instance is already gone by the next sweep: terminated, then gone, with the job', async () => {
      // Prepare
      leaveDrill();
      recovery.loseNextTerminateAnswer = true;
      await expect(sweepLifecycle(optedIn(), 'sweep-1')).rejects.toThrow(/could not be terminated/);
      recovery.finishTerminations();

      // Act
      now = new Date('2026-11-22T12:10:00Z');
      const second = await sweepLifecycle(optedIn(), 'sweep-2');

      // Assess
      expect(second).toMatchObject({ drillsTerminated: [DRILL], drillsGone: [DRILL] });
      expect(signals.published.slice(-2).map((signal) => signal.detail.evidence.terminateJobId)).toEqual([
        'drsjob-terminate2',
        'drsjob-terminate2',
      ]);
      expect(signals.published.at(-1)?.detail.summary).toMatch(/is gone from/);
      expect(store.drills.size).toBe(0);
    });

    it('when the publish failed after the termination: the same signal id, and the report too', async () => {
      // Prepare
      leaveDrill();
      const attempted: Signal[] = [];
      const recording = {
        publish: async (batch: readonly Signal[]) => {
          attempted.push(...batch);
          await signals.publish(batch);
        },
      };
      signals.failNext(new Error('PutEvents failed'));

      // Act
      await expect(sweepLifecycle({ ...optedIn(), signals: recording }, 'sweep-1')).rejects.toThrow(
        'PutEvents failed',
      );
      now = new Date('2026-11-22T12:10:00Z');
      const second = await sweepLifecycle({ ...optedIn(), signals: recording }, 'sweep-2');

      // Assess
      expect(terminations()).toHaveLength(1);
      expect(second).toMatchObject({ drillsReported: [DRILL], drillsTerminated: [DRILL] });
      const lost = attempted.find((signal) => signal.detail.evidence.action === 'terminate');
      expect(terminatedSignals().map((signal) => signal.detail.signalId)).toEqual([lost?.detail.signalId]);
      expect(signals.published.map((signal) => signal.detail.evidence.action ?? 'report')).toEqual([
        'report',
        'terminate',
      ]);
    });

    it('not when no TERMINATE job names the instance: the call never applied, so it is asked again', async () => {
      // Prepare
      leaveDrill();
      store.drills.set(DRILL, {
        recoveryInstanceId: DRILL,
        region: B,
        account: '111122223333',
        workload: 'payments',
        overAge: true,
        confirmed: true,
        jobId: 'drsjob-drill00000001',
        reversalStarted: false,
        reportedAt: '2026-11-22T11:00:00.000Z',
        terminating: { at: '2026-11-22T11:00:00.000Z', correlationId: 'sweep-0' },
      } satisfies StoredDrill);

      // Act
      const outcome = await sweepLifecycle(optedIn(), 'sweep-1');

      // Assess
      expect(outcome).toMatchObject({ drillsTerminated: [DRILL] });
      expect(terminations()).toHaveLength(1);
      expect(terminatedSignals()).toHaveLength(1);
      expect(terminatedSignals()[0]?.detail).toMatchObject({
        correlationId: 'sweep-1',
        evidence: { terminateJobId: 'drsjob-terminate2' },
      });
    });
  });

  it('never terminates a drill whose job is not START_DRILL, nor anything in dry-run', async () => {
    leaveDrill('START_RECOVERY');
    const optedIn = { ...deps, policy: { ...deps.policy, terminateDrillInstances: true } };
    const doubtful = await sweepLifecycle(optedIn, 's');
    expect(doubtful).toMatchObject({ drillsTerminated: [], drillsKept: [{ recoveryInstanceId: DRILL }] });
    expect(recovery.changes).toEqual([]);

    recovery.jobs = recovery.jobs.map((job) => ({ ...job, initiatedBy: 'START_DRILL' }));
    store.drills.clear();
    const dry = await sweepLifecycle({ ...optedIn, dryRun: true }, 's2');
    expect(dry).toMatchObject({ drillsTerminated: [DRILL] });
    expect(recovery.changes).toEqual([]);
    expect(signals.published.at(-1)?.detail.summary).toMatch(/^dry-run: would terminate/);
  });

  it('re-reads a drill just before terminating it: a reversal started since the sweep stops it', async () => {
    leaveDrill();
    const original = recovery.describeRecoveryInstances.bind(recovery);
    recovery.describeRecoveryInstances = async (ids) =>
      (await original(ids)).map((found) => ({ ...found, dataReplicationState: 'INITIATING' }));

    const outcome = await sweepLifecycle(
      { ...deps, policy: { ...deps.policy, terminateDrillInstances: true } },
      's',
    );

    expect(outcome).toMatchObject({
      drillsTerminated: [],
      drillsKept: [{ recoveryInstanceId: DRILL, reason: 'its reversed replication started' }],
    });
    expect(recovery.changes).toEqual([]);
  });

  it('a drill that cannot be terminated holds up nothing else; the run fails at its end', async () => {
    leaveDrill();
    failOver();
    leaveDrill();
    recovery.tagRecoveryInstance = async () => {
      throw Object.assign(new Error('not authorized to tag'), { name: 'AccessDeniedException' });
    };
    const optedIn = { ...deps, policy: { ...deps.policy, terminateDrillInstances: true } };

    await expect(sweepLifecycle(optedIn, 's')).rejects.toThrow(/could not be terminated/);

    // The failover was still signalled and stored; the drill was still reported.
    expect(store.servers.get(B1)?.stage).toBe('failed-over-unprotected');
    expect(signals.published.map((signal) => signal.type)).toEqual(
      expect.arrayContaining([SIGNAL_TYPES.lifecycleStageChanged, SIGNAL_TYPES.drillInstanceChanged]),
    );
    expect(store.drills.has(DRILL)).toBe(true);
  });

  it('a dry-run "would terminate" does not stop the real termination once the mode is active', async () => {
    leaveDrill();
    const optedIn = { ...deps, policy: { ...deps.policy, terminateDrillInstances: true } };
    await sweepLifecycle({ ...optedIn, dryRun: true }, 's1');
    expect(recovery.changes).toEqual([]);

    const active = await sweepLifecycle(optedIn, 's2');
    expect(active).toMatchObject({ drillsTerminated: [DRILL] });
    expect(recovery.changes).toContain(`TerminateRecoveryInstances(${DRILL})`);
  });

  it('a primary Region that refuses (AccessDenied) is not an outage: the sweep fails', async () => {
    primary.listSourceServers = async function* () {
      yield await Promise.reject(
        Object.assign(new Error('denied'), {
          name: 'AccessDeniedException',
          $metadata: { httpStatusCode: 403 },
        }),
      );
    };
    await expect(sweepLifecycle(deps, 's')).rejects.toThrow('denied');
  });
});
