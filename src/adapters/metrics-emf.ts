import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { AggregateMetrics, ReplicationMetrics, ResourceMetrics } from '../ports/monitor-state.ts';

/** The CloudWatch namespace of every dr-autopilot metric. */
export const METRICS_NAMESPACE = 'DrAutopilot';

export const METRIC_NAMES = {
  lag: 'ReplicationLagSeconds',
  exposure: 'RpoExposureSeconds',
  backlog: 'BackloggedBytes',
  worstExposure: 'WorstRpoExposureSeconds',
  overRpo: 'ResourcesOverRpo',
  resources: 'ReplicatingResources',
} as const;

/**
 * Replication metrics as CloudWatch embedded metric format (EMF), through Powertools Metrics. Each resource,
 * workload and the deployment total is one EMF document with its own dimensions (`ResourceId`, `Workload`,
 * or none beyond the instance's defaults), because dimension values differ per document. Metrics are buffered
 * by the use case's calls and written on {@link ReplicationMetrics.flush}.
 *
 * `perResource: false` drops the per-resource documents: each distinct `ResourceId` is a custom metric that
 * CloudWatch bills monthly, which matters at thousands of servers.
 */
export function createEmfReplicationMetrics(options: {
  metrics: Metrics;
  perResource: boolean;
}): ReplicationMetrics {
  const { metrics } = options;
  const pending: (() => void)[] = [];
  const aggregate = (values: AggregateMetrics) => {
    if (values.worstExposureSeconds !== undefined) {
      metrics.addMetric(METRIC_NAMES.worstExposure, MetricUnit.Seconds, values.worstExposureSeconds);
    }
    metrics.addMetric(METRIC_NAMES.overRpo, MetricUnit.Count, values.overRpoCount);
    metrics.addMetric(METRIC_NAMES.resources, MetricUnit.Count, values.resourceCount);
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
      pending.push(() => {
        metrics.addDimension('Workload', workload);
        aggregate(values);
      });
    },
    recordDeployment(values) {
      pending.push(() => aggregate(values));
    },
    flush() {
      for (const write of pending.splice(0)) {
        write();
        metrics.publishStoredMetrics();
      }
    },
  };
}
