import * as z from 'zod/mini';
import { type Env, loadConfig } from '../config.ts';

export const evidenceExportEnv = z.object({
  EVIDENCE_EXPORT_BUCKET: z._default(
    z
      .string()
      .check(
        z.trim(),
        z.regex(/^$|^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name, or empty (export off)'),
      ),
    '',
  ),
  EVIDENCE_EXPORT_PREFIX: z._default(
    z.string().check(
      z.trim(),
      z.regex(
        /^[A-Za-z0-9!_.*'()/-]{1,200}$/,
        'must be a non-empty S3 key prefix (the IAM grant is scoped to it)',
      ),
      z.refine((prefix) => !prefix.endsWith('/'), 'must not end with a slash'),
    ),
    'dr-autopilot-evidence',
  ),
  STAGE: z.string().check(z.trim(), z.minLength(1, 'must not be empty')),
});

export const configForEvidenceExport = (env: Env) => loadConfig(env, evidenceExportEnv);
