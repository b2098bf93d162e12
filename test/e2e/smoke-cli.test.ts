import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { UsageError } from '../../scripts/cli-env.ts';
import { functionEnvironments, readLayout, resolveService } from '../../scripts/config-check.ts';
import { runSmoke } from '../../scripts/smoke.ts';
import { awsError, startAwsDouble } from '../helpers/aws-http-double.ts';

/**
 * `npm run smoke` as an operator runs it after a deploy: real SDK clients (CloudFormation, Lambda, SNS, CloudWatch,
 * SQS) reach one local double through the SDK's endpoint settings (AWS_ENDPOINT_URL_<SERVICE>). The deployed
 * functions' environments are what serverless.yml gives them for stage prod in us-west-2.
 */
const ROOT = new URL('../../', import.meta.url).pathname;
const ACCOUNT = '123456789012';
const REGION = 'us-west-2';
const STACK = 'dr-autopilot-prod';
const TOPIC_ARN = `arn:aws:sns:${REGION}:${ACCOUNT}:${STACK}-readiness`;
const QUEUE = (name: string) => `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${STACK}-${name}`;

/** Every function of serverless.yml as Lambda would list it, by function name. */
const DEPLOYED = Object.entries(
  functionEnvironments(
    resolveService(readLayout(), {
      stage: 'prod',
      region: REGION,
      cliParams: ['primaryRegion=us-east-1', 'recoveryRegion=us-west-2'],
    }),
  ),
).map(([key, { handler, env }]) => {
  const { AWS_REGION: _region, ...variables } = env;
  return { key, name: `${STACK}-${key}`, handler, variables };
});

interface World {
  stackStatus: string;
  deployedAt: Date;
  outputs: Record<string, string>;
  subscriptions: { protocol: string; arn: string }[];
  invocations: number[];
  errors: number[];
  queues: Record<string, { visible: number; inFlight: number }>;
  variables: (name: string, variables: Record<string, string>) => Record<string, string>;
}

let world: World;

function freshWorld(): World {
  const outputs: Record<string, string> = {
    ReadinessTableName: `${STACK}-ReadinessTable-1`,
    ReadinessTopicArn: TOPIC_ARN,
    DeadLetterQueueUrl: QUEUE('dlq'),
    FailedInvocationQueueUrl: QUEUE('failed-invocations'),
  };
  for (const fn of DEPLOYED) {
    const logical = `${fn.key[0]?.toUpperCase()}${fn.key.slice(1)}`;
    outputs[`${logical}LambdaFunctionQualifiedArn`] =
      `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${fn.name}:7`;
  }
  return {
    stackStatus: 'UPDATE_COMPLETE',
    deployedAt: new Date(Date.now() - 30 * 60_000),
    outputs,
    subscriptions: [{ protocol: 'email', arn: `${TOPIC_ARN}:0b4e6f2a-1c3d-4e5f-8a9b-0c1d2e3f4a5b` }],
    invocations: [1, 1, 1, 1, 1, 1],
    errors: [0, 0, 0, 0, 0, 0],
    queues: {
      [QUEUE('dlq')]: { visible: 0, inFlight: 0 },
      [QUEUE('failed-invocations')]: { visible: 0, inFlight: 0 },
    },
    variables: (_name, variables) => variables,
  };
}

const xml = (text: string) => text.replace(/>\s+</g, '><').trim();

let double: Awaited<ReturnType<typeof startAwsDouble>>;

beforeAll(async () => {
  double = await startAwsDouble(
    {
      DescribeStacks: ({ body }) =>
        body.StackName !== STACK
          ? {
              status: 400,
              xml: `<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error><Type>Sender</Type><Code>ValidationError</Code><Message>Stack with id ${String(body.StackName)} does not exist</Message></Error><RequestId>r-1</RequestId></ErrorResponse>`,
            }
          : {
              xml: xml(`<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/">
                <DescribeStacksResult><Stacks><member>
                  <StackName>${STACK}</StackName><StackStatus>${world.stackStatus}</StackStatus>
                  <CreationTime>2026-11-01T00:00:00Z</CreationTime><LastUpdatedTime>${world.deployedAt.toISOString()}</LastUpdatedTime>
                  <Outputs>${Object.entries(world.outputs)
                    .map(
                      ([key, value]) =>
                        `<member><OutputKey>${key}</OutputKey><OutputValue>${value}</OutputValue></member>`,
                    )
                    .join('')}</Outputs>
                </member></Stacks></DescribeStacksResult>
                <ResponseMetadata><RequestId>r-2</RequestId></ResponseMetadata></DescribeStacksResponse>`),
            },
      ListSubscriptionsByTopic: ({ body }) => ({
        xml: xml(`<ListSubscriptionsByTopicResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">
          <ListSubscriptionsByTopicResult><Subscriptions>${world.subscriptions
            .map(
              (subscription) =>
                `<member><TopicArn>${String(body.TopicArn)}</TopicArn><Protocol>${subscription.protocol}</Protocol><SubscriptionArn>${subscription.arn}</SubscriptionArn><Owner>${ACCOUNT}</Owner><Endpoint>oncall@example.com</Endpoint></member>`,
            )
            .join('')}</Subscriptions></ListSubscriptionsByTopicResult>
          <ResponseMetadata><RequestId>r-3</RequestId></ResponseMetadata></ListSubscriptionsByTopicResponse>`),
      }),
      GetMetricData: () => {
        const timestamps = world.invocations.map((_, index) => Math.floor(Date.now() / 1000) - 300 * index);
        return {
          body: {
            MetricDataResults: [
              {
                Id: 'invocations',
                Label: 'Invocations',
                Timestamps: timestamps,
                Values: world.invocations,
                StatusCode: 'Complete',
              },
              {
                Id: 'errors',
                Label: 'Errors',
                Timestamps: timestamps,
                Values: world.errors,
                StatusCode: 'Complete',
              },
            ],
          },
        };
      },
      GetQueueAttributes: ({ body }) => {
        const queue = world.queues[String(body.QueueUrl)];
        if (!queue)
          return awsError(
            400,
            'AWS.SimpleQueueService.NonExistentQueue',
            'The specified queue does not exist.',
          );
        return {
          body: {
            Attributes: {
              ApproximateNumberOfMessages: String(queue.visible),
              ApproximateNumberOfMessagesNotVisible: String(queue.inFlight),
            },
          },
        };
      },
      GetFunctionConfiguration: ({ path }) => {
        const name = decodeURIComponent(path.split('/')[3] ?? '');
        const fn = DEPLOYED.find((candidate) => candidate.name === name);
        if (!fn) return awsError(404, 'ResourceNotFoundException', `Function not found: ${name}`);
        return {
          body: {
            FunctionName: fn.name,
            FunctionArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${fn.name}`,
            Runtime: 'nodejs22.x',
            Handler: fn.handler,
            State: 'Active',
            LastUpdateStatus: 'Successful',
            Environment: { Variables: world.variables(fn.name, fn.variables) },
          },
        };
      },
    },
    {
      operationOf: ({ path }) =>
        /^\/2015-03-31\/functions\/[^/]+\/configuration$/.test(path) ? 'GetFunctionConfiguration' : undefined,
    },
  );
});
afterAll(() => double.close());
beforeEach(() => {
  world = freshWorld();
  double.requests.length = 0;
});

function endpoints(): Record<string, string> {
  return Object.fromEntries(
    ['CLOUDFORMATION', 'LAMBDA', 'SNS', 'SQS', 'CLOUDWATCH'].map((service) => [
      `AWS_ENDPOINT_URL_${service}`,
      double.endpoint,
    ]),
  );
}

/** The tool as a process (tsx scripts/smoke.ts), for the exit code and a clean stderr. */
async function smokeProcess(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      join(ROOT, 'node_modules/.bin/tsx'),
      ['scripts/smoke.ts', ...args],
      { cwd: ROOT, env: { ...process.env, AWS_REGION: 'eu-west-1', ...endpoints(), ...env } },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

/** The same tool in-process. */
async function smoke(args: string[] = ['--stage', 'prod', '--region', REGION]) {
  const out: string[] = [];
  const err: string[] = [];
  const io = { out: (text: string) => out.push(text), err: (text: string) => err.push(text) };
  try {
    const code = await runSmoke(args, { ...process.env, ...endpoints() }, io);
    return { code, stdout: out.join(''), lines: out.join('').split('\n') };
  } catch (error) {
    if (error instanceof UsageError) return { code: 2, stdout: error.message, lines: [] };
    throw error;
  }
}

describe('npm run smoke', () => {
  it('reports every check ok and exits 0 on a healthy deployment, with one call per thing it reads', async () => {
    // Act
    const run = await smokeProcess(['--stage', 'prod', '--region', REGION]);
    // Assess
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines[0]).toMatch(
      /^dr-autopilot smoke check: stack dr-autopilot-prod in us-west-2 \(recovery Region\), /,
    );
    expect(lines.slice(1, -1).map((line) => line.slice(0, 6))).toEqual(Array(6).fill('ok    '));
    expect(lines.slice(1, -1).join('\n')).toMatch(
      new RegExp(
        [
          'ok {4}stack: dr-autopilot-prod in us-west-2 is UPDATE_COMPLETE, deployed ',
          'ok {4}configuration: 10 functions are Active, and each one.s deployed environment passes the loader its cold start runs \\(Region pair us-east-1 → us-west-2, mode active\\)',
          `ok {4}readiness topic: ${TOPIC_ARN} has 1 confirmed subscription\\(s\\) \\(email ×1\\); none pending`,
          'ok {4}readiness sweep: dr-autopilot-prod-readinessPublisher ran 6 time\\(s\\) since the deployment \\(30m ago\\), none failed',
          'ok {4}dlq: dr-autopilot-prod-dlq is empty',
          'ok {4}failed-invocations queue: dr-autopilot-prod-failed-invocations is empty',
        ].join('.*\\n'),
      ),
    );
    expect(lines.at(-1)).toBe('0 FAIL, 0 WARN, 6 ok');
    const calls = Object.fromEntries(
      [...new Set(double.requests.map((request) => request.operation))].map((operation) => [
        operation,
        double.count(operation),
      ]),
    );
    expect(calls).toEqual({
      DescribeStacks: 1,
      GetFunctionConfiguration: 10,
      ListSubscriptionsByTopic: 1,
      GetMetricData: 1,
      GetQueueAttributes: 2,
    });
    const metrics = double.requests.find((request) => request.operation === 'GetMetricData')?.body;
    expect(metrics).toMatchObject({
      MetricDataQueries: [
        {
          Id: 'invocations',
          MetricStat: {
            Metric: {
              Namespace: 'AWS/Lambda',
              MetricName: 'Invocations',
              Dimensions: [{ Name: 'FunctionName', Value: 'dr-autopilot-prod-readinessPublisher' }],
            },
            Stat: 'Sum',
          },
        },
        { Id: 'errors', MetricStat: { Metric: { MetricName: 'Errors' } } },
      ],
    });
  });

  it('fails when the readiness topic has no confirmed subscription (PendingConfirmation is not one)', async () => {
    // Prepare
    world.subscriptions = [{ protocol: 'email', arn: 'PendingConfirmation' }];
    // Act
    const run = await smoke();
    // Assess
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      `FAIL  readiness topic: ${TOPIC_ARN} has no confirmed subscription; 1 pending confirmation (email ×1): nobody would hear about readiness → confirm the pending subscription`,
    );
    expect(run.lines.at(-2)).toBe('1 FAIL, 0 WARN, 5 ok');
  });

  it('fails when dead letters wait in the dlq, visible or in flight', async () => {
    // Prepare
    world.queues[QUEUE('dlq')] = { visible: 2, inFlight: 1 };
    // Act
    const run = await smoke();
    // Assess
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      'FAIL  dlq: dr-autopilot-prod-dlq holds about 3 message(s) (2 visible, 1 in flight): events EventBridge could not deliver to a function → read them, redo what they missed and delete them (docs/runbook.md#runbook-machinery-dead-letters)',
    );
    expect(run.stdout).toContain(
      'ok    failed-invocations queue: dr-autopilot-prod-failed-invocations is empty',
    );
  });

  it('fails on a bad deployed setting, naming the stage parameter and its value as check-config does', async () => {
    // Prepare
    world.variables = (name, variables) => ({
      ...variables,
      DEFAULT_RPO: '15min',
      ...(name.endsWith('-backupRestore') ? { RESTORE_SETTINGS: '{"Ec2":{}}' } : {}),
    });
    // Act
    const run = await smoke();
    // Assess
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      'FAIL  configuration: stage parameter defaultRpo = "15min" (DEFAULT_RPO of every function): must be a positive ISO-8601 duration such as PT15M or PT4H. Example: --param=defaultRpo=PT15M → the functions it names fail at every cold start: deploy again with the value corrected (check it first with npm run check-config -- --stage prod --region us-west-2',
    );
    expect(run.stdout).toContain(
      `FAIL  configuration: stage parameter restoreSettings = '{"Ec2":{}}' (RESTORE_SETTINGS of backup-restore): unknown key "Ec2" (did you mean "EC2"?)`,
    );
  });

  it('warns, and exits 0, while a new deployment’s publisher has not run yet', async () => {
    // Prepare
    world.deployedAt = new Date(Date.now() - 3 * 60_000);
    world.invocations = [];
    world.errors = [];
    // Act
    const run = await smoke();
    // Assess
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      'WARN  readiness sweep: dr-autopilot-prod-readinessPublisher has not run since the deployment (3m ago) (Lambda Invocations): its sweep runs every readinessSweepSchedule (default 5 minutes) → not yet seen: run the check again in a few minutes',
    );
  });

  it('fails when the publisher never ran long after the deployment, or every run failed', async () => {
    // Prepare
    world.invocations = [];
    world.errors = [];
    // Act
    const never = await smoke();
    world.invocations = [1, 1];
    world.errors = [1, 1];
    const failing = await smoke();
    // Assess
    expect(never.code).toBe(1);
    expect(never.stdout).toContain(
      'FAIL  readiness sweep: dr-autopilot-prod-readinessPublisher has not run since the deployment (30m ago)',
    );
    expect(failing.code).toBe(1);
    expect(failing.stdout).toContain(
      'FAIL  readiness sweep: dr-autopilot-prod-readinessPublisher ran 2 time(s) since the deployment (30m ago), 2 failed',
    );
  });

  it('fails on a stack whose last update was rolled back', async () => {
    // Prepare
    world.stackStatus = 'UPDATE_ROLLBACK_COMPLETE';
    // Act
    const run = await smoke();
    // Assess
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^FAIL {2}stack: dr-autopilot-prod in us-west-2 is UPDATE_ROLLBACK_COMPLETE/m);
  });

  it('in the primary Region, accepts a stack without the readiness outputs (readiness is the recovery Region’s)', async () => {
    // Prepare
    delete world.outputs.ReadinessTopicArn;
    delete world.outputs.ReadinessPublisherLambdaFunctionQualifiedArn;
    // Act: the same functions answer for us-east-1 here; their environment names the pair.
    const run = await smoke(['--stage', 'prod', '--region', 'us-east-1']);
    // Assess
    expect(run.code).toBe(0);
    for (const check of ['readiness topic', 'readiness sweep']) {
      expect(run.stdout).toContain(
        `ok    ${check}: none in this deployment: readiness is the recovery Region's (us-west-2); run npm run smoke -- --stage prod --region us-west-2`,
      );
    }
  });

  it('exits 2 naming the stack and Region when the stage was never deployed there', async () => {
    // Act
    const run = await smoke(['--stage', 'nope', '--region', REGION]);
    // Assess
    expect(run).toEqual({
      code: 2,
      stdout:
        'stack dr-autopilot-nope not found in us-west-2: check --stage (nope) and --region (us-west-2), the ones you deployed with',
      lines: [],
    });
  });

  it('exits 2 naming the missing credentials', async () => {
    // Act: no keys, no profile files, no instance metadata.
    const run = await smokeProcess(['--stage', 'prod', '--region', REGION], {
      AWS_ACCESS_KEY_ID: '',
      AWS_SECRET_ACCESS_KEY: '',
      AWS_SESSION_TOKEN: '',
      AWS_PROFILE: '',
      AWS_CONFIG_FILE: join(ROOT, 'no-such-aws-config'),
      AWS_SHARED_CREDENTIALS_FILE: join(ROOT, 'no-such-aws-credentials'),
      AWS_EC2_METADATA_DISABLED: 'true',
    });
    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('smoke failed: no AWS credentials: sign in as for the AWS CLI');
    expect(double.count('DescribeStacks')).toBe(0);
  });

  it.each([
    { name: 'no stage', args: ['--region', REGION], message: 'no deployment named: pass --stage' },
    {
      name: 'a stack without the queue outputs',
      args: ['--stage', 'prod', '--region', REGION],
      message: 'stack dr-autopilot-prod in us-west-2 has no output DeadLetterQueueUrl: redeploy',
    },
  ])('exits 2 on $name', async ({ args, message }) => {
    // Prepare
    delete world.outputs.DeadLetterQueueUrl;
    // Act
    const run = await smoke(args);
    // Assess
    expect(run).toMatchObject({ code: 2, stdout: expect.stringContaining(message) });
  });
});
