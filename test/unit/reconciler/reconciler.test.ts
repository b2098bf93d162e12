import { beforeEach, describe, expect, it } from 'vitest';
import { SIGNAL_TYPES } from '../../../events/dr-autopilot/signal.ts';
import { recordingPublisher } from '../../../src/app/evidence-recording.ts';
import { type ReconcilerDeps, ReconcilerError, reconcile } from '../../../src/app/reconciler.ts';
import type { RestoreValidationDeps } from '../../../src/app/restore-validation.ts';
import type { EvidenceRecord } from '../../../src/domain/evidence.ts';
import type { ReportedLeftover } from '../../../src/ports/reconciler.ts';
import {
  FakeDrs,
  failoverSourceServer,
  JOB_ID,
  RECOVERY_INSTANCE_ID,
  recoveryInstance,
  recoveryJob,
  SOURCE_SERVER_ID,
} from '../../fakes/drs.ts';
import { FakeDeclarations, FakePendingReversals } from '../../fakes/failback.ts';
import { CapturingSignalPublisher } from '../../fakes/signals.ts';
import { memoryRecords, restoreRecord } from '../../helpers/backup-fixtures.ts';

/** DRS with the reconciler's listing and lookups on top of the event path's fake. */
class ReconcilerDrs extends FakeDrs {
  async *listJobsSince(from: Date) {
    yield this.jobs.filter((job) => Date.parse(job.creationDateTime ?? '') >= from.getTime());
  }
  async describeRecoveryInstances(ids: readonly string[]) {
    return this.recoveryInstances.filter((instance) => ids.includes(instance.recoveryInstanceId));
  }
  async describeJobs(ids: readonly string[]) {
    return this.jobs.filter((job) => ids.includes(job.jobId));
  }
}

const DRILL_JOB = 'drsjob-000000000000drill';
const DRILL_INSTANCE = 'i-0000000000000d111';
const OTHER_SERVER = 's-22222222222222222';
const OTHER_INSTANCE = 'i-0000000000000e222';
const OTHER_JOB = 'drsjob-00000000000000002';

describe('reconcile', () => {
  let drs: ReconcilerDrs;
  let signals: CapturingSignalPublisher;
  let pending: FakePendingReversals;
  let declarations: FakeDeclarations;
  let onceKeys: Map<string, unknown>;
  let remaining: number;
  let deps: ReconcilerDeps;
  let ledger: Map<string, EvidenceRecord>;
  const now = new Date('2026-11-22T12:00:00Z');
  /** A ledger record of `id` caused by `trigger` (all the reconciler reads of one). */
  const recorded = (id: string, trigger: EvidenceRecord['trigger']) =>
    ledger.set(id, { id, trigger } as EvidenceRecord);

  beforeEach(() => {
    drs = new ReconcilerDrs();
    drs.jobs = [
      recoveryJob({ creationDateTime: '2026-11-22T10:00:00Z', endDateTime: '2026-11-22T10:15:00Z' }),
    ];
    drs.sourceServers = [failoverSourceServer()];
    drs.recoveryInstances = [recoveryInstance()];
    signals = new CapturingSignalPublisher();
    pending = new FakePendingReversals();
    declarations = new FakeDeclarations();
    onceKeys = new Map();
    remaining = 600_000;
    const records = memoryRecords();
    ledger = new Map();
    deps = {
      ledger: {
        has: async (id) => ledger.has(id),
        triggerOf: async (id) => ledger.get(id)?.trigger,
        record: async (items) => {
          for (const item of items) if (!ledger.has(item.id)) ledger.set(item.id, item);
        },
      },
      drs,
      backup: {} as ReconcilerDeps['backup'],
      memory: {
        leftovers: async () => [],
        rememberLeftover: async () => {},
        forgetLeftover: async () => {},
      },
      once: async (key, run) => {
        if (onceKeys.has(key)) return onceKeys.get(key) as never;
        const result = await run();
        onceKeys.set(key, result);
        return result;
      },
      remainingMs: () => remaining,
      policy: {
        account: '111122223333',
        region: 'us-west-2',
        regionRole: 'primary',
        lookbackSeconds: 2 * 86_400,
        graceSeconds: 1_800,
        cleanupOverdueSeconds: 6 * 3_600,
        concurrency: 2,
        drVaultName: 'Default',
        reserveMs: 30_000,
      },
      reversal: {
        drs,
        signals,
        clock: () => now,
        dryRun: false,
        policy: { account: '111122223333', region: 'us-west-2', reverseFailbackInstances: true },
        declarations,
        pending,
        retryForSeconds: 3_600,
      },
      validation: { records } as unknown as RestoreValidationDeps,
      restore: {} as ReconcilerDeps['restore'],
    };
  });

  it('hands a real recovery whose Launch Result was lost to the use case: reversed once, signalled as from the reconciler', async () => {
    // Act
    const first = await reconcile({ id: 'run-1' }, deps);
    const second = await reconcile({ id: 'run-2' }, deps);

    // Assess
    expect(drs.reverseCalls).toEqual([RECOVERY_INSTANCE_ID]);
    expect(first.launches.handedOver).toEqual([
      { item: `${JOB_ID}/s-12345678901234567`, outcome: 'reverse-replication-started' },
    ]);
    expect(second.launches.handedOver).toEqual([]);
    // Its own hand-over reversed it: the once-guard remembers the hand-over completed, so nothing runs again.
    expect(second.launches.skipped).toEqual({ 'already-handed-over': 1 });
    const started = signals.published.filter(
      (signal) => signal.type === SIGNAL_TYPES.reversedReplicationStarted,
    );
    expect(started).toHaveLength(1);
    expect(started[0]?.detail.correlationId).toBe(`reconciler:launch:${JOB_ID}:s-12345678901234567`);
    expect(started[0]?.detail.observedAt).toBe('2026-11-22T10:15:00.000Z');
  });

  // Issue 14's lost signal: the reconciler's hand-over reversed the instance, then the evidence write (before
  // the signal) or PutEvents failed, and the invocation failed. Lambda's retry finds the instance reversed:
  // without the ledger check it skipped it for good and no Reversed Replication Started ever went out.
  it.each([
    ['the evidence write failed (no record)', 'ledger'],
    ['PutEvents failed after the evidence was recorded', 'bus'],
  ] as const)(
    'publishes the reversal signal on the retry when its own hand-over lost it: %s',
    async (_case, failing) => {
      // Prepare: the use case records evidence through the real recording publisher, as deployed
      const bus = new CapturingSignalPublisher();
      let failLedger = failing === 'ledger';
      deps.reversal.signals = recordingPublisher({
        ledger: {
          record: async (items) => {
            if (failLedger) {
              failLedger = false;
              throw Object.assign(new Error('We currently do not have sufficient capacity'), {
                name: 'InternalServerError',
              });
            }
            await deps.ledger.record(items);
          },
        },
        publisher: bus,
        recordedBy: 'reconciler',
        clock: () => now,
      }).as('reconciler');
      if (failing === 'bus') bus.failNext(new Error('PutEvents: InternalException'));

      // Act
      await expect(reconcile({ id: 'run-1' }, deps)).rejects.toBeInstanceOf(ReconcilerError);
      const retry = await reconcile({ id: 'run-1' }, deps);
      const later = await reconcile({ id: 'run-2' }, deps);

      // Assess: reversed once, its signal delivered once (by the retry), nothing more an hour later
      expect(drs.reverseCalls).toEqual([RECOVERY_INSTANCE_ID]);
      expect(retry.launches.handedOver).toEqual([
        { item: `${JOB_ID}/${SOURCE_SERVER_ID}`, outcome: 'skipped' },
      ]);
      const started = bus.published.filter(
        (signal) => signal.type === SIGNAL_TYPES.reversedReplicationStarted,
      );
      expect(started).toHaveLength(1);
      expect(started[0]?.detail.evidence).toMatchObject({
        recoveryInstanceId: RECOVERY_INSTANCE_ID,
        confirmedBy: expect.stringMatching(/^found already reversed/),
      });
      expect(ledger.get(`reversal#${RECOVERY_INSTANCE_ID}#${JOB_ID}`)).toMatchObject({
        trigger: 'reconciler',
      });
      expect(later.launches.handedOver).toEqual([]);
      expect(later.launches.skipped).toEqual({ 'already-handed-over': 1 });
    },
  );

  it('leaves an instance whose reversal an event path recorded: that path owns its signal', async () => {
    // Prepare: reversed, and recorded by reverse-replication (its own retries deliver the signal)
    drs.recoveryInstances = [recoveryInstance({ dataReplicationState: 'INITIAL_SYNC' })];
    recorded(`reversal#${RECOVERY_INSTANCE_ID}#${JOB_ID}`, 'event');

    // Act
    const outcome = await reconcile({ id: 'run-1' }, deps);

    // Assess
    expect(outcome.launches.handedOver).toEqual([]);
    expect(outcome.launches.skipped).toMatchObject({ 'already-reversed': 1 });
    expect(onceKeys.size).toBe(0);
    expect(
      signals.published.filter((signal) => signal.type === SIGNAL_TYPES.reversedReplicationStarted),
    ).toEqual([]);
  });

  it('leaves a launch an event path decided when a person reverses its instance later (a skipped failback, re-protected by hand)', async () => {
    // Prepare: the event path skipped the failback launch (reverseFailbackInstances off) and recorded the launch;
    // on-call then re-protected the instance in the console, as the skip told them to
    deps.reversal.policy.reverseFailbackInstances = false;
    drs.sourceServers = [failoverSourceServer({ replicationDirection: 'FAILBACK' })];
    drs.recoveryInstances = [recoveryInstance({ dataReplicationState: 'INITIAL_SYNC' })];
    recorded(`launch#${JOB_ID}#${SOURCE_SERVER_ID}`, 'event');

    // Act
    const outcome = await reconcile({ id: 'run-1' }, deps);

    // Assess: the event path's decision is not repeated late (no second "recovered but not protected")
    expect(outcome.launches.handedOver).toEqual([]);
    expect(outcome.launches.skipped).toEqual({ 'already-reversed': 1 });
    expect(onceKeys.size).toBe(0);
    expect(signals.published).toEqual([]);
  });

  it('looks up a re-protection as well as a reversal (a failback instance reversed by an event path)', async () => {
    // Prepare
    drs.recoveryInstances = [recoveryInstance({ dataReplicationState: 'INITIAL_SYNC' })];
    recorded(`re-protection#${RECOVERY_INSTANCE_ID}#${JOB_ID}`, 'event');

    // Act
    const outcome = await reconcile({ id: 'run-1' }, deps);

    // Assess
    expect(outcome.launches.skipped).toMatchObject({ 'already-reversed': 1 });
    expect(onceKeys.size).toBe(0);
    expect(signals.published).toEqual([]);
  });

  it('leaves a reversed instance with a pending retry record to the retry schedule', async () => {
    // Prepare: the scheduled retry reversed it; its own schedule publishes the signal
    drs.recoveryInstances = [recoveryInstance({ dataReplicationState: 'INITIAL_SYNC' })];
    await pending.record({
      recoveryInstanceId: RECOVERY_INSTANCE_ID,
      event: {},
      firstConflictAt: now.toISOString(),
      retryUntil: now.toISOString(),
      attempts: 2,
    });

    // Act
    const outcome = await reconcile({ id: 'run-1' }, deps);

    // Assess
    expect(outcome.launches.handedOver).toEqual([]);
    expect(outcome.launches.skipped).toMatchObject({ 'pending-retry': 1 });
    expect(signals.published).toEqual([]);
  });

  it('hands over once an instance reversed outside dr-autopilot whose launch nobody recorded, so its reversal is recorded', async () => {
    // Prepare: reversed by a person in the console; no record anywhere
    drs.recoveryInstances = [recoveryInstance({ dataReplicationState: 'INITIAL_SYNC' })];

    // Act
    const first = await reconcile({ id: 'run-1' }, deps);
    const second = await reconcile({ id: 'run-2' }, deps);

    // Assess
    expect(drs.reverseCalls).toEqual([]);
    expect(first.launches.handedOver).toEqual([
      { item: `${JOB_ID}/${SOURCE_SERVER_ID}`, outcome: 'skipped' },
    ]);
    expect(second.launches.skipped).toMatchObject({ 'already-handed-over': 1 });
    expect(
      signals.published.filter((signal) => signal.type === SIGNAL_TYPES.reversedReplicationStarted),
    ).toHaveLength(1);
  });

  // The safety rules: each case is one the reconciler must leave alone. The first is caught by the reconciler's
  // own selection (START_DRILL); the others only by the use case's guards, on API facts the reconciler does not
  // read: a reconciler that reversed by itself, or skipped the use case, reverses them.
  it.each([
    [
      'a drill (job START_DRILL)',
      () => {
        drs.jobs = [
          recoveryJob({ jobId: DRILL_JOB, initiatedBy: 'START_DRILL', endDateTime: '2026-11-22T10:15:00Z' }),
        ];
        drs.recoveryInstances = [recoveryInstance({ jobId: DRILL_JOB, isDrill: true })];
      },
    ],
    [
      'a recovery whose instance says isDrill (the APIs disagree: in doubt)',
      () => {
        drs.recoveryInstances = [recoveryInstance({ isDrill: true })];
      },
    ],
    [
      'a failback launch nobody declared',
      () => {
        drs.sourceServers = [failoverSourceServer({ replicationDirection: 'FAILBACK' })];
      },
    ],
    [
      'a recovery within one Region',
      () => {
        drs.sourceServers = [failoverSourceServer({ originRegion: 'us-west-2' })];
      },
    ],
  ])('never reverses %s', async (_case, arrange) => {
    // Prepare
    arrange();

    // Act
    await reconcile({ id: 'run-1' }, deps);

    // Assess
    expect(drs.reverseCalls).toEqual([]);
    expect(
      signals.published.filter((signal) => signal.type === SIGNAL_TYPES.reversedReplicationStarted),
    ).toEqual([]);
  });

  it('does not hand a drill to the use case at all, so no drill evidence is duplicated', async () => {
    // Prepare
    drs.jobs = [
      recoveryJob({ jobId: DRILL_JOB, initiatedBy: 'START_DRILL', endDateTime: '2026-11-22T10:15:00Z' }),
    ];
    drs.recoveryInstances = [
      recoveryInstance({ recoveryInstanceId: DRILL_INSTANCE, jobId: DRILL_JOB, isDrill: true }),
    ];

    // Act
    const outcome = await reconcile({ id: 'run-1' }, deps);

    // Assess: never reversed, never signalled; only its evidence, which its lost event would have recorded
    expect(outcome.launches.skipped).toEqual({ drill: 1, 'launch-recorded': 1 });
    expect(drs.reverseCalls).toEqual([]);
    expect(signals.published).toEqual([]);
    expect([...ledger.values()]).toMatchObject([
      {
        id: `launch#${DRILL_JOB}#${SOURCE_SERVER_ID}`,
        kind: 'drill',
        trigger: 'reconciler',
        timings: { endedAt: '2026-11-22T10:15:00Z', measuredRtoSeconds: 1200 },
      },
    ]);
    // The next hour reads the ledger and nothing else
    drs.readCalls.length = 0;
    await reconcile({ id: 'run-2' }, deps);
    expect(drs.readCalls).toEqual([]);
    expect(ledger.size).toBe(1);
  });

  it('hands a skipped launch over once: the use case is not asked again every hour', async () => {
    // Prepare
    drs.sourceServers = [failoverSourceServer({ replicationDirection: 'FAILBACK' })];

    // Act
    await reconcile({ id: 'run-1' }, deps);
    await reconcile({ id: 'run-2' }, deps);

    // Assess
    expect(
      signals.published.filter((signal) => signal.type === SIGNAL_TYPES.reverseReplicationSkipped),
    ).toHaveLength(1);
  });

  it('leaves a reversal with a pending retry to reverse-replication', async () => {
    // Prepare
    await pending.record({
      recoveryInstanceId: RECOVERY_INSTANCE_ID,
      event: {},
      firstConflictAt: now.toISOString(),
      retryUntil: now.toISOString(),
      attempts: 1,
    });

    // Act
    const outcome = await reconcile({ id: 'run-1' }, deps);

    // Assess
    expect(outcome.launches.skipped).toEqual({ 'pending-retry': 1, 'launch-recorded': 1 });
    expect(drs.reverseCalls).toEqual([]);
  });

  it('finishes the other items when one fails, then fails the run with every failure (Lambda retries, DLQ)', async () => {
    // Prepare
    drs.jobs.push(
      recoveryJob({
        jobId: OTHER_JOB,
        creationDateTime: '2026-11-22T10:00:00Z',
        endDateTime: '2026-11-22T10:15:00Z',
        participatingServers: [
          { sourceServerId: OTHER_SERVER, recoveryInstanceId: OTHER_INSTANCE, launchStatus: 'LAUNCHED' },
        ],
      }),
    );
    drs.sourceServers.push(failoverSourceServer({ sourceServerId: OTHER_SERVER }));
    drs.recoveryInstances.push(
      recoveryInstance({
        recoveryInstanceId: OTHER_INSTANCE,
        jobId: OTHER_JOB,
        sourceServerId: OTHER_SERVER,
      }),
    );
    drs.failNext(
      'reverseReplication',
      Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }),
    );

    // Act
    const run = reconcile({ id: 'run-1' }, deps);

    // Assess
    await expect(run).rejects.toBeInstanceOf(ReconcilerError);
    await expect(run).rejects.toThrow(/1 item\(s\) failed: Rate exceeded/);
    expect(drs.reverseCalls).toHaveLength(1);
    // The failed hand-over is not remembered: the next run retries it.
    const again = await reconcile({ id: 'run-2' }, deps);
    expect(again.launches.handedOver).toHaveLength(1);
    expect(drs.reverseCalls).toHaveLength(2);
  });

  it('stops starting items when the time runs short and says what is left for the next run', async () => {
    // Prepare
    remaining = 10_000;

    // Act
    const outcome = await reconcile({ id: 'run-1' }, deps);

    // Assess
    expect(outcome.incomplete).toBe(true);
    expect(outcome.launches.leftForNextRun).toBeGreaterThan(0);
    expect(drs.reverseCalls).toEqual([]);
  });

  it('runs only the launch check in the primary Region (restores run in the recovery Region)', async () => {
    const outcome = await reconcile({ id: 'run-1' }, deps);
    expect(outcome.restoreJobs).toBeUndefined();
    expect(outcome.recoveryPoints).toBeUndefined();
  });

  describe('restore leftovers (recovery Region)', () => {
    let remembered: Map<string, ReportedLeftover>;
    beforeEach(() => {
      remembered = new Map();
      deps.policy.regionRole = 'recovery';
      drs.jobs = [];
      const records = memoryRecords([
        restoreRecord({ phase: 'cleaning', validationDeadline: '2026-11-22T02:00:00Z', workload: 'orders' }),
      ]);
      deps.backup = {
        async *listRestoreJobs() {},
        async *listRecoveryPoints() {},
        describeRestoreJob: async (id: string) => ({
          restoreJobId: id,
          resourceType: 'DynamoDB',
          createdResourceArn: 'arn:aws:dynamodb:us-west-2:111122223333:table/dr-autopilot-0123456789ab',
        }),
      } as unknown as ReconcilerDeps['backup'];
      deps.memory = {
        leftovers: async () => [...remembered.values()],
        rememberLeftover: async (item) => {
          remembered.set(item.restoreJobId, item);
        },
        forgetLeftover: async (id) => {
          remembered.delete(id);
        },
      };
      deps.validation = {
        records,
        handlers: {
          DynamoDB: {
            inspect: async (arn: string) => ({
              type: 'DynamoDB',
              arn,
              id: 'dr-autopilot-0123456789ab',
              exists: true,
              tags: {},
              facts: {},
              related: [],
            }),
            tag: async () => {},
            delete: async () => 'waiting',
          },
        },
      } as unknown as RestoreValidationDeps;
    });

    it('reports a cleanup waiting far past its deadline once, naming what is left, and reports it gone once', async () => {
      // Act
      const first = await reconcile({ id: 'run-1' }, deps);
      const second = await reconcile({ id: 'run-2' }, deps);
      const records = deps.validation.records as ReturnType<typeof memoryRecords>;
      for (const record of records.all.values()) record.phase = 'done';
      const third = await reconcile({ id: 'run-3' }, deps);

      // Assess
      const findings = signals.published.filter((signal) => signal.type === SIGNAL_TYPES.reconcilerFinding);
      expect(first.leftovers?.reported).toHaveLength(1);
      expect(second.leftovers?.reported).toEqual([]);
      expect(third.leftovers?.gone).toHaveLength(1);
      expect(findings.map((signal) => signal.detail.assessment?.state)).toEqual(['AT_RISK', 'READY']);
      expect(findings[0]?.detail.summary).toContain('table/dr-autopilot-0123456789ab');
      expect(findings[0]?.detail.resource.type).toBe('restore-leftover');
    });
  });
});
