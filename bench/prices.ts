/**
 * Public AWS prices the cost model multiplies measured counts by: US East (N. Virginia), on-demand, no free tier
 * applied (an account spends its free tiers on everything it runs, so none is counted here), no Savings Plans.
 *
 * Checked on PRICES_CHECKED_ON through stored copies of the pages below (the AWS pricing page where one was
 * stored, else a 2026 third-party summary quoting it, named in `seenIn`). `confirmed: false` marks a price that
 * none of the copies read that day showed: it is AWS's long-standing published price, not re-checked. Prices
 * change: check the sources before relying on a figure, and update the date with the table.
 */
export const PRICES_CHECKED_ON = '2026-11-29';
export const PRICES_REGION = 'us-east-1';

export interface Price {
  usd: number;
  /** What one `usd` buys. */
  per: string;
  source: string;
  seenIn?: string;
  confirmed: boolean;
}

export const PRICES = {
  lambdaRequest: {
    usd: 0.2 / 1e6,
    per: 'request',
    source: 'https://aws.amazon.com/lambda/pricing/',
    seenIn: 'https://cloudchipr.com/blog/aws-lambda-pricing ($0.20 per 1M requests)',
    confirmed: true,
  },
  lambdaArmGbSecond: {
    usd: 0.0000133334,
    per: 'GB-second, arm64 (first 7.5 billion GB-s a month)',
    source: 'https://aws.amazon.com/lambda/pricing/',
    seenIn: 'https://cloudchipr.com/blog/aws-lambda-pricing',
    confirmed: true,
  },
  customMetric: {
    usd: 0.3,
    per: 'custom metric series a month (first 10,000; prorated by the hour a series receives data)',
    source: 'https://aws.amazon.com/cloudwatch/pricing/',
    seenIn: 'https://signoz.io/guides/cloudwatch-pricing (Feb 2026)',
    confirmed: true,
  },
  alarm: {
    usd: 0.1,
    per: 'standard-resolution alarm metric a month',
    source: 'https://aws.amazon.com/cloudwatch/pricing/',
    seenIn: 'https://www.factualminds.com/blog/amazon-cloudwatch-pricing-metrics-logs-alarms-dashboards/',
    confirmed: true,
  },
  dashboard: {
    usd: 3,
    per: 'dashboard a month, beyond 3 free per account (up to 50 metrics each)',
    source: 'https://aws.amazon.com/cloudwatch/pricing/',
    seenIn: 'https://aws.amazon.com/cloudwatch/pricing/ (free tier) and factualminds ($3 each)',
    confirmed: true,
  },
  logsIngestedGb: {
    usd: 0.5,
    per: 'GB ingested into CloudWatch Logs (Standard class; Lambda logs, first 10 TB); EMF is ingested as logs',
    source: 'https://aws.amazon.com/cloudwatch/pricing/',
    seenIn: 'https://c3x.dev/blog/cloudwatch-logs-cost-optimization (us-east-1, June 2026)',
    confirmed: true,
  },
  logsStoredGbMonth: {
    usd: 0.03,
    per: 'GB-month of logs stored (compressed)',
    source: 'https://aws.amazon.com/cloudwatch/pricing/',
    seenIn: 'https://c3x.dev/blog/cloudwatch-logs-cost-optimization',
    confirmed: true,
  },
  logsInsightsScannedGb: {
    usd: 0.005,
    per: 'GB scanned by a Logs Insights query',
    source: 'https://aws.amazon.com/cloudwatch/pricing/',
    seenIn: 'https://c3x.dev/blog/cloudwatch-logs-cost-optimization',
    confirmed: true,
  },
  dynamoWriteUnit: {
    usd: 0.625 / 1e6,
    per: 'write request unit, on-demand (since the November 2024 price cut)',
    source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/',
    seenIn: 'https://airbyte.com/data-engineering-resources/dynamodb-pricing (July 2025)',
    confirmed: true,
  },
  dynamoReadUnit: {
    usd: 0.125 / 1e6,
    per: 'read request unit, on-demand',
    source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/',
    seenIn: 'https://airbyte.com/data-engineering-resources/dynamodb-pricing',
    confirmed: true,
  },
  dynamoStoredGbMonth: {
    usd: 0.25,
    per: 'GB-month stored, Standard table class (first 25 GB free per account and Region, not applied)',
    source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/',
    confirmed: false,
  },
  dynamoPitrGbMonth: {
    usd: 0.2,
    per: 'GB-month of table size with point-in-time recovery on',
    source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/',
    confirmed: false,
  },
  customEvent: {
    usd: 1 / 1e6,
    per: 'custom event put on an event bus (each 64 KB chunk of an entry), or sent from one bus to another, cross-Region included (charged to the sender)',
    source: 'https://aws.amazon.com/eventbridge/pricing/',
    seenIn:
      'https://cloudburn.io/blog/amazon-eventbridge-pricing (March 2026); https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-bus-to-bus.html',
    confirmed: true,
  },
  interRegionGb: {
    usd: 0.02,
    per: 'GB transferred between Regions (events forwarded to the recovery Region)',
    source: 'https://aws.amazon.com/ec2/pricing/on-demand/#Data_Transfer',
    confirmed: false,
  },
  snsPublish: {
    usd: 0.5 / 1e6,
    per: 'SNS publish, standard topic (each 64 KB chunk)',
    source: 'https://aws.amazon.com/sns/pricing/',
    seenIn: 'https://www.factualminds.com/blog/amazon-sns-pricing-publishes-fanout-protocols/',
    confirmed: true,
  },
  snsEmail: {
    usd: 2 / 1e5,
    per: 'email notification delivered',
    source: 'https://aws.amazon.com/sns/pricing/',
    seenIn: 'https://www.factualminds.com/blog/amazon-sns-pricing-publishes-fanout-protocols/',
    confirmed: true,
  },
  sqsRequest: {
    usd: 0.4 / 1e6,
    per: 'SQS request, standard queue (each 64 KB chunk)',
    source: 'https://aws.amazon.com/sqs/pricing/',
    seenIn: 'https://cloudburn.io/blog/amazon-sqs-pricing (March 2026)',
    confirmed: true,
  },
  kmsKey: {
    usd: 1,
    per: 'customer managed key a month (each of its first two automatic rotations adds $1 a month)',
    source: 'https://aws.amazon.com/kms/pricing/',
    seenIn: 'https://cloudburn.io/blog/aws-kms-pricing (March 2026)',
    confirmed: true,
  },
  kmsRequest: {
    usd: 0.03 / 1e4,
    per: 'KMS request, symmetric key',
    source: 'https://aws.amazon.com/kms/pricing/',
    seenIn: 'https://www.wring.co/blog/aws-kms-pricing-guide',
    confirmed: true,
  },
  drsAndBackupApi: {
    usd: 0,
    per: 'DRS and AWS Backup Describe*/List* call (no API charge; DRS bills per replicating server, Backup per GB, both outside this tool)',
    source: 'https://aws.amazon.com/disaster-recovery/pricing/',
    confirmed: true,
  },
} as const satisfies Record<string, Price>;

/**
 * What the model assumes where nothing can be measured here. Schedules, retentions and memory sizes are not
 * assumptions: the bench reads them from serverless.yml (the shipped defaults).
 */
export const ASSUMPTIONS = {
  /** AWS prices a month as 730 hours. */
  hoursPerMonth: 730,
  /** The fleets the table is computed for: DRS source servers in the recovery Region. */
  fleets: [300, 3_000],
  /**
   * The primary Region's DRS replicates nothing until a failover (then the roles swap): its monitor sweeps an
   * empty DRS, measured as such.
   */
  primaryRegionServers: 0,
  /**
   * State changes a month per resource (a stall and its recovery, a backlog and its end): each is one change
   * signal instead of a refresh. Estimated.
   */
  changesPerResourcePerMonth: 2,
  /**
   * The share of a month each workload has a resource over its RPO or unprotected, when its two metric series
   * are written (CloudWatch bills a series for the hours it receives data): 10%, 73 hours. The benchmark's fleet
   * has trouble in every workload at once (10% of servers not continuous, to count signals); a month of a real
   * fleet has far less. Estimated; at 100% the series line grows by $0.54 a workload.
   */
  workloadTroubledShare: 0.1,
  /** Email subscriptions of the readiness topic (each SNS publish is one email each). */
  emailSubscriptions: 1,
  /**
   * Lambda duration of the readiness publisher per signal: its measured DynamoDB requests × this latency, plus
   * the fixed time below (dynalite on loopback answers faster than DynamoDB does). Estimated.
   */
  dynamoRequestMs: 8,
  readinessFixedMs: 15,
  /**
   * The monitor's sweep duration is measured against a simulated DRS answering in 5–20 ms a call; a real DRS may
   * be slower or faster. The sweeps of other scheduled functions are not measured: this many ms each. Estimated.
   */
  otherScheduledRunMs: 800,
  /** Log bytes of an invocation of another scheduled function (its outcome line and the platform's). Estimated. */
  otherScheduledRunLogBytes: 1_500,
  /** Lambda's START, END and REPORT lines of one invocation (the REPORT line is about 200 bytes). Estimated. */
  platformLogBytesPerInvocation: 320,
  /** CloudWatch Logs counts 26 bytes per log event on top of its message (PutLogEvents' batch size rule). */
  logEventOverheadBytes: 26,
  /** Stored logs are compressed: stored GB per ingested GB. Estimated. */
  logCompression: 0.15,
  /**
   * KMS requests a month per Region: DynamoDB and SNS cache data keys (minutes at a time), so requests do not grow
   * with signals. Estimated.
   */
  kmsRequestsPerRegionPerMonth: 20_000,
} as const;
