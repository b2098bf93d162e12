import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError } from '../../../src/domain/errors.ts';
import { envFlag, loadConfig } from '../../../src/runtime/config.ts';
import { baseEnv } from '../../helpers/env.ts';

describe('loadConfig', () => {
  it('reads the configuration contract', () => {
    const config = loadConfig(baseEnv());

    expect(config).toMatchObject({
      region: 'us-west-2',
      primaryRegion: 'us-east-1',
      recoveryRegion: 'us-west-2',
      regionRole: 'recovery',
      mode: 'active',
      dryRun: false,
      defaultRpoSeconds: 900,
      defaultRtoSeconds: 14_400,
      eventBusName: 'dr-autopilot-test',
      readinessTableName: 'readiness',
      idempotencyTableName: 'idempotency',
    });
  });

  it('defaults MODE to active and knows dry-run', () => {
    expect(loadConfig(baseEnv({ MODE: undefined })).mode).toBe('active');
    expect(loadConfig(baseEnv({ MODE: 'dry-run' })).dryRun).toBe(true);
  });

  it('knows the primary side', () => {
    expect(loadConfig(baseEnv({ AWS_REGION: 'us-east-1' })).regionRole).toBe('primary');
  });

  it.each([
    ['PRIMARY_REGION', { PRIMARY_REGION: undefined }],
    ['RECOVERY_REGION', { RECOVERY_REGION: 'Mars' }],
    ['MODE', { MODE: 'yolo' }],
    ['DEFAULT_RPO', { DEFAULT_RPO: '15 minutes' }],
    ['DEFAULT_RPO', { DEFAULT_RPO: 'P0D' }],
    ['DEFAULT_RTO', { DEFAULT_RTO: undefined }],
    ['EVENT_BUS_NAME', { EVENT_BUS_NAME: '' }],
    ['READINESS_TABLE_NAME', { READINESS_TABLE_NAME: undefined }],
    ['IDEMPOTENCY_TABLE_NAME', { IDEMPOTENCY_TABLE_NAME: ' ' }],
    ['AWS_REGION', { AWS_REGION: undefined }],
  ])('fails fast naming %s', (name, overrides) => {
    expect(() => loadConfig(baseEnv(overrides))).toThrow(ConfigError);
    expect(() => loadConfig(baseEnv(overrides))).toThrow(name);
  });

  it('names every bad variable at once', () => {
    expect(() => loadConfig(baseEnv({ MODE: 'x', EVENT_BUS_NAME: undefined }))).toThrow(
      /MODE.*EVENT_BUS_NAME|EVENT_BUS_NAME.*MODE/,
    );
  });

  it('rejects a pair whose Regions are the same', () => {
    expect(() => loadConfig(baseEnv({ PRIMARY_REGION: 'us-west-2' }))).toThrow(/must differ/);
  });

  it('rejects a deployment outside the pair', () => {
    expect(() => loadConfig(baseEnv({ AWS_REGION: 'eu-west-1' }))).toThrow(/neither PRIMARY_REGION/);
  });

  it('validates a function’s own variables too', () => {
    const extra = z.object({ REVERSE_FAILBACK_INSTANCES: envFlag(false) });

    expect(
      loadConfig(baseEnv({ REVERSE_FAILBACK_INSTANCES: 'TRUE' }), extra).extra.REVERSE_FAILBACK_INSTANCES,
    ).toBe(true);
    expect(loadConfig(baseEnv(), extra).extra.REVERSE_FAILBACK_INSTANCES).toBe(false);
    expect(() => loadConfig(baseEnv({ REVERSE_FAILBACK_INSTANCES: 'yes' }), extra)).toThrow(
      /REVERSE_FAILBACK_INSTANCES/,
    );
  });

  it('reads an unset flag as its default', () => {
    const extra = z.object({ ON_BY_DEFAULT: envFlag(true), OFF_BY_DEFAULT: envFlag(false) });

    expect(loadConfig(baseEnv(), extra).extra).toEqual({ ON_BY_DEFAULT: true, OFF_BY_DEFAULT: false });
    expect(loadConfig(baseEnv({ ON_BY_DEFAULT: 'False' }), extra).extra.ON_BY_DEFAULT).toBe(false);
  });
});
