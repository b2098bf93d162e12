import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type CfnTemplate,
  PRIMARY_REGION,
  PRIMARY_TEMPLATE_PATH,
  RECOVERY_REGION,
  TEMPLATE_PATH,
} from '../helpers/package.ts';
import {
  broadGrants,
  deployedIn,
  evidenceNotRetained,
  identityStatements,
  passRoleProblems,
  publicGrants,
  type Statement,
  topicPublishers,
  UNSCOPABLE_ACTIONS,
  unencrypted,
} from '../helpers/template-security.ts';

/**
 * Template security on both Regions' real `osls package` output (the global setup packages the pair), each
 * as CloudFormation deploys it in its Region (conditions evaluated). Every check is also run on a copy of the
 * real template broken on purpose, so a check that cannot fail would show here.
 */
const PREFIX = 'dr-autopilot-test-';
const PUBLISHERS = ['ReadinessPublisherRole'];

const load = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as CfnTemplate;
let regions: [string, CfnTemplate][];
beforeAll(() => {
  regions = [
    [PRIMARY_REGION, deployedIn(load(PRIMARY_TEMPLATE_PATH), PRIMARY_REGION)],
    [RECOVERY_REGION, deployedIn(load(TEMPLATE_PATH), RECOVERY_REGION)],
  ];
});
/** The recovery Region's deployed template, to break on purpose (a fresh copy each time). */
const recovery = (): CfnTemplate => structuredClone(regions[1]?.[1] as CfnTemplate);
const statementOf = (template: CfnTemplate, roleId: string, sid: string): Statement => {
  const found = identityStatements(template).find(
    ([id, statement]) => id === roleId && statement.Sid === sid,
  );
  if (!found) throw new Error(`no statement ${sid} in ${roleId}`);
  return found[1];
};
const resource = (template: CfnTemplate, id: string) => {
  const found = template.Resources[id];
  if (!found) throw new Error(`no resource ${id}`);
  return found;
};
/** The statements of a policy document property of a resource (for breaking them). */
function statementsIn(template: CfnTemplate, id: string, property: string): Statement[] {
  const properties: Record<string, unknown> = resource(template, id).Properties ?? {};
  return (properties[property] as { Statement: Statement[] }).Statement;
}
const topicStatements = (template: CfnTemplate) =>
  statementsIn(template, 'ReadinessTopicPolicy', 'PolicyDocument');

describe.each([PRIMARY_REGION, RECOVERY_REGION])('the template deployed in %s', (region) => {
  const template = () => regions.find(([name]) => name === region)?.[1] as CfnTemplate;

  it('is read as deployed there: conditions evaluated for the Region', () => {
    // The readiness topic exists only in the recovery Region (docs/readiness.md, One verdict per Region pair).
    expect(Boolean(template().Resources.ReadinessTopic)).toBe(region === RECOVERY_REGION);
    expect(Object.keys(template().Resources).length).toBeGreaterThan(50);
  });

  it('admits to the readiness topic only this deployment’s publisher, its alarms and the forwarding rule', () => {
    expect(topicPublishers(template(), { prefix: PREFIX, publishers: PUBLISHERS })).toEqual([]);
  });

  it('lets iam:PassRole pass only the restore role, only to AWS Backup', () => {
    expect(passRoleProblems(template())).toEqual([]);
    const passers = identityStatements(template())
      .filter(([, statement]) => JSON.stringify(statement.Action).includes('iam:PassRole'))
      .map(([id]) => id);
    expect(passers.sort()).toEqual(['BackupRestoreRole', 'ReconcilerRole', 'RestoreTestSchedulerRole']);
  });

  it('makes nothing public: no wildcard principal, every Lambda permission tied to a source, S3 blocked', () => {
    expect(publicGrants(template())).toEqual([]);
  });

  it('names every action and, except where AWS takes only "*", every resource', () => {
    expect(broadGrants(template())).toEqual([]);
  });

  it('encrypts every queue, topic and table', () => {
    expect(unencrypted(template())).toEqual([]);
    expect(Object.values(template().Resources).filter((r) => r.Type === 'AWS::SQS::Queue').length).toBe(2);
  });

  it('keeps the evidence when the stack is removed', () => {
    expect(evidenceNotRetained(template())).toEqual([]);
  });
});

describe('the "*"-resource exceptions', () => {
  it('are each used, with the reason AWS requires "*"', () => {
    const used = new Set(
      regions.flatMap(([, template]) =>
        identityStatements(template)
          .filter(([, statement]) => statement.Resource === '*')
          .flatMap(([, statement]) => [statement.Action].flat()),
      ),
    );
    expect(Object.keys(UNSCOPABLE_ACTIONS).filter((action) => !used.has(action))).toEqual([]);
    for (const reason of Object.values(UNSCOPABLE_ACTIONS)) expect(reason.length).toBeGreaterThan(20);
  });
});

describe('each check, on the real template broken on purpose', () => {
  it('topic: another principal, a wider alarm ARN, an extra publisher role, a misnamed alarm', () => {
    const check = (template: CfnTemplate) =>
      topicPublishers(template, { prefix: PREFIX, publishers: PUBLISHERS });
    let broken = recovery();
    topicStatements(broken).push({
      Effect: 'Allow',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation !Sub string, not a template literal
      Principal: { AWS: { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:root' } },
      Action: 'sns:Publish',
    });
    expect(check(broken)).toEqual([expect.stringMatching(/ReadinessTopicPolicy: admits/)]);

    broken = recovery();
    const [alarms] = topicStatements(broken);
    (alarms as Statement).Condition = { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } };
    expect(check(broken)).toEqual([expect.stringMatching(/not limited to this deployment's alarms/)]);

    broken = recovery();
    statementOf(broken, 'AlarmReadinessRole', 'Logs').Action = ['logs:PutLogEvents', 'sns:Publish'];
    expect(check(broken)).toEqual(['AlarmReadinessRole: may publish (sns:Publish), not a publisher']);

    broken = recovery();
    (resource(broken, 'DeadLetterQueueAlarm').Properties as Record<string, unknown>).AlarmName = 'other-dlq';
    expect(check(broken)).toEqual([expect.stringMatching(/DeadLetterQueueAlarm: notifies ReadinessTopic/)]);

    broken = recovery();
    const rule = resource(broken, 'ForwardedMachineryAlarmRule').Properties as {
      EventPattern: { detail: unknown };
    };
    rule.EventPattern.detail = { alarmName: [{ prefix: '' }] };
    expect(check(broken)).toEqual([expect.stringMatching(/ForwardedMachineryAlarmRule: publishes/)]);

    broken = recovery();
    delete broken.Resources.ReadinessTopicPolicy;
    expect(check(broken)).toEqual([expect.stringMatching(/no topic policy/)]);
  });

  it('PassRole: any role, no PassedToService, bundled with another action', () => {
    let broken = recovery();
    statementOf(broken, 'BackupRestoreRole', 'PassRestoreRole').Resource = {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation !Sub string, not a template literal
      'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:role/*',
    };
    expect(passRoleProblems(broken)).toEqual([
      expect.stringMatching(/BackupRestoreRole: iam:PassRole on .*not the restore role/),
    ]);

    broken = recovery();
    delete statementOf(broken, 'ReconcilerRole', 'PassRestoreRole').Condition;
    expect(passRoleProblems(broken)).toEqual([
      'ReconcilerRole: iam:PassRole without iam:PassedToService backup.amazonaws.com',
    ]);

    broken = recovery();
    statementOf(broken, 'ReverseReplicationRole', 'Signals').Action = ['events:PutEvents', 'iam:PassRole'];
    expect(passRoleProblems(broken)).toEqual(
      expect.arrayContaining([
        'ReverseReplicationRole: iam:PassRole shares a statement with other actions',
        'ReverseReplicationRole: iam:PassRole in a role whose function passes no restore role',
      ]),
    );
  });

  it('public: "*" on the queue, key or a trust policy, a Lambda permission without source, S3 unblocked', () => {
    let broken = recovery();
    const [queueStatement] = statementsIn(broken, 'DeadLetterQueuePolicy', 'PolicyDocument');
    (queueStatement as Statement).Principal = '*';
    delete (queueStatement as Statement).Condition;
    expect(publicGrants(broken)).toEqual([
      expect.stringMatching(/^DeadLetterQueuePolicy: Allow to principal "\*"/),
    ]);

    broken = recovery();
    const key = statementsIn(broken, 'DataKey', 'KeyPolicy');
    key.push({ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'kms:Decrypt', Resource: '*' });
    expect(publicGrants(broken)).toEqual([expect.stringMatching(/^DataKey: Allow to principal "\*"/)]);

    broken = recovery();
    const permission = resource(broken, 'ReconcilerEventBridgeLambdaPermission1').Properties as Record<
      string,
      unknown
    >;
    delete permission.SourceArn;
    expect(publicGrants(broken)).toEqual([
      'ReconcilerEventBridgeLambdaPermission1: Lambda permission without SourceArn or SourceAccount',
    ]);
    permission.Principal = '*';
    expect(publicGrants(broken)).toContain(
      'ReconcilerEventBridgeLambdaPermission1: Lambda permission to principal "*"',
    );

    broken = recovery();
    delete resource(broken, 'ServerlessDeploymentBucket').Properties?.PublicAccessBlockConfiguration;
    expect(publicGrants(broken)).toEqual(
      ['BlockPublicAcls', 'BlockPublicPolicy', 'IgnorePublicAcls', 'RestrictPublicBuckets'].map(
        (setting) => `ServerlessDeploymentBucket: ${setting} is not true`,
      ),
    );
  });

  it('broad: a "*" action, a service:* action, a scopable action on "*"', () => {
    let broken = recovery();
    statementOf(broken, 'ReconcilerRole', 'CopyJobs').Action = 'backup:*';
    expect(broadGrants(broken)).toEqual([
      'ReconcilerRole (CopyJobs): wildcard action backup:*',
      'ReconcilerRole (CopyJobs): backup:* on "*"',
    ]);

    broken = recovery();
    statementOf(broken, 'ReconcilerRole', 'CopyJobs').Action = '*';
    expect(broadGrants(broken)).toEqual([
      'ReconcilerRole (CopyJobs): wildcard action *',
      'ReconcilerRole (CopyJobs): * on "*"',
    ]);

    broken = recovery();
    statementOf(broken, 'BackupRestoreRole', 'Signals').Resource = '*';
    expect(broadGrants(broken)).toEqual(['BackupRestoreRole (Signals): events:PutEvents on "*"']);
  });

  it('encryption: a queue, the topic and a table in clear', () => {
    const broken = recovery();
    delete resource(broken, 'FailedInvocationQueue').Properties?.SqsManagedSseEnabled;
    delete resource(broken, 'FailedInvocationQueue').Properties?.KmsMasterKeyId;
    delete resource(broken, 'ReadinessTopic').Properties?.KmsMasterKeyId;
    delete resource(broken, 'IdempotencyTable').Properties?.SSESpecification;
    expect(unencrypted(broken)).toEqual([
      'FailedInvocationQueue: queue not encrypted',
      'ReadinessTopic: topic not encrypted',
      'IdempotencyTable: table not encrypted with a KMS key (SSESpecification.SSEEnabled)',
    ]);
  });

  it('retention: the evidence table deleted with the stack', () => {
    const broken = recovery();
    resource(broken, 'EvidenceTable').DeletionPolicy = 'Delete';
    expect(evidenceNotRetained(broken)).toEqual(['EvidenceTable: DeletionPolicy is not Retain']);
  });
});
