import { describe, expect, it } from 'vitest';
import { formatSeconds, parseIsoDuration, parseLag } from '../../../src/domain/duration.ts';

describe('parseIsoDuration', () => {
  it.each([
    ['P0D', 0],
    ['PT0S', 0],
    ['PT5M', 300],
    ['PT15M', 900],
    ['PT4H', 14_400],
    ['P1DT2H', 93_600],
    ['P1DT2H3M4S', 93_784],
    ['PT0.5S', 0.5],
    ['PT1,5S', 1.5],
    ['P2W', 1_209_600],
    ['P152D', 152 * 86_400],
    ['p1dt1h', 90_000],
    ['PT36H', 129_600],
    ['P1M', 30 * 86_400],
    ['P1Y', 365 * 86_400],
  ])('%s is %d seconds', (text, seconds) => {
    expect(parseIsoDuration(text)).toBe(seconds);
  });

  it.each([
    ['P'],
    ['PT'],
    ['15M'],
    ['PT15'],
    ['P1H'],
    ['T5M'],
    ['PT5M3H'],
    [''],
    ['2026-11-22T10:00:00Z'],
    ['PT-5M'],
  ])('%j is not a duration', (text) => {
    expect(parseIsoDuration(text)).toBeUndefined();
  });

  it('returns undefined for a missing value', () => {
    expect(parseIsoDuration(undefined)).toBeUndefined();
    expect(parseIsoDuration(null)).toBeUndefined();
  });
});

describe('parseLag: both forms the DRS model uses for lagDuration', () => {
  const NOW = new Date('2026-11-22T12:00:00Z');

  it.each([
    // the source server's form: an ISO-8601 duration
    ['PT5S', 5],
    ['P0D', 0],
    ['PT20M', 1_200],
    // the recovery instance's form (ISO8601DatetimeString): replicated up to that instant
    ['2026-11-22T11:40:00Z', 1_200],
    ['2026-11-22T11:59:59.5Z', 1],
    ['2026-11-22T12:00:00Z', 0],
    // a clock ahead of ours is no negative lag
    ['2026-11-22T12:05:00Z', 0],
    ['2026-11-22T13:00:00+01:00', 0],
  ])('%j is %d seconds of lag', (text, seconds) => {
    expect(parseLag(text, NOW)).toBe(seconds);
  });

  it.each([
    [undefined],
    [null],
    [''],
    ['yesterday'],
    ['2026-11-22'],
    ['2026-13-45T99:00:00Z'],
    ['11:40:00Z'],
  ])('%j is unknown, never guessed', (text) => {
    expect(parseLag(text, NOW)).toBeUndefined();
  });
});

describe('formatSeconds', () => {
  it.each([
    [0, '0s'],
    [45, '45s'],
    [900, '15m'],
    [14_400, '4h'],
    [9_000, '2h30m'],
    [93_784, '1d2h'],
    [Number.POSITIVE_INFINITY, 'unknown'],
  ])('%d seconds reads %s', (seconds, text) => {
    expect(formatSeconds(seconds)).toBe(text);
  });
});
