import { replicationMonitorEnv } from '../../app/replication-monitor-config.ts';
import { type Env, loadConfig } from '../config.ts';

export const configForReplicationMonitor = (env: Env) => loadConfig(env, replicationMonitorEnv);
