import { describe, expect, it } from 'vitest';
import { selectRecoveryPointsToTest } from '../../../src/domain/restore-selection.ts';
import type { RecoveryPoint } from '../../../src/ports/backup.ts';

function point(resource: string, day: number, overrides: Partial<RecoveryPoint> = {}): RecoveryPoint {
  return {
    recoveryPointArn: `arn:aws:backup:us-west-2:111122223333:recovery-point:${resource}-${day}`,
    backupVaultName: 'dr-vault',
    resourceArn: `arn:aws:dynamodb:us-east-1:111122223333:table/${resource}`,
    resourceType: 'DynamoDB',
    status: 'COMPLETED',
    creationDate: new Date(Date.UTC(2026, 10, day)),
    ...overrides,
  };
}

describe('selectRecoveryPointsToTest', () => {
  it('takes the newest usable point of each resource', () => {
    // Prepare
    const points = [point('a', 1), point('a', 3), point('a', 4, { status: 'CREATING' }), point('b', 2)];
    // Act
    const { chosen } = selectRecoveryPointsToTest({
      points,
      settings: {},
      algorithm: 'latest',
      maxPerRun: 10,
      random: () => 0,
    });
    // Assess
    expect(chosen.map((p) => p.recoveryPointArn.split(':').pop())).toEqual(['a-3', 'b-2']);
  });

  it.each([
    [0, 'a-3'],
    [0.5, 'a-2'],
    [0.99, 'a-1'],
  ])('picks at random within the window (random %s → %s)', (random, expected) => {
    const points = [point('a', 1), point('a', 2), point('a', 3)];
    const { chosen } = selectRecoveryPointsToTest({
      points,
      settings: {},
      algorithm: 'random',
      maxPerRun: 10,
      random: () => random,
    });
    expect(chosen[0]?.recoveryPointArn.endsWith(expected)).toBe(true);
  });

  it('leaves out unsupported types and types excluded from scheduled tests, and defers beyond the limit', () => {
    // Prepare
    const points = [
      point('a', 1),
      point('b', 1),
      point('c', 1),
      point('fsx', 1, { resourceType: 'FSx' }),
      point('vol', 1, { resourceType: 'EBS' }),
    ];
    // Act
    const selection = selectRecoveryPointsToTest({
      points,
      settings: { EBS: { scheduledTests: false } },
      algorithm: 'latest',
      maxPerRun: 2,
      random: () => 0,
    });
    // Assess
    expect(selection.chosen).toHaveLength(2);
    expect(selection.deferred).toBe(1);
  });
});
