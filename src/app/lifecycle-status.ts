import { formatSeconds } from '../domain/duration.ts';
import type { CleanupItem, LifecycleStage } from '../domain/failback-lifecycle.ts';
import type { LifecycleStore, StoredDrill, StoredServerLifecycle } from '../ports/lifecycle.ts';

/**
 * The DR cycle for on-call and auditors (`npm run status`): each protected server's stage, since when, what
 * it is waiting for, the cleanup plan, and the drill instances left running; per workload, how many servers
 * are at each stage. Read-only, from what the failback-lifecycle function stored.
 */
export interface LifecycleStatus {
  workloads: { workload: string; stages: Partial<Record<LifecycleStage, number>> }[];
  servers: StoredServerLifecycle[];
  drills: StoredDrill[];
}

export async function loadLifecycleStatus(
  store: Pick<LifecycleStore, 'load'>,
  filter?: { workload?: string | undefined },
): Promise<LifecycleStatus> {
  const { servers, drills } = await store.load();
  const wanted = <T extends { workload: string }>(item: T) =>
    !filter?.workload || item.workload === filter.workload;
  const serverList = [...servers.values()]
    .filter(wanted)
    .sort((a, b) => a.serverId.localeCompare(b.serverId));
  const byWorkload = new Map<string, Partial<Record<LifecycleStage, number>>>();
  for (const server of serverList) {
    const stages = byWorkload.get(server.workload) ?? {};
    stages[server.stage] = (stages[server.stage] ?? 0) + 1;
    byWorkload.set(server.workload, stages);
  }
  return {
    workloads: [...byWorkload.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([workload, stages]) => ({ workload, stages })),
    servers: serverList,
    drills: [...drills.values()].filter(wanted),
  };
}

/** One line per server; cleanup items and drills indented under it. */
export function renderLifecycle(status: LifecycleStatus): string {
  if (status.servers.length === 0 && status.drills.length === 0) {
    return 'DR cycle: nothing tracked yet (the failback-lifecycle function of the recovery Region has not swept).\n';
  }
  const lines = ['DR cycle (failover → reverse → ready → failed back → re-protected → cleaned up):'];
  for (const { workload, stages } of status.workloads) {
    const counts = Object.entries(stages).map(([stage, count]) => `${count} ${stage}`);
    lines.push(`  ${workload}: ${counts.join(', ')}`);
  }
  for (const server of status.servers) {
    const name = server.hostname ? ` (${server.hostname})` : '';
    lines.push(
      `  ${server.serverId}${name} [${server.workload}] ${server.stage} since ${server.since.slice(0, 19)}; cycles completed: ${server.cycles}`,
    );
    lines.push(`      ${server.reason}`);
    if (server.partial) lines.push(`      note: ${server.partial}`);
    if (server.nextStep && server.stage !== 'protected') lines.push(`      next: ${server.nextStep}`);
    lines.push(...renderCleanup(server.cleanup, '      '));
  }
  for (const drill of status.drills) {
    const age = drill.ageSeconds === undefined ? 'age unknown' : `${formatSeconds(drill.ageSeconds)}`;
    const done = drill.terminated
      ? `; ${drill.terminated.dryRun ? 'would be terminated (dry-run)' : `termination started ${drill.terminated.at.slice(0, 19)}`}`
      : '';
    lines.push(
      `  drill instance ${drill.recoveryInstanceId} in ${drill.region} [${drill.workload}] running ${age}${drill.confirmed ? '' : ` (not a confirmed drill: ${drill.doubt})`}${done}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** A cleanup plan, in order, each item with its AWS CLI command. */
export function renderCleanup(items: readonly CleanupItem[], indent = ''): string[] {
  return items.flatMap((item) => [
    `${indent}${item.order}. [${item.automatic ? 'auto' : 'manual'}] ${item.region} ${item.action} ${item.id} — ${item.role}${item.instanceHours !== undefined ? `, ${item.instanceHours} instance-hours` : ''}: ${item.why}`,
    `${indent}   ${item.command}`,
  ]);
}
