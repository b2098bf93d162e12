import { checkValidatorRegions, restoreValidationEnv } from '../../app/backup-restore-config.ts';
import { type Env, loadConfig } from '../config.ts';

/** Restore validation asks workloads' validators: each must be in the recovery Region. */
export function configForRestoreValidation(env: Env) {
  const config = loadConfig(env, restoreValidationEnv());
  checkValidatorRegions(config, config.extra);
  return config;
}
