import * as z from 'zod/mini';
import { type Env, envFlag, loadConfig, positiveDurationEnv } from '../config.ts';

/** `reversalOriginAccounts`: a comma-separated list of 12-digit account IDs, or empty. */
const accountListEnv = z.pipe(
  z
    ._default(z.string(), '')
    .check(
      z.refine(
        (value) => value.trim() === '' || value.split(',').every((id) => /^\d{12}$/.test(id.trim())),
        'must be empty or a comma-separated list of 12-digit AWS account IDs, such as 111122223333,444455556666',
      ),
    ),
  z.transform((value: string) =>
    value
      .split(',')
      .map((id) => id.trim())
      .filter((id) => id !== ''),
  ),
);

export const reverseReplicationEnv = z.object({
  REVERSE_FAILBACK_INSTANCES: envFlag(false),
  REVERSAL_ORIGIN_ACCOUNTS: accountListEnv,
  REVERSAL_RETRY_FOR: positiveDurationEnv('PT1H'),
});

export const configForReverseReplication = (env: Env) => loadConfig(env, reverseReplicationEnv);
