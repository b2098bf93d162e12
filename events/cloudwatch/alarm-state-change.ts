import * as z from 'zod';
import { defineEventContract, type EventPattern } from '../contract.ts';
import template from './alarm-state-change.pattern.json' with { type: 'json' };

/**
 * CloudWatch Alarm State Change (CloudWatch guarantees delivery of these to EventBridge). Only the fields the
 * alarm-readiness function reads are checked; AWS adds fields, so nothing is strict. `state.timestamp` uses a
 * `+0000` offset (not ISO-8601's `+00:00`) and `reasonData` is a JSON-encoded string, absent on creation.
 *
 * The rule pattern selects alarms by name prefix: `alarm-state-change.pattern.json` holds the stage parameter
 * `${param:alarmNamePrefix}` (resolved by the Serverless Framework when packaging); {@link alarmPatternFor}
 * gives the same pattern for a concrete prefix.
 */
export const DEFAULT_ALARM_NAME_PREFIX = 'dr-autopilot';
// biome-ignore lint/suspicious/noTemplateCurlyInString: the Serverless Framework's variable syntax, not a template
const PREFIX_PLACEHOLDER = '${param:alarmNamePrefix}';

/** The deployed rule pattern for `prefix` (the pattern file with its stage parameter resolved). */
export function alarmPatternFor(prefix: string): EventPattern {
  return JSON.parse(JSON.stringify(template).replaceAll(PREFIX_PLACEHOLDER, prefix)) as EventPattern;
}

const alarmState = z.object({
  value: z.string().min(1),
  reason: z.string().optional(),
  reasonData: z.string().optional(),
  timestamp: z.string().min(1),
});

const metric = z.object({
  id: z.string().optional(),
  expression: z.string().optional(),
  label: z.string().optional(),
  returnData: z.boolean().optional(),
  metricStat: z
    .object({
      metric: z
        .object({
          namespace: z.string().optional(),
          name: z.string().optional(),
          dimensions: z.record(z.string(), z.string()).optional(),
        })
        .optional(),
      period: z.number().optional(),
      stat: z.string().optional(),
    })
    .optional(),
});

export const alarmStateChange = defineEventContract({
  source: 'aws.cloudwatch',
  detailType: 'CloudWatch Alarm State Change',
  pattern: alarmPatternFor(DEFAULT_ALARM_NAME_PREFIX),
  // The alarm's ARN, in the account and Region that emitted the event (forwarded alarms keep both).
  resourcesInEventRegion: true,
  detail: z.object({
    alarmName: z.string().min(1).max(255),
    state: alarmState,
    previousState: alarmState.partial().optional(),
    configuration: z
      .object({
        description: z.string().optional(),
        metrics: z.array(metric).optional(),
      })
      .optional(),
  }),
});

export type AlarmStateChangeEvent = ReturnType<typeof alarmStateChange.parse>;
