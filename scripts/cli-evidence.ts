import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDynamoDbEvidenceLedger } from '../src/adapters/evidence-ledger.ts';
import type { EvidenceRecord } from '../src/domain/evidence.ts';
import { clientConfig, type Env } from './cli-env.ts';

/**
 * What a person did through dr-autopilot's tools (a failback declared, a cleanup applied) goes to the evidence
 * ledger of the stack named by EVIDENCE_TABLE_NAME (its stack output `EvidenceTableName`), as the functions'
 * actions do. Returns a line for the person: where it was recorded, or why it was not.
 */
export async function recordPersonEvidence(
  env: Env,
  region: string | undefined,
  records: readonly EvidenceRecord[],
): Promise<string> {
  if (records.length === 0) return '';
  const tableName = env.EVIDENCE_TABLE_NAME;
  if (!tableName) {
    return `note: EVIDENCE_TABLE_NAME is not set: ${records.length} action(s) not recorded in the evidence ledger (set it to the stack output EvidenceTableName)\n`;
  }
  const client = new DynamoDBClient(clientConfig(env, 'DYNAMODB', region));
  try {
    await createDynamoDbEvidenceLedger({ client, tableName, retentionSeconds: retentionOf(env) }).record(
      records,
    );
  } finally {
    client.destroy();
  }
  return `recorded in the evidence ledger ${tableName}: ${records.length} record(s)\n`;
}

/** The stack's retention (EVIDENCE_RETENTION_DAYS), else the default of the stage parameter evidenceRetention. */
function retentionOf(env: Env): number {
  const days = Number(env.EVIDENCE_RETENTION_DAYS ?? 800);
  return Number.isFinite(days) && days > 0 ? Math.round(days * 86_400) : 800 * 86_400;
}
