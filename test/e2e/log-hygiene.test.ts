import { describe, expect, it } from 'vitest';
import { loadDeployment, readTemplate } from '../../sim/template.ts';
import { logLineProblems } from '../helpers/log-scan.ts';
import { PRIMARY_TEMPLATE_PATH, TEMPLATE_PATH } from '../helpers/package.ts';

/**
 * Logs never carry credentials or whole SDK responses. The scan of every log line of every rehearsal scenario,
 * in both Regions, runs in sim-scenarios.test.ts (once, with the scenarios themselves); here: the template never
 * turns on whole-event logging, and the scan finds each kind of leak.
 */
describe('function logs', () => {
  it('never enable Powertools Logger’s whole-event logging in the template', () => {
    for (const path of [TEMPLATE_PATH, PRIMARY_TEMPLATE_PATH])
      for (const fn of loadDeployment(readTemplate(path)).functions)
        expect(fn.environment.POWERTOOLS_LOGGER_LOG_EVENT ?? 'false', fn.logicalId).toBe('false');
  });
});

describe('the log scan', () => {
  it('finds each kind of leak in a line', () => {
    const error = {
      level: 'ERROR',
      message: 'invocation failed',
      error: { name: 'ThrottlingException', $fault: 'client', $metadata: { httpStatusCode: 429 } },
    };
    expect(logLineProblems(JSON.stringify(error))).toEqual(['an SDK response dump ($metadata)']);
    expect(logLineProblems('{"key":"AKIAIOSFODNN7EXAMPLE"}')).toEqual(['an access key id AKIAIOSF…']);
    expect(logLineProblems('{"k":"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}')).toEqual([
      'a secret-looking key wJal…',
    ]);
    expect(logLineProblems('{"sessionToken":"x"}')).toEqual(['a credential field']);
    expect(logLineProblems('{"v":"simulated-secret-value"}', ['simulated-secret-value'])).toEqual([
      'a credential of the function (simu…)',
    ]);
    expect(logLineProblems('{"message":"Lambda invocation event","event":{}}')).toEqual([
      'the whole invocation event (logEvent)',
    ]);
    expect(
      logLineProblems(
        '{"message":"outcome","arn":"arn:aws:drs:us-west-2:111122223333:source-server/s-0c1b2c3d4e5f60001"}',
      ),
    ).toEqual([]);
  });
});
