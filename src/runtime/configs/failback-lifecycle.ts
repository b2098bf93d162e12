import * as z from 'zod/mini';
import { type Env, envFlag, loadConfig, positiveDurationEnv } from '../config.ts';

export const failbackLifecycleEnv = z.object({
  LIFECYCLE_UNPROTECTED_ALERT_AFTER: positiveDurationEnv('PT1H'),
  DRILL_MAX_AGE: positiveDurationEnv('PT24H'),
  TERMINATE_DRILL_INSTANCES: envFlag(false),
});

export const configForFailbackLifecycle = (env: Env) => loadConfig(env, failbackLifecycleEnv);
