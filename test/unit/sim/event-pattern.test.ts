import { describe, expect, it } from 'vitest';
import { matchesPattern } from '../../../sim/event-pattern.ts';

const event = {
  source: 'aws.backup',
  'detail-type': 'Copy Job State Change',
  account: '111122223333',
  region: 'us-east-1',
  resources: [
    'arn:aws:ec2:us-east-1::snapshot/snap-1',
    'arn:aws:backup:us-east-1:111122223333:recovery-point:abc',
  ],
  detail: {
    state: 'COMPLETED',
    destinationBackupVaultArn: 'arn:aws:backup:us-west-2:111122223333:backup-vault:dr',
    backupSizeInBytes: 2048,
    statusMessage: null,
    nested: { flag: 'Yes' },
  },
};

describe('matchesPattern', () => {
  it.each([
    ['exact values', { source: ['aws.backup'], 'detail-type': ['Copy Job State Change'] }],
    ['any of several values', { detail: { state: ['FAILED', 'COMPLETED'] } }],
    ['an element of an array field', { resources: ['arn:aws:ec2:us-east-1::snapshot/snap-1'] }],
    ['prefix', { detail: { destinationBackupVaultArn: [{ prefix: 'arn:aws:backup:us-west-2:' }] } }],
    [
      'prefix ignoring case',
      {
        detail: {
          destinationBackupVaultArn: [{ prefix: { 'equals-ignore-case': 'ARN:AWS:BACKUP:US-WEST-2' } }],
        },
      },
    ],
    ['suffix', { detail: { destinationBackupVaultArn: [{ suffix: ':dr' }] } }],
    ['anything-but a list', { detail: { state: [{ 'anything-but': ['FAILED', 'RUNNING'] }] } }],
    ['anything-but a prefix', { region: [{ 'anything-but': { prefix: 'eu-' } }] }],
    ['numeric range', { detail: { backupSizeInBytes: [{ numeric: ['>', 1024, '<=', 2048] }] } }],
    ['exists', { detail: { state: [{ exists: true }] } }],
    ['does not exist', { detail: { restoreTestingPlanArn: [{ exists: false }] } }],
    ['null value', { detail: { statusMessage: [null] } }],
    ['equals-ignore-case', { detail: { nested: { flag: [{ 'equals-ignore-case': 'yes' }] } } }],
    [
      'wildcard',
      { detail: { destinationBackupVaultArn: [{ wildcard: 'arn:aws:backup:*:backup-vault:dr' }] } },
    ],
    ['$or', { $or: [{ detail: { state: ['FAILED'] } }, { region: ['us-east-1'] }] }],
  ])('matches on %s', (_name, pattern) => {
    expect(matchesPattern(pattern, event)).toBe(true);
  });

  it.each([
    ['another value', { source: ['aws.drs'] }],
    ['a field the event lacks', { detail: { restoreJobId: ['x'] } }],
    [
      'a prefix that differs',
      { detail: { destinationBackupVaultArn: [{ prefix: 'arn:aws:backup:us-east-1:' }] } },
    ],
    ['anything-but the value', { detail: { state: [{ 'anything-but': ['COMPLETED'] }] } }],
    ['numeric out of range', { detail: { backupSizeInBytes: [{ numeric: ['<', 1024] }] } }],
    ['exists on an absent field', { detail: { missing: [{ exists: true }] } }],
    ['does-not-exist on a present field', { detail: { state: [{ exists: false }] } }],
    ['null against a value', { detail: { state: [null] } }],
    ['one failing branch of two fields', { source: ['aws.backup'], region: ['eu-west-1'] }],
    ['$or with no matching branch', { $or: [{ detail: { state: ['FAILED'] } }, { region: ['eu-west-1'] }] }],
    ['a number against its string form', { detail: { backupSizeInBytes: ['2048'] } }],
    ['case without ignore-case', { detail: { nested: { flag: ['yes'] } } }],
  ])('does not match on %s', (_name, pattern) => {
    expect(matchesPattern(pattern, event)).toBe(false);
  });

  it('fails loudly on an operator it cannot judge', () => {
    expect(() => matchesPattern({ detail: { state: [{ cidr: '10.0.0.0/8' }] } }, event)).toThrow(/cidr/);
    expect(() => matchesPattern({ detail: { state: [{ 'new-operator': 1 }] } }, event)).toThrow(/unknown/);
  });
});
