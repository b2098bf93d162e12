import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { RetryableDependencyError } from '../domain/errors.ts';
import type { ValidatorResponse } from '../domain/restore-validators.ts';
import type { RestoreValidatorInvoker } from '../ports/restore-validator.ts';
import { isTransientAwsError } from '../runtime/persist-until-deadline.ts';

/**
 * Lambda `Invoke` with `InvocationType: RequestResponse` (Lambda API reference, Invoke): the response carries
 * `StatusCode` (200), `FunctionError` (the `X-Amz-Function-Error` header, `Unhandled` or `Handled`, when the
 * function failed: the payload is then its error object) and `Payload` (the bytes the function returned).
 * The whole call, SDK retries included, is bounded by `timeoutMs` (an abort signal): a validator that does not
 * answer in time is a timeout, whatever its own configured timeout. An error of the workload's making (an unknown
 * function, access denied) is an invocation failure the verdict reports; Lambda's own (throttling, 5xx, no
 * answer, once the SDK's retries are spent) is thrown as a {@link RetryableDependencyError}.
 */
export function createLambdaValidatorInvoker(options: {
  client: LambdaClient;
  timeoutMs: number;
}): RestoreValidatorInvoker {
  const { client, timeoutMs } = options;
  return {
    async invoke(functionName, request): Promise<ValidatorResponse> {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), timeoutMs);
      try {
        const output = await client.send(
          new InvokeCommand({
            FunctionName: functionName,
            InvocationType: 'RequestResponse',
            Payload: new TextEncoder().encode(JSON.stringify(request)),
          }),
          { abortSignal: controller.signal },
        );
        return {
          kind: 'answered',
          statusCode: output.StatusCode,
          functionError: output.FunctionError,
          payload: output.Payload ? new TextDecoder().decode(output.Payload) : '',
        };
      } catch (error) {
        if (controller.signal.aborted) return { kind: 'timed-out', afterMs: timeoutMs };
        const { name, message } = error as Error;
        // Lambda's own trouble (throttling, a 5xx, no answer) says nothing about the restored copy: it fails the
        // invocation, which Lambda retries, instead of failing the restore test.
        if (isTransientAwsError(error)) {
          throw new RetryableDependencyError(`Invoke ${functionName}: ${name}: ${message}`, { cause: error });
        }
        return { kind: 'invoke-failed', error: `${name}: ${message}` };
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
