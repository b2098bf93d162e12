import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AwsEvent } from './drs.ts';
import type { Simulator } from './simulator.ts';

/**
 * The load suite: a stream of mixed events through the recovery Region's EventBridge router of the simulator
 * (the rules of the packaged template pick the functions; Lambda's retries and on-failure destinations apply,
 * and the signals the functions put on the bus reach the readiness publisher): DRS launch results (real
 * recoveries of unknown jobs, and drills), DRS stalled-change events, replication-monitor sweeps and readiness
 * sweeps on their schedules, AWS Backup copy and restore job completions, and CloudWatch alarms in scope. It
 * measures throughput, handler latency per invocation (p50/p99), peak memory, and DynamoDB requests per event
 * (every request the functions send to the simulated DynamoDB), and checks that every event was processed or
 * dead-lettered. Figures only: `npm run bench -- load`; nothing here asserts on time.
 */

const ROOT = new URL('../', import.meta.url).pathname;

export interface LoadReport {
  events: number;
  byKind: Record<string, number>;
  sourceServers: number;
  invocations: number;
  invocationsFailed: number;
  /** Events whose every delivery ended in a successful invocation. */
  processed: number;
  /** Events with a delivery that ended in the on-failure destination (after Lambda's retries). */
  deadLettered: number;
  /** Events neither processed nor dead-lettered (must be 0). */
  lost: number;
  wallSeconds: number;
  eventsPerSecond: number;
  handlerMs: { p50: number; p99: number; max: number };
  handlerMsByFunction: Record<string, { invocations: number; p50: number; p99: number }>;
  dynamoRequests: number;
  dynamoRequestsPerEvent: number;
  dynamoRequestsByOperation: Record<string, number>;
  peakHeapMb: number;
  maxRssMb: number;
}

type Kind =
  | 'launch-recovery'
  | 'launch-drill'
  | 'stalled-change'
  | 'replication-sweep'
  | 'readiness-sweep'
  | 'copy-completed'
  | 'restore-completed'
  | 'alarm';

/** How often each kind appears in the stream (weights). */
const MIX: [Kind, number][] = [
  ['launch-recovery', 10],
  ['launch-drill', 10],
  ['stalled-change', 15],
  ['replication-sweep', 3],
  ['readiness-sweep', 2],
  ['copy-completed', 15],
  ['restore-completed', 10],
  ['alarm', 35],
];

function sample(source: string, name: string): AwsEvent {
  return JSON.parse(
    readFileSync(join(ROOT, 'events', source, 'samples', `${name}.json`), 'utf8'),
  ) as AwsEvent;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

const round = (value: number, digits = 1) => Number(value.toFixed(digits));

/**
 * Runs `events` mixed events through a reset simulator, `batch` at a time (each batch drained to the end before
 * the next). `sourceServers` source servers replicate in the recovery Region (what sweeps assess).
 */
export async function runLoad(
  sim: Simulator,
  options: { events: number; seed: number; sourceServers?: number; batch?: number },
): Promise<LoadReport> {
  await sim.reset();
  const region = sim.recovery;
  const { account } = sim.world;
  const servers = options.sourceServers ?? 50;
  const batch = options.batch ?? 25;
  const serverIds = Array.from({ length: servers }, (_, index) => `s-${String(index).padStart(17, '0')}`);
  for (const [index, id] of serverIds.entries()) {
    region.drs.addSourceServer({
      id,
      hostname: `load-${index}`,
      tags: { 'dr-autopilot:workload': `workload-${index % 10}` },
      ...(index % 10 === 9 ? { state: 'STALLED' as const } : {}),
    });
  }

  // Handler latency: every invocation of either Region's runtime, timed around the real handler.
  const latencies: { fn: string; ms: number }[] = [];
  const restore: (() => void)[] = [];
  for (const where of sim.regions.values()) {
    const lambda = where.lambda;
    const invoke = lambda.invoke.bind(lambda);
    lambda.invoke = async (logicalId, event) => {
      const started = performance.now();
      try {
        return await invoke(logicalId, event);
      } finally {
        latencies.push({
          fn: lambda.find(logicalId)?.shortName ?? logicalId,
          ms: performance.now() - started,
        });
      }
    };
    restore.push(() => {
      lambda.invoke = invoke;
    });
  }

  let next = options.seed >>> 0;
  const random = () => {
    next = (next + 0x6d2b79f5) >>> 0;
    let t = next;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const total = MIX.reduce((sum, [, weight]) => sum + weight, 0);
  const draw = (): Kind => {
    let value = random() * total;
    for (const [kind, weight] of MIX) {
      value -= weight;
      if (value < 0) return kind;
    }
    return 'alarm';
  };
  const server = () => serverIds[Math.floor(random() * serverIds.length)] as string;
  const alarmStates = ['ALARM', 'OK'];
  const launch = sample('drs', 'source-server-launch-result.recovery-launch-succeeded');
  const stalled = sample('drs', 'source-server-data-replication-stalled-change.stalled');
  const copy = sample('backup', 'copy-job-state-change.completed');
  const restoreDone = sample('backup', 'restore-job-state-change.completed');
  const alarm = sample('cloudwatch', 'alarm-state-change.single-metric');
  const rehome = (event: AwsEvent): Omit<AwsEvent, 'id' | 'time' | 'version'> => {
    const {
      id: _id,
      time: _time,
      version: _version,
      ...rest
    } = JSON.parse(
      JSON.stringify(event)
        .replace(/\b(1112233445566|123456789012)\b/g, account)
        .replaceAll('us-east-1', region.name),
    ) as AwsEvent;
    return { ...rest, account, region: region.name };
  };

  /** Puts one event of `kind` on the bus; returns how many events it put (a schedule may fire several rules). */
  const put = (kind: Kind, index: number): string[] => {
    switch (kind) {
      case 'launch-recovery':
      case 'launch-drill': {
        const id = server();
        const event = rehome(launch);
        event.resources = [`arn:aws:drs:${region.name}:${account}:source-server/${id}`];
        event.detail = {
          ...event.detail,
          'job-id': `drsjob-${String(index).padStart(17, '0')}`,
          'is-drill': kind === 'launch-drill' ? 'TRUE' : 'FALSE',
        };
        return [region.eventBridge.put('default', event).id];
      }
      case 'stalled-change': {
        const event = rehome(stalled);
        event.resources = [`arn:aws:drs:${region.name}:${account}:source-server/${server()}`];
        event.detail = { ...event.detail, state: random() < 0.5 ? 'STALLED' : 'NOT_STALLED' };
        return [region.eventBridge.put('default', event).id];
      }
      case 'replication-sweep':
      case 'readiness-sweep': {
        const before = region.eventBridge.events.length;
        if (kind === 'replication-sweep') region.eventBridge.fireSchedule('replicationMonitor');
        else region.eventBridge.fireSchedule('readinessPublisher', { task: 'sweep' });
        return region.eventBridge.events.slice(before).map((entry) => entry.event.id);
      }
      case 'copy-completed': {
        // A copy job's event is emitted in its source Region, the primary: its forwarding rule brings it over.
        const event = { ...rehome(copy), region: sim.primary.name };
        event.detail = { ...event.detail, copyJobId: `copy-${index}` };
        event.resources = event.resources.map((arn) =>
          arn.replaceAll(`:${region.name}:`, `:${sim.primary.name}:`),
        );
        return [sim.primary.eventBridge.put('default', event).id];
      }
      case 'restore-completed': {
        const event = rehome(restoreDone);
        event.detail = { ...event.detail, restoreJobId: `restore-${index}` };
        return [region.eventBridge.put('default', event).id];
      }
      case 'alarm': {
        const event = rehome(alarm);
        const name = `dr-autopilot:workload-${index % 10}:replica-lag-${index % 7}`;
        event.resources = [`arn:aws:cloudwatch:${region.name}:${account}:alarm:${name}`];
        const state = alarmStates[Math.floor(random() * 2)] as string;
        event.detail = {
          ...event.detail,
          alarmName: name,
          state: { ...(event.detail.state as object), value: state },
          previousState: {
            ...(event.detail.previousState as object),
            value: state === 'OK' ? 'ALARM' : 'OK',
          },
        };
        return [region.eventBridge.put('default', event).id];
      }
    }
  };

  const report: LoadReport = {
    events: 0,
    byKind: {},
    sourceServers: servers,
    invocations: 0,
    invocationsFailed: 0,
    processed: 0,
    deadLettered: 0,
    lost: 0,
    wallSeconds: 0,
    eventsPerSecond: 0,
    handlerMs: { p50: 0, p99: 0, max: 0 },
    handlerMsByFunction: {},
    dynamoRequests: 0,
    dynamoRequestsPerEvent: 0,
    dynamoRequestsByOperation: {},
    peakHeapMb: 0,
    maxRssMb: 0,
  };
  for (const where of sim.regions.values()) where.dynamoRequests.length = 0;
  let peakHeap = process.memoryUsage().heapUsed;
  const started = performance.now();
  try {
    for (let index = 0; index < options.events; ) {
      const ids = new Set<string>();
      for (let inBatch = 0; inBatch < batch && index < options.events; inBatch++, index++) {
        const kind = draw();
        report.byKind[kind] = (report.byKind[kind] ?? 0) + 1;
        for (const id of put(kind, index)) ids.add(id);
      }
      await sim.drain();
      // Each event put in this batch: processed (every delivery ended ok) or dead-lettered.
      const failedFinally = new Set<string>();
      const ok = new Set<string>();
      for (const where of sim.regions.values()) {
        for (const invocation of where.eventBridge.invocations) {
          report.invocations += 1;
          if (!invocation.ok) report.invocationsFailed += 1;
          if (invocation.ok) ok.add(invocation.eventId);
        }
        for (const letter of where.eventBridge.deadLetters) {
          const payload = (letter.record.requestPayload ?? letter.record.event) as
            | { id?: string }
            | undefined;
          if (payload?.id) failedFinally.add(payload.id);
        }
        for (const request of where.dynamoRequests.splice(0)) {
          report.dynamoRequests += 1;
          report.dynamoRequestsByOperation[request.operation] =
            (report.dynamoRequestsByOperation[request.operation] ?? 0) + 1;
        }
        // The simulator's own records of this batch are not the product's memory: let them go.
        where.eventBridge.invocations = [];
        where.eventBridge.deadLetters = [];
        where.eventBridge.events = [];
      }
      for (const id of ids) {
        report.events += 1;
        if (failedFinally.has(id)) report.deadLettered += 1;
        else if (ok.has(id)) report.processed += 1;
        else report.lost += 1;
      }
      sim.world.calls = [];
      sim.world.timeline = [];
      peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
    }
  } finally {
    for (const undo of restore) undo();
  }
  const wall = (performance.now() - started) / 1000;
  const sorted = latencies.map((entry) => entry.ms).sort((a, b) => a - b);
  const byFunction = new Map<string, number[]>();
  for (const { fn, ms } of latencies) byFunction.set(fn, [...(byFunction.get(fn) ?? []), ms]);
  report.wallSeconds = round(wall, 2);
  report.eventsPerSecond = round(report.events / wall);
  report.handlerMs = {
    p50: round(percentile(sorted, 50)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted[sorted.length - 1] ?? 0),
  };
  report.handlerMsByFunction = Object.fromEntries(
    [...byFunction].map(([fn, values]) => {
      values.sort((a, b) => a - b);
      return [
        fn,
        {
          invocations: values.length,
          p50: round(percentile(values, 50)),
          p99: round(percentile(values, 99)),
        },
      ];
    }),
  );
  report.dynamoRequestsPerEvent = round(report.dynamoRequests / Math.max(1, report.events), 2);
  report.peakHeapMb = Math.round(peakHeap / 2 ** 20);
  report.maxRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
  return report;
}
