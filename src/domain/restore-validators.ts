import * as z from 'zod/mini';
import { oneLine, truncate } from './text.ts';

/**
 * Pluggable validation (docs/restore-tests.md, Custom validators): a workload names its own validator, a Lambda
 * function that receives the restored resource and answers pass/fail with evidence. Its verdict joins the
 * built-in one: the restore passes only if both pass, and a validator that errors, times out or answers
 * something malformed is a failure with its reason, never a pass.
 */

/** The recovery-point tag that picks one of the configured validators for one resource (it wins over the workload's). */
export const VALIDATOR_TAG = 'dr-autopilot:validator';

/** What is kept of a validator's answer: the checks line and its evidence, each cut to this many characters. */
export const VALIDATOR_TEXT_LIMIT = 1000;

const FUNCTION_NAME = /^[A-Za-z0-9_-]{1,64}(:(\$LATEST|[A-Za-z0-9_-]{1,128}))?$/;
const FUNCTION_ARN =
  /^arn:aws[a-z-]*:lambda:[a-z]{2}(-[a-z]+)+-\d:\d{12}:function:[A-Za-z0-9_-]{1,64}(:(\$LATEST|[A-Za-z0-9_-]{1,128}))?$/;

/** A function name (optionally `name:alias`) or a full function ARN. */
export function isValidatorFunction(value: string): boolean {
  return FUNCTION_NAME.test(value) || FUNCTION_ARN.test(value);
}

/**
 * `RESTORE_VALIDATORS`: JSON `{"<workload>": "<function name or ARN>"}`, default `{}`. A bad value is named in the
 * error (the configuration loader prefixes the variable).
 */
export const restoreValidatorsEnv = z.pipe(
  z._default(z.string(), '{}'),
  z.transform((text: string, payload) => {
    const refuse = (message: string) => payload.issues.push({ code: 'custom', message, input: text });
    let parsed: unknown;
    try {
      parsed = JSON.parse(text.trim() === '' ? '{}' : text);
    } catch {
      refuse(`must be a JSON object {"<workload>": "<function>"}: ${text.slice(0, 80)}`);
      return z.NEVER;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      refuse(`must be a JSON object {"<workload>": "<function>"}: ${text.slice(0, 80)}`);
      return z.NEVER;
    }
    const validators: Record<string, string> = {};
    for (const [workload, value] of Object.entries(parsed)) {
      if (workload.length === 0 || workload.length > 128) {
        refuse(`has a workload name that is empty or over 128 characters: "${workload.slice(0, 80)}"`);
      } else if (typeof value !== 'string' || !isValidatorFunction(value)) {
        refuse(
          `${JSON.stringify(workload)} must name a Lambda function (a name or a function ARN), not ${JSON.stringify(value)?.slice(0, 120)}`,
        );
      } else validators[workload] = value;
    }
    return validators;
  }),
);

export type RestoreValidators = Readonly<Record<string, string>>;

/** The Region a configured validator lives in, when it is given as an ARN (a name is in this Region). */
export function validatorRegion(fn: string): string | undefined {
  return FUNCTION_ARN.test(fn) ? fn.split(':')[3] : undefined;
}

export type ValidatorChoice =
  | { kind: 'none' }
  | { kind: 'invoke'; functionName: string; source: 'tag' | 'workload' }
  /** The tag names a function that is not configured: never invoked (IAM allows only configured ones); a failure. */
  | { kind: 'refused'; reason: string };

/**
 * Which validator checks a restore: the recovery point's `dr-autopilot:validator` tag, when it names one of the
 * configured functions (exactly as configured), wins over the workload's entry; a tag naming anything else is
 * refused (the restore fails, saying why) rather than silently replaced.
 */
export function chooseValidator(
  workload: string,
  tags: Readonly<Record<string, string>>,
  validators: RestoreValidators,
): ValidatorChoice {
  const tagged = tags[VALIDATOR_TAG]?.trim();
  if (tagged !== undefined && tagged !== '') {
    if (Object.values(validators).includes(tagged)) {
      return { kind: 'invoke', functionName: tagged, source: 'tag' };
    }
    return {
      kind: 'refused',
      reason: `the recovery point's ${VALIDATOR_TAG} tag names ${tagged.slice(0, 140)}, which is not a validator configured in RESTORE_VALIDATORS`,
    };
  }
  const configured = validators[workload];
  return configured ? { kind: 'invoke', functionName: configured, source: 'workload' } : { kind: 'none' };
}

/** The request a validator receives (JSON): documented in docs/restore-tests.md. */
export interface ValidatorRequest {
  version: '1';
  restoreJobId: string;
  resourceType: string;
  restoredResourceArn: string;
  sourceResourceArn: string | null;
  recoveryPointArn: string | null;
  workload: string;
  /** The built-in checks so far (they passed). */
  builtInChecks: string[];
}

const buildValidatorAnswerSchema = () =>
  z.object({
    passed: z.boolean({ error: '"passed" must be true or false' }),
    checks: z
      .string({ error: '"checks" must be a string' })
      .check(z.minLength(1, '"checks" must not be empty')),
    evidence: z.optional(z.record(z.string(), z.unknown(), { error: '"evidence" must be an object' })),
  });
let validatorAnswer: ReturnType<typeof buildValidatorAnswerSchema> | undefined;

/**
 * The answer a validator must return (JSON). Extra fields are ignored. Built on the first answer judged, not at
 * import: the functions that load this module for their configuration never judge one at cold start.
 */
export function validatorAnswerSchema(): ReturnType<typeof buildValidatorAnswerSchema> {
  validatorAnswer ??= buildValidatorAnswerSchema();
  return validatorAnswer;
}

/** What Lambda `Invoke` (RequestResponse) gave back, or why it gave nothing. */
export type ValidatorResponse =
  | {
      kind: 'answered';
      /** HTTP status of the Invoke call (200 for RequestResponse). */
      statusCode: number | undefined;
      /** `X-Amz-Function-Error` (`Unhandled`, `Handled`): the function failed; the payload is its error. */
      functionError: string | undefined;
      payload: string;
    }
  | { kind: 'timed-out'; afterMs: number }
  | { kind: 'invoke-failed'; error: string };

export interface ValidatorResult {
  functionName: string;
  source: 'tag' | 'workload';
  verdict: 'passed' | 'failed';
  /** The validator's own checks, or why its answer does not count (one line, at most VALIDATOR_TEXT_LIMIT). */
  checks: string;
  /** The validator's evidence as JSON, at most VALIDATOR_TEXT_LIMIT characters (cut at a character boundary). */
  evidence?: string | undefined;
}

/**
 * Judges what a validator answered. Only a well-formed answer with `passed: true`, from an invocation without a
 * function error, passes; everything else fails and says why.
 */
export function judgeValidatorResponse(
  choice: { functionName: string; source: 'tag' | 'workload' },
  response: ValidatorResponse,
): ValidatorResult {
  const base = { functionName: choice.functionName, source: choice.source };
  const failed = (reason: string): ValidatorResult => ({
    ...base,
    verdict: 'failed',
    checks: oneLine(`validator ${choice.functionName} ${reason}`, VALIDATOR_TEXT_LIMIT),
  });
  if (response.kind === 'timed-out')
    return failed(`did not answer within ${Math.round(response.afterMs / 1000)}s`);
  if (response.kind === 'invoke-failed') return failed(`could not be invoked: ${response.error}`);
  if (response.functionError !== undefined) {
    return failed(`failed (${response.functionError}): ${describeFunctionError(response.payload)}`);
  }
  if (response.statusCode !== undefined && (response.statusCode < 200 || response.statusCode > 299)) {
    return failed(`answered with status ${response.statusCode}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(response.payload);
  } catch {
    return failed(`answered something that is not JSON: ${response.payload.slice(0, 120)}`);
  }
  const answer = validatorAnswerSchema().safeParse(parsed);
  if (!answer.success) {
    const problems = answer.error.issues.map((issue) => issue.message).join('; ');
    return failed(
      `answered malformed output (${problems}): expected {"passed": boolean, "checks": string, "evidence"?: {…}}`,
    );
  }
  const { passed, checks, evidence } = answer.data;
  return {
    ...base,
    verdict: passed ? 'passed' : 'failed',
    checks: oneLine(
      `validator ${choice.functionName} ${passed ? 'passed' : 'failed'}: ${checks}`,
      VALIDATOR_TEXT_LIMIT,
    ),
    ...(evidence === undefined ? {} : { evidence: truncate(JSON.stringify(evidence), VALIDATOR_TEXT_LIMIT) }),
  };
}

/**
 * The verdict of the built-in checks joined with the validator's: passed only if both passed. A built-in
 * verdict that is not `passed` stands as it is (the validator is not asked).
 */
export function combineVerdicts<V extends string>(
  builtIn: V,
  custom: Pick<ValidatorResult, 'verdict'> | undefined,
): V | 'failed' {
  if (builtIn !== 'passed' || custom === undefined) return builtIn;
  return custom.verdict === 'passed' ? builtIn : 'failed';
}

/** Lambda's error payload is `{"errorType", "errorMessage", …}`; anything else is shown as it came. */
function describeFunctionError(payload: string): string {
  try {
    const error = JSON.parse(payload) as { errorType?: unknown; errorMessage?: unknown };
    const parts = [error.errorType, error.errorMessage].filter((part) => typeof part === 'string');
    if (parts.length > 0) return parts.join(': ');
  } catch {
    // not JSON: shown as it came
  }
  return payload.length > 0 ? payload : 'no error payload';
}
