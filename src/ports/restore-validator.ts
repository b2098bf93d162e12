import type { ValidatorRequest, ValidatorResponse } from '../domain/restore-validators.ts';

/**
 * Asks a workload's own validator (a Lambda function) about a restored resource. Never throws for what the
 * validator does (error, timeout, unreachable): those are answers the use case judges as failures.
 */
export interface RestoreValidatorInvoker {
  invoke(functionName: string, request: ValidatorRequest): Promise<ValidatorResponse>;
}
