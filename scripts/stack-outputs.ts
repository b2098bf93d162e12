import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { clientConfig, type Env, UsageError } from './cli-env.ts';

/** The service name of serverless.yml: a stage's stack is `dr-autopilot-<stage>`. */
export const SERVICE = 'dr-autopilot';

export interface Deployment {
  stack: string;
  region: string;
  outputs: Record<string, string>;
  /** CloudFormation's `StackStatus` (`CREATE_COMPLETE`, `UPDATE_ROLLBACK_COMPLETE`, …). */
  status: string;
  /** When the stack was last created or updated: the deployment the tools look at. */
  deployedAt: Date | undefined;
}

/**
 * The outputs of a deployed stage's stack (CloudFormation DescribeStacks), so a tool finds the deployment's
 * tables from `--stage` and `--region` alone. A stack that does not exist is a usage error naming the stack and
 * the Region asked; a stack without `wanted` outputs (deployed by an older version) says to redeploy; no
 * credentials, or no right to read the stack, is a usage error too (a prerequisite, named).
 */
export async function readDeployment(
  env: Env,
  options: { stage: string; region: string | undefined; wanted: string[] },
): Promise<Deployment> {
  const region = options.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (!region) throw new UsageError('no Region: pass --region or set AWS_REGION');
  const stack = `${SERVICE}-${options.stage}`;
  const client = new CloudFormationClient(clientConfig(env, 'CLOUDFORMATION', region));
  try {
    const { Stacks = [] } = await client.send(new DescribeStacksCommand({ StackName: stack }));
    const found = Stacks[0];
    const outputs: Record<string, string> = {};
    for (const output of found?.Outputs ?? []) {
      if (output.OutputKey && output.OutputValue !== undefined)
        outputs[output.OutputKey] = output.OutputValue;
    }
    const missing = options.wanted.filter((key) => !(key in outputs));
    if (missing.length > 0) {
      throw new UsageError(
        `stack ${stack} in ${region} has no output ${missing.join(', ')}: redeploy this version of dr-autopilot`,
      );
    }
    return {
      stack,
      region,
      outputs,
      status: found?.StackStatus ?? 'UNKNOWN',
      deployedAt: found?.LastUpdatedTime ?? found?.CreationTime,
    };
  } catch (error) {
    // CloudFormation answers a missing stack with ValidationError "Stack with id … does not exist".
    if (error instanceof Error && error.name === 'ValidationError' && /does not exist/.test(error.message)) {
      throw new UsageError(
        `stack ${stack} not found in ${region}: check --stage (${options.stage}) and --region (${region}), the ones you deployed with`,
      );
    }
    if (error instanceof Error && error.name === 'CredentialsProviderError') {
      throw new UsageError(
        `no AWS credentials: sign in as for the AWS CLI (AWS_PROFILE, aws sso login, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY) (${error.message})`,
      );
    }
    if (error instanceof Error && /^AccessDenied/.test(error.name)) {
      throw new UsageError(
        `not allowed to read stack ${stack} in ${region}: these credentials need cloudformation:DescribeStacks on it (${error.message})`,
      );
    }
    throw error;
  } finally {
    client.destroy();
  }
}

/** osls's output for each function of the stack: `<Function>LambdaFunctionQualifiedArn`. */
export const FUNCTION_OUTPUT = /^(.+)LambdaFunctionQualifiedArn$/;

/** `arn:aws:lambda:<region>:<account>:function:<name>[:<version>]` → `<name>`. */
export function functionNameOf(arn: string): string {
  return arn.split(':')[6] ?? arn;
}

/** The stack's functions (from its outputs), by name, with their (version-qualified) ARNs. */
export function deployedFunctions(deployment: Pick<Deployment, 'outputs'>): { name: string; arn: string }[] {
  return Object.entries(deployment.outputs)
    .filter(([key]) => FUNCTION_OUTPUT.test(key))
    .map(([, arn]) => ({ name: functionNameOf(arn), arn }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
