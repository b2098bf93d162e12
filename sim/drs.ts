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
import { advanceClock } from './clock.ts';
import { hungResponse, json, jsonError, type SimRequest, type SimResponse } from './http.ts';
import { routeByRegion } from './sigv4.ts';
import { type Fault, hex, type SimWorld } from './world.ts';

/**
 * AWS Elastic Disaster Recovery, simulated for the Region pair: the REST-JSON operations dr-autopilot and an
 * operator use (POST /<Operation>, service model 2020-02-26), with state per Region (source servers, recovery
 * instances, jobs, point-in-time snapshots), the documented errors (ThrottlingException 429 with `Retry-After`,
 * ConflictException 409, UninitializedAccountException, ResourceNotFoundException, ValidationException) and the
 * events DRS emits when its state changes (Launch Result, Data Replication Stalled Change) on the default bus
 * of the Region where it happens, shaped like AWS's samples in events/drs/samples.
 *
 * {@link DrsService} is the one endpoint: it routes each request to the {@link DrsSim} of the Region the request
 * was signed for (sim/sigv4.ts), so a client made with `region: 'us-east-1'` reads and writes the primary
 * Region's DRS. The Regions share what AWS shares across a pair, in the naming of AWS's cross-Region failback
 * guide (A = primary, B = recovery; A1 the original EC2 instance; B1 the FAILOVER source server in B replicating
 * A1; B2 the recovery instance a failover launches in B, on EC2 instance B3):
 * - ReverseReplication(B2) in B creates the FAILBACK source server A2 in A (`recoveryInstanceId` B2,
 *   `identificationHints.awsInstanceID` B3, `originRegion` B, `reversedDirectionSourceServerArn` B1) and points
 *   B1's `reversedDirectionSourceServerArn` at A2 (never cleared afterwards, as AWS keeps it).
 * - StartRecovery(A2) in A ("launch for failback"; a drill when `isDrill`) launches recovery instance A3 on EC2
 *   instance A4, like any launch (LAUNCH job, Launch Result event in A). Nothing tells a failback drill from a
 *   real failback other than `isDrill`, as in AWS.
 * - ReverseReplication(A3) in A re-protects: B1 now protects A4 (`awsInstanceID` A4, RESCAN, no longer lost).
 * - Cleanup: StopReplication, DisconnectSourceServer, DeleteSourceServer (disconnected only),
 *   TerminateRecoveryInstances (a TERMINATE job; the EC2 instance shuts down and the recovery instance leaves
 *   DescribeRecoveryInstances minutes later), DisconnectRecoveryInstance, DeleteRecoveryInstance (disconnected
 *   only).
 * Where AWS documents no behaviour, the simulator chooses the conservative one and says so (`[I]` below).
 */

/** How a scenario describes a source server replicating into a Region. */
export interface SourceServerSeed {
  id: string;
  hostname: string;
  tags?: Record<string, string> | undefined;
  /** Defaults to the other Region of the pair; the same Region makes it a same-Region replication. */
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

/** How a recovery instance's `dataReplicationInfo.lagDuration` is written (the model types it a date-time). */
export type LagForm = 'duration' | 'datetime';

/** ConflictException on ReverseReplication while a new recovery instance's agent starts. */
export interface ReversalConflict {
  /** The first `calls` ReverseReplication calls of each new instance are refused. */
  calls?: number | undefined;
  /** Calls within this many simulated seconds of the instance's launch are refused. */
  seconds?: number | undefined;
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

export const DRS_MUTATING = new Set([
  'ReverseReplication',
  'StartRecovery',
  'StopReplication',
  'DisconnectSourceServer',
  'DeleteSourceServer',
  'TerminateRecoveryInstances',
  'DisconnectRecoveryInstance',
  'DeleteRecoveryInstance',
  'TagResource',
]);
const RECOVERY_INSTANCE_ID = /^i-[0-9a-fA-F]{8,}$/;
const SOURCE_SERVER_ID = /^s-[0-9a-zA-Z]{17}$/;
const DISK_BYTES = 32 * 1024 ** 3;

/** Where a recovery instance's reversed replication goes: the source server it feeds, in its Region. */
interface ReversalLink {
  region: string;
  sourceServerID: string;
}

/**
 * The DRS of the Region pair behind one endpoint: a {@link DrsSim} per Region, each request routed to the
 * Region its SigV4 credential scope names.
 */
export class DrsService {
  readonly regions = new Map<string, DrsSim>();

  constructor(
    private readonly world: SimWorld,
    /** Where each Region's DRS events go (that Region's default bus). */
    emitIn: (region: string) => EventSink,
  ) {
    for (const region of world.regions) {
      this.regions.set(
        region,
        new DrsSim(world, emitIn(region), { region, directory: (name) => this.regions.get(name) }),
      );
    }
  }

  region(name: string): DrsSim {
    const drs = this.regions.get(this.world.regionNamed(name));
    if (!drs) throw new Error(`no simulated DRS in ${name}`);
    return drs;
  }

  get primary(): DrsSim {
    return this.region(this.world.primaryRegion);
  }

  get recovery(): DrsSim {
    return this.region(this.world.recoveryRegion);
  }

  reset(): void {
    for (const drs of this.regions.values()) drs.reset();
  }

  /** Lets simulated time act on every Region (terminations finish). */
  settle(): void {
    for (const drs of this.regions.values()) drs.settle();
  }

  async handle(request: SimRequest): Promise<SimResponse> {
    const route = routeByRegion(this.world, request, 'drs', 'rest-json');
    if (route.ok) return this.region(route.region).handle(request);
    const operation = request.path.replace(/^\//, '');
    this.world.recordCall(
      {
        service: 'drs',
        operation,
        result: route.code,
        mutating: DRS_MUTATING.has(operation),
        input: {},
        region: route.region,
      },
      `${operation} (${route.code})`,
    );
    return route.response;
  }
}

export class DrsSim {
  readonly region: string;
  /** `false` answers every call with UninitializedAccountException (DRS never initialised in the Region). */
  initialized = true;
  sourceServers: SourceServer[] = [];
  recoveryInstances: RecoveryInstance[] = [];
  jobs: Job[] = [];
  /** Age of each source server's newest point-in-time snapshot: DRS keeps taking them, so it stays this age. */
  snapshotAges = new Map<string, number>();
  /** Recovery instances whose launch a scenario makes fail, by source server ID. */
  failLaunchOf = new Set<string>();
  /**
   * Source servers whose origin Region was lost, and when: their agent is gone, so DRS reports them
   * DISCONNECTED, takes no more snapshots, and their lag grows from that moment.
   */
  lostSince = new Map<string, { at: Date; lagSeconds: number }>();
  /** Applied to every recovery instance launched from now on (see {@link ReversalConflict}). */
  reversalConflict: ReversalConflict | undefined;
  /** How long an EC2 instance takes to terminate: until then its recovery instance is SHUTTING-DOWN. */
  terminationSeconds = 300;
  /** How long a launch takes, request to instances running (DRS: typically minutes; the job records it). */
  launchSeconds = 480;
  /** Source servers disconnected with DisconnectSourceServer (only these can be deleted). */
  private disconnectedServers = new Set<string>();
  /** Recovery instances disconnected with DisconnectRecoveryInstance (only these can be deleted). */
  private disconnectedInstances = new Set<string>();
  /** Recovery instances being terminated: when they are gone, and by which job. */
  private terminations = new Map<string, { goneAt: number; jobID: string }>();
  /** Recovery instances whose agent is still starting: ReverseReplication is refused until then. */
  private agentStarting = new Map<string, { until?: number | undefined; callsLeft?: number | undefined }>();
  /** The reversed replication each recovery instance of this Region feeds (B2 → A2, A3 → B1). */
  private links = new Map<string, ReversalLink>();
  /** Events caused by an API call, emitted once the call is answered. */
  private deferred: Parameters<EventSink>[0][] = [];
  private readonly directory: (region: string) => DrsSim | undefined;

  constructor(
    private readonly world: SimWorld,
    private readonly emit: EventSink,
    options: { region?: string; directory?: (region: string) => DrsSim | undefined } = {},
  ) {
    this.region = options.region ?? world.recoveryRegion;
    this.directory = options.directory ?? ((region: string) => (region === this.region ? this : undefined));
  }

  /** The other Region of the pair. */
  get peerRegion(): string {
    return this.world.regions.find((region) => region !== this.region) ?? this.world.primaryRegion;
  }

  reset(): void {
    this.initialized = true;
    this.sourceServers = [];
    this.recoveryInstances = [];
    this.jobs = [];
    this.snapshotAges = new Map();
    this.failLaunchOf = new Set();
    this.lostSince = new Map();
    this.reversalConflict = undefined;
    this.terminationSeconds = 300;
    this.launchSeconds = 480;
    this.disconnectedServers = new Set();
    this.disconnectedInstances = new Set();
    this.terminations = new Map();
    this.agentStarting = new Map();
    this.links = new Map();
    this.deferred = [];
  }

  /**
   * The FAILBACK-direction source servers that reversing this Region's recovery instances created in other
   * Regions (the A2s, for the recovery Region): what the previous one-Region simulator kept as a stand-in.
   */
  get reversedServers(): SourceServer[] {
    return this.world.regions
      .filter((region) => region !== this.region)
      .flatMap((region) => this.directory(region)?.sourceServers ?? [])
      .filter(
        (server) =>
          server.replicationDirection === 'FAILBACK' &&
          server.sourceCloudProperties?.originRegion === this.region,
      );
  }

  arn(kind: 'source-server' | 'recovery-instance' | 'job', id: string, region = this.region): string {
    return `arn:aws:drs:${region}:${this.world.account}:${kind}/${id}`;
  }

  addSourceServer(seed: SourceServerSeed): SourceServer {
    if (!SOURCE_SERVER_ID.test(seed.id))
      throw new Error(`source server ID ${seed.id} must be s- and 17 characters`);
    const now = new Date();
    const originRegion = seed.originRegion ?? this.peerRegion;
    const server: SourceServer = {
      sourceServerID: seed.id,
      arn: this.arn('source-server', seed.id),
      tags: { ...(seed.tags ?? {}) },
      lastLaunchResult: 'NOT_STARTED',
      dataReplicationInfo: {
        dataReplicationState: seed.state ?? 'CONTINUOUS',
        lagDuration: seed.lagDuration ?? 'PT5S',
        replicatedDisks: [disk(seed.backloggedBytes ?? 0)],
        stagingAvailabilityZone: `${this.region}a`,
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
      for (const replicated of info.replicatedDisks ?? [])
        replicated.backloggedStorageBytes = change.backloggedBytes;
    }
    if (change.error) info.dataReplicationError = { error: change.error as never, rawError: change.error };
    else if (change.state === 'CONTINUOUS') info.dataReplicationError = undefined;
    if (change.snapshotAgeMinutes !== undefined) {
      this.snapshotAges.set(sourceServerId, change.snapshotAgeMinutes);
    }
    this.emitStallEdge(server, before);
  }

  /** A Stalled Change event when a server enters or leaves STALLED (outside an API call: the "weather"). */
  private emitStallEdge(server: SourceServer, before: string | undefined): void {
    const after = server.dataReplicationInfo?.dataReplicationState;
    if ((before === 'STALLED') === (after === 'STALLED')) return;
    this.emit({
      'detail-type': 'DRS Source Server Data Replication Stalled Change',
      source: 'aws.drs',
      account: this.world.account,
      region: this.region,
      resources: [server.arn ?? ''],
      detail: { state: after === 'STALLED' ? 'STALLED' : 'NOT_STALLED' },
    });
  }

  /**
   * The origin Region is lost: every failover-direction source server replicating from it loses its agent.
   * DRS reports it DISCONNECTED (`AGENT_NOT_SEEN`), takes no more point-in-time snapshots, and its lag keeps
   * growing from this moment (after a real failover, only re-protection from a failback instance revives it).
   * The lost Region's own APIs stop answering ({@link SimWorld.lostRegions}). Returns the servers affected.
   */
  loseOriginRegion(region = this.peerRegion): string[] {
    this.world.lostRegions.add(region);
    const now = new Date();
    const lost: string[] = [];
    for (const server of this.sourceServers) {
      const id = server.sourceServerID ?? '';
      if (server.replicationDirection !== 'FAILOVER') continue;
      if (server.sourceCloudProperties?.originRegion !== region || this.lostSince.has(id)) continue;
      if (this.disconnectedServers.has(id) || server.dataReplicationInfo?.dataReplicationState === 'STOPPED')
        continue;
      this.markAgentLost(server, now);
      lost.push(id);
    }
    return lost;
  }

  private markAgentLost(server: SourceServer, now: Date): void {
    const info = server.dataReplicationInfo ?? {};
    server.dataReplicationInfo = info;
    info.dataReplicationState = 'DISCONNECTED';
    info.dataReplicationError = { error: 'AGENT_NOT_SEEN', rawError: 'AGENT_NOT_SEEN' };
    info.etaDateTime = undefined;
    this.lostSince.set(server.sourceServerID ?? '', {
      at: now,
      lagSeconds: parseIsoDuration(info.lagDuration) ?? 0,
    });
  }

  /**
   * The lost Region is back: its APIs answer again. Source servers that were failed over (a real recovery
   * instance of theirs exists here) stay as they are until failback re-protects them, as AWS's guide describes;
   * the others' agents reconnect: their replication rescans (RESCAN) with the lag they had built up, and
   * point-in-time snapshots resume. Returns which servers reconnected and which stay failed over.
   */
  restoreOriginRegion(region = this.peerRegion): { reconnected: string[]; failedOver: string[] } {
    this.world.lostRegions.delete(region);
    this.ageLostServers();
    const reconnected: string[] = [];
    const failedOver: string[] = [];
    for (const server of this.sourceServers) {
      const id = server.sourceServerID ?? '';
      if (!this.lostSince.has(id) || server.sourceCloudProperties?.originRegion !== region) continue;
      const recovered = this.recoveryInstances.some(
        (instance) => instance.sourceServerID === id && instance.isDrill !== true,
      );
      if (recovered) {
        failedOver.push(id);
        continue;
      }
      this.reconnect(server);
      reconnected.push(id);
    }
    return { reconnected, failedOver };
  }

  /** An agent reports again: RESCAN with the lag built up so far, snapshots resume, no longer lost. */
  private reconnect(server: SourceServer): void {
    const id = server.sourceServerID ?? '';
    this.ageLostServers();
    this.lostSince.delete(id);
    const info = server.dataReplicationInfo ?? {};
    server.dataReplicationInfo = info;
    info.dataReplicationState = 'RESCAN';
    info.dataReplicationError = undefined;
    server.lifeCycle = { ...(server.lifeCycle ?? {}), lastSeenByServiceDateTime: iso(new Date()) };
    if (!this.snapshotAges.has(id)) this.snapshotAges.set(id, 5);
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

  /**
   * Every reversed replication of this Region's recovery instances that has started moves on (INITIAL_SYNC,
   * CONTINUOUS…), together with the source server it feeds in the other Region: B2 with A2 for a failover's
   * reversal, A3 with B1 for a failback's re-protection. On CONTINUOUS the instance's failback state becomes
   * FAILBACK_READY_FOR_LAUNCH and both sides report `lagDuration` (the source server as a duration; the recovery
   * instance as a duration or, `lagForm: 'datetime'`, as the date-time the model types it). Reversals an
   * operator stopped or disconnected, and instances being terminated, do not move. Returns how many moved.
   */
  progressReversedReplication(
    state: RecoveryInstanceDataReplicationState,
    lagDuration = 'PT10S',
    options: { lagForm?: LagForm | undefined } = {},
  ): number {
    this.settle();
    const lagSeconds = parseIsoDuration(lagDuration) ?? 10;
    let changed = 0;
    for (const instance of this.recoveryInstances) {
      const id = instance.recoveryInstanceID ?? '';
      const info = instance.dataReplicationInfo;
      const current = info?.dataReplicationState;
      if (!info || current === undefined || current === 'NOT_STARTED') continue;
      if (current === 'STOPPED' || current === 'DISCONNECTED' || this.terminations.has(id)) continue;
      const fed = this.linkedServer(id);
      if (fed && !fed.drs.isFed(fed.server)) continue;
      info.dataReplicationState = state;
      if (state === 'CONTINUOUS') {
        info.lagDuration =
          options.lagForm === 'datetime' ? iso(new Date(Date.now() - lagSeconds * 1000)) : lagDuration;
        info.dataReplicationInitiation = {
          ...(info.dataReplicationInitiation ?? {}),
          steps: [{ name: 'START_DATA_TRANSFER', status: 'SUCCEEDED' }],
        };
      }
      if (instance.failback) {
        instance.failback.state =
          state === 'CONTINUOUS' ? 'FAILBACK_READY_FOR_LAUNCH' : 'FAILBACK_NOT_READY_FOR_LAUNCH';
      }
      if (fed && state !== 'NOT_STARTED' && state !== 'REPLICATION_STATE_NOT_AVAILABLE') {
        const serverInfo = fed.server.dataReplicationInfo ?? {};
        fed.server.dataReplicationInfo = serverInfo;
        const before = serverInfo.dataReplicationState;
        serverInfo.dataReplicationState = state;
        if (state === 'CONTINUOUS') {
          serverInfo.lagDuration = lagDuration;
          serverInfo.dataReplicationError = undefined;
          for (const replicated of serverInfo.replicatedDisks ?? []) replicated.backloggedStorageBytes = 0;
        }
        fed.drs.emitStallEdge(fed.server, before);
      }
      changed += 1;
    }
    return changed;
  }

  /**
   * Makes ReverseReplication of one recovery instance answer ConflictException while its agent is starting:
   * for the next `calls` calls, and/or until `seconds` of simulated time from now.
   */
  holdReversal(recoveryInstanceId: string, hold: ReversalConflict): void {
    this.agentStarting.set(recoveryInstanceId, {
      callsLeft: hold.calls,
      until: hold.seconds === undefined ? undefined : Date.now() + hold.seconds * 1000,
    });
  }

  /** Lets simulated time act: terminations whose EC2 instance has shut down finish. */
  settle(): void {
    const now = Date.now();
    for (const [id, termination] of [...this.terminations]) {
      if (termination.goneAt > now) continue;
      this.terminations.delete(id);
      const instance = this.recoveryInstances.find((candidate) => candidate.recoveryInstanceID === id);
      this.recoveryInstances = this.recoveryInstances.filter((candidate) => candidate !== instance);
      const job = this.jobs.find((candidate) => candidate.jobID === termination.jobID);
      const participant = job?.participatingServers?.find((server) => server.recoveryInstanceID === id);
      if (participant) participant.launchStatus = 'TERMINATED';
      if (job && [...this.terminations.values()].every((other) => other.jobID !== job.jobID)) {
        job.status = 'COMPLETED';
        job.endDateTime = iso(new Date(termination.goneAt));
      }
      if (!instance) continue;
      const source = this.sourceServers.find((server) => server.sourceServerID === instance.sourceServerID);
      if (source?.recoveryInstanceId === id) source.recoveryInstanceId = undefined;
      const lastLaunch = source?.lifeCycle?.lastLaunch;
      if (lastLaunch && lastLaunch.initiated?.jobID === instance.jobID) lastLaunch.status = 'TERMINATED';
      this.agentGone(instance);
      this.agentStarting.delete(id);
    }
  }

  /**
   * The agent of a recovery instance no longer sends data (its EC2 instance terminated, or DRS disconnected
   * it): the source server its reversed replication fed loses its agent (DISCONNECTED, AGENT_NOT_SEEN) unless an
   * operator already stopped or disconnected it. [I] AWS documents the cleanup order (stop A2 first) but not
   * what A2 reports otherwise.
   */
  private agentGone(instance: RecoveryInstance): void {
    const fed = this.linkedServer(instance.recoveryInstanceID ?? '');
    if (!fed) return;
    const { server, drs } = fed;
    const state = server.dataReplicationInfo?.dataReplicationState;
    if (state === 'STOPPED' || drs.disconnectedServers.has(server.sourceServerID ?? '')) return;
    if (server.replicationDirection === 'FAILOVER') {
      // B1 protects the failback instance only while its hints name it.
      if (server.sourceProperties?.identificationHints?.awsInstanceID !== instance.ec2InstanceID) return;
    }
    drs.markAgentLost(server, new Date());
  }

  /** Whether a reversed replication can still feed this server (not stopped, disconnected, or agent lost). */
  private isFed(server: SourceServer): boolean {
    const id = server.sourceServerID ?? '';
    return (
      server.dataReplicationInfo?.dataReplicationState !== 'STOPPED' &&
      !this.disconnectedServers.has(id) &&
      !this.lostSince.has(id)
    );
  }

  private linkedServer(recoveryInstanceId: string): { drs: DrsSim; server: SourceServer } | undefined {
    const link = this.links.get(recoveryInstanceId);
    if (!link) return undefined;
    const drs = this.directory(link.region);
    const server = drs?.sourceServers.find((candidate) => candidate.sourceServerID === link.sourceServerID);
    return drs && server ? { drs, server } : undefined;
  }

  /** The recovery instances of other Regions whose reversed replication feeds this server. */
  private feedingInstances(sourceServerId: string): { drs: DrsSim; instance: RecoveryInstance }[] {
    const found: { drs: DrsSim; instance: RecoveryInstance }[] = [];
    for (const region of this.world.regions) {
      const drs = this.directory(region);
      if (!drs) continue;
      for (const [instanceId, link] of drs.links) {
        if (link.region !== this.region || link.sourceServerID !== sourceServerId) continue;
        const instance = drs.recoveryInstances.find(
          (candidate) => candidate.recoveryInstanceID === instanceId,
        );
        if (instance) found.push({ drs, instance });
      }
    }
    return found;
  }

  /** A request routed to this Region (by {@link DrsService}); tests may call it directly. */
  async handle(request: SimRequest): Promise<SimResponse> {
    // TagResource is the one operation with its resource in the path (`POST /tags/{resourceArn}`).
    const tagged = /^\/tags\/(.+)$/.exec(request.path);
    const operation = tagged ? 'TagResource' : request.path.replace(/^\//, '');
    let input: Record<string, unknown> = {};
    try {
      input = request.body ? (JSON.parse(request.body) as Record<string, unknown>) : {};
    } catch {
      return this.finish(operation, input, validation('the request body is not JSON', 'cannotParse'));
    }
    if (tagged) input = { ...input, resourceArn: decodeURIComponent(tagged[1] ?? '') };
    this.settle();
    const fault = this.world.takeFault('drs', operation, this.region);
    if (fault && !fault.afterApply) return this.finish(operation, input, faultResponse(fault));
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
    const response = route(input);
    // A fault after apply: whatever the operation did stays done (its events too); the client gets the error.
    if (fault) return this.finish(operation, input, faultResponse(fault), response.status < 300);
    return this.finish(operation, input, response);
  }

  private finish(
    operation: string,
    input: Record<string, unknown>,
    response: SimResponse,
    appliedBeforeFault = false,
  ): SimResponse {
    const result =
      response.status < 300 ? 'ok' : (response.headers?.['x-amzn-ErrorType'] ?? `HTTP ${response.status}`);
    this.world.recordCall(
      {
        service: 'drs',
        operation,
        result,
        mutating: DRS_MUTATING.has(operation),
        input,
        region: this.region,
        ...(appliedBeforeFault ? { applied: true } : {}),
      },
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
      const checked = this.sourceServerOf(input);
      if ('response' in checked) return checked.response;
      const id = checked.server.sourceServerID ?? '';
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
    StopReplication: (input) => this.stopReplication(input),
    DisconnectSourceServer: (input) => this.disconnectSourceServer(input),
    DeleteSourceServer: (input) => this.deleteSourceServer(input),
    TerminateRecoveryInstances: (input) => this.terminateRecoveryInstances(input),
    // Adds or overwrites the given tags of a recovery instance or source server (idempotent; 200, no body).
    TagResource: (input) => {
      const arn = String(input.resourceArn ?? '');
      const tags = (input.tags ?? {}) as Record<string, string>;
      const resource =
        this.recoveryInstances.find((instance) => instance.arn === arn) ??
        this.sourceServers.find((server) => server.arn === arn);
      if (!resource) return notFound(`resource ${arn} not found`, arn, 'RESOURCE');
      resource.tags = { ...(resource.tags ?? {}), ...tags };
      return { status: 200, headers: {}, body: '' };
    },
    DisconnectRecoveryInstance: (input) => this.disconnectRecoveryInstance(input),
    DeleteRecoveryInstance: (input) => this.deleteRecoveryInstance(input),
  };

  /** The source server an input's `sourceServerID` names, or the error response AWS gives. */
  private sourceServerOf(
    input: Record<string, unknown>,
  ): { server: SourceServer } | { response: SimResponse } {
    const id = input.sourceServerID;
    if (typeof id !== 'string' || !SOURCE_SERVER_ID.test(id)) {
      return {
        response: validation(
          'sourceServerID is required and must be a source server ID',
          'fieldValidationFailed',
          ['sourceServerID'],
        ),
      };
    }
    const server = this.sourceServers.find((candidate) => candidate.sourceServerID === id);
    if (!server) return { response: notFound(`Source server ${id} not found`, id, 'SOURCE_SERVER') };
    return { server };
  }

  /** The recovery instance an input's `recoveryInstanceID` names, or the error response AWS gives. */
  private instanceOf(
    input: Record<string, unknown>,
  ): { instance: RecoveryInstance; id: string } | { response: SimResponse } {
    const id = input.recoveryInstanceID;
    if (typeof id !== 'string' || !RECOVERY_INSTANCE_ID.test(id) || id.length > 19) {
      return {
        response: validation('recoveryInstanceID must match i-[0-9a-fA-F]{8,}', 'fieldValidationFailed', [
          'recoveryInstanceID',
        ]),
      };
    }
    const instance = this.recoveryInstances.find((candidate) => candidate.recoveryInstanceID === id);
    if (!instance)
      return { response: notFound(`Recovery instance ${id} not found`, id, 'RECOVERY_INSTANCE') };
    return { instance, id };
  }

  private reverseReplication(input: Record<string, unknown>): SimResponse {
    const found = this.instanceOf(input);
    if ('response' in found) return found.response;
    const { instance, id } = found;
    if (this.terminations.has(id)) {
      return conflict(`Recovery instance ${id} is being terminated`, id, 'RECOVERY_INSTANCE');
    }
    const hold = this.agentStarting.get(id);
    if (hold) {
      const byTime = hold.until !== undefined && Date.now() < hold.until;
      const byCount = hold.callsLeft !== undefined && hold.callsLeft > 0;
      if (byCount && hold.callsLeft !== undefined) hold.callsLeft -= 1;
      if (byTime || byCount) {
        return conflict(
          `Recovery instance ${id} is not ready for reverse replication yet: its replication agent is starting`,
          id,
          'RECOVERY_INSTANCE',
        );
      }
      this.agentStarting.delete(id);
    }
    const state = instance.dataReplicationInfo?.dataReplicationState;
    if (state !== undefined && state !== 'NOT_STARTED' && state !== 'STOPPED') {
      return conflict(`Recovery instance ${id} is already replicating (${state})`, id, 'RECOVERY_INSTANCE');
    }
    if (instance.originEnvironment !== 'AWS') {
      return validation('Reverse replication applies only to instances that originated in EC2', 'other');
    }
    const source = this.sourceServers.find((server) => server.sourceServerID === instance.sourceServerID);
    if (!source) {
      // [I] The server it was launched from was deleted: nothing to reverse towards.
      return conflict(
        `The source server ${instance.sourceServerID ?? '?'} of recovery instance ${id} no longer exists`,
        id,
        'RECOVERY_INSTANCE',
      );
    }
    return source.replicationDirection === 'FAILBACK'
      ? this.reprotect(instance, source)
      : this.reverseFailover(instance, source);
  }

  /** ReverseReplication(B2) in B: replication back to the origin Region, into a new FAILBACK server A2 there. */
  private reverseFailover(instance: RecoveryInstance, source: SourceServer): SimResponse {
    const targetRegion = source.sourceCloudProperties?.originRegion ?? this.peerRegion;
    const target = this.directory(targetRegion);
    if (!target) {
      return jsonError(500, 'InternalServerException', {
        message: `the simulated DRS of ${targetRegion} is not running`,
      });
    }
    const reversed = target.createFailbackServer(instance, source, this.region);
    source.reversedDirectionSourceServerArn = reversed.arn;
    this.startReversal(instance, { region: targetRegion, sourceServerID: reversed.sourceServerID ?? '' });
    return json(200, { reversedDirectionSourceServerArn: reversed.arn });
  }

  /**
   * ReverseReplication(A3) in A: re-protection. The FAILBACK server A2 the failback launched from points at
   * B1 (its `reversedDirectionSourceServerArn`); B1 now protects A4 (A3's EC2 instance).
   */
  private reprotect(instance: RecoveryInstance, failbackServer: SourceServer): SimResponse {
    const id = instance.recoveryInstanceID ?? '';
    const arn = parseArn(failbackServer.reversedDirectionSourceServerArn);
    const target = arn ? this.directory(arn.region) : undefined;
    const protector = target?.sourceServers.find((server) => server.sourceServerID === arn?.id);
    if (!arn || !target || !protector || target.disconnectedServers.has(arn.id)) {
      // [I] AWS documents re-protection into the original source server B1 only.
      return conflict(
        `Recovery instance ${id} cannot be re-protected: the source server it would replicate into (${failbackServer.reversedDirectionSourceServerArn ?? 'none'}) is gone`,
        id,
        'RECOVERY_INSTANCE',
      );
    }
    target.ageLostServers();
    target.lostSince.delete(arn.id);
    const hints = protector.sourceProperties?.identificationHints ?? {};
    protector.sourceProperties = {
      ...(protector.sourceProperties ?? {}),
      lastUpdatedDateTime: iso(new Date()),
      identificationHints: { ...hints, awsInstanceID: instance.ec2InstanceID },
    };
    const info = protector.dataReplicationInfo ?? {};
    protector.dataReplicationInfo = info;
    info.dataReplicationState = 'RESCAN';
    info.dataReplicationError = undefined;
    protector.lifeCycle = { ...(protector.lifeCycle ?? {}), lastSeenByServiceDateTime: iso(new Date()) };
    if (!target.snapshotAges.has(arn.id)) target.snapshotAges.set(arn.id, 5);
    this.startReversal(instance, { region: arn.region, sourceServerID: arn.id });
    return json(200, { reversedDirectionSourceServerArn: protector.arn });
  }

  private startReversal(instance: RecoveryInstance, link: ReversalLink): void {
    instance.dataReplicationInfo = {
      ...(instance.dataReplicationInfo ?? {}),
      dataReplicationState: 'INITIATING',
      dataReplicationInitiation: {
        startDateTime: iso(new Date()),
        steps: [{ name: 'CREATE_SECURITY_GROUP', status: 'IN_PROGRESS' }],
      },
    };
    instance.failback = { ...(instance.failback ?? {}), state: 'FAILBACK_NOT_READY_FOR_LAUNCH' };
    this.links.set(instance.recoveryInstanceID ?? '', link);
  }

  /** A2, created in this (the origin) Region by ReverseReplication(B2) in `fromRegion`. */
  private createFailbackServer(
    instance: RecoveryInstance,
    source: SourceServer,
    fromRegion: string,
  ): SourceServer {
    const id = `s-${hex(17)}`;
    const now = new Date();
    const server: SourceServer = {
      sourceServerID: id,
      arn: this.arn('source-server', id),
      tags: { ...(source.tags ?? {}) },
      recoveryInstanceId: instance.recoveryInstanceID,
      lastLaunchResult: 'NOT_STARTED',
      replicationDirection: 'FAILBACK',
      reversedDirectionSourceServerArn: source.arn,
      dataReplicationInfo: {
        dataReplicationState: 'INITIATING',
        replicatedDisks: [disk(0)],
        stagingAvailabilityZone: `${this.region}a`,
      },
      lifeCycle: { addedToServiceDateTime: iso(now), lastSeenByServiceDateTime: iso(now) },
      sourceProperties: {
        lastUpdatedDateTime: iso(now),
        recommendedInstanceType: source.sourceProperties?.recommendedInstanceType,
        identificationHints: {
          hostname: source.sourceProperties?.identificationHints?.hostname,
          fqdn: source.sourceProperties?.identificationHints?.fqdn,
          awsInstanceID: instance.ec2InstanceID,
        },
        cpus: source.sourceProperties?.cpus,
        ramBytes: source.sourceProperties?.ramBytes,
        os: source.sourceProperties?.os,
      },
      stagingArea: { status: 'NOT_EXTENDED' },
      sourceCloudProperties: {
        originAccountID: this.world.account,
        originRegion: fromRegion,
        originAvailabilityZone: `${fromRegion}a`,
      },
      agentVersion: instance.agentVersion ?? source.agentVersion,
    };
    this.sourceServers.push(server);
    this.snapshotAges.set(id, 5);
    return server;
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
      if (this.disconnectedServers.has(entry.sourceServerID ?? '')) {
        // [I] A disconnected server's replication resources and snapshots are deleted: nothing to launch.
        return conflict(
          `Source server ${entry.sourceServerID} is disconnected`,
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
    // DRS launches from the newest point-in-time snapshot at the request, then converts and boots: that takes
    // minutes of (simulated) time, so the job's end, the instances and the Launch Result come that much later.
    const newestAtRequest = new Map(
      servers.map((server) => [
        server.sourceServerID ?? '',
        this.snapshotsOf(server.sourceServerID ?? '').reduce<Snapshot | undefined>(
          (best, snapshot) =>
            !best || snapshot.expectedTimestamp > best.expectedTimestamp ? snapshot : best,
          undefined,
        ),
      ]),
    );
    advanceClock(this.launchSeconds * 1000);
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
        const newest = newestAtRequest.get(serverId);
        this.recoveryInstances.push({
          // DRS names a recovery instance by its EC2 instance's ID.
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
        if (this.reversalConflict) this.holdReversal(recoveryInstanceID, this.reversalConflict);
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
        region: this.region,
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
   * StopReplication: the server is unprotected (STOPPED), its snapshots are deleted. [I] Stopping a stopped or
   * disconnected server answers ConflictException. A reversed replication feeding it stops too (its recovery
   * instance reports STOPPED).
   */
  private stopReplication(input: Record<string, unknown>): SimResponse {
    const checked = this.sourceServerOf(input);
    if ('response' in checked) return checked.response;
    const { server } = checked;
    const id = server.sourceServerID ?? '';
    const state = server.dataReplicationInfo?.dataReplicationState;
    if (this.disconnectedServers.has(id) || state === 'STOPPED') {
      return conflict(
        `Source server ${id} is ${this.disconnectedServers.has(id) ? 'disconnected' : 'already stopped'}`,
        id,
        'SOURCE_SERVER',
      );
    }
    const info = server.dataReplicationInfo ?? {};
    server.dataReplicationInfo = info;
    info.dataReplicationState = 'STOPPED';
    info.dataReplicationError = undefined;
    info.lagDuration = undefined;
    info.etaDateTime = undefined;
    for (const replicated of info.replicatedDisks ?? []) replicated.backloggedStorageBytes = 0;
    this.snapshotAges.delete(id);
    this.lostSince.delete(id);
    for (const { instance } of this.feedingInstances(id)) {
      if (instance.dataReplicationInfo) instance.dataReplicationInfo.dataReplicationState = 'STOPPED';
    }
    return json(200, { sourceServer: structuredClone(server) });
  }

  /**
   * DisconnectSourceServer, as the model documents it: not while the server has a recovery instance
   * (ConflictException); replication stops at once (DISCONNECTED), each replicated disk's `totalStorageBytes`
   * becomes 0, `lagDuration` (and the ETA) are cleared; its replication resources (snapshots) go.
   */
  private disconnectSourceServer(input: Record<string, unknown>): SimResponse {
    const checked = this.sourceServerOf(input);
    if ('response' in checked) return checked.response;
    const { server } = checked;
    const id = server.sourceServerID ?? '';
    const instance = this.recoveryInstances.find((candidate) => candidate.sourceServerID === id);
    if (instance) {
      return conflict(
        `You cannot disconnect source server ${id}: it has recovery instance ${instance.recoveryInstanceID}`,
        id,
        'SOURCE_SERVER',
      );
    }
    const info = server.dataReplicationInfo ?? {};
    server.dataReplicationInfo = info;
    info.dataReplicationState = 'DISCONNECTED';
    info.lagDuration = undefined;
    info.etaDateTime = undefined;
    for (const replicated of info.replicatedDisks ?? []) replicated.totalStorageBytes = 0;
    this.disconnectedServers.add(id);
    this.snapshotAges.delete(id);
    this.lostSince.delete(id);
    for (const { instance: feeding } of this.feedingInstances(id)) {
      if (feeding.dataReplicationInfo) feeding.dataReplicationInfo.dataReplicationState = 'STOPPED';
    }
    return json(200, structuredClone(server));
  }

  /** DeleteSourceServer: only a disconnected server (ConflictException otherwise); 204. */
  private deleteSourceServer(input: Record<string, unknown>): SimResponse {
    const checked = this.sourceServerOf(input);
    if ('response' in checked) return checked.response;
    const id = checked.server.sourceServerID ?? '';
    if (!this.disconnectedServers.has(id)) {
      return conflict(`Source server ${id} must be disconnected before it is deleted`, id, 'SOURCE_SERVER');
    }
    this.sourceServers = this.sourceServers.filter((server) => server !== checked.server);
    this.disconnectedServers.delete(id);
    this.snapshotAges.delete(id);
    this.lostSince.delete(id);
    this.failLaunchOf.delete(id);
    return { status: 204, headers: { 'x-amzn-requestid': crypto.randomUUID() }, body: '' };
  }

  /**
   * TerminateRecoveryInstances: a TERMINATE job (initiatedBy TERMINATE_RECOVERY_INSTANCES). The EC2 instances
   * shut down (`ec2InstanceState` SHUTTING-DOWN); {@link terminationSeconds} of simulated time later they are
   * gone and so are their recovery instances (no longer described), and the job completes. [I] An unknown ID
   * answers ResourceNotFoundException and one already terminating ConflictException, nothing terminated.
   */
  private terminateRecoveryInstances(input: Record<string, unknown>): SimResponse {
    const ids = input.recoveryInstanceIDs;
    if (
      !Array.isArray(ids) ||
      ids.length < 1 ||
      ids.length > 200 ||
      ids.some((id) => typeof id !== 'string' || !RECOVERY_INSTANCE_ID.test(id) || id.length > 19)
    ) {
      return validation(
        'recoveryInstanceIDs must list 1 to 200 recovery instance IDs',
        'fieldValidationFailed',
        ['recoveryInstanceIDs'],
      );
    }
    const instances: RecoveryInstance[] = [];
    for (const id of new Set(ids as string[])) {
      const found = this.instanceOf({ recoveryInstanceID: id });
      if ('response' in found) return found.response;
      if (this.terminations.has(id)) {
        return conflict(`Recovery instance ${id} is already being terminated`, id, 'RECOVERY_INSTANCE');
      }
      instances.push(found.instance);
    }
    const jobID = `drsjob-${hex(17)}`;
    const now = new Date();
    const job: Job = {
      jobID,
      arn: this.arn('job', jobID),
      type: 'TERMINATE',
      initiatedBy: 'TERMINATE_RECOVERY_INSTANCES',
      creationDateTime: iso(now),
      status: 'STARTED',
      participatingServers: instances.map((instance) => ({
        sourceServerID: instance.sourceServerID,
        recoveryInstanceID: instance.recoveryInstanceID,
        launchStatus: 'PENDING',
      })),
      tags: {},
    };
    this.jobs.push(job);
    for (const instance of instances) {
      instance.ec2InstanceState = 'SHUTTING-DOWN';
      this.terminations.set(instance.recoveryInstanceID ?? '', {
        goneAt: now.getTime() + this.terminationSeconds * 1000,
        jobID,
      });
    }
    return json(200, { job: structuredClone(job) });
  }

  /**
   * DisconnectRecoveryInstance, as the model documents it: replication stops at once (DISCONNECTED), each
   * replicated disk's `totalStorageBytes` becomes 0, `lagDuration` is cleared. The instance keeps running in
   * EC2. [I] One being terminated answers ConflictException.
   */
  private disconnectRecoveryInstance(input: Record<string, unknown>): SimResponse {
    const found = this.instanceOf(input);
    if ('response' in found) return found.response;
    const { instance, id } = found;
    if (this.terminations.has(id)) {
      return conflict(`Recovery instance ${id} is being terminated`, id, 'RECOVERY_INSTANCE');
    }
    const info = instance.dataReplicationInfo ?? {};
    instance.dataReplicationInfo = info;
    const wasReplicating = !['NOT_STARTED', 'STOPPED', 'DISCONNECTED', undefined].includes(
      info.dataReplicationState,
    );
    info.dataReplicationState = 'DISCONNECTED';
    info.lagDuration = undefined;
    info.etaDateTime = undefined;
    for (const replicated of info.replicatedDisks ?? []) replicated.totalStorageBytes = 0;
    this.disconnectedInstances.add(id);
    if (wasReplicating) this.agentGone(instance);
    return { status: 200, headers: { 'x-amzn-requestid': crypto.randomUUID() }, body: '' };
  }

  /**
   * DeleteRecoveryInstance: removes the recovery instance from DRS (its EC2 instance keeps running); only a
   * disconnected one (ConflictException otherwise).
   */
  private deleteRecoveryInstance(input: Record<string, unknown>): SimResponse {
    const found = this.instanceOf(input);
    if ('response' in found) return found.response;
    const { instance, id } = found;
    if (!this.disconnectedInstances.has(id)) {
      return conflict(
        `Recovery instance ${id} must be disconnected before it is deleted`,
        id,
        'RECOVERY_INSTANCE',
      );
    }
    this.recoveryInstances = this.recoveryInstances.filter((candidate) => candidate !== instance);
    this.disconnectedInstances.delete(id);
    this.agentStarting.delete(id);
    const source = this.sourceServers.find((server) => server.sourceServerID === instance.sourceServerID);
    if (source?.recoveryInstanceId === id) source.recoveryInstanceId = undefined;
    return { status: 200, headers: { 'x-amzn-requestid': crypto.randomUUID() }, body: '' };
  }

  /**
   * Point-in-time snapshots every 10 minutes for the last hour, the newest of the server's configured age; for a
   * server whose origin was lost, the hour before the loss (no snapshot since); none once replication stopped.
   */
  snapshotsOf(sourceServerId: string): Snapshot[] {
    const age = this.snapshotAges.get(sourceServerId);
    const until = this.lostSince.get(sourceServerId)?.at ?? new Date();
    return age === undefined ? [] : snapshotsFor(sourceServerId, until, age);
  }

  /** Whether an operator disconnected this source server (DisconnectSourceServer). */
  isDisconnected(sourceServerId: string): boolean {
    return this.disconnectedServers.has(sourceServerId);
  }

  /** Whether this recovery instance is being terminated (SHUTTING-DOWN, not gone yet). */
  isTerminating(recoveryInstanceId: string): boolean {
    return this.terminations.has(recoveryInstanceId);
  }

  private requireServer(sourceServerId: string): SourceServer {
    const server = this.sourceServers.find((candidate) => candidate.sourceServerID === sourceServerId);
    if (!server)
      throw new Error(`the simulated DRS of ${this.region} has no source server ${sourceServerId}`);
    return server;
  }
}

function disk(backloggedBytes: number) {
  return {
    deviceName: '/dev/xvda',
    totalStorageBytes: DISK_BYTES,
    replicatedStorageBytes: DISK_BYTES,
    rescannedStorageBytes: 0,
    backloggedStorageBytes: backloggedBytes,
  };
}

function parseArn(arn: string | undefined): { region: string; id: string } | undefined {
  const match = arn ? /^arn:aws[a-z-]*:drs:([a-z0-9-]+):\d{12}:[a-z-]+\/(.+)$/.exec(arn) : null;
  return match ? { region: match[1] ?? '', id: match[2] ?? '' } : undefined;
}

function faultResponse(fault: Fault): SimResponse {
  if (fault.hang) return hungResponse(fault.error);
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

function conflict(message: string, resourceId: string, resourceType: string): SimResponse {
  return jsonError(409, 'ConflictException', { message, code: 'CONFLICT', resourceId, resourceType });
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
  if (operation === 'StartRecovery') {
    const servers = (input.sourceServers as { sourceServerID?: string }[] | undefined) ?? [];
    return `StartRecovery(${input.isDrill === true ? 'drill, ' : ''}${servers.map((server) => server.sourceServerID).join(', ')})`;
  }
  if (operation === 'TerminateRecoveryInstances') {
    const ids = Array.isArray(input.recoveryInstanceIDs) ? input.recoveryInstanceIDs : [];
    return `TerminateRecoveryInstances(${ids.join(', ')})`;
  }
  const subject = input.recoveryInstanceID ?? input.sourceServerID ?? input.resourceArn;
  return DRS_MUTATING.has(operation) && subject !== undefined
    ? `${operation}(${String(subject)})`
    : operation;
}
