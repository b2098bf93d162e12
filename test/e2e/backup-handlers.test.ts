import {
  type AttributeValue,
  DeleteItemCommand,
  DescribeTableCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ForeignEventError, InvalidEventError } from '../../src/domain/errors.ts';
import { startAwsDouble } from '../helpers/aws-http-double.ts';
import { ACCOUNT, lambdaContext } from '../helpers/context.ts';
import {
  createEvidenceTable,
  createIdempotencyTable,
  createReadinessTable,
  startDynalite,
} from '../helpers/dynalite.ts';
import { baseEnv } from '../helpers/env.ts';
import { loadSample, type SampleEvent } from '../helpers/events.ts';

/**
 * The three backup functions' real handlers (functions/*.ts: middy chain, contract check, origin check,
 * Powertools idempotency) against real SDK clients pointed at a recording AWS double, and dynalite.
 * Rule 8: bad input is rejected naming the field, and changes nothing. Rule 5: an event from another account or
 * Region is rejected before anything is written (the idempotency record included).
 */
const DR_REGION = 'us-west-2';
const PRIMARY_REGION = 'us-east-1';
const DR_VAULT_ARN = `arn:aws:backup:${DR_REGION}:${ACCOUNT}:backup-vault:dr-vault`;

type Handler = (event: unknown, context: unknown) => Promise<Record<string, unknown>>;
let doubles: Awaited<ReturnType<typeof startAwsDouble>>;
let dynamo: Awaited<ReturnType<typeof startDynalite>>;
const handlers: Record<'backupRestore' | 'restoreTestScheduler' | 'restoreValidation', Handler> = {} as never;

beforeAll(async () => {
  dynamo = await startDynalite();
  await createIdempotencyTable(dynamo.client, 'idempotency');
  await createEvidenceTable(dynamo.client, 'evidence');
  await createReadinessTable(dynamo.client, 'readiness');
  // Only the DR vault's listing (empty) has a double: any other AWS call is recorded (and fails).
  doubles = await startAwsDouble({ 'backup-vaults': () => ({ body: { RecoveryPoints: [] } }) });
  Object.assign(process.env, baseEnv(), {
    AWS_ENDPOINT_URL_BACKUP: doubles.endpoint,
    AWS_ENDPOINT_URL_EVENTBRIDGE: doubles.endpoint,
    AWS_ENDPOINT_URL_RDS: doubles.endpoint,
    AWS_ENDPOINT_URL_EC2: doubles.endpoint,
    AWS_ENDPOINT_URL_EFS: doubles.endpoint,
    AWS_ENDPOINT_URL_S3: doubles.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_LAMBDA_FUNCTION_NAME: 'dr-autopilot-test-backup',
    AWS_MAX_ATTEMPTS: '1',
    DR_VAULT_NAME: 'dr-vault',
    RESTORE_ROLE_ARN: `arn:aws:iam::${ACCOUNT}:role/dr-restore`,
    RESTORE_SETTINGS: '{}',
  });
  handlers.backupRestore = (
    (await import('../../functions/backup-restore.ts')) as { handler: Handler }
  ).handler;
  handlers.restoreTestScheduler = (
    (await import('../../functions/restore-test-scheduler.ts')) as { handler: Handler }
  ).handler;
  handlers.restoreValidation = (
    (await import('../../functions/restore-validation.ts')) as { handler: Handler }
  ).handler;
});

afterAll(async () => {
  await doubles?.close();
  await dynamo?.close();
});

/** Empties a table, so that each test sees only what it wrote. */
async function emptyTable(table: string) {
  const { Table } = await dynamo.client.send(new DescribeTableCommand({ TableName: table }));
  const keys = (Table?.KeySchema ?? []).map((key) => key.AttributeName ?? '');
  for (const item of await itemsIn(table)) {
    const Key = Object.fromEntries(keys.map((name) => [name, item[name] as AttributeValue]));
    await dynamo.client.send(new DeleteItemCommand({ TableName: table, Key }));
  }
}

beforeEach(async () => {
  doubles.requests.length = 0;
  await emptyTable('idempotency');
  await emptyTable('readiness');
});

const context = () => lambdaContext({ functionName: 'dr-autopilot-test-backup', region: DR_REGION });

async function itemsIn(table: string) {
  return (await dynamo.client.send(new ScanCommand({ TableName: table }))).Items ?? [];
}

function sample(name: string, change: (event: SampleEvent) => void): SampleEvent {
  const event = loadSample<SampleEvent>('backup', name);
  event.id = crypto.randomUUID();
  event.account = ACCOUNT;
  event.region = DR_REGION;
  // AWS's samples name account 1112233445566 in their ARNs: this deployment's, as a real event would.
  event.resources = (event.resources as string[]).map((arn) =>
    arn.replace(':1112233445566:', `:${ACCOUNT}:`),
  );
  change(event);
  return event;
}

function schedule(change: (event: SampleEvent) => void = () => {}): SampleEvent {
  const event: SampleEvent = {
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
  change(event);
  return event;
}

const completedCopy = (change: (event: SampleEvent) => void) =>
  sample('copy-job-state-change.completed', (event) => {
    event.region = PRIMARY_REGION;
    event.detail.destinationBackupVaultArn = DR_VAULT_ARN;
    change(event);
  });

describe('backup handlers: bad input (rule 8)', () => {
  it.each([
    [
      'backupRestore',
      'a COMPLETED copy without its destination vault',
      'detail.destinationBackupVaultArn',
      () => completedCopy((event) => delete event.detail.destinationBackupVaultArn),
    ],
    [
      'backupRestore',
      'a COMPLETED copy whose destination vault is not an ARN',
      'detail.destinationBackupVaultArn',
      () => completedCopy((event) => (event.detail.destinationBackupVaultArn = {})),
    ],
    [
      'backupRestore',
      'a copy event without a state',
      'detail.state',
      () => completedCopy((event) => delete event.detail.state),
    ],
    [
      'backupRestore',
      'a Backup Job event without a job id',
      'detail.backupJobId',
      () =>
        sample('backup-job-state-change.completed', (event) => {
          event.detail.backupVaultArn = DR_VAULT_ARN;
          delete event.detail.backupJobId;
        }),
    ],
    [
      'restoreValidation',
      'a restore event without a job id',
      'detail.restoreJobId',
      () => sample('restore-job-state-change.completed', (event) => delete event.detail.restoreJobId),
    ],
    [
      'restoreValidation',
      'a sweep schedule without a time',
      'time',
      () => schedule((event) => delete event.time),
    ],
    [
      'restoreTestScheduler',
      'a schedule of another detail type',
      'detail-type',
      () => schedule((event) => (event['detail-type'] = 'Object Created')),
    ],
  ] as const)('%s rejects %s, naming %s, and changes nothing', async (name, _what, field, event) => {
    // Act
    const invocation = handlers[name](event(), context());
    // Assess
    await expect(invocation).rejects.toBeInstanceOf(InvalidEventError);
    await expect(handlers[name](event(), context())).rejects.toThrow(field);
    expect(doubles.requests).toEqual([]);
    expect(await itemsIn('idempotency')).toEqual([]);
    expect(await itemsIn('readiness')).toEqual([]);
  });
});

describe('backup handlers: events from elsewhere (rule 5)', () => {
  it.each([
    [
      'backupRestore',
      'a copy event from a third Region',
      () => completedCopy((e) => (e.region = 'eu-west-1')),
    ],
    [
      'backupRestore',
      'a copy event from another account',
      () => completedCopy((e) => (e.account = '999999999999')),
    ],
    [
      'backupRestore',
      'a Backup Job event from the primary Region',
      () =>
        sample('backup-job-state-change.completed', (event) => {
          event.region = PRIMARY_REGION;
          event.detail.backupVaultArn = DR_VAULT_ARN;
        }),
    ],
    [
      'restoreValidation',
      'a restore event from the primary Region',
      () =>
        sample('restore-job-state-change.completed', (event) => {
          // A consistent event of the primary Region: its resources are there too.
          event.region = PRIMARY_REGION;
          event.resources = (event.resources as string[]).map((arn) =>
            arn.replace(`:${DR_REGION}:`, `:${PRIMARY_REGION}:`),
          );
        }),
    ],
    [
      'restoreValidation',
      'a sweep schedule from the primary Region',
      () => schedule((e) => (e.region = PRIMARY_REGION)),
    ],
    [
      'restoreTestScheduler',
      'a schedule from the primary Region',
      () => schedule((e) => (e.region = PRIMARY_REGION)),
    ],
    [
      'restoreTestScheduler',
      'a schedule from another account',
      () => schedule((e) => (e.account = '999999999999')),
    ],
  ] as const)('%s rejects %s before writing anything', async (name, _what, event) => {
    await expect(handlers[name](event(), context())).rejects.toBeInstanceOf(ForeignEventError);
    expect(doubles.requests).toEqual([]);
    expect(await itemsIn('idempotency')).toEqual([]);
    expect(await itemsIn('readiness')).toEqual([]);
  });
});

describe('backup handlers: the origin is checked before idempotency', () => {
  it('rejects an event from another Region that reuses the id of a run already done, instead of answering with that run', async () => {
    // Prepare
    const event = schedule();
    const done = await handlers.restoreTestScheduler(structuredClone(event), context());
    // Act
    const replay = handlers.restoreTestScheduler(
      { ...structuredClone(event), region: PRIMARY_REGION },
      context(),
    );
    // Assess
    expect(done).toMatchObject({ action: 'restore-tests-started', started: [] });
    await expect(replay).rejects.toBeInstanceOf(ForeignEventError);
  });
});
