import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  createEmfReplicationMetrics,
  METRICS_NAMESPACE,
  RESOURCE_DETAIL_LINE_BYTES,
  RESOURCE_DETAIL_MESSAGE,
  type ResourceDetailEntry,
} from '../../../src/adapters/metrics-emf.ts';
import type { ReplicationMetrics } from '../../../src/ports/monitor-state.ts';

/** Powertools writes EMF documents to stdout: capture the lines that are EMF. */
let lines: Record<string, unknown>[] = [];
beforeEach(() => {
  lines = [];
  const write = process.stdout.write.bind(process.stdout);
  vi.spyOn(process.stdout, 'write').mockImplementation(((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const text = chunk.toString();
    if (text.startsWith('{"_aws"')) {
      lines.push(JSON.parse(text) as Record<string, unknown>);
      return true;
    }
    return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stdout.write);
});
afterEach(() => {
  vi.restoreAllMocks();
});

/** What the adapter wrote through its logger: message and attributes per line. */
let logged: { message: string; attributes: Record<string, unknown> }[] = [];

function emf(perResource = true) {
  logged = [];
  const metrics = new Metrics({
    namespace: METRICS_NAMESPACE,
    serviceName: 'dr-autopilot',
    defaultDimensions: { Deployment: 'dr-autopilot-test' },
  });
  return createEmfReplicationMetrics({
    metrics,
    perResource,
    log: { info: (message, attributes) => logged.push({ message, attributes }) },
  });
}

/** Every distinct metric series in the EMF lines: namespace, metric name, and each dimension with its value. */
function distinctSeries(emfLines: Record<string, unknown>[]): Set<string> {
  const series = new Set<string>();
  for (const line of emfLines) {
    for (const directive of (
      line._aws as {
        CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[];
      }
    ).CloudWatchMetrics) {
      for (const dimensionSet of directive.Dimensions) {
        const dimensions = dimensionSet.map((name) => `${name}=${String(line[name])}`).join(',');
        for (const metric of directive.Metrics) {
          series.add(`${directive.Namespace}|${metric.Name}|${dimensions}`);
        }
      }
    }
  }
  return series;
}

/**
 * A sweep's worth of records: `servers` resources over 20 workloads, their totals, and every detail. The first
 * `troubled` workloads have one resource over its RPO.
 */
function recordFleet(metrics: ReplicationMetrics, servers: number, troubled = 0): void {
  for (let n = 0; n < servers; n++) {
    const workload = `workload-${n % 20}`;
    const resourceId = `s-${n.toString(16).padStart(17, '0')}`;
    metrics.recordResource({ resourceId, workload, lagSeconds: 0, exposureSeconds: 300, backlogBytes: 0 });
    metrics.recordResourceDetail({
      resourceId,
      workload,
      state: 'READY',
      lagSeconds: 0,
      exposureSeconds: 300,
      backlogBytes: 0,
      rpoSeconds: 900,
    });
  }
  for (let w = 0; w < 20; w++) {
    metrics.recordWorkload(`workload-${w}`, {
      worstExposureSeconds: w < troubled ? 1_800 : 300,
      overRpoCount: w < troubled ? 1 : 0,
      resourceCount: servers / 20,
      unprotectedCount: 0,
    });
  }
  metrics.recordDeployment({
    worstExposureSeconds: troubled > 0 ? 1_800 : 300,
    overRpoCount: troubled,
    resourceCount: servers,
    unprotectedCount: 0,
  });
}

const definitions = (line: Record<string, unknown>) =>
  (
    line._aws as {
      CloudWatchMetrics: {
        Namespace: string;
        Dimensions: string[][];
        Metrics: { Name: string; Unit: string }[];
      }[];
    }
  ).CloudWatchMetrics[0];

describe('EMF replication metrics', () => {
  it('writes one document per resource with its ResourceId dimension', () => {
    const metrics = emf();
    metrics.recordResource({
      resourceId: 's-1',
      workload: 'payments',
      lagSeconds: 60,
      exposureSeconds: 300,
      backlogBytes: 1024,
    });

    metrics.flush();

    expect(lines).toHaveLength(1);
    expect(definitions(lines[0] ?? {})).toEqual({
      Namespace: 'DrAutopilot',
      Dimensions: [['service', 'Deployment', 'ResourceId']],
      Metrics: [
        { Name: 'ReplicationLagSeconds', Unit: 'Seconds' },
        { Name: 'RpoExposureSeconds', Unit: 'Seconds' },
        { Name: 'BackloggedBytes', Unit: 'Bytes' },
      ],
    });
    expect(lines[0]).toMatchObject({
      ResourceId: 's-1',
      Deployment: 'dr-autopilot-test',
      ReplicationLagSeconds: 60,
      RpoExposureSeconds: 300,
      BackloggedBytes: 1024,
      workload: 'payments',
    });
  });

  it('omits what could not be measured', () => {
    const metrics = emf();
    metrics.recordResource({
      resourceId: 's-1',
      workload: 'payments',
      lagSeconds: undefined,
      exposureSeconds: undefined,
      backlogBytes: 0,
    });

    metrics.flush();

    expect(definitions(lines[0] ?? {})?.Metrics.map((metric) => metric.Name)).toEqual(['BackloggedBytes']);
  });

  it('writes per-workload and deployment totals, the latter without a workload dimension', () => {
    const metrics = emf();
    metrics.recordWorkload('payments', {
      worstExposureSeconds: 1_800,
      overRpoCount: 2,
      resourceCount: 9,
      unprotectedCount: 1,
    });
    metrics.recordDeployment({
      worstExposureSeconds: 1_800,
      overRpoCount: 2,
      resourceCount: 12,
      unprotectedCount: 1,
    });

    metrics.flush();

    expect(lines.map((line) => definitions(line)?.Dimensions)).toEqual([
      [['service', 'Deployment', 'Workload']],
      [['service', 'Deployment']],
    ]);
    // Two series a workload: worst exposure and resources over RPO.
    expect(definitions(lines[0] ?? {})?.Metrics.map((metric) => metric.Name)).toEqual([
      'WorstRpoExposureSeconds',
      'ResourcesOverRpo',
    ]);
    expect(lines[0]).toMatchObject({
      Workload: 'payments',
      WorstRpoExposureSeconds: 1_800,
      ResourcesOverRpo: 2,
    });
    expect(lines[0]).not.toHaveProperty('ReplicatingResources');
    expect(lines[0]).not.toHaveProperty('UnprotectedResources');
    // The deployment's fixed four.
    expect(definitions(lines[1] ?? {})?.Metrics.map((metric) => metric.Name)).toEqual([
      'WorstRpoExposureSeconds',
      'ResourcesOverRpo',
      'ReplicatingResources',
      'UnprotectedResources',
    ]);
    expect(lines[1]).toMatchObject({
      ResourcesOverRpo: 2,
      ReplicatingResources: 12,
      UnprotectedResources: 1,
    });
    expect(lines[1]).not.toHaveProperty('Workload');
  });

  it('writes nothing before flush, and no per-resource documents when they are turned off', () => {
    const metrics = emf(false);
    metrics.recordResource({
      resourceId: 's-1',
      workload: 'payments',
      lagSeconds: 1,
      exposureSeconds: 1,
      backlogBytes: 0,
    });
    metrics.recordDeployment({
      worstExposureSeconds: undefined,
      overRpoCount: 0,
      resourceCount: 0,
      unprotectedCount: 0,
    });
    expect(lines).toEqual([]);

    metrics.flush();

    // Only the heartbeat: counts of 0 are not written, except resources over RPO.
    expect(lines).toHaveLength(1);
    expect(definitions(lines[0] ?? {})?.Metrics.map((metric) => metric.Name)).toEqual(['ResourcesOverRpo']);
    expect(lines[0]).toMatchObject({ ResourcesOverRpo: 0 });
  });

  it('writes a workload series only on sweeps where the workload has a resource over its RPO or unprotected', () => {
    // Prepare
    const metrics = emf(false);
    const healthy = { worstExposureSeconds: 300, overRpoCount: 0, resourceCount: 4, unprotectedCount: 0 };

    // Act
    metrics.recordWorkload('healthy', healthy);
    metrics.recordWorkload('unprotected', {
      ...healthy,
      worstExposureSeconds: undefined,
      unprotectedCount: 1,
    });
    metrics.recordWorkload('late', { ...healthy, worstExposureSeconds: 1_800, overRpoCount: 2 });
    metrics.flush();

    // Assess: nothing for the healthy workload; the others with their values, 0 over RPO included.
    expect(lines.map((line) => line.Workload)).toEqual(['unprotected', 'late']);
    expect(lines[0]).toMatchObject({ ResourcesOverRpo: 0 });
    expect(lines[0]).not.toHaveProperty('WorstRpoExposureSeconds');
    expect(lines[1]).toMatchObject({ WorstRpoExposureSeconds: 1_800, ResourcesOverRpo: 2 });
  });

  it.each([
    // A healthy fleet: the deployment's worst exposure, resources over RPO and resource count.
    { perResource: false, troubled: 0, trouble: 'none', series: 3 },
    // Five workloads with a resource over RPO: two series each while they are.
    { perResource: false, troubled: 5, trouble: '5', series: 13 },
    // …plus ReplicationLagSeconds, RpoExposureSeconds and BackloggedBytes per server.
    { perResource: true, troubled: 0, trouble: 'none', series: 3_003 },
  ])(
    'writes $series distinct metric series for 1,000 servers over 20 workloads, $trouble in trouble, with perResource $perResource',
    ({ perResource, troubled, series }) => {
      // Prepare
      const metrics = emf(perResource);
      recordFleet(metrics, 1_000, troubled);

      // Act
      metrics.flush();

      // Assess: the series CloudWatch would bill, and per-server values in the log either way.
      expect(distinctSeries(lines).size).toBe(series);
      expect([...distinctSeries(lines)].filter((key) => key.includes('ResourceId=')).length).toBe(
        perResource ? 3_000 : 0,
      );
      const entries = logged.flatMap((line) => line.attributes.resources as ResourceDetailEntry[]);
      expect(entries).toHaveLength(1_000);
    },
  );

  it('writes per-resource values as compact log lines, none larger than the line budget', () => {
    // Prepare
    const metrics = emf(false);
    recordFleet(metrics, 1_000);
    metrics.recordResourceDetail({
      resourceId: 's-unmeasured',
      workload: 'payments',
      state: 'UNKNOWN',
      lagSeconds: undefined,
      exposureSeconds: undefined,
      backlogBytes: 0,
      rpoSeconds: 900,
    });

    // Act
    metrics.flush();

    // Assess
    expect(logged.length).toBeGreaterThan(1);
    expect(new Set(logged.map((line) => line.message))).toEqual(new Set([RESOURCE_DETAIL_MESSAGE]));
    for (const line of logged) {
      expect(Buffer.byteLength(JSON.stringify(line.attributes.resources))).toBeLessThanOrEqual(
        RESOURCE_DETAIL_LINE_BYTES + 2,
      );
    }
    const entries = logged.flatMap((line) => line.attributes.resources as ResourceDetailEntry[]);
    expect(entries[0]).toEqual({
      id: 's-00000000000000000',
      workload: 'workload-0',
      state: 'READY',
      lag: 0,
      exposure: 300,
      backlog: 0,
      rpo: 900,
    });
    expect(entries.at(-1)).toEqual({
      id: 's-unmeasured',
      workload: 'payments',
      state: 'UNKNOWN',
      backlog: 0,
      rpo: 900,
    });
  });

  it('logs nothing when no resource detail was recorded, and each detail once', () => {
    const metrics = emf(false);
    metrics.recordDeployment({
      worstExposureSeconds: undefined,
      overRpoCount: 0,
      resourceCount: 0,
      unprotectedCount: 0,
    });

    metrics.flush();
    metrics.flush();

    expect(logged).toEqual([]);
  });
});
