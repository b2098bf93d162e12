import { restoreTestSchedulerEnv } from '../../app/backup-restore-config.ts';
import { type Env, loadConfig } from '../config.ts';

export const configForRestoreTestScheduler = (env: Env) => loadConfig(env, restoreTestSchedulerEnv());
