import * as z from 'zod/mini';
import { defineEventContract } from '../contract.ts';
import { resourcesWith, SOURCE_SERVER_ARN } from './arn.ts';
import pattern from './pit-snapshot-taken.pattern.json' with { type: 'json' };

/** DRS PIT Snapshot Taken. `EbsSnapshotIDs` is a comma-separated string, not an array. */
export const pitSnapshotTaken = defineEventContract({
  source: 'aws.drs',
  detailType: 'DRS PIT Snapshot Taken',
  pattern,
  resources: () => resourcesWith(SOURCE_SERVER_ARN, 'source-server'),
  resourcesInEventRegion: true,
  detail: () =>
    z.object({
      DrsSnapshotID: z.string().check(z.minLength(1)),
      EbsSnapshotIDs: z.pipe(
        z.string(),
        z.transform((ids: string) => ids.split(',').filter((id) => id.length > 0)),
      ),
    }),
});
export type PitSnapshotTakenEvent = ReturnType<typeof pitSnapshotTaken.parse>;
