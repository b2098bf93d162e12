import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SignalDetail } from '../../events/dr-autopilot/signal.ts';
import {
  awsError,
  type DoubleRequest,
  type DoubleResponse,
  startAwsDouble,
} from '../helpers/aws-http-double.ts';
import { lambdaContext } from '../helpers/context.ts';
import { createReadinessTable, startDynalite } from '../helpers/dynalite.ts';
import { baseEnv } from '../helpers/env.ts';
import { loadSample } from '../helpers/events.ts';

/**
 * The real handler (functions/replication-monitor.ts: config, middy chain, real SDK clients) against a DRS and
 * EventBridge double on loopback and dynalite for its state.
 */
const ACCOUNT = '111122223333';
const STALLED_SERVER = 's-12345678901234567';
const servers: Record<string, unknown>[] = [];
const drs = { snapshotThrottles: 0 };
let doubles: Awaited<ReturnType<typeof startAwsDouble>>;
let dynamo: Awaited<ReturnType<typeof startDynalite>>;
let handler: (event: unknown, context: unknown) => Promise<Record<string, unknown>>;
let entries: Record<string, unknown>[] = [];

const server = (id: string, overrides: Record<string, unknown> = {}) => ({
  sourceServerID: id,
  arn: `arn:aws:drs:us-west-2:${ACCOUNT}:source-server/${id}`,
  tags: { 'dr-autopilot:workload': 'payments' },
  replicationDirection: 'FAILOVER',
  dataReplicationInfo: {
    dataReplicationState: 'CONTINUOUS',
    lagDuration: 'P0D',
    replicatedDisks: [{ deviceName: '/dev/xvda', backloggedStorageBytes: 0 }],
  },
  ...overrides,
});

function describeSourceServers(request: DoubleRequest): DoubleResponse {
  const filter = (request.body.filters as { sourceServerIDs?: string[] } | undefined)?.sourceServerIDs;
  if (filter)
    return { body: { items: servers.filter((item) => filter.includes(item.sourceServerID as string)) } };
  // Pages of two, to exercise nextToken through the real paginator.
  const start = Number(request.body.nextToken ?? 0);
  const next = start + 2 < servers.length ? { nextToken: String(start + 2) } : {};
  return { body: { items: servers.slice(start, start + 2), ...next } };
}

beforeAll(async () => {
  dynamo = await startDynalite();
  await createReadinessTable(dynamo.client, 'readiness');
  doubles = await startAwsDouble({
    DescribeSourceServers: describeSourceServers,
    DescribeRecoveryInstances: () => ({ body: { items: [] } }),
    DescribeRecoverySnapshots: (request) => {
      if (drs.snapshotThrottles > 0) {
        drs.snapshotThrottles -= 1;
        return awsError(429, 'ThrottlingException', 'Rate exceeded', { 'Retry-After': '0' });
      }
      const at = new Date(Date.now() - 3 * 60_000).toISOString();
      return {
        body: {
          items: [
            {
              snapshotID: `pit-${String(request.body.sourceServerID)}`,
              sourceServerID: request.body.sourceServerID,
              expectedTimestamp: at,
              timestamp: at,
            },
          ],
        },
      };
    },
    PutEvents: (request) => {
      const batch = (request.body.Entries as Record<string, unknown>[]) ?? [];
      entries.push(...batch);
      return {
        body: {
          FailedEntryCount: 0,
          Entries: batch.map((_, index) => ({ EventId: `evt-${entries.length}-${index}` })),
        },
      };
    },
  });
  Object.assign(process.env, baseEnv(), {
    AWS_ENDPOINT_URL_DRS: doubles.endpoint,
    AWS_ENDPOINT_URL_EVENTBRIDGE: doubles.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_LAMBDA_FUNCTION_NAME: 'dr-autopilot-test-replicationMonitor',
    METRICS_DEPLOYMENT: 'dr-autopilot-test',
    POWERTOOLS_METRICS_DISABLED: 'true',
    DRS_RETRY_MODE: 'standard',
    DRS_MAX_ATTEMPTS: '3',
  });
  ({ handler } = (await import('../../functions/replication-monitor.ts')) as unknown as {
    handler: typeof handler;
  });
});

afterAll(async () => {
  await doubles?.close();
  await dynamo?.close();
});

beforeEach(() => {
  entries = [];
});

const context = () => lambdaContext({ functionName: 'dr-autopilot-test-replicationMonitor' });
const scheduled = (id: string) => ({
  version: '0',
  id,
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: ACCOUNT,
  time: new Date().toISOString(),
  region: 'us-west-2',
  resources: [`arn:aws:events:us-west-2:${ACCOUNT}:rule/dr-autopilot-test-replicationMonitor-rule-1`],
  detail: {},
});
const detail = (entry: Record<string, unknown>) => JSON.parse(entry.Detail as string) as SignalDetail;

describe('replication-monitor handler, end to end', () => {
  it('sweeps, signals changes once, re-evaluates a stalled server, and keeps its state in the readiness table', async () => {
    servers.splice(
      0,
      servers.length,
      server(STALLED_SERVER),
      server('s-00000000000000002'),
      server('s-00000000000000003', { replicationDirection: 'FAILBACK' }),
    );
    drs.snapshotThrottles = 1;

    const first = await handler(scheduled('sweep-1'), context());
    const firstEntries = entries.splice(0);
    const second = await handler(scheduled('sweep-2'), context());
    const secondEntries = entries.splice(0);
    servers[0] = server(STALLED_SERVER, {
      dataReplicationInfo: {
        dataReplicationState: 'STALLED',
        lagDuration: 'PT20M',
        dataReplicationError: { error: 'AGENT_NOT_SEEN' },
      },
    });
    const stalledEvent = loadSample('drs', 'source-server-data-replication-stalled-change.stalled');
    const evaluated = await handler(stalledEvent, context());

    expect(first).toMatchObject({
      action: 'swept',
      sourceServers: 3,
      byState: { READY: 3 },
      signalsPublished: 5,
      readyToFailBack: 1,
    });
    expect(firstEntries.map((entry) => [entry.DetailType, detail(entry).resource.id])).toEqual([
      ['Replication Status Changed', 'us-west-2'],
      ['Replication Status Changed', STALLED_SERVER],
      ['Replication Status Changed', 's-00000000000000002'],
      ['Replication Status Changed', 's-00000000000000003'],
      ['Ready To Fail Back', 's-00000000000000003'],
    ]);
    expect(
      firstEntries.every(
        (entry) => entry.EventBusName === 'dr-autopilot-test' && entry.Source === 'dr-autopilot',
      ),
    ).toBe(true);
    // One snapshot query per server and sweep, the throttled one retried, one for the stalled server.
    expect(drs.snapshotThrottles).toBe(0);
    expect(doubles.count('DescribeRecoverySnapshots')).toBe(3 + 1 + 3 + 1);
    expect(second).toMatchObject({ action: 'swept', signalsPublished: 0 });
    expect(secondEntries).toEqual([]);
    expect(evaluated).toMatchObject({
      action: 'server-evaluated',
      sourceServerId: STALLED_SERVER,
      state: 'NOT_READY',
      signalsPublished: 1,
    });
    expect(entries.map((entry) => detail(entry).assessment?.state)).toEqual(['NOT_READY']);
    expect(detail(entries[0] ?? {}).evidence).toMatchObject({
      dataReplicationError: 'AGENT_NOT_SEEN',
      previousState: 'READY',
      trigger: 'stalled-change',
    });

    const { Items = [] } = await dynamo.client.send(
      new QueryCommand({
        TableName: 'readiness',
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: 'detector#replication-monitor' } },
      }),
    );
    expect(Items.map((item) => [item.sk?.S, item.state?.S])).toContainEqual([
      `finding#drs-source-server#${STALLED_SERVER}`,
      'NOT_READY',
    ]);
    // Four findings (the DRS service and three servers) and the refresh marker the first sweep wrote.
    expect(Items).toHaveLength(5);
    const marker = Items.find((item) => item.sk?.S === 'refresh');
    expect(Date.parse(marker?.refreshedAt?.S ?? '')).toBeLessThanOrEqual(Date.now());
  });

  it('rejects a malformed event with a message naming the field, and publishes nothing', async () => {
    const event = loadSample<{ detail: { state: string } }>(
      'drs',
      'source-server-data-replication-stalled-change.stalled',
    );
    event.detail.state = 'SOMETIMES';

    await expect(handler(event, context())).rejects.toThrow(/detail\.state/);
    expect(entries).toEqual([]);
  });
});
