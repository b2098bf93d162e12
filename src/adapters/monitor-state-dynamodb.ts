import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, paginateQuery } from '@aws-sdk/lib-dynamodb';
import { READINESS_STATES, RESOURCE_TYPES } from '../../events/dr-autopilot/signal.ts';
import type { StoredFinding } from '../domain/sweep.ts';
import type { MonitorStateStore } from '../ports/monitor-state.ts';
import { batchWriteAll } from './dynamodb-batch.ts';

/**
 * The replication monitor's memory in the readiness table. Detectors own the items whose `pk` starts with
 * `detector#<name>` (docs/DEVELOPING.md); this one uses exactly `detector#replication-monitor`, one item per
 * resource (`sk` = `finding#<resourceType>#<resourceId>`), so the IAM role can be limited to that partition
 * with `dynamodb:LeadingKeys`. Only changed or refreshed findings are written, 25 per BatchWriteItem.
 */
export const MONITOR_PARTITION = 'detector#replication-monitor';
const SORT_PREFIX = 'finding#';

export function createDynamoDbMonitorStateStore(options: {
  client: DynamoDBClient;
  tableName: string;
  /** BatchWriteItem rounds for unprocessed items before giving up (default 5). */
  attempts?: number;
}): MonitorStateStore {
  const documents = DynamoDBDocumentClient.from(options.client, {
    marshallOptions: { removeUndefinedValues: true },
  });
  const attempts = options.attempts ?? 5;
  return {
    async load() {
      const findings = new Map<string, StoredFinding>();
      for await (const page of paginateQuery(
        { client: documents },
        {
          TableName: options.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': MONITOR_PARTITION, ':prefix': SORT_PREFIX },
        },
      )) {
        for (const item of page.Items ?? []) {
          const finding = toFinding(item);
          if (finding) findings.set(finding.key, finding);
        }
      }
      return findings;
    },
    async save({ put, delete: keys }) {
      const requests = [
        ...put.map((finding) => ({
          PutRequest: {
            Item: {
              pk: MONITOR_PARTITION,
              sk: `${SORT_PREFIX}${finding.key}`,
              resourceType: finding.resourceType,
              resourceId: finding.resourceId,
              workload: finding.workload,
              state: finding.state,
              reasonCode: finding.reasonCode,
              readyToFailBack: finding.readyToFailBack,
              since: finding.since,
              lastSignalledAt: finding.lastSignalledAt,
            },
          },
        })),
        ...keys.map((key) => ({
          DeleteRequest: { Key: { pk: MONITOR_PARTITION, sk: `${SORT_PREFIX}${key}` } },
        })),
      ];
      await batchWriteAll(documents, options.tableName, requests, {
        attempts,
        what: 'replication-monitor finding(s)',
      });
    },
  };
}

/**
 * Reads a stored item back; an item that is not a finding (a foreign shape) is ignored. An item written before
 * `lastSignalledAt` existed was last signalled when it changed: at `since`.
 */
function toFinding(item: Record<string, unknown>): StoredFinding | undefined {
  const sk = item.sk;
  if (typeof sk !== 'string' || !sk.startsWith(SORT_PREFIX)) return undefined;
  const { resourceType, resourceId, workload, state, reasonCode, readyToFailBack, since, lastSignalledAt } =
    item;
  if (
    !(RESOURCE_TYPES as readonly unknown[]).includes(resourceType) ||
    !(READINESS_STATES as readonly unknown[]).includes(state) ||
    typeof resourceId !== 'string' ||
    typeof workload !== 'string' ||
    typeof reasonCode !== 'string' ||
    typeof since !== 'string'
  ) {
    return undefined;
  }
  return {
    key: sk.slice(SORT_PREFIX.length),
    resourceType: resourceType as StoredFinding['resourceType'],
    resourceId,
    workload,
    state: state as StoredFinding['state'],
    reasonCode,
    readyToFailBack: readyToFailBack === true,
    since,
    lastSignalledAt: typeof lastSignalledAt === 'string' ? lastSignalledAt : since,
  };
}
