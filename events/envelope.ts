import * as z from 'zod/mini';
import { lazySchema } from './lazy-schema.ts';

// The schemas below are built on their first use ({@link lazySchema}), not at import: a function's cold start
// then builds none of them, and an invocation only those of the contract it parses.

/**
 * The EventBridge envelope every contract extends, with bounds: what the contract accepts is what dr-autopilot
 * can carry on (an event `id` becomes the idempotency key and the correlation id of every signal it causes, and a
 * signal must fit in EventBridge's 256 KiB). EventBridge's own ids are UUIDs (36 characters); AWS events list a
 * handful of resources. An input beyond these bounds is refused naming the field, before anything happens.
 */
export const ID_MAX = 256;
export const RESOURCES_MAX = 100;
export const ARN_MAX = 2048;

/**
 * Characters no AWS ARN holds: control characters (NUL, line breaks), format characters (the right-to-left
 * override and the other bidirectional controls, zero-width spaces and joiners, the byte-order mark), line and
 * paragraph separators, and every space but the plain one (a no-break space looks like it). An ARN holding one
 * is forged or corrupted: it would be echoed into logs, records and messages, displayed other than it reads
 * (U+202E reverses what follows), and sent on to AWS. A plain space and any printable character, emoji
 * included, stay: an alarm's name, and so its ARN, may hold them.
 */
export const HIDDEN_CHARACTER = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]|(?! )\p{Zs}/u;

/** The refusal message of {@link HIDDEN_CHARACTER}, for the contracts that check an ARN in `detail`. */
export const HIDDEN_CHARACTER_MESSAGE =
  'must not hold control, bidirectional-control, invisible or non-ASCII space characters';

/**
 * An ARN as an event carries it, in `resources` or `detail`: well-formed (AWS sends UTF-8: a lone surrogate
 * cannot come from it, and would break every request that names the ARN) and without a hidden character
 * ({@link HIDDEN_CHARACTER}). Not bounded in length or required non-empty here: AWS's samples carry empty
 * ARN fields in `detail`; `resources` adds both.
 */
export const eventArn = lazySchema(() =>
  z.string().check(
    z.refine((arn) => arn.isWellFormed(), 'must be well-formed Unicode (a lone surrogate)'),
    z.refine((arn) => !HIDDEN_CHARACTER.test(arn), HIDDEN_CHARACTER_MESSAGE),
  ),
);

/** `resources`, bounded: contracts that check more of it start from this. */
export const boundedResources = lazySchema(() =>
  z
    .array(
      z.pipe(
        z
          .string()
          .check(
            z.minLength(1, 'must not be empty'),
            z.maxLength(ARN_MAX, `must be at most ${ARN_MAX} characters`),
          ),
        eventArn(),
      ),
    )
    .check(z.maxLength(RESOURCES_MAX, `must list at most ${RESOURCES_MAX} resources`)),
);

/**
 * An event id: EventBridge's are UUIDs, and it becomes the idempotency key, the correlation id of every log line
 * and signal the event causes, and part of record keys, so only printable ASCII without spaces passes (no blank,
 * control or invisible characters, no look-alike letters).
 */
const ID_CHARACTERS = /^[!-~]+$/;

/**
 * The id of an AWS Backup job in an event's `detail` (`restoreJobId`, `backupJobId`, `copyJobId`: UUIDs, or
 * hexadecimal for some services' copies): the handler puts it in the path of a DescribeRestoreJob-style request
 * and in record keys. Printable ASCII without spaces, as event ids: a lone surrogate made the SDK's path encoding
 * throw `URIError` before the call, and hidden or look-alike characters would name another job in the records.
 */
export const backupJobId = lazySchema(() =>
  z
    .string()
    .check(
      z.minLength(1, 'must not be empty'),
      z.maxLength(ID_MAX, `must be at most ${ID_MAX} characters`),
      z.regex(ID_CHARACTERS, 'must be printable ASCII without spaces (AWS Backup job ids are UUIDs)'),
    ),
);

/**
 * The EventBridge envelope: the fields and checks of Powertools parser's `EventBridgeSchema`, written here
 * because that schema imports zod's whole classic namespace (`import { z }`, locales included: about 350 KB of
 * every bundle), where `import * as z` lets the bundler keep only what is used.
 */
export const EnvelopeSchema = lazySchema(() =>
  z.object({
    version: z.string(),
    id: z
      .string()
      .check(
        z.minLength(1, 'must not be empty'),
        z.maxLength(ID_MAX, `must be at most ${ID_MAX} characters (EventBridge ids are UUIDs)`),
        z.regex(ID_CHARACTERS, 'must be printable ASCII without spaces (EventBridge ids are UUIDs)'),
      ),
    source: z.string(),
    account: z.string(),
    time: z.iso.datetime(),
    region: z.string(),
    resources: boundedResources(),
    'detail-type': z.string(),
    detail: z.unknown(),
    'replay-name': z.optional(z.string()),
  }),
);
