import * as z from 'zod/mini';
import { parseIsoDuration } from '../domain/duration.ts';
import { DEFAULT_READINESS_POLICY, type ReadinessPolicy } from '../domain/readiness.ts';
import { envFlag } from '../runtime/config.ts';

/**
 * The readiness publisher's own environment variables (on top of DESIGN.md §5), with their defaults.
 * Durations are ISO-8601.
 */
const duration = (fallback: string) =>
  z
    ._default(z.string(), fallback)
    .check(
      z.refine(
        (value) => (parseIsoDuration(value) ?? 0) > 0,
        'must be a positive ISO-8601 duration such as PT30M',
      ),
    );

export const readinessEnvSchema = z.object({
  /** The stage, shown in subjects as `<stage>/<workload>`. */
  STAGE: z._default(z.string().check(z.trim(), z.minLength(1), z.maxLength(40)), 'dev'),
  READINESS_DOWNGRADE_OBSERVATIONS: z._default(
    z.coerce.number().check(z.int(), z.minimum(1), z.maximum(50)),
    2,
  ),
  /** Evidence older than this turns a resource UNKNOWN (every type without its own staleness). */
  READINESS_STALE_AFTER: duration('PT1H'),
  /** The same for `backup-resource` (restore-test results, weekly by default): the schedule plus a day. */
  READINESS_BACKUP_STALE_AFTER: duration('P8D'),
  READINESS_REOBSERVE_AFTER: duration('PT5M'),
  READINESS_HISTORY_RETENTION: duration('P90D'),
  /** Where the runbook sections live (`<url>#runbook-…`). */
  RUNBOOK_URL: z._default(z.string().check(z.trim(), z.minLength(1)), 'docs/runbook.md'),
  /** Also send each message in the chat format (Amazon Q Developer in chat applications) to HTTPS subscribers. */
  CHAT_NOTIFICATIONS: envFlag(false),
});
export type ReadinessEnv = z.infer<typeof readinessEnvSchema>;

export function readinessPolicyFrom(env: ReadinessEnv): ReadinessPolicy {
  return {
    ...DEFAULT_READINESS_POLICY,
    downgradeObservations: env.READINESS_DOWNGRADE_OBSERVATIONS,
    staleAfterSeconds:
      parseIsoDuration(env.READINESS_STALE_AFTER) ?? DEFAULT_READINESS_POLICY.staleAfterSeconds,
    staleAfterSecondsByType: {
      ...DEFAULT_READINESS_POLICY.staleAfterSecondsByType,
      'backup-resource':
        parseIsoDuration(env.READINESS_BACKUP_STALE_AFTER) ??
        DEFAULT_READINESS_POLICY.staleAfterSecondsByType['backup-resource'] ??
        null,
    },
    reobserveAfterSeconds:
      parseIsoDuration(env.READINESS_REOBSERVE_AFTER) ?? DEFAULT_READINESS_POLICY.reobserveAfterSeconds,
  };
}

export function historyRetentionSeconds(env: ReadinessEnv): number {
  return parseIsoDuration(env.READINESS_HISTORY_RETENTION) ?? 90 * 86_400;
}
