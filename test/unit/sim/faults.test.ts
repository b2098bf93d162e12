import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BackupSim } from '../../../sim/backup.ts';
import { advanceClock, installSimClock, resetClock } from '../../../sim/clock.ts';
import { DrsService } from '../../../sim/drs.ts';
import { EventBridgeSim } from '../../../sim/eventbridge.ts';
import type { SimRequest, SimResponse } from '../../../sim/http.ts';
import type { LambdaSim } from '../../../sim/lambda.ts';
import { parseScenario } from '../../../sim/scenario-runner.ts';
import { SnsSim } from '../../../sim/sns.ts';
import type { Deployment } from '../../../sim/template.ts';
import { type Fault, SimWorld } from '../../../sim/world.ts';

/**
 * Injected faults, before and after apply. A fault after apply is the answer lost once the change is made (a
 * 5xx after the service acted): the change stays, the client sees only the error, and the call record says both.
 */

const REGION = 'us-west-2';
const SERVER = 's-0a1b2c3d4e5f60001';
const BUS = 'dr-autopilot-sim';
const TOPIC = `arn:aws:sns:${REGION}:111122223333:dr-autopilot-sim-readiness`;

function jsonRequest(path: string, body: unknown, headers: Record<string, string> = {}): SimRequest {
  return {
    method: 'POST',
    path,
    query: new URLSearchParams(),
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  };
}

function parsed(response: SimResponse): Record<string, unknown> {
  return response.body ? (JSON.parse(response.body) as Record<string, unknown>) : {};
}

function fault(service: string, operation: string, error: string, extra: Partial<Fault> = {}): Fault {
  return { service, operation, error, times: 1, ...extra };
}

async function launchedInstance(world: SimWorld) {
  const service = new DrsService(world, () => () => undefined);
  const drs = service.recovery;
  drs.addSourceServer({ id: SERVER, hostname: 'web-1' });
  const call = (operation: string, input: unknown) => drs.handle(jsonRequest(`/${operation}`, input));
  await call('StartRecovery', { sourceServers: [{ sourceServerID: SERVER }], isDrill: false });
  advanceClock(10 * 60_000);
  const instances = parsed(await call('DescribeRecoveryInstances', { filters: {} })).items as {
    recoveryInstanceID: string;
    dataReplicationInfo?: { dataReplicationState?: string };
  }[];
  const id = instances[0]?.recoveryInstanceID ?? '';
  const state = async () =>
    (
      parsed(await call('DescribeRecoveryInstances', { filters: { recoveryInstanceIDs: [id] } })).items as {
        dataReplicationInfo?: { dataReplicationState?: string };
      }[]
    )[0]?.dataReplicationInfo?.dataReplicationState;
  return { call, id, state };
}

function eventBridge(world: SimWorld) {
  const deployment = { region: REGION, buses: [{ name: BUS }], rules: [] } as unknown as Deployment;
  return new EventBridgeSim(world, deployment, {} as LambdaSim);
}

function putEvents(bridge: EventBridgeSim, count: number) {
  return bridge.handle({
    method: 'POST',
    path: '/',
    query: new URLSearchParams(),
    headers: { 'x-amz-target': 'AWSEvents.PutEvents' },
    body: JSON.stringify({
      Entries: Array.from({ length: count }, (_, index) => ({
        EventBusName: BUS,
        Source: 'dr-autopilot',
        DetailType: 'Test Signal',
        Detail: JSON.stringify({ index }),
      })),
    }),
  });
}

function publish(sns: SnsSim, message: string) {
  return sns.handle({
    method: 'POST',
    path: '/',
    query: new URLSearchParams(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ Action: 'Publish', TopicArn: TOPIC, Message: message }).toString(),
  });
}

beforeAll(() => installSimClock());
afterEach(() => resetClock());
afterAll(() => resetClock());

describe('DRS faults', () => {
  it('before apply: ReverseReplication answers 500 and the instance is not reversed', async () => {
    // Prepare
    const world = new SimWorld();
    const { call, id, state } = await launchedInstance(world);
    world.faults.push(fault('drs', 'ReverseReplication', 'InternalServerException'));

    // Act
    const response = await call('ReverseReplication', { recoveryInstanceID: id });

    // Assess
    expect(response.status).toBe(500);
    expect(await state()).toBe('NOT_STARTED');
    const record = world.calls.find((entry) => entry.operation === 'ReverseReplication');
    expect(record).toMatchObject({ result: 'InternalServerException' });
    expect(record?.applied).toBeUndefined();
  });

  it('after apply: ReverseReplication reverses the instance, answers 500, and the record says both', async () => {
    // Prepare
    const world = new SimWorld();
    const { call, id, state } = await launchedInstance(world);
    world.faults.push(fault('drs', 'ReverseReplication', 'InternalServerException', { afterApply: true }));

    // Act
    const lost = await call('ReverseReplication', { recoveryInstanceID: id });
    const again = await call('ReverseReplication', { recoveryInstanceID: id });

    // Assess
    expect(lost.status).toBe(500);
    expect(lost.headers?.['x-amzn-ErrorType']).toBe('InternalServerException');
    expect(await state()).toBe('INITIATING');
    // What DRS answers a second reversal of an instance already replicating back.
    expect(again.status).toBe(409);
    expect(again.headers?.['x-amzn-ErrorType']).toBe('ConflictException');
    const records = world.calls.filter((entry) => entry.operation === 'ReverseReplication');
    expect(records.map(({ result, applied }) => ({ result, applied }))).toEqual([
      { result: 'InternalServerException', applied: true },
      { result: 'ConflictException', applied: undefined },
    ]);
    expect(world.timeline).toContainEqual(
      expect.objectContaining({
        kind: 'call',
        operation: 'ReverseReplication',
        result: 'applied, answered InternalServerException',
      }),
    );
  });

  it('after apply on a call the service refuses: nothing is applied, the fault is answered', async () => {
    // Prepare
    const world = new SimWorld();
    const { call } = await launchedInstance(world);
    world.faults.push(fault('drs', 'ReverseReplication', 'InternalServerException', { afterApply: true }));

    // Act
    const response = await call('ReverseReplication', { recoveryInstanceID: 'i-0000000000000000f' });

    // Assess
    expect(response.status).toBe(500);
    expect(world.calls.at(-1)).toMatchObject({
      operation: 'ReverseReplication',
      result: 'InternalServerException',
    });
    expect(world.calls.at(-1)?.applied).toBeUndefined();
  });
});

describe('EventBridge PutEvents faults', () => {
  it('before apply: nothing reaches the bus', async () => {
    // Prepare
    const world = new SimWorld();
    const bridge = eventBridge(world);
    world.faults.push(fault('eventbridge', 'PutEvents', 'InternalException'));

    // Act
    const response = await putEvents(bridge, 2);

    // Assess
    expect(response.status).toBe(500);
    expect(bridge.events).toHaveLength(0);
    expect(world.calls.at(-1)).toMatchObject({ result: 'InternalException' });
    expect(world.calls.at(-1)?.applied).toBeUndefined();
  });

  it('after apply: every entry is on the bus, the answer is a 500, and a retry puts them again', async () => {
    // Prepare
    const world = new SimWorld();
    const bridge = eventBridge(world);
    world.faults.push(fault('eventbridge', 'PutEvents', 'InternalException', { afterApply: true }));

    // Act
    const lost = await putEvents(bridge, 2);
    const retried = await putEvents(bridge, 2);

    // Assess
    expect(lost.status).toBe(500);
    expect(parsed(lost).__type).toBe('InternalException');
    expect(retried.status).toBe(200);
    expect(bridge.events).toHaveLength(4);
    expect(world.calls.map(({ result, applied }) => ({ result, applied }))).toEqual([
      { result: 'InternalException', applied: true },
      { result: 'ok', applied: undefined },
    ]);
  });

  it('partial failure: one entry of several fails with its ErrorCode, the others are put', async () => {
    // Prepare
    const world = new SimWorld();
    const bridge = eventBridge(world);
    world.faults.push(fault('eventbridge', 'PutEvents', 'PartialFailure'));

    // Act
    const response = await putEvents(bridge, 3);

    // Assess
    expect(response.status).toBe(200);
    const body = parsed(response) as { FailedEntryCount: number; Entries: Record<string, string>[] };
    expect(body.FailedEntryCount).toBe(1);
    expect(body.Entries[0]).toEqual({
      ErrorCode: 'InternalFailure',
      ErrorMessage: 'simulated partial failure',
    });
    expect(body.Entries.slice(1).every((entry) => typeof entry.EventId === 'string')).toBe(true);
    expect(bridge.events.map(({ event }) => event.detail)).toEqual([{ index: 1 }, { index: 2 }]);
    expect(world.calls.at(-1)).toMatchObject({ result: '1 failed entries' });
  });
});

describe('SNS Publish faults', () => {
  it('before apply: no message is kept', () => {
    // Prepare
    const world = new SimWorld();
    const sns = new SnsSim(world, new Set([TOPIC]), REGION);
    world.faults.push(fault('sns', 'Publish', 'InternalError'));

    // Act
    const response = publish(sns, 'hello');

    // Assess
    expect(response.status).toBe(500);
    expect(sns.messages).toHaveLength(0);
  });

  it('after apply: the message is delivered, the answer is a 500, and the record says both', () => {
    // Prepare
    const world = new SimWorld();
    const sns = new SnsSim(world, new Set([TOPIC]), REGION);
    world.faults.push(fault('sns', 'Publish', 'InternalError', { afterApply: true }));

    // Act
    const response = publish(sns, 'hello');

    // Assess
    expect(response.status).toBe(500);
    expect(response.body).toContain('<Code>InternalError</Code>');
    expect(sns.messages.map((message) => message.message)).toEqual(['hello']);
    expect(world.calls.at(-1)).toMatchObject({
      operation: 'Publish',
      result: 'InternalError',
      applied: true,
    });
  });
});

describe('AWS Backup faults', () => {
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
        },
      ],
    });
    backup.materialize = async () => 'arn:aws:dynamodb:us-west-2:111122223333:table/restored-orders';
    const point = backup.recoveryPoints[0]?.point.RecoveryPointArn ?? '';
    const start = () =>
      backup.handle({
        method: 'PUT',
        path: '/restore-jobs',
        query: new URLSearchParams(),
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          RecoveryPointArn: point,
          Metadata: { targetTableName: 'restored-orders' },
          IamRoleArn: 'arn:aws:iam::111122223333:role/restore',
          IdempotencyToken: 'token-1',
          ResourceType: 'DynamoDB',
        }),
      });
    return { world, backup, start };
  }

  it('before apply: no restore job starts', async () => {
    // Prepare
    const { world, backup, start } = backupWorld();
    world.faults.push(fault('backup', 'StartRestoreJob', 'ServiceUnavailableException'));

    // Act
    const response = await start();

    // Assess
    expect(response.status).toBe(500);
    expect(backup.restoreJobs).toHaveLength(0);
  });

  it('after apply: the restore job starts, the answer is a 500, and the same token finds the same job', async () => {
    // Prepare
    const { world, backup, start } = backupWorld();
    world.faults.push(
      fault('backup', 'StartRestoreJob', 'ServiceUnavailableException', { afterApply: true }),
    );

    // Act
    const lost = await start();
    const retried = await start();

    // Assess
    expect(lost.status).toBe(500);
    expect(retried.status).toBe(200);
    expect(backup.restoreJobs).toHaveLength(1);
    expect(parsed(retried).RestoreJobId).toBe(backup.restoreJobs[0]?.RestoreJobId);
    expect(world.calls.map(({ result, applied }) => ({ result, applied }))).toEqual([
      { result: 'ServiceUnavailableException', applied: true },
      { result: 'ok', applied: undefined },
    ]);
  });
});

describe('the scenario schema', () => {
  const scenario = (fault: Record<string, unknown>) => ({
    name: 'faults',
    title: 'faults',
    description: 'faults',
    steps: [{ fault }],
    expect: [{ call: 'drs:ReverseReplication', applied: true, result: 'InternalServerException' }],
  });

  it('accepts afterApply on the services that honour it, and the applied filter of a call expectation', () => {
    // Act
    const parsedScenario = parseScenario(
      scenario({
        service: 'drs',
        operation: 'ReverseReplication',
        error: 'InternalServerException',
        times: 1,
        afterApply: true,
      }),
    );

    // Assess
    expect(parsedScenario.steps[0]).toMatchObject({ fault: { afterApply: true } });
    expect(parsedScenario.expect[0]).toMatchObject({ applied: true });
  });

  it('refuses afterApply on a service that does not honour it, naming the field', () => {
    // Act / Assess
    expect(() =>
      parseScenario(
        scenario({
          service: 'ec2',
          operation: 'TerminateInstances',
          error: 'InternalError',
          times: 1,
          afterApply: true,
        }),
      ),
    ).toThrow('afterApply');
  });

  it('refuses an afterApply that is not a boolean', () => {
    // Act / Assess
    expect(() =>
      parseScenario(
        scenario({
          service: 'drs',
          operation: 'ReverseReplication',
          error: 'InternalServerException',
          times: 1,
          afterApply: 'yes',
        }),
      ),
    ).toThrow('steps.0');
  });
});
