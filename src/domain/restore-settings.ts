import * as z from 'zod/mini';

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

const id = (what: string, pattern: RegExp) => z.string().check(z.regex(pattern, `must be ${what}`));
const kmsKey = z
  .string()
  .check(
    z.regex(
      /^(arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)\/.+|alias\/.+|[0-9a-f-]{36})$/,
      'must be a KMS key',
    ),
  );
const securityGroups = z
  .array(id('a security group ID (sg-…)', /^sg-[0-9a-f]+$/))
  .check(z.minLength(1), z.maxLength(5));
const nonEmpty = () => z.optional(z.string().check(z.minLength(1)));

export const typeSettingsSchema = z.strictObject({
  /** On a copy into the DR vault. Default `test`. */
  onCopy: z.optional(z.enum(RESTORE_MODES)),
  /** Include this type in scheduled restore tests. Default true. */
  scheduledTests: z.optional(z.boolean()),
  availabilityZone: z.optional(
    z.string().check(z.regex(/^[a-z]{2}(-[a-z]+)+-\d[a-z]$/, 'must be an Availability Zone')),
  ),
  availabilityZones: z.optional(z.array(z.string()).check(z.minLength(1), z.maxLength(3))),
  subnetId: z.optional(id('a subnet ID (subnet-…)', /^subnet-[0-9a-f]+$/)),
  securityGroupIds: z.optional(securityGroups),
  instanceType: nonEmpty(),
  iamInstanceProfileName: nonEmpty(),
  dbSubnetGroupName: nonEmpty(),
  optionGroupName: nonEmpty(),
  dbParameterGroupName: nonEmpty(),
  dbClusterParameterGroupName: nonEmpty(),
  /** Aurora: the class of the DB instance created to validate a restored cluster (deleted after). */
  validationInstanceClass: z.optional(
    z.string().check(z.regex(/^db\./, 'must be a DB instance class such as db.t4g.medium')),
  ),
  kmsKeyArn: z.optional(kmsKey),
});
export type TypeSettings = z.infer<typeof typeSettingsSchema>;

export const restoreSettingsSchema = z.strictObject(
  Object.fromEntries(RESTORABLE_TYPES.map((type) => [type, z.optional(typeSettingsSchema)])) as {
    [K in RestorableType]: z.ZodMiniOptional<typeof typeSettingsSchema>;
  },
);
export type RestoreSettings = z.infer<typeof restoreSettingsSchema>;

/** `RESTORE_SETTINGS`: JSON text, validated; an empty value means "no overrides". */
export const restoreSettingsEnv = z.pipe(
  z.pipe(
    z._default(z.string(), '{}'),
    z.transform((text: string, payload) => {
      try {
        return JSON.parse(text.trim() === '' ? '{}' : text) as unknown;
      } catch {
        payload.issues.push({ code: 'custom', message: 'must be JSON', input: text });
        return z.NEVER;
      }
    }),
  ),
  restoreSettingsSchema,
);

export const restoreRoleArnEnv = z
  .string({ error: 'is required' })
  .check(z.regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/, 'must be an IAM role ARN'));
export const vaultNameEnv = z
  .string({ error: 'is required' })
  .check(z.regex(/^[a-zA-Z0-9\-_.]{2,50}$/, 'must be a backup vault name'));
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
