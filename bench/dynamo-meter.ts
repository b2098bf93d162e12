import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/**
 * DynamoDB requests and capacity units, as the service would bill them on demand, counted on a client: every
 * request asks for `ReturnConsumedCapacity: TOTAL` and the answer's `ConsumedCapacity` is added up (dynalite
 * computes it with DynamoDB's rules: 1 KB a write unit, 4 KB a read unit, half for an eventually consistent
 * read). A conditional write DynamoDB refuses still consumes a write unit: counted as 1 (the items here are
 * under 1 KB), since the error carries no capacity.
 */
export interface DynamoMeter {
  requests: number;
  writeUnits: number;
  readUnits: number;
  byCommand: Record<string, number>;
  reset(): void;
  snapshot(): { requests: number; writeUnits: number; readUnits: number; byCommand: Record<string, number> };
}

const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems']);
const CAPACITY_COMMANDS = new Set([
  ...WRITES,
  'GetItem',
  'BatchGetItem',
  'Query',
  'Scan',
  'TransactGetItems',
]);

interface Capacity {
  CapacityUnits?: number;
}

export function meterDynamo(client: DynamoDBClient): DynamoMeter {
  const meter: DynamoMeter = {
    requests: 0,
    writeUnits: 0,
    readUnits: 0,
    byCommand: {},
    reset() {
      meter.requests = 0;
      meter.writeUnits = 0;
      meter.readUnits = 0;
      meter.byCommand = {};
    },
    snapshot() {
      return {
        requests: meter.requests,
        writeUnits: meter.writeUnits,
        readUnits: meter.readUnits,
        byCommand: { ...meter.byCommand },
      };
    },
  };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      // lib-dynamodb names its commands after the document operation (`PutCommand`); the wire operation is
      // what DynamoDB bills.
      const name = String(context.commandName ?? 'unknown').replace(/Command$/, '');
      const operation = OPERATIONS[name] ?? name;
      meter.requests += 1;
      meter.byCommand[operation] = (meter.byCommand[operation] ?? 0) + 1;
      const input = (args as { input: Record<string, unknown> }).input;
      if (CAPACITY_COMMANDS.has(operation)) input.ReturnConsumedCapacity = 'TOTAL';
      try {
        const result = await next(args);
        const consumed = (result.output as { ConsumedCapacity?: Capacity | Capacity[] }).ConsumedCapacity;
        const units = (Array.isArray(consumed) ? consumed : consumed ? [consumed] : []).reduce(
          (sum, capacity) => sum + (capacity.CapacityUnits ?? 0),
          0,
        );
        if (WRITES.has(operation)) meter.writeUnits += units;
        else meter.readUnits += units;
        return result;
      } catch (error) {
        if (error instanceof Error && error.name === 'ConditionalCheckFailedException') meter.writeUnits += 1;
        throw error;
      }
    },
    { step: 'initialize', name: 'meterDynamo' },
  );
  return meter;
}

/** lib-dynamodb command names → DynamoDB operations. */
const OPERATIONS: Record<string, string> = {
  Put: 'PutItem',
  Get: 'GetItem',
  Update: 'UpdateItem',
  Delete: 'DeleteItem',
  BatchWrite: 'BatchWriteItem',
  BatchGet: 'BatchGetItem',
  TransactWrite: 'TransactWriteItems',
  TransactGet: 'TransactGetItems',
};

/**
 * An item's size as DynamoDB counts it for storage: attribute names and values in UTF-8 (numbers about one byte
 * per two digits plus one, booleans and nulls one byte, lists and maps three bytes plus one per element),
 * plus 100 bytes of per-item overhead. Close to, not exactly, DynamoDB's own figure.
 */
export function storedItemBytes(item: Record<string, unknown>): number {
  return 100 + attributesBytes(item);
}

function attributesBytes(attributes: Record<string, unknown>): number {
  return Object.entries(attributes).reduce(
    (sum, [name, value]) => sum + Buffer.byteLength(name) + valueBytes(value),
    0,
  );
}

function valueBytes(value: unknown): number {
  const attribute = value as Record<string, unknown>;
  if (typeof attribute.S === 'string') return Buffer.byteLength(attribute.S);
  if (typeof attribute.N === 'string') {
    const digits = attribute.N.replace(/[^0-9]/g, '').replace(/^0+/, '').length;
    return Math.ceil(digits / 2) + 1;
  }
  if (attribute.BOOL !== undefined || attribute.NULL !== undefined) return 1;
  if (attribute.B instanceof Uint8Array) return attribute.B.byteLength;
  if (Array.isArray(attribute.L)) {
    return 3 + attribute.L.reduce((sum: number, element) => sum + 1 + valueBytes(element), 0);
  }
  if (attribute.M && typeof attribute.M === 'object') {
    const entries = Object.entries(attribute.M as Record<string, unknown>);
    return (
      3 + entries.reduce((sum, [name, element]) => sum + 1 + Buffer.byteLength(name) + valueBytes(element), 0)
    );
  }
  if (Array.isArray(attribute.SS)) {
    return attribute.SS.reduce((sum: number, text) => sum + Buffer.byteLength(String(text)), 0);
  }
  return 0;
}

/** What a global secondary index's writes depend on, of one base-table item: its size and its index key. */
export interface IndexedImage {
  /** The item's size for capacity (storage size without the 100 bytes of overhead). */
  bytes: number;
  /** The item's index key (`<partition>|<sort>`), undefined when the item is not in the index (a sparse index). */
  indexKey: string | undefined;
  /** Changes on every write of the item (its `version`): tells the items written from those left alone. */
  version: string;
}

/**
 * The write units a global secondary index (all attributes projected) bills for the base-table writes that
 * turned the items `before` into `after` (keyed by primary key), following DynamoDB's documented index writes:
 * an item that enters the index is a put, one that leaves it a delete, one whose index key changes a delete and a
 * put, each 1 write unit per started KB of its image; one that stays with the same index key is an update, billed
 * here by the larger image as the table bills an update (the documentation does not say which: an upper bound).
 * dynalite bills no index, so the bench adds these. An item written twice between the images counts once (a
 * lower bound), and a write that changes nothing is not seen.
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html#GSI.ThroughputConsiderations.Writes
 */
export function indexWriteUnits(
  before: ReadonlyMap<string, IndexedImage>,
  after: ReadonlyMap<string, IndexedImage>,
): number {
  const units = (image: IndexedImage) => Math.max(1, Math.ceil(image.bytes / 1024));
  let total = 0;
  for (const key of new Set([...before.keys(), ...after.keys()])) {
    const old = before.get(key);
    const next = after.get(key);
    if (old && next && old.version === next.version) continue;
    const wasIndexed = old?.indexKey !== undefined;
    const isIndexed = next?.indexKey !== undefined;
    if (old && next && wasIndexed && isIndexed && old.indexKey === next.indexKey) {
      total += units({ ...next, bytes: Math.max(old.bytes, next.bytes) });
      continue;
    }
    if (old && wasIndexed) total += units(old);
    if (next && isIndexed) total += units(next);
  }
  return total;
}

/** An item's {@link IndexedImage} for an index keyed on `partition` and `sort` (AttributeValue form). */
export function indexedImage(item: Record<string, unknown>, partition: string, sort: string): IndexedImage {
  const text = (name: string) => (item[name] as { S?: string } | undefined)?.S;
  const pk = text(partition);
  const sk = text(sort);
  return {
    bytes: storedItemBytes(item) - 100,
    indexKey: pk !== undefined && sk !== undefined ? `${pk}|${sk}` : undefined,
    version: JSON.stringify(item.version ?? item),
  };
}
