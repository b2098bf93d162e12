import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { monitorRefreshAfterSchema } from '../../../src/app/replication-monitor-config.ts';
import { loadConfig } from '../../../src/runtime/config.ts';
import { baseEnv } from '../../helpers/env.ts';

const extra = z.object({ MONITOR_REFRESH_AFTER: monitorRefreshAfterSchema });

describe('MONITOR_REFRESH_AFTER', () => {
  it.each([
    { value: undefined, seconds: 1_800 },
    { value: 'PT10M', seconds: 600 },
    { value: ' PT1H ', seconds: 3_600 },
  ])('reads $value as $seconds seconds', ({ value, seconds }) => {
    const env = { ...baseEnv(), ...(value === undefined ? {} : { MONITOR_REFRESH_AFTER: value }) };

    const config = loadConfig(env, extra);

    expect(config.extra.MONITOR_REFRESH_AFTER).toBe(seconds);
  });

  it.each([['P0D'], ['15 minutes'], ['']])('rejects %j, naming the variable', (value) => {
    expect(() => loadConfig({ ...baseEnv(), MONITOR_REFRESH_AFTER: value }, extra)).toThrow(
      /MONITOR_REFRESH_AFTER must be a positive ISO-8601 duration/,
    );
  });
});
