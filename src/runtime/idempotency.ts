import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import type { Context } from 'aws-lambda';

/**
 * Idempotency on the event `id`, for {@link createEventHandler}'s `idempotency` option. Its own module so that
 * functions without it (idempotent by construction) bundle none of Powertools idempotency, its JMESPath and
 * its cache.
 */
export interface IdempotencyGuard {
  /** `run`, turned away for an event `id` already done or in progress. */
  wrap<Event, Outcome>(
    run: (event: Event, context: Context) => Promise<Outcome>,
  ): (event: Event, context: Context) => Promise<Outcome>;
}

/**
 * How long an in-progress idempotency record turns a redelivery of the same event away. Powertools sets the
 * record's `in_progress_expiration` to the write time plus the invocation's remaining time, so a record whose
 * owner never finished (the write applied but its answer lost, a crash, an out-of-memory kill) would hold the
 * event off for up to the function's whole timeout: 300 s for the restore-test scheduler, while Lambda retries a
 * failed asynchronous invocation after one minute and then two more, so both retries met
 * `IdempotencyAlreadyInProgressError` and the event was dead-lettered. Bounded to 30 s, the record has expired
 * before the first retry (at least a minute after the failed attempt ended, itself after the write), with half a
 * minute to spare. A duplicate that arrives while a run lasting longer is still going may then run alongside it:
 * each use case's own guard (a conditional claim, a claimed restore token, a DRS state re-read, conditional
 * readiness writes) keeps the side effect single; docs/operations.md names them per function.
 */
export const IN_PROGRESS_SECONDS = 30;

/**
 * The context Powertools reads the remaining time from, with that time capped at `seconds`: only the in-progress
 * window sees it; the use case keeps the real context (a sweep plans its work on the real remaining time).
 */
export function inProgressWindow(
  context: Pick<Context, 'getRemainingTimeInMillis'>,
  seconds: number,
): Pick<Context, 'getRemainingTimeInMillis'> {
  return { getRemainingTimeInMillis: () => Math.min(context.getRemainingTimeInMillis(), seconds * 1000) };
}

/**
 * Powertools `makeIdempotent` keyed on the event `id` (not the middy middleware: in 2.35.0 the middleware
 * deletes a concurrent invocation's in-progress record when it rejects a duplicate, #5675). `inProgressSeconds`
 * bounds how long an in-progress record holds the event off (default {@link IN_PROGRESS_SECONDS}); see there.
 */
export function idempotencyGuard(options: {
  persistenceStore: BasePersistenceLayer;
  expiresAfterSeconds?: number;
  inProgressSeconds?: number;
}): IdempotencyGuard {
  return {
    wrap:
      <Event, Outcome>(run: (event: Event, context: Context) => Promise<Outcome>) =>
      (event: Event, context: Context): Promise<Outcome> => {
        // One idempotent wrapper per invocation: the in-progress window is read from that invocation's context.
        const config = new IdempotencyConfig({
          eventKeyJmesPath: 'id',
          throwOnNoIdempotencyKey: true,
          expiresAfterSeconds: options.expiresAfterSeconds ?? 86_400,
        });
        config.registerLambdaContext(
          inProgressWindow(context, options.inProgressSeconds ?? IN_PROGRESS_SECONDS) as Context,
        );
        // Called with the event alone, so Powertools keeps the bounded context rather than registering the real one.
        return makeIdempotent((input: Event) => run(input, context), {
          persistenceStore: options.persistenceStore,
          config,
        })(event);
      },
  };
}
