import * as z from 'zod';

/**
 * The EventBridge envelope every contract extends, with bounds: what the contract accepts is what dr-autopilot
 * can carry on (an event `id` becomes the idempotency key and the correlation id of every signal it causes, and a
 * signal must fit in EventBridge's 256 KiB). EventBridge's own ids are UUIDs (36 characters); AWS events list a
 * handful of resources. An input beyond these bounds is refused naming the field, before anything happens.
 */
export const ID_MAX = 256;
export const RESOURCES_MAX = 100;
export const ARN_MAX = 2048;

/** `resources`, bounded: contracts that check more of it start from this. */
export const boundedResources = z
  .array(
    z
      .string()
      .min(1, 'must not be empty')
      .max(ARN_MAX, `must be at most ${ARN_MAX} characters`)
      // AWS sends UTF-8: a lone surrogate cannot come from it, and would break every request that names the ARN.
      .refine((arn) => arn.isWellFormed(), 'must be well-formed Unicode (a lone surrogate)'),
  )
  .max(RESOURCES_MAX, `must list at most ${RESOURCES_MAX} resources`);

/**
 * An event id: EventBridge's are UUIDs, and it becomes the idempotency key, the correlation id of every log line
 * and signal the event causes, and part of record keys, so only printable ASCII without spaces passes (no blank,
 * control or invisible characters, no look-alike letters).
 */
const ID_CHARACTERS = /^[!-~]+$/;

/**
 * The EventBridge envelope: the fields and checks of Powertools parser's `EventBridgeSchema`, written here
 * because that schema imports zod's whole classic namespace (`import { z }`, locales included: about 350 KB of
 * every bundle), where `import * as z` lets the bundler keep only what is used.
 */
export const EnvelopeSchema = z.object({
  version: z.string(),
  id: z
    .string()
    .min(1, 'must not be empty')
    .max(ID_MAX, `must be at most ${ID_MAX} characters (EventBridge ids are UUIDs)`)
    .regex(ID_CHARACTERS, 'must be printable ASCII without spaces (EventBridge ids are UUIDs)'),
  source: z.string(),
  account: z.string(),
  time: z.iso.datetime(),
  region: z.string(),
  resources: boundedResources,
  'detail-type': z.string(),
  detail: z.unknown(),
  'replay-name': z.string().optional(),
});
