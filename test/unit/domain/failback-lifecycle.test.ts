import { describe, expect, it } from 'vitest';
import {
  deriveLifecycle,
  drillTerminable,
  type LifecyclePolicy,
  type LifecycleRecord,
  type RegionFacts,
  toRecord,
} from '../../../src/domain/failback-lifecycle.ts';
import type { DrsJob, DrsRecoveryInstance, DrsSourceServer } from '../../../src/ports/drs.ts';

/** Names from the AWS cross-Region failback guide: A = primary (us-east-1), B = recovery (us-west-2). */
const A = 'us-east-1';
const B = 'us-west-2';
const NOW = new Date('2026-11-22T12:00:00Z');
const minutesAgo = (minutes: number) => new Date(NOW.getTime() - minutes * 60_000).toISOString();
const POLICY: LifecyclePolicy = {
  primaryRegion: A,
  recoveryRegion: B,
  account: '111122223333',
  unprotectedAlertAfterSeconds: 3_600,
  drillMaxAgeSeconds: 86_400,
};

const B1 = 's-0b1b1b1b1b1b1b1b1';
const A2 = 's-0a2a2a2a2a2a2a2a2';
const B2 = 'i-0b2b2b2b2b2b2b2b2';
const B3 = 'i-0b3b3b3b3b3b3b3b3';
const A3 = 'i-0a3a3a3a3a3a3a3a3';
const A4 = 'i-0a4a4a4a4a4a4a4a4';
const A1 = 'i-0a1a1a1a1a1a1a1a1';
const PAIRING = `arn:aws:drs:${A}:111122223333:source-server/${A2}`;

function b1(overrides: Partial<DrsSourceServer> = {}): DrsSourceServer {
  return {
    sourceServerId: B1,
    arn: `arn:aws:drs:${B}:111122223333:source-server/${B1}`,
    tags: { 'dr-autopilot:workload': 'payments' },
    replicationDirection: 'FAILOVER',
    originRegion: A,
    dataReplicationState: 'CONTINUOUS',
    replicatedDisks: [],
    awsInstanceId: A1,
    hostname: 'payments-web-1',
    ...overrides,
  };
}
function b2(overrides: Partial<DrsRecoveryInstance> = {}): DrsRecoveryInstance {
  return {
    recoveryInstanceId: B2,
    ec2InstanceId: B3,
    tags: {},
    sourceServerId: B1,
    jobId: 'drsjob-failover0000001',
    isDrill: false,
    originEnvironment: 'AWS',
    ec2InstanceState: 'RUNNING',
    dataReplicationState: 'CONTINUOUS',
    failbackState: 'FAILBACK_READY_FOR_LAUNCH',
    replicatedDisks: [],
    ...overrides,
  };
}
function a2(overrides: Partial<DrsSourceServer> = {}): DrsSourceServer {
  return {
    sourceServerId: A2,
    arn: PAIRING,
    tags: { 'dr-autopilot:workload': 'payments' },
    replicationDirection: 'FAILBACK',
    originRegion: B,
    recoveryInstanceId: B2,
    awsInstanceId: B3,
    dataReplicationState: 'CONTINUOUS',
    replicatedDisks: [],
    ...overrides,
  };
}
function a3(overrides: Partial<DrsRecoveryInstance> = {}): DrsRecoveryInstance {
  return {
    recoveryInstanceId: A3,
    ec2InstanceId: A4,
    tags: {},
    sourceServerId: A2,
    jobId: 'drsjob-failback0000001',
    isDrill: false,
    originEnvironment: 'AWS',
    ec2InstanceState: 'RUNNING',
    dataReplicationState: 'NOT_STARTED',
    replicatedDisks: [],
    ...overrides,
  };
}
const job = (jobId: string, initiatedBy: string, createdMinutesAgo: number): DrsJob => ({
  jobId,
  initiatedBy,
  type: 'LAUNCH',
  creationDateTime: minutesAgo(createdMinutesAgo),
  participatingServers: [],
});

function region(name: string, facts: Partial<RegionFacts> = {}): RegionFacts {
  return { region: name, reachable: true, sourceServers: [], recoveryInstances: [], jobs: [], ...facts };
}

/** The launch jobs of the fixtures' B2 (10 hours ago) and A3 (1 hour ago), unless a case gives its own. */
const withJob = (jobs: DrsJob[] | undefined, fallback: DrsJob) =>
  jobs?.some((candidate) => candidate.jobId === fallback.jobId) ? jobs : [...(jobs ?? []), fallback];

function derive(
  recovery: Partial<RegionFacts>,
  primary: Partial<RegionFacts> = {},
  previous: LifecycleRecord[] = [],
) {
  return deriveLifecycle(
    {
      primary: region(A, {
        ...primary,
        jobs: withJob(primary.jobs, job('drsjob-failback0000001', 'START_RECOVERY', 60)),
      }),
      recovery: region(B, {
        ...recovery,
        jobs: withJob(recovery.jobs, job('drsjob-failover0000001', 'START_RECOVERY', 600)),
      }),
    },
    new Map(previous.map((record) => [record.serverId, record])),
    POLICY,
    NOW,
  );
}

const failoverJob = job('drsjob-failover0000001', 'START_RECOVERY', 30);

describe('deriveLifecycle: one stage per protected server, from both Regions', () => {
  it.each([
    ['protected: no failover under way', { sourceServers: [b1()] }, {}, 'protected', 'READY'],
    [
      'failed over, reversal not started',
      {
        sourceServers: [b1({ dataReplicationState: 'DISCONNECTED' })],
        recoveryInstances: [
          b2({ dataReplicationState: 'NOT_STARTED', failbackState: 'FAILBACK_NOT_STARTED' }),
        ],
        jobs: [failoverJob],
      },
      {},
      'failed-over-unprotected',
      'READY',
    ],
    [
      'reversing: initial sync',
      {
        sourceServers: [b1({ dataReplicationState: 'DISCONNECTED' })],
        recoveryInstances: [
          b2({ dataReplicationState: 'INITIAL_SYNC', failbackState: 'FAILBACK_NOT_READY_FOR_LAUNCH' }),
        ],
      },
      { sourceServers: [a2({ dataReplicationState: 'INITIAL_SYNC' })] },
      'reversing',
      'READY',
    ],
    [
      'ready to fail back',
      { sourceServers: [b1({ dataReplicationState: 'DISCONNECTED' })], recoveryInstances: [b2()] },
      { sourceServers: [a2()] },
      'ready-to-fail-back',
      'READY',
    ],
    [
      'ready to fail back, decided in the recovery Region alone while the primary is down',
      { sourceServers: [b1({ dataReplicationState: 'DISCONNECTED' })], recoveryInstances: [b2()] },
      { reachable: false, error: 'TimeoutError' },
      'ready-to-fail-back',
      'READY',
    ],
    [
      'failing back: the failback launch is in progress',
      { sourceServers: [b1()], recoveryInstances: [b2()] },
      { sourceServers: [a2({ lastLaunchStatus: 'IN_PROGRESS', lastLaunchType: 'RECOVERY' })] },
      'failing-back',
      'READY',
    ],
    [
      'failback drill running: a drill instance of A2, production stays on B3',
      { sourceServers: [b1()], recoveryInstances: [b2()] },
      { sourceServers: [a2()], recoveryInstances: [a3({ isDrill: true })] },
      'failback-drill-running',
      'READY',
    ],
    [
      'failed back, not re-protected',
      { sourceServers: [b1()], recoveryInstances: [b2()] },
      { sourceServers: [a2()], recoveryInstances: [a3()] },
      'failed-back',
      'NOT_READY',
    ],
    [
      're-protected, B1 syncing from A4',
      {
        sourceServers: [b1({ awsInstanceId: A4, dataReplicationState: 'RESCAN' })],
        recoveryInstances: [b2()],
      },
      { sourceServers: [a2()], recoveryInstances: [a3({ dataReplicationState: 'INITIATING' })] },
      're-protected',
      'READY',
    ],
    [
      'cleanup pending: re-protected and continuous, B2 and A2 still there',
      { sourceServers: [b1({ awsInstanceId: A4 })], recoveryInstances: [b2()] },
      { sourceServers: [a2()], recoveryInstances: [a3({ dataReplicationState: 'CONTINUOUS' })] },
      'cleanup-pending',
      'AT_RISK',
    ],
    [
      'failback error: reversed replication STALLED',
      {
        sourceServers: [b1({ dataReplicationState: 'DISCONNECTED' })],
        recoveryInstances: [b2({ dataReplicationState: 'STALLED' })],
      },
      { sourceServers: [a2()] },
      'failback-error',
      'NOT_READY',
    ],
    [
      'failback error: FAILBACK_ERROR',
      { sourceServers: [b1()], recoveryInstances: [b2({ failbackState: 'FAILBACK_ERROR' })] },
      { sourceServers: [a2()] },
      'failback-error',
      'NOT_READY',
    ],
    [
      'a failover drill instance of B1 is not a failover',
      {
        sourceServers: [b1()],
        recoveryInstances: [b2({ isDrill: true, dataReplicationState: 'NOT_STARTED' })],
      },
      {},
      'protected',
      'READY',
    ],
    [
      'a terminated real recovery instance is not a failover',
      { sourceServers: [b1()], recoveryInstances: [b2({ ec2InstanceState: 'TERMINATED' })] },
      {},
      'protected',
      'READY',
    ],
  ] as const)('%s', (_name, recovery, primary, stage, state) => {
    const { servers } = derive(recovery as unknown as Partial<RegionFacts>, primary as Partial<RegionFacts>);

    expect(servers).toHaveLength(1);
    expect(servers[0]).toMatchObject({ serverId: B1, stage, state, workload: 'payments' });
    expect(servers[0]?.runbook).toMatch(/^runbook-/);
  });

  it('lists only forward servers of this pair (not FAILBACK-direction, not another origin)', () => {
    const { servers } = derive({
      sourceServers: [
        b1(),
        b1({ sourceServerId: 's-0cccccccccccccccc', originRegion: 'eu-west-1' }),
        b1({ sourceServerId: 's-0dddddddddddddddd', replicationDirection: 'FAILBACK' }),
      ],
    });
    expect(servers.map((server) => server.serverId)).toEqual([B1]);
  });

  it('a failover unprotected past the bound turns critical, timed from the launch job', () => {
    const recovery = {
      sourceServers: [b1({ dataReplicationState: 'DISCONNECTED' })],
      recoveryInstances: [b2({ dataReplicationState: 'NOT_STARTED', failbackState: 'FAILBACK_NOT_STARTED' })],
    };
    const fresh = derive({ ...recovery, jobs: [job('drsjob-failover0000001', 'START_RECOVERY', 20)] });
    const late = derive({ ...recovery, jobs: [job('drsjob-failover0000001', 'START_RECOVERY', 90)] });

    expect(fresh.servers[0]).toMatchObject({ state: 'READY', severity: 'info', since: minutesAgo(20) });
    expect(late.servers[0]).toMatchObject({
      state: 'NOT_READY',
      severity: 'critical',
      since: minutesAgo(90),
    });
    expect(late.servers[0]?.reason).toMatch(/unprotected for 1h30m/);
    expect(late.servers[0]?.nextStep).toContain(
      `aws drs reverse-replication --recovery-instance-id ${B2} --region ${B}`,
    );
  });

  it('a failback launch still in progress past the bound is stuck: NOT_READY with the job to open', () => {
    const inProgress = a2({
      lastLaunchStatus: 'IN_PROGRESS',
      lastLaunchType: 'RECOVERY',
      lastLaunchJobId: 'drsjob-fb0000000001',
    });
    const previous: LifecycleRecord = {
      serverId: B1,
      region: B,
      workload: 'payments',
      stage: 'failing-back',
      since: minutesAgo(75),
      cycles: 0,
      ids: { b2: B2, b3: B3, a2: A2 },
    };
    const fresh = derive(
      { sourceServers: [b1()], recoveryInstances: [b2()] },
      { sourceServers: [inProgress] },
    );
    const stuck = derive(
      { sourceServers: [b1()], recoveryInstances: [b2()] },
      { sourceServers: [inProgress] },
      [previous],
    );

    expect(fresh.servers[0]).toMatchObject({ stage: 'failing-back', state: 'READY' });
    expect(stuck.servers[0]).toMatchObject({
      stage: 'failing-back',
      state: 'NOT_READY',
      since: minutesAgo(75),
    });
    expect(stuck.servers[0]?.nextStep).toContain('drsjob-fb0000000001');
    expect(stuck.servers[0]?.evidence).toMatchObject({
      failoverJobId: 'drsjob-failover0000001',
      failbackJobId: 'drsjob-fb0000000001',
    });
  });

  it('says when the primary Region could not be read', () => {
    const { servers } = derive(
      { sourceServers: [b1()], recoveryInstances: [b2()] },
      { reachable: false, error: 'TimeoutError' },
    );
    expect(servers[0]?.partial).toMatch(/us-east-1 could not be read \(TimeoutError\)/);
  });
});

describe('cleanup plans, as the DRS guide lists them', () => {
  const remembered: LifecycleRecord = {
    serverId: B1,
    region: B,
    workload: 'payments',
    stage: 're-protected',
    since: minutesAgo(60),
    cycles: 0,
    ids: { a1: A1, b2: B2, b3: B3, a2: A2, a3: A3, a4: A4 },
  };

  it('after a real failback: stop A2, terminate B2, delete the A3 record, disconnect and delete A2; A1 by hand', () => {
    const { servers } = derive(
      {
        sourceServers: [b1({ awsInstanceId: A4 })],
        recoveryInstances: [b2()],
        jobs: [job('drsjob-failover0000001', 'START_RECOVERY', 600)],
      },
      { sourceServers: [a2()], recoveryInstances: [a3({ dataReplicationState: 'CONTINUOUS' })] },
      [remembered],
    );

    expect(servers[0]?.stage).toBe('cleanup-pending');
    expect(
      servers[0]?.cleanup.map((item) => [item.order, item.region, item.action, item.id, item.automatic]),
    ).toEqual([
      [1, A, 'stop-replication', A2, true],
      [2, B, 'terminate-recovery-instance', B2, true],
      [3, A, 'delete-recovery-instance-record', A3, true],
      [4, A, 'disconnect-source-server', A2, true],
      [5, A, 'delete-source-server', A2, true],
      [6, A, 'terminate-original-instance', A1, false],
    ]);
    expect(servers[0]?.cleanup[1]).toMatchObject({
      command: `aws drs terminate-recovery-instances --recovery-instance-ids ${B2} --region ${B}`,
      instanceHours: 10,
    });
    // The failback instance A4 (production) is never terminated: its record only may be deleted.
    expect(JSON.stringify(servers[0]?.cleanup)).not.toContain(`--recovery-instance-ids ${A3}`);
    expect(servers[0]?.nextStep).toMatch(/10\.0 instance-hours/);
  });

  it('a cleanup half done keeps only what is left; B2 shutting down is left to finish', () => {
    const { servers } = derive(
      {
        sourceServers: [b1({ awsInstanceId: A4, dataReplicationState: 'RESCAN' })],
        recoveryInstances: [b2({ ec2InstanceState: 'SHUTTING-DOWN' })],
      },
      {
        sourceServers: [a2({ dataReplicationState: 'STOPPED' })],
        recoveryInstances: [a3({ dataReplicationState: 'CONTINUOUS' })],
      },
      [remembered],
    );
    expect(servers[0]?.stage).toBe('re-protected');
    expect(servers[0]?.cleanup.map((item) => item.action)).toEqual([
      'delete-recovery-instance-record',
      'disconnect-source-server',
      'delete-source-server',
      'terminate-original-instance',
    ]);
  });

  it('once nothing costly is left the cycle is complete; what DRS will not delete is an optional tidy-up', () => {
    // A2 stopped, B2 gone; the A3 record stays (the API refused to delete a connected recovery instance).
    const previous = { ...remembered, stage: 'cleanup-pending' as const };
    const { servers } = derive(
      { sourceServers: [b1({ awsInstanceId: A4 })] },
      {
        sourceServers: [a2({ dataReplicationState: 'STOPPED' })],
        recoveryInstances: [a3({ dataReplicationState: 'CONTINUOUS' })],
      },
      [previous],
    );
    expect(servers[0]).toMatchObject({ stage: 'protected', state: 'READY', cycles: 1 });
    expect(servers[0]?.reason).toMatch(/optional tidy-up: A3 \(failback instance record\)/);
    const again = derive(
      { sourceServers: [b1({ awsInstanceId: A4 })] },
      {
        sourceServers: [a2({ dataReplicationState: 'STOPPED' })],
        recoveryInstances: [a3({ dataReplicationState: 'CONTINUOUS' })],
      },
      [toRecord(servers[0] as never)],
    );
    expect(again.servers[0]).toMatchObject({ stage: 'protected', cycles: 1 });
  });

  it('after a failback drill: only the drill instance goes; the production pair (A2, B2) stays', () => {
    const { servers } = derive(
      { sourceServers: [b1()], recoveryInstances: [b2()] },
      {
        sourceServers: [a2()],
        recoveryInstances: [a3({ isDrill: true })],
        jobs: [job('drsjob-failback0000001', 'START_DRILL', 120)],
      },
    );
    expect(servers[0]?.stage).toBe('failback-drill-running');
    expect(servers[0]?.cleanup).toEqual([
      expect.objectContaining({
        action: 'terminate-recovery-instance',
        id: A3,
        region: A,
        automatic: true,
        instanceHours: 2,
      }),
    ]);
  });

  it('once everything is gone the server is protected again and the cycle is counted once', () => {
    const previous = { ...remembered, stage: 'cleanup-pending' as const };
    const after = derive({ sourceServers: [b1({ awsInstanceId: A4 })] }, {}, [previous]);
    expect(after.servers[0]).toMatchObject({ stage: 'protected', cycles: 1, ids: { a1: A4 } });

    const again = derive({ sourceServers: [b1({ awsInstanceId: A4 })] }, {}, [
      toRecord(after.servers[0] as never),
    ]);
    expect(again.servers[0]).toMatchObject({ stage: 'protected', cycles: 1 });
  });

  it('A1 is remembered from the sweep that saw the server protected, never taken from a re-protected server', () => {
    const first = derive({ sourceServers: [b1()] });
    expect(first.servers[0]?.ids).toEqual({ a1: A1 });
    const record = toRecord(first.servers[0] as never);

    const failedOver = derive(
      { sourceServers: [b1({ dataReplicationState: 'DISCONNECTED' })], recoveryInstances: [b2()] },
      { sourceServers: [a2()] },
      [record],
    );
    expect(failedOver.servers[0]?.ids).toMatchObject({ a1: A1, b2: B2, b3: B3, a2: A2 });

    const installedAfterTheFailover = derive(
      { sourceServers: [b1({ awsInstanceId: A4 })], recoveryInstances: [b2()] },
      { sourceServers: [a2()], recoveryInstances: [a3({ dataReplicationState: 'CONTINUOUS' })] },
    );
    expect(installedAfterTheFailover.servers[0]?.ids.a1).toBeUndefined();
    expect(installedAfterTheFailover.servers[0]?.cleanup.map((item) => item.action)).not.toContain(
      'terminate-original-instance',
    );
  });

  it('a second failover after a completed cycle starts a new cycle although the pairing ARN stayed', () => {
    const completed: LifecycleRecord = { ...remembered, stage: 'protected', cycles: 1, ids: { a1: A4 } };
    const B2b = 'i-0b2b2b2b2b2b2bbbb';
    const { servers } = derive(
      {
        sourceServers: [
          b1({
            awsInstanceId: A4,
            dataReplicationState: 'DISCONNECTED',
            reversedDirectionSourceServerArn: PAIRING,
          }),
        ],
        recoveryInstances: [
          b2({
            recoveryInstanceId: B2b,
            ec2InstanceId: 'i-0b3b3b3b3b3b3bbbb',
            dataReplicationState: 'NOT_STARTED',
            failbackState: 'FAILBACK_NOT_STARTED',
            jobId: 'drsjob-failover0000002',
          }),
        ],
        jobs: [job('drsjob-failover0000002', 'START_RECOVERY', 5)],
      },
      {},
      [completed],
    );
    expect(servers[0]).toMatchObject({
      stage: 'failed-over-unprotected',
      cycles: 1,
      ids: { a1: A4, b2: B2b },
    });
  });
});

describe('what an earlier cycle leaves never decides this one (review findings)', () => {
  const cycle1: LifecycleRecord = {
    serverId: B1,
    region: B,
    workload: 'payments',
    stage: 'protected',
    since: minutesAgo(60 * 24 * 7),
    cycles: 1,
    ids: { a1: A1, b2: B2, b3: B3, a2: A2, a3: A3, a4: A4 },
  };
  const B2b = 'i-0b2b2b2b2b2b2bbbb';
  const B3b = 'i-0b3b3b3b3b3b3bbbb';
  const secondFailover = job('drsjob-failover0000002', 'START_RECOVERY', 120);
  const firstFailback = job('drsjob-failback0000001', 'START_RECOVERY', 60 * 24 * 7);

  it('a new failover with the old A3 record and a reused A2 is not re-protected, and plans no termination', () => {
    const { servers } = derive(
      {
        sourceServers: [b1({ awsInstanceId: A4, dataReplicationState: 'CONTINUOUS' })],
        recoveryInstances: [
          b2({
            recoveryInstanceId: B2b,
            ec2InstanceId: B3b,
            jobId: secondFailover.jobId,
            dataReplicationState: 'CONTINUOUS',
          }),
        ],
        jobs: [secondFailover],
      },
      {
        // DRS may reuse A2 for the new reversal; the first cycle's A3 record (DRS would not delete it) stays.
        sourceServers: [a2({ recoveryInstanceId: B2b, awsInstanceId: B3b })],
        recoveryInstances: [a3({ dataReplicationState: 'CONTINUOUS' })],
        jobs: [firstFailback],
      },
      [cycle1],
    );
    expect(servers[0]).toMatchObject({ stage: 'ready-to-fail-back', ids: { a1: A4, b2: B2b } });
    expect(servers[0]?.cleanup).toEqual([]);
  });

  it('an older B2 left stopped does not hide a new failover: unprotected, critical past the bound', () => {
    const { servers } = derive(
      {
        sourceServers: [b1({ dataReplicationState: 'DISCONNECTED' })],
        recoveryInstances: [
          b2({ ec2InstanceState: 'STOPPED', dataReplicationState: 'STOPPED' }),
          b2({
            recoveryInstanceId: B2b,
            ec2InstanceId: B3b,
            jobId: secondFailover.jobId,
            dataReplicationState: 'NOT_STARTED',
            failbackState: 'FAILBACK_NOT_STARTED',
          }),
        ],
        jobs: [secondFailover],
      },
      {},
      [{ ...cycle1, stage: 'ready-to-fail-back' }],
    );
    expect(servers[0]).toMatchObject({
      stage: 'failed-over-unprotected',
      state: 'NOT_READY',
      severity: 'critical',
      ids: { b2: B2b },
    });
  });

  it('an abandoned failover (B2 gone, B1 protecting A1 again) never plans to terminate A1', () => {
    const { servers } = derive(
      { sourceServers: [b1({ awsInstanceId: A1 })] },
      { sourceServers: [a2({ dataReplicationState: 'STOPPED' })] },
      [{ ...cycle1, stage: 'ready-to-fail-back', ids: { a1: A1, b2: B2, b3: B3, a2: A2 } }],
    );
    expect(servers[0]?.cleanup.map((item) => item.action)).not.toContain('terminate-original-instance');
  });

  it('while the primary Region cannot be read, a stage only it can tell stands (UNKNOWN), memory and count kept', () => {
    const reprotected = { ...cycle1, stage: 're-protected' as const, cycles: 0 };
    const { servers } = derive(
      // B2 already terminated; A2 and A3 are invisible while us-east-1 is down.
      { sourceServers: [b1({ awsInstanceId: A4 })] },
      { reachable: false, error: 'TimeoutError' },
      [reprotected],
    );
    expect(servers[0]).toMatchObject({ stage: 're-protected', state: 'UNKNOWN', cycles: 0, ids: cycle1.ids });
    expect(servers[0]?.cleanup).toEqual([]);

    const pending = derive(
      { sourceServers: [b1({ awsInstanceId: A4 })], recoveryInstances: [b2()] },
      { reachable: false, error: 'TimeoutError' },
      [{ ...cycle1, stage: 'cleanup-pending' }],
    );
    // No plan without the primary Region's facts: ending B2 needs proof that A4 is protected.
    expect(pending.servers[0]).toMatchObject({ stage: 'cleanup-pending', state: 'UNKNOWN', cleanup: [] });
  });

  it('of two failback launches, the newer one decides (its re-protection counts)', () => {
    const A3b = 'i-0a3a3a3a3a3a3abbb';
    const A4b = 'i-0a4a4a4a4a4a4abbb';
    const { servers } = derive(
      {
        sourceServers: [b1({ awsInstanceId: A4b, dataReplicationState: 'RESCAN' })],
        recoveryInstances: [b2()],
      },
      {
        sourceServers: [a2()],
        recoveryInstances: [
          a3({ dataReplicationState: 'NOT_STARTED' }),
          a3({
            recoveryInstanceId: A3b,
            ec2InstanceId: A4b,
            jobId: 'drsjob-failback0000002',
            dataReplicationState: 'INITIATING',
          }),
        ],
        jobs: [job('drsjob-failback0000002', 'START_RECOVERY', 30)],
      },
      [{ ...cycle1, stage: 'failed-back', ids: { a1: A1, b2: B2, b3: B3, a2: A2, a3: A3, a4: A4 } }],
    );
    expect(servers[0]).toMatchObject({ stage: 're-protected', ids: { a3: A3b, a4: A4b } });
  });

  it('without the launch jobs, nothing is taken as this cycle’s failback (in doubt: no cleanup)', () => {
    const { servers } = deriveLifecycle(
      {
        primary: region(A, {
          sourceServers: [a2()],
          recoveryInstances: [a3({ dataReplicationState: 'CONTINUOUS' })],
        }),
        recovery: region(B, { sourceServers: [b1({ awsInstanceId: A4 })], recoveryInstances: [b2()] }),
      },
      new Map(),
      POLICY,
      NOW,
    );
    expect(servers[0]?.stage).toBe('ready-to-fail-back');
    expect(servers[0]?.cleanup).toEqual([]);
  });
});

describe('drill hygiene', () => {
  it('reports drill instances of both Regions past the age, confirmed only when the job says START_DRILL', () => {
    const { drills } = derive(
      {
        sourceServers: [b1()],
        recoveryInstances: [
          b2({
            recoveryInstanceId: 'i-0d1d1d1d1d1d1d1d1',
            isDrill: true,
            jobId: 'drsjob-drill00000001',
            dataReplicationState: 'NOT_STARTED',
          }),
          b2({
            recoveryInstanceId: 'i-0d2d2d2d2d2d2d2d2',
            isDrill: true,
            jobId: 'drsjob-odd000000001',
            dataReplicationState: 'NOT_STARTED',
          }),
          b2({
            recoveryInstanceId: 'i-0d3d3d3d3d3d3d3d3',
            isDrill: true,
            jobId: 'drsjob-young0000001',
            dataReplicationState: 'NOT_STARTED',
          }),
        ],
        jobs: [
          job('drsjob-drill00000001', 'START_DRILL', 30 * 60),
          job('drsjob-odd000000001', 'START_RECOVERY', 30 * 60),
          job('drsjob-young0000001', 'START_DRILL', 60),
        ],
      },
      { sourceServers: [a2()], recoveryInstances: [a3({ isDrill: true })] },
    );
    expect(
      drills.map((drill) => [
        drill.recoveryInstanceId,
        drill.region,
        drill.confirmed,
        drill.overAge,
        drill.workload,
      ]),
    ).toEqual([
      ['i-0d1d1d1d1d1d1d1d1', B, true, true, 'payments'],
      ['i-0d2d2d2d2d2d2d2d2', B, false, true, 'payments'],
      ['i-0d3d3d3d3d3d3d3d3', B, true, false, 'payments'],
      [A3, A, false, false, 'payments'],
    ]);
    expect(drills[1]?.doubt).toMatch(/initiated by START_RECOVERY, not START_DRILL/);
    expect(drills[0]?.ageSeconds).toBe(30 * 3_600);
  });

  const drill = b2({
    recoveryInstanceId: 'i-0d1d1d1d1d1d1d1d1',
    isDrill: true,
    jobId: 'drsjob-drill00000001',
    dataReplicationState: 'NOT_STARTED',
    failbackState: 'FAILBACK_NOT_STARTED',
  });
  const drillJob = job('drsjob-drill00000001', 'START_DRILL', 30 * 60);

  it.each([
    ['a confirmed drill past the age', drill, drillJob, true, undefined],
    ['no longer listed', undefined, drillJob, false, /no longer listed/],
    ['isDrill false on the fresh read', { ...drill, isDrill: false }, drillJob, false, /isDrill is false/],
    ['isDrill not reported', { ...drill, isDrill: undefined }, drillJob, false, /isDrill is undefined/],
    ['its job is not visible', drill, undefined, false, /not visible/],
    [
      'its job is a recovery',
      drill,
      { ...drillJob, initiatedBy: 'START_RECOVERY' },
      false,
      /not START_DRILL/,
    ],
    [
      'its reversal started',
      { ...drill, dataReplicationState: 'INITIAL_SYNC' },
      drillJob,
      false,
      /reversed replication started/,
    ],
    [
      'its failback is under way',
      { ...drill, failbackState: 'FAILBACK_IN_PROGRESS' },
      drillJob,
      false,
      /reversed replication started/,
    ],
    [
      'already shutting down and gone',
      { ...drill, ec2InstanceState: 'TERMINATED' },
      drillJob,
      false,
      /TERMINATED/,
    ],
    ['younger than the drill age', drill, job('drsjob-drill00000001', 'START_DRILL', 60), false, /younger/],
    [
      'launch time unknown',
      drill,
      { ...drillJob, creationDateTime: undefined },
      false,
      /launch time is unknown/,
    ],
  ] as const)('drillTerminable: %s', (_name, instance, drillJobFresh, terminate, reason) => {
    const verdict = drillTerminable(
      { instance: instance as DrsRecoveryInstance | undefined, job: drillJobFresh as DrsJob | undefined },
      POLICY,
      NOW,
    );
    expect(verdict.terminate).toBe(terminate);
    if (!verdict.terminate && reason) expect(verdict.reason).toMatch(reason);
  });
});
