import { MAX_RETRY_AFTER_MS, retryAfterSecondsOf } from './retry-after.ts';

/**
 * Retrying a write that must land once something irreversible has happened (SNS took a message), independently
 * of the SDK's own retries.
 *
 * Why this exists: the SDK's standard retry mode gives up after 3 attempts, and on a warm client whose retry
 * quota (its token bucket, spent by earlier failures of any request of the client) is empty it does not retry at
 * all. Failing the invocation there makes Lambda run it again, and what was already done is done again (the
 * readiness publisher's notification sent twice: the fault-rate suite found it). This loop keeps trying on our
 * own schedule until the invocation is about to time out, and only then lets the error propagate.
 */

/** Throttling error codes of the services this is used with (DynamoDB), which the SDK marks client faults. */
const THROTTLING = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'Throttling',
  'TooManyRequestsException',
]);

/**
 * Whether another attempt may succeed: throttling, a server fault, or no answer at all (a timeout, a dropped
 * connection). A client error (validation, access denied, a missing table) would fail the same way every time.
 */
export function isTransientAwsError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const sdk = error as {
    name?: unknown;
    $fault?: unknown;
    $retryable?: unknown;
    $metadata?: { httpStatusCode?: unknown };
  };
  if (sdk.$retryable !== undefined || sdk.$fault === 'server') return true;
  if (typeof sdk.name === 'string' && THROTTLING.has(sdk.name)) return true;
  const status = sdk.$metadata?.httpStatusCode;
  if (typeof status === 'number') return status >= 500 || status === 429;
  // No HTTP answer: the SDK's request timeout, a reset or refused connection.
  return sdk.$fault === undefined;
}

export interface PersistOptions {
  /** The invocation's remaining time (the Lambda context's `getRemainingTimeInMillis`). */
  remainingMs: () => number;
  /** What to keep of the invocation for failing cleanly (logging, the error's way out): default 2 s. */
  reserveMs?: number | undefined;
  /** Pause between attempts (tests): default a timer. */
  sleep?: ((ms: number) => Promise<void>) | undefined;
  /** Uniform in [0, 1) (tests): default Math.random. */
  random?: (() => number) | undefined;
}

/** First backoff and its cap, ms: full jitter over min(cap, base × 2^attempt), like the SDK's own. */
const BASE_DELAY_MS = 50;
const MAX_DELAY_MS = 2_000;

/** The pause before attempt `attempt + 1`: what the service asked for, else a jittered exponential backoff. */
export function pauseBefore(attempt: number, error: unknown, random: () => number = Math.random): number {
  const retryAfter = retryAfterSecondsOf(error);
  if (retryAfter !== undefined) return Math.min(retryAfter * 1000, MAX_RETRY_AFTER_MS);
  return Math.floor(random() * Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** attempt));
}

const timer = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `write` until it succeeds, retrying transient errors (see {@link isTransientAwsError}) with backoff and
 * jitter for as long as the invocation has time left beyond the reserve; then the last error propagates. A
 * `write` that must not be repeated blindly has to be idempotent (a conditional write whose condition failing
 * means it is already done, for instance): an attempt whose answer was lost may have been applied.
 */
export async function persistUntilDeadline<T>(write: () => Promise<T>, options: PersistOptions): Promise<T> {
  const reserveMs = options.reserveMs ?? 2_000;
  const sleep = options.sleep ?? timer;
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (error) {
      const pause = pauseBefore(attempt, error, options.random);
      if (!isTransientAwsError(error) || options.remainingMs() - pause < reserveMs) throw error;
      await sleep(pause);
    }
  }
}
