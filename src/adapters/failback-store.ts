import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  paginateQuery,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { FailbackDeclaration } from '../domain/reverse-replication.ts';
import type { FailbackDeclarations, PendingReversal, PendingReversals } from '../ports/failback.ts';

/**
 * Failback declarations and pending reversals in the readiness table, each in a partition of its own so that
 * IAM can limit each function to it with `dynamodb:LeadingKeys`:
 *
 * | item | pk | sk |
 * |---|---|---|
 * | a person's failback declaration (TTL at its expiry) | `failback-declaration` | `<workload>` |
 * | a reversal refused with ConflictException, to retry | `detector#reverse-replication` | `pending#<recovery instance>` |
 */
export const DECLARATION_PARTITION = 'failback-declaration';
export const PENDING_REVERSAL_PARTITION = 'detector#reverse-replication';
const PENDING_PREFIX = 'pending#';

function documents(client: DynamoDBClient) {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

/** Seconds since the epoch, for DynamoDB's TTL attribute `expiresAt`. */
const epochSeconds = (iso: string) => Math.ceil(Date.parse(iso) / 1000);

export function createFailbackDeclarationStore(options: { client: DynamoDBClient; tableName: string }) {
  const db = documents(options.client);
  const TableName = options.tableName;
  return {
    async get(workload: string): Promise<FailbackDeclaration | undefined> {
      // Consistent: a declaration made a minute ago must be seen by the launch that follows it.
      const { Item } = await db.send(
        new GetCommand({ TableName, Key: { pk: DECLARATION_PARTITION, sk: workload }, ConsistentRead: true }),
      );
      return Item ? toDeclaration(Item) : undefined;
    },
    async put(declaration: FailbackDeclaration): Promise<void> {
      await db.send(
        new PutCommand({
          TableName,
          Item: {
            pk: DECLARATION_PARTITION,
            sk: declaration.workload,
            declaredBy: declaration.declaredBy,
            declaredAt: declaration.declaredAt,
            validUntil: declaration.expiresAt,
            note: declaration.note,
            // The table's TTL attribute: kept 30 days past its validity as a record, then DynamoDB removes it.
            // Readers never rely on TTL: they compare `validUntil` with the time.
            expiresAt: epochSeconds(declaration.expiresAt) + 30 * 86_400,
          },
        }),
      );
    },
    async list(): Promise<FailbackDeclaration[]> {
      const found: FailbackDeclaration[] = [];
      for await (const page of paginateQuery(
        { client: db },
        {
          TableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': DECLARATION_PARTITION },
        },
      )) {
        for (const item of page.Items ?? []) {
          const declaration = toDeclaration(item);
          if (declaration) found.push(declaration);
        }
      }
      return found;
    },
    async revoke(workload: string): Promise<void> {
      await db.send(new DeleteCommand({ TableName, Key: { pk: DECLARATION_PARTITION, sk: workload } }));
    },
  } satisfies FailbackDeclarations & Record<string, unknown>;
}

function toDeclaration(item: Record<string, unknown>): FailbackDeclaration | undefined {
  const { sk, declaredBy, declaredAt, validUntil, note } = item;
  if (typeof sk !== 'string' || typeof declaredBy !== 'string') return undefined;
  if (typeof declaredAt !== 'string' || typeof validUntil !== 'string') return undefined;
  return {
    workload: sk,
    declaredBy,
    declaredAt,
    expiresAt: validUntil,
    ...(typeof note === 'string' ? { note } : {}),
  };
}

export function createPendingReversalStore(options: {
  client: DynamoDBClient;
  tableName: string;
}): PendingReversals {
  const db = documents(options.client);
  const TableName = options.tableName;
  const key = (recoveryInstanceId: string) => ({
    pk: PENDING_REVERSAL_PARTITION,
    sk: `${PENDING_PREFIX}${recoveryInstanceId}`,
  });
  return {
    async record(pending) {
      // The first conflict's time, deadline and event stay; only the attempt count moves. One write.
      await db.send(
        new UpdateCommand({
          TableName,
          Key: key(pending.recoveryInstanceId),
          UpdateExpression:
            'SET recoveryInstanceId = :id, #event = if_not_exists(#event, :event), firstConflictAt = if_not_exists(firstConflictAt, :first), retryUntil = if_not_exists(retryUntil, :until), expiresAt = if_not_exists(expiresAt, :ttl) ADD attempts :one',
          ExpressionAttributeNames: { '#event': 'event' },
          ExpressionAttributeValues: {
            ':id': pending.recoveryInstanceId,
            ':event': JSON.stringify(pending.event),
            ':first': pending.firstConflictAt,
            ':until': pending.retryUntil,
            // Kept a day past its deadline, then DynamoDB may remove it (the retry removes it first).
            ':ttl': epochSeconds(pending.retryUntil) + 86_400,
            ':one': pending.attempts,
          },
        }),
      );
    },
    async list() {
      const found: PendingReversal[] = [];
      for await (const page of paginateQuery(
        { client: db },
        {
          TableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': PENDING_REVERSAL_PARTITION, ':prefix': PENDING_PREFIX },
        },
      )) {
        for (const item of page.Items ?? []) {
          const { recoveryInstanceId, event, firstConflictAt, retryUntil, attempts } = item;
          if (typeof recoveryInstanceId !== 'string' || typeof event !== 'string') continue;
          found.push({
            recoveryInstanceId,
            // A record that does not parse is still listed: the retry fails its contract check and, past its
            // deadline, tells on-call; it never breaks the other records' retries.
            event: parseOrRaw(event),
            firstConflictAt: String(firstConflictAt),
            retryUntil: String(retryUntil),
            attempts: Number(attempts ?? 0),
          });
        }
      }
      return found;
    },
    async remove(recoveryInstanceId) {
      await db.send(new DeleteCommand({ TableName, Key: key(recoveryInstanceId) }));
    },
  };
}

function parseOrRaw(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
