import { ASSUMPTIONS, PRICES, PRICES_CHECKED_ON, PRICES_REGION } from './prices.ts';

/**
 * The monthly cost model: measured counts (what `bench/cost.ts` gets by running the real code) times the prices
 * and assumptions of `bench/prices.ts`. Pure: counts in, line items out, so it is tested on its own.
 */

/** What one sweep of the replication monitor did, through its real handler chain. */
export interface SweepFigures {
  drsCalls: number;
  /** Events put on the bus: per-resource signals and refresh batches. */
  signals: number;
  /** Resources those events carry (a signal one, a refresh batch its items). */
  resources: number;
  /** EventBridge's billing unit: each 64 KB chunk of a PutEvents entry. */
  signalChunks: number;
  signalBytes: number;
  dynamo: { requests: number; writeUnits: number; readUnits: number };
  /** Log bytes (messages), by kind: EMF in each metrics mode, per-server lines, everything else. */
  bytes: { emfOff: number; emfOn: number; detail: number; other: number };
  /** Log events, by the same kinds. */
  lines: { emfOff: number; emfOn: number; detail: number; other: number };
}

export interface MonitorFigures {
  servers: number;
  workloads: number;
  first: SweepFigures;
  unchanged: SweepFigures;
  refresh: SweepFigures;
  /** Distinct metric series over the three sweeps, per mode. */
  seriesOff: number;
  seriesOn: number;
  /**
   * Of those, the series with a `Workload` dimension (the same in both modes): written only while a workload has
   * a resource in trouble, so billed for those hours only. The fleet has trouble in every workload.
   */
  workloadSeries: number;
  /** A first sweep against DRS answering in 5–20 ms a call, concurrency 10. */
  sweepMsSimulatedLatency: number;
  /** Stored bytes of the monitor's state items. */
  stateBytes: number;
}

/**
 * Per event (a signal, a refresh batch, or a sweep) through the readiness publisher's real handler chain,
 * idempotency included.
 */
export interface ReadinessPerInvocation {
  requests: number;
  writeUnits: number;
  readUnits: number;
  logBytes: number;
  logLines: number;
  notifications: number;
  /** History items written (each kept for the history retention): none for an unchanged refresh. */
  historyItems: number;
}

export interface ReadinessFigures {
  resources: number;
  /** The refresh batches those resources came in (a refresh sweep's events). */
  refreshBatches: number;
  /** Per refresh batch (every item unchanged). */
  refresh: ReadinessPerInvocation;
  change: ReadinessPerInvocation;
  sweep: ReadinessPerInvocation;
  /** Stored bytes: one history item (average), the resource and workload items, one idempotency record. */
  historyItemBytes: number;
  stateBytes: number;
  idempotencyItemBytes: number;
}

/** Read from serverless.yml and the infra it includes (the shipped defaults). */
export interface DeploymentFacts {
  monitorSweepsPerMonth: number;
  /** Sweeps between two refreshes of an unchanged finding (refresh window / schedule interval, rounded up). */
  sweepsPerRefresh: number;
  monitorMemoryMb: number;
  readinessMemoryMb: number;
  readinessSweepsPerMonth: number;
  readinessDigestsPerMonth: number;
  /** Other scheduled functions of one Region: runs a month and memory, by function. */
  otherScheduled: { name: string; runsPerMonth: number; memoryMb: number; regions: number }[];
  alarmsPerRegion: number;
  /** Customer managed keys in the two deployments (the topic's key is in the recovery Region only). */
  kmsKeysInPair: number;
  logRetentionDays: number;
  historyRetentionDays: number;
  idempotencyRetentionDays: number;
}

export interface CostInputs {
  facts: DeploymentFacts;
  /** The recovery Region's monitor at each fleet size, and the primary Region's (an empty DRS). */
  monitor: Record<number, MonitorFigures>;
  primaryMonitor: MonitorFigures;
  /** The readiness publisher fed each fleet's signals. */
  readiness: Record<number, ReadinessFigures>;
}

export type Basis = 'measured' | 'estimated' | 'measured × estimated';

export interface LineItem {
  item: string;
  basis: Basis;
  /** How the figure is made, in a few words. */
  how: string;
  /** USD a month, by column key (`300/off`, `300/on`, …). */
  usd: Record<string, number>;
  /** Not part of the total (an opt-in). */
  optional?: boolean;
}

export interface CostTable {
  pricesCheckedOn: string;
  region: string;
  columns: { key: string; servers: number; perServerMetrics: boolean }[];
  items: LineItem[];
  totals: Record<string, number>;
  /** The counts behind the dollars, per column: what was multiplied. */
  counts: Record<string, Record<string, number>>;
}

const GB = 1e9;
const MODES = [false, true] as const;

export function costTable(inputs: CostInputs): CostTable {
  const { facts } = inputs;
  const columns = ASSUMPTIONS.fleets.flatMap((servers) =>
    MODES.map((perServerMetrics) => ({
      key: `${servers}/${perServerMetrics ? 'on' : 'off'}`,
      servers,
      perServerMetrics,
    })),
  );
  const items = new Map<string, LineItem>();
  const counts: Record<string, Record<string, number>> = {};
  const add = (column: string, item: Omit<LineItem, 'usd'>, usd: number) => {
    const line = items.get(item.item) ?? { ...item, usd: {} };
    line.usd[column] = (line.usd[column] ?? 0) + usd;
    items.set(item.item, line);
  };

  for (const column of columns) {
    const monitor = inputs.monitor[column.servers];
    const readiness = inputs.readiness[column.servers];
    if (!monitor || !readiness) throw new Error(`no measurements for ${column.servers} servers`);
    const primary = inputs.primaryMonitor;
    const mode = column.perServerMetrics ? 'emfOn' : 'emfOff';
    const count: Record<string, number> = {};
    counts[column.key] = count;

    // Sweeps: one in `sweepsPerRefresh` refreshes every unchanged finding; the others change nothing.
    const sweeps = facts.monitorSweepsPerMonth;
    const refreshSweeps = sweeps / facts.sweepsPerRefresh;
    const quietSweeps = sweeps - refreshSweeps;
    const perMonth = (figures: MonitorFigures, pick: (sweep: SweepFigures) => number) =>
      refreshSweeps * pick(figures.refresh) + quietSweeps * pick(figures.unchanged);
    // A refresh sweep's events are refresh batches (every resource unchanged); a change is one signal more.
    const resources = monitor.refresh.resources;
    const changes = ASSUMPTIONS.changesPerResourcePerMonth * resources;
    const recoverySignals = perMonth(monitor, (sweep) => sweep.signals) + changes;
    const primarySignals = perMonth(primary, (sweep) => sweep.signals);
    const signals = recoverySignals + primarySignals;
    Object.assign(count, {
      resources,
      monitorSweeps: 2 * sweeps,
      drsCalls: perMonth(monitor, (sweep) => sweep.drsCalls) + perMonth(primary, (sweep) => sweep.drsCalls),
      signals,
      changeSignals: changes,
    });

    // Lambda.
    const gbSeconds = (ms: number, memoryMb: number) => (ms / 1000) * (memoryMb / 1024);
    const monitorGbs =
      sweeps * gbSeconds(monitor.sweepMsSimulatedLatency, facts.monitorMemoryMb) +
      sweeps * gbSeconds(primary.sweepMsSimulatedLatency, facts.monitorMemoryMb);
    add(
      column.key,
      {
        item: 'Lambda: replication monitor (both Regions)',
        basis: 'measured × estimated',
        how: 'sweeps from the schedule; duration measured against a simulated DRS (5–20 ms a call)',
      },
      2 * sweeps * PRICES.lambdaRequest.usd + monitorGbs * PRICES.lambdaArmGbSecond.usd,
    );
    const readinessMs = (figures: ReadinessPerInvocation) =>
      figures.requests * ASSUMPTIONS.dynamoRequestMs + ASSUMPTIONS.readinessFixedMs;
    // Every event but the changes is a refresh batch (per refresh batch figures, every item unchanged).
    const refreshBatches = signals - changes;
    // A batch's DynamoDB work is per item (one conditional write each): counted per refreshed resource, so the
    // primary Region's one-item batches are not billed as the recovery fleet's full ones. Its invocation and
    // its log line are per batch.
    const itemsPerBatch = readiness.resources / Math.max(1, readiness.refreshBatches);
    const perItem = (value: number) => value / Math.max(1, itemsPerBatch);
    const refreshItems =
      perMonth(monitor, (sweep) => sweep.resources) + perMonth(primary, (sweep) => sweep.resources);
    count.refreshItems = refreshItems;
    const readinessInvocations = signals + facts.readinessSweepsPerMonth + facts.readinessDigestsPerMonth;
    const readinessGbs =
      refreshItems *
        gbSeconds(
          perItem(readiness.refresh.requests) * ASSUMPTIONS.dynamoRequestMs,
          facts.readinessMemoryMb,
        ) +
      refreshBatches * gbSeconds(ASSUMPTIONS.readinessFixedMs, facts.readinessMemoryMb) +
      changes * gbSeconds(readinessMs(readiness.change), facts.readinessMemoryMb) +
      (facts.readinessSweepsPerMonth + facts.readinessDigestsPerMonth) *
        gbSeconds(readinessMs(readiness.sweep), facts.readinessMemoryMb);
    count.readinessInvocations = readinessInvocations;
    add(
      column.key,
      {
        item: 'Lambda: readiness publisher (one invocation per signal or refresh batch)',
        basis: 'measured × estimated',
        how: 'invocations measured per event; duration = measured DynamoDB requests × 8 ms + 15 ms',
      },
      readinessInvocations * PRICES.lambdaRequest.usd + readinessGbs * PRICES.lambdaArmGbSecond.usd,
    );
    const otherRuns = facts.otherScheduled.reduce((sum, fn) => sum + fn.runsPerMonth * fn.regions, 0);
    const otherGbs = facts.otherScheduled.reduce(
      (sum, fn) =>
        sum + fn.runsPerMonth * fn.regions * gbSeconds(ASSUMPTIONS.otherScheduledRunMs, fn.memoryMb),
      0,
    );
    count.otherScheduledRuns = otherRuns;
    add(
      column.key,
      {
        item: 'Lambda: other scheduled functions',
        basis: 'estimated',
        how: 'runs from their schedules; 800 ms a run assumed',
      },
      otherRuns * PRICES.lambdaRequest.usd + otherGbs * PRICES.lambdaArmGbSecond.usd,
    );

    // EventBridge: every signal and refresh batch is a custom event on its Region's bus, billed per 64 KB chunk;
    // the primary's are sent on to the recovery Region's bus (another custom event, and inter-Region transfer).
    // A change signal is one chunk (a signal is a few KB).
    const chunksPerRefresh = monitor.refresh.signalChunks / Math.max(1, monitor.refresh.signals);
    const primaryChunks = primary.refresh.signalChunks / Math.max(1, primary.refresh.signals);
    const customEvents =
      (recoverySignals - changes) * chunksPerRefresh + changes + 2 * primarySignals * primaryChunks;
    const primaryBytes =
      primarySignals * (primary.refresh.signalBytes / Math.max(1, primary.refresh.signals));
    count.customEvents = customEvents;
    add(
      column.key,
      {
        item: 'EventBridge: signals (custom events)',
        basis: 'measured × estimated',
        how: 'events per sweep (signals, refresh batches) and 64 KB chunks measured; state changes a month assumed',
      },
      customEvents * PRICES.customEvent.usd + (primaryBytes / GB) * PRICES.interRegionGb.usd,
    );

    // DynamoDB requests.
    // A change rewrites its finding's item: as much as a first sweep's write of it, per resource.
    const findingWriteUnits = monitor.first.dynamo.writeUnits / Math.max(1, monitor.first.resources);
    const monitorWru =
      perMonth(monitor, (sweep) => sweep.dynamo.writeUnits) +
      perMonth(primary, (sweep) => sweep.dynamo.writeUnits) +
      changes * findingWriteUnits;
    const monitorRru =
      perMonth(monitor, (sweep) => sweep.dynamo.readUnits) +
      perMonth(primary, (sweep) => sweep.dynamo.readUnits);
    count.monitorWriteUnits = monitorWru;
    count.monitorReadUnits = monitorRru;
    add(
      column.key,
      {
        item: "DynamoDB: the monitor's state",
        basis: 'measured × estimated',
        how: "capacity units per sweep, through the real store (dynalite); a finding's write per state change (changes a month assumed)",
      },
      monitorWru * PRICES.dynamoWriteUnit.usd + monitorRru * PRICES.dynamoReadUnit.usd,
    );
    const readinessScheduled = facts.readinessSweepsPerMonth + facts.readinessDigestsPerMonth;
    const readinessWru =
      refreshItems * perItem(readiness.refresh.writeUnits) +
      changes * readiness.change.writeUnits +
      readinessScheduled * readiness.sweep.writeUnits;
    const readinessRru =
      refreshItems * perItem(readiness.refresh.readUnits) +
      changes * readiness.change.readUnits +
      readinessScheduled * readiness.sweep.readUnits;
    count.readinessWriteUnits = readinessWru;
    count.readinessReadUnits = readinessRru;
    add(
      column.key,
      {
        item: 'DynamoDB: readiness (signals, sweeps, idempotency)',
        basis: 'measured × estimated',
        how: "capacity units per signal and per sweep measured through the handler, plus the `open` index's writes (dynalite bills none: counted from the items' images before and after); digest counted as a sweep",
      },
      readinessWru * PRICES.dynamoWriteUnit.usd + readinessRru * PRICES.dynamoReadUnit.usd,
    );
    // Measured per invocation kind: an unchanged refresh writes no history item.
    const historyItemsPerMonth =
      refreshItems * perItem(readiness.refresh.historyItems) +
      changes * readiness.change.historyItems +
      readinessScheduled * readiness.sweep.historyItems;
    const historyItems =
      historyItemsPerMonth * (facts.historyRetentionDays / (ASSUMPTIONS.hoursPerMonth / 24));
    const idempotencyItems = signals * (facts.idempotencyRetentionDays / (ASSUMPTIONS.hoursPerMonth / 24));
    const storedBytes =
      historyItems * readiness.historyItemBytes +
      readiness.stateBytes +
      idempotencyItems * readiness.idempotencyItemBytes +
      monitor.stateBytes +
      primary.stateBytes;
    count.storedGb = storedBytes / GB;
    add(
      column.key,
      {
        item: 'DynamoDB: storage and point-in-time recovery',
        basis: 'measured × estimated',
        how: 'item sizes and history items per signal kind measured; kept for the history retention',
      },
      (storedBytes / GB) * (PRICES.dynamoStoredGbMonth.usd + PRICES.dynamoPitrGbMonth.usd),
    );

    // CloudWatch metrics.
    // A series is billed for the hours it receives data: the workload series only while the workload is in
    // trouble (assumed), every other series all month.
    const series =
      (column.perServerMetrics ? monitor.seriesOn : monitor.seriesOff) +
      (column.perServerMetrics ? primary.seriesOn : primary.seriesOff);
    const workloadSeries = monitor.workloadSeries + primary.workloadSeries;
    count.metricSeries = series;
    count.workloadSeries = workloadSeries;
    add(
      column.key,
      {
        item: 'CloudWatch: custom metric series',
        basis: 'measured × estimated',
        how: `distinct series in the EMF the monitor writes, both Regions; a workload's only for the ${Math.round(
          ASSUMPTIONS.workloadTroubledShare * 100,
        )}% of hours it is assumed in trouble`,
      },
      (series - workloadSeries + workloadSeries * ASSUMPTIONS.workloadTroubledShare) *
        PRICES.customMetric.usd,
    );
    add(
      column.key,
      { item: 'CloudWatch: alarms', basis: 'measured', how: 'alarms in the template, both Regions' },
      2 * facts.alarmsPerRegion * PRICES.alarm.usd,
    );

    // CloudWatch Logs: bytes of each kind a month, plus the per-event overhead.
    const logBytes = (kind: keyof SweepFigures['bytes']) =>
      perMonth(
        monitor,
        (sweep) => sweep.bytes[kind] + sweep.lines[kind] * ASSUMPTIONS.logEventOverheadBytes,
      ) +
      perMonth(primary, (sweep) => sweep.bytes[kind] + sweep.lines[kind] * ASSUMPTIONS.logEventOverheadBytes);
    const emfBytes = logBytes(mode);
    const detailBytes = logBytes('detail');
    const perInvocation = (figures: ReadinessPerInvocation) =>
      figures.logBytes + figures.logLines * ASSUMPTIONS.logEventOverheadBytes;
    const otherBytes =
      logBytes('other') +
      refreshBatches * perInvocation(readiness.refresh) +
      changes * perInvocation(readiness.change) +
      readinessScheduled * perInvocation(readiness.sweep) +
      otherRuns * ASSUMPTIONS.otherScheduledRunLogBytes +
      (2 * sweeps + readinessInvocations + otherRuns) * ASSUMPTIONS.platformLogBytesPerInvocation;
    Object.assign(count, {
      emfGb: emfBytes / GB,
      perServerLogGb: detailBytes / GB,
      otherLogGb: otherBytes / GB,
    });
    add(
      column.key,
      {
        item: 'CloudWatch Logs: metrics as EMF',
        basis: 'measured',
        how: 'EMF bytes per sweep, real Powertools Metrics',
      },
      (emfBytes / GB) * PRICES.logsIngestedGb.usd,
    );
    add(
      column.key,
      {
        item: 'CloudWatch Logs: per-server values (replication-resources)',
        basis: 'measured',
        how: 'log bytes per sweep, real Powertools Logger',
      },
      (detailBytes / GB) * PRICES.logsIngestedGb.usd,
    );
    add(
      column.key,
      {
        item: 'CloudWatch Logs: other log lines',
        basis: 'measured × estimated',
        how: 'handler lines measured per sweep and per signal; platform lines and other functions estimated',
      },
      (otherBytes / GB) * PRICES.logsIngestedGb.usd,
    );
    const ingestedGb = (emfBytes + detailBytes + otherBytes) / GB;
    const storedLogGb =
      ingestedGb * (facts.logRetentionDays / (ASSUMPTIONS.hoursPerMonth / 24)) * ASSUMPTIONS.logCompression;
    add(
      column.key,
      {
        item: 'CloudWatch Logs: storage',
        basis: 'estimated',
        how: 'retention from serverless.yml; compression assumed',
      },
      storedLogGb * PRICES.logsStoredGbMonth.usd,
    );

    // SNS, SQS, KMS.
    const notifications = changes * readiness.change.notifications + facts.readinessDigestsPerMonth;
    count.notifications = notifications;
    add(
      column.key,
      {
        item: 'SNS: notifications to on-call',
        basis: 'measured × estimated',
        how: 'publishes per state change measured, plus the daily digest; one email subscription',
      },
      notifications * (PRICES.snsPublish.usd + ASSUMPTIONS.emailSubscriptions * PRICES.snsEmail.usd),
    );
    add(
      column.key,
      {
        item: 'SQS: dead-letter and failed-invocation queues',
        basis: 'measured',
        how: 'nothing polls them; messages only on failures',
      },
      0,
    );
    add(
      column.key,
      {
        item: 'KMS: customer managed key and requests',
        basis: 'measured × estimated',
        how: 'keys in the two deployments; requests assumed (data keys are cached)',
      },
      facts.kmsKeysInPair * PRICES.kmsKey.usd +
        2 * ASSUMPTIONS.kmsRequestsPerRegionPerMonth * PRICES.kmsRequest.usd,
    );
    add(
      column.key,
      {
        item: 'DRS and AWS Backup API calls',
        basis: 'measured',
        how: 'calls per sweep measured; these APIs are not charged',
      },
      (count.drsCalls ?? 0) * PRICES.drsAndBackupApi.usd,
    );
    add(
      column.key,
      {
        item: 'CloudWatch dashboard (opt-in, replicationDashboard; not in the total)',
        basis: 'measured',
        how: 'one a Region, beyond the 3 free per account',
        optional: true,
      },
      2 * PRICES.dashboard.usd,
    );
  }

  const list = [...items.values()];
  const totals = Object.fromEntries(
    columns.map((column) => [
      column.key,
      list.filter((line) => !line.optional).reduce((sum, line) => sum + (line.usd[column.key] ?? 0), 0),
    ]),
  );
  return {
    pricesCheckedOn: PRICES_CHECKED_ON,
    region: PRICES_REGION,
    columns,
    items: list,
    totals,
    counts,
  };
}

/** Dollars as the tables show them: cents below $10, whole dollars above $100. */
export function dollars(usd: number): string {
  if (usd === 0) return '$0';
  if (usd < 0.01) return '< $0.01';
  if (usd < 100) return `$${usd.toFixed(2)}`;
  return `$${Math.round(usd).toLocaleString('en-US')}`;
}

/** The cost table as Markdown: one row per line item, a column per fleet and metrics mode, the total. */
export function costMarkdown(table: CostTable): string {
  const header = table.columns.map(
    (column) =>
      `${column.servers.toLocaleString('en-US')} servers, per-server metrics ${column.perServerMetrics ? 'on' : 'off'}`,
  );
  const rows = table.items.map(
    (line) =>
      `| ${line.item} | ${table.columns.map((column) => dollars(line.usd[column.key] ?? 0)).join(' | ')} | ${line.basis}: ${line.how} |`,
  );
  return [
    `| line item (a month) | ${header.join(' | ')} | basis |`,
    `|---|${table.columns.map(() => '---:').join('|')}|---|`,
    ...rows,
    `| **total** | ${table.columns.map((column) => `**${dollars(table.totals[column.key] ?? 0)}**`).join(' | ')} | |`,
  ].join('\n');
}
