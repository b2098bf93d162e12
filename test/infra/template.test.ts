import { beforeAll, describe, expect, it } from 'vitest';
import { SMOKE_OUTPUTS } from '../../scripts/smoke.ts';
import { validateAgainstSpec } from '../helpers/cfn-spec.ts';
import { type CfnTemplate, eventRules, loadPackagedTemplate, resourcesOfType } from '../helpers/package.ts';

/** Checks on the template `osls package` really produces (packaged once by the global setup). */
let template: CfnTemplate;
beforeAll(() => {
  template = loadPackagedTemplate();
});

type Statement = {
  Effect: string;
  Action: string | string[];
  Resource?: unknown;
  Principal?: unknown;
  Condition?: unknown;
};

function roleStatements(): [string, Statement][] {
  return resourcesOfType(template, 'AWS::IAM::Role').flatMap(([id, role]) =>
    (
      (role.Properties?.Policies as { PolicyDocument: { Statement: Statement[] } }[] | undefined) ?? []
    ).flatMap((policy) =>
      policy.PolicyDocument.Statement.map((statement): [string, Statement] => [id, statement]),
    ),
  );
}

function allPolicyStatements(): [string, Statement][] {
  const fromRoles = roleStatements();
  const fromOthers = Object.entries(template.Resources).flatMap(([id, resource]) => {
    const document = (resource.Properties?.PolicyDocument ?? resource.Properties?.KeyPolicy) as
      | { Statement?: Statement[] }
      | undefined;
    return (document?.Statement ?? []).map((statement): [string, Statement] => [id, statement]);
  });
  return [...fromRoles, ...fromOthers];
}

const DRILL_TERMINATION_POLICY = 'FailbackLifecycleDrillTerminationPolicy';

const actionsOf = (statement: Statement) =>
  Array.isArray(statement.Action) ? statement.Action : [statement.Action];

describe('the packaged CloudFormation template', () => {
  it('conforms to the CloudFormation resource specification', async () => {
    const problems = await validateAgainstSpec(template.Resources);
    expect(problems).toEqual([]);
  });

  it('the specification check catches an unknown property and a missing required one', async () => {
    const problems = await validateAgainstSpec({
      Queue: { Type: 'AWS::SQS::Queue', Properties: { QueueNme: 'typo' } },
      Rule: { Type: 'AWS::Events::Rule', Properties: { Targets: [{ Arn: 'x' }] } },
      Thing: { Type: 'AWS::Nope::Thing', Properties: {} },
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining('QueueNme: no such property'),
        expect.stringContaining('Targets[0].Id: required property missing'),
        expect.stringContaining('unknown resource type AWS::Nope::Thing'),
      ]),
    );
  });

  it('grants no wildcard action in any policy (roles, queue, key)', () => {
    // A Deny may use a wildcard (Serverless' deployment-bucket guard denies s3:* without TLS): it only removes rights.
    const wildcards = allPolicyStatements().filter(
      ([, statement]) =>
        statement.Effect === 'Allow' && actionsOf(statement).some((action) => action.includes('*')),
    );
    expect(wildcards).toEqual([]);
    const denies = allPolicyStatements().filter(([, statement]) => statement.Effect === 'Deny');
    for (const [id, statement] of denies)
      expect(JSON.stringify(statement.Condition), id).toContain('aws:SecureTransport');
  });

  it('scopes every Allow statement of a role to named resources, except actions that support none', () => {
    // Actions the Service Authorization Reference lists without resource types (only "*" works), see docs/research/iam-actions.md.
    const unscopable =
      /^(drs:Describe(Jobs|RecoveryInstances|SourceServers|ReplicationConfigurationTemplates)|ec2:Describe\w+|backup:(DescribeRestoreJob|DescribeCopyJob|PutRestoreValidationResult|GetRestoreTestingInferredMetadata|ListProtectedResources|ListRestoreJobs|ListCopyJobs)|cloudwatch:PutMetricData|rds:Describe\w+|elasticfilesystem:Describe\w+|dynamodb:ListTables|s3:ListAllMyBuckets)$/;
    const broad = roleStatements().filter(
      ([, statement]) =>
        statement.Effect === 'Allow' &&
        statement.Resource === '*' &&
        actionsOf(statement).some((action) => !unscopable.test(action)),
    );
    expect(broad).toEqual([]);
  });

  it('never lets a function fail over, fail back or destroy recovery instances (rule 3)', () => {
    const forbidden = new Set([
      'drs:StartRecovery',
      'drs:StartFailbackLaunch',
      'drs:StopReplication',
      'drs:StopFailback',
      'drs:TerminateRecoveryInstances',
      'drs:DisconnectRecoveryInstance',
      'drs:DeleteRecoveryInstance',
      'drs:DeleteSourceServer',
    ]);
    // Roles' own policies and every standalone policy; the one exception (drill termination) is checked below.
    const granted = allPolicyStatements().filter(
      ([id, statement]) =>
        id !== DRILL_TERMINATION_POLICY &&
        statement.Effect === 'Allow' &&
        actionsOf(statement).some((action) => forbidden.has(action)),
    );
    expect(granted).toEqual([]);
    expect(roleStatements().length).toBeGreaterThan(0);
  });

  it('lets only the failback lifecycle terminate, only tagged drill instances, only when opted in (rule 4)', () => {
    const policy = template.Resources[DRILL_TERMINATION_POLICY];
    // A separate policy that exists only when terminateDrillInstances is true (false in this package).
    expect(policy?.Type).toBe('AWS::IAM::Policy');
    expect((policy as { Condition?: unknown }).Condition).toBe('TerminateDrillInstancesEnabled');
    expect(
      (template as { Conditions?: Record<string, unknown> }).Conditions?.TerminateDrillInstancesEnabled,
    ).toEqual({ 'Fn::Equals': ['false', 'true'] });
    expect(policy?.Properties?.Roles).toEqual([{ Ref: 'FailbackLifecycleRole' }]);
    const statements =
      (policy?.Properties?.PolicyDocument as { Statement: Statement[] } | undefined)?.Statement ?? [];
    const withAction = (action: string) =>
      statements.filter((statement) => actionsOf(statement).includes(action));

    const [terminate, ...moreTerminate] = withAction('drs:TerminateRecoveryInstances');
    expect(moreTerminate).toEqual([]);
    expect(terminate?.Condition).toEqual({ Null: { 'aws:ResourceTag/dr-autopilot:drill-cleanup': 'false' } });
    expect(JSON.stringify(terminate?.Resource)).toMatch(/recovery-instance\/\*/);
    // The tag that unlocks termination is the only tag the function may add.
    expect(withAction('drs:TagResource')[0]?.Condition).toEqual({
      'ForAllValues:StringEquals': { 'aws:TagKeys': ['dr-autopilot:drill-cleanup'] },
    });
    // The EC2 side only on what DRS launched.
    for (const statement of [...withAction('ec2:TerminateInstances'), ...withAction('ec2:DeleteVolume')]) {
      expect(statement.Condition).toEqual({
        StringEquals: { 'ec2:ResourceTag/AWSElasticDisasterRecoveryManaged': 'drs.amazonaws.com' },
      });
    }
    // Elsewhere, only restore-validation's use case ends EC2 instances: the ones a restore test created, by our
    // tag. The reconciler runs that use case for restore events that were lost, with the same grant.
    const ec2Terminate = allPolicyStatements().filter(
      ([id, statement]) =>
        id !== DRILL_TERMINATION_POLICY && actionsOf(statement).includes('ec2:TerminateInstances'),
    );
    expect(ec2Terminate.map(([id, statement]) => [id, statement.Condition])).toEqual([
      [
        'RestoreValidationRole',
        { StringEquals: { 'aws:ResourceTag/dr-autopilot:managed-by': 'dr-autopilot' } },
      ],
      ['ReconcilerRole', { StringEquals: { 'aws:ResourceTag/dr-autopilot:managed-by': 'dr-autopilot' } }],
    ]);
  });

  it('gives every function its own role', () => {
    const roles = resourcesOfType(template, 'AWS::Lambda::Function').map(([, fn]) =>
      JSON.stringify(fn.Properties?.Role),
    );
    expect(new Set(roles).size).toBe(roles.length);
    expect(resourcesOfType(template, 'AWS::Lambda::Function').length).toBeGreaterThan(0);
  });

  it('runs every function on nodejs22.x with an ESM bundle', () => {
    for (const [id, fn] of resourcesOfType(template, 'AWS::Lambda::Function')) {
      expect(fn.Properties?.Runtime, id).toBe('nodejs22.x');
    }
  });

  it('gives every event-triggered target a retry policy and a dead-letter queue', () => {
    const targets = eventRules(template).flatMap((rule) =>
      rule.targets.map((target) => ({ rule: rule.logicalId, target })),
    );
    expect(targets.length).toBeGreaterThan(0);
    for (const { rule, target } of targets) {
      expect(target.RetryPolicy, rule).toBeDefined();
      expect((target.DeadLetterConfig as { Arn?: unknown } | undefined)?.Arn, rule).toBeDefined();
    }
  });

  it('gives every function an on-failure destination and bounded async retries', () => {
    const configs = resourcesOfType(template, 'AWS::Lambda::EventInvokeConfig');
    const functions = resourcesOfType(template, 'AWS::Lambda::Function');
    expect(configs.length).toBe(functions.length);
    for (const [id, config] of configs) {
      const destination = (
        config.Properties?.DestinationConfig as { OnFailure?: { Destination?: unknown } } | undefined
      )?.OnFailure?.Destination;
      expect(destination, id).toBeDefined();
      expect(config.Properties?.MaximumRetryAttempts, id).toBeGreaterThanOrEqual(1);
    }
  });

  it('encrypts every queue, topic and table', () => {
    for (const [id, queue] of resourcesOfType(template, 'AWS::SQS::Queue')) {
      expect(
        queue.Properties?.SqsManagedSseEnabled === true || queue.Properties?.KmsMasterKeyId !== undefined,
        id,
      ).toBe(true);
    }
    for (const [id, topic] of resourcesOfType(template, 'AWS::SNS::Topic')) {
      expect(topic.Properties?.KmsMasterKeyId, id).toBeDefined();
    }
    for (const [id, table] of resourcesOfType(template, 'AWS::DynamoDB::Table')) {
      expect(
        (table.Properties?.SSESpecification as { SSEEnabled?: boolean } | undefined)?.SSEEnabled,
        id,
      ).toBe(true);
    }
    expect(resourcesOfType(template, 'AWS::SNS::Topic').length).toBeGreaterThan(0);
  });

  it('lets EventBridge write to the DLQ only from this deployment’s rules', () => {
    const [, policy] = resourcesOfType(template, 'AWS::SQS::QueuePolicy')[0] ?? [];
    const statement = (policy?.Properties?.PolicyDocument as { Statement: Statement[] } | undefined)
      ?.Statement[0];
    expect(statement?.Principal).toEqual({ Service: 'events.amazonaws.com' });
    expect(JSON.stringify(statement?.Condition)).toContain('rule/dr-autopilot-');
  });

  it('keeps the idempotency table in Powertools’ default layout with TTL on expiration', () => {
    const [, table] =
      resourcesOfType(template, 'AWS::DynamoDB::Table').find(([id]) => id === 'IdempotencyTable') ?? [];
    expect(table?.Properties?.KeySchema).toEqual([{ AttributeName: 'id', KeyType: 'HASH' }]);
    expect(table?.Properties?.TimeToLiveSpecification).toEqual({
      AttributeName: 'expiration',
      Enabled: true,
    });
  });

  it('sets the configuration contract on every function', () => {
    for (const [id, fn] of resourcesOfType(template, 'AWS::Lambda::Function')) {
      const variables = Object.keys(
        (fn.Properties?.Environment as { Variables: Record<string, unknown> } | undefined)?.Variables ?? {},
      );
      expect(variables, id).toEqual(
        expect.arrayContaining([
          'PRIMARY_REGION',
          'RECOVERY_REGION',
          'MODE',
          'DEFAULT_RPO',
          'DEFAULT_RTO',
          'EVENT_BUS_NAME',
          'READINESS_TABLE_NAME',
          'IDEMPOTENCY_TABLE_NAME',
          'EVIDENCE_TABLE_NAME',
          'EVIDENCE_RETENTION',
        ]),
      );
    }
  });
});

describe('the stack outputs', () => {
  it('name what `npm run smoke` reads: the readiness topic, both dead-letter queues, every function', () => {
    // The topic and the publisher exist only in the readiness owner (the recovery Region's deployment)
    expect(template.Outputs?.[SMOKE_OUTPUTS.topic]).toEqual({
      Condition: 'OwnsReadiness',
      Value: { Ref: 'ReadinessTopic' },
    });
    expect(template.Outputs?.[SMOKE_OUTPUTS.readinessPublisher]).toMatchObject({
      Condition: 'OwnsReadiness',
    });
    expect(template.Outputs?.[SMOKE_OUTPUTS.deadLetterQueue]).toEqual({ Value: { Ref: 'DeadLetterQueue' } });
    expect(template.Outputs?.[SMOKE_OUTPUTS.failedInvocationQueue]).toEqual({
      Value: { Ref: 'FailedInvocationQueue' },
    });
    // osls's own output per function (its current version): smoke reads each function's configuration from it.
    const functions = resourcesOfType(template, 'AWS::Lambda::Function').map(([id]) =>
      id.replace(/LambdaFunction$/, ''),
    );
    expect(functions).toContain('ReadinessPublisher');
    for (const name of functions) {
      expect(template.Outputs?.[`${name}LambdaFunctionQualifiedArn`]).toMatchObject({
        Value: { Ref: expect.stringMatching(new RegExp(`^${name}LambdaVersion`)) },
      });
    }
    expect(template.Outputs?.[SMOKE_OUTPUTS.readinessPublisher]).toBeDefined();
  });
});

describe('the evidence ledger', () => {
  const evidenceTable = () =>
    resourcesOfType(template, 'AWS::DynamoDB::Table').find(([id]) => id === 'EvidenceTable')?.[1];
  const touchesEvidence = (statement: Statement) =>
    JSON.stringify(statement.Resource).includes('EvidenceTable');

  it('outlives the stack: retained, protected from deletion, recoverable to a point in time', () => {
    const table = evidenceTable();
    expect(table?.DeletionPolicy).toBe('Retain');
    expect(table?.UpdateReplacePolicy).toBe('Retain');
    expect(table?.Properties?.DeletionProtectionEnabled).toBe(true);
    expect(table?.Properties?.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    // A key of the stack would be scheduled for deletion with it, leaving the retained table unreadable.
    expect(table?.Properties?.SSESpecification).toEqual({ SSEEnabled: true, SSEType: 'KMS' });
    expect(table?.Properties?.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
    expect(template.Outputs?.EvidenceTableName).toBeDefined();
  });

  it('names the readiness table in the stack outputs, where `npm run status -- --stage` finds it', () => {
    expect(template.Outputs?.ReadinessTableName).toEqual({ Value: { Ref: 'ReadinessTable' } });
  });

  it('is written by the functions that act, with PutItem only: no role may change or delete a record', () => {
    const writers = roleStatements().filter(([, statement]) => touchesEvidence(statement));
    expect([...new Set(writers.map(([id]) => id))].sort()).toEqual(
      [
        'BackupRestoreRole',
        'EvidenceExportRole',
        'FailbackLifecycleRole',
        'ReconcilerRole',
        'RestoreTestSchedulerRole',
        'RestoreValidationRole',
        'ReverseReplicationRole',
      ].sort(),
    );
    const reads = (statement: Statement) =>
      actionsOf(statement).every((action) => action === 'dynamodb:Scan' || action === 'dynamodb:GetItem');
    for (const [id, statement] of writers.filter(([, statement]) => !reads(statement)))
      expect(actionsOf(statement), id).toEqual(['dynamodb:PutItem']);
    // The export, the restore-test scheduler (least recently tested first) and the reconciler (is a finished
    // launch recorded?) read it; nothing else touches it.
    const readers = writers.filter(([, statement]) => reads(statement)).map(([id]) => id);
    expect(readers.sort()).toEqual(['EvidenceExportRole', 'ReconcilerRole', 'RestoreTestSchedulerRole']);
  });

  it('exports to S3 only when a bucket is set, only under its prefix, only encrypted', () => {
    const policy = template.Resources.EvidenceExportWritePolicy;
    expect(policy?.Condition).toBe('EvidenceExportEnabled');
    expect(template.Conditions?.EvidenceExportEnabled).toEqual({ 'Fn::Not': [{ 'Fn::Equals': ['', ''] }] });
    const document = policy?.Properties?.PolicyDocument as { Statement: Statement[] } | undefined;
    const [statement] = document?.Statement ?? [];
    expect(actionsOf(statement as Statement)).toEqual(['s3:PutObject']);
    expect(JSON.stringify(statement?.Resource)).toContain('/dr-autopilot-evidence/test/');
    expect(statement?.Condition).toEqual({ StringEquals: { 's3:x-amz-server-side-encryption': 'AES256' } });
    const role = roleStatements().filter(([id]) => id === 'EvidenceExportRole');
    expect(role.flatMap(([, s]) => actionsOf(s)).filter((action) => action.startsWith('s3:'))).toEqual([]);
  });
});

describe('the reverse-replication function', () => {
  function policyActions(roleId: string): string[] {
    return roleStatements()
      .filter(([id]) => id === roleId)
      .flatMap(([, statement]) => actionsOf(statement));
  }

  it('may call only what it uses, and ReverseReplication’s documented dependencies', () => {
    expect([...new Set(policyActions('ReverseReplicationRole'))].sort()).toEqual(
      [
        'drs:DescribeJobs',
        'drs:DescribeRecoveryInstances',
        'drs:DescribeReplicationConfigurationTemplates',
        'drs:DescribeSourceServers',
        'drs:ReverseReplication',
        'dynamodb:DeleteItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:Query',
        'dynamodb:UpdateItem',
        'ec2:DescribeInstances',
        'events:PutEvents',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'sqs:SendMessage',
      ].sort(),
    );
  });

  it('may reverse only recovery instances of its own account and Region', () => {
    const [, statement] =
      roleStatements().find(
        ([id, s]) => id === 'ReverseReplicationRole' && actionsOf(s).includes('drs:ReverseReplication'),
      ) ?? [];
    expect(JSON.stringify(statement?.Resource)).toContain(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation !Sub string, not a template literal
      ':drs:${AWS::Region}:${AWS::AccountId}:recovery-instance/*',
    );
  });
});

describe('the failback-lifecycle function', () => {
  /** The Region pair the template was packaged for, as its functions see it. */
  const pair = () => {
    const environment = template.Resources.FailbackLifecycleLambdaFunction?.Properties?.Environment as
      | { Variables: Record<string, string> }
      | undefined;
    return {
      primary: environment?.Variables.PRIMARY_REGION,
      recovery: environment?.Variables.RECOVERY_REGION,
    };
  };

  const statementsOf = (roleId: string) =>
    roleStatements()
      .filter(([id]) => id === roleId)
      .map(([, statement]) => statement);

  it('reads DRS in the two Regions of the pair only, and writes only its own partition and signals', () => {
    const statements = statementsOf('FailbackLifecycleRole');
    expect([...new Set(statements.flatMap(actionsOf))].sort()).toEqual(
      [
        'drs:DescribeJobs',
        'drs:DescribeRecoveryInstances',
        'drs:DescribeSourceServers',
        'dynamodb:BatchWriteItem',
        'dynamodb:PutItem',
        'dynamodb:Query',
        'ec2:DescribeInstances',
        'events:PutEvents',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'sqs:SendMessage',
      ].sort(),
    );
    const reads = statements.find((statement) => actionsOf(statement).includes('drs:DescribeJobs'));
    expect(reads?.Condition).toEqual({
      StringEquals: { 'aws:RequestedRegion': [pair().primary, pair().recovery] },
    });
    const state = statements.find((statement) => actionsOf(statement).includes('dynamodb:BatchWriteItem'));
    expect(state?.Condition).toEqual({
      'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['detector#failback-lifecycle'] },
    });
  });

  it('runs one sweep at a time', () => {
    expect(template.Resources.FailbackLifecycleLambdaFunction?.Properties?.ReservedConcurrentExecutions).toBe(
      1,
    );
  });

  it('has the primary Region forward DRS launch and failback events to the recovery Region bus', () => {
    const rule = template.Resources.DrsLifecycleForwardingRule as unknown as {
      Condition?: string;
      Properties: {
        EventPattern: unknown;
        Targets: { Arn: unknown; RetryPolicy?: unknown; DeadLetterConfig?: unknown }[];
      };
    };
    expect(rule.Condition).toBe('IsPrimaryRegionForDrs');
    expect(rule.Properties.EventPattern).toEqual({
      source: ['aws.drs'],
      'detail-type': ['DRS Source Server Launch Result', 'DRS Recovery Instance Failback State Change'],
    });
    expect(JSON.stringify(rule.Properties.Targets[0]?.Arn)).toContain(`events:${pair().recovery}`);
    expect(rule.Properties.Targets[0]?.DeadLetterConfig).toBeDefined();
  });
});
