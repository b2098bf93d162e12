import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, paginateQuery } from '@aws-sdk/lib-dynamodb';
import { READINESS_STATES, RESOURCE_TYPES } from '../../events/dr-autopilot/signal.ts';
import type { MonitorMemory, StoredFinding } from '../domain/sweep.ts';
import type { MonitorStateStore } from '../ports/monitor-state.ts';
import { batchWriteAll } from './dynamodb-batch.ts';

/**
 * The replication monitor's memory in the readiness table. Detectors own the items whose `pk` starts with
 * `detector#<name>` (docs/DEVELOPING.md); this one uses exactly `detector#replication-monitor`, so the IAM role
 * can be limited to that partition with `dynamodb:LeadingKeys`: one item per resource
 * (`sk` = `finding#<resourceType>#<resourceId>`), and the refresh marker (`sk` = `refresh`, its time in
 * `refreshedAt`), read by the same Query. Only the findings given are written, 25 per BatchWriteItem; the marker
 * after them, in a BatchWriteItem of its own (one write unit: the only write of an unchanged refresh sweep).
 * The marker's `sk` does not start with `finding#`, so a version that reads only findings ignores it.
 */
export const MONITOR_PARTITION = 'detector#replication-monitor';
const SORT_PREFIX = 'finding#';
/** The refresh marker's sort key. */
export const REFRESH_MARKER_SK = 'refresh';

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
    async load(): Promise<MonitorMemory> {
      const findings = new Map<string, StoredFinding>();
      let refreshedAt: string | undefined;
      for await (const page of paginateQuery(
        { client: documents },
        {
          TableName: options.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': MONITOR_PARTITION },
        },
      )) {
        for (const item of page.Items ?? []) {
          if (item.sk === REFRESH_MARKER_SK) {
            refreshedAt = typeof item.refreshedAt === 'string' ? item.refreshedAt : undefined;
            continue;
          }
          const finding = toFinding(item);
          if (finding) findings.set(finding.key, finding);
        }
      }
      return { findings, refreshedAt };
    },
    async save({ put, delete: keys, refreshedAt }) {
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
      if (refreshedAt === undefined) return;
      // After the findings: if their write failed, the old marker stays and the next full sweep refreshes all.
      await batchWriteAll(
        documents,
        options.tableName,
        [{ PutRequest: { Item: { pk: MONITOR_PARTITION, sk: REFRESH_MARKER_SK, refreshedAt } } }],
        { attempts, what: 'replication-monitor refresh marker' },
      );
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
