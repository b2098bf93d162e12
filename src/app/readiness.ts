import { randomUUID } from 'node:crypto';
import * as z from 'zod';
import { parseWith } from '../../events/contract.ts';
import type { SignalEvent } from '../../events/dr-autopilot/signal.ts';
import { RetryableDependencyError } from '../domain/errors.ts';
import {
  foldObservation,
  homeWorkloadOf,
  observationOf,
  type ReadinessPolicy,
  type ResourceReadiness,
  resourceKey,
  retireFromWorkload,
  retirementOf,
  STATE_RANK,
  sweepResource,
  toIsoUtc,
  updateWorkload,
  type WorkloadTransition,
} from '../domain/readiness.ts';
import { type MessageContext, type ResourceView, renderTransitionMessage } from '../domain/sns-message.ts';
import type { Notifier } from '../ports/notifier.ts';
import {
  type OutboxEntry,
  type ReadinessStore,
  ReadinessVersionConflictError,
  type StoredResource,
  type StoredWorkload,
} from '../ports/readiness.ts';
import type { Clock } from '../ports/signals.ts';
import { isTaskInput } from '../runtime/handler.ts';

/**
 * The readiness publisher: the single writer of readiness state (DESIGN.md §4).
 * Input: a schema-checked dr-autopilot signal (any detail-type: the publisher reads only the envelope).
 * Steps: evidence-only signal → history only. An observation confirming the resource's announced state (nothing
 * pending, newer than what is held) → one conditional write of the resource, nothing else. Otherwise read the resource → fold the observation (duplicate,
 * out of order, applied) → record the signal → conditional write of the resource (retry on conflict) → on an
 * announced change, conditional write of the workload's entry and state; a workload transition goes into the
 * workload's outbox in the same write → send the outbox (SNS) → clear the outbox → record the transition.
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
  const detail = event.detail;
  const { workload, signalId } = detail;
  const key = resourceKey(detail.resource);
  const observation = observationOf(event['detail-type'], detail);
  const signalRecord = {
    kind: 'signal' as const,
    workload,
    resourceKey: key,
    resource: detail.resource,
    at: toIsoUtc(detail.observedAt),
    signalType: event['detail-type'],
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
  let recorded = false;
  let lastConflict: unknown;
  for (let attempt = 1; attempt <= attempts(deps); attempt++) {
    const current = await deps.store.getResource(workload, key);
    const result = foldObservation(
      current?.readiness,
      { workload, resource: detail.resource },
      observation,
      deps.policy,
    );
    if (result.kind === 'duplicate') {
      // Nothing changes; only finish what a failed earlier delivery may have left (workload entry, outbox).
      const published = current ? await reconcileWorkload(current, claimant, deps) : [];
      return { action: 'duplicate', signalId, workload, resourceKey: key, published };
    }
    if (!recorded) {
      await deps.store.record(signalRecord);
      recorded = true;
    }
    if (result.kind === 'out-of-order') {
      return {
        action: 'out-of-order',
        signalId,
        workload,
        resourceKey: key,
        heldObservedAt: result.heldObservedAt,
      };
    }
    let version: number;
    try {
      version = await deps.store.putResource(result.next, current?.version);
    } catch (error) {
      if (!(error instanceof ReadinessVersionConflictError)) throw error;
      lastConflict = error;
      await (deps.backoff ?? defaultBackoff)(attempt);
      continue;
    }
    const published = result.announced
      ? await announce({ readiness: result.next, version }, result.announced.from ?? null, claimant, deps)
      : [];
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

/** Records a resource's announced change, then carries it into its workload. */
async function announce(
  stored: StoredResource,
  from: string | null,
  claimant: string,
  deps: ReadinessDeps,
): Promise<PublishedTransition[]> {
  const { readiness, version } = stored;
  await deps.store.record({
    kind: 'resource-transition',
    workload: readiness.workload,
    resourceKey: resourceKey(readiness.resource),
    resource: readiness.resource,
    at: readiness.since,
    from: (from as ResourceReadiness['state'] | null) ?? null,
    to: readiness.state,
    version,
    reason: readiness.cause.reason,
    signalId: readiness.cause.signalId,
  });
  return syncWorkload(stored, claimant, deps);
}

/** For a redelivered signal or the sweep: bring the workload up to date with the resource, send what is owed. */
async function reconcileWorkload(
  stored: StoredResource,
  claimant: string,
  deps: ReadinessDeps,
): Promise<PublishedTransition[]> {
  const workload = await deps.store.getWorkload(stored.readiness.workload);
  const entry = workload?.entries[resourceKey(stored.readiness.resource)];
  const behind =
    !entry ||
    (entry.version < stored.version &&
      (entry.state !== stored.readiness.state || entry.since !== stored.readiness.since));
  if (behind) return syncWorkload(stored, claimant, deps);
  return workload
    ? flushOutbox(workload, claimable(workload, claimant, deps), claimant, new Set(), deps)
    : [];
}

/**
 * Writes the resource's announced state into its workload (conditional on the workload's version, retried
 * on conflict). A change of the workload's worst state is a transition: committed with the same write into
 * the outbox, claimed by `claimant`, then sent.
 */
async function syncWorkload(
  stored: StoredResource,
  claimant: string,
  deps: ReadinessDeps,
): Promise<PublishedTransition[]> {
  const { readiness } = stored;
  const key = resourceKey(readiness.resource);
  let lastConflict: unknown;
  for (let attempt = 1; attempt <= attempts(deps); attempt++) {
    const current = await deps.store.getWorkload(readiness.workload);
    const update = updateWorkload(
      { state: current?.state, since: current?.since, entries: current?.entries ?? {} },
      key,
      { state: readiness.state, since: readiness.since, version: stored.version },
    );
    if (update.kind === 'unchanged') {
      return current
        ? flushOutbox(current, claimable(current, claimant, deps), claimant, new Set(), deps)
        : [];
    }
    const version = (current?.version ?? 0) + 1;
    const now = deps.clock();
    // A change while the workload's READY first report still waits replaces it: the first report says the
    // state now, once (not READY, then at once NOT READY).
    const superseded = update.transition ? heldFirstReport(current, now.toISOString()) : undefined;
    const transition: WorkloadTransition | undefined = update.transition && {
      id: `t${String(version).padStart(10, '0')}`,
      workload: readiness.workload,
      from: superseded ? undefined : update.transition.from,
      to: update.transition.to,
      at: update.since,
      trigger: {
        resourceKey: key,
        resource: readiness.resource,
        state: readiness.state,
        since: readiness.since,
        cause: readiness.cause,
      },
      dryRun: readiness.cause.dryRun,
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
    try {
      await deps.store.putWorkload(
        {
          workload: readiness.workload,
          state: update.state,
          since: update.since,
          entryKey: key,
          entry: update.entry,
          updatedAt: now.toISOString(),
          outbox,
          supersedes: superseded && { id: superseded.transition.id, claimedBy: FIRST_REPORT_HOLD },
        },
        current?.version,
      );
    } catch (error) {
      if (!(error instanceof ReadinessVersionConflictError)) throw error;
      lastConflict = error;
      await (deps.backoff ?? defaultBackoff)(attempt);
      continue;
    }
    const owed = [
      ...(outbox && !held ? [outbox] : []),
      ...(current ? claimable(current, claimant, deps) : []).filter(
        (entry) => entry.transition.id !== superseded?.transition.id,
      ),
    ];
    const workload: StoredWorkload = {
      workload: readiness.workload,
      state: update.state,
      since: update.since,
      entries: { ...(current?.entries ?? {}), [key]: update.entry },
      outbox: {},
      updatedAt: now.toISOString(),
      version,
    };
    return flushOutbox(
      workload,
      owed,
      claimant,
      new Set(outbox && !held ? [outbox.transition.id] : []),
      deps,
    );
  }
  throw conflictExhausted(`workload ${readiness.workload}`, attempts(deps), lastConflict);
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

/** Sends outbox entries, oldest first: claim (unless already held), publish, clear, record. */
async function flushOutbox(
  workload: StoredWorkload,
  entries: OutboxEntry[],
  claimant: string,
  held: ReadonlySet<string>,
  deps: ReadinessDeps,
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
    views ??= (await deps.store.listResources(workload.workload)).map(toResourceView);
    const message = renderTransitionMessage(transition, views, deps.messages);
    const { messageId } = await deps.notifier.notify(message);
    // Out of the outbox first, as soon as SNS has answered: only a Publish applied whose answer is lost (or an
    // invocation that dies in the moment between) can make another sender publish it again.
    await deps.store.completeOutbox(workload.workload, transition.id);
    await deps.store.record({
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
export function toResourceView(stored: StoredResource): ResourceView {
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
  published: PublishedTransition[];
}

/**
 * Takes a resource out of a workload it does not belong to (`home` is where it does): its entry leaves the
 * workload (a workload left without resources goes; a change of the workload's state is a transition, sent
 * like any other), then the resource item goes, and the history says so. Each step is conditional on the
 * version read: on a conflict nothing more is done now and the next sweep tries again. `true` once retired.
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
  const removal = current
    ? retireFromWorkload({ state: current.state, since: current.since, entries: current.entries }, key, at)
    : ({ kind: 'absent' } as const);
  let outbox: OutboxEntry | undefined;
  try {
    if (current && removal.kind === 'emptied') {
      // A pending transition of the workload is sent first (by whoever holds it): the next sweep retires. A
      // READY first report still held goes with the workload: there is nothing left to report.
      const pending = Object.values(current.outbox).filter((entry) => entry.claimedBy !== FIRST_REPORT_HOLD);
      if (pending.length > 0) return { retired: false, published: [] };
      await deps.store.deleteWorkload(readiness.workload, current.version);
    } else if (current && removal.kind === 'removed') {
      const transition: WorkloadTransition | undefined = removal.transition && {
        id: `t${String(current.version + 1).padStart(10, '0')}`,
        workload: readiness.workload,
        from: removal.transition.from,
        to: removal.transition.to,
        at: removal.since,
        trigger: {
          resourceKey: key,
          resource: readiness.resource,
          state: readiness.state,
          since: at,
          cause: retirementOf(readiness, home, at),
          retired: true,
        },
        dryRun: false,
      };
      outbox = transition && {
        transition,
        claimedBy: claimant,
        claimedUntil: new Date(deps.clock().getTime() + (deps.claimSeconds ?? 120) * 1000).toISOString(),
      };
      await deps.store.removeWorkloadEntry(
        {
          workload: readiness.workload,
          entryKey: key,
          state: removal.state,
          since: removal.since,
          updatedAt: at,
          outbox,
        },
        current.version,
      );
    }
    await deps.store.deleteResource(readiness.workload, key, stored.version);
  } catch (error) {
    if (error instanceof ReadinessVersionConflictError) return { retired: false, published: [] };
    throw error;
  }
  await deps.store.record({
    kind: 'resource-retired',
    workload: readiness.workload,
    resourceKey: key,
    resource: readiness.resource,
    at,
    lastState: readiness.state,
    movedTo: home,
    version: stored.version,
    reason: retirementOf(readiness, home, at).reason,
  });
  const workload = outbox && (await deps.store.getWorkload(readiness.workload));
  const published =
    outbox && workload
      ? await flushOutbox(workload, [outbox], claimant, new Set([outbox.transition.id]), deps)
      : [];
  return { retired: true, published };
}

/**
 * The periodic sweep: retires a resource found in a workload it does not belong to (the DRS service check that
 * versions before filed under `default`), ages evidence (stale → UNKNOWN), counts a held pending downgrade as
 * one more observation, repairs workload entries a failed invocation left behind, and sends outbox entries
 * whose claim has expired. A resource a signal changes meanwhile is left to the next sweep.
 */
export async function sweepReadiness(deps: ReadinessDeps): Promise<SweepOutcome> {
  const now = toIsoUtc(deps.clock());
  // Unique per invocation: two sweeps started in the same millisecond must not both hold the same claim.
  const claimant = `sweep:${now}:${randomUUID()}`;
  const published: PublishedTransition[] = [];
  let resources = 0;
  let updated = 0;
  let retired = 0;
  const workloads = await deps.store.listWorkloads();
  for (const workload of workloads) {
    for (const stored of await deps.store.listResources(workload.workload)) {
      resources += 1;
      const home = homeWorkloadOf(stored.readiness.resource);
      if (home !== undefined && home !== workload.workload) {
        const retirement = await retireResource(stored, home, claimant, deps);
        if (retirement.retired) retired += 1;
        published.push(...retirement.published);
        continue;
      }
      const result = sweepResource(stored.readiness, now, deps.policy);
      if (result.kind === 'unchanged') {
        const entry = workload.entries[resourceKey(stored.readiness.resource)];
        if (!entry || entry.state !== stored.readiness.state || entry.since !== stored.readiness.since) {
          published.push(...(await syncWorkload(stored, claimant, deps)));
        }
        continue;
      }
      let version: number;
      try {
        version = await deps.store.putResource(result.next, stored.version);
      } catch (error) {
        if (error instanceof ReadinessVersionConflictError) continue;
        throw error;
      }
      updated += 1;
      if (result.announced) {
        published.push(
          ...(await announce(
            { readiness: result.next, version },
            result.announced.from ?? null,
            claimant,
            deps,
          )),
        );
      }
    }
    const fresh = await deps.store.getWorkload(workload.workload);
    if (fresh) {
      published.push(
        ...(await flushOutbox(fresh, claimable(fresh, claimant, deps), claimant, new Set(), deps)),
      );
    }
  }
  return { action: 'swept', workloads: workloads.length, resources, updated, retired, published };
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
