import type { ReadinessState } from '../../events/dr-autopilot/signal.ts';
import { toIsoUtc } from '../domain/readiness.ts';
import { type DigestWorkload, renderDigestMessage } from '../domain/sns-message.ts';
import { type ReadinessDeps, toResourceView } from './readiness.ts';

/**
 * The daily digest.
 * Input: none (a schedule). Steps: claim this hour's digest (a retried or duplicated invocation never sends a
 * second one) → list every workload → its resources → its transitions in the window → one SNS message: every
 * workload's state, what changed, the oldest open problem → mark the claim sent.
 * Output: what was sent, or why nothing was.
 *
 * Retries: Lambda retries a failed asynchronous invocation with the same request id, which is the claimant, so
 * a retry may send what its failed attempt perhaps did not; a second delivery of the schedule (another request
 * id) finds the claim and sends nothing. Only a Publish applied whose answer was lost can repeat a digest.
 */
export type DigestOutcome =
  | { action: 'digest-sent'; period: string; workloads: number; changes: number; messageId: string | null }
  | { action: 'skipped'; period: string; reason: 'already-sent' | 'being-sent'; by: string | null };

export interface DigestClaim {
  status: 'sending' | 'sent';
  claimant: string;
  claimedAt: string;
  sentAt?: string;
  messageId?: string;
}

/** One digest per period (the UTC hour it is sent in), claimed before it is sent. */
export interface DigestClaims {
  claim(
    period: string,
    claimant: string,
    now: Date,
  ): Promise<{ claimed: true } | { claimed: false; existing: DigestClaim | undefined }>;
  markSent(period: string, claimant: string, messageId: string | undefined, now: Date): Promise<void>;
}

/** The digest period of an instant: its UTC hour (`2026-11-29T07`), the same for every retry in that hour. */
export function digestPeriod(now: Date): string {
  return now.toISOString().slice(0, 13);
}

export async function sendReadinessDigest(
  deps: Pick<ReadinessDeps, 'store' | 'notifier' | 'clock' | 'messages'> & {
    claims: DigestClaims;
    /** Who sends: the invocation's request id (kept by Lambda across its retries). */
    claimant: string;
  },
  windowSeconds = 86_400,
): Promise<DigestOutcome> {
  const now = deps.clock();
  const period = digestPeriod(now);
  const claim = await deps.claims.claim(period, deps.claimant, now);
  if (!claim.claimed) {
    return {
      action: 'skipped',
      period,
      reason: claim.existing?.status === 'sent' ? 'already-sent' : 'being-sent',
      by: claim.existing?.claimant ?? null,
    };
  }
  const at = toIsoUtc(now);
  const windowStart = toIsoUtc(new Date(now.getTime() - windowSeconds * 1000));
  const workloads: DigestWorkload[] = [];
  for (const workload of await deps.store.listWorkloads()) {
    if (!workload.state) continue;
    const [resources, history] = await Promise.all([
      deps.store.listResources(workload.workload),
      deps.store.listHistory(workload.workload, windowStart),
    ]);
    workloads.push({
      workload: workload.workload,
      state: workload.state,
      since: workload.since ?? at,
      resources: resources.map(toResourceView),
      changes: history.flatMap((record) =>
        record.kind === 'transition'
          ? [{ at: record.at, from: record.from as ReadinessState | null, to: record.to as ReadinessState }]
          : [],
      ),
    });
  }
  const message = renderDigestMessage({ windowStart, at, workloads }, deps.messages);
  const { messageId } = await deps.notifier.notify(message);
  await deps.claims.markSent(period, deps.claimant, messageId, deps.clock());
  return {
    action: 'digest-sent',
    period,
    workloads: workloads.length,
    changes: workloads.reduce((sum, w) => sum + w.changes.length, 0),
    messageId: messageId ?? null,
  };
}
