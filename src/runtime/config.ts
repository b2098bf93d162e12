import { z } from 'zod';
import { parseIsoDuration } from '../domain/duration.ts';
import { ConfigError } from '../domain/errors.ts';

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
  TOPIC_ARN: z
    .string({ error: 'is required' })
    .regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/, 'must be an SNS topic ARN'),
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
  topicArn: string;
  eventBusName: string;
  readinessTableName: string;
  idempotencyTableName: string;
  evidenceTableName: string;
  evidenceRetentionSeconds: number;
}

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
  const result = schema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`);
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`, { cause: result.error });
  }
  const values = result.data as z.infer<typeof baseEnvSchema> & Record<string, unknown>;
  if (values.PRIMARY_REGION === values.RECOVERY_REGION) {
    throw new ConfigError('invalid configuration: PRIMARY_REGION and RECOVERY_REGION must differ');
  }
  if (values.AWS_REGION !== values.PRIMARY_REGION && values.AWS_REGION !== values.RECOVERY_REGION) {
    throw new ConfigError(
      `invalid configuration: AWS_REGION ${values.AWS_REGION} is neither PRIMARY_REGION (${values.PRIMARY_REGION}) nor RECOVERY_REGION (${values.RECOVERY_REGION})`,
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
    topicArn: values.TOPIC_ARN,
    eventBusName: values.EVENT_BUS_NAME,
    readinessTableName: values.READINESS_TABLE_NAME,
    idempotencyTableName: values.IDEMPOTENCY_TABLE_NAME,
    evidenceTableName: values.EVIDENCE_TABLE_NAME,
    evidenceRetentionSeconds: parseIsoDuration(values.EVIDENCE_RETENTION) ?? 0,
    extra: extraValues,
  };
}

/** A boolean environment flag (`true`/`false`, any case), for function-specific options; unset means `fallback`. */
export function envFlag(fallback: boolean) {
  return z
    .enum(['true', 'false', 'TRUE', 'FALSE', 'True', 'False'], { error: 'must be true or false' })
    .default(fallback ? 'true' : 'false')
    .transform((value) => value.toLowerCase() === 'true');
}
