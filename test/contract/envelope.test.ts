import { describe, expect, it } from 'vitest';
import { parseScheduledEvent, scheduledEventSchema } from '../../events/aws-events/scheduled-event.ts';
import { backupJobStateChange } from '../../events/backup/backup-job-state-change.ts';
import { copyJobStateChange } from '../../events/backup/copy-job-state-change.ts';
import { restoreJobStateChange } from '../../events/backup/restore-job-state-change.ts';
import { alarmStateChange } from '../../events/cloudwatch/alarm-state-change.ts';
import { parseSignalEvent, signalDetailSchema } from '../../events/dr-autopilot/signal.ts';
import { dataReplicationStalledChange } from '../../events/drs/data-replication-stalled-change.ts';
import { launchResult } from '../../events/drs/launch-result.ts';
import { lifecycleTrigger } from '../../events/drs/lifecycle-trigger.ts';
import { pitSnapshotTaken } from '../../events/drs/pit-snapshot-taken.ts';
import { recoveryInstanceFailbackStateChange } from '../../events/drs/recovery-instance-failback-state-change.ts';
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

  // The bundles carry zod/mini, which has no locale: every check of zod's own reads "Invalid input" there. The
  // refusal must still say what the field must be.
  it.each([
    [
      'a missing detail field',
      (e: SampleEvent) => Object.assign(e.detail, { state: undefined }),
      'detail.state: is required',
    ],
    [
      'a number for a string',
      (e: SampleEvent) => Object.assign(e, { account: 42 }),
      'account: must be a string',
    ],
    [
      'a time that is not ISO-8601',
      (e: SampleEvent) => Object.assign(e, { time: 'yesterday' }),
      'time: must be an ISO-8601 date and time such as 2026-01-31T12:00:00Z',
    ],
    [
      'an empty detail field',
      (e: SampleEvent) => Object.assign(e.detail, { state: '' }),
      'detail.state: must not be empty',
    ],
  ])('refuses %s saying what is accepted, not "Invalid input"', (_what, change, message) => {
    // Prepare
    const event = launch();
    change(event);

    // Act
    const parse = () => launchResult.parse(event);

    // Assess
    expect(parse).toThrow(message);
    expect(parse).not.toThrow(/Invalid input/);
  });

  it('names the accepted types of a union, and the accepted values of an enum', () => {
    // Prepare
    const signal = { id: 'signal-1', detail: { evidence: { ok: [1] }, severity: 'loud' } };

    // Act
    const parse = () => parseSignalEvent(signal);

    // Assess
    expect(parse).toThrow('detail.evidence.ok: must be a string, a number, true or false or null');
    expect(parse).toThrow('detail.severity: must be one of "info", "warning", "critical"');
  });

  it('bounds every contract the same way: alarms, signals, schedules', () => {
    const alarm = loadSample<SampleEvent>('cloudwatch', 'alarm-state-change.single-metric');
    alarm.id = '';
    expect(() => alarmStateChange.parse(alarm)).toThrow('id: must not be empty');
    expect(() => parseSignalEvent({ id: '' })).toThrow(/id: must not be empty/);
    const paths = scheduledEventSchema()
      .safeParse({ id: 'y'.repeat(257) })
      .error?.issues.map((i) => i.path);
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

/**
 * Found by the bad-input suite: a restore job whose resource ARN held a NUL or a right-to-left override was
 * accepted, and restore-validation went on to DescribeRestoreJob. No AWS ARN holds a control, bidirectional-control
 * or invisible character: every contract refuses one in `resources`, and in the ARNs of `detail` it reads.
 */
describe('ARNs with hidden characters', () => {
  const HIDDEN: [string, (arn: string) => string][] = [
    ['a NUL', (arn) => `${arn}\u0000`],
    ['a right-to-left override', (arn) => `\u202e${arn}`],
    ['a zero-width space', (arn) => arn.replace(':', ':\u200b')],
    ['a line break', (arn) => `${arn}\n`],
    ['a no-break space', (arn) => `${arn}\u00a0x`],
    ['a line separator', (arn) => `${arn}\u2028`],
    ['a byte-order mark', (arn) => `\ufeff${arn}`],
  ];
  const withResources: [string, string, string, (event: unknown) => unknown][] = [
    ['a restore job', 'backup', 'restore-job-state-change.completed', (e) => restoreJobStateChange.parse(e)],
    ['a backup job', 'backup', 'backup-job-state-change.completed', (e) => backupJobStateChange.parse(e)],
    ['a copy job', 'backup', 'copy-job-state-change.completed', (e) => copyJobStateChange.parse(e)],
    ['an alarm', 'cloudwatch', 'alarm-state-change.single-metric', (e) => alarmStateChange.parse(e)],
    [
      'a DRS launch',
      'drs',
      'source-server-launch-result.recovery-launch-succeeded',
      (e) => launchResult.parse(e),
    ],
    [
      'a DRS replication stall',
      'drs',
      'source-server-data-replication-stalled-change.stalled',
      (e) => dataReplicationStalledChange.parse(e),
    ],
    ['a DRS snapshot', 'drs', 'pit-snapshot-taken', (e) => pitSnapshotTaken.parse(e)],
    [
      'a DRS failback state change',
      'drs',
      'recovery-instance-failback-state-change.failback-completed',
      (e) => recoveryInstanceFailbackStateChange.parse(e),
    ],
    [
      'a DRS lifecycle trigger',
      'drs',
      'recovery-instance-failback-state-change.failback-completed',
      (e) => lifecycleTrigger.parse(e),
    ],
  ];

  it.each(withResources)(
    '%s whose resource ARN holds one is refused, naming resources.0',
    (_what, source, name, parse) => {
      // Prepare
      expect(() => parse(loadSample(source, name))).not.toThrow();
      for (const [hidden, change] of HIDDEN) {
        const event = loadSample<SampleEvent>(source, name);
        const resources = event.resources as string[];
        event.resources = [change(resources[0] as string), ...resources.slice(1)];

        // Act / Assess
        expect(() => parse(event), hidden).toThrow(InvalidEventError);
        expect(() => parse(event), hidden).toThrow(/resources\.0: /);
      }
    },
  );

  it('a schedule whose rule ARN holds one is refused, naming resources.0', () => {
    const event = {
      version: '0',
      id: '7bf73129-1428-4cd3-a780-95db273d1602',
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: '111122223333',
      time: '2026-11-29T12:00:00Z',
      region: 'us-west-2',
      resources: ['arn:aws:events:us-west-2:111122223333:rule/sweep\u0000'],
      detail: {},
    };

    expect(() => parseScheduledEvent(event)).toThrow(/resources\.0: must not hold control/);
  });

  it.each([
    [
      'restore-job-state-change.completed',
      'recoveryPointArn',
      (e: unknown) => restoreJobStateChange.parse(e),
    ],
    [
      'restore-job-state-change.completed',
      'createdResourceArn',
      (e: unknown) => restoreJobStateChange.parse(e),
    ],
    ['backup-job-state-change.completed', 'resourceArn', (e: unknown) => backupJobStateChange.parse(e)],
    [
      'copy-job-state-change.completed',
      'destinationBackupVaultArn',
      (e: unknown) => copyJobStateChange.parse(e),
    ],
    [
      'copy-job-state-change.completed',
      'destinationRecoveryPointArn',
      (e: unknown) => copyJobStateChange.parse(e),
    ],
  ])('%s whose detail.%s holds one is refused, naming the field', (name, field, parse) => {
    for (const [hidden, change] of HIDDEN) {
      const event = loadSample<SampleEvent>('backup', name);
      expect(typeof event.detail[field], `the sample carries ${field}`).toBe('string');
      event.detail[field] = change(event.detail[field] as string);

      expect(() => parse(event), hidden).toThrow(new RegExp(`detail\\.${field}: must not hold control`));
    }
  });

  it("a signal whose resource's ARN holds one is refused, naming the field", () => {
    const result = signalDetailSchema().shape.resource.safeParse({
      type: 'alarm',
      id: 'dr-autopilot:payments:lag',
      arn: 'arn:aws:cloudwatch:us-west-2:111122223333:alarm:dr-autopilot:payments:lag\u202e',
      region: 'us-west-2',
      account: '111122223333',
    });

    expect(result.error?.issues.map((issue) => issue.path)).toEqual([['arn']]);
  });

  it('an ARN with a plain space or an emoji passes: an alarm name may hold them', () => {
    const event = loadSample<SampleEvent>('cloudwatch', 'alarm-state-change.single-metric');
    event.detail.alarmName = 'dr-autopilot:payments:rpo lag 🔥';
    event.resources = [`arn:aws:cloudwatch:us-east-1:123456789012:alarm:${event.detail.alarmName}`];

    expect(alarmStateChange.parse(event).resources).toEqual(event.resources);
  });
});

/**
 * Found by the bad-input suite (seed 15): a restore job id with a lone surrogate reached DescribeRestoreJob, whose
 * request path the SDK could not encode (`URIError: URI malformed`). AWS Backup's job ids are UUIDs.
 */
describe('AWS Backup job ids', () => {
  it.each([
    ['restore-job-state-change.completed', 'restoreJobId', (e: unknown) => restoreJobStateChange.parse(e)],
    ['backup-job-state-change.completed', 'backupJobId', (e: unknown) => backupJobStateChange.parse(e)],
    ['copy-job-state-change.completed', 'copyJobId', (e: unknown) => copyJobStateChange.parse(e)],
  ])('%s with an odd detail.%s is refused, naming the field', (name, field, parse) => {
    expect(() => parse(loadSample('backup', name))).not.toThrow();
    for (const [odd, change] of [
      ['a lone surrogate', (id: string) => `${id}\ud83d`],
      ['a NUL', (id: string) => `${id}\u0000`],
      ['a right-to-left override', (id: string) => `\u202e${id}`],
      ['a space', (id: string) => `${id} `],
      ['look-alike letters', (id: string) => `${id}-аеор`],
    ] as const) {
      const event = loadSample<SampleEvent>('backup', name);
      event.detail[field] = change(event.detail[field] as string);

      expect(() => parse(event), odd).toThrow(new RegExp(`detail\\.${field}: must be printable ASCII`));
    }
  });
});
