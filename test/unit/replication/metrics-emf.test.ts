import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createEmfReplicationMetrics, METRICS_NAMESPACE } from '../../../src/adapters/metrics-emf.ts';

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

function emf(perResource = true) {
  const metrics = new Metrics({
    namespace: METRICS_NAMESPACE,
    serviceName: 'dr-autopilot',
    defaultDimensions: { Deployment: 'dr-autopilot-test' },
  });
  return createEmfReplicationMetrics({ metrics, perResource });
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
    metrics.recordWorkload('payments', { worstExposureSeconds: 1_800, overRpoCount: 2, resourceCount: 9 });
    metrics.recordDeployment({ worstExposureSeconds: 1_800, overRpoCount: 2, resourceCount: 12 });

    metrics.flush();

    expect(lines.map((line) => definitions(line)?.Dimensions)).toEqual([
      [['service', 'Deployment', 'Workload']],
      [['service', 'Deployment']],
    ]);
    expect(lines[0]).toMatchObject({
      Workload: 'payments',
      WorstRpoExposureSeconds: 1_800,
      ResourcesOverRpo: 2,
      ReplicatingResources: 9,
    });
    expect(lines[1]).toMatchObject({ ResourcesOverRpo: 2, ReplicatingResources: 12 });
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
    metrics.recordDeployment({ worstExposureSeconds: undefined, overRpoCount: 0, resourceCount: 0 });
    expect(lines).toEqual([]);

    metrics.flush();

    expect(lines).toHaveLength(1);
    expect(definitions(lines[0] ?? {})?.Metrics.map((metric) => metric.Name)).toEqual([
      'ResourcesOverRpo',
      'ReplicatingResources',
    ]);
  });
});
