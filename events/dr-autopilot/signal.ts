import { createHash } from 'node:crypto';
import * as z from 'zod/mini';
import { truncate, wellFormedDeep } from '../../src/domain/text.ts';
import { lazySchema, parseWith } from '../contract.ts';
import { EnvelopeSchema, eventArn } from '../envelope.ts';
import pattern from './signal.pattern.json' with { type: 'json' };

/**
 * dr-autopilot's own events ("signals") on its custom bus. Every detector (reverse replication, replication
 * monitor, restore validation, alarms, reconciler) emits the same versioned envelope; the readiness publisher
 * folds them into state without knowing which detector sent them. A new detector plugs in by emitting this
 * envelope under a new detail-type: nothing in the publisher changes.
 *
 * A signal either carries an `assessment` (the resource's readiness as of `observedAt`) or is evidence only
 * (recorded for auditors, no state change: e.g. "skipped: drill").
 */
export const SIGNAL_SOURCE = 'dr-autopilot';
export const SIGNAL_VERSION = 1;

export const SIGNAL_TYPES = {
  reversedReplicationStarted: 'Reversed Replication Started',
  reverseReplicationSkipped: 'Reverse Replication Skipped',
  recoveryLaunchFailed: 'Recovery Launch Failed',
  recoveryLaunchSucceeded: 'Recovery Launch Succeeded',
  failbackStateChanged: 'Failback State Changed',
  replicationStatusChanged: 'Replication Status Changed',
  readyToFailBack: 'Ready To Fail Back',
  restoreStarted: 'Restore Started',
  restoreSkipped: 'Restore Skipped',
  restoreTestResult: 'Restore Test Result',
  /** Evidence only: everything a restore test created (and dr-autopilot tagged) is deleted. */
  restoreCleanupFinished: 'Restore Cleanup Finished',
  alarmStateChanged: 'Alarm State Changed',
  /** A protected server moved to another stage of its failover/failback cycle (failback-lifecycle). */
  lifecycleStageChanged: 'Failback Lifecycle Changed',
  /** A drill recovery instance still running past the drill age, or gone again (failback-lifecycle). */
  drillInstanceChanged: 'Drill Instance Changed',
  /** Something a lost AWS event left undone that the reconciler can only report (a restore's leftovers). */
  reconcilerFinding: 'Reconciler Finding',
} as const;
export type SignalType = (typeof SIGNAL_TYPES)[keyof typeof SIGNAL_TYPES];

export const READINESS_STATES = ['READY', 'AT_RISK', 'NOT_READY', 'UNKNOWN'] as const;
export type ReadinessState = (typeof READINESS_STATES)[number];
export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const RESOURCE_TYPES = [
  'drs-source-server',
  'drs-recovery-instance',
  'drs-service',
  /** The outcome of the newest DRS launch (recovery or drill) of a source server: one-shot evidence. */
  'drs-recovery-launch',
  'backup-resource',
  'alarm',
  /** A protected server's failover/failback cycle, across both Regions (keyed by the forward source server). */
  'drs-failback-lifecycle',
  /** A drill recovery instance left running (drill hygiene). */
  'drs-drill-instance',
  /** What a restore test left behind past its expected cleanup (reconciler), keyed by restore job. */
  'restore-leftover',
] as const;
export type ResourceType = (typeof RESOURCE_TYPES)[number];

/** Workload names come from the `dr-autopilot:workload` tag: keep them printable and short. */
export const WORKLOAD_TAG = 'dr-autopilot:workload';
export const RPO_TAG = 'dr-autopilot:rpo';
export const RTO_TAG = 'dr-autopilot:rto';
export const DEFAULT_WORKLOAD = 'default';
/**
 * The workload of dr-autopilot's own checks, which are about the deployment rather than a workload of yours
 * (today: the DRS service in each Region, `drs-service` / `<region>`). Reserved: a workload tag or alarm name
 * that gives it (in any case) counts as {@link DEFAULT_WORKLOAD}, so a user's resources never mix with it.
 */
export const SERVICE_WORKLOAD = 'dr-autopilot';

/** Whether a user-chosen workload name is reserved for dr-autopilot's own checks (compared case-insensitively). */
export function isReservedWorkload(name: string): boolean {
  return name.trim().toLowerCase() === SERVICE_WORKLOAD;
}

const buildSignalDetailSchema = () =>
  z.object({
    version: z.literal(SIGNAL_VERSION),
    /** Deterministic: the same observation always gets the same id, so a redelivered signal is recognisable. */
    signalId: z.string().check(z.minLength(8), z.maxLength(128)),
    resource: z.object({
      type: z.enum(RESOURCE_TYPES),
      id: z.string().check(z.minLength(1), z.maxLength(2048)),
      arn: z.optional(eventArn()),
      region: z.string().check(z.minLength(1)),
      account: z.string().check(z.minLength(1)),
      name: z.optional(z.string()),
    }),
    workload: z.string().check(z.minLength(1), z.maxLength(128)),
    /** When the evidence was observed (not when the signal was sent): orders out-of-order deliveries. */
    observedAt: z.iso.datetime({ offset: true }),
    severity: z.enum(SEVERITIES),
    /** One line for humans, no line breaks. */
    summary: z.string().check(
      z.minLength(1),
      z.maxLength(500),
      z.refine((s) => !/[\r\n]/.test(s), 'must be one line'),
    ),
    assessment: z.optional(
      z.object({
        state: z.enum(READINESS_STATES),
        /** A short reason, fit for an SNS subject (`recovery launch failed for s-1234…`). */
        reason: z.string().check(z.minLength(1), z.maxLength(120)),
        /** What on-call should do next. */
        nextStep: z.optional(z.string().check(z.maxLength(500))),
        /** The README/runbook section to open (an anchor such as `runbook-recovery-launch-failed`). */
        runbook: z.optional(z.string().check(z.maxLength(200))),
      }),
    ),
    evidence: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
    dryRun: z.boolean(),
    /** The id of the event that caused this signal (the correlation id in the logs). */
    correlationId: z.string().check(z.minLength(1)),
  });
/** The signal's detail schema, built on first use ({@link lazySchema}). */
export const signalDetailSchema = lazySchema(buildSignalDetailSchema);
export type SignalDetail = z.infer<ReturnType<typeof buildSignalDetailSchema>>;

/** The signal event's schema, built on first use. */
export const signalEventSchema = lazySchema(() =>
  z.extend(EnvelopeSchema(), {
    source: z.literal(SIGNAL_SOURCE),
    'detail-type': z.enum(Object.values(SIGNAL_TYPES) as [SignalType, ...SignalType[]]),
    detail: signalDetailSchema(),
  }),
);
export type SignalEvent = z.infer<ReturnType<typeof signalEventSchema>>;

/** The rule that routes every signal on the dr-autopilot bus to the readiness publisher. */
export const signalPattern = pattern;

export function parseSignalEvent(input: unknown): SignalEvent {
  return parseWith(signalEventSchema(), input, 'dr-autopilot signal');
}

/** A signal ready to put on the bus. */
export interface Signal {
  type: SignalType;
  detail: SignalDetail;
}

export type SignalInput = Omit<SignalDetail, 'version' | 'signalId' | 'workload'> & {
  type: SignalType;
  workload?: string | undefined;
};

/**
 * Builds a signal, validating it against its own schema (a detector that builds a bad signal fails loudly
 * here, before anything is published) and deriving its deterministic id.
 */
export function createSignal(input: SignalInput): Signal {
  const { type, ...rest } = input;
  const signalId = createHash('sha256')
    .update([type, rest.resource.type, rest.resource.id, rest.observedAt, rest.correlationId].join('|'))
    .digest('hex')
    .slice(0, 32);
  // Every signal's text is well-formed (src/domain/text.ts): a lone surrogate from an alarm name or a tag
  // would otherwise break the SNS Publish of every message that carries it.
  const detail = parseWith(
    signalDetailSchema(),
    wellFormedDeep({
      ...rest,
      workload: rest.workload ?? DEFAULT_WORKLOAD,
      version: SIGNAL_VERSION,
      signalId,
    }),
    `"${type}" signal`,
  );
  return { type, detail };
}

/**
 * The detail-type of a batch of refreshes (the replication monitor's): unchanged findings signalled again so
 * their evidence stays fresh, many resources of one workload in one event instead of one `Replication Status
 * Changed` event each (EventBridge bills every 64 KB chunk of an entry, and the readiness publisher one
 * invocation per event). Not a {@link SignalType}: its detail carries items, each what a per-resource refresh
 * carried (its own deterministic `signalId`, the resource, the assessment, `observedAt`, the evidence with
 * `refresh: true`), around the shared fields of the envelope. Changes, removals and "ready to fail back" stay
 * per-resource signals.
 */
export const REFRESH_BATCH_TYPE = 'Replication Status Refreshed';
/**
 * What each item of a refresh batch is: the observation a per-resource `Replication Status Changed` refresh
 * made (its `signalId` is derived as that signal's). The readiness publisher folds and stores it as one, so a
 * resource's latest observation reads the same whichever way its refresh travelled.
 */
export const REFRESH_ITEM_SIGNAL_TYPE = SIGNAL_TYPES.replicationStatusChanged;
/**
 * A batch's detail stays within this many bytes (UTF-8 JSON): the entry then bills as one 64 KB chunk, far
 * below PutEvents' 256 KB entry limit. A workload with more refreshes is split into several batches.
 */
export const REFRESH_BATCH_MAX_DETAIL_BYTES = 60 * 1024;
/** At most this many items a batch (a bound of the contract; the byte bound is reached first in practice). */
export const REFRESH_BATCH_MAX_ITEMS = 250;

const buildRefreshBatchDetailSchema = () => {
  const signal = signalDetailSchema();
  const item = z.extend(
    z.pick(signal, {
      signalId: true,
      resource: true,
      observedAt: true,
      severity: true,
      summary: true,
      evidence: true,
    }),
    // A refresh always says what the resource's readiness is: that is its point.
    { assessment: signal.shape.assessment.def.innerType },
  );
  return z.object({
    version: z.literal(SIGNAL_VERSION),
    /** Deterministic: the same items of the same sweep always make the same batch id. */
    batchId: z.string().check(z.minLength(8), z.maxLength(128)),
    workload: signal.shape.workload,
    /** The sweep's time: every item was observed then. */
    observedAt: signal.shape.observedAt,
    /** This batch's place among the sweep's batches of the workload (1-based), for readers of the bus. */
    part: z.object({
      index: z.number().check(z.int(), z.minimum(1)),
      of: z.number().check(z.int(), z.minimum(1)),
    }),
    items: z.array(item).check(z.minLength(1), z.maxLength(REFRESH_BATCH_MAX_ITEMS)),
    dryRun: signal.shape.dryRun,
    correlationId: signal.shape.correlationId,
  });
};
/** A refresh batch's detail schema, built on first use. */
export const refreshBatchDetailSchema = lazySchema(buildRefreshBatchDetailSchema);
export type RefreshBatchDetail = z.infer<ReturnType<typeof buildRefreshBatchDetailSchema>>;
export type RefreshBatchItem = RefreshBatchDetail['items'][number];

/** A refresh batch's event schema, built on first use. */
export const refreshBatchEventSchema = lazySchema(() =>
  z.extend(EnvelopeSchema(), {
    source: z.literal(SIGNAL_SOURCE),
    'detail-type': z.literal(REFRESH_BATCH_TYPE),
    detail: refreshBatchDetailSchema(),
  }),
);
export type RefreshBatchEvent = z.infer<ReturnType<typeof refreshBatchEventSchema>>;

/** A refresh batch ready to put on the bus. */
export interface RefreshBatch {
  type: typeof REFRESH_BATCH_TYPE;
  detail: RefreshBatchDetail;
}

/** Anything dr-autopilot puts on its bus: a signal, or a batch of refreshes. */
export type BusEvent = Signal | RefreshBatch;
export type BusEventDelivery = SignalEvent | RefreshBatchEvent;

export function isRefreshBatch(event: BusEvent): event is RefreshBatch {
  return event.type === REFRESH_BATCH_TYPE;
}

export function isRefreshBatchEvent(event: BusEventDelivery): event is RefreshBatchEvent {
  return event['detail-type'] === REFRESH_BATCH_TYPE;
}

/**
 * Parses what the readiness publisher's rule delivers: a refresh batch by its detail-type, any other
 * dr-autopilot event as a signal. Throws {@link InvalidEventError} naming every failing field.
 */
export function parseBusEvent(input: unknown): BusEventDelivery {
  const detailType =
    typeof input === 'object' && input !== null
      ? (input as Record<string, unknown>)['detail-type']
      : undefined;
  return detailType === REFRESH_BATCH_TYPE
    ? parseWith(refreshBatchEventSchema(), input, `dr-autopilot "${REFRESH_BATCH_TYPE}" event`)
    : parseSignalEvent(input);
}

/** The bytes of a detail as PutEvents carries it (UTF-8 JSON). */
function detailBytes(detail: unknown): number {
  return Buffer.byteLength(JSON.stringify(detail));
}

/**
 * Packs refresh signals (built and validated by {@link createSignal}, one per resource) into as few batches as
 * the bounds allow: grouped by workload (in the order first seen), each batch's detail at most
 * {@link REFRESH_BATCH_MAX_DETAIL_BYTES} and {@link REFRESH_BATCH_MAX_ITEMS} items. Each item keeps its signal's
 * id, resource, assessment, observation time and evidence. The signals of one call share `observedAt`,
 * `dryRun` and `correlationId` (one sweep); an item too big for a batch of its own still goes alone.
 */
export function createRefreshBatches(signals: readonly Signal[]): RefreshBatch[] {
  const byWorkload = new Map<string, Signal[]>();
  for (const signal of signals) {
    const group = byWorkload.get(signal.detail.workload) ?? [];
    group.push(signal);
    byWorkload.set(signal.detail.workload, group);
  }
  return [...byWorkload.entries()].flatMap(([workload, group]) => batchesOf(workload, group));
}

function batchesOf(workload: string, signals: readonly Signal[]): RefreshBatch[] {
  const first = signals[0]?.detail;
  if (!first) return [];
  const shared = {
    version: SIGNAL_VERSION,
    batchId: 'x'.repeat(32),
    workload,
    observedAt: first.observedAt,
    part: { index: 999, of: 999 },
    items: [] as RefreshBatchItem[],
    dryRun: first.dryRun,
    correlationId: first.correlationId,
  };
  const overhead = detailBytes(shared);
  const groups: RefreshBatchItem[][] = [];
  let current: RefreshBatchItem[] = [];
  let bytes = overhead;
  for (const signal of signals) {
    const { signalId, resource, observedAt, severity, summary, assessment, evidence } = signal.detail;
    if (!assessment) throw new Error(`refresh ${signalId} has no assessment: only assessed findings refresh`);
    if (signal.type !== REFRESH_ITEM_SIGNAL_TYPE) {
      throw new Error(
        `refresh ${signalId} is a "${signal.type}" signal: only "${REFRESH_ITEM_SIGNAL_TYPE}" refreshes batch`,
      );
    }
    const item: RefreshBatchItem = {
      signalId,
      resource,
      observedAt,
      severity,
      summary,
      assessment,
      evidence,
    };
    // Each item after the first adds a comma.
    const size = detailBytes(item);
    const full =
      bytes + 1 + size > REFRESH_BATCH_MAX_DETAIL_BYTES || current.length >= REFRESH_BATCH_MAX_ITEMS;
    if (current.length > 0 && full) {
      groups.push(current);
      current = [];
      bytes = overhead;
    }
    bytes += size + (current.length > 0 ? 1 : 0);
    current.push(item);
  }
  groups.push(current);
  return groups.map((items, index) => {
    const batchId = createHash('sha256')
      .update(
        [
          REFRESH_BATCH_TYPE,
          workload,
          shared.observedAt,
          shared.correlationId,
          ...items.map((item) => item.signalId),
        ].join('|'),
      )
      .digest('hex')
      .slice(0, 32);
    const detail = parseWith(
      refreshBatchDetailSchema(),
      { ...shared, batchId, part: { index: index + 1, of: groups.length }, items },
      `"${REFRESH_BATCH_TYPE}" event`,
    );
    return { type: REFRESH_BATCH_TYPE, detail };
  });
}

/**
 * The workload a resource belongs to, from its tags (`dr-autopilot:workload`, default `default`). The reserved
 * {@link SERVICE_WORKLOAD} is not a user's to choose: it counts as `default`.
 */
export function workloadFromTags(tags: Record<string, string> | undefined): string {
  const value = tags?.[WORKLOAD_TAG]?.trim();
  return value && value.length > 0 && !isReservedWorkload(value)
    ? truncate(value, 128, '')
    : DEFAULT_WORKLOAD;
}
