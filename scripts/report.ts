import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDynamoDbEvidenceLedger } from '../src/adapters/evidence-ledger.ts';
import { parseIsoDuration } from '../src/domain/duration.ts';
import type { EvidenceRecord } from '../src/domain/evidence.ts';
import {
  buildEvidenceReport,
  type Cadence,
  DEFAULT_CADENCE,
  renderCsv,
  renderJson,
  renderMarkdown,
} from '../src/domain/evidence-report.ts';
import { clientConfig, type Env, type Io, runAsProcess, UsageError } from './cli-env.ts';

/**
 * `npm run report -- [--since 90d] [--until DATE] [--workload NAME] [--format md|csv|json] [--out FILE]`: the
 * auditor's report from the evidence ledger of both Regions of the pair: per workload, the last tested
 * failover, failback and restore with measured RTO and RPO exposure against the targets, what is overdue
 * against the test cadence, and every record of the period, failures first.
 *
 * Tables: `--table NAME@REGION` (repeat it for the other Region; the stack output `EvidenceTableName` of each
 * deployment), or EVIDENCE_TABLE_NAME in AWS_REGION. Credentials and endpoints: the SDK's standard settings.
 */
const HELP = `usage: npm run report -- [--since 90d|DATE] [--until DATE] [--workload NAME] [--format md|csv|json] [--out FILE]
                         [--table NAME@REGION]... [--restore-test-every P7D] [--failover-test-every P90D] [--failback-test-every P365D]
environment: EVIDENCE_TABLE_NAME and AWS_REGION when no --table is given; AWS credentials as for the AWS CLI`;

export async function runReport(argv: string[], env: Env, io: Io, now = () => new Date()): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      since: { type: 'string', default: '90d' },
      until: { type: 'string' },
      workload: { type: 'string' },
      format: { type: 'string', default: 'md' },
      out: { type: 'string' },
      table: { type: 'string', multiple: true },
      'restore-test-every': { type: 'string' },
      'failover-test-every': { type: 'string' },
      'failback-test-every': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.out(`${HELP}\n`);
    return 0;
  }
  const at = now();
  const since = parseWhen('--since', values.since, at);
  const until = values.until ? parseWhen('--until', values.until, at) : at;
  if (since >= until)
    throw new UsageError(`--since (${since.toISOString()}) must be before --until (${until.toISOString()})`);
  const format = values.format;
  if (format !== 'md' && format !== 'csv' && format !== 'json') {
    throw new UsageError(`--format must be md, csv or json (got "${format}")`);
  }
  const cadence: Cadence = {
    restoreTestSeconds: every(
      '--restore-test-every',
      values['restore-test-every'],
      DEFAULT_CADENCE.restoreTestSeconds,
    ),
    failoverTestSeconds: every(
      '--failover-test-every',
      values['failover-test-every'],
      DEFAULT_CADENCE.failoverTestSeconds,
    ),
    failbackTestSeconds: every(
      '--failback-test-every',
      values['failback-test-every'],
      DEFAULT_CADENCE.failbackTestSeconds,
    ),
  };
  const records = await readLedgers(tablesFrom(values.table ?? [], env), env);
  // "Overdue" is judged at the end of the period: a Q3 report made in Q4 says what was overdue in Q3.
  const asOf = until < at ? until : at;
  const report = buildEvidenceReport(records, {
    since,
    until,
    now: asOf,
    cadence,
    workload: values.workload,
  });
  const text =
    format === 'md' ? renderMarkdown(report) : format === 'csv' ? renderCsv(report) : renderJson(report);
  if (values.out) {
    await writeFile(values.out, text);
    io.err(
      `report written to ${values.out}: ${report.records.length} record(s), ${report.workloads.length} workload(s)\n`,
    );
  } else io.out(text);
  return 0;
}

/** `90d`, `12h`, `4w`, an ISO-8601 duration (`P90D`) before now, or a date / date-time. */
export function parseWhen(flag: string, text: string, now: Date): Date {
  const short = /^(\d+)([hdw])$/i.exec(text.trim());
  if (short) {
    const unit = { h: 3_600, d: 86_400, w: 7 * 86_400 }[
      (short[2] as string).toLowerCase() as 'h' | 'd' | 'w'
    ];
    return new Date(now.getTime() - Number(short[1]) * unit * 1000);
  }
  const duration = parseIsoDuration(text);
  if (duration !== undefined) return new Date(now.getTime() - duration * 1000);
  const date = /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2})?)?$/.test(text.trim())
    ? Date.parse(text)
    : Number.NaN;
  if (Number.isNaN(date)) {
    throw new UsageError(
      `${flag} must be a span such as 90d, 12h, 4w or P90D, or a date such as 2026-01-01 (got "${text}")`,
    );
  }
  return new Date(date);
}

function every(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const seconds = parseIsoDuration(text);
  if (!seconds || seconds <= 0)
    throw new UsageError(`${flag} must be a positive ISO-8601 duration such as P7D (got "${text}")`);
  return seconds;
}

export function tablesFrom(
  flags: readonly string[],
  env: Env,
): { tableName: string; region: string | undefined }[] {
  if (flags.length === 0) {
    if (!env.EVIDENCE_TABLE_NAME) {
      throw new UsageError(
        'no evidence table: pass --table NAME@REGION for each Region of the pair (stack output EvidenceTableName), or set EVIDENCE_TABLE_NAME and AWS_REGION',
      );
    }
    return [{ tableName: env.EVIDENCE_TABLE_NAME, region: undefined }];
  }
  return flags.map((flag) => {
    const [tableName, region, ...rest] = flag.split('@');
    if (!tableName || rest.length > 0 || region === '') {
      throw new UsageError(`--table must be NAME or NAME@REGION (got "${flag}")`);
    }
    return { tableName, region };
  });
}

async function readLedgers(
  tables: readonly { tableName: string; region: string | undefined }[],
  env: Env,
): Promise<EvidenceRecord[]> {
  const byId = new Map<string, EvidenceRecord>();
  for (const table of tables) {
    const client = new DynamoDBClient(clientConfig(env, 'DYNAMODB', table.region));
    try {
      const ledger = createDynamoDbEvidenceLedger({
        client,
        tableName: table.tableName,
        retentionSeconds: 0,
      });
      // Everything the ledger holds: "last tested" looks further back than the period.
      for (const record of await ledger.list({ since: '1970-01-01T00:00:00.000Z' }))
        byId.set(record.id, record);
    } finally {
      client.destroy();
    }
  }
  return [...byId.values()];
}

if (import.meta.url === `file://${process.argv[1]}`) runAsProcess('report', runReport);
