import { createHash } from 'node:crypto';
import type {
  DataReplicationState,
  Job,
  RecoveryInstance,
  RecoveryInstanceDataReplicationState,
  RecoverySnapshot,
  SourceServer,
} from '@aws-sdk/client-drs';
import { parseIsoDuration } from '../src/domain/duration.ts';
import { json, jsonError, type SimRequest, type SimResponse } from './http.ts';
import { type Fault, hex, type SimWorld } from './world.ts';

/**
 * AWS Elastic Disaster Recovery, simulated for one Region (the recovery Region): the REST-JSON operations
 * dr-autopilot uses (POST /<Operation>, service model 2020-02-26), with state (source servers, recovery
 * instances, jobs, point-in-time snapshots), the documented errors (ThrottlingException 429 with
 * `Retry-After`, ConflictException 409, UninitializedAccountException, ResourceNotFoundException,
 * ValidationException) and the events DRS emits when its state changes (Launch Result, Data Replication
 * Stalled Change), shaped like AWS's samples in events/drs/samples.
 */

/** How a scenario describes a source server replicating into the recovery Region. */
export interface SourceServerSeed {
  id: string;
  hostname: string;
  tags?: Record<string, string> | undefined;
  /** Defaults to the primary Region; the same Region makes it a same-Region replication. */
  originRegion?: string | undefined;
  originEnvironment?: 'AWS' | 'ON_PREMISES' | undefined;
  state?: DataReplicationState | undefined;
  lagDuration?: string | undefined;
  backloggedBytes?: number | undefined;
  /** Age of the newest point-in-time snapshot, in minutes (default 5). */
  snapshotAgeMinutes?: number | undefined;
}

export interface ReplicationChange {
  state?: DataReplicationState | undefined;
  lagDuration?: string | undefined;
  backloggedBytes?: number | undefined;
  snapshotAgeMinutes?: number | undefined;
  error?: string | undefined;
}

/** A point-in-time snapshot (the SDK types mark every field optional; the model requires these). */
type Snapshot = RecoverySnapshot & { snapshotID: string; sourceServerID: string; expectedTimestamp: string };

export type AwsEvent = {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
};

export type EventSink = (event: Omit<AwsEvent, 'id' | 'time' | 'version'>) => void;

const MUTATING = new Set(['ReverseReplication', 'StartRecovery']);
const RECOVERY_INSTANCE_ID = /^i-[0-9a-fA-F]{8,}$/;
const SOURCE_SERVER_ID = /^s-[0-9a-zA-Z]{17}$/;
const DISK_BYTES = 32 * 1024 ** 3;

export class DrsSim {
  /** `false` answers every call with UninitializedAccountException (DRS never initialised in the Region). */
  initialized = true;
  sourceServers: SourceServer[] = [];
  recoveryInstances: RecoveryInstance[] = [];
  jobs: Job[] = [];
  /** Age of each source server's newest point-in-time snapshot: DRS keeps taking them, so it stays this age. */
  snapshotAges = new Map<string, number>();
  /** Source servers DRS created in the *other* Region (reversed direction): not served by this endpoint. */
  reversedServers: SourceServer[] = [];
  /** Recovery instances whose launch a scenario makes fail, by source server ID. */
  failLaunchOf = new Set<string>();
  /**
   * Source servers whose origin Region was lost, and when: their agent is gone, so DRS reports them
   * DISCONNECTED, takes no more snapshots, and their lag grows from that moment.
   */
  lostSince = new Map<string, { at: Date; lagSeconds: number }>();
  /** Events caused by an API call, emitted once the call is answered. */
  private deferred: Parameters<EventSink>[0][] = [];

  constructor(
    private readonly world: SimWorld,
    private readonly emit: EventSink,
  ) {}

  reset(): void {
    this.initialized = true;
    this.sourceServers = [];
    this.recoveryInstances = [];
    this.jobs = [];
    this.snapshotAges = new Map();
    this.reversedServers = [];
    this.failLaunchOf = new Set();
    this.lostSince = new Map();
  }

  arn(kind: 'source-server' | 'recovery-instance' | 'job', id: string, region = this.world.region): string {
    return `arn:aws:drs:${region}:${this.world.account}:${kind}/${id}`;
  }

  addSourceServer(seed: SourceServerSeed): SourceServer {
    if (!SOURCE_SERVER_ID.test(seed.id))
      throw new Error(`source server ID ${seed.id} must be s- and 17 characters`);
    const now = new Date();
    const originRegion = seed.originRegion ?? this.world.primaryRegion;
    const server: SourceServer = {
      sourceServerID: seed.id,
      arn: this.arn('source-server', seed.id),
      tags: { ...(seed.tags ?? {}) },
      lastLaunchResult: 'NOT_STARTED',
      dataReplicationInfo: {
        dataReplicationState: seed.state ?? 'CONTINUOUS',
        lagDuration: seed.lagDuration ?? 'PT5S',
        replicatedDisks: [
          {
            deviceName: '/dev/xvda',
            totalStorageBytes: DISK_BYTES,
            replicatedStorageBytes: DISK_BYTES,
            rescannedStorageBytes: 0,
            backloggedStorageBytes: seed.backloggedBytes ?? 0,
          },
        ],
        stagingAvailabilityZone: `${this.world.region}a`,
      },
      lifeCycle: {
        addedToServiceDateTime: iso(minutesAgo(now, 60 * 24 * 30)),
        firstByteDateTime: iso(minutesAgo(now, 60 * 24 * 30 - 5)),
        elapsedReplicationDuration: 'P30D',
        lastSeenByServiceDateTime: iso(now),
      },
      sourceProperties: {
        lastUpdatedDateTime: iso(now),
        recommendedInstanceType: 'm6i.large',
        identificationHints: {
          hostname: seed.hostname,
          fqdn: `${seed.hostname}.internal`,
          awsInstanceID: `i-${hex(17)}`,
        },
        cpus: [{ cores: 2, modelName: 'Intel(R) Xeon(R) Platinum 8375C' }],
        ramBytes: 8 * 1024 ** 3,
        os: { fullString: 'Amazon Linux 2023' },
      },
      stagingArea: { status: 'NOT_EXTENDED' },
      sourceCloudProperties:
        (seed.originEnvironment ?? 'AWS') === 'AWS'
          ? {
              originAccountID: this.world.account,
              originRegion,
              originAvailabilityZone: `${originRegion}a`,
            }
          : {},
      replicationDirection: 'FAILOVER',
      agentVersion: '4.6.0',
    };
    this.sourceServers.push(server);
    this.snapshotAges.set(seed.id, seed.snapshotAgeMinutes ?? 5);
    return server;
  }

  /** Changes a source server's replication (the scenario's "weather"); emits Stalled Change on a stall edge. */
  changeReplication(sourceServerId: string, change: ReplicationChange): void {
    const server = this.requireServer(sourceServerId);
    const info = server.dataReplicationInfo ?? {};
    server.dataReplicationInfo = info;
    const before = info.dataReplicationState;
    if (change.state) info.dataReplicationState = change.state;
    if (change.lagDuration) info.lagDuration = change.lagDuration;
    if (change.backloggedBytes !== undefined) {
      for (const disk of info.replicatedDisks ?? []) disk.backloggedStorageBytes = change.backloggedBytes;
    }
    if (change.error) info.dataReplicationError = { error: change.error as never, rawError: change.error };
    else if (change.state === 'CONTINUOUS') info.dataReplicationError = undefined;
    if (change.snapshotAgeMinutes !== undefined) {
      this.snapshotAges.set(sourceServerId, change.snapshotAgeMinutes);
    }
    const after = info.dataReplicationState;
    if ((before === 'STALLED') !== (after === 'STALLED')) {
      this.emit({
        'detail-type': 'DRS Source Server Data Replication Stalled Change',
        source: 'aws.drs',
        account: this.world.account,
        region: this.world.region,
        resources: [server.arn ?? ''],
        detail: { state: after === 'STALLED' ? 'STALLED' : 'NOT_STALLED' },
      });
    }
  }

  /**
   * The origin Region is lost: every failover-direction source server replicating from it loses its agent.
   * DRS reports it DISCONNECTED (`AGENT_NOT_SEEN`), takes no more point-in-time snapshots, and its lag keeps
   * growing from this moment (it never returns: after a real failover, only failback re-creates it).
   * Returns the servers affected.
   */
  loseOriginRegion(region = this.world.primaryRegion): string[] {
    const now = new Date();
    const lost: string[] = [];
    for (const server of this.sourceServers) {
      const id = server.sourceServerID ?? '';
      if (server.replicationDirection !== 'FAILOVER') continue;
      if (server.sourceCloudProperties?.originRegion !== region || this.lostSince.has(id)) continue;
      const info = server.dataReplicationInfo ?? {};
      server.dataReplicationInfo = info;
      info.dataReplicationState = 'DISCONNECTED';
      info.dataReplicationError = { error: 'AGENT_NOT_SEEN', rawError: 'AGENT_NOT_SEEN' };
      info.etaDateTime = undefined;
      this.lostSince.set(id, { at: now, lagSeconds: parseIsoDuration(info.lagDuration) ?? 0 });
      lost.push(id);
    }
    return lost;
  }

  /** A lost server's lag, as DRS would report it now: what it was when the origin was lost, plus the time since. */
  private ageLostServers(): void {
    const now = Date.now();
    for (const server of this.sourceServers) {
      const lost = this.lostSince.get(server.sourceServerID ?? '');
      if (!lost || !server.dataReplicationInfo) continue;
      const seconds = lost.lagSeconds + Math.max(0, Math.round((now - lost.at.getTime()) / 1000));
      server.dataReplicationInfo.lagDuration = `PT${seconds}S`;
    }
  }

  /** Reversed replication of the recovery instances moves on (INITIAL_SYNC, CONTINUOUS…). */
  progressReversedReplication(state: RecoveryInstanceDataReplicationState, lagDuration = 'PT10S'): number {
    let changed = 0;
    for (const instance of this.recoveryInstances) {
      const info = instance.dataReplicationInfo;
      if (!info || info.dataReplicationState === 'NOT_STARTED' || info.dataReplicationState === undefined)
        continue;
      info.dataReplicationState = state;
      info.lagDuration = state === 'CONTINUOUS' ? lagDuration : info.lagDuration;
      if (instance.failback) {
        instance.failback.state =
          state === 'CONTINUOUS' ? 'FAILBACK_READY_FOR_LAUNCH' : 'FAILBACK_NOT_READY_FOR_LAUNCH';
      }
      const reversed = this.reversedServers.find(
        (server) => server.recoveryInstanceId === instance.recoveryInstanceID,
      );
      if (
        reversed?.dataReplicationInfo &&
        state !== 'NOT_STARTED' &&
        state !== 'REPLICATION_STATE_NOT_AVAILABLE'
      ) {
        reversed.dataReplicationInfo.dataReplicationState = state;
      }
      changed += 1;
    }
    return changed;
  }

  async handle(request: SimRequest): Promise<SimResponse> {
    const operation = request.path.replace(/^\//, '');
    let input: Record<string, unknown> = {};
    try {
      input = request.body ? (JSON.parse(request.body) as Record<string, unknown>) : {};
    } catch {
      return this.finish(operation, input, validation('the request body is not JSON', 'cannotParse'));
    }
    const fault = this.world.takeFault('drs', operation);
    if (fault) return this.finish(operation, input, faultResponse(fault));
    if (!this.initialized) {
      return this.finish(
        operation,
        input,
        jsonError(400, 'UninitializedAccountException', {
          message: 'Account not initialized',
          code: 'UNINITIALIZED_ACCOUNT',
        }),
      );
    }
    const route = this.routes[operation];
    if (!route || request.method !== 'POST') {
      return this.finish(
        operation,
        input,
        validation(`unknown operation ${request.method} ${request.path}`, 'unknownOperation'),
      );
    }
    return this.finish(operation, input, route(input));
  }

  private finish(operation: string, input: Record<string, unknown>, response: SimResponse): SimResponse {
    const result =
      response.status < 300 ? 'ok' : (response.headers?.['x-amzn-ErrorType'] ?? `HTTP ${response.status}`);
    this.world.recordCall(
      { service: 'drs', operation, result, mutating: MUTATING.has(operation), input },
      summarize(operation, input),
    );
    const events = this.deferred;
    this.deferred = [];
    for (const event of events) this.emit(event);
    return response;
  }

  private readonly routes: Record<string, (input: Record<string, unknown>) => SimResponse> = {
    DescribeSourceServers: (input) => {
      this.ageLostServers();
      const filters = (input.filters ?? {}) as { sourceServerIDs?: string[] };
      const ids = filters.sourceServerIDs ?? [];
      const items = this.sourceServers.filter(
        (server) => ids.length === 0 || ids.includes(server.sourceServerID ?? ''),
      );
      return json(200, page(items, input));
    },
    DescribeRecoveryInstances: (input) => {
      const filters = (input.filters ?? {}) as { recoveryInstanceIDs?: string[]; sourceServerIDs?: string[] };
      const ids = filters.recoveryInstanceIDs ?? [];
      const servers = filters.sourceServerIDs ?? [];
      const items = this.recoveryInstances.filter(
        (instance) =>
          (ids.length === 0 || ids.includes(instance.recoveryInstanceID ?? '')) &&
          (servers.length === 0 || servers.includes(instance.sourceServerID ?? '')),
      );
      return json(200, page(items, input));
    },
    DescribeJobs: (input) => {
      const filters = (input.filters ?? {}) as { jobIDs?: string[]; fromDate?: string; toDate?: string };
      const ids = filters.jobIDs ?? [];
      const items = this.jobs
        .filter((job) => ids.length === 0 || ids.includes(job.jobID ?? ''))
        .filter((job) => !filters.fromDate || (job.creationDateTime ?? '') >= filters.fromDate)
        .filter((job) => !filters.toDate || (job.creationDateTime ?? '') <= filters.toDate)
        .sort((a, b) => (b.creationDateTime ?? '').localeCompare(a.creationDateTime ?? ''));
      return json(200, page(items, input));
    },
    DescribeRecoverySnapshots: (input) => {
      const id = input.sourceServerID;
      if (typeof id !== 'string' || !SOURCE_SERVER_ID.test(id)) {
        return validation(
          'sourceServerID is required and must be a source server ID',
          'fieldValidationFailed',
          ['sourceServerID'],
        );
      }
      if (!this.sourceServers.some((server) => server.sourceServerID === id)) {
        return notFound(`Source server ${id} not found`, id, 'SOURCE_SERVER');
      }
      const filters = (input.filters ?? {}) as { fromDateTime?: string; toDateTime?: string };
      const order = input.order === 'DESC' ? -1 : 1;
      const items = this.snapshotsOf(id)
        .filter((snapshot) => !filters.fromDateTime || snapshot.expectedTimestamp >= filters.fromDateTime)
        .filter((snapshot) => !filters.toDateTime || snapshot.expectedTimestamp <= filters.toDateTime)
        .sort((a, b) => order * a.expectedTimestamp.localeCompare(b.expectedTimestamp));
      return json(200, page(items, input));
    },
    ReverseReplication: (input) => this.reverseReplication(input),
    StartRecovery: (input) => this.startRecovery(input),
  };

  private reverseReplication(input: Record<string, unknown>): SimResponse {
    const id = input.recoveryInstanceID;
    if (typeof id !== 'string' || !RECOVERY_INSTANCE_ID.test(id) || id.length > 19) {
      return validation('recoveryInstanceID must match i-[0-9a-fA-F]{8,}', 'fieldValidationFailed', [
        'recoveryInstanceID',
      ]);
    }
    const instance = this.recoveryInstances.find((candidate) => candidate.recoveryInstanceID === id);
    if (!instance) return notFound(`Recovery instance ${id} not found`, id, 'RECOVERY_INSTANCE');
    const state = instance.dataReplicationInfo?.dataReplicationState;
    if (state !== undefined && state !== 'NOT_STARTED' && state !== 'STOPPED') {
      return jsonError(409, 'ConflictException', {
        message: `Recovery instance ${id} is already replicating (${state})`,
        code: 'CONFLICT',
        resourceId: id,
        resourceType: 'RECOVERY_INSTANCE',
      });
    }
    if (instance.originEnvironment !== 'AWS') {
      return validation('Reverse replication applies only to instances that originated in EC2', 'other');
    }
    const source = this.sourceServers.find((server) => server.sourceServerID === instance.sourceServerID);
    const targetRegion = source?.sourceCloudProperties?.originRegion ?? this.world.primaryRegion;
    const reversedId = `s-${hex(17)}`;
    const reversedArn = this.arn('source-server', reversedId, targetRegion);
    const now = iso(new Date());
    instance.dataReplicationInfo = {
      ...(instance.dataReplicationInfo ?? {}),
      dataReplicationState: 'INITIATING',
      dataReplicationInitiation: {
        startDateTime: now,
        steps: [{ name: 'CREATE_SECURITY_GROUP', status: 'IN_PROGRESS' }],
      },
    };
    instance.failback = { ...(instance.failback ?? {}), state: 'FAILBACK_NOT_READY_FOR_LAUNCH' };
    if (source) source.reversedDirectionSourceServerArn = reversedArn;
    this.reversedServers.push({
      sourceServerID: reversedId,
      arn: reversedArn,
      tags: { ...(source?.tags ?? {}) },
      recoveryInstanceId: id,
      replicationDirection: 'FAILBACK',
      dataReplicationInfo: { dataReplicationState: 'INITIATING' },
      sourceCloudProperties: {
        originAccountID: this.world.account,
        originRegion: this.world.region,
        originAvailabilityZone: instance.originAvailabilityZone,
      },
    });
    return json(200, { reversedDirectionSourceServerArn: reversedArn });
  }

  private startRecovery(input: Record<string, unknown>): SimResponse {
    const requested = input.sourceServers as
      | { sourceServerID?: string; recoverySnapshotID?: string }[]
      | undefined;
    if (!Array.isArray(requested) || requested.length < 1 || requested.length > 200) {
      return validation('sourceServers must list 1 to 200 source servers', 'fieldValidationFailed', [
        'sourceServers',
      ]);
    }
    const isDrill = input.isDrill === true;
    const servers: SourceServer[] = [];
    for (const entry of requested) {
      const server = this.sourceServers.find(
        (candidate) => candidate.sourceServerID === entry.sourceServerID,
      );
      if (!server) {
        return notFound(
          `Source server ${entry.sourceServerID ?? '?'} not found`,
          entry.sourceServerID ?? '',
          'SOURCE_SERVER',
        );
      }
      servers.push(server);
    }
    const jobID = `drsjob-${hex(17)}`;
    const now = new Date();
    const job: Job = {
      jobID,
      arn: this.arn('job', jobID),
      type: 'LAUNCH',
      initiatedBy: isDrill ? 'START_DRILL' : 'START_RECOVERY',
      creationDateTime: iso(now),
      status: 'PENDING',
      participatingServers: servers.map((server) => ({
        sourceServerID: server.sourceServerID,
        launchStatus: 'PENDING',
      })),
      tags: (input.tags as Record<string, string> | undefined) ?? {},
    };
    this.jobs.push(job);
    const response = json(202, { job: structuredClone(job) });
    // The launch completes "later": DRS converts, launches, and emits one Launch Result per server.
    this.completeLaunch(job, servers, isDrill);
    return response;
  }

  private completeLaunch(job: Job, servers: SourceServer[], isDrill: boolean): void {
    const now = new Date();
    for (const server of servers) {
      const serverId = server.sourceServerID ?? '';
      const failed = this.failLaunchOf.has(serverId);
      const participant = job.participatingServers?.find(
        (candidate) => candidate.sourceServerID === serverId,
      );
      server.lifeCycle = {
        ...(server.lifeCycle ?? {}),
        lastLaunch: {
          initiated: { apiCallDateTime: iso(now), jobID: job.jobID, type: isDrill ? 'DRILL' : 'RECOVERY' },
          status: failed ? 'FAILED' : 'LAUNCHED',
        },
      };
      server.lastLaunchResult = failed ? 'FAILED' : 'SUCCEEDED';
      if (participant) participant.launchStatus = failed ? 'FAILED' : 'LAUNCHED';
      if (!failed) {
        const recoveryInstanceID = `i-${hex(17)}`;
        if (participant) participant.recoveryInstanceID = recoveryInstanceID;
        server.recoveryInstanceId = recoveryInstanceID;
        const snapshots = this.snapshotsOf(serverId);
        const newest = snapshots.reduce<Snapshot | undefined>(
          (best, snapshot) =>
            !best || snapshot.expectedTimestamp > best.expectedTimestamp ? snapshot : best,
          undefined,
        );
        this.recoveryInstances.push({
          ec2InstanceID: recoveryInstanceID,
          ec2InstanceState: 'RUNNING',
          jobID: job.jobID,
          recoveryInstanceID,
          sourceServerID: serverId,
          arn: this.arn('recovery-instance', recoveryInstanceID),
          tags: { ...(server.tags ?? {}) },
          failback: { state: 'FAILBACK_NOT_STARTED' },
          dataReplicationInfo: { dataReplicationState: 'NOT_STARTED' },
          recoveryInstanceProperties: {
            lastUpdatedDateTime: iso(now),
            identificationHints: { hostname: server.sourceProperties?.identificationHints?.hostname },
            cpus: server.sourceProperties?.cpus,
            ramBytes: server.sourceProperties?.ramBytes,
            os: server.sourceProperties?.os,
          },
          pointInTimeSnapshotDateTime: newest?.timestamp ?? newest?.expectedTimestamp,
          isDrill,
          originEnvironment: server.sourceCloudProperties?.originRegion ? 'AWS' : 'ON_PREMISES',
          originAvailabilityZone: server.sourceCloudProperties?.originAvailabilityZone,
          agentVersion: server.agentVersion,
        });
      }
    }
    job.status = 'COMPLETED';
    job.endDateTime = iso(now);
    for (const server of servers) {
      const failed = this.failLaunchOf.has(server.sourceServerID ?? '');
      this.deferred.push({
        'detail-type': 'DRS Source Server Launch Result',
        source: 'aws.drs',
        account: this.world.account,
        region: this.world.region,
        resources: [server.arn ?? ''],
        detail: {
          state: failed ? 'RECOVERY_LAUNCH_FAILED' : 'RECOVERY_LAUNCH_SUCCEEDED',
          'job-id': job.jobID,
          'is-drill': isDrill ? 'TRUE' : 'FALSE',
        },
      });
    }
  }

  /**
   * Point-in-time snapshots every 10 minutes for the last hour, the newest of the server's configured age; for a
   * server whose origin was lost, the hour before the loss (no snapshot since).
   */
  snapshotsOf(sourceServerId: string): Snapshot[] {
    const age = this.snapshotAges.get(sourceServerId);
    const until = this.lostSince.get(sourceServerId)?.at ?? new Date();
    return age === undefined ? [] : snapshotsFor(sourceServerId, until, age);
  }

  private requireServer(sourceServerId: string): SourceServer {
    const server = this.sourceServers.find((candidate) => candidate.sourceServerID === sourceServerId);
    if (!server) throw new Error(`the simulated DRS has no source server ${sourceServerId}`);
    return server;
  }
}

function faultResponse(fault: Fault): SimResponse {
  const message = fault.message ?? `simulated ${fault.error}`;
  switch (fault.error) {
    case 'ThrottlingException':
      return jsonError(
        429,
        'ThrottlingException',
        { message, serviceCode: 'drs', quotaCode: 'L-API' },
        { 'Retry-After': fault.retryAfterSeconds ?? '1' },
      );
    case 'InternalServerException':
      return jsonError(
        500,
        'InternalServerException',
        { message },
        { 'Retry-After': fault.retryAfterSeconds ?? '1' },
      );
    case 'ConflictException':
      return jsonError(409, 'ConflictException', { message, code: 'CONFLICT' });
    case 'AccessDeniedException':
      return jsonError(403, 'AccessDeniedException', { message, code: 'ACCESS_DENIED' });
    case 'UninitializedAccountException':
      return jsonError(400, 'UninitializedAccountException', { message, code: 'UNINITIALIZED_ACCOUNT' });
    default:
      throw new Error(`the DRS simulator cannot inject ${fault.error}`);
  }
}

function validation(message: string, reason: string, fields: string[] = []): SimResponse {
  return jsonError(400, 'ValidationException', {
    message,
    code: 'VALIDATION',
    reason,
    fieldList: fields.map((name) => ({ name, message })),
  });
}

function notFound(message: string, resourceId: string, resourceType: string): SimResponse {
  return jsonError(404, 'ResourceNotFoundException', {
    message,
    code: 'NOT_FOUND',
    resourceId,
    resourceType,
  });
}

/** `maxResults` / `nextToken` paging over a list (the token is the offset, opaque to callers). */
export function page<T>(items: T[], input: Record<string, unknown>): { items: T[]; nextToken?: string } {
  const start =
    typeof input.nextToken === 'string' ? Number(Buffer.from(input.nextToken, 'base64url').toString()) : 0;
  const size = typeof input.maxResults === 'number' && input.maxResults > 0 ? input.maxResults : 1000;
  const slice = structuredClone(items.slice(start, start + size));
  const next =
    start + size < items.length ? Buffer.from(String(start + size)).toString('base64url') : undefined;
  return next ? { items: slice, nextToken: next } : { items: slice };
}

function snapshotsFor(sourceServerId: string, now: Date, newestAgeMinutes: number): Snapshot[] {
  return Array.from({ length: 6 }, (_, index) => {
    const at = minutesAgo(now, newestAgeMinutes + index * 10);
    // Stable IDs: the same snapshot keeps its ID from one call to the next.
    const slot = Math.floor(at.getTime() / 60_000);
    return {
      snapshotID: `pit-${createHash('sha256').update(`${sourceServerId}${slot}`).digest('hex').slice(0, 17)}`,
      sourceServerID: sourceServerId,
      expectedTimestamp: iso(new Date(at.getTime() - 10_000)),
      timestamp: iso(at),
      ebsSnapshots: [
        `snap-${createHash('sha256').update(`ebs${sourceServerId}${slot}`).digest('hex').slice(0, 17)}`,
      ],
    };
  });
}

function minutesAgo(now: Date, minutes: number): Date {
  return new Date(now.getTime() - minutes * 60_000);
}

function iso(date: Date): string {
  return date.toISOString();
}

function summarize(operation: string, input: Record<string, unknown>): string {
  if (operation === 'ReverseReplication') return `ReverseReplication(${String(input.recoveryInstanceID)})`;
  if (operation === 'StartRecovery') {
    const servers = (input.sourceServers as { sourceServerID?: string }[] | undefined) ?? [];
    return `StartRecovery(${input.isDrill === true ? 'drill, ' : ''}${servers.map((server) => server.sourceServerID).join(', ')})`;
  }
  return operation;
}
