/**
 * What a service asks a retry to wait (`Retry-After`), read from any SDK error: shared by the DRS client's retry
 * strategy (src/adapters/drs-client.ts) and the retries our own code makes (src/runtime/persist-until-deadline.ts).
 * No SDK import, so a function that needs only this does not bundle a client.
 */

/** The longest wait a `Retry-After` may impose on one retry (the SDK's own cap on a backoff is 20 s). */
export const MAX_RETRY_AFTER_MS = 20_000;

/** Seconds the service asked us to wait: the `Retry-After` header, or DRS's modelled `retryAfterSeconds`. */
export function retryAfterSecondsOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const response = (error as { $response?: { headers?: Record<string, string | undefined> } }).$response;
  const headers = response?.headers ?? {};
  const header = Object.entries(headers).find(([name]) => name.toLowerCase() === 'retry-after')?.[1];
  const modelled = (error as { retryAfterSeconds?: unknown }).retryAfterSeconds;
  for (const candidate of [header, modelled]) {
    if (candidate === undefined || candidate === null || candidate === '') continue;
    const seconds = Number(candidate);
    if (Number.isFinite(seconds) && seconds >= 0) return seconds;
  }
  return undefined;
}
