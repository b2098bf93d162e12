import { describe, expect, it } from 'vitest';
import { truncate, wellFormed, wellFormedDeep } from '../../../src/domain/text.ts';

const isWellFormed = (text: string) => text.isWellFormed();

describe('well-formed text', () => {
  it('replaces lone surrogates, keeps pairs', () => {
    expect(wellFormed('a\ud83db')).toBe('a\ufffdb');
    expect(wellFormed('a\ude00b')).toBe('a\ufffdb');
    expect(wellFormed('ok 😀')).toBe('ok 😀');
  });

  it('never cuts between the halves of a pair, and stays within the limit', () => {
    // 119 ASCII characters then an emoji (2 code units) at the cut of 120
    const name = `${'x'.repeat(118)}😀tail`;
    for (const max of [118, 119, 120, 121, 122]) {
      const cut = truncate(name, max);
      expect(cut.length, String(max)).toBeLessThanOrEqual(max);
      expect(isWellFormed(cut), String(max)).toBe(true);
      expect(cut.endsWith('…')).toBe(true);
    }
    expect(truncate(name, 119, '')).toBe('x'.repeat(118)); // the pair would end at 120: left out whole
    expect(truncate(name, 120, '')).toBe(`${'x'.repeat(118)}😀`);
    expect(truncate('short', 10)).toBe('short');
    expect(truncate('a\ud83d', 10)).toBe('a\ufffd');
  });

  it('makes every string of a JSON value well-formed, keys included', () => {
    expect(wellFormedDeep({ 'k\ud800': ['\udc00', 1, null, { n: 'ok' }] })).toEqual({
      'k\ufffd': ['\ufffd', 1, null, { n: 'ok' }],
    });
  });
});
