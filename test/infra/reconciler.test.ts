import { beforeAll, describe, expect, it } from 'vitest';
import { type CfnTemplate, loadPackagedTemplate, rulesTargeting } from '../helpers/package.ts';

/** The reconciler's function, schedule and role, in the template `osls package` produces. */
let template: CfnTemplate;
beforeAll(() => {
  template = loadPackagedTemplate();
});

interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
}
const statementsOf = (role: string): Statement[] =>
  (
    (template.Resources[role]?.Properties?.Policies as { PolicyDocument: { Statement: Statement[] } }[]) ?? []
  ).flatMap((policy) => policy.PolicyDocument.Statement);
const actionsOf = (statement: Statement) =>
  (Array.isArray(statement.Action) ? statement.Action : [statement.Action]).slice().sort();
/** A statement without its Sid (the same grant may be named differently). */
const grant = (statement: Statement) =>
  JSON.stringify({ a: actionsOf(statement), r: statement.Resource, c: statement.Condition ?? null });

describe('the reconciler function', () => {
  it('runs on its own role, hourly, with a retry policy and the DLQ', () => {
    const fn = template.Resources.ReconcilerLambdaFunction;
    expect(fn?.Properties?.Role).toEqual({ 'Fn::GetAtt': ['ReconcilerRole', 'Arn'] });
    const rules = rulesTargeting(template, 'ReconcilerLambdaFunction');
    expect(rules.map((rule) => rule.schedule)).toEqual(['rate(1 hour)']);
    const [target] = rules[0]?.targets ?? [];
    expect(target?.RetryPolicy).toEqual({ MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 2 });
    expect(target?.DeadLetterConfig).toEqual({ Arn: { 'Fn::GetAtt': ['DeadLetterQueue', 'Arn'] } });
  });

  it('sends failed invocations to the on-failure queue after two retries, like its siblings', () => {
    const [, config] =
      Object.entries(template.Resources).find(
        ([id, resource]) => resource.Type === 'AWS::Lambda::EventInvokeConfig' && id.startsWith('Reconciler'),
      ) ?? [];
    expect(config?.Properties?.MaximumRetryAttempts).toBe(2);
    expect(JSON.stringify(config?.Properties?.DestinationConfig)).toContain('FailedInvocationQueue');
  });

  it('has the lookback, grace and overdue settings, and those of the use cases it calls', () => {
    const environment = (fn: { Properties?: Record<string, unknown> } | undefined) =>
      (fn?.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
    const variables = environment(template.Resources.ReconcilerLambdaFunction);
    expect(variables).toMatchObject({
      RECONCILER_LOOKBACK: 'P2D',
      RECONCILER_GRACE: 'PT30M',
      RECONCILER_CLEANUP_OVERDUE: 'PT6H',
      RECONCILER_CONCURRENCY: '4',
    });
    for (const name of [
      'REVERSE_FAILBACK_INSTANCES',
      'REVERSAL_RETRY_FOR',
      'DR_VAULT_NAME',
      'RESTORE_SETTINGS',
    ]) {
      expect(variables[name], name).toEqual(
        [
          template.Resources.ReverseReplicationLambdaFunction,
          template.Resources.BackupRestoreLambdaFunction,
          template.Resources.RestoreValidationLambdaFunction,
        ]
          .map((fn) => environment(fn)[name])
          .find((value) => value !== undefined),
      );
    }
  });

  it('is granted nothing the use cases it calls are not granted, beyond its own read-only listings and memory', () => {
    // Least privilege by construction: it acts only through reverse-replication, restore-validation and
    // backup-restore, so each of its grants must be one of theirs, verbatim (actions, resources, conditions).
    const theirs = new Set(
      ['ReverseReplicationRole', 'RestoreValidationRole', 'BackupRestoreRole'].flatMap((role) =>
        statementsOf(role).map(grant),
      ),
    );
    const own = statementsOf('ReconcilerRole').filter((statement) => !theirs.has(grant(statement)));
    expect(own.map((statement) => statement.Sid).sort()).toEqual([
      'EvidenceLedgerLookup',
      'Logs',
      'PendingReversals',
      'ReconcilerMemory',
      'RestoreJobs',
    ]);
    const bySid = Object.fromEntries(own.map((statement) => [statement.Sid, statement]));
    // Whether a finished launch is recorded: one key of the ledger, read only.
    expect(actionsOf(bySid.EvidenceLedgerLookup as Statement)).toEqual(['dynamodb:GetItem']);
    expect(JSON.stringify(bySid.Logs?.Resource)).toContain('-reconciler:*');
    // ListRestoreJobs (no resource-level scoping) next to restore-validation's two job calls.
    expect(actionsOf(bySid.RestoreJobs as Statement)).toEqual([
      'backup:DescribeRestoreJob',
      'backup:ListRestoreJobs',
      'backup:PutRestoreValidationResult',
    ]);
    // A subset of reverse-replication's pending-reversal grant (it never removes a record); its own memory only
    // under its own partition.
    expect(actionsOf(bySid.PendingReversals as Statement)).toEqual(['dynamodb:Query', 'dynamodb:UpdateItem']);
    expect(bySid.ReconcilerMemory?.Condition).toEqual({
      'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['detector#reconciler'] },
    });
  });

  it('reaches the readiness table only under named partitions', () => {
    for (const statement of statementsOf('ReconcilerRole')) {
      if (!JSON.stringify(statement.Resource).includes('ReadinessTable')) continue;
      expect(JSON.stringify(statement.Condition), statement.Sid).toMatch(/dynamodb:LeadingKeys/);
    }
  });
});
