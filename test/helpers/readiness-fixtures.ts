import { randomUUID } from 'node:crypto';
import { type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import {
  type BusEvent,
  type BusEventDelivery,
  createSignal,
  parseBusEvent,
  parseSignalEvent,
  type ReadinessState,
  type ResourceType,
  SIGNAL_SOURCE,
  SIGNAL_TYPES,
  type SignalEvent,
  type SignalType,
} from '../../events/dr-autopilot/signal.ts';
import { toPutEventsEntry } from '../../src/adapters/eventbridge-signals.ts';
import { createDynamoDbReadinessStore } from '../../src/adapters/readiness-store.ts';
import type { ReadinessDeps } from '../../src/app/readiness.ts';
import { DEFAULT_READINESS_POLICY, type ReadinessPolicy } from '../../src/domain/readiness.ts';
import type { Notification, Notifier } from '../../src/ports/notifier.ts';
import { ACCOUNT } from './context.ts';
import { createReadinessTable } from './dynalite.ts';

export const T0 = Date.parse('2026-11-22T10:00:00.000Z');
export const minute = (n: number) => new Date(T0 + n * 60_000);

export interface SignalOptions {
  workload?: string;
  resourceId?: string;
  resourceType?: ResourceType;
  state?: ReadinessState | undefined;
  observedAt?: Date;
  type?: SignalType;
  dryRun?: boolean;
  correlationId?: string;
  region?: string;
}

/**
 * What a detector put on the bus (a signal or a refresh batch) as EventBridge delivers it to the readiness
 * publisher, schema-checked on the way as the handler does (a fresh object each call).
 */
export function delivered(event: BusEvent, region = 'us-west-2'): BusEventDelivery {
  const entry = toPutEventsEntry(event, 'bus');
  return parseBusEvent({
    version: '0',
    id: randomUUID(),
    'detail-type': entry.DetailType,
    source: entry.Source,
    account: ACCOUNT,
    time: event.detail.observedAt,
    region,
    resources: entry.Resources,
    detail: structuredClone(event.detail),
  });
}

/** A dr-autopilot signal event as EventBridge delivers it (a fresh object each call). */
export function signalEvent(options: SignalOptions = {}): SignalEvent {
  const state = 'state' in options ? options.state : 'READY';
  const type = options.type ?? SIGNAL_TYPES.replicationStatusChanged;
  const resourceId = options.resourceId ?? 's-12345678901234567';
  const observedAt = (options.observedAt ?? minute(0)).toISOString();
  const region = options.region ?? 'us-west-2';
  const signal = createSignal({
    type,
    resource: {
      type: options.resourceType ?? 'drs-source-server',
      id: resourceId,
      arn: `arn:aws:drs:${region}:${ACCOUNT}:source-server/${resourceId}`,
      region,
      account: ACCOUNT,
    },
    workload: options.workload ?? 'payments',
    observedAt,
    severity: state === 'NOT_READY' ? 'critical' : state === 'READY' || !state ? 'info' : 'warning',
    summary: `${resourceId} observed ${state ?? 'evidence only'} at ${observedAt}`,
    ...(state
      ? {
          assessment: {
            state,
            reason: `${resourceId} is ${state.toLowerCase().replace('_', ' ')}`,
            nextStep: `Look at ${resourceId}.`,
            runbook: 'runbook-replication',
          },
        }
      : {}),
    evidence: { observed: observedAt, state: state ?? null },
    dryRun: options.dryRun ?? false,
    correlationId: options.correlationId ?? randomUUID(),
  });
  return parseSignalEvent({
    version: '0',
    id: randomUUID(),
    'detail-type': signal.type,
    source: SIGNAL_SOURCE,
    account: ACCOUNT,
    time: observedAt,
    region,
    resources: signal.detail.resource.arn ? [signal.detail.resource.arn] : [],
    detail: signal.detail,
  });
}

/** A signal event as raw JSON, loosely typed so tests can break it. */
export type RawSignalEvent = {
  'detail-type': string;
  detail: {
    assessment?: Record<string, unknown>;
    workload?: string;
    summary?: string;
    [field: string]: unknown;
  };
  [field: string]: unknown;
};

/** The same event as raw JSON (what the Lambda handler receives). */
export function rawEvent(event: SignalEvent): RawSignalEvent {
  return JSON.parse(JSON.stringify(event)) as RawSignalEvent;
}

/** An AWS sample alarm event, loosely typed so tests can rename or break it. */
export type AlarmSample = {
  detail: {
    alarmName: string;
    state?: { value: string; [field: string]: unknown };
    [field: string]: unknown;
  };
  resources: string[];
  [field: string]: unknown;
};

/** A notifier that records what it sent; it can be told to fail the next N calls. */
export function recordingNotifier(): Notifier & { sent: Notification[]; failNext: (count: number) => void } {
  const sent: Notification[] = [];
  let failures = 0;
  return {
    sent,
    failNext(count) {
      failures = count;
    },
    async notify(notification) {
      if (failures > 0) {
        failures -= 1;
        throw new Error('SNS is unavailable (test)');
      }
      sent.push(notification);
      return { messageId: `message-${sent.length}` };
    },
  };
}

/** A clock tests move by hand. */
export function manualClock(start = minute(0)) {
  let now = start;
  const clock = () => now;
  clock.set = (date: Date) => {
    now = date;
  };
  return clock;
}

/** A fresh readiness table on `client` and publisher dependencies around it. */
export async function readinessDeps(
  client: DynamoDBClient,
  options: { policy?: Partial<ReadinessPolicy>; clock?: () => Date; notifier?: Notifier } = {},
) {
  const tableName = `readiness-${randomUUID()}`;
  await createReadinessTable(client, tableName);
  const clock = options.clock ?? (() => minute(0));
  const notifier = options.notifier ?? recordingNotifier();
  const deps: ReadinessDeps = {
    store: createDynamoDbReadinessStore({ client, tableName, clock, historyRetentionSeconds: 90 * 86_400 }),
    notifier,
    clock,
    policy: { ...DEFAULT_READINESS_POLICY, ...options.policy },
    messages: { stage: 'test', region: 'us-west-2', runbookUrl: 'docs/runbook.md' },
  };
  return { deps, tableName };
}

/** Every item of a table (to compare before/after). */
export async function scanAll(client: DynamoDBClient, tableName: string) {
  const { Items = [] } = await client.send(new ScanCommand({ TableName: tableName, ConsistentRead: true }));
  return Items.sort((a, b) => `${a.pk?.S}|${a.sk?.S}`.localeCompare(`${b.pk?.S}|${b.sk?.S}`));
}
