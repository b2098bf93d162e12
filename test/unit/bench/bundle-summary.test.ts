import { describe, expect, it } from 'vitest';
import { bundleSummary } from '../../../bench/bundle.ts';

/** The README's generated summary of `npm run bench -- bundle`. */
const figures = (bytes: number, ms: number, floorRatio: number) => ({
  bytes,
  coldImportMs: { median: ms },
  floor: { bytes: bytes / 1.2, coldImportMs: { median: ms / floorRatio } },
  floorSizeRatio: 1.2,
  floorColdImportRatio: floorRatio,
  coldImportRatio: 4.5,
});

describe('bundle summary', () => {
  it('gives a row per function and names the ones above 1.3× their floor', () => {
    // Prepare
    const results = {
      baseline: { bytes: 26_886, coldImportMs: { median: 31 } },
      'alarm-readiness': figures(461_233, 145.9, 1.22),
      reconciler: figures(930_000, 249.4, 1.42),
    };
    // Act
    const summary = bundleSummary(results, '2026-11-30T09:00:00.000Z');
    // Assess
    expect(summary).toContain('Run of 2026-11-30');
    expect(summary).toContain('| alarm-readiness | 450 KB | 1.2 | 146 ms | 1.22 | 4.5 |');
    expect(summary).toContain('| reconciler | 908 KB | 1.2 | 249 ms | 1.42 | 4.5 |');
    expect(summary).not.toContain('| baseline |');
    expect(summary).toContain('1 of 2 functions import in at most 1.3× their floor');
    expect(summary).toContain('reconciler does not');
  });

  it('says so when every function is within 1.3× its floor', () => {
    // Act
    const summary = bundleSummary({ 'alarm-readiness': figures(461_233, 145.9, 1.22) }, '2026-11-30');
    // Assess
    expect(summary).toContain("Every function imports in at most 1.3× its floor's time in this run.");
  });
});
