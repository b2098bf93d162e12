import {
  DescribeRecoveryInstancesCommand,
  DescribeRecoverySnapshotsCommand,
  DescribeSourceServersCommand,
  DrsClient,
  UninitializedAccountException,
} from '@aws-sdk/client-drs';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { createDrsAdapter } from '../../../src/adapters/drs.ts';
import { isUninitializedAccount, runReplicationMonitor } from '../../../src/app/replication-monitor.ts';
import { CapturingSignalPublisher } from '../../fakes/signals.ts';
import { ACCOUNT, CapturingMetrics, MemoryMonitorState, monitorPolicy, REGION, serverId } from './fakes.ts';

/** The shared DRS adapter as the replication monitor uses it, against aws-sdk-client-mock. */
const drsMock = mockClient(DrsClient);
const client = new DrsClient({ region: REGION });

const apiServer = (n: number) => ({
  sourceServerID: serverId(n),
  arn: `arn:aws:drs:${REGION}:${ACCOUNT}:source-server/${serverId(n)}`,
  tags: {},
  replicationDirection: 'FAILOVER' as const,
  dataReplicationInfo: {
    dataReplicationState: 'CONTINUOUS' as const,
    lagDuration: 'P0D',
    replicatedDisks: [{ deviceName: '/dev/xvda', backloggedStorageBytes: n }],
  },
});

async function all<T>(pages: AsyncIterable<T[]>): Promise<T[]> {
  const items: T[] = [];
  for await (const page of pages) items.push(...page);
  return items;
}

describe('DRS adapter, as the replication monitor reads it', () => {
  beforeEach(() => {
    drsMock.reset();
  });

  it('follows nextToken through several pages of source servers', async () => {
    const pages = [
      { items: [apiServer(1), apiServer(2)], nextToken: 'page-2' },
      { items: [apiServer(3), apiServer(4)], nextToken: 'page-3' },
      { items: [apiServer(5)] },
    ];
    // The SDK paginator reuses one input object: record each call's token when it is made.
    const tokens: (string | undefined)[] = [];
    drsMock
      .on(DescribeSourceServersCommand)
      .callsFake((input: { nextToken?: string; maxResults?: number }) => {
        tokens.push(input.nextToken);
        expect(input.maxResults).toBe(100);
        return pages[tokens.length - 1];
      });

    const servers = await all(createDrsAdapter(client).listSourceServers());

    expect(servers.map((server) => server.sourceServerId)).toEqual([1, 2, 3, 4, 5].map(serverId));
    expect(servers[4]?.replicatedDisks).toEqual([{ deviceName: '/dev/xvda', backloggedStorageBytes: 5 }]);
    expect(tokens).toEqual([undefined, 'page-2', 'page-3']);
  });

  it('follows nextToken through several pages of recovery instances', async () => {
    drsMock
      .on(DescribeRecoveryInstancesCommand)
      .resolvesOnce({
        items: [
          {
            recoveryInstanceID: 'i-0000000000000000a',
            dataReplicationInfo: { dataReplicationState: 'CONTINUOUS', lagDuration: 'PT1M' },
          },
        ],
        nextToken: 't2',
      })
      .resolvesOnce({ items: [{ recoveryInstanceID: 'i-0000000000000000b' }] });

    const instances = await all(createDrsAdapter(client).listRecoveryInstances());

    expect(
      instances.map((instance) => [
        instance.recoveryInstanceId,
        instance.dataReplicationState,
        instance.lagDuration,
      ]),
    ).toEqual([
      ['i-0000000000000000a', 'CONTINUOUS', 'PT1M'],
      ['i-0000000000000000b', undefined, undefined],
    ]);
    expect(drsMock).toHaveReceivedCommandTimes(DescribeRecoveryInstancesCommand, 2);
  });

  it('asks for the newest point-in-time snapshot only (newest first, one item)', async () => {
    drsMock.on(DescribeRecoverySnapshotsCommand).resolves({
      items: [
        {
          snapshotID: 'pit-1',
          sourceServerID: serverId(1),
          expectedTimestamp: '2026-11-22T11:50:00Z',
          timestamp: '2026-11-22T11:50:03Z',
        },
      ],
    });

    const snapshot = await createDrsAdapter(client).newestRecoverySnapshot(serverId(1));

    expect(drsMock).toHaveReceivedCommandWith(DescribeRecoverySnapshotsCommand, {
      sourceServerID: serverId(1),
      order: 'DESC',
      maxResults: 1,
    });
    expect(snapshot).toEqual({
      snapshotId: 'pit-1',
      expectedTimestamp: '2026-11-22T11:50:00Z',
      timestamp: '2026-11-22T11:50:03Z',
    });
  });

  it('surfaces UninitializedAccountException, which the monitor turns into a drs-service finding', async () => {
    const uninitialized = new UninitializedAccountException({
      message: 'Account not initialized',
      $metadata: {},
    });
    drsMock.on(DescribeSourceServersCommand).rejects(uninitialized);
    drsMock.on(DescribeRecoveryInstancesCommand).rejects(uninitialized);
    const signals = new CapturingSignalPublisher();

    await expect(all(createDrsAdapter(client).listSourceServers())).rejects.toSatisfy(isUninitializedAccount);
    const outcome = await runReplicationMonitor(
      { kind: 'schedule', id: 'sweep-uninit', account: ACCOUNT, region: REGION },
      {
        drs: createDrsAdapter(client),
        state: new MemoryMonitorState(),
        metrics: new CapturingMetrics(),
        signals,
        clock: () => new Date('2026-11-22T12:00:00Z'),
        dryRun: false,
        policy: monitorPolicy(),
      },
    );

    expect(outcome).toMatchObject({ action: 'swept', drsInitialized: false });
    expect(
      signals.published.map((signal) => [signal.detail.resource.type, signal.detail.assessment?.state]),
    ).toEqual([['drs-service', 'NOT_READY']]);
    expect(signals.published[0]?.detail.assessment?.reason).toContain('not initialised');
  });

  it('does not mistake another error for an uninitialised account', () => {
    expect(isUninitializedAccount(new Error('UninitializedAccountException'))).toBe(false);
    expect(isUninitializedAccount({ name: 'UninitializedAccountException' })).toBe(false);
  });
});
