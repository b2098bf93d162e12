import * as z from 'zod';
import { parseIsoDuration } from '../domain/duration.ts';
import { envFlag } from '../runtime/config.ts';

/**
 * `MONITOR_REFRESH_AFTER`: an unchanged finding is signalled again once its last signal is this old
 * (ISO-8601 duration, default PT30M), in seconds. Keep it, plus the schedule's interval, below the readiness
 * publisher's READINESS_STALE_AFTER, or healthy resources turn UNKNOWN between refreshes.
 */
export const monitorRefreshAfterSchema = z
  .string()
  .trim()
  .default('PT30M')
  .transform((value, context) => {
    const seconds = parseIsoDuration(value);
    if (seconds === undefined || seconds <= 0) {
      context.addIssue({ code: 'custom', message: 'must be a positive ISO-8601 duration such as PT15M' });
      return z.NEVER;
    }
    return seconds;
  });

/** The replication monitor's own environment variables (on top of the configuration contract). */
export const replicationMonitorEnv = z.object({
  /** Snapshot queries in flight at once. */
  MONITOR_CONCURRENCY: z.coerce.number().int().min(1).max(100).default(10),
  /** SDK retry mode and attempts for DRS calls (throttling is retried, honouring Retry-After). */
  DRS_RETRY_MODE: z.enum(['standard', 'adaptive']).default('adaptive'),
  DRS_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(8),
  /** Backlog a CONTINUOUS server may carry before it counts as degraded. */
  BACKLOG_TOLERANCE_BYTES: z.coerce.number().int().min(0).default(0),
  /**
   * Per-resource metric series (one CloudWatch custom metric per server and metric name, 3 per server): off by
   * default; per-resource values go to the log either way.
   */
  PER_RESOURCE_METRICS: envFlag(false),
  /**
   * An unchanged finding is signalled again once its last signal is this old (ISO-8601 duration). Keep it,
   * plus the schedule's interval, below the readiness publisher's READINESS_STALE_AFTER.
   */
  MONITOR_REFRESH_AFTER: monitorRefreshAfterSchema,
  /** The `Deployment` dimension of every metric (the alarm selects on it). */
  METRICS_DEPLOYMENT: z.string().trim().min(1, 'must not be empty'),
});
