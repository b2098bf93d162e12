import { describe, expect, it } from 'vitest';
import { parseScheduledEvent, scheduledEventSchema } from '../../events/aws-events/scheduled-event.ts';
import { restoreJobStateChange } from '../../events/backup/restore-job-state-change.ts';
import { alarmStateChange } from '../../events/cloudwatch/alarm-state-change.ts';
import { parseSignalEvent } from '../../events/dr-autopilot/signal.ts';
import { launchResult } from '../../events/drs/launch-result.ts';
import { lifecycleTrigger } from '../../events/drs/lifecycle-trigger.ts';
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

/**
 * AWS names its own resources, in the account and Region that emitted the event: a schedule's rule ARN, a DRS
 * lifecycle trigger's ARNs and an alarm's ARN naming another account or Region are forged or misrouted, refused
 * naming the element (found by the bad-input suite: each was acted on).
 */
describe('resources in the event’s account and Region', () => {
  const scheduled = () => ({
    version: '0',
    id: '7bf73129-1428-4cd3-a780-95db273d1602',
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: '111122223333',
    time: '2026-11-29T12:00:00Z',
    region: 'us-west-2',
    resources: ['arn:aws:events:us-west-2:111122223333:rule/dr-autopilot-sim-replicationMonitor-rule-1'],
    detail: {},
  });
  const lifecycle = () =>
    loadSample<SampleEvent>('drs', 'recovery-instance-failback-state-change.failback-completed');
  const alarm = () => {
    // The sample's alarm ARN names its account and Region; the event's fields agree with it.
    const event = loadSample<SampleEvent>('cloudwatch', 'alarm-state-change.single-metric');
    expect(alarmStateChange.parse(event).id).toBe(event.id);
    return event;
  };
  const foreign = {
    account: (arn: string) => arn.replace(/^(arn:[^:]*:[^:]*:[^:]*:)\d+:/, '$1999988887777:'),
    Region: (arn: string) => arn.replace(/^(arn:[^:]*:[^:]*:)[^:]*:/, '$1eu-central-1:'),
  };

  it.each([
    ['a schedule', scheduled, (e: unknown) => parseScheduledEvent(e)],
    ['a DRS lifecycle trigger', lifecycle, (e: unknown) => lifecycleTrigger.parse(e)],
    ['an alarm', alarm, (e: unknown) => alarmStateChange.parse(e)],
  ] as const)('%s naming another account or Region is refused, naming resources.0', (_what, make, parse) => {
    expect(() => parse(make())).not.toThrow();
    for (const [name, change] of Object.entries(foreign)) {
      const event = make() as { resources: string[] };
      event.resources = [change(event.resources[0] as string)];

      expect(() => parse(event), name).toThrow(InvalidEventError);
      expect(() => parse(event), name).toThrow(/resources\.0: must be a resource of the event's account/);
    }
  });
});

/** Found by the bad-input suite: each of these was acted on (a sweep, a restore test run, a lifecycle sweep). */
describe('odd values the contracts refuse, naming the field', () => {
  const launch = () =>
    loadSample<SampleEvent>('drs', 'source-server-launch-result.recovery-launch-succeeded');
  const scheduled = () => ({
    version: '0',
    id: '7bf73129-1428-4cd3-a780-95db273d1602',
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: '111122223333',
    time: '2026-11-29T12:00:00Z',
    region: 'us-west-2',
    resources: ['arn:aws:events:us-west-2:111122223333:rule/dr-autopilot-sim-reconciler-rule-1'],
    detail: {} as unknown,
  });

  it.each([
    ['blank', ' \t '],
    ['a NUL', '7bf73129\u0000'],
    ['a right-to-left override', '\u202e7bf73129'],
    ['a lone surrogate', '7bf73129\ud83d'],
    ['look-alike letters', '7bf73129-аеор'],
  ])('an id with %s', (_what, id) => {
    expect(() => launchResult.parse({ ...launch(), id })).toThrow(/id: must be printable ASCII/);
    expect(() => parseScheduledEvent({ ...scheduled(), id })).toThrow(/id: must be printable ASCII/);
  });

  it('a resource ARN with a lone surrogate', () => {
    const event = scheduled();
    event.resources = [`${event.resources[0]}\ud83d`];

    expect(() => parseScheduledEvent(event)).toThrow(/resources\.0: must be well-formed Unicode/);
  });

  it('a schedule whose detail is not an object, or whose resource is not a rule', () => {
    expect(() => parseScheduledEvent(scheduled())).not.toThrow();
    expect(() => parseScheduledEvent({ ...scheduled(), detail: 42 })).toThrow(/detail: /);
    expect(() =>
      parseScheduledEvent({
        ...scheduled(),
        resources: ['\u202earn:aws:events:us-west-2:111122223333:rule/x'],
      }),
    ).toThrow(/resources: must list the schedule rule ARN/);
  });

  it('a DRS lifecycle trigger whose resource is not a DRS ARN', () => {
    const event = loadSample<SampleEvent>(
      'drs',
      'recovery-instance-failback-state-change.failback-completed',
    );
    expect(() => lifecycleTrigger.parse(event)).not.toThrow();
    event.resources = [`${(event.resources as string[])[0]}🔥`];

    expect(() => lifecycleTrigger.parse(event)).toThrow(
      /resources: must list DRS source-server or recovery-instance/,
    );
  });

  it('a restore job naming a resource of another account or Region (an ARN without them passes)', () => {
    const event = loadSample<SampleEvent>('backup', 'restore-job-state-change.failed');
    // The sample's AMI ARN names no account: it passes.
    expect(() => restoreJobStateChange.parse(event)).not.toThrow();
    const arn = (event.resources as string[])[0] as string;

    for (const foreign of [
      arn.replace(':us-west-2:', ':eu-central-1:'),
      arn.replace('::', ':999988887777:'),
    ]) {
      expect(() => restoreJobStateChange.parse({ ...event, resources: [foreign] })).toThrow(
        /resources\.0: must be a resource of the event's account/,
      );
    }
  });
});
