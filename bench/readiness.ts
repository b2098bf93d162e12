import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  createSignal,
  parseSignalEvent,
  type ReadinessState,
  SIGNAL_SOURCE,
  SIGNAL_TYPES,
  type SignalEvent,
} from '../events/dr-autopilot/signal.ts';
import { createReadinessTable, startDynaliteServer } from '../sim/dynamo.ts';
import { createDynamoDbReadinessStore } from '../src/adapters/readiness-store.ts';
import { applySignal, type ReadinessDeps } from '../src/app/readiness.ts';
import { DEFAULT_READINESS_POLICY } from '../src/domain/readiness.ts';
import { createEventHandler } from '../src/runtime/handler.ts';
import { createLogger } from '../src/runtime/logger.ts';
import { type DynamoMeter, meterDynamo } from './dynamo-meter.ts';
import { benchLambdaContext } from './lambda-context.ts';

/**
 * The readiness publisher against dynalite (in process, on loopback), through the handler chain
 * functions/readiness-publisher.ts builds (contract check, origin check, the use case; it keeps no idempotency
 * records): DynamoDB requests and capacity units per kind of signal, for workloads of several sizes, against
 * the floor of one conditional update per signal; then throughput with signals spread over many workloads
 * (little contention) and all on one workload's few resources (heavy contention: conditional-write conflicts
 * and retries). No assertion on time: compare runs on the same machine.
 */
const ACCOUNT = '111122223333';
const STATES: ReadinessState[] = ['READY', 'READY', 'READY', 'AT_RISK', 'NOT_READY', 'UNKNOWN'];

function random(seed: number) {
  let value = seed;
  return () => {
    value = (value * 1_103_515_245 + 12_345) % 2 ** 31;
    return value / 2 ** 31;
  };
}

function signal(workload: string, id: string, state: ReadinessState, observedAt: string): SignalEvent {
  const created = createSignal({
    type: SIGNAL_TYPES.replicationStatusChanged,
    resource: { type: 'drs-source-server', id, region: 'us-west-2', account: ACCOUNT },
    workload,
    observedAt,
    severity: state === 'NOT_READY' ? 'critical' : 'warning',
    summary: `${id} is ${state}`,
    assessment: { state, reason: `${id} is ${state}` },
    evidence: { lagSeconds: 42 },
    dryRun: false,
    correlationId: randomUUID(),
  });
  return parseSignalEvent({
    version: '0',
    id: randomUUID(),
    'detail-type': created.type,
    source: SIGNAL_SOURCE,
    account: ACCOUNT,
    time: observedAt,
    region: 'us-west-2',
    resources: [],
    detail: created.detail,
  });
}

function signalsFor(
  count: number,
  workloads: number,
  resourcesPerWorkload: number,
  seed: number,
): SignalEvent[] {
  const next = random(seed);
  const start = Date.parse('2026-11-22T00:00:00.000Z');
  return Array.from({ length: count }, (_, index) => {
    const workload = `workload-${Math.floor(next() * workloads)}`;
    const id = `s-${String(Math.floor(next() * resourcesPerWorkload)).padStart(17, '0')}`;
    const state = STATES[Math.floor(next() * STATES.length)] as ReadinessState;
    const observedAt = new Date(start + index * 1000).toISOString();
    const signal = createSignal({
      type: SIGNAL_TYPES.replicationStatusChanged,
      resource: { type: 'drs-source-server', id, region: 'us-west-2', account: ACCOUNT },
      workload,
      observedAt,
      severity: 'warning',
      summary: `${id} is ${state}`,
      assessment: { state, reason: `${id} is ${state}` },
      evidence: { lagSeconds: Math.round(next() * 3600) },
      dryRun: false,
      correlationId: randomUUID(),
    });
    return parseSignalEvent({
      version: '0',
      id: randomUUID(),
      'detail-type': signal.type,
      source: SIGNAL_SOURCE,
      account: ACCOUNT,
      time: observedAt,
      region: 'us-west-2',
      resources: [],
      detail: signal.detail,
    });
  });
}

async function pool<T>(items: T[], concurrency: number, work: (item: T) => Promise<unknown>): Promise<void> {
  let index = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (index < items.length) {
        const item = items[index++] as T;
        await work(item);
      }
    }),
  );
}

interface Publisher {
  /** The handler chain of functions/readiness-publisher.ts for signals, on a fresh table. */
  handle: (event: SignalEvent) => Promise<unknown>;
  meter: DynamoMeter;
  notifications: () => number;
  conflicts: () => number;
  close: () => Promise<void>;
}

async function publisher(): Promise<Publisher> {
  const server = await startDynaliteServer();
  const client = new DynamoDBClient({
    endpoint: server.endpoint,
    region: 'us-west-2',
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  });
  let conflicts = 0;
  client.middlewareStack.add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        if (
          error instanceof Error &&
          ['ConditionalCheckFailedException', 'TransactionCanceledException'].includes(error.name)
        )
          conflicts += 1;
        throw error;
      }
    },
    { step: 'initialize', name: 'countConflicts' },
  );
  const tableName = 'readiness-bench';
  await createReadinessTable(client, tableName);
  const meter = meterDynamo(client);
  let notifications = 0;
  const clock = () => new Date();
  const deps: ReadinessDeps = {
    store: createDynamoDbReadinessStore({ client, tableName, clock, historyRetentionSeconds: 86_400 }),
    notifier: {
      async notify() {
        notifications += 1;
        return { messageId: String(notifications) };
      },
    },
    clock,
    policy: DEFAULT_READINESS_POLICY,
    messages: { stage: 'bench', region: 'us-west-2', runbookUrl: 'README.md' },
  };
  // The outcome lines would drown the figures.
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  const logger = createLogger('readiness-publisher');
  const onSignal = createEventHandler({
    logger,
    parse: parseSignalEvent,
    origin: { region: 'us-west-2' },
    run: (event) => applySignal(event, deps),
  });
  return {
    handle: (event) =>
      onSignal(
        JSON.parse(JSON.stringify(event)),
        benchLambdaContext('dr-autopilot-bench-readinessPublisher'),
      ),
    meter,
    notifications: () => notifications,
    conflicts: () => conflicts,
    close: async () => {
      client.destroy();
      await server.close();
    },
  };
}

interface PerSignal {
  signals: number;
  requests: number;
  writeUnits: number;
  readUnits: number;
  byCommand: Record<string, number>;
  notifications: number;
}

/** Runs `events` one after the other; DynamoDB requests and capacity units per signal. */
async function measure(target: Publisher, events: SignalEvent[]): Promise<PerSignal> {
  target.meter.reset();
  const before = target.notifications();
  for (const event of events) await target.handle(event);
  const { requests, writeUnits, readUnits, byCommand } = target.meter.snapshot();
  const per = (value: number) => Number((value / events.length).toFixed(2));
  return {
    signals: events.length,
    requests: per(requests),
    writeUnits: per(writeUnits),
    readUnits: per(readUnits),
    byCommand: Object.fromEntries(Object.entries(byCommand).map(([name, count]) => [name, per(count)])),
    notifications: per(target.notifications() - before),
  };
}

/**
 * One workload of `resources` resources, all READY, then per kind of signal (one after the other, so each
 * figure is that kind alone): an unchanged refresh of every resource; a first NOT_READY observation of a
 * resource (a downgrade held until the second); the second, which moves the workload to NOT READY (a
 * transition, notified); a second resource confirmed AT_RISK while the workload stays NOT READY (a resource
 * change only); and the recovery of both, the last moving the workload back to READY.
 */
async function perKind(resources: number, changes: number): Promise<Record<string, PerSignal>> {
  const target = await publisher();
  try {
    const workload = 'payments';
    const ids = Array.from({ length: resources }, (_, index) => `s-${String(index).padStart(17, '0')}`);
    let tick = Date.parse('2026-11-22T00:00:00.000Z');
    const at = () => {
      tick += 1000;
      return new Date(tick).toISOString();
    };
    for (const id of ids) await target.handle(signal(workload, id, 'READY', at()));
    const refresh = await measure(
      target,
      ids.map((id) => signal(workload, id, 'READY', at())),
    );
    const rows: Record<string, PerSignal[]> = {
      pending: [],
      transition: [],
      resourceOnly: [],
      recovery: [],
    };
    for (let round = 0; round < changes; round++) {
      const [first, second] = [ids[(2 * round) % resources], ids[(2 * round + 1) % resources]] as [
        string,
        string,
      ];
      rows.pending?.push(await measure(target, [signal(workload, first, 'NOT_READY', at())]));
      rows.transition?.push(await measure(target, [signal(workload, first, 'NOT_READY', at())]));
      await target.handle(signal(workload, second, 'AT_RISK', at()));
      rows.resourceOnly?.push(await measure(target, [signal(workload, second, 'AT_RISK', at())]));
      await target.handle(signal(workload, second, 'READY', at()));
      rows.recovery?.push(await measure(target, [signal(workload, first, 'READY', at())]));
    }
    const mean = (list: PerSignal[]): PerSignal => {
      const average = (pick: (row: PerSignal) => number) =>
        Number((list.reduce((sum, row) => sum + pick(row), 0) / list.length).toFixed(2));
      const commands = [...new Set(list.flatMap((row) => Object.keys(row.byCommand)))];
      return {
        signals: list.reduce((sum, row) => sum + row.signals, 0),
        requests: average((row) => row.requests),
        writeUnits: average((row) => row.writeUnits),
        readUnits: average((row) => row.readUnits),
        byCommand: Object.fromEntries(
          commands.map((name) => [name, average((row) => row.byCommand[name] ?? 0)]),
        ),
        notifications: average((row) => row.notifications),
      };
    };
    return {
      'unchanged refresh': refresh,
      'downgrade observed, held': mean(rows.pending ?? []),
      'workload transition (READY → NOT READY)': mean(rows.transition ?? []),
      'resource change, workload unchanged': mean(rows.resourceOnly ?? []),
      'workload transition (NOT READY → READY)': mean(rows.recovery ?? []),
    };
  } finally {
    await target.close();
  }
}

async function throughput(
  name: string,
  options: { signals: number; workloads: number; resources: number; concurrency: number; seed: number },
) {
  const target = await publisher();
  const events = signalsFor(options.signals, options.workloads, options.resources, options.seed);
  target.meter.reset();
  const started = performance.now();
  await pool(events, options.concurrency, (event) => target.handle(event));
  const seconds = (performance.now() - started) / 1000;
  const { requests, byCommand } = target.meter.snapshot();
  const result = {
    scenario: name,
    ...options,
    seconds: Number(seconds.toFixed(3)),
    signalsPerSecond: Math.round(options.signals / seconds),
    dynamodbRequests: requests,
    dynamodbRequestsPerSignal: Number((requests / options.signals).toFixed(2)),
    floorRequestsPerSignal: 1,
    /**
     * Refused conditional writes: version conflicts (single writes and cancelled transactions), and refreshes
     * that had to take the long way.
     */
    refusedConditionalWrites: target.conflicts(),
    requestsByCommand: byCommand,
    notifications: target.notifications(),
  };
  await target.close();
  return result;
}

export async function runReadinessBench(): Promise<Record<string, unknown>> {
  const bySize: Record<string, Record<string, PerSignal>> = {};
  for (const resources of [10, 150, 1_000]) bySize[`${resources} resources`] = await perKind(resources, 5);
  console.log('DynamoDB per signal, by kind and workload size (floor: 1 request, 1 write unit)');
  for (const [size, kinds] of Object.entries(bySize)) {
    console.log(size);
    console.table(
      Object.fromEntries(
        Object.entries(kinds).map(([kind, row]) => [
          kind,
          { requests: row.requests, 'write units': row.writeUnits, 'read units': row.readUnits },
        ]),
      ),
    );
  }
  for (const [kind, row] of Object.entries(bySize['150 resources'] ?? {})) console.log(kind, row.byCommand);
  const spread = await throughput('spread: 1,000 signals over 20 workloads x 10 resources, 16 at a time', {
    signals: 1_000,
    workloads: 20,
    resources: 10,
    concurrency: 16,
    seed: 7,
  });
  const contended = await throughput('contended: 300 signals on 1 workload x 4 resources, 16 at a time', {
    signals: 300,
    workloads: 1,
    resources: 4,
    concurrency: 16,
    seed: 11,
  });
  const rows = [spread, contended];
  console.table(
    Object.fromEntries(
      rows.map((row) => [
        row.scenario,
        {
          'signals/s': row.signalsPerSecond,
          'DynamoDB req/signal': row.dynamodbRequestsPerSignal,
          floor: row.floorRequestsPerSignal,
          'refused writes': row.refusedConditionalWrites,
          notifications: row.notifications,
        },
      ]),
    ),
  );
  for (const row of rows) console.log(row.scenario, row.requestsByCommand);
  return { perSignal: bySize, spread, contended };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runReadinessBench();
}
