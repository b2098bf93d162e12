import { backupRestoreEnv } from '../../app/backup-restore-config.ts';
import { type Env, loadConfig } from '../config.ts';

export const configForBackupRestore = (env: Env) => loadConfig(env, backupRestoreEnv());
