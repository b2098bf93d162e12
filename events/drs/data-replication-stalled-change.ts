import * as z from 'zod/mini';
import { defineEventContract } from '../contract.ts';
import { resourcesWith, SOURCE_SERVER_ARN } from './arn.ts';
import pattern from './data-replication-stalled-change.pattern.json' with { type: 'json' };

/** DRS Source Server Data Replication Stalled Change. It carries no lag, backlog or reason: poll for those. */
export const dataReplicationStalledChange = defineEventContract({
  source: 'aws.drs',
  detailType: 'DRS Source Server Data Replication Stalled Change',
  pattern,
  resources: () => resourcesWith(SOURCE_SERVER_ARN, 'source-server'),
  resourcesInEventRegion: true,
  detail: () => z.object({ state: z.enum(['STALLED', 'NOT_STALLED']) }),
});
export type DataReplicationStalledChangeEvent = ReturnType<typeof dataReplicationStalledChange.parse>;
