import { describe, expect, it } from 'vitest';
import { type EvidenceArchive, exportEvidence, previousMonth } from '../../../src/app/evidence-export.ts';
import type { EvidenceRecord } from '../../../src/domain/evidence.ts';
import type { EvidenceLedger } from '../../../src/ports/evidence.ts';
import { scheduledEvent as scheduled } from '../../helpers/backup-fixtures.ts';

const record = (id: string, occurredAt: string, change: Partial<EvidenceRecord> = {}): EvidenceRecord => ({
  id,
  kind: 'drill',
  workload: 'payments',
  occurredAt,
  result: 'succeeded',
  summary: 'DRS drill launch succeeded',
  subject: { type: 'drs-source-server', id: 's-1', region: 'us-west-2', account: '111122223333' },
  trigger: 'event',
  correlationId: 'event-1',
  timings: { measuredRtoSeconds: 480, rtoSeconds: 14_400, rtoMet: true },
  details: {},
  recordedAt: occurredAt,
  recordedBy: 'reverse-replication',
  ...change,
});

const ledgerOf = (records: EvidenceRecord[]): Pick<EvidenceLedger, 'list'> => ({
  list: async () => records,
});

function archive(): EvidenceArchive & { objects: Map<string, { body: string; type: string }> } {
  const objects = new Map<string, { body: string; type: string }>();
  return { objects, put: async (key, body, type) => void objects.set(key, { body, type }) };
}

describe('previousMonth', () => {
  it.each([
    ['2026-12-01T03:00:00Z', '2026-11', '2026-11-01T00:00:00.000Z', '2026-12-01T00:00:00.000Z'],
    ['2027-01-01T03:00:00Z', '2026-12', '2026-12-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z'],
    ['2026-03-31T23:59:59Z', '2026-02', '2026-02-01T00:00:00.000Z', '2026-03-01T00:00:00.000Z'],
  ])('of %s is %s', (at, month, since, until) => {
    const result = previousMonth(new Date(at));
    expect(result.month).toBe(month);
    expect(result.since.toISOString()).toBe(since);
    expect(result.until.toISOString()).toBe(until);
  });
});

describe('exportEvidence', () => {
  const deps = (records: EvidenceRecord[], target = archive()) => ({
    ledger: ledgerOf(records),
    archive: target,
    prefix: 'dr-autopilot-evidence',
    stage: 'prod',
    region: 'us-west-2',
    clock: () => new Date('2026-12-01T03:00:05Z'),
  });

  it('does nothing, and says so, while no bucket is set', async () => {
    const outcome = await exportEvidence(scheduled('2026-12-01T03:00:00Z'), {
      ...deps([]),
      archive: undefined,
    });
    expect(outcome).toMatchObject({ action: 'skipped', reason: 'export-off' });
  });

  it('writes last month’s report in three formats under the month, with only that month’s records listed', async () => {
    const target = archive();
    const outcome = await exportEvidence(
      scheduled('2026-12-01T03:00:00Z'),
      deps(
        [
          record('drill#in', '2026-11-15T10:00:00.000Z'),
          record('drill#before', '2026-09-15T10:00:00.000Z'),
          record('validation#failed', '2026-11-20T10:00:00.000Z', { kind: 'validation', result: 'failed' }),
        ],
        target,
      ),
    );
    expect(outcome).toEqual({
      action: 'exported',
      month: '2026-11',
      keys: [
        'dr-autopilot-evidence/prod/us-west-2/2026-11/evidence.md',
        'dr-autopilot-evidence/prod/us-west-2/2026-11/evidence.csv',
        'dr-autopilot-evidence/prod/us-west-2/2026-11/evidence.json',
      ],
      records: 2,
      workloads: 1,
    });
    const csv = target.objects.get('dr-autopilot-evidence/prod/us-west-2/2026-11/evidence.csv')?.body ?? '';
    expect(csv.trim().split('\r\n')).toHaveLength(3);
    expect(csv.split('\r\n')[1]).toContain('validation#failed');
    const markdown =
      target.objects.get('dr-autopilot-evidence/prod/us-west-2/2026-11/evidence.md')?.body ?? '';
    expect(markdown).toContain('2026-11-01 00:00 → 2026-12-01 00:00 UTC');
  });

  it('names the month from the schedule’s time, so a retry after midnight exports the same month again', async () => {
    const target = archive();
    await exportEvidence(scheduled('2026-12-01T03:00:00Z'), {
      ...deps([], target),
      clock: () => new Date('2027-01-01T00:10:00Z'),
    });
    expect([...target.objects.keys()][0]).toContain('/2026-11/');
  });
});
