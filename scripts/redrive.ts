import { parseArgs } from 'node:util';
import { EventBridgeClient, ListTargetsByRuleCommand } from '@aws-sdk/client-eventbridge';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { clientConfig, cliRegion, type Env, type Io, runAsProcess, UsageError } from './cli-env.ts';
import { deployedFunctions, readDeployment } from './stack-outputs.ts';

/**
 * `npm run redrive -- --stage prod --region us-west-2 [--dry-run] [--max N]`: replays a deployment's dead letters
 * through the functions themselves. Two queues (docs/operations.md#dead-letters):
 *
 * - `dr-autopilot-<stage>-dlq`: an event EventBridge could not deliver; the body is the event, the message
 *   attribute `TARGET_ARN` the function it was going to (with `RULE_ARN`, `ERROR_CODE`, `ERROR_MESSAGE`);
 * - `dr-autopilot-<stage>-failed-invocations`: Lambda's invocation record of a run that failed after its retries;
 *   `requestContext.functionArn` is the function, `requestPayload` the event.
 *
 * Each event is handed back to its function with an asynchronous Invoke (`InvocationType: Event`), as EventBridge
 * invoked it: the function's own contract, origin, drill and idempotency checks decide again, and a failure goes
 * through Lambda's retries to the failed-invocations queue as before. Nothing is acted on here. A message is
 * deleted only once Lambda has accepted the Invoke (202). Left in place, and reported: a message that cannot be
 * read (not JSON, no target, no event), one whose function is not one of this stack's (another stack, account or
 * Region: refused), and an invocation record of an event the function refused on purpose (`InvalidEventError`,
 * `ForeignEventError`: a replay would be refused again). Messages are hidden while the run reads them and made
 * visible again at its end if left in place, so one run sees each message once.
 *
 * Exit code 0 when every message read was replayed (or there was none), 1 when one was left in place or an
 * Invoke or delete failed, 2 when a prerequisite is missing (no --stage, no Region, no credentials, no such stack).
 */
const DEFAULT_MAX = 100;
/** How long a message read by this run stays hidden from other readers (then left ones are made visible). */
const VISIBILITY_SECONDS = 300;
/** Errors the functions raise for an event that can never succeed: replaying it would be refused again. */
const REFUSED_ON_PURPOSE = new Set(['InvalidEventError', 'ForeignEventError']);

const HELP = `usage: npm run redrive -- --stage STAGE --region REGION [--dry-run] [--max N]
Replays the dead letters of one deployment (the dlq and the failed-invocations queue) to the functions they were
meant for, asynchronously, so that each function's own checks decide again; deletes each message once Lambda
accepted it. Unreadable messages, functions of another stack and events refused on purpose are left in place.
--stage, --region: the stage and Region you deployed (the stack dr-autopilot-<stage>); --region defaults to AWS_REGION
--dry-run: read and check only; say what would be replayed (nothing invoked, nothing deleted)
--max N: handle at most N messages in all (default ${DEFAULT_MAX})
Credentials as for the AWS CLI; they need cloudformation:DescribeStacks, sqs:ReceiveMessage, sqs:DeleteMessage,
sqs:ChangeMessageVisibility on both queues, events:ListTargetsByRule on the stack's rules and
lambda:InvokeFunction on the stack's functions.
Exit 0 all replayed, 1 something left in place or failed, 2 usage.`;

export type QueueKind = 'dlq' | 'failed-invocations';

/** What one message asks for: the function and the event to replay, or why it is left in place. */
export type ReplayPlan =
  | {
      kind: 'replay';
      /** The function's unqualified ARN (Invoke runs `$LATEST`, as EventBridge's rules do). */
      functionArn: string;
      event: unknown;
      about: string;
      /** A dlq message: the rule whose target the event was going to (its input may not be the event). */
      rule?: { ruleArn: string; targetArn: string };
    }
  | { kind: 'leave'; reason: string };

interface StackFunctions {
  region: string;
  /** The account of the stack's functions (from their ARNs). */
  account: string | undefined;
  names: ReadonlySet<string>;
}

/**
 * Reads one message of a queue and decides what to do with it (pure): the event and the stack function it is for,
 * or why it stays in the queue.
 */
export function planReplay(queue: QueueKind, message: Message, stack: StackFunctions): ReplayPlan {
  let body: unknown;
  try {
    body = JSON.parse(message.Body ?? '');
  } catch {
    return { kind: 'leave', reason: 'the body is not JSON' };
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { kind: 'leave', reason: 'the body is not a JSON object' };
  }
  let target: string | undefined;
  let event: unknown;
  let about: string;
  let rule: { ruleArn: string; targetArn: string } | undefined;
  if (queue === 'dlq') {
    const attributes = message.MessageAttributes ?? {};
    target = attributes.TARGET_ARN?.StringValue;
    if (!target) return { kind: 'leave', reason: 'no TARGET_ARN message attribute' };
    event = body;
    const ruleArn = attributes.RULE_ARN?.StringValue;
    if (!ruleArn) return { kind: 'leave', reason: 'no RULE_ARN message attribute' };
    rule = { ruleArn, targetArn: target };
    const error = [attributes.ERROR_CODE?.StringValue, attributes.ERROR_MESSAGE?.StringValue]
      .filter(Boolean)
      .join(': ');
    about = `EventBridge gave up${error ? ` (${error})` : ''}${attributes.RULE_ARN?.StringValue ? `, rule ${attributes.RULE_ARN.StringValue}` : ''}`;
  } else {
    const record = body as {
      requestContext?: { functionArn?: unknown; condition?: unknown };
      requestPayload?: unknown;
      responsePayload?: { errorType?: unknown; errorMessage?: unknown };
    };
    const functionArn = record.requestContext?.functionArn;
    if (typeof functionArn !== 'string') {
      return {
        kind: 'leave',
        reason: 'not a Lambda invocation record: no requestContext.functionArn',
      };
    }
    if (!('requestPayload' in record) || record.requestPayload === undefined) {
      return { kind: 'leave', reason: 'the invocation record has no requestPayload' };
    }
    target = functionArn;
    event = record.requestPayload;
    const errorType = record.responsePayload?.errorType;
    if (typeof errorType === 'string' && REFUSED_ON_PURPOSE.has(errorType)) {
      return {
        kind: 'leave',
        reason: `the function refused this event on purpose (${errorType}: ${String(record.responsePayload?.errorMessage ?? '')}); a replay would be refused again: nothing to redo, delete it by hand`,
      };
    }
    about = `Lambda gave up (${String(record.requestContext?.condition ?? 'condition unknown')}${typeof errorType === 'string' ? `, ${errorType}` : ''})`;
  }
  const refusal = foreignTarget(target, stack);
  if (refusal) return { kind: 'leave', reason: refusal };
  return {
    kind: 'replay',
    functionArn: target.split(':').slice(0, 7).join(':'),
    event,
    about,
    ...(rule ? { rule } : {}),
  };
}

/** Why `arn` is not a function of this stack, or undefined when it is. */
function foreignTarget(arn: string, stack: StackFunctions): string | undefined {
  const [prefix, , service, region, account, resource, name] = arn.split(':');
  if (prefix !== 'arn' || service !== 'lambda' || resource !== 'function' || !name) {
    return `its target ${arn} is not a Lambda function ARN: refused`;
  }
  if (region !== stack.region || (stack.account && account !== stack.account) || !stack.names.has(name)) {
    return `its target ${arn} is not a function of this stack (${stack.region}${stack.account ? `, account ${stack.account}` : ''}): refused`;
  }
  return undefined;
}

interface Clients {
  sqs: SQSClient;
  lambda: LambdaClient;
  events: EventBridgeClient;
  /** What each rule target was given, by rule and target ARN (read once per rule). */
  targetInputs: Map<string, Promise<TargetInput>>;
}

/**
 * What a rule's target receives: the event itself, a constant (a schedule's `{"task": …}`), or something the
 * rule builds from the event (an input path or transformer), which is not rebuilt here.
 */
type TargetInput =
  | { kind: 'event' }
  | { kind: 'constant'; input: string }
  | { kind: 'built'; how: string }
  | { kind: 'unknown'; reason: string };

/**
 * The input a dlq message's rule gives its target (EventBridge ListTargetsByRule), so that a schedule whose target
 * gets a constant input (`{"task":"sweep"}`) is replayed with that input rather than with the scheduled event.
 */
async function targetInput(
  clients: Clients,
  rule: { ruleArn: string; targetArn: string },
): Promise<TargetInput> {
  const key = `${rule.ruleArn} ${rule.targetArn}`;
  let found = clients.targetInputs.get(key);
  if (!found) {
    found = readTargetInput(clients.events, rule);
    clients.targetInputs.set(key, found);
  }
  return found;
}

async function readTargetInput(
  events: EventBridgeClient,
  rule: { ruleArn: string; targetArn: string },
): Promise<TargetInput> {
  // arn:<partition>:events:<region>:<account>:rule/<name> (default bus) or rule/<bus>/<name>.
  const path = rule.ruleArn.split(':').slice(5).join(':').split('/');
  if (path[0] !== 'rule' || path.length < 2 || path.length > 3) {
    return { kind: 'unknown', reason: `RULE_ARN ${rule.ruleArn} is not a rule ARN` };
  }
  const [name, bus] = path.length === 3 ? [path[2], path[1]] : [path[1], undefined];
  const unqualified = (arn: string) => arn.split(':').slice(0, 7).join(':');
  try {
    let NextToken: string | undefined;
    do {
      const page = await events.send(
        new ListTargetsByRuleCommand({ Rule: name, ...(bus ? { EventBusName: bus } : {}), NextToken }),
      );
      const target = (page.Targets ?? []).find(
        (candidate) => candidate.Arn && unqualified(candidate.Arn) === unqualified(rule.targetArn),
      );
      if (target) {
        if (target.InputTransformer) return { kind: 'built', how: 'an input transformer' };
        if (target.InputPath) return { kind: 'built', how: `the input path ${target.InputPath}` };
        if (target.Input !== undefined) return { kind: 'constant', input: target.Input };
        return { kind: 'event' };
      }
      NextToken = page.NextToken;
    } while (NextToken);
    return { kind: 'unknown', reason: `rule ${rule.ruleArn} no longer has the target ${rule.targetArn}` };
  } catch (error) {
    return {
      kind: 'unknown',
      reason: `the targets of rule ${rule.ruleArn} cannot be read: ${describe(error, 'events:ListTargetsByRule on it')}`,
    };
  }
}

interface Tally {
  replayed: number;
  left: number;
  failed: number;
}

export async function runRedrive(argv: string[], env: Env, io: Io): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      stage: { type: 'string' },
      region: { type: 'string' },
      'dry-run': { type: 'boolean' },
      max: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.out(`${HELP}\n`);
    return 0;
  }
  const region = cliRegion(values.region, env);
  if (!values.stage) throw new UsageError('no deployment named: pass --stage (the stage you deployed)');
  const max = values.max === undefined ? DEFAULT_MAX : Number(values.max);
  if (!Number.isInteger(max) || max < 1) {
    throw new UsageError(`--max must be a whole number of messages, 1 or more (got "${values.max}")`);
  }
  const dryRun = values['dry-run'] === true;
  const deployment = await readDeployment(env, {
    stage: values.stage,
    region,
    wanted: ['DeadLetterQueueUrl', 'FailedInvocationQueueUrl'],
  });
  const functions = deployedFunctions(deployment);
  if (functions.length === 0) {
    throw new UsageError(
      `stack ${deployment.stack} in ${region} has no function outputs (…LambdaFunctionQualifiedArn): redeploy this version of dr-autopilot`,
    );
  }
  const stack: StackFunctions = {
    region,
    account: functions[0]?.arn.split(':')[4],
    names: new Set(functions.map((fn) => fn.name)),
  };
  const clients: Clients = {
    sqs: new SQSClient(clientConfig(env, 'SQS', region)),
    lambda: new LambdaClient(clientConfig(env, 'LAMBDA', region)),
    events: new EventBridgeClient(clientConfig(env, 'EVENTBRIDGE', region)),
    targetInputs: new Map(),
  };
  const tally: Tally = { replayed: 0, left: 0, failed: 0 };
  io.out(
    `dr-autopilot redrive${dryRun ? ' (dry run: nothing invoked, nothing deleted)' : ''}: stack ${deployment.stack} in ${region}\n`,
  );
  try {
    let budget = max;
    for (const [queue, output] of [
      ['dlq', 'DeadLetterQueueUrl'],
      ['failed-invocations', 'FailedInvocationQueueUrl'],
    ] as const) {
      const handled = await redriveQueue(
        { queue, queueUrl: deployment.outputs[output] as string, budget, dryRun, stack },
        clients,
        io,
        tally,
      );
      budget -= handled;
      if (budget <= 0) {
        io.out(`stopped at --max ${max} messages: run it again for the rest\n`);
        break;
      }
    }
  } finally {
    clients.sqs.destroy();
    clients.lambda.destroy();
    clients.events.destroy();
  }
  io.out(
    `${tally.replayed} ${dryRun ? 'to replay' : 'replayed'}, ${tally.left} left in place, ${tally.failed} failed\n`,
  );
  return tally.left + tally.failed > 0 ? 1 : 0;
}

/** Reads one queue until it is empty or the budget is spent; returns how many messages it handled. */
async function redriveQueue(
  run: { queue: QueueKind; queueUrl: string; budget: number; dryRun: boolean; stack: StackFunctions },
  clients: Clients,
  io: Io,
  tally: Tally,
): Promise<number> {
  const { queue, queueUrl } = run;
  const seen = new Set<string>();
  /** Receipt handles of messages left in place: made visible again at the end. */
  const kept: string[] = [];
  const line = (status: 'ok' | 'WARN' | 'FAIL', text: string) =>
    io.out(`${status.padEnd(4)}  ${queue}: ${text}\n`);
  let handled = 0;
  try {
    while (handled < run.budget) {
      let messages: Message[];
      try {
        ({ Messages: messages = [] } = await clients.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: Math.min(10, run.budget - handled),
            VisibilityTimeout: VISIBILITY_SECONDS,
            // Long polling asks every SQS server, so an empty answer means an empty queue.
            WaitTimeSeconds: 1,
            MessageAttributeNames: ['All'],
          }),
        ));
      } catch (error) {
        tally.failed += 1;
        line('FAIL', `cannot read ${queueUrl}: ${describe(error, 'sqs:ReceiveMessage on it')}`);
        return handled;
      }
      const fresh = messages.filter((message) => !seen.has(message.MessageId ?? ''));
      if (fresh.length === 0) break;
      for (const message of fresh) {
        seen.add(message.MessageId ?? '');
        handled += 1;
        await redriveMessage(message, run, clients, tally, line, kept);
      }
    }
  } finally {
    for (const handle of kept) {
      await clients.sqs
        .send(
          new ChangeMessageVisibilityCommand({
            QueueUrl: queueUrl,
            ReceiptHandle: handle,
            VisibilityTimeout: 0,
          }),
        )
        .catch((error: unknown) =>
          line(
            'WARN',
            `a message left in place stays hidden for ${VISIBILITY_SECONDS} s: ${describe(error, 'sqs:ChangeMessageVisibility on it')}`,
          ),
        );
    }
  }
  if (handled === 0) line('ok', 'empty');
  return handled;
}

async function redriveMessage(
  message: Message,
  run: { queue: QueueKind; queueUrl: string; dryRun: boolean; stack: StackFunctions },
  clients: Clients,
  tally: Tally,
  line: (status: 'ok' | 'WARN' | 'FAIL', text: string) => void,
  kept: string[],
): Promise<void> {
  const id = `message ${message.MessageId ?? '(no id)'}`;
  const plan = planReplay(run.queue, message, run.stack);
  if (plan.kind === 'leave') {
    tally.left += 1;
    if (message.ReceiptHandle) kept.push(message.ReceiptHandle);
    line('FAIL', `${id}: ${plan.reason} → left in place`);
    return;
  }
  const leave = (reason: string) => {
    tally.left += 1;
    if (message.ReceiptHandle) kept.push(message.ReceiptHandle);
    line('FAIL', `${id}: ${reason} → left in place`);
  };
  let event = plan.event;
  if (plan.rule) {
    const input = await targetInput(clients, plan.rule);
    if (input.kind === 'unknown') return leave(input.reason);
    if (input.kind === 'built') {
      return leave(
        `rule ${plan.rule.ruleArn} gives its target ${input.how}, not the event: replay it by hand (docs/runbook.md#runbook-machinery-dead-letters)`,
      );
    }
    if (input.kind === 'constant') {
      try {
        event = JSON.parse(input.input);
      } catch {
        return leave(`rule ${plan.rule.ruleArn} gives its target a constant input that is not JSON`);
      }
    }
  }
  const eventId = eventIdOf(event);
  const what = `${id} (${eventId}; ${plan.about}) → ${plan.functionArn.split(':')[6]}`;
  if (run.dryRun) {
    tally.replayed += 1;
    if (message.ReceiptHandle) kept.push(message.ReceiptHandle);
    line('ok', `${what}: would be replayed`);
    return;
  }
  try {
    const { StatusCode } = await clients.lambda.send(
      new InvokeCommand({
        FunctionName: plan.functionArn,
        InvocationType: 'Event',
        Payload: new TextEncoder().encode(JSON.stringify(event)),
      }),
    );
    if (StatusCode !== 202) throw new Error(`Lambda answered ${String(StatusCode)}, not 202 (accepted)`);
  } catch (error) {
    tally.failed += 1;
    if (message.ReceiptHandle) kept.push(message.ReceiptHandle);
    line('FAIL', `${what}: not replayed, ${describe(error, 'lambda:InvokeFunction on it')} → left in place`);
    return;
  }
  try {
    await clients.sqs.send(
      new DeleteMessageCommand({ QueueUrl: run.queueUrl, ReceiptHandle: message.ReceiptHandle }),
    );
  } catch (error) {
    tally.failed += 1;
    line(
      'FAIL',
      `${what}: replayed, but the message could not be deleted (${describe(error, 'sqs:DeleteMessage on it')}); a second replay is answered by the function's idempotency → delete it by hand`,
    );
    return;
  }
  tally.replayed += 1;
  line('ok', `${what}: replayed (Lambda accepted it), message deleted`);
}

function eventIdOf(event: unknown): string {
  if (typeof event === 'object' && event !== null) {
    const { id, task } = event as { id?: unknown; task?: unknown };
    if (typeof id === 'string') return `event ${id}`;
    if (typeof task === 'string') return `task ${task}`;
  }
  return '(no id)';
}

function describe(error: unknown, permission: string): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return /AccessDenied|not authorized/i.test(text)
    ? `not allowed (${text}): these credentials need ${permission}`
    : text;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  runAsProcess('redrive', runRedrive);
}
