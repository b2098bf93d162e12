import { describe, expect, it } from 'vitest';
import {
  type CurrentFinding,
  detectChanges,
  findingKey,
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

describe('detectChanges', () => {
  it.each([
    ['nothing stored', undefined, {}, true],
    ['same state and reason', {}, {}, false],
    ['state changed', { state: 'AT_RISK' as const }, {}, true],
    ['reason changed', { reasonCode: 'backlog' }, {}, true],
    ['workload changed', { workload: 'billing' }, {}, true],
    ['only ready-to-fail-back changed', {}, { readyToFailBack: true }, false],
  ])('%s: signalled %s', (_, before, now, signalled) => {
    const previous = before ? mapOf(stored('s-1', before)) : new Map();

    const changes = detectChanges(previous, [current('s-1', now)], NOW, 'all', REFRESH);

    expect(changes.changed.length > 0).toBe(signalled);
  });

  it('keeps the time a finding entered its state while it holds, and restarts it on a change', () => {
    const previous = mapOf(stored('s-1'), stored('s-2'));

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
    const first = detectChanges(new Map(), [current('s-1', { readyToFailBack: true })], NOW, 'all', REFRESH);
    const second = detectChanges(
      mapOf(...first.toStore),
      [current('s-1', { readyToFailBack: true })],
      NOW,
      'all',
      REFRESH,
    );
    const lost = detectChanges(
      mapOf(...second.toStore, ...first.toStore),
      [current('s-1', { state: 'AT_RISK', reasonCode: 'over-rpo' })],
      NOW,
      'all',
      REFRESH,
    );
    const again = detectChanges(
      mapOf(...lost.toStore),
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
      mapOf(stored('s-1')),
      [current('s-1', { readyToFailBack: true })],
      NOW,
      'all',
      REFRESH,
    );

    expect(changes.changed).toEqual([]);
    expect(changes.toStore).toEqual([{ ...stored('s-1'), readyToFailBack: true }]);
  });

  it.each([
    { name: 'unchanged within the window: no signal, nothing written', lastSignalled: 5, refreshed: false },
    {
      name: 'unchanged, one second short of the window: no signal',
      lastSignalled: 15 - 1 / 60,
      refreshed: false,
    },
    { name: 'unchanged, exactly the window old: one refresh', lastSignalled: 15, refreshed: true },
    { name: 'unchanged past the window: one refresh', lastSignalled: 20, refreshed: true },
    {
      name: 'unchanged for a day with refresh off (Infinity): no signal',
      lastSignalled: 1_440,
      refreshed: false,
      window: Infinity,
    },
  ])('$name', ({ lastSignalled, refreshed, window = REFRESH }) => {
    // Prepare: in this state since an hour ago, last signalled `lastSignalled` minutes ago
    const before = stored('s-1', { since: minutesAfter(-60), lastSignalledAt: minutesAfter(-lastSignalled) });

    // Act
    const changes = detectChanges(mapOf(before), [current('s-1')], NOW, 'all', window);

    // Assess
    expect(changes.changed).toEqual([]);
    expect(changes.refreshed).toEqual(refreshed ? [{ finding: current('s-1'), previous: before }] : []);
    expect(changes.toStore).toEqual(refreshed ? [{ ...before, lastSignalledAt: NOW }] : []);
  });

  it('signals a changed finding as a change, not a refresh, however long ago it was last signalled', () => {
    // Prepare
    const before = stored('s-1', { since: minutesAfter(-60), lastSignalledAt: minutesAfter(-20) });

    // Act
    const changes = detectChanges(mapOf(before), [current('s-1', { state: 'AT_RISK' })], NOW, 'all', REFRESH);

    // Assess
    expect(changes.changed).toHaveLength(1);
    expect(changes.refreshed).toEqual([]);
    expect(changes.toStore).toEqual([{ ...before, state: 'AT_RISK', since: NOW, lastSignalledAt: NOW }]);
  });

  it('restarts the refresh window on a change: sweeps every 5 minutes for an hour, a change at minute 25', () => {
    // Prepare
    let state = new Map<string, StoredFinding>();
    const signalled: string[] = [];

    // Act
    for (let minute = 0; minute <= 60; minute += 5) {
      const finding = current('s-1', minute >= 25 ? { state: 'AT_RISK', reasonCode: 'over-rpo' } : {});
      const changes = detectChanges(state, [finding], minutesAfter(minute), 'all', REFRESH);
      for (const _ of changes.changed) signalled.push(`${minute}:change`);
      for (const _ of changes.refreshed) signalled.push(`${minute}:refresh`);
      state = new Map([...state, ...mapOf(...changes.toStore)]);
    }

    // Assess
    expect(signalled).toEqual(['0:change', '15:refresh', '25:change', '40:refresh', '55:refresh']);
    expect(state.get(findingKey('drs-source-server', 's-1'))).toMatchObject({
      since: minutesAfter(25),
      lastSignalledAt: minutesAfter(55),
    });
  });

  it('refreshes the status of a finding ready to fail back, but never ready to fail back itself', () => {
    // Prepare
    const before = stored('s-1', { readyToFailBack: true, lastSignalledAt: minutesAfter(-30) });

    // Act
    const changes = detectChanges(
      mapOf(before),
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
      mapOf(stored('s-1'), stored('s-gone')),
      [current('s-1')],
      NOW,
      'all',
      REFRESH,
    );

    expect(changes.removed.map((finding) => finding.resourceId)).toEqual(['s-gone']);
    expect(changes.toDelete).toEqual([findingKey('drs-source-server', 's-gone')]);
  });

  it('removes nothing outside the scope of a partial sweep', () => {
    const previous = mapOf(stored('s-1'), stored('s-2'), stored('s-3'));

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
