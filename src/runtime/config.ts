import * as z from 'zod/mini';
import { parseIsoDuration } from '../domain/duration.ts';
import { ConfigError, type ConfigProblem } from '../domain/errors.ts';
import { issueWording } from '../domain/schema-issues.ts';

const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
const region = (name: string) =>
  z
    .string({ error: 'is required' })
    .check(z.regex(REGION, `must be an AWS Region such as eu-west-1 (${name})`));
const required = z.string({ error: 'is required' }).check(z.trim(), z.minLength(1, 'must not be empty'));
const isoDuration = z
  .string({ error: 'is required' })
  .check(
    z.refine(
      (value) => (parseIsoDuration(value) ?? 0) > 0,
      'must be a positive ISO-8601 duration such as PT15M or PT4H',
    ),
  );

/**
 * The configuration contract of DESIGN.md §5, with exactly those variable names. Built with zod/mini (the
 * functional API, no English locale) so a bundle carries only the checks it uses: zod's own messages are all
 * rewritten by {@link describeIssue} anyway.
 */
export const baseEnvSchema = z.object({
  AWS_REGION: region('AWS_REGION'),
  PRIMARY_REGION: region('PRIMARY_REGION'),
  RECOVERY_REGION: region('RECOVERY_REGION'),
  MODE: z._default(z.enum(['active', 'dry-run'], { error: 'must be "active" or "dry-run"' }), 'active'),
  DEFAULT_RPO: isoDuration,
  DEFAULT_RTO: isoDuration,
  EVENT_BUS_NAME: required,
  READINESS_TABLE_NAME: required,
  IDEMPOTENCY_TABLE_NAME: required,
  EVIDENCE_TABLE_NAME: required,
  /** How long evidence records are kept after the action (DynamoDB TTL); a yearly audit cycle plus margin. */
  EVIDENCE_RETENTION: z._default(isoDuration, 'P800D'),
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
export function loadConfig<Extra extends z.ZodMiniObject = z.ZodMiniObject<Record<never, never>>>(
  env: Record<string, string | undefined>,
  extra?: Extra,
): BaseConfig & { extra: z.infer<Extra> } {
  const schema = extra ? z.extend(baseEnvSchema, extra.shape) : baseEnvSchema;
  const result = schema.safeParse(env, { reportInput: true, error: issueWording(schema) });
  if (!result.success) {
    const problems = result.error.issues.map(problemOf);
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

/**
 * A function's own variables' schema, built the first time its loader runs rather than when its module is
 * imported: a module shared by several functions' loaders (src/app/backup-restore-config.ts) then costs each
 * function's cold start only the schema that function loads.
 */
export function builtOnce<Schema>(build: () => Schema): () => Schema {
  let built: Schema | undefined;
  return () => {
    built ??= build();
    return built;
  };
}

const FLAG_VALUES = ['true', 'false', 'TRUE', 'FALSE', 'True', 'False'] as const;

/** A boolean environment flag (`true`/`false`, any case), for function-specific options; unset means `fallback`. */
export function envFlag(fallback: boolean) {
  return z.pipe(
    z._default(z.enum(FLAG_VALUES, { error: 'must be true or false' }), fallback ? 'true' : 'false'),
    z.transform((value: (typeof FLAG_VALUES)[number]) => value.toLowerCase() === 'true'),
  );
}

/** A positive ISO-8601 duration variable (`PT2H`), in seconds; unset means `fallback`. */
export const positiveDurationEnv = (fallback: string) =>
  z.pipe(
    z
      ._default(z.string(), fallback)
      .check(
        z.refine(
          (value) => (parseIsoDuration(value) ?? 0) > 0,
          'must be a positive ISO-8601 duration such as PT2H',
        ),
      ),
    z.transform((value: string) => parseIsoDuration(value) ?? 0),
  );

/** A schema issue as a {@link ConfigProblem} (zod's own issues are worded by {@link issueWording}). */
function problemOf(issue: z.core.$ZodIssue): ConfigProblem {
  const [variable, ...path] = issue.path.map((key) => (typeof key === 'number' ? key : String(key)));
  return {
    variables: [String(variable)],
    path,
    message: issue.message,
    ...(path.length > 0 && 'input' in issue ? { received: issue.input } : {}),
  };
}
