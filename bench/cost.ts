import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient, paginateScan } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import {
  type BusEvent,
  createSignal,
  isRefreshBatch,
  parseBusEvent,
  type RefreshBatch,
  SIGNAL_SOURCE,
  SIGNAL_TYPES,
} from '../events/dr-autopilot/signal.ts';
import { type Layout, readLayout } from '../scripts/config-check.ts';
import { createIdempotencyTable, createReadinessTable, startDynaliteServer } from '../sim/dynamo.ts';
import { toPutEventsEntry } from '../src/adapters/eventbridge-signals.ts';
import {
  createEmfReplicationMetrics,
  METRICS_NAMESPACE,
  RESOURCE_DETAIL_MESSAGE,
} from '../src/adapters/metrics-emf.ts';
import { createDynamoDbMonitorStateStore } from '../src/adapters/monitor-state-dynamodb.ts';
import { createDynamoDbReadinessStore } from '../src/adapters/readiness-store.ts';
import {
  applyBusEvent,
  parseReadinessTask,
  type ReadinessDeps,
  sweepReadiness,
} from '../src/app/readiness.ts';
import { parseReplicationMonitorEvent, runReplicationMonitor } from '../src/app/replication-monitor.ts';
import { parseIsoDuration } from '../src/domain/duration.ts';
import { DEFAULT_READINESS_POLICY } from '../src/domain/readiness.ts';
import type { ReplicationMetrics } from '../src/ports/monitor-state.ts';
import { accountOf, createEventHandler } from '../src/runtime/handler.ts';
import { createLogger } from '../src/runtime/logger.ts';
import {
  type CostInputs,
  type CostTable,
  costMarkdown,
  costTable,
  type DeploymentFacts,
  dollars,
  type MonitorFigures,
  type ReadinessFigures,
  type ReadinessPerInvocation,
  type SweepFigures,
} from './cost-model.ts';
import {
  type IndexedImage,
  indexedImage,
  indexWriteUnits,
  meterDynamo,
  storedItemBytes,
} from './dynamo-meter.ts';
import { benchLambdaContext } from './lambda-context.ts';
import { replaceBetween } from './markers.ts';
import { ASSUMPTIONS, PRICES_CHECKED_ON } from './prices.ts';
import { fleet, SimulatedDrs, seeded, sweepOnce } from './replication.ts';

/**
 * `npm run bench -- cost`: the monthly AWS bill of a Region pair for 300 and 3,000 DRS servers, per-server metrics
 * off (the default) and on. What can be counted is counted by running the real code:
 * - the replication monitor's handler chain (Logger, the use case, the real EMF adapter in both metrics modes,
 *   the real DynamoDB state store against dynalite) over a simulated fleet: DRS calls, events on the bus (signals
 *   and refresh batches), the resources they carry and their 64 KB chunks, DynamoDB capacity units, EMF and log bytes, distinct metric series, on a first sweep, an unchanged
 *   one and a refresh sweep; its duration against DRS answering in 5–20 ms;
 * - the readiness publisher's handler chain (idempotency included) fed the monitor's own events: requests,
 *   capacity units, log bytes and notifications per refresh batch, per state change and per readiness sweep;
 *   item sizes in the tables;
 * - schedules, memory sizes, retentions, alarms and keys read from serverless.yml and infra/.
 * The rest (state changes a month, Lambda durations not measured, platform log lines, KMS requests, …) are the
 * assumptions of bench/prices.ts, and each line of the table says which it is.
 */
const ROOT = new URL('../', import.meta.url).pathname;
const ACCOUNT = '111122223333';
const REGION = 'us-west-2';
const PRIMARY_REGION = 'us-east-1';
const STAGE = 'prod';

// --- What serverless.yml deploys -------------------------------------------------------------------------------

const UNIT_SECONDS: Record<string, number> = { minute: 60, hour: 3_600, day: 86_400 };

/** Runs a month of an EventBridge schedule expression (rate, or a cron of the shapes serverless.yml uses). */
export function runsPerMonth(expression: string): number {
  const monthSeconds = ASSUMPTIONS.hoursPerMonth * 3_600;
  const rate = /^rate\((\d+) (minute|hour|day)s?\)$/.exec(expression);
  if (rate) return monthSeconds / (Number(rate[1]) * (UNIT_SECONDS[rate[2] as string] ?? 0));
  const cron = /^cron\((\S+) (\S+) (\S+) (\S+) (\S+) (\S+)\)$/.exec(expression);
  if (!cron) throw new Error(`cannot count the runs of schedule ${expression}`);
  const [, minutes, hours, dayOfMonth, , dayOfWeek] = cron as unknown as string[];
  const values = (field: string, size: number) => {
    if (field === '*' || field === '?') return size;
    return field.split(',').reduce((sum, part) => {
      const step = /^(\*|\d+)\/(\d+)$/.exec(part);
      if (step) return sum + Math.ceil((size - (step[1] === '*' ? 0 : Number(step[1]))) / Number(step[2]));
      const range = /^(\w+)-(\w+)$/.exec(part);
      if (range && /^\d+$/.test(range[1] as string)) return sum + Number(range[2]) - Number(range[1]) + 1;
      if (range) return sum + 5; // MON-FRI
      return sum + 1;
    }, 0);
  };
  const daysInMonth = ASSUMPTIONS.hoursPerMonth / 24;
  const days =
    dayOfWeek !== '?' && dayOfWeek !== '*'
      ? (values(dayOfWeek as string, 7) * daysInMonth) / 7
      : dayOfMonth === '*' || dayOfMonth === '?'
        ? daysInMonth
        : values(dayOfMonth as string, 31);
  return values(minutes as string, 60) * values(hours as string, 24) * days;
}

/** Conditions that hold in one Region of the pair only (infra/readiness-pair.yml). */
const REGION_CONDITIONS = new Set(['OwnsReadiness', 'ForwardsReadiness']);

const param = (layout: Layout, name: string): string => {
  const value = layout.params.default?.[name];
  if (value === undefined || value === null) throw new Error(`serverless.yml has no default for ${name}`);
  return String(value);
};
const days = (duration: string) => (parseIsoDuration(duration) ?? 0) / 86_400;

/** Schedules, memory, retentions and resource counts of the shipped deployment. */
export function deploymentFacts(layout: Layout = readLayout()): DeploymentFacts {
  const providerMemory = Number(layout.provider.memorySize ?? 1024);
  const memoryOf = (name: string) => Number(layout.functions[name]?.memorySize ?? providerMemory);
  const schedulesOf = (name: string) =>
    ((layout.functions[name]?.events ?? []) as { eventBridge?: { schedule?: string } }[])
      .map((event) => event.eventBridge?.schedule)
      .filter((schedule): schedule is string => typeof schedule === 'string')
      .map((schedule) => schedule.replace(/^\$\{param:([^}]+)\}$/, (_, name: string) => param(layout, name)));
  const monitorSchedule = param(layout, 'replicationMonitorSchedule');
  const interval = (ASSUMPTIONS.hoursPerMonth * 3_600) / runsPerMonth(monitorSchedule);
  const refresh = parseIsoDuration(param(layout, 'replicationRefreshAfter')) ?? interval;
  const countOf = (type: string) => Object.values(layout.resourceTypes).filter((t) => t === type).length;
  /** Resources of a type in the two deployments: once where a Region condition limits it, else twice. */
  const inPairOf = (type: string) =>
    Object.entries(layout.resourceTypes)
      .filter(([, t]) => t === type)
      .reduce((sum, [id]) => sum + (REGION_CONDITIONS.has(layout.resourceConditions[id] ?? '') ? 1 : 2), 0);
  return {
    monitorSweepsPerMonth: runsPerMonth(monitorSchedule),
    sweepsPerRefresh: Math.max(1, Math.ceil(refresh / interval)),
    monitorMemoryMb: memoryOf('replicationMonitor'),
    readinessMemoryMb: memoryOf('readinessPublisher'),
    readinessSweepsPerMonth: runsPerMonth(param(layout, 'readinessSweepSchedule')),
    readinessDigestsPerMonth: runsPerMonth(param(layout, 'readinessDigestSchedule')),
    otherScheduled: Object.keys(layout.functions)
      .filter((name) => name !== 'replicationMonitor' && name !== 'readinessPublisher')
      .flatMap((name) =>
        schedulesOf(name).map((schedule) => ({
          name,
          runsPerMonth: runsPerMonth(schedule),
          memoryMb: memoryOf(name),
          regions: layout.functions[name]?.condition ? 1 : 2,
        })),
      ),
    alarmsPerRegion: countOf('AWS::CloudWatch::Alarm'),
    kmsKeysInPair: inPairOf('AWS::KMS::Key'),
    logRetentionDays: Number(layout.provider.logRetentionInDays ?? 0) || 3_650,
    historyRetentionDays: days(param(layout, 'readinessHistoryRetention')),
    // src/runtime/idempotency.ts: idempotency records expire after a day.
    idempotencyRetentionDays: 1,
  };
}

// --- Output, counted rather than printed ----------------------------------------------------------------------

type Kind = 'emfOff' | 'emfOn' | 'detail' | 'other';
const zero = (): Record<Kind, number> => ({ emfOff: 0, emfOn: 0, detail: 0, other: 0 });

/** Everything written to stdout and stderr while it runs, counted by kind instead of printed. */
class OutputMeter {
  bytes = zero();
  lines = zero();
  /** Which metrics adapter is flushing: its EMF lines are that mode's. */
  mode: 'off' | 'on' = 'off';
  readonly seriesOff = new Set<string>();
  readonly seriesOn = new Set<string>();
  private restore: (() => void) | undefined;

  start(): void {
    const out = process.stdout.write;
    const err = process.stderr.write;
    const capture = ((chunk: string | Uint8Array) => {
      this.record(chunk.toString());
      return true;
    }) as typeof process.stdout.write;
    process.stdout.write = capture;
    process.stderr.write = capture;
    this.restore = () => {
      process.stdout.write = out;
      process.stderr.write = err;
    };
  }

  stop(): void {
    this.restore?.();
  }

  reset(): { bytes: Record<Kind, number>; lines: Record<Kind, number> } {
    const figures = { bytes: this.bytes, lines: this.lines };
    this.bytes = zero();
    this.lines = zero();
    return figures;
  }

  private record(text: string): void {
    for (const line of text.split('\n')) {
      if (line.length === 0) continue;
      let kind: Kind = 'other';
      if (line.startsWith('{"_aws"')) {
        kind = this.mode === 'on' ? 'emfOn' : 'emfOff';
        this.addSeries(line, this.mode === 'on' ? this.seriesOn : this.seriesOff);
      } else if (line.includes(`"message":"${RESOURCE_DETAIL_MESSAGE}"`)) {
        kind = 'detail';
      }
      this.bytes[kind] += Buffer.byteLength(line);
      this.lines[kind] += 1;
    }
  }

  private addSeries(line: string, series: Set<string>): void {
    const document = JSON.parse(line) as Record<string, unknown> & {
      _aws: {
        CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[];
      };
    };
    for (const directive of document._aws.CloudWatchMetrics) {
      for (const dimensionSet of directive.Dimensions) {
        const dimensions = dimensionSet.map((name) => `${name}=${String(document[name])}`).join(',');
        for (const metric of directive.Metrics)
          series.add(`${directive.Namespace}|${metric.Name}|${dimensions}`);
      }
    }
  }
}

/** Bytes EventBridge bills a PutEvents entry for ("Calculating PutEvents event entry size"), and its chunks. */
function entrySize(event: BusEvent): number {
  const entry = toPutEventsEntry(event, 'dr-autopilot-prod');
  return (
    14 +
    Buffer.byteLength(entry.Source ?? '') +
    Buffer.byteLength(entry.DetailType ?? '') +
    Buffer.byteLength(entry.Detail ?? '') +
    (entry.Resources ?? []).reduce((sum, arn) => sum + Buffer.byteLength(arn), 0)
  );
}

async function tableBytes(client: DynamoDBClient, tableName: string, filter?: (sk: string) => boolean) {
  let bytes = 0;
  let items = 0;
  for await (const page of paginateScan({ client }, { TableName: tableName })) {
    for (const item of page.Items ?? []) {
      const sk = (item.sk as { S?: string } | undefined)?.S ?? '';
      if (filter && !filter(sk)) continue;
      bytes += storedItemBytes(item as Record<string, unknown>);
      items += 1;
    }
  }
  return { bytes, items };
}

/**
 * One scan of the readiness table: how many history items it holds, and its state items as the `open` index
 * sees them (history items are never in the index).
 */
async function readinessSnapshot(
  client: DynamoDBClient,
  tableName: string,
): Promise<{ historyItems: number; images: Map<string, IndexedImage> }> {
  let historyItems = 0;
  const images = new Map<string, IndexedImage>();
  for await (const page of paginateScan({ client }, { TableName: tableName, ConsistentRead: true })) {
    for (const item of page.Items ?? []) {
      const sk = (item.sk as { S?: string } | undefined)?.S ?? '';
      if (sk.startsWith('history#')) historyItems += 1;
      else images.set(`${(item.pk as { S?: string }).S}|${sk}`, indexedImage(item, 'openPk', 'openSk'));
    }
  }
  return { historyItems, images };
}

/** A client of its own per measurement, so each counts only its own requests. */
function dynamoClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: REGION,
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  });
}

// --- The replication monitor ----------------------------------------------------------------------------------

interface MonitorRun {
  figures: MonitorFigures;
  /**
   * The events of the first sweep (a signal per resource, every one new) and of the refresh sweep (every resource
   * unchanged: refresh batches).
   */
  firstSignals: BusEvent[];
  refreshSignals: BusEvent[];
}

async function measureMonitor(
  servers: number,
  facts: { defaultRpoSeconds: number; refreshAfterSeconds: number; concurrency: number },
  endpoint: string,
): Promise<MonitorRun> {
  const dynamo = { client: dynamoClient(endpoint) };
  const random = seeded(servers + 1);
  const world = fleet(servers, random);
  const drs = new SimulatedDrs(world, random, false);
  const tableName = `monitor-${servers}`;
  await createReadinessTable(dynamo.client, tableName);
  const meter = meterDynamo(dynamo.client);
  const state = createDynamoDbMonitorStateStore({ client: dynamo.client, tableName });
  const output = new OutputMeter();
  const logger = createLogger('replication-monitor');
  const emf = (perResource: boolean) =>
    createEmfReplicationMetrics({
      metrics: new Metrics({
        namespace: METRICS_NAMESPACE,
        serviceName: 'dr-autopilot',
        defaultDimensions: { Deployment: `dr-autopilot-${STAGE}` },
      }),
      perResource,
      // The per-server lines are the same in both modes: written once.
      log: perResource ? { info: () => undefined } : logger,
    });
  const off = emf(false);
  const on = emf(true);
  const metrics: ReplicationMetrics = {
    recordResource: (values) => {
      off.recordResource(values);
      on.recordResource(values);
    },
    recordWorkload: (workload, values) => {
      off.recordWorkload(workload, values);
      on.recordWorkload(workload, values);
    },
    recordDeployment: (values) => {
      off.recordDeployment(values);
      on.recordDeployment(values);
    },
    recordResourceDetail: (detail) => {
      off.recordResourceDetail(detail);
      on.recordResourceDetail(detail);
    },
    flush: () => {
      output.mode = 'off';
      off.flush();
      output.mode = 'on';
      on.flush();
      output.mode = 'off';
    },
  };
  const published: BusEvent[] = [];
  let refreshAfterSeconds = facts.refreshAfterSeconds;
  // The handler chain functions/replication-monitor.ts builds, with these ports.
  const handler = createEventHandler({
    logger,
    parse: parseReplicationMonitorEvent,
    run: (trigger, context: Context) =>
      runReplicationMonitor(trigger, {
        drs,
        signals: {
          async publish(signals) {
            published.push(...signals);
          },
        },
        state,
        metrics,
        clock: () => new Date(),
        dryRun: false,
        policy: {
          account: accountOf(context),
          region: REGION,
          defaultRpoSeconds: facts.defaultRpoSeconds,
          backlogToleranceBytes: 0,
          concurrency: facts.concurrency,
          refreshAfterSeconds,
        },
      }),
  });
  const sweep = async (): Promise<{ figures: SweepFigures; signals: BusEvent[] }> => {
    const calls = () => Object.values(drs.calls).reduce((sum, count) => sum + count, 0);
    const callsBefore = calls();
    const signalsBefore = published.length;
    meter.reset();
    output.reset();
    output.start();
    try {
      await handler(
        {
          version: '0',
          id: randomUUID(),
          'detail-type': 'Scheduled Event',
          source: 'aws.events',
          account: ACCOUNT,
          time: new Date().toISOString(),
          region: REGION,
          resources: [`arn:aws:events:${REGION}:${ACCOUNT}:rule/dr-autopilot-${STAGE}-replication-monitor`],
          detail: {},
        },
        benchLambdaContext(`dr-autopilot-${STAGE}-replicationMonitor`),
      );
    } finally {
      output.stop();
    }
    const signals = published.slice(signalsBefore);
    const sizes = signals.map(entrySize);
    const { bytes, lines } = output.reset();
    const dynamoFigures = meter.snapshot();
    return {
      signals,
      figures: {
        drsCalls: calls() - callsBefore,
        signals: signals.length,
        resources: signals.reduce(
          (sum, event) => sum + (isRefreshBatch(event) ? event.detail.items.length : 1),
          0,
        ),
        signalChunks: sizes.reduce((sum, size) => sum + Math.ceil(size / 65_536), 0),
        signalBytes: sizes.reduce((sum, size) => sum + size, 0),
        dynamo: {
          requests: dynamoFigures.requests,
          writeUnits: dynamoFigures.writeUnits,
          readUnits: dynamoFigures.readUnits,
        },
        bytes,
        lines,
      },
    };
  };

  const first = await sweep();
  const unchanged = await sweep();
  // Every unchanged finding due for its refresh, as on the sweep MONITOR_REFRESH_AFTER later (a zero window
  // stands for that sweep without letting the simulated snapshots age into other states).
  refreshAfterSeconds = 0;
  const refresh = await sweep();
  const latency = await sweepOnce(servers, facts.concurrency, servers + 1, false);
  const stored = await tableBytes(dynamo.client, tableName);
  return {
    firstSignals: first.signals,
    refreshSignals: refresh.signals,
    figures: {
      servers,
      workloads: new Set(first.signals.map((event) => event.detail.workload)).size,
      first: first.figures,
      unchanged: unchanged.figures,
      refresh: refresh.figures,
      seriesOff: output.seriesOff.size,
      seriesOn: output.seriesOn.size,
      workloadSeries: [...output.seriesOff].filter((series) => series.includes('Workload=')).length,
      sweepMsSimulatedLatency: latency.wallMs,
      stateBytes: stored.bytes,
    },
  };
}

// --- The readiness publisher ----------------------------------------------------------------------------------

async function measureReadiness(
  run: MonitorRun,
  options: { historyRetentionSeconds: number },
  endpoint: string,
): Promise<ReadinessFigures> {
  const client = dynamoClient(endpoint);
  const tableName = `readiness-${run.figures.servers}`;
  const idempotencyTable = `idempotency-${run.figures.servers}`;
  await createReadinessTable(client, tableName);
  await createIdempotencyTable(client, idempotencyTable);
  const meter = meterDynamo(client);
  const output = new OutputMeter();
  let notifications = 0;
  const clock = () => new Date();
  const deps: ReadinessDeps = {
    store: createDynamoDbReadinessStore({
      client,
      tableName,
      clock,
      historyRetentionSeconds: options.historyRetentionSeconds,
    }),
    notifier: {
      async notify() {
        notifications += 1;
        return { messageId: String(notifications) };
      },
    },
    clock,
    policy: DEFAULT_READINESS_POLICY,
    messages: { stage: STAGE, region: REGION, runbookUrl: 'docs/runbook.md' },
  };
  const logger = createLogger('readiness-publisher');
  // The two handler chains functions/readiness-publisher.ts builds.
  const onSignal = createEventHandler({
    logger,
    parse: parseBusEvent,
    origin: { region: REGION, alsoFromRegions: [PRIMARY_REGION] },
    run: (event) => applyBusEvent(event, deps),
  });
  const onTask = createEventHandler({
    logger,
    parse: parseReadinessTask,
    run: () => sweepReadiness(deps),
  });
  const context = benchLambdaContext(`dr-autopilot-${STAGE}-readinessPublisher`);
  // What EventBridge delivers: the handler parses it (the contract check is part of the measured work).
  const event = (signal: BusEvent) => ({
    version: '0',
    id: randomUUID(),
    'detail-type': signal.type,
    source: SIGNAL_SOURCE,
    account: ACCOUNT,
    time: signal.detail.observedAt,
    region: REGION,
    resources: toPutEventsEntry(signal, 'bus').Resources,
    detail: signal.detail,
  });
  /**
   * Runs `work` and gives its figures per input (`count` of them): requests and capacity units (plus the `open`
   * index's writes, from the table before and after), log output, notifications, history items written.
   */
  const measure = async (count: number, work: () => Promise<unknown>): Promise<ReadinessPerInvocation> => {
    const before = await readinessSnapshot(client, tableName);
    meter.reset();
    output.reset();
    const sent = notifications;
    output.start();
    try {
      await work();
    } finally {
      output.stop();
    }
    const used = meter.snapshot();
    const written = output.reset();
    const after = await readinessSnapshot(client, tableName);
    return perInvocation(
      count,
      notifications - sent,
      { ...used, writeUnits: used.writeUnits + indexWriteUnits(before.images, after.images) },
      written,
      after.historyItems - before.historyItems,
    );
  };
  /** Feeds events 8 at a time (EventBridge invokes concurrently); figures per event (a signal or a batch). */
  const feed = (signals: BusEvent[]): Promise<ReadinessPerInvocation> => {
    let index = 0;
    return measure(signals.length, () =>
      Promise.all(
        Array.from({ length: 8 }, async () => {
          while (index < signals.length) {
            const signal = signals[index++] as BusEvent;
            await onSignal(event(signal), context);
          }
        }),
      ),
    );
  };

  await feed(run.firstSignals);
  const refresh = await feed(run.refreshSignals);
  // State changes: one resource in 20 turns AT_RISK, then READY again (two change signals each).
  const refreshed = run.refreshSignals.filter(isRefreshBatch);
  const changing = refreshed
    .flatMap((batch) => batch.detail.items.map((item) => ({ batch, item })))
    .filter((_, position) => position % 20 === 0);
  const flip = (
    { batch, item }: { batch: RefreshBatch; item: RefreshBatch['detail']['items'][number] },
    state: 'AT_RISK' | 'READY',
  ) => {
    const { signalId: _signalId, ...detail } = item;
    return createSignal({
      ...detail,
      type: SIGNAL_TYPES.replicationStatusChanged,
      workload: batch.detail.workload,
      dryRun: batch.detail.dryRun,
      observedAt: new Date().toISOString(),
      assessment: { ...detail.assessment, state },
      evidence: { ...detail.evidence, refresh: false },
      correlationId: randomUUID(),
    });
  };
  const down = await feed(changing.map((signal) => flip(signal, 'AT_RISK')));
  const up = await feed(changing.map((signal) => flip(signal, 'READY')));
  const change = average([down, up]);
  const sweep = await measure(1, () => onTask({ task: 'sweep' }, context));
  const history = await tableBytes(client, tableName, (sk) => sk.startsWith('history#'));
  const state = await tableBytes(client, tableName, (sk) => !sk.startsWith('history#'));
  const idempotency = await tableBytes(client, idempotencyTable);
  return {
    resources: refreshed.reduce((sum, batch) => sum + batch.detail.items.length, 0),
    refreshBatches: refreshed.length,
    refresh,
    change,
    sweep,
    historyItemBytes: history.items > 0 ? history.bytes / history.items : 0,
    stateBytes: state.bytes,
    idempotencyItemBytes: idempotency.items > 0 ? idempotency.bytes / idempotency.items : 0,
  };
}

function perInvocation(
  count: number,
  notifications: number,
  dynamo: { requests: number; writeUnits: number; readUnits: number },
  output: { bytes: Record<Kind, number>; lines: Record<Kind, number> },
  historyItems: number,
): ReadinessPerInvocation {
  const total = (values: Record<Kind, number>) =>
    Object.values(values).reduce((sum, value) => sum + value, 0);
  const per = (value: number) => Number((value / Math.max(1, count)).toFixed(3));
  return {
    requests: per(dynamo.requests),
    writeUnits: per(dynamo.writeUnits),
    readUnits: per(dynamo.readUnits),
    logBytes: per(total(output.bytes)),
    logLines: per(total(output.lines)),
    notifications: per(notifications),
    historyItems: per(historyItems),
  };
}

function average(rows: ReadinessPerInvocation[]): ReadinessPerInvocation {
  const keys = Object.keys(rows[0] ?? {}) as (keyof ReadinessPerInvocation)[];
  return Object.fromEntries(
    keys.map((key) => [key, Number((rows.reduce((sum, row) => sum + row[key], 0) / rows.length).toFixed(3))]),
  ) as unknown as ReadinessPerInvocation;
}

// --- The run ----------------------------------------------------------------------------------------------------

export async function measureCostInputs(): Promise<CostInputs> {
  const layout = readLayout();
  const facts = deploymentFacts(layout);
  const monitorFacts = {
    defaultRpoSeconds: parseIsoDuration(param(layout, 'defaultRpo')) ?? 900,
    refreshAfterSeconds: parseIsoDuration(param(layout, 'replicationRefreshAfter')) ?? 900,
    concurrency: Number(param(layout, 'replicationMonitorConcurrency')),
  };
  const server = await startDynaliteServer();
  const dynamo = server.endpoint;
  try {
    const primary = await measureMonitor(ASSUMPTIONS.primaryRegionServers, monitorFacts, dynamo);
    const monitor: Record<number, MonitorFigures> = {};
    const readiness: Record<number, ReadinessFigures> = {};
    for (const servers of ASSUMPTIONS.fleets) {
      const run = await measureMonitor(servers, monitorFacts, dynamo);
      monitor[servers] = run.figures;
      readiness[servers] = await measureReadiness(
        run,
        { historyRetentionSeconds: parseIsoDuration(param(layout, 'readinessHistoryRetention')) ?? 0 },
        dynamo,
      );
    }
    return { facts, monitor, primaryMonitor: primary.figures, readiness };
  } finally {
    await server.close();
  }
}

const DOCS_BEGIN = '<!-- cost-model:begin (generated by npm run bench -- cost) -->';
const DOCS_END = '<!-- cost-model:end -->';
const README_BEGIN = '<!-- cost-summary:begin (generated by npm run bench -- cost) -->';
const README_END = '<!-- cost-summary:end -->';

const thousands = (value: number) => Math.round(value).toLocaleString('en-US');

/** The generated part of docs/benchmarks.md: the table, then the counts it multiplied. */
export function docsSection(table: CostTable, inputs: CostInputs): string {
  const counts = (key: string) => table.counts[key] ?? {};
  const m300 = inputs.monitor[300];
  const m3000 = inputs.monitor[3_000];
  const r3000 = inputs.readiness[3_000];
  const mb = (gb: number) => `${thousands(gb * 1000)} MB`;
  const lines = [
    `Prices: ${table.region}, checked ${table.pricesCheckedOn} (\`bench/prices.ts\`, with sources); no free tier applied.`,
    '',
    costMarkdown(table),
    '',
    'The counts behind it, a month (both Regions):',
    '',
    '| count | 300 servers | 3,000 servers |',
    '|---|---:|---:|',
    `| resources assessed (servers and reversed recovery instances) | ${thousands(counts('300/off').resources ?? 0)} | ${thousands(counts('3000/off').resources ?? 0)} |`,
    `| monitor sweeps (both Regions) / DRS API calls | ${thousands(counts('300/off').monitorSweeps ?? 0)} / ${thousands(counts('300/off').drsCalls ?? 0)} | ${thousands(counts('3000/off').monitorSweeps ?? 0)} / ${thousands(counts('3000/off').drsCalls ?? 0)} |`,
    `| events on the bus: signals and refresh batches (readiness-publisher invocations) | ${thousands(counts('300/off').signals ?? 0)} | ${thousands(counts('3000/off').signals ?? 0)} |`,
    `| metric series, per-server metrics off / on | ${counts('300/off').metricSeries} / ${counts('300/on').metricSeries} | ${counts('3000/off').metricSeries} / ${counts('3000/on').metricSeries} |`,
    `| EMF log data, per-server metrics off / on | ${mb(counts('300/off').emfGb ?? 0)} / ${mb(counts('300/on').emfGb ?? 0)} | ${mb(counts('3000/off').emfGb ?? 0)} / ${mb(counts('3000/on').emfGb ?? 0)} |`,
    `| per-server values in the log (\`replication-resources\`) | ${mb(counts('300/off').perServerLogGb ?? 0)} | ${mb(counts('3000/off').perServerLogGb ?? 0)} |`,
    `| other log data | ${mb(counts('300/off').otherLogGb ?? 0)} | ${mb(counts('3000/off').otherLogGb ?? 0)} |`,
    `| DynamoDB write / read units: monitor state | ${thousands(counts('300/off').monitorWriteUnits ?? 0)} / ${thousands(counts('300/off').monitorReadUnits ?? 0)} | ${thousands(counts('3000/off').monitorWriteUnits ?? 0)} / ${thousands(counts('3000/off').monitorReadUnits ?? 0)} |`,
    `| DynamoDB write / read units: readiness | ${thousands(counts('300/off').readinessWriteUnits ?? 0)} / ${thousands(counts('300/off').readinessReadUnits ?? 0)} | ${thousands(counts('3000/off').readinessWriteUnits ?? 0)} / ${thousands(counts('3000/off').readinessReadUnits ?? 0)} |`,
    `| DynamoDB stored | ${(counts('300/off').storedGb ?? 0).toFixed(2)} GB | ${(counts('3000/off').storedGb ?? 0).toFixed(2)} GB |`,
    '',
    `Measured per sweep (3,000 servers): ${thousands(m3000?.first.drsCalls ?? 0)} DRS calls; ${thousands(m3000?.refresh.resources ?? 0)} resources refreshed on a refresh sweep in ${thousands(m3000?.refresh.signals ?? 0)} \`Replication Status Refreshed\` batches of ${thousands(m3000?.refresh.signalChunks ?? 0)} 64 KB chunks (${thousands((m3000?.refresh.signalBytes ?? 0) / Math.max(1, m3000?.refresh.signals ?? 1))} bytes a batch), ${m3000?.unchanged.signals ?? 0} events on an unchanged one; per-server log lines ${thousands(m3000?.refresh.bytes.detail ?? 0)} bytes on a refresh sweep (${Math.round((m3000?.refresh.bytes.detail ?? 0) / Math.max(1, m3000?.refresh.resources ?? 1))} bytes a resource) and ${thousands(m3000?.unchanged.bytes.detail ?? 0)} on an unchanged one (the resources not \`READY\`); EMF ${thousands(m3000?.first.bytes.emfOff ?? 0)} bytes per-server metrics off, ${thousands(m3000?.first.bytes.emfOn ?? 0)} on; a sweep ${((m3000?.sweepMsSimulatedLatency ?? 0) / 1000).toFixed(1)} s against the simulated DRS (${((m300?.sweepMsSimulatedLatency ?? 0) / 1000).toFixed(1)} s at 300). Readiness publisher per refresh batch (${Math.round((r3000?.resources ?? 0) / Math.max(1, r3000?.refreshBatches ?? 1))} resources a batch on average, every one unchanged): ${r3000?.refresh.requests} DynamoDB requests, ${r3000?.refresh.writeUnits} write and ${r3000?.refresh.readUnits} read units, ${thousands(r3000?.refresh.logBytes ?? 0)} log bytes in ${r3000?.refresh.logLines} line(s); per state change: ${r3000?.change.requests} requests, ${r3000?.change.writeUnits} write and ${r3000?.change.readUnits} read units (workloads of ${Math.round((r3000?.resources ?? 0) / Math.max(1, m3000?.workloads ?? 1))} resources); a readiness sweep: ${r3000?.sweep.requests} requests, ${r3000?.sweep.readUnits} read units.`,
  ];
  return lines.join('\n');
}

/** The README's few lines: the totals, and where the rest is. */
export function readmeSection(table: CostTable): string {
  const total = (key: string) => dollars(table.totals[key] ?? 0);
  return [
    '| a month, both Regions (us-east-1 prices) | 300 DRS servers | 3,000 DRS servers |',
    '|---|---:|---:|',
    `| default (per-server metrics off) | ${total('300/off')} | ${total('3000/off')} |`,
    `| per-server metrics on (\`replicationPerResourceMetrics\`) | ${total('300/on')} | ${total('3000/on')} |`,
  ].join('\n');
}

export async function runCostBench(): Promise<Record<string, unknown>> {
  const inputs = await measureCostInputs();
  const table = costTable(inputs);
  console.table(
    Object.fromEntries(
      [...table.items, { item: 'TOTAL', usd: table.totals }].map((line) => [
        line.item,
        Object.fromEntries(table.columns.map((column) => [column.key, dollars(line.usd[column.key] ?? 0)])),
      ]),
    ),
  );
  const docs = join(ROOT, 'docs/benchmarks.md');
  if (existsSync(docs)) {
    writeFileSync(
      docs,
      replaceBetween(readFileSync(docs, 'utf8'), DOCS_BEGIN, DOCS_END, docsSection(table, inputs)),
    );
  }
  const readme = join(ROOT, 'README.md');
  writeFileSync(
    readme,
    replaceBetween(readFileSync(readme, 'utf8'), README_BEGIN, README_END, readmeSection(table)),
  );
  console.log('docs/benchmarks.md and README.md: cost sections regenerated');
  return { pricesCheckedOn: PRICES_CHECKED_ON, assumptions: ASSUMPTIONS, inputs, table };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runCostBench();
}
