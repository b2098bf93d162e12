import { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/**
 * How long a DynamoDB request may go without an answer before the SDK gives it up and retries it. The SDK's own
 * default is no limit: a stalled connection (a response that never comes) then holds the function until Lambda
 * times it out, and whatever it had done before is done again by the retry (the readiness publisher's SNS
 * notification, whose outbox entry was being cleared, was sent twice that way in the fault-rate suite).
 * DynamoDB answers in milliseconds; 5 s is far above a slow answer, and a give-up (`TimeoutError`, ETIMEDOUT) is
 * retried like a 5xx (every write dr-autopilot makes is safe to repeat: conditional, or the same item again).
 * `throwOnRequestTimeout` is what makes it a give-up: without it the SDK's HTTP handler only logs a warning.
 */
export const DYNAMODB_REQUEST_TIMEOUT_MS = 5_000;
/** How long connecting may take (TCP and TLS) before the SDK retries. */
export const DYNAMODB_CONNECTION_TIMEOUT_MS = 2_000;

/** The DynamoDB client of every function: the Region and credentials Lambda gives it, and the timeouts above. */
export function createDynamoDbClient(): DynamoDBClient {
  return new DynamoDBClient({
    requestHandler: {
      connectionTimeout: DYNAMODB_CONNECTION_TIMEOUT_MS,
      requestTimeout: DYNAMODB_REQUEST_TIMEOUT_MS,
      // Without it, @smithy/node-http-handler 4.x only logs a warning when requestTimeout passes.
      throwOnRequestTimeout: true,
    },
  });
}
