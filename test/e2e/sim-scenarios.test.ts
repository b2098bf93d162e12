import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readReadiness } from '../../sim/readiness.ts';
import {
  canRun,
  listScenarios,
  parseScenario,
  runScenario,
  type Scenario,
  type ScenarioReport,
} from '../../sim/scenario-runner.ts';
import { Simulator, statusEnvironment } from '../../sim/simulator.ts';
import { loadDeployment, readTemplate } from '../../sim/template.ts';
import { logLineProblems } from '../helpers/log-scan.ts';
import { PRIMARY_TEMPLATE_PATH, TEMPLATE_PATH } from '../helpers/package.ts';

/**
 * Every scenario in sim/scenarios runs end to end on the simulated AWS: the production handlers, wired by the
 * rule patterns of the template the global setup packaged, against the simulated services. A scenario whose
 * functions are not in the template yet cannot run, and the last test says which those are.
 *
 * Every log line every function wrote in both Regions, over every scenario, is kept and scanned at the end: logs
 * never carry credentials or whole SDK responses (the scan itself is tested in log-hygiene.test.ts).
 */
const deployed = new Set(loadDeployment(readTemplate(TEMPLATE_PATH)).functions.map((fn) => fn.shortName));
const scenarios = listScenarios();
const runnable = scenarios.filter((scenario) => scenario.requires.every((name) => deployed.has(name)));

function failures(report: ScenarioReport): string {
  return report.expectations
    .filter((result) => result.status === 'fail')
    .map((result) => `${result.description}: ${result.detail}`)
    .join('\n');
}

/** The credentials the simulated Lambda gives each function, both Regions: what the logs must never show. */
function functionCredentials(sim: Simulator): string[] {
  const values = [...sim.regions.values()].flatMap((region) =>
    region.lambda.functions.flatMap((fn) => {
      const environment = region.lambda.environmentOf(fn);
      return [
        environment.AWS_ACCESS_KEY_ID,
        environment.AWS_SECRET_ACCESS_KEY,
        environment.AWS_SESSION_TOKEN,
      ];
    }),
  );
  return [...new Set(values.filter((value): value is string => value !== undefined))];
}

describe('simulated DR scenarios', () => {
  let sim: Simulator;
  const logLines: { scenario: string; fn: string; line: string }[] = [];

  beforeAll(async () => {
    sim = await Simulator.start({ templatePath: TEMPLATE_PATH, primaryTemplatePath: PRIMARY_TEMPLATE_PATH });
  });

  afterAll(async () => {
    await sim?.close();
  });

  it.each(runnable.map((scenario) => [scenario.name, scenario] as const))('%s', async (_, scenario) => {
    // Act
    const report = await runScenario(sim, scenario);
    for (const region of sim.regions.values())
      for (const invocation of region.eventBridge.invocations)
        for (const log of invocation.logs)
          logLines.push({ scenario: scenario.name, fn: invocation.functionName, line: JSON.stringify(log) });

    // Assess
    expect(failures(report)).toBe('');
    expect(report.passed).toBe(true);
    expect(report.expectations.filter((result) => result.status === 'pass').length).toBeGreaterThan(0);

    // Nothing missed: every action the simulated AWS saw done is in the evidence ledger, once.
    // Done: answered ok, or applied although the answer was an error (a fault after apply).
    const ok = (operation: string) =>
      sim.world.calls.filter(
        (call) => call.operation === operation && (call.result === 'ok' || call.applied === true),
      );
    const records = (kinds: string[], result = 'succeeded') =>
      new Set(report.evidence.filter((r) => kinds.includes(r.kind) && r.result === result).map((r) => r.id));
    const reversed = new Set(
      ok('ReverseReplication').map(
        (call) => (call.input as { recoveryInstanceID?: string }).recoveryInstanceID,
      ),
    );
    expect(records(['reversal', 're-protection']).size, 'reversal records').toBe(reversed.size);
    const restoreTokens = new Set(
      ok('StartRestoreJob').map((call) => (call.input as { IdempotencyToken?: string }).IdempotencyToken),
    );
    expect(records(['restore', 'restore-test']).size, 'restore records').toBe(restoreTokens.size);
    const launched = [...sim.regions.values()].flatMap((region) =>
      region.drs.jobs
        .filter((job) => job.type === 'LAUNCH')
        .flatMap((job) =>
          (job.participatingServers ?? [])
            .filter((server) => server.launchStatus === 'LAUNCHED' || server.launchStatus === 'FAILED')
            .map((server) => `launch#${job.jobID}#${server.sourceServerID}`),
        ),
    );
    const launchRecords = new Set(report.evidence.filter((r) => r.id.startsWith('launch#')).map((r) => r.id));
    expect([...launchRecords].sort(), 'launch records').toEqual([...new Set(launched)].sort());
  });

  it('logged in every scenario, errors included, and no line carries a credential, a key-shaped string, an SDK response dump or a whole event', () => {
    // Prepare: the credentials the functions ran with (the simulated Lambda gives each function its own)
    const credentials = functionCredentials(sim);
    const ran = new Set(logLines.map((entry) => entry.scenario));
    // Act
    const found = logLines.flatMap(({ scenario, fn, line }) =>
      logLineProblems(line, credentials).map((problem) => `${scenario} ${fn}: ${problem}`),
    );
    // Assess: there was something to find (credentials; a throttled reversal fails once and is logged)
    expect(credentials).toEqual(expect.arrayContaining([expect.stringMatching(/^ASIA/)]));
    expect(credentials.length).toBeGreaterThanOrEqual(3);
    expect(ran.size).toBe(runnable.length);
    expect(logLines.some((entry) => entry.line.includes('"invocation failed"'))).toBe(true);
    expect(logLines.some((entry) => entry.line.includes('ThrottlingException'))).toBe(true);
    expect([...new Set(found)]).toEqual([]);
  });

  it('npm run status reads the readiness table the rehearsal left', async () => {
    // Prepare: a rehearsal that leaves state behind
    const failover = scenarios.find((scenario) => scenario.name === 'failover') as Scenario;
    await runScenario(sim, failover);
    const root = new URL('../../', import.meta.url).pathname;

    // Act: the real status script, as a user runs it, pointed at the simulator's DynamoDB
    const { stdout } = await promisify(execFile)(
      `${root}node_modules/.bin/tsx`,
      ['scripts/status.ts', '--json'],
      { cwd: root, env: { ...process.env, ...statusEnvironment(sim) } },
    );

    // Assess
    const status = JSON.parse(stdout) as { workloads: { workload: string; state: string }[] };
    expect(status.workloads).toEqual(
      expect.arrayContaining([expect.objectContaining({ workload: 'payments', state: 'READY' })]),
    );
  });

  it('fails a scenario whose expectation the run contradicts', async () => {
    // Prepare: the failover scenario, expecting one reversal too many
    const failover = scenarios.find((scenario) => scenario.name === 'failover') as Scenario;
    const wrong: Scenario = {
      ...failover,
      expect: [{ call: 'drs:ReverseReplication', result: 'ok', count: 4 }],
    };

    // Act
    const report = await runScenario(sim, wrong);

    // Assess
    expect(report.passed).toBe(false);
    expect(report.expectations[0]).toMatchObject({ status: 'fail', detail: '3 (expected 4)' });
  });

  it('reports what on-call and the timeline saw', async () => {
    // Prepare
    const drill = scenarios.find((scenario) => scenario.name === 'drill') as Scenario;

    // Act
    const report = await runScenario(sim, drill);

    // Assess: the operator's call and the three launch events are on the timeline, no reversal is
    expect(
      report.timeline.filter((entry) => entry.kind === 'call' && entry.operation === 'StartRecovery'),
    ).toHaveLength(1);
    expect(
      report.timeline.filter(
        (entry) => entry.kind === 'event' && entry.detailType === 'DRS Source Server Launch Result',
      ),
    ).toHaveLength(3);
    expect(
      report.timeline.some((entry) => entry.kind === 'call' && entry.operation === 'ReverseReplication'),
    ).toBe(false);
  });

  it("gives one verdict per Region pair: both Regions' signals reach the recovery Region's table and topic", async () => {
    // Prepare: an alarm of dr-autopilot's in each Region, for a workload of its own, and a machinery alarm of the
    // primary Region's deployment (its failed-invocations queue) going to ALARM
    const alarm = (region: string, workload: string) => ({
      event: {
        source: 'aws.cloudwatch',
        'detail-type': 'CloudWatch Alarm State Change',
        resources: [`arn:aws:cloudwatch:${region}:111122223333:alarm:dr-autopilot:${workload}:latency`],
        detail: {
          alarmName: `dr-autopilot:${workload}:latency`,
          configuration: { description: `${workload} unprotected [NOT_READY]`, metrics: [] },
          previousState: { value: 'OK', reason: 'x', timestamp: '2026-11-22T04:00:00.000+0000' },
          state: { value: 'ALARM', reason: 'y', timestamp: '2026-11-22T04:05:00.000+0000' },
        },
      },
      region,
    });
    // The packaged stage's machinery alarm (serverless.yml names them `<service>-<stage>-…`)
    const machineryAlarmName = `${sim.primary.deployment.buses[0]?.name}-failed-invocations`;
    const machineryAlarm = {
      event: {
        source: 'aws.cloudwatch',
        'detail-type': 'CloudWatch Alarm State Change',
        resources: [`arn:aws:cloudwatch:us-east-1:111122223333:alarm:${machineryAlarmName}`],
        detail: {
          alarmName: machineryAlarmName,
          configuration: { description: 'failed invocations', metrics: [] },
          previousState: { value: 'OK', reason: 'x', timestamp: '2026-11-22T04:00:00.000+0000' },
          state: { value: 'ALARM', reason: 'Threshold Crossed', timestamp: '2026-11-22T04:05:00.000+0000' },
        },
      },
      region: 'us-east-1',
    };
    const scenario = parseScenario({
      name: 'region-pair',
      title: 'An alarm in each Region',
      description:
        "Each Region turns its own alarm into a signal; the recovery Region's deployment owns readiness.",
      requires: ['alarmReadiness', 'readinessPublisher'],
      steps: [alarm('us-east-1', 'east-app'), alarm('us-west-2', 'west-app'), machineryAlarm],
      expect: [
        { readiness: { kind: 'workload', workload: 'east-app', state: 'NOT_READY' }, count: 1 },
        { readiness: { kind: 'workload', workload: 'west-app', state: 'NOT_READY' }, count: 1 },
        { signal: { detailType: 'Alarm State Changed' }, region: 'primary', count: 1 },
        { signal: { detailType: 'Alarm State Changed' }, region: 'recovery', count: 2 },
        { sns: { subject: 'east-app' }, min: 1 },
        { sns: { subject: 'west-app' }, min: 1 },
        {
          sns: { body: `alarm ${machineryAlarmName} in the primary Region us-east-1 went from OK to ALARM` },
          count: 1,
        },
        { sns: {}, region: 'primary', count: 0 },
        { call: 'sns:Publish', region: 'us-east-1', count: 0 },
        { invocationError: { function: 'alarmReadiness' }, region: 'any', count: 0 },
        { deadLetters: {}, region: 'any', count: 0 },
      ],
    });

    // Act
    const report = await runScenario(sim, scenario);

    // Assess: one topic (the recovery Region's) and one readiness publisher; the primary Region has neither, and
    // its functions run with their own Region's configuration
    expect(failures(report)).toBe('');
    expect(sim.primary.deployment.topics).toEqual([]);
    expect(sim.primary.functionNamed('readinessPublisher')).toBeUndefined();
    expect(await readReadiness(sim, 'us-east-1')).toEqual([]);
    expect(sim.recovery.deployment.topics.map((topic) => topic.arn)).toEqual([
      expect.stringMatching(/^arn:aws:sns:us-west-2:/),
    ]);
    const topics = new Set(
      (report.regions['us-west-2']?.snsMessages ?? []).map((message) => message.topicArn),
    );
    expect([...topics]).toEqual([sim.recovery.deployment.topics[0]?.arn]);
    const alarmReadiness = sim.primary.functionNamed('alarmReadiness');
    expect(alarmReadiness && sim.primary.lambda.environmentOf(alarmReadiness).AWS_REGION).toBe('us-east-1');
    expect(report.timeline.some((entry) => entry.kind === 'invoke' && entry.region === 'us-east-1')).toBe(
      true,
    );
  });

  it('runs only scenarios whose functions are deployed', () => {
    // Assess: everything not runnable names a function this template lacks
    for (const scenario of scenarios.filter((candidate) => !runnable.includes(candidate))) {
      expect(scenario.requires.some((name) => !deployed.has(name))).toBe(true);
    }
    expect(runnable.length).toBeGreaterThanOrEqual(5);
    expect(canRun(runnable[0] as Scenario, sim)).toBe(true);
  });
});
