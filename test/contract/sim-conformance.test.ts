import { describe, expect, it } from 'vitest';
import { BackupSim } from '../../sim/backup.ts';
import { DrsService } from '../../sim/drs.ts';
import type { SimRequest, SimResponse } from '../../sim/http.ts';
import {
  errorStatus,
  loadServiceModel,
  requestPath,
  type ServiceModel,
  validateBody,
} from '../../sim/service-model.ts';
import { SimWorld } from '../../sim/world.ts';

/**
 * The simulated DRS and AWS Backup answer as the service models say (../shared/aws/models, vendored in
 * sim/models): every operation the simulator serves is reached at the model's method and URI, answers with the
 * model's status code, and its body has the output shape's members, types and enums; every error it returns is
 * one the model declares for that operation, with the declared status and the error shape's members.
 */
const drsModel = loadServiceModel('drs_2020-02-26_service-2.json');
const backupModel = loadServiceModel('backup_2018-11-15_service-2.json');

function request(method: string, path: string, body?: unknown): SimRequest {
  const url = new URL(path, 'http://127.0.0.1');
  return {
    method,
    path: url.pathname,
    query: url.searchParams,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? '' : JSON.stringify(body),
  };
}

function parse(response: SimResponse): unknown {
  return response.body ? JSON.parse(response.body) : {};
}

/** Checks a success against the model; returns the parsed body. */
function expectConforming(model: ServiceModel, name: string, response: SimResponse): Record<string, unknown> {
  const operation = model.operations[name];
  if (!operation) throw new Error(`no operation ${name}`);
  expect(response.status, `${name} status`).toBe(operation.http.responseCode ?? 200);
  const body = parse(response) as Record<string, unknown>;
  if (operation.output) expect(validateBody(model, operation.output.shape, body)).toEqual([]);
  else expect(response.body ?? '').toBe('');
  return body;
}

/** Checks an error against the model: declared for the operation, right status, right members. */
function expectDeclaredError(model: ServiceModel, name: string, response: SimResponse, type: string): void {
  const declared = (model.operations[name]?.errors ?? []).map((error) => error.shape);
  expect(declared, `${name} declares ${type}`).toContain(type);
  expect(response.headers?.['x-amzn-ErrorType']).toBe(type);
  expect(response.status).toBe(errorStatus(model, type));
  expect(validateBody(model, type, parse(response))).toEqual([]);
}

/** The DRS of the Region pair; tests talk to the recovery Region's (requests already routed to it). */
function drsWorld() {
  const world = new SimWorld();
  const service = new DrsService(world, () => () => undefined);
  const drs = service.recovery;
  drs.addSourceServer({
    id: 's-0a1b2c3d4e5f60001',
    hostname: 'web-1',
    tags: { 'dr-autopilot:workload': 'web' },
  });
  drs.addSourceServer({
    id: 's-0a1b2c3d4e5f60002',
    hostname: 'db-1',
    state: 'STALLED',
    lagDuration: 'PT40M',
  });
  return { world, drs, service };
}

const drsPath = (name: string) => requestPath(drsModel.operations[name] as never);

describe('simulated DRS conforms to the DRS service model', () => {
  it.each([
    ['DescribeSourceServers', { filters: {} }],
    ['DescribeSourceServers', { filters: { sourceServerIDs: ['s-0a1b2c3d4e5f60002'] }, maxResults: 1 }],
    ['DescribeRecoveryInstances', { filters: {} }],
    ['DescribeJobs', { filters: {} }],
    ['DescribeRecoverySnapshots', { sourceServerID: 's-0a1b2c3d4e5f60001', order: 'DESC', maxResults: 1 }],
  ])('%s answers with the output shape (%j)', async (name, input) => {
    // Prepare: a recovery, so instances, jobs and snapshots exist
    const { drs } = drsWorld();
    await drs.handle(
      request('POST', drsPath('StartRecovery'), {
        sourceServers: [{ sourceServerID: 's-0a1b2c3d4e5f60001' }],
      }),
    );

    // Act
    const response = await drs.handle(
      request(drsModel.operations[name]?.http.method ?? '', drsPath(name), input),
    );

    // Assess
    const body = expectConforming(drsModel, name, response);
    expect((body.items as unknown[]).length).toBeGreaterThan(0);
  });

  it('StartRecovery and ReverseReplication answer with their output shapes', async () => {
    // Prepare
    const { drs } = drsWorld();

    // Act
    const started = await drs.handle(
      request('POST', drsPath('StartRecovery'), {
        sourceServers: [{ sourceServerID: 's-0a1b2c3d4e5f60001' }],
        isDrill: false,
      }),
    );
    const instanceId = drs.recoveryInstances[0]?.recoveryInstanceID ?? '';
    const reversed = await drs.handle(
      request('POST', drsPath('ReverseReplication'), { recoveryInstanceID: instanceId }),
    );

    // Assess
    expect(expectConforming(drsModel, 'StartRecovery', started).job).toBeDefined();
    expect(
      expectConforming(drsModel, 'ReverseReplication', reversed).reversedDirectionSourceServerArn,
    ).toMatch(/^arn:aws:drs:us-east-1:\d{12}:source-server\/s-[0-9a-z]{17}$/);
  });

  it('throttles with ThrottlingException, 429 and a Retry-After header', async () => {
    // Prepare
    const { world, drs } = drsWorld();
    world.faults.push({
      service: 'drs',
      operation: 'DescribeJobs',
      error: 'ThrottlingException',
      times: 1,
      retryAfterSeconds: '7',
    });

    // Act
    const response = await drs.handle(request('POST', drsPath('DescribeJobs'), {}));

    // Assess
    expectDeclaredError(drsModel, 'DescribeJobs', response, 'ThrottlingException');
    expect(response.headers?.['Retry-After']).toBe('7');
  });

  it.each([
    ['ReverseReplication', 'ResourceNotFoundException', { recoveryInstanceID: 'i-0123456789abcdef0' }],
    ['ReverseReplication', 'ValidationException', { recoveryInstanceID: 's-not-an-instance' }],
    ['DescribeRecoverySnapshots', 'ValidationException', {}],
  ])('%s answers %s as the model declares it', async (name, type, input) => {
    // Prepare
    const { drs } = drsWorld();

    // Act
    const response = await drs.handle(request('POST', drsPath(name), input));

    // Assess
    expectDeclaredError(drsModel, name, response, type);
  });

  it('answers a second ReverseReplication of the same instance with ConflictException', async () => {
    // Prepare
    const { drs } = drsWorld();
    await drs.handle(
      request('POST', drsPath('StartRecovery'), {
        sourceServers: [{ sourceServerID: 's-0a1b2c3d4e5f60001' }],
      }),
    );
    const instanceId = drs.recoveryInstances[0]?.recoveryInstanceID ?? '';
    await drs.handle(request('POST', drsPath('ReverseReplication'), { recoveryInstanceID: instanceId }));

    // Act
    const response = await drs.handle(
      request('POST', drsPath('ReverseReplication'), { recoveryInstanceID: instanceId }),
    );

    // Assess
    expectDeclaredError(drsModel, 'ReverseReplication', response, 'ConflictException');
  });

  it('serves the failback and cleanup operations with their output shapes', async () => {
    // Prepare: a failover in the recovery Region, reversed into the primary Region
    const { drs, service } = drsWorld();
    await drs.handle(
      request('POST', drsPath('StartRecovery'), {
        sourceServers: [{ sourceServerID: 's-0a1b2c3d4e5f60001' }],
      }),
    );
    const b2 = drs.recoveryInstances[0]?.recoveryInstanceID ?? '';
    await drs.handle(request('POST', drsPath('ReverseReplication'), { recoveryInstanceID: b2 }));
    drs.progressReversedReplication('CONTINUOUS', 'PT10S', { lagForm: 'datetime' });
    const primary = service.primary;
    const a2 = primary.sourceServers[0]?.sourceServerID ?? '';

    // Act: failback launch and re-protection in the primary Region, then cleanup
    const failback = await primary.handle(
      request('POST', drsPath('StartRecovery'), { sourceServers: [{ sourceServerID: a2 }] }),
    );
    const a3 = primary.recoveryInstances[0]?.recoveryInstanceID ?? '';
    const reprotected = await primary.handle(
      request('POST', drsPath('ReverseReplication'), { recoveryInstanceID: a3 }),
    );
    const stopped = await primary.handle(request('POST', drsPath('StopReplication'), { sourceServerID: a2 }));
    const terminated = await drs.handle(
      request('POST', drsPath('TerminateRecoveryInstances'), { recoveryInstanceIDs: [b2] }),
    );
    const instanceDisconnected = await primary.handle(
      request('POST', drsPath('DisconnectRecoveryInstance'), { recoveryInstanceID: a3 }),
    );
    const instanceDeleted = await primary.handle(
      request('POST', drsPath('DeleteRecoveryInstance'), { recoveryInstanceID: a3 }),
    );
    const disconnected = await primary.handle(
      request('POST', drsPath('DisconnectSourceServer'), { sourceServerID: a2 }),
    );
    const deleted = await primary.handle(
      request('POST', drsPath('DeleteSourceServer'), { sourceServerID: a2 }),
    );

    // Assess
    expectConforming(drsModel, 'StartRecovery', failback);
    expect(
      expectConforming(drsModel, 'ReverseReplication', reprotected).reversedDirectionSourceServerArn,
    ).toMatch(/^arn:aws:drs:us-west-2:/);
    expectConforming(drsModel, 'StopReplication', stopped);
    expect(expectConforming(drsModel, 'TerminateRecoveryInstances', terminated).job).toMatchObject({
      type: 'TERMINATE',
      initiatedBy: 'TERMINATE_RECOVERY_INSTANCES',
    });
    expectConforming(drsModel, 'DisconnectRecoveryInstance', instanceDisconnected);
    expectConforming(drsModel, 'DeleteRecoveryInstance', instanceDeleted);
    expectConforming(drsModel, 'DisconnectSourceServer', disconnected);
    expectConforming(drsModel, 'DeleteSourceServer', deleted);
    for (const name of ['DescribeSourceServers', 'DescribeRecoveryInstances', 'DescribeJobs']) {
      for (const region of [drs, primary]) {
        expectConforming(drsModel, name, await region.handle(request('POST', drsPath(name), {})));
      }
    }
  });

  it.each([
    ['DeleteSourceServer', 'a connected source server', { sourceServerID: 's-0a1b2c3d4e5f60002' }],
    [
      'DisconnectSourceServer',
      'a source server with a recovery instance',
      { sourceServerID: 's-0a1b2c3d4e5f60001' },
    ],
    ['DeleteRecoveryInstance', 'a connected recovery instance', { recoveryInstanceID: 'LAUNCHED' }],
    [
      'TerminateRecoveryInstances',
      'an instance already terminating',
      { recoveryInstanceIDs: ['TERMINATING'] },
    ],
    ['ReverseReplication', 'an instance whose agent is starting', { recoveryInstanceID: 'HELD' }],
  ])('%s answers ConflictException for %s, as the model declares it', async (name, _, input) => {
    // Prepare: a launched instance, one terminating, one whose agent is starting
    const { drs } = drsWorld();
    drs.reversalConflict = { calls: 1 };
    await drs.handle(
      request('POST', drsPath('StartRecovery'), {
        sourceServers: [{ sourceServerID: 's-0a1b2c3d4e5f60001' }],
      }),
    );
    const launched = drs.recoveryInstances[0]?.recoveryInstanceID ?? '';
    if (name === 'TerminateRecoveryInstances') {
      await drs.handle(request('POST', drsPath(name), { recoveryInstanceIDs: [launched] }));
    }
    const body = JSON.parse(
      JSON.stringify(input).replace(/"(LAUNCHED|TERMINATING|HELD)"/g, JSON.stringify(launched)),
    ) as Record<string, unknown>;

    // Act
    const response = await drs.handle(request('POST', drsPath(name), body));

    // Assess
    expectDeclaredError(drsModel, name, response, 'ConflictException');
  });

  it("types a recovery instance's lag as the model does only in the date-time form", async () => {
    // Prepare: a reversal, continuous
    const { drs } = drsWorld();
    await drs.handle(
      request('POST', drsPath('StartRecovery'), {
        sourceServers: [{ sourceServerID: 's-0a1b2c3d4e5f60001' }],
      }),
    );
    const id = drs.recoveryInstances[0]?.recoveryInstanceID ?? '';
    await drs.handle(request('POST', drsPath('ReverseReplication'), { recoveryInstanceID: id }));
    const describe = async () =>
      parse(await drs.handle(request('POST', drsPath('DescribeRecoveryInstances'), {})));

    // Act
    drs.progressReversedReplication('CONTINUOUS', 'PT10S', { lagForm: 'datetime' });
    const asDateTime = await describe();
    drs.progressReversedReplication('CONTINUOUS', 'PT10S');
    const asDuration = await describe();

    // Assess: the duration form (the default) is the one the model's type does not allow
    expect(validateBody(drsModel, 'DescribeRecoveryInstancesResponse', asDateTime)).toEqual([]);
    expect(validateBody(drsModel, 'DescribeRecoveryInstancesResponse', asDuration).join('\n')).toMatch(
      /"PT10S" does not match .*ISO8601DatetimeString/,
    );
  });

  it('answers every operation with UninitializedAccountException where DRS is not initialised', async () => {
    // Prepare
    const { drs } = drsWorld();
    drs.initialized = false;

    // Act
    const response = await drs.handle(request('POST', drsPath('DescribeSourceServers'), {}));

    // Assess
    expectDeclaredError(drsModel, 'DescribeSourceServers', response, 'UninitializedAccountException');
  });
});

function backupWorld() {
  const world = new SimWorld();
  const backup = new BackupSim(world, () => undefined);
  backup.seed({
    recoveryPoints: [
      {
        id: 'orders',
        vault: 'Default',
        resourceType: 'DynamoDB',
        resourceArn: 'arn:aws:dynamodb:us-east-1:111122223333:table/orders',
        copiedFrom: 'Default',
        tags: { 'dr-autopilot:workload': 'orders' },
      },
    ],
  });
  backup.materialize = async () => 'arn:aws:dynamodb:us-west-2:111122223333:table/restored-orders';
  const point = backup.recoveryPoints[0]?.point.RecoveryPointArn ?? '';
  return { world, backup, point };
}

function backupCall(
  backup: BackupSim,
  name: string,
  labels: Record<string, string> = {},
  body?: unknown,
  query = '',
) {
  const operation = backupModel.operations[name];
  if (!operation) throw new Error(`no operation ${name}`);
  const path = requestPath(operation, labels);
  return backup.handle(request(operation.http.method, `${path}${query}`, body));
}

describe('simulated AWS Backup conforms to the Backup service model', () => {
  it('serves the restore lifecycle with the output shapes', async () => {
    // Prepare
    const { backup, point } = backupWorld();

    // Act
    const started = await backupCall(
      backup,
      'StartRestoreJob',
      {},
      {
        RecoveryPointArn: point,
        Metadata: { targetTableName: 'restored-orders' },
        IamRoleArn: 'arn:aws:iam::111122223333:role/restore',
        IdempotencyToken: 'token-1',
        ResourceType: 'DynamoDB',
      },
    );
    const restoreJobId = String(expectConforming(backupModel, 'StartRestoreJob', started).RestoreJobId);
    await backup.play({ backup: 'finishRestore', status: 'COMPLETED' });
    const described = await backupCall(backup, 'DescribeRestoreJob', {
      RestoreJobId: restoreJobId,
      restoreJobId,
    });
    const validated = await backupCall(
      backup,
      'PutRestoreValidationResult',
      { RestoreJobId: restoreJobId, restoreJobId },
      { ValidationStatus: 'SUCCESSFUL', ValidationStatusMessage: 'table readable' },
    );

    // Assess
    expect(expectConforming(backupModel, 'DescribeRestoreJob', described)).toMatchObject({
      Status: 'COMPLETED',
      CreatedResourceArn: 'arn:aws:dynamodb:us-west-2:111122223333:table/restored-orders',
    });
    expectConforming(backupModel, 'PutRestoreValidationResult', validated);
  });

  it('serves recovery points, metadata, tags and copy jobs with the output shapes', async () => {
    // Prepare
    const { backup, point } = backupWorld();
    await backup.play({ backup: 'copyCompleted', recoveryPoint: 'orders' });
    const copyJobId = backup.copyJobs[0]?.CopyJobId ?? '';
    const labels = {
      BackupVaultName: 'Default',
      backupVaultName: 'Default',
      RecoveryPointArn: point,
      recoveryPointArn: point,
    };

    // Act
    const answers = {
      ListRecoveryPointsByBackupVault: await backupCall(backup, 'ListRecoveryPointsByBackupVault', labels),
      DescribeRecoveryPoint: await backupCall(backup, 'DescribeRecoveryPoint', labels),
      GetRecoveryPointRestoreMetadata: await backupCall(backup, 'GetRecoveryPointRestoreMetadata', labels),
      GetRestoreTestingInferredMetadata: await backupCall(
        backup,
        'GetRestoreTestingInferredMetadata',
        {},
        undefined,
        `?BackupVaultName=Default&RecoveryPointArn=${encodeURIComponent(point)}`,
      ),
      ListTags: await backupCall(backup, 'ListTags', { ResourceArn: point, resourceArn: point }),
      DescribeCopyJob: await backupCall(backup, 'DescribeCopyJob', { CopyJobId: copyJobId, copyJobId }),
    };

    // Assess
    for (const [name, response] of Object.entries(answers)) expectConforming(backupModel, name, response);
    expect(parse(answers.ListTags)).toEqual({ Tags: { 'dr-autopilot:workload': 'orders' } });
  });

  it('lists restore jobs by status and completion date, a page at a time (ListRestoreJobs)', async () => {
    // Prepare: a restore dr-autopilot started and a restore testing plan's, both completed; one still running.
    const { backup, point } = backupWorld();
    await backupCall(
      backup,
      'StartRestoreJob',
      {},
      { RecoveryPointArn: point, Metadata: {}, IdempotencyToken: 'a' },
    );
    await backup.play({ backup: 'restoreTest', recoveryPoint: 'orders', plan: 'weekly' });
    await backup.play({ backup: 'finishRestore', status: 'COMPLETED' });
    await backupCall(
      backup,
      'StartRestoreJob',
      {},
      { RecoveryPointArn: point, Metadata: {}, IdempotencyToken: 'b' },
    );
    const after = new Date(Date.now() - 60_000).toISOString();

    // Act
    const first = await backupCall(
      backup,
      'ListRestoreJobs',
      {},
      undefined,
      `?status=COMPLETED&completeAfter=${after}&maxResults=1`,
    );
    const token = String((parse(first) as { NextToken?: string }).NextToken);
    const second = await backupCall(
      backup,
      'ListRestoreJobs',
      {},
      undefined,
      `?status=COMPLETED&completeAfter=${after}&maxResults=1&nextToken=${token}`,
    );
    const tooMany = await backupCall(backup, 'ListRestoreJobs', {}, undefined, '?maxResults=1001');

    // Assess
    const jobs = [first, second].flatMap(
      (answer) =>
        (expectConforming(backupModel, 'ListRestoreJobs', answer).RestoreJobs ?? []) as Record<
          string,
          unknown
        >[],
    );
    expect(jobs.map((job) => job.Status)).toEqual(['COMPLETED', 'COMPLETED']);
    expect(
      jobs.filter(
        (job) => (job.CreatedBy as { RestoreTestingPlanArn?: string } | undefined)?.RestoreTestingPlanArn,
      ),
    ).toHaveLength(1);
    expect((parse(second) as { NextToken?: string }).NextToken).toBeUndefined();
    expectDeclaredError(backupModel, 'ListRestoreJobs', tooMany, 'InvalidParameterValueException');
  });

  it.each([
    ['DescribeRestoreJob', 'ResourceNotFoundException'],
    ['PutRestoreValidationResult', 'ResourceNotFoundException'],
    ['DescribeCopyJob', 'ResourceNotFoundException'],
  ])('%s answers %s as the model declares it', async (name, type) => {
    // Prepare
    const { backup } = backupWorld();

    // Act
    const response = await backupCall(
      backup,
      name,
      { RestoreJobId: 'NOPE', restoreJobId: 'NOPE', CopyJobId: 'NOPE', copyJobId: 'NOPE' },
      name === 'PutRestoreValidationResult' ? { ValidationStatus: 'FAILED' } : undefined,
    );

    // Assess
    expectDeclaredError(backupModel, name, response, type);
  });

  it('refuses to change a validation status once set (InvalidRequestException)', async () => {
    // Prepare
    const { backup, point } = backupWorld();
    const started = await backupCall(
      backup,
      'StartRestoreJob',
      {},
      { RecoveryPointArn: point, Metadata: {} },
    );
    const restoreJobId = String(parse(started) && (parse(started) as { RestoreJobId: string }).RestoreJobId);
    await backup.play({ backup: 'finishRestore', status: 'COMPLETED' });
    const labels = { RestoreJobId: restoreJobId, restoreJobId };
    await backupCall(backup, 'PutRestoreValidationResult', labels, { ValidationStatus: 'FAILED' });

    // Act
    const again = await backupCall(backup, 'PutRestoreValidationResult', labels, {
      ValidationStatus: 'SUCCESSFUL',
    });

    // Assess
    expectDeclaredError(backupModel, 'PutRestoreValidationResult', again, 'InvalidRequestException');
  });
});

describe('the model validator', () => {
  it.each([
    ['an unknown member', { items: [], surprise: 1 }, /unknown member "surprise"/],
    [
      'a value outside an enum',
      { items: [{ jobID: 'drsjob-00000000000000001', status: 'DONE' }] },
      /"DONE" is not one of/,
    ],
    ['a missing required member', { items: [{ status: 'COMPLETED' }] }, /missing required member "jobID"/],
    [
      'a wrong type',
      { items: [{ jobID: 'drsjob-00000000000000001', participatingServers: 'none' }] },
      /expected a list/,
    ],
  ])('reports %s', (_, body, problem) => {
    // Act
    const problems = validateBody(drsModel, 'DescribeJobsResponse', body);

    // Assess
    expect(problems.join('\n')).toMatch(problem);
  });
});
