/**
 * SDK client settings for the command-line tools, from an environment (the process's by default): Region,
 * endpoint and credentials exactly as the SDK's standard settings would give them (`AWS_REGION`,
 * `AWS_ENDPOINT_URL_<SERVICE>` or `AWS_ENDPOINT_URL`, `AWS_ACCESS_KEY_ID`…), made explicit so that a tool can
 * be run in-process against another environment (the rehearsal's simulated Regions) without touching
 * `process.env`. Without explicit keys the SDK's default credential chain applies (profiles, SSO, roles).
 */
export type Env = Record<string, string | undefined>;

export function clientConfig(
  env: Env,
  service:
    | 'DRS'
    | 'DYNAMODB'
    | 'STS'
    | 'CLOUDFORMATION'
    | 'SNS'
    | 'SQS'
    | 'LAMBDA'
    | 'CLOUDWATCH'
    | 'EVENTBRIDGE',
  region?: string,
) {
  const endpoint = env[`AWS_ENDPOINT_URL_${service}`] ?? env.AWS_ENDPOINT_URL;
  const credentials =
    env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
      ? {
          accessKeyId: env.AWS_ACCESS_KEY_ID,
          secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
          ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
        }
      : undefined;
  const chosen = region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  return {
    ...(chosen ? { region: chosen } : {}),
    ...(endpoint ? { endpoint } : {}),
    ...(credentials ? { credentials } : {}),
  };
}

/** What a tool prints, and where: the process's streams by default, a buffer in tests and the rehearsal. */
export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}
export const processIo: Io = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

/** A usage error: exit code 2, the message names what is missing or wrong. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The Region a tool works in: `--region`, else AWS_REGION or AWS_DEFAULT_REGION; none is a usage error. */
export function cliRegion(flag: string | undefined, env: Env): string {
  const region = flag ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (!region)
    throw new UsageError('no Region: pass --region (the Region you deployed to) or set AWS_REGION');
  return region;
}

/** Runs a tool as a process: exit code 0 ok, 1 failure, 2 usage. */
export function runAsProcess(name: string, run: (argv: string[], env: Env, io: Io) => Promise<number>): void {
  run(process.argv.slice(2), process.env, processIo).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      const text =
        error instanceof UsageError
          ? `${error.message} (try --help)`
          : error instanceof Error
            ? `${error.name}: ${error.message}`
            : String(error);
      process.stderr.write(`${name} failed: ${text}\n`);
      process.exitCode = error instanceof UsageError ? 2 : 1;
    },
  );
}
