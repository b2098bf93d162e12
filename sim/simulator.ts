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
import { BackupSim, type RestoreMaterializer } from './backup.ts';
import { installSimClock, resetClock } from './clock.ts';
import { DrsSim } from './drs.ts';
import { startDynaliteServer } from './dynamo.ts';
import { EventBridgeSim } from './eventbridge.ts';
import { type SimHandler, type SimServer, startHttpServer } from './http.ts';
import { LambdaSim } from './lambda.ts';
import { SnsSim } from './sns.ts';
import { handleSts, handleUnsimulated } from './sts.ts';
import { type Deployment, loadDeployment, packageForSimulator, readTemplate } from './template.ts';
import { SimWorld } from './world.ts';

/**
 * The simulated AWS of one Region (the recovery Region of the pair), with the dr-autopilot deployment of the
 * packaged template running in it: DRS, AWS Backup, EventBridge, SNS and STS on loopback HTTP endpoints,
 * DynamoDB as dynalite, and the functions in the simulated Lambda runtime, which reach every service through
 * the SDK's standard `AWS_ENDPOINT_URL_<SERVICE>` settings. Start it once per process; {@link Simulator.reset}
 * returns it to an empty world between scenarios.
 */

export const SIM_CREDENTIALS = { accessKeyId: 'ASIASIMULATED000001', secretAccessKey: 'simulated-secret' };

/** The environment `npm run status` needs to read this simulator's readiness table. */
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
  /** A packaged template to use (e.g. the test suite's); default: package into a folder under the OS temp directory. */
  templatePath?: string | undefined;
  log?: ((line: string) => void) | undefined;
}

export class Simulator {
  private constructor(
    readonly world: SimWorld,
    readonly deployment: Deployment,
    readonly drs: DrsSim,
    readonly backup: BackupSim,
    readonly eventBridge: EventBridgeSim,
    readonly sns: SnsSim,
    readonly lambda: LambdaSim,
    readonly dynamodb: DynamoDBClient,
    readonly endpoints: Record<
      'drs' | 'backup' | 'eventbridge' | 'sns' | 'sts' | 'dynamodb' | 'other',
      string
    >,
    private readonly closers: (() => Promise<void>)[],
  ) {}

  static async start(options: SimulatorOptions = {}): Promise<Simulator> {
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
    installSimClock();
    const templatePath = options.templatePath ?? (await packageForSimulator({ log: options.log }));
    const world = new SimWorld();
    const deployment = loadDeployment(readTemplate(templatePath), {
      region: world.region,
      account: world.account,
    });
    const closers: (() => Promise<void>)[] = [];
    const serve = async (handler: SimHandler): Promise<SimServer> => {
      const server = await startHttpServer(handler);
      closers.push(server.close);
      return server;
    };

    // eventBridge needs the Lambda runtime, which needs every endpoint: late-bound through this holder.
    const holder: { eventBridge?: EventBridgeSim } = {};
    const emitAws = (event: Parameters<EventBridgeSim['put']>[1]) => {
      if (!holder.eventBridge) throw new Error('EventBridge is not running yet');
      holder.eventBridge.put('default', event);
    };
    const drs = new DrsSim(world, emitAws);
    // A Copy Job event is emitted in the copy's source Region; a rule there forwards it to this Region's
    // dr-autopilot bus (DESIGN.md §1), so it arrives here on the deployment's own bus.
    const ownBus = deployment.buses[0]?.name ?? 'default';
    const backup = new BackupSim(world, emitAws, (bus, event) => {
      if (!holder.eventBridge) throw new Error('EventBridge is not running yet');
      holder.eventBridge.put(bus === 'forwarded' ? ownBus : bus, event);
    });
    const sns = new SnsSim(world, new Set(deployment.topics.map((topic) => topic.arn)));

    const database = await startDynaliteServer();
    closers.push(database.close);
    const dynamodbUrl = database.endpoint;

    const endpoints = {
      drs: (await serve((request) => drs.handle(request))).url,
      backup: (await serve((request) => backup.handle(request))).url,
      eventbridge: (
        await serve((request) => {
          if (!holder.eventBridge) throw new Error('EventBridge is not running yet');
          return holder.eventBridge.handle(request);
        })
      ).url,
      sns: (await serve((request) => sns.handle(request))).url,
      sts: (await serve((request) => handleSts(world, request))).url,
      other: (await serve((request) => handleUnsimulated(world, request))).url,
      dynamodb: dynamodbUrl,
    };

    const lambda = new LambdaSim(world, deployment.functions, {
      AWS_ENDPOINT_URL: endpoints.other,
      AWS_ENDPOINT_URL_DRS: endpoints.drs,
      AWS_ENDPOINT_URL_BACKUP: endpoints.backup,
      AWS_ENDPOINT_URL_EVENTBRIDGE: endpoints.eventbridge,
      AWS_ENDPOINT_URL_SNS: endpoints.sns,
      AWS_ENDPOINT_URL_STS: endpoints.sts,
      AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
      AWS_ACCESS_KEY_ID: SIM_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: SIM_CREDENTIALS.secretAccessKey,
      AWS_SESSION_TOKEN: 'simulated-session-token',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    });
    const eventBridge = new EventBridgeSim(world, deployment, lambda);
    holder.eventBridge = eventBridge;

    const dynamodb = new DynamoDBClient({
      endpoint: dynamodbUrl,
      region: world.region,
      credentials: SIM_CREDENTIALS,
    });
    closers.push(async () => dynamodb.destroy());
    const simulator = new Simulator(
      world,
      deployment,
      drs,
      backup,
      eventBridge,
      sns,
      lambda,
      dynamodb,
      endpoints,
      closers,
    );
    backup.materialize = (job, point) => materializeRestore(dynamodb, world, job, point);
    await simulator.reset();
    await lambda.load();
    return simulator;
  }

  /** An empty world: no servers, jobs, messages or records; fresh, empty tables. */
  async reset(): Promise<void> {
    resetClock();
    this.world.reset();
    this.drs.reset();
    this.backup.reset();
    this.eventBridge.reset();
    this.sns.reset();
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

  /** Runs every queued delivery (and what they cause) to the end. */
  async drain(): Promise<void> {
    await this.eventBridge.drain();
  }

  functionNamed(shortName: string) {
    return this.deployment.functions.find((fn) => fn.shortName === shortName || fn.logicalId === shortName);
  }

  tableNamed(logicalId: string): string | undefined {
    return this.deployment.tables.find((table) => table.logicalId === logicalId)?.tableName;
  }

  async close(): Promise<void> {
    for (const close of this.closers.reverse()) await close();
  }
}

/**
 * A finished restore becomes a real resource where the simulator can hold one: a DynamoDB restore creates the
 * table named by the restore metadata (`targetTableName`, any case) in the simulated DynamoDB, holding the
 * recovery point's items. Other resource types have no simulated service to restore into.
 */
async function materializeRestore(
  dynamodb: DynamoDBClient,
  world: SimWorld,
  ...[job, point]: Parameters<RestoreMaterializer>
): Promise<string> {
  if (job.ResourceType !== 'DynamoDB') {
    throw new Error(
      `restoring ${job.ResourceType ?? 'this resource type'} is not simulated (only DynamoDB is)`,
    );
  }
  const key = Object.keys(job.metadata).find((name) => name.toLowerCase() === 'targettablename');
  const tableName = key ? job.metadata[key] : undefined;
  if (!tableName) throw new Error('Restore metadata has no targetTableName');
  await dynamodb.send(
    new CreateTableCommand({
      TableName: tableName,
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  for (let start = 0; start < point.items; start += 25) {
    const batch = Array.from({ length: Math.min(25, point.items - start) }, (_, index) => ({
      PutRequest: {
        Item: { id: { S: `item-${start + index}` }, restoredFrom: { S: job.RecoveryPointArn ?? '' } },
      },
    }));
    await dynamodb.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: batch } }));
  }
  return `arn:aws:dynamodb:${world.region}:${world.account}:table/${tableName}`;
}
