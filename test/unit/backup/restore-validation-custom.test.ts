import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BackupClient, DescribeRestoreJobCommand, ListTagsCommand } from '@aws-sdk/client-backup';
import {
  DeleteTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ListTagsOfResourceCommand,
  ScanCommand,
  TagResourceCommand,
} from '@aws-sdk/client-dynamodb';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createBackupAdapter } from '../../../src/adapters/backup.ts';
import { createLambdaValidatorInvoker } from '../../../src/adapters/lambda-validator.ts';
import { createRestoredDynamoDbHandler } from '../../../src/adapters/restored-dynamodb.ts';
import { type RestoreValidationDeps, validateRestoreJob } from '../../../src/app/restore-validation.ts';
import { ourTags } from '../../../src/domain/restore-ownership.ts';
import type { ValidatorRequest, ValidatorResponse } from '../../../src/domain/restore-validators.ts';
import type { RestoreValidatorInvoker } from '../../../src/ports/restore-validator.ts';
import {
  BACKUP_ACCOUNT,
  DR_REGION,
  memoryRecords,
  RECOVERY_POINT_ARN,
  RESTORE_JOB_ID,
  RESTORED_NAME,
  recordingSignals,
  restorePolicy,
  restoreRecord,
  restoreSampleEvent,
} from '../../helpers/backup-fixtures.ts';

/** The validation use case with a workload's own validator (a fake invoker answering as Lambda would). */
const backupMock = mockClient(BackupClient);
const dynamoMock = mockClient(DynamoDBClient);

const CREATED_ARN = `arn:aws:dynamodb:${DR_REGION}:${BACKUP_ACCOUNT}:table/${RESTORED_NAME}`;
const SOURCE_ARN = 'arn:aws:dynamodb:us-east-1:111122223333:table/orders';
const NOW = new Date('2026-11-22T10:25:00Z');

function restoreEvent() {
  return restoreSampleEvent();
}

/** A completed DynamoDB restore whose table is ACTIVE with `items` items read back. */
function restoredTable(items: number, recoveryPointTags: Record<string, string> = {}) {
  backupMock.on(DescribeRestoreJobCommand).resolves({
    RestoreJobId: RESTORE_JOB_ID,
    Status: 'COMPLETED',
    RecoveryPointArn: RECOVERY_POINT_ARN,
    SourceResourceArn: SOURCE_ARN,
    ResourceType: 'DynamoDB',
    CreatedResourceArn: CREATED_ARN,
    CreationDate: new Date('2026-11-22T10:00:00Z'),
    CompletionDate: new Date('2026-11-22T10:20:00Z'),
    RecoveryPointCreationDate: new Date('2026-11-22T09:40:00Z'),
    BackupSizeInBytes: 2048,
  });
  backupMock.on(ListTagsCommand).resolves({ Tags: recoveryPointTags });
  dynamoMock.on(DescribeTableCommand).resolves({
    Table: { TableName: RESTORED_NAME, TableArn: CREATED_ARN, TableStatus: 'ACTIVE', ItemCount: items },
  });
  const tags = ourTags({ restoreJobId: RESTORE_JOB_ID, runId: 'evt-1', mode: 'test' });
  dynamoMock
    .on(ListTagsOfResourceCommand)
    .resolvesOnce({ Tags: [] })
    .resolves({ Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) });
  dynamoMock.on(ScanCommand).resolves({ Count: items });
  dynamoMock.on(TagResourceCommand).resolves({});
  dynamoMock.on(DeleteTableCommand).resolves({});
}

/** An invoker that answers `response` and remembers what it was asked. */
function fakeInvoker(response: ValidatorResponse) {
  const calls: { functionName: string; request: ValidatorRequest }[] = [];
  const invoker: RestoreValidatorInvoker = {
    async invoke(functionName, request) {
      calls.push({ functionName, request });
      return response;
    },
  };
  return { invoker, calls };
}

function deps(invoker: RestoreValidatorInvoker, options: { dryRun?: boolean } = {}) {
  const backup = new BackupClient({ region: DR_REGION });
  return {
    backup: createBackupAdapter({ client: backup, copyJobClient: backup }),
    records: memoryRecords([
      restoreRecord({
        sourceResourceArn: SOURCE_ARN,
        workload: 'orders',
        rpoSeconds: 3600,
        phase: 'started',
      }),
    ]),
    handlers: { DynamoDB: createRestoredDynamoDbHandler(new DynamoDBClient({ region: DR_REGION })) },
    signals: recordingSignals(),
    clock: () => NOW,
    dryRun: options.dryRun ?? false,
    policy: { ...restorePolicy(), validationWindowSeconds: 3 * 3600, maxPerSweep: 25 },
    validators: { functions: { orders: 'orders-check', crm: 'crm-check' }, invoker },
  } satisfies RestoreValidationDeps;
}

const answer = (body: unknown, functionError?: string): ValidatorResponse => ({
  kind: 'answered',
  statusCode: 200,
  functionError,
  payload: JSON.stringify(body),
});

describe('validateRestoreJob with a workload validator', () => {
  beforeEach(() => {
    backupMock.reset();
    dynamoMock.reset();
  });

  it('asks the validator with the documented request, and passes when both pass', async () => {
    // Prepare
    restoredTable(7);
    const fake = fakeInvoker(
      answer({ passed: true, checks: 'newest order present', evidence: { orders: 7 } }),
    );
    const context = deps(fake.invoker);
    // Act
    const outcome = await validateRestoreJob(restoreEvent(), context);
    // Assess
    expect(outcome).toMatchObject({ action: 'validated', verdict: 'passed' });
    expect(fake.calls).toEqual([
      {
        functionName: 'orders-check',
        request: {
          version: '1',
          restoreJobId: RESTORE_JOB_ID,
          resourceType: 'DynamoDB',
          restoredResourceArn: CREATED_ARN,
          sourceResourceArn: SOURCE_ARN,
          recoveryPointArn: RECOVERY_POINT_ARN,
          workload: 'orders',
          builtInChecks: [
            `table ${RESTORED_NAME} is ACTIVE`,
            'item count 7 (DynamoDB refreshes it about every six hours), 7 item(s) read back',
          ],
        },
      },
    ]);
    expect(context.signals.published[0]?.detail).toMatchObject({
      assessment: { state: 'READY' },
      evidence: {
        verdict: 'passed',
        validator: 'orders-check',
        validatorVerdict: 'passed',
        validatorChecks: 'validator orders-check passed: newest order present',
        validatorEvidence: '{"orders":7}',
      },
    });
  });

  it.each<[string, ValidatorResponse, RegExp]>([
    [
      'answers failed',
      answer({ passed: false, checks: 'newest order missing' }),
      /failed: newest order missing/,
    ],
    [
      'throws (FunctionError)',
      answer({ errorType: 'Error', errorMessage: 'cannot connect' }, 'Unhandled'),
      /failed \(Unhandled\): Error: cannot connect/,
    ],
    ['times out', { kind: 'timed-out', afterMs: 30_000 }, /did not answer within 30s/],
    ['answers malformed output', answer({ ok: true }), /malformed output/],
    [
      'cannot be invoked',
      { kind: 'invoke-failed', error: 'ResourceNotFoundException: gone' },
      /could not be invoked/,
    ],
  ])('fails the restore when the validator %s, saying why, and pages', async (_, response, reason) => {
    restoredTable(7);
    const context = deps(fakeInvoker(response).invoker);
    const outcome = await validateRestoreJob(restoreEvent(), context);
    expect(outcome).toMatchObject({ action: 'validated', verdict: 'failed', cleanup: 'done' });
    const detail = context.signals.published[0]?.detail;
    expect(detail).toMatchObject({
      severity: 'critical',
      assessment: { state: 'NOT_READY' },
      evidence: { verdict: 'failed', validator: 'orders-check', validatorVerdict: 'failed' },
    });
    expect(String(detail?.evidence.validatorChecks)).toMatch(reason);
    expect(detail?.summary).toMatch(reason);
    expect(context.records.all.get(RESTORE_JOB_ID)).toMatchObject({
      verdict: 'failed',
      customValidation: { verdict: 'failed' },
    });
  });

  it('does not ask the validator when the built-in checks fail (the verdict is already failed)', async () => {
    restoredTable(0);
    const fake = fakeInvoker(answer({ passed: true, checks: 'fine' }));
    const context = deps(fake.invoker);
    expect(await validateRestoreJob(restoreEvent(), context)).toMatchObject({ verdict: 'failed' });
    expect(fake.calls).toEqual([]);
    expect(context.signals.published[0]?.detail.evidence).toMatchObject({ validator: null });
  });

  it('uses the validator a recovery-point tag names among the configured ones', async () => {
    restoredTable(7, { 'dr-autopilot:validator': 'crm-check' });
    const fake = fakeInvoker(answer({ passed: true, checks: 'ok' }));
    await validateRestoreJob(restoreEvent(), deps(fake.invoker));
    expect(fake.calls.map((call) => call.functionName)).toEqual(['crm-check']);
  });

  it('never invokes a function a tag names that is not configured, and fails the restore', async () => {
    restoredTable(7, { 'dr-autopilot:validator': 'arn:aws:lambda:us-west-2:444455556666:function:evil' });
    const fake = fakeInvoker(answer({ passed: true, checks: 'ok' }));
    const context = deps(fake.invoker);
    expect(await validateRestoreJob(restoreEvent(), context)).toMatchObject({ verdict: 'failed' });
    expect(fake.calls).toEqual([]);
    expect(String(context.signals.published[0]?.detail.evidence.validatorChecks)).toMatch(
      /444455556666:function:evil, which is not a validator configured in RESTORE_VALIDATORS/,
    );
  });

  it('invokes nothing in dry-run, and says so', async () => {
    restoredTable(7);
    const fake = fakeInvoker(answer({ passed: false, checks: 'no' }));
    const context = deps(fake.invoker, { dryRun: true });
    expect(await validateRestoreJob(restoreEvent(), context)).toMatchObject({ verdict: 'passed' });
    expect(fake.calls).toEqual([]);
    expect(context.signals.published[0]?.detail.summary).toMatch(
      /validator orders-check not invoked \(dry-run\)/,
    );
  });
});

/**
 * The Lambda adapter against a real SDK client and a local HTTP endpoint answering as Lambda's Invoke does
 * (RequestResponse: 200, `X-Amz-Function-Error` when the function failed, the payload as the body).
 */
describe('createLambdaValidatorInvoker', () => {
  let server: Server;
  let reply: (respond: (status: number, headers: Record<string, string>, body: string) => void) => void;
  const requests: { path: string; type: string | undefined; body: string }[] = [];
  let client: LambdaClient;

  beforeAll(async () => {
    server = createServer((incoming, outgoing) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('end', () => {
        requests.push({
          path: incoming.url ?? '',
          type: incoming.headers['x-amz-invocation-type'] as string | undefined,
          body: Buffer.concat(chunks).toString('utf8'),
        });
        reply((status, headers, body) => {
          outgoing.writeHead(status, headers);
          outgoing.end(body);
        });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const { port } = server.address() as AddressInfo;
    client = new LambdaClient({
      region: 'us-west-2',
      endpoint: `http://127.0.0.1:${port}`,
      credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
      maxAttempts: 1,
    });
  });
  afterAll(async () => {
    client.destroy();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => {
    requests.length = 0;
  });

  const request = { restoreJobId: 'job-1' } as ValidatorRequest;

  it('invokes RequestResponse and returns the status and payload', async () => {
    reply = (respond) =>
      respond(200, { 'x-amz-executed-version': '$LATEST' }, '{"passed":true,"checks":"ok"}');
    const invoker = createLambdaValidatorInvoker({ client, timeoutMs: 5000 });
    expect(await invoker.invoke('orders-check', request)).toEqual({
      kind: 'answered',
      statusCode: 200,
      functionError: undefined,
      payload: '{"passed":true,"checks":"ok"}',
    });
    expect(requests[0]).toEqual({
      path: '/2015-03-31/functions/orders-check/invocations',
      type: 'RequestResponse',
      body: '{"restoreJobId":"job-1"}',
    });
  });

  it('reports the FunctionError header with the error payload', async () => {
    reply = (respond) =>
      respond(200, { 'x-amz-function-error': 'Unhandled' }, '{"errorType":"Error","errorMessage":"boom"}');
    const invoker = createLambdaValidatorInvoker({ client, timeoutMs: 5000 });
    expect(await invoker.invoke('orders-check', request)).toMatchObject({
      kind: 'answered',
      functionError: 'Unhandled',
      payload: '{"errorType":"Error","errorMessage":"boom"}',
    });
  });

  it('gives up after the timeout when the function does not answer', async () => {
    reply = () => undefined; // never answers
    const invoker = createLambdaValidatorInvoker({ client, timeoutMs: 200 });
    expect(await invoker.invoke('orders-check', request)).toEqual({ kind: 'timed-out', afterMs: 200 });
  });

  it.each([
    {
      status: 429,
      type: 'TooManyRequestsException',
      body: '{"Reason":"ReservedFunctionConcurrentInvocationLimitExceeded","message":"Rate exceeded"}',
    },
    { status: 500, type: 'ServiceException', body: '{"message":"Internal error"}' },
  ])(
    "throws a retryable error when Lambda answers $type (its trouble, not the restore's)",
    async ({ status, type, body }) => {
      // Prepare
      reply = (respond) =>
        respond(status, { 'x-amzn-errortype': type, 'content-type': 'application/json' }, body);
      const invoker = createLambdaValidatorInvoker({ client, timeoutMs: 5000 });
      // Act
      const invoked = invoker.invoke('orders-check', request);
      // Assess
      await expect(invoked).rejects.toMatchObject({
        name: 'RetryableDependencyError',
        message: expect.stringContaining(`Invoke orders-check: ${type}`),
      });
    },
  );

  it('reports an API error (an unknown function) as an invocation failure', async () => {
    reply = (respond) =>
      respond(
        404,
        { 'x-amzn-errortype': 'ResourceNotFoundException', 'content-type': 'application/json' },
        '{"Type":"User","message":"Function not found: arn:aws:lambda:us-west-2:111122223333:function:gone"}',
      );
    const invoker = createLambdaValidatorInvoker({ client, timeoutMs: 5000 });
    expect(await invoker.invoke('gone', request)).toEqual({
      kind: 'invoke-failed',
      error: expect.stringMatching(/^ResourceNotFoundException: Function not found/),
    });
  });
});
