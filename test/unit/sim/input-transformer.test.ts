import { describe, expect, it } from 'vitest';
import type { AwsEvent } from '../../../sim/drs.ts';
import { transformInput } from '../../../sim/eventbridge.ts';

const event = {
  version: '0',
  id: 'e-1',
  'detail-type': 'CloudWatch Alarm State Change',
  source: 'aws.cloudwatch',
  account: '111122223333',
  time: '2026-11-29T10:00:00Z',
  region: 'us-east-1',
  resources: ['arn:aws:cloudwatch:us-east-1:111122223333:alarm:a'],
  detail: { alarmName: 'a', state: { value: 'ALARM', reason: 'said "no"' }, count: 3 },
} as unknown as AwsEvent;

describe("the simulator's EventBridge input transformer", () => {
  it('fills a quoted string template as EventBridge does: strings bare, other values as JSON, nothing escaped', () => {
    const text = transformInput(
      event,
      {
        pathsMap: {
          alarm: '$.detail.alarmName',
          reason: '$.detail.state.reason',
          count: '$.detail.count',
          first: '$.resources[0]',
        },
        template: '"<alarm> <reason> <count> <first> <aws.events.rule-name>"',
      },
      'my-rule',
    );

    expect(text).toBe('"a said "no" 3 arn:aws:cloudwatch:us-east-1:111122223333:alarm:a my-rule"');
  });

  it('leaves out a variable whose path is not in the event, and keeps text that is no variable', () => {
    const text = transformInput(
      event,
      {
        pathsMap: { missing: '$.detail.previousState.value' },
        template: '"was <missing>, <not-a-variable>"',
      },
      'r',
    );

    expect(text).toBe('"was , <not-a-variable>"');
  });

  it('refuses JSON path syntax it does not simulate', () => {
    expect(() => transformInput(event, { pathsMap: { x: '$..alarmName' }, template: '<x>' }, 'r')).toThrow(
      /not simulated/,
    );
  });
});
