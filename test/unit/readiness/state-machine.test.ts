import { describe, expect, it } from 'vitest';
import type { ReadinessState } from '../../../events/dr-autopilot/signal.ts';
import {
  aggregateWorkload,
  countStates,
  DEFAULT_READINESS_POLICY,
  foldObservation,
  moveInWorkload,
  type Observation,
  type ReadinessPolicy,
  type ResourceReadiness,
  type ResourceRef,
  retireFromWorkload,
  type StateCounts,
  sweepResource,
  type WorkloadEntry,
  worstCounted,
} from '../../../src/domain/readiness.ts';

const T0 = Date.parse('2026-11-22T10:00:00.000Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();
const server: ResourceRef = {
  type: 'drs-source-server',
  id: 's-1',
  region: 'us-west-2',
  account: '111122223333',
};
const alarm: ResourceRef = {
  type: 'alarm',
  id: 'dr-autopilot:payments:lag',
  region: 'us-west-2',
  account: '111122223333',
};
const backup: ResourceRef = {
  type: 'backup-resource',
  id: 'arn:aws:dynamodb:us-west-2:111122223333:table/orders',
  region: 'us-west-2',
  account: '111122223333',
};
const launch: ResourceRef = {
  type: 'drs-recovery-launch',
  id: 's-1',
  region: 'us-west-2',
  account: '111122223333',
};
const policy: ReadinessPolicy = { ...DEFAULT_READINESS_POLICY, downgradeObservations: 2 };
const DAY = 1_440;

function observation(state: ReadinessState, minute: number, id = `sig-${state}-${minute}`): Observation {
  return {
    signalId: id,
    signalType: 'Replication Status Changed',
    observedAt: at(minute),
    state,
    reason: `${state.toLowerCase()} at ${minute}`,
    severity: state === 'NOT_READY' ? 'critical' : state === 'READY' ? 'info' : 'warning',
    summary: `server is ${state}`,
    evidence: { minute },
    dryRun: false,
    correlationId: `event-${minute}`,
  };
}

/** Folds observations in order; returns the final state and every announcement made. */
function run(
  observations: Observation[],
  options: { policy?: ReadinessPolicy; resource?: ResourceRef } = {},
) {
  let current: ResourceReadiness | undefined;
  const announced: string[] = [];
  const kinds: string[] = [];
  for (const item of observations) {
    const result = foldObservation(
      current,
      { workload: 'payments', resource: options.resource ?? server },
      item,
      options.policy ?? policy,
    );
    kinds.push(result.kind);
    if (result.kind === 'applied') {
      current = result.next;
      if (result.announced) announced.push(`${result.announced.from ?? 'new'}->${result.announced.to}`);
    }
  }
  return { current, announced, kinds };
}

describe('foldObservation', () => {
  it.each([
    {
      name: 'first observation is announced at once, whatever it is',
      steps: [['NOT_READY', 0]],
      state: 'NOT_READY',
      announced: ['new->NOT_READY'],
    },
    {
      name: 'a single downgrade is held, not announced (damping)',
      steps: [
        ['READY', 0],
        ['NOT_READY', 5],
      ],
      state: 'READY',
      announced: ['new->READY'],
    },
    {
      name: 'a downgrade held for 2 consecutive observations is announced, since its first observation',
      steps: [
        ['READY', 0],
        ['AT_RISK', 5],
        ['AT_RISK', 10],
      ],
      state: 'AT_RISK',
      since: at(5),
      announced: ['new->READY', 'READY->AT_RISK'],
    },
    {
      name: 'flapping (down, up, down) is never announced',
      steps: [
        ['READY', 0],
        ['NOT_READY', 5],
        ['READY', 10],
        ['NOT_READY', 15],
        ['READY', 20],
      ],
      state: 'READY',
      announced: ['new->READY'],
    },
    {
      name: 'an improvement is announced at once',
      steps: [
        ['NOT_READY', 0],
        ['READY', 5],
      ],
      state: 'READY',
      since: at(5),
      announced: ['new->NOT_READY', 'NOT_READY->READY'],
    },
    {
      name: 'a partial improvement (NOT_READY → AT_RISK) is announced at once',
      steps: [
        ['NOT_READY', 0],
        ['AT_RISK', 5],
      ],
      state: 'AT_RISK',
      announced: ['new->NOT_READY', 'NOT_READY->AT_RISK'],
    },
    {
      name: 'mixed downgrades announce the level that held throughout (AT_RISK), not the worst seen once',
      steps: [
        ['READY', 0],
        ['NOT_READY', 5],
        ['AT_RISK', 10],
      ],
      state: 'AT_RISK',
      announced: ['new->READY', 'READY->AT_RISK'],
    },
    {
      name: 'after announcing AT_RISK, a held NOT_READY is announced when it too has held twice',
      steps: [
        ['READY', 0],
        ['NOT_READY', 5],
        ['NOT_READY', 10],
      ],
      state: 'NOT_READY',
      since: at(5),
      announced: ['new->READY', 'READY->NOT_READY'],
    },
    {
      name: 'UNKNOWN ranks above AT_RISK: AT_RISK → UNKNOWN is a damped downgrade',
      steps: [
        ['AT_RISK', 0],
        ['UNKNOWN', 5],
      ],
      state: 'AT_RISK',
      announced: ['new->AT_RISK'],
    },
    {
      name: 'the same state again refreshes evidence and keeps its since',
      steps: [
        ['AT_RISK', 0],
        ['AT_RISK', 5],
      ],
      state: 'AT_RISK',
      since: at(0),
      announced: ['new->AT_RISK'],
    },
  ] as {
    name: string;
    steps: [ReadinessState, number][];
    state: ReadinessState;
    since?: string;
    announced: string[];
  }[])('$name', ({ steps, state, since, announced }) => {
    // Prepare
    const observations = steps.map(([s, minute]) => observation(s, minute));
    // Act
    const result = run(observations);
    // Assess
    expect(result.current?.state).toBe(state);
    if (since) expect(result.current?.since).toBe(since);
    expect(result.announced).toEqual(announced);
  });

  it.each([1, 2, 3])('announces a downgrade after exactly %i consecutive observation(s)', (needed) => {
    // Prepare
    const observations = [
      observation('READY', 0),
      ...Array.from({ length: needed }, (_, index) => observation('NOT_READY', 5 + index)),
    ];
    const custom = { ...policy, downgradeObservations: needed };
    // Act
    const short = run(observations.slice(0, -1), { policy: custom });
    const full = run(observations, { policy: custom });
    // Assess
    expect(short.current?.state).toBe('READY');
    expect(full.current?.state).toBe('NOT_READY');
  });

  it.each([
    { name: 'older than the evidence held', second: observation('READY', -5, 'late'), kind: 'out-of-order' },
    { name: 'the same signal again', second: observation('NOT_READY', 0), kind: 'duplicate' },
  ])('ignores a signal $name', ({ second, kind }) => {
    // Prepare
    const first = observation('NOT_READY', 0);
    // Act
    const result = run([first, second]);
    // Assess
    expect(result.kinds).toEqual(['applied', kind]);
    expect(result.current?.state).toBe('NOT_READY');
    expect(result.current?.latest.signalId).toBe(first.signalId);
  });

  it('does not count an out-of-order observation towards damping', () => {
    // Prepare: READY at 10, then a NOT_READY observed at 12, then a late NOT_READY observed at 11
    const observations = [
      observation('READY', 10),
      observation('NOT_READY', 12),
      observation('NOT_READY', 11),
    ];
    // Act
    const result = run(observations);
    // Assess
    expect(result.kinds).toEqual(['applied', 'applied', 'out-of-order']);
    expect(result.current?.state).toBe('READY');
    expect(result.current?.pending.NOT_READY?.count).toBe(1);
  });

  it('reaches the same state whatever the arrival order of signals with distinct times, once settled', () => {
    // Prepare: the newest evidence is READY, so any order ends READY (older signals are out of order or improved)
    const observations = [observation('NOT_READY', 1), observation('AT_RISK', 2), observation('READY', 3)];
    // Act
    const orders = [
      [0, 1, 2],
      [2, 1, 0],
      [1, 0, 2],
      [2, 0, 1],
    ].map((order) => run(order.map((index) => observations[index] as Observation)).current?.state);
    // Assess
    expect(new Set(orders)).toEqual(new Set(['READY']));
  });
});

describe('sweepResource', () => {
  const settled = (state: ReadinessState, minute: number, resource = server) =>
    run([observation(state, minute)], { resource }).current as ResourceReadiness;

  it.each([
    { name: 'fresh READY evidence stays', state: 'READY', age: 59, resource: server, expected: 'READY' },
    {
      name: 'stale READY becomes UNKNOWN at once',
      state: 'READY',
      age: 61,
      resource: server,
      expected: 'UNKNOWN',
    },
    {
      name: 'stale AT_RISK becomes UNKNOWN',
      state: 'AT_RISK',
      age: 61,
      resource: server,
      expected: 'UNKNOWN',
    },
    {
      name: 'stale NOT_READY stays NOT_READY (never hidden)',
      state: 'NOT_READY',
      age: 300,
      resource: server,
      expected: 'NOT_READY',
    },
    {
      name: 'an alarm never goes stale (CloudWatch keeps its state)',
      state: 'READY',
      age: 600,
      resource: alarm,
      expected: 'READY',
    },
    {
      name: 'a DRS source server goes stale after an hour (the default)',
      state: 'READY',
      age: 60.5,
      resource: server,
      expected: 'UNKNOWN',
    },
    {
      name: 'a backup resource (weekly restore tests) stays READY after 2 days',
      state: 'READY',
      age: 2 * DAY,
      resource: backup,
      expected: 'READY',
    },
    {
      name: 'a backup resource stays READY 8 days after its last test',
      state: 'READY',
      age: 8 * DAY,
      resource: backup,
      expected: 'READY',
    },
    {
      name: 'a backup resource goes UNKNOWN after 9 days (a weekly test was missed)',
      state: 'READY',
      age: 9 * DAY,
      resource: backup,
      expected: 'UNKNOWN',
      staleAfter: 8 * DAY,
    },
    {
      name: 'a recovery launch result never goes stale (it stands until the next launch)',
      state: 'READY',
      age: 90 * DAY,
      resource: launch,
      expected: 'READY',
    },
  ] as {
    name: string;
    state: ReadinessState;
    age: number;
    resource: ResourceRef;
    expected: ReadinessState;
    staleAfter?: number;
  }[])('$name', ({ state, age, resource, expected, staleAfter = 60 }) => {
    // Prepare
    const current = settled(state, 0, resource);
    // Act
    const result = sweepResource(current, at(age), policy);
    // Assess
    const next = result.kind === 'updated' ? result.next : current;
    expect(next.state).toBe(expected);
    if (expected === 'UNKNOWN') {
      expect(result.kind === 'updated' && result.announced).toEqual({ from: state, to: 'UNKNOWN' });
      expect(next.since).toBe(at(staleAfter));
      expect(next.cause.signalType).toBe('Readiness Stale');
      expect(next.cause.evidence.staleAfterSeconds).toBe(staleAfter * 60);
    }
  });

  it.each([
    {
      name: 'a type without its own entry uses staleAfterSeconds',
      resource: server,
      age: 11,
      expected: 'UNKNOWN',
    },
    { name: 'a type with its own entry uses it', resource: backup, age: 61, expected: 'UNKNOWN' },
    { name: 'within its own entry it stays', resource: backup, age: 59, expected: 'READY' },
    { name: 'null never goes stale', resource: alarm, age: 10 * DAY, expected: 'READY' },
  ] as { name: string; resource: ResourceRef; age: number; expected: ReadinessState }[])(
    'per-type staleness: $name',
    ({ resource, age, expected }) => {
      // Prepare
      const custom: ReadinessPolicy = {
        ...policy,
        staleAfterSeconds: 600,
        staleAfterSecondsByType: { 'backup-resource': 3_600, alarm: null },
      };
      const current = settled('READY', 0, resource);
      // Act
      const result = sweepResource(current, at(age), custom);
      // Assess
      expect(result.kind === 'updated' ? result.next.state : current.state).toBe(expected);
    },
  );

  it('counts a held pending downgrade as one more observation after the re-observation delay', () => {
    // Prepare: an alarm went into ALARM once (a one-shot event: no second signal will come)
    const current = run([observation('READY', 0), observation('AT_RISK', 10)], { resource: alarm })
      .current as ResourceReadiness;
    // Act
    const early = sweepResource(current, at(14), policy);
    const later = sweepResource(current, at(15), policy);
    // Assess
    expect(early.kind).toBe('unchanged');
    expect(later.kind === 'updated' && later.announced).toEqual({ from: 'READY', to: 'AT_RISK' });
    expect(later.kind === 'updated' && later.next.since).toBe(at(10));
  });

  it('turns a stale resource with a pending NOT_READY into NOT_READY, not UNKNOWN', () => {
    // Prepare
    const current = run([observation('READY', 0), observation('NOT_READY', 1)]).current as ResourceReadiness;
    // Act
    const result = sweepResource(current, at(45), policy);
    // Assess
    expect(result.kind === 'updated' && result.next.state).toBe('NOT_READY');
  });
});

describe('workload aggregation', () => {
  const entry = (state: ReadinessState, version = 1, minute = 0): WorkloadEntry => ({
    state,
    since: at(minute),
    version,
  });

  it.each([
    { entries: ['READY', 'READY'], expected: 'READY' },
    { entries: ['READY', 'AT_RISK'], expected: 'AT_RISK' },
    { entries: ['AT_RISK', 'UNKNOWN'], expected: 'UNKNOWN' },
    { entries: ['UNKNOWN', 'NOT_READY', 'READY'], expected: 'NOT_READY' },
    { entries: [], expected: undefined },
  ] as { entries: ReadinessState[]; expected: ReadinessState | undefined }[])(
    'worst of $entries is $expected',
    ({ entries, expected }) => {
      // Prepare
      const map = Object.fromEntries(entries.map((state, index) => [`r${index}`, entry(state)]));
      // Act
      const state = aggregateWorkload(map);
      // Assess
      expect(state).toBe(expected);
    },
  );

  const counted = (...states: ReadinessState[]) => countStates(states);

  it.each([
    {
      name: 'a new workload transitions from nothing',
      held: counted(),
      from: undefined,
      to: 'READY',
      expected: { counts: counted('READY'), transition: { from: undefined, to: 'READY' } },
    },
    {
      name: 'a resource going bad moves the workload',
      held: counted('READY', 'READY'),
      from: 'READY',
      to: 'NOT_READY',
      expected: { counts: counted('READY', 'NOT_READY'), transition: { from: 'READY', to: 'NOT_READY' } },
    },
    {
      name: 'a change hidden by a worse resource is no transition',
      held: counted('NOT_READY', 'READY'),
      from: 'READY',
      to: 'AT_RISK',
      expected: { counts: counted('NOT_READY', 'AT_RISK'), transition: undefined },
    },
    {
      name: 'the last bad resource recovering moves the workload back',
      held: counted('NOT_READY', 'READY'),
      from: 'NOT_READY',
      to: 'READY',
      expected: { counts: counted('READY', 'READY'), transition: { from: 'NOT_READY', to: 'READY' } },
    },
    {
      name: 'a count that drifted never goes below zero',
      held: counted('READY'),
      from: 'AT_RISK',
      to: 'READY',
      expected: { counts: counted('READY', 'READY'), transition: undefined },
    },
  ] as {
    name: string;
    held: StateCounts;
    from: ReadinessState | undefined;
    to: ReadinessState;
    expected: Record<string, unknown>;
  }[])('$name', ({ held, from, to, expected }) => {
    // Prepare
    const state = worstCounted(held);
    // Act
    const update = moveInWorkload({ state, since: state ? at(0) : undefined, counts: held }, from, to, at(1));
    // Assess
    expect(update).toMatchObject(expected);
  });

  it('takes a retired resource out of the counts, and reports a workload left empty', () => {
    // Act
    const removed = retireFromWorkload(
      { state: 'NOT_READY', since: at(0), counts: counted('NOT_READY', 'READY') },
      'NOT_READY',
      at(2),
    );
    const emptied = retireFromWorkload(
      { state: 'READY', since: at(0), counts: counted('READY') },
      'READY',
      at(2),
    );
    // Assess
    expect(removed).toMatchObject({
      state: 'READY',
      since: at(2),
      transition: { from: 'NOT_READY', to: 'READY' },
    });
    expect(emptied).toBeUndefined();
  });
});
