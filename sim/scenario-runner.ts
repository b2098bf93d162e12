import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DeleteRecoveryInstanceCommand,
  DeleteSourceServerCommand,
  DisconnectRecoveryInstanceCommand,
  DisconnectSourceServerCommand,
  DrsClient,
  ReverseReplicationCommand,
  StartRecoveryCommand,
  StopReplicationCommand,
  TerminateRecoveryInstancesCommand,
} from '@aws-sdk/client-drs';
import { z } from 'zod';
import { runCleanup } from '../scripts/cleanup.ts';
import { UsageError } from '../scripts/cli-env.ts';
import { runFailback } from '../scripts/failback.ts';
import { createDynamoDbEvidenceLedger } from '../src/adapters/evidence-ledger.ts';
import { formatSeconds, parseIsoDuration } from '../src/domain/duration.ts';
import type { EvidenceRecord } from '../src/domain/evidence.ts';
import { TAG } from '../src/domain/restore-ownership.ts';
import { backupSeedSchema } from './backup.ts';
import type { AwsEvent, DrsSim } from './drs.ts';
import type { Invocation } from './eventbridge.ts';
import { validatorSeedSchema } from './lambda-api.ts';
import { type ReadinessRow, readReadiness } from './readiness.ts';
import { SIM_CREDENTIALS, type SimRegion, type Simulator } from './simulator.ts';
import type { SnsMessage } from './sns.ts';
import { SIM_PRIMARY_REGION, SIM_RECOVERY_REGION, type TimelineEntry } from './world.ts';

/**
 * Scenarios are data (sim/scenarios/*.json): the world to start from, the steps that happen (an operator's DRS
 * actions, replication weather, a lost Region, injected faults, duplicate deliveries, scheduled sweeps, backup
 * jobs), and the outcomes to expect. The runner plays the steps on the simulated Region pair — after each one,
 * every event is delivered and every function invocation (with Lambda's retries) runs to the end, in both
 * Regions, and CloudWatch evaluates the alarms due by then (a `wait` runs those due meanwhile, each at its
 * minute) — lets time run on after the last step while an alarm would still change state on what the queues hold,
 * then checks each expectation and reports.
 *
 * Regions: wherever a step or an expectation takes `region`, it is `"primary"`, `"recovery"` or a Region name of
 * the pair (`"us-east-1"`, `"us-west-2"`). Unless said otherwise a step acts in, and an expectation reads, the
 * recovery Region, as before the simulator had two Regions; `call` expectations count calls to either Region
 * unless `region` narrows them; `schedule` fires the recovery Region's rules unless `region` says `"primary"` or
 * `"both"`.
 *
 * Source server lists (`sourceServers`): `"all"` = every FAILOVER-direction source server in the step's Region
 * (the ones a scenario seeds), `"failback"` = every FAILBACK-direction one there (the A2s that reversing created
 * in the primary Region), or a list of IDs.
 */

export const SCENARIO_DIR = new URL('./scenarios/', import.meta.url).pathname;

const count = {
  count: z.number().int().min(0).optional(),
  min: z.number().int().min(0).optional(),
  max: z.number().int().min(0).optional(),
};
const requires = { requires: z.array(z.string()).optional(), because: z.string().optional() };
const serverList = z.union([z.literal('all'), z.literal('failback'), z.array(z.string()).min(1)]);
const textMatch = z.string().describe('a regular expression');
/** A Region of the pair: `primary`, `recovery`, or its name. */
const regionRef = z.enum(['primary', 'recovery', SIM_PRIMARY_REGION, SIM_RECOVERY_REGION]);
type RegionRef = z.infer<typeof regionRef>;
/** Where an expectation looks: one Region, or `any` (both). */
const expectationRegion = {
  region: z.enum([...regionRef.options, 'any']).optional(),
};
const isoDuration = z.string().regex(/^P/, 'an ISO-8601 duration (PT20M)');

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
  /** DRS, Backup, EventBridge, SNS… calls (`service:Operation`) answered `result`; any Region unless `region`. */
  z
    .object({
      call: z.string().regex(/^[a-z0-9]+:[A-Za-z][A-Za-z0-9]*$/),
      result: z.string().default('ok'),
      /**
       * `true`: count only calls whose change was made although `result` is an error (a fault after apply);
       * `false`: only the others. Absent: both.
       */
      applied: z.boolean().optional(),
      ...expectationRegion,
      ...count,
      ...requires,
    })
    .strict(),
  z
    .object({
      outcome: z.record(z.string(), z.unknown()).and(z.object({ function: z.string() })),
      ...expectationRegion,
      ...count,
      ...requires,
    })
    .strict(),
  z
    .object({
      invocationError: z.object({ function: z.string(), errorType: z.string().optional() }).strict(),
      ...expectationRegion,
      ...count,
      ...requires,
    })
    .strict(),
  z
    .object({
      signal: z
        .object({ detailType: z.string(), state: z.string().optional(), summary: textMatch.optional() })
        .strict(),
      ...expectationRegion,
      ...count,
      ...requires,
    })
    .strict(),
  /**
   * SNS messages of one Region (default the recovery Region's): `topic` is the topic's logical id in the template
   * (`ReadinessTopic`) or its name; `body` a regular expression over the message as published; `json` fields the
   * JSON document a Lambda, SQS or HTTPS subscriber receives must contain (deep, as `outcome`); `attributes` the
   * message attributes it must have, `noAttributes` none at all.
   */
  z
    .object({
      sns: z
        .object({
          topic: z.string().optional(),
          subject: textMatch.optional(),
          body: textMatch.optional(),
          json: z.record(z.string(), z.unknown()).optional(),
          attributes: z.record(z.string(), z.string()).optional(),
          noAttributes: z.literal(true).optional(),
        })
        .strict(),
      ...expectationRegion,
      ...count,
      ...requires,
    })
    .strict(),
  /**
   * Events put on a bus (default: the default bus) of one Region, AWS's included: `resources` a regular expression
   * one of the event's resources matches, `detail` fields it must contain (deep, as `outcome`).
   */
  z
    .object({
      event: z
        .object({
          source: z.string(),
          detailType: z.string(),
          bus: z.string().default('default'),
          resources: textMatch.optional(),
          detail: z.record(z.string(), z.unknown()).optional(),
        })
        .strict(),
      ...expectationRegion,
      ...count,
      ...requires,
    })
    .strict(),
  z
    .object({
      deadLetters: z
        .object({ kind: z.enum(['rule-dead-letter-queue', 'lambda-on-failure-destination']).optional() })
        .strict(),
      ...expectationRegion,
      ...count,
      ...requires,
    })
    .strict(),
  /** Counts of one Region's DRS state (default the recovery Region's); see {@link drsCounts}. */
  z
    .object({
      drsState: z
        .object({
          reversedServers: z.number().int().optional(),
          recoveryInstances: z.number().int().optional(),
          drillInstances: z.number().int().optional(),
          terminatingInstances: z.number().int().optional(),
          sourceServers: z.number().int().optional(),
          failoverServers: z.number().int().optional(),
          failbackServers: z.number().int().optional(),
          launchJobs: z.number().int().optional(),
          terminateJobs: z.number().int().optional(),
        })
        .strict(),
      region: regionRef.optional(),
      ...requires,
    })
    .strict(),
  /**
   * What one Region's EC2 holds (default the recovery Region's): `tagged` counts instances (not terminated),
   * volumes, snapshots and AMIs carrying dr-autopilot's restore-job tag: what a restore test left behind.
   */
  z
    .object({
      ec2State: z.object({ tagged: z.number().int().min(0) }).strict(),
      region: regionRef.optional(),
      ...requires,
    })
    .strict(),
  /**
   * What one Region's S3 holds (default the recovery Region's): `tagged` counts buckets carrying dr-autopilot's
   * restore-job tag, whatever they still hold: what a restore test left behind.
   */
  z
    .object({
      s3State: z.object({ tagged: z.number().int().min(0) }).strict(),
      region: regionRef.optional(),
      ...requires,
    })
    .strict(),
  /** Records of the evidence ledger (both Regions' tables, unless a Region is named). */
  z
    .object({
      evidence: z
        .object({
          kind: z.string().optional(),
          result: z.enum(['succeeded', 'failed', 'not-done', 'observed']).optional(),
          workload: z.string().optional(),
          trigger: z.enum(['event', 'schedule', 'person', 'reconciler']).optional(),
          summary: textMatch.optional(),
          /** A measured RTO (launch or restore time) is recorded, against a target. */
          measured: z.literal(true).optional(),
          /** Count distinct subjects (resources) among the matching records, not records. */
          distinct: z.literal('subject').optional(),
        })
        .strict(),
      ...expectationRegion,
      ...count,
      ...requires,
    })
    .strict(),
  /** Rows of one Region's readiness table (default the recovery Region's). */
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
      region: regionRef.optional(),
      ...count,
      ...requires,
    })
    .strict(),
]);
export type Expectation = z.infer<typeof expectationSchema>;

/** Recovery instances an operator step acts on, in the step's Region. */
const instanceSelection = {
  region: regionRef.optional(),
  /** Every drill instance in the Region (not already terminating). */
  drills: z.literal(true).optional(),
  /** The recovery instances launched from these source servers (not already terminating). */
  sourceServers: serverList.optional(),
};

const stepSchema = z.union([
  z.object({ say: z.string() }).strict(),
  /**
   * A person runs one of dr-autopilot's command-line tools, as the README says, against one Region's stack
   * (default: the primary Region's for `failback`, whose deployment re-protects; the recovery Region's for
   * `cleanup`, whose deployment tracks the lifecycle). The output goes to the timeline; another exit code than
   * `exitCode` fails the scenario.
   */
  z
    .object({
      cli: z.enum(['failback', 'cleanup']),
      args: z.array(z.string()).default([]),
      region: regionRef.optional(),
      exitCode: z.number().int().min(0).default(0),
    })
    .strict(),
  /** Time passes (ISO-8601 duration): the simulated clock moves forward. */
  z.object({ wait: isoDuration }).strict(),
  /**
   * Operator: StartRecovery in `region` (default recovery) of the listed source servers; `"failback"` there is
   * a launch for failback (in the primary Region, of the A2s). A drill when `isDrill`.
   */
  z
    .object({
      drs: z.literal('startRecovery'),
      sourceServers: serverList,
      isDrill: z.boolean().default(false),
      region: regionRef.optional(),
    })
    .strict(),
  /** Replication weather of source servers in `region` (default recovery). */
  z
    .object({
      drs: z.literal('changeReplication'),
      sourceServers: serverList,
      region: regionRef.optional(),
      state: replicationState.optional(),
      lagDuration: z.string().optional(),
      backloggedBytes: z.number().optional(),
      snapshotAgeMinutes: z.number().optional(),
      error: z.string().optional(),
    })
    .strict(),
  z
    .object({
      /**
       * `region` (default primary) is lost: the other Region's source servers replicating from it turn
       * DISCONNECTED, their lag grows and no more snapshots are taken; requests signed for it fail (connection
       * error) and its scheduled rules do not fire.
       */
      drs: z.literal('loseOriginRegion'),
      region: regionRef.optional(),
    })
    .strict(),
  z
    .object({
      /**
       * `region` (default primary) is back: its APIs answer again. Failed-over servers stay as they are until
       * failback; the others reconnect (RESCAN).
       */
      drs: z.literal('restoreOriginRegion'),
      region: regionRef.optional(),
    })
    .strict(),
  z
    .object({
      /**
       * The reversed replications of `region`'s recovery instances (default recovery: B2s and their A2s; in the
       * primary Region, re-protections: A3s and B1) reach `state`. `lagDuration` (default PT10S) is reported on
       * CONTINUOUS; the recovery instance writes it as a duration or, `lagForm: "datetime"`, as a date-time.
       */
      drs: z.literal('progressReversedReplication'),
      state: z.enum([...replicationState.options, 'NOT_STARTED', 'REPLICATION_STATE_NOT_AVAILABLE']),
      region: regionRef.optional(),
      lagDuration: isoDuration.optional(),
      lagForm: z.enum(['duration', 'datetime']).optional(),
    })
    .strict(),
  /** Operator: ReverseReplication of the recovery instances launched from `sourceServers` in `region`. */
  z
    .object({
      drs: z.literal('reverseReplication'),
      region: regionRef.optional(),
      sourceServers: serverList,
      /** Only drill (true) or only non-drill (false) instances; default both. */
      isDrill: z.boolean().optional(),
    })
    .strict(),
  /** Operator: TerminateRecoveryInstances (one call) of the selected instances (`drills` or `sourceServers`). */
  z.object({ drs: z.literal('terminateRecoveryInstances'), ...instanceSelection }).strict(),
  /** Operator: DisconnectRecoveryInstance / DeleteRecoveryInstance of each selected instance. */
  z
    .object({
      drs: z.enum(['disconnectRecoveryInstance', 'deleteRecoveryInstance']),
      ...instanceSelection,
    })
    .strict(),
  /** Operator: StopReplication / DisconnectSourceServer / DeleteSourceServer of each listed source server. */
  z
    .object({
      drs: z.enum(['stopReplication', 'disconnectSourceServer', 'deleteSourceServer']),
      region: regionRef.optional(),
      sourceServers: serverList,
    })
    .strict(),
  z
    .object({
      fault: z
        .object({
          service: z.enum(['drs', 'backup', 'eventbridge', 'sns', 'ec2', 's3']),
          operation: z.string(),
          error: z.string(),
          times: z.number().int().min(1),
          retryAfterSeconds: z.string().optional(),
          message: z.string().optional(),
          /** Only calls to this Region fail (default: either Region's). */
          region: regionRef.optional(),
          /**
           * The service performs the operation, then answers the error (the answer is lost after the change):
           * honoured by DRS, Backup, EventBridge PutEvents and SNS Publish/PublishBatch.
           */
          afterApply: z.boolean().optional(),
        })
        .strict()
        .refine(
          (fault) => !fault.afterApply || ['drs', 'backup', 'eventbridge', 'sns'].includes(fault.service),
          {
            message: 'afterApply is simulated for drs, backup, eventbridge and sns faults only',
            path: ['afterApply'],
          },
        ),
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
      /** The Region whose last such event is delivered again (default recovery). */
      region: regionRef.optional(),
    })
    .strict(),
  /**
   * EventBridge of `region` (default recovery) loses the next `times` events of `detailType`: emitted, never
   * delivered (AWS service events are best effort). What the reconciler is for.
   */
  z
    .object({
      lose: z.object({ detailType: z.string(), times: z.number().int().min(1).default(1) }).strict(),
      region: regionRef.optional(),
    })
    .strict(),
  z
    .object({
      schedule: z.string(),
      /** Only the scheduled rules whose constant input has these fields (e.g. `{"task": "sweep"}`). */
      input: z.record(z.string(), z.unknown()).optional(),
      times: z.number().int().min(1).default(1),
      /** Whose scheduled rules fire: one Region (default recovery) or `both` (primary first). */
      region: z.enum([...regionRef.options, 'both']).optional(),
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
      /** The Region whose bus it arrives on (default recovery); the event's `region` field says it. */
      region: regionRef.optional(),
    })
    .strict(),
  /** An expectation checked at this point of the scenario (on what happened so far, and readiness now). */
  z.object({ check: expectationSchema }).strict(),
  z
    .object({
      backup: z.literal('copyCompleted'),
      recoveryPoint: z.string(),
      /**
       * Where the Copy Job event arrives. Default: it is emitted in the primary Region (the copy's source),
       * whose forwarding rule sends it to the recovery Region's dr-autopilot bus. A bus name puts it directly on
       * that bus of the recovery Region.
       */
      bus: z.string().optional(),
    })
    .strict(),
  /** A restore testing plan of AWS Backup (not dr-autopilot) starts a restore job of a recovery point. */
  z
    .object({
      backup: z.literal('restoreTest'),
      recoveryPoint: z.string(),
      plan: z
        .string()
        .regex(/^[A-Za-z0-9_]+$/)
        .default('weekly_restore_test'),
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
    /**
     * Variables some functions (short names) get beyond their template's, in both Regions, as a deployment with
     * other stage parameters would (`{"failbackLifecycle": {"TERMINATE_DRILL_INSTANCES": "true"}}`); they hold
     * until the next scenario starts.
     */
    environment: z.record(z.string(), z.record(z.string(), z.string())).default({}),
    world: z
      .object({
        drs: z
          .object({
            /** DRS initialised in the recovery Region (false: every call there is UninitializedAccount). */
            initialized: z.boolean().default(true),
            failLaunchOf: z.array(z.string()).default([]),
            /**
             * ReverseReplication of every recovery instance launched (either Region) answers ConflictException
             * until this much simulated time after its launch (its agent is starting).
             */
            reversalConflictFor: isoDuration.optional(),
            /** … and/or for its first N calls. */
            reversalConflictCalls: z.number().int().min(1).optional(),
            /** How long a terminated recovery instance stays SHUTTING-DOWN before it is gone (default PT5M). */
            terminationTakes: isoDuration.optional(),
            sourceServers: z
              .array(
                z
                  .object({
                    id: z.string(),
                    hostname: z.string(),
                    tags: z.record(z.string(), z.string()).optional(),
                    /** The Region whose DRS it is in (default recovery). */
                    region: regionRef.optional(),
                    /** Where it replicates from (default the other Region of the pair). */
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
        /** Workloads' own restore validators (Lambda functions) and what each answers when invoked. */
        validators: z.array(validatorSeedSchema).optional(),
        ec2: z
          .object({
            /** How long a terminated EC2 instance stays shutting-down, its volumes attached (default PT1M). */
            terminationTakes: isoDuration.optional(),
          })
          .strict()
          .optional(),
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

/** What one Region left at the end of a scenario. */
export interface RegionReport {
  role: 'primary' | 'recovery';
  snsMessages: SnsMessage[];
  readiness: ReadinessRow[];
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
  /** The recovery Region's SNS messages (on-call's). */
  snsMessages: SnsMessage[];
  /** The recovery Region's readiness table. */
  readiness: ReadinessRow[];
  /** Each Region's SNS messages and readiness table, by Region name (timeline `sns` entries index these). */
  regions: Record<string, RegionReport>;
  /** The evidence ledger of both Regions at the end of the scenario (what `npm run report` would read). */
  evidence: EvidenceRecord[];
  deployedFunctions: string[];
  durationMs: number;
  /** Steps that could not be played (only with {@link RunOptions.lenient}). */
  stepErrors?: string[] | undefined;
}

export function listScenarios(dir = SCENARIO_DIR): Scenario[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => loadScenario(join(dir, file)));
}

export function loadScenario(path: string): Scenario {
  return parseScenario(JSON.parse(readFileSync(path, 'utf8')), path);
}

/** A scenario from its JSON form (checked against the schema); `origin` names it in errors. */
export function parseScenario(json: unknown, origin = 'scenario'): Scenario {
  const parsed = scenarioSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`scenario ${origin} is invalid: ${problems.join('; ')}`);
  }
  return parsed.data;
}

/** Functions a scenario (or one of its expectations) needs that the (recovery Region's) deployment lacks. */
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

/** Readiness rows of each Region, by Region name. */
export type ReadinessByRegion = ReadonlyMap<string, ReadinessRow[]>;

async function readAllReadiness(sim: Simulator): Promise<Map<string, ReadinessRow[]>> {
  const rows = new Map<string, ReadinessRow[]>();
  for (const region of sim.regions.keys()) rows.set(region, await readReadiness(sim, region));
  return rows;
}

export type EvidenceByRegion = ReadonlyMap<string, EvidenceRecord[]>;

/** Each Region's evidence ledger, read as `npm run report` reads it (the real adapter, a full scan). */
async function readAllEvidence(sim: Simulator): Promise<Map<string, EvidenceRecord[]>> {
  const records = new Map<string, EvidenceRecord[]>();
  for (const region of sim.regions.values()) {
    const tableName = region.tableNamed('EvidenceTable');
    if (!tableName) continue;
    const ledger = createDynamoDbEvidenceLedger({ client: region.dynamodb, tableName, retentionSeconds: 0 });
    records.set(region.name, await ledger.list({ since: '1970-01-01T00:00:00.000Z' }));
  }
  return records;
}

function regionReports(sim: Simulator, readiness: ReadinessByRegion): Record<string, RegionReport> {
  return Object.fromEntries(
    [...sim.regions.values()].map((region) => [
      region.name,
      { role: region.role, snsMessages: region.sns.messages, readiness: readiness.get(region.name) ?? [] },
    ]),
  );
}

/** The operator's DRS clients, one per Region (each signs for its Region, so the endpoint routes there). */
class Operator {
  private readonly clients = new Map<string, DrsClient>();

  constructor(private readonly sim: Simulator) {}

  client(region: string): DrsClient {
    let client = this.clients.get(region);
    if (!client) {
      client = new DrsClient({ endpoint: this.sim.endpoints.drs, region, credentials: SIM_CREDENTIALS });
      this.clients.set(region, client);
    }
    return client;
  }

  destroy(): void {
    for (const client of this.clients.values()) client.destroy();
  }
}

export interface RunOptions {
  /**
   * A step that cannot be played as written (a CLI exiting otherwise than expected, no event left to redeliver,
   * a delivery loop) is noted on the timeline and in `stepErrors`, and the scenario goes on: for the fault-rate
   * suite, under which the world no longer follows the script. Default: such a step fails the run (throws).
   */
  lenient?: boolean | undefined;
}

/** Gives each function the scenario's variables (see `environment`), and every other one its template's again. */
async function configureFunctions(
  sim: Simulator,
  environment: Readonly<Record<string, Readonly<Record<string, string>>>>,
): Promise<void> {
  for (const region of sim.regions.values()) {
    const configured = new Set(region.lambda.configured());
    for (const fn of region.lambda.functions) {
      const variables = environment[fn.shortName] ?? {};
      if (configured.has(fn.logicalId) || Object.keys(variables).length > 0)
        await region.lambda.configure(fn.logicalId, variables);
    }
  }
}

export async function runScenario(
  sim: Simulator,
  scenario: Scenario,
  options: RunOptions = {},
): Promise<ScenarioReport> {
  const started = performance.now();
  await sim.reset();
  seedWorld(sim, scenario);
  await configureFunctions(sim, scenario.environment);
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
      regions: {},
      evidence: [],
      deployedFunctions: sim.deployment.functions.map((fn) => fn.shortName),
      durationMs: performance.now() - started,
    };
  }
  const operator = new Operator(sim);
  const checkpoints: ExpectationResult[] = [];
  const stepErrors: string[] = [];
  try {
    for (const [index, step] of scenario.steps.entries()) {
      if ('check' in step) {
        const result = checkExpectation(
          sim,
          step.check,
          await readAllReadiness(sim),
          await readAllEvidence(sim),
        );
        checkpoints.push({ ...result, description: `after step ${index + 1}: ${result.description}` });
        sim.world.record({
          kind: 'note',
          text: `${result.status === 'pass' ? '✔' : result.status === 'fail' ? '✘' : '·'} check: ${result.description}: ${result.detail}`,
        });
        continue;
      }
      try {
        await playStep(sim, scenario, step, operator);
        await sim.drain();
        await sim.evaluateAlarms();
      } catch (error) {
        if (!options.lenient) throw error;
        const text = `step ${index + 1} could not be played: ${(error as Error).message}`;
        stepErrors.push(text);
        sim.world.record({ kind: 'note', text });
      }
    }
    // What the steps left in the queues is seen by CloudWatch a minute or two later: time runs on until every
    // alarm evaluation that would change a state on it is done.
    await sim.settleAlarms((ms) =>
      sim.world.record({
        kind: 'step',
        text: `⏱ ${formatSeconds(Math.ceil(ms / 1000))} pass (the scenario is over; CloudWatch evaluates its alarms)`,
      }),
    );
  } finally {
    operator.destroy();
  }
  const readiness = await readAllReadiness(sim);
  const evidence = await readAllEvidence(sim);
  // The scenario's expectations (at its end) first, then the checks made along the way, in step order.
  const expectations = [
    ...scenario.expect.map((expectation) => checkExpectation(sim, expectation, readiness, evidence)),
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
    readiness: readiness.get(sim.world.recoveryRegion) ?? [],
    regions: regionReports(sim, readiness),
    evidence: [...evidence.values()].flat(),
    deployedFunctions: sim.deployment.functions.map((fn) => fn.shortName),
    durationMs: performance.now() - started,
    ...(stepErrors.length > 0 ? { stepErrors } : {}),
  };
}

function seedWorld(sim: Simulator, scenario: Scenario): void {
  const drs = scenario.world.drs;
  if (drs) {
    sim.drs.initialized = drs.initialized;
    for (const { region, ...server } of drs.sourceServers)
      sim.region(region ?? 'recovery').drs.addSourceServer(server);
    const conflict =
      drs.reversalConflictFor !== undefined || drs.reversalConflictCalls !== undefined
        ? { seconds: durationSeconds(drs.reversalConflictFor), calls: drs.reversalConflictCalls }
        : undefined;
    for (const region of sim.regions.values()) {
      for (const id of drs.failLaunchOf) region.drs.failLaunchOf.add(id);
      region.drs.reversalConflict = conflict;
      if (drs.terminationTakes !== undefined)
        region.drs.terminationSeconds = durationSeconds(drs.terminationTakes) ?? 300;
    }
  }
  if (scenario.world.backup) {
    sim.backup.seed(scenario.world.backup);
    // An EC2 recovery point is a backup AMI in the DR vault's Region, carrying the tags AWS Backup copied from
    // the instance (its only tags: AWS Backup's ListTags does not answer for it).
    for (const stored of sim.backup.recoveryPoints) {
      const arn = stored.point.RecoveryPointArn ?? '';
      if (stored.point.ResourceType !== 'EC2' || !arn.includes(':image/')) continue;
      sim.ec2.registerImage({
        region: sim.world.recoveryRegion,
        id: arn.slice(arn.lastIndexOf('/') + 1),
        name: `AwsBackup_${stored.seedId}`,
        createdAt: stored.point.CreationDate ?? new Date(),
        devices: stored.devices,
        tags: stored.tags,
      });
    }
  }
  if (scenario.world.validators) sim.lambdaApi.seed(scenario.world.validators);
  const termination = durationSeconds(scenario.world.ec2?.terminationTakes);
  if (termination !== undefined) sim.ec2.terminationSeconds = termination;
}

function durationSeconds(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const seconds = parseIsoDuration(text);
  if (seconds === undefined) throw new Error(`"${text}" is not an ISO-8601 duration`);
  return seconds;
}

/** The source servers a step names, in one Region (see the module comment for `all` and `failback`). */
function serverIds(drs: DrsSim, list: 'all' | 'failback' | string[]): string[] {
  if (Array.isArray(list)) return list;
  const direction = list === 'all' ? 'FAILOVER' : 'FAILBACK';
  return drs.sourceServers
    .filter((server) => server.replicationDirection === direction)
    .map((server) => server.sourceServerID ?? '');
}

/** The recovery instances an operator step selects (never those already terminating). */
function instanceIds(
  drs: DrsSim,
  selection: { drills?: true | undefined; sourceServers?: 'all' | 'failback' | string[] | undefined },
  isDrill?: boolean,
): string[] {
  if ((selection.drills === undefined) === (selection.sourceServers === undefined)) {
    throw new Error('select recovery instances with either "drills": true or "sourceServers"');
  }
  drs.settle();
  const servers = selection.sourceServers === undefined ? undefined : serverIds(drs, selection.sourceServers);
  return drs.recoveryInstances
    .filter((instance) => !drs.isTerminating(instance.recoveryInstanceID ?? ''))
    .filter((instance) => (selection.drills ? instance.isDrill === true : true))
    .filter((instance) => servers === undefined || servers.includes(instance.sourceServerID ?? ''))
    .filter((instance) => isDrill === undefined || (instance.isDrill === true) === isDrill)
    .map((instance) => instance.recoveryInstanceID ?? '');
}

/** One operator call: its failure is recorded on the timeline (and in the calls), not thrown. */
async function operatorCall(
  sim: Simulator,
  region: string,
  description: string,
  call: () => Promise<unknown>,
) {
  try {
    await call();
  } catch (error) {
    const { name, message } = error as Error;
    sim.world.record({ kind: 'note', text: `operator's ${description} failed: ${name}: ${message}`, region });
  }
}

const OPERATOR_SERVER_CALLS = {
  stopReplication: { label: 'StopReplication', command: StopReplicationCommand },
  disconnectSourceServer: { label: 'DisconnectSourceServer', command: DisconnectSourceServerCommand },
  deleteSourceServer: { label: 'DeleteSourceServer', command: DeleteSourceServerCommand },
} as const;

const OPERATOR_INSTANCE_CALLS = {
  disconnectRecoveryInstance: {
    label: 'DisconnectRecoveryInstance',
    command: DisconnectRecoveryInstanceCommand,
  },
  deleteRecoveryInstance: { label: 'DeleteRecoveryInstance', command: DeleteRecoveryInstanceCommand },
} as const;

async function playDrsStep(
  sim: Simulator,
  step: Extract<Step, { drs: string }>,
  operator: Operator,
): Promise<void> {
  const defaultRegion: RegionRef =
    step.drs === 'loseOriginRegion' || step.drs === 'restoreOriginRegion' ? 'primary' : 'recovery';
  const where = sim.region(step.region ?? defaultRegion);
  const region = where.name;
  const say = (text: string) => sim.world.record({ kind: 'step', text, region });
  switch (step.drs) {
    case 'startRecovery': {
      const ids = serverIds(where.drs, step.sourceServers);
      say(
        `operator: StartRecovery${step.isDrill ? ' (drill)' : ''} of ${ids.join(', ') || 'no source server'}`,
      );
      if (ids.length === 0) return;
      await operatorCall(sim, region, 'StartRecovery', () =>
        operator.client(region).send(
          new StartRecoveryCommand({
            sourceServers: ids.map((sourceServerID) => ({ sourceServerID })),
            isDrill: step.isDrill,
          }),
        ),
      );
      return;
    }
    case 'changeReplication': {
      const { drs: _, sourceServers, region: __, ...change } = step;
      const ids = serverIds(where.drs, sourceServers);
      say(
        `replication of ${ids.join(', ')}: ${Object.entries(change)
          .map(([key, value]) => `${key} ${String(value)}`)
          .join(', ')}`,
      );
      for (const id of ids) where.drs.changeReplication(id, change);
      return;
    }
    case 'loseOriginRegion': {
      const lost = sim.loseRegion(region);
      say(
        `${region} is lost: the agents of ${lost.length ? lost.join(', ') : 'no source server'} are gone (DRS: DISCONNECTED, AGENT_NOT_SEEN; lag grows, no new snapshots); ${region}'s APIs do not answer`,
      );
      return;
    }
    case 'restoreOriginRegion': {
      const { reconnected, failedOver } = sim.restoreRegion(region);
      say(
        `${region} is back: its APIs answer again${reconnected.length ? `; the agents of ${reconnected.join(', ')} reconnect (RESCAN)` : ''}${failedOver.length ? `; ${failedOver.join(', ')} stay failed over until failback` : ''}`,
      );
      return;
    }
    case 'progressReversedReplication': {
      const changed = where.drs.progressReversedReplication(step.state, step.lagDuration, {
        lagForm: step.lagForm,
      });
      say(`reversed replication of ${changed} recovery instance(s) reaches ${step.state}`);
      return;
    }
    case 'reverseReplication': {
      where.drs.settle();
      const servers = serverIds(where.drs, step.sourceServers);
      const ids = where.drs.recoveryInstances
        .filter((instance) => servers.includes(instance.sourceServerID ?? ''))
        .filter((instance) => !where.drs.isTerminating(instance.recoveryInstanceID ?? ''))
        .filter((instance) => step.isDrill === undefined || (instance.isDrill === true) === step.isDrill)
        .map((instance) => instance.recoveryInstanceID ?? '');
      say(`operator: ReverseReplication of ${ids.join(', ') || 'no recovery instance'}`);
      for (const recoveryInstanceID of ids) {
        await operatorCall(sim, region, `ReverseReplication(${recoveryInstanceID})`, () =>
          operator.client(region).send(new ReverseReplicationCommand({ recoveryInstanceID })),
        );
      }
      return;
    }
    case 'terminateRecoveryInstances': {
      const ids = instanceIds(where.drs, step);
      say(`operator: TerminateRecoveryInstances of ${ids.join(', ') || 'no recovery instance'}`);
      if (ids.length === 0) return;
      await operatorCall(sim, region, 'TerminateRecoveryInstances', () =>
        operator.client(region).send(new TerminateRecoveryInstancesCommand({ recoveryInstanceIDs: ids })),
      );
      return;
    }
    case 'disconnectRecoveryInstance':
    case 'deleteRecoveryInstance': {
      const { label, command: Command } = OPERATOR_INSTANCE_CALLS[step.drs];
      const ids = instanceIds(where.drs, step);
      say(`operator: ${label} of ${ids.join(', ') || 'no recovery instance'}`);
      for (const recoveryInstanceID of ids) {
        await operatorCall(sim, region, `${label}(${recoveryInstanceID})`, () =>
          operator.client(region).send(new Command({ recoveryInstanceID })),
        );
      }
      return;
    }
    case 'stopReplication':
    case 'disconnectSourceServer':
    case 'deleteSourceServer': {
      const { label, command: Command } = OPERATOR_SERVER_CALLS[step.drs];
      const ids = serverIds(where.drs, step.sourceServers);
      say(`operator: ${label} of ${ids.join(', ') || 'no source server'}`);
      for (const sourceServerID of ids) {
        await operatorCall(sim, region, `${label}(${sourceServerID})`, () =>
          operator.client(region).send(new Command({ sourceServerID })),
        );
      }
      return;
    }
  }
}

async function playStep(sim: Simulator, scenario: Scenario, step: Step, operator: Operator): Promise<void> {
  if ('cli' in step) {
    await runCli(sim, scenario, step);
    return;
  }
  if ('say' in step) {
    sim.world.record({ kind: 'step', text: step.say });
    return;
  }
  if ('wait' in step) {
    const seconds = parseIsoDuration(step.wait);
    if (seconds === undefined)
      throw new Error(`scenario ${scenario.name}: "${step.wait}" is not an ISO-8601 duration`);
    sim.world.record({ kind: 'step', text: `⏱ ${formatSeconds(seconds)} pass` });
    await sim.passTime(seconds * 1000);
    sim.drsService.settle();
    return;
  }
  if ('drs' in step) {
    await playDrsStep(sim, step, operator);
    return;
  }
  if ('fault' in step) {
    const { region, ...fault } = step.fault;
    const name = region === undefined ? undefined : sim.region(region).name;
    sim.world.faults.push({ ...fault, region: name });
    sim.world.record({
      kind: 'step',
      text: `fault injected: the next ${fault.times} ${fault.service}:${fault.operation} call(s)${name ? ` in ${name}` : ''} ${fault.afterApply ? 'are applied, then answered' : 'fail with'} ${fault.error}${fault.retryAfterSeconds ? ` (Retry-After ${fault.retryAfterSeconds}s)` : ''}`,
    });
    return;
  }
  if ('redeliver' in step) {
    const where = sim.region(step.region ?? 'recovery');
    const original = [...where.eventBridge.events]
      .reverse()
      .find(({ event }) => event['detail-type'] === step.redeliver.detailType);
    if (!original)
      throw new Error(
        `scenario ${scenario.name}: no "${step.redeliver.detailType}" event to redeliver in ${where.name}`,
      );
    for (let index = 0; index < step.redeliver.times; index++) {
      sim.world.record({
        kind: 'step',
        text:
          step.redeliver.as === 'same-id'
            ? `EventBridge delivers event ${original.event.id} again (at-least-once delivery)`
            : `the source emits "${step.redeliver.detailType}" again, as a new event`,
        region: where.name,
      });
      if (step.redeliver.as === 'same-id') where.eventBridge.deliver(original.bus, original.event);
      else {
        const { id: _, time: __, version: ___, ...rest } = original.event;
        where.eventBridge.put(original.bus, rest);
      }
    }
    return;
  }
  if ('lose' in step) {
    const where = sim.region(step.region ?? 'recovery');
    where.eventBridge.loseNext(step.lose.detailType, step.lose.times);
    sim.world.record({
      kind: 'step',
      text: `EventBridge will lose the next ${step.lose.times} "${step.lose.detailType}" event(s)`,
      region: where.name,
    });
    return;
  }
  if ('schedule' in step) {
    const targets =
      step.region === 'both' ? [sim.primary, sim.recovery] : [sim.region(step.region ?? 'recovery')];
    for (const where of targets) await fireSchedule(sim, scenario, step, where);
    return;
  }
  if ('event' in step) {
    const where = sim.region(step.region ?? 'recovery');
    sim.world.record({
      kind: 'step',
      text: `an event arrives on ${step.bus}: ${step.event['detail-type']}`,
      region: where.name,
    });
    where.eventBridge.put(step.bus, {
      ...step.event,
      account: sim.world.account,
      region: where.name,
    } as Omit<AwsEvent, 'id' | 'time' | 'version'>);
    return;
  }
  if ('backup' in step) {
    sim.world.record({
      kind: 'step',
      text:
        step.backup === 'copyCompleted'
          ? `AWS Backup: the copy of "${step.recoveryPoint}" lands in the DR vault`
          : step.backup === 'restoreTest'
            ? `AWS Backup: restore testing plan "${step.plan}" restores "${step.recoveryPoint}"`
            : `AWS Backup: restore job(s) finish ${step.status}${step.statusMessage ? ` (${step.statusMessage})` : ''}`,
    });
    await sim.backup.play(step);
    return;
  }
  throw new Error(`scenario ${scenario.name}: unknown step ${JSON.stringify(step)}`);
}

async function fireSchedule(
  sim: Simulator,
  scenario: Scenario,
  step: Extract<Step, { schedule: string }>,
  where: SimRegion,
): Promise<void> {
  if (!where.functionNamed(step.schedule)) {
    sim.world.record({
      kind: 'note',
      text: `(${step.schedule} is not deployed: its scheduled run is skipped)`,
      region: where.name,
    });
    return;
  }
  if (sim.world.isLost(where.name)) {
    sim.world.record({
      kind: 'note',
      text: `(${where.name} is lost: the scheduled run of ${step.schedule} does not happen)`,
      region: where.name,
    });
    return;
  }
  for (let index = 0; index < step.times; index++) {
    const fired = where.eventBridge.fireSchedule(step.schedule, step.input);
    if (fired === 0)
      throw new Error(
        `scenario ${scenario.name}: no scheduled rule targets ${step.schedule} in ${where.name}`,
      );
    await sim.drain();
  }
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

/**
 * The JSON document a Lambda, SQS or HTTPS subscriber receives: the message, or with `MessageStructure=json` its
 * `default` entry (the simulator's subscribers are not by protocol); undefined if it is not JSON.
 */
function subscriberJson(message: SnsMessage): unknown {
  const parse = (text: string): unknown => {
    try {
      return JSON.parse(text);
    } catch {
      return undefined;
    }
  };
  if (message.messageStructure !== 'json') return parse(message.message);
  const body = parse(message.message) as { default?: unknown } | undefined;
  return typeof body?.default === 'string' ? parse(body.default) : undefined;
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

/** The Regions an expectation reads: its `region`, or `fallback` when it has none. */
function regionsOf(sim: Simulator, ref: string | undefined, fallback: 'recovery' | 'any'): SimRegion[] {
  const wanted = ref ?? fallback;
  return wanted === 'any' ? [...sim.regions.values()] : [sim.region(wanted)];
}

/**
 * The counts a `drsState` expectation compares, for one Region's DRS: `recoveryInstances` (as
 * DescribeRecoveryInstances lists them, including those still shutting down), `drillInstances`,
 * `terminatingInstances` (SHUTTING-DOWN), `sourceServers` (all), `failoverServers`, `failbackServers` (the A2s,
 * in the primary Region), `reversedServers` (FAILBACK servers in the *other* Region that reversing this Region's
 * recovery instances created), `launchJobs` and `terminateJobs`.
 */
export function drsCounts(drs: DrsSim): Record<string, number> {
  drs.settle();
  const direction = (wanted: string) =>
    drs.sourceServers.filter((server) => server.replicationDirection === wanted).length;
  return {
    reversedServers: drs.reversedServers.length,
    recoveryInstances: drs.recoveryInstances.length,
    drillInstances: drs.recoveryInstances.filter((instance) => instance.isDrill).length,
    terminatingInstances: drs.recoveryInstances.filter((instance) =>
      drs.isTerminating(instance.recoveryInstanceID ?? ''),
    ).length,
    sourceServers: drs.sourceServers.length,
    failoverServers: direction('FAILOVER'),
    failbackServers: direction('FAILBACK'),
    launchJobs: drs.jobs.filter((job) => job.type === 'LAUNCH').length,
    terminateJobs: drs.jobs.filter((job) => job.type === 'TERMINATE').length,
  };
}

export function checkExpectation(
  sim: Simulator,
  expectation: Expectation,
  readiness: ReadinessByRegion,
  evidence: EvidenceByRegion = new Map(),
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
    const regions = new Set(regionsOf(sim, expectation.region, 'any').map((region) => region.name));
    const anyRegion = expectation.region === undefined || expectation.region === 'any';
    const calls = sim.world.calls.filter(
      (call) =>
        call.service === service &&
        call.operation === operation &&
        call.result === expectation.result &&
        (expectation.applied === undefined || (call.applied === true) === expectation.applied) &&
        (anyRegion || regions.has(call.region ?? '')),
    );
    return counted(describe, calls.length, expectation);
  }
  const regions = regionsOf(sim, expectation.region, 'recovery');
  const invocations = (): Invocation[] => regions.flatMap((region) => region.eventBridge.invocations);
  if ('outcome' in expectation) {
    const { function: fn, ...fields } = expectation.outcome;
    const matching = invocations().filter(
      (invocation) => invocation.functionName === fn && invocation.ok && contains(invocation.outcome, fields),
    );
    return counted(describe, matching.length, expectation);
  }
  if ('invocationError' in expectation) {
    const matching = invocations().filter(
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
    const matching = regions
      .flatMap((region) => region.eventBridge.events)
      .filter(({ event }) => {
        if (event.source !== 'dr-autopilot' || event['detail-type'] !== detailType) return false;
        const detail = event.detail as { assessment?: { state?: string }; summary?: string };
        if (state !== undefined && detail.assessment?.state !== state) return false;
        return summary === undefined || new RegExp(summary).test(detail.summary ?? '');
      });
    return counted(describe, matching.length, expectation);
  }
  if ('sns' in expectation) {
    const { topic, subject, body, json, attributes, noAttributes } = expectation.sns;
    const topics = (region: SimRegion) =>
      new Set(
        region.deployment.topics
          .filter(
            (candidate) => topic === undefined || candidate.logicalId === topic || candidate.name === topic,
          )
          .map((candidate) => candidate.arn),
      );
    const messages = regions.flatMap((region) => region.sns.messages);
    const matching = regions.flatMap((region) => {
      const arns = topics(region);
      return region.sns.messages.filter(
        (message) =>
          (topic === undefined || arns.has(message.topicArn)) &&
          (subject === undefined || new RegExp(subject).test(message.subject ?? '')) &&
          (body === undefined || new RegExp(body).test(message.message)) &&
          (json === undefined || contains(subscriberJson(message), json)) &&
          Object.entries(attributes ?? {}).every(
            ([name, value]) => message.attributes[name]?.value === value,
          ) &&
          (noAttributes === undefined || Object.keys(message.attributes).length === 0),
      );
    });
    return counted(describe, matching.length, expectation, `${messages.length} message(s) in all`);
  }
  if ('event' in expectation) {
    const { source, detailType, bus, resources, detail } = expectation.event;
    const matching = regions
      .flatMap((region) => region.eventBridge.events)
      .filter(
        (entry) =>
          entry.bus === bus &&
          entry.event.source === source &&
          entry.event['detail-type'] === detailType &&
          (resources === undefined || entry.event.resources.some((arn) => new RegExp(resources).test(arn))) &&
          (detail === undefined || contains(entry.event.detail, detail)),
      );
    return counted(describe, matching.length, expectation);
  }
  if ('deadLetters' in expectation) {
    const matching = regions
      .flatMap((region) => region.eventBridge.deadLetters)
      .filter(
        (letter) =>
          expectation.deadLetters.kind === undefined || letter.kind === expectation.deadLetters.kind,
      );
    return counted(describe, matching.length, expectation);
  }
  if ('evidence' in expectation) {
    const { kind, result, workload, trigger, summary, measured, distinct } = expectation.evidence;
    const anyRegion = expectation.region === undefined || expectation.region === 'any';
    const names = new Set(regions.map((region) => region.name));
    const records = [...evidence.entries()]
      .filter(([name]) => anyRegion || names.has(name))
      .flatMap(([, list]) => list);
    const matching = records.filter(
      (record) =>
        (kind === undefined || record.kind === kind) &&
        (result === undefined || record.result === result) &&
        (workload === undefined || record.workload === workload) &&
        (trigger === undefined || record.trigger === trigger) &&
        (summary === undefined || new RegExp(summary).test(record.summary)) &&
        (measured === undefined ||
          (record.timings.measuredRtoSeconds !== undefined && record.timings.rtoSeconds !== undefined)),
    );
    const amount = distinct ? new Set(matching.map((record) => record.subject.id)).size : matching.length;
    return counted(describe, amount, expectation, `${records.length} evidence record(s) in all`);
  }
  // What restore tests left behind in a simulated service: resources still carrying a restore job's tag.
  const leftTagged = <T>(left: T[], wanted: number, show: (item: T) => string) => ({
    description: describe,
    status: left.length === wanted ? ('pass' as const) : ('fail' as const),
    detail: `${left.length} tagged (expected ${wanted})${left.length ? `: ${left.map(show).join(', ')}` : ''}`,
  });
  if ('ec2State' in expectation) {
    const where = sim.region(expectation.region ?? 'recovery').name;
    return leftTagged(
      sim.ec2.tagged(where, TAG.restoreJobId),
      expectation.ec2State.tagged,
      (item) => `${item.kind} ${item.id} ${item.state}`,
    );
  }
  if ('s3State' in expectation) {
    const where = sim.region(expectation.region ?? 'recovery').name;
    return leftTagged(
      sim.s3.tagged(where, TAG.restoreJobId),
      expectation.s3State.tagged,
      (bucket) =>
        `bucket ${bucket.name} (${bucket.versions} version(s), ${bucket.deleteMarkers} delete marker(s))`,
    );
  }
  if ('drsState' in expectation) {
    const actual = drsCounts(sim.region(expectation.region ?? 'recovery').drs);
    const wrong = Object.entries(expectation.drsState).filter(([key, value]) => actual[key] !== value);
    return {
      description: describe,
      status: wrong.length === 0 ? 'pass' : 'fail',
      detail: Object.entries(expectation.drsState)
        .map(([key, value]) => `${key} ${actual[key]} (expected ${value})`)
        .join(', '),
    };
  }
  const { kind, resource, workload, state } = expectation.readiness;
  const rows = readiness.get(sim.region(expectation.region ?? 'recovery').name) ?? [];
  const matching = rows.filter(
    (row) =>
      row.state === state &&
      (kind === undefined || row.kind === kind) &&
      (resource === undefined || new RegExp(resource).test(row.resource)) &&
      (workload === undefined || row.workload === workload),
  );
  return counted(describe, matching.length, expectation, `${rows.length} readiness row(s) in all`);
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
  const where =
    expectation.region === undefined || expectation.region === 'any' ? '' : ` in ${expectation.region}`;
  if ('call' in expectation)
    return `${amount} ${expectation.call} call(s)${where}${expectation.applied === undefined ? '' : expectation.applied ? ' applied and' : ' not applied,'} answered ${expectation.result}${why}`;
  if ('outcome' in expectation) {
    const { function: fn, ...fields } = expectation.outcome;
    return `${amount} ${fn} outcome(s)${where} ${JSON.stringify(fields)}${why}`;
  }
  if ('invocationError' in expectation) {
    return `${amount} failed ${expectation.invocationError.function} invocation(s)${where}${expectation.invocationError.errorType ? ` (${expectation.invocationError.errorType})` : ''}${why}`;
  }
  if ('signal' in expectation) {
    const { detailType, state, summary } = expectation.signal;
    return `${amount} "${detailType}" signal(s)${where}${state ? ` assessing ${state}` : ''}${summary ? ` /${summary}/` : ''}${why}`;
  }
  if ('sns' in expectation)
    return `${amount} SNS message(s)${where} matching ${JSON.stringify(expectation.sns)}${why}`;
  if ('event' in expectation) {
    const { source, detailType, bus, resources, detail } = expectation.event;
    return `${amount} ${source} "${detailType}" event(s)${where} on the ${bus} bus${resources ? ` about /${resources}/` : ''}${detail ? ` with ${JSON.stringify(detail)}` : ''}${why}`;
  }
  if ('deadLetters' in expectation) {
    return `${amount} dead letter(s)${where}${expectation.deadLetters.kind ? ` in the ${expectation.deadLetters.kind}` : ''}${why}`;
  }
  if ('evidence' in expectation)
    return `${amount} evidence record(s)${where} ${JSON.stringify(expectation.evidence)}${why}`;
  if ('ec2State' in expectation)
    return `EC2 resources${where} tagged by a dr-autopilot restore: ${expectation.ec2State.tagged}${why}`;
  if ('s3State' in expectation)
    return `S3 buckets${where} tagged by a dr-autopilot restore: ${expectation.s3State.tagged}${why}`;
  if ('drsState' in expectation) return `DRS state${where} ${JSON.stringify(expectation.drsState)}${why}`;
  return `${amount} readiness row(s)${where} ${JSON.stringify(expectation.readiness)}${why}`;
}

/** Runs `npm run <cli> -- <args>` in-process, with the environment a person would export for that stack. */
async function runCli(
  sim: Simulator,
  scenario: Scenario,
  step: Extract<Step, { cli: string }>,
): Promise<void> {
  const where = sim.region(step.region ?? (step.cli === 'failback' ? 'primary' : 'recovery'));
  const env = {
    READINESS_TABLE_NAME: where.tableNamed('ReadinessTable') ?? '',
    EVIDENCE_TABLE_NAME: where.tableNamed('EvidenceTable') ?? '',
    AWS_REGION: where.name,
    PRIMARY_REGION: sim.world.primaryRegion,
    RECOVERY_REGION: sim.world.recoveryRegion,
    AWS_ENDPOINT_URL_DYNAMODB: where.endpoints.dynamodb,
    AWS_ENDPOINT_URL_DRS: where.endpoints.drs,
    AWS_ENDPOINT_URL_STS: where.endpoints.sts,
    AWS_ACCESS_KEY_ID: SIM_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: SIM_CREDENTIALS.secretAccessKey,
    AWS_ACCOUNT_ID: sim.world.account,
  };
  const output: string[] = [];
  const io = { out: (text: string) => output.push(text), err: (text: string) => output.push(text) };
  sim.world.record({
    kind: 'step',
    text: `$ npm run ${step.cli} -- ${step.args.join(' ')}`,
    region: where.name,
  });
  const run = step.cli === 'failback' ? runFailback : runCleanup;
  let code: number;
  try {
    code = await run(step.args, env, io);
  } catch (error) {
    output.push(`${(error as Error).name}: ${(error as Error).message}`);
    code = error instanceof UsageError ? 2 : 1;
  }
  for (const line of output
    .join('')
    .split('\n')
    .filter((text) => text.trim().length > 0)) {
    sim.world.record({ kind: 'note', text: line, region: where.name });
  }
  if (code !== step.exitCode) {
    throw new Error(
      `scenario ${scenario.name}: npm run ${step.cli} -- ${step.args.join(' ')} exited ${code}, expected ${step.exitCode}: ${output.join('').trim()}`,
    );
  }
}
