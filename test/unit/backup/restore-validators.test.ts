import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { restoreValidationEnv } from '../../../src/app/backup-restore-config.ts';
import {
  chooseValidator,
  combineVerdicts,
  judgeValidatorResponse,
  VALIDATOR_TEXT_LIMIT,
  type ValidatorResponse,
} from '../../../src/domain/restore-validators.ts';
import { truncate } from '../../../src/domain/text.ts';
import { loadConfig } from '../../../src/runtime/config.ts';

const BASE_ENV = {
  AWS_REGION: 'us-west-2',
  PRIMARY_REGION: 'us-east-1',
  RECOVERY_REGION: 'us-west-2',
  DEFAULT_RPO: 'PT15M',
  DEFAULT_RTO: 'PT4H',
  TOPIC_ARN: 'arn:aws:sns:us-west-2:111122223333:readiness',
  EVENT_BUS_NAME: 'bus',
  READINESS_TABLE_NAME: 'readiness',
  IDEMPOTENCY_TABLE_NAME: 'idempotency',
  EVIDENCE_TABLE_NAME: 'evidence',
};
/** No lone surrogate (String.prototype.isWellFormed, without the ES2024 lib). */
const wellFormed = (text: string) =>
  !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text);
const ARN = 'arn:aws:lambda:us-west-2:111122223333:function:orders-check';
const CHOICE = { functionName: 'orders-check', source: 'workload' as const };

describe('RESTORE_VALIDATORS at cold start', () => {
  it.each([
    ['{}', {}],
    ['', {}],
    [JSON.stringify({ orders: 'orders-check' }), { orders: 'orders-check' }],
    [JSON.stringify({ orders: 'orders-check:live' }), { orders: 'orders-check:live' }],
    [JSON.stringify({ orders: ARN, crm: `${ARN}:3` }), { orders: ARN, crm: `${ARN}:3` }],
  ])('accepts %s', (value, expected) => {
    const config = loadConfig({ ...BASE_ENV, RESTORE_VALIDATORS: value }, restoreValidationEnv());
    expect(config.extra.RESTORE_VALIDATORS).toEqual(expected);
  });

  it.each([
    ['not json', /RESTORE_VALIDATORS must be a JSON object.*not json/],
    ['["orders-check"]', /RESTORE_VALIDATORS must be a JSON object/],
    [JSON.stringify({ orders: 42 }), /RESTORE_VALIDATORS "orders" must name a Lambda function .*not 42/],
    [JSON.stringify({ orders: 'has spaces' }), /"orders" must name a Lambda function .*"has spaces"/],
    [
      JSON.stringify({ orders: 'arn:aws:iam::111122223333:role/x' }),
      /"orders" must name a Lambda function .*arn:aws:iam/,
    ],
    [JSON.stringify({ '': 'orders-check' }), /workload name that is empty/],
  ])('refuses %s, naming the variable and the bad value', (value, message) => {
    expect(() => loadConfig({ ...BASE_ENV, RESTORE_VALIDATORS: value }, restoreValidationEnv())).toThrow(
      message,
    );
  });

  it.each([
    ['PT0S', /RESTORE_VALIDATOR_TIMEOUT must be a positive/],
    ['PT5M', /RESTORE_VALIDATOR_TIMEOUT must be at most PT2M/],
  ])('refuses a validator timeout of %s', (value, message) => {
    expect(() =>
      loadConfig({ ...BASE_ENV, RESTORE_VALIDATOR_TIMEOUT: value }, restoreValidationEnv()),
    ).toThrow(message);
  });
});

describe('chooseValidator', () => {
  const validators = { orders: 'orders-check', crm: ARN };
  it.each([
    ['the workload has none', 'payments', {}, { kind: 'none' }],
    [
      'the workload names one',
      'orders',
      {},
      { kind: 'invoke', functionName: 'orders-check', source: 'workload' },
    ],
    [
      'a tag naming a configured validator wins over the workload',
      'orders',
      { 'dr-autopilot:validator': ARN },
      { kind: 'invoke', functionName: ARN, source: 'tag' },
    ],
    [
      'a tag names one for a workload without its own',
      'payments',
      { 'dr-autopilot:validator': 'orders-check' },
      { kind: 'invoke', functionName: 'orders-check', source: 'tag' },
    ],
    [
      'a tag naming an unconfigured function is refused, never invoked',
      'orders',
      { 'dr-autopilot:validator': 'arn:aws:lambda:us-west-2:444455556666:function:anything' },
      { kind: 'refused', reason: expect.stringMatching(/444455556666.*not a validator configured/) },
    ],
  ])('%s', (_, workload, tags, expected) => {
    expect(chooseValidator(workload, tags, validators)).toEqual(expected);
  });
});

const answered = (payload: unknown, functionError?: string, statusCode = 200): ValidatorResponse => ({
  kind: 'answered',
  statusCode,
  functionError,
  payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
});

describe('judgeValidatorResponse', () => {
  it.each<[string, ValidatorResponse, 'passed' | 'failed', RegExp]>([
    ['a pass', answered({ passed: true, checks: '3 rows' }), 'passed', /orders-check passed: 3 rows/],
    [
      'a fail',
      answered({ passed: false, checks: 'row missing' }),
      'failed',
      /orders-check failed: row missing/,
    ],
    [
      'an unhandled function error (HTTP 200 with X-Amz-Function-Error)',
      answered({ errorType: 'TypeError', errorMessage: 'boom' }, 'Unhandled'),
      'failed',
      /failed \(Unhandled\): TypeError: boom/,
    ],
    [
      'a function error even with passed: true in the payload',
      answered({ passed: true, checks: 'ok' }, 'Handled'),
      'failed',
      /failed \(Handled\)/,
    ],
    ['a timeout', { kind: 'timed-out', afterMs: 30_000 }, 'failed', /did not answer within 30s/],
    [
      'an invocation that failed',
      { kind: 'invoke-failed', error: 'AccessDeniedException: not authorized' },
      'failed',
      /could not be invoked: AccessDeniedException/,
    ],
    ['an answer that is not JSON', answered('yes'), 'failed', /not JSON: yes/],
    ['null', answered('null'), 'failed', /malformed output/],
    ['no passed', answered({ ok: true, checks: 'x' }), 'failed', /"passed" must be true or false/],
    [
      'passed as a string',
      answered({ passed: 'true', checks: 'x' }),
      'failed',
      /"passed" must be true or false/,
    ],
    ['no checks', answered({ passed: true }), 'failed', /"checks" must be a string/],
    ['empty checks', answered({ passed: true, checks: '' }), 'failed', /"checks" must not be empty/],
    [
      'evidence that is not an object',
      answered({ passed: true, checks: 'x', evidence: [1] }),
      'failed',
      /"evidence" must be an object/,
    ],
    ['a non-2xx status', answered({ passed: true, checks: 'x' }, undefined, 500), 'failed', /status 500/],
  ])('%s', (_, response, verdict, checks) => {
    const result = judgeValidatorResponse(CHOICE, response);
    expect(result.verdict).toBe(verdict);
    expect(result.checks).toMatch(checks);
    expect(result.checks).not.toMatch(/[\r\n]/);
  });

  it('keeps the evidence as JSON, and cuts long checks and evidence at a character boundary', () => {
    const result = judgeValidatorResponse(
      CHOICE,
      answered({
        passed: true,
        checks: `line one\nline two ${'😀'.repeat(2000)}`,
        evidence: { big: 'x'.repeat(5000) },
      }),
    );
    expect(result.checks.length).toBeLessThanOrEqual(VALIDATOR_TEXT_LIMIT);
    expect(result.checks).not.toMatch(/\n/);
    expect(result.evidence?.length).toBeLessThanOrEqual(VALIDATOR_TEXT_LIMIT);
    expect(result.evidence?.startsWith('{"big":"xxx')).toBe(true);
    expect(wellFormed(result.checks)).toBe(true);
  });
});

describe('truncate', () => {
  it.each([
    ['abc', 5, 'abc'],
    ['abcdef', 4, 'abc…'],
    // The cut would split the surrogate pair of 😀: it is dropped whole.
    ['ab😀cd', 4, 'ab…'],
    ['a😀cd', 4, 'a😀…'],
  ])('%s to %d', (text, limit, expected) => {
    const result = truncate(text, limit);
    expect(result).toBe(expected);
    expect(wellFormed(result)).toBe(true);
  });
});

describe('combineVerdicts', () => {
  it.each([
    ['passed', undefined, 'passed'],
    ['passed', { verdict: 'passed' as const }, 'passed'],
    ['passed', { verdict: 'failed' as const }, 'failed'],
    ['failed', { verdict: 'passed' as const }, 'failed'],
    ['timed-out', { verdict: 'passed' as const }, 'timed-out'],
    ['failed', undefined, 'failed'],
  ])('built-in %s + validator %o = %s', (builtIn, custom, expected) => {
    expect(combineVerdicts(builtIn, custom)).toBe(expected);
  });
});

describe('the IAM policy built from restoreValidators (infra/iam/restore-validators.cjs)', () => {
  const { restoreValidatorsFragment } = createRequire(import.meta.url)(
    '../../../infra/iam/restore-validators.cjs',
  ) as { restoreValidatorsFragment: (text: string) => Record<string, unknown> };

  it.each(['{}', ''])('grants nothing when none is configured (%j)', (text) => {
    expect(restoreValidatorsFragment(text)).toEqual({});
  });

  it('grants lambda:InvokeFunction on exactly the configured functions, to both roles', () => {
    const fragment = restoreValidatorsFragment(
      JSON.stringify({ orders: 'orders-check', crm: ARN, other: ARN }),
    );
    expect(fragment).toEqual({
      Resources: {
        RestoreValidatorsInvokePolicy: {
          Type: 'AWS::IAM::Policy',
          Properties: {
            PolicyName: 'restore-validators',
            Roles: [{ Ref: 'RestoreValidationRole' }, { Ref: 'ReconcilerRole' }],
            PolicyDocument: {
              Version: '2012-10-17',
              Statement: [
                {
                  Sid: 'InvokeRestoreValidators',
                  Effect: 'Allow',
                  Action: 'lambda:InvokeFunction',
                  Resource: [
                    {
                      'Fn::Sub': `arn:\${AWS::Partition}:lambda:\${AWS::Region}:\${AWS::AccountId}:function:orders-check`,
                    },
                    ARN,
                  ],
                },
              ],
            },
          },
        },
      },
    });
  });

  it.each([
    ['not json', /restoreValidators must be JSON/],
    [JSON.stringify({ orders: '*' }), /restoreValidators: "orders" must name a Lambda function .*"\*"/],
    [JSON.stringify({ orders: 'arn:aws:lambda:us-west-2:111122223333:function:*' }), /"orders" must name/],
  ])('refuses %s at package time, naming the parameter', (text, message) => {
    expect(() => restoreValidatorsFragment(text)).toThrow(message);
  });
});
