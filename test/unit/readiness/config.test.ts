import { describe, expect, it } from 'vitest';
import { readinessEnvSchema, readinessPolicyFrom } from '../../../src/app/readiness-config.ts';
import { staleAfterSecondsOf } from '../../../src/domain/readiness.ts';

describe('readiness configuration: staleness per resource type', () => {
  it.each([
    { name: 'defaults', env: {}, server: 3_600, backup: 8 * 86_400 },
    {
      name: 'READINESS_STALE_AFTER and READINESS_BACKUP_STALE_AFTER',
      env: { READINESS_STALE_AFTER: 'PT45M', READINESS_BACKUP_STALE_AFTER: 'P15D' },
      server: 2_700,
      backup: 15 * 86_400,
    },
  ])('$name', ({ env, server, backup }) => {
    // Prepare
    const parsed = readinessEnvSchema.parse(env);
    // Act
    const policy = readinessPolicyFrom(parsed);
    // Assess
    expect(staleAfterSecondsOf('drs-source-server', policy)).toBe(server);
    expect(staleAfterSecondsOf('drs-recovery-instance', policy)).toBe(server);
    expect(staleAfterSecondsOf('drs-service', policy)).toBe(server);
    expect(staleAfterSecondsOf('backup-resource', policy)).toBe(backup);
    expect(staleAfterSecondsOf('alarm', policy)).toBeNull();
    expect(staleAfterSecondsOf('drs-recovery-launch', policy)).toBeNull();
  });

  it.each([['P0D'], ['8 days'], ['']])('rejects READINESS_BACKUP_STALE_AFTER=%j', (value) => {
    // Act
    const result = readinessEnvSchema.safeParse({ READINESS_BACKUP_STALE_AFTER: value });
    // Assess
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['READINESS_BACKUP_STALE_AFTER']);
  });
});

describe('readiness configuration: chat notifications', () => {
  it.each([
    [{}, false],
    [{ CHAT_NOTIFICATIONS: 'true' }, true],
    [{ CHAT_NOTIFICATIONS: 'FALSE' }, false],
  ])('reads %j as %s', (env, expected) => {
    expect(readinessEnvSchema.parse(env).CHAT_NOTIFICATIONS).toBe(expected);
  });

  it('refuses anything but true or false', () => {
    const result = readinessEnvSchema.safeParse({ CHAT_NOTIFICATIONS: 'yes' });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]).toMatchObject({
      path: ['CHAT_NOTIFICATIONS'],
      message: 'must be true or false',
    });
  });
});
