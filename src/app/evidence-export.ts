import type { ScheduledEvent } from '../../events/aws-events/scheduled-event.ts';
import { buildEvidenceReport, renderCsv, renderJson, renderMarkdown } from '../domain/evidence-report.ts';
import type { EvidenceLedger } from '../ports/evidence.ts';

/**
 * The monthly export of the evidence ledger to a bucket the platform team keeps (off unless
 * `evidenceExportBucket` is set). Input: the monthly schedule. Steps: the month before the scheduled time →
 * the whole ledger (the report's "last tests" look further back than the month) → the report in Markdown, CSV
 * and JSON → one object each under `<prefix>/<stage>/<region>/<YYYY-MM>/`. Writing the same month again writes
 * the same keys: a retried or repeated run replaces its own objects (with versioning on, keeps both).
 */
export interface EvidenceArchive {
  put(key: string, body: string, contentType: string): Promise<void>;
}

export interface EvidenceExportDeps {
  ledger: Pick<EvidenceLedger, 'list'>;
  /** Undefined when the export is off. */
  archive: EvidenceArchive | undefined;
  prefix: string;
  stage: string;
  region: string;
  clock: () => Date;
}

export type EvidenceExportOutcome =
  | { action: 'skipped'; reason: 'export-off'; explanation: string }
  | { action: 'exported'; month: string; keys: string[]; records: number; workloads: number };

/** The calendar month (UTC) before `at`: `[start, end)` and its name. */
export function previousMonth(at: Date): { month: string; since: Date; until: Date } {
  const until = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1));
  const since = new Date(Date.UTC(until.getUTCFullYear(), until.getUTCMonth() - 1, 1));
  return { month: since.toISOString().slice(0, 7), since, until };
}

export async function exportEvidence(
  event: ScheduledEvent,
  deps: EvidenceExportDeps,
): Promise<EvidenceExportOutcome> {
  if (!deps.archive) {
    return {
      action: 'skipped',
      reason: 'export-off',
      explanation: 'evidenceExportBucket is not set: the monthly export is off',
    };
  }
  // The schedule's own time names the month, so a run retried after midnight still exports the same one.
  const scheduled = new Date(event.time);
  const { month, since, until } = previousMonth(Number.isNaN(scheduled.getTime()) ? deps.clock() : scheduled);
  const records = await deps.ledger.list({ since: '1970-01-01T00:00:00.000Z' });
  const report = buildEvidenceReport(records, { since, until, now: until });
  const base = [deps.prefix, deps.stage, deps.region, month].filter((part) => part.length > 0).join('/');
  const files = [
    [`${base}/evidence.md`, renderMarkdown(report), 'text/markdown; charset=utf-8'],
    [`${base}/evidence.csv`, renderCsv(report), 'text/csv; charset=utf-8'],
    [`${base}/evidence.json`, renderJson(report), 'application/json'],
  ] as const;
  for (const [key, body, type] of files) await deps.archive.put(key, body, type);
  return {
    action: 'exported',
    month,
    keys: files.map(([key]) => key),
    records: report.records.length,
    workloads: report.workloads.length,
  };
}
