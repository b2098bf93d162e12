import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDynamoDbLifecycleStore } from '../src/adapters/lifecycle-store.ts';
import { createDynamoDbReadinessStore } from '../src/adapters/readiness-store.ts';
import { loadLifecycleStatus, renderLifecycle } from '../src/app/lifecycle-status.ts';
import { loadReadinessStatus, renderReadinessTable } from '../src/app/readiness-status.ts';
import { parseIsoDuration } from '../src/domain/duration.ts';
import type { HistoryRecord } from '../src/ports/readiness.ts';
import { clientConfig, cliRegion, type Env, type Io, runAsProcess, UsageError } from './cli-env.ts';
import { readDeployment } from './stack-outputs.ts';

/**
 * `npm run status -- --stage prod --region eu-central-1 [--workload NAME] [--history [--since P7D]] [--json]`:
 * the readiness of every workload, for on-call, then the DR cycle of every protected server (its
 * failover/failback stage, cleanup plan, drill instances left running).
 * The readiness table comes from the stage's stack outputs (`ReadinessTableName` of `dr-autopilot-<stage>`,
 * CloudFormation DescribeStacks in `--region`); pointed at the primary Region, it follows that stack's
 * `ReadinessRegion` output to the recovery Region's deployment, which keeps the one verdict of the pair; `READINESS_TABLE_NAME` overrides it (a local DynamoDB such as
 * dynalite, with AWS_ENDPOINT_URL_DYNAMODB). Credentials and endpoints: the SDK's standard settings.
 */
const HELP = `usage:
  npm run status -- --stage STAGE --region REGION [--workload NAME] [--history [--since P7D]] [--json]
--stage, --region: the stage and a Region you deployed (the stack dr-autopilot-<stage>); --region defaults to AWS_REGION.
  Readiness is kept by the recovery Region's deployment: given the primary Region, status reads it there
--workload: one workload; --history: its transitions and signals since --since (default P7D), oldest first
environment: READINESS_TABLE_NAME instead of the stack outputs (a local table); AWS credentials as for the AWS CLI`;

export async function runStatus(argv: string[], env: Env, io: Io, now = () => new Date()): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      stage: { type: 'string' },
      region: { type: 'string' },
      workload: { type: 'string' },
      history: { type: 'boolean', default: false },
      since: { type: 'string', default: 'P7D' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.out(`${HELP}\n`);
    return 0;
  }
  let region = cliRegion(values.region, env);
  let tableName = env.READINESS_TABLE_NAME;
  let source = 'READINESS_TABLE_NAME';
  if (!tableName) {
    if (!values.stage) {
      throw new UsageError(
        'no deployment named: pass --stage (the stage you deployed), or set READINESS_TABLE_NAME',
      );
    }
    let deployment = await readDeployment(env, {
      stage: values.stage,
      region,
      wanted: ['ReadinessTableName'],
    });
    // One verdict per Region pair: the recovery Region's deployment keeps it (its `ReadinessRegion` output).
    const owner = deployment.outputs.ReadinessRegion;
    if (owner !== undefined && owner !== region) {
      source = `stack ${deployment.stack}; the Region pair's readiness is kept here, not in ${region}`;
      region = owner;
      deployment = await readDeployment(env, { stage: values.stage, region, wanted: ['ReadinessTableName'] });
    } else source = `stack ${deployment.stack}`;
    tableName = deployment.outputs.ReadinessTableName as string;
  }
  const sinceSeconds = parseIsoDuration(values.since) ?? 0;
  if (values.history && !(sinceSeconds > 0)) {
    throw new UsageError(`--since ${values.since} is not an ISO-8601 duration such as P7D or PT12H`);
  }
  if (values.history && !values.workload) throw new UsageError('--history needs --workload NAME');

  const client = new DynamoDBClient(clientConfig(env, 'DYNAMODB', region));
  try {
    const store = createDynamoDbReadinessStore({
      client,
      tableName,
      clock: now,
      historyRetentionSeconds: 0,
    });
    const status = await loadReadinessStatus(store, { workload: values.workload });
    if (values.workload && status.workloads.length === 0) {
      const known = (await store.listWorkloads()).map((item) => item.workload).sort();
      io.err(
        `no workload named ${values.workload} in ${tableName} (${region}); ${known.length > 0 ? `known: ${known.join(', ')}` : 'no signal has been processed yet'}\n`,
      );
      return 1;
    }
    if (values.history) {
      const since = new Date(now().getTime() - sinceSeconds * 1000).toISOString();
      const history = await store.listHistory(values.workload as string, since);
      io.out(values.json ? `${JSON.stringify(history, null, 2)}\n` : renderHistory(history, header()));
      return 0;
    }
    const lifecycle = await loadLifecycleStatus(createDynamoDbLifecycleStore({ client, tableName }), {
      workload: values.workload,
    });
    io.out(
      values.json
        ? `${JSON.stringify({ table: tableName, region, ...status, lifecycle }, null, 2)}\n`
        : `${header()}\n${renderReadinessTable(status)}\n${renderLifecycle(lifecycle)}`,
    );
    return 0;
  } finally {
    client.destroy();
  }

  function header(): string {
    return `dr-autopilot readiness: table ${tableName} in ${region} (from ${source}), read ${now().toISOString()}\n`;
  }
}

/** A workload's history, one line per item, oldest first. */
function renderHistory(history: HistoryRecord[], header: string): string {
  if (history.length === 0) return `${header}\nNo history in this period.\n`;
  const lines = history.map((item) => {
    switch (item.kind) {
      case 'signal':
        return `${item.at}  signal      ${item.resourceKey}  ${item.state ?? '-'}  ${item.summary}`;
      case 'resource-transition':
        return `${item.at}  resource    ${item.resourceKey}  ${item.from ?? 'new'} → ${item.to}  ${item.reason}`;
      case 'resource-retired':
        return `${item.at}  retired     ${item.resourceKey}  ${item.lastState} → moved to ${item.movedTo}  ${item.reason}`;
      default:
        return `${item.at}  workload    ${item.workload}  ${item.from ?? 'new'} → ${item.to}  ${item.reason}`;
    }
  });
  return `${header}\n${lines.join('\n')}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  // The SDK's Node-version notice would land in the middle of the table on Node 20.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  runAsProcess('status', runStatus);
}
