import { formatSeconds } from './duration.ts';
import type { EvidenceKind, EvidenceRecord } from './evidence.ts';

/**
 * The auditor's report over the evidence ledger (`npm run report`): per workload, the last tested failover,
 * failback and restore with their measured RTO and RPO exposure against the targets, what is overdue against
 * the test cadence, and every record of the period, failures first. Pure: the records come from the ledger.
 */
export interface Cadence {
  /** A restore test (a validated restore) at least this often (CIS Controls v8 11.5 asks quarterly; weekly here). */
  restoreTestSeconds: number;
  /** A failover drill or a real recovery at least this often (Well-Architected REL13-BP03: regularly). */
  failoverTestSeconds: number;
  /** A failback drill or a real failback at least this often (the CIS failback control: tested, and executed). */
  failbackTestSeconds: number;
}

export const DEFAULT_CADENCE: Cadence = {
  restoreTestSeconds: 7 * 86_400,
  failoverTestSeconds: 90 * 86_400,
  failbackTestSeconds: 365 * 86_400,
};

export type TestArea = 'failover' | 'failback' | 'restore';

const AREA_KINDS: Record<TestArea, readonly EvidenceKind[]> = {
  failover: ['drill', 'recovery'],
  failback: ['failback-drill', 'failback'],
  restore: ['validation'],
};

export interface LastTest {
  area: TestArea;
  /** The newest successful test of this area, if any (any time in the ledger, not only in the period). */
  record?: EvidenceRecord | undefined;
  /** The newest attempt, successful or not, when it is newer than the last success. */
  newerFailure?: EvidenceRecord | undefined;
  dueEverySeconds: number;
  overdue: boolean;
  /** Age of the last success at report time (seconds), when there is one. */
  ageSeconds?: number | undefined;
}

export interface WorkloadSummary {
  workload: string;
  tests: Record<TestArea, LastTest>;
  /** Records of the period, per result. */
  counts: { succeeded: number; failed: number; notDone: number; observed: number };
}

export interface EvidenceReport {
  generatedAt: string;
  since: string;
  until: string;
  cadence: Cadence;
  workloads: WorkloadSummary[];
  /** Every record of the period: failures (failed, not done) first, then newest first. */
  records: EvidenceRecord[];
}

const SEVERITY: Record<EvidenceRecord['result'], number> = {
  failed: 0,
  'not-done': 1,
  succeeded: 2,
  observed: 3,
};

export function buildEvidenceReport(
  all: readonly EvidenceRecord[],
  options: {
    since: Date;
    until: Date;
    now: Date;
    cadence?: Cadence | undefined;
    workload?: string | undefined;
  },
): EvidenceReport {
  const cadence = options.cadence ?? DEFAULT_CADENCE;
  const since = options.since.toISOString();
  const until = options.until.toISOString();
  const scoped = options.workload ? all.filter((record) => record.workload === options.workload) : [...all];
  const inPeriod = scoped.filter((record) => record.occurredAt >= since && record.occurredAt < until);
  const workloads = [...new Set(scoped.map((record) => record.workload))].sort();
  const dueEvery: Record<TestArea, number> = {
    failover: cadence.failoverTestSeconds,
    failback: cadence.failbackTestSeconds,
    restore: cadence.restoreTestSeconds,
  };
  return {
    generatedAt: options.now.toISOString(),
    since,
    until,
    cadence,
    workloads: workloads.map((workload) => {
      const own = scoped.filter((record) => record.workload === workload && record.occurredAt < until);
      const tests = Object.fromEntries(
        (Object.keys(AREA_KINDS) as TestArea[]).map((area) => [
          area,
          lastTest(own, area, dueEvery[area], options.now),
        ]),
      ) as Record<TestArea, LastTest>;
      const period = inPeriod.filter((record) => record.workload === workload);
      return {
        workload,
        tests,
        counts: {
          succeeded: period.filter((record) => record.result === 'succeeded').length,
          failed: period.filter((record) => record.result === 'failed').length,
          notDone: period.filter((record) => record.result === 'not-done').length,
          observed: period.filter((record) => record.result === 'observed').length,
        },
      };
    }),
    records: inPeriod.sort(
      (a, b) =>
        SEVERITY[a.result] - SEVERITY[b.result] ||
        b.occurredAt.localeCompare(a.occurredAt) ||
        a.id.localeCompare(b.id),
    ),
  };
}

function lastTest(
  records: readonly EvidenceRecord[],
  area: TestArea,
  dueEverySeconds: number,
  now: Date,
): LastTest {
  const attempts = records
    .filter((record) => AREA_KINDS[area].includes(record.kind))
    .sort((a, b) => b.occurredAt.localeCompare(a.occurredAt));
  const record = attempts.find((candidate) => candidate.result === 'succeeded');
  const newest = attempts[0];
  const ageSeconds = record ? Math.max(0, (now.getTime() - Date.parse(record.occurredAt)) / 1000) : undefined;
  return {
    area,
    record,
    newerFailure: newest && newest !== record && newest.result === 'failed' ? newest : undefined,
    dueEverySeconds,
    overdue: ageSeconds === undefined || ageSeconds > dueEverySeconds,
    ageSeconds,
  };
}

// ——— Rendering ———

const AREA_TITLE: Record<TestArea, string> = {
  failover: 'failover (drill or recovery)',
  failback: 'failback (drill or real)',
  restore: 'restore test (validated restore)',
};

const seconds = (value: number | undefined) => (value === undefined ? '–' : formatSeconds(value));
const verdict = (met: boolean | undefined) => (met === undefined ? '' : met ? ' ✔' : ' ✘ over');

function rto(record: EvidenceRecord | undefined): string {
  const t = record?.timings;
  if (!t || t.measuredRtoSeconds === undefined) return '–';
  return `${seconds(t.measuredRtoSeconds)} / ${seconds(t.rtoSeconds)}${verdict(t.rtoMet)}`;
}

function rpo(record: EvidenceRecord | undefined): string {
  const t = record?.timings;
  if (!t || t.dataAgeSeconds === undefined) return '–';
  return `${seconds(t.dataAgeSeconds)} / ${seconds(t.rpoSeconds)}${verdict(t.rpoMet)}`;
}

/** Table cells: one line, no pipe that would split the cell. */
const cell = (text: string) => text.replace(/[\r\n]+/g, ' ').replace(/\|/g, '\\|');
const day = (iso: string | undefined) => (iso ? iso.slice(0, 16).replace('T', ' ') : '–');

export function renderMarkdown(report: EvidenceReport): string {
  const lines: string[] = [];
  lines.push('# dr-autopilot evidence report', '');
  lines.push(
    `Period: **${day(report.since)} → ${day(report.until)} UTC** · generated ${day(report.generatedAt)} UTC · ${report.records.length} record(s) in the period, ${report.workloads.length} workload(s).`,
    '',
    `Test cadence: restore test every ${seconds(report.cadence.restoreTestSeconds)}, failover test every ${seconds(report.cadence.failoverTestSeconds)}, failback test every ${seconds(report.cadence.failbackTestSeconds)}.`,
    '',
  );
  lines.push('## Last tests per workload', '');
  lines.push(
    '| workload | test | last success | measured RTO / target | data age / RPO | status |',
    '|---|---|---|---|---|---|',
  );
  for (const summary of report.workloads) {
    for (const area of ['failover', 'failback', 'restore'] as TestArea[]) {
      const test = summary.tests[area];
      const missed = [
        test.record?.timings.rtoMet === false ? 'RTO' : '',
        test.record?.timings.rpoMet === false ? 'RPO' : '',
      ].filter(Boolean);
      const objectives = missed.length > 0 ? `; **${missed.join(' and ')} missed**` : '';
      const status = test.record
        ? test.overdue
          ? `**overdue** (${seconds(test.ageSeconds)} ago, due every ${seconds(test.dueEverySeconds)})${objectives}`
          : `ok (${seconds(test.ageSeconds)} ago)${objectives}`
        : '**never tested**';
      const failure = test.newerFailure ? `; **failed since** ${day(test.newerFailure.occurredAt)}` : '';
      lines.push(
        `| ${cell(summary.workload)} | ${AREA_TITLE[area]} | ${day(test.record?.occurredAt)} | ${rto(test.record)} | ${rpo(test.record)} | ${status}${failure} |`,
      );
    }
  }
  lines.push('');
  const overdue = report.workloads.flatMap((summary) =>
    (['failover', 'failback', 'restore'] as TestArea[])
      .filter((area) => summary.tests[area].overdue)
      .map(
        (area) =>
          `- **${summary.workload}**: ${AREA_TITLE[area]} — ${summary.tests[area].record ? `last ${day(summary.tests[area].record?.occurredAt)}` : 'never'}, due every ${seconds(summary.tests[area].dueEverySeconds)}`,
      ),
  );
  lines.push('## Overdue', '', ...(overdue.length > 0 ? overdue : ['Nothing is overdue.']), '');
  lines.push('## Every record of the period (failures first)', '');
  lines.push(
    '| when (UTC) | workload | kind | result | subject | measured RTO / target | data age / RPO | trigger | recorded by | what happened |',
    '|---|---|---|---|---|---|---|---|---|---|',
  );
  for (const record of report.records) {
    const result =
      record.result === 'failed' || record.result === 'not-done' ? `**${record.result}**` : record.result;
    lines.push(
      `| ${day(record.occurredAt)} | ${cell(record.workload)} | ${record.kind} | ${result} | ${cell(record.subject.id)} | ${rto(record)} | ${rpo(record)} | ${record.trigger} | ${cell(record.recordedBy)} | ${cell(record.summary)} |`,
    );
  }
  if (report.records.length === 0)
    lines.push('| – | – | – | – | – | – | – | – | – | no record in this period |');
  lines.push('');
  return lines.join('\n');
}

export const CSV_COLUMNS = [
  'occurredAt',
  'workload',
  'kind',
  'result',
  'subjectType',
  'subjectId',
  'region',
  'account',
  'startedAt',
  'endedAt',
  'measuredRtoSeconds',
  'rtoSeconds',
  'rtoMet',
  'dataAgeSeconds',
  'rpoSeconds',
  'rpoMet',
  'trigger',
  'correlationId',
  'recordedBy',
  'recordedAt',
  'id',
  'summary',
] as const;

/** RFC 4180: quoted when needed, quotes doubled; a leading =+-@ is neutralised so a spreadsheet never runs it. */
function csvField(value: string | number | boolean | undefined): string {
  if (value === undefined) return '';
  let text = String(value);
  if (/^[=+\-@]/.test(text) && typeof value === 'string') text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function renderCsv(report: EvidenceReport): string {
  const rows = report.records.map((record) => {
    const t = record.timings;
    const values: Record<(typeof CSV_COLUMNS)[number], string | number | boolean | undefined> = {
      occurredAt: record.occurredAt,
      workload: record.workload,
      kind: record.kind,
      result: record.result,
      subjectType: record.subject.type,
      subjectId: record.subject.id,
      region: record.subject.region,
      account: record.subject.account,
      startedAt: t.startedAt,
      endedAt: t.endedAt,
      measuredRtoSeconds: t.measuredRtoSeconds,
      rtoSeconds: t.rtoSeconds,
      rtoMet: t.rtoMet,
      dataAgeSeconds: t.dataAgeSeconds,
      rpoSeconds: t.rpoSeconds,
      rpoMet: t.rpoMet,
      trigger: record.trigger,
      correlationId: record.correlationId,
      recordedBy: record.recordedBy,
      recordedAt: record.recordedAt,
      id: record.id,
      summary: record.summary,
    };
    return CSV_COLUMNS.map((column) => csvField(values[column])).join(',');
  });
  return `${[CSV_COLUMNS.join(','), ...rows].join('\r\n')}\r\n`;
}

export function renderJson(report: EvidenceReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
