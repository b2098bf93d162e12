import type { BusEvent } from '../events/dr-autopilot/signal.ts';
import { type ReplicationMonitorDeps, runReplicationMonitor } from '../src/app/replication-monitor.ts';
import type { StoredFinding } from '../src/domain/sweep.ts';
import type {
  DrsReader,
  DrsRecoveryInstance,
  DrsRecoverySnapshot,
  DrsSourceServer,
} from '../src/ports/drs.ts';
import type { MonitorStateStore, ReplicationMetrics } from '../src/ports/monitor-state.ts';

/**
 * The replication monitor's sweep at scale: the real use case against a simulated DRS whose every call takes
 * 5–20 ms (seeded, so runs compare), pages of 100 as the DRS adapter asks for. Figures: API calls against
 * the floor (one page call per page of servers and of recovery instances, plus one snapshot query per
 * server), wall time, peak memory, signals on a first and an unchanged second sweep (within the refresh
 * window, MONITOR_REFRESH_AFTER: so 0), and on a refresh sweep (every unchanged finding due for its refresh,
 * as on the sweep MONITOR_REFRESH_AFTER after the first: every finding refreshed, in batches, and one state
 * write, the refresh marker); and the same 3,000 servers swept sequentially (concurrency 1) for comparison.
 * Nothing asserts on time.
 */
const PAGE_SIZE = 100;
const REGION = 'us-west-2';
const ACCOUNT = '111122223333';
const LAMBDA_TIMEOUT_MS = 300_000;

/** mulberry32: a small seeded PRNG, so every run simulates the same latencies and fleet. */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const serverId = (n: number) => `s-${n.toString(16).padStart(17, '0')}`;

/**
 * A simulated DRS fleet: 90% CONTINUOUS, 5% BACKLOG, 3% STALLED, 2% INITIAL_SYNC; 20 workloads; one server in 7
 * with a one-hour RPO tag, one in 50 failback-direction, a recovery instance for one in 20.
 */
export function fleet(count: number, random: () => number) {
  const now = Date.now();
  const servers: DrsSourceServer[] = [];
  const snapshots = new Map<string, DrsRecoverySnapshot>();
  const instances: DrsRecoveryInstance[] = [];
  for (let n = 1; n <= count; n++) {
    const roll = random();
    const state =
      roll < 0.9 ? 'CONTINUOUS' : roll < 0.95 ? 'BACKLOG' : roll < 0.98 ? 'STALLED' : 'INITIAL_SYNC';
    const id = serverId(n);
    servers.push({
      sourceServerId: id,
      arn: `arn:aws:drs:${REGION}:${ACCOUNT}:source-server/${id}`,
      tags: {
        'dr-autopilot:workload': `workload-${n % 20}`,
        ...(n % 7 === 0 ? { 'dr-autopilot:rpo': 'PT1H' } : {}),
      },
      replicationDirection: n % 50 === 0 ? 'FAILBACK' : 'FAILOVER',
      dataReplicationState: state,
      lagDuration: state === 'CONTINUOUS' ? 'P0D' : `PT${Math.round(random() * 60)}M`,
      replicatedDisks: [
        { deviceName: '/dev/xvda', backloggedStorageBytes: state === 'BACKLOG' ? 1_048_576 : 0 },
        { deviceName: '/dev/xvdb', backloggedStorageBytes: 0 },
      ],
      ...(state === 'STALLED' ? { dataReplicationError: 'AGENT_NOT_SEEN' } : {}),
      hostname: `host-${n}`,
    });
    if (state !== 'INITIAL_SYNC') {
      const at = new Date(now - random() * 12 * 60_000).toISOString();
      snapshots.set(id, { snapshotId: `pit-${n}`, expectedTimestamp: at, timestamp: at });
    }
    if (n % 20 === 0) {
      instances.push({
        recoveryInstanceId: `i-${n.toString(16).padStart(17, '0')}`,
        tags: {},
        sourceServerId: id,
        dataReplicationState: random() < 0.8 ? 'CONTINUOUS' : 'NOT_STARTED',
        lagDuration: 'PT1M',
        replicatedDisks: [],
      });
    }
  }
  return { servers, snapshots, instances };
}

/** DRS with latency: each call waits 5–20 ms (none with `latency: false`), and is counted. */
export class SimulatedDrs implements DrsReader {
  calls = { describeSourceServers: 0, describeRecoveryInstances: 0, describeRecoverySnapshots: 0 };
  constructor(
    private readonly world: ReturnType<typeof fleet>,
    private readonly random: () => number,
    private readonly latency = true,
  ) {}
  private wait(): Promise<void> {
    if (!this.latency) return Promise.resolve();
    return new Promise((resolve) => setTimeout(resolve, 5 + this.random() * 15));
  }
  async describeJob(): Promise<undefined> {
    throw new Error('not used');
  }
  async describeRecoveryInstancesOf(): Promise<DrsRecoveryInstance[]> {
    throw new Error('not used');
  }
  async describeSourceServer(id: string) {
    this.calls.describeSourceServers += 1;
    await this.wait();
    return this.world.servers.find((server) => server.sourceServerId === id);
  }
  async *listSourceServers() {
    for (let start = 0; start === 0 || start < this.world.servers.length; start += PAGE_SIZE) {
      this.calls.describeSourceServers += 1;
      await this.wait();
      // A fresh copy per page, as the SDK deserialises a fresh response.
      yield structuredClone(this.world.servers.slice(start, start + PAGE_SIZE));
    }
  }
  async *listRecoveryInstances() {
    for (let start = 0; start === 0 || start < this.world.instances.length; start += PAGE_SIZE) {
      this.calls.describeRecoveryInstances += 1;
      await this.wait();
      yield structuredClone(this.world.instances.slice(start, start + PAGE_SIZE));
    }
  }
  async newestRecoverySnapshot(id: string) {
    this.calls.describeRecoverySnapshots += 1;
    await this.wait();
    const snapshot = this.world.snapshots.get(id);
    return snapshot ? { ...snapshot } : undefined;
  }
}

class MemoryState implements MonitorStateStore {
  items = new Map<string, StoredFinding>();
  refreshedAt: string | undefined;
  /** Items written: findings put or deleted, and the refresh marker. */
  writes = 0;
  async load() {
    return { findings: new Map(this.items), refreshedAt: this.refreshedAt };
  }
  async save({ put, delete: keys, refreshedAt }: Parameters<MonitorStateStore['save']>[0]) {
    this.writes += put.length + keys.length + (refreshedAt === undefined ? 0 : 1);
    for (const finding of put) this.items.set(finding.key, finding);
    for (const key of keys) this.items.delete(key);
    if (refreshedAt !== undefined) this.refreshedAt = refreshedAt;
  }
}

/** Counts what would be written as EMF, without writing thousands of lines to the terminal. */
class CountingMetrics implements ReplicationMetrics {
  documents = 0;
  private pending = 0;
  recordResource() {
    this.pending += 1;
  }
  recordWorkload() {
    this.pending += 1;
  }
  recordDeployment() {
    this.pending += 1;
  }
  recordResourceDetail() {}
  flush() {
    this.documents += this.pending;
    this.pending = 0;
  }
}

export async function sweepOnce(count: number, concurrency: number, seed: number, secondSweep = true) {
  const random = seeded(seed);
  const world = fleet(count, random);
  const drs = new SimulatedDrs(world, random);
  const state = new MemoryState();
  const metrics = new CountingMetrics();
  const published: BusEvent[] = [];
  const deps: ReplicationMonitorDeps = {
    drs,
    state,
    metrics,
    signals: {
      async publish(signals) {
        published.push(...signals);
      },
    },
    clock: () => new Date(),
    dryRun: false,
    policy: {
      account: ACCOUNT,
      region: REGION,
      defaultRpoSeconds: 900,
      backlogToleranceBytes: 0,
      concurrency,
      refreshAfterSeconds: 900,
    },
  };

  const baseline = process.memoryUsage();
  let peakHeap = baseline.heapUsed;
  let peakRss = baseline.rss;
  const sampler = setInterval(() => {
    const usage = process.memoryUsage();
    peakHeap = Math.max(peakHeap, usage.heapUsed);
    peakRss = Math.max(peakRss, usage.rss);
  }, 5);
  const started = performance.now();
  const outcome = await runReplicationMonitor(
    { kind: 'schedule', id: `bench-${count}-${concurrency}`, account: ACCOUNT, region: REGION },
    deps,
  );
  const wallMs = performance.now() - started;
  clearInterval(sampler);
  const end = process.memoryUsage();
  peakHeap = Math.max(peakHeap, end.heapUsed);
  peakRss = Math.max(peakRss, end.rss);
  const firstSignals = published.length;
  const firstSweepCalls = Object.values(drs.calls).reduce((sum, calls) => sum + calls, 0);
  const firstSweepDocuments = metrics.documents;

  // A second sweep where nothing changed, within the refresh window: change detection publishes nothing.
  let unchangedSignals: number | null = null;
  let refreshSignals: number | null = null;
  let refreshWrites: number | null = null;
  if (secondSweep) {
    await runReplicationMonitor(
      { kind: 'schedule', id: `bench-${count}-${concurrency}-again`, account: ACCOUNT, region: REGION },
      deps,
    );
    unchangedSignals = published.length - firstSignals;
    // A refresh sweep: every unchanged finding is due (a zero window stands for "15 minutes later" without
    // letting the simulated snapshots age into other states).
    const before = { signals: published.length, writes: state.writes };
    await runReplicationMonitor(
      { kind: 'schedule', id: `bench-${count}-${concurrency}-refresh`, account: ACCOUNT, region: REGION },
      { ...deps, policy: { ...deps.policy, refreshAfterSeconds: 0 } },
    );
    refreshSignals = published.length - before.signals;
    refreshWrites = state.writes - before.writes;
  }

  const pages = (items: number) => Math.max(1, Math.ceil(items / PAGE_SIZE));
  const floor = pages(world.servers.length) + pages(world.instances.length) + world.servers.length;
  return {
    servers: count,
    concurrency,
    apiCalls: firstSweepCalls,
    floor,
    callsPerFloor: Number((firstSweepCalls / floor).toFixed(3)),
    wallMs: Math.round(wallMs),
    lambdaTimeoutUsed: Number((wallMs / LAMBDA_TIMEOUT_MS).toFixed(4)),
    peakHeapMB: Number((peakHeap / 1_048_576).toFixed(1)),
    heapGrowthMB: Number(((peakHeap - baseline.heapUsed) / 1_048_576).toFixed(1)),
    peakRssMB: Number((peakRss / 1_048_576).toFixed(1)),
    signalsFirstSweep: firstSignals,
    signalsUnchangedSweep: unchangedSignals,
    signalsRefreshSweep: refreshSignals,
    stateWritesRefreshSweep: refreshWrites,
    emfDocumentsPerSweep: firstSweepDocuments,
    outcome: outcome.action === 'swept' ? { byState: outcome.byState, overRpo: outcome.overRpo } : outcome,
  };
}

export async function runReplicationBench(): Promise<Record<string, unknown>> {
  const bounded300 = await sweepOnce(300, 10, 300);
  const bounded3000 = await sweepOnce(3_000, 10, 3_000);
  const sequential3000 = await sweepOnce(3_000, 1, 3_000, false);
  const rows = {
    'bounded 300': bounded300,
    'bounded 3,000': bounded3000,
    'sequential 3,000': sequential3000,
  };
  console.table(
    Object.fromEntries(
      Object.entries(rows).map(([name, figures]) => [
        name,
        {
          calls: figures.apiCalls,
          floor: figures.floor,
          'calls/floor': figures.callsPerFloor,
          'wall ms': figures.wallMs,
          'peak heap MB': figures.peakHeapMB,
          'peak rss MB': figures.peakRssMB,
          'signals 1st/2nd/refresh': `${figures.signalsFirstSweep}/${figures.signalsUnchangedSweep ?? '-'}/${figures.signalsRefreshSweep ?? '-'}`,
        },
      ]),
    ),
  );
  const speedup = Number((sequential3000.wallMs / bounded3000.wallMs).toFixed(1));
  console.log(`sequential / bounded (3,000 servers, concurrency 10): ${speedup}× the wall time`);
  return { ...rows, sequentialOverBoundedWallTime: speedup };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await runReplicationBench(), null, 2));
}
