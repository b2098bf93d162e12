import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { UsageError } from '../../scripts/cli-env.ts';
import { runRedrive } from '../../scripts/redrive.ts';
import { awsError, type DoubleRequest, startAwsDouble } from '../helpers/aws-http-double.ts';

/**
 * `npm run redrive` as an operator runs it: real SDK clients (CloudFormation, SQS, EventBridge, Lambda) reach one
 * local double through the SDK's endpoint settings. The double keeps both queues as SQS does (a received message
 * is hidden for its visibility timeout, deleted by the receipt handle of its receive) and records every Invoke.
 */
const ROOT = new URL('../../', import.meta.url).pathname;
const ACCOUNT = '123456789012';
const REGION = 'us-west-2';
const STACK = 'dr-autopilot-prod';
const QUEUE = (name: string) => `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${STACK}-${name}`;
const FUNCTIONS = ['reverseReplication', 'readinessPublisher', 'restoreTestScheduler', 'backupRestore'];
const fnArn = (key: string, account = ACCOUNT, region = REGION) =>
  `arn:aws:lambda:${region}:${account}:function:${STACK}-${key}`;
const ruleArn = (name: string, bus?: string) =>
  `arn:aws:events:${REGION}:${ACCOUNT}:rule/${bus ? `${bus}/` : ''}${STACK}-${name}`;

interface QueuedMessage {
  id: string;
  body: string;
  attributes: Record<string, string>;
  visibleAt: number;
  handle?: string;
}
interface World {
  queues: Record<string, QueuedMessage[]>;
  /** Targets of each rule (by rule name), as ListTargetsByRule answers. */
  targets: Record<string, { Id: string; Arn: string; Input?: string; InputTransformer?: unknown }[]>;
  /** Functions whose Invoke Lambda does not accept. */
  refuseInvoke: Set<string>;
}
let world: World;
let double: Awaited<ReturnType<typeof startAwsDouble>>;
let sequence = 0;

function freshWorld(): World {
  return {
    queues: { [QUEUE('dlq')]: [], [QUEUE('failed-invocations')]: [] },
    targets: {
      [`${STACK}-reverse-launch`]: [{ Id: 'reverse', Arn: fnArn('reverseReplication') }],
      [`${STACK}-readiness-sweep`]: [
        { Id: 'sweep', Arn: fnArn('readinessPublisher'), Input: '{"task":"sweep"}' },
      ],
      [`${STACK}-transformed`]: [
        { Id: 't', Arn: fnArn('backupRestore'), InputTransformer: { InputTemplate: '{"x":1}' } },
      ],
    },
    refuseInvoke: new Set(),
  };
}

function enqueue(queue: 'dlq' | 'failed-invocations', body: string, attributes: Record<string, string> = {}) {
  sequence += 1;
  const id = `m-${sequence}`;
  world.queues[QUEUE(queue)]?.push({ id, body, attributes, visibleAt: 0 });
  return id;
}
const remaining = (queue: 'dlq' | 'failed-invocations') => world.queues[QUEUE(queue)] ?? [];

/** What EventBridge puts in its DLQ: the event, with the rule, target and error as message attributes. */
function deadLetter(event: unknown, rule: string, target: string) {
  return enqueue('dlq', JSON.stringify(event), {
    RULE_ARN: rule,
    TARGET_ARN: target,
    ERROR_CODE: 'SDK_CLIENT_ERROR',
    ERROR_MESSAGE: 'Unable to invoke Lambda function',
  });
}

/** What Lambda sends to the on-failure destination: its invocation record, the event as `requestPayload`. */
function invocationRecord(functionArn: string, event: unknown, errorType = 'RetryableDependencyError') {
  return enqueue(
    'failed-invocations',
    JSON.stringify({
      version: '1.0',
      timestamp: '2026-11-29T05:03:01.000Z',
      requestContext: {
        requestId: crypto.randomUUID(),
        functionArn: `${functionArn}:$LATEST`,
        condition: 'RetriesExhausted',
        approximateInvokeCount: 3,
      },
      requestPayload: event,
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      responsePayload: { errorType, errorMessage: 'it failed', trace: [] },
    }),
  );
}

const launchEvent = () => ({
  version: '0',
  id: crypto.randomUUID(),
  'detail-type': 'DRS Source Server Launch Result',
  source: 'aws.drs',
  account: ACCOUNT,
  time: '2026-11-29T05:00:00Z',
  region: REGION,
  resources: [`arn:aws:drs:${REGION}:${ACCOUNT}:source-server/s-1234567890abcdef0`],
  detail: { state: 'RECOVERY_LAUNCH_SUCCEEDED', sourceServerID: 's-1234567890abcdef0' },
});
const scheduledEvent = () => ({
  version: '0',
  id: crypto.randomUUID(),
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: ACCOUNT,
  time: '2026-11-29T05:00:00Z',
  region: REGION,
  resources: [ruleArn('restore-tests')],
  detail: {},
});

const md5 = (text: string) => createHash('md5').update(text).digest('hex');

function receive({ body }: DoubleRequest) {
  const queue = world.queues[String(body.QueueUrl)];
  if (!queue)
    return awsError(400, 'AWS.SimpleQueueService.NonExistentQueue', 'The specified queue does not exist.');
  const now = Date.now();
  const visible = queue
    .filter((message) => message.visibleAt <= now)
    .slice(0, Number(body.MaxNumberOfMessages ?? 1));
  return {
    body: {
      Messages: visible.map((message) => {
        message.visibleAt = now + Number(body.VisibilityTimeout ?? 30) * 1000;
        message.handle = `${message.id}/${crypto.randomUUID()}`;
        return {
          MessageId: message.id,
          ReceiptHandle: message.handle,
          MD5OfBody: md5(message.body),
          Body: message.body,
          MessageAttributes: Object.fromEntries(
            Object.entries(message.attributes).map(([name, value]) => [
              name,
              { DataType: 'String', StringValue: value },
            ]),
          ),
        };
      }),
    },
  };
}

function byHandle(body: Record<string, unknown>) {
  const queue = world.queues[String(body.QueueUrl)] ?? [];
  return { queue, index: queue.findIndex((message) => message.handle === body.ReceiptHandle) };
}

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
              xml: `<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks><member><StackName>${STACK}</StackName><StackStatus>UPDATE_COMPLETE</StackStatus><CreationTime>2026-11-01T00:00:00Z</CreationTime><Outputs>${[
                ['DeadLetterQueueUrl', QUEUE('dlq')],
                ['FailedInvocationQueueUrl', QUEUE('failed-invocations')],
                ...FUNCTIONS.map((key) => [
                  `${key[0]?.toUpperCase()}${key.slice(1)}LambdaFunctionQualifiedArn`,
                  `${fnArn(key)}:7`,
                ]),
              ]
                .map(
                  ([key, value]) =>
                    `<member><OutputKey>${key}</OutputKey><OutputValue>${value}</OutputValue></member>`,
                )
                .join(
                  '',
                )}</Outputs></member></Stacks></DescribeStacksResult><ResponseMetadata><RequestId>r-2</RequestId></ResponseMetadata></DescribeStacksResponse>`,
            },
      ReceiveMessage: receive,
      DeleteMessage: ({ body }) => {
        const { queue, index } = byHandle(body);
        if (index < 0) return awsError(400, 'ReceiptHandleIsInvalid', 'The receipt handle is not valid.');
        queue.splice(index, 1);
        return { body: {} };
      },
      ChangeMessageVisibility: ({ body }) => {
        const { queue, index } = byHandle(body);
        const message = queue[index];
        if (!message) return awsError(400, 'ReceiptHandleIsInvalid', 'The receipt handle is not valid.');
        message.visibleAt = Date.now() + Number(body.VisibilityTimeout) * 1000;
        return { body: {} };
      },
      ListTargetsByRule: ({ body }) => {
        const targets = world.targets[String(body.Rule)];
        if (!targets)
          return awsError(400, 'ResourceNotFoundException', `Rule ${String(body.Rule)} does not exist.`);
        return { body: { Targets: targets } };
      },
      Invoke: ({ path }) => {
        const name = decodeURIComponent(path.split('/')[3] ?? '');
        if ([...world.refuseInvoke].some((key) => name.endsWith(`${STACK}-${key}`)))
          return awsError(429, 'TooManyRequestsException', 'Rate exceeded');
        return { status: 202, body: {} };
      },
    },
    {
      operationOf: ({ path }) =>
        /^\/2015-03-31\/functions\/[^/]+\/invocations$/.test(path) ? 'Invoke' : undefined,
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
    ['CLOUDFORMATION', 'SQS', 'EVENTBRIDGE', 'LAMBDA'].map((service) => [
      `AWS_ENDPOINT_URL_${service}`,
      double.endpoint,
    ]),
  );
}

/** The tool in-process (exit code 2 for a usage error, as runAsProcess gives it). */
async function redrive(args: string[] = ['--stage', 'prod', '--region', REGION]) {
  const out: string[] = [];
  const io = { out: (text: string) => out.push(text), err: (text: string) => out.push(text) };
  try {
    const code = await runRedrive(args, { ...process.env, ...endpoints() }, io);
    return { code, stdout: out.join('') };
  } catch (error) {
    if (error instanceof UsageError) return { code: 2, stdout: error.message };
    throw error;
  }
}

const invokes = () =>
  double.requests
    .filter((request) => request.operation === 'Invoke')
    .map((request) => ({
      function: decodeURIComponent(request.path.split('/')[3] ?? ''),
      type: request.headers['x-amz-invocation-type'],
      payload: request.body,
    }));

describe('npm run redrive', () => {
  it('replays each dead letter to its function asynchronously with the original event, and deletes it once accepted', async () => {
    // Prepare
    const launch = launchEvent();
    const sweep = scheduledEvent();
    const run = scheduledEvent();
    deadLetter(launch, ruleArn('reverse-launch'), fnArn('reverseReplication'));
    deadLetter(sweep, ruleArn('readiness-sweep'), fnArn('readinessPublisher'));
    invocationRecord(fnArn('restoreTestScheduler'), run);
    // Act
    const result = await redrive();
    // Assess
    expect(result.code).toBe(0);
    expect(invokes()).toEqual([
      { function: fnArn('reverseReplication'), type: 'Event', payload: launch },
      // The sweep rule gives its target a constant input: that is what the function was to receive.
      { function: fnArn('readinessPublisher'), type: 'Event', payload: { task: 'sweep' } },
      { function: fnArn('restoreTestScheduler'), type: 'Event', payload: run },
    ]);
    expect(remaining('dlq')).toEqual([]);
    expect(remaining('failed-invocations')).toEqual([]);
    expect(result.stdout).toContain(
      `ok    dlq: message m-${sequence - 2} (event ${launch.id}; EventBridge gave up (SDK_CLIENT_ERROR: Unable to invoke Lambda function), rule ${ruleArn('reverse-launch')}) → ${STACK}-reverseReplication: replayed (Lambda accepted it), message deleted`,
    );
    expect(result.stdout).toContain('(task sweep;');
    expect(result.stdout).toContain('Lambda gave up (RetriesExhausted, RetryableDependencyError)');
    expect(result.stdout.trim().split('\n').at(-1)).toBe('3 replayed, 0 left in place, 0 failed');
    // One ListTargetsByRule per rule, each message deleted once, nothing made visible again.
    expect(double.count('ListTargetsByRule')).toBe(2);
    expect(double.count('DeleteMessage')).toBe(3);
    expect(double.count('ChangeMessageVisibility')).toBe(0);
  });

  it('leaves unreadable, foreign and refused-on-purpose messages in place, visible, and reports each (exit 1)', async () => {
    // Prepare
    const good = launchEvent();
    const ids = {
      notJson: enqueue('dlq', '{"truncated'),
      noTarget: enqueue('dlq', JSON.stringify(launchEvent()), { RULE_ARN: ruleArn('reverse-launch') }),
      otherStack: deadLetter(
        launchEvent(),
        ruleArn('reverse-launch'),
        `arn:aws:lambda:${REGION}:${ACCOUNT}:function:dr-autopilot-staging-reverseReplication`,
      ),
      otherAccount: invocationRecord(fnArn('reverseReplication', '999988887777'), launchEvent()),
      otherRegion: invocationRecord(fnArn('reverseReplication', ACCOUNT, 'eu-west-1'), launchEvent()),
      transformed: deadLetter(launchEvent(), ruleArn('transformed'), fnArn('backupRestore')),
      refused: invocationRecord(fnArn('reverseReplication'), launchEvent(), 'ForeignEventError'),
      notARecord: enqueue('failed-invocations', JSON.stringify({ hello: 'world' })),
      good: invocationRecord(fnArn('reverseReplication'), good),
    };
    // Act
    const result = await redrive();
    // Assess
    expect(result.code).toBe(1);
    expect(invokes()).toEqual([{ function: fnArn('reverseReplication'), type: 'Event', payload: good }]);
    const left = [...remaining('dlq'), ...remaining('failed-invocations')];
    expect(left.map((message) => message.id).sort()).toEqual(
      Object.entries(ids)
        .filter(([key]) => key !== 'good')
        .map(([, id]) => id)
        .sort(),
    );
    expect(left.every((message) => message.visibleAt <= Date.now())).toBe(true);
    const line = (id: string) =>
      result.stdout.split('\n').find((text) => text.includes(`message ${id}`)) ?? '';
    expect(line(ids.notJson)).toMatch(/^FAIL {2}dlq: message m-\d+: the body is not JSON → left in place$/);
    expect(line(ids.noTarget)).toContain('no TARGET_ARN message attribute → left in place');
    expect(line(ids.otherStack)).toContain(
      'is not a function of this stack (us-west-2, account 123456789012): refused',
    );
    expect(line(ids.otherAccount)).toContain('is not a function of this stack');
    expect(line(ids.otherRegion)).toContain('is not a function of this stack');
    expect(line(ids.transformed)).toContain(
      'gives its target an input transformer, not the event: replay it by hand',
    );
    expect(line(ids.refused)).toContain(
      'the function refused this event on purpose (ForeignEventError: it failed)',
    );
    expect(line(ids.notARecord)).toContain('not a Lambda invocation record: no requestContext.functionArn');
    expect(result.stdout.trim().split('\n').at(-1)).toBe('1 replayed, 8 left in place, 0 failed');
  });

  it('keeps a message whose Invoke Lambda did not accept (exit 1), and deletes nothing for it', async () => {
    // Prepare
    world.refuseInvoke.add('restoreTestScheduler');
    const id = invocationRecord(fnArn('restoreTestScheduler'), scheduledEvent());
    // Act
    const result = await redrive();
    // Assess
    expect(result.code).toBe(1);
    // The SDK's own retries of the throttled Invoke: none accepted.
    expect(invokes().length).toBeGreaterThan(0);
    expect(invokes().every((invoke) => invoke.function === fnArn('restoreTestScheduler'))).toBe(true);
    expect(double.count('DeleteMessage')).toBe(0);
    expect(remaining('failed-invocations').map((message) => message.id)).toEqual([id]);
    expect(result.stdout).toMatch(
      /FAIL {2}failed-invocations: .*not replayed, TooManyRequestsException: Rate exceeded → left in place/,
    );
    expect(result.stdout.trim().split('\n').at(-1)).toBe('0 replayed, 0 left in place, 1 failed');
  });

  it('--dry-run invokes and deletes nothing, and leaves every message visible', async () => {
    // Prepare
    deadLetter(launchEvent(), ruleArn('reverse-launch'), fnArn('reverseReplication'));
    invocationRecord(fnArn('restoreTestScheduler'), scheduledEvent());
    // Act
    const result = await redrive(['--stage', 'prod', '--region', REGION, '--dry-run']);
    // Assess
    expect(result.code).toBe(0);
    expect(invokes()).toEqual([]);
    expect(double.count('DeleteMessage')).toBe(0);
    expect(
      [...remaining('dlq'), ...remaining('failed-invocations')].every((m) => m.visibleAt <= Date.now()),
    ).toBe(true);
    expect(result.stdout).toContain('would be replayed');
    expect(result.stdout.trim().split('\n').at(-1)).toBe('2 to replay, 0 left in place, 0 failed');
  });

  it('--max stops after that many messages and says so', async () => {
    // Prepare
    for (let index = 0; index < 3; index += 1)
      deadLetter(launchEvent(), ruleArn('reverse-launch'), fnArn('reverseReplication'));
    // Act
    const result = await redrive(['--stage', 'prod', '--region', REGION, '--max', '2']);
    // Assess
    expect(result.code).toBe(0);
    expect(invokes()).toHaveLength(2);
    expect(remaining('dlq')).toHaveLength(1);
    expect(result.stdout).toContain('stopped at --max 2 messages: run it again for the rest');
  });

  it('empty queues: nothing to do, exit 0', async () => {
    // Act
    const result = await redrive();
    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('ok    dlq: empty');
    expect(result.stdout).toContain('ok    failed-invocations: empty');
  });

  it.each([
    [['--region', REGION], /no deployment named: pass --stage/],
    [['--stage', 'prod', '--region', REGION, '--max', '0'], /--max must be a whole number/],
    [['--stage', 'nope', '--region', REGION], /stack dr-autopilot-nope not found in us-west-2/],
  ])('a missing prerequisite (%j) is a usage error, exit 2, and reads no queue', async (args, message) => {
    // Act
    const result = await redrive(args);
    // Assess
    expect(result.code).toBe(2);
    expect(result.stdout).toMatch(message);
    expect(double.count('ReceiveMessage')).toBe(0);
  });

  it('as a process (npm run redrive): exit code 2 with the usage error on stderr, 0 when all is replayed', async () => {
    // Prepare
    deadLetter(launchEvent(), ruleArn('reverse-launch'), fnArn('reverseReplication'));
    const run = async (args: string[]) => {
      try {
        const { stdout, stderr } = await promisify(execFile)(
          join(ROOT, 'node_modules/.bin/tsx'),
          ['scripts/redrive.ts', ...args],
          { cwd: ROOT, env: { ...process.env, AWS_REGION: REGION, ...endpoints() } },
        );
        return { code: 0, stdout, stderr };
      } catch (error) {
        const failed = error as { code?: number; stdout?: string; stderr?: string };
        return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
      }
    };
    // Act
    const usage = await run([]);
    const replayed = await run(['--stage', 'prod']);
    // Assess
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/^redrive failed: no deployment named: pass --stage/);
    expect(replayed.code).toBe(0);
    expect(replayed.stdout.trim().split('\n').at(-1)).toBe('1 replayed, 0 left in place, 0 failed');
  });
});
