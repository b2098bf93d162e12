import { ConflictError } from '../../src/domain/errors.ts';
import type {
  DrsJob,
  DrsReader,
  DrsRecoveryInstance,
  DrsRecoverySnapshot,
  DrsReplicationControl,
  DrsSourceServer,
} from '../../src/ports/drs.ts';

export const JOB_ID = 'drsjob-04ca7d0d3fb6afa3e';
export const SOURCE_SERVER_ID = 's-12345678901234567';
export const RECOVERY_INSTANCE_ID = 'i-0a1b2c3d4e5f60718';

/** A source server replicating from another Region (the FAILOVER direction), as after a cross-Region recovery. */
export function failoverSourceServer(overrides: Partial<DrsSourceServer> = {}): DrsSourceServer {
  return {
    sourceServerId: SOURCE_SERVER_ID,
    arn: `arn:aws:drs:us-west-2:111122223333:source-server/${SOURCE_SERVER_ID}`,
    tags: { 'dr-autopilot:workload': 'payments' },
    replicationDirection: 'FAILOVER',
    originRegion: 'us-east-1',
    originAccountId: '111122223333',
    dataReplicationState: 'CONTINUOUS',
    lagDuration: 'P0D',
    replicatedDisks: [],
    ...overrides,
  };
}

export function recoveryJob(overrides: Partial<DrsJob> = {}): DrsJob {
  return {
    jobId: JOB_ID,
    type: 'LAUNCH',
    initiatedBy: 'START_RECOVERY',
    status: 'COMPLETED',
    creationDateTime: '2026-11-22T09:55:00Z',
    participatingServers: [
      {
        sourceServerId: SOURCE_SERVER_ID,
        recoveryInstanceId: RECOVERY_INSTANCE_ID,
        launchStatus: 'LAUNCHED',
      },
    ],
    ...overrides,
  };
}

export function recoveryInstance(overrides: Partial<DrsRecoveryInstance> = {}): DrsRecoveryInstance {
  return {
    recoveryInstanceId: RECOVERY_INSTANCE_ID,
    arn: `arn:aws:drs:us-west-2:111122223333:recovery-instance/${RECOVERY_INSTANCE_ID}`,
    tags: {},
    jobId: JOB_ID,
    sourceServerId: SOURCE_SERVER_ID,
    isDrill: false,
    originEnvironment: 'AWS',
    ec2InstanceState: 'RUNNING',
    dataReplicationState: 'NOT_STARTED',
    replicatedDisks: [],
    ...overrides,
  };
}

/**
 * An in-memory DRS with just enough behaviour: ReverseReplication moves the instance out of NOT_STARTED and
 * records the reversed-direction server on the source server, as DRS does. `failNext` injects errors.
 */
export class FakeDrs implements DrsReader, DrsReplicationControl {
  jobs: DrsJob[] = [];
  sourceServers: DrsSourceServer[] = [];
  recoveryInstances: DrsRecoveryInstance[] = [];
  snapshots = new Map<string, DrsRecoverySnapshot>();
  readonly reverseCalls: string[] = [];
  /**
   * ReverseReplication answers ConflictException this many times while the instance is not replicating (its
   * DRS agent is still starting), applying nothing, as DRS plausibly does right after a launch.
   */
  conflictsWhileStarting = 0;
  readonly readCalls: string[] = [];
  private failures: { operation: string; error: Error }[] = [];

  failNext(operation: 'reverseReplication' | 'describeJob' | 'describeSourceServer', error: Error): void {
    this.failures.push({ operation, error });
  }

  private maybeFail(operation: string): void {
    const index = this.failures.findIndex((failure) => failure.operation === operation);
    if (index >= 0) {
      const [failure] = this.failures.splice(index, 1);
      throw failure?.error;
    }
  }

  async describeJob(jobId: string) {
    this.readCalls.push('describeJob');
    this.maybeFail('describeJob');
    return this.jobs.find((job) => job.jobId === jobId);
  }
  async describeSourceServer(sourceServerId: string) {
    this.readCalls.push('describeSourceServer');
    this.maybeFail('describeSourceServer');
    return this.sourceServers.find((server) => server.sourceServerId === sourceServerId);
  }
  async describeRecoveryInstancesOf(sourceServerId: string) {
    this.readCalls.push('describeRecoveryInstancesOf');
    return this.recoveryInstances.filter((instance) => instance.sourceServerId === sourceServerId);
  }
  async *listSourceServers() {
    yield this.sourceServers;
  }
  async *listRecoveryInstances() {
    yield this.recoveryInstances;
  }
  async newestRecoverySnapshot(sourceServerId: string) {
    return this.snapshots.get(sourceServerId);
  }
  async reverseReplication(recoveryInstanceId: string) {
    this.maybeFail('reverseReplication');
    this.reverseCalls.push(recoveryInstanceId);
    const instance = this.recoveryInstances.find(
      (candidate) => candidate.recoveryInstanceId === recoveryInstanceId,
    );
    if (!instance) throw new Error(`ResourceNotFoundException: ${recoveryInstanceId}`);
    if (instance.dataReplicationState !== 'NOT_STARTED' && instance.dataReplicationState !== undefined) {
      throw new ConflictError(`ReverseReplication(${recoveryInstanceId}): already replicating`);
    }
    if (this.conflictsWhileStarting > 0) {
      this.conflictsWhileStarting -= 1;
      throw new ConflictError(`ReverseReplication(${recoveryInstanceId}): agent not ready`);
    }
    instance.dataReplicationState = 'INITIATING';
    const reversedArn = 'arn:aws:drs:us-east-1:111122223333:source-server/s-abcdefabcdefabcde';
    const server = this.sourceServers.find(
      (candidate) => candidate.sourceServerId === instance.sourceServerId,
    );
    if (server) server.reversedDirectionSourceServerArn = reversedArn;
    return { reversedDirectionSourceServerArn: reversedArn };
  }
}
