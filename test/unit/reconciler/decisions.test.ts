import { describe, expect, it } from 'vitest';
import {
  cleanupOverdueSince,
  reversalSignalOwned,
  selectLaunches,
  selectRecoveryPoint,
  selectRestoreJob,
} from '../../../src/domain/reconciler.ts';
import type { DrsJob } from '../../../src/ports/drs.ts';

const NOW = new Date('2026-11-22T12:00:00Z');
const GRACE = 1_800;
const I = 'i-0a1b2c3d4e5f60718';
const S = 's-12345678901234567';

function job(overrides: Partial<DrsJob> = {}): DrsJob {
  return {
    jobId: 'drsjob-04ca7d0d3fb6afa3e',
    type: 'LAUNCH',
    initiatedBy: 'START_RECOVERY',
    status: 'COMPLETED',
    creationDateTime: '2026-11-22T10:00:00Z',
    endDateTime: '2026-11-22T10:20:00Z',
    participatingServers: [{ sourceServerId: S, recoveryInstanceId: I, launchStatus: 'LAUNCHED' }],
    ...overrides,
  };
}
const waiting = {
  dataReplicationState: 'NOT_STARTED',
  failbackState: 'FAILBACK_NOT_STARTED',
  ec2InstanceState: 'RUNNING',
};

describe('selectLaunches', () => {
  it.each([
    ['a finished real recovery still waiting for its reversal', {}, waiting, false, 'hand-over'],
    ['a drill (START_DRILL)', { initiatedBy: 'START_DRILL' }, waiting, false, 'drill'],
    [
      'a launch for failback (FAILBACK initiator)',
      { initiatedBy: 'FAILBACK' },
      waiting,
      false,
      'not-a-recovery-job',
    ],
    ['a diagnostic launch', { initiatedBy: 'DIAGNOSTIC' }, waiting, false, 'not-a-recovery-job'],
    ['no initiator reported', { initiatedBy: undefined }, waiting, false, 'not-a-recovery-job'],
    ['a launch still running', { status: 'STARTED' }, waiting, false, 'launch-not-finished'],
    ['ended within the grace', { endDateTime: '2026-11-22T11:45:00Z' }, waiting, false, 'within-grace'],
    [
      'no end or creation time',
      { endDateTime: undefined, creationDateTime: undefined },
      waiting,
      false,
      'within-grace',
    ],
    [
      'the server failed to launch',
      { participatingServers: [{ sourceServerId: S, recoveryInstanceId: I, launchStatus: 'FAILED' }] },
      waiting,
      false,
      'not-launched',
    ],
    ['the instance is not visible', {}, undefined, false, 'instance-not-visible'],
    [
      'the instance is terminated',
      {},
      { ...waiting, ec2InstanceState: 'TERMINATED' },
      false,
      'instance-gone',
    ],
    ['its reversal started', {}, { ...waiting, dataReplicationState: 'INITIAL_SYNC' }, false, 'check-signal'],
    [
      'its failback is under way',
      {},
      { ...waiting, failbackState: 'FAILBACK_IN_PROGRESS' },
      false,
      'check-signal',
    ],
    ['a refused reversal is pending a retry', {}, waiting, true, 'pending-retry'],
    [
      'its retry reversed it (the retry schedule publishes its signal)',
      {},
      { ...waiting, dataReplicationState: 'INITIAL_SYNC' },
      true,
      'pending-retry',
    ],
  ])('%s → %s', (_case, overrides, instance, pending, expected) => {
    // Act
    const [selection] = selectLaunches({
      job: job(overrides as Partial<DrsJob>),
      instances: new Map(instance ? [[I, instance]] : []),
      pending: new Set(pending ? [I] : []),
      now: NOW,
      graceSeconds: GRACE,
    });

    // Assess
    expect(selection?.action === 'skip' ? selection.reason : selection?.action).toBe(expected);
  });

  it('selects nothing from jobs that are not launches (terminations)', () => {
    expect(
      selectLaunches({
        job: job({ type: 'TERMINATE', initiatedBy: 'TERMINATE_RECOVERY_INSTANCES' }),
        instances: new Map([[I, waiting]]),
        pending: new Set(),
        now: NOW,
        graceSeconds: GRACE,
      }),
    ).toEqual([]);
  });

  it('hands over the launch time of the job (its end), for the rebuilt event', () => {
    const [selection] = selectLaunches({
      job: job(),
      instances: new Map([[I, waiting]]),
      pending: new Set(),
      now: NOW,
      graceSeconds: GRACE,
    });
    expect(selection).toEqual({
      action: 'hand-over',
      jobId: 'drsjob-04ca7d0d3fb6afa3e',
      sourceServerId: S,
      recoveryInstanceId: I,
      launchedAt: '2026-11-22T10:20:00Z',
    });
  });
});

describe('reversalSignalOwned', () => {
  it.each([
    ['an event path recorded the reversal', 'event', undefined, true],
    ['a scheduled retry recorded it', 'schedule', undefined, true],
    ['a person recorded it', 'person', undefined, true],
    [
      'the reconciler recorded it (its hand-over may have failed before the signal)',
      'reconciler',
      undefined,
      false,
    ],
    ['the reconciler recorded it, after an event path had recorded the launch', 'reconciler', 'event', false],
    [
      'no reversal record, an event path decided the launch (a skip, then a person re-protected)',
      undefined,
      'event',
      true,
    ],
    ['no reversal record, the launch recorded by the reconciler', undefined, 'reconciler', false],
    [
      'nobody recorded anything (reversed outside dr-autopilot, or the records were lost)',
      undefined,
      undefined,
      false,
    ],
  ])('%s → owned: %s', (_case, reversal, launch, owned) => {
    expect(reversalSignalOwned({ reversal, launch })).toBe(owned);
  });
});

describe('selectRestoreJob', () => {
  const plan = 'arn:aws:backup:us-west-2:111122223333:restore-testing-plan:weekly-abc';
  it.each([
    ['a plan job without a record, finished long ago', { restoreTestingPlanArn: plan }, false, 'hand-over'],
    ['a plan job with a record (the sweep moves it)', { restoreTestingPlanArn: plan }, true, 'has-record'],
    ['our own job (it always has a record)', {}, true, 'has-record'],
    ['a job of someone else', {}, false, 'not-ours'],
    [
      'a plan job finished within the grace',
      { restoreTestingPlanArn: plan, completionDate: new Date('2026-11-22T11:50:00Z') },
      false,
      'within-grace',
    ],
    [
      'a plan job without a completion date',
      { restoreTestingPlanArn: plan, completionDate: undefined },
      false,
      'within-grace',
    ],
  ])('%s → %s', (_case, overrides, hasRecord, expected) => {
    const decision = selectRestoreJob(
      { completionDate: new Date('2026-11-22T09:00:00Z'), ...overrides },
      hasRecord,
      NOW,
      GRACE,
    );
    expect(decision.action === 'skip' ? decision.reason : decision.action).toBe(expected);
  });
});

describe('cleanupOverdueSince', () => {
  it.each([
    [
      'cleaning, 7 h past its deadline',
      { phase: 'cleaning', validationDeadline: '2026-11-22T05:00:00Z' },
      '2026-11-22T11:00:00.000Z',
    ],
    [
      'cleaning, 1 h past its deadline',
      { phase: 'cleaning', validationDeadline: '2026-11-22T11:00:00Z' },
      undefined,
    ],
    ['cleaning, no deadline: from its start', { phase: 'cleaning' }, '2026-11-22T07:00:00.000Z'],
    ['still validating', { phase: 'validating', validationDeadline: '2026-11-22T01:00:00Z' }, undefined],
    ['done', { phase: 'done', validationDeadline: '2026-11-22T01:00:00Z' }, undefined],
  ])('%s → %s', (_case, record, expected) => {
    expect(cleanupOverdueSince({ startedAt: '2026-11-22T01:00:00Z', ...record }, NOW, 6 * 3_600)).toBe(
      expected,
    );
  });
});

describe('selectRecoveryPoint', () => {
  it.each([
    [
      'completed long ago',
      { status: 'COMPLETED', completionDate: new Date('2026-11-22T08:00:00Z') },
      'hand-over',
    ],
    [
      'completed within the grace',
      { status: 'COMPLETED', completionDate: new Date('2026-11-22T11:55:00Z') },
      'within-grace',
    ],
    ['partial', { status: 'PARTIAL', completionDate: new Date('2026-11-22T08:00:00Z') }, 'not-completed'],
    ['no dates', { status: 'COMPLETED' }, 'within-grace'],
  ])('%s → %s', (_case, point, expected) => {
    const decision = selectRecoveryPoint(point, NOW, GRACE);
    expect(decision.action === 'skip' ? decision.reason : decision.action).toBe(expected);
  });
});
