import { EFSClient } from '@aws-sdk/client-efs';
import { S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { parseScheduledEvent } from '../events/aws-events/scheduled-event.ts';
import { restoreJobStateChange } from '../events/backup/restore-job-state-change.ts';
import { createRestoredResourceHandlers } from '../src/adapters/restored-resources.ts';
import { createRestoreWiring, createValidatorWiring } from '../src/app/backup-restore-wiring.ts';
import {
  type SweepOutcome,
  sweepOpenRestores,
  type ValidationOutcome,
  validateRestoreJob,
} from '../src/app/restore-validation.ts';
import { configForRestoreValidation } from '../src/runtime/configs/restore-validation.ts';
import { createEventHandler } from '../src/runtime/handler.ts';
import { idempotencyGuard } from '../src/runtime/idempotency.ts';

/** Seconds one restore's own service calls may take (inspect, tag, prepare, signal, record, and a cleanup round: emptying a large bucket runs up to 20 list-and-delete pages). */
const SERVICE_CALLS_SECONDS = 60;

/** Wiring only: *Restore Job State Change* events, and the sweep schedule that moves open restores forward. */
const wiring = createRestoreWiring('restore-validation', configForRestoreValidation(process.env));
const { config, logger, dynamodb, persistenceStore, basePolicy } = wiring;
const clients = {
  dynamodb,
  rds: wiring.rds,
  ec2: wiring.ec2,
  efs: new EFSClient({}),
  s3: new S3Client({}),
};
const deps = {
  backup: wiring.backup,
  records: wiring.records,
  signals: wiring.signals,
  clock: wiring.clock,
  dryRun: config.dryRun,
  validators: createValidatorWiring(config.extra),
};

type Input =
  | { kind: 'restore'; event: ReturnType<typeof restoreJobStateChange.parse> }
  | { kind: 'sweep'; event: ReturnType<typeof parseScheduledEvent> };

/** The parsed event, with the id (idempotency key), account, Region and resources (origin check) of the envelope. */
function parse(input: unknown): Input & { id: string; account: string; region: string; resources: string[] } {
  const source =
    typeof input === 'object' && input !== null ? (input as Record<string, unknown>).source : undefined;
  if (source === 'aws.events') {
    const event = parseScheduledEvent(input);
    const { id, account, region, resources } = event;
    return { kind: 'sweep', event, id, account, region, resources };
  }
  const event = restoreJobStateChange.parse(input);
  const { id, account, region, resources } = event;
  return { kind: 'restore', event, id, account, region, resources };
}

export const handler = createEventHandler({
  logger,
  parse,
  origin: { region: config.region },
  // In-progress window: IN_PROGRESS_SECONDS, not the 300 s timeout. A duplicate run after it meets each job's
  // conditional claim (held for the longest validating function's timeout): one validation per restore job.
  idempotency: idempotencyGuard({ persistenceStore }),
  run: (input, context: Context): Promise<ValidationOutcome | SweepOutcome> => {
    const policy = {
      ...basePolicy(context),
      validationWindowSeconds: config.extra.RESTORE_VALIDATION_WINDOW,
      maxPerSweep: config.extra.RESTORE_SWEEP_MAX,
      // One restore may wait for a workload validator's answer, plus its own service calls.
      sweepReserveMs: (config.extra.RESTORE_VALIDATOR_TIMEOUT + SERVICE_CALLS_SECONDS) * 1000,
    };
    // S3 calls name the bucket owner: this invocation's account.
    const handlers = createRestoredResourceHandlers(clients, { account: policy.account });
    return input.kind === 'sweep'
      ? sweepOpenRestores(input.event, {
          ...deps,
          signals: wiring.signals.as('schedule'),
          handlers,
          policy,
          remainingMs: () => context.getRemainingTimeInMillis(),
        })
      : validateRestoreJob(input.event, { ...deps, handlers, policy });
  },
});
