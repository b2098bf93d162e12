import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LogLevel } from '@aws-lambda-powertools/logger';
import { parse, YAMLSeq } from 'yaml';
import { parseIsoDuration } from '../src/domain/duration.ts';
import { ConfigError, type ConfigProblem } from '../src/domain/errors.ts';
import { FUNCTION_CONFIGS } from '../src/runtime/function-config.ts';

/**
 * The configuration check behind `npm run check-config` and the `osls package` plugin
 * (infra/plugins/check-config.cjs): every function's loader (src/runtime/function-config.ts, the code its cold
 * start runs) over the environment the deployment would give it, and the stage parameters that never reach an
 * environment (schedules, the alarm period, the log level). A problem names the stage parameter the user set and
 * its value, not the environment variable: which variable comes from which parameter is read from serverless.yml
 * and infra/functions/*.yml as written.
 */

export const ROOT = new URL('../', import.meta.url).pathname;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** serverless.yml and the files it includes, as written: variables unresolved, CloudFormation tags as intrinsics. */
export interface Layout {
  service: string;
  provider: JsonObject;
  params: Record<string, JsonObject>;
  /** Every function by its serverless.yml name, as written in infra/functions/<name>.yml. */
  functions: Record<string, JsonObject>;
  /** The CloudFormation type of each resource of the stack, by logical id. */
  resourceTypes: Record<string, string>;
  /** The `Condition` of each resource that has one (e.g. `OwnsReadiness`: the recovery Region's only). */
  resourceConditions: Record<string, string>;
}

/**
 * A deployment's configuration as osls resolves it: what `osls print` shows, and what the plugin hands over
 * (variables resolved, CloudFormation intrinsics left for CloudFormation).
 */
export interface ResolvedService {
  service: string;
  stage: string;
  region: string;
  /** The `params:` block of serverless.yml. */
  configParams: Record<string, JsonObject>;
  /** The `--param` options, as given (`name=value`). */
  cliParams: string[];
  /** `provider.environment`: every function's. */
  environment: JsonObject;
  functions: Record<string, { handler: string; environment?: JsonObject | undefined }>;
}

/** One thing to fix: the parameters (or options) involved, with their values, and what is wrong. */
export interface CheckProblem {
  parameters: { name: string; value: string; option?: boolean }[];
  /** The environment variables involved (none for a schedule or the alarm period). */
  variables: string[];
  /** Where the value goes: `DEFAULT_RPO of every function`, `schedule of reconciler`. */
  where: string;
  message: string;
  example?: string | undefined;
}

const CFN_TAGS = [
  { tag: '!Ref', resolve: (value: string) => ({ Ref: value }) },
  { tag: '!Sub', resolve: (value: string) => ({ 'Fn::Sub': value }) },
  {
    tag: '!Sub',
    collection: 'seq' as const,
    nodeClass: YAMLSeq,
    resolve: (value: YAMLSeq) => ({ 'Fn::Sub': value.toJSON() }),
  },
  { tag: '!GetAtt', resolve: (value: string) => ({ 'Fn::GetAtt': value.split('.') }) },
];

function readYaml(path: string): JsonObject {
  return (parse(readFileSync(path, 'utf8'), { customTags: CFN_TAGS, logLevel: 'error' }) ?? {}) as JsonObject;
}

/** The files `${file(./…)}` entries of a list name, parsed (a `.cjs` fragment is code: not read here). */
function included(root: string, entries: Json | undefined): JsonObject[] {
  return ((entries ?? []) as Json[]).flatMap((entry) => {
    if (typeof entry !== 'string') return [entry as JsonObject];
    const file = /^\$\{file\(([^)]+)\)\}$/.exec(entry)?.[1];
    return file && /\.ya?ml$/.test(file) ? [readYaml(join(root, file))] : [];
  });
}

export function readLayout(root: string = ROOT): Layout {
  const config = readYaml(join(root, 'serverless.yml'));
  const functions = Object.assign({}, ...included(root, config.functions)) as Record<string, JsonObject>;
  const resourceTypes: Record<string, string> = {};
  const resourceConditions: Record<string, string> = {};
  for (const fragment of included(root, config.resources)) {
    for (const [logicalId, resource] of Object.entries((fragment.Resources ?? {}) as JsonObject)) {
      resourceTypes[logicalId] = String((resource as JsonObject).Type);
      const condition = (resource as JsonObject).Condition;
      if (typeof condition === 'string') resourceConditions[logicalId] = condition;
    }
  }
  return {
    service: String(config.service),
    provider: (config.provider ?? {}) as JsonObject,
    params: (config.params ?? {}) as Record<string, JsonObject>,
    functions,
    resourceTypes,
    resourceConditions,
  };
}

/**
 * The stage parameters as osls resolves `${param:…}` (lib/configuration/variables/sources/instance-dependent/
 * param.js): `--param` options first, then `params.<stage>`, then `params.default`.
 */
export function resolveParams(
  configParams: Record<string, JsonObject>,
  stage: string,
  cliParams: readonly string[],
): Record<string, Json> {
  const result: Record<string, Json> = {};
  for (const item of cliParams) {
    const groups = /(?<key>[^=]+)=(?<value>.+)/.exec(item)?.groups;
    if (!groups?.key || groups.value === undefined) {
      throw new InvalidParamError(
        `invalid --param "${item}": use --param='<name>=<value>' (a value is required)`,
      );
    }
    result[groups.key] = groups.value.trimEnd();
  }
  for (const source of [configParams[stage] ?? {}, configParams.default ?? {}]) {
    for (const [name, value] of Object.entries(source)) {
      if (value != null && result[name] == null) result[name] = value;
    }
  }
  return result;
}

export class InvalidParamError extends Error {
  override name = 'InvalidParamError';
}

const VARIABLE = /\$\{([a-z]+):([^,}\s]+)(?:\s*,\s*'([^']*)')?\s*\}/g;

/**
 * Resolves the variables serverless.yml uses in what the check reads (`${param:…}`, `${sls:stage}`,
 * `${opt:stage, 'dev'}`, `${self:service}`), the way osls does: a value that is one variable keeps its type.
 */
function resolveVariables(value: Json, context: VariableContext): Json {
  if (typeof value === 'string') {
    const whole = new RegExp(`^${VARIABLE.source}$`).exec(value);
    if (whole) return variable(whole, context);
    return value.replace(VARIABLE, (...match) =>
      String(variable(match as unknown as RegExpExecArray, context)),
    );
  }
  if (Array.isArray(value)) return value.map((item) => resolveVariables(item, context));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, resolveVariables(item, context)]),
    );
  }
  return value;
}

interface VariableContext {
  service: string;
  stage: string;
  options: Record<string, string | undefined>;
  params: Record<string, Json>;
}

function variable(match: RegExpExecArray, context: VariableContext): Json {
  const [text, source, address, fallback] = match as unknown as [string, string, string, string | undefined];
  let value: Json | undefined;
  if (source === 'param') value = context.params[address];
  else if (source === 'sls' && address === 'stage') value = context.stage;
  else if (source === 'opt') value = context.options[address] ?? fallback;
  else if (source === 'self' && address === 'service') value = context.service;
  else throw new Error(`${text}: variable source not supported by the configuration check`);
  if (value === undefined || value === null) throw new InvalidParamError(`${text} has no value`);
  return value;
}

/** The resolved configuration of a deployment, from serverless.yml as written: what `osls print` would give. */
export function resolveService(
  layout: Layout,
  options: { stage?: string | undefined; region?: string | undefined; cliParams?: readonly string[] },
): ResolvedService {
  const base = {
    service: layout.service,
    options: { stage: options.stage, region: options.region },
    params: {},
  };
  const stage = String(resolveVariables(layout.provider.stage ?? 'dev', { ...base, stage: '' }));
  const region = String(resolveVariables(layout.provider.region ?? 'us-east-1', { ...base, stage }));
  const cliParams = [...(options.cliParams ?? [])];
  const context = { ...base, stage, params: resolveParams(layout.params, stage, cliParams) };
  return {
    service: layout.service,
    stage,
    region,
    configParams: layout.params,
    cliParams,
    environment: resolveVariables(layout.provider.environment ?? {}, context) as JsonObject,
    functions: Object.fromEntries(
      Object.entries(layout.functions).map(([name, fn]) => [
        name,
        {
          handler: String(fn.handler),
          environment: resolveVariables(fn.environment ?? {}, context) as JsonObject,
        },
      ]),
    ),
  };
}

/** The placeholder account of values CloudFormation fills in. */
const ACCOUNT = '123456789012';

/**
 * An environment value as a string: what the deployment sets, with what CloudFormation fills in (the stack's
 * topic, bus and tables, the account) replaced by plausible placeholders: not user settings, nothing to check.
 */
function environmentValue(value: Json, layout: Layout, resolved: ResolvedService): string {
  const name = (logicalId: string) => `${resolved.service}-${resolved.stage}-${logicalId}`;
  const ref = (logicalId: string): string => {
    const pseudo: Record<string, string> = {
      'AWS::Partition': 'aws',
      'AWS::AccountId': ACCOUNT,
      'AWS::Region': resolved.region,
      'AWS::URLSuffix': 'amazonaws.com',
      'AWS::StackName': name('stack'),
    };
    if (pseudo[logicalId]) return pseudo[logicalId];
    return layout.resourceTypes[logicalId] === 'AWS::SNS::Topic'
      ? `arn:aws:sns:${resolved.region}:${ACCOUNT}:${name(logicalId)}`
      : name(logicalId);
  };
  if (value === null || typeof value !== 'object') return String(value ?? '');
  if (Array.isArray(value)) return value.map((item) => environmentValue(item, layout, resolved)).join(',');
  if ('Ref' in value) return ref(String(value.Ref));
  if ('Fn::GetAtt' in value) return name(String((value['Fn::GetAtt'] as Json[])[0]));
  if ('Fn::Sub' in value) {
    const argument = value['Fn::Sub'];
    const [text, variables] = Array.isArray(argument)
      ? [String(argument[0]), (argument[1] ?? {}) as JsonObject]
      : [String(argument), {} as JsonObject];
    return text.replace(/\$\{([^}!][^}]*)\}/g, (_, key: string) =>
      key in variables
        ? environmentValue(variables[key] as Json, layout, resolved)
        : key.includes('.')
          ? name(key.split('.')[0] as string)
          : ref(key),
    );
  }
  return JSON.stringify(value);
}

/** Where each function's environment variables come from, read from the configuration as written. */
interface Source {
  params: string[];
  stage: boolean;
}

function sourceOf(raw: Json | undefined): Source {
  const text = JSON.stringify(raw ?? null);
  return {
    params: [...text.matchAll(/\$\{param:([^,}\s]+)\}/g)].map((match) => match[1] as string),
    stage: /\$\{(sls:stage|opt:stage)/.test(text),
  };
}

/** Better examples than the default, for parameters whose default is empty or says little. */
const EXAMPLES: Record<string, string> = {
  evidenceExportBucket: 'my-dr-evidence-bucket',
  restoreSettings:
    '{"EC2":{"subnetId":"subnet-0123456789abcdef0","securityGroupIds":["sg-0123456789abcdef0"]}}',
  restoreValidators: '{"invoicing":"invoicing-restore-validator"}',
};

function shellWord(text: string): string {
  return /^[A-Za-z0-9._:/@%+=,-]+$/.test(text) ? text : `'${text.replaceAll("'", "'\\''")}'`;
}

function quote(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  const cut = text.length > 120 ? `${text.slice(0, 119)}…` : text;
  return cut.includes('"') ? `'${cut}'` : `"${cut}"`;
}

/** The problems of several functions, one entry per distinct problem, with the functions it reaches. */
function problemCollector() {
  const problems = new Map<string, CheckProblem & { functions: string[] }>();
  return {
    add(problem: CheckProblem, functionName?: string) {
      const key = JSON.stringify([problem.parameters, problem.variables, problem.message, problem.where]);
      const known = problems.get(key) ?? { ...problem, functions: [] };
      if (functionName !== undefined) known.functions.push(functionName);
      problems.set(key, known);
    },
    /** Every problem, `where` naming the functions it reaches (`of every function` when it reaches all of `all`). */
    list(all: number): CheckProblem[] {
      return [...problems.values()].map(({ functions, ...problem }) => ({
        ...problem,
        where:
          functions.length === 0
            ? problem.where
            : `${problem.where} of ${functions.length === all && all > 1 ? 'every function' : functions.join(', ')}`,
      }));
    },
  };
}

type Collector = ReturnType<typeof problemCollector>;

/** How a stage parameter is written back as an example (`--param=name=value`), from serverless.yml's defaults. */
function examples(defaults: JsonObject) {
  return (name: string) => {
    const value = EXAMPLES[name] ?? defaults[name];
    return value === undefined || value === null || value === ''
      ? undefined
      : `--param=${shellWord(`${name}=${value}`)}`;
  };
}

/**
 * Runs one function's configuration loader (src/runtime/function-config.ts) over `env`, and adds each problem it
 * reports, named by the stage parameter behind the variable (read from the configuration as written) and the
 * parameter's value in `params`.
 */
function loaderProblems(
  fn: { name: string; handler: string; env: Record<string, string> },
  context: {
    layout: Layout;
    params: Record<string, Json>;
    region: string;
    stage: string;
    exampleFor: (name: string) => string | undefined;
  },
  collector: Collector,
): void {
  const { layout } = context;
  const load = FUNCTION_CONFIGS[fn.handler.replace(/\.[^.]+$/, '')];
  if (!load) {
    collector.add({
      parameters: [],
      variables: [],
      where: `function ${fn.name} (${fn.handler})`,
      message: 'has no configuration loader in src/runtime/function-config.ts',
    });
    return;
  }
  const sourcesOf = (variable: string): Source => {
    if (variable === 'AWS_REGION') return { params: [], stage: false };
    const definition = layout.functions[fn.name];
    return sourceOf(
      (definition?.environment as JsonObject | undefined)?.[variable] ??
        (layout.provider.environment as JsonObject | undefined)?.[variable],
    );
  };
  try {
    load(fn.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const fallback: ConfigProblem = { variables: [], path: [], message: error.message };
    for (const problem of error.problems.length > 0 ? error.problems : [fallback]) {
      const variable = problem.variables[0] ?? '';
      collector.add(
        describe(problem, sourcesOf(variable), {
          ...context,
          env: fn.env,
          rename: (name) => {
            const source = sourcesOf(name);
            if (name === 'AWS_REGION') return '--region';
            return source.params.length === 1 ? (source.params[0] as string) : name;
          },
        }),
        label(fn.handler),
      );
    }
  }
}

/**
 * The environment each function of a deployment gets (`AWS_REGION` included), by its serverless.yml name: the
 * values osls resolved, with what CloudFormation fills in replaced by placeholders ({@link environmentValue}).
 */
export function functionEnvironments(
  resolved: ResolvedService,
  layout: Layout = readLayout(),
): Record<string, { handler: string; env: Record<string, string> }> {
  return Object.fromEntries(
    Object.entries(resolved.functions).map(([name, fn]) => {
      const env: Record<string, string> = { AWS_REGION: resolved.region };
      for (const [variable, value] of Object.entries({ ...resolved.environment, ...(fn.environment ?? {}) }))
        env[variable] = environmentValue(value, layout, resolved);
      return [name, { handler: fn.handler, env }];
    }),
  );
}

/** Every problem of a deployment's configuration; none means every function would start. */
export function checkService(resolved: ResolvedService, layout: Layout = readLayout()): CheckProblem[] {
  const params = resolveParams(resolved.configParams, resolved.stage, resolved.cliParams);
  const defaults = resolved.configParams.default ?? {};
  const collector = problemCollector();
  const exampleFor = examples(defaults);
  const parameter = (name: string) => ({ name, value: String(params[name] ?? '') });

  // Parameters no ${param:…} reads: a typo deploys the default silently.
  const known = new Set(Object.keys(defaults));
  const given = [
    ...resolved.cliParams.map((item) => item.split('=')[0] as string),
    ...Object.keys(resolved.configParams[resolved.stage] ?? {}),
  ];
  for (const name of new Set(given)) {
    if (known.has(name)) continue;
    const near = [...known].find((candidate) => candidate.toLowerCase() === name.toLowerCase());
    collector.add({
      parameters: [parameter(name)],
      variables: [],
      where: 'nothing reads it',
      message: `not a stage parameter of serverless.yml${near ? `; did you mean ${near}?` : ''} (every parameter: docs/configuration.md)`,
      example: near ? `--param=${shellWord(`${near}=${String(params[name])}`)}` : undefined,
    });
  }

  // Every function's loader, over the environment the deployment gives it.
  const environments = functionEnvironments(resolved, layout);
  const context = { layout, params, region: resolved.region, stage: resolved.stage, exampleFor };
  for (const [name, fn] of Object.entries(environments)) {
    loaderProblems({ name, ...fn }, context, collector);
  }

  for (const problem of deploymentProblems(layout, params, defaults, exampleFor)) collector.add(problem);

  const all = new Set(Object.values(resolved.functions).map((fn) => label(fn.handler)));
  return collector.list(all.size);
}

/**
 * The stage parameters behind a deployed function's environment, read back from the values: each variable's
 * definition as written (`${param:defaultRpo}`, `arn:${AWS::Partition}:iam::${AWS::AccountId}:role/${param:restoreRoleName}`)
 * matched against the deployed value. A variable that does not match its definition tells nothing.
 */
function deployedParams(definitions: JsonObject, env: Record<string, string>): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [variable, definition] of Object.entries(definitions)) {
    const value = env[variable];
    const text =
      typeof definition === 'string'
        ? definition
        : definition !== null && typeof definition === 'object' && 'Fn::Sub' in definition
          ? String(Array.isArray(definition['Fn::Sub']) ? definition['Fn::Sub'][0] : definition['Fn::Sub'])
          : undefined;
    if (value === undefined || text === undefined) continue;
    const names: string[] = [];
    const pattern = text
      .split(/(\$\{[^}]+\})/)
      .map((part) => {
        const param = /^\$\{param:([^,}\s]+)\}$/.exec(part)?.[1];
        if (param) {
          names.push(param);
          return '(.*)';
        }
        return part.startsWith('${') ? '.*?' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      })
      .join('');
    if (names.length === 0) continue;
    const match = new RegExp(`^${pattern}$`, 's').exec(value);
    names.forEach((name, index) => {
      if (match && params[name] === undefined) params[name] = match[index + 1] as string;
    });
  }
  return params;
}

/**
 * The problems of a **deployed** configuration: each function's environment as Lambda holds it
 * (GetFunctionConfiguration) through the loader its cold start runs, named by the stage parameter behind each
 * variable, its value read back from the deployed environment. What `npm run smoke` checks after a deploy; the
 * stage parameters that never reach an environment (schedules, the alarm period) are not seen from there.
 */
export function checkDeployedFunctions(
  deployed: readonly { functionName: string; handler: string; env: Record<string, string | undefined> }[],
  options: { region: string; stage: string; layout?: Layout },
): CheckProblem[] {
  const layout = options.layout ?? readLayout();
  const collector = problemCollector();
  const byHandler = new Map(
    Object.entries(layout.functions).map(([name, fn]) => [String(fn.handler), name] as const),
  );
  const functions = deployed.flatMap((fn) => {
    const name = byHandler.get(fn.handler);
    const env: Record<string, string> = { AWS_REGION: options.region };
    for (const [variable, value] of Object.entries(fn.env)) if (value !== undefined) env[variable] = value;
    if (name === undefined) {
      collector.add({
        parameters: [],
        variables: [],
        where: `function ${fn.functionName} (${fn.handler})`,
        message:
          'is not a function of this checkout’s serverless.yml: run the check from the version of dr-autopilot you deployed',
      });
      return [];
    }
    return [{ name, handler: fn.handler, env }];
  });
  const params: Record<string, Json> = {};
  for (const fn of functions) {
    const definitions = {
      ...((layout.provider.environment ?? {}) as JsonObject),
      ...((layout.functions[fn.name]?.environment ?? {}) as JsonObject),
    };
    for (const [name, value] of Object.entries(deployedParams(definitions, fn.env))) params[name] ??= value;
  }
  const context = {
    layout,
    params,
    region: options.region,
    stage: options.stage,
    exampleFor: examples(layout.params.default ?? {}),
  };
  for (const fn of functions) loaderProblems(fn, context, collector);
  return collector.list(new Set(functions.map((fn) => fn.handler)).size);
}

function describe(
  problem: ConfigProblem,
  source: Source,
  context: {
    params: Record<string, Json>;
    region: string;
    stage: string;
    env: Record<string, string>;
    rename: (variable: string) => string;
    exampleFor: (name: string) => string | undefined;
  },
): CheckProblem {
  const variable = problem.variables[0] ?? '';
  const { params } = context;
  const parameters: CheckProblem['parameters'] =
    variable === 'AWS_REGION'
      ? [{ name: '--region', value: context.region, option: true }]
      : source.params.length > 0
        ? source.params.map((name) => ({ name, value: String(params[name] ?? '') }))
        : source.stage
          ? [{ name: '--stage', value: context.stage, option: true }]
          : [];
  // Other variables a message names are shown as the parameters behind them.
  const sentence = problem.message.replace(/\b[A-Z][A-Z0-9]*(_[A-Z0-9]+)+\b/g, (name) =>
    context.rename(name),
  );
  const at =
    problem.path.length === 0
      ? ''
      : `${problem.path.join('.')}${problem.received === undefined || typeof problem.received === 'object' ? '' : ` = ${quote(problem.received)}`}: `;
  const example =
    variable === 'AWS_REGION'
      ? `--region ${String(params.primaryRegion ?? 'eu-west-1')}`
      : source.params.length > 0
        ? source.params.map((name) => context.exampleFor(name)).join(' ') || undefined
        : undefined;
  return {
    parameters:
      parameters.length > 0 || variable === ''
        ? parameters
        : [{ name: variable, value: context.env[variable] ?? '', option: true }],
    variables: [variable],
    where: variable,
    message: `${at}${sentence}`,
    example,
  };
}

const RATE = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;
const UNIT_SECONDS: Record<string, number> = { minute: 60, hour: 3600, day: 86_400 };

/** Why an EventBridge schedule expression is refused, if it is. */
function scheduleProblem(expression: string): string | undefined {
  const rate = RATE.exec(expression);
  if (rate) {
    const count = Number(rate[1]);
    const unit = rate[2] as string;
    if (count < 1) return 'a rate must be at least 1';
    if ((count === 1) !== !unit.endsWith('s'))
      return `the unit is singular for 1 and plural above 1: rate(1 ${unit.replace(/s$/, '')}), rate(5 ${unit.replace(/s$/, '')}s)`;
    return undefined;
  }
  if (expression.startsWith('rate('))
    return 'must be rate(<number> <minute(s)|hour(s)|day(s)>), e.g. rate(5 minutes)';
  const cron = /^cron\((.*)\)$/.exec(expression);
  if (!cron)
    return 'must be rate(<number> <unit>) or cron(<6 fields>), e.g. rate(5 minutes) or cron(0 5 ? * SUN *)';
  const fields = (cron[1] as string).trim().split(/\s+/);
  if (fields.length !== 6) {
    return `cron needs 6 fields (minutes hours day-of-month month day-of-week year), not ${fields.length}`;
  }
  if ((fields[2] === '?') === (fields[4] === '?')) {
    return 'cron needs ? in exactly one of day-of-month and day-of-week, e.g. cron(0 5 ? * SUN *)';
  }
  return undefined;
}

/** The interval of a `rate(…)` schedule, in seconds (a cron schedule has none). */
function rateSeconds(expression: string): number | undefined {
  const rate = RATE.exec(expression);
  return rate ? Number(rate[1]) * (UNIT_SECONDS[(rate[2] as string).replace(/s$/, '')] ?? 0) : undefined;
}

/**
 * Stage parameters that never reach a function's environment: schedules (refused by EventBridge in the middle
 * of a deployment), the over-RPO alarm's period, the log level (Powertools would fall back to INFO silently), the
 * replication dashboard switch, and
 * the documented relations between the replication monitor's schedule, its alarm and readiness staleness.
 */
function deploymentProblems(
  layout: Layout,
  params: Record<string, Json>,
  defaults: JsonObject,
  exampleFor: (name: string) => string | undefined,
): CheckProblem[] {
  const problems: CheckProblem[] = [];
  const value = (name: string) => String(params[name] ?? '');
  // The example sets back the parameter that left its default (the first, if none did).
  const problem = (names: string[], where: string, message: string) =>
    problems.push({
      parameters: names.map((name) => ({ name, value: value(name) })),
      variables: [],
      where,
      message,
      example: exampleFor(
        names.find((name) => value(name) !== String(defaults[name] ?? '')) ?? (names[0] as string),
      ),
    });

  const schedules = new Map<string, string[]>();
  for (const [name, fn] of Object.entries(layout.functions)) {
    for (const event of (fn.events ?? []) as JsonObject[]) {
      const expressions = [
        (event.eventBridge as JsonObject | undefined)?.schedule ?? null,
        event.schedule ?? null,
      ];
      for (const param of sourceOf(expressions).params) {
        schedules.set(param, [...(schedules.get(param) ?? []), label(String(fn.handler ?? name))]);
      }
    }
  }
  for (const [name, functions] of schedules) {
    const reason = scheduleProblem(value(name));
    if (reason) problem([name], `schedule of ${functions.join(', ')}`, reason);
  }

  // The over-RPO alarm (infra/replication-alarms.yml) and the replication monitor's schedule (docs/configuration.md).
  const period = value('replicationAlarmPeriod');
  const interval = rateSeconds(value('replicationMonitorSchedule'));
  if (
    !/^\d+$/.test(period) ||
    !(Number(period) === 10 || Number(period) === 30 || Number(period) % 60 === 0)
  ) {
    problem(
      ['replicationAlarmPeriod'],
      'Period of the over-RPO alarm',
      'must be a whole number of seconds: 10, 30 or a multiple of 60',
    );
  } else if (interval !== undefined && Number(period) < interval) {
    problem(
      ['replicationAlarmPeriod', 'replicationMonitorSchedule'],
      'Period of the over-RPO alarm',
      `must be at least the replication monitor's schedule interval (${interval} s), or the alarm sees periods without data`,
    );
  }
  const refresh = parseIsoDuration(value('replicationRefreshAfter'));
  const stale = parseIsoDuration(value('readinessStaleAfter'));
  if (refresh !== undefined && stale !== undefined && interval !== undefined && refresh + interval >= stale) {
    problem(
      ['replicationRefreshAfter', 'readinessStaleAfter'],
      'MONITOR_REFRESH_AFTER of replication-monitor, READINESS_STALE_AFTER of readiness-publisher',
      `replicationRefreshAfter plus the replication monitor's schedule interval (${interval} s) must stay below readinessStaleAfter, or healthy resources turn UNKNOWN between refreshes`,
    );
  }

  // The replication dashboard's condition (infra/replication-dashboard.yml) compares with "true" exactly.
  if (!['true', 'false'].includes(value('replicationDashboard'))) {
    problem(
      ['replicationDashboard'],
      'the replication dashboard (infra/replication-dashboard.yml)',
      'must be true or false (anything else leaves the dashboard off)',
    );
  }

  const levels = Object.keys(LogLevel);
  if (!levels.includes(value('logLevel').toUpperCase())) {
    problem(
      ['logLevel'],
      'POWERTOOLS_LOG_LEVEL of every function',
      `must be one of ${levels.join(', ')} (anything else logs at INFO)`,
    );
  }
  return problems;
}

function label(handler: string): string {
  return handler.replace(/^functions\//, '').replace(/\.[^.]+$/, '');
}

/** One line per problem: the parameter and its value, where it goes, what is wrong, an example. */
export function formatProblem(problem: CheckProblem): string {
  const example = problem.example ? ` Example: ${problem.example}` : '';
  if (problem.parameters.length === 0) return `${problem.where}: ${problem.message}.${example}`;
  const named = problem.parameters.map((parameter) =>
    parameter.option
      ? `${parameter.name} ${quote(parameter.value)}`
      : `${parameter.name} = ${quote(parameter.value)}`,
  );
  const kind = problem.parameters.every((parameter) => parameter.option)
    ? problem.parameters[0]?.name.startsWith('--')
      ? 'option'
      : 'variable'
    : problem.parameters.length > 1
      ? 'stage parameters'
      : 'stage parameter';
  return `${kind} ${named.join(', ')} (${problem.where}): ${problem.message}.${example}`;
}
