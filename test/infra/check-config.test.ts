import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { readLayout, resolveService } from '../../scripts/config-check.ts';
import { ROOT } from '../../sim/template.ts';

/**
 * The check during `osls package` (infra/plugins/check-config.cjs), and the check's own resolution of the stage
 * parameters against osls's. Offline, like the global setup's packaging.
 */
const scratch = mkdtempSync(join(tmpdir(), 'check-config-infra-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function osls(args: string[]): Promise<{ code: number; output: string; stdout: string }> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SLS_TELEMETRY_DISABLED: '1',
    SLS_NOTIFICATIONS_MODE: 'off',
  };
  delete env.AWS_PROFILE;
  try {
    const { stdout, stderr } = await promisify(execFile)(join(ROOT, 'node_modules/.bin/osls'), args, {
      cwd: ROOT,
      env,
      maxBuffer: 32 * 1024 * 1024,
    });
    return { code: 0, output: `${stdout}${stderr}`, stdout };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? 1, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}`, stdout: '' };
  }
}

describe('osls package', () => {
  it('stops on a bad stage parameter, naming it and its value, before anything is packaged', async () => {
    const packageDir = join(scratch, 'package');

    const result = await osls([
      'package',
      '--stage',
      'test',
      '--region',
      'eu-west-1',
      '--package',
      packageDir,
      '--param=defaultRpo=15min',
    ]);

    expect(result.code).not.toBe(0);
    expect(result.output).toContain(
      'stage parameter defaultRpo = "15min" (DEFAULT_RPO of every function): must be a positive ISO-8601 duration such as PT15M or PT4H. Example: --param=defaultRpo=PT15M',
    );
    expect(existsSync(packageDir) ? readdirSync(packageDir) : []).toEqual([]);
  });
});

describe("the check's resolution of stage parameters", () => {
  it('gives every function the environment osls resolves (osls print)', async () => {
    const params = [
      'defaultRpo=PT10M',
      'restoreSettings={"EC2":{"subnetId":"subnet-0abc","securityGroupIds":["sg-0abc"]}}',
      'reverseFailbackInstances=true',
    ];

    const printed = await osls([
      'print',
      '--format',
      'json',
      '--stage',
      'prod',
      '--region',
      'eu-central-1',
      ...params.map((param) => `--param=${param}`),
    ]);
    const own = resolveService(readLayout(), { stage: 'prod', region: 'eu-central-1', cliParams: params });

    expect(printed.code).toBe(0);
    const config = JSON.parse(printed.stdout) as {
      provider: { stage: string; region: string; environment: unknown };
      functions: Record<string, { handler: string; environment?: unknown }>;
    };
    expect(own.environment).toEqual(config.provider.environment);
    expect({ stage: own.stage, region: own.region }).toEqual({
      stage: config.provider.stage,
      region: config.provider.region,
    });
    expect(own.functions).toEqual(
      Object.fromEntries(
        Object.entries(config.functions).map(([name, fn]) => [
          name,
          { handler: fn.handler, environment: fn.environment ?? {} },
        ]),
      ),
    );
  });
});
