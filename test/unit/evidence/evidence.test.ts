import { describe, expect, it } from 'vitest';
import {
  createSignal,
  SIGNAL_TYPES,
  type Signal,
  type SignalInput,
} from '../../../events/dr-autopilot/signal.ts';
import { recordingPublisher } from '../../../src/app/evidence-recording.ts';
import { type EvidenceRecord, evidenceFromSignal } from '../../../src/domain/evidence.ts';
import type { EvidenceLedger } from '../../../src/ports/evidence.ts';
import { CapturingSignalPublisher } from '../../fakes/signals.ts';

const ACCOUNT = '111122223333';
const at = '2026-11-22T10:00:00.000Z';
const context = { recordedBy: 'test', recordedAt: '2026-11-22T10:05:00.000Z', trigger: 'event' as const };

function signal(
  type: SignalInput['type'],
  evidence: SignalInput['evidence'],
  extra: Partial<SignalInput> = {},
) {
  return createSignal({
    type,
    resource: { type: 'drs-source-server', id: 's-1', region: 'us-west-2', account: ACCOUNT },
    workload: 'payments',
    observedAt: at,
    severity: 'info',
    summary: 'something happened',
    evidence,
    dryRun: false,
    correlationId: 'event-1',
    ...extra,
  });
}

const launch = (type: SignalInput['type'], purpose: string) =>
  signal(type, {
    jobId: 'drsjob-1',
    sourceServerId: 's-1',
    launchKind: purpose.includes('drill') ? 'drill' : 'recovery',
    launchPurpose: purpose,
    launchStartedAt: '2026-11-22T09:50:00Z',
    launchEndedAt: '2026-11-22T09:58:00Z',
    launchSeconds: 480,
    pointInTime: '2026-11-22T09:45:00Z',
    dataAgeSeconds: 300,
    rtoSeconds: 3600,
    rpoSeconds: 240,
  });

describe('evidenceFromSignal: which signals are evidence, under which id', () => {
  it.each([
    [
      'a real recovery launch',
      launch(SIGNAL_TYPES.recoveryLaunchSucceeded, 'recovery'),
      'launch#drsjob-1#s-1',
      'succeeded',
    ],
    ['a drill', launch(SIGNAL_TYPES.recoveryLaunchSucceeded, 'drill'), 'launch#drsjob-1#s-1', 'succeeded'],
    [
      'a failback',
      launch(SIGNAL_TYPES.recoveryLaunchSucceeded, 'failback'),
      'launch#drsjob-1#s-1',
      'succeeded',
    ],
    [
      'a failback drill',
      launch(SIGNAL_TYPES.recoveryLaunchSucceeded, 'failback-drill'),
      'launch#drsjob-1#s-1',
      'succeeded',
    ],
    [
      'a failed launch',
      launch(SIGNAL_TYPES.recoveryLaunchFailed, 'recovery'),
      'launch#drsjob-1#s-1',
      'failed',
    ],
    [
      'a reversal',
      signal(SIGNAL_TYPES.reversedReplicationStarted, {
        jobId: 'drsjob-1',
        recoveryInstanceId: 'i-1',
        direction: 'failover',
      }),
      'reversal#i-1#drsjob-1',
      'succeeded',
    ],
    [
      'a re-protection',
      signal(SIGNAL_TYPES.reversedReplicationStarted, {
        jobId: 'drsjob-2',
        recoveryInstanceId: 'i-2',
        direction: 'failback',
      }),
      're-protection#i-2#drsjob-2',
      'succeeded',
    ],
    [
      'a reversal found already started (re-signalled by the retry whose first attempt lost its answer)',
      signal(SIGNAL_TYPES.reversedReplicationStarted, {
        jobId: 'drsjob-1',
        recoveryInstanceId: 'i-1',
        direction: 'failover',
        confirmedBy: 'found already reversed (INITIATING, FAILBACK_NOT_READY_FOR_LAUNCH)',
      }),
      'reversal#i-1#drsjob-1',
      'succeeded',
    ],
    [
      'a reversal given up',
      signal(SIGNAL_TYPES.reverseReplicationSkipped, {
        jobId: 'drsjob-1',
        recoveryInstanceId: 'i-1',
        reason: 'reversal-gave-up',
      }),
      'reversal#i-1#drsjob-1#gave-up',
      'failed',
    ],
    [
      'an undeclared failback left unprotected',
      signal(SIGNAL_TYPES.reverseReplicationSkipped, { jobId: 'drsjob-2', reason: 'failback-undeclared' }),
      're-protection#s-1#drsjob-2#failback-undeclared',
      'not-done',
    ],
    [
      'a lifecycle stage',
      signal(SIGNAL_TYPES.lifecycleStageChanged, { stage: 'failed-back', since: '2026-11-22T08:00:00Z' }),
      'lifecycle#s-1#failed-back#2026-11-22T08:00:00Z',
      'observed',
    ],
    [
      'a drill instance terminated',
      signal(
        SIGNAL_TYPES.drillInstanceChanged,
        { action: 'terminate', terminateJobId: 'drsjob-9' },
        {
          resource: { type: 'drs-drill-instance', id: 'i-9', region: 'us-west-2', account: ACCOUNT },
        },
      ),
      'cleanup#drill-terminate#i-9',
      'succeeded',
    ],
    [
      'a restore',
      signal(SIGNAL_TYPES.restoreStarted, { restoreJobId: 'rj-1', mode: 'keep' }),
      'restore#rj-1',
      'succeeded',
    ],
    [
      'a restore test',
      signal(SIGNAL_TYPES.restoreStarted, { restoreJobId: 'rj-2', mode: 'test' }),
      'restore-test#rj-2',
      'succeeded',
    ],
    [
      'a restore test cleaned up',
      signal(SIGNAL_TYPES.restoreCleanupFinished, { restoreJobId: 'rj-2', deleted: 'table/x' }),
      'cleanup#restore#rj-2',
      'succeeded',
    ],
    [
      'restore leftovers found by the reconciler',
      signal(
        SIGNAL_TYPES.reconcilerFinding,
        { check: 'restore-leftover', restoreJobId: 'rj-4' },
        { assessment: { state: 'AT_RISK', reason: 'leftovers' } },
      ),
      'finding#restore-leftover#rj-4',
      'observed',
    ],
    [
      'restore leftovers gone',
      signal(
        SIGNAL_TYPES.reconcilerFinding,
        { check: 'restore-leftover', restoreJobId: 'rj-4' },
        { assessment: { state: 'READY', reason: 'gone' } },
      ),
      'cleanup#restore-leftover#rj-4#gone',
      'observed',
    ],
    [
      'a validation that passed',
      signal(SIGNAL_TYPES.restoreTestResult, {
        restoreJobId: 'rj-2',
        verdict: 'passed',
        measuredRtoSeconds: 900,
        rtoSeconds: 3600,
      }),
      'validation#rj-2',
      'succeeded',
    ],
    [
      'a restore job that failed',
      signal(SIGNAL_TYPES.restoreTestResult, { restoreJobId: 'rj-3', status: 'FAILED' }),
      'validation#rj-3',
      'failed',
    ],
  ] as [string, Signal, string, string][])('%s', (_name, input, id, result) => {
    const record = evidenceFromSignal(input, context);
    expect(record).toMatchObject({ id, result, workload: 'payments', trigger: 'event', recordedBy: 'test' });
  });

  it.each([
    ['a replication sample', signal(SIGNAL_TYPES.replicationStatusChanged, { lag: 'PT1M' })],
    ['an alarm state', signal(SIGNAL_TYPES.alarmStateChanged, { alarm: 'x' })],
    ['a drill skip', signal(SIGNAL_TYPES.reverseReplicationSkipped, { reason: 'drill' })],
    [
      'an already-reversed skip (the started signal published with it is the record)',
      signal(SIGNAL_TYPES.reverseReplicationSkipped, { jobId: 'drsjob-1', reason: 'already-reversed' }),
    ],
    [
      'a deferred reversal (retried later)',
      signal(SIGNAL_TYPES.reverseReplicationSkipped, { reason: 'reversal-deferred' }),
    ],
    [
      'a dry-run',
      {
        ...launch(SIGNAL_TYPES.recoveryLaunchSucceeded, 'recovery'),
        detail: { ...launch(SIGNAL_TYPES.recoveryLaunchSucceeded, 'recovery').detail, dryRun: true },
      },
    ],
  ] as [string, Signal][])('%s is not evidence', (_name, input) => {
    expect(evidenceFromSignal(input, context)).toBeUndefined();
  });

  it('gives a launch its timings against the objectives: launch time against RTO, data age against RPO', () => {
    const record = evidenceFromSignal(launch(SIGNAL_TYPES.recoveryLaunchSucceeded, 'drill'), context);
    expect(record?.occurredAt).toBe('2026-11-22T09:50:00Z');
    expect(record?.timings).toEqual({
      startedAt: '2026-11-22T09:50:00Z',
      endedAt: '2026-11-22T09:58:00Z',
      measuredRtoSeconds: 480,
      rtoSeconds: 3600,
      rtoMet: true,
      dataAgeSeconds: 300,
      rpoSeconds: 240,
      rpoMet: false,
    });
  });

  it('keeps what a validation measured, as the validator judged it', () => {
    const record = evidenceFromSignal(
      signal(SIGNAL_TYPES.restoreTestResult, {
        restoreJobId: 'rj-2',
        verdict: 'passed',
        measuredRtoSeconds: 7200,
        rtoSeconds: 3600,
        rtoMet: false,
        recoveryPointAgeSeconds: 60,
        rpoSeconds: 900,
        rpoMet: true,
      }),
      context,
    );
    expect(record?.timings).toMatchObject({
      measuredRtoSeconds: 7200,
      rtoMet: false,
      dataAgeSeconds: 60,
      rpoMet: true,
    });
  });

  it('derives the same id whenever the same action is seen again, whatever the delivery', () => {
    const first = evidenceFromSignal(launch(SIGNAL_TYPES.recoveryLaunchSucceeded, 'recovery'), context);
    const redelivered = launch(SIGNAL_TYPES.recoveryLaunchSucceeded, 'recovery');
    redelivered.detail.correlationId = 'another-event-id';
    redelivered.detail.observedAt = '2026-11-22T11:00:00.000Z';
    expect(evidenceFromSignal(redelivered, { ...context, recordedAt: '2026-11-23T00:00:00Z' })?.id).toBe(
      first?.id,
    );
  });
});

class MemoryLedger implements EvidenceLedger {
  readonly records = new Map<string, EvidenceRecord>();
  failNext = false;
  async record(records: readonly EvidenceRecord[]) {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('DynamoDB unavailable');
    }
    for (const record of records) if (!this.records.has(record.id)) this.records.set(record.id, record);
  }
  async has(id: string) {
    return this.records.has(id);
  }
  async triggerOf(id: string) {
    return this.records.get(id)?.trigger;
  }
  async list() {
    return [...this.records.values()];
  }
}

describe('recordingPublisher', () => {
  const clock = () => new Date('2026-11-22T10:05:00Z');

  it('records the evidence before it publishes, with the trigger it was given', async () => {
    const ledger = new MemoryLedger();
    const bus = new CapturingSignalPublisher();
    const publisher = recordingPublisher({
      ledger,
      publisher: bus,
      recordedBy: 'reverse-replication',
      clock,
    });

    await publisher.as('schedule').publish([launch(SIGNAL_TYPES.recoveryLaunchSucceeded, 'recovery')]);

    expect([...ledger.records.values()]).toMatchObject([
      { id: 'launch#drsjob-1#s-1', trigger: 'schedule', recordedBy: 'reverse-replication' },
    ]);
    expect(bus.published).toHaveLength(1);
  });

  it('publishes nothing when the ledger cannot be written: the invocation fails and is retried', async () => {
    const ledger = new MemoryLedger();
    ledger.failNext = true;
    const bus = new CapturingSignalPublisher();
    const publisher = recordingPublisher({ ledger, publisher: bus, recordedBy: 'x', clock });

    await expect(
      publisher.publish([launch(SIGNAL_TYPES.recoveryLaunchSucceeded, 'recovery')]),
    ).rejects.toThrow(/unavailable/);
    expect(bus.published).toHaveLength(0);
    await publisher.publish([launch(SIGNAL_TYPES.recoveryLaunchSucceeded, 'recovery')]);
    expect(ledger.records.size).toBe(1);
    expect(bus.published).toHaveLength(1);
  });
});
