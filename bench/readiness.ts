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

/**
 * The readiness publisher's throughput against dynalite (in process, on loopback) and its DynamoDB cost:
 * requests per signal, against the floor of one conditional update per signal. Two scenarios: signals spread
 * over many workloads (little contention) and all signals on one workload's few resources (heavy contention:
 * conditional-write conflicts and retries). No assertion on time: compare runs on the same machine.
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

async function scenario(
  name: string,
  options: { signals: number; workloads: number; resources: number; concurrency: number; seed: number },
) {
  const server = await startDynaliteServer();
  const client = new DynamoDBClient({
    endpoint: server.endpoint,
    region: 'us-west-2',
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  });
  const byCommand: Record<string, number> = {};
  let conflicts = 0;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = String(context.commandName ?? 'unknown').replace(/Command$/, '');
      byCommand[command] = (byCommand[command] ?? 0) + 1;
      try {
        return await next(args);
      } catch (error) {
        if (error instanceof Error && error.name === 'ConditionalCheckFailedException') conflicts += 1;
        throw error;
      }
    },
    { step: 'initialize', name: 'countRequests' },
  );
  const tableName = 'readiness-bench';
  await createReadinessTable(client, tableName);
  for (const key of Object.keys(byCommand)) delete byCommand[key];
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
  const events = signalsFor(options.signals, options.workloads, options.resources, options.seed);
  const started = performance.now();
  await pool(events, options.concurrency, (event) => applySignal(event, deps));
  const seconds = (performance.now() - started) / 1000;
  client.destroy();
  await server.close();
  const requests = Object.values(byCommand).reduce((sum, count) => sum + count, 0);
  return {
    scenario: name,
    ...options,
    seconds: Number(seconds.toFixed(3)),
    signalsPerSecond: Math.round(options.signals / seconds),
    dynamodbRequests: requests,
    dynamodbRequestsPerSignal: Number((requests / options.signals).toFixed(2)),
    floorRequestsPerSignal: 1,
    ratioToFloor: Number((requests / options.signals).toFixed(2)),
    conditionalConflicts: conflicts,
    requestsByCommand: { ...byCommand },
    notifications,
  };
}

export async function runReadinessBench(): Promise<Record<string, unknown>> {
  const spread = await scenario('spread: 1,000 signals over 20 workloads x 10 resources, 16 at a time', {
    signals: 1_000,
    workloads: 20,
    resources: 10,
    concurrency: 16,
    seed: 7,
  });
  const contended = await scenario('contended: 300 signals on 1 workload x 4 resources, 16 at a time', {
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
          conflicts: row.conditionalConflicts,
          notifications: row.notifications,
        },
      ]),
    ),
  );
  for (const row of rows) console.log(row.scenario, row.requestsByCommand);
  return { spread, contended };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runReadinessBench();
}
