import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  parseSignalEvent,
  type ReadinessState,
  SIGNAL_SOURCE,
  SIGNAL_TYPES,
  type SignalEvent,
} from '../../events/dr-autopilot/signal.ts';
import { launchResult } from '../../events/drs/launch-result.ts';
import { createDynamoDbDigestClaims } from '../../src/adapters/digest-claims.ts';
import { applySignal, sweepReadiness } from '../../src/app/readiness.ts';
import { sendReadinessDigest } from '../../src/app/readiness-digest.ts';
import { reverseReplicationAfterRecovery } from '../../src/app/reverse-replication.ts';
import { countStates, worstOf } from '../../src/domain/readiness.ts';
import { extractJsonBlock } from '../../src/domain/sns-message.ts';
import {
  FakeDrs,
  failoverSourceServer,
  RECOVERY_INSTANCE_ID,
  recoveryInstance,
  recoveryJob,
} from '../fakes/drs.ts';
import { FakeDeclarations, FakePendingReversals } from '../fakes/failback.ts';
import { CapturingSignalPublisher } from '../fakes/signals.ts';
import { ACCOUNT } from '../helpers/context.ts';
import { startDynalite } from '../helpers/dynalite.ts';
import { loadSample, type SampleEvent } from '../helpers/events.ts';
import {
  manualClock,
  minute,
  readinessDeps,
  recordingNotifier,
  scanAll,
  signalEvent,
} from '../helpers/readiness-fixtures.ts';

let dynalite: Awaited<ReturnType<typeof startDynalite>>;
beforeAll(async () => {
  dynalite = await startDynalite();
});
afterAll(async () => {
  await dynalite.close();
});

/** The digests among what was sent (transitions are notified too). */
const digests = (notifier: ReturnType<typeof recordingNotifier>) =>
  notifier.sent.filter((notification) => notification.subject.startsWith('[DIGEST]'));

const STATES: ReadinessState[] = ['READY', 'AT_RISK', 'UNKNOWN', 'NOT_READY'];

/** A deterministic pseudo-random sequence (no flakiness, different mixes per seed). */
function random(seed: number) {
  let value = seed;
  return () => {
    value = (value * 1_103_515_245 + 12_345) % 2 ** 31;
    return value / 2 ** 31;
  };
}

describe('readiness publisher against dynalite', () => {
  it.each([1, 2, 3])(
    'leaves one consistent state and publishes exactly the transitions that happened: 50 concurrent signals (seed %i)',
    async (seed) => {
      // Prepare: 50 signals over 8 resources of one workload, random states and times, delivered at once
      const next = random(seed);
      const notifier = recordingNotifier();
      const { deps } = await readinessDeps(dynalite.client, { notifier });
      const events = Array.from({ length: 50 }, (_, index) =>
        signalEvent({
          resourceId: `s-${String(Math.floor(next() * 8)).padStart(17, '0')}`,
          state: STATES[Math.floor(next() * 4)] as ReadinessState,
          observedAt: minute(index % 17),
        }),
      );
      // Act
      const outcomes = await Promise.all(events.map((event) => applySignal(event, deps)));
      // Assess: the workload is the worst of its resources, and its counts match the resources
      const workload = await deps.store.getWorkload('payments');
      const resources = await deps.store.listResources('payments');
      expect(workload?.state).toBe(worstOf(resources.map((r) => r.readiness.state)));
      expect(workload?.counts).toEqual(countStates(resources.map((r) => r.readiness.state)));
      expect(workload?.outbox).toEqual({});
      // Assess: the published transitions form one chain, without duplicates, ending in the final state
      const published = outcomes.flatMap((outcome) => ('published' in outcome ? outcome.published : []));
      published.sort((a, b) => a.id.localeCompare(b.id));
      expect(new Set(published.map((p) => p.id)).size).toBe(published.length);
      expect(published[0]?.from).toBeNull();
      for (let index = 1; index < published.length; index++) {
        expect(published[index]?.from).toBe(published[index - 1]?.to);
      }
      expect(published.at(-1)?.to).toBe(workload?.state);
      expect(notifier.sent).toHaveLength(published.length);
      // Assess: the history holds exactly the transitions published
      const history = await deps.store.listHistory('payments', '0');
      expect(
        history
          .filter((record) => record.kind === 'transition')
          .map((record) => record.transitionId)
          .sort(),
      ).toEqual(published.map((p) => p.id));
    },
  );

  it("lists the workload's other open resources in a transition message, worst first, from the index", async () => {
    // Prepare: five resources, two of them AT RISK
    const notifier = recordingNotifier();
    const { deps } = await readinessDeps(dynalite.client, { notifier, policy: { downgradeObservations: 1 } });
    const id = (index: number) => `s-${String(index).padStart(17, '0')}`;
    for (let index = 0; index < 5; index++) {
      await applySignal(signalEvent({ resourceId: id(index), state: index < 2 ? 'AT_RISK' : 'READY' }), deps);
    }
    const before = notifier.sent.length;
    // Act
    await applySignal(signalEvent({ resourceId: id(4), state: 'NOT_READY', observedAt: minute(1) }), deps);
    // Assess
    const [message] = notifier.sent.slice(before);
    expect(message?.subject).toMatch(/^\[NOT READY\]/);
    expect(message?.body).toContain('5 resource(s): 2 ready, 2 at risk, 0 unknown, 1 not ready.');
    const listed = message?.body.split('\n').filter((line) => /^- (NOT READY|AT RISK)/.test(line)) ?? [];
    expect(listed.map((line) => line.match(/s-\d+/)?.[0])).toEqual([id(4), id(0), id(1)]);
  });

  it('applies 50 concurrent deliveries of the same signal once and publishes once', async () => {
    // Prepare
    const notifier = recordingNotifier();
    const { deps } = await readinessDeps(dynalite.client, { notifier });
    const event = signalEvent({ state: 'NOT_READY' });
    // Act
    const outcomes = await Promise.all(
      Array.from({ length: 50 }, () => applySignal(structuredClone(event), deps)),
    );
    // Assess
    const actions = outcomes.map((outcome) => outcome.action);
    expect(actions.filter((action) => action === 'applied')).toHaveLength(1);
    expect(actions.filter((action) => action === 'duplicate')).toHaveLength(49);
    expect(notifier.sent).toHaveLength(1);
    expect(notifier.sent[0]?.subject).toBe('[NOT READY] test/payments: s-12345678901234567 is not ready');
  });

  it('changes nothing when the same signal is delivered a second time', async () => {
    // Prepare
    const notifier = recordingNotifier();
    const { deps, tableName } = await readinessDeps(dynalite.client, { notifier });
    const event = signalEvent({ state: 'AT_RISK' });
    await applySignal(event, deps);
    const before = await scanAll(dynalite.client, tableName);
    const sentBefore = notifier.sent.length;
    // Act
    const outcome = await applySignal(structuredClone(event), deps);
    // Assess
    expect(outcome.action).toBe('duplicate');
    expect(await scanAll(dynalite.client, tableName)).toEqual(before);
    expect(notifier.sent).toHaveLength(sentBefore);
  });

  it('never lets a signal older than the evidence held overwrite it, but records it', async () => {
    // Prepare
    const { deps } = await readinessDeps(dynalite.client);
    await applySignal(signalEvent({ state: 'READY', observedAt: minute(10) }), deps);
    const late = signalEvent({ state: 'NOT_READY', observedAt: minute(5) });
    // Act
    const outcome = await applySignal(late, deps);
    // Assess
    expect(outcome).toMatchObject({ action: 'out-of-order', heldObservedAt: minute(10).toISOString() });
    const resource = await deps.store.getResource('payments', 'drs-source-server#s-12345678901234567');
    expect(resource?.readiness.state).toBe('READY');
    const history = await deps.store.listHistory('payments', '0');
    expect(
      history.some((record) => record.kind === 'signal' && record.signalId === late.detail.signalId),
    ).toBe(true);
  });

  describe('a Reversed Replication Started signal re-derived by a retry (signals are delivered at least once)', () => {
    /** The started signals reverse-replication publishes for one launch event; `lose` fails the first publish. */
    async function startedSignals(eventId: string, drs: FakeDrs, lose = false): Promise<SignalEvent[]> {
      const signals = new CapturingSignalPublisher();
      if (lose) signals.failNext(new Error('PutEvents failed'));
      const event = launchResult.parse({
        ...loadSample<SampleEvent>('drs', 'source-server-launch-result.recovery-launch-succeeded'),
        id: eventId,
      });
      const deps = {
        drs,
        signals,
        clock: () => minute(1),
        dryRun: false,
        policy: { account: ACCOUNT, region: 'us-west-2', reverseFailbackInstances: false },
        declarations: new FakeDeclarations(),
        pending: new FakePendingReversals(),
      };
      await reverseReplicationAfterRecovery(event, deps).catch((error: Error) => {
        if (!lose) throw error;
      });
      if (lose) await reverseReplicationAfterRecovery(event, deps);
      return signals.published
        .filter((signal) => signal.type === SIGNAL_TYPES.reversedReplicationStarted)
        .map((signal) =>
          parseSignalEvent({
            version: '0',
            id: randomUUID(),
            'detail-type': signal.type,
            source: SIGNAL_SOURCE,
            account: ACCOUNT,
            time: signal.detail.observedAt,
            region: 'us-west-2',
            resources: [signal.detail.resource.arn ?? ''],
            detail: signal.detail,
          }),
        );
    }

    function launched(): FakeDrs {
      const drs = new FakeDrs();
      drs.jobs = [recoveryJob()];
      drs.sourceServers = [failoverSourceServer()];
      drs.recoveryInstances = [recoveryInstance()];
      return drs;
    }

    it('tracks the recovery instance when only the retry could publish it', async () => {
      // Prepare
      const { deps } = await readinessDeps(dynalite.client);
      const [found] = await startedSignals('lost-signal-1', launched(), true);
      // Act
      const outcome = await applySignal(found as SignalEvent, deps);
      // Assess
      expect(outcome).toMatchObject({ action: 'applied', resourceState: 'NOT_READY' });
      const resource = await deps.store.getResource(
        'payments',
        `drs-recovery-instance#${RECOVERY_INSTANCE_ID}`,
      );
      expect(resource?.readiness.cause.evidence).toMatchObject({
        confirmedBy: expect.stringMatching(/^found already reversed/),
      });
    });

    it('folds the retry’s signal as a duplicate of the one the first attempt did publish', async () => {
      // Prepare: the first attempt published; PutEvents' answer was lost, so the retry publishes again
      const { deps } = await readinessDeps(dynalite.client);
      const drs = launched();
      const [original] = await startedSignals('lost-answer-1', drs);
      const [again] = await startedSignals('lost-answer-1', drs);
      await applySignal(original as SignalEvent, deps);
      // Act
      const outcome = await applySignal(again as SignalEvent, deps);
      // Assess
      expect(outcome.action).toBe('duplicate');
    });

    it('never moves an instance the monitor already saw protected back to NOT READY', async () => {
      // Prepare: the monitor saw the reversed replication continuous (READY) after the launch
      const notifier = recordingNotifier();
      const { deps } = await readinessDeps(dynalite.client, { notifier });
      const drs = launched();
      const [original] = await startedSignals('first-delivery', drs);
      await applySignal(original as SignalEvent, deps);
      await applySignal(
        signalEvent({
          resourceType: 'drs-recovery-instance',
          resourceId: RECOVERY_INSTANCE_ID,
          state: 'READY',
          observedAt: minute(40),
        }),
        deps,
      );
      const sent = notifier.sent.length;
      // Act: a redelivery of the launch under a new id re-derives the started signal, late
      const [late] = await startedSignals('redelivered-with-new-id', drs);
      const outcome = await applySignal(late as SignalEvent, deps);
      // Assess
      expect(outcome.action).toBe('out-of-order');
      const resource = await deps.store.getResource(
        'payments',
        `drs-recovery-instance#${RECOVERY_INSTANCE_ID}`,
      );
      expect(resource?.readiness.state).toBe('READY');
      expect(notifier.sent).toHaveLength(sent);
    });
  });

  it('records an evidence-only signal for auditors without changing state', async () => {
    // Prepare
    const notifier = recordingNotifier();
    const { deps } = await readinessDeps(dynalite.client, { notifier });
    const evidence = signalEvent({ state: undefined, type: 'Reverse Replication Skipped' });
    // Act
    const outcome = await applySignal(evidence, deps);
    // Assess
    expect(outcome.action).toBe('evidence-recorded');
    expect(await deps.store.listResources('payments')).toEqual([]);
    expect(await deps.store.getWorkload('payments')).toBeUndefined();
    expect(notifier.sent).toEqual([]);
    const history = await deps.store.listHistory('payments', '0');
    expect(history).toMatchObject([{ kind: 'signal', signalId: evidence.detail.signalId, state: null }]);
  });

  it('damps a downgrade until a second observation, and announces a recovery at once', async () => {
    // Prepare: the workload's READY first report, sent by the sweep once its hold is over
    const clock = manualClock(minute(0));
    const notifier = recordingNotifier();
    const { deps } = await readinessDeps(dynalite.client, { notifier, clock });
    await applySignal(signalEvent({ state: 'READY', observedAt: minute(0) }), deps);
    clock.set(minute(5));
    await sweepReadiness(deps);
    // Act
    const first = await applySignal(signalEvent({ state: 'NOT_READY', observedAt: minute(5) }), deps);
    clock.set(minute(10));
    const second = await applySignal(signalEvent({ state: 'NOT_READY', observedAt: minute(10) }), deps);
    clock.set(minute(11));
    const recovered = await applySignal(signalEvent({ state: 'READY', observedAt: minute(11) }), deps);
    // Assess
    expect(first).toMatchObject({
      action: 'applied',
      resourceState: 'READY',
      pendingState: 'NOT_READY',
      published: [],
    });
    expect(second).toMatchObject({
      action: 'applied',
      resourceState: 'NOT_READY',
      published: [{ from: 'READY', to: 'NOT_READY' }],
    });
    expect(recovered).toMatchObject({ published: [{ from: 'NOT_READY', to: 'READY' }] });
    expect(notifier.sent.map((message) => message.attributes.state)).toEqual(['READY', 'NOT_READY', 'READY']);
  });

  describe("a new workload's first verdict is announced once, as its actual state", () => {
    // A failover of a workload not yet tracked: the launch result (READY) and the reversal it started (NOT_READY,
    // until the initial sync), both observed at the launch, delivered separately.
    const launched = (correlationId: string) =>
      signalEvent({
        type: 'Recovery Launch Succeeded',
        resourceType: 'drs-recovery-launch',
        resourceId: 's-0b1b2c3d4e5f60001',
        state: 'READY',
        correlationId,
      });
    const reversing = (correlationId: string) =>
      signalEvent({
        type: 'Reversed Replication Started',
        resourceType: 'drs-recovery-instance',
        resourceId: 'i-6a974cc9e2ee41df8',
        state: 'NOT_READY',
        correlationId,
      });

    it.each([
      ['the healthy one first', (id: string) => [launched(id), reversing(id)]],
      ['the bad one first', (id: string) => [reversing(id), launched(id)]],
    ])('pages NOT READY once, not READY then NOT READY, when %s arrives first', async (_order, signals) => {
      // Prepare
      const clock = manualClock(minute(0));
      const notifier = recordingNotifier();
      const { deps } = await readinessDeps(dynalite.client, { notifier, clock });
      // Act: delivered one after the other in the same second, then the sweeps of the next 10 minutes
      for (const event of signals('failover-1')) await applySignal(event, deps);
      for (const at of [5, 10]) {
        clock.set(minute(at));
        await sweepReadiness(deps);
      }
      // Assess
      expect(notifier.sent.map((message) => message.subject)).toEqual([
        '[NOT READY] test/payments: i-6a974cc9e2ee41df8 is not ready',
      ]);
      expect(notifier.sent[0]?.body).toContain('is NOT READY (first report)');
      expect(extractJsonBlock(notifier.sent[0]?.body ?? '')).toMatchObject({ previousState: null });
      const history = await deps.store.listHistory('payments', '0');
      expect(
        history.filter((record) => record.kind === 'transition').map((record) => [record.from, record.to]),
      ).toEqual([[null, 'NOT_READY']]);
      expect((await deps.store.getWorkload('payments'))?.outbox).toEqual({});
    });

    it.each([1, 2, 3, 4, 5])(
      'pages once when the signals of a new workload arrive concurrently (round %i)',
      async (round) => {
        // Prepare: a healthy server, the launch result and the reversal, all at once
        const notifier = recordingNotifier();
        const { deps } = await readinessDeps(dynalite.client, { notifier });
        const id = `failover-${round}`;
        const events = [signalEvent({ state: 'READY', correlationId: id }), launched(id), reversing(id)];
        // Act
        await Promise.all(events.map((event) => applySignal(event, deps)));
        // Assess
        expect(notifier.sent.map((message) => message.attributes.state)).toEqual(['NOT_READY']);
        expect(notifier.sent[0]?.body).toContain('(first report)');
      },
    );

    it('sends a READY first report once its hold is over (by the sweep), and only once', async () => {
      // Prepare
      const clock = manualClock(minute(0));
      const notifier = recordingNotifier();
      const { deps } = await readinessDeps(dynalite.client, { notifier, clock });
      // Act
      const applied = await applySignal(signalEvent({ state: 'READY' }), deps);
      const early = await sweepReadiness(deps);
      clock.set(minute(5));
      const swept = await Promise.all([sweepReadiness(deps), sweepReadiness(deps)]);
      // Assess
      expect(applied).toMatchObject({ action: 'applied', published: [] });
      expect(early.published).toEqual([]);
      expect(swept.flatMap((outcome) => outcome.published)).toMatchObject([{ from: null, to: 'READY' }]);
      expect(notifier.sent.map((message) => message.subject)).toEqual([
        '[READY] test/payments: now tracked: 1 resource(s) ready',
      ]);
    });

    it('sends a held READY first report before a later change once its hold is over', async () => {
      // Prepare: no sweep ran during the hold
      const clock = manualClock(minute(0));
      const notifier = recordingNotifier();
      const { deps } = await readinessDeps(dynalite.client, { notifier, clock });
      await applySignal(signalEvent({ state: 'READY', resourceId: 's-00000000000000001' }), deps);
      // Act: a new bad resource two minutes later (no longer "together")
      clock.set(minute(2));
      const outcome = await applySignal(
        signalEvent({ state: 'NOT_READY', resourceId: 's-00000000000000002', observedAt: minute(2) }),
        deps,
      );
      // Assess: what happened, in order
      expect(outcome).toMatchObject({
        published: [
          { from: null, to: 'READY' },
          { from: 'READY', to: 'NOT_READY' },
        ],
      });
      expect(notifier.sent.map((message) => message.attributes.state)).toEqual(['READY', 'NOT_READY']);
    });
  });

  it('sends a committed transition whose notification failed when the signal is redelivered, once', async () => {
    // Prepare
    const clock = manualClock(minute(0));
    const notifier = recordingNotifier();
    const { deps } = await readinessDeps(dynalite.client, { notifier, clock });
    const event = signalEvent({ state: 'NOT_READY' });
    notifier.failNext(1);
    // Act: Lambda retries after the failed invocation's claim (120 s) has expired
    await expect(applySignal(event, deps)).rejects.toThrow('SNS is unavailable');
    const early = await applySignal(structuredClone(event), deps);
    clock.set(minute(3));
    const retry = await applySignal(structuredClone(event), deps);
    const again = await applySignal(structuredClone(event), deps);
    // Assess
    expect(early).toMatchObject({ action: 'duplicate', published: [] });
    expect(retry).toMatchObject({ action: 'duplicate', published: [{ from: null, to: 'NOT_READY' }] });
    expect(again).toMatchObject({ action: 'duplicate', published: [] });
    expect(notifier.sent).toHaveLength(1);
    expect((await deps.store.getWorkload('payments'))?.outbox).toEqual({});
  });

  it('never sends a transition again once SNS has accepted it, even when what follows the Publish fails', async () => {
    // Prepare: the write after the Publish (it clears the outbox and records the transition) is applied, but its
    // answer is lost once
    const clock = manualClock(minute(0));
    const notifier = recordingNotifier();
    const { deps } = await readinessDeps(dynalite.client, { notifier, clock });
    const complete = deps.store.completeOutbox.bind(deps.store);
    let failures = 1;
    deps.store = {
      ...deps.store,
      async completeOutbox(workload, id, record) {
        await complete(workload, id, record);
        if (failures-- > 0) throw new Error('DynamoDB answer lost (test)');
      },
    };
    const event = signalEvent({ state: 'NOT_READY' });
    // Act: the invocation fails after the Publish; Lambda retries once the claim has expired; the sweep runs
    await expect(applySignal(event, deps)).rejects.toThrow('DynamoDB answer lost');
    clock.set(minute(3));
    const retry = await applySignal(structuredClone(event), deps);
    await sweepReadiness(deps);
    // Assess
    expect(retry).toMatchObject({ action: 'duplicate', published: [] });
    expect(notifier.sent).toHaveLength(1);
    expect((await deps.store.getWorkload('payments'))?.outbox).toEqual({});
    const history = await deps.store.listHistory('payments', '0');
    expect(history.filter((record) => record.kind === 'transition')).toHaveLength(1);
  });
});

describe('readiness sweep and digest against dynalite', () => {
  it('turns a resource without fresh evidence UNKNOWN and pages (a dead monitor)', async () => {
    // Prepare
    const clock = manualClock(minute(0));
    const notifier = recordingNotifier();
    const { deps } = await readinessDeps(dynalite.client, { clock, notifier });
    await applySignal(signalEvent({ state: 'READY', observedAt: minute(0) }), deps);
    // Act
    clock.set(minute(59));
    const fresh = await sweepReadiness(deps);
    clock.set(minute(61));
    const stale = await sweepReadiness(deps);
    // Assess: the first report (held, then sent by the sweep), then the page
    expect(fresh.published).toMatchObject([{ from: null, to: 'READY' }]);
    expect(stale.published).toMatchObject([{ from: 'READY', to: 'UNKNOWN' }]);
    expect(notifier.sent.at(-1)?.subject).toMatch(
      /^\[UNKNOWN\] test\/payments: no fresh evidence for s-12345678901234567/,
    );
  });

  it('notifies a stale transition once, however many sweeps run at once or are retried', async () => {
    // Prepare
    const clock = manualClock(minute(0));
    const notifier = recordingNotifier();
    const { deps } = await readinessDeps(dynalite.client, { clock, notifier });
    await applySignal(signalEvent({ state: 'READY', observedAt: minute(0) }), deps);
    clock.set(minute(5));
    await sweepReadiness(deps); // sends the held first report
    const before = notifier.sent.length;
    // Act: three overlapping sweeps (a schedule delivered twice, a retry), then a retry a minute later
    clock.set(minute(61));
    const concurrent = await Promise.all([sweepReadiness(deps), sweepReadiness(deps), sweepReadiness(deps)]);
    clock.set(minute(62));
    const retried = await sweepReadiness(deps);
    // Assess
    expect(concurrent.flatMap((outcome) => outcome.published)).toHaveLength(1);
    expect(retried.published).toEqual([]);
    expect(notifier.sent.slice(before).map((message) => message.subject.split(']')[0])).toEqual(['[UNKNOWN']);
  });

  describe('upgrade: the DRS service check that versions before filed under default', () => {
    /** The replication monitor's drs-service signal, under the workload it names (old: default, new: dr-autopilot). */
    const serviceSignal = (workload: string, state: ReadinessState, at: number) =>
      signalEvent({
        workload,
        resourceType: 'drs-service',
        resourceId: 'us-west-2',
        state,
        observedAt: minute(at),
      });
    const serverSignal = (state: ReadinessState, at: number) =>
      signalEvent({ workload: 'default', resourceId: 's-00000000000000009', state, observedAt: minute(at) });

    it('retires the old row at the first sweep, so it never goes stale and pages under default', async () => {
      // Prepare: the table an old version left (service READY under default, with an untagged server), then the
      // new version's monitor signals the service under dr-autopilot and keeps both refreshed every 10 minutes
      const clock = manualClock(minute(0));
      const notifier = recordingNotifier();
      const { deps } = await readinessDeps(dynalite.client, { clock, notifier });
      await applySignal(serviceSignal('default', 'READY', 0), deps);
      await applySignal(serverSignal('READY', 0), deps);
      const before = notifier.sent.length;
      // Act: an hour of 5-minute sweeps
      const outcomes = [];
      for (let at = 5; at <= 60; at += 5) {
        clock.set(minute(at));
        if (at % 10 === 0 || at === 5) {
          await applySignal(serviceSignal('dr-autopilot', 'READY', at), deps);
          await applySignal(serverSignal('READY', at), deps);
        }
        outcomes.push(await sweepReadiness(deps));
      }
      // Assess: no page about default (before, the old row went stale at minute 30: "[UNKNOWN] test/default").
      // Its first report is left out: an old version sent it at once, this one holds it until the first sweep.
      const sent = notifier.sent
        .slice(before)
        .map((message) => message.subject)
        .filter((subject) => !subject.includes('now tracked'));
      expect(sent.filter((subject) => subject.includes('test/default'))).toEqual([]);
      expect(sent.filter((subject) => /UNKNOWN|NOT READY/.test(subject))).toEqual([]);
      // Assess: retired once, at the first sweep; default keeps its server and stays READY
      expect(outcomes.map((outcome) => outcome.retired)).toEqual([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
      expect((await deps.store.listResources('default')).map((r) => r.readiness.resource.type)).toEqual([
        'drs-source-server',
      ]);
      expect(await deps.store.getWorkload('default')).toMatchObject({
        state: 'READY',
        counts: { READY: 1, AT_RISK: 0, UNKNOWN: 0, NOT_READY: 0 },
      });
      expect((await deps.store.getWorkload('dr-autopilot'))?.state).toBe('READY');
      // The history says where it went
      expect(await deps.store.listHistory('default', '0')).toContainEqual(
        expect.objectContaining({
          kind: 'resource-retired',
          resourceKey: 'drs-service#us-west-2',
          lastState: 'READY',
          movedTo: 'dr-autopilot',
        }),
      );
    });

    it('announces default recovered when the old row was what kept it NOT READY', async () => {
      // Prepare: DRS was not initialised when the old version ran; the untagged server is fine
      const clock = manualClock(minute(0));
      const notifier = recordingNotifier();
      const { deps } = await readinessDeps(dynalite.client, { clock, notifier });
      await applySignal(serverSignal('READY', 0), deps);
      await applySignal(serviceSignal('default', 'NOT_READY', 1), deps);
      expect((await deps.store.getWorkload('default'))?.state).toBe('NOT_READY');
      const before = notifier.sent.length;
      // Act
      clock.set(minute(5));
      const swept = await sweepReadiness(deps);
      // Assess: one message, the recovery, saying why (before: nothing, default stayed NOT READY for good)
      expect(notifier.sent.slice(before).map((sent) => sent.subject)).toEqual([
        '[READY] test/default: recovered, all 1 resources ready (was NOT READY)',
      ]);
      expect(swept).toMatchObject({
        retired: 1,
        published: [{ workload: 'default', from: 'NOT_READY', to: 'READY' }],
      });
      const [message] = notifier.sent.slice(before);
      expect(message?.body).toContain(
        'drs-service us-west-2 no longer counts in this workload since 2026-11-22T10:05:00.000Z (it was NOT READY): drs-service#us-west-2 moved to workload dr-autopilot',
      );
      expect(await deps.store.getWorkload('default')).toMatchObject({ state: 'READY', outbox: {} });
    });

    it('removes default altogether when the old row was all it held, without a message', async () => {
      // Prepare
      const clock = manualClock(minute(0));
      const notifier = recordingNotifier();
      const { deps } = await readinessDeps(dynalite.client, { clock, notifier });
      await applySignal(serviceSignal('default', 'READY', 0), deps);
      const before = notifier.sent.length;
      // Act: sweeps long past the old row's staleness
      const outcomes = [];
      for (const at of [5, 35, 65]) {
        clock.set(minute(at));
        outcomes.push(await sweepReadiness(deps));
      }
      // Assess (before: "[UNKNOWN] test/default" at minute 35, and default UNKNOWN for good)
      expect(notifier.sent.slice(before)).toEqual([]);
      expect(await deps.store.getWorkload('default')).toBeUndefined();
      expect(await deps.store.listResources('default')).toEqual([]);
      expect(outcomes.map((outcome) => outcome.retired)).toEqual([1, 0, 0]);
    });
  });

  it('sends a transition whose notification failed once, even when two sweeps start in the same millisecond', async () => {
    // Prepare: the page failed at SNS; its claim (120 s) expires
    const clock = manualClock(minute(0));
    const notifier = recordingNotifier();
    const { deps } = await readinessDeps(dynalite.client, { clock, notifier });
    notifier.failNext(1);
    await expect(applySignal(signalEvent({ state: 'NOT_READY' }), deps)).rejects.toThrow(/unavailable/);
    // Act: the schedule delivered twice, both at minute 5 to the millisecond
    clock.set(minute(5));
    const swept = await Promise.all([sweepReadiness(deps), sweepReadiness(deps)]);
    // Assess
    expect(swept.flatMap((outcome) => outcome.published)).toMatchObject([{ from: null, to: 'NOT_READY' }]);
    expect(notifier.sent).toHaveLength(1);
  });

  it('confirms a one-shot alarm downgrade at the next sweep', async () => {
    // Prepare
    const clock = manualClock(minute(0));
    const notifier = recordingNotifier();
    const { deps } = await readinessDeps(dynalite.client, { clock, notifier });
    const alarm = {
      resourceType: 'alarm' as const,
      resourceId: 'dr-autopilot:payments:aurora-rpo-lag',
      type: 'Alarm State Changed' as const,
    };
    await applySignal(signalEvent({ ...alarm, state: 'READY', observedAt: minute(0) }), deps);
    await applySignal(signalEvent({ ...alarm, state: 'AT_RISK', observedAt: minute(1) }), deps);
    // Act
    clock.set(minute(6));
    const swept = await sweepReadiness(deps);
    // Assess: the workload's held first report, then the confirmed downgrade
    expect(swept.published).toMatchObject([
      { from: null, to: 'READY' },
      { from: 'READY', to: 'AT_RISK' },
    ]);
    expect((await deps.store.getWorkload('payments'))?.state).toBe('AT_RISK');
  });

  it('sends a digest with every workload, the changes of the day and the oldest open problem', async () => {
    // Prepare
    const clock = manualClock(minute(0));
    const notifier = recordingNotifier();
    const { deps, tableName } = await readinessDeps(dynalite.client, { clock, notifier });
    const claims = createDynamoDbDigestClaims({ client: dynalite.client, tableName });
    await applySignal(signalEvent({ workload: 'orders', state: 'READY' }), deps);
    await applySignal(
      signalEvent({ workload: 'payments', state: 'NOT_READY', resourceId: 's-00000000000000001' }),
      deps,
    );
    await applySignal(
      signalEvent({
        workload: 'payments',
        state: 'AT_RISK',
        resourceId: 's-00000000000000002',
        observedAt: minute(3),
      }),
      deps,
    );
    clock.set(minute(60));
    // Act
    const outcome = await sendReadinessDigest({ ...deps, claims, claimant: 'request-1' });
    // Assess
    expect(outcome).toMatchObject({ action: 'digest-sent', workloads: 2 });
    const digest = notifier.sent.at(-1);
    expect(digest?.subject).toBe('[DIGEST] test: 1 of 2 workload(s) not ready, worst NOT READY');
    expect(digest?.body).toContain(
      'OLDEST OPEN PROBLEM\ntest/payments: drs-source-server s-00000000000000001',
    );
    expect(extractJsonBlock(digest?.body ?? '')).toMatchObject({
      workloads: [
        { workload: 'payments', state: 'NOT_READY' },
        { workload: 'orders', state: 'READY' },
      ],
    });
  });

  it('sends one digest per period: a retry after a failed Publish sends it, a second delivery and a later retry do not', async () => {
    // Prepare
    const clock = manualClock(minute(0));
    const notifier = recordingNotifier();
    const { deps, tableName } = await readinessDeps(dynalite.client, { clock, notifier });
    const claims = createDynamoDbDigestClaims({ client: dynalite.client, tableName });
    await applySignal(signalEvent({ workload: 'orders', state: 'READY' }), deps);
    const invocation = (claimant: string) => sendReadinessDigest({ ...deps, claims, claimant });
    // Act: the first attempt fails at Publish; Lambda retries it (same request id) a minute later
    notifier.failNext(1);
    await expect(invocation('request-1')).rejects.toThrow(/unavailable/);
    clock.set(minute(1));
    const retried = await invocation('request-1');
    // …while the schedule's event was also delivered twice (another request id), at once and after the send
    const duplicate = await invocation('request-2');
    clock.set(minute(3));
    const lateRetry = await invocation('request-1');
    // Assess
    expect(retried).toMatchObject({ action: 'digest-sent' });
    expect(duplicate).toMatchObject({ action: 'skipped', reason: 'already-sent', by: 'request-1' });
    expect(lateRetry).toMatchObject({ action: 'skipped', reason: 'already-sent' });
    expect(digests(notifier)).toHaveLength(1);
    // The next period's digest is sent
    clock.set(minute(24 * 60));
    expect(await invocation('request-3')).toMatchObject({ action: 'digest-sent' });
    expect(digests(notifier)).toHaveLength(2);
  });

  it('lets only one of two concurrent deliveries send the digest', async () => {
    const notifier = recordingNotifier();
    const { deps, tableName } = await readinessDeps(dynalite.client, { notifier });
    const claims = createDynamoDbDigestClaims({ client: dynalite.client, tableName });
    await applySignal(signalEvent({ workload: 'orders', state: 'READY' }), deps);

    const outcomes = await Promise.all(
      ['a', 'b', 'c', 'd'].map((claimant) => sendReadinessDigest({ ...deps, claims, claimant })),
    );

    expect(outcomes.filter((outcome) => outcome.action === 'digest-sent')).toHaveLength(1);
    expect(digests(notifier)).toHaveLength(1);
  });
});
