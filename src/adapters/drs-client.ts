import { DrsClient, type DrsClientConfig } from '@aws-sdk/client-drs';
import type { RetryErrorInfo, RetryStrategy, RetryStrategyV2 } from '@smithy/types';
import { MAX_RETRY_AFTER_MS, retryAfterSecondsOf } from '../runtime/retry-after.ts';

/**
 * A DRS client whose retries honour the service's `Retry-After`.
 *
 * Why this exists: `@aws-sdk/client-drs` 3.523.0 (the only version on our registry) retries through
 * `@smithy/middleware-retry` 2.3.1, whose `getRetryAfterHint` turns `Retry-After: 2` into `new Date(2000)`
 * (1970), so the standard and adaptive strategies compute `hint - now` as a large negative number and fall back
 * to their own backoff: a DRS ThrottlingException's retry-after is ignored (measured: 21 ms and 439 ms of delay
 * for `Retry-After: 2`). Later smithy releases compute `now + seconds`. This wraps the SDK's own strategy
 * (same retry modes, quota, jitter and adaptive rate limiter) and only corrects the hint.
 */

/** Wraps a retry strategy so that each retry waits at least what the service's `Retry-After` asks (capped). */
export function honourRetryAfter(
  inner: RetryStrategyV2,
  options: { maxDelayMs?: number; now?: () => number } = {},
): RetryStrategyV2 {
  const maxDelayMs = options.maxDelayMs ?? MAX_RETRY_AFTER_MS;
  const now = options.now ?? Date.now;
  return {
    acquireInitialRetryToken: (scope) => inner.acquireInitialRetryToken(scope),
    refreshRetryTokenForRetry: (token, errorInfo: RetryErrorInfo) => {
      const seconds = retryAfterSecondsOf(errorInfo.error);
      const corrected =
        seconds === undefined
          ? errorInfo
          : { ...errorInfo, retryAfterHint: new Date(now() + Math.min(seconds * 1000, maxDelayMs)) };
      return inner.refreshRetryTokenForRetry(token, corrected);
    },
    recordSuccess: (token) => inner.recordSuccess(token),
  };
}

function isV2(strategy: RetryStrategy | RetryStrategyV2): strategy is RetryStrategyV2 {
  return 'refreshRetryTokenForRetry' in strategy && 'acquireInitialRetryToken' in strategy;
}

/**
 * A DrsClient whose retries honour `Retry-After`; every dr-autopilot function builds its DRS client with it.
 * `retryMode` (standard or adaptive) and `maxAttempts` come from `config`, else from the SDK's standard settings
 * (`AWS_RETRY_MODE`, `AWS_MAX_ATTEMPTS`); so do Region and endpoint.
 *
 * One client, built at once: the SDK's own strategy is resolved on the first request, as the SDK resolves it
 * (its retry middleware asks `config.retryStrategy()` per request), then kept for every later request of the
 * client (one retry quota and adaptive rate limiter), wrapped by {@link honourRetryAfter}. Resolving it while the
 * function loads took a second client and a read of the shared config files at every cold start.
 */
export function createRetryAfterDrsClient(config: DrsClientConfig = {}): DrsClient {
  const client = new DrsClient(config);
  const sdkStrategy = client.config.retryStrategy;
  let strategy: Promise<RetryStrategy | RetryStrategyV2> | undefined;
  client.config.retryStrategy = () => {
    strategy ??= sdkStrategy().then((resolved) => (isV2(resolved) ? honourRetryAfter(resolved) : resolved));
    return strategy;
  };
  return client;
}
