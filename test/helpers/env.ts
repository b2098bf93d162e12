import { ACCOUNT } from './context.ts';

/** A complete, valid configuration (DESIGN.md §5) for a deployment in the recovery Region us-west-2. */
export function baseEnv(
  overrides: Record<string, string | undefined> = {},
): Record<string, string | undefined> {
  return {
    AWS_REGION: 'us-west-2',
    PRIMARY_REGION: 'us-east-1',
    RECOVERY_REGION: 'us-west-2',
    MODE: 'active',
    DEFAULT_RPO: 'PT15M',
    DEFAULT_RTO: 'PT4H',
    TOPIC_ARN: `arn:aws:sns:us-west-2:${ACCOUNT}:dr-autopilot-test-readiness`,
    EVENT_BUS_NAME: 'dr-autopilot-test',
    READINESS_TABLE_NAME: 'readiness',
    IDEMPOTENCY_TABLE_NAME: 'idempotency',
    EVIDENCE_TABLE_NAME: 'evidence',
    ...overrides,
  };
}
