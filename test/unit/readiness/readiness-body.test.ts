import { describe, expect, it } from 'vitest';
import { BODY_BROTLI_JSON, decodeBody, encodeBody } from '../../../src/adapters/readiness-store.ts';
import type { Observation } from '../../../src/domain/readiness.ts';

/** The compressed body of a readiness resource item (src/adapters/readiness-store.ts). */
const observation = (observedAt: string): Observation => ({
  signalId: 'a1b2c3',
  signalType: 'Replication Status Changed',
  observedAt,
  state: 'READY',
  reason: 's-1: replication CONTINUOUS, exposure 3m ≤ RPO 15m',
  severity: 'info',
  summary: 'source server s-1 READY',
  evidence: { dataReplicationState: 'CONTINUOUS', lagSeconds: 0, dataReplicationError: null, refresh: true },
  dryRun: false,
  correlationId: 'c-1',
});
const resource = {
  type: 'drs-source-server' as const,
  id: 's-1',
  region: 'us-west-2',
  account: '111122223333',
};

describe('readiness item body', () => {
  it('reads back what it wrote, with the cause kept only when it is not the latest observation', () => {
    // Prepare
    const latest = observation('2026-11-22T10:30:00.000Z');
    const cause = observation('2026-11-22T10:00:00.000Z');
    // Act
    const same = decodeBody(
      encodeBody({ resource, latest, cause: latest, recentSignalIds: ['a1b2c3'] }),
      'x',
    );
    const other = decodeBody(encodeBody({ resource, latest, cause, recentSignalIds: ['a1b2c3'] }), 'x');
    // Assess
    expect(same).toEqual({ resource, latest, recentSignalIds: ['a1b2c3'] });
    expect(other).toEqual({ resource, latest, cause, recentSignalIds: ['a1b2c3'] });
  });

  it('starts with the byte naming its encoding, and is smaller than its JSON', () => {
    // Prepare
    const latest = observation('2026-11-22T10:30:00.000Z');
    const json = JSON.stringify({ resource, latest, recentSignalIds: ['a1b2c3'] });
    // Act
    const body = encodeBody({ resource, latest, cause: latest, recentSignalIds: ['a1b2c3'] });
    // Assess
    expect(body[0]).toBe(BODY_BROTLI_JSON);
    expect(body.byteLength).toBeLessThan(Buffer.byteLength(json));
  });

  it('refuses a body of another encoding or type, naming the item', () => {
    // Prepare
    const body = encodeBody({
      resource,
      latest: observation('2026-11-22T10:30:00.000Z'),
      cause: observation('2026-11-22T10:30:00.000Z'),
      recentSignalIds: [],
    });
    body[0] = 2;
    // Act / Assess
    expect(() => decodeBody(body, 'workload#payments resource#drs-source-server#s-1')).toThrow(
      'readiness item workload#payments resource#drs-source-server#s-1: body is not Brotli-compressed JSON (encoding byte 2)',
    );
    expect(() => decodeBody('text', 'workload#payments resource#x')).toThrow('(encoding byte string)');
    expect(() => decodeBody(Uint8Array.of(1, 0xff, 0x00, 0x13), 'workload#payments resource#y')).toThrow(
      'readiness item workload#payments resource#y: body does not decode',
    );
  });
});
