import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { ForeignEventError } from '../domain/errors.ts';
import type { IdempotencyGuard } from './idempotency.ts';
import { loggableError } from './log-error.ts';

export interface EventHandlerOptions<Event, Outcome> {
  logger: Logger;
  /** The contract check: throws `InvalidEventError` naming the field; runs before anything else. */
  parse: (input: unknown) => Event;
  /**
   * Safety rule 5, before anything is written anywhere (the idempotency record included): which account and
   * Regions this function accepts events from. Omit only for events that carry no account or Region.
   */
  origin?: { region: string; alsoFromRegions?: readonly string[] };
  /** The use case. It must return an outcome (never `undefined`: idempotency stores it). */
  run: (event: Event, context: Context) => Promise<Outcome>;
  /**
   * Idempotency on the event `id`: {@link idempotencyGuard} in ./idempotency.ts. Omit for handlers whose effects
   * are idempotent by construction: their bundles then hold no Powertools idempotency (nor its JMESPath).
   */
  idempotency?: IdempotencyGuard;
}

/**
 * The middy chain every event-driven function uses: Lambda context in the logs, the event `id` as the
 * correlation id, contract validation, idempotency, and the outcome logged. Errors are logged (without an SDK
 * exception's response dump, see {@link loggableError}) and rethrown, never swallowed, so Lambda retries, the
 * on-failure destination and the DLQ can fire.
 */
export function createEventHandler<Event, Outcome>(options: EventHandlerOptions<Event, Outcome>) {
  const { logger, parse, idempotency } = options;
  const run = idempotency ? idempotency.wrap(options.run) : options.run;

  return middy(async (input: unknown, context: Context): Promise<Outcome> => {
    const id = typeof input === 'object' && input !== null && 'id' in input ? String(input.id) : undefined;
    if (id) logger.setCorrelationId(id);
    try {
      const event = parse(input);
      if (options.origin) assertOrigin(event, context, options.origin);
      const outcome = await run(event, context);
      logger.info('outcome', { outcome: outcome as Record<string, unknown> });
      return outcome;
    } catch (error) {
      logger.error('invocation failed', { error: loggableError(error) as Error });
      throw error;
    }
  }).use(injectLambdaContext(logger, { resetKeys: true }));
}

/**
 * Rejects an event from another account, from a Region other than this one (and `alsoFromRegions`), or naming a
 * resource ARN of another partition, with a {@link ForeignEventError}: it goes to the on-failure destination and
 * nothing else happens.
 */
export function assertOrigin(
  event: unknown,
  context: Pick<Context, 'invokedFunctionArn'>,
  origin: { region: string; alsoFromRegions?: readonly string[] },
): void {
  const { id, account, region } = (event ?? {}) as { id?: unknown; account?: unknown; region?: unknown };
  const own = accountOf(context);
  const regions = [origin.region, ...(origin.alsoFromRegions ?? [])];
  if (account !== own || typeof region !== 'string' || !regions.includes(region)) {
    throw new ForeignEventError(
      `event ${String(id)} is from account ${String(account)}, region ${String(region)}; this function accepts events only from account ${own}, region ${regions.join(' or ')}`,
    );
  } // Every ARN the event names is in this function's partition (aws, aws-cn, aws-us-gov…).
  const partition = context.invokedFunctionArn.split(':')[1];
  const { resources } = event as { resources?: unknown };
  if (Array.isArray(resources)) {
    resources.forEach((arn, index) => {
      if (typeof arn === 'string' && arn.startsWith('arn:') && arn.split(':')[1] !== partition) {
        throw new ForeignEventError(
          `event ${String(id)}: resources[${index}] is in partition ${JSON.stringify(arn.split(':')[1])}; this function runs in ${partition}`,
        );
      }
    });
  }
}

/** The account this function runs in, from its invoked-function ARN (`arn:aws:lambda:region:ACCOUNT:function:name`). */
export function accountOf(context: Pick<Context, 'invokedFunctionArn'>): string {
  const account = context.invokedFunctionArn.split(':')[4];
  if (!account || !/^\d{12}$/.test(account)) {
    throw new Error(`cannot read the account from invokedFunctionArn "${context.invokedFunctionArn}"`);
  }
  return account;
}

/**
 * A scheduled task rather than an event: the constant input of a schedule rule (`{ "task": … }`), which has no
 * EventBridge envelope. Functions with both inputs route on it.
 */
export function isTaskInput(input: unknown): boolean {
  return typeof input === 'object' && input !== null && 'task' in input && !('detail' in input);
}
