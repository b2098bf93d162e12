import { Logger } from '@aws-lambda-powertools/logger';

/** One logger per function container; the function name is a persistent key, the event id the correlation id. */
export function createLogger(functionName: string): Logger {
  return new Logger({ serviceName: 'dr-autopilot', persistentKeys: { function: functionName } });
}
