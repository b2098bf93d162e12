import { DeleteTableCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { awsError, type DoubleResponse, startAwsDouble } from '../helpers/aws-http-double.ts';
import { lambdaContext } from '../helpers/context.ts';
import { createEvidenceTable, createIdempotencyTable, startDynalite } from '../helpers/dynalite.ts';
import { baseEnv } from '../helpers/env.ts';
import { loadSample, type SampleEvent } from '../helpers/events.ts';

/**
 * The real handler (functions/reverse-replication.ts, with its middy chain and Powertools idempotency) against
 * real SDK clients pointed at local doubles through AWS_ENDPOINT_URL_<SERVICE>, and dynalite for idempotency.
 */
const SOURCE_SERVER = 's-12345678901234567';
const INSTANCE = 'i-0a1b2c3d4e5f60718';
const JOB = 'drsjob-04ca7d0d3fb6afa3e';

/** DRS state as the double serves it; ReverseReplication changes it as DRS would. */
const drsState = {
  instanceReplication: 'NOT_STARTED',
  reversedArn: undefined as string | undefined,
  reversals: 0,
  throttleReversals: 0,
  /** Answers of ReverseReplication lost after DRS acted (a 500 after apply): the next n calls. */
  loseReversalAnswers: 0,
  isDrillInstance: false,
};

/** PutEvents faults: whole calls answered 500, and entries of one detail-type failed within a 200. */
const busState = { failCalls: 0, failEntriesOf: '', failEntries: 0 };

function resetDrs() {
  Object.assign(drsState, {
    instanceReplication: 'NOT_STARTED',
    reversedArn: undefined,
    reversals: 0,
    throttleReversals: 0,
    loseReversalAnswers: 0,
    isDrillInstance: false,
  });
  Object.assign(busState, { failCalls: 0, failEntriesOf: '', failEntries: 0 });
}

let doubles: Awaited<ReturnType<typeof startAwsDouble>>;
let dynamo: Awaited<ReturnType<typeof startDynalite>>;
let handler: (event: unknown, context: unknown) => Promise<Record<string, unknown>>;
let putEvents: Record<string, unknown>[] = [];

beforeAll(async () => {
  dynamo = await startDynalite();
  await createIdempotencyTable(dynamo.client, 'idempotency');
  await createEvidenceTable(dynamo.client, 'evidence');
  doubles = await startAwsDouble({
    DescribeJobs: () => ({
      body: {
        items: [
          {
            jobID: JOB,
            type: 'LAUNCH',
            initiatedBy: 'START_RECOVERY',
            status: 'COMPLETED',
            participatingServers: [
              { sourceServerID: SOURCE_SERVER, recoveryInstanceID: INSTANCE, launchStatus: 'LAUNCHED' },
            ],
          },
        ],
      },
    }),
    DescribeSourceServers: () => ({
      body: {
        items: [
          {
            sourceServerID: SOURCE_SERVER,
            arn: `arn:aws:drs:us-west-2:111122223333:source-server/${SOURCE_SERVER}`,
            tags: { 'dr-autopilot:workload': 'payments' },
            replicationDirection: 'FAILOVER',
            sourceCloudProperties: { originRegion: 'us-east-1', originAccountID: '111122223333' },
            ...(drsState.reversedArn ? { reversedDirectionSourceServerArn: drsState.reversedArn } : {}),
          },
        ],
      },
    }),
    DescribeRecoveryInstances: () => ({
      body: {
        items: [
          {
            recoveryInstanceID: INSTANCE,
            sourceServerID: SOURCE_SERVER,
            jobID: JOB,
            isDrill: drsState.isDrillInstance,
            originEnvironment: 'AWS',
            dataReplicationInfo: { dataReplicationState: drsState.instanceReplication },
          },
        ],
      },
    }),
    ReverseReplication: (request): DoubleResponse => {
      if (drsState.throttleReversals > 0) {
        drsState.throttleReversals -= 1;
        return awsError(429, 'ThrottlingException', 'Rate exceeded');
      }
      const lost = () => {
        if (drsState.loseReversalAnswers <= 0) return undefined;
        drsState.loseReversalAnswers -= 1;
        return awsError(500, 'InternalServerException', 'internal error');
      };
      if (drsState.instanceReplication !== 'NOT_STARTED')
        return lost() ?? awsError(409, 'ConflictException', 'replication already reversed');
      expect(request.body).toEqual({ recoveryInstanceID: INSTANCE });
      drsState.reversals += 1;
      drsState.instanceReplication = 'INITIATING';
      drsState.reversedArn = 'arn:aws:drs:us-east-1:111122223333:source-server/s-abcdefabcdefabcde';
      const answer = lost();
      if (answer) return answer;
      // Slow enough for concurrent invocations to overlap.
      return { delayMs: 100, body: { reversedDirectionSourceServerArn: drsState.reversedArn } };
    },
    PutEvents: (request) => {
      if (busState.failCalls > 0) {
        busState.failCalls -= 1;
        return awsError(500, 'InternalException', 'internal error');
      }
      const entries = (request.body.Entries as Record<string, unknown>[]) ?? [];
      const results = entries.map((entry, index) => {
        if (entry.DetailType === busState.failEntriesOf && busState.failEntries > 0) {
          busState.failEntries -= 1;
          return { ErrorCode: 'InternalFailure', ErrorMessage: 'internal error' };
        }
        putEvents.push(entry);
        return { EventId: `evt-${putEvents.length}-${index}` };
      });
      return {
        body: {
          FailedEntryCount: results.filter((result) => 'ErrorCode' in result).length,
          Entries: results,
        },
      };
    },
  });
  Object.assign(process.env, baseEnv(), {
    AWS_ENDPOINT_URL_DRS: doubles.endpoint,
    AWS_ENDPOINT_URL_EVENTBRIDGE: doubles.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_LAMBDA_FUNCTION_NAME: 'dr-autopilot-test-reverseReplication',
    AWS_MAX_ATTEMPTS: '2',
  });
  ({ handler } = (await import('../../functions/reverse-replication.ts')) as unknown as {
    handler: typeof handler;
  });
});

afterAll(async () => {
  await doubles?.close();
  await dynamo?.close();
});

beforeEach(async () => {
  resetDrs();
  putEvents = [];
  // Each test reads its own ledger.
  await dynamo.client.send(new DeleteTableCommand({ TableName: 'evidence' }));
  await createEvidenceTable(dynamo.client, 'evidence');
});

function launchEvent(id: string, change: (event: SampleEvent) => void = () => {}) {
  const event = loadSample<SampleEvent>('drs', 'source-server-launch-result.recovery-launch-succeeded');
  event.id = id;
  change(event);
  return event;
}

/** The evidence ledger's records (the real table in dynalite), by id. */
async function evidenceIds(): Promise<string[]> {
  const { Items = [] } = await dynamo.client.send(new ScanCommand({ TableName: 'evidence' }));
  return Items.map((item) => item.id?.S ?? '').sort();
}

const context = () => lambdaContext({ functionName: 'dr-autopilot-test-reverseReplication' });

/** Lambda's async invocation: on error, retry (here: at once) up to `retries` times. */
async function invokeAsync(event: unknown, retries = 2) {
  let lastError: unknown;
  for (let attempt = 0; attempt <= retries; attempt++) {
    try {
      return await handler(event, context());
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

describe('reverse-replication handler, end to end', () => {
  it('starts exactly one reversal when the same event is delivered twice', async () => {
    const event = launchEvent('dup-twice-1');

    const first = await handler(event, context());
    const second = await handler(structuredClone(event), context());

    expect(first).toMatchObject({ action: 'reverse-replication-started', recoveryInstanceIds: [INSTANCE] });
    expect(second).toEqual(first);
    expect(drsState.reversals).toBe(1);
    expect(doubles.count('PutEvents')).toBeGreaterThan(0);
    expect(putEvents.map((entry) => entry.DetailType)).toEqual([
      'Recovery Launch Succeeded',
      'Reversed Replication Started',
    ]);
    expect(await evidenceIds()).toEqual([`launch#${JOB}#${SOURCE_SERVER}`, `reversal#${INSTANCE}#${JOB}`]);
  });

  it('starts exactly one reversal when the same event arrives five times at once', async () => {
    const event = launchEvent('dup-concurrent-1');

    const results = await Promise.allSettled(
      Array.from({ length: 5 }, () => handler(structuredClone(event), context())),
    );
    // The duplicates were refused while the first was in progress; Lambda retries them.
    const rejected = results.filter((result) => result.status === 'rejected');
    expect(rejected.length).toBeGreaterThan(0);
    for (const result of rejected)
      expect(String((result as PromiseRejectedResult).reason)).toMatch(
        /IdempotencyAlreadyInProgress|already in progress/i,
      );
    const retried = await Promise.all(rejected.map(() => invokeAsync(structuredClone(event))));

    expect(drsState.reversals).toBe(1);
    for (const outcome of retried) expect(outcome).toMatchObject({ action: 'reverse-replication-started' });
    expect(putEvents.filter((entry) => entry.DetailType === 'Reversed Replication Started')).toHaveLength(1);
    // Five writers of the same evidence: the launch and the reversal, nothing else.
    expect(await evidenceIds()).toEqual([`launch#${JOB}#${SOURCE_SERVER}`, `reversal#${INSTANCE}#${JOB}`]);
  });

  it('a throttled first attempt, retried, starts exactly one reversal', async () => {
    drsState.throttleReversals = 2; // more than the SDK's own attempts (AWS_MAX_ATTEMPTS=2): the invocation fails

    await expect(handler(launchEvent('throttled-1'), context())).rejects.toThrow(/Rate exceeded/);
    expect(drsState.reversals).toBe(0);
    const outcome = await handler(launchEvent('throttled-1'), context());

    expect(outcome).toMatchObject({ action: 'reverse-replication-started' });
    expect(drsState.reversals).toBe(1);
  });

  it('a redelivery under a new event id after the reversal is skipped by the API-state check', async () => {
    await handler(launchEvent('first-delivery'), context());

    const outcome = await handler(launchEvent('replayed-with-new-id'), context());

    expect(outcome).toMatchObject({ action: 'skipped', reason: 'already-reversed' });
    expect(drsState.reversals).toBe(1);
  });

  it('records the reversal even when the attempt that started it could not write the ledger', async () => {
    // The ledger is unavailable when the first attempt writes (after ReverseReplication succeeded)
    await dynamo.client.send(new DeleteTableCommand({ TableName: 'evidence' }));
    await expect(handler(launchEvent('ledger-down-1'), context())).rejects.toThrow(
      /ResourceNotFound|not found/i,
    );
    expect(drsState.reversals).toBe(1);
    await createEvidenceTable(dynamo.client, 'evidence');
    // Lambda's retry finds the reversal started and records it, once
    const outcome = await handler(launchEvent('ledger-down-1'), context());
    expect(outcome).toMatchObject({ action: 'skipped', reason: 'already-reversed' });
    expect(await evidenceIds()).toEqual([`launch#${JOB}#${SOURCE_SERVER}`, `reversal#${INSTANCE}#${JOB}`]);
    expect(drsState.reversals).toBe(1);
  });

  /** The Reversed Replication Started signals put on the bus, as their detail. */
  const startedSignals = () =>
    putEvents
      .filter((entry) => entry.DetailType === 'Reversed Replication Started')
      .map((entry) => JSON.parse(String(entry.Detail)) as Record<string, Record<string, unknown>>);

  it('a reversal whose every answer is lost (500 after apply) is signalled by the retry that finds it started', async () => {
    // DRS reverses at the first attempt and every answer of this invocation is lost (AWS_MAX_ATTEMPTS=2)
    drsState.loseReversalAnswers = 2;
    await expect(handler(launchEvent('lost-answer-1'), context())).rejects.toThrow(/internal error/);
    expect(drsState.reversals).toBe(1);
    expect(startedSignals()).toEqual([]);

    // Lambda's retry finds the reversal under way: skipped as done, and signalled as started
    const outcome = await handler(launchEvent('lost-answer-1'), context());

    expect(outcome).toMatchObject({ action: 'skipped', reason: 'already-reversed' });
    expect(drsState.reversals).toBe(1);
    const started = startedSignals();
    expect(started).toHaveLength(1);
    expect(started[0]).toMatchObject({
      resource: { type: 'drs-recovery-instance', id: INSTANCE },
      workload: 'payments',
      assessment: { state: 'NOT_READY' },
      evidence: {
        recoveryInstanceId: INSTANCE,
        confirmedBy: 'found already reversed (INITIATING, failback state unset)',
      },
    });
    expect(await evidenceIds()).toEqual([`launch#${JOB}#${SOURCE_SERVER}`, `reversal#${INSTANCE}#${JOB}`]);
  });

  it('a reversal whose first answer is lost is confirmed within the invocation by the ConflictException of the SDK retry', async () => {
    drsState.loseReversalAnswers = 1;

    const outcome = await handler(launchEvent('lost-answer-2'), context());

    expect(outcome).toMatchObject({ action: 'reverse-replication-started', recoveryInstanceIds: [INSTANCE] });
    expect(drsState.reversals).toBe(1);
    expect(startedSignals().map((signal) => signal.evidence?.confirmedBy)).toEqual([
      're-read after ConflictException (INITIATING)',
    ]);
  });

  it('a reversal whose signals PutEvents refused is signalled again by the retry, once in the ledger', async () => {
    busState.failCalls = 2; // every SDK attempt of the first invocation's PutEvents
    await expect(handler(launchEvent('bus-down-1'), context())).rejects.toThrow(/internal error/);
    expect(drsState.reversals).toBe(1);
    expect(putEvents).toEqual([]);

    const outcome = await handler(launchEvent('bus-down-1'), context());

    expect(outcome).toMatchObject({ action: 'skipped', reason: 'already-reversed' });
    expect(drsState.reversals).toBe(1);
    expect(startedSignals()).toHaveLength(1);
    expect(await evidenceIds()).toEqual([`launch#${JOB}#${SOURCE_SERVER}`, `reversal#${INSTANCE}#${JOB}`]);
  });

  it('a partial PutEvents failure of the started signal fails the invocation, and the retry publishes it', async () => {
    // The started signal's entry fails within every PutEvents of the publisher's three attempts
    Object.assign(busState, { failEntriesOf: 'Reversed Replication Started', failEntries: 3 });
    await expect(handler(launchEvent('partial-1'), context())).rejects.toThrow(
      /PutEvents failed for 1 signal\(s\) after 3 attempts: InternalFailure/,
    );
    expect(putEvents.map((entry) => entry.DetailType)).toEqual(['Recovery Launch Succeeded']);

    const outcome = await handler(launchEvent('partial-1'), context());

    expect(outcome).toMatchObject({ action: 'skipped', reason: 'already-reversed' });
    expect(drsState.reversals).toBe(1);
    expect(startedSignals()).toHaveLength(1);
    // The retry's launch signal is the same signal (same id): readiness folds it as a duplicate.
    const launches = putEvents.filter((entry) => entry.DetailType === 'Recovery Launch Succeeded');
    expect(new Set(launches.map((entry) => JSON.parse(String(entry.Detail)).signalId)).size).toBe(1);
  });

  it('never reverses a drill revealed only by the API', async () => {
    drsState.isDrillInstance = true;
    const reversalsBefore = doubles.count('ReverseReplication');

    const outcome = await handler(launchEvent('drill-by-api-1'), context());

    expect(outcome).toMatchObject({ action: 'skipped', reason: 'drill-by-api' });
    expect(doubles.count('ReverseReplication')).toBe(reversalsBefore);
    expect(drsState.reversals).toBe(0);
  });

  it.each([
    [
      'a missing job-id',
      (e: SampleEvent) => {
        delete e.detail['job-id'];
      },
      /detail\.job-id/,
    ],
    [
      'is-drill as a boolean',
      (e: SampleEvent) => {
        e.detail['is-drill'] = false;
      },
      /detail\.is-drill/,
    ],
    [
      'a resource that is not a source server',
      (e: SampleEvent) => {
        e.resources = ['arn:aws:ec2:us-west-2:111122223333:instance/i-1'];
      },
      /resources/,
    ],
    [
      'another detail-type',
      (e: SampleEvent) => {
        e['detail-type'] = 'DRS PIT Snapshot Taken';
      },
      /detail-type/,
    ],
  ])('rejects an event with %s, naming the field, with no side effect', async (_name, change, message) => {
    const before = doubles.requests.length;

    await expect(handler(launchEvent(`bad-${String(message)}`, change), context())).rejects.toThrow(message);

    expect(doubles.requests.length).toBe(before);
  });

  it.each([
    [
      'another account',
      'arn:aws:drs:us-west-2:444455556666:source-server/s-12345678901234567',
      /resources\.0: must be a resource of the event's account 111122223333 and Region us-west-2 \(names account 444455556666 in us-west-2\)/,
    ],
    [
      'another Region',
      'arn:aws:drs:eu-west-1:111122223333:source-server/s-12345678901234567',
      /resources\.0: .*\(names account 111122223333 in eu-west-1\)/,
    ],
    [
      'another partition',
      'arn:aws-cn:drs:us-west-2:111122223333:source-server/s-12345678901234567',
      /resources\[0\] is in partition "aws-cn"; this function runs in aws/,
    ],
  ])(
    'rejects a Launch Result whose resources ARN names %s, with no side effect',
    async (_what, arn, message) => {
      const before = doubles.requests.length;

      await expect(
        invokeAsync(
          launchEvent(`forged-${arn}`, (e) => {
            e.resources = [arn];
          }),
        ),
      ).rejects.toThrow(message);

      expect(doubles.requests.length).toBe(before);
      expect(putEvents).toEqual([]);
      expect(await evidenceIds()).toEqual([]);
    },
  );

  it('rejects an event from another account with no side effect', async () => {
    const before = doubles.requests.length;

    await expect(
      handler(
        launchEvent('foreign-1', (e) => {
          e.account = '444455556666';
        }),
        context(),
      ),
    ).rejects.toThrow(/account 444455556666/);

    expect(doubles.requests.length).toBe(before);
  });
});
