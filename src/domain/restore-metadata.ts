import { createHash } from 'node:crypto';
import {
  isRestorableType,
  type RestorableType,
  type RestoreMode,
  type RestoreSettings,
  type TypeSettings,
} from './restore-settings.ts';

/**
 * Restore metadata for the DR Region. The base is what `GetRestoreTestingInferredMetadata` returns for the
 * copy in the DR vault ("the minimal required set … with secure default settings"); the overrides each type
 * needs in the DR Region (FACTS §3.4) come from `RESTORE_SETTINGS`. Pure: metadata in, metadata out.
 * Metadata keys are case-insensitive for AWS Backup: an override replaces a key whatever its casing.
 */

export type MetadataDecision =
  | {
      kind: 'restore';
      resourceType: RestorableType;
      metadata: Record<string, string>;
      requestedName?: string;
    }
  | { kind: 'unsupported'; reason: string }
  | { kind: 'misconfigured'; missing: string[] }
  /** A setting that is configured but cannot apply to this recovery point: never ignored silently. */
  | { kind: 'inapplicable'; setting: string; reason: string };

export interface MetadataInput {
  resourceType: string | undefined;
  /** GetRestoreTestingInferredMetadata's answer for the recovery point in the DR vault. */
  inferred: Record<string, string>;
  /**
   * GetRecoveryPointRestoreMetadata's answer (the backed-up configuration), when read: EC2's block devices
   * come from there, since the inferred metadata has none.
   */
  original?: Record<string, string> | undefined;
  settings: RestoreSettings;
  /** The DR Region (where the restore runs). */
  region: string;
  /** The unique name the restored resource gets (from {@link restoreNameFor}). */
  name: string;
  mode: Exclude<RestoreMode, 'off'>;
}

/** The deterministic `IdempotencyToken` of a restore: the same recovery point and purpose give the same token. */
export function restoreTokenFor(recoveryPointArn: string, purpose: string): string {
  return createHash('sha256')
    .update(`dr-autopilot|${purpose}|${recoveryPointArn}`)
    .digest('hex')
    .slice(0, 40);
}

/**
 * A unique, valid name for the restored resource: lowercase letters, digits and hyphens, starting with a
 * letter, 25 characters (fits RDS identifiers, S3 bucket names, DynamoDB tables and EFS creation tokens).
 */
export function restoreNameFor(token: string): string {
  return `dr-autopilot-${token.slice(0, 12)}`;
}

export function buildRestoreMetadata(input: MetadataInput): MetadataDecision {
  const { resourceType } = input;
  if (!isRestorableType(resourceType)) {
    return {
      kind: 'unsupported',
      reason: `resource type ${resourceType ?? '(none)'} has no DR restore support in dr-autopilot`,
    };
  }
  const metadata = { ...input.inferred };
  const settings: TypeSettings = input.settings[resourceType] ?? {};
  const missing: string[] = [];
  const need = <T>(value: T | undefined, field: keyof TypeSettings): T | undefined => {
    if (value === undefined) missing.push(`RESTORE_SETTINGS.${resourceType}.${field}`);
    return value;
  };
  const inapplicable: { setting: string; reason: string }[] = [];
  const ctx = {
    metadata,
    settings,
    region: input.region,
    need,
    original: input.original ?? {},
    inapplicable,
  };
  let requestedName: string | undefined = input.name;
  switch (resourceType) {
    case 'EBS':
      requestedName = undefined;
      ebs(ctx);
      break;
    case 'EC2':
      requestedName = undefined;
      ec2(ctx);
      break;
    case 'RDS':
      rds(ctx, input.name, input.mode);
      break;
    case 'Aurora':
      aurora(ctx, input.name, input.mode);
      break;
    case 'DynamoDB':
      dynamodb(ctx, input.name, input.mode);
      break;
    case 'EFS':
      efs(ctx, input.name);
      break;
    case 'S3':
      s3(ctx, input.name);
      break;
  }
  if (missing.length > 0) return { kind: 'misconfigured', missing };
  const [refused] = inapplicable;
  if (refused) return { kind: 'inapplicable', ...refused };
  return { kind: 'restore', resourceType, metadata, ...(requestedName ? { requestedName } : {}) };
}

interface Ctx {
  metadata: Record<string, string>;
  settings: TypeSettings;
  region: string;
  need: <T>(value: T | undefined, field: keyof TypeSettings) => T | undefined;
  original: Record<string, string>;
  inapplicable: { setting: string; reason: string }[];
}

function ebs({ metadata, settings, region, need }: Ctx): void {
  const inferredAz = getKey(metadata, 'availabilityZone');
  const az = settings.availabilityZone ?? (inRegionAz(inferredAz, region) ? inferredAz : undefined);
  const chosen = need(az, 'availabilityZone');
  if (chosen) setKey(metadata, 'availabilityZone', chosen);
  setKey(metadata, 'encrypted', 'true');
  applyKmsKey(metadata, 'kmsKeyId', settings.kmsKeyArn, region);
}

function ec2({ metadata, settings, region, need, original, inapplicable }: Ctx): void {
  const subnetId = need(settings.subnetId, 'subnetId');
  const groups = need(settings.securityGroupIds, 'securityGroupIds');
  if (subnetId) setKey(metadata, 'subnetId', subnetId);
  if (groups) setKey(metadata, 'securityGroupIds', JSON.stringify(groups));
  if (settings.instanceType) setKey(metadata, 'instanceType', settings.instanceType);
  if (settings.iamInstanceProfileName)
    setKey(metadata, 'iamInstanceProfileName', settings.iamInstanceProfileName);
  // Source-Region network placement cannot apply in the DR VPC: the subnet decides the VPC and AZ.
  for (const key of ['NetworkInterfaces', 'Placement', 'CapacityReservationSpecification', 'vpcId']) {
    deleteKey(metadata, key);
  }
  // GetRestoreTestingInferredMetadata returns no BlockDeviceMappings for EC2 (restore-testing-inferred-metadata
  // .html: disableApiTermination, instanceType, requireImdsV2 only); the backed-up configuration
  // (GetRecoveryPointRestoreMetadata, restoring-ec2.html) carries them, as a JSON string.
  const mappings =
    getKey(metadata, 'BlockDeviceMappings') ??
    (settings.kmsKeyArn ? getKey(original, 'BlockDeviceMappings') : undefined);
  if (mappings !== undefined) {
    const rewritten = rewriteBlockDeviceMappings(mappings, settings.kmsKeyArn, region);
    if (rewritten !== undefined) setKey(metadata, 'BlockDeviceMappings', rewritten.text);
    if (settings.kmsKeyArn && (rewritten === undefined || rewritten.ebsDevices === 0)) {
      inapplicable.push({
        setting: 'RESTORE_SETTINGS.EC2.kmsKeyArn',
        reason: `the recovery point's BlockDeviceMappings ${rewritten === undefined ? 'are not a JSON list' : 'name no EBS volume'}, so the key cannot be set on any volume`,
      });
    }
  } else if (settings.kmsKeyArn) {
    inapplicable.push({
      setting: 'RESTORE_SETTINGS.EC2.kmsKeyArn',
      reason:
        "neither the inferred nor the recovery point's restore metadata has BlockDeviceMappings, where AWS Backup takes an EC2 restore's KMS key",
    });
  }
}

/**
 * EC2 block devices: encrypted, with the DR-Region key when configured (AWS: "If you do not override the AWS
 * KMS key in the BlockDeviceMappings when restoring from cross-Region backups, your restore might fail"); a
 * key from another Region is dropped; `SnapshotId` and `OutpostArn` are not supported by AWS Backup.
 */
function rewriteBlockDeviceMappings(
  text: string,
  kmsKeyArn: string | undefined,
  region: string,
): { text: string; ebsDevices: number } | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed)) return undefined;
  let ebsDevices = 0;
  const rewritten = parsed.map((mapping: unknown) => {
    if (typeof mapping !== 'object' || mapping === null) return mapping;
    const copy = { ...(mapping as Record<string, unknown>) };
    if (typeof copy.Ebs === 'object' && copy.Ebs !== null) {
      const ebs = { ...(copy.Ebs as Record<string, unknown>) };
      delete ebs.SnapshotId;
      delete ebs.OutpostArn;
      ebs.Encrypted = true;
      if (kmsKeyArn) ebs.KmsKeyId = kmsKeyArn;
      else if (typeof ebs.KmsKeyId === 'string' && isForeignKey(ebs.KmsKeyId, region)) delete ebs.KmsKeyId;
      copy.Ebs = ebs;
      ebsDevices += 1;
    }
    return copy;
  });
  return { text: JSON.stringify(rewritten), ebsDevices };
}

function rds({ metadata, settings, region, need }: Ctx, name: string, mode: MetadataInput['mode']): void {
  setKey(metadata, 'dbInstanceIdentifier', name);
  const subnetGroup = need(settings.dbSubnetGroupName, 'dbSubnetGroupName');
  const groups = need(settings.securityGroupIds, 'securityGroupIds');
  if (subnetGroup) setKey(metadata, 'dbSubnetGroupName', subnetGroup);
  if (groups) setKey(metadata, 'vpcSecurityGroupIds', JSON.stringify(groups));
  if (settings.availabilityZone) setKey(metadata, 'availabilityZone', settings.availabilityZone);
  else if (!inRegionAz(getKey(metadata, 'availabilityZone'), region)) deleteKey(metadata, 'availabilityZone');
  // AWS Backup does not copy option groups across Regions: name one in the DR Region, or get the default.
  if (settings.optionGroupName) setKey(metadata, 'optionGroupName', settings.optionGroupName);
  else deleteKey(metadata, 'optionGroupName');
  if (settings.dbParameterGroupName) setKey(metadata, 'dbParameterGroupName', settings.dbParameterGroupName);
  setKey(metadata, 'publiclyAccessible', 'false');
  if (mode === 'test') {
    setKey(metadata, 'deletionProtection', 'false');
    setKey(metadata, 'multiAz', 'false');
  }
}

function aurora({ metadata, settings, region, need }: Ctx, name: string, mode: MetadataInput['mode']): void {
  setKey(metadata, 'dbClusterIdentifier', name);
  const subnetGroup = need(settings.dbSubnetGroupName, 'dbSubnetGroupName');
  const groups = need(settings.securityGroupIds, 'securityGroupIds');
  if (subnetGroup) setKey(metadata, 'dbSubnetGroupName', subnetGroup);
  if (groups) setKey(metadata, 'vpcSecurityGroupIds', JSON.stringify(groups));
  if (settings.availabilityZones)
    setKey(metadata, 'availabilityZones', JSON.stringify(settings.availabilityZones));
  else if (foreignAzList(getKey(metadata, 'availabilityZones'), region))
    deleteKey(metadata, 'availabilityZones');
  applyKmsKey(metadata, 'kmsKeyId', settings.kmsKeyArn, region);
  if (settings.dbClusterParameterGroupName) {
    setKey(metadata, 'dbClusterParameterGroupName', settings.dbClusterParameterGroupName);
  }
  if (mode === 'test') setKey(metadata, 'deletionProtection', 'false');
}

function dynamodb({ metadata, settings }: Ctx, name: string, mode: MetadataInput['mode']): void {
  setKey(metadata, 'targetTableName', name);
  // A single-Region CMK of the source cannot be used here (AWS: the key must be multi-Region to keep it).
  if (settings.kmsKeyArn) {
    setKey(metadata, 'encryptionType', 'KMS');
    setKey(metadata, 'kmsMasterKeyArn', settings.kmsKeyArn);
  } else {
    setKey(metadata, 'encryptionType', 'Default');
    deleteKey(metadata, 'kmsMasterKeyArn');
  }
  if (mode === 'test') setKey(metadata, 'deletionProtection', 'false');
}

function efs({ metadata, settings, region, need }: Ctx, name: string): void {
  setKey(metadata, 'newFileSystem', 'true');
  setKey(metadata, 'Encrypted', 'true');
  setKey(metadata, 'CreationToken', name);
  applyKmsKey(metadata, 'KmsKeyId', settings.kmsKeyArn, region);
  if (getKey(metadata, 'PerformanceMode') === undefined)
    setKey(metadata, 'PerformanceMode', 'generalPurpose');
  if (getKey(metadata, 'singleAzFilesystem')?.toLowerCase() === 'true') {
    const inferredAz = getKey(metadata, 'availabilityZoneName');
    const az = settings.availabilityZone ?? (inRegionAz(inferredAz, region) ? inferredAz : undefined);
    const chosen = need(az, 'availabilityZone');
    if (chosen) setKey(metadata, 'availabilityZoneName', chosen);
  }
}

function s3({ metadata, settings }: Ctx, name: string): void {
  setKey(metadata, 'DestinationBucketName', name);
  setKey(metadata, 'NewBucket', 'true');
  // AWS: "The original encryption method cannot be used to restore a recovery point copied from another Region".
  if (settings.kmsKeyArn) {
    setKey(metadata, 'EncryptionType', 'SSE-KMS');
    setKey(metadata, 'KMSKey', settings.kmsKeyArn);
  } else {
    setKey(metadata, 'EncryptionType', 'SSE-S3');
    deleteKey(metadata, 'KMSKey');
  }
  // Copies of continuous backups are snapshots: no point-in-time restore.
  deleteKey(metadata, 'RestoreTime');
}

function applyKmsKey(
  metadata: Record<string, string>,
  key: string,
  kmsKeyArn: string | undefined,
  region: string,
) {
  if (kmsKeyArn) setKey(metadata, key, kmsKeyArn);
  else {
    const current = getKey(metadata, key);
    if (current !== undefined && isForeignKey(current, region)) deleteKey(metadata, key);
  }
}

/** A KMS key ARN in another Region (aliases and bare key IDs resolve in the calling Region). */
function isForeignKey(value: string, region: string): boolean {
  const match = /^arn:aws[a-z-]*:kms:([a-z0-9-]+):/.exec(value);
  return match !== null && match[1] !== region;
}

function inRegionAz(az: string | undefined, region: string): az is string {
  return typeof az === 'string' && az.startsWith(region) && /^[a-z]$/.test(az.slice(region.length));
}

function foreignAzList(text: string | undefined, region: string): boolean {
  if (text === undefined) return false;
  try {
    const zones = JSON.parse(text) as unknown;
    return !Array.isArray(zones) || zones.some((zone) => !inRegionAz(String(zone), region));
  } catch {
    return true;
  }
}

export function getKey(metadata: Record<string, string>, key: string): string | undefined {
  const found = Object.keys(metadata).find((candidate) => candidate.toLowerCase() === key.toLowerCase());
  return found === undefined ? undefined : metadata[found];
}

/** Sets `key`, replacing any key that differs only by case (keeping the casing AWS used). */
export function setKey(metadata: Record<string, string>, key: string, value: string): void {
  const existing = Object.keys(metadata).filter((candidate) => candidate.toLowerCase() === key.toLowerCase());
  const name = existing[0] ?? key;
  for (const candidate of existing) delete metadata[candidate];
  metadata[name] = value;
}

export function deleteKey(metadata: Record<string, string>, key: string): void {
  for (const candidate of Object.keys(metadata)) {
    if (candidate.toLowerCase() === key.toLowerCase()) delete metadata[candidate];
  }
}
