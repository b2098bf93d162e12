import { describe, expect, it } from 'vitest';
import {
  type CurrentFinding,
  detectChanges,
  findingKey,
  type StoredFinding,
} from '../../../src/domain/sweep.ts';

const EARLIER = '2026-11-22T11:55:00.000Z';
const NOW = '2026-11-22T12:00:00.000Z';

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

    const changes = detectChanges(previous, [current('s-1', now)], NOW, 'all');

    expect(changes.changed.length > 0).toBe(signalled);
  });

  it('keeps the time a finding entered its state while it holds, and restarts it on a change', () => {
    const previous = mapOf(stored('s-1'), stored('s-2'));

    const changes = detectChanges(
      previous,
      [current('s-1'), current('s-2', { state: 'NOT_READY' })],
      NOW,
      'all',
    );

    expect(changes.toStore).toEqual([{ ...stored('s-2', { state: 'NOT_READY' }), since: NOW }]);
    expect(
      changes.changed.map(({ finding, previous: before }) => [finding.resourceId, before?.state]),
    ).toEqual([['s-2', 'READY']]);
  });

  it('signals ready to fail back once, not on later sweeps, and again after it was lost', () => {
    const first = detectChanges(new Map(), [current('s-1', { readyToFailBack: true })], NOW, 'all');
    const second = detectChanges(
      mapOf(...first.toStore),
      [current('s-1', { readyToFailBack: true })],
      NOW,
      'all',
    );
    const lost = detectChanges(
      mapOf(...second.toStore, ...first.toStore),
      [current('s-1', { state: 'AT_RISK', reasonCode: 'over-rpo' })],
      NOW,
      'all',
    );
    const again = detectChanges(
      mapOf(...lost.toStore),
      [current('s-1', { readyToFailBack: true })],
      NOW,
      'all',
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
    );

    expect(changes.changed).toEqual([]);
    expect(changes.toStore).toEqual([{ ...stored('s-1'), readyToFailBack: true }]);
  });

  it('removes what a full sweep no longer sees', () => {
    const changes = detectChanges(mapOf(stored('s-1'), stored('s-gone')), [current('s-1')], NOW, 'all');

    expect(changes.removed.map((finding) => finding.resourceId)).toEqual(['s-gone']);
    expect(changes.toDelete).toEqual([findingKey('drs-source-server', 's-gone')]);
  });

  it('removes nothing outside the scope of a partial sweep', () => {
    const previous = mapOf(stored('s-1'), stored('s-2'), stored('s-3'));

    const changes = detectChanges(previous, [], NOW, new Set([findingKey('drs-source-server', 's-2')]));

    expect(changes.toDelete).toEqual([findingKey('drs-source-server', 's-2')]);
  });
});
