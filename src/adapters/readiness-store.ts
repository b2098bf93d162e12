import { brotliCompressSync, brotliDecompressSync, constants } from 'node:zlib';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { ReadinessState } from '../../events/dr-autopilot/signal.ts';
import {
  countStates,
  NO_RESOURCES,
  type ResourceReadiness,
  resourceKey,
  STATE_RANK,
  type WorkloadEntry,
} from '../domain/readiness.ts';
import {
  type HistoryRecord,
  type OutboxEntry,
  type ReadinessChange,
  type ReadinessStore,
  ReadinessVersionConflictError,
  type StoredResource,
  type StoredWorkload,
  type TransitionRecord,
  type WorkloadWrite,
} from '../ports/readiness.ts';
import type { Clock } from '../ports/signals.ts';

/**
 * The readiness table (READINESS_TABLE_NAME, `pk`/`sk`, TTL on `expiresAt`), single-table:
 *
 * | item | pk | sk |
 * |---|---|---|
 * | workload state (counts per state, outbox, sent transitions not yet archived) | `workloads` | `<workload>` |
 * | resource state | `workload#<workload>` | `resource#<type>#<id>` |
 * | history (signals, resource changes, transitions; TTL) | `workload#<workload>` | `history#<ISO time>#<kind>#<id>` |
 *
 * One partition lists every workload (digest, sweep, status) and one partition per workload holds its
 * resources and history. A resource that is not READY also carries the keys of the sparse index `open`
 * (`openPk` = its workload, `openSk` = `<0 worst … 2>#<since>#<key>`): a message lists a workload's open
 * resources worst first with one bounded Query, whatever the workload's size. Items whose `pk` starts with
 * `detector#` belong to detectors and are never touched here. Every state item carries a `version`: writes are
 * conditional on it (optimistic concurrency), and a change of a resource's announced state is one transaction
 * with its workload's counts and the history items that say so; a conflict surfaces as
 * {@link ReadinessVersionConflictError}.
 */
export const WORKLOADS_PK = 'workloads';
export const workloadPk = (workload: string) => `workload#${workload}`;
export const RESOURCE_PREFIX = 'resource#';
export const HISTORY_PREFIX = 'history#';
/** The sparse index of resources that are not READY (see above). */
export const OPEN_INDEX = 'open';
/** Attributes of a workload item holding a sent transition's history record until it is archived. */
const NOTIFIED_PREFIX = 'notified#';

/** `openSk` of a resource: worst first, then the longest in its state, then by key (as messages order them). */
export function openSortKey(state: ReadinessState, since: string, key: string): string {
  return `${STATE_RANK.NOT_READY - STATE_RANK[state]}#${since}#${key}`;
}

function historyId(history: HistoryRecord): string {
  return history.kind === 'signal'
    ? history.signalId
    : history.kind === 'resource-transition' || history.kind === 'resource-retired'
      ? `${history.resourceKey}#${history.version}`
      : history.transitionId;
}

function historySk(history: HistoryRecord): string {
  return `${HISTORY_PREFIX}${history.at}#${history.kind}#${historyId(history)}`;
}

/**
 * A resource item keeps what conditions and indexes read as attributes (`state`, `since`, `observedAt`,
 * `version`, `pending` when something is pending, the `open` index keys) and the rest of its readiness (the
 * resource, the latest observation, the cause when it is another, the recent signal ids) as `body`: that JSON,
 * compressed with Brotli, after one byte naming the encoding ({@link BODY_BROTLI_JSON}). DynamoDB bills a write
 * by the larger of the item's sizes before and after, per started KB, and a refresh rewrites the item: as plain
 * attributes a resource came to about 1.5–1.8 KB (two write units, and two more in the `open` index for a
 * resource not READY); compressed it stays under 1 KB, so a refresh costs one. DynamoDB counts a binary value
 * by its raw bytes (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html)
 * and advises compressing large attributes
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-use-s3-too.html). The price: the console
 * shows the body as binary; `npm run status` reads it, and docs/readiness.md shows how to decode one by hand.
 */
export const BODY_BROTLI_JSON = 1;

/** What a resource item's `body` holds. */
interface ResourceBody {
  resource: ResourceReadiness['resource'];
  latest: ResourceReadiness['latest'];
  /** Absent when it is the latest observation (always after a refresh): stored once. */
  cause?: ResourceReadiness['cause'];
  recentSignalIds: string[];
}

/** The compressed `body` of a resource item (see {@link BODY_BROTLI_JSON}). */
export function encodeBody(readiness: Pick<ResourceReadiness, keyof ResourceBody>): Uint8Array {
  // The same object on a refresh; compared by value otherwise (a fold rebuilds the observation).
  const sameCause =
    readiness.cause === readiness.latest ||
    JSON.stringify(readiness.cause) === JSON.stringify(readiness.latest);
  const body: ResourceBody = {
    resource: readiness.resource,
    latest: readiness.latest,
    ...(sameCause ? {} : { cause: readiness.cause }),
    recentSignalIds: readiness.recentSignalIds,
  };
  const compressed = brotliCompressSync(JSON.stringify(body), {
    params: {
      [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
      [constants.BROTLI_PARAM_QUALITY]:
        readiness.cause.state === 'READY' && readiness.latest.state === 'READY'
          ? BODY_QUALITY
          : OPEN_BODY_QUALITY,
    },
  });
  const encoded = new Uint8Array(compressed.length + 1);
  encoded[0] = BODY_BROTLI_JSON;
  encoded.set(compressed, 1);
  return encoded;
}

/**
 * Brotli quality 6 for a READY resource: within 10% of the smallest for these 1–2 KB documents at a twentieth of
 * the time (0.1 ms against 2–3 ms, measured on the monitor's observations), and a READY item has about 200
 * bytes to spare under 1 KB. A resource that is not READY carries the `open` index's keys and longer reasons, so
 * fewer than 100 bytes to spare: quality 10 takes about 8% more off its body (689 → 632 bytes on a backlogged
 * server's) for about 2 ms, paid by the tenth of resources in trouble.
 */
const BODY_QUALITY = 6;
const OPEN_BODY_QUALITY = 10;

/** Reads a `body` back; anything but {@link BODY_BROTLI_JSON}, or a body that does not decode, is refused, naming the item. */
export function decodeBody(body: unknown, where: string): ResourceBody {
  if (!(body instanceof Uint8Array) || body[0] !== BODY_BROTLI_JSON) {
    throw new Error(
      `readiness item ${where}: body is not Brotli-compressed JSON (encoding byte ${body instanceof Uint8Array ? body[0] : typeof body})`,
    );
  }
  try {
    return JSON.parse(brotliDecompressSync(body.subarray(1)).toString('utf8')) as ResourceBody;
  } catch (error) {
    throw new Error(`readiness item ${where}: body does not decode (${(error as Error).message})`, {
      cause: error,
    });
  }
}

/** A resource item of the current layout (see {@link encodeBody}). */
function fromItem(item: Record<string, unknown>): ResourceReadiness {
  const body = decodeBody(item.body, `${item.pk} ${item.sk}`);
  return {
    workload: String(item.pk).slice(workloadPk('').length),
    resource: body.resource,
    state: item.state as ReadinessState,
    since: item.since as string,
    cause: body.cause ?? body.latest,
    latest: body.latest,
    pending: (item.pending as ResourceReadiness['pending'] | undefined) ?? {},
    recentSignalIds: body.recentSignalIds,
  };
}

/**
 * A resource item written before the body (every attribute in one `readiness` map, the cause left out when it
 * was the latest observation): read as it is; its next write is in the current layout.
 */
function fromLegacyItem(item: Record<string, unknown>): ResourceReadiness {
  const stored = item.readiness as Omit<ResourceReadiness, 'cause'> & { cause?: ResourceReadiness['cause'] };
  return { ...stored, cause: stored.cause ?? stored.latest };
}

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

  const toResource = (item: Record<string, unknown>): StoredResource => {
    const readiness = item.body === undefined ? fromLegacyItem(item) : fromItem(item);
    const open = readiness.state !== 'READY';
    const indexed = open
      ? item.openPk === readiness.workload &&
        item.openSk === openSortKey(readiness.state, readiness.since, resourceKey(readiness.resource))
      : item.openPk === undefined;
    return { readiness, version: Number(item.version), indexed };
  };
  const toWorkload = (item: Record<string, unknown>): StoredWorkload => {
    // An item written before counts holds one entry per resource instead: counted from them.
    const entries = item.entries as Record<string, WorkloadEntry> | undefined;
    const counts =
      item.counts === undefined
        ? countStates(Object.values(entries ?? {}).map((entry) => entry.state))
        : { ...NO_RESOURCES, ...(item.counts as StoredWorkload['counts']) };
    const notified = Object.entries(item)
      .filter(([name]) => name.startsWith(NOTIFIED_PREFIX))
      .map(([, record]) => record as TransitionRecord)
      .sort((a, b) => a.transitionId.localeCompare(b.transitionId));
    return {
      workload: String(item.workload),
      state: item.state as StoredWorkload['state'],
      since: item.since as string | undefined,
      counts,
      legacy: entries !== undefined,
      outbox: (item.outbox ?? {}) as StoredWorkload['outbox'],
      notified,
      updatedAt: item.updatedAt as string | undefined,
      version: Number(item.version),
    };
  };
  const resourceItemKey = (workload: string, key: string) => ({
    pk: workloadPk(workload),
    sk: `${RESOURCE_PREFIX}${key}`,
  });
  const workloadItemKey = (workload: string) => ({ pk: WORKLOADS_PK, sk: workload });
  const resourceItem = (readiness: ResourceReadiness, version: number) => {
    const key = resourceKey(readiness.resource);
    // Absent when nothing is pending: the one-write refresh's condition (attribute_not_exists).
    const pending = Object.fromEntries(
      Object.entries(readiness.pending).filter(([, level]) => level !== undefined),
    );
    return {
      ...resourceItemKey(readiness.workload, key),
      state: readiness.state,
      since: readiness.since,
      observedAt: readiness.latest.observedAt,
      version,
      body: encodeBody(readiness),
      ...(Object.keys(pending).length === 0 ? {} : { pending }),
      ...(readiness.state === 'READY'
        ? {}
        : { openPk: readiness.workload, openSk: openSortKey(readiness.state, readiness.since, key) }),
    };
  };
  const historyItem = (history: HistoryRecord) => ({
    ...history,
    pk: workloadPk(history.workload),
    sk: historySk(history),
    expiresAt: Math.floor(options.clock().getTime() / 1000) + options.historyRetentionSeconds,
  });
  const versionIs = (expected: number | undefined) =>
    expected === undefined
      ? { ConditionExpression: 'attribute_not_exists(pk)' }
      : {
          ConditionExpression: '#version = :expected',
          ExpressionAttributeNames: { '#version': 'version' },
          ExpressionAttributeValues: { ':expected': expected },
        };

  /** The transaction item writing a workload (see {@link WorkloadWrite}). */
  function workloadItem(write: WorkloadWrite) {
    const version = (write.expectedVersion ?? 0) + 1;
    if (write.expectedVersion === undefined) {
      return {
        Put: {
          TableName,
          Item: {
            ...workloadItemKey(write.workload),
            kind: 'workload',
            workload: write.workload,
            state: write.state,
            since: write.since,
            counts: write.counts,
            outbox: write.outbox ? { [write.outbox.transition.id]: write.outbox } : {},
            updatedAt: write.updatedAt,
            version,
          },
          ...versionIs(undefined),
        },
      };
    }
    const names: Record<string, string> = {
      '#state': 'state',
      '#since': 'since',
      '#counts': 'counts',
      '#entries': 'entries',
      '#updatedAt': 'updatedAt',
      '#version': 'version',
    };
    const values: Record<string, unknown> = {
      ':state': write.state,
      ':since': write.since,
      ':counts': write.counts,
      ':updatedAt': write.updatedAt,
      ':version': version,
      ':expected': write.expectedVersion,
    };
    const set = [
      '#state = :state',
      '#since = :since',
      '#counts = :counts',
      '#updatedAt = :updatedAt',
      '#version = :version',
    ];
    // An item written before counts loses its per-resource entries at its first write.
    const remove = ['#entries'];
    let condition = '#version = :expected';
    if (write.outbox) {
      names['#outbox'] = 'outbox';
      names['#transition'] = write.outbox.transition.id;
      values[':outbox'] = write.outbox;
      set.push('#outbox.#transition = :outbox');
    }
    if (write.supersedes) {
      // Only while it is still held as it was read: a sender that claimed it meanwhile wins.
      names['#outbox'] = 'outbox';
      names['#superseded'] = write.supersedes.id;
      names['#by'] = 'claimedBy' satisfies keyof OutboxEntry;
      values[':heldBy'] = write.supersedes.claimedBy;
      condition += ' AND #outbox.#superseded.#by = :heldBy';
      remove.push('#outbox.#superseded');
    }
    for (const [index, record] of (write.archive ?? []).entries()) {
      names[`#notified${index}`] = `${NOTIFIED_PREFIX}${record.transitionId}`;
      remove.push(`#notified${index}`);
    }
    return {
      Update: {
        TableName,
        Key: workloadItemKey(write.workload),
        UpdateExpression: `SET ${set.join(', ')} REMOVE ${remove.join(', ')}`,
        ConditionExpression: condition,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      },
    };
  }

  async function getWorkload(workload: string): Promise<StoredWorkload | undefined> {
    const { Item } = await documents.send(
      new GetCommand({ TableName, Key: workloadItemKey(workload), ConsistentRead: true }),
    );
    return Item ? toWorkload(Item) : undefined;
  }

  async function conditional<T>(write: () => Promise<T>, what: string): Promise<T> {
    try {
      return await write();
    } catch (error) {
      if (isConditionFailure(error) || isTransactionConflict(error)) {
        throw new ReadinessVersionConflictError(`${what} changed since it was read`, { cause: error });
      }
      throw error;
    }
  }

  return {
    async getResource(workload, key) {
      const { Item } = await documents.send(
        new GetCommand({ TableName, Key: resourceItemKey(workload, key), ConsistentRead: true }),
      );
      return Item ? toResource(Item) : undefined;
    },

    async getResourceAndWorkload(workload, key) {
      let Keys: Record<string, unknown>[] = [resourceItemKey(workload, key), workloadItemKey(workload)];
      const items: Record<string, unknown>[] = [];
      while (Keys.length > 0) {
        const answer = await documents.send(
          new BatchGetCommand({ RequestItems: { [TableName]: { Keys, ConsistentRead: true } } }),
        );
        items.push(...((answer.Responses?.[TableName] ?? []) as Record<string, unknown>[]));
        Keys = (answer.UnprocessedKeys?.[TableName]?.Keys ?? []) as Record<string, unknown>[];
      }
      const resourceItem = items.find((item) => item.pk !== WORKLOADS_PK);
      const workloadItem = items.find((item) => item.pk === WORKLOADS_PK);
      return {
        resource: resourceItem ? toResource(resourceItem) : undefined,
        workload: workloadItem ? toWorkload(workloadItem) : undefined,
      };
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
            // The body is written whole (it holds nothing else: the cause is then the latest observation, not
            // stored twice); an item of the layout before the body is refused and folded the long way, which
            // rewrites it in this layout.
            UpdateExpression: 'SET #body = :body, #observedAt = :observedAt, #version = #version + :one',
            ConditionExpression:
              'attribute_exists(#body) AND #state = :state AND attribute_not_exists(#pending) AND #observedAt < :observedAt',
            ExpressionAttributeNames: {
              '#body': 'body',
              '#pending': 'pending' satisfies keyof ResourceReadiness,
              '#state': 'state',
              '#observedAt': 'observedAt',
              '#version': 'version',
            },
            ExpressionAttributeValues: {
              ':body': encodeBody({
                resource,
                latest: observation,
                cause: observation,
                recentSignalIds: [observation.signalId],
              }),
              ':observedAt': observation.observedAt,
              ':state': observation.state,
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
      await conditional(
        () =>
          documents.send(
            new PutCommand({
              TableName,
              Item: resourceItem(readiness, version),
              ...versionIs(expectedVersion),
            }),
          ),
        `resource ${resourceKey(readiness.resource)} of workload ${readiness.workload}`,
      );
      return version;
    },

    async commit(change) {
      const items: NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']> = [];
      let version = 0;
      const { resource, workload } = change;
      if (resource && 'put' in resource) {
        version = (resource.expectedVersion ?? 0) + 1;
        items.push({
          Put: {
            TableName,
            Item: resourceItem(resource.put, version),
            ...versionIs(resource.expectedVersion),
          },
        });
      } else if (resource) {
        items.push({
          Delete: {
            TableName,
            Key: resourceItemKey(resource.remove.workload, resource.remove.key),
            ...versionIs(resource.expectedVersion),
          },
        });
      }
      if (workload && 'remove' in workload) {
        items.push({
          Delete: {
            TableName,
            Key: workloadItemKey(workload.remove),
            ...versionIs(workload.expectedVersion),
          },
        });
      } else if (workload) {
        items.push(workloadItem(workload));
      }
      const archived = workload && !('remove' in workload) ? (workload.archive ?? []) : [];
      for (const history of [...change.history, ...archived]) {
        items.push({ Put: { TableName, Item: historyItem(history) } });
      }
      await conditional(
        () => documents.send(new TransactWriteCommand({ TransactItems: items })),
        describeChange(change),
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

    async listOpenResources(workload, limit) {
      const { Items } = await documents.send(
        new QueryCommand({
          TableName,
          IndexName: OPEN_INDEX,
          KeyConditionExpression: 'openPk = :workload',
          ExpressionAttributeValues: { ':workload': workload },
          Limit: limit,
        }),
      );
      return ((Items ?? []) as Record<string, unknown>[]).map(toResource);
    },

    getWorkload,

    async listWorkloads() {
      const items = await queryAll({
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': WORKLOADS_PK },
        ConsistentRead: true,
      });
      return items.map(toWorkload);
    },

    async claimOutbox(workload, id, claimant, until, now) {
      try {
        await documents.send(
          new UpdateCommand({
            TableName,
            Key: workloadItemKey(workload),
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

    async completeOutbox(workload, id, record) {
      // One write: the entry leaves the outbox and its history record is held on the item until the next
      // change of the workload archives it (see WorkloadWrite.archive). Only while the entry is there: when it
      // is gone, this write (an earlier attempt whose answer was lost) or another sender's already cleared and
      // recorded it, and writing again could bring back a workload item retired since.
      try {
        await documents.send(
          new UpdateCommand({
            TableName,
            Key: workloadItemKey(workload),
            UpdateExpression: 'REMOVE #outbox.#id SET #notified = :record',
            ConditionExpression: 'attribute_exists(#outbox.#id)',
            ExpressionAttributeNames: {
              '#outbox': 'outbox',
              '#id': id,
              '#notified': `${NOTIFIED_PREFIX}${id}`,
            },
            ExpressionAttributeValues: { ':record': record },
          }),
        );
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
    },

    async record(history) {
      await documents.send(new PutCommand({ TableName, Item: historyItem(history) }));
    },

    async listHistory(workload, since) {
      const [items, held] = await Promise.all([
        queryAll({
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
          ExpressionAttributeValues: {
            ':pk': workloadPk(workload),
            ':from': `${HISTORY_PREFIX}${since}`,
            ':to': `${HISTORY_PREFIX}\uffff`,
          },
        }),
        getWorkload(workload),
      ]);
      const records = new Map<string, HistoryRecord>();
      for (const item of items) {
        const { pk: _pk, sk, expiresAt: _expiresAt, ...record } = item;
        records.set(String(sk), record as HistoryRecord);
      }
      for (const record of held?.notified ?? []) {
        if (record.at >= since) records.set(historySk(record), record);
      }
      return [...records.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, record]) => record);
    },
  };
}

function isTransactionConflict(error: unknown): boolean {
  if (!(error instanceof Error) || error.name !== 'TransactionCanceledException') return false;
  const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
  return reasons.some(
    (reason) => reason.Code === 'ConditionalCheckFailed' || reason.Code === 'TransactionConflict',
  );
}

function describeChange(change: ReadinessChange): string {
  const resource = change.resource;
  const what = resource
    ? 'put' in resource
      ? `resource ${resourceKey(resource.put.resource)} of workload ${resource.put.workload}`
      : `resource ${resource.remove.key} of workload ${resource.remove.workload}`
    : undefined;
  const workload =
    change.workload && ('remove' in change.workload ? change.workload.remove : change.workload.workload);
  return [what, workload && `workload ${workload}`].filter(Boolean).join(' or ');
}
