import { describe, expect, it } from 'vitest';
import { checkExpectation, type Expectation, parseScenario } from '../../../sim/scenario-runner.ts';
import type { SimRegion, Simulator } from '../../../sim/simulator.ts';
import type { SnsMessage } from '../../../sim/sns.ts';

/**
 * The `sns` expectation's `topic`, `json` and `noAttributes`, and the `event` expectation: what scenario 05 uses to
 * prove on-call was told by CloudWatch. Checked against a Region holding known messages and events.
 */

const TOPIC = 'arn:aws:sns:us-west-2:111122223333:dr-autopilot-sim-readiness';
const OTHER_TOPIC = 'arn:aws:sns:us-west-2:111122223333:other';
const ALARM_ARN = 'arn:aws:cloudwatch:us-west-2:111122223333:alarm:dr-autopilot-sim-failed-invocations';

function simulatorWith(messages: SnsMessage[], events: { bus: string; event: Record<string, unknown> }[]) {
  const region = {
    name: 'us-west-2',
    deployment: {
      topics: [
        { logicalId: 'ReadinessTopic', arn: TOPIC, name: 'dr-autopilot-sim-readiness' },
        { logicalId: 'OtherTopic', arn: OTHER_TOPIC, name: 'other' },
      ],
    },
    sns: { messages },
    eventBridge: { events },
  } as unknown as SimRegion;
  return {
    regions: new Map([['us-west-2', region]]),
    region: () => region,
    functionNamed: () => ({}),
  } as unknown as Simulator;
}

const alarmNotification: SnsMessage = {
  messageId: 'm-1',
  topicArn: TOPIC,
  subject: 'ALARM: "dr-autopilot-sim-failed-invocations" in US West (Oregon)',
  message: JSON.stringify({
    default: JSON.stringify({ NewStateValue: 'ALARM', Trigger: { Namespace: 'AWS/SQS', Period: 300 } }),
    email: 'You are receiving this email because …',
  }),
  messageStructure: 'json',
  attributes: {},
};
const readinessMessage: SnsMessage = {
  messageId: 'm-2',
  topicArn: OTHER_TOPIC,
  subject: '[NOT READY] sim/payments',
  message: JSON.stringify({ NewStateValue: 'ALARM', workload: 'payments' }),
  attributes: { severity: { dataType: 'String', value: 'critical' } },
};
const stateChange = {
  bus: 'default',
  event: {
    source: 'aws.cloudwatch',
    'detail-type': 'CloudWatch Alarm State Change',
    resources: [ALARM_ARN],
    detail: { alarmName: 'dr-autopilot-sim-failed-invocations', state: { value: 'ALARM', reason: 'x' } },
  },
};

function check(expectation: unknown) {
  const sim = simulatorWith([alarmNotification, readinessMessage], [stateChange]);
  const [parsed] = parseScenario({
    name: 'probe',
    title: 'probe',
    description: 'probe',
    steps: [{ say: 'x' }],
    expect: [expectation],
  }).expect as [Expectation];
  return checkExpectation(sim, parsed, new Map());
}

describe('scenario expectations on SNS messages and events', () => {
  it.each([
    ['a topic by logical id', { topic: 'ReadinessTopic' }, 1],
    ['a topic by name', { topic: 'other' }, 1],
    ['a topic the deployment lacks', { topic: 'NoSuchTopic' }, 0],
    [
      "the JSON a subscriber gets, from MessageStructure=json's default",
      { json: { NewStateValue: 'ALARM' } },
      2,
    ],
    ['nested JSON fields', { json: { Trigger: { Namespace: 'AWS/SQS' } } }, 1],
    ['JSON fields with another value', { json: { Trigger: { Namespace: 'AWS/SNS' } } }, 0],
    ['no message attributes', { noAttributes: true }, 1],
    ['all together', { topic: 'ReadinessTopic', json: { NewStateValue: 'ALARM' }, noAttributes: true }, 1],
    ['attributes on another topic', { topic: 'ReadinessTopic', attributes: { severity: 'critical' } }, 0],
  ])('sns: %s', (_, sns, matching) => {
    // Act
    const result = check({ sns, count: matching });

    // Assess
    expect(result).toMatchObject({
      status: 'pass',
      detail: `${matching} (expected ${matching}); 2 message(s) in all`,
    });
  });

  it.each([
    ['source and detail-type', {}, 1],
    ['a resource', { resources: ':alarm:dr-autopilot-[a-z]+-failed-invocations$' }, 1],
    ['another resource', { resources: ':alarm:other$' }, 0],
    ['detail fields', { detail: { state: { value: 'ALARM' } } }, 1],
    ['other detail', { detail: { state: { value: 'OK' } } }, 0],
    ['another bus', { bus: 'dr-autopilot-sim' }, 0],
  ])('event: %s', (_, fields, matching) => {
    // Act
    const result = check({
      event: { source: 'aws.cloudwatch', detailType: 'CloudWatch Alarm State Change', ...fields },
      count: matching,
    });

    // Assess
    expect(result).toMatchObject({ status: 'pass', detail: `${matching} (expected ${matching})` });
  });

  it('fails, saying what it saw, when the count is not met', () => {
    // Act
    const result = check({ sns: { topic: 'ReadinessTopic', subject: '^OK:' }, min: 1 });

    // Assess
    expect(result).toMatchObject({ status: 'fail', detail: '0 (expected at least 1); 2 message(s) in all' });
  });
});
