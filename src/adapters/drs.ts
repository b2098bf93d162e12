import {
  DeleteRecoveryInstanceCommand,
  DeleteSourceServerCommand,
  DescribeJobsCommand,
  DescribeRecoverySnapshotsCommand,
  DescribeSourceServersCommand,
  DisconnectSourceServerCommand,
  type DrsClient,
  type Job,
  paginateDescribeJobs,
  paginateDescribeRecoveryInstances,
  paginateDescribeSourceServers,
  type RecoveryInstance,
  ReverseReplicationCommand,
  type SourceServer,
  StopReplicationCommand,
  TagResourceCommand,
  TerminateRecoveryInstancesCommand,
} from '@aws-sdk/client-drs';
import { ConflictError } from '../domain/errors.ts';
import type {
  DrsCleanupControl,
  DrsJob,
  DrsJobHistory,
  DrsLookup,
  DrsReader,
  DrsRecoveryInstance,
  DrsReplicatedDisk,
  DrsReplicationControl,
  DrsSourceServer,
} from '../ports/drs.ts';

/** DescribeSourceServers / DescribeRecoveryInstances page size: large pages keep a 3,000-server sweep at ~30 calls. */
const PAGE_SIZE = 100;

/** The replicated disks of a source server or recovery instance (both report them in `dataReplicationInfo`). */
function replicatedDisksOf(
  disks: { deviceName?: string | undefined; backloggedStorageBytes?: number | undefined }[] | undefined,
): DrsReplicatedDisk[] {
  return (disks ?? []).map((disk) => ({
    deviceName: disk.deviceName,
    backloggedStorageBytes: disk.backloggedStorageBytes,
  }));
}

export function toSourceServer(server: SourceServer): DrsSourceServer {
  const replication = server.dataReplicationInfo;
  return {
    sourceServerId: server.sourceServerID ?? '',
    arn: server.arn,
    tags: server.tags ?? {},
    replicationDirection: server.replicationDirection,
    originRegion: server.sourceCloudProperties?.originRegion,
    originAccountId: server.sourceCloudProperties?.originAccountID,
    reversedDirectionSourceServerArn: server.reversedDirectionSourceServerArn,
    recoveryInstanceId: server.recoveryInstanceId,
    dataReplicationState: replication?.dataReplicationState,
    lagDuration: replication?.lagDuration,
    replicatedDisks: replicatedDisksOf(replication?.replicatedDisks),
    dataReplicationError: replication?.dataReplicationError?.error,
    hostname: server.sourceProperties?.identificationHints?.hostname,
    lastLaunchType: server.lifeCycle?.lastLaunch?.initiated?.type,
    lastLaunchJobId: server.lifeCycle?.lastLaunch?.initiated?.jobID,
    lastLaunchStatus: server.lifeCycle?.lastLaunch?.status,
    stagingAccountId: server.stagingArea?.stagingAccountID,
    awsInstanceId: server.sourceProperties?.identificationHints?.awsInstanceID,
  };
}

export function toRecoveryInstance(instance: RecoveryInstance): DrsRecoveryInstance {
  const replication = instance.dataReplicationInfo;
  return {
    recoveryInstanceId: instance.recoveryInstanceID ?? '',
    arn: instance.arn,
    tags: instance.tags ?? {},
    jobId: instance.jobID,
    sourceServerId: instance.sourceServerID,
    isDrill: instance.isDrill,
    originEnvironment: instance.originEnvironment,
    originAvailabilityZone: instance.originAvailabilityZone,
    ec2InstanceState: instance.ec2InstanceState,
    dataReplicationState: replication?.dataReplicationState,
    lagDuration: replication?.lagDuration,
    replicatedDisks: replicatedDisksOf(replication?.replicatedDisks),
    dataReplicationError: replication?.dataReplicationError?.error,
    failbackState: instance.failback?.state,
    pointInTimeSnapshotDateTime: instance.pointInTimeSnapshotDateTime,
    ec2InstanceId: instance.ec2InstanceID,
  };
}

export function toJob(job: Job): DrsJob {
  return {
    jobId: job.jobID ?? '',
    type: job.type,
    initiatedBy: job.initiatedBy,
    status: job.status,
    creationDateTime: job.creationDateTime,
    endDateTime: job.endDateTime,
    participatingServers: (job.participatingServers ?? []).map((server) => ({
      sourceServerId: server.sourceServerID,
      recoveryInstanceId: server.recoveryInstanceID,
      launchStatus: server.launchStatus,
    })),
  };
}

/** DRS's ConflictException (HTTP 409) becomes a {@link ConflictError}; anything else is rethrown as it is. */
export function asConflict(error: unknown, call: string): unknown {
  if ((error as { name?: unknown } | undefined)?.name !== 'ConflictException') return error;
  return new ConflictError(`${call}: ${(error as Error).message}`, { cause: error });
}

/** DRS through the AWS SDK v3 client: Region and endpoint come from the SDK's standard configuration. */
export function createDrsAdapter(
  client: DrsClient,
): DrsReader & DrsReplicationControl & DrsLookup & DrsJobHistory {
  return {
    async *listJobsSince(from) {
      // DRS's date filter takes whole seconds or fractions (ISO8601DatetimeString); newest jobs come first.
      for await (const page of paginateDescribeJobs(
        { client, pageSize: PAGE_SIZE },
        { filters: { fromDate: from.toISOString() } },
      )) {
        yield (page.items ?? []).map(toJob);
      }
    },
    describeRecoveryInstances: (ids) => describeRecoveryInstancesById(client, ids),
    describeJobs: (ids) => describeJobsById(client, ids),
    async describeJob(jobId) {
      const { items } = await client.send(new DescribeJobsCommand({ filters: { jobIDs: [jobId] } }));
      const job = items?.find((candidate) => candidate.jobID === jobId);
      return job ? toJob(job) : undefined;
    },
    async describeSourceServer(sourceServerId) {
      const { items } = await client.send(
        new DescribeSourceServersCommand({ filters: { sourceServerIDs: [sourceServerId] } }),
      );
      const server = items?.find((candidate) => candidate.sourceServerID === sourceServerId);
      return server ? toSourceServer(server) : undefined;
    },
    async describeRecoveryInstancesOf(sourceServerId) {
      const instances: DrsRecoveryInstance[] = [];
      for await (const page of paginateDescribeRecoveryInstances(
        { client, pageSize: PAGE_SIZE },
        { filters: { sourceServerIDs: [sourceServerId] } },
      )) {
        instances.push(...(page.items ?? []).map(toRecoveryInstance));
      }
      return instances;
    },
    async *listSourceServers() {
      for await (const page of paginateDescribeSourceServers(
        { client, pageSize: PAGE_SIZE },
        { filters: {} },
      )) {
        yield (page.items ?? []).map(toSourceServer);
      }
    },
    async *listRecoveryInstances() {
      for await (const page of paginateDescribeRecoveryInstances(
        { client, pageSize: PAGE_SIZE },
        { filters: {} },
      )) {
        yield (page.items ?? []).map(toRecoveryInstance);
      }
    },
    async newestRecoverySnapshot(sourceServerId) {
      const { items } = await client.send(
        new DescribeRecoverySnapshotsCommand({
          sourceServerID: sourceServerId,
          order: 'DESC',
          maxResults: 1,
        }),
      );
      const snapshot = items?.[0];
      return snapshot
        ? {
            snapshotId: snapshot.snapshotID ?? '',
            expectedTimestamp: snapshot.expectedTimestamp ?? '',
            timestamp: snapshot.timestamp,
          }
        : undefined;
    },
    async reverseReplication(recoveryInstanceId) {
      try {
        const { reversedDirectionSourceServerArn } = await client.send(
          new ReverseReplicationCommand({ recoveryInstanceID: recoveryInstanceId }),
        );
        return { reversedDirectionSourceServerArn };
      } catch (error) {
        throw asConflict(error, `ReverseReplication(${recoveryInstanceId})`);
      }
    },
  };
}

/** DescribeRecoveryInstances takes at most 200 IDs a call, DescribeJobs 1,000 (service model 2020-02-26). */
const INSTANCE_IDS_PER_CALL = 200;
const JOB_IDS_PER_CALL = 1_000;

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += size) out.push(items.slice(start, start + size));
  return out;
}

async function describeRecoveryInstancesById(
  client: DrsClient,
  recoveryInstanceIds: readonly string[],
): Promise<DrsRecoveryInstance[]> {
  const found: DrsRecoveryInstance[] = [];
  for (const ids of chunks([...new Set(recoveryInstanceIds)], INSTANCE_IDS_PER_CALL)) {
    for await (const page of paginateDescribeRecoveryInstances(
      { client, pageSize: PAGE_SIZE },
      { filters: { recoveryInstanceIDs: ids } },
    )) {
      found.push(...(page.items ?? []).map(toRecoveryInstance));
    }
  }
  return found;
}

async function describeJobsById(client: DrsClient, jobIds: readonly string[]): Promise<DrsJob[]> {
  const found: DrsJob[] = [];
  for (const ids of chunks([...new Set(jobIds)], JOB_IDS_PER_CALL)) {
    for await (const page of paginateDescribeJobs(
      { client, pageSize: PAGE_SIZE },
      { filters: { jobIDs: ids } },
    )) {
      found.push(...(page.items ?? []).map(toJob));
    }
  }
  return found;
}

/**
 * The lifecycle's DRS calls in one Region: lookups by ID for fresh re-reads, and the cleanup / drill-hygiene
 * changes. A ConflictException (the resource is not in the state the call needs) becomes a ConflictError.
 */
export function createDrsLifecycleAdapter(
  client: DrsClient,
): DrsReader & DrsLookup & DrsCleanupControl & DrsJobHistory {
  const reader = createDrsAdapter(client);
  const change = async (call: string, send: () => Promise<unknown>) => {
    try {
      await send();
    } catch (error) {
      throw asConflict(error, call);
    }
  };
  return {
    ...reader,
    describeRecoveryInstances: (ids) => describeRecoveryInstancesById(client, ids),
    describeJobs: (ids) => describeJobsById(client, ids),
    stopReplication: (sourceServerId) =>
      change(`StopReplication(${sourceServerId})`, () =>
        client.send(new StopReplicationCommand({ sourceServerID: sourceServerId })),
      ),
    disconnectSourceServer: (sourceServerId) =>
      change(`DisconnectSourceServer(${sourceServerId})`, () =>
        client.send(new DisconnectSourceServerCommand({ sourceServerID: sourceServerId })),
      ),
    deleteSourceServer: (sourceServerId) =>
      change(`DeleteSourceServer(${sourceServerId})`, () =>
        client.send(new DeleteSourceServerCommand({ sourceServerID: sourceServerId })),
      ),
    async terminateRecoveryInstances(recoveryInstanceIds) {
      try {
        const { job } = await client.send(
          new TerminateRecoveryInstancesCommand({ recoveryInstanceIDs: [...recoveryInstanceIds] }),
        );
        return { jobId: job?.jobID };
      } catch (error) {
        throw asConflict(error, `TerminateRecoveryInstances(${recoveryInstanceIds.join(', ')})`);
      }
    },
    deleteRecoveryInstance: (recoveryInstanceId) =>
      change(`DeleteRecoveryInstance(${recoveryInstanceId})`, () =>
        client.send(new DeleteRecoveryInstanceCommand({ recoveryInstanceID: recoveryInstanceId })),
      ),
    tagRecoveryInstance: (arn, tags) =>
      change(`TagResource(${arn})`, () => client.send(new TagResourceCommand({ resourceArn: arn, tags }))),
  };
}
