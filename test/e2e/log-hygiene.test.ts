import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadScenario, runScenario, SCENARIO_DIR } from '../../sim/scenario-runner.ts';
import { Simulator } from '../../sim/simulator.ts';
import { loadDeployment, readTemplate } from '../../sim/template.ts';
import { logLineProblems } from '../helpers/log-scan.ts';
import { PRIMARY_TEMPLATE_PATH, TEMPLATE_PATH } from '../helpers/package.ts';

/**
 * Logs never carry credentials or whole SDK responses: representative scenarios run on the simulated Region
 * pair (the production handlers, with the credentials Lambda would give them), and every log line of every
 * invocation, in both Regions, is scanned. The scenarios cover a failover with its reversal, DRS throttling
 * (an SDK error that propagates, is logged and retried), a reversal DRS refuses, bad input, the replication
 * alarm, and an AWS Backup restore (the restore role passed to Backup).
 */
const SCENARIOS = [
  '01-failover',
  '04-throttled',
  '05-bad-input',
  '07-replication-alarm',
  '08-backup-copy-restore',
  '12-reversal-conflict',
];

describe('function logs, over representative scenarios', () => {
  let sim: Simulator;
  const lines: { scenario: string; fn: string; line: string }[] = [];
  let credentials: string[] = [];

  beforeAll(async () => {
    sim = await Simulator.start({ templatePath: TEMPLATE_PATH, primaryTemplatePath: PRIMARY_TEMPLATE_PATH });
    credentials = [
      ...new Set(
        [...sim.regions.values()].flatMap((region) =>
          region.lambda.functions.flatMap((fn) => {
            const environment = region.lambda.environmentOf(fn);
            return [
              environment.AWS_ACCESS_KEY_ID,
              environment.AWS_SECRET_ACCESS_KEY,
              environment.AWS_SESSION_TOKEN,
            ].filter((value): value is string => value !== undefined);
          }),
        ),
      ),
    ];
    for (const name of SCENARIOS) {
      const report = await runScenario(sim, loadScenario(`${SCENARIO_DIR}${name}.json`));
      expect(report.passed, name).toBe(true);
      for (const region of sim.regions.values())
        for (const invocation of region.eventBridge.invocations)
          for (const log of invocation.logs)
            lines.push({ scenario: name, fn: invocation.functionName, line: JSON.stringify(log) });
    }
  }, 600_000);

  afterAll(async () => {
    await sim?.close();
  });

  it('ran the functions with credentials to look for, and logged', () => {
    expect(credentials).toEqual(expect.arrayContaining([expect.stringMatching(/^ASIA/)]));
    expect(credentials.length).toBeGreaterThanOrEqual(3);
    // Every scenario logged, errors included (the throttled reversal fails once before it succeeds).
    for (const name of SCENARIOS)
      expect(
        lines.some((entry) => entry.scenario === name),
        name,
      ).toBe(true);
    expect(lines.some((entry) => entry.line.includes('"invocation failed"'))).toBe(true);
    expect(lines.some((entry) => entry.line.includes('ThrottlingException'))).toBe(true);
  });

  it('carry no credential, no key-shaped string, no SDK response dump, no whole event', () => {
    const found = lines.flatMap(({ scenario, fn, line }) =>
      logLineProblems(line, credentials).map((problem) => `${scenario} ${fn}: ${problem}`),
    );
    expect([...new Set(found)]).toEqual([]);
  });

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
