import {
  type AttributeDefinition,
  BatchWriteItemCommand,
  CreateTableCommand,
  DeleteTableCommand,
  DynamoDBClient,
  type GlobalSecondaryIndex,
  type KeySchemaElement,
  ListTablesCommand,
  type LocalSecondaryIndex,
} from '@aws-sdk/client-dynamodb';
import { getKey } from '../src/domain/restore-metadata.ts';
import { BackupSim, type RestoreMaterializer } from './backup.ts';
import { advanceClockTo, installSimClock, resetClock } from './clock.ts';
import { CloudWatchSim, sqsMetrics } from './cloudwatch.ts';
import { type AwsEvent, DrsService, type DrsSim } from './drs.ts';
import { type DynamoRequest, startDynaliteServer } from './dynamo.ts';
import { Ec2Sim, ec2Error } from './ec2.ts';
import { DeliveryQueue, EventBridgeSim } from './eventbridge.ts';
import { type SimHandler, type SimRequest, type SimServer, startHttpServer } from './http.ts';
import { LambdaSim } from './lambda.ts';
import { LambdaApiSim } from './lambda-api.ts';
import { S3Sim, s3OperationOf } from './s3.ts';
import { routeByRegion, signingScopeOf } from './sigv4.ts';
import { SnsSim } from './sns.ts';
import { SqsSim } from './sqs.ts';
import { handleSts, handleUnsimulated } from './sts.ts';
import {
  type Deployment,
  loadDeployment,
  packagePairForSimulator,
  readTemplate,
  type SimFunction,
} from './template.ts';
import { SimWorld } from './world.ts';

/**
 * The simulated AWS of a Region pair — the primary Region (us-east-1) and the recovery Region (us-west-2) — with
 * the dr-autopilot deployment of the packaged template running in each, as `osls deploy` would put it in both.
 * Each Region has its own deployment (template loaded for that Region), EventBridge (default bus and the
 * deployment's bus, that template's rules), SNS, Lambda runtime (its functions see that Region's environment and
 * have their own module instances) and DynamoDB (dynalite: both stacks use the same table names). DRS is one
 * service with state per Region, on one endpoint that routes each request to the Region it was signed for
 * (SigV4 credential scope), as are EventBridge, SNS, EC2, Lambda and S3 (whose bucket names are one namespace
 * across both Regions, each bucket in one Region); AWS Backup serves the recovery Region (the DR vault);
 * STS answers for the account. Functions reach every service through the SDK's standard
 * `AWS_ENDPOINT_URL_<SERVICE>` settings.
 *
 * The accessors of one Region (`deployment`, `drs`, `eventBridge`, `sns`, `lambda`, `dynamodb`, `endpoints`,
 * `functionNamed`, `tableNamed`) mean the recovery Region, as they did when the simulator was that Region
 * alone; `primary`, `recovery` and `region(name)` are the views of each Region. Start it once per process;
 * {@link Simulator.reset} returns it to an empty world between scenarios.
 */

export const SIM_CREDENTIALS = { accessKeyId: 'ASIASIMULATED000001', secretAccessKey: 'simulated-secret' };

export type Endpoints = Record<
  'drs' | 'backup' | 'eventbridge' | 'sns' | 'sts' | 'dynamodb' | 'ec2' | 's3' | 'lambda' | 'other',
  string
>;

/** The environment `npm run status` needs to read this simulator's readiness table (the recovery Region's). */
export function statusEnvironment(sim: Simulator): Record<string, string> {
  const tableName = sim.deployment.functions[0]?.environment.READINESS_TABLE_NAME;
  if (!tableName) throw new Error('the simulated deployment has no READINESS_TABLE_NAME');
  return {
    READINESS_TABLE_NAME: tableName,
    AWS_REGION: sim.world.region,
    AWS_ENDPOINT_URL_DYNAMODB: sim.endpoints.dynamodb,
    AWS_ACCESS_KEY_ID: SIM_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: SIM_CREDENTIALS.secretAccessKey,
  };
}

/** The shell command that runs `npm run status` against this simulator. */
export function statusCommand(sim: Simulator): string {
  return `${Object.entries(statusEnvironment(sim))
    .map(([name, value]) => `${name}=${value}`)
    .join(' ')} npm run status`;
}

export interface SimulatorOptions {
  /**
   * The recovery Region's packaged template (e.g. the test suite's); default: package both Regions into
   * folders under the OS temp directory.
   */
  templatePath?: string | undefined;
  /**
   * The primary Region's packaged template. Default: packaged with the recovery Region's when neither path is
   * given, else `templatePath` (the template is Region-independent: Region-specific values are intrinsics,
   * resolved here for each Region).
   */
  primaryTemplatePath?: string | undefined;
  log?: ((line: string) => void) | undefined;
  /** Stage parameters beyond the rehearsal's, when packaging here (`npm start -- --param=…`). */
  params?: Readonly<Record<string, string>> | undefined;
}

/** One Region of the simulated pair: its deployment and services. */
export class SimRegion {
  constructor(
    /** The Region's name (`us-east-1`). */
    readonly name: string,
    readonly role: 'primary' | 'recovery',
    readonly deployment: Deployment,
    /** This Region's DRS state (served by the shared endpoint to requests signed for this Region). */
    readonly drs: DrsSim,
    readonly eventBridge: EventBridgeSim,
    readonly sns: SnsSim,
    readonly lambda: LambdaSim,
    /** A client of this Region's DynamoDB (dynalite). */
    readonly dynamodb: DynamoDBClient,
    /** The endpoints this Region's functions use (shared ones, and this Region's DynamoDB). */
    readonly endpoints: Endpoints,
    /** The deployment's queues here (dead letters), and the metrics SQS publishes about them. */
    readonly sqs: SqsSim,
    /** The deployment's CloudWatch alarms here. */
    readonly cloudWatch: CloudWatchSim,
    /**
     * Every request this Region's DynamoDB received (the functions' and the simulator's own), for the suites that
     * count them; emptied by {@link Simulator.reset}, and by whoever reads it as it goes.
     */
    readonly dynamoRequests: DynamoRequest[] = [],
  ) {}

  /** A function of this Region's deployment, by short name (`reverseReplication`) or logical id. */
  functionNamed(shortName: string): SimFunction | undefined {
    return this.deployment.functions.find((fn) => fn.shortName === shortName || fn.logicalId === shortName);
  }

  /** A table name of this Region's deployment, by logical id (`ReadinessTable`). */
  tableNamed(logicalId: string): string | undefined {
    return this.deployment.tables.find((table) => table.logicalId === logicalId)?.tableName;
  }

  /** Fresh, empty tables of this Region's deployment. */
  async resetTables(): Promise<void> {
    const { TableNames = [] } = await this.dynamodb.send(new ListTablesCommand({}));
    for (const name of TableNames) await this.dynamodb.send(new DeleteTableCommand({ TableName: name }));
    for (const table of this.deployment.tables) {
      const props = table.properties as {
        AttributeDefinitions?: AttributeDefinition[];
        KeySchema?: KeySchemaElement[];
        GlobalSecondaryIndexes?: GlobalSecondaryIndex[];
        LocalSecondaryIndexes?: LocalSecondaryIndex[];
      };
      await this.dynamodb.send(
        new CreateTableCommand({
          TableName: table.tableName,
          AttributeDefinitions: props.AttributeDefinitions,
          KeySchema: props.KeySchema,
          BillingMode: 'PAY_PER_REQUEST',
          ...(props.GlobalSecondaryIndexes ? { GlobalSecondaryIndexes: props.GlobalSecondaryIndexes } : {}),
          ...(props.LocalSecondaryIndexes ? { LocalSecondaryIndexes: props.LocalSecondaryIndexes } : {}),
        }),
      );
    }
  }
}

export class Simulator {
  private constructor(
    readonly world: SimWorld,
    /** Every Region of the pair, by name. */
    readonly regions: ReadonlyMap<string, SimRegion>,
    /** DRS of the pair behind its one endpoint (`drsService.region(name)` is a Region's DRS). */
    readonly drsService: DrsService,
    /** AWS Backup of the recovery Region (the DR vault). */
    readonly backup: BackupSim,
    /** EC2 of the pair (state per Region): what EC2 restores create, and what cleanup deletes. */
    readonly ec2: Ec2Sim,
    /** S3 of the pair (one bucket namespace, each bucket in a Region): what S3 restores create. */
    readonly s3: S3Sim,
    /** The Lambda API for workloads' own functions (restore validators a scenario defines), both Regions. */
    readonly lambdaApi: LambdaApiSim,
    private readonly closers: (() => Promise<void>)[],
  ) {}

  static async start(options: SimulatorOptions = {}): Promise<Simulator> {
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
    installSimClock();
    const world = new SimWorld();
    const templates =
      options.templatePath === undefined && options.primaryTemplatePath === undefined
        ? await packagePairForSimulator({ log: options.log, params: options.params })
        : {
            recovery: options.templatePath ?? (options.primaryTemplatePath as string),
            primary: options.primaryTemplatePath ?? (options.templatePath as string),
          };
    const deployments = new Map<string, Deployment>(
      [world.primaryRegion, world.recoveryRegion].map((region) => [
        region,
        loadDeployment(
          readTemplate(region === world.primaryRegion ? templates.primary : templates.recovery),
          { region, account: world.account },
        ),
      ]),
    );
    const deploymentIn = (region: string) => deployments.get(region) as Deployment;
    const closers: (() => Promise<void>)[] = [];
    const serve = async (handler: SimHandler): Promise<SimServer> => {
      const server = await startHttpServer(handler, { onHang: () => world.hang() });
      closers.push(server.close);
      return server;
    };

    // Each Region's EventBridge needs its Lambda runtime, which needs every endpoint: late-bound.
    const bridges = new Map<string, EventBridgeSim>();
    const bridgeIn = (region: string): EventBridgeSim => {
      const bridge = bridges.get(region);
      if (!bridge) throw new Error(`EventBridge of ${region} is not running yet`);
      return bridge;
    };
    const drsService = new DrsService(world, (region) => (event) => bridgeIn(region).put('default', event));
    // A Copy Job event is emitted in the copy's source Region (the primary Region); the forwarding rule of the
    // primary Region's deployment sends it to the recovery Region's dr-autopilot bus (DESIGN.md §1).
    const backup = new BackupSim(
      world,
      (event) => bridgeIn(world.recoveryRegion).put('default', event),
      (bus, event) =>
        bus === 'forwarded'
          ? bridgeIn(world.primaryRegion).put('default', event)
          : bridgeIn(world.recoveryRegion).put(bus, event),
    );
    const ec2 = new Ec2Sim(world, world.account);
    const s3 = new S3Sim(world, world.account);
    const lambdaApi = new LambdaApiSim(world);
    const snsIn = new Map(
      world.regions.map((region) => [
        region,
        new SnsSim(world, new Set(deploymentIn(region).topics.map((topic) => topic.arn)), region),
      ]),
    );

    const databases = new Map<string, string>();
    const dynamoRequests = new Map<string, DynamoRequest[]>();
    for (const region of world.regions) {
      const database = await startDynaliteServer({
        record: true,
        faults: (operation) => {
          const fault = world.takeFault('dynamodb', operation, region);
          // Faulted requests go in the call log (the others are in `dynamoRequests`), for the trails.
          if (fault)
            world.recordCall(
              {
                service: 'dynamodb',
                operation,
                result: fault.error,
                mutating: false,
                input: {},
                region,
                ...(fault.afterApply ? { applied: true } : {}),
              },
              `${operation} (${fault.error}${fault.afterApply ? ', after apply' : ''})`,
            );
          return fault;
        },
        onHang: () => world.hang(),
      });
      closers.push(database.close);
      databases.set(region, database.endpoint);
      dynamoRequests.set(region, database.requests);
    }

    /** Services that answer every Region alike still record which Region a call was signed for. */
    const signedRegion = (request: SimRequest) => {
      const scope = signingScopeOf(request);
      return typeof scope === 'object' ? scope.region : undefined;
    };
    const shared = {
      drs: (await serve((request) => drsService.handle(request))).url,
      backup: (await serve((request) => world.inRegion(signedRegion(request), () => backup.handle(request))))
        .url,
      eventbridge: (
        await serve((request) => {
          const route = routeByRegion(world, request, 'events', 'aws-json');
          if (route.ok) return bridgeIn(route.region).handle(request);
          const operation = String(request.headers['x-amz-target'] ?? '').replace(/^AWSEvents\./, '');
          recordRefused(world, 'eventbridge', operation, route);
          return route.response;
        })
      ).url,
      sns: (
        await serve((request) => {
          const route = routeByRegion(world, request, 'sns', 'query');
          if (route.ok) return (snsIn.get(route.region) as SnsSim).handle(request);
          const operation = new URLSearchParams(request.body).get('Action') ?? '?';
          recordRefused(world, 'sns', operation, route);
          return route.response;
        })
      ).url,
      sts: (await serve((request) => world.inRegion(signedRegion(request), () => handleSts(world, request))))
        .url,
      ec2: (
        await serve((request) => {
          const route = routeByRegion(world, request, 'ec2', 'query');
          if (route.ok) return world.inRegion(route.region, () => ec2.handle(request, route.region));
          const operation = new URLSearchParams(request.body).get('Action') ?? '?';
          recordRefused(world, 'ec2', operation, route);
          return route.response.dropConnection
            ? route.response
            : ec2Error(route.response.status, route.code, `refused: ${route.code}`);
        })
      ).url,
      s3: (
        await serve((request) => {
          const route = routeByRegion(world, request, 's3', 'rest-xml');
          if (route.ok) return world.inRegion(route.region, () => s3.handle(request, route.region));
          const { name } = s3OperationOf(request);
          recordRefused(world, 's3', name, route);
          // S3 answers a HEAD request without a body, errors included.
          return request.method === 'HEAD' ? { ...route.response, body: '' } : route.response;
        })
      ).url,
      lambda: (
        await serve((request) => {
          const route = routeByRegion(world, request, 'lambda', 'rest-json');
          if (route.ok) return world.inRegion(route.region, () => lambdaApi.handle(request, route.region));
          recordRefused(world, 'lambda', 'Invoke', route);
          return route.response;
        })
      ).url,
      other: (
        await serve((request) =>
          world.inRegion(signedRegion(request), () => handleUnsimulated(world, request)),
        )
      ).url,
    };

    const queue = new DeliveryQueue();
    const regions = new Map<string, SimRegion>();
    for (const region of world.regions) {
      const deployment = deploymentIn(region);
      const endpoints: Endpoints = { ...shared, dynamodb: databases.get(region) as string };
      const lambda = new LambdaSim(
        world,
        deployment.functions,
        {
          AWS_ENDPOINT_URL: endpoints.other,
          AWS_ENDPOINT_URL_DRS: endpoints.drs,
          AWS_ENDPOINT_URL_BACKUP: endpoints.backup,
          AWS_ENDPOINT_URL_EVENTBRIDGE: endpoints.eventbridge,
          AWS_ENDPOINT_URL_SNS: endpoints.sns,
          AWS_ENDPOINT_URL_STS: endpoints.sts,
          AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
          AWS_ENDPOINT_URL_EC2: endpoints.ec2,
          AWS_ENDPOINT_URL_S3: endpoints.s3,
          AWS_ENDPOINT_URL_LAMBDA: endpoints.lambda,
          AWS_ACCESS_KEY_ID: SIM_CREDENTIALS.accessKeyId,
          AWS_SECRET_ACCESS_KEY: SIM_CREDENTIALS.secretAccessKey,
          AWS_SESSION_TOKEN: 'simulated-session-token',
          AWS_EC2_METADATA_DISABLED: 'true',
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        },
        { region },
      );
      closers.push(() => lambda.unload());
      const sqs = new SqsSim(deployment.queues);
      const eventBridge = new EventBridgeSim(world, deployment, lambda, {
        queue,
        forward: (busArn, event) => forwardAcrossRegions(world, bridges, busArn, event),
        publish: (topicArn, message) => {
          const result = (snsIn.get(region) as SnsSim).publishFromService({ topicArn, message });
          return 'error' in result ? result.error.code : undefined;
        },
        queues: sqs,
      });
      bridges.set(region, eventBridge);
      const cloudWatch = new CloudWatchSim(world, deployment, {
        metrics: sqsMetrics(sqs),
        sns: snsIn.get(region) as SnsSim,
        putEvent: (event) => eventBridge.put('default', event),
      });
      const dynamodb = new DynamoDBClient({
        endpoint: endpoints.dynamodb,
        region,
        credentials: SIM_CREDENTIALS,
      });
      closers.push(async () => dynamodb.destroy());
      regions.set(
        region,
        new SimRegion(
          region,
          region === world.primaryRegion ? 'primary' : 'recovery',
          deployment,
          drsService.region(region),
          eventBridge,
          snsIn.get(region) as SnsSim,
          lambda,
          dynamodb,
          endpoints,
          sqs,
          cloudWatch,
          dynamoRequests.get(region),
        ),
      );
    }
    const simulator = new Simulator(world, regions, drsService, backup, ec2, s3, lambdaApi, closers);
    backup.materialize = async (job, point) =>
      job.ResourceType === 'EC2'
        ? materializeEc2Restore(ec2, world, job, point)
        : job.ResourceType === 'S3'
          ? materializeS3Restore(s3, world, job, point)
          : materializeRestore(simulator.dynamodb, world, job, point);
    backup.dematerialize = async (job) => {
      if (job.ResourceType === 'S3') {
        const bucket = job.CreatedResourceArn?.match(/^arn:aws[a-z-]*:s3:::([^/]+)$/)?.[1];
        if (bucket) s3.removeBucket(bucket);
        return;
      }
      const table = job.CreatedResourceArn?.match(/:table\/(.+)$/)?.[1];
      if (job.ResourceType !== 'DynamoDB' || !table) return;
      await simulator.dynamodb.send(new DeleteTableCommand({ TableName: table })).catch((error: Error) => {
        if (error.name !== 'ResourceNotFoundException') throw error;
      });
    };
    await simulator.reset();
    for (const region of regions.values()) await region.lambda.load();
    return simulator;
  }

  /** The view of one Region: `primary`, `recovery`, or a Region name of the pair. */
  region(name: string): SimRegion {
    const region = this.regions.get(this.world.regionNamed(name));
    if (!region) throw new Error(`no simulated Region ${name}`);
    return region;
  }

  /** The primary Region (us-east-1): where the workloads run until a failover, and fail back to. */
  get primary(): SimRegion {
    return this.region(this.world.primaryRegion);
  }

  /** The recovery Region (us-west-2): where DRS replicates to and failover launches. */
  get recovery(): SimRegion {
    return this.region(this.world.recoveryRegion);
  }

  /** The recovery Region's deployment. */
  get deployment(): Deployment {
    return this.recovery.deployment;
  }

  /** The recovery Region's DRS. */
  get drs(): DrsSim {
    return this.recovery.drs;
  }

  /** The recovery Region's EventBridge. */
  get eventBridge(): EventBridgeSim {
    return this.recovery.eventBridge;
  }

  /** The recovery Region's SNS. */
  get sns(): SnsSim {
    return this.recovery.sns;
  }

  /** The recovery Region's Lambda runtime. */
  get lambda(): LambdaSim {
    return this.recovery.lambda;
  }

  /** A client of the recovery Region's DynamoDB. */
  get dynamodb(): DynamoDBClient {
    return this.recovery.dynamodb;
  }

  /** The endpoints, with the recovery Region's DynamoDB. */
  get endpoints(): Endpoints {
    return this.recovery.endpoints;
  }

  /**
   * A Region is lost (an outage): its APIs stop answering (requests signed for it fail like a network error),
   * its scheduled rules do not fire, and the other Region's source servers replicating from it lose their agent
   * (see `DrsSim.loseOriginRegion`). Returns the source servers affected.
   */
  loseRegion(region: string): string[] {
    const name = this.world.regionNamed(region);
    this.world.lostRegions.add(name);
    return [...this.regions.values()]
      .filter((other) => other.name !== name)
      .flatMap((other) => other.drs.loseOriginRegion(name));
  }

  /**
   * A lost Region is back: its APIs answer again. Failed-over source servers stay as they are until failback;
   * the others reconnect (see `DrsSim.restoreOriginRegion`).
   */
  restoreRegion(region: string): { reconnected: string[]; failedOver: string[] } {
    const name = this.world.regionNamed(region);
    this.world.lostRegions.delete(name);
    const results = [...this.regions.values()]
      .filter((other) => other.name !== name)
      .map((other) => other.drs.restoreOriginRegion(name));
    return {
      reconnected: results.flatMap((result) => result.reconnected),
      failedOver: results.flatMap((result) => result.failedOver),
    };
  }

  /** An empty world in both Regions: no servers, jobs, messages or records; fresh, empty tables. */
  async reset(): Promise<void> {
    resetClock();
    this.world.reset();
    this.drsService.reset();
    this.backup.reset();
    this.ec2.reset();
    this.s3.reset();
    this.lambdaApi.reset();
    for (const region of this.regions.values()) {
      region.eventBridge.reset();
      region.sns.reset();
      region.sqs.reset();
      region.cloudWatch.reset();
      await region.resetTables();
      region.dynamoRequests.length = 0;
    }
  }

  /** Runs every queued delivery, in either Region (and what they cause), to the end. */
  async drain(): Promise<void> {
    await this.recovery.eventBridge.drain();
  }

  /**
   * CloudWatch evaluates its alarms every minute: runs the evaluations due up to `until` (default now), in time
   * order across the Regions, with the clock moved to each (when it is behind), and what state changes cause
   * (notifications, events and the invocations they lead to) before the next. A lost Region's alarms are not
   * evaluated meanwhile. Returns how many alarms changed.
   */
  async evaluateAlarms(until = Date.now()): Promise<number> {
    let changed = 0;
    for (;;) {
      const next = Math.min(...[...this.regions.values()].map((region) => region.cloudWatch.nextEvaluation));
      if (next > until) return changed;
      advanceClockTo(next);
      let now = 0;
      for (const region of this.regions.values()) {
        if (this.world.isLost(region.name)) region.cloudWatch.skipTo(next);
        else now += region.cloudWatch.evaluateAt(next);
      }
      if (now > 0) await this.drain();
      changed += now;
    }
  }

  /** Simulated time passes (`ms`): the alarm evaluations due meanwhile run at their minute. */
  async passTime(ms: number): Promise<void> {
    if (ms < 0) throw new Error('time only moves forward');
    const until = Date.now() + ms;
    await this.evaluateAlarms(until);
    advanceClockTo(until);
  }

  /**
   * Lets simulated time run until no alarm would change state any more on the data already there (a dead letter
   * just sent is seen by its queue's alarm a minute or two later): to the last such change within every alarm's
   * evaluation range from now. `announce` hears how long before the next change, before time moves on to it.
   * Returns how long it let pass (0: nothing was pending).
   */
  async settleAlarms(announce?: (ms: number) => void): Promise<number> {
    const started = Date.now();
    for (let round = 0; round < 10; round++) {
      const watching = [...this.regions.values()].filter((region) => !this.world.isLost(region.name));
      const horizon = Date.now() + Math.max(0, ...watching.map((region) => region.cloudWatch.horizonMs));
      const next = Math.min(
        ...watching.map((region) => region.cloudWatch.nextChangeBy(horizon) ?? Number.POSITIVE_INFINITY),
      );
      if (!Number.isFinite(next)) break;
      announce?.(Math.max(0, next - Date.now()));
      await this.evaluateAlarms(next);
    }
    return Math.max(0, Date.now() - started);
  }

  /** A function of the recovery Region's deployment (`region(name).functionNamed` for another Region's). */
  functionNamed(shortName: string): SimFunction | undefined {
    return this.recovery.functionNamed(shortName);
  }

  /** A table name of the recovery Region's deployment. */
  tableNamed(logicalId: string): string | undefined {
    return this.recovery.tableNamed(logicalId);
  }

  async close(): Promise<void> {
    for (const close of this.closers.reverse()) await close();
  }
}

/** A rule's event-bus target in another Region of the pair: the event arrives on that bus, as it was. */
function forwardAcrossRegions(
  world: SimWorld,
  bridges: ReadonlyMap<string, EventBridgeSim>,
  busArn: string,
  event: AwsEvent,
): boolean {
  const [, , , region] = busArn.split(':');
  const bus = busArn.slice(busArn.lastIndexOf('/') + 1);
  const target = region === undefined ? undefined : bridges.get(region);
  if (!target?.hasBus(bus)) return false;
  if (world.isLost(target.region)) {
    world.record({
      kind: 'note',
      text: `the event cannot reach ${busArn}: ${target.region} is lost`,
      region: target.region,
    });
    return true;
  }
  target.deliver(bus, event);
  return true;
}

/** A request the Region routing refused (another Region, a lost Region, an injected fault), as that service's call. */
function recordRefused(
  world: SimWorld,
  service: string,
  operation: string,
  route: { region?: string | undefined; code: string },
): void {
  world.recordCall(
    { service, operation, result: route.code, mutating: true, input: {}, region: route.region },
    `${operation} (${route.code})`,
  );
}

/**
 * A finished restore becomes a real resource where the simulator can hold one: a DynamoDB restore creates the
 * table named by the restore metadata (`targetTableName`, any case) in the simulated DynamoDB, holding the
 * recovery point's items (none when the scenario makes the restore come back empty). EC2 restores:
 * {@link materializeEc2Restore}; S3 restores: {@link materializeS3Restore}. Other resource types have no
 * simulated service to restore into.
 */
async function materializeRestore(
  dynamodb: DynamoDBClient,
  world: SimWorld,
  ...[job, point]: Parameters<RestoreMaterializer>
): Promise<string> {
  if (job.ResourceType !== 'DynamoDB') {
    throw new Error(
      `restoring ${job.ResourceType ?? 'this resource type'} is not simulated (DynamoDB, EC2 and S3 are)`,
    );
  }
  const tableName = getKey(job.metadata, 'targetTableName');
  if (!tableName) throw new Error('Restore metadata has no targetTableName');
  await dynamodb.send(
    new CreateTableCommand({
      TableName: tableName,
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  const items = point.restoresEmpty ? 0 : point.items;
  for (let start = 0; start < items; start += 25) {
    const batch = Array.from({ length: Math.min(25, items - start) }, (_, index) => ({
      PutRequest: {
        Item: { id: { S: `item-${start + index}` }, restoredFrom: { S: job.RecoveryPointArn ?? '' } },
      },
    }));
    await dynamodb.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: batch } }));
  }
  return `arn:aws:dynamodb:${world.recoveryRegion}:${world.account}:table/${tableName}`;
}

/**
 * An EC2 restore (AWS Backup restoring-ec2.html: the restore creates "an AMI, instance, root and data volumes,
 * and EBS snapshots"): the recovery point is a backup AMI in the DR Region; the restore registers a copy of it
 * (its own snapshots, encrypted with the key the restore metadata's BlockDeviceMappings name, if any) and
 * launches the instance from it, with the metadata's instance type, subnet and per-device DeleteOnTermination.
 */
function materializeEc2Restore(
  ec2: Ec2Sim,
  world: SimWorld,
  ...[job, point]: Parameters<RestoreMaterializer>
): string {
  const region = world.recoveryRegion;
  const backupImage = (point.point.RecoveryPointArn ?? '').slice(
    (point.point.RecoveryPointArn ?? '').lastIndexOf('/') + 1,
  );
  ec2.registerImage({
    region,
    id: backupImage,
    name: `AwsBackup_${point.seedId}`,
    createdAt: point.point.CreationDate ?? new Date(),
    devices: point.devices,
    tags: point.tags,
  });
  // Restore metadata keys are case-insensitive (AWS Backup restore metadata): the product's own lookup.
  const metadata = (name: string) => getKey(job.metadata, name);
  let mappings: { DeviceName?: string; Ebs?: { DeleteOnTermination?: boolean; KmsKeyId?: string } }[] = [];
  const text = metadata('BlockDeviceMappings');
  if (text !== undefined) {
    try {
      mappings = JSON.parse(text) as typeof mappings;
    } catch {
      throw new Error('Invalid BlockDeviceMappings in the restore metadata: not JSON');
    }
  }
  const overrides = Object.fromEntries(
    mappings
      .filter((mapping) => mapping.DeviceName && mapping.Ebs)
      .map((mapping) => [
        mapping.DeviceName as string,
        {
          ...(mapping.Ebs?.DeleteOnTermination === undefined
            ? {}
            : { deleteOnTermination: mapping.Ebs.DeleteOnTermination }),
          ...(mapping.Ebs?.KmsKeyId ? { kmsKeyId: mapping.Ebs.KmsKeyId } : {}),
        },
      ]),
  );
  const kmsKeyId = mappings.find((mapping) => mapping.Ebs?.KmsKeyId)?.Ebs?.KmsKeyId;
  const image = ec2.registerImage({
    region,
    name: `AwsBackup-restore-${job.RestoreJobId ?? ''}`,
    createdAt: new Date(),
    devices: point.devices,
    kmsKeyId,
  });
  const instanceId = ec2.launchInstance({
    region,
    imageId: image,
    instanceType: metadata('instanceType'),
    subnetId: metadata('subnetId'),
    overrides,
  });
  return `arn:aws:ec2:${region}:${world.account}:instance/${instanceId}`;
}

/**
 * An S3 restore (AWS Backup restoring-s3.html: "You can restore them to an existing or new bucket"; restore jobs
 * run in the Region of the recovery point or copy, here the recovery Region): the bucket named by the restore
 * metadata's `DestinationBucketName` (any key case), created when `NewBucket` is true (the default here, as
 * the inferred metadata has it), versioned, then the recovery point's objects are written into it. A name
 * already taken anywhere fails the restore, as CreateBucket would (one namespace across Regions); an existing
 * destination (`NewBucket` false) must be this account's, in this Region, and versioned. The fault
 * `restoresEmpty` leaves the bucket without objects.
 */
function materializeS3Restore(
  s3: S3Sim,
  world: SimWorld,
  ...[job, point]: Parameters<RestoreMaterializer>
): string {
  const region = world.recoveryRegion;
  // Restore metadata keys are case-insensitive (AWS Backup restore metadata): the product's own lookup.
  const metadata = (name: string) => getKey(job.metadata, name);
  const name = metadata('DestinationBucketName');
  if (!name) throw new Error('Restore metadata has no DestinationBucketName');
  const newBucket = (metadata('NewBucket') ?? 'true').trim().toLowerCase() === 'true';
  if (newBucket) {
    try {
      s3.createBucket({ name, region });
    } catch (error) {
      const code = (error as { code?: string }).code;
      throw new Error(
        `could not create bucket ${name}: ${code ? `${code}: ` : ''}${(error as Error).message}`,
      );
    }
  } else {
    const existing = s3.buckets.get(name);
    if (!existing || existing.region !== region || existing.owner !== world.account) {
      throw new Error(`destination bucket ${name} does not exist in ${region} in this account`);
    }
    if (existing.versioning !== 'Enabled') {
      throw new Error(`destination bucket ${name} does not have versioning enabled`);
    }
  }
  if (!point.restoresEmpty) for (const object of point.objects) s3.putObject(name, object.key, object.size);
  return `arn:aws:s3:::${name}`;
}
