import * as z from 'zod/mini';
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

const alarmState = () =>
  z.object({
    value: z.string().check(z.minLength(1)),
    reason: z.optional(z.string()),
    reasonData: z.optional(z.string()),
    timestamp: z.string().check(z.minLength(1)),
  });

const metric = () =>
  z.object({
    id: z.optional(z.string()),
    expression: z.optional(z.string()),
    label: z.optional(z.string()),
    returnData: z.optional(z.boolean()),
    metricStat: z.optional(
      z.object({
        metric: z.optional(
          z.object({
            namespace: z.optional(z.string()),
            name: z.optional(z.string()),
            dimensions: z.optional(z.record(z.string(), z.string())),
          }),
        ),
        period: z.optional(z.number()),
        stat: z.optional(z.string()),
      }),
    ),
  });

/** Everything of an alarm ARN before the alarm's name: `arn:<partition>:cloudwatch:<region>:<account>:alarm:`. */
const ALARM_ARN_PREFIX = /^arn:aws[a-z-]*:cloudwatch:[a-z0-9-]+:\d{12}:alarm:$/;

/**
 * Whether `arn` is the ARN of the alarm named `alarmName`: the ARN is the fixed prefix followed by the name,
 * exactly. An alarm's name may itself hold colons, slashes and spaces (`dr-autopilot:payments:rpo lag`), so the
 * ARN is not split on `:`; the name is cut off its end and what is left must be the prefix.
 */
export function isArnOfAlarm(arn: string, alarmName: string): boolean {
  return (
    alarmName.length > 0 &&
    arn.endsWith(alarmName) &&
    ALARM_ARN_PREFIX.test(arn.slice(0, arn.length - alarmName.length))
  );
}

export const alarmStateChange = defineEventContract({
  source: 'aws.cloudwatch',
  detailType: 'CloudWatch Alarm State Change',
  pattern: alarmPatternFor(DEFAULT_ALARM_NAME_PREFIX),
  // The alarm's ARN, in the account and Region that emitted the event (forwarded alarms keep both).
  resourcesInEventRegion: true,
  detail: () =>
    z.object({
      alarmName: z.string().check(z.minLength(1), z.maxLength(255)),
      state: alarmState(),
      previousState: z.optional(z.partial(alarmState())),
      configuration: z.optional(
        z.object({
          description: z.optional(z.string()),
          metrics: z.optional(z.array(metric())),
        }),
      ),
    }),
  // AWS's alarm events name one resource, the alarm's ARN: one that names another alarm (an emoji appended to
  // the ARN or to the name) is forged or corrupted, and the signal would file one alarm's state under another.
  crossCheck: ({ detail, resources }, context) => {
    const arn = resources?.[0];
    const alarmName = detail?.alarmName;
    // Each field was checked on its own first: a missing or mistyped one is refused there, not here.
    if (typeof arn !== 'string' || typeof alarmName !== 'string') return;
    if (!isArnOfAlarm(arn, alarmName)) {
      context.addIssue({
        code: 'custom',
        path: ['resources', 0],
        message:
          'must be the ARN of the alarm in detail.alarmName (arn:<partition>:cloudwatch:<region>:<account>:alarm:<alarmName>)',
      });
    }
  },
});

export type AlarmStateChangeEvent = ReturnType<typeof alarmStateChange.parse>;
