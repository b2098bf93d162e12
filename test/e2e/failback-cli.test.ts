import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCleanup } from '../../scripts/cleanup.ts';
import { UsageError } from '../../scripts/cli-env.ts';
import { runFailback } from '../../scripts/failback.ts';
import {
  createFailbackDeclarationStore,
  createPendingReversalStore,
} from '../../src/adapters/failback-store.ts';
import { declarationValid } from '../../src/domain/reverse-replication.ts';
import { createReadinessTable, startDynalite } from '../helpers/dynalite.ts';

/**
 * `npm run failback` and `npm run cleanup` as a person runs them, in-process against dynalite and a local STS
 * (GetCallerIdentity, query protocol), with the same stores the functions read.
 */
const TABLE = 'dr-autopilot-test-readiness';
const CALLER = 'arn:aws:sts::111122223333:assumed-role/oncall/alice';

let dynalite: Awaited<ReturnType<typeof startDynalite>>;
let sts: Server;
let env: Record<string, string>;

function captured() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (text: string) => out.push(text), err: (text: string) => err.push(text) }, out, err };
}

beforeAll(async () => {
  dynalite = await startDynalite();
  await createReadinessTable(dynalite.client, TABLE);
  sts = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/xml' });
    response.end(
      `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>${CALLER}</Arn><UserId>AROAEXAMPLE:alice</UserId><Account>111122223333</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></GetCallerIdentityResponse>`,
    );
  });
  await new Promise<void>((resolve) => sts.listen(0, '127.0.0.1', () => resolve()));
  env = {
    READINESS_TABLE_NAME: TABLE,
    AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL_DYNAMODB: dynalite.endpoint,
    AWS_ENDPOINT_URL_STS: `http://127.0.0.1:${(sts.address() as AddressInfo).port}`,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
  };
});

afterAll(async () => {
  await new Promise<void>((resolve) => sts?.close(() => resolve()));
  await dynalite?.close();
});

describe('npm run failback', () => {
  const now = () => new Date('2026-11-22T10:00:00Z');

  it('records who declared a workload’s failback, when, and until when; the function’s store reads it', async () => {
    const { io, out } = captured();

    const code = await runFailback(
      ['declare', '--workload', 'payments', '--for', 'PT6H', '--note', 'CHG-42'],
      env,
      io,
      now,
    );

    expect(code).toBe(0);
    expect(out.join('')).toContain(`declared real by ${CALLER}, valid until 2026-11-22T16:00:00.000Z`);
    const store = createFailbackDeclarationStore({ client: dynalite.client, tableName: TABLE });
    const declaration = await store.get('payments');
    expect(declaration).toEqual({
      workload: 'payments',
      declaredBy: CALLER,
      declaredAt: '2026-11-22T10:00:00.000Z',
      expiresAt: '2026-11-22T16:00:00.000Z',
      note: 'CHG-42',
    });
    expect(declarationValid(declaration, new Date('2026-11-22T15:59:00Z'))).toBe(true);
    expect(declarationValid(declaration, new Date('2026-11-22T16:00:01Z'))).toBe(false);
  });

  it('lists declarations with their validity, and revokes one', async () => {
    await runFailback(['declare', '--workload', 'orders'], env, captured().io, now);
    const listed = captured();
    await runFailback(['list'], env, listed.io, () => new Date('2026-11-22T20:00:00Z'));
    expect(listed.out.join('')).toMatch(
      /orders: declared by .*alice at 2026-11-22T10:00:00.000Z, valid until 2026-11-22T22:00:00.000Z/,
    );
    expect(listed.out.join('')).toMatch(/payments: .* expired until 2026-11-22T16:00:00.000Z/);

    await runFailback(['revoke', '--workload', 'orders'], env, captured().io, now);
    expect(
      await createFailbackDeclarationStore({ client: dynalite.client, tableName: TABLE }).get('orders'),
    ).toBeUndefined();
  });

  it.each([
    [['declare'], /--workload is required/],
    [
      ['declare', '--workload', 'x', '--for', 'P30D'],
      /--for "P30D" must be an ISO-8601 duration from PT1M to P7D/,
    ],
    [['declare', '--workload', 'x', '--for', '12h'], /--for "12h"/],
    [['approve', '--workload', 'x'], /unknown command "approve"/],
  ])('rejects %j with a message naming the bad argument, writing nothing', async (argv, message) => {
    await expect(runFailback(argv, env, captured().io, now)).rejects.toThrow(message);
    await expect(runFailback(argv, env, captured().io, now)).rejects.toBeInstanceOf(UsageError);
    expect(
      await createFailbackDeclarationStore({ client: dynalite.client, tableName: TABLE }).get('x'),
    ).toBeUndefined();
  });

  it('names the missing table and Region', async () => {
    await expect(runFailback(['list'], { ...env, READINESS_TABLE_NAME: '' }, captured().io)).rejects.toThrow(
      /READINESS_TABLE_NAME is not set/,
    );
    await expect(runFailback(['list'], { ...env, AWS_REGION: '' }, captured().io)).rejects.toThrow(
      /AWS_REGION is not set/,
    );
  });
});

describe('pending reversals in DynamoDB', () => {
  it('keep the first conflict’s time, deadline and event; only the attempt count moves', async () => {
    const store = createPendingReversalStore({ client: dynalite.client, tableName: TABLE });
    const first = {
      recoveryInstanceId: 'i-0a1b2c3d4e5f60718',
      event: { id: 'evt-1' },
      firstConflictAt: '2026-11-22T10:00:00.000Z',
      retryUntil: '2026-11-22T11:00:00.000Z',
      attempts: 1,
    };
    await store.record(first);
    await store.record({
      ...first,
      event: { id: 'evt-2' },
      firstConflictAt: '2026-11-22T10:10:00.000Z',
      retryUntil: '2026-11-22T11:10:00.000Z',
    });

    expect(await store.list()).toEqual([{ ...first, attempts: 2 }]);
    await store.remove(first.recoveryInstanceId);
    expect(await store.list()).toEqual([]);
  });
});

describe('npm run cleanup', () => {
  it('names the missing Region pair', async () => {
    await expect(runCleanup([], { ...env }, captured().io)).rejects.toThrow(
      /PRIMARY_REGION and RECOVERY_REGION must be set/,
    );
  });
});
