import { describe, expect, it } from 'vitest';
import {
  assessRecoveryInstance,
  assessReplication,
  assessSourceServer,
  DATA_REPLICATION_STATES,
  failedOverInstance,
  type RecoveryInstanceReplicationFacts,
  type ReplicationFacts,
  type RpoPolicy,
  rpoOf,
  type SourceServerReplicationFacts,
  snapshotAgeSeconds,
  totalBacklogBytes,
} from '../../../src/domain/rpo.ts';

const NOW = new Date('2026-11-22T12:00:00Z');
const POLICY: RpoPolicy = { defaultRpoSeconds: 900, backlogToleranceBytes: 0 };
const minutesAgo = (minutes: number) => new Date(NOW.getTime() - minutes * 60_000).toISOString();

function facts(overrides: Partial<ReplicationFacts> = {}): ReplicationFacts {
  return {
    tags: {},
    direction: 'failover',
    dataReplicationState: 'CONTINUOUS',
    lagDuration: 'P0D',
    replicatedDisks: [{ backloggedStorageBytes: 0 }],
    dataReplicationError: undefined,
    newestSnapshotAt: minutesAgo(5),
    ...overrides,
  };
}

describe('assessReplication: every data replication state', () => {
  it.each([
    // state, with a recent snapshot, expected readiness, reason code
    ['CONTINUOUS', true, 'READY', 'within-rpo'],
    ['BACKLOG', true, 'AT_RISK', 'degraded'],
    ['CREATING_SNAPSHOT', true, 'AT_RISK', 'degraded'],
    ['RESCAN', true, 'AT_RISK', 'degraded'],
    ['INITIATING', true, 'AT_RISK', 'degraded'],
    ['INITIAL_SYNC', true, 'AT_RISK', 'degraded'],
    ['INITIATING', false, 'NOT_READY', 'initial-sync'],
    ['INITIAL_SYNC', false, 'NOT_READY', 'initial-sync'],
    ['PAUSED', true, 'NOT_READY', 'not-replicating'],
    ['STALLED', true, 'NOT_READY', 'not-replicating'],
    ['DISCONNECTED', true, 'NOT_READY', 'not-replicating'],
    ['STOPPED', true, 'NOT_READY', 'not-replicating'],
    ['NOT_STARTED', false, 'NOT_READY', 'not-replicating'],
    ['REPLICATION_STATE_NOT_AVAILABLE', true, 'UNKNOWN', 'state-unknown'],
    ['SOMETHING_NEW', true, 'UNKNOWN', 'state-unknown'],
    [undefined, true, 'UNKNOWN', 'state-unknown'],
  ] as const)('%s (snapshot: %s) is %s (%s)', (state, hasSnapshot, readiness, reasonCode) => {
    const assessment = assessReplication(
      facts({ dataReplicationState: state, newestSnapshotAt: hasSnapshot ? minutesAgo(5) : undefined }),
      POLICY,
      NOW,
    );

    expect(assessment.state).toBe(readiness);
    expect(assessment.reasonCode).toBe(reasonCode);
  });

  it('covers every state of the DRS model', () => {
    const tabled = new Set([
      'CONTINUOUS',
      'BACKLOG',
      'CREATING_SNAPSHOT',
      'RESCAN',
      'INITIATING',
      'INITIAL_SYNC',
      'PAUSED',
      'STALLED',
      'DISCONNECTED',
      'STOPPED',
      'NOT_STARTED',
      'REPLICATION_STATE_NOT_AVAILABLE',
    ]);
    expect(new Set(DATA_REPLICATION_STATES)).toEqual(tabled);
  });

  it('names the replication error in the reason of a stalled server', () => {
    const assessment = assessReplication(
      facts({
        dataReplicationState: 'STALLED',
        dataReplicationError: 'AGENT_NOT_SEEN',
        lagDuration: 'PT42M',
      }),
      POLICY,
      NOW,
    );

    expect(assessment).toMatchObject({ state: 'NOT_READY', overRpo: true, exposureSeconds: 2_520 });
    expect(assessment.reason).toContain('STALLED (AGENT_NOT_SEEN)');
    expect(assessment.reason).toContain('42m > RPO 15m');
  });
});

describe('assessReplication: lag, snapshot age and backlog against the RPO', () => {
  it.each([
    // lag, snapshot minutes ago (undefined: none), backlog per disk, expected state, reason, exposure seconds
    ['P0D', 5, [0], 'READY', 'within-rpo', 300],
    ['PT0S', 15, [0], 'READY', 'within-rpo', 900],
    ['PT5M', 1, [0], 'READY', 'within-rpo', 300],
    ['PT16M', 1, [0], 'AT_RISK', 'over-rpo', 960],
    ['P0D', 16, [0], 'AT_RISK', 'over-rpo', 960],
    ['P1DT2H', 5, [0], 'AT_RISK', 'over-rpo', 93_600],
    ['P0D', undefined, [0], 'READY', 'within-rpo', 0],
    ['not-a-duration', 5, [0], 'READY', 'within-rpo', 300],
    [undefined, undefined, [0], 'UNKNOWN', 'exposure-unknown', undefined],
    ['P0D', 5, [1], 'AT_RISK', 'backlog', 300],
    ['P0D', 5, [0, 2048, undefined], 'AT_RISK', 'backlog', 300],
  ] as const)(
    'lag %s, snapshot %s min old, backlog %j: %s (%s)',
    (lag, snapshotMinutes, backlog, state, reason, exposure) => {
      const assessment = assessReplication(
        facts({
          lagDuration: lag,
          newestSnapshotAt: snapshotMinutes === undefined ? undefined : minutesAgo(snapshotMinutes),
          replicatedDisks: backlog.map((bytes) => ({ backloggedStorageBytes: bytes })),
        }),
        POLICY,
        NOW,
      );

      expect(assessment.state).toBe(state);
      expect(assessment.reasonCode).toBe(reason);
      expect(assessment.exposureSeconds).toBe(exposure);
    },
  );

  it('takes the larger of lag and snapshot age, never their sum', () => {
    const assessment = assessReplication(
      facts({ lagDuration: 'PT10M', newestSnapshotAt: minutesAgo(12) }),
      POLICY,
      NOW,
    );

    expect(assessment).toMatchObject({
      lagSeconds: 600,
      snapshotAgeSeconds: 720,
      exposureSeconds: 720,
      overRpo: false,
    });
  });

  it('tolerates the configured backlog on a continuous server', () => {
    const disks = [{ backloggedStorageBytes: 1_000 }, { backloggedStorageBytes: 24 }];

    const tolerated = assessReplication(
      facts({ replicatedDisks: disks }),
      { ...POLICY, backlogToleranceBytes: 1_024 },
      NOW,
    );
    const over = assessReplication(
      facts({ replicatedDisks: disks }),
      { ...POLICY, backlogToleranceBytes: 1_023 },
      NOW,
    );

    expect(tolerated).toMatchObject({ state: 'READY', backlogBytes: 1_024 });
    expect(over).toMatchObject({ state: 'AT_RISK', reasonCode: 'backlog' });
  });

  it('reports a replication error on a continuous server as at risk', () => {
    const assessment = assessReplication(facts({ dataReplicationError: 'UNSTABLE_NETWORK' }), POLICY, NOW);

    expect(assessment).toMatchObject({ state: 'AT_RISK', reasonCode: 'replication-error' });
  });
});

describe('assessReplication: per-server RPO tag vs the default', () => {
  it.each([
    [{}, 900, 'default', undefined, 'AT_RISK'],
    [{ 'dr-autopilot:rpo': 'PT1H' }, 3_600, 'tag', undefined, 'READY'],
    // Below what DRS can meet (a point-in-time snapshot every 10 minutes): refused, the default applies.
    [{ 'dr-autopilot:rpo': 'PT5M' }, 900, 'default', 'PT5M', 'AT_RISK'],
    [{ 'dr-autopilot:rpo': 'PT12M' }, 720, 'tag', undefined, 'AT_RISK'],
    [{ 'dr-autopilot:rpo': 'PT30M' }, 1_800, 'tag', undefined, 'READY'],
    [{ 'dr-autopilot:rpo': 'P1D' }, 86_400, 'tag', undefined, 'READY'],
    [{ 'dr-autopilot:rpo': 'fifteen minutes' }, 900, 'default', 'fifteen minutes', 'AT_RISK'],
    [{ 'dr-autopilot:rpo': 'PT0S' }, 900, 'default', 'PT0S', 'AT_RISK'],
  ] as const)('tags %j give RPO %d (%s)', (tags, rpoSeconds, source, invalid, state) => {
    // 20 minutes of exposure: over the 15-minute default, within an hour.
    const assessment = assessReplication(facts({ tags: { ...tags }, lagDuration: 'PT20M' }), POLICY, NOW);

    expect(assessment).toMatchObject({ rpoSeconds, rpoSource: source, invalidRpoTag: invalid, state });
  });
});

describe('assessReplication: direction and ready to fail back', () => {
  it.each([
    ['failback', 'CONTINUOUS', 'PT1M', 1, true],
    ['failback', 'CONTINUOUS', 'PT20M', 1, false],
    ['failback', 'CONTINUOUS', 'P0D', 20, false],
    ['failback', 'BACKLOG', 'PT1M', 1, false],
    ['failback', 'INITIAL_SYNC', 'PT1M', undefined, false],
    ['failback', 'STALLED', 'PT1M', 1, false],
    ['failover', 'CONTINUOUS', 'PT1M', 1, false],
  ] as const)(
    '%s in %s, lag %s, snapshot %s min: ready to fail back %s',
    (direction, state, lag, snapshot, ready) => {
      const assessment = assessReplication(
        facts({
          direction,
          dataReplicationState: state,
          lagDuration: lag,
          newestSnapshotAt: snapshot === undefined ? undefined : minutesAgo(snapshot),
        }),
        POLICY,
        NOW,
      );

      expect(assessment.direction).toBe(direction);
      expect(assessment.readyToFailBack).toBe(ready);
    },
  );

  it('uses the reversed server own RPO tag as its fail-back threshold', () => {
    const assessment = assessReplication(
      facts({ direction: 'failback', lagDuration: 'PT20M', tags: { 'dr-autopilot:rpo': 'PT30M' } }),
      POLICY,
      NOW,
    );

    expect(assessment).toMatchObject({ state: 'READY', readyToFailBack: true, rpoSeconds: 1_800 });
  });
});

describe('helpers', () => {
  it('sums backlog over disks, ignoring absent values', () => {
    expect(totalBacklogBytes([{ backloggedStorageBytes: 5 }, {}, { backloggedStorageBytes: 7 }])).toBe(12);
    expect(totalBacklogBytes([])).toBe(0);
  });

  it.each([
    [minutesAgo(3), 180],
    ['2026-11-22T12:05:00Z', 0],
    ['yesterday', undefined],
    [undefined, undefined],
  ])('snapshot taken %s is %s seconds old', (timestamp, age) => {
    expect(snapshotAgeSeconds(timestamp, NOW)).toBe(age);
  });

  it('says which RPO tag it ignored, and why, in the reason on-call reads', () => {
    const assessment = assessReplication(
      facts({ tags: { 'dr-autopilot:rpo': 'PT5M' }, lagDuration: 'PT1M' }),
      POLICY,
      NOW,
    );
    expect(assessment.reason).toContain(
      'dr-autopilot:rpo "PT5M" ignored: below the 12m DRS can meet (a snapshot every 10m)',
    );
  });

  it('reads the RPO tag case-insensitively as a duration', () => {
    expect(rpoOf({ 'dr-autopilot:rpo': ' pt30m ' }, 900)).toEqual({
      rpoSeconds: 1_800,
      rpoSource: 'tag',
      invalidRpoTag: undefined,
    });
  });
});

describe('assessSourceServer: a failed-over source server is judged by its reversed replication', () => {
  const B1 = 's-0a1b2c3d4e5f60001';
  const I1 = 'i-0a1b2c3d4e5f60001';

  function server(overrides: Partial<SourceServerReplicationFacts> = {}): SourceServerReplicationFacts {
    return {
      sourceServerId: B1,
      replicationDirection: 'FAILOVER',
      recoveryInstanceId: I1,
      tags: {},
      // The origin Region is lost: A1's agent is gone.
      dataReplicationState: 'DISCONNECTED',
      dataReplicationError: 'AGENT_NOT_SEEN',
      lagDuration: 'PT40M',
      replicatedDisks: [{ backloggedStorageBytes: 0 }],
      newestSnapshotAt: minutesAgo(40),
      ...overrides,
    };
  }

  function instance(
    overrides: Partial<RecoveryInstanceReplicationFacts> = {},
  ): RecoveryInstanceReplicationFacts {
    return {
      recoveryInstanceId: I1,
      sourceServerId: B1,
      isDrill: false,
      ec2InstanceState: 'RUNNING',
      tags: {},
      dataReplicationState: 'CONTINUOUS',
      lagDuration: 'PT1M',
      replicatedDisks: [],
      ...overrides,
    };
  }

  it.each([
    // case, server overrides, recovery instances, expected state, reason code, failed over to
    ['failed over, reversal CONTINUOUS', {}, [instance()], 'READY', 'failed-over-reversed', I1],
    [
      // The DRS model types a recovery instance's lagDuration as a date-time: replicated up to that instant.
      'failed over, reversal CONTINUOUS, lag as a date-time 1 minute ago',
      {},
      [instance({ lagDuration: minutesAgo(1) })],
      'READY',
      'failed-over-reversed',
      I1,
    ],
    [
      'failed over, reversal CONTINUOUS, lag as a date-time 20 minutes ago (over RPO)',
      {},
      [instance({ lagDuration: minutesAgo(20) })],
      'AT_RISK',
      'failed-over-reversed',
      I1,
    ],
    [
      'failed over, reversal not started',
      {},
      [instance({ dataReplicationState: 'NOT_STARTED' })],
      'NOT_READY',
      'failed-over-unprotected',
      I1,
    ],
    [
      // One definition of "reversal started" with the lifecycle and the reversal decision.
      'failed over, replication not updated yet but failback in progress: the reversal started',
      {},
      [instance({ dataReplicationState: 'NOT_STARTED', failbackState: 'FAILBACK_IN_PROGRESS' })],
      'NOT_READY',
      'failed-over-reversed',
      I1,
    ],
    [
      'failed over, reversal state not reported',
      {},
      [instance({ dataReplicationState: undefined })],
      'NOT_READY',
      'failed-over-unprotected',
      I1,
    ],
    [
      'failed over, reversal BACKLOG',
      {},
      [instance({ dataReplicationState: 'BACKLOG' })],
      'AT_RISK',
      'failed-over-reversed',
      I1,
    ],
    [
      'failed over, reversal CONTINUOUS over its RPO',
      {},
      [instance({ lagDuration: 'PT20M' })],
      'AT_RISK',
      'failed-over-reversed',
      I1,
    ],
    [
      'failed over, reversal INITIAL_SYNC (nothing to fail back to yet)',
      {},
      [instance({ dataReplicationState: 'INITIAL_SYNC' })],
      'NOT_READY',
      'failed-over-reversed',
      I1,
    ],
    [
      'failed over, reversal STALLED',
      {},
      [instance({ dataReplicationState: 'STALLED' })],
      'NOT_READY',
      'failed-over-reversed',
      I1,
    ],
    [
      'failed over, reversal state not available',
      {},
      [instance({ dataReplicationState: 'REPLICATION_STATE_NOT_AVAILABLE' })],
      'UNKNOWN',
      'failed-over-reversed',
      I1,
    ],
    [
      'failed over, the recovery instance stopped (not gone)',
      {},
      [instance({ ec2InstanceState: 'STOPPED', dataReplicationState: 'DISCONNECTED' })],
      'NOT_READY',
      'failed-over-reversed',
      I1,
    ],
    [
      'failed over, server names no recovery instance, one of its instances is real',
      { recoveryInstanceId: undefined },
      [instance()],
      'READY',
      'failed-over-reversed',
      I1,
    ],
    [
      'failed over, the named instance does not report its source server',
      {},
      [instance({ sourceServerId: undefined })],
      'READY',
      'failed-over-reversed',
      I1,
    ],
    [
      'drill instance present, server DISCONNECTED: its own state',
      {},
      [instance({ isDrill: true })],
      'NOT_READY',
      'not-replicating',
      undefined,
    ],
    [
      'drill instance present, server CONTINUOUS: its own state',
      {
        dataReplicationState: 'CONTINUOUS',
        dataReplicationError: undefined,
        lagDuration: 'P0D',
        newestSnapshotAt: minutesAgo(5),
      },
      [instance({ isDrill: true, dataReplicationState: 'STALLED' })],
      'READY',
      'within-rpo',
      undefined,
    ],
    [
      'drill flag not reported: does not count',
      {},
      [instance({ isDrill: undefined })],
      'NOT_READY',
      'not-replicating',
      undefined,
    ],
    [
      'recovery instance TERMINATED: its own state',
      {},
      [instance({ ec2InstanceState: 'TERMINATED' })],
      'NOT_READY',
      'not-replicating',
      undefined,
    ],
    [
      'recovery instance NOT_FOUND: its own state',
      {},
      [instance({ ec2InstanceState: 'NOT_FOUND' })],
      'NOT_READY',
      'not-replicating',
      undefined,
    ],
    [
      'a recovery instance of another server: its own state',
      { recoveryInstanceId: undefined },
      [instance({ recoveryInstanceId: 'i-0000000000000000b', sourceServerId: 's-0a1b2c3d4e5f60002' })],
      'NOT_READY',
      'not-replicating',
      undefined,
    ],
    ['no recovery instance: its own state', {}, [], 'NOT_READY', 'not-replicating', undefined],
    [
      'a failback-direction server: its own state',
      { replicationDirection: 'FAILBACK' },
      [instance()],
      'NOT_READY',
      'not-replicating',
      undefined,
    ],
    [
      'no replication direction (not EC2-originated): its own state',
      { replicationDirection: undefined },
      [instance()],
      'NOT_READY',
      'not-replicating',
      undefined,
    ],
  ] as const)('%s: %s (%s)', (_, overrides, instances, state, reasonCode, failedOverTo) => {
    // Act
    const assessment = assessSourceServer(server({ ...overrides }), instances, POLICY, NOW);

    // Assess
    expect(assessment.state).toBe(state);
    expect(assessment.reasonCode).toBe(reasonCode);
    expect(assessment.failedOver?.recoveryInstanceId).toBe(failedOverTo);
    expect(assessment.readyToFailBack).toBe(false);
  });

  it('mirrors the recovery instance finding exactly: state, exposure and RPO are the reversal', () => {
    // Prepare
    const reversing = instance({ dataReplicationState: 'BACKLOG', lagDuration: 'PT3M' });
    const tagged = server({ tags: { 'dr-autopilot:rpo': 'PT30M' } });

    // Act
    const assessment = assessSourceServer(tagged, [reversing], POLICY, NOW);
    const ofInstance = assessRecoveryInstance(reversing, tagged, POLICY, NOW);

    // Assess
    expect(assessment).toMatchObject({
      state: ofInstance.state,
      lagSeconds: 180,
      exposureSeconds: 180,
      snapshotAgeSeconds: undefined,
      rpoSeconds: 1_800,
      overRpo: false,
      direction: 'failover',
    });
    expect(ofInstance).toMatchObject({ state: 'AT_RISK', exposureSeconds: 180, direction: 'failback' });
    expect(assessment.reason).toMatch(
      new RegExp(
        `^failed over to ${I1}; protected by reversed replication \\(BACKLOG\\): replication BACKLOG`,
      ),
    );
  });

  it('keeps the server own verdict as evidence only', () => {
    const assessment = assessSourceServer(server(), [instance()], POLICY, NOW);

    expect(assessment.state).toBe('READY');
    expect(assessment.failedOver).toEqual({
      recoveryInstanceId: I1,
      reversedReplicationState: 'CONTINUOUS',
      reversed: true,
      reversedReasonCode: 'within-rpo',
      own: {
        state: 'NOT_READY',
        reasonCode: 'not-replicating',
        reason: 'replication DISCONNECTED (AGENT_NOT_SEEN), exposure 40m > RPO 15m',
        lagSeconds: 2_400,
        snapshotAgeSeconds: 2_400,
        exposureSeconds: 2_400,
        overRpo: true,
      },
    });
  });

  it('says an unprotected failed-over server is not protected, with its own (growing) exposure', () => {
    const assessment = assessSourceServer(
      server(),
      [instance({ dataReplicationState: 'NOT_STARTED', lagDuration: undefined })],
      POLICY,
      NOW,
    );

    expect(assessment).toMatchObject({
      state: 'NOT_READY',
      reason: `failed over to ${I1}, not protected (reversed replication not started)`,
      exposureSeconds: 2_400,
      overRpo: true,
      failedOver: { reversed: false, reversedReplicationState: 'NOT_STARTED', reversedReasonCode: undefined },
    });
  });
});

describe('failedOverInstance: which recovery instance a server failed over to', () => {
  const B1 = 's-0a1b2c3d4e5f60001';
  const real = (id: string, overrides: Partial<RecoveryInstanceReplicationFacts> = {}) => ({
    recoveryInstanceId: id,
    sourceServerId: B1,
    isDrill: false,
    tags: {},
    replicatedDisks: [],
    dataReplicationState: 'NOT_STARTED',
    ...overrides,
  });

  it.each([
    [
      'the one the server names',
      'i-0000000000000000b',
      ['i-0000000000000000a', 'i-0000000000000000b'],
      'i-0000000000000000b',
    ],
    ['else the lowest ID', undefined, ['i-0000000000000000b', 'i-0000000000000000a'], 'i-0000000000000000a'],
  ] as const)('picks %s', (_, named, ids, picked) => {
    const chosen = failedOverInstance(
      { sourceServerId: B1, replicationDirection: 'FAILOVER', recoveryInstanceId: named },
      ids.map((id) => real(id)),
    );

    expect(chosen?.recoveryInstanceId).toBe(picked);
  });

  it('prefers an instance whose reversed replication started', () => {
    const chosen = failedOverInstance({ sourceServerId: B1, replicationDirection: 'FAILOVER' }, [
      real('i-0000000000000000a'),
      real('i-0000000000000000b', { dataReplicationState: 'INITIAL_SYNC' }),
    ]);

    expect(chosen?.recoveryInstanceId).toBe('i-0000000000000000b');
  });
});
