import { EC2Client } from '@aws-sdk/client-ec2';
import { EFSClient } from '@aws-sdk/client-efs';
import { RDSClient } from '@aws-sdk/client-rds';
import { S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { restoreJobStateChange } from '../events/backup/restore-job-state-change.ts';
import { parseRestoreTestSchedule } from '../events/backup/restore-test-schedule.ts';
import { createRestoredResourceHandlers } from '../src/adapters/restored-resources.ts';
import { createRestoreWiring, restoreValidationEnv } from '../src/app/backup-restore-config.ts';
import {
  type SweepOutcome,
  sweepOpenRestores,
  type ValidationOutcome,
  validateRestoreJob,
} from '../src/app/restore-validation.ts';
import { createEventHandler } from '../src/runtime/handler.ts';

/** Wiring only: *Restore Job State Change* events, and the sweep schedule that moves open restores forward. */
const wiring = createRestoreWiring('restore-validation', restoreValidationEnv);
const { config, logger, dynamodb, persistenceStore, basePolicy } = wiring;
const deps = {
  backup: wiring.backup,
  records: wiring.records,
  handlers: createRestoredResourceHandlers({
    dynamodb,
    rds: new RDSClient({}),
    ec2: new EC2Client({}),
    efs: new EFSClient({}),
    s3: new S3Client({}),
  }),
  signals: wiring.signals,
  clock: wiring.clock,
  dryRun: config.dryRun,
};

type Input =
  | { kind: 'restore'; event: ReturnType<typeof restoreJobStateChange.parse> }
  | { kind: 'sweep'; event: ReturnType<typeof parseRestoreTestSchedule> };

function parse(input: unknown): Input & { id: string } {
  const source =
    typeof input === 'object' && input !== null ? (input as Record<string, unknown>).source : undefined;
  if (source === 'aws.events') {
    const event = parseRestoreTestSchedule(input);
    return { kind: 'sweep', event, id: event.id };
  }
  const event = restoreJobStateChange.parse(input);
  return { kind: 'restore', event, id: event.id };
}

export const handler = createEventHandler({
  logger,
  parse,
  idempotency: { persistenceStore },
  run: (input, context: Context): Promise<ValidationOutcome | SweepOutcome> => {
    const policy = {
      ...basePolicy(context),
      validationWindowSeconds: config.extra.RESTORE_VALIDATION_WINDOW,
      maxPerSweep: config.extra.RESTORE_SWEEP_MAX,
    };
    return input.kind === 'sweep'
      ? sweepOpenRestores(input.event, { ...deps, policy })
      : validateRestoreJob(input.event, { ...deps, policy });
  },
});
