import * as z from 'zod/mini';
import { defineEventContract } from '../contract.ts';
import { idFromArn, resourcesWith, SOURCE_SERVER_ARN } from './arn.ts';
import pattern from './launch-result.pattern.json' with { type: 'json' };

/**
 * DRS Source Server Launch Result: a drill or recovery instance was launched for a source server.
 * Keys are kebab-case and `is-drill` is a string (`"FALSE"` in AWS's sample), not a boolean. Only the two
 * documented states are named; any other string still parses (AWS may add states) and is never acted on.
 */
export const launchResult = defineEventContract({
  source: 'aws.drs',
  detailType: 'DRS Source Server Launch Result',
  pattern,
  resources: () => resourcesWith(SOURCE_SERVER_ARN, 'source-server'),
  resourcesInEventRegion: true,
  detail: () =>
    z.object({
      state: z.string().check(z.minLength(1)),
      'job-id': z.string().check(z.regex(/^drsjob-[0-9a-zA-Z]{17}$/, 'must be a DRS job ID (drsjob-…)')),
      'is-drill': z.optional(z.string()),
    }),
});

export type LaunchResultEvent = ReturnType<typeof launchResult.parse>;

export function sourceServerIdOf(event: { resources: string[] }): string {
  return idFromArn(event.resources[0] ?? '');
}
