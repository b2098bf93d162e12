import { describe, expect, it } from 'vitest';
import { scheduledEventSchema } from '../../events/aws-events/scheduled-event.ts';
import { alarmStateChange } from '../../events/cloudwatch/alarm-state-change.ts';
import { parseSignalEvent } from '../../events/dr-autopilot/signal.ts';
import { launchResult } from '../../events/drs/launch-result.ts';
import { InvalidEventError } from '../../src/domain/errors.ts';
import { loadSample, type SampleEvent } from '../helpers/events.ts';

/** What every contract accepts is what dr-autopilot can carry on: bounded, refused naming the field. */
describe('the event envelope, bounded', () => {
  const launch = () =>
    loadSample<SampleEvent>('drs', 'source-server-launch-result.recovery-launch-succeeded');

  it.each([
    ['an empty id', (e: SampleEvent) => Object.assign(e, { id: '' }), 'id: must not be empty'],
    [
      'a 300,000-character id',
      (e: SampleEvent) => Object.assign(e, { id: 'x'.repeat(300_000) }),
      'id: must be at most 256 characters',
    ],
    [
      'an empty resources list',
      (e: SampleEvent) => Object.assign(e, { resources: [] }),
      'resources: resources[0] must be a DRS source-server ARN',
    ],
    [
      '101 resources',
      (e: SampleEvent) => Object.assign(e, { resources: Array(101).fill((e.resources as string[])[0]) }),
      'resources: must list at most 100 resources',
    ],
    [
      'a 3,000-character ARN',
      (e: SampleEvent) =>
        Object.assign(e, { resources: [(e.resources as string[])[0], `arn:aws:drs:${'x'.repeat(3000)}`] }),
      'resources.1: must be at most 2048 characters',
    ],
  ])('refuses %s, naming the field', (_what, change, message) => {
    const event = launch();
    change(event);

    expect(() => launchResult.parse(event)).toThrow(InvalidEventError);
    expect(() => launchResult.parse(event)).toThrow(message);
  });

  it('bounds every contract the same way: alarms, signals, schedules', () => {
    const alarm = loadSample<SampleEvent>('cloudwatch', 'alarm-state-change.single-metric');
    alarm.id = '';
    expect(() => alarmStateChange.parse(alarm)).toThrow('id: must not be empty');
    expect(() => parseSignalEvent({ id: '' })).toThrow(/id: must not be empty/);
    const paths = scheduledEventSchema.safeParse({ id: 'y'.repeat(257) }).error?.issues.map((i) => i.path);
    expect(paths).toContainEqual(['id']);
  });
});
