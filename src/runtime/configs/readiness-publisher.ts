import * as z from 'zod/mini';
import {
  historyRetentionSeconds,
  readinessEnvSchema,
  readinessPolicyFrom,
} from '../../app/readiness-config.ts';
import { type Env, loadConfig } from '../config.ts';

/**
 * The readiness topic on-call subscribes to. Only the readiness publisher has it: the topic exists only in the
 * deployment that owns readiness for the Region pair (the recovery Region's).
 */
const readinessTopicEnv = z.object({
  TOPIC_ARN: z
    .string({ error: 'is required' })
    .check(
      z.regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/, 'must be an SNS topic ARN'),
    ),
});

/** The readiness publisher's configuration, with the readiness policy and history retention it derives. */
export function configForReadinessPublisher(env: Env) {
  const config = loadConfig(env, z.extend(readinessEnvSchema, readinessTopicEnv.shape));
  return {
    ...config,
    policy: readinessPolicyFrom(config.extra),
    historyRetentionSeconds: historyRetentionSeconds(config.extra),
  };
}
