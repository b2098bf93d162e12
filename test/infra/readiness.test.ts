import { describe, expect, it } from 'vitest';
import { OPEN_INDEX } from '../../src/adapters/readiness-store.ts';
import { type CfnResource, loadPackagedTemplate } from '../helpers/package.ts';

type Statement = { Sid?: string; Effect: string; Action: string | string[]; Resource: unknown };

function statements(roleId: string): Statement[] {
  const role = loadPackagedTemplate().Resources[roleId] as CfnResource;
  const policies = role.Properties?.Policies as { PolicyDocument: { Statement: Statement[] } }[];
  return policies.flatMap((policy) => policy.PolicyDocument.Statement);
}

/** Every (action, resource) pair a role grants. */
function grants(roleId: string): [string, unknown][] {
  return statements(roleId).flatMap((statement) =>
    [statement.Action]
      .flat()
      .flatMap((action) =>
        [statement.Resource].flat().map((resource): [string, unknown] => [action, resource]),
      ),
  );
}

const ref = (id: string) => ({ Ref: id });
const arn = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });

describe('readiness publisher infrastructure', () => {
  it('grants exactly what the publisher needs, each on its own resource', () => {
    // Act
    const granted = grants('ReadinessPublisherRole').filter(([action]) => !action.startsWith('logs:'));
    // Assess
    expect(granted).toEqual(
      expect.arrayContaining([
        ['dynamodb:GetItem', arn('ReadinessTable')],
        ['dynamodb:BatchGetItem', arn('ReadinessTable')],
        ['dynamodb:PutItem', arn('ReadinessTable')],
        ['dynamodb:UpdateItem', arn('ReadinessTable')],
        ['dynamodb:Query', arn('ReadinessTable')],
        ['dynamodb:DeleteItem', arn('ReadinessTable')],
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation !Sub string, not a template literal
        ['dynamodb:Query', { 'Fn::Sub': '${ReadinessTable.Arn}/index/open' }],
        ['sns:Publish', ref('ReadinessTopic')],
        ['kms:GenerateDataKey', arn('DataKey')],
        ['kms:Decrypt', arn('DataKey')],
        ['sqs:SendMessage', arn('FailedInvocationQueue')],
      ]),
    );
    expect(granted).toHaveLength(11);
    // No idempotency records: applying a signal is idempotent by construction.
    expect(granted.filter(([, resource]) => JSON.stringify(resource).includes('IdempotencyTable'))).toEqual(
      [],
    );
  });

  it('declares the sparse index of open resources that notifications query, worst first', () => {
    // Act
    const table = loadPackagedTemplate().Resources.ReadinessTable as CfnResource;
    // Assess
    expect(table.Properties?.AttributeDefinitions).toEqual(
      expect.arrayContaining([
        { AttributeName: 'openPk', AttributeType: 'S' },
        { AttributeName: 'openSk', AttributeType: 'S' },
      ]),
    );
    expect(table.Properties?.GlobalSecondaryIndexes).toEqual([
      {
        IndexName: OPEN_INDEX,
        KeySchema: [
          { AttributeName: 'openPk', KeyType: 'HASH' },
          { AttributeName: 'openSk', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ]);
  });

  it.each(['ReadinessPublisherRole', 'AlarmReadinessRole'])(
    '%s names every action and scopes every resource',
    (role) => {
      for (const [action, resource] of grants(role)) {
        expect(action, role).not.toContain('*');
        expect(resource, `${role} ${action}`).not.toBe('*');
      }
    },
  );

  it('lets the alarm function put signals on the dr-autopilot bus only', () => {
    expect(grants('AlarmReadinessRole')).toEqual(
      expect.arrayContaining([['events:PutEvents', arn('SignalBus')]]),
    );
    expect(grants('AlarmReadinessRole').filter(([action]) => action.startsWith('sns:'))).toEqual([]);
  });

  it.each([
    ['ReadinessPublisherLambdaFunction', 'ReadinessPublisherRole', 'ReadinessPublisherLambdaEvConf'],
    ['AlarmReadinessLambdaFunction', 'AlarmReadinessRole', 'AlarmReadinessLambdaEvConf'],
  ])('%s runs with its own role and sends failed invocations to the queue', (fn, role, config) => {
    // Prepare
    const resources = loadPackagedTemplate().Resources;
    // Assess
    expect(resources[fn]?.Properties?.Role).toEqual(arn(role));
    expect(resources[config]?.Properties?.DestinationConfig).toEqual({
      OnFailure: { Destination: arn('FailedInvocationQueue') },
    });
  });

  it('gives every readiness rule a retry policy and the dead-letter queue', () => {
    // Prepare
    const rules = Object.entries(loadPackagedTemplate().Resources).filter(
      ([id, resource]) =>
        resource.Type === 'AWS::Events::Rule' && /readinessPublisher|alarmReadiness/.test(id),
    );
    // Assess
    expect(rules).toHaveLength(4);
    for (const [id, rule] of rules) {
      const [target] = (rule.Properties?.Targets ?? []) as Record<string, unknown>[];
      expect(target?.RetryPolicy, id).toBeDefined();
      expect(target?.DeadLetterConfig, id).toEqual({ Arn: arn('DeadLetterQueue') });
    }
  });

  it('configures the publisher from stage parameters', () => {
    // Prepare
    const fn = loadPackagedTemplate().Resources.ReadinessPublisherLambdaFunction as CfnResource;
    const env = (fn.Properties?.Environment as { Variables: Record<string, unknown> } | undefined)?.Variables;
    // Assess
    expect(env).toMatchObject({
      STAGE: 'test',
      READINESS_DOWNGRADE_OBSERVATIONS: '2',
      READINESS_STALE_AFTER: 'PT1H',
      READINESS_BACKUP_STALE_AFTER: 'P8D',
      READINESS_REOBSERVE_AFTER: 'PT5M',
      READINESS_HISTORY_RETENTION: 'P90D',
      CHAT_NOTIFICATIONS: 'false',
      TOPIC_ARN: ref('ReadinessTopic'),
      READINESS_TABLE_NAME: ref('ReadinessTable'),
    });
  });
});
