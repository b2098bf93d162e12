import { describe, expect, it } from 'vitest';
import { dataReplicationStalledChange } from '../../events/drs/data-replication-stalled-change.ts';
import { launchResult } from '../../events/drs/launch-result.ts';
import { lifecycleTrigger } from '../../events/drs/lifecycle-trigger.ts';
import { pitSnapshotTaken } from '../../events/drs/pit-snapshot-taken.ts';
import { recoveryInstanceFailbackStateChange } from '../../events/drs/recovery-instance-failback-state-change.ts';
import { matchesPattern } from '../../sim/event-pattern.ts';
import { InvalidEventError } from '../../src/domain/errors.ts';
import { allSamples, loadSample, type SampleEvent } from '../helpers/events.ts';
import { loadPackagedTemplate, rulesTargeting } from '../helpers/package.ts';

const contracts = [
  {
    contract: launchResult,
    samples: [
      'source-server-launch-result.recovery-launch-succeeded',
      'source-server-launch-result.recovery-launch-failed',
    ],
  },
  {
    contract: dataReplicationStalledChange,
    samples: [
      'source-server-data-replication-stalled-change.stalled',
      'source-server-data-replication-stalled-change.not-stalled',
    ],
  },
  {
    contract: recoveryInstanceFailbackStateChange,
    samples: [
      'recovery-instance-failback-state-change.failback-in-progress',
      'recovery-instance-failback-state-change.failback-completed',
      'recovery-instance-failback-state-change.failback-error',
    ],
  },
  { contract: pitSnapshotTaken, samples: ['pit-snapshot-taken'] },
];

describe('DRS event contracts', () => {
  it('cover every DRS sample', () => {
    const covered = contracts.flatMap(({ samples }) => samples).sort();
    const present = allSamples()
      .filter((sample) => sample.source === 'drs')
      .map((sample) => sample.name)
      .sort();
    expect(covered).toEqual(present);
  });

  describe.each(contracts)('$contract.detailType', ({ contract, samples }) => {
    it.each(samples)('parses the AWS sample %s', (name) => {
      const event = contract.parse(loadSample('drs', name));
      expect(event['detail-type']).toBe(contract.detailType);
      expect(event.source).toBe('aws.drs');
    });

    it.each(samples)('its pattern matches %s', (name) => {
      expect(matchesPattern(contract.pattern, loadSample('drs', name))).toBe(true);
    });

    it('its pattern matches no other sample', () => {
      const others = allSamples().filter(
        (sample) => !(sample.source === 'drs' && samples.includes(sample.name)),
      );
      expect(
        others
          .filter((sample) => matchesPattern(contract.pattern, sample.event))
          .map((sample) => sample.name),
      ).toEqual([]);
    });

    it('rejects another detail-type, naming the field', () => {
      const event = loadSample<Record<string, unknown>>('drs', samples[0] ?? '');
      event['detail-type'] = 'Something Else';
      expect(() => contract.parse(event)).toThrow(InvalidEventError);
      expect(() => contract.parse(event)).toThrow(/detail-type/);
    });
  });

  it('keeps is-drill a string, as AWS sends it', () => {
    const event = launchResult.parse(
      loadSample('drs', 'source-server-launch-result.recovery-launch-succeeded'),
    );
    expect(event.detail['is-drill']).toBe('FALSE');
  });

  it('splits the comma-separated EbsSnapshotIDs', () => {
    expect(pitSnapshotTaken.parse(loadSample('drs', 'pit-snapshot-taken')).detail.EbsSnapshotIDs).toEqual([
      '445566',
      '778899',
    ]);
  });

  it('accepts real recovery-instance ids (i-…) as well as the sample’s ri-…', () => {
    const event = loadSample<Record<string, unknown>>(
      'drs',
      'recovery-instance-failback-state-change.failback-completed',
    );
    event.resources = ['arn:aws:drs:us-west-2:111122223333:recovery-instance/i-1234567890abcdef0'];
    expect(() => recoveryInstanceFailbackStateChange.parse(event)).not.toThrow();
  });

  it('tolerates fields AWS may add', () => {
    const event = loadSample<SampleEvent>('drs', 'source-server-launch-result.recovery-launch-succeeded');
    event.detail.newField = 'x';
    event['replay-name'] = 'replay';
    expect(() => launchResult.parse(event)).not.toThrow();
  });
});

describe('the packaged reverse-replication rule', () => {
  it('is the launch-result pattern, on the default bus, and matches exactly the launch-result samples', () => {
    // The other rule is the schedule that retries refused reversals.
    const rules = rulesTargeting(loadPackagedTemplate(), 'ReverseReplicationLambdaFunction').filter(
      (candidate) => candidate.pattern,
    );
    expect(rules).toHaveLength(1);
    const [rule] = rules;
    expect(rule?.pattern).toEqual(launchResult.pattern);
    expect(rule?.eventBusName).toBeUndefined();
    const matched = allSamples().filter(
      (sample) => rule?.pattern && matchesPattern(rule.pattern, sample.event),
    );
    expect(matched.map((sample) => sample.name).sort()).toEqual([
      'source-server-launch-result.recovery-launch-failed',
      'source-server-launch-result.recovery-launch-succeeded',
    ]);
  });
});

describe('the failback-lifecycle trigger', () => {
  const triggering = [
    'recovery-instance-failback-state-change.failback-completed',
    'recovery-instance-failback-state-change.failback-error',
    'recovery-instance-failback-state-change.failback-in-progress',
    'source-server-launch-result.recovery-launch-failed',
    'source-server-launch-result.recovery-launch-succeeded',
  ];

  it('matches exactly the launch-result and failback-state samples, and parses each', () => {
    const matched = allSamples().filter((sample) => matchesPattern(lifecycleTrigger.pattern, sample.event));
    expect(matched.map((sample) => sample.name).sort()).toEqual(triggering);
    for (const sample of matched) expect(() => lifecycleTrigger.parse(sample.event)).not.toThrow();
  });

  it('checks the envelope only: a detail it does not read never fails it, a wrong source does', () => {
    const event = loadSample<SampleEvent>('drs', 'source-server-launch-result.recovery-launch-succeeded');
    event.detail['job-id'] = 'not-a-job';
    expect(() => lifecycleTrigger.parse(event)).not.toThrow();
    expect(() => lifecycleTrigger.parse({ ...event, source: 'aws.backup' })).toThrow(InvalidEventError);
    expect(() => lifecycleTrigger.parse({ ...event, 'detail-type': 'DRS Snapshot Taken' })).toThrow(
      /detail-type/,
    );
  });

  it('is the pattern of the lifecycle’s rules on the default bus and on its own bus (forwarded events)', () => {
    const rules = rulesTargeting(loadPackagedTemplate(), 'FailbackLifecycleLambdaFunction').filter(
      (candidate) => candidate.pattern,
    );
    expect(rules).toHaveLength(2);
    for (const rule of rules) expect(rule.pattern).toEqual(lifecycleTrigger.pattern);
    expect(rules.filter((rule) => rule.eventBusName === undefined)).toHaveLength(1);
  });
});
