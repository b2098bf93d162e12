/**
 * AWS Backup ARNs as they appear in events and API answers.
 * `arn:<partition>:backup:<region>:<account>:backup-vault:<name>`; recovery points are either Backup-native
 * (`arn:<partition>:backup:<region>:<account>:recovery-point:<id>`) or the underlying service's ARN
 * (`arn:aws:ec2:<region>::snapshot/snap-…`, `arn:aws:rds:<region>:<account>:snapshot:awsbackup:job-…`).
 */
export const BACKUP_VAULT_ARN = /^arn:aws[a-z-]*:backup:([a-z0-9-]+):(\d+):backup-vault:(.+)$/;

export interface ArnParts {
  partition: string;
  service: string;
  region: string;
  account: string;
  resource: string;
}

/** Splits an ARN into its parts; `undefined` for anything that is not an ARN. */
export function parseArn(arn: string | undefined): ArnParts | undefined {
  if (typeof arn !== 'string') return undefined;
  const match = /^arn:(aws[a-z-]*):([a-z0-9-]+):([a-z0-9-]*):(\d*):(.+)$/.exec(arn);
  if (!match) return undefined;
  const [, partition = '', service = '', region = '', account = '', resource = ''] = match;
  return { partition, service, region, account, resource };
}

/** The vault name and Region of a backup-vault ARN, or `undefined`. */
export function vaultOf(
  arn: string | undefined,
): { name: string; region: string; account: string } | undefined {
  const match = typeof arn === 'string' ? BACKUP_VAULT_ARN.exec(arn) : null;
  if (!match) return undefined;
  const [, region = '', account = '', name = ''] = match;
  return { name, region, account };
}

/** Whether a recovery point ARN is Backup-native (`arn:…:backup:…:recovery-point:…`): only those carry Backup tags. */
export function isBackupNativeRecoveryPoint(arn: string): boolean {
  return /^arn:aws[a-z-]*:backup:[a-z0-9-]+:\d+:recovery-point:/.test(arn);
}
