import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type {
  AggregateMetrics,
  ReplicationMetrics,
  ResourceDetail,
  ResourceMetrics,
} from '../ports/monitor-state.ts';

/** The CloudWatch namespace of every dr-autopilot metric. */
export const METRICS_NAMESPACE = 'DrAutopilot';

export const METRIC_NAMES = {
  lag: 'ReplicationLagSeconds',
  exposure: 'RpoExposureSeconds',
  backlog: 'BackloggedBytes',
  worstExposure: 'WorstRpoExposureSeconds',
  overRpo: 'ResourcesOverRpo',
  resources: 'ReplicatingResources',
  unprotected: 'UnprotectedResources',
} as const;

/**
 * The series of the default deployment. CloudWatch bills a custom metric series for the hours it receives data
 * ($0.30 a month for a series written all month, in us-east-1), so a series is written only while it carries
 * news:
 * - per workload, {@link WORKLOAD_METRICS}, only on sweeps where the workload has a resource over its RPO or
 *   unprotected (a healthy workload costs nothing; its values stay in the `replication-resources` log lines);
 * - for the deployment, {@link DEPLOYMENT_METRICS}: `ResourcesOverRpo` on every full sweep, even as 0 (it is
 *   the monitor's heartbeat: the alarm's missing data means a silent monitor), `WorstRpoExposureSeconds` once
 *   something could be measured, and the two counts only when they are not 0.
 */
export const WORKLOAD_METRICS = [METRIC_NAMES.worstExposure, METRIC_NAMES.overRpo] as const;
export const DEPLOYMENT_METRICS = [
  METRIC_NAMES.worstExposure,
  METRIC_NAMES.overRpo,
  METRIC_NAMES.resources,
  METRIC_NAMES.unprotected,
] as const;

/** Whether a workload's series are written this sweep: only while it has a resource in trouble. */
export function workloadNeedsSeries(values: AggregateMetrics): boolean {
  return values.overRpoCount > 0 || values.unprotectedCount > 0;
}

/** The message of the log lines that carry per-resource values (the Logs Insights query filters on it). */
export const RESOURCE_DETAIL_MESSAGE = 'replication-resources';

/**
 * The most bytes of resource entries in one log line: far under CloudWatch Logs' 256 KB per event, so a line is
 * never cut, and large enough that the logger's own fields (about 400 bytes a line) stay around 1% of the bytes.
 */
export const RESOURCE_DETAIL_LINE_BYTES = 32 * 1024;

/** What the adapter needs of a logger: Powertools Logger's `info(message, attributes)`. */
export interface StructuredLog {
  info(message: string, attributes: Record<string, unknown>): void;
}

/**
 * One resource in a `replication-resources` log line. Short keys (units: seconds, bytes), because at thousands
 * of servers these bytes are what CloudWatch Logs bills: `lag` and `exposure` are left out when not measured.
 */
export interface ResourceDetailEntry {
  id: string;
  workload: string;
  state: string;
  lag?: number;
  exposure?: number;
  backlog: number;
  rpo: number;
}

/**
 * Replication metrics as CloudWatch embedded metric format (EMF), through Powertools Metrics. Each resource,
 * workload and the deployment total is one EMF document with its own dimensions (`ResourceId`, `Workload`,
 * or none beyond the instance's defaults), because dimension values differ per document. A workload gets
 * {@link WORKLOAD_METRICS} only, and only while it is in trouble; the deployment {@link DEPLOYMENT_METRICS}
 * (see there for which are written when). Metrics are buffered by the use
 * case's calls and written on {@link ReplicationMetrics.flush}.
 *
 * `perResource: false` (the default deployment) drops the per-resource documents: each distinct `ResourceId`
 * is a custom metric that CloudWatch bills monthly, 3 per server. Per-resource values go to the log instead
 * (`recordResourceDetail`, in either mode): compact `replication-resources` lines of at most
 * {@link RESOURCE_DETAIL_LINE_BYTES} of entries each, written through `log` on flush, not metric series.
 */
export function createEmfReplicationMetrics(options: {
  metrics: Metrics;
  perResource: boolean;
  log: StructuredLog;
}): ReplicationMetrics {
  const { metrics } = options;
  const pending: (() => void)[] = [];
  const details: ResourceDetailEntry[] = [];
  /** Worst exposure (once something could be measured) and resources over RPO: all a workload gets. */
  const perWorkload = (values: AggregateMetrics) => {
    if (values.worstExposureSeconds !== undefined) {
      metrics.addMetric(METRIC_NAMES.worstExposure, MetricUnit.Seconds, values.worstExposureSeconds);
    }
    metrics.addMetric(METRIC_NAMES.overRpo, MetricUnit.Count, values.overRpoCount);
  };
  return {
    recordResource(values: ResourceMetrics) {
      if (!options.perResource) return;
      pending.push(() => {
        metrics.addDimension('ResourceId', values.resourceId);
        metrics.addMetadata('workload', values.workload);
        if (values.lagSeconds !== undefined) {
          metrics.addMetric(METRIC_NAMES.lag, MetricUnit.Seconds, values.lagSeconds);
        }
        if (values.exposureSeconds !== undefined) {
          metrics.addMetric(METRIC_NAMES.exposure, MetricUnit.Seconds, values.exposureSeconds);
        }
        metrics.addMetric(METRIC_NAMES.backlog, MetricUnit.Bytes, values.backlogBytes);
      });
    },
    recordWorkload(workload, values) {
      if (!workloadNeedsSeries(values)) return;
      pending.push(() => {
        metrics.addDimension('Workload', workload);
        perWorkload(values);
      });
    },
    recordDeployment(values) {
      pending.push(() => {
        perWorkload(values);
        if (values.resourceCount > 0) {
          metrics.addMetric(METRIC_NAMES.resources, MetricUnit.Count, values.resourceCount);
        }
        if (values.unprotectedCount > 0) {
          metrics.addMetric(METRIC_NAMES.unprotected, MetricUnit.Count, values.unprotectedCount);
        }
      });
    },
    recordResourceDetail(detail: ResourceDetail) {
      details.push(detailEntry(detail));
    },
    flush() {
      for (const write of pending.splice(0)) {
        write();
        metrics.publishStoredMetrics();
      }
      for (const resources of linesOf(details.splice(0))) {
        options.log.info(RESOURCE_DETAIL_MESSAGE, { resources });
      }
    },
  };
}

function detailEntry(detail: ResourceDetail): ResourceDetailEntry {
  return {
    id: detail.resourceId,
    workload: detail.workload,
    state: detail.state,
    ...(detail.lagSeconds === undefined ? {} : { lag: detail.lagSeconds }),
    ...(detail.exposureSeconds === undefined ? {} : { exposure: detail.exposureSeconds }),
    backlog: detail.backlogBytes,
    rpo: detail.rpoSeconds,
  };
}

/** The entries cut into lines of at most RESOURCE_DETAIL_LINE_BYTES of JSON each (one entry always fits). */
function linesOf(entries: readonly ResourceDetailEntry[]): ResourceDetailEntry[][] {
  const lines: ResourceDetailEntry[][] = [];
  let line: ResourceDetailEntry[] = [];
  let bytes = 0;
  for (const entry of entries) {
    const size = Buffer.byteLength(JSON.stringify(entry)) + 1;
    if (line.length > 0 && bytes + size > RESOURCE_DETAIL_LINE_BYTES) {
      lines.push(line);
      line = [];
      bytes = 0;
    }
    line.push(entry);
    bytes += size;
  }
  if (line.length > 0) lines.push(line);
  return lines;
}
