import { describe, expect, it } from 'vitest';
import type { EvidenceRecord } from '../../../src/domain/evidence.ts';
import {
  buildEvidenceReport,
  CSV_COLUMNS,
  renderCsv,
  renderMarkdown,
} from '../../../src/domain/evidence-report.ts';

const DAY = 86_400_000;
const NOW = new Date('2026-11-29T12:00:00.000Z');
const ago = (days: number) => new Date(NOW.getTime() - days * DAY).toISOString();

const record = (id: string, change: Partial<EvidenceRecord> = {}): EvidenceRecord => ({
  id,
  kind: 'drill',
  workload: 'payments',
  occurredAt: ago(1),
  result: 'succeeded',
  summary: 'DRS drill launch succeeded',
  subject: { type: 'drs-source-server', id: 's-1', region: 'us-west-2', account: '111122223333' },
  trigger: 'event',
  correlationId: 'event-1',
  timings: {
    measuredRtoSeconds: 480,
    rtoSeconds: 14_400,
    rtoMet: true,
    dataAgeSeconds: 300,
    rpoSeconds: 900,
    rpoMet: true,
  },
  details: {},
  recordedAt: ago(1),
  recordedBy: 'reverse-replication',
  ...change,
});

const build = (records: EvidenceRecord[], workload?: string) =>
  buildEvidenceReport(records, { since: new Date(ago(90)), until: NOW, now: NOW, workload });

describe('buildEvidenceReport', () => {
  it('finds each area’s last success, any time in the ledger, and says what is overdue or never tested', () => {
    const report = build([
      record('drill#old', { occurredAt: ago(200) }),
      record('drill#recent', { occurredAt: ago(10) }),
      record('failback-drill#1', { kind: 'failback-drill', occurredAt: ago(400) }),
      record('validation#1', { kind: 'validation', occurredAt: ago(3) }),
    ]);
    const [payments] = report.workloads;
    expect(payments?.tests.failover).toMatchObject({ overdue: false, record: { id: 'drill#recent' } });
    // 400 days old: outside the 90-day period, still the last failback test, and overdue against 365 days.
    expect(payments?.tests.failback).toMatchObject({ overdue: true, record: { id: 'failback-drill#1' } });
    expect(payments?.tests.restore).toMatchObject({ overdue: false, record: { id: 'validation#1' } });
    expect(report.records.map((item) => item.id)).toEqual(['validation#1', 'drill#recent']);
  });

  it('names a failure newer than the last success, and a workload never tested as overdue', () => {
    const report = build([
      record('validation#ok', { kind: 'validation', occurredAt: ago(5) }),
      record('validation#bad', { kind: 'validation', occurredAt: ago(1), result: 'failed' }),
      record('reversal#1', { kind: 'reversal', workload: 'billing' }),
    ]);
    const payments = report.workloads.find((item) => item.workload === 'payments');
    expect(payments?.tests.restore).toMatchObject({
      record: { id: 'validation#ok' },
      newerFailure: { id: 'validation#bad' },
    });
    const billing = report.workloads.find((item) => item.workload === 'billing');
    expect(billing?.tests.failover).toMatchObject({ overdue: true, record: undefined });
  });

  it('lists failures first, then what was not done, then the rest newest first', () => {
    const report = build([
      record('a', { occurredAt: ago(2) }),
      record('b', { occurredAt: ago(1) }),
      record('c', { occurredAt: ago(3), result: 'not-done', kind: 're-protection' }),
      record('d', { occurredAt: ago(4), result: 'failed' }),
      record('e', { occurredAt: ago(1), result: 'observed', kind: 'lifecycle' }),
    ]);
    expect(report.records.map((item) => item.id)).toEqual(['d', 'c', 'b', 'a', 'e']);
  });

  it('keeps to one workload when asked, and to the period', () => {
    const report = build(
      [
        record('p', {}),
        record('o', { workload: 'orders' }),
        record('future', { occurredAt: new Date(NOW.getTime() + DAY).toISOString() }),
      ],
      'payments',
    );
    expect(report.workloads.map((item) => item.workload)).toEqual(['payments']);
    expect(report.records.map((item) => item.id)).toEqual(['p']);
  });
});

describe('rendering', () => {
  it('writes a CSV a spreadsheet reads safely: quoted fields, doubled quotes, formulas neutralised', () => {
    const csv = renderCsv(
      build([record('x', { summary: '=HYPERLINK("http://evil"), and "more"', workload: 'payments' })]),
    );
    const [header, row] = csv.split('\r\n');
    expect(header).toBe(CSV_COLUMNS.join(','));
    expect(row).toContain(`"'=HYPERLINK(""http://evil""), and ""more"""`);
    expect(row?.startsWith(ago(1))).toBe(true);
  });

  it('writes Markdown whose table cells never break the table', () => {
    const markdown = renderMarkdown(build([record('x', { summary: 'a | b\nc' })]));
    expect(markdown).toContain('a \\| b c');
    expect(markdown).toContain('| payments | failover (drill or recovery) |');
    expect(markdown).toContain('8m / 4h ✔');
  });
});
