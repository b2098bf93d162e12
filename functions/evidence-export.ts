import { S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { parseScheduledEvent } from '../events/aws-events/scheduled-event.ts';
import { createS3EvidenceArchive } from '../src/adapters/s3-archive.ts';
import { exportEvidence } from '../src/app/evidence-export.ts';
import { configForEvidenceExport } from '../src/runtime/configs/evidence-export.ts';
import { createDynamoDbClient } from '../src/runtime/dynamodb-client.ts';
import { accountOf, createEventHandler } from '../src/runtime/handler.ts';
import { createLogger } from '../src/runtime/logger.ts';
import { createEvidenceLedger } from '../src/runtime/signals.ts';

/** Wiring only: the monthly schedule exports this Region's evidence ledger (off unless a bucket is set). */
const config = configForEvidenceExport(process.env);
const logger = createLogger('evidence-export');
const ledger = createEvidenceLedger(config, createDynamoDbClient());
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
