import { describe, expect, it } from 'vitest';
import { Resolver, readTemplate } from '../../sim/template.ts';
import {
  type CfnTemplate,
  PRIMARY_REGION,
  PRIMARY_TEMPLATE_PATH,
  RECOVERY_REGION,
  TEMPLATE_PATH,
} from '../helpers/package.ts';

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON
type Any = any;

// @ts-expect-error: a CommonJS osls plugin, without types
const plugin = await import('../../infra/plugins/function-conditions.cjs');
const { applyFunctionConditions } = plugin as unknown as {
  applyFunctionConditions: (
    resources: Record<string, Any>,
    functions: { logicalId: string; condition: string }[],
  ) => string[];
};

const ACCOUNT = '111122223333';

/** A deployed template in one Region: the resources whose condition holds there, resolved. */
function deployed(path: string, region: string) {
  const template = readTemplate(path) as CfnTemplate & { Outputs: Record<string, Any> };
  const resolver = new Resolver(template as Any, {
    region,
    account: ACCOUNT,
    stackName: 'dr-autopilot-test',
  });
  const exists = (resource: Any) =>
    resource.Condition === undefined || resolver.condition(String(resource.Condition));
  const resources = Object.fromEntries(
    Object.entries(template.Resources)
      .filter(([, resource]) => exists(resource))
      .map(([id, resource]) => [id, resource as Any]),
  );
  const outputs = Object.fromEntries(
    Object.entries(template.Outputs)
      .filter(([, output]) => exists(output))
      .map(([key, output]) => [key, resolver.resolve(output.Value)]),
  );
  const resolve = (value: Any): Any => resolver.resolve(value);
  return { template, resolver, resolve, resources, outputs };
}

const primary = deployed(PRIMARY_TEMPLATE_PATH, PRIMARY_REGION);
const recovery = deployed(TEMPLATE_PATH, RECOVERY_REGION);
const OWNER_BUS = `arn:aws:events:${RECOVERY_REGION}:${ACCOUNT}:event-bus/dr-autopilot-test`;

/** The logical ids a fragment references (Ref, Fn::GetAtt, Fn::Sub), leaving out the branches of `Fn::If`s on `condition`. */
function references(value: Any, condition: string | undefined, out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const item of value) references(item, condition, out);
  else if (value !== null && typeof value === 'object') {
    if (typeof value.Ref === 'string') out.add(value.Ref);
    const getAtt = value['Fn::GetAtt'];
    if (Array.isArray(getAtt)) out.add(getAtt[0]);
    const sub = value['Fn::Sub'];
    for (const match of String(Array.isArray(sub) ? sub[0] : (sub ?? '')).matchAll(/\$\{([A-Za-z0-9]+)[.}]/g))
      out.add(match[1] as string);
    const branches = value['Fn::If'];
    if (Array.isArray(branches)) {
      // A reference inside the true branch of its own condition is what Fn::If is for.
      const [ifCondition, whenTrue, whenFalse] = branches;
      const inner = new Set<string>();
      references(whenTrue, condition, inner);
      for (const id of inner) out.add(`${id}@if:${ifCondition}`);
      references(whenFalse, condition, out);
      return out;
    }
    for (const item of Object.values(value)) references(item, condition, out);
  }
  return out;
}

describe('one verdict per Region pair', () => {
  it('puts the readiness publisher, its rules and the readiness topic only in the recovery Region', () => {
    const publisherResources = (resources: Record<string, Any>) =>
      Object.keys(resources).filter((id) => /ReadinessPublisher|readinessPublisher/.test(id));

    expect(publisherResources(primary.resources)).toEqual([]);
    expect(primary.resources.ReadinessTopic).toBeUndefined();
    expect(primary.resources.ReadinessTopicPolicy).toBeUndefined();
    expect(publisherResources(recovery.resources)).toEqual(
      expect.arrayContaining([
        'ReadinessPublisherLambdaFunction',
        'ReadinessPublisherRole',
        'ReadinessPublisherEventBridgeLambdaPermission1',
        'DrautopilottestreadinessPublisherrule1EventBridgeRule',
        'DrautopilottestreadinessPublisherrule2EventBridgeRule',
        'DrautopilottestreadinessPublisherrule3EventBridgeRule',
      ]),
    );
    expect(recovery.resources.ReadinessTopic).toBeDefined();
    // Only the publisher is told the topic
    const withTopic = Object.entries(recovery.resources)
      .filter(([, resource]) => resource.Type === 'AWS::Lambda::Function')
      .filter(([, resource]) => 'TOPIC_ARN' in (resource.Properties.Environment?.Variables ?? {}))
      .map(([id]) => id);
    expect(withTopic).toEqual(['ReadinessPublisherLambdaFunction']);
  });

  it("forwards the primary Region's signals and machinery alarms to the recovery Region's bus", () => {
    const signals = primary.resolve(primary.resources.SignalForwardingRule.Properties);
    const alarms = primary.resolve(primary.resources.MachineryAlarmForwardingRule.Properties);

    expect(signals).toMatchObject({
      EventBusName: 'dr-autopilot-test',
      EventPattern: { source: ['dr-autopilot'] },
      Targets: [
        { Arn: OWNER_BUS, DeadLetterConfig: { Arn: expect.stringContaining(':dr-autopilot-test-dlq') } },
      ],
    });
    expect(alarms.EventBusName).toBeUndefined();
    expect(alarms).toMatchObject({
      EventPattern: {
        source: ['aws.cloudwatch'],
        'detail-type': ['CloudWatch Alarm State Change'],
        detail: { alarmName: [{ prefix: 'dr-autopilot-test-' }] },
      },
      Targets: [{ Arn: OWNER_BUS }],
    });
    // The forwarding role may put events on that one bus, nothing else
    const role = primary.resolve(primary.resources.ReadinessForwardingRole.Properties);
    expect(role.Policies.flatMap((policy: Any) => policy.PolicyDocument.Statement)).toEqual([
      { Sid: 'PutOnTheReadinessOwnersBus', Effect: 'Allow', Action: 'events:PutEvents', Resource: OWNER_BUS },
    ]);
    // The machinery alarms notify no topic in the primary Region (CloudWatch cannot reach another Region's)
    for (const id of ['DeadLetterQueueAlarm', 'FailedInvocationsAlarm', 'ReplicationOverRpoAlarm']) {
      const alarm = primary.resolve(primary.resources[id].Properties);
      expect(alarm.AlarmActions, id).toBeUndefined();
      expect(alarm.OKActions, id).toBeUndefined();
      expect(alarm.AlarmName, id).toMatch(/^dr-autopilot-test-/);
    }
    // The recovery Region forwards nothing
    for (const id of ['SignalForwardingRule', 'MachineryAlarmForwardingRule', 'ReadinessForwardingRole']) {
      expect(recovery.resources[id], id).toBeUndefined();
    }
  });

  it("tells on-call, on the one topic, about the primary Region's machinery alarms", () => {
    const rule = recovery.resolve(recovery.resources.ForwardedMachineryAlarmRule.Properties);
    const topicArn = recovery.resolver.ref('ReadinessTopic');

    expect(rule).toMatchObject({
      EventBusName: 'dr-autopilot-test',
      EventPattern: { source: ['aws.cloudwatch'], region: [PRIMARY_REGION] },
      Targets: [{ Arn: topicArn }],
    });
    const template: string = rule.Targets[0].InputTransformer.InputTemplate;
    // A string template is quoted; no value that could hold a quote is inserted (EventBridge does not escape)
    expect(template).toMatch(/^".*"$/s);
    expect(Object.values(rule.Targets[0].InputTransformer.InputPathsMap)).toEqual([
      '$.detail.alarmName',
      '$.detail.state.value',
      '$.detail.previousState.value',
      '$.region',
      '$.time',
    ]);
    expect(template).toContain('#runbook-primary-region-alarm');
  });

  it('admits only this deployment’s alarms and EventBridge to the topic (EventBridge without a condition: the guide says conditions cannot be used there)', () => {
    const policy = recovery.resolve(recovery.resources.ReadinessTopicPolicy.Properties);

    expect(policy.PolicyDocument.Statement).toEqual([
      expect.objectContaining({
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: 'sns:Publish',
        Condition: {
          ArnLike: {
            'aws:SourceArn': `arn:aws:cloudwatch:${RECOVERY_REGION}:${ACCOUNT}:alarm:dr-autopilot-test-*`,
          },
          StringEquals: { 'aws:SourceAccount': ACCOUNT },
        },
      }),
      {
        Sid: 'ForwardedMachineryAlarms',
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sns:Publish',
        Resource: expect.stringMatching(/:dr-autopilot-test-readiness$/),
      },
    ]);
    expect(JSON.stringify(policy)).not.toContain('"*"');
  });

  it('lets EventBridge use the topic key without a condition (none works there), CloudWatch only for this account', () => {
    const statements = recovery.resolve(recovery.resources.DataKey.Properties).KeyPolicy.Statement;
    const of = (service: string) =>
      statements.find((statement: Any) => statement.Principal?.Service === service);

    expect(of('events.amazonaws.com')).toEqual({
      Sid: 'EventBridgePublishesToTheTopic',
      Effect: 'Allow',
      Principal: { Service: 'events.amazonaws.com' },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Resource: '*',
    });
    expect(of('cloudwatch.amazonaws.com')?.Condition).toEqual({
      StringEquals: { 'aws:SourceAccount': ACCOUNT },
    });
  });

  it('keeps a customer managed key only where the topic is, and encrypts every table with aws/dynamodb', () => {
    // Prepare
    const ofType = (resources: Record<string, Any>, type: string) =>
      Object.entries(resources).filter(([, resource]) => resource.Type === type);
    const keyUsers = Object.entries(recovery.resources)
      .filter(([id]) => id !== 'DataKey' && id !== 'DataKeyAlias')
      .filter(([, resource]) => JSON.stringify(resource).includes('"DataKey'))
      .map(([id]) => id)
      .sort();

    // Assess: a key is $1 a month a Region; the primary Region has no topic, so no key.
    expect(ofType(primary.resources, 'AWS::KMS::Key')).toEqual([]);
    expect(ofType(recovery.resources, 'AWS::KMS::Key').map(([id]) => id)).toEqual(['DataKey']);
    expect(keyUsers).toEqual(['ReadinessPublisherRole', 'ReadinessTopic']);
    for (const stack of [primary, recovery]) {
      const tables = ofType(stack.resources, 'AWS::DynamoDB::Table');
      expect(tables.length).toBe(3);
      for (const [, table] of tables) {
        expect(table.Properties.SSESpecification).toEqual({ SSEEnabled: true, SSEType: 'KMS' });
      }
    }
  });

  it('names the readiness Region in both stacks’ outputs, and the topic only where it is', () => {
    expect(primary.outputs.ReadinessRegion).toBe(RECOVERY_REGION);
    expect(recovery.outputs.ReadinessRegion).toBe(RECOVERY_REGION);
    expect(primary.outputs.ReadinessTopicArn).toBeUndefined();
    expect(recovery.outputs.ReadinessTopicArn).toMatch(/^arn:aws:sns:us-west-2:/);
  });

  it('references a conditional resource only from resources with its condition, or inside Fn::If on it', () => {
    const { Resources: resources, Outputs: outputs } = recovery.template as Any;
    const problems: string[] = [];
    const check = (owner: string, fragment: Any, condition: string | undefined) => {
      for (const reference of references(fragment, condition)) {
        const [id = '', guard] = reference.split('@if:');
        const target = resources[id]?.Condition;
        if (target !== undefined && target !== condition && target !== guard)
          problems.push(`${owner} (${condition ?? 'always'}) → ${id} (${target})`);
      }
    };
    for (const [id, resource] of Object.entries<Any>(resources)) check(id, resource, resource.Condition);
    for (const [key, output] of Object.entries<Any>(outputs))
      check(`output ${key}`, output, output.Condition);

    expect(problems).toEqual([]);
  });

  it('lets the dlq receive from every rule that dead-letters to it, on the default bus and the signal bus', () => {
    for (const side of [primary, recovery]) {
      const policy = side.resolve(side.resources.DeadLetterQueuePolicy.Properties);
      const patterns: string[] = policy.PolicyDocument.Statement[0].Condition.ArnLike['aws:SourceArn'];
      const matches = (arn: string) =>
        patterns.some((pattern) =>
          new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`).test(arn),
        );
      for (const [id, rule] of Object.entries<Any>(side.resources)) {
        if (rule.Type !== 'AWS::Events::Rule') continue;
        const properties = side.resolve(rule.Properties);
        if (!JSON.stringify(properties.Targets).includes('dr-autopilot-test-dlq')) continue;
        const name = properties.Name ?? `dr-autopilot-test-${id}-ABCDEF123456`;
        const bus = properties.EventBusName;
        const arn = `arn:aws:events:${side.resolver.ref('AWS::Region')}:${ACCOUNT}:rule/${bus ? `${bus}/` : ''}${name}`;
        expect(matches(arn), arn).toBe(true);
      }
    }
  });
});

describe('the function-conditions plugin', () => {
  const fn = { Type: 'AWS::Lambda::Function', Condition: 'Owns' };
  const getAtt = { 'Fn::GetAtt': ['PublisherLambdaFunction', 'Arn'] };

  it("gives a conditional function's rules and permissions its condition", () => {
    const resources: Record<string, Any> = {
      PublisherLambdaFunction: { ...fn },
      Rule: { Type: 'AWS::Events::Rule', Properties: { Targets: [{ Arn: getAtt }] } },
      Permission: { Type: 'AWS::Lambda::Permission', Properties: { FunctionName: getAtt } },
      Other: { Type: 'AWS::Events::Rule', Properties: { Targets: [{ Arn: 'arn:aws:sns:x' }] } },
    };

    expect(
      applyFunctionConditions(resources, [{ logicalId: 'PublisherLambdaFunction', condition: 'Owns' }]),
    ).toEqual(['Rule', 'Permission']);
    expect(resources.Rule.Condition).toBe('Owns');
    expect(resources.Permission.Condition).toBe('Owns');
    expect(resources.Other.Condition).toBeUndefined();
  });

  it('refuses a rule that targets the conditional function and something else', () => {
    const resources: Record<string, Any> = {
      PublisherLambdaFunction: { ...fn },
      Rule: {
        Type: 'AWS::Events::Rule',
        Properties: { Targets: [{ Arn: getAtt }, { Arn: 'arn:aws:sns:x' }] },
      },
    };

    expect(() =>
      applyFunctionConditions(resources, [{ logicalId: 'PublisherLambdaFunction', condition: 'Owns' }]),
    ).toThrow(/targets the conditional function PublisherLambdaFunction and something else/);
  });
});
