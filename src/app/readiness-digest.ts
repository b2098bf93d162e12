import type { ReadinessState } from '../../events/dr-autopilot/signal.ts';
import { toIsoUtc } from '../domain/readiness.ts';
import { type DigestWorkload, renderDigestMessage } from '../domain/sns-message.ts';
import { type ReadinessDeps, toResourceView } from './readiness.ts';

/**
 * The daily digest.
 * Input: none (a schedule). Steps: list every workload → its resources → its transitions in the window →
 * one SNS message: every workload's state, what changed, the oldest open problem.
 * Output: what was sent.
 */
export interface DigestOutcome {
  action: 'digest-sent';
  workloads: number;
  changes: number;
  messageId: string | null;
}

export async function sendReadinessDigest(
  deps: Pick<ReadinessDeps, 'store' | 'notifier' | 'clock' | 'messages'>,
  windowSeconds = 86_400,
): Promise<DigestOutcome> {
  const now = deps.clock();
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
  return {
    action: 'digest-sent',
    workloads: workloads.length,
    changes: workloads.reduce((sum, w) => sum + w.changes.length, 0),
    messageId: messageId ?? null,
  };
}
