import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { matchesPattern } from '../../sim/event-pattern.ts';
import {
  DEPLOYMENT_METRICS,
  RESOURCE_DETAIL_MESSAGE,
  WORKLOAD_METRICS,
} from '../../src/adapters/metrics-emf.ts';
import { parseIsoDuration } from '../../src/domain/duration.ts';
import { loadSample } from '../helpers/events.ts';
import { type CfnResource, loadPackagedTemplate, resourcesOfType } from '../helpers/package.ts';

/** The replication monitor as `osls package` renders it (the global setup packages once). */
const template = loadPackagedTemplate();
const resource = (id: string): CfnResource => {
  const found = template.Resources[id];
  if (!found) throw new Error(`no ${id} in the template`);
  return found;
};
const targetsMonitor = (rule: CfnResource) =>
  JSON.stringify((rule.Properties as { Targets: unknown[] }).Targets).includes(
    'ReplicationMonitorLambdaFunction',
  );
const monitorRules = resourcesOfType(template, 'AWS::Events::Rule').filter(([, rule]) =>
  targetsMonitor(rule),
);

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation properties are read ad hoc in assertions.
type Any = any;

interface Statement {
  Sid: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}
const statements = (): Statement[] => {
  const role = resource('ReplicationMonitorRole').Properties as {
    Policies: { PolicyDocument: { Statement: Statement[] } }[];
  };
  return role.Policies.flatMap((policy) => policy.PolicyDocument.Statement);
};
const actionsOf = (statement: Statement) =>
  Array.isArray(statement.Action) ? statement.Action : [statement.Action];

describe('replication monitor infrastructure', () => {
  it('runs on a schedule, every 5 minutes by default, with a retry policy and a dead-letter queue', () => {
    const scheduled = monitorRules.filter(([, rule]) => rule.Properties?.ScheduleExpression);

    expect(scheduled).toHaveLength(1);
    const properties = scheduled[0]?.[1].Properties as {
      ScheduleExpression: string;
      State: string;
      Targets: Record<string, unknown>[];
    };
    expect(properties.ScheduleExpression).toBe('rate(5 minutes)');
    expect(properties.State).toBe('ENABLED');
    expect(properties.Targets[0]).toMatchObject({
      RetryPolicy: { MaximumRetryAttempts: 2 },
      DeadLetterConfig: { Arn: { 'Fn::GetAtt': ['DeadLetterQueue', 'Arn'] } },
    });
  });

  it('runs on the DRS stalled-change event, and only on it', () => {
    const patterned = monitorRules.filter(([, rule]) => rule.Properties?.EventPattern);

    expect(patterned).toHaveLength(1);
    const pattern = patterned[0]?.[1].Properties?.EventPattern as Record<string, unknown>;
    expect(
      matchesPattern(pattern, loadSample('drs', 'source-server-data-replication-stalled-change.stalled')),
    ).toBe(true);
    expect(
      matchesPattern(pattern, loadSample('drs', 'source-server-data-replication-stalled-change.not-stalled')),
    ).toBe(true);
    expect(
      matchesPattern(pattern, loadSample('drs', 'source-server-launch-result.recovery-launch-succeeded')),
    ).toBe(false);
    expect(
      (patterned[0]?.[1].Properties as { Targets: Record<string, unknown>[] } | undefined)?.Targets[0],
    ).toHaveProperty('DeadLetterConfig');
  });

  it('gives the function time for a large sweep, its own role and an on-failure destination', () => {
    const fn = resource('ReplicationMonitorLambdaFunction').Properties as Record<string, Any>;
    const invokeConfig = resource('ReplicationMonitorLambdaEvConf').Properties as Record<string, Any>;

    expect(fn.Timeout).toBe(300);
    expect(fn.MemorySize).toBe(256);
    expect(fn.Role).toEqual({ 'Fn::GetAtt': ['ReplicationMonitorRole', 'Arn'] });
    expect(fn.Environment.Variables).toMatchObject({
      MONITOR_CONCURRENCY: '10',
      MONITOR_REFRESH_AFTER: 'PT30M',
      // Per-server metric series are opt-in: 3 custom metrics per server ($0.90 a month each server).
      PER_RESOURCE_METRICS: 'false',
      DRS_RETRY_MODE: 'adaptive',
      METRICS_DEPLOYMENT: 'dr-autopilot-test',
    });
    expect(invokeConfig.DestinationConfig.OnFailure.Destination).toEqual({
      'Fn::GetAtt': ['FailedInvocationQueue', 'Arn'],
    });
  });

  it("refreshes unchanged findings before the readiness publisher's evidence goes stale", () => {
    // Prepare: the longest gap between two signals about an unchanged resource is the refresh window rounded
    // up to the next sweep; the publisher's staleness must be longer.
    const env = (id: string) =>
      (resource(id).Properties as Record<string, Any>).Environment.Variables as Record<string, string>;
    const schedule = monitorRules
      .map(([, rule]) => rule.Properties?.ScheduleExpression as string | undefined)
      .find(Boolean);
    const rate = /^rate\((\d+) minutes?\)$/.exec(schedule ?? '');

    // Act
    const refresh = parseIsoDuration(env('ReplicationMonitorLambdaFunction').MONITOR_REFRESH_AFTER);
    const stale = parseIsoDuration(env('ReadinessPublisherLambdaFunction').READINESS_STALE_AFTER);

    // Assess
    expect(rate).not.toBeNull();
    expect((refresh ?? Infinity) + Number(rate?.[1]) * 60).toBeLessThan(stale ?? 0);
  });

  it('limits IAM to the describe actions, PutEvents, its own table partition, logs and the destination', () => {
    const all = statements().flatMap(actionsOf).sort();

    expect(all).toEqual(
      [
        'dynamodb:BatchWriteItem',
        'dynamodb:Query',
        'drs:DescribeRecoveryInstances',
        'drs:DescribeRecoverySnapshots',
        'drs:DescribeSourceServers',
        'ec2:DescribeInstances',
        'events:PutEvents',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'sqs:SendMessage',
      ].sort(),
    );
    expect(all.some((action) => action.includes('*'))).toBe(false);
  });

  it('scopes every statement that can be scoped', () => {
    const bySid = new Map(statements().map((statement) => [statement.Sid, statement]));

    expect(bySid.get('Signals')?.Resource).toEqual({ 'Fn::GetAtt': ['SignalBus', 'Arn'] });
    expect(JSON.stringify(bySid.get('DrsSnapshots')?.Resource)).toContain(':source-server/*');
    expect(bySid.get('MonitorState')?.Resource).toEqual({ 'Fn::GetAtt': ['ReadinessTable', 'Arn'] });
    expect(bySid.get('MonitorState')?.Condition).toEqual({
      'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['detector#replication-monitor'] },
    });
    // Only the describe actions that support no resource type are on "*".
    const unscoped = statements()
      .filter((statement) => statement.Resource === '*')
      .flatMap(actionsOf)
      .sort();
    expect(unscoped).toEqual([
      'drs:DescribeRecoveryInstances',
      'drs:DescribeSourceServers',
      'ec2:DescribeInstances',
    ]);
  });

  it('alarms on resources over RPO, treating missing data as breaching, to the readiness topic', () => {
    const alarm = resource('ReplicationOverRpoAlarm').Properties as Record<string, Any>;

    expect(alarm).toMatchObject({
      Namespace: 'DrAutopilot',
      MetricName: 'ResourcesOverRpo',
      TreatMissingData: 'breaching',
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: 1,
      AlarmActions: { 'Fn::If': ['OwnsReadiness', [{ Ref: 'ReadinessTopic' }], { Ref: 'AWS::NoValue' }] },
    });
    expect(alarm.Dimensions).toEqual([
      { Name: 'service', Value: 'dr-autopilot' },
      { Name: 'Deployment', Value: 'dr-autopilot-test' },
    ]);
    // The dimensions the function's metrics carry (Powertools' service, and METRICS_DEPLOYMENT).
    const variables = (resource('ReplicationMonitorLambdaFunction').Properties as Record<string, Any>)
      .Environment.Variables;
    expect(alarm.Dimensions.map((dimension: { Value: string }) => dimension.Value)).toEqual([
      variables.POWERTOOLS_SERVICE_NAME,
      variables.METRICS_DEPLOYMENT,
    ]);
    // A series the monitor still publishes deployment-wide on every sweep (or a dead monitor would look alive).
    expect(DEPLOYMENT_METRICS as readonly string[]).toContain(alarm.MetricName);
    // The alarm's period must cover the schedule, or missing data would page between sweeps.
    expect(alarm.Period).toBeGreaterThanOrEqual(300);
  });

  describe('the replication dashboard', () => {
    const dashboard = () => resource('ReplicationDashboard');
    const bodyText = () =>
      (dashboard().Properties as { DashboardBody: { 'Fn::Sub': string } }).DashboardBody['Fn::Sub'];
    /** The body with CloudFormation's `${…}` substitutions filled in, as JSON. */
    const body = () =>
      JSON.parse(bodyText().replace(/\$\{[^}]+\}/g, 'SUBSTITUTED')) as {
        widgets: { type: string; properties: Record<string, Any> }[];
      };
    const substitutions = () => [...bodyText().matchAll(/\$\{([^}]+)\}/g)].map((match) => match[1] as string);

    it('is opt-in: only with replicationDashboard "true" ($3 a month a dashboard)', () => {
      expect(dashboard().Type).toBe('AWS::CloudWatch::Dashboard');
      expect(dashboard().Condition).toBe('ReplicationDashboardEnabled');
      expect(template.Conditions?.ReplicationDashboardEnabled).toEqual({ 'Fn::Equals': ['false', 'true'] });
    });

    it('refers only to pseudo parameters and resources of this stack', () => {
      const names = new Set(substitutions());

      expect(names).toEqual(
        new Set(['AWS::Region', 'ReplicationOverRpoAlarm.Arn', 'ReplicationMonitorLogGroup']),
      );
      expect(resource('ReplicationMonitorLogGroup').Type).toBe('AWS::Logs::LogGroup');
      expect(JSON.stringify(dashboard().Properties?.DashboardName)).toContain(
        'dr-autopilot-test-replication-',
      );
    });

    it('graphs per-workload series the monitor publishes, for this deployment', () => {
      const expressions = body()
        .widgets.filter((widget) => widget.type === 'metric' && widget.properties.metrics)
        .map((widget) => widget.properties.metrics[0][0].expression as string);

      expect(expressions).toHaveLength(2);
      for (const expression of expressions) {
        expect(expression).toContain('{DrAutopilot,Deployment,Workload,service}');
        expect(expression).toContain('Deployment="dr-autopilot-test"');
        const name = /MetricName="(\w+)"/.exec(expression)?.[1];
        // Only the per-workload series the default deployment publishes (a removed one would graph nothing).
        expect(WORKLOAD_METRICS as readonly string[]).toContain(name);
      }
      const alarmWidget = body().widgets.find((widget) => widget.properties.annotations);
      expect(alarmWidget?.properties.annotations.alarms).toHaveLength(1);
    });

    it('shows per-server values with the Logs Insights query docs/replication-monitor.md documents', () => {
      // Prepare: the documented query is the code block after the per-server-query anchor.
      const docs = readFileSync(new URL('../../docs/replication-monitor.md', import.meta.url), 'utf8');
      const documented = /<a id="per-server-query"><\/a>\s*```\n([\s\S]*?)```/.exec(docs)?.[1] ?? '';
      const oneLine = (query: string) => query.replace(/\s*\n\s*/g, ' ').trim();

      // Act
      const widget = body().widgets.find((candidate) => candidate.type === 'log');

      // Assess
      expect(documented).toContain(`filter message = "${RESOURCE_DETAIL_MESSAGE}"`);
      expect(widget?.properties.query).toBe(`SOURCE 'SUBSTITUTED' | ${oneLine(documented)}`);
    });
  });
});
