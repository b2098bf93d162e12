import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AwsEvent } from './drs.ts';
import { matchesPattern } from './event-pattern.ts';
import { transformInput } from './eventbridge.ts';
import type { SimRegion, Simulator } from './simulator.ts';
import type { SimFunction, SimRuleTarget } from './template.ts';

/**
 * The bad-input suite: a seeded mutator over every sample event, run through the real handlers of the
 * simulated deployment (the recovery Region's Lambda runtime, the same one the rehearsal drives). Each mutated
 * input must end in a clear error naming the field it broke (`InvalidEventError`, `ForeignEventError`) or a
 * `skipped` outcome, and cause no side effect: no mutating call reaches a simulated service (DRS, AWS Backup,
 * EC2, S3, Lambda, SNS, EventBridge `PutEvents`) and no write reaches the readiness or evidence table. Anything
 * else is a finding, listed with its input.
 *
 * The bases: the AWS sample events of `events/<source>/samples` (re-homed into the simulated account and
 * recovery Region, so that the origin check passes and a mutation reaches the contract and the use case), the
 * events the rehearsal's scenarios put on a bus, and the scheduled events and constant task inputs of the
 * deployment's schedules. Each base goes to the function(s) whose rule matches it, shaped as that rule's
 * target delivers it; a mutated input goes to the same function even when it no longer matches (a misrouted
 * or hand-made invocation must be refused by the handler itself). Every input gets a fresh event `id` (unless
 * the mutation is of `id`), so idempotency never answers for the handler. The world is empty: no input can be
 * acted on for real, so a side effect is a handler acting on something it should have refused.
 */

const ROOT = new URL('../', import.meta.url).pathname;

/** One base input: an event (or a schedule's constant input) and where it comes from. */
export interface BaseInput {
  /** `events/drs/samples/…json`, `sim/scenarios/…json step 3`, `schedule rule …`. */
  origin: string;
  event: Record<string, unknown>;
}

/** A base delivered to one function, as its rule's target shapes it. */
export interface Route {
  base: BaseInput;
  fn: SimFunction;
  target: SimRuleTarget;
}

export interface Mutation {
  /** What was done, e.g. `detail.job-id: 300,000 characters`. */
  label: string;
  /** The field it changed (dot path); the error must name it. `(root)` for the whole input. */
  field: string;
  /** Makes the mutated event from a deep copy of the base (mutating it in place is fine). */
  apply: (event: Record<string, unknown>) => Record<string, unknown>;
}

export type Verdict =
  /** An `InvalidEventError` / `ForeignEventError` whose message names the field. */
  | 'error-naming-field'
  /** An outcome whose action is `skipped`: no side effect but the skip's own signal, if it sends one. */
  | 'skipped'
  /**
   * The handler answers exactly as it does to the unmutated base (same outcome action or error type, no side
   * effect the base does not have): the mutated field is one it does not read (contracts check only the fields
   * they use, since AWS adds and changes the others), e.g. `version`, or an alarm's `reason`. Only for `version`
   * and fields of `detail` ({@link mayBeIgnored}).
   */
  | 'ignored'
  /** Anything else: a side effect, another error, an outcome that acted, an error not naming the field. */
  | 'failure';

export interface InputResult {
  function: string;
  origin: string;
  mutation: string;
  field: string;
  verdict: Verdict;
  /** The error (`Type: message`, cut) or the outcome's action. */
  result: string;
  sideEffects: string[];
  /** The mutated input, cut to 2,000 characters (for the report of a failure). */
  input?: string | undefined;
}

export interface BadInputReport {
  seed: number;
  inputs: number;
  bases: number;
  functions: Record<string, number>;
  verdicts: Record<Verdict, number>;
  /** Errors by type (`InvalidEventError`, `ForeignEventError`, …) and outcomes by action. */
  results: Record<string, number>;
  /** Side effects of inputs not answered as their base is (each is a failure). */
  sideEffects: number;
  /** Side effects of `ignored` inputs: the base's own (an in-scope alarm's signal), repeated. */
  baseSideEffectsRepeated: number;
  /** Signals published by `skipped` inputs about their skip. */
  skipSignals: number;
  /** Milliseconds spent in the handlers, and in looking for side effects after each. */
  handlerMs: number;
  countingMs: number;
  failures: InputResult[];
  wallMs: number;
}

// ---------------------------------------------------------------------------------------------------------------
// Bases

const SAMPLE_ACCOUNTS = /\b(1112233445566|123456789012|111122223333)\b/g;

/** Every AWS sample event in `events/<source>/samples`, in the simulated account and Region. */
export function sampleBases(account: string, region: string): BaseInput[] {
  const events = join(ROOT, 'events');
  return readdirSync(events, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .flatMap((dir) => {
      let files: string[] = [];
      try {
        files = readdirSync(join(events, dir.name, 'samples')).filter((file) => file.endsWith('.json'));
      } catch {
        return [];
      }
      return files.sort().map((file) => {
        const text = readFileSync(join(events, dir.name, 'samples', file), 'utf8');
        const original = JSON.parse(text) as { region?: string };
        const sourceRegion = original.region ?? region;
        // The ARNs name the sample's account and Region: the simulated ones instead, everywhere.
        const rehomed = text
          .replace(SAMPLE_ACCOUNTS, account)
          .replaceAll(`:${sourceRegion}:`, `:${region}:`)
          .replaceAll(`"${sourceRegion}"`, `"${region}"`);
        return {
          origin: `events/${dir.name}/samples/${file}`,
          event: JSON.parse(rehomed) as Record<string, unknown>,
        };
      });
    });
}

/** The events the rehearsal's scenarios put on a bus, completed as EventBridge would. */
export function scenarioBases(account: string, region: string): BaseInput[] {
  const dir = join(ROOT, 'sim/scenarios');
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .flatMap((file) => {
      const scenario = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { steps?: unknown[] };
      return (scenario.steps ?? []).flatMap((step, index) => {
        const event = (step as { event?: Record<string, unknown>; region?: string }).event;
        if (!event || (step as { region?: string }).region === 'primary') return [];
        return [
          {
            origin: `sim/scenarios/${file} step ${index + 1}`,
            event: {
              version: '0',
              id: '00000000-0000-4000-8000-000000000000',
              time: '2026-11-29T12:00:00Z',
              resources: [],
              ...event,
              account,
              region,
            },
          },
        ];
      });
    });
}

/** The scheduled events of the deployment's schedule rules (the ones whose target takes the event itself). */
function scheduleBases(region: SimRegion, account: string): { base: BaseInput; target: SimRuleTarget }[] {
  return region.deployment.rules
    .filter((rule) => rule.scheduleExpression !== undefined)
    .flatMap((rule) =>
      rule.targets
        .filter((target) => target.kind === 'function')
        .map((target) => ({
          target,
          base: {
            origin: `schedule rule ${rule.name}${target.input ? ` (input ${target.input})` : ''}`,
            event:
              target.input !== undefined
                ? (JSON.parse(target.input) as Record<string, unknown>)
                : {
                    version: '0',
                    id: '00000000-0000-4000-8000-000000000000',
                    'detail-type': 'Scheduled Event',
                    source: 'aws.events',
                    account,
                    time: '2026-11-29T12:00:00Z',
                    region: region.name,
                    resources: [`arn:aws:events:${region.name}:${account}:rule/${rule.name}`],
                    detail: {},
                  },
          },
        })),
    );
}

/** Every base, delivered to every function whose rule takes it. */
export function routes(sim: Simulator, region: SimRegion = sim.recovery): Route[] {
  const account = sim.world.account;
  const found: Route[] = [];
  const seen = new Set<string>();
  const add = (base: BaseInput, target: SimRuleTarget) => {
    const fn = region.lambda.find(target.functionLogicalId);
    const key = `${target.functionLogicalId} ${base.origin}`;
    if (!fn || seen.has(key)) return;
    seen.add(key);
    found.push({ base, fn, target });
  };
  for (const base of [...sampleBases(account, region.name), ...scenarioBases(account, region.name)]) {
    for (const rule of region.deployment.rules) {
      if (!rule.enabled || rule.eventPattern === undefined) continue;
      if (!matchesPattern(rule.eventPattern, base.event)) continue;
      for (const target of rule.targets) if (target.kind === 'function') add(base, target);
    }
  }
  for (const { base, target } of scheduleBases(region, account)) add(base, target);
  return found;
}

// ---------------------------------------------------------------------------------------------------------------
// Mutations

/** A small, fast, seeded generator (mulberry32): the same seed gives the same inputs. */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const HUGE = 300_000;

/** Strings no field of ours should accept as they are, or should carry on well-formed. */
const ODD_STRINGS: [string, (value: string) => string][] = [
  ['empty', () => ''],
  ['whitespace only', () => ' \t '],
  [`${HUGE.toLocaleString('en-US')} characters`, () => 'x'.repeat(HUGE)],
  ['a lone high surrogate', (value) => `${value}\ud83d`],
  ['a lone low surrogate', (value) => `\udc00${value}`],
  ['an emoji', (value) => `${value}🔥`],
  ['right-to-left override', (value) => `\u202e${value}`],
  ['a NUL', (value) => `${value}\u0000`],
  ['Cyrillic look-alike letters', (value) => value.replace(/[aeopcx]/g, (c) => LOOKALIKE[c] ?? c)],
  ['leading and trailing spaces', (value) => ` ${value} `],
  ['upper case', (value) => value.toUpperCase()],
];
const LOOKALIKE: Record<string, string> = { a: 'а', e: 'е', o: 'о', p: 'р', c: 'с', x: 'х' };

const WRONG_TYPES: [string, unknown][] = [
  ['null', null],
  ['a number', 42],
  ['a boolean', true],
  ['an array', ['x']],
  ['an object', { value: 'x' }],
];

/** The string leaves of an object (dot paths), the envelope's own fields first. */
function stringPaths(value: unknown, prefix = ''): string[] {
  if (typeof value === 'string') return prefix ? [prefix] : [];
  if (Array.isArray(value)) return value.flatMap((item, index) => stringPaths(item, join2(prefix, index)));
  if (value !== null && typeof value === 'object')
    return Object.entries(value).flatMap(([key, item]) => stringPaths(item, join2(prefix, key)));
  return [];
}

/** Every path (objects, arrays and leaves) below the root. */
function allPaths(value: unknown, prefix = ''): string[] {
  const here = prefix ? [prefix] : [];
  if (Array.isArray(value))
    return [...here, ...value.flatMap((item, index) => allPaths(item, join2(prefix, index)))];
  if (value !== null && typeof value === 'object')
    return [...here, ...Object.entries(value).flatMap(([key, item]) => allPaths(item, join2(prefix, key)))];
  return here;
}

function join2(prefix: string, key: string | number): string {
  return prefix ? `${prefix}.${key}` : String(key);
}

function keysOf(path: string): string[] {
  return path.split('.');
}

function getAt(root: unknown, path: string): unknown {
  let value = root;
  for (const key of keysOf(path)) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function setAt(root: Record<string, unknown>, path: string, value: unknown): void {
  const keys = keysOf(path);
  let parent: Record<string, unknown> = root;
  for (const key of keys.slice(0, -1)) parent = parent[key] as Record<string, unknown>;
  const last = keys[keys.length - 1] as string;
  if (value === DELETE) {
    if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else delete parent[last];
  } else parent[last] = value;
}

const DELETE = Symbol('delete');

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}

const FOREIGN_ACCOUNT = '999988887777';
const FOREIGN_REGION = 'eu-central-1';

/**
 * One mutation of `event`, drawn with `random`. Only changes the handler must refuse or skip are drawn: a
 * missing required envelope field, a field of the wrong type, odd strings, a foreign account, Region or
 * partition, the wrong source or detail-type, more than 100 resources, and unknown fields where the contract
 * is strict (a task input; an envelope field that AWS never sends is ignored by design — AWS adds fields —
 * so extra fields go with one of the changes above, never alone).
 */
export function drawMutation(
  event: Record<string, unknown>,
  random: () => number,
  /** Which kind of change (taken modulo the kinds); default: drawn. */
  kindIndex?: number,
): Mutation {
  const isTask = !('detail' in event) && 'task' in event;
  type Kind = (typeof kinds)[number];
  const kinds = isTask
    ? (['task-extra', 'task-value', 'wrong-type', 'missing', 'odd-string'] as const)
    : ([
        'missing',
        'wrong-type',
        'odd-string',
        'odd-string',
        'odd-string',
        'foreign-account',
        'foreign-region',
        'foreign-resource',
        'foreign-partition',
        'wrong-source',
        'wrong-detail-type',
        'too-many-resources',
        'extra-and-missing',
      ] as const);
  const kind = kindIndex === undefined ? pick(random, kinds) : (kinds[kindIndex % kinds.length] as Kind);
  const strings = stringPaths(event);
  switch (kind) {
    case 'task-extra':
      return {
        label: 'an unknown field in the task input',
        field: 'surprise',
        apply: (input) => ({ ...input, surprise: 'x' }),
      };
    case 'task-value': {
      const [name, change] = pick(random, ODD_STRINGS);
      return {
        label: `task: ${name}`,
        field: 'task',
        apply: (input) => ({ ...input, task: change(String(input.task)) }),
      };
    }
    case 'missing': {
      const field = isTask
        ? 'task'
        : pick(random, ['id', 'source', 'detail-type', 'account', 'region', 'time']);
      return {
        label: `${field} missing`,
        // A task input without its task is empty: any error about the input will do.
        field: isTask ? '(root)' : field,
        apply: (input) => {
          setAt(input, field, DELETE);
          return input;
        },
      };
    }
    case 'extra-and-missing': {
      const field = pick(random, ['id', 'account', 'region', 'detail']);
      return {
        label: `${field} missing, unknown fields added`,
        field,
        apply: (input) => {
          setAt(input, field, DELETE);
          return { ...input, 'replay-name': 'surprise', [`${field}s`]: input[field] ?? 'x' };
        },
      };
    }
    case 'wrong-type': {
      const paths = allPaths(event).filter((path) => !/\.\d+$/.test(path) || random() < 0.3);
      const field = pick(random, paths.length > 0 ? paths : ['id']);
      const [name, value] = pick(
        random,
        WRONG_TYPES.filter(([, candidate]) => typeof candidate !== typeof getAt(event, field)),
      );
      return {
        label: `${field}: ${name}`,
        field,
        apply: (input) => {
          setAt(input, field, structuredClone(value));
          return input;
        },
      };
    }
    case 'odd-string': {
      const field = pick(random, strings.length > 0 ? strings : ['id']);
      // An upper-case UUID is still a good event id.
      const [name, change] = pick(
        random,
        field === 'id' ? ODD_STRINGS.filter(([odd]) => odd !== 'upper case') : ODD_STRINGS,
      );
      return {
        label: `${field}: ${name}`,
        field,
        apply: (input) => {
          setAt(input, field, change(String(getAt(input, field) ?? '')));
          return input;
        },
      };
    }
    case 'foreign-account':
      return {
        label: `account ${FOREIGN_ACCOUNT}`,
        field: 'account',
        apply: (input) => ({ ...input, account: FOREIGN_ACCOUNT }),
      };
    case 'foreign-region':
      return {
        label: `region ${FOREIGN_REGION}`,
        field: 'region',
        apply: (input) => ({ ...input, region: FOREIGN_REGION }),
      };
    case 'foreign-resource': {
      const change = pick(random, [
        ['account', (arn: string) => arn.replace(/^(arn:[^:]*:[^:]*:[^:]*:)\d*:/, `$1${FOREIGN_ACCOUNT}:`)],
        ['Region', (arn: string) => arn.replace(/^(arn:[^:]*:[^:]*:)[^:]*:/, `$1${FOREIGN_REGION}:`)],
      ] as const);
      return {
        label: `resources[0] names another ${change[0]}`,
        field: 'resources',
        apply: (input) => {
          const resources = Array.isArray(input.resources) ? (input.resources as string[]) : [];
          const first = resources[0] ?? `arn:aws:drs:${String(input.region)}:${String(input.account)}:x/y`;
          return { ...input, resources: [change[1](first), ...resources.slice(1)] };
        },
      };
    }
    case 'foreign-partition':
      return {
        label: 'resources[0] in partition aws-cn',
        field: 'resources',
        apply: (input) => {
          const resources = Array.isArray(input.resources) ? (input.resources as string[]) : [];
          const first = resources[0] ?? `arn:aws:drs:${String(input.region)}:${String(input.account)}:x/y`;
          return {
            ...input,
            resources: [first.replace(/^arn:[^:]*:/, 'arn:aws-cn:'), ...resources.slice(1)],
          };
        },
      };
    case 'wrong-source':
      return {
        label: 'source of another service',
        field: 'source',
        apply: (input) => ({ ...input, source: input.source === 'aws.drs' ? 'aws.backup' : 'aws.drs' }),
      };
    case 'wrong-detail-type':
      return {
        label: 'detail-type of another event',
        field: 'detail-type',
        apply: (input) => ({ ...input, 'detail-type': `${String(input['detail-type'])} Notification` }),
      };
    case 'too-many-resources':
      return {
        label: '101 resources',
        field: 'resources',
        apply: (input) => {
          const resources = Array.isArray(input.resources) ? (input.resources as string[]) : [];
          const first = resources[0] ?? `arn:aws:drs:${String(input.region)}:${String(input.account)}:x/y`;
          return { ...input, resources: Array.from({ length: 101 }, () => first) };
        },
      };
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Running and classifying

const SIDE_EFFECT_OPERATIONS = new Set(['PutEvents', 'Publish', 'PublishBatch']);
/** What a skip may do: publish its own signal (an in-doubt drill flag is news for on-call), nothing else. */
const SKIP_SIGNAL = new Set(['eventbridge:PutEvents']);
const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems']);
const FIELD_ERRORS = new Set(['InvalidEventError', 'ForeignEventError']);

/**
 * Whether a handler may answer a change of `field` as it answers the unmutated event: only for `version` and the
 * fields of `detail` (a contract checks the detail fields it reads; AWS adds and changes the others). The
 * envelope's `id`, `source`, `detail-type`, `account`, `region`, `time` and `resources`, and a task input, are
 * read by every handler: a change must be refused or skipped.
 */
export function mayBeIgnored(field: string): boolean {
  return field === 'version' || field.startsWith('version.') || field.startsWith('detail.');
}

/** Whether an error message names `field` (its full dot path, or its last named key). */
export function namesField(message: string, field: string): boolean {
  if (field === '(root)') return true;
  const keys = keysOf(field);
  const named = [...keys].reverse().find((key) => !/^\d+$/.test(key)) ?? field;
  // zod joins paths with dots; the origin check says "account"/"region"/"resources[n]".
  return (
    message.includes(field) ||
    new RegExp(`(^|[^A-Za-z-])${escapeRegExp(named)}([^A-Za-z-]|$)`, 'i').test(message)
  );
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The payload the rule's target hands the function. */
function payloadFor(target: SimRuleTarget, event: Record<string, unknown>): unknown {
  if (target.inputTransformer !== undefined)
    return JSON.parse(transformInput(event as unknown as AwsEvent, target.inputTransformer, 'bad-input'));
  if (target.inputPath === '$.detail') return event.detail;
  return event;
}

/**
 * Runs `size` mutated inputs (round-robin over the routes, each with a mutation drawn from `seed`) through the
 * recovery Region's handlers of a reset simulator, and classifies each.
 */
export async function runBadInput(
  sim: Simulator,
  options: { size: number; seed: number; onProgress?: (done: number) => void },
): Promise<BadInputReport> {
  const started = Date.now();
  await sim.reset();
  const region = sim.recovery;
  const random = seeded(options.seed);
  const all = routes(sim, region);
  const watched = ['ReadinessTable', 'EvidenceTable'].flatMap((id) => region.tableNamed(id) ?? []);
  const report: BadInputReport = {
    seed: options.seed,
    inputs: 0,
    bases: new Set(all.map((route) => route.base.origin)).size,
    functions: {},
    verdicts: { 'error-naming-field': 0, skipped: 0, ignored: 0, failure: 0 },
    results: {},
    sideEffects: 0,
    baseSideEffectsRepeated: 0,
    skipSignals: 0,
    handlerMs: 0,
    countingMs: 0,
    failures: [],
    wallMs: 0,
  };
  region.dynamoRequests.length = 0;
  /** One invocation: what it answered, and the side effects it had. */
  const invoke = async (route: Route, event: Record<string, unknown>) => {
    const payload = payloadFor(route.target, event);
    const callsBefore = sim.world.calls.length;
    const invoked = performance.now();
    const result = await region.lambda.invoke(route.fn.logicalId, payload);
    const counting = performance.now();
    report.handlerMs += counting - invoked;
    const sideEffects = sim.world.calls
      .slice(callsBefore)
      .filter((call) => call.mutating || SIDE_EFFECT_OPERATIONS.has(call.operation))
      .map((call) => `${call.service}:${call.operation}`);
    // Writes to the readiness or evidence table (an idempotency record is the handler's machinery, not an effect).
    const requests = region.dynamoRequests.splice(0);
    for (const request of requests) {
      if (WRITES.has(request.operation) && (request.table === undefined || watched.includes(request.table)))
        sideEffects.push(`dynamodb:${request.operation} ${request.table ?? '(batch)'}`);
    }
    report.countingMs += performance.now() - counting;
    const answer = result.ok
      ? `outcome ${String((result.outcome as { action?: unknown } | undefined)?.action)}`
      : (result.error?.errorType ?? 'Error');
    return { payload, result, sideEffects, answer };
  };
  const fresh = (event: Record<string, unknown>) => {
    const copy = structuredClone(event);
    if ('id' in copy) copy.id = crypto.randomUUID();
    return copy;
  };
  // What each base does unmutated (with a fresh id), for the `ignored` verdict.
  const baselines = new Map<Route, { answer: string; sideEffects: Set<string>; issues: string[] }>();
  for (const route of all) {
    const { answer, sideEffects, result } = await invoke(route, fresh(route.base.event));
    // A base that is itself bad input (the rehearsal's bad-input scenario): what its error names.
    const issues =
      result.error?.errorType === 'InvalidEventError'
        ? result.error.errorMessage.slice(result.error.errorMessage.indexOf(': ') + 2).split('; ')
        : [];
    baselines.set(route, { answer, sideEffects: new Set(sideEffects), issues });
  }
  for (let index = 0; index < options.size; index++) {
    const route = all[index % all.length] as Route;
    // Each route goes through every kind of change in turn (a different one each round, from a different
    // start per route), so even a small run spreads over routes × kinds; the rest is drawn from the seed.
    const round = Math.floor(index / all.length);
    // A change that changes nothing (upper case of digits) is drawn again, as the next kind.
    let mutation = drawMutation(route.base.event, random, round + index);
    let mutated = mutation.apply(structuredClone(route.base.event));
    for (let next = 1; JSON.stringify(mutated) === JSON.stringify(route.base.event) && next < 20; next++) {
      mutation = drawMutation(route.base.event, random, round + index + next);
      mutated = mutation.apply(structuredClone(route.base.event));
    }
    if (mutation.field !== 'id' && 'id' in mutated) mutated.id = crypto.randomUUID();
    const { payload, result, sideEffects, answer } = await invoke(route, mutated);
    const baseline = baselines.get(route);
    const errorType = result.error?.errorType ?? '';
    const message = result.error?.errorMessage ?? '';
    const verdict: Verdict =
      !result.ok &&
      FIELD_ERRORS.has(errorType) &&
      (namesField(message, mutation.field) || baseline?.issues.some((issue) => message.includes(issue))) &&
      sideEffects.length === 0
        ? 'error-naming-field'
        : result.ok && answer === 'outcome skipped' && sideEffects.every((effect) => SKIP_SIGNAL.has(effect))
          ? 'skipped'
          : mayBeIgnored(mutation.field) &&
              answer === baseline?.answer &&
              sideEffects.every((effect) => baseline.sideEffects.has(effect))
            ? 'ignored'
            : 'failure';
    const key = answer;
    const action = answer;
    report.inputs += 1;
    report.functions[route.fn.shortName] = (report.functions[route.fn.shortName] ?? 0) + 1;
    report.verdicts[verdict] += 1;
    report.results[key] = (report.results[key] ?? 0) + 1;
    if (verdict === 'ignored') report.baseSideEffectsRepeated += sideEffects.length;
    else if (verdict === 'skipped') report.skipSignals += sideEffects.length;
    else report.sideEffects += sideEffects.length;
    if (verdict === 'failure') {
      const text = JSON.stringify(payload) ?? 'undefined';
      report.failures.push({
        function: route.fn.shortName,
        origin: route.base.origin,
        mutation: mutation.label,
        field: mutation.field,
        verdict,
        result: result.ok ? action : `${errorType}: ${message.slice(0, 300)}`,
        sideEffects,
        input: text.length > 2000 ? `${text.slice(0, 2000)}… (${text.length} characters)` : text,
      });
    }
    if (sim.world.calls.length > 10_000) sim.world.calls = [];
    if (sim.world.timeline.length > 10_000) sim.world.timeline = [];
    options.onProgress?.(index + 1);
  }
  report.wallMs = Date.now() - started;
  report.handlerMs = Math.round(report.handlerMs);
  report.countingMs = Math.round(report.countingMs);
  return report;
}
