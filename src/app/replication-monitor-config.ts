import * as z from 'zod/mini';
import { parseIsoDuration } from '../domain/duration.ts';
import { envFlag } from '../runtime/config.ts';

/**
 * `MONITOR_REFRESH_AFTER`: every unchanged finding is signalled again by the first full sweep this long after
 * the last refresh sweep (ISO-8601 duration, default PT30M), in seconds. Keep it, plus the schedule's interval,
 * below the readiness publisher's READINESS_STALE_AFTER, or healthy resources turn UNKNOWN between refreshes.
 */
export const monitorRefreshAfterSchema = z.pipe(
  z._default(z.string().check(z.trim()), 'PT30M'),
  z.transform((value: string, payload) => {
    const seconds = parseIsoDuration(value);
    if (seconds === undefined || seconds <= 0) {
      payload.issues.push({
        code: 'custom',
        message: 'must be a positive ISO-8601 duration such as PT15M',
        input: value,
      });
      return z.NEVER;
    }
    return seconds;
  }),
);

/** The replication monitor's own environment variables (on top of the configuration contract). */
export const replicationMonitorEnv = z.object({
  /** Snapshot queries in flight at once. */
  MONITOR_CONCURRENCY: z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(100)), 10),
  /** SDK retry mode and attempts for DRS calls (throttling is retried, honouring Retry-After). */
  DRS_RETRY_MODE: z._default(z.enum(['standard', 'adaptive']), 'adaptive'),
  DRS_MAX_ATTEMPTS: z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(20)), 8),
  /** Backlog a CONTINUOUS server may carry before it counts as degraded. */
  BACKLOG_TOLERANCE_BYTES: z._default(z.coerce.number().check(z.int(), z.minimum(0)), 0),
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
  METRICS_DEPLOYMENT: z.string().check(z.trim(), z.minLength(1, 'must not be empty')),
});
