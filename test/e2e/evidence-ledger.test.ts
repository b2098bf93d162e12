import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoDbEvidenceLedger } from '../../src/adapters/evidence-ledger.ts';
import type { EvidenceRecord } from '../../src/domain/evidence.ts';
import { createEvidenceTable, startDynalite } from '../helpers/dynalite.ts';

/** The ledger adapter against a real DynamoDB-compatible store (dynalite): conditional writes, scans, TTL. */
let dynamo: Awaited<ReturnType<typeof startDynalite>>;
beforeAll(async () => {
  dynamo = await startDynalite();
  await createEvidenceTable(dynamo.client, 'evidence');
});
afterAll(async () => {
  await dynamo?.close();
});

const DAY = 86_400;
const record = (id: string, change: Partial<EvidenceRecord> = {}): EvidenceRecord => ({
  id,
  kind: 'validation',
  workload: 'payments',
  occurredAt: '2026-11-22T10:00:00.000Z',
  result: 'succeeded',
  summary: 'DR restore test passed',
  subject: {
    type: 'backup-resource',
    id: 'arn:aws:dynamodb:us-east-1:111122223333:table/orders',
    region: 'us-east-1',
    account: '111122223333',
  },
  trigger: 'event',
  correlationId: 'event-1',
  timings: { measuredRtoSeconds: 600, rtoSeconds: 3600, rtoMet: true },
  details: { restoreJobId: 'rj-1', checks: 'items 12' },
  recordedAt: '2026-11-22T10:00:01.000Z',
  recordedBy: 'restore-validation',
  ...change,
});

describe('the DynamoDB evidence ledger', () => {
  const ledger = () =>
    createDynamoDbEvidenceLedger({
      client: dynamo.client,
      tableName: 'evidence',
      retentionSeconds: 800 * DAY,
    });

  it('keeps the first write of an action: twenty concurrent writers of one record leave one, unchanged', async () => {
    const writers = Array.from({ length: 20 }, (_, index) =>
      ledger().record([record('validation#concurrent', { recordedBy: `writer-${index}` })]),
    );
    await Promise.all(writers);

    const listed = (await ledger().list({ since: '2026-01-01T00:00:00Z' })).filter(
      (item) => item.id === 'validation#concurrent',
    );
    expect(listed).toHaveLength(1);
    // A later writer never overwrites the first: records are immutable.
    await ledger().record([record('validation#concurrent', { result: 'failed', recordedBy: 'late' })]);
    const [again] = (await ledger().list({ since: '2026-01-01T00:00:00Z' })).filter(
      (item) => item.id === 'validation#concurrent',
    );
    expect(again?.result).toBe('succeeded');
    expect(again?.recordedBy).toBe(listed[0]?.recordedBy);
  });

  it("says what caused a record (the reconciler tells its own reversals from an event path's), or that there is none", async () => {
    await ledger().record([
      record('reversal#i-0aaa#job-1', { kind: 'reversal', trigger: 'reconciler' }),
      record('reversal#i-0bbb#job-2', { kind: 'reversal', trigger: 'event' }),
    ]);

    expect(await ledger().triggerOf('reversal#i-0aaa#job-1')).toBe('reconciler');
    expect(await ledger().triggerOf('reversal#i-0bbb#job-2')).toBe('event');
    expect(await ledger().triggerOf('reversal#i-0ccc#job-3')).toBeUndefined();
  });

  it('expires a record its retention after the action, not after the write', async () => {
    await ledger().record([record('validation#ttl')]);
    const { Item } = await dynamo.client.send(
      new GetItemCommand({ TableName: 'evidence', Key: { id: { S: 'validation#ttl' } } }),
    );
    expect(Number(Item?.expiresAt?.N)).toBe(Date.parse('2026-11-22T10:00:00.000Z') / 1000 + 800 * DAY);
  });

  it('lists the records of a period and a workload, with what was recorded, and no storage fields', async () => {
    await ledger().record([
      record('drill#old', { kind: 'drill', occurredAt: '2026-01-01T00:00:00.000Z' }),
      record('drill#in', { kind: 'drill', occurredAt: '2026-11-01T00:00:00.000Z' }),
      record('drill#other', { kind: 'drill', workload: 'billing', occurredAt: '2026-11-02T00:00:00.000Z' }),
    ]);
    const listed = await ledger().list({
      since: '2026-10-01T00:00:00Z',
      until: '2026-11-30T00:00:00Z',
      workload: 'payments',
    });
    const ids = listed.map((item) => item.id);
    expect(ids).toContain('drill#in');
    expect(ids).not.toContain('drill#old');
    expect(ids).not.toContain('drill#other');
    const drill = listed.find((item) => item.id === 'drill#in');
    expect(drill).toEqual(record('drill#in', { kind: 'drill', occurredAt: '2026-11-01T00:00:00.000Z' }));
  });
});
