import {
  DescribeSourceServersCommand,
  DrsClient,
  type RecoveryInstance,
  type SourceServer,
} from '@aws-sdk/client-drs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { advanceClock, installSimClock, resetClock } from '../../../sim/clock.ts';
import { type AwsEvent, DrsService } from '../../../sim/drs.ts';
import { type SimRequest, type SimResponse, startHttpServer } from '../../../sim/http.ts';
import { SimWorld } from '../../../sim/world.ts';

/**
 * The simulated DRS of the Region pair (A = us-east-1, primary; B = us-west-2, recovery), named as in AWS's
 * cross-Region failback guide: B1 replicates A1 into B; a failover launch makes B2 in B; ReverseReplication(B2)
 * makes A2 in A; a failback launch of A2 makes A3 in A; ReverseReplication(A3) makes B1 protect A3's instance.
 */
const A = 'us-east-1';
const B = 'us-west-2';
const B1 = 's-0a1b2c3d4e5f60001';
const OTHER = 's-0a1b2c3d4e5f60002';

type Emitted = Omit<AwsEvent, 'id' | 'time' | 'version'> & { bus: string };

function pair() {
  const world = new SimWorld();
  const events: Emitted[] = [];
  const service = new DrsService(world, (region) => (event) => events.push({ ...event, bus: region }));
  service.recovery.addSourceServer({
    id: B1,
    hostname: 'payments-web-1',
    tags: { 'dr-autopilot:workload': 'payments' },
  });
  service.recovery.addSourceServer({ id: OTHER, hostname: 'payments-db-1' });
  return { world, service, events, a: service.primary, b: service.recovery };
}

/** A request as the SDK sends it: SigV4-signed for `region` (the scope is what routes it). */
function signed(
  region: string | undefined,
  operation: string,
  body: unknown = {},
  service = 'drs',
): SimRequest {
  return {
    method: 'POST',
    path: `/${operation}`,
    query: new URLSearchParams(),
    headers: {
      'content-type': 'application/json',
      ...(region === undefined
        ? {}
        : {
            authorization: `AWS4-HMAC-SHA256 Credential=ASIAEXAMPLE/20261129/${region}/${service}/aws4_request, SignedHeaders=host;x-amz-date, Signature=0123`,
          }),
    },
    body: JSON.stringify(body),
  };
}

function body(response: SimResponse): Record<string, unknown> {
  return response.body ? (JSON.parse(response.body) as Record<string, unknown>) : {};
}

function errorType(response: SimResponse): string | undefined {
  return response.headers?.['x-amzn-ErrorType'];
}

async function call(service: DrsService, region: string, operation: string, input: unknown = {}) {
  const response = await service.handle(signed(region, operation, input));
  return { status: response.status, error: errorType(response), body: body(response), response };
}

async function sourceServers(service: DrsService, region: string): Promise<SourceServer[]> {
  return (await call(service, region, 'DescribeSourceServers', { filters: {} })).body.items as SourceServer[];
}

async function recoveryInstances(service: DrsService, region: string): Promise<RecoveryInstance[]> {
  return (await call(service, region, 'DescribeRecoveryInstances', { filters: {} })).body
    .items as RecoveryInstance[];
}

/** A failover of B1 in B: returns B2. */
async function failover(service: DrsService, isDrill = false): Promise<RecoveryInstance> {
  const started = await call(service, B, 'StartRecovery', {
    sourceServers: [{ sourceServerID: B1 }],
    isDrill,
  });
  expect(started.status).toBe(202);
  const instance = (await recoveryInstances(service, B)).find((candidate) => candidate.sourceServerID === B1);
  if (!instance) throw new Error('no recovery instance');
  return instance;
}

/** Failover (unless B2 is given), reversal to A, initial sync done: returns B2 and A2. */
async function reversed(
  service: DrsService,
  launched?: RecoveryInstance,
): Promise<{ b2: RecoveryInstance; a2: SourceServer }> {
  const b2 = launched ?? (await failover(service));
  const answer = await call(service, B, 'ReverseReplication', { recoveryInstanceID: b2.recoveryInstanceID });
  expect(answer.status).toBe(200);
  service.recovery.progressReversedReplication('CONTINUOUS');
  const a2 = (await sourceServers(service, A)).find(
    (server) => server.arn === answer.body.reversedDirectionSourceServerArn,
  );
  if (!a2) throw new Error('no A2');
  return { b2, a2 };
}

/** Failback launch of A2 in A: returns A3. */
async function failback(service: DrsService, a2: SourceServer, isDrill = false): Promise<RecoveryInstance> {
  const started = await call(service, A, 'StartRecovery', {
    sourceServers: [{ sourceServerID: a2.sourceServerID }],
    isDrill,
  });
  expect(started.status).toBe(202);
  const a3 = (await recoveryInstances(service, A)).find(
    (candidate) => candidate.sourceServerID === a2.sourceServerID,
  );
  if (!a3) throw new Error('no A3');
  return a3;
}

beforeAll(() => installSimClock());
afterEach(() => resetClock());
afterAll(() => resetClock());

describe('one DRS endpoint for the Region pair, routed by the SigV4 credential scope', () => {
  it('serves each Region its own state', async () => {
    // Prepare
    const { service, a } = pair();
    a.addSourceServer({ id: 's-0f1b2c3d4e5f60009', hostname: 'reverse-1', originRegion: B });

    // Act
    const inA = await sourceServers(service, A);
    const inB = await sourceServers(service, B);

    // Assess
    expect(inA.map((server) => server.sourceServerID)).toEqual(['s-0f1b2c3d4e5f60009']);
    expect(inB.map((server) => server.sourceServerID)).toEqual([B1, OTHER]);
    expect(inB[0]?.arn).toBe(`arn:aws:drs:${B}:111122223333:source-server/${B1}`);
  });

  it.each([
    [
      'an unsigned request',
      signed(undefined, 'DescribeSourceServers'),
      403,
      'MissingAuthenticationTokenException',
    ],
    [
      'a request signed for another service',
      signed(A, 'DescribeSourceServers', {}, 'backup'),
      403,
      'InvalidSignatureException',
    ],
    [
      'a request signed for a Region outside the pair',
      signed('eu-west-1', 'DescribeSourceServers'),
      403,
      'InvalidSignatureException',
    ],
    [
      'a malformed signature',
      {
        ...signed(A, 'DescribeSourceServers'),
        headers: { authorization: 'AWS4-HMAC-SHA256 SignedHeaders=host, Signature=0' },
      },
      400,
      'IncompleteSignatureException',
    ],
  ])('refuses %s as AWS would', async (_, request, status, type) => {
    // Prepare
    const { world, service } = pair();

    // Act
    const response = await service.handle(request);

    // Assess
    expect(response.status).toBe(status);
    expect(errorType(response)).toBe(type);
    expect(world.calls.at(-1)).toMatchObject({
      service: 'drs',
      operation: 'DescribeSourceServers',
      result: type,
    });
  });

  it('lets an SDK client made for a Region reach that Region (AWS_ENDPOINT_URL_DRS unchanged)', async () => {
    // Prepare
    const { service, a } = pair();
    a.addSourceServer({ id: 's-0f1b2c3d4e5f60009', hostname: 'reverse-1', originRegion: B });
    const server = await startHttpServer((request) => service.handle(request));
    const client = (region: string) =>
      new DrsClient({
        region,
        endpoint: server.url,
        credentials: { accessKeyId: 'ASIAEXAMPLE', secretAccessKey: 'secret' },
      });
    const [primary, recovery] = [client(A), client(B)];

    try {
      // Act
      const inA = await primary.send(new DescribeSourceServersCommand({ filters: {} }));
      const inB = await recovery.send(new DescribeSourceServersCommand({ filters: {} }));

      // Assess
      expect(inA.items?.map((item) => item.sourceServerID)).toEqual(['s-0f1b2c3d4e5f60009']);
      expect(inB.items?.map((item) => item.sourceServerID)).toEqual([B1, OTHER]);
    } finally {
      primary.destroy();
      recovery.destroy();
      await server.close();
    }
  });

  it('does not answer for a lost Region (the connection drops), and answers again once it is back', async () => {
    // Prepare
    const { world, service, b } = pair();
    const server = await startHttpServer((request) => service.handle(request));
    const primary = new DrsClient({
      region: A,
      endpoint: server.url,
      maxAttempts: 1,
      credentials: { accessKeyId: 'ASIAEXAMPLE', secretAccessKey: 'secret' },
    });

    try {
      // Act
      b.loseOriginRegion(A);
      const duringOutage = await primary.send(new DescribeSourceServersCommand({})).catch((error) => error);
      const recoveryAnswers = await call(service, B, 'DescribeSourceServers');
      b.restoreOriginRegion(A);
      const afterOutage = await primary.send(new DescribeSourceServersCommand({}));

      // Assess
      expect(duringOutage).toBeInstanceOf(Error);
      expect(String((duringOutage as Error & { code?: string }).code ?? duringOutage)).toMatch(
        /ECONNRESET|socket hang up/,
      );
      expect(world.calls.some((entry) => entry.region === A && entry.result === 'RegionUnavailable')).toBe(
        true,
      );
      expect(recoveryAnswers.status).toBe(200);
      expect(afterOutage.items).toEqual([]);
    } finally {
      primary.destroy();
      await server.close();
    }
  });
});

describe('cross-Region failback (A = us-east-1, B = us-west-2)', () => {
  it('ReverseReplication(B2) in B creates A2 in A and pairs it with B1', async () => {
    // Prepare
    const { service } = pair();
    const b2 = await failover(service);
    const [b1Before] = await sourceServers(service, B);

    // Act
    const answer = await call(service, B, 'ReverseReplication', {
      recoveryInstanceID: b2.recoveryInstanceID,
    });

    // Assess: A2 lives in A, as the guide names it
    const inA = await sourceServers(service, A);
    expect(inA).toHaveLength(1);
    const a2 = inA[0] as SourceServer;
    expect(answer.body.reversedDirectionSourceServerArn).toBe(a2.arn);
    expect(a2.arn).toMatch(/^arn:aws:drs:us-east-1:111122223333:source-server\/s-[0-9a-z]{17}$/);
    expect(a2).toMatchObject({
      replicationDirection: 'FAILBACK',
      recoveryInstanceId: b2.recoveryInstanceID,
      reversedDirectionSourceServerArn: b1Before?.arn,
      tags: { 'dr-autopilot:workload': 'payments' },
      sourceProperties: { identificationHints: { awsInstanceID: b2.ec2InstanceID } },
      sourceCloudProperties: { originRegion: B },
      dataReplicationInfo: { dataReplicationState: 'INITIATING' },
    });
    const [b1] = await sourceServers(service, B);
    expect(b1?.reversedDirectionSourceServerArn).toBe(a2.arn);
    const [b2After] = await recoveryInstances(service, B);
    expect(b2After?.dataReplicationInfo?.dataReplicationState).toBe('INITIATING');
    expect(b2After?.failback?.state).toBe('FAILBACK_NOT_READY_FOR_LAUNCH');
    expect(await sourceServers(service, B)).toHaveLength(2);
  });

  it('answers a second ReverseReplication of a replicating instance with ConflictException', async () => {
    // Prepare
    const { service } = pair();
    const b2 = await failover(service);
    await call(service, B, 'ReverseReplication', { recoveryInstanceID: b2.recoveryInstanceID });

    // Act
    const again = await call(service, B, 'ReverseReplication', { recoveryInstanceID: b2.recoveryInstanceID });

    // Assess
    expect(again.status).toBe(409);
    expect(again.error).toBe('ConflictException');
    expect(await sourceServers(service, A)).toHaveLength(1);
  });

  it('moves B2 and A2 together; B2 is ready for failback on CONTINUOUS', async () => {
    // Prepare
    const { service, b } = pair();
    const b2 = await failover(service);
    await call(service, B, 'ReverseReplication', { recoveryInstanceID: b2.recoveryInstanceID });

    // Act
    const moved = b.progressReversedReplication('INITIAL_SYNC');
    const [a2Syncing] = await sourceServers(service, A);
    const [b2Syncing] = await recoveryInstances(service, B);
    b.progressReversedReplication('CONTINUOUS', 'PT7S');

    // Assess
    expect(moved).toBe(1);
    expect(a2Syncing?.dataReplicationInfo?.dataReplicationState).toBe('INITIAL_SYNC');
    expect(b2Syncing?.failback?.state).toBe('FAILBACK_NOT_READY_FOR_LAUNCH');
    const [a2] = await sourceServers(service, A);
    const [b2Ready] = await recoveryInstances(service, B);
    expect(a2?.dataReplicationInfo).toMatchObject({
      dataReplicationState: 'CONTINUOUS',
      lagDuration: 'PT7S',
    });
    expect(b2Ready?.dataReplicationInfo).toMatchObject({
      dataReplicationState: 'CONTINUOUS',
      lagDuration: 'PT7S',
    });
    expect(b2Ready?.failback?.state).toBe('FAILBACK_READY_FOR_LAUNCH');
  });

  it("writes the recovery instance's lag as a date-time on request (the model's type)", async () => {
    // Prepare
    const { service, b } = pair();
    const b2 = await failover(service);
    await call(service, B, 'ReverseReplication', { recoveryInstanceID: b2.recoveryInstanceID });

    // Act
    b.progressReversedReplication('CONTINUOUS', 'PT30S', { lagForm: 'datetime' });

    // Assess
    const [instance] = await recoveryInstances(service, B);
    const lag = instance?.dataReplicationInfo?.lagDuration ?? '';
    expect(lag).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
    expect(Date.now() - Date.parse(lag)).toBeGreaterThanOrEqual(29_000);
    const [a2] = await sourceServers(service, A);
    expect(a2?.dataReplicationInfo?.lagDuration).toBe('PT30S');
  });

  it.each([
    [false, 'START_RECOVERY', 'FALSE'],
    [true, 'START_DRILL', 'TRUE'],
  ])('launches for failback in A like any launch (isDrill %s)', async (isDrill, initiatedBy, eventDrill) => {
    // Prepare
    const { service, events } = pair();
    const { a2 } = await reversed(service);
    events.length = 0;

    // Act
    const a3 = await failback(service, a2, isDrill);

    // Assess: job, recovery instance and Launch Result all in A
    expect(a3).toMatchObject({
      sourceServerID: a2.sourceServerID,
      isDrill,
      originEnvironment: 'AWS',
      arn: expect.stringMatching(/^arn:aws:drs:us-east-1:/),
    });
    const jobs = (await call(service, A, 'DescribeJobs', {})).body.items as { jobID: string }[];
    expect(jobs).toEqual([expect.objectContaining({ jobID: a3.jobID, type: 'LAUNCH', initiatedBy })]);
    expect(events).toEqual([
      expect.objectContaining({
        bus: A,
        region: A,
        'detail-type': 'DRS Source Server Launch Result',
        resources: [a2.arn],
        detail: { state: 'RECOVERY_LAUNCH_SUCCEEDED', 'job-id': a3.jobID, 'is-drill': eventDrill },
      }),
    ]);
    const [a2After] = await sourceServers(service, A);
    expect(a2After).toMatchObject({
      lastLaunchResult: 'SUCCEEDED',
      recoveryInstanceId: a3.recoveryInstanceID,
      lifeCycle: { lastLaunch: { initiated: { jobID: a3.jobID }, status: 'LAUNCHED' } },
    });
  });

  it('re-protects with ReverseReplication(A3) in A: B1 now protects A4, and is no longer lost', async () => {
    // Prepare: A is lost, B1 fails over, A comes back, failback to A
    const { service, b } = pair();
    b.loseOriginRegion(A);
    advanceClock(30 * 60_000);
    const b2 = await failover(service);
    b.restoreOriginRegion(A);
    const { a2 } = await reversed(service, b2);
    const a3 = await failback(service, a2);
    const [b1Lost] = await sourceServers(service, B);

    // Act
    const answer = await call(service, A, 'ReverseReplication', {
      recoveryInstanceID: a3.recoveryInstanceID,
    });
    advanceClock(10 * 60_000);

    // Assess
    expect(b1Lost?.dataReplicationInfo?.dataReplicationState).toBe('DISCONNECTED');
    expect(answer.status).toBe(200);
    expect(answer.body.reversedDirectionSourceServerArn).toBe(b1Lost?.arn);
    const [b1] = await sourceServers(service, B);
    expect(b1?.sourceProperties?.identificationHints?.awsInstanceID).toBe(a3.ec2InstanceID);
    expect(b1?.dataReplicationInfo?.dataReplicationState).toBe('RESCAN');
    expect(b1?.dataReplicationInfo?.dataReplicationError).toBeUndefined();
    expect(b1?.dataReplicationInfo?.lagDuration).toBe(b1Lost?.dataReplicationInfo?.lagDuration);
    expect(b1?.reversedDirectionSourceServerArn).toBe(a2.arn);
    const snapshots = await call(service, B, 'DescribeRecoverySnapshots', {
      sourceServerID: B1,
      order: 'DESC',
    });
    const newest = (snapshots.body.items as { timestamp: string }[])[0];
    expect(Date.now() - Date.parse(newest?.timestamp ?? '')).toBeLessThan(10 * 60_000);
    const [a3After] = await recoveryInstances(service, A);
    expect(a3After?.dataReplicationInfo?.dataReplicationState).toBe('INITIATING');

    // And the re-protection moves with A3
    expect(service.primary.progressReversedReplication('CONTINUOUS', 'PT3S')).toBe(1);
    const [b1Continuous] = await sourceServers(service, B);
    expect(b1Continuous?.dataReplicationInfo).toMatchObject({
      dataReplicationState: 'CONTINUOUS',
      lagDuration: 'PT3S',
    });
  });

  it("keeps B1's reversedDirectionSourceServerArn through cleanup of A2", async () => {
    // Prepare
    const { service } = pair();
    const { b2, a2 } = await reversed(service);
    const a2Id = a2.sourceServerID;

    // Act: stop, terminate B2 (B3), disconnect and delete A2
    await call(service, A, 'StopReplication', { sourceServerID: a2Id });
    await call(service, B, 'TerminateRecoveryInstances', { recoveryInstanceIDs: [b2.recoveryInstanceID] });
    advanceClock(5 * 60_000);
    const disconnected = await call(service, A, 'DisconnectSourceServer', { sourceServerID: a2Id });
    const deleted = await call(service, A, 'DeleteSourceServer', { sourceServerID: a2Id });

    // Assess
    expect(disconnected.status).toBe(200);
    expect(deleted.status).toBe(204);
    expect(await sourceServers(service, A)).toEqual([]);
    const [b1] = await sourceServers(service, B);
    expect(b1?.reversedDirectionSourceServerArn).toBe(a2.arn);
  });
});

describe('cleanup and hygiene operations', () => {
  it('terminates in a TERMINATE job; the recovery instance is gone only after the EC2 instance shut down', async () => {
    // Prepare
    const { world, service } = pair();
    const drill = await failover(service, true);

    // Act
    const answer = await call(service, B, 'TerminateRecoveryInstances', {
      recoveryInstanceIDs: [drill.recoveryInstanceID],
    });
    const shuttingDown = await recoveryInstances(service, B);
    advanceClock(4 * 60_000);
    const stillThere = await recoveryInstances(service, B);
    const again = await call(service, B, 'TerminateRecoveryInstances', {
      recoveryInstanceIDs: [drill.recoveryInstanceID],
    });
    advanceClock(60_000);
    const gone = await recoveryInstances(service, B);

    // Assess
    expect(answer.status).toBe(200);
    const job = answer.body.job as { jobID: string };
    expect(job).toMatchObject({ type: 'TERMINATE', initiatedBy: 'TERMINATE_RECOVERY_INSTANCES' });
    expect(shuttingDown[0]?.ec2InstanceState).toBe('SHUTTING-DOWN');
    expect(stillThere).toHaveLength(1);
    expect(again.error).toBe('ConflictException');
    expect(gone).toEqual([]);
    const jobs = (await call(service, B, 'DescribeJobs', { filters: { jobIDs: [job.jobID] } })).body.items;
    expect(jobs).toEqual([
      expect.objectContaining({
        status: 'COMPLETED',
        participatingServers: [expect.objectContaining({ launchStatus: 'TERMINATED', sourceServerID: B1 })],
      }),
    ]);
    const [b1] = await sourceServers(service, B);
    expect(b1?.lifeCycle?.lastLaunch?.status).toBe('TERMINATED');
    expect(b1?.recoveryInstanceId).toBeUndefined();
    expect(
      world.calls
        .filter((entry) => entry.operation === 'TerminateRecoveryInstances')
        .map((entry) => entry.mutating),
    ).toEqual([true, true]);
  });

  it.each([
    ['no IDs', [], 'ValidationException'],
    ['an unknown ID', ['i-0123456789abcdef0'], 'ResourceNotFoundException'],
  ])('refuses to terminate %s, terminating nothing', async (_, ids, type) => {
    // Prepare
    const { service } = pair();
    await failover(service);

    // Act
    const answer = await call(service, B, 'TerminateRecoveryInstances', { recoveryInstanceIDs: ids });

    // Assess
    expect(answer.error).toBe(type);
    expect((await recoveryInstances(service, B))[0]?.ec2InstanceState).toBe('RUNNING');
  });

  it('keeps a drill instance until someone terminates it', async () => {
    // Prepare
    const { service } = pair();
    await failover(service, true);

    // Act
    advanceClock(30 * 24 * 3_600_000);

    // Assess
    expect(await recoveryInstances(service, B)).toEqual([expect.objectContaining({ isDrill: true })]);
  });

  it('stops replication: STOPPED, snapshots deleted; a second stop is a conflict', async () => {
    // Prepare
    const { service } = pair();

    // Act
    const stopped = await call(service, B, 'StopReplication', { sourceServerID: OTHER });
    const again = await call(service, B, 'StopReplication', { sourceServerID: OTHER });
    const snapshots = await call(service, B, 'DescribeRecoverySnapshots', { sourceServerID: OTHER });

    // Assess
    expect(stopped.status).toBe(200);
    expect((stopped.body.sourceServer as SourceServer).dataReplicationInfo?.dataReplicationState).toBe(
      'STOPPED',
    );
    expect(again.error).toBe('ConflictException');
    expect(snapshots.body.items).toEqual([]);
  });

  it('deletes a source server only once disconnected, and disconnects it only without a recovery instance', async () => {
    // Prepare
    const { service } = pair();
    const b2 = await failover(service);

    // Act
    const deleteFirst = await call(service, B, 'DeleteSourceServer', { sourceServerID: OTHER });
    const disconnectWithInstance = await call(service, B, 'DisconnectSourceServer', { sourceServerID: B1 });
    const disconnected = await call(service, B, 'DisconnectSourceServer', { sourceServerID: OTHER });
    const deleted = await call(service, B, 'DeleteSourceServer', { sourceServerID: OTHER });

    // Assess
    expect(deleteFirst.error).toBe('ConflictException');
    expect(disconnectWithInstance.error).toBe('ConflictException');
    expect(b2.sourceServerID).toBe(B1);
    expect(disconnected.status).toBe(200);
    expect(disconnected.body.dataReplicationInfo).toMatchObject({
      dataReplicationState: 'DISCONNECTED',
      replicatedDisks: [expect.objectContaining({ totalStorageBytes: 0 })],
    });
    expect((disconnected.body.dataReplicationInfo as { lagDuration?: string }).lagDuration).toBeUndefined();
    expect(deleted.status).toBe(204);
    expect((await sourceServers(service, B)).map((server) => server.sourceServerID)).toEqual([B1]);
  });

  it('deletes a recovery instance only once disconnected', async () => {
    // Prepare
    const { service } = pair();
    const b2 = await failover(service);
    const id = { recoveryInstanceID: b2.recoveryInstanceID };

    // Act
    const deleteFirst = await call(service, B, 'DeleteRecoveryInstance', id);
    const disconnected = await call(service, B, 'DisconnectRecoveryInstance', id);
    const afterDisconnect = await recoveryInstances(service, B);
    const deleted = await call(service, B, 'DeleteRecoveryInstance', id);

    // Assess
    expect(deleteFirst.error).toBe('ConflictException');
    expect(disconnected.status).toBe(200);
    expect(afterDisconnect[0]?.dataReplicationInfo?.dataReplicationState).toBe('DISCONNECTED');
    expect(deleted.status).toBe(200);
    expect(await recoveryInstances(service, B)).toEqual([]);
  });
});

describe('ReverseReplication while the agent of a new recovery instance starts', () => {
  it('answers ConflictException for a simulated time after launch, applying nothing', async () => {
    // Prepare
    const { service, b, a } = pair();
    b.reversalConflict = { seconds: 20 * 60 };
    const b2 = await failover(service);
    const id = { recoveryInstanceID: b2.recoveryInstanceID };

    // Act
    const atOnce = await call(service, B, 'ReverseReplication', id);
    advanceClock(19 * 60_000);
    const later = await call(service, B, 'ReverseReplication', id);
    const unchanged = await recoveryInstances(service, B);
    const serversInA = a.sourceServers.length;
    advanceClock(60_000);
    const ready = await call(service, B, 'ReverseReplication', id);

    // Assess
    expect([atOnce.error, later.error]).toEqual(['ConflictException', 'ConflictException']);
    expect(unchanged[0]?.dataReplicationInfo?.dataReplicationState).toBe('NOT_STARTED');
    expect(serversInA).toBe(0);
    expect(ready.status).toBe(200);
  });

  it('answers ConflictException for the first N calls of each instance', async () => {
    // Prepare
    const { service, b } = pair();
    b.reversalConflict = { calls: 2 };
    const b2 = await failover(service);
    const id = { recoveryInstanceID: b2.recoveryInstanceID };

    // Act
    const answers = [];
    for (let attempt = 0; attempt < 3; attempt++)
      answers.push(await call(service, B, 'ReverseReplication', id));

    // Assess
    expect(answers.map((answer) => answer.error ?? answer.status)).toEqual([
      'ConflictException',
      'ConflictException',
      200,
    ]);
  });
});

describe('the primary Region comes back', () => {
  it('reconnects servers that were not failed over and leaves the failed-over ones until failback', async () => {
    // Prepare
    const { service, b } = pair();
    b.loseOriginRegion(A);
    await failover(service);
    advanceClock(60 * 60_000);

    // Act
    const restored = b.restoreOriginRegion(A);

    // Assess
    expect(restored).toEqual({ reconnected: [OTHER], failedOver: [B1] });
    const [b1, other] = await sourceServers(service, B);
    expect(b1?.dataReplicationInfo?.dataReplicationState).toBe('DISCONNECTED');
    expect(other?.dataReplicationInfo?.dataReplicationState).toBe('RESCAN');
    expect((await call(service, A, 'DescribeSourceServers')).status).toBe(200);
  });
});
