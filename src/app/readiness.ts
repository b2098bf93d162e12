import { randomUUID } from 'node:crypto';
import * as z from 'zod/mini';
import { parseWith } from '../../events/contract.ts';
import {
  type BusEventDelivery,
  isRefreshBatchEvent,
  REFRESH_ITEM_SIGNAL_TYPE,
  type ReadinessState,
  type RefreshBatchEvent,
  type SignalDetail,
  type SignalEvent,
} from '../../events/dr-autopilot/signal.ts';
import { RetryableDependencyError } from '../domain/errors.ts';
import {
  countStates,
  foldObservation,
  homeWorkloadOf,
  moveInWorkload,
  NO_RESOURCES,
  observationOf,
  type ReadinessPolicy,
  type ResourceReadiness,
  resourceKey,
  retireFromWorkload,
  retirementOf,
  STATE_RANK,
  sameCounts,
  settle,
  sweepResource,
  type TransitionTrigger,
  toIsoUtc,
  type WorkloadTransition,
  type WorkloadUpdate,
} from '../domain/readiness.ts';
import { type MessageContext, type ResourceView, renderTransitionMessage } from '../domain/sns-message.ts';
import type { Notifier } from '../ports/notifier.ts';
import {
  type HistoryRecord,
  type OutboxEntry,
  type ReadinessStore,
  ReadinessVersionConflictError,
  type StoredResource,
  type StoredWorkload,
  type TransitionRecord,
  type WorkloadWrite,
} from '../ports/readiness.ts';
import type { Clock } from '../ports/signals.ts';
import { isTaskInput } from '../runtime/handler.ts';
import { persistUntilDeadline } from '../runtime/persist-until-deadline.ts';
import { boundedMap } from './bounded-map.ts';

/**
 * The readiness publisher: the single writer of readiness state (DESIGN.md §4).
 * Input: a schema-checked dr-autopilot signal (any detail-type: the publisher reads only the envelope).
 * Steps: evidence-only signal → history only. An observation confirming the resource's announced state (nothing
 * pending, newer than what is held) → one conditional write of the resource, nothing else. Otherwise read the
 * resource and its workload together → fold the observation (duplicate, out of order, applied) → one
 * transaction: the resource (conditional on its version) and the signal's history item, and on an announced
 * change the workload's counts and state (conditional on its version) and the change's history item; a
 * workload transition goes into the workload's outbox in the same transaction (retry all on conflict) → send
 * the outbox (SNS) → clear the outbox entry and hold its history record, in one write. Four requests for a
 * transition, whatever the workload's size (one more to list its open resources when others than the one that
 * changed are open).
 * Output: what happened, including the transitions published.
 *
 * Exactly one invocation commits a given workload transition (the version check), and that invocation holds
 * the outbox entry's claim: no duplicate message in normal operation. If it fails before clearing the
 * outbox, whoever next touches the workload once the claim has expired (a redelivery, another signal, the
 * sweep every 5 minutes) sends it: at least once, never lost.
 */
export interface ReadinessDeps {
  store: ReadinessStore;
  notifier: Notifier;
  clock: Clock;
  policy: ReadinessPolicy;
  messages: MessageContext;
  /** How long the writer of a transition holds its outbox entry before others may send it (default 120 s). */
  claimSeconds?: number;
  /**
   * How long a new workload's first report, when READY, waits before it may be sent (default 60 s): signals
   * that arrive with it (a failover's launch result and its reversal, a sweep's batch) may change it, and then
   * the first report says the state they leave, once. It is sent by the sweep (every 5 minutes) or by whoever
   * next touches the workload after the wait.
   */
  firstReportHoldSeconds?: number;
  /** Conditional-write attempts before giving up with a retryable error (default 100). */
  maxAttempts?: number;
  /** Pause between conflicting attempts (default: a short random backoff). */
  backoff?: (attempt: number) => Promise<void>;
  /**
   * The invocation's remaining time (the Lambda context's). The write that clears a sent outbox entry is retried
   * until shortly before it runs out, whatever the SDK's retry quota says: failing it makes the redelivery send
   * the message again. Without it (tests, tools), that write gets the SDK's retries only.
   */
  remainingMs?: () => number;
  /** The retry loop's pause (tests): default a timer. */
  sleep?: (ms: number) => Promise<void>;
}

export interface PublishedTransition {
  id: string;
  workload: string;
  from: string | null;
  to: string;
  messageId: string | null;
}

export type ReadinessOutcome =
  | { action: 'evidence-recorded'; signalId: string; workload: string; resourceKey: string }
  | {
      action: 'duplicate';
      signalId: string;
      workload: string;
      resourceKey: string;
      published: PublishedTransition[];
    }
  | {
      action: 'out-of-order';
      signalId: string;
      workload: string;
      resourceKey: string;
      heldObservedAt: string;
    }
  | {
      action: 'applied';
      signalId: string;
      workload: string;
      resourceKey: string;
      resourceState: string;
      announced: { from: string | null; to: string } | null;
      pendingState: string | null;
      published: PublishedTransition[];
    };

const defaultBackoff = (attempt: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, Math.random() * Math.min(100, 5 * attempt)));

function attempts(deps: ReadinessDeps): number {
  return deps.maxAttempts ?? 100;
}

function conflictExhausted(what: string, count: number, cause: unknown): RetryableDependencyError {
  return new RetryableDependencyError(`${what}: still conflicting after ${count} attempts`, { cause });
}

export async function applySignal(event: SignalEvent, deps: ReadinessDeps): Promise<ReadinessOutcome> {
  return applyDetail(event['detail-type'], event.detail, deps);
}

/**
 * One signal's detail (or one item of a refresh batch, as a detail), folded under `signalType`; `onConfirmed`
 * is called when it took the shortest path (one conditional write confirming the announced state).
 */
async function applyDetail(
  signalType: string,
  detail: SignalDetail,
  deps: ReadinessDeps,
  onConfirmed?: () => void,
): Promise<ReadinessOutcome> {
  const { workload, signalId } = detail;
  const key = resourceKey(detail.resource);
  const observation = observationOf(signalType, detail);
  const signalRecord = {
    kind: 'signal' as const,
    workload,
    resourceKey: key,
    resource: detail.resource,
    at: toIsoUtc(detail.observedAt),
    signalType,
    signalId,
    severity: detail.severity,
    summary: detail.summary,
    state: detail.assessment?.state ?? null,
    evidence: detail.evidence,
    dryRun: detail.dryRun,
    correlationId: detail.correlationId,
  };
  if (!observation) {
    await deps.store.record(signalRecord);
    return { action: 'evidence-recorded', signalId, workload, resourceKey: key };
  }

  // The common case, every healthy resource every refresh: the observation confirms the announced state. One
  // conditional write, no read, no history item (the resource item holds the latest evidence).
  if (await deps.store.refreshResource({ workload, resource: detail.resource, observation })) {
    onConfirmed?.();
    return {
      action: 'applied',
      signalId,
      workload,
      resourceKey: key,
      resourceState: observation.state,
      announced: null,
      pendingState: null,
      published: [],
    };
  }

  // Each invocation claims the transitions it commits under its own name: a concurrent redelivery of the
  // same signal must not send them too.
  const claimant = `${signalId}/${randomUUID()}`;
  let lastConflict: unknown;
  for (let attempt = 1; attempt <= attempts(deps); attempt++) {
    const { resource: current, workload: held } = await deps.store.getResourceAndWorkload(workload, key);
    const result = foldObservation(
      current?.readiness,
      { workload, resource: detail.resource },
      observation,
      deps.policy,
    );
    if (result.kind === 'duplicate') {
      // Nothing changes; only send what a failed earlier delivery may have left in the outbox.
      const published = held
        ? await flushOutbox(held, claimable(held, claimant, deps), claimant, new Set(), deps)
        : [];
      return { action: 'duplicate', signalId, workload, resourceKey: key, published };
    }
    if (result.kind === 'out-of-order') {
      await deps.store.record(signalRecord);
      return {
        action: 'out-of-order',
        signalId,
        workload,
        resourceKey: key,
        heldObservedAt: result.heldObservedAt,
      };
    }
    let committed: Committed;
    try {
      committed = await commitResource(
        { readiness: result.next, previous: current, announced: result.announced, workload: held },
        [signalRecord],
        claimant,
        deps,
      );
    } catch (error) {
      if (!(error instanceof ReadinessVersionConflictError)) throw error;
      lastConflict = error;
      await (deps.backoff ?? defaultBackoff)(attempt);
      continue;
    }
    const published = await sendCommitted(committed, claimant, deps);
    return {
      action: 'applied',
      signalId,
      workload,
      resourceKey: key,
      resourceState: result.next.state,
      announced: result.announced ? { from: result.announced.from ?? null, to: result.announced.to } : null,
      pendingState: pendingStateOf(result.next) ?? null,
      published,
    };
  }
  throw conflictExhausted(`resource ${key} of workload ${workload}`, attempts(deps), lastConflict);
}

/** What a refresh batch did, item by item counted: the one line the invocation logs. */
export interface RefreshBatchOutcome {
  action: 'refresh-batch';
  batchId: string;
  workload: string;
  part: { index: number; of: number };
  items: number;
  /** Items that confirmed the announced state in one conditional write. */
  confirmed: number;
  /** Items folded the long way (a pending downgrade broken, a state that differs, a resource new to the table). */
  applied: number;
  duplicate: number;
  outOfOrder: number;
  published: PublishedTransition[];
}

/** Items of one batch folded at once: each is a conditional write (or the long way), never the same resource. */
export const REFRESH_BATCH_CONCURRENCY = 4;

/**
 * A `Replication Status Refreshed` batch: each item folded exactly as the per-resource refresh it replaces (as a
 * `Replication Status Changed` observation, {@link REFRESH_ITEM_SIGNAL_TYPE}: the same one conditional write when
 * it confirms the announced state, the long way otherwise), a few at a time.
 * Every item is tried, whatever happens to the others, so one that keeps failing does not leave the rest of
 * the workload to go stale; then, if any failed, the invocation fails with the first error (Lambda retries the
 * whole batch: an item already applied is refused by its write's condition and recognised as a duplicate by its
 * signal id, so it changes nothing).
 */
export async function applyRefreshBatch(
  event: RefreshBatchEvent,
  deps: ReadinessDeps,
): Promise<RefreshBatchOutcome> {
  const { detail } = event;
  const outcome: RefreshBatchOutcome = {
    action: 'refresh-batch',
    batchId: detail.batchId,
    workload: detail.workload,
    part: detail.part,
    items: detail.items.length,
    confirmed: 0,
    applied: 0,
    duplicate: 0,
    outOfOrder: 0,
    published: [],
  };
  const failures: { signalId: string; error: unknown }[] = [];
  await boundedMap(detail.items, REFRESH_BATCH_CONCURRENCY, async (item) => {
    let confirmed = false;
    try {
      const result = await applyDetail(
        REFRESH_ITEM_SIGNAL_TYPE,
        {
          ...item,
          version: detail.version,
          workload: detail.workload,
          dryRun: detail.dryRun,
          correlationId: detail.correlationId,
        },
        deps,
        () => {
          confirmed = true;
        },
      );
      count(outcome, result, confirmed);
    } catch (error) {
      failures.push({ signalId: item.signalId, error });
    }
  });
  const [first] = failures;
  if (first) {
    const error = first.error instanceof Error ? first.error : new Error(String(first.error));
    error.message = `refresh batch ${detail.batchId} (${detail.workload}): ${failures.length} of ${detail.items.length} item(s) failed, first ${first.signalId}: ${error.message}`;
    throw error;
  }
  return outcome;
}

function count(outcome: RefreshBatchOutcome, result: ReadinessOutcome, confirmed: boolean): void {
  if (confirmed) outcome.confirmed += 1;
  else if (result.action === 'duplicate') outcome.duplicate += 1;
  else if (result.action === 'out-of-order') outcome.outOfOrder += 1;
  else outcome.applied += 1;
  if (result.action === 'duplicate' || result.action === 'applied')
    outcome.published.push(...result.published);
}

/** What the publisher's signal rule delivers: a refresh batch, or one signal. */
export async function applyBusEvent(
  event: BusEventDelivery,
  deps: ReadinessDeps,
): Promise<ReadinessOutcome | RefreshBatchOutcome> {
  return isRefreshBatchEvent(event) ? applyRefreshBatch(event, deps) : applySignal(event, deps);
}

/** What a committed change leaves to send: the workload as written, and the outbox entries this writer owes. */
interface Committed {
  workload: StoredWorkload | undefined;
  owed: OutboxEntry[];
  /** Entries already claimed by this writer (its own new transition). */
  held: ReadonlySet<string>;
  /** Resources whose view is known as of the write (the one that changed). */
  known: ResourceView[];
}

const NOTHING_COMMITTED: Committed = { workload: undefined, owed: [], held: new Set(), known: [] };

/**
 * Commits a resource's new readiness (conditional on the version read) with `history`, in one transaction. An
 * announced change also moves the resource in its workload's counts (conditional on the workload's version
 * read): a change of the workload's worst state is a transition, committed into the outbox in the same
 * transaction, claimed by `claimant`. Throws {@link ReadinessVersionConflictError} when either changed since.
 */
async function commitResource(
  change: {
    readiness: ResourceReadiness;
    previous: StoredResource | undefined;
    announced: { from?: ReadinessState | undefined; to: ReadinessState } | undefined;
    workload: StoredWorkload | undefined;
  },
  history: HistoryRecord[],
  claimant: string,
  deps: ReadinessDeps,
): Promise<Committed> {
  const { readiness, previous, announced, workload: current } = change;
  const resource = { put: readiness, expectedVersion: previous?.version };
  if (!announced) {
    // Its workload does not change: two plain writes bill half what a transaction does (the history item first,
    // so a failure between leaves the evidence recorded and the redelivery folds the signal again).
    for (const record of history) await deps.store.record(record);
    await deps.store.putResource(readiness, previous?.version);
    return NOTHING_COMMITTED;
  }
  const version = (previous?.version ?? 0) + 1;
  const key = resourceKey(readiness.resource);
  const update = moveInWorkload(
    { state: current?.state, since: current?.since, counts: current?.counts ?? NO_RESOURCES },
    previous?.readiness.state,
    readiness.state,
    readiness.since,
  );
  const planned = planWorkloadWrite(current, readiness.workload, update, deps, claimant, () => ({
    resourceKey: key,
    resource: readiness.resource,
    state: readiness.state,
    since: readiness.since,
    cause: readiness.cause,
  }));
  await deps.store.commit({
    resource,
    workload: planned.write,
    history: [
      ...history,
      {
        kind: 'resource-transition',
        workload: readiness.workload,
        resourceKey: key,
        resource: readiness.resource,
        at: readiness.since,
        from: announced.from ?? null,
        to: readiness.state,
        version,
        reason: readiness.cause.reason,
        signalId: readiness.cause.signalId,
      },
    ],
  });
  return { ...planned.committed, known: [toResourceView({ readiness })] };
}

/**
 * The workload write that goes with a change of its counts (`update`), conditional on the version read: a change
 * of its state goes into the outbox (claimed by `claimant`, or held when it is a new workload's READY first
 * report), replacing a READY first report still held; sent transitions held on the item move to history.
 */
function planWorkloadWrite(
  current: StoredWorkload | undefined,
  workload: string,
  update: WorkloadUpdate,
  deps: ReadinessDeps,
  claimant: string,
  trigger: () => TransitionTrigger,
  dryRun = false,
): { write: WorkloadWrite; committed: Omit<Committed, 'known'> } {
  const version = (current?.version ?? 0) + 1;
  const now = deps.clock();
  // A change while the workload's READY first report still waits replaces it: the first report says the
  // state now, once (not READY, then at once NOT READY).
  const superseded = update.transition ? heldFirstReport(current, now.toISOString()) : undefined;
  const cause = update.transition && trigger();
  const transition: WorkloadTransition | undefined = update.transition &&
    cause && {
      id: `t${String(version).padStart(10, '0')}`,
      workload,
      from: superseded ? undefined : update.transition.from,
      to: update.transition.to,
      at: update.since,
      trigger: cause,
      dryRun: cause.retired ? dryRun : cause.cause.dryRun,
    };
  // A new workload's first report, when READY, waits for what arrives with it (see firstReportHoldSeconds).
  const held = transition !== undefined && transition.from === undefined && transition.to === 'READY';
  const outbox: OutboxEntry | undefined = transition && {
    transition,
    claimedBy: held ? FIRST_REPORT_HOLD : claimant,
    claimedUntil: new Date(
      now.getTime() + (held ? (deps.firstReportHoldSeconds ?? 60) : (deps.claimSeconds ?? 120)) * 1000,
    ).toISOString(),
  };
  const write: WorkloadWrite = {
    workload,
    expectedVersion: current?.version,
    state: update.state,
    since: update.since,
    counts: update.counts,
    updatedAt: now.toISOString(),
    outbox,
    supersedes: superseded && { id: superseded.transition.id, claimedBy: FIRST_REPORT_HOLD },
    archive: current?.notified,
  };
  const owed = [
    ...(outbox && !held ? [outbox] : []),
    ...(current ? claimable(current, claimant, deps) : []).filter(
      (entry) => entry.transition.id !== superseded?.transition.id,
    ),
  ];
  const written: StoredWorkload = {
    workload,
    state: update.state,
    since: update.since,
    counts: update.counts,
    legacy: false,
    outbox: {},
    notified: [],
    updatedAt: now.toISOString(),
    version,
  };
  return {
    write,
    committed: { workload: written, owed, held: new Set(outbox && !held ? [outbox.transition.id] : []) },
  };
}

async function sendCommitted(
  committed: Committed,
  claimant: string,
  deps: ReadinessDeps,
): Promise<PublishedTransition[]> {
  if (!committed.workload) return [];
  return flushOutbox(committed.workload, committed.owed, claimant, committed.held, deps, committed.known);
}

/** Who holds a new workload's READY first report while it waits (no invocation is named so). */
export const FIRST_REPORT_HOLD = 'held:first-report';

/** A READY first report still waiting at `now` (superseded, not sent, by a change of the workload meanwhile). */
function heldFirstReport(workload: StoredWorkload | undefined, now: string): OutboxEntry | undefined {
  return Object.values(workload?.outbox ?? {}).find(
    (entry) => entry.claimedBy === FIRST_REPORT_HOLD && entry.claimedUntil > now,
  );
}

/** Outbox entries this claimant may send: its own, or those whose claim has expired. */
function claimable(workload: StoredWorkload, claimant: string, deps: ReadinessDeps): OutboxEntry[] {
  const now = deps.clock().toISOString();
  return Object.values(workload.outbox).filter(
    (entry) => entry.claimedBy === claimant || entry.claimedUntil < now,
  );
}

/** How many open resources a message lists at most: it reads no more, whatever the workload's size. */
export const MESSAGE_RESOURCE_LIMIT = 100;

/**
 * The open resources a message about `workload` lists: none when its counts say all are READY, the ones
 * `known` (just written) when they are all, otherwise the worst {@link MESSAGE_RESOURCE_LIMIT} from the
 * open-resources index, with what is known overriding what the index (eventually consistent) still shows.
 */
async function openViews(
  workload: StoredWorkload,
  known: readonly ResourceView[],
  deps: ReadinessDeps,
): Promise<ResourceView[]> {
  const { READY: _ready, ...open } = workload.counts;
  const openTotal = Object.values(open).reduce((sum, count) => sum + count, 0);
  if (openTotal === 0) return [];
  const knownOpen = known.filter((view) => view.state !== 'READY');
  if (knownOpen.length >= openTotal) return knownOpen;
  const listed = await deps.store.listOpenResources(workload.workload, MESSAGE_RESOURCE_LIMIT);
  const views = new Map(
    listed.map((stored) => [resourceKey(stored.readiness.resource), toResourceView(stored)]),
  );
  for (const view of known) {
    if (view.state === 'READY') views.delete(view.key);
    else views.set(view.key, view);
  }
  return [...views.values()];
}

/** Sends outbox entries, oldest first: claim (unless already held), publish, then clear and record in one write. */
async function flushOutbox(
  workload: StoredWorkload,
  entries: OutboxEntry[],
  claimant: string,
  held: ReadonlySet<string>,
  deps: ReadinessDeps,
  known: readonly ResourceView[] = [],
): Promise<PublishedTransition[]> {
  if (entries.length === 0) return [];
  const published: PublishedTransition[] = [];
  let views: ResourceView[] | undefined;
  const ordered = [...new Map(entries.map((entry) => [entry.transition.id, entry])).values()].sort((a, b) =>
    a.transition.id.localeCompare(b.transition.id),
  );
  for (const entry of ordered) {
    const { transition } = entry;
    if (!held.has(transition.id)) {
      const now = deps.clock();
      const until = new Date(now.getTime() + (deps.claimSeconds ?? 120) * 1000).toISOString();
      const claimed = await deps.store.claimOutbox(
        workload.workload,
        transition.id,
        claimant,
        until,
        now.toISOString(),
      );
      if (!claimed) continue;
    }
    views ??= await openViews(workload, known, deps);
    const message = renderTransitionMessage(transition, views, deps.messages, workload.counts);
    const { messageId } = await deps.notifier.notify(message);
    // Out of the outbox as soon as SNS has answered, in the same write as its history record, retried until the
    // invocation is about to time out (see ReadinessDeps.remainingMs): only a Publish applied whose answer is
    // lost, an invocation that dies in the moment between, or DynamoDB failing this write for the whole rest of
    // the invocation can make another sender publish it again (docs/readiness.md).
    const record: TransitionRecord = {
      kind: 'transition',
      workload: workload.workload,
      at: transition.at,
      transitionId: transition.id,
      from: transition.from ?? null,
      to: transition.to,
      resourceKey: transition.trigger.resourceKey,
      reason: transition.trigger.cause.reason,
      notifiedAt: deps.clock().toISOString(),
      messageId: messageId ?? null,
    };
    await persistUntilDeadline(() => deps.store.completeOutbox(workload.workload, transition.id, record), {
      remainingMs: deps.remainingMs ?? (() => 0),
      sleep: deps.sleep,
    });
    published.push({
      id: transition.id,
      workload: workload.workload,
      from: transition.from ?? null,
      to: transition.to,
      messageId: messageId ?? null,
    });
  }
  return published;
}

function pendingStateOf(readiness: ResourceReadiness): ResourceReadiness['state'] | undefined {
  const levels = Object.keys(readiness.pending) as ResourceReadiness['state'][];
  return levels.sort((a, b) => STATE_RANK[b] - STATE_RANK[a])[0];
}

/** A stored resource as messages and the status table show it. */
export function toResourceView(stored: Pick<StoredResource, 'readiness'>): ResourceView {
  const { readiness } = stored;
  return {
    key: resourceKey(readiness.resource),
    resource: readiness.resource,
    state: readiness.state,
    since: readiness.since,
    reason: readiness.cause.reason,
    nextStep: readiness.cause.nextStep,
    runbook: readiness.cause.runbook,
    observedAt: readiness.latest.observedAt,
    pendingState: pendingStateOf(readiness),
  };
}

export interface SweepOutcome {
  action: 'swept';
  workloads: number;
  resources: number;
  updated: number;
  /** Resources taken out of a workload they do not belong to (see `homeWorkloadOf`). */
  retired: number;
  /** Workloads whose counts did not match their resources (an item written before counts): rewritten. */
  recounted: number;
  published: PublishedTransition[];
}

/**
 * Takes a resource out of a workload it does not belong to (`home` is where it does), in one transaction: the
 * resource item goes, the workload's counts lose it (a workload left without resources goes; a change of its
 * state is a transition, sent like any other), and the history says so. Conditional on the versions read: on a
 * conflict nothing is done now and the next sweep tries again. `true` once retired.
 */
async function retireResource(
  stored: StoredResource,
  home: string,
  claimant: string,
  deps: ReadinessDeps,
): Promise<{ retired: boolean; published: PublishedTransition[] }> {
  const { readiness } = stored;
  const key = resourceKey(readiness.resource);
  const at = toIsoUtc(deps.clock());
  const current = await deps.store.getWorkload(readiness.workload);
  const record: HistoryRecord = {
    kind: 'resource-retired',
    workload: readiness.workload,
    resourceKey: key,
    resource: readiness.resource,
    at,
    lastState: readiness.state,
    movedTo: home,
    version: stored.version,
    reason: retirementOf(readiness, home, at).reason,
  };
  const resource = { remove: { workload: readiness.workload, key }, expectedVersion: stored.version };
  const update = current && retireFromWorkload(current, readiness.state, at);
  let committed: Omit<Committed, 'known'> = NOTHING_COMMITTED;
  try {
    if (!current) {
      await deps.store.commit({ resource, history: [record] });
    } else if (!update) {
      // A pending transition of the workload is sent first (by whoever holds it): the next sweep retires. A
      // READY first report still held goes with the workload: there is nothing left to report.
      const pending = Object.values(current.outbox).filter((entry) => entry.claimedBy !== FIRST_REPORT_HOLD);
      if (pending.length > 0) return { retired: false, published: [] };
      await deps.store.commit({
        resource,
        workload: { remove: readiness.workload, expectedVersion: current.version },
        history: [record, ...current.notified],
      });
    } else {
      const planned = planWorkloadWrite(current, readiness.workload, update, deps, claimant, () => ({
        resourceKey: key,
        resource: readiness.resource,
        state: readiness.state,
        since: at,
        cause: retirementOf(readiness, home, at),
        retired: true,
      }));
      await deps.store.commit({ resource, workload: planned.write, history: [record] });
      committed = planned.committed;
    }
  } catch (error) {
    if (error instanceof ReadinessVersionConflictError) return { retired: false, published: [] };
    throw error;
  }
  return { retired: true, published: await sendCommitted({ ...committed, known: [] }, claimant, deps) };
}

/**
 * The sweep's change of a resource (staleness, a held downgrade confirmed): written conditional on the version
 * it read, with its workload when announced (the workload read again on a conflict of its own). A resource a
 * signal changed meanwhile is left to the next sweep.
 */
async function sweepChange(
  stored: StoredResource,
  next: ResourceReadiness,
  announced: { from?: ReadinessState | undefined; to: ReadinessState } | undefined,
  claimant: string,
  deps: ReadinessDeps,
): Promise<{ updated: boolean; published: PublishedTransition[] }> {
  const key = resourceKey(next.resource);
  for (let attempt = 1; attempt <= attempts(deps); attempt++) {
    const workload = announced ? await deps.store.getWorkload(next.workload) : undefined;
    try {
      const committed = await commitResource(
        { readiness: next, previous: stored, announced, workload },
        [],
        claimant,
        deps,
      );
      return { updated: true, published: await sendCommitted(committed, claimant, deps) };
    } catch (error) {
      if (!(error instanceof ReadinessVersionConflictError)) throw error;
      const now = await deps.store.getResource(next.workload, key);
      if (now?.version !== stored.version) return { updated: false, published: [] };
      await (deps.backoff ?? defaultBackoff)(attempt);
    }
  }
  return { updated: false, published: [] };
}

/**
 * Rewrites a workload whose counts do not match its resources as listed (or that still holds per-resource
 * entries: an item written before counts), conditional on the version read before the listing: every change of
 * a resource's announced state changes that version in the same transaction, so an unchanged version means the
 * listing is still true. A change of the workload's state is a transition, sent like any other.
 */
async function recount(
  before: StoredWorkload,
  resources: readonly StoredResource[],
  claimant: string,
  deps: ReadinessDeps,
): Promise<{ recounted: boolean; published: PublishedTransition[] }> {
  const counts = countStates(resources.map((stored) => stored.readiness.state));
  if (!before.legacy && sameCounts(counts, before.counts)) return { recounted: false, published: [] };
  const at = toIsoUtc(deps.clock());
  const update = settle(before, counts, at);
  if (!update) return { recounted: false, published: [] };
  const worst = [...resources]
    .map(toResourceView)
    .sort((a, b) => STATE_RANK[b.state] - STATE_RANK[a.state] || a.since.localeCompare(b.since))[0];
  const source = resources.find((stored) => resourceKey(stored.readiness.resource) === worst?.key);
  if (!source) return { recounted: false, published: [] };
  const planned = planWorkloadWrite(before, before.workload, update, deps, claimant, () => ({
    resourceKey: resourceKey(source.readiness.resource),
    resource: source.readiness.resource,
    state: source.readiness.state,
    since: source.readiness.since,
    cause: source.readiness.cause,
  }));
  try {
    await deps.store.commit({ workload: planned.write, history: [] });
  } catch (error) {
    if (error instanceof ReadinessVersionConflictError) return { recounted: false, published: [] };
    throw error;
  }
  return {
    recounted: true,
    published: await sendCommitted({ ...planned.committed, known: [] }, claimant, deps),
  };
}

/**
 * The periodic sweep: retires a resource found in a workload it does not belong to (the DRS service check that
 * versions before filed under `default`), ages evidence (stale → UNKNOWN), counts a held pending downgrade as
 * one more observation, indexes resources written before the open-resources index, recounts a workload whose
 * counts do not match its resources (one written before counts), and sends outbox entries whose claim has
 * expired. A resource a signal changes meanwhile is left to the next sweep.
 */
export async function sweepReadiness(deps: ReadinessDeps): Promise<SweepOutcome> {
  const now = toIsoUtc(deps.clock());
  // Unique per invocation: two sweeps started in the same millisecond must not both hold the same claim.
  const claimant = `sweep:${now}:${randomUUID()}`;
  const published: PublishedTransition[] = [];
  let resources = 0;
  let updated = 0;
  let retired = 0;
  let recounted = 0;
  const workloads = await deps.store.listWorkloads();
  for (const workload of workloads) {
    const listed = await deps.store.listResources(workload.workload);
    let changed = false;
    for (const stored of listed) {
      resources += 1;
      const home = homeWorkloadOf(stored.readiness.resource);
      if (home !== undefined && home !== workload.workload) {
        const retirement = await retireResource(stored, home, claimant, deps);
        if (retirement.retired) retired += 1;
        changed = true;
        published.push(...retirement.published);
        continue;
      }
      const result = sweepResource(stored.readiness, now, deps.policy);
      if (result.kind === 'unchanged') {
        if (!stored.indexed) await indexResource(stored, deps);
        continue;
      }
      const change = await sweepChange(stored, result.next, result.announced, claimant, deps);
      if (change.updated) updated += 1;
      changed ||= result.announced !== undefined;
      published.push(...change.published);
    }
    // Only from a listing no change of this sweep made stale: otherwise the next sweep recounts.
    if (!changed) {
      const recount_ = await recount(workload, listed, claimant, deps);
      if (recount_.recounted) recounted += 1;
      published.push(...recount_.published);
    }
    const fresh = await deps.store.getWorkload(workload.workload);
    if (fresh) {
      published.push(
        ...(await flushOutbox(fresh, claimable(fresh, claimant, deps), claimant, new Set(), deps)),
      );
    }
  }
  return { action: 'swept', workloads: workloads.length, resources, updated, retired, recounted, published };
}

/** Rewrites a resource written before the open-resources index with its keys (nothing else changes). */
async function indexResource(stored: StoredResource, deps: ReadinessDeps): Promise<void> {
  try {
    await deps.store.putResource(stored.readiness, stored.version);
  } catch (error) {
    if (!(error instanceof ReadinessVersionConflictError)) throw error;
  }
}

/** What the scheduled rules send the publisher (their constant input). */
export const readinessTaskSchema = z.strictObject({ task: z.enum(['sweep', 'digest']) });
export type ReadinessTask = z.infer<typeof readinessTaskSchema>;

export function parseReadinessTask(input: unknown): ReadinessTask {
  return parseWith(readinessTaskSchema, input, 'readiness task');
}

/** A scheduled task rather than a signal: `{ "task": … }` without an EventBridge envelope. */
export function isReadinessTask(input: unknown): boolean {
  return isTaskInput(input);
}
