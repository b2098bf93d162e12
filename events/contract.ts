import * as z from 'zod/mini';
import { InvalidEventError } from '../src/domain/errors.ts';
import { issueWording } from '../src/domain/schema-issues.ts';
import { boundedResources, EnvelopeSchema } from './envelope.ts';
import { lazySchema } from './lazy-schema.ts';

export { lazySchema };

/** An EventBridge rule pattern, as deployed (`serverless.yml` pulls the same JSON files in). */
export type EventPattern = Record<string, unknown>;

/**
 * One definition per event contract: the source and detail-type, the runtime check (a zod schema that
 * extends our EventBridge envelope (envelope.ts), so `id`, `time`, `account`, `region`, `resources` are kept),
 * the inferred type, and the rule pattern. AWS-owned details are validated only on the fields we use and
 * are never `.strict()`: AWS adds fields.
 */
export function defineEventContract<
  const Source extends string,
  const DetailType extends string,
  Detail extends z.core.$ZodType,
  Resources extends z.core.$ZodType<string[]> = ReturnType<typeof boundedResources>,
>(definition: {
  source: Source;
  detailType: DetailType;
  /** Built on the first parse, not at import: a function's cold start builds only the schemas it uses. */
  detail: () => Detail;
  pattern: EventPattern;
  /** A stricter check of `resources` when the handler reads it (e.g. the first element is an ARN); built lazily too. */
  resources?: () => Resources;
  /**
   * The service puts only its own resources, in the event's account and Region, in `resources` (DRS does): an
   * ARN naming another account or Region is a forged or misrouted event, refused naming the element.
   * `'where-named'`: the same, for ARNs that leave the account or Region empty too (an EC2 image's has no
   * account, an S3 bucket's neither account nor Region), as AWS Backup's do.
   */
  resourcesInEventRegion?: boolean | 'where-named';
  /**
   * A check across fields, after each has passed its own (e.g. an alarm's ARN names the alarm of
   * `detail.alarmName`): adds an issue on the path of the field it refuses.
   */
  crossCheck?: (
    event: { detail: z.infer<Detail>; resources: z.infer<Resources> },
    context: z.core.$RefinementCtx,
  ) => void;
}) {
  const build = () =>
    z
      .extend(EnvelopeSchema(), {
        source: z.literal(definition.source),
        'detail-type': z.literal(definition.detailType),
        detail: definition.detail(),
        resources: (definition.resources?.() ?? boundedResources()) as Resources,
      })
      .check(
        z.superRefine((event, context) => {
          if (definition.resourcesInEventRegion)
            refineResourcesInEventRegion(event, context, definition.resourcesInEventRegion === 'where-named');
          // The parsed event has these two fields (the schema above); TypeScript loses them in the generic extend.
          definition.crossCheck?.(
            event as unknown as { detail: z.infer<Detail>; resources: z.infer<Resources> },
            context,
          );
        }),
      );
  type Event = z.infer<ReturnType<typeof build>>;
  const schema = lazySchema(build);
  return {
    source: definition.source,
    detailType: definition.detailType,
    pattern: definition.pattern,
    /** The runtime check, built on first use (constructing zod schemas is most of their cost at cold start). */
    get schema() {
      return schema();
    },
    /** Parses an event or throws {@link InvalidEventError} naming every failing field. */
    parse(input: unknown): Event {
      return parseWith(schema(), input, `${definition.source} "${definition.detailType}" event`);
    },
  };
}

/**
 * The check of `resourcesInEventRegion`, for schemas built without {@link defineEventContract}: every ARN in
 * `resources` names the event's account and Region (an AWS service puts its own resources there), or the event is
 * forged or misrouted and refused naming the element.
 */
export function refineResourcesInEventRegion(
  event: unknown,
  context: z.core.$RefinementCtx,
  /** An empty account or Region in an ARN passes (AWS Backup's resource ARNs). */
  whereNamed = false,
): void {
  const {
    resources,
    region: eventRegion,
    account: eventAccount,
  } = event as {
    resources: string[];
    region: string;
    account: string;
  };
  if (!Array.isArray(resources)) return;
  resources.forEach((arn, index) => {
    if (typeof arn !== 'string') return;
    const [, , , region, account] = arn.split(':');
    const named = (value: string | undefined) => !whereNamed || (value !== undefined && value !== '');
    if ((named(region) && region !== eventRegion) || (named(account) && account !== eventAccount)) {
      context.addIssue({
        code: 'custom',
        path: ['resources', index],
        message: `must be a resource of the event's account ${eventAccount} and Region ${eventRegion} (names account ${account ?? '?'} in ${region ?? '?'})`,
      });
    }
  });
}

/**
 * Parses `input` with `schema`, throwing an {@link InvalidEventError} whose message names each failing field and
 * says what it must be ({@link issueWording}).
 */
export function parseWith<T extends z.core.$ZodType>(schema: T, input: unknown, what: string): z.infer<T> {
  const result = z.safeParse(schema, input, { error: issueWording(schema) });
  if (result.success) return result.data;
  const issues = result.error.issues.map(
    (issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`,
  );
  throw new InvalidEventError(`invalid ${what}: ${issues.join('; ')}`, issues, { cause: result.error });
}
