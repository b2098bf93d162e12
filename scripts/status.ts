import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDynamoDbLifecycleStore } from '../src/adapters/lifecycle-store.ts';
import { createDynamoDbReadinessStore } from '../src/adapters/readiness-store.ts';
import { loadLifecycleStatus, renderLifecycle } from '../src/app/lifecycle-status.ts';
import { loadReadinessStatus, renderReadinessTable } from '../src/app/readiness-status.ts';

/**
 * `npm run status [-- --json] [-- --workload <name>]`: the readiness table, for on-call, then the DR cycle of
 * every protected server (its failover/failback stage, cleanup plan, drill instances left running), which the
 * recovery Region's deployment tracks.
 * Reads READINESS_TABLE_NAME with the standard SDK settings (credentials, AWS_REGION, and AWS_ENDPOINT_URL or
 * AWS_ENDPOINT_URL_DYNAMODB for a local DynamoDB such as dynalite).
 */
async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { json: { type: 'boolean', default: false }, workload: { type: 'string' } },
  });
  const tableName = process.env.READINESS_TABLE_NAME;
  if (!tableName) {
    process.stderr.write(
      'READINESS_TABLE_NAME is not set: export the readiness table name (see the stack outputs or `osls info`).\n',
    );
    return 2;
  }
  const client = new DynamoDBClient({});
  try {
    const store = createDynamoDbReadinessStore({
      client,
      tableName,
      clock: () => new Date(),
      historyRetentionSeconds: 0,
    });
    const status = await loadReadinessStatus(store, { workload: values.workload });
    const lifecycle = await loadLifecycleStatus(createDynamoDbLifecycleStore({ client, tableName }), {
      workload: values.workload,
    });
    process.stdout.write(
      values.json
        ? `${JSON.stringify({ ...status, lifecycle }, null, 2)}\n`
        : `${renderReadinessTable(status)}\n${renderLifecycle(lifecycle)}`,
    );
    return 0;
  } finally {
    client.destroy();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `status failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
