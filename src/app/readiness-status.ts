import type { ReadinessState } from '../../events/dr-autopilot/signal.ts';
import { STATE_RANK } from '../domain/readiness.ts';
import { type ResourceView, STATE_LABEL } from '../domain/sns-message.ts';
import type { ReadinessStore } from '../ports/readiness.ts';
import { toResourceView } from './readiness.ts';

/**
 * The readiness table for on-call (`npm run status`): every workload, its resources, their state, since when
 * and the evidence behind it. Read-only.
 */
export interface ReadinessStatus {
  workloads: {
    workload: string;
    state: ReadinessState | null;
    since: string | null;
    resources: (Omit<ResourceView, 'pendingState'> & {
      evidence: string;
      pendingState: ReadinessState | null;
    })[];
  }[];
}

export async function loadReadinessStatus(
  store: Pick<ReadinessStore, 'listWorkloads' | 'listResources'>,
  filter?: { workload?: string | undefined },
): Promise<ReadinessStatus> {
  const workloads = (await store.listWorkloads()).filter(
    (workload) => !filter?.workload || workload.workload === filter.workload,
  );
  const result: ReadinessStatus['workloads'] = [];
  for (const workload of workloads) {
    const resources = (await store.listResources(workload.workload))
      .map((stored) => ({
        ...toResourceView(stored),
        pendingState: toResourceView(stored).pendingState ?? null,
        evidence: stored.readiness.latest.summary,
      }))
      .sort((a, b) => STATE_RANK[b.state] - STATE_RANK[a.state] || a.key.localeCompare(b.key));
    result.push({
      workload: workload.workload,
      state: workload.state ?? null,
      since: workload.since ?? null,
      resources,
    });
  }
  result.sort(
    (a, b) =>
      (b.state ? STATE_RANK[b.state] : -1) - (a.state ? STATE_RANK[a.state] : -1) ||
      a.workload.localeCompare(b.workload),
  );
  return { workloads: result };
}

function cell(text: string, width: number): string {
  const chars = Array.from(text.replace(/\s+/g, ' '));
  return (chars.length > width ? `${chars.slice(0, width - 1).join('')}…` : chars.join('')).padEnd(width);
}

/**
 * `text` in at most `width` characters, cut in the middle: what identifies a resource is at both ends of its
 * ARN or ID (the type and the name), never in the account and Region between them.
 */
export function fitKeepingEnds(text: string, width: number): string {
  const chars = Array.from(text.replace(/\s+/g, ' '));
  if (chars.length <= width) return chars.join('');
  const tail = Math.ceil((width - 1) * 0.6);
  return `${chars.slice(0, width - 1 - tail).join('')}…${chars.slice(chars.length - tail).join('')}`;
}

/** A fixed-width table for a terminal. */
export function renderReadinessTable(status: ReadinessStatus): string {
  if (status.workloads.length === 0) return 'No readiness state yet: no signal has been processed.\n';
  const header = `${cell('WORKLOAD', 20)} ${cell('STATE', 10)} ${cell('SINCE', 20)} ${cell('RESOURCE', 44)} EVIDENCE`;
  const lines = [header, '-'.repeat(header.length + 20)];
  for (const workload of status.workloads) {
    lines.push(
      `${cell(workload.workload, 20)} ${cell(workload.state ? STATE_LABEL[workload.state] : '-', 10)} ${cell(workload.since?.slice(0, 19) ?? '-', 20)} ${cell(`${workload.resources.length} resource(s)`, 44)}`,
    );
    for (const resource of workload.resources) {
      const pending = resource.pendingState ? ` (pending ${STATE_LABEL[resource.pendingState]})` : '';
      lines.push(
        `${cell('', 20)} ${cell(STATE_LABEL[resource.state], 10)} ${cell(resource.since.slice(0, 19), 20)} ${cell(fitKeepingEnds(`${resource.resource.type} ${resource.resource.id}`, 44), 44)} ${resource.reason}${pending}; last evidence ${resource.observedAt.slice(0, 19)}: ${resource.evidence}`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}
