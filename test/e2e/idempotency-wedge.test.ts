import {
  type AttributeValue,
  DeleteItemCommand,
  PutItemCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createIdempotencyStore } from '../../src/runtime/clients.ts';
import { createEventHandler } from '../../src/runtime/handler.ts';
import { IN_PROGRESS_SECONDS, idempotencyGuard } from '../../src/runtime/idempotency.ts';
import { createLogger } from '../../src/runtime/logger.ts';
import { awsError, type DoubleResponse, startAwsDouble } from '../helpers/aws-http-double.ts';
import { ACCOUNT, lambdaContext } from '../helpers/context.ts';
import {
  createEvidenceTable,
  createIdempotencyTable,
  createReadinessTable,
  startDynalite,
} from '../helpers/dynalite.ts';
import { baseEnv } from '../helpers/env.ts';
import { startLossyProxy } from '../helpers/lossy-proxy.ts';

/**
 * Idempotency that cannot wedge. The 300-second functions' real handlers (functions/*.ts) against dynalite, through
 * a proxy that can lose DynamoDB's answer after the write was applied. Lambda retries a failed asynchronous
 * invocation after one minute, then after two more: an in-progress record left by an attempt that never finished
 * (its write's answer lost, or the run killed by a crash or a timeout) must have expired by the first retry, or
 * every retry meets `IdempotencyAlreadyInProgressError` and the event is dead-lettered (the week's restore tests
 * never run). A duplicate arriving while the record is fresh is still turned away.
 */
const DR_REGION = 'us-west-2';
/** Lambda's first retry of a failed asynchronous invocation: one minute after the attempt ended. */
const FIRST_RETRY_MS = 60_000;
const START = Date.parse('2026-11-22T05:00:03.000Z');

type Handler = (event: unknown, context: Context) => Promise<Record<string, unknown>>;
let doubles: Awaited<ReturnType<typeof startAwsDouble>>;
let dynamo: Awaited<ReturnType<typeof startDynalite>>;
let proxy: Awaited<ReturnType<typeof startLossyProxy>>;
const handlers: Record<'restoreTestScheduler' | 'restoreValidation', Handler> = {} as never;
/** When set, the next in-progress write to the idempotency table is applied and its answer lost. */
let loseNextInProgressWrite = false;
/** When set, the DR vault's listing waits for it (a run in progress) and answers with what it resolves to. */
let listingHeld: Promise<DoubleResponse> | undefined;
/** Called when a held listing is reached: the run is in progress, its record written. */
let onListingReached: () => void = () => undefined;

beforeAll(async () => {
  dynamo = await startDynalite();
  await createIdempotencyTable(dynamo.client, 'idempotency');
  await createEvidenceTable(dynamo.client, 'evidence');
  await createReadinessTable(dynamo.client, 'readiness');
  proxy = await startLossyProxy(
    dynamo.endpoint,
    ({ target, body }) => {
      const wanted =
        loseNextInProgressWrite &&
        target.endsWith('.PutItem') &&
        body.includes('"TableName":"idempotency"') &&
        body.includes('"INPROGRESS"');
      if (wanted) loseNextInProgressWrite = false;
      return wanted;
    },
    async ({ body }) => {
      // A run in progress, held in its first read of its own tables (the restore-validation sweep's open restores).
      if (!listingHeld || body.includes('"TableName":"idempotency"')) return undefined;
      onListingReached();
      const { status = 200 } = await listingHeld;
      return status >= 400 ? { status } : undefined;
    },
  );
  doubles = await startAwsDouble({
    'backup-vaults': async () => {
      if (!listingHeld) return { body: { RecoveryPoints: [] } };
      onListingReached();
      return await listingHeld;
    },
  });
  Object.assign(process.env, baseEnv(), {
    AWS_ENDPOINT_URL_BACKUP: doubles.endpoint,
    AWS_ENDPOINT_URL_EVENTBRIDGE: doubles.endpoint,
    AWS_ENDPOINT_URL_RDS: doubles.endpoint,
    AWS_ENDPOINT_URL_EC2: doubles.endpoint,
    AWS_ENDPOINT_URL_EFS: doubles.endpoint,
    AWS_ENDPOINT_URL_S3: doubles.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: proxy.endpoint,
    AWS_LAMBDA_FUNCTION_NAME: 'dr-autopilot-test-wedge',
    AWS_MAX_ATTEMPTS: '1',
    DR_VAULT_NAME: 'dr-vault',
    RESTORE_ROLE_ARN: `arn:aws:iam::${ACCOUNT}:role/dr-restore`,
    RESTORE_SETTINGS: '{}',
  });
  handlers.restoreTestScheduler = (
    (await import('../../functions/restore-test-scheduler.ts')) as { handler: Handler }
  ).handler;
  handlers.restoreValidation = (
    (await import('../../functions/restore-validation.ts')) as { handler: Handler }
  ).handler;
});

afterAll(async () => {
  await doubles?.close();
  await proxy?.close();
  await dynamo?.close();
});

beforeEach(async () => {
  const { Items = [] } = await dynamo.client.send(new ScanCommand({ TableName: 'idempotency' }));
  for (const item of Items) {
    await dynamo.client.send(
      new DeleteItemCommand({ TableName: 'idempotency', Key: { id: item.id as AttributeValue } }),
    );
  }
  // Only the clock is faked (the test clock of the retry); sockets and timers stay real.
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(START);
  loseNextInProgressWrite = false;
  listingHeld = undefined;
  onListingReached = () => undefined;
  proxy.lost.length = 0;
});
afterEach(() => {
  vi.useRealTimers();
});

/** A context of a 300-second function, as Lambda passes it at the start of a run. */
function context300(): Context {
  return {
    ...lambdaContext({ functionName: 'dr-autopilot-test-wedge', region: DR_REGION }),
    getRemainingTimeInMillis: () => 300_000,
  };
}

function schedule() {
  return {
    version: '0',
    id: crypto.randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: ACCOUNT,
    time: '2026-11-22T05:00:00Z',
    region: DR_REGION,
    resources: [],
    detail: {},
  };
}

async function inProgressRecords(): Promise<Record<string, AttributeValue>[]> {
  const { Items = [] } = await dynamo.client.send(new ScanCommand({ TableName: 'idempotency' }));
  return Items.filter((item) => item.status?.S === 'INPROGRESS');
}

const functions = [
  {
    name: 'restore-test-scheduler',
    handler: () => handlers.restoreTestScheduler,
    done: 'restore-tests-started',
  },
  { name: 'restore-validation (sweep)', handler: () => handlers.restoreValidation, done: 'swept' },
];

describe.each(functions)('$name (timeout 300 s): a stuck in-progress record', ({ handler, done }) => {
  it("does not turn away Lambda's first retry when the in-progress write was applied and its answer lost", async () => {
    // Prepare
    const event = schedule();
    loseNextInProgressWrite = true;
    // Act
    const first = handler()(structuredClone(event), context300());
    await expect(first).rejects.toThrow(/Failed to save in progress record/);
    const left = await inProgressRecords();
    vi.setSystemTime(START + FIRST_RETRY_MS);
    const retry = await handler()(structuredClone(event), context300());
    // Assess
    expect(proxy.lost).toHaveLength(1);
    expect(left).toHaveLength(1); // the write was applied: this is the record that used to wedge the event
    expect(Number(left[0]?.in_progress_expiration?.N)).toBeLessThanOrEqual(
      START + IN_PROGRESS_SECONDS * 1000,
    );
    expect(retry).toMatchObject({ action: done });
  });

  it('does not turn away the retry after a run that died mid-way (crash, out of memory, killed)', async () => {
    // Prepare: a run in progress, held in its first call after its in-progress record (AWS Backup or its own table).
    const event = schedule();
    let release: (response: DoubleResponse) => void = () => undefined;
    listingHeld = new Promise((resolve) => {
      release = resolve;
    });
    const reached = new Promise<void>((resolve) => {
      onListingReached = resolve;
    });
    const dying = handler()(structuredClone(event), context300()).catch((error: unknown) => error);
    // Waits for the run to reach its first AWS call, however slow a loaded machine is (no polling deadline).
    await reached;
    const records = await inProgressRecords();
    const [record] = records;
    expect(record).toBeDefined();
    // The process dies here: Lambda's timeout or a crash ends it before Powertools can delete or complete the record.
    // In this one process the run is failed instead, and the record it had written put back as a dead run leaves it.
    release(awsError(500, 'ServiceUnavailableException', 'the run dies'));
    await dying;
    listingHeld = undefined;
    await dynamo.client.send(new PutItemCommand({ TableName: 'idempotency', Item: record as never }));
    // Act
    vi.setSystemTime(START + FIRST_RETRY_MS);
    const retry = await handler()(structuredClone(event), context300());
    // Assess
    expect(retry).toMatchObject({ action: done });
  });

  it('still turns away a duplicate that arrives while the in-progress record is fresh', async () => {
    // Prepare
    const event = schedule();
    loseNextInProgressWrite = true;
    await expect(handler()(structuredClone(event), context300())).rejects.toThrow();
    // Act
    vi.setSystemTime(START + (IN_PROGRESS_SECONDS - 5) * 1000);
    const duplicate = handler()(structuredClone(event), context300());
    // Assess
    await expect(duplicate).rejects.toThrow(/already an execution in progress/);
  });
});

describe("createEventHandler: the bounded window is the idempotency record's only", () => {
  it('gives the use case the real remaining time (a sweep plans on it) while the record expires after the window', async () => {
    // Prepare
    const seen: number[] = [];
    let record: Record<string, AttributeValue> | undefined;
    const handler = createEventHandler({
      logger: createLogger('wedge-test'),
      parse: (input) => input as { id: string },
      idempotency: idempotencyGuard({
        persistenceStore: createIdempotencyStore('idempotency', dynamo.client),
      }),
      run: async (_event, context) => {
        seen.push(context.getRemainingTimeInMillis());
        [record] = await inProgressRecords();
        return { action: 'done' };
      },
    });
    // Act
    const outcome = await handler({ id: crypto.randomUUID() }, context300());
    // Assess
    expect(outcome).toEqual({ action: 'done' });
    expect(seen).toEqual([300_000]);
    expect(Number(record?.in_progress_expiration?.N)).toBe(START + IN_PROGRESS_SECONDS * 1000);
  });
});
