import type { Context } from 'aws-lambda';

export const ACCOUNT = '111122223333';

/** A Lambda context for `functionName` in `region`/`account`, as Lambda passes it. */
export function lambdaContext(
  options: { functionName?: string; region?: string; account?: string } = {},
): Context {
  const functionName = options.functionName ?? 'dr-autopilot-test-fn';
  const region = options.region ?? 'us-west-2';
  const account = options.account ?? ACCOUNT;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:${account}:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: crypto.randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: '2026/11/22/[$LATEST]test',
    getRemainingTimeInMillis: () => 60_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
