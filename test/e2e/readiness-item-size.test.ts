import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { meterDynamo, storedItemBytes } from '../../bench/dynamo-meter.ts';
import type { ReadinessState } from '../../events/dr-autopilot/signal.ts';
import { decodeBody } from '../../src/adapters/readiness-store.ts';
import { applyBusEvent, sweepReadiness } from '../../src/app/readiness.ts';
import { readinessEnvSchema, readinessPolicyFrom } from '../../src/app/readiness-config.ts';
import { resourceKey } from '../../src/domain/readiness.ts';
import { CapturingSignalPublisher } from '../fakes/signals.ts';
import { clientOf, startDynalite } from '../helpers/dynalite.ts';
import { delivered, manualClock, minute, readinessDeps } from '../helpers/readiness-fixtures.ts';
import {
  MemoryMonitorState,
  PagedFakeDrs,
  REGION,
  scheduledSweep,
  serverId,
  sourceServer,
} from '../unit/replication/fakes.ts';

/**
 * What a refresh costs on DynamoDB's bill: a write unit per started KB of the larger of the item's sizes before
 * and after. The real replication monitor's signals (a healthy server, one backlogged past its RPO, one
 * stalled) go through the real readiness use case against dynalite, which reports the capacity each request
 * consumed; the refresh half an hour later must confirm each resource with one write unit, whatever its state.
 */
let dynalite: Awaited<ReturnType<typeof startDynalite>>;
beforeAll(async () => {
  dynalite = await startDynalite();
});
afterAll(async () => {
  await dynalite?.close();
});

const STATES: Record<string, ReadinessState> = {
  [resourceKey({ type: 'drs-source-server', id: serverId(1) })]: 'READY',
  [resourceKey({ type: 'drs-source-server', id: serverId(2) })]: 'AT_RISK',
  [resourceKey({ type: 'drs-source-server', id: serverId(3) })]: 'NOT_READY',
};

describe('readiness store: a refresh is one write unit', () => {
  it('confirms a READY, an AT_RISK and a NOT_READY server with one write unit each, with the evidence the monitor writes', async () => {
    // Prepare: three servers as the monitor sees them, their first signals folded and announced
    const client = clientOf(dynalite.endpoint);
    const clock = manualClock(minute(0));
    const { deps: readiness, tableName } = await readinessDeps(client, {
      clock,
      policy: readinessPolicyFrom(readinessEnvSchema.parse({})),
    });
    const drs = new PagedFakeDrs();
    drs.servers = [
      sourceServer(1),
      sourceServer(2, {
        dataReplicationState: 'BACKLOG',
        lagDuration: 'PT27M',
        replicatedDisks: [{ deviceName: '/dev/xvda', backloggedStorageBytes: 1_048_576 }],
      }),
      sourceServer(3, {
        dataReplicationState: 'STALLED',
        dataReplicationError: 'AGENT_NOT_SEEN',
        lagDuration: 'PT42M',
      }),
    ];
    const monitorState = new MemoryMonitorState();
    const signals = new CapturingSignalPublisher();
    /** One monitor sweep at `at` minutes: the events it put on the bus. */
    const monitorSweep = async (at: number) => {
      clock.set(minute(at));
      for (const n of [1, 2, 3]) drs.snapshotAt(n, minute(at - 3).toISOString());
      return scheduledSweep(
        `sweep-${at}`,
        { drs, state: monitorState, signals, clock },
        { refreshAfterSeconds: 30 * 60 },
      );
    };
    for (const at of [0, 5, 10]) {
      for (const event of await monitorSweep(at)) await applyBusEvent(delivered(event, REGION), readiness);
      await sweepReadiness(readiness);
    }
    const announced = Object.fromEntries(
      (await readiness.store.listResources('payments')).map(({ readiness: resource }) => [
        resourceKey(resource.resource),
        resource.state,
      ]),
    );
    expect(announced).toEqual(STATES);
    const refreshed = await monitorSweep(30);
    const meter = meterDynamo(client);

    // Act: the readiness publisher receives the refresh sweep's events
    for (const event of refreshed) await applyBusEvent(delivered(event, REGION), readiness);

    // Assess: one UpdateItem per resource (the servers, and the DRS service in a workload of its own), one
    // write unit each; the items
    // say what the monitor said
    const refresh = meter.snapshot();
    expect(refresh.byCommand).toEqual({ UpdateItem: 4 });
    expect(refresh.writeUnits).toBe(4);
    const { Items = [] } = await client.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :resource)',
        ExpressionAttributeValues: { ':pk': { S: 'workload#payments' }, ':resource': { S: 'resource#' } },
      }),
    );
    expect(Items).toHaveLength(3);
    for (const item of Items) {
      const body = decodeBody(item.body?.B, String(item.sk?.S));
      expect(body.latest.observedAt).toBe(minute(30).toISOString());
      expect(body.latest.evidence).toMatchObject({ refresh: true, trigger: 'schedule' });
      // Room to spare under 1 KB (item sizes as DynamoDB counts them for capacity: no storage overhead); a
      // resource not READY carries the index keys, so its body is compressed harder.
      expect(storedItemBytes(item) - 100).toBeLessThanOrEqual(item.state?.S === 'READY' ? 800 : 890);
    }
    client.destroy();
  });
});
