import { describe, expect, it } from 'vitest';
import { backupJobStateChange } from '../../events/backup/backup-job-state-change.ts';
import {
  copyJobStateChange,
  destinationRecoveryPointArnOf,
} from '../../events/backup/copy-job-state-change.ts';
import { restoreJobStateChange, restoreStatusOf } from '../../events/backup/restore-job-state-change.ts';
import { matchesPattern, type Pattern } from '../../sim/event-pattern.ts';
import { InvalidEventError } from '../../src/domain/errors.ts';
import { allSamples, loadSample } from '../helpers/events.ts';
import { type CfnResource, loadPackagedTemplate, resourcesOfType } from '../helpers/package.ts';

/** The packaged stage: primary us-east-1, recovery us-west-2 (test/helpers/package.ts). */
const PARAMETERS: Record<string, string> = {
  'AWS::Partition': 'aws',
  'AWS::AccountId': '1112233445566',
  'AWS::Region': 'us-west-2',
};

/** Resolves the `Fn::Sub` values CloudFormation would resolve in a deployed pattern. */
function resolve(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(resolve);
  if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    if (typeof record['Fn::Sub'] === 'string') {
      return record['Fn::Sub'].replace(
        /\$\{([^}]+)\}/g,
        (_, name: string) => PARAMETERS[name] ?? `\${${name}}`,
      );
    }
    return Object.fromEntries(Object.entries(record).map(([key, item]) => [key, resolve(item)]));
  }
  return value;
}

function rule(predicate: (id: string, resource: CfnResource) => boolean): Pattern {
  const rules = resourcesOfType(loadPackagedTemplate(), 'AWS::Events::Rule').filter(([id, resource]) =>
    predicate(id, resource),
  );
  expect(rules).toHaveLength(1);
  return resolve(rules[0]?.[1].Properties?.EventPattern) as Pattern;
}

const targets = (resource: CfnResource) => JSON.stringify(resource.Properties?.Targets ?? []);
const forwardingPattern = () => rule((id) => id === 'BackupCopyForwardingRule');
const copyRestorePattern = () =>
  rule(
    (_, resource) =>
      targets(resource).includes('BackupRestoreLambdaFunction') &&
      JSON.stringify(resource).includes('Copy Job'),
  );
const backupRestorePattern = () =>
  rule(
    (_, resource) =>
      targets(resource).includes('BackupRestoreLambdaFunction') &&
      JSON.stringify(resource).includes('Backup Job'),
  );
const validationPattern = () =>
  rule(
    (_, resource) =>
      targets(resource).includes('RestoreValidationLambdaFunction') &&
      resource.Properties?.EventPattern !== undefined,
  );

// biome-ignore lint/suspicious/noExplicitAny: AWS sample events, edited field by field per test.
type Sample = Record<string, any>;
const backupSamples = () => allSamples().filter((sample) => sample.source === 'backup');

describe('AWS Backup event contracts', () => {
  it.each(backupSamples().map((sample) => [sample.name, sample.event] as const))(
    'parses the AWS sample %s',
    (name, event) => {
      const contract = name.startsWith('copy-job')
        ? copyJobStateChange
        : name.startsWith('backup-job')
          ? backupJobStateChange
          : name.startsWith('restore-job')
            ? restoreJobStateChange
            : undefined;
      if (!contract) {
        expect(name).toBe('recovery-point-state-change.completed');
        return;
      }
      expect(() => contract.parse(event)).not.toThrow();
    },
  );

  it('reads the restore state from `status` or from `state` (the CREATED sample)', () => {
    expect(
      restoreStatusOf(
        restoreJobStateChange.parse(loadSample('backup', 'restore-job-state-change.completed')),
      ),
    ).toBe('COMPLETED');
    expect(
      restoreStatusOf(restoreJobStateChange.parse(loadSample('backup', 'restore-job-state-change.created'))),
    ).toBe('CREATED');
  });

  it('treats the `{}` destination of an unfinished copy as no recovery point', () => {
    expect(
      destinationRecoveryPointArnOf(
        copyJobStateChange.parse(loadSample('backup', 'copy-job-state-change.running')),
      ),
    ).toBeUndefined();
    expect(
      destinationRecoveryPointArnOf(
        copyJobStateChange.parse(loadSample('backup', 'copy-job-state-change.completed')),
      ),
    ).toBe('arn:aws:ec2:us-west-2::snapshot/snap-0726fe70935586180');
  });

  it.each([
    ['without it', undefined],
    ['with `{}` there', {}],
    ['with something that is not a vault ARN', 'dr-vault'],
  ])('rejects a COMPLETED copy event %s, naming detail.destinationBackupVaultArn', (_name, value) => {
    const event = loadSample<Sample>('backup', 'copy-job-state-change.completed');
    if (value === undefined) delete event.detail.destinationBackupVaultArn;
    else event.detail.destinationBackupVaultArn = value;
    expect(() => copyJobStateChange.parse(event)).toThrow(InvalidEventError);
    expect(() => copyJobStateChange.parse(event)).toThrow(/detail\.destinationBackupVaultArn/);
  });

  it('accepts an unfinished copy event without a destination vault ARN', () => {
    const event = loadSample<Sample>('backup', 'copy-job-state-change.running');
    delete event.detail.destinationBackupVaultArn;
    expect(() => copyJobStateChange.parse(event)).not.toThrow();
  });

  it('rejects a restore event without a job id, naming the field', () => {
    const event = loadSample<Sample>('backup', 'restore-job-state-change.completed');
    delete event.detail.restoreJobId;
    expect(() => restoreJobStateChange.parse(event)).toThrow(InvalidEventError);
    expect(() => restoreJobStateChange.parse(event)).toThrow(/detail\.restoreJobId/);
  });
});

describe('deployed AWS Backup rules', () => {
  const others = () => allSamples().filter((sample) => sample.source !== 'backup');

  it.each([
    ['forwarding (primary Region)', forwardingPattern],
    ['backup-restore (recovery-Region bus)', copyRestorePattern],
  ])('%s matches only the copy COMPLETED into the recovery Region', (_name, pattern) => {
    // Prepare
    const completed = loadSample<Sample>('backup', 'copy-job-state-change.completed');
    const elsewhere = loadSample<Sample>('backup', 'copy-job-state-change.completed');
    elsewhere.detail.destinationBackupVaultArn = 'arn:aws:backup:eu-west-1:1112233445566:backup-vault:dr';
    // Act / Assess
    expect(matchesPattern(pattern(), completed)).toBe(true);
    expect(matchesPattern(pattern(), elsewhere)).toBe(false);
    for (const sample of [
      ...backupSamples().filter((s) => s.name !== 'copy-job-state-change.completed'),
      ...others(),
    ]) {
      expect(matchesPattern(pattern(), sample.event), sample.name).toBe(false);
    }
  });

  it('backup-restore takes Backup Job COMPLETED only into the DR vault of the recovery Region', () => {
    const completed = loadSample<Sample>('backup', 'backup-job-state-change.completed');
    expect(matchesPattern(backupRestorePattern(), completed)).toBe(false);
    completed.detail.backupVaultArn = 'arn:aws:backup:us-west-2:1112233445566:backup-vault:Default';
    expect(matchesPattern(backupRestorePattern(), completed)).toBe(true);
    completed.detail.state = 'FAILED';
    expect(matchesPattern(backupRestorePattern(), completed)).toBe(false);
  });

  it('restore-validation takes finished restore jobs, under `status` or `state`', () => {
    // Prepare
    const expected = new Set(['restore-job-state-change.completed', 'restore-job-state-change.failed']);
    const stateKeyed = loadSample<Sample>('backup', 'restore-job-state-change.created');
    stateKeyed.detail.state = 'ABORTED';
    // Act / Assess
    for (const sample of allSamples()) {
      expect(matchesPattern(validationPattern(), sample.event), sample.name).toBe(expected.has(sample.name));
    }
    expect(matchesPattern(validationPattern(), stateKeyed)).toBe(true);
  });
});
