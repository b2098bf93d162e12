import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../scripts/cli-env.ts';
import { runReport } from '../../scripts/report.ts';
import { createDynamoDbEvidenceLedger } from '../../src/adapters/evidence-ledger.ts';
import type { EvidenceRecord } from '../../src/domain/evidence.ts';
import { createEvidenceTable, startDynalite } from '../helpers/dynalite.ts';

/** `npm run report` in-process, reading two Regions' ledgers (real tables in dynalite) as a person would. */
let dynamo: Awaited<ReturnType<typeof startDynalite>>;
const NOW = new Date('2026-11-29T12:00:00.000Z');

const record = (id: string, change: Partial<EvidenceRecord>): EvidenceRecord => ({
  id,
  kind: 'drill',
  workload: 'payments',
  occurredAt: '2026-11-20T10:00:00.000Z',
  result: 'succeeded',
  summary: 'DRS drill launch succeeded for source server s-1',
  subject: { type: 'drs-source-server', id: 's-1', region: 'us-west-2', account: '111122223333' },
  trigger: 'event',
  correlationId: 'event-1',
  timings: { measuredRtoSeconds: 480, rtoSeconds: 14_400, rtoMet: true },
  details: { jobId: 'drsjob-1' },
  recordedAt: '2026-11-20T10:08:00.000Z',
  recordedBy: 'reverse-replication',
  ...change,
});

beforeAll(async () => {
  dynamo = await startDynalite();
  for (const table of ['evidence-recovery', 'evidence-primary'])
    await createEvidenceTable(dynamo.client, table);
  const ledger = (tableName: string) =>
    createDynamoDbEvidenceLedger({ client: dynamo.client, tableName, retentionSeconds: 0 });
  await ledger('evidence-recovery').record([
    record('drill#1', {}),
    record('validation#1', {
      kind: 'validation',
      result: 'failed',
      summary: 'DR restore test failed, table empty',
    }),
  ]);
  await ledger('evidence-primary').record([
    record('failback-drill#1', {
      kind: 'failback-drill',
      subject: { type: 'drs-source-server', id: 's-2', region: 'us-east-1', account: '111122223333' },
    }),
  ]);
});
afterAll(async () => {
  await dynamo?.close();
});

const env = () => ({
  AWS_REGION: 'us-west-2',
  AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
});

async function run(args: string[], environment: Record<string, string> = env()) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runReport(
    args,
    environment,
    { out: (t) => out.push(t), err: (t) => err.push(t) },
    () => NOW,
  );
  return { code, out: out.join(''), err: err.join('') };
}

describe('npm run report', () => {
  it('joins both Regions’ ledgers into one Markdown report, failures first', async () => {
    const { code, out } = await run([
      '--table',
      'evidence-recovery@us-west-2',
      '--table',
      'evidence-primary@us-east-1',
    ]);
    expect(code).toBe(0);
    expect(out).toContain('# dr-autopilot evidence report');
    expect(out).toContain('| payments | failback (drill or real) | 2026-11-20 10:00 | 8m / 4h ✔ |');
    const rows = out.split('\n').filter((line) => line.startsWith('| 2026-11-20'));
    expect(rows[0]).toContain('**failed**');
    expect(rows).toHaveLength(3);
  });

  it('writes CSV and JSON to a file', async () => {
    const file = join(tmpdir(), `report-${process.pid}.csv`);
    const { code, err } = await run(['--format', 'csv', '--out', file], {
      ...env(),
      EVIDENCE_TABLE_NAME: 'evidence-recovery',
    });
    expect(code).toBe(0);
    expect(err).toContain(`report written to ${file}: 2 record(s)`);
    const csv = await readFile(file, 'utf8');
    expect(csv.split('\r\n')[0]).toMatch(/^occurredAt,workload,kind,result/);
    const json = JSON.parse(
      (await run(['--format', 'json'], { ...env(), EVIDENCE_TABLE_NAME: 'evidence-recovery' })).out,
    );
    expect(json.records).toHaveLength(2);
  });

  it.each([
    [['--since', 'last-year'], /--since must be a span such as 90d/],
    [['--format', 'pdf'], /--format must be md, csv or json \(got "pdf"\)/],
    [['--table', 'a@b@c'], /--table must be NAME or NAME@REGION \(got "a@b@c"\)/],
    [['--restore-test-every', '7 days'], /--restore-test-every must be a positive ISO-8601 duration/],
    [['--since', '2026-12-01', '--until', '2026-11-01'], /--since .* must be before --until/],
  ])('refuses %j, naming the option', async (args, message) => {
    await expect(run([...args, '--table', 'evidence-recovery'])).rejects.toThrow(message);
    await expect(run([...args, '--table', 'evidence-recovery'])).rejects.toBeInstanceOf(UsageError);
  });

  it('says where to find the table when none is given', async () => {
    await expect(run([])).rejects.toThrow(/stack output EvidenceTableName/);
  });
});
