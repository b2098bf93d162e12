import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { parseScheduledEvent } from '../events/aws-events/scheduled-event.ts';
import { createS3EvidenceArchive } from '../src/adapters/s3-archive.ts';
import { exportEvidence } from '../src/app/evidence-export.ts';
import { loadConfig } from '../src/runtime/config.ts';
import { accountOf, createEventHandler } from '../src/runtime/handler.ts';
import { createLogger } from '../src/runtime/logger.ts';
import { createEvidenceLedger } from '../src/runtime/signals.ts';

/** Wiring only: the monthly schedule exports this Region's evidence ledger (off unless a bucket is set). */
const config = loadConfig(
  process.env,
  z.object({
    EVIDENCE_EXPORT_BUCKET: z
      .string()
      .trim()
      .regex(/^$|^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name, or empty (export off)')
      .default(''),
    EVIDENCE_EXPORT_PREFIX: z
      .string()
      .trim()
      .regex(
        /^[A-Za-z0-9!_.*'()/-]{1,200}$/,
        'must be a non-empty S3 key prefix (the IAM grant is scoped to it)',
      )
      .refine((prefix) => !prefix.endsWith('/'), 'must not end with a slash')
      .default('dr-autopilot-evidence'),
    STAGE: z.string().trim().min(1, 'must not be empty'),
  }),
);
const logger = createLogger('evidence-export');
const ledger = createEvidenceLedger(config, new DynamoDBClient({}));
const s3 = new S3Client({});

export const handler = createEventHandler({
  logger,
  parse: parseScheduledEvent,
  origin: { region: config.region },
  // No idempotency record: the same month writes the same keys.
  run: (event, context: Context) =>
    exportEvidence(event, {
      ledger,
      archive: config.extra.EVIDENCE_EXPORT_BUCKET
        ? createS3EvidenceArchive({
            client: s3,
            bucket: config.extra.EVIDENCE_EXPORT_BUCKET,
            account: accountOf(context),
          })
        : undefined,
      prefix: config.extra.EVIDENCE_EXPORT_PREFIX,
      stage: config.extra.STAGE,
      region: config.region,
      clock: () => new Date(),
    }),
});
