import { describe, expect, it } from 'vitest';
import { parseIsoDuration } from '../../../src/domain/duration.ts';

/** More cases of the shared parser, in the forms DRS reports lagDuration and people write RPO tags. */
describe('parseIsoDuration, as the replication monitor uses it', () => {
  it.each([
    ['P0D', 0],
    ['PT0S', 0],
    ['PT0.000S', 0],
    ['PT5M', 300],
    ['PT1M30S', 90],
    ['PT1H', 3_600],
    ['P1DT2H', 93_600],
    ['P1DT0H0M1S', 86_401],
    ['P7D', 604_800],
    ['PT0.25S', 0.25],
    [' PT15M ', 900],
    ['P1W', 604_800],
    ['PT90M', 5_400],
  ])('%j is %d seconds', (text, seconds) => {
    expect(parseIsoDuration(text)).toBe(seconds);
  });

  it.each([['P1D2H'], ['PT'], ['P'], ['-PT5M'], ['PT5'], ['5m'], ['P1DT'], ['PTM'], ['P1.5.2D']])(
    '%j is rejected',
    (text) => {
      expect(parseIsoDuration(text)).toBeUndefined();
    },
  );
});
