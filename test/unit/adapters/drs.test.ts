import {
  DescribeJobsCommand,
  DescribeRecoveryInstancesCommand,
  DescribeRecoverySnapshotsCommand,
  DescribeSourceServersCommand,
  DrsClient,
  ReverseReplicationCommand,
} from '@aws-sdk/client-drs';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { createDrsAdapter } from '../../../src/adapters/drs.ts';

const drsMock = mockClient(DrsClient);
const client = new DrsClient({ region: 'us-west-2' });

describe('createDrsAdapter', () => {
  beforeEach(() => {
    drsMock.reset();
  });

  it('describes one job by id, mapping its participating servers', async () => {
    drsMock.on(DescribeJobsCommand).resolves({
      items: [
        {
          jobID: 'drsjob-04ca7d0d3fb6afa3e',
          type: 'LAUNCH',
          initiatedBy: 'START_RECOVERY',
          status: 'COMPLETED',
          participatingServers: [
            {
              sourceServerID: 's-12345678901234567',
              recoveryInstanceID: 'i-0a1b2c3d4e5f60718',
              launchStatus: 'LAUNCHED',
            },
          ],
        },
      ],
    });

    const job = await createDrsAdapter(client).describeJob('drsjob-04ca7d0d3fb6afa3e');

    expect(drsMock).toHaveReceivedCommandWith(DescribeJobsCommand, {
      filters: { jobIDs: ['drsjob-04ca7d0d3fb6afa3e'] },
    });
    expect(job).toEqual({
      jobId: 'drsjob-04ca7d0d3fb6afa3e',
      type: 'LAUNCH',
      initiatedBy: 'START_RECOVERY',
      status: 'COMPLETED',
      creationDateTime: undefined,
      participatingServers: [
        {
          sourceServerId: 's-12345678901234567',
          recoveryInstanceId: 'i-0a1b2c3d4e5f60718',
          launchStatus: 'LAUNCHED',
        },
      ],
    });
  });

  it('returns undefined for an unknown job or server', async () => {
    drsMock.on(DescribeJobsCommand).resolves({ items: [] });
    drsMock.on(DescribeSourceServersCommand).resolves({ items: [] });

    await expect(createDrsAdapter(client).describeJob('drsjob-aaaaaaaaaaaaaaaaa')).resolves.toBeUndefined();
    await expect(
      createDrsAdapter(client).describeSourceServer('s-aaaaaaaaaaaaaaaaa'),
    ).resolves.toBeUndefined();
  });

  it('maps the source-server facts the decisions read', async () => {
    drsMock.on(DescribeSourceServersCommand).resolves({
      items: [
        {
          sourceServerID: 's-12345678901234567',
          arn: 'arn:aws:drs:us-west-2:111122223333:source-server/s-12345678901234567',
          tags: { 'dr-autopilot:workload': 'payments' },
          replicationDirection: 'FAILOVER',
          reversedDirectionSourceServerArn: undefined,
          sourceCloudProperties: { originRegion: 'us-east-1', originAccountID: '111122223333' },
          dataReplicationInfo: {
            dataReplicationState: 'BACKLOG',
            lagDuration: 'PT5M',
            replicatedDisks: [{ deviceName: '/dev/xvda', backloggedStorageBytes: 1024 }],
            dataReplicationError: { error: 'UNSTABLE_NETWORK' },
          },
          sourceProperties: { identificationHints: { hostname: 'pay-1' } },
          lifeCycle: { lastLaunch: { initiated: { type: 'RECOVERY', jobID: 'drsjob-04ca7d0d3fb6afa3e' } } },
        },
      ],
    });

    const server = await createDrsAdapter(client).describeSourceServer('s-12345678901234567');

    expect(server).toMatchObject({
      sourceServerId: 's-12345678901234567',
      replicationDirection: 'FAILOVER',
      originRegion: 'us-east-1',
      dataReplicationState: 'BACKLOG',
      lagDuration: 'PT5M',
      replicatedDisks: [{ deviceName: '/dev/xvda', backloggedStorageBytes: 1024 }],
      dataReplicationError: 'UNSTABLE_NETWORK',
      hostname: 'pay-1',
      lastLaunchType: 'RECOVERY',
      tags: { 'dr-autopilot:workload': 'payments' },
    });
  });

  it('follows every page of recovery instances of a server', async () => {
    drsMock
      .on(DescribeRecoveryInstancesCommand)
      .resolvesOnce({
        items: [{ recoveryInstanceID: 'i-0000000000000001', isDrill: false, originEnvironment: 'AWS' }],
        nextToken: 'page-2',
      })
      .resolvesOnce({ items: [{ recoveryInstanceID: 'i-0000000000000002', isDrill: true }] });

    const instances = await createDrsAdapter(client).describeRecoveryInstancesOf('s-12345678901234567');

    expect(instances.map((instance) => instance.recoveryInstanceId)).toEqual([
      'i-0000000000000001',
      'i-0000000000000002',
    ]);
    expect(drsMock).toHaveReceivedCommandTimes(DescribeRecoveryInstancesCommand, 2);
    expect(drsMock).toHaveReceivedNthCommandWith(DescribeRecoveryInstancesCommand, 2, {
      nextToken: 'page-2',
      filters: { sourceServerIDs: ['s-12345678901234567'] },
    });
  });

  it('lists every source server page by page', async () => {
    drsMock
      .on(DescribeSourceServersCommand)
      .resolvesOnce({ items: [{ sourceServerID: 's-1' }, { sourceServerID: 's-2' }], nextToken: 't' })
      .resolvesOnce({ items: [{ sourceServerID: 's-3' }] });

    const pages: string[][] = [];
    for await (const page of createDrsAdapter(client).listSourceServers())
      pages.push(page.map((s) => s.sourceServerId));

    expect(pages).toEqual([['s-1', 's-2'], ['s-3']]);
  });

  it('asks for the newest snapshot only', async () => {
    drsMock.on(DescribeRecoverySnapshotsCommand).resolves({
      items: [
        {
          snapshotID: 'pit-1',
          sourceServerID: 's-1',
          expectedTimestamp: '2026-11-22T09:50:00Z',
          timestamp: '2026-11-22T09:50:03Z',
        },
      ],
    });

    const snapshot = await createDrsAdapter(client).newestRecoverySnapshot('s-1');

    expect(drsMock).toHaveReceivedCommandWith(DescribeRecoverySnapshotsCommand, {
      sourceServerID: 's-1',
      order: 'DESC',
      maxResults: 1,
    });
    expect(snapshot).toEqual({
      snapshotId: 'pit-1',
      expectedTimestamp: '2026-11-22T09:50:00Z',
      timestamp: '2026-11-22T09:50:03Z',
    });
  });

  it('reverses replication of one recovery instance', async () => {
    drsMock.on(ReverseReplicationCommand).resolves({
      reversedDirectionSourceServerArn:
        'arn:aws:drs:us-east-1:111122223333:source-server/s-abcdefabcdefabcde',
    });

    const result = await createDrsAdapter(client).reverseReplication('i-0a1b2c3d4e5f60718');

    expect(drsMock).toHaveReceivedCommandWith(ReverseReplicationCommand, {
      recoveryInstanceID: 'i-0a1b2c3d4e5f60718',
    });
    expect(result.reversedDirectionSourceServerArn).toContain('us-east-1');
  });
});
