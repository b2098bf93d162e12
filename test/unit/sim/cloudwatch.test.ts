import { describe, expect, it } from 'vitest';
import {
  type AlarmStateValue,
  CloudWatchSim,
  type Datapoint,
  evaluateAlarm,
  sqsMetrics,
  topicKeyProblem,
} from '../../../sim/cloudwatch.ts';
import type { AwsEvent } from '../../../sim/drs.ts';
import { SnsSim } from '../../../sim/sns.ts';
import { SqsSim } from '../../../sim/sqs.ts';
import { type CfnTemplate, loadDeployment } from '../../../sim/template.ts';
import { SimWorld } from '../../../sim/world.ts';

/**
 * CloudWatch alarms of the simulator on SQS queue depth, evaluated as CloudWatch documents it: every minute, on
 * the periods ending at that minute, with `TreatMissingData` deciding only when datapoints are missing; and what a
 * state change does (the notification on the alarm's topics, the event on the default bus).
 */

const REGION = 'us-west-2';
const ACCOUNT = '111122223333';
const MINUTE = 60_000;
/** 2026-11-22T12:00:00Z, a minute boundary. */
const T0 = Date.UTC(2026, 10, 22, 12, 0, 0);

/** The key policy of infra/kms.yml, resolved: CloudWatch may use the topic's key, from this account. */
const KEY_POLICY = {
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'AccountAdministers',
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'],
      Resource: '*',
    },
    {
      Sid: 'AwsServicesPublishToTheTopic',
      Effect: 'Allow',
      Principal: { Service: ['cloudwatch.amazonaws.com', 'events.amazonaws.com'] },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Resource: '*',
      Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
    },
  ],
};

/** A deployment shaped like infra/machinery-alarms.yml and infra/messaging.yml (as `osls package` leaves them). */
function template(
  options: {
    treatMissingData?: string;
    retentionSeconds?: number;
    kmsMasterKeyId?: unknown;
    keyPolicy?: unknown;
  } = {},
): CfnTemplate {
  return {
    Resources: {
      DataKey: {
        Type: 'AWS::KMS::Key',
        Properties: { KeyPolicy: (options.keyPolicy ?? KEY_POLICY) as never },
      },
      ReadinessTopic: {
        Type: 'AWS::SNS::Topic',
        Properties: {
          TopicName: 'dr-autopilot-sim-readiness',
          KmsMasterKeyId: (options.kmsMasterKeyId ?? { Ref: 'DataKey' }) as never,
        },
      },
      FailedInvocationQueue: {
        Type: 'AWS::SQS::Queue',
        Properties: {
          QueueName: 'dr-autopilot-sim-failed-invocations',
          MessageRetentionPeriod: options.retentionSeconds ?? 1_209_600,
        },
      },
      FailedInvocationsAlarm: {
        Type: 'AWS::CloudWatch::Alarm',
        Properties: {
          AlarmName: 'dr-autopilot-sim-failed-invocations',
          AlarmDescription:
            'failed invocations wait. Runbook: docs/runbook.md#runbook-machinery-dead-letters',
          Namespace: 'AWS/SQS',
          MetricName: 'ApproximateNumberOfMessagesVisible',
          Dimensions: [
            { Name: 'QueueName', Value: { 'Fn::GetAtt': ['FailedInvocationQueue', 'QueueName'] } },
          ],
          Statistic: 'Maximum',
          Period: 300,
          EvaluationPeriods: 1,
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          TreatMissingData: options.treatMissingData ?? 'notBreaching',
          AlarmActions: [{ Ref: 'ReadinessTopic' }],
          OKActions: [{ Ref: 'ReadinessTopic' }],
        },
      },
      ReplicationOverRpoAlarm: {
        Type: 'AWS::CloudWatch::Alarm',
        Properties: {
          AlarmName: 'dr-autopilot-sim-replication-over-rpo',
          Namespace: 'DrAutopilot',
          MetricName: 'ResourcesOverRpo',
          Dimensions: [{ Name: 'service', Value: 'dr-autopilot' }],
          Statistic: 'Maximum',
          Period: 300,
          EvaluationPeriods: 2,
          DatapointsToAlarm: 2,
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          TreatMissingData: 'breaching',
          AlarmActions: [{ Ref: 'ReadinessTopic' }],
        },
      },
    },
  };
}

/** A fresh Region: its queues, SNS, CloudWatch (alarms set up at T0), and the events CloudWatch emitted. */
function region(options: Parameters<typeof template>[0] = {}) {
  const deployment = loadDeployment(template(options), { region: REGION, account: ACCOUNT });
  const world = new SimWorld();
  const sqs = new SqsSim(deployment.queues);
  const sns = new SnsSim(world, new Set(deployment.topics.map((topic) => topic.arn)), REGION);
  const events: Omit<AwsEvent, 'id' | 'version'>[] = [];
  const cloudWatch = new CloudWatchSim(world, deployment, {
    metrics: sqsMetrics(sqs),
    sns,
    putEvent: (event) => events.push(event),
  });
  cloudWatch.reset(T0);
  const queueArn = deployment.queues[0]?.arn as string;
  const alarm = () => cloudWatch.alarmNamed('FailedInvocationsAlarm');
  /** Every evaluation up to `until`: the minutes at which the alarm changed state, and to what. */
  const evaluateUntil = (until: number) => {
    const changes: [number, AlarmStateValue][] = [];
    for (const at of cloudWatch.dueBy(until)) {
      if (cloudWatch.evaluateAt(at) > 0) changes.push([at - T0, alarm()?.state as AlarmStateValue]);
    }
    return changes;
  };
  return { world, deployment, sqs, sns, events, cloudWatch, queueArn, alarm, evaluateUntil };
}

const notification = (message: { message: string }) => {
  const body = JSON.parse(message.message) as { default: string; email: string };
  return { json: JSON.parse(body.default) as Record<string, unknown>, email: body.email };
};

describe('CloudWatch alarms on SQS queue depth', () => {
  it('stays OK while the queue is empty, and tells nobody', () => {
    // Prepare
    const { alarm, evaluateUntil, sns, events } = region();

    // Act: two hours of evaluations
    const changes = evaluateUntil(T0 + 120 * MINUTE);

    // Assess
    expect(alarm()?.state).toBe('OK');
    expect(alarm()?.reason).toBe(
      'Threshold Crossed: no datapoints were received for 1 period and 1 missing datapoint was treated as [NonBreaching].',
    );
    expect(changes).toEqual([]);
    expect(sns.messages).toEqual([]);
    expect(events).toEqual([]);
  });

  it('goes to ALARM once a minute in which SQS sampled the message has been evaluated, and tells the topic once', () => {
    // Prepare: a dead letter at 12:00:30; SQS samples it at 12:01:00
    const { alarm, evaluateUntil, sqs, queueArn, sns, deployment } = region();
    sqs.send(queueArn, '{"requestPayload":{}}', T0 + 30_000);

    // Act
    const atFirstMinute = evaluateUntil(T0 + MINUTE);
    const afterwards = evaluateUntil(T0 + 60 * MINUTE);

    // Assess: not at 12:01 (the period ending then holds no sample of it), at 12:02, and only then
    expect(atFirstMinute).toEqual([]);
    expect(afterwards).toEqual([[2 * MINUTE, 'ALARM']]);
    expect(alarm()?.reason).toBe(
      'Threshold Crossed: 1 out of the last 1 datapoints [1.0 (22/11/26 11:57:00)] was greater than or equal to the threshold (1.0) (minimum 1 datapoint for OK -> ALARM transition).',
    );
    expect(sns.messages).toHaveLength(1);
    const [message] = sns.messages;
    expect(message).toMatchObject({
      topicArn: deployment.topics[0]?.arn,
      subject: 'ALARM: "dr-autopilot-sim-failed-invocations" in US West (Oregon)',
      messageStructure: 'json',
      attributes: {},
    });
    const { json, email } = notification(message as { message: string });
    expect(json).toEqual({
      AlarmName: 'dr-autopilot-sim-failed-invocations',
      AlarmDescription: 'failed invocations wait. Runbook: docs/runbook.md#runbook-machinery-dead-letters',
      AWSAccountId: ACCOUNT,
      AlarmConfigurationUpdatedTimestamp: '2026-11-22T12:00:00.000+0000',
      NewStateValue: 'ALARM',
      NewStateReason: alarm()?.reason,
      StateChangeTime: '2026-11-22T12:02:00.000+0000',
      Region: 'US West (Oregon)',
      AlarmArn: `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:dr-autopilot-sim-failed-invocations`,
      OldStateValue: 'OK',
      OKActions: [deployment.topics[0]?.arn],
      AlarmActions: [deployment.topics[0]?.arn],
      InsufficientDataActions: [],
      Trigger: {
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Namespace: 'AWS/SQS',
        StatisticType: 'Statistic',
        Statistic: 'MAXIMUM',
        Unit: null,
        Dimensions: [{ value: 'dr-autopilot-sim-failed-invocations', name: 'QueueName' }],
        Period: 300,
        EvaluationPeriods: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        Threshold: 1,
        TreatMissingData: '- TreatMissingData:                    notBreaching',
        EvaluateLowSampleCountPercentile: '',
      },
    });
    expect(email).toContain(
      'You are receiving this email because your Amazon CloudWatch Alarm "dr-autopilot-sim-failed-invocations" in the US West (Oregon) region has entered the ALARM state',
    );
    expect(email).toContain('at "Sunday 22 November, 2026 12:02:00 UTC"');
    expect(email).toContain('Runbook: docs/runbook.md#runbook-machinery-dead-letters');
  });

  it('emits the "CloudWatch Alarm State Change" event on a state change', () => {
    // Prepare
    const { evaluateUntil, sqs, queueArn, events } = region();
    sqs.send(queueArn, '{}', T0 + 30_000);

    // Act
    evaluateUntil(T0 + 10 * MINUTE);

    // Assess: the shape of AWS's sample events
    expect(events).toHaveLength(1);
    const [event] = events;
    expect(event).toMatchObject({
      source: 'aws.cloudwatch',
      'detail-type': 'CloudWatch Alarm State Change',
      account: ACCOUNT,
      region: REGION,
      time: '2026-11-22T12:02:00Z',
      resources: [`arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:dr-autopilot-sim-failed-invocations`],
      detail: {
        alarmName: 'dr-autopilot-sim-failed-invocations',
        configuration: {
          metrics: [
            {
              metricStat: {
                metric: {
                  dimensions: { QueueName: 'dr-autopilot-sim-failed-invocations' },
                  name: 'ApproximateNumberOfMessagesVisible',
                  namespace: 'AWS/SQS',
                },
                period: 300,
                stat: 'Maximum',
              },
              returnData: true,
            },
          ],
        },
        previousState: { value: 'OK', timestamp: '2026-11-22T12:00:00.000+0000' },
        state: { value: 'ALARM', timestamp: '2026-11-22T12:02:00.000+0000' },
      },
    });
    const state = event?.detail.state as { reasonData: string } | undefined;
    const reasonData = JSON.parse(state?.reasonData ?? '{}') as Record<string, unknown>;
    expect(reasonData).toMatchObject({
      version: '1.0',
      queryDate: '2026-11-22T12:02:00.000+0000',
      startDate: '2026-11-22T11:57:00.000+0000',
      statistic: 'Maximum',
      period: 300,
      recentDatapoints: [1],
      threshold: 1,
    });
  });

  it('returns to OK when the queue is drained, once no period in range holds the message', () => {
    // Prepare: the shortest retention SQS allows (60 s): the message is gone at 12:01:30
    const { alarm, evaluateUntil, sqs, queueArn, sns } = region({ retentionSeconds: 60 });
    sqs.send(queueArn, '{}', T0 + 30_000);

    // Act
    const changes = evaluateUntil(T0 + 60 * MINUTE);

    // Assess: ALARM at 12:02; OK at 12:07, when the 5-minute period ending then holds only zeros
    expect(changes).toEqual([
      [2 * MINUTE, 'ALARM'],
      [7 * MINUTE, 'OK'],
    ]);
    expect(alarm()?.reason).toMatch(/was not greater than or equal to the threshold \(1\.0\)/);
    expect(sns.messages.map((message) => message.subject)).toEqual([
      'ALARM: "dr-autopilot-sim-failed-invocations" in US West (Oregon)',
      'OK: "dr-autopilot-sim-failed-invocations" in US West (Oregon)',
    ]);
    expect(notification(sns.messages[1] as { message: string }).json).toMatchObject({
      NewStateValue: 'OK',
      OldStateValue: 'ALARM',
    });
  });

  it('predicts the next change without making it (what the runner lets time run for)', () => {
    // Prepare
    const { alarm, cloudWatch, sqs, queueArn, sns } = region();
    sqs.send(queueArn, '{}', T0 + 30_000);

    // Act
    const next = cloudWatch.nextChangeBy(T0 + cloudWatch.horizonMs);

    // Assess: 12:02, and nothing changed yet; an empty world predicts nothing
    expect(next).toBe(T0 + 2 * MINUTE);
    expect(alarm()?.state).toBe('OK');
    expect(sns.messages).toEqual([]);
    expect(region().cloudWatch.nextChangeBy(T0 + 24 * 60 * MINUTE)).toBeUndefined();
  });

  describe('TreatMissingData', () => {
    it('missing: an idle empty queue publishes nothing, so the alarm has insufficient data', () => {
      // Prepare / Act
      const { alarm } = region({ treatMissingData: 'missing' });

      // Assess
      expect(alarm()?.state).toBe('INSUFFICIENT_DATA');
      expect(alarm()?.reason).toBe('Insufficient Data: 3 datapoints were unknown.');
    });

    it('missing: goes back to INSUFFICIENT_DATA six hours after the queue was last touched, notBreaching to OK', () => {
      // Prepare: a message that expires after a minute; SQS reports zeros while the queue is active
      const missing = region({ treatMissingData: 'missing', retentionSeconds: 60 });
      const notBreaching = region({ treatMissingData: 'notBreaching', retentionSeconds: 60 });
      for (const { sqs, queueArn } of [missing, notBreaching]) sqs.send(queueArn, '{}', T0 + 30_000);

      // Act
      const changes = missing.evaluateUntil(T0 + 8 * 60 * MINUTE);
      const otherChanges = notBreaching.evaluateUntil(T0 + 8 * 60 * MINUTE);

      // Assess: the last sample is 18:00 (6 h after the SendMessage at 12:00:30, the queue's last API action);
      // the 15-minute evaluation range holds none from 18:16
      expect(changes).toEqual([
        [2 * MINUTE, 'ALARM'],
        [7 * MINUTE, 'OK'],
        [(6 * 60 + 16) * MINUTE, 'INSUFFICIENT_DATA'],
      ]);
      expect(otherChanges).toEqual([
        [2 * MINUTE, 'ALARM'],
        [7 * MINUTE, 'OK'],
      ]);
      expect(missing.sns.messages.map((message) => message.subject?.split(':')[0])).toEqual(['ALARM', 'OK']);
    });

    it('breaching: an idle empty queue is an alarm from the start, without a notification', () => {
      // Prepare / Act
      const { alarm, evaluateUntil, sns } = region({ treatMissingData: 'breaching' });

      // Assess
      expect(alarm()?.state).toBe('ALARM');
      expect(evaluateUntil(T0 + 60 * MINUTE)).toEqual([]);
      expect(sns.messages).toEqual([]);
    });

    const point = (symbol: string): Datapoint | undefined =>
      symbol === '-' ? undefined : { timestamp: 0, value: symbol === 'X' ? 5 : 0, sampleCount: 1 };
    const rule = (treatMissingData: string, datapointsToAlarm: number) => ({
      evaluationPeriods: 3,
      datapointsToAlarm,
      threshold: 3,
      comparisonOperator: 'GreaterThanThreshold',
      treatMissingData,
    });
    const RETAIN = 'retain';
    // The CloudWatch User Guide's tables ("How alarm state is evaluated when data is missing"): 5 datapoints in
    // the evaluation range, oldest first; 0 not breaching, X breaching, - missing.
    it.each([
      [3, '0 - X - X', 'OK', 'OK', 'OK', 'OK'],
      [3, '0 - - - -', 'OK', 'OK', 'OK', 'OK'],
      [3, '- - - - -', 'INSUFFICIENT_DATA', RETAIN, 'ALARM', 'OK'],
      [3, '0 X X - X', 'ALARM', 'ALARM', 'ALARM', 'ALARM'],
      [3, '- - - - X', 'INSUFFICIENT_DATA', RETAIN, 'ALARM', 'OK'],
      [3, 'X - - - -', 'ALARM', RETAIN, 'ALARM', 'OK'],
      [2, '0 - X - X', 'ALARM', 'ALARM', 'ALARM', 'ALARM'],
      [2, '0 0 X 0 X', 'ALARM', 'ALARM', 'ALARM', 'ALARM'],
      [2, '0 - X - -', 'OK', 'OK', 'ALARM', 'OK'],
      [2, '- - - - 0', 'OK', 'OK', 'ALARM', 'OK'],
      [2, '- - - - X', 'INSUFFICIENT_DATA', RETAIN, 'ALARM', 'OK'],
    ])(
      '%i of 3, %s: missing %s, ignore %s, breaching %s, notBreaching %s',
      (toAlarm, points, ...expected) => {
        // Prepare
        const range = points.split(' ').map(point);
        const settings = ['missing', 'ignore', 'breaching', 'notBreaching'];

        // Act / Assess: `ignore` keeps whatever state the alarm is in
        for (const [index, setting] of settings.entries()) {
          for (const current of ['OK', 'ALARM'] as const) {
            const wanted = expected[index] === RETAIN ? current : expected[index];
            expect(
              evaluateAlarm(rule(setting, toAlarm), range, current).state,
              `${setting} from ${current}`,
            ).toBe(wanted);
          }
        }
      },
    );
  });

  it('does not evaluate an alarm on a metric no simulated service publishes, and says why', () => {
    // Prepare / Act
    const { cloudWatch, evaluateUntil, sns } = region();
    const rpo = cloudWatch.alarmNamed('dr-autopilot-sim-replication-over-rpo');

    // Assess: the custom metric (EMF) is not simulated; the alarm would otherwise page in every scenario
    expect(rpo?.notSimulated).toBe(
      'no simulated service publishes DrAutopilot/ResourcesOverRpo (service=dr-autopilot)',
    );
    expect(rpo?.state).toBe('INSUFFICIENT_DATA');
    evaluateUntil(T0 + 60 * MINUTE);
    expect(rpo?.state).toBe('INSUFFICIENT_DATA');
    expect(sns.messages).toEqual([]);
  });

  describe('an SSE-KMS topic', () => {
    it('gets nothing when its key does not let CloudWatch use it: the action fails in the alarm history', () => {
      // Prepare: the AWS managed key
      const { cloudWatch, evaluateUntil, sqs, queueArn, sns, world, events } = region({
        kmsMasterKeyId: 'alias/aws/sns',
      });
      sqs.send(queueArn, '{}', T0 + 30_000);

      // Act
      evaluateUntil(T0 + 10 * MINUTE);

      // Assess: the state changed and the event went out, the notification did not
      expect(cloudWatch.alarmNamed('FailedInvocationsAlarm')?.state).toBe('ALARM');
      expect(events).toHaveLength(1);
      expect(sns.messages).toEqual([]);
      expect(cloudWatch.history.map((item) => item.summary)).toEqual([
        'Alarm updated from OK to ALARM',
        expect.stringMatching(
          /^Failed to execute action arn:aws:sns:us-west-2:111122223333:dr-autopilot-sim-readiness\. Received error: "CloudWatch Alarms does not have authorization to access the SNS topic encryption key/,
        ),
      ]);
      expect(
        world.timeline.some((entry) => entry.kind === 'note' && /could not run the action/.test(entry.text)),
      ).toBe(true);
    });

    it.each([
      ['the key of infra/kms.yml', KEY_POLICY, undefined],
      [
        'a policy for the account only',
        { Statement: [KEY_POLICY.Statement[0]] },
        'its key policy does not allow cloudwatch.amazonaws.com kms:GenerateDataKey',
      ],
      [
        'a grant limited to another account',
        {
          Statement: [
            {
              Effect: 'Allow',
              Principal: { Service: 'cloudwatch.amazonaws.com' },
              Action: 'kms:*',
              Condition: { StringEquals: { 'aws:SourceAccount': '999999999999' } },
            },
          ],
        },
        'its key policy does not allow cloudwatch.amazonaws.com kms:GenerateDataKey',
      ],
      [
        'a wildcard grant',
        {
          Statement: { Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: 'kms:*' },
        },
        undefined,
      ],
      [
        'a deny',
        {
          Statement: [
            { Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: 'kms:*' },
            { Effect: 'Deny', Principal: '*', Action: 'kms:Decrypt' },
          ],
        },
        'its key policy denies cloudwatch.amazonaws.com kms:Decrypt',
      ],
    ])('%s', (_, keyPolicy, problem) => {
      // Prepare
      const { deployment } = region({ keyPolicy });
      const topic = deployment.topics[0];

      // Act
      const found =
        topic &&
        topicKeyProblem(topic, deployment.keys, 'cloudwatch.amazonaws.com', {
          account: ACCOUNT,
          sourceArn: deployment.alarms[0]?.arn ?? '',
        });

      // Assess
      expect(found).toBe(problem);
    });
  });
});
