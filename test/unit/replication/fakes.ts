import type { BusEvent } from '../../../events/dr-autopilot/signal.ts';
import {
  type ReplicationMonitorPolicy,
  runReplicationMonitor,
} from '../../../src/app/replication-monitor.ts';
import type { StoredFinding } from '../../../src/domain/sweep.ts';
import type {
  DrsReader,
  DrsRecoveryInstance,
  DrsRecoverySnapshot,
  DrsSourceServer,
} from '../../../src/ports/drs.ts';
import type {
  AggregateMetrics,
  MonitorStateStore,
  ReplicationMetrics,
  ResourceDetail,
  ResourceMetrics,
} from '../../../src/ports/monitor-state.ts';
import type { CapturingSignalPublisher } from '../../fakes/signals.ts';

export const REGION = 'us-west-2';
export const ACCOUNT = '111122223333';

/**
 * The monitor's policy in tests: this account and Region, a 15-minute default RPO, no backlog tolerance, 10 DRS
 * calls at a time, a refresh every 15 minutes; `overrides` for what a test is about.
 */
export function monitorPolicy(overrides: Partial<ReplicationMonitorPolicy> = {}): ReplicationMonitorPolicy {
  return {
    account: ACCOUNT,
    region: REGION,
    defaultRpoSeconds: 900,
    backlogToleranceBytes: 0,
    concurrency: 10,
    refreshAfterSeconds: 900,
    ...overrides,
  };
}

/**
 * One scheduled sweep of the real monitor use case (`id` names the trigger) with the test policy and
 * `overrides`: the events it put on the bus.
 */
export async function scheduledSweep(
  id: string,
  world: { drs: DrsReader; state: MonitorStateStore; signals: CapturingSignalPublisher; clock: () => Date },
  overrides: Partial<ReplicationMonitorPolicy> = {},
): Promise<BusEvent[]> {
  const before = world.signals.events.length;
  await runReplicationMonitor(
    { kind: 'schedule', id, account: ACCOUNT, region: REGION },
    { ...world, metrics: new CapturingMetrics(), dryRun: false, policy: monitorPolicy(overrides) },
  );
  return world.signals.events.slice(before);
}

/** A source-server id (`s-` + 17 characters) from a number. */
export const serverId = (n: number) => `s-${n.toString(16).padStart(17, '0')}`;

export function sourceServer(n: number, overrides: Partial<DrsSourceServer> = {}): DrsSourceServer {
  const id = serverId(n);
  return {
    sourceServerId: id,
    arn: `arn:aws:drs:${REGION}:${ACCOUNT}:source-server/${id}`,
    tags: { 'dr-autopilot:workload': 'payments' },
    replicationDirection: 'FAILOVER',
    dataReplicationState: 'CONTINUOUS',
    lagDuration: 'P0D',
    replicatedDisks: [{ deviceName: '/dev/xvda', backloggedStorageBytes: 0 }],
    hostname: `web-${n}`,
    ...overrides,
  };
}

export function reversedInstance(
  id: string,
  overrides: Partial<DrsRecoveryInstance> = {},
): DrsRecoveryInstance {
  return {
    recoveryInstanceId: id,
    arn: `arn:aws:drs:${REGION}:${ACCOUNT}:recovery-instance/${id}`,
    tags: {},
    sourceServerId: serverId(1),
    isDrill: false,
    originEnvironment: 'AWS',
    dataReplicationState: 'CONTINUOUS',
    lagDuration: 'PT1M',
    replicatedDisks: [],
    ...overrides,
  };
}

/** An error as the SDK raises it for a DRS exception (only `name` is read). */
export function drsError(name: string, message = name): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

/** DRS in memory: pages of `pageSize`, every call counted, snapshots per server, injectable failures. */
export class PagedFakeDrs implements DrsReader {
  servers: DrsSourceServer[] = [];
  instances: DrsRecoveryInstance[] = [];
  snapshots = new Map<string, DrsRecoverySnapshot>();
  calls = { describeSourceServers: 0, describeRecoveryInstances: 0, describeRecoverySnapshots: 0 };
  failWith: Error | undefined;

  constructor(readonly pageSize = 100) {}

  private check(): void {
    if (this.failWith) throw this.failWith;
  }

  snapshotAt(n: number, timestamp: string): void {
    this.snapshots.set(serverId(n), { snapshotId: `pit-${n}`, expectedTimestamp: timestamp, timestamp });
  }

  async describeJob(): Promise<undefined> {
    throw new Error('not used by the replication monitor');
  }
  async describeRecoveryInstancesOf(id: string): Promise<DrsRecoveryInstance[]> {
    this.calls.describeRecoveryInstances += 1;
    this.check();
    return this.instances
      .filter((instance) => instance.sourceServerId === id)
      .map((instance) => structuredClone(instance));
  }
  async describeSourceServer(id: string) {
    this.calls.describeSourceServers += 1;
    this.check();
    return this.servers.find((server) => server.sourceServerId === id);
  }
  async *listSourceServers() {
    for (let start = 0; start === 0 || start < this.servers.length; start += this.pageSize) {
      this.calls.describeSourceServers += 1;
      this.check();
      yield this.servers.slice(start, start + this.pageSize).map((server) => structuredClone(server));
    }
  }
  async *listRecoveryInstances() {
    for (let start = 0; start === 0 || start < this.instances.length; start += this.pageSize) {
      this.calls.describeRecoveryInstances += 1;
      this.check();
      yield this.instances.slice(start, start + this.pageSize).map((instance) => structuredClone(instance));
    }
  }
  async newestRecoverySnapshot(id: string) {
    this.calls.describeRecoverySnapshots += 1;
    this.check();
    return this.snapshots.get(id);
  }
}

/**
 * The monitor's state in memory: its items, its refresh marker, and per save how many items were put and deleted
 * and the marker written (`refreshedAt`, absent when none).
 */
export class MemoryMonitorState implements MonitorStateStore {
  items = new Map<string, StoredFinding>();
  refreshedAt: string | undefined;
  saves: { put: number; delete: number; refreshedAt?: string }[] = [];
  async load() {
    return { findings: new Map(this.items), refreshedAt: this.refreshedAt };
  }
  async save({ put, delete: keys, refreshedAt }: Parameters<MonitorStateStore['save']>[0]) {
    this.saves.push({ put: put.length, delete: keys.length, ...(refreshedAt ? { refreshedAt } : {}) });
    for (const finding of put) this.items.set(finding.key, { ...finding });
    for (const key of keys) this.items.delete(key);
    if (refreshedAt !== undefined) this.refreshedAt = refreshedAt;
  }
}

export class CapturingMetrics implements ReplicationMetrics {
  resources: ResourceMetrics[] = [];
  workloads = new Map<string, AggregateMetrics>();
  deployment: AggregateMetrics | undefined;
  details: ResourceDetail[] = [];
  flushes = 0;
  recordResource(metrics: ResourceMetrics) {
    this.resources.push(metrics);
  }
  recordWorkload(workload: string, metrics: AggregateMetrics) {
    this.workloads.set(workload, metrics);
  }
  recordDeployment(metrics: AggregateMetrics) {
    this.deployment = metrics;
  }
  recordResourceDetail(detail: ResourceDetail) {
    this.details.push(detail);
  }
  flush() {
    this.flushes += 1;
  }
}
