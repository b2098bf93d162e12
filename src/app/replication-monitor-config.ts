import { z } from 'zod';
import { parseIsoDuration } from '../domain/duration.ts';

/**
 * `MONITOR_REFRESH_AFTER`: an unchanged finding is signalled again once its last signal is this old
 * (ISO-8601 duration, default PT15M), in seconds. Keep it, plus the schedule's interval, below the readiness
 * publisher's READINESS_STALE_AFTER, or healthy resources turn UNKNOWN between refreshes.
 */
export const monitorRefreshAfterSchema = z
  .string()
  .trim()
  .default('PT15M')
  .transform((value, context) => {
    const seconds = parseIsoDuration(value);
    if (seconds === undefined || seconds <= 0) {
      context.addIssue({ code: 'custom', message: 'must be a positive ISO-8601 duration such as PT15M' });
      return z.NEVER;
    }
    return seconds;
  });
