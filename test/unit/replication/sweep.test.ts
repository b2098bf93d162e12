import { describe, expect, it } from 'vitest';
import { seeded } from '../../../sim/bad-input.ts';
import {
  type CurrentFinding,
  detectChanges,
  findingKey,
  type MonitorMemory,
  type StoredFinding,
} from '../../../src/domain/sweep.ts';

const EARLIER = '2026-11-22T11:55:00.000Z';
const NOW = '2026-11-22T12:00:00.000Z';
/** The refresh window of these tests: 15 minutes. */
const REFRESH = 900;
const minutesAfter = (minutes: number, at = NOW) => new Date(Date.parse(at) + minutes * 60_000).toISOString();

function current(id: string, overrides: Partial<CurrentFinding> = {}): CurrentFinding {
  return {
    key: findingKey('drs-source-server', id),
    resourceType: 'drs-source-server',
    resourceId: id,
    workload: 'payments',
    state: 'READY',
    reasonCode: 'within-rpo',
    readyToFailBack: false,
    ...overrides,
  };
}

function stored(id: string, overrides: Partial<StoredFinding> = {}): StoredFinding {
  const { key, resourceType, resourceId, workload, state, reasonCode, readyToFailBack } = current(id);
  return {
    key,
    resourceType,
    resourceId,
    workload,
    state,
    reasonCode,
    readyToFailBack,
    since: EARLIER,
    lastSignalledAt: EARLIER,
    ...overrides,
  };
}

const mapOf = (...findings: StoredFinding[]) => new Map(findings.map((finding) => [finding.key, finding]));

/**
 * What the monitor remembers: these findings, and its last refresh sweep at the time given (`undefined`: none
 * stored); by default five minutes ago, within the window, so only a test about refreshes sees one.
 */
const memory = (findings: StoredFinding[], ...marker: [] | [string | undefined]): MonitorMemory => ({
  findings: mapOf(...findings),
  refreshedAt: marker.length === 0 ? EARLIER : marker[0],
});
const SERVER = (id: string) => findingKey('drs-source-server', id);

describe('detectChanges', () => {
  it.each([
    ['nothing stored', undefined, {}, true],
    ['same state and reason', {}, {}, false],
    ['state changed', { state: 'AT_RISK' as const }, {}, true],
    ['reason changed', { reasonCode: 'backlog' }, {}, true],
    ['workload changed', { workload: 'billing' }, {}, true],
    ['only ready-to-fail-back changed', {}, { readyToFailBack: true }, false],
  ])('%s: signalled %s', (_, before, now, signalled) => {
    const previous = memory(before ? [stored('s-1', before)] : []);

    const changes = detectChanges(previous, [current('s-1', now)], NOW, 'all', REFRESH);

    expect(changes.changed.length > 0).toBe(signalled);
  });

  it('keeps the time a finding entered its state while it holds, and restarts it on a change', () => {
    const previous = memory([stored('s-1'), stored('s-2')]);

    const changes = detectChanges(
      previous,
      [current('s-1'), current('s-2', { state: 'NOT_READY' })],
      NOW,
      'all',
      REFRESH,
    );

    expect(changes.toStore).toEqual([
      { ...stored('s-2', { state: 'NOT_READY' }), since: NOW, lastSignalledAt: NOW },
    ]);
    expect(
      changes.changed.map(({ finding, previous: before }) => [finding.resourceId, before?.state]),
    ).toEqual([['s-2', 'READY']]);
  });

  it('signals ready to fail back once, not on later sweeps, and again after it was lost', () => {
    const first = detectChanges(memory([]), [current('s-1', { readyToFailBack: true })], NOW, 'all', REFRESH);
    const second = detectChanges(
      memory(first.toStore),
      [current('s-1', { readyToFailBack: true })],
      NOW,
      'all',
      REFRESH,
    );
    const lost = detectChanges(
      memory([...second.toStore, ...first.toStore]),
      [current('s-1', { state: 'AT_RISK', reasonCode: 'over-rpo' })],
      NOW,
      'all',
      REFRESH,
    );
    const again = detectChanges(
      memory(lost.toStore),
      [current('s-1', { readyToFailBack: true })],
      NOW,
      'all',
      REFRESH,
    );

    expect(first.nowReadyToFailBack.map((finding) => finding.resourceId)).toEqual(['s-1']);
    expect(second.nowReadyToFailBack).toEqual([]);
    expect(second.toStore).toEqual([]);
    expect(lost.nowReadyToFailBack).toEqual([]);
    expect(again.nowReadyToFailBack.map((finding) => finding.resourceId)).toEqual(['s-1']);
  });

  it('stores a ready-to-fail-back flag change without a status signal', () => {
    const changes = detectChanges(
      memory([stored('s-1')]),
      [current('s-1', { readyToFailBack: true })],
      NOW,
      'all',
      REFRESH,
    );

    expect(changes.changed).toEqual([]);
    expect(changes.toStore).toEqual([{ ...stored('s-1'), readyToFailBack: true }]);
  });

  it.each([
    { name: 'last refresh sweep within the window: no signal, nothing written', refreshed: 5, swept: false },
    {
      name: 'last refresh sweep one second short of the window: no signal',
      refreshed: 15 - 1 / 60,
      swept: false,
    },
    { name: 'last refresh sweep exactly the window ago: a refresh sweep', refreshed: 15, swept: true },
    { name: 'last refresh sweep past the window: a refresh sweep', refreshed: 20, swept: true },
    {
      name: 'last refresh sweep a day ago with refresh off (Infinity): no signal, no marker',
      refreshed: 1_440,
      swept: false,
      window: Infinity,
    },
  ])('$name', ({ refreshed, swept, window = REFRESH }) => {
    // Prepare: in this state and last signalled on its own since an hour ago; the last refresh sweep `refreshed`
    // minutes ago
    const before = stored('s-1', { since: minutesAfter(-60), lastSignalledAt: minutesAfter(-60) });

    // Act
    const changes = detectChanges(
      memory([before], minutesAfter(-refreshed)),
      [current('s-1')],
      NOW,
      'all',
      window,
    );

    // Assess: a refresh sweep signals the finding and stores only the marker, not the finding's item
    expect(changes.changed).toEqual([]);
    expect(changes.refreshed).toEqual(swept ? [{ finding: current('s-1'), previous: before }] : []);
    expect(changes.toStore).toEqual([]);
    expect(changes.refreshedAt).toBe(swept ? NOW : undefined);
  });

  it('refreshes every unchanged finding on a refresh sweep, one changed a minute ago too, and writes none of them', () => {
    // Prepare: three findings, one of them changed (and signalled) a minute ago; the last refresh sweep 15 minutes ago
    const previous = memory(
      [
        stored('s-1', { lastSignalledAt: minutesAfter(-15) }),
        stored('s-2', { since: minutesAfter(-1), lastSignalledAt: minutesAfter(-1) }),
        stored('s-3', { lastSignalledAt: minutesAfter(-15) }),
      ],
      minutesAfter(-15),
    );

    // Act
    const changes = detectChanges(
      previous,
      [current('s-1'), current('s-2'), current('s-3')],
      NOW,
      'all',
      REFRESH,
    );

    // Assess: the marker says all three were signalled now, so one write (the marker) instead of three
    expect(changes.refreshed.map(({ finding }) => finding.resourceId)).toEqual(['s-1', 's-2', 's-3']);
    expect(changes.toStore).toEqual([]);
    expect(changes.refreshedAt).toBe(NOW);
  });

  it('writes, on a refresh sweep, a finding whose ready-to-fail-back flag changed, as signalled now', () => {
    // Prepare
    const before = stored('s-1', { lastSignalledAt: minutesAfter(-20) });

    // Act
    const changes = detectChanges(
      memory([before], minutesAfter(-20)),
      [current('s-1', { readyToFailBack: true })],
      NOW,
      'all',
      REFRESH,
    );

    // Assess
    expect(changes.refreshed).toHaveLength(1);
    expect(changes.toStore).toEqual([{ ...before, readyToFailBack: true, lastSignalledAt: NOW }]);
    expect(changes.refreshedAt).toBe(NOW);
  });

  it.each([
    { name: 'no marker stored (state of a version without it)', refreshedAt: undefined },
    { name: 'an unreadable marker', refreshedAt: 'yesterday' },
    { name: 'a marker later than the sweep (a clock that went back)', refreshedAt: minutesAfter(60) },
  ])(
    'makes a full sweep a refresh sweep on $name, its findings signalled a minute ago',
    ({ refreshedAt }) => {
      // Prepare: every finding signalled on its own a minute ago
      const before = [
        stored('s-1', { lastSignalledAt: minutesAfter(-1) }),
        stored('s-2', { lastSignalledAt: minutesAfter(-1) }),
      ];

      // Act
      const changes = detectChanges(
        memory(before, refreshedAt),
        [current('s-1'), current('s-2')],
        NOW,
        'all',
        REFRESH,
      );

      // Assess
      expect(changes.refreshed.map(({ finding }) => finding.resourceId)).toEqual(['s-1', 's-2']);
      expect(changes.toStore).toEqual([]);
      expect(changes.refreshedAt).toBe(NOW);
    },
  );

  it('writes the marker on the first sweep, whose findings are all new: the next sweep is no refresh sweep', () => {
    // Act
    const first = detectChanges(memory([], undefined), [current('s-1')], NOW, 'all', REFRESH);
    const next = detectChanges(
      memory(first.toStore, first.refreshedAt),
      [current('s-1')],
      minutesAfter(5),
      'all',
      REFRESH,
    );

    // Assess
    expect(first.changed).toHaveLength(1);
    expect(first.refreshedAt).toBe(NOW);
    expect(next.refreshed).toEqual([]);
    expect(next.refreshedAt).toBeUndefined();
  });

  it.each([
    { name: 'a single-server evaluation', scope: new Set([SERVER('s-1')]) },
    { name: 'a sweep that could not list servers', scope: new Set([findingKey('drs-service', 'us-west-2')]) },
  ])('never moves the marker on $name: it refreshes a due finding by its own item', ({ scope }) => {
    // Prepare: the last refresh sweep 20 minutes ago (due), the finding signalled on its own an hour ago
    const before = stored('s-1', { lastSignalledAt: minutesAfter(-60) });
    const findings = scope.has(SERVER('s-1')) ? [current('s-1')] : [];

    // Act
    const changes = detectChanges(memory([before], minutesAfter(-20)), findings, NOW, scope, REFRESH);

    // Assess
    expect(changes.refreshedAt).toBeUndefined();
    expect(changes.refreshed).toHaveLength(findings.length);
    expect(changes.toStore).toEqual(findings.length ? [{ ...before, lastSignalledAt: NOW }] : []);
  });

  it("counts the last refresh sweep as the last signal of a single-server evaluation's finding", () => {
    // Prepare: signalled on its own an hour ago, refreshed by the refresh sweep 5 minutes ago
    const before = stored('s-1', { lastSignalledAt: minutesAfter(-60) });

    // Act
    const changes = detectChanges(
      memory([before], EARLIER),
      [current('s-1')],
      NOW,
      new Set([SERVER('s-1')]),
      REFRESH,
    );

    // Assess
    expect(changes.refreshed).toEqual([]);
    expect(changes.toStore).toEqual([]);
  });

  it('signals a changed finding as a change, not a refresh, however long ago it was last signalled', () => {
    // Prepare
    const before = stored('s-1', { since: minutesAfter(-60), lastSignalledAt: minutesAfter(-20) });

    // Act
    const changes = detectChanges(
      memory([before], minutesAfter(-20)),
      [current('s-1', { state: 'AT_RISK' })],
      NOW,
      'all',
      REFRESH,
    );

    // Assess
    expect(changes.changed).toHaveLength(1);
    expect(changes.refreshed).toEqual([]);
    expect(changes.toStore).toEqual([{ ...before, state: 'AT_RISK', since: NOW, lastSignalledAt: NOW }]);
  });

  it("refreshes on the sweeps' cadence: sweeps every 5 minutes for an hour, a change at minute 25 refreshed at 30", () => {
    // Prepare
    let state = memory([], undefined);
    const signalled: string[] = [];

    // Act
    for (let minute = 0; minute <= 60; minute += 5) {
      const finding = current('s-1', minute >= 25 ? { state: 'AT_RISK', reasonCode: 'over-rpo' } : {});
      const changes = detectChanges(state, [finding], minutesAfter(minute), 'all', REFRESH);
      for (const _ of changes.changed) signalled.push(`${minute}:change`);
      for (const _ of changes.refreshed) signalled.push(`${minute}:refresh`);
      state = {
        findings: new Map([...state.findings, ...mapOf(...changes.toStore)]),
        refreshedAt: changes.refreshedAt ?? state.refreshedAt,
      };
    }

    // Assess: refresh sweeps at 0 (the first), 15, 30, 45 and 60; the change at 25 is refreshed at 30
    expect(signalled).toEqual([
      '0:change',
      '15:refresh',
      '25:change',
      '30:refresh',
      '45:refresh',
      '60:refresh',
    ]);
    expect(state.findings.get(SERVER('s-1'))).toMatchObject({
      since: minutesAfter(25),
      lastSignalledAt: minutesAfter(25),
    });
    expect(state.refreshedAt).toBe(minutesAfter(60));
  });

  it('refreshes the status of a finding ready to fail back, but never ready to fail back itself', () => {
    // Prepare
    const before = stored('s-1', { readyToFailBack: true, lastSignalledAt: minutesAfter(-30) });

    // Act
    const changes = detectChanges(
      memory([before], minutesAfter(-30)),
      [current('s-1', { readyToFailBack: true })],
      NOW,
      'all',
      REFRESH,
    );

    // Assess
    expect(changes.refreshed.map(({ finding }) => finding.resourceId)).toEqual(['s-1']);
    expect(changes.nowReadyToFailBack).toEqual([]);
  });

  it('removes what a full sweep no longer sees', () => {
    const changes = detectChanges(
      memory([stored('s-1'), stored('s-gone')]),
      [current('s-1')],
      NOW,
      'all',
      REFRESH,
    );

    expect(changes.removed.map((finding) => finding.resourceId)).toEqual(['s-gone']);
    expect(changes.toDelete).toEqual([findingKey('drs-source-server', 's-gone')]);
  });

  it('removes nothing outside the scope of a partial sweep', () => {
    const previous = memory([stored('s-1'), stored('s-2'), stored('s-3')]);

    const changes = detectChanges(
      previous,
      [],
      NOW,
      new Set([findingKey('drs-source-server', 's-2')]),
      REFRESH,
    );

    expect(changes.toDelete).toEqual([findingKey('drs-source-server', 's-2')]);
  });
});

describe('detectChanges over a long run', () => {
  it('signals every resource at least every refresh window plus one sweep interval: 12 hours of 5-minute sweeps, random changes', () => {
    // Prepare: 40 resources, the shipped window (30 minutes) and schedule (5 minutes); on every sweep each resource
    // changes state with a 5% chance and leaves DRS (or comes back) with a 1% chance; between sweeps, a
    // single-server evaluation of a random resource, one sweep in three
    const window = 30 * 60;
    const interval = 5;
    const random = seeded(13);
    const states = ['READY', 'AT_RISK', 'NOT_READY'] as const;
    const fleet = new Map<string, { state: number; listed: boolean }>(
      Array.from({ length: 40 }, (_, index) => [`s-${index}`, { state: 0, listed: true }]),
    );
    const findingOf = (id: string) => {
      const resource = fleet.get(id) ?? { state: 0 };
      return current(id, { state: states[resource.state], reasonCode: `reason-${resource.state}` });
    };
    let state: MonitorMemory = { findings: new Map(), refreshedAt: undefined };
    const lastSignal = new Map<string, number>();
    let longestGap = 0;
    let markerWrites = 0;
    const run = (minute: number, listed: CurrentFinding[], scope: 'all' | Set<string>) => {
      const changes = detectChanges(state, listed, minutesAfter(minute), scope, window);
      const signalled = [...changes.changed, ...changes.refreshed].map(({ finding }) => finding.key);
      for (const key of signalled) {
        longestGap = Math.max(longestGap, minute - (lastSignal.get(key) ?? minute));
        lastSignal.set(key, minute);
      }
      for (const key of changes.toDelete) lastSignal.delete(key);
      const findings = new Map([...state.findings, ...mapOf(...changes.toStore)]);
      for (const key of changes.toDelete) findings.delete(key);
      if (changes.refreshedAt) markerWrites += 1;
      state = { findings, refreshedAt: changes.refreshedAt ?? state.refreshedAt };
    };

    // Act
    for (let minute = 0; minute <= 12 * 60; minute += interval) {
      for (const resource of fleet.values()) {
        if (random() < 0.05) resource.state = Math.floor(random() * states.length);
        if (random() < 0.01) resource.listed = !resource.listed;
      }
      const listed = [...fleet].filter(([, resource]) => resource.listed).map(([id]) => findingOf(id));
      run(minute, listed, 'all');
      // Every resource still listed was signalled within the bound, whether or not this sweep signalled it.
      for (const finding of listed) {
        longestGap = Math.max(longestGap, minute - (lastSignal.get(finding.key) ?? minute));
      }
      if (random() < 1 / 3) {
        const id = `s-${Math.floor(random() * fleet.size)}`;
        const resource = fleet.get(id);
        if (resource && random() < 0.5) resource.state = Math.floor(random() * states.length);
        run(minute + 2, resource?.listed ? [findingOf(id)] : [], new Set([SERVER(id)]));
      }
    }

    // Assess: never longer than the window plus one interval without a signal; a refresh sweep every 30 minutes
    // (0, 30, ..., 720), each one marker write
    expect(longestGap).toBeLessThanOrEqual(window / 60 + interval);
    expect(longestGap).toBeGreaterThanOrEqual(window / 60);
    expect(markerWrites).toBe(12 * 2 + 1);
  });
});
