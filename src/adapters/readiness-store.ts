import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { type ResourceReadiness, resourceKey } from '../domain/readiness.ts';
import {
  type HistoryRecord,
  type OutboxEntry,
  type ReadinessStore,
  ReadinessVersionConflictError,
  type StoredResource,
  type StoredWorkload,
} from '../ports/readiness.ts';
import type { Clock } from '../ports/signals.ts';

/**
 * The readiness table (READINESS_TABLE_NAME, `pk`/`sk`, TTL on `expiresAt`), single-table:
 *
 * | item | pk | sk |
 * |---|---|---|
 * | workload state (aggregate, one entry per resource, outbox) | `workloads` | `<workload>` |
 * | resource state | `workload#<workload>` | `resource#<type>#<id>` |
 * | history (signals, resource changes, transitions; TTL) | `workload#<workload>` | `history#<ISO time>#<kind>#<id>` |
 *
 * One partition lists every workload (digest, sweep, status) and one partition per workload holds its
 * resources and history, so no secondary index is needed. Items whose `pk` starts with `detector#` belong
 * to detectors and are never touched here. Every state item carries a `version`: writes are conditional on
 * it (optimistic concurrency); a conflict surfaces as {@link ReadinessVersionConflictError}.
 */
export const WORKLOADS_PK = 'workloads';
export const workloadPk = (workload: string) => `workload#${workload}`;
export const RESOURCE_PREFIX = 'resource#';
export const HISTORY_PREFIX = 'history#';

export interface ReadinessStoreOptions {
  client: DynamoDBClient;
  tableName: string;
  clock: Clock;
  /** How long history items are kept (TTL on `expiresAt`). */
  historyRetentionSeconds: number;
}

function isConditionFailure(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

export function createDynamoDbReadinessStore(options: ReadinessStoreOptions): ReadinessStore {
  const documents = DynamoDBDocumentClient.from(options.client, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
  const TableName = options.tableName;

  async function queryAll(input: Omit<QueryCommandInput, 'TableName'>): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await documents.send(new QueryCommand({ TableName, ...input, ExclusiveStartKey }));
      items.push(...((page.Items ?? []) as Record<string, unknown>[]));
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return items;
  }

  // The cause of the announced state is most often the latest observation itself (always after a refresh):
  // stored once, so a resource item stays under one write unit (1 KB) and a refresh costs one.
  const toResource = (item: Record<string, unknown>): StoredResource => {
    const stored = item.readiness as Omit<ResourceReadiness, 'cause'> & {
      cause?: ResourceReadiness['cause'];
    };
    return { readiness: { ...stored, cause: stored.cause ?? stored.latest }, version: Number(item.version) };
  };
  const compact = (readiness: ResourceReadiness) => {
    if (JSON.stringify(readiness.cause) !== JSON.stringify(readiness.latest)) return readiness;
    const { cause: _sameAsLatest, ...rest } = readiness;
    return rest;
  };
  const toWorkload = (item: Record<string, unknown>): StoredWorkload => ({
    workload: String(item.workload),
    state: item.state as StoredWorkload['state'],
    since: item.since as string | undefined,
    entries: (item.entries ?? {}) as StoredWorkload['entries'],
    outbox: (item.outbox ?? {}) as StoredWorkload['outbox'],
    updatedAt: item.updatedAt as string | undefined,
    version: Number(item.version),
  });

  async function conditional<T>(write: () => Promise<T>, what: string): Promise<T> {
    try {
      return await write();
    } catch (error) {
      if (isConditionFailure(error)) {
        throw new ReadinessVersionConflictError(`${what} changed since it was read`, { cause: error });
      }
      throw error;
    }
  }

  return {
    async getResource(workload, key) {
      const { Item } = await documents.send(
        new GetCommand({
          TableName,
          Key: { pk: workloadPk(workload), sk: `${RESOURCE_PREFIX}${key}` },
          ConsistentRead: true,
        }),
      );
      return Item ? toResource(Item) : undefined;
    },

    async refreshResource({ workload, resource, observation }) {
      const key = resourceKey(resource);
      try {
        await documents.send(
          new UpdateCommand({
            TableName,
            Key: { pk: workloadPk(workload), sk: `${RESOURCE_PREFIX}${key}` },
            // The fold of a same-state observation: it becomes the latest and the cause, nothing is pending.
            // Only this signal's id is remembered: every id forgotten was observed no later than it, so a
            // redelivery of any of them is refused here (observedAt) and the fold then sees it as out of order.
            // (Its cause is then the latest observation: not stored twice, see `compact`.)
            UpdateExpression:
              'SET #readiness.#latest = :observation, #readiness.#resource = :resource, #readiness.#ids = :ids, #observedAt = :observedAt, #updatedAt = :now, #version = #version + :one REMOVE #readiness.#cause',
            ConditionExpression:
              '#state = :state AND size(#readiness.#pending) = :none AND #observedAt < :observedAt',
            ExpressionAttributeNames: {
              '#readiness': 'readiness',
              '#latest': 'latest' satisfies keyof ResourceReadiness,
              '#cause': 'cause' satisfies keyof ResourceReadiness,
              '#resource': 'resource' satisfies keyof ResourceReadiness,
              '#ids': 'recentSignalIds' satisfies keyof ResourceReadiness,
              '#pending': 'pending' satisfies keyof ResourceReadiness,
              '#state': 'state',
              '#observedAt': 'observedAt',
              '#updatedAt': 'updatedAt',
              '#version': 'version',
            },
            ExpressionAttributeValues: {
              ':observation': observation,
              ':resource': resource,
              ':ids': [observation.signalId],
              ':observedAt': observation.observedAt,
              ':now': options.clock().toISOString(),
              ':state': observation.state,
              ':none': 0,
              ':one': 1,
            },
          }),
        );
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw error;
      }
    },

    async putResource(readiness, expectedVersion) {
      const version = (expectedVersion ?? 0) + 1;
      const key = resourceKey(readiness.resource);
      await conditional(
        () =>
          documents.send(
            new PutCommand({
              TableName,
              Item: {
                pk: workloadPk(readiness.workload),
                sk: `${RESOURCE_PREFIX}${key}`,
                kind: 'resource',
                workload: readiness.workload,
                resourceKey: key,
                state: readiness.state,
                since: readiness.since,
                observedAt: readiness.latest.observedAt,
                readiness: compact(readiness),
                version,
                updatedAt: options.clock().toISOString(),
              },
              ...(expectedVersion === undefined
                ? { ConditionExpression: 'attribute_not_exists(pk)' }
                : {
                    ConditionExpression: '#version = :expected',
                    ExpressionAttributeNames: { '#version': 'version' },
                    ExpressionAttributeValues: { ':expected': expectedVersion },
                  }),
            }),
          ),
        `resource ${key} of workload ${readiness.workload}`,
      );
      return version;
    },

    async listResources(workload) {
      const items = await queryAll({
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': workloadPk(workload), ':prefix': RESOURCE_PREFIX },
        ConsistentRead: true,
      });
      return items.map(toResource);
    },

    async getWorkload(workload) {
      const { Item } = await documents.send(
        new GetCommand({ TableName, Key: { pk: WORKLOADS_PK, sk: workload }, ConsistentRead: true }),
      );
      return Item ? toWorkload(Item) : undefined;
    },

    async listWorkloads() {
      const items = await queryAll({
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': WORKLOADS_PK },
        ConsistentRead: true,
      });
      return items.map(toWorkload);
    },

    async putWorkload(write, expectedVersion) {
      const version = (expectedVersion ?? 0) + 1;
      const what = `workload ${write.workload}`;
      if (expectedVersion === undefined) {
        await conditional(
          () =>
            documents.send(
              new PutCommand({
                TableName,
                Item: {
                  pk: WORKLOADS_PK,
                  sk: write.workload,
                  kind: 'workload',
                  workload: write.workload,
                  state: write.state,
                  since: write.since,
                  entries: { [write.entryKey]: write.entry },
                  outbox: write.outbox ? { [write.outbox.transition.id]: write.outbox } : {},
                  updatedAt: write.updatedAt,
                  version,
                },
                ConditionExpression: 'attribute_not_exists(pk)',
              }),
            ),
          what,
        );
        return version;
      }
      const names: Record<string, string> = {
        '#state': 'state',
        '#since': 'since',
        '#entries': 'entries',
        '#key': write.entryKey,
        '#updatedAt': 'updatedAt',
        '#version': 'version',
      };
      const values: Record<string, unknown> = {
        ':state': write.state,
        ':since': write.since,
        ':entry': write.entry,
        ':updatedAt': write.updatedAt,
        ':version': version,
        ':expected': expectedVersion,
      };
      let set =
        'SET #state = :state, #since = :since, #entries.#key = :entry, #updatedAt = :updatedAt, #version = :version';
      if (write.outbox) {
        names['#outbox'] = 'outbox';
        names['#transition'] = write.outbox.transition.id;
        values[':outbox'] = write.outbox;
        set += ', #outbox.#transition = :outbox';
      }
      let condition = '#version = :expected';
      let remove = '';
      if (write.supersedes) {
        // Only while it is still held as it was read: a sender that claimed it meanwhile wins.
        names['#outbox'] = 'outbox';
        names['#superseded'] = write.supersedes.id;
        names['#by'] = 'claimedBy' satisfies keyof OutboxEntry;
        values[':heldBy'] = write.supersedes.claimedBy;
        condition += ' AND #outbox.#superseded.#by = :heldBy';
        remove = ' REMOVE #outbox.#superseded';
      }
      await conditional(
        () =>
          documents.send(
            new UpdateCommand({
              TableName,
              Key: { pk: WORKLOADS_PK, sk: write.workload },
              UpdateExpression: `${set}${remove}`,
              ConditionExpression: condition,
              ExpressionAttributeNames: names,
              ExpressionAttributeValues: values,
            }),
          ),
        what,
      );
      return version;
    },

    async deleteResource(workload, key, expectedVersion) {
      await conditional(
        () =>
          documents.send(
            new DeleteCommand({
              TableName,
              Key: { pk: workloadPk(workload), sk: `${RESOURCE_PREFIX}${key}` },
              ConditionExpression: '#version = :expected',
              ExpressionAttributeNames: { '#version': 'version' },
              ExpressionAttributeValues: { ':expected': expectedVersion },
            }),
          ),
        `resource ${key} of workload ${workload}`,
      );
    },

    async removeWorkloadEntry(removal, expectedVersion) {
      const version = expectedVersion + 1;
      const names: Record<string, string> = {
        '#state': 'state',
        '#since': 'since',
        '#entries': 'entries',
        '#key': removal.entryKey,
        '#updatedAt': 'updatedAt',
        '#version': 'version',
      };
      const values: Record<string, unknown> = {
        ':state': removal.state,
        ':since': removal.since,
        ':updatedAt': removal.updatedAt,
        ':version': version,
        ':expected': expectedVersion,
      };
      let set = 'SET #state = :state, #since = :since, #updatedAt = :updatedAt, #version = :version';
      if (removal.outbox) {
        names['#outbox'] = 'outbox';
        names['#transition'] = removal.outbox.transition.id;
        values[':outbox'] = removal.outbox;
        set += ', #outbox.#transition = :outbox';
      }
      await conditional(
        () =>
          documents.send(
            new UpdateCommand({
              TableName,
              Key: { pk: WORKLOADS_PK, sk: removal.workload },
              UpdateExpression: `${set} REMOVE #entries.#key`,
              ConditionExpression: '#version = :expected',
              ExpressionAttributeNames: names,
              ExpressionAttributeValues: values,
            }),
          ),
        `workload ${removal.workload}`,
      );
      return version;
    },

    async deleteWorkload(workload, expectedVersion) {
      await conditional(
        () =>
          documents.send(
            new DeleteCommand({
              TableName,
              Key: { pk: WORKLOADS_PK, sk: workload },
              ConditionExpression: '#version = :expected',
              ExpressionAttributeNames: { '#version': 'version' },
              ExpressionAttributeValues: { ':expected': expectedVersion },
            }),
          ),
        `workload ${workload}`,
      );
    },

    async claimOutbox(workload, id, claimant, until, now) {
      try {
        await documents.send(
          new UpdateCommand({
            TableName,
            Key: { pk: WORKLOADS_PK, sk: workload },
            UpdateExpression: 'SET #outbox.#id.#by = :me, #outbox.#id.#until = :until',
            ConditionExpression:
              'attribute_exists(#outbox.#id) AND (#outbox.#id.#by = :me OR #outbox.#id.#until < :now)',
            ExpressionAttributeNames: {
              '#outbox': 'outbox',
              '#id': id,
              '#by': 'claimedBy' satisfies keyof OutboxEntry,
              '#until': 'claimedUntil' satisfies keyof OutboxEntry,
            },
            ExpressionAttributeValues: { ':me': claimant, ':until': until, ':now': now },
          }),
        );
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw error;
      }
    },

    async completeOutbox(workload, id) {
      await documents.send(
        new UpdateCommand({
          TableName,
          Key: { pk: WORKLOADS_PK, sk: workload },
          UpdateExpression: 'REMOVE #outbox.#id',
          ExpressionAttributeNames: { '#outbox': 'outbox', '#id': id },
        }),
      );
    },

    async record(history) {
      const id =
        history.kind === 'signal'
          ? history.signalId
          : history.kind === 'resource-transition' || history.kind === 'resource-retired'
            ? `${history.resourceKey}#${history.version}`
            : history.transitionId;
      const expiresAt = Math.floor(options.clock().getTime() / 1000) + options.historyRetentionSeconds;
      await documents.send(
        new PutCommand({
          TableName,
          Item: {
            ...history,
            pk: workloadPk(history.workload),
            sk: `${HISTORY_PREFIX}${history.at}#${history.kind}#${id}`,
            expiresAt,
          },
        }),
      );
    },

    async listHistory(workload, since) {
      const items = await queryAll({
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: {
          ':pk': workloadPk(workload),
          ':from': `${HISTORY_PREFIX}${since}`,
          ':to': `${HISTORY_PREFIX}\uffff`,
        },
      });
      return items.map((item) => {
        const { pk: _pk, sk: _sk, expiresAt: _expiresAt, ...record } = item;
        return record as HistoryRecord;
      });
    },
  };
}
