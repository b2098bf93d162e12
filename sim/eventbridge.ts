import { advanceClockTo } from './clock.ts';
import type { AwsEvent } from './drs.ts';
import { matchesPattern } from './event-pattern.ts';
import { awsJsonError, hungResponse, type SimRequest, type SimResponse } from './http.ts';
import type { LambdaSim } from './lambda.ts';
import type { SqsSim } from './sqs.ts';
import type { Deployment, SimRule, SimRuleTarget } from './template.ts';
import { eventTime, type Fault, type SimWorld, type TimelineEntry } from './world.ts';

/**
 * Amazon EventBridge of one Region, simulated: `PutEvents` (awsJson 1.1, `X-Amz-Target: AWSEvents.PutEvents`) on
 * the default bus and the deployment's own buses, routed by the rules of that Region's packaged template (their
 * `EventPattern`s are the very files serverless.yml deploys, matched with sim/event-pattern.ts), and scheduled
 * rules fired on demand. Targets are invoked with Lambda's asynchronous semantics: a function error is retried
 * up to the function's `MaximumRetryAttempts` (EventInvokeConfig), then recorded in its on-failure destination;
 * an event EventBridge cannot deliver at all goes to the target's dead-letter queue. A rule whose target is an
 * event bus of the other Region of the pair forwards the event there (cross-Region event routing).
 *
 * Deliveries wait in a queue, shared by the Regions of the pair, and {@link EventBridgeSim.drain} runs them one
 * at a time, in order (a retry goes to the back, as Lambda's retries come minutes later), so a run is
 * deterministic.
 */

interface Delivery {
  bridge: EventBridgeSim;
  rule: SimRule;
  target: SimRuleTarget;
  event: AwsEvent;
  attempt: number;
  /** When a retry is due (ms since the epoch; see `SimWorld.lambdaRetryDelays`). */
  notBefore?: number | undefined;
}

/** The deliveries waiting, for every Region of the pair. */
export class DeliveryQueue {
  items: Delivery[] = [];
}

export interface EventBridgeOptions {
  /** Shared with the other Region's EventBridge, so deliveries run in the order they were queued. */
  queue?: DeliveryQueue | undefined;
  /** Delivers an event to a bus of another Region (by the bus ARN); false if no such bus is simulated. */
  forward?: ((busArn: string, event: AwsEvent) => boolean) | undefined;
  /** Publishes a rule target's message to an SNS topic of this Region: the error code SNS answered, if any. */
  publish?: ((topicArn: string, message: string) => string | undefined) | undefined;
  /** The Region's queues: dead letters arrive in them (and count in their metrics). */
  queues?: SqsSim | undefined;
}

export interface Invocation {
  functionLogicalId: string;
  functionName: string;
  eventId: string;
  detailType: string;
  attempt: number;
  ok: boolean;
  outcome?: unknown;
  error?: { errorType: string; errorMessage: string } | undefined;
  logs: Record<string, unknown>[];
}

export interface DeadLetter {
  /** The queue's ARN. */
  queue: string;
  kind: 'rule-dead-letter-queue' | 'lambda-on-failure-destination';
  record: Record<string, unknown>;
  /** The event whose delivery ended here, and the target function's short name (if a function's). */
  eventId?: string | undefined;
  functionName?: string | undefined;
}

export class EventBridgeSim {
  readonly region: string;
  events: { bus: string; event: AwsEvent }[] = [];
  invocations: Invocation[] = [];
  deadLetters: DeadLetter[] = [];
  private readonly queue: DeliveryQueue;
  private readonly forward: EventBridgeOptions['forward'];
  private readonly publish: EventBridgeOptions['publish'];
  private readonly queues: SqsSim | undefined;
  private readonly busNames: Set<string>;
  /** Events EventBridge will lose (never deliver), by detail-type: how many more. See {@link loseNext}. */
  private readonly losses = new Map<string, number>();

  constructor(
    private readonly world: SimWorld,
    private readonly deployment: Deployment,
    private readonly lambda: LambdaSim,
    options: EventBridgeOptions = {},
  ) {
    this.region = deployment.region;
    this.queue = options.queue ?? new DeliveryQueue();
    this.forward = options.forward;
    this.publish = options.publish;
    this.queues = options.queues;
    this.busNames = new Set(['default', ...deployment.buses.map((bus) => bus.name)]);
  }

  /** Forgets this Region's events, invocations and dead letters, and its waiting deliveries. */
  reset(): void {
    this.events = [];
    this.invocations = [];
    this.deadLetters = [];
    this.queue.items = this.queue.items.filter((delivery) => delivery.bridge !== this);
  }

  /**
   * The next `times` events of `detailType` put on any bus of this Region are lost: AWS emits them but no rule
   * ever delivers them (AWS service events are best effort). They are not in {@link events}, so they cannot be
   * redelivered either; the timeline says they were lost.
   */
  loseNext(detailType: string, times: number): void {
    this.losses.set(detailType, (this.losses.get(detailType) ?? 0) + times);
  }

  /** Whether this Region has the bus (`default` or one of the deployment's). */
  hasBus(name: string): boolean {
    return this.busNames.has(name);
  }

  async handle(request: SimRequest): Promise<SimResponse> {
    const target = String(request.headers['x-amz-target'] ?? '');
    if (target !== 'AWSEvents.PutEvents') {
      return awsJsonError(400, 'UnknownOperationException', `${target} is not simulated`);
    }
    const input = JSON.parse(request.body || '{}') as { Entries?: Record<string, unknown>[] };
    const entries = input.Entries ?? [];
    const fault = this.world.takeFault('eventbridge', 'PutEvents', this.region);
    const partial = fault?.error === 'PartialFailure';
    if (fault && !partial && !fault.afterApply) {
      this.world.recordCall(
        {
          service: 'eventbridge',
          operation: 'PutEvents',
          result: fault.error,
          mutating: true,
          input,
          region: this.region,
        },
        `PutEvents(${entries.length} entries)`,
      );
      return faultAnswer(fault);
    }
    if (entries.length < 1 || entries.length > 10) {
      return awsJsonError(400, 'ValidationException', 'Entries must hold 1 to 10 entries');
    }
    // PartialFailure: the call succeeds, some entries do not (FailedEntryCount, each one's ErrorCode): the first,
    // unless the fault names them.
    const failing = new Set((fault?.failEntries ?? [0]).filter((index) => index < entries.length));
    if (failing.size === 0) failing.add(0);
    const results = entries.map((entry, index) => {
      if (partial && failing.has(index))
        return { ErrorCode: 'InternalFailure', ErrorMessage: 'simulated partial failure' };
      return this.putEntry(entry);
    });
    const failed = results.filter((result) => 'ErrorCode' in result).length;
    if (fault && !partial) {
      // After apply: the entries are on the bus (and delivered), the answer is an error; a retry puts them again.
      this.world.recordCall(
        {
          service: 'eventbridge',
          operation: 'PutEvents',
          result: fault.error,
          mutating: true,
          input,
          region: this.region,
          ...(failed < entries.length ? { applied: true } : {}),
        },
        `PutEvents(${entries.length} entries)`,
      );
      return faultAnswer(fault);
    }
    this.world.recordCall(
      {
        service: 'eventbridge',
        operation: 'PutEvents',
        result: failed === 0 ? 'ok' : `${failed} failed entries`,
        mutating: false,
        input,
        region: this.region,
      },
      `PutEvents(${entries.length} entries)`,
    );
    return {
      status: 200,
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': crypto.randomUUID() },
      body: JSON.stringify({ FailedEntryCount: failed, Entries: results }),
    };
  }

  private putEntry(entry: Record<string, unknown>): Record<string, string> {
    const { Source, DetailType, Detail } = entry;
    if (typeof Source !== 'string' || typeof DetailType !== 'string' || typeof Detail !== 'string') {
      return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Source, DetailType and Detail are required' };
    }
    let detail: unknown;
    try {
      detail = JSON.parse(Detail);
    } catch {
      return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
    }
    if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) {
      return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail must be a JSON object.' };
    }
    const busInput = typeof entry.EventBusName === 'string' ? entry.EventBusName : 'default';
    const bus = busInput.startsWith('arn:') ? busInput.slice(busInput.lastIndexOf('/') + 1) : busInput;
    if (!this.busNames.has(bus)) {
      return { ErrorCode: 'ResourceNotFoundException', ErrorMessage: `Event bus ${bus} does not exist.` };
    }
    const time = typeof entry.Time === 'number' ? new Date(entry.Time * 1000) : new Date();
    const event = this.put(bus, {
      source: Source,
      'detail-type': DetailType,
      account: this.world.account,
      region: this.region,
      resources: Array.isArray(entry.Resources) ? (entry.Resources as string[]) : [],
      detail: detail as Record<string, unknown>,
      time: eventTime(time),
    });
    return { EventId: event.id };
  }

  /** Puts an event on a bus (an AWS service's event goes on `default`) and queues a delivery per matching target. */
  put(
    bus: string,
    partial: Omit<AwsEvent, 'id' | 'time' | 'version'> & { time?: string; id?: string },
  ): AwsEvent {
    const event: AwsEvent = {
      version: '0',
      id: partial.id ?? crypto.randomUUID(),
      'detail-type': partial['detail-type'],
      source: partial.source,
      account: partial.account,
      time: partial.time ?? eventTime(new Date()),
      region: partial.region,
      resources: partial.resources,
      detail: partial.detail,
    };
    this.deliver(bus, event);
    return event;
  }

  /** Delivers an event exactly as given (a scenario's duplicate delivery keeps the same `id`). */
  deliver(bus: string, event: AwsEvent): void {
    const toLose = this.losses.get(event['detail-type']) ?? 0;
    if (toLose > 0) {
      this.losses.set(event['detail-type'], toLose - 1);
      this.world.record({
        kind: 'note',
        text: `EventBridge loses "${event['detail-type']}" ${event.id} (${summarizeEvent(event)}): never delivered`,
        region: this.region,
      });
      return;
    }
    this.events.push({ bus, event });
    const matched = this.deployment.rules.filter(
      (rule) =>
        rule.enabled &&
        rule.eventBusName === bus &&
        rule.eventPattern !== undefined &&
        matchesPattern(rule.eventPattern, event),
    );
    const targets: string[] = [];
    for (const rule of matched) {
      for (const target of rule.targets) {
        this.queue.items.push({ bridge: this, rule, target, event, attempt: 1 });
        targets.push(
          target.kind === 'event-bus'
            ? `bus ${target.eventBusArn?.slice(target.eventBusArn.lastIndexOf('/') + 1)}`
            : target.kind === 'sns-topic'
              ? `topic ${target.topicArn?.slice(target.topicArn.lastIndexOf(':') + 1)}`
              : (this.lambda.find(target.functionLogicalId)?.shortName ?? target.functionLogicalId),
        );
      }
    }
    this.world.record({
      kind: 'event',
      bus,
      source: event.source,
      detailType: event['detail-type'],
      id: event.id,
      summary: summarizeEvent(event),
      targets,
      region: this.region,
    });
  }

  /**
   * Fires the scheduled rules whose target is the given function (short name, e.g. `replicationMonitor`, or
   * logical id), as EventBridge Scheduler would at their next tick. Returns how many rules fired.
   */
  fireSchedule(functionName: string, input?: Record<string, unknown>): number {
    const wanted = (target: SimRuleTarget) =>
      this.matchesFunction(target.functionLogicalId, functionName) &&
      (input === undefined ||
        Object.entries(input).every(
          ([key, value]) =>
            JSON.stringify((JSON.parse(target.input ?? '{}') as Record<string, unknown>)[key]) ===
            JSON.stringify(value),
        ));
    const rules = this.deployment.rules.filter(
      (rule) => rule.enabled && rule.scheduleExpression !== undefined && rule.targets.some(wanted),
    );
    for (const rule of rules) {
      const event: AwsEvent = {
        version: '0',
        id: crypto.randomUUID(),
        'detail-type': 'Scheduled Event',
        source: 'aws.events',
        account: this.world.account,
        time: eventTime(new Date()),
        region: this.region,
        resources: [`arn:aws:events:${this.region}:${this.world.account}:rule/${rule.name}`],
        detail: {},
      };
      this.events.push({ bus: 'default', event });
      const targets = rule.targets.filter(wanted);
      for (const target of targets) this.queue.items.push({ bridge: this, rule, target, event, attempt: 1 });
      this.world.record({
        kind: 'event',
        bus: 'default',
        source: 'aws.events',
        detailType: 'Scheduled Event',
        id: event.id,
        summary: `${rule.scheduleExpression} (rule ${rule.name})`,
        targets: targets.map(
          (target) => this.lambda.find(target.functionLogicalId)?.shortName ?? target.functionLogicalId,
        ),
        region: this.region,
      });
    }
    return rules.length;
  }

  private matchesFunction(logicalId: string, name: string): boolean {
    const fn = this.lambda.find(logicalId);
    return logicalId === name || fn?.shortName === name || fn?.functionName === name;
  }

  /**
   * Runs queued deliveries (and the deliveries they cause) until none is left: those of every Region sharing
   * this queue.
   */
  async drain(limit = 500): Promise<void> {
    let steps = 0;
    for (let delivery = this.queue.items.shift(); delivery; delivery = this.queue.items.shift()) {
      steps += 1;
      if (steps > limit) throw new Error(`more than ${limit} deliveries: an event loop between functions?`);
      await delivery.bridge.run(delivery);
    }
  }

  get pending(): number {
    return this.queue.items.length;
  }

  private async run(delivery: Delivery): Promise<void> {
    const { rule, target, event, attempt } = delivery;
    if (delivery.notBefore !== undefined) advanceClockTo(delivery.notBefore);
    if (target.kind === 'event-bus') {
      const arn = target.eventBusArn ?? '';
      const [, , , region] = arn.split(':');
      const bus = arn.slice(arn.lastIndexOf('/') + 1);
      if (region === this.region && this.busNames.has(bus)) this.deliver(bus, event);
      else if (region !== this.region && this.forward?.(arn, event)) return;
      else
        this.world.record({
          kind: 'note',
          text: `rule ${rule.name} forwards the event to ${arn} (outside the simulation)`,
          region: this.region,
        });
      return;
    }
    if (target.kind === 'sns-topic') {
      const topicArn = target.topicArn ?? '';
      const message =
        target.inputTransformer === undefined
          ? JSON.stringify(event)
          : transformInput(event, target.inputTransformer, rule.name);
      const error = this.publish ? this.publish(topicArn, message) : 'NotFound';
      // SNS refused (the topic is missing, the message too big): after its retry policy, the rule's DLQ.
      if (error !== undefined) {
        this.deadLetter(target.deadLetterArn, 'rule-dead-letter-queue', {
          event,
          rule: rule.name,
          error: `SNS answered ${error} for ${topicArn}`,
        });
      }
      return;
    }
    const fn = this.lambda.find(target.functionLogicalId);
    if (!fn) {
      // EventBridge cannot invoke the target: after its retry policy the event goes to the rule's DLQ.
      this.deadLetter(target.deadLetterArn, 'rule-dead-letter-queue', {
        event,
        rule: rule.name,
        error: `target ${target.functionLogicalId} does not exist`,
      });
      return;
    }
    let payload: unknown = event;
    if (target.inputTransformer !== undefined)
      payload = JSON.parse(transformInput(event, target.inputTransformer, rule.name));
    else if (target.input !== undefined) payload = JSON.parse(target.input);
    else if (target.inputPath === '$.detail') payload = event.detail;
    else if (target.inputPath !== undefined && target.inputPath !== '$') {
      throw new Error(`rule ${rule.name}: InputPath ${target.inputPath} is not simulated`);
    }
    // The invocation goes on the timeline first; what the function does is nested under it.
    const entry = this.world.record<Extract<TimelineEntry, { kind: 'invoke' }>>({
      kind: 'invoke',
      functionName: fn.shortName,
      eventId: event.id,
      attempt,
      result: 'ok',
      summary: '(running)',
      region: this.region,
    });
    this.world.inInvocation = true;
    this.world.invocation = { functionName: fn.shortName, eventId: event.id, attempt, region: this.region };
    const result = await this.lambda.invoke(fn.logicalId, payload).finally(() => {
      this.world.inInvocation = false;
      this.world.invocation = undefined;
    });
    this.invocations.push({
      functionLogicalId: fn.logicalId,
      functionName: fn.shortName,
      eventId: event.id,
      detailType: event['detail-type'],
      attempt,
      ok: result.ok,
      outcome: result.outcome,
      error: result.error,
      logs: result.logs,
    });
    entry.result = result.ok ? 'ok' : 'error';
    entry.summary = result.ok
      ? summarizeOutcome(result.outcome)
      : `${result.error?.errorType}: ${result.error?.errorMessage ?? ''}`;
    entry.outcome = result.ok ? result.outcome : result.error;
    if (result.ok) return;
    if (attempt <= fn.maximumRetryAttempts) {
      // Lambda retries about a minute after the first failure and two minutes after the second.
      const notBefore = this.world.lambdaRetryDelays ? Date.now() + attempt * 60_000 : undefined;
      this.queue.items.push({ ...delivery, attempt: attempt + 1, notBefore });
      return;
    }
    this.deadLetter(fn.onFailureDestination, 'lambda-on-failure-destination', {
      eventId: event.id,
      functionName: fn.shortName,
      version: '1.0',
      timestamp: new Date().toISOString(),
      requestContext: {
        requestId: crypto.randomUUID(),
        functionArn: `arn:aws:lambda:${this.region}:${this.world.account}:function:${fn.functionName}:$LATEST`,
        condition: 'RetriesExhausted',
        approximateInvokeCount: attempt,
      },
      requestPayload: payload,
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      responsePayload: { ...(result.error ?? {}), trace: [] },
    });
  }

  private deadLetter(
    queue: string | undefined,
    kind: DeadLetter['kind'],
    letter: Record<string, unknown>,
  ): void {
    const { eventId, functionName, ...record } = letter as {
      eventId?: string;
      functionName?: string;
    } & Record<string, unknown>;
    const name = queue ? queue.slice(queue.lastIndexOf(':') + 1) : '(none: dropped)';
    if (queue) {
      this.deadLetters.push({
        queue,
        kind,
        record,
        eventId: eventId ?? (record.event as AwsEvent | undefined)?.id,
        functionName,
      });
      // A rule's DLQ receives the event itself; an on-failure destination, Lambda's record.
      this.queues?.send(queue, JSON.stringify(kind === 'rule-dead-letter-queue' ? record.event : record));
    }
    const error =
      (record.responsePayload as { errorMessage?: string } | undefined)?.errorMessage ?? record.error;
    this.world.record({
      kind: 'dead-letter',
      queue: name,
      summary: `${kind}: ${String(error)}`,
      region: this.region,
    });
  }
}

export function summarizeEvent(event: AwsEvent): string {
  const detail = event.detail;
  const resource = event.resources[0] ?? '';
  const id = resource.slice(resource.lastIndexOf('/') + 1);
  if (event.source === 'dr-autopilot' && Array.isArray(detail.items)) {
    // A refresh batch: its items carry the summaries.
    const part = detail.part as { index?: number; of?: number } | undefined;
    return `${detail.items.length} resource(s) of ${String(detail.workload ?? '')} unchanged, refreshed (part ${part?.index ?? '?'} of ${part?.of ?? '?'})`;
  }
  if (event.source === 'dr-autopilot') return String(detail.summary ?? '');
  if (event.source === 'aws.drs') {
    const drill = detail['is-drill'] === undefined ? '' : ` (is-drill ${String(detail['is-drill'])})`;
    return `${id} ${String(detail.state ?? '')}${drill}`;
  }
  if (event.source === 'aws.cloudwatch') {
    const state = (of: unknown) => (of as { value?: string } | undefined)?.value ?? '?';
    return `${String(detail.alarmName ?? '')} ${state(detail.previousState)} → ${state(detail.state)}`;
  }
  if (event.source === 'aws.backup') {
    const state = detail.state ?? detail.status;
    const job = detail.restoreJobId ?? detail.copyJobId ?? detail.backupJobId ?? '';
    return `${String(job)} ${String(detail.resourceType ?? '')} ${String(state ?? '')}`.trim();
  }
  return id;
}

function summarizeOutcome(outcome: unknown): string {
  if (typeof outcome !== 'object' || outcome === null) return JSON.stringify(outcome) ?? 'undefined';
  const record = outcome as Record<string, unknown>;
  const action = record.action ?? record.outcome ?? record.status;
  const details = Object.entries(record)
    .filter(([key, value]) => key !== 'action' && (typeof value !== 'object' || Array.isArray(value)))
    .map(([key, value]) => `${key}=${Array.isArray(value) ? listText(value) : String(value)}`)
    .join(' ');
  return `${String(action ?? 'ok')}${details ? ` ${details}` : ''}`;
}

function listText(values: unknown[]): string {
  if (values.some((value) => typeof value === 'object' && value !== null)) return `${values.length} item(s)`;
  return `[${values.join(', ')}]`;
}

/**
 * A rule target's `InputTransformer`, as EventBridge applies it (EventBridge User Guide, Amazon EventBridge input
 * transformation): each variable is a dot path into the event (array indices allowed); `<name>` in the template
 * is replaced by the value, a string without quotes and anything else as JSON; values are NOT escaped; a path
 * that does not exist creates no variable and nothing of it appears in the output. The result is the text the
 * target receives (for a string template, quotes included).
 */
export function transformInput(
  event: AwsEvent,
  transformer: { pathsMap: Record<string, string>; template: string },
  ruleName: string,
): string {
  const values = new Map<string, string>();
  for (const [name, path] of Object.entries(transformer.pathsMap)) {
    if (!/^\$(\.[A-Za-z0-9_-]+|\[\d+\])*$/.test(path)) {
      throw new Error(`rule ${ruleName}: InputPathsMap path ${path} is not simulated`);
    }
    let value: unknown = event;
    for (const [, key, index] of path.slice(1).matchAll(/\.([A-Za-z0-9_-]+)|\[(\d+)\]/g)) {
      value =
        value !== null && typeof value === 'object'
          ? (value as Record<string, unknown>)[key ?? Number(index)]
          : undefined;
    }
    if (value !== undefined) values.set(name, typeof value === 'string' ? value : JSON.stringify(value));
  }
  values.set('aws.events.rule-name', ruleName);
  return transformer.template.replace(/<([A-Za-z0-9_.-]+)>/g, (placeholder, name: string) =>
    values.has(name) || Object.hasOwn(transformer.pathsMap, name) ? (values.get(name) ?? '') : placeholder,
  );
}

/** An injected error's answer (none at all for a hang). */
function faultAnswer(fault: Fault): SimResponse {
  if (fault.hang) return hungResponse(fault.error);
  return awsJsonError(faultStatus(fault.error), fault.error, fault.message ?? `simulated ${fault.error}`);
}

/**
 * The HTTP status EventBridge answers an injected error with: 500 for its server-side errors (`InternalException`,
 * `ServiceUnavailable`…, which the SDK retries), 400 for the client-side ones (`ThrottlingException` is a 400 in
 * EventBridge's JSON protocol; the SDK retries it by its code).
 */
function faultStatus(error: string): number {
  return /^(InternalException|InternalFailure|ServiceUnavailable)/.test(error) ? 500 : 400;
}
