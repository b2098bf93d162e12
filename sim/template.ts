import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { SIM_ACCOUNT, SIM_PRIMARY_REGION, SIM_RECOVERY_REGION, SIM_STAGE } from './world.ts';

/**
 * The deployment the simulator runs is the one `serverless.yml` describes: this module packages the service
 * with the real `osls package` (offline), reads the CloudFormation template it produces, and turns it into
 * what the simulator needs — functions (handler file, environment with every `Ref`/`Fn::GetAtt` resolved to
 * simulated names and ARNs, async retry settings, on-failure destination), EventBridge rules (bus, pattern or
 * schedule, targets with retry policy and DLQ), DynamoDB tables, topics (and their KMS keys), buses, queues and
 * CloudWatch alarms.
 */

export const ROOT = new URL('../', import.meta.url).pathname;
/**
 * Outside the repository (the OS temp folder, one per checkout): nothing for git or Biome to ignore, and out of
 * reach of the packager, which bundles what lies under the service folder and clears `.serverless/`.
 */
export const SIM_PACKAGE_DIR = join(
  tmpdir(),
  `dr-autopilot-simulator-${createHash('sha256').update(ROOT).digest('hex').slice(0, 12)}`,
);

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
interface CfnResource {
  Type: string;
  Condition?: string;
  Properties?: Record<string, Json>;
}
export interface CfnTemplate {
  Resources: Record<string, CfnResource>;
  Conditions?: Record<string, Json>;
}

export interface SimFunction {
  logicalId: string;
  /** The deployed name (`dr-autopilot-sim-reverseReplication`). */
  functionName: string;
  /** The short name serverless.yml uses (`reverseReplication`). */
  shortName: string;
  /** `functions/reverse-replication.handler` */
  handler: string;
  /** The module to import (absolute path) and the export to call. */
  modulePath: string;
  exportName: string;
  environment: Record<string, string>;
  timeoutSeconds: number;
  memoryMb: number;
  /** Lambda async retries after a function error (EventInvokeConfig, default 2). */
  maximumRetryAttempts: number;
  /** The queue ARN failed async invocations go to, if any. */
  onFailureDestination?: string | undefined;
}

export interface SimRuleTarget {
  id: string;
  /**
   * A function of this stack (`functionLogicalId`), an event bus (`eventBusArn`, e.g. cross-Region forwarding), or
   * an SNS topic (`topicArn`).
   */
  kind: 'function' | 'event-bus' | 'sns-topic';
  functionLogicalId: string;
  eventBusArn?: string | undefined;
  topicArn?: string | undefined;
  /** `InputTransformer`: JSON paths by variable, and the template they fill. */
  inputTransformer?: { pathsMap: Record<string, string>; template: string } | undefined;
  input?: string | undefined;
  inputPath?: string | undefined;
  maximumRetryAttempts: number;
  deadLetterArn?: string | undefined;
}

export interface SimRule {
  logicalId: string;
  name: string;
  /** `default` or a custom bus name. */
  eventBusName: string;
  eventPattern?: Record<string, unknown> | undefined;
  scheduleExpression?: string | undefined;
  enabled: boolean;
  targets: SimRuleTarget[];
}

export interface SimTable {
  logicalId: string;
  tableName: string;
  properties: Record<string, Json>;
}

/** An `AWS::CloudWatch::Alarm` of the template, its intrinsics resolved. */
export interface SimAlarm {
  logicalId: string;
  name: string;
  arn: string;
  description?: string | undefined;
  /** A single-metric alarm's metric (absent for metric math, `Metrics`). */
  namespace?: string | undefined;
  metricName?: string | undefined;
  dimensions: { name: string; value: string }[];
  statistic?: string | undefined;
  extendedStatistic?: string | undefined;
  unit?: string | undefined;
  /** The alarm is on metric math (`Metrics`), or on anything else than one metric and a statistic. */
  metricMath: boolean;
  period: number;
  evaluationPeriods: number;
  /** Absent: equal to `evaluationPeriods`. */
  datapointsToAlarm?: number | undefined;
  threshold?: number | undefined;
  comparisonOperator: string;
  /** `missing` when the template does not say. */
  treatMissingData: string;
  /** Whether the template set `TreatMissingData` (the notification shows it then). */
  treatMissingDataSet: boolean;
  actionsEnabled: boolean;
  alarmActions: string[];
  okActions: string[];
  insufficientDataActions: string[];
}

export interface SimTopic {
  logicalId: string;
  arn: string;
  name: string;
  /** `KmsMasterKeyId` as given (resolved): a key ID, key ARN, alias name or alias ARN. */
  kmsMasterKeyId?: string | undefined;
}

export interface SimKey {
  logicalId: string;
  keyId: string;
  arn: string;
  /** Alias names (`alias/…`) the template gives the key. */
  aliases: string[];
  policy: Json;
}

export interface SimQueue {
  logicalId: string;
  arn: string;
  name: string;
  url: string;
  /** `MessageRetentionPeriod` (default 4 days). */
  retentionSeconds: number;
}

export interface Deployment {
  stackName: string;
  region: string;
  account: string;
  functions: SimFunction[];
  rules: SimRule[];
  tables: SimTable[];
  topics: SimTopic[];
  buses: { logicalId: string; arn: string; name: string }[];
  queues: SimQueue[];
  keys: SimKey[];
  alarms: SimAlarm[];
}

/** The inputs that change the packaged template. */
function packageInputs(): string[] {
  const files: string[] = [join(ROOT, 'serverless.yml')];
  const walk = (dir: string, keep: (file: string) => boolean) => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path, keep);
      else if (keep(path)) files.push(path);
    }
  };
  walk(
    join(ROOT, 'infra'),
    (file) => file.endsWith('.yml') || file.endsWith('.yaml') || file.endsWith('.json'),
  );
  walk(join(ROOT, 'events'), (file) => file.endsWith('.pattern.json'));
  return files.sort();
}

/**
 * Stage parameters the rehearsal and the tests deploy with, beyond the Region pair: re-protection of declared
 * failbacks is on, so the rehearsal shows the whole cycle and the declaration gate (a failback drill, or an
 * undeclared failback, is still never re-protected); EC2 restore settings of the recovery Region; a custom
 * restore validator for the `invoicing` workload. Everything else keeps its default.
 */
export const REHEARSAL_PARAMS: Readonly<Record<string, string>> = {
  reverseFailbackInstances: 'true',
  // Three restore tests a run, so scenario 20 shows ten resources all tested within four runs.
  restoreTestMaxPerRun: '3',
  // EC2 restores need a DR subnet and security groups (no default VPC is assumed), and get the DR key on
  // every volume (scenario 18).
  restoreSettings: JSON.stringify({
    EC2: {
      subnetId: 'subnet-0d0e0f0a0b0c0d0e1',
      securityGroupIds: ['sg-0d0e0f0a0b0c0d0e1'],
      kmsKeyArn: 'arn:aws:kms:us-west-2:111122223333:key/0d0e0f0a-0b0c-4d0e-8f0a-0b0c0d0e0f0a',
    },
  }),
  // The invoicing workload's own restore validator (scenario 19 defines what it answers).
  restoreValidators: JSON.stringify({ invoicing: 'invoicing-restore-validator' }),
};

/**
 * The stage parameters of a simulated deployment: the Region pair, the rehearsal's, then `params` (`npm start --
 * --param=…`: a user's own settings, rehearsed), which win as later `--param` options do in osls.
 */
export function rehearsalParams(
  primaryRegion: string,
  recoveryRegion: string,
  params: Readonly<Record<string, string>> = {},
): string[] {
  return Object.entries({ primaryRegion, recoveryRegion, ...REHEARSAL_PARAMS, ...params }).map(
    ([name, value]) => `${name}=${value}`,
  );
}

function inputsDigest(params: Readonly<Record<string, string>>): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify(REHEARSAL_PARAMS)).update('\0');
  if (Object.keys(params).length > 0) hash.update(JSON.stringify(params)).update('\0');
  for (const file of packageInputs())
    hash.update(relative(ROOT, file)).update('\0').update(readFileSync(file));
  return hash.digest('hex');
}

/**
 * Runs the real `osls package` (offline, no credentials: no telemetry, no notifications, no AWS profile) for a
 * stage deployed in `region` (default the recovery Region) of the pair, into `packageDir`. The simulator and the
 * tests' global setup both use it. Two runs must not overlap: the packager works in the service folder
 * (`.serverless/`, `.esbuild/`).
 */
export async function oslsPackage(options: {
  stage: string;
  primaryRegion: string;
  recoveryRegion: string;
  packageDir: string;
  region?: string | undefined;
  /** Stage parameters beyond the rehearsal's (they win). */
  params?: Readonly<Record<string, string>> | undefined;
  /**
   * The function zips are already in `packageDir` (another Region's, copied there): package the template around
   * them instead of building the bundles again (serverless-esbuild's `skipBuild`, see serverless.yml).
   */
  prebuilt?: boolean | undefined;
}): Promise<void> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SLS_TELEMETRY_DISABLED: '1',
    SLS_NOTIFICATIONS_MODE: 'off',
  };
  if (options.prebuilt) env.DR_AUTOPILOT_PREBUILT = 'true';
  else delete env.DR_AUTOPILOT_PREBUILT;
  delete env.AWS_PROFILE;
  await promisify(execFile)(
    join(ROOT, 'node_modules/.bin/osls'),
    [
      'package',
      '--stage',
      options.stage,
      '--region',
      options.region ?? options.recoveryRegion,
      '--package',
      options.packageDir,
      ...rehearsalParams(options.primaryRegion, options.recoveryRegion, options.params).map(
        (param) => `--param=${param}`,
      ),
    ],
    { cwd: ROOT, env, maxBuffer: 32 * 1024 * 1024 },
  );
}

/** The template of one Region's simulated deployment: `<SIM_PACKAGE_DIR>/<region>/`. */
export function simPackageDir(region: string): string {
  return join(SIM_PACKAGE_DIR, region);
}

/**
 * Packages the service for one Region's simulated deployment (default the recovery Region) into a folder under
 * the OS temp directory (reused while serverless.yml, infra/ and the rule patterns are unchanged) and returns
 * the template's path.
 */
export async function packageForSimulator(
  options: {
    force?: boolean;
    log?: ((line: string) => void) | undefined;
    region?: string;
    params?: Readonly<Record<string, string>> | undefined;
  } = {},
): Promise<string> {
  const region = options.region ?? SIM_RECOVERY_REGION;
  const dir = simPackageDir(region);
  const templatePath = join(dir, 'cloudformation-template-update-stack.json');
  const stampPath = join(dir, 'inputs.sha256');
  const digest = inputsDigest(options.params ?? {});
  if (!options.force && existsSync(templatePath) && existsSync(stampPath)) {
    if (readFileSync(stampPath, 'utf8').trim() === digest) return templatePath;
  }
  options.log?.(`packaging serverless.yml with osls (offline) for the simulated deployment in ${region}…`);
  mkdirSync(dir, { recursive: true });
  await oslsPackage({
    stage: SIM_STAGE,
    primaryRegion: SIM_PRIMARY_REGION,
    recoveryRegion: SIM_RECOVERY_REGION,
    packageDir: dir,
    region,
    params: options.params,
  });
  writeFileSync(stampPath, `${digest}\n`);
  return templatePath;
}

/** Both deployments of the pair, packaged one after the other (see {@link oslsPackage}); their template paths. */
export async function packagePairForSimulator(
  options: {
    force?: boolean;
    log?: ((line: string) => void) | undefined;
    params?: Readonly<Record<string, string>> | undefined;
  } = {},
): Promise<{ primary: string; recovery: string }> {
  const recovery = await packageForSimulator({ ...options, region: SIM_RECOVERY_REGION });
  const primary = await packageForSimulator({ ...options, region: SIM_PRIMARY_REGION });
  return { primary, recovery };
}

export function readTemplate(path: string): CfnTemplate {
  return JSON.parse(readFileSync(path, 'utf8')) as CfnTemplate;
}

/** Turns the packaged template into the simulated deployment (names and ARNs as CloudFormation would make them). */
export function loadDeployment(
  template: CfnTemplate,
  options: { region?: string; account?: string } = {},
): Deployment {
  const region = options.region ?? SIM_RECOVERY_REGION;
  const account = options.account ?? SIM_ACCOUNT;
  const stackName = stackNameOf(template);
  const resolver = new Resolver(template, { region, account, stackName });
  // Resources whose Condition is false in this Region do not exist here.
  const resources = Object.entries(template.Resources).filter(
    ([, resource]) => resource.Condition === undefined || resolver.condition(resource.Condition),
  );
  const ofType = (type: string) => resources.filter(([, resource]) => resource.Type === type);

  const invokeConfigs = new Map<string, Record<string, Json>>();
  for (const [, config] of ofType('AWS::Lambda::EventInvokeConfig')) {
    const target = config.Properties?.FunctionName as { Ref?: string } | undefined;
    if (target?.Ref) invokeConfigs.set(target.Ref, config.Properties ?? {});
  }

  const functions: SimFunction[] = ofType('AWS::Lambda::Function').map(([logicalId, resource]) => {
    const props = resource.Properties ?? {};
    const handler = String(props.Handler);
    const dot = handler.lastIndexOf('.');
    const base = join(ROOT, handler.slice(0, dot));
    const modulePath = ['.ts', '.mts', '.js', '.mjs']
      .map((ext) => base + ext)
      .find((file) => existsSync(file));
    if (!modulePath) throw new Error(`function ${logicalId}: no module for handler ${handler}`);
    const variables = ((props.Environment as Record<string, Json> | undefined)?.Variables ?? {}) as Record<
      string,
      Json
    >;
    const environment = Object.fromEntries(
      Object.entries(variables).map(([name, value]) => [name, String(resolver.resolve(value))]),
    );
    const invokeConfig = invokeConfigs.get(logicalId) ?? {};
    const onFailure = (invokeConfig.DestinationConfig as { OnFailure?: { Destination?: Json } } | undefined)
      ?.OnFailure?.Destination;
    const functionName = String(resolver.resolve(props.FunctionName ?? `${stackName}-${logicalId}`));
    return {
      logicalId,
      functionName,
      shortName: functionName.startsWith(`${stackName}-`)
        ? functionName.slice(stackName.length + 1)
        : functionName,
      handler,
      modulePath,
      exportName: handler.slice(dot + 1),
      environment,
      timeoutSeconds: Number(props.Timeout ?? 3),
      memoryMb: Number(props.MemorySize ?? 128),
      maximumRetryAttempts: Number(invokeConfig.MaximumRetryAttempts ?? 2),
      onFailureDestination: onFailure === undefined ? undefined : String(resolver.resolve(onFailure)),
    };
  });

  const rules: SimRule[] = ofType('AWS::Events::Rule').map(([logicalId, resource]) => {
    const props = resource.Properties ?? {};
    const bus = props.EventBusName === undefined ? 'default' : String(resolver.resolve(props.EventBusName));
    const targets = ((props.Targets ?? []) as Record<string, Json>[]).map((target) => {
      const arn = target.Arn as { 'Fn::GetAtt'?: [string, string] } | string;
      const functionLogicalId = typeof arn === 'object' ? arn['Fn::GetAtt']?.[0] : undefined;
      const isFunction =
        functionLogicalId !== undefined &&
        template.Resources[functionLogicalId]?.Type === 'AWS::Lambda::Function';
      const resolvedArn = isFunction ? undefined : String(resolver.resolve(target.Arn as Json));
      const isTopic = /^arn:aws[a-z-]*:sns:/.test(resolvedArn ?? '');
      if (!isFunction && !isTopic && !/^arn:aws[a-z-]*:events:/.test(resolvedArn ?? '')) {
        throw new Error(
          `rule ${logicalId}: target ${String(target.Id)} is neither a function of this stack, an event bus nor a topic`,
        );
      }
      const transformer = target.InputTransformer as
        | { InputPathsMap?: Record<string, string>; InputTemplate?: string }
        | undefined;
      if (transformer !== undefined && typeof transformer.InputTemplate !== 'string') {
        throw new Error(`rule ${logicalId}: InputTransformer without an InputTemplate`);
      }
      const retry = (target.RetryPolicy ?? {}) as Record<string, Json>;
      const dlq = (target.DeadLetterConfig as Record<string, Json> | undefined)?.Arn;
      return {
        id: String(target.Id),
        kind: isFunction ? ('function' as const) : isTopic ? ('sns-topic' as const) : ('event-bus' as const),
        functionLogicalId: functionLogicalId ?? '',
        eventBusArn: isTopic ? undefined : resolvedArn,
        topicArn: isTopic ? resolvedArn : undefined,
        inputTransformer:
          transformer === undefined
            ? undefined
            : { pathsMap: transformer.InputPathsMap ?? {}, template: String(transformer.InputTemplate) },
        input: target.Input === undefined ? undefined : String(resolver.resolve(target.Input)),
        inputPath: target.InputPath === undefined ? undefined : String(target.InputPath),
        maximumRetryAttempts: Number(retry.MaximumRetryAttempts ?? 185),
        deadLetterArn: dlq === undefined ? undefined : String(resolver.resolve(dlq)),
      };
    });
    return {
      logicalId,
      name: String(resolver.resolve(props.Name ?? `${stackName}-${logicalId}`)),
      eventBusName: bus.startsWith('arn:') ? bus.slice(bus.lastIndexOf('/') + 1) : bus,
      eventPattern:
        props.EventPattern === undefined
          ? undefined
          : (resolver.resolve(props.EventPattern) as Record<string, unknown>),
      scheduleExpression:
        props.ScheduleExpression === undefined ? undefined : String(props.ScheduleExpression),
      enabled: (props.State ?? 'ENABLED') === 'ENABLED',
      targets,
    };
  });

  return {
    stackName,
    region,
    account,
    functions,
    rules,
    tables: ofType('AWS::DynamoDB::Table').map(([logicalId, resource]) => ({
      logicalId,
      tableName: String(resolver.resolve({ Ref: logicalId })),
      properties: resource.Properties ?? {},
    })),
    topics: ofType('AWS::SNS::Topic').map(([logicalId, resource]) => {
      const key = resource.Properties?.KmsMasterKeyId;
      return {
        logicalId,
        arn: String(resolver.resolve({ Ref: logicalId })),
        name: String(resolver.resolve({ 'Fn::GetAtt': [logicalId, 'TopicName'] })),
        ...(key === undefined ? {} : { kmsMasterKeyId: String(resolver.resolve(key)) }),
      };
    }),
    buses: ofType('AWS::Events::EventBus').map(([logicalId]) => ({
      logicalId,
      arn: String(resolver.resolve({ 'Fn::GetAtt': [logicalId, 'Arn'] })),
      name: String(resolver.resolve({ Ref: logicalId })),
    })),
    queues: ofType('AWS::SQS::Queue').map(([logicalId, resource]) => ({
      logicalId,
      arn: String(resolver.resolve({ 'Fn::GetAtt': [logicalId, 'Arn'] })),
      name: String(resolver.resolve({ 'Fn::GetAtt': [logicalId, 'QueueName'] })),
      url: String(resolver.resolve({ Ref: logicalId })),
      retentionSeconds: Number(resolver.resolve(resource.Properties?.MessageRetentionPeriod ?? 345_600)),
    })),
    keys: ofType('AWS::KMS::Key').map(([logicalId, resource]) => ({
      logicalId,
      keyId: String(resolver.resolve({ Ref: logicalId })),
      arn: String(resolver.resolve({ 'Fn::GetAtt': [logicalId, 'Arn'] })),
      aliases: ofType('AWS::KMS::Alias')
        .filter(([, alias]) => {
          const target = alias.Properties?.TargetKeyId as { Ref?: string } | string | undefined;
          return typeof target === 'object' && target?.Ref === logicalId;
        })
        .map(([, alias]) => String(resolver.resolve(alias.Properties?.AliasName ?? ''))),
      policy: resolver.resolve(resource.Properties?.KeyPolicy ?? null),
    })),
    alarms: ofType('AWS::CloudWatch::Alarm').map(([logicalId, resource]) =>
      alarmOf(logicalId, resource, resolver, { region, account }),
    ),
  };
}

/** An alarm as CloudFormation creates it (its defaults: `TreatMissingData` missing, actions enabled). */
function alarmOf(
  logicalId: string,
  resource: CfnResource,
  resolver: Resolver,
  where: { region: string; account: string },
): SimAlarm {
  const props = resolver.resolve((resource.Properties ?? {}) as Json) as Record<string, Json>;
  const name = String(resolver.resolve({ Ref: logicalId }));
  const text = (value: Json | undefined) =>
    value === undefined || value === null ? undefined : String(value);
  const number = (value: Json | undefined) =>
    value === undefined || value === null ? undefined : Number(value);
  const list = (value: Json | undefined) => (Array.isArray(value) ? value.map(String) : []);
  return {
    logicalId,
    name,
    arn: `arn:aws:cloudwatch:${where.region}:${where.account}:alarm:${name}`,
    description: text(props.AlarmDescription),
    namespace: text(props.Namespace),
    metricName: text(props.MetricName),
    dimensions: ((props.Dimensions ?? []) as { Name?: Json; Value?: Json }[]).map((dimension) => ({
      name: String(dimension.Name),
      value: String(dimension.Value),
    })),
    statistic: text(props.Statistic),
    extendedStatistic: text(props.ExtendedStatistic),
    unit: text(props.Unit),
    metricMath:
      props.Metrics !== undefined || props.MetricName === undefined || props.Statistic === undefined,
    period: number(props.Period) ?? 0,
    evaluationPeriods: number(props.EvaluationPeriods) ?? 1,
    datapointsToAlarm: number(props.DatapointsToAlarm),
    threshold: number(props.Threshold),
    comparisonOperator: String(props.ComparisonOperator),
    treatMissingData: text(props.TreatMissingData) ?? 'missing',
    treatMissingDataSet: props.TreatMissingData !== undefined,
    actionsEnabled: props.ActionsEnabled !== false && props.ActionsEnabled !== 'false',
    alarmActions: list(props.AlarmActions),
    okActions: list(props.OKActions),
    insufficientDataActions: list(props.InsufficientDataActions),
  };
}

/** The stack name osls gives the service: `<service>-<stage>`, read back from the deployment bucket key. */
function stackNameOf(template: CfnTemplate): string {
  for (const resource of Object.values(template.Resources)) {
    const key = (resource.Properties?.Code as { S3Key?: string } | undefined)?.S3Key;
    const match = typeof key === 'string' ? /^serverless\/([^/]+)\/([^/]+)\//.exec(key) : null;
    if (match) return `${match[1]}-${match[2]}`;
  }
  return `dr-autopilot-${SIM_STAGE}`;
}

/** CloudFormation intrinsic functions, resolved to the names and ARNs the simulated resources have. */
export class Resolver {
  constructor(
    private readonly template: CfnTemplate,
    private readonly context: { region: string; account: string; stackName: string },
  ) {}

  /** A template Condition, evaluated for this Region and account. */
  condition(name: string): boolean {
    const definition = this.template.Conditions?.[name];
    if (definition === undefined) throw new Error(`the template has no condition ${name}`);
    return this.evaluate(definition);
  }

  private evaluate(value: Json): boolean {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return Boolean(value);
    const [key] = Object.keys(value);
    const argument = value[key ?? ''] as Json[];
    switch (key) {
      case 'Fn::Equals':
        return (
          JSON.stringify(this.resolve(argument[0] as Json)) ===
          JSON.stringify(this.resolve(argument[1] as Json))
        );
      case 'Fn::Not':
        return !this.evaluate(argument[0] as Json);
      case 'Fn::And':
        return argument.every((item) => this.evaluate(item));
      case 'Fn::Or':
        return argument.some((item) => this.evaluate(item));
      case 'Condition':
        return this.condition(String(argument));
      default:
        throw new Error(`condition function ${String(key)} is not simulated`);
    }
  }

  resolve(value: Json): Json {
    if (value === null || typeof value !== 'object') return value;
    if (Array.isArray(value))
      return value.map((item) => this.resolve(item)).filter((item) => item !== NO_VALUE);
    const keys = Object.keys(value);
    if (keys.length === 1) {
      const [key] = keys as [string];
      const argument = value[key] as Json;
      switch (key) {
        case 'Ref':
          return this.ref(String(argument));
        case 'Fn::GetAtt': {
          const [logicalId, attribute] = Array.isArray(argument)
            ? (argument as string[])
            : String(argument).split('.');
          return this.getAtt(String(logicalId), String(attribute));
        }
        case 'Fn::Sub':
          return this.sub(argument);
        case 'Fn::Join': {
          const [separator, parts] = argument as [string, Json[]];
          return (this.resolve(parts) as Json[]).map(String).join(separator);
        }
        case 'Fn::Select': {
          const [index, list] = argument as [Json, Json];
          return (this.resolve(list) as Json[])[Number(this.resolve(index))] ?? null;
        }
        case 'Fn::Split': {
          const [separator, text] = argument as [string, Json];
          return String(this.resolve(text)).split(separator);
        }
        case 'Fn::If': {
          const [condition, whenTrue, whenFalse] = argument as [string, Json, Json];
          return this.resolve(this.condition(condition) ? whenTrue : whenFalse);
        }
        default:
          if (key.startsWith('Fn::')) throw new Error(`${key} is not simulated`);
      }
    }
    return Object.fromEntries(
      Object.entries(value)
        .map(([key, item]) => [key, this.resolve(item)] as const)
        .filter(([, item]) => item !== NO_VALUE),
    );
  }

  private resource(logicalId: string): CfnResource {
    const resource = this.template.Resources[logicalId];
    if (!resource) throw new Error(`the template has no resource ${logicalId}`);
    return resource;
  }

  private nameOf(logicalId: string, property: string): string {
    const explicit = this.resource(logicalId).Properties?.[property];
    return explicit === undefined ? `${this.context.stackName}-${logicalId}` : String(this.resolve(explicit));
  }

  ref(name: string): Json {
    const { region, account, stackName } = this.context;
    switch (name) {
      case 'AWS::Region':
        return region;
      case 'AWS::AccountId':
        return account;
      case 'AWS::Partition':
        return 'aws';
      case 'AWS::StackName':
        return stackName;
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::NoValue':
        return NO_VALUE;
    }
    const resource = this.resource(name);
    switch (resource.Type) {
      case 'AWS::DynamoDB::Table':
        return this.nameOf(name, 'TableName');
      case 'AWS::SNS::Topic':
        return `arn:aws:sns:${region}:${account}:${this.nameOf(name, 'TopicName')}`;
      case 'AWS::Events::EventBus':
        return this.nameOf(name, 'Name');
      case 'AWS::SQS::Queue':
        return `https://sqs.${region}.amazonaws.com/${account}/${this.nameOf(name, 'QueueName')}`;
      case 'AWS::Lambda::Function':
        return this.nameOf(name, 'FunctionName');
      case 'AWS::IAM::Role':
        return this.nameOf(name, 'RoleName');
      case 'AWS::KMS::Key':
        return keyIdOf(name);
      case 'AWS::CloudWatch::Alarm':
        return this.nameOf(name, 'AlarmName');
      default:
        return name;
    }
  }

  getAtt(logicalId: string, attribute: string): Json {
    const { region, account } = this.context;
    const resource = this.resource(logicalId);
    const key = `${resource.Type}.${attribute}`;
    switch (key) {
      case 'AWS::DynamoDB::Table.Arn':
        return `arn:aws:dynamodb:${region}:${account}:table/${this.ref(logicalId)}`;
      case 'AWS::DynamoDB::Table.StreamArn':
        return `arn:aws:dynamodb:${region}:${account}:table/${this.ref(logicalId)}/stream/sim`;
      case 'AWS::SNS::Topic.TopicArn':
        return this.ref(logicalId);
      case 'AWS::SNS::Topic.TopicName':
        return this.nameOf(logicalId, 'TopicName');
      case 'AWS::Events::EventBus.Arn':
        return `arn:aws:events:${region}:${account}:event-bus/${this.ref(logicalId)}`;
      case 'AWS::Events::EventBus.Name':
        return this.ref(logicalId);
      case 'AWS::SQS::Queue.Arn':
        return `arn:aws:sqs:${region}:${account}:${this.nameOf(logicalId, 'QueueName')}`;
      case 'AWS::SQS::Queue.QueueName':
        return this.nameOf(logicalId, 'QueueName');
      case 'AWS::SQS::Queue.QueueUrl':
        return this.ref(logicalId);
      case 'AWS::Lambda::Function.Arn':
        return `arn:aws:lambda:${region}:${account}:function:${this.ref(logicalId)}`;
      case 'AWS::IAM::Role.Arn':
        return `arn:aws:iam::${account}:role/${this.ref(logicalId)}`;
      case 'AWS::KMS::Key.Arn':
        return `arn:aws:kms:${region}:${account}:key/${keyIdOf(logicalId)}`;
      case 'AWS::KMS::Key.KeyId':
        return keyIdOf(logicalId);
      case 'AWS::Events::Rule.Arn': {
        // A rule on a custom bus is `rule/<bus>/<name>`; on the default bus `rule/<name>`.
        const bus = resource.Properties?.EventBusName;
        const busName = bus === undefined ? undefined : String(this.resolve(bus));
        const onBus =
          busName === undefined || busName === 'default'
            ? ''
            : `${busName.slice(busName.lastIndexOf('/') + 1)}/`;
        return `arn:aws:events:${region}:${account}:rule/${onBus}${this.nameOf(logicalId, 'Name')}`;
      }
      case 'AWS::CloudWatch::Alarm.Arn':
        return `arn:aws:cloudwatch:${region}:${account}:alarm:${this.ref(logicalId)}`;
      default:
        throw new Error(`Fn::GetAtt ${logicalId}.${attribute} (${resource.Type}) is not simulated`);
    }
  }

  private sub(argument: Json): Json {
    const [text, variables] = Array.isArray(argument)
      ? [String(argument[0]), (argument[1] ?? {}) as Record<string, Json>]
      : [String(argument), {} as Record<string, Json>];
    return text.replace(/\$\{([^}!][^}]*)\}/g, (_, name: string) => {
      if (name in variables) return String(this.resolve(variables[name] as Json));
      if (name.includes('.')) {
        const [logicalId, attribute] = name.split('.') as [string, string];
        return String(this.getAtt(logicalId, attribute));
      }
      return String(this.ref(name));
    });
  }
}

/** `Ref: AWS::NoValue`: the property or list item is removed, as CloudFormation does. */
const NO_VALUE = '\u0000AWS::NoValue';

function keyIdOf(logicalId: string): string {
  const digest = createHash('sha256').update(logicalId).digest('hex');
  return `${digest.slice(0, 8)}-${digest.slice(8, 12)}-${digest.slice(12, 16)}-${digest.slice(16, 20)}-${digest.slice(20, 32)}`;
}
