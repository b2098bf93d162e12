import * as z from 'zod';
import { type Env, loadConfig } from '../config.ts';

export const evidenceExportEnv = z.object({
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
});

export const configForEvidenceExport = (env: Env) => loadConfig(env, evidenceExportEnv);
