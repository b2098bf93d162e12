import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  paginateQuery,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  RestoreClaimLostError,
  type RestoreJobClaim,
  type RestoreRecord,
  type RestoreRecords,
  type RestoreTokenClaim,
} from '../ports/backup-restore-records.ts';

/** The detector's own partition of the readiness table (DEVELOPING.md: `detector#<name>`). */
export const RECORDS_PK = 'detector#backup-restore';
const SK_PREFIX = 'restore-job#';
const CLAIM_PREFIX = 'restore-token#';
/** Finished records leave the table after 400 days (the evidence outlives a yearly audit). */
const DONE_TTL_SECONDS = 400 * 86_400;
/** The attribute holding a record's step claim (`{ holder, until }`), beside `record`. */
const CLAIM_ATTRIBUTE = 'stepClaim';

/** Restore records in the readiness table, through the DynamoDB document client. */
export function createRestoreRecords(options: {
  client: DynamoDBDocumentClient;
  tableName: string;
  clock: () => Date;
}): RestoreRecords {
  const { client, tableName } = options;
  const expiresAt = () => Math.floor(options.clock().getTime() / 1000) + DONE_TTL_SECONDS;
  const recordKey = (restoreJobId: string) => ({ pk: RECORDS_PK, sk: `${SK_PREFIX}${restoreJobId}` });
  const recordItem = (record: RestoreRecord, claim?: RestoreJobClaim) => {
    // Undefined fields are dropped (the document client refuses them); `open` marks what the sweep reads.
    const item: Record<string, unknown> = {
      pk: RECORDS_PK,
      sk: `${SK_PREFIX}${record.restoreJobId}`,
      record: JSON.parse(JSON.stringify(record)) as RestoreRecord,
    };
    if (record.phase === 'done') item.expiresAt = expiresAt();
    else item.open = 'open';
    if (claim) item[CLAIM_ATTRIBUTE] = { holder: claim.holder, until: claim.until };
    return item;
  };
  const claimItem = (claim: RestoreTokenClaim) => ({
    pk: RECORDS_PK,
    sk: `${CLAIM_PREFIX}${claim.token}`,
    claim: JSON.parse(JSON.stringify(claim)) as RestoreTokenClaim,
    expiresAt: expiresAt(),
  });
  return {
    async get(restoreJobId) {
      const { Item } = await client.send(
        new GetCommand({ TableName: tableName, Key: recordKey(restoreJobId), ConsistentRead: true }),
      );
      return Item ? (Item.record as RestoreRecord) : undefined;
    },
    async put(record, claim) {
      if (!claim) {
        await client.send(new PutCommand({ TableName: tableName, Item: recordItem(record) }));
        return;
      }
      try {
        await client.send(
          new PutCommand({
            TableName: tableName,
            Item: recordItem(record, claim),
            ConditionExpression: '#claim.#holder = :holder',
            ExpressionAttributeNames: { '#claim': CLAIM_ATTRIBUTE, '#holder': 'holder' },
            ExpressionAttributeValues: { ':holder': claim.holder },
          }),
        );
      } catch (error) {
        if (!isConditionFailed(error)) throw error;
        throw new RestoreClaimLostError(
          `restore job ${record.restoreJobId}: the claim of ${claim.holder} was lost before its write`,
          { cause: error },
        );
      }
    },
    async claim(restoreJobId, claim, now, initial) {
      if (initial) {
        try {
          await client.send(
            new PutCommand({
              TableName: tableName,
              Item: recordItem(initial, claim),
              ConditionExpression: 'attribute_not_exists(sk)',
            }),
          );
          return { claimed: true, record: initial };
        } catch (error) {
          if (!isConditionFailed(error)) throw error;
        }
      }
      try {
        // The record is read in the claiming write: a step never acts on a record read before another finished.
        const { Attributes } = await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: recordKey(restoreJobId),
            UpdateExpression: 'SET #claim = :claim',
            ConditionExpression:
              'attribute_exists(sk) AND (attribute_not_exists(#claim) OR #claim.#until < :now)',
            ExpressionAttributeNames: { '#claim': CLAIM_ATTRIBUTE, '#until': 'until' },
            ExpressionAttributeValues: {
              ':claim': { holder: claim.holder, until: claim.until },
              ':now': now.getTime(),
            },
            ReturnValues: 'ALL_NEW',
          }),
        );
        return { claimed: true, record: Attributes?.record as RestoreRecord };
      } catch (error) {
        if (!isConditionFailed(error)) throw error;
      }
      const { Item } = await client.send(
        new GetCommand({ TableName: tableName, Key: recordKey(restoreJobId), ConsistentRead: true }),
      );
      if (!Item) throw new Error(`restore job ${restoreJobId} has no record to claim`);
      const held = Item[CLAIM_ATTRIBUTE] as RestoreJobClaim | undefined;
      // Released a moment ago: another step ran meanwhile; this delivery leaves the job to the next one.
      return { claimed: false, heldBy: held?.holder ?? 'a step that just finished', until: held?.until ?? 0 };
    },
    async release(restoreJobId, claim) {
      try {
        await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: recordKey(restoreJobId),
            UpdateExpression: 'REMOVE #claim',
            ConditionExpression: '#claim.#holder = :holder',
            ExpressionAttributeNames: { '#claim': CLAIM_ATTRIBUTE, '#holder': 'holder' },
            ExpressionAttributeValues: { ':holder': claim.holder },
          }),
        );
      } catch (error) {
        // Not ours any more (expired and taken): nothing to give back.
        if (!isConditionFailed(error)) throw error;
      }
    },
    async create(record) {
      try {
        await client.send(
          new PutCommand({
            TableName: tableName,
            Item: recordItem(record),
            ConditionExpression: 'attribute_not_exists(sk)',
          }),
        );
        return true;
      } catch (error) {
        if (isConditionFailed(error)) return false;
        throw error;
      }
    },
    async claimToken(claim) {
      try {
        await client.send(
          new PutCommand({
            TableName: tableName,
            Item: claimItem(claim),
            ConditionExpression: 'attribute_not_exists(sk)',
          }),
        );
        return undefined;
      } catch (error) {
        if (!isConditionFailed(error)) throw error;
      }
      const { Item } = await client.send(
        new GetCommand({
          TableName: tableName,
          Key: { pk: RECORDS_PK, sk: `${CLAIM_PREFIX}${claim.token}` },
          ConsistentRead: true,
        }),
      );
      // Claimed a moment ago and gone again (it cannot expire that fast): treat it as claimed, without a job.
      return Item ? (Item.claim as RestoreTokenClaim) : { ...claim };
    },
    async updateTokenClaim(claim) {
      await client.send(new PutCommand({ TableName: tableName, Item: claimItem(claim) }));
    },
    async *listOpen() {
      for await (const page of paginateQuery(
        { client, pageSize: 50 },
        {
          TableName: tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :sk)',
          FilterExpression: 'attribute_exists(#open)',
          ExpressionAttributeNames: { '#open': 'open' },
          ExpressionAttributeValues: { ':pk': RECORDS_PK, ':sk': SK_PREFIX },
          ConsistentRead: true,
        },
      )) {
        yield (page.Items ?? []).map((item) => item.record as RestoreRecord);
      }
    },
  };
}

function isConditionFailed(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}
