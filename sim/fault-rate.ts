import { seeded } from './bad-input.ts';
import type { AwsEvent } from './drs.ts';
import { listScenarios, runScenario, type Scenario } from './scenario-runner.ts';
import type { Simulator } from './simulator.ts';
import type { CallRecord, Fault, FaultSource } from './world.ts';

/**
 * The fault-rate suite ("survive the bad day"): every scenario of sim/scenarios, played with faults injected at a
 * rate into the calls the deployed functions make, drawn from a seeded generator (the same seed and the same
 * calls give the same faults). A scenario's own expectations count calls and do not hold under faults; instead,
 * once the scenario is over and the world has settled (faults stop, an hour passes, every scheduled rule fires
 * once, Lambda's retries run at their minute), invariants are checked on what happened:
 *
 * - every input processed or dead-lettered: each event a rule delivered to a function ended in a successful
 *   invocation or in the function's on-failure destination (or the rule's dead-letter queue);
 * - no double side effect: at most one effective ReverseReplication per recovery instance, one
 *   TerminateRecoveryInstances per instance, one restore job per recovery point per input and per idempotency
 *   token, and one SNS notification per `transitionId` except where a Publish of that transition was applied
 *   with its answer lost (then the duplicate is allowed, and counted);
 * - no lost signal: every effective side effect's signal (Reversed Replication Started, Restore Started, Drill
 *   Instance Changed) reached the bus, unless the input that caused it is dead-lettered (counted: redrive
 *   replays it);
 * - safety: dr-autopilot never starts a recovery or a failback, never reverses a drill instance.
 *
 * Duplicates of signals are counted by cause (an answer lost, an invocation retried, the same observation from two
 * inputs): consumers recognise them by their deterministic `signalId`.
 *
 * What is injected, into DRS, AWS Backup, EC2, S3, SNS, EventBridge PutEvents, DynamoDB and the Lambda API's
 * Invoke of workloads' validators (every operation,
 * reads included; rate faults only hit the deployed functions' calls, never the scenario's own steps): throttling
 * (with `Retry-After` where the service sends it), a 5xx before the change, a 5xx after it (the answer lost), a
 * hang before or after the change, and for PutEvents a partial failure (FailedEntryCount > 0). A hang is an answer
 * that never arrives: the invocation times out (Lambda's `Sandbox.Timedout`, its timeout passing on the
 * simulated clock), except on a call to the other Region, whose clients carry a 15 s request timeout (the SDK
 * gives up, the connection drops). Reads get no after-apply kinds (nothing to apply); an Invoke applied with its
 * answer lost ran the validator (a check of the restored copy) and a retry runs it again. Not injected: STS (no
 * deployed function calls it: they run on their execution role's credentials, which Lambda hands them), and an
 * EventBridge rule's delivery to SNS (EventBridge retries it for 24 h).
 */

export const FAULT_KINDS = [
  'throttle',
  'error-before',
  'error-after',
  'hang-before',
  'hang-after',
  'partial-put-events',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** Each service's throttling and server-error codes, as it answers them. */
const SERVICE_ERRORS: Record<string, { throttle: readonly string[]; error: string; retryAfter?: boolean }> = {
  drs: { throttle: ['ThrottlingException'], error: 'InternalServerException', retryAfter: true },
  backup: { throttle: ['ThrottlingException'], error: 'ServiceUnavailableException', retryAfter: true },
  ec2: { throttle: ['RequestLimitExceeded'], error: 'InternalError' },
  s3: { throttle: ['SlowDown'], error: 'InternalError' },
  sns: { throttle: ['Throttled'], error: 'InternalError' },
  eventbridge: { throttle: ['ThrottlingException'], error: 'InternalException' },
  dynamodb: {
    throttle: ['ProvisionedThroughputExceededException', 'ThrottlingException'],
    error: 'InternalServerError',
  },
  lambda: { throttle: ['TooManyRequestsException'], error: 'ServiceException', retryAfter: true },
};

/** Operations that change nothing: a fault after apply is the same as before. */
const READ = /^(Describe|List|Get|Head|Query|Scan|BatchGet)/;

/** The kinds of fault an operation can get. */
export function kindsFor(service: string, operation: string): readonly FaultKind[] {
  if (!(service in SERVICE_ERRORS)) return [];
  if (READ.test(operation)) return ['throttle', 'error-before', 'hang-before'];
  const kinds: FaultKind[] = ['throttle', 'error-before', 'error-after', 'hang-before', 'hang-after'];
  if (service === 'eventbridge' && operation === 'PutEvents') kinds.push('partial-put-events');
  return kinds;
}

export interface InjectedFault {
  service: string;
  operation: string;
  kind: FaultKind;
  error: string;
}

/**
 * Faults at `rate` per call, drawn from `seed` (mulberry32): each call asked about draws the same three numbers
 * whether it gets a fault or not, so the stream stays aligned with the calls. `enabled` false: none.
 */
export class RateFaults implements FaultSource {
  enabled = true;
  /** Calls asked about, and the faults injected (in order). */
  asked = 0;
  readonly injected: InjectedFault[] = [];
  private readonly random: () => number;

  constructor(
    readonly rate: number,
    seed: number,
    private readonly retryAfterSeconds = '1',
  ) {
    if (!(rate >= 0 && rate <= 1)) throw new Error(`the fault rate must be within 0 and 1, not ${rate}`);
    this.random = seeded(seed);
  }

  draw(service: string, operation: string): Fault | undefined {
    const kinds = kindsFor(service, operation);
    if (!this.enabled || kinds.length === 0) return undefined;
    this.asked += 1;
    const [hit, which, detail] = [this.random(), this.random(), this.random()];
    if (hit >= this.rate) return undefined;
    const kind = kinds[Math.floor(which * kinds.length)] as FaultKind;
    const errors = SERVICE_ERRORS[service] as (typeof SERVICE_ERRORS)[string];
    const throttle = errors.throttle[Math.floor(detail * errors.throttle.length)] as string;
    const fault: Fault = { service, operation, times: 1, error: errors.error };
    switch (kind) {
      case 'throttle':
        fault.error = throttle;
        if (errors.retryAfter) fault.retryAfterSeconds = this.retryAfterSeconds;
        break;
      case 'error-after':
        fault.afterApply = true;
        break;
      case 'hang-before':
        fault.error = 'RequestTimeout';
        fault.hang = true;
        break;
      case 'hang-after':
        fault.error = 'RequestTimeout';
        fault.hang = true;
        fault.afterApply = true;
        break;
      case 'partial-put-events':
        fault.error = 'PartialFailure';
        // Which of up to 10 entries fail (at least one: the first, if none of these is in the call).
        fault.failEntries = Array.from({ length: 10 }, (_, index) => index).filter(
          (index) => ((detail * 1024) >> index) & 1,
        );
        break;
      default:
        break;
    }
    this.injected.push({ service, operation, kind, error: fault.error });
    return fault;
  }

  /** Faults injected, by kind. */
  byKind(): Record<FaultKind, number> {
    const counts = Object.fromEntries(FAULT_KINDS.map((kind) => [kind, 0])) as Record<FaultKind, number>;
    for (const fault of this.injected) counts[fault.kind] += 1;
    return counts;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Invariants

/** A broken invariant: what, where, and the calls that show it. */
export interface Violation {
  invariant: 'input-lost' | 'double-side-effect' | 'duplicate-notification' | 'lost-signal' | 'safety';
  detail: string;
  /** The calls involved (service:Operation result, by function/event/attempt). */
  trail: string[];
}

export interface InvariantReport {
  inputs: { processed: number; deadLettered: number; lost: number };
  /** Effective side effects checked (applied dr-autopilot calls), by operation. */
  sideEffects: Record<string, number>;
  /** Signals of effective side effects: on the bus, or their input dead-lettered (redrive replays it). */
  signals: { reached: number; deadLettered: number; lost: number };
  /** Duplicates by kind (allowed ones: an answer lost, an invocation retried, one observation from two inputs). */
  duplicates: Record<string, number>;
  violations: Violation[];
}

const effective = (call: CallRecord) => call.result === 'ok' || call.applied === true;

function trailOf(call: CallRecord): string {
  const by = call.invocation
    ? `${call.invocation.functionName} event ${call.invocation.eventId} attempt ${call.invocation.attempt}`
    : 'the scenario';
  return `${call.region ?? '?'} ${call.service}:${call.operation} ${call.applied ? `applied, answered ${call.result}` : call.result} (${by})`;
}

/** What one input (an event delivered to a function) did: each attempt's calls, then how the attempt ended. */
function inputTrail(sim: Simulator, eventId: string | undefined, functionName: string | undefined): string[] {
  const trail: string[] = [];
  const invocations = [...sim.regions.values()].flatMap((region) =>
    region.eventBridge.invocations.filter(
      (invocation) => invocation.eventId === eventId && invocation.functionName === functionName,
    ),
  );
  const calls = sim.world.calls.filter(
    (call) => call.invocation?.eventId === eventId && call.invocation?.functionName === functionName,
  );
  for (const invocation of invocations) {
    trail.push(
      ...calls.filter((call) => call.invocation?.attempt === invocation.attempt).map(trailOf),
      `→ ${functionName} attempt ${invocation.attempt}: ${invocation.ok ? 'ok' : `${invocation.error?.errorType}: ${invocation.error?.errorMessage.slice(0, 160)}`}`,
    );
  }
  return [...new Set(trail)];
}

/** The value of a message attribute in a Publish call's form input. */
function attributeOf(input: Record<string, string>, name: string): string | undefined {
  for (let index = 1; input[`MessageAttributes.entry.${index}.Name`] !== undefined; index++) {
    if (input[`MessageAttributes.entry.${index}.Name`] === name)
      return input[`MessageAttributes.entry.${index}.Value.StringValue`];
  }
  return undefined;
}

/** The signal ids of a PutEvents call's entries. */
function signalIdsOf(call: CallRecord): string[] {
  const entries = (call.input as { Entries?: { Detail?: string }[] }).Entries ?? [];
  return entries.flatMap((entry) => {
    try {
      const id = (JSON.parse(entry.Detail ?? '{}') as { signalId?: unknown }).signalId;
      return typeof id === 'string' ? [id] : [];
    } catch {
      return [];
    }
  });
}

/** Checks the invariants on what the world holds now (see the module comment). */
export function checkInvariants(sim: Simulator): InvariantReport {
  const report: InvariantReport = {
    inputs: { processed: 0, deadLettered: 0, lost: 0 },
    sideEffects: {},
    signals: { reached: 0, deadLettered: 0, lost: 0 },
    duplicates: {},
    violations: [],
  };
  const regions = [...sim.regions.values()];
  const calls = sim.world.calls;
  const ours = calls.filter((call) => call.invocation !== undefined);
  const count = (key: string, into: Record<string, number>) => {
    into[key] = (into[key] ?? 0) + 1;
  };

  // Inputs: every (event, function) delivery ended ok or dead-lettered.
  const deadLettered = new Set(
    regions.flatMap((region) =>
      region.eventBridge.deadLetters.map((letter) => `${letter.eventId} ${letter.functionName ?? ''}`),
    ),
  );
  const isDeadLettered = (eventId: string, functionName: string) =>
    deadLettered.has(`${eventId} ${functionName}`);
  for (const region of regions) {
    const outcome = new Map<string, boolean>();
    for (const invocation of region.eventBridge.invocations) {
      const key = `${invocation.eventId} ${invocation.functionName}`;
      outcome.set(key, (outcome.get(key) ?? false) || invocation.ok);
    }
    for (const [key, ok] of outcome) {
      if (ok) report.inputs.processed += 1;
      else if (deadLettered.has(key)) report.inputs.deadLettered += 1;
      else {
        report.inputs.lost += 1;
        const [eventId, fn] = key.split(' ');
        report.violations.push({
          invariant: 'input-lost',
          detail: `${region.name}: event ${eventId} to ${fn} neither processed nor dead-lettered`,
          trail: inputTrail(sim, eventId, fn),
        });
      }
    }
    // Rule dead-letter queues (a target EventBridge could not deliver to): dead-lettered inputs too.
    report.inputs.deadLettered += region.eventBridge.deadLetters.filter(
      (letter) => letter.kind === 'rule-dead-letter-queue',
    ).length;
  }

  // Double side effects, per recovery instance / restore.
  const drillInstances = new Set(
    regions.flatMap((region) =>
      region.drs.jobs
        .filter((job) => job.initiatedBy === 'START_DRILL')
        .flatMap((job) => (job.participatingServers ?? []).map((server) => server.recoveryInstanceID ?? '')),
    ),
  );
  const byKey = new Map<string, CallRecord[]>();
  const group = (key: string, call: CallRecord) => byKey.set(key, [...(byKey.get(key) ?? []), call]);
  for (const call of ours.filter(effective)) {
    const input = call.input as Record<string, unknown>;
    if (call.service === 'drs' && call.operation === 'ReverseReplication') {
      count('drs:ReverseReplication', report.sideEffects);
      group(`ReverseReplication ${call.region} ${String(input.recoveryInstanceID)}`, call);
      if (drillInstances.has(String(input.recoveryInstanceID))) {
        report.violations.push({
          invariant: 'safety',
          detail: `dr-autopilot reversed drill instance ${String(input.recoveryInstanceID)}`,
          trail: [trailOf(call)],
        });
      }
    }
    if (call.service === 'drs' && call.operation === 'TerminateRecoveryInstances') {
      count('drs:TerminateRecoveryInstances', report.sideEffects);
      for (const id of (input.recoveryInstanceIDs as string[] | undefined) ?? [])
        group(`TerminateRecoveryInstances ${call.region} ${id}`, call);
    }
    if (call.service === 'backup' && call.operation === 'StartRestoreJob') {
      count('backup:StartRestoreJob', report.sideEffects);
      group(
        `StartRestoreJob token ${String(input.IdempotencyToken)} ${String(input.RecoveryPointArn)}`,
        call,
      );
    }
  }
  for (const [key, group] of byKey) {
    if (key.startsWith('StartRestoreJob')) continue;
    if (group.length > 1) {
      report.violations.push({
        invariant: 'double-side-effect',
        detail: `${key}: applied ${group.length} times`,
        trail: group.flatMap((call) =>
          inputTrail(sim, call.invocation?.eventId, call.invocation?.functionName),
        ),
      });
    }
  }
  // Restore jobs: one per idempotency token (what AWS Backup makes of a retry), and one token per recovery point
  // per input (a retry of the same input must not start a second restore under another token).
  const jobsByToken = new Map<string, number>();
  for (const job of sim.backup.restoreJobs) {
    if (job.idempotencyToken === undefined) continue;
    jobsByToken.set(job.idempotencyToken, (jobsByToken.get(job.idempotencyToken) ?? 0) + 1);
  }
  for (const [token, jobs] of jobsByToken) {
    if (jobs > 1)
      report.violations.push({
        invariant: 'double-side-effect',
        detail: `${jobs} restore jobs for idempotency token ${token}`,
        trail: [],
      });
  }
  const tokensPerInput = new Map<string, Set<string>>();
  const restoreCalls = ours.filter(
    (call) => effective(call) && call.service === 'backup' && call.operation === 'StartRestoreJob',
  );
  for (const call of restoreCalls) {
    const input = call.input as Record<string, unknown>;
    const key = `${call.invocation?.eventId} ${String(input.RecoveryPointArn)}`;
    tokensPerInput.set(key, (tokensPerInput.get(key) ?? new Set()).add(String(input.IdempotencyToken)));
  }
  for (const [key, tokens] of tokensPerInput) {
    if (tokens.size > 1)
      report.violations.push({
        invariant: 'double-side-effect',
        detail: `one input started ${tokens.size} restores of one recovery point (${key})`,
        trail: restoreCalls.filter((call) => key.startsWith(`${call.invocation?.eventId} `)).map(trailOf),
      });
  }

  // SNS notifications: one per transitionId, unless a Publish of it was applied with its answer lost.
  for (const region of regions) {
    const messages = new Map<string, number>();
    for (const message of region.sns.messages) {
      const id = message.attributes.transitionId?.value;
      if (id !== undefined) messages.set(id, (messages.get(id) ?? 0) + 1);
    }
    const publishes = calls.filter(
      (call) => call.region === region.name && call.service === 'sns' && call.operation === 'Publish',
    );
    for (const [id, amount] of messages) {
      if (amount < 2) continue;
      const mine = publishes.filter(
        (call) => attributeOf(call.input as Record<string, string>, 'transitionId') === id,
      );
      if (mine.some((call) => call.applied === true)) {
        report.duplicates['sns: Publish answer lost'] =
          (report.duplicates['sns: Publish answer lost'] ?? 0) + amount - 1;
        continue;
      }
      // The window the readiness publisher's outbox leaves: SNS took the message, then the sender died (or
      // failed) before clearing the outbox entry, and another attempt or sender published it again.
      const diedAfterPublish = mine.some((call) => {
        const attempt = call.invocation;
        return (
          call.result === 'ok' &&
          region.eventBridge.invocations.some(
            (invocation) =>
              invocation.eventId === attempt?.eventId &&
              invocation.functionName === attempt.functionName &&
              invocation.attempt === attempt.attempt &&
              !invocation.ok,
          )
        );
      });
      const cause = diedAfterPublish
        ? 'sns: sender failed after Publish, before clearing its outbox'
        : 'sns: not explained';
      report.duplicates[cause] = (report.duplicates[cause] ?? 0) + amount - 1;
      report.violations.push({
        invariant: 'duplicate-notification',
        detail: `${region.name}: ${amount} SNS messages for transitionId ${id}, no Publish of it lost its answer (${cause.slice(5)})`,
        trail: [
          ...new Set(mine.map((call) => `${call.invocation?.eventId} ${call.invocation?.functionName}`)),
        ].flatMap((key) => {
          const [eventId, fn] = key.split(' ');
          return inputTrail(sim, eventId, fn);
        }),
      });
    }
  }

  // Signals: each effective side effect's signal reached the bus, unless its input is dead-lettered.
  const signalEvents = regions.flatMap((region) =>
    region.eventBridge.events
      .filter(({ event }) => event.source === 'dr-autopilot')
      .map(({ event }) => ({ region: region.name, event })),
  );
  const hasSignal = (detailType: string, matches: (event: AwsEvent) => boolean) =>
    signalEvents.some(({ event }) => event['detail-type'] === detailType && matches(event));
  const resourceId = (event: AwsEvent) => (event.detail as { resource?: { id?: string } }).resource?.id;
  for (const call of ours.filter(effective)) {
    const input = call.input as Record<string, unknown>;
    let reached: boolean | undefined;
    if (call.service === 'drs' && call.operation === 'ReverseReplication') {
      reached = hasSignal(
        'Reversed Replication Started',
        (event) => resourceId(event) === input.recoveryInstanceID,
      );
    } else if (call.service === 'drs' && call.operation === 'TerminateRecoveryInstances') {
      const ids = (input.recoveryInstanceIDs as string[] | undefined) ?? [];
      reached = ids.every((id) => hasSignal('Drill Instance Changed', (event) => resourceId(event) === id));
    } else if (call.service === 'backup' && call.operation === 'StartRestoreJob') {
      const job = sim.backup.restoreJobs.find(
        (candidate) => candidate.idempotencyToken === input.IdempotencyToken,
      );
      reached =
        job !== undefined &&
        hasSignal('Restore Started', (event) =>
          JSON.stringify(event.detail).includes(job.RestoreJobId ?? '(none)'),
        );
    }
    if (reached === undefined) continue;
    const invocation = call.invocation as NonNullable<CallRecord['invocation']>;
    if (reached) report.signals.reached += 1;
    else if (isDeadLettered(invocation.eventId, invocation.functionName)) report.signals.deadLettered += 1;
    else {
      report.signals.lost += 1;
      report.violations.push({
        invariant: 'lost-signal',
        detail: `${call.service}:${call.operation} ${JSON.stringify(input).slice(0, 200)} applied, its signal never reached the bus and its input is not dead-lettered`,
        trail: inputTrail(sim, invocation.eventId, invocation.functionName),
      });
    }
  }

  // Duplicate signals, by cause.
  const puts = ours.filter(
    (call) => effective(call) && call.service === 'eventbridge' && call.operation === 'PutEvents',
  );
  const putsBySignal = new Map<string, CallRecord[]>();
  for (const call of puts)
    for (const id of signalIdsOf(call)) putsBySignal.set(id, [...(putsBySignal.get(id) ?? []), call]);
  for (const [, group] of putsBySignal) {
    if (group.length < 2) continue;
    const cause = group.some((call) => call.applied === true)
      ? 'signal: PutEvents answer lost'
      : new Set(group.map((call) => call.invocation?.eventId)).size === 1
        ? 'signal: invocation retried'
        : 'signal: one observation from two inputs';
    report.duplicates[cause] = (report.duplicates[cause] ?? 0) + group.length - 1;
  }

  // Safety: dr-autopilot never starts a recovery or a failback.
  for (const call of ours) {
    if (
      call.service === 'drs' &&
      (call.operation === 'StartRecovery' || call.operation === 'StartFailbackLaunch')
    ) {
      report.violations.push({
        invariant: 'safety',
        detail: `dr-autopilot called ${call.operation}`,
        trail: [trailOf(call)],
      });
    }
  }
  return report;
}

// ---------------------------------------------------------------------------------------------------------------
// The run

export interface ScenarioRun {
  scenario: string;
  seed: number;
  /** Calls asked about, and faults injected by kind. */
  calls: number;
  faults: Record<FaultKind, number>;
  /** Faults by `service kind`. */
  faultsByService: Record<string, number>;
  invariants: InvariantReport;
  /** Steps the scenario could not play as written under faults (not findings by themselves). */
  stepErrors: string[];
  /** Whether the scenario's own expectations still held (informative: they count calls). */
  expectationsHeld: boolean;
  wallMs: number;
}

export interface FaultRateReport {
  rate: number;
  seeds: number[];
  runs: number;
  calls: number;
  faults: Record<FaultKind, number>;
  /** Faults by service:kind. */
  faultsByService: Record<string, number>;
  inputs: InvariantReport['inputs'];
  signals: InvariantReport['signals'];
  sideEffects: Record<string, number>;
  duplicates: Record<string, number>;
  violations: (Violation & { scenario: string; seed: number })[];
  stepErrors: number;
  expectationsHeld: number;
  wallMs: number;
}

export interface FaultRateOptions {
  rate: number;
  seeds: readonly number[];
  /** Default: every scenario in sim/scenarios. */
  scenarios?: readonly Scenario[] | undefined;
  /** The `Retry-After` of injected throttles (DRS, AWS Backup), seconds. Default 1. */
  retryAfterSeconds?: string | undefined;
  onRun?: ((run: ScenarioRun) => void) | undefined;
}

/** A scenario's own seed, from the run's seed and its name: each scenario draws its own stream. */
export function scenarioSeed(seed: number, name: string): number {
  let hash = seed >>> 0;
  for (const char of name) hash = Math.imul(hash ^ char.charCodeAt(0), 0x01000193) >>> 0;
  return hash;
}

/** One hour passes, then every scheduled rule of every Region still up fires once, and it all drains. */
async function settle(sim: Simulator): Promise<void> {
  await sim.passTime(60 * 60_000);
  for (const region of sim.regions.values()) {
    if (sim.world.isLost(region.name)) continue;
    const scheduled = new Set(
      region.deployment.rules
        .filter((rule) => rule.enabled && rule.scheduleExpression !== undefined)
        .flatMap((rule) => rule.targets.map((target) => target.functionLogicalId)),
    );
    for (const fn of scheduled) region.eventBridge.fireSchedule(fn);
  }
  await sim.drain();
  await sim.settleAlarms();
  await sim.drain();
}

/** Plays one scenario at `rate` with `seed`, lets the world settle, and checks the invariants. */
export async function runScenarioWithFaults(
  sim: Simulator,
  scenario: Scenario,
  options: { rate: number; seed: number; retryAfterSeconds?: string | undefined },
): Promise<ScenarioRun> {
  const started = performance.now();
  const faults = new RateFaults(
    options.rate,
    scenarioSeed(options.seed, scenario.name),
    options.retryAfterSeconds,
  );
  sim.world.faultSource = faults;
  sim.world.lambdaRetryDelays = true;
  try {
    const report = await runScenario(sim, scenario, { lenient: true });
    faults.enabled = false;
    const stepErrors = [...(report.stepErrors ?? [])];
    try {
      await settle(sim);
    } catch (error) {
      stepErrors.push(`settling: ${(error as Error).message}`);
    }
    return {
      scenario: scenario.name,
      seed: options.seed,
      calls: faults.asked,
      faults: faults.byKind(),
      faultsByService: faults.injected.reduce<Record<string, number>>((counts, fault) => {
        const key = `${fault.service} ${fault.kind}`;
        counts[key] = (counts[key] ?? 0) + 1;
        return counts;
      }, {}),
      invariants: checkInvariants(sim),
      stepErrors,
      expectationsHeld: report.passed,
      wallMs: Math.round(performance.now() - started),
    };
  } finally {
    sim.world.faultSource = undefined;
    sim.world.lambdaRetryDelays = false;
  }
}

function add(into: Record<string, number>, from: Record<string, number>): void {
  for (const [key, value] of Object.entries(from)) into[key] = (into[key] ?? 0) + value;
}

/** Every scenario (or the ones given) × every seed, at `rate`: the totals and every violation. */
export async function runFaultRate(sim: Simulator, options: FaultRateOptions): Promise<FaultRateReport> {
  const started = performance.now();
  const scenarios = options.scenarios ?? listScenarios();
  const report: FaultRateReport = {
    rate: options.rate,
    seeds: [...options.seeds],
    runs: 0,
    calls: 0,
    faults: Object.fromEntries(FAULT_KINDS.map((kind) => [kind, 0])) as Record<FaultKind, number>,
    faultsByService: {},
    inputs: { processed: 0, deadLettered: 0, lost: 0 },
    signals: { reached: 0, deadLettered: 0, lost: 0 },
    sideEffects: {},
    duplicates: {},
    violations: [],
    stepErrors: 0,
    expectationsHeld: 0,
    wallMs: 0,
  };
  for (const seed of options.seeds) {
    for (const scenario of scenarios) {
      const run = await runScenarioWithFaults(sim, scenario, {
        rate: options.rate,
        seed,
        retryAfterSeconds: options.retryAfterSeconds,
      });
      report.runs += 1;
      report.calls += run.calls;
      add(report.faults, run.faults);
      add(report.faultsByService, run.faultsByService);
      add(report.inputs, run.invariants.inputs);
      add(report.signals, run.invariants.signals);
      add(report.sideEffects, run.invariants.sideEffects);
      add(report.duplicates, run.invariants.duplicates);
      report.violations.push(
        ...run.invariants.violations.map((violation) => ({ ...violation, scenario: scenario.name, seed })),
      );
      report.stepErrors += run.stepErrors.length;
      if (run.expectationsHeld) report.expectationsHeld += 1;
      options.onRun?.(run);
    }
  }
  report.wallMs = Math.round(performance.now() - started);
  return report;
}
