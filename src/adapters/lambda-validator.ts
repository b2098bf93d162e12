import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { ValidatorResponse } from '../domain/restore-validators.ts';
import type { RestoreValidatorInvoker } from '../ports/restore-validator.ts';

/**
 * Lambda `Invoke` with `InvocationType: RequestResponse` (Lambda API reference, Invoke): the response carries
 * `StatusCode` (200), `FunctionError` (the `X-Amz-Function-Error` header, `Unhandled` or `Handled`, when the
 * function failed: the payload is then its error object) and `Payload` (the bytes the function returned).
 * The whole call, SDK retries included, is bounded by `timeoutMs` (an abort signal): a validator that does not
 * answer in time is a timeout, whatever its own configured timeout.
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
        return { kind: 'invoke-failed', error: `${name}: ${message}` };
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
