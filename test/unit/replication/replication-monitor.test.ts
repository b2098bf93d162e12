import { describe, expect, it } from 'vitest';
import {
  parseBusEvent,
  parseSignalEvent,
  REFRESH_BATCH_MAX_DETAIL_BYTES,
  type RefreshBatch,
  type Signal,
} from '../../../events/dr-autopilot/signal.ts';
import { toPutEventsEntry } from '../../../src/adapters/eventbridge-signals.ts';
import {
  parseReplicationMonitorEvent,
  type ReplicationMonitorDeps,
  type ReplicationMonitorTrigger,
  runReplicationMonitor,
} from '../../../src/app/replication-monitor.ts';
import { ForeignEventError, InvalidEventError } from '../../../src/domain/errors.ts';
import { CapturingSignalPublisher } from '../../fakes/signals.ts';
import { loadSample } from '../../helpers/events.ts';
import {
  ACCOUNT,
  CapturingMetrics,
  drsError,
  MemoryMonitorState,
  monitorPolicy,
  PagedFakeDrs,
  REGION,
  reversedInstance,
  serverId,
  sourceServer,
} from './fakes.ts';

const T0 = new Date('2026-11-22T12:00:00Z');
const minutesBefore = (minutes: number, at = T0) => new Date(at.getTime() - minutes * 60_000).toISOString();
/** The ISO time `minutes` after T0. */
const atMinute = (minutes: number) => new Date(T0.getTime() + minutes * 60_000).toISOString();

function world(options: { pageSize?: number; concurrency?: number; refreshAfterSeconds?: number } = {}) {
  const drs = new PagedFakeDrs(options.pageSize ?? 100);
  const state = new MemoryMonitorState();
  const signals = new CapturingSignalPublisher();
  let metrics = new CapturingMetrics();
  let now = T0;
  const deps = (): ReplicationMonitorDeps => ({
    drs,
    state,
    signals,
    metrics,
    clock: () => now,
    dryRun: false,
    policy: monitorPolicy({
      concurrency: options.concurrency ?? 10,
      refreshAfterSeconds: options.refreshAfterSeconds ?? 900,
    }),
  });
  let sweeps = 0;
  return {
    drs,
    state,
    signals,
    get metrics() {
      return metrics;
    },
    /**
     * A scheduled sweep `minutes` after T0; returns the outcome, the per-resource signals it published and its
     * refresh batches.
     */
    async sweep(minutes = 0) {
      now = new Date(T0.getTime() + minutes * 60_000);
      metrics = new CapturingMetrics();
      const before = signals.published.length;
      const batchesBefore = signals.batches.length;
      const trigger: ReplicationMonitorTrigger = {
        kind: 'schedule',
        id: `sweep-${++sweeps}`,
        account: ACCOUNT,
        region: REGION,
      };
      const outcome = await runReplicationMonitor(trigger, deps());
      return {
        outcome,
        signals: signals.published.slice(before),
        batches: signals.batches.slice(batchesBefore),
      };
    },
    async stalled(n: number, minutes = 0) {
      now = new Date(T0.getTime() + minutes * 60_000);
      metrics = new CapturingMetrics();
      const before = signals.published.length;
      const trigger: ReplicationMonitorTrigger = {
        kind: 'stalled-change',
        id: `event-${n}-${minutes}`,
        account: ACCOUNT,
        region: REGION,
        sourceServerId: serverId(n),
        stalledState: 'STALLED',
      };
      const outcome = await runReplicationMonitor(trigger, deps());
      return { outcome, signals: signals.published.slice(before) };
    },
    deps,
  };
}

const typesAndIds = (signals: Signal[]) =>
  signals.map((signal) => [signal.type, signal.detail.resource.id, signal.detail.assessment?.state]);

/** A batch as EventBridge delivers it (the envelope around what was put). */
const deliveredAs = (batch: RefreshBatch) => ({
  version: '0',
  id: `delivery-${batch.detail.batchId}`,
  'detail-type': batch.type,
  source: 'dr-autopilot',
  account: ACCOUNT,
  time: batch.detail.observedAt,
  region: REGION,
  resources: [],
  detail: JSON.parse(JSON.stringify(batch.detail)),
});

/** The refreshed resources of some batches: workload, id and state, in order. */
const refreshedIds = (batches: RefreshBatch[]) =>
  batches.flatMap((batch) =>
    batch.detail.items.map((item) => [batch.detail.workload, item.resource.id, item.assessment.state]),
  );

describe('runReplicationMonitor: sweeps', () => {
  it('signals every resource on the first sweep, and nothing on a sweep where nothing changed', async () => {
    const w = world();
    w.drs.servers = [
      sourceServer(1),
      sourceServer(2, { dataReplicationState: 'STALLED', dataReplicationError: 'AGENT_NOT_SEEN' }),
    ];
    w.drs.snapshotAt(1, minutesBefore(5));
    w.drs.snapshotAt(2, minutesBefore(40));

    const first = await w.sweep();
    const second = await w.sweep(5);

    expect(typesAndIds(first.signals)).toEqual([
      ['Replication Status Changed', REGION, 'READY'],
      ['Replication Status Changed', serverId(1), 'READY'],
      ['Replication Status Changed', serverId(2), 'NOT_READY'],
    ]);
    expect(first.outcome).toMatchObject({
      action: 'swept',
      sourceServers: 2,
      byState: { READY: 1, NOT_READY: 1 },
      overRpo: 1,
      signalsPublished: 3,
    });
    expect(second.signals).toEqual([]);
    expect(second.outcome).toMatchObject({ signalsPublished: 0 });
  });

  it.each([
    { name: 'within the refresh window: nothing', minutes: 10, refreshed: 0, batches: 0 },
    {
      name: 'once the window has passed: every unchanged finding once, a batch per workload',
      minutes: 15,
      refreshed: 3,
      batches: 2,
    },
  ])('re-signals unchanged findings $name', async ({ minutes, refreshed, batches }) => {
    // Prepare: a failback-direction server (ready to fail back), a stalled one, and the DRS service
    const w = world({ refreshAfterSeconds: 900 });
    w.drs.servers = [
      sourceServer(1, { replicationDirection: 'FAILBACK' }),
      sourceServer(2, { dataReplicationState: 'STALLED', dataReplicationError: 'AGENT_NOT_SEEN' }),
    ];
    const first = await w.sweep();
    const savesBefore = w.state.saves.length;

    // Act
    const later = await w.sweep(minutes);

    // Assess: the same assessments, observed now, in one batch per workload (the DRS service's, the servers');
    // ready to fail back is not repeated, and no per-resource signal is sent
    expect(later.outcome).toMatchObject({
      signalsPublished: batches,
      refreshed,
      refreshBatches: batches,
      readyToFailBack: 0,
    });
    expect(later.signals).toEqual([]);
    expect(later.batches.map((batch) => [batch.detail.workload, batch.detail.part])).toEqual(
      batches
        ? [
            ['dr-autopilot', { index: 1, of: 1 }],
            ['payments', { index: 1, of: 1 }],
          ]
        : [],
    );
    const items = later.batches.flatMap((batch) => batch.detail.items);
    const statusOf = (signals: Signal[]) =>
      signals
        .filter((signal) => signal.type === 'Replication Status Changed')
        .map((signal) => [signal.detail.resource.id, signal.detail.assessment]);
    expect(items.map((item) => [item.resource.id, item.assessment])).toEqual(
      refreshed ? statusOf(first.signals) : [],
    );
    for (const item of items) {
      expect(item.observedAt).toBe(new Date(T0.getTime() + minutes * 60_000).toISOString());
      expect(item.evidence).toMatchObject({
        refresh: true,
        stateSince: T0.toISOString(),
        previousState: null,
      });
      expect(item.summary).toContain(`(unchanged since ${T0.toISOString()})`);
    }
    // Assess: no finding's item is written, only the refresh sweep's marker
    expect(w.state.saves.slice(savesBefore)).toEqual([
      { put: 0, delete: 0, ...(refreshed ? { refreshedAt: atMinute(minutes) } : {}) },
    ]);
  });

  it('refreshes a workload of 3,000 servers in batches that each bill one 64 KB chunk, every server once', async () => {
    // Prepare: 3,000 healthy servers of one workload, signalled once
    const w = world({ refreshAfterSeconds: 900 });
    w.drs.servers = Array.from({ length: 3_000 }, (_, index) => sourceServer(index + 1));
    await w.sweep();

    // Act: the sweep once the refresh window has passed
    const { outcome, signals, batches } = await w.sweep(15);

    // Assess: no per-resource signal; the servers' batches, numbered, each under the bound and one chunk
    expect(signals).toEqual([]);
    const servers = batches.filter((batch) => batch.detail.workload === 'payments');
    expect(servers.length).toBeGreaterThan(1);
    expect(servers.length).toBeLessThan(3_000 / 20);
    expect(outcome).toMatchObject({ refreshed: 3_001, refreshBatches: servers.length + 1 });
    expect(servers.map((batch) => batch.detail.part)).toEqual(
      servers.map((_, index) => ({ index: index + 1, of: servers.length })),
    );
    for (const batch of servers) {
      const entry = toPutEventsEntry(batch, 'dr-autopilot-prod');
      const detailBytes = Buffer.byteLength(entry.Detail ?? '');
      expect(detailBytes).toBeLessThanOrEqual(REFRESH_BATCH_MAX_DETAIL_BYTES);
      // EventBridge's entry size: 14 bytes, the source, the detail-type, the detail and the resources.
      const billed =
        14 +
        Buffer.byteLength(entry.Source ?? '') +
        Buffer.byteLength(entry.DetailType ?? '') +
        detailBytes +
        (entry.Resources ?? []).reduce((sum, arn) => sum + Buffer.byteLength(arn), 0);
      expect(Math.ceil(billed / 65_536)).toBe(1);
      expect(() => parseBusEvent(deliveredAs(batch))).not.toThrow();
    }
    const items = servers.flatMap((batch) => batch.detail.items.map((item) => item.resource.id));
    expect(items).toEqual(w.drs.servers.map((server) => server.sourceServerId));
    expect(new Set(servers.map((batch) => batch.detail.batchId)).size).toBe(servers.length);
  });

  it("refreshes on the refresh sweeps' cadence: a changed finding is one change, then refreshed with the rest", async () => {
    // Prepare
    const w = world({ refreshAfterSeconds: 900 });
    w.drs.servers = [sourceServer(1)];
    await w.sweep();
    const server = w.drs.servers[0];
    if (server) server.dataReplicationState = 'BACKLOG';

    // Act
    const changed = await w.sweep(10);
    const refreshed = await w.sweep(15);
    const quiet = await w.sweep(25);
    const again = await w.sweep(30);

    // Assess: the refresh sweeps are 0, 15 and 30 (the window after the last one); each refreshes the DRS service
    // (unchanged since 0) and the server, changed at 10 and so signalled 5 minutes before the refresh at 15
    expect(typesAndIds(changed.signals)).toEqual([['Replication Status Changed', serverId(1), 'AT_RISK']]);
    expect(changed.signals[0]?.detail.evidence).toMatchObject({ refresh: false, previousState: 'READY' });
    const both = [
      ['dr-autopilot', REGION, 'READY'],
      ['payments', serverId(1), 'AT_RISK'],
    ];
    expect(refreshed.signals).toEqual([]);
    expect(refreshedIds(refreshed.batches)).toEqual(both);
    expect([...quiet.signals, ...quiet.batches]).toEqual([]);
    expect(refreshedIds(again.batches)).toEqual(both);
    // The server's item still says when it changed; the marker says when it was last refreshed.
    expect(w.state.items.get(`drs-source-server#${serverId(1)}`)).toMatchObject({
      since: atMinute(10),
      lastSignalledAt: atMinute(10),
    });
    expect(w.state.refreshedAt).toBe(atMinute(30));
  });

  it('refreshes again on the next sweep when the refresh sweep could not publish: the marker is not moved', async () => {
    // Prepare: two servers signalled at 0; publishing fails on the refresh sweep at 15
    const w = world({ refreshAfterSeconds: 900 });
    w.drs.servers = [sourceServer(1), sourceServer(2)];
    await w.sweep();
    w.signals.failNext(new Error('PutEvents failed'));

    // Act
    await expect(w.sweep(15)).rejects.toThrow('PutEvents failed');
    const retry = await w.sweep(20);

    // Assess: nothing stored by the failed sweep; the next one is the refresh sweep, and moves the marker
    expect(w.state.saves).toHaveLength(2);
    expect(retry.outcome).toMatchObject({ refreshed: 3 });
    expect(w.state.refreshedAt).toBe(atMinute(20));
  });

  it('publishes signals that parse as dr-autopilot signals, naming state, evidence and next step', async () => {
    const w = world();
    w.drs.servers = [
      sourceServer(2, {
        dataReplicationState: 'STALLED',
        dataReplicationError: 'AGENT_NOT_SEEN',
        lagDuration: 'PT42M',
      }),
    ];

    const { signals } = await w.sweep();
    const stalled = signals.find((signal) => signal.detail.resource.id === serverId(2));

    expect(stalled?.detail).toMatchObject({
      workload: 'payments',
      severity: 'critical',
      observedAt: T0.toISOString(),
      correlationId: 'sweep-1',
      resource: { type: 'drs-source-server', name: 'web-2', region: REGION, account: ACCOUNT },
      assessment: { state: 'NOT_READY', runbook: 'runbook-replication-not-replicating' },
      evidence: {
        dataReplicationState: 'STALLED',
        lagSeconds: 2_520,
        exposureSeconds: 2_520,
        rpoSeconds: 900,
        dataReplicationError: 'AGENT_NOT_SEEN',
      },
    });
    expect(stalled?.detail.summary).toContain('STALLED (AGENT_NOT_SEEN)');
    for (const signal of signals) {
      expect(() =>
        parseSignalEvent({
          version: '0',
          id: 'x',
          'detail-type': signal.type,
          source: 'dr-autopilot',
          account: ACCOUNT,
          time: T0.toISOString(),
          region: REGION,
          resources: [],
          detail: signal.detail,
        }),
      ).not.toThrow();
    }
  });

  it('signals a change once, with the previous state and since when', async () => {
    const w = world();
    w.drs.servers = [sourceServer(1), sourceServer(2)];
    await w.sweep();
    const server = w.drs.servers[1];
    if (server) server.dataReplicationState = 'STALLED';

    const changed = await w.sweep(5);
    const again = await w.sweep(10);

    expect(typesAndIds(changed.signals)).toEqual([['Replication Status Changed', serverId(2), 'NOT_READY']]);
    expect(changed.signals[0]?.detail.evidence).toMatchObject({
      previousState: 'READY',
      previousSince: T0.toISOString(),
    });
    expect(again.signals).toEqual([]);
  });

  it('signals a server over its tagged RPO, and not one within it', async () => {
    const w = world();
    w.drs.servers = [
      sourceServer(1, { lagDuration: 'PT20M', tags: { 'dr-autopilot:rpo': 'PT1H' } }),
      sourceServer(2, { lagDuration: 'PT20M' }),
    ];

    const { signals } = await w.sweep();

    expect(typesAndIds(signals).slice(1)).toEqual([
      ['Replication Status Changed', serverId(1), 'READY'],
      ['Replication Status Changed', serverId(2), 'AT_RISK'],
    ]);
  });

  it('reports ready to fail back once for a failback-direction server and a reversed recovery instance', async () => {
    const w = world();
    w.drs.servers = [sourceServer(1), sourceServer(2, { replicationDirection: 'FAILBACK' })];
    w.drs.instances = [
      reversedInstance('i-0a1b2c3d4e5f60718'),
      reversedInstance('i-0000000000000000a', { dataReplicationState: 'NOT_STARTED' }),
    ];
    w.drs.snapshotAt(2, minutesBefore(3));

    const first = await w.sweep();
    const later = await w.sweep(5);

    const ready = first.signals.filter((signal) => signal.type === 'Ready To Fail Back');
    expect(ready.map((signal) => signal.detail.resource.id)).toEqual([serverId(2), 'i-0a1b2c3d4e5f60718']);
    expect(ready[0]?.detail.summary).toContain('never fails back');
    expect(first.outcome).toMatchObject({ recoveryInstances: 1, readyToFailBack: 2 });
    expect(later.signals).toEqual([]);
  });

  it('treats a recovery instance launched for failback as re-protection (failover direction), not ready to fail back', async () => {
    const w = world();
    w.drs.servers = [sourceServer(1, { replicationDirection: 'FAILBACK' })];
    w.drs.instances = [reversedInstance('i-0a1b2c3d4e5f60718')];

    const { signals } = await w.sweep();

    const instance = signals.find((signal) => signal.detail.resource.id === 'i-0a1b2c3d4e5f60718');
    expect(instance?.detail.evidence.direction).toBe('failover');
    expect(
      signals
        .filter((signal) => signal.type === 'Ready To Fail Back')
        .map((signal) => signal.detail.resource.id),
    ).toEqual([serverId(1)]);
  });

  it('reports a server DRS no longer lists, as evidence only, and forgets it', async () => {
    const w = world();
    w.drs.servers = [sourceServer(1), sourceServer(2)];
    await w.sweep();
    w.drs.servers = [sourceServer(1)];

    const { signals, outcome } = await w.sweep(5);

    expect(typesAndIds(signals)).toEqual([['Replication Status Changed', serverId(2), undefined]]);
    expect(signals[0]?.detail.evidence).toMatchObject({ removed: true, previousState: 'READY' });
    expect(outcome).toMatchObject({ removed: 1 });
    expect([...w.state.items.keys()]).not.toContain(`drs-source-server#${serverId(2)}`);
  });

  it('makes one page call per page and one snapshot query per server (the floor)', async () => {
    const w = world({ pageSize: 10, concurrency: 4 });
    w.drs.servers = Array.from({ length: 35 }, (_, index) => sourceServer(index + 1));
    w.drs.instances = Array.from({ length: 12 }, (_, index) =>
      reversedInstance(`i-${(index + 1).toString(16).padStart(17, '0')}`),
    );

    const { outcome } = await w.sweep();

    expect(outcome).toMatchObject({ sourceServers: 35, recoveryInstances: 12 });
    expect(w.drs.calls).toEqual({
      describeSourceServers: 4,
      describeRecoveryInstances: 2,
      describeRecoverySnapshots: 35,
    });
  });

  it('records per-resource, per-workload and deployment metrics', async () => {
    const w = world();
    w.drs.servers = [
      sourceServer(1, { lagDuration: 'PT2M' }),
      sourceServer(2, {
        lagDuration: 'PT30M',
        replicatedDisks: [{ backloggedStorageBytes: 10 }, { backloggedStorageBytes: 5 }],
      }),
      sourceServer(3, { lagDuration: 'PT20M', tags: { 'dr-autopilot:workload': 'billing' } }),
    ];

    await w.sweep();

    expect(w.metrics.resources).toContainEqual({
      resourceId: serverId(2),
      workload: 'payments',
      lagSeconds: 1_800,
      exposureSeconds: 1_800,
      backlogBytes: 15,
    });
    expect(w.metrics.workloads.get('payments')).toEqual({
      worstExposureSeconds: 1_800,
      overRpoCount: 1,
      resourceCount: 2,
      unprotectedCount: 0,
    });
    expect(w.metrics.workloads.get('billing')).toEqual({
      worstExposureSeconds: 1_200,
      overRpoCount: 1,
      resourceCount: 1,
      unprotectedCount: 0,
    });
    expect(w.metrics.deployment).toEqual({
      worstExposureSeconds: 1_800,
      overRpoCount: 2,
      resourceCount: 3,
      unprotectedCount: 0,
    });
    expect(w.metrics.flushes).toBe(1);
  });

  it('counts the resources that are not replicating as unprotected, per workload and for the deployment', async () => {
    const w = world();
    w.drs.servers = [
      sourceServer(1, { lagDuration: 'PT2M' }),
      sourceServer(2, { dataReplicationState: 'STALLED', dataReplicationError: 'AGENT_NOT_SEEN' }),
    ];

    await w.sweep();

    expect(w.metrics.deployment).toMatchObject({ resourceCount: 2, unprotectedCount: 1 });
    expect(w.metrics.workloads.get('payments')).toMatchObject({ unprotectedCount: 1 });
  });

  it('files the DRS service check under the reserved workload dr-autopilot, never under a user workload', async () => {
    const w = world();
    w.drs.servers = [sourceServer(1), sourceServer(2, { tags: { 'dr-autopilot:workload': 'dr-autopilot' } })];

    const ready = (await w.sweep()).signals;
    w.drs.failWith = drsError('UninitializedAccountException', 'Account not initialized');
    const [notReady] = (await w.sweep(5)).signals;

    const service = ready.find((signal) => signal.detail.resource.type === 'drs-service');
    expect(service?.detail).toMatchObject({
      workload: 'dr-autopilot',
      resource: { id: REGION },
      assessment: { state: 'READY', reason: `DRS initialised and answering in ${REGION}` },
    });
    expect(notReady?.detail).toMatchObject({
      workload: 'dr-autopilot',
      summary: expect.stringMatching(new RegExp(`^DRS service in ${REGION} NOT_READY: DRS not initialised`)),
      assessment: {
        state: 'NOT_READY',
        reason: `DRS not initialised in ${REGION}`,
        runbook: 'runbook-drs-not-initialized',
      },
    });
    // A server tagged with the reserved name counts as `default`, not as dr-autopilot's own check.
    expect(
      ready
        .filter((signal) => signal.detail.resource.type === 'drs-source-server')
        .map((signal) => signal.detail.workload),
    ).toEqual(['payments', 'default']);
  });

  it('logs per-resource values of what it signals and of what is not READY, not of a quiet healthy fleet', async () => {
    // Prepare: two healthy servers and one over its RPO.
    const w = world();
    w.drs.servers = [
      sourceServer(1, { lagDuration: 'PT2M' }),
      sourceServer(2, { lagDuration: 'PT30M' }),
      sourceServer(3, { lagDuration: 'PT1M' }),
    ];
    const logged = () => w.metrics.details.map((detail) => detail.resourceId).sort();

    // Act and assess: the first sweep signals everything, so every value is logged.
    await w.sweep();
    expect(logged()).toEqual([serverId(1), serverId(2), serverId(3)]);
    expect(w.metrics.details).toContainEqual({
      resourceId: serverId(2),
      workload: 'payments',
      state: 'AT_RISK',
      lagSeconds: 1_800,
      exposureSeconds: 1_800,
      backlogBytes: 0,
      rpoSeconds: 900,
    });

    // Five minutes later nothing changed: only the server in trouble is logged.
    await w.sweep(5);
    expect(logged()).toEqual([serverId(2)]);

    // Fifteen minutes after the first sweep every finding is refreshed, so every value is logged again.
    await w.sweep(15);
    expect(logged()).toEqual([serverId(1), serverId(2), serverId(3)]);

    // A stalled-change evaluation logs its one server when it signals it.
    w.drs.servers[0] = sourceServer(1, { dataReplicationState: 'STALLED', lagDuration: 'PT20M' });
    await w.stalled(1, 16);
    expect(logged()).toEqual([serverId(1)]);
  });

  it('turns an uninitialised DRS into a NOT_READY finding for the service, not a crash, and removes nothing', async () => {
    const w = world();
    w.drs.servers = [sourceServer(1)];
    await w.sweep();
    w.drs.failWith = drsError('UninitializedAccountException', 'Account not initialized');

    const { signals, outcome } = await w.sweep(5);

    expect(outcome).toMatchObject({ action: 'swept', drsInitialized: false, sourceServers: 0 });
    expect(typesAndIds(signals)).toEqual([['Replication Status Changed', REGION, 'NOT_READY']]);
    expect(signals[0]?.detail.resource.type).toBe('drs-service');
    expect(w.state.items.has(`drs-source-server#${serverId(1)}`)).toBe(true);
    expect(w.metrics.deployment).toEqual({
      worstExposureSeconds: undefined,
      overRpoCount: 0,
      resourceCount: 0,
      unprotectedCount: 0,
    });
  });

  it('does not move the refresh marker on a sweep that could not list servers: the next one refreshes them', async () => {
    // Prepare: a server signalled at 0; DRS uninitialised on the sweep at 20, when a refresh is due
    const w = world({ refreshAfterSeconds: 900 });
    w.drs.servers = [sourceServer(1)];
    await w.sweep();
    w.drs.failWith = drsError('UninitializedAccountException', 'Account not initialized');

    // Act
    const blind = await w.sweep(20);
    w.drs.failWith = undefined;
    const back = await w.sweep(25);

    // Assess: the blind sweep signals the service's change only and keeps the marker; the next one refreshes the
    // server (last signalled at 0) and the service changes back
    expect(blind.outcome).toMatchObject({ refreshed: 0, drsInitialized: false });
    expect(w.state.saves.at(1)).toEqual({ put: 1, delete: 0 });
    expect(refreshedIds(back.batches)).toEqual([['payments', serverId(1), 'READY']]);
    expect(typesAndIds(back.signals)).toEqual([['Replication Status Changed', REGION, 'READY']]);
    expect(w.state.refreshedAt).toBe(atMinute(25));
  });

  it.each([['AccessDeniedException'], ['ThrottlingException'], ['InternalServerException']])(
    'lets %s propagate and stores nothing',
    async (name) => {
      const w = world();
      w.drs.servers = [sourceServer(1)];
      w.drs.failWith = drsError(name);

      await expect(w.sweep()).rejects.toThrow(name);
      expect(w.state.saves).toEqual([]);
      expect(w.signals.published).toEqual([]);
    },
  );

  it('stores nothing when publishing fails, so the next sweep signals the change again', async () => {
    const w = world();
    w.drs.servers = [sourceServer(1)];
    w.signals.failNext(new Error('PutEvents failed'));

    await expect(w.sweep()).rejects.toThrow('PutEvents failed');
    const retry = await w.sweep(1);

    expect(w.state.saves).toHaveLength(1);
    expect(retry.signals).toHaveLength(2);
  });

  it('marks signals as dry-run in dry-run mode', async () => {
    const w = world();
    w.drs.servers = [sourceServer(1)];

    await runReplicationMonitor(
      { kind: 'schedule', id: 'dry-1', account: ACCOUNT, region: REGION },
      { ...w.deps(), dryRun: true },
    );

    expect(w.signals.published.length).toBeGreaterThan(0);
    expect(w.signals.published.every((signal) => signal.detail.dryRun)).toBe(true);
  });
});

describe('runReplicationMonitor: the stalled-change event', () => {
  it('re-evaluates only that server, with two DRS calls', async () => {
    const w = world();
    w.drs.servers = [sourceServer(1), sourceServer(2)];
    await w.sweep();
    const server = w.drs.servers[0];
    if (server) server.dataReplicationState = 'STALLED';
    const other = w.drs.servers[1];
    if (other) other.dataReplicationState = 'STALLED';
    w.drs.calls = { describeSourceServers: 0, describeRecoveryInstances: 0, describeRecoverySnapshots: 0 };

    const { outcome, signals } = await w.stalled(1, 1);

    expect(outcome).toEqual({
      action: 'server-evaluated',
      sourceServerId: serverId(1),
      drsInitialized: true,
      state: 'NOT_READY',
      signalsPublished: 1,
      refreshed: 0,
      refreshBatches: 0,
    });
    expect(typesAndIds(signals)).toEqual([['Replication Status Changed', serverId(1), 'NOT_READY']]);
    expect(w.drs.calls).toEqual({
      describeSourceServers: 1,
      describeRecoveryInstances: 0,
      describeRecoverySnapshots: 1,
    });
    expect(w.state.items.get(`drs-source-server#${serverId(2)}`)?.state).toBe('READY');
    expect(w.metrics.deployment).toBeUndefined();
  });

  it("never moves the refresh marker: it refreshes its server when due, by the server's own item", async () => {
    // Prepare: two healthy servers signalled at 0 (the last refresh sweep)
    const w = world({ refreshAfterSeconds: 900 });
    w.drs.servers = [sourceServer(1), sourceServer(2)];
    await w.sweep();

    // Act: an evaluation of server 1, unchanged, 20 minutes later (due); again a minute later; then the sweep
    const due = await w.stalled(1, 20);
    const saveOfDue = w.state.saves.at(-1);
    const again = await w.stalled(1, 21);
    const sweep = await w.sweep(25);

    // Assess: the evaluation refreshes server 1 alone and writes its item, not the marker; the next full sweep
    // still refreshes everything, since only a full sweep vouches for every finding
    expect(due.outcome).toMatchObject({ refreshed: 1, refreshBatches: 1 });
    expect(saveOfDue).toEqual({ put: 1, delete: 0 });
    expect(w.state.items.get(`drs-source-server#${serverId(1)}`)?.lastSignalledAt).toBe(atMinute(20));
    expect(again.outcome).toMatchObject({ refreshed: 0, signalsPublished: 0 });
    expect(sweep.outcome).toMatchObject({ refreshed: 3 });
    expect(w.state.refreshedAt).toBe(atMinute(25));
  });

  it('signals nothing when the event is delivered again', async () => {
    const w = world();
    w.drs.servers = [sourceServer(1, { dataReplicationState: 'STALLED' })];

    const first = await w.stalled(1);
    const again = await w.stalled(1);

    expect(first.signals).toHaveLength(1);
    expect(again.signals).toEqual([]);
  });

  it('forgets a server DRS no longer knows', async () => {
    const w = world();
    w.drs.servers = [sourceServer(1)];
    await w.sweep();
    w.drs.servers = [];

    const { outcome, signals } = await w.stalled(1, 1);

    expect(outcome).toMatchObject({ state: 'not-found', signalsPublished: 1 });
    expect(signals[0]?.detail.evidence).toMatchObject({ removed: true });
  });

  it('rejects an event from another account or Region before any call', async () => {
    const w = world();

    await expect(
      runReplicationMonitor(
        {
          kind: 'stalled-change',
          id: 'e',
          account: '999999999999',
          region: REGION,
          sourceServerId: serverId(1),
          stalledState: 'STALLED',
        },
        w.deps(),
      ),
    ).rejects.toThrow(ForeignEventError);
    await expect(
      runReplicationMonitor({ kind: 'schedule', id: 'e', account: ACCOUNT, region: 'eu-west-1' }, w.deps()),
    ).rejects.toThrow(ForeignEventError);
    expect(w.drs.calls.describeSourceServers).toBe(0);
  });
});

describe('parseReplicationMonitorEvent', () => {
  it('reads the stalled-change sample', () => {
    const event = loadSample('drs', 'source-server-data-replication-stalled-change.stalled');

    expect(parseReplicationMonitorEvent(event)).toEqual({
      kind: 'stalled-change',
      id: '9da9af57-9253-4406-87cb-7cc400e43465',
      account: '111122223333',
      region: 'us-west-2',
      resources: ['arn:aws:drs:us-west-2:111122223333:source-server/s-12345678901234567'],
      sourceServerId: 's-12345678901234567',
      stalledState: 'STALLED',
    });
  });

  it('reads a scheduled event', () => {
    const event = {
      version: '0',
      id: '53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa',
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: ACCOUNT,
      time: '2026-11-22T12:00:00Z',
      region: REGION,
      resources: [`arn:aws:events:${REGION}:${ACCOUNT}:rule/dr-autopilot-test-replicationMonitor-rule-1`],
      detail: {},
    };

    expect(parseReplicationMonitorEvent(event)).toEqual({
      kind: 'schedule',
      id: event.id,
      account: ACCOUNT,
      region: REGION,
      resources: event.resources,
    });
  });

  it.each([
    [
      'a stalled change without a source-server ARN',
      { ...loadSample('drs', 'source-server-data-replication-stalled-change.stalled'), resources: [] },
    ],
    ['an unknown event', { source: 'aws.s3', id: 'x' }],
    ['nothing', undefined],
  ])('rejects %s, naming the field', (_, input) => {
    expect(() => parseReplicationMonitorEvent(input)).toThrow(InvalidEventError);
  });
});

describe('runReplicationMonitor: a source server that failed over', () => {
  const I1 = 'i-0a1b2c3d4e5f60001';
  /** B1 after a real failover: its origin is lost, it names its recovery instance, which may be reversed. */
  function failedOver(w: ReturnType<typeof world>, reversal: string, ec2InstanceState = 'RUNNING') {
    w.drs.servers = [
      sourceServer(1, {
        dataReplicationState: 'DISCONNECTED',
        dataReplicationError: 'AGENT_NOT_SEEN',
        lagDuration: 'PT40M',
        recoveryInstanceId: I1,
        lastLaunchType: 'RECOVERY',
        reversedDirectionSourceServerArn:
          reversal === 'NOT_STARTED'
            ? undefined
            : `arn:aws:drs:us-east-1:${ACCOUNT}:source-server/${serverId(9)}`,
      }),
    ];
    w.drs.snapshotAt(1, minutesBefore(40));
    w.drs.instances = [reversedInstance(I1, { dataReplicationState: reversal, ec2InstanceState })];
  }
  const statusOf = (signals: Signal[], id: string) =>
    signals.find(
      (signal) => signal.type === 'Replication Status Changed' && signal.detail.resource.id === id,
    );

  it('is READY once the reversed replication of its recovery instance is continuous, its own state as evidence', async () => {
    // Prepare
    const w = world();
    failedOver(w, 'CONTINUOUS');

    // Act
    const { signals, outcome } = await w.sweep();

    // Assess
    const b1 = statusOf(signals, serverId(1));
    expect(b1?.detail).toMatchObject({
      severity: 'info',
      assessment: { state: 'READY' },
      evidence: {
        failedOverTo: I1,
        reversedReplicationState: 'CONTINUOUS',
        dataReplicationState: 'DISCONNECTED',
        ownState: 'NOT_READY',
        ownExposureSeconds: 2_400,
        exposureSeconds: 60,
        reasonCode: 'failed-over-reversed',
      },
    });
    expect(b1?.detail.summary).toContain(
      `failed over to ${I1}; protected by reversed replication (CONTINUOUS)`,
    );
    expect(statusOf(signals, I1)?.detail.assessment?.state).toBe('READY');
    expect(outcome).toMatchObject({ byState: { READY: 2, NOT_READY: 0 }, readyToFailBack: 1 });
    expect(
      signals
        .filter((signal) => signal.type === 'Ready To Fail Back')
        .map((signal) => signal.detail.resource.id),
    ).toEqual([I1]);
  });

  it('reports the recovery instance exposure as the server RpoExposureSeconds', async () => {
    const w = world();
    failedOver(w, 'CONTINUOUS');

    await w.sweep();

    expect(w.metrics.resources).toContainEqual({
      resourceId: serverId(1),
      workload: 'payments',
      lagSeconds: 60,
      exposureSeconds: 60,
      backlogBytes: 0,
    });
    expect(w.metrics.deployment).toEqual({
      worstExposureSeconds: 60,
      overRpoCount: 0,
      resourceCount: 2,
      unprotectedCount: 0,
    });
  });

  it.each([
    {
      reversal: 'NOT_STARTED',
      state: 'NOT_READY',
      reason: `failed over to ${I1}, not protected (reversed replication not started)`,
      runbook: 'runbook-recovered-but-unprotected',
    },
    {
      reversal: 'INITIAL_SYNC',
      state: 'NOT_READY',
      reason: `failed over to ${I1}; protected by reversed replication (INITIAL_SYNC)`,
      runbook: 'runbook-replication-not-replicating',
    },
    {
      reversal: 'BACKLOG',
      state: 'AT_RISK',
      reason: `failed over to ${I1}; protected by reversed replication (BACKLOG)`,
      runbook: 'runbook-replication-degraded',
    },
  ])(
    'is $state while the reversal is $reversal, pointing at $runbook',
    async ({ reversal, state, reason, runbook }) => {
      const w = world();
      failedOver(w, reversal);

      const { signals } = await w.sweep();

      const b1 = statusOf(signals, serverId(1));
      expect(b1?.detail.assessment).toMatchObject({ state, runbook });
      expect(b1?.detail.assessment?.nextStep).toContain(I1);
      expect(b1?.detail.summary).toContain(reason);
    },
  );

  it('is judged by its own replication again once the recovery instance is terminated', async () => {
    const w = world();
    failedOver(w, 'CONTINUOUS', 'TERMINATED');

    const { signals } = await w.sweep();

    expect(statusOf(signals, serverId(1))?.detail).toMatchObject({
      assessment: { state: 'NOT_READY', runbook: 'runbook-replication-not-replicating' },
      evidence: { reasonCode: 'not-replicating' },
    });
    expect(statusOf(signals, serverId(1))?.detail.evidence).not.toHaveProperty('failedOverTo');
  });

  it('signals the change when the reversal becomes continuous, and ready to fail back once, for the instance', async () => {
    // Prepare
    const w = world();
    failedOver(w, 'INITIAL_SYNC');
    await w.sweep();
    const instance = w.drs.instances[0];
    if (instance) instance.dataReplicationState = 'CONTINUOUS';

    // Act
    const continuous = await w.sweep(5);
    const again = await w.sweep(10);

    // Assess
    expect(typesAndIds(continuous.signals)).toEqual([
      ['Replication Status Changed', serverId(1), 'READY'],
      ['Replication Status Changed', I1, 'READY'],
      ['Ready To Fail Back', I1, 'READY'],
    ]);
    expect(continuous.signals[0]?.detail.evidence).toMatchObject({ previousState: 'NOT_READY' });
    expect(again.signals).toEqual([]);
  });

  it('keeps the verdict on a stalled-change event: it reads the server recovery instances (one more call)', async () => {
    // Prepare
    const w = world();
    failedOver(w, 'CONTINUOUS');
    await w.sweep();
    w.drs.calls = { describeSourceServers: 0, describeRecoveryInstances: 0, describeRecoverySnapshots: 0 };

    // Act
    const { outcome, signals } = await w.stalled(1, 1);

    // Assess
    expect(outcome).toMatchObject({ state: 'READY', signalsPublished: 0 });
    expect(signals).toEqual([]);
    expect(w.drs.calls).toEqual({
      describeSourceServers: 1,
      describeRecoveryInstances: 1,
      describeRecoverySnapshots: 1,
    });
  });
});
