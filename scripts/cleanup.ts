import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { createDrsLifecycleAdapter } from '../src/adapters/drs.ts';
import { createRetryAfterDrsClient } from '../src/adapters/drs-client.ts';
import { createDynamoDbLifecycleStore } from '../src/adapters/lifecycle-store.ts';
import { applyCleanup, planCleanup } from '../src/app/failback-cleanup.ts';
import { renderCleanup } from '../src/app/lifecycle-status.ts';
import type { LifecycleRecord } from '../src/domain/failback-lifecycle.ts';
import { clientConfig, type Env, type Io, runAsProcess, UsageError } from './cli-env.ts';
import { recordPersonEvidence } from './cli-evidence.ts';

/**
 * `npm run cleanup -- --workload <name> [--apply] [--json]`: what a failback (or a failback drill) left behind,
 * as a plan in the DRS guide's order with the exact AWS CLI commands; with `--apply`, the automatic items are
 * applied one by one, each after a fresh re-read proves it is still what the plan says. Nothing is changed
 * without `--apply`. Items marked manual are always yours.
 *
 * Environment: PRIMARY_REGION and RECOVERY_REGION (the pair), the account's credentials; optionally
 * READINESS_TABLE_NAME of the recovery Region's stack, so the plan knows what the lifecycle remembered (the
 * original instance A1, and a cycle's IDs once some of its pieces are gone). AWS_REGION is the recovery Region.
 */
const HELP = `usage: npm run cleanup -- [--workload NAME] [--apply] [--json]
environment: PRIMARY_REGION, RECOVERY_REGION; optional READINESS_TABLE_NAME (the recovery Region stack's table)`;

export async function runCleanup(argv: string[], env: Env, io: Io, now = () => new Date()): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      workload: { type: 'string' },
      apply: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.out(`${HELP}\n`);
    return 0;
  }
  const primaryRegion = env.PRIMARY_REGION;
  const recoveryRegion = env.RECOVERY_REGION;
  if (!primaryRegion || !recoveryRegion) {
    throw new UsageError(
      'PRIMARY_REGION and RECOVERY_REGION must be set: the Region pair, as in the stage parameters',
    );
  }
  const drsIn = (region: string) =>
    createDrsLifecycleAdapter(
      createRetryAfterDrsClient({ ...clientConfig(env, 'DRS', region), maxAttempts: 3 }),
    );
  const deps = {
    primary: drsIn(primaryRegion),
    recovery: drsIn(recoveryRegion),
    policy: {
      primaryRegion,
      recoveryRegion,
      account: env.AWS_ACCOUNT_ID ?? 'unknown',
      unprotectedAlertAfterSeconds: 3_600,
      drillMaxAgeSeconds: 0,
    },
    clock: now,
    remembered: await rememberedCycles(env, recoveryRegion),
  };
  const plan = await planCleanup(deps, values.workload);
  const scope = values.workload ? `workload ${values.workload}` : 'every workload';
  if (!values.json) {
    io.out(
      `Cleanup plan for ${scope} (recovery ${recoveryRegion}, primary ${primaryRegion}), read ${plan.readAt}:\n`,
    );
    if (!plan.primaryReachable)
      io.out(`  note: ${primaryRegion} could not be read; its items are not in the plan\n`);
    if (deps.remembered.size === 0) {
      io.out(
        '  note: READINESS_TABLE_NAME not set: the original instances (A1) are not known and not listed\n',
      );
    }
    if (plan.servers.length === 0) io.out('  nothing to clean up.\n');
    for (const server of plan.servers) {
      io.out(
        `  ${server.serverId}${server.hostname ? ` (${server.hostname})` : ''}: ${server.stage} since ${server.since}\n`,
      );
      io.out(`${renderCleanup(server.cleanup, '    ').join('\n')}\n`);
    }
  }
  if (!values.apply) {
    if (values.json) io.out(`${JSON.stringify(plan, null, 2)}\n`);
    else if (plan.servers.length > 0) {
      io.out('Nothing was changed. Run again with --apply to apply the [auto] items (each re-read first).\n');
    }
    return 0;
  }
  const results = await applyCleanup(deps, plan);
  const recordedAt = now().toISOString();
  const person = await callerOf(env, recoveryRegion);
  const recorded = await recordPersonEvidence(
    env,
    recoveryRegion,
    results.flatMap((result) => {
      if (result.result !== 'applied') return [];
      const server = plan.servers.find((candidate) => candidate.serverId === result.serverId);
      return [
        {
          id: `cleanup#dr-cycle#${result.item.action}#${result.item.id}#${server?.since ?? plan.readAt}`,
          kind: 'cleanup' as const,
          workload: server?.workload ?? 'default',
          occurredAt: recordedAt,
          result: 'succeeded' as const,
          summary:
            `${result.item.action} ${result.item.role} ${result.item.id} in ${result.item.region} (DR-cycle cleanup of ${result.serverId})${result.detail ? `: ${result.detail}` : ''}`.slice(
              0,
              500,
            ),
          subject: {
            type: 'drs-failback-lifecycle',
            id: result.serverId,
            region: result.item.region,
            account: env.AWS_ACCOUNT_ID ?? 'unknown',
          },
          trigger: 'person' as const,
          correlationId: `person:${person}`,
          timings: {},
          details: {
            action: result.item.action,
            role: result.item.role,
            itemId: result.item.id,
            appliedBy: person,
            command: result.item.command.slice(0, 500),
          },
          recordedAt,
          recordedBy: 'npm run cleanup',
        },
      ];
    }),
  );
  // To standard error, so a --json consumer still sees whether the actions were recorded.
  io.err(recorded);
  if (values.json) io.out(`${JSON.stringify({ plan, results }, null, 2)}\n`);
  else {
    for (const result of results) {
      const what = `${result.item.order}. ${result.item.action} ${result.item.id} (${result.serverId})`;
      io.out(
        result.result === 'applied'
          ? `applied: ${what}${result.detail ? `: ${result.detail}` : ''}\n`
          : result.result === 'stopped'
            ? `stopped at ${what}: ${result.detail}\n`
            : result.result === 'refused'
              ? `left as it is: ${what}: ${result.detail} (the cycle is complete; it costs nothing)\n`
              : `left for you: ${what}: ${result.item.command}\n`,
      );
    }
  }
  return results.some((result) => result.result === 'stopped') ? 1 : 0;
}

async function rememberedCycles(env: Env, recoveryRegion: string): Promise<Map<string, LifecycleRecord>> {
  const tableName = env.READINESS_TABLE_NAME;
  if (!tableName) return new Map();
  const client = new DynamoDBClient(clientConfig(env, 'DYNAMODB', recoveryRegion));
  try {
    const { servers } = await createDynamoDbLifecycleStore({ client, tableName }).load();
    return new Map(servers);
  } finally {
    client.destroy();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) runAsProcess('cleanup', runCleanup);

/** Who applies the cleanup (the caller's ARN), for the evidence; `unknown caller` if STS cannot say. */
async function callerOf(env: Env, region: string): Promise<string> {
  const sts = new STSClient(clientConfig(env, 'STS', region));
  try {
    return (await sts.send(new GetCallerIdentityCommand({}))).Arn ?? 'unknown caller';
  } catch {
    return 'unknown caller';
  } finally {
    sts.destroy();
  }
}
