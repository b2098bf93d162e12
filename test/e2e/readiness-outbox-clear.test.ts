import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applySignal } from '../../src/app/readiness.ts';
import { startDynalite } from '../helpers/dynalite.ts';
import { readinessDeps, recordingNotifier, signalEvent } from '../helpers/readiness-fixtures.ts';

/**
 * The write that clears a sent outbox entry, failing on the wire more often than the SDK retries it: the
 * publisher keeps trying until the invocation's time runs out (ReadinessDeps.remainingMs) rather than fail and
 * have the redelivery send the notification again. Between the SDK and dynalite, a proxy answers that write
 * with DynamoDB's 500 InternalServerError the first `failures` times (before dynalite sees it, or after it was
 * applied: the answer lost); every other request goes through.
 */
let dynalite: Awaited<ReturnType<typeof startDynalite>>;
let proxy: Server;
let endpoint: string;
const clearing = { failures: 0, afterApply: false, seen: 0 };

const isOutboxClear = (target: string | undefined, body: string) =>
  target === 'DynamoDB_20120810.UpdateItem' && body.includes('REMOVE #outbox.#id');

async function bodyOf(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

beforeAll(async () => {
  dynalite = await startDynalite();
  proxy = createServer(async (request, response) => {
    const body = await bodyOf(request);
    const target = request.headers['x-amz-target'] as string | undefined;
    const clear = isOutboxClear(target, body);
    if (clear) clearing.seen += 1;
    const fail = clear && clearing.failures > 0;
    if (fail) clearing.failures -= 1;
    const headers = Object.fromEntries(
      Object.entries(request.headers).filter(([name]) => !['host', 'content-length'].includes(name)),
    ) as Record<string, string>;
    const forwarded =
      fail && !clearing.afterApply
        ? undefined
        : await fetch(dynalite.endpoint, { method: 'POST', headers, body });
    if (fail) {
      response.writeHead(500, { 'content-type': 'application/x-amz-json-1.0' });
      response.end(
        JSON.stringify({
          __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError',
          message: 'Internal server error (test)',
        }),
      );
      return;
    }
    const answer = forwarded as Response;
    response.writeHead(answer.status, { 'content-type': 'application/x-amz-json-1.0' });
    response.end(await answer.text());
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => proxy.close(() => resolve()));
  await dynalite.close();
});

/** A client through the proxy; `maxAttempts` 1 is a warm client whose retry quota is spent (no SDK retry). */
function clientThroughProxy(maxAttempts: number): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'us-west-2',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts,
  });
}

describe('the write after a Publish, retried past the SDK within the invocation', () => {
  it.each([
    { sdkAttempts: 3, failures: 7, afterApply: false, case: 'the SDK giving up twice' },
    { sdkAttempts: 1, failures: 4, afterApply: false, case: 'a spent retry quota (the SDK tries once)' },
    { sdkAttempts: 1, failures: 3, afterApply: true, case: 'applied writes whose answers are lost' },
  ])(
    'clears the outbox entry and publishes once through $case',
    async ({ sdkAttempts, failures, afterApply }) => {
      // Prepare: a new workload's NOT_READY (sent at once), the clearing write failing `failures` times
      const client = clientThroughProxy(sdkAttempts);
      const notifier = recordingNotifier();
      const { deps } = await readinessDeps(client, { notifier });
      Object.assign(clearing, { failures, afterApply, seen: 0 });
      const deadline = Date.now() + 60_000;
      // Act: an invocation with a minute left
      const outcome = await applySignal(signalEvent({ state: 'NOT_READY' }), {
        ...deps,
        remainingMs: () => deadline - Date.now(),
      });
      // Assess: one Publish, the entry cleared and its history recorded, after more attempts than failures
      expect(outcome).toMatchObject({ action: 'applied', published: [{ from: null, to: 'NOT_READY' }] });
      expect(notifier.sent).toHaveLength(1);
      expect((await deps.store.getWorkload('payments'))?.outbox).toEqual({});
      const history = await deps.store.listHistory('payments', '0');
      expect(history.filter((record) => record.kind === 'transition')).toHaveLength(1);
      expect(clearing.seen).toBe(failures + 1);
      client.destroy();
    },
  );

  it('fails the invocation when the clearing write keeps failing until the time is nearly out', async () => {
    // Prepare: every clearing write fails; the invocation has 3 s left, 2 s of which are its reserve
    const client = clientThroughProxy(1);
    const { deps } = await readinessDeps(client);
    Object.assign(clearing, { failures: Number.POSITIVE_INFINITY, afterApply: false, seen: 0 });
    const deadline = Date.now() + 3_000;
    // Act
    const attempt = applySignal(signalEvent({ state: 'NOT_READY' }), {
      ...deps,
      remainingMs: () => deadline - Date.now(),
    });
    // Assess: the error propagates (Lambda retries) before the time is out, after several attempts
    await expect(attempt).rejects.toMatchObject({ name: 'InternalServerError' });
    expect(Date.now()).toBeLessThan(deadline);
    expect(clearing.seen).toBeGreaterThan(3);
    expect(Object.keys((await deps.store.getWorkload('payments'))?.outbox ?? {})).toHaveLength(1);
    Object.assign(clearing, { failures: 0 });
    client.destroy();
  });
});
