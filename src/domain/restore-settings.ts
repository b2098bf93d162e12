import * as z from 'zod';

/**
 * What dr-autopilot needs to know to restore into the DR Region, per resource type (the `RESTORE_SETTINGS`
 * JSON). Restores made in the DR Region cannot reuse the source Region's subnets, security groups, AZs or
 * KMS keys, so those come from here. Every field is optional in the schema; what a type *needs* is checked
 * when its metadata is built, so a missing value names the type and the field.
 */
export const RESTORABLE_TYPES = ['EBS', 'EC2', 'RDS', 'Aurora', 'DynamoDB', 'EFS', 'S3'] as const;
export type RestorableType = (typeof RESTORABLE_TYPES)[number];

export function isRestorableType(type: string | undefined): type is RestorableType {
  return (RESTORABLE_TYPES as readonly string[]).includes(type ?? '');
}

/**
 * What to do with a copy that lands in the DR vault: `test` (restore, validate, delete), `keep` (restore,
 * validate, keep as warm-standby data) or `off`.
 */
export const RESTORE_MODES = ['test', 'keep', 'off'] as const;
export type RestoreMode = (typeof RESTORE_MODES)[number];

const id = (what: string, pattern: RegExp) => z.string().regex(pattern, `must be ${what}`);
const kmsKey = z
  .string()
  .regex(
    /^(arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)\/.+|alias\/.+|[0-9a-f-]{36})$/,
    'must be a KMS key',
  );
const securityGroups = z
  .array(id('a security group ID (sg-…)', /^sg-[0-9a-f]+$/))
  .min(1)
  .max(5);

export const typeSettingsSchema = z
  .object({
    /** On a copy into the DR vault. Default `test`. */
    onCopy: z.enum(RESTORE_MODES).optional(),
    /** Include this type in scheduled restore tests. Default true. */
    scheduledTests: z.boolean().optional(),
    availabilityZone: z
      .string()
      .regex(/^[a-z]{2}(-[a-z]+)+-\d[a-z]$/, 'must be an Availability Zone')
      .optional(),
    availabilityZones: z.array(z.string()).min(1).max(3).optional(),
    subnetId: id('a subnet ID (subnet-…)', /^subnet-[0-9a-f]+$/).optional(),
    securityGroupIds: securityGroups.optional(),
    instanceType: z.string().min(1).optional(),
    iamInstanceProfileName: z.string().min(1).optional(),
    dbSubnetGroupName: z.string().min(1).optional(),
    optionGroupName: z.string().min(1).optional(),
    dbParameterGroupName: z.string().min(1).optional(),
    dbClusterParameterGroupName: z.string().min(1).optional(),
    /** Aurora: the class of the DB instance created to validate a restored cluster (deleted after). */
    validationInstanceClass: z
      .string()
      .regex(/^db\./, 'must be a DB instance class such as db.t4g.medium')
      .optional(),
    kmsKeyArn: kmsKey.optional(),
  })
  .strict();
export type TypeSettings = z.infer<typeof typeSettingsSchema>;

export const restoreSettingsSchema = z
  .object(
    Object.fromEntries(RESTORABLE_TYPES.map((type) => [type, typeSettingsSchema.optional()])) as {
      [K in RestorableType]: z.ZodOptional<typeof typeSettingsSchema>;
    },
  )
  .strict();
export type RestoreSettings = z.infer<typeof restoreSettingsSchema>;

/** `RESTORE_SETTINGS`: JSON text, validated; an empty value means "no overrides". */
export const restoreSettingsEnv = z
  .string()
  .default('{}')
  .transform((text, ctx) => {
    try {
      return JSON.parse(text.trim() === '' ? '{}' : text) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be JSON' });
      return z.NEVER;
    }
  })
  .pipe(restoreSettingsSchema);

export const restoreRoleArnEnv = z
  .string({ error: 'is required' })
  .regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/, 'must be an IAM role ARN');
export const vaultNameEnv = z
  .string({ error: 'is required' })
  .regex(/^[a-zA-Z0-9\-_.]{2,50}$/, 'must be a backup vault name');
/** The tag that overrides the per-type `onCopy` mode for one resource (read from Backup-native recovery points). */
export const RESTORE_MODE_TAG = 'dr-autopilot:restore';

/**
 * The mode for a copy of a resource: its `dr-autopilot:restore` tag when valid, else the type's `onCopy`,
 * else `test`. An unknown tag value is ignored (the type's setting applies).
 */
export function restoreModeFor(
  type: RestorableType,
  tags: Record<string, string>,
  settings: RestoreSettings,
): RestoreMode {
  const tagged = tags[RESTORE_MODE_TAG]?.trim().toLowerCase();
  if ((RESTORE_MODES as readonly string[]).includes(tagged ?? '')) return tagged as RestoreMode;
  return settings[type]?.onCopy ?? 'test';
}
