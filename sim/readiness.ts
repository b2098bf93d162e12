import { createDynamoDbReadinessStore } from '../src/adapters/readiness-store.ts';
import type { Simulator } from './simulator.ts';

/**
 * A Region's readiness table after a scenario (default the recovery Region's), read through the readiness
 * publisher's own store adapter (the one writer of that table owns its layout): one row per workload, then one
 * per resource.
 */
export interface ReadinessRow {
  kind: 'workload' | 'resource';
  workload: string;
  /** The workload, or the resource (`type id (name)`). */
  resource: string;
  state: string;
  since: string;
  reason: string;
}

export async function readReadiness(sim: Simulator, region?: string): Promise<ReadinessRow[]> {
  const where = region === undefined ? sim.recovery : sim.region(region);
  const tableName = where.tableNamed('ReadinessTable');
  if (!tableName) return [];
  const store = createDynamoDbReadinessStore({
    client: where.dynamodb,
    tableName,
    clock: () => new Date(),
    historyRetentionSeconds: 86_400,
  });
  const rows: ReadinessRow[] = [];
  for (const workload of (await store.listWorkloads()).sort((a, b) => a.workload.localeCompare(b.workload))) {
    const resources = await store.listResources(workload.workload);
    rows.push({
      kind: 'workload',
      workload: workload.workload,
      resource: `${resources.length} resource(s)`,
      state: workload.state ?? 'UNKNOWN',
      since: workload.since ?? '',
      reason: '',
    });
    for (const { readiness } of resources.sort((a, b) =>
      a.readiness.resource.id.localeCompare(b.readiness.resource.id),
    )) {
      const { resource } = readiness;
      rows.push({
        kind: 'resource',
        workload: workload.workload,
        resource: `${resource.type} ${resource.id}${resource.name ? ` (${resource.name})` : ''}`,
        state: readiness.state,
        since: readiness.since,
        reason: readiness.cause.reason,
      });
    }
  }
  return rows;
}
