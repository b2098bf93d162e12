import * as z from 'zod';
import { DEFAULT_ALARM_NAME_PREFIX } from '../../../events/cloudwatch/alarm-state-change.ts';
import { type Env, loadConfig } from '../config.ts';

export const alarmReadinessEnv = z.object({
  ALARM_NAME_PREFIX: z
    .string()
    .trim()
    .min(1)
    .regex(/^[^:]+$/, 'must not contain ":"')
    .default(DEFAULT_ALARM_NAME_PREFIX),
});

export const configForAlarmReadiness = (env: Env) => loadConfig(env, alarmReadinessEnv);
