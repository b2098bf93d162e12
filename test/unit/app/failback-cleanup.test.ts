import { beforeEach, describe, expect, it } from 'vitest';
import { applyCleanup, type CleanupDeps, planCleanup } from '../../../src/app/failback-cleanup.ts';
import { toRecord } from '../../../src/domain/failback-lifecycle.ts';
import type { DrsRecoveryInstance, DrsSourceServer } from '../../../src/ports/drs.ts';
import { FakeRegionDrs } from '../../fakes/region-drs.ts';

const A = 'us-east-1';
const B = 'us-west-2';
const B1 = 's-0b1b1b1b1b1b1b1b1';
const A2 = 's-0a2a2a2a2a2a2a2a2';
const B2 = 'i-0b2b2b2b2b2b2b2b2';
const A3 = 'i-0a3a3a3a3a3a3a3a3';
const A4 = 'i-0a4a4a4a4a4a4a4a4';

const server = (overrides: Partial<DrsSourceServer>): DrsSourceServer => ({
  sourceServerId: B1,
  tags: { 'dr-autopilot:workload': 'payments' },
  replicatedDisks: [],
  ...overrides,
});
const instance = (overrides: Partial<DrsRecoveryInstance>): DrsRecoveryInstance => ({
  recoveryInstanceId: B2,
  tags: {},
  isDrill: false,
  originEnvironment: 'AWS',
  ec2InstanceState: 'RUNNING',
  replicatedDisks: [],
  ...overrides,
});

describe('failback cleanup', () => {
  let primary: FakeRegionDrs;
  let recovery: FakeRegionDrs;
  let deps: CleanupDeps;

  beforeEach(() => {
    primary = new FakeRegionDrs();
    recovery = new FakeRegionDrs();
    deps = {
      primary,
      recovery,
      clock: () => new Date('2026-11-22T12:00:00Z'),
      remembered: new Map(),
      policy: {
        primaryRegion: A,
        recoveryRegion: B,
        account: '111122223333',
        unprotectedAlertAfterSeconds: 3_600,
        drillMaxAgeSeconds: 0,
      },
    };
  });

  /** The failover launched B2 ten hours ago; the failback launched A3 an hour ago. */
  const launchJobs = () => {
    recovery.jobs = [
      {
        jobId: 'drsjob-failover000001',
        initiatedBy: 'START_RECOVERY',
        creationDateTime: '2026-11-22T02:00:00Z',
        participatingServers: [],
      },
    ];
    primary.jobs = [
      {
        jobId: 'drsjob-failback000001',
        initiatedBy: 'START_RECOVERY',
        creationDateTime: '2026-11-22T11:00:00Z',
        participatingServers: [],
      },
    ];
  };

  /** After a real, declared failback: B1 re-protected from A4, B2 and A2 still there. */
  const afterFailback = () => {
    launchJobs();
    recovery.sourceServers = [
      server({
        replicationDirection: 'FAILOVER',
        originRegion: A,
        awsInstanceId: A4,
        dataReplicationState: 'CONTINUOUS',
      }),
    ];
    recovery.recoveryInstances = [
      instance({
        sourceServerId: B1,
        ec2InstanceId: 'i-0b3b3b3b3b3b3b3b3',
        dataReplicationState: 'CONTINUOUS',
        jobId: 'drsjob-failover000001',
      }),
    ];
    primary.sourceServers = [
      server({
        sourceServerId: A2,
        replicationDirection: 'FAILBACK',
        originRegion: B,
        recoveryInstanceId: B2,
        dataReplicationState: 'CONTINUOUS',
      }),
    ];
    primary.recoveryInstances = [
      instance({
        recoveryInstanceId: A3,
        ec2InstanceId: A4,
        sourceServerId: A2,
        dataReplicationState: 'CONTINUOUS',
        jobId: 'drsjob-failback000001',
      }),
    ];
  };

  it('plans without changing anything, then applies the automatic items in order, stopping where DRS refuses', async () => {
    afterFailback();
    const plan = await planCleanup(deps, 'payments');
    expect(plan.servers.map((s) => s.stage)).toEqual(['cleanup-pending']);
    expect(primary.changes).toEqual([]);
    expect(recovery.changes).toEqual([]);

    // As the API documents it, DRS deletes only a disconnected recovery instance's record, and will not
    // disconnect a source server that has a recovery instance: the A3 record and A2 stay.
    const results = await applyCleanup(deps, plan);

    expect(primary.changes).toEqual([`StopReplication(${A2})`, `DeleteRecoveryInstance(${A3})`]);
    expect(recovery.changes).toEqual([`TerminateRecoveryInstances(${B2})`]);
    expect(results.map((result) => [result.item.action, result.result])).toEqual([
      ['stop-replication', 'applied'],
      ['terminate-recovery-instance', 'applied'],
      // B2 is shutting down and A2 stopped: the cycle is over, so DRS's refusal is no failure.
      ['delete-recovery-instance-record', 'refused'],
    ]);
    expect(results[2]).toMatchObject({ detail: expect.stringMatching(/DRS refused: .*disconnected first/) });
    // The failback instance (production) is never terminated, and never disconnected.
    expect([...primary.changes, ...recovery.changes].join(' ')).not.toMatch(
      new RegExp(`(Terminate|Disconnect)\\w*\\(${A3}`),
    );

    // Once B3 is gone, nothing costly is left: the cycle is over, the rest an optional tidy-up.
    recovery.finishTerminations();
    // What the lifecycle remembers of the cycle links A2 and A3 to B1 once B2 is gone.
    deps.remembered = new Map(plan.servers.map((s) => [s.serverId, toRecord(s)]));
    const rest = await planCleanup(deps, 'payments');
    expect(rest.servers.map((s) => [s.stage, s.cleanup.map((item) => item.action)])).toEqual([
      ['protected', ['delete-recovery-instance-record', 'disconnect-source-server', 'delete-source-server']],
    ]);
  });

  it('where DRS deletes the A3 record as the guide says, A2 is disconnected and deleted too', async () => {
    afterFailback();
    primary.deleteRecoveryInstance = async (id: string) => {
      primary.changes.push(`DeleteRecoveryInstance(${id})`);
      primary.recoveryInstances = primary.recoveryInstances.filter((i) => i.recoveryInstanceId !== id);
    };

    const results = await applyCleanup(deps, await planCleanup(deps, 'payments'));

    expect(primary.changes).toEqual([
      `StopReplication(${A2})`,
      `DeleteRecoveryInstance(${A3})`,
      `DisconnectSourceServer(${A2})`,
      `DeleteSourceServer(${A2})`,
    ]);
    expect(results.every((result) => result.result === 'applied')).toBe(true);
  });

  it('a refusal from the primary Region during --apply is no outage: it propagates, nothing is applied', async () => {
    afterFailback();
    const plan = await planCleanup(deps, 'payments');
    primary.describeSourceServer = async () => {
      throw Object.assign(new Error('denied'), {
        name: 'AccessDeniedException',
        $metadata: { httpStatusCode: 403 },
      });
    };

    await expect(applyCleanup(deps, plan)).rejects.toThrow('denied');
    expect([...primary.changes, ...recovery.changes]).toEqual([]);
  });

  it('another workload’s plan is empty', async () => {
    afterFailback();
    expect((await planCleanup(deps, 'orders')).servers).toEqual([]);
  });

  it('stops at the first item a fresh re-read no longer supports, and changes nothing', async () => {
    afterFailback();
    const plan = await planCleanup(deps, 'payments');
    // Between the plan and --apply, B1 protects something else again (say, a new failover began).
    const b1 = recovery.sourceServers[0];
    if (b1) b1.awsInstanceId = 'i-0ffffffffffffffff';

    const results = await applyCleanup(deps, plan);

    expect(results).toEqual([
      expect.objectContaining({ result: 'stopped', detail: expect.stringMatching(/no longer in the plan/) }),
    ]);
    expect(primary.changes).toEqual([]);
    expect(recovery.changes).toEqual([]);
  });

  it('plans nothing while the failback is not re-protected (B2 is still production)', async () => {
    afterFailback();
    const a3 = primary.recoveryInstances[0];
    if (a3) a3.dataReplicationState = 'NOT_STARTED';
    const b1 = recovery.sourceServers[0];
    if (b1) b1.awsInstanceId = 'i-0a1a1a1a1a1a1a1a1';

    expect((await planCleanup(deps, 'payments')).servers).toEqual([]);
  });

  it('after a failback drill terminates only the drill instance, and only a confirmed one', async () => {
    recovery.sourceServers = [
      server({ replicationDirection: 'FAILOVER', originRegion: A, dataReplicationState: 'DISCONNECTED' }),
    ];
    launchJobs();
    recovery.recoveryInstances = [
      instance({ sourceServerId: B1, dataReplicationState: 'CONTINUOUS', jobId: 'drsjob-failover000001' }),
    ];
    primary.sourceServers = [
      server({
        sourceServerId: A2,
        replicationDirection: 'FAILBACK',
        originRegion: B,
        recoveryInstanceId: B2,
        dataReplicationState: 'CONTINUOUS',
      }),
    ];
    primary.recoveryInstances = [
      instance({
        recoveryInstanceId: A3,
        sourceServerId: A2,
        isDrill: true,
        jobId: 'drsjob-fbdrill000001',
        dataReplicationState: 'NOT_STARTED',
      }),
    ];
    primary.jobs = [
      {
        jobId: 'drsjob-fbdrill000001',
        initiatedBy: 'START_DRILL',
        creationDateTime: '2026-11-22T10:00:00Z',
        participatingServers: [],
      },
    ];
    const plan = await planCleanup(deps, 'payments');
    expect(plan.servers[0]?.cleanup.map((item) => [item.action, item.id])).toEqual([
      ['terminate-recovery-instance', A3],
    ]);

    // The job says it was not a drill after all: not confirmed, nothing terminated.
    primary.jobs = [{ ...primary.jobs[0], initiatedBy: 'START_RECOVERY' } as never];
    const doubtful = await applyCleanup(deps, plan);
    expect(doubtful[0]).toMatchObject({
      result: 'stopped',
      detail: expect.stringMatching(/not START_DRILL/),
    });
    expect(primary.changes).toEqual([]);

    primary.jobs = [{ ...primary.jobs[0], initiatedBy: 'START_DRILL' } as never];
    const results = await applyCleanup(deps, plan);
    expect(results[0]).toMatchObject({ result: 'applied' });
    expect(primary.changes).toEqual([`TerminateRecoveryInstances(${A3})`]);
    expect(recovery.changes).toEqual([]);
  });
});
