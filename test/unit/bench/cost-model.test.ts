import { describe, expect, it } from 'vitest';
import { deploymentFacts, readmeSection, runsPerMonth } from '../../../bench/cost.ts';
import {
  type CostInputs,
  costMarkdown,
  costTable,
  type MonitorFigures,
  type ReadinessFigures,
  type SweepFigures,
} from '../../../bench/cost-model.ts';
import { replaceBetween } from '../../../bench/markers.ts';
import { ASSUMPTIONS, PRICES } from '../../../bench/prices.ts';

/** A sweep's counts, zero but for what a test sets. */
function sweep(overrides: Partial<SweepFigures> = {}): SweepFigures {
  return {
    drsCalls: 0,
    signals: 0,
    resources: 0,
    signalChunks: 0,
    signalBytes: 0,
    dynamo: { requests: 0, writeUnits: 0, readUnits: 0 },
    bytes: { emfOff: 0, emfOn: 0, detail: 0, other: 0 },
    lines: { emfOff: 0, emfOn: 0, detail: 0, other: 0 },
    ...overrides,
  };
}

function monitor(servers: number, overrides: Partial<MonitorFigures> = {}): MonitorFigures {
  return {
    servers,
    workloads: 20,
    first: sweep(),
    unchanged: sweep(),
    // Refreshes in batches of 50 resources, one 64 KB chunk each.
    refresh: sweep({ signals: servers / 50, resources: servers, signalChunks: servers / 50 }),
    seriesOff: 63,
    seriesOn: 63 + 3 * servers,
    workloadSeries: 40,
    sweepMsSimulatedLatency: 0,
    stateBytes: 0,
    ...overrides,
  };
}

const idle = {
  requests: 0,
  writeUnits: 0,
  readUnits: 0,
  logBytes: 0,
  logLines: 0,
  notifications: 0,
  historyItems: 0,
};
const readiness = (resources: number): ReadinessFigures => ({
  resources,
  refreshBatches: resources / 50,
  refresh: idle,
  change: idle,
  sweep: idle,
  historyItemBytes: 0,
  stateBytes: 0,
  idempotencyItemBytes: 0,
});

function inputs(): CostInputs {
  return {
    facts: {
      monitorSweepsPerMonth: 8_760,
      sweepsPerRefresh: 3,
      monitorMemoryMb: 256,
      readinessMemoryMb: 256,
      readinessSweepsPerMonth: 0,
      readinessDigestsPerMonth: 0,
      otherScheduled: [],
      alarmsPerRegion: 3,
      kmsKeysInPair: 1,
      logRetentionDays: 90,
      historyRetentionDays: 90,
      idempotencyRetentionDays: 1,
    },
    monitor: { 300: monitor(300), 3000: monitor(3_000) },
    primaryMonitor: monitor(0, { seriesOff: 2, seriesOn: 2, workloadSeries: 0 }),
    readiness: { 300: readiness(300), 3000: readiness(3_000) },
  };
}

describe('the monthly cost model', () => {
  it('prices per-server metrics at 3 series, $0.90, a server a month', () => {
    const table = costTable(inputs());

    // 65 series, 40 of them a workload's: billed for the share of hours a workload is assumed in trouble.
    const metrics = table.items.find((line) => line.item === 'CloudWatch: custom metric series');
    const fixed = 25 + 40 * ASSUMPTIONS.workloadTroubledShare;
    expect(metrics?.usd['300/off']).toBeCloseTo(fixed * 0.3, 6);
    expect(metrics?.usd['3000/on']).toBeCloseTo((fixed + 9_000) * 0.3, 6);
    expect((metrics?.usd['3000/on'] ?? 0) - (metrics?.usd['3000/off'] ?? 0)).toBeCloseTo(3_000 * 0.9, 6);
  });

  it('counts one refresh of every resource per refresh window, in batches, and the state changes assumed', () => {
    const table = costTable(inputs());

    // 8,760 sweeps, one in 3 a refresh sweep of 3,000 resources in 60 batches; 2 changes per resource a month
    // (a signal each); and the primary Region's refreshes of nothing.
    expect(table.counts['3000/off']?.signals).toBe((8_760 / 3) * 60 + 2 * 3_000);
    // The readiness writes are per refreshed resource, whatever the batching.
    expect(table.counts['3000/off']?.refreshItems).toBe((8_760 / 3) * 3_000);
    const events = table.items.find((line) => line.item === 'EventBridge: signals (custom events)');
    expect(events?.usd['3000/off']).toBeCloseTo(((8_760 / 3) * 60 + 6_000) * PRICES.customEvent.usd, 6);
  });

  it('stores the history items each signal kind was measured writing, for the retention: none for a refresh', () => {
    // Prepare: a history item of 1 GB for the arithmetic; a state change writes two, a refresh none
    const figures = inputs();
    const withHistory = (resources: number): ReadinessFigures => ({
      ...readiness(resources),
      refresh: { ...idle, historyItems: 0 },
      change: { ...idle, historyItems: 2 },
      historyItemBytes: 1e9,
    });
    figures.readiness = { 300: withHistory(300), 3000: withHistory(3_000) };

    // Act
    const table = costTable(figures);

    // Assess: 2 changes per resource a month, 2 items each, kept 90 days of a 730-hour month
    expect(table.counts['3000/off']?.storedGb).toBeCloseTo(2 * 3_000 * 2 * (90 / (730 / 24)), 6);
  });

  it('totals every line but the opt-in dashboard', () => {
    const table = costTable(inputs());

    for (const column of table.columns) {
      const sum = table.items
        .filter((line) => !line.optional)
        .reduce((total, line) => total + (line.usd[column.key] ?? 0), 0);
      expect(table.totals[column.key]).toBeCloseTo(sum, 9);
    }
    expect(table.items.find((line) => line.optional)?.item).toMatch(/dashboard/);
    expect(costMarkdown(table)).toMatch(/^\| line item \(a month\) \| 300 servers, per-server metrics off/);
    expect(readmeSection(table)).toContain('| default (per-server metrics off) |');
  });
});

describe('what the cost bench reads from serverless.yml', () => {
  it.each([
    ['rate(5 minutes)', 8_760],
    ['rate(1 hour)', 730],
    ['cron(0 7 * * ? *)', 730 / 24],
    ['cron(0 3 1 * ? *)', 1],
    ['cron(0 5 ? * SUN *)', 730 / 24 / 7],
  ])('counts the runs of %s a month', (expression, runs) => {
    expect(runsPerMonth(expression)).toBeCloseTo(runs, 6);
  });

  it("reads the shipped schedules, memory, alarms and keys (one key: the recovery Region's topic)", () => {
    const facts = deploymentFacts();

    expect(facts).toMatchObject({
      monitorSweepsPerMonth: 8_760,
      sweepsPerRefresh: 6,
      monitorMemoryMb: 256,
      alarmsPerRegion: 3,
      kmsKeysInPair: 1,
      logRetentionDays: 90,
      historyRetentionDays: 90,
    });
  });

  it('replaces only the generated part of a document', () => {
    const text = 'before\n<!-- a -->\nold\n<!-- b -->\nafter\n';

    expect(replaceBetween(text, '<!-- a -->', '<!-- b -->', 'new')).toBe(
      'before\n<!-- a -->\nnew\n<!-- b -->\nafter\n',
    );
    expect(() => replaceBetween(text, '<!-- x -->', '<!-- b -->', 'new')).toThrow(/not found/);
  });
});
