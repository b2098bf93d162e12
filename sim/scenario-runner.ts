import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DrsClient, StartRecoveryCommand } from '@aws-sdk/client-drs';
import { z } from 'zod';
import { formatSeconds, parseIsoDuration } from '../src/domain/duration.ts';
import { backupSeedSchema } from './backup.ts';
import { advanceClock } from './clock.ts';
import type { AwsEvent } from './drs.ts';
import { type ReadinessRow, readReadiness } from './readiness.ts';
import { SIM_CREDENTIALS, type Simulator } from './simulator.ts';
import type { SnsMessage } from './sns.ts';
import type { TimelineEntry } from './world.ts';

/**
 * Scenarios are data (sim/scenarios/*.json): the world to start from, the steps that happen (an operator's
 * StartRecovery, replication weather, injected faults, duplicate deliveries, scheduled sweeps, backup jobs),
 * and the outcomes to expect. The runner plays the steps on the simulator — after each one, every event is
 * delivered and every function invocation (with Lambda's retries) runs to the end — then checks each
 * expectation and reports.
 */

export const SCENARIO_DIR = new URL('./scenarios/', import.meta.url).pathname;

const count = {
  count: z.number().int().min(0).optional(),
  min: z.number().int().min(0).optional(),
  max: z.number().int().min(0).optional(),
};
const requires = { requires: z.array(z.string()).optional(), because: z.string().optional() };
const serverList = z.union([z.literal('all'), z.array(z.string()).min(1)]);
const textMatch = z.string().describe('a regular expression');

const replicationState = z.enum([
  'STOPPED',
  'INITIATING',
  'INITIAL_SYNC',
  'BACKLOG',
  'CREATING_SNAPSHOT',
  'CONTINUOUS',
  'PAUSED',
  'RESCAN',
  'STALLED',
  'DISCONNECTED',
]);

const expectationSchema = z.union([
  z
    .object({
      call: z.string().regex(/^[a-z0-9]+:[A-Za-z]+$/),
      result: z.string().default('ok'),
      ...count,
      ...requires,
    })
    .strict(),
  z
    .object({
      outcome: z.record(z.string(), z.unknown()).and(z.object({ function: z.string() })),
      ...count,
      ...requires,
    })
    .strict(),
  z
    .object({
      invocationError: z.object({ function: z.string(), errorType: z.string().optional() }).strict(),
      ...count,
      ...requires,
    })
    .strict(),
  z
    .object({
      signal: z
        .object({ detailType: z.string(), state: z.string().optional(), summary: textMatch.optional() })
        .strict(),
      ...count,
      ...requires,
    })
    .strict(),
  z
    .object({
      sns: z
        .object({
          subject: textMatch.optional(),
          body: textMatch.optional(),
          attributes: z.record(z.string(), z.string()).optional(),
        })
        .strict(),
      ...count,
      ...requires,
    })
    .strict(),
  z
    .object({
      deadLetters: z
        .object({ kind: z.enum(['rule-dead-letter-queue', 'lambda-on-failure-destination']).optional() })
        .strict(),
      ...count,
      ...requires,
    })
    .strict(),
  z
    .object({
      drsState: z
        .object({
          reversedServers: z.number().int().optional(),
          recoveryInstances: z.number().int().optional(),
          drillInstances: z.number().int().optional(),
        })
        .strict(),
      ...requires,
    })
    .strict(),
  z
    .object({
      readiness: z
        .object({
          kind: z.enum(['workload', 'resource']).optional(),
          resource: textMatch.optional(),
          workload: z.string().optional(),
          state: z.enum(['READY', 'AT_RISK', 'NOT_READY', 'UNKNOWN']),
        })
        .strict(),
      ...count,
      ...requires,
    })
    .strict(),
]);
export type Expectation = z.infer<typeof expectationSchema>;

const stepSchema = z.union([
  z.object({ say: z.string() }).strict(),
  /** Time passes (ISO-8601 duration): the simulated clock moves forward. */
  z.object({ wait: z.string().regex(/^P/) }).strict(),
  z
    .object({
      drs: z.literal('startRecovery'),
      sourceServers: serverList,
      isDrill: z.boolean().default(false),
    })
    .strict(),
  z
    .object({
      drs: z.literal('changeReplication'),
      sourceServers: serverList,
      state: replicationState.optional(),
      lagDuration: z.string().optional(),
      backloggedBytes: z.number().optional(),
      snapshotAgeMinutes: z.number().optional(),
      error: z.string().optional(),
    })
    .strict(),
  z
    .object({
      /** The origin Region is lost: its source servers turn DISCONNECTED, their lag grows, no more snapshots. */
      drs: z.literal('loseOriginRegion'),
      region: z.string().optional(),
    })
    .strict(),
  z
    .object({
      drs: z.literal('progressReversedReplication'),
      state: z.enum([...replicationState.options, 'NOT_STARTED', 'REPLICATION_STATE_NOT_AVAILABLE']),
    })
    .strict(),
  z
    .object({
      fault: z
        .object({
          service: z.enum(['drs', 'backup', 'eventbridge', 'sns']),
          operation: z.string(),
          error: z.string(),
          times: z.number().int().min(1),
          retryAfterSeconds: z.string().optional(),
          message: z.string().optional(),
        })
        .strict(),
    })
    .strict(),
  z
    .object({
      redeliver: z
        .object({
          detailType: z.string(),
          /** `same-id`: EventBridge's at-least-once duplicate; `new-id`: the source emitted it twice. */
          as: z.enum(['same-id', 'new-id']).default('same-id'),
          times: z.number().int().min(1).default(1),
        })
        .strict(),
    })
    .strict(),
  z
    .object({
      schedule: z.string(),
      /** Only the scheduled rules whose constant input has these fields (e.g. `{"task": "sweep"}`). */
      input: z.record(z.string(), z.unknown()).optional(),
      times: z.number().int().min(1).default(1),
    })
    .strict(),
  z
    .object({
      event: z
        .object({
          source: z.string(),
          'detail-type': z.string(),
          resources: z.array(z.string()).default([]),
          detail: z.record(z.string(), z.unknown()),
        })
        .strict(),
      bus: z.string().default('default'),
    })
    .strict(),
  /** An expectation checked at this point of the scenario (on what happened so far, and readiness now). */
  z.object({ check: expectationSchema }).strict(),
  z
    .object({
      backup: z.literal('copyCompleted'),
      recoveryPoint: z.string(),
      /** Where the forwarded Copy Job event arrives (default: the deployment's own bus). */
      bus: z.string().optional(),
    })
    .strict(),
  z
    .object({
      backup: z.literal('finishRestore'),
      /** Which restore job: the n-th started (1-based), default all running ones. */
      job: z.number().int().min(1).optional(),
      status: z.enum(['COMPLETED', 'FAILED', 'ABORTED']).default('COMPLETED'),
      statusMessage: z.string().optional(),
    })
    .strict(),
]);
export type Step = z.infer<typeof stepSchema>;

export const scenarioSchema = z
  .object({
    $schema: z.string().optional(),
    name: z.string().regex(/^[a-z0-9-]+$/),
    title: z.string(),
    description: z.string(),
    /** Functions (short names from serverless.yml) the scenario cannot run without. */
    requires: z.array(z.string()).default([]),
    world: z
      .object({
        drs: z
          .object({
            initialized: z.boolean().default(true),
            failLaunchOf: z.array(z.string()).default([]),
            sourceServers: z
              .array(
                z
                  .object({
                    id: z.string(),
                    hostname: z.string(),
                    tags: z.record(z.string(), z.string()).optional(),
                    originRegion: z.string().optional(),
                    originEnvironment: z.enum(['AWS', 'ON_PREMISES']).optional(),
                    state: replicationState.optional(),
                    lagDuration: z.string().optional(),
                    backloggedBytes: z.number().optional(),
                    snapshotAgeMinutes: z.number().optional(),
                  })
                  .strict(),
              )
              .default([]),
          })
          .strict()
          .optional(),
        backup: backupSeedSchema.optional(),
      })
      .strict()
      .default({}),
    steps: z.array(stepSchema).min(1),
    expect: z.array(expectationSchema).min(1),
  })
  .strict();
export type Scenario = z.infer<typeof scenarioSchema>;

export interface ExpectationResult {
  description: string;
  status: 'pass' | 'fail' | 'not-checked';
  detail: string;
}

export interface ScenarioReport {
  name: string;
  title: string;
  description: string;
  passed: boolean;
  /** Functions the scenario or some expectations needed that this deployment lacks. */
  missingFunctions: string[];
  expectations: ExpectationResult[];
  timeline: TimelineEntry[];
  snsMessages: SnsMessage[];
  readiness: ReadinessRow[];
  deployedFunctions: string[];
  durationMs: number;
}

export function listScenarios(dir = SCENARIO_DIR): Scenario[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => loadScenario(join(dir, file)));
}

export function loadScenario(path: string): Scenario {
  const parsed = scenarioSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`scenario ${path} is invalid: ${problems.join('; ')}`);
  }
  return parsed.data;
}

/** Functions a scenario (or one of its expectations) needs that the deployment lacks. */
export function missingFunctionsOf(scenario: Scenario, sim: Simulator): string[] {
  const needed = new Set([
    ...scenario.requires,
    ...scenario.expect.flatMap((expectation) => expectation.requires ?? []),
  ]);
  return [...needed].filter((name) => !sim.functionNamed(name)).sort();
}

/** Whether the deployment has every function the scenario itself requires. */
export function canRun(scenario: Scenario, sim: Simulator): boolean {
  return scenario.requires.every((name) => sim.functionNamed(name));
}

export async function runScenario(sim: Simulator, scenario: Scenario): Promise<ScenarioReport> {
  const started = performance.now();
  await sim.reset();
  seedWorld(sim, scenario);
  const missing = missingFunctionsOf(scenario, sim);
  if (!canRun(scenario, sim)) {
    return {
      name: scenario.name,
      title: scenario.title,
      description: scenario.description,
      passed: false,
      missingFunctions: missing,
      expectations: [
        {
          description: `needs ${scenario.requires.join(', ')}`,
          status: 'fail',
          detail: `not deployed: ${missing.join(', ')}`,
        },
      ],
      timeline: [],
      snsMessages: [],
      readiness: [],
      deployedFunctions: sim.deployment.functions.map((fn) => fn.shortName),
      durationMs: performance.now() - started,
    };
  }
  const operator = new DrsClient({
    endpoint: sim.endpoints.drs,
    region: sim.world.region,
    credentials: SIM_CREDENTIALS,
  });
  const checkpoints: ExpectationResult[] = [];
  try {
    for (const [index, step] of scenario.steps.entries()) {
      if ('check' in step) {
        const result = checkExpectation(sim, step.check, await readReadiness(sim));
        checkpoints.push({ ...result, description: `after step ${index + 1}: ${result.description}` });
        sim.world.record({
          kind: 'note',
          text: `${result.status === 'pass' ? '✔' : result.status === 'fail' ? '✘' : '·'} check: ${result.description}: ${result.detail}`,
        });
        continue;
      }
      await playStep(sim, scenario, step, operator);
      await sim.drain();
    }
  } finally {
    operator.destroy();
  }
  const readiness = await readReadiness(sim);
  // The scenario's expectations (at its end) first, then the checks made along the way, in step order.
  const expectations = [
    ...scenario.expect.map((expectation) => checkExpectation(sim, expectation, readiness)),
    ...checkpoints,
  ];
  return {
    name: scenario.name,
    title: scenario.title,
    description: scenario.description,
    passed: expectations.every((result) => result.status !== 'fail'),
    missingFunctions: missing,
    expectations,
    timeline: sim.world.timeline,
    snsMessages: sim.sns.messages,
    readiness,
    deployedFunctions: sim.deployment.functions.map((fn) => fn.shortName),
    durationMs: performance.now() - started,
  };
}

function seedWorld(sim: Simulator, scenario: Scenario): void {
  const drs = scenario.world.drs;
  if (drs) {
    sim.drs.initialized = drs.initialized;
    for (const server of drs.sourceServers) sim.drs.addSourceServer(server);
    for (const id of drs.failLaunchOf) sim.drs.failLaunchOf.add(id);
  }
  if (scenario.world.backup) sim.backup.seed(scenario.world.backup);
}

function serverIds(sim: Simulator, list: 'all' | string[]): string[] {
  return list === 'all' ? sim.drs.sourceServers.map((server) => server.sourceServerID ?? '') : list;
}

async function playStep(sim: Simulator, scenario: Scenario, step: Step, operator: DrsClient): Promise<void> {
  if ('say' in step) {
    sim.world.record({ kind: 'step', text: step.say });
    return;
  }
  if ('wait' in step) {
    const seconds = parseIsoDuration(step.wait);
    if (seconds === undefined)
      throw new Error(`scenario ${scenario.name}: "${step.wait}" is not an ISO-8601 duration`);
    advanceClock(seconds * 1000);
    sim.world.record({ kind: 'step', text: `⏱ ${formatSeconds(seconds)} pass` });
    return;
  }
  if ('drs' in step) {
    switch (step.drs) {
      case 'startRecovery': {
        const ids = serverIds(sim, step.sourceServers);
        sim.world.record({
          kind: 'step',
          text: `operator: StartRecovery${step.isDrill ? ' (drill)' : ''} of ${ids.join(', ')}`,
        });
        await operator.send(
          new StartRecoveryCommand({
            sourceServers: ids.map((sourceServerID) => ({ sourceServerID })),
            isDrill: step.isDrill,
          }),
        );
        return;
      }
      case 'changeReplication': {
        const { drs: _, sourceServers, ...change } = step;
        const ids = serverIds(sim, sourceServers);
        sim.world.record({
          kind: 'step',
          text: `replication of ${ids.join(', ')}: ${Object.entries(change)
            .map(([key, value]) => `${key} ${String(value)}`)
            .join(', ')}`,
        });
        for (const id of ids) sim.drs.changeReplication(id, change);
        return;
      }
      case 'loseOriginRegion': {
        const region = step.region ?? sim.world.primaryRegion;
        const lost = sim.drs.loseOriginRegion(region);
        sim.world.record({
          kind: 'step',
          text: `${region} is lost: the agents of ${lost.length ? lost.join(', ') : 'no source server'} are gone (DRS: DISCONNECTED, AGENT_NOT_SEEN; lag grows, no new snapshots)`,
        });
        return;
      }
      case 'progressReversedReplication': {
        const changed = sim.drs.progressReversedReplication(step.state);
        sim.world.record({
          kind: 'step',
          text: `reversed replication of ${changed} recovery instance(s) reaches ${step.state}`,
        });
        return;
      }
    }
  }
  if ('fault' in step) {
    sim.world.faults.push({ ...step.fault });
    sim.world.record({
      kind: 'step',
      text: `fault injected: the next ${step.fault.times} ${step.fault.service}:${step.fault.operation} call(s) fail with ${step.fault.error}${step.fault.retryAfterSeconds ? ` (Retry-After ${step.fault.retryAfterSeconds}s)` : ''}`,
    });
    return;
  }
  if ('redeliver' in step) {
    const original = [...sim.eventBridge.events]
      .reverse()
      .find(({ event }) => event['detail-type'] === step.redeliver.detailType);
    if (!original)
      throw new Error(`scenario ${scenario.name}: no "${step.redeliver.detailType}" event to redeliver`);
    for (let index = 0; index < step.redeliver.times; index++) {
      sim.world.record({
        kind: 'step',
        text:
          step.redeliver.as === 'same-id'
            ? `EventBridge delivers event ${original.event.id} again (at-least-once delivery)`
            : `the source emits "${step.redeliver.detailType}" again, as a new event`,
      });
      if (step.redeliver.as === 'same-id') sim.eventBridge.deliver(original.bus, original.event);
      else {
        const { id: _, time: __, version: ___, ...rest } = original.event;
        sim.eventBridge.put(original.bus, rest);
      }
    }
    return;
  }
  if ('schedule' in step) {
    if (!sim.functionNamed(step.schedule)) {
      sim.world.record({
        kind: 'note',
        text: `(${step.schedule} is not deployed: its scheduled run is skipped)`,
      });
      return;
    }
    for (let index = 0; index < step.times; index++) {
      const fired = sim.eventBridge.fireSchedule(step.schedule, step.input);
      if (fired === 0)
        throw new Error(`scenario ${scenario.name}: no scheduled rule targets ${step.schedule}`);
      await sim.drain();
    }
    return;
  }
  if ('event' in step) {
    sim.world.record({ kind: 'step', text: `an event arrives on ${step.bus}: ${step.event['detail-type']}` });
    sim.eventBridge.put(step.bus, {
      ...step.event,
      account: sim.world.account,
      region: sim.world.region,
    } as Omit<AwsEvent, 'id' | 'time' | 'version'>);
    return;
  }
  if ('backup' in step) {
    sim.world.record({
      kind: 'step',
      text:
        step.backup === 'copyCompleted'
          ? `AWS Backup: the copy of "${step.recoveryPoint}" lands in the DR vault`
          : `AWS Backup: restore job(s) finish ${step.status}${step.statusMessage ? ` (${step.statusMessage})` : ''}`,
    });
    await sim.backup.play(step);
    return;
  }
  throw new Error(`scenario ${scenario.name}: unknown step ${JSON.stringify(step)}`);
}

function inRange(
  actual: number,
  expectation: { count?: number | undefined; min?: number | undefined; max?: number | undefined },
) {
  if (expectation.count !== undefined)
    return { ok: actual === expectation.count, wanted: `${expectation.count}` };
  const min = expectation.min ?? (expectation.max === undefined ? 1 : 0);
  const ok = actual >= min && (expectation.max === undefined || actual <= expectation.max);
  return { ok, wanted: expectation.max === undefined ? `at least ${min}` : `${min} to ${expectation.max}` };
}

function counted(
  description: string,
  actual: number,
  expectation: Parameters<typeof inRange>[1],
  extra = '',
): ExpectationResult {
  const { ok, wanted } = inRange(actual, expectation);
  return {
    description,
    status: ok ? 'pass' : 'fail',
    detail: `${actual} (expected ${wanted})${extra ? `; ${extra}` : ''}`,
  };
}

/** Every field of `expected` is in `actual` with an equal value (deep, for objects). */
function contains(actual: unknown, expected: unknown): boolean {
  if (typeof expected !== 'object' || expected === null) return actual === expected;
  if (typeof actual !== 'object' || actual === null) return false;
  if (Array.isArray(expected)) {
    return (
      Array.isArray(actual) &&
      expected.length === actual.length &&
      expected.every((item, i) => contains(actual[i], item))
    );
  }
  return Object.entries(expected).every(([key, value]) =>
    contains((actual as Record<string, unknown>)[key], value),
  );
}

export function checkExpectation(
  sim: Simulator,
  expectation: Expectation,
  readiness: ReadinessRow[],
): ExpectationResult {
  const missing = (expectation.requires ?? []).filter((name) => !sim.functionNamed(name));
  const describe = describeExpectation(expectation);
  if (missing.length > 0) {
    return {
      description: describe,
      status: 'not-checked',
      detail: `needs ${missing.join(', ')}, not deployed yet`,
    };
  }
  if ('call' in expectation) {
    const [service, operation] = expectation.call.split(':') as [string, string];
    const calls = sim.world.calls.filter(
      (call) =>
        call.service === service && call.operation === operation && call.result === expectation.result,
    );
    return counted(describe, calls.length, expectation);
  }
  if ('outcome' in expectation) {
    const { function: fn, ...fields } = expectation.outcome;
    const matching = sim.eventBridge.invocations.filter(
      (invocation) => invocation.functionName === fn && invocation.ok && contains(invocation.outcome, fields),
    );
    return counted(describe, matching.length, expectation);
  }
  if ('invocationError' in expectation) {
    const matching = sim.eventBridge.invocations.filter(
      (invocation) =>
        invocation.functionName === expectation.invocationError.function &&
        !invocation.ok &&
        (expectation.invocationError.errorType === undefined ||
          invocation.error?.errorType === expectation.invocationError.errorType),
    );
    return counted(describe, matching.length, expectation);
  }
  if ('signal' in expectation) {
    const { detailType, state, summary } = expectation.signal;
    const matching = sim.eventBridge.events.filter(({ event }) => {
      if (event.source !== 'dr-autopilot' || event['detail-type'] !== detailType) return false;
      const detail = event.detail as { assessment?: { state?: string }; summary?: string };
      if (state !== undefined && detail.assessment?.state !== state) return false;
      return summary === undefined || new RegExp(summary).test(detail.summary ?? '');
    });
    return counted(describe, matching.length, expectation);
  }
  if ('sns' in expectation) {
    const { subject, body, attributes } = expectation.sns;
    const matching = sim.sns.messages.filter(
      (message) =>
        (subject === undefined || new RegExp(subject).test(message.subject ?? '')) &&
        (body === undefined || new RegExp(body).test(message.message)) &&
        Object.entries(attributes ?? {}).every(([name, value]) => message.attributes[name]?.value === value),
    );
    return counted(describe, matching.length, expectation, `${sim.sns.messages.length} message(s) in all`);
  }
  if ('deadLetters' in expectation) {
    const matching = sim.eventBridge.deadLetters.filter(
      (letter) => expectation.deadLetters.kind === undefined || letter.kind === expectation.deadLetters.kind,
    );
    return counted(describe, matching.length, expectation);
  }
  if ('drsState' in expectation) {
    const actual = {
      reversedServers: sim.drs.reversedServers.length,
      recoveryInstances: sim.drs.recoveryInstances.length,
      drillInstances: sim.drs.recoveryInstances.filter((instance) => instance.isDrill).length,
    };
    const wrong = Object.entries(expectation.drsState).filter(
      ([key, value]) => actual[key as keyof typeof actual] !== value,
    );
    return {
      description: describe,
      status: wrong.length === 0 ? 'pass' : 'fail',
      detail: Object.entries(expectation.drsState)
        .map(([key, value]) => `${key} ${actual[key as keyof typeof actual]} (expected ${value})`)
        .join(', '),
    };
  }
  const { kind, resource, workload, state } = expectation.readiness;
  const matching = readiness.filter(
    (row) =>
      row.state === state &&
      (kind === undefined || row.kind === kind) &&
      (resource === undefined || new RegExp(resource).test(row.resource)) &&
      (workload === undefined || row.workload === workload),
  );
  return counted(describe, matching.length, expectation, `${readiness.length} readiness row(s) in all`);
}

function describeExpectation(expectation: Expectation): string {
  const amount =
    'count' in expectation && expectation.count !== undefined
      ? `exactly ${expectation.count}`
      : 'min' in expectation || 'max' in expectation
        ? [
            'min' in expectation && expectation.min !== undefined ? `at least ${expectation.min}` : '',
            'max' in expectation && expectation.max !== undefined ? `at most ${expectation.max}` : '',
          ]
            .filter(Boolean)
            .join(' and ')
        : 'at least 1';
  const why = expectation.because ? ` — ${expectation.because}` : '';
  if ('call' in expectation)
    return `${amount} ${expectation.call} call(s) answered ${expectation.result}${why}`;
  if ('outcome' in expectation) {
    const { function: fn, ...fields } = expectation.outcome;
    return `${amount} ${fn} outcome(s) ${JSON.stringify(fields)}${why}`;
  }
  if ('invocationError' in expectation) {
    return `${amount} failed ${expectation.invocationError.function} invocation(s)${expectation.invocationError.errorType ? ` (${expectation.invocationError.errorType})` : ''}${why}`;
  }
  if ('signal' in expectation) {
    const { detailType, state, summary } = expectation.signal;
    return `${amount} "${detailType}" signal(s)${state ? ` assessing ${state}` : ''}${summary ? ` /${summary}/` : ''}${why}`;
  }
  if ('sns' in expectation)
    return `${amount} SNS message(s) matching ${JSON.stringify(expectation.sns)}${why}`;
  if ('deadLetters' in expectation) {
    return `${amount} dead letter(s)${expectation.deadLetters.kind ? ` in the ${expectation.deadLetters.kind}` : ''}${why}`;
  }
  if ('drsState' in expectation) return `DRS state ${JSON.stringify(expectation.drsState)}${why}`;
  return `${amount} readiness row(s) ${JSON.stringify(expectation.readiness)}${why}`;
}
