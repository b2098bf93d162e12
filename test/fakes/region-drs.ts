import { ConflictError } from '../../src/domain/errors.ts';
import type { DrsJob, DrsRecoveryInstance, DrsSourceServer } from '../../src/ports/drs.ts';
import type {
  LifecycleStore,
  RegionDrs,
  StoredDrill,
  StoredServerLifecycle,
} from '../../src/ports/lifecycle.ts';

/**
 * One Region's DRS in memory, for the lifecycle and cleanup use cases. Terminating a recovery instance takes
 * time, as on AWS: it is SHUTTING-DOWN first and leaves the listing only when {@link finishTerminations} runs.
 * `down` makes every call fail as an unreachable Region does.
 */
export class FakeRegionDrs implements RegionDrs {
  sourceServers: DrsSourceServer[] = [];
  recoveryInstances: DrsRecoveryInstance[] = [];
  jobs: DrsJob[] = [];
  down = false;
  /** The time DRS stamps on the jobs it creates (`creationDateTime`). */
  now = new Date('2026-11-22T12:00:00Z');
  /**
   * Fails the next TerminateRecoveryInstances after DRS applied it (the job exists, the instances shut down), as
   * a 5xx whose answer is lost does.
   */
  loseNextTerminateAnswer = false;
  readonly changes: string[] = [];
  readonly tags = new Map<string, Record<string, string>>();

  private check(): void {
    if (this.down) throw Object.assign(new Error('connect ETIMEDOUT'), { name: 'TimeoutError' });
  }
  async describeJob(jobId: string) {
    this.check();
    return this.jobs.find((job) => job.jobId === jobId);
  }
  async describeSourceServer(id: string) {
    this.check();
    return structuredClone(this.sourceServers.find((server) => server.sourceServerId === id));
  }
  async describeRecoveryInstancesOf(id: string) {
    this.check();
    return structuredClone(this.recoveryInstances.filter((instance) => instance.sourceServerId === id));
  }
  async *listSourceServers() {
    this.check();
    yield structuredClone(this.sourceServers);
  }
  async *listRecoveryInstances() {
    this.check();
    yield structuredClone(this.recoveryInstances);
  }
  async newestRecoverySnapshot() {
    return undefined;
  }
  async describeRecoveryInstances(ids: readonly string[]) {
    this.check();
    return structuredClone(
      this.recoveryInstances.filter((instance) => ids.includes(instance.recoveryInstanceId)),
    );
  }
  async describeJobs(ids: readonly string[]) {
    this.check();
    return structuredClone(this.jobs.filter((job) => ids.includes(job.jobId)));
  }
  private server(id: string): DrsSourceServer {
    const server = this.sourceServers.find((candidate) => candidate.sourceServerId === id);
    if (!server) throw Object.assign(new Error(`${id} not found`), { name: 'ResourceNotFoundException' });
    return server;
  }
  async stopReplication(id: string) {
    this.check();
    this.changes.push(`StopReplication(${id})`);
    this.server(id).dataReplicationState = 'STOPPED';
  }
  async disconnectSourceServer(id: string) {
    this.check();
    this.changes.push(`DisconnectSourceServer(${id})`);
    // The API: "You cannot disconnect a Source Server if it has a Recovery Instance."
    if (this.recoveryInstances.some((instance) => instance.sourceServerId === id)) {
      throw new ConflictError(`DisconnectSourceServer(${id}): the source server has a recovery instance`);
    }
    this.server(id).dataReplicationState = 'DISCONNECTED';
  }
  async deleteSourceServer(id: string) {
    this.check();
    this.changes.push(`DeleteSourceServer(${id})`);
    if (this.server(id).dataReplicationState !== 'DISCONNECTED') {
      throw Object.assign(new Error('must be disconnected'), { name: 'ConflictException' });
    }
    this.sourceServers = this.sourceServers.filter((server) => server.sourceServerId !== id);
  }
  async terminateRecoveryInstances(ids: readonly string[]) {
    this.check();
    this.changes.push(`TerminateRecoveryInstances(${ids.join(',')})`);
    for (const instance of this.recoveryInstances) {
      if (ids.includes(instance.recoveryInstanceId)) instance.ec2InstanceState = 'SHUTTING-DOWN';
    }
    const jobId = `drsjob-terminate${this.changes.length}`;
    this.jobs.push({
      jobId,
      type: 'TERMINATE',
      initiatedBy: 'TERMINATE_RECOVERY_INSTANCES',
      status: 'STARTED',
      creationDateTime: this.now.toISOString(),
      participatingServers: ids.map((recoveryInstanceId) => ({ recoveryInstanceId })),
    });
    if (this.loseNextTerminateAnswer) {
      this.loseNextTerminateAnswer = false;
      throw Object.assign(new Error('We encountered an internal error. Please try again.'), {
        name: 'InternalServerException',
        $metadata: { httpStatusCode: 500 },
      });
    }
    return { jobId };
  }
  /** DescribeJobs with `fromDate`: the jobs created since, newest first. */
  async *listJobsSince(from: Date) {
    this.check();
    yield structuredClone(
      this.jobs
        .filter((job) => (job.creationDateTime ?? '') >= from.toISOString())
        .sort((a, b) => (b.creationDateTime ?? '').localeCompare(a.creationDateTime ?? '')),
    );
  }
  async tagRecoveryInstance(arn: string, tags: Record<string, string>) {
    this.check();
    this.changes.push(`TagResource(${arn})`);
    this.tags.set(arn, { ...this.tags.get(arn), ...tags });
  }
  /** As the API documents it: only a disconnected recovery instance's record can be deleted. */
  async deleteRecoveryInstance(id: string) {
    this.check();
    this.changes.push(`DeleteRecoveryInstance(${id})`);
    const instance = this.recoveryInstances.find((candidate) => candidate.recoveryInstanceId === id);
    if (instance?.dataReplicationState !== 'DISCONNECTED') {
      throw new ConflictError(
        `DeleteRecoveryInstance(${id}): the recovery instance must be disconnected first`,
      );
    }
    this.recoveryInstances = this.recoveryInstances.filter(
      (candidate) => candidate.recoveryInstanceId !== id,
    );
  }
  /** The EC2 side of every pending termination completes: the instances leave the listing. */
  finishTerminations(): void {
    this.recoveryInstances = this.recoveryInstances.filter(
      (instance) => instance.ec2InstanceState !== 'SHUTTING-DOWN',
    );
  }
}

export class FakeLifecycleStore implements LifecycleStore {
  servers = new Map<string, StoredServerLifecycle>();
  drills = new Map<string, StoredDrill>();
  saves = 0;

  async load() {
    return { servers: structuredClone(this.servers), drills: structuredClone(this.drills) };
  }
  async save(changes: Parameters<LifecycleStore['save']>[0]) {
    this.saves += 1;
    for (const server of changes.servers) this.servers.set(server.serverId, structuredClone(server));
    for (const drill of changes.drills) this.drills.set(drill.recoveryInstanceId, structuredClone(drill));
    for (const id of changes.deleteDrills) this.drills.delete(id);
  }
}
