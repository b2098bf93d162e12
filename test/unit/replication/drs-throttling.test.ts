import { DescribeSourceServersCommand, DrsClient } from '@aws-sdk/client-drs';
import type { RetryErrorInfo, RetryStrategyV2, RetryToken } from '@smithy/types';
import { afterEach, describe, expect, it } from 'vitest';
import { createDrsAdapter } from '../../../src/adapters/drs.ts';
import { createRetryAfterDrsClient, honourRetryAfter } from '../../../src/adapters/drs-client.ts';
import { retryAfterSecondsOf } from '../../../src/runtime/retry-after.ts';
import { awsError, type DoubleResponse, startAwsDouble } from '../../helpers/aws-http-double.ts';
import { REGION, serverId } from './fakes.ts';

/**
 * Throttling against a real DrsClient: a loopback DRS double answers 429 ThrottlingException with Retry-After,
 * then 200. aws-sdk-client-mock bypasses the SDK's retry middleware, so only a real HTTP exchange shows it.
 * Assertions read the SDK's own accounting ($metadata.attempts, totalRetryDelay: the waits it planned),
 * never a measured wall-clock time.
 */
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

/** The adapter's client against the double at `endpoint`, with test credentials. */
const clientFor = (
  endpoint: string,
  retryMode: NonNullable<Parameters<typeof createRetryAfterDrsClient>[0]>['retryMode'],
  maxAttempts: number,
) => createRetryAfterDrsClient({ endpoint, region: REGION, credentials, retryMode, maxAttempts });
let double: Awaited<ReturnType<typeof startAwsDouble>> | undefined;

afterEach(async () => {
  await double?.close();
  double = undefined;
});

/** DescribeSourceServers: `throttles` times 429 (with Retry-After), then the pages. */
async function throttlingDrs(throttles: number, retryAfter: string, pages: string[][] = [[serverId(1)]]) {
  let remaining = throttles;
  let page = 0;
  double = await startAwsDouble({
    DescribeSourceServers: (): DoubleResponse => {
      if (remaining > 0) {
        remaining -= 1;
        return awsError(429, 'ThrottlingException', 'Rate exceeded', { 'Retry-After': retryAfter });
      }
      const ids = pages[page] ?? [];
      page += 1;
      return {
        body: {
          items: ids.map((id) => ({ sourceServerID: id })),
          ...(page < pages.length ? { nextToken: `p${page}` } : {}),
        },
      };
    },
  });
  return double;
}

describe('DRS throttling', () => {
  it.each(['standard', 'adaptive'] as const)(
    '%s mode retries a ThrottlingException and waits what Retry-After asks',
    async (retryMode) => {
      const drs = await throttlingDrs(1, '1');
      const client = clientFor(drs.endpoint, retryMode, 3);

      const output = await client.send(new DescribeSourceServersCommand({}));

      expect(output.items?.map((item) => item.sourceServerID)).toEqual([serverId(1)]);
      expect(drs.count('DescribeSourceServers')).toBe(2);
      expect(output.$metadata.attempts).toBe(2);
      expect(output.$metadata.totalRetryDelay).toBeGreaterThanOrEqual(950);
    },
  );

  it('shows why the wrapper exists: the pinned SDK strategy alone plans less than Retry-After', async () => {
    const drs = await throttlingDrs(1, '1');
    const client = new DrsClient({
      endpoint: drs.endpoint,
      region: REGION,
      credentials,
      retryMode: 'standard',
      maxAttempts: 3,
    });

    const output = await client.send(new DescribeSourceServersCommand({}));

    // Standard mode's first throttling backoff is at most 500 ms; Retry-After asked for 1,000 ms.
    expect(output.$metadata.attempts).toBe(2);
    expect(output.$metadata.totalRetryDelay).toBeLessThan(950);
  });

  it('gives up after maxAttempts and lets the ThrottlingException propagate', async () => {
    const drs = await throttlingDrs(10, '0');
    const client = clientFor(drs.endpoint, 'standard', 2);

    await expect(client.send(new DescribeSourceServersCommand({}))).rejects.toMatchObject({
      name: 'ThrottlingException',
      $metadata: { attempts: 2 },
    });
    expect(drs.count('DescribeSourceServers')).toBe(2);
  });

  it('resolves the retry mode on the first request, not while the function loads, and once per client', async () => {
    // Prepare
    const drs = await throttlingDrs(1, '1');
    let resolved = 0;
    const retryMode = async () => {
      resolved += 1;
      return 'standard';
    };

    // Act
    const client = clientFor(drs.endpoint, retryMode, 3);
    const atLoad = resolved;
    const first = await client.send(new DescribeSourceServersCommand({}));
    await client.send(new DescribeSourceServersCommand({}));

    // Assess
    expect(atLoad).toBe(0);
    expect(resolved).toBe(1);
    expect(first.$metadata.totalRetryDelay).toBeGreaterThanOrEqual(950);
  });

  it('lists every page through the adapter when a page call is throttled on the way', async () => {
    const drs = await throttlingDrs(1, '0', [[serverId(1), serverId(2)], [serverId(3)]]);
    const client = clientFor(drs.endpoint, 'standard', 3);

    const ids: string[] = [];
    for await (const page of createDrsAdapter(client).listSourceServers())
      ids.push(...page.map((server) => server.sourceServerId));

    expect(ids).toEqual([serverId(1), serverId(2), serverId(3)]);
    expect(drs.count('DescribeSourceServers')).toBe(3);
  });
});

describe('honourRetryAfter', () => {
  function recordingStrategy() {
    const seen: RetryErrorInfo[] = [];
    const token = { getRetryCount: () => 0, getRetryDelay: () => 0 } as unknown as RetryToken;
    const inner: RetryStrategyV2 = {
      acquireInitialRetryToken: async () => token,
      refreshRetryTokenForRetry: async (_token, info) => {
        seen.push(info);
        return token;
      },
      recordSuccess: () => undefined,
    };
    return { inner, seen, token };
  }
  const throttled = (headers: Record<string, string>) =>
    Object.assign(new Error('Rate exceeded'), {
      name: 'ThrottlingException',
      $response: { statusCode: 429, headers },
    });

  it.each([
    [{ 'retry-after': '2' }, 2_000],
    [{ 'Retry-After': '0.5' }, 500],
    [{ 'retry-after': '3600' }, 20_000],
  ])('sets the hint from %j to now + %d ms (capped)', async (headers, delay) => {
    const { inner, seen, token } = recordingStrategy();

    await honourRetryAfter(inner, { now: () => 1_000_000 }).refreshRetryTokenForRetry(token, {
      error: throttled(headers) as never,
      errorType: 'THROTTLING',
    });

    expect(seen[0]?.retryAfterHint?.getTime()).toBe(1_000_000 + delay);
  });

  it('passes the error through unchanged without a Retry-After', async () => {
    const { inner, seen, token } = recordingStrategy();
    const info: RetryErrorInfo = { error: throttled({}) as never, errorType: 'THROTTLING' };

    await honourRetryAfter(inner).refreshRetryTokenForRetry(token, info);

    expect(seen[0]).toBe(info);
  });

  it.each([
    [{ retryAfterSeconds: '3' }, 3],
    [{ $response: { headers: { 'retry-after': 'soon' } } }, undefined],
    [{ $response: { headers: { 'retry-after': '-1' } } }, undefined],
    [undefined, undefined],
  ])('reads the seconds to wait from %j as %s', (error, seconds) => {
    expect(retryAfterSecondsOf(error)).toBe(seconds);
  });
});
