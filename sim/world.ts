import { AsyncLocalStorage } from 'node:async_hooks';
import { DYNAMODB_REQUEST_TIMEOUT_MS } from '../src/runtime/dynamodb-client.ts';
import { advanceClock } from './clock.ts';

/**
 * What every simulated service shares: the account and Region pair, the record of what happened (the
 * timeline the CLI prints and the scenarios check), the faults a scenario injects, and which Regions are lost
 * (an outage: requests signed for a lost Region fail like a network failure).
 */

export const SIM_ACCOUNT = '111122223333';
export const SIM_PRIMARY_REGION = 'us-east-1';
export const SIM_RECOVERY_REGION = 'us-west-2';
export const SIM_STAGE = 'sim';

export type TimelineEntry = TimelineItem & {
  /** 0 for what happens in the world; 1 for what a function does during an invocation. */
  depth?: number;
  /** The Region it happened in (absent: not Region-specific, e.g. a scenario's narration). */
  region?: string | undefined;
};

type TimelineItem =
  | { kind: 'step'; text: string }
  | {
      kind: 'event';
      bus: string;
      source: string;
      detailType: string;
      id: string;
      summary: string;
      /** Which function(s) the rules routed it to. */
      targets: string[];
    }
  | {
      kind: 'invoke';
      functionName: string;
      eventId: string;
      attempt: number;
      result: 'ok' | 'error';
      /** The outcome's `action` (or the error's name and message). */
      summary: string;
      outcome?: unknown;
    }
  | { kind: 'call'; service: string; operation: string; summary: string; result: string }
  | { kind: 'sns'; messageIndex: number; subject: string }
  | { kind: 'dead-letter'; queue: string; summary: string }
  /** A CloudWatch alarm changed state (its notification and event follow). */
  | { kind: 'alarm'; alarmName: string; from: string; to: string; reason: string }
  | { kind: 'note'; text: string };

export interface CallRecord {
  service: string;
  operation: string;
  /** `ok`, or the error code returned (`ThrottlingException`, …). */
  result: string;
  /** Calls that change something (not Describe/List/Get). */
  mutating: boolean;
  input: unknown;
  /** The Region the request was signed for (the Region whose service answered it). */
  region?: string | undefined;
  /**
   * The change was made although `result` is an error: a fault injected `afterApply` lost the answer. Absent for
   * every other call (an `ok` mutating call made its change; an error before apply made none).
   */
  applied?: boolean | undefined;
  /**
   * The deployed function's invocation that made the call (absent: the world's own calls, a person's, a test's):
   * which input (event id) caused it, and which attempt of it.
   */
  invocation?: InvocationRef | undefined;
}

/** An invocation of a deployed function: what calls made meanwhile are attributed to. */
export interface InvocationRef {
  functionName: string;
  eventId: string;
  attempt: number;
  region: string;
}

export interface Fault {
  service: string;
  operation: string;
  /** The error code to answer with (e.g. `ThrottlingException`). */
  error: string;
  /** How many calls fail (then the operation works again). */
  times: number;
  retryAfterSeconds?: string | undefined;
  message?: string | undefined;
  /** Only calls to this Region's service fail (absent: either Region's). */
  region?: string | undefined;
  /**
   * The service performs the operation first, then the error reaches the client (a 5xx whose answer was lost
   * after the change was applied): the change stays, and the client cannot tell it happened. Absent: the call
   * fails before anything changes.
   */
  afterApply?: boolean | undefined;
  /**
   * The answer never arrives: the connection stays open and the invocation that made the call times out (see
   * `SimWorld.hang`). With `afterApply`, the service made the change first.
   */
  hang?: boolean | undefined;
  /** `PartialFailure` of PutEvents: which entries (0-based) fail; absent: the first. */
  failEntries?: readonly number[] | undefined;
}

/**
 * Faults drawn at a rate rather than listed by a scenario (sim/fault-rate.ts): asked about every call a deployed
 * function makes, it answers the fault to inject, if any.
 */
export interface FaultSource {
  draw(service: string, operation: string): Fault | undefined;
}

/** The request timeout of the clients that call the other Region of the pair (failback-lifecycle's). */
const CROSS_REGION_REQUEST_TIMEOUT_MS = 15_000;

/** The Region a request being answered was signed for, for services that serve every Region alike. */
const requestRegion = new AsyncLocalStorage<string>();

export class SimWorld {
  readonly account = SIM_ACCOUNT;
  readonly primaryRegion = SIM_PRIMARY_REGION;
  readonly recoveryRegion = SIM_RECOVERY_REGION;
  /** The recovery Region: what `Simulator.deployment`, `.drs`, `.eventBridge`… (the default Region) serve. */
  readonly region = SIM_RECOVERY_REGION;
  readonly regions: readonly string[] = [SIM_PRIMARY_REGION, SIM_RECOVERY_REGION];
  timeline: TimelineEntry[] = [];
  calls: CallRecord[] = [];
  faults: Fault[] = [];
  /** Regions in an outage: their APIs do not answer (see `loseOriginRegion`). */
  lostRegions = new Set<string>();
  /** Set while a function runs: what happens meanwhile is nested under its invocation. */
  inInvocation = false;
  /** The invocation running now, if any (its calls are attributed to it). */
  invocation: InvocationRef | undefined;
  /**
   * Faults at a rate, for the calls deployed functions make (kept by {@link reset}: it is how the world is run,
   * not what happened in it).
   */
  faultSource: FaultSource | undefined;
  /**
   * Lambda's asynchronous retries come minutes later (about 1 minute, then 2): when set, the simulated clock moves
   * on to each retry's time before it runs (kept by {@link reset}). Unset, a retry runs as soon as its turn comes.
   */
  lambdaRetryDelays = false;
  /** Set by the Lambda runtime during an invocation: ends it now as timed out (see {@link hang}). */
  timeOutInvocation: (() => void) | undefined;
  /** A hang injected on a cross-Region call: how long its client waits before giving up (see {@link hang}). */
  private pendingClientTimeoutMs: number | undefined;

  reset(): void {
    this.timeline = [];
    this.calls = [];
    this.faults = [];
    this.lostRegions = new Set();
    this.invocation = undefined;
  }

  /**
   * A request's answer will never arrive (an injected hang). The invocation running now ends as timed out (its
   * function waits for the answer until its own timeout), unless its client has a request timeout of its own:
   * the clients that call the other Region of the pair (failback-lifecycle's, 15 s) and every function's DynamoDB
   * client (`createDynamoDbClient`, 5 s). Then the client gives up first: that much simulated time passes, the
   * connection drops (`drop`), and the SDK retries as it does a lost connection. Outside an invocation nothing
   * is injected.
   */
  hang(): 'hold' | 'drop' {
    const clientTimeout = this.pendingClientTimeoutMs;
    this.pendingClientTimeoutMs = undefined;
    if (clientTimeout !== undefined) {
      advanceClock(clientTimeout);
      return 'drop';
    }
    this.timeOutInvocation?.();
    return 'hold';
  }

  /** `primary` / `recovery` or a Region name of the pair, as a Region name. */
  regionNamed(ref: string): string {
    if (ref === 'primary') return this.primaryRegion;
    if (ref === 'recovery') return this.recoveryRegion;
    if (this.regions.includes(ref)) return ref;
    throw new Error(
      `"${ref}" is not a Region of the simulated pair (primary ${this.primaryRegion}, recovery ${this.recoveryRegion})`,
    );
  }

  isLost(region: string): boolean {
    return this.lostRegions.has(region);
  }

  /** Runs `body` as the answer to a request signed for `region`: calls recorded meanwhile carry that Region. */
  inRegion<T>(region: string | undefined, body: () => T): T {
    return region === undefined ? body() : requestRegion.run(region, body);
  }

  record<T extends TimelineEntry>(entry: T): T {
    const recorded = { ...entry, depth: this.inInvocation ? 1 : 0 };
    if (recorded.region === undefined) delete recorded.region;
    this.timeline.push(recorded);
    return recorded;
  }

  /** Records an API call; mutating calls also go on the timeline. */
  recordCall(call: CallRecord, summary: string): void {
    const region = call.region ?? requestRegion.getStore();
    const attributed =
      this.invocation && call.invocation === undefined ? { ...call, invocation: this.invocation } : call;
    const recorded = region === undefined ? attributed : { ...attributed, region };
    this.calls.push(recorded);
    if (call.mutating) {
      this.record({
        kind: 'call',
        service: call.service,
        operation: call.operation,
        summary,
        result: call.applied ? `applied, answered ${call.result}` : call.result,
        region,
      });
    }
  }

  /** The injected fault for this call, if any is left (each use counts down). */
  takeFault(service: string, operation: string, region?: string): Fault | undefined {
    const where = region ?? requestRegion.getStore();
    const fault = this.faults.find(
      (candidate) =>
        candidate.service === service &&
        candidate.operation === operation &&
        candidate.times > 0 &&
        (candidate.region === undefined || where === undefined || candidate.region === where),
    );
    if (fault) {
      fault.times -= 1;
      return fault;
    }
    // Rate faults only hit deployed functions' calls: the scenario's own steps (a person's, AWS's) are the script.
    const drawn = this.invocation ? this.faultSource?.draw(service, operation) : undefined;
    if (drawn?.hang && where !== undefined && where !== this.invocation?.region) {
      this.pendingClientTimeoutMs = CROSS_REGION_REQUEST_TIMEOUT_MS;
    } else if (drawn?.hang && service === 'dynamodb') {
      this.pendingClientTimeoutMs = DYNAMODB_REQUEST_TIMEOUT_MS;
    }
    return drawn;
  }
}

/** `2026-11-22T03:55:00Z`: the format of an EventBridge event's `time`. */
export function eventTime(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

/** A random lowercase hex string of `length` characters. */
export function hex(length: number): string {
  let out = '';
  while (out.length < length) out += crypto.randomUUID().replace(/-/g, '');
  return out.slice(0, length);
}
