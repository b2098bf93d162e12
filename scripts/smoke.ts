import { parseArgs } from 'node:util';
import { CloudWatchClient, GetMetricDataCommand, type MetricDataResult } from '@aws-sdk/client-cloudwatch';
import {
  type FunctionConfiguration,
  GetFunctionConfigurationCommand,
  LambdaClient,
} from '@aws-sdk/client-lambda';
import { paginateListSubscriptionsByTopic, SNSClient } from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { formatSeconds } from '../src/domain/duration.ts';
import { clientConfig, cliRegion, type Env, type Io, runAsProcess, UsageError } from './cli-env.ts';
import { checkDeployedFunctions, formatProblem } from './config-check.ts';
import { type Deployment, deployedFunctions, functionNameOf, readDeployment } from './stack-outputs.ts';

/**
 * `npm run smoke -- --stage prod --region us-west-2`: a check of one deployment right after `osls deploy`. Each
 * check prints one line, `ok`, `WARN` or `FAIL`, with what it read and, unless ok, what to do (after `→`):
 *
 * - the stack: its status (CloudFormation DescribeStacks, the call that also finds everything below);
 * - the configuration: every function's deployed environment (Lambda GetFunctionConfiguration, one call per
 *   function) through the loader its cold start runs, the same as `npm run check-config`, so a problem names the
 *   stage parameter and its value; and the function's state;
 * - the readiness topic has a confirmed subscription (SNS ListSubscriptionsByTopic: `PendingConfirmation` is not);
 * - the readiness publisher runs: its Lambda `Invocations` and `Errors` since the deployment (CloudWatch
 *   GetMetricData, one call). Its sweep invokes it every 5 minutes but writes nothing while there is nothing to
 *   sweep, so a new deployment has no marker of a sweep to read: the function's own metrics are the cheapest
 *   honest proof that the schedule fires and the function starts and succeeds;
 * - the dlq and the failed-invocations queue are empty (SQS GetQueueAttributes, one call each).
 *
 * Exit code 0 when nothing failed (warnings included), 1 when a check failed, 2 when a prerequisite is missing
 * (no --stage, no Region, no credentials, no such stack, a stack without the outputs it reads). Nothing is changed.
 */
const HELP = `usage: npm run smoke -- --stage STAGE --region REGION
Checks one deployment after osls deploy: stack status, every function's deployed configuration, a confirmed
subscription on the readiness topic, the readiness publisher's runs since the deployment, empty dead-letter queues.
--stage, --region: the stage and Region you deployed (the stack dr-autopilot-<stage>); --region defaults to AWS_REGION
Credentials as for the AWS CLI; they need cloudformation:DescribeStacks, lambda:GetFunctionConfiguration,
sns:ListSubscriptionsByTopic, cloudwatch:GetMetricData and sqs:GetQueueAttributes. Exit 0 ok, 1 a check failed, 2 usage.`;

export type SmokeStatus = 'ok' | 'WARN' | 'FAIL';

export interface SmokeLine {
  status: SmokeStatus;
  check: string;
  /** What was read. */
  read: string;
  /** What to do about it (not for `ok`). */
  next?: string | undefined;
}

/** The stack outputs the checks read. The functions come from osls's `<Function>LambdaFunctionQualifiedArn`. */
export const SMOKE_OUTPUTS = {
  topic: 'ReadinessTopicArn',
  deadLetterQueue: 'DeadLetterQueueUrl',
  failedInvocationQueue: 'FailedInvocationQueueUrl',
  readinessPublisher: 'ReadinessPublisherLambdaFunctionQualifiedArn',
} as const;

/** A new deployment's publisher may not have run yet: three sweeps of the default schedule, and metric delay. */
const SWEEP_GRACE_SECONDS = 15 * 60;
/** The publisher's runs are counted over the deployment's life, at most this far back (1-minute metrics). */
const SWEEP_WINDOW_SECONDS = 24 * 3600;
const RUNBOOK = 'docs/runbook.md';

interface Clients {
  lambda: LambdaClient;
  sns: SNSClient;
  sqs: SQSClient;
  cloudwatch: CloudWatchClient;
}

interface DeployedFunction {
  functionName: string;
  configuration?: FunctionConfiguration | undefined;
  error?: string | undefined;
}

export async function runSmoke(argv: string[], env: Env, io: Io, now = () => new Date()): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      stage: { type: 'string' },
      region: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.out(`${HELP}\n`);
    return 0;
  }
  const region = cliRegion(values.region, env);
  if (!values.stage) throw new UsageError('no deployment named: pass --stage (the stage you deployed)');
  const stage = values.stage;
  const deployment = await readDeployment(env, {
    stage,
    region,
    wanted: [SMOKE_OUTPUTS.deadLetterQueue, SMOKE_OUTPUTS.failedInvocationQueue],
  });
  const functionNames = deployedFunctions(deployment).map((fn) => fn.name);
  if (functionNames.length === 0) {
    throw new UsageError(
      `stack ${deployment.stack} in ${region} has no function outputs (…LambdaFunctionQualifiedArn): redeploy this version of dr-autopilot`,
    );
  }

  const clients: Clients = {
    lambda: new LambdaClient(clientConfig(env, 'LAMBDA', region)),
    sns: new SNSClient(clientConfig(env, 'SNS', region)),
    sqs: new SQSClient(clientConfig(env, 'SQS', region)),
    cloudwatch: new CloudWatchClient(clientConfig(env, 'CLOUDWATCH', region)),
  };
  try {
    const at = now();
    const functions = await Promise.all(
      functionNames.map((functionName) => readFunction(clients.lambda, functionName)),
    );
    const pair = regionPair(functions);
    const context = { deployment, stage, region, pair, at, clients };
    const lines = (
      await Promise.all([
        stackCheck(deployment),
        configurationCheck(functions, context),
        topicCheck(context),
        publisherCheck(context),
        queueCheck(
          'dlq',
          deployment.outputs[SMOKE_OUTPUTS.deadLetterQueue] as string,
          'events EventBridge could not deliver to a function',
          context,
        ),
        queueCheck(
          'failed-invocations queue',
          deployment.outputs[SMOKE_OUTPUTS.failedInvocationQueue] as string,
          "invocations that failed after Lambda's retries",
          context,
        ),
      ])
    ).flat();
    const role = pair ? (region === pair.primary ? 'primary' : 'recovery') : undefined;
    io.out(
      `dr-autopilot smoke check: stack ${deployment.stack} in ${region}${role ? ` (${role} Region)` : ''}, ${at.toISOString()}\n`,
    );
    for (const line of lines) io.out(`${formatLine(line)}\n`);
    const count = (status: SmokeStatus) => lines.filter((line) => line.status === status).length;
    io.out(`${count('FAIL')} FAIL, ${count('WARN')} WARN, ${count('ok')} ok\n`);
    return count('FAIL') > 0 ? 1 : 0;
  } finally {
    for (const client of Object.values(clients)) client.destroy();
  }
}

export function formatLine(line: SmokeLine): string {
  return `${line.status.padEnd(4)}  ${line.check}: ${line.read}${line.next ? ` → ${line.next}` : ''}`;
}

function failure(error: unknown, permission: string): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return /AccessDenied|not authorized/i.test(text)
    ? `not allowed (${text}): these credentials need ${permission}`
    : `could not be read (${text})`;
}

async function readFunction(lambda: LambdaClient, functionName: string): Promise<DeployedFunction> {
  try {
    const configuration = await lambda.send(
      new GetFunctionConfigurationCommand({ FunctionName: functionName }),
    );
    return { functionName, configuration };
  } catch (error) {
    return { functionName, error: failure(error, 'lambda:GetFunctionConfiguration') };
  }
}

/** The Region pair the functions were deployed with (PRIMARY_REGION, RECOVERY_REGION of their environment). */
function regionPair(functions: DeployedFunction[]): { primary: string; recovery: string } | undefined {
  for (const fn of functions) {
    const variables = fn.configuration?.Environment?.Variables;
    if (variables?.PRIMARY_REGION && variables.RECOVERY_REGION)
      return { primary: variables.PRIMARY_REGION, recovery: variables.RECOVERY_REGION };
  }
  return undefined;
}

interface Context {
  deployment: Deployment;
  stage: string;
  region: string;
  pair: { primary: string; recovery: string } | undefined;
  at: Date;
  clients: Clients;
}

function stackCheck(deployment: Deployment): SmokeLine {
  const { stack, region, status } = deployment;
  const read = `${stack} in ${region} is ${status}${deployment.deployedAt ? `, deployed ${deployment.deployedAt.toISOString()}` : ''}`;
  const events = `aws cloudformation describe-stack-events --region ${region} --stack-name ${stack}`;
  if (/IN_PROGRESS$/.test(status))
    return {
      status: 'WARN',
      check: 'stack',
      read,
      next: 'a deployment is under way: run the check again once it ends.',
    };
  if (/ROLLBACK|FAILED$/.test(status)) {
    return {
      status: 'FAIL',
      check: 'stack',
      read,
      next: `the last deployment did not complete (what runs is the previous version, if any): read why with ${events}, fix, deploy again.`,
    };
  }
  return { status: 'ok', check: 'stack', read };
}

function configurationCheck(functions: DeployedFunction[], context: Context): SmokeLine[] {
  const lines: SmokeLine[] = [];
  const readable: { functionName: string; handler: string; env: Record<string, string | undefined> }[] = [];
  for (const fn of functions) {
    const config = fn.configuration;
    if (!config) {
      lines.push({
        status: 'FAIL',
        check: 'configuration',
        read: `function ${fn.functionName}: ${fn.error}`,
      });
      continue;
    }
    const state = `${config.State ?? 'state unknown'}, last update ${config.LastUpdateStatus ?? 'unknown'}`;
    if (config.State === 'Failed' || config.LastUpdateStatus === 'Failed') {
      lines.push({
        status: 'FAIL',
        check: 'configuration',
        read: `function ${fn.functionName} is ${state}: ${config.StateReason ?? config.LastUpdateStatusReason ?? 'no reason given'}`,
        next: 'fix what Lambda names, then deploy again.',
      });
    } else if (config.State !== 'Active' || config.LastUpdateStatus !== 'Successful') {
      lines.push({
        status: 'WARN',
        check: 'configuration',
        read: `function ${fn.functionName} is ${state}`,
        next: 'Lambda has not finished setting it up: run the check again in a minute; if it stays so, read the function in the Lambda console.',
      });
    }
    const environment = config.Environment;
    if (environment?.Error) {
      lines.push({
        status: 'FAIL',
        check: 'configuration',
        read: `function ${fn.functionName}: Lambda cannot read its environment (${environment.Error.ErrorCode}: ${environment.Error.Message})`,
        next: 'every cold start fails the same way: fix the key or its grant, then deploy again.',
      });
      continue;
    }
    readable.push({
      functionName: fn.functionName,
      handler: config.Handler ?? '',
      env: environment?.Variables ?? {},
    });
  }
  const problems = checkDeployedFunctions(readable, { region: context.region, stage: context.stage });
  for (const problem of problems) {
    lines.push({
      status: 'FAIL',
      check: 'configuration',
      read: formatProblem(problem),
      next: `the functions it names fail at every cold start: deploy again with the value corrected (check it first with npm run check-config -- --stage ${context.stage} --region ${context.region} and your --param options).`,
    });
  }
  if (lines.length === 0) {
    const pair = context.pair;
    const mode = readable.find((fn) => fn.env.MODE)?.env.MODE;
    lines.push({
      status: 'ok',
      check: 'configuration',
      read: `${readable.length} functions are Active, and each one's deployed environment passes the loader its cold start runs${pair ? ` (Region pair ${pair.primary} → ${pair.recovery}` : ''}${mode ? `, mode ${mode}` : ''}${pair ? ')' : ''}`,
    });
  }
  return lines;
}

/** Readiness lives in one deployment of the pair: in the other, its outputs are absent, and that is fine. */
function notHere(check: string, output: string, context: Context): SmokeLine {
  const { pair, region } = context;
  if (pair && region === pair.primary) {
    return {
      status: 'ok',
      check,
      read: `none in this deployment: readiness is the recovery Region's (${pair.recovery}); run npm run smoke -- --stage ${context.stage} --region ${pair.recovery}`,
    };
  }
  return {
    status: 'FAIL',
    check,
    read: `stack ${context.deployment.stack} has no output ${output}`,
    next: 'redeploy this version of dr-autopilot.',
  };
}

async function topicCheck(context: Context): Promise<SmokeLine> {
  const check = 'readiness topic';
  const topicArn = context.deployment.outputs[SMOKE_OUTPUTS.topic];
  if (!topicArn) return notHere(check, SMOKE_OUTPUTS.topic, context);
  const confirmed: string[] = [];
  const pending: string[] = [];
  try {
    for await (const page of paginateListSubscriptionsByTopic(
      { client: context.clients.sns },
      { TopicArn: topicArn },
    )) {
      for (const subscription of page.Subscriptions ?? []) {
        const protocol = subscription.Protocol ?? 'unknown protocol';
        if (subscription.SubscriptionArn?.startsWith('arn:')) confirmed.push(protocol);
        else if (subscription.SubscriptionArn === 'PendingConfirmation') pending.push(protocol);
      }
    }
  } catch (error) {
    return {
      status: 'FAIL',
      check,
      read: `the subscriptions of ${topicArn} ${failure(error, 'sns:ListSubscriptionsByTopic on the topic')}`,
    };
  }
  const waiting =
    pending.length > 0 ? `${pending.length} pending confirmation (${tally(pending)})` : 'none pending';
  if (confirmed.length > 0) {
    return {
      status: 'ok',
      check,
      read: `${topicArn} has ${confirmed.length} confirmed subscription(s) (${tally(confirmed)}); ${waiting}`,
    };
  }
  return {
    status: 'FAIL',
    check,
    read: `${topicArn} has no confirmed subscription; ${waiting}: nobody would hear about readiness`,
    next:
      pending.length > 0
        ? 'confirm the pending subscription (the link in the message SNS sent to the endpoint), or subscribe another endpoint.'
        : `subscribe on-call and confirm: aws sns subscribe --region ${context.region} --topic-arn ${topicArn} --protocol email --notification-endpoint oncall@example.com (docs/readiness.md#subscribing-and-filtering).`,
  };
}

function tally(protocols: string[]): string {
  const counts = new Map<string, number>();
  for (const protocol of protocols) counts.set(protocol, (counts.get(protocol) ?? 0) + 1);
  return [...counts].map(([protocol, count]) => `${protocol} ×${count}`).join(', ');
}

async function publisherCheck(context: Context): Promise<SmokeLine> {
  const check = 'readiness sweep';
  const arn = context.deployment.outputs[SMOKE_OUTPUTS.readinessPublisher];
  if (!arn) return notHere(check, SMOKE_OUTPUTS.readinessPublisher, context);
  const functionName = functionNameOf(arn);
  const end = context.at.getTime();
  const deployedAt = context.deployment.deployedAt?.getTime() ?? end - SWEEP_WINDOW_SECONDS * 1000;
  const start = Math.floor(Math.max(deployedAt, end - SWEEP_WINDOW_SECONDS * 1000) / 60_000) * 60_000;
  const stop = Math.max(Math.ceil(end / 60_000) * 60_000, start + 60_000);
  const metric = (MetricName: string) => ({
    Id: MetricName.toLowerCase(),
    MetricStat: {
      Metric: {
        Namespace: 'AWS/Lambda',
        MetricName,
        Dimensions: [{ Name: 'FunctionName', Value: functionName }],
      },
      Period: 60,
      Stat: 'Sum',
    },
    ReturnData: true,
  });
  const results: MetricDataResult[] = [];
  try {
    let NextToken: string | undefined;
    do {
      const page = await context.clients.cloudwatch.send(
        new GetMetricDataCommand({
          MetricDataQueries: [metric('Invocations'), metric('Errors')],
          StartTime: new Date(start),
          EndTime: new Date(stop),
          NextToken,
        }),
      );
      results.push(...(page.MetricDataResults ?? []));
      NextToken = page.NextToken;
    } while (NextToken);
  } catch (error) {
    return {
      status: 'FAIL',
      check,
      read: `the metrics of ${functionName} ${failure(error, 'cloudwatch:GetMetricData')}`,
    };
  }
  const sum = (id: string) =>
    results
      .filter((result) => result.Id === id)
      .flatMap((result) => result.Values ?? [])
      .reduce((total, value) => total + value, 0);
  const invocations = sum('invocations');
  const errors = sum('errors');
  const since =
    deployedAt < end - SWEEP_WINDOW_SECONDS * 1000
      ? 'in the last 24 hours'
      : `since the deployment (${formatSeconds((end - deployedAt) / 1000)} ago)`;
  const logs = `its log group /aws/lambda/${functionName}`;
  if (invocations === 0) {
    const young = end - deployedAt < SWEEP_GRACE_SECONDS * 1000;
    return {
      status: young ? 'WARN' : 'FAIL',
      check,
      read: `${functionName} has not run ${since} (Lambda Invocations): its sweep runs every readinessSweepSchedule (default 5 minutes)`,
      next: young
        ? 'not yet seen: run the check again in a few minutes (Lambda metrics arrive a minute or two late).'
        : `check that its rules are ENABLED (aws events list-rule-names-by-target --region ${context.region} --target-arn ${arn.split(':').slice(0, 7).join(':')}, then aws events describe-rule --name <rule> for each) and read ${logs}.`,
    };
  }
  if (errors > 0) {
    return {
      status: errors >= invocations ? 'FAIL' : 'WARN',
      check,
      read: `${functionName} ran ${invocations} time(s) ${since}, ${errors} failed (Lambda Invocations, Errors)`,
      next: `read ${logs} (the error is logged as "invocation failed"); failed runs end in the failed-invocations queue (${RUNBOOK}#runbook-machinery-dead-letters).`,
    };
  }
  return {
    status: 'ok',
    check,
    read: `${functionName} ran ${invocations} time(s) ${since}, none failed (Lambda Invocations, Errors)`,
  };
}

async function queueCheck(
  check: string,
  queueUrl: string,
  what: string,
  context: Context,
): Promise<SmokeLine> {
  let attributes: Record<string, string>;
  try {
    ({ Attributes: attributes = {} } = await context.clients.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    ));
  } catch (error) {
    return { status: 'FAIL', check, read: `${queueUrl} ${failure(error, 'sqs:GetQueueAttributes on it')}` };
  }
  const visible = Number(attributes.ApproximateNumberOfMessages ?? 0);
  const inFlight = Number(attributes.ApproximateNumberOfMessagesNotVisible ?? 0);
  const name = queueUrl.slice(queueUrl.lastIndexOf('/') + 1);
  if (visible + inFlight === 0) return { status: 'ok', check, read: `${name} is empty` };
  return {
    status: 'FAIL',
    check,
    read: `${name} holds about ${visible + inFlight} message(s) (${visible} visible, ${inFlight} in flight): ${what}`,
    next: `read them, redo what they missed and delete them (${RUNBOOK}#runbook-machinery-dead-letters); one left from before this deployment counts too.`,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  // The SDK's Node-version notice would land in the middle of the report on Node 20.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  runAsProcess('smoke', runSmoke);
}
