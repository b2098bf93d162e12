import type { CfnResource, CfnTemplate } from './package.ts';

/**
 * Security checks over a packaged template, as it deploys in one Region: each returns the problems it finds
 * (empty when the template is sound), naming the resource, so the infra suite can run them on both Regions'
 * real templates and, on purpose-broken copies of them, show that each check catches what it is for.
 */

export type Statement = {
  Sid?: string;
  Effect: string;
  Action?: string | string[];
  NotAction?: unknown;
  Resource?: unknown;
  NotResource?: unknown;
  Principal?: unknown;
  NotPrincipal?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
};

/** A template as CloudFormation deploys it in `region`: resources whose condition is false are gone, `Fn::If` resolved. */
export function deployedIn(template: CfnTemplate, region: string): CfnTemplate {
  const conditions = template.Conditions ?? {};
  const memo = new Map<string, boolean>();
  const value = (node: unknown): unknown => {
    if (typeof node === 'object' && node !== null && 'Ref' in node && node.Ref === 'AWS::Region')
      return region;
    return node;
  };
  const truth = (node: unknown): boolean => {
    const n = node as Record<string, unknown[]>;
    if ('Fn::Equals' in n) {
      const [a, b] = n['Fn::Equals'] as unknown[];
      return JSON.stringify(value(a)) === JSON.stringify(value(b));
    }
    if ('Fn::Not' in n) return !truth((n['Fn::Not'] as unknown[])[0]);
    if ('Fn::And' in n) return (n['Fn::And'] as unknown[]).every(truth);
    if ('Fn::Or' in n) return (n['Fn::Or'] as unknown[]).some(truth);
    if ('Condition' in n) return holds(n.Condition as unknown as string);
    throw new Error(`condition not understood: ${JSON.stringify(node)}`);
  };
  const holds = (name: string): boolean => {
    const known = memo.get(name);
    if (known !== undefined) return known;
    if (!(name in conditions)) throw new Error(`no condition ${name}`);
    const result = truth(conditions[name]);
    memo.set(name, result);
    return result;
  };
  const resolve = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(resolve).filter((item) => !isNoValue(item));
    if (typeof node !== 'object' || node === null) return node;
    const record = node as Record<string, unknown>;
    if ('Fn::If' in record) {
      const [name, then, otherwise] = record['Fn::If'] as [string, unknown, unknown];
      return resolve(holds(name) ? then : otherwise);
    }
    return Object.fromEntries(
      Object.entries(record)
        .map(([key, child]) => [key, resolve(child)] as const)
        .filter(([, child]) => !isNoValue(child)),
    );
  };
  const resources = Object.fromEntries(
    Object.entries(template.Resources)
      .filter(([, resource]) => typeof resource.Condition !== 'string' || holds(resource.Condition))
      .map(([id, resource]) => [id, resolve(resource) as CfnResource]),
  );
  return { ...template, Resources: resources };
}

const isNoValue = (node: unknown) =>
  typeof node === 'object' && node !== null && (node as { Ref?: unknown }).Ref === 'AWS::NoValue';

const list = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

const actionsOf = (statement: Statement) => list(statement.Action as string | string[] | undefined);

const ofType = (template: CfnTemplate, type: string) =>
  Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);

/** Every IAM identity-policy statement: roles' inline policies and standalone `AWS::IAM::Policy` resources. */
export function identityStatements(template: CfnTemplate): [string, Statement][] {
  return Object.entries(template.Resources).flatMap(([id, resource]) => {
    const documents =
      resource.Type === 'AWS::IAM::Role'
        ? list(resource.Properties?.Policies as { PolicyDocument: { Statement: Statement[] } }[]).map(
            (policy) => policy.PolicyDocument,
          )
        : resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy'
          ? [resource.Properties?.PolicyDocument as { Statement: Statement[] }]
          : [];
    return documents.flatMap((document) =>
      list(document.Statement).map((statement): [string, Statement] => [id, statement]),
    );
  });
}

/** Every resource-policy statement (queue, topic, key, bucket, event bus, role trust), by resource. */
export function resourcePolicyStatements(template: CfnTemplate): [string, Statement][] {
  return Object.entries(template.Resources).flatMap(([id, resource]) => {
    const properties = resource.Properties ?? {};
    const document =
      resource.Type === 'AWS::KMS::Key'
        ? properties.KeyPolicy
        : resource.Type === 'AWS::IAM::Role'
          ? properties.AssumeRolePolicyDocument
          : resource.Type.startsWith('AWS::IAM::')
            ? undefined
            : (properties.PolicyDocument ?? properties.Policy);
    const statements = (document as { Statement?: Statement | Statement[] } | undefined)?.Statement;
    return list(statements).map((statement): [string, Statement] => [id, statement]);
  });
}

/**
 * Condition keys that tie a grant to a principal's or a source's account, organization or ARN: a wildcard
 * principal with one of these is not public.
 */
const RESTRICTING_KEYS =
  /^aws:(SourceAccount|SourceArn|SourceOwner|PrincipalAccount|PrincipalArn|PrincipalOrgID|SourceOrgID|ResourceAccount|SecureTransport)$/i;

const isWildcardPrincipal = (principal: unknown): boolean =>
  principal === '*' ||
  (typeof principal === 'object' &&
    principal !== null &&
    Object.values(principal).some((value) => list(value as unknown).includes('*')));

const conditionKeys = (statement: Statement) =>
  Object.values(statement.Condition ?? {}).flatMap((operator) => Object.keys(operator));

/** Nothing public: no wildcard principal on an Allow without a restricting condition, no `NotPrincipal`. */
export function publicGrants(template: CfnTemplate): string[] {
  const problems: string[] = [];
  for (const [id, statement] of resourcePolicyStatements(template)) {
    if (statement.Effect !== 'Allow') continue;
    if (statement.NotPrincipal !== undefined) problems.push(`${id}: Allow with NotPrincipal`);
    if (
      isWildcardPrincipal(statement.Principal) &&
      !conditionKeys(statement).some((key) => RESTRICTING_KEYS.test(key))
    )
      problems.push(`${id}: Allow to principal "*" without a condition on account, organization or source`);
  }
  for (const [id, permission] of ofType(template, 'AWS::Lambda::Permission')) {
    const properties = permission.Properties ?? {};
    if (properties.Principal === '*' || properties.Principal === undefined)
      problems.push(`${id}: Lambda permission to principal "*"`);
    const sourceArn = JSON.stringify(properties.SourceArn ?? '');
    const inThisAccount = sourceArn.includes('"AWS::AccountId"') || properties.SourceAccount !== undefined;
    if (properties.SourceArn === undefined && properties.SourceAccount === undefined)
      problems.push(`${id}: Lambda permission without SourceArn or SourceAccount`);
    else if (!inThisAccount) problems.push(`${id}: Lambda permission whose source is not in this account`);
    if (properties.FunctionUrlAuthType === 'NONE') problems.push(`${id}: public function URL`);
  }
  for (const [id] of ofType(template, 'AWS::Lambda::Url')) problems.push(`${id}: a function URL`);
  for (const [id, bucket] of ofType(template, 'AWS::S3::Bucket')) {
    const block = (bucket.Properties?.PublicAccessBlockConfiguration ?? {}) as Record<string, unknown>;
    for (const setting of [
      'BlockPublicAcls',
      'BlockPublicPolicy',
      'IgnorePublicAcls',
      'RestrictPublicBuckets',
    ])
      if (block[setting] !== true) problems.push(`${id}: ${setting} is not true`);
    const acl = bucket.Properties?.AccessControl;
    if (typeof acl === 'string' && /^Public/.test(acl)) problems.push(`${id}: AccessControl ${acl}`);
  }
  return problems;
}

/**
 * Actions that take no resource type in the Service Authorization Reference, so `"Resource": "*"` is the only
 * form AWS accepts, with why each function needs it (docs/research/iam-actions.md).
 */
export const UNSCOPABLE_ACTIONS: Record<string, string> = {
  'drs:DescribeJobs': 'no resource type; the reversal and the lifecycle read a launch job',
  'drs:DescribeRecoveryInstances':
    'no resource type; the monitor, reversal and lifecycle list recovery instances',
  'drs:DescribeSourceServers': 'no resource type; the monitor lists the servers, the reversal reads one',
  'drs:DescribeReplicationConfigurationTemplates':
    'no resource type; a dependent action of drs:ReverseReplication',
  'ec2:DescribeInstances':
    'EC2 Describe* take no resource; dependent action of ReverseReplication and DRS reads',
  'ec2:DescribeInstanceStatus':
    'EC2 Describe* take no resource; restore validation checks a restored instance',
  'ec2:DescribeVolumes': 'EC2 Describe* take no resource; restore validation and drill cleanup read volumes',
  'ec2:DescribeImages': 'EC2 Describe* take no resource; the workload tags AWS Backup copied onto an AMI',
  'ec2:DescribeSnapshots': 'EC2 Describe* take no resource; the workload tags copied onto an EBS snapshot',
  'backup:DescribeCopyJob': 'no resource type; the copy job that brought a recovery point to the DR vault',
  'backup:DescribeRestoreJob': 'no resource type; restore validation reads the finished restore job',
  'backup:ListRestoreJobs': 'no resource type; the reconciler finds restore jobs whose events were lost',
  'backup:PutRestoreValidationResult': 'no resource type; restore validation reports its verdict to Backup',
  'backup:GetRestoreTestingInferredMetadata': 'no resource type; the restore metadata AWS Backup infers',
};

/** Every identity-policy Allow names its actions (no `*`, no `service:*`) and, but for {@link UNSCOPABLE_ACTIONS}, its resources. */
export function broadGrants(template: CfnTemplate): string[] {
  const problems: string[] = [];
  for (const [id, statement] of identityStatements(template)) {
    if (statement.Effect !== 'Allow') continue;
    const where = `${id}${statement.Sid ? ` (${statement.Sid})` : ''}`;
    if (statement.NotAction !== undefined) problems.push(`${where}: Allow with NotAction`);
    if (statement.NotResource !== undefined) problems.push(`${where}: Allow with NotResource`);
    for (const action of actionsOf(statement))
      if (action.includes('*')) problems.push(`${where}: wildcard action ${action}`);
    const resources = list(statement.Resource);
    if (resources.length === 0 && statement.NotResource === undefined) problems.push(`${where}: no Resource`);
    if (resources.includes('*'))
      for (const action of actionsOf(statement))
        if (!(action in UNSCOPABLE_ACTIONS)) problems.push(`${where}: ${action} on "*"`);
  }
  return problems;
}

/**
 * `iam:PassRole` only on the restore role each function hands to AWS Backup (its `RESTORE_ROLE_ARN`), only to
 * AWS Backup, and only by a role whose function has one.
 */
export function passRoleProblems(template: CfnTemplate): string[] {
  const problems: string[] = [];
  const restoreRoleOf = new Map<string, unknown>();
  for (const [, fn] of ofType(template, 'AWS::Lambda::Function')) {
    const role = (fn.Properties?.Role as { 'Fn::GetAtt'?: [string, string] } | undefined)?.[
      'Fn::GetAtt'
    ]?.[0];
    const variables = (fn.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)
      ?.Variables;
    if (role && variables?.RESTORE_ROLE_ARN !== undefined)
      restoreRoleOf.set(role, variables.RESTORE_ROLE_ARN);
  }
  for (const [id, statement] of identityStatements(template)) {
    if (
      statement.Effect !== 'Allow' ||
      !actionsOf(statement).some((action) => /^iam:PassRole$/i.test(action))
    )
      continue;
    if (actionsOf(statement).length !== 1)
      problems.push(`${id}: iam:PassRole shares a statement with other actions`);
    const restoreRole = restoreRoleOf.get(id);
    if (restoreRole === undefined)
      problems.push(`${id}: iam:PassRole in a role whose function passes no restore role`);
    else if (JSON.stringify(list(statement.Resource)) !== JSON.stringify([restoreRole]))
      problems.push(`${id}: iam:PassRole on ${JSON.stringify(statement.Resource)}, not the restore role`);
    if (
      JSON.stringify(statement.Condition) !==
      JSON.stringify({ StringEquals: { 'iam:PassedToService': 'backup.amazonaws.com' } })
    )
      problems.push(`${id}: iam:PassRole without iam:PassedToService backup.amazonaws.com`);
  }
  return problems;
}

/**
 * Who may publish to a topic. The resource policy: CloudWatch only for this deployment's alarms (source ARN
 * and account), EventBridge (unconditioned: AWS does not support conditions there, docs/readiness.md) only
 * if every EventBridge target of the topic is a rule matching this deployment's alarms; nothing else. Identity
 * policies: only the roles named in `publishers`. Every alarm that notifies the topic is one the policy admits.
 */
export function topicPublishers(
  template: CfnTemplate,
  deployment: { prefix: string; publishers: readonly string[] },
): string[] {
  const problems: string[] = [];
  const topics = ofType(template, 'AWS::SNS::Topic').map(([id]) => id);
  const refersTo = (node: unknown, id: string) => JSON.stringify(node ?? null).includes(`"${id}"`);
  for (const topic of topics) {
    const policies = ofType(template, 'AWS::SNS::TopicPolicy').filter(([, policy]) =>
      refersTo(policy.Properties?.Topics, topic),
    );
    if (policies.length === 0)
      problems.push(`${topic}: no topic policy (SNS's default admits the whole account)`);
    for (const [id, policy] of policies) {
      for (const statement of list(
        (policy.Properties?.PolicyDocument as { Statement?: Statement[] } | undefined)?.Statement,
      )) {
        if (statement.Effect !== 'Allow') continue;
        const where = `${id}${statement.Sid ? ` (${statement.Sid})` : ''}`;
        const actions = actionsOf(statement);
        if (actions.some((action) => action !== 'sns:Publish'))
          problems.push(`${where}: grants ${actions.join(', ')}`);
        const principal = JSON.stringify(statement.Principal);
        if (principal === JSON.stringify({ Service: 'cloudwatch.amazonaws.com' })) {
          const arn = JSON.stringify(
            statement.Condition?.ArnLike?.['aws:SourceArn'] ??
              statement.Condition?.ArnEquals?.['aws:SourceArn'],
          );
          // biome-ignore lint/suspicious/noTemplateCurlyInString: the !Sub placeholder of this account's id
          if (!arn?.includes(`:alarm:${deployment.prefix}`) || !arn.includes('${AWS::AccountId}'))
            problems.push(`${where}: CloudWatch not limited to this deployment's alarms`);
          if (
            JSON.stringify(statement.Condition?.StringEquals?.['aws:SourceAccount']) !==
            JSON.stringify({ Ref: 'AWS::AccountId' })
          )
            problems.push(`${where}: CloudWatch not limited to this account`);
        } else if (principal === JSON.stringify({ Service: 'events.amazonaws.com' })) {
          const rules = ofType(template, 'AWS::Events::Rule').filter(([, rule]) =>
            list(rule.Properties?.Targets as { Arn?: unknown }[]).some((target) =>
              refersTo(target.Arn, topic),
            ),
          );
          if (rules.length === 0)
            problems.push(`${where}: EventBridge admitted but no rule of this stack targets the topic`);
          for (const [ruleId, rule] of rules) {
            const pattern = rule.Properties?.EventPattern as Record<string, unknown> | undefined;
            const alarmName = JSON.stringify(
              (pattern?.detail as Record<string, unknown> | undefined)?.alarmName,
            );
            if (
              JSON.stringify(pattern?.source) !== '["aws.cloudwatch"]' ||
              alarmName !== JSON.stringify([{ prefix: deployment.prefix }])
            )
              problems.push(`${ruleId}: publishes to ${topic} events other than this deployment's alarms`);
          }
        } else problems.push(`${where}: admits ${principal}`);
      }
    }
    for (const [id, statement] of identityStatements(template)) {
      if (statement.Effect !== 'Allow' || !actionsOf(statement).includes('sns:Publish')) continue;
      if (!deployment.publishers.includes(id))
        problems.push(`${id}: may publish (sns:Publish), not a publisher`);
    }
    for (const [id, alarm] of ofType(template, 'AWS::CloudWatch::Alarm')) {
      const notifies = ['AlarmActions', 'OKActions', 'InsufficientDataActions'].some((key) =>
        refersTo(alarm.Properties?.[key], topic),
      );
      const name = alarm.Properties?.AlarmName;
      if (notifies && (typeof name !== 'string' || !name.startsWith(deployment.prefix)))
        problems.push(
          `${id}: notifies ${topic} under a name (${JSON.stringify(name)}) the topic policy refuses`,
        );
    }
  }
  return problems;
}

/** Queues, topics and tables encrypted at rest. */
export function unencrypted(template: CfnTemplate): string[] {
  const problems: string[] = [];
  for (const [id, queue] of ofType(template, 'AWS::SQS::Queue'))
    if (queue.Properties?.SqsManagedSseEnabled !== true && queue.Properties?.KmsMasterKeyId === undefined)
      problems.push(`${id}: queue not encrypted`);
  for (const [id, topic] of ofType(template, 'AWS::SNS::Topic'))
    if (topic.Properties?.KmsMasterKeyId === undefined) problems.push(`${id}: topic not encrypted`);
  for (const [id, table] of ofType(template, 'AWS::DynamoDB::Table'))
    if ((table.Properties?.SSESpecification as { SSEEnabled?: unknown } | undefined)?.SSEEnabled !== true)
      problems.push(`${id}: table not encrypted with a KMS key (SSESpecification.SSEEnabled)`);
  return problems;
}

/** The evidence survives the stack: its table retained, and no evidence bucket the stack would delete. */
export function evidenceNotRetained(template: CfnTemplate): string[] {
  const problems: string[] = [];
  const table = template.Resources.EvidenceTable;
  if (!table) problems.push('EvidenceTable: missing');
  else {
    if (table.DeletionPolicy !== 'Retain') problems.push('EvidenceTable: DeletionPolicy is not Retain');
    if (table.UpdateReplacePolicy !== 'Retain')
      problems.push('EvidenceTable: UpdateReplacePolicy is not Retain');
    if (table.Properties?.DeletionProtectionEnabled !== true)
      problems.push('EvidenceTable: deletion protection is off');
  }
  for (const [id, bucket] of ofType(template, 'AWS::S3::Bucket'))
    if (/evidence/i.test(id) && bucket.DeletionPolicy !== 'Retain')
      problems.push(`${id}: an evidence bucket deleted with the stack`);
  return problems;
}
