import { z } from 'zod';
import { hungResponse, json, jsonError, type SimRequest, type SimResponse } from './http.ts';
import type { Fault, SimWorld } from './world.ts';

/**
 * The Lambda API (REST-JSON) for functions that are not dr-autopilot's own: a workload's restore validators,
 * which a scenario defines with a scripted answer (`world.validators`). `Invoke` answers as Lambda does for
 * `InvocationType: RequestResponse` (Lambda API reference, Invoke): HTTP 200 with the function's return value
 * as the payload and `X-Amz-Executed-Version`; a function that throws still gets 200, with the
 * `X-Amz-Function-Error: Unhandled` header and its error object (`errorType`, `errorMessage`, `trace`) as the
 * payload; an unknown function is 404 `ResourceNotFoundException`. Other invocation types and operations are
 * not simulated (400 / 501). Injected faults (`lambda` `Invoke`) answer as Lambda does: `TooManyRequestsException`
 * 429 with `Retry-After` and `retryAfterSeconds`, `ServiceException` 500, or no answer.
 */

export const validatorSeedSchema = z
  .object({
    /** The function name (configured in `restoreValidators` by name or ARN). */
    name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
    /**
     * `pass` / `fail`: answers `{"passed": true|false, "checks", "evidence"}`; `throw`: the function throws
     * (FunctionError Unhandled); `malformed`: answers JSON without `passed`.
     */
    answer: z.enum(['pass', 'fail', 'throw', 'malformed']),
    checks: z.string().optional(),
    evidence: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();
export type ValidatorSeed = z.infer<typeof validatorSeedSchema>;

const INVOKE = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;

export class LambdaApiSim {
  private validators = new Map<string, ValidatorSeed>();
  /** Every invocation: which function, in which Region, with what payload. */
  invocations: { functionName: string; region: string; payload: unknown }[] = [];

  constructor(private readonly world: SimWorld) {}

  reset(): void {
    this.validators = new Map();
    this.invocations = [];
  }

  seed(validators: readonly ValidatorSeed[]): void {
    for (const validator of validators) this.validators.set(validator.name, validator);
  }

  handle(request: SimRequest, region: string): SimResponse {
    const match = request.method === 'POST' ? INVOKE.exec(request.path) : null;
    if (!match) {
      return jsonError(501, 'NotImplemented', {
        message: `${request.method} ${request.path} is not simulated`,
      });
    }
    const requested = decodeURIComponent(match[1] ?? '');
    // A name, `name:qualifier`, or an ARN (`arn:aws:lambda:<region>:<account>:function:<name>[:qualifier]`).
    const name = requested.startsWith('arn:')
      ? (requested.split(':')[6] ?? '')
      : (requested.split(':')[0] ?? '');
    const arn = `arn:aws:lambda:${region}:${this.world.account}:function:${name}`;
    const record = (result: string) =>
      this.world.recordCall(
        {
          service: 'lambda',
          operation: 'Invoke',
          result,
          mutating: true,
          input: { FunctionName: requested },
          region,
        },
        `Invoke ${name} (${result})`,
      );
    const type = String(request.headers['x-amz-invocation-type'] ?? 'RequestResponse');
    if (type !== 'RequestResponse') {
      record('InvalidParameterValueException');
      return jsonError(400, 'InvalidParameterValueException', {
        Type: 'User',
        message: `invocation type ${type} is not simulated`,
      });
    }
    const validator = this.validators.get(name);
    if (!validator) {
      record('ResourceNotFoundException');
      return jsonError(404, 'ResourceNotFoundException', {
        Type: 'User',
        message: `Function not found: ${arn}`,
      });
    }
    let payload: unknown;
    try {
      payload = request.body === '' ? {} : JSON.parse(request.body);
    } catch {
      record('InvalidRequestContentException');
      return jsonError(400, 'InvalidRequestContentException', {
        Type: 'User',
        message: 'Could not parse request body into json',
      });
    }
    const fault = this.world.takeFault('lambda', 'Invoke', region);
    if (fault && !fault.afterApply) {
      record(fault.error);
      return invokeFaultAnswer(fault);
    }
    this.invocations.push({ functionName: name, region, payload });
    if (fault) {
      // After apply: the validator ran, its answer is lost; a retry runs it again.
      this.world.recordCall(
        {
          service: 'lambda',
          operation: 'Invoke',
          result: fault.error,
          mutating: true,
          input: { FunctionName: requested },
          region,
          applied: true,
        },
        `Invoke ${name} (applied, answered ${fault.error})`,
      );
      return invokeFaultAnswer(fault);
    }
    record(validator.answer === 'throw' ? 'FunctionError' : 'ok');
    const headers = { 'x-amz-executed-version': '$LATEST' };
    const checked = (payload as { restoredResourceArn?: unknown }).restoredResourceArn ?? null;
    switch (validator.answer) {
      case 'pass':
      case 'fail':
        return json(
          200,
          {
            passed: validator.answer === 'pass',
            checks:
              validator.checks ?? (validator.answer === 'pass' ? 'all checks passed' : 'a check failed'),
            evidence: { ...validator.evidence, checkedResource: checked },
          },
          headers,
        );
      case 'malformed':
        return json(200, { ok: true, checks: validator.checks ?? 'looks fine' }, headers);
      case 'throw':
        return json(
          200,
          {
            errorType: 'Error',
            errorMessage: validator.checks ?? 'validator crashed',
            trace: ['Error: validator crashed', '    at Runtime.handler (/var/task/index.mjs:1:1)'],
          },
          { ...headers, 'x-amz-function-error': 'Unhandled' },
        );
    }
  }
}

/** An injected fault's answer, in Lambda's REST-JSON form. */
function invokeFaultAnswer(fault: Fault): SimResponse {
  if (fault.hang) return hungResponse(fault.error);
  const message = fault.message ?? `simulated ${fault.error}`;
  if (fault.error === 'TooManyRequestsException') {
    const seconds = fault.retryAfterSeconds ?? '1';
    return jsonError(
      429,
      fault.error,
      { Type: 'User', Reason: 'ConcurrentInvocationLimitExceeded', retryAfterSeconds: seconds, message },
      { 'retry-after': seconds },
    );
  }
  return jsonError(500, fault.error, { Type: 'Service', message });
}
