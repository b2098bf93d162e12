import { describe, expect, it } from 'vitest';

/** CloudFormation `Fn::Sub` strings, written as the template holds them. */
const sub = (text: string) => ({ 'Fn::Sub': text.replace(/#\{/g, '${') });

import {
  type CfnResource,
  type CfnTemplate,
  loadPackagedTemplate,
  resourcesOfType,
} from '../helpers/package.ts';

interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

function statements(template: CfnTemplate, role: string): Statement[] {
  const resource = template.Resources[role] as CfnResource;
  const policies = (resource.Properties?.Policies ?? []) as { PolicyDocument: { Statement: Statement[] } }[];
  return policies.flatMap((policy) => policy.PolicyDocument.Statement);
}
const actions = (statement: Statement) =>
  Array.isArray(statement.Action) ? statement.Action : [statement.Action];
const text = (value: unknown) => JSON.stringify(value);

const ROLES = ['BackupRestoreRole', 'RestoreTestSchedulerRole', 'RestoreValidationRole'];

describe('backup restore infrastructure', () => {
  const template = loadPackagedTemplate() as CfnTemplate & { Conditions?: Record<string, unknown> };

  it('forwards copy events from the primary Region only, to the recovery Region’s bus, with a role, retries and a DLQ', () => {
    // Prepare
    const rule = template.Resources.BackupCopyForwardingRule as CfnResource & { Condition?: string };
    const role = template.Resources.BackupCopyForwardingRole as CfnResource & { Condition?: string };
    const target = (rule.Properties?.Targets as Record<string, unknown>[] | undefined)?.[0] ?? {};
    // Assess
    expect(template.Conditions?.IsPrimaryRegion).toEqual({
      'Fn::Equals': [{ Ref: 'AWS::Region' }, 'us-east-1'],
    });
    expect([rule.Condition, role.Condition]).toEqual(['IsPrimaryRegion', 'IsPrimaryRegion']);
    expect(rule.Properties?.EventBusName).toBeUndefined();
    expect(target.Arn).toEqual(
      sub('arn:#{AWS::Partition}:events:us-west-2:#{AWS::AccountId}:event-bus/dr-autopilot-test'),
    );
    expect(target.RoleArn).toEqual({ 'Fn::GetAtt': ['BackupCopyForwardingRole', 'Arn'] });
    expect(target.RetryPolicy).toBeDefined();
    expect(target.DeadLetterConfig).toEqual({ Arn: { 'Fn::GetAtt': ['DeadLetterQueue', 'Arn'] } });
    expect(statements(template, 'BackupCopyForwardingRole')).toEqual([
      expect.objectContaining({ Action: 'events:PutEvents', Resource: target.Arn }),
    ]);
  });

  it('schedules restore tests and the validation sweep, with retries and a DLQ', () => {
    const schedules = resourcesOfType(template, 'AWS::Events::Rule').filter(
      ([, rule]) =>
        rule.Properties?.ScheduleExpression !== undefined &&
        /RestoreTestScheduler|RestoreValidation/.test(text(rule.Properties?.Targets)),
    );
    expect(schedules.map(([, rule]) => rule.Properties?.ScheduleExpression).sort()).toEqual([
      'cron(0 5 ? * SUN *)',
      'rate(10 minutes)',
    ]);
    for (const [, rule] of schedules) {
      expect(text(rule.Properties?.Targets)).toContain('RetryPolicy');
      expect(text(rule.Properties?.Targets)).toContain('DeadLetterQueue');
    }
  });

  it.each(ROLES)('%s names its actions (no wildcard actions)', (role) => {
    for (const statement of statements(template, role)) {
      for (const action of actions(statement))
        expect(action, statement.Sid).toMatch(/^[a-z0-9-]+:[A-Za-z0-9]+$/);
    }
  });

  it.each(['BackupRestoreRole', 'RestoreTestSchedulerRole'])(
    '%s may pass only the restore role, only to AWS Backup',
    (role) => {
      const passRole = statements(template, role).filter((statement) =>
        actions(statement).includes('iam:PassRole'),
      );
      expect(passRole).toHaveLength(1);
      expect(passRole[0]?.Resource).toEqual(
        sub('arn:#{AWS::Partition}:iam::#{AWS::AccountId}:role/service-role/AWSBackupDefaultServiceRole'),
      );
      expect(passRole[0]?.Condition).toEqual({
        StringEquals: { 'iam:PassedToService': 'backup.amazonaws.com' },
      });
      const env =
        (
          template.Resources.BackupRestoreLambdaFunction?.Properties?.Environment as
            | { Variables: Record<string, unknown> }
            | undefined
        )?.Variables ?? {};
      expect(env.RESTORE_ROLE_ARN).toEqual(passRole[0]?.Resource);
    },
  );

  it('grants no role but restore-validation any deleting action, and conditions those on our tag or name', () => {
    const deleting = /:(Delete|Terminate|Deregister)/;
    // The idempotency store's own records (DeleteItem on IdempotencyTable) are not resources of anyone's.
    const resourceStatements = (role: string) =>
      statements(template, role).filter(
        (statement) => !text(statement.Resource).includes('IdempotencyTable'),
      );
    for (const role of ['BackupRestoreRole', 'RestoreTestSchedulerRole']) {
      expect(
        resourceStatements(role)
          .flatMap(actions)
          .filter((action) => deleting.test(action)),
      ).toEqual([]);
    }
    const deletes = resourceStatements('RestoreValidationRole').filter((statement) =>
      actions(statement).some((a) => deleting.test(a)),
    );
    expect(deletes.length).toBeGreaterThan(0);
    for (const statement of deletes) {
      const s3 = actions(statement).every((action) => action.startsWith('s3:'));
      if (s3) expect(text(statement.Resource)).toContain('s3:::dr-autopilot-*');
      else
        expect(statement.Condition).toEqual({
          StringEquals: { 'aws:ResourceTag/dr-autopilot:managed-by': 'dr-autopilot' },
        });
      expect(statement.Resource).not.toBe('*');
    }
  });

  it('lets restore-validation add only dr-autopilot:* tags', () => {
    const tagging = statements(template, 'RestoreValidationRole').filter((statement) =>
      actions(statement).some((action) => /:(CreateTags|TagResource|AddTagsToResource)$/.test(action)),
    );
    expect(tagging.length).toBe(4);
    for (const statement of tagging) {
      expect(statement.Condition).toEqual({
        'ForAllValues:StringLike': { 'aws:TagKeys': ['dr-autopilot:*'] },
      });
    }
  });

  it('scopes restore-validation’s RDS tagging, validation instances and deletes to the names dr-autopilot uses', () => {
    const rds = statements(template, 'RestoreValidationRole').filter((statement) =>
      actions(statement).some((action) =>
        /^rds:(AddTagsToResource|CreateDBInstance|Modify|Delete)/.test(action),
      ),
    );
    expect(rds.map((statement) => statement.Sid).sort()).toEqual([
      'AuroraValidationInstance',
      'RdsDelete',
      'RdsTag',
    ]);
    const allowedDbOrCluster =
      /:(db:dr-autopilot-\*|db:dr-autopilot-\*-validate|db:awsbackup-restore-test\*-validate|cluster:dr-autopilot-\*|cluster:awsbackup-restore-test\*|subgrp:\*|pg:\*|og:\*)$/;
    for (const statement of rds) {
      const resources = (statement.Resource as { 'Fn::Sub': string }[]).map(
        (resource) => resource['Fn::Sub'],
      );
      for (const resource of resources) expect(resource, statement.Sid).toMatch(allowedDbOrCluster);
    }
    const create = rds.find((statement) => statement.Sid === 'AuroraValidationInstance');
    expect(text(create?.Resource)).not.toMatch(/cluster:\*"/);
    expect(text(rds.find((statement) => statement.Sid === 'RdsTag')?.Resource)).not.toContain('awsbackup');
  });

  it.each(ROLES)('%s reaches the readiness table only under the detector’s own partition', (role) => {
    const table = statements(template, role).filter((statement) =>
      text(statement.Resource).includes('ReadinessTable'),
    );
    expect(table).toHaveLength(1);
    expect(table[0]?.Condition).toEqual({
      'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['detector#backup-restore'] },
    });
  });

  it('lets restore-validation claim a restore job with a conditional UpdateItem (issue 14)', () => {
    const table = statements(template, 'RestoreValidationRole').find((statement) =>
      text(statement.Resource).includes('ReadinessTable'),
    );
    expect(table ? actions(table) : []).toContain('dynamodb:UpdateItem');
  });

  it('scopes StartRestoreJob to this Region’s recovery points', () => {
    const start = statements(template, 'BackupRestoreRole').find((statement) =>
      actions(statement).includes('backup:StartRestoreJob'),
    );
    expect(start?.Resource).toEqual(
      expect.arrayContaining([
        sub('arn:#{AWS::Partition}:backup:#{AWS::Region}:#{AWS::AccountId}:recovery-point:*'),
      ]),
    );
    expect(text(start?.Resource)).not.toContain('"*"');
  });
});
