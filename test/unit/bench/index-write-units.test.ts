import { describe, expect, it } from 'vitest';
import { type IndexedImage, indexedImage, indexWriteUnits } from '../../../bench/dynamo-meter.ts';

/** The bench's count of a sparse global secondary index's write units (dynalite bills none). */
const image = (bytes: number, indexKey: string | undefined, version: number): IndexedImage => ({
  bytes,
  indexKey,
  version: String(version),
});
const units = (before: [string, IndexedImage][], after: [string, IndexedImage][]) =>
  indexWriteUnits(new Map(before), new Map(after));

describe('index write units', () => {
  it('bills nothing for items outside the index or left alone', () => {
    // Act / Assess
    expect(units([['a', image(900, undefined, 1)]], [['a', image(900, undefined, 2)]])).toBe(0);
    expect(units([['a', image(900, 'w|1', 1)]], [['a', image(900, 'w|1', 1)]])).toBe(0);
  });

  it('bills an update in place by the larger image, per started KB', () => {
    // Act / Assess
    expect(units([['a', image(900, 'w|1', 1)]], [['a', image(950, 'w|1', 2)]])).toBe(1);
    expect(units([['a', image(1_100, 'w|1', 1)]], [['a', image(950, 'w|1', 2)]])).toBe(2);
  });

  it('bills a put for an item entering, a delete for one leaving, and both when its index key changes', () => {
    // Act / Assess
    expect(units([['a', image(700, undefined, 1)]], [['a', image(900, 'w|1', 2)]])).toBe(1);
    expect(units([['a', image(900, 'w|1', 1)]], [['a', image(700, undefined, 2)]])).toBe(1);
    expect(units([['a', image(900, 'w|1', 1)]], [['a', image(1_500, 'w|2', 2)]])).toBe(3);
    expect(units([], [['a', image(900, 'w|1', 1)]])).toBe(1);
    expect(units([['a', image(900, 'w|1', 1)]], [])).toBe(1);
  });

  it('reads the size without the storage overhead and the index key from an item', () => {
    // Prepare
    const item = {
      pk: { S: 'p' },
      sk: { S: 's' },
      openPk: { S: 'w' },
      openSk: { S: '2#x' },
      version: { N: '3' },
    };
    // Act
    const read = indexedImage(item, 'openPk', 'openSk');
    const sparse = indexedImage({ pk: { S: 'p' }, sk: { S: 's' }, version: { N: '3' } }, 'openPk', 'openSk');
    // Assess: names and values in bytes (pk 2+1, sk 2+1, openPk 6+1, openSk 6+3, version 7+2)
    expect(read).toEqual({ bytes: 31, indexKey: 'w|2#x', version: '{"N":"3"}' });
    expect(sparse.indexKey).toBeUndefined();
  });
});
