import { z } from 'zod';
import {
  positiveDurationEnv,
  restoreRoleArnEnv,
  restoreSettingsEnv,
  vaultNameEnv,
} from '../domain/restore-settings.ts';

/**
 * The restore functions' own environment variables (validated by `loadConfig(env, extra)`, so a bad value is a
 * ConfigError naming the variable at cold start).
 */
const integer = (fallback: number, min: number, max: number) =>
  z
    .string()
    .default(String(fallback))
    .refine((value) => /^\d+$/.test(value) && Number(value) >= min && Number(value) <= max, {
      message: `must be a whole number from ${min} to ${max}`,
    })
    .transform(Number);

export const backupRestoreEnv = z.object({
  DR_VAULT_NAME: vaultNameEnv,
  RESTORE_ROLE_ARN: restoreRoleArnEnv,
  RESTORE_SETTINGS: restoreSettingsEnv,
});

export const restoreTestSchedulerEnv = backupRestoreEnv.extend({
  RESTORE_TEST_SELECTION: z
    .enum(['latest', 'random'], { error: 'must be "latest" or "random"' })
    .default('latest'),
  RESTORE_TEST_WINDOW_DAYS: integer(7, 1, 365),
  RESTORE_TEST_MAX_PER_RUN: integer(20, 1, 100),
});

export const restoreValidationEnv = z.object({
  RESTORE_SETTINGS: restoreSettingsEnv,
  RESTORE_VALIDATION_WINDOW: positiveDurationEnv('PT3H'),
  RESTORE_SWEEP_MAX: integer(25, 1, 200),
});
