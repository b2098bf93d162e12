import * as z from 'zod/mini';
import { ConfigError } from '../domain/errors.ts';
import { restoreRoleArnEnv, restoreSettingsEnv, vaultNameEnv } from '../domain/restore-settings.ts';
import {
  type RestoreValidators,
  restoreValidatorsEnv,
  validatorRegion,
} from '../domain/restore-validators.ts';
import { builtOnce, positiveDurationEnv } from '../runtime/config.ts';

/**
 * The restore functions' own environment variables (validated by `loadConfig(env, extra)`, so a bad value is a
 * ConfigError naming the variable at cold start). Side-effect free: the functions' loaders
 * (src/runtime/function-config.ts) and `npm run check-config` import it; the clients are in
 * backup-restore-wiring.ts. Each schema is built when a loader first asks for it ({@link builtOnce}), so a
 * function builds its own alone.
 */
const integer = (fallback: number, min: number, max: number) =>
  z.pipe(
    z._default(z.string(), String(fallback)).check(
      z.refine((value) => /^\d+$/.test(value) && Number(value) >= min && Number(value) <= max, {
        message: `must be a whole number from ${min} to ${max}`,
      }),
    ),
    z.transform(Number),
  );

export const backupRestoreEnv = builtOnce(() =>
  z.object({
    DR_VAULT_NAME: vaultNameEnv,
    RESTORE_ROLE_ARN: restoreRoleArnEnv,
    RESTORE_SETTINGS: restoreSettingsEnv,
  }),
);

export const restoreTestSchedulerEnv = builtOnce(() =>
  z.extend(backupRestoreEnv(), {
    RESTORE_TEST_SELECTION: z._default(
      z.enum(['latest', 'random'], { error: 'must be "latest" or "random"' }),
      'latest',
    ),
    RESTORE_TEST_WINDOW_DAYS: integer(7, 1, 365),
    RESTORE_TEST_MAX_PER_RUN: integer(20, 1, 100),
    /** A resource left out of a run while its last test is older than this is overdue: on-call is told. */
    RESTORE_TEST_OVERDUE_AFTER: positiveDurationEnv('P14D'),
  }),
);

/** Workloads' own validators (docs/restore-tests.md): which function per workload, and how long to wait for one. */
export const restoreValidatorsEnvs = builtOnce(() => ({
  RESTORE_VALIDATORS: restoreValidatorsEnv,
  RESTORE_VALIDATOR_TIMEOUT: positiveDurationEnv('PT30S').check(
    z.refine((seconds: number) => seconds <= 120, {
      message: 'must be at most PT2M (validation runs inside the restore-validation function)',
    }),
  ),
}));

export const restoreValidationEnv = builtOnce(() =>
  z.object({
    RESTORE_SETTINGS: restoreSettingsEnv,
    RESTORE_VALIDATION_WINDOW: positiveDurationEnv('PT3H'),
    RESTORE_SWEEP_MAX: integer(25, 1, 200),
    ...restoreValidatorsEnvs(),
  }),
);

/**
 * Validation runs in the recovery Region, so a validator given as an ARN of another Region is a configuration
 * error naming it (Lambda invokes a function in its own Region). Part of the loaders of the functions that
 * validate restores.
 */
export function checkValidatorRegions(
  config: { recoveryRegion: string },
  extra: { RESTORE_VALIDATORS: RestoreValidators },
): void {
  for (const [workload, fn] of Object.entries(extra.RESTORE_VALIDATORS)) {
    const region = validatorRegion(fn);
    if (region !== undefined && region !== config.recoveryRegion) {
      throw new ConfigError(
        `invalid configuration: RESTORE_VALIDATORS ${JSON.stringify(workload)} names ${fn}, in ${region}; validators must be in the recovery Region ${config.recoveryRegion}`,
        {
          problems: [
            {
              variables: ['RESTORE_VALIDATORS', 'RECOVERY_REGION'],
              path: [workload],
              received: fn,
              message: `names a function in ${region}; validators must be in the recovery Region (RECOVERY_REGION: ${config.recoveryRegion})`,
            },
          ],
        },
      );
    }
  }
}
