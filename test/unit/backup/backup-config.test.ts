import { describe, expect, it } from 'vitest';
import {
  backupRestoreEnv,
  restoreTestSchedulerEnv,
  restoreValidationEnv,
} from '../../../src/app/backup-restore-config.ts';
import { ConfigError } from '../../../src/domain/errors.ts';
import { loadConfig } from '../../../src/runtime/config.ts';
import { baseEnv } from '../../helpers/env.ts';

const valid = {
  DR_VAULT_NAME: 'dr-vault',
  RESTORE_ROLE_ARN: 'arn:aws:iam::111122223333:role/service-role/AWSBackupDefaultServiceRole',
  RESTORE_SETTINGS: JSON.stringify({ EC2: { subnetId: 'subnet-0abc', securityGroupIds: ['sg-0abc'] } }),
};

describe('restore configuration', () => {
  it('reads valid settings with defaults', () => {
    const config = loadConfig(baseEnv(valid), restoreTestSchedulerEnv());
    expect(config.extra).toMatchObject({
      DR_VAULT_NAME: 'dr-vault',
      RESTORE_SETTINGS: { EC2: { subnetId: 'subnet-0abc', securityGroupIds: ['sg-0abc'] } },
      RESTORE_TEST_SELECTION: 'latest',
      RESTORE_TEST_WINDOW_DAYS: 7,
      RESTORE_TEST_MAX_PER_RUN: 20,
    });
    expect(loadConfig(baseEnv(valid), restoreValidationEnv()).extra.RESTORE_VALIDATION_WINDOW).toBe(10_800);
  });

  it.each([
    [{ DR_VAULT_NAME: undefined }, /DR_VAULT_NAME is required/],
    [{ RESTORE_ROLE_ARN: 'my-role' }, /RESTORE_ROLE_ARN must be an IAM role ARN/],
    [{ RESTORE_SETTINGS: '{not json' }, /RESTORE_SETTINGS must be JSON/],
    [
      { RESTORE_SETTINGS: '{"EC2":{"subnetId":"vpc-1"}}' },
      /RESTORE_SETTINGS\.EC2\.subnetId must be a subnet ID/,
    ],
    [{ RESTORE_SETTINGS: '{"Redshift":{}}' }, /RESTORE_SETTINGS/],
    [
      { RESTORE_SETTINGS: '{"S3":{"kmsKeyArn":"nope"}}' },
      /RESTORE_SETTINGS\.S3\.kmsKeyArn must be a KMS key/,
    ],
  ])('names the variable in a ConfigError (%o)', (overrides, message) => {
    const load = () => loadConfig(baseEnv({ ...valid, ...overrides }), backupRestoreEnv());
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(message);
  });

  it.each([
    [{ RESTORE_TEST_SELECTION: 'oldest' }, /RESTORE_TEST_SELECTION must be "latest" or "random"/],
    [{ RESTORE_TEST_WINDOW_DAYS: '0' }, /RESTORE_TEST_WINDOW_DAYS must be a whole number from 1 to 365/],
  ])('names scheduler variables too (%o)', (overrides, message) => {
    expect(() => loadConfig(baseEnv({ ...valid, ...overrides }), restoreTestSchedulerEnv())).toThrow(message);
  });
});
