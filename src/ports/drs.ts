/**
 * What dr-autopilot reads from and asks of AWS Elastic Disaster Recovery, in its own terms. Field names
 * follow the DRS API (service model 2020-02-26); absent values stay `undefined`, never guessed.
 */
export interface DrsJob {
  jobId: string;
  type?: string | undefined;
  initiatedBy?: string | undefined;
  status?: string | undefined;
  creationDateTime?: string | undefined;
  /** When the job ended (DescribeJobs `endDateTime`; absent while it runs): with the creation time, the launch time. */
  endDateTime?: string | undefined;
  participatingServers: {
    sourceServerId?: string | undefined;
    recoveryInstanceId?: string | undefined;
    launchStatus?: string | undefined;
  }[];
}

export interface DrsReplicatedDisk {
  deviceName?: string | undefined;
  backloggedStorageBytes?: number | undefined;
}

export interface DrsSourceServer {
  sourceServerId: string;
  arn?: string | undefined;
  tags: Record<string, string>;
  replicationDirection?: string | undefined;
  originRegion?: string | undefined;
  originAccountId?: string | undefined;
  reversedDirectionSourceServerArn?: string | undefined;
  recoveryInstanceId?: string | undefined;
  dataReplicationState?: string | undefined;
  lagDuration?: string | undefined;
  replicatedDisks: DrsReplicatedDisk[];
  dataReplicationError?: string | undefined;
  hostname?: string | undefined;
  lastLaunchType?: string | undefined;
  lastLaunchJobId?: string | undefined;
  /** `lifeCycle.lastLaunch.status`: PENDING, IN_PROGRESS, LAUNCHED, FAILED, TERMINATED. */
  lastLaunchStatus?: string | undefined;
  stagingAccountId?: string | undefined;
  /**
   * `sourceProperties.identificationHints.awsInstanceID`: the EC2 instance the server replicates. After
   * re-protection (step 3 of a failback) the forward server protects the failback instance instead.
   */
  awsInstanceId?: string | undefined;
}

export interface DrsRecoveryInstance {
  recoveryInstanceId: string;
  arn?: string | undefined;
  tags: Record<string, string>;
  jobId?: string | undefined;
  sourceServerId?: string | undefined;
  isDrill?: boolean | undefined;
  originEnvironment?: string | undefined;
  originAvailabilityZone?: string | undefined;
  ec2InstanceState?: string | undefined;
  dataReplicationState?: string | undefined;
  lagDuration?: string | undefined;
  replicatedDisks: DrsReplicatedDisk[];
  dataReplicationError?: string | undefined;
  failbackState?: string | undefined;
  pointInTimeSnapshotDateTime?: string | undefined;
  ec2InstanceId?: string | undefined;
}

export interface DrsRecoverySnapshot {
  snapshotId: string;
  expectedTimestamp: string;
  timestamp?: string | undefined;
}

/** Read-only DRS queries. */
export interface DrsReader {
  describeJob(jobId: string): Promise<DrsJob | undefined>;
  describeSourceServer(sourceServerId: string): Promise<DrsSourceServer | undefined>;
  describeRecoveryInstancesOf(sourceServerId: string): Promise<DrsRecoveryInstance[]>;
  /** Every source server in the Region, page by page. */
  listSourceServers(): AsyncIterable<DrsSourceServer[]>;
  /** Every recovery instance in the Region, page by page. */
  listRecoveryInstances(): AsyncIterable<DrsRecoveryInstance[]>;
  /** The newest point-in-time snapshot of a source server (one DescribeRecoverySnapshots call). */
  newestRecoverySnapshot(sourceServerId: string): Promise<DrsRecoverySnapshot | undefined>;
}

/** Recovery instances of one Region by ID, and jobs by ID (for the lifecycle's fresh re-reads). */
export interface DrsLookup {
  describeRecoveryInstances(recoveryInstanceIds: readonly string[]): Promise<DrsRecoveryInstance[]>;
  /** At most 1,000 IDs a call (DescribeJobs' `jobIDs` filter); paged. */
  describeJobs(jobIds: readonly string[]): Promise<DrsJob[]>;
}

/** The Region's jobs since a date (DescribeJobs `fromDate`, newest first), page by page: the reconciler's ground truth. */
export interface DrsJobHistory {
  listJobsSince(from: Date): AsyncIterable<DrsJob[]>;
}

/** The one changing DRS call dr-autopilot makes on its own after a failover. */
export interface DrsReplicationControl {
  reverseReplication(
    recoveryInstanceId: string,
  ): Promise<{ reversedDirectionSourceServerArn?: string | undefined }>;
}

/**
 * The DRS calls of failback cleanup and drill hygiene: each applied only after a fresh re-read proves its
 * precondition (lifecycle use cases), never on a guess.
 */
export interface DrsCleanupControl {
  stopReplication(sourceServerId: string): Promise<void>;
  disconnectSourceServer(sourceServerId: string): Promise<void>;
  deleteSourceServer(sourceServerId: string): Promise<void>;
  /** Terminates the EC2 instances and deletes the recovery instances (a TERMINATE job); returns its ID. */
  terminateRecoveryInstances(recoveryInstanceIds: readonly string[]): Promise<{ jobId?: string | undefined }>;
  tagRecoveryInstance(arn: string, tags: Record<string, string>): Promise<void>;
  /** Removes a recovery instance's record from DRS (never its EC2 instance). */
  deleteRecoveryInstance(recoveryInstanceId: string): Promise<void>;
}
