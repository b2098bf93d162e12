import * as z from 'zod/mini';
import {
  backupRestoreEnv,
  checkValidatorRegions,
  restoreValidatorsEnvs,
} from '../../app/backup-restore-config.ts';
import { builtOnce, type Env, loadConfig, positiveDurationEnv } from '../config.ts';
import { reverseReplicationEnv } from './reverse-replication.ts';

/** The reconciler's own variables, and those of the use cases it hands work to (same stage parameters). */
export const reconcilerEnv = builtOnce(() =>
  z.extend(backupRestoreEnv(), {
    RECONCILER_LOOKBACK: positiveDurationEnv('P2D'),
    RECONCILER_GRACE: positiveDurationEnv('PT30M'),
    RECONCILER_CLEANUP_OVERDUE: positiveDurationEnv('PT6H'),
    RECONCILER_CONCURRENCY: z.pipe(
      z._default(z.string(), '4').check(
        z.refine((value) => /^\d+$/.test(value) && Number(value) >= 1 && Number(value) <= 20, {
          message: 'must be a whole number from 1 to 20',
        }),
      ),
      z.transform(Number),
    ),
    RESTORE_VALIDATION_WINDOW: positiveDurationEnv('PT3H'),
    ...reverseReplicationEnv.shape,
    ...restoreValidatorsEnvs(),
  }),
);

export function configForReconciler(env: Env) {
  const config = loadConfig(env, reconcilerEnv());
  checkValidatorRegions(config, config.extra);
  return config;
}
