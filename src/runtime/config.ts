import * as z from 'zod';
import { parseIsoDuration } from '../domain/duration.ts';
import { ConfigError, type ConfigProblem } from '../domain/errors.ts';

const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
const region = (name: string) =>
  z.string({ error: 'is required' }).regex(REGION, `must be an AWS Region such as eu-west-1 (${name})`);
const required = z.string({ error: 'is required' }).trim().min(1, 'must not be empty');
const isoDuration = z
  .string({ error: 'is required' })
  .refine(
    (value) => (parseIsoDuration(value) ?? 0) > 0,
    'must be a positive ISO-8601 duration such as PT15M or PT4H',
  );

/** The configuration contract of DESIGN.md §5, with exactly those variable names. */
export const baseEnvSchema = z.object({
  AWS_REGION: region('AWS_REGION'),
  PRIMARY_REGION: region('PRIMARY_REGION'),
  RECOVERY_REGION: region('RECOVERY_REGION'),
  MODE: z.enum(['active', 'dry-run'], { error: 'must be "active" or "dry-run"' }).default('active'),
  DEFAULT_RPO: isoDuration,
  DEFAULT_RTO: isoDuration,
  EVENT_BUS_NAME: required,
  READINESS_TABLE_NAME: required,
  IDEMPOTENCY_TABLE_NAME: required,
  EVIDENCE_TABLE_NAME: required,
  /** How long evidence records are kept after the action (DynamoDB TTL); a yearly audit cycle plus margin. */
  EVIDENCE_RETENTION: isoDuration.default('P800D'),
});

export interface BaseConfig {
  /** The Region this deployment runs in. */
  region: string;
  primaryRegion: string;
  recoveryRegion: string;
  /** Which side of the pair this deployment is. */
  regionRole: 'primary' | 'recovery';
  mode: 'active' | 'dry-run';
  dryRun: boolean;
  defaultRpoSeconds: number;
  defaultRtoSeconds: number;
  eventBusName: string;
  readinessTableName: string;
  idempotencyTableName: string;
  evidenceTableName: string;
  evidenceRetentionSeconds: number;
}

/** An environment: `process.env` at cold start, or what a deployment would give (`npm run check-config`). */
export type Env = Record<string, string | undefined>;

/**
 * Validates the environment once, at cold start. A missing or malformed variable throws a
 * {@link ConfigError} naming every offending variable; nothing runs on a half-valid configuration.
 * `extra` adds a function's own variables (validated the same way) to the result.
 */
export function loadConfig<Extra extends z.ZodObject = z.ZodObject<Record<never, never>>>(
  env: Record<string, string | undefined>,
  extra?: Extra,
): BaseConfig & { extra: z.infer<Extra> } {
  const schema = extra ? baseEnvSchema.extend(extra.shape) : baseEnvSchema;
  const result = schema.safeParse(env, { reportInput: true });
  if (!result.success) {
    const problems = result.error.issues.map((issue) => problemOf(schema, issue));
    throw new ConfigError(
      `invalid configuration: ${problems.map((problem) => describeProblem(problem, env)).join('; ')}`,
      { cause: result.error, problems },
    );
  }
  const values = result.data as z.infer<typeof baseEnvSchema> & Record<string, unknown>;
  if (values.PRIMARY_REGION === values.RECOVERY_REGION) {
    throw new ConfigError('invalid configuration: PRIMARY_REGION and RECOVERY_REGION must differ', {
      problems: [
        {
          variables: ['RECOVERY_REGION', 'PRIMARY_REGION'],
          path: [],
          message: `must differ from PRIMARY_REGION (${values.PRIMARY_REGION})`,
        },
      ],
    });
  }
  if (values.AWS_REGION !== values.PRIMARY_REGION && values.AWS_REGION !== values.RECOVERY_REGION) {
    throw new ConfigError(
      `invalid configuration: AWS_REGION ${values.AWS_REGION} is neither PRIMARY_REGION (${values.PRIMARY_REGION}) nor RECOVERY_REGION (${values.RECOVERY_REGION})`,
      {
        problems: [
          {
            variables: ['AWS_REGION', 'PRIMARY_REGION', 'RECOVERY_REGION'],
            path: [],
            message: `is neither PRIMARY_REGION (${values.PRIMARY_REGION}) nor RECOVERY_REGION (${values.RECOVERY_REGION})`,
          },
        ],
      },
    );
  }
  const extraValues = Object.fromEntries(
    Object.keys(extra?.shape ?? {}).map((key) => [key, values[key]]),
  ) as z.infer<Extra>;
  return {
    region: values.AWS_REGION,
    primaryRegion: values.PRIMARY_REGION,
    recoveryRegion: values.RECOVERY_REGION,
    regionRole: values.AWS_REGION === values.PRIMARY_REGION ? 'primary' : 'recovery',
    mode: values.MODE,
    dryRun: values.MODE === 'dry-run',
    defaultRpoSeconds: parseIsoDuration(values.DEFAULT_RPO) ?? 0,
    defaultRtoSeconds: parseIsoDuration(values.DEFAULT_RTO) ?? 0,
    eventBusName: values.EVENT_BUS_NAME,
    readinessTableName: values.READINESS_TABLE_NAME,
    idempotencyTableName: values.IDEMPOTENCY_TABLE_NAME,
    evidenceTableName: values.EVIDENCE_TABLE_NAME,
    evidenceRetentionSeconds: parseIsoDuration(values.EVIDENCE_RETENTION) ?? 0,
    extra: extraValues,
  };
}

/**
 * One problem as the cold start logs it: the variable, where in its JSON value, the value given (the stage
 * parameter behind a variable is named by `npm run check-config`, which runs this same check before deploy).
 */
function describeProblem(problem: ConfigProblem, env: Record<string, string | undefined>): string {
  const [variable = ''] = problem.variables;
  const value = problem.path.length > 0 ? problem.received : env[variable];
  const shown = typeof value === 'string' ? Array.from(value).slice(0, 120).join('') : value;
  const given = value === undefined ? '' : ` (given ${JSON.stringify(shown)})`;
  return `${[variable, ...problem.path].join('.')} ${problem.message}${given}`;
}

/** A boolean environment flag (`true`/`false`, any case), for function-specific options; unset means `fallback`. */
export function envFlag(fallback: boolean) {
  return z
    .enum(['true', 'false', 'TRUE', 'FALSE', 'True', 'False'], { error: 'must be true or false' })
    .default(fallback ? 'true' : 'false')
    .transform((value) => value.toLowerCase() === 'true');
}

/** A positive ISO-8601 duration variable (`PT2H`), in seconds; unset means `fallback`. */
export const positiveDurationEnv = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .refine(
      (value) => (parseIsoDuration(value) ?? 0) > 0,
      'must be a positive ISO-8601 duration such as PT2H',
    )
    .transform((value) => parseIsoDuration(value) ?? 0);

/**
 * A schema issue as a {@link ConfigProblem}: our own messages as they are, zod's built-in ones (`Unrecognized
 * key: "Ec2"`, `Too small: expected number to be >=1`) as sentences that say what is accepted.
 */
function problemOf(schema: z.ZodType, issue: z.core.$ZodIssue): ConfigProblem {
  const [variable, ...path] = issue.path.map((key) => (typeof key === 'number' ? key : String(key)));
  return {
    variables: [String(variable)],
    path,
    message: /^[A-Z]/.test(issue.message) ? describeIssue(schema, issue) : issue.message,
    ...(path.length > 0 && 'input' in issue ? { received: issue.input } : {}),
  };
}

function describeIssue(schema: z.ZodType, issue: z.core.$ZodIssue): string {
  const quoted = (values: readonly unknown[]) => values.map((value) => JSON.stringify(value)).join(', ');
  switch (issue.code) {
    case 'unrecognized_keys': {
      const accepted = Object.keys(objectShapeAt(schema, issue.path) ?? {});
      const meant = issue.keys.flatMap((key) =>
        accepted.filter((candidate) => candidate.toLowerCase() === key.toLowerCase()),
      );
      return `unknown key${issue.keys.length > 1 ? 's' : ''} ${quoted(issue.keys)}${meant.length > 0 ? ` (did you mean ${quoted(meant)}?)` : ''}${accepted.length > 0 ? `; accepted: ${accepted.join(', ')}` : ''}`;
    }
    case 'invalid_value':
      return `must be ${issue.values.length === 1 ? quoted(issue.values) : `one of ${quoted(issue.values)}`}`;
    case 'invalid_type': {
      if (issue.input === undefined) return 'is required';
      const expected: Record<string, string> = {
        int: 'a whole number',
        number: 'a number',
        boolean: 'true or false',
        string: 'a string',
        object: 'an object {…}',
        array: 'a list […]',
      };
      return `must be ${expected[issue.expected] ?? issue.expected}`;
    }
    case 'too_small':
    case 'too_big': {
      const bound = issue.code === 'too_small' ? issue.minimum : issue.maximum;
      if (issue.origin === 'string' && issue.code === 'too_small' && Number(bound) === 1)
        return 'must not be empty';
      const limit = issue.code === 'too_small' ? 'at least' : 'at most';
      if (issue.origin === 'string') return `must have ${limit} ${bound} characters`;
      if (issue.origin === 'array') return `must have ${limit} ${bound} items`;
      return issue.inclusive === false
        ? `must be ${issue.code === 'too_small' ? 'more' : 'less'} than ${bound}`
        : `must be ${limit} ${bound}`;
    }
    default:
      return issue.message.charAt(0).toLowerCase() + issue.message.slice(1);
  }
}

/** The keys an object schema accepts at `path` (through defaults, optionals and pipes), if it is an object there. */
function objectShapeAt(
  schema: z.core.$ZodType,
  path: readonly PropertyKey[],
): Record<string, unknown> | undefined {
  let current: z.core.$ZodType | undefined = schema;
  let index = 0;
  while (current) {
    const def = current._zod.def as unknown as Record<string, unknown> & { type: string };
    if (def.type === 'pipe') current = def.out as z.core.$ZodType;
    else if (['optional', 'default', 'prefault', 'nullable', 'readonly', 'catch'].includes(def.type))
      current = def.innerType as z.core.$ZodType;
    else if (def.type !== 'object') return undefined;
    else if (index === path.length) return def.shape as Record<string, unknown>;
    else current = (def.shape as Record<string, z.core.$ZodType>)[String(path[index++])];
  }
  return undefined;
}
