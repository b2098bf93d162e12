import * as z from 'zod/mini';
import { DEFAULT_ALARM_NAME_PREFIX } from '../../../events/cloudwatch/alarm-state-change.ts';
import { type Env, loadConfig } from '../config.ts';

export const alarmReadinessEnv = z.object({
  ALARM_NAME_PREFIX: z._default(
    z.string().check(z.trim(), z.minLength(1), z.regex(/^[^:]+$/, 'must not contain ":"')),
    DEFAULT_ALARM_NAME_PREFIX,
  ),
});

export const configForAlarmReadiness = (env: Env) => loadConfig(env, alarmReadinessEnv);
